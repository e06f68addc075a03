/*
 * test_write.c — the serializer: exact bytes of request and response heads,
 * hop-by-hop skipping, -ENOSPC at every short capacity, refusal of
 * anything that could inject a line, heads larger than one mbuf, chunk
 * framing (in place, with new segments, on clones), and the round trip:
 * every valid message parsed, re-serialized from the callbacks (as a proxy
 * would) and parsed again gives the same transcript.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_http.h"
#include "test_valid.h"

#define S(s)                     \
	{                        \
		s, sizeof(s) - 1 \
	}

static struct mg_h1_header hdrs[] = {
    {S("Host"), S("x.example"), MG_H1_H_HOST, 0},
    {S("Connection"), S("close"), MG_H1_H_CONNECTION, MG_H1_HF_HOP},
    {S("X-Id"), S("42"), MG_H1_H_OTHER, 0},
};

static struct mg_h1_msg req(void)
{
	struct mg_h1_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = MG_H1_REQUEST;
	m.method = MG_H1_M_POST;
	m.target = (struct mg_h1_str)S("/a?b=%20");
	m.minor = 1;
	m.headers = hdrs;
	m.n_headers = RTE_DIM(hdrs);
	return m;
}

START_TEST(test_write_request)
{
	static const char want[] = "POST /a?b=%20 HTTP/1.1\r\nHost: x.example\r\nConnection: "
	                           "close\r\nX-Id: 42\r\n\r\n";
	static const char want_skip[] =
	    "POST /a?b=%20 HTTP/1.1\r\nHost: x.example\r\nX-Id: 42\r\n\r\n";
	struct mg_h1_msg m = req();
	char buf[256];
	uint32_t wl = sizeof(want) - 1;

	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), (int)wl);
	ck_assert_mem_eq(buf, want, wl);
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, MG_H1_HF_HOP),
	                 (int)sizeof(want_skip) - 1);
	ck_assert_mem_eq(buf, want_skip, sizeof(want_skip) - 1);
	/* Exactly enough room works; any less is -ENOSPC. */
	ck_assert_int_eq(mg_h1_write_head(buf, wl, &m, 0), (int)wl);
	for (uint32_t cap = 0; cap < wl; cap++)
		ck_assert_int_eq(mg_h1_write_head(buf, cap, &m, 0), -ENOSPC);
	/* An explicit method string wins over the enum. */
	m.method_str = (struct mg_h1_str)S("PURGE");
	m.minor = 0;
	ck_assert_int_gt(mg_h1_write_head(buf, sizeof(buf), &m, 0), 0);
	ck_assert_mem_eq(buf, "PURGE /a?b=%20 HTTP/1.0\r\n", 25);
}
END_TEST

START_TEST(test_write_response)
{
	struct mg_h1_msg m;
	char buf[128];

	memset(&m, 0, sizeof(m));
	m.kind = MG_H1_RESPONSE;
	m.status = 404;
	m.reason = (struct mg_h1_str)S("Not Found");
	m.minor = 1;
	m.headers = hdrs + 2;
	m.n_headers = 1;
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), 36);
	ck_assert_mem_eq(buf, "HTTP/1.1 404 Not Found\r\nX-Id: 42\r\n\r\n", 36);
	m.reason.len = 0;
	m.n_headers = 0;
	m.status = 100;
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), 17);
	ck_assert_mem_eq(buf, "HTTP/1.1 100 \r\n\r\n", 17);
}
END_TEST

/* Nothing that could split a line or a message gets out. */
START_TEST(test_write_invalid)
{
	struct mg_h1_header bad[1];
	struct mg_h1_msg m = req();
	char buf[256];
	unsigned avail = rte_mempool_avail_count(tpool);
	static const struct {
		struct mg_h1_str name, value;
	} fields[] = {
	    {S("X"), S("a\r\nInjected: 1")}, {S("X"), S("a\nb")},     {S("X"), S("a\0b")},
	    {S("Bad Name"), S("v")},         {S("Bad:Name"), S("v")}, {S(""), S("v")},
	};

	for (unsigned i = 0; i < RTE_DIM(fields); i++) {
		bad[0].name = fields[i].name;
		bad[0].value = fields[i].value;
		bad[0].flags = 0;
		m.headers = bad;
		m.n_headers = 1;
		ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
		errno = 0;
		ck_assert_ptr_null(mg_h1_write_head_mbuf(tpool, &m, 0));
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(mg_h1_last_chunk(buf, sizeof(buf), bad, 1), -EINVAL);
		/* Skipped fields are not checked: they are not written. */
		bad[0].flags = MG_H1_HF_HOP;
		ck_assert_int_gt(mg_h1_write_head(buf, sizeof(buf), &m, MG_H1_HF_HOP), 0);
	}
	m = req();
	m.target = (struct mg_h1_str)S("/a b");
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	m.target = (struct mg_h1_str)S("");
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	m = req();
	m.method_str = (struct mg_h1_str)S("GE T");
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	m = req();
	m.method = MG_H1_M_OTHER;
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	m = req();
	m.minor = 10;
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.kind = MG_H1_RESPONSE;
	m.minor = 1;
	for (unsigned st = 0; st < 2; st++) {
		m.status = st ? 1000 : 99;
		ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	}
	m.status = 200;
	m.reason = (struct mg_h1_str)S("OK\r\nX: y");
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), avail);
}
END_TEST

