/*
 * tcp_types.h — types of the userspace TCP stack (dataplane/tcp): the
 * connection control block, the per-worker TCP state, the configuration,
 * the stream callbacks and the congestion-control ops table.  The API is in
 * tcp.h; internals shared by the tcp_*.c files are in tcp_pvt.h.
 *
 * Everything here is per worker and touched only by its own lcore: a
 * connection lives on the worker whose RX queue its packets arrive on, so no
 * lock is ever taken.  Payload never leaves the mbufs it came in (received
 * data is handed up as the received chain, adjusted past the headers; sent
 * data waits in the send queue as the caller's mbufs and every transmission
 * refers to them through indirect mbufs), so a control block stays small.
 */
#ifndef MG_TCP_TYPES_H
#define MG_TCP_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "common/mg_common.h"

struct mg_worker;
struct mg_tcp_conn;

/* RFC 9293 states, in its order; also the index of the per-state gauges. */
#define MG_TCP_STATES(X) \
	X(CLOSED)        \
	X(LISTEN)        \
	X(SYN_SENT)      \
	X(SYN_RECEIVED)  \
	X(ESTABLISHED)   \
	X(FIN_WAIT_1)    \
	X(FIN_WAIT_2)    \
	X(CLOSE_WAIT)    \
	X(CLOSING)       \
	X(LAST_ACK)      \
	X(TIME_WAIT)

enum mg_tcp_state {
#define X(s) MG_TCP_##s,
	MG_TCP_STATES(X)
#undef X
	    MG_TCP_N_STATES
};

/** Counters of one worker's TCP layer; one field per line of tcp_counters.def. */
struct mg_tcp_counters {
#define MG_TCP_STAT(n, h) uint64_t n;
#define MG_TCP_DROP(n, h) uint64_t drop_##n;
#include "tcp/tcp_counters.def"
} __rte_cache_aligned;

enum mg_tcp_counter_kind { MG_TCP_KIND_STAT, MG_TCP_KIND_DROP };

/** Name, help text and kind of each counter, in struct order. */
struct mg_tcp_counter_desc {
	const char *name;
	const char *help;
	enum mg_tcp_counter_kind kind;
};

/**
 * TCP settings of a worker; the lead maps the bootstrap's struct mg_cfg_tcp
 * onto it (dataplane does not include app/ headers).  Zero fields take the
 * defaults named below.
 */
struct mg_tcp_conf {
	uint32_t max_conns;          /**< connections per worker, TIME-WAIT included (65536) */
	uint32_t syn_backlog;        /**< half-open connections per listener (1024) */
	uint32_t sndbuf;             /**< send-queue bytes per connection before -EAGAIN (262144) */
	uint32_t rcvbuf;             /**< receive window per connection, bytes (262144) */
	char cc[16];                 /**< congestion control: "newreno" (default) or "cubic" */
	uint32_t keepalive_ms;       /**< idle time before keepalive probes; 0 = off (default) */
	uint32_t keepalive_intvl_ms; /**< between keepalive probes (75000, as Linux) */
	uint32_t keepalive_probes;   /**< unanswered probes before giving up (9) */
	uint32_t user_timeout_ms;    /**< give up on data unacknowledged this long; 0: after
	                                MG_TCP_MAX_RETRIES RTOs */
	bool no_syncookies; /**< drop SYNs over the backlog instead of answering with cookies */
	bool no_tlp; /**< no tail loss probes (RFC 8985): RTO only (script tests of the RTO) */
};

/**
 * The upper layer's callbacks; ctx is its pointer for the connection.  They
 * run on the worker, inside mg_net_input() or mg_tcp_poll(), and may call
 * the stream ops on c (also close/abort: the control block stays valid
 * until the callback returns).
 */
struct mg_tcp_cbs {
	/** Connected (active open) or accepted (passive open). */
	void (*on_open)(void *ctx, struct mg_tcp_conn *c);
	/**
	 * In-order payload; the callee owns chain (a packet chain, pkt_len
	 * bytes).  The bytes count against the receive window until the callee
	 * releases them with mg_stream_ops.recved().
	 */
	void (*on_data)(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *chain);
	/** The send queue has room again after a send returned -EAGAIN. */
	void (*on_writable)(void *ctx, struct mg_tcp_conn *c);
	/** The peer half-closed (its FIN arrived in order); we may still send. */
	void (*on_peer_fin)(void *ctx, struct mg_tcp_conn *c);
	/**
	 * Last call for c: 0 (orderly close), -ECONNRESET (peer RST),
	 * -ETIMEDOUT (retransmissions or keepalive gave up), -ECONNREFUSED (RST
	 * to our SYN), -ECONNABORTED (we aborted).  c is freed after it returns.
	 */
	void (*on_close)(void *ctx, struct mg_tcp_conn *c, int err);
};

