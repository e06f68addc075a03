/*
 * worker.h — the worker poll loop and its helpers.
 *
 * One worker per lcore.  Each iteration: receive a burst from every port
 * queue the worker owns, run it through the L2/L3 path (net.h), send what was
 * staged, run timers when due, drain the control ring, report a quiescent
 * state (RCU), and back off when idle (adaptive mode).
 */
#ifndef MG_WORKER_H
#define MG_WORKER_H

#include "core/worker_types.h"
#include "core/msg_types.h"

/** Port ops that call rte_eth_rx_burst/rte_eth_tx_burst on (port_id, worker idx). */
extern const struct mg_port_ops mg_port_ops_ethdev;

/**
 * Set up worker idx of dp: its mempool, rings and neighbour table.
 *
 * @param dp        the runtime (net conf filled in)
 * @param idx       worker index
 * @param lcore_id  the lcore it will run on
 * @param n_mbufs   size of its mbuf pool
 * @return the worker, or NULL with errno set (ENOMEM, EEXIST)
 */
struct mg_worker *mg_worker_create(struct mg_dp *dp, uint16_t idx, unsigned lcore_id,
                                   unsigned n_mbufs);

/**
 * Free a worker created by mg_worker_create(); its lcore must have returned.
 */
void mg_worker_destroy(struct mg_worker *w);

/**
 * The lcore entry point (rte_eal_remote_launch); arg is the struct mg_worker.
 * Returns 0 when dp->stop is set.
 */
int mg_worker_main(void *arg);

/**
 * Run one iteration of w's poll loop on the calling lcore: adopt a newly
 * published snapshot, receive a burst on every interface and run it through
 * the L2/L3/TCP/proxy path, drain the control and hand-off rings, run due
 * timers, flush staged frames.  mg_worker_main() calls it in its loop; the
 * in-process benchmark (tools/bench/inproc) calls it for several workers in
 * turn.  No RCU report, no idle back-off: the caller's business.
 *
 * @return frames and messages handled (0: the iteration was idle)
 */
unsigned mg_worker_poll_once(struct mg_worker *w);

/**
 * Stage frame m for sending on interface iface; sent at the end of this
 * iteration or as soon as MG_BURST frames are staged.  Takes ownership of m.
 */
void mg_worker_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m);

/** Send every staged frame now.  Frames the port refuses are freed and counted. */
void mg_worker_flush(struct mg_worker *w);

/**
 * Send a message to the control core.
 *
 * @return 0, or -ENOBUFS if the ring is full
 */
int mg_worker_send(struct mg_worker *w, const struct mg_msg *msg);

/**
 * Send a message from the control core to worker w.
 *
 * @return 0, or -ENOBUFS if the ring is full
 */
int mg_ctl_send(struct mg_worker *w, const struct mg_msg *msg);

/**
 * Receive one message from worker w on the control core.
 *
 * @return 0 with *msg filled, or -EAGAIN if the ring is empty
 */
int mg_ctl_recv(struct mg_worker *w, struct mg_msg *msg);

/**
 * Adopt the config snapshot published in w->dp->snapshots, on w's own lcore
 * (it opens the snapshot's listeners on w's TCP stack).  The worker loop
 * calls it every iteration, before anything else uses w->proxy; it costs one
 * atomic load and a compare when nothing changed.  Exposed for tests.
 *
 * - nothing published, or the one w serves: nothing to do;
 * - w serves none yet: mg_proxy_worker_start(w, snap); the outcome is
 *   recorded for the control core (mg_worker_snapshot_status), a failure
 *   is logged and that snapshot is not tried again;
 * - w already serves another one: live replacement is not supported yet;
 *   logged once at WARNING, w keeps serving its current snapshot;
 * - NULL published (unpublished): w keeps serving its current snapshot.
 *
 * @return 1 if it started serving or failed to (work done), 0 otherwise
 */
int mg_worker_adopt_config(struct mg_worker *w);

/**
 * Whether worker w adopted snapshot s; for the control core (any core).
 *
 * @return 1 if w serves s, -errno if w could not serve it, 0 if w has not
 *         acted on it (yet)
 */
int mg_worker_snapshot_status(const struct mg_worker *w, const struct mg_snapshot *s);

/** Milliseconds to TSC ticks at dp's TSC rate. */
static inline uint64_t mg_ms_to_tsc(const struct mg_dp *dp, uint64_t ms)
{
	return ms * dp->tsc_hz / 1000;
}

#endif /* MG_WORKER_H */
