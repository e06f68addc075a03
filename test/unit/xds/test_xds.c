/* test_xds.c — Check tests for the xDS YAML decoder (dataplane/xds) and the
 * proto/ subset: a full Envoy-style bootstrap decoded and checked field by
 * field, its wire bytes against `protoc --encode` of a text-format twin,
 * hand-computed bytes for small messages, type URLs, Any packing, the proto3
 * JSON forms of scalars and well-known types, and every error class with its
 * path and position.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "xds/xds.h"

/* The generated names are long; these keep the assertions readable. */
typedef Envoy__Config__Bootstrap__V3__Bootstrap Bootstrap;
typedef Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources StaticResources;
typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Config__Route__V3__RouteAction RouteAction;
typedef Envoy__Config__Endpoint__V3__LbEndpoint LbEndpoint;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy TcpProxy;
typedef Envoy__Config__Core__V3__SocketAddress SocketAddress;
typedef Envoy__Config__Core__V3__DataSource DataSource;

#define BOOTSTRAP_D envoy__config__bootstrap__v3__bootstrap__descriptor
#define STATIC_D    envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor
#define CLUSTER_D   envoy__config__cluster__v3__cluster__descriptor
#define HCM_D \
	envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor
#define TCP_D envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load(yaml_document_t *doc, const char *text)
{
	yaml_parser_t p;

	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	ck_assert_msg(yaml_parser_load(&p, doc), "YAML does not load: %s", text);
	yaml_parser_delete(&p);
}

/* Decode @text as @desc; returns the rc and fills *out and the formatted error. */
static int decode(const char *text, const ProtobufCMessageDescriptor *desc, const char *path,
                  ProtobufCMessage **out, char *msg, size_t len)
{
	yaml_document_t doc;
	struct mg_xds_err err;
	int rc;

	load(&doc, text);
	rc = mg_xds_decode_yaml(&doc, yaml_document_get_root_node(&doc), desc, path, out, &err);
	if (rc && msg)
		mg_xds_err_format(&err, "gw.yaml", msg, len);
	yaml_document_delete(&doc);
	return rc;
}

static ProtobufCMessage *decode_ok(const char *text, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *m = NULL;
	char msg[512] = "";

	ck_assert_msg(decode(text, desc, NULL, &m, msg, sizeof(msg)) == 0, "%s", msg);
	ck_assert_ptr_nonnull(m);
	return m;
}

static Bootstrap *decode_example(void)
{
	const char *path = getenv("MG_XDS_YAML");
	Bootstrap *b;
	size_t len;
	char *text;

	ck_assert_msg(path != NULL, "MG_XDS_YAML is not set");
	text = read_file(path, &len);
	b = (Bootstrap *)decode_ok(text, &BOOTSTRAP_D);
	free(text);
	return b;
}

static const SocketAddress *lb_addr(const LbEndpoint *e)
{
	return e->endpoint->address->socket_address;
}

