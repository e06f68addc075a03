/*
 * control.h — the control core: the gateway's main lcore after start-up.
 *
 * It serves the admin API, relays what one worker learns (neighbours) to the
 * others, keeps a mirror of the neighbour table for the admin API, and
 * reclaims retired RCU objects.  It never touches packets.
 */
#ifndef MG_CONTROL_H
#define MG_CONTROL_H

#include <signal.h>

#include "core/worker_types.h"
#include "meshgate/admin.h"
#include "meshgate/snapshots.h"

struct mg_ads_client;
struct mg_bootstrap;
struct mg_snapshot;

/** The control core's state. */
struct mg_ctl {
	struct mg_dp *dp;
	struct mg_admin *admin;      /**< NULL when the admin API is disabled */
	struct mg_neigh_table neigh; /**< mirror of what the workers learned */
	uint64_t start_tsc;
	uint64_t relayed;           /**< neighbour updates relayed to workers */
	uint64_t relay_dropped;     /**< relays lost to a full ring */
	struct mg_snapshots *snaps; /**< config snapshots (set by the gateway after init) */
	/** Set from a signal handler (SIGHUP): the loop clears it and calls reload_fn. */
	volatile sig_atomic_t *reload_req;
	void (*reload_fn)(void *arg);
	void *reload_arg;
	struct mg_ads_client *ads; /**< NULL without dynamic_resources */
};

/**
 * Set up the control core and its admin endpoints (/ready, /stats,
 * /metrics, /neighbors).
 *
 * @param ctl   zeroed state to fill
 * @param dp    the running data plane
 * @param addr,port admin listen address; port 0 disables the admin API
 * @return 0 or -errno (the admin socket could not be opened)
 */
int mg_ctl_init(struct mg_ctl *ctl, struct mg_dp *dp, const char *addr, uint16_t port);

/**
 * Run until *stop becomes non-zero (set from a signal handler).
 *
 * @return 0
 */
int mg_ctl_run(struct mg_ctl *ctl, volatile sig_atomic_t *stop);

/**
 * Handle what the workers sent; one pass, never blocks.  Exposed for tests.
 *
 * @return the number of messages handled
 */
unsigned mg_ctl_poll_workers(struct mg_ctl *ctl);

/**
 * Serve snapshot s from now on (an xDS update): check it against what the
 * gateway holds (mg_snapshots_check) and publish it.  The workers switch to
 * it live and drain the previous one; ctl frees that once they let go.
 * @param s    compiled; ctl owns it from here (freed at once if refused)
 * @param err  why it was refused, for the xDS NACK
 * @return 0; -EADDRINUSE, -ENOSPC (err says why); -ENOSPC when too many
 *         replaced snapshots still wait for a grace period
 */
int mg_ctl_apply_snapshot(struct mg_ctl *ctl, struct mg_snapshot *s, char *err, size_t errlen);

/**
 * Start the ADS client for cfg's dynamic_resources (nothing without them)
 * and serve its state at GET /ads.  mg_ctl_run() then drives it every tick.
 *
 * @param ctl  an initialised control core
 * @param cfg  the bootstrap; must outlive ctl
 * @return 0, -ENOMEM
 */
int mg_ctl_start_ads(struct mg_ctl *ctl, const struct mg_bootstrap *cfg);

/** Release the control core's resources. */
void mg_ctl_fini(struct mg_ctl *ctl);

#endif /* MG_CONTROL_H */
