/*
 * ads_pvt.h — internals shared by ads_proto.c and ads_rds_inline.c; no other
 * module includes this.
 */
#ifndef MG_ADS_PVT_H
#define MG_ADS_PVT_H

#include <stdbool.h>
#include <stddef.h>

#include "envoy/config/listener/v3/listener.pb-c.h"
#include "meshgate/ads_types.h"

/** Type URL of the HTTP connection manager, as an Any in a listener's filter. */
#define MG_ADS_HCM_URL         \
	"type.googleapis.com/" \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"

/** The resource called name in s (sorted by name), or NULL. */
struct mg_ads_res *mg_ads_set_find(const struct mg_ads_set *s, const char *name);

/** What mg_ads_inline_rds() allocated for its copies. */
struct mg_ads_owned {
	void **p;
	ProtobufCMessage **m; /**< packed Anys, freed with mg_xds_free */
	size_t np, nm;
	bool oom; /**< an allocation failed: the copies are incomplete, do not use them */
};

/**
 * A shallow copy of l (owned by o) whose HttpConnectionManagers carry the
 * RouteConfiguration they name by RDS inline, found in routes; l itself
 * where nothing needs inlining or on failure (o->oom set).
 */
Envoy__Config__Listener__V3__Listener *mg_ads_inline_rds(Envoy__Config__Listener__V3__Listener *l,
                                                         const struct mg_ads_set *routes,
                                                         struct mg_ads_owned *o);

/** Free what mg_ads_inline_rds() allocated into o. */
void mg_ads_owned_free(struct mg_ads_owned *o);

#endif /* MG_ADS_PVT_H */
