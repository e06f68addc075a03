/*
 * bootstrap.c — the gateway's bootstrap YAML, checked against a schema.
 *
 * libyaml composes the whole file into a node tree (yaml_parser_load) so that
 * every value keeps its line and column.  The tree is then walked against
 * small tables, one per mapping: each row names a key, the function that
 * checks and stores its value, where in the target struct the value goes and
 * its limits.  A generic walker handles what every mapping shares (unknown,
 * duplicate and missing keys), so adding a key is adding a row.  We rejected
 * libyaml's event API: it would force the schema into a state machine and
 * still need a second pass for references between sections.
 *
 * References (`interface:` in routes and neighbours) may name interfaces that
 * come later in the file, so they are resolved in a last pass, still with the
 * node positions at hand.  The first error stops the parse; the caller gets
 * a whole config or nothing.
 *
 * `static_resources` is the exception to the tables: it is Envoy's schema, so
 * the generic xDS decoder (xds/xds.h) turns it into protobuf-c messages, and
 * only the checks across resources (filters, cluster names and references)
 * live in bootstrap_sr.c.  Nothing serves those resources yet (issue 4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "meshgate/bootstrap.h"
#include "meshgate/bootstrap_pvt.h"
#include "xds/compile.h"
#include "xds/xds.h"

/* A bootstrap is a few kilobytes; anything far bigger is a wrong file. */
#define MAX_FILE_SIZE (1u << 20)

/* ------------------------------------------------------------------ */
/* Messages                                                            */

int mg_bootstrap_fail_at(struct ctx *c, int rc, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err == NULL || c->errlen == 0)
		return rc;
	n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->name, line + 1, col + 1);
	if (n < 0 || (size_t)n >= c->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Every schema error goes through here: "FILE:LINE:COL: what". */
#define fail(c, node, ...)                                                                     \
	mg_bootstrap_fail_at((c), -EINVAL, (node)->start_mark.line, (node)->start_mark.column, \
	                     __VA_ARGS__)

/*
 * A user's text made safe to print: cut at QUOTE_MAX characters, control
 * bytes escaped.  Two rotating buffers, so one message may quote twice.
 */
const char *mg_bootstrap_quote_text(struct ctx *c, const char *s, size_t len)
{
	char *buf = c->qbuf[c->qnext++ % 2];
	size_t i, o = 0;

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

static const char *quote(struct ctx *c, const yaml_node_t *n)
{
	return mg_bootstrap_quote_text(c, (const char *)n->data.scalar.value,
	                               n->data.scalar.length);
}

static bool is_empty_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return is_empty_scalar(n) ? "an empty value" : "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* Where we are, for messages: a dotted path or "the top level". */
static const char *where(const struct ctx *c)
{
	return c->path_len ? c->path : "the top level";
}

static int type_error(struct ctx *c, yaml_node_t *n, const char *expected)
{
	return fail(c, n, "wrong type in %s: expected %s, got %s", where(c), expected,
	            node_kind(n));
}

/* Path bookkeeping: push returns the old length for pop. */
static size_t path_push_key(struct ctx *c, const char *key)
{
	size_t old = c->path_len;
	int n = snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", key);

	c->path_len = n < 0 ? old : strnlen(c->path, sizeof(c->path));
	return old;
}

static size_t path_push_index(struct ctx *c, size_t i)
{
	size_t old = c->path_len;

	snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);
	c->path_len = strnlen(c->path, sizeof(c->path));
	return old;
}

static void path_pop(struct ctx *c, size_t old)
{
	c->path_len = old;
	c->path[old] = '\0';
}

/* ------------------------------------------------------------------ */
/* Scalar conversions: each returns NULL or why the text is wrong.     */

static const char *to_u64(const char *s, size_t len, uint64_t *v)
{
	unsigned long long x;
	char *end;
	size_t i;

	if (len == 0)
		return "expected a number, got an empty value";
	if (s[0] == '-' || s[0] == '+')
		return "expected a whole number without a sign";
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return "expected a whole decimal number";
	/* YAML 1.1 reads 010 as octal; refuse rather than guess. */
	if (len > 1 && s[0] == '0')
		return "leading zeros are not allowed";
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return "number too large";
	if (end != s + len)
		return "expected a whole decimal number";
	*v = x;
	return NULL;
}

/* A unit suffix and what one of it is worth in the base unit. */
struct unit {
	const char *sfx;
	uint64_t mult;
};

/* A family of units for "<n>[.<frac>]<unit>" values and the words its errors use. */
struct unit_set {
	const struct unit *units;
	size_t n;
	const char *example; /* "expected a duration such as ..." */
	const char *missing; /* "missing unit (...)" */
	const char *unknown; /* "unknown unit (expected ...)" */
	const char *whole;   /* "must be a whole number of <base units>" */
};

/* Index of the unit spelled s[0..len), or -1. */
static int find_unit(const struct unit *units, size_t n, const char *s, size_t len)
{
	for (size_t u = 0; u < n; u++)
		if (len == strlen(units[u].sfx) && memcmp(s, units[u].sfx, len) == 0)
			return (int)u;
	return -1;
}

/* "<n>[.<frac>]<unit>" to a whole number of the set's base unit. */
static const char *to_scaled(const char *s, size_t len, const struct unit_set *set, uint64_t *out)
{
	uint64_t ip = 0, frac = 0, scale = 1, mult;
	size_t i = 0, nd = 0;
	int u;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
		if (nd < 10)
			ip = ip * 10 + (uint64_t)(s[i] - '0');
	if (nd == 0)
		return set->example;
	if (nd >= 10)
		return "number too large";
	if (i < len && s[i] == '.') {
		for (i++, nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd >= 6)
				return "at most 6 decimal places";
			frac = frac * 10 + (uint64_t)(s[i] - '0');
			scale *= 10;
		}
		if (nd == 0)
			return "expected digits after the decimal point";
	}
	if (i == len)
		return set->missing;
	u = find_unit(set->units, set->n, s + i, len - i);
	if (u < 0)
		return set->unknown;
	mult = set->units[u].mult;
	if (frac * mult % scale != 0)
		return set->whole;
	*out = ip * mult + frac * mult / scale;
	return NULL;
}

/* "<n>[.<frac>](ms|s|m|h)" to whole milliseconds. */
static const char *to_ms(const char *s, size_t len, uint64_t *ms)
{
	static const struct unit units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	static const struct unit_set set = {units,
	                                    ARRAY_SIZE(units),
	                                    "expected a duration such as 500ms, 1s, 1.5s or 2m",
	                                    "missing unit (ms, s, m or h)",
	                                    "unknown unit (expected ms, s, m or h)",
	                                    "must be a whole number of milliseconds"};

	return to_scaled(s, len, &set, ms);
}

