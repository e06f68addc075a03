/*
 * yaml_types.h — positioned values, the leaves of a decoded YAML model.
 *
 * Every value the controller reads remembers where it was written, so that
 * a check made long after decoding (a weight sum, a reference to a subset
 * in another file) can still say FILE:LINE:COL.  Each leaf has a `set` flag
 * (or a NULL string) so "absent" and "zero" stay distinct, as protobuf
 * wrapper types are in Istio's API.  Objects start with a struct mg_obj.
 */
#ifndef MG_CTRL_YAML_TYPES_H
#define MG_CTRL_YAML_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrl/diag.h"

/** A string: s is NULL when absent, else NUL-terminated (len bytes). */
struct mg_str {
	const char *s;
	size_t len;
	struct mg_pos pos;
};

struct mg_u32 {
	uint32_t v;
	bool set;
	struct mg_pos pos;
};

struct mg_u64 {
	uint64_t v;
	bool set;
	struct mg_pos pos;
};

struct mg_bool {
	bool v;
	bool set;
	struct mg_pos pos;
};

/** A duration ("1.5s", "500ms", "1m30s"), in milliseconds. */
struct mg_dur {
	uint64_t ms;
	bool set;
	struct mg_pos pos;
};

struct mg_dbl {
	double v;
	bool set;
	struct mg_pos pos;
};

/** An enum value; v is the C enum's value from the schema's table. */
struct mg_enum {
	int v;
	bool set;
	struct mg_pos pos;
};

/** A sequence of strings. */
struct mg_strlist {
	struct mg_str *v;
	size_t n;
	struct mg_pos pos; /**< of the sequence (file NULL when absent) */
};

struct mg_kv {
	struct mg_str key, val;
};

/** A map of strings to strings (labels, annotations, header values). */
struct mg_strmap {
	struct mg_kv *v;
	size_t n;
	struct mg_pos pos;
};

struct mg_kv_u32 {
	struct mg_str key;
	struct mg_u32 val;
};

/** A map of strings to numbers (WorkloadEntry ports, locality weights). */
struct mg_u32map {
	struct mg_kv_u32 *v;
	size_t n;
	struct mg_pos pos;
};

/** First member of every decoded object: present, and where. */
struct mg_obj {
	bool set;
	struct mg_pos pos;
};

#endif /* MG_CTRL_YAML_TYPES_H */