/* A head larger than an mbuf's data room becomes a chain; same bytes as the flat writer. */
START_TEST(test_write_mbuf_chain)
{
	static char big[5000], flat[8192], got[8192];
	struct mg_h1_header h[2] = {{S("Host"), S("a"), MG_H1_H_HOST, 0},
	                            {S("X-Big"), {big, sizeof(big)}, MG_H1_H_OTHER, 0}};
	struct mg_h1_msg m = req();
	struct rte_mbuf *c;
	unsigned avail = rte_mempool_avail_count(tpool);
	int n;
	struct rec *r = malloc(sizeof(*r));

	memset(big, 'b', sizeof(big));
	m.headers = h;
	m.n_headers = 2;
	n = mg_h1_write_head(flat, sizeof(flat), &m, 0);
	ck_assert_int_gt(n, 5000);
	c = mg_h1_write_head_mbuf(tpool, &m, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->pkt_len, (uint32_t)n);
	ck_assert_uint_ge(c->nb_segs, 3);
	ck_assert_ptr_nonnull(rte_pktmbuf_read(c, 0, c->pkt_len, got));
	ck_assert_mem_eq(rte_pktmbuf_read(c, 0, c->pkt_len, got), flat, (size_t)n);
	/* And it parses back (gathered across the segments). */
	ck_assert_ptr_nonnull(r);
	rec_init(r, MG_H1_REQUEST, NULL);
	for (struct rte_mbuf *s = c; s != NULL; s = s->next)
		rec_feed(r, rte_pktmbuf_mtod(s, const char *), s->data_len);
	ck_assert_int_eq(text_err(rec_text(r)), MG_H1_E_NONE);
	ck_assert_uint_eq(r->cnt.heads_gathered, 1);
	ck_assert_uint_eq(r->cnt.requests, 1);
	rec_fini(r);
	free(r);
	rte_pktmbuf_free(c);
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), avail);
}
END_TEST

START_TEST(test_chunk_header)
{
	char b[32];

	ck_assert_int_eq(mg_h1_chunk_header(b, sizeof(b), 0), 3);
	ck_assert_mem_eq(b, "0\r\n", 3);
	ck_assert_int_eq(mg_h1_chunk_header(b, sizeof(b), 255), 4);
	ck_assert_mem_eq(b, "ff\r\n", 4);
	ck_assert_int_eq(mg_h1_chunk_header(b, sizeof(b), 0x1000), 6);
	ck_assert_mem_eq(b, "1000\r\n", 6);
	ck_assert_int_eq(mg_h1_chunk_header(b, sizeof(b), UINT64_MAX), 18);
	ck_assert_mem_eq(b, "ffffffffffffffff\r\n", 18);
	ck_assert_int_eq(mg_h1_chunk_header(b, 5, 0x1000), -ENOSPC);
	ck_assert_int_eq(mg_h1_chunk_header(b, 6, 0x1000), 6);
}
END_TEST

START_TEST(test_last_chunk)
{
	struct mg_h1_header t[] = {{S("X-Sum"), S("42"), 0, 0}, {S("X-B"), S(""), 0, 0}};
	char b[64];

	ck_assert_int_eq(mg_h1_last_chunk(b, sizeof(b), NULL, 0), 5);
	ck_assert_mem_eq(b, "0\r\n\r\n", 5);
	ck_assert_int_eq(mg_h1_last_chunk(b, sizeof(b), t, 2), 23);
	ck_assert_mem_eq(b, "0\r\nX-Sum: 42\r\nX-B: \r\n\r\n", 23);
	ck_assert_int_eq(mg_h1_last_chunk(b, 22, t, 2), -ENOSPC);
}
END_TEST

