/*
 * istio_validate.c — the validator's entry point, networking kinds and the
 * checks across resources (see istio_validate.h).  Security kinds,
 * ServiceEntry and WorkloadEntry are in istio_validate_sec.c, value syntax
 * in istio_check.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctrl/istio_load.h"
#include "ctrl/istio_validate.h"
#include "ctrl/istio_validate_pvt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Names and lookups                                                   */

void fqdn(const char *host, const char *ns, char *out, size_t len)
{
	if (strchr(host, '.') != NULL || strcmp(host, "*") == 0)
		snprintf(out, len, "%s", host);
	else
		snprintf(out, len, "%s.%s.svc.cluster.local", host, ns);
}

/* Does pattern (a host, maybe "*" or "*.suffix") cover host? */
static bool host_matches(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);

	if (strcmp(pattern, "*") == 0 || strcasecmp(pattern, host) == 0)
		return true;
	return pattern[0] == '*' && hl > pl - 1 &&
	       strcasecmp(host + hl - (pl - 1), pattern + 1) == 0;
}

static bool str_eq(const struct mg_str *a, const char *b, size_t blen)
{
	return a->len == blen && memcmp(a->s, b, blen) == 0;
}

/* ref is "name" (in vs_ns) or "namespace/name". */
const struct mg_istio_gateway *find_gateway(const struct mg_istio_config *cfg, const char *ref,
                                            const char *vs_ns)
{
	const char *slash = strchr(ref, '/');
	const char *ns = slash ? ref : vs_ns, *name = slash ? slash + 1 : ref;
	size_t nslen = slash ? (size_t)(slash - ref) : strlen(vs_ns);
	size_t i;

	for (i = 0; i < cfg->n_gateways; i++) {
		const struct mg_istio_meta *m = &cfg->gateways[i].meta;

		if (str_eq(&m->namespace_, ns, nslen) && strcmp(m->name.s, name) == 0)
			return &cfg->gateways[i];
	}
	return NULL;
}

/* The DestinationRule for host (as written in namespace ns): exact first, then wildcard. */
static const struct mg_istio_destination_rule *find_dr(const struct mg_istio_config *cfg,
                                                       const char *host, const char *ns)
{
	const struct mg_istio_destination_rule *wild = NULL;
	char want[300], have[300];
	size_t i;

	fqdn(host, ns, want, sizeof(want));
	for (i = 0; i < cfg->n_destination_rules; i++) {
		const struct mg_istio_destination_rule *dr = &cfg->destination_rules[i];

		if (dr->spec.host.s == NULL)
			continue;
		fqdn(dr->spec.host.s, dr->meta.namespace_.s, have, sizeof(have));
		if (strcasecmp(have, want) == 0)
			return dr;
		if (wild == NULL && have[0] == '*' && host_matches(have, want))
			wild = dr;
	}
	return wild;
}

static bool se_defines(const struct mg_istio_config *cfg, const char *host, const char *ns)
{
	char want[300], have[300];
	size_t i, j;

	fqdn(host, ns, want, sizeof(want));
	for (i = 0; i < cfg->n_service_entries; i++) {
		const struct mg_istio_service_entry *se = &cfg->service_entries[i];

		for (j = 0; j < se->spec.hosts.n; j++) {
			const char *h = se->spec.hosts.v[j].s;

			fqdn(h, se->meta.namespace_.s, have, sizeof(have));
			if (host_matches(h, host) || host_matches(have, want))
				return true;
		}
	}
	return false;
}

