/*
 * test_route.c — the router (dataplane/proxy/route*.c) and its compiler
 * (dataplane/xds/compile_route.c): RouteConfigurations written in YAML, the
 * way a bootstrap carries them, decoded by the generic xDS decoder, compiled,
 * and asked where requests go.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/regex.h"
#include "proxy/route.h"
#include "xds/compile.h"
#include "xds/xds.h"

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;

/* Compile YAML; returns the table, or NULL with err filled. */
static struct mg_route_table *compile(const char *text, char *err, size_t errlen, int *rc_out)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct mg_xds_err xe;
	ProtobufCMessage *m = NULL;
	struct mg_route_table *t = NULL;
	int rc;

	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	ck_assert_msg(yaml_parser_load(&p, &doc), "YAML does not load: %s", text);
	yaml_parser_delete(&p);
	rc = mg_xds_decode_yaml(&doc, yaml_document_get_root_node(&doc),
	                        &envoy__config__route__v3__route_configuration__descriptor, "", &m,
	                        &xe);
	yaml_document_delete(&doc);
	ck_assert_msg(rc == 0, "decode: %s: %s", xe.path, xe.msg);
	rc = mg_route_compile((RouteConfiguration *)m, &t, err, errlen);
	mg_xds_free(m);
	if (rc_out != NULL)
		*rc_out = rc;
	return t;
}

static struct mg_route_table *compile_ok(const char *text)
{
	char err[512];
	int rc;
	struct mg_route_table *t = compile(text, err, sizeof(err), &rc);

	ck_assert_msg(rc == 0 && t != NULL, "compile: %d: %s", rc, err);
	return t;
}

/* The request's headers: "name: value" pairs, names lowercase. */
struct hdrs {
	const char *kv[16][2];
};

static const char *lookup(void *ctx, const char *name, uint32_t name_len, uint32_t *len)
{
	struct hdrs *h = ctx;

	for (int i = 0; i < 16 && h->kv[i][0] != NULL; i++)
		if (strlen(h->kv[i][0]) == name_len && memcmp(h->kv[i][0], name, name_len) == 0) {
			*len = (uint32_t)strlen(h->kv[i][1]);
			return h->kv[i][1];
		}
	return NULL;
}

static struct mg_rstr rs(const char *s)
{
	return (struct mg_rstr){s, (uint32_t)strlen(s)};
}

/* Where host+target (+headers) goes: "vhost/route" or "404". */
static const char *route_of(const struct mg_route_table *t, const char *host, const char *target,
                            struct hdrs *h, uint32_t draw)
{
	static char out[128];
	struct mg_route_req r = {rs("GET"), rs(host), rs(target), lookup, h};
	const struct mg_vhost *vh = mg_route_vhost(t, r.authority);
	const struct mg_route_entry *rt;

	if (vh == NULL)
		return "no-vhost";
	rt = mg_route_match(vh, &r, draw);
	snprintf(out, sizeof(out), "%s/%s", vh->name.s, rt != NULL ? rt->name.s : "404");
	return out;
}

static const char *domains_yaml = "name: r\n"
                                  "virtual_hosts:\n"
                                  "- {name: exact, domains: [api.example.com, "
                                  "\"api.example.com:8080\"], routes: [{name: a, match: {prefix: "
                                  "/}, route: {cluster: c}}]}\n"
                                  "- {name: port, domains: [\"www.example.com:8080\"], routes: "
                                  "[{name: a, match: {prefix: /}, route: {cluster: c}}]}\n"
                                  "- {name: suffix, domains: [\"*.example.com\"], routes: [{name: "
                                  "a, match: {prefix: /}, route: {cluster: c}}]}\n"
                                  "- {name: longsuffix, domains: [\"*.eu.example.com\"], routes: "
                                  "[{name: a, match: {prefix: /}, route: {cluster: c}}]}\n"
                                  "- {name: prefix, domains: [\"internal.*\"], routes: [{name: a, "
                                  "match: {prefix: /}, route: {cluster: c}}]}\n"
                                  "- {name: any, domains: [\"*\"], routes: [{name: a, match: "
                                  "{prefix: /}, route: {cluster: c}}]}\n";

