/*
 * reload.c — see reload.h.
 */
#include "ctrl/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/ads_state.h"
#include "ctrl/diag.h"
#include "ctrl/istio_load.h"
#include "ctrl/net.h"
#include "ctrl/translate.h"

int mg_ctrl_config_init(struct mg_ctrl_config *cc, const char *dir)
{
	memset(cc, 0, sizeof(*cc));
	cc->dir = dir;
	cc->snap = mg_ads_snapshot_new(NULL, 0);
	return cc->snap != NULL ? 0 : -ENOMEM;
}

void mg_ctrl_config_fini(struct mg_ctrl_config *cc)
{
	mg_ads_snapshot_unref(cc->snap);
	free(cc->last_error);
	memset(cc, 0, sizeof(*cc));
}

/* Note the first error of d (or why) as the config error. */
static void set_error(struct mg_ctrl_config *cc, const struct mg_diag *d, int rc)
{
	char *e = NULL;

	for (size_t i = 0; i < d->n && e == NULL; i++) {
		const struct mg_diag_entry *x = &d->v[i];
		const char *more = d->n_errors > 1 ? " (and more errors)" : "";
		int n;

		if (x->sev != MG_DIAG_ERROR)
			continue;
		/* A problem with no position (an unreadable directory) has line 0. */
		if (x->line > 0)
			n = asprintf(&e, "%s:%u:%u: %s%s", x->file, x->line, x->col, x->msg, more);
		else
			n = asprintf(&e, "%s: %s%s", x->file[0] ? x->file : cc->dir, x->msg, more);
		if (n < 0)
			e = NULL;
	}
	if (e == NULL && asprintf(&e, "%s: %s", cc->dir, strerror(-rc)) < 0)
		e = NULL;
	free(cc->last_error);
	cc->last_error = e;
}

int mg_ctrl_reload(struct mg_ctrl_config *cc)
{
	struct mg_istio_config cfg;
	struct mg_xds_resources res = {0};
	struct mg_ads_snapshot *snap = NULL;
	struct mg_diag d;
	int rc;

	mg_diag_init(&d);
	rc = mg_istio_load_dir(cc->dir, &cfg, &d);
	if (rc == 0) {
		rc = mg_translate(&cfg, &res, &d);
		if (rc == 0 && d.n_errors > 0)
			rc = -EINVAL;
		mg_istio_config_free(&cfg);
	}
	if (rc == 0) {
		snap = mg_ads_snapshot_new(&res, cc->generation + 1);
		if (snap == NULL)
			rc = -ENOMEM;
	}
	mg_xds_resources_free(&res);
	mg_diag_sort(&d);
	mg_diag_print(&d, stderr);
	if (rc < 0) {
		cc->rejected++;
		set_error(cc, &d, rc);
		mg_ctrl_log("config %s rejected: %zu errors; still serving generation %llu",
		            cc->dir, d.n_errors, (unsigned long long)cc->generation);
		mg_diag_free(&d);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	mg_ads_snapshot_unref(cc->snap);
	cc->snap = snap;
	cc->generation++;
	cc->accepted++;
	free(cc->last_error);
	cc->last_error = NULL;
	mg_ctrl_log("config %s accepted: generation %llu (%zu clusters, %zu endpoints, %zu "
	            "listeners, %zu routes; %zu warnings)",
	            cc->dir, (unsigned long long)cc->generation, snap->types[MG_ADS_CDS].n,
	            snap->types[MG_ADS_EDS].n, snap->types[MG_ADS_LDS].n, snap->types[MG_ADS_RDS].n,
	            d.n_warnings);
	mg_diag_free(&d);
	return 0;
}
