/*
 * ads_proto.c — the ADS client's protocol logic, without sockets: what to
 * request when a stream starts, and what to do with each DiscoveryResponse
 * (state-of-the-world xDS, envoyproxy.io "xDS REST and gRPC protocol").
 *
 * Per type the client keeps the version it last ACKed, the last nonce, the
 * last NACK's error, and two sets of resources: `warm` (every resource
 * accepted so far) and `live` (what the applied snapshot was compiled from).
 * A response is first checked alone (each Any unpacks to the type, each
 * resource compiles on its own); then, if the whole configuration is
 * complete — every EDS cluster has its ClusterLoadAssignment, every RDS name
 * its RouteConfiguration, CDS and LDS have answered — the static and dynamic
 * resources are compiled together into one snapshot and applied.  Envoy
 * calls the wait for completeness "warming"; meshgate warms without a
 * timeout (a cluster without endpoints would only fail requests), ACKing
 * each valid response meanwhile.  Any failure NACKs the response (previous
 * version, the nonce, error_detail INVALID_ARGUMENT with the compiler's
 * path to the field) and changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mg_common.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "meshgate/ads_client.h"

#include "proxy/route.h"
#include "xds/compile.h"
#include "xds/grpc.h"
#include "xds/xds.h"

/* Type URL of the HTTP connection manager, as an Any in a listener's filter. */
#define MG_ADS_HCM_URL         \
	"type.googleapis.com/" \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"

typedef Envoy__Service__Discovery__V3__DiscoveryRequest req_msg;
typedef Envoy__Service__Discovery__V3__DiscoveryResponse resp_msg;
typedef Envoy__Config__Cluster__V3__Cluster cluster_msg;
typedef Envoy__Config__Endpoint__V3__ClusterLoadAssignment cla_msg;
typedef Envoy__Config__Listener__V3__Listener listener_msg;
typedef Envoy__Config__Route__V3__RouteConfiguration route_msg;
typedef Envoy__Config__Listener__V3__Filter filter_msg;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager
    hcm_msg;

#define ERR_MAX 1024

static const char *const type_short[] = {
#define X(e, s, m) s,
    MG_ADS_TYPES(X)
#undef X
};

static const char *const type_url[] = {
#define X(e, s, m) MG_XDS_TYPE_URL_PREFIX m,
    MG_ADS_TYPES(X)
#undef X
};

/* What a resource is called in messages, as Envoy's config dump names it. */
static const char *const type_noun[] = {"cluster", "cluster_load_assignment", "listener",
                                        "route_configuration"};

const char *mg_ads_type_name(enum mg_ads_type t)
{
	return t < MG_ADS_N_TYPES ? type_short[t] : "?";
}

const char *mg_ads_type_url(enum mg_ads_type t)
{
	return t < MG_ADS_N_TYPES ? type_url[t] : "";
}

