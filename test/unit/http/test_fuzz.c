/*
 * test_fuzz.c — a seeded mutation fuzzer: 20,000 inputs made from the valid
 * messages (test_valid.c) and the pipelined/chunked ones below by flipping,
 * inserting, deleting and duplicating bytes and splicing in framing lines,
 * each parsed whole and cut into 1-8 random segments (each its own heap
 * block, so ASan catches a read past the data), then EOF.
 * Asserts: no crash; every reference inside the data (the recorder's
 * checks); the split transcript equals the whole one; the outcome is
 * complete messages and a clean EOF, a tunnel, or one named error counted
 * once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_http.h"
#include "test_valid.h"

#define N_INPUTS 20000
#define MAX_IN   2048

static uint64_t rng = 0x2545f4914f6cdd1dull;

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

static const char *const splices[] = {
    "\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Content-Length: 5\r\n",
    "Content-Length: 0\r\n",
    "Transfer-Encoding: gzip\r\n",
    "Connection: close, upgrade\r\n",
    "Upgrade: websocket\r\n",
    "Host: h\r\n",
    "Expect: 100-continue\r\n",
    " folded\r\n",
    "0\r\n\r\n",
    "5;a=\"b\"\r\nhello\r\n",
    "ffffffffffffffffff\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
};

static const char interesting[] = {'\r', '\n', ' ',        '\t',       ':',  ',', ';',
                                   '0',  '\0', '"',        'a',        '\\', '=', 'f',
                                   '/',  '%',  (char)0x80, (char)0xff, 0x7f};

static uint32_t mutate(char *b, uint32_t n)
{
	unsigned k = 1 + rnd_below(3);

	for (unsigned j = 0; j < k; j++) {
		uint32_t at = rnd_below(n + 1);

		switch (rnd_below(5)) {
		case 0: /* replace a byte */
			if (n > 0)
				b[rnd_below(n)] = rnd_below(2)
				                      ? interesting[rnd_below(sizeof(interesting))]
				                      : (char)rnd();
			break;
		case 1: /* insert a byte */
			if (n + 1 < MAX_IN) {
				memmove(b + at + 1, b + at, n - at);
				b[at] = interesting[rnd_below(sizeof(interesting))];
				n++;
			}
			break;
		case 2: /* delete a range */
			if (at < n) {
				uint32_t l = 1 + rnd_below(RTE_MIN(8u, n - at));

				memmove(b + at, b + at + l, n - at - l);
				n -= l;
			}
			break;
		case 3: { /* splice a line */
			const char *s = splices[rnd_below(RTE_DIM(splices))];
			uint32_t l = (uint32_t)strlen(s);

			if (n + l < MAX_IN) {
				memmove(b + at + l, b + at, n - at);
				memcpy(b + at, s, l);
				n += l;
			}
			break;
		}
		default: /* duplicate a range */
			if (at < n) {
				uint32_t l = 1 + rnd_below(RTE_MIN(32u, n - at));

				if (n + l < MAX_IN) {
					memmove(b + at + l, b + at, n - at);
					n += l;
				}
			}
			break;
		}
	}
	return n;
}

START_TEST(test_fuzz)
{
	static char in[MAX_IN], whole[T_MAX], split[T_MAX];
	static const enum mg_h1_method meths[] = {MG_H1_M_GET, MG_H1_M_HEAD, MG_H1_M_CONNECT,
	                                          MG_H1_M_POST};
	unsigned outcomes[4] = {0};

	for (unsigned it = 0; it < N_INPUTS; it++) {
		const struct valid_msg *v = &valid_msgs[rnd_below(n_valid_msgs)];
		uint32_t n = (uint32_t)strlen(v->text), cuts[8];
		unsigned nc = rnd_below(8), nm = 1 + rnd_below(3);
		enum mg_h1_method m[3];
		struct mg_h1_conf conf = {0};
		enum mg_h1_err e;

		memcpy(in, v->text, n);
		n = mutate(in, n);
		for (unsigned i = 0; i < nm; i++)
			m[i] = meths[rnd_below(RTE_DIM(meths))];
		if (rnd_below(4) == 0) { /* tight limits now and then */
			conf.max_head_bytes = 16 + rnd_below(200);
			conf.max_headers = (uint16_t)(1 + rnd_below(5));
		}
		for (unsigned i = 0; i < nc; i++)
			cuts[i] = rnd_below(n + 1);
		for (unsigned i = 1; i < nc; i++) /* sort the few cuts */
			for (unsigned j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				uint32_t t = cuts[j];

				cuts[j] = cuts[j - 1];
				cuts[j - 1] = t;
			}
		run_split(v->kind, &conf, m, nm, in, n, NULL, 0, true, whole);
		run_split(v->kind, &conf, m, nm, in, n, cuts, nc, true, split);
		ck_assert_msg(strcmp(whole, split) == 0,
		              "input %u: split differs:\n%s\n--- whole:\n%s", it, split, whole);
		e = text_err(whole);
		if (e != MG_H1_E_NONE)
			outcomes[0]++;
		else if (strstr(whole, "TUNNEL @") != NULL)
			outcomes[1]++;
		else
			outcomes[2]++;
		/* No error, no tunnel: the input ended in whole messages and a clean EOF. */
		if (e == MG_H1_E_NONE && strstr(whole, "TUNNEL @") == NULL)
			ck_assert_msg(strstr(whole, "EOF\n") != NULL, "input %u: no outcome:\n%s",
			              it, whole);
	}
	/* The mutations reach all outcomes (the fuzzer is not just producing errors). */
	ck_assert_uint_gt(outcomes[0], N_INPUTS / 10);
	ck_assert_uint_gt(outcomes[1], 10);
	ck_assert_uint_gt(outcomes[2], N_INPUTS / 20);
	printf("http fuzz: %u errors, %u tunnels, %u complete\n", outcomes[0], outcomes[1],
	       outcomes[2]);
}
END_TEST

TCase *tcase_fuzz(void)
{
	TCase *tc = tcase_create("fuzz");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_fuzz);
	return tc;
}
