/*
 * tcp_timer.c — the per-worker hashed timer wheel and what the timers do:
 * retransmission (RFC 6298), persist (zero-window probes), delayed ACK,
 * TIME-WAIT and FIN-WAIT-2 expiry.
 *
 * The wheel has MG_TCP_WHEEL_SLOTS slots of 1 ms, driven by the TSC.  A
 * connection keeps one deadline per timer and sits in the wheel once, in the
 * slot of its earliest deadline; deadlines more than a lap away stay in
 * their slot and are looked at once per lap (a hashed wheel).  Rejected: a
 * rte_timer per connection and timer, which costs a list insert per ACK and
 * takes a lock.
 *
 * Values: initial RTO 1 s (RFC 6298); minimum 200 ms as Linux (RFC 6298's
 * 1 s floor makes recovery on a LAN needlessly slow); maximum 120 s; delayed
 * ACK 40 ms (Linux's minimum); MSL 30 s, so TIME-WAIT lasts 60 s like
 * Linux's; SYN retries 6 and SYN-ACK retries 5 as Linux; 15 data
 * retransmissions before giving up (Linux tcp_retries2).
 */
#include <errno.h>

#include "tcp/tcp_pvt.h"

static uint32_t conn_earliest(const struct mg_tcp_conn *c, bool *any)
{
	uint32_t t = 0;

	*any = false;
	if (c->timers & MG_TCPT_REXMT)
		t = c->t_rexmt, *any = true;
	if ((c->timers & MG_TCPT_DELACK) && (!*any || SEQ_LT(c->t_delack, t)))
		t = c->t_delack, *any = true;
	if ((c->timers & MG_TCPT_MISC) && (!*any || SEQ_LT(c->t_misc, t)))
		t = c->t_misc, *any = true;
	return t;
}

void tcp_timer_unlink(struct mg_tcp_conn *c)
{
	if (c->wheel.le_prev != NULL) {
		LIST_REMOVE(c, wheel);
		c->wheel.le_prev = NULL;
	}
	c->timers = 0;
}

/* Put c in the slot of its earliest deadline (never behind the wheel's cursor). */
static void conn_reschedule(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	bool any;
	uint32_t at = conn_earliest(c, &any);

	if (c->wheel.le_prev != NULL) {
		if (any && at == c->wheel_at)
			return;
		LIST_REMOVE(c, wheel);
		c->wheel.le_prev = NULL;
	}
	if (!any)
		return;
	c->wheel_at = at;
	if (SEQ_LT(at, tw->wheel_ms))
		at = tw->wheel_ms;
	LIST_INSERT_HEAD(&tw->wheel[at % MG_TCP_WHEEL_SLOTS], c, wheel);
}

void tcp_timer_set(struct mg_tcp_conn *c, uint8_t which, uint32_t ms_from_now)
{
	uint32_t at = tcp_now_ms(tcp_of(c)) + ms_from_now;

	if (which & MG_TCPT_REXMT)
		c->t_rexmt = at;
	if (which & MG_TCPT_DELACK)
		c->t_delack = at;
	if (which & MG_TCPT_MISC)
		c->t_misc = at;
	c->timers |= which;
	conn_reschedule(c);
}

void tcp_timer_stop(struct mg_tcp_conn *c, uint8_t which)
{
	c->timers &= (uint8_t)~which;
	conn_reschedule(c);
}

/* Retransmission (or persist) timer: RTO doubled per backoff, at most MG_TCP_RTO_MAX. */
/*
 * Tail loss probe (RFC 8985 7): with SACK, a flight whose last segments are
 * lost brings no duplicate ACKs and would wait for the RTO (200 ms at least).
 * Instead, after about two round trips of silence, send one segment (new
 * data, or the last one again): its ACK's SACK blocks show the loss and the
 * SACK-based recovery repairs it.  One probe per flight; then the RTO.
 */
static bool tlp_eligible(const struct mg_tcp_conn *c)
{
	return c->tlp != 2 && !c->tw->conf.no_tlp && (c->flags & MG_TCPF_SACK) && c->srtt8 != 0 &&
	       !(c->flags & (MG_TCPF_RECOVERY | MG_TCPF_PERSIST)) && c->snd_una != c->snd_max &&
	       (c->state == MG_TCP_ESTABLISHED || c->state == MG_TCP_CLOSE_WAIT) && c->backoff == 0;
}

