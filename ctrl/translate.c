/*
 * translate.c — Istio → xDS (translate.h).
 *
 * Each resource is written as JSON with the small writer (json_writer.h) and
 * decoded by the generic xDS decoder, so its shape is checked by the same
 * code as the gateway's bootstrap; a resource that does not decode is a
 * translator bug and is reported as one.
 */
#include "ctrl/translate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctrl/json_writer.h"
#include "xds/xds.h"

#define HCM_URL                \
	"type.googleapis.com/" \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define TCP_PROXY_URL "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
#define ROUTER_URL    "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
/* What Istio retries when a VirtualService sets attempts without retryOn. */
#define ISTIO_RETRY_ON "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"

/* One ServiceEntry host and port: a cluster, and its subsets. */
struct svc {
	const struct mg_istio_service_entry *se;
	const struct mg_str *host;
	const struct mg_service_port *port;
	const struct mg_istio_destination_rule *dr; /* NULL: defaults */
};

/* One port of the gateways: its protocol and the servers on it. */
struct gw_port {
	uint32_t number;
	bool tcp; /* else HTTP */
	struct {
		const struct mg_istio_gateway *g;
		const struct mg_gw_server *s;
	} servers[64];
	size_t n_servers;
};

struct tctx {
	const struct mg_istio_config *cfg;
	struct mg_diag *d;
	struct mg_xds_resources *out;
	struct svc *svcs;
	size_t n_svcs;
	struct gw_port *ports;
	size_t n_ports;
	int rc;
};

static const struct svc *dest_svc(struct tctx *t, const struct mg_destination *d, const char *ns,
                                  char *name, size_t len);

static bool str_is(const struct mg_str *s, const char *v)
{
	return s->s != NULL && strcmp(s->s, v) == 0;
}

/* ------------------------------------------------------------------ */
/* Output: JSON → message                                              */

