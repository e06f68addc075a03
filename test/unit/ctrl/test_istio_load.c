/*
 * test_istio_load.c — Istio YAML to model: one realistic resource of each
 * kind (after Istio's documentation examples) decoded to the last field
 * meshgate reads, with the positions values keep; multi-document files and
 * empty documents; the envelope (apiVersion, kind, metadata); and one table
 * row per decoding error with its exact FILE:LINE:COL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctrl/diag.h"
#include "ctrl/istio_load.h"
#include "ctrl/istio_schema.h"
#include "ctrl/istio_validate.h"
#include "ctrl/yaml_util.h"

#define NAME "t.yaml"

struct fixture {
	struct mg_istio_config cfg;
	struct mg_diag d;
};

static int parse(struct fixture *f, const char *text)
{
	ck_assert_int_eq(mg_istio_config_init(&f->cfg), 0);
	mg_diag_init(&f->d);
	return mg_istio_parse(&f->cfg, NAME, text, strlen(text), &f->d);
}

static void done(struct fixture *f)
{
	mg_istio_config_free(&f->cfg);
	mg_diag_free(&f->d);
}

/* Print diagnostics when a test fails to make the reason visible. */
static void dump(const struct fixture *f)
{
	mg_diag_print(&f->d, stderr);
}

#define ck_str(ms, want)                        \
	do {                                    \
		ck_assert_ptr_nonnull((ms).s);  \
		ck_assert_str_eq((ms).s, want); \
	} while (0)

#define ck_pos(p, l, c)                           \
	do {                                      \
		ck_assert_str_eq((p).file, NAME); \
		ck_assert_uint_eq((p).line, l);   \
		ck_assert_uint_eq((p).col, c);    \
	} while (0)

/* ------------------------------------------------------------------ */

static const char vs_yaml[] =
    "apiVersion: networking.istio.io/v1\n"                      /* 1 */
    "kind: VirtualService\n"                                    /* 2 */
    "metadata:\n"                                               /* 3 */
    "  name: reviews\n"                                         /* 4 */
    "  namespace: bookinfo\n"                                   /* 5 */
    "spec:\n"                                                   /* 6 */
    "  hosts: [reviews]\n"                                      /* 7 */
    "  gateways: [bookinfo-gw, mesh]\n"                         /* 8 */
    "  http:\n"                                                 /* 9 */
    "  - name: canary\n"                                        /* 10 */
    "    match:\n"                                              /* 11 */
    "    - headers:\n"                                          /* 12 */
    "        end-user:\n"                                       /* 13 */
    "          exact: jason\n"                                  /* 14 */
    "      uri: {prefix: /api}\n"                               /* 15 */
    "      queryParams: {debug: {regex: '^1$'}}\n"              /* 16 */
    "      method: {exact: GET}\n"                              /* 17 */
    "      authority: {exact: a.example.com}\n"                 /* 18 */
    "      port: 8080\n"                                        /* 19 */
    "      ignoreUriCase: true\n"                               /* 20 */
    "    route:\n"                                              /* 21 */
    "    - destination: {host: reviews, subset: v2}\n"          /* 22 */
    "  - name: split\n"                                         /* 23 */
    "    route:\n"                                              /* 24 */
    "    - destination:\n"                                      /* 25 */
    "        host: reviews\n"                                   /* 26 */
    "        subset: v1\n"                                      /* 27 */
    "        port: {number: 9080}\n"                            /* 28 */
    "      weight: 90\n"                                        /* 29 */
    "    - destination: {host: reviews, subset: v2}\n"          /* 30 */
    "      weight: 10\n"                                        /* 31 */
    "      headers: {request: {set: {x-v: '2'}}}\n"             /* 32 */
    "    rewrite: {uri: /v1, authority: r.internal}\n"          /* 33 */
    "    timeout: 1.5s\n"                                       /* 34 */
    "    retries:\n"                                            /* 35 */
    "      attempts: 3\n"                                       /* 36 */
    "      perTryTimeout: 500ms\n"                              /* 37 */
    "      retryOn: 5xx,reset\n"                                /* 38 */
    "    fault:\n"                                              /* 39 */
    "      delay: {fixedDelay: 7s, percentage: {value: 0.1}}\n" /* 40 */
    "      abort: {httpStatus: 503, percentage: {value: 5}}\n"  /* 41 */
    "    mirror: {host: shadow}\n"                              /* 42 */
    "    mirrorPercentage: {value: 25.5}\n"                     /* 43 */
    "    headers:\n"                                            /* 44 */
    "      request: {add: {x-a: b}, remove: [x-debug]}\n"       /* 45 */
    "      response: {set: {x-s: meshgate}}\n"                  /* 46 */
    "  - name: old\n"                                           /* 47 */
    "    redirect: {uri: /new, authority: n.example.com, redirectCode: 308}\n"
    "  tcp:\n"                                        /* 49 */
    "  - match: [{port: 3306}]\n"                     /* 50 */
    "    route:\n"                                    /* 51 */
    "    - {destination: {host: db}, weight: 100}\n"; /* 52 */

