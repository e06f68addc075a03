/*
 * compile.h — the snapshot compiler: xDS messages in, the data plane's
 * immutable structures out.
 *
 * This is the one place that knows both Envoy's API (the protobuf-c messages
 * of proto/) and the data plane's types.  Static resources from the bootstrap
 * and resources from an xDS stream come through the same functions, so they
 * are validated and behave the same.  A resource the data plane cannot honour
 * — a field meshgate does not implement yet included — is rejected with the
 * path to the field, never half-applied: nothing that fails compilation ever
 * reaches a worker.
 */
#ifndef MG_XDS_COMPILE_H
#define MG_XDS_COMPILE_H

#include <stddef.h>

#include "envoy/config/route/v3/route.pb-c.h"
#include "proxy/route_types.h"

/** Envoy's route timeout when a route sets none (RouteAction.timeout). */
#define MG_ROUTE_DEFAULT_TIMEOUT_MS 15000

/**
 * Compile a RouteConfiguration.
 * @param rc   the resource
 * @param out  set to the new table (free with mg_route_table_free())
 * @param err  on failure: "virtual_hosts[0].routes[2].match.safe_regex.regex:
 *             invalid regex at offset 3: ..." and the like
 * @return 0; -EINVAL (invalid or unsupported; err says which field), -ENOMEM
 */
int mg_route_compile(const Envoy__Config__Route__V3__RouteConfiguration *rc,
                     struct mg_route_table **out, char *err, size_t errlen);

#endif /* MG_XDS_COMPILE_H */
