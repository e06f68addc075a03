/*
 * test_impair.c — the link impairment stage (dataplane/net/impair.c): rates
 * of loss, duplication, corruption and reordering against their settings,
 * delay bounds on a hand-driven clock, determinism per seed, pass-through
 * when off, the bounded queue, and no leaked mbuf in any case (the fixture
 * checks the pool; frames the feeder makes come from a second pool checked
 * here).
 *
 * Frames are 60 bytes: fifteen copies of a 32-bit sequence number, so a
 * frame with one flipped bit is still identified, and the flips counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/impair.h"
#include "test_net.h"

#define FEED_POOL_SIZE 4095
#define FRAME_WORDS    15
#define MAX_OUT        (1u << 18)

/*
 * Check's ck_assert records every passed assertion (a write to its pipe);
 * per-frame checks in loops over 100,000 frames use this instead.
 */
#define HOT_ASSERT(c)                                                                       \
	do {                                                                                \
		if (unlikely(!(c)))                                                         \
			ck_abort_msg("%s:%d: assertion %s failed", __FILE__, __LINE__, #c); \
	} while (0)

static struct rte_mempool *feed_pool;

/* The wrapped ("real") port: rx hands out fed frames, tx records and frees. */
static struct {
	struct rte_mbuf *rx[MG_BURST * 2];
	unsigned rx_n, rx_pos;
	unsigned tx_accept; /* frames tx takes per call */
} port;

/* What came out of the stage, in order. */
static struct {
	unsigned n;
	uint32_t seq[MAX_OUT];
	uint8_t flips[MAX_OUT]; /* bits that differ from the sequence pattern */
	uint32_t hash[MAX_OUT]; /* of the bytes, to compare whole runs */
	uint64_t when[MAX_OUT]; /* tw->now when it came out */
} out;

static uint64_t t_base;

static void sink(struct rte_mbuf *m)
{
	uint32_t w[FRAME_WORDS], seq, h = 2166136261u;
	unsigned flips = 0;

	HOT_ASSERT(m->pkt_len == sizeof(w));
	HOT_ASSERT(rte_pktmbuf_read(m, 0, sizeof(w), w) != NULL);
	memcpy(w, rte_pktmbuf_read(m, 0, sizeof(w), w), sizeof(w));
	/* One flipped bit spoils at most one word. */
	seq = w[0] == w[1] ? w[0] : w[2];
	for (unsigned i = 0; i < FRAME_WORDS; i++)
		flips += (unsigned)__builtin_popcount(w[i] ^ seq);
	for (unsigned i = 0; i < sizeof(w); i++)
		h = (h ^ ((const uint8_t *)w)[i]) * 16777619u;
	HOT_ASSERT(out.n < MAX_OUT);
	out.seq[out.n] = seq;
	out.flips[out.n] = (uint8_t)flips;
	out.hash[out.n] = h;
	out.when[out.n] = tw->now;
	out.n++;
	rte_pktmbuf_free(m);
}

static uint16_t feed_rx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = 0;

	(void)w;
	(void)iface;
	while (k < n && port.rx_pos < port.rx_n)
		pkts[k++] = port.rx[port.rx_pos++];
	return k;
}

static uint16_t sink_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t take = n < port.tx_accept ? n : (uint16_t)port.tx_accept;

	(void)w;
	(void)iface;
	for (uint16_t i = 0; i < take; i++)
		sink(pkts[i]);
	return take;
}

static const struct mg_port_ops feed_ops = {.rx_burst = feed_rx, .tx_burst = sink_tx};

static struct rte_mbuf *mk_frame(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(feed_pool);
	uint32_t *p;

	HOT_ASSERT(m != NULL);
	p = (uint32_t *)rte_pktmbuf_append(m, FRAME_WORDS * sizeof(uint32_t));
	for (unsigned i = 0; i < FRAME_WORDS; i++)
		p[i] = seq;
	return m;
}

static uint64_t us_tsc(uint64_t us)
{
	return us * tw->dp->tsc_hz / 1000000;
}

static void set_time_us(uint64_t us)
{
	tw->now = t_base + us_tsc(us);
}

