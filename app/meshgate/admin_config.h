/*
 * admin_config.h — GET /config_dump: the configuration the gateway serves,
 * as Envoy's admin API shows it (envoy.admin.v3.ConfigDump), so tools made
 * for Envoy (and meshgatectl proxy-config) can read it.
 */
#ifndef MG_ADMIN_CONFIG_H
#define MG_ADMIN_CONFIG_H

#include "meshgate/admin.h"

struct mg_bootstrap;
struct mg_ads_client;

/** What /config_dump shows: the bootstrap's static resources and the ADS client's live ones. */
struct mg_config_src {
	const struct mg_bootstrap *boot;
	const struct mg_ads_client *ads; /**< NULL without dynamic_resources */
};

/**
 * GET /config_dump: {"configs":[ListenersConfigDump, ClustersConfigDump,
 * RoutesConfigDump]} with the static_resources as decoded (proto3 JSON,
 * "@type" on each resource) and the snapshot's version as version_info.
 * With an ADS client, each section also lists the dynamic resources the
 * applied snapshot holds as Envoy does (dynamic_listeners[].active_state,
 * dynamic_active_clusters[], dynamic_route_configs[], each with
 * version_info and last_updated), the section's version_info is the type's
 * live xDS version, and an EndpointsConfigDump (dynamic_endpoint_configs)
 * follows.  A "?resource=listeners|clusters|routes|endpoints" query keeps one.
 *
 * @param b    the struct mg_config_src * (const; void * for the handler type)
 * @param req  the request
 * @param resp out: 200 and the JSON document; 400 for an unknown resource
 * @return 0, or -ENOMEM
 */
int mg_config_dump_handler(void *b, const struct mg_admin_req *req, struct mg_admin_resp *resp);

#endif /* MG_ADMIN_CONFIG_H */
