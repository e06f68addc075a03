/*
 * test_ads.c — the gateway's ADS protocol logic (app/meshgate/ads_proto.c),
 * without sockets: the first requests of a stream, ACKs with the response's
 * version and nonce and the right names, NACKs that keep the old version and
 * carry the compiler's error, warming (CDS then EDS, LDS then RDS), EDS/RDS
 * names derived from clusters and listeners, what a reconnect re-sends, and
 * bad input (wrong type URL, bytes that do not parse, unknown types).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <yaml.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "meshgate/ads_client.h"
#include "meshgate/bootstrap_types.h"
#include "proxy/listener_types.h"
#include "xds/compile.h"
#include "xds/xds.h"

typedef Envoy__Service__Discovery__V3__DiscoveryResponse resp_msg;
typedef Envoy__Service__Discovery__V3__DiscoveryRequest req_msg;

#define URL(t) mg_ads_type_url(MG_ADS_##t)

/* ---- building messages ---- */

static ProtobufCMessage *from_yaml(const ProtobufCMessageDescriptor *d, const char *text)
{
	yaml_parser_t p;
	yaml_document_t doc;
	ProtobufCMessage *m = NULL;
	struct mg_xds_err e;
	int rc;

	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	ck_assert(yaml_parser_load(&p, &doc));
	rc = mg_xds_decode_yaml(&doc, yaml_document_get_root_node(&doc), d, "", &m, &e);
	ck_assert_msg(rc == 0, "%s: %s", e.path, e.msg);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return m;
}

/* A response of type t with the resources given as YAML (NULL-terminated). */
static resp_msg *response(enum mg_ads_type t, const char *version, const char *nonce, ...)
{
	static const ProtobufCMessageDescriptor *const d[] = {
	    &envoy__config__cluster__v3__cluster__descriptor,
	    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor,
	    &envoy__config__listener__v3__listener__descriptor,
	    &envoy__config__route__v3__route_configuration__descriptor,
	};
	resp_msg *r = calloc(1, sizeof(*r));
	const char *y;
	va_list ap;

	envoy__service__discovery__v3__discovery_response__init(r);
	r->version_info = strdup(version);
	r->nonce = strdup(nonce);
	r->type_url = strdup(mg_ads_type_url(t));
	r->resources = calloc(8, sizeof(*r->resources));
	va_start(ap, nonce);
	while ((y = va_arg(ap, const char *)) != NULL) {
		ProtobufCMessage *m = from_yaml(d[t], y);

		ck_assert_int_eq(mg_xds_pack_any(m, &r->resources[r->n_resources]), 0);
		r->n_resources++;
		mg_xds_free(m);
	}
	va_end(ap);
	return r;
}

static void response_free(resp_msg *r)
{
	/* same layout as an unpacked message: free it the protobuf-c way */
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

#define CL_EDS(name) "{name: " name ", type: EDS, eds_cluster_config: {eds_config: {ads: {}}}}"
#define CL_EDS_SVC(name, svc) \
	"{name: " name        \
	", type: EDS, eds_cluster_config: {eds_config: {ads: {}}, service_name: " svc "}}"
#define CL_STATIC(name)                                                                        \
	"{name: " name ", load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: " \
	"{socket_address: {address: 198.18.2.1, port_value: 8081}}}}]}]}}"
#define CLA(name, port)                                                              \
	"{cluster_name: " name ", endpoints: [{lb_endpoints: [{endpoint: {address: " \
	"{socket_address: {address: 198.18.2.1, port_value: " port "}}}}]}]}"
#define LIS_RDS(name, port, rds)                                                                 \
	"{name: " name ", address: {socket_address: {address: 0.0.0.0, port_value: " port "}}, " \
	"filter_chains: [{filters: [{name: envoy.filters.network.http_connection_manager, "      \
	"typed_config: {'@type': type.googleapis.com/"                                           \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager, "    \
	"stat_prefix: " name ", rds: {config_source: {ads: {}}, route_config_name: " rds "}, "   \
	"http_filters: [{name: envoy.filters.http.router, typed_config: {'@type': "              \
	"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]}}]}]}"
#define ROUTE(name, cluster)                                                             \
	"{name: " name ", virtual_hosts: [{name: all, domains: ['*'], routes: [{match: " \
	"{prefix: /}, route: {cluster: " cluster "}}]}]}"