START_TEST(virtual_service)
{
	const struct mg_istio_virtual_service *vs;
	const struct mg_http_route *r;
	struct fixture f;

	ck_assert_int_eq(parse(&f, vs_yaml), 0);
	ck_assert_uint_eq(f.d.n, 0);
	ck_assert_uint_eq(f.cfg.n_virtual_services, 1);
	vs = &f.cfg.virtual_services[0];
	ck_assert_int_eq(vs->meta.kind, MG_ISTIO_VIRTUAL_SERVICE);
	ck_str(vs->meta.api_version, "networking.istio.io/v1");
	ck_str(vs->meta.name, "reviews");
	ck_pos(vs->meta.name.pos, 4, 9);
	ck_str(vs->meta.namespace_, "bookinfo");
	ck_assert_uint_eq(vs->spec.hosts.n, 1);
	ck_str(vs->spec.hosts.v[0], "reviews");
	ck_assert_uint_eq(vs->spec.gateways.n, 2);
	ck_str(vs->spec.gateways.v[1], "mesh");
	ck_pos(vs->spec.gateways.v[1].pos, 8, 27);
	ck_assert_uint_eq(vs->spec.n_http, 3);

	r = &vs->spec.http[0];
	ck_str(r->name, "canary");
	ck_assert_uint_eq(r->n_match, 1);
	ck_assert_uint_eq(r->match[0].n_headers, 1);
	ck_str(r->match[0].headers[0].name, "end-user");
	ck_str(r->match[0].headers[0].m.exact, "jason");
	ck_pos(r->match[0].headers[0].m.exact.pos, 14, 18);
	ck_str(r->match[0].uri.prefix, "/api");
	ck_assert_ptr_null(r->match[0].uri.exact.s);
	ck_str(r->match[0].query_params[0].name, "debug");
	ck_str(r->match[0].query_params[0].m.regex, "^1$");
	ck_str(r->match[0].method.exact, "GET");
	ck_str(r->match[0].authority.exact, "a.example.com");
	ck_assert(r->match[0].port.set);
	ck_assert_uint_eq(r->match[0].port.v, 8080);
	ck_assert(r->match[0].ignore_uri_case.set && r->match[0].ignore_uri_case.v);
	ck_assert_uint_eq(r->n_route, 1);
	ck_str(r->route[0].destination.subset, "v2");
	ck_assert(!r->route[0].weight.set);

	r = &vs->spec.http[1];
	ck_assert_uint_eq(r->n_route, 2);
	ck_str(r->route[0].destination.host, "reviews");
	ck_assert_uint_eq(r->route[0].destination.port.number.v, 9080);
	ck_assert_uint_eq(r->route[0].weight.v, 90);
	ck_pos(r->route[0].weight.pos, 29, 15);
	ck_assert_uint_eq(r->route[1].weight.v, 10);
	ck_str(r->route[1].headers.request.set.v[0].key, "x-v");
	ck_str(r->route[1].headers.request.set.v[0].val, "2");
	ck_str(r->rewrite.uri, "/v1");
	ck_str(r->rewrite.authority, "r.internal");
	ck_assert_uint_eq(r->timeout.ms, 1500);
	ck_assert_uint_eq(r->retries.attempts.v, 3);
	ck_assert_uint_eq(r->retries.per_try_timeout.ms, 500);
	ck_str(r->retries.retry_on, "5xx,reset");
	ck_assert_uint_eq(r->fault.delay.fixed_delay.ms, 7000);
	ck_assert_double_eq(r->fault.delay.percentage.value.v, 0.1);
	ck_assert_uint_eq(r->fault.abort.http_status.v, 503);
	ck_assert_double_eq(r->fault.abort.percentage.value.v, 5.0);
	ck_str(r->mirror.host, "shadow");
	ck_assert_double_eq(r->mirror_percentage.value.v, 25.5);
	ck_str(r->headers.request.add.v[0].val, "b");
	ck_str(r->headers.request.remove.v[0], "x-debug");
	ck_str(r->headers.response.set.v[0].val, "meshgate");

	r = &vs->spec.http[2];
	ck_assert(r->redirect.o.set);
	ck_str(r->redirect.uri, "/new");
	ck_str(r->redirect.authority, "n.example.com");
	ck_assert_uint_eq(r->redirect.redirect_code.v, 308);
	ck_assert_uint_eq(r->n_route, 0);

	ck_assert_uint_eq(vs->spec.n_tcp, 1);
	ck_assert_uint_eq(vs->spec.tcp[0].match[0].port.v, 3306);
	ck_str(vs->spec.tcp[0].route[0].destination.host, "db");
	ck_assert_uint_eq(vs->spec.tcp[0].route[0].weight.v, 100);
	done(&f);
}
END_TEST

