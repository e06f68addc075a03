/*
 * istio_validate_vs.c — VirtualService checks (see istio_validate.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctrl/istio_validate_pvt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Envoy's retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on). */
static const char *const retry_conditions[] = {
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
};

static bool is_retry_condition(const char *s, size_t n)
{
	size_t i;

	if (n == 3 && s[0] >= '1' && s[0] <= '5' && strspn(s, "0123456789") >= 3)
		return true; /* a status code, as Istio allows */
	for (i = 0; i < ARRAY_SIZE(retry_conditions); i++)
		if (strlen(retry_conditions[i]) == n && memcmp(retry_conditions[i], s, n) == 0)
			return true;
	return false;
}

static void check_retries(struct vctx *v, const struct mg_http_retry *r, const char *path)
{
	const char *s, *comma;
	char p[VPATH];

	if (!r->o.set)
		return;
	snprintf(p, sizeof(p), "%s.perTryTimeout", path);
	check_min_ms(v, &r->per_try_timeout, p);
	if (r->retry_on.s == NULL)
		return;
	for (s = r->retry_on.s; s != NULL; s = comma ? comma + 1 : NULL) {
		size_t n;

		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		while (n > 0 && s[0] == ' ')
			s++, n--;
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (!is_retry_condition(s, n))
			verr(v, &r->retry_on.pos, "%s.retryOn: unknown retry condition \"%.*s\"",
			     path, (int)n, s);
	}
}

static void check_fault(struct vctx *v, const struct mg_http_fault *f, const char *path)
{
	char p[VPATH];

	if (!f->o.set)
		return;
	if (!f->delay.o.set && !f->abort.o.set)
		verr(v, &f->o.pos, "%s: set delay or abort", path);
	if (f->delay.o.set && !f->delay.fixed_delay.set)
		verr(v, &f->delay.o.pos, "%s.delay: missing fixedDelay", path);
	snprintf(p, sizeof(p), "%s.delay.fixedDelay", path);
	check_min_ms(v, &f->delay.fixed_delay, p);
	snprintf(p, sizeof(p), "%s.delay.percentage", path);
	check_percent(v, &f->delay.percentage, p);
	if (f->abort.o.set && !f->abort.http_status.set)
		verr(v, &f->abort.o.pos, "%s.abort: missing httpStatus", path);
	if (f->abort.http_status.set &&
	    (f->abort.http_status.v < 200 || f->abort.http_status.v > 599))
		verr(v, &f->abort.http_status.pos,
		     "%s.abort.httpStatus: %u is out of range 200..599", path,
		     f->abort.http_status.v);
	snprintf(p, sizeof(p), "%s.abort.percentage", path);
	check_percent(v, &f->abort.percentage, p);
}

static void check_header_ops(struct vctx *v, const struct mg_header_ops *h, const char *path)
{
	char p[VPATH];
	size_t i;

	for (i = 0; i < h->set.n; i++) {
		snprintf(p, sizeof(p), "%s.set", path);
		check_header_name(v, &h->set.v[i].key, p);
	}
	for (i = 0; i < h->add.n; i++) {
		snprintf(p, sizeof(p), "%s.add", path);
		check_header_name(v, &h->add.v[i].key, p);
	}
	for (i = 0; i < h->remove.n; i++) {
		snprintf(p, sizeof(p), "%s.remove[%zu]", path, i);
		check_header_name(v, &h->remove.v[i], p);
	}
}

static void check_headers(struct vctx *v, const struct mg_headers *h, const char *path)
{
	char p[VPATH];

	snprintf(p, sizeof(p), "%s.request", path);
	check_header_ops(v, &h->request, p);
	snprintf(p, sizeof(p), "%s.response", path);
	check_header_ops(v, &h->response, p);
}

