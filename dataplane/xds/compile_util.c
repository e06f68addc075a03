/*
 * compile_util.c — what every part of the snapshot compiler shares: the path
 * to the field being compiled (for error messages), failing with it, arena
 * allocation and string copies, header name and value checks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/mg_arena.h"
#include "xds/compile_pvt.h"
#include "envoy/config/core/v3/socket_option.pb-c.h"

/* setsockopt()'s IPPROTO_TCP and TCP_CONGESTION on Linux, as Envoy configs spell them. */
#define MG_SOL_TCP        6
#define MG_TCP_CONGESTION 13

void cc_init(struct cctx *c, const char *prefix, const char *what, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->what = what;
	c->err = err;
	c->errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (prefix != NULL) {
		snprintf(c->path, sizeof(c->path), "%s", prefix);
		c->plen = strlen(c->path);
	}
}

/* Enter field (printf-style) of the current path; returns the length to restore. */
size_t cc_push(struct cctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	if (c->plen > 0 && fmt[0] != '[' && c->plen < sizeof(c->path) - 1)
		c->path[c->plen++] = '.';
	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen += (size_t)n < sizeof(c->path) - c->plen ? (size_t)n
		                                                 : sizeof(c->path) - c->plen - 1;
	return old;
}

void cc_pop(struct cctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* Record "path.field: message" and return -EINVAL. */
int cc_fail(struct cctx *c, const char *field, const char *fmt, ...)
{
	size_t old = field != NULL ? cc_push(c, "%s", field) : c->plen;
	int n = snprintf(c->err, c->errlen, "%s: ", c->plen > 0 ? c->path : c->what);
	va_list ap;

	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	cc_pop(c, old);
	return -EINVAL;
}

void *cc_alloc(struct cctx *c, size_t n, size_t size)
{
	return n == 0 ? NULL : mg_arena_calloc(c->a, n, size);
}

int cc_str(struct cctx *c, const char *s, bool lowered, struct mg_rstr *out)
{
	size_t len = s != NULL ? strlen(s) : 0;
	char *p;

	if (len > UINT32_MAX)
		return -EINVAL;
	p = mg_arena_strndup(c->a, s != NULL ? s : "", len);
	if (p == NULL)
		return -ENOMEM;
	for (size_t i = 0; lowered && i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] + 32);
	*out = (struct mg_rstr){p, (uint32_t)len};
	return 0;
}

/* Header names: RFC 9110 tokens, stored lowered (HTTP/1.1 names are case-insensitive). */
bool cc_header_name_ok(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || (*s == ':' && s[1] != '\0') ||
		      strchr(tchar, *s) != NULL))
			return false;
	return true;
}

bool cc_header_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false; /* CR, LF, NUL: header injection */
	return true;
}

int cc_socket_options(struct cctx *c, Envoy__Config__Core__V3__SocketOption *const *opts, size_t n,
                      const char **cc)
{
	static const struct {
		const char *name, *stack;
	} known[] = {{"cubic", "cubic"}, {"newreno", "newreno"}, {"reno", "newreno"}};

	*cc = NULL;
	for (size_t i = 0; i < n; i++) {
		const Envoy__Config__Core__V3__SocketOption *o = opts[i];
		size_t old = cc_push(c, "socket_options[%zu]", i);
		char name[16];
		size_t k;
		int rc = 0;

		if (o->level != MG_SOL_TCP || o->name != MG_TCP_CONGESTION)
			rc = cc_fail(c, NULL,
			             "level %lld name %lld is not supported (meshgate's TCP stack "
			             "has TCP_CONGESTION only: level 6, name 13)",
			             (long long)o->level, (long long)o->name);
		else if (o->value_case != ENVOY__CONFIG__CORE__V3__SOCKET_OPTION__VALUE_BUF_VALUE ||
		         o->buf_value.len == 0 || o->buf_value.len >= sizeof(name))
			rc = cc_fail(c, "buf_value", "TCP_CONGESTION needs an algorithm name");
		if (rc == 0) {
			memcpy(name, o->buf_value.data, o->buf_value.len);
			name[o->buf_value.len] = '\0';
			/* setsockopt() takes the name with or without its NUL. */
			for (k = 0; k < sizeof(known) / sizeof(known[0]) &&
			            strcmp(name, known[k].name) != 0;
			     k++)
				;
			if (k == sizeof(known) / sizeof(known[0]))
				rc = cc_fail(
				    c, "buf_value",
				    "congestion control \"%s\" is not one of cubic, newreno, "
				    "reno",
				    name);
			else
				*cc = known[k].stack;
		}
		cc_pop(c, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}
