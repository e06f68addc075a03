/*
 * istio_validate_sec.c — ServiceEntry, WorkloadEntry, PeerAuthentication and
 * AuthorizationPolicy checks (see istio_validate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/istio_validate_pvt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* ServiceEntry and WorkloadEntry                                      */

static const struct mg_service_port *se_port(const struct mg_se_spec *se, const char *name)
{
	size_t i;

	for (i = 0; i < se->n_ports; i++)
		if (se->ports[i].name.s != NULL && strcmp(se->ports[i].name.s, name) == 0)
			return &se->ports[i];
	return NULL;
}

void validate_workload(struct vctx *v, const struct mg_workload *w, const char *path,
                       const struct mg_se_spec *se)
{
	bool static_ips =
	    se != NULL && se->resolution.set && se->resolution.v == MG_SE_RESOLVE_STATIC;
	char p[VPATH];
	size_t i;

	snprintf(p, sizeof(p), "%s.address", path);
	if (w->address.s == NULL && w->network.s == NULL)
		verr(v, pos_or(&w->o.pos, &v->res->pos), "%s: needs an address", path);
	else if (w->address.s != NULL && strncmp(w->address.s, "unix://", 7) == 0)
		verr(v, &w->address.pos,
		     "%s: unix domain sockets are not supported by meshgate yet", p);
	else if (w->address.s != NULL && static_ips && !is_ip(w->address.s))
		verr(v, &w->address.pos, "%s: resolution STATIC needs an IP address, not \"%s\"", p,
		     w->address.s);
	else
		check_host(v, &w->address, p, HOST_IP);
	for (i = 0; i < w->ports.n; i++) {
		const struct mg_kv_u32 *kv = &w->ports.v[i];

		snprintf(p, sizeof(p), "%s.ports.%s", path, kv->key.s);
		check_port(v, &kv->val, p);
		if (se != NULL && se_port(se, kv->key.s) == NULL)
			verr(v, &kv->key.pos, "%s: the ServiceEntry has no port named %s", p,
			     kv->key.s);
	}
	snprintf(p, sizeof(p), "%s.labels", path);
	check_labels(v, &w->labels, p);
	snprintf(p, sizeof(p), "%s.locality", path);
	check_locality(v, &w->locality, p);
	if (w->service_account.s != NULL) {
		snprintf(p, sizeof(p), "%s.serviceAccount", path);
		check_dns_label(v, &w->service_account, p, "service account name");
	}
}

static void check_se_ports(struct vctx *v, const struct mg_istio_service_entry *e)
{
	const struct mg_se_spec *se = &e->spec;
	char p[VPATH];
	size_t i, j;

	if (se->n_ports == 0)
		verr(v, &e->meta.pos, "spec.ports: a ServiceEntry needs at least one port");
	for (i = 0; i < se->n_ports; i++) {
		const struct mg_service_port *sp = &se->ports[i];

		snprintf(p, sizeof(p), "spec.ports[%zu].number", i);
		check_port(v, &sp->number, p);
		snprintf(p, sizeof(p), "spec.ports[%zu].targetPort", i);
		check_port(v, &sp->target_port, p);
		snprintf(p, sizeof(p), "spec.ports[%zu].protocol", i);
		check_protocol(v, &sp->protocol, p);
		for (j = 0; j < i; j++) {
			const struct mg_service_port *o = &se->ports[j];

			if (sp->name.s && o->name.s && strcmp(sp->name.s, o->name.s) == 0)
				verr(v, &sp->name.pos,
				     "spec.ports[%zu].name: duplicate port name %s", i, sp->name.s);
			if (sp->number.set && o->number.set && sp->number.v == o->number.v)
				verr(v, &sp->number.pos,
				     "spec.ports[%zu].number: duplicate port %u", i, sp->number.v);
		}
	}
}

