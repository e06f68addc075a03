/*
 * tcp_cc_cubic.c — CUBIC congestion control (RFC 9438).
 *
 * After a loss the window is cut to beta = 0.7 of W_max and then follows
 *     W_cubic(t) = C (t - K)^3 + W_max,   K = cbrt(W_max (1 - beta) / C),
 * with C = 0.4 and t the seconds since the congestion epoch began: concave
 * up to W_max, a plateau around it, convex beyond.  Each ACK moves cwnd
 * towards W_cubic(t + RTT), at most to 1.5 cwnd per RTT (RFC 9438 4.4).
 * Where a Reno flow would be faster (short RTTs, small windows) the
 * Reno-friendly estimate W_est (alpha = 3 (1 - beta) / (1 + beta)) wins
 * (4.3).  Fast convergence (4.7) lowers W_max when a flow loses below its
 * previous W_max.  Slow start as NewReno's (HyStart is not implemented).
 *
 * Windows are computed in segments as doubles: the per-ACK cost is a few
 * multiplications (the cube root only at the start of an epoch), and the
 * RFC's formulas read the same in the code.  State lives in cc_priv.
 */
#include <math.h>
#include <string.h>

#include "tcp/tcp_pvt.h"

#define IW_SEGS    10
#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

struct cubic {
	double w_max;      /* segments: the window at the last loss (after fast convergence) */
	double k;          /* seconds from the epoch's start to reaching w_max */
	double w_est;      /* segments: the Reno-friendly estimate */
	uint32_t epoch_ms; /* start of the congestion-avoidance epoch; 0: none yet */
	uint32_t pad;
};
_Static_assert(sizeof(struct cubic) <= sizeof(((struct mg_tcp_conn *)0)->cc_priv),
               "CUBIC's state must fit in cc_priv");

static struct cubic *st(struct mg_tcp_conn *c)
{
	return (struct cubic *)(void *)c->cc_priv;
}

static double segs(const struct mg_tcp_conn *c, uint32_t bytes)
{
	return (double)bytes / (double)c->mss;
}

static void cubic_init(struct mg_tcp_conn *c)
{
	memset(c->cc_priv, 0, sizeof(c->cc_priv));
	c->cwnd = IW_SEGS * (uint32_t)c->mss;
	c->ssthresh = UINT32_MAX;
}

double mg_tcp_cubic_k(double w_max)
{
	return cbrt(w_max * (1.0 - CUBIC_BETA) / CUBIC_C);
}

double mg_tcp_cubic_w(double w_max, double k, double t)
{
	return CUBIC_C * (t - k) * (t - k) * (t - k) + w_max;
}

static void cubic_on_ack(struct mg_tcp_conn *c, uint32_t acked)
{
	struct cubic *s = st(c);
	uint32_t now = tcp_now_ms(c->tw);
	double cwnd = segs(c, c->cwnd), rtt = (double)(c->srtt8 >> 3) / 1000.0, t, target, w;

	if (c->cwnd < c->ssthresh) { /* slow start */
		c->cwnd += RTE_MIN(acked, 2u * c->mss);
		return;
	}
	if (s->epoch_ms == 0) {
		s->epoch_ms = now ? now : 1;
		if (s->w_max <= cwnd) {
			s->k = 0;
			s->w_max = cwnd;
		} else {
			s->k = mg_tcp_cubic_k(s->w_max);
		}
		s->w_est = cwnd;
	}
	t = (double)(now - s->epoch_ms) / 1000.0;
	/* Reno-friendly region (4.3): alpha segments per window's worth of ACKs. */
	s->w_est += 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA) * segs(c, acked) / cwnd;
	w = mg_tcp_cubic_w(s->w_max, s->k, t + rtt);
	if (w < s->w_est) {
		target = s->w_est;
		if (target > cwnd)
			c->cwnd = (uint32_t)(target * c->mss);
		return;
	}
	target = w < cwnd ? cwnd : w > 1.5 * cwnd ? 1.5 * cwnd : w;
	/* (target - cwnd) / cwnd segments per segment acked (4.4). */
	c->cwnd += (uint32_t)((target - cwnd) / cwnd * (double)acked);
}

static void cubic_on_loss(struct mg_tcp_conn *c)
{
	struct cubic *s = st(c);
	double cwnd = segs(c, c->cwnd);

	/* Fast convergence (4.7): losing below the last W_max gives way to newer flows. */
	s->w_max = cwnd < s->w_max ? cwnd * (1.0 + CUBIC_BETA) / 2.0 : cwnd;
	s->epoch_ms = 0;
	c->ssthresh = RTE_MAX((uint32_t)(c->cwnd * CUBIC_BETA), 2u * c->mss);
}

static void cubic_on_recovery_end(struct mg_tcp_conn *c)
{
	c->cwnd = c->ssthresh;
}

static void cubic_on_rto(struct mg_tcp_conn *c)
{
	cubic_on_loss(c); /* 4.8: the same reduction, and then slow start from one segment */
	c->cwnd = c->mss;
}

const struct mg_tcp_cc_ops mg_tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_loss = cubic_on_loss,
    .on_recovery_end = cubic_on_recovery_end,
    .on_rto = cubic_on_rto,
};