static void impair_setup(void)
{
	net_setup();
	if (feed_pool == NULL)
		feed_pool = rte_pktmbuf_pool_create("mgtest_feed", FEED_POOL_SIZE, 0, 0,
		                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(feed_pool);
	memset(&port, 0, sizeof(port));
	port.tx_accept = UINT16_MAX;
	out.n = 0;
	tw->port_ops = &feed_ops;
	t_base = tw->now;
}

static void impair_teardown(void)
{
	mg_impair_detach(tw);
	ck_assert_ptr_null(tw->impair);
	ck_assert_ptr_eq(tw->port_ops, &feed_ops);
	for (; port.rx_pos < port.rx_n; port.rx_pos++)
		rte_pktmbuf_free(port.rx[port.rx_pos]);
	ck_assert_uint_eq(rte_mempool_avail_count(feed_pool), FEED_POOL_SIZE);
	net_teardown();
}

/* The stage reads the TSC by default; the tests drive time through tw->now. */
static uint64_t test_clock(const struct mg_worker *w)
{
	return w->now;
}

static void use_test_clock(void)
{
	ck_assert_ptr_nonnull(tw->impair->clock);
	tw->impair->clock = test_clock;
}

/* Interface 0 impaired with d in direction dirn (the other direction off). */
static void attach_one(enum mg_impair_dirn dirn, const struct mg_cfg_impair_dir *d, uint64_t seed)
{
	struct mg_cfg_impair cfg[2] = {{.enabled = true, .seed = seed}};

	if (dirn == MG_IMPAIR_RX)
		cfg[0].rx = *d;
	else
		cfg[0].tx = *d;
	ck_assert_int_eq(mg_impair_attach(tw, cfg, 2), 0);
	ck_assert_ptr_nonnull(tw->impair);
	use_test_clock();
}

/* One poll: feed burst frames (seq from *next) through dirn, collect what comes out. */
static void step(enum mg_impair_dirn dirn, uint32_t *next, unsigned burst)
{
	struct rte_mbuf *pkts[MG_BURST];
	uint16_t n;

	if (dirn == MG_IMPAIR_RX) {
		port.rx_n = port.rx_pos = 0;
		for (unsigned i = 0; i < burst; i++)
			port.rx[port.rx_n++] = mk_frame((*next)++);
		n = tw->port_ops->rx_burst(tw, 0, pkts, MG_BURST);
		HOT_ASSERT(port.rx_pos == port.rx_n); /* the stage took them all */
		for (uint16_t i = 0; i < n; i++)
			sink(pkts[i]);
	} else {
		for (unsigned i = 0; i < burst; i++)
			pkts[i] = mk_frame((*next)++);
		n = tw->port_ops->tx_burst(tw, 0, pkts, (uint16_t)burst);
		HOT_ASSERT(n == burst); /* TX takes everything */
		mg_impair_poll(tw);
	}
}

/* Keep polling, time advancing step_us at a time, until the stage is empty. */
static void drain(enum mg_impair_dirn dirn, uint64_t *t_us, uint64_t step_us)
{
	uint32_t none = 0;

	for (unsigned i = 0; mg_impair_busy(tw); i++) {
		HOT_ASSERT(i < 1000000); /* nothing is held forever */
		*t_us += step_us;
		set_time_us(*t_us);
		step(dirn, &none, 0);
	}
}

/* Feed n frames through dirn in bursts of 1..16, time moving 10 µs per poll, then drain. */
static void run(enum mg_impair_dirn dirn, uint32_t n)
{
	uint32_t next = 0;
	uint64_t t_us = 0;

	while (next < n) {
		unsigned burst = 1 + next % 16;

		if (burst > n - next)
			burst = n - next;
		t_us += 10;
		set_time_us(t_us);
		step(dirn, &next, burst);
	}
	drain(dirn, &t_us, 10);
}

static uint64_t seen_per_seq(uint32_t n, uint8_t *count)
{
	uint64_t distinct = 0;

	memset(count, 0, n);
	for (unsigned i = 0; i < out.n; i++) {
		HOT_ASSERT(out.seq[i] < n);
		distinct += count[out.seq[i]]++ == 0;
	}
	return distinct;
}

static void expect_rate(const char *what, uint64_t got, uint64_t n, uint32_t ppm, uint32_t tol_ppm)
{
	uint64_t lo = n * (ppm - tol_ppm) / 1000000, hi = n * (ppm + tol_ppm) / 1000000;

	ck_assert_msg(got >= lo && got <= hi, "%s: %llu of %llu, expected %llu..%llu", what,
	              (unsigned long long)got, (unsigned long long)n, (unsigned long long)lo,
	              (unsigned long long)hi);
}

#define N_RATE 100000u
static uint8_t seq_count[N_RATE];

/* One knob at a time, in each direction; tolerances are > 6 standard deviations. */
struct rate_case {
	const char *name;
	enum mg_impair_dirn dirn;
	struct mg_cfg_impair_dir d;
	uint32_t ppm, tol_ppm;
};

static const struct rate_case rate_cases[] = {
    {"rx loss 1%", MG_IMPAIR_RX, {.loss_ppm = 10000}, 10000, 2000},
    {"tx loss 1%", MG_IMPAIR_TX, {.loss_ppm = 10000}, 10000, 2000},
    {"rx loss 20%", MG_IMPAIR_RX, {.loss_ppm = 200000}, 200000, 10000},
    {"rx dup 1%", MG_IMPAIR_RX, {.dup_ppm = 10000}, 10000, 2000},
    {"tx dup 1%", MG_IMPAIR_TX, {.dup_ppm = 10000}, 10000, 2000},
    {"rx corrupt 0.1%", MG_IMPAIR_RX, {.corrupt_ppm = 1000}, 1000, 300},
    {"tx corrupt 1%", MG_IMPAIR_TX, {.corrupt_ppm = 10000}, 10000, 2000},
    {"rx reorder 25%", MG_IMPAIR_RX, {.reorder_ppm = 250000}, 250000, 10000},
    {"tx reorder 25%", MG_IMPAIR_TX, {.reorder_ppm = 250000}, 250000, 10000},
    {"rx reorder 1%", MG_IMPAIR_RX, {.reorder_ppm = 10000}, 10000, 2000},
};

START_TEST(test_rates)
{
	const struct rate_case *c = &rate_cases[_i];
	const struct mg_net_counters *k = &tw->cnt;
	uint64_t distinct, late = 0, max_seen = 0, corrupted = 0, dups = 0;

	attach_one(c->dirn, &c->d, 42);
	run(c->dirn, N_RATE);
	distinct = seen_per_seq(N_RATE, seq_count);
	for (unsigned i = 0; i < out.n; i++) {
		HOT_ASSERT(out.flips[i] <= 1); /* corruption flips exactly one bit */
		corrupted += out.flips[i];
		if (i > 0 && out.seq[i] < max_seen)
			late++;
		max_seen = RTE_MAX(max_seen, (uint64_t)out.seq[i]);
	}
	for (unsigned s = 0; s < N_RATE; s++) {
		HOT_ASSERT(seq_count[s] <= 2);
		dups += seq_count[s] == 2;
	}
	/* Every frame is accounted for: delivered, or lost; extra ones are duplicates. */
	ck_assert_uint_eq(distinct + k->impair_lost, N_RATE);
	ck_assert_uint_eq(out.n, distinct + dups);
	ck_assert_uint_eq(dups, k->impair_duplicated);
	ck_assert_uint_eq(corrupted, k->impair_corrupted);
	ck_assert_uint_eq(k->drop_impair_queue_full + k->drop_tx_full + k->impair_dup_nombuf, 0);
	expect_rate("lost", k->impair_lost, N_RATE, c->d.loss_ppm, c->d.loss_ppm ? c->tol_ppm : 0);
	expect_rate("duplicated", dups, N_RATE, c->d.dup_ppm, c->d.dup_ppm ? c->tol_ppm : 0);
	expect_rate("corrupted", corrupted, N_RATE, c->d.corrupt_ppm,
	            c->d.corrupt_ppm ? c->tol_ppm : 0);
	expect_rate("reordered", k->impair_reordered, N_RATE, c->d.reorder_ppm,
	            c->d.reorder_ppm ? c->tol_ppm : 0);
	/*
	 * A held frame leaves after later ones have passed it (frames arrive
	 * without pause here, so the timeout never fires before that); two held
	 * frames may leave together, so "late" is at least most of them.
	 */
	ck_assert_uint_le(late, k->impair_reordered);
	ck_assert_uint_ge(late, k->impair_reordered * 9 / 10);
	ck_assert_uint_eq(k->impair_delayed, 0);
}
END_TEST

/* Delay and jitter on a hand-driven clock: never early, never later than delay + jitter. */
struct delay_case {
	const char *name;
	enum mg_impair_dirn dirn;
	uint32_t delay_us, jitter_us, reorder_ppm;
};

static const struct delay_case delay_cases[] = {
    {"rx 20 ms", MG_IMPAIR_RX, 20000, 0, 0},
    {"tx 20 ms", MG_IMPAIR_TX, 20000, 0, 0},
    {"rx 5 ms + 3 ms jitter", MG_IMPAIR_RX, 5000, 3000, 0},
    {"tx 1 ms jitter only", MG_IMPAIR_TX, 0, 1000, 0},
    {"rx 2 ms + 25% reorder", MG_IMPAIR_RX, 2000, 0, 250000},
};

#define N_DELAY 20000u
#define STEP_US 37 /* not a divisor of anything configured */
static uint64_t fed_at[N_DELAY];
static bool released[N_DELAY];

START_TEST(test_delay)
{
	const struct delay_case *c = &delay_cases[_i];
	struct mg_cfg_impair_dir d = {
	    .delay_us = c->delay_us, .jitter_us = c->jitter_us, .reorder_ppm = c->reorder_ppm};
	uint64_t late_bound = us_tsc(c->delay_us) + us_tsc(c->jitter_us), t_us = 0;
	uint32_t next = 0, lo = 0;

	/* A reordered frame may first wait for the reorder timeout (seen at the next poll). */
	if (c->reorder_ppm)
		late_bound += us_tsc(MG_IMPAIR_REORDER_TIMEOUT_US) + us_tsc(STEP_US);
	memset(released, 0, sizeof(released));
	attach_one(c->dirn, &d, 7);
	for (unsigned iter = 0; next < N_DELAY || mg_impair_busy(tw); iter++) {
		unsigned burst = RTE_MIN(N_DELAY - next, (iter * 7) % 4);
		unsigned before = out.n;

		HOT_ASSERT(iter < 10 * N_DELAY);
		t_us += STEP_US;
		set_time_us(t_us);
		for (unsigned i = 0; i < burst; i++)
			fed_at[next + i] = tw->now;
		step(c->dirn, &next, burst);
		for (unsigned i = before; i < out.n; i++) {
			/* Never early. */
			HOT_ASSERT(out.when[i] >= fed_at[out.seq[i]] + us_tsc(c->delay_us));
			HOT_ASSERT(!released[out.seq[i]]);
			released[out.seq[i]] = true;
		}
		/* Never late: whatever was due by now has left (frames were fed in seq order). */
		for (; lo < next && released[lo]; lo++)
			;
		for (uint32_t s = lo; s < next && fed_at[s] + late_bound <= tw->now; s++)
			HOT_ASSERT(released[s]); /* not overdue */
	}
	ck_assert_uint_eq(out.n, N_DELAY);
	ck_assert_uint_eq(tw->cnt.impair_delayed, c->delay_us || c->jitter_us ? N_DELAY : 0);
	if (c->reorder_ppm == 0)
		for (unsigned i = 0; i < out.n; i++)
			HOT_ASSERT(out.seq[i] == i); /* jitter never reorders */
	else
		ck_assert_uint_gt(tw->cnt.impair_reordered, N_DELAY / 5);
}
END_TEST

/* Off, or on with every knob at zero: frames pass untouched, in order, the same mbufs. */
START_TEST(test_passthrough)
{
	struct mg_cfg_impair off[2] = {{.enabled = false, .seed = 1, .rx = {.loss_ppm = 1000000}}};
	struct mg_cfg_impair zero[2] = {{.enabled = true, .seed = 1}};
	struct rte_mbuf *pkts[MG_BURST], *fed[MG_BURST];
	uint32_t next = 0;

	ck_assert_int_eq(mg_impair_attach(tw, off, 2), 0);
	ck_assert_ptr_null(tw->impair); /* nothing enabled: not even wrapped */
	ck_assert_ptr_eq(tw->port_ops, &feed_ops);
	ck_assert_int_eq(mg_impair_attach(tw, zero, 2), 0);
	use_test_clock();
	ck_assert_ptr_nonnull(tw->impair);
	for (unsigned round = 0; round < 100; round++) {
		port.rx_n = port.rx_pos = 0;
		for (unsigned i = 0; i < 10; i++)
			port.rx[port.rx_n++] = fed[i] = mk_frame(next++);
		ck_assert_uint_eq(tw->port_ops->rx_burst(tw, 0, pkts, MG_BURST), 10);
		for (unsigned i = 0; i < 10; i++)
			ck_assert_ptr_eq(pkts[i], fed[i]);
		ck_assert(!mg_impair_busy(tw));
		ck_assert_uint_eq(tw->port_ops->tx_burst(tw, 1, pkts, 10), 10);
	}
	ck_assert_uint_eq(out.n, 1000);
	for (unsigned i = 0; i < out.n; i++) {
		HOT_ASSERT(out.seq[i] == i);
		HOT_ASSERT(out.flips[i] == 0);
	}
}
END_TEST

/* Everything at once, twice per seed: same seed → same output, another seed → not. */
static const struct mg_cfg_impair_dir all_knobs = {.loss_ppm = 50000,
                                                   .dup_ppm = 10000,
                                                   .reorder_ppm = 250000,
                                                   .corrupt_ppm = 20000,
                                                   .delay_us = 300,
                                                   .jitter_us = 200};

static unsigned run_recorded(enum mg_impair_dirn dirn, uint64_t seed, uint32_t *seqs,
                             uint32_t *hashes, unsigned max)
{
	attach_one(dirn, &all_knobs, seed);
	out.n = 0;
	run(dirn, 20000);
	mg_impair_detach(tw);
	ck_assert_uint_le(out.n, max);
	memcpy(seqs, out.seq, out.n * sizeof(*seqs));
	memcpy(hashes, out.hash, out.n * sizeof(*hashes));
	return out.n;
}

static uint32_t seq_a[30000], seq_b[30000], hash_a[30000], hash_b[30000];

START_TEST(test_deterministic)
{
	enum mg_impair_dirn dirn = _i == 0 ? MG_IMPAIR_RX : MG_IMPAIR_TX;
	unsigned na = run_recorded(dirn, 42, seq_a, hash_a, 30000);
	unsigned nb = run_recorded(dirn, 42, seq_b, hash_b, 30000);

	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(seq_a, seq_b, na * sizeof(seq_a[0]));
	ck_assert_mem_eq(hash_a, hash_b, na * sizeof(hash_a[0]));
	nb = run_recorded(dirn, 43, seq_b, hash_b, 30000);
	ck_assert(na != nb || memcmp(seq_a, seq_b, na * sizeof(seq_a[0])) != 0);
}
END_TEST

/* Direction, interface and worker each get their own stream from one seed. */
START_TEST(test_streams_differ)
{
	struct mg_cfg_impair cfg[2] = {
	    {.enabled = true, .seed = 5, .rx = {.loss_ppm = 500000}, .tx = {.loss_ppm = 500000}},
	    {.enabled = true, .seed = 5, .rx = {.loss_ppm = 500000}}};
	struct rte_mbuf *pkts[MG_BURST];
	uint64_t pattern[3] = {0};

	ck_assert_int_eq(mg_impair_attach(tw, cfg, 2), 0);
	use_test_clock();
	/* 64 frames per (iface, direction); the bit pattern of which survived. */
	for (unsigned which = 0; which < 3; which++) {
		for (unsigned i = 0; i < 64; i++) {
			uint8_t iface = which == 2 ? 1 : 0;
			unsigned before = out.n;

			if (which == 1) {
				pkts[0] = mk_frame(i);
				tw->port_ops->tx_burst(tw, iface, pkts, 1);
				pattern[which] |= (uint64_t)(out.n > before) << i;
				continue;
			}
			port.rx_n = port.rx_pos = 0;
			port.rx[port.rx_n++] = mk_frame(i);
			if (tw->port_ops->rx_burst(tw, iface, pkts, MG_BURST) == 1) {
				pattern[which] |= 1ull << i;
				rte_pktmbuf_free(pkts[0]);
			}
		}
	}
	ck_assert_uint_ne(pattern[0], pattern[1]);
	ck_assert_uint_ne(pattern[0], pattern[2]);
	ck_assert_uint_ne(pattern[1], pattern[2]);
}
END_TEST

/* Detach with frames delayed and held back in both directions: all freed. */
START_TEST(test_detach_frees)
{
	struct mg_cfg_impair cfg[2] = {
	    {.enabled = true,
	     .seed = 3,
	     .rx = {.delay_us = 1000000, .reorder_ppm = 300000},
	     .tx = {.delay_us = 1000000, .reorder_ppm = 300000, .dup_ppm = 200000}}};
	uint32_t next = 0;

	ck_assert_int_eq(mg_impair_attach(tw, cfg, 2), 0);
	use_test_clock();
	ck_assert(!mg_impair_busy(tw));
	for (unsigned i = 0; i < 20; i++) {
		step(MG_IMPAIR_RX, &next, 16);
		step(MG_IMPAIR_TX, &next, 16);
	}
	ck_assert_uint_eq(out.n, 0);
	ck_assert(mg_impair_busy(tw));
	ck_assert_uint_gt(tw->cnt.impair_reordered, 0);
	ck_assert_uint_gt(tw->cnt.impair_duplicated, 0); /* copies come from the worker pool */
	ck_assert_uint_lt(rte_mempool_avail_count(tpool), POOL_SIZE);
	mg_impair_detach(tw);
	ck_assert(!mg_impair_busy(tw));
	/* impair_teardown checks both pools are whole. */
}
END_TEST

/* The delay queue is bounded: the excess is dropped and counted, nothing leaks. */
START_TEST(test_queue_full)
{
	struct mg_cfg_impair_dir d = {.delay_us = 1000000};
	uint32_t next = 0;
	uint64_t t_us = 0;

	attach_one(MG_IMPAIR_RX, &d, 1);
	while (next < MG_IMPAIR_QUEUE + 100)
		step(MG_IMPAIR_RX, &next, RTE_MIN(25u, MG_IMPAIR_QUEUE + 100 - next));
	ck_assert_uint_eq(out.n, 0);
	ck_assert_uint_eq(tw->cnt.drop_impair_queue_full, 100);
	drain(MG_IMPAIR_RX, &t_us, 100000);
	ck_assert_uint_eq(out.n, MG_IMPAIR_QUEUE);
	for (unsigned i = 0; i < out.n; i++)
		HOT_ASSERT(out.seq[i] == i);
}
END_TEST

/* TX frames the real port refuses after release are freed and counted. */
START_TEST(test_tx_refused)
{
	struct mg_cfg_impair_dir d = {.delay_us = 100};
	uint32_t next = 0;
	uint64_t t_us = 0;

	attach_one(MG_IMPAIR_TX, &d, 1);
	port.tx_accept = 5;
	step(MG_IMPAIR_TX, &next, 20);
	ck_assert_uint_eq(out.n, 0);
	drain(MG_IMPAIR_TX, &t_us, 200);
	ck_assert_uint_eq(out.n, 5);
	ck_assert_uint_eq(tw->cnt.drop_tx_full, 15);
}
END_TEST

/*
 * A TX frame whose data is shared (as a TCP retransmit queue's clone is)
 * is copied before the bit flips: the original bytes stay intact.  Checksum
 * offload requests are resolved in software first, so the port cannot
 * "repair" the damage.
 */
START_TEST(test_corrupt_shared_tx)
{
	struct mg_cfg_impair_dir d = {.corrupt_ppm = 1000000};
	struct rte_mbuf *orig = mk_frame(77), *clone = rte_pktmbuf_clone(orig, tpool);
	uint32_t want[FRAME_WORDS], seen[FRAME_WORDS];

	ck_assert_ptr_nonnull(clone);
	memcpy(want, rte_pktmbuf_mtod(orig, void *), sizeof(want));
	attach_one(MG_IMPAIR_TX, &d, 9);
	ck_assert_uint_eq(tw->port_ops->tx_burst(tw, 0, &clone, 1), 1);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_uint_eq(out.seq[0], 77);
	ck_assert_uint_eq(out.flips[0], 1);
	memcpy(seen, rte_pktmbuf_mtod(orig, void *), sizeof(seen));
	ck_assert_mem_eq(seen, want, sizeof(want));
	ck_assert_uint_eq(rte_mbuf_refcnt_read(orig), 1); /* the clone was released */
	rte_pktmbuf_free(orig);
}
END_TEST

static struct rte_mbuf *kept;

static uint16_t keep_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	(void)w;
	(void)iface;
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(kept);
	kept = pkts[0];
	return 1;
}

