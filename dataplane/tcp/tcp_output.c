/*
 * tcp_output.c — building and sending segments: options, window, the send
 * queue, retransmission of the first unacknowledged segment, RSTs, and the
 * stream ops the layer above calls (send, shutdown, close, abort).
 *
 * Zero-copy: the send queue holds the caller's mbufs, linked by ->next and
 * trimmed from the front as ACKs arrive.  A segment is a fresh header mbuf
 * (IPv4 + TCP + options) followed by indirect mbufs attached to the queued
 * ones and narrowed to the bytes sent, so retransmissions reuse the same
 * buffers and the queue is never copied.  Nagle is off: whatever the windows
 * allow leaves at once.
 */
#include <errno.h>
#include <string.h>

#include "net/net.h"
#include "tcp/tcp_pvt.h"

/** A segment to send, before it is built. */
struct seg_out {
	rte_be32_t src, dst;
	rte_be16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags;
	uint8_t optlen;
	const uint8_t *opts;
	struct rte_mbuf *payload; /**< owned; NULL for none */
};

uint32_t tcp_now_ms(const struct mg_tcp_worker *tw)
{
	return tw->now_ms;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Build, checksum and send one segment; consumes so->payload. */
static int tcp_xmit(struct mg_tcp_worker *tw, const struct seg_out *so)
{
	uint16_t hlen =
	    (uint16_t)(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + so->optlen);
	uint32_t plen = so->payload != NULL ? so->payload->pkt_len : 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tw->w->pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint16_t raw = 0;
	uint32_t sum;

	if (m == NULL || rte_pktmbuf_append(m, hlen) == NULL ||
	    (so->payload != NULL && rte_pktmbuf_chain(m, so->payload) != 0)) {
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(so->payload);
		mg_cnt_add(&tw->cnt.no_mbuf, 1);
		return -ENOBUFS;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hlen + plen));
	ip->packet_id = rte_cpu_to_be_16(tw->ip_id++);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = so->src;
	ip->dst_addr = so->dst;
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = so->sport;
	th->dst_port = so->dport;
	th->sent_seq = rte_cpu_to_be_32(so->seq);
	th->recv_ack = rte_cpu_to_be_32(so->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + so->optlen) / 4) << 4);
	th->tcp_flags = so->flags;
	th->rx_win = rte_cpu_to_be_16(so->win);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (so->optlen > 0)
		memcpy(th + 1, so->opts, so->optlen);
	/* Software checksum over the chain; TX L4 offload is a later optimisation. */
	raw = mg_net_raw_cksum(m, sizeof(*ip), hlen - sizeof(*ip) + plen);
	sum = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)~sum;
	mg_cnt_add(&tw->cnt.seg_out, 1);
	mg_cnt_add(&tw->cnt.bytes_out, plen);
	return mg_ipv4_output(tw->w, m);
}

/* Append SACK blocks for the out-of-order queue (merged, lowest first, at most max). */
static uint8_t opts_sack(const struct mg_tcp_conn *c, uint8_t *o, unsigned max)
{
	uint8_t n = 4;
	unsigned k = 0;

	for (unsigned i = 0; i < c->n_ooo && k < max; i++) {
		uint32_t l = c->ooo[i].seq, r = l + c->ooo[i].len;

		while (i + 1 < c->n_ooo && c->ooo[i + 1].seq == r)
			r += c->ooo[++i].len;
		if (r == l)
			continue;
		put32(o + n, l);
		put32(o + n + 4, r);
		n = (uint8_t)(n + 8);
		k++;
	}
	if (k == 0)
		return 0;
	o[0] = 1, o[1] = 1, o[2] = 5, o[3] = (uint8_t)(2 + 8 * k);
	return n;
}

static uint8_t opts_ts(const struct mg_tcp_conn *c, uint8_t *o, bool sack_perm)
{
	o[0] = sack_perm ? 4 : 1;
	o[1] = sack_perm ? 2 : 1;
	o[2] = 8, o[3] = 10;
	put32(o + 4, tcp_now_ms(c->tw) + c->ts_off);
	put32(o + 8, c->ts_recent);
	return 12;
}

/*
 * SACK blocks a segment carrying plen bytes has room for.  c->mss already
 * leaves room for timestamps; blocks must fit in what the payload leaves of
 * it, or the frame outgrows the MTU (a veth, or a NIC, drops it; an
 * af_packet TX ring even stops at it).
 */
