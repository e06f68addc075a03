/*
 * test_http_main.c — the recorder of the HTTP/1.1 codec tests (see
 * test_http.h), EAL start (mbufs only: --no-huge, a private file prefix) and
 * main().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mempool.h>

#include "test_http.h"

struct rte_mempool *tpool;

static void tprintf(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->t + r->tlen, T_MAX - r->tlen, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_msg(r->tlen + (uint32_t)n < T_MAX, "transcript full");
	r->tlen += (uint32_t)n;
}

static void tstr(struct rec *r, const struct mg_h1_str *s)
{
	ck_assert_uint_lt(r->tlen + s->len, T_MAX - 1);
	memcpy(r->t + r->tlen, s->p, s->len);
	r->tlen += s->len;
	r->t[r->tlen] = '\0';
}

static void flush_body(struct rec *r)
{
	if (r->blen == 0)
		return;
	tprintf(r, "BODY %u:", r->blen);
	/* Bytes outside printable ASCII are escaped so the transcript stays a C string. */
	for (uint32_t i = 0; i < r->blen; i++) {
		uint8_t c = (uint8_t)r->body[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			tprintf(r, "\\x%02x", c);
		else
			tprintf(r, "%c", c);
	}
	r->blen = 0;
	tprintf(r, "\n");
}

static bool inside(const struct mg_h1_str *s, const char *lo, uint32_t n)
{
	return lo != NULL && s->p >= lo && s->p + s->len <= lo + n;
}

/*
 * A reported reference lies in the current segment (in place) or in the
 * head buffer (gathered); mode 2 accepts either (trailers say neither).
 */
static void check_ref(struct rec *r, const struct mg_h1_str *s, int mode)
{
	bool in_seg = inside(s, r->seg, r->seg_len), in_hb = inside(s, r->p.hb, r->p.hb_len);

	if (s->len == 0)
		return;
	ck_assert_msg(mode == 0   ? in_seg
	              : mode == 1 ? in_hb
	                          : (in_seg || in_hb),
	              "reference outside the %s", mode == 1 ? "head buffer" : "segment");
}

static bool cb_stop(struct rec *r)
{
	return ++r->ncb == (unsigned)r->abort_in;
}

static void put_fields(struct rec *r, const struct mg_h1_header *h, uint16_t n, int mode)
{
	tprintf(r, "{");
	for (uint16_t i = 0; i < n; i++) {
		check_ref(r, &h[i].name, mode);
		check_ref(r, &h[i].value, mode);
		tstr(r, &h[i].name);
		tprintf(r, "%s=", (h[i].flags & MG_H1_HF_HOP) ? "*" : "");
		tstr(r, &h[i].value);
		tprintf(r, i + 1 < n ? "," : "");
	}
	tprintf(r, "}");
}

static int on_head(void *ctx, const struct mg_h1_msg *m)
{
	static const char *const bodies[] = {"none", "len", "chunked", "close"};
	static const char *const forms[] = {"o", "a", "au", "*"};
	static const struct {
		uint32_t f;
		const char *n;
	} fl[] = {{MG_H1_F_KEEP_ALIVE, "KA"},
	          {MG_H1_F_HAS_CL, "CL"},
	          {MG_H1_F_HAS_TE, "TE"},
	          {MG_H1_F_EXPECT_CONTINUE, "EXPECT"},
	          {MG_H1_F_UPGRADE, "UPGRADE"},
	          {MG_H1_F_WEBSOCKET, "WS"},
	          {MG_H1_F_TUNNEL, "TUNNEL"},
	          {MG_H1_F_CONN_CLOSE, "CLOSE"},
	          {MG_H1_F_CONN_KEEP_ALIVE, "KEEPALIVE"}};
	struct rec *r = ctx;

	flush_body(r);
	if (m->kind == MG_H1_REQUEST) {
		check_ref(r, &m->method_str, m->gathered);
		check_ref(r, &m->target, m->gathered);
		tprintf(r, "REQ ");
		tstr(r, &m->method_str);
		tprintf(r, "(%s) ",
		        mg_h1_method_name(m->method) ? mg_h1_method_name(m->method) : "?");
		tstr(r, &m->target);
		tprintf(r, " form=%s", forms[m->form]);
	} else {
		check_ref(r, &m->reason, m->gathered);
		tprintf(r, "RES %u ", m->status);
		tstr(r, &m->reason);
		tprintf(r, " for=%s", mg_h1_method_name(m->method));
	}
	tprintf(r, " 1.%u body=%s cl=%llu", m->minor, bodies[m->body],
	        (unsigned long long)m->content_length);
	for (unsigned i = 0; i < RTE_DIM(fl); i++)
		if (m->flags & fl[i].f)
			tprintf(r, " %s", fl[i].n);
	if (m->host.len) {
		tprintf(r, " host=");
		tstr(r, &m->host);
	}
	tprintf(r, " ");
	put_fields(r, m->headers, m->n_headers, m->gathered);
	tprintf(r, "\n");
	return cb_stop(r) ? -1 : 0;
}

