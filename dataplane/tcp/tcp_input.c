/*
 * tcp_input.c — the receive path: segment validation (lengths, checksum,
 * options), demultiplexing to a connection or listener, and the RFC 9293
 * state machine with RFC 5961 (blind RST/SYN), RFC 7323 (PAWS) and RFC 6582
 * (NewReno recovery); in-order delivery and the bounded reassembly queue.
 *
 * Every segment ends in exactly one place, counted: seg_accepted or one drop
 * reason (tcp_counters.def).  Input for a connection runs to the end before
 * output: the state machine sets MG_TCPF_ACK_NOW or the delayed-ACK timer,
 * then tcp_output() sends what the windows allow, and the ACK rides on data
 * when there is any.
 */
#include <errno.h>
#include <string.h>

#include <rte_ring.h>

#include "net/net.h"
#include "tcp/tcp_pvt.h"

/* ---- mbuf helpers ---- */

/* Remove n bytes from the front of chain m (across segments); returns the new head. */
static struct rte_mbuf *chain_trim_front(struct rte_mbuf *m, uint32_t n)
{
	while (n > 0 && n >= m->data_len && m->next != NULL) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		next->pkt_len = m->pkt_len - m->data_len;
		next->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	m->pkt_len -= n;
	return m;
}

/* Keep the first len bytes of chain m. */
static void chain_cut(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;
	uint16_t nb = 1;

	while (seg->data_len < left && seg->next != NULL) {
		left -= seg->data_len;
		seg = seg->next;
		nb++;
	}
	seg->data_len = (uint16_t)RTE_MIN(left, (uint32_t)seg->data_len);
	if (seg->next != NULL) {
		rte_pktmbuf_free(seg->next);
		seg->next = NULL;
	}
	m->nb_segs = nb;
	m->pkt_len = len;
}

/* ---- parsing ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

/* Options; a malformed length ends parsing (what was read so far stands), as Linux. */
static void parse_opts(const uint8_t *p, unsigned n, bool syn, struct mg_tcp_opts *o)
{
	unsigned i = 0;

	memset(o, 0, sizeof(*o));
	while (i < n) {
		uint8_t kind = p[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || (len = p[i + 1]) < 2 || i + len > n)
			break;
		if (kind == 2 && len == 4 && syn) {
			o->mss = get16(p + i + 2);
			o->has_mss = true;
		} else if (kind == 3 && len == 3 && syn) {
			o->wscale = p[i + 2];
			o->has_ws = true;
		} else if (kind == 4 && len == 2 && syn) {
			o->sack_ok = true;
		} else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0 && !syn) {
			for (unsigned k = 0; k < (unsigned)(len - 2) / 8 && o->n_sack < 4; k++) {
				o->sack[o->n_sack][0] = get32(p + i + 2 + 8 * k);
				o->sack[o->n_sack][1] = get32(p + i + 6 + 8 * k);
				o->n_sack++;
			}
		} else if (kind == 8 && len == 10) {
			o->tsval = get32(p + i + 2);
			o->tsecr = get32(p + i + 6);
			o->has_ts = true;
		}
		i += len;
	}
}

