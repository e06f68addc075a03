/*
 * test_http.h — harness of the HTTP/1.1 codec unit tests (dataplane/http).
 *
 * A recorder drives one parser and writes everything it reports into a
 * canonical transcript (heads, coalesced body bytes, chunk sizes, trailers,
 * message ends, the error reason), so that feeding a message whole and
 * split anywhere can be compared byte for byte.  Every segment is copied
 * into its own exact-size heap block that is freed right after use, so an
 * ASan build catches any read beyond the data, and every reference the
 * parser reports is checked to lie inside the segment (in place) or inside
 * the parser's head buffer (gathered).
 */
#ifndef MG_TEST_HTTP_H
#define MG_TEST_HTTP_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "http/h1.h"

#define T_MAX 65536

struct rec {
	struct mg_h1_parser p;
	struct mg_h1_counters cnt;
	char t[T_MAX]; /* transcript */
	uint32_t tlen;
	char body[T_MAX]; /* body bytes not yet written to t */
	uint32_t blen;
	const char *seg; /* current segment */
	uint32_t seg_len;
	enum mg_h1_method next_methods[16]; /* response parser: requests answered, in order */
	unsigned n_next, i_next;
	uint64_t consumed; /* bytes used by the parser so far */
	bool stopped;      /* error or tunnel: feed no more */
	int last_rc;
	unsigned ends; /* messages ended */
	int abort_in;  /* callback number that returns -1 (0 = never) */
	unsigned ncb;
};

extern struct rte_mempool *tpool;

/* Set up r for kind with limits conf (NULL for defaults). */
void rec_init(struct rec *r, enum mg_h1_kind kind, const struct mg_h1_conf *conf);
void rec_fini(struct rec *r);
/* Response parser: the methods of the requests the responses answer, in order. */
void rec_methods(struct rec *r, const enum mg_h1_method *m, unsigned n);
/* Feed one segment (copied into an exact heap block); returns the last rc. */
int rec_feed(struct rec *r, const char *d, uint32_t n);
/* Signal EOF; returns its rc. */
int rec_eof(struct rec *r);
/* The transcript (NUL-terminated) after flushing pending body bytes. */
const char *rec_text(struct rec *r);

/*
 * Parse msg fed as the segments cut at cuts[0..ncuts) (increasing), then EOF
 * if eof; the transcript is copied to out (T_MAX).
 */
void run_split(enum mg_h1_kind kind, const struct mg_h1_conf *conf, const enum mg_h1_method *m,
               unsigned nm, const char *msg, uint32_t len, const uint32_t *cuts, unsigned ncuts,
               bool eof, char *out);

/* Whole, every 2-way split and byte by byte give the same transcript; returns it (static). */
const char *check_all_splits(enum mg_h1_kind kind, const struct mg_h1_conf *conf,
                             const enum mg_h1_method *m, unsigned nm, const char *msg, uint32_t len,
                             bool eof);

/* The error reason a transcript ended with, or MG_H1_E_NONE. */
enum mg_h1_err text_err(const char *t);

TCase *tcase_valid(void);
TCase *tcase_strict(void);
TCase *tcase_features(void);
TCase *tcase_limits(void);
TCase *tcase_write(void);
TCase *tcase_fuzz(void);

#endif /* MG_TEST_HTTP_H */
