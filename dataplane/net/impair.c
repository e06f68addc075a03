/*
 * impair.c — the seeded link impairment stage (see impair.h).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "core/worker.h"
#include "net/impair.h"

/* splitmix64: expands a 64-bit seed into well-mixed words (seeds xoshiro). */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna): small, fast, and good enough for dice. */
static uint64_t rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in 0..n-1 (Lemire's multiply-shift; the bias is below 2^-64 * n). */
static uint64_t rng_below(struct mg_impair_dir *d, uint64_t n)
{
	return (uint64_t)(((__uint128_t)rng_next(d->rng) * n) >> 64);
}

/* True with probability ppm / 10^6; draws nothing when the knob is off. */
static bool rng_ppm(struct mg_impair_dir *d, uint32_t ppm)
{
	return ppm != 0 && rng_below(d, 1000000) < ppm;
}

static void dir_seed(struct mg_impair_dir *d, uint64_t seed, uint16_t widx, unsigned iface,
                     unsigned dirn)
{
	uint64_t x = ((uint64_t)widx << 16) | (iface << 8) | dirn;

	/* Different (worker, interface, direction) → unrelated streams from one seed. */
	x = seed ^ splitmix64(&x);
	for (unsigned i = 0; i < 4; i++)
		d->rng[i] = splitmix64(&x);
}

static bool cfg_dir_on(const struct mg_cfg_impair_dir *c)
{
	return c->loss_ppm || c->dup_ppm || c->reorder_ppm || c->corrupt_ppm || c->delay_us ||
	       c->jitter_us;
}

static uint64_t us_to_tsc(const struct mg_worker *w, uint64_t us)
{
	return us * w->dp->tsc_hz / 1000000;
}

/* Put m at the tail of the delay queue, due after delay + jitter (never before the frame ahead). */
static void queue_push(struct mg_worker *w, struct mg_impair_dir *d, struct rte_mbuf *m)
{
	uint64_t due = w->impair->now + d->delay_tsc;
	struct mg_impair_slot *s;

	if (unlikely(d->tail - d->head == MG_IMPAIR_QUEUE)) {
		rte_pktmbuf_free(m);
		mg_cnt_add(&w->cnt.drop_impair_queue_full, 1);
		return;
	}
	if (d->jitter_tsc != 0)
		due += rng_below(d, d->jitter_tsc + 1);
	/* A FIFO: jitter stretches the gaps between frames but never reorders them. */
	if (d->tail != d->head && due < d->last_due)
		due = d->last_due;
	if (d->delay_tsc != 0 || d->jitter_tsc != 0)
		mg_cnt_add(&w->cnt.impair_delayed, 1);
	s = &d->queue[d->tail++ & (MG_IMPAIR_QUEUE - 1)];
	s->m = m;
	s->due = due;
	d->last_due = due;
}

/* Move the held frames for which release(h) is true to the delay queue, oldest first. */
static void held_release(struct mg_worker *w, struct mg_impair_dir *d, bool by_time)
{
	unsigned k = 0;

	for (unsigned i = 0; i < d->n_held; i++) {
		struct mg_impair_held *h = &d->held[i];
		bool go = by_time ? h->deadline <= w->impair->now : --h->gap == 0;

		if (go)
			queue_push(w, d, h->m);
		else
			d->held[k++] = *h;
	}
	d->n_held = k;
}

/* A frame leaves the reorder step: queue it, and count it as overtaking the held ones. */
static void emit(struct mg_worker *w, struct mg_impair_dir *d, struct rte_mbuf *m)
{
	queue_push(w, d, m);
	held_release(w, d, false);
}

/*
 * A frame about to be corrupted on TX may still ask the port to fill in its
 * checksums; the port would then checksum the corrupted bytes and hide the
 * damage.  Compute them here first, as if the bit flipped on the wire.
 */
static void tx_cksum_finalize(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;

	if (!(m->ol_flags & RTE_MBUF_F_TX_IPV4) || m->data_len < m->l2_len + m->l3_len)
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		uint32_t off = m->l2_len + m->l3_len + (l4 == RTE_MBUF_F_TX_TCP_CKSUM ? 16 : 6);

		if (m->data_len >= off + 2) {
			uint16_t *ck = rte_pktmbuf_mtod_offset(m, uint16_t *, off);

			uint16_t sum;

			/* What rte_ipv4_udptcp_cksum_mbuf() does; that one is experimental. */
			*ck = 0;
			sum = (uint16_t)~__rte_ipv4_udptcp_cksum_mbuf(m, ip, m->l2_len + m->l3_len);
			*ck = sum == 0 ? 0xffff : sum;
		}
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
}

static bool mbuf_private(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return false;
	return true;
}

/*
 * Flip one random bit of one random byte of *mp.  A frame whose data is
 * shared (a clone the TCP send queue still holds, say) is copied first, so
 * the damage stays on this one transmission.  Returns false if it could not
 * (no mbuf for the copy, or an empty frame); *mp is then unchanged.
 */
static bool corrupt(struct mg_worker *w, struct mg_impair_dir *d, struct rte_mbuf **mp, bool tx)
{
	struct rte_mbuf *m = *mp, *seg;
	uint64_t off;

	if (m->pkt_len == 0)
		return false;
	if (!mbuf_private(m)) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);

		if (c == NULL)
			return false;
		rte_pktmbuf_free(m);
		*mp = m = c;
	}
	if (tx)
		tx_cksum_finalize(m);
	else /* make the stack check the checksums itself, as for any bad frame */
		m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	off = rng_below(d, m->pkt_len);
	for (seg = m; off >= seg->data_len; seg = seg->next)
		off -= seg->data_len;
	*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) ^= (uint8_t)(1u << rng_below(d, 8));
	return true;
}

