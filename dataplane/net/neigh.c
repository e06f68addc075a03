/*
 * neigh.c — the neighbour (ARP) cache: the table itself, resolution with a
 * bounded queue of waiting packets, learning, timers and the messages that
 * keep the workers' caches in step.
 *
 * The table is open addressing with linear probing on a multiplicative hash
 * of the address, sized for the tens of neighbours a gateway has on its
 * links.  Deletion shifts the rest of the probe chain back instead of leaving
 * tombstones, so lookups never slow down as entries come and go.  Rejected:
 * rte_hash, which is built for millions of keys and shared tables; ours is
 * private to one core and fits in a few cache lines per probe.
 */
#include <errno.h>
#include <string.h>

#include <rte_ether.h>

#include "net/net_pvt.h"

_Static_assert((MG_NEIGH_SLOTS & (MG_NEIGH_SLOTS - 1)) == 0, "MG_NEIGH_SLOTS is a power of two");

/*
 * Entries allowed in a table: linear probing gets long chains past ~7/8 load,
 * and a free slot must always remain so that a lookup miss terminates.
 */
#define MG_NEIGH_MAX_USED (MG_NEIGH_SLOTS - MG_NEIGH_SLOTS / 8)

static const char *const neigh_state_names[] = {
#define X(s) #s,
    MG_NEIGH_STATES(X)
#undef X
};

/* Home slot of addr: Fibonacci hashing, top bits of the product. */
static unsigned neigh_home(rte_be32_t addr)
{
	return (unsigned)(((uint32_t)addr * 2654435761u) >> (32 - __builtin_ctz(MG_NEIGH_SLOTS)));
}

static unsigned neigh_next(unsigned i)
{
	return (i + 1) & (MG_NEIGH_SLOTS - 1);
}

struct mg_neigh *mg_neigh_lookup(struct mg_neigh_table *t, rte_be32_t addr)
{
	unsigned i = neigh_home(addr);

	for (unsigned n = 0; n < MG_NEIGH_SLOTS; n++, i = neigh_next(i)) {
		struct mg_neigh *e = &t->slot[i];

		if (e->state == MG_NEIGH_FREE)
			return NULL;
		if (e->addr == addr)
			return e;
	}
	return NULL;
}

struct mg_neigh *mg_neigh_get(struct mg_neigh_table *t, rte_be32_t addr)
{
	unsigned i = neigh_home(addr);

	for (unsigned n = 0; n < MG_NEIGH_SLOTS; n++, i = neigh_next(i)) {
		struct mg_neigh *e = &t->slot[i];

		if (e->state != MG_NEIGH_FREE) {
			if (e->addr == addr)
				return e;
			continue;
		}
		if (t->n_used >= MG_NEIGH_MAX_USED)
			return NULL;
		memset(e, 0, sizeof(*e));
		e->addr = addr;
		e->state = MG_NEIGH_INCOMPLETE;
		t->n_used++;
		return e;
	}
	return NULL;
}

void mg_neigh_remove(struct mg_neigh_table *t, struct mg_neigh *e)
{
	unsigned hole = (unsigned)(e - t->slot);
	unsigned j = hole;

	RTE_ASSERT(hole < MG_NEIGH_SLOTS && e->state != MG_NEIGH_FREE);
	RTE_ASSERT(e->n_pending == 0);
	/*
	 * Walk the chain after the hole; an entry may move back into the hole
	 * unless its home lies cyclically in (hole, j], where it would then
	 * sit before its home and lookups starting there would miss it.
	 */
	for (;;) {
		unsigned home;

		j = neigh_next(j);
		if (t->slot[j].state == MG_NEIGH_FREE)
			break;
		home = neigh_home(t->slot[j].addr);
		if (((j - home) & (MG_NEIGH_SLOTS - 1)) < ((j - hole) & (MG_NEIGH_SLOTS - 1)))
			continue;
		t->slot[hole] = t->slot[j];
		hole = j;
	}
	memset(&t->slot[hole], 0, sizeof(t->slot[hole]));
	t->n_used--;
}

const char *mg_neigh_state_name(unsigned state)
{
	if (state >= MG_ARRAY_SIZE(neigh_state_names))
		return "UNKNOWN";
	return neigh_state_names[state];
}

/* Send e's queued packets, now that its MAC is known. */
static void neigh_send_pending(struct mg_worker *w, struct mg_neigh *e)
{
	const struct mg_iface *ifc = &w->net->ifaces[e->iface];

	for (unsigned i = 0; i < e->n_pending; i++) {
		struct rte_mbuf *m = e->pending[i];
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		eh->dst_addr = e->mac;
		eh->src_addr = ifc->mac;
		mg_worker_tx(w, e->iface, m);
		e->pending[i] = NULL;
	}
	e->n_pending = 0;
}

