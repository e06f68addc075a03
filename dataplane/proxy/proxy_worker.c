/*
 * proxy_worker.c — a worker serving a snapshot (proxy.h): listeners opened
 * on the worker's TCP stack, per-cluster balancing state, the TCP proxy's
 * accept, timers, counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "proxy/proxy.h"
#include "tcp/tcp.h"

const struct mg_proxy_counter_desc mg_proxy_counter_descs[] = {
#define MG_PROXY_STAT(n, h) {#n, h},
#include "proxy/proxy_counters.def"
};

/* The cluster's index in the snapshot, or -1 (names are sorted). */
static int find_cluster(const struct mg_snapshot *s, struct mg_rstr name)
{
	for (uint32_t i = 0; i < s->n_clusters; i++)
		if (s->clusters[i]->name.len == name.len &&
		    memcmp(s->clusters[i]->name.s, name.s, name.len) == 0)
			return (int)i;
	return -1;
}

static uint64_t rand_next(struct mg_proxy_worker *pw)
{
	uint64_t x = pw->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return pw->rng = x;
}

/*
 * A client on a TCP proxy listener: a cluster (drawn by weight when there
 * are several), an endpoint by the cluster's policy (source IP as the key for
 * the hash policies), and a relay to it.
 */
static void *tcp_proxy_accept(void *arg, struct mg_tcp_conn *c)
{
	const struct mg_listener *l = arg;
	struct mg_proxy_worker *pw = mg_proxy_of(c->tw->w);
	const struct mg_tcp_proxy_cfg *p = &l->tcp;
	struct mg_rstr name = p->cluster;
	const struct mg_endpoint *e;
	struct mg_proxy_cluster *pc;
	struct mg_proxy_gen *g;
	int ci, ep;

	if (pw == NULL)
		return NULL;
	g = pw->cur; /* the listener's ctx is always the current snapshot's */
	mg_cnt_add(&pw->cnt.tcp_proxy_cx_total, 1);
	mg_cnt_add(&g->lst[l->idx].cx_total, 1);
	if (p->n_wc > 0) {
		uint32_t d = (uint32_t)(rand_next(pw) % p->wc_total);

		for (uint32_t i = 0; i < p->n_wc; i++)
			if (d < p->wc[i].upto) {
				name = p->wc[i].cluster;
				break;
			}
	}
	ci = find_cluster(g->snap, name);
	if (ci < 0) {
		mg_cnt_add(&pw->cnt.upstream_rq_no_cluster, 1);
		return NULL;
	}
	pc = &g->clusters[ci];
	ep = mg_lb_pick(&pc->lb, mg_xxh64(&c->raddr, sizeof(c->raddr), 0), 1);
	if (ep < 0) {
		mg_cnt_add(&pw->cnt.upstream_rq_no_healthy, 1);
		return NULL;
	}
	e = &pc->cl->eps[ep];
	mg_cnt_add(&pw->cnt.upstream_cx_total, 1);
	mg_cnt_add(&pc->st.cx_total, 1);
	mg_cnt_add(&pc->ep_st[ep].cx_total, 1);
	/* The relay copies what it needs (address, port, congestion control
	 * by name, timeout): it holds nothing of the snapshot. */
	return mg_tcp_forward_open(c, e->addr, e->port, pc->cl->cc, pc->cl->connect_timeout_ms);
}

/* The lowest publication number among the snapshots pw still holds. */
static void held_update(struct mg_proxy_worker *pw)
{
	uint64_t min = pw->cur != NULL ? pw->cur->snap->seq : UINT64_MAX;
	struct mg_proxy_gen *g;

	LIST_FOREACH(g, &pw->draining, link)
		if (g->snap->seq < min)
			min = g->snap->seq;
	LIST_FOREACH(g, &pw->graveyard, link)
		if (g->snap->seq < min)
			min = g->snap->seq;
	__atomic_store_n(&pw->w->snap_held_min, min, __ATOMIC_RELEASE);
}

static void gen_free(struct mg_proxy_gen *g)
{
	for (uint32_t i = 0; g->clusters != NULL && i < g->snap->n_clusters; i++) {
		mg_lb_fini(&g->clusters[i].lb);
		free(g->clusters[i].idle);
		free(g->clusters[i].n_idle);
		free(g->clusters[i].ep_st);
	}
	free(g->clusters);
	free(g->lst);
	free(g->rst);
	free(g);
}

static struct mg_proxy_gen *gen_new(struct mg_proxy_worker *pw, const struct mg_snapshot *s)
{
	struct mg_proxy_gen *g = calloc(1, sizeof(*g));
	int rc = 0;

