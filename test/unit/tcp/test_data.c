/*
 * test_data.c — data both ways: delivery, quick-ACK and delayed ACK timing,
 * segmentation, RTO with exact backoff and give-up, fast retransmit and
 * NewReno partial ACKs, zero window and persist probes, window updates,
 * out-of-order queueing with SACK blocks and its bound, PAWS, send-buffer
 * backpressure, retransmitted payload after a partial ACK.
 */
#include <errno.h>
#include <string.h>

#include "test_tcp.h"

static void check_pattern(const struct tseg *s, uint32_t off)
{
	for (uint32_t i = 0; i < s->len; i++)
		ck_assert_msg(s->data[i] == mg_tcp_source_byte(off + i), "byte %u of segment", i);
}

START_TEST(test_rx_quickack_delack)
{
	static uint8_t buf[1448];
	uint32_t iss = open_passive(true);

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	/* The first 8 data segments are acknowledged at once (quick-ACK). */
	for (unsigned i = 0; i < 8; i++) {
		peer_send(F_ACK | F_PSH, buf, 100);
		expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	}
	/* Then ACKs are delayed by 40 ms. */
	peer_send(F_ACK | F_PSH, buf, 100);
	expect_none();
	advance_ms(39);
	expect_none();
	advance_ms(1);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_delayed_acks), 1);
	/* ... unless two full segments are unacknowledged. */
	peer_send(F_ACK, buf, 1448);
	expect_none();
	peer_send(F_ACK, buf, 1448);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	advance_ms(100);
	expect_none(); /* the delayed-ACK timer was cancelled by that ACK */
	ck_assert_uint_eq(ev.rx_len, 900 + 2 * 1448);
	for (unsigned i = 0; i < 9; i++)
		ck_assert_int_eq(memcmp(ev.rx + i * 100, buf, 100), 0);
	ck_assert_int_eq(memcmp(ev.rx + 900, buf, 1448), 0);
	expect_accounted();
}
END_TEST

START_TEST(test_tx_data)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;
	struct tseg *s;

	ck_assert_int_eq(send_bytes(c, 0, 3000), 0);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 1448);
	ck_assert(s->o.ts_on);
	ck_assert_uint_eq(s->win, 262144 >> 3);
	check_pattern(s, 0);
	check_pattern(expect_seg(F_ACK, iss + 1 + 1448, P.snd_nxt, 1448), 1448);
	check_pattern(expect_seg(F_ACK | F_PSH, iss + 1 + 2896, P.snd_nxt, 104), 2896);
	expect_none();
	ck_assert_uint_eq(mg_tcp_sndq_bytes(c), 3000);
	P.rcv_nxt = iss + 1 + 3000;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(mg_tcp_sndq_bytes(c), 0);
	ck_assert_uint_eq(c->timers & MG_TCPT_REXMT, 0);
	advance_ms(5000);
	expect_none();
	expect_accounted();
}
END_TEST

/* RTO 200 ms (the handshake measured ~0 ms), doubling: 200, 400, 800, 1600. */
START_TEST(test_rto_backoff)
{
	static const unsigned at[] = {200, 600, 1400, 3000};
	uint32_t iss = open_passive(true);
	uint64_t t = 0;

	ck_assert_int_eq(send_bytes(ev.conn, 0, 100), 0);
	expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 100);
	for (unsigned i = 0; i < RTE_DIM(at); i++) {
		advance_ms(at[i] - 1 - t);
		expect_none();
		advance_ms(1);
		t = at[i];
		check_pattern(expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 100), 0);
		expect_none();
	}
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 4);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_retransmits), 4);
	ck_assert_uint_eq(ev.conn->cwnd, ev.conn->mss);
	P.rcv_nxt = iss + 101;
	peer_send(F_ACK, NULL, 0);
	advance_ms(10000);
	expect_none();
	ck_assert_uint_eq(ev.conn->backoff, 0);
}
END_TEST

