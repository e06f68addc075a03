/*
 * route_match.c — virtual host, route and cluster selection over a compiled
 * table (route.h).  Envoy's semantics, which is what people's configs expect:
 * paths match without the query string; path regexes and string regexes are
 * full matches; a header appearing twice is matched as "v1,v2"; an absent
 * header fails every condition except present_match: false and an inverted one
 * (or is treated as "" when missing_as_empty says so).
 */
#include "proxy/route.h"

#include <stdlib.h>
#include <string.h>

#include "common/mg_arena.h"
#include "proxy/regex.h"

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Equal ignoring case; b is already lowered. */
static bool eq_lower(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (lower(a[i]) != b[i])
			return false;
	return true;
}

static bool eq(const char *a, const char *b, uint32_t n, bool ic)
{
	return ic ? eq_lower(a, b, n) : memcmp(a, b, n) == 0;
}

bool mg_str_matches(const struct mg_str_matcher *sm, const char *s, uint32_t len)
{
	const struct mg_rstr *v = &sm->v;

	switch (sm->kind) {
	case MG_SM_EXACT:
		return len == v->len && eq(s, v->s, len, sm->ignore_case);
	case MG_SM_PREFIX:
		return len >= v->len && eq(s, v->s, v->len, sm->ignore_case);
	case MG_SM_SUFFIX:
		return len >= v->len && eq(s + len - v->len, v->s, v->len, sm->ignore_case);
	case MG_SM_CONTAINS:
		for (uint32_t i = 0; i + v->len <= len; i++)
			if (eq(s + i, v->s, v->len, sm->ignore_case))
				return true;
		return false;
	case MG_SM_REGEX:
		return mg_regex_match(sm->re, s, len);
	}
	return false;
}

/* Authority without a trailing ":port" (IPv6 literals "[::1]:80" keep their brackets). */
static uint32_t strip_port(struct mg_rstr a)
{
	for (uint32_t i = a.len; i > 0; i--) {
		char c = a.s[i - 1];

		if (c == ':')
			return i - 1;
		if (c < '0' || c > '9')
			break;
	}
	return a.len;
}

static bool domain_matches(const struct mg_domain *d, const char *a, uint32_t n)
{
	switch (d->kind) {
	case MG_DOMAIN_EXACT:
		return n == d->v.len && eq_lower(a, d->v.s, n);
	case MG_DOMAIN_SUFFIX:
		/* "*.example.com" needs at least one character before the suffix. */
		return n > d->v.len && eq_lower(a + n - d->v.len, d->v.s, d->v.len);
	case MG_DOMAIN_PREFIX:
		return n > d->v.len && eq_lower(a, d->v.s, d->v.len);
	case MG_DOMAIN_ANY:
		return true;
	}
	return false;
}

const struct mg_vhost *mg_route_vhost(const struct mg_route_table *t, struct mg_rstr authority)
{
	uint32_t bare = strip_port(authority);
	uint32_t i = 0, j;

	/*
	 * Domains are sorted by precedence (kind, then longest first).  Within
	 * one kind every domain is tried with the authority as sent, then every
	 * domain without its port, so "a.com:8080" prefers a domain that names
	 * the port but still beats a wildcard with "a.com".
	 */
	while (i < t->n_domains) {
		uint8_t kind = t->domains[i].kind;
		uint32_t end = i;

		while (end < t->n_domains && t->domains[end].kind == kind)
			end++;
		for (j = i; j < end; j++)
			if (domain_matches(&t->domains[j], authority.s, authority.len))
				return &t->vhosts[t->domains[j].vhost];
		for (j = i; bare != authority.len && j < end; j++)
			if (domain_matches(&t->domains[j], authority.s, bare))
				return &t->vhosts[t->domains[j].vhost];
		i = end;
	}
	return NULL;
}

static uint32_t path_len(struct mg_rstr target)
{
	const char *q = memchr(target.s, '?', target.len);
	const char *h = memchr(target.s, '#', target.len);
	uint32_t n = target.len;

	if (q != NULL)
		n = (uint32_t)(q - target.s);
	if (h != NULL && (uint32_t)(h - target.s) < n)
		n = (uint32_t)(h - target.s);
	return n;
}

static bool path_matches(const struct mg_route_entry *rt, const char *p, uint32_t n)
{
	switch (rt->path_kind) {
	case MG_PATH_PREFIX:
		return n >= rt->path.len && eq(p, rt->path.s, rt->path.len, rt->path_ignore_case);
	case MG_PATH_EXACT:
		return n == rt->path.len && eq(p, rt->path.s, n, rt->path_ignore_case);
	case MG_PATH_SEPARATED_PREFIX:
		/* "/api" matches "/api" and "/api/..." but not "/apis". */
		return n >= rt->path.len && eq(p, rt->path.s, rt->path.len, rt->path_ignore_case) &&
		       (n == rt->path.len || p[rt->path.len] == '/');
	case MG_PATH_REGEX:
		return mg_regex_match(rt->path_re, p, n);
	}
	return false;
}

