/*
 * compile_cluster.c — Cluster (+ ClusterLoadAssignment) → struct mg_cluster
 * (compile.h): endpoints copied with their health, priority, locality and
 * weight; the ring or Maglev table built for the hash policies.  What
 * meshgate does not do yet (DNS discovery, circuit breakers, outlier
 * detection, TLS to upstreams) is an error naming the field: a cluster never
 * quietly behaves differently from what its config says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/mg_arena.h"
#include "proxy/lb.h"
#include "xds/compile.h"
#include "xds/compile_pvt.h"

typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Endpoint__V3__ClusterLoadAssignment ClusterLoadAssignment;
typedef Envoy__Config__Endpoint__V3__LbEndpoint LbEndpoint;

static uint32_t ms_of(const Google__Protobuf__Duration *d)
{
	uint64_t ms = (uint64_t)d->seconds * 1000 + (uint64_t)(d->nanos + 999999) / 1000000;

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static int endpoint(struct cctx *c, const LbEndpoint *le, struct mg_endpoint *ep)
{
	const Envoy__Config__Core__V3__SocketAddress *sa;
	struct in_addr in;
	char name[64];
	int rc;

	if (le->host_identifier_case !=
	    ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT)
		return cc_fail(c, NULL, "set endpoint (endpoint_name is not supported)");
	if (le->endpoint->address == NULL ||
	    le->endpoint->address->address_case !=
	        ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS)
		return cc_fail(c, "endpoint.address", "needs a socket_address");
	sa = le->endpoint->address->socket_address;
	if (sa->protocol != ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PROTOCOL__TCP)
		return cc_fail(c, "endpoint.address.socket_address.protocol", "only TCP");
	if (inet_pton(AF_INET, sa->address, &in) != 1)
		return cc_fail(
		    c, "endpoint.address.socket_address.address",
		    "\"%s\" is not an IPv4 address (names and IPv6 are not supported yet)",
		    sa->address);
	if (sa->port_specifier_case !=
	        ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE ||
	    sa->port_value == 0 || sa->port_value > 65535)
		return cc_fail(c, "endpoint.address.socket_address.port_value",
		               "port %u is out of range 1..65535", sa->port_value);
	ep->addr = in.s_addr;
	ep->port = (uint16_t)sa->port_value;
	ep->weight = 1;
	if (le->load_balancing_weight != NULL) {
		if (le->load_balancing_weight->value == 0)
			return cc_fail(c, "load_balancing_weight", "must be at least 1");
		ep->weight = le->load_balancing_weight->value;
	}
	switch (le->health_status) {
	case ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__UNKNOWN:
	case ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__HEALTHY:
		ep->health = MG_EP_HEALTHY;
		break;
	case ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__DEGRADED:
		ep->health = MG_EP_DEGRADED;
		break;
	default:
		ep->health = MG_EP_UNHEALTHY;
	}
	snprintf(name, sizeof(name), "%s:%u", sa->address, sa->port_value);
	rc = cc_str(c, name, false, &ep->name);
	return rc;
}

static int endpoints(struct cctx *c, struct mg_cluster *cl, const ClusterLoadAssignment *cla)
{
	struct mg_endpoint *eps;
	size_t n = 0, k = 0;
	int rc = 0;

	if (cla->policy != NULL)
		return cc_fail(c, "policy", "not supported yet");
	for (size_t i = 0; i < cla->n_endpoints; i++)
		n += cla->endpoints[i]->n_lb_endpoints;
	eps = cc_alloc(c, n, sizeof(*eps));
	if (n > 0 && eps == NULL)
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < cla->n_endpoints; i++) {
		const Envoy__Config__Endpoint__V3__LocalityLbEndpoints *lle = cla->endpoints[i];
		const Envoy__Config__Core__V3__Locality *loc = lle->locality;
		size_t old = cc_push(c, "endpoints[%zu]", i);

		if (lle->priority > 127)
			rc = cc_fail(c, "priority", "%u is out of range 0..127", lle->priority);
		else if (lle->load_balancing_weight != NULL)
			rc = cc_fail(c, "load_balancing_weight",
			             "locality weights are not supported yet");
		for (size_t j = 0; rc == 0 && j < lle->n_lb_endpoints; j++, k++) {
			size_t o = cc_push(c, "lb_endpoints[%zu]", j);

			rc = endpoint(c, lle->lb_endpoints[j], &eps[k]);
			eps[k].priority = (uint8_t)lle->priority;
			if (rc == 0 && loc != NULL)
				rc = cc_str(c, loc->region, false, &eps[k].region);
			if (rc == 0 && loc != NULL)
				rc = cc_str(c, loc->zone, false, &eps[k].zone);
			if (rc == 0 && loc != NULL)
				rc = cc_str(c, loc->sub_zone, false, &eps[k].sub_zone);
			cc_pop(c, o);
		}
		cc_pop(c, old);
	}
	cl->eps = eps;
	cl->n_eps = (uint32_t)k;
	for (uint32_t i = 1; i < cl->n_eps; i++)
		if (eps[i].weight != eps[0].weight)
			cl->weighted = true;
	return rc;
}

static int lb_policy(struct cctx *c, const Cluster *m, struct mg_cluster *cl)
{
	const Envoy__Config__Cluster__V3__Cluster__RingHashLbConfig *rh = NULL;
	uint64_t rmin = MG_RING_MIN_DEFAULT, rmax = MG_RING_MAX_DEFAULT;
	uint64_t msize = MG_MAGLEV_DEFAULT_SIZE;
	int rc;

	cl->choice_count = 2;
	switch (m->lb_policy) {
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__ROUND_ROBIN:
		cl->lb = MG_LBP_ROUND_ROBIN;
		break;
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__LEAST_REQUEST:
		cl->lb = MG_LBP_LEAST_REQUEST;
		break;
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RANDOM:
		cl->lb = MG_LBP_RANDOM;
		break;
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH:
		cl->lb = MG_LBP_RING_HASH;
		break;
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__MAGLEV:
		cl->lb = MG_LBP_MAGLEV;
		break;
	default:
		return cc_fail(c, "lb_policy",
		               "not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM, "
		               "RING_HASH, MAGLEV are)");
	}
	switch (m->lb_config_case) {
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_RING_HASH_LB_CONFIG:
		if (cl->lb != MG_LBP_RING_HASH)
			return cc_fail(c, "ring_hash_lb_config", "needs lb_policy RING_HASH");
		rh = m->ring_hash_lb_config;
		if (rh->hash_function !=
		    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__RING_HASH_LB_CONFIG__HASH_FUNCTION__XX_HASH)
			return cc_fail(c, "ring_hash_lb_config.hash_function", "only XX_HASH");
		if (rh->minimum_ring_size != NULL)
			rmin = rh->minimum_ring_size->value;
		if (rh->maximum_ring_size != NULL)
			rmax = rh->maximum_ring_size->value;
		if (rmin < 1 || rmax > MG_RING_MAX_DEFAULT || rmin > rmax)
			return cc_fail(c, "ring_hash_lb_config",
			               "need 1 <= minimum_ring_size <= maximum_ring_size <= %u",
			               MG_RING_MAX_DEFAULT);
		break;
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_MAGLEV_LB_CONFIG:
		if (cl->lb != MG_LBP_MAGLEV)
			return cc_fail(c, "maglev_lb_config", "needs lb_policy MAGLEV");
		if (m->maglev_lb_config->table_size != NULL)
			msize = m->maglev_lb_config->table_size->value;
		break;
	case ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_LEAST_REQUEST_LB_CONFIG:
		if (cl->lb != MG_LBP_LEAST_REQUEST)
			return cc_fail(c, "least_request_lb_config",
			               "needs lb_policy LEAST_REQUEST");
		if (m->least_request_lb_config->choice_count != NULL) {
			uint32_t d = m->least_request_lb_config->choice_count->value;

			if (d < 2 || d > 100)
				return cc_fail(c, "least_request_lb_config.choice_count",
				               "%u is out of range 2..100", d);
			cl->choice_count = d;
		}
		break;
	default:
		break;
	}
	if (cl->n_eps == 0)
		return 0; /* nothing to build: every pick answers 503 */
	if (cl->lb == MG_LBP_RING_HASH) {
		rc = mg_lb_build_ring(cl, c->a, rmin, rmax);
		return rc == -EINVAL ? cc_fail(c, "ring_hash_lb_config", "cannot build the ring")
		                     : rc;
	}
	if (cl->lb == MG_LBP_MAGLEV) {
		if (msize > 5000011)
			return cc_fail(c, "maglev_lb_config.table_size", "at most 5000011");
		rc = mg_lb_build_maglev(cl, c->a, (uint32_t)msize);
		return rc == -EINVAL ? cc_fail(c, "maglev_lb_config.table_size",
		                               "%llu must be a prime at least the number of "
		                               "endpoints",
		                               (unsigned long long)msize)
		                     : rc;
	}
	return 0;
}

