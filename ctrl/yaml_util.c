/*
 * yaml_util.c — the schema walker and value handlers (see yaml_util.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/yaml_util.h"

/* Most rows one schema may have (Istio's biggest message here has ~20). */
#define MAX_FIELDS 48
#define QUOTE_MAX  64

/* ------------------------------------------------------------------ */
/* Messages and positions                                              */

struct mg_pos mg_yaml_pos(const struct mg_yaml_ctx *c, const yaml_node_t *n)
{
	return (struct mg_pos){.file = c->file,
	                       .line = (uint32_t)n->start_mark.line + 1,
	                       .col = (uint32_t)n->start_mark.column + 1};
}

static void vreport(struct mg_yaml_ctx *c, enum mg_diag_severity sev, const yaml_node_t *n,
                    const char *fmt, va_list ap)
{
	struct mg_pos pos = mg_yaml_pos(c, n);
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mg_diag_add(c->diag, sev, &pos, "%s", msg);
	if (sev == MG_DIAG_ERROR)
		c->n_errors++;
}

void mg_yaml_error(struct mg_yaml_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, MG_DIAG_ERROR, n, fmt, ap);
	va_end(ap);
}

void mg_yaml_warn(struct mg_yaml_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, MG_DIAG_WARNING, n, fmt, ap);
	va_end(ap);
}

const char *mg_yaml_where(const struct mg_yaml_ctx *c)
{
	return c->path_len ? c->path : "the document";
}

const char *mg_yaml_quote(struct mg_yaml_ctx *c, const yaml_node_t *n)
{
	char *buf = c->qbuf[c->qnext++ % 2];
	const char *s;
	size_t i, o = 0, len;

	if (n->type != YAML_SCALAR_NODE)
		return n->type == YAML_MAPPING_NODE ? "(a mapping)" : "(a sequence)";
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			o += (size_t)sprintf(buf + o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (i < len)
		o += (size_t)sprintf(buf + o, "...");
	buf[o] = '\0';
	return buf;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return mg_yaml_is_null(n) ? "null" : "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static void type_error(struct mg_yaml_ctx *c, const yaml_node_t *n, const char *expected)
{
	mg_yaml_error(c, n, "%s: expected %s, got %s", mg_yaml_where(c), expected, node_kind(n));
}

bool mg_yaml_scalar_is(const yaml_node_t *n, const char *s)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

bool mg_yaml_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return n->data.scalar.length == 0 || mg_yaml_scalar_is(n, "null") ||
	       mg_yaml_scalar_is(n, "Null") || mg_yaml_scalar_is(n, "NULL") ||
	       mg_yaml_scalar_is(n, "~");
}

/* ------------------------------------------------------------------ */
/* Paths                                                               */

static size_t path_push_key(struct mg_yaml_ctx *c, const char *key, size_t klen)
{
	size_t old = c->path_len;

	snprintf(c->path + old, sizeof(c->path) - old, "%s%.*s", old ? "." : "", (int)klen, key);
	c->path_len = strnlen(c->path, sizeof(c->path));
	return old;
}

static size_t path_push_index(struct mg_yaml_ctx *c, size_t i)
{
	size_t old = c->path_len;

	snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);
	c->path_len = strnlen(c->path, sizeof(c->path));
	return old;
}

static void path_pop(struct mg_yaml_ctx *c, size_t old)
{
	c->path_len = old;
	c->path[old] = '\0';
}

/* ------------------------------------------------------------------ */
/* The walker                                                          */

static const struct mg_yaml_field *find_field(const struct mg_yaml_schema *s, const yaml_node_t *k,
                                              size_t *idx)
{
	size_t i;

	for (i = 0; i < s->nf; i++)
		if (mg_yaml_scalar_is(k, s->fields[i].key)) {
			*idx = i;
			return &s->fields[i];
		}
	return NULL;
}

