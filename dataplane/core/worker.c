/*
 * worker.c — the worker lcore: poll loop, TX staging, control rings, idle
 * back-off.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "core/publish.h"
#include "core/worker.h"
#include "proxy/proxy.h"
#include "net/impair.h"
#include "net/net.h"
#include "tcp/tcp.h"

/** Size of each control ring, in messages. */
#define MG_WORKER_RING_SIZE 1024
/* Segments in flight between workers: a burst from each of a few workers. */
#define MG_WORKER_HANDOFF_SIZE 2048
/** How often the L2/L3 timers run. */
#define MG_WORKER_TIMER_MS 10
/** Empty polls before an adaptive worker starts pausing, then sleeping. */
#define MG_IDLE_SPIN_POLLS  64
#define MG_IDLE_PAUSE_POLLS 1024
/** Adaptive sleep grows from MIN to MAX microseconds while idle. */
#define MG_IDLE_SLEEP_MIN_US 10
#define MG_IDLE_SLEEP_MAX_US 1000

static uint16_t ethdev_rx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(w->net->ifaces[iface].port_id, w->idx, pkts, n);
}

static uint16_t ethdev_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(w->net->ifaces[iface].port_id, w->idx, pkts, n);
}

const struct mg_port_ops mg_port_ops_ethdev = {
    .rx_burst = ethdev_rx,
    .tx_burst = ethdev_tx,
};