static const struct mg_port_ops keep_ops = {.rx_burst = feed_rx, .tx_burst = keep_tx};

static unsigned bits_differ(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(a[i] ^ b[i]);
	return n;
}

START_TEST(test_corrupt_tx_cksum_offload)
{
	struct mg_cfg_impair_dir d = {.corrupt_ppm = 1000000};
	uint8_t f[128];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 20);
	struct rte_mbuf *m;

	/* The stack leaves the header checksum to the port. */
	frame_ip(f)->hdr_checksum = 0;
	m = mk_mbuf(f, len);
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	kept = NULL;
	tw->port_ops = &keep_ops;
	attach_one(MG_IMPAIR_TX, &d, 11);
	ck_assert_uint_eq(tw->port_ops->tx_burst(tw, 0, &m, 1), 1);
	ck_assert_ptr_nonnull(kept);
	ck_assert_uint_eq(kept->ol_flags & RTE_MBUF_F_TX_IP_CKSUM, 0);
	/* Checksummed in software, then exactly one bit flipped: as if on the wire. */
	fix_ip_cksum(f);
	ck_assert_uint_eq(kept->pkt_len, len);
	ck_assert_uint_eq(bits_differ(rte_pktmbuf_mtod(kept, uint8_t *), f, len), 1);
	rte_pktmbuf_free(kept);
	mg_impair_detach(tw);
	tw->port_ops = &feed_ops;
}
END_TEST