int mg_yaml_walk(struct mg_yaml_ctx *c, yaml_node_t *n, const struct mg_yaml_schema *s, void *obj)
{
	const yaml_node_t *seen[MAX_FIELDS] = {NULL};
	bool present[MAX_FIELDS] = {false};
	yaml_node_pair_t *p;
	size_t i;

	if (s->nf > MAX_FIELDS)
		return -E2BIG;
	if (n->type != YAML_MAPPING_NODE) {
		type_error(c, n, "a mapping");
		return 0;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const struct mg_yaml_field *f;
		size_t old;
		int rc;

		if (k->type != YAML_SCALAR_NODE) {
			mg_yaml_error(c, k, "%s: keys must be strings, got %s", mg_yaml_where(c),
			              node_kind(k));
			continue;
		}
		f = find_field(s, k, &i);
		if (f == NULL) {
			mg_yaml_error(c, k, "unknown field \"%s\" in %s (%s)", mg_yaml_quote(c, k),
			              mg_yaml_where(c), s->name);
			continue;
		}
		if (seen[i] != NULL) {
			mg_yaml_error(c, k, "duplicate field \"%s\" in %s (first at line %zu)",
			              f->key, mg_yaml_where(c), seen[i]->start_mark.line + 1);
			continue;
		}
		seen[i] = k;
		if (mg_yaml_is_null(v))
			continue;
		present[i] = true;
		old = path_push_key(c, f->key, strlen(f->key));
		/* "not supported" is about the key, so point at the key */
		if (f->fn == mg_yaml_unsupported || f->fn == mg_yaml_ignored)
			rc = f->fn(c, k, obj, f);
		else
			rc = f->fn(c, v, obj, f);
		path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < s->nf; i++)
		if ((s->fields[i].flags & MG_YAML_F_REQUIRED) && !present[i])
			mg_yaml_error(c, n, "missing required field \"%s\" in %s (%s)",
			              s->fields[i].key, mg_yaml_where(c), s->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */

static void *at(void *obj, size_t off)
{
	return (char *)obj + off;
}

/* Store a pointer into a typed pointer slot without an aliasing cast. */
static void store_ptr(void *slot, void *p)
{
	memcpy(slot, &p, sizeof(p));
}

static int dup_scalar(struct mg_yaml_ctx *c, const yaml_node_t *n, struct mg_str *out)
{
	char *s =
	    mg_arena_strndup(c->arena, (const char *)n->data.scalar.value, n->data.scalar.length);

	if (s == NULL)
		return -ENOMEM;
	out->s = s;
	out->len = n->data.scalar.length;
	out->pos = mg_yaml_pos(c, n);
	return 0;
}

int mg_yaml_str(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	if (n->type != YAML_SCALAR_NODE) {
		type_error(c, n, "a string");
		return 0;
	}
	return dup_scalar(c, n, at(obj, f->off));
}

/* A number must be written as one: k8s rejects "80" (a string) for an int. */
static bool plain_scalar(struct mg_yaml_ctx *c, const yaml_node_t *n, const char *expected)
{
	if (n->type != YAML_SCALAR_NODE) {
		type_error(c, n, expected);
		return false;
	}
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		mg_yaml_error(c, n, "%s: expected %s, got the quoted string \"%s\"",
		              mg_yaml_where(c), expected, mg_yaml_quote(c, n));
		return false;
	}
	return true;
}

static bool parse_uint(struct mg_yaml_ctx *c, const yaml_node_t *n, uint64_t max, uint64_t *v)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t i, len = n->data.scalar.length;
	uint64_t x = 0;

	if (!plain_scalar(c, n, "a whole number"))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || (i == 0 && len > 1 && s[0] == '0'))
			break;
		if (x > (max - (uint64_t)(s[i] - '0')) / 10) {
			mg_yaml_error(c, n, "%s: number \"%s\" is too large (at most %llu)",
			              mg_yaml_where(c), mg_yaml_quote(c, n),
			              (unsigned long long)max);
			return false;
		}
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (i != len || len == 0) {
		mg_yaml_error(c, n, "%s: expected a whole number, got \"%s\"", mg_yaml_where(c),
		              mg_yaml_quote(c, n));
		return false;
	}
	*v = x;
	return true;
}

int mg_yaml_u32(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_u32 *out = at(obj, f->off);
	uint64_t v;

	if (parse_uint(c, n, UINT32_MAX, &v))
		*out = (struct mg_u32){.v = (uint32_t)v, .set = true, .pos = mg_yaml_pos(c, n)};
	return 0;
}

int mg_yaml_u64(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_u64 *out = at(obj, f->off);
	uint64_t v;

	if (parse_uint(c, n, UINT64_MAX, &v))
		*out = (struct mg_u64){.v = v, .set = true, .pos = mg_yaml_pos(c, n)};
	return 0;
}

