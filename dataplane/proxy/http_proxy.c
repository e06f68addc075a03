/*
 * http_proxy.c — the HTTP connection manager: HTTP/1.1 requests from a
 * client connection, routed (route.h), balanced (lb.h) and forwarded over a
 * pooled upstream connection; the response comes back the same way.
 *
 * One request at a time per client connection: a pipelined request waits,
 * unparsed and unreleased (so the client's window closes), until the
 * response before it is done.  Bodies are never copied: a body range the
 * parser reports becomes an indirect mbuf on the bytes TCP handed up, sent
 * on the other connection.  Flow control: a send refused with -EAGAIN is
 * held and retried from that side's on_writable, and nothing more is parsed
 * from the other side meanwhile (its bytes stay unreleased, so its window
 * closes): a slow side slows the other through TCP.
 *
 * Heads are rebuilt, never copied through: hop-by-hop fields are dropped,
 * Host is rewritten when the route says so, x-forwarded-for/-proto and
 * x-request-id are set, the route's header edits are applied, and each
 * direction's body is framed for the next hop (a chunked body is
 * re-chunked; a response delimited by close is chunked to HTTP/1.1 clients).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "http/h1.h"
#include "proxy/proxy.h"
#include "proxy/request_id.h"
#include "proxy/route.h"
#include "tcp/tcp.h"

static const struct mg_stream_ops *const ops = &mg_tcp_stream_ops;

enum { H_IDLE, H_REQ, H_CLOSING };

/* One client connection and the request it is on. */
struct mg_hcm {
	struct mg_proxy_worker *pw;
	struct mg_proxy_gen *g;      /* the snapshot its current request uses (held) */
	const struct mg_listener *l; /* in g's snapshot */
	struct mg_tcp_conn *c;       /* NULL after its on_close */
	struct mg_h1_parser rq;
	struct rte_mbuf *in;     /* client bytes not parsed yet */
	struct rte_mbuf *batch;  /* what this parse produced for the upstream */
	struct rte_mbuf *to_up;  /* request bytes the upstream's send refused */
	struct rte_mbuf *to_cli; /* response bytes the client's send refused */
	struct mg_upc *up;
	const struct mg_route_entry *rt;
	const struct mg_route_table *t; /* the route's table, virtual host and split, */
	const struct mg_vhost *vh;      /* for their response header edits */
	const struct mg_wcluster *wc;
	char rid[40]; /* the request's x-request-id, for always_set_request_id_in_response */
	uint8_t rid_len;
	uint8_t n_shadow;
	struct mg_upc *shadow[MG_PROXY_MAX_SHADOWS]; /* mirrors still taking this request */
	uint8_t state;
	uint8_t refs;
	bool discard;     /* answered locally: drop the rest of this request */
	bool rq_complete; /* the whole request went upstream (or was dropped) */
	bool rs_started;  /* a response head went to the client */
	bool close_after; /* close the client after this response */
	bool chunk_up, chunk_down;
	bool client_keep, client_fin;
	bool timed; /* on pw->active */
	/*
	 * Upgrade (WebSocket...): the request asked for one the listener allows;
	 * after the upstream's 101 the two connections are a byte tunnel, each
	 * direction half-closed on its own (fin_up: the client's FIN passed on,
	 * fin_cli: the upstream's).
	 */
	bool upgrade, tunnel, fin_up_sent, fin_cli_sent, up_fin;
	uint8_t req_minor;
	uint16_t status;
	uint32_t deadline_ms;
	TAILQ_ENTRY(mg_hcm) link;
	LIST_ENTRY(mg_hcm) gen_link; /* on g->hcms */
};

/* One upstream connection: serving h, or idle in its endpoint's pool. */
struct mg_upc {
	struct mg_proxy_worker *pw;
	struct mg_proxy_gen *g; /* the snapshot of its cluster (held) */
	struct mg_tcp_conn *c;  /* NULL after its on_close */
	struct mg_h1_parser rs;
	struct mg_hcm *h;
	struct rte_mbuf *in;    /* response bytes not parsed yet */
	struct rte_mbuf *batch; /* what this parse produced for the client */
	uint32_t cl, ep;
	bool idle, rs_done, keep;
	/*
	 * A shadow (request mirroring): a copy of a client's request whose
	 * response is read and dropped.  owner is the request's connection
	 * manager while the request's bytes still come; held, what TCP could
	 * not take yet.
	 */
	bool shadow, rq_sent;
	struct mg_hcm *owner;
	struct rte_mbuf *held;
	LIST_ENTRY(mg_upc) link;
};

static void hcm_process(struct mg_hcm *h);
static void upc_process(struct mg_upc *u);
static void upc_release(struct mg_upc *u, bool reusable);

/* ------------------------------------------------------------------ */
/* mbuf helpers                                                        */

static struct rte_mempool *pool_of(const struct mg_proxy_worker *pw)
{
	return pw->w->pool;
}

static void chain_append(struct rte_mbuf **head, struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	if (*head == NULL)
		*head = m;
	else if (rte_pktmbuf_chain(*head, m) != 0)
		rte_pktmbuf_free(m); /* over 65535 segments: the caller's flow control failed */
}

/* Drop the first n bytes of *head (whole segments freed). */
static void chain_drop(struct rte_mbuf **head, uint32_t n)
{
	struct rte_mbuf *m = *head;

	while (m != NULL && n > 0) {
		if (n < m->data_len) {
			uint32_t pkt = m->pkt_len - n;

			m->data_off += n;
			m->data_len -= n;
			m->pkt_len = pkt;
			break;
		}
		{
			struct rte_mbuf *next = m->next;
			uint16_t nb = m->nb_segs;
			uint32_t pkt = m->pkt_len - m->data_len;

			n -= m->data_len;
			m->next = NULL;
			m->nb_segs = 1;
			rte_pktmbuf_free_seg(m);
			m = next;
			if (m != NULL) {
				m->nb_segs = nb - 1;
				m->pkt_len = pkt;
			}
		}
	}
	*head = m;
}

/* An indirect mbuf on [at, at+len) of segment seg: body bytes forwarded without a copy. */
static struct rte_mbuf *clone_range(struct rte_mempool *mp, const struct rte_mbuf *seg,
                                    const char *at, uint32_t len)
{
	struct rte_mbuf *mi = rte_pktmbuf_alloc(mp);
	uint16_t off;

	if (mi == NULL)
		return NULL;
	off = (uint16_t)(at - rte_pktmbuf_mtod(seg, const char *));
	rte_pktmbuf_attach(mi, (struct rte_mbuf *)(uintptr_t)seg);
	mi->data_off += off;
	mi->data_len = (uint16_t)len;
	mi->pkt_len = len;
	return mi;
}

/* A chain holding a copy of len bytes (local replies, chunk trailers). */
static struct rte_mbuf *chain_from(struct rte_mempool *mp, const char *p, uint32_t len)
{
	struct rte_mbuf *head = NULL;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t n;
		char *d;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		n = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
		d = rte_pktmbuf_append(m, (uint16_t)n);
		memcpy(d, p, n);
		p += n;
		len -= n;
		chain_append(&head, m);
	} while (len > 0);
	return head;
}