static bool cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4len)
{
	uint32_t sum;

	if (rte_pktmbuf_pkt_len(m) < rte_ipv4_hdr_len(ip) + l4len)
		return false;
	sum =
	    (uint32_t)mg_net_raw_cksum(m, rte_ipv4_hdr_len(ip), l4len) + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Validate and parse; returns the drop counter, or NULL with s filled. */
static uint64_t *tcp_parse(struct mg_tcp_worker *tw, const struct rte_mbuf *m,
                           const struct rte_ipv4_hdr *ip, struct mg_tcp_seg *s)
{
	uint32_t ihl = rte_ipv4_hdr_len(ip);
	uint32_t l4len = rte_be_to_cpu_16(ip->total_length) - ihl;
	const struct rte_tcp_hdr *th;
	uint32_t doff;

	if (l4len < sizeof(*th) || m->data_len < ihl + sizeof(*th))
		return &tw->cnt.drop_runt;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	/* Options are read from the first segment only. */
	if (doff < sizeof(*th) || doff > l4len || ihl + doff > m->data_len)
		return &tw->cnt.drop_bad_offset;
	if (!cksum_ok(m, ip, l4len))
		return &tw->cnt.drop_bad_cksum;
	s->flags = th->tcp_flags & (TH_FIN | TH_SYN | TH_RST | TH_PSH | TH_ACK | TH_URG);
	if (s->flags == 0 || ((s->flags & TH_SYN) && (s->flags & (TH_FIN | TH_RST))))
		return &tw->cnt.drop_bad_flags;
	if (th->src_port == 0 || th->dst_port == 0)
		return &tw->cnt.drop_bad_port;
	s->ip = ip;
	s->th = th;
	s->seq = rte_be_to_cpu_32(th->sent_seq);
	s->ack = rte_be_to_cpu_32(th->recv_ack);
	s->wnd = rte_be_to_cpu_16(th->rx_win);
	s->len = l4len - doff;
	s->hlen = (uint16_t)(ihl + doff);
	parse_opts((const uint8_t *)(th + 1), doff - sizeof(*th), s->flags & TH_SYN, &s->opt);
	return NULL;
}

/* ---- out-of-order queue ---- */

void tcp_ooo_free(struct mg_tcp_conn *c)
{
	for (unsigned i = 0; i < c->n_ooo; i++)
		rte_pktmbuf_free(c->ooo[i].m);
	c->n_ooo = 0;
	c->flags &= (uint16_t)~MG_TCPF_OOO_FIN;
}

static void ooo_remove(struct mg_tcp_conn *c, unsigned i)
{
	rte_pktmbuf_free(c->ooo[i].m);
	memmove(&c->ooo[i], &c->ooo[i + 1], (c->n_ooo - i - 1) * sizeof(c->ooo[0]));
	c->n_ooo--;
}

/*
 * Join m = [seq, seq + len) to the entry it continues (i - 1) or precedes
 * (i), so that a run of segments after one hole takes one entry: the queue
 * bounds holes, not segments.  Returns false if it touches neither (or the
 * chain would be too long).
 */
static bool ooo_coalesce(struct mg_tcp_conn *c, unsigned i, struct rte_mbuf *m, uint32_t seq,
                         uint32_t len)
{
	if (i > 0 && c->ooo[i - 1].seq + c->ooo[i - 1].len == seq) {
		struct mg_tcp_ooo *p = &c->ooo[i - 1];

		if (rte_pktmbuf_chain(p->m, m) != 0)
			return false;
		p->len += len;
		if (i < c->n_ooo && p->seq + p->len == c->ooo[i].seq &&
		    rte_pktmbuf_chain(p->m, c->ooo[i].m) == 0) {
			p->len += c->ooo[i].len;
			c->ooo[i].m = NULL;
			ooo_remove(c, i);
		}
		return true;
	}
	if (i < c->n_ooo && seq + len == c->ooo[i].seq && rte_pktmbuf_chain(m, c->ooo[i].m) == 0) {
		c->ooo[i].m = m;
		c->ooo[i].seq = seq;
		c->ooo[i].len += len;
		return true;
	}
	return false;
}

/*
 * Queue payload m = [seq, seq + len) beyond rcv_nxt, trimmed against what is
 * already held so entries stay sorted and disjoint.  Returns the drop
 * counter or NULL; m is consumed either way.
 */
static uint64_t *ooo_insert(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t len)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	uint32_t end = seq + len;
	unsigned i = 0;

	while (i < c->n_ooo && SEQ_LEQ(c->ooo[i].seq, seq))
		i++;
	if (i > 0) {
		uint32_t pend = c->ooo[i - 1].seq + c->ooo[i - 1].len;

		if (SEQ_GEQ(pend, end)) {
			rte_pktmbuf_free(m);
			return &tw->cnt.drop_ooo_dup;
		}
		if (SEQ_GT(pend, seq)) {
			m = chain_trim_front(m, pend - seq);
			seq = pend;
		}
	}
	while (i < c->n_ooo && SEQ_LEQ(c->ooo[i].seq + c->ooo[i].len, end))
		ooo_remove(c, i); /* wholly covered by the new segment */
	if (i < c->n_ooo && SEQ_LT(c->ooo[i].seq, end)) {
		end = c->ooo[i].seq;
		chain_cut(m, end - seq);
	}
	if (ooo_coalesce(c, i, m, seq, end - seq)) {
		mg_cnt_add(&tw->cnt.ooo_queued, 1);
		return NULL;
	}
	if (c->n_ooo == MG_TCP_OOO_MAX) {
		rte_pktmbuf_free(m);
		return &tw->cnt.drop_ooo_full;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i], (c->n_ooo - i) * sizeof(c->ooo[0]));
	c->ooo[i] = (struct mg_tcp_ooo){.seq = seq, .len = end - seq, .m = m};
	c->n_ooo++;
	mg_cnt_add(&tw->cnt.ooo_queued, 1);
	return NULL;
}

/* ---- delivery ---- */

static void deliver(struct mg_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	c->rcv_nxt += len;
	mg_cnt_add(&tcp_of(c)->cnt.bytes_in, len);
	if ((c->flags & MG_TCPF_USER_GONE) || c->cbs == NULL || c->cbs->on_data == NULL) {
		rte_pktmbuf_free(m);
	} else {
		c->rcv_held += len;
		c->cbs->on_data(c->ctx, c, m);
	}
}

/* Deliver what the out-of-order queue holds at rcv_nxt now. */
static void ooo_drain(struct mg_tcp_conn *c)
{
	while (c->n_ooo > 0 && SEQ_LEQ(c->ooo[0].seq, c->rcv_nxt) && !(c->flags & MG_TCPF_FREED)) {
		struct mg_tcp_ooo e = c->ooo[0];
		uint32_t end = e.seq + e.len;

		memmove(&c->ooo[0], &c->ooo[1], (c->n_ooo - 1) * sizeof(c->ooo[0]));
		c->n_ooo--;
		if (SEQ_LEQ(end, c->rcv_nxt)) {
			rte_pktmbuf_free(e.m);
			continue;
		}
		e.m = chain_trim_front(e.m, c->rcv_nxt - e.seq);
		mg_cnt_add(&tcp_of(c)->cnt.ooo_merged, 1);
		deliver(c, e.m, end - c->rcv_nxt);
	}
}

static void fin_input(struct mg_tcp_conn *c)
{
	c->rcv_nxt++;
	c->flags |= MG_TCPF_FIN_IN | MG_TCPF_ACK_NOW;
	c->flags &= (uint16_t)~MG_TCPF_OOO_FIN;
	switch (c->state) {
	case MG_TCP_SYN_RECEIVED:
	case MG_TCP_ESTABLISHED:
		tcp_conn_set_state(c, MG_TCP_CLOSE_WAIT);
		if (!(c->flags & MG_TCPF_USER_GONE) && c->cbs != NULL &&
		    c->cbs->on_peer_fin != NULL)
			c->cbs->on_peer_fin(c->ctx, c);
		break;
	case MG_TCP_FIN_WAIT_1:
		tcp_conn_set_state(c, MG_TCP_CLOSING);
		break;
	case MG_TCP_FIN_WAIT_2:
		tcp_send_ack(c);
		tcp_conn_time_wait(c);
		break;
	default:
		break;
	}
}

