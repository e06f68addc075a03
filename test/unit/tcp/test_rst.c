/*
 * test_rst.c — RST in every synchronized state (RFC 5961: exact sequence
 * number resets, in-window draws a challenge ACK, outside the window is
 * ignored), SYN in a synchronized state, abort, RST from on_data.
 */
#include <errno.h>

#include "test_tcp.h"

enum how { EXACT, IN_WINDOW, OUTSIDE };

/* Bring a passive connection to state s; returns it. */
static struct mg_tcp_conn *reach(enum mg_tcp_state s)
{
	uint32_t iss;

	if (s == MG_TCP_SYN_RECEIVED) {
		struct tseg *sa;

		inject(F_SYN, 1000, 0, NULL, 0, &(struct topts){0});
		sa = out_next();
		P.snd_nxt = 1001;
		P.rcv_nxt = sa->seq + 1;
		return &tw->tcp->conns[0];
	}
	iss = open_passive(false);
	switch (s) {
	case MG_TCP_FIN_WAIT_1:
	case MG_TCP_FIN_WAIT_2:
	case MG_TCP_CLOSING:
	case MG_TCP_TIME_WAIT:
		mg_tcp_stream_ops.shutdown(ev.conn);
		if (s == MG_TCP_CLOSING) {
			peer_send(F_ACK | F_FIN, NULL, 0);
			break;
		}
		if (s == MG_TCP_FIN_WAIT_1)
			break;
		P.rcv_nxt = iss + 2;
		peer_send(s == MG_TCP_TIME_WAIT ? F_ACK | F_FIN : F_ACK, NULL, 0);
		break;
	case MG_TCP_CLOSE_WAIT:
	case MG_TCP_LAST_ACK:
		peer_send(F_ACK | F_FIN, NULL, 0);
		if (s == MG_TCP_LAST_ACK)
			mg_tcp_stream_ops.shutdown(ev.conn);
		break;
	default:
		break;
	}
	out_clear();
	return &tw->tcp->conns[0]; /* the first slot of the free list */
}

static const struct {
	enum mg_tcp_state state;
	int err;         /* on_close error on an exact RST */
	unsigned closes; /* on_close calls expected by the end */
} rst_cases[] = {
    {MG_TCP_SYN_RECEIVED, 0, 0},
    {MG_TCP_ESTABLISHED, -ECONNRESET, 1},
    {MG_TCP_FIN_WAIT_1, -ECONNRESET, 1},
    {MG_TCP_FIN_WAIT_2, -ECONNRESET, 1},
    {MG_TCP_CLOSE_WAIT, -ECONNRESET, 1},
    {MG_TCP_CLOSING, 0, 1},
    {MG_TCP_LAST_ACK, 0, 1},
    {MG_TCP_TIME_WAIT, 0, 1},
};

START_TEST(test_rst_states)
{
	enum mg_tcp_state st = rst_cases[_i].state;
	struct mg_tcp_conn *c = reach(st);
	uint32_t snd_nxt, rcv_nxt;

	ck_assert_msg(c->state == st, "reached %s, wanted %s", mg_tcp_state_name(c->state),
	              mg_tcp_state_name(st));
	snd_nxt = c->snd_nxt;
	rcv_nxt = c->rcv_nxt;
	/* Far outside the window: ignored, no reply. */
	inject(F_RST, rcv_nxt + 100000000, 0, NULL, 0, &(struct topts){0});
	expect_none();
	ck_assert_uint_eq(c->state, st);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_rst_out_of_window), 1);
	/* In the window but not exact: challenge ACK, connection untouched. */
	inject(F_RST, rcv_nxt + 10, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_ACK, snd_nxt, rcv_nxt, 0);
	ck_assert_uint_eq(c->state, st);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_rst_challenged), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_challenge_acks), 1);
	/* Exact: the connection goes. */
	inject(F_RST, rcv_nxt, 0, NULL, 0, &(struct topts){0});
	expect_none();
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	ck_assert_uint_eq(ev.closes, rst_cases[_i].closes);
	if (st != MG_TCP_TIME_WAIT)
		ck_assert_int_eq(ev.close_err, rst_cases[_i].err);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rst_in), 1);
	ck_assert_uint_eq(tw->tcp->listeners[0].n_syn, 0);
	expect_accounted();
}
END_TEST