static unsigned sack_room(const struct mg_tcp_conn *c, uint32_t plen)
{
	uint32_t spare = plen < c->mss ? c->mss - plen : 0;
	unsigned max = (c->flags & MG_TCPF_TS) ? 3 : 4;

	if (spare < 4 + 8)
		return 0;
	return RTE_MIN(max, (spare - 4) / 8);
}

/* Options of a segment from c with flags and plen payload bytes; o has room for 40 bytes. */
static uint8_t tcp_opts(const struct mg_tcp_conn *c, uint8_t flags, uint8_t *o, uint32_t plen)
{
	bool ts = c->flags & MG_TCPF_TS, sack = c->flags & MG_TCPF_SACK;
	uint8_t n = 0;

	if (flags & TH_SYN) {
		o[0] = 2, o[1] = 4;
		put16(o + 2, tcp_adv_mss(c->tw, c->raddr));
		n = 4;
		if (ts) {
			n = (uint8_t)(n + opts_ts(c, o + n, sack));
		} else if (sack) {
			o[n] = 1, o[n + 1] = 1, o[n + 2] = 4, o[n + 3] = 2;
			n = (uint8_t)(n + 4);
		}
		if (c->flags & MG_TCPF_WS) {
			o[n] = 1, o[n + 1] = 3, o[n + 2] = 3, o[n + 3] = c->rcv_wscale;
			n = (uint8_t)(n + 4);
		}
		return n;
	}
	if (ts)
		n = opts_ts(c, o, false);
	if (sack && !(flags & TH_RST) && c->n_ooo > 0)
		n = (uint8_t)(n + opts_sack(c, o + n, sack_room(c, plen)));
	return n;
}

/*
 * Payload of a new segment: mss, less the SACK blocks it should carry while
 * our out-of-order queue holds data, so that a peer sending to us in the
 * same flow (an echo, a proxy) learns our holes from every segment, as
 * Linux does.  Resent segments keep their size and carry what fits.
 */
static uint32_t data_mss(const struct mg_tcp_conn *c)
{
	unsigned blocks;

	if (!(c->flags & MG_TCPF_SACK) || c->n_ooo == 0)
		return c->mss;
	blocks = RTE_MIN((unsigned)c->n_ooo, (c->flags & MG_TCPF_TS) ? 3u : 4u);
	return c->mss > 4 + 8 * blocks + 64 ? c->mss - (4 + 8 * blocks) : c->mss;
}

/* Receive space we can offer now: rcvbuf less what the layer above holds. */
static uint32_t rcv_space(const struct mg_tcp_conn *c)
{
	return c->rcv_wnd > c->rcv_held ? c->rcv_wnd - c->rcv_held : 0;
}

/*
 * The window field, and the right edge it advertises.  The edge never moves
 * left (RFC 9293 3.8.6: do not shrink the window): what was offered stays
 * offered even if the layer above has since held more.
 */
static uint16_t tcp_win(struct mg_tcp_conn *c, uint8_t flags)
{
	uint32_t space = rcv_space(c), w;

	if (flags & TH_SYN)
		return (uint16_t)RTE_MIN(c->rcv_wnd, 65535u);
	if (SEQ_GT(c->rcv_adv, c->rcv_nxt + space))
		space = c->rcv_adv - c->rcv_nxt;
	w = RTE_MIN(space >> c->rcv_wscale, 65535u);
	c->rcv_adv = SEQ_MAX(c->rcv_adv, c->rcv_nxt + (w << c->rcv_wscale));
	return (uint16_t)w;
}

/* Send one segment of c; payload (owned) may be NULL.  Any ACK clears pending ACK state. */
static int conn_xmit(struct mg_tcp_conn *c, uint32_t seq, uint8_t flags, struct rte_mbuf *payload)
{
	uint8_t opts[40];
	struct seg_out so = {
	    .src = c->laddr,
	    .dst = c->raddr,
	    .sport = c->lport,
	    .dport = c->rport,
	    .seq = seq,
	    .ack = (flags & TH_ACK) ? c->rcv_nxt : 0,
	    .win = tcp_win(c, flags),
	    .flags = flags,
	    .opts = opts,
	    .payload = payload,
	};

	so.optlen = tcp_opts(c, flags, opts, payload != NULL ? rte_pktmbuf_pkt_len(payload) : 0);
	if (flags & TH_ACK) {
		c->rcv_unacked = 0;
		c->flags &= (uint16_t)~MG_TCPF_ACK_NOW;
		if (c->timers & MG_TCPT_DELACK)
			tcp_timer_stop(c, MG_TCPT_DELACK);
	}
	return tcp_xmit(c->tw, &so);
}

