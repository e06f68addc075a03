/*
 * test_istio_validate.c — mg_istio_validate() and mg_istio_load_dir(): one
 * table row per validation problem, each with its exact FILE:LINE:COL and
 * the number of diagnostics it must cause (so a check that fires twice, or
 * a good value that is reported, fails too); then whole directories: the
 * good and bad testdata (MG_CTRL_TESTDATA), unreadable, empty and mixed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "ctrl/diag.h"
#include "ctrl/istio_load.h"
#include "ctrl/istio_validate.h"

#define NAME "t.yaml"

/* What every case can refer to: Gateway gw, host svc.example.com with subsets v1, v2. */
static const char base_yaml[] =
    "apiVersion: networking.istio.io/v1\n"
    "kind: Gateway\n"
    "metadata: {name: gw}\n"
    "spec:\n"
    "  servers:\n"
    "  - port: {number: 80, name: http, protocol: HTTP}\n"
    "    hosts: ['*']\n"
    "---\n"
    "apiVersion: networking.istio.io/v1\n"
    "kind: ServiceEntry\n"
    "metadata: {name: svc}\n"
    "spec:\n"
    "  hosts: [svc.example.com]\n"
    "  ports: [{number: 80, name: http, protocol: HTTP}]\n"
    "  resolution: STATIC\n"
    "  endpoints:\n"
    "  - {address: 198.18.1.1, labels: {version: v1}}\n"
    "  - {address: 198.18.1.2, labels: {version: v2}}\n"
    "---\n"
    "apiVersion: networking.istio.io/v1\n"
    "kind: DestinationRule\n"
    "metadata: {name: svc}\n"
    "spec:\n"
    "  host: svc.example.com\n"
    "  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n";

/* Lines 1..6 of a VirtualService case; its http routes start on line 7. */
#define VS                                     \
	"apiVersion: networking.istio.io/v1\n" \
	"kind: VirtualService\n"               \
	"metadata: {name: vs}\n"               \
	"spec:\n"                              \
	"  hosts: [svc.example.com]\n"         \
	"  gateways: [gw]\n"
#define D1 "{host: svc.example.com, subset: v1}"
#define D2 "{host: svc.example.com, subset: v2}"
/* Lines 1..4 of other kinds; the spec's fields start on line 5. */
#define NET(kind) "apiVersion: networking.istio.io/v1\nkind: " kind "\nmetadata: {name: x}\nspec:\n"
#define SEC(kind) "apiVersion: security.istio.io/v1\nkind: " kind "\nmetadata: {name: x}\nspec:\n"
#define DR        NET("DestinationRule") "  host: a.example.com\n"
#define DR_TP     DR "  trafficPolicy:\n"
#define SE        NET("ServiceEntry") "  hosts: [other.example.com]\n"
#define SE_PORT   SE "  ports: [{number: 80, name: http}]\n"

