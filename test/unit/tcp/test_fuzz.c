/*
 * test_fuzz.c — a randomised segment fuzzer with a fixed seed: 50,000
 * segments with random flags, options (valid and garbage), lengths and
 * sequence/ACK numbers (near the connection's edges and anywhere), some with
 * bad checksums, against a listener and established connections, with the
 * clock jumping and the application sending, closing and aborting.
 * Asserts: no crash (ASan/UBSan build), every segment counted exactly once,
 * no mbuf leaked (teardown), connection gauges consistent.
 */
#include <string.h>

#include "test_tcp.h"

#define N_SEGS 50000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t rnd_below(uint32_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* Options: nothing, a valid set, or garbage. */
static void rnd_opts(struct topts *o)
{
	memset(o, 0, sizeof(*o));
	switch (rnd_below(4)) {
	case 0:
		break;
	case 1:
		o->mss_on = rnd_below(2);
		o->mss = (uint16_t)rnd();
		o->ws_on = rnd_below(2);
		o->ws = (uint8_t)rnd_below(20);
		o->sack_ok = rnd_below(2);
		o->ts_on = rnd_below(2);
		o->tsval = P.tsval + rnd_below(100) - 50;
		o->tsecr = rnd();
		break;
	default:
		o->raw_on = true;
		o->raw_len = (uint8_t)(4 * rnd_below(11));
		for (unsigned i = 0; i < o->raw_len; i++)
			o->raw[i] = (uint8_t)(rnd_below(3) ? rnd_below(10) : rnd());
		break;
	}
}

/* A live connection's control block, or NULL. */
static struct mg_tcp_conn *pick_conn(void)
{
	unsigned i = rnd_below(tw->tcp->conf.max_conns);
	struct mg_tcp_conn *c = &tw->tcp->conns[i];

	if (c->state == MG_TCP_CLOSED || (c->flags & MG_TCPF_FREED))
		return NULL;
	return c;
}

static uint32_t near(uint32_t x)
{
	return x + rnd_below(4000) - 2000;
}

static void fuzz_one(uint8_t *payload)
{
	struct mg_tcp_conn *c = pick_conn();
	struct topts o;
	uint8_t flags = (uint8_t)rnd_below(64);
	uint32_t seq, ack, len = rnd_below(8) == 0 ? rnd_below(1400) : rnd_below(64);
	static uint8_t f[2048];
	uint32_t n;

	if (rnd_below(3) == 0)
		flags =
		    (uint8_t)((rnd_below(2) ? F_ACK : 0) | (rnd_below(4) == 0 ? F_FIN : 0) |
		              (rnd_below(8) == 0 ? F_SYN : 0) | (rnd_below(16) == 0 ? F_RST : 0));
	if (c != NULL && rnd_below(4) != 0) {
		P.port = rte_be_to_cpu_16(c->rport);
		P.lport = rte_be_to_cpu_16(c->lport);
		seq = rnd_below(2) ? c->rcv_nxt + rnd_below(3) * len : near(c->rcv_nxt);
		ack = rnd_below(2) ? c->snd_una + rnd_below(c->snd_max - c->snd_una + 1)
		                   : near(c->snd_una);
	} else {
		P.port = (uint16_t)(PPORT + rnd_below(24));
		P.lport = rnd_below(8) ? LPORT : (uint16_t)rnd();
		seq = rnd();
		ack = rnd();
	}
	rnd_opts(&o);
	P.win = (uint16_t)(rnd_below(8) == 0 ? 0 : rnd());
	n = build_seg(f, flags, seq, ack, P.win, payload, len, &o);
	if (rnd_below(50) == 0)
		f[n - 1 - rnd_below(20)] ^= 0x5a; /* bad checksum (or a header field) */
	P.tsval++;
	inject_frame(f, n);
}

/* What the application does now and then. */
static void fuzz_app(void)
{
	struct mg_tcp_conn *c = pick_conn();

	if (c == NULL || c->cbs != &test_cbs || (c->flags & MG_TCPF_USER_GONE))
		return;
	switch (rnd_below(10)) {
	case 0:
		mg_tcp_stream_ops.abort(c);
		break;
	case 1:
		mg_tcp_stream_ops.close(c);
		break;
	case 2:
		(void)mg_tcp_stream_ops.shutdown(c);
		break;
	default:
		(void)send_bytes(c, rnd(), rnd_below(5000));
		break;
	}
}

START_TEST(test_fuzz_segments)
{
	static uint8_t payload[1500];
	uint32_t in_before, n_syn = 0;

	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	open_passive(true);
	in_before = (uint32_t)tcnt(MG_TCP_IDX_seg_in);
	for (unsigned i = 0; i < N_SEGS; i++) {
		fuzz_one(payload);
		if (rnd_below(20) == 0)
			fuzz_app();
		if (rnd_below(10) == 0)
			advance_ms(rnd_below(8) == 0 ? rnd_below(70000) : rnd_below(300));
		if (rnd_below(200) == 0) { /* a well-behaved client now and then */
			P.port = (uint16_t)(PPORT + 100 + rnd_below(1000));
			P.lport = LPORT;
			inject(F_SYN, rnd(), 0, NULL, 0, &(struct topts){0});
			n_syn++;
		}
		out_clear();
		expect_accounted();
	}
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_seg_in) - in_before, N_SEGS + n_syn);
	/* Gauges add up to the blocks in use. */
	{
		uint32_t sum = 0;

		for (unsigned s = 0; s < MG_TCP_N_STATES; s++)
			sum += tw->tcp->n_state[s];
		ck_assert_uint_eq(sum, tw->tcp->n_used);
	}
	/* Abort what the application still holds, let every timer run out: all must go. */
	for (unsigned i = 0; i < tw->tcp->conf.max_conns; i++) {
		struct mg_tcp_conn *c = &tw->tcp->conns[i];

		if (c->state != MG_TCP_CLOSED && (c->flags & MG_TCPF_OPENED))
			mg_tcp_stream_ops.abort(c);
	}
	for (unsigned k = 0; k < 3000 && tw->tcp->n_used > 0; k++) {
		advance_ms(1000);
		out_clear();
	}
	ck_assert_uint_eq(tw->tcp->n_used, 0);
}
END_TEST

TCase *tcase_fuzz(void)
{
	TCase *tc = tcase_create("fuzz");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fuzz_segments);
	return tc;
}
