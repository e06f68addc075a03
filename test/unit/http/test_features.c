/*
 * test_features.c — behaviour beyond single messages: the parser stopping
 * at each pipelined message's end, mbuf chains (segment of each body range,
 * gathered vs in-place heads), callbacks stopping the parser, tunnels after
 * 101 / CONNECT, EOF; and the limits (head bytes, field count, trailer
 * count, chunk line) hit exactly at the boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_http.h"

static struct rec R;

static const char pipelined[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                                "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                                "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";

/* mg_h1_parse returns at each message end; the rest is the next message. */
START_TEST(test_pipeline_stops)
{
	uint32_t len = sizeof(pipelined) - 1, l1 = 28, l2 = 51;
	int rc;

	rec_init(&R, MG_H1_REQUEST, NULL);
	R.seg = pipelined;
	R.seg_len = len;
	rc = mg_h1_parse(&R.p, pipelined, len);
	ck_assert_int_eq(rc, (int)l1);
	ck_assert_uint_eq(R.ends, 1);
	ck_assert(mg_h1_parser_idle(&R.p));
	rc = mg_h1_parse(&R.p, pipelined + l1, len - l1);
	ck_assert_int_eq(rc, (int)l2);
	ck_assert_uint_eq(R.ends, 2);
	rc = mg_h1_parse(&R.p, pipelined + l1 + l2, len - l1 - l2);
	ck_assert_int_eq(rc, (int)(len - l1 - l2));
	ck_assert_uint_eq(R.ends, 3);
	ck_assert_uint_eq(R.cnt.requests, 3);
	ck_assert_uint_eq(R.cnt.body_bytes, 3);
	/* Each head lay in the data fed: parsed in place, nothing gathered or allocated. */
	ck_assert_uint_eq(R.cnt.heads_in_place, 3);
	ck_assert_uint_eq(R.cnt.heads_gathered, 0);
	ck_assert_ptr_null(R.p.hb);
	ck_assert_int_eq(mg_h1_parse_eof(&R.p), 0);
	R.seg = NULL;
	rec_fini(&R);
}
END_TEST

/* ---- mbuf chains ---- */

static struct {
	unsigned heads, bodies;
	bool gathered[4];
	uint32_t body_len;
	char body[64];
} mb;

static int mb_head(void *ctx, const struct mg_h1_msg *m)
{
	(void)ctx;
	ck_assert_uint_lt(mb.heads, 4);
	mb.gathered[mb.heads++] = m->gathered;
	return 0;
}

static int mb_body(void *ctx, const char *at, uint32_t len)
{
	const struct mg_h1_parser *p = ctx;
	const struct rte_mbuf *s = mg_h1_parser_segment(p);

	ck_assert_ptr_nonnull(s);
	ck_assert(at >= rte_pktmbuf_mtod(s, const char *) &&
	          at + len <= rte_pktmbuf_mtod(s, const char *) + s->data_len);
	memcpy(mb.body + mb.body_len, at, len);
	mb.body_len += len;
	mb.bodies++;
	return 0;
}

static struct rte_mbuf *chain_of(const char *const *parts, unsigned n)
{
	struct rte_mbuf *head = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tpool);
		uint16_t l = (uint16_t)strlen(parts[i]);

		ck_assert_ptr_nonnull(m);
		memcpy(rte_pktmbuf_append(m, l), parts[i], l);
		if (head == NULL)
			head = m;
		else
			ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
	}
	return head;
}

START_TEST(test_mbuf_chain)
{
	static const char *const parts[] = {
	    "POST /x HTTP/1.1\r\nHost: a\r\nContent-",
	    "Length: 10\r\n\r\nhello",
	    "world"
	    "GET /y HTTP/1.1\r\nHost: a\r\n\r\n",
	};
	static const struct mg_h1_cbs cbs = {.on_head = mb_head, .on_body = mb_body};
	struct mg_h1_parser p;
	struct rte_mbuf *m = chain_of(parts, 3);
	unsigned avail = rte_mempool_avail_count(tpool);
	int rc;

	memset(&mb, 0, sizeof(mb));
	ck_assert_int_eq(mg_h1_parser_init(&p, MG_H1_REQUEST, NULL, &cbs, &p, NULL), 0);
	rc = mg_h1_parse_mbuf(&p, m, 0);
	ck_assert_int_eq(rc, (int)(strlen(parts[0]) + strlen(parts[1]) + 5));
	ck_assert_uint_eq(mb.heads, 1);
	ck_assert(mb.gathered[0]); /* the head spanned two segments */
	ck_assert_uint_eq(mb.bodies, 2);
	ck_assert_uint_eq(mb.body_len, 10);
	ck_assert_mem_eq(mb.body, "helloworld", 10);
	ck_assert_ptr_null(mg_h1_parser_segment(&p));
	/* The second request lies in the third segment: parsed in place. */
	rc = mg_h1_parse_mbuf(&p, m, (uint32_t)rc);
	ck_assert_int_eq(rc, 28);
	ck_assert_uint_eq(mb.heads, 2);
	ck_assert(!mb.gathered[1]);
	ck_assert_int_eq(mg_h1_parse_mbuf(&p, m, m->pkt_len), 0);
	ck_assert_int_eq(mg_h1_parse_mbuf(&p, m, m->pkt_len + 1), -EINVAL);
	mg_h1_parser_fini(&p);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), avail + 3);
}
END_TEST

