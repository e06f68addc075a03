/*
 * link.c — in-memory Ethernet links between the benchmark's workers.
 *
 * A struct mg_port_ops over rte_ring pairs rather than net_ring vdevs
 * (rte_eth_from_rings): the workers run exactly the path above the port
 * layer that the gateway runs on a NIC (mg_net_input, TCP, the proxy,
 * mg_worker_flush), while the rx/tx themselves cost one ring operation and
 * no ethdev indirection, so the instructions counted are the gateway's,
 * not a driver's.  A real NIC's driver cost is measured by the l3 section.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "inproc.h"
#include "net/net.h"

/* Ring sizes: far above what one poll round can put in flight. */
#define MGB_LINK_RING 8192
#define MGB_CTL_RING  64
#define MGB_HAND_RING 64

uint64_t mgb_link_drops;

static struct mgb_node *node_of(struct mg_worker *w)
{
	return (struct mgb_node *)((char *)w - offsetof(struct mgb_node, w));
}

static uint16_t link_rx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_ring *r = node_of(w)->rx[iface];

	return r == NULL ? 0 : (uint16_t)rte_ring_sc_dequeue_burst(r, (void **)pkts, n, NULL);
}

static uint16_t link_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_ring *r = node_of(w)->tx[iface];
	uint16_t sent;

	if (r == NULL)
		return 0;
	sent = (uint16_t)rte_ring_sp_enqueue_burst(r, (void **)pkts, n, NULL);
	mgb_link_drops += n - sent; /* mg_worker_flush frees and counts the rest */
	return sent;
}

const struct mg_port_ops mgb_link_ops = {.rx_burst = link_rx, .tx_burst = link_tx};

static struct rte_ring *ring(const char *name, const char *what, unsigned size)
{
	char full[RTE_RING_NAMESIZE];

	snprintf(full, sizeof(full), "mgb_%s_%s", name, what);
	return rte_ring_create(full, size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/*
 * Built by hand rather than with mg_worker_create(): every node must be
 * worker 0 of its own runtime (see inproc.h), and mg_worker_create names
 * its pool and rings after the index, so three of them would collide.
 */
int mgb_node_init(struct mgb_node *n, const char *name, unsigned n_mbufs)
{
	struct mg_worker *w = &n->w;
	char pname[RTE_MEMPOOL_NAMESIZE];

	memset(w, 0, sizeof(*w));
	w->idx = 0;
	w->lcore_id = rte_lcore_id();
	w->dp = &n->dp;
	w->net = &n->dp.net;
	w->port_ops = &mgb_link_ops;
	w->snap_held_min = UINT64_MAX;
	n->dp.n_workers = 1;
	n->dp.workers[0] = w;
	n->dp.idle = MG_IDLE_BUSY;
	n->dp.tsc_hz = rte_get_tsc_hz();
	snprintf(pname, sizeof(pname), "mgb_pool_%s", name);
	w->pool = rte_pktmbuf_pool_create(pname, n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  (int)rte_socket_id());
	w->to_worker = rte_ring_create_elem(pname, sizeof(struct mg_msg), MGB_CTL_RING,
	                                    (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(pname, sizeof(pname), "mgb_w2c_%s", name);
	w->to_ctl = rte_ring_create_elem(pname, sizeof(struct mg_msg), MGB_CTL_RING,
	                                 (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->handoff = ring(name, "hand", MGB_HAND_RING);
	if (w->pool == NULL || w->to_worker == NULL || w->to_ctl == NULL || w->handoff == NULL)
		return rte_errno ? -rte_errno : -ENOMEM;
	return 0;
}

void mgb_node_fini(struct mgb_node *n)
{
	struct mg_worker *w = &n->w;

	mg_worker_flush(w);
	mg_neigh_flush(w);
	for (unsigned i = 0; i < MG_MAX_IFACES; i++) {
		void *m;

		while (n->rx[i] != NULL && rte_ring_dequeue(n->rx[i], &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(n->rx[i]);
		n->rx[i] = NULL;
	}
	rte_ring_free(w->to_worker);
	rte_ring_free(w->to_ctl);
	rte_ring_free(w->handoff);
}

int mgb_link(struct mgb_node *a, uint8_t ia, struct mgb_node *b, uint8_t ib, const char *name)
{
	a->rx[ia] = ring(name, "a", MGB_LINK_RING);
	b->rx[ib] = ring(name, "b", MGB_LINK_RING);
	if (a->rx[ia] == NULL || b->rx[ib] == NULL)
		return rte_errno ? -rte_errno : -ENOMEM;
	a->tx[ia] = b->rx[ib];
	b->tx[ib] = a->rx[ia];
	return 0;
}
