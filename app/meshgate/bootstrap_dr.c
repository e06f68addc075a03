/*
 * bootstrap_dr.c — the bootstrap's dynamic_resources and node: Envoy's
 * Bootstrap.DynamicResources and Bootstrap.node, decoded by dataplane/xds
 * like static_resources, then narrowed to what the gateway's ADS client
 * (ads_client.h) speaks: aggregated state-of-the-world xDS v3 over one gRPC
 * stream, clusters and listeners from ADS.  Anything else is refused with
 * its position rather than half-honoured (a REST or file config source would
 * otherwise be silently ignored).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "meshgate/bootstrap_pvt.h"
#include "xds/xds.h"

typedef Envoy__Config__Bootstrap__V3__Bootstrap__DynamicResources dr_msg;
typedef Envoy__Config__Core__V3__ConfigSource cs_msg;
typedef Envoy__Config__Core__V3__ApiConfigSource api_msg;
typedef Envoy__Config__Core__V3__GrpcService grpc_msg;

/*
 * "dynamic_resources.<path>: <why>" at the YAML node of path below root (or
 * its nearest ancestor in the file, for a field left at its default).
 */
static int __attribute__((format(printf, 4, 5)))
dr_fail(struct ctx *c, yaml_node_t *root, const char *path, const char *fmt, ...)
{
	char p[160], msg[256];
	yaml_node_t *n = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p, sizeof(p), "%s", path);
	while (n == NULL) {
		char *cut = strrchr(p, '.'), *br = strrchr(p, '[');

		n = mg_bootstrap_node_at(c, root, p);
		if (n == NULL && cut == NULL && br == NULL)
			n = root;
		else if (n == NULL)
			*(cut > br ? cut : br) = '\0';
	}
	return mg_bootstrap_fail_at(c, -EINVAL, n->start_mark.line, n->start_mark.column,
	                            "dynamic_resources%s%s: %s", path[0] ? "." : "", path, msg);
}

/* Decode n as desc; on error write "file:line:col: path: why" to c->err. */
static int decode(struct ctx *c, yaml_node_t *n, const ProtobufCMessageDescriptor *desc,
                  const char *name, ProtobufCMessage **out)
{
	struct mg_xds_err e;
	int rc = mg_xds_decode_yaml(c->doc, n, desc, name, out, &e);

	if (rc == -ENOMEM)
		return mg_bootstrap_fail_at(c, rc, n->start_mark.line, n->start_mark.column,
		                            "out of memory");
	if (rc < 0) {
		if (e.line == 0) {
			e.line = (unsigned)n->start_mark.line + 1;
			e.column = (unsigned)n->start_mark.column + 1;
		}
		if (c->err != NULL && c->errlen > 0)
			mg_xds_err_format(&e, c->name, c->err, c->errlen);
	}
	return rc;
}

int mg_bootstrap_parse_node(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	ProtobufCMessage *m = NULL;
	int rc;

	(void)obj;
	(void)f;
	rc = decode(c, n, &envoy__config__core__v3__node__descriptor, "node", &m);
	if (rc < 0)
		return rc;
	c->out->node = (Envoy__Config__Core__V3__Node *)m;
	if (c->out->node->id[0] == '\0')
		return mg_bootstrap_fail_at(c, -EINVAL, n->start_mark.line, n->start_mark.column,
		                            "node.id: is required (the controller knows the "
		                            "gateway by it)");
	return 0;
}

/* cds_config / lds_config: only {ads: {}} (resource_api_version V3 or AUTO). */
static int check_source(struct ctx *c, yaml_node_t *root, const cs_msg *s, const char *name,
                        bool *on)
{
	char path[64];

	if (s == NULL)
		return 0;
	if (s->config_source_specifier_case !=
	    ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS) {
		snprintf(
		    path, sizeof(path), "%s%s", name,
		    s->config_source_specifier_case ==
		            ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_API_CONFIG_SOURCE
		        ? ".api_config_source"
		        : "");
		return dr_fail(
		    c, root, path,
		    "only \"ads: {}\" is supported (resources from ads_config's stream)");
	}
	if (s->resource_api_version != ENVOY__CONFIG__CORE__V3__API_VERSION__V3 &&
	    s->resource_api_version != ENVOY__CONFIG__CORE__V3__API_VERSION__AUTO) {
		snprintf(path, sizeof(path), "%s.resource_api_version", name);
		return dr_fail(c, root, path, "only V3 is supported");
	}
	if (s->initial_fetch_timeout != NULL &&
	    (s->initial_fetch_timeout->seconds != 0 || s->initial_fetch_timeout->nanos != 0)) {
		snprintf(path, sizeof(path), "%s.initial_fetch_timeout", name);
		return dr_fail(c, root, path,
		               "only 0s is supported: meshgate waits for a complete "
		               "configuration without a timeout");
	}
	*on = true;
	return 0;
}

