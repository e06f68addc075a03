/* decode.c — YAML (proto3 JSON mapping) to protobuf-c messages, generically.
 *
 * The walk is driven by the protobuf-c descriptors only.  Every sub-message,
 * string and array is linked into its parent before it is filled in, and the
 * counts and oneof cases are kept consistent at each step, so on any error
 * protobuf_c_message_free_unpacked() on the root frees exactly what was built
 * (everything comes from malloc, like the default protobuf-c allocator).
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "xds/xds.h"
#include "xds/xds_pvt.h"

/* Aliases can make a document a graph, even a cycle: bound depth and work. */
#define MAX_DEPTH 64
#define MAX_NODES 1000000UL

struct dec {
	yaml_document_t *doc;
	struct mg_xds_err *err;
	size_t plen;
	unsigned depth;
	unsigned long nodes;
};

static int decode_message(struct dec *d, yaml_node_t *n, const ProtobufCMessageDescriptor *md,
                          ProtobufCMessage *m);
static int decode_fields(struct dec *d, yaml_node_t *n, const ProtobufCMessageDescriptor *md,
                         ProtobufCMessage *m, const char *skip);

static int fail(struct dec *d, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct dec *d, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	if (n) {
		d->err->line = (unsigned)n->start_mark.line + 1;
		d->err->column = (unsigned)n->start_mark.column + 1;
	}
	va_start(ap, fmt);
	vsnprintf(d->err->msg, sizeof(d->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fail_nomem(struct dec *d, const yaml_node_t *n)
{
	fail(d, n, "out of memory");
	return -ENOMEM;
}

/* Append a path segment; returns the mark to restore with path_pop(). */
static size_t path_push(struct dec *d, const char *fmt, const char *s, size_t i)
{
	size_t mark = d->plen, room = sizeof(d->err->path) - d->plen;
	int len;

	if (s)
		len = snprintf(d->err->path + d->plen, room, fmt, mark ? "." : "", s);
	else
		len = snprintf(d->err->path + d->plen, room, fmt, i);
	if (len > 0)
		d->plen += (size_t)len < room ? (size_t)len : room - 1;
	return mark;
}

static void path_pop(struct dec *d, size_t mark)
{
	d->plen = mark;
	d->err->path[mark] = '\0';
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	default:
		return "a scalar";
	}
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML's null: an empty plain scalar, ~ or null. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (!is_plain(n))
		return false;
	s = sval(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static ProtobufCMessage *new_msg(const ProtobufCMessageDescriptor *md)
{
	ProtobufCMessage *m = malloc(md->sizeof_message);

	if (m)
		protobuf_c_message_init(md, m);
	return m;
}

static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return sizeof(uint32_t);
	}
}

/* Decimal integers only, as proto3 JSON has them (quoted or not). */
static bool parse_i64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	if (!(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
		return false;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_double(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "NaN") || !strcmp(s, ".nan")) {
		*v = NAN;
		return true;
	}
	if (!strcmp(s, "Infinity") || !strcmp(s, ".inf") || !strcmp(s, "-Infinity") ||
	    !strcmp(s, "-.inf")) {
		*v = *s == '-' ? -INFINITY : INFINITY;
		return true;
	}
	/* No hex floats, no "inf"/"nan" spellings strtod would also take. */
	if (!*s || strpbrk(s, "xXnNiI") || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !*end && errno != ERANGE;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard or URL-safe base64, padding optional (proto3 JSON accepts both). */
static int decode_base64(const char *s, size_t len, ProtobufCBinaryData *out)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	buf = malloc(len * 3 / 4 + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	out->data = buf;
	out->len = n;
	return 0;
}

static int decode_enum(struct dec *d, yaml_node_t *n, const ProtobufCEnumDescriptor *ed,
                       int32_t *dst)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, sval(n));
	char names[160];
	size_t used = 0;
	int64_t num;
	unsigned i;

	if (!ev && parse_i64(sval(n), &num) && num >= INT32_MIN && num <= INT32_MAX)
		ev = protobuf_c_enum_descriptor_get_value(ed, (int)num);
	if (ev) {
		*dst = ev->value;
		return 0;
	}
	names[0] = '\0';
	for (i = 0; i < ed->n_values && used < sizeof(names); i++) {
		int len = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
		                   ed->values[i].name);
		used += len > 0 ? (size_t)len : 0;
	}
	return fail(d, n, "expected one of %s (enum %s), got \"%.64s\"", names, ed->name, sval(n));
}

static int decode_int(struct dec *d, yaml_node_t *n, ProtobufCType t, void *dst)
{
	const char *s = sval(n);
	int64_t i;
	uint64_t u;

	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!parse_i64(s, &i) || i < INT32_MIN || i > INT32_MAX)
			return fail(d, n, "expected an integer %d..%d, got \"%.64s\"", INT32_MIN,
			            INT32_MAX, s);
		*(int32_t *)dst = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!parse_u64(s, &u) || u > UINT32_MAX)
			return fail(d, n, "expected an unsigned integer 0..%u, got \"%.64s\"",
			            UINT32_MAX, s);
		*(uint32_t *)dst = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!parse_u64(s, &u))
			return fail(d, n,
			            "expected an unsigned integer 0..%" PRIu64 ", got \"%.64s\"",
			            UINT64_MAX, s);
		*(uint64_t *)dst = u;
		return 0;
	default:
		if (!parse_i64(s, &i))
			return fail(d, n,
			            "expected an integer %" PRId64 "..%" PRId64 ", got \"%.64s\"",
			            INT64_MIN, INT64_MAX, s);
		*(int64_t *)dst = i;
		return 0;
	}
}

