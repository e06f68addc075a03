/*
 * ads_state.c — see ads_state.h.
 */
#include "ctrl/ads_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xds/xds.h"

static const char *const type_names[MG_ADS_N_TYPES] = {
#define X(e, s, m, w) s,
    MG_ADS_TYPES(X)
#undef X
};

static const char *const type_urls[MG_ADS_N_TYPES] = {
#define X(e, s, m, w) MG_XDS_TYPE_URL_PREFIX m,
    MG_ADS_TYPES(X)
#undef X
};

static const bool type_wildcard[MG_ADS_N_TYPES] = {
#define X(e, s, m, w) w,
    MG_ADS_TYPES(X)
#undef X
};

const char *mg_ads_type_name(enum mg_ads_type t)
{
	return t < MG_ADS_N_TYPES ? type_names[t] : "?";
}

const char *mg_ads_type_url(enum mg_ads_type t)
{
	return t < MG_ADS_N_TYPES ? type_urls[t] : "";
}

int mg_ads_type_from_url(const char *url, enum mg_ads_type *t)
{
	for (int i = 0; i < MG_ADS_N_TYPES; i++)
		if (url != NULL && strcmp(url, type_urls[i]) == 0) {
			*t = (enum mg_ads_type)i;
			return 0;
		}
	return -ENOENT;
}

