/*
 * proxy_types.h — a worker's proxy runtime: the snapshot it serves, its own
 * load-balancing state per cluster, its upstream connection pools, its
 * requests in flight and its counters.  The API is in proxy.h.
 *
 * Everything here belongs to one worker and is touched only by its lcore:
 * a client connection, its requests and the upstream connections serving
 * them all live on the worker the client's packets arrive on.
 */
#ifndef MG_PROXY_TYPES_H
#define MG_PROXY_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "http/h1_types.h"
#include "proxy/lb.h"
#include "proxy/listener_types.h"

struct mg_worker;
struct mg_tcp_conn;
struct rte_mbuf;

/** Counters of one worker's proxy; one field per line of proxy_counters.def. */
struct mg_proxy_counters {
#define MG_PROXY_STAT(n, h) uint64_t n;
#include "proxy/proxy_counters.def"
};

/*
 * Counters of one listener, route, cluster or endpoint on one worker
 * (Envoy's per-scope stats): requests, their response classes, upstream
 * connections.  For a listener, "requests" are the client's and the class
 * is the status the client got; for a cluster and an endpoint, requests
 * sent upstream and the status the upstream answered, or the 502/504 the
 * gateway answered because of it.
 */
#define MG_PROXY_SCOPE_STATS(X)                                                       \
	X(rq_total, "requests")                                                       \
	X(rq_1xx, "responses 1xx (final status class)")                               \
	X(rq_2xx, "responses 2xx")                                                    \
	X(rq_3xx, "responses 3xx")                                                    \
	X(rq_4xx, "responses 4xx")                                                    \
	X(rq_5xx, "responses 5xx")                                                    \
	X(rq_timeout, "requests that hit the route timeout")                          \
	X(cx_total, "connections: accepted (listener) or opened (cluster, endpoint)") \
	X(cx_connect_fail, "upstream connections refused or reset before a response") \
	X(cx_reused, "requests sent on a kept-alive upstream connection")             \
	X(bytes_in, "request (and tunnel) bytes forwarded upstream")                  \
	X(bytes_out, "response (and tunnel) bytes forwarded to clients")

struct mg_proxy_scope {
#define X(n, h) uint64_t n;
	MG_PROXY_SCOPE_STATS(X)
#undef X
};

struct mg_hcm;
struct mg_upc;

LIST_HEAD(mg_upc_list, mg_upc);
TAILQ_HEAD(mg_hcm_list, mg_hcm);

/** One cluster as a worker sees it: balancing state and idle connections per endpoint. */
struct mg_proxy_cluster {
	const struct mg_cluster *cl;
	struct mg_lb_state lb;
	struct mg_upc_list *idle; /**< per endpoint: kept-alive connections, most recent first */
	uint32_t *n_idle;         /**< per endpoint */
	struct mg_proxy_scope st; /**< this cluster's counters */
	struct mg_proxy_scope *ep_st; /**< per endpoint */
};

/*
 * Upstream connections kept idle per endpoint at most: as many as Envoy's
 * default circuit breaker lets a cluster open (1024).  64 made a burst of
 * more than 64 concurrent requests to one endpoint throw connections away
 * and open new ones on every burst (half the throughput at 100 clients).
 */
#define MG_PROXY_MAX_IDLE 1024
/** Mirror copies one request may have in flight (route and virtual host policies). */
#define MG_PROXY_MAX_SHADOWS 2
/**
 * Request bytes a shadow may owe its upstream before it is dropped (it never
 * slows the request).
 */
#define MG_PROXY_SHADOW_MAX_HELD (256u * 1024)

/*
 * One config snapshot as a worker serves it: the snapshot, the worker's
 * balancing state, pools and counters for its clusters, its listeners' and
 * routes' counters.  The newest is the worker's current one (pw->cur): new
 * client connections and each new request on a kept-alive one use it.
 * Older ones drain: a client connection mid-request, or whose listener the
 * new config removed, and upstream connections serving a request, hold
 * theirs (refs) until they end; the last one out frees it.  The worker then
 * tells the control core which snapshots it still holds (w->snap_held_min),
 * so the control core frees a snapshot only when no worker holds it.
 */
struct mg_proxy_gen {
	const struct mg_snapshot *snap;
	struct mg_proxy_cluster *clusters; /**< snap->n_clusters, same order */
	struct mg_proxy_scope *lst;        /**< snap->n_listeners, same order */
	struct mg_proxy_scope *rst;        /**< snap->n_route_stats, by mg_route_entry.stat_idx */
	uint32_t refs;                     /**< client and upstream connections on it */
	uint64_t retired_epoch;            /**< dp->stats_epoch when it stopped being current */
	LIST_ENTRY(mg_proxy_gen) link;     /**< on pw->draining once replaced */
	LIST_HEAD(, mg_hcm) hcms;          /**< client connections on it (each holds a ref) */
};

LIST_HEAD(mg_proxy_gen_list, mg_proxy_gen);

/** One worker's proxy. */
struct mg_proxy_worker {
	struct mg_worker *w;
	struct mg_proxy_gen *cur;           /**< the newest snapshot: what new work uses */
	struct mg_proxy_gen_list draining;  /**< replaced ones still held by connections */
	struct mg_proxy_gen_list graveyard; /**< drained, freed once no counter read can see them */
	bool stopping;                      /**< mg_proxy_worker_stop frees the generations */
	struct mg_hcm_list active;          /**< requests with a deadline, oldest first */
	uint64_t rng;                       /**< xorshift: weighted splits, request ids */
	uint32_t next_check_ms;
	struct mg_h1_counters h1;
	struct mg_proxy_counters cnt;
	/* Gauges, for the memory accounting in /stats: objects alive now. */
	uint64_t hcm_live; /**< client connections' managers (struct mg_hcm) */
	uint64_t upc_live; /**< upstream connections, pooled or busy (struct mg_upc) */
};

#endif /* MG_PROXY_TYPES_H */