START_TEST(example_clusters)
{
	Bootstrap *b = decode_example();
	StaticResources *sr = b->static_resources;
	Cluster *c;

	ck_assert_str_eq(b->node->id, "gw-1");
	ck_assert_uint_eq(sr->n_listeners, 2);
	ck_assert_uint_eq(sr->n_clusters, 3);
	c = sr->clusters[0];
	ck_assert_str_eq(c->name, "svc_v1");
	ck_assert_int_eq(c->cluster_discovery_type_case,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE);
	ck_assert_int_eq(c->type, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC);
	ck_assert_int_eq(c->connect_timeout->seconds, 0);
	ck_assert_int_eq(c->connect_timeout->nanos, 250000000);
	ck_assert_int_eq(c->lb_policy, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH);
	ck_assert_int_eq(c->lb_config_case,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_RING_HASH_LB_CONFIG);
	ck_assert_uint_eq(c->ring_hash_lb_config->minimum_ring_size->value, 1024);
	ck_assert_uint_eq(c->circuit_breakers->n_thresholds, 1);
	ck_assert_int_eq(c->circuit_breakers->thresholds[0]->priority,
	                 ENVOY__CONFIG__CORE__V3__ROUTING_PRIORITY__HIGH);
	ck_assert_uint_eq(c->circuit_breakers->thresholds[0]->max_connections->value, 1024);
	ck_assert_uint_eq(c->circuit_breakers->thresholds[0]->max_retries->value, 3);
	ck_assert_ptr_null(c->circuit_breakers->thresholds[0]->max_requests);
	ck_assert_uint_eq(c->outlier_detection->consecutive_5xx->value, 5);
	ck_assert_int_eq(c->outlier_detection->interval->seconds, 10);
	ck_assert_int_eq(c->outlier_detection->base_ejection_time->seconds, 30);
	ck_assert_uint_eq(c->outlier_detection->max_ejection_percent->value, 10);
	ck_assert_str_eq(c->load_assignment->cluster_name, "svc_v1");
	ck_assert_uint_eq(c->load_assignment->n_endpoints, 1);
	ck_assert_str_eq(c->load_assignment->endpoints[0]->locality->region, "r1");
	ck_assert_str_eq(c->load_assignment->endpoints[0]->locality->zone, "z1");
	ck_assert_uint_eq(c->load_assignment->endpoints[0]->priority, 1);
	ck_assert_uint_eq(c->load_assignment->endpoints[0]->n_lb_endpoints, 2);
	{
		LbEndpoint **e = c->load_assignment->endpoints[0]->lb_endpoints;

		ck_assert_str_eq(lb_addr(e[0])->address, "198.18.1.10");
		ck_assert_uint_eq(lb_addr(e[0])->port_value, 80);
		ck_assert_uint_eq(e[0]->load_balancing_weight->value, 3);
		ck_assert_str_eq(lb_addr(e[1])->address, "198.18.1.11");
		ck_assert_ptr_null(e[1]->load_balancing_weight);
		ck_assert_int_eq(e[1]->health_status,
		                 ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__HEALTHY);
	}
	c = sr->clusters[1]; /* lowerCamelCase names, a quoted uint64 */
	ck_assert_int_eq(c->connect_timeout->seconds, 1);
	ck_assert_int_eq(c->lb_policy, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__MAGLEV);
	ck_assert_uint_eq(c->maglev_lb_config->table_size->value, 65537);
	c = sr->clusters[2]; /* type left out: STATIC is the default */
	ck_assert_int_eq(c->cluster_discovery_type_case,
	                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE__NOT_SET);
	ck_assert_uint_eq(lb_addr(c->load_assignment->endpoints[0]->lb_endpoints[0])->port_value,
	                  8080);
	mg_xds_free(&b->base);
}
END_TEST

static Hcm *example_hcm(const Listener *l)
{
	ProtobufCMessage *m = NULL;
	Google__Protobuf__Any *any = l->filter_chains[0]->filters[0]->typed_config;

	ck_assert_str_eq(any->type_url, "type.googleapis.com/envoy.extensions.filters.network."
	                                "http_connection_manager.v3.HttpConnectionManager");
	ck_assert_int_eq(mg_xds_unpack_any(any, &HCM_D, &m), 0);
	return (Hcm *)m;
}

static void check_weighted_route(const Route *r)
{
	const RouteAction *a = r->route;

	ck_assert_int_eq(r->match->path_specifier_case,
	                 ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX);
	ck_assert_str_eq(r->match->safe_regex->regex, "^/api/v[0-9]+/.*");
	ck_assert_uint_eq(r->match->n_query_parameters, 1);
	ck_assert_str_eq(r->match->query_parameters[0]->name, "debug");
	ck_assert(r->match->query_parameters[0]->present_match);
	ck_assert_int_eq(
	    a->cluster_specifier_case,
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS);
	ck_assert_uint_eq(a->weighted_clusters->n_clusters, 2);
	ck_assert_str_eq(a->weighted_clusters->clusters[0]->name, "svc_v1");
	ck_assert_uint_eq(a->weighted_clusters->clusters[0]->weight->value, 99);
	ck_assert_str_eq(a->weighted_clusters->clusters[1]->name, "svc_v2");
	ck_assert_uint_eq(a->weighted_clusters->clusters[1]->weight->value, 1);
	ck_assert_str_eq(a->prefix_rewrite, "/");
	ck_assert_str_eq(a->host_rewrite_literal, "svc.internal");
	ck_assert_int_eq(a->timeout->seconds, 1);
	ck_assert_int_eq(a->timeout->nanos, 500000000);
	ck_assert_str_eq(a->retry_policy->retry_on, "connect-failure,refused-stream");
	ck_assert_uint_eq(a->retry_policy->num_retries->value, 2);
	ck_assert_int_eq(a->retry_policy->per_try_timeout->nanos, 250000000);
	ck_assert_uint_eq(a->retry_policy->n_retriable_status_codes, 2);
	ck_assert_uint_eq(a->retry_policy->retriable_status_codes[1], 504);
	ck_assert_uint_eq(a->n_request_mirror_policies, 1);
	ck_assert_str_eq(a->request_mirror_policies[0]->cluster, "shadow");
	ck_assert_uint_eq(a->request_mirror_policies[0]->runtime_fraction->default_value->numerator,
	                  10);
	ck_assert_uint_eq(a->n_hash_policy, 2);
	ck_assert_str_eq(a->hash_policy[0]->header->header_name, "x-user");
	ck_assert(a->hash_policy[1]->connection_properties->source_ip);
}