static int append(void ***arr, size_t *n, void *m)
{
	void **v = realloc(*arr, (*n + 1) * sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	v[(*n)++] = m;
	*arr = v;
	return 0;
}

/* Decode the JSON in buf as md and append it to (arr, n); frees buf. */
static void emit(struct tctx *t, const ProtobufCMessageDescriptor *md, char *buf, size_t len,
                 void ***arr, size_t *n)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct mg_xds_err e;
	ProtobufCMessage *m = NULL;
	int rc = -EPROTO;

	if (t->rc < 0 || buf == NULL) {
		free(buf);
		t->rc = t->rc < 0 ? t->rc : -ENOMEM;
		return;
	}
	if (yaml_parser_initialize(&p)) {
		yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
		if (yaml_parser_load(&p, &doc)) {
			rc = mg_xds_decode_yaml(&doc, yaml_document_get_root_node(&doc), md, "", &m,
			                        &e);
			yaml_document_delete(&doc);
		}
		yaml_parser_delete(&p);
	}
	if (rc == 0)
		rc = append(arr, n, m);
	else if (rc != -ENOMEM)
		mg_diag_add(t->d, MG_DIAG_ERROR, NULL,
		            "internal: the translator wrote a %s that does not decode (%s: %s): %s",
		            md->short_name, e.path, e.msg, buf);
	if (rc < 0) {
		mg_xds_free(m);
		t->rc = rc == -ENOMEM ? rc : -EPROTO;
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Services, destination rules, endpoints                              */

/*
 * A host as written in a resource of namespace ns, made comparable: a short
 * name ("reviews") means the Kubernetes service of that namespace
 * ("reviews.<ns>.svc.cluster.local"), as in Istio.
 */
static const char *fqdn(char *buf, size_t len, const char *host, const char *ns)
{
	if (strchr(host, '.') != NULL || strcmp(host, "*") == 0)
		return host;
	snprintf(buf, len, "%s.%s.svc.cluster.local", host, ns);
	return buf;
}

static const struct mg_istio_destination_rule *find_dr(const struct tctx *t, const char *host)
{
	for (size_t i = 0; i < t->cfg->n_destination_rules; i++) {
		const struct mg_istio_destination_rule *dr = &t->cfg->destination_rules[i];
		char buf[300];

		if (dr->spec.host.s != NULL &&
		    strcmp(fqdn(buf, sizeof(buf), dr->spec.host.s, dr->meta.namespace_.s), host) ==
		        0)
			return dr;
	}
	return NULL;
}

static int collect_services(struct tctx *t)
{
	const struct mg_istio_config *c = t->cfg;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < c->n_service_entries; i++)
		n += c->service_entries[i].spec.hosts.n * c->service_entries[i].spec.n_ports;
	t->svcs = calloc(n ? n : 1, sizeof(*t->svcs));
	if (t->svcs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_service_entries; i++) {
		const struct mg_istio_service_entry *se = &c->service_entries[i];

		for (size_t h = 0; h < se->spec.hosts.n; h++)
			for (size_t p = 0; p < se->spec.n_ports; p++) {
				const struct mg_str *host = &se->spec.hosts.v[h];
				bool dup = false;

				for (size_t j = 0; j < k; j++)
					if (strcmp(t->svcs[j].host->s, host->s) == 0 &&
					    t->svcs[j].port->number.v == se->spec.ports[p].number.v)
						dup = true;
				if (dup) {
					mg_diag_add(t->d, MG_DIAG_ERROR, &host->pos,
					            "host %s port %u is already defined by another "
					            "ServiceEntry",
					            host->s, se->spec.ports[p].number.v);
					continue;
				}
				t->svcs[k++] =
				    (struct svc){se, host, &se->spec.ports[p], find_dr(t, host->s)};
			}
	}
	t->n_svcs = k;
	return 0;
}

/* The service for host and port (0: the host's only port), or NULL. */
static const struct svc *find_svc(const struct tctx *t, const char *host, uint32_t port,
                                  bool *ambiguous)
{
	const struct svc *found = NULL;

	*ambiguous = false;
	for (size_t i = 0; i < t->n_svcs; i++) {
		if (strcmp(t->svcs[i].host->s, host) != 0)
			continue;
		if (port != 0 && t->svcs[i].port->number.v == port)
			return &t->svcs[i];
		if (port == 0) {
			if (found != NULL)
				*ambiguous = true;
			found = &t->svcs[i];
		}
	}
	return *ambiguous ? NULL : found;
}

static const struct mg_subset *find_subset(const struct svc *s, const char *name)
{
	for (size_t i = 0; s->dr != NULL && i < s->dr->spec.n_subsets; i++)
		if (str_is(&s->dr->spec.subsets[i].name, name))
			return &s->dr->spec.subsets[i];
	return NULL;
}

/* Does a workload with labels have every label of want? */
static bool labels_match(const struct mg_strmap *want, const struct mg_strmap *have)
{
	for (size_t i = 0; i < want->n; i++) {
		bool ok = false;

		for (size_t j = 0; j < have->n && !ok; j++)
			ok = strcmp(want->v[i].key.s, have->v[j].key.s) == 0 &&
			     strcmp(want->v[i].val.s, have->v[j].val.s) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static void cluster_name(char *buf, size_t len, const struct svc *s, const char *subset)
{
	snprintf(buf, len, "outbound|%u|%s|%s", s->port->number.v, subset ? subset : "",
	         s->host->s);
}

/* The endpoint's port for service port sp: its named port, targetPort, or the port. */
static uint32_t ep_port(const struct mg_workload *w, const struct mg_service_port *sp)
{
	for (size_t i = 0; sp->name.s != NULL && i < w->ports.n; i++)
		if (strcmp(w->ports.v[i].key.s, sp->name.s) == 0)
			return w->ports.v[i].val.v;
	return sp->target_port.set ? sp->target_port.v : sp->number.v;
}

static int loc_cmp(const void *x, const void *y)
{
	const struct mg_workload *a = *(const struct mg_workload *const *)x;
	const struct mg_workload *b = *(const struct mg_workload *const *)y;

	return strcmp(a->locality.s ? a->locality.s : "", b->locality.s ? b->locality.s : "");
}

static void write_locality(struct mg_jw *w, const char *loc)
{
	char buf[256], *parts[3] = {NULL, NULL, NULL}, *save = NULL;
	static const char *const keys[] = {"region", "zone", "sub_zone"};

	if (loc == NULL || *loc == '\0')
		return;
	snprintf(buf, sizeof(buf), "%s", loc);
	parts[0] = strtok_r(buf, "/", &save);
	parts[1] = parts[0] ? strtok_r(NULL, "/", &save) : NULL;
	parts[2] = parts[1] ? strtok_r(NULL, "/", &save) : NULL;
	mg_jw_obj(w, "locality");
	for (int i = 0; i < 3; i++)
		if (parts[i] != NULL)
			mg_jw_str(w, keys[i], parts[i]);
	mg_jw_end(w);
}

/* The ClusterLoadAssignment of s (subset ss or all), grouped by locality. */
static void write_cla(struct tctx *t, const struct svc *s, const struct mg_subset *ss,
                      const char *name)
{
	const struct mg_istio_config *c = t->cfg;
	const struct mg_workload **eps;
	size_t n = 0, cap = s->se->spec.n_endpoints + c->n_workload_entries;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct mg_jw w;

	eps = calloc(cap ? cap : 1, sizeof(*eps));
	if (eps == NULL) {
		t->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < s->se->spec.n_endpoints; i++)
		eps[n++] = &s->se->spec.endpoints[i];
	if (s->se->spec.workload_selector.o.set)
		for (size_t i = 0; i < c->n_workload_entries; i++) {
			const struct mg_istio_workload_entry *we = &c->workload_entries[i];

			if (strcmp(we->meta.namespace_.s, s->se->meta.namespace_.s) == 0 &&
			    labels_match(&s->se->spec.workload_selector.match_labels,
			                 &we->spec.labels))
				eps[n++] = &we->spec;
		}
	/* keep only the subset's, then group by locality (stable: input order within) */
	if (ss != NULL) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (labels_match(&ss->labels, &eps[i]->labels))
				eps[k++] = eps[i];
		n = k;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && loc_cmp(&eps[j - 1], &eps[j]) > 0; j--) {
			const struct mg_workload *tmp = eps[j];

			eps[j] = eps[j - 1];
			eps[j - 1] = tmp;
		}
	f = open_memstream(&buf, &len);
	if (f == NULL) {
		free(eps);
		t->rc = -ENOMEM;
		return;
	}
	mg_jw_init(&w, f);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "cluster_name", name);
	mg_jw_arr(&w, "endpoints");
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || loc_cmp(&eps[i - 1], &eps[i]) != 0) {
			if (i > 0) {
				mg_jw_end(&w); /* lb_endpoints */
				mg_jw_end(&w); /* the locality */
			}
			mg_jw_obj(&w, NULL);
			write_locality(&w, eps[i]->locality.s);
			mg_jw_arr(&w, "lb_endpoints");
		}
		mg_jw_obj(&w, NULL);
		mg_jw_obj(&w, "endpoint");
		mg_jw_obj(&w, "address");
		mg_jw_obj(&w, "socket_address");
		mg_jw_str(&w, "address", eps[i]->address.s);
		mg_jw_u64(&w, "port_value", ep_port(eps[i], s->port));
		mg_jw_end(&w);
		mg_jw_end(&w);
		mg_jw_end(&w);
		if (eps[i]->weight.set)
			mg_jw_u64(&w, "load_balancing_weight", eps[i]->weight.v);
		mg_jw_end(&w);
	}
	if (n > 0) {
		mg_jw_end(&w);
		mg_jw_end(&w);
	}
	mg_jw_end(&w);
	mg_jw_end(&w);
	fclose(f);
	free(eps);
	emit(t, &envoy__config__endpoint__v3__cluster_load_assignment__descriptor, buf, len,
	     (void ***)&t->out->endpoints, &t->out->n_endpoints);
}

static void write_dur(struct mg_jw *w, const char *key, uint64_t ms)
{
	mg_jw_strf(w, key, "%" PRIu64 ".%03" PRIu64 "s", ms / 1000, ms % 1000);
}