/* Check chain holds exactly want. */
static void chain_is(const struct rte_mbuf *c, const char *want, uint32_t n)
{
	static char tmp[4096];
	const void *p;

	ck_assert_uint_eq(c->pkt_len, n);
	p = rte_pktmbuf_read(c, 0, n, tmp);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p, want, n);
	/* The segment lengths add up. */
	{
		uint32_t sum = 0;
		unsigned segs = 0;

		for (const struct rte_mbuf *s = c; s != NULL; s = s->next, segs++)
			sum += s->data_len;
		ck_assert_uint_eq(sum, n);
		ck_assert_uint_eq(segs, c->nb_segs);
	}
}

START_TEST(test_frame_chunk)
{
	unsigned avail = rte_mempool_avail_count(tpool);
	struct rte_mbuf *m, *m2, *clone, *orig;
	uint16_t room;

	/* In place: headroom and tailroom of a direct mbuf we own. */
	m = rte_pktmbuf_alloc(tpool);
	memcpy(rte_pktmbuf_append(m, 5), "hello", 5);
	ck_assert_int_eq(mg_h1_frame_chunk(tpool, &m), 0);
	ck_assert_uint_eq(m->nb_segs, 1);
	chain_is(m, "5\r\nhello\r\n", 10);
	rte_pktmbuf_free(m);

	/* No headroom, full last segment: a segment before and one after. */
	m = rte_pktmbuf_alloc(tpool);
	rte_pktmbuf_prepend(m, rte_pktmbuf_headroom(m));
	rte_pktmbuf_trim(m, m->data_len);
	memcpy(rte_pktmbuf_append(m, 3), "abc", 3);
	m2 = rte_pktmbuf_alloc(tpool);
	room = rte_pktmbuf_tailroom(m2);
	memset(rte_pktmbuf_append(m2, room), 'z', room);
	ck_assert_int_eq(rte_pktmbuf_chain(m, m2), 0);
	ck_assert_int_eq(mg_h1_frame_chunk(tpool, &m), 0);
	ck_assert_uint_eq(m->nb_segs, 4);
	{
		static char want[4096];
		int hl = mg_h1_chunk_header(want, sizeof(want), 3u + room);

		memcpy(want + hl, "abc", 3);
		memset(want + hl + 3, 'z', room);
		memcpy(want + hl + 3 + room, "\r\n", 2);
		chain_is(m, want, (uint32_t)hl + 3 + room + 2);
	}
	rte_pktmbuf_free(m);

	/* A clone shares its buffer: never write around its data. */
	orig = rte_pktmbuf_alloc(tpool);
	memcpy(rte_pktmbuf_append(orig, 4), "data", 4);
	clone = rte_pktmbuf_clone(orig, tpool);
	ck_assert_ptr_nonnull(clone);
	ck_assert_int_eq(mg_h1_frame_chunk(tpool, &clone), 0);
	chain_is(clone, "4\r\ndata\r\n", 9);
	ck_assert_uint_eq(clone->nb_segs, 3);
	chain_is(orig, "data", 4);
	rte_pktmbuf_free(clone);
	rte_pktmbuf_free(orig);

	m = NULL;
	ck_assert_int_eq(mg_h1_frame_chunk(tpool, &m), -EINVAL);
	m = rte_pktmbuf_alloc(tpool);
	ck_assert_int_eq(mg_h1_frame_chunk(tpool, &m), -EINVAL);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), avail);
}
END_TEST

/* ---- round trip: parse, re-serialize in the callbacks, parse again ---- */

static struct {
	char out[T_MAX];
	uint32_t len;
	bool in_chunk;
	const struct valid_msg *v;
	unsigned im;
} rt;

static void rt_put(const char *d, uint32_t n)
{
	ck_assert_uint_lt(rt.len + n, T_MAX);
	memcpy(rt.out + rt.len, d, n);
	rt.len += n;
}

static int rt_head(void *ctx, const struct mg_h1_msg *m)
{
	int n = mg_h1_write_head(rt.out + rt.len, T_MAX - rt.len, m, 0);

	(void)ctx;
	ck_assert_int_gt(n, 0);
	rt.len += (uint32_t)n;
	rt.in_chunk = false;
	return 0;
}

static int rt_body(void *ctx, const char *at, uint32_t len)
{
	(void)ctx;
	rt_put(at, len);
	return 0;
}

static int rt_chunk(void *ctx, uint64_t size)
{
	(void)ctx;
	if (rt.in_chunk)
		rt_put("\r\n", 2);
	rt.in_chunk = size > 0;
	if (size > 0) {
		int n = mg_h1_chunk_header(rt.out + rt.len, T_MAX - rt.len, size);

		ck_assert_int_gt(n, 0);
		rt.len += (uint32_t)n;
	}
	return 0;
}

