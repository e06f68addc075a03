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
