/*
 * test_open.c — connection establishment: passive with and without options,
 * active, refused, SYN and SYN-ACK retransmission with exact backoff,
 * simultaneous open, accept refusal, SYN backlog and table limits, no
 * listener.
 */
#include <errno.h>

#include "test_tcp.h"

START_TEST(test_passive_full)
{
	struct topts o = {.mss_on = true,
	                  .mss = 1460,
	                  .ws_on = true,
	                  .ws = 7,
	                  .sack_ok = true,
	                  .ts_on = true,
	                  .tsval = 777,
	                  .tsecr = 0};
	struct tseg *s;

	P.snd_nxt = 1000;
	inject(F_SYN, 1000, 0, NULL, 0, &o);
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
	ck_assert_uint_eq(s->ack, 1001);
	ck_assert(s->o.mss_on);
	ck_assert_uint_eq(s->o.mss, 1460);
	ck_assert(s->o.ws_on);
	ck_assert_uint_eq(s->o.ws, 3); /* 262144 bytes need a shift of 3 */
	ck_assert(s->o.sack_ok);
	ck_assert(s->o.ts_on);
	ck_assert_uint_eq(s->o.tsecr, 777);
	ck_assert_uint_eq(s->win, 65535);
	expect_none();
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_RECEIVED), 1);
	P.snd_nxt = 1001;
	P.rcv_nxt = s->seq + 1;
	P.ts = true;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.opens, 1);
	ck_assert_uint_eq(ev.conn->mss, 1448);
	ck_assert_uint_eq(ev.conn->snd_wscale, 7);
	ck_assert_uint_eq(ev.conn->snd_wnd, 65535u << 7);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_RECEIVED), 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_passive_opens), 1);
	expect_none();
	expect_accounted();
}
END_TEST

START_TEST(test_passive_bare)
{
	struct tseg *s;
	uint32_t iss;

	P.snd_nxt = 50;
	inject(F_SYN, 50, 0, NULL, 0, &(struct topts){0});
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
	ck_assert(s->o.mss_on);
	ck_assert(!s->o.ws_on);
	ck_assert(!s->o.sack_ok);
	ck_assert(!s->o.ts_on);
	ck_assert_uint_eq(s->win, 65535);
	iss = s->seq;
	P.snd_nxt = 51;
	P.rcv_nxt = iss + 1;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.opens, 1);
	ck_assert_uint_eq(ev.conn->mss, 536); /* no MSS option: RFC 9293 default */
	/* Data goes out in 536-byte segments, without options, window unscaled. */
	ck_assert_int_eq(send_bytes(ev.conn, 0, 600), 0);
	s = expect_seg(F_ACK, iss + 1, 51, 536);
	ck_assert(!s->o.ts_on);
	ck_assert_uint_eq(s->win, 65535);
	expect_seg(F_ACK | F_PSH, iss + 1 + 536, 51, 64);
	expect_none();
}
END_TEST

START_TEST(test_active)
{
	struct mg_tcp_conn *c = mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev);
	struct tseg *s;

	ck_assert_ptr_nonnull(c);
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN);
	ck_assert_uint_ge(s->sport, 32768);
	ck_assert_uint_le(s->sport, 60999);
	ck_assert_uint_eq(s->dport, PPORT);
	ck_assert(s->o.mss_on && s->o.ws_on && s->o.sack_ok && s->o.ts_on);
	ck_assert_uint_eq(s->o.mss, 1460);
	ck_assert_uint_eq(s->o.tsecr, 0);
	ck_assert_uint_eq(c->state, MG_TCP_SYN_SENT);
	out_clear();
	mg_tcp_stream_ops.abort(c); /* no RST in SYN-SENT */
	expect_none();
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ECONNABORTED);
	/* Now a full one. */
	memset(&ev, 0, sizeof(ev));
	c = open_active();
	ck_assert_uint_eq(c->mss, 1448);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_active_opens), 2);
}
END_TEST

/*
 * A connect timeout (a cluster's connect_timeout): the SYN is retransmitted
 * as usual, and at the timeout the open is given up with -ETIMEDOUT, long
 * before the handshake's own retries would; a connection that opens in time
 * keeps going, its timer taken over or left to fire harmlessly.
 */
