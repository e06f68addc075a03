/*
 * tcp_pvt.h — internals shared by the tcp_*.c files; no other module
 * includes this.
 */
#ifndef MG_TCP_PVT_H
#define MG_TCP_PVT_H

#include <rte_ip.h>
#include <rte_tcp.h>

#include "core/worker.h"
#include "tcp/tcp.h"

/* Sequence-number comparisons modulo 2^32 (RFC 9293 3.4). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))
/* ms clock comparisons (the worker ms clock wraps after 49 days). */
#define MS_GEQ(a, b) SEQ_GEQ(a, b)

/* TCP flag bits of tcp_flags. */
#define TH_FIN RTE_TCP_FIN_FLAG
#define TH_SYN RTE_TCP_SYN_FLAG
#define TH_RST RTE_TCP_RST_FLAG
#define TH_PSH RTE_TCP_PSH_FLAG
#define TH_ACK RTE_TCP_ACK_FLAG
#define TH_URG RTE_TCP_URG_FLAG

/* Timing (ms) — why each value is in tcp_timer.c. */
#define MG_TCP_RTO_INIT   1000
#define MG_TCP_RTO_MIN    200
#define MG_TCP_TLP_MIN_MS 10u /* RFC 8985: the smallest probe timeout */
#define MG_TCP_RTO_MAX    120000
#define MG_TCP_DELACK_MS  40
/* Segments of reordering tolerated before a resent hole counts as lost again (tcp_sack.c). */
#define MG_TCP_REORDER_SEGS 3u
/* Ephemeral ports of active opens (Linux's default range). */
#define MG_TCP_EPHEMERAL_LO       32768
#define MG_TCP_EPHEMERAL_HI       60999
#define MG_TCP_MSL_MS             30000
#define MG_TCP_FIN_WAIT2_MS       60000
#define MG_TCP_SYN_RETRIES        6
#define MG_TCP_SYNACK_RETRIES     5
#define MG_TCP_MAX_RETRIES        15
#define MG_TCP_QUICKACK           8
#define MG_TCP_CHALLENGE_PER_SEC  1000
#define MG_TCP_KEEPALIVE_INTVL_MS 75000
#define MG_TCP_KEEPALIVE_PROBES   9
/* Peer MSS when the SYN carries none (RFC 9293 3.7.1). */
#define MG_TCP_DEFAULT_MSS     536
#define MG_TCP_TS_PAWS_IDLE_MS (24u * 24 * 3600 * 1000)

/** Parsed options of a received segment. */
struct mg_tcp_opts {
	uint16_t mss;
	uint8_t wscale;
	bool has_mss, has_ws, sack_ok, has_ts;
	uint32_t tsval, tsecr;
	uint8_t n_sack;      /**< SACK blocks in the segment (RFC 2018) */
	uint32_t sack[4][2]; /**< left, right edges (host order) */
};

/** A received segment, parsed (host order). */
struct mg_tcp_seg {
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint32_t seq, ack, len; /**< len: payload bytes */
	uint32_t wnd;           /**< raw window field */
	uint16_t hlen;          /**< IP + TCP header bytes before the payload */
	uint8_t flags;
	struct mg_tcp_opts opt;
};

static inline struct mg_tcp_worker *tcp_of(struct mg_tcp_conn *c)
{
	return c->tw;
}

static inline void tcp_cnt(struct mg_tcp_worker *tw, uint64_t *ctr)
{
	(void)tw;
	mg_cnt_add(ctr, 1);
}

/* tcp_conn.c */
struct mg_tcp_conn *tcp_conn_lookup(struct mg_tcp_worker *tw, rte_be32_t laddr, rte_be16_t lport,
                                    rte_be32_t raddr, rte_be16_t rport);
struct mg_tcp_conn *tcp_conn_new(struct mg_tcp_worker *tw, rte_be32_t laddr, rte_be16_t lport,
                                 rte_be32_t raddr, rte_be16_t rport);