static const struct vcase {
	const char *what;
	const char *yaml;
	enum mg_diag_severity sev;
	unsigned line, col;
	const char *msg;
	unsigned n_diag; /* diagnostics in all */
} cases[] = {
    /* VirtualService */
    {"weights sum",
     VS "  http:\n  - route:\n    - destination: " D1 "\n      weight: 80\n"
        "    - destination: " D2 "\n      weight: 10\n",
     MG_DIAG_ERROR, 9, 7, "spec.http[0].route: weights sum to 90, must be 100", 1},
    {"weight range", VS "  http:\n  - route:\n    - destination: " D1 "\n      weight: 150\n",
     MG_DIAG_ERROR, 10, 15, "spec.http[0].route[0].weight: 150 is out of range 0..100", 1},
    {"subset not defined",
     VS "  http:\n  - route:\n    - destination: {host: svc.example.com, "
        "subset: v3}\n",
     MG_DIAG_ERROR, 9, 52, "subset v3 is not defined in DestinationRule default/svc", 1},
    {"no rule for host",
     VS "  http:\n  - route:\n    - destination: {host: other.example.com, "
        "subset: v1}\n---\n" SE_PORT,
     MG_DIAG_ERROR, 9, 54, "subset v1 of host other.example.com: no DestinationRule", 1},
    {"no endpoints for host", VS "  http:\n  - route:\n    - destination: {host: nowhere}\n",
     MG_DIAG_WARNING, 9, 27, "no ServiceEntry defines host nowhere", 1},
    {"gateway missing",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
     "metadata: {name: vs}\nspec:\n  hosts: [svc.example.com]\n"
     "  gateways: [gw, prod/gw2]\n  http:\n  - route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 6, 18, "spec.gateways[1]: Gateway prod/gw2 not found", 1},
    {"bound to mesh only",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
     "metadata: {name: vs}\nspec:\n  hosts: [svc.example.com]\n"
     "  gateways: [mesh]\n  http:\n  - route: [{destination: " D1 "}]\n",
     MG_DIAG_WARNING, 6, 13, "bound to no Gateway", 1},
    {"bad host",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
     "metadata: {name: vs}\nspec:\n  hosts: [bad_host!]\n"
     "  gateways: [gw]\n  http:\n  - route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 5, 11, "spec.hosts[0]: \"bad_host!\" is not a valid host name", 1},
    {"bad regex",
     VS "  http:\n  - match: [{uri: {regex: 'a(b'}}]\n"
        "    route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 8, 27, "spec.http[0].match[0].uri.regex: regex \"a(b\" does not compile", 1},
    {"two matchers",
     VS "  http:\n  - match: [{uri: {exact: /a, prefix: /b}}]\n"
        "    route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 8, 19, "spec.http[0].match[0].uri: set only one of exact, prefix and regex", 1},
    {"empty matcher", VS "  http:\n  - match: [{uri: {}}]\n    route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 8, 19, "set one of exact, prefix or regex", 1},
    {"query prefix",
     VS "  http:\n  - match: [{queryParams: {a: {prefix: x}}}]\n"
        "    route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 8, 40, "queryParams.a.prefix: only exact and regex are supported here", 1},
    {"header uppercase",
     VS "  http:\n  - match: [{headers: {X-User: {exact: a}}}]\n"
        "    route: [{destination: " D1 "}]\n",
     MG_DIAG_ERROR, 8, 24, "header name \"X-User\" must be lowercase", 1},
    {"zero timeout", VS "  http:\n  - route: [{destination: " D1 "}]\n    timeout: 0s\n",
     MG_DIAG_ERROR, 9, 14, "spec.http[0].timeout: duration must be at least 1ms", 1},
    {"retryOn",
     VS "  http:\n  - route: [{destination: " D1 "}]\n"
        "    retries: {attempts: 2, retryOn: '5xx,sometimes'}\n",
     MG_DIAG_ERROR, 9, 37, "unknown retry condition \"sometimes\"", 1},
    {"abort status",
     VS "  http:\n  - route: [{destination: " D1 "}]\n"
        "    fault: {abort: {httpStatus: 700}}\n",
     MG_DIAG_ERROR, 9, 33, "abort.httpStatus: 700 is out of range 200..599", 1},
    {"fault percentage",
     VS "  http:\n  - route: [{destination: " D1 "}]\n"
        "    fault: {delay: {fixedDelay: 1s, percentage: {value: 150}}}\n",
     MG_DIAG_ERROR, 9, 57, "fault.delay.percentage.value: 150 is out of range 0..100", 1},
    {"mirror percentage alone",
     VS "  http:\n  - route: [{destination: " D1 "}]\n"
        "    mirrorPercentage: {value: 5}\n",
     MG_DIAG_ERROR, 9, 23, "mirrorPercentage needs mirror", 1},
    {"route and redirect",
     VS "  http:\n  - route: [{destination: " D1 "}]\n"
        "    redirect: {uri: /x}\n",
     MG_DIAG_ERROR, 9, 15, "spec.http[0]: set route or redirect, not both", 1},
    {"redirect code", VS "  http:\n  - redirect: {uri: /x, redirectCode: 305}\n", MG_DIAG_ERROR, 8,
     39, "redirectCode: 305 is not one of", 1},
    {"rewrite with redirect", VS "  http:\n  - redirect: {uri: /x}\n    rewrite: {uri: /y}\n",
     MG_DIAG_ERROR, 9, 14, "rewrite cannot be used with redirect", 1},
    {"no route", VS "  http:\n  - name: nothing\n", MG_DIAG_ERROR, 8, 5,
     "spec.http[0]: needs route or redirect", 1},
    {"destination port",
     VS "  http:\n  - route: [{destination: {host: svc.example.com, port: "
        "{number: 70000}}}]\n",
     MG_DIAG_ERROR, 8, 66, "destination.port.number: port 70000 is out of range 1..65535", 1},
    {"no routes at all", VS, MG_DIAG_ERROR, 1, 1, "a VirtualService needs http or tcp routes", 1},
    {"tcp without route", VS "  tcp:\n  - match: [{port: 0}]\n", MG_DIAG_ERROR, 8, 20,
     "spec.tcp[0].match[0].port: port 0 is out of range", 2},
    {"tcp weights",
     VS "  tcp:\n  - route:\n    - {destination: {host: svc.example.com}, "
        "weight: 50}\n    - {destination: {host: svc.example.com}, weight: 60}\n",
     MG_DIAG_ERROR, 9, 7, "spec.tcp[0].route: weights sum to 110", 1},

    /* DestinationRule */
    {"simple and hash",
     DR_TP "    loadBalancer:\n      simple: RANDOM\n"
           "      consistentHash: {useSourceIp: true}\n",
     MG_DIAG_ERROR, 9, 23, "set simple or consistentHash, not both", 1},
    {"two hash keys",
     DR_TP "    loadBalancer:\n"
           "      consistentHash: {useSourceIp: true, httpHeaderName: x-u}\n",
     MG_DIAG_ERROR, 8, 23, "set exactly one of httpHeaderName", 1},
    {"maglev size",
     DR_TP "    loadBalancer:\n      consistentHash:\n        useSourceIp: true\n"
           "        maglev: {tableSize: 1000}\n",
     MG_DIAG_ERROR, 10, 29, "maglev.tableSize: 1000 is not a prime", 1},
    {"ring and maglev",
     DR_TP "    loadBalancer:\n      consistentHash:\n        useSourceIp: "
           "true\n        ringHash: {minimumRingSize: 1024}\n"
           "        maglev: {tableSize: 65537}\n",
     MG_DIAG_ERROR, 11, 17, "set ringHash or maglev, not both", 1},
    {"max ejection", DR_TP "    outlierDetection: {maxEjectionPercent: 150}\n", MG_DIAG_ERROR, 7,
     44, "outlierDetection.maxEjectionPercent: 150 is out of range 0..100", 1},
    {"outlier interval", DR_TP "    outlierDetection: {interval: 0ms}\n", MG_DIAG_ERROR, 7, 34,
     "outlierDetection.interval: duration must be at least 1ms", 1},
    {"zero connections", DR_TP "    connectionPool: {tcp: {maxConnections: 0}}\n", MG_DIAG_ERROR, 7,
     44, "connectionPool.tcp.maxConnections: must be at least 1", 1},
    {"duplicate subset",
     NET("DestinationRule") "  host: a.example.com\n"
                            "  subsets: [{name: v1}, {name: v1}]\n",
     MG_DIAG_ERROR, 6, 32, "spec.subsets[1].name: duplicate subset v1", 1},
    {"subset name", NET("DestinationRule") "  host: a.example.com\n  subsets: [{name: V1}]\n",
     MG_DIAG_ERROR, 6, 20, "\"V1\" is not a valid subset name", 1},
    {"distribute sum",
     DR_TP "    loadBalancer:\n      localityLbSetting:\n        distribute:\n"
           "        - from: a/*\n          to: {a/*: 60, b/*: 30}\n",
     MG_DIAG_ERROR, 11, 15, "distribute[0].to: weights sum to 90, must be 100", 1},
    {"failover without outlier",
     DR_TP "    loadBalancer:\n      localityLbSetting:\n        failover: [{from: a, to: b}]\n",
     MG_DIAG_WARNING, 9, 9, "locality failover only takes effect with outlierDetection", 1},
    {"second rule for host", NET("DestinationRule") "  host: svc.example.com\n", MG_DIAG_ERROR, 5,
     9, "host svc.example.com already has DestinationRule default/svc", 1},
    {"client mutual tls", DR_TP "    tls: {mode: MUTUAL}\n", MG_DIAG_ERROR, 7, 17,
     "mode MUTUAL needs credentialName, or clientCertificate and privateKey", 1},

    /* Gateway */
    {"https without tls",
     NET("Gateway") "  servers:\n  - port: {number: 443, name: https, "
                    "protocol: HTTPS}\n    hosts: [a.example.com]\n",
     MG_DIAG_ERROR, 6, 5, "spec.servers[0]: a HTTPS server needs tls settings", 1},
    {"port zero",
     NET("Gateway") "  servers:\n  - port: {number: 0, name: h, protocol: HTTP}\n"
                    "    hosts: ['*']\n",
     MG_DIAG_ERROR, 6, 20, "spec.servers[0].port.number: port 0 is out of range", 1},
    {"unknown protocol",
     NET("Gateway") "  servers:\n  - port: {number: 80, name: h, protocol: "
                    "QUIC}\n    hosts: ['*']\n",
     MG_DIAG_ERROR, 6, 43, "unknown protocol \"QUIC\"", 1},
    {"mongo protocol",
     NET("Gateway") "  servers:\n  - port: {number: 80, name: h, protocol: "
                    "MONGO}\n    hosts: ['*']\n",
     MG_DIAG_ERROR, 6, 43, "protocol MONGO is not supported by meshgate yet", 1},
    {"simple without cert",
     NET("Gateway") "  servers:\n  - port: {number: 443, name: h, "
                    "protocol: HTTPS}\n    hosts: ['*']\n"
                    "    tls: {mode: SIMPLE}\n",
     MG_DIAG_ERROR, 8, 17, "mode SIMPLE needs credentialName", 1},
    {"server host namespace",
     NET("Gateway") "  servers:\n  - port: {number: 80, name: h, "
                    "protocol: HTTP}\n    hosts: [Prod/a.example.com]\n",
     MG_DIAG_ERROR, 7, 13, "\"Prod\" is not a valid namespace", 1},
    {"tls on http",
     NET("Gateway") "  servers:\n  - port: {number: 80, name: h, protocol: "
                    "HTTP}\n    hosts: ['*']\n    tls: {mode: SIMPLE, "
                    "credentialName: c}\n",
     MG_DIAG_ERROR, 8, 10, "a HTTP server cannot have tls settings", 1},
    {"port protocol clash",
     NET("Gateway") "  servers:\n  - port: {number: 80, name: a, "
                    "protocol: HTTP}\n    hosts: ['*']\n"
                    "  - port: {number: 80, name: b, protocol: TCP}\n"
                    "    hosts: ['*']\n",
     MG_DIAG_ERROR, 8, 43, "port 80 is TCP here but HTTP in spec.servers[0]", 1},

    /* ServiceEntry, WorkloadEntry */
    {"static hostname", SE_PORT "  resolution: STATIC\n  endpoints: [{address: db.example.com}]\n",
     MG_DIAG_ERROR, 8, 25, "resolution STATIC needs an IP address", 1},
    {"endpoint port name",
     SE_PORT "  resolution: STATIC\n  endpoints:\n"
             "  - {address: 198.18.0.1, ports: {grpc: 90}}\n",
     MG_DIAG_ERROR, 9, 35, "the ServiceEntry has no port named grpc", 1},
    {"no ports", SE "  resolution: NONE\n", MG_DIAG_ERROR, 1, 1,
     "a ServiceEntry needs at least one port", 1},
    {"bad locality",
     SE_PORT "  resolution: STATIC\n  endpoints: [{address: 198.18.0.1, "
             "locality: a//b}]\n",
     MG_DIAG_ERROR, 8, 47, "\"a//b\" is not a locality", 1},
    {"bad cidr", SE_PORT "  addresses: [198.18.0.0/33]\n", MG_DIAG_ERROR, 7, 15,
     "\"198.18.0.0/33\" is not an IP address or CIDR block", 1},
    {"duplicate port name", SE "  ports: [{number: 80, name: http}, {number: 81, name: http}]\n",
     MG_DIAG_ERROR, 6, 56, "duplicate port name http", 1},
    {"static without endpoints", SE_PORT "  resolution: STATIC\n", MG_DIAG_ERROR, 7, 15,
     "STATIC needs endpoints or a workloadSelector", 1},
    {"workload without address", NET("WorkloadEntry") "  labels: {app: a}\n", MG_DIAG_ERROR, 1, 1,
     "spec: needs an address", 1},
    {"bad label key", NET("WorkloadEntry") "  address: 198.18.0.1\n  labels: {-bad: a}\n",
     MG_DIAG_ERROR, 6, 12, "\"-bad\" is not a valid label key", 1},
    {"bad label value", NET("WorkloadEntry") "  address: 198.18.0.1\n  labels: {app: 'a b'}\n",
     MG_DIAG_ERROR, 6, 17, "\"a b\" is not a valid label value", 1},

    /* PeerAuthentication, AuthorizationPolicy */
    {"port mtls without selector",
     SEC("PeerAuthentication") "  portLevelMtls:\n"
                               "    8080: {mode: DISABLE}\n",
     MG_DIAG_ERROR, 6, 5, "spec.portLevelMtls: needs a selector", 1},
    {"port mtls key",
     SEC("PeerAuthentication") "  selector: {matchLabels: {app: a}}\n"
                               "  portLevelMtls:\n    http: {mode: DISABLE}\n",
     MG_DIAG_ERROR, 7, 5, "\"http\" is not a port number", 1},
    {"custom without provider", SEC("AuthorizationPolicy") "  action: CUSTOM\n", MG_DIAG_ERROR, 5,
     11, "CUSTOM needs a provider", 1},
    {"provider without custom", SEC("AuthorizationPolicy") "  provider: {name: p}\n", MG_DIAG_ERROR,
     5, 13, "only allowed with action CUSTOM", 1},
    {"empty source", SEC("AuthorizationPolicy") "  rules: [{from: [{source: {}}]}]\n",
     MG_DIAG_ERROR, 5, 28, "a source must set at least one field", 1},
    {"bad ip block",
     SEC("AuthorizationPolicy") "  rules: [{from: [{source: {ipBlocks: "
                                "[300.1.1.1]}}]}]\n",
     MG_DIAG_ERROR, 5, 40, "\"300.1.1.1\" is not an IP address", 1},
    {"bad port", SEC("AuthorizationPolicy") "  rules: [{to: [{operation: {ports: [abc]}}]}]\n",
     MG_DIAG_ERROR, 5, 38, "\"abc\" is not a port number", 1},
    {"jwt condition",
     SEC("AuthorizationPolicy") "  rules: [{when: [{key: 'request.auth.claims[iss]', "
                                "values: [a]}]}]\n",
     MG_DIAG_ERROR, 5, 25, "needs RequestAuthentication (JWT)", 1},
    {"unknown condition",
     SEC("AuthorizationPolicy") "  rules: [{when: [{key: source.colour, "
                                "values: [a]}]}]\n",
     MG_DIAG_ERROR, 5, 25, "unknown condition key \"source.colour\"", 1},
    {"condition without values",
     SEC("AuthorizationPolicy") "  rules: [{when: [{key: "
                                "source.ip}]}]\n",
     MG_DIAG_ERROR, 5, 19, "set values or notValues", 1},

    /* names */
    {"duplicate name",
     NET("WorkloadEntry") "  address: 198.18.0.1\n---\n" NET(
         "WorkloadEntry") "  address: 198.18.0.2\n",
     MG_DIAG_ERROR, 9, 18, "duplicate WorkloadEntry default/x (first defined at t.yaml:3:18)", 1},
    {"bad name",
     "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
     "metadata: {name: Bad_Name}\nspec: {address: 198.18.0.1}\n",
     MG_DIAG_ERROR, 3, 18, "metadata.name: \"Bad_Name\" is not a valid name", 1},
    {"bad namespace",
     "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
     "metadata: {name: a, namespace: Prod}\nspec: {address: 198.18.0.1}\n",
     MG_DIAG_ERROR, 3, 32, "metadata.namespace: \"Prod\" is not a valid namespace", 1},
};

START_TEST(validation)
{
	const struct vcase *tc = &cases[_i];
	struct mg_istio_config cfg;
	struct mg_diag d;
	size_t i;
	int rc;

	ck_assert_int_eq(mg_istio_config_init(&cfg), 0);
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_parse(&cfg, "base.yaml", base_yaml, strlen(base_yaml), &d), 0);
	ck_assert_int_eq(mg_istio_parse(&cfg, NAME, tc->yaml, strlen(tc->yaml), &d), 0);
	rc = mg_istio_validate(&cfg, &d);
	mg_diag_sort(&d);
	for (i = 0; i < d.n; i++)
		if (d.v[i].sev == tc->sev && d.v[i].line == tc->line && d.v[i].col == tc->col &&
		    strcmp(d.v[i].file, NAME) == 0 && strstr(d.v[i].msg, tc->msg) != NULL)
			break;
	if (i == d.n || (tc->n_diag && d.n != tc->n_diag)) {
		fprintf(stderr, "case \"%s\": wanted %s:%u:%u: %s: ...%s... (%u in all); got:\n",
		        tc->what, NAME, tc->line, tc->col, mg_diag_severity_name(tc->sev), tc->msg,
		        tc->n_diag);
		mg_diag_print(&d, stderr);
	}
	ck_assert_uint_lt(i, d.n);
	if (tc->n_diag)
		ck_assert_uint_eq(d.n, tc->n_diag);
	ck_assert_int_eq(rc, d.n_errors > 0 ? -EINVAL : 0);
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
}
END_TEST

/* The base config alone is valid and quiet: the cases above test one thing each. */
START_TEST(base_is_valid)
{
	struct mg_istio_config cfg;
	struct mg_diag d;

	ck_assert_int_eq(mg_istio_config_init(&cfg), 0);
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_parse(&cfg, "base.yaml", base_yaml, strlen(base_yaml), &d), 0);
	ck_assert_int_eq(mg_istio_validate(&cfg, &d), 0);
	mg_diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
}
END_TEST

/*
 * Every destination's weight counts, however many there are: 70 routes where
 * the first 64 sum to 100 and the 65th adds 5 (the check once looked only at
 * the first 64).
 */
START_TEST(many_weights)
{
	struct mg_istio_config cfg;
	struct mg_diag d;
	char *yaml = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&yaml, &len);

	ck_assert_ptr_nonnull(f);
	fputs(VS "  http:\n  - route:\n", f);
	for (i = 0; i < 70; i++)
		fprintf(f, "    - destination: " D1 "\n      weight: %u\n",
		        i == 0    ? 100u
		        : i == 64 ? 5u
		                  : 0u);
	fclose(f);
	ck_assert_int_eq(mg_istio_config_init(&cfg), 0);
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_parse(&cfg, "base.yaml", base_yaml, strlen(base_yaml), &d), 0);
	ck_assert_int_eq(mg_istio_parse(&cfg, NAME, yaml, len, &d), 0);
	ck_assert_int_eq(mg_istio_validate(&cfg, &d), -EINVAL);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "weights sum to 105, must be 100"));
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
	free(yaml);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Directories                                                         */

