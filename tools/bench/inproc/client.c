/*
 * client.c — the benchmark's HTTP/1.1 load generator, written on meshgate's
 * own TCP stream API so that it needs no kernel and runs on the same lcore.
 *
 * Each connection has one request in flight at a time ("GET / HTTP/1.1",
 * keep-alive): the next is sent when the response is complete and checked
 * (status 200, Content-Length equal to the upstream's body, that many body
 * bytes).  In newconn mode a connection carries one request and the client
 * closes it after the response (the client holds TIME-WAIT, as a browser
 * or wrk would, not the gateway).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_mbuf.h>

#include "inproc.h"

static const char mgb_request[] = "GET / HTTP/1.1\r\n"
                                  "Host: bench\r\n"
                                  "User-Agent: mg-bench-inproc\r\n"
                                  "\r\n";

/* Headers are kept until the blank line; the gateway's response has a few. */
#define MGB_HDR_MAX 1024

/** One client connection and its response parser. */
struct mgb_cconn {
	struct mgb_client *cl;
	struct mg_tcp_conn *c;
	bool in_flight;     /* a request was sent, its response is not complete */
	bool in_body;       /* headers done; counting body bytes */
	bool bad;           /* this response failed a check (counted in errors) */
	uint32_t hdr_len;   /* bytes in hdr */
	uint64_t body_left; /* body bytes still expected */
	int status;
	char hdr[MGB_HDR_MAX];
};

static void cl_error(struct mgb_client *cl, const char *what)
{
	if (cl->errors++ == 0)
		snprintf(cl->first_error, sizeof(cl->first_error), "%s", what);
}

static void cl_send_request(struct mgb_cconn *k)
{
	struct mgb_client *cl = k->cl;
	struct rte_mbuf *m = rte_pktmbuf_alloc(cl->w->pool);
	int rc;

	if (m == NULL) {
		cl_error(cl, "client: out of mbufs");
		return;
	}
	memcpy(rte_pktmbuf_append(m, sizeof(mgb_request) - 1), mgb_request,
	       sizeof(mgb_request) - 1);
	rc = mg_tcp_stream_ops.send(k->c, m);
	if (rc < 0) {
		rte_pktmbuf_free(m);
		cl_error(cl, "client: send refused");
		return;
	}
	k->in_flight = true;
	k->in_body = false;
	k->bad = false;
	k->hdr_len = 0;
	cl->issued++;
}

/* The status line and Content-Length of a complete header block; false if malformed. */
static bool cl_parse_head(struct mgb_cconn *k)
{
	const char *h = k->hdr, *end = k->hdr + k->hdr_len;
	bool have_len = false;

	if (k->hdr_len < 12 || memcmp(h, "HTTP/1.1 ", 9) != 0)
		return false;
	k->status = atoi(h + 9);
	for (const char *p = memchr(h, '\n', k->hdr_len); p != NULL && p + 1 < end;
	     p = memchr(p + 1, '\n', (size_t)(end - p - 1))) {
		if ((size_t)(end - p - 1) > 15 && strncasecmp(p + 1, "content-length:", 15) == 0) {
			k->body_left = strtoull(p + 16, NULL, 10);
			have_len = true;
		}
	}
	return have_len;
}

/* A response is complete: check it, then the next request or the close. */
static void cl_response_done(struct mgb_cconn *k)
{
	struct mgb_client *cl = k->cl;

	k->in_flight = false;
	if (!k->bad)
		cl->done++; /* only responses that passed every check */
	if (cl->newconn) {
		mg_tcp_stream_ops.close(k->c); /* on_close follows once the FINs are exchanged */
		return;
	}
	if (cl->issued < cl->target)
		cl_send_request(k);
	else
		cl->idle[cl->n_idle++] = k; /* resumes when the target grows (mgb_client_step) */
}