static int decode_other_scalar(struct dec *d, yaml_node_t *n, const ProtobufCFieldDescriptor *f,
                               void *dst)
{
	const char *s = sval(n);
	double v;
	int rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		if (!is_plain(n) ||
		    (strcmp(s, "true") && strcmp(s, "True") && strcmp(s, "TRUE") &&
		     strcmp(s, "false") && strcmp(s, "False") && strcmp(s, "FALSE")))
			return fail(d, n, "expected true or false, got \"%.64s\"", s);
		*(protobuf_c_boolean *)dst = *s == 't' || *s == 'T';
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_FLOAT:
		if (!parse_double(s, &v) ||
		    (f->type == PROTOBUF_C_TYPE_FLOAT && isfinite(v) && fabs(v) > FLT_MAX))
			return fail(d, n, "expected a number, got \"%.64s\"", s);
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)dst = (float)v;
		else
			*(double *)dst = v;
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return decode_enum(d, n, f->descriptor, dst);
	case PROTOBUF_C_TYPE_STRING:
		if (strlen(s) != n->data.scalar.length)
			return fail(d, n, "a string may not contain a NUL byte");
		*(char **)dst = strdup(s);
		return *(char **)dst ? 0 : fail_nomem(d, n);
	case PROTOBUF_C_TYPE_BYTES:
		rc = decode_base64(s, n->data.scalar.length, dst);
		if (rc == -ENOMEM)
			return fail_nomem(d, n);
		return rc ? fail(d, n, "expected base64 data, got \"%.64s\"", s) : 0;
	default:
		return decode_int(d, n, f->type, dst);
	}
}

static int decode_scalar(struct dec *d, yaml_node_t *n, const ProtobufCFieldDescriptor *f,
                         void *dst)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(d, n, "expected a scalar, got %s", kind(n));
	return decode_other_scalar(d, n, f, dst);
}

/* Decode one value of field @f into @dst (a member or an array element). */
static int decode_value(struct dec *d, yaml_node_t *n, const ProtobufCFieldDescriptor *f, void *dst)
{
	const ProtobufCMessageDescriptor *md = f->descriptor;
	ProtobufCMessage *m;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return decode_scalar(d, n, f, dst);
	m = new_msg(md);
	if (!m)
		return fail_nomem(d, n);
	*(ProtobufCMessage **)dst = m; /* linked first: the root's free covers it */
	return decode_message(d, n, md, m);
}

/* A google.protobuf.Value takes null; every other field treats null as unset. */
static bool takes_null(const ProtobufCFieldDescriptor *f)
{
	return f->type == PROTOBUF_C_TYPE_MESSAGE && mg_xds_wkt_kind(f->descriptor) == MG_WK_VALUE;
}

/* Grow a repeated field's array to @cnt zeroed elements. */
static int alloc_array(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t cnt)
{
	void **arr = (void **)((char *)m + f->offset);

	if (cnt == 0)
		return 0;
	*arr = calloc(cnt, elem_size(f->type));
	return *arr ? 0 : -ENOMEM;
}

