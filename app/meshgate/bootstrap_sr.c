/*
 * bootstrap_sr.c — the bootstrap's static_resources: Envoy's xDS messages in
 * the proto3 JSON/YAML mapping, decoded by dataplane/xds and checked here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "meshgate/bootstrap_pvt.h"
#include "xds/xds.h"

/* ------------------------------------------------------------------ */
/* static_resources: xDS messages in the proto3 JSON mapping           */

/*
 * The xDS decoder (dataplane/xds) builds the messages and reports its own
 * errors with positions.  What it cannot know is checked here, after the
 * decode, on the messages: network filters meshgate can run, cluster names
 * and references between resources.  Those errors are mapped back to the
 * YAML node through the field path, so they are positioned like the rest.
 */
typedef Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources sr_msg;
typedef Envoy__Config__Listener__V3__FilterChain sr_chain;
typedef Envoy__Config__Route__V3__RouteConfiguration sr_rcfg;
typedef Envoy__Config__Route__V3__RouteAction sr_action;
typedef Envoy__Config__Route__V3__RouteAction__RequestMirrorPolicy sr_mirror;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager
    sr_hcm;
typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy sr_tcp;

#define HCM_DESC \
	envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor
#define TCPP_DESC envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor

/* One validation pass over the decoded static_resources. */
struct srv {
	struct ctx *c;
	yaml_node_t *root; /* the static_resources value node */
	const sr_msg *sr;
	char path[320]; /* field path below static_resources */
	size_t len;
};

static size_t __attribute__((format(printf, 2, 3))) sr_push(struct srv *v, const char *fmt, ...)
{
	size_t old = v->len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->path + old, sizeof(v->path) - old, fmt, ap);
	va_end(ap);
	v->len = strnlen(v->path, sizeof(v->path));
	return old;
}

static void sr_pop(struct srv *v, size_t old)
{
	v->len = old;
	v->path[old] = '\0';
}

/* Does YAML key k spell field name (len bytes, snake_case) or its lowerCamelCase? */
static bool key_is(const yaml_node_t *k, const char *name, size_t len)
{
	const char *s = (const char *)k->data.scalar.value;
	size_t sl = k->data.scalar.length, i, j;

	if (sl == len && memcmp(s, name, len) == 0)
		return true;
	for (i = j = 0; i < len && j < sl; i++, j++) {
		if (name[i] == '_' && i + 1 < len && name[i + 1] >= 'a' && name[i + 1] <= 'z') {
			if (s[j] != name[++i] - 'a' + 'A')
				return false;
		} else if (s[j] != name[i]) {
			return false;
		}
	}
	return i == len && j == sl;
}

static yaml_node_t *map_get(struct ctx *c, yaml_node_t *n, const char *name, size_t len)
{
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && key_is(k, name, len))
			return yaml_document_get_node(c->doc, p->value);
	}
	return NULL;
}

/* The node at a path such as "clusters[1].name" below n, or NULL. */
static yaml_node_t *node_at(struct ctx *c, yaml_node_t *n, const char *path)
{
	const char *s = path;

	while (n != NULL && *s != '\0') {
		size_t len = strcspn(s, ".[");

		if (len > 0)
			n = map_get(c, n, s, len);
		s += len;
		while (n != NULL && *s == '[') {
			char *end;
			unsigned long i = strtoul(s + 1, &end, 10);

			if (n->type != YAML_SEQUENCE_NODE ||
			    i >= (unsigned long)(n->data.sequence.items.top -
			                         n->data.sequence.items.start))
				return NULL;
			n = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
			s = *end == ']' ? end + 1 : end;
		}
		if (*s == '.')
			s++;
	}
	return n;
}

/*
 * "FILE:LINE:COL: static_resources.<path>: why", at the node of the path or,
 * when it cannot be found (a default value), at its nearest ancestor.
 */