/* ---- the apply callback ---- */

static struct {
	unsigned calls;
	uint64_t last_version;
	int rc; /* what apply returns */
	uint32_t n_listeners, n_clusters, n_routes;
	bool rds_resolved; /* the first listener's RDS table is found in the snapshot */
} applied;

static int apply(void *arg, struct mg_snapshot *s, char *err, size_t errlen)
{
	(void)arg;
	if (applied.rc < 0)
		snprintf(err, errlen, "refused by the test");
	applied.calls++;
	applied.last_version = s->version;
	applied.n_listeners = s->n_listeners;
	applied.n_clusters = s->n_clusters;
	applied.n_routes = s->n_routes;
	applied.rds_resolved = s->n_listeners > 0 && s->listeners[0]->routes == NULL &&
	                       s->listeners[0]->rds_table != NULL;
	mg_snapshot_free(s); /* the gateway keeps it; the test owns it */
	return applied.rc;
}

static Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;

static void setup(struct mg_ads_proto *p,
                  const Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr)
{
	memset(&applied, 0, sizeof(applied));
	node.id = (char *)"gw-1";
	node.cluster = (char *)"gateways";
	ck_assert_int_eq(mg_ads_proto_init(p, &node, sr, true, true, apply, NULL), 0);
}

/* Check request i of out: type, version, nonce, names (NULL-terminated), error. */
static void want_req(const struct mg_ads_out *out, size_t i, enum mg_ads_type t,
                     const char *version, const char *nonce, bool has_node, const char *err_sub,
                     ...)
{
	const req_msg *r;
	const char *name;
	size_t n = 0;
	va_list ap;

	ck_assert_msg(i < out->n, "request %zu of %zu", i, out->n);
	r = out->req[i];
	ck_assert_str_eq(r->type_url, mg_ads_type_url(t));
	ck_assert_str_eq(r->version_info, version);
	ck_assert_str_eq(r->response_nonce, nonce);
	ck_assert_msg((r->node != NULL) == has_node, "request %zu: node %p", i, (void *)r->node);
	if (has_node) {
		ck_assert_str_eq(r->node->id, "gw-1");
		ck_assert_str_eq(r->node->cluster, "gateways");
	}
	if (err_sub == NULL) {
		ck_assert_msg(r->error_detail == NULL,
		              "request %zu: unexpected error_detail \"%s\"", i,
		              r->error_detail ? r->error_detail->message : "");
	} else {
		ck_assert_ptr_nonnull(r->error_detail);
		ck_assert_int_eq(r->error_detail->code, 3); /* INVALID_ARGUMENT */
		ck_assert_msg(strstr(r->error_detail->message, err_sub) != NULL,
		              "error_detail \"%s\" lacks \"%s\"", r->error_detail->message,
		              err_sub);
	}
	va_start(ap, err_sub);
	while ((name = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(n < r->n_resource_names, "request %zu: too few names", i);
		ck_assert_str_eq(r->resource_names[n], name);
		n++;
	}
	va_end(ap);
	ck_assert_uint_eq(r->n_resource_names, n);
}

/* Feed r (freed), expect rc, return with out filled. */
static void feed(struct mg_ads_proto *p, resp_msg *r, int want_rc, struct mg_ads_out *out)
{
	mg_ads_out_reset(out);
	ck_assert_int_eq(mg_ads_handle_response(p, r, out), want_rc);
	response_free(r);
}

/* Bring p to a complete, applied configuration: cds v1, eds e1, lds l1, rds r1. */
static void converge(struct mg_ads_proto *p, struct mg_ads_out *out)
{
	ck_assert_int_eq(mg_ads_stream_start(p, out), 0);
	feed(p, response(MG_ADS_CDS, "v1", "n1", CL_EDS("web"), CL_STATIC("stat"), NULL), 0, out);
	feed(p, response(MG_ADS_EDS, "e1", "n2", CLA("web", "8081"), NULL), 0, out);
	feed(p, response(MG_ADS_LDS, "l1", "n3", LIS_RDS("http", "8080", "r1"), NULL), 0, out);
	feed(p, response(MG_ADS_RDS, "r1", "n4", ROUTE("r1", "web"), NULL), 0, out);
	ck_assert_uint_eq(applied.calls, 1);
}

/* ---- tests ---- */

START_TEST(test_stream_start_first)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};

	setup(&p, NULL);
	ck_assert_int_eq(mg_ads_stream_start(&p, &out), 0);
	/* CDS only: listeners wait for the clusters; node in the first request */
	ck_assert_uint_eq(out.n, 1);
	want_req(&out, 0, MG_ADS_CDS, "", "", true, NULL, NULL);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