START_TEST(vhost_precedence)
{
	struct mg_route_table *t = compile_ok(domains_yaml);
	struct hdrs h = {{{NULL}}};

	ck_assert_str_eq(route_of(t, "api.example.com", "/", &h, 0), "exact/a");
	ck_assert_str_eq(route_of(t, "API.Example.COM", "/", &h, 0), "exact/a");
	ck_assert_str_eq(route_of(t, "api.example.com:9999", "/", &h, 0), "exact/a");
	ck_assert_str_eq(route_of(t, "www.example.com:8080", "/", &h, 0), "port/a");
	ck_assert_str_eq(route_of(t, "www.example.com", "/", &h, 0), "suffix/a");
	ck_assert_str_eq(route_of(t, "x.eu.example.com", "/", &h, 0), "longsuffix/a");
	ck_assert_str_eq(route_of(t, "x.us.example.com:80", "/", &h, 0), "suffix/a");
	/* The wildcard stands for at least one character (Envoy). */
	ck_assert_str_eq(route_of(t, ".example.com", "/", &h, 0), "any/a");
	ck_assert_str_eq(route_of(t, "example.com", "/", &h, 0), "any/a");
	ck_assert_str_eq(route_of(t, "internal.corp", "/", &h, 0), "prefix/a");
	ck_assert_str_eq(route_of(t, "internal.", "/", &h, 0), "any/a");
	ck_assert_str_eq(route_of(t, "other", "/", &h, 0), "any/a");
	ck_assert_str_eq(route_of(t, "[2001:2::1]:8080", "/", &h, 0), "any/a");
	mg_route_table_free(t);
}
END_TEST

START_TEST(vhost_none)
{
	struct mg_route_table *t = compile_ok(
	    "virtual_hosts: [{name: v, domains: [a.example], routes: [{match: {prefix: /}, "
	    "route: {cluster: c}}]}]\n");
	struct hdrs h = {{{NULL}}};

	ck_assert_str_eq(route_of(t, "b.example", "/", &h, 0), "no-vhost");
	mg_route_table_free(t);
}
END_TEST

static const char *paths_yaml =
    "virtual_hosts:\n"
    "- name: v\n"
    "  domains: [\"*\"]\n"
    "  routes:\n"
    "  - {name: exact, match: {path: /exact}, route: {cluster: c}}\n"
    "  - {name: sep, match: {path_separated_prefix: /api}, route: {cluster: c}}\n"
    "  - {name: regex, match: {safe_regex: {regex: \"/item/[0-9]+\"}}, route: {cluster: c}}\n"
    "  - {name: nocase, match: {prefix: /CaSe, case_sensitive: false}, route: {cluster: c}}\n"
    "  - {name: q, match: {prefix: /q, query_parameters: [{name: debug, string_match: {exact: "
    "\"1\"}}, {name: flag, present_match: true}]}, route: {cluster: c}}\n"
    "  - {name: root, match: {prefix: /}, route: {cluster: c}}\n";