/* One frame through loss, duplication, corruption and reordering into the delay queue. */
static void impair_one(struct mg_worker *w, struct mg_impair_dir *d, struct rte_mbuf *m, bool tx)
{
	struct rte_mbuf *copies[2] = {m, NULL};
	unsigned n = 1;

	if (rng_ppm(d, d->cfg.loss_ppm)) {
		rte_pktmbuf_free(m);
		mg_cnt_add(&w->cnt.impair_lost, 1);
		return;
	}
	if (rng_ppm(d, d->cfg.dup_ppm)) {
		/* A deep copy, not a clone: corrupting one must not touch the other. */
		copies[1] = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
		if (copies[1] != NULL) {
			n = 2;
			mg_cnt_add(&w->cnt.impair_duplicated, 1);
		} else {
			mg_cnt_add(&w->cnt.impair_dup_nombuf, 1);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (rng_ppm(d, d->cfg.corrupt_ppm) && corrupt(w, d, &copies[i], tx))
			mg_cnt_add(&w->cnt.impair_corrupted, 1);
		if (rng_ppm(d, d->cfg.reorder_ppm) && d->n_held < MG_IMPAIR_HOLD) {
			struct mg_impair_held *h = &d->held[d->n_held++];

			h->m = copies[i];
			h->gap = (uint8_t)(1 + rng_below(d, MG_IMPAIR_REORDER_GAP));
			h->deadline = w->impair->now + us_to_tsc(w, MG_IMPAIR_REORDER_TIMEOUT_US);
			mg_cnt_add(&w->cnt.impair_reordered, 1);
			continue;
		}
		emit(w, d, copies[i]);
	}
}

/* Take up to max frames whose time has come from the head of the delay queue. */
static uint16_t queue_pop_due(struct mg_worker *w, struct mg_impair_dir *d, struct rte_mbuf **out,
                              uint16_t max)
{
	uint16_t k = 0;

	while (k < max && d->head != d->tail) {
		struct mg_impair_slot *s = &d->queue[d->head & (MG_IMPAIR_QUEUE - 1)];

		if (s->due > w->impair->now)
			break;
		out[k++] = s->m;
		d->head++;
	}
	return k;
}

static uint16_t impair_rx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	struct mg_impair *im = w->impair;
	struct mg_impair_dir *d = &im->dir[iface][MG_IMPAIR_RX];
	struct rte_mbuf *in[MG_BURST];
	uint16_t got;

	if (!d->on)
		return im->inner->rx_burst(w, iface, pkts, n);
	got = im->inner->rx_burst(w, iface, in, RTE_MIN(n, (uint16_t)MG_BURST));
	im->now = im->clock(w);
	if (d->n_held != 0)
		held_release(w, d, true);
	for (uint16_t i = 0; i < got; i++)
		impair_one(w, d, in[i], false);
	return queue_pop_due(w, d, pkts, n);
}