/* Send *pend on c; on -EAGAIN keep it in *held (the caller resumes on writable). */
static int send_or_hold(struct mg_tcp_conn *c, struct rte_mbuf **pend, struct rte_mbuf **held)
{
	struct rte_mbuf *m = *pend;
	int rc;

	*pend = NULL;
	if (m == NULL)
		return 0;
	if (*held != NULL) {
		chain_append(held, m);
		return 0;
	}
	rc = c != NULL ? ops->send(c, m) : -ENOTCONN;
	if (rc == -EAGAIN) {
		*held = m;
		return 0;
	}
	if (rc < 0)
		rte_pktmbuf_free(m);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */

static void hcm_hold(struct mg_hcm *h)
{
	h->refs++;
}

static void hcm_untime(struct mg_hcm *h)
{
	if (h->timed) {
		TAILQ_REMOVE(&h->pw->active, h, link);
		h->timed = false;
	}
}

static void shadows_request_end(struct mg_hcm *h, bool complete);

static void hcm_put(struct mg_hcm *h)
{
	if (--h->refs > 0)
		return;
	shadows_request_end(h, false);
	hcm_untime(h);
	mg_h1_parser_fini(&h->rq);
	rte_pktmbuf_free(h->in);
	rte_pktmbuf_free(h->batch);
	rte_pktmbuf_free(h->to_up);
	rte_pktmbuf_free(h->to_cli);
	mg_cnt_add(&h->pw->hcm_live, (uint64_t)-1);
	LIST_REMOVE(h, gen_link);
	mg_proxy_gen_put(h->pw, h->g);
	free(h);
}

/* The response class counter of a scope (listener, cluster, endpoint). */
static void scope_status(struct mg_proxy_scope *sc, uint16_t status)
{
	uint64_t *c[] = {&sc->rq_1xx, &sc->rq_2xx, &sc->rq_3xx, &sc->rq_4xx, &sc->rq_5xx};

	if (status >= 100 && status < 600)
		mg_cnt_add(c[status / 100 - 1], 1);
}

/* What the upstream u answered (or the gateway answered for it), for its cluster and endpoint. */
static void upstream_status(const struct mg_upc *u, uint16_t status)
{
	struct mg_proxy_cluster *pc = &u->g->clusters[u->cl];

	scope_status(&pc->st, status);
	scope_status(&pc->ep_st[u->ep], status);
}

/* A response to the client of h: the worker's and the listener's counters. */
static void count_status(struct mg_hcm *h, uint16_t status)
{
	struct mg_proxy_worker *pw = h->pw;
	uint64_t *c[] = {&pw->cnt.downstream_rq_1xx, &pw->cnt.downstream_rq_2xx,
	                 &pw->cnt.downstream_rq_3xx, &pw->cnt.downstream_rq_4xx,
	                 &pw->cnt.downstream_rq_5xx};

	if (status >= 100 && status < 600)
		mg_cnt_add(c[status / 100 - 1], 1);
	scope_status(&h->g->lst[h->l->idx], status);
	if (h->rt != NULL)
		scope_status(&h->g->rst[h->rt->stat_idx], status);
}

/* Body bytes of h's request going upstream (dir 0) or of its response coming back (1). */
static void count_bytes(struct mg_hcm *h, const struct mg_upc *u, uint32_t n, int dir)
{
	struct mg_proxy_scope *sc[4] = {&h->g->lst[h->l->idx], NULL, NULL, NULL};

	if (h->rt != NULL)
		sc[1] = &h->g->rst[h->rt->stat_idx];
	if (u != NULL) {
		sc[2] = &u->g->clusters[u->cl].st;
		sc[3] = &u->g->clusters[u->cl].ep_st[u->ep];
	}
	for (unsigned i = 0; i < 4; i++)
		if (sc[i] != NULL)
			mg_cnt_add(dir == 0 ? &sc[i]->bytes_in : &sc[i]->bytes_out, n);
}

/* Close the client (orderly), once. */
static void hcm_close(struct mg_hcm *h)
{
	if (h->state == H_CLOSING || h->c == NULL)
		return;
	h->state = H_CLOSING;
	ops->close(h->c);
}

static void hcm_abort(struct mg_hcm *h)
{
	h->state = H_CLOSING;
	if (h->c != NULL)
		ops->abort(h->c);
}

static const char *reason_of(uint16_t status)
{
	switch (status) {
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
	}
}

/*
 * Answer the current request from the gateway (an error, a redirect, a
 * direct response).  The rest of the request, if any, is read and dropped;
 * close says whether the connection ends after it.
 */
static void local_reply(struct mg_hcm *h, uint16_t status, const char *body, uint32_t body_len,
                        const char *location, bool close)
{
	char head[2048];
	int n;
	struct rte_mbuf *m;

	if (h->c == NULL || h->rs_started) {
		hcm_abort(h);
		return;
	}
	h->discard = true;
	h->status = status;
	h->rs_started = true;
	h->close_after |= close || !h->client_keep;
	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %u %s\r\ncontent-length: %u\r\ncontent-type: text/plain\r\n"
	             "server: %.*s\r\n%s%.1024s%s%s\r\n",
	             status, reason_of(status), body_len, (int)h->l->http.server_name.len,
	             h->l->http.server_name.s, location ? "location: " : "",
	             location ? location : "", location ? "\r\n" : "",
	             h->close_after ? "connection: close\r\n" : "");
	m = chain_from(pool_of(h->pw), head, (uint32_t)RTE_MIN(n, (int)sizeof(head) - 1));
	if (m != NULL && body_len > 0)
		chain_append(&m, chain_from(pool_of(h->pw), body, body_len));
	count_status(h, status);
	if (m == NULL || send_or_hold(h->c, &m, &h->to_cli) < 0)
		hcm_abort(h);
}

/* ------------------------------------------------------------------ */
/* Upstream connections and pools                                      */

static const struct mg_tcp_cbs upc_cbs;
static const struct mg_h1_cbs rs_cbs;

