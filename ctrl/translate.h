/*
 * translate.h — Istio configuration in, xDS resources out: what the
 * controller serves to gateways.
 *
 * A pure function of a validated struct mg_istio_config (istio_load.h,
 * istio_validate.h), as istiod's gateway translation is:
 *
 *   Gateway servers        → one Listener per port, "0.0.0.0_<port>": an HTTP
 *                            connection manager with routes by RDS name
 *                            "http.<port>", or a TCP proxy
 *   VirtualServices bound  → RouteConfiguration "http.<port>": a virtual host
 *   to a gateway             "<host>:<port>" per VirtualService host a server
 *                            on that port accepts; a route per match
 *   ServiceEntry hosts and → Clusters "outbound|<port>|<subset>|<host>" (EDS),
 *   DestinationRule subsets  with the DestinationRule's traffic policy
 *   ServiceEntry endpoints → ClusterLoadAssignments, endpoints grouped by
 *   and WorkloadEntries      locality, filtered by subset labels
 *
 * Resources are written in the proto3 JSON mapping and decoded by the same
 * generic decoder the gateway's bootstrap uses, then sorted by name, so the
 * output is deterministic (golden files compare it).  What meshgate cannot
 * express yet is reported as a diagnostic at its file:line:col and left out,
 * never dropped silently.
 */
#ifndef MG_CTRL_TRANSLATE_H
#define MG_CTRL_TRANSLATE_H

#include <stddef.h>
#include <stdio.h>

#include "ctrl/diag.h"
#include "ctrl/istio_types.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"

/** Istio's default connect timeout for upstream clusters. */
#define MG_TRANSLATE_CONNECT_TIMEOUT "10s"

/** The translated resources; each array owns its messages. */
struct mg_xds_resources {
	Envoy__Config__Listener__V3__Listener **listeners;
	size_t n_listeners;
	Envoy__Config__Route__V3__RouteConfiguration **routes;
	size_t n_routes;
	Envoy__Config__Cluster__V3__Cluster **clusters;
	size_t n_clusters;
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment **endpoints;
	size_t n_endpoints;
};

/**
 * Translate cfg into out (zeroed first).  Warnings are added to d for what
 * is left out; errors for what makes a resource impossible (a destination
 * whose host has no ServiceEntry, two VirtualServices claiming one host on
 * one port, ...), in which case the offending piece is skipped and the rest
 * still translated.
 * @return 0; -ENOMEM; -EPROTO when a resource the translator wrote does not
 *         decode (a bug; the message is in d)
 */
int mg_translate(const struct mg_istio_config *cfg, struct mg_xds_resources *out,
                 struct mg_diag *d);

/** Free every resource and the arrays; r is empty afterwards. */
void mg_xds_resources_free(struct mg_xds_resources *r);

/**
 * Write every resource as pretty JSON, one document: {"listeners": [...],
 * "routes": [...], "clusters": [...], "endpoints": [...]}.
 * @return 0 or -EIO
 */
int mg_xds_resources_print(const struct mg_xds_resources *r, FILE *f);

#endif /* MG_CTRL_TRANSLATE_H */
