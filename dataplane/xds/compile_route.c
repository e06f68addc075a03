/*
 * compile_route.c — RouteConfiguration → struct mg_route_table (compile.h).
 *
 * Walks the message once, copying what the router needs into the table's
 * arena (names lowered where matching ignores case, regexes compiled, shares
 * turned into parts per million, weights into running totals) and checking
 * what Envoy checks.  Fields meshgate does not implement yet are errors that
 * name the field, so a config never silently means less than it says.
 */
#include "xds/compile.h"

/*
 * Envoy still honours its deprecated fields (HeaderValueOption.append, the
 * one-kind header matchers, WeightedCluster.total_weight), and configs in the
 * wild use them, so this file reads them on purpose.
 */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mg_arena.h"
#include "proxy/regex.h"
#include "proxy/route.h"
#include "xds/compile_pvt.h"

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;
typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Config__Route__V3__RouteMatch RouteMatch;
typedef Envoy__Config__Route__V3__RouteAction RouteAction;
typedef Envoy__Config__Route__V3__RedirectAction RedirectAction;
typedef Envoy__Config__Route__V3__HeaderMatcher HeaderMatcher;
typedef Envoy__Config__Route__V3__QueryParameterMatcher QueryParameterMatcher;
typedef Envoy__Config__Route__V3__WeightedCluster WeightedCluster;
typedef Envoy__Config__Route__V3__RouteAction__RequestMirrorPolicy MirrorPolicy;
typedef Envoy__Config__Core__V3__HeaderValueOption HeaderValueOption;
typedef Envoy__Config__Core__V3__RuntimeFractionalPercent RuntimeFractionalPercent;
typedef Envoy__Type__Matcher__V3__StringMatcher StringMatcher;
typedef Envoy__Type__Matcher__V3__RegexMatcher RegexMatcher;

/* What a route table's compilation adds to the shared context. */
#define RT(c) ((struct mg_route_table *)(c)->owner)

static int regex(struct cctx *c, const RegexMatcher *m, bool caseless, const char *field,
                 struct mg_regex **out)
{
	size_t old = cc_push(c, "%s", field);
	char msg[200];
	struct mg_regex *re;
	int rc = 0;

	if (m->regex == NULL || m->regex[0] == '\0') {
		rc = cc_fail(c, "regex", "must not be empty");
		goto out;
	}
	if (RT(c)->n_regexes == c->cap_re) {
		uint32_t cap = c->cap_re ? 2 * c->cap_re : 8;
		struct mg_regex **v = realloc(RT(c)->regexes, cap * sizeof(*v));

		if (v == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		RT(c)->regexes = v;
		c->cap_re = cap;
	}
	re = mg_regex_compile(m->regex, strlen(m->regex), caseless, msg, sizeof(msg));
	if (re == NULL) {
		rc = errno == EINVAL ? cc_fail(c, "regex", "%s", msg) : -ENOMEM;
		goto out;
	}
	RT(c)->regexes[RT(c)->n_regexes++] = re;
	*out = re;
out:
	cc_pop(c, old);
	return rc;
}

static int strmatch(struct cctx *c, const StringMatcher *m, const char *field,
                    struct mg_str_matcher *out)
{
	size_t old = cc_push(c, "%s", field);
	bool ic = m->ignore_case;
	int rc = 0;