/* A cluster for s with traffic policy tp (the subset's over the rule's). */
static void write_cluster(struct tctx *t, const struct svc *s, const struct mg_subset *ss)
{
	const struct mg_traffic_policy *top = s->dr ? &s->dr->spec.traffic_policy : NULL;
	const struct mg_traffic_policy *tp =
	    ss && ss->traffic_policy.o.set ? &ss->traffic_policy : top;
	char name[512], *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct mg_jw w;

	cluster_name(name, sizeof(name), s, ss ? ss->name.s : NULL);
	f = open_memstream(&buf, &len);
	if (f == NULL) {
		t->rc = -ENOMEM;
		return;
	}
	mg_jw_init(&w, f);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "name", name);
	mg_jw_str(&w, "type", "EDS");
	mg_jw_obj(&w, "eds_cluster_config");
	mg_jw_obj(&w, "eds_config");
	mg_jw_obj(&w, "ads");
	mg_jw_end(&w);
	mg_jw_str(&w, "resource_api_version", "V3");
	mg_jw_end(&w);
	mg_jw_str(&w, "service_name", name);
	mg_jw_end(&w);
	if (tp != NULL && tp->connection_pool.tcp.connect_timeout.set)
		write_dur(&w, "connect_timeout", tp->connection_pool.tcp.connect_timeout.ms);
	else
		mg_jw_str(&w, "connect_timeout", MG_TRANSLATE_CONNECT_TIMEOUT);
	if (tp != NULL && tp->load_balancer.consistent_hash.o.set) {
		const struct mg_consistent_hash *ch = &tp->load_balancer.consistent_hash;

		if (ch->maglev.o.set) {
			mg_jw_str(&w, "lb_policy", "MAGLEV");
			if (ch->maglev.table_size.set) {
				mg_jw_obj(&w, "maglev_lb_config");
				mg_jw_u64(&w, "table_size", ch->maglev.table_size.v);
				mg_jw_end(&w);
			}
		} else {
			mg_jw_str(&w, "lb_policy", "RING_HASH");
			if (ch->ring_hash.minimum_ring_size.set) {
				mg_jw_obj(&w, "ring_hash_lb_config");
				mg_jw_u64(&w, "minimum_ring_size",
				          ch->ring_hash.minimum_ring_size.v);
				mg_jw_end(&w);
			}
		}
	} else {
		int simple = tp != NULL && tp->load_balancer.simple.set ? tp->load_balancer.simple.v
		                                                        : MG_LB_UNSPECIFIED;

		/* Istio's default is LEAST_REQUEST; LEAST_CONN is its old name. */
		mg_jw_str(&w, "lb_policy",
		          simple == MG_LB_ROUND_ROBIN ? "ROUND_ROBIN"
		          : simple == MG_LB_RANDOM    ? "RANDOM"
		                                      : "LEAST_REQUEST");
	}
	if (tp != NULL && tp->connection_pool.o.set) {
		const struct mg_conn_pool *cp = &tp->connection_pool;

		if (cp->tcp.max_connections.set || cp->http.http1_max_pending_requests.set ||
		    cp->http.http2_max_requests.set || cp->http.max_retries.set) {
			mg_jw_obj(&w, "circuit_breakers");
			mg_jw_arr(&w, "thresholds");
			mg_jw_obj(&w, NULL);
			if (cp->tcp.max_connections.set)
				mg_jw_u64(&w, "max_connections", cp->tcp.max_connections.v);
			if (cp->http.http1_max_pending_requests.set)
				mg_jw_u64(&w, "max_pending_requests",
				          cp->http.http1_max_pending_requests.v);
			if (cp->http.http2_max_requests.set)
				mg_jw_u64(&w, "max_requests", cp->http.http2_max_requests.v);
			if (cp->http.max_retries.set)
				mg_jw_u64(&w, "max_retries", cp->http.max_retries.v);
			mg_jw_end(&w);
			mg_jw_end(&w);
			mg_jw_end(&w);
		}
		if (cp->http.max_requests_per_connection.set || cp->http.idle_timeout.set)
			mg_diag_add(
			    t->d, MG_DIAG_WARNING, &cp->http.o.pos,
			    "connectionPool.http maxRequestsPerConnection and idleTimeout are "
			    "not applied yet");
	}
	if (tp != NULL && tp->outlier_detection.o.set) {
		const struct mg_outlier *od = &tp->outlier_detection;

		mg_jw_obj(&w, "outlier_detection");
		if (od->consecutive_5xx_errors.set)
			mg_jw_u64(&w, "consecutive_5xx", od->consecutive_5xx_errors.v);
		if (od->consecutive_gateway_errors.set)
			mg_jw_u64(&w, "consecutive_gateway_failure",
			          od->consecutive_gateway_errors.v);
		if (od->interval.set)
			write_dur(&w, "interval", od->interval.ms);
		if (od->base_ejection_time.set)
			write_dur(&w, "base_ejection_time", od->base_ejection_time.ms);
		if (od->max_ejection_percent.set)
			mg_jw_u64(&w, "max_ejection_percent", od->max_ejection_percent.v);
		mg_jw_end(&w);
	}
	if (tp != NULL && tp->tls.o.set)
		mg_diag_add(t->d, MG_DIAG_WARNING, &tp->tls.o.pos,
		            "trafficPolicy.tls is not applied yet (TLS to upstreams comes later)");
	if (tp != NULL && tp->load_balancer.locality_lb_setting.o.set)
		mg_diag_add(t->d, MG_DIAG_WARNING, &tp->load_balancer.locality_lb_setting.o.pos,
		            "localityLbSetting is not applied yet");
	mg_jw_end(&w);
	fclose(f);
	emit(t, &envoy__config__cluster__v3__cluster__descriptor, buf, len,
	     (void ***)&t->out->clusters, &t->out->n_clusters);
	if (t->rc == 0)
		write_cla(t, s, ss, name);
}

static void write_clusters(struct tctx *t)
{
	for (size_t i = 0; i < t->n_svcs && t->rc == 0; i++) {
		const struct svc *s = &t->svcs[i];

		if (s->se->spec.resolution.set &&
		    s->se->spec.resolution.v != MG_SE_RESOLVE_STATIC) {
			mg_diag_add(
			    t->d, MG_DIAG_WARNING, &s->se->spec.resolution.pos,
			    "ServiceEntry %s: only resolution STATIC is translated; host %s gets "
			    "no cluster",
			    s->se->meta.name.s, s->host->s);
			continue;
		}
		write_cluster(t, s, NULL);
		for (size_t k = 0; s->dr != NULL && k < s->dr->spec.n_subsets && t->rc == 0; k++)
			write_cluster(t, s, &s->dr->spec.subsets[k]);
	}
}