int mg_ads_type_of(const char *url)
{
	for (int t = 0; t < MG_ADS_N_TYPES; t++)
		if (strcmp(url, type_url[t]) == 0)
			return t;
	return -1;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- strings, names and sets ---- */

static int set_str(char **dst, const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static void res_put(struct mg_ads_res *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	free(r->name);
	free(r->dep);
	free(r->version);
	mg_xds_free(r->msg);
	free(r);
}

static void set_free(struct mg_ads_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		res_put(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int res_cmp(const void *a, const void *b)
{
	return strcmp((*(struct mg_ads_res *const *)a)->name,
	              (*(struct mg_ads_res *const *)b)->name);
}

/* The resource called name in s (sorted by name), or NULL. */
static struct mg_ads_res *mg_ads_set_find(const struct mg_ads_set *s, const char *name)
{
	struct mg_ads_res key = {.name = (char *)name}, *kp = &key, **hit;

	if (s->n == 0)
		return NULL;
	hit = bsearch(&kp, s->v, s->n, sizeof(*s->v), res_cmp);
	return hit != NULL ? *hit : NULL;
}

/* dst = a copy of src (references taken). */
static int set_copy(struct mg_ads_set *dst, const struct mg_ads_set *src)
{
	dst->v = calloc(src->n + 1, sizeof(*dst->v));
	dst->n = 0;
	if (dst->v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		src->v[i]->refs++;
		dst->v[dst->n++] = src->v[i];
	}
	return 0;
}

static void names_free(struct mg_ads_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool names_has(const struct mg_ads_names *n, const char *s)
{
	return n->n > 0 && bsearch(&s, n->v, n->n, sizeof(*n->v), str_cmp) != NULL;
}

static bool names_equal(const struct mg_ads_names *a, const struct mg_ads_names *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* The sorted, unique dep names of the resources of s. */
static int names_of_deps(const struct mg_ads_set *s, struct mg_ads_names *out)
{
	out->v = calloc(s->n + 1, sizeof(*out->v));
	out->n = 0;
	if (out->v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i]->dep == NULL)
			continue;
		out->v[out->n] = strdup(s->v[i]->dep);
		if (out->v[out->n] == NULL) {
			names_free(out);
			return -ENOMEM;
		}
		out->n++;
	}
	qsort(out->v, out->n, sizeof(*out->v), str_cmp);
	size_t j = 0;

	for (size_t i = 0; i < out->n; i++) {
		if (j > 0 && strcmp(out->v[i], out->v[j - 1]) == 0)
			free(out->v[i]);
		else
			out->v[j++] = out->v[i];
	}
	out->n = j;
	return 0;
}

/* Keep in s only the resources named in keep. */
static void set_filter(struct mg_ads_set *s, const struct mg_ads_names *keep)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (names_has(keep, s->v[i]->name))
			s->v[j++] = s->v[i];
		else
			res_put(s->v[i]);
	}
	s->n = j;
}

/* ---- requests ---- */

void mg_ads_request_free(req_msg *r)
{
	if (r == NULL)
		return;
	free(r->version_info);
	free(r->type_url);
	free(r->response_nonce);
	for (size_t i = 0; i < r->n_resource_names; i++)
		free(r->resource_names[i]);
	free(r->resource_names);
	if (r->error_detail != NULL) {
		free(r->error_detail->message);
		free(r->error_detail);
	}
	/* r->node is borrowed from the bootstrap */
	free(r);
}

void mg_ads_out_reset(struct mg_ads_out *out)
{
	for (size_t i = 0; i < out->n; i++)
		mg_ads_request_free(out->req[i]);
	out->n = 0;
}

/* Append the request for type t: its ACKed version, last nonce and names. */
static int add_req(struct mg_ads_proto *p, struct mg_ads_out *out, enum mg_ads_type t,
                   const char *error)
{
	struct mg_ads_type_state *ts = &p->t[t];
	req_msg *r;

	if (out->n == MG_ADS_MAX_OUT)
		return -ENOSPC;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	envoy__service__discovery__v3__discovery_request__init(r);
	r->version_info = strdup(ts->acked_version);
	r->type_url = strdup(type_url[t]);
	r->response_nonce = strdup(ts->nonce);
	r->resource_names = calloc(ts->names.n + 1, sizeof(char *));
	if (r->version_info == NULL || r->type_url == NULL || r->response_nonce == NULL ||
	    r->resource_names == NULL)
		goto nomem;
	for (size_t i = 0; i < ts->names.n; i++) {
		r->resource_names[i] = strdup(ts->names.v[i]);
		if (r->resource_names[i] == NULL)
			goto nomem;
		r->n_resource_names++;
	}
	if (error != NULL) {
		r->error_detail = calloc(1, sizeof(*r->error_detail));
		if (r->error_detail == NULL)
			goto nomem;
		google__rpc__status__init(r->error_detail);
		r->error_detail->code = MG_GRPC_INVALID_ARGUMENT;
		r->error_detail->message = strdup(error);
		if (r->error_detail->message == NULL)
			goto nomem;
	}
	if (!p->node_sent) {
		/* the node goes in the first request of each stream only */
		r->node = (Envoy__Config__Core__V3__Node *)p->node;
		p->node_sent = true;
	}
	ts->subscribed = true;
	out->req[out->n++] = r;
	return 0;
nomem:
	mg_ads_request_free(r);
	return -ENOMEM;
}

/* ---- set-up ---- */

int mg_ads_proto_init(struct mg_ads_proto *p, const struct Envoy__Config__Core__V3__Node *node,
                      const struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr,
                      bool cds, bool lds, mg_ads_apply_fn apply, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->node = node;
	p->sr = sr;
	p->want_cds = cds;
	p->want_lds = lds;
	p->apply = apply;
	p->apply_arg = arg;
	p->next_version = 2;
	p->now_ms = wall_ms;
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		struct mg_ads_type_state *ts = &p->t[t];

		if (set_str(&ts->acked_version, "") < 0 || set_str(&ts->nonce, "") < 0 ||
		    set_str(&ts->last_error, "") < 0 || set_str(&ts->live_version, "") < 0) {
			mg_ads_proto_fini(p);
			return -ENOMEM;
		}
	}
	return 0;
}

void mg_ads_proto_fini(struct mg_ads_proto *p)
{
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		struct mg_ads_type_state *ts = &p->t[t];

		free(ts->acked_version);
		free(ts->nonce);
		free(ts->last_error);
		free(ts->live_version);
		names_free(&ts->names);
		set_free(&ts->warm);
		set_free(&ts->live);
	}
	memset(p, 0, sizeof(*p));
}

