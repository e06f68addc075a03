/*
 * test_snapshot.c — listeners and whole snapshots compiled from Envoy-style
 * static_resources (dataplane/xds/compile_listener.c, compile_snapshot.c):
 * what compiles, what each piece looks like after, and every refusal with
 * the path to the field.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "proxy/route.h"
#include "xds/compile.h"
#include "xds/xds.h"

typedef Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources StaticResources;

#define HCM_TYPE                          \
	"\"@type\": type.googleapis.com/" \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define ROUTER                                                     \
	"http_filters: [{name: router, typed_config: {\"@type\": " \
	"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]"
#define TCP_TYPE \
	"\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
#define EP(a) "{endpoint: {address: {socket_address: {address: " a ", port_value: 80}}}}"

/* A listener on port p whose HCM config is the rest of the line. */
#define HTTP_LISTENER(name, p, hcm)                                             \
	"- name: " name "\n"                                                    \
	"  address: {socket_address: {address: 0.0.0.0, port_value: " #p "}}\n" \
	"  filter_chains: [{filters: [{name: hcm, typed_config: {" HCM_TYPE ", " hcm "}}]}]\n"

#define CLUSTERS                                                                            \
	"clusters:\n"                                                                       \
	"- {name: v1, load_assignment: {endpoints: [{lb_endpoints: [" EP(                   \
	    "198.18.1.2") "]}]}}\n"                                                         \
	                  "- {name: v2, load_assignment: {endpoints: [{lb_endpoints: [" EP( \
	                      "198.18.1.3") "]}]}}\n"

#define ROUTES                                                                                    \
	"route_config: {name: r, virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: "   \
	"{prefix: /}, route: {weighted_clusters: {clusters: [{name: v1, weight: 99}, {name: v2, " \
	"weight: 1}]}}}]}]}"

static StaticResources *decode(const char *text)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct mg_xds_err xe;
	ProtobufCMessage *m = NULL;
	int rc;

	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	ck_assert_msg(yaml_parser_load(&p, &doc), "YAML does not load: %s", text);
	yaml_parser_delete(&p);
	rc = mg_xds_decode_yaml(
	    &doc, yaml_document_get_root_node(&doc),
	    &envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor, "", &m, &xe);
	yaml_document_delete(&doc);
	ck_assert_msg(rc == 0, "decode: %s: %s (%s)", xe.path, xe.msg, text);
	return (StaticResources *)m;
}

static int snap(const char *text, struct mg_snapshot **out, char *err, size_t errlen)
{
	StaticResources *sr = decode(text);
	struct mg_resources r = {.listeners = sr->listeners,
	                         .n_listeners = sr->n_listeners,
	                         .clusters = sr->clusters,
	                         .n_clusters = sr->n_clusters};
	int rc = mg_snapshot_compile(&r, 7, out, err, errlen);

	mg_xds_free(&sr->base);
	return rc;
}

