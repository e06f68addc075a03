/*
 * istio_schema.c — what meshgate reads of each Istio message.
 *
 * One table per message of istio/api (networking/v1alpha3/ *.proto and
 * security/v1beta1/ *.proto), keys in the JSON (camelCase) names Istio's
 * YAML uses.  Every field Istio defines has a row: the ones meshgate models
 * store a value; the others are rows with mg_yaml_unsupported (an error:
 * ignoring them would change what the traffic does, e.g. corsPolicy or a
 * TLS setting) or mg_yaml_ignored (a warning: harmless to drop for a
 * gateway, e.g. exportTo or statPrefix).  A key with no row at all is a
 * typo and an "unknown field" error.  docs/CONTROLLER.md mirrors these
 * tables; keep them in step.
 */
#include <stddef.h>

#include "ctrl/istio_schema.h"
#include "ctrl/istio_types.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ROW(k, fn, T, m)                                \
	{                                               \
		k, fn, offsetof(T, m), 0, NULL, 0, NULL \
	}
#define REQ(k, fn, T, m)                                                 \
	{                                                                \
		k, fn, offsetof(T, m), 0, NULL, MG_YAML_F_REQUIRED, NULL \
	}
#define STR(k, T, m)  ROW(k, mg_yaml_str, T, m)
#define STRS(k, T, m) ROW(k, mg_yaml_strlist, T, m)
#define MAP(k, T, m)  ROW(k, mg_yaml_strmap, T, m)
#define U32(k, T, m)  ROW(k, mg_yaml_u32, T, m)
#define U64(k, T, m)  ROW(k, mg_yaml_u64, T, m)
#define BOOL(k, T, m) ROW(k, mg_yaml_bool, T, m)
#define DUR(k, T, m)  ROW(k, mg_yaml_dur, T, m)
#define ENUM(k, T, m, tbl)                                       \
	{                                                        \
		k, mg_yaml_enum, offsetof(T, m), 0, tbl, 0, NULL \
	}
#define OBJ(k, T, m, sch)                                          \
	{                                                          \
		k, mg_yaml_obj, offsetof(T, m), 0, &(sch), 0, NULL \
	}