/*
 * A new stream: CDS (wildcard), EDS for the names known, LDS (wildcard) once
 * CDS has answered — on a first stream that is after the first CDS
 * response, as Envoy initialises clusters before listeners — and RDS for the
 * names known.  Versions are the last ACKed ones, so a server that still
 * has those versions need not send them again; nonces start empty.
 */
int mg_ads_stream_start(struct mg_ads_proto *p, struct mg_ads_out *out)
{
	int rc = 0;

	p->node_sent = false;
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		p->t[t].subscribed = false;
		/* a nonce belongs to the stream that sent it: a server would take
		 * an old one for a stale request and ignore it (Envoy clears them
		 * too, GrpcMuxImpl::clearNonce) */
		if (set_str(&p->t[t].nonce, "") < 0)
			return -ENOMEM;
	}
	if (p->want_cds) {
		rc = add_req(p, out, MG_ADS_CDS, NULL);
		if (rc == 0 && p->t[MG_ADS_EDS].names.n > 0)
			rc = add_req(p, out, MG_ADS_EDS, NULL);
	}
	if (rc == 0 && p->want_lds && (!p->want_cds || p->t[MG_ADS_CDS].received)) {
		rc = add_req(p, out, MG_ADS_LDS, NULL);
		if (rc == 0 && p->t[MG_ADS_RDS].names.n > 0)
			rc = add_req(p, out, MG_ADS_RDS, NULL);
	}
	return rc;
}

/* ---- checking one response ---- */

static const ProtobufCMessageDescriptor *type_desc(enum mg_ads_type t)
{
	static const ProtobufCMessageDescriptor *const d[] = {
	    &envoy__config__cluster__v3__cluster__descriptor,
	    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor,
	    &envoy__config__listener__v3__listener__descriptor,
	    &envoy__config__route__v3__route_configuration__descriptor,
	};
	return d[t];
}

static bool is_eds(const cluster_msg *c)
{
	return c->cluster_discovery_type_case ==
	           ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE &&
	       c->type == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
}

/* The name EDS knows an EDS cluster by: eds_cluster_config.service_name, or its name. */
static const char *eds_name(const cluster_msg *c)
{
	if (c->eds_cluster_config != NULL && c->eds_cluster_config->service_name[0] != '\0')
		return c->eds_cluster_config->service_name;
	return c->name;
}

static bool source_is_ads(const Envoy__Config__Core__V3__ConfigSource *s)
{
	return s == NULL || s->config_source_specifier_case ==
	                        ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
}

/*
 * The config_source of every RDS an HttpConnectionManager of l names must
 * be ADS (or unset): that is the only stream meshgate has.  Returns the
 * index of the first filter chain that breaks it, or -1.
 */