static const char dr_yaml[] = "apiVersion: networking.istio.io/v1alpha3\n"
                              "kind: DestinationRule\n"
                              "metadata: {name: reviews}\n"
                              "spec:\n"
                              "  host: reviews.prod.svc.cluster.local\n"
                              "  trafficPolicy:\n"
                              "    loadBalancer:\n"
                              "      simple: ROUND_ROBIN\n"
                              "      localityLbSetting:\n"
                              "        enabled: true\n"
                              "        distribute:\n"
                              "        - from: us-west/zone1/*\n"
                              "          to: {us-west/zone1/*: 80, us-west/zone2/*: 20}\n"
                              "    connectionPool:\n"
                              "      tcp: {maxConnections: 100, connectTimeout: 30ms}\n"
                              "      http:\n"
                              "        http1MaxPendingRequests: 1\n"
                              "        http2MaxRequests: 1000\n"
                              "        maxRequestsPerConnection: 10\n"
                              "        maxRetries: 3\n"
                              "        idleTimeout: 1h\n"
                              "    outlierDetection:\n"
                              "      consecutive5xxErrors: 7\n"
                              "      consecutiveGatewayErrors: 3\n"
                              "      interval: 5m\n"
                              "      baseEjectionTime: 15m\n"
                              "      maxEjectionPercent: 100\n"
                              "    tls: {mode: ISTIO_MUTUAL, sni: reviews.internal}\n"
                              "  subsets:\n"
                              "  - name: v1\n"
                              "    labels: {version: v1}\n"
                              "  - name: v2\n"
                              "    labels: {version: v2}\n"
                              "    trafficPolicy:\n"
                              "      loadBalancer:\n"
                              "        consistentHash:\n"
                              "          httpCookie: {name: user, path: /, ttl: 0s}\n"
                              "          maglev: {tableSize: 65537}\n"
                              "        localityLbSetting:\n"
                              "          failover: [{from: us-east, to: eu-west}]\n"
                              "          failoverPriority: [topology.kubernetes.io/region]\n";

START_TEST(destination_rule)
{
	const struct mg_istio_destination_rule *dr;
	const struct mg_traffic_policy *tp;
	const struct mg_consistent_hash *ch;
	struct fixture f;

	ck_assert_int_eq(parse(&f, dr_yaml), 0);
	ck_assert_uint_eq(f.cfg.n_destination_rules, 1);
	dr = &f.cfg.destination_rules[0];
	ck_str(dr->meta.namespace_, "default");
	ck_str(dr->spec.host, "reviews.prod.svc.cluster.local");
	tp = &dr->spec.traffic_policy;
	ck_assert_int_eq(tp->load_balancer.simple.v, MG_LB_ROUND_ROBIN);
	ck_assert(tp->load_balancer.locality_lb_setting.enabled.v);
	ck_assert_uint_eq(tp->load_balancer.locality_lb_setting.n_distribute, 1);
	ck_str(tp->load_balancer.locality_lb_setting.distribute[0].from, "us-west/zone1/*");
	ck_assert_uint_eq(tp->load_balancer.locality_lb_setting.distribute[0].to.n, 2);
	ck_str(tp->load_balancer.locality_lb_setting.distribute[0].to.v[1].key, "us-west/zone2/*");
	ck_assert_uint_eq(tp->load_balancer.locality_lb_setting.distribute[0].to.v[1].val.v, 20);
	ck_assert_uint_eq(tp->connection_pool.tcp.max_connections.v, 100);
	ck_assert_uint_eq(tp->connection_pool.tcp.connect_timeout.ms, 30);
	ck_assert_uint_eq(tp->connection_pool.http.http1_max_pending_requests.v, 1);
	ck_assert_uint_eq(tp->connection_pool.http.http2_max_requests.v, 1000);
	ck_assert_uint_eq(tp->connection_pool.http.max_requests_per_connection.v, 10);
	ck_assert_uint_eq(tp->connection_pool.http.max_retries.v, 3);
	ck_assert_uint_eq(tp->connection_pool.http.idle_timeout.ms, 3600000);
	ck_assert_uint_eq(tp->outlier_detection.consecutive_5xx_errors.v, 7);
	ck_assert_uint_eq(tp->outlier_detection.consecutive_gateway_errors.v, 3);
	ck_assert_uint_eq(tp->outlier_detection.interval.ms, 300000);
	ck_assert_uint_eq(tp->outlier_detection.base_ejection_time.ms, 900000);
	ck_assert_uint_eq(tp->outlier_detection.max_ejection_percent.v, 100);
	ck_assert_int_eq(tp->tls.mode.v, MG_CTLS_ISTIO_MUTUAL);
	ck_str(tp->tls.sni, "reviews.internal");
	ck_assert_uint_eq(dr->spec.n_subsets, 2);
	ck_str(dr->spec.subsets[0].name, "v1");
	ck_str(dr->spec.subsets[0].labels.v[0].key, "version");
	ck_str(dr->spec.subsets[0].labels.v[0].val, "v1");
	ck_assert(!dr->spec.subsets[0].traffic_policy.o.set);
	ch = &dr->spec.subsets[1].traffic_policy.load_balancer.consistent_hash;
	ck_str(ch->http_cookie.name, "user");
	ck_assert(ch->http_cookie.ttl.set);
	ck_assert_uint_eq(ch->http_cookie.ttl.ms, 0);
	ck_assert_uint_eq(ch->maglev.table_size.v, 65537);
	tp = &dr->spec.subsets[1].traffic_policy;
	ck_str(tp->load_balancer.locality_lb_setting.failover[0].to, "eu-west");
	ck_str(tp->load_balancer.locality_lb_setting.failover_priority.v[0],
	       "topology.kubernetes.io/region");
	done(&f);
}
END_TEST