static struct mg_upc *upc_get(struct mg_proxy_worker *pw, struct mg_proxy_gen *g, uint32_t ci,
                              uint32_t ep)
{
	struct mg_proxy_cluster *pc = &g->clusters[ci];
	const struct mg_endpoint *e = &pc->cl->eps[ep];
	struct mg_upc *u = LIST_FIRST(&pc->idle[ep]);

	if (u != NULL) {
		LIST_REMOVE(u, link);
		pc->n_idle[ep]--;
		u->idle = false;
		u->rs_done = false;
		mg_cnt_add(&pw->cnt.upstream_cx_reused, 1);
		mg_cnt_add(&pc->st.cx_reused, 1);
		mg_cnt_add(&pc->ep_st[ep].cx_reused, 1);
		return u;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	u->pw = pw;
	u->g = g;
	u->cl = ci;
	u->ep = ep;
	if (mg_h1_parser_init(&u->rs, MG_H1_RESPONSE, NULL, &rs_cbs, u, &pw->h1) < 0) {
		free(u);
		return NULL;
	}
	u->c = mg_tcp_connect(pw->w, e->addr, e->port, &upc_cbs, u);
	if (u->c == NULL) {
		mg_h1_parser_fini(&u->rs);
		free(u);
		return NULL;
	}
	mg_proxy_gen_get(g);
	mg_cnt_add(&pw->upc_live, 1);
	/* The cluster's upstream_bind_config TCP_CONGESTION; the compiler checked the name. */
	if (pc->cl->cc != NULL)
		(void)mg_tcp_set_cc(u->c, pc->cl->cc);
	if (pc->cl->connect_timeout_ms != 0)
		(void)mg_tcp_set_connect_timeout(u->c, pc->cl->connect_timeout_ms);
	mg_cnt_add(&pw->cnt.upstream_cx_total, 1);
	mg_cnt_add(&pc->st.cx_total, 1);
	mg_cnt_add(&pc->ep_st[ep].cx_total, 1);
	return u;
}

static void upc_free(struct mg_upc *u)
{
	struct mg_proxy_worker *pw = u->pw;
	struct mg_proxy_gen *g = u->g;

	mg_cnt_add(&pw->upc_live, (uint64_t)-1);
	mg_h1_parser_fini(&u->rs);
	rte_pktmbuf_free(u->held);
	rte_pktmbuf_free(u->in);
	rte_pktmbuf_free(u->batch);
	free(u);
	mg_proxy_gen_put(pw, g);
}

/* u is done with its request: back to the pool, or closed. */
/* u, done with its request, waits in its endpoint's pool. */
static void upc_pool(struct mg_proxy_cluster *pc, struct mg_upc *u)
{
	u->idle = true;
	mg_h1_parser_reset(&u->rs);
	LIST_INSERT_HEAD(&pc->idle[u->ep], u, link);
	pc->n_idle[u->ep]++;
}

static int cluster_index(const struct mg_snapshot *s, struct mg_rstr name);

/*
 * Move u (not in any pool) to config to's pool for the cluster of the same
 * name and the endpoint of the same address and port, if to has them and
 * room.  Envoy keeps a cluster's pools across updates that leave the
 * cluster alone; here every update is a new snapshot, so connections are
 * matched by name and address instead.
 */
static bool upc_rehome(struct mg_proxy_worker *pw, struct mg_upc *u, struct mg_proxy_gen *to)
{
	const struct mg_proxy_cluster *fpc = &u->g->clusters[u->cl];
	const struct mg_endpoint *e = &fpc->cl->eps[u->ep];
	int tc = cluster_index(to->snap, fpc->cl->name);
	struct mg_proxy_cluster *tpc;
	struct mg_proxy_gen *from = u->g;
	uint32_t te = 0;

	if (tc < 0)
		return false;
	tpc = &to->clusters[tc];
	while (te < tpc->cl->n_eps &&
	       (tpc->cl->eps[te].addr != e->addr || tpc->cl->eps[te].port != e->port))
		te++;
	if (te == tpc->cl->n_eps || tpc->n_idle[te] >= MG_PROXY_MAX_IDLE)
		return false;
	mg_proxy_gen_get(to);
	u->g = to;
	u->cl = (uint32_t)tc;
	u->ep = te;
	upc_pool(tpc, u);
	mg_cnt_add(&pw->cnt.upstream_cx_adopted, 1);
	mg_proxy_gen_put(pw, from);
	return true;
}

static void upc_release(struct mg_upc *u, bool reusable)
{
	struct mg_proxy_cluster *pc = &u->g->clusters[u->cl];

	if (u->h != NULL) {
		mg_lb_request_end(&pc->lb, u->ep);
		u->h->up = NULL;
		u->h = NULL;
	}
	if (u->c == NULL) {
		upc_free(u);
		return;
	}
	/*
	 * A replaced config's connection goes to the current config's pool
	 * when it still has the cluster and endpoint, and closes in order
	 * otherwise.
	 */
	if (reusable && u->in == NULL && u->g != u->pw->cur) {
		if (!upc_rehome(u->pw, u, u->pw->cur))
			ops->close(u->c); /* on_close frees u */
		return;
	}
	if (reusable && u->in == NULL && pc->n_idle[u->ep] < MG_PROXY_MAX_IDLE) {
		upc_pool(pc, u);
		return;
	}
	ops->abort(u->c); /* on_close frees u */
}

/* ---- request mirroring: shadows ---- */

/* u no longer takes bytes of its owner's request. */
static void shadow_detach(struct mg_upc *u)
{
	struct mg_hcm *h = u->owner;

	if (h == NULL)
		return;
	for (unsigned i = 0; i < h->n_shadow; i++)
		if (h->shadow[i] == u) {
			h->shadow[i] = h->shadow[--h->n_shadow];
			break;
		}
	u->owner = NULL;
}

/*
 * Settle a shadow: failed (abort it), or one half done; once both the
 * request is sent and the response read, the connection goes back to the
 * pool like any other.
 */
static void shadow_end(struct mg_upc *u, bool ok)
{
	if (!ok) {
		shadow_detach(u);
		mg_cnt_add(&u->pw->cnt.upstream_rq_mirror_failed, 1);
		u->shadow = false; /* counted once; on_close frees it */
		if (u->c != NULL)
			ops->abort(u->c);
		else
			upc_free(u);
		return;
	}
	if (!u->rq_sent || !u->rs_done || u->held != NULL)
		return;
	u->shadow = false;
	u->rq_sent = false;
	upc_release(u, u->keep);
}

/*
 * Send m (owned) on shadow u, never holding up the client's request.
 * Returns false if the shadow was dropped (u may be gone: do not touch it).
 */
static bool shadow_send(struct mg_upc *u, struct rte_mbuf *m)
{
	if (send_or_hold(u->c, &m, &u->held) < 0 ||
	    (u->held != NULL && rte_pktmbuf_pkt_len(u->held) > MG_PROXY_SHADOW_MAX_HELD)) {
		shadow_end(u, false);
		return false;
	}
	return true;
}

/* The owner's request is over: its shadows have all their bytes (or lost them). */
static void shadows_request_end(struct mg_hcm *h, bool complete)
{
	while (h->n_shadow > 0) {
		struct mg_upc *u = h->shadow[0];

		shadow_detach(u);
		if (!complete) {
			shadow_end(u, false);
			continue;
		}
		if (h->chunk_up && !shadow_send(u, chain_from(pool_of(h->pw), "0\r\n\r\n", 5)))
			continue;
		u->rq_sent = true;
		shadow_end(u, true);
	}
}

/*
 * The response of a shadow: parsed to find its end, and dropped.  Returns
 * false once the shadow is settled (u may be gone: do not touch it).
 */
static bool shadow_process(struct mg_upc *u)
{
	while (u->in != NULL && !u->rs_done) {
		int n = mg_h1_parse_mbuf(&u->rs, u->in, 0);

		if (n < 0) {
			shadow_end(u, false);
			return false;
		}
		if (u->c != NULL)
			ops->recved(u->c, (uint32_t)n);
		chain_drop(&u->in, (uint32_t)n);
		rte_pktmbuf_free(u->batch);
		u->batch = NULL;
		if (n == 0)
			break;
	}
	if (!u->rs_done)
		return true;
	shadow_end(u, true);
	return false;
}

void mg_upc_drain_gen(struct mg_proxy_worker *pw, struct mg_proxy_gen *g)
{
	(void)pw;
	for (uint32_t ci = 0; ci < g->snap->n_clusters; ci++) {
		struct mg_proxy_cluster *pc = &g->clusters[ci];

		for (uint32_t ep = 0; pc->idle != NULL && ep < pc->cl->n_eps; ep++) {
			struct mg_upc *u;

			while ((u = LIST_FIRST(&pc->idle[ep])) != NULL) {
				LIST_REMOVE(u, link);
				pc->n_idle[ep]--;
				u->idle = false;
				if (u->c != NULL)
					ops->close(u->c); /* FIN, not RST: it did nothing wrong;
					                     on_close frees u */
				else
					upc_free(u);
			}
		}
	}
}

/*
 * At a switch to config to, from's pooled connections move to to's pools
 * (upc_rehome); those that find no home stay for mg_upc_drain_gen to close.
 */
void mg_upc_adopt_pools(struct mg_proxy_worker *pw, struct mg_proxy_gen *to,
                        struct mg_proxy_gen *from)
{
	for (uint32_t c = 0; c < from->snap->n_clusters; c++) {
		struct mg_proxy_cluster *pc = &from->clusters[c];

		for (uint32_t ep = 0; pc->idle != NULL && ep < pc->cl->n_eps; ep++) {
			struct mg_upc *u, *next;

			for (u = LIST_FIRST(&pc->idle[ep]); u != NULL; u = next) {
				next = LIST_NEXT(u, link);
				LIST_REMOVE(u, link);
				pc->n_idle[ep]--;
				u->idle = false;
				if (!upc_rehome(pw, u, to)) {
					u->idle = true; /* back where it was, for the drain */
					LIST_INSERT_HEAD(&pc->idle[ep], u, link);
					pc->n_idle[ep]++;
				}
			}
		}
	}
}

/* The response is over (or the upstream is gone): settle both sides. */
static void finish_response(struct mg_hcm *h, struct mg_upc *u, bool reusable)
{
	hcm_untime(h);
	if (u != NULL)
		upc_release(u, reusable && h->rq_complete);
	h->rt = NULL;
	if (h->c == NULL)
		return;
	h->state = H_IDLE;
	if (h->close_after || h->client_fin) {
		if (h->to_cli == NULL)
			hcm_close(h);
		return;
	}
	h->discard = false;
	h->rq_complete = false;
	h->rs_started = false;
	h->chunk_up = h->chunk_down = false;
	hcm_process(h); /* a pipelined request may be waiting */
}

/* ---- response parser callbacks (ctx: the upstream connection) ---- */

static void apply_ops_(struct mg_h1_header *hdr, uint16_t *n, uint16_t cap,
                       const struct mg_hdr_ops *ops_);

/*
 * Most scopes (table, vhost, route, weighted cluster) edit nothing: up to
 * eight calls per request that only found that out cost ~150 instructions.
 */
static inline void apply_ops(struct mg_h1_header *hdr, uint16_t *n, uint16_t cap,
                             const struct mg_hdr_ops *ops_)
{
	if (ops_->n_remove != 0 || ops_->n_add != 0)
		apply_ops_(hdr, n, cap, ops_);
}

/* The Upgrade header of a message, or NULL. */
static const char *rs_upgrade(const struct mg_h1_msg *m, uint32_t *len)
{
	for (uint16_t i = 0; i < m->n_headers; i++)
		if (m->headers[i].id == MG_H1_H_UPGRADE) {
			*len = m->headers[i].value.len;
			return m->headers[i].value.p;
		}
	return NULL;
}

static int rs_head(void *ctx, const struct mg_h1_msg *m)
{
	struct mg_upc *u = ctx;
	struct mg_hcm *h = u->h;
	struct mg_h1_header hdr[MG_H1_DEF_MAX_HEADERS + 40];
	struct mg_h1_msg out = *m;
	const struct mg_route_entry *rt;
	uint16_t n = 0;
	struct rte_mbuf *hm;

	/*
	 * 1xx: the gateway answered 100-continue itself; others dropped, but a
	 * 101 to an upgrade the client asked for, which goes on with the
	 * Upgrade header (hop-by-hop, so put back) and opens the tunnel.
	 * Shadows: all dropped.
	 */
	if (u->shadow || (m->status < 200 && !(m->status == 101 && h->upgrade)))
		return 0;
	rt = h->rt;
	for (uint16_t i = 0; i < m->n_headers && n < MG_H1_DEF_MAX_HEADERS; i++) {
		const struct mg_h1_header *f = &m->headers[i];

		if ((f->flags & MG_H1_HF_HOP) ||
		    (f->name.len == 6 && strncasecmp(f->name.p, "server", 6) == 0))
			continue;
		hdr[n++] = *f;
	}
	hdr[n++] = (struct mg_h1_header){
	    .name = {"server", 6}, .value = {h->l->http.server_name.s, h->l->http.server_name.len}};
	h->chunk_down = false;
	if (m->status == 101) {
		uint32_t ul = 0;
		const char *uv = rs_upgrade(m, &ul);

		hdr[n++] =
		    (struct mg_h1_header){.name = {"connection", 10}, .value = {"upgrade", 7}};
		if (uv != NULL)
			hdr[n++] = (struct mg_h1_header){.name = {"upgrade", 7}, .value = {uv, ul}};
		out.headers = hdr;
		out.n_headers = n;
		out.minor = 1;
		hm = mg_h1_write_head_mbuf(pool_of(u->pw), &out, MG_H1_HF_HOP);
		if (hm == NULL)
			return -1;
		h->status = 101;
		h->rs_started = true;
		count_status(h, 101);
		upstream_status(u, 101);
		chain_append(&u->batch, hm);
		return 0;
	}
	if (m->body == MG_H1_B_CHUNKED || (m->body == MG_H1_B_UNTIL_CLOSE && h->req_minor >= 1)) {
		h->chunk_down = true;
		hdr[n++] = (struct mg_h1_header){.name = {"transfer-encoding", 17},
		                                 .value = {"chunked", 7}};
	} else if (m->body == MG_H1_B_UNTIL_CLOSE) {
		h->close_after = true;
	}
	if (!(m->flags & MG_H1_F_KEEP_ALIVE))
		u->keep = false;
	else
		u->keep = true;
	if (h->close_after || !h->client_keep) {
		h->close_after = true;
		hdr[n++] = (struct mg_h1_header){.name = {"connection", 10}, .value = {"close", 5}};
	}
	if (h->l->http.via.len > 0)
		hdr[n++] = (struct mg_h1_header){.name = {"via", 3},
		                                 .value = {h->l->http.via.s, h->l->http.via.len}};
	if (h->l->http.always_set_request_id_in_response && h->rid_len > 0)
		hdr[n++] = (struct mg_h1_header){.name = {"x-request-id", 12},
		                                 .value = {h->rid, h->rid_len}};
	/* Response header edits, least specific first, as for the request. */
	if (h->t != NULL)
		apply_ops(hdr, &n, MG_H1_DEF_MAX_HEADERS + 40, &h->t->resp_hdrs);
	if (h->vh != NULL)
		apply_ops(hdr, &n, MG_H1_DEF_MAX_HEADERS + 40, &h->vh->resp_hdrs);
	if (rt != NULL)
		apply_ops(hdr, &n, MG_H1_DEF_MAX_HEADERS + 40, &rt->resp_hdrs);
	if (h->wc != NULL)
		apply_ops(hdr, &n, MG_H1_DEF_MAX_HEADERS + 40, &h->wc->resp_hdrs);
	out.headers = hdr;
	out.n_headers = n;
	out.minor = 1;
	hm = mg_h1_write_head_mbuf(pool_of(u->pw), &out, MG_H1_HF_HOP);
	if (hm == NULL)
		return -1;
	h->status = m->status;
	h->rs_started = true;
	count_status(h, m->status);
	upstream_status(u, m->status);
	chain_append(&u->batch, hm);
	return 0;
}

static int rs_body(void *ctx, const char *at, uint32_t len)
{
	struct mg_upc *u = ctx;
	struct rte_mbuf *m;

	if (u->shadow)
		return 0;
	m = clone_range(pool_of(u->pw), mg_h1_parser_segment(&u->rs), at, len);

	if (m == NULL)
		return -1;
	if (u->h->chunk_down && mg_h1_frame_chunk(pool_of(u->pw), &m) < 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	mg_cnt_add(&u->pw->cnt.bytes_out, len);
	count_bytes(u->h, u, len, 1);
	chain_append(&u->batch, m);
	return 0;
}

static int rs_end(void *ctx, const struct mg_h1_msg *m)
{
	struct mg_upc *u = ctx;

	if (m->status == 101 && !u->shadow && u->h != NULL && u->h->upgrade) {
		u->rs_done = true; /* switched: what follows is the tunnel's */
		return 0;
	}
	if (m->status < 200 && m->status >= 100)
		return 0; /* an interim response: the final one follows */
	if (u->shadow) {
		u->rs_done = true;
		return 0;
	}
	if (u->h->chunk_down)
		chain_append(&u->batch, chain_from(pool_of(u->pw), "0\r\n\r\n", 5));
	u->rs_done = true;
	return 0;
}

static const struct mg_h1_cbs rs_cbs = {
    .on_head = rs_head,
    .on_body = rs_body,
    .on_message_end = rs_end,
};

/* ---- tunnels (an upgraded connection after the upstream's 101) ---- */

/*
 * One direction of a tunnel: the bytes read on one side (dir 0: the client's,
 * to the upstream; 1: the upstream's, to the client) go to the other while
 * it takes them, the rest held until it is writable; once the reading side's
 * FIN came and everything went, the writing side's write half is shut.
 */
static void tunnel_relay(struct mg_hcm *h, struct mg_upc *u, int dir)
{
	struct mg_tcp_conn *src = dir == 0 ? h->c : u->c, *dst = dir == 0 ? u->c : h->c;
	struct rte_mbuf **in = dir == 0 ? &h->in : &u->in;
	struct rte_mbuf **held = dir == 0 ? &h->to_up : &h->to_cli;
	bool fin = dir == 0 ? h->client_fin : h->up_fin;
	bool *fin_sent = dir == 0 ? &h->fin_up_sent : &h->fin_cli_sent;

	if (dst == NULL)
		return;
	while (*in != NULL && *held == NULL) {
		struct rte_mbuf *m = *in;
		uint32_t n = rte_pktmbuf_pkt_len(m);

		*in = NULL;
		if (src != NULL)
			ops->recved(src, n);
		mg_cnt_add(dir == 0 ? &h->pw->cnt.bytes_in : &h->pw->cnt.bytes_out, n);
		count_bytes(h, u, n, dir);
		if (send_or_hold(dst, &m, held) < 0) {
			hcm_abort(h);
			return;
		}
	}
	if (fin && *in == NULL && *held == NULL && !*fin_sent) {
		*fin_sent = true;
		(void)ops->shutdown(dst);
	}
}

static void tunnel_up(struct mg_hcm *h)
{
	if (h->up != NULL && h->c != NULL)
		tunnel_relay(h, h->up, 0);
}

static void tunnel_down(struct mg_upc *u)
{
	tunnel_relay(u->h, u, 1);
}

/* The 101 went to the client: from here on both connections carry bytes, not HTTP. */
static void tunnel_start(struct mg_hcm *h, struct mg_upc *u)
{
	h->tunnel = true;
	hcm_untime(h); /* the route timeout covered the handshake, not the tunnel */
	mg_cnt_add(&h->pw->cnt.downstream_cx_upgrades_total, 1);
	tunnel_down(u);
	tunnel_up(h);
}

/* Parse what the upstream sent while the client has room. */
static void upc_process(struct mg_upc *u)
{
	struct mg_hcm *h = u->h;

	if (u->shadow) {
		(void)shadow_process(u);
		return;
	}
	if (h != NULL && h->tunnel) {
		tunnel_down(u);
		return;
	}
	if (h == NULL) {
		/* An idle connection spoke: nothing may arrive between responses. */
		if (u->in != NULL && u->c != NULL) {
			rte_pktmbuf_free(u->in);
			u->in = NULL;
			ops->abort(u->c);
		}
		return;
	}
	hcm_hold(h);
	while (u->in != NULL && h->c != NULL && h->to_cli == NULL && !u->rs_done) {
		int n;

		n = mg_h1_parse_mbuf(&u->rs, u->in, 0);
		if (n < 0) {
			mg_cnt_add(&u->pw->cnt.upstream_rs_bad, 1);
			rte_pktmbuf_free(u->batch);
			u->batch = NULL;
			if (!h->rs_started)
				local_reply(h, 502, "upstream sent an invalid response\n", 34, NULL,
				            true);
			else
				hcm_abort(h);
			upc_release(u, false);
			break;
		}
		if (u->c != NULL)
			ops->recved(u->c, (uint32_t)n);
		chain_drop(&u->in, (uint32_t)n);
		if (send_or_hold(h->c, &u->batch, &h->to_cli) < 0) {
			hcm_abort(h);
			upc_release(u, false);
			break;
		}
		if (u->rs_done && h->upgrade && h->status == 101) {
			tunnel_start(h, u);
			break;
		}
		if (u->rs_done) {
			finish_response(h, u, u->keep);
			break;
		}
		if (n == 0)
			break;
	}
	hcm_put(h);
}

static void upc_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	struct mg_upc *u = ctx;

	(void)c;
	chain_append(&u->in, m);
	upc_process(u);
}

static void upc_writable(void *ctx, struct mg_tcp_conn *c)
{
	struct mg_upc *u = ctx;
	struct mg_hcm *h = u->h;

	(void)c;
	if (u->shadow) {
		struct rte_mbuf *m = u->held;

		u->held = NULL;
		if (send_or_hold(u->c, &m, &u->held) < 0)
			shadow_end(u, false);
		else if (u->held == NULL)
			shadow_end(u, true); /* maybe the last bytes it owed */
		return;
	}
	if (h == NULL)
		return;
	hcm_hold(h);
	if (h->to_up != NULL) {
		struct rte_mbuf *m = h->to_up;

		h->to_up = NULL;
		if (send_or_hold(u->c, &m, &h->to_up) < 0)
			hcm_abort(h);
	}
	if (h->to_up == NULL)
		hcm_process(h);
	hcm_put(h);
}

/* The upstream closed its side: a response delimited by the close ends here. */
static void upc_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	struct mg_upc *u = ctx;

	(void)c;
	u->keep = false;
	if (u->idle) {
		/*
		 * A pooled connection the upstream closed (its keep-alive timeout):
		 * out of the pool and closed now, or the next request sent on it
		 * would meet a reset and answer 502.
		 */
		struct mg_proxy_cluster *pc = &u->g->clusters[u->cl];

		LIST_REMOVE(u, link);
		pc->n_idle[u->ep]--;
		u->idle = false;
		mg_cnt_add(&u->pw->cnt.upstream_cx_idle_closed, 1);
		ops->close(u->c); /* on_close frees u */
		return;
	}
	if (u->h != NULL && u->h->tunnel) {
		struct mg_hcm *h = u->h;

		hcm_hold(h);
		h->up_fin = true;
		tunnel_down(u);
		hcm_put(h);
		return;
	}
	if (u->shadow) {
		if (!shadow_process(u))
			return; /* settled, maybe freed */
		/* The close ends a response delimited by it; anything else failed. */
		if (u->in == NULL && mg_h1_parse_eof(&u->rs) == 0 && u->rs_done)
			shadow_end(u, true);
		else
			shadow_end(u, false);
		return;
	}
	if (u->h == NULL || u->rs_done)
		return;
	upc_process(u);
	if (u->h != NULL && !u->rs_done && u->in == NULL && mg_h1_parse_eof(&u->rs) == 0 &&
	    u->rs_done) {
		struct mg_hcm *h = u->h;

		hcm_hold(h);
		if (send_or_hold(h->c, &u->batch, &h->to_cli) < 0)
			hcm_abort(h);
		finish_response(h, u, false);
		hcm_put(h);
	}
}

