/*
 * compile_listener.c — Listener → struct mg_listener (compile.h), and whole
 * snapshots from sets of resources.
 *
 * A listener here has one filter chain with one network filter: the HTTP
 * connection manager (whose HTTP filters must end in the router, the only
 * HTTP filter so far) or the TCP proxy.  Filter chain matching, TLS and other
 * filters are refused with the field's path until they exist.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mg_arena.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "proxy/lb.h"
#include "proxy/route.h"
#include "xds/compile.h"
#include "xds/compile_pvt.h"
#include "xds/xds.h"

typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy TcpProxy;

#define HCM_URL                \
	MG_XDS_TYPE_URL_PREFIX \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define TCP_PROXY_URL \
	MG_XDS_TYPE_URL_PREFIX "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
#define ROUTER_URL MG_XDS_TYPE_URL_PREFIX "envoy.extensions.filters.http.router.v3.Router"

static int http_filters(struct cctx *c, const Hcm *h)
{
	size_t n = h->n_http_filters;

	/*
	 * Envoy wants the router spelled out; with no filters listed meshgate
	 * runs the router alone, which is all an empty list could mean here
	 * (the router is the only HTTP filter so far).
	 */
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter
		    *f = h->http_filters[i];
		const char *url = f->config_type_case ? f->typed_config->type_url : "";
		size_t old = cc_push(c, "http_filters[%zu]", i);
		int rc = 0;

		if (strcmp(url, ROUTER_URL) != 0 && !(f->is_optional || f->disabled))
			rc = cc_fail(c, NULL,
			             "\"%s\" (%s) is not supported (the router is the only "
			             "HTTP filter so far)",
			             f->name, url[0] ? url : "no typed_config");
		else if (strcmp(url, ROUTER_URL) == 0 && i != n - 1)
			rc = cc_fail(c, NULL, "the router must be the last HTTP filter");
		cc_pop(c, old);
		if (rc < 0)
			return rc;
	}
	if (strcmp(h->http_filters[n - 1]->config_type_case
	               ? h->http_filters[n - 1]->typed_config->type_url
	               : "",
	           ROUTER_URL) != 0)
		return cc_fail(c, "http_filters", "the last HTTP filter must be the router");
	return 0;
}

static int hcm(struct cctx *c, const Hcm *h, struct mg_listener *l)
{
	struct mg_http_opts *o = &l->http;
	char err[512];
	int rc;

	switch (h->codec_type) {
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__CODEC_TYPE__AUTO:
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__CODEC_TYPE__HTTP1:
		break; /* AUTO is HTTP/1.1 until HTTP/2 exists */
	default:
		return cc_fail(c, "codec_type", "only HTTP1 (and AUTO, served as HTTP/1.1) so far");
	}
	rc = cc_str(c, h->stat_prefix, false, &l->stat_prefix);
	if (rc == 0)
		rc = http_filters(c, h);
	if (rc < 0)
		return rc;
	switch (h->route_specifier_case) {
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_ROUTE_CONFIG: {
		size_t old = cc_push(c, "route_config");

		/* Its errors carry the whole path: copy them through as they are. */
		rc = cc_route_compile_at(h->route_config, &l->routes, err, sizeof(err), c->path);
		cc_pop(c, old);
		if (rc == -EINVAL)
			snprintf(c->err, c->errlen, "%s", err);
		if (rc < 0)
			return rc;
	} break;
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS:
		if (h->rds->route_config_name[0] == '\0')
			return cc_fail(c, "rds.route_config_name", "is required");
		rc = cc_str(c, h->rds->route_config_name, false, &l->rds_name);
		if (rc < 0)
			return rc;
		break;
	default:
		return cc_fail(c, NULL, "set route_config or rds");
	}
	o->max_request_headers_kb = 60;
	if (h->max_request_headers_kb != NULL) {
		if (h->max_request_headers_kb->value < 1 || h->max_request_headers_kb->value > 8192)
			return cc_fail(c, "max_request_headers_kb", "%u is out of range 1..8192",
			               h->max_request_headers_kb->value);
		o->max_request_headers_kb = h->max_request_headers_kb->value;
	}
	/*
	 * The connection manager's own timeouts are not applied yet (the
	 * route's timeout is): set explicitly, they are refused, not ignored.
	 */
	if (h->stream_idle_timeout != NULL)
		return cc_fail(c, "stream_idle_timeout",
		               "not supported yet (the route timeout is)");
	if (h->request_timeout != NULL)
		return cc_fail(c, "request_timeout", "not supported yet (the route timeout is)");
	if (h->request_headers_timeout != NULL)
		return cc_fail(c, "request_headers_timeout", "not supported yet");
	if (h->xff_num_trusted_hops != 0)
		return cc_fail(c, "xff_num_trusted_hops", "not supported yet");
	if (h->proxy_100_continue)
		return cc_fail(c, "proxy_100_continue",
		               "not supported yet (meshgate answers 100-continue itself)");
	if (h->drain_timeout != NULL)
		return cc_fail(c, "drain_timeout", "not supported yet");
	if (h->normalize_path != NULL && h->normalize_path->value)
		return cc_fail(c, "normalize_path", "not supported yet");
	if (h->merge_slashes)
		return cc_fail(c, "merge_slashes", "not supported yet");
	o->use_remote_address = h->use_remote_address != NULL && h->use_remote_address->value;
	o->skip_xff_append = h->skip_xff_append;
	o->generate_request_id = h->generate_request_id == NULL || h->generate_request_id->value;
	o->preserve_external_request_id = h->preserve_external_request_id;
	o->always_set_request_id_in_response = h->always_set_request_id_in_response;
	/*
	 * Upgrades (WebSocket and the like) are tunnelled only for the types
	 * listed, as in Envoy; a request asking for another is refused (403).
	 */
	if (h->n_upgrade_configs > 0) {
		struct mg_rstr *up = cc_alloc(c, h->n_upgrade_configs, sizeof(*up));

		if (up == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < h->n_upgrade_configs; i++) {
			const Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager__UpgradeConfig
			    *u = h->upgrade_configs[i];
			size_t old = cc_push(c, "upgrade_configs[%zu]", i);

			if (u->upgrade_type[0] == '\0' || !cc_header_name_ok(u->upgrade_type))
				rc = cc_fail(c, "upgrade_type", "needs a token such as websocket");
			else if (u->n_filters > 0)
				rc = cc_fail(c, "filters",
				             "not supported yet (the HCM's own chain applies)");
			else if (u->enabled == NULL || u->enabled->value)
				rc = cc_str(c, u->upgrade_type, true, &up[o->n_upgrades++]);
			cc_pop(c, old);
			if (rc < 0)
				return rc;
		}
		o->upgrades = up;
	}
	rc = cc_str(c, h->server_name[0] ? h->server_name : "meshgate", false, &o->server_name);
	if (rc == 0 && !cc_header_value_ok(h->via))
		rc = cc_fail(c, "via", "control characters are not allowed");
	if (rc == 0)
		rc = cc_str(c, h->via, false, &o->via);
	return rc;
}

