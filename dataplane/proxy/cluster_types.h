/*
 * cluster_types.h — a compiled upstream cluster: its endpoints and the
 * immutable half of its load balancer (ring or Maglev table, weights).
 *
 * Built by mg_cluster_compile() (xds/compile.h) from an Envoy Cluster and its
 * ClusterLoadAssignment, published inside a config snapshot and read by every
 * worker at once; like a route table it lives in one arena.  What changes per
 * request (round-robin position, requests in flight per endpoint) is each
 * worker's own: struct mg_lb_state (lb.h), never shared, so picking takes no
 * lock and no atomic.
 */
#ifndef MG_PROXY_CLUSTER_TYPES_H
#define MG_PROXY_CLUSTER_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/route_types.h"

/** Load-balancing policies (Envoy's Cluster.LbPolicy that meshgate implements). */
#define MG_LB_POLICIES(X) \
	X(ROUND_ROBIN)    \
	X(LEAST_REQUEST)  \
	X(RANDOM)         \
	X(RING_HASH)      \
	X(MAGLEV)

enum mg_lb_policy {
#define X(p) MG_LBP_##p,
	MG_LB_POLICIES(X)
#undef X
	    MG_LBP_N_POLICIES
};

/** An endpoint's health as the control plane reported it (HealthStatus). */
enum mg_ep_health {
	MG_EP_HEALTHY,   /**< HEALTHY or UNKNOWN: takes traffic */
	MG_EP_DEGRADED,  /**< takes traffic only when no healthy endpoint is left */
	MG_EP_UNHEALTHY, /**< UNHEALTHY, DRAINING or TIMEOUT: no new requests */
};

struct mg_endpoint {
	uint32_t addr;    /**< IPv4, network order */
	uint16_t port;    /**< host order */
	uint8_t health;   /**< enum mg_ep_health */
	uint8_t priority; /**< 0 is tried first; higher ones are failover */
	uint32_t weight;  /**< load_balancing_weight, 1 by default */
	struct mg_rstr region, zone, sub_zone;
	struct mg_rstr name; /**< "198.18.1.2:8080", for stats and logs */
};

/** One point of a hash ring: the endpoint owning hashes up to and including hash. */
struct mg_ring_entry {
	uint64_t hash;
	uint32_t ep;
};

struct mg_arena;

struct mg_cluster {
	struct mg_rstr name;
	uint8_t lb; /**< enum mg_lb_policy */
	uint32_t connect_timeout_ms;
	uint32_t choice_count; /**< LEAST_REQUEST: endpoints compared per pick (2) */
	const char *cc; /**< congestion control of upstream connections; NULL: the worker's */
	const struct mg_endpoint *eps;
	uint32_t n_eps;
	bool weighted; /**< not every weight is the same */
	/* RING_HASH: entries sorted by hash.  MAGLEV: table of endpoint indices. */
	const struct mg_ring_entry *ring;
	uint32_t ring_size;
	const uint32_t *maglev;
	uint32_t maglev_size;
	struct mg_arena *arena; /**< owns everything above */
};

#endif /* MG_PROXY_CLUSTER_TYPES_H */