static int rds_not_ads(const listener_msg *l, size_t *filter)
{
	for (size_t i = 0; i < l->n_filter_chains; i++) {
		for (size_t j = 0; j < l->filter_chains[i]->n_filters; j++) {
			const filter_msg *f = l->filter_chains[i]->filters[j];
			ProtobufCMessage *m = NULL;
			const hcm_msg *h;
			bool bad;

			if (f->config_type_case !=
			        ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG ||
			    strcmp(f->typed_config->type_url, MG_ADS_HCM_URL) != 0 ||
			    mg_xds_unpack_any(f->typed_config, NULL, &m) < 0)
				continue;
			h = (const hcm_msg *)m;
			bad =
			    h->route_specifier_case ==
			        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS &&
			    !source_is_ads(h->rds->config_source);
			mg_xds_free(m);
			if (bad) {
				*filter = j;
				return (int)i;
			}
		}
	}
	return -1;
}

/* Compile m alone; set *name and *dep (EDS or RDS name it needs, or NULL). */
static int check_one(enum mg_ads_type t, const ProtobufCMessage *m, const char **name, char **dep,
                     char *err, size_t errlen)
{
	int rc = 0;

	*dep = NULL;
	if (t == MG_ADS_CDS) {
		const cluster_msg *c = (const cluster_msg *)m;
		cla_msg empty = ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT;
		struct mg_cluster *cl = NULL;

		*name = c->name;
		if (is_eds(c) && c->eds_cluster_config != NULL &&
		    !source_is_ads(c->eds_cluster_config->eds_config)) {
			snprintf(err, errlen,
			         "eds_cluster_config.eds_config: only \"ads: {}\" is supported");
			return -EINVAL;
		}
		empty.cluster_name = c->name;
		rc = mg_cluster_compile(c, is_eds(c) ? &empty : NULL, &cl, err, errlen);
		mg_cluster_free(cl);
		if (rc == 0 && is_eds(c) && (*dep = strdup(eds_name(c))) == NULL)
			rc = -ENOMEM;
	} else if (t == MG_ADS_EDS) {
		const cla_msg *a = (const cla_msg *)m;
		cluster_msg c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
		struct mg_cluster *cl = NULL;

		*name = a->cluster_name;
		c.name = a->cluster_name;
		rc = mg_cluster_compile(&c, a, &cl, err, errlen);
		mg_cluster_free(cl);
	} else if (t == MG_ADS_LDS) {
		const listener_msg *l = (const listener_msg *)m;
		struct mg_listener *ml = NULL;

		size_t fi = 0;
		int fc;

		*name = l->name;
		rc = mg_listener_compile(l, &ml, err, errlen);
		if (rc == 0 && (fc = rds_not_ads(l, &fi)) >= 0) {
			snprintf(
			    err, errlen,
			    "filter_chains[%d].filters[%zu].typed_config.rds.config_source: only "
			    "\"ads: {}\" is supported",
			    fc, fi);
			rc = -EINVAL;
		}
		if (rc == 0 && ml->rds_name.len > 0 &&
		    (*dep = strndup(ml->rds_name.s, ml->rds_name.len)) == NULL)
			rc = -ENOMEM;
		mg_listener_free(ml);
	} else {
		const route_msg *r = (const route_msg *)m;
		struct mg_route_table *rt = NULL;

		*name = r->name;
		rc = mg_route_compile(r, &rt, err, errlen);
		mg_route_table_free(rt);
	}
	if (rc == 0 && (*name)[0] == '\0') {
		snprintf(err, errlen, "%s: is required", t == MG_ADS_EDS ? "cluster_name" : "name");
		rc = -EINVAL;
	}
	if (rc < 0) {
		free(*dep);
		*dep = NULL;
	}
	return rc;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Unpack and check every resource of resp into a new sorted set. */
static int decode_all(struct mg_ads_proto *p, enum mg_ads_type t, const resp_msg *resp,
                      struct mg_ads_set *out, char *err, size_t errlen)
{
	char why[ERR_MAX - 256];
	int rc = 0;

	out->v = calloc(resp->n_resources + 1, sizeof(*out->v));
	out->n = 0;
	if (out->v == NULL)
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < resp->n_resources; i++) {
		const Google__Protobuf__Any *any = resp->resources[i];
		struct mg_ads_res *r;
		ProtobufCMessage *m = NULL;
		const char *name = "";
		char *dep = NULL;

		if (strcmp(any->type_url, type_url[t]) != 0) {
			snprintf(err, errlen, "resources[%zu]: type_url \"%.200s\" is not %s", i,
			         any->type_url, type_url[t]);
			rc = -EINVAL;
			break;
		}
		rc = mg_xds_unpack_any(any, type_desc(t), &m);
		if (rc < 0) {
			snprintf(err, errlen, "resources[%zu]: the %s does not parse (%s)", i,
			         type_noun[t], strerror(-rc));
			rc = -EINVAL;
			break;
		}
		rc = check_one(t, m, &name, &dep, why, sizeof(why));
		if (rc == 0 && mg_ads_set_find(out, name) != NULL) {
			snprintf(why, sizeof(why),
			         "a second resource with this name in the response");
			rc = -EINVAL;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s \"%.128s\": %s", type_noun[t], name, why);
			mg_xds_free(m);
			break;
		}
		r = calloc(1, sizeof(*r));
		if (r == NULL || (r->name = strdup(name)) == NULL ||
		    (r->version = strdup(resp->version_info)) == NULL) {
			if (r != NULL) {
				free(r->name);
				free(r);
			}
			free(dep);
			mg_xds_free(m);
			rc = -ENOMEM;
			break;
		}
		r->refs = 1;
		r->msg = m;
		r->hash = fnv1a(any->value.data, any->value.len);
		r->dep = dep;
		r->last_updated_ms = p->now_ms();
		out->v[out->n++] = r;
		qsort(out->v, out->n, sizeof(*out->v), res_cmp); /* for set_find above */
	}
	if (rc < 0)
		set_free(out);
	return rc;
}