static int tcp_proxy(struct cctx *c, const TcpProxy *t, struct mg_listener *l)
{
	struct mg_tcp_proxy_cfg *p = &l->tcp;
	int rc = cc_str(c, t->stat_prefix, false, &l->stat_prefix);

	if (rc < 0)
		return rc;
	switch (t->cluster_specifier_case) {
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_CLUSTER:
		if (t->cluster[0] == '\0')
			return cc_fail(c, "cluster", "must not be empty");
		rc = cc_str(c, t->cluster, false, &p->cluster);
		break;
	case ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS: {
		const Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster
		    *w = t->weighted_clusters;
		struct mg_l4_wcluster *wc = cc_alloc(c, w->n_clusters, sizeof(*wc));
		uint64_t total = 0;

		if (w->n_clusters == 0)
			return cc_fail(c, "weighted_clusters.clusters",
			               "needs at least one cluster");
		if (wc == NULL)
			return -ENOMEM;
		for (size_t i = 0; rc == 0 && i < w->n_clusters; i++) {
			size_t old = cc_push(c, "weighted_clusters.clusters[%zu]", i);

			if (w->clusters[i]->name[0] == '\0')
				rc = cc_fail(c, "name", "is required");
			else
				rc = cc_str(c, w->clusters[i]->name, false, &wc[i].cluster);
			wc[i].weight = w->clusters[i]->weight;
			total += wc[i].weight;
			wc[i].upto = (uint32_t)(total > UINT32_MAX ? UINT32_MAX : total);
			cc_pop(c, old);
		}
		if (rc == 0 && (total == 0 || total > UINT32_MAX))
			return cc_fail(c, "weighted_clusters.clusters",
			               "weights sum to %llu; must be 1..4294967295",
			               (unsigned long long)total);
		p->wc = wc;
		p->n_wc = (uint32_t)w->n_clusters;
		p->wc_total = (uint32_t)total;
		break;
	}
	default:
		return cc_fail(c, NULL, "set cluster or weighted_clusters");
	}
	/*
	 * Envoy's one-hour idle timeout is not applied yet (a relay lives as
	 * long as its two connections, and TCP keepalive ends dead ones); a
	 * value set explicitly is refused rather than ignored.
	 */
	if (rc == 0 && t->idle_timeout != NULL)
		rc = cc_fail(c, "idle_timeout", "not supported yet");
	if (rc == 0 && (t->downstream_idle_timeout || t->upstream_idle_timeout ||
	                t->max_downstream_connection_duration))
		rc = cc_fail(c, NULL, "timeouts are not supported yet");
	if (rc == 0 && t->max_connect_attempts != NULL && t->max_connect_attempts->value != 1)
		rc = cc_fail(c, "max_connect_attempts",
		             "only 1 is supported so far (no retries yet)");
	return rc;
}

