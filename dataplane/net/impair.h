/*
 * impair.h — a seeded, deterministic link impairment stage in the port layer:
 * loss, duplication, corruption, reordering and delay (with jitter), on RX
 * and on TX of each interface.  Off by default; the bootstrap turns it on per
 * interface (impair: block, see docs/CONFIG.md).  It exists because the
 * kernels we test on have no netem, and it doubles as a chaos-testing tool.
 *
 * The stage wraps a worker's port ops.  On RX, frames from the real port go
 * through the stage and only those whose time has come are returned.  On TX,
 * every frame handed over is taken; those whose time has come go to the real
 * port, the rest wait until mg_impair_poll() releases them.
 *
 * Each frame, in order: lost (freed) with loss_ppm; else duplicated with
 * dup_ppm (a deep copy, so corrupting one never touches the other); each copy
 * then corrupted with corrupt_ppm (one random bit of one random byte flipped,
 * anywhere in the frame, so the IPv4/TCP checksums must catch it); then held
 * back with reorder_ppm until 1..MG_IMPAIR_REORDER_GAP later frames have
 * passed it, or MG_IMPAIR_REORDER_TIMEOUT_US passed; then queued for
 * delay_us plus a uniform 0..jitter_us.
 *
 * Jitter never reorders: the delay queue is a FIFO and a frame's release
 * time is raised to that of the frame ahead of it if needed (reordering is
 * the reorder knob's job, and a FIFO keeps the queue O(1)).  Every frame
 * still leaves by arrival + delay + jitter.  The queue is bounded
 * (MG_IMPAIR_QUEUE frames per interface and direction); a frame that finds
 * it full is dropped and counted as drop_impair_queue_full.
 *
 * Time is the TSC, read when a burst enters the stage and when it is
 * polled (struct mg_impair.clock), not the worker's w->now, which is the start
 * of the poll iteration and can be stale; a frame leaves at the first RX
 * burst or poll at or after its release time.
 *
 * Deterministic: each (worker, interface, direction) has its own PRNG
 * (xoshiro256**) seeded from the configured seed and those three numbers, so
 * the same seed and the same frame sequence give the same impairments.
 *
 * Counted (struct mg_net_counters): impair_lost, impair_duplicated,
 * impair_corrupted, impair_reordered (frames held back), impair_delayed
 * (frames that waited in the delay queue because delay or jitter is set),
 * drop_impair_queue_full, and drop_tx_full for released TX frames the real
 * port refused.  The impairment events are statistics, not drop reasons:
 * a frame lost on RX was never "received".
 */
#ifndef MG_IMPAIR_H
#define MG_IMPAIR_H

#include <stdbool.h>

#include "core/worker_types.h"
#include "net/impair_types.h"

/**
 * Attach the stage to worker w, wrapping w->port_ops, if any of cfgs is
 * enabled with a non-zero knob (otherwise w is left untouched and
 * w->impair stays NULL).  Times are converted with w->dp->tsc_hz.  A test
 * may then set w->impair->clock to drive time by hand.
 *
 * @param w        the worker; must not already have a stage
 * @param cfgs     one configuration per interface, indexed like w->net->ifaces
 * @param n_ifaces number of entries in cfgs (at most MG_MAX_IFACES)
 * @return 0, -EINVAL (bad arguments or already attached), -ENOMEM
 */
int mg_impair_attach(struct mg_worker *w, const struct mg_cfg_impair cfgs[], unsigned n_ifaces);

/**
 * Remove the stage from w: restore the port ops it wrapped and free every
 * frame it still holds (delayed or held back).  No-op if none is attached.
 * Call on w's own lcore, or once w no longer runs.
 */
void mg_impair_detach(struct mg_worker *w);

/**
 * Release TX frames whose time has come (delay expired, reorder timeout) to
 * the real port.  Call once per poll iteration when w->impair is set; RX
 * frames are released by the wrapped rx_burst itself.
 */
void mg_impair_poll(struct mg_worker *w);

/**
 * Whether the stage holds frames (either direction), so the worker must keep
 * polling rather than sleep.  False when no stage is attached.
 */
bool mg_impair_busy(const struct mg_worker *w);

#endif /* MG_IMPAIR_H */