/* Send the due TX frames of one interface to the real port; free what it refuses. */
static void tx_release(struct mg_worker *w, struct mg_impair *im, uint8_t iface)
{
	struct mg_impair_dir *d = &im->dir[iface][MG_IMPAIR_TX];
	struct rte_mbuf *out[MG_BURST];
	uint16_t k, sent;

	if (d->n_held != 0)
		held_release(w, d, true);
	while ((k = queue_pop_due(w, d, out, MG_BURST)) != 0) {
		sent = im->inner->tx_burst(w, iface, out, k);
		if (unlikely(sent < k)) {
			rte_pktmbuf_free_bulk(&out[sent], k - sent);
			mg_cnt_add(&w->cnt.drop_tx_full, k - sent);
		}
	}
}

static uint16_t impair_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	struct mg_impair *im = w->impair;
	struct mg_impair_dir *d = &im->dir[iface][MG_IMPAIR_TX];

	if (!d->on)
		return im->inner->tx_burst(w, iface, pkts, n);
	im->now = im->clock(w);
	for (uint16_t i = 0; i < n; i++)
		impair_one(w, d, pkts[i], true);
	tx_release(w, im, iface);
	return n;
}

/*
 * The stage's clock reads the TSC as frames pass rather than using w->now,
 * the start of the poll iteration: when the lcore is preempted mid-iteration
 * (two cores shared with the kernel and a test client), w->now can be
 * milliseconds old and every delay would come out that much short.
 */
static uint64_t impair_clock_tsc(const struct mg_worker *w)
{
	(void)w;
	return rte_rdtsc();
}

static const struct mg_port_ops impair_ops = {
    .rx_burst = impair_rx,
    .tx_burst = impair_tx,
};

int mg_impair_attach(struct mg_worker *w, const struct mg_cfg_impair cfgs[], unsigned n_ifaces)
{
	struct mg_impair *im;
	bool any = false;

	if (w == NULL || w->impair != NULL || n_ifaces > MG_MAX_IFACES ||
	    (n_ifaces > 0 && cfgs == NULL))
		return -EINVAL;
	for (unsigned i = 0; i < n_ifaces; i++)
		any |= cfgs[i].enabled;
	if (!any)
		return 0;
	im = rte_zmalloc("mg_impair", sizeof(*im), RTE_CACHE_LINE_SIZE);
	if (im == NULL)
		return -ENOMEM;
	im->inner = w->port_ops;
	im->clock = impair_clock_tsc;
	im->n_ifaces = n_ifaces;
	for (unsigned i = 0; i < n_ifaces; i++) {
		for (unsigned k = 0; k < 2; k++) {
			struct mg_impair_dir *d = &im->dir[i][k];

			if (!cfgs[i].enabled)
				continue;
			d->cfg = k == MG_IMPAIR_RX ? cfgs[i].rx : cfgs[i].tx;
			d->on = cfg_dir_on(&d->cfg);
			d->delay_tsc = us_to_tsc(w, d->cfg.delay_us);
			d->jitter_tsc = us_to_tsc(w, d->cfg.jitter_us);
			dir_seed(d, cfgs[i].seed, w->idx, i, k);
		}
	}
	w->impair = im;
	w->port_ops = &impair_ops;
	return 0;
}

void mg_impair_detach(struct mg_worker *w)
{
	struct mg_impair *im = w != NULL ? w->impair : NULL;

	if (im == NULL)
		return;
	for (unsigned i = 0; i < MG_MAX_IFACES; i++) {
		for (unsigned k = 0; k < 2; k++) {
			struct mg_impair_dir *d = &im->dir[i][k];

			for (unsigned h = 0; h < d->n_held; h++)
				rte_pktmbuf_free(d->held[h].m);
			for (; d->head != d->tail; d->head++)
				rte_pktmbuf_free(d->queue[d->head & (MG_IMPAIR_QUEUE - 1)].m);
		}
	}
	w->port_ops = im->inner;
	w->impair = NULL;
	rte_free(im);
}

void mg_impair_poll(struct mg_worker *w)
{
	struct mg_impair *im = w->impair;

	if (im == NULL)
		return;
	im->now = im->clock(w);
	for (unsigned i = 0; i < im->n_ifaces; i++)
		if (im->dir[i][MG_IMPAIR_TX].on)
			tx_release(w, im, (uint8_t)i);
}

bool mg_impair_busy(const struct mg_worker *w)
{
	const struct mg_impair *im = w->impair;

	if (im == NULL)
		return false;
	for (unsigned i = 0; i < im->n_ifaces; i++)
		for (unsigned k = 0; k < 2; k++)
			if (im->dir[i][k].head != im->dir[i][k].tail || im->dir[i][k].n_held != 0)
				return true;
	return false;
}
