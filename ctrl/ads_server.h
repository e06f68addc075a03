/*
 * ads_server.h — the controller's ADS endpoint: gRPC over cleartext HTTP/2
 * (prior knowledge) on a non-blocking TCP socket, many gateways at once.
 *
 * HTTP/2 is nghttp2's (framing, HPACK, flow control); gRPC's message
 * framing is dataplane/xds/grpc.h; the xDS protocol per stream is
 * ads_state.h.  This file joins them: it accepts connections, checks each
 * request (POST, :path MG_GRPC_ADS_PATH, content-type application/grpc*),
 * decodes DiscoveryRequests, and writes DiscoveryResponses as DATA on a
 * response that stays open until the stream ends, closed with trailers
 * grpc-status / grpc-message.  Another path gets a Trailers-Only answer with
 * grpc-status 12 (UNIMPLEMENTED); a message over the size limit ends the
 * stream with 8 (RESOURCE_EXHAUSTED); a request that does not decode with 3
 * (INVALID_ARGUMENT); a connection that breaks HTTP/2 is closed.  Runs in
 * the controller's epoll loop (evloop.h).
 */
#ifndef MG_CTRL_ADS_SERVER_H
#define MG_CTRL_ADS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "ctrl/ads_types.h"

struct mg_ads_server;

/** Counters of the ADS server, for status and tests. */
struct mg_ads_server_stats {
	uint64_t connections; /**< accepted */
	uint64_t streams;     /**< ADS streams opened */
	uint64_t pushes;      /**< DiscoveryResponses sent */
	uint64_t acks, nacks, stale;
	uint64_t bad_requests;       /**< streams ended for a bad path, message or size */
	uint64_t keepalive_pings;    /**< PINGs sent to quiet connections */
	uint64_t keepalive_timeouts; /**< connections closed: no answer to a PING in time */
};

/**
 * Listen on addr ("ADDR:PORT") and serve snap (a reference is taken).
 * @param epfd      the loop's epoll set; the server adds its sockets to it
 * @param addr      where to listen
 * @param snap      the generation to serve until mg_ads_server_publish()
 * @param max_msg   the largest DiscoveryRequest accepted (0: MG_GRPC_MAX_MSG_DEFAULT)
 * @return the server, or NULL with errno set (EINVAL bad addr, EADDRINUSE...)
 */
struct mg_ads_server *mg_ads_server_new(int epfd, const char *addr, struct mg_ads_snapshot *snap,
                                        size_t max_msg);

/**
 * Probe quiet connections, as gRPC servers do (istiod: every 30 s, 10 s to
 * answer): after interval_ms without a byte from a peer, send an HTTP/2
 * PING; close the connection if nothing comes back within timeout_ms (a
 * gateway that went away without a FIN or RST, whose streams would
 * otherwise look connected forever).  interval_ms 0 turns it off.
 * @return 0, -EINVAL (a timeout of 0 with an interval), or -errno (timerfd, epoll)
 */
int mg_ads_server_set_keepalive(struct mg_ads_server *srv, uint32_t interval_ms,
                                uint32_t timeout_ms);

/** The port the server listens on (useful with port 0). */
unsigned mg_ads_server_port(const struct mg_ads_server *srv);

/**
 * Serve a new generation: every stream gets what changed for it, pushed
 * now in the order CDS, EDS, LDS, RDS.  A reference to snap is taken.
 */
void mg_ads_server_publish(struct mg_ads_server *srv, struct mg_ads_snapshot *snap);

/**
 * Call fn for each connected gateway (an ADS stream whose first request
 * named its node), in connection order.
 */
void mg_ads_server_foreach(const struct mg_ads_server *srv,
                           void (*fn)(const struct mg_ads_stream *st, void *arg), void *arg);

/** The server's counters. */
const struct mg_ads_server_stats *mg_ads_server_stats(const struct mg_ads_server *srv);

/**
 * End every stream with grpc-status status and message msg, send GOAWAY,
 * and flush for at most timeout_ms (for a clean shutdown).
 */
void mg_ads_server_close_all(struct mg_ads_server *srv, int status, const char *msg,
                             int timeout_ms);

/** Close every connection and the listener, free srv (NULL is fine). */
void mg_ads_server_free(struct mg_ads_server *srv);

#endif /* MG_CTRL_ADS_SERVER_H */