static const char se_yaml[] = "apiVersion: networking.istio.io/v1beta1\n"
                              "kind: ServiceEntry\n"
                              "metadata: {name: external-svc, namespace: egress}\n"
                              "spec:\n"
                              "  hosts: [api.example.com]\n"
                              "  addresses: [198.18.5.0/24]\n"
                              "  ports:\n"
                              "  - {number: 443, name: https, protocol: TLS, targetPort: 8443}\n"
                              "  location: MESH_EXTERNAL\n"
                              "  resolution: STATIC\n"
                              "  endpoints:\n"
                              "  - address: 198.18.5.1\n"
                              "    ports: {https: 9443}\n"
                              "    labels: {version: v1, app: api}\n"
                              "    locality: us-east-1/us-east-1a\n"
                              "    weight: 3\n"
                              "    network: net-a\n"
                              "    serviceAccount: api-sa\n"
                              "  - address: 198.18.5.2\n";

START_TEST(service_entry)
{
	const struct mg_istio_service_entry *se;
	const struct mg_workload *ep;
	struct fixture f;

	ck_assert_int_eq(parse(&f, se_yaml), 0);
	se = &f.cfg.service_entries[0];
	ck_str(se->meta.namespace_, "egress");
	ck_str(se->spec.hosts.v[0], "api.example.com");
	ck_str(se->spec.addresses.v[0], "198.18.5.0/24");
	ck_assert_uint_eq(se->spec.n_ports, 1);
	ck_assert_uint_eq(se->spec.ports[0].number.v, 443);
	ck_str(se->spec.ports[0].protocol, "TLS");
	ck_assert_uint_eq(se->spec.ports[0].target_port.v, 8443);
	ck_assert_int_eq(se->spec.location.v, MG_SE_MESH_EXTERNAL);
	ck_assert_int_eq(se->spec.resolution.v, MG_SE_RESOLVE_STATIC);
	ck_assert_uint_eq(se->spec.n_endpoints, 2);
	ep = &se->spec.endpoints[0];
	ck_str(ep->address, "198.18.5.1");
	ck_str(ep->ports.v[0].key, "https");
	ck_assert_uint_eq(ep->ports.v[0].val.v, 9443);
	ck_assert_uint_eq(ep->labels.n, 2);
	ck_str(ep->labels.v[1].val, "api");
	ck_str(ep->locality, "us-east-1/us-east-1a");
	ck_assert_uint_eq(ep->weight.v, 3);
	ck_str(ep->network, "net-a");
	ck_str(ep->service_account, "api-sa");
	ck_assert(!se->spec.endpoints[1].weight.set);
	ck_pos(se->spec.endpoints[1].o.pos, 19, 5);
	done(&f);
}
END_TEST

static const char we_yaml[] = "apiVersion: networking.istio.io/v1\n"
                              "kind: WorkloadEntry\n"
                              "metadata: {name: vm1, labels: {app: ratings}}\n"
                              "spec:\n"
                              "  address: 198.18.2.20\n"
                              "  ports: {http: 9080}\n"
                              "  labels: {app: ratings}\n"
                              "  locality: r/z/s\n"
                              "  weight: 4\n"
                              "  serviceAccount: ratings\n";

START_TEST(workload_entry)
{
	const struct mg_istio_workload_entry *we;
	struct fixture f;

	ck_assert_int_eq(parse(&f, we_yaml), 0);
	we = &f.cfg.workload_entries[0];
	ck_str(we->meta.labels.v[0].val, "ratings");
	ck_str(we->spec.address, "198.18.2.20");
	ck_assert_uint_eq(we->spec.ports.v[0].val.v, 9080);
	ck_str(we->spec.locality, "r/z/s");
	ck_assert_uint_eq(we->spec.weight.v, 4);
	ck_str(we->spec.service_account, "ratings");
	done(&f);
}
END_TEST

