/*
 * tcp_syncookie.c — SYN cookies (RFC 4987 3.6), used when a listener's SYN
 * backlog is full: the SYN-ACK's sequence number carries what the
 * connection needs, no state is kept, and the peer's final ACK rebuilds it.
 *
 * The cookie (our ISS):  bits 31..26  the 64 s period it was made in (mod 64)
 *                        bits 25..2   24 bits of SipHash over the 4-tuple,
 *                                     the peer's ISN and the period, keyed
 *                                     with a secret of this worker
 *                        bits 1..0    an index into a table of MSS values
 *                                     (the peer's MSS rounded down)
 * A cookie is good for the period it was made in and the one after (64 to
 * 128 s).  With timestamps the peer's window scale and SACK-permitted ride
 * in the low 5 bits of our TSval, which the peer echoes (Linux's scheme);
 * without timestamps only the MSS survives: no window scaling, no SACK.
 *
 * The SYN-ACK is sent from a scratch control block that is freed as soon as
 * the segment is out, so the output path is the ordinary one.
 */
#include "tcp/tcp_pvt.h"

static const uint16_t mss_tab[] = {536, 1300, 1440, 1460};

#define COOKIE_PERIOD_SHIFT 16 /* 65.536 s of the ms clock */
#define TS_NO_WSCALE        0xf
#define TS_SACK             0x10
#define TS_MASK             0x1f

static uint32_t period(const struct mg_tcp_worker *tw)
{
	return tcp_now_ms(tw) >> COOKIE_PERIOD_SHIFT;
}

static uint32_t mac(const struct mg_tcp_worker *tw, const struct mg_tcp_seg *s, uint32_t irs,
                    uint32_t t)
{
	uint64_t a = ((uint64_t)s->ip->dst_addr << 32) | s->ip->src_addr;
	uint64_t b = ((uint64_t)s->th->dst_port << 48) | ((uint64_t)s->th->src_port << 32) | irs;

	return (uint32_t)tcp_siphash(tw->cookie_key, tcp_siphash(tw->cookie_key, a, b), t) &
	       0xffffff;
}

void tcp_cookie_syn(struct mg_tcp_worker *tw, struct mg_tcp_listener *l, const struct mg_tcp_seg *s)
{
	const struct mg_tcp_opts *o = &s->opt;
	uint32_t peer_mss = o->has_mss && o->mss > 0 ? o->mss : MG_TCP_DEFAULT_MSS;
	uint32_t t = period(tw), idx = 0, tsval;
	struct mg_tcp_conn *c;

	for (uint32_t i = 0; i < MG_ARRAY_SIZE(mss_tab); i++)
		if (mss_tab[i] <= peer_mss)
			idx = i;
	c = tcp_conn_new(tw, s->ip->dst_addr, s->th->dst_port, s->ip->src_addr, s->th->src_port);
	if (c == NULL) {
		mg_cnt_add(&tw->cnt.drop_table_full, 1);
		return;
	}
	(void)l;
	c->iss = (t & 0x3f) << 26 | mac(tw, s, s->seq, t) << 2 | idx;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->mss = mss_tab[idx];
	c->flags |= MG_TCPF_PASSIVE;
	if (o->has_ts) {
		/* Our TSval's low bits carry the peer's scale and SACK-permitted. */
		c->flags |=
		    MG_TCPF_TS | (o->has_ws ? MG_TCPF_WS : 0) | (o->sack_ok ? MG_TCPF_SACK : 0);
		tsval = ((tcp_now_ms(tw) + c->ts_off) & ~(uint32_t)TS_MASK) |
		        (o->sack_ok ? TS_SACK : 0) |
		        (o->has_ws ? RTE_MIN(o->wscale, (uint8_t)14) : TS_NO_WSCALE);
		c->ts_off = tsval - tcp_now_ms(tw);
		c->ts_recent = o->tsval;
	}
	tcp_send_syn(c);
	mg_cnt_add(&tw->cnt.syncookies_sent, 1);
	tcp_conn_discard(c);
}

struct mg_tcp_conn *tcp_cookie_ack(struct mg_tcp_worker *tw, struct mg_tcp_listener *l,
                                   const struct mg_tcp_seg *s)
{
	uint32_t cookie = s->ack - 1, irs = s->seq - 1, now = period(tw), idx;
	const struct mg_tcp_opts *o = &s->opt;
	struct mg_tcp_conn *c;
	bool ok = false;

	for (uint32_t back = 0; back < 2 && !ok; back++) {
		uint32_t t = now - back;

		ok = (cookie >> 26) == (t & 0x3f) &&
		     ((cookie >> 2) & 0xffffff) == mac(tw, s, irs, t);
	}
	if (!ok) {
		mg_cnt_add(&tw->cnt.syncookies_failed, 1);
		return NULL;
	}
	c = tcp_conn_new(tw, s->ip->dst_addr, s->th->dst_port, s->ip->src_addr, s->th->src_port);
	if (c == NULL)
		return NULL;
	idx = cookie & 3;
	c->flags |= MG_TCPF_PASSIVE;
	c->listener = (uint8_t)(l - tw->listeners);
	if (l->cc != NULL)
		c->cc = l->cc;
	c->iss = cookie;
	c->snd_una = cookie;
	c->snd_nxt = c->snd_max = cookie + 1;
	c->recover = cookie;
	c->irs = irs;
	c->rcv_nxt = s->seq;
	c->mss = (uint16_t)RTE_MIN((uint32_t)mss_tab[idx], (uint32_t)tcp_adv_mss(tw, c->raddr));
	c->snd_wscale = 0;
	c->rcv_wscale = 0;
	if (o->has_ts && o->tsecr != 0) {
		uint32_t enc = o->tsecr & TS_MASK;

		c->flags |= MG_TCPF_TS;
		if ((enc & TS_NO_WSCALE) != TS_NO_WSCALE) {
			c->flags |= MG_TCPF_WS;
			c->snd_wscale = (uint8_t)(enc & TS_NO_WSCALE);
			c->rcv_wscale = tcp_rcv_wscale(tw);
		}
		if (enc & TS_SACK)
			c->flags |= MG_TCPF_SACK;
		/* Our next TSvals carry on from the one the peer echoed. */
		c->ts_off = o->tsecr - tcp_now_ms(tw);
		c->ts_recent = o->tsval;
		c->ts_recent_ms = tcp_now_ms(tw);
		c->mss = (uint16_t)(c->mss - 12);
	}
	c->rcv_wnd = RTE_MIN(tw->conf.rcvbuf, 65535u << c->rcv_wscale);
	/* What our SYN-ACK advertised: an unscaled window of at most 64 KiB. */
	c->rcv_adv = c->rcv_nxt + RTE_MIN(c->rcv_wnd, 65535u);
	c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
	c->cc->init(c);
	c->rtt_start = tcp_now_ms(tw);
	c->retries = 1; /* no RTT sample from a handshake we did not time */
	tcp_conn_set_state(c, MG_TCP_SYN_RECEIVED);
	l->n_syn++; /* the handshake's end takes it back, as for any passive open */
	mg_cnt_add(&tw->cnt.syncookies_validated, 1);
	return c;
}
