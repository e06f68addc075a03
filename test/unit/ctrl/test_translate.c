/*
 * test_translate.c — Istio YAML in, xDS resources out (ctrl/translate.c),
 * compared with golden JSON files, and the resources compiled by the
 * gateway's own snapshot compiler to prove the gateway accepts them.
 *
 * Golden files: testdata/translate/<case>.json.  After an intended change,
 * regenerate them with MG_UPDATE_GOLDEN=1 and review the diff.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/istio_load.h"
#include "ctrl/istio_validate.h"
#include "ctrl/translate.h"
#include "proxy/lb.h"
#include "proxy/route.h"
#include "xds/compile.h"

static char *path_of(const char *sub)
{
	const char *root = getenv("MG_CTRL_TESTDATA");
	char *p;

	ck_assert_msg(root != NULL, "MG_CTRL_TESTDATA not set (run through meson test)");
	ck_assert_int_ge(asprintf(&p, "%s/%s", root, sub), 0);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t cap = 0, n;

	if (f == NULL)
		return NULL;
	n = (size_t)getdelim(&s, &cap, '\0', f);
	fclose(f);
	(void)n;
	return s;
}

/* Translate dir; compare with the golden file; return the resources. */
static void translate_case(const char *dir, const char *golden, struct mg_xds_resources *out,
                           struct mg_diag *d)
{
	struct mg_istio_config cfg;
	char *in = path_of(dir), *gold = path_of(golden), *got = NULL, *want;
	size_t len = 0;
	FILE *f;

	mg_diag_init(d);
	ck_assert_int_eq(mg_istio_load_dir(in, &cfg, d), 0);
	ck_assert_int_eq(mg_istio_validate(&cfg, d), 0);
	ck_assert_int_eq(mg_translate(&cfg, out, d), 0);
	f = open_memstream(&got, &len);
	ck_assert_int_eq(mg_xds_resources_print(out, f), 0);
	fclose(f);
	if (getenv("MG_UPDATE_GOLDEN") != NULL) {
		f = fopen(gold, "w");
		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(gold);
	ck_assert_msg(want != NULL, "no golden file %s (MG_UPDATE_GOLDEN=1 writes it)", gold);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "translation of %s differs from %s; got:\n%s\n", in, gold, got);
		ck_abort_msg("golden mismatch");
	}
	free(got);
	free(want);
	free(in);
	free(gold);
	mg_istio_config_free(&cfg);
}

static struct mg_rstr rs(const char *s)
{
	return (struct mg_rstr){s, (uint32_t)strlen(s)};
}

static const char *hdr(void *ctx, const char *name, uint32_t len, uint32_t *vlen)
{
	const char *want = ctx;

	if (want != NULL && len == 8 && memcmp(name, "x-canary", 8) == 0) {
		*vlen = (uint32_t)strlen(want);
		return want;
	}
	return NULL;
}

/* The canary config translates to what the golden file holds, and the gateway compiles it. */
START_TEST(canary)
{
	struct mg_xds_resources r;
	struct mg_diag d;
	struct mg_resources res;
	struct mg_snapshot *s = NULL;
	const struct mg_route_table *rt;
	const struct mg_vhost *vh;
	const struct mg_route_entry *re;
	const struct mg_cluster *v1, *v2;
	const struct mg_wcluster *wc;
	struct mg_route_req req = {rs("GET"), rs("web.example.com:8080"), rs("/"), hdr, NULL};
	char err[512];
	unsigned to_v2 = 0;

	translate_case("translate/canary", "translate/canary.json", &r, &d);
	mg_diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(r.n_listeners, 2);
	ck_assert_uint_eq(r.n_routes, 1);
	ck_assert_uint_eq(r.n_clusters, 4); /* web, web v1, web v2, db, and nothing else */
	ck_assert_uint_eq(r.n_endpoints, 4);
	res = (struct mg_resources){.listeners = r.listeners,
	                            .n_listeners = r.n_listeners,
	                            .clusters = r.clusters,
	                            .n_clusters = r.n_clusters,
	                            .endpoints = r.endpoints,
	                            .n_endpoints = r.n_endpoints,
	                            .routes = r.routes,
	                            .n_routes = r.n_routes};
	ck_assert_msg(mg_snapshot_compile(&res, 3, &s, err, sizeof(err)) == 0, "%s", err);

	/* The gateway's router sends 1% to v2, and x-canary: yes always. */
	rt = mg_snapshot_routes(s, rs("http.8080"));
	ck_assert_ptr_nonnull(rt);
	vh = mg_route_vhost(rt, req.authority);
	ck_assert_ptr_nonnull(vh);
	req.ctx = "yes";
	re = mg_route_match(vh, &req, 0);
	ck_assert_str_eq(mg_route_cluster(re, &req, 0, &wc).s, "outbound|80|v2|web.shop.internal");
	req.ctx = NULL;
	re = mg_route_match(vh, &req, 0);
	ck_assert_str_eq(re->name.s, "split");
	ck_assert_uint_eq(re->timeout_ms, 5000);
	for (uint32_t draw = 0; draw < 10000; draw++)
		if (strcmp(mg_route_cluster(re, &req, draw * 7919, &wc).s,
		           "outbound|80|v2|web.shop.internal") == 0)
			to_v2++;
	ck_assert_uint_eq(to_v2, 100);

	/* Subsets select endpoints by label; ports and weights carry over. */
	v1 = mg_snapshot_cluster(s, rs("outbound|80|v1|web.shop.internal"));
	v2 = mg_snapshot_cluster(s, rs("outbound|80|v2|web.shop.internal"));
	ck_assert_uint_eq(v1->n_eps, 2);
	ck_assert_uint_eq(v1->lb, MG_LBP_ROUND_ROBIN);
	ck_assert_uint_eq(v1->connect_timeout_ms, 2000);
	ck_assert_uint_eq(v2->n_eps, 1);
	ck_assert_str_eq(v2->eps[0].name.s, "198.18.1.3:8080");
	ck_assert_uint_eq(v2->lb, MG_LBP_MAGLEV);
	ck_assert_uint_eq(v2->maglev_size, 1009);
	mg_snapshot_free(s);
	mg_xds_resources_free(&r);
	mg_diag_free(&d);
}
END_TEST

/*
 * The richer example directory: everything translates, and what meshgate does
 * not apply yet is a warning at its position, not silence.
 */
START_TEST(bookinfo)
{
	struct mg_xds_resources r;
	struct mg_diag d;
	int fault = 0, https = 0, pool = 0;

	translate_case("good", "translate/good.json", &r, &d);
	for (size_t i = 0; i < d.n; i++) {
		ck_assert_int_eq(d.v[i].sev, MG_DIAG_WARNING);
		ck_assert_uint_gt(d.v[i].line, 0);
		fault += strstr(d.v[i].msg, "fault injection is not applied yet") != NULL;
		https += strstr(d.v[i].msg, "HTTPS servers are not served yet") != NULL;
		pool += strstr(d.v[i].msg, "maxRequestsPerConnection and idleTimeout") != NULL;
	}
	ck_assert_int_ge(fault, 1);
	ck_assert_int_ge(https, 1);
	ck_assert_int_ge(pool, 1);
	ck_assert_uint_ge(r.n_listeners, 1);
	ck_assert_uint_ge(r.n_clusters, 3);
	mg_xds_resources_free(&r);
	mg_diag_free(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("translate");
	TCase *tc = tcase_create("translate");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, canary);
	tcase_add_test(tc, bookinfo);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