void tcp_rexmt_arm(struct mg_tcp_conn *c)
{
	uint64_t ms = (uint64_t)c->rto << RTE_MIN(c->backoff, (uint8_t)20);

	if (tlp_eligible(c)) {
		uint32_t pto = RTE_MAX(2u * (c->srtt8 >> 3), MG_TCP_TLP_MIN_MS);

		/* One segment out: its ACK may be a delayed one. */
		if (c->snd_max - c->snd_una <= c->mss)
			pto += MG_TCP_DELACK_MS;
		if (pto < ms) {
			c->tlp = 1;
			tcp_timer_set(c, MG_TCPT_REXMT, pto);
			return;
		}
	}
	if (c->tlp == 1)
		c->tlp = 0;
	tcp_timer_set(c, MG_TCPT_REXMT, (uint32_t)RTE_MIN(ms, (uint64_t)MG_TCP_RTO_MAX));
}

static void tlp_fire(struct mg_tcp_conn *c)
{
	uint32_t data_end = c->snd_una + c->sndq_len;
	uint32_t len, seq;

	c->tlp = 2;
	mg_cnt_add(&tcp_of(c)->cnt.tlp_probes, 1);
	if (c->snd_nxt == c->snd_max && SEQ_LT(c->snd_nxt, data_end) &&
	    SEQ_LT(c->snd_nxt, c->snd_una + c->snd_wnd)) {
		/*
		 * New data is the best probe, one segment of it whatever cwnd says
		 * (as Linux): a flight that filled cwnd and whose last ACK was lost
		 * would otherwise probe with nothing and wait for the RTO.
		 */
		len = RTE_MIN(data_end - c->snd_nxt, (uint32_t)c->mss);
		len = RTE_MIN(len, c->snd_una + c->snd_wnd - c->snd_nxt);
		if (tcp_send_range(c, c->snd_nxt, len) == 0) {
			c->snd_nxt += len;
			c->snd_max = c->snd_nxt;
		}
	} else {
		/* The last segment again (not past the data: a FIN is the RTO's). */
		uint32_t end = SEQ_MIN(c->snd_max, data_end);

		len = RTE_MIN((uint32_t)c->mss, end - c->snd_una);
		seq = end - len;
		if (len > 0)
			(void)tcp_send_range(c, seq, len);
	}
	tcp_rexmt_arm(c); /* tlp == 2: the full RTO now */
}

void tcp_rtt_sample(struct mg_tcp_conn *c, uint32_t r)
{
	uint32_t rto;

	if (c->srtt8 == 0) {
		c->srtt8 = RTE_MAX(r, 1u) << 3;
		c->rttvar4 = r << 1;
	} else {
		int32_t delta = (int32_t)r - (int32_t)(c->srtt8 >> 3);
		uint32_t adelta = (uint32_t)(delta < 0 ? -delta : delta);

		c->rttvar4 = c->rttvar4 - (c->rttvar4 >> 2) + adelta;
		c->srtt8 = c->srtt8 - (c->srtt8 >> 3) + r;
		if (c->srtt8 == 0)
			c->srtt8 = 1;
	}
	rto = (c->srtt8 >> 3) + RTE_MAX(c->rttvar4, 1u);
	c->rto = RTE_MIN(RTE_MAX(rto, (uint32_t)MG_TCP_RTO_MIN), (uint32_t)MG_TCP_RTO_MAX);
}

static void rexmt_handshake(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	bool active = c->state == MG_TCP_SYN_SENT;

	if (c->retries >= (active ? MG_TCP_SYN_RETRIES : MG_TCP_SYNACK_RETRIES)) {
		mg_cnt_add(&tw->cnt.conn_timeout, 1);
		tcp_conn_close(c, -ETIMEDOUT);
		return;
	}
	c->retries++;
	c->backoff++;
	mg_cnt_add(&tw->cnt.rto_expired, 1);
	mg_cnt_add(&tw->cnt.retransmits, 1);
	tcp_send_syn(c);
	tcp_rexmt_arm(c);
}

