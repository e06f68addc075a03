/*
 * listener_types.h — a compiled listener and the config snapshot that holds
 * everything the workers serve.
 *
 * A listener accepts TCP connections on an address and port and hands them to
 * its one network filter: the HTTP connection manager (HTTP/1.1 requests
 * routed by a route table) or the TCP proxy (bytes relayed to a cluster).
 * Listeners, clusters and route tables are compiled from xDS resources
 * (xds/compile.h) and gathered in a struct mg_snapshot, which is what the
 * control core publishes to the workers (core/publish.h): immutable, read by
 * every worker at once, freed after the last one moved to the next snapshot.
 */
#ifndef MG_PROXY_LISTENER_TYPES_H
#define MG_PROXY_LISTENER_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/cluster_types.h"
#include "proxy/route_types.h"

enum mg_listener_kind {
	MG_LISTENER_HTTP, /**< envoy.filters.network.http_connection_manager */
	MG_LISTENER_TCP,  /**< envoy.filters.network.tcp_proxy */
};

/** HttpConnectionManager settings the connection manager honours. */
struct mg_http_opts {
	uint32_t max_request_headers_kb; /**< 60 (Envoy's default) */
	bool use_remote_address;
	bool skip_xff_append;
	bool generate_request_id; /**< true by default, as in Envoy */
	bool preserve_external_request_id;
	bool always_set_request_id_in_response;
	struct mg_rstr server_name;     /**< the Server header of local replies ("meshgate") */
	struct mg_rstr via;             /**< empty: no Via header */
	const struct mg_rstr *upgrades; /**< upgrade_configs that are enabled (lowered types) */
	uint32_t n_upgrades;
};

/** One destination of a TCP proxy's weighted split. */
struct mg_l4_wcluster {
	struct mg_rstr cluster;
	uint32_t weight, upto;
};

struct mg_tcp_proxy_cfg {
	struct mg_rstr cluster; /**< one cluster; empty when weighted */
	const struct mg_l4_wcluster *wc;
	uint32_t n_wc, wc_total;
};

struct mg_listener {
	struct mg_rstr name;
	struct mg_rstr stat_prefix;
	uint32_t addr;  /**< network order; 0: any of our addresses */
	uint16_t port;  /**< host order */
	uint8_t kind;   /**< enum mg_listener_kind */
	uint32_t idx;   /**< its place in the snapshot's listeners (per-listener counters) */
	const char *cc; /**< congestion control of accepted connections; NULL: the worker's */
	/* HTTP: an inline route table (owned), or the name of an RDS one. */
	struct mg_route_table *routes;
	struct mg_rstr rds_name;
	const struct mg_route_table *rds_table; /**< the snapshot's table rds_name (not owned) */
	struct mg_http_opts http;
	struct mg_tcp_proxy_cfg tcp;
	struct mg_arena *arena; /**< owns everything above except routes */
};

/** Everything the workers serve, as one immutable version. */
struct mg_snapshot {
	uint64_t version;
	/*
	 * Publication order, set by the control core just before it publishes
	 * (1, 2, ...): workers report the oldest one they still hold
	 * (w->snap_held_min) and the control core frees older retired ones.
	 */
	uint64_t seq;
	struct mg_listener **listeners;
	uint32_t n_listeners;
	struct mg_cluster **clusters; /**< sorted by name */
	uint32_t n_clusters;
	struct mg_route_table **routes; /**< named route tables (RDS), sorted by name */
	uint32_t n_routes;
	/*
	 * Every route of every table numbered for per-route counters: the
	 * listeners' inline tables in listener order, then the named ones in
	 * routes[] order; virtual hosts and routes in their order within.
	 */
	uint32_t n_route_stats;
};

#endif /* MG_PROXY_LISTENER_TYPES_H */
