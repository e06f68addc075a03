/*
 * reload.h — one config generation: read the directory, validate,
 * translate, pack; or keep the last good one.
 *
 * The controller applies a directory all or nothing (STYLE.md 11, 12): any
 * error diagnostic (from the loader, the validator or the translator) and
 * the new generation is rejected, every error is logged with its
 * file:line:col, the first is kept for the status page, and the snapshot
 * being served stays.
 */
#ifndef MG_CTRL_RELOAD_H
#define MG_CTRL_RELOAD_H

#include <stdint.h>

#include "ctrl/ads_types.h"

/** The controller's config: what it serves and how the last reload went. */
struct mg_ctrl_config {
	const char *dir;             /**< the config directory (not owned) */
	uint64_t generation;         /**< number of the snapshot served (0: the empty start) */
	uint64_t accepted, rejected; /**< reloads that made a generation / were refused */
	char *last_error; /**< "file:line:col: msg" of the last refused reload, or NULL */
	struct mg_ads_snapshot *snap; /**< the generation served (owned reference) */
};

/**
 * Start with the empty generation 0.
 * @return 0 or -ENOMEM
 */
int mg_ctrl_config_init(struct mg_ctrl_config *cc, const char *dir);

/** Free the snapshot and the error. */
void mg_ctrl_config_fini(struct mg_ctrl_config *cc);

/**
 * Read cc->dir again.  Diagnostics go to stderr.
 * @return 0 when a new generation replaced cc->snap (generation + 1,
 *         last_error cleared); -EINVAL when the directory has errors (or
 *         cannot be read): cc->snap unchanged, rejected + 1, last_error
 *         set; -ENOMEM
 */
int mg_ctrl_reload(struct mg_ctrl_config *cc);

#endif /* MG_CTRL_RELOAD_H */
