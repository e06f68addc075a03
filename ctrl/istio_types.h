/*
 * istio_types.h — the Istio resources meshgate's controller reads.
 *
 * A model of the parts of Istio's API (istio/api: networking/v1alpha3/ *.proto,
 * security/v1beta1/ *.proto; the v1beta1 and v1 versions have the same
 * schema) that meshgate uses or will use: Gateway, VirtualService,
 * DestinationRule, ServiceEntry, WorkloadEntry, PeerAuthentication and
 * AuthorizationPolicy.  Field names follow Istio's (snake_case here,
 * camelCase in YAML, as the comments say).  Fields Istio has and meshgate
 * does not are not modelled: the decoder (istio_schema.c) reports them as
 * errors or warnings.  Every leaf is a positioned value (yaml_types.h) so a
 * later stage can name FILE:LINE:COL.  docs/CONTROLLER.md lists what is
 * supported, field by field.  API in istio_load.h and istio_validate.h.
 */
#ifndef MG_CTRL_ISTIO_TYPES_H
#define MG_CTRL_ISTIO_TYPES_H

#include <stddef.h>

#include "ctrl/yaml_types.h"

struct mg_arena;

/* ------------------------------------------------------------------ */
/* Envelope                                                            */

/** The resource kinds meshgate reads. */
enum mg_istio_kind {
	MG_ISTIO_GATEWAY,
	MG_ISTIO_VIRTUAL_SERVICE,
	MG_ISTIO_DESTINATION_RULE,
	MG_ISTIO_SERVICE_ENTRY,
	MG_ISTIO_WORKLOAD_ENTRY,
	MG_ISTIO_PEER_AUTHENTICATION,
	MG_ISTIO_AUTHORIZATION_POLICY,
	MG_ISTIO_KIND_COUNT
};

/** apiVersion, kind and metadata of one resource (Kubernetes object envelope). */
struct mg_istio_meta {
	struct mg_pos pos; /**< the document's first line */
	enum mg_istio_kind kind;
	struct mg_str api_version; /**< apiVersion, e.g. networking.istio.io/v1 */
	struct mg_str kind_name;   /**< kind */
	struct mg_str name;        /**< metadata.name (required) */
	struct mg_str namespace_;  /**< metadata.namespace; "default" (pos.file NULL) if absent */
	struct mg_strmap labels;   /**< metadata.labels */
	struct mg_strmap annotations;
};

/** A string-or-regex matcher (Istio StringMatch: one of exact, prefix, regex). */
struct mg_strmatch {
	struct mg_obj o;
	struct mg_str exact, prefix, regex;
};

/** A named StringMatch: an entry of headers / queryParams / withoutHeaders. */
struct mg_named_match {
	struct mg_str name; /**< the map key (header or parameter name) */
	struct mg_strmatch m;
};

/** Istio Percent: {value: double} */
struct mg_percent {
	struct mg_obj o;
	struct mg_dbl value;
};

/** WorkloadSelector / selector: {matchLabels: {...}} */
struct mg_selector {
	struct mg_obj o;
	struct mg_strmap match_labels;
};

/* ------------------------------------------------------------------ */
/* Gateway (networking.istio.io)                                       */

enum mg_gw_tls_mode {
	MG_GW_TLS_PASSTHROUGH,
	MG_GW_TLS_SIMPLE,
	MG_GW_TLS_MUTUAL,
	MG_GW_TLS_AUTO_PASSTHROUGH,
	MG_GW_TLS_ISTIO_MUTUAL,
	MG_GW_TLS_OPTIONAL_MUTUAL,
};

/** Port: number, protocol, name (targetPort is not supported). */
struct mg_gw_port {
	struct mg_obj o;
	struct mg_u32 number;
	struct mg_str protocol; /**< HTTP|HTTPS|GRPC|HTTP2|TCP|TLS (case-insensitive) */
	struct mg_str name;
};

