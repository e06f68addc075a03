/*
 * fuzz_h1.c — libFuzzer targets for the HTTP/1.1 parser (dataplane/http):
 * built twice, as fuzz_h1_request (MG_FUZZ_KIND = MG_H1_REQUEST) and
 * fuzz_h1_response, with -Dfuzz=true and clang (tools/test.sh runs each for
 * a bounded time; test/fuzz/README has the by-hand commands).
 *
 * Each input is fed as the network would: cut into pieces at places its
 * first byte chooses, every piece in its own heap block (so AddressSanitizer
 * sees a read past the data), then EOF.  The callbacks read every byte they
 * are pointed at, so a reference outside the fed data is a sanitizer report,
 * and check what the API promises: body ranges lie inside the current piece,
 * mg_h1_parse never returns more than it was given, errors are sticky.
 * For responses the request method varies (HEAD and CONNECT change framing).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

struct fz {
	const char *piece; /* the data being parsed now */
	uint32_t piece_len;
	volatile uint32_t sink;
};

static void touch(struct fz *f, const char *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += (uint8_t)p[i];
	f->sink += s;
}

static int on_head(void *ctx, const struct mg_h1_msg *m)
{
	struct fz *f = ctx;

	touch(f, m->method_str.p, m->method_str.len);
	touch(f, m->target.p, m->target.len);
	touch(f, m->host.p, m->host.len);
	touch(f, m->reason.p, m->reason.len);
	for (uint16_t i = 0; i < m->n_headers; i++) {
		touch(f, m->headers[i].name.p, m->headers[i].name.len);
		touch(f, m->headers[i].value.p, m->headers[i].value.len);
	}
	return 0;
}

static int on_body(void *ctx, const char *at, uint32_t len)
{
	struct fz *f = ctx;

	/* Zero-copy: a body range always lies inside the piece being parsed. */
	if (at < f->piece || at + len > f->piece + f->piece_len)
		abort();
	touch(f, at, len);
	return 0;
}

static int on_chunk(void *ctx, uint64_t size)
{
	((struct fz *)ctx)->sink += (uint32_t)size;
	return 0;
}

static int on_trailers(void *ctx, const struct mg_h1_header *h, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		touch(ctx, h[i].name.p, h[i].name.len);
		touch(ctx, h[i].value.p, h[i].value.len);
	}
	return 0;
}

static int on_end(void *ctx, const struct mg_h1_msg *m)
{
	(void)m;
	((struct fz *)ctx)->sink++;
	return 0;
}

static const struct mg_h1_cbs cbs = {
    .on_head = on_head,
    .on_body = on_body,
    .on_chunk = on_chunk,
    .on_trailers = on_trailers,
    .on_message_end = on_end,
};

static const enum mg_h1_method methods[] = {MG_H1_M_GET, MG_H1_M_HEAD, MG_H1_M_POST,
                                            MG_H1_M_CONNECT};

/* Feed one piece (its own heap copy); false once the parser stopped. */
static bool feed(struct mg_h1_parser *p, struct fz *f, const uint8_t *d, uint32_t n, int *err)
{
	char *copy;
	uint32_t off = 0;

	if (n == 0)
		return true;
	copy = malloc(n);
	if (copy == NULL)
		return false;
	memcpy(copy, d, n);
	f->piece = copy;
	f->piece_len = n;
	while (off < n) {
		int rc = mg_h1_parse(p, copy + off, n - off);

		if (rc < 0) {
			if (rc != -EBADMSG && rc != -EMSGSIZE && rc != -ENOMEM && rc != -EALREADY)
				abort();
			/* Sticky: the same answer again. */
			if (mg_h1_parse(p, "x", 1) != rc)
				abort();
			*err = rc;
			break;
		}
		if (rc == 0 || (uint32_t)rc > n - off)
			abort();
		off += (uint32_t)rc;
		if (MG_FUZZ_KIND == MG_H1_RESPONSE)
			mg_h1_parser_set_request(p, methods[(d[0] >> 2) & 3]);
	}
	free(copy);
	return *err == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_h1_parser p;
	struct mg_h1_counters cnt;
	struct mg_h1_conf conf = {0};
	struct fz f = {0};
	uint32_t n = (uint32_t)(size > 65536 ? 65536 : size), cut1, cut2;
	int err = 0;

	if (n < 1)
		return 0;
	memset(&cnt, 0, sizeof(cnt));
	/* Small limits some of the time, so the limit paths get inputs too. */
	if (data[0] & 0x80) {
		conf.max_head_bytes = 256;
		conf.max_headers = 8;
	}
	if (mg_h1_parser_init(&p, MG_FUZZ_KIND, &conf, &cbs, &f, &cnt) != 0)
		return 0;
	if (MG_FUZZ_KIND == MG_H1_RESPONSE)
		mg_h1_parser_set_request(&p, methods[data[0] & 3]);
	data++, n--;
	cut1 = n ? (uint32_t)(data[0] * 7919u) % (n + 1) : 0;
	cut2 = cut1 + (n - cut1 ? (uint32_t)(data[n / 2] * 104729u) % (n - cut1 + 1) : 0);
	if (feed(&p, &f, data, cut1, &err) && feed(&p, &f, data + cut1, cut2 - cut1, &err) &&
	    feed(&p, &f, data + cut2, n - cut2, &err))
		(void)mg_h1_parse_eof(&p);
	mg_h1_parser_fini(&p);
	return 0;
}