START_TEST(test_rto_give_up)
{
	uint32_t iss = open_passive(true);
	unsigned n = 0;

	(void)iss;
	ck_assert_int_eq(send_bytes(ev.conn, 0, 100), 0);
	out_clear();
	for (unsigned i = 0; i < 2000 && ev.closes == 0; i++) {
		advance_ms(1000);
		n += out_pending();
		out_clear();
	}
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ETIMEDOUT);
	ck_assert_uint_eq(n, 15);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_fast_retransmit)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;

	ck_assert_int_eq(send_bytes(c, 0, 5 * 1448), 0);
	for (unsigned i = 0; i < 5; i++)
		expect_seg(i == 4 ? F_ACK | F_PSH : F_ACK, iss + 1 + i * 1448, P.snd_nxt, 1448);
	/* Segment 1 lost: the peer acks the SYN's next byte three more times. */
	P.rcv_nxt = iss + 1;
	peer_send(F_ACK, NULL, 0);
	peer_send(F_ACK, NULL, 0);
	expect_none();
	peer_send(F_ACK, NULL, 0);
	check_pattern(expect_seg(F_ACK, iss + 1, P.snd_nxt, 1448), 0);
	expect_none();
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_dupacks_in), 3);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_fast_retransmits), 1);
	ck_assert(c->flags & MG_TCPF_RECOVERY);
	ck_assert_uint_eq(c->ssthresh, 5 * 1448 / 2);
	/* Partial ACK (segments 1-2; 3 lost too): segment 3 goes at once (RFC 6582). */
	P.rcv_nxt = iss + 1 + 2 * 1448;
	peer_send(F_ACK, NULL, 0);
	check_pattern(expect_seg(F_ACK, iss + 1 + 2 * 1448, P.snd_nxt, 1448), 2 * 1448);
	expect_none();
	ck_assert(c->flags & MG_TCPF_RECOVERY);
	/* Full ACK ends recovery. */
	P.rcv_nxt = iss + 1 + 5 * 1448;
	peer_send(F_ACK, NULL, 0);
	ck_assert(!(c->flags & MG_TCPF_RECOVERY));
	ck_assert_uint_le(c->cwnd, c->ssthresh);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_retransmits), 2);
	expect_none();
}
END_TEST

START_TEST(test_zero_window_persist)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;

	P.win = 0;
	peer_send(F_ACK, NULL, 0); /* window update to zero */
	ck_assert_uint_eq(c->snd_wnd, 0);
	ck_assert_int_eq(send_bytes(c, 0, 500), 0);
	expect_none();
	advance_ms(199);
	expect_none();
	advance_ms(1);
	expect_seg(F_ACK, iss, P.snd_nxt, 0); /* probe: one below snd_una, no data */
	advance_ms(399);
	expect_none();
	advance_ms(1);
	expect_seg(F_ACK, iss, P.snd_nxt, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_persist_probes), 2);
	/* The peer answers a probe with a closed window again: still probing. */
	peer_send(F_ACK, NULL, 0);
	expect_none();
	/* Window update: the data leaves at once. */
	P.win = 100;
	peer_send(F_ACK, NULL, 0);
	check_pattern(expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 500), 0);
	expect_none();
	ck_assert(!(c->flags & MG_TCPF_PERSIST));
}
END_TEST

/*
 * The window shuts with our data in flight (the peer took less than we sent
 * and then stopped reading): the RTO may resend nothing, so it probes, and
 * the timer must keep running (it once stopped here for good: a 30 s stall
 * under loss, and a vanished peer never given up).  An answered probe keeps
 * the connection; the window's opening resends the data.
 */
START_TEST(test_rto_zero_window_in_flight)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;

	P.win = 8; /* 1024 bytes */
	peer_send(F_ACK, NULL, 0);
	ck_assert_int_eq(send_bytes(c, 0, 1024), 0);
	expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 1024);
	/* The peer ACKs nothing and shuts its window. */
	P.win = 0;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(c->snd_wnd, 0);
	expect_none();
	advance_ms(200);
	expect_seg(F_ACK, iss, P.snd_nxt, 0); /* a probe, not a retransmission */
	ck_assert(c->timers & MG_TCPT_REXMT);
	advance_ms(400);
	expect_seg(F_ACK, iss, P.snd_nxt, 0); /* and again: the timer kept running */
	ck_assert_uint_eq(c->retries, 2);
	/* An answer (window still shut) proves the peer alive. */
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(c->retries, 0);
	/* The window opens: the unacknowledged data goes again. */
	P.win = 8;
	peer_send(F_ACK, NULL, 0);
	advance_ms(800);
	check_pattern(expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 1024), 0);
}
END_TEST