/** ServerTLSSettings. */
struct mg_gw_tls {
	struct mg_obj o;
	struct mg_bool https_redirect;       /**< httpsRedirect */
	struct mg_enum mode;                 /**< enum mg_gw_tls_mode */
	struct mg_str credential_name;       /**< credentialName */
	struct mg_str server_certificate;    /**< serverCertificate (file) */
	struct mg_str private_key;           /**< privateKey (file) */
	struct mg_str ca_certificates;       /**< caCertificates (file) */
	struct mg_strlist subject_alt_names; /**< subjectAltNames */
};

/** Server. */
struct mg_gw_server {
	struct mg_obj o;
	struct mg_gw_port port;
	struct mg_strlist hosts; /**< "[namespace/]dnsName" */
	struct mg_gw_tls tls;
	struct mg_str name;
};

struct mg_gw_spec {
	struct mg_gw_server *servers;
	size_t n_servers;
	struct mg_strmap selector;
};

/* ------------------------------------------------------------------ */
/* VirtualService                                                      */

/** PortSelector: {number} */
struct mg_port_selector {
	struct mg_obj o;
	struct mg_u32 number;
};

/** Destination: host, subset, port.number */
struct mg_destination {
	struct mg_obj o;
	struct mg_str host;
	struct mg_str subset;
	struct mg_port_selector port;
};

/** HeaderOperations: set, add, remove */
struct mg_header_ops {
	struct mg_obj o;
	struct mg_strmap set;
	struct mg_strmap add;
	struct mg_strlist remove;
};

/** Headers: request and response operations */
struct mg_headers {
	struct mg_obj o;
	struct mg_header_ops request;
	struct mg_header_ops response;
};

/** HTTPMatchRequest. */
struct mg_http_match {
	struct mg_obj o;
	struct mg_str name;
	struct mg_strmatch uri;
	struct mg_strmatch scheme;
	struct mg_strmatch method;
	struct mg_strmatch authority;
	struct mg_named_match *headers; /**< headers: {name: StringMatch} */
	size_t n_headers;
	struct mg_named_match *query_params; /**< queryParams */
	size_t n_query_params;
	struct mg_u32 port;
	struct mg_strlist gateways;
	struct mg_bool ignore_uri_case; /**< ignoreUriCase */
};

/** HTTPRouteDestination: destination, weight, headers */
struct mg_http_route_dest {
	struct mg_obj o;
	struct mg_destination destination;
	struct mg_u32 weight;
	struct mg_headers headers;
};

/** HTTPRedirect: uri, authority, scheme, port, redirectCode */
struct mg_http_redirect {
	struct mg_obj o;
	struct mg_str uri;
	struct mg_str authority;
	struct mg_str scheme;
	struct mg_u32 port;
	struct mg_u32 redirect_code; /**< redirectCode; default 301 */
};

/** HTTPRewrite: uri, authority */
struct mg_http_rewrite {
	struct mg_obj o;
	struct mg_str uri;
	struct mg_str authority;
};

/** HTTPRetry: attempts, perTryTimeout, retryOn */
struct mg_http_retry {
	struct mg_obj o;
	struct mg_u32 attempts;
	struct mg_dur per_try_timeout;
	struct mg_str retry_on; /**< comma-separated Envoy retry conditions */
};

/** HTTPFaultInjection.Delay: fixedDelay, percentage */
struct mg_fault_delay {
	struct mg_obj o;
	struct mg_dur fixed_delay;
	struct mg_percent percentage;
};

/** HTTPFaultInjection.Abort: httpStatus, percentage */
struct mg_fault_abort {
	struct mg_obj o;
	struct mg_u32 http_status;
	struct mg_percent percentage;
};

struct mg_http_fault {
	struct mg_obj o;
	struct mg_fault_delay delay;
	struct mg_fault_abort abort;
};

/** HTTPRoute. */
struct mg_http_route {
	struct mg_obj o;
	struct mg_str name;
	struct mg_http_match *match;
	size_t n_match;
	struct mg_http_route_dest *route;
	size_t n_route;
	struct mg_http_redirect redirect;
	struct mg_http_rewrite rewrite;
	struct mg_dur timeout;
	struct mg_http_retry retries;
	struct mg_http_fault fault;
	struct mg_destination mirror;
	struct mg_percent mirror_percentage; /**< mirrorPercentage */
	struct mg_headers headers;
};