/* ACK policy for in-order data: quick-ACK at the start, every second full segment, else delay. */
static void ack_policy(struct mg_tcp_conn *c, uint32_t len)
{
	c->rcv_unacked += len;
	if (c->quickack > 0) {
		c->quickack--;
		c->flags |= MG_TCPF_ACK_NOW;
	} else if (c->rcv_unacked >= 2u * c->mss) {
		c->flags |= MG_TCPF_ACK_NOW;
	} else if (!(c->timers & MG_TCPT_DELACK)) {
		tcp_timer_set(c, MG_TCPT_DELACK, MG_TCP_DELACK_MS);
	}
}

/*
 * Payload and FIN of an acceptable segment in a state that receives
 * (ESTABLISHED, FIN-WAIT-1/2).  Consumes m; returns a drop counter or NULL.
 */
static uint64_t *data_input(struct mg_tcp_conn *c, struct rte_mbuf *m, const struct mg_tcp_seg *s)
{
	uint32_t seq = s->seq, len = s->len, edge = SEQ_MAX(c->rcv_adv, c->rcv_nxt);
	bool fin = s->flags & TH_FIN, had_ooo = c->n_ooo > 0;
	uint64_t *drop = NULL;

	if (SEQ_LT(seq, c->rcv_nxt)) { /* starts with bytes we have */
		uint32_t dup = RTE_MIN(c->rcv_nxt - seq, len);

		seq += dup, len -= dup;
		m = chain_trim_front(m, s->hlen + dup);
	} else {
		m = chain_trim_front(m, s->hlen);
	}
	if (len > 0 && SEQ_GT(seq + len, edge)) { /* beyond the window: keep what fits */
		len = SEQ_GT(edge, seq) ? edge - seq : 0;
		fin = false;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
		m = NULL;
		if (s->len > 0)
			c->flags |= MG_TCPF_ACK_NOW; /* duplicate data: the peer lost our ACK */
	} else {
		chain_cut(m, len);
	}
	if (m != NULL && seq == c->rcv_nxt) {
		/* ACK decision first: data the callback sends carries the ACK and clears it. */
		if (had_ooo)
			c->flags |= MG_TCPF_ACK_NOW; /* a hole filled: tell the sender now */
		else
			ack_policy(c, len);
		deliver(c, m, len);
		if (had_ooo) {
			ooo_drain(c);
			c->flags |= MG_TCPF_ACK_NOW; /* rcv_nxt moved past what a reply acked */
		}
	} else if (m != NULL) {
		drop = ooo_insert(c, m, seq, len);
		c->flags |= MG_TCPF_ACK_NOW; /* duplicate ACK, with SACK blocks */
	}
	if (c->flags & MG_TCPF_FREED)
		return drop;
	if (fin && seq + len != c->rcv_nxt && SEQ_GT(seq + len, c->rcv_nxt) && drop == NULL) {
		c->flags |= MG_TCPF_OOO_FIN | MG_TCPF_ACK_NOW;
		c->fin_seq = seq + len;
	} else if (fin && seq + len == c->rcv_nxt) {
		fin_input(c);
	}
	if ((c->flags & MG_TCPF_OOO_FIN) && c->n_ooo == 0 && c->fin_seq == c->rcv_nxt)
		fin_input(c);
	return drop;
}

/* ---- listener ---- */

static struct mg_tcp_listener *listener_find(struct mg_tcp_worker *tw, rte_be32_t addr,
                                             rte_be16_t port)
{
	for (unsigned i = 0; i < MG_TCP_MAX_LISTENERS; i++) {
		struct mg_tcp_listener *l = &tw->listeners[i];

		if (l->port == port && (l->addr == 0 || l->addr == addr))
			return l;
	}
	return NULL;
}