/* ------------------------------------------------------------------ */
/* Gateways and listeners                                              */

static void collect_ports(struct tctx *t)
{
	const struct mg_istio_config *c = t->cfg;

	for (size_t i = 0; i < c->n_gateways; i++) {
		const struct mg_istio_gateway *g = &c->gateways[i];

		for (size_t k = 0; k < g->spec.n_servers; k++) {
			const struct mg_gw_server *s = &g->spec.servers[k];
			const char *proto = s->port.protocol.s ? s->port.protocol.s : "";
			bool tcp = strcasecmp(proto, "TCP") == 0;
			struct gw_port *p = NULL;

			if (strcasecmp(proto, "HTTPS") == 0 || strcasecmp(proto, "TLS") == 0 ||
			    strcasecmp(proto, "GRPC") == 0) {
				mg_diag_add(
				    t->d, MG_DIAG_WARNING, &s->port.protocol.pos,
				    "Gateway %s: %s servers are not served yet (port %u left out)",
				    g->meta.name.s, proto, s->port.number.v);
				continue;
			}
			if (strcasecmp(proto, "HTTP2") == 0)
				mg_diag_add(
				    t->d, MG_DIAG_WARNING, &s->port.protocol.pos,
				    "Gateway %s: HTTP2 is served as HTTP/1.1 until HTTP/2 exists",
				    g->meta.name.s);
			for (size_t j = 0; j < t->n_ports; j++)
				if (t->ports[j].number == s->port.number.v)
					p = &t->ports[j];
			if (p == NULL) {
				struct gw_port *v =
				    realloc(t->ports, (t->n_ports + 1) * sizeof(*v));

				if (v == NULL) {
					t->rc = -ENOMEM;
					return;
				}
				t->ports = v;
				p = &t->ports[t->n_ports++];
				memset(p, 0, sizeof(*p));
				p->number = s->port.number.v;
				p->tcp = tcp;
			} else if (p->tcp != tcp) {
				mg_diag_add(
				    t->d, MG_DIAG_ERROR, &s->port.protocol.pos,
				    "Gateway %s: port %u is both TCP and HTTP across servers",
				    g->meta.name.s, p->number);
				continue;
			}
			if (p->n_servers < sizeof(p->servers) / sizeof(p->servers[0])) {
				p->servers[p->n_servers].g = g;
				p->servers[p->n_servers++].s = s;
			}
		}
	}
}

/* Is the VirtualService bound to gateway g (spec.gateways: "name" or "ns/name")? */
static bool vs_binds(const struct mg_istio_virtual_service *vs, const struct mg_strlist *gws,
                     const struct mg_istio_gateway *g)
{
	for (size_t i = 0; i < gws->n; i++) {
		const char *r = gws->v[i].s, *slash = strchr(r, '/');

		if (slash == NULL
		        ? strcmp(vs->meta.namespace_.s, g->meta.namespace_.s) == 0 &&
		              strcmp(r, g->meta.name.s) == 0
		        : (size_t)(slash - r) == g->meta.namespace_.len &&
		              strncmp(r, g->meta.namespace_.s, g->meta.namespace_.len) == 0 &&
		              strcmp(slash + 1, g->meta.name.s) == 0)
			return true;
	}
	return false;
}

/* Does server s of gateway g accept VirtualService host h of vs? */
static bool server_accepts(const struct mg_istio_gateway *g, const struct mg_gw_server *s,
                           const struct mg_istio_virtual_service *vs, const char *h)
{
	for (size_t i = 0; i < s->hosts.n; i++) {
		const char *sh = s->hosts.v[i].s, *slash = strchr(sh, '/'), *dns = sh;
		size_t hl = strlen(h), dl;

		if (slash != NULL) {
			size_t nl = (size_t)(slash - sh);

			dns = slash + 1;
			if (nl == 1 && sh[0] == '~')
				continue;
			if (nl == 1 && sh[0] == '.' &&
			    strcmp(g->meta.namespace_.s, vs->meta.namespace_.s) != 0)
				continue;
			if (!(nl == 1 && (sh[0] == '*' || sh[0] == '.')) &&
			    !(nl == vs->meta.namespace_.len &&
			      strncmp(sh, vs->meta.namespace_.s, nl) == 0))
				continue;
		}
		dl = strlen(dns);
		if (strcmp(dns, "*") == 0 || strcasecmp(dns, h) == 0)
			return true;
		if (dns[0] == '*' && hl > dl - 1 && strcasecmp(h + hl - (dl - 1), dns + 1) == 0)
			return true;
	}
	return false;
}

