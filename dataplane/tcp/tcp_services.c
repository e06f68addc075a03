/*
 * tcp_services.c — the built-in test services (echo, discard, source), each
 * a plain user of the stream API: they see only struct mg_tcp_cbs and
 * mg_tcp_stream_ops, as the HTTP layer will.
 *
 * echo sends back what arrives.  When the send queue is full it holds what
 * it could not send, resumes on on_writable, and releases received bytes
 * (recved) only once they are queued for sending, so a peer that sends
 * without reading meets a closed window: echo holds at most rcvbuf + sndbuf
 * per connection.  MG_ECHO_BACKLOG_MAX is a guard that should never trip.
 *
 * source waits for the client's first line: "N\n" (decimal) asks for exactly
 * N bytes of the pattern mg_tcp_source_byte(), then FIN; any other first
 * byte, or a FIN before any request, starts a stream that lasts until the
 * peer closes or resets.  Waiting for the request (rather than streaming at
 * once) is what lets N be honoured exactly: nothing is queued before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_pvt.h"

#define MG_ECHO_BACKLOG_MAX (4u << 20)
/* Segments the source builds per send call (64 KiB with 2 KiB mbufs). */
#define SOURCE_CHUNK_SEGS 32

static const struct mg_stream_ops *const ops = &mg_tcp_stream_ops;

static struct mg_worker *conn_worker(struct mg_tcp_conn *c)
{
	return c->tw->w;
}

/* ---- echo ---- */

struct echo_ctx {
	struct rte_mbuf *pending; /**< received, not yet accepted by send */
	bool peer_fin;
};

static void *echo_accept(void *arg, struct mg_tcp_conn *c)
{
	(void)arg;
	(void)c;
	return calloc(1, sizeof(struct echo_ctx));
}

/* Send what is pending; close once the peer has finished and everything is queued. */
static void echo_flush(struct echo_ctx *e, struct mg_tcp_conn *c)
{
	if (e->pending != NULL) {
		uint32_t n = e->pending->pkt_len;
		int rc = ops->send(c, e->pending);

		if (rc == -EAGAIN)
			return;
		if (rc < 0)
			rte_pktmbuf_free(e->pending);
		e->pending = NULL;
		/* Echoed bytes are in the send queue now: the peer may send more. */
		ops->recved(c, n);
	}
	if (e->peer_fin)
		ops->close(c);
}

static void echo_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	struct echo_ctx *e = ctx;

	if (e->pending == NULL) {
		e->pending = m;
		echo_flush(e, c);
		return;
	}
	if (e->pending->pkt_len + m->pkt_len > MG_ECHO_BACKLOG_MAX ||
	    rte_pktmbuf_chain(e->pending, m) != 0) {
		rte_pktmbuf_free(m);
		ops->abort(c);
	}
}

static void echo_writable(void *ctx, struct mg_tcp_conn *c)
{
	echo_flush(ctx, c);
}

static void echo_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	struct echo_ctx *e = ctx;

	e->peer_fin = true;
	if (e->pending == NULL)
		ops->close(c);
}

static void echo_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	struct echo_ctx *e = ctx;

	(void)c;
	(void)err;
	rte_pktmbuf_free(e->pending);
	free(e);
}

static const struct mg_tcp_cbs echo_cbs = {
    .on_data = echo_data,
    .on_writable = echo_writable,
    .on_peer_fin = echo_peer_fin,
    .on_close = echo_close,
};

/* ---- discard ---- */

static char discard_tag; /* a non-NULL ctx; discard keeps no state */

static void *discard_accept(void *arg, struct mg_tcp_conn *c)
{
	(void)arg;
	(void)c;
	return &discard_tag;
}

static void discard_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	(void)ctx;
	ops->recved(c, m->pkt_len);
	rte_pktmbuf_free(m);
}

static void discard_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	(void)ctx;
	ops->close(c);
}

static const struct mg_tcp_cbs discard_cbs = {
    .on_data = discard_data,
    .on_peer_fin = discard_peer_fin,
};

/* ---- source ---- */

enum source_mode { SRC_WAIT_REQUEST, SRC_SENDING, SRC_DONE };

struct source_ctx {
	enum source_mode mode;
	uint64_t off;       /**< pattern offset of the next byte to build */
	uint64_t remaining; /**< bytes still to build; UINT64_MAX streams */
	struct rte_mbuf *pending;
	uint8_t req_len;
	char req[24];
};