	out->ignore_case = ic;
	switch (m->match_pattern_case) {
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT:
		out->kind = MG_SM_EXACT;
		rc = cc_str(c, m->exact, ic, &out->v);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_PREFIX:
		out->kind = MG_SM_PREFIX;
		rc = m->prefix[0] == '\0' ? cc_fail(c, "prefix", "must not be empty")
		                          : cc_str(c, m->prefix, ic, &out->v);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SUFFIX:
		out->kind = MG_SM_SUFFIX;
		rc = m->suffix[0] == '\0' ? cc_fail(c, "suffix", "must not be empty")
		                          : cc_str(c, m->suffix, ic, &out->v);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_CONTAINS:
		out->kind = MG_SM_CONTAINS;
		rc = m->contains[0] == '\0' ? cc_fail(c, "contains", "must not be empty")
		                            : cc_str(c, m->contains, ic, &out->v);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX:
		out->kind = MG_SM_REGEX;
		rc = regex(c, m->safe_regex, ic, "safe_regex", &out->re);
		break;
	default:
		rc = cc_fail(c, NULL, "set one of exact, prefix, suffix, contains, safe_regex");
	}
	cc_pop(c, old);
	return rc;
}

/* A share as parts per million; NULL means all of them. */
static uint32_t per_million(const Envoy__Type__V3__FractionalPercent *f)
{
	uint64_t n;

	if (f == NULL)
		return 1000000;
	n = f->numerator;
	switch (f->denominator) {
	case ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__HUNDRED:
		n *= 10000;
		break;
	case ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__TEN_THOUSAND:
		n *= 100;
		break;
	default:
		break;
	}
	return n > 1000000 ? 1000000 : (uint32_t)n; /* Envoy clamps to 100% too */
}

static int fraction(struct cctx *c, const RuntimeFractionalPercent *f, const char *field,
                    uint32_t *out)
{
	if (f == NULL) {
		*out = 1000000;
		return 0;
	}
	/* No runtime here: the default value is the value. */
	if (f->default_value == NULL)
		return cc_fail(c, field, "default_value is required");
	*out = per_million(f->default_value);
	return 0;
}

static int hdr_ops(struct cctx *c, HeaderValueOption **add, size_t n_add, char **rm, size_t n_rm,
                   const char *add_field, const char *rm_field, struct mg_hdr_ops *out)
{
	struct mg_hdr_add *a = cc_alloc(c, n_add, sizeof(*a));
	struct mg_rstr *r = cc_alloc(c, n_rm, sizeof(*r));
	int rc = 0;

	if ((n_add && a == NULL) || (n_rm && r == NULL))
		return -ENOMEM;
	for (size_t i = 0; i < n_add && rc == 0; i++) {
		const HeaderValueOption *o = add[i];
		size_t old = cc_push(c, "%s[%zu]", add_field, i);

		if (o->header == NULL || !cc_header_name_ok(o->header->key))
			rc = cc_fail(c, "header.key", "not a valid header name");
		else if (!cc_header_value_ok(o->header->value))
			rc = cc_fail(c, "header.value", "control characters are not allowed");
		else if (o->header->raw_value.len > 0)
			rc = cc_fail(c, "header.raw_value", "not supported yet; use value");
		else if (
		    o->append != NULL &&
		    o->append_action !=
		        ENVOY__CONFIG__CORE__V3__HEADER_VALUE_OPTION__HEADER_APPEND_ACTION__APPEND_IF_EXISTS_OR_ADD)
			rc = cc_fail(c, NULL, "set append or append_action, not both");
		if (rc == 0)
			rc = cc_str(c, o->header->key, true, &a[i].name);
		if (rc == 0)
			rc = cc_str(c, o->header->value, false, &a[i].value);
		if (o->append != NULL)
			a[i].action =
			    o->append->value ? MG_HDR_APPEND_OR_ADD : MG_HDR_OVERWRITE_OR_ADD;
		else
			a[i].action =
			    (uint8_t)o->append_action; /* same order as enum mg_hdr_action */
		a[i].keep_empty = o->keep_empty_value;
		cc_pop(c, old);
	}
	for (size_t i = 0; i < n_rm && rc == 0; i++) {
		if (!cc_header_name_ok(rm[i])) {
			size_t old = cc_push(c, "%s[%zu]", rm_field, i);

			rc = cc_fail(c, NULL, "not a valid header name");
			cc_pop(c, old);
			break;
		}
		rc = cc_str(c, rm[i], true, &r[i]);
	}
	*out = (struct mg_hdr_ops){a, r, (uint32_t)n_add, (uint32_t)n_rm};
	return rc;
}

static int header_matcher(struct cctx *c, const HeaderMatcher *m, struct mg_hdrmatch *out)
{
	StringMatcher sm = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__INIT;
	int rc;

	if (!cc_header_name_ok(m->name))
		return cc_fail(c, "name", "not a valid header name");
	rc = cc_str(c, m->name, true, &out->name);
	if (rc < 0)
		return rc;
	out->invert = m->invert_match;
	out->missing_as_empty = m->treat_missing_header_as_empty;
	/* The deprecated one-kind fields are string_match in disguise. */
	switch (m->header_match_specifier_case) {
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PRESENT_MATCH:
		out->present_only = true;
		out->present = m->present_match;
		return 0;
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_STRING_MATCH:
		return strmatch(c, m->string_match, "string_match", &out->sm);
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_EXACT_MATCH:
		sm.match_pattern_case =
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
		sm.exact = m->exact_match;
		return strmatch(c, &sm, "exact_match", &out->sm);
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PREFIX_MATCH:
		sm.match_pattern_case =
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_PREFIX;
		sm.prefix = m->prefix_match;
		return strmatch(c, &sm, "prefix_match", &out->sm);
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SUFFIX_MATCH:
		sm.match_pattern_case =
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SUFFIX;
		sm.suffix = m->suffix_match;
		return strmatch(c, &sm, "suffix_match", &out->sm);
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_CONTAINS_MATCH:
		sm.match_pattern_case =
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_CONTAINS;
		sm.contains = m->contains_match;
		return strmatch(c, &sm, "contains_match", &out->sm);
	case ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SAFE_REGEX_MATCH:
		out->sm.kind = MG_SM_REGEX;
		return regex(c, m->safe_regex_match, false, "safe_regex_match", &out->sm.re);
	default:
		/* Envoy: no specifier means "present". */
		out->present_only = true;
		out->present = true;
		return 0;
	}
}

static int route_match(struct cctx *c, const RouteMatch *m, struct mg_route_entry *rt)
{
	size_t old = cc_push(c, "match");
	int rc = 0;

	if (m == NULL) {
		cc_pop(c, old);
		return cc_fail(c, "match", "is required");
	}
	rt->path_ignore_case = m->case_sensitive != NULL && !m->case_sensitive->value;
	switch (m->path_specifier_case) {
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX:
		rt->path_kind = MG_PATH_PREFIX;
		rc = cc_str(c, m->prefix, rt->path_ignore_case, &rt->path);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH:
		rt->path_kind = MG_PATH_EXACT;
		rc = cc_str(c, m->path, rt->path_ignore_case, &rt->path);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH_SEPARATED_PREFIX:
		rt->path_kind = MG_PATH_SEPARATED_PREFIX;
		if (m->path_separated_prefix[0] != '/' || strpbrk(m->path_separated_prefix, "?#") ||
		    (strlen(m->path_separated_prefix) > 1 &&
		     m->path_separated_prefix[strlen(m->path_separated_prefix) - 1] == '/'))
			rc = cc_fail(
			    c, "path_separated_prefix",
			    "must start with '/', not end with one, and hold no '?' or '#'");
		else
			rc = cc_str(c, m->path_separated_prefix, rt->path_ignore_case, &rt->path);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX:
		rt->path_kind = MG_PATH_REGEX;
		rc = regex(c, m->safe_regex, rt->path_ignore_case, "safe_regex", &rt->path_re);
		break;
	default:
		rc = cc_fail(c, NULL, "set one of prefix, path, safe_regex, path_separated_prefix");
	}
	if (rc == 0)
		rc = fraction(c, m->runtime_fraction, "runtime_fraction", &rt->per_million);
	if (rc == 0 && m->n_headers > 0) {
		struct mg_hdrmatch *h = cc_alloc(c, m->n_headers, sizeof(*h));

		rt->hdrs = h;
		rt->n_hdrs = (uint32_t)m->n_headers;
		for (size_t i = 0; h == NULL ? (rc = -ENOMEM, false) : rc == 0 && i < m->n_headers;
		     i++) {
			size_t o = cc_push(c, "headers[%zu]", i);

			rc = header_matcher(c, m->headers[i], &h[i]);
			cc_pop(c, o);
		}
	}
	if (rc == 0 && m->n_query_parameters > 0) {
		struct mg_querymatch *q = cc_alloc(c, m->n_query_parameters, sizeof(*q));

		rt->query = q;
		rt->n_query = (uint32_t)m->n_query_parameters;
		for (size_t i = 0;
		     q == NULL ? (rc = -ENOMEM, false) : rc == 0 && i < m->n_query_parameters;
		     i++) {
			const QueryParameterMatcher *qm = m->query_parameters[i];
			size_t o = cc_push(c, "query_parameters[%zu]", i);

			if (qm->name[0] == '\0')
				rc = cc_fail(c, "name", "must not be empty");
			else
				rc = cc_str(c, qm->name, false, &q[i].name);
			if (rc == 0 &&
			    qm->query_parameter_match_specifier_case ==
			        ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__QUERY_PARAMETER_MATCH_SPECIFIER_STRING_MATCH)
				rc = strmatch(c, qm->string_match, "string_match", &q[i].sm);
			else if (rc == 0)
				q[i].present_only = true; /* present_match, or nothing: presence */
			cc_pop(c, o);
		}
	}
	cc_pop(c, old);
	return rc;
}

static int mirrors(struct cctx *c, MirrorPolicy **p, size_t n, const char *field,
                   const struct mg_mirror **out, uint32_t *n_out)
{
	struct mg_mirror *m = cc_alloc(c, n, sizeof(*m));
	int rc = 0;

	if (n > 0 && m == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t old = cc_push(c, "%s[%zu]", field, i);

		if (p[i]->cluster_header[0] != '\0')
			rc = cc_fail(c, "cluster_header", "not supported yet; name the cluster");
		else if (p[i]->cluster[0] == '\0')
			rc = cc_fail(c, "cluster", "is required");
		else
			rc = cc_str(c, p[i]->cluster, false, &m[i].cluster);
		if (rc == 0)
			rc = fraction(c, p[i]->runtime_fraction, "runtime_fraction",
			              &m[i].per_million);
		cc_pop(c, old);
	}
	*out = m;
	*n_out = (uint32_t)n;
	return rc;
}

static int weighted(struct cctx *c, const WeightedCluster *w, struct mg_route_entry *rt)
{
	size_t old = cc_push(c, "weighted_clusters");
	struct mg_wcluster *wc = cc_alloc(c, w->n_clusters, sizeof(*wc));
	uint64_t total = 0;
	int rc = 0;

	if (w->n_clusters == 0)
		rc = cc_fail(c, "clusters", "needs at least one cluster");
	else if (wc == NULL)
		rc = -ENOMEM;
	else if (w->runtime_key_prefix[0] != '\0')
		rc = cc_fail(c, "runtime_key_prefix", "not supported (meshgate has no runtime)");
	for (size_t i = 0; rc == 0 && i < w->n_clusters; i++) {
		const Envoy__Config__Route__V3__WeightedCluster__ClusterWeight *cw = w->clusters[i];
		size_t o = cc_push(c, "clusters[%zu]", i);

		if (cw->cluster_header[0] != '\0')
			rc = cc_fail(c, "cluster_header", "not supported yet; name the cluster");
		else if (cw->name[0] == '\0')
			rc = cc_fail(c, "name", "is required");
		else if (cw->weight == NULL)
			rc = cc_fail(c, "weight", "is required");
		if (rc == 0)
			rc = cc_str(c, cw->name, false, &wc[i].cluster);
		if (rc == 0) {
			wc[i].weight = cw->weight->value;
			total += wc[i].weight;
			wc[i].upto = (uint32_t)(total > UINT32_MAX ? UINT32_MAX : total);
		}
		if (rc == 0 &&
		    cw->host_rewrite_specifier_case ==
		        ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__HOST_REWRITE_SPECIFIER_HOST_REWRITE_LITERAL)
			rc = cc_str(c, cw->host_rewrite_literal, false, &wc[i].host_rewrite);
		if (rc == 0)
			rc = hdr_ops(c, cw->request_headers_to_add, cw->n_request_headers_to_add,
			             cw->request_headers_to_remove, cw->n_request_headers_to_remove,
			             "request_headers_to_add", "request_headers_to_remove",
			             &wc[i].req_hdrs);
		if (rc == 0)
			rc = hdr_ops(c, cw->response_headers_to_add, cw->n_response_headers_to_add,
			             cw->response_headers_to_remove,
			             cw->n_response_headers_to_remove, "response_headers_to_add",
			             "response_headers_to_remove", &wc[i].resp_hdrs);
		cc_pop(c, o);
	}
	if (rc == 0 && (total == 0 || total > UINT32_MAX))
		rc = cc_fail(c, "clusters", "weights sum to %llu; must be 1..4294967295",
		             (unsigned long long)total);
	if (rc == 0 && w->total_weight != NULL && w->total_weight->value != total)
		rc = cc_fail(c, "total_weight", "is %u but the weights sum to %llu",
		             w->total_weight->value, (unsigned long long)total);
	if (rc == 0 &&
	    w->random_value_specifier_case ==
	        ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__RANDOM_VALUE_SPECIFIER_HEADER_NAME)
		rc = cc_str(c, w->header_name, true, &rt->wc_random_header);
	rt->wc = wc;
	rt->n_wc = (uint32_t)w->n_clusters;
	rt->wc_total = (uint32_t)total;
	cc_pop(c, old);
	return rc;
}

/*
 * The key a hash policy draws from.  Envoy combines several policies; one is
 * what configs (and Istio's consistentHash) use, so more is refused, as are
 * cookie policies with a ttl (Envoy would then set the cookie).
 */
static int hash_policy(struct cctx *c, const RouteAction *ra, struct mg_route_entry *rt)
{
	const Envoy__Config__Route__V3__RouteAction__HashPolicy *h = ra->hash_policy[0];
	size_t old = cc_push(c, "hash_policy[0]");
	int rc = 0;

	if (ra->n_hash_policy > 1)
		rc = cc_fail(c, NULL, "one hash policy is supported so far");
	else if (h->terminal)
		rc = cc_fail(c, "terminal", "not supported (one policy only)");
	else
		switch (h->policy_specifier_case) {
		case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_HEADER:
			rt->hash_kind = MG_HASH_HEADER;
			rc = cc_header_name_ok(h->header->header_name)
			         ? cc_str(c, h->header->header_name, true, &rt->hash_key)
			         : cc_fail(c, "header.header_name", "not a valid header name");
			break;
		case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_COOKIE:
			rt->hash_kind = MG_HASH_COOKIE;
			if (h->cookie->ttl != NULL)
				rc = cc_fail(c, "cookie.ttl",
				             "not supported yet (meshgate does not set cookies)");
			else if (h->cookie->name[0] == '\0')
				rc = cc_fail(c, "cookie.name", "is required");
			else
				rc = cc_str(c, h->cookie->name, false, &rt->hash_key);
			break;
		case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_CONNECTION_PROPERTIES:
			rt->hash_kind =
			    h->connection_properties->source_ip ? MG_HASH_SOURCE_IP : MG_HASH_NONE;
			break;
		default:
			rc = cc_fail(c, NULL, "set header, cookie or connection_properties");
		}
	cc_pop(c, old);
	return rc;
}

static uint32_t duration_ms(const Google__Protobuf__Duration *d)
{
	uint64_t ms;

	if (d->seconds < 0 || d->nanos < 0)
		return UINT32_MAX; /* caught by the caller */
	ms = (uint64_t)d->seconds * 1000 + (uint64_t)(d->nanos + 999999) / 1000000;
	return ms >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)ms;
}

