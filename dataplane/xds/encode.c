/*
 * encode.c — protobuf-c messages out as JSON, the proto3 JSON mapping way
 * (the inverse of decode.c), for config dumps, golden files and anything a
 * person reads.
 *
 * Field names are the proto names (snake_case), as Envoy's /config_dump
 * writes them; fields at their default are left out, as the mapping says;
 * 64-bit integers are strings, enums names, bytes base64; Duration, the
 * wrappers, Any (with "@type"), Struct, Value and ListValue have their
 * special forms.  An Any of a type meshgate does not know keeps its bytes in
 * "value".  Generic over the descriptors, like the decoder: nothing here
 * knows a particular xDS message.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "xds/xds.h"
#include "xds/xds_pvt.h"

#define MAX_DEPTH 64

struct enc {
	FILE *f;
	bool pretty;
	unsigned depth;
	int err;
};

static void put_message(struct enc *e, const ProtobufCMessage *m);

static void nl(struct enc *e)
{
	if (e->pretty) {
		fputc('\n', e->f);
		for (unsigned i = 0; i < e->depth; i++)
			fputs("  ", e->f);
	}
}

static void put_string(struct enc *e, const char *s, size_t len)
{
	fputc('"', e->f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", e->f);
			break;
		case '\\':
			fputs("\\\\", e->f);
			break;
		case '\n':
			fputs("\\n", e->f);
			break;
		case '\r':
			fputs("\\r", e->f);
			break;
		case '\t':
			fputs("\\t", e->f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(e->f, "\\u%04x", c);
			else
				fputc(c, e->f);
		}
	}
	fputc('"', e->f);
}

static void put_base64(struct enc *e, const uint8_t *p, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	fputc('"', e->f);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
		             (i + 2 < len ? p[i + 2] : 0);

		fputc(tab[v >> 18 & 63], e->f);
		fputc(tab[v >> 12 & 63], e->f);
		fputc(i + 1 < len ? tab[v >> 6 & 63] : '=', e->f);
		fputc(i + 2 < len ? tab[v & 63] : '=', e->f);
	}
	fputc('"', e->f);
}

static void put_double(struct enc *e, double v)
{
	if (isnan(v))
		fputs("\"NaN\"", e->f);
	else if (isinf(v))
		fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", e->f);
	else
		fprintf(e->f, "%.17g", v);
}

/* One value of field f at p (an element, for repeated fields). */
static void put_value(struct enc *e, const ProtobufCFieldDescriptor *f, const void *p)
{
	const ProtobufCEnumValue *ev;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(e->f, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(e->f, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(e->f, "\"%" PRId64 "\"", *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(e->f, "\"%" PRIu64 "\"", *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		put_double(e, *(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		put_double(e, *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", e->f);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		if (ev != NULL)
			fprintf(e->f, "\"%s\"", ev->name);
		else
			fprintf(e->f, "%d", *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;

		put_string(e, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		put_base64(e, b->data, b->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		put_message(e, *(ProtobufCMessage *const *)p);
		break;
	}
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

/* Is a singular proto3 field at its default (and so left out)? */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;

		return s == NULL || *s == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(ProtobufCMessage *const *)p == NULL;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p == 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p == 0;
	default: {
		size_t n = elem_size(f->type);

		return n == 8 ? *(const uint64_t *)p == 0 : *(const uint32_t *)p == 0;
	}
	}
}

/* Is field f of m set (proto3 presence rules)? */
static bool present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
	    f->type != PROTOBUF_C_TYPE_STRING && f->quantifier_offset != 0)
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	return !is_default(f, base + f->offset);
}

static void put_field_value(struct enc *e, const ProtobufCMessage *m,
                            const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;

	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		put_value(e, f, base + f->offset);
		return;
	}
	{
		size_t n = *(const size_t *)(base + f->quantifier_offset);
		const char *arr = *(char *const *)(base + f->offset);
		size_t sz = elem_size(f->type);
		bool map = mg_xds_is_map(f);

		fputc(map ? '{' : '[', e->f);
		e->depth++;
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				fputc(',', e->f);
			nl(e);
			if (map) {
				const ProtobufCMessage *ent =
				    *(ProtobufCMessage *const *)(arr + i * sz);
				const ProtobufCMessageDescriptor *ed = f->descriptor;
				const ProtobufCFieldDescriptor *kf = &ed->fields[0],
				                               *vf = &ed->fields[1];
				const char *eb = (const char *)ent;

				/* JSON keys are strings, whatever the key type. */
				if (kf->type == PROTOBUF_C_TYPE_STRING) {
					put_value(e, kf, eb + kf->offset);
				} else {
					fputc('"', e->f);
					put_value(e, kf, eb + kf->offset);
					fputc('"', e->f);
				}
				fputs(e->pretty ? ": " : ":", e->f);
				put_value(e, vf, eb + vf->offset);
			} else {
				put_value(e, f, arr + i * sz);
			}
		}
		e->depth--;
		if (n > 0)
			nl(e);
		fputc(map ? '}' : ']', e->f);
	}
}

/* The fields of m, inside an object already opened; first says whether one was written. */
static void put_fields(struct enc *e, const ProtobufCMessage *m, bool first)
{
	const ProtobufCMessageDescriptor *md = m->descriptor;

	for (unsigned i = 0; i < md->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &md->fields[i];

		if (!present(m, f))
			continue;
		if (!first)
			fputc(',', e->f);
		first = false;
		nl(e);
		fprintf(e->f, e->pretty ? "\"%s\": " : "\"%s\":", f->name);
		put_field_value(e, m, f);
	}
}

static void put_duration(struct enc *e, const Google__Protobuf__Duration *d)
{
	int64_t s = d->seconds;
	int32_t n = d->nanos;
	bool neg = s < 0 || n < 0;
	char frac[16] = "";

	if (n != 0) {
		int len;

		snprintf(frac, sizeof(frac), ".%09d", n < 0 ? -n : n);
		/* as few digits as the value needs: 3, 6 or 9 (protobuf's rule) */
		len = (int)strlen(frac);
		while (len > 4 && frac[len - 1] == '0' && frac[len - 2] == '0' &&
		       frac[len - 3] == '0')
			frac[len -= 3] = '\0';
	}
	fprintf(e->f, "\"%s%" PRId64 "%ss\"", neg && s == 0 ? "-" : "", s, frac);
}

static void put_any(struct enc *e, const Google__Protobuf__Any *any)
{
	ProtobufCMessage *inner = NULL;

	fputc('{', e->f);
	e->depth++;
	nl(e);
	fputs(e->pretty ? "\"@type\": " : "\"@type\":", e->f);
	put_string(e, any->type_url, strlen(any->type_url));
	if (mg_xds_unpack_any(any, NULL, &inner) == 0) {
		if (mg_xds_wkt_kind(inner->descriptor) != MG_WK_NONE) {
			/* A well-known type in an Any keeps its JSON form in "value". */
			fputc(',', e->f);
			nl(e);
			fputs(e->pretty ? "\"value\": " : "\"value\":", e->f);
			put_message(e, inner);
		} else {
			put_fields(e, inner, false);
		}
		mg_xds_free(inner);
	} else if (any->value.len > 0) {
		fputc(',', e->f);
		nl(e);
		fputs(e->pretty ? "\"value\": " : "\"value\":", e->f);
		put_base64(e, any->value.data, any->value.len);
	}
	e->depth--;
	nl(e);
	fputc('}', e->f);
}

static void put_json_value(struct enc *e, const Google__Protobuf__Value *v)
{
	switch (v->kind_case) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		put_double(e, v->number_value);
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		put_string(e, v->string_value, strlen(v->string_value));
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		fputs(v->bool_value ? "true" : "false", e->f);
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		put_message(e, &v->struct_value->base);
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
		put_message(e, &v->list_value->base);
		break;
	default:
		fputs("null", e->f);
	}
}

static void put_message(struct enc *e, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *md = m->descriptor;

	if (e->depth >= MAX_DEPTH) {
		e->err = -ELOOP;
		fputs("null", e->f);
		return;
	}
	switch (mg_xds_wkt_kind(md)) {
	case MG_WK_DURATION:
		put_duration(e, (const Google__Protobuf__Duration *)m);
		return;
	case MG_WK_WRAPPER:
		put_value(e, &md->fields[0], (const char *)m + md->fields[0].offset);
		return;
	case MG_WK_ANY:
		put_any(e, (const Google__Protobuf__Any *)m);
		return;
	case MG_WK_STRUCT:
	case MG_WK_LIST:
		put_field_value(e, m, &md->fields[0]);
		return;
	case MG_WK_VALUE:
		put_json_value(e, (const Google__Protobuf__Value *)m);
		return;
	default:
		break;
	}
	fputc('{', e->f);
	e->depth++;
	{
		long before = ftell(e->f);

		put_fields(e, m, true);
		e->depth--;
		if (before >= 0 && ftell(e->f) != before)
			nl(e);
	}
	fputc('}', e->f);
}

int mg_xds_print_json(FILE *f, const ProtobufCMessage *m, bool pretty)
{
	struct enc e = {.f = f, .pretty = pretty};

	put_message(&e, m);
	if (pretty)
		fputc('\n', f);
	if (e.err == 0 && ferror(f))
		e.err = -EIO;
	return e.err;
}

char *mg_xds_to_json(const ProtobufCMessage *m, bool pretty)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int rc;

	if (f == NULL)
		return NULL;
	rc = mg_xds_print_json(f, m, pretty);
	if (fclose(f) != 0 || rc < 0) {
		free(s);
		errno = rc < 0 ? -rc : EIO;
		return NULL;
	}
	return s;
}