static int __attribute__((format(printf, 2, 3))) sr_fail(struct srv *v, const char *fmt, ...)
{
	char msg[256], path[sizeof(v->path)];
	yaml_node_t *n = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(path, v->path, sizeof(path));
	while (n == NULL) {
		char *cut = strrchr(path, '.');

		n = node_at(v->c, v->root, path);
		if (n == NULL && cut == NULL)
			n = v->root;
		else if (n == NULL)
			*cut = '\0';
	}
	return mg_bootstrap_fail_at(v->c, -EINVAL, n->start_mark.line, n->start_mark.column,
	                            "static_resources.%s: %s", v->path, msg);
}

/* A socket address's port fits 16 bits (Envoy's rule; the proto type is uint32). */
static int sr_address(struct srv *v, const Envoy__Config__Core__V3__Address *a)
{
	const Envoy__Config__Core__V3__SocketAddress *sa;
	size_t old;
	int rc;

	if (a == NULL ||
	    a->address_case != ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS)
		return 0;
	sa = a->socket_address;
	if (sa->port_specifier_case !=
	        ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE ||
	    sa->port_value <= 65535)
		return 0;
	old = sr_push(v, ".address.socket_address.port_value");
	rc = sr_fail(v, "port %" PRIu32 " out of range: expected 0..65535", sa->port_value);
	sr_pop(v, old);
	return rc;
}

/* The endpoints of a cluster's load_assignment. */
static int sr_endpoints(struct srv *v, const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *la)
{
	size_t i, j, old;
	int rc = 0;

	for (i = 0; la != NULL && i < la->n_endpoints && rc == 0; i++) {
		const Envoy__Config__Endpoint__V3__LocalityLbEndpoints *le = la->endpoints[i];

		for (j = 0; j < le->n_lb_endpoints && rc == 0; j++) {
			const Envoy__Config__Endpoint__V3__LbEndpoint *lb = le->lb_endpoints[j];

			if (lb->host_identifier_case !=
			    ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT)
				continue;
			old = sr_push(
			    v, ".load_assignment.endpoints[%zu].lb_endpoints[%zu].endpoint", i, j);
			rc = sr_address(v, lb->endpoint->address);
			sr_pop(v, old);
		}
	}
	return rc;
}

/* A cluster name used at the current path must be one of clusters[]. */
static int sr_ref(struct srv *v, const char *name, const char *field)
{
	size_t i, old;
	int rc = 0;

	for (i = 0; i < v->sr->n_clusters; i++)
		if (strcmp(v->sr->clusters[i]->name, name) == 0)
			return 0;
	old = sr_push(v, ".%s", field);
	rc = sr_fail(v, "unknown cluster \"%s\": not in static_resources.clusters",
	             mg_bootstrap_quote_text(v->c, name, strlen(name)));
	sr_pop(v, old);
	return rc;
}

static int sr_mirrors(struct srv *v, size_t n, sr_mirror *const *m)
{
	size_t i, old;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (m[i]->cluster[0] == '\0')
			continue; /* cluster_header: resolved per request */
		old = sr_push(v, ".request_mirror_policies[%zu]", i);
		rc = sr_ref(v, m[i]->cluster, "cluster");
		sr_pop(v, old);
	}
	return rc;
}

static int sr_route_action(struct srv *v, const sr_action *a)
{
	size_t i, old;
	int rc = 0;

	switch (a->cluster_specifier_case) {
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER:
		rc = sr_ref(v, a->cluster, "cluster");
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER_HEADER:
		break;
	case ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS:
		if (a->weighted_clusters->n_clusters == 0)
			return sr_fail(v, "weighted_clusters needs at least one cluster");
		for (i = 0; i < a->weighted_clusters->n_clusters && rc == 0; i++) {
			const char *name = a->weighted_clusters->clusters[i]->name;

			old = sr_push(v, ".weighted_clusters.clusters[%zu]", i);
			if (name[0] != '\0')
				rc = sr_ref(v, name, "name");
			else if (a->weighted_clusters->clusters[i]->cluster_header[0] == '\0')
				rc =
				    sr_fail(v, "a weighted cluster needs a name or cluster_header");
			sr_pop(v, old);
		}
		break;
	default:
		return sr_fail(v, "a route action needs cluster, cluster_header or "
		                  "weighted_clusters");
	}
	if (rc == 0)
		rc = sr_mirrors(v, a->n_request_mirror_policies, a->request_mirror_policies);
	return rc;
}