void validate_service_entry(struct vctx *v, const struct mg_istio_service_entry *e)
{
	const struct mg_se_spec *se = &e->spec;
	int res = se->resolution.set ? se->resolution.v : MG_SE_RESOLVE_NONE;
	char p[VPATH];
	size_t i;

	if (se->hosts.pos.file != NULL && se->hosts.n == 0)
		verr(v, &se->hosts.pos, "spec.hosts: a ServiceEntry needs at least one host");
	for (i = 0; i < se->hosts.n; i++) {
		snprintf(p, sizeof(p), "spec.hosts[%zu]", i);
		check_host(v, &se->hosts.v[i], p, HOST_WILDCARD);
		if (res == MG_SE_RESOLVE_DNS && se->n_endpoints == 0 && se->hosts.v[i].s[0] == '*')
			verr(v, &se->hosts.v[i].pos,
			     "%s: a wildcard host cannot be resolved with DNS without endpoints",
			     p);
	}
	for (i = 0; i < se->addresses.n; i++) {
		snprintf(p, sizeof(p), "spec.addresses[%zu]", i);
		check_ip_or_cidr(v, &se->addresses.v[i], p);
	}
	check_se_ports(v, e);
	if (se->n_endpoints > 0 && se->workload_selector.o.set)
		verr(v, &se->workload_selector.o.pos,
		     "spec.workloadSelector: set endpoints or workloadSelector, not both");
	if (res == MG_SE_RESOLVE_STATIC && se->n_endpoints == 0 && !se->workload_selector.o.set)
		verr(v, pos_or(&se->resolution.pos, &e->meta.pos),
		     "spec.resolution: STATIC needs endpoints or a workloadSelector");
	if (res == MG_SE_RESOLVE_NONE && se->n_endpoints > 0)
		vwarn(v, &se->endpoints[0].o.pos,
		      "spec.endpoints: endpoints are not used with resolution NONE");
	for (i = 0; i < se->n_endpoints; i++) {
		snprintf(p, sizeof(p), "spec.endpoints[%zu]", i);
		validate_workload(v, &se->endpoints[i], p, se);
	}
	check_labels(v, &se->workload_selector.match_labels, "spec.workloadSelector.labels");
}

/* ------------------------------------------------------------------ */
/* PeerAuthentication                                                  */

void validate_peer_authentication(struct vctx *v, const struct mg_istio_peer_authentication *pa)
{
	const struct mg_pa_spec *s = &pa->spec;
	char p[VPATH];
	size_t i;

	check_labels(v, &s->selector.match_labels, "spec.selector.matchLabels");
	if (s->n_port_level_mtls > 0 && s->selector.match_labels.n == 0)
		verr(v, &s->port_level_mtls[0].port.pos,
		     "spec.portLevelMtls: needs a selector (it applies to the selected workloads' "
		     "ports)");
	for (i = 0; i < s->n_port_level_mtls; i++) {
		const struct mg_str *k = &s->port_level_mtls[i].port;
		char *end;
		unsigned long port = strtoul(k->s, &end, 10);

		snprintf(p, sizeof(p), "spec.portLevelMtls.%s", k->s);
		if (k->len == 0 || *end != '\0' || k->s[0] < '0' || k->s[0] > '9' || port == 0 ||
		    port > 65535)
			verr(v, &k->pos, "%s: \"%s\" is not a port number (1..65535)", p, k->s);
		if (!s->port_level_mtls[i].mtls.mode.set)
			verr(v, &s->port_level_mtls[i].mtls.o.pos, "%s: missing mode", p);
	}
}

/* ------------------------------------------------------------------ */
/* AuthorizationPolicy                                                 */

static void check_list_nonempty_items(struct vctx *v, const struct mg_strlist *l, const char *path,
                                      const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].len == 0)
			verr(v, &l->v[i].pos, "%s.%s[%zu]: must not be empty", path, name, i);
}

static void check_source(struct vctx *v, const struct mg_authz_source *s, const char *path)
{
	const struct mg_strlist *ips[] = {&s->ip_blocks, &s->not_ip_blocks, &s->remote_ip_blocks,
	                                  &s->not_remote_ip_blocks};
	static const char *const ipn[] = {"ipBlocks", "notIpBlocks", "remoteIpBlocks",
	                                  "notRemoteIpBlocks"};
	char p[VPATH];
	size_t i, j, n = 0;

	for (i = 0; i < ARRAY_SIZE(ips); i++) {
		n += ips[i]->n;
		for (j = 0; j < ips[i]->n; j++) {
			snprintf(p, sizeof(p), "%s.%s[%zu]", path, ipn[i], j);
			check_ip_or_cidr(v, &ips[i]->v[j], p);
		}
	}
	n += s->principals.n + s->not_principals.n + s->namespaces.n + s->not_namespaces.n;
	if (n == 0)
		verr(v, &s->o.pos, "%s: a source must set at least one field", path);
	check_list_nonempty_items(v, &s->principals, path, "principals");
	check_list_nonempty_items(v, &s->not_principals, path, "notPrincipals");
	check_list_nonempty_items(v, &s->namespaces, path, "namespaces");
	check_list_nonempty_items(v, &s->not_namespaces, path, "notNamespaces");
}

static void check_ports_text(struct vctx *v, const struct mg_strlist *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		char *end;
		unsigned long port = strtoul(l->v[i].s, &end, 10);

		if (l->v[i].len == 0 || *end != '\0' || l->v[i].s[0] < '0' || l->v[i].s[0] > '9' ||
		    port == 0 || port > 65535)
			verr(v, &l->v[i].pos, "%s[%zu]: \"%s\" is not a port number (1..65535)",
			     path, i, l->v[i].s);
	}
}