/** L4MatchAttributes (tcp match): port, gateways */
struct mg_l4_match {
	struct mg_obj o;
	struct mg_u32 port;
	struct mg_strlist gateways;
};

/** RouteDestination (tcp route): destination, weight */
struct mg_route_dest {
	struct mg_obj o;
	struct mg_destination destination;
	struct mg_u32 weight;
};

/** TCPRoute. */
struct mg_tcp_route {
	struct mg_obj o;
	struct mg_l4_match *match;
	size_t n_match;
	struct mg_route_dest *route;
	size_t n_route;
};

struct mg_vs_spec {
	struct mg_strlist hosts;
	struct mg_strlist gateways; /**< "[namespace/]name" or "mesh"; absent = mesh */
	struct mg_http_route *http;
	size_t n_http;
	struct mg_tcp_route *tcp;
	size_t n_tcp;
};

/* ------------------------------------------------------------------ */
/* DestinationRule                                                     */

enum mg_lb_simple {
	MG_LB_UNSPECIFIED,
	MG_LB_RANDOM,
	MG_LB_PASSTHROUGH,
	MG_LB_ROUND_ROBIN,
	MG_LB_LEAST_REQUEST,
	MG_LB_LEAST_CONN, /**< deprecated alias of LEAST_REQUEST */
};

/** ConsistentHashLB.HTTPCookie: name, path, ttl */
struct mg_http_cookie {
	struct mg_obj o;
	struct mg_str name;
	struct mg_str path;
	struct mg_dur ttl;
};

struct mg_ring_hash {
	struct mg_obj o;
	struct mg_u64 minimum_ring_size; /**< minimumRingSize */
};

struct mg_maglev {
	struct mg_obj o;
	struct mg_u64 table_size; /**< tableSize */
};

/** ConsistentHashLB: one hash key, and ringHash or maglev. */
struct mg_consistent_hash {
	struct mg_obj o;
	struct mg_str http_header_name;          /**< httpHeaderName */
	struct mg_http_cookie http_cookie;       /**< httpCookie */
	struct mg_bool use_source_ip;            /**< useSourceIp */
	struct mg_str http_query_parameter_name; /**< httpQueryParameterName */
	struct mg_ring_hash ring_hash;           /**< ringHash */
	struct mg_maglev maglev;
};

/** LocalityLoadBalancerSetting.Distribute: from, to {locality: weight} */
struct mg_locality_distribute {
	struct mg_obj o;
	struct mg_str from;
	struct mg_u32map to;
};

/** LocalityLoadBalancerSetting.Failover: from (region), to (region) */
struct mg_locality_failover {
	struct mg_obj o;
	struct mg_str from;
	struct mg_str to;
};

struct mg_locality_lb {
	struct mg_obj o;
	struct mg_locality_distribute *distribute;
	size_t n_distribute;
	struct mg_locality_failover *failover;
	size_t n_failover;
	struct mg_strlist failover_priority; /**< failoverPriority */
	struct mg_bool enabled;
};

/** LoadBalancerSettings: simple or consistentHash, localityLbSetting */
struct mg_lb_settings {
	struct mg_obj o;
	struct mg_enum simple; /**< enum mg_lb_simple */
	struct mg_consistent_hash consistent_hash;
	struct mg_locality_lb locality_lb_setting;
};

/** ConnectionPoolSettings.TCPSettings (tcp) */
struct mg_pool_tcp {
	struct mg_obj o;
	struct mg_u32 max_connections; /**< maxConnections */
	struct mg_dur connect_timeout; /**< connectTimeout */
};

/** ConnectionPoolSettings.HTTPSettings (http) */
struct mg_pool_http {
	struct mg_obj o;
	struct mg_u32 http1_max_pending_requests;  /**< http1MaxPendingRequests */
	struct mg_u32 http2_max_requests;          /**< http2MaxRequests */
	struct mg_u32 max_requests_per_connection; /**< maxRequestsPerConnection */
	struct mg_u32 max_retries;                 /**< maxRetries */
	struct mg_dur idle_timeout;                /**< idleTimeout */
};