static int on_body(void *ctx, const char *at, uint32_t len)
{
	struct rec *r = ctx;

	ck_assert_uint_gt(len, 0);
	ck_assert_msg(at >= r->seg && at + len <= r->seg + r->seg_len, "body outside the segment");
	ck_assert_uint_lt(r->blen + len, T_MAX);
	memcpy(r->body + r->blen, at, len);
	r->blen += len;
	return cb_stop(r) ? -1 : 0;
}

static int on_chunk(void *ctx, uint64_t size)
{
	struct rec *r = ctx;

	flush_body(r);
	tprintf(r, "CHUNK %llu\n", (unsigned long long)size);
	return cb_stop(r) ? -1 : 0;
}

static int on_trailers(void *ctx, const struct mg_h1_header *h, uint16_t n)
{
	struct rec *r = ctx;

	flush_body(r);
	tprintf(r, "TRAILERS ");
	put_fields(r, h, n, 2);
	tprintf(r, "\n");
	return cb_stop(r) ? -1 : 0;
}

static int on_end(void *ctx, const struct mg_h1_msg *m)
{
	struct rec *r = ctx;

	flush_body(r);
	tprintf(r, "END\n");
	r->ends++;
	if (m->kind == MG_H1_RESPONSE && m->status >= 200 && r->i_next < r->n_next)
		mg_h1_parser_set_request(&r->p, r->next_methods[r->i_next++]);
	return cb_stop(r) ? -1 : 0;
}

static const struct mg_h1_cbs rec_cbs = {
    .on_head = on_head,
    .on_body = on_body,
    .on_chunk = on_chunk,
    .on_trailers = on_trailers,
    .on_message_end = on_end,
};

void rec_init(struct rec *r, enum mg_h1_kind kind, const struct mg_h1_conf *conf)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(mg_h1_parser_init(&r->p, kind, conf, &rec_cbs, r, &r->cnt), 0);
}

void rec_fini(struct rec *r)
{
	uint64_t sum = 0;
	const uint64_t *c = (const uint64_t *)&r->cnt;

	/* Every rejection is counted once in errors and once under its reason. */
	for (unsigned i = MG_H1_IDX_err_bad_request_line; i < MG_H1_N_COUNTERS; i++)
		sum += c[i];
	ck_assert_uint_eq(sum, r->cnt.errors);
	ck_assert_uint_eq(r->cnt.errors, mg_h1_parser_error(&r->p) != MG_H1_E_NONE ? 1 : 0);
	mg_h1_parser_fini(&r->p);
}

void rec_methods(struct rec *r, const enum mg_h1_method *m, unsigned n)
{
	ck_assert_uint_le(n, RTE_DIM(r->next_methods));
	if (n > 0)
		memcpy(r->next_methods, m, n * sizeof(*m));
	r->n_next = n;
	r->i_next = 0;
	if (n > 0)
		mg_h1_parser_set_request(&r->p, r->next_methods[r->i_next++]);
}

static void stop(struct rec *r, int rc)
{
	flush_body(r);
	r->stopped = true;
	r->last_rc = rc;
	if (rc == -EALREADY) {
		tprintf(r, "TUNNEL @%llu\n", (unsigned long long)r->consumed);
		return;
	}
	ck_assert_int_ne(mg_h1_parser_error(&r->p), MG_H1_E_NONE);
	ck_assert_str_ne(mg_h1_err_name(mg_h1_parser_error(&r->p)), "?");
	tprintf(r, "ERR %s\n", mg_h1_err_name(mg_h1_parser_error(&r->p)));
	/* Sticky. */
	ck_assert_int_eq(mg_h1_parse(&r->p, "x", 1), rc);
}

