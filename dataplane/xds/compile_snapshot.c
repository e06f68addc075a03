/*
 * compile_snapshot.c — a whole config snapshot from sets of xDS resources
 * (compile.h): every listener, cluster and route configuration compiled,
 * names unique, listener ports distinct, and every cluster a route or TCP
 * proxy names present.  Either the whole snapshot compiles or nothing does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/lb.h"
#include "proxy/route.h"
#include "xds/compile.h"
#include "xds/compile_pvt.h"

static int name_cmp(const struct mg_rstr *a, const struct mg_rstr *b)
{
	int r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

	return r != 0 ? r : (a->len > b->len) - (a->len < b->len);
}

static int cluster_cmp(const void *x, const void *y)
{
	return name_cmp(&(*(struct mg_cluster *const *)x)->name,
	                &(*(struct mg_cluster *const *)y)->name);
}

static int routes_cmp(const void *x, const void *y)
{
	return name_cmp(&(*(struct mg_route_table *const *)x)->name,
	                &(*(struct mg_route_table *const *)y)->name);
}

const struct mg_cluster *mg_snapshot_cluster(const struct mg_snapshot *s, struct mg_rstr name)
{
	uint32_t lo = 0, hi = s->n_clusters;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = name_cmp(&s->clusters[mid]->name, &name);

		if (r == 0)
			return s->clusters[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct mg_route_table *mg_snapshot_routes(const struct mg_snapshot *s, struct mg_rstr name)
{
	for (uint32_t i = 0; i < s->n_routes; i++)
		if (name_cmp(&s->routes[i]->name, &name) == 0)
			return s->routes[i];
	return NULL;
}

void mg_snapshot_free(struct mg_snapshot *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->n_listeners; i++)
		mg_listener_free(s->listeners[i]);
	for (uint32_t i = 0; i < s->n_clusters; i++)
		mg_cluster_free(s->clusters[i]);
	for (uint32_t i = 0; i < s->n_routes; i++)
		mg_route_table_free(s->routes[i]);
	free(s->listeners);
	free(s->clusters);
	free(s->routes);
	free(s);
}

/* Every cluster a route table names exists (Envoy's validate_clusters). */
static int check_route_refs(const struct mg_snapshot *s, const struct mg_route_table *t,
                            const char *where, char *err, size_t errlen)
{
	for (uint32_t v = 0; v < t->n_vhosts; v++)
		for (uint32_t r = 0; r < t->vhosts[v].n_routes; r++) {
			const struct mg_route_entry *rt = &t->vhosts[v].routes[r];
			const struct mg_rstr *missing = NULL;
			char field[64] = "route.cluster";

			if (rt->kind == MG_ROUTE_CLUSTER && !mg_snapshot_cluster(s, rt->cluster))
				missing = &rt->cluster;
			for (uint32_t i = 0;
			     !missing && rt->kind == MG_ROUTE_WEIGHTED && i < rt->n_wc; i++)
				if (!mg_snapshot_cluster(s, rt->wc[i].cluster)) {
					missing = &rt->wc[i].cluster;
					snprintf(field, sizeof(field),
					         "route.weighted_clusters.clusters[%u].name", i);
				}
			for (uint32_t i = 0; !missing && i < rt->n_mirrors; i++)
				if (!mg_snapshot_cluster(s, rt->mirrors[i].cluster)) {
					missing = &rt->mirrors[i].cluster;
					snprintf(field, sizeof(field),
					         "route.request_mirror_policies[%u].cluster", i);
				}
			if (missing != NULL) {
				snprintf(
				    err, errlen,
				    "%s.virtual_hosts[%u].routes[%u].%s: unknown cluster \"%s\"",
				    where, v, r, field, missing->s);
				return -EINVAL;
			}
		}
	return 0;
}

#define FILTER "filter_chains[0].filters[0].typed_config"