/* A message that ends exactly at a segment's end: the next segment is not touched. */
START_TEST(test_mbuf_ends_on_segment)
{
	static const char *const parts[] = {"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n",
	                                    "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"};
	static const struct mg_h1_cbs cbs = {.on_head = mb_head};
	struct mg_h1_parser p;
	struct rte_mbuf *m = chain_of(parts, 2);

	memset(&mb, 0, sizeof(mb));
	ck_assert_int_eq(mg_h1_parser_init(&p, MG_H1_REQUEST, NULL, &cbs, &p, NULL), 0);
	ck_assert_int_eq(mg_h1_parse_mbuf(&p, m, 0), 28);
	ck_assert_uint_eq(mb.heads, 1);
	ck_assert_int_eq(mg_h1_parse_mbuf(&p, m, 28), 28);
	ck_assert_uint_eq(mb.heads, 2);
	mg_h1_parser_fini(&p);
	rte_pktmbuf_free(m);
}
END_TEST

/* A callback returning non-zero stops the parser with a named reason. */
START_TEST(test_callback_stops)
{
	static const char msg[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";

	for (int k = 1; k <= 3; k++) {
		rec_init(&R, MG_H1_REQUEST, NULL);
		R.abort_in = k;
		ck_assert_int_eq(rec_feed(&R, msg, sizeof(msg) - 1), -ECANCELED);
		ck_assert_int_eq(mg_h1_parser_error(&R.p), MG_H1_E_callback);
		ck_assert_uint_eq(R.cnt.err_callback, 1);
		rec_fini(&R);
	}
}
END_TEST

/* After 101 the bytes are the tunnel's: -EALREADY, EOF is fine, nothing counted as error. */
START_TEST(test_tunnel)
{
	static const char msg[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                          "Connection: upgrade\r\n\r\n";
	struct mg_h1_parser p;
	struct mg_h1_counters c;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(mg_h1_parser_init(&p, MG_H1_RESPONSE, NULL, NULL, NULL, &c), 0);
	ck_assert_int_eq(mg_h1_parse(&p, msg, sizeof(msg) - 1), (int)sizeof(msg) - 1);
	ck_assert_int_eq(mg_h1_parse(&p, "\x81\x00", 2), -EALREADY);
	ck_assert_int_eq(mg_h1_parse(&p, "x", 1), -EALREADY);
	ck_assert_int_eq(mg_h1_parse_eof(&p), 0);
	ck_assert_int_eq(mg_h1_parser_error(&p), MG_H1_E_NONE);
	ck_assert_uint_eq(c.upgrades, 1);
	ck_assert_uint_eq(c.errors, 0);
	mg_h1_parser_fini(&p);
}
END_TEST

/* A request asking for an upgrade does not switch the request parser (the server may refuse). */
START_TEST(test_upgrade_request_continues)
{
	static const char msg[] = "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: "
	                          "websocket/13, h2c\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *t = check_all_splits(MG_H1_REQUEST, NULL, NULL, 0, msg, sizeof(msg) - 1, true);

	ck_assert_str_eq(t, "REQ GET(GET) / form=o 1.1 body=none cl=0 KA UPGRADE WS host=a "
	                    "{Host=a,Connection*=upgrade,Upgrade*=websocket/13, h2c}\nEND\n"
	                    "REQ GET(GET) /2 form=o 1.1 body=none cl=0 KA host=a {Host=a}\nEND\n"
	                    "EOF\n");
}
END_TEST

/* Expect in HTTP/1.0 is ignored (RFC 9110 10.1.1); the counter counts flagged requests. */
START_TEST(test_expect)
{
	static const char m10[] = "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n";
	static const char m11[] = "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n";

	rec_init(&R, MG_H1_REQUEST, NULL);
	rec_feed(&R, m10, sizeof(m10) - 1);
	ck_assert_ptr_null(strstr(rec_text(&R), "EXPECT"));
	rec_feed(&R, m11, sizeof(m11) - 1);
	ck_assert_ptr_nonnull(strstr(rec_text(&R), "EXPECT"));
	ck_assert_uint_eq(R.cnt.expect_continue, 1);
	rec_fini(&R);
}
END_TEST

/* ---- limits ---- */

/* A request whose head is exactly len bytes (len >= 32). */
static char *head_of(uint32_t len)
{
	static const char pre[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
	char *b = malloc(len + 1);
	uint32_t pl = sizeof(pre) - 1;

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_ge(len, pl + 5);
	memcpy(b, pre, pl);
	memset(b + pl, 'v', len - pl - 4);
	memcpy(b + len - 4, "\r\n\r\n", 5);
	return b;
}

/* A request with n fields (Host and n-1 others). */
static uint32_t fields_of(char *b, uint32_t cap, unsigned n)
{
	uint32_t l = (uint32_t)snprintf(b, cap, "GET / HTTP/1.1\r\nHost: a\r\n");

	for (unsigned i = 1; i < n; i++)
		l += (uint32_t)snprintf(b + l, cap - l, "X-%u: %u\r\n", i, i);
	l += (uint32_t)snprintf(b + l, cap - l, "\r\n");
	ck_assert_uint_lt(l, cap);
	return l;
}

START_TEST(test_head_bytes_small)
{
	struct mg_h1_conf conf = {.max_head_bytes = 1024};
	char *ok = head_of(1024), *over = head_of(1025);

	ck_assert_int_eq(text_err(check_all_splits(MG_H1_REQUEST, &conf, NULL, 0, ok, 1024, true)),
	                 MG_H1_E_NONE);
	ck_assert_int_eq(
	    text_err(check_all_splits(MG_H1_REQUEST, &conf, NULL, 0, over, 1025, true)),
	    MG_H1_E_head_too_large);
	/* A gathered head never grows the buffer past the limit. */
	rec_init(&R, MG_H1_REQUEST, &conf);
	rec_feed(&R, ok, 100);
	rec_feed(&R, ok + 100, 1024 - 100);
	ck_assert_uint_eq(R.cnt.heads_gathered, 1);
	ck_assert_uint_eq(R.ends, 1);
	ck_assert_uint_le(R.p.hb_cap, 1024);
	rec_fini(&R);
	rec_init(&R, MG_H1_REQUEST, &conf);
	rec_feed(&R, over, 1);
	ck_assert_int_eq(rec_feed(&R, over + 1, 1024), -EMSGSIZE);
	ck_assert_uint_le(R.p.hb_cap, 1024);
	rec_fini(&R);
	free(ok);
	free(over);
}
END_TEST

/* Default 60 KiB: whole, byte by byte and a few cuts (every cut would be quadratic). */
START_TEST(test_head_bytes_default)
{
	static char t1[T_MAX], t2[T_MAX];
	static uint32_t cuts[MG_H1_DEF_MAX_HEAD_BYTES + 1];
	const uint32_t L = MG_H1_DEF_MAX_HEAD_BYTES;

	for (uint32_t len = L; len <= L + 1; len++) {
		char *b = head_of(len);
		uint32_t mid[3] = {17, len / 2, len - 2};

		for (uint32_t k = 0; k + 1 < len; k++)
			cuts[k] = k + 1;
		run_split(MG_H1_REQUEST, NULL, NULL, 0, b, len, NULL, 0, true, t1);
		run_split(MG_H1_REQUEST, NULL, NULL, 0, b, len, cuts, len - 1, true, t2);
		ck_assert_str_eq(t1, t2);
		run_split(MG_H1_REQUEST, NULL, NULL, 0, b, len, mid, 3, true, t2);
		ck_assert_str_eq(t1, t2);
		ck_assert_int_eq(text_err(t1), len == L ? MG_H1_E_NONE : MG_H1_E_head_too_large);
		if (len == L)
			ck_assert_ptr_nonnull(strstr(t1, "END\n"));
		free(b);
	}
}
END_TEST

START_TEST(test_header_count)
{
	static char b[16384];
	struct mg_h1_conf conf = {.max_headers = 10};
	uint32_t l;

	l = fields_of(b, sizeof(b), 10);
	ck_assert_int_eq(text_err(check_all_splits(MG_H1_REQUEST, &conf, NULL, 0, b, l, true)),
	                 MG_H1_E_NONE);
	l = fields_of(b, sizeof(b), 11);
	ck_assert_int_eq(text_err(check_all_splits(MG_H1_REQUEST, &conf, NULL, 0, b, l, true)),
	                 MG_H1_E_too_many_headers);
	/* Defaults: 100 fine, 101 refused. */
	l = fields_of(b, sizeof(b), 100);
	ck_assert_int_eq(text_err(check_all_splits(MG_H1_REQUEST, NULL, NULL, 0, b, l, true)),
	                 MG_H1_E_NONE);
	l = fields_of(b, sizeof(b), 101);
	ck_assert_int_eq(text_err(check_all_splits(MG_H1_REQUEST, NULL, NULL, 0, b, l, true)),
	                 MG_H1_E_too_many_headers);
}
END_TEST

START_TEST(test_trailer_limits)
{
	static char b[8192];
	struct mg_h1_conf conf = {.max_headers = 4, .max_head_bytes = 200};
	uint32_t l;

	for (unsigned n = 4; n <= 5; n++) {
		l = (uint32_t)snprintf(
		    b, sizeof(b),
		    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
		for (unsigned i = 0; i < n; i++)
			l += (uint32_t)snprintf(b + l, sizeof(b) - l, "T%u: v\r\n", i);
		l += (uint32_t)snprintf(b + l, sizeof(b) - l, "\r\n");
		ck_assert_int_eq(
		    text_err(check_all_splits(MG_H1_REQUEST, &conf, NULL, 0, b, l, true)),
		    n == 4 ? MG_H1_E_NONE : MG_H1_E_too_many_headers);
	}
	/* Trailer bytes: exactly 200 fine, 201 refused. */
	for (uint32_t tl = 200; tl <= 201; tl++) {
		uint32_t h = (uint32_t)snprintf(b, sizeof(b),
		                                "POST / HTTP/1.1\r\nHost: a\r\n"
		                                "Transfer-Encoding: chunked\r\n\r\n0\r\nT: ");

		l = h + (tl - 3 - 4);
		memset(b + h, 'x', l - h);
		memcpy(b + l, "\r\n\r\n", 4);
		l += 4;
		ck_assert_int_eq(
		    text_err(check_all_splits(MG_H1_REQUEST, &conf, NULL, 0, b, l, true)),
		    tl == 200 ? MG_H1_E_NONE : MG_H1_E_head_too_large);
	}
}
END_TEST

/* The chunk size line (extensions and CRLF included) may be 4096 bytes, not 4097. */
START_TEST(test_chunk_line_limit)
{
	static char b[8192];
	static const char pre[] =
	    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

	for (uint32_t ll = MG_H1_MAX_CHUNK_LINE; ll <= MG_H1_MAX_CHUNK_LINE + 1; ll++) {
		uint32_t l = sizeof(pre) - 1;
		const char *t;

		memcpy(b, pre, l);
		memcpy(b + l, "1;e", 3);
		memset(b + l + 3, 'x', ll - 5);
		l += ll - 2;
		memcpy(b + l, "\r\nz\r\n0\r\n\r\n", 10);
		l += 10;
		t = check_all_splits(MG_H1_REQUEST, NULL, NULL, 0, b, l, true);
		ck_assert_int_eq(text_err(t), ll == MG_H1_MAX_CHUNK_LINE
		                                  ? MG_H1_E_NONE
		                                  : MG_H1_E_chunk_ext_too_long);
	}
}
END_TEST

TCase *tcase_features(void)
{
	TCase *tc = tcase_create("features");

	tcase_add_test(tc, test_pipeline_stops);
	tcase_add_test(tc, test_mbuf_chain);
	tcase_add_test(tc, test_mbuf_ends_on_segment);
	tcase_add_test(tc, test_callback_stops);
	tcase_add_test(tc, test_tunnel);
	tcase_add_test(tc, test_upgrade_request_continues);
	tcase_add_test(tc, test_expect);
	return tc;
}

TCase *tcase_limits(void)
{
	TCase *tc = tcase_create("limits");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_head_bytes_small);
	tcase_add_test(tc, test_head_bytes_default);
	tcase_add_test(tc, test_header_count);
	tcase_add_test(tc, test_trailer_limits);
	tcase_add_test(tc, test_chunk_line_limit);
	return tc;
}
