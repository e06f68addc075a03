/*
 * tcp.h — the userspace TCP stack's API: per-worker set-up, listen, connect,
 * the stream ops the layers above use, and the timer poll.  Types are in
 * tcp_types.h.
 *
 * A connection belongs to one worker and every call on it must come from
 * that worker's lcore.  Segments arrive through the IPv4 protocol handler
 * (mg_tcp_register() once before workers start), are processed to the end
 * (state machine, ACK, output) and reach the layer above through struct
 * mg_tcp_cbs.  The layer above talks back through mg_tcp_stream_ops, an ops
 * table so that TLS can later sit between TCP and HTTP without either
 * knowing.
 */
#ifndef MG_TCP_H
#define MG_TCP_H

#include <rte_ip.h>

#include "core/worker_types.h"
#include "tcp/tcp_types.h"

/*
 * Index of each counter in struct mg_tcp_counters (MG_TCP_IDX_seg_in,
 * MG_TCP_IDX_drop_bad_cksum, ...) and their number, MG_TCP_N_COUNTERS.
 */
enum {
#define MG_TCP_STAT(n, h) MG_TCP_IDX_##n,
#define MG_TCP_DROP(n, h) MG_TCP_IDX_drop_##n,
#include "tcp/tcp_counters.def"
	MG_TCP_N_COUNTERS
};

/** Names, help and kinds of the counters, MG_TCP_N_COUNTERS of them, in struct order. */
extern const struct mg_tcp_counter_desc mg_tcp_counter_descs[];

/** Name of a state ("ESTABLISHED", ...), or "?" if out of range. */
const char *mg_tcp_state_name(unsigned state);

/**
 * The stream a layer above drives.  TCP's is mg_tcp_stream_ops; TLS will
 * provide one with the same shape over TCP's.
 */
struct mg_stream_ops {
	/**
	 * Queue chain (a packet chain of pkt_len bytes) for sending.  Takes
	 * ownership on success only.
	 * @return 0; -EAGAIN if the send queue already holds sndbuf bytes
	 *         (on_writable follows); -EPIPE after shutdown/close or once
	 *         the connection is closing; -ENOTCONN if it is not open.
	 */
	int (*send)(struct mg_tcp_conn *c, struct rte_mbuf *chain);
	/**
	 * Half-close: send FIN after the queued data.
	 * @return 0, or -ENOTCONN if the connection is not open
	 */
	int (*shutdown)(struct mg_tcp_conn *c);
	/**
	 * shutdown, and no more callbacks except on_close (orderly close; the
	 * connection lingers in the stack until the FIN exchange ends).
	 */
	void (*close)(struct mg_tcp_conn *c);
	/** Send RST and drop everything; on_close(-ECONNABORTED) is called. */
	void (*abort)(struct mg_tcp_conn *c);
	/**
	 * Release n bytes of received data.  What on_data hands up counts
	 * against the receive window (rcvbuf) until released, so a layer that
	 * cannot pass data on yet holds it and the peer is slowed by a smaller
	 * window instead of the data piling up.  Release as soon as the bytes
	 * are consumed or forwarded; a layer that never releases stalls the
	 * peer at a zero window.  Opens the window with an ACK when it grew by
	 * at least two segments (or from below one segment).
	 */
	void (*recved)(struct mg_tcp_conn *c, uint32_t n);
};

/** The stream ops of a plain TCP connection. */
extern const struct mg_stream_ops mg_tcp_stream_ops;

/**
 * Register TCP with the IPv4 layer (protocol 6).  Call once, before workers
 * start.
 * @return 0, or -EEXIST if already registered
 */
int mg_tcp_register(void);

/** The IPv4 protocol handler (see mg_ipv4_proto_fn); exported for tests. */
void mg_tcp_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m,
                  const struct rte_ipv4_hdr *ip);

/**
 * Set up w's TCP state (w->tcp).  Call on any core before w starts.
 * @param w     the worker (w->dp->tsc_hz and w->pool set)
 * @param conf  settings; NULL or zero fields take the defaults
 * @return 0; -EINVAL (unknown cc, max_conns beyond 2^24), -ENOMEM, -EEXIST
 */