static int filter(struct cctx *c, const Envoy__Config__Listener__V3__Filter *f,
                  struct mg_listener *l)
{
	ProtobufCMessage *m = NULL;
	int rc;

	if (f->config_type_case != ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG)
		return cc_fail(c, "typed_config", "is required");
	if (strcmp(f->typed_config->type_url, HCM_URL) == 0) {
		l->kind = MG_LISTENER_HTTP;
		rc = mg_xds_unpack_any(
		    f->typed_config,
		    &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor,
		    &m);
		if (rc == 0) {
			size_t old = cc_push(c, "typed_config");

			rc = hcm(c, (Hcm *)m, l);
			cc_pop(c, old);
		}
	} else if (strcmp(f->typed_config->type_url, TCP_PROXY_URL) == 0) {
		l->kind = MG_LISTENER_TCP;
		rc = mg_xds_unpack_any(
		    f->typed_config,
		    &envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor, &m);
		if (rc == 0) {
			size_t old = cc_push(c, "typed_config");

			rc = tcp_proxy(c, (TcpProxy *)m, l);
			cc_pop(c, old);
		}
	} else {
		return cc_fail(
		    c, "typed_config.@type",
		    "\"%s\" is not a network filter meshgate has (http_connection_manager "
		    "and tcp_proxy are)",
		    f->typed_config->type_url);
	}
	if (rc == -EBADMSG || rc == -ENOENT || rc == -EPROTOTYPE)
		rc = cc_fail(c, "typed_config", "does not decode as its type");
	mg_xds_free(m);
	return rc;
}

int mg_listener_compile(const Listener *m, struct mg_listener **out, char *err, size_t errlen)
{
	return cc_listener_compile_at(m, out, err, errlen, NULL);
}

int cc_listener_compile_at(const Listener *m, struct mg_listener **out, char *err, size_t errlen,
                           const char *prefix)
{
	struct cctx c;
	const Envoy__Config__Core__V3__SocketAddress *sa;
	const Envoy__Config__Listener__V3__FilterChain *fc;
	struct mg_listener *l;
	struct in_addr in;
	int rc = 0;

	*out = NULL;
	cc_init(&c, prefix, "listener", err, errlen);
	c.a = mg_arena_new();
	if (c.a == NULL)
		return -ENOMEM;
	l = mg_arena_alloc(c.a, sizeof(*l));
	if (l == NULL) {
		mg_arena_free(c.a);
		return -ENOMEM;
	}
	l->arena = c.a;
	c.owner = l;
	if (m->name[0] == '\0')
		rc = cc_fail(&c, "name", "is required");
	if (rc == 0)
		rc = cc_str(&c, m->name, false, &l->name);
	if (rc == 0 &&
	    (m->address == NULL ||
	     m->address->address_case != ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS))
		rc = cc_fail(&c, "address", "needs a socket_address");
	if (rc == 0) {
		sa = m->address->socket_address;
		if (inet_pton(AF_INET, sa->address, &in) != 1)
			rc = cc_fail(&c, "address.socket_address.address",
			             "\"%s\" is not an IPv4 address", sa->address);
		else if (sa->port_specifier_case !=
		             ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE ||
		         sa->port_value == 0 || sa->port_value > 65535)
			rc = cc_fail(&c, "address.socket_address.port_value",
			             "port %u is out of range 1..65535", sa->port_value);
		l->addr = in.s_addr;
		l->port = (uint16_t)sa->port_value;
	}
	if (rc == 0)
		rc = cc_socket_options(&c, m->socket_options, m->n_socket_options, &l->cc);
	if (rc == 0 && m->n_filter_chains != 1)
		rc = cc_fail(&c, "filter_chains", "exactly one filter chain is supported so far");
	if (rc == 0 && m->default_filter_chain != NULL)
		rc = cc_fail(&c, "default_filter_chain", "not supported yet");
	if (rc == 0) {
		size_t old = cc_push(&c, "filter_chains[0]");

		fc = m->filter_chains[0];
		if (fc->filter_chain_match != NULL)
			rc = cc_fail(&c, "filter_chain_match", "not supported yet");
		else if (fc->transport_socket != NULL)
			rc = cc_fail(&c, "transport_socket", "not supported yet (TLS comes later)");
		else if (fc->n_filters != 1)
			rc = cc_fail(&c, "filters",
			             "exactly one network filter is supported so far");
		else {
			size_t o = cc_push(&c, "filters[0]");

			rc = filter(&c, fc->filters[0], l);
			cc_pop(&c, o);
		}
		cc_pop(&c, old);
	}
	if (rc < 0) {
		if (rc == -ENOMEM && errlen > 0)
			snprintf(err, errlen, "out of memory compiling listener %s", m->name);
		mg_listener_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void mg_listener_free(struct mg_listener *l)
{
	if (l == NULL)
		return;
	mg_route_table_free(l->routes);
	mg_arena_free(l->arena);
}