static void upc_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	struct mg_upc *u = ctx;
	struct mg_hcm *h = u->h;
	bool fini = err == -ECONNABORTED && c->state != MG_TCP_CLOSED;

	u->c = NULL;
	if (u->shadow) { /* refused, reset, or closed before its response ended */
		shadow_detach(u);
		mg_cnt_add(&u->pw->cnt.upstream_rq_mirror_failed, 1);
		upc_free(u);
		return;
	}
	if (u->idle) {
		struct mg_proxy_cluster *pc = &u->g->clusters[u->cl];

		LIST_REMOVE(u, link);
		pc->n_idle[u->ep]--;
		upc_free(u);
		return;
	}
	if (h == NULL) {
		upc_free(u);
		return;
	}
	hcm_hold(h);
	if (!fini && !u->rs_done) {
		if (!h->rs_started) {
			/*
			 * Refused, reset or never connected before a response head:
			 * 502, or Envoy's 503 when the connect timed out.
			 */
			bool timed_out = err == -ETIMEDOUT;

			mg_cnt_add(timed_out ? &u->pw->cnt.upstream_cx_connect_timeout
			                     : &u->pw->cnt.upstream_cx_connect_fail,
			           1);
			mg_cnt_add(&u->g->clusters[u->cl].st.cx_connect_fail, 1);
			mg_cnt_add(&u->g->clusters[u->cl].ep_st[u->ep].cx_connect_fail, 1);
			upstream_status(u, timed_out ? 503 : 502);
			if (timed_out)
				local_reply(
				    h, 503,
				    "upstream connect error or disconnect/reset before headers. "
				    "reset reason: connection timeout\n",
				    92, NULL, !h->rq_complete);
			else
				local_reply(
				    h, 502,
				    "upstream connect error or disconnect/reset before headers\n",
				    58, NULL, !h->rq_complete);
			finish_response(h, u, false);
		} else {
			mg_cnt_add(&u->pw->cnt.upstream_rs_reset, 1);
			upc_release(u, false);
			hcm_abort(h);
		}
	} else {
		bool tunnel = h->tunnel;

		upc_release(u, false);
		/* A tunnel ends with its upstream: orderly if it closed, at once if reset. */
		if (tunnel && h->c != NULL) {
			if (err == 0 && h->to_cli == NULL)
				hcm_close(h);
			else if (err != 0)
				hcm_abort(h);
		}
	}
	hcm_put(h);
}