START_TEST(example_http_listener)
{
	Bootstrap *b = decode_example();
	Listener *l = b->static_resources->listeners[0];
	Hcm *h = example_hcm(l);
	Envoy__Config__Route__V3__VirtualHost *vh;
	Route **r;

	ck_assert_str_eq(l->name, "http_in");
	ck_assert_str_eq(l->address->socket_address->address, "198.18.0.1");
	ck_assert_uint_eq(l->address->socket_address->port_value, 8080);
	ck_assert_str_eq(h->stat_prefix, "ingress_http");
	ck_assert(h->use_remote_address->value);
	ck_assert_int_eq(
	    h->route_specifier_case,
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_ROUTE_CONFIG);
	ck_assert_uint_eq(h->route_config->n_virtual_hosts, 1);
	vh = h->route_config->virtual_hosts[0];
	ck_assert_uint_eq(vh->n_domains, 2);
	ck_assert_str_eq(vh->domains[1], "*.svc.example");
	ck_assert_uint_eq(vh->n_routes, 4);
	r = vh->routes;
	ck_assert_str_eq(r[0]->match->prefix, "/");
	ck_assert_str_eq(r[0]->match->headers[0]->name, "x-canary");
	ck_assert_str_eq(r[0]->match->headers[0]->string_match->exact, "v2");
	ck_assert_str_eq(r[0]->route->cluster, "svc_v2");
	check_weighted_route(r[1]);
	ck_assert_int_eq(r[2]->action_case, ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_REDIRECT);
	ck_assert_str_eq(r[2]->match->path, "/old");
	ck_assert_str_eq(r[2]->redirect->host_redirect, "new.example");
	ck_assert_int_eq(
	    r[2]->redirect->response_code,
	    ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__REDIRECT_RESPONSE_CODE__PERMANENT_REDIRECT);
	ck_assert_int_eq(r[3]->action_case,
	                 ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE);
	ck_assert_uint_eq(r[3]->direct_response->status, 200);
	ck_assert_str_eq(r[3]->direct_response->body->inline_string, "ok");
	ck_assert_str_eq(r[3]->response_headers_to_add[0]->header->key, "x-served-by");
	ck_assert_str_eq(r[3]->response_headers_to_remove[0], "server");
	ck_assert_str_eq(h->http_filters[0]->typed_config->type_url,
	                 "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");
	ck_assert_uint_eq(h->http_filters[0]->typed_config->value.len, 0);
	mg_xds_free(&h->base);
	mg_xds_free(&b->base);
}
END_TEST

START_TEST(example_tcp_listener)
{
	Bootstrap *b = decode_example();
	Listener *l = b->static_resources->listeners[1];
	ProtobufCMessage *m = NULL;
	TcpProxy *t;

	ck_assert_int_eq(mg_xds_unpack_any(l->filter_chains[0]->filters[0]->typed_config, NULL, &m),
	                 0);
	ck_assert_ptr_eq(m->descriptor, &TCP_D);
	t = (TcpProxy *)m;
	ck_assert_str_eq(t->stat_prefix, "tcp");
	ck_assert_uint_eq(t->weighted_clusters->n_clusters, 2);
	ck_assert_uint_eq(t->weighted_clusters->clusters[0]->weight, 90);
	ck_assert_str_eq(t->weighted_clusters->clusters[1]->name, "svc_v2");
	mg_xds_free(m);
	/* Asking for the wrong type is refused, not reinterpreted. */
	ck_assert_int_eq(
	    mg_xds_unpack_any(l->filter_chains[0]->filters[0]->typed_config, &HCM_D, &m),
	    -EPROTOTYPE);
	ck_assert_ptr_null(m);
	mg_xds_free(&b->base);
}
END_TEST

START_TEST(example_matches_protoc_bytes)
{
	const char *golden_path = getenv("MG_XDS_GOLDEN");
	Bootstrap *b = decode_example();
	size_t glen, len = protobuf_c_message_get_packed_size(&b->base), i;
	uint8_t *buf = malloc(len);
	char *golden;

	ck_assert_msg(golden_path != NULL, "MG_XDS_GOLDEN is not set");
	golden = read_file(golden_path, &glen);
	ck_assert_uint_gt(glen, 1000);
	ck_assert_uint_eq(protobuf_c_message_pack(&b->base, buf), len);
	for (i = 0; i < len && i < glen; i++)
		ck_assert_msg(buf[i] == (uint8_t)golden[i], "byte %zu: 0x%02x, protoc 0x%02x", i,
		              buf[i], (uint8_t)golden[i]);
	ck_assert_uint_eq(len, glen);
	free(golden);
	free(buf);
	mg_xds_free(&b->base);
}
END_TEST