/*
 * Zero-window probing.  A peer that answers keeps the connection however
 * long its window stays shut (each answer resets retries, tcp_input.c); one
 * that stops answering is given up like an unanswered retransmission: after
 * MG_TCP_MAX_RETRIES probes, or the user timeout (as Linux).
 */
static void persist_fire(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	if (c->snd_wnd == 0 && c->sndq_len > 0 && c->snd_una == c->snd_max) {
		if (c->retries == 0)
			c->rto_first_ms = tcp_now_ms(tw);
		if (c->retries >= MG_TCP_MAX_RETRIES ||
		    (tw->conf.user_timeout_ms != 0 &&
		     tcp_now_ms(tw) - c->rto_first_ms >= tw->conf.user_timeout_ms)) {
			mg_cnt_add(&tw->cnt.conn_timeout, 1);
			tcp_conn_close(c, -ETIMEDOUT);
			return;
		}
		c->retries++;
		tcp_send_probe(c);
		if (((uint64_t)c->rto << c->backoff) < MG_TCP_RTO_MAX)
			c->backoff++;
		tcp_rexmt_arm(c);
		return;
	}
	c->flags &= (uint16_t)~MG_TCPF_PERSIST;
	tcp_output(c);
}

static void rexmt_fire(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	if (c->state == MG_TCP_SYN_SENT || c->state == MG_TCP_SYN_RECEIVED) {
		rexmt_handshake(c);
		return;
	}
	if (c->flags & MG_TCPF_PERSIST) {
		persist_fire(c);
		return;
	}
	if (c->snd_una == c->snd_max)
		return;
	if (c->tlp == 1) {
		tlp_fire(c);
		return;
	}
	if (c->retries == 0)
		c->rto_first_ms = tcp_now_ms(tw);
	/* Give up after MAX_RETRIES, or sooner with a user timeout (TCP_USER_TIMEOUT). */
	if (c->retries >= MG_TCP_MAX_RETRIES ||
	    (tw->conf.user_timeout_ms != 0 &&
	     tcp_now_ms(tw) - c->rto_first_ms >= tw->conf.user_timeout_ms)) {
		mg_cnt_add(&tw->cnt.conn_timeout, 1);
		tcp_conn_close(c, -ETIMEDOUT);
		return;
	}
	mg_cnt_add(&tw->cnt.rto_expired, 1);
	c->retries++;
	if (((uint64_t)c->rto << c->backoff) < MG_TCP_RTO_MAX)
		c->backoff++;
	if (c->snd_wnd == 0) {
		/*
		 * The peer shut its window with our data in flight: nothing may be
		 * resent, so probe it as a zero window and keep the timer going.
		 * An answer resets retries (tcp_input.c); silence runs into the
		 * give-up above.  Without this the timer stopped here for good.
		 */
		tcp_send_probe(c);
		tcp_rexmt_arm(c);
		return;
	}
	c->cc->on_rto(c);
	c->flags &= (uint16_t) ~(MG_TCPF_RECOVERY | MG_TCPF_SACKREC | MG_TCPF_RTT_TIMING);
	tcp_sack_reset(c); /* the peer may have dropped what it SACKed (reneging) */
	c->dupacks = 0;
	c->recover = c->snd_max; /* RFC 6582 4.2: no fast retransmit for what the RTO resends */
	c->snd_nxt = c->snd_una;
	tcp_output(c);
	/* Whatever output could or could not send, unacknowledged data keeps a timer. */
	if (!(c->timers & MG_TCPT_REXMT) && c->snd_una != c->snd_max)
		tcp_rexmt_arm(c);
}

/*
 * The MISC timer: TIME-WAIT over, an orphaned FIN-WAIT-2 waited long
 * enough, or the connection was idle for keepalive_ms (then a probe every
 * keepalive_intvl_ms, giving up after keepalive_probes: 75 s and 9 by
 * default, as Linux).  Returns true if c was closed.
 */