START_TEST(test_warming_and_ack)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};

	setup(&p, NULL);
	ck_assert_int_eq(mg_ads_stream_start(&p, &out), 0);
	/* CDS: ACK, then subscribe EDS for the EDS cluster, then LDS; nothing applied */
	feed(&p, response(MG_ADS_CDS, "v1", "n1", CL_EDS("web"), CL_STATIC("stat"), NULL), 0, &out);
	ck_assert_uint_eq(out.n, 3);
	want_req(&out, 0, MG_ADS_CDS, "v1", "n1", false, NULL, NULL);
	want_req(&out, 1, MG_ADS_EDS, "", "", false, NULL, "web", NULL);
	want_req(&out, 2, MG_ADS_LDS, "", "", false, NULL, NULL);
	ck_assert_uint_eq(applied.calls, 0);
	/* EDS: ACK with the names; still warming (no listeners yet) */
	feed(&p, response(MG_ADS_EDS, "e1", "n2", CLA("web", "8081"), NULL), 0, &out);
	ck_assert_uint_eq(out.n, 1);
	want_req(&out, 0, MG_ADS_EDS, "e1", "n2", false, NULL, "web", NULL);
	ck_assert_uint_eq(applied.calls, 0);
	/* LDS naming RDS r1: ACK and subscribe RDS; warming until r1 arrives */
	feed(&p, response(MG_ADS_LDS, "l1", "n3", LIS_RDS("http", "8080", "r1"), NULL), 0, &out);
	ck_assert_uint_eq(out.n, 2);
	want_req(&out, 0, MG_ADS_LDS, "l1", "n3", false, NULL, NULL);
	want_req(&out, 1, MG_ADS_RDS, "", "", false, NULL, "r1", NULL);
	ck_assert_uint_eq(applied.calls, 0);
	ck_assert(!mg_ads_proto_initialized(&p));
	/* RDS completes the set: one snapshot with everything, then the ACK */
	feed(&p, response(MG_ADS_RDS, "r1", "n4", ROUTE("r1", "web"), NULL), 0, &out);
	ck_assert_uint_eq(out.n, 1);
	want_req(&out, 0, MG_ADS_RDS, "r1", "n4", false, NULL, "r1", NULL);
	ck_assert_uint_eq(applied.calls, 1);
	ck_assert_uint_eq(applied.last_version, 2);
	ck_assert_uint_eq(applied.n_clusters, 2);
	ck_assert_uint_eq(applied.n_listeners, 1);
	ck_assert_uint_eq(applied.n_routes, 1);
	ck_assert(applied.rds_resolved); /* the workers find the RDS table through the listener */
	ck_assert(mg_ads_proto_initialized(&p));
	ck_assert_str_eq(p.t[MG_ADS_CDS].live_version, "v1");
	ck_assert_str_eq(p.t[MG_ADS_RDS].live_version, "r1");
	ck_assert_uint_eq(p.t[MG_ADS_CDS].live.n, 2);
	ck_assert_uint_eq(p.cnt.acks, 4);
	ck_assert_uint_eq(p.cnt.nacks, 0);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/* A route naming an unknown cluster: NACK with the old version, nothing applied. */
START_TEST(test_nack_keeps_version)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};

	setup(&p, NULL);
	converge(&p, &out);
	feed(&p, response(MG_ADS_RDS, "r2", "n5", ROUTE("r1", "nope"), NULL), -EINVAL, &out);
	ck_assert_uint_eq(out.n, 1);
	want_req(&out, 0, MG_ADS_RDS, "r1", "n5", false,
	         "route configuration \"r1\".virtual_hosts[0].routes[0].route.cluster: unknown "
	         "cluster \"nope\"",
	         "r1", NULL);
	ck_assert_uint_eq(applied.calls, 1);
	ck_assert_str_eq(p.t[MG_ADS_RDS].acked_version, "r1");
	ck_assert_str_eq(p.t[MG_ADS_RDS].live_version, "r1");
	ck_assert_ptr_nonnull(strstr(p.t[MG_ADS_RDS].last_error, "unknown cluster"));
	ck_assert_uint_eq(p.cnt.nacks, 1);
	/* a good update afterwards applies (and the NACKed one left no trace) */
	feed(&p, response(MG_ADS_RDS, "r3", "n6", ROUTE("r1", "stat"), NULL), 0, &out);
	want_req(&out, 0, MG_ADS_RDS, "r3", "n6", false, NULL, "r1", NULL);
	ck_assert_uint_eq(applied.calls, 2);
	ck_assert_uint_eq(applied.last_version, 3);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/* A resource that does not compile on its own is NACKed before any set logic. */
