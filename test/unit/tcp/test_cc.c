/*
 * test_cc.c — CUBIC (dataplane/tcp/tcp_cc_cubic.c, RFC 9438) and choosing
 * congestion control per connection and per listener.  The window is driven
 * through the ops on a real connection while the virtual clock runs.
 */
#include <math.h>

#include "tcp/tcp_pvt.h"
#include "test_tcp.h"

static uint32_t segs(const struct mg_tcp_conn *c)
{
	return c->cwnd / c->mss;
}

/* An ACK of one segment each ms for ms milliseconds. */
static void acks_over(struct mg_tcp_conn *c, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		advance_ms(1);
		c->cc->on_ack(c, c->mss);
	}
}

START_TEST(test_cubic_curve)
{
	struct mg_tcp_conn *c;
	double k;

	open_passive(true);
	c = ev.conn;
	ck_assert_int_eq(mg_tcp_set_cc(c, "cubic"), 0);
	ck_assert_str_eq(c->cc->name, "cubic");
	ck_assert_uint_eq(segs(c), 10);
	c->srtt8 = 100 << 3; /* 100 ms: the Reno-friendly estimate stays below the curve */
	/* Slow start: one segment per segment acked (2 at most per ACK). */
	c->cc->on_ack(c, c->mss);
	ck_assert_uint_eq(segs(c), 11);
	/* A loss at 100 segments: beta = 0.7. */
	c->cwnd = 100u * c->mss;
	c->cc->on_loss(c);
	ck_assert_uint_eq(c->ssthresh / c->mss, 70);
	c->cc->on_recovery_end(c);
	ck_assert_uint_eq(segs(c), 70);
	k = mg_tcp_cubic_k(100);
	ck_assert(fabs(k - cbrt(100 * 0.3 / 0.4)) < 1e-9); /* 4.217 s */
	ck_assert(fabs(mg_tcp_cubic_w(100, k, 0) - 70) < 1e-6);
	ck_assert(fabs(mg_tcp_cubic_w(100, k, k) - 100) < 1e-9);
	/* Concave: half way to K the window is well on its way, below W_max. */
	acks_over(c, 2100);
	ck_assert_uint_ge(segs(c), 93);
	ck_assert_uint_le(segs(c), 99);
	/* Plateau around K (+ one RTT of look-ahead). */
	acks_over(c, 2000);
	ck_assert_uint_ge(segs(c), 99);
	ck_assert_uint_le(segs(c), 101);
	/* Convex beyond: growth picks up again. */
	acks_over(c, 3000);
	ck_assert_uint_ge(segs(c), 108);
}
END_TEST

START_TEST(test_cubic_fast_convergence_and_rto)
{
	struct mg_tcp_conn *c;

	open_passive(true);
	c = ev.conn;
	ck_assert_int_eq(mg_tcp_set_cc(c, "cubic"), 0);
	c->cwnd = 100u * c->mss;
	c->cc->on_loss(c); /* W_max 100 */
	c->cc->on_recovery_end(c);
	c->cwnd = 80u * c->mss; /* a second loss below W_max: W_max = 80 * 1.7 / 2 = 68 */
	c->cc->on_loss(c);
	ck_assert_uint_eq(c->ssthresh / c->mss, 56);
	c->cc->on_recovery_end(c);
	c->srtt8 = 100 << 3;
	acks_over(c, 200);
	/* Already past the lowered W_max (68): a flow that lost twice gives way. */
	ck_assert_uint_le(segs(c), 70);
	c->cc->on_rto(c);
	ck_assert_uint_eq(c->cwnd, c->mss);
}
END_TEST

/* Short RTTs: the Reno-friendly estimate wins over the flat top of the curve. */
START_TEST(test_cubic_reno_friendly)
{
	struct mg_tcp_conn *c;

	open_passive(true);
	c = ev.conn;
	ck_assert_int_eq(mg_tcp_set_cc(c, "cubic"), 0);
	c->srtt8 = 1 << 3; /* 1 ms */
	c->cwnd = 20u * c->mss;
	c->cc->on_loss(c);
	c->cc->on_recovery_end(c); /* 14 segments, W_max 20, K = 2.47 s */
	/* 20 windows' worth of ACKs in 280 ms: Reno adds ~0.53 segments per window. */
	for (unsigned w = 0; w < 20; w++)
		for (unsigned i = 0; i < segs(c); i++) {
			advance_ms(1);
			c->cc->on_ack(c, c->mss);
		}
	/* The cubic curve alone would still be near 14 + a little; Reno-friendly is ~24. */
	ck_assert_uint_ge(segs(c), 20);
}
END_TEST

START_TEST(test_cc_selection)
{
	struct mg_tcp_conn *c;

	ck_assert_int_eq(mg_tcp_listener_set_cc(tw, 0, LPORT, "vegas"), -ENOENT);
	ck_assert_int_eq(mg_tcp_listener_set_cc(tw, 0, 81, "cubic"), -ESRCH);
	ck_assert_int_eq(mg_tcp_listener_set_cc(tw, 0, LPORT, "cubic"), 0);
	open_passive(true);
	c = ev.conn;
	ck_assert_str_eq(c->cc->name, "cubic");
	/* Data went out: too late to change. */
	ck_assert_int_eq(send_bytes(c, 0, 100), 0);
	ck_assert_int_eq(mg_tcp_set_cc(c, "newreno"), -EBUSY);
	ck_assert_int_eq(mg_tcp_set_cc(c, "vegas"), -ENOENT);
	/* An active open takes its own. */
	c = mg_tcp_connect(tw, PEER_IP, 5000, &test_cbs, &ev);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->cc->name, "newreno");
	ck_assert_int_eq(mg_tcp_set_cc(c, "cubic"), 0);
	ck_assert_str_eq(c->cc->name, "cubic");
}
END_TEST

TCase *tcase_cc(void);
TCase *tcase_cc(void)
{
	TCase *tc = tcase_create("cc");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_cubic_curve);
	tcase_add_test(tc, test_cubic_fast_convergence_and_rto);
	tcase_add_test(tc, test_cubic_reno_friendly);
	tcase_add_test(tc, test_cc_selection);
	return tc;
}
