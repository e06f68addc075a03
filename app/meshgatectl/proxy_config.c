/*
 * proxy_config.c — `meshgatectl proxy-config KIND`: a gateway's live
 * configuration, read from its admin API's GET /config_dump (Envoy's
 * ConfigDump) and printed as a table, as `istioctl proxy-config` does.
 *
 * The dump is fetched and read with ctl_json.h; only the fields the tables
 * show are looked at, so a dump with more in it still prints.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl_json.h"
#include "proxy_config.h"

/* The section of configs whose @type ends with suffix. */
static yaml_node_t *section(yaml_document_t *d, const char *suffix)
{
	yaml_node_t *configs = mg_ctl_json_get(d, yaml_document_get_root_node(d), "configs");

	for (size_t i = 0; i < mg_ctl_json_len(configs); i++) {
		yaml_node_t *c = mg_ctl_json_at(d, configs, i);
		const char *t = mg_ctl_json_str(d, c, "@type", "");
		size_t lt = strlen(t), ls = strlen(suffix);

		if (lt >= ls && strcmp(t + lt - ls, suffix) == 0)
			return c;
	}
	return NULL;
}

#define MAX_RES 4096

/*
 * The resources of one ConfigDump section, static then dynamic: e.g. for
 * listeners static_listeners[].listener, then (a gateway fed by ADS)
 * dynamic_listeners[].active_state.listener.  Returns how many.
 */
static size_t resources(yaml_document_t *d, const char *sect, const char *skey, const char *dkey,
                        const char *dstate, const char *field, yaml_node_t **out)
{
	yaml_node_t *sec = section(d, sect), *ss = mg_ctl_json_get(d, sec, skey),
	            *ds = mg_ctl_json_get(d, sec, dkey);
	size_t n = 0;

	for (size_t i = 0; i < mg_ctl_json_len(ss) && n < MAX_RES; i++)
		if ((out[n] = mg_ctl_json_get(d, mg_ctl_json_at(d, ss, i), field)) != NULL)
			n++;
	for (size_t i = 0; i < mg_ctl_json_len(ds) && n < MAX_RES; i++) {
		yaml_node_t *e = mg_ctl_json_at(d, ds, i);

		if (dstate != NULL)
			e = mg_ctl_json_get(d, e, dstate);
		if ((out[n] = mg_ctl_json_get(d, e, field)) != NULL)
			n++;
	}
	return n;
}

static yaml_node_t *res_buf[MAX_RES];

static void print_listeners(yaml_document_t *d)
{
	size_t nl = resources(d, "ListenersConfigDump", "static_listeners", "dynamic_listeners",
	                      "active_state", "listener", res_buf);

	printf("%-24s %-16s %-6s %-6s %s\n", "NAME", "ADDRESS", "PORT", "TYPE", "DESTINATION");
	for (size_t i = 0; i < nl; i++) {
		yaml_node_t *l = res_buf[i];
		yaml_node_t *fcs = mg_ctl_json_get(d, l, "filter_chains");
		yaml_node_t *fs = mg_ctl_json_len(fcs)
		                      ? mg_ctl_json_get(d, mg_ctl_json_at(d, fcs, 0), "filters")
		                      : NULL;
		yaml_node_t *tc = mg_ctl_json_len(fs)
		                      ? mg_ctl_json_get(d, mg_ctl_json_at(d, fs, 0), "typed_config")
		                      : NULL;
		const char *type = mg_ctl_json_str(d, tc, "@type", "");
		bool http = strstr(type, "HttpConnectionManager") != NULL;
		char dest[160];

		if (http && mg_ctl_json_get(d, tc, "rds") != NULL)
			snprintf(dest, sizeof(dest), "Route: %s",
			         mg_ctl_json_str(d, tc, "rds.route_config_name", ""));
		else if (http)
			snprintf(dest, sizeof(dest), "Route: %s (inline)",
			         mg_ctl_json_str(d, tc, "route_config.name", "-"));
		else if (mg_ctl_json_get(d, tc, "weighted_clusters") != NULL)
			snprintf(dest, sizeof(dest), "Cluster: weighted");
		else
			snprintf(dest, sizeof(dest), "Cluster: %s",
			         mg_ctl_json_str(d, tc, "cluster", "-"));
		printf("%-24s %-16s %-6s %-6s %s\n", mg_ctl_json_str(d, l, "name", "-"),
		       mg_ctl_json_str(d, l, "address.socket_address.address", "-"),
		       mg_ctl_json_str(d, l, "address.socket_address.port_value", "-"),
		       http ? "HTTP" : "TCP", dest);
	}
}