static void check_match(struct vctx *v, const struct mg_http_match *m, const char *path)
{
	static const char *const names[] = {"uri", "scheme", "method", "authority"};
	const struct mg_strmatch *sm[] = {&m->uri, &m->scheme, &m->method, &m->authority};
	char p[VPATH];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sm); i++) {
		snprintf(p, sizeof(p), "%s.%s", path, names[i]);
		check_strmatch(v, sm[i], p, false, true);
	}
	for (i = 0; i < m->n_headers; i++) {
		snprintf(p, sizeof(p), "%s.headers.%s", path, m->headers[i].name.s);
		check_header_name(v, &m->headers[i].name, p);
		/* an empty matcher ({}) matches on presence */
		check_strmatch(v, &m->headers[i].m, p, true, true);
	}
	for (i = 0; i < m->n_query_params; i++) {
		snprintf(p, sizeof(p), "%s.queryParams.%s", path, m->query_params[i].name.s);
		check_strmatch(v, &m->query_params[i].m, p, true, false);
	}
	snprintf(p, sizeof(p), "%s.port", path);
	check_port(v, &m->port, p);
	snprintf(p, sizeof(p), "%s.gateways", path);
	check_gateway_refs(v, &m->gateways, p, NULL);
}

/*
 * Weights: each 0..100; with more than one destination they sum to 100.  The
 * HTTP and TCP destination structs differ, so the weight of destination i is
 * found at first + i * stride bytes.
 */
static void check_weights(struct vctx *v, const struct mg_u32 *first, size_t n, size_t stride,
                          const struct mg_pos *route_pos, const char *path)
{
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct mg_u32 *w =
		    (const struct mg_u32 *)(const void *)((const char *)first + i * stride);

		if (w->set && w->v > 100)
			verr(v, &w->pos, "%s[%zu].weight: %u is out of range 0..100", path, i,
			     w->v);
		sum += w->v;
	}
	if (n > 1 && sum != 100)
		verr(v, route_pos, "%s: weights sum to %lu, must be 100", path, sum);
}

static void check_redirect(struct vctx *v, const struct mg_http_route *r, const char *path)
{
	const struct mg_http_redirect *rd = &r->redirect;
	uint32_t code = rd->redirect_code.v;
	char p[VPATH];

	if (r->n_route > 0)
		verr(v, &rd->o.pos, "%s: set route or redirect, not both", path);
	if (r->rewrite.o.set)
		verr(v, &r->rewrite.o.pos, "%s: rewrite cannot be used with redirect", path);
	if (rd->uri.s == NULL && rd->authority.s == NULL && rd->scheme.s == NULL && !rd->port.set)
		verr(v, &rd->o.pos, "%s.redirect: set at least one of uri, authority, scheme, port",
		     path);
	if (rd->redirect_code.set && code != 301 && code != 302 && code != 303 && code != 307 &&
	    code != 308)
		verr(v, &rd->redirect_code.pos,
		     "%s.redirect.redirectCode: %u is not one of 301, 302, 303, 307, 308", path,
		     code);
	if (rd->scheme.s != NULL && strcmp(rd->scheme.s, "http") != 0 &&
	    strcmp(rd->scheme.s, "https") != 0)
		verr(v, &rd->scheme.pos, "%s.redirect.scheme: expected http or https", path);
	snprintf(p, sizeof(p), "%s.redirect.port", path);
	check_port(v, &rd->port, p);
}