static char *testdata(const char *sub)
{
	const char *root = getenv("MG_CTRL_TESTDATA");
	char *p;

	ck_assert_msg(root != NULL, "MG_CTRL_TESTDATA not set (run through meson test)");
	ck_assert_int_ge(asprintf(&p, "%s/%s", root, sub), 0);
	return p;
}

START_TEST(good_dir)
{
	struct mg_istio_config cfg;
	struct mg_diag d;
	char *dir = testdata("good");

	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir(dir, &cfg, &d), 0);
	mg_diag_print(&d, stderr);
	ck_assert_uint_eq(d.n_errors, 0);
	ck_assert_uint_eq(d.n_warnings, 0);
	/* README.txt is not read; files in name order */
	ck_assert_uint_eq(cfg.n_files, 4);
	ck_assert_ptr_nonnull(strstr(cfg.files[0], "00-gateway.yaml"));
	ck_assert_ptr_nonnull(strstr(cfg.files[3], "30-workloads.yml"));
	ck_assert_uint_eq(cfg.n_gateways, 1);
	ck_assert_uint_eq(cfg.n_virtual_services, 1);
	ck_assert_uint_eq(cfg.n_destination_rules, 1);
	ck_assert_uint_eq(cfg.n_service_entries, 2);
	ck_assert_uint_eq(cfg.n_workload_entries, 1);
	ck_assert_uint_eq(cfg.n_peer_authentications, 2);
	ck_assert_uint_eq(cfg.n_authorization_policies, 1);
	ck_assert_uint_eq(cfg.virtual_services[0].spec.http[2].route[0].weight.v, 90);
	ck_assert_str_eq(cfg.virtual_services[0].spec.http[2].route[0].weight.pos.file,
	                 cfg.files[1]);
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
	free(dir);
}
END_TEST

