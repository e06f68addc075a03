/*
 * route_types.h — a compiled route table: Envoy's RouteConfiguration turned
 * into what the router walks for every request.
 *
 * A table is built once, by mg_route_compile() (dataplane/xds/compile_route.c,
 * the one place that reads the xDS messages), and is immutable afterwards: it
 * is published to the workers inside a config snapshot and freed only after
 * every worker has moved on (RCU, core/publish.h).  Everything a table points
 * to lives in its own arena, so freeing is one call and lookups never chase
 * memory owned by someone else.  Strings are NUL-terminated and carry their
 * length; strings matched without case are stored lowered.  Cluster names
 * stay names here: the snapshot resolves them to clusters.
 *
 * The API is in route.h.
 */
#ifndef MG_PROXY_ROUTE_TYPES_H
#define MG_PROXY_ROUTE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_regex;

/** A string with its length (bytes, NUL not counted). */
struct mg_rstr {
	const char *s;
	uint32_t len;
};

/** How a string matcher compares (envoy.type.matcher.v3.StringMatcher). */
enum mg_sm_kind { MG_SM_EXACT, MG_SM_PREFIX, MG_SM_SUFFIX, MG_SM_CONTAINS, MG_SM_REGEX };

struct mg_str_matcher {
	uint8_t kind; /**< enum mg_sm_kind */
	bool ignore_case;
	struct mg_rstr v;    /**< the literal (lowered when ignore_case) */
	struct mg_regex *re; /**< MG_SM_REGEX */
};

/** A header condition (HeaderMatcher). */
struct mg_hdrmatch {
	struct mg_rstr name; /**< lowered */
	bool present_only;   /**< present_match: presence decides */
	bool present;        /**< present_match's value */
	bool invert;
	bool missing_as_empty;
	struct mg_str_matcher sm; /**< when !present_only */
};

/** A query-parameter condition (QueryParameterMatcher). */
struct mg_querymatch {
	struct mg_rstr name;
	bool present_only;
	struct mg_str_matcher sm;
};

/** What adding a header does when the request already has it (HeaderAppendAction). */
enum mg_hdr_action {
	MG_HDR_APPEND_OR_ADD,       /**< another value after the existing ones (default) */
	MG_HDR_ADD_IF_ABSENT,       /**< leave an existing header alone */
	MG_HDR_OVERWRITE_OR_ADD,    /**< replace an existing header */
	MG_HDR_OVERWRITE_IF_EXISTS, /**< replace, but never add */
};

/** One header to add (HeaderValueOption). */
struct mg_hdr_add {
	struct mg_rstr name; /**< lowered */
	struct mg_rstr value;
	uint8_t action;  /**< enum mg_hdr_action */
	bool keep_empty; /**< add even when the value is empty */
};

/** Header edits of one level (route configuration, virtual host, route, cluster). */
struct mg_hdr_ops {
	const struct mg_hdr_add *add;
	const struct mg_rstr *remove; /**< lowered names */
	uint32_t n_add, n_remove;
};

enum mg_path_kind { MG_PATH_PREFIX, MG_PATH_EXACT, MG_PATH_REGEX, MG_PATH_SEPARATED_PREFIX };

enum mg_route_kind {
	MG_ROUTE_CLUSTER,        /**< one named cluster */
	MG_ROUTE_WEIGHTED,       /**< weighted clusters, drawn per request */
	MG_ROUTE_CLUSTER_HEADER, /**< the cluster a request header names */
	MG_ROUTE_REDIRECT,
	MG_ROUTE_DIRECT, /**< direct response */
};

/** One destination of a weighted split. */
struct mg_wcluster {
	struct mg_rstr cluster;
	uint32_t weight;
	uint32_t upto;               /**< running total including this one: draw < upto picks it */
	struct mg_rstr host_rewrite; /**< empty: none */
	struct mg_hdr_ops req_hdrs, resp_hdrs;
};

struct mg_redirect {
	struct mg_rstr scheme;         /**< empty: keep the request's */
	struct mg_rstr host;           /**< empty: keep */
	uint32_t port;                 /**< 0: keep */
	struct mg_rstr path;           /**< path_redirect; empty: keep */
	struct mg_rstr prefix_rewrite; /**< replaces the matched prefix; empty: none */
	bool has_prefix_rewrite;
	uint16_t code; /**< 301, 302, 303, 307 or 308 */
	bool strip_query;
};