/* Options from the peer's SYN: what it offers and we offered (active) or take (passive). */
static void syn_negotiate(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	const struct mg_tcp_opts *o = &s->opt;
	uint32_t peer_mss = o->has_mss && o->mss > 0 ? o->mss : MG_TCP_DEFAULT_MSS;

	if (!o->has_ts)
		c->flags &= (uint16_t)~MG_TCPF_TS;
	if (!o->sack_ok)
		c->flags &= (uint16_t)~MG_TCPF_SACK;
	if (o->has_ws && (c->flags & MG_TCPF_WS)) {
		c->snd_wscale = RTE_MIN(o->wscale, (uint8_t)14);
	} else {
		c->flags &= (uint16_t)~MG_TCPF_WS;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	c->rcv_wnd = RTE_MIN(c->tw->conf.rcvbuf, 65535u << c->rcv_wscale);
	if (c->flags & MG_TCPF_TS) {
		c->ts_recent = o->tsval;
		c->ts_recent_ms = tcp_now_ms(c->tw);
	}
	c->mss = (uint16_t)RTE_MIN(peer_mss, (uint32_t)tcp_adv_mss(c->tw, c->raddr));
	if (c->flags & MG_TCPF_TS)
		c->mss = (uint16_t)(c->mss - 12);
	if (c->mss < 64)
		c->mss = 64;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_adv = c->rcv_nxt + RTE_MIN(c->rcv_wnd, 65535u); /* a SYN's window is unscaled */
	c->cc->init(c);
}

static uint64_t *listen_syn(struct mg_tcp_worker *tw, struct mg_tcp_listener *l,
                            const struct mg_tcp_seg *s)
{
	struct mg_tcp_conn *c;

	if (l == NULL) {
		tcp_reply_rst(tw, s);
		if (!(s->flags & TH_RST))
			mg_cnt_add(&tw->cnt.rst_out_no_conn, 1);
		return &tw->cnt.drop_no_listener;
	}
	if (s->flags & (TH_RST | TH_ACK) || !(s->flags & TH_SYN)) {
		if ((s->flags & TH_ACK) && !(s->flags & TH_RST)) {
			tcp_reply_rst(tw, s);
			mg_cnt_add(&tw->cnt.rst_out_no_conn, 1);
		}
		return &tw->cnt.drop_listen_bad;
	}
	if (l->n_syn >= tw->conf.syn_backlog) {
		if (tw->conf.no_syncookies)
			return &tw->cnt.drop_syn_backlog_full;
		tw->cookie_ms = tcp_now_ms(tw);
		tcp_cookie_syn(tw, l, s);
		return NULL;
	}
	c = tcp_conn_new(tw, s->ip->dst_addr, s->th->dst_port, s->ip->src_addr, s->th->src_port);
	if (c == NULL)
		return &tw->cnt.drop_table_full;
	c->flags |= MG_TCPF_PASSIVE | MG_TCPF_TS | MG_TCPF_WS | MG_TCPF_SACK;
	c->listener = (uint8_t)(l - tw->listeners);
	if (l->cc != NULL)
		c->cc = l->cc;
	l->n_syn++;
	syn_negotiate(c, s);
	c->snd_wnd = s->wnd; /* never scaled in a SYN (RFC 7323 2.2) */
	tcp_conn_set_state(c, MG_TCP_SYN_RECEIVED);
	tcp_send_syn(c);
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->rtt_start = tcp_now_ms(tw);
	tcp_rexmt_arm(c);
	return NULL;
}

static uint64_t *conn_input(struct mg_tcp_conn *c, struct rte_mbuf *m, const struct mg_tcp_seg *s);

/*
 * An ACK to a listener with no connection may end a handshake we answered
 * with a SYN cookie: considered only while cookies are being sent (two
 * periods after the last one), so a quiet listener cannot be probed.
 */
static bool cookie_candidate(const struct mg_tcp_worker *tw, const struct mg_tcp_listener *l,
                             const struct mg_tcp_seg *s)
{
	return l != NULL && !tw->conf.no_syncookies &&
	       (s->flags & (TH_SYN | TH_RST | TH_ACK)) == TH_ACK && tw->cookie_ms != 0 &&
	       tcp_now_ms(tw) - tw->cookie_ms < 2u * 65536u;
}

static uint64_t *listen_input(struct mg_tcp_worker *tw, struct rte_mbuf *m,
                              const struct mg_tcp_seg *s)
{
	struct mg_tcp_listener *l = listener_find(tw, s->ip->dst_addr, s->th->dst_port);
	uint64_t *drop;

	if (cookie_candidate(tw, l, s)) {
		struct mg_tcp_conn *c = tcp_cookie_ack(tw, l, s);

		if (c != NULL)
			return conn_input(c, m, s);
	}
	drop = listen_syn(tw, l, s);

	/* The SYN's payload, if any, is not kept (no TFO): the peer sends it again. */
	rte_pktmbuf_free(m);
	return drop;
}

/* ---- connection states ---- */

static void rtt_from_ts(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	uint32_t rtt = tcp_now_ms(c->tw) + c->ts_off - s->opt.tsecr;

	if (s->opt.tsecr != 0 && rtt < MG_TCP_RTO_MAX)
		tcp_rtt_sample(c, rtt);
}

/* The handshake's end: SYN acknowledged.  The first RTT sample comes from it unless resent. */
static void handshake_done(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	if ((c->flags & MG_TCPF_TS) && s->opt.has_ts)
		rtt_from_ts(c, s);
	else if (c->retries == 0)
		tcp_rtt_sample(c, tcp_now_ms(c->tw) - c->rtt_start);
	c->snd_una = c->iss + 1;
	c->max_snd_wnd = RTE_MAX(c->max_snd_wnd, c->snd_wnd);
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->retries = 0;
	c->backoff = 0;
	tcp_timer_stop(c, MG_TCPT_REXMT);
	tcp_conn_set_state(c, MG_TCP_ESTABLISHED);
}

static uint64_t *syn_sent_input(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	bool ack_ok = (s->flags & TH_ACK) && SEQ_GT(s->ack, c->iss) && SEQ_LEQ(s->ack, c->snd_max);

	if ((s->flags & TH_ACK) && !ack_ok) {
		if (!(s->flags & TH_RST)) {
			tcp_reply_rst(tw, s);
			mg_cnt_add(&tw->cnt.rst_out_bad_ack, 1);
		}
		return &tw->cnt.drop_syn_sent_bad;
	}
	if (s->flags & TH_RST) {
		if (!ack_ok)
			return &tw->cnt.drop_syn_sent_bad;
		mg_cnt_add(&tw->cnt.rst_in, 1);
		tcp_conn_close(c, -ECONNREFUSED);
		return NULL;
	}
	if (!(s->flags & TH_SYN))
		return &tw->cnt.drop_syn_sent_bad;
	syn_negotiate(c, s);
	c->snd_wnd = s->wnd;
	if (!ack_ok) { /* simultaneous open (RFC 9293 figure 7) */
		tcp_conn_set_state(c, MG_TCP_SYN_RECEIVED);
		tcp_send_syn(c);
		return NULL;
	}
	handshake_done(c, s);
	c->flags |= MG_TCPF_ACK_NOW;
	if (c->cbs->on_open != NULL)
		c->cbs->on_open(c->ctx, c);
	return NULL;
}

/* SYN-RECEIVED → ESTABLISHED on an acceptable ACK; false if the connection is gone. */
static bool syn_rcvd_ack(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	struct mg_tcp_listener *l = &tw->listeners[c->listener];
	void *ctx;

	handshake_done(c, s);
	if (!(c->flags & MG_TCPF_PASSIVE)) { /* simultaneous open */
		if (c->cbs->on_open != NULL)
			c->cbs->on_open(c->ctx, c);
		return !(c->flags & MG_TCPF_FREED);
	}
	l->n_syn--;
	c->flags &= (uint16_t)~MG_TCPF_PASSIVE;
	ctx = l->accept_ctx(l->arg, c);
	if (ctx == NULL) {
		mg_cnt_add(&tw->cnt.rst_out_accept, 1);
		tcp_send_rst(c);
		tcp_conn_close(c, -ECONNREFUSED);
		return false;
	}
	c->cbs = l->cbs;
	c->ctx = ctx;
	c->flags |= MG_TCPF_OPENED;
	mg_cnt_add(&tw->cnt.passive_opens, 1);
	if (c->cbs->on_open != NULL)
		c->cbs->on_open(c->ctx, c);
	return !(c->flags & MG_TCPF_FREED);
}

static bool seg_acceptable(const struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	uint32_t seglen = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
	uint32_t nxt = c->rcv_nxt;
	uint32_t wnd = SEQ_GT(c->rcv_adv, nxt) ? c->rcv_adv - nxt : 0;

	if (seglen == 0)
		return wnd == 0 ? s->seq == nxt : SEQ_LEQ(nxt, s->seq) && SEQ_LT(s->seq, nxt + wnd);
	if (wnd == 0)
		return false;
	return (SEQ_LEQ(nxt, s->seq) && SEQ_LT(s->seq, nxt + wnd)) ||
	       (SEQ_LEQ(nxt, s->seq + seglen - 1) && SEQ_LT(s->seq + seglen - 1, nxt + wnd));
}

/* RFC 5961 7: at most MG_TCP_CHALLENGE_PER_SEC challenge ACKs a second per worker. */
static void challenge_ack(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	uint32_t sec = tcp_now_ms(tw) / 1000;

	if (sec != tw->chal_sec) {
		tw->chal_sec = sec;
		tw->chal_left = MG_TCP_CHALLENGE_PER_SEC;
	}
	if (tw->chal_left == 0) {
		mg_cnt_add(&tw->cnt.challenge_acks_limited, 1);
		return;
	}
	tw->chal_left--;
	mg_cnt_add(&tw->cnt.challenge_acks, 1);
	c->flags |= MG_TCPF_ACK_NOW;
}

static void rst_input(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	int err = -ECONNRESET;

	mg_cnt_add(&tw->cnt.rst_in, 1);
	switch (c->state) {
	case MG_TCP_SYN_RECEIVED:
		err = (c->flags & MG_TCPF_PASSIVE) ? 0 : -ECONNREFUSED;
		break;
	case MG_TCP_CLOSING:
	case MG_TCP_LAST_ACK:
	case MG_TCP_TIME_WAIT:
		err = 0;
		break;
	default:
		mg_cnt_add(&tw->cnt.conn_reset, 1);
		break;
	}
	tcp_conn_close(c, err);
}

static uint64_t *ack_input(struct mg_tcp_conn *c, const struct mg_tcp_seg *s, bool *fin_acked);

/*
 * RFC 9293 3.10.7.4: when the receive window is zero "special allowance
 * should be made to accept valid ACKs".  A segment we cannot take (data
 * into a closed window, or an old duplicate: a peer's retransmission)
 * still carries the peer's latest ACK, SACK blocks and window; dropping them
 * with the data starved our sender of ACKs whenever our own window was shut,
 * until its RTO.  Taken in the data transfer states only (no FIN of ours in
 * flight), and only from a segment within one window of rcv_nxt and not
 * beyond what we advertised, as Linux does, so a blind injection is no
 * easier than into the window itself; the ACK field then passes RFC 5961's
 * check in ack_input().
 */
static void unacceptable_ack(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	uint32_t end = s->seq + s->len;
	bool fin_acked;

	if ((c->state != MG_TCP_ESTABLISHED && c->state != MG_TCP_CLOSE_WAIT) ||
	    (s->flags & (TH_ACK | TH_SYN | TH_RST)) != TH_ACK ||
	    SEQ_LT(end, c->rcv_nxt - c->rcv_wnd) || SEQ_GT(s->seq, c->rcv_adv))
		return;
	mg_cnt_add(&tcp_of(c)->cnt.acks_outside_window, 1);
	(void)ack_input(c, s, &fin_acked);
}

/* Before the ACK field: PAWS, acceptability, RST, SYN.  Returns a drop counter, NULL to go on. */
static uint64_t *sync_checks(struct mg_tcp_conn *c, const struct mg_tcp_seg *s, bool *done)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	*done = true;
	/*
	 * Simultaneous open: the peer's SYN-ACK repeats a SYN we have and acks
	 * ours.  Taken as the ACK that completes the handshake, as Linux does
	 * (RFC 5961 4.2 leaves this case open; a challenge ACK would stall it).
	 */
	if (c->state == MG_TCP_SYN_RECEIVED && !(c->flags & MG_TCPF_PASSIVE) &&
	    (s->flags & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK) && s->seq == c->irs &&
	    s->ack == c->snd_max) {
		*done = false;
		return NULL;
	}
	if ((c->flags & MG_TCPF_TS) && s->opt.has_ts && !(s->flags & TH_RST) &&
	    SEQ_LT(s->opt.tsval, c->ts_recent) &&
	    tcp_now_ms(tw) - c->ts_recent_ms < MG_TCP_TS_PAWS_IDLE_MS) {
		c->flags |= MG_TCPF_ACK_NOW;
		return &tw->cnt.drop_paws;
	}
	if (!seg_acceptable(c, s)) {
		if (c->state == MG_TCP_SYN_RECEIVED && (s->flags & TH_SYN) && s->seq == c->irs) {
			tcp_send_syn(c); /* our SYN-ACK was lost */
			return &tw->cnt.drop_syn_dup;
		}
		if (s->flags & TH_RST)
			return &tw->cnt.drop_rst_out_of_window;
		if (c->state == MG_TCP_TIME_WAIT && (s->flags & TH_FIN))
			tcp_timer_set(c, MG_TCPT_MISC, 2 * MG_TCP_MSL_MS);
		c->flags |= MG_TCPF_ACK_NOW;
		unacceptable_ack(c, s);
		return &tw->cnt.drop_out_of_window;
	}
	if (s->flags & TH_RST) {
		if (s->seq == c->rcv_nxt) {
			rst_input(c);
			return NULL;
		}
		challenge_ack(c); /* RFC 5961 3.2: in the window but not exact */
		return &tw->cnt.drop_rst_challenged;
	}
	if (s->flags & TH_SYN) {
		challenge_ack(c); /* RFC 5961 4.2 */
		return &tw->cnt.drop_syn_challenged;
	}
	if (!(s->flags & TH_ACK))
		return &tw->cnt.drop_no_ack;
	/* RFC 7323 4.3: remember the timestamp of a segment that starts at or before rcv_nxt. */
	if ((c->flags & MG_TCPF_TS) && s->opt.has_ts && SEQ_LEQ(s->seq, c->rcv_nxt) &&
	    SEQ_GEQ(s->opt.tsval, c->ts_recent)) {
		c->ts_recent = s->opt.tsval;
		c->ts_recent_ms = tcp_now_ms(tw);
	}
	*done = false;
	return NULL;
}