static const struct mg_tcp_cbs upc_cbs = {
    .on_data = upc_data,
    .on_writable = upc_writable,
    .on_peer_fin = upc_peer_fin,
    .on_close = upc_close,
};

/* ------------------------------------------------------------------ */
/* Requests                                                            */

struct rq_view {
	const struct mg_h1_msg *m;
	char authority[256];
	uint32_t authority_len;
};

/* Header lookup for the router: the first field of that name (pseudo-headers too). */
static const char *rq_header(void *ctx, const char *name, uint32_t len, uint32_t *vlen)
{
	const struct rq_view *v = ctx;
	const struct mg_h1_msg *m = v->m;

	if (len > 0 && name[0] == ':') {
		if (len == 7 && memcmp(name, ":method", 7) == 0) {
			*vlen = m->method_str.len;
			return m->method_str.p;
		}
		if (len == 10 && memcmp(name, ":authority", 10) == 0) {
			*vlen = v->authority_len;
			return v->authority;
		}
		if (len == 5 && memcmp(name, ":path", 5) == 0) {
			*vlen = m->target.len;
			return m->target.p;
		}
		if (len == 7 && memcmp(name, ":scheme", 7) == 0) {
			*vlen = 4;
			return "http";
		}
		return NULL;
	}
	for (uint16_t i = 0; i < m->n_headers; i++)
		if (m->headers[i].name.len == len &&
		    strncasecmp(m->headers[i].name.p, name, len) == 0) {
			*vlen = m->headers[i].value.len;
			return m->headers[i].value.p;
		}
	return NULL;
}

static uint64_t next_rand(struct mg_proxy_worker *pw)
{
	uint64_t x = pw->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return pw->rng = x;
}

