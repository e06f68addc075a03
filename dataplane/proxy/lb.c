/*
 * lb.c — endpoint picking (lb.h): round robin (smooth weighted when weights
 * differ, nginx's algorithm), least request (power of d choices), random,
 * ring hash and Maglev lookups, and the eligibility rules.
 */
#include "proxy/lb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const policy_names[] = {
#define X(p) #p,
    MG_LB_POLICIES(X)
#undef X
};

const char *mg_lb_policy_name(unsigned lb)
{
	return lb < MG_LBP_N_POLICIES ? policy_names[lb] : "?";
}

/* ---- xxHash64 (the algorithm as published by Yann Collet) ---- */

#define XXP1 11400714785074694791ULL
#define XXP2 14029467366897019727ULL
#define XXP3 1609587929392839161ULL
#define XXP4 9650029242287828579ULL
#define XXP5 2870177450012600261ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8); /* little-endian hosts (x86-64, arm64) */
	return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	acc += in * XXP2;
	acc = rotl64(acc, 31);
	return acc * XXP1;
}

static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
	acc ^= xround(0, v);
	return acc * XXP1 + XXP4;
}

uint64_t mg_xxh64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = seed + XXP1 + XXP2, v2 = seed + XXP2, v3 = seed, v4 = seed - XXP1;

		do {
			v1 = xround(v1, rd64(p));
			v2 = xround(v2, rd64(p + 8));
			v3 = xround(v3, rd64(p + 16));
			v4 = xround(v4, rd64(p + 24));
			p += 32;
		} while (p + 32 <= end);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(h, v1);
		h = xmerge(h, v2);
		h = xmerge(h, v3);
		h = xmerge(h, v4);
	} else {
		h = seed + XXP5;
	}
	h += (uint64_t)len;
	for (; p + 8 <= end; p += 8) {
		h ^= xround(0, rd64(p));
		h = rotl64(h, 27) * XXP1 + XXP4;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)rd32(p) * XXP1;
		h = rotl64(h, 23) * XXP2 + XXP3;
		p += 4;
	}
	for (; p < end; p++) {
		h ^= (uint64_t)*p * XXP5;
		h = rotl64(h, 11) * XXP1;
	}
	h ^= h >> 33;
	h *= XXP2;
	h ^= h >> 29;
	h *= XXP3;
	h ^= h >> 32;
	return h;
}

/* ---- state ---- */

static uint64_t next_rand(struct mg_lb_state *st)
{
	uint64_t x = st->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return st->rng = x;
}

void mg_lb_refresh(struct mg_lb_state *st)
{
	const struct mg_cluster *cl = st->cl;
	int best = -1;
	uint8_t want = MG_EP_HEALTHY;

	/* The lowest priority with a healthy endpoint; else degraded ones. */
	for (uint32_t i = 0; i < cl->n_eps; i++)
		if (cl->eps[i].health == MG_EP_HEALTHY &&
		    (best < 0 || cl->eps[i].priority < (unsigned)best))
			best = cl->eps[i].priority;
	if (best < 0) {
		want = MG_EP_DEGRADED;
		for (uint32_t i = 0; i < cl->n_eps; i++)
			if (cl->eps[i].health == MG_EP_DEGRADED &&
			    (best < 0 || cl->eps[i].priority < (unsigned)best))
				best = cl->eps[i].priority;
	}
	st->n_elig = 0;
	st->elig_weight = 0;
	for (uint32_t i = 0; i < cl->n_eps; i++) {
		const struct mg_endpoint *e = &cl->eps[i];

		st->eligible[i] = best >= 0 && e->health == want && e->priority == (unsigned)best;
		if (st->eligible[i]) {
			st->elig[st->n_elig++] = i;
			st->elig_weight += e->weight;
		}
		st->current[i] = 0;
	}
}

int mg_lb_init(struct mg_lb_state *st, const struct mg_cluster *cl, uint64_t seed)
{
	size_t n = cl->n_eps ? cl->n_eps : 1;

	memset(st, 0, sizeof(*st));
	st->cl = cl;
	st->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	st->current = calloc(n, sizeof(*st->current));
	st->active = calloc(n, sizeof(*st->active));
	st->eligible = calloc(n, sizeof(*st->eligible));
	st->elig = calloc(n, sizeof(*st->elig));
	if (st->current == NULL || st->active == NULL || st->eligible == NULL || st->elig == NULL) {
		mg_lb_fini(st);
		return -ENOMEM;
	}
	mg_lb_refresh(st);
	return 0;
}