static int route_action(struct cctx *c, const RouteAction *ra, struct mg_route_entry *rt)
{
	size_t old = cc_push(c, "route");
	int rc = 0;

	switch (ra->cluster_specifier_case) {
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER:
		rt->kind = MG_ROUTE_CLUSTER;
		rc = ra->cluster[0] == '\0' ? cc_fail(c, "cluster", "must not be empty")
		                            : cc_str(c, ra->cluster, false, &rt->cluster);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER_HEADER:
		rt->kind = MG_ROUTE_CLUSTER_HEADER;
		rc = !cc_header_name_ok(ra->cluster_header)
		         ? cc_fail(c, "cluster_header", "not a valid header name")
		         : cc_str(c, ra->cluster_header, true, &rt->cluster);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS:
		rt->kind = MG_ROUTE_WEIGHTED;
		rc = weighted(c, ra->weighted_clusters, rt);
		break;
	default:
		rc = cc_fail(c, NULL, "set one of cluster, cluster_header, weighted_clusters");
	}
	switch (ra->cluster_not_found_response_code) {
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_NOT_FOUND_RESPONSE_CODE__NOT_FOUND:
		rt->not_found_status = 404;
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_NOT_FOUND_RESPONSE_CODE__INTERNAL_SERVER_ERROR:
		rt->not_found_status = 500;
		break;
	default:
		rt->not_found_status = 503;
	}
	if (rc == 0 && ra->prefix_rewrite[0] != '\0') {
		if (rt->path_kind == MG_PATH_REGEX)
			rc = cc_fail(c, "prefix_rewrite",
			             "needs a prefix or path match, not safe_regex");
		rt->has_prefix_rewrite = true;
		if (rc == 0)
			rc = cc_str(c, ra->prefix_rewrite, false, &rt->prefix_rewrite);
	}
	if (rc == 0 && ra->regex_rewrite != NULL)
		rc = cc_fail(c, "regex_rewrite", "not supported yet; use prefix_rewrite");
	switch (rc == 0 ? ra->host_rewrite_specifier_case : 0) {
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HOST_REWRITE_SPECIFIER_HOST_REWRITE_LITERAL:
		rc = cc_str(c, ra->host_rewrite_literal, false, &rt->host_rewrite);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HOST_REWRITE_SPECIFIER_AUTO_HOST_REWRITE:
		rt->auto_host_rewrite =
		    ra->auto_host_rewrite != NULL && ra->auto_host_rewrite->value;
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HOST_REWRITE_SPECIFIER_HOST_REWRITE_HEADER:
		rc = cc_header_name_ok(ra->host_rewrite_header)
		         ? cc_str(c, ra->host_rewrite_header, true, &rt->host_rewrite_header)
		         : cc_fail(c, "host_rewrite_header", "not a valid header name");
		break;
	default:
		break;
	}
	rt->timeout_ms = MG_ROUTE_DEFAULT_TIMEOUT_MS;
	if (rc == 0 && ra->timeout != NULL) {
		rt->timeout_ms = duration_ms(ra->timeout); /* 0 disables, as in Envoy */
		if (rt->timeout_ms == UINT32_MAX)
			rc = cc_fail(c, "timeout", "must not be negative");
	}
	if (rc == 0 && ra->idle_timeout != NULL)
		rc = cc_fail(c, "idle_timeout", "not supported yet (the route timeout is)");
	if (rc == 0 && ra->retry_policy != NULL)
		rc = cc_fail(c, "retry_policy",
		             "not supported yet (retries come with the resilience "
		             "work)");
	if (rc == 0 && ra->n_hash_policy > 0)
		rc = hash_policy(c, ra, rt);
	if (rc == 0)
		rc = mirrors(c, ra->request_mirror_policies, ra->n_request_mirror_policies,
		             "request_mirror_policies", &rt->mirrors, &rt->n_mirrors);
	cc_pop(c, old);
	return rc;
}

