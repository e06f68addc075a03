/*
 * syncz.c — see syncz.h.
 */
#include "ctrl/syncz.h"

#include <errno.h>
#include <time.h>

#include "ctrl/ads_state.h"
#include "ctrl/json_writer.h"

static void gateway(const struct mg_ads_stream *st, void *arg)
{
	struct mg_jw *w = arg;
	char since[32];
	struct tm tm;

	gmtime_r(&st->connected_since, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	mg_jw_obj(w, NULL);
	mg_jw_str(w, "id", st->node_id);
	mg_jw_str(w, "cluster", st->node_cluster);
	/* JSON from mg_xds_to_json(): the node's Struct, an object. */
	mg_jw_raw(w, "metadata", st->node_metadata);
	mg_jw_str(w, "connected_since", since);
	mg_jw_obj(w, "types");
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		const struct mg_ads_type_state *ts = &st->t[t];

		mg_jw_obj(w, mg_ads_type_name((enum mg_ads_type)t));
		mg_jw_str(w, "sent", ts->sent);
		mg_jw_str(w, "nonce", ts->nonce);
		mg_jw_str(w, "acked", ts->acked);
		if (ts->nack != NULL)
			mg_jw_str(w, "nack", ts->nack);
		else
			mg_jw_null(w, "nack");
		mg_jw_u64(w, "subscribed", ts->wildcard ? 0 : ts->n_names);
		mg_jw_end(w);
	}
	mg_jw_end(w);
	mg_jw_end(w);
}

int mg_ctrl_syncz_write(FILE *f, const struct mg_ctrl_config *cc, const struct mg_ads_server *srv)
{
	struct mg_jw w;

	mg_jw_init(&w, f);
	mg_jw_obj(&w, NULL);
	mg_jw_u64(&w, "generation", cc->generation);
	if (cc->last_error != NULL)
		mg_jw_str(&w, "config_error", cc->last_error);
	else
		mg_jw_null(&w, "config_error");
	mg_jw_u64(&w, "config_rejected", cc->rejected);
	if (srv != NULL) {
		const struct mg_ads_server_stats *st = mg_ads_server_stats(srv);

		mg_jw_obj(&w, "ads");
		mg_jw_u64(&w, "connections", st->connections);
		mg_jw_u64(&w, "streams", st->streams);
		mg_jw_u64(&w, "pushes", st->pushes);
		mg_jw_u64(&w, "acks", st->acks);
		mg_jw_u64(&w, "nacks", st->nacks);
		mg_jw_u64(&w, "stale", st->stale);
		mg_jw_u64(&w, "bad_requests", st->bad_requests);
		mg_jw_u64(&w, "keepalive_pings", st->keepalive_pings);
		mg_jw_u64(&w, "keepalive_timeouts", st->keepalive_timeouts);
		mg_jw_end(&w);
	}
	mg_jw_arr(&w, "gateways");
	if (srv != NULL)
		mg_ads_server_foreach(srv, gateway, &w);
	mg_jw_end(&w);
	mg_jw_end(&w);
	fputc('\n', f);
	return w.err ? -EIO : 0;
}
