/*
 * admin.h — the admin HTTP/1.1 server of the control core (GET /ready,
 * /stats, /metrics, ...), on a kernel TCP socket.
 *
 * One thread drives it by calling mg_admin_poll(), which waits up to a
 * timeout and then serves whatever is ready.  Every socket is non-blocking
 * and every connection is a small state machine (read the request head,
 * discard a body, write the response, drain before closing), so a slow or
 * stuck client never holds up another one or the control core.  Limits keep
 * it bounded: request heads up to MG_ADMIN_MAX_HEAD bytes (431 beyond),
 * bodies up to MG_ADMIN_MAX_BODY (read and discarded; 413 beyond),
 * MG_ADMIN_MAX_CONNS connections (the longest-idle one is closed to make
 * room), and a request must arrive within the idle timeout.
 *
 * Handlers are registered per method and exact path (the query string is
 * split off and passed raw).  Unknown paths get 404 with the list of
 * endpoints, a known path with another method 405 with an Allow header, and
 * HEAD is answered by the GET handler without the body.  Keep-alive and
 * pipelining follow HTTP/1.1; HTTP/1.0 closes unless asked to keep alive.
 *
 * Deliberately generic: it knows nothing about the data plane; the
 * handlers (admin_stats.c, control.c) do.
 */
#ifndef MG_ADMIN_H
#define MG_ADMIN_H

#include <stdint.h>

#include "common/mg_buf.h"

/** Most connections open at once. */
#define MG_ADMIN_MAX_CONNS 64
/** Largest request head (request line and headers, with the blank line). */
#define MG_ADMIN_MAX_HEAD 8192
/** Largest request body accepted (and discarded). */
#define MG_ADMIN_MAX_BODY 65536
/** Default idle timeout: a keep-alive connection, or a request, may take this long. */
#define MG_ADMIN_IDLE_MS 10000
/** Most handlers one server holds. */
#define MG_ADMIN_MAX_ROUTES 32

struct mg_admin;

/** A request as a handler sees it; the strings live until the handler returns. */
struct mg_admin_req {
	const char *method; /**< e.g. "GET" ("GET" also when answering a HEAD) */
	const char *path;   /**< the path, without the query string */
	const char *query;  /**< the raw query string after '?', or "" */
	int http_minor;     /**< 0 for HTTP/1.0, 1 for HTTP/1.1 */
	int head;           /**< non-zero if this is a HEAD (the body will not be sent) */
};

/** What a handler fills in. */
struct mg_admin_resp {
	int status;               /**< HTTP status, 200 unless set */
	const char *content_type; /**< a static string; "text/plain; charset=utf-8" unless set */
	struct mg_buf body;       /**< initialised empty; the server frees it */
};

/**
 * A request handler.
 *
 * @param arg  as given to mg_admin_register()
 * @param req  the request
 * @param resp out: status, content type and body
 * @return 0, or a negative errno: the client then gets 500 (as it does if
 *         resp->body.err is set or the status is not 200..599)
 */
typedef int (*mg_admin_handler)(void *arg, const struct mg_admin_req *req,
                                struct mg_admin_resp *resp);

/**
 * Open the admin server: a non-blocking TCP listener with SO_REUSEADDR and
 * a backlog of 64.
 *
 * @param addr numeric IPv4 or IPv6 address to listen on (NULL: 127.0.0.1)
 * @param port TCP port; 0 binds an ephemeral port (see mg_admin_port())
 * @return the server, or NULL with errno set: EINVAL (bad address), ENOMEM,
 *         or the error of socket(), bind() or listen() (EADDRINUSE, ...)
 */
struct mg_admin *mg_admin_open(const char *addr, uint16_t port);

/**
 * The port the server listens on (the ephemeral one if opened with 0).
 *
 * @param a the server
 * @return the port, host order
 */
uint16_t mg_admin_port(const struct mg_admin *a);

/**
 * Set the idle timeout (default MG_ADMIN_IDLE_MS).  Mainly for tests.
 *
 * @param a       the server
 * @param idle_ms milliseconds an idle connection, or a request in progress, may
 *                take (0 restores the default)
 */
void mg_admin_set_idle_timeout(struct mg_admin *a, unsigned idle_ms);

/**
 * Add a handler for method and exact path.  A GET handler also answers HEAD
 * unless a HEAD handler is registered for the path.  The strings are copied.
 *
 * @param a      the server
 * @param method request method, e.g. "GET" (at most 15 characters)
 * @param path   path starting with '/', without a query (at most 127 characters)
 * @param fn     the handler
 * @param arg    passed to fn
 * @return 0, -EINVAL (bad argument), -EEXIST (method and path already
 *         registered), -ENOSPC (MG_ADMIN_MAX_ROUTES reached)
 */
int mg_admin_register(struct mg_admin *a, const char *method, const char *path, mg_admin_handler fn,
                      void *arg);

/**
 * Wait up to timeout_ms for activity, then accept new connections, serve
 * every request that is ready and close connections that timed out.  Never
 * blocks on a client.
 *
 * @param a          the server
 * @param timeout_ms longest wait (0: do not wait, -1: until something happens)
 * @return the number of requests answered (>= 0), or -errno if poll()
 *         failed (EINTR counts as 0 requests)
 */
int mg_admin_poll(struct mg_admin *a, int timeout_ms);

/**
 * Close every connection and the listener, and free the server.
 *
 * @param a the server (NULL is ignored)
 */
void mg_admin_close(struct mg_admin *a);

#endif /* MG_ADMIN_H */