int mg_yaml_bool(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_bool *out = at(obj, f->off);
	bool v;

	if (!plain_scalar(c, n, "true or false"))
		return 0;
	if (mg_yaml_scalar_is(n, "true") || mg_yaml_scalar_is(n, "True") ||
	    mg_yaml_scalar_is(n, "TRUE"))
		v = true;
	else if (mg_yaml_scalar_is(n, "false") || mg_yaml_scalar_is(n, "False") ||
	         mg_yaml_scalar_is(n, "FALSE"))
		v = false;
	else {
		mg_yaml_error(c, n, "%s: expected true or false, got \"%s\"", mg_yaml_where(c),
		              mg_yaml_quote(c, n));
		return 0;
	}
	*out = (struct mg_bool){.v = v, .set = true, .pos = mg_yaml_pos(c, n)};
	return 0;
}

int mg_yaml_dbl(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_dbl *out = at(obj, f->off);
	char buf[64], *end;
	double v;

	if (!plain_scalar(c, n, "a number"))
		return 0;
	if (n->data.scalar.length == 0 || n->data.scalar.length >= sizeof(buf))
		goto bad;
	memcpy(buf, n->data.scalar.value, n->data.scalar.length);
	buf[n->data.scalar.length] = '\0';
	/* strtod also takes hex, "inf" and "nan": none of those is a YAML number here */
	if (strpbrk(buf, "xXnNiI") != NULL)
		goto bad;
	errno = 0;
	v = strtod(buf, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		goto bad;
	*out = (struct mg_dbl){.v = v, .set = true, .pos = mg_yaml_pos(c, n)};
	return 0;
bad:
	mg_yaml_error(c, n, "%s: expected a number, got \"%s\"", mg_yaml_where(c),
	              mg_yaml_quote(c, n));
	return 0;
}

const char *mg_yaml_parse_duration(const char *s, size_t len, uint64_t *ms)
{
	static const struct {
		const char *sfx;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	uint64_t total = 0;
	size_t i = 0, u;

	if (len == 0)
		return "expected a duration such as 500ms, 1.5s or 1m30s";
	while (i < len) {
		uint64_t ip = 0, frac = 0, scale = 1;
		size_t nd = 0;

		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			ip = ip * 10 + (uint64_t)(s[i] - '0');
		if (nd == 0 && (i >= len || s[i] != '.'))
			return "expected a duration such as 500ms, 1.5s or 1m30s";
		if (nd > 9)
			return "number too large";
		if (i < len && s[i] == '.') {
			for (i++, nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
				if (nd >= 9)
					return "too many decimal places";
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				scale *= 10;
			}
		}
		if (i == len)
			return "missing unit (h, m, s or ms)";
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (strncmp(s + i, units[u].sfx, strlen(units[u].sfx)) == 0)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return (s[i] == 'u' || s[i] == 'n' || (unsigned char)s[i] == 0xc2)
			           ? "sub-millisecond units are not supported"
			           : "unknown unit (expected h, m, s or ms)";
		i += strlen(units[u].sfx);
		if (frac * units[u].ms % scale != 0)
			return "must be a whole number of milliseconds";
		total += ip * units[u].ms + frac * units[u].ms / scale;
	}
	*ms = total;
	return NULL;
}

int mg_yaml_dur(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_dur *out = at(obj, f->off);
	const char *why;
	uint64_t ms;

	if (n->type != YAML_SCALAR_NODE) {
		type_error(c, n, "a duration");
		return 0;
	}
	why =
	    mg_yaml_parse_duration((const char *)n->data.scalar.value, n->data.scalar.length, &ms);
	if (why != NULL) {
		mg_yaml_error(c, n, "%s: bad duration \"%s\": %s", mg_yaml_where(c),
		              mg_yaml_quote(c, n), why);
		return 0;
	}
	*out = (struct mg_dur){.ms = ms, .set = true, .pos = mg_yaml_pos(c, n)};
	return 0;
}

static void enum_names(const struct mg_yaml_enum *e, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; e->name != NULL && o < len; e++)
		if (!(e->flags & MG_YAML_E_UNSUPPORTED))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", e->name);
}

int mg_yaml_enum(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	const struct mg_yaml_enum *e;
	struct mg_enum *out = at(obj, f->off);
	char names[256];

	if (n->type != YAML_SCALAR_NODE) {
		type_error(c, n, "a name");
		return 0;
	}
	for (e = f->aux; e->name != NULL; e++)
		if (mg_yaml_scalar_is(n, e->name))
			break;
	if (e->name == NULL) {
		enum_names(f->aux, names, sizeof(names));
		mg_yaml_error(c, n, "%s: unknown value \"%s\" (expected one of: %s)",
		              mg_yaml_where(c), mg_yaml_quote(c, n), names);
		return 0;
	}
	if (e->flags & MG_YAML_E_UNSUPPORTED) {
		mg_yaml_error(c, n, "%s: value %s is not supported by meshgate yet",
		              mg_yaml_where(c), e->name);
		return 0;
	}
	if (e->flags & MG_YAML_E_DEPRECATED)
		mg_yaml_warn(c, n, "%s: value %s is deprecated", mg_yaml_where(c), e->name);
	*out = (struct mg_enum){.v = e->value, .set = true, .pos = mg_yaml_pos(c, n)};
	return 0;
}

/* ------------------------------------------------------------------ */
/* Collections                                                         */

int mg_yaml_strlist(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_strlist *out = at(obj, f->off);
	yaml_node_item_t *it;
	size_t cap;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE) {
		type_error(c, n, "a sequence of strings");
		return 0;
	}
	cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	out->pos = mg_yaml_pos(c, n);
	out->v = mg_arena_calloc(c->arena, cap ? cap : 1, sizeof(*out->v));
	if (out->v == NULL)
		return -ENOMEM;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		size_t old = path_push_index(c, (size_t)(it - n->data.sequence.items.start));

		if (item->type != YAML_SCALAR_NODE || mg_yaml_is_null(item)) {
			type_error(c, item, "a string");
			path_pop(c, old);
			continue;
		}
		path_pop(c, old);
		rc = dup_scalar(c, item, &out->v[out->n]);
		if (rc < 0)
			return rc;
		out->n++;
	}
	return 0;
}

