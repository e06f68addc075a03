/*
 * yaml_util.h — decode a libyaml node tree against schema tables.
 *
 * The idea is the gateway bootstrap's (app/meshgate/bootstrap.c): compose
 * the document with libyaml's document API so every node keeps its
 * position, then walk it against one small table per mapping.  A row names
 * a key, the handler that checks and stores its value and where the value
 * goes; a generic walker does what every mapping shares (unknown keys,
 * duplicates, required keys, nulls).  Two differences from the bootstrap:
 * problems go to a struct mg_diag and the walk goes on, so one run reports
 * everything; and a key can be known-but-unsupported, which gives an error
 * or a warning of its own instead of "unknown key".
 *
 * Handlers store positioned values (yaml_types.h) allocated from an arena.
 * They return 0 (also after reporting a problem) or -ENOMEM.
 */
#ifndef MG_CTRL_YAML_UTIL_H
#define MG_CTRL_YAML_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "common/mg_arena.h"
#include "ctrl/diag.h"
#include "ctrl/yaml_types.h"

#define MG_YAML_MAX_PATH 256

struct mg_yaml_field;

/** State of one walk over one document. */
struct mg_yaml_ctx {
	yaml_document_t *doc;
	const char *file; /**< for positions; must outlive the decoded values */
	struct mg_diag *diag;
	struct mg_arena *arena;
	size_t n_errors;             /**< errors this context reported */
	char path[MG_YAML_MAX_PATH]; /**< dotted path of the value being decoded */
	size_t path_len;
	char qbuf[2][4 * 64 + 8];
	unsigned qnext;
};

/** Checks the value node n and stores it into obj per row f. */
typedef int (*mg_yaml_fn)(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj,
                          const struct mg_yaml_field *f);

/** One row of a mapping's schema. */
struct mg_yaml_field {
	const char *key;  /**< the YAML key (Istio's JSON name, camelCase) */
	mg_yaml_fn fn;    /**< handler */
	size_t off;       /**< where the value goes in obj */
	size_t off_n;     /**< for lists and maps of objects: where the count goes */
	const void *aux;  /**< sub-schema (objects) or enum table */
	unsigned flags;   /**< MG_YAML_F_* */
	const char *note; /**< for unsupported keys: why, or what to use instead */
};

#define MG_YAML_F_REQUIRED 1u

/** The rows of one mapping; size is the decoded struct's, for lists. */
struct mg_yaml_schema {
	const char *name; /**< Istio message name, for messages */
	const struct mg_yaml_field *fields;
	size_t nf;
	size_t size;
};

/** One enum name; a table ends with a NULL name. */
struct mg_yaml_enum {
	const char *name;
	int value;
	unsigned flags; /**< MG_YAML_E_* */
};

/** aux of mg_yaml_objmap(): elements are { struct mg_str key; T val; }. */
struct mg_yaml_mapdesc {
	const struct mg_yaml_schema *val; /**< schema of T (T starts with a struct mg_obj) */
	size_t elem_size;
	size_t val_off; /**< offsetof(element, val) */
};

#define MG_YAML_E_UNSUPPORTED 1u /**< accepted by Istio, not by meshgate yet: error */
#define MG_YAML_E_DEPRECATED  2u /**< accepted with a warning */

/**
 * Walk mapping n against schema s, storing into obj.
 *
 * Unknown keys, duplicates, a missing required key and a non-mapping are
 * reported to c->diag as errors; the walk goes on.  Null values (empty,
 * `null`, `~`) count as absent.
 *
 * @return 0, or -ENOMEM (the decoded values are then incomplete)
 */
int mg_yaml_walk(struct mg_yaml_ctx *c, yaml_node_t *n, const struct mg_yaml_schema *s, void *obj);

/* Handlers for struct mg_yaml_field.fn.  Each stores the yaml_types.h type
 * named after it at f->off. */
int mg_yaml_str(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_strlist(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_strmap(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_u32map(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_u32(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_u64(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_bool(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_dur(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
int mg_yaml_dbl(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
/** f->aux: a struct mg_yaml_enum table. */
int mg_yaml_enum(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
/** f->aux: the sub-schema; the struct at f->off starts with a struct mg_obj. */
int mg_yaml_obj(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
/** A sequence of objects: array pointer at f->off, size_t count at f->off_n. */
int mg_yaml_objlist(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
/** A map of key to object; each element starts with a struct mg_str key. */
int mg_yaml_objmap(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
/** Known to Istio, not supported by meshgate yet: an error at the key (f->note says more). */
int mg_yaml_unsupported(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);
/** Known to Istio, not used by meshgate: a warning at the key, the value is ignored. */
int mg_yaml_ignored(struct mg_yaml_ctx *, yaml_node_t *, void *, const struct mg_yaml_field *);

/** Position of node n (1-based). */
struct mg_pos mg_yaml_pos(const struct mg_yaml_ctx *c, const yaml_node_t *n);

/** Report an error at node n (message prefixed with nothing; counts it). */
void mg_yaml_error(struct mg_yaml_ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Report a warning at node n. */
void mg_yaml_warn(struct mg_yaml_ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The current dotted path ("spec.http[0].route"), or "the document". */
const char *mg_yaml_where(const struct mg_yaml_ctx *c);

/** A scalar's text made safe to print (cut, control bytes escaped). */
const char *mg_yaml_quote(struct mg_yaml_ctx *c, const yaml_node_t *n);

/** True for the YAML null scalars: empty plain, "null", "Null", "NULL", "~". */
bool mg_yaml_is_null(const yaml_node_t *n);

/** True if scalar n is exactly the string s. */
bool mg_yaml_scalar_is(const yaml_node_t *n, const char *s);

/**
 * Parse a duration as Istio writes them (Go syntax without sub-millisecond
 * units): one or more <number>[.<fraction>]<unit> with unit h, m, s or ms,
 * e.g. "1.5s", "500ms", "1m30s".
 *
 * @return NULL and *ms set, or a phrase saying what is wrong
 */
const char *mg_yaml_parse_duration(const char *s, size_t len, uint64_t *ms);

#endif /* MG_CTRL_YAML_UTIL_H */