struct mg_conn_pool {
	struct mg_obj o;
	struct mg_pool_tcp tcp;
	struct mg_pool_http http;
};

/** OutlierDetection. */
struct mg_outlier {
	struct mg_obj o;
	struct mg_u32 consecutive_5xx_errors;     /**< consecutive5xxErrors */
	struct mg_u32 consecutive_gateway_errors; /**< consecutiveGatewayErrors */
	struct mg_dur interval;
	struct mg_dur base_ejection_time;   /**< baseEjectionTime */
	struct mg_u32 max_ejection_percent; /**< maxEjectionPercent */
};

enum mg_client_tls_mode {
	MG_CTLS_DISABLE,
	MG_CTLS_SIMPLE,
	MG_CTLS_MUTUAL,
	MG_CTLS_ISTIO_MUTUAL,
};

/** ClientTLSSettings. */
struct mg_client_tls {
	struct mg_obj o;
	struct mg_enum mode;              /**< enum mg_client_tls_mode */
	struct mg_str client_certificate; /**< clientCertificate */
	struct mg_str private_key;        /**< privateKey */
	struct mg_str ca_certificates;    /**< caCertificates */
	struct mg_str credential_name;    /**< credentialName */
	struct mg_strlist subject_alt_names;
	struct mg_str sni;
	struct mg_bool insecure_skip_verify; /**< insecureSkipVerify */
};

/** TrafficPolicy. */
struct mg_traffic_policy {
	struct mg_obj o;
	struct mg_lb_settings load_balancer;
	struct mg_conn_pool connection_pool;
	struct mg_outlier outlier_detection;
	struct mg_client_tls tls;
};

/** Subset: name, labels, trafficPolicy */
struct mg_subset {
	struct mg_obj o;
	struct mg_str name;
	struct mg_strmap labels;
	struct mg_traffic_policy traffic_policy;
};

struct mg_dr_spec {
	struct mg_str host;
	struct mg_traffic_policy traffic_policy;
	struct mg_subset *subsets;
	size_t n_subsets;
};

/* ------------------------------------------------------------------ */
/* ServiceEntry and WorkloadEntry                                      */

enum mg_se_location {
	MG_SE_MESH_EXTERNAL,
	MG_SE_MESH_INTERNAL,
};

enum mg_se_resolution {
	MG_SE_RESOLVE_NONE,
	MG_SE_RESOLVE_STATIC,
	MG_SE_RESOLVE_DNS,
	MG_SE_RESOLVE_DNS_ROUND_ROBIN,
};

/** ServicePort: number, protocol, name, targetPort */
struct mg_service_port {
	struct mg_obj o;
	struct mg_u32 number;
	struct mg_str protocol;
	struct mg_str name;
	struct mg_u32 target_port; /**< targetPort */
};

/** WorkloadEntry spec; also a ServiceEntry endpoint. */
struct mg_workload {
	struct mg_obj o;
	struct mg_str address;
	struct mg_u32map ports; /**< port name -> number */
	struct mg_strmap labels;
	struct mg_str network;
	struct mg_str locality; /**< region/zone/subzone */
	struct mg_u32 weight;
	struct mg_str service_account; /**< serviceAccount */
};

struct mg_se_spec {
	struct mg_strlist hosts;
	struct mg_strlist addresses;
	struct mg_service_port *ports;
	size_t n_ports;
	struct mg_enum location;   /**< enum mg_se_location */
	struct mg_enum resolution; /**< enum mg_se_resolution */
	struct mg_workload *endpoints;
	size_t n_endpoints;
	struct mg_selector workload_selector; /**< workloadSelector: {labels} */
};

/* ------------------------------------------------------------------ */
/* security.istio.io                                                   */

enum mg_mtls_mode {
	MG_MTLS_UNSET,
	MG_MTLS_DISABLE,
	MG_MTLS_PERMISSIVE,
	MG_MTLS_STRICT,
};

/** PeerAuthentication.MutualTLS: {mode} */
struct mg_mtls {
	struct mg_obj o;
	struct mg_enum mode; /**< enum mg_mtls_mode */
};