/* "<n>[.<frac>](us|ms|s)" to whole microseconds. */
static const char *to_us(const char *s, size_t len, uint64_t *us)
{
	static const struct unit units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}};
	static const struct unit_set set = {units,
	                                    ARRAY_SIZE(units),
	                                    "expected a duration such as 500us, 20ms or 1s",
	                                    "missing unit (us, ms or s)",
	                                    "unknown unit (expected us, ms or s)",
	                                    "must be a whole number of microseconds"};

	return to_scaled(s, len, &set, us);
}

/* "<n>[.<frac>]%" (0..100, at most 4 decimals) to parts per million. */
static const char *to_ppm(const char *s, size_t len, uint64_t *ppm)
{
	uint64_t ip = 0, frac = 0;
	size_t i = 0, nd = 0, fd = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
		if (nd < 4)
			ip = ip * 10 + (uint64_t)(s[i] - '0');
	if (nd == 0)
		return "expected a percentage such as 1%, 0.5% or 25%";
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fd++) {
			if (fd >= 4)
				return "at most 4 decimal places";
			frac = frac * 10 + (uint64_t)(s[i] - '0');
		}
		if (fd == 0)
			return "expected digits after the decimal point";
	}
	if (i == len)
		return "missing % sign";
	if (len - i != 1 || s[i] != '%')
		return "expected a percentage such as 1%, 0.5% or 25%";
	for (; fd < 4; fd++)
		frac *= 10;
	if (nd > 3 || ip * 10000 + frac > 1000000)
		return "must be 0% to 100%";
	*ppm = ip * 10000 + frac;
	return NULL;
}

/* "<n>", "<n>KiB", "<n>MiB" to bytes. */
static const char *to_bytes(const char *s, size_t len, uint64_t *bytes)
{
	static const struct unit units[] = {
	    {"KiB", 1u << 10}, {"MiB", 1u << 20}, {"GiB", 1u << 30}};
	size_t i = 0;
	const char *why;
	uint64_t v;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return "expected a size such as 262144, 256KiB or 4MiB";
	if (i > 10)
		return "number too large";
	why = to_u64(s, i, &v);
	if (why != NULL)
		return why;
	if (i < len) {
		int u = find_unit(units, ARRAY_SIZE(units), s + i, len - i);

		if (u < 0)
			return "unknown unit (expected a plain number of bytes, KiB, MiB or GiB)";
		v *= units[u].mult;
	}
	*bytes = v;
	return NULL;
}

/* Dotted quad to a host-order address; inet_pton is strict (no 010, no 1.2.3). */
static const char *to_ipv4(const char *s, size_t len, uint32_t *addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (len == 0)
		return "expected an IPv4 address, got an empty value";
	if (len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return "expected an IPv4 address such as 198.18.0.1";
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return "expected an IPv4 address such as 198.18.0.1";
	*addr = ntohl(a.s_addr);
	return NULL;
}

/* "a.b.c.d/n" with n min_plen..32 (min_plen is 0 or 1). */
static const char *to_cidr(const char *s, size_t len, unsigned min_plen, uint32_t *addr,
                           unsigned *plen)
{
	const char *slash = memchr(s, '/', len);
	uint64_t n;

	if (slash == NULL)
		return "expected address/prefix-length such as 198.18.0.1/24";
	if (to_ipv4(s, (size_t)(slash - s), addr) != NULL)
		return "expected address/prefix-length such as 198.18.0.1/24";
	if (to_u64(slash + 1, len - (size_t)(slash - s) - 1, &n) != NULL || n < min_plen || n > 32)
		return min_plen ? "prefix length must be 1..32" : "prefix length must be 0..32";
	*plen = (unsigned)n;
	return NULL;
}

static uint32_t mask_of(unsigned plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

/* Not 0/8, not loopback, not multicast or class E. */
static bool is_unicast(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && a < 0xe0000000u;
}

static const char *ntoa(struct ctx *c, uint32_t host)
{
	char *buf = c->qbuf[c->qnext++ % 2];
	struct in_addr a = {.s_addr = htonl(host)};

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

/* ------------------------------------------------------------------ */
/* The walker                                                          */

/* The scalar at n, or a positioned type error. */
static int scalar(struct ctx *c, yaml_node_t *n, const char *expected, const char **s, size_t *len)
{
	*s = "";
	*len = 0;
	if (n->type != YAML_SCALAR_NODE)
		return type_error(c, n, expected);
	*s = (const char *)n->data.scalar.value;
	*len = n->data.scalar.length;
	return 0;
}

static int unknown_key(struct ctx *c, yaml_node_t *k, const struct field *fields, size_t nf)
{
	char list[256];
	size_t i, o = 0;

	list[0] = '\0';
	for (i = 0; i < nf && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
		                      fields[i].key);
	return fail(c, k, "unknown key \"%s\" in %s (expected one of: %s)", quote(c, k), where(c),
	            list);
}

/*
 * Check mapping n against fields[]: every key known, none twice, required
 * ones present; each value goes to its row's function with obj.  If val is
 * not NULL it receives the value node of each row (NULL when absent).
 */
static int walk_mapping(struct ctx *c, yaml_node_t *n, const struct field *fields, size_t nf,
                        void *obj, yaml_node_t **val)
{
	yaml_node_t *keys[MAX_KEYS] = {NULL}, *local[MAX_KEYS];
	yaml_node_pair_t *p;
	size_t i;
	int rc;

	if (val == NULL)
		val = local;
	memset(val, 0, sizeof(*val) * MAX_KEYS);
	if (n->type != YAML_MAPPING_NODE)
		return type_error(c, n, "a mapping (key: value)");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		size_t old;

		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "keys must be plain words in %s, got %s", where(c),
			            node_kind(k));
		for (i = 0; i < nf; i++)
			if (strlen(fields[i].key) == k->data.scalar.length &&
			    memcmp(fields[i].key, k->data.scalar.value, k->data.scalar.length) == 0)
				break;
		if (i == nf)
			return unknown_key(c, k, fields, nf);
		if (keys[i] != NULL)
			return fail(c, k, "duplicate key \"%s\" in %s (first at line %zu)",
			            fields[i].key, where(c), keys[i]->start_mark.line + 1);
		keys[i] = k;
		val[i] = v;
		old = path_push_key(c, fields[i].key);
		rc = fields[i].fn(c, v, obj, &fields[i]);
		path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < nf; i++)
		if ((fields[i].flags & F_REQUIRED) && keys[i] == NULL)
			return fail(c, n, "missing required key \"%s\" in %s", fields[i].key,
			            where(c));
	return 0;
}

typedef int (*item_fn)(struct ctx *c, yaml_node_t *item, size_t i);

/* Check sequence n has min..max items and hand each to fn. */
static int walk_sequence(struct ctx *c, yaml_node_t *n, size_t min, size_t max,
                         const char *expected, item_fn fn)
{
	yaml_node_item_t *it;
	size_t i;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE)
		return type_error(c, n, expected);
	for (it = n->data.sequence.items.start, i = 0; it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		size_t old;

		if (i == max)
			return fail(c, item, "too many entries in %s: at most %zu", where(c), max);
		old = path_push_index(c, i);
		rc = fn(c, item, i);
		path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	if (i < min)
		return fail(c, n, "too few entries in %s: expected at least %zu", where(c), min);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Value handlers (struct field.fn)                                    */

static void store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)dst = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)dst = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)dst = (uint32_t)v;
		break;
	default:
		*(uint64_t *)dst = v;
		break;
	}
}