static void enter_recovery(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	mg_cnt_add(&tw->cnt.fast_retransmits, 1);
	mg_cnt_add(&tw->cnt.recoveries, 1);
	c->cc->on_loss(c);
	c->recover = c->snd_max;
	c->flags |= MG_TCPF_RECOVERY;
	tcp_retransmit_una(c);
	c->cwnd = c->ssthresh + 3u * c->mss;
}

/*
 * An ACK that moves nothing but brings SACK blocks while it carries data
 * (traffic both ways): RFC 6675 5 still looks at the scoreboard, or a
 * bidirectional flow would never leave loss to anything but the RTO.
 * NewReno's guard (no new recovery before snd_una passes the last recovery
 * point, RFC 6582 4.2) is for duplicate ACKs that may be echoes of our own
 * go-back-N; SACK blocks say what the peer holds, so they need no guard:
 * after an RTO the board is empty and fills only with what is true.
 */
static void sack_news(struct mg_tcp_conn *c)
{
	if (c->flags & MG_TCPF_SACKREC)
		tcp_sack_output(c);
	else if (!(c->flags & MG_TCPF_RECOVERY) &&
	         (tcp_sack_bytes(c) > 2u * c->mss || (c->tlp == 2 && tcp_sack_bytes(c) > 0)) &&
	         tcp_sack_enter(c))
		c->flags |= MG_TCPF_SACKREC;
}