START_TEST(test_window_update)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;

	P.win = 8; /* 8 << 7 = 1024 bytes */
	peer_send(F_ACK, NULL, 0);
	ck_assert_int_eq(send_bytes(c, 0, 3000), 0);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 1024);
	expect_none();
	P.rcv_nxt = iss + 1 + 1024;
	P.win = 16;
	peer_send(F_ACK, NULL, 0);
	check_pattern(expect_seg(F_ACK, iss + 1 + 1024, P.snd_nxt, 1448), 1024);
	check_pattern(expect_seg(F_ACK | F_PSH, iss + 1 + 2472, P.snd_nxt, 528), 2472);
	expect_none();
}
END_TEST

START_TEST(test_ooo_sack)
{
	uint32_t iss = open_passive(true);
	uint32_t base = P.snd_nxt;
	uint8_t a[100], b[100];
	struct tseg *s;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	inject(F_ACK, base + 100, iss + 1, b, 100, NULL);
	s = expect_seg(F_ACK, iss + 1, base, 0);
	ck_assert_uint_eq(s->o.n_sack, 1);
	ck_assert_uint_eq(s->o.sack[0][0], base + 100);
	ck_assert_uint_eq(s->o.sack[0][1], base + 200);
	ck_assert_uint_eq(ev.rx_len, 0);
	/* The same segment again is held already. */
	inject(F_ACK, base + 100, iss + 1, b, 100, NULL);
	expect_seg(F_ACK, iss + 1, base, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_ooo_dup), 1);
	/* The hole fills: both delivered in order and ACKed at once. */
	inject(F_ACK, base, iss + 1, a, 100, NULL);
	s = expect_seg(F_ACK, iss + 1, base + 200, 0);
	ck_assert_uint_eq(s->o.n_sack, 0);
	ck_assert_uint_eq(ev.rx_len, 200);
	ck_assert_int_eq(memcmp(ev.rx, a, 100), 0);
	ck_assert_int_eq(memcmp(ev.rx + 100, b, 100), 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_ooo_queued), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_ooo_merged), 1);
	expect_accounted();
}
END_TEST

/*
 * Frames never outgrow the MTU when SACK blocks ride on data: with three
 * holes in what we received, new segments shrink to leave the blocks room
 * (the peer learns our holes from them); resends fit as well.
 */
START_TEST(test_sack_blocks_fit_mss)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;
	uint32_t base = P.snd_nxt, mss = c->mss;
	uint8_t b[100];
	struct tseg *s;

	memset(b, 'b', sizeof(b));
	for (unsigned i = 0; i < 3; i++) {
		inject(F_ACK, base + 200 * (i + 1), iss + 1, b, 100, NULL);
		out_next();
	}
	ck_assert_uint_eq(c->n_ooo, 3);
	ck_assert_int_eq(send_bytes(c, 0, 2 * mss), 0);
	s = out_next();
	ck_assert_uint_eq(s->o.n_sack, 3);
	ck_assert_uint_eq(s->len, mss - (4 + 3 * 8));
	while (out_pending() > 0) {
		s = out_next();
		ck_assert_uint_le(s->len + (s->o.n_sack ? 4 + 8 * s->o.n_sack : 0), mss);
	}
	/* What the RTO resends fits too. */
	advance_ms(1000);
	ck_assert_uint_gt(out_pending(), 0);
	while (out_pending() > 0) {
		s = out_next();
		ck_assert_uint_le(s->len + (s->o.n_sack ? 4 + 8 * s->o.n_sack : 0), mss);
	}
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 1);
}
END_TEST

START_TEST(test_ooo_bound_and_overlap)
{
	uint32_t iss = open_passive(true);
	uint32_t base = P.snd_nxt;
	uint8_t d[64];

	for (unsigned i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	/* Nine islands of 10 bytes with 10-byte holes: 8 fit. */
	for (unsigned i = 1; i <= 9; i++)
		inject(F_ACK, base + 20 * i, iss + 1, d, 10, NULL);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_ooo_queued), 8);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_ooo_full), 1);
	ck_assert_uint_eq(ev.conn->n_ooo, 8);
	out_clear();
	/* One segment covering [base, base + 64) overlaps three islands; all in order after. */
	inject(F_ACK, base, iss + 1, d, 64, NULL);
	ck_assert_uint_eq(ev.conn->rcv_nxt, base + 70);
	ck_assert_uint_eq(ev.rx_len, 70);
	ck_assert_int_eq(memcmp(ev.rx, d, 64), 0);
	ck_assert_int_eq(memcmp(ev.rx + 64, d + 4, 6), 0); /* the tail of island 3 */
	ck_assert_uint_eq(ev.conn->n_ooo, 5);
	expect_seg(F_ACK, iss + 1, base + 70, 0);
	expect_accounted();
}
END_TEST

