/*
 * ads_client.h — the gateway's xDS client: one Aggregated Discovery Service
 * stream (state of the world, xDS v3) to the controller named in the
 * bootstrap's dynamic_resources, on the control core.
 *
 * Two layers.  The protocol (struct mg_ads_proto, ads_proto.c) has no
 * sockets: it says what to request when a stream starts and turns each
 * DiscoveryResponse into ACK/NACK requests and, when the configuration is
 * complete and compiles, a snapshot handed to an apply callback; the unit
 * tests drive it directly.  The client (struct mg_ads_client, ads_client.c)
 * carries it over HTTP/2 (nghttp2, prior-knowledge cleartext) on a
 * non-blocking kernel TCP socket: the controller runs on the gateway host,
 * not behind the DPDK ports.  mg_ads_poll() never blocks; the control core
 * calls it every tick.  A lost connection or stream keeps the last applied
 * configuration and reconnects with jittered exponential backoff.
 */
#ifndef MG_ADS_CLIENT_H
#define MG_ADS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "meshgate/admin.h"
#include "meshgate/ads_types.h"

struct mg_bootstrap;
struct Envoy__Service__Discovery__V3__DiscoveryResponse;

/* ---- protocol (ads_proto.c) ---- */

/** "cds", "eds", "lds", "rds". */
const char *mg_ads_type_name(enum mg_ads_type t);

/** The type URL of t, "type.googleapis.com/envoy.config.cluster.v3.Cluster" etc. */
const char *mg_ads_type_url(enum mg_ads_type t);

/** The type a type URL names, or -1. */
int mg_ads_type_of(const char *url);

/**
 * Set up the protocol state.
 * @param p      state to fill
 * @param node   sent in each stream's first request (borrowed; may be NULL)
 * @param sr     static resources compiled with every dynamic snapshot (borrowed; may be NULL)
 * @param cds,lds which wildcard types to subscribe (EDS and RDS follow from them)
 * @param apply  called with each snapshot compiled from a complete configuration
 * @param arg    apply's first argument
 * @return 0 or -ENOMEM
 */
int mg_ads_proto_init(struct mg_ads_proto *p, const struct Envoy__Config__Core__V3__Node *node,
                      const struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr,
                      bool cds, bool lds, mg_ads_apply_fn apply, void *arg);

/** Free everything p holds (not the snapshots it applied: apply took them). */
void mg_ads_proto_fini(struct mg_ads_proto *p);

/**
 * A stream opened: append its first requests to out (CDS, EDS for known
 * names, LDS once CDS answered on some stream, RDS for known names), with
 * the versions last ACKed and the node in the first.
 * @return 0; -ENOMEM; -ENOSPC (out is full)
 */
int mg_ads_stream_start(struct mg_ads_proto *p, struct mg_ads_out *out);

/**
 * Handle one DiscoveryResponse: check it, maybe compile and apply a
 * snapshot, and append the ACK or NACK (then any change of EDS/RDS
 * subscriptions, and LDS after the first CDS response) to out.
 * @return 0 ACKed; -EINVAL NACKed (p->t[type].last_error says why);
 *         -ENOENT ignored (a type not subscribed; nothing appended); -ENOMEM
 */
int mg_ads_handle_response(struct mg_ads_proto *p,
                           const struct Envoy__Service__Discovery__V3__DiscoveryResponse *resp,
                           struct mg_ads_out *out);

/** Whether a snapshot was applied (the gateway serves dynamic configuration). */
bool mg_ads_proto_initialized(const struct mg_ads_proto *p);

/** Free a request from out. */
void mg_ads_request_free(struct Envoy__Service__Discovery__V3__DiscoveryRequest *r);

/** Free out's requests; out is empty and reusable. */
void mg_ads_out_reset(struct mg_ads_out *out);

/* ---- client (ads_client.c) ---- */

struct mg_ads_client;

/** Reconnect backoff: first delay, cap (each ±50% jitter). */
#define MG_ADS_BACKOFF_MIN_MS 100
#define MG_ADS_BACKOFF_MAX_MS 10000
/** A TCP connect that takes longer fails. */
#define MG_ADS_CONNECT_TIMEOUT_MS 5000

/**
 * A client for cfg's dynamic_resources (cfg->ads.enabled must be set).  It
 * connects on the first mg_ads_poll().
 * @param cfg   the bootstrap (borrowed: node, static_resources, ads address)
 * @param apply takes each snapshot (mg_ctl_apply_snapshot for the gateway)
 * @param arg   apply's first argument
 * @return the client, or NULL with errno set (ENOMEM, EINVAL)
 */
struct mg_ads_client *mg_ads_client_new(const struct mg_bootstrap *cfg, mg_ads_apply_fn apply,
                                        void *arg);

/**
 * Do whatever is due — connect, read, handle responses, write, reconnect —
 * without blocking.
 * @param now_ms a monotonic clock in milliseconds
 */
void mg_ads_poll(struct mg_ads_client *c, uint64_t now_ms);

/** The protocol state (for /config_dump and tests). */
const struct mg_ads_proto *mg_ads_client_proto(const struct mg_ads_client *c);

/** The connection's state. */
enum mg_ads_state_id mg_ads_client_state(const struct mg_ads_client *c);

/**
 * GET /ads: the client's state as JSON (state, server, connected since,
 * counters, per type ACKed version, nonce, last NACK error, names).
 * @param arg the struct mg_ads_client *
 */
int mg_ads_admin_handler(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp);

/** Close the connection and free c (NULL is fine). */
void mg_ads_client_free(struct mg_ads_client *c);

#endif /* MG_ADS_CLIENT_H */