static void dupack_input(struct mg_tcp_conn *c)
{
	mg_cnt_add(&tcp_of(c)->cnt.dupacks_in, 1);
	if (c->dupacks < UINT8_MAX)
		c->dupacks++;
	if (c->flags & MG_TCPF_SACKREC)
		tcp_sack_output(c); /* RFC 6675: pipe, not inflation, says what may go */
	else if (c->flags & MG_TCPF_RECOVERY)
		c->cwnd += c->mss; /* RFC 6582 3.2 step 4: inflate */
	else if ((c->dupacks == 3 || tcp_sack_bytes(c) > 2u * c->mss ||
	          (c->tlp == 2 && tcp_sack_bytes(c) > 0)) &&
	         (SEQ_GT(c->snd_una, c->recover) || tcp_sack_bytes(c) > 0)) {
		/*
		 * RFC 6675 5: three duplicates, or more than 2 segments SACKed above
		 * snd_una; or the answer to a tail loss probe SACKs it with a hole
		 * below (RFC 8985 7.4): the hole is lost.
		 */
		if (tcp_sack_enter(c))
			c->flags |= MG_TCPF_SACKREC;
		else if (c->dupacks >= 3)
			enter_recovery(c);
	}
}

/* New data acknowledged; returns true when the ACK also covers our FIN. */
static bool new_ack(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	uint32_t acked = s->ack - c->snd_una, data = RTE_MIN(acked, c->sndq_len);
	bool fin_acked = acked > c->sndq_len;

	tcp_sndq_drop(c, data);
	c->snd_una = s->ack;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (SEQ_LT(c->high_rxt, c->snd_una))
		c->high_rxt = c->snd_una;
	tcp_sack_update(c, s); /* trim what snd_una passed; take this ACK's blocks */
	if ((c->flags & MG_TCPF_TS) && s->opt.has_ts) {
		rtt_from_ts(c, s);
	} else if ((c->flags & MG_TCPF_RTT_TIMING) && SEQ_GEQ(s->ack, c->rtt_seq)) {
		c->flags &= (uint16_t)~MG_TCPF_RTT_TIMING;
		tcp_rtt_sample(c, tcp_now_ms(c->tw) - c->rtt_start);
	}
	c->retries = 0;
	c->backoff = 0;
	c->tlp = 0; /* new data acknowledged: the next flight may probe again */
	if (!(c->flags & MG_TCPF_RECOVERY)) {
		c->dupacks = 0;
		c->cc->on_ack(c, data);
	} else if (SEQ_GEQ(s->ack, c->recover)) {
		c->flags &= (uint16_t) ~(MG_TCPF_RECOVERY | MG_TCPF_SACKREC);
		c->dupacks = 0;
		c->cc->on_recovery_end(c);
	} else if (c->flags & MG_TCPF_SACKREC) {
		tcp_sack_output(c); /* RFC 6675: holes and new data as pipe allows */
	} else {                    /* partial ACK (RFC 6582 3.2 step 5) */
		tcp_retransmit_una(c);
		c->cwnd = c->cwnd > data ? c->cwnd - data : 0;
		c->cwnd += c->mss;
	}
	if (c->snd_una == c->snd_max)
		tcp_timer_stop(c, MG_TCPT_REXMT);
	else
		tcp_rexmt_arm(c);
	return fin_acked;
}