static void write_listener(struct tctx *t, const struct gw_port *p, const char *tcp_cluster,
                           const struct mg_tcp_route *tr, const struct mg_istio_virtual_service *vs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct mg_jw w;

	if (f == NULL) {
		t->rc = -ENOMEM;
		return;
	}
	mg_jw_init(&w, f);
	mg_jw_obj(&w, NULL);
	mg_jw_strf(&w, "name", "0.0.0.0_%u", p->number);
	mg_jw_obj(&w, "address");
	mg_jw_obj(&w, "socket_address");
	mg_jw_str(&w, "address", "0.0.0.0");
	mg_jw_u64(&w, "port_value", p->number);
	mg_jw_end(&w);
	mg_jw_end(&w);
	mg_jw_arr(&w, "filter_chains");
	mg_jw_obj(&w, NULL);
	mg_jw_arr(&w, "filters");
	mg_jw_obj(&w, NULL);
	if (!p->tcp) {
		mg_jw_str(&w, "name", "envoy.filters.network.http_connection_manager");
		mg_jw_obj(&w, "typed_config");
		mg_jw_str(&w, "@type", HCM_URL);
		mg_jw_strf(&w, "stat_prefix", "outbound_0.0.0.0_%u", p->number);
		mg_jw_obj(&w, "rds");
		mg_jw_obj(&w, "config_source");
		mg_jw_obj(&w, "ads");
		mg_jw_end(&w);
		mg_jw_str(&w, "resource_api_version", "V3");
		mg_jw_end(&w);
		mg_jw_strf(&w, "route_config_name", "http.%u", p->number);
		mg_jw_end(&w);
		mg_jw_arr(&w, "http_filters");
		mg_jw_obj(&w, NULL);
		mg_jw_str(&w, "name", "envoy.filters.http.router");
		mg_jw_obj(&w, "typed_config");
		mg_jw_str(&w, "@type", ROUTER_URL);
		mg_jw_end(&w);
		mg_jw_end(&w);
		mg_jw_end(&w);
		/* Istio's gateways trust the connection's address for X-Forwarded-For. */
		mg_jw_bool(&w, "use_remote_address", true);
		mg_jw_end(&w);
	} else {
		mg_jw_str(&w, "name", "envoy.filters.network.tcp_proxy");
		mg_jw_obj(&w, "typed_config");
		mg_jw_str(&w, "@type", TCP_PROXY_URL);
		mg_jw_strf(&w, "stat_prefix", "outbound_0.0.0.0_%u", p->number);
		if (tcp_cluster != NULL) {
			mg_jw_str(&w, "cluster", tcp_cluster);
		} else {
			mg_jw_obj(&w, "weighted_clusters");
			mg_jw_arr(&w, "clusters");
			for (size_t i = 0; i < tr->n_route; i++) {
				char name[512];

				dest_svc(t, &tr->route[i].destination, vs->meta.namespace_.s, name,
				         sizeof(name));
				mg_jw_obj(&w, NULL);
				mg_jw_str(&w, "name", name);
				mg_jw_u64(&w, "weight",
				          tr->route[i].weight.set ? tr->route[i].weight.v : 0);
				mg_jw_end(&w);
			}
			mg_jw_end(&w);
			mg_jw_end(&w);
		}
		mg_jw_end(&w);
	}
	mg_jw_end(&w);
	mg_jw_end(&w);
	mg_jw_end(&w);
	mg_jw_end(&w);
	mg_jw_end(&w);
	fclose(f);
	emit(t, &envoy__config__listener__v3__listener__descriptor, buf, len,
	     (void ***)&t->out->listeners, &t->out->n_listeners);
}

/* ------------------------------------------------------------------ */
/* VirtualServices → routes                                            */

static void write_match_string(struct mg_jw *w, const struct mg_strmatch *m)
{
	mg_jw_obj(w, "string_match");
	if (m->exact.s != NULL)
		mg_jw_str(w, "exact", m->exact.s);
	else if (m->prefix.s != NULL)
		mg_jw_str(w, "prefix", m->prefix.s);
	else if (m->regex.s != NULL) {
		mg_jw_obj(w, "safe_regex");
		mg_jw_str(w, "regex", m->regex.s);
		mg_jw_end(w);
	}
	mg_jw_end(w);
}

static void write_header_match(struct mg_jw *w, const char *name, const struct mg_strmatch *m)
{
	mg_jw_obj(w, NULL);
	mg_jw_str(w, "name", name);
	if (m->exact.s == NULL && m->prefix.s == NULL && m->regex.s == NULL)
		mg_jw_bool(w, "present_match", true);
	else
		write_match_string(w, m);
	mg_jw_end(w);
}

static void write_match(struct mg_jw *w, const struct mg_http_match *m)
{
	mg_jw_obj(w, "match");
	if (m == NULL || (!m->uri.exact.s && !m->uri.prefix.s && !m->uri.regex.s)) {
		mg_jw_str(w, "prefix", "/");
	} else if (m->uri.exact.s != NULL) {
		mg_jw_str(w, "path", m->uri.exact.s);
	} else if (m->uri.prefix.s != NULL) {
		mg_jw_str(w, "prefix", m->uri.prefix.s);
	} else {
		mg_jw_obj(w, "safe_regex");
		mg_jw_str(w, "regex", m->uri.regex.s);
		mg_jw_end(w);
	}
	if (m != NULL && m->ignore_uri_case.set && m->ignore_uri_case.v)
		mg_jw_bool(w, "case_sensitive", false);
	if (m != NULL &&
	    (m->n_headers > 0 || m->method.o.set || m->authority.o.set || m->scheme.o.set)) {
		mg_jw_arr(w, "headers");
		if (m->method.o.set)
			write_header_match(w, ":method", &m->method);
		if (m->authority.o.set)
			write_header_match(w, ":authority", &m->authority);
		if (m->scheme.o.set)
			write_header_match(w, ":scheme", &m->scheme);
		for (size_t i = 0; i < m->n_headers; i++)
			write_header_match(w, m->headers[i].name.s, &m->headers[i].m);
		mg_jw_end(w);
	}
	if (m != NULL && m->n_query_params > 0) {
		mg_jw_arr(w, "query_parameters");
		for (size_t i = 0; i < m->n_query_params; i++) {
			const struct mg_strmatch *q = &m->query_params[i].m;

			mg_jw_obj(w, NULL);
			mg_jw_str(w, "name", m->query_params[i].name.s);
			if (q->exact.s != NULL && q->exact.s[0] == '\0')
				mg_jw_bool(w, "present_match",
				           true); /* Istio: exact "" is presence */
			else
				write_match_string(w, q);
			mg_jw_end(w);
		}
		mg_jw_end(w);
	}
	mg_jw_end(w);
}

static void write_header_ops(struct mg_jw *w, const struct mg_header_ops *o, const char *add_key,
                             const char *rm_key)
{
	if (o->set.n + o->add.n > 0) {
		mg_jw_arr(w, add_key);
		for (int pass = 0; pass < 2; pass++) {
			const struct mg_strmap *m = pass == 0 ? &o->set : &o->add;

			for (size_t i = 0; i < m->n; i++) {
				mg_jw_obj(w, NULL);
				mg_jw_obj(w, "header");
				mg_jw_str(w, "key", m->v[i].key.s);
				mg_jw_str(w, "value", m->v[i].val.s);
				mg_jw_end(w);
				mg_jw_str(w, "append_action",
				          pass == 0 ? "OVERWRITE_IF_EXISTS_OR_ADD"
				                    : "APPEND_IF_EXISTS_OR_ADD");
				mg_jw_end(w);
			}
		}
		mg_jw_end(w);
	}
	if (o->remove.n > 0) {
		mg_jw_arr(w, rm_key);
		for (size_t i = 0; i < o->remove.n; i++)
			mg_jw_str(w, NULL, o->remove.v[i].s);
		mg_jw_end(w);
	}
}

