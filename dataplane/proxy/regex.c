/*
 * regex.c — PCRE2 behind mg_regex (see regex.h for why PCRE2 and the limits).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "proxy/regex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcre2.h>

struct mg_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

static uint64_t limit_hits;

/*
 * Match data is scratch space: one per thread, created on first use and kept
 * (a worker matches millions of times; a malloc per match would show).  An
 * ovector of one pair is all a yes/no full match needs.
 */
static __thread pcre2_match_data *tls_md;

struct mg_regex *mg_regex_compile(const char *pattern, size_t len, bool caseless, char *err,
                                  size_t errlen)
{
	struct mg_regex *re;
	PCRE2_SIZE off;
	int code;

	if (len > MG_REGEX_MAX_PATTERN) {
		snprintf(err, errlen, "pattern longer than %d bytes", MG_REGEX_MAX_PATTERN);
		errno = EINVAL;
		return NULL;
	}
	re = calloc(1, sizeof(*re));
	if (re == NULL)
		return NULL;
	/* Anchored at both ends: a full match, as Envoy's safe_regex. */
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len,
	                         PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF |
	                             (caseless ? PCRE2_CASELESS : 0),
	                         &code, &off, NULL);
	if (re->code == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "invalid regex at offset %zu: %s", (size_t)off, (char *)msg);
		free(re);
		errno = EINVAL;
		return NULL;
	}
	re->mctx = pcre2_match_context_create(NULL);
	if (re->mctx == NULL) {
		mg_regex_free(re);
		errno = ENOMEM;
		return NULL;
	}
	pcre2_set_match_limit(re->mctx, MG_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, MG_REGEX_DEPTH_LIMIT);
	/* JIT where the platform has it; the interpreter honours the same limits. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	return re;
}

void mg_regex_free(struct mg_regex *re)
{
	if (re == NULL)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}

bool mg_regex_match(const struct mg_regex *re, const char *subject, size_t len)
{
	int rc;

	if (tls_md == NULL) {
		tls_md = pcre2_match_data_create(1, NULL);
		if (tls_md == NULL)
			return false;
	}
	/* Subjects come from the network: let PCRE2 check their UTF-8 (a
	 * malformed sequence is simply no match). */
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, tls_md, re->mctx);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT)
		__atomic_fetch_add(&limit_hits, 1, __ATOMIC_RELAXED);
	return rc >= 0;
}

uint64_t mg_regex_limit_hits(void)
{
	return __atomic_load_n(&limit_hits, __ATOMIC_RELAXED);
}
