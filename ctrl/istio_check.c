/*
 * istio_check.c — value syntax checks used by the validator.
 *
 * Host names follow Istio's rules (DNS names, an optional leading "*."
 * wildcard, labels of letters, digits and '-' up to 63 characters, 253 in
 * all); labels follow Kubernetes' ([prefix/]name, 63 characters, value
 * empty or name-like).  Regexes go through POSIX regcomp (REG_EXTENDED):
 * the closest thing libc has to RE2, which Istio documents; expressions
 * that only RE2 knows (\d, (?i)) are reported, which errs on the safe side.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/istio_validate_pvt.h"

static void vreport(struct vctx *v, enum mg_diag_severity sev, const struct mg_pos *pos,
                    const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mg_diag_add(v->d, sev, pos, "%s", msg);
	if (sev == MG_DIAG_ERROR)
		v->errors++;
}

void verr(struct vctx *v, const struct mg_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(v, MG_DIAG_ERROR, pos, fmt, ap);
	va_end(ap);
}

void vwarn(struct vctx *v, const struct mg_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(v, MG_DIAG_WARNING, pos, fmt, ap);
	va_end(ap);
}

bool is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool is_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

bool is_dns_name(const char *s, bool wildcard)
{
	size_t n = strlen(s);
	const char *p, *dot;

	if (wildcard && strcmp(s, "*") == 0)
		return true;
	if (wildcard && strncmp(s, "*.", 2) == 0)
		s += 2, n -= 2;
	if (n == 0 || n > 253)
		return false;
	if (s[n - 1] == '.') /* a trailing dot is not how Istio writes FQDNs */
		return false;
	for (p = s; p != NULL; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (!is_label(p, dot ? (size_t)(dot - p) : strlen(p)))
			return false;
	}
	return true;
}

void check_host(struct vctx *v, const struct mg_str *h, const char *path, unsigned flags)
{
	if (h->s == NULL)
		return;
	if ((flags & HOST_IP) && is_ip(h->s))
		return;
	if (!is_dns_name(h->s, flags & HOST_WILDCARD))
		verr(v, &h->pos, "%s: \"%s\" is not a valid host name%s", path, h->s,
		     (flags & HOST_WILDCARD) ? " (DNS name, optionally starting with \"*.\")"
		                             : " (a DNS name, no wildcard)");
}

/* A Kubernetes label name or value: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63. */
static bool is_label_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static bool is_label_key(const char *s)
{
	const char *slash = strchr(s, '/');
	char prefix[254];
	size_t plen;

	if (slash == NULL)
		return is_label_name(s, strlen(s));
	plen = (size_t)(slash - s);
	if (plen == 0 || plen >= sizeof(prefix))
		return false;
	memcpy(prefix, s, plen);
	prefix[plen] = '\0';
	return is_dns_name(prefix, false) && is_label_name(slash + 1, strlen(slash + 1));
}

void check_labels(struct vctx *v, const struct mg_strmap *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct mg_kv *kv = &m->v[i];

		if (!is_label_key(kv->key.s))
			verr(v, &kv->key.pos,
			     "%s: \"%s\" is not a valid label key ([prefix/]name, name up to 63 "
			     "letters, digits, '-', '_' or '.')",
			     path, kv->key.s);
		else if (kv->val.len > 0 && !is_label_name(kv->val.s, kv->val.len))
			verr(v, &kv->val.pos,
			     "%s.%s: \"%s\" is not a valid label value (up to 63 letters, digits, "
			     "'-', '_' or '.', starting and ending with a letter or digit)",
			     path, kv->key.s, kv->val.s);
	}
}

void check_port(struct vctx *v, const struct mg_u32 *p, const char *path)
{
	if (p->set && (p->v == 0 || p->v > 65535))
		verr(v, &p->pos, "%s: port %u is out of range 1..65535", path, p->v);
}

void check_percent(struct vctx *v, const struct mg_percent *p, const char *path)
{
	if (p->o.set && p->value.set && (p->value.v < 0.0 || p->value.v > 100.0))
		verr(v, &p->value.pos, "%s.value: %g is out of range 0..100", path, p->value.v);
}