static int parse_uint(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	const char *s, *why;
	size_t len;
	uint64_t v;
	int rc = scalar(c, n, "a number", &s, &len);

	if (rc < 0)
		return rc;
	why = to_u64(s, len, &v);
	if (why != NULL)
		return fail(c, n, "bad number \"%s\" in %s: %s (%" PRIu64 "..%" PRIu64 ")",
		            quote(c, n), where(c), why, f->min, f->max);
	if (v < f->min || v > f->max)
		return fail(c, n, "bad number \"%s\" in %s: must be %" PRIu64 "..%" PRIu64,
		            quote(c, n), where(c), f->min, f->max);
	if ((f->flags & F_POW2) && (v & (v - 1)) != 0)
		return fail(c, n,
		            "bad number \"%s\" in %s: must be a power of two in %" PRIu64
		            "..%" PRIu64,
		            quote(c, n), where(c), f->min, f->max);
	store_uint((char *)obj + f->off, f->size, v);
	return 0;
}

/*
 * A value with a unit (duration, percentage, size): how to read it and how
 * to state its range in an error.  One parser serves them all, so their
 * checks and messages cannot drift apart.
 */
struct measure {
	const char *what; /* "duration", "percentage", "size" */
	const char *(*conv)(const char *s, size_t len, uint64_t *out);
	const char *unit; /* after each bound of the range, e.g. "ms" */
	const char *tail; /* after the range, e.g. the units accepted */
	bool ranged;      /* check f->min..f->max */
};

static int parse_measure(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f,
                         const struct measure *m)
{
	const char *s, *why;
	char expect[32];
	size_t len;
	uint64_t v;
	int rc;

	snprintf(expect, sizeof(expect), "a %s", m->what);
	rc = scalar(c, n, expect, &s, &len);
	if (rc < 0)
		return rc;
	why = m->conv(s, len, &v);
	if (why != NULL)
		return fail(c, n, "bad %s \"%s\" in %s: %s", m->what, quote(c, n), where(c), why);
	if (m->ranged && (v < f->min || v > f->max))
		return fail(c, n, "bad %s \"%s\" in %s: must be %" PRIu64 "%s..%" PRIu64 "%s%s",
		            m->what, quote(c, n), where(c), f->min, m->unit, f->max, m->unit,
		            m->tail);
	store_uint((char *)obj + f->off, f->size, v);
	return 0;
}

/* A duration in milliseconds, f->min..f->max. */
static int parse_duration(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	static const struct measure m = {"duration", to_ms, "ms",
	                                 " (in the units you like: ms, s, m, h)", true};

	return parse_measure(c, n, obj, f, &m);
}

/* A percentage, stored as parts per million (uint32_t). */
static int parse_percent(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	static const struct measure m = {"percentage", to_ppm, "", "", false};

	return parse_measure(c, n, obj, f, &m);
}

/* A duration in microseconds, f->min..f->max. */
static int parse_duration_us(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	static const struct measure m = {"duration", to_us, "us",
	                                 " (in the units you like: us, ms, s)", true};

	return parse_measure(c, n, obj, f, &m);
}

/* A size in bytes, f->min..f->max. */
static int parse_size(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	static const struct measure m = {"size", to_bytes, "", " bytes (4KiB..64MiB)", true};

	return parse_measure(c, n, obj, f, &m);
}

static int parse_cc(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	static const char *const names[] = {"cubic", "newreno"};
	const char *s;
	size_t len, i;
	int rc = scalar(c, n, "cubic or newreno", &s, &len);

	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (len == strlen(names[i]) && memcmp(s, names[i], len) == 0) {
			snprintf((char *)obj + f->off, f->size, "%s", names[i]);
			return 0;
		}
	return fail(c, n, "bad value \"%s\" in %s: expected cubic or newreno", quote(c, n),
	            where(c));
}

/* true or false into a bool. */
static int parse_bool(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	const char *s;
	size_t len;
	int rc = scalar(c, n, "true or false", &s, &len);

	if (rc < 0)
		return rc;
	if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) {
		*(bool *)((char *)obj + f->off) = len == 4;
		return 0;
	}
	return fail(c, n, "bad value \"%s\" in %s: expected true or false", quote(c, n), where(c));
}

static int parse_idle(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	static const struct {
		const char *name;
		enum mg_idle_mode mode;
	} modes[] = {{"busy", MG_IDLE_BUSY}, {"adaptive", MG_IDLE_ADAPTIVE}};
	const char *s;
	size_t len, i;
	int rc = scalar(c, n, "busy or adaptive", &s, &len);

	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (len == strlen(modes[i].name) && memcmp(s, modes[i].name, len) == 0) {
			*(enum mg_idle_mode *)((char *)obj + f->off) = modes[i].mode;
			return 0;
		}
	return fail(c, n, "bad value \"%s\" in %s: expected busy or adaptive", quote(c, n),
	            where(c));
}

/* A unicast IPv4 address, stored in network byte order. */
static int parse_host(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	const char *s, *why;
	size_t len;
	uint32_t a;
	int rc = scalar(c, n, "an IPv4 address", &s, &len);

	if (rc < 0)
		return rc;
	why = to_ipv4(s, len, &a);
	if (why != NULL)
		return fail(c, n, "bad IPv4 address \"%s\" in %s: %s", quote(c, n), where(c), why);
	if (!is_unicast(a))
		return fail(c, n,
		            "bad IPv4 address \"%s\" in %s: must be a unicast address (not 0/8, "
		            "127/8 or 224.0.0.0 and above)",
		            quote(c, n), where(c));
	*(rte_be32_t *)((char *)obj + f->off) = htonl(a);
	return 0;
}