const char *mg_ads_req_kind_name(enum mg_ads_req_kind k)
{
	static const char *const n[] = {"INITIAL", "ACK", "NACK", "STALE"};

	return (unsigned)k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

/* ---- snapshots ---- */

static int cmp_resource(const void *a, const void *b)
{
	return strcmp(((const struct mg_ads_resource *)a)->name,
	              ((const struct mg_ads_resource *)b)->name);
}

static int add_type(struct mg_ads_snapshot *s, enum mg_ads_type t, void *const *msgs, size_t n,
                    const char *(*name_of)(const void *))
{
	if (n == 0)
		return 0;
	s->types[t].v = calloc(n, sizeof(*s->types[t].v));
	if (s->types[t].v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct mg_ads_resource *r = &s->types[t].v[i];

		r->name = strdup(name_of(msgs[i]));
		if (r->name == NULL || mg_xds_pack_any(msgs[i], &r->any) < 0) {
			free(r->name);
			r->name = NULL;
			return -ENOMEM;
		}
		s->types[t].n++;
	}
	qsort(s->types[t].v, n, sizeof(*s->types[t].v), cmp_resource);
	return 0;
}

static const char *cluster_name(const void *m)
{
	return ((const Envoy__Config__Cluster__V3__Cluster *)m)->name;
}

static const char *cla_name(const void *m)
{
	return ((const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *)m)->cluster_name;
}

static const char *listener_name(const void *m)
{
	return ((const Envoy__Config__Listener__V3__Listener *)m)->name;
}

static const char *route_name(const void *m)
{
	return ((const Envoy__Config__Route__V3__RouteConfiguration *)m)->name;
}

struct mg_ads_snapshot *mg_ads_snapshot_new(const struct mg_xds_resources *r, uint64_t generation)
{
	struct mg_ads_snapshot *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->generation = generation;
	s->refs = 1;
	if (r != NULL &&
	    (add_type(s, MG_ADS_CDS, (void *const *)r->clusters, r->n_clusters, cluster_name) < 0 ||
	     add_type(s, MG_ADS_EDS, (void *const *)r->endpoints, r->n_endpoints, cla_name) < 0 ||
	     add_type(s, MG_ADS_LDS, (void *const *)r->listeners, r->n_listeners, listener_name) <
	         0 ||
	     add_type(s, MG_ADS_RDS, (void *const *)r->routes, r->n_routes, route_name) < 0)) {
		mg_ads_snapshot_unref(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

struct mg_ads_snapshot *mg_ads_snapshot_ref(struct mg_ads_snapshot *s)
{
	s->refs++;
	return s;
}

void mg_ads_snapshot_unref(struct mg_ads_snapshot *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		for (size_t i = 0; i < s->types[t].n; i++) {
			free(s->types[t].v[i].name);
			mg_xds_free((ProtobufCMessage *)s->types[t].v[i].any);
		}
		free(s->types[t].v);
	}
	free(s);
}

/* ---- what a stream is sent ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool subscribed(const struct mg_ads_type_state *ts, const char *name)
{
	return ts->wildcard || (ts->n_names > 0 && bsearch(&name, ts->names, ts->n_names,
	                                                   sizeof(char *), cmp_str) != NULL);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/*
 * The version of what the stream would be sent for t now, and (res not
 * NULL) the resources themselves, *n of them.
 */
static void selection(const struct mg_ads_stream *s, enum mg_ads_type t, char *version,
                      Google__Protobuf__Any **res, size_t *n)
{
	const struct mg_ads_type_state *ts = &s->t[t];
	uint64_t h = 0xcbf29ce484222325ull;
	size_t k = 0;

	for (size_t i = 0; i < s->snap->types[t].n; i++) {
		const struct mg_ads_resource *r = &s->snap->types[t].v[i];

		if (!subscribed(ts, r->name))
			continue;
		h = fnv1a(h, r->name, strlen(r->name) + 1);
		h = fnv1a(h, &r->any->value.len, sizeof(r->any->value.len));
		h = fnv1a(h, r->any->value.data, r->any->value.len);
		if (res != NULL)
			res[k] = r->any;
		k++;
	}
	if (n != NULL)
		*n = k;
	snprintf(version, MG_ADS_VERSION_LEN, "v%016" PRIx64, h);
}

/* ---- streams ---- */

int mg_ads_stream_init(struct mg_ads_stream *s, struct mg_ads_snapshot *snap)
{
	memset(s, 0, sizeof(*s));
	s->snap = mg_ads_snapshot_ref(snap);
	s->connected_since = time(NULL);
	return 0;
}

static void free_names(struct mg_ads_type_state *ts)
{
	for (size_t i = 0; i < ts->n_names; i++)
		free(ts->names[i]);
	free(ts->names);
	ts->names = NULL;
	ts->n_names = 0;
}

void mg_ads_stream_fini(struct mg_ads_stream *s)
{
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		free_names(&s->t[t]);
		free(s->t[t].nack);
	}
	free(s->node_id);
	free(s->node_cluster);
	free(s->node_metadata);
	mg_ads_snapshot_unref(s->snap);
	memset(s, 0, sizeof(*s));
}

static int take_node(struct mg_ads_stream *s, const Envoy__Config__Core__V3__Node *node)
{
	if (node == NULL || node->id == NULL || node->id[0] == '\0')
		return -EINVAL;
	s->node_id = strdup(node->id);
	s->node_cluster = strdup(node->cluster != NULL ? node->cluster : "");
	s->node_metadata = node->metadata != NULL
	                       ? mg_xds_to_json((const ProtobufCMessage *)node->metadata, false)
	                       : strdup("{}");
	if (s->node_id == NULL || s->node_cluster == NULL || s->node_metadata == NULL)
		return -ENOMEM;
	s->has_node = true;
	return 0;
}

/*
 * Replace the subscription of ts by the request's names.
 * @return 1 when it changed, 0 when not, -ENOMEM
 */
static int set_names(struct mg_ads_type_state *ts, enum mg_ads_type t,
                     const Envoy__Service__Discovery__V3__DiscoveryRequest *req)
{
	char **v = NULL;
	size_t n = 0, k;
	bool same;

	if (req->n_resource_names > 0) {
		v = calloc(req->n_resource_names, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < req->n_resource_names; i++) {
			v[n] = strdup(req->resource_names[i]);
			if (v[n] == NULL) {
				while (n > 0)
					free(v[--n]);
				free(v);
				return -ENOMEM;
			}
			n++;
		}
		qsort(v, n, sizeof(*v), cmp_str);
		k = 0;
		for (size_t i = 0; i < n; i++) {
			if (k > 0 && strcmp(v[i], v[k - 1]) == 0)
				free(v[i]);
			else
				v[k++] = v[i];
		}
		n = k;
	}
	same = n == ts->n_names && ts->requested;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(v[i], ts->names[i]) == 0;
	if (same) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return 0;
	}
	free_names(ts);
	ts->names = v;
	ts->n_names = n;
	/* "*" is the explicit wildcard of the newer protocol text. */
	ts->wildcard = type_wildcard[t] && (n == 0 || (n == 1 && strcmp(v[0], "*") == 0));
	return 1;
}

int mg_ads_stream_on_request(struct mg_ads_stream *s,
                             const Envoy__Service__Discovery__V3__DiscoveryRequest *req,
                             enum mg_ads_req_kind *kind, enum mg_ads_type *type)
{
	const char *nonce = req->response_nonce != NULL ? req->response_nonce : "";
	struct mg_ads_type_state *ts;
	enum mg_ads_req_kind k;
	enum mg_ads_type t;
	int rc;

	if (!s->has_node) {
		rc = take_node(s, req->node);
		if (rc < 0)
			return rc;
	}
	if (mg_ads_type_from_url(req->type_url, &t) < 0)
		return -ENOENT;
	if (type != NULL)
		*type = t;
	ts = &s->t[t];
	if (nonce[0] != '\0' && strcmp(nonce, ts->nonce) != 0) {
		/* An answer to a response that a newer one superseded: the
		 * client will answer that one too, so act on that. */
		ts->n_stale++;
		if (kind != NULL)
			*kind = MG_ADS_REQ_STALE;
		return 0;
	}
	rc = set_names(ts, t, req);
	if (rc < 0)
		return rc;
	if (nonce[0] == '\0') {
		k = MG_ADS_REQ_INITIAL;
		ts->pending = true;
	} else if (req->error_detail != NULL) {
		k = MG_ADS_REQ_NACK;
		ts->n_nacks++;
		free(ts->nack);
		ts->nack =
		    strdup(req->error_detail->message != NULL ? req->error_detail->message : "");
		if (ts->nack == NULL)
			return -ENOMEM;
		snprintf(ts->nack_nonce, sizeof(ts->nack_nonce), "%s", nonce);
		memcpy(ts->nack_version, ts->sent, sizeof(ts->nack_version));
	} else {
		k = MG_ADS_REQ_ACK;
		ts->n_acks++;
		snprintf(ts->acked, sizeof(ts->acked), "%s",
		         req->version_info != NULL ? req->version_info : "");
		free(ts->nack);
		ts->nack = NULL;
	}
	ts->requested = true;
	if (rc == 1)
		ts->pending = true;
	if (kind != NULL)
		*kind = k;
	return 0;
}

int mg_ads_stream_set_snapshot(struct mg_ads_stream *s, struct mg_ads_snapshot *snap)
{
	struct mg_ads_snapshot *old = s->snap;

	s->snap = mg_ads_snapshot_ref(snap);
	mg_ads_snapshot_unref(old);
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		char v[MG_ADS_VERSION_LEN];

		if (!s->t[t].requested)
			continue;
		selection(s, (enum mg_ads_type)t, v, NULL, NULL);
		if (strcmp(v, s->t[t].sent) != 0)
			s->t[t].pending = true;
	}
	return 0;
}

