/*
 * route.h — the router: which virtual host, which route and which cluster a
 * request goes to.  Types are in route_types.h; tables come from
 * mg_route_compile() (xds/compile.h).
 *
 * Everything here is a pure function of an immutable table and the request,
 * so every worker runs it on the same table at once.  Randomness (weighted
 * splits, runtime fractions, mirroring shares) comes from the caller, one
 * 64-bit draw per request, so tests are deterministic and a worker can use
 * its own cheap generator.
 */
#ifndef MG_PROXY_ROUTE_H
#define MG_PROXY_ROUTE_H

#include "proxy/route_types.h"

/**
 * The request as the router sees it.  Strings need not be NUL-terminated.
 * header() returns the value of the header named name (lowercase, name_len
 * bytes) with *len set, or NULL when absent; a header that appears more than
 * once is seen as its values joined by "," (RFC 9110 5.3).
 */
struct mg_route_req {
	struct mg_rstr method;
	struct mg_rstr authority; /**< Host or :authority, port included if sent */
	struct mg_rstr target;    /**< path and query ("/a/b?x=1") */
	const char *(*header)(void *ctx, const char *name, uint32_t name_len, uint32_t *len);
	void *ctx;
};

/**
 * The virtual host for authority: an exact domain (with the port as sent, then
 * without it), then the longest matching "*.suffix", then the longest
 * "prefix.*", then "*".  Case-insensitive.
 * @return the virtual host, or NULL (Envoy answers 404)
 */
const struct mg_vhost *mg_route_vhost(const struct mg_route_table *t, struct mg_rstr authority);

/**
 * The first route of vh whose conditions all hold for r.
 * @param draw  a random 32-bit value for runtime fractions
 * @return the route, or NULL (404)
 */
const struct mg_route_entry *mg_route_match(const struct mg_vhost *vh, const struct mg_route_req *r,
                                            uint32_t draw);

/**
 * The cluster a forwarding route sends r to.  For weighted clusters, the
 * draw picks destination i with probability weight_i / total (draw is reduced
 * modulo the total, or taken from the route's header when it names one); *wc
 * is set to the destination (NULL for other kinds).
 * @return the cluster name, or an empty string (s NULL) when the route does
 *         not forward or the cluster header is absent
 */
struct mg_rstr mg_route_cluster(const struct mg_route_entry *rt, const struct mg_route_req *r,
                                uint32_t draw, const struct mg_wcluster **wc);

/** Free a table from mg_route_compile() (NULL is fine). */
void mg_route_table_free(struct mg_route_table *t);

/** Does s match sm?  (Exported for the header and query matchers' tests.) */
bool mg_str_matches(const struct mg_str_matcher *sm, const char *s, uint32_t len);

#endif /* MG_PROXY_ROUTE_H */
