/*
 * snapshots.c — checking, publishing and freeing config snapshots
 * (snapshots.h).  Control core only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/publish.h"
#include "meshgate/snapshots.h"
#include "tcp/tcp_types.h"
#include "xds/compile.h"

/* The publisher's free callback: after the grace period, to the retired list. */
static void snapshot_retired(void *obj, void *arg)
{
	struct mg_snapshots *ss = arg;
	struct mg_snapshot *s = obj;

	if (s == NULL || s == ss->pinned)
		return;
	if (ss->n_retired == ss->cap_retired) {
		size_t cap = ss->cap_retired ? ss->cap_retired * 2 : 8;
		struct mg_snapshot **r = realloc(ss->retired, cap * sizeof(*r));

		if (r == NULL) {
			/* Leaked rather than freed while a worker may use it. */
			MG_LOG(ERR, "snapshots: out of memory; config %" PRIu64 " is never freed",
			       s->version);
			return;
		}
		ss->retired = r;
		ss->cap_retired = cap;
	}
	ss->retired[ss->n_retired++] = s;
}

int mg_snapshots_init(struct mg_snapshots *ss, struct mg_dp *dp, const struct mg_snapshot *pinned,
                      const uint16_t *reserved, unsigned n_reserved)
{
	memset(ss, 0, sizeof(*ss));
	ss->dp = dp;
	ss->pinned = pinned;
	for (unsigned i = 0; i < n_reserved && ss->n_reserved < RTE_DIM(ss->reserved); i++)
		if (reserved[i] != 0)
			ss->reserved[ss->n_reserved++] = reserved[i];
	return mg_publish_init(&dp->snapshots, "snapshot", dp->qs, snapshot_retired, ss);
}

int mg_snapshots_check(const struct mg_snapshots *ss, const struct mg_snapshot *s, char *err,
                       size_t errlen)
{
	for (uint32_t i = 0; i < s->n_listeners; i++) {
		const struct mg_listener *l = s->listeners[i];

		for (unsigned k = 0; k < ss->n_reserved; k++)
			if (l->port == ss->reserved[k]) {
				snprintf(err, errlen,
				         "listeners[%u] (\"%.*s\"): port %u is taken by one of the "
				         "gateway's TCP services (bootstrap tcp.services)",
				         i, (int)l->name.len, l->name.s, l->port);
				return -EADDRINUSE;
			}
	}
	if (s->n_listeners + ss->n_reserved > MG_TCP_MAX_LISTENERS) {
		snprintf(err, errlen,
		         "%u listeners and %u TCP services: a worker listens on %u ports at most",
		         s->n_listeners, ss->n_reserved, MG_TCP_MAX_LISTENERS);
		return -ENOSPC;
	}
	return 0;
}

int mg_snapshots_publish(struct mg_snapshots *ss, struct mg_snapshot *s)
{
	uint64_t seq = ss->seq + 1;
	int rc;

	s->seq = seq;
	rc = mg_publish(&ss->dp->snapshots, s);
	if (rc == 0)
		ss->seq = seq;
	return rc;
}

unsigned mg_snapshots_reap(struct mg_snapshots *ss)
{
	uint64_t held = UINT64_MAX;
	unsigned freed = 0;
	size_t k = 0;

	(void)mg_publish_reclaim(&ss->dp->snapshots);
	if (ss->n_retired == 0)
		return 0;
	for (unsigned i = 0; i < ss->dp->n_workers; i++) {
		const struct mg_worker *w = ss->dp->workers[i];
		uint64_t h =
		    w != NULL ? __atomic_load_n(&w->snap_held_min, __ATOMIC_ACQUIRE) : UINT64_MAX;

		if (h < held)
			held = h;
	}
	for (size_t i = 0; i < ss->n_retired; i++) {
		struct mg_snapshot *s = ss->retired[i];

		if (s->seq < held) {
			mg_snapshot_free(s);
			freed++;
		} else {
			ss->retired[k++] = s;
		}
	}
	ss->n_retired = k;
	ss->freed += freed;
	return freed;
}

void mg_snapshots_fini(struct mg_snapshots *ss)
{
	if (ss->dp == NULL)
		return;
	if (ss->dp->snapshots.qs != NULL)
		mg_publish_fini(&ss->dp->snapshots); /* retires the current one, waits */
	for (size_t i = 0; i < ss->n_retired; i++)
		mg_snapshot_free(ss->retired[i]);
	free(ss->retired);
	ss->retired = NULL;
	ss->n_retired = ss->cap_retired = 0;
}
