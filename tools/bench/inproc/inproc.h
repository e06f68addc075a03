/*
 * inproc.h — mg-bench-inproc: three meshgate workers in one process on one
 * lcore (a client load generator, the gateway running the real proxy, an
 * HTTP upstream), wired by in-memory Ethernet links, polled in turn.  The
 * cost of a proxied request is then a deterministic instruction count
 * (callgrind) instead of a wall-clock figure at the mercy of a shared
 * machine.  See BENCHMARKS.md, "Cost per request".
 *
 * Topology (one /24 per link, static neighbours: no ARP on the path):
 *
 *   client 198.18.0.2 ── link 0 ── 198.18.0.1 gateway 198.18.1.1 ── link 1 ── 198.18.1.2 upstream
 *                                  :8080 (HTTP listener → cluster "backend" = 198.18.1.2:8081)
 */
#ifndef MGB_INPROC_H
#define MGB_INPROC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "core/worker.h"
#include "tcp/tcp.h"

#define MGB_GW_PORT   8080 /* the gateway's HTTP listener */
#define MGB_UP_PORT   8081 /* the upstream responder */
#define MGB_MAX_CONNS 4096 /* concurrent client connections */

/** The fixed body the upstream answers with; the client checks its length. */
#define MGB_BODY     "hello, meshgate\n"
#define MGB_BODY_LEN (sizeof(MGB_BODY) - 1)

/**
 * A worker plus the rings of its interfaces.  The port ops find the rings
 * from the worker pointer (container_of), so struct mg_worker needs no
 * field for the benchmark.
 */
struct mgb_node {
	struct mg_worker w;                 /* first: the port ops cast back from it */
	struct mg_dp dp;                    /* its own runtime: own addresses, n_workers = 1 */
	struct rte_ring *rx[MG_MAX_IFACES]; /* frames arriving on each interface */
	struct rte_ring *tx[MG_MAX_IFACES]; /* the peer's rx ring on that link */
	uint64_t polls, busy_polls;         /* iterations, and those that did work */
};

/** Port ops moving frames between nodes' rings (link.c). */
extern const struct mg_port_ops mgb_link_ops;

/**
 * Create node n's worker (idx 0 of its own dp: TCP's ephemeral ports and
 * neighbour resolution behave as on a one-worker gateway) with its own mbuf
 * pool and rings.  n->dp.net must be filled in.
 * @return 0 or -errno
 */
int mgb_node_init(struct mgb_node *n, const char *name, unsigned n_mbufs);

/**
 * Free the rings mgb_node_init made and the frames in them (after
 * mg_tcp_worker_fini).  The mbuf pool stays: mbufs of one node end up held
 * by the others, and EAL cleanup releases the memory at exit.
 */
void mgb_node_fini(struct mgb_node *n);

/** Connect a's interface ia and b's interface ib with a pair of rings. @return 0 or -errno */
int mgb_link(struct mgb_node *a, uint8_t ia, struct mgb_node *b, uint8_t ib, const char *name);

/** Frames dropped because a link's ring was full (never expected). */
extern uint64_t mgb_link_drops;

/* ---- the upstream responder (upstream.c) ---- */

/** Start the responder on w, port MGB_UP_PORT. @return 0 or -errno */
int mgb_upstream_start(struct mg_worker *w);

/** Requests the upstream answered. */
extern uint64_t mgb_upstream_requests;

/* ---- the client load generator (client.c) ---- */

struct mgb_cconn;

/** What the client does and what it saw. */
struct mgb_client {
	struct mg_worker *w;
	rte_be32_t dst;  /* the gateway's address */
	bool newconn;    /* one connection per request (else keep-alive) */
	unsigned conns;  /* concurrent connections */
	uint64_t target; /* requests to issue in total (so far: warm-up, then more) */
	uint64_t issued; /* requests sent */
	uint64_t done;   /* complete, checked responses */
	uint64_t errors; /* bad status/length, unexpected close, failed connect or send */
	uint64_t opened; /* connections opened */
	unsigned n_open; /* connections open or opening */
	bool stopping;   /* the run is over: closes are expected */
	unsigned n_idle; /* kept-alive connections waiting for a request to send */
	struct mgb_cconn *idle[MGB_MAX_CONNS];
	char first_error[160];
};

/* ---- holding idle connections (hold.c, --conns-hold) ---- */

/*
 * Listener ports for --conns-hold: one client address has 28,232 ephemeral
 * ports per destination, so 100k connections need four destinations.
 */
#define MGB_HOLD_PORTS 4
extern const uint16_t mgb_hold_ports[MGB_HOLD_PORTS];

/** Idle client connections opened through the gateway and held. */
struct mgb_hold {
	struct mg_worker *w;
	rte_be32_t dst;
	uint64_t target;      /* connections to hold */
	uint64_t opened;      /* connects issued */
	uint64_t established; /* on_open seen */
	uint64_t errors;      /* failed connects or closes before the end */
	bool stopping;
	char first_error[128];
};

/** Open connections (a bounded number handshaking at a time) until h->target. */
void mgb_hold_step(struct mgb_hold *h);

/** Set up c (fields w, dst, newconn, conns set by the caller). @return 0 or -errno */
int mgb_client_init(struct mgb_client *c);

/**
 * The client's application step, run before each poll of its worker: open
 * connections up to c->conns while requests remain to be issued.
 */
void mgb_client_step(struct mgb_client *c);

/** The run is over: the connections' closes that follow are not errors. */
void mgb_client_fini(struct mgb_client *c);

#endif /* MGB_INPROC_H */