static void check_http_route(struct vctx *v, const struct mg_http_route *r, const char *path)
{
	char p[VPATH];
	size_t i;

	for (i = 0; i < r->n_match; i++) {
		snprintf(p, sizeof(p), "%s.match[%zu]", path, i);
		check_match(v, &r->match[i], p);
	}
	if (r->redirect.o.set)
		check_redirect(v, r, path);
	else if (r->n_route == 0)
		verr(v, &r->o.pos, "%s: needs route or redirect", path);
	for (i = 0; i < r->n_route; i++) {
		snprintf(p, sizeof(p), "%s.route[%zu].destination", path, i);
		check_dest(v, &r->route[i].destination, p);
		snprintf(p, sizeof(p), "%s.route[%zu].headers", path, i);
		check_headers(v, &r->route[i].headers, p);
	}
	snprintf(p, sizeof(p), "%s.route", path);
	if (r->n_route > 0)
		check_weights(v, &r->route[0].weight, r->n_route, sizeof(r->route[0]),
		              &r->route[0].o.pos, p);
	if (r->rewrite.o.set && r->rewrite.uri.s == NULL && r->rewrite.authority.s == NULL)
		verr(v, &r->rewrite.o.pos, "%s.rewrite: set uri or authority", path);
	snprintf(p, sizeof(p), "%s.timeout", path);
	check_min_ms(v, &r->timeout, p);
	snprintf(p, sizeof(p), "%s.retries", path);
	check_retries(v, &r->retries, p);
	snprintf(p, sizeof(p), "%s.fault", path);
	check_fault(v, &r->fault, p);
	snprintf(p, sizeof(p), "%s.mirror", path);
	check_dest(v, &r->mirror, p);
	snprintf(p, sizeof(p), "%s.mirrorPercentage", path);
	check_percent(v, &r->mirror_percentage, p);
	if (r->mirror_percentage.o.set && !r->mirror.o.set)
		verr(v, &r->mirror_percentage.o.pos, "%s: mirrorPercentage needs mirror", path);
	snprintf(p, sizeof(p), "%s.headers", path);
	check_headers(v, &r->headers, p);
}

static void check_tcp_route(struct vctx *v, const struct mg_tcp_route *r, const char *path)
{
	char p[VPATH];
	size_t i;

	for (i = 0; i < r->n_match; i++) {
		snprintf(p, sizeof(p), "%s.match[%zu].port", path, i);
		check_port(v, &r->match[i].port, p);
		snprintf(p, sizeof(p), "%s.match[%zu].gateways", path, i);
		check_gateway_refs(v, &r->match[i].gateways, p, NULL);
	}
	if (r->n_route == 0)
		verr(v, &r->o.pos, "%s: needs at least one route", path);
	for (i = 0; i < r->n_route; i++) {
		snprintf(p, sizeof(p), "%s.route[%zu].destination", path, i);
		check_dest(v, &r->route[i].destination, p);
	}
	snprintf(p, sizeof(p), "%s.route", path);
	if (r->n_route > 0)
		check_weights(v, &r->route[0].weight, r->n_route, sizeof(r->route[0]),
		              &r->route[0].o.pos, p);
}

void validate_virtual_service(struct vctx *v, const struct mg_istio_virtual_service *vs)
{
	const struct mg_vs_spec *s = &vs->spec;
	bool bound = false;
	char p[VPATH];
	size_t i;

	if (s->hosts.n == 0)
		verr(v, pos_or(&s->hosts.pos, &vs->meta.pos),
		     "spec.hosts: a VirtualService needs at least one host");
	for (i = 0; i < s->hosts.n; i++) {
		snprintf(p, sizeof(p), "spec.hosts[%zu]", i);
		check_host(v, &s->hosts.v[i], p, HOST_WILDCARD | HOST_IP);
	}
	check_gateway_refs(v, &s->gateways, "spec.gateways", &bound);
	if (!bound)
		vwarn(v, pos_or(&s->gateways.pos, &vs->meta.name.pos),
		      "VirtualService %s/%s is bound to no Gateway (only \"mesh\"); meshgate will "
		      "not serve it",
		      vs->meta.namespace_.s, vs->meta.name.s);
	if (s->n_http == 0 && s->n_tcp == 0)
		verr(v, &vs->meta.pos, "spec: a VirtualService needs http or tcp routes");
	for (i = 0; i < s->n_http; i++) {
		snprintf(p, sizeof(p), "spec.http[%zu]", i);
		check_http_route(v, &s->http[i], p);
	}
	for (i = 0; i < s->n_tcp; i++) {
		snprintf(p, sizeof(p), "spec.tcp[%zu]", i);
		check_tcp_route(v, &s->tcp[i], p);
	}
}