START_TEST(http_and_tcp)
{
	char err[512];
	struct mg_snapshot *s = NULL;
	const struct mg_listener *h, *t;
	int rc = snap("listeners:\n" HTTP_LISTENER(
	                  "web", 8080,
	                  "stat_prefix: web, use_remote_address: true, " ROUTES
	                  ", " ROUTER) "- name: db\n"
	                               "  address: {socket_address: {address: 198.18.0.1, "
	                               "port_value: 5432}}\n"
	                               "  filter_chains: [{filters: [{name: tcp, typed_config: "
	                               "{" TCP_TYPE ", stat_prefix: db, weighted_clusters: "
	                               "{clusters: [{name: v1, weight: 3}, {name: v2, weight: "
	                               "1}]}}}]}]\n" CLUSTERS,
	              &s, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(s->version, 7);
	ck_assert_uint_eq(s->n_listeners, 2);
	ck_assert_uint_eq(s->n_clusters, 2);
	h = s->listeners[0];
	t = s->listeners[1];
	ck_assert_uint_eq(h->kind, MG_LISTENER_HTTP);
	ck_assert_uint_eq(h->port, 8080);
	ck_assert_uint_eq(h->addr, 0);
	ck_assert_str_eq(h->stat_prefix.s, "web");
	ck_assert(h->http.use_remote_address);
	ck_assert(h->http.generate_request_id);
	ck_assert_uint_eq(h->http.max_request_headers_kb, 60);
	ck_assert_str_eq(h->http.server_name.s, "meshgate");
	ck_assert_ptr_nonnull(h->routes);
	ck_assert_uint_eq(h->routes->vhosts[0].routes[0].wc_total, 100);
	ck_assert_uint_eq(t->kind, MG_LISTENER_TCP);
	ck_assert_uint_eq(t->port, 5432);
	ck_assert_uint_eq(t->tcp.n_wc, 2);
	ck_assert_uint_eq(t->tcp.wc_total, 4);
	ck_assert_ptr_nonnull(mg_snapshot_cluster(s, (struct mg_rstr){"v2", 2}));
	ck_assert_ptr_null(mg_snapshot_cluster(s, (struct mg_rstr){"v3", 2}));
	ck_assert_str_eq(mg_snapshot_cluster(s, (struct mg_rstr){"v1", 2})->eps[0].name.s,
	                 "198.18.1.2:80");
	mg_snapshot_free(s);
}
END_TEST

static const struct bad {
	const char *yaml;
	const char *err;
} bad[] = {
    {"listeners:\n" HTTP_LISTENER("w", 80, ROUTES ", " ROUTER) "clusters: []\n",
     "listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0]."
     "routes[0].route.weighted_clusters.clusters[0].name: unknown cluster \"v1\""},
    {"listeners:\n" HTTP_LISTENER("w", 80, ROUTES ", " ROUTER)
         HTTP_LISTENER("x", 80, ROUTES ", " ROUTER) CLUSTERS,
     "listeners[1].address: port 80 is taken by listeners[0] (w)"},
    {"listeners:\n" HTTP_LISTENER("w", 80, ROUTES ", " ROUTER)
         HTTP_LISTENER("w", 81, ROUTES ", " ROUTER) CLUSTERS,
     "listeners[1].name: duplicate listener name \"w\" (first in listeners[0])"},
    {CLUSTERS "- {name: v1}\n",
     "clusters[2].name: duplicate cluster name \"v1\" (first in clusters[0])"},
    {"listeners:\n" HTTP_LISTENER("w", 80,
                                  ROUTES ", http_filters: [{name: cors, typed_config: "
                                         "{\"@type\": type.googleapis.com/"
                                         "envoy.extensions.filters.http.router.v3.Router}}, "
                                         "{name: x}]") CLUSTERS,
     "listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]: the router must "
     "be the last HTTP filter"},
    {"listeners:\n" HTTP_LISTENER("w", 80, "codec_type: HTTP2, " ROUTES ", " ROUTER) CLUSTERS,
     "typed_config.codec_type: only HTTP1"},
    {"listeners:\n" HTTP_LISTENER("w", 80, "rds: {route_config_name: rr}, " ROUTER) CLUSTERS,
     "listeners[0].filter_chains[0].filters[0].typed_config.rds.route_config_name: unknown "
     "route configuration \"rr\""},
    {"listeners:\n" HTTP_LISTENER(
         "w", 80,
         "route_config: {virtual_hosts: [{name: v, domains: [\"*\"], routes: [{match: {prefix: "
         "/}, route: {cluster: v1, hash_policy: [{header: {header_name: x}}, "
         "{connection_properties: "
         "{source_ip: true}}]}}]}]}, " ROUTER) CLUSTERS,
     "typed_config.route_config.virtual_hosts[0].routes[0].route.hash_policy[0]: one hash "
     "policy is supported so far"},
    {"listeners:\n"
     "- name: t\n"
     "  address: {socket_address: {address: 0.0.0.0, port_value: 9}}\n"
     "  filter_chains: [{filters: [{name: tcp, typed_config: {" TCP_TYPE
     ", cluster: nope}}]}]\n" CLUSTERS,
     "listeners[0].filter_chains[0].filters[0].typed_config.cluster: unknown cluster \"nope\""},
    {"listeners:\n"
     "- name: t\n"
     "  address: {socket_address: {address: 0.0.0.0, port_value: 9}}\n"
     "  filter_chains: [{filters: [{name: x, typed_config: {\"@type\": "
     "type.googleapis.com/envoy.config.route.v3.Route}}]}]\n",
     "filter_chains[0].filters[0].typed_config.@type: \"type.googleapis.com/"
     "envoy.config.route.v3.Route\" is not a network filter meshgate has"},
    {"listeners:\n"
     "- name: t\n"
     "  address: {socket_address: {address: \"::1\", port_value: 9}}\n"
     "  filter_chains: [{filters: []}]\n",
     "address.socket_address.address: \"::1\" is not an IPv4 address"},
    {"listeners:\n"
     "- name: t\n"
     "  address: {socket_address: {address: 0.0.0.0, port_value: 9}}\n"
     "  filter_chains: [{filters: [{name: tcp, typed_config: {" TCP_TYPE
     ", cluster: v1}}]}, {filters: []}]\n" CLUSTERS,
     "filter_chains: exactly one filter chain"},
    {"listeners:\n"
     "- name: t\n"
     "  address: {socket_address: {address: 0.0.0.0, port_value: 9}}\n"
     "  socket_options: [{level: 1, name: 9, int_value: 1}]\n"
     "  filter_chains: [{filters: [{name: tcp, typed_config: {" TCP_TYPE
     ", cluster: v1}}]}]\n" CLUSTERS,
     "listeners[0].socket_options[0]: level 1 name 9 is not supported"},
    {"listeners:\n"
     "- name: t\n"
     "  address: {socket_address: {address: 0.0.0.0, port_value: 9}}\n"
     "  socket_options: [{level: 6, name: 13, buf_value: YmJy}]\n"
     "  filter_chains: [{filters: [{name: tcp, typed_config: {" TCP_TYPE
     ", cluster: v1}}]}]\n" CLUSTERS,
     "listeners[0].socket_options[0].buf_value: congestion control \"bbr\" is not one of"},
    {"clusters:\n"
     "- {name: v1, upstream_bind_config: {source_address: {address: 198.18.0.9, port_value: "
     "0}}, load_assignment: {endpoints: [{lb_endpoints: [" EP("198.18.1.2") "]}]}}\n",
     "clusters[0].upstream_bind_config.source_address: not supported yet"},
};

START_TEST(rejected)
{
	char err[512];
	struct mg_snapshot *s = NULL;
	int rc = snap(bad[_i].yaml, &s, err, sizeof(err));

	ck_assert_ptr_null(s);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(strstr(err, bad[_i].err) != NULL, "case %d: want ...%s..., got %s", _i,
	              bad[_i].err, err);
}
END_TEST

/*
 * TCP_CONGESTION as Envoy configs set it (IPPROTO_TCP 6, name 13, the name
 * in base64): per listener, and per cluster through upstream_bind_config;
 * Linux's "reno" is the stack's NewReno.  Without it: the worker's default.
 */
START_TEST(congestion_control)
{
	char err[512];
	struct mg_snapshot *s = NULL;
	int rc =
	    snap("listeners:\n"
	         "- name: t\n"
	         "  address: {socket_address: {address: 0.0.0.0, port_value: 9}}\n"
	         "  socket_options: [{description: cc, level: 6, name: 13, buf_value: "
	         "Y3ViaWM=}]\n"
	         "  filter_chains: [{filters: [{name: tcp, typed_config: {" TCP_TYPE
	         ", cluster: v1}}]}]\n"
	         "clusters:\n"
	         "- {name: v1, upstream_bind_config: {socket_options: [{level: 6, name: 13, "
	         "buf_value: cmVubw==}]}, load_assignment: {endpoints: [{lb_endpoints: [" EP(
	             "198.18.1.2") "]}]}}\n"
	                           "- {name: v2, load_assignment: {endpoints: [{lb_endpoints: [" EP(
	                               "198.18.1.3") "]}]}}\n",
	         &s, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(s->listeners[0]->cc, "cubic");
	ck_assert_str_eq(s->clusters[0]->cc, "newreno");
	ck_assert_ptr_null(s->clusters[1]->cc);
	mg_snapshot_free(s);
}
END_TEST

/* The decoder's example bootstrap: everything in it that meshgate does compile. */
START_TEST(example_file)
{
	const char *path = getenv("MG_XDS_YAML");
	char err[512];
	struct mg_snapshot *s = NULL;
	FILE *f;
	char *text;
	long n;
	int rc;

	ck_assert_ptr_nonnull(path);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	/* The example uses circuit breakers, retries and hashing, which come later: say which. */
	{
		yaml_parser_t p;
		yaml_document_t doc;
		struct mg_xds_err xe;
		ProtobufCMessage *m = NULL;
		Envoy__Config__Bootstrap__V3__Bootstrap *b;
		struct mg_resources r;

		ck_assert(yaml_parser_initialize(&p));
		yaml_parser_set_input_string(&p, (const unsigned char *)text, (size_t)n);
		ck_assert(yaml_parser_load(&p, &doc));
		yaml_parser_delete(&p);
		ck_assert_int_eq(
		    mg_xds_decode_yaml(&doc, yaml_document_get_root_node(&doc),
		                       &envoy__config__bootstrap__v3__bootstrap__descriptor, "", &m,
		                       &xe),
		    0);
		yaml_document_delete(&doc);
		b = (Envoy__Config__Bootstrap__V3__Bootstrap *)m;
		r = (struct mg_resources){.listeners = b->static_resources->listeners,
		                          .n_listeners = b->static_resources->n_listeners,
		                          .clusters = b->static_resources->clusters,
		                          .n_clusters = b->static_resources->n_clusters};
		rc = mg_snapshot_compile(&r, 1, &s, err, sizeof(err));
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_msg(strstr(err, ": not supported yet") != NULL, "%s", err);
		mg_xds_free(m);
	}
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("snapshot");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, http_and_tcp);
	tcase_add_loop_test(tc, rejected, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, congestion_control);
	tcase_add_test(tc, example_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