static int rt_trailers(void *ctx, const struct mg_h1_header *h, uint16_t n)
{
	int k = mg_h1_last_chunk(rt.out + rt.len, T_MAX - rt.len, h, n);

	(void)ctx;
	ck_assert_int_gt(k, 0);
	rt.len += (uint32_t)k;
	return 0;
}

/* As a proxy does: the next response answers the next request. */
static int rt_end(void *ctx, const struct mg_h1_msg *m)
{
	if (m->kind == MG_H1_RESPONSE && m->status >= 200 && rt.im < rt.v->n_methods)
		mg_h1_parser_set_request(ctx, rt.v->methods[rt.im++]);
	return 0;
}

/* Drop "TUNNEL @n" lines: the offset depends on how the head was spelt. */
static void strip_tunnel(char *t)
{
	char *s = strstr(t, "TUNNEL @");

	if (s != NULL)
		*s = '\0';
}

START_TEST(test_round_trip)
{
	static const struct mg_h1_cbs cbs = {.on_head = rt_head,
	                                     .on_body = rt_body,
	                                     .on_chunk = rt_chunk,
	                                     .on_trailers = rt_trailers,
	                                     .on_message_end = rt_end};
	static char want[T_MAX], got[T_MAX];
	const struct valid_msg *v = &valid_msgs[_i];
	struct mg_h1_parser p;
	uint32_t len = (uint32_t)strlen(v->text), off = 0;

	memset(&rt, 0, sizeof(rt));
	rt.v = v;
	ck_assert_int_eq(mg_h1_parser_init(&p, v->kind, NULL, &cbs, &p, NULL), 0);
	if (v->n_methods > 0)
		mg_h1_parser_set_request(&p, v->methods[rt.im++]);
	while (off < len) {
		int rc = mg_h1_parse(&p, v->text + off, len - off);

		if (rc == -EALREADY)
			break;
		ck_assert_int_gt(rc, 0);
		off += (uint32_t)rc;
	}
	if (v->eof)
		ck_assert_int_eq(mg_h1_parse_eof(&p), 0);
	mg_h1_parser_fini(&p);

	strcpy(want, v->expect);
	strip_tunnel(want);
	run_split(v->kind, NULL, v->methods, v->n_methods, rt.out, rt.len, NULL, 0, v->eof, got);
	strip_tunnel(got);
	ck_assert_msg(strcmp(want, got) == 0, "%s: round trip differs:\n%s--- expected:\n%s",
	              v->name, got, want);
}
END_TEST

/*
 * The writer's fast path for parsed heads (fields flagged MG_H1_HF_VALID,
 * not checked again; one room check and copy per field) gives byte for
 * byte the serialisation built here field by field, flat and as an mbuf
 * chain (one segment or several), with and without hop-by-hop fields.
 */
struct fast_case {
	enum mg_h1_kind kind;
	const char *in;
};

static char fast_long[6000];

static int fast_on_head(void *ctx, const struct mg_h1_msg *m)
{
	static char flat[16384], want[16384], lin[16384];
	uint32_t wl = 0;
	int n;

	(void)ctx;
	for (uint8_t skip = 0; skip <= MG_H1_HF_HOP; skip += MG_H1_HF_HOP) {
		struct rte_mbuf *hm;

		wl = 0;
		if (m->kind == MG_H1_REQUEST)
			wl = (uint32_t)snprintf(want, sizeof(want), "%.*s %.*s HTTP/1.%u\r\n",
			                        (int)m->method_str.len, m->method_str.p,
			                        (int)m->target.len, m->target.p, m->minor);
		else
			wl = (uint32_t)snprintf(want, sizeof(want), "HTTP/1.%u %03u %.*s\r\n",
			                        m->minor, m->status, (int)m->reason.len,
			                        m->reason.p);
		for (uint16_t i = 0; i < m->n_headers; i++) {
			const struct mg_h1_header *h = &m->headers[i];

			ck_assert(h->flags & MG_H1_HF_VALID);
			if (h->flags & skip)
				continue;
			memcpy(want + wl, h->name.p, h->name.len);
			wl += h->name.len;
			memcpy(want + wl, ": ", 2);
			wl += 2;
			memcpy(want + wl, h->value.p, h->value.len);
			wl += h->value.len;
			memcpy(want + wl, "\r\n", 2);
			wl += 2;
		}
		memcpy(want + wl, "\r\n", 2);
		wl += 2;
		n = mg_h1_write_head(flat, sizeof(flat), m, skip);
		ck_assert_int_eq(n, (int)wl);
		ck_assert_mem_eq(flat, want, wl);
		/* one byte short: -ENOSPC, whatever field it falls in */
		ck_assert_int_eq(mg_h1_write_head(flat, wl - 1, m, skip), -ENOSPC);
		hm = mg_h1_write_head_mbuf(tpool, m, skip);
		ck_assert_ptr_nonnull(hm);
		ck_assert_uint_eq(hm->pkt_len, wl);
		ck_assert_ptr_nonnull(rte_pktmbuf_read(hm, 0, wl, lin));
		ck_assert_mem_eq(rte_pktmbuf_read(hm, 0, wl, lin), want, wl);
		{
			uint32_t sum = 0;

			for (struct rte_mbuf *sg = hm; sg != NULL; sg = sg->next)
				sum += sg->data_len;
			ck_assert_uint_eq(sum, wl);
		}
		rte_pktmbuf_free(hm);
	}
	return 0;
}

