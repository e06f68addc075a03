/*
 * snapshots.h — the control core's side of config snapshots: checking one
 * against what the gateway itself holds, publishing it to the workers, and
 * freeing replaced ones once no worker uses them.
 *
 * The path is: xDS resources (bootstrap static_resources, or an ADS
 * response) → mg_snapshot_compile → mg_snapshots_check → mg_snapshots_publish
 * → each worker adopts it on its own lcore (mg_worker_adopt_config), and
 * connections that began on the previous one finish on it (they drain).
 *
 * Freeing.  The RCU grace period after a publish proves only that no worker
 * can newly pick the old snapshot up; workers keep using it past their
 * quiescent states for as long as connections drain on it.  So a retired
 * snapshot waits here until every worker's w->snap_held_min (the oldest
 * publication number it still holds) is past its own number.
 *
 * The bootstrap's static snapshot is pinned: the bootstrap owns and frees it
 * (mg_bootstrap_free), this module never does.
 */
#ifndef MG_SNAPSHOTS_H
#define MG_SNAPSHOTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/worker_types.h"
#include "proxy/listener_types.h"

/** The control core's snapshot bookkeeping. */
struct mg_snapshots {
	struct mg_dp *dp;
	const struct mg_snapshot *pinned; /**< owned by the bootstrap; never freed here */
	uint16_t reserved[4];             /**< ports the TCP services listen on */
	unsigned n_reserved;
	uint64_t seq;                 /**< the last publication number given */
	struct mg_snapshot **retired; /**< replaced, waiting for the workers to let go */
	size_t n_retired, cap_retired;
	uint64_t freed; /**< snapshots freed so far */
};

/**
 * Set up ss and the workers' publisher (dp->snapshots), whose retired
 * objects come back here.
 * @param pinned    the bootstrap's snapshot (may be NULL), never freed here
 * @param reserved  ports the gateway's own TCP services use (0s are skipped)
 * @return 0 or -errno of mg_publish_init
 */
int mg_snapshots_init(struct mg_snapshots *ss, struct mg_dp *dp, const struct mg_snapshot *pinned,
                      const uint16_t *reserved, unsigned n_reserved);

/**
 * What the compiler cannot know: a listener on a port the gateway's TCP
 * services hold, or more listeners than a worker's TCP stack has room for.
 * @param err  "listeners[1] (\"http_7\"): port 7 is the gateway's echo
 *             service" and the like
 * @return 0; -EADDRINUSE; -ENOSPC
 */
int mg_snapshots_check(const struct mg_snapshots *ss, const struct mg_snapshot *s, char *err,
                       size_t errlen);

/**
 * Give s the next publication number and publish it (ownership passes to
 * ss unless s is the pinned one).
 * @return 0; -ENOSPC when the publisher's retired list is full (s is not
 *         published and still the caller's)
 */
int mg_snapshots_publish(struct mg_snapshots *ss, struct mg_snapshot *s);

/**
 * Reclaim what RCU allows and free every retired snapshot no worker holds.
 * Control core, every tick.  @return the number freed
 */
unsigned mg_snapshots_reap(struct mg_snapshots *ss);

/**
 * After the workers stopped and mg_proxy_worker_stop ran: retire the
 * current one and free everything but the pinned snapshot.
 */
void mg_snapshots_fini(struct mg_snapshots *ss);

#endif /* MG_SNAPSHOTS_H */