int mg_tcp_worker_init(struct mg_worker *w, const struct mg_tcp_conf *conf);

/**
 * Free w's TCP state and every connection (worker stop, after its lcore
 * returned).  Nothing is sent; connections the layer above holds get
 * on_close(-ECONNABORTED) so it can free its state.  No-op if w->tcp is NULL.
 */
void mg_tcp_worker_fini(struct mg_worker *w);

/**
 * Listen on addr:port.  Accepted connections get cbs and the ctx that
 * accept_ctx(arg, c) returns when the handshake completes; NULL from
 * accept_ctx refuses the connection with an RST.
 * @param addr  one of our addresses, or 0 for any (network order)
 * @param port  host order, not 0
 * @return 0; -EINVAL (port 0, cbs or accept_ctx NULL), -EADDRINUSE,
 *         -ENOSPC (MG_TCP_MAX_LISTENERS reached)
 */
int mg_tcp_listen(struct mg_worker *w, rte_be32_t addr, uint16_t port, const struct mg_tcp_cbs *cbs,
                  void *(*accept_ctx)(void *arg, struct mg_tcp_conn *c), void *arg);

/**
 * Hand the listener on exactly addr:port to a new owner (a new config
 * snapshot): connections whose handshake completes from now on get cbs and
 * the ctx of accept_ctx(arg, c).  Half-open connections stay; the
 * listener's congestion control goes back to the worker's default.
 * @return 0; -EINVAL; -ESRCH (no listener on exactly addr:port)
 */
int mg_tcp_listener_update(struct mg_worker *w, rte_be32_t addr, uint16_t port,
                           const struct mg_tcp_cbs *cbs,
                           void *(*accept_ctx)(void *arg, struct mg_tcp_conn *c), void *arg);

/**
 * Stop listening on exactly addr:port.  Its half-open connections are reset
 * (counted as rst_out_unlisten); established ones are not the listener's any
 * more and go on.
 * @return 0; -ESRCH (no listener on exactly addr:port)
 */
int mg_tcp_unlisten(struct mg_worker *w, rte_be32_t addr, uint16_t port);

/**
 * Open a connection to dst:dport from the address of the interface the route
 * to dst leaves through and an ephemeral port.  on_open follows when the
 * handshake completes, or on_close with -ECONNREFUSED/-ETIMEDOUT.  Data may
 * be sent before then; it leaves after the handshake.
 * @param dport  host order
 * @return the connection, or NULL with errno EHOSTUNREACH (no route),
 *         ENOBUFS (table full), EADDRNOTAVAIL (no free port), EINVAL
 */
struct mg_tcp_conn *mg_tcp_connect(struct mg_worker *w, rte_be32_t dst, uint16_t dport,
                                   const struct mg_tcp_cbs *cbs, void *ctx);

/**
 * A segment another worker handed over (w->handoff): its connection was
 * opened here.  m's data starts at the IPv4 header; m->port is the interface.
 * The worker loop calls it for each mbuf it takes off the ring.
 */
void mg_tcp_handoff_input(struct mg_worker *w, struct rte_mbuf *m);

/**
 * The queue (= worker) the NIC of ifc delivers a TCP/IPv4 segment
 * src:sport -> dst:dport to, by its RSS key and redirection table
 * (ifc->rss_ok must be true): software Toeplitz, as the NIC computes it.
 * Ports in host order.
 */
uint16_t mg_tcp_rss_queue(const struct mg_iface *ifc, rte_be32_t src, rte_be32_t dst,
                          uint16_t sport, uint16_t dport);

/**
 * Choose c's congestion control ("newreno" or "cubic"; the worker's default
 * otherwise): right after mg_tcp_connect (the upstream cluster's choice) or
 * in a listener's accept_ctx.
 * @return 0; -ENOENT for an unknown name; -EBUSY once data went out
 */
int mg_tcp_set_cc(struct mg_tcp_conn *c, const char *name);

/** Bytes of one connection's control block (memory accounting). */
size_t mg_tcp_conn_size(void);