/* Free e's queued packets, counting each as unresolved. */
static void neigh_drop_pending(struct mg_worker *w, struct mg_neigh *e)
{
	for (unsigned i = 0; i < e->n_pending; i++) {
		mg_net_drop(e->pending[i], &w->cnt.drop_arp_unresolved);
		e->pending[i] = NULL;
	}
	e->n_pending = 0;
}

void mg_neigh_learn(struct mg_worker *w, uint8_t iface, rte_be32_t addr,
                    const struct rte_ether_addr *mac, bool announce)
{
	struct mg_neigh *e = mg_neigh_get(&w->neigh, addr);
	struct mg_msg msg;

	if (e == NULL || e->state == MG_NEIGH_STATIC)
		return;
	e->mac = *mac;
	e->iface = iface;
	e->state = MG_NEIGH_REACHABLE;
	e->probes = 0;
	e->used = 0;
	e->deadline_tsc = w->now + mg_ms_to_tsc(w->dp, w->net->arp_reachable_ms);
	mg_cnt_add(&w->cnt.arp_learned, 1);
	neigh_send_pending(w, e);
	if (!announce)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.type = MG_MSG_NEIGH_LEARNED;
	msg.worker = w->idx;
	msg.u.neigh.addr = addr;
	msg.u.neigh.mac = *mac;
	msg.u.neigh.iface = iface;
	/* A full ring only delays the others: they resolve it themselves. */
	(void)mg_worker_send(w, &msg);
}

struct mg_neigh *mg_neigh_resolve(struct mg_worker *w, uint8_t iface, rte_be32_t addr)
{
	struct mg_neigh *e = mg_neigh_get(&w->neigh, addr);

	if (e == NULL)
		return NULL;
	RTE_ASSERT(e->state == MG_NEIGH_INCOMPLETE && e->probes == 0);
	e->iface = iface;
	e->probes = 1;
	e->deadline_tsc = w->now + mg_ms_to_tsc(w->dp, w->net->arp_retrans_ms);
	/* If no mbuf is free the timer sends the next probe; the entry stays. */
	(void)mg_arp_send_request(w, iface, addr);
	return e;
}

int mg_neigh_output(struct mg_worker *w, uint8_t iface, rte_be32_t nh, struct rte_mbuf *m)
{
	struct mg_neigh *e = mg_neigh_lookup(&w->neigh, nh);

	if (likely(e != NULL && (e->state == MG_NEIGH_REACHABLE || e->state == MG_NEIGH_STATIC))) {
		rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = e->mac;
		e->used = 1;
		mg_worker_tx(w, iface, m);
		return 0;
	}
	if (e == NULL) {
		e = mg_neigh_resolve(w, iface, nh);
		if (unlikely(e == NULL)) {
			mg_net_drop(m, &w->cnt.drop_arp_unresolved);
			return -ENOBUFS;
		}
	}
	if (unlikely(e->n_pending >= MG_NEIGH_PENDING_MAX)) {
		mg_net_drop(m, &w->cnt.drop_arp_pending_full);
		return -ENOBUFS;
	}
	e->pending[e->n_pending++] = m;
	return 0;
}

void mg_neigh_flush(struct mg_worker *w)
{
	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++) {
		struct mg_neigh *e = &w->neigh.slot[i];

		for (unsigned k = 0; k < e->n_pending; k++)
			rte_pktmbuf_free(e->pending[k]);
	}
	memset(&w->neigh, 0, sizeof(w->neigh));
}

void mg_net_handle_msg(struct mg_worker *w, const struct mg_msg *msg)
{
	uint8_t iface = msg->u.neigh.iface;
	rte_be32_t addr = msg->u.neigh.addr;

	if (iface >= w->net->n_ifaces || addr == 0 || mg_net_local_iface(w->net, addr) >= 0)
		return;
	switch (msg->type) {
	case MG_MSG_NEIGH_UPDATE:
		if (rte_is_valid_assigned_ether_addr(&msg->u.neigh.mac))
			mg_neigh_learn(w, iface, addr, &msg->u.neigh.mac, false);
		break;
	case MG_MSG_NEIGH_RESOLVE:
		if (mg_neigh_lookup(&w->neigh, addr) == NULL)
			(void)mg_neigh_resolve(w, iface, addr);
		break;
	default:
		break;
	}
}

/*
 * Probe again or give up on an INCOMPLETE entry whose deadline passed.
 * Returns true if the entry is to be removed.
 */