/* An EDS cluster's ClusterLoadAssignment from the EndpointsConfigDump, or NULL. */
static yaml_node_t *eds_cla(yaml_document_t *d, yaml_node_t *cl)
{
	const char *svc = mg_ctl_json_str(d, cl, "eds_cluster_config.service_name",
	                                  mg_ctl_json_str(d, cl, "name", ""));
	yaml_node_t *es =
	    mg_ctl_json_get(d, section(d, "EndpointsConfigDump"), "dynamic_endpoint_configs");

	for (size_t i = 0; i < mg_ctl_json_len(es); i++) {
		yaml_node_t *cla = mg_ctl_json_get(d, mg_ctl_json_at(d, es, i), "endpoint_config");

		if (strcmp(mg_ctl_json_str(d, cla, "cluster_name", ""), svc) == 0)
			return cla;
	}
	return NULL;
}

/* Each endpoint of a cluster's load_assignment (or, for EDS, its dumped CLA). */
static size_t endpoints(yaml_document_t *d, yaml_node_t *cl, const char *cluster_name, bool print)
{
	yaml_node_t *la = mg_ctl_json_get(d, cl, "load_assignment");
	yaml_node_t *eps = mg_ctl_json_get(d, la != NULL ? la : eds_cla(d, cl), "endpoints");
	size_t n = 0;

	for (size_t i = 0; i < mg_ctl_json_len(eps); i++) {
		yaml_node_t *lbs = mg_ctl_json_get(d, mg_ctl_json_at(d, eps, i), "lb_endpoints");

		for (size_t k = 0; k < mg_ctl_json_len(lbs); k++, n++) {
			yaml_node_t *e = mg_ctl_json_at(d, lbs, k);
			char addr[96];

			if (!print)
				continue;
			snprintf(
			    addr, sizeof(addr), "%s:%s",
			    mg_ctl_json_str(d, e, "endpoint.address.socket_address.address", "-"),
			    mg_ctl_json_str(d, e, "endpoint.address.socket_address.port_value",
			                    "-"));
			printf("%-28s %-8s %s\n", addr,
			       mg_ctl_json_str(d, e, "load_balancing_weight", "1"), cluster_name);
		}
	}
	return n;
}

static void print_clusters(yaml_document_t *d, bool eps_only)
{
	size_t nc = resources(d, "ClustersConfigDump", "static_clusters", "dynamic_active_clusters",
	                      NULL, "cluster", res_buf);

	if (eps_only)
		printf("%-28s %-8s %s\n", "ENDPOINT", "WEIGHT", "CLUSTER");
	else
		printf("%-40s %-8s %-14s %s\n", "NAME", "TYPE", "LB", "ENDPOINTS");
	for (size_t i = 0; i < nc; i++) {
		yaml_node_t *c = res_buf[i];
		const char *name = mg_ctl_json_str(d, c, "name", "-");

		if (eps_only)
			(void)endpoints(d, c, name, true);
		else
			printf("%-40s %-8s %-14s %zu\n", name,
			       mg_ctl_json_str(d, c, "type", "STATIC"),
			       mg_ctl_json_str(d, c, "lb_policy", "ROUND_ROBIN"),
			       endpoints(d, c, name, false));
	}
}

/* A route's match as istioctl shows it: "/prefix*", "/exact", "~regex". */
static void match_text(yaml_document_t *d, yaml_node_t *r, char *buf, size_t len)
{
	const char *v;

	if ((v = mg_ctl_json_str(d, r, "match.prefix", NULL)) != NULL)
		snprintf(buf, len, "%s*", v);
	else if ((v = mg_ctl_json_str(d, r, "match.path", NULL)) != NULL)
		snprintf(buf, len, "%s", v);
	else if ((v = mg_ctl_json_str(d, r, "match.safe_regex.regex", NULL)) != NULL)
		snprintf(buf, len, "~%s", v);
	else
		snprintf(buf, len, "-");
	if (mg_ctl_json_get(d, mg_ctl_json_get(d, r, "match"), "headers") != NULL)
		strncat(buf, " +headers", len - strlen(buf) - 1);
}