START_TEST(test_nack_invalid_resource)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};
	resp_msg *r;

	setup(&p, NULL);
	converge(&p, &out);
	/* a cluster type meshgate does not implement */
	feed(&p, response(MG_ADS_CDS, "v2", "n9", "{name: bad, type: STRICT_DNS}", NULL), -EINVAL,
	     &out);
	want_req(&out, 0, MG_ADS_CDS, "v1", "n9", false,
	         "cluster \"bad\": type: only STATIC and EDS are supported", NULL);
	/* an Any of the wrong type */
	r = response(MG_ADS_CDS, "v3", "n10", CL_STATIC("x"), NULL);
	free(r->resources[0]->type_url);
	r->resources[0]->type_url = strdup(URL(LDS));
	feed(&p, r, -EINVAL, &out);
	want_req(&out, 0, MG_ADS_CDS, "v1", "n10", false, "resources[0]: type_url", NULL);
	/* bytes that do not parse */
	r = response(MG_ADS_CDS, "v4", "n11", CL_STATIC("x"), NULL);
	r->resources[0]->value.data[0] = 0xff;
	r->resources[0]->value.data[1] = 0xff;
	feed(&p, r, -EINVAL, &out);
	want_req(&out, 0, MG_ADS_CDS, "v1", "n11", false, "does not parse", NULL);
	/* a listener whose RDS comes from elsewhere than ADS */
	feed(&p,
	     response(
	         MG_ADS_LDS, "l2", "n14",
	         "{name: x, address: {socket_address: {address: 0.0.0.0, port_value: 81}}, "
	         "filter_chains: [{filters: [{name: envoy.filters.network.http_connection_manager, "
	         "typed_config: {'@type': type.googleapis.com/"
	         "envoy.extensions.filters.network.http_connection_manager.v3."
	         "HttpConnectionManager, "
	         "stat_prefix: x, rds: {config_source: {api_config_source: {api_type: GRPC}}, "
	         "route_config_name: r1}, http_filters: [{name: envoy.filters.http.router, "
	         "typed_config: {'@type': "
	         "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]}}]}]}",
	         NULL),
	     -EINVAL, &out);
	want_req(&out, 0, MG_ADS_LDS, "l1", "n14", false,
	         "listener \"x\": filter_chains[0].filters[0].typed_config.rds.config_source: only",
	         NULL);
	/* two resources with one name */
	feed(&p, response(MG_ADS_CDS, "v5", "n12", CL_STATIC("x"), CL_STATIC("x"), NULL), -EINVAL,
	     &out);
	want_req(&out, 0, MG_ADS_CDS, "v1", "n12", false, "a second resource", NULL);
	/* removing the cluster a live route needs: the whole set fails to compile */
	feed(&p, response(MG_ADS_CDS, "v6", "n13", CL_STATIC("stat"), NULL), -EINVAL, &out);
	ck_assert_uint_eq(out.n, 1); /* and no EDS unsubscription: nothing changed */
	want_req(&out, 0, MG_ADS_CDS, "v1", "n13", false, "unknown cluster \"web\"", NULL);
	ck_assert_uint_eq(p.t[MG_ADS_EDS].names.n, 1);
	ck_assert_uint_eq(applied.calls, 1);
	ck_assert_uint_eq(p.cnt.nacks, 6);
	ck_assert_uint_eq(p.t[MG_ADS_CDS].live.n, 2);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/* Reconnect: every subscribed type again, with the ACKed versions, no nonces. */