/* A run of segments after one hole takes one queue entry; the hole filled, all go up in order. */
START_TEST(test_ooo_coalesce)
{
	uint32_t iss = open_passive(true);
	uint32_t base = P.snd_nxt;
	uint8_t d[100];

	/* Out of order within the run too: 3, 5, 4, then 2..20 except 1. */
	static const unsigned order[] = {3,  5,  4,  2,  6,  7,  8,  9,  10, 11,
	                                 12, 13, 14, 15, 16, 17, 18, 19, 20};

	for (unsigned k = 0; k < RTE_DIM(order); k++) {
		memset(d, (int)order[k], sizeof(d));
		inject(F_ACK, base + 100 * (order[k] - 1), iss + 1, d, 100, NULL);
	}
	ck_assert_uint_eq(ev.conn->n_ooo, 1);
	ck_assert_uint_eq(ev.conn->ooo[0].len, 1900);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_ooo_full), 0);
	out_clear();
	memset(d, 1, sizeof(d));
	inject(F_ACK, base, iss + 1, d, 100, NULL);
	expect_seg(F_ACK, iss + 1, base + 2000, 0);
	ck_assert_uint_eq(ev.rx_len, 2000);
	for (unsigned i = 0; i < 2000; i++)
		ck_assert_uint_eq(ev.rx[i], i / 100 + 1);
	ck_assert_uint_eq(ev.conn->n_ooo, 0);
	expect_accounted();
}
END_TEST

START_TEST(test_paws)
{
	uint32_t iss = open_passive(true);
	struct topts o = {.ts_on = true, .tsval = P.tsval - 100, .tsecr = P.tsecr};

	inject(F_ACK, P.snd_nxt, iss + 1, "old", 3, &o);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(ev.rx_len, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_paws), 1);
	/* A current timestamp is fine. */
	peer_send(F_ACK, "new", 3);
	ck_assert_uint_eq(ev.rx_len, 3);
	expect_accounted();
}
END_TEST

START_TEST(test_send_backpressure)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;

	ck_assert_int_eq(send_bytes(c, 0, 5000), 0);
	ck_assert_int_eq(send_bytes(c, 5000, 10), -EAGAIN);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_send_eagain), 1);
	ck_assert_uint_eq(ev.writables, 0);
	out_clear();
	P.rcv_nxt = iss + 1 + 1448;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.writables, 1);
	P.rcv_nxt = iss + 1 + 2 * 1448;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.writables, 1); /* once per -EAGAIN */
	out_clear();
}
END_TEST

START_TEST(test_retransmit_after_partial_ack)
{
	uint32_t iss = open_passive(true);
	struct mg_tcp_conn *c = ev.conn;

	ck_assert_int_eq(send_bytes(c, 0, 3000), 0);
	out_clear();
	P.rcv_nxt = iss + 1 + 1000; /* mid-segment */
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(mg_tcp_sndq_bytes(c), 2000);
	advance_ms(200);
	check_pattern(expect_seg(F_ACK, iss + 1 + 1000, P.snd_nxt, 1448), 1000);
	expect_none();
}
END_TEST

static void setup_sndbuf(void)
{
	tconf.sndbuf = 4000;
	tcp_setup();
}

TCase *tcase_data(void)
{
	TCase *tc = tcase_create("data");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_rx_quickack_delack);
	tcase_add_test(tc, test_tx_data);
	tcase_add_test(tc, test_rto_backoff);
	tcase_add_test(tc, test_rto_give_up);
	tcase_add_test(tc, test_fast_retransmit);
	tcase_add_test(tc, test_zero_window_persist);
	tcase_add_test(tc, test_window_update);
	tcase_add_test(tc, test_rto_zero_window_in_flight);
	tcase_add_test(tc, test_ooo_sack);
	tcase_add_test(tc, test_sack_blocks_fit_mss);
	tcase_add_test(tc, test_ooo_bound_and_overlap);
	tcase_add_test(tc, test_paws);
	tcase_add_test(tc, test_ooo_coalesce);
	tcase_add_test(tc, test_retransmit_after_partial_ack);
	return tc;
}