void tcp_conn_set_state(struct mg_tcp_conn *c, enum mg_tcp_state s);
void tcp_conn_close(struct mg_tcp_conn *c, int err);
void tcp_conn_discard(struct mg_tcp_conn *c);
/* Send [seq, seq + len) of the send queue (a retransmission if below snd_max). */
int tcp_send_range(struct mg_tcp_conn *c, uint32_t seq, uint32_t len);
/* SACK scoreboard and SACK-based recovery (tcp_sack.c). */
void tcp_sack_update(struct mg_tcp_conn *c, const struct mg_tcp_seg *s);
uint32_t tcp_sack_bytes(const struct mg_tcp_conn *c);
bool tcp_sack_enter(struct mg_tcp_conn *c);
void tcp_sack_output(struct mg_tcp_conn *c);
void tcp_sack_reset(struct mg_tcp_conn *c);
uint64_t tcp_siphash(const uint64_t key[2], uint64_t m0, uint64_t m1);
uint8_t tcp_rcv_wscale(const struct mg_tcp_worker *tw);
/* SYN cookies (tcp_syncookie.c). */
void tcp_cookie_syn(struct mg_tcp_worker *tw, struct mg_tcp_listener *l,
                    const struct mg_tcp_seg *s);
struct mg_tcp_conn *tcp_cookie_ack(struct mg_tcp_worker *tw, struct mg_tcp_listener *l,
                                   const struct mg_tcp_seg *s);
void tcp_conn_hold(struct mg_tcp_conn *c);
void tcp_conn_put(struct mg_tcp_conn *c);
void tcp_conn_time_wait(struct mg_tcp_conn *c);
void tcp_conn_notify_close(struct mg_tcp_conn *c, int err);
uint16_t tcp_adv_mss(const struct mg_tcp_worker *tw, rte_be32_t raddr);

/* tcp_output.c */
void tcp_output(struct mg_tcp_conn *c);
void tcp_send_ack(struct mg_tcp_conn *c);
void tcp_send_syn(struct mg_tcp_conn *c);
void tcp_send_rst(struct mg_tcp_conn *c);
void tcp_send_probe(struct mg_tcp_conn *c);
void tcp_send_keepalive(struct mg_tcp_conn *c);
void tcp_retransmit_una(struct mg_tcp_conn *c);
void tcp_reply_rst(struct mg_tcp_worker *tw, const struct mg_tcp_seg *s);
uint32_t tcp_now_ms(const struct mg_tcp_worker *tw);
void tcp_sndq_drop(struct mg_tcp_conn *c, uint32_t n);
void tcp_sndq_free(struct mg_tcp_conn *c);
void tcp_established_output(struct mg_tcp_conn *c);

/* tcp_timer.c */
void tcp_timer_set(struct mg_tcp_conn *c, uint8_t which, uint32_t ms_from_now);
void tcp_timer_stop(struct mg_tcp_conn *c, uint8_t which);
void tcp_timer_unlink(struct mg_tcp_conn *c);
void tcp_rexmt_arm(struct mg_tcp_conn *c);
void tcp_rtt_sample(struct mg_tcp_conn *c, uint32_t rtt_ms);

/* tcp_input.c */
void tcp_ooo_free(struct mg_tcp_conn *c);

/* tcp_cc_*.c */
extern const struct mg_tcp_cc_ops mg_tcp_cc_newreno;
extern const struct mg_tcp_cc_ops mg_tcp_cc_cubic;
/* The congestion control called name ("newreno", "cubic"), or NULL. */
const struct mg_tcp_cc_ops *tcp_cc_find(const char *name);
/* CUBIC's K and W_cubic(t) (segments, seconds), for the tests. */
double mg_tcp_cubic_k(double w_max);
double mg_tcp_cubic_w(double w_max, double k, double t);

#endif /* MG_TCP_PVT_H */