static int check_ads(struct ctx *c, yaml_node_t *root, const api_msg *a)
{
	const grpc_msg *g;

	if (a->api_type != ENVOY__CONFIG__CORE__V3__API_CONFIG_SOURCE__API_TYPE__GRPC)
		return dr_fail(c, root, "ads_config.api_type",
		               "only GRPC (state-of-the-world ADS) is supported");
	if (a->transport_api_version != ENVOY__CONFIG__CORE__V3__API_VERSION__V3)
		return dr_fail(c, root, "ads_config.transport_api_version", "must be V3");
	if (a->n_cluster_names > 0)
		return dr_fail(c, root, "ads_config.cluster_names",
		               "is for REST config sources: use grpc_services");
	if (a->refresh_delay != NULL)
		return dr_fail(c, root, "ads_config.refresh_delay", "is for REST config sources");
	if (a->request_timeout != NULL)
		return dr_fail(c, root, "ads_config.request_timeout", "is for REST config sources");
	if (a->n_grpc_services != 1)
		return dr_fail(c, root, "ads_config.grpc_services",
		               "must name exactly one gRPC service (the controller)");
	g = a->grpc_services[0];
	if (g->n_initial_metadata > 0)
		return dr_fail(c, root, "ads_config.grpc_services[0].initial_metadata",
		               "not supported");
	if (g->target_specifier_case ==
	    ENVOY__CONFIG__CORE__V3__GRPC_SERVICE__TARGET_SPECIFIER_ENVOY_GRPC) {
		if (g->envoy_grpc->cluster_name[0] == '\0')
			return dr_fail(c, root,
			               "ads_config.grpc_services[0].envoy_grpc.cluster_name",
			               "is required");
	} else if (g->target_specifier_case ==
	           ENVOY__CONFIG__CORE__V3__GRPC_SERVICE__TARGET_SPECIFIER_GOOGLE_GRPC) {
		if (g->google_grpc->target_uri[0] == '\0')
			return dr_fail(c, root,
			               "ads_config.grpc_services[0].google_grpc.target_uri",
			               "is required");
	} else {
		return dr_fail(c, root, "ads_config.grpc_services[0]",
		               "set envoy_grpc or google_grpc");
	}
	return 0;
}

int mg_bootstrap_parse_dynamic_resources(struct ctx *c, yaml_node_t *n, void *obj,
                                         const struct field *f)
{
	ProtobufCMessage *m = NULL;
	struct mg_cfg_ads *ads = &c->out->ads;
	dr_msg *dr;
	int rc;

	(void)obj;
	(void)f;
	rc = decode(c, n, &envoy__config__bootstrap__v3__bootstrap__dynamic_resources__descriptor,
	            "dynamic_resources", &m);
	if (rc < 0)
		return rc;
	dr = (dr_msg *)m;
	c->out->dynamic_resources = dr; /* owned from here: freed on any error */
	c->dr_node = n;
	rc = check_source(c, n, dr->cds_config, "cds_config", &ads->cds);
	if (rc == 0)
		rc = check_source(c, n, dr->lds_config, "lds_config", &ads->lds);
	if (rc < 0)
		return rc;
	if (!ads->cds && !ads->lds)
		return dr_fail(c, n, "", "set cds_config or lds_config (to \"ads: {}\")");
	if (dr->ads_config == NULL)
		return dr_fail(c, n, "ads_config", "is required for \"ads: {}\" config sources");
	rc = check_ads(c, n, dr->ads_config);
	if (rc == 0)
		ads->enabled = true;
	return rc;
}

/* "host:port" with an IPv4 literal (or localhost) host into ads. */
static int parse_target(const char *uri, struct mg_cfg_ads *ads)
{
	const char *colon;
	char host[64], *end;
	struct in_addr a;
	unsigned long port;

	if (strncmp(uri, "dns:///", 7) == 0)
		uri += 7;
	else if (strncmp(uri, "ipv4:", 5) == 0)
		uri += 5;
	colon = strrchr(uri, ':');
	if (colon == NULL || (size_t)(colon - uri) >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - uri), uri);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	port = strtoul(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &a) != 1 || *end != '\0' || colon[1] == '\0' || port == 0 ||
	    port > 65535)
		return -EINVAL;
	snprintf(ads->host, sizeof(ads->host), "%s", host);
	ads->port = (uint16_t)port;
	return 0;
}

