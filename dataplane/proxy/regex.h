/*
 * regex.h — regular expressions for route, header and query matching.
 *
 * Backed by PCRE2 (Debian's libpcre2-8): a well-kept C library whose matcher
 * takes a match limit and a depth limit, so a hostile pattern or subject costs
 * a bounded amount of work instead of backtracking for seconds — the property
 * Envoy gets from RE2.  Patterns are compiled once, when a configuration is
 * compiled, and JIT-compiled where PCRE2 supports it.  Matching is a full
 * match of the whole subject (Envoy's safe_regex semantics: "a/b" does not
 * match "xa/by").
 *
 * A compiled regex is immutable and may be used by every worker at once; the
 * scratch space a match needs is per thread.
 */
#ifndef MG_PROXY_REGEX_H
#define MG_PROXY_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_regex;

/** Work a single match may do before it gives up (PCRE2 match limit). */
#define MG_REGEX_MATCH_LIMIT 100000
/** Backtracking depth a single match may reach (PCRE2 depth limit). */
#define MG_REGEX_DEPTH_LIMIT 1000
/** Longest pattern accepted, in bytes. */
#define MG_REGEX_MAX_PATTERN 4096

/**
 * Compile pattern (len bytes, not necessarily NUL-terminated) for full
 * matches.
 * @param caseless  match ignoring ASCII case
 * @param err       on failure, a message with the offset of the problem
 * @return the regex, or NULL with errno EINVAL (bad pattern, err says why)
 *         or ENOMEM
 */
struct mg_regex *mg_regex_compile(const char *pattern, size_t len, bool caseless, char *err,
                                  size_t errlen);

/** Free re (NULL is fine). */
void mg_regex_free(struct mg_regex *re);

/**
 * Does the whole of subject match re?  A match that hits the work or depth
 * limit counts as no match and is counted (mg_regex_limit_hits()).
 */
bool mg_regex_match(const struct mg_regex *re, const char *subject, size_t len);

/** Matches abandoned at the limits since start, all threads (relaxed read). */
uint64_t mg_regex_limit_hits(void);

#endif /* MG_PROXY_REGEX_H */