START_TEST(bad_dir)
{
	struct mg_istio_config cfg;
	struct mg_diag d;
	char *dir = testdata("bad"), *file;
	size_t i;

	ck_assert_int_ge(asprintf(&file, "%s/10-routes.yaml", dir), 0);
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir(dir, &cfg, &d), -EINVAL);
	/* nothing is kept of an invalid directory */
	ck_assert_ptr_null(cfg.arena);
	ck_assert_uint_eq(cfg.n_gateways, 0);
	ck_assert_uint_eq(d.n_errors, 6);
	ck_assert_uint_eq(d.n_warnings, 2);
	for (i = 0; i < d.n; i++) {
		ck_assert_str_eq(d.v[i].file, file);
		if (i > 0) /* sorted by position */
			ck_assert(d.v[i - 1].line < d.v[i].line ||
			          (d.v[i - 1].line == d.v[i].line && d.v[i - 1].col <= d.v[i].col));
	}
	ck_assert_uint_eq(d.v[0].line, 10);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "Gateway default/missing-gw not found"));
	ck_assert_uint_eq(d.v[d.n - 1].line, 24);
	ck_assert_ptr_nonnull(strstr(d.v[d.n - 1].msg, "unknown field \"timout\""));
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
	free(file);
	free(dir);
}
END_TEST