static void write_headers(struct mg_jw *w, const struct mg_headers *h)
{
	write_header_ops(w, &h->request, "request_headers_to_add", "request_headers_to_remove");
	write_header_ops(w, &h->response, "response_headers_to_add", "response_headers_to_remove");
}

/* The cluster of destination d, or NULL with an error at d. */
static const struct svc *dest_svc(struct tctx *t, const struct mg_destination *d, const char *ns,
                                  char *name, size_t len)
{
	char buf[300];
	bool amb;
	const struct svc *s = find_svc(t, fqdn(buf, sizeof(buf), d->host.s, ns),
	                               d->port.number.set ? d->port.number.v : 0, &amb);

	if (s == NULL) {
		mg_diag_add(t->d, MG_DIAG_ERROR, &d->host.pos,
		            amb ? "destination %s: the host has several ports; set port.number"
		                : "destination %s%s%.0u: no ServiceEntry defines this host%s",
		            d->host.s, amb ? "" : (d->port.number.set ? " port " : ""),
		            amb ? 0 : d->port.number.v, amb ? "" : " and port");
		return NULL;
	}
	if (d->subset.s != NULL && find_subset(s, d->subset.s) == NULL) {
		mg_diag_add(t->d, MG_DIAG_ERROR, &d->subset.pos,
		            "destination %s: no DestinationRule defines subset %s", d->host.s,
		            d->subset.s);
		return NULL;
	}
	cluster_name(name, len, s, d->subset.s);
	return s;
}

/* The route's hash policy: the destination's consistentHash (its subset's, else its rule's). */
static void write_hash_policy(struct mg_jw *w, const struct svc *s, const char *subset)
{
	const struct mg_subset *ss = s != NULL && subset != NULL ? find_subset(s, subset) : NULL;
	const struct mg_traffic_policy *tp;
	const struct mg_consistent_hash *ch;

	if (s == NULL || s->dr == NULL)
		return;
	tp = ss != NULL && ss->traffic_policy.o.set ? &ss->traffic_policy
	                                            : &s->dr->spec.traffic_policy;
	if (!tp->load_balancer.consistent_hash.o.set)
		return;
	ch = &tp->load_balancer.consistent_hash;
	mg_jw_arr(w, "hash_policy");
	mg_jw_obj(w, NULL);
	if (ch->http_header_name.s != NULL) {
		mg_jw_obj(w, "header");
		mg_jw_str(w, "header_name", ch->http_header_name.s);
		mg_jw_end(w);
	} else if (ch->http_cookie.o.set) {
		mg_jw_obj(w, "cookie");
		mg_jw_str(w, "name", ch->http_cookie.name.s);
		if (ch->http_cookie.path.s != NULL)
			mg_jw_str(w, "path", ch->http_cookie.path.s);
		if (ch->http_cookie.ttl.set)
			write_dur(w, "ttl", ch->http_cookie.ttl.ms);
		mg_jw_end(w);
	} else {
		mg_jw_obj(w, "connection_properties");
		mg_jw_bool(w, "source_ip", true);
		mg_jw_end(w);
	}
	mg_jw_end(w);
	mg_jw_end(w);
}

/* The route action of r; false when a destination cannot be resolved. */
static bool write_action(struct tctx *t, struct mg_jw *w, const struct mg_http_route *r,
                         const char *ns)
{
	static const char *const codes[] = {"MOVED_PERMANENTLY", "FOUND", "SEE_OTHER",
	                                    "TEMPORARY_REDIRECT", "PERMANENT_REDIRECT"};
	char name[512];
	const struct svc *first = NULL;

	if (r->redirect.o.set) {
		const struct mg_http_redirect *rd = &r->redirect;
		uint32_t code = rd->redirect_code.set ? rd->redirect_code.v : 301;

		mg_jw_obj(w, "redirect");
		if (rd->uri.s != NULL)
			mg_jw_str(w, "path_redirect", rd->uri.s);
		if (rd->authority.s != NULL)
			mg_jw_str(w, "host_redirect", rd->authority.s);
		if (rd->scheme.s != NULL)
			mg_jw_str(w, "scheme_redirect", rd->scheme.s);
		if (rd->port.set)
			mg_jw_u64(w, "port_redirect", rd->port.v);
		mg_jw_str(w, "response_code",
		          code == 302   ? codes[1]
		          : code == 303 ? codes[2]
		          : code == 307 ? codes[3]
		          : code == 308 ? codes[4]
		                        : codes[0]);
		mg_jw_end(w);
		return true;
	}
	/* Resolve every destination before writing anything. */
	for (size_t i = 0; i < r->n_route; i++) {
		const struct svc *s = dest_svc(t, &r->route[i].destination, ns, name, sizeof(name));

		if (s == NULL)
			return false;
		if (i == 0)
			first = s;
	}
	mg_jw_obj(w, "route");
	if (r->n_route == 1) {
		dest_svc(t, &r->route[0].destination, ns, name, sizeof(name));
		mg_jw_str(w, "cluster", name);
	} else {
		mg_jw_obj(w, "weighted_clusters");
		mg_jw_arr(w, "clusters");
		for (size_t i = 0; i < r->n_route; i++) {
			dest_svc(t, &r->route[i].destination, ns, name, sizeof(name));
			mg_jw_obj(w, NULL);
			mg_jw_str(w, "name", name);
			mg_jw_u64(w, "weight", r->route[i].weight.set ? r->route[i].weight.v : 0);
			write_headers(w, &r->route[i].headers);
			mg_jw_end(w);
		}
		mg_jw_end(w);
		mg_jw_end(w);
	}
	if (r->rewrite.uri.s != NULL)
		mg_jw_str(w, "prefix_rewrite", r->rewrite.uri.s);
	if (r->rewrite.authority.s != NULL)
		mg_jw_str(w, "host_rewrite_literal", r->rewrite.authority.s);
	/* Istio's routes have no timeout unless the VirtualService sets one. */
	write_dur(w, "timeout", r->timeout.set ? r->timeout.ms : 0);
	if (r->retries.o.set && r->retries.attempts.set && r->retries.attempts.v > 0) {
		mg_jw_obj(w, "retry_policy");
		mg_jw_str(w, "retry_on",
		          r->retries.retry_on.s ? r->retries.retry_on.s : ISTIO_RETRY_ON);
		mg_jw_u64(w, "num_retries", r->retries.attempts.v);
		if (r->retries.per_try_timeout.set)
			write_dur(w, "per_try_timeout", r->retries.per_try_timeout.ms);
		mg_jw_end(w);
	}
	if (r->mirror.o.set) {
		const struct svc *ms = dest_svc(t, &r->mirror, ns, name, sizeof(name));
		double pct = r->mirror_percentage.o.set ? r->mirror_percentage.value.v : 100.0;

		if (ms != NULL) {
			mg_jw_arr(w, "request_mirror_policies");
			mg_jw_obj(w, NULL);
			mg_jw_str(w, "cluster", name);
			mg_jw_obj(w, "runtime_fraction");
			mg_jw_obj(w, "default_value");
			mg_jw_u64(w, "numerator", (uint64_t)(pct * 10000.0 + 0.5));
			mg_jw_str(w, "denominator", "MILLION");
			mg_jw_end(w);
			mg_jw_end(w);
			mg_jw_end(w);
			mg_jw_end(w);
		}
	}
	write_hash_policy(w, first, r->route[0].destination.subset.s);
	mg_jw_end(w);
	return true;
}