static int decode_repeated(struct dec *d, yaml_node_t *n, ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f)
{
	size_t *np = (size_t *)((char *)m + f->quantifier_offset);
	size_t i, cnt, esz = elem_size(f->type), mark;
	yaml_node_item_t *it;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(d, n, "expected a sequence, got %s", kind(n));
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (alloc_array(m, f, cnt))
		return fail_nomem(d, n);
	for (i = 0, it = n->data.sequence.items.start; i < cnt; i++, it++) {
		yaml_node_t *item = yaml_document_get_node(d->doc, *it);
		char *slot = *(char **)((char *)m + f->offset) + i * esz;

		mark = path_push(d, "[%zu]", NULL, i);
		if (is_null(item) && !takes_null(f))
			return fail(d, item, "null is not allowed in a list");
		*np = i + 1; /* the slot is zeroed, so it is safe to free as it fills */
		rc = decode_value(d, item, f, slot);
		if (rc)
			return rc;
		path_pop(d, mark);
	}
	return 0;
}

static int decode_map(struct dec *d, yaml_node_t *n, ProtobufCMessage *m,
                      const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	size_t *np = (size_t *)((char *)m + f->quantifier_offset);
	yaml_node_pair_t *p = n->data.mapping.pairs.start;
	size_t i, j, cnt, mark;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return fail(d, n, "expected a mapping, got %s", kind(n));
	cnt = (size_t)(n->data.mapping.pairs.top - p);
	if (alloc_array(m, f, cnt))
		return fail_nomem(d, n);
	for (i = 0; i < cnt; i++, p++) {
		yaml_node_t *k = yaml_document_get_node(d->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(d->doc, p->value);
		ProtobufCMessage **slot = *(ProtobufCMessage ***)((char *)m + f->offset) + i;

		if (k->type != YAML_SCALAR_NODE)
			return fail(d, k, "map keys must be scalars");
		for (j = 0; j < i; j++)
			if (!strcmp(sval(k), sval(yaml_document_get_node(
			                         d->doc, n->data.mapping.pairs.start[j].key))))
				return fail(d, k, "duplicate key \"%.64s\"", sval(k));
		*slot = new_msg(ed);
		if (!*slot)
			return fail_nomem(d, n);
		*np = i + 1;
		mark = path_push(d, "%s%s", sval(k), 0);
		rc = decode_scalar(d, k, &ed->fields[0], (char *)*slot + ed->fields[0].offset);
		if (!rc && (!is_null(v) || takes_null(&ed->fields[1])))
			rc = decode_value(d, v, &ed->fields[1],
			                  (char *)*slot + ed->fields[1].offset);
		if (rc)
			return rc;
		path_pop(d, mark);
	}
	return 0;
}

static int decode_field(struct dec *d, yaml_node_t *v, const ProtobufCMessageDescriptor *md,
                        ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	char *base = (char *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return mg_xds_is_map(f) ? decode_map(d, v, m, f) : decode_repeated(d, v, m, f);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *cs = (uint32_t *)(base + f->quantifier_offset);

		if (*cs && *cs != f->id) {
			const ProtobufCFieldDescriptor *o =
			    protobuf_c_message_descriptor_get_field(md, (unsigned)*cs);

			return fail(d, v,
			            "\"%s\" and \"%s\" are one oneof in %s: set only one of them",
			            o ? o->name : "?", f->name, md->name);
		}
		*cs = f->id;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
	           f->type != PROTOBUF_C_TYPE_STRING) {
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	}
	return decode_value(d, v, f, base + f->offset);
}

/* Does @key spell the lowerCamelCase json_name of @snake? */
static bool camel_eq(const char *snake, const char *key)
{
	for (; *snake; snake++, key++) {
		char c = *snake;

		if (c == '_' && snake[1]) {
			snake++;
			c = (char)toupper((unsigned char)*snake);
		}
		if (c != *key)
			return false;
	}
	return !*key;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *md,
                                                  const char *key)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(md, key);
	unsigned i;

	for (i = 0; !f && i < md->n_fields; i++)
		if (camel_eq(md->fields[i].name, key))
			f = &md->fields[i];
	return f;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[65];

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_field(struct dec *d, yaml_node_t *k, const ProtobufCMessageDescriptor *md)
{
	const char *best = NULL;
	size_t bestd = 3, i, lim = strlen(sval(k)) / 3;

	if (lim < 1)
		lim = 1;
	for (i = 0; i < md->n_fields; i++) {
		size_t dist = edit_distance(sval(k), md->fields[i].name);

		if (dist <= lim && dist < bestd) {
			bestd = dist;
			best = md->fields[i].name;
		}
	}
	if (best)
		return fail(d, k, "unknown field \"%.64s\" in %s (did you mean \"%s\"?)", sval(k),
		            md->name, best);
	return fail(d, k, "unknown field \"%.64s\" in %s", sval(k), md->name);
}

static int decode_pair(struct dec *d, yaml_node_t *k, yaml_node_t *v,
                       const ProtobufCMessageDescriptor *md, ProtobufCMessage *m, uint8_t *seen)
{
	const ProtobufCFieldDescriptor *f = find_field(md, sval(k));
	size_t mark;
	int rc = 0;

	if (!f) {
		path_push(d, "%s%s", sval(k), 0);
		return unknown_field(d, k, md);
	}
	mark = path_push(d, "%s%s", f->name, 0);
	if (seen[f - md->fields]++)
		return fail(d, k, "field \"%s\" is set twice", f->name);
	if (!is_null(v) || takes_null(f))
		rc = decode_field(d, v, md, m, f);
	if (!rc)
		path_pop(d, mark);
	return rc;
}

/* The fields of a message from a mapping; @skip names a key to ignore (@type). */
static int decode_fields(struct dec *d, yaml_node_t *n, const ProtobufCMessageDescriptor *md,
                         ProtobufCMessage *m, const char *skip)
{
	yaml_node_pair_t *p;
	uint8_t *seen;
	int rc = 0;

	if (n->type != YAML_MAPPING_NODE)
		return fail(d, n, "expected a mapping (%s), got %s", md->name, kind(n));
	seen = calloc(md->n_fields + 1, 1);
	if (!seen)
		return fail_nomem(d, n);
	for (p = n->data.mapping.pairs.start; !rc && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(d->doc, p->value);

		if (k->type != YAML_SCALAR_NODE)
			rc = fail(d, k, "field names must be scalars, got %s", kind(k));
		else if (!skip || strcmp(sval(k), skip))
			rc = decode_pair(d, k, v, md, m, seen);
	}
	free(seen);
	return rc;
}

static yaml_node_t *mapping_get(struct dec *d, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(sval(k), key))
			return yaml_document_get_node(d->doc, p->value);
	}
	return NULL;
}

