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
#include "envoy/config/route/v3/route.pb-c.h"
#include "proxy/cluster_types.h"
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

#endif /* MG_XDS_COMPILE_H */