/* Does match m apply on port p of gateway g? */
static bool match_applies(const struct mg_http_match *m, uint32_t p,
                          const struct mg_istio_virtual_service *vs,
                          const struct mg_istio_gateway *g)
{
	if (m == NULL)
		return true;
	if (m->port.set && m->port.v != p)
		return false;
	return m->gateways.n == 0 || vs_binds(vs, &m->gateways, g);
}

/* The routes of one VirtualService host on port p, into the open "routes" array. */
static void write_vs_routes(struct tctx *t, struct mg_jw *w,
                            const struct mg_istio_virtual_service *vs,
                            const struct mg_istio_gateway *g, uint32_t p)
{
	for (size_t i = 0; i < vs->spec.n_http; i++) {
		const struct mg_http_route *r = &vs->spec.http[i];
		size_t n = r->n_match ? r->n_match : 1;

		if (r->fault.o.set)
			mg_diag_add(t->d, MG_DIAG_WARNING, &r->fault.o.pos,
			            "VirtualService %s: fault injection is not applied yet",
			            vs->meta.name.s);
		for (size_t k = 0; k < n; k++) {
			const struct mg_http_match *m = r->n_match ? &r->match[k] : NULL;
			char *buf = NULL;
			size_t len = 0;
			FILE *f;
			struct mg_jw rw;
			bool ok;

			if (!match_applies(m, p, vs, g))
				continue;
			/* Write the route aside: a destination that does not resolve drops it
			 * whole. */
			f = open_memstream(&buf, &len);
			if (f == NULL) {
				t->rc = -ENOMEM;
				return;
			}
			mg_jw_init(&rw, f);
			mg_jw_obj(&rw, NULL);
			if (r->name.s != NULL)
				mg_jw_str(&rw, "name", r->name.s);
			else
				mg_jw_strf(&rw, "name", "%s.%s.%zu", vs->meta.namespace_.s,
				           vs->meta.name.s, i);
			write_match(&rw, m);
			ok = write_action(t, &rw, r, vs->meta.namespace_.s);
			write_headers(&rw, &r->headers);
			mg_jw_end(&rw);
			fclose(f);
			if (ok && buf != NULL) {
				/* splice the finished object into the outer array */
				if (!w->first[w->depth])
					fputc(',', w->f);
				w->first[w->depth] = false;
				fwrite(buf, 1, len, w->f);
			}
			free(buf);
		}
	}
}

struct vhost_ref {
	const struct mg_istio_virtual_service *vs;
	const struct mg_istio_gateway *g;
	const struct mg_str *host;
};

static int vhost_cmp(const void *x, const void *y)
{
	return strcmp(((const struct vhost_ref *)x)->host->s,
	              ((const struct vhost_ref *)y)->host->s);
}

static void write_route_config(struct tctx *t, const struct gw_port *p)
{
	const struct mg_istio_config *c = t->cfg;
	struct vhost_ref *v = NULL;
	size_t n = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct mg_jw w;

	for (size_t i = 0; i < c->n_virtual_services; i++) {
		const struct mg_istio_virtual_service *vs = &c->virtual_services[i];

		if (vs->spec.n_http == 0)
			continue; /* TCP routes only: no virtual host */
		for (size_t h = 0; h < vs->spec.hosts.n; h++)
			for (size_t k = 0; k < p->n_servers; k++) {
				const struct mg_istio_gateway *g = p->servers[k].g;
				bool dup = false;

				if (!vs_binds(vs, &vs->spec.gateways, g) ||
				    !server_accepts(g, p->servers[k].s, vs, vs->spec.hosts.v[h].s))
					continue;
				for (size_t j = 0; j < n; j++)
					if (strcasecmp(v[j].host->s, vs->spec.hosts.v[h].s) == 0)
						dup = true;
				if (dup) {
					if (v[n - 1].vs != vs)
						mg_diag_add(t->d, MG_DIAG_ERROR,
						            &vs->spec.hosts.v[h].pos,
						            "VirtualService %s: host %s on port %u "
						            "is already "
						            "routed by another VirtualService",
						            vs->meta.name.s, vs->spec.hosts.v[h].s,
						            p->number);
					break;
				}
				{
					struct vhost_ref *nv = realloc(v, (n + 1) * sizeof(*v));

					if (nv == NULL) {
						free(v);
						t->rc = -ENOMEM;
						return;
					}
					v = nv;
				}
				v[n++] = (struct vhost_ref){vs, g, &vs->spec.hosts.v[h]};
				break;
			}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), vhost_cmp);
	f = open_memstream(&buf, &len);
	if (f == NULL) {
		free(v);
		t->rc = -ENOMEM;
		return;
	}
	mg_jw_init(&w, f);
	mg_jw_obj(&w, NULL);
	mg_jw_strf(&w, "name", "http.%u", p->number);
	mg_jw_arr(&w, "virtual_hosts");
	for (size_t i = 0; i < n; i++) {
		mg_jw_obj(&w, NULL);
		mg_jw_strf(&w, "name", "%s:%u", v[i].host->s, p->number);
		mg_jw_arr(&w, "domains");
		mg_jw_str(&w, NULL, v[i].host->s);
		mg_jw_strf(&w, NULL, "%s:%u", v[i].host->s, p->number);
		mg_jw_end(&w);
		mg_jw_arr(&w, "routes");
		write_vs_routes(t, &w, v[i].vs, v[i].g, p->number);
		mg_jw_end(&w);
		mg_jw_end(&w);
	}
	mg_jw_end(&w);
	mg_jw_end(&w);
	fclose(f);
	free(v);
	emit(t, &envoy__config__route__v3__route_configuration__descriptor, buf, len,
	     (void ***)&t->out->routes, &t->out->n_routes);
}

