/*
 * test_services.c — the built-in services through the harness: echo (with
 * send-buffer backpressure), discard, source with a byte count and streaming.
 */
#include <errno.h>
#include <string.h>

#include "test_tcp.h"

#define ECHO_PORT    7
#define DISCARD_PORT 9
#define SOURCE_PORT  19

static uint8_t got[1 << 18];

/* Open to a service port with full options; returns our ISS. */
static uint32_t svc_open(uint16_t port)
{
	struct topts o = {.mss_on = true,
	                  .mss = 1460,
	                  .ws_on = true,
	                  .ws = 7,
	                  .sack_ok = true,
	                  .ts_on = true,
	                  .tsval = P.tsval};
	struct tseg *s;

	P.lport = port;
	P.ts = true;
	P.snd_nxt = 424242;
	inject(F_SYN, P.snd_nxt++, 0, NULL, 0, &o);
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
	P.rcv_nxt = s->seq + 1;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 1);
	return s->seq;
}

/*
 * Read what we sent in order into got[] (from *n), ACK it, repeat until
 * nothing more comes; returns true if our FIN arrived.
 */
static bool drain(uint32_t *n, unsigned max_rounds)
{
	bool fin = false;

	for (unsigned r = 0; r < max_rounds; r++) {
		bool any = false;

		while (out_pending() > 0) {
			struct tseg *s = out_next();

			if (s->seq == P.rcv_nxt && s->len > 0) {
				ck_assert_uint_le(*n + s->len, sizeof(got));
				memcpy(got + *n, s->data, s->len);
				*n += s->len;
				P.rcv_nxt += s->len;
				any = true;
			}
			if ((s->flags & F_FIN) && s->seq + s->len == P.rcv_nxt - 0 && !fin) {
				P.rcv_nxt++;
				fin = true;
				any = true;
			}
		}
		if (!any)
			break;
		peer_send(F_ACK, NULL, 0);
	}
	return fin;
}

static void services_setup(void)
{
	tcp_setup();
	ck_assert_int_eq(mg_tcp_services_start(tw, ECHO_PORT, DISCARD_PORT, SOURCE_PORT), 0);
	ck_assert_int_eq(mg_tcp_services_start(tw, ECHO_PORT, 0, 0), -EADDRINUSE);
}

START_TEST(test_echo)
{
	uint32_t iss = svc_open(ECHO_PORT), n = 0;

	peer_send(F_ACK | F_PSH, "hello", 5);
	expect_seg(F_ACK | F_PSH, iss + 1, P.snd_nxt, 5);
	expect_none();
	P.rcv_nxt = iss + 6;
	peer_send(F_ACK | F_FIN, NULL, 0);
	ck_assert(drain(&n, 4));
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	expect_accounted();
}
END_TEST

START_TEST(test_echo_backpressure)
{
	static uint8_t d[1000];
	uint32_t n = 0;

	svc_open(ECHO_PORT);
	P.win = 8; /* 1 KiB: our echoes queue up */
	for (unsigned i = 0; i < 5; i++) {
		for (unsigned k = 0; k < sizeof(d); k++)
			d[k] = (uint8_t)(i * 31 + k);
		peer_send(F_ACK | F_PSH, d, sizeof(d));
	}
	ck_assert_uint_ge(tcnt(MG_TCP_IDX_send_eagain), 1);
	P.win = 65535;
	peer_send(F_ACK | F_FIN, NULL, 0);
	ck_assert(drain(&n, 64));
	ck_assert_uint_eq(n, 5000);
	for (unsigned i = 0; i < 5; i++)
		for (unsigned k = 0; k < sizeof(d); k++)
			ck_assert_uint_eq(got[i * 1000 + k], (uint8_t)(i * 31 + k));
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_discard)
{
	uint32_t iss = svc_open(DISCARD_PORT), n = 0;

	peer_send(F_ACK | F_PSH, "drop me", 7);
	expect_seg(F_ACK, iss + 1, P.snd_nxt, 0);
	peer_send(F_ACK | F_FIN, NULL, 0);
	expect_seg(F_ACK | F_FIN, iss + 1, P.snd_nxt, 0);
	P.rcv_nxt = iss + 2;
	peer_send(F_ACK, NULL, 0);
	ck_assert(!drain(&n, 2));
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_source_count)
{
	uint32_t n = 0;

	svc_open(SOURCE_PORT);
	peer_send(F_ACK | F_PSH, "100000\n", 7);
	ck_assert(drain(&n, 200));
	ck_assert_uint_eq(n, 100000);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], mg_tcp_source_byte(i));
	/* Our FIN came after the last byte; the peer closes too. */
	peer_send(F_ACK | F_FIN, NULL, 0);
	out_clear();
	advance_ms(60000);
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_source_stream)
{
	uint32_t n = 0;

	svc_open(SOURCE_PORT);
	peer_send(F_ACK | F_PSH, "go", 2);
	ck_assert(!drain(&n, 8));
	ck_assert_uint_ge(n, 150000);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], mg_tcp_source_byte(i));
	/* The peer resets: everything is freed (the teardown checks the pool). */
	inject(F_RST, P.snd_nxt, 0, NULL, 0, &(struct topts){0});
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

START_TEST(test_source_zero)
{
	uint32_t n = 0;

	svc_open(SOURCE_PORT);
	peer_send(F_ACK | F_PSH, "0\n", 2);
	ck_assert(drain(&n, 4));
	ck_assert_uint_eq(n, 0);
}
END_TEST

static void services_setup_small(void)
{
	tconf.sndbuf = 2000;
	services_setup();
}

TCase *tcase_services_bp(void);
TCase *tcase_services_bp(void)
{
	TCase *tc = tcase_create("services_backpressure");

	tcase_add_checked_fixture(tc, services_setup_small, tcp_teardown);
	tcase_add_test(tc, test_echo_backpressure);
	return tc;
}

TCase *tcase_services(void)
{
	TCase *tc = tcase_create("services");

	tcase_add_checked_fixture(tc, services_setup, tcp_teardown);
	tcase_add_test(tc, test_echo);
	tcase_add_test(tc, test_discard);
	tcase_add_test(tc, test_source_count);
	tcase_add_test(tc, test_source_stream);
	tcase_add_test(tc, test_source_zero);
	return tc;
}