int rec_feed(struct rec *r, const char *d, uint32_t n)
{
	char *seg;
	uint32_t off = 0;

	if (r->stopped || n == 0)
		return r->last_rc;
	seg = malloc(n);
	ck_assert_ptr_nonnull(seg);
	memcpy(seg, d, n);
	r->seg = seg;
	r->seg_len = n;
	while (off < n) {
		int rc = mg_h1_parse(&r->p, seg + off, n - off);

		if (rc < 0) {
			ck_assert(rc == -EBADMSG || rc == -EMSGSIZE || rc == -ECANCELED ||
			          rc == -ENOMEM || rc == -EALREADY);
			stop(r, rc);
			break;
		}
		ck_assert_int_gt(rc, 0);
		ck_assert_uint_le((uint32_t)rc, n - off);
		off += (uint32_t)rc;
		r->consumed += (uint64_t)rc;
		r->last_rc = rc;
	}
	/* The parser keeps no pointer into the segment once it returns. */
	memset(seg, 0xa5, n);
	free(seg);
	r->seg = NULL;
	r->seg_len = 0;
	return r->last_rc;
}

int rec_eof(struct rec *r)
{
	int rc;

	if (r->stopped)
		return r->last_rc;
	rc = mg_h1_parse_eof(&r->p);
	if (rc < 0)
		stop(r, rc);
	else
		tprintf(r, "EOF\n");
	return rc;
}

const char *rec_text(struct rec *r)
{
	flush_body(r);
	r->t[r->tlen] = '\0';
	return r->t;
}

void run_split(enum mg_h1_kind kind, const struct mg_h1_conf *conf, const enum mg_h1_method *m,
               unsigned nm, const char *msg, uint32_t len, const uint32_t *cuts, unsigned ncuts,
               bool eof, char *out)
{
	static struct rec r;
	uint32_t prev = 0;

	rec_init(&r, kind, conf);
	rec_methods(&r, m, nm);
	for (unsigned i = 0; i <= ncuts; i++) {
		uint32_t end = i < ncuts ? cuts[i] : len;

		ck_assert_uint_le(prev, end);
		rec_feed(&r, msg + prev, end - prev);
		prev = end;
	}
	if (eof)
		rec_eof(&r);
	strcpy(out, rec_text(&r));
	rec_fini(&r);
}

const char *check_all_splits(enum mg_h1_kind kind, const struct mg_h1_conf *conf,
                             const enum mg_h1_method *m, unsigned nm, const char *msg, uint32_t len,
                             bool eof)
{
	static char whole[T_MAX], got[T_MAX];
	static uint32_t cuts[T_MAX];

	run_split(kind, conf, m, nm, msg, len, NULL, 0, eof, whole);
	for (uint32_t k = 1; k < len; k++) {
		run_split(kind, conf, m, nm, msg, len, &k, 1, eof, got);
		ck_assert_msg(strcmp(whole, got) == 0, "split at %u differs:\n%s\n--- whole:\n%s",
		              k, got, whole);
	}
	if (len > 1 && len < T_MAX) {
		for (uint32_t k = 0; k + 1 < len; k++)
			cuts[k] = k + 1;
		run_split(kind, conf, m, nm, msg, len, cuts, len - 1, eof, got);
		ck_assert_msg(strcmp(whole, got) == 0, "byte by byte differs:\n%s\n--- whole:\n%s",
		              got, whole);
	}
	return whole;
}

enum mg_h1_err text_err(const char *t)
{
	const char *e = strstr(t, "ERR ");
	char name[64];
	size_t n;

	if (e == NULL)
		return MG_H1_E_NONE;
	e += 4;
	n = strcspn(e, "\n");
	ck_assert_uint_lt(n, sizeof(name));
	memcpy(name, e, n);
	name[n] = '\0';
	for (unsigned i = 1; i < MG_H1_N_ERRS; i++)
		if (strcmp(mg_h1_err_name((enum mg_h1_err)i), name) == 0)
			return (enum mg_h1_err)i;
	ck_abort_msg("unknown reason %s", name);
	return MG_H1_E_NONE;
}

int main(void)
{
	char prefix[64];
	char *argv[] = {"mgtest",        "--no-huge",     "-m",   "64",
	                "--no-pci",      "--file-prefix", prefix, "--log-level",
	                "lib.eal:error", "--no-telemetry"};
	Suite *s = suite_create("http");
	SRunner *sr;
	int failed;

	snprintf(prefix, sizeof(prefix), "mgtest-http-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	tpool = rte_pktmbuf_pool_create("mgtest_http", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                SOCKET_ID_ANY);
	if (tpool == NULL) {
		fprintf(stderr, "cannot create the test pool\n");
		return 1;
	}
	suite_add_tcase(s, tcase_valid());
	suite_add_tcase(s, tcase_strict());
	suite_add_tcase(s, tcase_features());
	suite_add_tcase(s, tcase_limits());
	suite_add_tcase(s, tcase_write());
	suite_add_tcase(s, tcase_fuzz());
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(tpool);
	rte_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