static const char gw_yaml[] = "apiVersion: networking.istio.io/v1beta1\n"
                              "kind: Gateway\n"
                              "metadata: {name: gw}\n"
                              "spec:\n"
                              "  selector: {istio: ingressgateway}\n"
                              "  servers:\n"
                              "  - port: {number: 80, name: http, protocol: HTTP}\n"
                              "    hosts: ['*']\n"
                              "    tls: {httpsRedirect: true}\n"
                              "  - port: {number: 443, name: https, protocol: HTTPS}\n"
                              "    hosts: [prod/www.example.com]\n"
                              "    name: secure\n"
                              "    tls:\n"
                              "      mode: MUTUAL\n"
                              "      serverCertificate: /etc/certs/server.pem\n"
                              "      privateKey: /etc/certs/key.pem\n"
                              "      caCertificates: /etc/certs/ca.pem\n"
                              "      subjectAltNames: [spiffe://cluster.local/ns/a/sa/b]\n";

START_TEST(gateway)
{
	const struct mg_istio_gateway *g;
	struct fixture f;

	ck_assert_int_eq(parse(&f, gw_yaml), 0);
	g = &f.cfg.gateways[0];
	ck_str(g->spec.selector.v[0].key, "istio");
	ck_assert_uint_eq(g->spec.n_servers, 2);
	ck_assert_uint_eq(g->spec.servers[0].port.number.v, 80);
	ck_str(g->spec.servers[0].port.protocol, "HTTP");
	ck_str(g->spec.servers[0].hosts.v[0], "*");
	ck_assert(g->spec.servers[0].tls.https_redirect.v);
	ck_assert(!g->spec.servers[0].tls.mode.set);
	ck_str(g->spec.servers[1].name, "secure");
	ck_str(g->spec.servers[1].hosts.v[0], "prod/www.example.com");
	ck_assert_int_eq(g->spec.servers[1].tls.mode.v, MG_GW_TLS_MUTUAL);
	ck_str(g->spec.servers[1].tls.server_certificate, "/etc/certs/server.pem");
	ck_str(g->spec.servers[1].tls.private_key, "/etc/certs/key.pem");
	ck_str(g->spec.servers[1].tls.ca_certificates, "/etc/certs/ca.pem");
	ck_assert_uint_eq(g->spec.servers[1].tls.subject_alt_names.n, 1);
	done(&f);
}
END_TEST

static const char sec_yaml[] = "apiVersion: security.istio.io/v1beta1\n"
                               "kind: PeerAuthentication\n"
                               "metadata: {name: default, namespace: foo}\n"
                               "spec:\n"
                               "  selector: {matchLabels: {app: finance}}\n"
                               "  mtls: {mode: STRICT}\n"
                               "  portLevelMtls:\n"
                               "    8080: {mode: DISABLE}\n"
                               "---\n"
                               "apiVersion: security.istio.io/v1\n"
                               "kind: AuthorizationPolicy\n"
                               "metadata: {name: httpbin, namespace: foo}\n"
                               "spec:\n"
                               "  action: DENY\n"
                               "  selector: {matchLabels: {app: httpbin}}\n"
                               "  rules:\n"
                               "  - from:\n"
                               "    - source:\n"
                               "        principals: [cluster.local/ns/default/sa/sleep]\n"
                               "        notNamespaces: [prod]\n"
                               "        notIpBlocks: [198.18.0.0/16]\n"
                               "        remoteIpBlocks: [198.19.0.1]\n"
                               "    to:\n"
                               "    - operation:\n"
                               "        methods: [GET, HEAD]\n"
                               "        notPaths: [/admin*]\n"
                               "        hosts: [httpbin.example.com]\n"
                               "        notPorts: ['8443']\n"
                               "    when:\n"
                               "    - key: request.headers[version]\n"
                               "      values: [v1]\n"
                               "---\n"
                               "apiVersion: security.istio.io/v1\n"
                               "kind: AuthorizationPolicy\n"
                               "metadata: {name: ext-authz, namespace: foo}\n"
                               "spec:\n"
                               "  action: CUSTOM\n"
                               "  provider: {name: my-ext-authz}\n"
                               "  rules: [{to: [{operation: {paths: [/headers]}}]}]\n";