/**
 * Give up an active open that is not established within ms (a cluster's
 * connect_timeout): the connection closes with -ETIMEDOUT (counted as
 * connect_timeouts).  Call right after mg_tcp_connect.
 * @return 0; -EINVAL if c is not an active open still connecting, or ms is 0
 */
int mg_tcp_set_connect_timeout(struct mg_tcp_conn *c, uint32_t ms);

/**
 * Connections accepted on the listener at addr:port use congestion control
 * name from their first segment on.
 * @return 0; -ENOENT (unknown name); -ESRCH (no such listener)
 */
int mg_tcp_listener_set_cc(struct mg_worker *w, rte_be32_t addr, uint16_t port, const char *name);

/**
 * Run due TCP timers (retransmission, persist, delayed ACK, TIME-WAIT, ...).
 * Call every poll iteration with w->now set; cheap when nothing is due.
 */
void mg_tcp_poll(struct mg_worker *w);

/** Connections of w in state s (gauge; any core may read it). */
static inline uint32_t mg_tcp_count(const struct mg_worker *w, enum mg_tcp_state s)
{
	return w->tcp != NULL ? __atomic_load_n(&w->tcp->n_state[s], __ATOMIC_RELAXED) : 0;
}

/** Bytes c holds in its send queue (sent-unacknowledged and unsent). */
static inline uint32_t mg_tcp_sndq_bytes(const struct mg_tcp_conn *c)
{
	return c->sndq_len;
}

/**
 * Start the built-in test services on w, listening on any of our addresses:
 * echo (sends back what arrives), discard (frees it) and source (after the
 * client's first line "N\n", sends exactly N bytes of mg_tcp_source_byte()
 * and FIN; any other first byte, or a FIN first, streams until the peer
 * resets).  A port of 0 leaves that service off.
 * @return 0, or an error of mg_tcp_listen() (-EADDRINUSE, -ENOSPC, -EINVAL)
 */
int mg_tcp_services_start(struct mg_worker *w, uint16_t echo_port, uint16_t discard_port,
                          uint16_t source_port);

/**
 * Start the built-in forward service on w: listen on listen_port (any of our
 * addresses) and relay each accepted connection to dst_addr:dst_port over a
 * connection of its own, both ways, without copying payload.  Received bytes
 * are released only once the other side's send queue has taken them, so a
 * slow reader on either side closes the other's window.  A peer's FIN is
 * passed on as a shutdown, both sides close once both directions ended, and
 * an RST, abort or timeout on either side (including a refused or unreachable
 * upstream) aborts the other with an RST.
 * @param listen_port  host order, not 0
 * @param dst_addr     network order, not 0; routed like any mg_tcp_connect()
 * @param dst_port     host order, not 0
 * @return 0; -EINVAL (a zero port or address), or an error of mg_tcp_listen()
 *         (-EADDRINUSE, -ENOSPC)
 */
int mg_tcp_forward_start(struct mg_worker *w, uint16_t listen_port, rte_be32_t dst_addr,
                         uint16_t dst_port);

/** Byte off of the source service's pattern (period 251, so reordering shows). */
static inline uint8_t mg_tcp_source_byte(uint64_t off)
{
	return (uint8_t)(off % 251);
}

/**
 * Relay an accepted connection c to dst:dport, as the forward service does
 * (the TCP proxy's building block): call from an accept_ctx and return what
 * it returns; the listener's callbacks must be mg_tcp_forward_cbs.  cc names
 * the upstream connection's congestion control (NULL: the worker's);
 * connect_timeout_ms bounds its handshake (0: the SYN retransmissions do).
 * @return the relay's ctx, or NULL (the client is refused) when the
 *         connect fails at once
 */
void *mg_tcp_forward_open(struct mg_tcp_conn *c, rte_be32_t dst, uint16_t dport, const char *cc,
                          uint32_t connect_timeout_ms);

/** The client-side callbacks of relayed connections. */
extern const struct mg_tcp_cbs mg_tcp_forward_cbs;

#endif /* MG_TCP_H */