#define LIST(k, T, m, sch)                                                              \
	{                                                                               \
		k, mg_yaml_objlist, offsetof(T, m), offsetof(T, n_##m), &(sch), 0, NULL \
	}
#define OMAP(k, T, m, desc)                                                             \
	{                                                                               \
		k, mg_yaml_objmap, offsetof(T, m), offsetof(T, n_##m), &(desc), 0, NULL \
	}
#define UNSUP(k, note)                                      \
	{                                                   \
		k, mg_yaml_unsupported, 0, 0, NULL, 0, note \
	}
#define IGNORED(k, note)                                \
	{                                               \
		k, mg_yaml_ignored, 0, 0, NULL, 0, note \
	}

#define SCHEMA(var, name, T, rows) \
	static const struct mg_yaml_schema var = {name, rows, ARRAY_SIZE(rows), sizeof(T)}
#define PUBLIC_SCHEMA(var, name, T, rows) \
	const struct mg_yaml_schema var = {name, rows, ARRAY_SIZE(rows), sizeof(T)}

#define SIDECAR_ONLY "it selects the client workload; meshgate routes at the gateway"

/* ------------------------------------------------------------------ */
/* Shared messages                                                     */

static const struct mg_yaml_field strmatch_rows[] = {
    STR("exact", struct mg_strmatch, exact),
    STR("prefix", struct mg_strmatch, prefix),
    STR("regex", struct mg_strmatch, regex),
};
SCHEMA(strmatch_schema, "StringMatch", struct mg_strmatch, strmatch_rows);

static const struct mg_yaml_mapdesc named_match_desc = {
    &strmatch_schema, sizeof(struct mg_named_match), offsetof(struct mg_named_match, m)};

static const struct mg_yaml_field percent_rows[] = {
    REQ("value", mg_yaml_dbl, struct mg_percent, value),
};
SCHEMA(percent_schema, "Percent", struct mg_percent, percent_rows);

static const struct mg_yaml_field selector_rows[] = {
    MAP("matchLabels", struct mg_selector, match_labels),
};
SCHEMA(selector_schema, "WorkloadSelector", struct mg_selector, selector_rows);

/* ------------------------------------------------------------------ */
/* Gateway                                                             */

static const struct mg_yaml_enum gw_tls_modes[] = {
    {"PASSTHROUGH", MG_GW_TLS_PASSTHROUGH, MG_YAML_E_UNSUPPORTED},
    {"SIMPLE", MG_GW_TLS_SIMPLE, 0},
    {"MUTUAL", MG_GW_TLS_MUTUAL, 0},
    {"AUTO_PASSTHROUGH", MG_GW_TLS_AUTO_PASSTHROUGH, MG_YAML_E_UNSUPPORTED},
    {"ISTIO_MUTUAL", MG_GW_TLS_ISTIO_MUTUAL, 0},
    {"OPTIONAL_MUTUAL", MG_GW_TLS_OPTIONAL_MUTUAL, 0},
    {NULL, 0, 0},
};

static const struct mg_yaml_field gw_port_rows[] = {
    REQ("number", mg_yaml_u32, struct mg_gw_port, number),
    REQ("protocol", mg_yaml_str, struct mg_gw_port, protocol),
    STR("name", struct mg_gw_port, name),
    UNSUP("targetPort", NULL),
};
SCHEMA(gw_port_schema, "Port", struct mg_gw_port, gw_port_rows);

static const struct mg_yaml_field gw_tls_rows[] = {
    BOOL("httpsRedirect", struct mg_gw_tls, https_redirect),
    ENUM("mode", struct mg_gw_tls, mode, gw_tls_modes),
    STR("credentialName", struct mg_gw_tls, credential_name),
    STR("serverCertificate", struct mg_gw_tls, server_certificate),
    STR("privateKey", struct mg_gw_tls, private_key),
    STR("caCertificates", struct mg_gw_tls, ca_certificates),
    STRS("subjectAltNames", struct mg_gw_tls, subject_alt_names),
    UNSUP("credentialNames", NULL),
    UNSUP("tlsCertificates", NULL),
    UNSUP("caCrl", NULL),
    UNSUP("verifyCertificateSpki", NULL),
    UNSUP("verifyCertificateHash", NULL),
    UNSUP("minProtocolVersion", NULL),
    UNSUP("maxProtocolVersion", NULL),
    UNSUP("cipherSuites", NULL),
};
SCHEMA(gw_tls_schema, "ServerTLSSettings", struct mg_gw_tls, gw_tls_rows);

static const struct mg_yaml_field gw_server_rows[] = {
    {"port", mg_yaml_obj, offsetof(struct mg_gw_server, port), 0, &gw_port_schema,
     MG_YAML_F_REQUIRED, NULL},
    REQ("hosts", mg_yaml_strlist, struct mg_gw_server, hosts),
    OBJ("tls", struct mg_gw_server, tls, gw_tls_schema),
    STR("name", struct mg_gw_server, name),
    UNSUP("bind", NULL),
    UNSUP("defaultEndpoint", NULL),
};
SCHEMA(gw_server_schema, "Server", struct mg_gw_server, gw_server_rows);

static const struct mg_yaml_field gw_rows[] = {
    {"servers", mg_yaml_objlist, offsetof(struct mg_gw_spec, servers),
     offsetof(struct mg_gw_spec, n_servers), &gw_server_schema, MG_YAML_F_REQUIRED, NULL},
    MAP("selector", struct mg_gw_spec, selector),
};
PUBLIC_SCHEMA(mg_istio_schema_gateway, "Gateway", struct mg_gw_spec, gw_rows);

/* ------------------------------------------------------------------ */
/* VirtualService                                                      */

static const struct mg_yaml_field port_sel_rows[] = {
    U32("number", struct mg_port_selector, number),
};
SCHEMA(port_sel_schema, "PortSelector", struct mg_port_selector, port_sel_rows);

static const struct mg_yaml_field dest_rows[] = {
    REQ("host", mg_yaml_str, struct mg_destination, host),
    STR("subset", struct mg_destination, subset),
    OBJ("port", struct mg_destination, port, port_sel_schema),
};
SCHEMA(dest_schema, "Destination", struct mg_destination, dest_rows);

static const struct mg_yaml_field header_ops_rows[] = {
    MAP("set", struct mg_header_ops, set),
    MAP("add", struct mg_header_ops, add),
    STRS("remove", struct mg_header_ops, remove),
};
SCHEMA(header_ops_schema, "HeaderOperations", struct mg_header_ops, header_ops_rows);

static const struct mg_yaml_field headers_rows[] = {
    OBJ("request", struct mg_headers, request, header_ops_schema),
    OBJ("response", struct mg_headers, response, header_ops_schema),
};
SCHEMA(headers_schema, "Headers", struct mg_headers, headers_rows);

static const struct mg_yaml_field http_match_rows[] = {
    STR("name", struct mg_http_match, name),
    OBJ("uri", struct mg_http_match, uri, strmatch_schema),
    OBJ("scheme", struct mg_http_match, scheme, strmatch_schema),
    OBJ("method", struct mg_http_match, method, strmatch_schema),
    OBJ("authority", struct mg_http_match, authority, strmatch_schema),
    OMAP("headers", struct mg_http_match, headers, named_match_desc),
    OMAP("queryParams", struct mg_http_match, query_params, named_match_desc),
    U32("port", struct mg_http_match, port),
    STRS("gateways", struct mg_http_match, gateways),
    BOOL("ignoreUriCase", struct mg_http_match, ignore_uri_case),
    IGNORED("sourceLabels", SIDECAR_ONLY),
    IGNORED("sourceNamespace", SIDECAR_ONLY),
    IGNORED("statPrefix", NULL),
    UNSUP("withoutHeaders", NULL),
};
SCHEMA(http_match_schema, "HTTPMatchRequest", struct mg_http_match, http_match_rows);

static const struct mg_yaml_field http_dest_rows[] = {
    {"destination", mg_yaml_obj, offsetof(struct mg_http_route_dest, destination), 0, &dest_schema,
     MG_YAML_F_REQUIRED, NULL},
    U32("weight", struct mg_http_route_dest, weight),
    OBJ("headers", struct mg_http_route_dest, headers, headers_schema),
};
SCHEMA(http_dest_schema, "HTTPRouteDestination", struct mg_http_route_dest, http_dest_rows);

static const struct mg_yaml_field redirect_rows[] = {
    STR("uri", struct mg_http_redirect, uri),
    STR("authority", struct mg_http_redirect, authority),
    STR("scheme", struct mg_http_redirect, scheme),
    U32("port", struct mg_http_redirect, port),
    U32("redirectCode", struct mg_http_redirect, redirect_code),
    UNSUP("derivePort", NULL),
};
SCHEMA(redirect_schema, "HTTPRedirect", struct mg_http_redirect, redirect_rows);

static const struct mg_yaml_field rewrite_rows[] = {
    STR("uri", struct mg_http_rewrite, uri),
    STR("authority", struct mg_http_rewrite, authority),
    UNSUP("uriRegexRewrite", NULL),
};
SCHEMA(rewrite_schema, "HTTPRewrite", struct mg_http_rewrite, rewrite_rows);

static const struct mg_yaml_field retry_rows[] = {
    U32("attempts", struct mg_http_retry, attempts),
    DUR("perTryTimeout", struct mg_http_retry, per_try_timeout),
    STR("retryOn", struct mg_http_retry, retry_on),
    IGNORED("retryRemoteLocalities", NULL),
};
SCHEMA(retry_schema, "HTTPRetry", struct mg_http_retry, retry_rows);

static const struct mg_yaml_field delay_rows[] = {
    DUR("fixedDelay", struct mg_fault_delay, fixed_delay),
    OBJ("percentage", struct mg_fault_delay, percentage, percent_schema),
    UNSUP("exponentialDelay", NULL),
    UNSUP("percent", "deprecated; use percentage"),
};
SCHEMA(delay_schema, "HTTPFaultInjection.Delay", struct mg_fault_delay, delay_rows);

static const struct mg_yaml_field abort_rows[] = {
    U32("httpStatus", struct mg_fault_abort, http_status),
    OBJ("percentage", struct mg_fault_abort, percentage, percent_schema),
    UNSUP("grpcStatus", NULL),
    UNSUP("http2Error", NULL),
};
SCHEMA(abort_schema, "HTTPFaultInjection.Abort", struct mg_fault_abort, abort_rows);

static const struct mg_yaml_field fault_rows[] = {
    OBJ("delay", struct mg_http_fault, delay, delay_schema),
    OBJ("abort", struct mg_http_fault, abort, abort_schema),
};
SCHEMA(fault_schema, "HTTPFaultInjection", struct mg_http_fault, fault_rows);

static const struct mg_yaml_field http_route_rows[] = {
    STR("name", struct mg_http_route, name),
    LIST("match", struct mg_http_route, match, http_match_schema),
    LIST("route", struct mg_http_route, route, http_dest_schema),
    OBJ("redirect", struct mg_http_route, redirect, redirect_schema),
    OBJ("rewrite", struct mg_http_route, rewrite, rewrite_schema),
    DUR("timeout", struct mg_http_route, timeout),
    OBJ("retries", struct mg_http_route, retries, retry_schema),
    OBJ("fault", struct mg_http_route, fault, fault_schema),
    OBJ("mirror", struct mg_http_route, mirror, dest_schema),
    OBJ("mirrorPercentage", struct mg_http_route, mirror_percentage, percent_schema),
    OBJ("headers", struct mg_http_route, headers, headers_schema),
    UNSUP("corsPolicy", NULL),
    UNSUP("directResponse", NULL),
    UNSUP("delegate", NULL),
    UNSUP("mirrors", "use mirror and mirrorPercentage"),
    UNSUP("mirrorPercent", "deprecated; use mirrorPercentage"),
};
SCHEMA(http_route_schema, "HTTPRoute", struct mg_http_route, http_route_rows);

static const struct mg_yaml_field l4_match_rows[] = {
    U32("port", struct mg_l4_match, port), STRS("gateways", struct mg_l4_match, gateways),
    IGNORED("sourceLabels", SIDECAR_ONLY), IGNORED("sourceNamespace", SIDECAR_ONLY),
    UNSUP("destinationSubnets", NULL),     UNSUP("sourceSubnet", NULL),
};
SCHEMA(l4_match_schema, "L4MatchAttributes", struct mg_l4_match, l4_match_rows);

static const struct mg_yaml_field route_dest_rows[] = {
    {"destination", mg_yaml_obj, offsetof(struct mg_route_dest, destination), 0, &dest_schema,
     MG_YAML_F_REQUIRED, NULL},
    U32("weight", struct mg_route_dest, weight),
};
SCHEMA(route_dest_schema, "RouteDestination", struct mg_route_dest, route_dest_rows);

static const struct mg_yaml_field tcp_route_rows[] = {
    LIST("match", struct mg_tcp_route, match, l4_match_schema),
    LIST("route", struct mg_tcp_route, route, route_dest_schema),
};
SCHEMA(tcp_route_schema, "TCPRoute", struct mg_tcp_route, tcp_route_rows);

static const struct mg_yaml_field vs_rows[] = {
    STRS("hosts", struct mg_vs_spec, hosts),
    STRS("gateways", struct mg_vs_spec, gateways),
    LIST("http", struct mg_vs_spec, http, http_route_schema),
    LIST("tcp", struct mg_vs_spec, tcp, tcp_route_schema),
    UNSUP("tls", "TLS routes by SNI"),
    IGNORED("exportTo", "meshgate has no namespace visibility rules"),
};
PUBLIC_SCHEMA(mg_istio_schema_virtual_service, "VirtualService", struct mg_vs_spec, vs_rows);

/* ------------------------------------------------------------------ */
/* DestinationRule                                                     */

static const struct mg_yaml_enum lb_simple[] = {
    {"UNSPECIFIED", MG_LB_UNSPECIFIED, 0},
    {"RANDOM", MG_LB_RANDOM, 0},
    {"PASSTHROUGH", MG_LB_PASSTHROUGH, MG_YAML_E_UNSUPPORTED},
    {"ROUND_ROBIN", MG_LB_ROUND_ROBIN, 0},
    {"LEAST_REQUEST", MG_LB_LEAST_REQUEST, 0},
    {"LEAST_CONN", MG_LB_LEAST_CONN, MG_YAML_E_DEPRECATED},
    {NULL, 0, 0},
};

static const struct mg_yaml_field cookie_rows[] = {
    REQ("name", mg_yaml_str, struct mg_http_cookie, name),
    STR("path", struct mg_http_cookie, path),
    DUR("ttl", struct mg_http_cookie, ttl),
    UNSUP("attributes", NULL),
};
SCHEMA(cookie_schema, "ConsistentHashLB.HTTPCookie", struct mg_http_cookie, cookie_rows);

static const struct mg_yaml_field ring_rows[] = {
    U64("minimumRingSize", struct mg_ring_hash, minimum_ring_size),
};
SCHEMA(ring_schema, "ConsistentHashLB.RingHash", struct mg_ring_hash, ring_rows);

static const struct mg_yaml_field maglev_rows[] = {
    U64("tableSize", struct mg_maglev, table_size),
};
SCHEMA(maglev_schema, "ConsistentHashLB.MagLev", struct mg_maglev, maglev_rows);

static const struct mg_yaml_field chash_rows[] = {
    STR("httpHeaderName", struct mg_consistent_hash, http_header_name),
    OBJ("httpCookie", struct mg_consistent_hash, http_cookie, cookie_schema),
    BOOL("useSourceIp", struct mg_consistent_hash, use_source_ip),
    STR("httpQueryParameterName", struct mg_consistent_hash, http_query_parameter_name),
    OBJ("ringHash", struct mg_consistent_hash, ring_hash, ring_schema),
    OBJ("maglev", struct mg_consistent_hash, maglev, maglev_schema),
    UNSUP("minimumRingSize", "deprecated; use ringHash.minimumRingSize"),
};
SCHEMA(chash_schema, "ConsistentHashLB", struct mg_consistent_hash, chash_rows);

static const struct mg_yaml_field distribute_rows[] = {
    STR("from", struct mg_locality_distribute, from),
    ROW("to", mg_yaml_u32map, struct mg_locality_distribute, to),
};
SCHEMA(distribute_schema, "LocalityLoadBalancerSetting.Distribute", struct mg_locality_distribute,
       distribute_rows);

static const struct mg_yaml_field failover_rows[] = {
    STR("from", struct mg_locality_failover, from),
    STR("to", struct mg_locality_failover, to),
};
SCHEMA(failover_schema, "LocalityLoadBalancerSetting.Failover", struct mg_locality_failover,
       failover_rows);

static const struct mg_yaml_field locality_rows[] = {
    LIST("distribute", struct mg_locality_lb, distribute, distribute_schema),
    LIST("failover", struct mg_locality_lb, failover, failover_schema),
    STRS("failoverPriority", struct mg_locality_lb, failover_priority),
    BOOL("enabled", struct mg_locality_lb, enabled),
};
SCHEMA(locality_schema, "LocalityLoadBalancerSetting", struct mg_locality_lb, locality_rows);

static const struct mg_yaml_field lb_rows[] = {
    ENUM("simple", struct mg_lb_settings, simple, lb_simple),
    OBJ("consistentHash", struct mg_lb_settings, consistent_hash, chash_schema),
    OBJ("localityLbSetting", struct mg_lb_settings, locality_lb_setting, locality_schema),
    UNSUP("warmupDurationSecs", NULL),
    UNSUP("warmup", NULL),
};
SCHEMA(lb_schema, "LoadBalancerSettings", struct mg_lb_settings, lb_rows);

static const struct mg_yaml_field pool_tcp_rows[] = {
    U32("maxConnections", struct mg_pool_tcp, max_connections),
    DUR("connectTimeout", struct mg_pool_tcp, connect_timeout),
    IGNORED("tcpKeepalive", NULL),
    UNSUP("maxConnectionDuration", NULL),
    UNSUP("idleTimeout", NULL),
};
SCHEMA(pool_tcp_schema, "ConnectionPoolSettings.TCPSettings", struct mg_pool_tcp, pool_tcp_rows);

static const struct mg_yaml_field pool_http_rows[] = {
    U32("http1MaxPendingRequests", struct mg_pool_http, http1_max_pending_requests),
    U32("http2MaxRequests", struct mg_pool_http, http2_max_requests),
    U32("maxRequestsPerConnection", struct mg_pool_http, max_requests_per_connection),
    U32("maxRetries", struct mg_pool_http, max_retries),
    DUR("idleTimeout", struct mg_pool_http, idle_timeout),
    UNSUP("h2UpgradePolicy", NULL),
    UNSUP("useClientProtocol", NULL),
    UNSUP("maxConcurrentStreams", NULL),
};
SCHEMA(pool_http_schema, "ConnectionPoolSettings.HTTPSettings", struct mg_pool_http,
       pool_http_rows);

static const struct mg_yaml_field pool_rows[] = {
    OBJ("tcp", struct mg_conn_pool, tcp, pool_tcp_schema),
    OBJ("http", struct mg_conn_pool, http, pool_http_schema),
};
SCHEMA(pool_schema, "ConnectionPoolSettings", struct mg_conn_pool, pool_rows);

static const struct mg_yaml_field outlier_rows[] = {
    U32("consecutive5xxErrors", struct mg_outlier, consecutive_5xx_errors),
    U32("consecutiveGatewayErrors", struct mg_outlier, consecutive_gateway_errors),
    DUR("interval", struct mg_outlier, interval),
    DUR("baseEjectionTime", struct mg_outlier, base_ejection_time),
    U32("maxEjectionPercent", struct mg_outlier, max_ejection_percent),
    UNSUP("minHealthPercent", NULL),
    UNSUP("splitExternalLocalOriginErrors", NULL),
    UNSUP("consecutiveLocalOriginFailures", NULL),
    UNSUP("consecutiveErrors", "deprecated; use consecutive5xxErrors"),
};
SCHEMA(outlier_schema, "OutlierDetection", struct mg_outlier, outlier_rows);

static const struct mg_yaml_enum ctls_modes[] = {
    {"DISABLE", MG_CTLS_DISABLE, 0},
    {"SIMPLE", MG_CTLS_SIMPLE, 0},
    {"MUTUAL", MG_CTLS_MUTUAL, 0},
    {"ISTIO_MUTUAL", MG_CTLS_ISTIO_MUTUAL, 0},
    {NULL, 0, 0},
};

static const struct mg_yaml_field ctls_rows[] = {
    ENUM("mode", struct mg_client_tls, mode, ctls_modes),
    STR("clientCertificate", struct mg_client_tls, client_certificate),
    STR("privateKey", struct mg_client_tls, private_key),
    STR("caCertificates", struct mg_client_tls, ca_certificates),
    STR("credentialName", struct mg_client_tls, credential_name),
    STRS("subjectAltNames", struct mg_client_tls, subject_alt_names),
    STR("sni", struct mg_client_tls, sni),
    BOOL("insecureSkipVerify", struct mg_client_tls, insecure_skip_verify),
    UNSUP("caCrl", NULL),
};
SCHEMA(ctls_schema, "ClientTLSSettings", struct mg_client_tls, ctls_rows);

static const struct mg_yaml_field policy_rows[] = {
    OBJ("loadBalancer", struct mg_traffic_policy, load_balancer, lb_schema),
    OBJ("connectionPool", struct mg_traffic_policy, connection_pool, pool_schema),
    OBJ("outlierDetection", struct mg_traffic_policy, outlier_detection, outlier_schema),
    OBJ("tls", struct mg_traffic_policy, tls, ctls_schema),
    UNSUP("portLevelSettings", NULL),
    UNSUP("tunnel", NULL),
    UNSUP("proxyProtocol", NULL),
};
SCHEMA(policy_schema, "TrafficPolicy", struct mg_traffic_policy, policy_rows);

static const struct mg_yaml_field subset_rows[] = {
    REQ("name", mg_yaml_str, struct mg_subset, name),
    MAP("labels", struct mg_subset, labels),
    OBJ("trafficPolicy", struct mg_subset, traffic_policy, policy_schema),
};
SCHEMA(subset_schema, "Subset", struct mg_subset, subset_rows);

static const struct mg_yaml_field dr_rows[] = {
    REQ("host", mg_yaml_str, struct mg_dr_spec, host),
    OBJ("trafficPolicy", struct mg_dr_spec, traffic_policy, policy_schema),
    LIST("subsets", struct mg_dr_spec, subsets, subset_schema),
    IGNORED("exportTo", "meshgate has no namespace visibility rules"),
    UNSUP("workloadSelector", NULL),
};
PUBLIC_SCHEMA(mg_istio_schema_destination_rule, "DestinationRule", struct mg_dr_spec, dr_rows);

/* ------------------------------------------------------------------ */
/* ServiceEntry, WorkloadEntry                                         */

static const struct mg_yaml_enum se_locations[] = {
    {"MESH_EXTERNAL", MG_SE_MESH_EXTERNAL, 0},
    {"MESH_INTERNAL", MG_SE_MESH_INTERNAL, 0},
    {NULL, 0, 0},
};

static const struct mg_yaml_enum se_resolutions[] = {
    {"NONE", MG_SE_RESOLVE_NONE, 0},
    {"STATIC", MG_SE_RESOLVE_STATIC, 0},
    {"DNS", MG_SE_RESOLVE_DNS, 0},
    {"DNS_ROUND_ROBIN", MG_SE_RESOLVE_DNS_ROUND_ROBIN, MG_YAML_E_UNSUPPORTED},
    {NULL, 0, 0},
};

static const struct mg_yaml_field svc_port_rows[] = {
    REQ("number", mg_yaml_u32, struct mg_service_port, number),
    STR("protocol", struct mg_service_port, protocol),
    REQ("name", mg_yaml_str, struct mg_service_port, name),
    U32("targetPort", struct mg_service_port, target_port),
};
SCHEMA(svc_port_schema, "ServicePort", struct mg_service_port, svc_port_rows);

static const struct mg_yaml_field workload_rows[] = {
    STR("address", struct mg_workload, address),
    ROW("ports", mg_yaml_u32map, struct mg_workload, ports),
    MAP("labels", struct mg_workload, labels),
    STR("network", struct mg_workload, network),
    STR("locality", struct mg_workload, locality),
    U32("weight", struct mg_workload, weight),
    STR("serviceAccount", struct mg_workload, service_account),
};
SCHEMA(endpoint_schema, "WorkloadEntry", struct mg_workload, workload_rows);
PUBLIC_SCHEMA(mg_istio_schema_workload_entry, "WorkloadEntry", struct mg_workload, workload_rows);

static const struct mg_yaml_field se_selector_rows[] = {
    MAP("labels", struct mg_selector, match_labels),
};
SCHEMA(se_selector_schema, "WorkloadSelector", struct mg_selector, se_selector_rows);

static const struct mg_yaml_field se_rows[] = {
    REQ("hosts", mg_yaml_strlist, struct mg_se_spec, hosts),
    STRS("addresses", struct mg_se_spec, addresses),
    LIST("ports", struct mg_se_spec, ports, svc_port_schema),
    ENUM("location", struct mg_se_spec, location, se_locations),
    ENUM("resolution", struct mg_se_spec, resolution, se_resolutions),
    LIST("endpoints", struct mg_se_spec, endpoints, endpoint_schema),
    OBJ("workloadSelector", struct mg_se_spec, workload_selector, se_selector_schema),
    IGNORED("exportTo", "meshgate has no namespace visibility rules"),
    IGNORED("subjectAltNames", "upstream identity checks come with mTLS"),
};
PUBLIC_SCHEMA(mg_istio_schema_service_entry, "ServiceEntry", struct mg_se_spec, se_rows);

/* ------------------------------------------------------------------ */
/* PeerAuthentication, AuthorizationPolicy                             */

static const struct mg_yaml_enum mtls_modes[] = {
    {"UNSET", MG_MTLS_UNSET, 0},
    {"DISABLE", MG_MTLS_DISABLE, 0},
    {"PERMISSIVE", MG_MTLS_PERMISSIVE, 0},
    {"STRICT", MG_MTLS_STRICT, 0},
    {NULL, 0, 0},
};

static const struct mg_yaml_field mtls_rows[] = {
    ENUM("mode", struct mg_mtls, mode, mtls_modes),
};
SCHEMA(mtls_schema, "PeerAuthentication.MutualTLS", struct mg_mtls, mtls_rows);

static const struct mg_yaml_mapdesc port_mtls_desc = {&mtls_schema, sizeof(struct mg_port_mtls),
                                                      offsetof(struct mg_port_mtls, mtls)};

static const struct mg_yaml_field pa_rows[] = {
    OBJ("selector", struct mg_pa_spec, selector, selector_schema),
    OBJ("mtls", struct mg_pa_spec, mtls, mtls_schema),
    OMAP("portLevelMtls", struct mg_pa_spec, port_level_mtls, port_mtls_desc),
};
PUBLIC_SCHEMA(mg_istio_schema_peer_authentication, "PeerAuthentication", struct mg_pa_spec,
              pa_rows);

static const struct mg_yaml_enum authz_actions[] = {
    {"ALLOW", MG_AUTHZ_ALLOW, 0},
    {"DENY", MG_AUTHZ_DENY, 0},
    {"AUDIT", MG_AUTHZ_AUDIT, 0},
    {"CUSTOM", MG_AUTHZ_CUSTOM, 0},
    {NULL, 0, 0},
};

#define JWT_NOTE "needs RequestAuthentication (JWT), which meshgate does not read"

static const struct mg_yaml_field source_rows[] = {
    STRS("principals", struct mg_authz_source, principals),
    STRS("notPrincipals", struct mg_authz_source, not_principals),
    STRS("namespaces", struct mg_authz_source, namespaces),
    STRS("notNamespaces", struct mg_authz_source, not_namespaces),
    STRS("ipBlocks", struct mg_authz_source, ip_blocks),
    STRS("notIpBlocks", struct mg_authz_source, not_ip_blocks),
    STRS("remoteIpBlocks", struct mg_authz_source, remote_ip_blocks),
    STRS("notRemoteIpBlocks", struct mg_authz_source, not_remote_ip_blocks),
    UNSUP("requestPrincipals", JWT_NOTE),
    UNSUP("notRequestPrincipals", JWT_NOTE),
    UNSUP("serviceAccounts", "use principals"),
    UNSUP("notServiceAccounts", "use notPrincipals"),
};
SCHEMA(source_schema, "Source", struct mg_authz_source, source_rows);

static const struct mg_yaml_field operation_rows[] = {
    STRS("hosts", struct mg_authz_operation, hosts),
    STRS("notHosts", struct mg_authz_operation, not_hosts),
    STRS("ports", struct mg_authz_operation, ports),
    STRS("notPorts", struct mg_authz_operation, not_ports),
    STRS("methods", struct mg_authz_operation, methods),
    STRS("notMethods", struct mg_authz_operation, not_methods),
    STRS("paths", struct mg_authz_operation, paths),
    STRS("notPaths", struct mg_authz_operation, not_paths),
};
SCHEMA(operation_schema, "Operation", struct mg_authz_operation, operation_rows);

static const struct mg_yaml_field from_rows[] = {
    OBJ("source", struct mg_authz_from, source, source_schema),
};
SCHEMA(from_schema, "Rule.From", struct mg_authz_from, from_rows);

static const struct mg_yaml_field to_rows[] = {
    OBJ("operation", struct mg_authz_to, operation, operation_schema),
};
SCHEMA(to_schema, "Rule.To", struct mg_authz_to, to_rows);

static const struct mg_yaml_field cond_rows[] = {
    REQ("key", mg_yaml_str, struct mg_authz_condition, key),
    STRS("values", struct mg_authz_condition, values),
    STRS("notValues", struct mg_authz_condition, not_values),
};
SCHEMA(cond_schema, "Condition", struct mg_authz_condition, cond_rows);

static const struct mg_yaml_field rule_rows[] = {
    LIST("from", struct mg_authz_rule, from, from_schema),
    LIST("to", struct mg_authz_rule, to, to_schema),
    LIST("when", struct mg_authz_rule, when, cond_schema),
};
SCHEMA(rule_schema, "Rule", struct mg_authz_rule, rule_rows);

static const struct mg_yaml_field provider_rows[] = {
    REQ("name", mg_yaml_str, struct mg_authz_provider, name),
};
SCHEMA(provider_schema, "AuthorizationPolicy.ExtensionProvider", struct mg_authz_provider,
       provider_rows);

static const struct mg_yaml_field authz_rows[] = {
    OBJ("selector", struct mg_authz_spec, selector, selector_schema),
    LIST("rules", struct mg_authz_spec, rules, rule_schema),
    ENUM("action", struct mg_authz_spec, action, authz_actions),
    OBJ("provider", struct mg_authz_spec, provider, provider_schema),
    UNSUP("targetRef", "use selector"),
    UNSUP("targetRefs", "use selector"),
};
PUBLIC_SCHEMA(mg_istio_schema_authorization_policy, "AuthorizationPolicy", struct mg_authz_spec,
              authz_rows);

/* ------------------------------------------------------------------ */
/* Kubernetes metadata                                                 */

#define SERVER_SET "set by the API server"

static const struct mg_yaml_field meta_rows[] = {
    REQ("name", mg_yaml_str, struct mg_istio_meta, name),
    STR("namespace", struct mg_istio_meta, namespace_),
    MAP("labels", struct mg_istio_meta, labels),
    MAP("annotations", struct mg_istio_meta, annotations),
    UNSUP("generateName", "give each resource a name"),
    IGNORED("uid", SERVER_SET),
    IGNORED("resourceVersion", SERVER_SET),
    IGNORED("generation", SERVER_SET),
    IGNORED("creationTimestamp", SERVER_SET),
    IGNORED("deletionTimestamp", SERVER_SET),
    IGNORED("deletionGracePeriodSeconds", SERVER_SET),
    IGNORED("managedFields", SERVER_SET),
    IGNORED("selfLink", SERVER_SET),
    IGNORED("ownerReferences", NULL),
    IGNORED("finalizers", NULL),
};
PUBLIC_SCHEMA(mg_istio_schema_metadata, "ObjectMeta", struct mg_istio_meta, meta_rows);