static bool header_matches(const struct mg_hdrmatch *h, const struct mg_route_req *r)
{
	uint32_t len = 0;
	const char *v = r->header != NULL ? r->header(r->ctx, h->name.s, h->name.len, &len) : NULL;
	bool ok;

	if (h->present_only)
		ok = (v != NULL) == h->present;
	else if (v == NULL && !h->missing_as_empty)
		return h->invert; /* absent: only an inverted condition holds */
	else
		ok = mg_str_matches(&h->sm, v != NULL ? v : "", v != NULL ? len : 0);
	return ok != h->invert;
}

/* The value of query parameter name in q (the part after '?'), as sent. */
static const char *query_param(const char *q, uint32_t n, struct mg_rstr name, uint32_t *len)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t end = i, eqp;

		while (end < n && q[end] != '&')
			end++;
		for (eqp = i; eqp < end && q[eqp] != '='; eqp++)
			;
		if (eqp - i == name.len && memcmp(q + i, name.s, name.len) == 0) {
			*len = eqp < end ? end - eqp - 1 : 0;
			return eqp < end ? q + eqp + 1 : q + end;
		}
		i = end + 1;
	}
	return NULL;
}

static bool query_matches(const struct mg_route_entry *rt, const struct mg_route_req *r,
                          uint32_t plen)
{
	const char *q = r->target.s + plen + 1;
	uint32_t qn = 0;

	if (plen < r->target.len && r->target.s[plen] == '?') {
		const char *hash = memchr(q, '#', r->target.len - plen - 1);

		qn = hash != NULL ? (uint32_t)(hash - q) : r->target.len - plen - 1;
	}
	for (uint32_t i = 0; i < rt->n_query; i++) {
		const struct mg_querymatch *m = &rt->query[i];
		uint32_t len;
		const char *v = query_param(q, qn, m->name, &len);

		if (v == NULL || (!m->present_only && !mg_str_matches(&m->sm, v, len)))
			return false;
	}
	return true;
}

const struct mg_route_entry *mg_route_match(const struct mg_vhost *vh, const struct mg_route_req *r,
                                            uint32_t draw)
{
	uint32_t plen = path_len(r->target);

	for (uint32_t i = 0; i < vh->n_routes; i++) {
		const struct mg_route_entry *rt = &vh->routes[i];
		uint32_t j;

		if (!path_matches(rt, r->target.s, plen))
			continue;
		for (j = 0; j < rt->n_hdrs && header_matches(&rt->hdrs[j], r); j++)
			;
		if (j < rt->n_hdrs)
			continue;
		if (rt->n_query > 0 && !query_matches(rt, r, plen))
			continue;
		if (rt->per_million < 1000000 && draw % 1000000 >= rt->per_million)
			continue;
		return rt;
	}
	return NULL;
}

/* A header's value as an unsigned number (the weighted split's draw), or the fallback. */
static uint32_t header_draw(const struct mg_route_entry *rt, const struct mg_route_req *r,
                            uint32_t fallback)
{
	uint32_t len = 0, i;
	uint64_t v = 0;
	const char *s;

	if (rt->wc_random_header.len == 0 || r->header == NULL)
		return fallback;
	s = r->header(r->ctx, rt->wc_random_header.s, rt->wc_random_header.len, &len);
	if (s == NULL || len == 0 || len > 19)
		return fallback;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fallback;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return (uint32_t)(v % rt->wc_total);
}

struct mg_rstr mg_route_cluster(const struct mg_route_entry *rt, const struct mg_route_req *r,
                                uint32_t draw, const struct mg_wcluster **wc)
{
	struct mg_rstr none = {NULL, 0};
	uint32_t d, len = 0;
	const char *v;

	*wc = NULL;
	switch (rt->kind) {
	case MG_ROUTE_CLUSTER:
		return rt->cluster;
	case MG_ROUTE_CLUSTER_HEADER:
		v = r->header != NULL ? r->header(r->ctx, rt->cluster.s, rt->cluster.len, &len)
		                      : NULL;
		return v != NULL && len > 0 ? (struct mg_rstr){v, len} : none;
	case MG_ROUTE_WEIGHTED:
		d = header_draw(rt, r, draw % rt->wc_total);
		for (uint32_t i = 0; i < rt->n_wc; i++)
			if (d < rt->wc[i].upto) {
				*wc = &rt->wc[i];
				return rt->wc[i].cluster;
			}
		return none; /* unreachable: the compiler checks the total */
	default:
		return none;
	}
}

void mg_route_table_free(struct mg_route_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->n_regexes; i++)
		mg_regex_free(t->regexes[i]);
	free(t->regexes);
	/* The table itself lives in its arena. */
	mg_arena_free(t->arena);
}
