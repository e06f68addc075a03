/*
 * proxy_config.c — `meshgatectl proxy-config KIND`: a gateway's live
 * configuration, read from its admin API's GET /config_dump (Envoy's
 * ConfigDump) and printed as a table, as `istioctl proxy-config` does.
 *
 * JSON is YAML, so the dump is read with libyaml, like every other
 * configuration meshgate reads; only the fields the tables show are looked
 * at, so a dump with more in it still prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <yaml.h>

#include "proxy_config.h"

#define DUMP_MAX (16u << 20) /* a config dump larger than this is refused */

/* GET path from host:port over HTTP/1.0; the body in *body (malloc'd). */
static int http_get(const char *host, const char *port, const char *path, char **body,
                    size_t *len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	struct timeval tv = {.tv_sec = 5};
	size_t cap = 65536, n = 0;
	char *buf, *p;
	int fd, rc, status;

	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "meshgatectl: %s:%s: %s\n", host, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "meshgatectl: cannot reach the admin API at %s:%s: %s\n", host,
		        port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -1;
	}
	n = (size_t)snprintf(buf, cap, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (write(fd, buf, n) != (ssize_t)n) {
		fprintf(stderr, "meshgatectl: sending the request: %s\n", strerror(errno));
		free(buf);
		close(fd);
		return -1;
	}
	n = 0;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = cap < DUMP_MAX ? realloc(buf, cap * 2) : NULL;

			if (nb == NULL) {
				fprintf(stderr, "meshgatectl: the config dump is too large\n");
				free(buf);
				close(fd);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			fprintf(stderr, "meshgatectl: reading the answer: %s\n", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	p = strstr(buf, "\r\n\r\n");
	if (p == NULL || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "meshgatectl: not an HTTP answer from %s:%s\n", host, port);
		free(buf);
		return -1;
	}
	if (status != 200) {
		fprintf(stderr, "meshgatectl: GET %s: HTTP %d: %s", path, status, p + 4);
		free(buf);
		return -1;
	}
	p += 4;
	*len = n - (size_t)(p - buf);
	memmove(buf, p, *len + 1);
	*body = buf;
	return 0;
}

/* ---- a little navigation over a libyaml document ---- */

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* The scalar at a dotted path below map ("a.b.c"), or def. */
static const char *str(yaml_document_t *d, yaml_node_t *map, const char *path, const char *def)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		map = get(d, map, key);
		path = dot + 1;
	}
	map = get(d, map, path);
	return map != NULL && map->type == YAML_SCALAR_NODE ? (const char *)map->data.scalar.value
	                                                     : def;
}

static size_t seq_len(yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SEQUENCE_NODE
	           ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
	           : 0;
}

static yaml_node_t *seq_at(yaml_document_t *d, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(d, n->data.sequence.items.start[i]);
}

