/*
 * admin_config.h — GET /config_dump: the configuration the gateway serves,
 * as Envoy's admin API shows it (envoy.admin.v3.ConfigDump), so tools made
 * for Envoy (and meshgatectl proxy-config) can read it.
 */
#ifndef MG_ADMIN_CONFIG_H
#define MG_ADMIN_CONFIG_H

#include "meshgate/admin.h"

struct mg_bootstrap;

/**
 * GET /config_dump: {"configs":[ListenersConfigDump, ClustersConfigDump,
 * RoutesConfigDump]} with the static_resources as decoded (proto3 JSON,
 * "@type" on each resource) and the snapshot's version as version_info.
 * A "?resource=listeners|clusters|routes" query keeps one of the three.
 *
 * @param b    the struct mg_bootstrap * (const; void * for the handler type)
 * @param req  the request
 * @param resp out: 200 and the JSON document; 400 for an unknown resource
 * @return 0, or -ENOMEM
 */
int mg_config_dump_handler(void *b, const struct mg_admin_req *req, struct mg_admin_resp *resp);

#endif /* MG_ADMIN_CONFIG_H */