static int redirect(struct cctx *c, const RedirectAction *rd, struct mg_route_entry *rt)
{
	static const uint16_t codes[] = {301, 302, 303, 307, 308};
	struct mg_redirect *r = &rt->redirect;
	size_t old = cc_push(c, "redirect");
	int rc = 0;

	rt->kind = MG_ROUTE_REDIRECT;
	if (rd->scheme_rewrite_specifier_case ==
	        ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__SCHEME_REWRITE_SPECIFIER_HTTPS_REDIRECT &&
	    rd->https_redirect)
		rc = cc_str(c, "https", false, &r->scheme);
	else if (
	    rd->scheme_rewrite_specifier_case ==
	    ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__SCHEME_REWRITE_SPECIFIER_SCHEME_REDIRECT)
		rc = strcmp(rd->scheme_redirect, "http") == 0 ||
		             strcmp(rd->scheme_redirect, "https") == 0
		         ? cc_str(c, rd->scheme_redirect, true, &r->scheme)
		         : cc_fail(c, "scheme_redirect", "expected http or https");
	if (rc == 0 && rd->host_redirect[0] != '\0')
		rc = cc_header_value_ok(rd->host_redirect) && !strpbrk(rd->host_redirect, " /?#")
		         ? cc_str(c, rd->host_redirect, false, &r->host)
		         : cc_fail(c, "host_redirect", "not a valid host");
	if (rc == 0 && rd->port_redirect > 65535)
		rc = cc_fail(c, "port_redirect", "%u is out of range 1..65535", rd->port_redirect);
	r->port = rd->port_redirect;
	switch (rc == 0 ? rd->path_rewrite_specifier_case : 0) {
	case ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__PATH_REWRITE_SPECIFIER_PATH_REDIRECT:
		rc = rd->path_redirect[0] == '/' && cc_header_value_ok(rd->path_redirect)
		         ? cc_str(c, rd->path_redirect, false, &r->path)
		         : cc_fail(c, "path_redirect", "must start with '/'");
		break;
	case ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__PATH_REWRITE_SPECIFIER_PREFIX_REWRITE:
		r->has_prefix_rewrite = true;
		rc = cc_header_value_ok(rd->prefix_rewrite)
		         ? cc_str(c, rd->prefix_rewrite, false, &r->prefix_rewrite)
		         : cc_fail(c, "prefix_rewrite", "control characters are not allowed");
		break;
	case ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__PATH_REWRITE_SPECIFIER_REGEX_REWRITE:
		rc = cc_fail(c, "regex_rewrite", "not supported yet; use prefix_rewrite");
		break;
	default:
		break;
	}
	if ((unsigned)rd->response_code >= sizeof(codes) / sizeof(codes[0]))
		rc = rc ? rc
		        : cc_fail(c, "response_code", "unknown code %d", (int)rd->response_code);
	else
		r->code = codes[rd->response_code];
	r->strip_query = rd->strip_query;
	cc_pop(c, old);
	return rc;
}