START_TEST(missing_dir)
{
	struct mg_istio_config cfg;
	struct mg_diag d;

	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir("/nonexistent/meshgate", &cfg, &d), -ENOENT);
	ck_assert_uint_eq(d.n_errors, 1);
	ck_assert_str_eq(d.v[0].file, "/nonexistent/meshgate");
	mg_diag_free(&d);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p;
	FILE *f;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void remove_tree(const char *dir, const char *const *names, size_t n)
{
	size_t i;
	char *p;

	for (i = 0; i < n; i++) {
		ck_assert_int_ge(asprintf(&p, "%s/%s", dir, names[i]), 0);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

/*
 * A directory with a good file and a bad one: the load fails, the error
 * names the bad file, and a reference across files resolves (b.yaml's
 * VirtualService names a.yaml's Gateway, a.yaml sorts first).  An empty
 * directory is valid with a warning.
 */
START_TEST(mixed_dir)
{
	static const char *const names[] = {"a.yaml", "b.yaml", "c.yml", ".hidden.yaml", "d.txt"};
	char dir[] = "/tmp/mg-ctrl-test.XXXXXX";
	struct mg_istio_config cfg;
	struct mg_diag d;
	char *bad;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir(dir, &cfg, &d), 0);
	ck_assert_uint_eq(d.n_warnings, 1);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "no *.yaml or *.yml files"));
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);

	write_file(dir, "a.yaml", base_yaml);
	write_file(dir, "b.yaml",
	           "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	           "metadata: {name: vs}\nspec:\n  hosts: [svc.example.com]\n  gateways: [gw]\n"
	           "  http:\n  - route: [{destination: {host: svc.example.com, subset: v2}}]\n");
	write_file(dir, ".hidden.yaml", "this: is: not: read\n");
	write_file(dir, "d.txt", "neither: is this\n");
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir(dir, &cfg, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(cfg.n_files, 2);
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);

	write_file(dir, "c.yml",
	           "apiVersion: networking.istio.io/v1\nkind: Gateway\n"
	           "metadata: {name: gw2}\nspec:\n  servers: [{port: {number: 99999, "
	           "protocol: HTTP}, hosts: ['*']}]\n");
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir(dir, &cfg, &d), -EINVAL);
	ck_assert_uint_eq(d.n_errors, 1);
	ck_assert_int_ge(asprintf(&bad, "%s/c.yml", dir), 0);
	ck_assert_str_eq(d.v[0].file, bad);
	ck_assert_uint_eq(d.v[0].line, 5);
	ck_assert_uint_eq(d.v[0].col, 29);
	free(bad);
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
	remove_tree(dir, names, sizeof(names) / sizeof(names[0]));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctrl_validate");
	TCase *tc = tcase_create("validate");

	tcase_add_test(tc, base_is_valid);
	tcase_add_loop_test(tc, validation, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, many_weights);
	tcase_add_test(tc, good_dir);
	tcase_add_test(tc, bad_dir);
	tcase_add_test(tc, missing_dir);
	tcase_add_test(tc, mixed_dir);
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