START_TEST(security)
{
	const struct mg_istio_peer_authentication *pa;
	const struct mg_istio_authorization_policy *ap;
	const struct mg_authz_rule *r;
	struct fixture f;

	ck_assert_int_eq(parse(&f, sec_yaml), 0);
	ck_assert_uint_eq(f.cfg.n_peer_authentications, 1);
	ck_assert_uint_eq(f.cfg.n_authorization_policies, 2);
	pa = &f.cfg.peer_authentications[0];
	ck_str(pa->spec.selector.match_labels.v[0].val, "finance");
	ck_assert_int_eq(pa->spec.mtls.mode.v, MG_MTLS_STRICT);
	ck_assert_uint_eq(pa->spec.n_port_level_mtls, 1);
	ck_str(pa->spec.port_level_mtls[0].port, "8080");
	ck_assert_int_eq(pa->spec.port_level_mtls[0].mtls.mode.v, MG_MTLS_DISABLE);
	ap = &f.cfg.authorization_policies[0];
	ck_assert_int_eq(ap->spec.action.v, MG_AUTHZ_DENY);
	ck_assert_uint_eq(ap->spec.n_rules, 1);
	r = &ap->spec.rules[0];
	ck_str(r->from[0].source.principals.v[0], "cluster.local/ns/default/sa/sleep");
	ck_str(r->from[0].source.not_namespaces.v[0], "prod");
	ck_str(r->from[0].source.not_ip_blocks.v[0], "198.18.0.0/16");
	ck_str(r->from[0].source.remote_ip_blocks.v[0], "198.19.0.1");
	ck_assert_uint_eq(r->to[0].operation.methods.n, 2);
	ck_str(r->to[0].operation.not_paths.v[0], "/admin*");
	ck_str(r->to[0].operation.hosts.v[0], "httpbin.example.com");
	ck_str(r->to[0].operation.not_ports.v[0], "8443");
	ck_str(r->when[0].key, "request.headers[version]");
	ck_str(r->when[0].values.v[0], "v1");
	ap = &f.cfg.authorization_policies[1];
	ck_assert_int_eq(ap->spec.action.v, MG_AUTHZ_CUSTOM);
	ck_str(ap->spec.provider.name, "my-ext-authz");
	ck_assert_int_eq(mg_istio_validate(&f.cfg, &f.d), 0);
	done(&f);
}
END_TEST

/* Documents: "---" separated, empty ones and comment-only ones skipped. */
START_TEST(multi_document)
{
	static const char text[] = "# leading comment\n"
	                           "---\n"
	                           "---\n"
	                           "# only a comment\n"
	                           "---\n"
	                           "apiVersion: networking.istio.io/v1\n"
	                           "kind: WorkloadEntry\n"
	                           "metadata: {name: a}\n"
	                           "spec: {address: 198.18.0.1}\n"
	                           "---\n"
	                           "apiVersion: networking.istio.io/v1\n"
	                           "kind: WorkloadEntry\n"
	                           "metadata: {name: b}\n"
	                           "spec: {address: 198.18.0.2}\n"
	                           "...\n"
	                           "---\n";
	struct fixture f;

	ck_assert_int_eq(parse(&f, text), 0);
	ck_assert_uint_eq(f.d.n, 0);
	ck_assert_uint_eq(f.cfg.n_workload_entries, 2);
	ck_str(f.cfg.workload_entries[1].meta.name, "b");
	ck_pos(f.cfg.workload_entries[1].meta.pos, 11, 1);
	ck_pos(f.cfg.workload_entries[1].spec.address.pos, 14, 17);
	done(&f);
}
END_TEST