/* The admin listen address: any IPv4 literal (0.0.0.0 = all), kept as text. */
static int parse_listen(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	const char *s, *why;
	size_t len;
	uint32_t a;
	int rc = scalar(c, n, "an IPv4 address", &s, &len);

	if (rc < 0)
		return rc;
	why = to_ipv4(s, len, &a);
	if (why != NULL)
		return fail(c, n, "bad IPv4 address \"%s\" in %s: %s", quote(c, n), where(c), why);
	memcpy((char *)obj + f->off, s, len);
	((char *)obj + f->off)[len] = '\0';
	return 0;
}

/* An interface name, or a reference to one: [A-Za-z0-9_-]{1,31}. */
static int parse_ifname(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	const char *s;
	size_t len, i;
	int rc = scalar(c, n, "an interface name", &s, &len);

	if (rc < 0)
		return rc;
	if (len == 0 || len > 31)
		return fail(c, n, "bad interface name \"%s\" in %s: must be 1..31 characters",
		            quote(c, n), where(c));
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return fail(c, n,
			            "bad interface name \"%s\" in %s: only letters, digits, '_' "
			            "and '-' are allowed",
			            quote(c, n), where(c));
	memcpy((char *)obj + f->off, s, len);
	((char *)obj + f->off)[len] = '\0';
	return 0;
}

/* DPDK devargs or a PCI address: printable, no blanks, < 256 characters. */
static int parse_device(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	const char *s;
	size_t len, i;
	int rc = scalar(c, n, "a DPDK device (devargs or PCI address)", &s, &len);

	if (rc < 0)
		return rc;
	if (len == 0 || len >= f->size)
		return fail(c, n, "bad device \"%s\" in %s: must be 1..%zu characters", quote(c, n),
		            where(c), f->size - 1);
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return fail(c, n,
			            "bad device \"%s\" in %s: expected DPDK devargs or a PCI "
			            "address without blanks or control characters",
			            quote(c, n), where(c));
	memcpy((char *)obj + f->off, s, len);
	((char *)obj + f->off)[len] = '\0';
	return 0;
}

/* "xx:xx:xx:xx:xx:xx", unicast and not all zero. */
static int parse_mac(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct rte_ether_addr *mac = (struct rte_ether_addr *)((char *)obj + f->off);
	unsigned b[RTE_ETHER_ADDR_LEN], i;
	const char *s;
	size_t len;
	int used = 0, rc = scalar(c, n, "a MAC address", &s, &len);

	if (rc < 0)
		return rc;
	if (len != 17 || memchr(s, '\0', len) != NULL ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	           &used) != 6 ||
	    used != 17)
		goto bad;
	/* sscanf's %x would take "+1" or " 1"; insist on two hex digits each. */
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':'
		               : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		                   (s[i] >= 'A' && s[i] <= 'F')))
			goto bad;
	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)b[i];
	if (b[0] & 1)
		return fail(c, n,
		            "bad MAC address \"%s\" in %s: must be unicast (multicast bit set in "
		            "the first octet)",
		            quote(c, n), where(c));
	if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return fail(c, n, "bad MAC address \"%s\" in %s: must not be all zero", quote(c, n),
		            where(c));
	return 0;
bad:
	return fail(c, n,
	            "bad MAC address \"%s\" in %s: expected six hex pairs separated by ':' "
	            "such as \"02:00:00:00:00:09\"",
	            quote(c, n), where(c));
}

/* An interface's address/prefix; its own address must be a usable host. */
static int parse_iface_addr(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct mg_cfg_iface *ifc = obj;
	const char *s, *why;
	size_t len;
	uint32_t a = 0, m;
	unsigned plen = 32;
	int rc = scalar(c, n, "an IPv4 address/prefix", &s, &len);

	(void)f;
	if (rc < 0)
		return rc;
	why = to_cidr(s, len, 1, &a, &plen);
	if (why == NULL && !is_unicast(a))
		why = "must be a unicast address (not 0/8, 127/8 or 224.0.0.0 and above)";
	m = why == NULL ? mask_of(plen) : UINT32_MAX;
	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	if (why == NULL && plen <= 30 && (a & ~m) == 0)
		why = "that is the subnet's network address, not a host address";
	if (why == NULL && plen <= 30 && (a & ~m) == ~m)
		why = "that is the subnet's broadcast address, not a host address";
	if (why != NULL)
		return fail(c, n, "bad IPv4 prefix \"%s\" in %s: %s", quote(c, n), where(c), why);
	ifc->addr = htonl(a);
	ifc->prefix_len = (uint8_t)plen;
	return 0;
}