START_TEST(test_reconnect_resends_versions)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};

	setup(&p, NULL);
	converge(&p, &out);
	mg_ads_out_reset(&out);
	ck_assert_int_eq(mg_ads_stream_start(&p, &out), 0);
	ck_assert_uint_eq(out.n, 4);
	/* the versions ACKed, no nonce: those belonged to the old stream */
	want_req(&out, 0, MG_ADS_CDS, "v1", "", true, NULL, NULL);
	want_req(&out, 1, MG_ADS_EDS, "e1", "", false, NULL, "web", NULL);
	want_req(&out, 2, MG_ADS_LDS, "l1", "", false, NULL, NULL);
	want_req(&out, 3, MG_ADS_RDS, "r1", "", false, NULL, "r1", NULL);
	/* a server that resends the same resources: ACKed, nothing applied again */
	feed(&p, response(MG_ADS_CDS, "v1", "n5", CL_EDS("web"), CL_STATIC("stat"), NULL), 0, &out);
	want_req(&out, 0, MG_ADS_CDS, "v1", "n5", false, NULL, NULL);
	ck_assert_uint_eq(out.n, 1);
	feed(&p, response(MG_ADS_RDS, "r1", "n6", ROUTE("r1", "web"), NULL), 0, &out);
	ck_assert_uint_eq(applied.calls, 1);
	/* but a real change applies */
	feed(&p, response(MG_ADS_RDS, "r2", "n7", ROUTE("r1", "stat"), NULL), 0, &out);
	ck_assert_uint_eq(applied.calls, 2);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/* EDS by service_name; names follow the clusters; dropped ones are unsubscribed. */
START_TEST(test_eds_names)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};

	setup(&p, NULL);
	ck_assert_int_eq(mg_ads_stream_start(&p, &out), 0);
	feed(&p, response(MG_ADS_CDS, "v1", "n1", CL_EDS_SVC("a", "svc-a"), CL_EDS("b"), NULL), 0,
	     &out);
	want_req(&out, 1, MG_ADS_EDS, "", "", false, NULL, "b", "svc-a", NULL);
	/* the CLA comes under the service name; LDS with no listeners: complete */
	feed(&p, response(MG_ADS_EDS, "e1", "n2", CLA("svc-a", "1"), CLA("b", "2"), NULL), 0, &out);
	feed(&p, response(MG_ADS_LDS, "l1", "n3", NULL), 0, &out);
	ck_assert_uint_eq(applied.calls, 1);
	ck_assert_uint_eq(applied.n_clusters, 2);
	/* b goes away: EDS re-subscribed to svc-a only */
	feed(&p, response(MG_ADS_CDS, "v2", "n4", CL_EDS_SVC("a", "svc-a"), NULL), 0, &out);
	ck_assert_uint_eq(out.n, 2);
	want_req(&out, 0, MG_ADS_CDS, "v2", "n4", false, NULL, NULL);
	want_req(&out, 1, MG_ADS_EDS, "e1", "n2", false, NULL, "svc-a", NULL);
	ck_assert_uint_eq(applied.calls, 2);
	ck_assert_uint_eq(applied.n_clusters, 1);
	ck_assert_uint_eq(p.t[MG_ADS_EDS].live.n, 1);
	/* a new EDS cluster without endpoints yet: ACK, but warm (not applied) */
	feed(&p, response(MG_ADS_CDS, "v3", "n5", CL_EDS_SVC("a", "svc-a"), CL_EDS("c"), NULL), 0,
	     &out);
	ck_assert_uint_eq(applied.calls, 2);
	ck_assert_str_eq(p.t[MG_ADS_CDS].acked_version, "v3");
	ck_assert_str_eq(p.t[MG_ADS_CDS].live_version, "v2");
	want_req(&out, 1, MG_ADS_EDS, "e1", "n2", false, NULL, "c", "svc-a", NULL);
	/* a partial EDS response (only c) keeps svc-a: complete again */
	feed(&p, response(MG_ADS_EDS, "e2", "n6", CLA("c", "3"), NULL), 0, &out);
	ck_assert_uint_eq(applied.calls, 3);
	ck_assert_uint_eq(applied.n_clusters, 2);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/* Static and dynamic resources compile together; a name clash is NACKed. */