/* A corrupted RX frame loses the port's "checksum good" verdict. */
START_TEST(test_corrupt_rx_flags)
{
	struct mg_cfg_impair_dir d = {.corrupt_ppm = 1000000};
	struct rte_mbuf *m = mk_frame(5), *got[MG_BURST];

	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	port.rx[port.rx_n++] = m;
	attach_one(MG_IMPAIR_RX, &d, 2);
	ck_assert_uint_eq(tw->port_ops->rx_burst(tw, 0, got, MG_BURST), 1);
	ck_assert_uint_eq(
	    got[0]->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK), 0);
	sink(got[0]);
	ck_assert_uint_eq(out.flips[0], 1);
	ck_assert_uint_eq(tw->cnt.impair_corrupted, 1);
}
END_TEST

/* A held-back frame with nothing behind it leaves after the reorder timeout. */
START_TEST(test_reorder_timeout)
{
	struct mg_cfg_impair_dir d = {.reorder_ppm = 1000000};
	uint32_t next = 0;

	attach_one(MG_IMPAIR_RX, &d, 4);
	step(MG_IMPAIR_RX, &next, 3);
	ck_assert_uint_eq(out.n, 0);
	ck_assert(mg_impair_busy(tw));
	set_time_us(MG_IMPAIR_REORDER_TIMEOUT_US - 1);
	step(MG_IMPAIR_RX, &next, 0);
	ck_assert_uint_eq(out.n, 0);
	set_time_us(MG_IMPAIR_REORDER_TIMEOUT_US);
	step(MG_IMPAIR_RX, &next, 0);
	ck_assert_uint_eq(out.n, 3);
	ck_assert(!mg_impair_busy(tw));
	ck_assert_uint_eq(tw->cnt.impair_reordered, 3);
}
END_TEST