static void *source_accept(void *arg, struct mg_tcp_conn *c)
{
	(void)arg;
	(void)c;
	return calloc(1, sizeof(struct source_ctx));
}

/* A chain of up to SOURCE_CHUNK_SEGS full mbufs of the pattern; NULL if out of mbufs. */
static struct rte_mbuf *source_build(struct source_ctx *s, struct rte_mempool *mp)
{
	struct rte_mbuf *head = NULL;

	for (unsigned k = 0; k < SOURCE_CHUNK_SEGS && s->remaining > 0; k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t n;
		uint8_t *p;

		if (m == NULL)
			break;
		n = (uint16_t)RTE_MIN((uint64_t)rte_pktmbuf_tailroom(m), s->remaining);
		p = (uint8_t *)rte_pktmbuf_append(m, n);
		for (uint16_t i = 0; i < n; i++)
			p[i] = mg_tcp_source_byte(s->off + i);
		s->off += n;
		if (s->remaining != UINT64_MAX)
			s->remaining -= n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			rte_pktmbuf_free(m); /* cannot happen with 32 segments */
	}
	return head;
}

static void source_pump(struct source_ctx *s, struct mg_tcp_conn *c)
{
	while (s->mode == SRC_SENDING) {
		int rc;

		if (s->pending == NULL && s->remaining > 0)
			s->pending = source_build(s, conn_worker(c)->pool);
		if (s->pending == NULL) {
			if (s->remaining == 0) {
				s->mode = SRC_DONE;
				ops->close(c); /* FIN after the last byte */
			}
			return; /* out of mbufs: resume on the next ACK's on_writable */
		}
		rc = ops->send(c, s->pending);
		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			rte_pktmbuf_free(s->pending);
			s->pending = NULL;
			s->mode = SRC_DONE;
			return;
		}
		s->pending = NULL;
	}
}

static void source_start(struct source_ctx *s, struct mg_tcp_conn *c, uint64_t n)
{
	s->mode = SRC_SENDING;
	s->remaining = n;
	source_pump(s, c);
}

/* Read the request line; decides the mode on the first non-digit. */
static void source_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	struct source_ctx *s = ctx;

	ops->recved(c, m->pkt_len); /* read at once; what follows the request is ignored */
	for (struct rte_mbuf *seg = m; seg != NULL && s->mode == SRC_WAIT_REQUEST;
	     seg = seg->next) {
		const char *p = rte_pktmbuf_mtod(seg, const char *);

		for (uint16_t i = 0; i < seg->data_len && s->mode == SRC_WAIT_REQUEST; i++) {
			if (p[i] >= '0' && p[i] <= '9' && s->req_len < 20) {
				s->req[s->req_len++] = p[i];
			} else if (p[i] == '\n' && s->req_len > 0) {
				s->req[s->req_len] = '\0';
				rte_pktmbuf_free(m);
				source_start(s, c, strtoull(s->req, NULL, 10));
				return;
			} else {
				rte_pktmbuf_free(m);
				source_start(s, c, UINT64_MAX);
				return;
			}
		}
	}
	rte_pktmbuf_free(m);
}

static void source_writable(void *ctx, struct mg_tcp_conn *c)
{
	source_pump(ctx, c);
}

static void source_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	struct source_ctx *s = ctx;

	if (s->mode == SRC_WAIT_REQUEST)
		source_start(s, c, UINT64_MAX);
}

static void source_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	struct source_ctx *s = ctx;

	(void)c;
	(void)err;
	rte_pktmbuf_free(s->pending);
	free(s);
}

static const struct mg_tcp_cbs source_cbs = {
    .on_data = source_data,
    .on_writable = source_writable,
    .on_peer_fin = source_peer_fin,
    .on_close = source_close,
};

int mg_tcp_services_start(struct mg_worker *w, uint16_t echo_port, uint16_t discard_port,
                          uint16_t source_port)
{
	int rc = 0;

	if (echo_port != 0)
		rc = mg_tcp_listen(w, 0, echo_port, &echo_cbs, echo_accept, NULL);
	if (rc == 0 && discard_port != 0)
		rc = mg_tcp_listen(w, 0, discard_port, &discard_cbs, discard_accept, NULL);
	if (rc == 0 && source_port != 0)
		rc = mg_tcp_listen(w, 0, source_port, &source_cbs, source_accept, NULL);
	return rc;
}