static int direct(struct cctx *c, const Envoy__Config__Route__V3__DirectResponseAction *d,
                  struct mg_route_entry *rt)
{
	const Envoy__Config__Core__V3__DataSource *b = d->body;
	size_t old = cc_push(c, "direct_response");
	int rc = 0;

	rt->kind = MG_ROUTE_DIRECT;
	if (d->status < 200 || d->status > 599)
		rc = cc_fail(c, "status", "%u is out of range 200..599", d->status);
	rt->direct_status = (uint16_t)d->status;
	if (rc == 0 && b != NULL) {
		switch (b->specifier_case) {
		case ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING:
			rc = cc_str(c, b->inline_string, false, &rt->direct_body);
			break;
		case ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_BYTES: {
			char *p = mg_arena_strndup(c->a, (const char *)b->inline_bytes.data,
			                           b->inline_bytes.len);

			if (p == NULL)
				rc = -ENOMEM;
			else if (b->inline_bytes.len > 4096)
				rc = cc_fail(c, "body", "longer than 4096 bytes");
			rt->direct_body = (struct mg_rstr){p, (uint32_t)b->inline_bytes.len};
			break;
		}
		default:
			rc =
			    cc_fail(c, "body", "only inline_string and inline_bytes are supported");
		}
	}
	if (rc == 0 && rt->direct_body.len > 4096)
		rc = cc_fail(c, "body", "longer than 4096 bytes");
	cc_pop(c, old);
	return rc;
}