/* The message an Any names, from the rest of its mapping (or its "value" key
 * for the well-known types with a JSON form of their own). */
static int decode_any_body(struct dec *d, yaml_node_t *n, const ProtobufCMessageDescriptor *md,
                           ProtobufCMessage *inner)
{
	yaml_node_t *v;
	size_t mark;
	int rc;

	if (mg_xds_wkt_kind(md) == MG_WK_NONE)
		return decode_fields(d, n, md, inner, "@type");
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start != 2 ||
	    !(v = mapping_get(d, n, "value")))
		return fail(d, n, "an Any holding %s takes exactly \"@type\" and \"value\"",
		            md->name);
	mark = path_push(d, "%s%s", "value", 0);
	rc = decode_message(d, v, md, inner);
	if (!rc)
		path_pop(d, mark);
	return rc;
}

static int decode_any(struct dec *d, yaml_node_t *n, Google__Protobuf__Any *any)
{
	const ProtobufCMessageDescriptor *md;
	ProtobufCMessage *inner;
	yaml_node_t *t;
	size_t mark, len;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return fail(d, n, "expected a mapping (google.protobuf.Any), got %s", kind(n));
	t = mapping_get(d, n, "@type");
	if (!t)
		return fail(d, n, "a google.protobuf.Any needs an \"@type\" key");
	mark = path_push(d, "%s%s", "@type", 0);
	if (t->type != YAML_SCALAR_NODE || !strchr(sval(t), '/'))
		return fail(d, t,
		            "expected a type URL such as \"" MG_XDS_TYPE_URL_PREFIX
		            "envoy.config.cluster.v3.Cluster\"");
	md = mg_xds_type_lookup(sval(t));
	if (!md)
		return fail(d, t, "unknown type \"%.128s\": not a message meshgate understands",
		            sval(t));
	path_pop(d, mark);
	any->type_url = strdup(sval(t));
	inner = new_msg(md);
	if (!any->type_url || !inner) {
		free(inner);
		return fail_nomem(d, n);
	}
	rc = decode_any_body(d, n, md, inner);
	if (!rc) {
		len = protobuf_c_message_get_packed_size(inner);
		any->value.data = malloc(len ? len : 1);
		any->value.len =
		    any->value.data ? protobuf_c_message_pack(inner, any->value.data) : 0;
		if (!any->value.data)
			rc = fail_nomem(d, n);
	}
	protobuf_c_message_free_unpacked(inner, NULL);
	return rc;
}