/**
 * Congestion control, chosen per connection (VPP's tcp_cc_algorithm shape).
 * The fast-recovery bookkeeping (dup-ACK counting, recover point, partial
 * ACKs, RFC 6582) lives in tcp_input.c; an algorithm only says how cwnd and
 * ssthresh move.  Per-algorithm state fits in mg_tcp_conn.cc_priv.
 */
struct mg_tcp_cc_ops {
	const char *name;
	/** New connection: initial cwnd and ssthresh. */
	void (*init)(struct mg_tcp_conn *c);
	/** acked new bytes were acknowledged outside recovery. */
	void (*on_ack)(struct mg_tcp_conn *c, uint32_t acked);
	/** Loss detected by duplicate ACKs: set ssthresh (recovery sets cwnd). */
	void (*on_loss)(struct mg_tcp_conn *c);
	/** Fast recovery ended (full ACK). */
	void (*on_recovery_end)(struct mg_tcp_conn *c);
	/** Retransmission timeout. */
	void (*on_rto)(struct mg_tcp_conn *c);
};

/**
 * Out-of-order ranges a connection holds at most (counted when hit).  Adjacent
 * segments join one range, so this bounds holes; bytes are bounded by the window.
 */
#define MG_TCP_OOO_MAX 8

/** SACKed ranges a sender remembers (counted as sack_blocks_lost when more arrive). */
#define MG_TCP_SB_MAX 4

/** One out-of-order segment: payload chain starting at seq. */
struct mg_tcp_ooo {
	uint32_t seq;
	uint32_t len;       /**< payload bytes */
	struct rte_mbuf *m; /**< payload chain */
};

/* Connection flags (mg_tcp_conn.flags). */
#define MG_TCPF_TS         0x0001 /**< timestamps negotiated */
#define MG_TCPF_WS         0x0002 /**< window scaling negotiated */
#define MG_TCPF_SACK       0x0004 /**< SACK-permitted negotiated (we send SACK blocks) */
#define MG_TCPF_SHUT_WR    0x0008 /**< FIN queued after the data */
#define MG_TCPF_FIN_IN     0x0010 /**< peer's FIN received in order */
#define MG_TCPF_OOO_FIN    0x0020 /**< the out-of-order queue holds the peer's FIN */
#define MG_TCPF_USER_GONE  0x0040 /**< close()d: no callbacks but on_close */
#define MG_TCPF_WANT_WRITE 0x0080 /**< a send got -EAGAIN: call on_writable */
#define MG_TCPF_RECOVERY   0x0100 /**< in fast recovery */
#define MG_TCPF_RTT_TIMING 0x0200 /**< timing rtt_seq (no timestamps; Karn) */
#define MG_TCPF_PERSIST    0x0400 /**< t_rexmt is the persist timer */
#define MG_TCPF_PASSIVE    0x0800 /**< from a listener */
#define MG_TCPF_OPENED     0x1000 /**< on_open called (or active): on_close owed */
#define MG_TCPF_ACK_NOW    0x2000 /**< send an ACK at the end of input */
#define MG_TCPF_FREED      0x4000 /**< released; freed when busy drops to 0 */
#define MG_TCPF_SACKREC    0x8000 /**< the recovery in progress is SACK-based (RFC 6675) */

/* Timer bits (mg_tcp_conn.timers); deadlines are worker ms ticks. */
#define MG_TCPT_REXMT  0x01 /**< retransmission or persist */
#define MG_TCPT_DELACK 0x02
#define MG_TCPT_MISC   0x04 /**< TIME-WAIT, FIN-WAIT-2 or keepalive */

/**
 * The transmission control block.  Sequence numbers are host order.  Kept
 * under 512 bytes (checked below): a worker holds tens of thousands.
 */