/* Indirect mbufs referring to bytes [off, off + len) of c's send queue. */
static struct rte_mbuf *sndq_ref(struct mg_tcp_conn *c, uint32_t off, uint32_t len)
{
	struct rte_mbuf *seg = c->sndq_head, *head = NULL, *tail = NULL;
	uint32_t total = len;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (len > 0 && seg != NULL) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len);
		struct rte_mbuf *mi = rte_pktmbuf_alloc(c->tw->w->pool);

		if (mi == NULL) {
			rte_pktmbuf_free(head);
			mg_cnt_add(&c->tw->cnt.no_mbuf, 1);
			return NULL;
		}
		rte_pktmbuf_attach(mi, seg);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)n;
		mi->pkt_len = n;
		if (head == NULL) {
			head = mi;
		} else {
			tail->next = mi;
			head->nb_segs++;
		}
		tail = mi;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	if (head != NULL)
		head->pkt_len = total - len;
	return head;
}

/* Send [seq, seq + len) from the queue, with FIN if asked; returns 0 or -ENOBUFS. */
static int send_data(struct mg_tcp_conn *c, uint32_t seq, uint32_t len, bool fin)
{
	struct rte_mbuf *p = NULL;
	uint8_t flags = TH_ACK;

	if (len > 0) {
		p = sndq_ref(c, seq - c->snd_una, len);
		if (p == NULL)
			return -ENOBUFS;
		if (seq + len == c->snd_una + c->sndq_len)
			flags |= TH_PSH;
	}
	if (fin)
		flags |= TH_FIN;
	if (SEQ_LT(seq, c->snd_max))
		mg_cnt_add(&c->tw->cnt.retransmits, 1);
	return conn_xmit(c, seq, flags, p);
}