/* Feed len bytes of response; returns bytes consumed. */
static uint32_t cl_feed(struct mgb_cconn *k, const char *p, uint32_t len)
{
	uint32_t used = 0;

	if (!k->in_body) {
		while (used < len && !k->in_body) {
			if (k->hdr_len == MGB_HDR_MAX) {
				cl_error(k->cl, "client: response headers too long");
				return len;
			}
			k->hdr[k->hdr_len++] = p[used++];
			if (k->hdr_len >= 4 &&
			    memcmp(k->hdr + k->hdr_len - 4, "\r\n\r\n", 4) == 0) {
				k->in_body = true;
				if (!cl_parse_head(k)) {
					k->bad = true;
					cl_error(k->cl, "client: malformed response head");
				} else if (k->status != 200 || k->body_left != MGB_BODY_LEN) {
					char msg[96];

					snprintf(msg, sizeof(msg),
					         "client: status %d, Content-Length %llu",
					         k->status, (unsigned long long)k->body_left);
					k->bad = true;
					cl_error(k->cl, msg);
				}
			}
		}
	}
	if (k->in_body) {
		uint64_t n = RTE_MIN((uint64_t)(len - used), k->body_left);

		used += (uint32_t)n;
		k->body_left -= n;
		if (k->body_left == 0)
			cl_response_done(k);
	}
	return used;
}

static void cl_open(void *ctx, struct mg_tcp_conn *c)
{
	(void)c;
	cl_send_request(ctx);
}

static void cl_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *chain)
{
	struct mgb_cconn *k = ctx;
	uint32_t len = chain->pkt_len;

	for (struct rte_mbuf *s = chain; s != NULL; s = s->next) {
		const char *p = rte_pktmbuf_mtod(s, const char *);
		uint32_t off = 0;

		while (off < s->data_len) {
			if (!k->in_flight) {
				cl_error(k->cl, "client: bytes beyond the response");
				off = s->data_len;
				break;
			}
			off += cl_feed(k, p + off, s->data_len - off);
		}
	}
	rte_pktmbuf_free(chain);
	mg_tcp_stream_ops.recved(c, len);
}

static void cl_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	struct mgb_cconn *k = ctx;

	if (k->in_flight || !k->cl->newconn)
		cl_error(k->cl, "client: the gateway closed a connection");
	mg_tcp_stream_ops.close(c);
}

static void cl_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	struct mgb_cconn *k = ctx;
	struct mgb_client *cl = k->cl;

	(void)c;
	if (!cl->stopping && (err != 0 || k->in_flight)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "client: connection closed (%s)%s", strerror(-err),
		         k->in_flight ? " with a request in flight" : "");
		cl_error(cl, msg);
	}
	for (unsigned i = 0; i < cl->n_idle; i++)
		if (cl->idle[i] == k)
			cl->idle[i] = cl->idle[--cl->n_idle];
	cl->n_open--;
	free(k);
}

static const struct mg_tcp_cbs cl_cbs = {
    .on_open = cl_open,
    .on_data = cl_data,
    .on_peer_fin = cl_peer_fin,
    .on_close = cl_close,
};

/* Connections still to open: one per request not yet issued (newconn) or up to conns. */
static bool cl_want_open(const struct mgb_client *cl)
{
	/*
	 * newconn: a connection counts until its response is in, not until
	 * its close ends (the FIN exchange and TIME-WAIT are the stack's).
	 */
	if (cl->newconn)
		return cl->opened < cl->target && cl->opened - cl->done < cl->conns;
	return cl->n_open < cl->conns && cl->issued < cl->target;
}

void mgb_client_step(struct mgb_client *cl)
{
	while (cl->n_idle > 0 && cl->issued < cl->target)
		cl_send_request(cl->idle[--cl->n_idle]);
	while (cl_want_open(cl) && cl->errors == 0) {
		struct mgb_cconn *k = calloc(1, sizeof(*k));

		if (k == NULL) {
			cl_error(cl, "client: out of memory");
			return;
		}
		k->cl = cl;
		k->c = mg_tcp_connect(cl->w, cl->dst, MGB_GW_PORT, &cl_cbs, k);
		if (k->c == NULL) {
			char msg[96];

			snprintf(msg, sizeof(msg), "client: connect: %s", strerror(errno));
			cl_error(cl, msg);
			free(k);
			return;
		}
		cl->n_open++;
		cl->opened++;
	}
}

int mgb_client_init(struct mgb_client *cl)
{
	if (cl->conns == 0 || cl->conns > MGB_MAX_CONNS)
		return -EINVAL;
	return 0;
}

void mgb_client_fini(struct mgb_client *cl)
{
	/* mg_tcp_worker_fini calls on_close(-ECONNABORTED) for every
	 * connection left (the kept-alive ones): not an error then. */
	cl->stopping = true;
}
