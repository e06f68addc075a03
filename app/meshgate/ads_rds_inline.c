/*
 * ads_rds_inline.c — a stopgap for RDS: the workers resolve only a
 * listener's inline route table (dataplane/proxy/http_proxy.c reads
 * l->routes; an RDS listener's is NULL, so every request would get 404), so
 * the snapshot the ADS client applies is compiled from copies of the
 * listeners whose HttpConnectionManager carries the RouteConfiguration
 * inline instead of naming it.  Errors still come from a compilation of the
 * resources as received (ads_proto.c), so they name the RDS resource.
 * Delete this file once the data plane looks named tables up
 * (mg_snapshot_routes) itself.
 */
#include <stdlib.h>
#include <string.h>

#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "meshgate/ads_pvt.h"
#include "xds/xds.h"

typedef Envoy__Config__Listener__V3__Listener listener_msg;
typedef Envoy__Config__Listener__V3__FilterChain fc_msg;
typedef Envoy__Config__Listener__V3__Filter filter_msg;
typedef Envoy__Config__Route__V3__RouteConfiguration route_msg;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager
    hcm_msg;

static void *own(struct mg_ads_owned *o, void *p)
{
	void **np = p != NULL ? realloc(o->p, (o->np + 1) * sizeof(*o->p)) : NULL;

	if (np == NULL) {
		free(p);
		o->oom = true;
		return NULL;
	}
	o->p = np;
	o->p[o->np++] = p;
	return p;
}

void mg_ads_owned_free(struct mg_ads_owned *o)
{
	for (size_t i = 0; i < o->np; i++)
		free(o->p[i]);
	for (size_t i = 0; i < o->nm; i++)
		mg_xds_free(o->m[i]);
	free(o->p);
	free(o->m);
}

/* f with its HCM's RDS name replaced by the table from rs, or f itself. */
static filter_msg *inline_filter(filter_msg *f, const struct mg_ads_set *rs, struct mg_ads_owned *o)
{
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds *rds;
	ProtobufCMessage *m = NULL;
	Google__Protobuf__Any *any = NULL;
	filter_msg *nf = NULL;
	struct mg_ads_res *rc;
	hcm_msg *h;

	if (f->config_type_case != ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG ||
	    strcmp(f->typed_config->type_url, MG_ADS_HCM_URL) != 0 ||
	    mg_xds_unpack_any(f->typed_config, NULL, &m) < 0)
		return f;
	h = (hcm_msg *)m;
	if (h->route_specifier_case ==
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS &&
	    (rc = mg_ads_set_find(rs, h->rds->route_config_name)) != NULL) {
		rds = h->rds; /* the union's other member: put back before freeing */
		h->route_specifier_case =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_ROUTE_CONFIG;
		h->route_config = (route_msg *)rc->msg;
		if (mg_xds_pack_any(m, &any) < 0)
			o->oom = true;
		h->route_specifier_case =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
		h->rds = rds;
	}
	mg_xds_free(m);
	if (any == NULL)
		return f;
	{
		ProtobufCMessage **nm = realloc(o->m, (o->nm + 1) * sizeof(*o->m));

		if (nm != NULL)
			o->m = nm;
		if (nm == NULL || (nf = own(o, malloc(sizeof(*nf)))) == NULL) {
			o->oom = true;
			mg_xds_free(&any->base);
			return f;
		}
	}
	o->m[o->nm++] = &any->base;
	*nf = *f;
	nf->typed_config = any;
	return nf;
}

listener_msg *mg_ads_inline_rds(listener_msg *l, const struct mg_ads_set *rs,
                                struct mg_ads_owned *o)
{
	listener_msg *nl = own(o, malloc(sizeof(*nl)));
	fc_msg **fcs = own(o, calloc(l->n_filter_chains + 1, sizeof(*fcs)));

	if (nl == NULL || fcs == NULL)
		return l;
	*nl = *l;
	nl->filter_chains = fcs;
	for (size_t i = 0; i < l->n_filter_chains; i++) {
		fc_msg *fc = own(o, malloc(sizeof(*fc)));
		filter_msg **fs = own(o, calloc(l->filter_chains[i]->n_filters + 1, sizeof(*fs)));

		if (fc == NULL || fs == NULL)
			return l;
		*fc = *l->filter_chains[i];
		fc->filters = fs;
		for (size_t j = 0; j < fc->n_filters; j++)
			fs[j] = inline_filter(l->filter_chains[i]->filters[j], rs, o);
		fcs[i] = fc;
	}
	return nl;
}