static bool looks_numeric(const char *s)
{
	double v;

	return (isdigit((unsigned char)*s) || *s == '-' || *s == '.') && parse_double(s, &v);
}

/* google.protobuf.Value: whatever the node is. */
static int decode_json_value(struct dec *d, yaml_node_t *n, Google__Protobuf__Value *v)
{
	const char *s;

	if (n->type == YAML_MAPPING_NODE || n->type == YAML_SEQUENCE_NODE) {
		bool map = n->type == YAML_MAPPING_NODE;
		const ProtobufCMessageDescriptor *md =
		    map ? &google__protobuf__struct__descriptor
		        : &google__protobuf__list_value__descriptor;
		ProtobufCMessage *m = new_msg(md);

		if (!m)
			return fail_nomem(d, n);
		v->kind_case = map ? GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE
		                   : GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
		if (map)
			v->struct_value = (Google__Protobuf__Struct *)m;
		else
			v->list_value = (Google__Protobuf__ListValue *)m;
		return decode_message(d, n, md, m);
	}
	s = sval(n);
	if (is_null(n)) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
		v->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
	} else if (is_plain(n) && (!strcmp(s, "true") || !strcmp(s, "false"))) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
		v->bool_value = *s == 't';
	} else if (is_plain(n) && looks_numeric(s)) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
		parse_double(s, &v->number_value);
	} else {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
		v->string_value = strdup(s);
		if (!v->string_value)
			return fail_nomem(d, n);
	}
	return 0;
}

static int decode_wkt(struct dec *d, yaml_node_t *n, const ProtobufCMessageDescriptor *md,
                      ProtobufCMessage *m, enum mg_xds_wkt wk)
{
	Google__Protobuf__Duration *dur = (Google__Protobuf__Duration *)m;

	switch (wk) {
	case MG_WK_DURATION:
		if (n->type != YAML_SCALAR_NODE ||
		    mg_xds_parse_duration(sval(n), &dur->seconds, &dur->nanos))
			return fail(d, n, "expected a duration such as \"1.5s\", got %s%.64s%s",
			            n->type == YAML_SCALAR_NODE ? "\"" : "",
			            n->type == YAML_SCALAR_NODE ? sval(n) : kind(n),
			            n->type == YAML_SCALAR_NODE ? "\"" : "");
		return 0;
	case MG_WK_WRAPPER:
		return decode_scalar(d, n, &md->fields[0], (char *)m + md->fields[0].offset);
	case MG_WK_ANY:
		return decode_any(d, n, (Google__Protobuf__Any *)m);
	case MG_WK_STRUCT:
		return decode_map(d, n, m, &md->fields[0]);
	case MG_WK_LIST:
		return decode_repeated(d, n, m, &md->fields[0]);
	default:
		return decode_json_value(d, n, (Google__Protobuf__Value *)m);
	}
}

static int decode_message(struct dec *d, yaml_node_t *n, const ProtobufCMessageDescriptor *md,
                          ProtobufCMessage *m)
{
	enum mg_xds_wkt wk = mg_xds_wkt_kind(md);
	int rc;

	if (d->depth >= MAX_DEPTH)
		return fail(d, n, "nested more than %d levels deep", MAX_DEPTH);
	if (++d->nodes > MAX_NODES)
		return fail(d, n, "more than %lu nodes (aliases?)", MAX_NODES);
	d->depth++;
	rc = wk == MG_WK_NONE ? decode_fields(d, n, md, m, NULL) : decode_wkt(d, n, md, m, wk);
	d->depth--;
	return rc;
}

int mg_xds_decode_yaml(yaml_document_t *doc, yaml_node_t *node,
                       const ProtobufCMessageDescriptor *desc, const char *path,
                       ProtobufCMessage **out, struct mg_xds_err *err)
{
	struct mg_xds_err local;
	struct dec d = {.doc = doc, .err = err ? err : &local};
	ProtobufCMessage *m;
	int rc;

	*out = NULL;
	memset(d.err, 0, sizeof(*d.err));
	if (path && *path)
		path_push(&d, "%s%s", path, 0);
	if (!node)
		return fail(&d, NULL, "no such node");
	m = new_msg(desc);
	if (!m)
		return fail_nomem(&d, node);
	rc = decode_message(&d, node, desc, m);
	if (rc) {
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	*out = m;
	return 0;
}