/* A route's destination: prefix 0..32, host bits zero. */
static int parse_route_prefix(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct mg_cfg_route *r = &((struct route_item *)obj)->r;
	const char *s, *why;
	size_t len;
	uint32_t a;
	unsigned plen;
	int rc = scalar(c, n, "an IPv4 prefix", &s, &len);

	(void)f;
	if (rc < 0)
		return rc;
	why = to_cidr(s, len, 0, &a, &plen);
	if (why != NULL)
		return fail(c, n, "bad IPv4 prefix \"%s\" in %s: %s", quote(c, n), where(c), why);
	if ((a & ~mask_of(plen)) != 0)
		return fail(c, n,
		            "bad IPv4 prefix \"%s\" in %s: host bits must be zero (did you mean "
		            "%s/%u?)",
		            quote(c, n), where(c), ntoa(c, a & mask_of(plen)), plen);
	r->prefix = htonl(a);
	r->len = (uint8_t)plen;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Schemas                                                             */

#define UINT_FIELD(k, type, member, lo, hi, fl)                                                \
	{                                                                                      \
		k, parse_uint, offsetof(type, member), sizeof(((type *)0)->member), lo, hi, fl \
	}
#define FIELD(k, fn, type, member, fl)                                               \
	{                                                                            \
		k, fn, offsetof(type, member), sizeof(((type *)0)->member), 0, 0, fl \
	}

static int parse_eal(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_eal_args(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_admin(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_ifaces(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_neighbors(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_routes(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_arp(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_tcp(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_keepalive(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_services(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_forward(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_forward_to(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_impair(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);
static int parse_impair_dir(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f);

static const struct field top_fields[] = {
    {"eal", parse_eal, 0, 0, 0, 0, 0},
    UINT_FIELD("workers", struct mg_bootstrap, n_workers, 1, MG_MAX_WORKERS, 0),
    FIELD("idle", parse_idle, struct mg_bootstrap, idle, 0),
    UINT_FIELD("mbufs_per_worker", struct mg_bootstrap, mbufs_per_worker, 1023, 1048575, 0),
    UINT_FIELD("rx_desc", struct mg_bootstrap, rx_desc, 64, 4096, F_POW2),
    UINT_FIELD("tx_desc", struct mg_bootstrap, tx_desc, 64, 4096, F_POW2),
    {"admin", parse_admin, 0, 0, 0, 0, 0},
    {"interfaces", parse_ifaces, 0, 0, 0, 0, F_REQUIRED},
    {"neighbors", parse_neighbors, 0, 0, 0, 0, 0},
    {"routes", parse_routes, 0, 0, 0, 0, 0},
    {"arp", parse_arp, 0, 0, 0, 0, 0},
    {"tcp", parse_tcp, 0, 0, 0, 0, 0},
    {"static_resources", mg_bootstrap_parse_static_resources, 0, 0, 0, 0, 0},
    {"dynamic_resources", mg_bootstrap_parse_dynamic_resources, 0, 0, 0, 0, 0},
    {"node", mg_bootstrap_parse_node, 0, 0, 0, 0, 0},
};

static const struct field eal_fields[] = {
    {"args", parse_eal_args, 0, 0, 0, 0, 0},
};

static const struct field admin_fields[] = {
    FIELD("address", parse_listen, struct mg_bootstrap, admin_addr, 0),
    UINT_FIELD("port", struct mg_bootstrap, admin_port, 0, 65535, 0),
};

static const struct field arp_fields[] = {
    {"reachable_time", parse_duration, offsetof(struct mg_bootstrap, arp_reachable_ms),
     sizeof(uint32_t), 1000, 3600000, 0},
    {"retrans_time", parse_duration, offsetof(struct mg_bootstrap, arp_retrans_ms),
     sizeof(uint32_t), 100, 60000, 0},
    UINT_FIELD("max_probes", struct mg_bootstrap, arp_max_probes, 1, 10, 0),
};

enum { IF_NAME, IF_DEVICE, IF_ADDRESS, IF_MTU, IF_IMPAIR };
static const struct field iface_fields[] = {
    [IF_NAME] = FIELD("name", parse_ifname, struct mg_cfg_iface, name, F_REQUIRED),
    [IF_DEVICE] = FIELD("device", parse_device, struct mg_cfg_iface, device, F_REQUIRED),
    [IF_ADDRESS] = {"address", parse_iface_addr, 0, 0, 0, 0, F_REQUIRED},
    [IF_MTU] = UINT_FIELD("mtu", struct mg_cfg_iface, mtu, 68, 9000, 0),
    [IF_IMPAIR] = FIELD("impair", parse_impair, struct mg_cfg_iface, impair, 0),
};

/* Impairment delays and jitters: up to 10 s, in microseconds. */
#define IMPAIR_US_MAX 10000000
static const struct field impair_fields[] = {
    UINT_FIELD("seed", struct mg_cfg_impair, seed, 0, UINT64_MAX, 0),
    FIELD("rx", parse_impair_dir, struct mg_cfg_impair, rx, 0),
    FIELD("tx", parse_impair_dir, struct mg_cfg_impair, tx, 0),
};

static const struct field impair_dir_fields[] = {
    FIELD("loss", parse_percent, struct mg_cfg_impair_dir, loss_ppm, 0),
    FIELD("duplicate", parse_percent, struct mg_cfg_impair_dir, dup_ppm, 0),
    FIELD("reorder", parse_percent, struct mg_cfg_impair_dir, reorder_ppm, 0),
    FIELD("corrupt", parse_percent, struct mg_cfg_impair_dir, corrupt_ppm, 0),
    {"delay", parse_duration_us, offsetof(struct mg_cfg_impair_dir, delay_us), sizeof(uint32_t), 0,
     IMPAIR_US_MAX, 0},
    {"jitter", parse_duration_us, offsetof(struct mg_cfg_impair_dir, jitter_us), sizeof(uint32_t),
     0, IMPAIR_US_MAX, 0},
};

/* Per-connection buffers: 4 KiB..64 MiB. */
#define TCP_BUF_MIN 4096
#define TCP_BUF_MAX 67108864
static const struct field tcp_fields[] = {
    {"services", parse_services, 0, 0, 0, 0, 0},
    UINT_FIELD("max_connections", struct mg_cfg_tcp, max_conns, 1, 1048576, 0),
    UINT_FIELD("syn_backlog", struct mg_cfg_tcp, syn_backlog, 1, 65535, 0),
    {"send_buffer", parse_size, offsetof(struct mg_cfg_tcp, sndbuf), sizeof(uint32_t), TCP_BUF_MIN,
     TCP_BUF_MAX, 0},
    {"receive_buffer", parse_size, offsetof(struct mg_cfg_tcp, rcvbuf), sizeof(uint32_t),
     TCP_BUF_MIN, TCP_BUF_MAX, 0},
    FIELD("congestion_control", parse_cc, struct mg_cfg_tcp, cc, 0),
    FIELD("syn_cookies", parse_bool, struct mg_cfg_tcp, syn_cookies, 0),
    {"keepalive", parse_keepalive, 0, 0, 0, 0, 0},
    {"user_timeout", parse_duration, offsetof(struct mg_cfg_tcp, user_timeout_ms), sizeof(uint32_t),
     1, 86400000, 0},
};

static const struct field keepalive_fields[] = {
    {"idle", parse_duration, offsetof(struct mg_cfg_tcp, ka_idle_ms), sizeof(uint32_t), 1, 86400000,
     0},
    {"interval", parse_duration, offsetof(struct mg_cfg_tcp, ka_intvl_ms), sizeof(uint32_t), 1,
     86400000, 0},
    UINT_FIELD("probes", struct mg_cfg_tcp, ka_probes, 1, 100, 0),
};

enum { SV_ECHO, SV_DISCARD, SV_SOURCE, SV_FORWARD };
static const struct field service_fields[] = {
    [SV_ECHO] = UINT_FIELD("echo", struct mg_cfg_tcp, echo_port, 1, 65535, 0),
    [SV_DISCARD] = UINT_FIELD("discard", struct mg_cfg_tcp, discard_port, 1, 65535, 0),
    [SV_SOURCE] = UINT_FIELD("source", struct mg_cfg_tcp, source_port, 1, 65535, 0),
    [SV_FORWARD] = {"forward", parse_forward, 0, 0, 0, 0, 0},
};

static const struct field forward_fields[] = {
    UINT_FIELD("port", struct mg_cfg_tcp, fwd_port, 1, 65535, F_REQUIRED),
    {"to", parse_forward_to, 0, 0, 0, 0, F_REQUIRED},
};

enum { NB_ADDRESS, NB_MAC, NB_IFACE };
static const struct field neigh_fields[] = {
    [NB_ADDRESS] = FIELD("address", parse_host, struct neigh_item, n.addr, F_REQUIRED),
    [NB_MAC] = FIELD("mac", parse_mac, struct neigh_item, n.mac, F_REQUIRED),
    [NB_IFACE] = FIELD("interface", parse_ifname, struct neigh_item, ifname, 0),
};

enum { RT_PREFIX, RT_VIA, RT_IFACE };
static const struct field route_fields[] = {
    [RT_PREFIX] = {"prefix", parse_route_prefix, 0, 0, 0, 0, F_REQUIRED},
    [RT_VIA] = FIELD("via", parse_host, struct route_item, r.via, F_REQUIRED),
    [RT_IFACE] = FIELD("interface", parse_ifname, struct route_item, ifname, 0),
};

_Static_assert(ARRAY_SIZE(top_fields) <= MAX_KEYS, "raise MAX_KEYS");
_Static_assert(MG_MAX_IFACES < 0xff, "iface indexes must fit below the 0xff marker");

/* ------------------------------------------------------------------ */
/* Sections                                                            */

static int parse_eal(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_mapping(c, n, eal_fields, ARRAY_SIZE(eal_fields), c->out, NULL);
}

static int eal_arg_item(struct ctx *c, yaml_node_t *item, size_t i)
{
	const char *s;
	size_t len;
	int rc = scalar(c, item, "a string", &s, &len);

	(void)i;
	if (rc < 0)
		return rc;
	if (len == 0 || memchr(s, '\0', len) != NULL)
		return fail(c, item, "bad EAL argument \"%s\" in %s: must be a non-empty string",
		            quote(c, item), where(c));
	c->out->eal_argv[c->out->eal_argc] = strndup(s, len);
	if (c->out->eal_argv[c->out->eal_argc] == NULL)
		return mg_bootstrap_fail_at(c, -ENOMEM, item->start_mark.line,
		                            item->start_mark.column, "out of memory");
	c->out->eal_argc++;
	return 0;
}

static int parse_eal_args(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_sequence(c, n, 0, MG_MAX_EAL_ARGS, "a sequence of strings", eal_arg_item);
}

static int parse_admin(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_mapping(c, n, admin_fields, ARRAY_SIZE(admin_fields), c->out, NULL);
}

static int parse_arp(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_mapping(c, n, arp_fields, ARRAY_SIZE(arp_fields), c->out, NULL);
}

static int parse_tcp(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_mapping(c, n, tcp_fields, ARRAY_SIZE(tcp_fields), &c->out->tcp, NULL);
}

/* Keepalive: idle must be set for the rest to mean anything. */
static int parse_keepalive(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct mg_cfg_tcp *t = &c->out->tcp;
	int rc;

	(void)obj;
	(void)f;
	rc = walk_mapping(c, n, keepalive_fields, ARRAY_SIZE(keepalive_fields), t, NULL);
	if (rc == 0 && t->ka_idle_ms == 0 && (t->ka_intvl_ms != 0 || t->ka_probes != 0))
		return fail(c, n, "%s: set idle (keepalive is off without it)", where(c));
	return rc;
}

/* The built-in services; two on one port would fight over it. */
static int parse_services(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct mg_cfg_tcp *t = &c->out->tcp;
	uint16_t got[ARRAY_SIZE(service_fields)];
	yaml_node_t *val[MAX_KEYS];
	int rc;

	(void)obj;
	(void)f;
	rc = walk_mapping(c, n, service_fields, ARRAY_SIZE(service_fields), t, val);
	if (rc < 0)
		return rc;
	got[SV_ECHO] = t->echo_port;
	got[SV_DISCARD] = t->discard_port;
	got[SV_SOURCE] = t->source_port;
	got[SV_FORWARD] = t->fwd_port;
	for (size_t i = 0; i < ARRAY_SIZE(service_fields); i++)
		for (size_t j = 0; j < i; j++)
			if (val[i] != NULL && val[j] != NULL && got[i] == got[j])
				return fail(c, val[i], "port %u of %s.%s is already used by %s.%s",
				            got[i], where(c), service_fields[i].key, where(c),
				            service_fields[j].key);
	return 0;
}

/* services.forward: {port: N, to: "A.B.C.D:P"}, both required. */
static int parse_forward(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_mapping(c, n, forward_fields, ARRAY_SIZE(forward_fields), &c->out->tcp, NULL);
}

/*
 * The forward destination, "A.B.C.D:P": a unicast address and a port
 * 1..65535.  Whether a route reaches it is known only at run time (the
 * client then gets an RST), as for any connect.
 */
static int parse_forward_to(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct mg_cfg_tcp *t = obj;
	const char *s, *colon;
	size_t len;
	uint32_t a;
	uint64_t port;
	int rc = scalar(c, n, "an address:port such as 198.18.2.1:80", &s, &len);

	(void)f;
	if (rc < 0)
		return rc;
	colon = memchr(s, ':', len);
	if (colon == NULL || to_ipv4(s, (size_t)(colon - s), &a) != NULL ||
	    to_u64(colon + 1, len - (size_t)(colon - s) - 1, &port) != NULL)
		return fail(c, n,
		            "bad destination \"%s\" in %s: expected address:port such as "
		            "198.18.2.1:80",
		            quote(c, n), where(c));
	if (!is_unicast(a))
		return fail(c, n,
		            "bad destination \"%s\" in %s: must be a unicast address (not 0/8, "
		            "127/8 or 224.0.0.0 and above)",
		            quote(c, n), where(c));
	if (port < 1 || port > 65535)
		return fail(c, n, "bad destination \"%s\" in %s: port must be 1..65535",
		            quote(c, n), where(c));
	t->fwd_addr = htonl(a);
	t->fwd_dport = (uint16_t)port;
	return 0;
}

/* The interface's impair: block; being there turns the stage on. */
static int parse_impair(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	struct mg_cfg_impair *im = (struct mg_cfg_impair *)((char *)obj + f->off);

	memset(im, 0, sizeof(*im));
	im->enabled = true;
	im->seed = 1;
	return walk_mapping(c, n, impair_fields, ARRAY_SIZE(impair_fields), im, NULL);
}

static int parse_impair_dir(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	return walk_mapping(c, n, impair_dir_fields, ARRAY_SIZE(impair_dir_fields),
	                    (char *)obj + f->off, NULL);
}

static bool in_subnet(const struct mg_cfg_iface *ifc, uint32_t host)
{
	uint32_t m = mask_of(ifc->prefix_len);

	return ((ntohl(ifc->addr) ^ host) & m) == 0;
}

/* Names are unique and subnets disjoint, so a next hop has one interface. */
static int iface_item(struct ctx *c, yaml_node_t *item, size_t i)
{
	struct mg_bootstrap *b = c->out;
	struct mg_cfg_iface *ifc = &b->ifaces[i];
	yaml_node_t **val = c->iface_val[i];
	size_t j;
	int rc;

	ifc->mtu = 1500;
	rc = walk_mapping(c, item, iface_fields, ARRAY_SIZE(iface_fields), ifc, val);
	if (rc < 0)
		return rc;
	for (j = 0; j < i; j++) {
		const struct mg_cfg_iface *o = &b->ifaces[j];
		unsigned plen = o->prefix_len < ifc->prefix_len ? o->prefix_len : ifc->prefix_len;

		if (strcmp(o->name, ifc->name) == 0)
			return fail(c, val[IF_NAME],
			            "duplicate interface name \"%s\" in %s.name (first in "
			            "interfaces[%zu])",
			            ifc->name, where(c), j);
		if (((ntohl(o->addr) ^ ntohl(ifc->addr)) & mask_of(plen)) == 0)
			return fail(c, val[IF_ADDRESS],
			            "subnet of %s.address overlaps interface \"%s\" (%s/%u): "
			            "interfaces need disjoint subnets",
			            where(c), o->name, ntoa(c, ntohl(o->addr)), o->prefix_len);
	}
	b->n_ifaces = (unsigned)i + 1;
	return 0;
}

static int parse_ifaces(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_sequence(c, n, 1, MG_MAX_IFACES, "a sequence of interfaces", iface_item);
}

/* Item i of a list section: walk its mapping into obj, then count it. */
static int list_item(struct ctx *c, yaml_node_t *item, const struct field *fields, size_t n,
                     void *obj, yaml_node_t **val, unsigned *count, size_t i)
{
	int rc = walk_mapping(c, item, fields, n, obj, val);

	if (rc < 0)
		return rc;
	*count = (unsigned)i + 1;
	return 0;
}

static int neigh_item(struct ctx *c, yaml_node_t *item, size_t i)
{
	return list_item(c, item, neigh_fields, ARRAY_SIZE(neigh_fields), &c->neigh[i],
	                 c->neigh[i].val, &c->out->n_neigh, i);
}

static int parse_neighbors(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_sequence(c, n, 0, MG_MAX_STATIC_NEIGH, "a sequence of neighbours", neigh_item);
}

static int route_item(struct ctx *c, yaml_node_t *item, size_t i)
{
	return list_item(c, item, route_fields, ARRAY_SIZE(route_fields), &c->routes[i],
	                 c->routes[i].val, &c->out->n_routes, i);
}

static int parse_routes(struct ctx *c, yaml_node_t *n, void *obj, const struct field *f)
{
	(void)obj;
	(void)f;
	return walk_sequence(c, n, 0, MG_MAX_ROUTES, "a sequence of routes", route_item);
}

/* ------------------------------------------------------------------ */
/* References between sections                                         */

/*
 * The interface for next hop or neighbour `host` (network order): the one
 * named by ifname_node if given (host must be on its subnet), else the one
 * whose subnet holds host.  what/path describe host_node for messages.
 */
static int resolve_iface(struct ctx *c, const char *path, const char *what, rte_be32_t host_be,
                         yaml_node_t *host_node, const char *ifname, yaml_node_t *ifname_node,
                         uint8_t *idx)
{
	const struct mg_bootstrap *b = c->out;
	uint32_t host = ntohl(host_be);
	char names[MG_MAX_IFACES * 34];
	size_t i, o = 0;

	for (i = 0; i < b->n_ifaces; i++) {
		if (ifname_node == NULL ? in_subnet(&b->ifaces[i], host)
		                        : strcmp(b->ifaces[i].name, ifname) == 0)
			break;
	}
	if (i == b->n_ifaces && ifname_node != NULL) {
		for (i = 0; i < b->n_ifaces; i++)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
			                      b->ifaces[i].name);
		return fail(c, ifname_node,
		            "unknown interface \"%s\" in %s.interface (expected one of: %s)",
		            ifname, path, names);
	}
	if (i == b->n_ifaces)
		return fail(c, host_node,
		            "%s %s in %s is not on any interface's subnet (add an interface "
		            "whose address/prefix covers it)",
		            what, ntoa(c, host), path);
	if (!in_subnet(&b->ifaces[i], host))
		return fail(c, host_node,
		            "%s %s in %s is not on the subnet of interface \"%s\" (%s/%u)", what,
		            ntoa(c, host), path, b->ifaces[i].name,
		            ntoa(c, ntohl(b->ifaces[i].addr)), b->ifaces[i].prefix_len);
	if (host == ntohl(b->ifaces[i].addr))
		return fail(c, host_node, "%s %s in %s is the gateway's own address on \"%s\"",
		            what, ntoa(c, host), path, b->ifaces[i].name);
	*idx = (uint8_t)i;
	return 0;
}

static int resolve_refs(struct ctx *c)
{
	struct mg_bootstrap *b = c->out;
	char path[32];
	size_t i, j;
	int rc;

	for (i = 0; i < b->n_neigh; i++) {
		struct neigh_item *it = &c->neigh[i];

		snprintf(path, sizeof(path), "neighbors[%zu]", i);
		rc = resolve_iface(c, path, "neighbour address", it->n.addr, it->val[NB_ADDRESS],
		                   it->ifname, it->val[NB_IFACE], &it->n.iface);
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (c->neigh[j].n.addr == it->n.addr)
				return fail(c, it->val[NB_ADDRESS],
				            "duplicate neighbour %s in %s.address (first in "
				            "neighbors[%zu])",
				            ntoa(c, ntohl(it->n.addr)), path, j);
		b->neigh[i] = it->n;
	}
	for (i = 0; i < b->n_routes; i++) {
		struct route_item *it = &c->routes[i];

		snprintf(path, sizeof(path), "routes[%zu]", i);
		rc = resolve_iface(c, path, "next hop", it->r.via, it->val[RT_VIA], it->ifname,
		                   it->val[RT_IFACE], &it->r.iface);
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (c->routes[j].r.prefix == it->r.prefix &&
			    c->routes[j].r.len == it->r.len)
				return fail(c, it->val[RT_PREFIX],
				            "duplicate route %s/%u in %s.prefix (first in "
				            "routes[%zu])",
				            ntoa(c, ntohl(it->r.prefix)), it->r.len, path, j);
		b->routes[i] = it->r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

static void set_defaults(struct mg_bootstrap *b)
{
	b->n_workers = 1;
	b->idle = MG_IDLE_ADAPTIVE;
	b->mbufs_per_worker = 8191;
	b->rx_desc = 1024;
	b->tx_desc = 1024;
	snprintf(b->admin_addr, sizeof(b->admin_addr), "127.0.0.1");
	b->admin_port = 15000;
	b->arp_reachable_ms = 60000;
	b->arp_retrans_ms = 1000;
	b->arp_max_probes = 3;
	b->tcp.max_conns = 65536;
	b->tcp.syn_backlog = 1024;
	b->tcp.syn_cookies = true;
	b->tcp.sndbuf = 262144;
	b->tcp.rcvbuf = 262144;
	snprintf(b->tcp.cc, sizeof(b->tcp.cc), "newreno");
}

/* Line and column of a byte offset, for reader errors that only give one. */
static void offset_mark(const struct ctx *c, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 0;
	*col = 0;
	for (i = 0; i < off && i < c->len; i++) {
		if (c->text[i] == '\n') {
			(*line)++;
			*col = 0;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(struct ctx *c, const yaml_parser_t *p)
{
	size_t line = p->problem_mark.line, col = p->problem_mark.column;
	const char *hint = "";
	char ctxt[96] = "";

	if (p->error == YAML_MEMORY_ERROR)
		return mg_bootstrap_fail_at(c, -ENOMEM, 0, 0, "out of memory while reading YAML");
	if (p->error == YAML_READER_ERROR)
		offset_mark(c, p->problem_offset, &line, &col);
	if (p->problem_mark.index < c->len && c->text[p->problem_mark.index] == '\t')
		hint = " (tabs are not allowed for indentation; use spaces)";
	if (p->context != NULL)
		snprintf(ctxt, sizeof(ctxt), " %s at line %zu", p->context,
		         p->context_mark.line + 1);
	return mg_bootstrap_fail_at(c, -EINVAL, line, col, "YAML syntax error: %s%s%s",
	                            p->problem ? p->problem : "unknown error", ctxt, hint);
}

/* Compose the only document; a second one would be silently ignored otherwise. */
static int load_doc(struct ctx *c, yaml_parser_t *p, yaml_document_t *doc)
{
	yaml_document_t extra;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(p, doc))
		return syntax_error(c, p);
	root = yaml_document_get_root_node(doc);
	/* "---" alone composes an empty scalar: just as empty as no text */
	if (root == NULL || is_empty_scalar(root)) {
		size_t line = root ? root->start_mark.line : 0,
		       col = root ? root->start_mark.column : 0;

		yaml_document_delete(doc);
		return mg_bootstrap_fail_at(
		    c, -EINVAL, line, col,
		    "empty document: expected a mapping with at least \"interfaces\"");
	}
	if (!yaml_parser_load(p, &extra)) {
		rc = syntax_error(c, p);
	} else {
		root = yaml_document_get_root_node(&extra);
		if (root != NULL)
			rc = fail(c, root,
			          "a second YAML document: the bootstrap must be one document");
		yaml_document_delete(&extra);
	}
	if (rc < 0)
		yaml_document_delete(doc);
	return rc;
}

int mg_bootstrap_parse(const char *name, const char *text, size_t len, struct mg_bootstrap *out,
                       char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx *c;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || name == NULL || (text == NULL && len > 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	*c = (struct ctx){.name = name,
	                  .text = text,
	                  .len = len,
	                  .err = err,
	                  .errlen = errlen,
	                  .doc = &doc,
	                  .out = out};
	if (strlen(name) >= sizeof(out->path)) {
		rc = mg_bootstrap_fail_at(c, -ENAMETOOLONG, 0, 0, "file name too long");
		goto done;
	}
	snprintf(out->path, sizeof(out->path), "%s", name);
	set_defaults(out);
	if (!yaml_parser_initialize(&parser)) {
		rc = -ENOMEM;
		goto done;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
	rc = load_doc(c, &parser, &doc);
	yaml_parser_delete(&parser);
	if (rc < 0)
		goto done;
	rc = walk_mapping(c, yaml_document_get_root_node(&doc), top_fields, ARRAY_SIZE(top_fields),
	                  out, NULL);
	if (rc == 0)
		rc = resolve_refs(c);
	if (rc == 0)
		rc = mg_bootstrap_resolve_ads(c);
	yaml_document_delete(&doc);
done:
	free(c);
	if (rc < 0) {
		mg_bootstrap_free(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

/* The whole file into memory (the parser wants it for positions anyway). */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *buf = NULL, *nb;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		goto fail;
	}
	do {
		if (n == cap || buf == NULL) {
			cap = buf == NULL ? cap : cap * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > MAX_FILE_SIZE) {
			rc = -EFBIG;
			goto fail;
		}
	} while (got > 0);
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		goto fail;
	}
	fclose(f);
	*text = buf;
	*len = n;
	return 0;
fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

int mg_bootstrap_load(const char *path, struct mg_bootstrap *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (out == NULL || path == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = read_file(path, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = mg_bootstrap_parse(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

void mg_bootstrap_tcp_conf(const struct mg_bootstrap *b, struct mg_tcp_conf *out)
{
	const struct mg_cfg_tcp *t = &b->tcp;

	*out = (struct mg_tcp_conf){
	    .max_conns = t->max_conns,
	    .syn_backlog = t->syn_backlog,
	    .sndbuf = t->sndbuf,
	    .rcvbuf = t->rcvbuf,
	    .no_syncookies = !t->syn_cookies,
	    .keepalive_ms = t->ka_idle_ms,
	    .keepalive_intvl_ms = t->ka_intvl_ms,
	    .keepalive_probes = t->ka_probes,
	    .user_timeout_ms = t->user_timeout_ms,
	};
	snprintf(out->cc, sizeof(out->cc), "%s", t->cc);
}

void mg_bootstrap_free(struct mg_bootstrap *b)
{
	int i;

	if (b == NULL)
		return;
	for (i = 0; i < b->eal_argc && i < MG_MAX_EAL_ARGS; i++) {
		free(b->eal_argv[i]);
		b->eal_argv[i] = NULL;
	}
	b->eal_argc = 0;
	mg_xds_free((ProtobufCMessage *)b->static_resources);
	b->static_resources = NULL;
	mg_snapshot_free(b->snapshot);
	b->snapshot = NULL;
	mg_xds_free((ProtobufCMessage *)b->dynamic_resources);
	b->dynamic_resources = NULL;
	mg_xds_free((ProtobufCMessage *)b->node);
	b->node = NULL;
	memset(&b->ads, 0, sizeof(b->ads));
	b->n_static_listeners = 0;
	b->n_static_clusters = 0;
}