struct mg_worker *mg_worker_create(struct mg_dp *dp, uint16_t idx, unsigned lcore_id,
                                   unsigned n_mbufs)
{
	char name[RTE_MEMZONE_NAMESIZE];
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	struct mg_worker *w;

	w = rte_zmalloc_socket("mg_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->idx = idx;
	w->lcore_id = lcore_id;
	w->dp = dp;
	w->net = &dp->net;
	w->port_ops = &mg_port_ops_ethdev;
	w->sleep_us = MG_IDLE_SLEEP_MIN_US;
	w->snap_held_min = UINT64_MAX;

	snprintf(name, sizeof(name), "mg_pool_w%u", idx);
	w->pool = rte_pktmbuf_pool_create(name, n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	snprintf(name, sizeof(name), "mg_ctl2w_%u", idx);
	w->to_worker = rte_ring_create_elem(name, sizeof(struct mg_msg), MG_WORKER_RING_SIZE,
	                                    socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "mg_w2ctl_%u", idx);
	w->to_ctl = rte_ring_create_elem(name, sizeof(struct mg_msg), MG_WORKER_RING_SIZE, socket,
	                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "mg_hand_%u", idx);
	w->handoff = rte_ring_create(name, MG_WORKER_HANDOFF_SIZE, socket, RING_F_SC_DEQ);
	if (w->pool == NULL || w->to_worker == NULL || w->to_ctl == NULL || w->handoff == NULL) {
		int err = rte_errno ? rte_errno : ENOMEM;

		mg_worker_destroy(w);
		errno = err;
		return NULL;
	}
	return w;
}

void mg_worker_destroy(struct mg_worker *w)
{
	if (w == NULL)
		return;
	rte_ring_free(w->to_worker);
	rte_ring_free(w->to_ctl);
	if (w->handoff != NULL) {
		void *m;

		while (rte_ring_dequeue(w->handoff, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->handoff);
	}
	rte_mempool_free(w->pool);
	rte_free(w);
}

void mg_worker_flush(struct mg_worker *w)
{
	for (unsigned i = 0; i < w->net->n_ifaces; i++) {
		struct mg_tx_stage *st = &w->tx[i];
		uint64_t bytes = 0;
		uint16_t sent;

		if (st->n == 0)
			continue;
		for (uint16_t k = 0; k < st->n; k++)
			bytes += st->pkts[k]->pkt_len;
		sent = w->port_ops->tx_burst(w, (uint8_t)i, st->pkts, st->n);
		for (uint16_t k = sent; k < st->n; k++) {
			bytes -= st->pkts[k]->pkt_len;
			rte_pktmbuf_free(st->pkts[k]);
		}
		mg_cnt_add(&w->cnt.tx_packets, sent);
		mg_cnt_add(&w->cnt.tx_bytes, bytes);
		if (unlikely(sent < st->n))
			mg_cnt_add(&w->cnt.drop_tx_full, st->n - sent);
		st->n = 0;
	}
}

void mg_worker_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m)
{
	struct mg_tx_stage *st = &w->tx[iface];

	st->pkts[st->n++] = m;
	if (unlikely(st->n == MG_BURST))
		mg_worker_flush(w);
}

int mg_worker_send(struct mg_worker *w, const struct mg_msg *msg)
{
	struct mg_msg copy = *msg; /* rte_ring's enqueue takes a non-const pointer */

	return rte_ring_enqueue_elem(w->to_ctl, &copy, sizeof(copy)) == 0 ? 0 : -ENOBUFS;
}

int mg_ctl_send(struct mg_worker *w, const struct mg_msg *msg)
{
	struct mg_msg copy = *msg;

	return rte_ring_enqueue_elem(w->to_worker, &copy, sizeof(copy)) == 0 ? 0 : -ENOBUFS;
}

int mg_ctl_recv(struct mg_worker *w, struct mg_msg *msg)
{
	return rte_ring_dequeue_elem(w->to_ctl, msg, sizeof(*msg)) == 0 ? 0 : -EAGAIN;
}

/* Messages from the control core; returns how many were handled. */
static unsigned worker_drain_ring(struct mg_worker *w)
{
	struct mg_msg msgs[MG_BURST];
	unsigned n =
	    rte_ring_dequeue_burst_elem(w->to_worker, msgs, sizeof(msgs[0]), MG_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct mg_msg *m = &msgs[i];

		switch (m->type) {
		case MG_MSG_NEIGH_UPDATE:
		case MG_MSG_NEIGH_RESOLVE:
			mg_net_handle_msg(w, m);
			break;
		case MG_MSG_PING:
			m->type = MG_MSG_PONG;
			m->worker = w->idx;
			(void)mg_worker_send(w, m);
			break;
		default:
			MG_LOG(WARNING, "worker %u: unexpected message type %u", w->idx, m->type);
			break;
		}
	}
	return n;
}

/*
 * Adaptive idle: spin briefly (a burst often follows a burst), then pause,
 * then sleep in doubling steps up to MG_IDLE_SLEEP_MAX_US (1 ms).  Sleeping caps
 * the added latency of the first packet after a quiet spell at that bound,
 * while an idle gateway wakes only ~1,000 times a second.  Rejected: RX
 * interrupts (rte_eth_dev_rx_intr_*), which af_packet and memif don't offer.
 */
static void worker_idle(struct mg_worker *w)
{
	w->idle_polls++;
	if (w->dp->idle == MG_IDLE_BUSY || w->idle_polls < MG_IDLE_SPIN_POLLS)
		return;
	if (w->idle_polls < MG_IDLE_PAUSE_POLLS) {
		rte_pause();
		return;
	}
	rte_delay_us_sleep(w->sleep_us);
	mg_cnt_add(&w->cnt.idle_sleeps, 1);
	if (w->sleep_us < MG_IDLE_SLEEP_MAX_US)
		w->sleep_us = RTE_MIN(w->sleep_us * 2, (uint32_t)MG_IDLE_SLEEP_MAX_US);
}

/* TCP segments other workers handed over (their connection lives here). */
static unsigned worker_drain_handoff(struct mg_worker *w)
{
	struct rte_mbuf *ms[MG_BURST];
	unsigned n = rte_ring_dequeue_burst(w->handoff, (void **)ms, MG_BURST, NULL);

	for (unsigned i = 0; i < n; i++)
		mg_tcp_handoff_input(w, ms[i]);
	return n;
}

/*
 * Config adoption.  Reading the publisher's pointer is an RCU read: it is
 * only valid until this worker's next quiescent-state report (the end of
 * this loop iteration).  The worker keeps using a snapshot after that as its
 * current config, or a draining one (w->proxy: listeners, connections and
 * per-cluster state point into it), which a grace period does not cover;
 * so the worker says which snapshots it still holds (w->snap_held_min,
 * stored in this same iteration by mg_proxy_worker_start and whenever a
 * draining one is let go) and the control core frees a retired snapshot
 * only once no worker holds it (app/meshgate/snapshots.c).  A pointer read
 * here that this worker does not adopt is only compared, never
 * dereferenced, after the iteration; snap_failed is likewise only compared.
 */
int mg_worker_adopt_config(struct mg_worker *w)
{
	const struct mg_snapshot *s = mg_publish_get(&w->dp->snapshots);
	const struct mg_proxy_worker *pw = mg_proxy_of(w);
	const struct mg_snapshot *cur = pw != NULL ? pw->cur->snap : NULL;
	int rc;

	if (likely(s == cur) || s == NULL)
		return 0; /* unchanged, or unpublished: keep serving what we serve */
	if (s == w->snap_failed)
		return 0; /* already failed on this one: do not retry every loop */
	/* The first snapshot, or a new one replacing the current one live. */
	rc = w->tcp == NULL ? -ENOTCONN : mg_proxy_worker_start(w, s);
	if (rc < 0) {
		MG_LOG(ERR, "worker %u: cannot serve config snapshot %" PRIu64 ": %s%s", w->idx,
		       s->version, strerror(-rc),
		       cur != NULL ? " (still serving the previous one)" : "");
		__atomic_store_n(&w->snap_err, rc, __ATOMIC_RELAXED);
		__atomic_store_n(&w->snap_failed, s, __ATOMIC_RELEASE);
		return 1;
	}
	__atomic_store_n(&w->snap_serving, s, __ATOMIC_RELEASE);
	return 1;
}

int mg_worker_snapshot_status(const struct mg_worker *w, const struct mg_snapshot *s)
{
	if (__atomic_load_n(&w->snap_serving, __ATOMIC_ACQUIRE) == s)
		return 1;
	if (__atomic_load_n(&w->snap_failed, __ATOMIC_ACQUIRE) == s)
		return __atomic_load_n(&w->snap_err, __ATOMIC_RELAXED);
	return 0;
}

/*
 * One poll iteration.  Exported (rather than kept inside mg_worker_main) so
 * tools/bench/inproc can drive several workers from one lcore in turn and
 * measure exactly the iteration the gateway runs; mg_worker_main adds only
 * the RCU report and the idle back-off around it.
 */
unsigned mg_worker_poll_once(struct mg_worker *w)
{
	struct rte_mbuf *pkts[MG_BURST];
	unsigned work = 0;

	w->now = rte_rdtsc();
	/* One atomic load and a compare unless a new snapshot was published. */
	work += (unsigned)mg_worker_adopt_config(w);
	for (unsigned i = 0; i < w->net->n_ifaces; i++) {
		uint16_t n = w->port_ops->rx_burst(w, (uint8_t)i, pkts, MG_BURST);

		if (n == 0)
			continue;
		mg_net_input(w, (uint8_t)i, pkts, n);
		work += n;
	}
	work += worker_drain_ring(w);
	work += worker_drain_handoff(w);
	if (w->now >= w->next_timer) {
		mg_net_timer(w);
		w->next_timer = w->now + mg_ms_to_tsc(w->dp, MG_WORKER_TIMER_MS);
	}
	if (w->tcp != NULL)
		mg_tcp_poll(w);
	if (w->proxy != NULL)
		mg_proxy_poll(w);
	if (unlikely(w->impair != NULL)) {
		mg_impair_poll(w);
		/* Frames wait for their release time: do not fall asleep on them. */
		if (mg_impair_busy(w))
			work++;
	}
	mg_worker_flush(w);
	return work;
}

int mg_worker_main(void *arg)
{
	struct mg_worker *w = arg;
	struct mg_dp *dp = w->dp;

	MG_LOG(INFO, "worker %u running on lcore %u", w->idx, w->lcore_id);
	rte_rcu_qsbr_thread_online(dp->qs, w->idx);
	w->now = rte_rdtsc();
	mg_net_worker_start(w);
	mg_worker_flush(w);
	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		unsigned work = mg_worker_poll_once(w);

		/* Nothing read from a published object survives this point. */
		rte_rcu_qsbr_quiescent(dp->qs, w->idx);
		if (work > 0) {
			mg_cnt_add(&w->cnt.loops_busy, 1);
			w->idle_polls = 0;
			w->sleep_us = MG_IDLE_SLEEP_MIN_US;
		} else {
			mg_cnt_add(&w->cnt.loops_idle, 1);
			worker_idle(w);
		}
	}
	mg_neigh_flush(w);
	for (unsigned i = 0; i < w->net->n_ifaces; i++) {
		rte_pktmbuf_free_bulk(w->tx[i].pkts, w->tx[i].n);
		w->tx[i].n = 0;
	}
	mg_impair_detach(w);
	rte_rcu_qsbr_thread_offline(dp->qs, w->idx);
	MG_LOG(INFO, "worker %u stopped", w->idx);
	return 0;
}