void mg_lb_fini(struct mg_lb_state *st)
{
	free(st->current);
	free(st->active);
	free(st->eligible);
	free(st->elig);
	memset(st, 0, sizeof(*st));
}

/* ---- policies ---- */

/* Smooth weighted round robin: even spacing, exact shares per cycle. */
static int pick_wrr(struct mg_lb_state *st)
{
	const struct mg_endpoint *eps = st->cl->eps;
	uint32_t best = st->elig[0];

	for (uint32_t k = 0; k < st->n_elig; k++) {
		uint32_t i = st->elig[k];

		st->current[i] += eps[i].weight;
		if (st->current[i] > st->current[best])
			best = i;
	}
	st->current[best] -= (int64_t)st->elig_weight;
	return (int)best;
}

static int pick_rr(struct mg_lb_state *st)
{
	if (st->cl->weighted)
		return pick_wrr(st);
	return (int)st->elig[st->rr++ % st->n_elig];
}

static uint32_t pick_random_idx(struct mg_lb_state *st)
{
	uint64_t r;

	if (!st->cl->weighted)
		return st->elig[next_rand(st) % st->n_elig];
	r = next_rand(st) % st->elig_weight;
	for (uint32_t k = 0; k < st->n_elig; k++) {
		uint32_t i = st->elig[k];

		if (r < st->cl->eps[i].weight)
			return i;
		r -= st->cl->eps[i].weight;
	}
	return st->elig[st->n_elig - 1];
}

/* Power of d choices: the candidate with the fewest requests per unit of weight. */
static int pick_least(struct mg_lb_state *st)
{
	const struct mg_endpoint *eps = st->cl->eps;
	uint32_t best = pick_random_idx(st);
	uint32_t d = st->cl->choice_count > 1 ? st->cl->choice_count : 2;

	for (uint32_t k = 1; k < d; k++) {
		uint32_t c = pick_random_idx(st);

		/* active_c / w_c < active_best / w_best, without division */
		if ((uint64_t)st->active[c] * eps[best].weight <
		    (uint64_t)st->active[best] * eps[c].weight)
			best = c;
	}
	return (int)best;
}

static int pick_ring(struct mg_lb_state *st, uint64_t hash)
{
	const struct mg_cluster *cl = st->cl;
	uint32_t lo = 0, hi = cl->ring_size;

	/* First point at or after the hash, wrapping past the end. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cl->ring[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t k = 0; k < cl->ring_size; k++) {
		uint32_t ep = cl->ring[(lo + k) % cl->ring_size].ep;

		if (st->eligible[ep])
			return (int)ep;
	}
	return -EHOSTUNREACH;
}

static int pick_maglev(struct mg_lb_state *st, uint64_t hash)
{
	const struct mg_cluster *cl = st->cl;
	uint32_t at = (uint32_t)(hash % cl->maglev_size);

	for (uint32_t k = 0; k < cl->maglev_size; k++) {
		uint32_t ep = cl->maglev[(at + k) % cl->maglev_size];

		if (st->eligible[ep])
			return (int)ep;
	}
	return -EHOSTUNREACH;
}

int mg_lb_pick(struct mg_lb_state *st, uint64_t hash, int has_hash)
{
	if (st->n_elig == 0)
		return -EHOSTUNREACH;
	switch (st->cl->lb) {
	case MG_LBP_ROUND_ROBIN:
		return pick_rr(st);
	case MG_LBP_LEAST_REQUEST:
		return pick_least(st);
	case MG_LBP_RANDOM:
		return (int)pick_random_idx(st);
	case MG_LBP_RING_HASH:
		return pick_ring(st, has_hash ? hash : next_rand(st));
	case MG_LBP_MAGLEV:
		return pick_maglev(st, has_hash ? hash : next_rand(st));
	}
	return -EHOSTUNREACH;
}
