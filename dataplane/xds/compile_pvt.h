/*
 * compile_pvt.h — internals shared by the snapshot compiler's files
 * (dataplane/xds/compile_*.c); the API is compile.h.
 */
#ifndef MG_XDS_COMPILE_PVT_H
#define MG_XDS_COMPILE_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/route_types.h"

#define CC_PATH_MAX 320

/* One compilation: where it writes, where it is in the message, where errors go. */
struct cctx {
	struct mg_arena *a;
	void *owner;      /* the object being built (route table, cluster) */
	const char *what; /* the path of the message itself, for errors at its top */
	char path[CC_PATH_MAX];
	size_t plen;
	char *err;
	size_t errlen;
	uint32_t cap_re; /* route tables: room in the regex list */
};

/**
 * Start a compilation whose error paths begin with prefix (NULL or "": at the
 * message itself, where top-level errors say what).
 */
void cc_init(struct cctx *c, const char *prefix, const char *what, char *err, size_t errlen);

/** Enter a field (printf-style) of the current path; returns what cc_pop() restores. */
size_t cc_push(struct cctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Leave the field entered by the cc_push() that returned old. */
void cc_pop(struct cctx *c, size_t old);

/** Write "path[.field]: message" to c->err; returns -EINVAL. */
int cc_fail(struct cctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** n zeroed elements in the arena; NULL for n == 0 or on ENOMEM. */
void *cc_alloc(struct cctx *c, size_t n, size_t size);

/** Copy s (NULL: "") into the arena, lowered if asked. @return 0 or -ENOMEM */
int cc_str(struct cctx *c, const char *s, bool lowered, struct mg_rstr *out);

/** An RFC 9110 token (and ":authority"-style pseudo-header names). */
bool cc_header_name_ok(const char *s);

/** No control characters but HTAB: nothing that could split a header. */
bool cc_header_value_ok(const char *s);

struct Envoy__Config__Core__V3__SocketOption;

/**
 * Socket options of a Listener or a cluster's upstream_bind_config.  The one
 * meshgate's own TCP stack has is TCP_CONGESTION (level IPPROTO_TCP 6, name
 * 13) with buf_value an algorithm name ("cubic", "newreno" or Linux's
 * "reno"): *cc gets the stack's name for it (a static string).  Any other
 * option is refused, not ignored.  The path is the current one's
 * "socket_options[i]".  @return 0 or -EINVAL
 */
int cc_socket_options(struct cctx *c, struct Envoy__Config__Core__V3__SocketOption *const *opts,
                      size_t n, const char **cc);

struct mg_route_table;
struct mg_cluster;
struct mg_listener;
struct Envoy__Config__Route__V3__RouteConfiguration;
struct Envoy__Config__Cluster__V3__Cluster;
struct Envoy__Config__Endpoint__V3__ClusterLoadAssignment;
struct Envoy__Config__Listener__V3__Listener;

/* The compile functions of compile.h with error paths under prefix (a snapshot's
 * "listeners[2]", a listener's "...typed_config.route_config"). */
int cc_route_compile_at(const struct Envoy__Config__Route__V3__RouteConfiguration *rc,
                        struct mg_route_table **out, char *err, size_t errlen, const char *prefix);
int cc_cluster_compile_at(const struct Envoy__Config__Cluster__V3__Cluster *m,
                          const struct Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla,
                          struct mg_cluster **out, char *err, size_t errlen, const char *prefix);
int cc_listener_compile_at(const struct Envoy__Config__Listener__V3__Listener *m,
                           struct mg_listener **out, char *err, size_t errlen, const char *prefix);

#endif /* MG_XDS_COMPILE_PVT_H */