TCase *tcase_backpressure(void);
TCase *tcase_backpressure(void)
{
	TCase *tc = tcase_create("backpressure");

	tcase_add_checked_fixture(tc, setup_sndbuf, tcp_teardown);
	tcase_add_test(tc, test_send_backpressure);
	return tc;
}

/* Receive backpressure: held data closes the window; recved() reopens it with an ACK. */
START_TEST(test_rcv_window)
{
	static uint8_t d[4096];
	uint32_t iss = open_passive(false);
	struct tseg *s;

	ev.hold = true;
	peer_send(F_ACK, d, 1000);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(s->win, 3096);
	peer_send(F_ACK, d, 1548);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(s->win, 1548);
	peer_send(F_ACK, d, 1548);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(s->win, 0);
	/* Beyond the closed window: not taken, ACK with window 0. */
	inject(F_ACK, P.snd_nxt, iss + 1, d, 10, NULL);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(s->win, 0);
	ck_assert_uint_eq(ev.rx_len, 4096);
	/* The application lets go of 1000 bytes: the window opens at once. */
	mg_tcp_stream_ops.recved(ev.conn, 1000);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(s->win, 1000);
	/* A little more is not worth an ACK of its own. */
	mg_tcp_stream_ops.recved(ev.conn, 100);
	expect_none();
	peer_send(F_ACK, d, 1000);
	s = expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(s->win, 100);
	ck_assert_uint_eq(ev.rx_len, 5096);
	expect_accounted();
}
END_TEST

/*
 * Segments we cannot take still bring their ACK (RFC 9293 3.10.7.4): data
 * into our closed window, and an old duplicate, each acknowledge what we
 * sent; a segment far outside the window does not.
 */
START_TEST(test_ack_from_unacceptable)
{
	static uint8_t d[2048];
	uint32_t iss = open_passive(false);
	struct mg_tcp_conn *c = ev.conn;
	uint32_t old_seq = P.snd_nxt;

	ev.hold = true;
	peer_send(F_ACK, d, 1000);
	out_next();
	peer_send(F_ACK, d, 1548);
	out_next();
	peer_send(F_ACK, d, 1548);
	ck_assert_uint_eq(expect_seg(F_ACK, iss + 1, P.snd_nxt, 0)->win, 0);
	ck_assert_int_eq(send_bytes(c, 0, 3000), 0);
	out_next();
	out_next();
	/* Into the closed window: data dropped, the ACK of our 1000 taken. */
	inject(F_ACK, P.snd_nxt, iss + 1001, d, 10, NULL);
	ck_assert_uint_eq(c->snd_una, iss + 1001);
	ck_assert_uint_eq(ev.rx_len, 4096);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_acks_outside_window), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_out_of_window), 1);
	/* An old duplicate (the peer's retransmission) acks the rest. */
	inject(F_ACK, old_seq, iss + 3001, d, 100, NULL);
	ck_assert_uint_eq(c->snd_una, iss + 3001);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_acks_outside_window), 2);
	/* Beyond anything advertised: nothing taken from it. */
	ck_assert_int_eq(send_bytes(c, 3000, 500), 0);
	out_next();
	inject(F_ACK, P.snd_nxt + 100000, iss + 3501, NULL, 0, NULL);
	ck_assert_uint_eq(c->snd_una, iss + 3001);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_acks_outside_window), 2);
	while (out_pending() > 0)
		out_next();
}
END_TEST

static void setup_rcvbuf(void)
{
	tconf.rcvbuf = 4096;
	tcp_setup();
}

TCase *tcase_rcvwnd(void);
TCase *tcase_rcvwnd(void)
{
	TCase *tc = tcase_create("rcvwnd");

	tcase_add_checked_fixture(tc, setup_rcvbuf, tcp_teardown);
	tcase_add_test(tc, test_rcv_window);
	tcase_add_test(tc, test_ack_from_unacceptable);
	return tc;
}