struct mg_mirror {
	struct mg_rstr cluster;
	uint32_t per_million; /**< share of requests mirrored */
};

/** What a route's hash policy keys on (RouteAction.hash_policy) for RING_HASH and MAGLEV. */
enum mg_hash_kind {
	MG_HASH_NONE,
	MG_HASH_HEADER,    /**< a request header's value */
	MG_HASH_COOKIE,    /**< a cookie's value */
	MG_HASH_SOURCE_IP, /**< the downstream address */
};

/** A route: conditions, then what to do. */
struct mg_route_entry {
	struct mg_rstr name;
	uint32_t stat_idx; /**< its counters' place in the snapshot (mg_snapshot.n_route_stats) */
	/* Conditions, all of which must hold. */
	uint8_t path_kind; /**< enum mg_path_kind */
	bool path_ignore_case;
	struct mg_rstr path; /**< prefix or exact path (lowered when ignoring case) */
	struct mg_regex *path_re;
	uint32_t per_million; /**< runtime_fraction: share of requests that may match */
	const struct mg_hdrmatch *hdrs;
	const struct mg_querymatch *query;
	uint32_t n_hdrs, n_query;
	/* Action. */
	uint8_t kind;           /**< enum mg_route_kind */
	struct mg_rstr cluster; /**< MG_ROUTE_CLUSTER: name; CLUSTER_HEADER: header (lowered) */
	const struct mg_wcluster *wc;
	uint32_t n_wc, wc_total;
	struct mg_rstr wc_random_header; /**< draw from this header's value; empty: random */
	struct mg_redirect redirect;
	uint16_t direct_status;
	struct mg_rstr direct_body;
	uint16_t not_found_status; /**< cluster_not_found_response_code: 503, 404 or 500 */
	bool has_prefix_rewrite;
	struct mg_rstr prefix_rewrite;
	struct mg_rstr host_rewrite;        /**< literal; empty: none */
	struct mg_rstr host_rewrite_header; /**< lowered; empty: none */
	bool auto_host_rewrite;
	uint32_t timeout_ms; /**< 0: none (Envoy's default is 15 s, set by the compiler) */
	const struct mg_mirror *mirrors;
	uint32_t n_mirrors;
	uint8_t hash_kind;       /**< enum mg_hash_kind */
	struct mg_rstr hash_key; /**< header (lowered) or cookie name */
	struct mg_hdr_ops req_hdrs, resp_hdrs;
};

/** How a virtual-host domain matches the request's authority. */
enum mg_domain_kind {
	MG_DOMAIN_EXACT,  /**< "example.com" or "example.com:8080" */
	MG_DOMAIN_SUFFIX, /**< "*.example.com": the part after '*' */
	MG_DOMAIN_PREFIX, /**< "example.*": the part before '*' */
	MG_DOMAIN_ANY,    /**< "*" */
};

struct mg_domain {
	struct mg_rstr v; /**< lowered, without the '*' */
	uint8_t kind;     /**< enum mg_domain_kind */
	uint32_t vhost;   /**< index in mg_route_table.vhosts */
};

struct mg_vhost {
	struct mg_rstr name;
	const struct mg_route_entry *routes;
	uint32_t n_routes;
	struct mg_hdr_ops req_hdrs, resp_hdrs;
	const struct mg_mirror *mirrors;
	uint32_t n_mirrors;
};

struct mg_arena;

/** A compiled RouteConfiguration. */
struct mg_route_table {
	struct mg_rstr name;
	const struct mg_vhost *vhosts;
	uint32_t n_vhosts;
	/*
	 * Every domain of every virtual host, in the order they are tried:
	 * exact ones, then suffix wildcards longest first, then prefix
	 * wildcards longest first, then "*" — Envoy's precedence.
	 */
	const struct mg_domain *domains;
	uint32_t n_domains;
	struct mg_hdr_ops req_hdrs, resp_hdrs;
	struct mg_arena *arena;    /**< owns everything above */
	struct mg_regex **regexes; /**< every regex, freed with the table */
	uint32_t n_regexes;
};

#endif /* MG_PROXY_ROUTE_TYPES_H */