/*
 * Merge what an EDS or RDS response brought into a copy of the warm set:
 * in state of the world, those types' responses need only carry what
 * changed among the subscribed names, and what they leave out is kept.
 */
static int merge(const struct mg_ads_set *old, struct mg_ads_set *add, struct mg_ads_set *out)
{
	out->v = calloc(old->n + add->n + 1, sizeof(*out->v));
	out->n = 0;
	if (out->v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < old->n; i++)
		if (mg_ads_set_find(add, old->v[i]->name) == NULL) {
			old->v[i]->refs++;
			out->v[out->n++] = old->v[i];
		}
	for (size_t i = 0; i < add->n; i++) {
		add->v[i]->refs++;
		out->v[out->n++] = add->v[i];
	}
	qsort(out->v, out->n, sizeof(*out->v), res_cmp);
	return 0;
}

/* ---- the whole configuration ---- */

/* What a response would make of the four warm sets, with derived names. */
struct cand {
	struct mg_ads_set set[MG_ADS_N_TYPES];
	struct mg_ads_names eds_names, rds_names;
};

static void cand_free(struct cand *c)
{
	for (int t = 0; t < MG_ADS_N_TYPES; t++)
		set_free(&c->set[t]);
	names_free(&c->eds_names);
	names_free(&c->rds_names);
}

static int cand_build(struct mg_ads_proto *p, enum mg_ads_type t, struct mg_ads_set *got,
                      struct cand *c)
{
	int rc = 0;

	memset(c, 0, sizeof(*c));
	for (int i = 0; rc == 0 && i < MG_ADS_N_TYPES; i++) {
		if (i != (int)t)
			rc = set_copy(&c->set[i], &p->t[i].warm);
		else if (t == MG_ADS_CDS || t == MG_ADS_LDS)
			rc = set_copy(&c->set[i], got); /* the full set, every time */
		else
			rc = merge(&p->t[i].warm, got, &c->set[i]);
	}
	if (rc == 0)
		rc = names_of_deps(&c->set[MG_ADS_CDS], &c->eds_names);
	if (rc == 0)
		rc = names_of_deps(&c->set[MG_ADS_LDS], &c->rds_names);
	if (rc == 0) {
		/* endpoints and routes nothing names any more are dropped */
		set_filter(&c->set[MG_ADS_EDS], &c->eds_names);
		set_filter(&c->set[MG_ADS_RDS], &c->rds_names);
	}
	if (rc < 0)
		cand_free(c);
	return rc;
}