/* The cluster's index in the snapshot (binary search by name), or -1. */
static int cluster_index(const struct mg_snapshot *s, struct mg_rstr name)
{
	uint32_t lo = 0, hi = s->n_clusters;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct mg_rstr *n = &s->clusters[mid]->name;
		int r = memcmp(n->s, name.s, RTE_MIN(n->len, name.len));

		if (r == 0)
			r = (n->len > name.len) - (n->len < name.len);
		if (r == 0)
			return (int)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Apply one level of header edits to the upstream head being built. */
static void apply_ops_(struct mg_h1_header *hdr, uint16_t *n, uint16_t cap,
                       const struct mg_hdr_ops *ops_)
{
	for (uint32_t r = 0; r < ops_->n_remove; r++)
		for (uint16_t i = 0; i < *n; i++)
			if (hdr[i].name.len == ops_->remove[r].len &&
			    strncasecmp(hdr[i].name.p, ops_->remove[r].s, hdr[i].name.len) == 0) {
				hdr[i--] = hdr[--*n];
			}
	for (uint32_t a = 0; a < ops_->n_add; a++) {
		const struct mg_hdr_add *add = &ops_->add[a];
		int found = -1;

		for (uint16_t i = 0; i < *n && found < 0; i++)
			if (hdr[i].name.len == add->name.len &&
			    strncasecmp(hdr[i].name.p, add->name.s, add->name.len) == 0)
				found = i;
		if (add->value.len == 0 && !add->keep_empty)
			continue;
		if (found >= 0 && (add->action == MG_HDR_ADD_IF_ABSENT))
			continue;
		if (found < 0 && add->action == MG_HDR_OVERWRITE_IF_EXISTS)
			continue;
		if (found >= 0 && add->action != MG_HDR_APPEND_OR_ADD) {
			hdr[found].value = (struct mg_h1_str){add->value.s, add->value.len};
			hdr[found].flags &= (uint8_t)~MG_H1_HF_VALID; /* the writer checks it */
			continue;
		}
		if (*n < cap)
			hdr[(*n)++] =
			    (struct mg_h1_header){.name = {add->name.s, add->name.len},
			                          .value = {add->value.s, add->value.len}};
	}
}

static void set_deadline(struct mg_hcm *h, uint32_t timeout_ms)
{
	if (timeout_ms == 0)
		return;
	struct mg_hcm *o;

	h->deadline_ms = h->pw->w->tcp->now_ms + timeout_ms;
	/* Kept in deadline order; most routes share a timeout, so this is the tail. */
	TAILQ_FOREACH_REVERSE(o, &h->pw->active, mg_hcm_list, link)
		if ((int32_t)(o->deadline_ms - h->deadline_ms) <= 0)
			break;
	if (o == NULL)
		TAILQ_INSERT_HEAD(&h->pw->active, h, link);
	else
		TAILQ_INSERT_AFTER(&h->pw->active, o, h, link);
	h->timed = true;
}

/* A redirect's Location for the request. */
static void redirect_location(const struct mg_route_entry *rt, const struct mg_h1_msg *m,
                              const struct rq_view *v, char *buf, size_t len)
{
	const struct mg_redirect *r = &rt->redirect;
	const char *scheme = r->scheme.len ? r->scheme.s : "http";
	const char *q = memchr(m->target.p, '?', m->target.len);
	uint32_t plen = q ? (uint32_t)(q - m->target.p) : m->target.len;
	uint32_t alen = v->authority_len;
	char port[16] = "";

	if (r->port != 0)
		snprintf(port, sizeof(port), ":%u", r->port);
	if (r->host.len == 0 && r->port != 0) /* keep the host, replace the port */
		for (uint32_t i = alen; i > 0; i--)
			if (v->authority[i - 1] == ':') {
				alen = i - 1;
				break;
			}
	if (r->path.len > 0)
		snprintf(buf, len, "%s://%.*s%s%s%.*s", scheme,
		         (int)(r->host.len ? r->host.len : alen),
		         r->host.len ? r->host.s : v->authority, port, r->path.s,
		         (int)(r->strip_query || !q ? 0 : m->target.len - plen), q ? q : "");
	else if (r->has_prefix_rewrite && rt->path_kind != MG_PATH_REGEX)
		snprintf(
		    buf, len, "%s://%.*s%s%s%.*s", scheme, (int)(r->host.len ? r->host.len : alen),
		    r->host.len ? r->host.s : v->authority, port, r->prefix_rewrite.s,
		    (int)((r->strip_query ? plen : m->target.len) - RTE_MIN(rt->path.len, plen)),
		    m->target.p + RTE_MIN(rt->path.len, plen));
	else
		snprintf(buf, len, "%s://%.*s%s%.*s", scheme,
		         (int)(r->host.len ? r->host.len : alen),
		         r->host.len ? r->host.s : v->authority, port,
		         (int)(r->strip_query ? plen : m->target.len), m->target.p);
}

/* Whether the listener tunnels this Upgrade (its first protocol, case-insensitive). */
static bool upgrade_allowed(const struct mg_http_opts *o, const char *v, uint32_t len)
{
	uint32_t n = 0;

	while (n < len && v[n] != ',' && v[n] != ' ' && v[n] != '/' && v[n] != '\t')
		n++;
	for (uint32_t i = 0; i < o->n_upgrades; i++)
		if (o->upgrades[i].len == n && strncasecmp(o->upgrades[i].s, v, n) == 0)
			return true;
	return false;
}

/* The value of cookie name in a Cookie header (RFC 6265 "a=1; b=2"), or NULL. */
static const char *cookie_value(const char *c, uint32_t len, const struct mg_rstr *name,
                                uint32_t *vlen)
{
	uint32_t i = 0;

	while (i < len) {
		uint32_t k, e;

		while (i < len && (c[i] == ' ' || c[i] == ';'))
			i++;
		for (k = i; k < len && c[k] != '=' && c[k] != ';'; k++)
			;
		for (e = k; e < len && c[e] != ';'; e++)
			;
		if (k < len && c[k] == '=' && k - i == name->len &&
		    memcmp(c + i, name->s, k - i) == 0) {
			*vlen = e - k - 1;
			return c + k + 1;
		}
		i = e;
	}
	return NULL;
}

/*
 * Request mirroring (Envoy's request_mirror_policies, route and virtual
 * host): for each policy whose draw comes up, a shadow connection to the
 * mirror cluster gets a copy of the request, Host "-shadow"-suffixed (before
 * any port) so the upstream can tell; its response is read and dropped, and
 * nothing that happens to it (no endpoint, a refused connection, falling
 * behind by MG_PROXY_SHADOW_MAX_HELD) touches the client's request.
 */
static void shadow_open(struct mg_hcm *h, const struct mg_mirror *mi, const struct mg_h1_msg *m,
                        const struct mg_h1_msg *out, uint16_t host_at, uint64_t hash, int has_hash)
{
	struct mg_proxy_worker *pw = h->pw;
	struct mg_h1_header hdr[MG_H1_DEF_MAX_HEADERS + 40];
	struct mg_h1_msg copy = *out;
	char host[300];
	const struct mg_h1_str *hv = &out->headers[host_at].value;
	const char *colon = memchr(hv->p, ':', hv->len);
	uint32_t name_len = colon != NULL ? (uint32_t)(colon - hv->p) : hv->len;
	int ci, ep, hl;
	struct mg_upc *u;
	struct rte_mbuf *hm;

	if ((uint64_t)(next_rand(pw) % 1000000) >= mi->per_million)
		return;
	ci = cluster_index(h->g->snap, mi->cluster);
	ep = ci < 0 ? -1 : mg_lb_pick(&h->g->clusters[ci].lb, hash, has_hash);
	if (ep < 0 || h->n_shadow == MG_PROXY_MAX_SHADOWS) {
		mg_cnt_add(&pw->cnt.upstream_rq_mirror_failed, 1);
		return;
	}
	hl = snprintf(host, sizeof(host), "%.*s-shadow%.*s", (int)RTE_MIN(name_len, 250u), hv->p,
	              (int)RTE_MIN(hv->len - name_len, 40u), hv->p + name_len);
	memcpy(hdr, out->headers, out->n_headers * sizeof(hdr[0]));
	hdr[host_at].value = (struct mg_h1_str){host, (uint32_t)RTE_MIN(hl, (int)sizeof(host) - 1)};
	hdr[host_at].flags &= (uint8_t)~MG_H1_HF_VALID;
	copy.headers = hdr;
	hm = mg_h1_write_head_mbuf(pool_of(pw), &copy, MG_H1_HF_HOP);
	u = hm != NULL ? upc_get(pw, h->g, (uint32_t)ci, (uint32_t)ep) : NULL;
	if (u == NULL) {
		rte_pktmbuf_free(hm);
		mg_cnt_add(&pw->cnt.upstream_rq_mirror_failed, 1);
		return;
	}
	u->shadow = true;
	u->rq_sent = false;
	u->keep = true;
	u->owner = h;
	h->shadow[h->n_shadow++] = u;
	mg_h1_parser_set_request(&u->rs, m->method);
	mg_cnt_add(&pw->cnt.upstream_rq_mirrored, 1);
	(void)shadow_send(u, hm);
}

static void shadows_start(struct mg_hcm *h, const struct mg_vhost *vh,
                          const struct mg_route_entry *rt, const struct mg_h1_msg *m,
                          const struct mg_h1_msg *out, uint16_t host_at, uint64_t hash,
                          int has_hash)
{
	for (uint32_t i = 0; i < rt->n_mirrors; i++)
		shadow_open(h, &rt->mirrors[i], m, out, host_at, hash, has_hash);
	for (uint32_t i = 0; i < vh->n_mirrors; i++)
		shadow_open(h, &vh->mirrors[i], m, out, host_at, hash, has_hash);
}

/* A copy of request body bytes m (already framed) for each shadow. */
static void shadows_body(struct mg_hcm *h, const struct rte_mbuf *m)
{
	for (unsigned i = h->n_shadow; i-- > 0;) {
		struct mg_upc *u = h->shadow[i];
		struct rte_mbuf *c =
		    rte_pktmbuf_clone((struct rte_mbuf *)(uintptr_t)m, pool_of(h->pw));

		if (c == NULL)
			shadow_end(u, false);
		else
			(void)shadow_send(u, c);
	}
}

/*
 * A new request on a connection that began on a replaced config moves to
 * the current one (Envoy applies a route update to the next request, not
 * the next connection), with the listener of the same name.  A listener the
 * new config removed keeps its connections on the old config, each closed
 * after its current response, so they drain.
 */
static void hcm_follow_config(struct mg_hcm *h)
{
	struct mg_proxy_worker *pw = h->pw;
	const struct mg_snapshot *s = pw->cur->snap;
	struct mg_proxy_gen *old = h->g;

	if (likely(old == pw->cur))
		return;
	for (uint32_t i = 0; i < s->n_listeners; i++) {
		const struct mg_listener *l = s->listeners[i];

		if (l->kind == MG_LISTENER_HTTP && l->name.len == h->l->name.len &&
		    memcmp(l->name.s, h->l->name.s, l->name.len) == 0) {
			h->l = l;
			h->g = pw->cur;
			mg_proxy_gen_get(h->g);
			LIST_REMOVE(h, gen_link);
			LIST_INSERT_HEAD(&h->g->hcms, h, gen_link);
			mg_proxy_gen_put(pw, old);
			return;
		}
	}
	h->close_after = true;
}

void mg_hcm_follow_idle(struct mg_proxy_gen *old)
{
	struct mg_hcm *h, *next;

	for (h = LIST_FIRST(&old->hcms); h != NULL; h = next) {
		next = LIST_NEXT(h, gen_link);
		/* Between requests: nothing of the next one read, nothing owed. */
		if (h->c == NULL || h->state != H_IDLE || h->in != NULL || h->to_cli != NULL ||
		    h->up != NULL || h->n_shadow != 0 || !mg_h1_parser_idle(&h->rq))
			continue;
		hcm_follow_config(h);
		if (h->close_after) /* its listener is gone: drain it, as Envoy does */
			hcm_close(h);
	}
}

static int rq_head(void *ctx, const struct mg_h1_msg *m)
{
	struct mg_hcm *h = ctx;
	struct mg_proxy_worker *pw = h->pw;
	const struct mg_route_table *t;
	struct rq_view v = {.m = m};
	struct mg_route_req req;
	const struct mg_vhost *vh;
	const struct mg_route_entry *rt;
	const struct mg_wcluster *wc = NULL;
	struct mg_rstr cname;
	uint64_t rnd = next_rand(pw);
	struct mg_h1_header hdr[MG_H1_DEF_MAX_HEADERS + 40];
	uint16_t n = 0, cap = MG_H1_DEF_MAX_HEADERS + 40;
	struct mg_h1_msg out = *m;
	char xff[128], rid[40], target[2048], host[256];
	const char *prev_xff = NULL;
	uint32_t prev_xff_len = 0;
	int ci, ep;
	struct mg_upc *u;
	struct rte_mbuf *hm;
	uint64_t hash = 0;
	int has_hash = 0;
	uint16_t host_at = 0;

	h->close_after = false;
	hcm_follow_config(h);
	t = h->l->routes != NULL ? h->l->routes : h->l->rds_table;
	mg_cnt_add(&pw->cnt.downstream_rq_total, 1);
	mg_cnt_add(&h->g->lst[h->l->idx].rq_total, 1);
	h->client_keep = (m->flags & MG_H1_F_KEEP_ALIVE) != 0;
	h->req_minor = m->minor;
	h->discard = false;
	h->rq_complete = false;
	h->rs_started = false;
	if (m->host.len > 0 && m->host.len < sizeof(v.authority)) {
		memcpy(v.authority, m->host.p, m->host.len);
		v.authority_len = m->host.len;
	}
	req = (struct mg_route_req){{m->method_str.p, m->method_str.len},
	                            {v.authority, v.authority_len},
	                            {m->target.p, m->target.len},
	                            rq_header,
	                            &v};
	if (t == NULL || (vh = mg_route_vhost(t, req.authority)) == NULL ||
	    (rt = mg_route_match(vh, &req, (uint32_t)rnd)) == NULL) {
		mg_cnt_add(&pw->cnt.downstream_rq_no_route, 1);
		local_reply(h, 404, NULL, 0, NULL, false);
		return 0;
	}
	h->rt = rt;
	mg_cnt_add(&h->g->rst[rt->stat_idx].rq_total, 1);
	h->t = t;
	h->vh = vh;
	h->wc = NULL;
	h->rid_len = 0;
	if (rt->kind == MG_ROUTE_DIRECT || rt->kind == MG_ROUTE_REDIRECT) {
		char loc[1200];

		mg_cnt_add(&pw->cnt.downstream_rq_direct, 1);
		if (rt->kind == MG_ROUTE_DIRECT) {
			local_reply(h, rt->direct_status, rt->direct_body.s, rt->direct_body.len,
			            NULL, false);
		} else {
			redirect_location(rt, m, &v, loc, sizeof(loc));
			local_reply(h, rt->redirect.code, NULL, 0, loc, false);
		}
		return 0;
	}
	h->upgrade = false;
	if (m->flags & MG_H1_F_UPGRADE) {
		uint32_t ul = 0;
		const char *uv = rs_upgrade(m, &ul);

		/* h2c is a hop's own business (RFC 9113 removed it): forward as plain HTTP/1.1. */
		if (uv != NULL && !(ul == 3 && strncasecmp(uv, "h2c", 3) == 0)) {
			if (!upgrade_allowed(&h->l->http, uv, ul)) {
				mg_cnt_add(&pw->cnt.downstream_rq_upgrade_rejected, 1);
				local_reply(h, 403, "upgrade not allowed\n", 20, NULL, true);
				return 0;
			}
			h->upgrade = true;
		}
	}
	cname = mg_route_cluster(rt, &req, (uint32_t)(rnd >> 32), &wc);
	h->wc = wc;
	ci = cname.s != NULL ? cluster_index(h->g->snap, cname) : -1;
	if (ci < 0) {
		mg_cnt_add(&pw->cnt.upstream_rq_no_cluster, 1);
		local_reply(h, rt->not_found_status ? rt->not_found_status : 503, NULL, 0, NULL,
		            false);
		return 0;
	}
	if (rt->hash_kind == MG_HASH_HEADER) {
		uint32_t hl;
		const char *hv = rq_header(&v, rt->hash_key.s, rt->hash_key.len, &hl);

		if (hv != NULL) {
			hash = mg_xxh64(hv, hl, 0);
			has_hash = 1;
		}
	} else if (rt->hash_kind == MG_HASH_SOURCE_IP) {
		hash = mg_xxh64(&h->c->raddr, sizeof(h->c->raddr), 0);
		has_hash = 1;
	} else if (rt->hash_kind == MG_HASH_COOKIE) {
		uint32_t cl;
		const char *cv = rq_header(&v, "cookie", 6, &cl);
		uint32_t vl;
		const char *val = cv != NULL ? cookie_value(cv, cl, &rt->hash_key, &vl) : NULL;

		if (val != NULL) {
			hash = mg_xxh64(val, vl, 0);
			has_hash = 1;
		}
	}
	ep = mg_lb_pick(&h->g->clusters[ci].lb, hash, has_hash);
	if (ep < 0) {
		mg_cnt_add(&pw->cnt.upstream_rq_no_healthy, 1);
		local_reply(h, 503, "no healthy upstream\n", 20, NULL, false);
		return 0;
	}
	u = upc_get(pw, h->g, (uint32_t)ci, (uint32_t)ep);
	if (u == NULL) {
		mg_cnt_add(&pw->cnt.upstream_cx_connect_fail, 1);
		local_reply(h, 503, "upstream connection failed\n", 27, NULL, false);
		return 0;
	}
	u->h = h;
	h->up = u;
	mg_lb_request_start(&h->g->clusters[ci].lb, (uint32_t)ep);
	mg_cnt_add(&h->g->clusters[ci].st.rq_total, 1);
	mg_cnt_add(&h->g->clusters[ci].ep_st[ep].rq_total, 1);
	mg_h1_parser_set_request(&u->rs, m->method);

	/* The upstream's head. */
	for (uint16_t i = 0; i < m->n_headers && n < MG_H1_DEF_MAX_HEADERS; i++) {
		const struct mg_h1_header *f = &m->headers[i];

		if ((f->flags & MG_H1_HF_HOP) || f->id == MG_H1_H_HOST || f->id == MG_H1_H_EXPECT)
			continue;
		if (f->name.len == 15 && strncasecmp(f->name.p, "x-forwarded-for", 15) == 0) {
			prev_xff = f->value.p;
			prev_xff_len = f->value.len;
			continue;
		}
		if (f->name.len == 17 && strncasecmp(f->name.p, "x-forwarded-proto", 17) == 0)
			continue;
		hdr[n++] = *f;
	}
	{
		const char *hv = v.authority;
		uint32_t hl = v.authority_len;

		if (wc != NULL && wc->host_rewrite.len) {
			hv = wc->host_rewrite.s;
			hl = wc->host_rewrite.len;
		} else if (rt->host_rewrite.len) {
			hv = rt->host_rewrite.s;
			hl = rt->host_rewrite.len;
		} else if (rt->host_rewrite_header.len) {
			uint32_t l_;
			const char *x = rq_header(&v, rt->host_rewrite_header.s,
			                          rt->host_rewrite_header.len, &l_);

			if (x != NULL && l_ > 0) { /* absent or empty: the Host stays */
				hv = x;
				hl = l_;
			}
		} else if (rt->auto_host_rewrite) {
			snprintf(host, sizeof(host), "%s", h->g->clusters[ci].cl->eps[ep].name.s);
			hv = host;
			hl = (uint32_t)strlen(host);
		}
		host_at = n;
		/* The client's own Host passed host_ok in the parser: not checked again. */
		hdr[n++] = (struct mg_h1_header){.name = {"host", 4},
		                                 .value = {hv, hl},
		                                 .id = MG_H1_H_HOST,
		                                 .flags = hv == v.authority ? MG_H1_HF_VALID : 0};
	}
	/*
	 * x-forwarded-for and -proto as Envoy's HCM: an edge proxy
	 * (use_remote_address) appends the client's address unless
	 * skip_xff_append, and says how the client came in; an inner one passes
	 * both on and sets the proto only when absent.
	 */
	if (h->l->http.use_remote_address && !h->l->http.skip_xff_append) {
		const uint8_t *ip = (const uint8_t *)&h->c->raddr;
		int xl = snprintf(xff, sizeof(xff), "%.*s%s%u.%u.%u.%u",
		                  (int)RTE_MIN(prev_xff_len, 64u), prev_xff ? prev_xff : "",
		                  prev_xff ? ", " : "", ip[0], ip[1], ip[2], ip[3]);

		hdr[n++] = (struct mg_h1_header){.name = {"x-forwarded-for", 15},
		                                 .value = {xff, (uint32_t)xl}};
	} else if (prev_xff != NULL) {
		hdr[n++] = (struct mg_h1_header){.name = {"x-forwarded-for", 15},
		                                 .value = {prev_xff, prev_xff_len}};
	}
	{
		uint32_t pl = 0;
		const char *pv = h->l->http.use_remote_address
		                     ? NULL
		                     : rq_header(&v, "x-forwarded-proto", 17, &pl);

		/* "http" or a value the parser checked */
		hdr[n++] = (struct mg_h1_header){.name = {"x-forwarded-proto", 17},
		                                 .value = {pv ? pv : "http", pv ? pl : 4},
		                                 .flags = MG_H1_HF_VALID};
	}
	{
		/*
		 * x-request-id: kept when the client sent one, unless this is
		 * the edge and preserve_external_request_id is off (Envoy's
		 * rule: an outside client does not choose our trace ids).
		 */
		uint32_t l_ = 0;
		const char *have = rq_header(&v, "x-request-id", 12, &l_);
		bool fresh = h->l->http.generate_request_id &&
		             (have == NULL || (h->l->http.use_remote_address &&
		                               !h->l->http.preserve_external_request_id));

		if (fresh) {
			uint64_t a = next_rand(pw), b = next_rand(pw);

			mg_proxy_request_id(rid, a, b);
			for (uint16_t i = 0; i < n; i++)
				if (hdr[i].name.len == 12 &&
				    strncasecmp(hdr[i].name.p, "x-request-id", 12) == 0)
					hdr[i--] = hdr[--n];
			/* lower-case hex and '-': valid, no need for the writer to check */
			hdr[n++] = (struct mg_h1_header){.name = {"x-request-id", 12},
			                                 .value = {rid, 36},
			                                 .flags = MG_H1_HF_VALID};
			memcpy(h->rid, rid, 36);
			h->rid_len = 36;
		} else if (have != NULL && l_ < sizeof(h->rid)) {
			memcpy(h->rid, have, l_);
			h->rid_len = (uint8_t)l_;
		}
	}
	if (h->l->http.via.len > 0)
		hdr[n++] = (struct mg_h1_header){.name = {"via", 3},
		                                 .value = {h->l->http.via.s, h->l->http.via.len}};
	if (h->upgrade) { /* hop-by-hop, dropped with the rest: this hop asks again */
		uint32_t ul = 0;
		const char *uv = rs_upgrade(m, &ul);

		hdr[n++] =
		    (struct mg_h1_header){.name = {"connection", 10}, .value = {"upgrade", 7}};
		hdr[n++] = (struct mg_h1_header){.name = {"upgrade", 7}, .value = {uv, ul}};
	}
	if (m->body == MG_H1_B_CHUNKED) {
		h->chunk_up = true;
		hdr[n++] = (struct mg_h1_header){.name = {"transfer-encoding", 17},
		                                 .value = {"chunked", 7}};
	}
	apply_ops(hdr, &n, cap, &t->req_hdrs);
	apply_ops(hdr, &n, cap, &vh->req_hdrs);
	apply_ops(hdr, &n, cap, &rt->req_hdrs);
	if (wc != NULL)
		apply_ops(hdr, &n, cap, &wc->req_hdrs);
	out.headers = hdr;
	out.n_headers = n;
	out.minor = 1;
	if (rt->has_prefix_rewrite && rt->path_kind != MG_PATH_REGEX &&
	    m->target.len >= rt->path.len) {
		int tl = snprintf(target, sizeof(target), "%s%.*s", rt->prefix_rewrite.s,
		                  (int)(m->target.len - rt->path.len), m->target.p + rt->path.len);

		/* "/api" + "/x" rewritten to "/" gives "//x": keep one slash */
		if (tl > 1 && target[0] == '/' && target[1] == '/')
			memmove(target, target + 1, (size_t)tl--);
		out.target =
		    (struct mg_h1_str){target, (uint32_t)RTE_MIN(tl, (int)sizeof(target) - 1)};
	}
	hm = mg_h1_write_head_mbuf(pool_of(pw), &out, MG_H1_HF_HOP);
	if (hm == NULL) {
		upc_release(u, false);
		local_reply(h, 400, NULL, 0, NULL, true);
		return 0;
	}
	chain_append(&h->batch, hm);
	if (!h->upgrade) /* a tunnel has no copy */
		shadows_start(h, vh, rt, m, &out, host_at, hash, has_hash);
	if (m->flags & MG_H1_F_EXPECT_CONTINUE) {
		struct rte_mbuf *c100 =
		    chain_from(pool_of(pw), "HTTP/1.1 100 Continue\r\n\r\n", 25);

		if (c100 != NULL && send_or_hold(h->c, &c100, &h->to_cli) < 0)
			return -1;
	}
	set_deadline(h, rt->timeout_ms);
	return 0;
}

static int rq_body(void *ctx, const char *at, uint32_t len)
{
	struct mg_hcm *h = ctx;
	struct rte_mbuf *m;

	if (h->discard || h->up == NULL) {
		shadows_request_end(h, false); /* the request failed: so do its copies */
		return 0;
	}
	m = clone_range(pool_of(h->pw), mg_h1_parser_segment(&h->rq), at, len);
	if (m == NULL)
		return -1;
	if (h->chunk_up && mg_h1_frame_chunk(pool_of(h->pw), &m) < 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	mg_cnt_add(&h->pw->cnt.bytes_in, len);
	count_bytes(h, h->up, len, 0);
	if (h->n_shadow > 0)
		shadows_body(h, m);
	chain_append(&h->batch, m);
	return 0;
}

static int rq_end(void *ctx, const struct mg_h1_msg *m)
{
	struct mg_hcm *h = ctx;

	(void)m;
	if (!h->discard && h->up != NULL && h->chunk_up)
		chain_append(&h->batch, chain_from(pool_of(h->pw), "0\r\n\r\n", 5));
	shadows_request_end(h, !h->discard && h->up != NULL);
	h->rq_complete = true;
	return 0;
}

static const struct mg_h1_cbs rq_cbs = {
    .on_head = rq_head,
    .on_body = rq_body,
    .on_message_end = rq_end,
};

/*
 * Parse what the client sent, one request at a time, while the upstream can
 * take it; a finished request waits for its response before the next one is
 * read.
 */
static void hcm_process(struct mg_hcm *h)
{
	if (h->tunnel) {
		hcm_hold(h);
		tunnel_up(h);
		hcm_put(h);
		return;
	}
	hcm_hold(h);
	while (h->c != NULL && h->in != NULL && h->state != H_CLOSING) {
		int n;

		if (h->rq_complete || h->to_up != NULL || h->to_cli != NULL)
			break; /* waiting for the response, or for room */
		h->state = H_REQ;
		n = mg_h1_parse_mbuf(&h->rq, h->in, 0);
		if (n < 0) {
			enum mg_h1_err e = mg_h1_parser_error(&h->rq);

			rte_pktmbuf_free(h->batch);
			h->batch = NULL;
			mg_cnt_add(&h->pw->cnt.downstream_rq_bad, 1);
			if (h->up != NULL)
				upc_release(h->up, false);
			h->rs_started = false;
			local_reply(h, (uint16_t)(e != MG_H1_E_NONE ? mg_h1_err_status(e) : 400),
			            NULL, 0, NULL, true);
			hcm_untime(h);
			if (h->to_cli == NULL)
				hcm_close(h);
			break;
		}
		ops->recved(h->c, (uint32_t)n);
		chain_drop(&h->in, (uint32_t)n);
		if (h->up != NULL && send_or_hold(h->up->c, &h->batch, &h->to_up) < 0) {
			struct mg_upc *u = h->up;

			upc_release(u, false);
			local_reply(h, 502, NULL, 0, NULL, true);
		}
		rte_pktmbuf_free(h->batch); /* a dropped request's body */
		h->batch = NULL;
		if (h->rq_complete && h->up == NULL) {
			/* answered locally: the request is over */
			finish_response(h, NULL, false);
			break;
		}
		if (n == 0)
			break;
	}
	if (h->c != NULL && h->client_fin && h->state == H_IDLE && h->to_cli == NULL)
		hcm_close(h);
	hcm_put(h);
}

/* ---- client callbacks ---- */

void *mg_hcm_accept(void *arg, struct mg_tcp_conn *c)
{
	const struct mg_listener *l = arg;
	struct mg_proxy_worker *pw = mg_proxy_of(c->tw->w);
	struct mg_h1_conf conf = {.max_head_bytes = l->http.max_request_headers_kb * 1024u};
	struct mg_hcm *h;

	if (pw == NULL)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	if (mg_h1_parser_init(&h->rq, MG_H1_REQUEST, &conf, &rq_cbs, h, &pw->h1) < 0) {
		free(h);
		return NULL;
	}
	h->pw = pw;
	h->g = pw->cur; /* the listener's ctx is always the current snapshot's */
	mg_proxy_gen_get(h->g);
	LIST_INSERT_HEAD(&h->g->hcms, h, gen_link);
	h->l = l;
	h->c = c;
	h->refs = 1; /* the client connection's */
	mg_cnt_add(&pw->hcm_live, 1);
	mg_cnt_add(&pw->cnt.downstream_cx_total, 1);
	mg_cnt_add(&h->g->lst[l->idx].cx_total, 1);
	return h;
}

static void hcm_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	struct mg_hcm *h = ctx;

	(void)c;
	chain_append(&h->in, m);
	hcm_process(h);
}

static void hcm_writable(void *ctx, struct mg_tcp_conn *c)
{
	struct mg_hcm *h = ctx;

	hcm_hold(h);
	if (h->to_cli != NULL) {
		struct rte_mbuf *m = h->to_cli;

		h->to_cli = NULL;
		if (send_or_hold(c, &m, &h->to_cli) < 0)
			hcm_abort(h);
	}
	if (h->to_cli == NULL) {
		if (h->up != NULL)
			upc_process(h->up);
		else if (h->tunnel)
			hcm_close(h); /* the upstream's end of the tunnel is gone: all is sent */
		else if (h->close_after && h->state == H_IDLE)
			hcm_close(h);
		else if (h->state != H_CLOSING)
			hcm_process(h);
	}
	hcm_put(h);
}

static void hcm_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	struct mg_hcm *h = ctx;

	(void)c;
	h->client_fin = true;
	hcm_hold(h);
	if (h->tunnel)
		tunnel_up(h); /* the FIN follows the last byte upstream */
	else if (h->up == NULL && h->in == NULL && h->to_cli == NULL)
		hcm_close(h);
	hcm_put(h);
}