START_TEST(static_resources_alone)
{
	const char *text = "listeners: []\nclusters:\n- name: a\n  connect_timeout: 2s\n";
	StaticResources *sr = (StaticResources *)decode_ok(text, &STATIC_D);

	ck_assert_uint_eq(sr->n_listeners, 0);
	ck_assert_uint_eq(sr->n_clusters, 1);
	ck_assert_int_eq(sr->clusters[0]->connect_timeout->seconds, 2);
	mg_xds_free(&sr->base);
}
END_TEST

/* Small messages against bytes worked out by hand from the field numbers. */
START_TEST(hand_computed_bytes)
{
	static const struct {
		const char *yaml;
		const ProtobufCMessageDescriptor *desc;
		const char *hex;
	} cases[] = {
	    {"address: 198.18.0.1\nport_value: 80\n",
	     &envoy__config__core__v3__socket_address__descriptor, "120a3139382e31382e302e311850"},
	    {"1.5s\n", &google__protobuf__duration__descriptor, /* JSON form: a string */
	     "08011080cab5ee01"},
	    {"name: a\nweight: 99\n",
	     &envoy__config__route__v3__weighted_cluster__cluster_weight__descriptor,
	     "0a0161120208"
	     "63"},
	    {"cluster_name: c\nendpoints: [{priority: 2}]\n",
	     &envoy__config__endpoint__v3__cluster_load_assignment__descriptor,
	     "0a0163120228"
	     "02"},
	    {"connect_timeout: 0.25s\nlb_policy: MAGLEV\nload_assignment: {}\n", &CLUSTER_D,
	     "220510"
	     "80e59a77"
	     "3005"
	     "8a0200"},
	    {"retriable_status_codes: [503, 504]\n",
	     &envoy__config__route__v3__retry_policy__descriptor, "3a04f703f803"},
	    {"type_url: t\nresource_names: [x]\n",
	     &envoy__service__discovery__v3__discovery_request__descriptor, "1a0178220174"},
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ProtobufCMessage *m = decode_ok(cases[i].yaml, cases[i].desc);
		uint8_t buf[256];
		char hex[513] = "";
		size_t len = protobuf_c_message_pack(m, buf);

		for (j = 0; j < len; j++)
			sprintf(hex + 2 * j, "%02x", buf[j]);
		ck_assert_msg(!strcmp(hex, cases[i].hex), "case %zu: %s, want %s", i, hex,
		              cases[i].hex);
		mg_xds_free(m);
	}
}
END_TEST

START_TEST(type_urls)
{
	static const struct {
		const char *url;
		const ProtobufCMessageDescriptor *desc;
	} cases[] = {
	    {"type.googleapis.com/envoy.config.listener.v3.Listener",
	     &envoy__config__listener__v3__listener__descriptor},
	    {"type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
	     &envoy__config__route__v3__route_configuration__descriptor},
	    {"type.googleapis.com/envoy.config.cluster.v3.Cluster", &CLUSTER_D},
	    {"type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
	     &envoy__config__endpoint__v3__cluster_load_assignment__descriptor},
	    {"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
	     &envoy__extensions__transport_sockets__tls__v3__secret__descriptor},
	    {"type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse",
	     &envoy__service__discovery__v3__discovery_response__descriptor},
	    {"type.googleapis.com/google.protobuf.UInt32Value",
	     &google__protobuf__uint32_value__descriptor},
	};
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(mg_xds_type_url(cases[i].desc, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, cases[i].url);
		ck_assert_ptr_eq(mg_xds_type_lookup(cases[i].url), cases[i].desc);
		ck_assert_ptr_eq(mg_xds_type_lookup(strrchr(cases[i].url, '/') + 1), cases[i].desc);
	}
	ck_assert_ptr_eq(mg_xds_type_lookup("example.com/x/envoy.config.cluster.v3.Cluster"),
	                 &CLUSTER_D);
	ck_assert_ptr_null(
	    mg_xds_type_lookup("type.googleapis.com/envoy.config.cluster.v3.Clusters"));
	ck_assert_ptr_null(mg_xds_type_lookup(""));
	ck_assert_int_eq(mg_xds_type_url(&CLUSTER_D, buf, 20), -ENOSPC);
}
END_TEST