/* Shared by the map handlers: a mapping whose keys are unique strings. */
typedef int (*pair_fn)(struct mg_yaml_ctx *c, yaml_node_t *k, yaml_node_t *v, void *slot,
                       const void *aux);

static int walk_map(struct mg_yaml_ctx *c, yaml_node_t *n, const char *expected, void **arr,
                    size_t *count, size_t elem, pair_fn fn, const void *aux)
{
	yaml_node_pair_t *p, *q;
	size_t cap;
	char *v;
	int rc;

	if (n->type != YAML_MAPPING_NODE) {
		type_error(c, n, expected);
		return 0;
	}
	cap = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	v = mg_arena_calloc(c->arena, cap ? cap : 1, elem);
	if (v == NULL)
		return -ENOMEM;
	*arr = v;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		bool dup = false;
		size_t old;

		if (k->type != YAML_SCALAR_NODE) {
			mg_yaml_error(c, k, "%s: keys must be strings, got %s", mg_yaml_where(c),
			              node_kind(k));
			continue;
		}
		for (q = n->data.mapping.pairs.start; q < p && !dup; q++) {
			yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);

			dup = k2->type == YAML_SCALAR_NODE &&
			      k2->data.scalar.length == k->data.scalar.length &&
			      memcmp(k2->data.scalar.value, k->data.scalar.value,
			             k->data.scalar.length) == 0;
		}
		if (dup) {
			mg_yaml_error(c, k, "%s: duplicate key \"%s\"", mg_yaml_where(c),
			              mg_yaml_quote(c, k));
			continue;
		}
		old = path_push_key(c, (const char *)k->data.scalar.value, k->data.scalar.length);
		rc = fn(c, k, val, v + *count * elem, aux);
		path_pop(c, old);
		if (rc < 0)
			return rc;
		if (rc > 0)
			(*count)++;
	}
	return 0;
}

/* pair_fn results: <0 fatal, 0 skipped (reported), 1 stored. */
static int strmap_pair(struct mg_yaml_ctx *c, yaml_node_t *k, yaml_node_t *v, void *slot,
                       const void *aux)
{
	struct mg_kv *kv = slot;
	int rc;

	(void)aux;
	if (v->type != YAML_SCALAR_NODE) {
		type_error(c, v, "a string");
		return 0;
	}
	rc = dup_scalar(c, k, &kv->key);
	if (rc == 0)
		rc = dup_scalar(c, v, &kv->val);
	return rc < 0 ? rc : 1;
}

