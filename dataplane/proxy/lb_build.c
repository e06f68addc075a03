/*
 * lb_build.c — the immutable tables of the hash policies, built when a
 * cluster is compiled (lb.h): the ring of RING_HASH and the lookup table of
 * MAGLEV (Eisenbud et al., "Maglev", NSDI 2016, weighted as Envoy does it).
 * Both depend only on endpoint names and weights, so every gateway builds the
 * same table for the same cluster and a key lands on the same endpoint
 * everywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mg_arena.h"
#include "proxy/lb.h"

static int ring_cmp(const void *x, const void *y)
{
	const struct mg_ring_entry *a = x, *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->ep < b->ep ? -1 : a->ep > b->ep;
}

int mg_lb_build_ring(struct mg_cluster *cl, struct mg_arena *a, uint64_t min_size,
                     uint64_t max_size)
{
	uint64_t total_w = 0, per_w = 1, n = 0;
	struct mg_ring_entry *ring;
	char key[96];

	if (cl->n_eps == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < cl->n_eps; i++)
		total_w += cl->eps[i].weight;
	/*
	 * Points per unit of weight: enough for min_size points in all, rounded
	 * up to a power of two.  Envoy scales exactly to min_size, so removing
	 * one of N endpoints changes every other endpoint's number of points
	 * and moves keys between endpoints that stayed; rounding to a power of
	 * two keeps the number (and the points: "address:port_k" hashes) the
	 * same over most changes of N, so only the removed endpoint's keys
	 * move.  max_size caps the ring for large weights.
	 */
	while (per_w * total_w < min_size)
		per_w *= 2;
	while (per_w > 1 && per_w * total_w > max_size)
		per_w /= 2;
	ring = mg_arena_calloc(a, per_w * total_w, sizeof(*ring));
	if (ring == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < cl->n_eps; i++)
		for (uint64_t k = 0; k < per_w * cl->eps[i].weight && n < max_size; k++, n++) {
			int len = snprintf(key, sizeof(key), "%s_%llu", cl->eps[i].name.s,
			                   (unsigned long long)k);

			ring[n].hash = mg_xxh64(key, (size_t)len, 0);
			ring[n].ep = i;
		}
	qsort(ring, n, sizeof(*ring), ring_cmp);
	cl->ring = ring;
	cl->ring_size = (uint32_t)n;
	return 0;
}

static int is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

int mg_lb_build_maglev(struct mg_cluster *cl, struct mg_arena *a, uint32_t size)
{
	uint32_t n = cl->n_eps, max_w = 0, filled = 0;
	uint64_t *offset, *skip, *next, *count;
	uint32_t *table;
	int rc = 0;

	if (n == 0 || !is_prime(size) || size < n)
		return -EINVAL;
	table = mg_arena_calloc(a, size, sizeof(*table));
	offset = calloc(n, sizeof(*offset));
	skip = calloc(n, sizeof(*skip));
	next = calloc(n, sizeof(*next));
	count = calloc(n, sizeof(*count));
	if (table == NULL || offset == NULL || skip == NULL || next == NULL || count == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct mg_rstr *name = &cl->eps[i].name;

		offset[i] = mg_xxh64(name->s, name->len, 0) % size;
		skip[i] = mg_xxh64(name->s, name->len, 1) % (size - 1) + 1;
		if (cl->eps[i].weight > max_w)
			max_w = cl->eps[i].weight;
	}
	for (uint32_t s = 0; s < size; s++)
		table[s] = UINT32_MAX;
	/*
	 * Rounds: in round r, endpoint i takes a slot while it has taken fewer
	 * than r * w_i / max_w, so shares follow the weights; each takes the
	 * next free slot of its own permutation (offset + j * skip).
	 */
	for (uint64_t round = 1; filled < size; round++) {
		for (uint32_t i = 0; i < n && filled < size; i++) {
			uint64_t c;

			if ((double)count[i] >= (double)round * cl->eps[i].weight / max_w)
				continue;
			do
				c = (offset[i] + next[i]++ * skip[i]) % size;
			while (table[c] != UINT32_MAX);
			table[c] = i;
			count[i]++;
			filled++;
		}
	}
	cl->maglev = table;
	cl->maglev_size = size;
out:
	free(offset);
	free(skip);
	free(next);
	free(count);
	return rc;
}
