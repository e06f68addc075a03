/*
 * compile.h — the snapshot compiler: xDS messages in, the data plane's
 * immutable structures out.
 *
 * This is the one place that knows both Envoy's API (the protobuf-c messages
 * of proto/) and the data plane's types.  Static resources from the bootstrap
 * and resources from an xDS stream come through the same functions, so they
 * are validated and behave the same.  A resource the data plane cannot honour
 * — a field meshgate does not implement yet included — is rejected with the
 * path to the field, never half-applied: nothing that fails compilation ever
 * reaches a worker.
 */
#ifndef MG_XDS_COMPILE_H
#define MG_XDS_COMPILE_H

#include <stddef.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "proxy/cluster_types.h"
#include "proxy/listener_types.h"
#include "proxy/route_types.h"

/** Envoy's route timeout when a route sets none (RouteAction.timeout). */
#define MG_ROUTE_DEFAULT_TIMEOUT_MS 15000

/**
 * Compile a RouteConfiguration.
 * @param rc   the resource
 * @param out  set to the new table (free with mg_route_table_free())
 * @param err  on failure: "virtual_hosts[0].routes[2].match.safe_regex.regex:
 *             invalid regex at offset 3: ..." and the like
 * @return 0; -EINVAL (invalid or unsupported; err says which field), -ENOMEM
 */
int mg_route_compile(const Envoy__Config__Route__V3__RouteConfiguration *rc,
                     struct mg_route_table **out, char *err, size_t errlen);

/** Envoy's connect_timeout default. */
#define MG_CLUSTER_DEFAULT_CONNECT_TIMEOUT_MS 5000
/** Envoy's ring_hash_lb_config defaults. */
#define MG_RING_MIN_DEFAULT 1024
#define MG_RING_MAX_DEFAULT (8u * 1024 * 1024)
/** Envoy's maglev_lb_config default table size (a prime). */
#define MG_MAGLEV_DEFAULT_SIZE 65537

/**
 * Compile a Cluster with its endpoints.
 * @param cl   the resource: type STATIC (endpoints in load_assignment) or EDS
 * @param cla  the endpoints of an EDS cluster (ClusterLoadAssignment), or
 *             NULL to use cl->load_assignment
 * @param out  set to the new cluster (free with mg_cluster_free())
 * @param err  on failure: "load_assignment.endpoints[0].lb_endpoints[1]
 *             .endpoint.address.socket_address.address: ..." and the like
 * @return 0; -EINVAL (invalid or unsupported; err says which field), -ENOMEM
 */
int mg_cluster_compile(const Envoy__Config__Cluster__V3__Cluster *cl,
                       const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla,
                       struct mg_cluster **out, char *err, size_t errlen);

/** Free a cluster from mg_cluster_compile() (NULL is fine). */
void mg_cluster_free(struct mg_cluster *cl);

/**
 * Compile a Listener: one filter chain with an HTTP connection manager (HTTP
 * filters ending in the router; routes inline or by RDS name) or a TCP proxy.
 * @param out  set to the new listener (free with mg_listener_free())
 * @return 0; -EINVAL (err says which field), -ENOMEM
 */
int mg_listener_compile(const Envoy__Config__Listener__V3__Listener *l, struct mg_listener **out,
                        char *err, size_t errlen);

/** Free a listener from mg_listener_compile() (NULL is fine). */
void mg_listener_free(struct mg_listener *l);

/** The resources a snapshot is compiled from (borrowed, not freed). */
struct mg_resources {
	Envoy__Config__Listener__V3__Listener **listeners;
	size_t n_listeners;
	Envoy__Config__Cluster__V3__Cluster **clusters;
	size_t n_clusters;
	/** EDS: endpoints by cluster_name (STATIC clusters carry their own) */
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment **endpoints;
	size_t n_endpoints;
	/** RDS: route configurations by name */
	Envoy__Config__Route__V3__RouteConfiguration **routes;
	size_t n_routes;
};

/**
 * Compile a whole snapshot.  Every resource must compile; names must be
 * unique (listeners, clusters, route configurations); no two listeners may
 * share a port on overlapping addresses; every cluster a route, a mirror or a
 * TCP proxy names must exist, and every RDS name.
 * @param version  carried in the snapshot (the xDS version, or 1 for static)
 * @param err      "<path>: why", the path from the lists of r, e.g.
 *                 "clusters[2].load_assignment.endpoints[0]...: why" or
 *                 "listeners[0].filter_chains[0].filters[0].typed_config
 *                 .route_config.virtual_hosts[0].routes[1].route.cluster:
 *                 unknown cluster \"x\""
 * @return 0; -EINVAL; -ENOMEM
 */
int mg_snapshot_compile(const struct mg_resources *r, uint64_t version, struct mg_snapshot **out,
                        char *err, size_t errlen);

/** Free a snapshot and everything in it (NULL is fine). */
void mg_snapshot_free(struct mg_snapshot *s);

/** The cluster called name, or NULL (binary search). */
const struct mg_cluster *mg_snapshot_cluster(const struct mg_snapshot *s, struct mg_rstr name);

/** The route configuration called name, or NULL. */
const struct mg_route_table *mg_snapshot_routes(const struct mg_snapshot *s, struct mg_rstr name);

#endif /* MG_XDS_COMPILE_H */
