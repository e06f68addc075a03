/*
 * stats_types.h — a point-in-time copy of the gateway's counters, as the
 * admin API serves them.  API in stats.h.
 *
 * The control core fills a snapshot from the running workers (relaxed loads,
 * see mg_common.h) and from the ports, then renders it; rendering reads only
 * the snapshot, so tests build one by hand without DPDK.
 *
 * TCP counters and per-state connection counts are copied only from workers
 * whose TCP layer is set up (w->tcp != NULL); tcp_on says so, per worker and
 * for the snapshot, and the renderings show TCP only when it is on.
 */
#ifndef MG_STATS_TYPES_H
#define MG_STATS_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "core/worker_types.h"
#include "net/net_types.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"

/** One worker's TCP counters, indexed by MG_TCP_IDX_*, and its connections by state. */
struct mg_stats_tcp {
	uint64_t cnt[MG_TCP_N_COUNTERS]; /**< in mg_tcp_counter_descs order */
	uint64_t conns[MG_TCP_N_STATES]; /**< gauges, indexed by enum mg_tcp_state */
};

/** One worker's proxy counters, indexed by MG_PROXY_IDX_*. */
struct mg_stats_proxy {
	uint64_t cnt[MG_PROXY_N_COUNTERS]; /**< in mg_proxy_counter_descs order */
};

/** One port's device counters. */
struct mg_stats_port {
	char name[32];           /**< interface name from the bootstrap, e.g. "client" */
	uint16_t port_id;        /**< DPDK port id */
	struct rte_eth_stats st; /**< as rte_eth_stats_get() returned them */
	int err;                 /**< 0, or the -errno rte_eth_stats_get() failed with */
};

/** One worker's counters. */
struct mg_stats_worker {
	uint16_t idx;             /**< worker index (its queue id) */
	unsigned lcore;           /**< the lcore it runs on */
	struct mg_net_counters c; /**< its L2/L3 counters */
	bool tcp_on;              /**< its TCP layer is set up; tcp is meaningful */
	struct mg_stats_tcp tcp;  /**< its TCP counters (zero unless tcp_on) */
	bool proxy_on;            /**< it serves a snapshot; proxy is meaningful */
	struct mg_stats_proxy proxy;
};

/**
 * The proxy's per-listener, per-cluster and per-endpoint counters summed
 * over the workers, with the snapshot that names them (it lives as long as
 * the gateway).  Heap arrays: mg_stats_release() frees them.
 */
struct mg_stats_scoped {
	const struct mg_snapshot *snap; /**< NULL: no proxy, nothing here */
	struct mg_proxy_scope *lst;     /**< snap->n_listeners */
	struct mg_proxy_scope *rt;      /**< snap->n_route_stats */
	struct mg_proxy_scope *cl;      /**< snap->n_clusters */
	struct mg_proxy_scope *ep;      /**< every cluster's endpoints, cluster by cluster */
};

/** Everything /stats and /metrics show, read at one moment. */
struct mg_stats_snapshot {
	unsigned n_workers;
	struct mg_stats_worker w[MG_MAX_WORKERS];
	struct mg_net_counters total; /**< the sum over w[] */
	bool tcp_on;                  /**< some worker has TCP (then /stats and /metrics show it) */
	struct mg_stats_tcp tcp_total; /**< the sum of w[].tcp over the workers with tcp_on */
	bool proxy_on;                 /**< some worker serves a snapshot */
	struct mg_stats_proxy proxy_total;
	struct mg_stats_scoped scoped;
	unsigned n_ports;
	struct mg_stats_port ports[MG_MAX_IFACES];
	uint64_t uptime_s; /**< seconds since the process started */
	/*
	 * Memory accounting: the gateway's per-connection state (sizes of its
	 * structures times the objects alive), the mbufs in use in the workers'
	 * pools, and the process's resident set (VmRSS).
	 */
	struct {
		uint64_t tcp_conn_bytes, tcp_conns;           /**< struct mg_tcp_conn, in use */
		uint64_t http_conn_bytes, http_conns;         /**< struct mg_hcm, alive */
		uint64_t upstream_conn_bytes, upstream_conns; /**< struct mg_upc, alive */
		uint64_t mbufs_in_use, mbuf_bytes;            /**< over the workers' pools */
		uint64_t rss_bytes;
	} mem;
};

#endif /* MG_STATS_TYPES_H */