	if (g == NULL)
		return NULL;
	g->snap = s;
	LIST_INIT(&g->hcms);
	g->clusters = calloc(s->n_clusters ? s->n_clusters : 1, sizeof(*g->clusters));
	g->lst = calloc(s->n_listeners ? s->n_listeners : 1, sizeof(*g->lst));
	g->rst = calloc(s->n_route_stats ? s->n_route_stats : 1, sizeof(*g->rst));
	if (g->clusters == NULL || g->lst == NULL || g->rst == NULL)
		rc = -ENOMEM;
	for (uint32_t i = 0; rc == 0 && i < s->n_clusters; i++) {
		struct mg_proxy_cluster *pc = &g->clusters[i];
		uint32_t n = s->clusters[i]->n_eps ? s->clusters[i]->n_eps : 1;

		pc->cl = s->clusters[i];
		pc->idle = calloc(n, sizeof(*pc->idle));
		pc->n_idle = calloc(n, sizeof(*pc->n_idle));
		pc->ep_st = calloc(n, sizeof(*pc->ep_st));
		if (pc->idle == NULL || pc->n_idle == NULL || pc->ep_st == NULL)
			rc = -ENOMEM;
		else
			rc = mg_lb_init(&pc->lb, pc->cl, rand_next(pw) | 1);
		for (uint32_t k = 0; rc == 0 && k < n; k++)
			LIST_INIT(&pc->idle[k]);
	}
	if (rc != 0) {
		gen_free(g);
		return NULL;
	}
	return g;
}