static int route(struct cctx *c, const Route *r, struct mg_route_entry *rt)
{
	int rc = cc_str(c, r->name, false, &rt->name);

	if (rc == 0)
		rc = route_match(c, r->match, rt);
	switch (rc == 0 ? (int)r->action_case : -1) {
	case -1:
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE:
		rc = route_action(c, r->route, rt);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_REDIRECT:
		rc = redirect(c, r->redirect, rt);
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE:
		rc = direct(c, r->direct_response, rt);
		break;
	default:
		rc = cc_fail(c, NULL, "set one of route, redirect, direct_response");
	}
	if (rc == 0)
		rc = hdr_ops(c, r->request_headers_to_add, r->n_request_headers_to_add,
		             r->request_headers_to_remove, r->n_request_headers_to_remove,
		             "request_headers_to_add", "request_headers_to_remove", &rt->req_hdrs);
	if (rc == 0)
		rc = hdr_ops(c, r->response_headers_to_add, r->n_response_headers_to_add,
		             r->response_headers_to_remove, r->n_response_headers_to_remove,
		             "response_headers_to_add", "response_headers_to_remove",
		             &rt->resp_hdrs);
	return rc;
}

/* Precedence of domains: kind, then longer first (more specific wildcard wins). */
static int domain_cmp(const void *x, const void *y)
{
	const struct mg_domain *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->v.len != b->v.len)
		return a->v.len > b->v.len ? -1 : 1;
	return a->vhost < b->vhost ? -1 : a->vhost > b->vhost;
}