/* The first endpoint's socket address of the static cluster called name. */
static int cluster_target(struct ctx *c, const char *name, struct mg_cfg_ads *ads)
{
	const Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr =
	    c->out->static_resources;
	const char *p = "ads_config.grpc_services[0].envoy_grpc.cluster_name";

	for (size_t i = 0; sr != NULL && i < sr->n_clusters; i++) {
		const Envoy__Config__Cluster__V3__Cluster *cl = sr->clusters[i];
		const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *la = cl->load_assignment;
		const Envoy__Config__Core__V3__SocketAddress *sa = NULL;

		if (strcmp(cl->name, name) != 0)
			continue;
		if (la != NULL && la->n_endpoints > 0 && la->endpoints[0]->n_lb_endpoints > 0 &&
		    la->endpoints[0]->lb_endpoints[0]->endpoint != NULL &&
		    la->endpoints[0]->lb_endpoints[0]->endpoint->address != NULL)
			sa = la->endpoints[0]->lb_endpoints[0]->endpoint->address->socket_address;
		if (sa == NULL)
			return dr_fail(c, c->dr_node, p,
			               "static cluster \"%s\" has no endpoint socket_address",
			               name);
		if (sa->port_specifier_case !=
		        ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE ||
		    sa->port_value == 0 || sa->port_value > 65535)
			return dr_fail(
			    c, c->dr_node, p,
			    "static cluster \"%s\": its first endpoint needs a port_value", name);
		snprintf(ads->host, sizeof(ads->host), "%s", sa->address);
		ads->port = (uint16_t)sa->port_value;
		return 0;
	}
	return dr_fail(c, c->dr_node, p, "no static cluster \"%s\" in static_resources", name);
}

/*
 * Envoy refuses an xDS gRPC config source without node.id and node.cluster
 * (a controller knows its proxies by them); so does meshgate.  The user
 * agent, when the file sets none, says what the client is, as Envoy's does.
 */
static int check_node(struct ctx *c)
{
	Envoy__Config__Core__V3__Node *n = c->out->node;

	if (n == NULL || n->cluster[0] == '\0')
		return dr_fail(c, c->dr_node, "",
		               "needs node.id and node.cluster (the controller knows the gateway "
		               "by them)");
	if (n->user_agent_name[0] == '\0') {
		char *s = strdup("meshgate");

		if (s == NULL)
			return -ENOMEM;
		if (n->user_agent_name != protobuf_c_empty_string)
			free(n->user_agent_name);
		n->user_agent_name = s;
		if (n->user_agent_version_type_case ==
		    ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE__NOT_SET) {
			n->user_agent_version = strdup(MG_VERSION);
			if (n->user_agent_version == NULL)
				return -ENOMEM;
			n->user_agent_version_type_case =
			    ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION;
		}
	}
	return 0;
}

int mg_bootstrap_resolve_ads(struct ctx *c)
{
	struct mg_cfg_ads *ads = &c->out->ads;
	const grpc_msg *g;
	int rc;

	if (!ads->enabled)
		return 0;
	rc = check_node(c);
	if (rc < 0)
		return rc;
	g = c->out->dynamic_resources->ads_config->grpc_services[0];
	if (g->target_specifier_case ==
	    ENVOY__CONFIG__CORE__V3__GRPC_SERVICE__TARGET_SPECIFIER_GOOGLE_GRPC) {
		snprintf(ads->target, sizeof(ads->target), "%s", g->google_grpc->target_uri);
		if (parse_target(g->google_grpc->target_uri, ads) < 0)
			return dr_fail(
			    c, c->dr_node, "ads_config.grpc_services[0].google_grpc.target_uri",
			    "expected \"IPV4:PORT\" (e.g. \"127.0.0.1:15010\"), got \"%.64s\"",
			    g->google_grpc->target_uri);
		return 0;
	}
	snprintf(ads->target, sizeof(ads->target), "cluster %s", g->envoy_grpc->cluster_name);
	rc = cluster_target(c, g->envoy_grpc->cluster_name, ads);
	if (rc == 0) {
		struct in_addr a;

		/* the control core dials with the kernel's stack: a literal address only */
		if (inet_pton(AF_INET, ads->host, &a) != 1)
			return dr_fail(
			    c, c->dr_node, "ads_config.grpc_services[0].envoy_grpc.cluster_name",
			    "static cluster \"%s\": its endpoint address must be an IPv4 "
			    "literal",
			    g->envoy_grpc->cluster_name);
	}
	return rc;
}