START_TEST(test_with_static)
{
	Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr;
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};

	sr = (void *)from_yaml(
	    &envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor,
	    "{clusters: [" CL_STATIC("xds") "]}");
	setup(&p, sr);
	ck_assert_int_eq(mg_ads_stream_start(&p, &out), 0);
	feed(&p, response(MG_ADS_CDS, "v1", "n1", CL_STATIC("xds"), NULL), 0, &out);
	feed(&p, response(MG_ADS_LDS, "l1", "n2", NULL), -EINVAL, &out);
	want_req(&out, 0, MG_ADS_LDS, "", "n2", false, "cluster", NULL);
	feed(&p, response(MG_ADS_CDS, "v2", "n3", CL_STATIC("web"), NULL), 0, &out);
	ck_assert_uint_eq(applied.calls, 0); /* LDS has not been accepted yet */
	feed(&p, response(MG_ADS_LDS, "l2", "n4", NULL), 0, &out);
	ck_assert_uint_eq(applied.calls, 1);
	ck_assert_uint_eq(applied.n_clusters, 2);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
	mg_xds_free(&sr->base);
}
END_TEST

/* Unknown types are ignored; an apply failure NACKs. */
START_TEST(test_unknown_type_and_apply_failure)
{
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};
	resp_msg *r;

	setup(&p, NULL);
	ck_assert_int_eq(mg_ads_stream_start(&p, &out), 0);
	r = response(MG_ADS_CDS, "v1", "n1", NULL);
	free(r->type_url);
	r->type_url =
	    strdup("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");
	feed(&p, r, -ENOENT, &out);
	ck_assert_uint_eq(out.n, 0);
	ck_assert_uint_eq(p.cnt.unknown_types, 1);
	applied.rc = -ENOSPC;
	feed(&p, response(MG_ADS_CDS, "v1", "n2", CL_STATIC("a"), NULL), 0, &out);
	feed(&p, response(MG_ADS_LDS, "l1", "n3", NULL), -EINVAL, &out);
	want_req(&out, 0, MG_ADS_LDS, "", "n3", false, "refused by the test", NULL);
	ck_assert_uint_eq(applied.calls, 1);
	ck_assert(!mg_ads_proto_initialized(&p));
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/*
 * Bad input never crashes: valid responses with bit flips
 * in their bytes (whole message and Any values), deterministic.  Each one
 * that still decodes as a DiscoveryResponse is ACKed, NACKed or ignored.
 */
START_TEST(test_mutated_responses)
{
	static const char *const cds[] = {CL_EDS("web"), CL_STATIC("stat"), NULL};
	struct mg_ads_proto p;
	struct mg_ads_out out = {0};
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned decoded = 0, nacked = 0;

	setup(&p, NULL);
	converge(&p, &out);
	for (unsigned it = 0; it < 2000; it++) {
		resp_msg *r = it % 2 ? response(MG_ADS_CDS, "vX", "nX", cds[0], cds[1], NULL)
		                     : response(MG_ADS_RDS, "rX", "nX", ROUTE("r1", "web"), NULL);
		size_t len = envoy__service__discovery__v3__discovery_response__get_packed_size(r);
		uint8_t *buf = malloc(len);
		resp_msg *m;
		int rc;

		envoy__service__discovery__v3__discovery_response__pack(r, buf);
		response_free(r);
		for (unsigned k = 0; k < 1 + it % 4; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			buf[rng % len] ^= (uint8_t)(1u << (rng >> 32) % 8);
		}
		m = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, buf);
		free(buf);
		if (m == NULL)
			continue; /* the client drops the stream: covered by test 93 */
		decoded++;
		mg_ads_out_reset(&out);
		rc = mg_ads_handle_response(&p, m, &out);
		ck_assert_msg(rc == 0 || rc == -EINVAL || rc == -ENOENT, "iteration %u: rc %d", it,
		              rc);
		nacked += rc == -EINVAL;
		if (rc != -ENOENT)
			ck_assert_uint_ge(out.n, 1);
		envoy__service__discovery__v3__discovery_response__free_unpacked(m, NULL);
	}
	ck_assert_uint_gt(decoded, 700);
	ck_assert_uint_gt(nacked, 70);
	mg_ads_out_reset(&out);
	mg_ads_proto_fini(&p);
}
END_TEST