static void check_operation(struct vctx *v, const struct mg_authz_operation *o, const char *path)
{
	char p[VPATH];

	if (o->hosts.n + o->not_hosts.n + o->ports.n + o->not_ports.n + o->methods.n +
	        o->not_methods.n + o->paths.n + o->not_paths.n ==
	    0)
		verr(v, &o->o.pos, "%s: an operation must set at least one field", path);
	snprintf(p, sizeof(p), "%s.ports", path);
	check_ports_text(v, &o->ports, p);
	snprintf(p, sizeof(p), "%s.notPorts", path);
	check_ports_text(v, &o->not_ports, p);
	check_list_nonempty_items(v, &o->hosts, path, "hosts");
	check_list_nonempty_items(v, &o->methods, path, "methods");
	check_list_nonempty_items(v, &o->paths, path, "paths");
}

/* Condition keys meshgate can evaluate at a gateway (Istio's list, minus JWT ones). */
static const char *const condition_keys[] = {
    "source.ip",      "remote.ip",        "source.namespace", "source.principal",
    "destination.ip", "destination.port", "connection.sni",
};

static void check_condition(struct vctx *v, const struct mg_authz_condition *c, const char *path)
{
	const char *k = c->key.s;
	size_t i, n;
	char p[VPATH];

	if (k == NULL)
		return;
	for (i = 0; i < ARRAY_SIZE(condition_keys); i++)
		if (strcmp(k, condition_keys[i]) == 0)
			break;
	n = strlen(k);
	snprintf(p, sizeof(p), "%s.key", path);
	if (i < ARRAY_SIZE(condition_keys) ||
	    (strncmp(k, "request.headers[", 16) == 0 && n > 17 && k[n - 1] == ']'))
		;
	else if (strncmp(k, "request.auth.", 13) == 0)
		verr(v, &c->key.pos,
		     "%s: %s needs RequestAuthentication (JWT), which meshgate does "
		     "not read",
		     p, k);
	else
		verr(v, &c->key.pos, "%s: unknown condition key \"%s\"", p, k);
	if (c->values.n + c->not_values.n == 0)
		verr(v, &c->o.pos, "%s: set values or notValues", path);
	if (strcmp(k, "destination.port") == 0) {
		snprintf(p, sizeof(p), "%s.values", path);
		check_ports_text(v, &c->values, p);
	}
	if (strcmp(k, "source.ip") == 0 || strcmp(k, "remote.ip") == 0 ||
	    strcmp(k, "destination.ip") == 0)
		for (i = 0; i < c->values.n; i++) {
			snprintf(p, sizeof(p), "%s.values[%zu]", path, i);
			check_ip_or_cidr(v, &c->values.v[i], p);
		}
}

static void check_rule(struct vctx *v, const struct mg_authz_rule *r, const char *path)
{
	char p[VPATH];
	size_t i;

	for (i = 0; i < r->n_from; i++) {
		snprintf(p, sizeof(p), "%s.from[%zu].source", path, i);
		if (!r->from[i].source.o.set)
			verr(v, &r->from[i].o.pos, "%s: missing source", p);
		else
			check_source(v, &r->from[i].source, p);
	}
	for (i = 0; i < r->n_to; i++) {
		snprintf(p, sizeof(p), "%s.to[%zu].operation", path, i);
		if (!r->to[i].operation.o.set)
			verr(v, &r->to[i].o.pos, "%s: missing operation", p);
		else
			check_operation(v, &r->to[i].operation, p);
	}
	for (i = 0; i < r->n_when; i++) {
		snprintf(p, sizeof(p), "%s.when[%zu]", path, i);
		check_condition(v, &r->when[i], p);
	}
}

void validate_authorization_policy(struct vctx *v, const struct mg_istio_authorization_policy *ap)
{
	const struct mg_authz_spec *s = &ap->spec;
	bool custom = s->action.set && s->action.v == MG_AUTHZ_CUSTOM;
	char p[VPATH];
	size_t i;

	check_labels(v, &s->selector.match_labels, "spec.selector.matchLabels");
	if (custom && !s->provider.o.set)
		verr(v, &s->action.pos, "spec.action: CUSTOM needs a provider");
	if (!custom && s->provider.o.set)
		verr(v, &s->provider.o.pos, "spec.provider: only allowed with action CUSTOM");
	for (i = 0; i < s->n_rules; i++) {
		snprintf(p, sizeof(p), "spec.rules[%zu]", i);
		check_rule(v, &s->rules[i], p);
	}
}
