/*
 * admin_stats.h — the admin API's counter endpoints: GET /stats (JSON) and
 * GET /metrics (Prometheus text), glue between the generic HTTP server
 * (admin.h) and the counter snapshots (stats/stats.h).
 *
 * Register them with the data-plane runtime as the argument:
 *   mg_admin_register(a, "GET", "/stats", mg_stats_handler_json, dp);
 *   mg_admin_register(a, "GET", "/metrics", mg_stats_handler_prom, dp);
 * They run on the control core and read worker counters with relaxed loads
 * while the workers run.
 */
#ifndef MG_ADMIN_STATS_H
#define MG_ADMIN_STATS_H

#include "meshgate/admin.h"

/** Content type of the Prometheus text exposition format 0.0.4. */
#define MG_STATS_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/**
 * GET /stats: every worker's counters, their sum, drops by reason and the
 * port counters, as application/json (see mg_stats_render_json()).
 *
 * @param dp   the struct mg_dp * runtime (const; void * for the handler type)
 * @param req  the request (unused)
 * @param resp out: 200 and the JSON document
 * @return 0, or -ENOMEM
 */
int mg_stats_handler_json(void *dp, const struct mg_admin_req *req, struct mg_admin_resp *resp);

/**
 * GET /metrics: the same counters in the Prometheus text format
 * (MG_STATS_PROM_CONTENT_TYPE, see mg_stats_render_prom()).
 *
 * @param dp   the struct mg_dp * runtime
 * @param req  the request (unused)
 * @param resp out: 200 and the exposition
 * @return 0, or -ENOMEM
 */
int mg_stats_handler_prom(void *dp, const struct mg_admin_req *req, struct mg_admin_resp *resp);

#endif /* MG_ADMIN_STATS_H */