static bool neigh_timer_incomplete(struct mg_worker *w, struct mg_neigh *e)
{
	if (e->probes < w->net->arp_max_probes) {
		e->probes++;
		e->deadline_tsc = w->now + mg_ms_to_tsc(w->dp, w->net->arp_retrans_ms);
		(void)mg_arp_send_request(w, e->iface, e->addr);
		return false;
	}
	neigh_drop_pending(w, e);
	return true;
}

/*
 * Refresh a REACHABLE entry before it expires: in the last quarter of its
 * reachable time, up to arp_max_probes requests one retrans interval apart,
 * so that the answer renews it while packets keep flowing.  Without this a
 * busy connection's neighbour expired mid-transfer every reachable time and
 * the frames sent while it was resolved again queued, then dropped
 * (drop_arp_pending_full), costing the transfer a retransmission timeout.
 * e->probes counts these refreshes.
 */
static void neigh_refresh(struct mg_worker *w, struct mg_neigh *e)
{
	const struct mg_net_conf *nc = w->net;
	int64_t quarter = (int64_t)mg_ms_to_tsc(w->dp, nc->arp_reachable_ms) / 4;
	int64_t retrans = (int64_t)mg_ms_to_tsc(w->dp, nc->arp_retrans_ms);
	int64_t left = (int64_t)(e->deadline_tsc - w->now);

	if (e->probes >= nc->arp_max_probes)
		return;
	if (left > 0 && left <= quarter - e->probes * retrans) {
		e->probes++;
		mg_cnt_add(&w->cnt.arp_refreshed, 1);
		(void)mg_arp_send_request(w, e->iface, e->addr);
	}
}

/*
 * Entries worth refreshing: those a packet used since they were confirmed,
 * and on worker 0 the configured next hops even when idle, so that traffic
 * towards an upstream never waits for ARP.
 */
static void neigh_refresh_all(struct mg_worker *w)
{
	const struct mg_net_conf *nc = w->net;

	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++) {
		struct mg_neigh *e = &w->neigh.slot[i];

		if (e->state == MG_NEIGH_REACHABLE && e->used)
			neigh_refresh(w, e);
	}
	if (w->idx != 0)
		return;
	for (unsigned i = 0; i < nc->n_routes; i++) {
		struct mg_neigh *e;

		if (nc->routes[i].via == 0)
			continue;
		e = mg_neigh_lookup(&w->neigh, nc->routes[i].via);
		if (e != NULL && e->state == MG_NEIGH_REACHABLE && !e->used)
			neigh_refresh(w, e);
	}
}

void mg_net_timer(struct mg_worker *w)
{
	/*
	 * Removal shifts entries backwards, which could make a walk over the
	 * slots see an entry twice (or skip one) when a chain wraps around
	 * the end; so collect first and remove after the walk.
	 */
	rte_be32_t dead[MG_NEIGH_SLOTS];
	unsigned n_dead = 0;

	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++) {
		struct mg_neigh *e = &w->neigh.slot[i];

		if (e->state != MG_NEIGH_INCOMPLETE && e->state != MG_NEIGH_REACHABLE)
			continue;
		if (!mg_tsc_due(w->now, e->deadline_tsc))
			continue;
		if (e->state == MG_NEIGH_INCOMPLETE) {
			if (neigh_timer_incomplete(w, e))
				dead[n_dead++] = e->addr;
		} else {
			mg_cnt_add(&w->cnt.arp_expired, 1);
			dead[n_dead++] = e->addr;
		}
	}
	for (unsigned i = 0; i < n_dead; i++)
		mg_neigh_remove(&w->neigh, mg_neigh_lookup(&w->neigh, dead[i]));
	neigh_refresh_all(w);
}

void mg_net_worker_start(struct mg_worker *w)
{
	const struct mg_net_conf *nc = w->net;

	for (unsigned i = 0; i < nc->n_static; i++) {
		struct mg_neigh *e = mg_neigh_get(&w->neigh, nc->statics[i].addr);

		if (e == NULL) {
			MG_LOG(ERR, "worker %u: neighbour table full loading static neighbours",
			       w->idx);
			break;
		}
		e->state = MG_NEIGH_STATIC;
		e->mac = nc->statics[i].mac;
		e->iface = nc->statics[i].iface;
	}
	/* One worker announces and resolves; the others learn it by message. */
	if (w->idx != 0)
		return;
	for (unsigned i = 0; i < nc->n_ifaces; i++)
		(void)mg_arp_send_gratuitous(w, (uint8_t)i);
	for (unsigned i = 0; i < nc->n_routes; i++) {
		const struct mg_route *r = &nc->routes[i];

		if (r->via != 0 && mg_neigh_lookup(&w->neigh, r->via) == NULL)
			(void)mg_neigh_resolve(w, r->iface, r->via);
	}
}