static int domain(struct cctx *c, const char *d, uint32_t vh, struct mg_domain *out)
{
	size_t len = strlen(d);
	const char *star = strchr(d, '*');
	int rc;

	if (len == 0)
		return cc_fail(c, NULL, "must not be empty");
	if (!cc_header_value_ok(d) || strpbrk(d, " /?#@"))
		return cc_fail(c, NULL, "\"%s\" is not a valid domain", d);
	out->vhost = vh;
	if (star == NULL) {
		out->kind = MG_DOMAIN_EXACT;
		return cc_str(c, d, true, &out->v);
	}
	if (strchr(star + 1, '*') != NULL || (star != d && star != d + len - 1))
		return cc_fail(c, NULL,
		               "\"%s\": a wildcard must be the first or the last character", d);
	if (len == 1) {
		out->kind = MG_DOMAIN_ANY;
		return cc_str(c, "", false, &out->v);
	}
	out->kind = star == d ? MG_DOMAIN_SUFFIX : MG_DOMAIN_PREFIX;
	rc = cc_str(c, star == d ? d + 1 : d, true, &out->v);
	if (rc == 0 && out->kind == MG_DOMAIN_PREFIX)
		out->v.len--, ((char *)out->v.s)[out->v.len] = '\0';
	return rc;
}

static int vhost(struct cctx *c, const VirtualHost *v, uint32_t idx, struct mg_vhost *out,
                 struct mg_domain *doms, uint32_t *n_doms)
{
	struct mg_route_entry *routes = cc_alloc(c, v->n_routes, sizeof(*routes));
	int rc = cc_str(c, v->name, false, &out->name);

	if (rc == 0 && v->name[0] == '\0')
		rc = cc_fail(c, "name", "is required");
	if (rc == 0 && v->n_domains == 0)
		rc = cc_fail(c, "domains", "needs at least one domain");
	if (rc == 0 && v->n_routes > 0 && routes == NULL)
		rc = -ENOMEM;
	if (rc == 0 &&
	    v->require_tls != ENVOY__CONFIG__ROUTE__V3__VIRTUAL_HOST__TLS_REQUIREMENT_TYPE__NONE)
		rc = cc_fail(c, "require_tls", "not supported yet (TLS comes later)");
	if (rc == 0 && v->retry_policy != NULL)
		rc = cc_fail(c, "retry_policy",
		             "not supported yet (retries come with the resilience "
		             "work)");
	for (size_t i = 0; rc == 0 && i < v->n_domains; i++) {
		size_t old = cc_push(c, "domains[%zu]", i);

		rc = domain(c, v->domains[i], idx, &doms[(*n_doms)++]);
		cc_pop(c, old);
	}
	for (size_t i = 0; rc == 0 && i < v->n_routes; i++) {
		size_t old = cc_push(c, "routes[%zu]", i);

		rc = route(c, v->routes[i], &routes[i]);
		cc_pop(c, old);
	}
	out->routes = routes;
	out->n_routes = (uint32_t)v->n_routes;
	if (rc == 0)
		rc = hdr_ops(c, v->request_headers_to_add, v->n_request_headers_to_add,
		             v->request_headers_to_remove, v->n_request_headers_to_remove,
		             "request_headers_to_add", "request_headers_to_remove", &out->req_hdrs);
	if (rc == 0)
		rc = hdr_ops(c, v->response_headers_to_add, v->n_response_headers_to_add,
		             v->response_headers_to_remove, v->n_response_headers_to_remove,
		             "response_headers_to_add", "response_headers_to_remove",
		             &out->resp_hdrs);
	if (rc == 0)
		rc = mirrors(c, v->request_mirror_policies, v->n_request_mirror_policies,
		             "request_mirror_policies", &out->mirrors, &out->n_mirrors);
	return rc;
}

