/*
 * admin_stats.c — /stats and /metrics handlers.
 */
#include <errno.h>
#include <stdlib.h>

#include "meshgate/admin_stats.h"
#include "stats/stats.h"

/*
 * The snapshot is ~12 KiB and cache-aligned (it embeds struct
 * mg_net_counters), so it comes from aligned_alloc() rather than malloc(),
 * which only guarantees 16-byte alignment.
 */
static struct mg_stats_snapshot *snapshot_take(struct mg_dp *dp)
{
	size_t align = _Alignof(struct mg_stats_snapshot);
	size_t size = (sizeof(struct mg_stats_snapshot) + align - 1) / align * align;
	struct mg_stats_snapshot *s = aligned_alloc(align, size);

	if (s != NULL)
		mg_stats_collect(dp, s);
	return s;
}

int mg_stats_handler_json(void *dp, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	struct mg_stats_snapshot *s = snapshot_take(dp);
	int rc;

	(void)req;
	if (s == NULL)
		return -ENOMEM;
	mg_stats_render_json(s, &resp->body);
	rc = mg_buf_puts(&resp->body, "\n");
	mg_stats_release(s);
	free(s);
	resp->content_type = "application/json";
	return rc;
}

int mg_stats_handler_prom(void *dp, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	struct mg_stats_snapshot *s = snapshot_take(dp);
	int rc;

	(void)req;
	if (s == NULL)
		return -ENOMEM;
	rc = mg_stats_render_prom(s, &resp->body);
	mg_stats_release(s);
	free(s);
	resp->content_type = MG_STATS_PROM_CONTENT_TYPE;
	return rc;
}