/* Same names and bytes (a and b are sorted by name). */
static bool set_same(const struct mg_ads_set *a, const struct mg_ads_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i]->name, b->v[i]->name) != 0 || a->v[i]->hash != b->v[i]->hash)
			return false;
	return true;
}

/*
 * Whether the candidate changes nothing that is served: every type's
 * candidate set equals the live one (a server resending what it sent, as
 * after a reconnect).  Then there is nothing to compile or apply.
 */
static bool cand_is_live(const struct mg_ads_proto *p, const struct cand *c)
{
	if (!mg_ads_proto_initialized(p))
		return false;
	for (int t = 0; t < MG_ADS_N_TYPES; t++)
		if (!set_same(&c->set[t], &p->t[t].live))
			return false;
	return true;
}

/* How many subscribed names have no resource yet, and whether CDS/LDS answered. */
static size_t cand_missing(const struct mg_ads_proto *p, enum mg_ads_type t, const struct cand *c)
{
	size_t miss = 0;

	if (p->want_cds && !p->t[MG_ADS_CDS].received && t != MG_ADS_CDS)
		miss++;
	if (p->want_lds && !p->t[MG_ADS_LDS].received && t != MG_ADS_LDS)
		miss++;
	for (size_t i = 0; i < c->eds_names.n; i++)
		if (mg_ads_set_find(&c->set[MG_ADS_EDS], c->eds_names.v[i]) == NULL)
			miss++;
	for (size_t i = 0; i < c->rds_names.n; i++)
		if (mg_ads_set_find(&c->set[MG_ADS_RDS], c->rds_names.v[i]) == NULL)
			miss++;
	return miss;
}

/*
 * The compiler's "clusters[3].x: why" names a place in the lists below (the
 * static resources first); say which resource instead: "cluster \"web\": x: why".
 */
static void name_err(const char *in, void *const *lists[4], const size_t n[4], char *out,
                     size_t outlen)
{
	static const char *const key[] = {"clusters", "endpoints", "listeners", "routes"};
	static const size_t off[] = {offsetof(cluster_msg, name), offsetof(cla_msg, cluster_name),
	                             offsetof(listener_msg, name), offsetof(route_msg, name)};

	for (int t = 0; t < 4; t++) {
		size_t klen = strlen(key[t]), idx;
		char *end;

		if (strncmp(in, key[t], klen) != 0 || in[klen] != '[')
			continue;
		idx = strtoul(in + klen + 1, &end, 10);
		if (*end != ']' || idx >= n[t])
			break;
		end++;
		if (*end == '.')
			end++;
		snprintf(out, outlen, "%s \"%s\": %s", type_noun[t],
		         *(const char *const *)((const char *)lists[t][idx] + off[t]), end);
		return;
	}
	snprintf(out, outlen, "%s", in);
}