/* Envoy refuses a domain that two virtual hosts claim: say which two. */
static int check_duplicates(struct cctx *c, const struct mg_domain *d, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (d[i].kind == d[i - 1].kind && d[i].v.len == d[i - 1].v.len &&
		    memcmp(d[i].v.s, d[i - 1].v.s, d[i].v.len) == 0)
			return cc_fail(
			    c, NULL,
			    "domain \"%s%s%s\" appears in virtual_hosts[%u] and "
			    "virtual_hosts[%u]",
			    d[i].kind == MG_DOMAIN_SUFFIX || d[i].kind == MG_DOMAIN_ANY ? "*" : "",
			    d[i].v.s, d[i].kind == MG_DOMAIN_PREFIX ? "*" : "", d[i - 1].vhost,
			    d[i].vhost);
	return 0;
}

int mg_route_compile(const RouteConfiguration *rc_msg, struct mg_route_table **out, char *err,
                     size_t errlen)
{
	return cc_route_compile_at(rc_msg, out, err, errlen, NULL);
}

int cc_route_compile_at(const RouteConfiguration *rc_msg, struct mg_route_table **out, char *err,
                        size_t errlen, const char *prefix)
{
	struct cctx c;
	struct mg_route_table *t;
	struct mg_vhost *vh;
	struct mg_domain *doms;
	size_t n_doms = 0;
	uint32_t nd = 0;
	int rc;

	*out = NULL;
	cc_init(&c, prefix, "route_configuration", err, errlen);
	c.a = mg_arena_new();
	if (c.a == NULL)
		return -ENOMEM;
	t = mg_arena_alloc(c.a, sizeof(*t));
	if (t == NULL) {
		mg_arena_free(c.a);
		return -ENOMEM;
	}
	t->arena = c.a;
	c.owner = t;
	for (size_t i = 0; i < rc_msg->n_virtual_hosts; i++)
		n_doms += rc_msg->virtual_hosts[i]->n_domains;
	vh = cc_alloc(&c, rc_msg->n_virtual_hosts, sizeof(*vh));
	doms = cc_alloc(&c, n_doms, sizeof(*doms));
	rc = (rc_msg->n_virtual_hosts && vh == NULL) || (n_doms && doms == NULL) ? -ENOMEM : 0;
	if (rc == 0)
		rc = cc_str(&c, rc_msg->name, false, &t->name);
	if (rc == 0 && rc_msg->n_internal_only_headers > 0)
		rc = cc_fail(&c, "internal_only_headers", "not supported yet");
	if (rc == 0 && rc_msg->n_request_mirror_policies > 0)
		rc = cc_fail(
		    &c, "request_mirror_policies",
		    "not supported at this level yet; set them on the virtual host or route");
	for (size_t i = 0; rc == 0 && i < rc_msg->n_virtual_hosts; i++) {
		size_t old = cc_push(&c, "virtual_hosts[%zu]", i);

		rc = vhost(&c, rc_msg->virtual_hosts[i], (uint32_t)i, &vh[i], doms, &nd);
		cc_pop(&c, old);
	}
	if (rc == 0)
		rc = hdr_ops(&c, rc_msg->request_headers_to_add, rc_msg->n_request_headers_to_add,
		             rc_msg->request_headers_to_remove, rc_msg->n_request_headers_to_remove,
		             "request_headers_to_add", "request_headers_to_remove", &t->req_hdrs);
	if (rc == 0)
		rc = hdr_ops(&c, rc_msg->response_headers_to_add, rc_msg->n_response_headers_to_add,
		             rc_msg->response_headers_to_remove,
		             rc_msg->n_response_headers_to_remove, "response_headers_to_add",
		             "response_headers_to_remove", &t->resp_hdrs);
	if (rc == 0) {
		if (nd > 0) /* doms is NULL without virtual hosts; qsort wants an array */
			qsort(doms, nd, sizeof(*doms), domain_cmp);
		rc = check_duplicates(&c, doms, nd);
	}
	t->vhosts = vh;
	t->n_vhosts = (uint32_t)rc_msg->n_virtual_hosts;
	t->domains = doms;
	t->n_domains = nd;
	if (rc < 0) {
		if (rc == -ENOMEM && errlen > 0)
			snprintf(err, errlen, "out of memory compiling the route configuration");
		mg_route_table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