START_TEST(test_active_connect_timeout)
{
	struct mg_tcp_conn *c = mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev);

	ck_assert_int_eq(mg_tcp_set_connect_timeout(c, 0), -EINVAL);
	ck_assert_int_eq(mg_tcp_set_connect_timeout(c, 2500), 0);
	out_clear();
	advance_ms(1000); /* the SYN's first retransmission */
	ck_assert_uint_eq(out_next()->flags, F_SYN);
	advance_ms(1499);
	ck_assert_uint_eq(ev.closes, 0);
	advance_ms(1);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ETIMEDOUT);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_connect_timeouts), 1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_SENT), 0);
	out_clear();
	/* In time: established, and the old timer does nothing to it. */
	memset(&ev, 0, sizeof(ev));
	c = open_active();
	ck_assert_int_eq(mg_tcp_set_connect_timeout(c, 100), -EINVAL);
	advance_ms(5000);
	ck_assert_uint_eq(ev.closes, 0);
	ck_assert_uint_eq(c->state, MG_TCP_ESTABLISHED);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_connect_timeouts), 1);
}
END_TEST

START_TEST(test_active_refused)
{
	struct mg_tcp_conn *c = mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev);
	struct tseg *s = out_next();
	uint32_t iss = s->seq;

	P.lport = s->sport;
	/* An RST whose ACK is wrong is ignored (RFC 9293 3.10.7.3). */
	inject(F_RST | F_ACK, 0, iss + 5, NULL, 0, NULL);
	ck_assert_uint_eq(c->state, MG_TCP_SYN_SENT);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_syn_sent_bad), 1);
	/* A SYN-ACK with a bad ACK draws an RST from that ACK. */
	inject(F_SYN | F_ACK, 9, iss + 7, NULL, 0, NULL);
	expect_seg(F_RST, iss + 7, 0, 0);
	inject(F_RST | F_ACK, 0, iss + 1, NULL, 0, NULL);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ECONNREFUSED);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_SENT), 0);
	expect_none();
	expect_accounted();
}
END_TEST

/* SYN retransmissions at 1, 3, 7, 15, 31, 63 s; give up at 127 s (RFC 6298 backoff, Linux's count).
 */
START_TEST(test_syn_backoff)
{
	static const unsigned at[] = {1000, 3000, 7000, 15000, 31000, 63000};
	struct mg_tcp_conn *c = mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev);
	uint32_t iss = out_next()->seq;
	uint64_t t = 0;

	ck_assert_ptr_nonnull(c);
	for (unsigned i = 0; i < RTE_DIM(at); i++) {
		advance_ms(at[i] - 1 - t);
		expect_none();
		advance_ms(1);
		t = at[i];
		expect_seg(F_SYN, iss, 0, 0);
		expect_none();
	}
	advance_ms(127000 - 1 - t);
	ck_assert_uint_eq(ev.closes, 0);
	advance_ms(1);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ETIMEDOUT);
	expect_none();
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_simultaneous_open)
{
	struct mg_tcp_conn *c = mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev);
	struct tseg *s = out_next();
	uint32_t iss = s->seq;
	struct topts o = {.mss_on = true, .mss = 1460, .ts_on = true, .tsval = 10, .tsecr = 0};

	P.lport = s->sport;
	P.ts = true;
	inject(F_SYN, 300, 0, NULL, 0, &o); /* the peer's own SYN crosses ours */
	ck_assert_uint_eq(c->state, MG_TCP_SYN_RECEIVED);
	s = expect_seg(F_SYN | F_ACK, iss, 301, 0);
	ck_assert(s->o.ts_on);
	ck_assert(!s->o.ws_on); /* the peer offered no window scaling */
	ck_assert_uint_eq(ev.opens, 0);
	o.tsval = 11;
	o.tsecr = s->o.tsval;
	o.mss_on = false;
	inject(F_SYN | F_ACK, 300, iss + 1, NULL, 0, &o);
	ck_assert_uint_eq(ev.opens, 1);
	ck_assert_uint_eq(c->state, MG_TCP_ESTABLISHED);
	expect_none();
	P.snd_nxt = 301;
	P.rcv_nxt = iss + 1;
	peer_send(F_ACK | F_PSH, "hi", 2);
	ck_assert_uint_eq(ev.rx_len, 2);
	expect_seg(F_ACK, iss + 1, 303, 0);
	expect_accounted();
}
END_TEST

START_TEST(test_accept_refused)
{
	struct tseg *s;

	ev.refuse_accept = true;
	P.snd_nxt = 10;
	inject(F_SYN, 10, 0, NULL, 0, &(struct topts){0});
	s = out_next();
	P.snd_nxt = 11;
	P.rcv_nxt = s->seq + 1;
	peer_send(F_ACK, NULL, 0);
	expect_seg(F_RST | F_ACK, s->seq + 1, 11, 0);
	ck_assert_uint_eq(ev.opens, 0);
	ck_assert_uint_eq(ev.closes, 0);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	ck_assert_uint_eq(tw->tcp->listeners[0].n_syn, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rst_out_accept), 1);
}
END_TEST

