/*
 * test_lb.c — clusters compiled from Envoy YAML (dataplane/xds/
 * compile_cluster.c) and client-side load balancing over them
 * (dataplane/proxy/lb*.c): shares, spacing, failover, least request, and the
 * consistency of ring hash and Maglev when an endpoint goes away.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/lb.h"
#include "xds/compile.h"
#include "xds/xds.h"

typedef Envoy__Config__Cluster__V3__Cluster Cluster;

static struct mg_cluster *compile(const char *text, char *err, size_t errlen, int *rc_out)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct mg_xds_err xe;
	ProtobufCMessage *m = NULL;
	struct mg_cluster *cl = NULL;
	int rc;

	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	ck_assert_msg(yaml_parser_load(&p, &doc), "YAML does not load: %s", text);
	yaml_parser_delete(&p);
	rc = mg_xds_decode_yaml(&doc, yaml_document_get_root_node(&doc),
	                        &envoy__config__cluster__v3__cluster__descriptor, "", &m, &xe);
	yaml_document_delete(&doc);
	ck_assert_msg(rc == 0, "decode: %s: %s", xe.path, xe.msg);
	rc = mg_cluster_compile((Cluster *)m, NULL, &cl, err, errlen);
	mg_xds_free(m);
	*rc_out = rc;
	return cl;
}

static struct mg_cluster *compile_ok(const char *text)
{
	char err[512];
	int rc;
	struct mg_cluster *cl = compile(text, err, sizeof(err), &rc);

	ck_assert_msg(rc == 0 && cl != NULL, "compile: %d: %s", rc, err);
	return cl;
}

/* A cluster of n endpoints 198.18.1.(1+i):80, the weights given (NULL: 1 each). */
static char *cluster_yaml(const char *policy, unsigned n, const unsigned *weights,
                          const char *extra)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	fprintf(f, "name: c\ntype: STATIC\nlb_policy: %s\n%s", policy, extra ? extra : "");
	fprintf(f, "load_assignment:\n  cluster_name: c\n  endpoints:\n  - lb_endpoints:\n");
	for (unsigned i = 0; i < n; i++)
		fprintf(f,
		        "    - endpoint: {address: {socket_address: {address: 198.18.1.%u, "
		        "port_value: 80}}}\n      load_balancing_weight: %u\n",
		        1 + i, weights ? weights[i] : 1);
	fclose(f);
	return s;
}

