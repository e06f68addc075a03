/*
 * tcp_sack.c — the sender's side of SACK (RFC 2018): a scoreboard of what
 * the peer holds above snd_una, and loss recovery driven by it (RFC 6675)
 * when SACK was negotiated.
 *
 * The scoreboard keeps MG_TCP_SB_MAX ranges, merged and sorted; when more
 * arrive the lowest ones go (the highest say most about what is lost).
 * Recovery as RFC 6675 with two simplifications the RFC allows: every
 * unSACKed byte below the highest SACKed one counts as lost once recovery
 * has begun (IsLost with DupThresh already met), and "pipe" is computed from
 * the ranges: the bytes above the highest SACK plus the holes already
 * retransmitted.  While pipe leaves room in cwnd we send, in order: the next
 * hole not yet retransmitted, then new data.  cwnd is ssthresh throughout
 * (no NewReno inflation); an RTO forgets the scoreboard, since the peer may
 * renege.
 *
 * A retransmission can be lost too.  RFC 6675 leaves that to the RTO, which
 * under a few percent of loss costs most of the transfer's time; as Linux
 * did before RACK, we note snd_max when a hole is resent (rxt_fence), and
 * once the peer SACKs data sent after that fence (MG_TCP_REORDER_SEGS
 * segments past it, for reordering), the holes still open below high_rxt
 * are lost again: high_rxt goes back to snd_una and they are resent as pipe
 * allows.  A hole's sending time is not kept (no per-segment state), so the
 * fence of the latest retransmission stands for all of them: late, never
 * early.
 */
#include "tcp/tcp_pvt.h"

static void sb_remove(struct mg_tcp_conn *c, unsigned i)
{
	memmove(&c->sb[i], &c->sb[i + 1], (c->n_sb - i - 1) * sizeof(c->sb[0]));
	c->n_sb--;
}

/* Insert [l, r), merging with what it touches. */
static void sb_insert(struct mg_tcp_conn *c, uint32_t l, uint32_t r)
{
	unsigned i = 0;

	while (i < c->n_sb) {
		if (SEQ_LT(r, c->sb[i].l) || SEQ_GT(l, c->sb[i].r)) {
			i++;
			continue;
		}
		l = SEQ_MIN(l, c->sb[i].l); /* overlaps or touches: absorb it */
		r = SEQ_MAX(r, c->sb[i].r);
		sb_remove(c, i);
	}
	for (i = 0; i < c->n_sb && SEQ_LT(c->sb[i].l, l); i++)
		;
	if (c->n_sb == MG_TCP_SB_MAX) {
		if (i == 0)
			return; /* lower than everything we keep */
		sb_remove(c, 0);
		i--;
	}
	memmove(&c->sb[i + 1], &c->sb[i], (c->n_sb - i) * sizeof(c->sb[0]));
	c->sb[i].l = l;
	c->sb[i].r = r;
	c->n_sb++;
}

void tcp_sack_update(struct mg_tcp_conn *c, const struct mg_tcp_seg *s)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	/* What snd_una passed is no longer the peer's to hold. */
	while (c->n_sb > 0 && SEQ_LEQ(c->sb[0].r, c->snd_una))
		sb_remove(c, 0);
	if (c->n_sb > 0 && SEQ_LT(c->sb[0].l, c->snd_una))
		c->sb[0].l = c->snd_una;
	if (!(c->flags & MG_TCPF_SACK))
		return;
	for (unsigned k = 0; k < s->opt.n_sack; k++) {
		uint32_t l = s->opt.sack[k][0], r = s->opt.sack[k][1];

		if (!SEQ_LT(l, r) || SEQ_LEQ(r, c->snd_una) || SEQ_GT(r, c->snd_max)) {
			mg_cnt_add(&tw->cnt.sack_blocks_bad, 1); /* includes D-SACKs (RFC 2883) */
			continue;
		}
		mg_cnt_add(&tw->cnt.sack_blocks_in, 1);
		sb_insert(c, SEQ_MAX(l, c->snd_una), r);
	}
}

uint32_t tcp_sack_bytes(const struct mg_tcp_conn *c)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->n_sb; i++)
		n += c->sb[i].r - c->sb[i].l;
	return n;
}

/* Bytes believed in the network: above the highest SACK, and holes resent. */
static uint32_t pipe(const struct mg_tcp_conn *c)
{
	uint32_t high = c->sb[c->n_sb - 1].r, n = c->snd_max - high, from = c->snd_una;

	for (unsigned i = 0; i < c->n_sb; i++) {
		uint32_t hole_end = c->sb[i].l;

		if (SEQ_LT(from, c->high_rxt))
			n += SEQ_MIN(hole_end, c->high_rxt) - from;
		from = c->sb[i].r;
	}
	return n;
}

