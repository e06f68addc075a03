/*
 * tcp_forward.c — the built-in forward service: an L4 relay.  Each accepted
 * connection (the client side) gets a connection of its own to one fixed
 * destination (the upstream side, an active open), and bytes flow both ways
 * between the two.  Like the other services it sees only struct mg_tcp_cbs
 * and mg_tcp_stream_ops.
 *
 * Zero copy: the chain on_data hands up from one side is the chain given to
 * the other side's send, so a byte is never copied between the two stacks'
 * queues.  Backpressure: received bytes are released (recved) only once the
 * other side's send has taken them; a send that returns -EAGAIN leaves the
 * chain held here until that side's on_writable.  A slow reader on one side
 * therefore closes the other side's receive window instead of filling memory:
 * per direction at most rcvbuf bytes are held here and sndbuf (plus the one
 * chain that crossed it) wait in the send queue.
 *
 * Endings: a peer's FIN becomes a shutdown of the other side once everything
 * before it has been handed over; when both directions have ended both sides
 * are closed.  An RST, abort or timeout on one side aborts the other, and so
 * does a refused or unreachable upstream, so the client sees an RST rather
 * than a connection that was accepted and then closed cleanly.  The pair's
 * state is freed when the second side's on_close has run.
 */
#include <errno.h>
#include <stdlib.h>

#include "tcp/tcp_pvt.h"

enum { CLI = 0, UP = 1 };

static const struct mg_stream_ops *const ops = &mg_tcp_stream_ops;

/*
 * One relayed connection pair.  Index CLI is the accepted connection, UP the
 * one we opened; held[i] and fin_in[i] are about bytes that came from side i.
 */
struct fwd_pair {
	struct mg_tcp_conn *c[2]; /**< NULL once that side's on_close has run */
	struct rte_mbuf *held[2]; /**< from side i, not yet taken by side !i's send */
	uint8_t refs;             /**< open sides plus callbacks in progress */
	bool fin_in[2];           /**< side i's peer sent FIN */
	bool shut[2];             /**< we shut side i down (our FIN is queued) */
	bool closing;             /**< both directions ended; both sides closed */
};

/*
 * The destination travels in the listener's arg, packed into the pointer:
 * a listener has no destructor, so heap state behind arg would outlive
 * worker fini, and a table in this file would be state shared by workers.
 */
_Static_assert(sizeof(uintptr_t) >= 8, "the destination is packed into a pointer");

static void *dst_pack(rte_be32_t addr, uint16_t port)
{
	return (void *)(((uintptr_t)addr << 16) | port);
}

static void dst_unpack(const void *arg, rte_be32_t *addr, uint16_t *port)
{
	*addr = (rte_be32_t)((uintptr_t)arg >> 16);
	*port = (uint16_t)(uintptr_t)arg;
}

static void pair_hold(struct fwd_pair *p)
{
	p->refs++;
}

static void pair_put(struct fwd_pair *p)
{
	if (--p->refs > 0)
		return;
	rte_pktmbuf_free(p->held[CLI]);
	rte_pktmbuf_free(p->held[UP]);
	free(p);
}

/* Abort whatever side is still open; each abort runs that side's on_close. */
static void pair_abort(struct fwd_pair *p)
{
	for (int i = 0; i < 2; i++)
		if (p->c[i] != NULL)
			ops->abort(p->c[i]);
}

/*
 * Move what came from side i to side o = !i: hand the held chain to o's send,
 * release it on i once taken, then pass i's FIN on.  Ends the pair when both
 * directions are done.  The caller holds a reference.
 */
static void relay(struct fwd_pair *p, int i)
{
	int o = !i;

	if (p->held[i] != NULL) {
		struct rte_mbuf *m = p->held[i];
		uint32_t n = m->pkt_len;
		int rc = p->c[o] != NULL ? ops->send(p->c[o], m) : -ENOTCONN;

		if (rc == -EAGAIN)
			return; /* o's on_writable calls us again */
		p->held[i] = NULL;
		if (rc < 0) {
			rte_pktmbuf_free(m);
			pair_abort(p);
			return;
		}
		if (p->c[i] != NULL)
			ops->recved(p->c[i], n);
	}
	if (p->fin_in[i] && !p->shut[o] && p->c[o] != NULL) {
		p->shut[o] = true;
		(void)ops->shutdown(p->c[o]);
	}
	if (p->shut[CLI] && p->shut[UP] && !p->closing) {
		p->closing = true;
		for (int k = 0; k < 2; k++)
			if (p->c[k] != NULL)
				ops->close(p->c[k]);
	}
}

