/*
 * test_close.c — FIN handling: passive close (CLOSE-WAIT, LAST-ACK), active
 * close (FIN-WAIT-1/2, TIME-WAIT and its expiry), FIN+ACK in FIN-WAIT-1,
 * simultaneous close (CLOSING), FIN retransmission, data in CLOSE-WAIT, an
 * out-of-order FIN, an orphaned FIN-WAIT-2, shutdown as a half-close.
 */
#include <errno.h>

#include "test_tcp.h"

START_TEST(test_passive_close)
{
	uint32_t iss = open_passive(false);
	struct mg_tcp_conn *c = ev.conn;

	peer_send(F_ACK | F_FIN, NULL, 0);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(ev.peer_fins, 1);
	ck_assert_uint_eq(c->state, MG_TCP_CLOSE_WAIT);
	/* We may still send; then close. */
	ck_assert_int_eq(send_bytes(c, 0, 10), 0);
	expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 10);
	mg_tcp_stream_ops.close(c);
	expect_seg(F_ACK | F_FIN, iss + 11, P.snd_nxt, 0);
	ck_assert_uint_eq(c->state, MG_TCP_LAST_ACK);
	ck_assert_uint_eq(ev.closes, 0);
	P.rcv_nxt = iss + 12;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, 0);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	expect_none();
	expect_accounted();
}
END_TEST

START_TEST(test_active_close_time_wait)
{
	uint32_t iss = open_passive(false);
	struct mg_tcp_conn *c = ev.conn;

	mg_tcp_stream_ops.close(c);
	expect_seg(F_ACK | F_FIN, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(c->state, MG_TCP_FIN_WAIT_1);
	P.rcv_nxt = iss + 2;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(c->state, MG_TCP_FIN_WAIT_2);
	expect_none();
	/* Data still arrives in FIN-WAIT-2 (half-close); after close() it is dropped quietly. */
	peer_send(F_ACK, "late", 4);
	ck_assert_uint_eq(ev.rx_len, 0);
	out_clear();
	peer_send(F_ACK | F_FIN, NULL, 0);
	expect_seg(F_ACK, iss + 2, P.snd_nxt, 0);
	ck_assert_uint_eq(c->state, MG_TCP_TIME_WAIT);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, 0);
	/* A retransmitted FIN is ACKed again and restarts the 60 s. */
	advance_ms(30000);
	inject(F_ACK | F_FIN, P.snd_nxt - 1, iss + 2, NULL, 0, NULL);
	expect_seg(F_ACK, iss + 2, P.snd_nxt, 0);
	advance_ms(59999);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 1);
	advance_ms(1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 0);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	ck_assert_uint_eq(ev.closes, 1);
	expect_none();
}
END_TEST

START_TEST(test_fin_wait_1_fin_ack)
{
	uint32_t iss = open_passive(false);
	struct mg_tcp_conn *c = ev.conn;

	mg_tcp_stream_ops.shutdown(c);
	expect_seg(F_ACK | F_FIN, iss + 1, P.snd_nxt, 0);
	P.rcv_nxt = iss + 2;
	peer_send(F_ACK | F_FIN, NULL, 0);
	expect_seg(F_ACK, iss + 2, P.snd_nxt, 0);
	ck_assert_uint_eq(c->state, MG_TCP_TIME_WAIT);
	ck_assert_uint_eq(ev.peer_fins, 0); /* shutdown only: no callback for a FIN in FIN-WAIT */
	ck_assert_uint_eq(ev.closes, 1);
}
END_TEST

START_TEST(test_simultaneous_close)
{
	uint32_t iss = open_passive(false);
	struct mg_tcp_conn *c = ev.conn;

	mg_tcp_stream_ops.close(c);
	expect_seg(F_ACK | F_FIN, iss + 1, P.snd_nxt, 0);
	peer_send(F_ACK | F_FIN, NULL, 0); /* crosses ours: acks only up to iss + 1 */
	expect_seg(F_ACK, iss + 2, P.snd_nxt, 0);
	ck_assert_uint_eq(c->state, MG_TCP_CLOSING);
	P.rcv_nxt = iss + 2;
	inject(F_ACK, P.snd_nxt, P.rcv_nxt, NULL, 0, NULL);
	ck_assert_uint_eq(c->state, MG_TCP_TIME_WAIT);
	ck_assert_uint_eq(ev.closes, 1);
	expect_none();
	advance_ms(60000);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_fin_retransmit)
{
	uint32_t iss = open_passive(false);

	ck_assert_int_eq(send_bytes(ev.conn, 0, 100), 0);
	mg_tcp_stream_ops.close(ev.conn);
	expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 100);
	expect_seg(F_ACK | F_FIN, iss + 101, P.snd_nxt, 0);
	expect_none();
	/* Nothing acked: the data goes again with the FIN on it (go-back-N after RTO). */
	advance_ms(200);
	expect_seg(F_ACK | F_PSH | F_FIN, iss + 1, P.snd_nxt, 100);
	expect_none();
	/* Data acked but not the FIN: only the FIN at the next RTO (backoff reset by the ACK). */
	P.rcv_nxt = iss + 101;
	peer_send(F_ACK, NULL, 0);
	advance_ms(199);
	expect_none();
	advance_ms(1);
	expect_seg(F_ACK | F_FIN, iss + 101, P.snd_nxt, 0);
	P.rcv_nxt = iss + 102;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.conn != NULL ? ev.conn->state : 0, MG_TCP_FIN_WAIT_2);
}
END_TEST

