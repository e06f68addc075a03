/*
 * lb.h — client-side load balancing over a compiled cluster.
 *
 * The cluster (cluster_types.h) is shared and immutable; struct mg_lb_state is
 * one worker's view of it: where its round robin stands, how many of its
 * requests each endpoint is serving.  Workers balance independently, as
 * Envoy's do, so nothing here is shared between cores.
 *
 * Which endpoints are eligible: the lowest priority level that has a healthy
 * endpoint; if no level has one, the degraded ones; if none at all, nothing
 * (the proxy answers 503).  Hash policies (ring hash, Maglev) consult the
 * table built for all endpoints and walk on past an ineligible one, so a key
 * moves only when its own endpoint goes away.
 */
#ifndef MG_PROXY_LB_H
#define MG_PROXY_LB_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/cluster_types.h"

/** One worker's balancing state for one cluster. */
struct mg_lb_state {
	const struct mg_cluster *cl;
	uint32_t rr;       /**< unweighted round robin: next position */
	int64_t *current;  /**< smooth weighted round robin: per endpoint */
	uint32_t *active;  /**< requests in flight per endpoint (this worker's) */
	uint64_t rng;      /**< xorshift state for random choices */
	uint8_t *eligible; /**< per endpoint: may take new requests now */
	uint32_t *elig;    /**< the eligible endpoints' indices */
	uint32_t n_elig;
	uint64_t elig_weight; /**< sum of their weights */
};

/**
 * Set up st for cluster cl (allocates per-endpoint arrays with calloc).
 * @param seed  seeds the random choices (per worker)
 * @return 0 or -ENOMEM
 */
int mg_lb_init(struct mg_lb_state *st, const struct mg_cluster *cl, uint64_t seed);

/**
 * Recompute which endpoints are eligible (after health changes; mg_lb_init
 * does it once).
 */
void mg_lb_refresh(struct mg_lb_state *st);

/** Free what mg_lb_init allocated. */
void mg_lb_fini(struct mg_lb_state *st);

/**
 * Pick an endpoint.
 * @param hash  the request's hash (route hash policy); used by RING_HASH and
 *              MAGLEV only, which fall back to a random key when has_hash is 0
 * @return the endpoint index, or -EHOSTUNREACH when none is eligible
 */
int mg_lb_pick(struct mg_lb_state *st, uint64_t hash, int has_hash);

/** A request to endpoint ep started / ended (LEAST_REQUEST counts them). */
static inline void mg_lb_request_start(struct mg_lb_state *st, uint32_t ep)
{
	st->active[ep]++;
}

static inline void mg_lb_request_end(struct mg_lb_state *st, uint32_t ep)
{
	if (st->active[ep] > 0)
		st->active[ep]--;
}

/** xxHash64 of len bytes at p with seed (the ring and Maglev hash; Envoy's default). */
uint64_t mg_xxh64(const void *p, size_t len, uint64_t seed);

struct mg_arena;

/**
 * Build cl's hash ring (RING_HASH) in a: every endpoint gets points in
 * proportion to its weight (a power of two per unit), at least min_size
 * points in all unless that would pass max_size (Envoy's
 * ring_hash_lb_config; 1024 and 8M by default).  Points hash
 * "address:port_k" with xxHash64, as Envoy's do.
 * @return 0, -ENOMEM, -EINVAL (no endpoints)
 */
int mg_lb_build_ring(struct mg_cluster *cl, struct mg_arena *a, uint64_t min_size,
                     uint64_t max_size);

/**
 * Build cl's Maglev table (MAGLEV) of size entries (a prime; Envoy's default
 * 65537), weighted: an endpoint fills slots in proportion to its weight.
 * @return 0, -ENOMEM, -EINVAL (no endpoints, or size not prime)
 */
int mg_lb_build_maglev(struct mg_cluster *cl, struct mg_arena *a, uint32_t size);

/** Name of a policy ("ROUND_ROBIN", ...), or "?". */
const char *mg_lb_policy_name(unsigned lb);

#endif /* MG_PROXY_LB_H */