int mg_cluster_compile(const Cluster *m, const ClusterLoadAssignment *cla, struct mg_cluster **out,
                       char *err, size_t errlen)
{
	return cc_cluster_compile_at(m, cla, out, err, errlen, NULL);
}

int cc_cluster_compile_at(const Cluster *m, const ClusterLoadAssignment *cla,
                          struct mg_cluster **out, char *err, size_t errlen, const char *prefix)
{
	struct cctx c;
	struct mg_cluster *cl;
	bool eds = m->cluster_discovery_type_case ==
	               ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE &&
	           m->type == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	int rc = 0;

	*out = NULL;
	cc_init(&c, prefix, "cluster", err, errlen);
	c.a = mg_arena_new();
	if (c.a == NULL)
		return -ENOMEM;
	cl = mg_arena_alloc(c.a, sizeof(*cl));
	if (cl == NULL) {
		mg_arena_free(c.a);
		return -ENOMEM;
	}
	cl->arena = c.a;
	c.owner = cl;
	if (m->name[0] == '\0')
		rc = cc_fail(&c, "name", "is required");
	if (rc == 0)
		rc = cc_str(&c, m->name, false, &cl->name);
	if (rc == 0 &&
	    m->cluster_discovery_type_case ==
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE &&
	    m->type != ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC && !eds)
		rc =
		    cc_fail(&c, "type", "only STATIC and EDS are supported (no DNS discovery yet)");
	if (rc == 0 && m->circuit_breakers != NULL)
		rc = cc_fail(&c, "circuit_breakers", "not supported yet (comes with resilience)");
	if (rc == 0 && m->outlier_detection != NULL)
		rc = cc_fail(&c, "outlier_detection", "not supported yet (comes with resilience)");
	if (rc == 0 && m->transport_socket != NULL)
		rc = cc_fail(&c, "transport_socket",
		             "not supported yet (TLS to upstreams comes "
		             "later)");
	if (rc == 0 && m->upstream_bind_config != NULL) {
		const Envoy__Config__Core__V3__BindConfig *b = m->upstream_bind_config;
		size_t old = cc_push(&c, "upstream_bind_config");

		if (b->source_address != NULL)
			rc = cc_fail(&c, "source_address", "not supported yet");
		else if (b->freebind != NULL)
			rc = cc_fail(&c, "freebind", "not supported yet");
		else
			rc = cc_socket_options(&c, b->socket_options, b->n_socket_options, &cl->cc);
		cc_pop(&c, old);
	}
	cl->connect_timeout_ms = MG_CLUSTER_DEFAULT_CONNECT_TIMEOUT_MS;
	if (rc == 0 && m->connect_timeout != NULL) {
		if (m->connect_timeout->seconds < 0 || m->connect_timeout->nanos < 0 ||
		    ms_of(m->connect_timeout) == 0)
			rc = cc_fail(&c, "connect_timeout", "must be positive");
		else
			cl->connect_timeout_ms = ms_of(m->connect_timeout);
	}
	if (rc == 0 && eds && cla == NULL)
		rc = cc_fail(&c, "load_assignment",
		             "an EDS cluster needs its ClusterLoadAssignment to compile");
	if (rc == 0 && (cla != NULL || m->load_assignment != NULL)) {
		const ClusterLoadAssignment *src = cla != NULL ? cla : m->load_assignment;
		size_t old =
		    cc_push(&c, "%s", cla != NULL ? "cluster_load_assignment" : "load_assignment");

		rc = endpoints(&c, cl, src);
		cc_pop(&c, old);
	}
	if (rc == 0)
		rc = lb_policy(&c, m, cl);
	if (rc < 0) {
		if (rc == -ENOMEM && errlen > 0)
			snprintf(err, errlen, "out of memory compiling cluster %s", m->name);
		mg_cluster_free(cl);
		return rc;
	}
	*out = cl;
	return 0;
}

void mg_cluster_free(struct mg_cluster *cl)
{
	if (cl != NULL)
		mg_arena_free(cl->arena);
}