START_TEST(test_ooo_fin)
{
	uint32_t iss = open_passive(false);
	uint32_t base = P.snd_nxt;

	inject(F_ACK | F_FIN, base + 5, iss + 1, "world", 5, NULL);
	expect_seg(F_ACK, iss + 1, base, 0);
	ck_assert_uint_eq(ev.conn->state, MG_TCP_ESTABLISHED);
	inject(F_ACK, base, iss + 1, "hello", 5, NULL);
	expect_seg(F_ACK, iss + 1, base + 11, 0);
	ck_assert_uint_eq(ev.rx_len, 10);
	ck_assert_int_eq(memcmp(ev.rx, "helloworld", 10), 0);
	ck_assert_uint_eq(ev.conn->state, MG_TCP_CLOSE_WAIT);
	ck_assert_uint_eq(ev.peer_fins, 1);
	/* A bare FIN out of order is remembered too. */
	expect_accounted();
}
END_TEST

START_TEST(test_ooo_bare_fin)
{
	uint32_t iss = open_passive(false);
	uint32_t base = P.snd_nxt;

	inject(F_ACK | F_FIN, base + 5, iss + 1, NULL, 0, NULL);
	expect_seg(F_ACK, iss + 1, base, 0);
	inject(F_ACK, base, iss + 1, "hello", 5, NULL);
	expect_seg(F_ACK, iss + 1, base + 6, 0);
	ck_assert_uint_eq(ev.conn->state, MG_TCP_CLOSE_WAIT);
}
END_TEST

START_TEST(test_orphan_fin_wait_2)
{
	uint32_t iss = open_passive(false);

	mg_tcp_stream_ops.close(ev.conn);
	expect_seg(F_ACK | F_FIN, iss + 1, P.snd_nxt, 0);
	P.rcv_nxt = iss + 2;
	peer_send(F_ACK, NULL, 0);
	advance_ms(59999);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_FIN_WAIT_2), 1);
	advance_ms(1);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	ck_assert_uint_eq(ev.closes, 1);
}
END_TEST

START_TEST(test_close_wait_close_on_fin)
{
	uint32_t iss = open_passive(false);

	ev.close_on_peer_fin = true;
	peer_send(F_ACK | F_PSH | F_FIN, "bye", 3);
	/* The ACK of the FIN rides on our FIN. */
	expect_seg(F_ACK | F_FIN, iss + 1, P.snd_nxt, 0);
	expect_none();
	ck_assert_uint_eq(ev.rx_len, 3);
	P.rcv_nxt = iss + 2;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

TCase *tcase_close(void)
{
	TCase *tc = tcase_create("close");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_passive_close);
	tcase_add_test(tc, test_active_close_time_wait);
	tcase_add_test(tc, test_fin_wait_1_fin_ack);
	tcase_add_test(tc, test_simultaneous_close);
	tcase_add_test(tc, test_fin_retransmit);
	tcase_add_test(tc, test_ooo_fin);
	tcase_add_test(tc, test_ooo_bare_fin);
	tcase_add_test(tc, test_orphan_fin_wait_2);
	tcase_add_test(tc, test_close_wait_close_on_fin);
	return tc;
}

/* Keepalive: idle 10 s: probe, then every 75 s; an answer resets; 9 unanswered: -ETIMEDOUT. */
START_TEST(test_keepalive)
{
	uint32_t iss = open_passive(false);

	advance_ms(9999);
	expect_none();
	advance_ms(1);
	expect_seg(F_ACK, iss, P.snd_nxt, 0);
	advance_ms(75000);
	expect_seg(F_ACK, iss, P.snd_nxt, 0);
	peer_send(F_ACK, NULL, 0); /* the peer answers: idle time starts again */
	advance_ms(9999);
	expect_none();
	for (unsigned i = 0; i < 9; i++) {
		advance_ms(i == 0 ? 1 : 75000);
		expect_seg(F_ACK, iss, P.snd_nxt, 0);
	}
	ck_assert_uint_eq(ev.closes, 0);
	advance_ms(74999);
	ck_assert_uint_eq(ev.closes, 0);
	advance_ms(1);
	expect_none();
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ETIMEDOUT);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_keepalive_probes), 11);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_keepalive_timeouts), 1);
}
END_TEST

static void setup_keepalive(void)
{
	tconf.keepalive_ms = 10000;
	tcp_setup();
}

TCase *tcase_keepalive(void);
TCase *tcase_keepalive(void)
{
	TCase *tc = tcase_create("keepalive");

	tcase_add_checked_fixture(tc, setup_keepalive, tcp_teardown);
	tcase_add_test(tc, test_keepalive);
	return tc;
}