static bool can_send_data(const struct mg_tcp_conn *c)
{
	switch (c->state) {
	case MG_TCP_ESTABLISHED:
	case MG_TCP_CLOSE_WAIT:
	case MG_TCP_FIN_WAIT_1:
	case MG_TCP_CLOSING:
	case MG_TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/*
 * Send what the send and congestion windows allow, from snd_nxt: new data,
 * or data again after an RTO moved snd_nxt back to snd_una (go-back-N).
 * The FIN goes with the last byte, or alone once everything is out.
 */
void tcp_output(struct mg_tcp_conn *c)
{
	uint32_t data_end = c->snd_una + c->sndq_len;
	uint32_t wnd = RTE_MIN(c->snd_wnd, c->cwnd);
	uint32_t win_end = c->snd_una + wnd;
	bool shut = c->flags & MG_TCPF_SHUT_WR;

	if (!can_send_data(c) || (c->flags & MG_TCPF_FREED))
		return;
	for (;;) {
		uint32_t len = 0, seq = c->snd_nxt;
		bool fin;

		if (SEQ_LT(seq, data_end)) {
			if (!SEQ_LT(seq, win_end))
				break;
			len = RTE_MIN(data_end - seq, data_mss(c));
			len = RTE_MIN(len, win_end - seq);
		} else if (!shut || seq != data_end) {
			break;
		}
		fin = shut && seq + len == data_end;
		if (send_data(c, seq, len, fin) != 0)
			break;
		if (!(c->flags & (MG_TCPF_TS | MG_TCPF_RTT_TIMING)) && seq == c->snd_max) {
			/* Time one segment per RTT without timestamps; never a resent one (Karn).
			 */
			c->flags |= MG_TCPF_RTT_TIMING;
			c->rtt_seq = seq + len;
			c->rtt_start = tcp_now_ms(c->tw);
		}
		c->snd_nxt = seq + len + (fin ? 1 : 0);
		c->snd_max = SEQ_MAX(c->snd_max, c->snd_nxt);
		if (!(c->timers & MG_TCPT_REXMT) || (c->flags & MG_TCPF_PERSIST)) {
			c->flags &= (uint16_t)~MG_TCPF_PERSIST;
			tcp_rexmt_arm(c);
		}
	}
	/* Peer's window shut with data waiting and nothing in flight: probe it (persist). */
	if (c->snd_wnd == 0 && SEQ_LT(c->snd_nxt, data_end) && c->snd_una == c->snd_max &&
	    !(c->timers & MG_TCPT_REXMT)) {
		c->flags |= MG_TCPF_PERSIST;
		tcp_rexmt_arm(c);
	}
}

void tcp_send_ack(struct mg_tcp_conn *c)
{
	(void)conn_xmit(c, c->snd_nxt, TH_ACK, NULL);
}

void tcp_send_syn(struct mg_tcp_conn *c)
{
	uint8_t flags = c->state == MG_TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;

	(void)conn_xmit(c, c->iss, flags, NULL);
}

void tcp_send_rst(struct mg_tcp_conn *c)
{
	(void)conn_xmit(c, c->snd_nxt, TH_RST | TH_ACK, NULL);
}

/*
 * Zero-window probe as Linux sends it: an ACK one byte below snd_una, which
 * the peer must answer with an ACK carrying its window.  Rejected: probing
 * with a byte of data (RFC 9293), which would put that byte in flight and
 * tangle the probe with retransmission state.
 */
void tcp_send_probe(struct mg_tcp_conn *c)
{
	mg_cnt_add(&c->tw->cnt.persist_probes, 1);
	(void)conn_xmit(c, c->snd_una - 1, TH_ACK, NULL);
}

/* Keepalive probe: the same one-below-snd_una ACK, which any live peer answers. */
void tcp_send_keepalive(struct mg_tcp_conn *c)
{
	mg_cnt_add(&c->tw->cnt.keepalive_probes, 1);
	(void)conn_xmit(c, c->snd_una - 1, TH_ACK, NULL);
}

int tcp_send_range(struct mg_tcp_conn *c, uint32_t seq, uint32_t len)
{
	return send_data(c, seq, len, false);
}

/* Resend the first unacknowledged segment (fast retransmit, partial ACK). */
void tcp_retransmit_una(struct mg_tcp_conn *c)
{
	uint32_t len = RTE_MIN(c->sndq_len, (uint32_t)c->mss);
	bool fin;

	len = RTE_MIN(len, c->snd_max - c->snd_una);
	fin = (c->flags & MG_TCPF_SHUT_WR) && len == c->sndq_len &&
	      SEQ_GT(c->snd_max, c->snd_una + c->sndq_len);
	if (len == 0 && !fin)
		return;
	c->flags &= (uint16_t)~MG_TCPF_RTT_TIMING;
	(void)send_data(c, c->snd_una, len, fin);
}

void tcp_reply_rst(struct mg_tcp_worker *tw, const struct mg_tcp_seg *s)
{
	struct seg_out so = {
	    .src = s->ip->dst_addr,
	    .dst = s->ip->src_addr,
	    .sport = s->th->dst_port,
	    .dport = s->th->src_port,
	};

	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK) {
		so.seq = s->ack;
		so.flags = TH_RST;
	} else {
		so.ack = s->seq + s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
		so.flags = TH_RST | TH_ACK;
	}
	(void)tcp_xmit(tw, &so);
}

/* Drop n acknowledged bytes from the front of the send queue. */
void tcp_sndq_drop(struct mg_tcp_conn *c, uint32_t n)
{
	c->sndq_len -= n;
	while (n > 0 && c->sndq_head != NULL) {
		struct rte_mbuf *seg = c->sndq_head;

		if (n < seg->data_len) {
			seg->data_off = (uint16_t)(seg->data_off + n);
			seg->data_len = (uint16_t)(seg->data_len - n);
			seg->pkt_len = seg->data_len;
			return;
		}
		n -= seg->data_len;
		c->sndq_head = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		rte_pktmbuf_free_seg(seg);
	}
	if (c->sndq_head == NULL)
		c->sndq_tail = NULL;
}

void tcp_sndq_free(struct mg_tcp_conn *c)
{
	while (c->sndq_head != NULL) {
		struct rte_mbuf *seg = c->sndq_head;

		c->sndq_head = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		rte_pktmbuf_free_seg(seg);
	}
	c->sndq_tail = NULL;
	c->sndq_len = 0;
}

/* ---- Stream ops ---- */

static bool conn_gone(const struct mg_tcp_conn *c)
{
	return (c->flags & MG_TCPF_FREED) || c->state == MG_TCP_CLOSED ||
	       c->state == MG_TCP_TIME_WAIT;
}

static int tcp_stream_send(struct mg_tcp_conn *c, struct rte_mbuf *chain)
{
	if (conn_gone(c))
		return -ENOTCONN;
	if (c->flags & MG_TCPF_SHUT_WR)
		return -EPIPE;
	if (c->sndq_len >= c->tw->conf.sndbuf) {
		c->flags |= MG_TCPF_WANT_WRITE;
		mg_cnt_add(&c->tw->cnt.send_eagain, 1);
		return -EAGAIN;
	}
	while (chain != NULL) {
		struct rte_mbuf *seg = chain;

		chain = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		seg->pkt_len = seg->data_len;
		if (seg->data_len == 0) {
			rte_pktmbuf_free_seg(seg);
			continue;
		}
		if (c->sndq_tail == NULL)
			c->sndq_head = seg;
		else
			c->sndq_tail->next = seg;
		c->sndq_tail = seg;
		c->sndq_len += seg->data_len;
	}
	tcp_output(c);
	return 0;
}

/* Move to the FIN-sending state that matches a queued FIN (called again at establishment). */
static void apply_shutdown(struct mg_tcp_conn *c)
{
	if (c->state == MG_TCP_ESTABLISHED || c->state == MG_TCP_SYN_RECEIVED)
		tcp_conn_set_state(c, MG_TCP_FIN_WAIT_1);
	else if (c->state == MG_TCP_CLOSE_WAIT)
		tcp_conn_set_state(c, MG_TCP_LAST_ACK);
	tcp_output(c);
}

static int tcp_stream_shutdown(struct mg_tcp_conn *c)
{
	if (conn_gone(c))
		return -ENOTCONN;
	if (c->flags & MG_TCPF_SHUT_WR)
		return 0;
	c->flags |= MG_TCPF_SHUT_WR;
	if (c->state != MG_TCP_SYN_SENT && c->state != MG_TCP_SYN_RECEIVED)
		apply_shutdown(c);
	return 0;
}

static void tcp_stream_close(struct mg_tcp_conn *c)
{
	if (conn_gone(c))
		return;
	c->flags |= MG_TCPF_USER_GONE;
	if (c->state == MG_TCP_SYN_SENT) {
		tcp_conn_close(c, 0); /* RFC 9293: CLOSE in SYN-SENT deletes the TCB */
		return;
	}
	(void)tcp_stream_shutdown(c);
	if (!(c->timers & MG_TCPT_MISC) && c->state == MG_TCP_FIN_WAIT_2)
		tcp_timer_set(c, MG_TCPT_MISC, MG_TCP_FIN_WAIT2_MS);
}

static void tcp_stream_recved(struct mg_tcp_conn *c, uint32_t n)
{
	uint32_t adv, grow;

	if (conn_gone(c))
		return;
	c->rcv_held -= RTE_MIN(n, c->rcv_held);
	adv = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (rcv_space(c) <= adv)
		return;
	grow = rcv_space(c) - adv;
	/* Worth an ACK of its own (Linux's rule of thumb, and never leave a closed window shut). */
	if (grow < RTE_MIN(c->rcv_wnd / 2, 2u * c->mss) && !(adv < c->mss && grow >= c->mss))
		return;
	if (c->busy > 0)
		c->flags |= MG_TCPF_ACK_NOW; /* inside input: the ACK at its end carries it */
	else if (c->state != MG_TCP_SYN_SENT && c->state != MG_TCP_SYN_RECEIVED)
		tcp_send_ack(c);
}

static void tcp_stream_abort(struct mg_tcp_conn *c)
{
	if (conn_gone(c))
		return;
	if (c->state != MG_TCP_SYN_SENT) {
		mg_cnt_add(&c->tw->cnt.rst_out_abort, 1);
		tcp_send_rst(c);
	}
	tcp_conn_close(c, -ECONNABORTED);
}

/* Called at establishment: a shutdown requested during the handshake takes effect. */
void tcp_established_output(struct mg_tcp_conn *c)
{
	if (c->flags & MG_TCPF_SHUT_WR)
		apply_shutdown(c);
	else
		tcp_output(c);
}

const struct mg_stream_ops mg_tcp_stream_ops = {
    .send = tcp_stream_send,
    .shutdown = tcp_stream_shutdown,
    .close = tcp_stream_close,
    .abort = tcp_stream_abort,
    .recved = tcp_stream_recved,
};