static bool misc_fire(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	switch (c->state) {
	case MG_TCP_TIME_WAIT:
	case MG_TCP_FIN_WAIT_2:
		tcp_conn_close(c, 0);
		return true;
	case MG_TCP_SYN_SENT:
	case MG_TCP_SYN_RECEIVED:
		/* An active open's connect timeout; a passive one never arms MISC here. */
		if (c->flags & MG_TCPF_PASSIVE)
			return false;
		mg_cnt_add(&tw->cnt.connect_timeouts, 1);
		tcp_conn_close(c, -ETIMEDOUT);
		return true;
	case MG_TCP_ESTABLISHED:
	case MG_TCP_CLOSE_WAIT:
		if (tw->conf.keepalive_ms == 0)
			return false;
		if (c->ka_probes >= tw->conf.keepalive_probes) {
			mg_cnt_add(&tw->cnt.keepalive_timeouts, 1);
			tcp_conn_close(c, -ETIMEDOUT);
			return true;
		}
		/* Data in flight: the RTO watches the peer; look again later. */
		if (c->snd_una == c->snd_max) {
			c->ka_probes++;
			tcp_send_keepalive(c);
		}
		tcp_timer_set(c, MG_TCPT_MISC, tw->conf.keepalive_intvl_ms);
		return false;
	default:
		return false; /* FIN-WAIT-1, CLOSING, LAST-ACK: the RTO runs these */
	}
}

static void conn_fire(struct mg_tcp_conn *c, uint32_t now)
{
	uint8_t due = 0;

	if ((c->timers & MG_TCPT_DELACK) && MS_GEQ(now, c->t_delack))
		due |= MG_TCPT_DELACK;
	if ((c->timers & MG_TCPT_REXMT) && MS_GEQ(now, c->t_rexmt))
		due |= MG_TCPT_REXMT;
	if ((c->timers & MG_TCPT_MISC) && MS_GEQ(now, c->t_misc))
		due |= MG_TCPT_MISC;
	c->timers &= (uint8_t)~due;
	if ((due & MG_TCPT_MISC) && misc_fire(c))
		return;
	if (due & MG_TCPT_DELACK) {
		mg_cnt_add(&tcp_of(c)->cnt.delayed_acks, 1);
		tcp_send_ack(c);
	}
	if ((due & MG_TCPT_REXMT) && !(c->flags & MG_TCPF_FREED))
		rexmt_fire(c);
}

/* Run one slot: every connection in it is taken out, fired if due, and put back if still armed. */
static void wheel_run_slot(struct mg_tcp_worker *tw, unsigned slot, uint32_t now)
{
	struct mg_tcp_conn_list tmp = LIST_HEAD_INITIALIZER(tmp);
	struct mg_tcp_conn *c;

	if (LIST_EMPTY(&tw->wheel[slot]))
		return;
	/* Move the list head; the first element's back pointer must follow. */
	tmp.lh_first = tw->wheel[slot].lh_first;
	tmp.lh_first->wheel.le_prev = &tmp.lh_first;
	LIST_INIT(&tw->wheel[slot]);
	while ((c = LIST_FIRST(&tmp)) != NULL) {
		LIST_REMOVE(c, wheel);
		c->wheel.le_prev = NULL;
		tcp_conn_hold(c);
		conn_fire(c, now);
		if (!(c->flags & MG_TCPF_FREED))
			conn_reschedule(c);
		tcp_conn_put(c);
	}
}

void mg_tcp_poll(struct mg_worker *w)
{
	struct mg_tcp_worker *tw = w->tcp;
	uint32_t now, n = 0;

	if (tw == NULL)
		return;
	now = (uint32_t)(w->now / tw->tsc_per_ms);
	tw->now_ms = now;
	/* Behind by more than a lap: one pass over every slot fires all that is due. */
	while (MS_GEQ(now, tw->wheel_ms) && n++ < MG_TCP_WHEEL_SLOTS) {
		uint32_t slot = tw->wheel_ms % MG_TCP_WHEEL_SLOTS;

		tw->wheel_ms++;
		wheel_run_slot(tw, slot, now);
	}
	if (MS_GEQ(now, tw->wheel_ms))
		tw->wheel_ms = now + 1;
}
