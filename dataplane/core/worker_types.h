/*
 * worker_types.h — the per-lcore worker context and the data-plane runtime
 * that groups the workers.  API in worker.h.
 *
 * A struct mg_worker is written only by its own lcore (counters are read by
 * the control core with relaxed loads, see mg_common.h).  Everything another
 * core needs from a worker goes through its rings.
 */
#ifndef MG_WORKER_TYPES_H
#define MG_WORKER_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "core/publish_types.h"
#include "net/net_types.h"

#define MG_MAX_WORKERS 16

/** How an idle worker waits for packets. */
enum mg_idle_mode {
	MG_IDLE_BUSY,     /**< poll flat out (benchmarks) */
	MG_IDLE_ADAPTIVE, /**< pause, then sleep in growing steps while idle */
};

struct mg_worker;
struct mg_tcp_worker;   /* dataplane/tcp: per-worker TCP state */
struct mg_proxy_worker; /* dataplane/proxy: a worker serving a snapshot */
struct mg_impair;       /* dataplane/net/impair: the link impairment stage */
struct mg_snapshot;     /* dataplane/proxy/listener_types.h: a config snapshot */

/**
 * Port operations a worker uses for packet I/O.  The real ones call
 * rte_eth_rx_burst/tx_burst on (port, worker index); tests install their own
 * to feed and capture frames, and the impairment stage wraps them.
 */
struct mg_port_ops {
	/** Receive up to n frames from interface iface; returns how many. */
	uint16_t (*rx_burst)(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts,
	                     uint16_t n);
	/** Send up to n frames on interface iface; returns how many were taken. */
	uint16_t (*tx_burst)(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts,
	                     uint16_t n);
};

/** Frames staged for one interface, sent at the end of the poll iteration. */
struct mg_tx_stage {
	uint16_t n;
	struct rte_mbuf *pkts[MG_BURST];
};

/** One worker lcore's private state. */
struct mg_worker {
	uint16_t idx; /**< 0..n_workers-1; also its queue id on every port */
	unsigned lcore_id;
	struct mg_dp *dp;              /**< the runtime this worker belongs to */
	const struct mg_net_conf *net; /**< interfaces and routes (immutable) */
	const struct mg_port_ops *port_ops;
	struct rte_mempool *pool;   /**< this worker's mbufs (RX queues and replies) */
	struct rte_ring *to_worker; /**< control core → this worker (struct mg_msg) */
	struct rte_ring *to_ctl;    /**< this worker → control core */
	/**
	 * Other workers → this one: TCP segments (mbufs, m->port = the
	 * interface) of connections this worker opened, which the NIC's RSS or
	 * af_packet's fanout delivered elsewhere (tcp_input.c hands them over).
	 */
	struct rte_ring *handoff;
	uint64_t now;        /**< TSC at the start of this poll iteration */
	uint64_t next_timer; /**< TSC when mg_net_timer() next runs */
	uint32_t idle_polls; /**< consecutive empty iterations */
	uint32_t sleep_us;   /**< current adaptive sleep step */
	struct mg_tx_stage tx[MG_MAX_IFACES];
	struct mg_tcp_worker *tcp;     /**< TCP state, NULL until TCP is set up */
	struct mg_impair *impair;      /**< impairment stage, NULL when off */
	struct mg_proxy_worker *proxy; /**< the proxy serving a snapshot, NULL when none */
	/*
	 * Config adoption (mg_worker_adopt_config): written by this worker
	 * only, with release stores; the control core reads them with
	 * mg_worker_snapshot_status() and only compares the pointers, never
	 * dereferences them.
	 */
	const struct mg_snapshot *snap_serving; /**< the snapshot it serves; NULL: none */
	const struct mg_snapshot *snap_failed;  /**< the last one it could not serve */
	int snap_err;                           /**< why (-errno), set before snap_failed */
	/*
	 * The lowest mg_snapshot.seq among the snapshots this worker still
	 * uses (the one it serves and any that connections drain on), or
	 * UINT64_MAX for none: release stores by this worker, read by the
	 * control core to know which retired snapshots it may free.
	 */
	uint64_t snap_held_min;
	struct mg_net_counters cnt;
	struct mg_neigh_table neigh;
} __rte_cache_aligned;

/** The data-plane runtime: the workers and what they share read-only. */
struct mg_dp {
	struct mg_net_conf net;
	unsigned n_workers;
	struct mg_worker *workers[MG_MAX_WORKERS];
	struct rte_rcu_qsbr *qs; /**< workers report quiescent states here */
	/**
	 * The config snapshot (struct mg_snapshot) the workers are to serve:
	 * the control core publishes, each worker adopts it on its own lcore
	 * (mg_worker_adopt_config).  Initialised on qs by the gateway (main.c),
	 * which also decides who frees retired snapshots; see there.
	 */
	struct mg_publisher snapshots;
	/*
	 * Odd while the control core reads the workers' per-snapshot counters
	 * (mg_stats_collect_scoped) through w->proxy->cur.  A worker that
	 * replaced its current snapshot frees the old one's state only once no
	 * read that could have seen it is in progress (proxy_worker.c).
	 */
	uint64_t stats_epoch;
	enum mg_idle_mode idle;
	uint64_t tsc_hz;
	bool stop; /**< set by the control core; read atomically */
};

#endif /* MG_WORKER_TYPES_H */
