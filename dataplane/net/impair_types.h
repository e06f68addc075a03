/*
 * impair_types.h — configuration and state of the link impairment stage
 * (dataplane/net/impair.c; API in impair.h).
 *
 * The configuration structs live here, in the net module, so the data plane
 * does not depend on the app: the bootstrap (app/meshgate/bootstrap_types.h)
 * includes this header and embeds struct mg_cfg_impair in each interface.
 *
 * The state is per worker, per interface and per direction, so it is
 * written only by its worker's lcore and needs no locks.
 */
#ifndef MG_IMPAIR_TYPES_H
#define MG_IMPAIR_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "net/net_types.h"

struct mg_port_ops;
struct mg_worker;

/** Link impairment in one direction; rates in parts per million. */
struct mg_cfg_impair_dir {
	uint32_t loss_ppm;    /**< drop this share of frames */
	uint32_t dup_ppm;     /**< send this share twice */
	uint32_t reorder_ppm; /**< hold this share back behind later frames */
	uint32_t corrupt_ppm; /**< flip one random bit in this share */
	uint32_t delay_us;    /**< hold every frame this long */
	uint32_t jitter_us;   /**< plus a uniform random 0..jitter */
};

/** The seeded impairment stage of one interface (off unless enabled). */
struct mg_cfg_impair {
	bool enabled;  /**< true when the interface has an impair: block */
	uint64_t seed; /**< same seed, same traffic → same impairments */
	struct mg_cfg_impair_dir rx, tx;
};

/** Entries of one direction's delay queue (a power of two). */
#define MG_IMPAIR_QUEUE 2048
/** Frames one direction may hold back for reordering at once. */
#define MG_IMPAIR_HOLD 16
/** A reordered frame is overtaken by 1..MG_IMPAIR_REORDER_GAP later frames. */
#define MG_IMPAIR_REORDER_GAP 3
/** ...or released after this long if no later frame comes. */
#define MG_IMPAIR_REORDER_TIMEOUT_US 1000

enum mg_impair_dirn { MG_IMPAIR_RX, MG_IMPAIR_TX };

/** A frame in the delay queue and the TSC when it may leave. */
struct mg_impair_slot {
	struct rte_mbuf *m;
	uint64_t due;
};

/** A frame held back for reordering. */
struct mg_impair_held {
	struct rte_mbuf *m;
	uint64_t deadline; /**< TSC when it leaves even if no frame overtook it */
	uint8_t gap;       /**< later frames still to overtake it */
};

/** The stage of one interface in one direction. */
struct mg_impair_dir {
	bool on; /**< any knob is non-zero */
	struct mg_cfg_impair_dir cfg;
	uint64_t delay_tsc, jitter_tsc; /**< cfg.delay_us and cfg.jitter_us in TSC ticks */
	uint64_t rng[4];                /**< xoshiro256** state */
	uint64_t last_due;              /**< due time of the newest queued frame */
	uint32_t head, tail;            /**< queue[head & mask] is the oldest; tail - head frames */
	unsigned n_held;
	struct mg_impair_held held[MG_IMPAIR_HOLD]; /**< oldest first */
	struct mg_impair_slot queue[MG_IMPAIR_QUEUE];
};

/** One worker's impairment stage: the wrapped port ops and per-link state. */
struct mg_impair {
	const struct mg_port_ops *inner; /**< the ops the stage wraps (restored on detach) */
	/** The time source, TSC ticks (rte_rdtsc(); unit tests substitute their own). */
	uint64_t (*clock)(const struct mg_worker *w);
	uint64_t now; /**< clock() when the current burst entered the stage */
	unsigned n_ifaces;
	struct mg_impair_dir dir[MG_MAX_IFACES][2]; /**< [iface][enum mg_impair_dirn] */
};

#endif /* MG_IMPAIR_TYPES_H */
