/*
 * proxy.h — serving a config snapshot on a worker: its listeners accept
 * clients; HTTP listeners run the HTTP connection manager (http_proxy.c:
 * HTTP/1.1 requests parsed, routed, load-balanced and forwarded over pooled
 * upstream connections), TCP listeners relay bytes to an endpoint of their
 * cluster.  Types are in proxy_types.h.
 *
 * What a client gets when something goes wrong, as Envoy answers: 400/431/
 * 501/505 for a request the parser refuses (never forwarded), 404 when no
 * virtual host or route matches, 503 when the cluster is unknown or has no
 * eligible endpoint, 502 when the upstream refuses, resets or answers
 * something unparsable before a response began, 504 when the route's
 * timeout passes first.  Each is counted (proxy_counters.def).
 */
#ifndef MG_PROXY_H
#define MG_PROXY_H

#include "proxy/proxy_types.h"

/**
 * Serve snapshot s on worker w (after mg_tcp_worker_init; on w's lcore, as
 * mg_worker_adopt_config does when s is published, or before w runs):
 * listen on every listener's port and set up per-cluster state.  When w
 * already serves one, s replaces it live: listeners on a kept address and
 * port pass to s without closing, new ones open, removed ones close; new
 * connections and new requests on kept-alive ones use s, and the previous
 * snapshot drains (struct mg_proxy_gen).  w->snap_held_min tells the
 * control core which snapshots w still holds; none may be freed before.
 * @return 0; -ENOMEM; an error of mg_tcp_listen (-EADDRINUSE, -ENOSPC),
 *         in which case nothing changed
 */
int mg_proxy_worker_start(struct mg_worker *w, const struct mg_snapshot *s);

/** Free w's proxy state (after its lcore returned and after mg_tcp_worker_fini). */
void mg_proxy_worker_stop(struct mg_worker *w);

/** Run due proxy timers (route timeouts).  The worker loop calls it every iteration. */
void mg_proxy_poll(struct mg_worker *w);

/** w's proxy, or NULL when it serves no snapshot. */
static inline struct mg_proxy_worker *mg_proxy_of(const struct mg_worker *w);

/** Names and help of the counters, in struct order (MG_PROXY_N_COUNTERS). */
struct mg_proxy_counter_desc {
	const char *name;
	const char *help;
};

enum {
#define MG_PROXY_STAT(n, h) MG_PROXY_IDX_##n,
#include "proxy/proxy_counters.def"
	MG_PROXY_N_COUNTERS
};

extern const struct mg_proxy_counter_desc mg_proxy_counter_descs[];

/* ---- internal to dataplane/proxy: the HTTP connection manager ---- */

/** Accept a client on an HTTP listener (mg_tcp_listen's accept_ctx). */
void *mg_hcm_accept(void *arg, struct mg_tcp_conn *c);

/** Callbacks of client connections on HTTP listeners. */
extern const struct mg_tcp_cbs mg_hcm_cbs;

/** Expire requests whose route timeout passed (504). */
void mg_hcm_expire(struct mg_proxy_worker *pw, uint32_t now_ms);

/**
 * Move from's pooled upstream connections to to's clusters and endpoints of
 * the same name and address.
 */
void mg_upc_adopt_pools(struct mg_proxy_worker *pw, struct mg_proxy_gen *to,
                        struct mg_proxy_gen *from);

/**
 * After a switch: old's client connections that wait between requests follow
 * the new config now rather than at their next request (one whose listener
 * is gone closes), so an idle kept-alive connection holds no replaced
 * snapshot.
 */
void mg_hcm_follow_idle(struct mg_proxy_gen *old);

/** Close every idle upstream connection of g's clusters (g replaced, or worker stop). */
void mg_upc_drain_gen(struct mg_proxy_worker *pw, struct mg_proxy_gen *g);

/** Take a reference on g (a client or upstream connection now uses it). */
static inline void mg_proxy_gen_get(struct mg_proxy_gen *g)
{
	g->refs++;
}

/** Drop a reference on g; a replaced g with none left is freed. */
void mg_proxy_gen_put(struct mg_proxy_worker *pw, struct mg_proxy_gen *g);

#include "core/worker_types.h"

static inline struct mg_proxy_worker *mg_proxy_of(const struct mg_worker *w)
{
	return w->proxy;
}

/** Bytes of one client connection's HTTP manager, and of one upstream connection (memory
 * accounting). */
size_t mg_proxy_hcm_size(void);
size_t mg_proxy_upc_size(void);

#endif /* MG_PROXY_H */
