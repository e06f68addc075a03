/*
 * json_writer.h — a small streaming JSON writer with the commas done for you.
 *
 * The translator writes xDS resources as JSON (the proto3 JSON mapping) and
 * lets the generic xDS decoder turn them into messages: one decoder checks
 * every resource's shape, whether it came from the bootstrap, the translator
 * or the wire.  Keys are written as given; strings are escaped.  Nesting is
 * limited to MG_JW_MAX_DEPTH; going past it, or a write error, sets err.
 */
#ifndef MG_CTRL_JSON_WRITER_H
#define MG_CTRL_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MG_JW_MAX_DEPTH 48

struct mg_jw {
	FILE *f;
	unsigned depth;
	bool first[MG_JW_MAX_DEPTH]; /**< nothing written yet at this level */
	char close[MG_JW_MAX_DEPTH]; /**< '}' or ']' */
	bool err;
};

/** Start writing one JSON value to f. */
void mg_jw_init(struct mg_jw *w, FILE *f);

/** Open an object: as the value of key inside an object, or (key NULL) an element or the top. */
void mg_jw_obj(struct mg_jw *w, const char *key);

/** Open an array, like mg_jw_obj(). */
void mg_jw_arr(struct mg_jw *w, const char *key);

/** Close the innermost object or array. */
void mg_jw_end(struct mg_jw *w);

/** A string value (len bytes). */
void mg_jw_strn(struct mg_jw *w, const char *key, const char *s, size_t len);

/** A NUL-terminated string value. */
void mg_jw_str(struct mg_jw *w, const char *key, const char *s);

/** A string value made with printf. */
void mg_jw_strf(struct mg_jw *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A number. */
void mg_jw_u64(struct mg_jw *w, const char *key, uint64_t v);

/** true or false. */
void mg_jw_bool(struct mg_jw *w, const char *key, bool v);

/** null. */
void mg_jw_null(struct mg_jw *w, const char *key);

/** A value that is already JSON (the caller vouches for it), written as is. */
void mg_jw_raw(struct mg_jw *w, const char *key, const char *json);

#endif /* MG_CTRL_JSON_WRITER_H */