static int sr_route_config(struct srv *v, const sr_rcfg *rc_msg)
{
	size_t h, r, old, old2;
	int rc = sr_mirrors(v, rc_msg->n_request_mirror_policies, rc_msg->request_mirror_policies);

	for (h = 0; h < rc_msg->n_virtual_hosts && rc == 0; h++) {
		const Envoy__Config__Route__V3__VirtualHost *vh = rc_msg->virtual_hosts[h];

		old = sr_push(v, ".virtual_hosts[%zu]", h);
		rc = sr_mirrors(v, vh->n_request_mirror_policies, vh->request_mirror_policies);
		for (r = 0; r < vh->n_routes && rc == 0; r++) {
			if (vh->routes[r]->action_case !=
			    ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE)
				continue;
			old2 = sr_push(v, ".routes[%zu].route", r);
			rc = sr_route_action(v, vh->routes[r]->route);
			sr_pop(v, old2);
		}
		sr_pop(v, old);
	}
	return rc;
}

static int sr_tcp_proxy(struct srv *v, const sr_tcp *t)
{
	size_t i, old;
	int rc = 0;

	switch (t->cluster_specifier_case) {
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_CLUSTER:
		return sr_ref(v, t->cluster, "cluster");
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS:
		if (t->weighted_clusters->n_clusters == 0)
			return sr_fail(v, "weighted_clusters needs at least one cluster");
		for (i = 0; i < t->weighted_clusters->n_clusters && rc == 0; i++) {
			old = sr_push(v, ".weighted_clusters.clusters[%zu]", i);
			rc = sr_ref(v, t->weighted_clusters->clusters[i]->name, "name");
			sr_pop(v, old);
		}
		return rc;
	default:
		return sr_fail(v, "a tcp_proxy needs cluster or weighted_clusters");
	}
}

/* One network filter: its typed_config must be an HCM or a TcpProxy we can unpack. */
static int sr_filter(struct srv *v, const Envoy__Config__Listener__V3__Filter *f)
{
	ProtobufCMessage *m = NULL;
	size_t old;
	int rc;

	if (f->config_type_case != ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG ||
	    f->typed_config == NULL)
		return sr_fail(v, "a network filter needs a typed_config (HttpConnectionManager "
		                  "or TcpProxy)");
	old = sr_push(v, ".typed_config");
	rc = mg_xds_unpack_any(f->typed_config, NULL, &m);
	if (rc == -ENOMEM) {
		rc = mg_bootstrap_fail_at(v->c, -ENOMEM, v->root->start_mark.line,
		                          v->root->start_mark.column, "out of memory");
	} else if (rc < 0) {
		rc = sr_fail(v, "cannot unpack %s: %s", f->typed_config->type_url, strerror(-rc));
	} else if (m->descriptor == &HCM_DESC) {
		const sr_hcm *h = (const sr_hcm *)m;

		if (h->route_specifier_case ==
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_ROUTE_CONFIG) {
			size_t o2 = sr_push(v, ".route_config");

			rc = sr_route_config(v, h->route_config);
			sr_pop(v, o2);
		}
	} else if (m->descriptor == &TCPP_DESC) {
		rc = sr_tcp_proxy(v, (const sr_tcp *)m);
	} else {
		size_t o2 = sr_push(v, ".@type");

		rc = sr_fail(v,
		             "unsupported network filter %s: expected HttpConnectionManager or "
		             "TcpProxy",
		             m->descriptor->name);
		sr_pop(v, o2);
	}
	sr_pop(v, old);
	mg_xds_free(m);
	return rc;
}