/* metadata.name: a DNS-1123 subdomain; metadata.namespace: a DNS-1123 label. */
static void check_meta(struct vctx *v, const struct mg_istio_meta *m)
{
	if (m->name.len == 0)
		return; /* already reported as missing */
	if (!is_dns_name(m->name.s, false) || strpbrk(m->name.s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		verr(v, &m->name.pos,
		     "metadata.name: \"%s\" is not a valid name (lowercase letters, digits, '-' "
		     "and '.')",
		     m->name.s);
	if (m->namespace_.pos.file != NULL)
		check_dns_label(v, &m->namespace_, "metadata.namespace", "namespace");
	check_labels(v, &m->labels, "metadata.labels");
}

static const struct mg_istio_meta *meta_at(const struct mg_istio_config *cfg, enum mg_istio_kind k,
                                           size_t i)
{
	switch (k) {
	case MG_ISTIO_GATEWAY:
		return &cfg->gateways[i].meta;
	case MG_ISTIO_VIRTUAL_SERVICE:
		return &cfg->virtual_services[i].meta;
	case MG_ISTIO_DESTINATION_RULE:
		return &cfg->destination_rules[i].meta;
	case MG_ISTIO_SERVICE_ENTRY:
		return &cfg->service_entries[i].meta;
	case MG_ISTIO_WORKLOAD_ENTRY:
		return &cfg->workload_entries[i].meta;
	case MG_ISTIO_PEER_AUTHENTICATION:
		return &cfg->peer_authentications[i].meta;
	default:
		return &cfg->authorization_policies[i].meta;
	}
}

static size_t count_of(const struct mg_istio_config *cfg, enum mg_istio_kind k)
{
	const size_t n[MG_ISTIO_KIND_COUNT] = {
	    cfg->n_gateways,
	    cfg->n_virtual_services,
	    cfg->n_destination_rules,
	    cfg->n_service_entries,
	    cfg->n_workload_entries,
	    cfg->n_peer_authentications,
	    cfg->n_authorization_policies,
	};

	return n[k];
}

/* Names are unique per kind and namespace (quadratic: configs are small). */
static void check_unique_names(struct vctx *v)
{
	enum mg_istio_kind k;
	size_t i, j, n;

	for (k = 0; k < MG_ISTIO_KIND_COUNT; k++) {
		n = count_of(v->cfg, k);
		for (i = 0; i < n; i++) {
			const struct mg_istio_meta *a = meta_at(v->cfg, k, i);

			check_meta(v, a);
			for (j = 0; j < i; j++) {
				const struct mg_istio_meta *b = meta_at(v->cfg, k, j);

				if (a->name.len == 0 || strcmp(a->name.s, b->name.s) != 0 ||
				    strcmp(a->namespace_.s, b->namespace_.s) != 0)
					continue;
				verr(v, &a->name.pos,
				     "duplicate %s %s/%s (first defined at %s:%u:%u)",
				     mg_istio_kind_name(k), a->namespace_.s, a->name.s,
				     b->name.pos.file, b->name.pos.line, b->name.pos.col);
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Gateway                                                             */

static const char *const protocols[] = {"HTTP", "HTTPS", "HTTP2", "GRPC", "TCP", "TLS"};
static const char *const other_protocols[] = {"MONGO", "REDIS", "MYSQL", "GRPC-WEB", "UDP"};

/* 0 = unknown, 1 = supported, -1 = Istio's but not meshgate's. */
static int protocol_kind(const char *p)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protocols); i++)
		if (strcasecmp(p, protocols[i]) == 0)
			return 1;
	for (i = 0; i < ARRAY_SIZE(other_protocols); i++)
		if (strcasecmp(p, other_protocols[i]) == 0)
			return -1;
	return 0;
}

void check_protocol(struct vctx *v, const struct mg_str *p, const char *path)
{
	int k;

	if (p->s == NULL)
		return;
	k = protocol_kind(p->s);
	if (k < 0)
		verr(v, &p->pos, "%s: protocol %s is not supported by meshgate yet", path, p->s);
	else if (k == 0)
		verr(v, &p->pos,
		     "%s: unknown protocol \"%s\" (expected HTTP, HTTPS, HTTP2, GRPC, TCP or TLS)",
		     path, p->s);
}

/* "[namespace/]dnsName" where namespace is a name, "*", "." or "~". */
static void check_server_host(struct vctx *v, const struct mg_str *h, const char *path)
{
	const char *slash = strchr(h->s, '/');
	struct mg_str rest = *h;

	if (slash != NULL) {
		size_t nl = (size_t)(slash - h->s);
		struct mg_str ns = {.s = h->s, .len = nl, .pos = h->pos};
		char buf[64];

		if (!(nl == 1 && strchr("*.~", h->s[0]) != NULL)) {
			if (nl >= sizeof(buf)) {
				verr(v, &h->pos, "%s: namespace in \"%s\" is too long", path, h->s);
				return;
			}
			memcpy(buf, h->s, nl);
			buf[nl] = '\0';
			ns.s = buf;
			check_dns_label(v, &ns, path, "namespace");
		}
		rest.s = slash + 1;
		rest.len = strlen(rest.s);
	}
	check_host(v, &rest, path, HOST_WILDCARD | HOST_IP);
}

static void check_server_tls(struct vctx *v, const struct mg_gw_server *s, const char *path)
{
	const struct mg_gw_tls *t = &s->tls;
	const char *proto = s->port.protocol.s ? s->port.protocol.s : "";
	bool tls_proto = strcasecmp(proto, "HTTPS") == 0 || strcasecmp(proto, "TLS") == 0;
	bool files = t->server_certificate.s != NULL && t->private_key.s != NULL;

	if (!t->o.set) {
		if (tls_proto)
			verr(v, &s->o.pos, "%s: a %s server needs tls settings", path, proto);
		return;
	}
	if (!tls_proto && !(t->https_redirect.set && t->https_redirect.v)) {
		verr(v, &t->o.pos,
		     "%s.tls: a %s server cannot have tls settings (only httpsRedirect)", path,
		     proto[0] ? proto : "plain-text");
		return;
	}
	if (!tls_proto)
		return;
	if (!t->mode.set) {
		verr(v, &t->o.pos, "%s.tls: missing mode", path);
		return;
	}
	if (t->mode.v == MG_GW_TLS_ISTIO_MUTUAL)
		return;
	if (t->credential_name.s == NULL && !files)
		verr(v, &t->mode.pos,
		     "%s.tls: mode %s needs credentialName, or serverCertificate and privateKey",
		     path, t->mode.v == MG_GW_TLS_SIMPLE ? "SIMPLE" : "MUTUAL");
	if (t->credential_name.s != NULL && (t->server_certificate.s || t->private_key.s))
		verr(v, &t->credential_name.pos,
		     "%s.tls: set credentialName or serverCertificate/privateKey, not both", path);
	if ((t->mode.v == MG_GW_TLS_MUTUAL || t->mode.v == MG_GW_TLS_OPTIONAL_MUTUAL) &&
	    t->credential_name.s == NULL && t->ca_certificates.s == NULL)
		verr(v, &t->mode.pos, "%s.tls: mutual TLS needs caCertificates or credentialName",
		     path);
}

void validate_gateway(struct vctx *v, const struct mg_istio_gateway *g)
{
	char path[VPATH], hp[VPATH];
	size_t i, j;

	if (g->spec.n_servers == 0)
		verr(v, &g->meta.pos, "spec.servers: a Gateway needs at least one server");
	check_labels(v, &g->spec.selector, "spec.selector");
	for (i = 0; i < g->spec.n_servers; i++) {
		const struct mg_gw_server *s = &g->spec.servers[i];

		snprintf(path, sizeof(path), "spec.servers[%zu]", i);
		snprintf(hp, sizeof(hp), "%s.port.number", path);
		check_port(v, &s->port.number, hp);
		snprintf(hp, sizeof(hp), "%s.port.protocol", path);
		check_protocol(v, &s->port.protocol, hp);
		if (s->hosts.pos.file != NULL && s->hosts.n == 0)
			verr(v, &s->hosts.pos, "%s.hosts: at least one host is needed", path);
		for (j = 0; j < s->hosts.n; j++) {
			snprintf(hp, sizeof(hp), "%s.hosts[%zu]", path, j);
			check_server_host(v, &s->hosts.v[j], hp);
		}
		check_server_tls(v, s, path);
		for (j = 0; j < i; j++) {
			const struct mg_gw_port *a = &s->port, *b = &g->spec.servers[j].port;

			if (a->number.set && b->number.set && a->number.v == b->number.v &&
			    a->protocol.s && b->protocol.s &&
			    strcasecmp(a->protocol.s, b->protocol.s) != 0)
				verr(v, &a->protocol.pos,
				     "%s.port: port %u is %s here but %s in spec.servers[%zu]",
				     path, a->number.v, a->protocol.s, b->protocol.s, j);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Cross references                                                    */

/* Is a destination's subset defined for its host? */
static void check_subset_ref(struct vctx *v, const struct mg_destination *d, const char *path)
{
	const struct mg_istio_destination_rule *dr;
	size_t i;

	if (d->host.s == NULL)
		return;
	if (!se_defines(v->cfg, d->host.s, v->res->namespace_.s))
		vwarn(v, &d->host.pos,
		      "%s.host: no ServiceEntry defines host %s; meshgate has no endpoints for it",
		      path, d->host.s);
	if (d->subset.s == NULL)
		return;
	dr = find_dr(v->cfg, d->host.s, v->res->namespace_.s);
	if (dr == NULL) {
		verr(v, &d->subset.pos,
		     "%s.subset: subset %s of host %s: no DestinationRule for that host", path,
		     d->subset.s, d->host.s);
		return;
	}
	for (i = 0; i < dr->spec.n_subsets; i++)
		if (dr->spec.subsets[i].name.s != NULL &&
		    strcmp(dr->spec.subsets[i].name.s, d->subset.s) == 0)
			return;
	verr(v, &d->subset.pos,
	     "%s.subset: subset %s is not defined in DestinationRule %s/%s (%s:%u)", path,
	     d->subset.s, dr->meta.namespace_.s, dr->meta.name.s, dr->meta.pos.file,
	     dr->meta.pos.line);
}

/* A gateway reference in a VirtualService: "mesh" or an existing Gateway. */
static bool check_gateway_ref(struct vctx *v, const struct mg_str *ref, const char *path)
{
	if (strcmp(ref->s, "mesh") == 0)
		return false;
	if (find_gateway(v->cfg, ref->s, v->res->namespace_.s) == NULL)
		verr(v, &ref->pos, "%s: Gateway %s%s%s not found", path,
		     strchr(ref->s, '/') ? "" : v->res->namespace_.s,
		     strchr(ref->s, '/') ? "" : "/", ref->s);
	return true;
}

/* ------------------------------------------------------------------ */
/* DestinationRule                                                     */

static bool is_prime(uint64_t n)
{
	uint64_t d;

	if (n < 2)
		return false;
	for (d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static void check_consistent_hash(struct vctx *v, const struct mg_consistent_hash *h,
                                  const char *path)
{
	int keys = (h->http_header_name.s != NULL) + h->http_cookie.o.set +
	           (h->use_source_ip.set && h->use_source_ip.v) +
	           (h->http_query_parameter_name.s != NULL);

	if (keys != 1)
		verr(v, &h->o.pos,
		     "%s: set exactly one of httpHeaderName, httpCookie, useSourceIp or "
		     "httpQueryParameterName",
		     path);
	if (h->http_header_name.s != NULL) {
		char p[VPATH];

		snprintf(p, sizeof(p), "%s.httpHeaderName", path);
		check_header_name(v, &h->http_header_name, p);
	}
	if (h->ring_hash.o.set && h->maglev.o.set)
		verr(v, &h->maglev.o.pos, "%s: set ringHash or maglev, not both", path);
	if (h->ring_hash.minimum_ring_size.set &&
	    (h->ring_hash.minimum_ring_size.v < 1 || h->ring_hash.minimum_ring_size.v > 8388608))
		verr(v, &h->ring_hash.minimum_ring_size.pos,
		     "%s.ringHash.minimumRingSize: must be 1..8388608", path);
	if (h->maglev.table_size.set && !is_prime(h->maglev.table_size.v))
		verr(v, &h->maglev.table_size.pos, "%s.maglev.tableSize: %llu is not a prime", path,
		     (unsigned long long)h->maglev.table_size.v);
}

static void check_locality_lb(struct vctx *v, const struct mg_locality_lb *l,
                              const struct mg_traffic_policy *tp, const char *path)
{
	char p[VPATH];
	size_t i, j;

	if (l->n_distribute > 0 && (l->n_failover > 0 || l->failover_priority.n > 0))
		verr(v, &l->o.pos,
		     "%s: distribute cannot be combined with failover or failoverPriority", path);
	for (i = 0; i < l->n_distribute; i++) {
		const struct mg_locality_distribute *d = &l->distribute[i];
		uint64_t sum = 0;

		snprintf(p, sizeof(p), "%s.distribute[%zu]", path, i);
		if (d->from.s == NULL)
			verr(v, &d->o.pos, "%s: missing from", p);
		for (j = 0; j < d->to.n; j++) {
			if (d->to.v[j].val.v > 100)
				verr(v, &d->to.v[j].val.pos,
				     "%s.to: weight %u is out of range 0..100", p,
				     d->to.v[j].val.v);
			sum += d->to.v[j].val.v;
		}
		if (sum != 100)
			verr(v, pos_or(&d->to.pos, &d->o.pos),
			     "%s.to: weights sum to %llu, must be 100", p, (unsigned long long)sum);
	}
	for (i = 0; i < l->n_failover; i++) {
		const struct mg_locality_failover *f = &l->failover[i];

		snprintf(p, sizeof(p), "%s.failover[%zu]", path, i);
		if (f->from.s == NULL || f->to.s == NULL)
			verr(v, &f->o.pos, "%s: needs from and to (regions)", p);
		else if (strcmp(f->from.s, f->to.s) == 0)
			verr(v, &f->to.pos, "%s: from and to are the same region %s", p, f->to.s);
	}
	if ((l->n_failover > 0 || l->failover_priority.n > 0) && !tp->outlier_detection.o.set)
		vwarn(v, &l->o.pos,
		      "%s: locality failover only takes effect with outlierDetection set", path);
}

static void check_pool(struct vctx *v, const struct mg_conn_pool *cp, const char *path)
{
	static const struct {
		const char *name;
		size_t off;
	} nonzero[] = {
	    {"http.http1MaxPendingRequests",
	     offsetof(struct mg_conn_pool, http) +
	         offsetof(struct mg_pool_http, http1_max_pending_requests)},
	    {"http.http2MaxRequests", offsetof(struct mg_conn_pool, http) +
	                                  offsetof(struct mg_pool_http, http2_max_requests)},
	    {"tcp.maxConnections",
	     offsetof(struct mg_conn_pool, tcp) + offsetof(struct mg_pool_tcp, max_connections)},
	};
	char p[VPATH];
	size_t i;

	/* A limit of 0 would reject every request; Istio refuses it too. */
	for (i = 0; i < ARRAY_SIZE(nonzero); i++) {
		const struct mg_u32 *u = (const struct mg_u32 *)((const char *)cp + nonzero[i].off);

		if (u->set && u->v == 0)
			verr(v, &u->pos, "%s.%s: must be at least 1", path, nonzero[i].name);
	}
	snprintf(p, sizeof(p), "%s.tcp.connectTimeout", path);
	check_min_ms(v, &cp->tcp.connect_timeout, p);
	snprintf(p, sizeof(p), "%s.http.idleTimeout", path);
	check_min_ms(v, &cp->http.idle_timeout, p);
}

static void check_outlier(struct vctx *v, const struct mg_outlier *o, const char *path)
{
	char p[VPATH];

	snprintf(p, sizeof(p), "%s.interval", path);
	check_min_ms(v, &o->interval, p);
	snprintf(p, sizeof(p), "%s.baseEjectionTime", path);
	check_min_ms(v, &o->base_ejection_time, p);
	if (o->max_ejection_percent.set && o->max_ejection_percent.v > 100)
		verr(v, &o->max_ejection_percent.pos,
		     "%s.maxEjectionPercent: %u is out of range 0..100", path,
		     o->max_ejection_percent.v);
}

static void check_client_tls(struct vctx *v, const struct mg_client_tls *t, const char *path)
{
	if (!t->o.set)
		return;
	if (!t->mode.set) {
		verr(v, &t->o.pos, "%s: missing mode", path);
		return;
	}
	if (t->mode.v == MG_CTLS_MUTUAL && t->credential_name.s == NULL &&
	    (t->client_certificate.s == NULL || t->private_key.s == NULL))
		verr(v, &t->mode.pos,
		     "%s: mode MUTUAL needs credentialName, or clientCertificate and privateKey",
		     path);
}

static void check_policy(struct vctx *v, const struct mg_traffic_policy *tp, const char *path)
{
	const struct mg_lb_settings *lb = &tp->load_balancer;
	char p[VPATH];

	if (!tp->o.set)
		return;
	if (lb->simple.set && lb->consistent_hash.o.set)
		verr(v, &lb->consistent_hash.o.pos,
		     "%s.loadBalancer: set simple or consistentHash, not both", path);
	snprintf(p, sizeof(p), "%s.loadBalancer.consistentHash", path);
	if (lb->consistent_hash.o.set)
		check_consistent_hash(v, &lb->consistent_hash, p);
	snprintf(p, sizeof(p), "%s.loadBalancer.localityLbSetting", path);
	if (lb->locality_lb_setting.o.set)
		check_locality_lb(v, &lb->locality_lb_setting, tp, p);
	snprintf(p, sizeof(p), "%s.connectionPool", path);
	check_pool(v, &tp->connection_pool, p);
	snprintf(p, sizeof(p), "%s.outlierDetection", path);
	check_outlier(v, &tp->outlier_detection, p);
	snprintf(p, sizeof(p), "%s.tls", path);
	check_client_tls(v, &tp->tls, p);
}

void validate_destination_rule(struct vctx *v, const struct mg_istio_destination_rule *dr)
{
	const struct mg_dr_spec *s = &dr->spec;
	char p[VPATH];
	size_t i, j;

	check_host(v, &s->host, "spec.host", HOST_WILDCARD);
	check_policy(v, &s->traffic_policy, "spec.trafficPolicy");
	for (i = 0; i < s->n_subsets; i++) {
		const struct mg_subset *sub = &s->subsets[i];

		snprintf(p, sizeof(p), "spec.subsets[%zu].name", i);
		if (sub->name.s != NULL)
			check_dns_label(v, &sub->name, p, "subset name");
		for (j = 0; j < i && sub->name.s != NULL; j++)
			if (s->subsets[j].name.s && strcmp(s->subsets[j].name.s, sub->name.s) == 0)
				verr(v, &sub->name.pos, "%s: duplicate subset %s", p, sub->name.s);
		snprintf(p, sizeof(p), "spec.subsets[%zu].labels", i);
		check_labels(v, &sub->labels, p);
		snprintf(p, sizeof(p), "spec.subsets[%zu].trafficPolicy", i);
		check_policy(v, &sub->traffic_policy, p);
	}
	/* meshgate does not merge DestinationRules: one per host */
	for (i = 0; i < v->cfg->n_destination_rules && s->host.s != NULL; i++) {
		const struct mg_istio_destination_rule *o = &v->cfg->destination_rules[i];
		char a[300], b[300];

		if (o == dr)
			break;
		if (o->spec.host.s == NULL)
			continue;
		fqdn(s->host.s, dr->meta.namespace_.s, a, sizeof(a));
		fqdn(o->spec.host.s, o->meta.namespace_.s, b, sizeof(b));
		if (strcasecmp(a, b) == 0) {
			verr(v, &s->host.pos,
			     "spec.host: host %s already has DestinationRule %s/%s (%s:%u); "
			     "meshgate "
			     "does not merge DestinationRules",
			     s->host.s, o->meta.namespace_.s, o->meta.name.s, o->meta.pos.file,
			     o->meta.pos.line);
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */

int mg_istio_validate(const struct mg_istio_config *cfg, struct mg_diag *diags)
{
	struct vctx v = {.cfg = cfg, .d = diags};
	size_t i;

#define EACH(arr, fn)                        \
	for (i = 0; i < cfg->n_##arr; i++) { \
		v.res = &cfg->arr[i].meta;   \
		fn(&v, &cfg->arr[i]);        \
	}
	check_unique_names(&v);
	EACH(gateways, validate_gateway);
	EACH(virtual_services, validate_virtual_service);
	EACH(destination_rules, validate_destination_rule);
	EACH(service_entries, validate_service_entry);
	EACH(peer_authentications, validate_peer_authentication);
	EACH(authorization_policies, validate_authorization_policy);
#undef EACH
	for (i = 0; i < cfg->n_workload_entries; i++) {
		v.res = &cfg->workload_entries[i].meta;
		validate_workload(&v, &cfg->workload_entries[i].spec, "spec", NULL);
	}
	return v.errors > 0 ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ */
/* Shared with istio_validate_vs.c                                     */

void check_dest(struct vctx *v, const struct mg_destination *d, const char *path)
{
	char p[VPATH];

	if (!d->o.set)
		return;
	snprintf(p, sizeof(p), "%s.host", path);
	check_host(v, &d->host, p, 0);
	snprintf(p, sizeof(p), "%s.port.number", path);
	check_port(v, &d->port.number, p);
	check_subset_ref(v, d, path);
}

void check_gateway_refs(struct vctx *v, const struct mg_strlist *l, const char *path, bool *bound)
{
	char p[VPATH];
	size_t i;

	for (i = 0; i < l->n; i++) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (check_gateway_ref(v, &l->v[i], p) && bound != NULL)
			*bound = true;
	}
}