int mg_yaml_strmap(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_strmap *out = at(obj, f->off);
	void *arr = NULL;
	int rc;

	out->pos = mg_yaml_pos(c, n);
	rc = walk_map(c, n, "a mapping of strings", &arr, &out->n, sizeof(struct mg_kv),
	              strmap_pair, NULL);
	out->v = arr;
	return rc;
}

static int u32map_pair(struct mg_yaml_ctx *c, yaml_node_t *k, yaml_node_t *v, void *slot,
                       const void *aux)
{
	struct mg_kv_u32 *kv = slot;
	uint64_t x;
	int rc;

	(void)aux;
	if (!parse_uint(c, v, UINT32_MAX, &x))
		return 0;
	rc = dup_scalar(c, k, &kv->key);
	kv->val = (struct mg_u32){.v = (uint32_t)x, .set = true, .pos = mg_yaml_pos(c, v)};
	return rc < 0 ? rc : 1;
}

int mg_yaml_u32map(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_u32map *out = at(obj, f->off);
	void *arr = NULL;
	int rc;

	out->pos = mg_yaml_pos(c, n);
	rc = walk_map(c, n, "a mapping of names to numbers", &arr, &out->n,
	              sizeof(struct mg_kv_u32), u32map_pair, NULL);
	out->v = arr;
	return rc;
}

int mg_yaml_obj(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	struct mg_obj *o = at(obj, f->off);

	if (n->type != YAML_MAPPING_NODE) {
		type_error(c, n, "a mapping");
		return 0;
	}
	o->set = true;
	o->pos = mg_yaml_pos(c, n);
	return mg_yaml_walk(c, n, f->aux, o);
}

int mg_yaml_objlist(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	const struct mg_yaml_schema *s = f->aux;
	size_t *count = at(obj, f->off_n), cap;
	yaml_node_item_t *it;
	char *arr;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE) {
		type_error(c, n, "a sequence");
		return 0;
	}
	cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	arr = mg_arena_calloc(c->arena, cap ? cap : 1, s->size);
	if (arr == NULL)
		return -ENOMEM;
	store_ptr(at(obj, f->off), arr);
	*count = 0;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		size_t old = path_push_index(c, (size_t)(it - n->data.sequence.items.start));
		struct mg_obj *o = (struct mg_obj *)(arr + *count * s->size);

		rc = 0;
		if (item->type != YAML_MAPPING_NODE) {
			type_error(c, item, "a mapping");
		} else {
			o->set = true;
			o->pos = mg_yaml_pos(c, item);
			rc = mg_yaml_walk(c, item, s, o);
			(*count)++;
		}
		path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int objmap_pair(struct mg_yaml_ctx *c, yaml_node_t *k, yaml_node_t *v, void *slot,
                       const void *aux)
{
	const struct mg_yaml_mapdesc *d = aux;
	struct mg_obj *o = (struct mg_obj *)((char *)slot + d->val_off);
	int rc;

	if (v->type != YAML_MAPPING_NODE) {
		type_error(c, v, "a mapping");
		return 0;
	}
	rc = dup_scalar(c, k, slot);
	if (rc < 0)
		return rc;
	o->set = true;
	o->pos = mg_yaml_pos(c, v);
	rc = mg_yaml_walk(c, v, d->val, o);
	return rc < 0 ? rc : 1;
}

int mg_yaml_objmap(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	const struct mg_yaml_mapdesc *d = f->aux;
	void *arr = NULL;
	int rc;

	rc = walk_map(c, n, "a mapping", &arr, at(obj, f->off_n), d->elem_size, objmap_pair, d);
	store_ptr(at(obj, f->off), arr);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Known but not (yet) supported                                       */

int mg_yaml_unsupported(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj,
                        const struct mg_yaml_field *f)
{
	(void)obj;
	mg_yaml_error(c, n, "field %s is not supported by meshgate yet%s%s%s", mg_yaml_where(c),
	              f->note ? " (" : "", f->note ? f->note : "", f->note ? ")" : "");
	return 0;
}

int mg_yaml_ignored(struct mg_yaml_ctx *c, yaml_node_t *n, void *obj, const struct mg_yaml_field *f)
{
	(void)obj;
	mg_yaml_warn(c, n, "field %s is not supported by meshgate yet; ignored%s%s%s",
	             mg_yaml_where(c), f->note ? " (" : "", f->note ? f->note : "",
	             f->note ? ")" : "");
	return 0;
}
