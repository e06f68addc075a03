/*
 * test_syncookie.c — SYN cookies (dataplane/tcp/tcp_syncookie.c): with the
 * listener's backlog full, a SYN gets a SYN-ACK whose ISS is a cookie and no
 * state; the peer's ACK rebuilds the connection with what the cookie (and,
 * with timestamps, our echoed TSval) carried; wrong and stale cookies are
 * refused.
 */
#include "test_tcp.h"

/* Backlog 1: the second concurrent SYN is answered with a cookie. */
static void setup_cookies(void)
{
	tconf.syn_backlog = 1;
	tcp_setup();
}

/* The next segment is a SYN-ACK acking ack (its seq is the ISS, whatever it is). */
static struct tseg *synack(uint32_t ack)
{
	struct tseg *t = out_next();

	ck_assert_uint_eq(t->flags, F_SYN | F_ACK);
	ck_assert_uint_eq(t->ack, ack);
	return t;
}

/* Fill the backlog with one half-open connection from PPORT. */
static void fill_backlog(void)
{
	P.port = PPORT;
	inject(F_SYN, 10, 0, NULL, 0, &(struct topts){.mss_on = true, .mss = 1460});
	synack(11);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_RECEIVED), 1);
}

START_TEST(test_cookie_full_options)
{
	struct topts syn = {.mss_on = true,
	                    .mss = 1460,
	                    .ws_on = true,
	                    .ws = 7,
	                    .sack_ok = true,
	                    .ts_on = true,
	                    .tsval = 5000};
	struct tseg *sa;
	uint32_t cookie, tsval;
	struct mg_tcp_conn *c;

	fill_backlog();
	P.port = PPORT + 1;
	inject(F_SYN, 1000, 0, NULL, 0, &syn);
	sa = synack(1001);
	cookie = sa->seq;
	tsval = sa->o.tsval;
	ck_assert(sa->o.ts_on && sa->o.ws_on && sa->o.sack_ok && sa->o.mss_on);
	ck_assert_uint_eq(cookie & 3, 3);          /* 1460 is the table's last entry */
	ck_assert_uint_eq(tsval & 0x1f, 0x10 | 7); /* SACK and scale 7 in the TSval */
	ck_assert_uint_eq(sa->o.tsecr, 5000);
	/* No state: still only the first half-open connection. */
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_RECEIVED), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_syncookies_sent), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_conn_closed), 0);

	/* The ACK, with data, makes the connection. */
	inject(F_ACK | F_PSH, 1001, cookie + 1, "hello", 5,
	       &(struct topts){.ts_on = true, .tsval = 5001, .tsecr = tsval});
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_syncookies_validated), 1);
	ck_assert_uint_eq(ev.opens, 1);
	ck_assert_uint_eq(ev.rx_len, 5);
	ck_assert_mem_eq(ev.rx, "hello", 5);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_RECEIVED), 1); /* the first one still */
	c = ev.conn;
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->snd_wscale, 7);
	ck_assert(c->flags & MG_TCPF_SACK);
	ck_assert(c->flags & MG_TCPF_TS);
	ck_assert_uint_eq(c->mss, 1460 - 12);
	/* Data back: sequence numbers continue from the cookie, TSvals from the echoed one. */
	out_clear();
	ck_assert_int_eq(send_bytes(c, 0, 100), 0);
	advance_ms(1);
	sa = expect_seg(F_ACK | F_PSH, cookie + 1, 1006, 100);
	ck_assert(sa->o.ts_on);
	ck_assert_uint_ge(sa->o.tsval - tsval, 0);
	ck_assert_uint_lt(sa->o.tsval - tsval, 1000);
	expect_accounted();
}
END_TEST

/* Without timestamps only the MSS survives (rounded down to the table). */
START_TEST(test_cookie_bare)
{
	struct tseg *sa;
	uint32_t cookie;
	struct mg_tcp_conn *c;

	fill_backlog();
	P.port = PPORT + 1;
	inject(
	    F_SYN, 1000, 0, NULL, 0,
	    &(struct topts){.mss_on = true, .mss = 1400, .ws_on = true, .ws = 5, .sack_ok = true});
	sa = synack(1001);
	cookie = sa->seq;
	ck_assert_uint_eq(cookie & 3, 1); /* 1400 rounds down to 1300 */
	inject(F_ACK, 1001, cookie + 1, NULL, 0, &(struct topts){0});
	ck_assert_uint_eq(ev.opens, 1);
	c = ev.conn;
	ck_assert_uint_eq(c->mss, 1300);
	ck_assert(!(c->flags & (MG_TCPF_TS | MG_TCPF_WS | MG_TCPF_SACK)));
	ck_assert_uint_eq(c->snd_wscale, 0);
	expect_accounted();
}
END_TEST

/* A wrong cookie is refused with an RST; nothing is created. */
START_TEST(test_cookie_wrong)
{
	struct tseg *sa;

	fill_backlog();
	P.port = PPORT + 1;
	inject(F_SYN, 1000, 0, NULL, 0, &(struct topts){.mss_on = true, .mss = 1460});
	sa = synack(1001);
	inject(F_ACK, 1001, sa->seq + 2, NULL, 0, &(struct topts){0});
	expect_seg(F_RST, sa->seq + 2, 0, 0);
	/* The right ACK number from another peer port: the hash covers the tuple. */
	P.port = PPORT + 2;
	inject(F_ACK, 1001, sa->seq + 1, NULL, 0, &(struct topts){0});
	expect_seg(F_RST, sa->seq + 1, 0, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_syncookies_failed), 2);
	ck_assert_uint_eq(ev.opens, 0);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 0);
	expect_accounted();
}
END_TEST

/* A cookie is good for its period and the next: three periods later it is not. */
START_TEST(test_cookie_stale)
{
	struct tseg *sa;
	uint32_t cookie;

	fill_backlog();
	P.port = PPORT + 1;
	inject(F_SYN, 1000, 0, NULL, 0, &(struct topts){.mss_on = true, .mss = 1460});
	sa = synack(1001);
	cookie = sa->seq;
	advance_ms(3u * 65536u);
	out_clear();
	/* Cookies still being sent (a fresh one now), the old one is refused. */
	P.port = PPORT + 3;
	inject(F_SYN, 2000, 0, NULL, 0, &(struct topts){.mss_on = true, .mss = 1460});
	synack(2001);
	P.port = PPORT + 1;
	inject(F_ACK, 1001, cookie + 1, NULL, 0, &(struct topts){0});
	expect_seg(F_RST, cookie + 1, 0, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_syncookies_failed), 1);
	ck_assert_uint_eq(ev.opens, 0);
	expect_accounted();
}
END_TEST

/* While no cookie has been sent, an ACK to the listener is not taken for one. */
START_TEST(test_cookie_quiet_listener)
{
	P.port = PPORT + 1;
	inject(F_ACK, 1001, 0x12345679, NULL, 0, &(struct topts){0});
	expect_seg(F_RST, 0x12345679, 0, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_syncookies_failed), 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_listen_bad), 1);
	expect_accounted();
}
END_TEST

TCase *tcase_syncookie(void);
TCase *tcase_syncookie(void)
{
	TCase *tc = tcase_create("syncookie");

	tcase_add_checked_fixture(tc, setup_cookies, tcp_teardown);
	tcase_add_test(tc, test_cookie_full_options);
	tcase_add_test(tc, test_cookie_bare);
	tcase_add_test(tc, test_cookie_wrong);
	tcase_add_test(tc, test_cookie_stale);
	tcase_add_test(tc, test_cookie_quiet_listener);
	return tc;
}
