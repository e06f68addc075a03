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

/* The Microsoft RSS verification key and its IPv4/TCP vectors (82599 datasheet 7.1.2.8.3). */
static const uint8_t ms_key[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                   0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                   0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                   0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

START_TEST(test_rss_toeplitz_vectors)
{
	static const struct {
		uint8_t src[4], dst[4];
		uint16_t sport, dport;
		uint32_t hash;
	} v[] = {
	    {{66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x51ccc178},
	    {{199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xc626b0ea},
	    {{24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0x5c2b394a},
	    {{38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0xafc7327f},
	    {{153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x10e828a2},
	};
	static struct mg_iface ifc;

	memcpy(ifc.rss_key, ms_key, sizeof(ms_key));
	ifc.rss_key_len = sizeof(ms_key);
	ifc.reta_size = 512;
	ifc.rss_ok = true;
	for (unsigned i = 0; i < 512; i++)
		ifc.reta[i] = (uint16_t)i; /* the queue shows the hash's low 9 bits */
	for (unsigned i = 0; i < MG_ARRAY_SIZE(v); i++) {
		rte_be32_t s, d;

		memcpy(&s, v[i].src, 4);
		memcpy(&d, v[i].dst, 4);
		ck_assert_uint_eq(mg_tcp_rss_queue(&ifc, s, d, v[i].sport, v[i].dport),
		                  v[i].hash % 512);
	}
}
END_TEST

/*
 * Two workers on a NIC with a known key: every port an active open picks is
 * this worker's by the hand-over rule (port % 2) and brings its replies to
 * this worker's queue by the NIC's hash.
 */
START_TEST(test_rss_port_choice)
{
	struct mg_iface *ifc = &tw->dp->net.ifaces[0];

	tw->dp->n_workers = 2;
	memcpy(ifc->rss_key, ms_key, sizeof(ms_key));
	ifc->rss_key_len = sizeof(ms_key);
	ifc->reta_size = 128;
	for (unsigned i = 0; i < 128; i++)
		ifc->reta[i] = (uint16_t)(i % 2);
	ifc->rss_ok = true;
	for (unsigned i = 0; i < 8; i++) {
		struct mg_tcp_conn *c =
		    mg_tcp_connect(tw, PEER_IP, (uint16_t)(5000 + i), &test_cbs, &ev);
		uint16_t lport;

		ck_assert_ptr_nonnull(c);
		lport = rte_be_to_cpu_16(c->lport);
		ck_assert_uint_eq(lport % 2, tw->idx);
		ck_assert_uint_eq(
		    mg_tcp_rss_queue(ifc, PEER_IP, OUR_IP, (uint16_t)(5000 + i), lport), tw->idx);
	}
	ifc->rss_ok = false;
	tw->dp->n_workers = 1;
}
END_TEST

TCase *tcase_rss(void);
TCase *tcase_rss(void)
{
	TCase *tc = tcase_create("rss");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_rss_toeplitz_vectors);
	tcase_add_test(tc, test_rss_port_choice);
	return tc;
}
