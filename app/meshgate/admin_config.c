/*
 * admin_config.c — GET /config_dump (see admin_config.h).
 *
 * The resources are printed from the messages the bootstrap decoded, by the
 * xDS JSON encoder (xds.h), so what is shown is what was compiled into the
 * snapshot the workers serve; Envoy's ConfigDump wraps them with "@type".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "meshgate/admin_config.h"
#include "meshgate/ads_client.h"
#include "meshgate/bootstrap_types.h"
#include "proxy/listener_types.h"
#include "xds/xds.h"

#define TYPE_PREFIX "type.googleapis.com/"

/* m as JSON with "@type" first: {"@type":"...", <its fields>}. */
static int put_resource(struct mg_buf *out, const ProtobufCMessage *m)
{
	char *js = mg_xds_to_json(m, false);
	const char *rest;

	if (js == NULL)
		return -ENOMEM;
	rest = js + 1; /* after the '{' */
	while (*rest == ' ')
		rest++;
	mg_buf_printf(out, "{\"@type\":\"" TYPE_PREFIX "%s\"%s%s", m->descriptor->name,
	              *rest == '}' ? "" : ",", rest);
	free(js);
	return 0;
}

/* Envoy's last_updated: RFC 3339 UTC with milliseconds. */
static void put_time(struct mg_buf *out, uint64_t ms)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	mg_buf_printf(out, "\"%s.%03uZ\"", buf, (unsigned)(ms % 1000));
}

/*
 * The dynamic part of a section, as Envoy writes it: for listeners
 * "dynamic_listeners":[{"name":..,"active_state":{"version_info":..,
 * "listener":{..},"last_updated":..}}], for the others
 * "<key>":[{"version_info":..,"<field>":{..},"last_updated":..}].
 */
static int put_dynamic(struct mg_buf *out, const struct mg_ads_set *set, const char *key,
                       const char *field, bool listener)
{
	mg_buf_printf(out, ",\"%s\":[", key);
	for (size_t i = 0; set != NULL && i < set->n; i++) {
		const struct mg_ads_res *r = set->v[i];

		mg_buf_puts(out, i == 0 ? "{" : ",{");
		if (listener) {
			mg_buf_puts(out, "\"name\":");
			mg_buf_json_str(out, r->name);
			mg_buf_puts(out, ",\"active_state\":{");
		}
		mg_buf_puts(out, "\"version_info\":");
		mg_buf_json_str(out, r->version);
		mg_buf_printf(out, ",\"%s\":", field);
		if (put_resource(out, r->msg) < 0)
			return -ENOMEM;
		mg_buf_puts(out, ",\"last_updated\":");
		put_time(out, r->last_updated_ms);
		mg_buf_puts(out, listener ? "}}" : "}");
	}
	return mg_buf_puts(out, "]");
}

/* One ConfigDump section: {"@type":...,"version_info":..,"<key>":[{"<field>":{..}},..]
 * [,dynamic ones]}. */
static int put_section(struct mg_buf *out, const char *type, const char *version, const char *key,
                       const char *field, ProtobufCMessage *const *msgs, size_t n,
                       const struct mg_ads_proto *ads, enum mg_ads_type t, const char *dkey)
{
	mg_buf_printf(out,
	              "{\"@type\":\"" TYPE_PREFIX "envoy.admin.v3.%s\",\"version_info\":", type);
	mg_buf_json_str(out, ads != NULL ? ads->t[t].live_version : version);
	mg_buf_printf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		mg_buf_printf(out, "%s{\"%s\":", i == 0 ? "" : ",", field);
		if (put_resource(out, msgs[i]) < 0)
			return -ENOMEM;
		mg_buf_puts(out, "}");
	}
	mg_buf_puts(out, "]");
	if (ads != NULL && put_dynamic(out, &ads->t[t].live, dkey, field, t == MG_ADS_LDS) < 0)
		return -ENOMEM;
	return mg_buf_puts(out, "}");
}

static bool wanted(const char *want, const char *what)
{
	return *want == '\0' || strcmp(want, what) == 0;
}

int mg_config_dump_handler(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	const struct mg_config_src *src = arg;
	const struct mg_bootstrap *b = src->boot;
	const struct mg_ads_proto *ads = src->ads != NULL ? mg_ads_client_proto(src->ads) : NULL;
	const Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr = b->static_resources;
	static const char *const kinds[] = {"listeners", "clusters", "routes", "endpoints"};
	const char *want = "";
	char version[32] = "";
	bool any = false, known = false;
	int rc = 0;

	if (strncmp(req->query, "resource=", 9) == 0)
		want = req->query + 9;
	else if (req->query[0] != '\0') {
		resp->status = 400;
		return mg_buf_puts(
		    &resp->body,
		    "unknown query: use resource=listeners|clusters|routes|endpoints\n");
	}
	for (unsigned i = 0; i < 4; i++)
		known |= strcmp(want, kinds[i]) == 0 && (i < 3 || ads != NULL);
	if (*want != '\0' && !known) {
		resp->status = 400;
		return mg_buf_puts(
		    &resp->body, ads != NULL ? "unknown resource: listeners, clusters, routes "
		                               "or endpoints\n"
		                             : "unknown resource: listeners, clusters or routes\n");
	}
	if (b->snapshot != NULL)
		snprintf(version, sizeof(version), "%" PRIu64, b->snapshot->version);
	resp->content_type = "application/json";
	mg_buf_puts(&resp->body, "{\"configs\":[");
	if (rc == 0 && wanted(want, "listeners")) {
		rc = put_section(&resp->body, "ListenersConfigDump", version, "static_listeners",
		                 "listener", sr ? (ProtobufCMessage *const *)sr->listeners : NULL,
		                 sr ? sr->n_listeners : 0, ads, MG_ADS_LDS, "dynamic_listeners");
		any = true;
	}
	if (rc == 0 && wanted(want, "clusters")) {
		mg_buf_puts(&resp->body, any ? "," : "");
		rc = put_section(&resp->body, "ClustersConfigDump", version, "static_clusters",
		                 "cluster", sr ? (ProtobufCMessage *const *)sr->clusters : NULL,
		                 sr ? sr->n_clusters : 0, ads, MG_ADS_CDS,
		                 "dynamic_active_clusters");
		any = true;
	}
	if (rc == 0 && wanted(want, "routes")) {
		/* Route tables named by RDS; inline ones are inside their listener. */
		mg_buf_puts(&resp->body, any ? "," : "");
		rc = put_section(&resp->body, "RoutesConfigDump", version, "static_route_configs",
		                 "route_config", NULL, 0, ads, MG_ADS_RDS, "dynamic_route_configs");
		any = true;
	}
	if (rc == 0 && ads != NULL && wanted(want, "endpoints")) {
		/* EDS: only with dynamic resources (static clusters carry their own) */
		mg_buf_puts(&resp->body, any ? "," : "");
		rc = put_section(&resp->body, "EndpointsConfigDump", version,
		                 "static_endpoint_configs", "endpoint_config", NULL, 0, ads,
		                 MG_ADS_EDS, "dynamic_endpoint_configs");
	}
	if (rc < 0)
		return rc;
	return mg_buf_puts(&resp->body, "]}\n");
}