/* Kubernetes objects that are not Istio's are skipped with a warning. */
START_TEST(foreign_kinds)
{
	static const char text[] = "apiVersion: apps/v1\n"
	                           "kind: Deployment\n"
	                           "metadata: {name: web}\n"
	                           "spec: {replicas: 2}\n";
	struct fixture f;

	ck_assert_int_eq(parse(&f, text), 0);
	ck_assert_uint_eq(f.d.n_warnings, 1);
	ck_assert_uint_eq(f.d.v[0].line, 2);
	ck_assert_ptr_nonnull(strstr(f.d.v[0].msg, "not an Istio resource"));
	done(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Decoding errors, each with its exact position                       */

#define ENV(kind) "apiVersion: networking.istio.io/v1\nkind: " kind "\nmetadata: {name: x}\n"

static const struct err_case {
	const char *what;
	const char *yaml;
	enum mg_diag_severity sev;
	unsigned line, col;
	const char *msg; /* a part of the message */
} err_cases[] = {
    {"unknown field", ENV("VirtualService") "spec:\n  hostz: [a]\n", MG_DIAG_ERROR, 5, 3,
     "unknown field \"hostz\" in spec (VirtualService)"},
    {"unsupported field", ENV("VirtualService") "spec:\n  http:\n  - corsPolicy: {}\n",
     MG_DIAG_ERROR, 6, 5, "field spec.http[0].corsPolicy is not supported by meshgate yet"},
    {"tls routes", ENV("VirtualService") "spec:\n  tls: []\n", MG_DIAG_ERROR, 5, 3,
     "field spec.tls is not supported by meshgate yet"},
    {"sourceLabels warned",
     ENV("VirtualService") "spec:\n  http:\n  - match:\n    - sourceLabels: {app: a}\n",
     MG_DIAG_WARNING, 7, 7,
     "spec.http[0].match[0].sourceLabels is not supported by meshgate "
     "yet; ignored"},
    {"duplicate field", ENV("DestinationRule") "spec:\n  host: a\n  host: b\n", MG_DIAG_ERROR, 6, 3,
     "duplicate field \"host\""},
    {"missing required", ENV("DestinationRule") "spec:\n  subsets: []\n", MG_DIAG_ERROR, 5, 3,
     "missing required field \"host\" in spec (DestinationRule)"},
    {"bad duration", ENV("VirtualService") "spec:\n  http:\n  - timeout: 10\n", MG_DIAG_ERROR, 6,
     14, "spec.http[0].timeout: bad duration \"10\": missing unit"},
    {"sub-ms duration", ENV("VirtualService") "spec:\n  http:\n  - timeout: 10us\n", MG_DIAG_ERROR,
     6, 14, "sub-millisecond units are not supported"},
    {"quoted number",
     ENV("ServiceEntry") "spec:\n  hosts: [a]\n  ports: [{number: \"80\", name: a}]\n",
     MG_DIAG_ERROR, 6, 20, "expected a whole number, got the quoted string \"80\""},
    {"negative number",
     ENV("VirtualService") "spec:\n  http:\n  - route: [{destination: {host: a}, weight: -1}]\n",
     MG_DIAG_ERROR, 6, 46, "expected a whole number, got \"-1\""},
    {"unknown enum",
     ENV("DestinationRule") "spec:\n  host: a\n  trafficPolicy:\n"
                            "    loadBalancer: {simple: FASTEST}\n",
     MG_DIAG_ERROR, 7, 28, "unknown value \"FASTEST\" (expected one of: UNSPECIFIED, RANDOM"},
    {"unsupported enum", ENV("ServiceEntry") "spec:\n  hosts: [a]\n  resolution: DNS_ROUND_ROBIN\n",
     MG_DIAG_ERROR, 6, 15, "value DNS_ROUND_ROBIN is not supported by meshgate yet"},
    {"deprecated enum",
     ENV("DestinationRule") "spec:\n  host: a\n  trafficPolicy:\n"
                            "    loadBalancer: {simple: LEAST_CONN}\n",
     MG_DIAG_WARNING, 7, 28, "value LEAST_CONN is deprecated"},
    {"wrong type", ENV("VirtualService") "spec:\n  hosts: a.example.com\n", MG_DIAG_ERROR, 5, 10,
     "spec.hosts: expected a sequence of strings, got a scalar"},
    {"bad bool", ENV("VirtualService") "spec:\n  http:\n  - match: [{ignoreUriCase: yes}]\n",
     MG_DIAG_ERROR, 6, 29, "expected true or false, got \"yes\""},
    {"bad double", ENV("VirtualService") "spec:\n  http:\n  - mirrorPercentage: {value: abc}\n",
     MG_DIAG_ERROR, 6, 31, "expected a number, got \"abc\""},
    {"unsupported kind",
     "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: "
     "x}\nspec: {}\n",
     MG_DIAG_ERROR, 2, 7, "kind Sidecar (networking.istio.io) is not supported by meshgate yet"},
    {"wrong version",
     "apiVersion: security.istio.io/v1alpha3\nkind: PeerAuthentication\n"
     "metadata: {name: x}\n",
     MG_DIAG_ERROR, 1, 13, "PeerAuthentication is served as security.istio.io/v1beta1 or v1"},
    {"wrong group", "apiVersion: security.istio.io/v1\nkind: Gateway\nmetadata: {name: x}\n",
     MG_DIAG_ERROR, 1, 13, "kind Gateway belongs to group networking.istio.io"},
    {"missing spec", ENV("Gateway"), MG_DIAG_ERROR, 1, 1, "missing required field \"spec\""},
    {"missing metadata", "apiVersion: networking.istio.io/v1\nkind: Gateway\nspec: {}\n",
     MG_DIAG_ERROR, 1, 1, "missing required field \"metadata\""},
    {"missing name",
     "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
     "metadata: {namespace: a}\nspec: {address: 198.18.0.1}\n",
     MG_DIAG_ERROR, 3, 11, "missing required field \"name\" in metadata"},
    {"top-level typo", ENV("WorkloadEntry") "spec: {address: a}\nsepc: {}\n", MG_DIAG_ERROR, 5, 1,
     "unknown field \"sepc\" at the top of a resource"},
    {"status warned", ENV("WorkloadEntry") "spec: {address: a}\nstatus: {}\n", MG_DIAG_WARNING, 5,
     1, "status is written by the API server"},
    {"not a mapping", "- a\n- b\n", MG_DIAG_ERROR, 1, 1, "expected a Kubernetes resource"},
    {"syntax error", ENV("VirtualService") "spec:\n  hosts: [a\n", MG_DIAG_ERROR, 6, 1,
     "YAML syntax"},
    {"duplicate map key", ENV("WorkloadEntry") "spec:\n  labels: {a: b, a: c}\n", MG_DIAG_ERROR, 5,
     18, "spec.labels: duplicate key \"a\""},
    {"uint too large", ENV("WorkloadEntry") "spec:\n  weight: 4294967296\n", MG_DIAG_ERROR, 5, 11,
     "too large"},
    {"sequence items", ENV("VirtualService") "spec:\n  hosts: [a, {b: c}]\n", MG_DIAG_ERROR, 5, 14,
     "spec.hosts[1]: expected a string, got a mapping"},
    {"alias", ENV("WorkloadEntry") "spec:\n  labels: &l {a: b}\n  address: *l\n", MG_DIAG_ERROR, 6,
     3, "YAML aliases (*name) are not supported"},
    {"metadata server field",
     "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
     "metadata: {name: x, uid: 1234}\nspec: {address: a}\n",
     MG_DIAG_WARNING, 3, 21, "metadata.uid is not supported by meshgate yet; ignored"},
};

START_TEST(decode_errors)
{
	const struct err_case *tc = &err_cases[_i];
	const struct mg_diag_entry *e;
	struct fixture f;
	size_t i;
	int rc;

	rc = parse(&f, tc->yaml);
	for (i = 0; i < f.d.n; i++) {
		e = &f.d.v[i];
		if (e->sev == tc->sev && e->line == tc->line && e->col == tc->col &&
		    strstr(e->msg, tc->msg) != NULL)
			break;
	}
	if (i == f.d.n) {
		fprintf(stderr, "case \"%s\": wanted %s:%u:%u: %s: ...%s...; got:\n", tc->what,
		        NAME, tc->line, tc->col, mg_diag_severity_name(tc->sev), tc->msg);
		dump(&f);
	}
	ck_assert_uint_lt(i, f.d.n);
	ck_assert_str_eq(f.d.v[i].file, NAME);
	/* only this problem: one diagnostic, and the return value matches its severity */
	ck_assert_uint_eq(f.d.n, 1);
	ck_assert_int_eq(rc, tc->sev == MG_DIAG_ERROR ? -EINVAL : 0);
	done(&f);
}
END_TEST

/* Durations as Istio writes them. */
START_TEST(durations)
{
	static const struct {
		const char *s;
		long long ms; /* -1: invalid */
	} cases[] = {
	    {"1.5s", 1500}, {"500ms", 500}, {"1m30s", 90000},       {"2h", 7200000}, {"0.001s", 1},
	    {"0s", 0},      {".5s", 500},   {"1.5ms", -1},          {"10", -1},      {"s", -1},
	    {"1d", -1},     {"", -1},       {"1h1m1s1ms", 3661001},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 0;
		const char *why = mg_yaml_parse_duration(cases[i].s, strlen(cases[i].s), &ms);

		if (cases[i].ms < 0) {
			ck_assert_msg(why != NULL, "%s should be invalid", cases[i].s);
		} else {
			ck_assert_msg(why == NULL, "%s: %s", cases[i].s, why);
			ck_assert_uint_eq(ms, (uint64_t)cases[i].ms);
		}
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* docs/CONTROLLER.md names every key the decoder knows                */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* key appears as a code span or a part of one: `key`, `a.key`, `key.b`, `a[].key/...` */
static bool documented(const char *doc, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = strstr(doc, key); p != NULL; p = strstr(p + 1, key))
		if (p > doc && strchr("`./", p[-1]) != NULL && strchr("`./[", p[n]) != NULL)
			return true;
	return false;
}

static unsigned check_schema(const char *doc, const struct mg_yaml_schema *s, int depth)
{
	unsigned missing = 0;
	size_t i;

	ck_assert_int_lt(depth, 12);
	for (i = 0; i < s->nf; i++) {
		const struct mg_yaml_field *f = &s->fields[i];

		if (!documented(doc, f->key)) {
			fprintf(stderr, "docs/CONTROLLER.md does not mention %s.%s\n", s->name,
			        f->key);
			missing++;
		}
		if (f->fn == mg_yaml_obj || f->fn == mg_yaml_objlist)
			missing += check_schema(doc, f->aux, depth + 1);
		else if (f->fn == mg_yaml_objmap)
			missing += check_schema(doc, ((const struct mg_yaml_mapdesc *)f->aux)->val,
			                        depth + 1);
	}
	return missing;
}

START_TEST(docs_cover_schema)
{
	const struct mg_yaml_schema *const all[] = {
	    &mg_istio_schema_metadata,
	    &mg_istio_schema_gateway,
	    &mg_istio_schema_virtual_service,
	    &mg_istio_schema_destination_rule,
	    &mg_istio_schema_service_entry,
	    &mg_istio_schema_workload_entry,
	    &mg_istio_schema_peer_authentication,
	    &mg_istio_schema_authorization_policy,
	};
	const char *path = getenv("MG_CONTROLLER_MD");
	unsigned missing = 0;
	char *doc;
	size_t i;

	ck_assert_msg(path != NULL, "MG_CONTROLLER_MD not set (run through meson test)");
	doc = read_text(path);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		missing += check_schema(doc, all[i], 0);
	free(doc);
	ck_assert_uint_eq(missing, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctrl_load");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, virtual_service);
	tcase_add_test(tc, destination_rule);
	tcase_add_test(tc, service_entry);
	tcase_add_test(tc, workload_entry);
	tcase_add_test(tc, gateway);
	tcase_add_test(tc, security);
	tcase_add_test(tc, multi_document);
	tcase_add_test(tc, foreign_kinds);
	tcase_add_loop_test(tc, decode_errors, 0, (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(tc, durations);
	tcase_add_test(tc, docs_cover_schema);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