/** An entry of portLevelMtls: port (the key, as text) -> MutualTLS. */
struct mg_port_mtls {
	struct mg_str port;
	struct mg_mtls mtls;
};

struct mg_pa_spec {
	struct mg_selector selector;
	struct mg_mtls mtls;
	struct mg_port_mtls *port_level_mtls; /**< portLevelMtls */
	size_t n_port_level_mtls;
};

enum mg_authz_action {
	MG_AUTHZ_ALLOW,
	MG_AUTHZ_DENY,
	MG_AUTHZ_AUDIT,
	MG_AUTHZ_CUSTOM,
};

/** Source. */
struct mg_authz_source {
	struct mg_obj o;
	struct mg_strlist principals, not_principals;
	struct mg_strlist namespaces, not_namespaces;
	struct mg_strlist ip_blocks, not_ip_blocks;               /**< ipBlocks */
	struct mg_strlist remote_ip_blocks, not_remote_ip_blocks; /**< remoteIpBlocks */
};

/** Operation. */
struct mg_authz_operation {
	struct mg_obj o;
	struct mg_strlist hosts, not_hosts;
	struct mg_strlist ports, not_ports;
	struct mg_strlist methods, not_methods;
	struct mg_strlist paths, not_paths;
};

struct mg_authz_from {
	struct mg_obj o;
	struct mg_authz_source source;
};

struct mg_authz_to {
	struct mg_obj o;
	struct mg_authz_operation operation;
};

/** Condition: key, values, notValues */
struct mg_authz_condition {
	struct mg_obj o;
	struct mg_str key;
	struct mg_strlist values, not_values;
};

struct mg_authz_rule {
	struct mg_obj o;
	struct mg_authz_from *from;
	size_t n_from;
	struct mg_authz_to *to;
	size_t n_to;
	struct mg_authz_condition *when;
	size_t n_when;
};

/** ExtensionProvider reference (action CUSTOM): {name} */
struct mg_authz_provider {
	struct mg_obj o;
	struct mg_str name;
};

struct mg_authz_spec {
	struct mg_selector selector;
	struct mg_authz_rule *rules;
	size_t n_rules;
	struct mg_enum action; /**< enum mg_authz_action; default ALLOW */
	struct mg_authz_provider provider;
};

/* ------------------------------------------------------------------ */
/* Resources and the whole config                                      */

struct mg_istio_gateway {
	struct mg_istio_meta meta;
	struct mg_gw_spec spec;
};

struct mg_istio_virtual_service {
	struct mg_istio_meta meta;
	struct mg_vs_spec spec;
};

struct mg_istio_destination_rule {
	struct mg_istio_meta meta;
	struct mg_dr_spec spec;
};

struct mg_istio_service_entry {
	struct mg_istio_meta meta;
	struct mg_se_spec spec;
};

struct mg_istio_workload_entry {
	struct mg_istio_meta meta;
	struct mg_workload spec;
};

struct mg_istio_peer_authentication {
	struct mg_istio_meta meta;
	struct mg_pa_spec spec;
};

struct mg_istio_authorization_policy {
	struct mg_istio_meta meta;
	struct mg_authz_spec spec;
};

/**
 * Every resource of a config directory, in file order (files sorted by
 * name, documents in order).  Owns all its memory: the resource arrays are
 * heap arrays, everything inside them lives in the arena, and file names
 * (which positions point to) are in files[].  Free with
 * mg_istio_config_free().
 */
struct mg_istio_config {
	struct mg_arena *arena;
	char **files;
	size_t n_files;
	struct mg_istio_gateway *gateways;
	size_t n_gateways;
	struct mg_istio_virtual_service *virtual_services;
	size_t n_virtual_services;
	struct mg_istio_destination_rule *destination_rules;
	size_t n_destination_rules;
	struct mg_istio_service_entry *service_entries;
	size_t n_service_entries;
	struct mg_istio_workload_entry *workload_entries;
	size_t n_workload_entries;
	struct mg_istio_peer_authentication *peer_authentications;
	size_t n_peer_authentications;
	struct mg_istio_authorization_policy *authorization_policies;
	size_t n_authorization_policies;
};

#endif /* MG_CTRL_ISTIO_TYPES_H */