static void fwd_data(struct fwd_pair *p, int i, struct rte_mbuf *m)
{
	if (p->held[i] != NULL) {
		/*
		 * The other side refused the last chain and owes an on_writable:
		 * only append.  The window bounds what can arrive meanwhile.
		 */
		if (rte_pktmbuf_chain(p->held[i], m) != 0) { /* over 65535 segments */
			rte_pktmbuf_free(m);
			pair_hold(p);
			pair_abort(p);
			pair_put(p);
		}
		return;
	}
	p->held[i] = m;
	pair_hold(p);
	relay(p, i);
	pair_put(p);
}

/* Side o can take more: resume the direction that writes to it. */
static void fwd_writable(struct fwd_pair *p, int o)
{
	pair_hold(p);
	relay(p, !o);
	pair_put(p);
}

static void fwd_peer_fin(struct fwd_pair *p, int i)
{
	p->fin_in[i] = true;
	pair_hold(p);
	relay(p, i);
	pair_put(p);
}

/*
 * Side i is gone.  An orderly end (0) after our shutdown of i means i's peer
 * sent its FIN too: the stack reports a FIN that meets ours (FIN-WAIT or
 * CLOSING) only through this on_close, not on_peer_fin.  Then the rest of
 * i's data may still reach o, and i's FIN goes on as o's shutdown; any other
 * end aborts o.  Worker fini closes every connection in turn without
 * changing its state (a normal close has set CLOSED before an error's
 * on_close): then o gets its own on_close and must not be aborted, since
 * fini promises that nothing is sent.
 */
static void fwd_close(struct fwd_pair *p, int i, struct mg_tcp_conn *c, int err)
{
	int o = !i;
	bool fini = err == -ECONNABORTED && c->state != MG_TCP_CLOSED;

	p->c[i] = NULL;
	if (p->c[o] != NULL && !fini) {
		if (err == 0 && p->shut[i]) {
			p->fin_in[i] = true;
			relay(p, i);
		} else {
			ops->abort(p->c[o]);
		}
	}
	pair_put(p); /* side i's reference; the pair's own holds keep it meanwhile */
}

/* ---- the two sides' callbacks ---- */

static void cli_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	(void)c;
	fwd_data(ctx, CLI, m);
}

static void cli_writable(void *ctx, struct mg_tcp_conn *c)
{
	(void)c;
	fwd_writable(ctx, CLI);
}

static void cli_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	(void)c;
	fwd_peer_fin(ctx, CLI);
}

static void cli_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	fwd_close(ctx, CLI, c, err);
}

static void up_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	(void)c;
	fwd_data(ctx, UP, m);
}

static void up_writable(void *ctx, struct mg_tcp_conn *c)
{
	(void)c;
	fwd_writable(ctx, UP);
}

static void up_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	(void)c;
	fwd_peer_fin(ctx, UP);
}

static void up_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	fwd_close(ctx, UP, c, err);
}

const struct mg_tcp_cbs mg_tcp_forward_cbs = {
    .on_data = cli_data,
    .on_writable = cli_writable,
    .on_peer_fin = cli_peer_fin,
    .on_close = cli_close,
};

/* No on_open: data the client sent meanwhile is queued and leaves after the handshake. */
static const struct mg_tcp_cbs up_cbs = {
    .on_data = up_data,
    .on_writable = up_writable,
    .on_peer_fin = up_peer_fin,
    .on_close = up_close,
};

/*
 * A client completed its handshake: open the upstream side now.  A connect
 * that fails at once (no route, table full, no port) refuses the client,
 * which the stack answers with an RST.
 */
static void *fwd_accept(void *arg, struct mg_tcp_conn *c)
{
	struct fwd_pair *p = calloc(1, sizeof(*p));
	rte_be32_t dst;
	uint16_t dport;

	if (p == NULL)
		return NULL;
	dst_unpack(arg, &dst, &dport);
	p->c[CLI] = c;
	p->c[UP] = mg_tcp_connect(c->tw->w, dst, dport, &up_cbs, p);
	if (p->c[UP] == NULL) {
		free(p);
		return NULL;
	}
	p->refs = 2;
	return p;
}

int mg_tcp_forward_start(struct mg_worker *w, uint16_t listen_port, rte_be32_t dst_addr,
                         uint16_t dst_port)
{
	if (dst_addr == 0 || dst_port == 0)
		return -EINVAL;
	return mg_tcp_listen(w, 0, listen_port, &mg_tcp_forward_cbs, fwd_accept,
	                     dst_pack(dst_addr, dst_port));
}

void *mg_tcp_forward_open(struct mg_tcp_conn *c, rte_be32_t dst, uint16_t dport, const char *cc,
                          uint32_t connect_timeout_ms)
{
	struct fwd_pair *p = fwd_accept(dst_pack(dst, dport), c);

	/* Only the SYN went out: the choice can fail by an unknown name only. */
	if (p != NULL && cc != NULL)
		(void)mg_tcp_set_cc(p->c[UP], cc);
	if (p != NULL && connect_timeout_ms != 0)
		(void)mg_tcp_set_connect_timeout(p->c[UP], connect_timeout_ms);
	return p;
}