/* ---- the transport, against raw sockets ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A listening socket on 127.0.0.1 (non-blocking); its port in *port. */
static int listener(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct mg_ads_client *client_for(struct mg_bootstrap *b, uint16_t port)
{
	struct mg_ads_client *c;

	memset(b, 0, sizeof(*b));
	b->ads = (struct mg_cfg_ads){.enabled = true, .cds = true, .lds = true, .port = port};
	snprintf(b->ads.host, sizeof(b->ads.host), "127.0.0.1");
	snprintf(b->ads.target, sizeof(b->ads.target), "test");
	c = mg_ads_client_new(b, apply, NULL);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Nobody listening: refused, retried with growing, bounded delays. */
START_TEST(test_client_refused)
{
	struct mg_bootstrap b;
	struct mg_ads_client *c;
	uint16_t port;
	int fd = listener(&port);
	uint64_t end;

	close(fd); /* the port is free now: connections are refused */
	c = client_for(&b, port);
	ck_assert_int_eq(mg_ads_client_state(c), MG_ADS_ST_IDLE);
	end = mono_ms() + 1500;
	while (mono_ms() < end) {
		mg_ads_poll(c, mono_ms());
		usleep(2000);
	}
	/* 100, 200, 400, 800 ms (±50%): 2 to 6 attempts in 1.5 s, not one per tick */
	ck_assert_uint_ge(mg_ads_client_proto(c)->cnt.connect_fail, 2);
	ck_assert_uint_le(mg_ads_client_proto(c)->cnt.connect_fail, 6);
	ck_assert_uint_eq(mg_ads_client_proto(c)->cnt.connects, 0);
	ck_assert_int_ne(mg_ads_client_state(c), MG_ADS_ST_STREAMING);
	mg_ads_client_free(c);
}
END_TEST

/*
 * A server that speaks garbage: the client opened with the HTTP/2 preface
 * (prior knowledge), then drops the connection and backs off; nothing applied.
 */
START_TEST(test_client_garbage)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const char junk[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	struct mg_bootstrap b;
	struct mg_ads_client *c;
	uint16_t port;
	int lfd = listener(&port), fd = -1;
	char got[4096];
	size_t n = 0;
	bool sent = false;
	uint64_t end = mono_ms() + 3000;

	memset(&applied, 0, sizeof(applied));
	c = client_for(&b, port);
	while (mono_ms() < end && mg_ads_client_proto(c)->cnt.disconnects == 0) {
		mg_ads_poll(c, mono_ms());
		if (fd < 0)
			fd = accept(lfd, NULL, NULL);
		if (fd >= 0 && n < sizeof(got) - 1) {
			ssize_t r = recv(fd, got + n, sizeof(got) - 1 - n, MSG_DONTWAIT);

			if (r > 0)
				n += (size_t)r;
			if (n >= sizeof(preface) - 1 && !sent) {
				ck_assert_int_eq(send(fd, junk, sizeof(junk) - 1, MSG_NOSIGNAL),
				                 (ssize_t)sizeof(junk) - 1);
				sent = true;
			}
		}
		usleep(1000);
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_ge(n, sizeof(preface) - 1);
	ck_assert_int_eq(memcmp(got, preface, sizeof(preface) - 1), 0);
	ck_assert_uint_eq(mg_ads_client_proto(c)->cnt.connects, 1);
	ck_assert_uint_eq(mg_ads_client_proto(c)->cnt.disconnects, 1);
	ck_assert_int_eq(mg_ads_client_state(c), MG_ADS_ST_BACKOFF);
	ck_assert_uint_eq(applied.calls, 0);
	mg_ads_client_free(c);
	close(fd);
	close(lfd);
}
END_TEST

static Suite *ads_suite(void)
{
	Suite *s = suite_create("ads");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, test_stream_start_first);
	tcase_add_test(tc, test_warming_and_ack);
	tcase_add_test(tc, test_nack_keeps_version);
	tcase_add_test(tc, test_nack_invalid_resource);
	tcase_add_test(tc, test_reconnect_resends_versions);
	tcase_add_test(tc, test_eds_names);
	tcase_add_test(tc, test_with_static);
	tcase_add_test(tc, test_unknown_type_and_apply_failure);
	tcase_add_test(tc, test_mutated_responses);
	tcase_add_test(tc, test_client_refused);
	tcase_add_test(tc, test_client_garbage);
	tcase_set_timeout(tc, 120); /* the mutations, under ASan */
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ads_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