struct mg_tcp_conn {
	rte_be32_t laddr, raddr;
	rte_be16_t lport, rport;
	uint32_t hnext; /**< next index in the hash chain or the free list */
	uint8_t state;  /**< enum mg_tcp_state */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t n_ooo;
	uint16_t flags;  /**< MG_TCPF_* */
	uint16_t mss;    /**< payload bytes per segment (options excluded) */
	uint16_t busy;   /**< nesting of entry points; free waits for 0 */
	uint8_t retries; /**< consecutive RTO expiries / probes */
	uint8_t dupacks;
	uint8_t timers;    /**< MG_TCPT_* armed */
	uint8_t backoff;   /**< RTO doublings */
	uint8_t quickack;  /**< segments still ACKed at once */
	uint8_t listener;  /**< index of the listener (passive) */
	uint8_t ka_probes; /**< keepalive probes sent without an answer */
	/* Send side (RFC 9293 names). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t sndq_len; /**< bytes queued from snd_una (not counting SYN/FIN) */
	struct rte_mbuf *sndq_head, *sndq_tail; /**< segments linked by ->next */
	uint32_t cwnd, ssthresh, recover;
	uint32_t max_snd_wnd; /**< largest window the peer offered (RFC 5961 5.2) */
	/* Receive side. */
	uint32_t irs, rcv_nxt, rcv_unacked;
	uint32_t rcv_wnd;  /**< most we ever advertise: rcvbuf, capped by the scale */
	uint32_t rcv_adv;  /**< right edge of the window advertised (never moves left) */
	uint32_t rcv_held; /**< bytes handed up and not yet released by recved() */
	uint32_t ts_recent, ts_recent_ms, ts_off;
	uint32_t fin_seq; /**< sequence number of the peer's out-of-order FIN */
	/* RTT (RFC 6298), in ms: srtt << 3, rttvar << 2. */
	uint32_t srtt8, rttvar4, rto, rtt_seq, rtt_start;
	/* Timers. */
	uint32_t t_rexmt, t_delack, t_misc, wheel_at;
	uint32_t rto_first_ms; /**< when the first RTO of the current run of them fired */
	LIST_ENTRY(mg_tcp_conn) wheel;
	TAILQ_ENTRY(mg_tcp_conn) tw_link; /**< TIME-WAIT list, oldest first */
	struct mg_tcp_worker *tw;
	const struct mg_tcp_cbs *cbs;
	void *ctx;
	const struct mg_tcp_cc_ops *cc;
	uint64_t cc_priv[4];
	/* SACK scoreboard (RFC 6675): what the peer holds above snd_una, sorted, disjoint. */
	struct {
		uint32_t l, r;
	} sb[MG_TCP_SB_MAX];
	uint8_t n_sb;
	uint8_t tlp;        /**< tail loss probe: 0 none, 1 its timer is armed, 2 probe sent */
	uint32_t high_rxt;  /**< retransmitted up to here in this recovery */
	uint32_t rxt_fence; /**< snd_max when the latest hole was retransmitted */
	struct mg_tcp_ooo ooo[MG_TCP_OOO_MAX]; /**< sorted by seq, disjoint */
};

_Static_assert(sizeof(struct mg_tcp_conn) <= 512, "TCB must stay within 512 bytes");

/** A listening socket. */
struct mg_tcp_listener {
	rte_be32_t addr; /**< 0: any of our addresses */
	rte_be16_t port; /**< 0: slot unused */
	uint32_t n_syn;  /**< connections in SYN-RECEIVED */
	const struct mg_tcp_cc_ops
	    *cc; /**< its connections' congestion control; NULL: the worker's */
	const struct mg_tcp_cbs *cbs;
	void *(*accept_ctx)(void *arg, struct mg_tcp_conn *c);
	void *arg;
};

#define MG_TCP_MAX_LISTENERS 16
/** Timer wheel: 1 ms slots; later deadlines wait in their slot for a lap. */
#define MG_TCP_WHEEL_SLOTS 4096

LIST_HEAD(mg_tcp_conn_list, mg_tcp_conn);
TAILQ_HEAD(mg_tcp_conn_tailq, mg_tcp_conn);

/** One worker's TCP state. */
struct mg_tcp_worker {
	struct mg_worker *w;
	struct mg_tcp_conf conf;
	const struct mg_tcp_cc_ops *cc;
	struct mg_tcp_conn *conns; /**< conf.max_conns control blocks */
	uint32_t *buckets;         /**< hash heads (indices), UINT32_MAX = empty */
	uint32_t bucket_mask;
	uint32_t free_head; /**< free list through hnext */
	uint32_t n_used;
	uint32_t hash_seed;
	uint64_t isn_key[2];    /**< SipHash key for ISNs (RFC 6528) */
	uint64_t cookie_key[2]; /**< SipHash key for SYN cookies */
	uint32_t cookie_ms;     /**< when the last SYN cookie was sent (ms clock) */
	uint64_t tsc_per_ms;
	uint64_t tsc_per_4us;
	uint32_t now_ms;    /**< worker ms clock at this poll */
	uint32_t wheel_ms;  /**< next wheel slot to run */
	uint16_t next_port; /**< ephemeral port cursor */
	uint16_t ip_id;
	struct mg_tcp_conn_tailq time_wait;
	uint32_t n_time_wait;
	uint32_t chal_sec;  /**< second of the challenge-ACK budget */
	uint32_t chal_left; /**< challenge ACKs still allowed in it */
	struct mg_tcp_listener listeners[MG_TCP_MAX_LISTENERS];
	uint32_t n_state[MG_TCP_N_STATES]; /**< connections per state (gauges) */
	struct mg_tcp_counters cnt;
	struct mg_tcp_conn_list wheel[MG_TCP_WHEEL_SLOTS];
};

#endif /* MG_TCP_TYPES_H */
