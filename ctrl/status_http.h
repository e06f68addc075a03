/*
 * status_http.h — the controller's status endpoint: a minimal HTTP/1.1
 * server (GET only, one request per connection, Connection: close) in the
 * controller's epoll loop.  What each path shows is the caller's (a page
 * callback), so this file knows sockets and HTTP, nothing of xDS.
 *
 * Plain sockets rather than nghttp2 or a library: curl, Prometheus and
 * meshgatectl speak HTTP/1.x, and a GET with a small answer is a few lines.
 * Requests larger than 8 KiB, or idle for 10 s, are dropped.
 */
#ifndef MG_CTRL_STATUS_HTTP_H
#define MG_CTRL_STATUS_HTTP_H

#include <stdio.h>

struct mg_status_http;

/**
 * Write the page for path into body.
 * @param arg           the caller's
 * @param path          the request's path (query string included)
 * @param body          where the page goes
 * @param content_type  set to the page's type (default "text/plain")
 * @return the HTTP status (200, 404...)
 */
typedef int (*mg_status_page_fn)(void *arg, const char *path, FILE *body,
                                 const char **content_type);

/**
 * Listen on addr ("ADDR:PORT") in epfd.
 * @return the endpoint, or NULL with errno set
 */
struct mg_status_http *mg_status_http_new(int epfd, const char *addr, mg_status_page_fn fn,
                                          void *arg);

/** The port it listens on. */
unsigned mg_status_http_port(const struct mg_status_http *h);

/** Close every connection and the listener (NULL is fine). */
void mg_status_http_free(struct mg_status_http *h);

#endif /* MG_CTRL_STATUS_HTTP_H */