START_TEST(test_write_parsed_fast)
{
	static const struct mg_h1_cbs cbs = {.on_head = fast_on_head};
	static char big[8000];
	const struct fast_case cases[] = {
	    {MG_H1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
	    {MG_H1_REQUEST, "GET /x?y=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: "
	                    "curl/8.0\r\nAccept: */*\r\nConnection: keep-alive, X-Hop\r\nX-Hop: "
	                    "1\r\nX-Empty:\r\nX-Ows: \t v a l \t \r\n\r\n"},
	    {MG_H1_REQUEST, "POST /p HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\nX-Obs: "
	                    "caf\xc3\xa9\r\n\r\nabc"},
	    {MG_H1_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: up\r\n\r\n"},
	    {MG_H1_RESPONSE, "HTTP/1.1 404 \r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"},
	    {MG_H1_RESPONSE, "HTTP/1.1 204\r\nKeep-Alive: timeout=5\r\n\r\n"},
	    {MG_H1_REQUEST, big},
	};

	/* A head longer than one mbuf: three long fields. */
	memset(fast_long, 'v', sizeof(fast_long) - 1);
	snprintf(big, sizeof(big),
	         "GET /big HTTP/1.1\r\nHost: b\r\nX-1: %.2000s\r\nX-2: "
	         "%.2500s\r\nX-3: %.1500s\r\n\r\n",
	         fast_long, fast_long, fast_long);
	for (unsigned c = 0; c < RTE_DIM(cases); c++) {
		struct mg_h1_parser p;

		ck_assert_int_eq(mg_h1_parser_init(&p, cases[c].kind, NULL, &cbs, NULL, NULL), 0);
		ck_assert_int_eq(mg_h1_parse(&p, cases[c].in, (uint32_t)strlen(cases[c].in)),
		                 (int)strlen(cases[c].in));
		mg_h1_parser_fini(&p);
	}
}
END_TEST

/*
 * A parsed field whose value the proxy replaced must not keep
 * MG_H1_HF_VALID: with the flag cleared, a CR/LF in the new value is
 * refused; and the flag is what lets the writer skip the check.
 */
START_TEST(test_write_valid_flag)
{
	struct mg_h1_header h[] = {{S("X-A"), S("bad\r\nInjected: 1"), MG_H1_H_OTHER, 0}};
	struct mg_h1_msg m = req();
	char buf[256];

	m.headers = h;
	m.n_headers = 1;
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
	ck_assert_ptr_null(mg_h1_write_head_mbuf(tpool, &m, 0));
	h[0].name = (struct mg_h1_str)S("X A");
	h[0].value = (struct mg_h1_str)S("ok");
	ck_assert_int_eq(mg_h1_write_head(buf, sizeof(buf), &m, 0), -EINVAL);
}
END_TEST

TCase *tcase_write(void)
{
	TCase *tc = tcase_create("write");

	tcase_add_test(tc, test_write_request);
	tcase_add_test(tc, test_write_response);
	tcase_add_test(tc, test_write_invalid);
	tcase_add_test(tc, test_write_mbuf_chain);
	tcase_add_test(tc, test_write_parsed_fast);
	tcase_add_test(tc, test_write_valid_flag);
	tcase_add_test(tc, test_chunk_header);
	tcase_add_test(tc, test_last_chunk);
	tcase_add_test(tc, test_frame_chunk);
	tcase_add_loop_test(tc, test_round_trip, 0, (int)n_valid_msgs);
	return tc;
}