/* The ACK field; returns a drop counter, NULL to go on, *fin_acked when our FIN is acked. */
static uint64_t *ack_input(struct mg_tcp_conn *c, const struct mg_tcp_seg *s, bool *fin_acked)
{
	uint32_t wnd = s->wnd << c->snd_wscale;

	*fin_acked = false;
	if (SEQ_GT(s->ack, c->snd_max)) {
		c->flags |= MG_TCPF_ACK_NOW;
		return &tcp_of(c)->cnt.drop_ack_unsent;
	}
	if (SEQ_LT(s->ack, c->snd_una - c->max_snd_wnd)) { /* blind data injection guard */
		challenge_ack(c);
		return &tcp_of(c)->cnt.drop_ack_too_old;
	}
	if (SEQ_GT(s->ack, c->snd_una)) {
		*fin_acked = new_ack(c, s);
	} else {
		tcp_sack_update(c, s);
		if (s->ack == c->snd_una && s->len == 0 && !(s->flags & TH_FIN) &&
		    wnd == c->snd_wnd && c->snd_max != c->snd_una)
			dupack_input(c);
		else if (s->opt.n_sack > 0 && s->ack == c->snd_una && c->snd_max != c->snd_una)
			sack_news(c); /* data or a window change rides on it: not a dupack */
	}
	if (SEQ_LT(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, s->ack))) {
		c->snd_wnd = wnd;
		c->max_snd_wnd = RTE_MAX(c->max_snd_wnd, wnd);
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (wnd > 0 && (c->flags & MG_TCPF_PERSIST)) {
			c->flags &= (uint16_t)~MG_TCPF_PERSIST;
			c->backoff = 0;
			tcp_timer_stop(c, MG_TCPT_REXMT);
		}
	}
	return NULL;
}

/* What our FIN being acknowledged does; false if the connection is gone. */
static bool fin_acked_input(struct mg_tcp_conn *c)
{
	switch (c->state) {
	case MG_TCP_FIN_WAIT_1:
		tcp_conn_set_state(c, MG_TCP_FIN_WAIT_2);
		if (c->flags & MG_TCPF_USER_GONE)
			tcp_timer_set(c, MG_TCPT_MISC, MG_TCP_FIN_WAIT2_MS);
		return true;
	case MG_TCP_CLOSING:
		tcp_conn_time_wait(c);
		return false;
	case MG_TCP_LAST_ACK:
		tcp_conn_close(c, 0);
		return false;
	default:
		return true;
	}
}

static uint64_t *sync_input(struct mg_tcp_conn *c, struct rte_mbuf *m, const struct mg_tcp_seg *s)
{
	bool done, fin_acked;
	uint64_t *drop = sync_checks(c, s, &done);

	if (done)
		goto out;
	if (c->state == MG_TCP_SYN_RECEIVED) {
		if (!SEQ_GT(s->ack, c->iss) || SEQ_GT(s->ack, c->snd_max)) {
			tcp_reply_rst(tcp_of(c), s);
			mg_cnt_add(&tcp_of(c)->cnt.rst_out_bad_ack, 1);
			drop = &tcp_of(c)->cnt.drop_bad_ack;
			goto out;
		}
		if (!syn_rcvd_ack(c, s))
			goto out;
	}
	drop = ack_input(c, s, &fin_acked);
	if (drop != NULL || (fin_acked && !fin_acked_input(c)))
		goto out;
	switch (c->state) {
	case MG_TCP_ESTABLISHED:
	case MG_TCP_FIN_WAIT_1:
	case MG_TCP_FIN_WAIT_2:
		return data_input(c, m, s);
	case MG_TCP_TIME_WAIT:
		if (s->flags & TH_FIN) { /* retransmitted FIN: ACK it, restart 2MSL */
			c->flags |= MG_TCPF_ACK_NOW;
			tcp_timer_set(c, MG_TCPT_MISC, 2 * MG_TCP_MSL_MS);
		}
		break;
	default:
		break; /* CLOSE-WAIT, CLOSING, LAST-ACK: the peer's FIN came; no more data */
	}
out:
	rte_pktmbuf_free(m);
	return drop;
}

