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
	int ci, ep;

	if (pw == NULL)
		return NULL;
	mg_cnt_add(&pw->cnt.tcp_proxy_cx_total, 1);
	mg_cnt_add(&pw->lst[l->idx].cx_total, 1);
	if (p->n_wc > 0) {
		uint32_t d = (uint32_t)(rand_next(pw) % p->wc_total);

		for (uint32_t i = 0; i < p->n_wc; i++)
			if (d < p->wc[i].upto) {
				name = p->wc[i].cluster;
				break;
			}
	}
	ci = find_cluster(pw->snap, name);
	if (ci < 0) {
		mg_cnt_add(&pw->cnt.upstream_rq_no_cluster, 1);
		return NULL;
	}
	ep = mg_lb_pick(&pw->clusters[ci].lb, mg_xxh64(&c->raddr, sizeof(c->raddr), 0), 1);
	if (ep < 0) {
		mg_cnt_add(&pw->cnt.upstream_rq_no_healthy, 1);
		return NULL;
	}
	e = &pw->clusters[ci].cl->eps[ep];
	mg_cnt_add(&pw->cnt.upstream_cx_total, 1);
	mg_cnt_add(&pw->clusters[ci].st.cx_total, 1);
	mg_cnt_add(&pw->clusters[ci].ep_st[ep].cx_total, 1);
	return mg_tcp_forward_open(c, e->addr, e->port, pw->clusters[ci].cl->cc,
	                           pw->clusters[ci].cl->connect_timeout_ms);
}

static void free_clusters(struct mg_proxy_worker *pw)
{
	for (uint32_t i = 0; pw->clusters != NULL && i < pw->snap->n_clusters; i++) {
		mg_lb_fini(&pw->clusters[i].lb);
		free(pw->clusters[i].idle);
		free(pw->clusters[i].n_idle);
		free(pw->clusters[i].ep_st);
	}
	free(pw->clusters);
	pw->clusters = NULL;
	free(pw->lst);
	pw->lst = NULL;
	free(pw->rst);
	pw->rst = NULL;
}

int mg_proxy_worker_start(struct mg_worker *w, const struct mg_snapshot *s)
{
	struct mg_proxy_worker *pw = calloc(1, sizeof(*pw));
	int rc = 0;

	if (pw == NULL)
		return -ENOMEM;
	pw->w = w;
	pw->snap = s;
	pw->rng = rte_rdtsc() ^ ((uint64_t)w->idx << 32) ^ 0x9e3779b97f4a7c15ULL;
	TAILQ_INIT(&pw->active);
	pw->clusters = calloc(s->n_clusters ? s->n_clusters : 1, sizeof(*pw->clusters));
	pw->lst = calloc(s->n_listeners ? s->n_listeners : 1, sizeof(*pw->lst));
	pw->rst = calloc(s->n_route_stats ? s->n_route_stats : 1, sizeof(*pw->rst));
	if (pw->clusters == NULL || pw->lst == NULL || pw->rst == NULL)
		rc = -ENOMEM;
	for (uint32_t i = 0; rc == 0 && i < s->n_clusters; i++) {
		struct mg_proxy_cluster *pc = &pw->clusters[i];
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
	w->proxy = pw;
	for (uint32_t i = 0; rc == 0 && i < s->n_listeners; i++) {
		const struct mg_listener *l = s->listeners[i];

		if (l->kind == MG_LISTENER_HTTP)
			rc = mg_tcp_listen(w, l->addr, l->port, &mg_hcm_cbs, mg_hcm_accept,
			                   (void *)(uintptr_t)l);
		else
			rc = mg_tcp_listen(w, l->addr, l->port, &mg_tcp_forward_cbs,
			                   tcp_proxy_accept, (void *)(uintptr_t)l);
		if (rc == 0 && l->cc != NULL)
			rc = mg_tcp_listener_set_cc(w, l->addr, l->port, l->cc);
		if (rc < 0)
			MG_LOG(ERR, "listener %s on port %u: %s", l->name.s, l->port,
			       strerror(-rc));
	}
	if (rc < 0) {
		w->proxy = NULL;
		free_clusters(pw);
		free(pw);
	}
	return rc;
}

void mg_proxy_worker_stop(struct mg_worker *w)
{
	struct mg_proxy_worker *pw = w->proxy;

	if (pw == NULL)
		return;
	mg_upc_drain_idle(pw);
	free_clusters(pw);
	w->proxy = NULL;
	free(pw);
}

void mg_proxy_poll(struct mg_worker *w)
{
	struct mg_proxy_worker *pw = w->proxy;
	uint32_t now = w->tcp->now_ms;

	if ((int32_t)(now - pw->next_check_ms) < 0)
		return;
	pw->next_check_ms = now + 1;
	if (!TAILQ_EMPTY(&pw->active))
		mg_hcm_expire(pw, now);
}
