/*
 * bootstrap_pvt.h — internals shared by bootstrap.c (the schema walker) and
 * bootstrap_sr.c (static_resources).  No other module includes this.
 */
#ifndef MG_BOOTSTRAP_PVT_H
#define MG_BOOTSTRAP_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "meshgate/bootstrap_types.h"

/* Longest dotted path in a message, e.g. "neighbors[63].interface". */
#define MAX_PATH 128
/* Most keys any one mapping accepts (the top level has 15). */
#define MAX_KEYS 16
/* Characters of a user's value echoed in a message before it is cut. */
#define QUOTE_MAX 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct ctx;
struct field;

/* Checks one value node and stores it into obj; returns 0 or -errno. */
typedef int (*field_fn)(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);

/* One row of a mapping's schema. */
struct field {
	const char *key;
	field_fn fn;
	size_t off;        /* where in obj the value goes */
	size_t size;       /* its size, for integers */
	uint64_t min, max; /* limits for integers and durations */
	unsigned flags;
};

#define F_REQUIRED 1u /* the key must be present */
#define F_POW2     2u /* the integer must be a power of two */

/* A route or neighbour before its interface is resolved. */
struct route_item {
	struct mg_cfg_route r;
	char ifname[32];
	yaml_node_t *val[MAX_KEYS]; /* value nodes by schema row, for positions */
};

struct neigh_item {
	struct mg_cfg_neigh n;
	char ifname[32];
	yaml_node_t *val[MAX_KEYS];
};

/* Everything one parse needs; lives on the heap (the items are large). */
struct ctx {
	const char *name; /* file name for messages */
	const char *text; /* the input, for hints about tabs */
	size_t len;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	struct mg_bootstrap *out;
	char path[MAX_PATH]; /* dotted path of the value being checked */
	size_t path_len;
	char qbuf[2][4 * QUOTE_MAX + 8];
	unsigned qnext;
	yaml_node_t *iface_val[MG_MAX_IFACES][MAX_KEYS];
	struct route_item routes[MG_MAX_ROUTES];
	struct neigh_item neigh[MG_MAX_STATIC_NEIGH];
	yaml_node_t *dr_node; /* dynamic_resources' value, resolved after the walk */
};

/** Write "NAME:LINE:COL: message" (0-based line/col in) to c->err; returns rc. */
int __attribute__((format(printf, 5, 6)))
mg_bootstrap_fail_at(struct ctx *c, int rc, size_t line, size_t col, const char *fmt, ...);

/** s[0..len) quoted and shortened for a message; valid for the next two calls. */
const char *mg_bootstrap_quote_text(struct ctx *c, const char *s, size_t len);

/**
 * The top-level static_resources value: decoded with the xDS decoder into
 * Envoy's messages, then validated (filters, cluster names and references).
 * Stores the result in c->out.  Returns 0 or -EINVAL (c->err says why).
 */
int mg_bootstrap_parse_static_resources(struct ctx *c, yaml_node_t *n, void *obj,
                                        const struct field *f);

/**
 * The node at a path such as "clusters[1].name" below n (field names in
 * snake_case match lowerCamelCase keys too), or NULL.
 */
yaml_node_t *mg_bootstrap_node_at(struct ctx *c, yaml_node_t *n, const char *path);

/** The top-level node value: Envoy's Bootstrap.node (core.v3.Node), decoded. */
int mg_bootstrap_parse_node(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);

/**
 * The top-level dynamic_resources value (Bootstrap.DynamicResources), decoded
 * and checked for what meshgate supports (ADS over gRPC, v3, cds/lds from
 * ads); the controller's address is resolved later by
 * mg_bootstrap_resolve_ads(), once static_resources is known.
 */
int mg_bootstrap_parse_dynamic_resources(struct ctx *c, yaml_node_t *n, void *obj,
                                         const struct field *f);

/**
 * After the walk: the ADS server's address from ads_config.grpc_services[0]
 * (envoy_grpc.cluster_name naming a static cluster, or google_grpc.target_uri).
 * Returns 0 or -EINVAL (c->err says why).
 */
int mg_bootstrap_resolve_ads(struct ctx *c);

#endif /* MG_BOOTSTRAP_PVT_H */