START_TEST(test_synack_retransmit)
{
	static const unsigned at[] = {1000, 3000, 7000, 15000, 31000};
	struct tseg *s;
	uint32_t iss;
	uint64_t t = 0;

	inject(F_SYN, 10, 0, NULL, 0, &(struct topts){0});
	s = out_next();
	iss = s->seq;
	/* The peer did not get it and sends its SYN again: the SYN-ACK again, nothing new. */
	inject(F_SYN, 10, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_SYN | F_ACK, iss, 11, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_syn_dup), 1);
	for (unsigned i = 0; i < RTE_DIM(at); i++) {
		advance_ms(at[i] - 1 - t);
		expect_none();
		advance_ms(1);
		t = at[i];
		expect_seg(F_SYN | F_ACK, iss, 11, 0);
	}
	advance_ms(63000 - t);
	expect_none();
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	ck_assert_uint_eq(tw->tcp->listeners[0].n_syn, 0);
	ck_assert_uint_eq(ev.closes, 0); /* never opened: no callback */
}
END_TEST

START_TEST(test_syn_backlog)
{
	for (unsigned i = 0; i < 3; i++) {
		P.port = (uint16_t)(PPORT + i);
		inject(F_SYN, 10, 0, NULL, 0, &(struct topts){0});
	}
	ck_assert_uint_eq(out_pending(), 2);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_syn_backlog_full), 1);
	expect_accounted();
}
END_TEST

START_TEST(test_table_full)
{
	for (unsigned i = 0; i < 5; i++) {
		P.port = (uint16_t)(PPORT + i);
		inject(F_SYN, 10, 0, NULL, 0, &(struct topts){0});
	}
	ck_assert_uint_eq(out_pending(), 4);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_table_full), 1);
	ck_assert_ptr_null(mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev));
	ck_assert_int_eq(errno, ENOBUFS);
	expect_accounted();
}
END_TEST

START_TEST(test_no_listener)
{
	P.lport = 81;
	inject(F_SYN, 100, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_RST | F_ACK, 0, 101, 0);
	inject(F_ACK, 100, 5555, NULL, 0, NULL);
	expect_seg(F_RST, 5555, 0, 0);
	inject(F_ACK | F_FIN, 100, 5555, "abc", 3, NULL);
	expect_seg(F_RST, 5555, 0, 0);
	inject(F_RST, 100, 0, NULL, 0, NULL);
	expect_none();
	inject(F_PSH, 100, 0, "abc", 3, NULL); /* no ACK: RST|ACK acking data and FIN */
	expect_seg(F_RST | F_ACK, 0, 103, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_no_listener), 5);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rst_out_no_conn), 4);
	/* A non-SYN to the listener's port: RST too. */
	P.lport = LPORT;
	inject(F_ACK, 100, 42, NULL, 0, NULL);
	expect_seg(F_RST, 42, 0, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_listen_bad), 1);
	expect_accounted();
}
END_TEST

static void setup_backlog(void)
{
	tconf.syn_backlog = 2;
	tconf.no_syncookies = true; /* SYN cookies have their tests (test_syncookie.c) */
	tcp_setup();
}

static void setup_small(void)
{
	tconf.max_conns = 4;
	tcp_setup();
}

TCase *tcase_open(void)
{
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_passive_full);
	tcase_add_test(tc, test_passive_bare);
	tcase_add_test(tc, test_active);
	tcase_add_test(tc, test_active_connect_timeout);
	tcase_add_test(tc, test_active_refused);
	tcase_add_test(tc, test_syn_backoff);
	tcase_add_test(tc, test_simultaneous_open);
	tcase_add_test(tc, test_accept_refused);
	tcase_add_test(tc, test_synack_retransmit);
	tcase_add_test(tc, test_no_listener);
	return tc;
}

TCase *tcase_limits(void);
TCase *tcase_limits(void)
{
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup_backlog, tcp_teardown);
	tcase_add_test(tc, test_syn_backlog);
	return tc;
}

TCase *tcase_limits2(void);
TCase *tcase_limits2(void)
{
	TCase *tc = tcase_create("limits2");

	tcase_add_checked_fixture(tc, setup_small, tcp_teardown);
	tcase_add_test(tc, test_table_full);
	return tc;
}