static void hcm_on_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	struct mg_hcm *h = ctx;
	bool fini = err == -ECONNABORTED && c->state != MG_TCP_CLOSED;

	h->c = NULL;
	h->state = H_CLOSING;
	hcm_untime(h);
	if (h->up != NULL) {
		struct mg_upc *u = h->up;

		/* The response can't be delivered: the upstream connection can't be reused. */
		u->h = NULL;
		h->up = NULL;
		mg_lb_request_end(&u->g->clusters[u->cl].lb, u->ep);
		if (u->c != NULL && !fini) {
			if (h->tunnel && err == 0)
				ops->close(u->c); /* the client closed its tunnel in order */
			else
				ops->abort(u->c);
		}
	}
	hcm_put(h);
}

const struct mg_tcp_cbs mg_hcm_cbs = {
    .on_data = hcm_data,
    .on_writable = hcm_writable,
    .on_peer_fin = hcm_peer_fin,
    .on_close = hcm_on_close,
};

void mg_hcm_expire(struct mg_proxy_worker *pw, uint32_t now_ms)
{
	struct mg_hcm *h;

	while ((h = TAILQ_FIRST(&pw->active)) != NULL && (int32_t)(now_ms - h->deadline_ms) >= 0) {
		struct mg_upc *u = h->up;

		hcm_hold(h);
		hcm_untime(h);
		mg_cnt_add(&pw->cnt.downstream_rq_timeout, 1);
		mg_cnt_add(&h->g->lst[h->l->idx].rq_timeout, 1);
		if (h->rt != NULL)
			mg_cnt_add(&h->g->rst[h->rt->stat_idx].rq_timeout, 1);
		if (u != NULL) {
			mg_cnt_add(&u->g->clusters[u->cl].st.rq_timeout, 1);
			mg_cnt_add(&u->g->clusters[u->cl].ep_st[u->ep].rq_timeout, 1);
			if (!h->rs_started)
				upstream_status(u, 504);
			upc_release(u, false);
		}
		if (!h->rs_started) {
			local_reply(h, 504, "upstream request timeout\n", 25, NULL,
			            !h->rq_complete);
			if (h->rq_complete)
				finish_response(h, NULL, false);
		} else {
			hcm_abort(h);
		}
		hcm_put(h);
	}
}

size_t mg_proxy_hcm_size(void)
{
	return sizeof(struct mg_hcm);
}

size_t mg_proxy_upc_size(void)
{
	return sizeof(struct mg_upc);
}