/* After input: send, ACK, and tell a blocked writer there is room. */
static void conn_input_end(struct mg_tcp_conn *c, bool was_open)
{
	if (c->flags & MG_TCPF_FREED)
		return;
	/* An answer to a zero-window probe: the peer is there, probing goes on. */
	if ((c->flags & MG_TCPF_PERSIST) || (c->snd_wnd == 0 && c->snd_una != c->snd_max))
		c->retries = 0;
	/* Anything from the peer proves it alive: restart the keepalive idle time. */
	if (c->tw->conf.keepalive_ms != 0 &&
	    (c->state == MG_TCP_ESTABLISHED || c->state == MG_TCP_CLOSE_WAIT)) {
		c->ka_probes = 0;
		tcp_timer_set(c, MG_TCPT_MISC, c->tw->conf.keepalive_ms);
	}
	if (!was_open && c->state >= MG_TCP_ESTABLISHED)
		tcp_established_output(c);
	else
		tcp_output(c);
	if (c->flags & MG_TCPF_ACK_NOW)
		tcp_send_ack(c);
	if ((c->flags & MG_TCPF_WANT_WRITE) && c->sndq_len < c->tw->conf.sndbuf &&
	    !(c->flags & (MG_TCPF_USER_GONE | MG_TCPF_SHUT_WR))) {
		c->flags &= (uint16_t)~MG_TCPF_WANT_WRITE;
		if (c->cbs != NULL && c->cbs->on_writable != NULL)
			c->cbs->on_writable(c->ctx, c);
	}
}

static uint64_t *conn_input(struct mg_tcp_conn *c, struct rte_mbuf *m, const struct mg_tcp_seg *s)
{
	bool was_open = c->state >= MG_TCP_ESTABLISHED;
	uint64_t *drop;

	tcp_conn_hold(c);
	if (c->state == MG_TCP_SYN_SENT) {
		drop = syn_sent_input(c, s);
		rte_pktmbuf_free(m); /* data on a SYN-ACK is not kept: the peer resends it */
	} else {
		drop = sync_input(c, m, s);
	}
	conn_input_end(c, was_open);
	tcp_conn_put(c);
	return drop;
}

/* RFC 6191: a new SYN may take over a TIME-WAIT 4-tuple if it is provably newer. */
static bool time_wait_reusable(const struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	if ((s->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
		return false;
	if ((c->flags & MG_TCPF_TS) && s->opt.has_ts)
		return SEQ_GT(s->opt.tsval, c->ts_recent);
	return SEQ_GT(s->seq, c->rcv_nxt);
}

/*
 * A segment for no connection here, to an ephemeral port another worker
 * owns (port % n_workers): the reply to that worker's active open, which the
 * NIC's RSS or af_packet's fanout delivered here.  Hand it over rather than
 * answer it with an RST.  Returns true when m is no longer ours.
 */
static bool handoff(struct mg_worker *w, struct mg_tcp_worker *tw, uint8_t iface,
                    struct rte_mbuf *m, const struct mg_tcp_seg *s)
{
	unsigned nw = w->dp != NULL ? w->dp->n_workers : 1;
	uint16_t port = rte_be_to_cpu_16(s->th->dst_port);
	struct mg_worker *owner;

	if (nw < 2 || port < MG_TCP_EPHEMERAL_LO || port > MG_TCP_EPHEMERAL_HI ||
	    port % nw == w->idx || listener_find(tw, s->ip->dst_addr, s->th->dst_port) != NULL)
		return false;
	owner = w->dp->workers[port % nw];
	if (owner == NULL || owner->handoff == NULL)
		return false;
	m->port = iface;
	if (rte_ring_enqueue(owner->handoff, m) != 0) {
		mg_cnt_add(&tw->cnt.drop_handoff_full, 1);
		rte_pktmbuf_free(m);
		return true;
	}
	mg_cnt_add(&tw->cnt.handoff_out, 1);
	return true;
}

void mg_tcp_handoff_input(struct mg_worker *w, struct rte_mbuf *m)
{
	if (w->tcp != NULL)
		mg_cnt_add(&w->tcp->cnt.handoff_in, 1);
	mg_tcp_input(w, (uint8_t)m->port, m, rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *));
}

void mg_tcp_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m,
                  const struct rte_ipv4_hdr *ip)
{
	struct mg_tcp_worker *tw = w->tcp;
	struct mg_tcp_conn *c;
	struct mg_tcp_seg s;
	uint64_t *drop;

	if (unlikely(tw == NULL)) {
		rte_pktmbuf_free(m);
		return;
	}
	tw->now_ms = (uint32_t)(w->now / tw->tsc_per_ms);
	mg_cnt_add(&tw->cnt.seg_in, 1);
	drop = tcp_parse(tw, m, ip, &s);
	if (drop == NULL) {
		c = tcp_conn_lookup(tw, ip->dst_addr, s.th->dst_port, ip->src_addr, s.th->src_port);
		if (c != NULL && c->state == MG_TCP_TIME_WAIT && time_wait_reusable(c, &s)) {
			tcp_conn_close(c, 0);
			c = NULL;
		}
		if (c == NULL && handoff(w, tw, iface, m, &s))
			return;
		if (c == NULL)
			drop = listen_input(tw, m, &s);
		else
			drop = conn_input(c, m, &s);
	} else {
		rte_pktmbuf_free(m);
	}
	if (drop != NULL)
		mg_cnt_add(drop, 1);
	else
		mg_cnt_add(&tw->cnt.seg_accepted, 1);
}