/* Every route of a route configuration, one line each. */
static void print_route_config(yaml_document_t *d, yaml_node_t *rc)
{
	yaml_node_t *vhs = mg_ctl_json_get(d, rc, "virtual_hosts");

	for (size_t v = 0; v < mg_ctl_json_len(vhs); v++) {
		yaml_node_t *vh = mg_ctl_json_at(d, vhs, v),
		            *doms = mg_ctl_json_get(d, vh, "domains");
		yaml_node_t *rs = mg_ctl_json_get(d, vh, "routes");
		char dom[256] = "";

		for (size_t k = 0; k < mg_ctl_json_len(doms); k++) {
			yaml_node_t *x = mg_ctl_json_at(d, doms, k);

			if (x->type == YAML_SCALAR_NODE && strlen(dom) < 200)
				snprintf(dom + strlen(dom), sizeof(dom) - strlen(dom), "%s%s",
				         k ? "," : "", (const char *)x->data.scalar.value);
		}
		for (size_t k = 0; k < mg_ctl_json_len(rs); k++) {
			yaml_node_t *r = mg_ctl_json_at(d, rs, k);
			char m[160], dest[160];

			match_text(d, r, m, sizeof(m));
			if (mg_ctl_json_get(d, r, "redirect") != NULL)
				snprintf(dest, sizeof(dest), "redirect");
			else if (mg_ctl_json_get(d, r, "direct_response") != NULL)
				snprintf(dest, sizeof(dest), "direct %s",
				         mg_ctl_json_str(d, r, "direct_response.status", ""));
			else if (mg_ctl_json_get(d, mg_ctl_json_get(d, r, "route"),
			                         "weighted_clusters") != NULL) {
				yaml_node_t *wc = mg_ctl_json_get(
				    d,
				    mg_ctl_json_get(d, mg_ctl_json_get(d, r, "route"),
				                    "weighted_clusters"),
				    "clusters");

				dest[0] = '\0';
				for (size_t w = 0; w < mg_ctl_json_len(wc) && strlen(dest) < 120;
				     w++)
					snprintf(dest + strlen(dest), sizeof(dest) - strlen(dest),
					         "%s%s %s%%", w ? ", " : "",
					         mg_ctl_json_str(d, mg_ctl_json_at(d, wc, w),
					                         "name", "?"),
					         mg_ctl_json_str(d, mg_ctl_json_at(d, wc, w),
					                         "weight", "?"));
			} else
				snprintf(dest, sizeof(dest), "%s",
				         mg_ctl_json_str(d, r, "route.cluster", "-"));
			printf("%-12s %-16s %-28s %-20s %s\n", mg_ctl_json_str(d, rc, "name", "-"),
			       mg_ctl_json_str(d, vh, "name", "-"), dom, m, dest);
		}
	}
}

/* Inline route configurations (in listeners), then those from RDS. */
static void print_routes(yaml_document_t *d)
{
	size_t nl = resources(d, "ListenersConfigDump", "static_listeners", "dynamic_listeners",
	                      "active_state", "listener", res_buf);
	yaml_node_t *rds =
	    mg_ctl_json_get(d, section(d, "RoutesConfigDump"), "dynamic_route_configs");

	printf("%-12s %-16s %-28s %-20s %s\n", "ROUTE", "VIRTUAL HOST", "DOMAINS", "MATCH",
	       "DESTINATION");
	for (size_t i = 0; i < nl; i++) {
		yaml_node_t *fcs = mg_ctl_json_get(d, res_buf[i], "filter_chains");
		yaml_node_t *fs = mg_ctl_json_len(fcs)
		                      ? mg_ctl_json_get(d, mg_ctl_json_at(d, fcs, 0), "filters")
		                      : NULL;

		print_route_config(
		    d, mg_ctl_json_get(
		           d,
		           mg_ctl_json_len(fs)
		               ? mg_ctl_json_get(d, mg_ctl_json_at(d, fs, 0), "typed_config")
		               : NULL,
		           "route_config"));
	}
	for (size_t i = 0; i < mg_ctl_json_len(rds); i++)
		print_route_config(d,
		                   mg_ctl_json_get(d, mg_ctl_json_at(d, rds, i), "route_config"));
}

int mg_ctl_proxy_config(const char *kind, const char *admin)
{
	struct mg_ctl_doc doc;
	char path[64];
	const char *res;

	/* With ADS, routes and cluster endpoints are in sections of their own
	 * (RDS, EDS): only listeners can be asked for alone. */
	if (strcmp(kind, "listeners") == 0)
		res = "?resource=listeners";
	else if (strcmp(kind, "routes") == 0 || strcmp(kind, "clusters") == 0 ||
	         strcmp(kind, "endpoints") == 0)
		res = "";
	else {
		fprintf(stderr,
		        "meshgatectl: proxy-config: unknown kind \"%s\" (listeners, routes, "
		        "clusters, endpoints)\n",
		        kind);
		return 2;
	}
	if (strrchr(admin, ':') == NULL) {
		fprintf(stderr, "meshgatectl: --admin wants HOST:PORT, got \"%s\"\n", admin);
		return 2;
	}
	snprintf(path, sizeof(path), "/config_dump%s", res);
	if (mg_ctl_fetch_json(admin, path, "the admin API", &doc) < 0)
		return 1;
	if (strcmp(kind, "listeners") == 0)
		print_listeners(&doc.doc);
	else if (strcmp(kind, "routes") == 0)
		print_routes(&doc.doc);
	else
		print_clusters(&doc.doc, strcmp(kind, "endpoints") == 0);
	mg_ctl_doc_free(&doc);
	return 0;
}