START_TEST(any_pack_unpack)
{
	Cluster *c = (Cluster *)decode_ok("name: x\nconnect_timeout: 3s\n", &CLUSTER_D);
	Google__Protobuf__Any *any = NULL;
	ProtobufCMessage *m = NULL;
	uint8_t junk[] = {0x0a, 0x05, 'a'}; /* a string that runs past the end */

	ck_assert_int_eq(mg_xds_pack_any(&c->base, &any), 0);
	ck_assert_str_eq(any->type_url, "type.googleapis.com/envoy.config.cluster.v3.Cluster");
	ck_assert_int_eq(mg_xds_unpack_any(any, &CLUSTER_D, &m), 0);
	ck_assert_str_eq(((Cluster *)m)->name, "x");
	ck_assert_int_eq(((Cluster *)m)->connect_timeout->seconds, 3);
	mg_xds_free(m);
	free(any->value.data);
	any->value.data = junk;
	any->value.len = sizeof(junk);
	ck_assert_int_eq(mg_xds_unpack_any(any, NULL, &m), -EBADMSG);
	any->value.data = NULL;
	any->value.len = 0;
	free(any->type_url);
	any->type_url = strdup("type.googleapis.com/no.such.Type");
	ck_assert_int_eq(mg_xds_unpack_any(any, NULL, &m), -ENOENT);
	ck_assert_ptr_null(m);
	mg_xds_free(&any->base);
	mg_xds_free(&c->base);
}
END_TEST

