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

struct mg_ads_client;
struct mg_bootstrap;
struct mg_snapshot;

/** The control core's state. */
struct mg_ctl {
	struct mg_dp *dp;
	struct mg_admin *admin;      /**< NULL when the admin API is disabled */
	struct mg_neigh_table neigh; /**< mirror of what the workers learned */
	uint64_t start_tsc;
	uint64_t relayed;       /**< neighbour updates relayed to workers */
	uint64_t relay_dropped; /**< relays lost to a full ring */
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
 * Publish a new configuration snapshot to the workers; takes ownership of s
 * whatever it returns.  Called by the ADS client with each snapshot it
 * compiled from a complete, valid configuration.
 *
 * Today the workers adopt only the first snapshot ever published (see
 * mg_worker_adopt_config): a later one is published but not served until
 * live replacement lands in dataplane/, and no snapshot is freed here (the
 * old one may still be served).  The body stays tiny on purpose: the
 * live-replacement work takes it over.
 *
 * @param ctl  the control core
 * @param s    the compiled snapshot (owned from here)
 * @return 0, or -errno from mg_publish()
 */
int mg_ctl_apply_snapshot(struct mg_ctl *ctl, struct mg_snapshot *s);

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
