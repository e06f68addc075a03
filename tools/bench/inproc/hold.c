/*
 * hold.c — --conns-hold: open K idle HTTP connections through the gateway
 * and keep them, so that the gateway's memory per idle connection can be
 * read at a scale the kernel-peered scale section cannot reach (one client
 * address there, ~28k ports per destination).  Nothing is sent on them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inproc.h"

/* MGB_GW_PORT first, then ports beside it. */
const uint16_t mgb_hold_ports[MGB_HOLD_PORTS] = {MGB_GW_PORT, 8090, 8091, 8092};

/* Handshakes in flight at once: SYN backlog and rings stay far from full. */
#define MGB_HOLD_INFLIGHT 256

static void hold_error(struct mgb_hold *h, const char *what)
{
	if (h->errors++ == 0)
		snprintf(h->first_error, sizeof(h->first_error), "%s", what);
}

static void hold_open(void *ctx, struct mg_tcp_conn *c)
{
	(void)c;
	((struct mgb_hold *)ctx)->established++;
}

static void hold_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	(void)c;
	rte_pktmbuf_free(m);
	hold_error(ctx, "hold: the gateway sent data on an idle connection");
}

static void hold_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	hold_error(ctx, "hold: the gateway closed an idle connection");
	mg_tcp_stream_ops.close(c);
}

static void hold_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	struct mgb_hold *h = ctx;
	char msg[96];

	(void)c;
	if (h->stopping)
		return;
	snprintf(msg, sizeof(msg), "hold: connection closed (%s)", strerror(-err));
	hold_error(h, msg);
}

static const struct mg_tcp_cbs hold_cbs = {
    .on_open = hold_open,
    .on_data = hold_data,
    .on_peer_fin = hold_peer_fin,
    .on_close = hold_close,
};

void mgb_hold_step(struct mgb_hold *h)
{
	while (h->opened < h->target && h->opened - h->established < MGB_HOLD_INFLIGHT &&
	       h->errors == 0) {
		uint16_t port = mgb_hold_ports[h->opened % MGB_HOLD_PORTS];

		if (mg_tcp_connect(h->w, h->dst, port, &hold_cbs, h) == NULL) {
			char msg[96];

			snprintf(msg, sizeof(msg), "hold: connect: %s", strerror(errno));
			hold_error(h, msg);
			return;
		}
		h->opened++;
	}
}