/* Static and candidate resources compiled together into one snapshot. */
static int cand_compile(struct mg_ads_proto *p, const struct cand *c, struct mg_snapshot **out,
                        char *err, size_t errlen)
{
	const Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr = p->sr;
	size_t ns_l = sr ? sr->n_listeners : 0, ns_c = sr ? sr->n_clusters : 0;
	const struct mg_ads_set *cs = &c->set[MG_ADS_CDS], *es = &c->set[MG_ADS_EDS],
	                        *ls = &c->set[MG_ADS_LDS], *rs = &c->set[MG_ADS_RDS];
	listener_msg **l = calloc(ns_l + ls->n + 1, sizeof(*l));
	cluster_msg **cl = calloc(ns_c + cs->n + 1, sizeof(*cl));
	cla_msg **e = calloc(cs->n + 1, sizeof(*e));
	cla_msg *ecopy = calloc(cs->n + 1, sizeof(*ecopy));
	route_msg **r = calloc(rs->n + 1, sizeof(*r));
	struct mg_resources res = {0};
	char raw[ERR_MAX];
	int rc = -ENOMEM;

	if (l == NULL || cl == NULL || e == NULL || ecopy == NULL || r == NULL)
		goto out;
	for (size_t i = 0; i < ns_l; i++)
		l[res.n_listeners++] = sr->listeners[i];
	for (size_t i = 0; i < ls->n; i++)
		l[res.n_listeners++] = (listener_msg *)ls->v[i]->msg;
	for (size_t i = 0; i < ns_c; i++)
		cl[res.n_clusters++] = sr->clusters[i];
	for (size_t i = 0; i < cs->n; i++) {
		cluster_msg *m = (cluster_msg *)cs->v[i]->msg;
		struct mg_ads_res *a;

		cl[res.n_clusters++] = m;
		if (cs->v[i]->dep == NULL || (a = mg_ads_set_find(es, cs->v[i]->dep)) == NULL)
			continue;
		/* the compiler pairs endpoints by cluster name; EDS by service_name */
		ecopy[res.n_endpoints] = *(cla_msg *)a->msg;
		ecopy[res.n_endpoints].cluster_name = m->name;
		e[res.n_endpoints] = &ecopy[res.n_endpoints];
		res.n_endpoints++;
	}
	for (size_t i = 0; i < rs->n; i++)
		r[res.n_routes++] = (route_msg *)rs->v[i]->msg;
	res.listeners = l;
	res.clusters = cl;
	res.endpoints = e;
	res.routes = r;
	rc = mg_snapshot_compile(&res, p->next_version, out, raw, sizeof(raw));
	if (rc < 0) {
		void *const *lists[4] = {(void *const *)cl, (void *const *)e, (void *const *)l,
		                         (void *const *)r};
		const size_t n[4] = {res.n_clusters, res.n_endpoints, res.n_listeners,
		                     res.n_routes};

		name_err(raw, lists, n, err, errlen);
	}
out:
	free(l);
	free(cl);
	free(e);
	free(ecopy);
	free(r);
	return rc;
}

/* The candidate becomes the warm state (and, when applied, the live one). */
static void cand_commit(struct mg_ads_proto *p, struct cand *c, bool applied)
{
	uint64_t now = p->now_ms();

	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		struct mg_ads_type_state *ts = &p->t[t];

		set_free(&ts->warm);
		ts->warm = c->set[t];
		c->set[t] = (struct mg_ads_set){0};
		if (!applied)
			continue;
		set_free(&ts->live);
		if (set_copy(&ts->live, &ts->warm) < 0)
			MG_LOG(ERR, "ADS: out of memory recording the live %s resources",
			       type_short[t]);
		if (strcmp(ts->live_version, ts->acked_version) != 0 || ts->live_updated_ms == 0) {
			(void)set_str(&ts->live_version, ts->acked_version);
			ts->live_updated_ms = now;
		}
	}
}

/* Subscribe EDS/RDS to the names the candidate derives, if they changed. */
static int update_names(struct mg_ads_proto *p, enum mg_ads_type t, struct mg_ads_names *names,
                        struct mg_ads_out *out)
{
	struct mg_ads_type_state *ts = &p->t[t];
	bool parent = p->t[t == MG_ADS_EDS ? MG_ADS_CDS : MG_ADS_LDS].subscribed;

	if (names_equal(&ts->names, names))
		return 0;
	names_free(&ts->names);
	ts->names = *names;
	*names = (struct mg_ads_names){0};
	/* an empty first request would be a wildcard: subscribe once there are names */
	if (!parent || (ts->names.n == 0 && !ts->subscribed))
		return 0;
	return add_req(p, out, t, NULL);
}

static int nack(struct mg_ads_proto *p, enum mg_ads_type t, const char *err, struct mg_ads_out *out)
{
	struct mg_ads_type_state *ts = &p->t[t];
	int rc;

	ts->nacks++;
	p->cnt.nacks++;
	(void)set_str(&ts->last_error, err);
	MG_LOG(WARNING, "ADS: NACK %s nonce \"%s\" (keeping version \"%s\"): %s", type_short[t],
	       ts->nonce, ts->acked_version, err);
	rc = add_req(p, out, t, err);
	/* Envoy goes on to listeners even when its first clusters were refused */
	if (rc == 0 && t == MG_ADS_CDS && p->want_lds && !p->t[MG_ADS_LDS].subscribed)
		rc = add_req(p, out, MG_ADS_LDS, NULL);
	return rc;
}