int mg_ads_stream_next(struct mg_ads_stream *s, const char *identifier, struct mg_ads_response *out)
{
	static const Envoy__Service__Discovery__V3__DiscoveryResponse init =
	    ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_RESPONSE__INIT;
	static const Envoy__Config__Core__V3__ControlPlane cp_init =
	    ENVOY__CONFIG__CORE__V3__CONTROL_PLANE__INIT;

	for (int i = 0; i < MG_ADS_N_TYPES; i++) {
		enum mg_ads_type t = (enum mg_ads_type)i;
		struct mg_ads_type_state *ts = &s->t[t];
		size_t n = s->snap->types[t].n;

		if (!ts->pending)
			continue;
		memset(out, 0, sizeof(*out));
		out->type = t;
		out->res = calloc(n > 0 ? n : 1, sizeof(*out->res));
		if (out->res == NULL)
			return -ENOMEM;
		selection(s, t, out->version, out->res, &n);
		snprintf(out->nonce, sizeof(out->nonce), "%" PRIu64, ++s->nonce_counter);
		snprintf(out->type_url, sizeof(out->type_url), "%s", type_urls[t]);
		out->msg = init;
		out->cp = cp_init;
		out->cp.identifier = (char *)identifier;
		out->msg.version_info = out->version;
		out->msg.n_resources = n;
		out->msg.resources = out->res;
		out->msg.type_url = out->type_url;
		out->msg.nonce = out->nonce;
		out->msg.control_plane = &out->cp;
		memcpy(ts->sent, out->version, sizeof(ts->sent));
		memcpy(ts->nonce, out->nonce, sizeof(ts->nonce));
		ts->pending = false;
		ts->n_sent++;
		return 1;
	}
	return 0;
}

void mg_ads_response_fini(struct mg_ads_response *r)
{
	free(r->res);
	r->res = NULL;
}