START_TEST(xxh64_vectors)
{
	const char *nobody = "Nobody inspects the spammish repetition";

	ck_assert_uint_eq(mg_xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
	ck_assert_uint_eq(mg_xxh64("", 0, 1), 0xD5AFBA1336A3BE4BULL);
	ck_assert_uint_eq(mg_xxh64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
	ck_assert_uint_eq(mg_xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
	ck_assert_uint_eq(mg_xxh64(nobody, strlen(nobody), 0), 0xFBCEA83C8A378BF1ULL);
}
END_TEST

START_TEST(round_robin)
{
	char *y = cluster_yaml("ROUND_ROBIN", 3, NULL, NULL);
	struct mg_cluster *cl = compile_ok(y);
	struct mg_lb_state st;

	ck_assert_int_eq(mg_lb_init(&st, cl, 1), 0);
	for (int i = 0; i < 9; i++)
		ck_assert_int_eq(mg_lb_pick(&st, 0, 0), i % 3);
	mg_lb_fini(&st);
	mg_cluster_free(cl);
	free(y);
}
END_TEST

/* Weights 5/1/1: exact shares per cycle of 7, spread out (nginx's sequence). */
START_TEST(weighted_round_robin)
{
	static const unsigned w[] = {5, 1, 1};
	char *y = cluster_yaml("ROUND_ROBIN", 3, w, NULL);
	struct mg_cluster *cl = compile_ok(y);
	struct mg_lb_state st;
	char seq[8] = {0};

	ck_assert(cl->weighted);
	ck_assert_int_eq(mg_lb_init(&st, cl, 1), 0);
	for (int cycle = 0; cycle < 3; cycle++) {
		for (int i = 0; i < 7; i++)
			seq[i] = (char)('a' + mg_lb_pick(&st, 0, 0));
		ck_assert_str_eq(seq, "aabacaa");
	}
	mg_lb_fini(&st);
	mg_cluster_free(cl);
	free(y);
}
END_TEST

START_TEST(random_weighted)
{
	static const unsigned w[] = {1, 3};
	char *y = cluster_yaml("RANDOM", 2, w, NULL);
	struct mg_cluster *cl = compile_ok(y);
	struct mg_lb_state st;
	unsigned n[2] = {0};

	ck_assert_int_eq(mg_lb_init(&st, cl, 42), 0);
	for (int i = 0; i < 40000; i++)
		n[mg_lb_pick(&st, 0, 0)]++;
	/* 10,000 and 30,000 expected; 5 sigma is about 430. */
	ck_assert_uint_ge(n[0], 9500);
	ck_assert_uint_le(n[0], 10500);
	mg_lb_fini(&st);
	mg_cluster_free(cl);
	free(y);
}
END_TEST

/*
 * RANDOM over weights 1:2:3:4 fits them by chi-square (3 degrees of
 * freedom, 16.27 at p = 0.001); so does weighted round robin, exactly.
 */
START_TEST(weighted_chi_square)
{
	static const unsigned w[] = {1, 2, 3, 4};
	static const char *const pol[] = {"RANDOM", "ROUND_ROBIN"};

	for (unsigned p = 0; p < 2; p++) {
		char *y = cluster_yaml(pol[p], 4, w, NULL);
		struct mg_cluster *cl = compile_ok(y);
		struct mg_lb_state st;
		unsigned n[4] = {0}, draws = 100000;
		double chi2 = 0;

		ck_assert_int_eq(mg_lb_init(&st, cl, 7), 0);
		for (unsigned i = 0; i < draws; i++)
			n[mg_lb_pick(&st, 0, 0)]++;
		for (unsigned k = 0; k < 4; k++) {
			double e = draws * w[k] / 10.0;

			chi2 += ((double)n[k] - e) * ((double)n[k] - e) / e;
		}
		ck_assert_msg(chi2 < 16.27, "%s: chi-square %.2f (%u %u %u %u)", pol[p], chi2, n[0],
		              n[1], n[2], n[3]);
		if (p == 1)
			ck_assert_msg(chi2 < 0.01, "weighted round robin is exact: %.3f", chi2);
		mg_lb_fini(&st);
		mg_cluster_free(cl);
		free(y);
	}
}
END_TEST

/* P2C avoids a busy endpoint: it wins only when both choices are it (1/9). */
START_TEST(least_request)
{
	char *y = cluster_yaml("LEAST_REQUEST", 3, NULL, NULL);
	struct mg_cluster *cl = compile_ok(y);
	struct mg_lb_state st;
	unsigned n[3] = {0};

	ck_assert_int_eq(mg_lb_init(&st, cl, 7), 0);
	for (int i = 0; i < 100; i++)
		mg_lb_request_start(&st, 0);
	for (int i = 0; i < 9000; i++)
		n[mg_lb_pick(&st, 0, 0)]++;
	ck_assert_uint_ge(n[0], 700);
	ck_assert_uint_le(n[0], 1300);
	ck_assert_uint_ge(n[1], 3300);
	ck_assert_uint_ge(n[2], 3300);
	/* Requests balance out as they are counted. */
	for (int i = 0; i < 100; i++)
		mg_lb_request_end(&st, 0);
	memset(n, 0, sizeof(n));
	for (int i = 0; i < 3000; i++) {
		int ep = mg_lb_pick(&st, 0, 0);

		n[ep]++;
		mg_lb_request_start(&st, (uint32_t)ep);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_uint_ge(n[i], 950);
	mg_lb_fini(&st);
	mg_cluster_free(cl);
	free(y);
}
END_TEST

/* Priority 0 first; failover to 1 when 0 has no healthy endpoint; degraded last. */
START_TEST(failover)
{
	struct mg_cluster *cl = compile_ok(
	    "name: c\n"
	    "load_assignment:\n"
	    "  endpoints:\n"
	    "  - priority: 0\n"
	    "    lb_endpoints:\n"
	    "    - {endpoint: {address: {socket_address: {address: 198.18.1.1, port_value: 80}}}, "
	    "health_status: UNHEALTHY}\n"
	    "    - {endpoint: {address: {socket_address: {address: 198.18.1.2, port_value: 80}}}, "
	    "health_status: DRAINING}\n"
	    "  - priority: 1\n"
	    "    locality: {region: eu, zone: eu-a}\n"
	    "    lb_endpoints:\n"
	    "    - {endpoint: {address: {socket_address: {address: 198.18.1.3, port_value: 80}}}}\n"
	    "    - {endpoint: {address: {socket_address: {address: 198.18.1.4, port_value: 80}}}, "
	    "health_status: DEGRADED}\n");
	struct mg_lb_state st;

	ck_assert_uint_eq(cl->n_eps, 4);
	ck_assert_str_eq(cl->eps[2].zone.s, "eu-a");
	ck_assert_str_eq(cl->eps[3].name.s, "198.18.1.4:80");
	ck_assert_int_eq(mg_lb_init(&st, cl, 1), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(mg_lb_pick(&st, 0, 0), 2);
	/* The healthy one goes: only the degraded one is left. */
	((struct mg_endpoint *)cl->eps)[2].health = MG_EP_UNHEALTHY;
	mg_lb_refresh(&st);
	ck_assert_int_eq(mg_lb_pick(&st, 0, 0), 3);
	((struct mg_endpoint *)cl->eps)[3].health = MG_EP_UNHEALTHY;
	mg_lb_refresh(&st);
	ck_assert_int_eq(mg_lb_pick(&st, 0, 0), -EHOSTUNREACH);
	mg_lb_fini(&st);
	mg_cluster_free(cl);
}
END_TEST

/*
 * Consistency: with N endpoints, removing one moves only its own keys (about
 * 1/N of them) for the ring, and not many more for Maglev.
 */
static void consistency(const char *policy, unsigned n_eps, double max_extra)
{
	char *all = cluster_yaml(policy, n_eps, NULL, NULL);
	char *less = cluster_yaml(policy, n_eps - 1, NULL, NULL); /* the last one removed */
	struct mg_cluster *a = compile_ok(all), *b = compile_ok(less);
	struct mg_lb_state sa, sb;
	unsigned moved = 0, on_removed = 0, keys = 20000;

	ck_assert_int_eq(mg_lb_init(&sa, a, 1), 0);
	ck_assert_int_eq(mg_lb_init(&sb, b, 1), 0);
	for (unsigned k = 0; k < keys; k++) {
		uint64_t h = mg_xxh64(&k, sizeof(k), 99);
		int ea = mg_lb_pick(&sa, h, 1), eb = mg_lb_pick(&sb, h, 1);

		ck_assert_int_ge(ea, 0);
		ck_assert_int_ge(eb, 0);
		/* Same address, same index: endpoints 0..n-2 are common. */
		if ((unsigned)ea == n_eps - 1)
			on_removed++;
		if (ea != eb)
			moved++;
		/* The same key always lands on the same endpoint. */
		ck_assert_int_eq(mg_lb_pick(&sa, h, 1), ea);
	}
	/* Every key of the removed endpoint moved; few others did. */
	ck_assert_uint_ge(moved, on_removed);
	ck_assert_msg(moved <= on_removed + (unsigned)(max_extra * keys),
	              "%s: %u keys moved, %u were on the removed endpoint", policy, moved,
	              on_removed);
	/* Its share was about 1/N. */
	ck_assert_uint_ge(on_removed, keys / n_eps / 2);
	ck_assert_uint_le(on_removed, keys / n_eps * 2);
	mg_lb_fini(&sa);
	mg_lb_fini(&sb);
	mg_cluster_free(a);
	mg_cluster_free(b);
	free(all);
	free(less);
}

START_TEST(ring_hash_consistent)
{
	consistency("RING_HASH", 10, 0.0);
}
END_TEST

START_TEST(maglev_consistent)
{
	consistency("MAGLEV", 10, 0.03);
}
END_TEST

/* Weighted Maglev: the table follows the weights; unhealthy keys walk on. */
START_TEST(maglev_weighted)
{
	static const unsigned w[] = {1, 2, 1};
	char *y = cluster_yaml("MAGLEV", 3, w, "maglev_lb_config: {table_size: 1009}\n");
	struct mg_cluster *cl = compile_ok(y);
	unsigned n[3] = {0};
	struct mg_lb_state st;

	ck_assert_uint_eq(cl->maglev_size, 1009);
	for (uint32_t i = 0; i < cl->maglev_size; i++)
		n[cl->maglev[i]]++;
	ck_assert_uint_ge(n[1], 2 * n[0] - 10);
	ck_assert_uint_le(n[1], 2 * n[0] + 10);
	ck_assert_int_eq(mg_lb_init(&st, cl, 1), 0);
	((struct mg_endpoint *)cl->eps)[1].health = MG_EP_UNHEALTHY;
	mg_lb_refresh(&st);
	for (unsigned k = 0; k < 2000; k++)
		ck_assert_int_ne(mg_lb_pick(&st, mg_xxh64(&k, sizeof(k), 5), 1), 1);
	mg_lb_fini(&st);
	mg_cluster_free(cl);
	free(y);
}
END_TEST

START_TEST(ring_weighted)
{
	static const unsigned w[] = {1, 3};
	char *y = cluster_yaml("RING_HASH", 2, w,
	                       "ring_hash_lb_config: {minimum_ring_size: 400, maximum_ring_size: "
	                       "100000}\n");
	struct mg_cluster *cl = compile_ok(y);
	unsigned n[2] = {0};

	ck_assert_uint_ge(cl->ring_size, 400);
	for (uint32_t i = 0; i < cl->ring_size; i++)
		n[cl->ring[i].ep]++;
	ck_assert_uint_eq(n[1], 3 * n[0]);
	for (uint32_t i = 1; i < cl->ring_size; i++)
		ck_assert_uint_le(cl->ring[i - 1].hash, cl->ring[i].hash);
	mg_cluster_free(cl);
	free(y);
}
END_TEST

static const struct bad {
	const char *yaml;
	const char *err;
} bad[] = {
    {"type: STATIC", "name: is required"},
    {"name: c\ntype: STRICT_DNS", "type: only STATIC and EDS"},
    {"name: c\ntype: EDS", "load_assignment: an EDS cluster needs"},
    {"name: c\nlb_policy: CLUSTER_PROVIDED", "lb_policy: not supported"},
    {"name: c\nconnect_timeout: 0s", "connect_timeout: must be positive"},
    {"name: c\noutlier_detection: {}", "outlier_detection: not supported yet"},
    {"name: c\nlb_policy: ROUND_ROBIN\nmaglev_lb_config: {table_size: 7}",
     "maglev_lb_config: needs lb_policy MAGLEV"},
    {"name: c\nload_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: "
     "{socket_address: {address: backend.local, port_value: 80}}}}]}]}",
     "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: "
     "\"backend.local\" is not an IPv4 address"},
    {"name: c\nload_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: "
     "{socket_address: {address: 198.18.1.1}}}}]}]}",
     "socket_address.port_value: port 0 is out of range 1..65535"},
    {"name: c\nload_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: "
     "{socket_address: {address: 198.18.1.1, port_value: 80}}}, load_balancing_weight: 0}]}]}",
     "lb_endpoints[0].load_balancing_weight: must be at least 1"},
    {"name: c\nlb_policy: MAGLEV\nmaglev_lb_config: {table_size: 1000}\nload_assignment: "
     "{endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: "
     "198.18.1.1, port_value: 80}}}}]}]}",
     "maglev_lb_config.table_size: 1000 must be a prime"},
};

START_TEST(rejected)
{
	char err[512];
	int rc;
	struct mg_cluster *cl = compile(bad[_i].yaml, err, sizeof(err), &rc);

	ck_assert_ptr_null(cl);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(strstr(err, bad[_i].err) != NULL, "case %d: want ...%s..., got %s", _i,
	              bad[_i].err, err);
}
END_TEST

START_TEST(no_endpoints)
{
	struct mg_cluster *cl = compile_ok("name: empty\nlb_policy: RING_HASH\n");
	struct mg_lb_state st;

	ck_assert_uint_eq(cl->connect_timeout_ms, MG_CLUSTER_DEFAULT_CONNECT_TIMEOUT_MS);
	ck_assert_int_eq(mg_lb_init(&st, cl, 1), 0);
	ck_assert_int_eq(mg_lb_pick(&st, 1, 1), -EHOSTUNREACH);
	mg_lb_fini(&st);
	mg_cluster_free(cl);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb");
	TCase *tc = tcase_create("lb");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, xxh64_vectors);
	tcase_add_test(tc, round_robin);
	tcase_add_test(tc, weighted_round_robin);
	tcase_add_test(tc, random_weighted);
	tcase_add_test(tc, weighted_chi_square);
	tcase_add_test(tc, least_request);
	tcase_add_test(tc, failover);
	tcase_add_test(tc, ring_hash_consistent);
	tcase_add_test(tc, maglev_consistent);
	tcase_add_test(tc, maglev_weighted);
	tcase_add_test(tc, ring_weighted);
	tcase_add_loop_test(tc, rejected, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, no_endpoints);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