void check_min_ms(struct vctx *v, const struct mg_dur *d, const char *path)
{
	if (d->set && d->ms < 1)
		verr(v, &d->pos, "%s: duration must be at least 1ms", path);
}

void check_regex(struct vctx *v, const struct mg_str *re, const char *path)
{
	char msg[128];
	regex_t r;
	int rc;

	if (re->s == NULL)
		return;
	rc = regcomp(&r, re->s, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &r, msg, sizeof(msg));
		verr(v, &re->pos, "%s: regex \"%s\" does not compile: %s", path, re->s, msg);
		return;
	}
	regfree(&r);
}

void check_strmatch(struct vctx *v, const struct mg_strmatch *m, const char *path, bool allow_empty,
                    bool allow_prefix)
{
	int n = (m->exact.s != NULL) + (m->prefix.s != NULL) + (m->regex.s != NULL);
	char p[VPATH];

	if (!m->o.set)
		return;
	if (n > 1)
		verr(v, &m->o.pos, "%s: set only one of exact, prefix and regex", path);
	else if (n == 0 && !allow_empty)
		verr(v, &m->o.pos, "%s: set one of exact, prefix or regex", path);
	if (m->prefix.s != NULL && !allow_prefix)
		verr(v, &m->prefix.pos, "%s.prefix: only exact and regex are supported here", path);
	snprintf(p, sizeof(p), "%s.regex", path);
	check_regex(v, &m->regex, p);
}

void check_ip_or_cidr(struct vctx *v, const struct mg_str *s, const char *path)
{
	char buf[64], *slash, *end;
	long plen;
	bool v6;

	if (s->len >= sizeof(buf))
		goto bad;
	memcpy(buf, s->s, s->len + 1);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!is_ip(buf))
		goto bad;
	if (slash == NULL)
		return;
	v6 = strchr(buf, ':') != NULL;
	plen = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || plen < 0 || plen > (v6 ? 128 : 32))
		goto bad;
	return;
bad:
	verr(v, &s->pos, "%s: \"%s\" is not an IP address or CIDR block", path, s->s);
}

void check_dns_label(struct vctx *v, const struct mg_str *s, const char *path, const char *what)
{
	size_t i;
	bool ok = s->len > 0 && s->len <= 63 && isalnum((unsigned char)s->s[0]) &&
	          isalnum((unsigned char)s->s[s->len - 1]);

	for (i = 0; ok && i < s->len; i++)
		ok = islower((unsigned char)s->s[i]) || isdigit((unsigned char)s->s[i]) ||
		     s->s[i] == '-';
	if (!ok)
		verr(v, &s->pos,
		     "%s: \"%s\" is not a valid %s (lowercase letters, digits and '-', up to 63)",
		     path, s->s, what);
}

/* RFC 7230 token characters; Istio also wants header names in lowercase. */
void check_header_name(struct vctx *v, const struct mg_str *s, const char *path)
{
	size_t i;

	if (s->len == 0)
		goto bad;
	for (i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->s[i];

		if (isupper(c)) {
			verr(v, &s->pos, "%s: header name \"%s\" must be lowercase", path, s->s);
			return;
		}
		if (!isalnum(c) && strchr("!#$%&'*+-.^_`|~", c) == NULL)
			goto bad;
	}
	return;
bad:
	verr(v, &s->pos, "%s: \"%s\" is not a valid header name", path, s->s);
}

/* region[/zone[/subzone]], no empty part. */
void check_locality(struct vctx *v, const struct mg_str *s, const char *path)
{
	const char *p = s->s;
	int parts = 1;

	if (s->s == NULL)
		return;
	if (s->len == 0 || p[0] == '/' || p[s->len - 1] == '/' || strstr(p, "//") != NULL)
		goto bad;
	for (; *p; p++)
		parts += *p == '/';
	if (parts <= 3)
		return;
bad:
	verr(v, &s->pos, "%s: \"%s\" is not a locality (region[/zone[/subzone]])", path, s->s);
}