START_TEST(test_attach_errors)
{
	struct mg_cfg_impair cfg[2] = {{.enabled = true, .rx = {.loss_ppm = 1}}};

	ck_assert_int_eq(mg_impair_attach(tw, cfg, MG_MAX_IFACES + 1), -EINVAL);
	ck_assert_int_eq(mg_impair_attach(tw, NULL, 2), -EINVAL);
	ck_assert_ptr_null(tw->impair);
	ck_assert_int_eq(mg_impair_attach(tw, cfg, 2), 0);
	ck_assert_int_eq(mg_impair_attach(tw, cfg, 2), -EINVAL); /* already attached */
	mg_impair_detach(tw);
	mg_impair_detach(tw); /* twice is harmless */
	mg_impair_poll(tw);   /* and so is polling with none */
	ck_assert(!mg_impair_busy(tw));
}
END_TEST

TCase *tcase_impair(void)
{
	TCase *tc = tcase_create("impair");

	tcase_add_checked_fixture(tc, impair_setup, impair_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_passthrough);
	tcase_add_loop_test(tc, test_rates, 0, (int)RTE_DIM(rate_cases));
	tcase_add_loop_test(tc, test_delay, 0, (int)RTE_DIM(delay_cases));
	tcase_add_loop_test(tc, test_deterministic, 0, 2);
	tcase_add_test(tc, test_streams_differ);
	tcase_add_test(tc, test_detach_frees);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_tx_refused);
	tcase_add_test(tc, test_corrupt_shared_tx);
	tcase_add_test(tc, test_corrupt_tx_cksum_offload);
	tcase_add_test(tc, test_corrupt_rx_flags);
	tcase_add_test(tc, test_reorder_timeout);
	tcase_add_test(tc, test_attach_errors);
	return tc;
}