/* A TCP port: the one TCP route bound to it becomes the proxy's destination. */
static void write_tcp_port(struct tctx *t, const struct gw_port *p)
{
	const struct mg_istio_config *c = t->cfg;
	const struct mg_tcp_route *found = NULL;
	const struct mg_istio_virtual_service *fvs = NULL;

	for (size_t i = 0; i < c->n_virtual_services; i++) {
		const struct mg_istio_virtual_service *vs = &c->virtual_services[i];

		for (size_t r = 0; r < vs->spec.n_tcp; r++) {
			const struct mg_tcp_route *tr = &vs->spec.tcp[r];
			bool on_port = tr->n_match == 0;

			for (size_t m = 0; m < tr->n_match; m++)
				if (!tr->match[m].port.set || tr->match[m].port.v == p->number)
					on_port = true;
			for (size_t k = 0; on_port && k < p->n_servers; k++)
				if (vs_binds(vs, &vs->spec.gateways, p->servers[k].g)) {
					if (found != NULL && found != tr)
						mg_diag_add(
						    t->d, MG_DIAG_ERROR, &tr->o.pos,
						    "VirtualService %s: TCP port %u already has a "
						    "route (VirtualService %s)",
						    vs->meta.name.s, p->number, fvs->meta.name.s);
					else {
						found = tr;
						fvs = vs;
					}
					break;
				}
		}
	}
	if (found == NULL) {
		mg_diag_add(t->d, MG_DIAG_WARNING, &p->servers[0].s->port.o.pos,
		            "TCP port %u has no VirtualService tcp route: no listener", p->number);
		return;
	}
	for (size_t i = 0; i < found->n_route; i++) {
		char name[512];

		if (dest_svc(t, &found->route[i].destination, fvs->meta.namespace_.s, name,
		             sizeof(name)) == NULL)
			return;
		if (found->n_route == 1) {
			write_listener(t, p, name, found, fvs);
			return;
		}
	}
	write_listener(t, p, NULL, found, fvs);
}

/* ------------------------------------------------------------------ */
/* The whole translation                                               */

static int name_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

#define SORT_BY(arr, n, type, field)                                                         \
	do {                                                                                 \
		for (size_t i_ = 1; i_ < (n); i_++)                                          \
			for (size_t j_ = i_;                                                 \
			     j_ > 0 && name_cmp((arr)[j_ - 1]->field, (arr)[j_]->field) > 0; \
			     j_--) {                                                         \
				type *tmp_ = (arr)[j_];                                      \
				(arr)[j_] = (arr)[j_ - 1];                                   \
				(arr)[j_ - 1] = tmp_;                                        \
			}                                                                    \
	} while (0)

int mg_translate(const struct mg_istio_config *cfg, struct mg_xds_resources *out, struct mg_diag *d)
{
	struct tctx t = {.cfg = cfg, .d = d, .out = out};

	memset(out, 0, sizeof(*out));
	t.rc = collect_services(&t);
	if (t.rc == 0)
		collect_ports(&t);
	for (size_t i = 0; t.rc == 0 && i < t.n_ports; i++) {
		if (t.ports[i].tcp) {
			write_tcp_port(&t, &t.ports[i]);
		} else {
			write_listener(&t, &t.ports[i], NULL, NULL, NULL);
			write_route_config(&t, &t.ports[i]);
		}
	}
	if (t.rc == 0)
		write_clusters(&t);
	free(t.svcs);
	free(t.ports);
	if (t.rc < 0) {
		mg_xds_resources_free(out);
		return t.rc;
	}
	SORT_BY(out->listeners, out->n_listeners, Envoy__Config__Listener__V3__Listener, name);
	SORT_BY(out->routes, out->n_routes, Envoy__Config__Route__V3__RouteConfiguration, name);
	SORT_BY(out->clusters, out->n_clusters, Envoy__Config__Cluster__V3__Cluster, name);
	SORT_BY(out->endpoints, out->n_endpoints,
	        Envoy__Config__Endpoint__V3__ClusterLoadAssignment, cluster_name);
	return 0;
}

void mg_xds_resources_free(struct mg_xds_resources *r)
{
	for (size_t i = 0; i < r->n_listeners; i++)
		mg_xds_free(&r->listeners[i]->base);
	for (size_t i = 0; i < r->n_routes; i++)
		mg_xds_free(&r->routes[i]->base);
	for (size_t i = 0; i < r->n_clusters; i++)
		mg_xds_free(&r->clusters[i]->base);
	for (size_t i = 0; i < r->n_endpoints; i++)
		mg_xds_free(&r->endpoints[i]->base);
	free(r->listeners);
	free(r->routes);
	free(r->clusters);
	free(r->endpoints);
	memset(r, 0, sizeof(*r));
}

static void print_list(FILE *f, const char *key, void **v, size_t n, bool *first)
{
	fprintf(f, "%s  \"%s\": [", *first ? "" : ",\n", key);
	*first = false;
	for (size_t i = 0; i < n; i++) {
		char *s = mg_xds_to_json(v[i], true);
		size_t len = s ? strlen(s) : 0;

		if (s == NULL)
			continue;
		if (len > 0 && s[len - 1] == '\n')
			s[len - 1] = '\0';
		fprintf(f, "%s\n%s", i ? "," : "", s);
		free(s);
	}
	fputs(n ? "\n  ]" : "]", f);
}

int mg_xds_resources_print(const struct mg_xds_resources *r, FILE *f)
{
	bool first = true;

	fputs("{\n", f);
	print_list(f, "listeners", (void **)r->listeners, r->n_listeners, &first);
	print_list(f, "routes", (void **)r->routes, r->n_routes, &first);
	print_list(f, "clusters", (void **)r->clusters, r->n_clusters, &first);
	print_list(f, "endpoints", (void **)r->endpoints, r->n_endpoints, &first);
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