static int check_refs(const struct mg_snapshot *s, char *err, size_t errlen)
{
	char where[160];
	int rc;

	for (uint32_t i = 0; i < s->n_listeners; i++) {
		const struct mg_listener *l = s->listeners[i];

		if (l->kind == MG_LISTENER_TCP) {
			const struct mg_tcp_proxy_cfg *p = &l->tcp;

			if (p->n_wc == 0 && !mg_snapshot_cluster(s, p->cluster)) {
				snprintf(err, errlen,
				         "listeners[%u]." FILTER ".cluster: unknown cluster \"%s\"",
				         i, p->cluster.s);
				return -EINVAL;
			}
			for (uint32_t k = 0; k < p->n_wc; k++)
				if (!mg_snapshot_cluster(s, p->wc[k].cluster)) {
					snprintf(err, errlen,
					         "listeners[%u]." FILTER
					         ".weighted_clusters.clusters[%u]."
					         "name: unknown cluster \"%s\"",
					         i, k, p->wc[k].cluster.s);
					return -EINVAL;
				}
		} else if (l->routes != NULL) {
			snprintf(where, sizeof(where), "listeners[%u]." FILTER ".route_config", i);
			rc = check_route_refs(s, l->routes, where, err, errlen);
			if (rc < 0)
				return rc;
		} else if (mg_snapshot_routes(s, l->rds_name) == NULL) {
			snprintf(err, errlen,
			         "listeners[%u]." FILTER ".rds.route_config_name: unknown route "
			         "configuration \"%s\"",
			         i, l->rds_name.s);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < s->n_routes; i++) {
		snprintf(where, sizeof(where), "route configuration \"%s\"", s->routes[i]->name.s);
		rc = check_route_refs(s, s->routes[i], where, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Names are unique; say where the first one was. */
static int check_unique(const struct mg_snapshot *s, const struct mg_resources *r, char *err,
                        size_t errlen)
{
	for (size_t i = 0; i < r->n_clusters; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->clusters[i]->name, r->clusters[j]->name) == 0) {
				snprintf(
				    err, errlen,
				    "clusters[%zu].name: duplicate cluster name \"%s\" (first in "
				    "clusters[%zu])",
				    i, r->clusters[i]->name, j);
				return -EINVAL;
			}
	for (size_t i = 0; i < r->n_routes; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->routes[i]->name, r->routes[j]->name) == 0) {
				snprintf(
				    err, errlen,
				    "routes[%zu].name: duplicate route configuration \"%s\" (first "
				    "in routes[%zu])",
				    i, r->routes[i]->name, j);
				return -EINVAL;
			}
	for (uint32_t i = 0; i < s->n_listeners; i++)
		for (uint32_t j = 0; j < i; j++) {
			const struct mg_listener *a = s->listeners[j], *b = s->listeners[i];

			if (name_cmp(&a->name, &b->name) == 0) {
				snprintf(
				    err, errlen,
				    "listeners[%u].name: duplicate listener name \"%s\" (first in "
				    "listeners[%u])",
				    i, b->name.s, j);
				return -EINVAL;
			}
			if (a->port == b->port && (a->addr == b->addr || !a->addr || !b->addr)) {
				snprintf(
				    err, errlen,
				    "listeners[%u].address: port %u is taken by listeners[%u] (%s)",
				    i, b->port, j, a->name.s);
				return -EINVAL;
			}
		}
	return 0;
}

/* The numbering mg_snapshot.n_route_stats describes (the tables are still ours to write). */
static uint32_t number_table(struct mg_route_table *t, uint32_t k)
{
	for (uint32_t v = 0; v < t->n_vhosts; v++)
		for (uint32_t r = 0; r < t->vhosts[v].n_routes; r++)
			((struct mg_route_entry *)(uintptr_t)&t->vhosts[v].routes[r])->stat_idx =
			    k++;
	return k;
}

static void number_routes(struct mg_snapshot *s)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i]->routes != NULL)
			k = number_table(s->listeners[i]->routes, k);
	for (uint32_t i = 0; i < s->n_routes; i++)
		k = number_table(s->routes[i], k);
	s->n_route_stats = k;
}

int mg_snapshot_compile(const struct mg_resources *r, uint64_t version, struct mg_snapshot **out,
                        char *err, size_t errlen)
{
	struct mg_snapshot *s = calloc(1, sizeof(*s));
	char at[32];
	int rc = 0;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL)
		return -ENOMEM;
	s->version = version;
	s->listeners = calloc(r->n_listeners ? r->n_listeners : 1, sizeof(*s->listeners));
	s->clusters = calloc(r->n_clusters ? r->n_clusters : 1, sizeof(*s->clusters));
	s->routes = calloc(r->n_routes ? r->n_routes : 1, sizeof(*s->routes));
	if (s->listeners == NULL || s->clusters == NULL || s->routes == NULL) {
		mg_snapshot_free(s);
		return -ENOMEM;
	}
	/* Names first: a duplicate is reported as such, not as what follows from it. */
	for (size_t i = 0; rc == 0 && i < r->n_clusters; i++) {
		const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla = NULL;

		for (size_t k = 0; k < r->n_endpoints; k++)
			if (strcmp(r->endpoints[k]->cluster_name, r->clusters[i]->name) == 0)
				cla = r->endpoints[k];
		snprintf(at, sizeof(at), "clusters[%zu]", i);
		rc = cc_cluster_compile_at(r->clusters[i], cla, &s->clusters[i], err, errlen, at);
		if (rc == 0)
			s->n_clusters++;
	}
	for (size_t i = 0; rc == 0 && i < r->n_routes; i++) {
		snprintf(at, sizeof(at), "routes[%zu]", i);
		rc = cc_route_compile_at(r->routes[i], &s->routes[i], err, errlen, at);
		if (rc == 0)
			s->n_routes++;
	}
	for (size_t i = 0; rc == 0 && i < r->n_listeners; i++) {
		snprintf(at, sizeof(at), "listeners[%zu]", i);
		rc = cc_listener_compile_at(r->listeners[i], &s->listeners[i], err, errlen, at);
		if (rc == 0)
			s->listeners[i]->idx = (uint32_t)i;
		if (rc == 0)
			s->n_listeners++;
	}
	if (rc == 0)
		rc = check_unique(s, r, err, errlen);
	if (rc == 0) {
		qsort(s->clusters, s->n_clusters, sizeof(*s->clusters), cluster_cmp);
		qsort(s->routes, s->n_routes, sizeof(*s->routes), routes_cmp);
		rc = check_refs(s, err, errlen);
	}
	if (rc == 0) {
		number_routes(s);
		/* RDS: each listener points at its table once, not per request. */
		for (uint32_t i = 0; i < s->n_listeners; i++)
			if (s->listeners[i]->routes == NULL &&
			    s->listeners[i]->kind == MG_LISTENER_HTTP)
				s->listeners[i]->rds_table =
				    mg_snapshot_routes(s, s->listeners[i]->rds_name);
	}
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory compiling the configuration");
		mg_snapshot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
