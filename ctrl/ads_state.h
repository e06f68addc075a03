/*
 * ads_state.h — the xDS state-of-the-world protocol, one stream at a time,
 * without sockets (envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol).
 *
 * The server (ads_server.h) feeds each DiscoveryRequest of a stream to
 * mg_ads_stream_on_request() and sends what mg_ads_stream_next() returns;
 * a new config generation arrives as a snapshot through
 * mg_ads_stream_set_snapshot().  Kept apart from the HTTP/2 code so that
 * every protocol rule is a unit test (test/unit/ctrl/test_ads_state.c).
 *
 * Rules, per type URL:
 *  - a request whose response_nonce is not the last nonce sent for the type
 *    is stale and ignored; an empty nonce is an initial request (a new
 *    subscription): its names are taken and a response is always sent;
 *  - current nonce with error_detail: a NACK — the error is recorded, the
 *    ACKed version stays, the same version is not sent again;
 *  - current nonce, no error: an ACK — acked = version_info;
 *  - a response is due when the names change or a new generation changes
 *    what the stream would be sent; due responses go out in the order CDS,
 *    EDS, LDS, RDS;
 *  - CDS and LDS with no names mean every resource (wildcard); EDS and RDS
 *    get the named resources that exist, and nothing for no names.
 *
 * Versions: the version of a response is "v" + 16 hex digits of a 64-bit
 * FNV-1a hash over the names and serialized bytes of exactly the resources
 * it carries.  A generation that leaves a type (or the subset a stream
 * subscribed to) unchanged therefore yields the same version and nothing is
 * pushed; a counter per generation would re-push all four types on every
 * edit.  Nonces: a per-stream counter as a decimal string.
 */
#ifndef MG_CTRL_ADS_STATE_H
#define MG_CTRL_ADS_STATE_H

#include "ctrl/ads_types.h"
#include "ctrl/translate.h"

/** "CDS", "EDS", "LDS", "RDS". */
const char *mg_ads_type_name(enum mg_ads_type t);

/** The type URL of t ("type.googleapis.com/envoy.config.cluster.v3.Cluster"...). */
const char *mg_ads_type_url(enum mg_ads_type t);

/**
 * The type a type URL names.
 * @return 0 with *t set; -ENOENT for a type meshgate does not serve
 */
int mg_ads_type_from_url(const char *url, enum mg_ads_type *t);

/** "INITIAL", "ACK", "NACK", "STALE". */
const char *mg_ads_req_kind_name(enum mg_ads_req_kind k);

/**
 * Pack translated resources into a new snapshot (one reference, the
 * caller's).  r is not changed and may be freed afterwards.
 * @param r           the resources (NULL: an empty generation)
 * @param generation  the config generation number, for status
 * @return the snapshot, or NULL with errno ENOMEM
 */
struct mg_ads_snapshot *mg_ads_snapshot_new(const struct mg_xds_resources *r, uint64_t generation);

/** Take a reference to s; returns s. */
struct mg_ads_snapshot *mg_ads_snapshot_ref(struct mg_ads_snapshot *s);

/** Drop a reference; the last one frees s (NULL is fine). */
void mg_ads_snapshot_unref(struct mg_ads_snapshot *s);

/**
 * Start a stream's state, serving snap (a reference is taken).
 * @return 0
 */
int mg_ads_stream_init(struct mg_ads_stream *s, struct mg_ads_snapshot *snap);

/** Free everything the stream's state owns and drop its snapshot. */
void mg_ads_stream_fini(struct mg_ads_stream *s);

/**
 * Apply one DiscoveryRequest.
 * @param s     the stream
 * @param req   the decoded request
 * @param kind  set to what the request was (may be NULL)
 * @param type  set to its type (may be NULL)
 * @return 0; -EINVAL when the stream's first request has no node id;
 *         -ENOENT for a type URL meshgate does not serve (nothing changed);
 *         -ENOMEM
 */
int mg_ads_stream_on_request(struct mg_ads_stream *s,
                             const Envoy__Service__Discovery__V3__DiscoveryRequest *req,
                             enum mg_ads_req_kind *kind, enum mg_ads_type *type);

/**
 * Serve a new generation: every requested type whose response would differ
 * from the one last sent becomes due.
 * @return 0
 */
int mg_ads_stream_set_snapshot(struct mg_ads_stream *s, struct mg_ads_snapshot *snap);

/**
 * The next due response, in the order CDS, EDS, LDS, RDS; the type's sent
 * version and nonce are updated as if it went out.  out borrows the
 * stream's snapshot: send it before the snapshot can change, then
 * mg_ads_response_fini().
 * @param identifier  control_plane.identifier ("meshgate-ctrl 0.1.0")
 * @return 1 with out filled; 0 when nothing is due; -ENOMEM
 */
int mg_ads_stream_next(struct mg_ads_stream *s, const char *identifier,
                       struct mg_ads_response *out);

/** Free what a response owns (not the resources it borrows). */
void mg_ads_response_fini(struct mg_ads_response *r);

#endif /* MG_CTRL_ADS_STATE_H */