/* The section of configs whose @type ends with suffix. */
static yaml_node_t *section(yaml_document_t *d, const char *suffix)
{
	yaml_node_t *configs = get(d, yaml_document_get_root_node(d), "configs");

	for (size_t i = 0; i < seq_len(configs); i++) {
		yaml_node_t *c = seq_at(d, configs, i);
		const char *t = str(d, c, "@type", "");
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
	yaml_node_t *sec = section(d, sect), *ss = get(d, sec, skey), *ds = get(d, sec, dkey);
	size_t n = 0;

	for (size_t i = 0; i < seq_len(ss) && n < MAX_RES; i++)
		if ((out[n] = get(d, seq_at(d, ss, i), field)) != NULL)
			n++;
	for (size_t i = 0; i < seq_len(ds) && n < MAX_RES; i++) {
		yaml_node_t *e = seq_at(d, ds, i);

		if (dstate != NULL)
			e = get(d, e, dstate);
		if ((out[n] = get(d, e, field)) != NULL)
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
		yaml_node_t *fcs = get(d, l, "filter_chains");
		yaml_node_t *fs = seq_len(fcs) ? get(d, seq_at(d, fcs, 0), "filters") : NULL;
		yaml_node_t *tc = seq_len(fs) ? get(d, seq_at(d, fs, 0), "typed_config") : NULL;
		const char *type = str(d, tc, "@type", "");
		bool http = strstr(type, "HttpConnectionManager") != NULL;
		char dest[160];

		if (http && get(d, tc, "rds") != NULL)
			snprintf(dest, sizeof(dest), "Route: %s", str(d, tc, "rds.route_config_name", ""));
		else if (http)
			snprintf(dest, sizeof(dest), "Route: %s (inline)",
			         str(d, tc, "route_config.name", "-"));
		else if (get(d, tc, "weighted_clusters") != NULL)
			snprintf(dest, sizeof(dest), "Cluster: weighted");
		else
			snprintf(dest, sizeof(dest), "Cluster: %s", str(d, tc, "cluster", "-"));
		printf("%-24s %-16s %-6s %-6s %s\n", str(d, l, "name", "-"),
		       str(d, l, "address.socket_address.address", "-"),
		       str(d, l, "address.socket_address.port_value", "-"), http ? "HTTP" : "TCP",
		       dest);
	}
}

/* An EDS cluster's ClusterLoadAssignment from the EndpointsConfigDump, or NULL. */
static yaml_node_t *eds_cla(yaml_document_t *d, yaml_node_t *cl)
{
	const char *svc = str(d, cl, "eds_cluster_config.service_name", str(d, cl, "name", ""));
	yaml_node_t *es = get(d, section(d, "EndpointsConfigDump"), "dynamic_endpoint_configs");

	for (size_t i = 0; i < seq_len(es); i++) {
		yaml_node_t *cla = get(d, seq_at(d, es, i), "endpoint_config");

		if (strcmp(str(d, cla, "cluster_name", ""), svc) == 0)
			return cla;
	}
	return NULL;
}

/* Each endpoint of a cluster's load_assignment (or, for EDS, its dumped CLA). */
static size_t endpoints(yaml_document_t *d, yaml_node_t *cl, const char *cluster_name, bool print)
{
	yaml_node_t *la = get(d, cl, "load_assignment");
	yaml_node_t *eps = get(d, la != NULL ? la : eds_cla(d, cl), "endpoints");
	size_t n = 0;

	for (size_t i = 0; i < seq_len(eps); i++) {
		yaml_node_t *lbs = get(d, seq_at(d, eps, i), "lb_endpoints");

		for (size_t k = 0; k < seq_len(lbs); k++, n++) {
			yaml_node_t *e = seq_at(d, lbs, k);
			char addr[96];

			if (!print)
				continue;
			snprintf(addr, sizeof(addr), "%s:%s",
			         str(d, e, "endpoint.address.socket_address.address", "-"),
			         str(d, e, "endpoint.address.socket_address.port_value", "-"));
			printf("%-28s %-8s %s\n", addr, str(d, e, "load_balancing_weight", "1"),
			       cluster_name);
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
		const char *name = str(d, c, "name", "-");

		if (eps_only)
			(void)endpoints(d, c, name, true);
		else
			printf("%-40s %-8s %-14s %zu\n", name, str(d, c, "type", "STATIC"),
			       str(d, c, "lb_policy", "ROUND_ROBIN"), endpoints(d, c, name, false));
	}
}

/* A route's match as istioctl shows it: "/prefix*", "/exact", "~regex". */
static void match_text(yaml_document_t *d, yaml_node_t *r, char *buf, size_t len)
{
	const char *v;

	if ((v = str(d, r, "match.prefix", NULL)) != NULL)
		snprintf(buf, len, "%s*", v);
	else if ((v = str(d, r, "match.path", NULL)) != NULL)
		snprintf(buf, len, "%s", v);
	else if ((v = str(d, r, "match.safe_regex.regex", NULL)) != NULL)
		snprintf(buf, len, "~%s", v);
	else
		snprintf(buf, len, "-");
	if (get(d, get(d, r, "match"), "headers") != NULL)
		strncat(buf, " +headers", len - strlen(buf) - 1);
}

/* Every route of a route configuration, one line each. */
static void print_route_config(yaml_document_t *d, yaml_node_t *rc)
{
	yaml_node_t *vhs = get(d, rc, "virtual_hosts");

	for (size_t v = 0; v < seq_len(vhs); v++) {
		yaml_node_t *vh = seq_at(d, vhs, v), *doms = get(d, vh, "domains");
		yaml_node_t *rs = get(d, vh, "routes");
		char dom[256] = "";

		for (size_t k = 0; k < seq_len(doms); k++) {
			yaml_node_t *x = seq_at(d, doms, k);

			if (x->type == YAML_SCALAR_NODE && strlen(dom) < 200)
				snprintf(dom + strlen(dom), sizeof(dom) - strlen(dom), "%s%s",
				         k ? "," : "", (const char *)x->data.scalar.value);
		}
		for (size_t k = 0; k < seq_len(rs); k++) {
			yaml_node_t *r = seq_at(d, rs, k);
			char m[160], dest[160];

			match_text(d, r, m, sizeof(m));
			if (get(d, r, "redirect") != NULL)
				snprintf(dest, sizeof(dest), "redirect");
			else if (get(d, r, "direct_response") != NULL)
				snprintf(dest, sizeof(dest), "direct %s",
				         str(d, r, "direct_response.status", ""));
			else if (get(d, get(d, r, "route"), "weighted_clusters") != NULL) {
				yaml_node_t *wc = get(
				    d, get(d, get(d, r, "route"), "weighted_clusters"), "clusters");

				dest[0] = '\0';
				for (size_t w = 0; w < seq_len(wc) && strlen(dest) < 120; w++)
					snprintf(dest + strlen(dest), sizeof(dest) - strlen(dest),
					         "%s%s %s%%", w ? ", " : "",
					         str(d, seq_at(d, wc, w), "name", "?"),
					         str(d, seq_at(d, wc, w), "weight", "?"));
			} else
				snprintf(dest, sizeof(dest), "%s", str(d, r, "route.cluster", "-"));
			printf("%-12s %-16s %-28s %-20s %s\n", str(d, rc, "name", "-"),
			       str(d, vh, "name", "-"), dom, m, dest);
		}
	}
}

/* Inline route configurations (in listeners), then those from RDS. */
static void print_routes(yaml_document_t *d)
{
	size_t nl = resources(d, "ListenersConfigDump", "static_listeners", "dynamic_listeners",
	                      "active_state", "listener", res_buf);
	yaml_node_t *rds = get(d, section(d, "RoutesConfigDump"), "dynamic_route_configs");

	printf("%-12s %-16s %-28s %-20s %s\n", "ROUTE", "VIRTUAL HOST", "DOMAINS", "MATCH",
	       "DESTINATION");
	for (size_t i = 0; i < nl; i++) {
		yaml_node_t *fcs = get(d, res_buf[i], "filter_chains");
		yaml_node_t *fs = seq_len(fcs) ? get(d, seq_at(d, fcs, 0), "filters") : NULL;

		print_route_config(
		    d, get(d, seq_len(fs) ? get(d, seq_at(d, fs, 0), "typed_config") : NULL,
		           "route_config"));
	}
	for (size_t i = 0; i < seq_len(rds); i++)
		print_route_config(d, get(d, seq_at(d, rds, i), "route_config"));
}

int mg_ctl_proxy_config(const char *kind, const char *admin)
{
	char host[256], *port, *body = NULL;
	size_t len = 0;
	yaml_parser_t p;
	yaml_document_t d;

	if (strcmp(kind, "listeners") != 0 && strcmp(kind, "routes") != 0 &&
	    strcmp(kind, "clusters") != 0 && strcmp(kind, "endpoints") != 0) {
		fprintf(stderr, "meshgatectl: proxy-config: unknown kind \"%s\" (listeners, routes, "
		                "clusters, endpoints)\n",
		        kind);
		return 2;
	}
	snprintf(host, sizeof(host), "%s", admin);
	port = strrchr(host, ':');
	if (port == NULL) {
		fprintf(stderr, "meshgatectl: --admin wants HOST:PORT, got \"%s\"\n", admin);
		return 2;
	}
	*port++ = '\0';
	{
		char path[64];

		/* with ADS, routes and cluster endpoints are in a second section
		 * (RDS, EDS): the listeners-only dump is enough for listeners */
		snprintf(path, sizeof(path), "/config_dump%s",
		         strcmp(kind, "listeners") == 0 ? "?resource=listeners" : "");
		if (http_get(host, port, path, &body, &len) < 0)
			return 1;
	}
	if (!yaml_parser_initialize(&p)) {
		free(body);
		return 1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)body, len);
	if (!yaml_parser_load(&p, &d) || yaml_document_get_root_node(&d) == NULL) {
		fprintf(stderr, "meshgatectl: the config dump does not parse: %s\n",
		        p.problem ? p.problem : "empty");
		yaml_parser_delete(&p);
		free(body);
		return 1;
	}
	if (strcmp(kind, "listeners") == 0)
		print_listeners(&d);
	else if (strcmp(kind, "routes") == 0)
		print_routes(&d);
	else
		print_clusters(&d, strcmp(kind, "endpoints") == 0);
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	free(body);
	return 0;
}
