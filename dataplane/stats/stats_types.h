/*
 * stats_types.h — a point-in-time copy of the gateway's counters, as the
 * admin API serves them.  API in stats.h.
 *
 * The control core fills a snapshot from the running workers (relaxed loads,
 * see mg_common.h) and from the ports, then renders it; rendering reads only
 * the snapshot, so tests build one by hand without DPDK.
 */
#ifndef MG_STATS_TYPES_H
#define MG_STATS_TYPES_H

#include <stdint.h>

#include <rte_ethdev.h>

#include "core/worker_types.h"
#include "net/net_types.h"

/** One port's device counters. */
struct mg_stats_port {
	char name[32];		 /**< interface name from the bootstrap, e.g. "client" */
	uint16_t port_id;	 /**< DPDK port id */
	struct rte_eth_stats st; /**< as rte_eth_stats_get() returned them */
	int err;		 /**< 0, or the -errno rte_eth_stats_get() failed with */
};

/** One worker's counters. */
struct mg_stats_worker {
	uint16_t idx;		  /**< worker index (its queue id) */
	unsigned lcore;		  /**< the lcore it runs on */
	struct mg_net_counters c; /**< its L2/L3 counters */
};

/** Everything /stats and /metrics show, read at one moment. */
struct mg_stats_snapshot {
	unsigned n_workers;
	struct mg_stats_worker w[MG_MAX_WORKERS];
	struct mg_net_counters total; /**< the sum over w[] */
	unsigned n_ports;
	struct mg_stats_port ports[MG_MAX_IFACES];
	uint64_t uptime_s; /**< seconds since the process started */
};

#endif /* MG_STATS_TYPES_H */