START_TEST(paths)
{
	struct mg_route_table *t = compile_ok(paths_yaml);
	struct hdrs h = {{{NULL}}};

	ck_assert_str_eq(route_of(t, "h", "/exact", &h, 0), "v/exact");
	ck_assert_str_eq(route_of(t, "h", "/exact?x=1", &h, 0), "v/exact");
	ck_assert_str_eq(route_of(t, "h", "/exact#frag", &h, 0), "v/exact");
	ck_assert_str_eq(route_of(t, "h", "/exact/", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/Exact", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/api", &h, 0), "v/sep");
	ck_assert_str_eq(route_of(t, "h", "/api/v1", &h, 0), "v/sep");
	ck_assert_str_eq(route_of(t, "h", "/api?x", &h, 0), "v/sep");
	ck_assert_str_eq(route_of(t, "h", "/apis", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/item/42", &h, 0), "v/regex");
	ck_assert_str_eq(route_of(t, "h", "/item/42?a=b", &h, 0), "v/regex");
	/* Full match only. */
	ck_assert_str_eq(route_of(t, "h", "/item/42/x", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/item/", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/case/x", &h, 0), "v/nocase");
	ck_assert_str_eq(route_of(t, "h", "/CASE", &h, 0), "v/nocase");
	ck_assert_str_eq(route_of(t, "h", "/q?debug=1&flag", &h, 0), "v/q");
	ck_assert_str_eq(route_of(t, "h", "/q?flag=&debug=1", &h, 0), "v/q");
	ck_assert_str_eq(route_of(t, "h", "/q?debug=1", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/q?debug=10&flag", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/q?xdebug=1&flag", &h, 0), "v/root");
	ck_assert_str_eq(route_of(t, "h", "/q", &h, 0), "v/root");
	mg_route_table_free(t);
}
END_TEST

static const char *headers_yaml =
    "virtual_hosts:\n"
    "- name: v\n"
    "  domains: [\"*\"]\n"
    "  routes:\n"
    "  - {name: canary, match: {prefix: /, headers: [{name: X-Canary, string_match: {exact: "
    "\"yes\"}}]}, route: {cluster: v2}}\n"
    "  - {name: prefix, match: {prefix: /, headers: [{name: user-agent, string_match: {prefix: "
    "curl/}}]}, route: {cluster: c}}\n"
    "  - {name: regex, match: {prefix: /, headers: [{name: x-id, string_match: {safe_regex: "
    "{regex: \"[a-f0-9]{4}\"}}}]}, route: {cluster: c}}\n"
    "  - {name: notbeta, match: {prefix: /n, headers: [{name: x-beta, present_match: true, "
    "invert_match: true}]}, route: {cluster: c}}\n"
    "  - {name: absent, match: {prefix: /a, headers: [{name: x-env, present_match: false}]}, "
    "route: {cluster: c}}\n"
    "  - {name: inverted, match: {prefix: /i, headers: [{name: x-env, string_match: {exact: "
    "prod}, invert_match: true}]}, route: {cluster: c}}\n"
    "  - {name: empty, match: {prefix: /e, headers: [{name: x-e, string_match: {exact: \"\"}, "
    "treat_missing_header_as_empty: true}]}, route: {cluster: c}}\n"
    "  - {name: ic, match: {prefix: /c, headers: [{name: x-c, string_match: {contains: ABC, "
    "ignore_case: true}}]}, route: {cluster: c}}\n"
    "  - {name: old, match: {prefix: /o, headers: [{name: x-o, exact_match: v}]}, route: "
    "{cluster: c}}\n"
    "  - {name: default, match: {prefix: /}, route: {cluster: v1}}\n";

START_TEST(headers)
{
	struct mg_route_table *t = compile_ok(headers_yaml);
	struct hdrs none = {{{NULL}}};
	struct hdrs canary = {{{"x-canary", "yes"}}};
	struct hdrs canary_no = {{{"x-canary", "Yes"}}};
	struct hdrs curl = {{{"user-agent", "curl/8.0"}}};
	struct hdrs id = {{{"x-id", "beef"}}};
	struct hdrs id_bad = {{{"x-id", "beefy"}}};
	struct hdrs beta = {{{"x-beta", "1"}}};
	struct hdrs prod = {{{"x-env", "prod"}}};
	struct hdrs dev = {{{"x-env", "dev"}}};
	struct hdrs c = {{{"x-c", "xxabcxx"}}};
	struct hdrs o = {{{"x-o", "v"}}};

	ck_assert_str_eq(route_of(t, "h", "/", &canary, 0), "v/canary");
	ck_assert_str_eq(route_of(t, "h", "/", &canary_no, 0), "v/default");
	ck_assert_str_eq(route_of(t, "h", "/", &curl, 0), "v/prefix");
	ck_assert_str_eq(route_of(t, "h", "/", &id, 0), "v/regex");
	ck_assert_str_eq(route_of(t, "h", "/", &id_bad, 0), "v/default");
	ck_assert_str_eq(route_of(t, "h", "/n", &none, 0), "v/notbeta");
	ck_assert_str_eq(route_of(t, "h", "/n", &beta, 0), "v/default");
	ck_assert_str_eq(route_of(t, "h", "/a", &none, 0), "v/absent");
	ck_assert_str_eq(route_of(t, "h", "/a", &prod, 0), "v/default");
	/* An inverted string match holds for a missing header too (Envoy). */
	ck_assert_str_eq(route_of(t, "h", "/i", &dev, 0), "v/inverted");
	ck_assert_str_eq(route_of(t, "h", "/i", &none, 0), "v/inverted");
	ck_assert_str_eq(route_of(t, "h", "/i", &prod, 0), "v/default");
	ck_assert_str_eq(route_of(t, "h", "/e", &none, 0), "v/empty");
	ck_assert_str_eq(route_of(t, "h", "/c", &c, 0), "v/ic");
	ck_assert_str_eq(route_of(t, "h", "/o", &o, 0), "v/old");
	mg_route_table_free(t);
}
END_TEST

/* 99/1 over 100,000 draws lands within a few tenths of a percent of 1%. */
START_TEST(weighted_split)
{
	struct mg_route_table *t = compile_ok(
	    "virtual_hosts:\n"
	    "- name: v\n"
	    "  domains: [\"*\"]\n"
	    "  routes:\n"
	    "  - name: split\n"
	    "    match: {prefix: /}\n"
	    "    route: {weighted_clusters: {clusters: [{name: v1, weight: 99}, {name: v2, weight: "
	    "1, host_rewrite_literal: v2.internal}]}}\n");
	struct mg_route_req r = {rs("GET"), rs("h"), rs("/"), lookup, NULL};
	const struct mg_route_entry *rt = mg_route_match(mg_route_vhost(t, r.authority), &r, 0);
	const struct mg_wcluster *wc;
	uint64_t x = 88172645463325252ull; /* xorshift64 */
	unsigned v2 = 0;
	struct hdrs h = {{{NULL}}};

	r.ctx = &h;
	ck_assert_ptr_nonnull(rt);
	ck_assert_uint_eq(rt->kind, MG_ROUTE_WEIGHTED);
	ck_assert_uint_eq(rt->wc_total, 100);
	/* Every draw value maps: 0..98 -> v1, 99 -> v2. */
	ck_assert_str_eq(mg_route_cluster(rt, &r, 98, &wc).s, "v1");
	ck_assert_str_eq(mg_route_cluster(rt, &r, 99, &wc).s, "v2");
	ck_assert_str_eq(wc->host_rewrite.s, "v2.internal");
	ck_assert_str_eq(mg_route_cluster(rt, &r, 199, &wc).s, "v2");
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (strcmp(mg_route_cluster(rt, &r, (uint32_t)x, &wc).s, "v2") == 0)
			v2++;
	}
	ck_assert_uint_ge(v2, 900);
	ck_assert_uint_le(v2, 1100);
	mg_route_table_free(t);
}
END_TEST

/*
 * Weighted choice statistics: a five-way split drawn 200,000 times fits its
 * weights by Pearson's chi-square (4 degrees of freedom: 18.47 is the
 * p = 0.001 critical value; a fair draw fails once in a thousand seeds, and
 * the seed is fixed).
 */
START_TEST(weighted_split_chi_square)
{
	static const unsigned w[] = {50, 25, 15, 9, 1};
	struct mg_route_table *t = compile_ok(
	    "virtual_hosts:\n"
	    "- name: v\n"
	    "  domains: [\"*\"]\n"
	    "  routes:\n"
	    "  - match: {prefix: /}\n"
	    "    route: {weighted_clusters: {clusters: [{name: c0, weight: 50}, {name: c1, weight: "
	    "25}, {name: c2, weight: 15}, {name: c3, weight: 9}, {name: c4, weight: 1}]}}\n");
	struct hdrs h = {{{NULL}}};
	struct mg_route_req r = {rs("GET"), rs("h"), rs("/"), lookup, &h};
	const struct mg_route_entry *rt = mg_route_match(mg_route_vhost(t, r.authority), &r, 0);
	const struct mg_wcluster *wc;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned n[5] = {0}, draws = 200000;
	double chi2 = 0;

	for (unsigned i = 0; i < draws; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n[mg_route_cluster(rt, &r, (uint32_t)(x >> 32), &wc).s[1] - '0']++;
	}
	for (unsigned k = 0; k < 5; k++) {
		double e = (double)draws * w[k] / 100.0;

		chi2 += ((double)n[k] - e) * ((double)n[k] - e) / e;
	}
	ck_assert_msg(chi2 < 18.47, "chi-square %.2f over %u %u %u %u %u", chi2, n[0], n[1], n[2],
	              n[3], n[4]);
	mg_route_table_free(t);
}
END_TEST

START_TEST(actions)
{
	struct mg_route_table *t = compile_ok(
	    "request_headers_to_add: [{header: {key: X-Gw, value: meshgate}}]\n"
	    "virtual_hosts:\n"
	    "- name: v\n"
	    "  domains: [\"*\"]\n"
	    "  routes:\n"
	    "  - name: hdr\n"
	    "    match: {prefix: /hdr}\n"
	    "    route: {cluster_header: X-Cluster, timeout: 2.5s}\n"
	    "  - name: redir\n"
	    "    match: {prefix: /old}\n"
	    "    redirect: {https_redirect: true, host_redirect: new.example, prefix_rewrite: "
	    "/new, "
	    "response_code: PERMANENT_REDIRECT, strip_query: true}\n"
	    "  - name: direct\n"
	    "    match: {path: /health}\n"
	    "    direct_response: {status: 200, body: {inline_string: ok}}\n"
	    "  - name: rw\n"
	    "    match: {prefix: /svc}\n"
	    "    route:\n"
	    "      cluster: c\n"
	    "      prefix_rewrite: /\n"
	    "      hash_policy: [{header: {header_name: X-User}}]\n"
	    "      host_rewrite_literal: backend\n"
	    "      request_mirror_policies: [{cluster: shadow, runtime_fraction: {default_value: "
	    "{numerator: 25}}}]\n"
	    "    request_headers_to_remove: [X-Secret]\n"
	    "    response_headers_to_add: [{header: {key: x-route, value: rw}, append_action: "
	    "OVERWRITE_IF_EXISTS_OR_ADD}]\n");
	const struct mg_vhost *vh = mg_route_vhost(t, rs("h"));
	struct hdrs h = {{{"x-cluster", "from-header"}}};
	struct hdrs none = {{{NULL}}};
	struct mg_route_req r = {rs("GET"), rs("h"), rs("/hdr"), lookup, &h};
	const struct mg_wcluster *wc;
	const struct mg_route_entry *rt = mg_route_match(vh, &r, 0);

	ck_assert_str_eq(rt->name.s, "hdr");
	ck_assert_uint_eq(rt->timeout_ms, 2500);
	ck_assert_str_eq(mg_route_cluster(rt, &r, 0, &wc).s, "from-header");
	r.ctx = &none;
	ck_assert_ptr_null(mg_route_cluster(rt, &r, 0, &wc).s);

	r.target = rs("/old/page?x=1");
	rt = mg_route_match(vh, &r, 0);
	ck_assert_uint_eq(rt->kind, MG_ROUTE_REDIRECT);
	ck_assert_str_eq(rt->redirect.scheme.s, "https");
	ck_assert_str_eq(rt->redirect.host.s, "new.example");
	ck_assert_str_eq(rt->redirect.prefix_rewrite.s, "/new");
	ck_assert_uint_eq(rt->redirect.code, 308);
	ck_assert(rt->redirect.strip_query);

	r.target = rs("/health");
	rt = mg_route_match(vh, &r, 0);
	ck_assert_uint_eq(rt->kind, MG_ROUTE_DIRECT);
	ck_assert_uint_eq(rt->direct_status, 200);
	ck_assert_str_eq(rt->direct_body.s, "ok");

	r.target = rs("/svc/x");
	rt = mg_route_match(vh, &r, 0);
	ck_assert_str_eq(rt->name.s, "rw");
	ck_assert_uint_eq(rt->timeout_ms, MG_ROUTE_DEFAULT_TIMEOUT_MS);
	ck_assert(rt->has_prefix_rewrite);
	ck_assert_str_eq(rt->prefix_rewrite.s, "/");
	ck_assert_str_eq(rt->host_rewrite.s, "backend");
	ck_assert_uint_eq(rt->hash_kind, MG_HASH_HEADER);
	ck_assert_str_eq(rt->hash_key.s, "x-user");
	ck_assert_uint_eq(rt->n_mirrors, 1);
	ck_assert_str_eq(rt->mirrors[0].cluster.s, "shadow");
	ck_assert_uint_eq(rt->mirrors[0].per_million, 250000);
	ck_assert_uint_eq(rt->req_hdrs.n_remove, 1);
	ck_assert_str_eq(rt->req_hdrs.remove[0].s, "x-secret");
	ck_assert_str_eq(rt->resp_hdrs.add[0].name.s, "x-route");
	ck_assert_uint_eq(rt->resp_hdrs.add[0].action, MG_HDR_OVERWRITE_OR_ADD);
	ck_assert_str_eq(t->req_hdrs.add[0].name.s, "x-gw");
	ck_assert_uint_eq(t->req_hdrs.add[0].action, MG_HDR_APPEND_OR_ADD);
	mg_route_table_free(t);
}
END_TEST

START_TEST(runtime_fraction)
{
	struct mg_route_table *t = compile_ok(
	    "virtual_hosts:\n"
	    "- name: v\n"
	    "  domains: [\"*\"]\n"
	    "  routes:\n"
	    "  - {name: some, match: {prefix: /, runtime_fraction: {default_value: {numerator: 5, "
	    "denominator: TEN_THOUSAND}}}, route: {cluster: c}}\n"
	    "  - {name: rest, match: {prefix: /}, route: {cluster: c}}\n");
	struct hdrs h = {{{NULL}}};

	/* 5/10000 = 500 per million: draws 0..499 (mod 10^6) take the first route. */
	ck_assert_str_eq(route_of(t, "h", "/", &h, 0), "v/some");
	ck_assert_str_eq(route_of(t, "h", "/", &h, 499), "v/some");
	ck_assert_str_eq(route_of(t, "h", "/", &h, 500), "v/rest");
	ck_assert_str_eq(route_of(t, "h", "/", &h, 1000499), "v/some");
	mg_route_table_free(t);
}
END_TEST

/* Each invalid or unsupported configuration fails with the path to the field. */
static const struct bad {
	const char *yaml;
	const char *err;
} bad[] = {
    {"virtual_hosts: [{name: v, domains: [], routes: []}]", "virtual_hosts[0].domains: needs"},
    {"virtual_hosts: [{domains: [a], routes: []}]", "virtual_hosts[0].name: is required"},
    {"virtual_hosts: [{name: v, domains: [\"a*b\"]}]",
     "virtual_hosts[0].domains[0]: \"a*b\": a wildcard must be"},
    {"virtual_hosts: [{name: v, domains: [a]}, {name: w, domains: [A]}]",
     "domain \"a\" appears in virtual_hosts[0] and virtual_hosts[1]"},
    {"virtual_hosts: [{name: v, domains: [\"*\"]}, {name: w, domains: [\"*\"]}]",
     "domain \"*\" appears"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{route: {cluster: c}}]}]",
     "virtual_hosts[0].routes[0].match: is required"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {}, route: {cluster: c}}]}]",
     "virtual_hosts[0].routes[0].match: set one of prefix"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}}]}]",
     "virtual_hosts[0].routes[0]: set one of route, redirect, direct_response"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {safe_regex: {regex: \"(\"}}, "
     "route: {cluster: c}}]}]",
     "virtual_hosts[0].routes[0].match.safe_regex.regex: invalid regex at offset 1"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: "
     "{weighted_clusters: {clusters: [{name: a, weight: 0}, {name: b, weight: 0}]}}}]}]",
     "weighted_clusters.clusters: weights sum to 0"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: "
     "{weighted_clusters: {clusters: [{name: a}]}}}]}]",
     "weighted_clusters.clusters[0].weight: is required"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: "
     "{weighted_clusters: {clusters: [{name: a, weight: 60}], total_weight: 100}}}]}]",
     "total_weight: is 100 but the weights sum to 60"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: {cluster: c, "
     "retry_policy: {num_retries: 2}}}]}]",
     "routes[0].route.retry_policy: not supported yet"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, direct_response: "
     "{status: 700}}]}]",
     "routes[0].direct_response.status: 700 is out of range"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /, headers: [{name: "
     "\"bad name\", present_match: true}]}, route: {cluster: c}}]}]",
     "routes[0].match.headers[0].name: not a valid header name"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: {cluster: "
     "c}, request_headers_to_add: [{header: {key: x, value: \"a\\r\\nb\"}}]}]}]",
     "routes[0].request_headers_to_add[0].header.value: control characters"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, redirect: "
     "{scheme_redirect: ftp}}]}]",
     "routes[0].redirect.scheme_redirect: expected http or https"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {safe_regex: {regex: a}}, route: "
     "{cluster: c, prefix_rewrite: /x}}]}]",
     "route.prefix_rewrite: needs a prefix or path match"},
    {"virtual_hosts: [{name: v, domains: [a], require_tls: ALL}]",
     "virtual_hosts[0].require_tls: not supported yet"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: {cluster: c, "
     "request_mirror_policies: [{cluster_header: x-shadow}]}}]}]",
     "routes[0].route.request_mirror_policies[0].cluster_header: not supported yet"},
    {"virtual_hosts: [{name: v, domains: [a], routes: [{match: {prefix: /}, route: {cluster: c, "
     "idle_timeout: 5s}}]}]",
     "routes[0].route.idle_timeout: not supported yet"},
};

START_TEST(rejected)
{
	const struct bad *b = &bad[_i];
	char err[512];
	int rc;
	struct mg_route_table *t = compile(b->yaml, err, sizeof(err), &rc);

	ck_assert_ptr_null(t);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(strstr(err, b->err) != NULL, "case %d: want ...%s..., got %s", _i, b->err,
	              err);
}
END_TEST

/* Catastrophic backtracking stops at the limit: no match, counted, fast. */
START_TEST(regex_bounded)
{
	char err[128], subject[64];
	struct mg_regex *re = mg_regex_compile("(a+)+b", 6, false, err, sizeof(err));
	uint64_t before = mg_regex_limit_hits();

	ck_assert_ptr_nonnull(re);
	memset(subject, 'a', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	ck_assert(!mg_regex_match(re, subject, strlen(subject)));
	ck_assert(mg_regex_match(re, "aab", 3));
	ck_assert(!mg_regex_match(re, "aabx", 4)); /* full match only */
	/* The JIT may prune this pattern before the limit; either way it ends. */
	ck_assert_uint_ge(mg_regex_limit_hits(), before);
	mg_regex_free(re);
	ck_assert_ptr_null(mg_regex_compile("a{2,1}", 6, false, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "invalid regex at offset"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, vhost_precedence);
	tcase_add_test(tc, vhost_none);
	tcase_add_test(tc, paths);
	tcase_add_test(tc, headers);
	tcase_add_test(tc, weighted_split);
	tcase_add_test(tc, weighted_split_chi_square);
	tcase_add_test(tc, actions);
	tcase_add_test(tc, runtime_fraction);
	tcase_add_loop_test(tc, rejected, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, regex_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