static bool rstr_eq(struct mg_rstr a, struct mg_rstr b)
{
	return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

/*
 * Counters survive a new config for what it keeps: listeners by name,
 * clusters by name and their endpoints by address, so /metrics never goes
 * backwards for them (Envoy keeps the stats of a cluster that an update
 * keeps).  What connections still draining on the old snapshot count after
 * this is lost; per-route counters start again (routes have no stable
 * identity across configs).
 */
static void gen_carry_counters(struct mg_proxy_gen *to, const struct mg_proxy_gen *from)
{
	const struct mg_snapshot *ns = to->snap, *os = from->snap;

	for (uint32_t i = 0; i < ns->n_listeners; i++)
		for (uint32_t k = 0; k < os->n_listeners; k++)
			if (rstr_eq(ns->listeners[i]->name, os->listeners[k]->name)) {
				to->lst[i] = from->lst[k];
				break;
			}
	for (uint32_t i = 0; i < ns->n_clusters; i++) {
		int k = find_cluster(os, ns->clusters[i]->name);
		const struct mg_cluster *nc = ns->clusters[i], *oc;

		if (k < 0)
			continue;
		oc = os->clusters[k];
		to->clusters[i].st = from->clusters[k].st;
		for (uint32_t e = 0; e < nc->n_eps; e++)
			for (uint32_t f = 0; f < oc->n_eps; f++)
				if (nc->eps[e].addr == oc->eps[f].addr &&
				    nc->eps[e].port == oc->eps[f].port) {
					to->clusters[i].ep_st[e] = from->clusters[k].ep_st[f];
					break;
				}
	}
}

static const struct mg_listener *listener_on(const struct mg_snapshot *s, uint32_t addr,
                                             uint16_t port)
{
	for (uint32_t i = 0; s != NULL && i < s->n_listeners; i++)
		if (s->listeners[i]->addr == addr && s->listeners[i]->port == port)
			return s->listeners[i];
	return NULL;
}

/* Open l on w's TCP stack (update: hand an open one to l's config). */
static int listener_attach(struct mg_worker *w, const struct mg_listener *l, bool update)
{
	const struct mg_tcp_cbs *cbs =
	    l->kind == MG_LISTENER_HTTP ? &mg_hcm_cbs : &mg_tcp_forward_cbs;
	void *(*acc)(void *, struct mg_tcp_conn *) =
	    l->kind == MG_LISTENER_HTTP ? mg_hcm_accept : tcp_proxy_accept;
	int rc = update
	             ? mg_tcp_listener_update(w, l->addr, l->port, cbs, acc, (void *)(uintptr_t)l)
	             : mg_tcp_listen(w, l->addr, l->port, cbs, acc, (void *)(uintptr_t)l);

	if (rc == 0 && l->cc != NULL) {
		rc = mg_tcp_listener_set_cc(w, l->addr, l->port, l->cc);
		if (rc < 0 && !update) /* opened just now: not half-opened */
			(void)mg_tcp_unlisten(w, l->addr, l->port);
	}
	return rc;
}

static void listener_log_err(const struct mg_worker *w, const struct mg_listener *l, int rc)
{
	MG_LOG(ERR, "worker %u: listener %.*s on port %u: %s", w->idx, (int)l->name.len, l->name.s,
	       l->port, strerror(-rc));
}

/* May a and b not both listen?  Same port on the same or a wildcard address. */
static bool listeners_collide(const struct mg_listener *a, const struct mg_listener *b)
{
	return a->port == b->port && (a->addr == b->addr || a->addr == 0 || b->addr == 0);
}

_Static_assert(MG_TCP_MAX_LISTENERS <= 64, "listeners_switch keeps old listeners in a bitmask");

/*
 * The old listeners that s removes and that stand in the way of opening l:
 * those that collide with it (rc -EADDRINUSE) or, for a full listener
 * table (rc -ENOSPC), all of them.
 */
static uint64_t removed_in_way(const struct mg_snapshot *old, const struct mg_snapshot *s,
                               const struct mg_listener *l, int rc)
{
	uint64_t m = 0;

	for (uint32_t i = 0; old != NULL && i < old->n_listeners; i++) {
		const struct mg_listener *o = old->listeners[i];

		if (listener_on(s, o->addr, o->port) == NULL &&
		    (rc == -ENOSPC || listeners_collide(o, l)))
			m |= UINT64_C(1) << i;
	}
	return m;
}

/*
 * Move w's listeners from old (NULL at start) to the snapshot s: open the
 * ones on a new address and port first — the only step that can fail (a
 * port the TCP services use, the listener table full), undone then — and
 * only after that hand the kept ones to the new config and close the
 * removed ones.  A kept listener never closes: no SYN meets a closed port.
 *
 * Old listeners the change removes close early when they are in the way of
 * a new one: one whose address changes on a port it keeps (0.0.0.0:80 ->
 * 198.18.0.1:80 cannot both listen) or, with the table full, all of them.
 * The worker polls nothing in between, so no SYN meets a closed port then
 * either; their half-open connections are reset (rst_out_unlisten) as they
 * would be at the end.  An undo opens them again.
 */
static int listeners_switch(struct mg_worker *w, const struct mg_snapshot *old,
                            const struct mg_snapshot *s)
{
	uint64_t early = 0; /* old listeners closed before the end (bit i: old->listeners[i]) */
	uint32_t opened = 0;
	int rc = 0;

	for (; opened < s->n_listeners; opened++) {
		const struct mg_listener *l = s->listeners[opened];
		uint64_t way;

		if (listener_on(old, l->addr, l->port) != NULL)
			continue;
		rc = listener_attach(w, l, false);
		way =
		    rc == -EADDRINUSE || rc == -ENOSPC ? removed_in_way(old, s, l, rc) & ~early : 0;
		if (way != 0) {
			for (uint32_t i = 0; i < old->n_listeners; i++)
				if (way & (UINT64_C(1) << i))
					(void)mg_tcp_unlisten(w, old->listeners[i]->addr,
					                      old->listeners[i]->port);
			early |= way;
			rc = listener_attach(w, l, false);
		}
		if (rc < 0) {
			listener_log_err(w, l, rc);
			break;
		}
	}
	if (rc < 0) {
		while (opened-- > 0) {
			const struct mg_listener *l = s->listeners[opened];

			if (listener_on(old, l->addr, l->port) == NULL)
				(void)mg_tcp_unlisten(w, l->addr, l->port);
		}
		/* Their ports and slots are free again: this cannot fail. */
		for (uint32_t i = 0; old != NULL && i < old->n_listeners; i++)
			if (early & (UINT64_C(1) << i))
				(void)listener_attach(w, old->listeners[i], false);
		return rc;
	}
	for (uint32_t i = 0; i < s->n_listeners; i++) {
		const struct mg_listener *l = s->listeners[i];

		if (listener_on(old, l->addr, l->port) != NULL)
			(void)listener_attach(w, l, true); /* exists: cannot fail */
	}
	for (uint32_t i = 0; old != NULL && i < old->n_listeners; i++) {
		const struct mg_listener *l = old->listeners[i];

		if (!(early & (UINT64_C(1) << i)) && listener_on(s, l->addr, l->port) == NULL)
			(void)mg_tcp_unlisten(w, l->addr, l->port);
	}
	return 0;
}

/*
 * May g's state be freed?  The control core reads counters through pw->cur
 * with dp->stats_epoch odd.  g stopped being pw->cur when retired_epoch was
 * read: if no read was in progress then (even), none can reach g; otherwise
 * the one in progress has ended once the epoch moved on.
 */
static bool gen_unread(const struct mg_proxy_worker *pw, const struct mg_proxy_gen *g)
{
	return (g->retired_epoch & 1) == 0 ||
	       __atomic_load_n(&pw->w->dp->stats_epoch, __ATOMIC_ACQUIRE) != g->retired_epoch;
}

void mg_proxy_gen_put(struct mg_proxy_worker *pw, struct mg_proxy_gen *g)
{
	if (--g->refs > 0 || g == pw->cur || pw->stopping)
		return;
	LIST_REMOVE(g, link);
	mg_cnt_add(&pw->cnt.config_drained, 1);
	if (gen_unread(pw, g)) {
		gen_free(g);
		held_update(pw);
	} else {
		LIST_INSERT_HEAD(&pw->graveyard, g, link); /* mg_proxy_poll frees it */
	}
}

/* Free what the control core can no longer be reading. */
static void graveyard_sweep(struct mg_proxy_worker *pw)
{
	struct mg_proxy_gen *g, *next;
	bool freed = false;

	for (g = LIST_FIRST(&pw->graveyard); g != NULL; g = next) {
		next = LIST_NEXT(g, link);
		if (gen_unread(pw, g)) {
			LIST_REMOVE(g, link);
			gen_free(g);
			freed = true;
		}
	}
	if (freed)
		held_update(pw);
}

int mg_proxy_worker_start(struct mg_worker *w, const struct mg_snapshot *s)
{
	struct mg_proxy_worker *pw = w->proxy;
	struct mg_proxy_gen *g, *old;
	bool first = pw == NULL;
	int rc;

	if (first) {
		pw = calloc(1, sizeof(*pw));
		if (pw == NULL)
			return -ENOMEM;
		pw->w = w;
		pw->rng = rte_rdtsc() ^ ((uint64_t)w->idx << 32) ^ 0x9e3779b97f4a7c15ULL;
		TAILQ_INIT(&pw->active);
		LIST_INIT(&pw->draining);
		LIST_INIT(&pw->graveyard);
	}
	g = gen_new(pw, s);
	if (g == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	old = pw->cur;
	rc = listeners_switch(w, old != NULL ? old->snap : NULL, s);
	if (rc < 0) {
		gen_free(g);
		goto fail;
	}
	/* Both read by the control core's counter collection (stats_epoch). */
	__atomic_store_n(&w->proxy, pw, __ATOMIC_RELEASE);
	__atomic_store_n(&pw->cur, g, __ATOMIC_SEQ_CST);
	if (old != NULL) {
		old->retired_epoch = __atomic_load_n(&w->dp->stats_epoch, __ATOMIC_SEQ_CST);
		gen_carry_counters(g, old);
		mg_cnt_add(&pw->cnt.config_updates, 1);
		/* Pooled connections of the old config close now; busy ones
		 * close when their response ends (mg_upc release). */
		LIST_INSERT_HEAD(&pw->draining, old, link);
		old->refs++; /* held while its pools move or close; freed below if that was all */
		mg_upc_adopt_pools(pw, g, old);
		mg_upc_drain_gen(pw, old);
		mg_hcm_follow_idle(old);
		mg_proxy_gen_put(pw, old);
	}
	held_update(pw);
	return 0;
fail:
	if (first)
		free(pw);
	return rc;
}

void mg_proxy_worker_stop(struct mg_worker *w)
{
	struct mg_proxy_worker *pw = w->proxy;
	struct mg_proxy_gen *g;

	if (pw == NULL)
		return;
	/* After mg_tcp_worker_fini: every connection told its layer it closed.
	 * What is left are pools; the generations are freed here, not by put. */
	pw->stopping = true;
	mg_upc_drain_gen(pw, pw->cur);
	while ((g = LIST_FIRST(&pw->draining)) != NULL) {
		mg_upc_drain_gen(pw, g);
		LIST_REMOVE(g, link);
		gen_free(g);
	}
	while ((g = LIST_FIRST(&pw->graveyard)) != NULL) {
		LIST_REMOVE(g, link);
		gen_free(g);
	}
	gen_free(pw->cur);
	w->proxy = NULL;
	__atomic_store_n(&w->snap_held_min, UINT64_MAX, __ATOMIC_RELEASE);
	free(pw);
}

void mg_proxy_poll(struct mg_worker *w)
{
	struct mg_proxy_worker *pw = w->proxy;
	uint32_t now = w->tcp->now_ms;

	if ((int32_t)(now - pw->next_check_ms) < 0)
		return;
	pw->next_check_ms = now + 1;
	if (unlikely(!LIST_EMPTY(&pw->graveyard)))
		graveyard_sweep(pw);
	if (!TAILQ_EMPTY(&pw->active))
		mg_hcm_expire(pw, now);
}
