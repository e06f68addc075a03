/*
 * tcp_cc_newreno.c — NewReno congestion control (RFC 5681 window growth,
 * RFC 6582 recovery; the recovery bookkeeping itself is in tcp_input.c).
 *
 * Initial window of 10 segments (RFC 6928, as Linux).  Congestion avoidance
 * counts acknowledged bytes (appropriate byte counting, RFC 3465, L = 2) so
 * that delayed ACKs do not slow growth.  cc_priv[0] holds the bytes acked
 * towards the next cwnd increase.
 */
#include "tcp/tcp_pvt.h"

#define IW_SEGS 10

static uint32_t flight(const struct mg_tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

static void newreno_init(struct mg_tcp_conn *c)
{
	c->cwnd = IW_SEGS * (uint32_t)c->mss;
	c->ssthresh = UINT32_MAX;
	c->cc_priv[0] = 0;
}

static void newreno_on_ack(struct mg_tcp_conn *c, uint32_t acked)
{
	uint32_t mss = c->mss;

	if (c->cwnd < c->ssthresh) {
		c->cwnd += RTE_MIN(acked, 2 * mss);
		return;
	}
	c->cc_priv[0] += acked;
	if (c->cc_priv[0] >= c->cwnd) {
		c->cc_priv[0] -= c->cwnd;
		c->cwnd += mss;
	}
}

static void newreno_on_loss(struct mg_tcp_conn *c)
{
	c->ssthresh = RTE_MAX(flight(c) / 2, 2u * c->mss);
	c->cc_priv[0] = 0;
}

static void newreno_on_recovery_end(struct mg_tcp_conn *c)
{
	/* RFC 6582 3.2 step 3, option (1) with the burst guard of option (2). */
	c->cwnd = RTE_MIN(c->ssthresh, RTE_MAX(flight(c), (uint32_t)c->mss) + c->mss);
}

static void newreno_on_rto(struct mg_tcp_conn *c)
{
	c->ssthresh = RTE_MAX(flight(c) / 2, 2u * c->mss);
	c->cwnd = c->mss;
	c->cc_priv[0] = 0;
}

const struct mg_tcp_cc_ops mg_tcp_cc_newreno = {
    .name = "newreno",
    .init = newreno_init,
    .on_ack = newreno_on_ack,
    .on_loss = newreno_on_loss,
    .on_recovery_end = newreno_on_recovery_end,
    .on_rto = newreno_on_rto,
};