START_TEST(durations)
{
	static const struct {
		const char *text;
		int rc;
		int64_t sec;
		int32_t nanos;
	} cases[] = {
	    {"1.5s", 0, 1, 500000000},
	    {"0.25s", 0, 0, 250000000},
	    {"100s", 0, 100, 0},
	    {"-1.5s", 0, -1, -500000000},
	    {"0.000000001s", 0, 0, 1},
	    {"315576000000s", 0, 315576000000LL, 0},
	    {"1.s", -EINVAL, 0, 0},
	    {".5s", -EINVAL, 0, 0},
	    {"1.5", -EINVAL, 0, 0},
	    {"1.5ms", -EINVAL, 0, 0},
	    {"1.0000000001s", -EINVAL, 0, 0},
	    {"315576000001s", -EINVAL, 0, 0},
	    {"", -EINVAL, 0, 0},
	    {"s", -EINVAL, 0, 0},
	    {" 1s", -EINVAL, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t sec = 7;
		int32_t nanos = 7;

		ck_assert_msg(mg_xds_parse_duration(cases[i].text, &sec, &nanos) == cases[i].rc,
		              "case %s", cases[i].text);
		if (cases[i].rc == 0) {
			ck_assert_int_eq(sec, cases[i].sec);
			ck_assert_int_eq(nanos, cases[i].nanos);
		}
	}
}
END_TEST

START_TEST(scalar_forms)
{
	DataSource *ds;
	Cluster *c;
	Envoy__Type__V3__Percent *p;

	/* Enum by number, quoted integers, null as "unset". */
	c = (Cluster *)decode_ok("lb_policy: 5\nper_connection_buffer_limit_bytes: \"32768\"\n"
	                         "name: ~\nalt_stat_name:\n",
	                         &CLUSTER_D);
	ck_assert_int_eq(c->lb_policy, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__MAGLEV);
	ck_assert_uint_eq(c->per_connection_buffer_limit_bytes->value, 32768);
	ck_assert_str_eq(c->name, "");
	mg_xds_free(&c->base);
	/* Bytes: standard base64 with padding and URL-safe without. */
	ds = (DataSource *)decode_ok("inline_bytes: aGVsbG8=\n",
	                             &envoy__config__core__v3__data_source__descriptor);
	ck_assert_uint_eq(ds->inline_bytes.len, 5);
	ck_assert(!memcmp(ds->inline_bytes.data, "hello", 5));
	mg_xds_free(&ds->base);
	ds = (DataSource *)decode_ok("inline_bytes: \"-_8\"\n",
	                             &envoy__config__core__v3__data_source__descriptor);
	ck_assert_uint_eq(ds->inline_bytes.len, 2);
	ck_assert_uint_eq(ds->inline_bytes.data[0], 0xfb);
	ck_assert_uint_eq(ds->inline_bytes.data[1], 0xff);
	mg_xds_free(&ds->base);
	p = (Envoy__Type__V3__Percent *)decode_ok("value: 12.5\n",
	                                          &envoy__type__v3__percent__descriptor);
	ck_assert(p->value == 12.5);
	mg_xds_free(&p->base);
	p = (Envoy__Type__V3__Percent *)decode_ok("value: \"-Infinity\"\n",
	                                          &envoy__type__v3__percent__descriptor);
	ck_assert(isinf(p->value) && p->value < 0);
	mg_xds_free(&p->base);
}
END_TEST

START_TEST(struct_metadata)
{
	const char *text = "id: n\nmetadata:\n  s: x\n  n: 2.5\n  q: \"3\"\n  b: false\n"
	                   "  z: null\n  l: [1, [a]]\n  m: {k: v}\n";
	Envoy__Config__Core__V3__Node *n = (Envoy__Config__Core__V3__Node *)decode_ok(
	    text, &envoy__config__core__v3__node__descriptor);
	Google__Protobuf__Struct *s = n->metadata;
	Google__Protobuf__Value *v;

	ck_assert_uint_eq(s->n_fields, 7);
	ck_assert_str_eq(s->fields[0]->key, "s");
	ck_assert_str_eq(s->fields[0]->value->string_value, "x");
	ck_assert(s->fields[1]->value->number_value == 2.5);
	/* Quoted stays a string, as it would in JSON. */
	ck_assert_int_eq(s->fields[2]->value->kind_case,
	                 GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
	ck_assert_int_eq(s->fields[3]->value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE);
	ck_assert(!s->fields[3]->value->bool_value);
	ck_assert_int_eq(s->fields[4]->value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
	v = s->fields[5]->value;
	ck_assert_int_eq(v->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
	ck_assert_uint_eq(v->list_value->n_values, 2);
	ck_assert_str_eq(v->list_value->values[1]->list_value->values[0]->string_value, "a");
	v = s->fields[6]->value;
	ck_assert_str_eq(v->struct_value->fields[0]->value->string_value, "v");
	mg_xds_free(&n->base);
}
END_TEST

/* Every error class: the formatted message names file, line, column and path. */
static const struct {
	const char *yaml;
	const ProtobufCMessageDescriptor *desc;
	const char *want;
} bad[] = {
    {"clusters:\n- name: a\n  load_assignment:\n    endpoints:\n    - lb_endpoints:\n"
     "      - endpoint: {address: {socket_address: {address: 198.18.0.1}}}\n"
     "      - endpoint:\n          address:\n            socket_address:\n"
     "              port_value: eighty\n",
     &STATIC_D,
     "gw.yaml:10:27: static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[1]"
     ".endpoint.address.socket_address.port_value: expected an unsigned integer 0..4294967295, "
     "got \"eighty\""},
    {"port_value: -1\n", &envoy__config__core__v3__socket_address__descriptor,
     "gw.yaml:1:13: static_resources.port_value: expected an unsigned integer 0..4294967295, "
     "got \"-1\""},
    {"port_value: 4294967296\n", &envoy__config__core__v3__socket_address__descriptor,
     "gw.yaml:1:13: static_resources.port_value: expected an unsigned integer 0..4294967295, "
     "got \"4294967296\""},
    {"code: 2147483648\n", &google__rpc__status__descriptor,
     "gw.yaml:1:7: static_resources.code: expected an integer -2147483648..2147483647, got "
     "\"2147483648\""},
    {"name: a\nlb_polcy: MAGLEV\n", &CLUSTER_D,
     "gw.yaml:2:1: static_resources.lb_polcy: unknown field \"lb_polcy\" in "
     "envoy.config.cluster.v3.Cluster (did you mean \"lb_policy\"?)"},
    {"zzzz_qqq: 1\n", &CLUSTER_D,
     "gw.yaml:1:1: static_resources.zzzz_qqq: unknown field \"zzzz_qqq\" in "
     "envoy.config.cluster.v3.Cluster"},
    {"type: CLASSIC\n", &CLUSTER_D,
     "gw.yaml:1:7: static_resources.type: expected one of STATIC, STRICT_DNS, LOGICAL_DNS, "
     "EDS, ORIGINAL_DST (enum envoy.config.cluster.v3.Cluster.DiscoveryType), got \"CLASSIC\""},
    {"type: 9\n", &CLUSTER_D,
     "gw.yaml:1:7: static_resources.type: expected one of STATIC, STRICT_DNS, LOGICAL_DNS, "
     "EDS, ORIGINAL_DST (enum envoy.config.cluster.v3.Cluster.DiscoveryType), got \"9\""},
    {"connect_timeout: 5\n", &CLUSTER_D,
     "gw.yaml:1:18: static_resources.connect_timeout: expected a duration such as \"1.5s\", "
     "got \"5\""},
    {"connect_timeout: {seconds: 5}\n", &CLUSTER_D,
     "gw.yaml:1:18: static_resources.connect_timeout: expected a duration such as \"1.5s\", "
     "got a mapping"},
    {"address: a\nport_value: 1\nnamed_port: http\n",
     &envoy__config__core__v3__socket_address__descriptor,
     "gw.yaml:3:13: static_resources.named_port: \"port_value\" and \"named_port\" are one "
     "oneof in envoy.config.core.v3.SocketAddress: set only one of them"},
    {"load_assignment: {endpoints: {}}\n", &CLUSTER_D,
     "gw.yaml:1:30: static_resources.load_assignment.endpoints: expected a sequence, got a "
     "mapping"},
    {"address: 198.18.0.1\n", &envoy__config__endpoint__v3__endpoint__descriptor,
     "gw.yaml:1:10: static_resources.address: expected a mapping "
     "(envoy.config.core.v3.Address), got a scalar"},
    {"name: [a]\n", &CLUSTER_D,
     "gw.yaml:1:7: static_resources.name: expected a scalar, got a sequence"},
    {"ipv4_compat: \"true\"\n", &envoy__config__core__v3__socket_address__descriptor,
     "gw.yaml:1:14: static_resources.ipv4_compat: expected true or false, got \"true\""},
    {"typed_config: {stat_prefix: x}\n", &envoy__config__listener__v3__filter__descriptor,
     "gw.yaml:1:15: static_resources.typed_config: a google.protobuf.Any needs an \"@type\" "
     "key"},
    {"typed_config: {\"@type\": type.googleapis.com/x.Y}\n",
     &envoy__config__listener__v3__filter__descriptor,
     "gw.yaml:1:25: static_resources.typed_config.@type: unknown type "
     "\"type.googleapis.com/x.Y\": not a message meshgate understands"},
    {"typed_config: {\"@type\": Cluster}\n", &envoy__config__listener__v3__filter__descriptor,
     "gw.yaml:1:25: static_resources.typed_config.@type: expected a type URL such as "
     "\"type.googleapis.com/envoy.config.cluster.v3.Cluster\""},
    {"typed_config:\n  \"@type\": type.googleapis.com/envoy.extensions.filters.network"
     ".tcp_proxy.v3.TcpProxy\n  stat_prefx: x\n",
     &envoy__config__listener__v3__filter__descriptor,
     "gw.yaml:3:3: static_resources.typed_config.stat_prefx: unknown field \"stat_prefx\" in "
     "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy (did you mean \"stat_prefix\"?)"},
    {"name: a\nname: b\n", &CLUSTER_D,
     "gw.yaml:2:1: static_resources.name: field \"name\" is set twice"},
    {"connect_timeout: 1s\nconnectTimeout: 2s\n", &CLUSTER_D,
     "gw.yaml:2:1: static_resources.connect_timeout: field \"connect_timeout\" is set twice"},
    {"domains: [a, null]\n", &envoy__config__route__v3__virtual_host__descriptor,
     "gw.yaml:1:14: static_resources.domains[1]: null is not allowed in a list"},
    {"retry_policy: {num_retries: two}\n", &envoy__config__route__v3__route_action__descriptor,
     "gw.yaml:1:29: static_resources.retry_policy.num_retries: expected an unsigned integer "
     "0..4294967295, got \"two\""},
    {"inline_bytes: \"a!==\"\n", &envoy__config__core__v3__data_source__descriptor,
     "gw.yaml:1:15: static_resources.inline_bytes: expected base64 data, got \"a!==\""},
    {"value: 1e999\n", &envoy__type__v3__percent__descriptor,
     "gw.yaml:1:8: static_resources.value: expected a number, got \"1e999\""},
    {"metadata: &a {x: *a}\n", &envoy__config__core__v3__node__descriptor,
     /* Node 1, metadata 2, then a Value and a Struct per x: the 32nd x's Value is
      * the 65th level. */
     "gw.yaml:1:11: static_resources.metadata.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x"
     ".x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x: nested more than 64 levels deep"},
    {"[1, 2]\n", &CLUSTER_D,
     "gw.yaml:1:1: static_resources: expected a mapping (envoy.config.cluster.v3.Cluster), got "
     "a sequence"},
};

/* Packed wire bytes of m (free() them). */
static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	buf = malloc(*len ? *len : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(protobuf_c_message_pack(m, buf), *len);
	return buf;
}

/*
 * JSON out, back in: the example bootstrap (every scalar kind, Any, Struct,
 * durations, wrappers, maps, oneofs) printed by the encoder and decoded again
 * gives the same wire bytes; pretty and compact print the same message.
 */
START_TEST(json_round_trip)
{
	Bootstrap *b = decode_example(), *back, *back2;
	char *pretty = mg_xds_to_json(&b->base, true), *compact = mg_xds_to_json(&b->base, false);
	uint8_t *w0, *w1, *w2;
	size_t l0, l1, l2;

	ck_assert_ptr_nonnull(pretty);
	ck_assert_ptr_nonnull(compact);
	ck_assert_ptr_null(strchr(compact, '\n'));
	ck_assert_ptr_nonnull(strstr(pretty, "\"@type\": \"type.googleapis.com/envoy.extensions."
	                                     "filters.network.http_connection_manager.v3."
	                                     "HttpConnectionManager\""));
	ck_assert_ptr_nonnull(strstr(pretty, "\"connect_timeout\": \"0.250s\""));
	back = (Bootstrap *)decode_ok(pretty, &BOOTSTRAP_D);
	back2 = (Bootstrap *)decode_ok(compact, &BOOTSTRAP_D);
	w0 = packed(&b->base, &l0);
	w1 = packed(&back->base, &l1);
	w2 = packed(&back2->base, &l2);
	ck_assert_uint_eq(l0, l1);
	ck_assert_uint_eq(l0, l2);
	ck_assert_mem_eq(w0, w1, l0);
	ck_assert_mem_eq(w0, w2, l0);
	free(w0);
	free(w1);
	free(w2);
	free(pretty);
	free(compact);
	mg_xds_free(&b->base);
	mg_xds_free(&back->base);
	mg_xds_free(&back2->base);
}
END_TEST

/* Special forms: 64-bit integers as strings, bytes as base64, durations, escapes. */
START_TEST(json_forms)
{
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
	Google__Protobuf__UInt64Value u = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
	Google__Protobuf__StringValue sv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
	Google__Protobuf__BytesValue bv = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
	uint8_t bytes[] = {0xff, 0x00, 0x41, 0x42};
	char *s;

	d.seconds = 3;
	s = mg_xds_to_json(&d.base, false);
	ck_assert_str_eq(s, "\"3s\"");
	free(s);
	d.seconds = 0;
	d.nanos = 1500000;
	s = mg_xds_to_json(&d.base, false);
	ck_assert_str_eq(s, "\"0.001500s\"");
	free(s);
	u.value = UINT64_MAX;
	s = mg_xds_to_json(&u.base, false);
	ck_assert_str_eq(s, "\"18446744073709551615\"");
	free(s);
	sv.value = "a\"b\\c\n\x01";
	s = mg_xds_to_json(&sv.base, false);
	ck_assert_str_eq(s, "\"a\\\"b\\\\c\\n\\u0001\"");
	free(s);
	bv.value.data = bytes;
	bv.value.len = sizeof(bytes);
	s = mg_xds_to_json(&bv.base, false);
	ck_assert_str_eq(s, "\"/wBBQg==\"");
	free(s);
}
END_TEST

START_TEST(errors)
{
	ProtobufCMessage *m = (ProtobufCMessage *)1;
	char msg[512] = "";
	int rc = decode(bad[_i].yaml, bad[_i].desc, "static_resources", &m, msg, sizeof(msg));

	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(msg, bad[_i].want);
}
END_TEST

/* A failure deep inside a big document frees everything built (ASan checks). */
START_TEST(error_late_in_example)
{
	const char *path = getenv("MG_XDS_YAML");
	ProtobufCMessage *m = NULL;
	char msg[512], *text, *tail;
	size_t len;

	ck_assert_ptr_nonnull(path);
	text = read_file(path, &len);
	tail = strstr(text, "port_value: 8080 } } }");
	ck_assert_ptr_nonnull(tail);
	memcpy(tail, "port_value: 80x0", 16);
	ck_assert_int_eq(decode(text, &BOOTSTRAP_D, NULL, &m, msg, sizeof(msg)), -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(msg, "static_resources.clusters[2].load_assignment.endpoints[0]"
	                          ".lb_endpoints[0].endpoint.address.socket_address.port_value: "
	                          "expected an unsigned integer") != NULL,
	              "%s", msg);
	free(text);
}
END_TEST

static Suite *xds_suite(void)
{
	Suite *s = suite_create("xds");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, example_clusters);
	tcase_add_test(tc, example_http_listener);
	tcase_add_test(tc, example_tcp_listener);
	tcase_add_test(tc, example_matches_protoc_bytes);
	tcase_add_test(tc, static_resources_alone);
	tcase_add_test(tc, hand_computed_bytes);
	tcase_add_test(tc, type_urls);
	tcase_add_test(tc, any_pack_unpack);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, scalar_forms);
	tcase_add_test(tc, struct_metadata);
	tcase_add_test(tc, json_round_trip);
	tcase_add_test(tc, json_forms);
	tcase_add_loop_test(tc, errors, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, error_late_in_example);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xds_suite());
	int n_failed;

	srunner_run_all(sr, CK_NORMAL);
	n_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return n_failed ? 1 : 0;
}