int mg_ads_handle_response(struct mg_ads_proto *p, const resp_msg *resp, struct mg_ads_out *out)
{
	int ti = mg_ads_type_of(resp->type_url);
	struct mg_ads_set got = {0};
	struct mg_snapshot *snap = NULL;
	char err[ERR_MAX];
	struct mg_ads_type_state *ts;
	enum mg_ads_type t;
	struct cand c;
	bool unchanged;
	size_t miss;
	int rc;

	if (ti < 0 || (ti == MG_ADS_CDS && !p->want_cds) || (ti == MG_ADS_LDS && !p->want_lds)) {
		p->cnt.unknown_types++;
		MG_LOG(WARNING, "ADS: ignoring a response for type \"%.200s\" (not subscribed)",
		       resp->type_url);
		return -ENOENT;
	}
	t = (enum mg_ads_type)ti;
	ts = &p->t[t];
	p->cnt.responses++;
	if (set_str(&ts->nonce, resp->nonce) < 0)
		return -ENOMEM;
	rc = decode_all(p, t, resp, &got, err, sizeof(err));
	if (rc == -EINVAL)
		return nack(p, t, err, out) < 0 ? -ENOMEM : -EINVAL;
	if (rc < 0)
		return rc;
	rc = cand_build(p, t, &got, &c);
	set_free(&got);
	if (rc < 0)
		return rc;
	miss = cand_missing(p, t, &c);
	unchanged = miss == 0 && cand_is_live(p, &c);
	if (miss == 0 && !unchanged) {
		rc = cand_compile(p, &c, &snap, err, sizeof(err));
		if (rc == 0) {
			p->next_version++;
			/* takes snap, whatever it returns; says why it refused */
			err[0] = '\0';
			rc = p->apply(p->apply_arg, snap, err, sizeof(err));
			if (rc < 0 && err[0] == '\0')
				snprintf(err, sizeof(err), "cannot apply the snapshot: %s",
				         strerror(-rc));
		}
		if (rc == -ENOMEM && snap == NULL) {
			cand_free(&c);
			return rc;
		}
		if (rc < 0) {
			cand_free(&c);
			return nack(p, t, err, out) < 0 ? -ENOMEM : -EINVAL;
		}
	}
	/* ACK: the response is valid (and applied, or held while warming) */
	(void)set_str(&ts->acked_version, resp->version_info);
	ts->received = true;
	ts->acks++;
	p->cnt.acks++;
	cand_commit(p, &c, miss == 0);
	if (unchanged) {
		/* nothing new to serve: ACKed, live versions updated, nothing applied */
	} else if (miss == 0) {
		p->cnt.snapshots++;
		p->warming_logged = false;
		MG_LOG(
		    INFO,
		    "ADS: applied snapshot %llu (cds \"%s\", eds \"%s\", lds \"%s\", rds \"%s\")",
		    (unsigned long long)(p->next_version - 1), p->t[MG_ADS_CDS].acked_version,
		    p->t[MG_ADS_EDS].acked_version, p->t[MG_ADS_LDS].acked_version,
		    p->t[MG_ADS_RDS].acked_version);
	} else if (!p->warming_logged) {
		p->warming_logged = true;
		MG_LOG(INFO, "ADS: warming: waiting for %zu more resource(s) before applying",
		       miss);
	}
	rc = add_req(p, out, t, NULL);
	if (rc == 0)
		rc = update_names(p, MG_ADS_EDS, &c.eds_names, out);
	if (rc == 0 && t == MG_ADS_CDS && p->want_lds && !p->t[MG_ADS_LDS].subscribed)
		rc = add_req(p, out, MG_ADS_LDS, NULL); /* clusters first, then listeners */
	if (rc == 0)
		rc = update_names(p, MG_ADS_RDS, &c.rds_names, out);
	cand_free(&c);
	return rc < 0 ? -ENOMEM : 0;
}

bool mg_ads_proto_initialized(const struct mg_ads_proto *p)
{
	return p->cnt.snapshots > 0;
}