/* The next hole not yet resent: [*seq, *seq + *len); false if none. */
static bool next_hole(const struct mg_tcp_conn *c, uint32_t *seq, uint32_t *len)
{
	uint32_t from = c->snd_una;

	for (unsigned i = 0; i < c->n_sb; i++) {
		uint32_t a = SEQ_MAX(from, c->high_rxt), b = c->sb[i].l;

		if (SEQ_LT(a, b)) {
			*seq = a;
			*len = RTE_MIN(b - a, (uint32_t)c->mss);
			return true;
		}
		from = c->sb[i].r;
	}
	return false;
}

/* True if [snd_una, high_rxt) still has a byte the scoreboard does not hold. */
static bool resent_hole_open(const struct mg_tcp_conn *c)
{
	return SEQ_LT(c->snd_una, c->high_rxt) &&
	       (c->n_sb == 0 || SEQ_LT(c->snd_una, c->sb[0].l) || SEQ_LT(c->sb[0].r, c->high_rxt));
}

/* The lost-retransmission check described at the top. */
static void lost_retransmits(struct mg_tcp_conn *c)
{
	uint32_t high_sack = c->sb[c->n_sb - 1].r;

	if (SEQ_LEQ(c->high_rxt, c->snd_una) ||
	    !SEQ_GEQ(high_sack, c->rxt_fence + MG_TCP_REORDER_SEGS * c->mss) ||
	    !resent_hole_open(c))
		return;
	mg_cnt_add(&tcp_of(c)->cnt.sack_lost_retransmits, 1);
	c->high_rxt = c->snd_una;
}

void tcp_sack_output(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);
	uint32_t data_end = c->snd_una + c->sndq_len;

	if (c->n_sb > 0)
		lost_retransmits(c);

	for (unsigned guard = 0; guard < 64 && c->n_sb > 0; guard++) {
		uint32_t seq, len;

		if (pipe(c) + c->mss > c->cwnd)
			break;
		if (next_hole(c, &seq, &len)) {
			/* A hole that reaches the end of the queue: FIN handling is the RTO's. */
			if (SEQ_GT(seq + len, data_end))
				break;
			if (tcp_send_range(c, seq, len) != 0)
				break;
			c->high_rxt = seq + len;
			c->rxt_fence = c->snd_max;
			mg_cnt_add(&tw->cnt.sack_retransmits, 1);
			continue;
		}
		/* No hole left to resend: new data, as the windows allow. */
		if (!SEQ_LT(c->snd_nxt, data_end) || !SEQ_LT(c->snd_nxt, c->snd_una + c->snd_wnd))
			break;
		len = RTE_MIN(data_end - c->snd_nxt, (uint32_t)c->mss);
		len = RTE_MIN(len, c->snd_una + c->snd_wnd - c->snd_nxt);
		if (tcp_send_range(c, c->snd_nxt, len) != 0)
			break;
		c->snd_nxt += len;
		c->snd_max = SEQ_MAX(c->snd_max, c->snd_nxt);
	}
	if (!(c->timers & MG_TCPT_REXMT))
		tcp_rexmt_arm(c);
}

bool tcp_sack_enter(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	if (!(c->flags & MG_TCPF_SACK) || c->n_sb == 0)
		return false;
	mg_cnt_add(&tw->cnt.fast_retransmits, 1);
	mg_cnt_add(&tw->cnt.recoveries, 1);
	mg_cnt_add(&tw->cnt.sack_recoveries, 1);
	c->cc->on_loss(c);
	c->recover = c->snd_max;
	c->flags |= MG_TCPF_RECOVERY;
	c->flags &= (uint16_t)~MG_TCPF_RTT_TIMING;
	c->high_rxt = c->snd_una;
	c->cwnd = c->ssthresh;
	/* The first hole goes at once, whatever pipe says (fast retransmit). */
	{
		uint32_t seq, len;

		if (next_hole(c, &seq, &len) && tcp_send_range(c, seq, len) == 0) {
			c->high_rxt = seq + len;
			c->rxt_fence = c->snd_max;
			mg_cnt_add(&tw->cnt.sack_retransmits, 1);
		}
	}
	tcp_sack_output(c);
	return true;
}

void tcp_sack_reset(struct mg_tcp_conn *c)
{
	c->n_sb = 0;
	c->high_rxt = c->snd_una;
}