START_TEST(test_syn_in_established)
{
	uint32_t iss = open_passive(false);
	struct mg_tcp_conn *c = ev.conn;

	/* In the window or not, a SYN draws a challenge ACK and changes nothing (RFC 5961 4). */
	inject(F_SYN, P.snd_nxt + 5, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	inject(F_SYN, P.snd_nxt - 1000, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(c->state, MG_TCP_ESTABLISHED);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_syn_challenged), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_out_of_window), 1);
	expect_none();
	expect_accounted();
}
END_TEST

START_TEST(test_out_of_window_data)
{
	uint32_t iss = open_passive(false);

	inject(F_ACK, P.snd_nxt + 70000, iss + 1, "x", 1, NULL);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	/* ACK of data we never sent: ACK back, drop. */
	inject(F_ACK, P.snd_nxt, iss + 500, "y", 1, NULL);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(ev.rx_len, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_ack_unsent), 1);
	/* No ACK flag: dropped without reply. */
	inject(F_PSH, P.snd_nxt, 0, "z", 1, NULL);
	expect_none();
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_no_ack), 1);
	expect_accounted();
}
END_TEST

/* RFC 5961 5.2: an ACK far below snd_una (blind injection) draws a challenge ACK; data dropped. */
START_TEST(test_ack_too_old)
{
	uint32_t iss = open_passive(false);

	inject(F_ACK, P.snd_nxt, iss + 1 - 10000000, "evil", 4, NULL);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(ev.rx_len, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_ack_too_old), 1);
	expect_accounted();
}
END_TEST

/* RFC 5961 7: at most 1000 challenge ACKs a second. */
START_TEST(test_challenge_rate_limit)
{
	uint32_t iss = open_passive(false);
	uint32_t rcv_nxt = ev.conn->rcv_nxt;

	for (unsigned i = 0; i < 1001; i++)
		inject(F_RST, rcv_nxt + 10, 0, NULL, 0, &(struct topts){0});
	ck_assert_uint_eq(out_pending(), 1000);
	out_clear();
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_challenge_acks_limited), 1);
	advance_ms(1000);
	inject(F_RST, rcv_nxt + 10, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_ACK, iss + 1, rcv_nxt, 0);
	ck_assert_uint_eq(ev.conn->state, MG_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_abort)
{
	uint32_t iss = open_passive(false);

	mg_tcp_stream_ops.abort(ev.conn);
	expect_seg(F_RST | F_ACK, iss + 1, P.snd_nxt, 0);
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_int_eq(ev.close_err, -ECONNABORTED);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	/* Later segments of that 4-tuple meet no connection: RST. */
	peer_send(F_ACK, "x", 1);
	expect_seg(F_RST, iss + 1, 0, 0);
}
END_TEST

START_TEST(test_abort_in_callback)
{
	uint32_t iss = open_passive(false);

	ev.abort_on_data = true;
	peer_send(F_ACK | F_PSH, "boom", 4);
	expect_seg(F_RST | F_ACK, iss + 1, P.snd_nxt, 0);
	expect_none();
	ck_assert_uint_eq(ev.closes, 1);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	expect_accounted();
}
END_TEST

TCase *tcase_rst(void)
{
	TCase *tc = tcase_create("rst");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_loop_test(tc, test_rst_states, 0, (int)RTE_DIM(rst_cases));
	tcase_add_test(tc, test_syn_in_established);
	tcase_add_test(tc, test_out_of_window_data);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_ack_too_old);
	tcase_add_test(tc, test_challenge_rate_limit);
	tcase_add_test(tc, test_abort_in_callback);
	return tc;
}
