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

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "meshgate/admin_config.h"
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

/* One ConfigDump section: {"@type":...,"version_info":..,"<key>":[{"<field>":{..}},..]}. */
static int put_section(struct mg_buf *out, const char *type, const char *version, const char *key,
                       const char *field, ProtobufCMessage *const *msgs, size_t n)
{
	mg_buf_printf(out, "{\"@type\":\"" TYPE_PREFIX "envoy.admin.v3.%s\",\"version_info\":\"%s\","
	                   "\"%s\":[",
	              type, version, key);
	for (size_t i = 0; i < n; i++) {
		mg_buf_printf(out, "%s{\"%s\":", i == 0 ? "" : ",", field);
		if (put_resource(out, msgs[i]) < 0)
			return -ENOMEM;
		mg_buf_puts(out, "}");
	}
	return mg_buf_puts(out, "]}");
}

int mg_config_dump_handler(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	const struct mg_bootstrap *b = arg;
	const Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr = b->static_resources;
	const char *want = "";
	char version[32] = "";
	bool any = false;
	int rc = 0;

	if (strncmp(req->query, "resource=", 9) == 0)
		want = req->query + 9;
	else if (req->query[0] != '\0') {
		resp->status = 400;
		return mg_buf_puts(&resp->body, "unknown query: use resource=listeners|clusters|routes\n");
	}
	if (*want != '\0' && strcmp(want, "listeners") != 0 && strcmp(want, "clusters") != 0 &&
	    strcmp(want, "routes") != 0) {
		resp->status = 400;
		return mg_buf_puts(&resp->body, "unknown resource: listeners, clusters or routes\n");
	}
	if (b->snapshot != NULL)
		snprintf(version, sizeof(version), "%" PRIu64, b->snapshot->version);
	resp->content_type = "application/json";
	mg_buf_puts(&resp->body, "{\"configs\":[");
	if (rc == 0 && (*want == '\0' || strcmp(want, "listeners") == 0)) {
		rc = put_section(&resp->body, "ListenersConfigDump", version, "static_listeners",
		                 "listener", sr ? (ProtobufCMessage *const *)sr->listeners : NULL,
		                 sr ? sr->n_listeners : 0);
		any = true;
	}
	if (rc == 0 && (*want == '\0' || strcmp(want, "clusters") == 0)) {
		mg_buf_puts(&resp->body, any ? "," : "");
		rc = put_section(&resp->body, "ClustersConfigDump", version, "static_clusters",
		                 "cluster", sr ? (ProtobufCMessage *const *)sr->clusters : NULL,
		                 sr ? sr->n_clusters : 0);
		any = true;
	}
	if (rc == 0 && (*want == '\0' || strcmp(want, "routes") == 0)) {
		/* Route tables named by RDS; inline ones are inside their listener. */
		mg_buf_puts(&resp->body, any ? "," : "");
		rc = put_section(&resp->body, "RoutesConfigDump", version, "static_route_configs",
		                 "route_config", NULL, 0);
	}
	if (rc < 0)
		return rc;
	return mg_buf_puts(&resp->body, "]}\n");
}
