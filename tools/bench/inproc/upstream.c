/*
 * upstream.c — the benchmark's HTTP/1.1 upstream: a plain user of the TCP
 * stream API that answers every request with the same small 200 response.
 *
 * It does not parse HTTP: a GET without a body ends at the blank line, so it
 * counts "\r\n\r\n" terminators (a match split across segments carries over
 * in the per-connection state) and answers each.  Enough for a peer whose
 * cost must stay out of the way; the gateway is what is measured.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "inproc.h"

static const char mgb_response[] = "HTTP/1.1 200 OK\r\n"
                                   "Content-Type: text/plain\r\n"
                                   "Content-Length: 16\r\n"
                                   "\r\n" MGB_BODY;
_Static_assert(MGB_BODY_LEN == 16, "Content-Length above must match MGB_BODY");

uint64_t mgb_upstream_requests;

struct mgb_up_conn {
	unsigned matched; /* bytes of "\r\n\r\n" matched so far */
};

static char up_tag; /* accept_ctx's arg: unused */

static void *up_accept(void *arg, struct mg_tcp_conn *c)
{
	(void)arg;
	(void)c;
	return calloc(1, sizeof(struct mgb_up_conn));
}

static void up_respond(struct mg_tcp_conn *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->tw->w->pool);
	char *p;

	if (m == NULL) {
		mg_tcp_stream_ops.abort(c); /* the client sees it: an error, not a silent stall */
		return;
	}
	p = rte_pktmbuf_append(m, sizeof(mgb_response) - 1);
	memcpy(p, mgb_response, sizeof(mgb_response) - 1);
	if (mg_tcp_stream_ops.send(c, m) < 0) {
		rte_pktmbuf_free(m);
		mg_tcp_stream_ops.abort(c);
		return;
	}
	mgb_upstream_requests++;
}

static void up_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *chain)
{
	static const char end[] = "\r\n\r\n";
	struct mgb_up_conn *u = ctx;
	uint32_t len = chain->pkt_len;
	unsigned answers = 0;

	for (struct rte_mbuf *s = chain; s != NULL; s = s->next) {
		const char *p = rte_pktmbuf_mtod(s, const char *);

		for (uint16_t i = 0; i < s->data_len; i++) {
			if (p[i] == end[u->matched])
				u->matched++;
			else
				u->matched = p[i] == '\r' ? 1 : 0;
			if (u->matched == 4) {
				answers++;
				u->matched = 0;
			}
		}
	}
	rte_pktmbuf_free(chain);
	mg_tcp_stream_ops.recved(c, len);
	while (answers-- > 0)
		up_respond(c);
}

static void up_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	(void)ctx;
	mg_tcp_stream_ops.close(c);
}

static void up_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	(void)c;
	(void)err;
	free(ctx);
}

static const struct mg_tcp_cbs up_cbs = {
    .on_data = up_data,
    .on_peer_fin = up_peer_fin,
    .on_close = up_close,
};

int mgb_upstream_start(struct mg_worker *w)
{
	return mg_tcp_listen(w, 0, MGB_UP_PORT, &up_cbs, up_accept, &up_tag);
}