static int sr_chain_check(struct srv *v, const sr_chain *ch)
{
	size_t i, old;
	int rc = 0;

	for (i = 0; i < ch->n_filters && rc == 0; i++) {
		old = sr_push(v, ".filters[%zu]", i);
		rc = sr_filter(v, ch->filters[i]);
		sr_pop(v, old);
	}
	return rc;
}

static int sr_listeners(struct srv *v)
{
	size_t i, j, old, old2;
	int rc = 0;

	for (i = 0; i < v->sr->n_listeners && rc == 0; i++) {
		const Envoy__Config__Listener__V3__Listener *l = v->sr->listeners[i];

		old = sr_push(v, "listeners[%zu]", i);
		rc = sr_address(v, l->address);
		for (j = 0; j < l->n_filter_chains && rc == 0; j++) {
			old2 = sr_push(v, ".filter_chains[%zu]", j);
			rc = sr_chain_check(v, l->filter_chains[j]);
			sr_pop(v, old2);
		}
		if (rc == 0 && l->default_filter_chain != NULL) {
			old2 = sr_push(v, ".default_filter_chain");
			rc = sr_chain_check(v, l->default_filter_chain);
			sr_pop(v, old2);
		}
		sr_pop(v, old);
	}
	return rc;
}

/* Every cluster has a name, and no two the same. */
static int sr_clusters(struct srv *v)
{
	size_t i, j, old;
	int rc = 0;

	for (i = 0; i < v->sr->n_clusters && rc == 0; i++) {
		const char *name = v->sr->clusters[i]->name;

		old = sr_push(v, "clusters[%zu].name", i);
		if (name[0] == '\0')
			rc = sr_fail(v, "a cluster needs a name");
		for (j = 0; j < i && rc == 0; j++)
			if (strcmp(v->sr->clusters[j]->name, name) == 0)
				rc = sr_fail(
				    v, "duplicate cluster name \"%s\" (first in clusters[%zu])",
				    mg_bootstrap_quote_text(v->c, name, strlen(name)), j);
		sr_pop(v, old);
		old = sr_push(v, "clusters[%zu]", i);
		if (rc == 0)
			rc = sr_endpoints(v, v->sr->clusters[i]->load_assignment);
		sr_pop(v, old);
	}
	return rc;
}

int mg_bootstrap_parse_static_resources(struct ctx *c, yaml_node_t *n, void *obj,
                                        const struct field *f)
{
	ProtobufCMessage *m = NULL;
	struct mg_xds_err e;
	struct srv v;
	int rc;

	(void)obj;
	(void)f;
	rc = mg_xds_decode_yaml(
	    c->doc, n, &envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor,
	    "static_resources", &m, &e);
	if (rc == -ENOMEM)
		return mg_bootstrap_fail_at(c, rc, n->start_mark.line, n->start_mark.column,
		                            "out of memory");
	if (rc < 0) {
		if (e.line == 0) { /* no position: the static_resources value itself */
			e.line = (unsigned)n->start_mark.line + 1;
			e.column = (unsigned)n->start_mark.column + 1;
		}
		if (c->err != NULL && c->errlen > 0)
			mg_xds_err_format(&e, c->name, c->err, c->errlen);
		return rc;
	}
	/* owned by the bootstrap from here: mg_bootstrap_free() frees it on any error */
	c->out->static_resources = (sr_msg *)m;
	c->out->n_static_listeners = (unsigned)c->out->static_resources->n_listeners;
	c->out->n_static_clusters = (unsigned)c->out->static_resources->n_clusters;
	v = (struct srv){.c = c, .root = n, .sr = c->out->static_resources};
	rc = sr_clusters(&v);
	if (rc == 0)
		rc = sr_listeners(&v);
	return rc;
}
