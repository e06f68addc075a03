/*
 * mg_buf.c — growable byte buffer with a sticky allocation error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mg_buf.h"

/* First allocation; small enough for a short reply, big enough to skip the first few doublings. */
#define MG_BUF_MIN_CAP 256

void mg_buf_init(struct mg_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void mg_buf_free(struct mg_buf *b)
{
	free(b->data);
	mg_buf_init(b);
}

void mg_buf_reset(struct mg_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int mg_buf_reserve(struct mg_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->err != 0)
		return b->err;
	/* Checked this way round so a huge n cannot wrap len + n. */
	if (n > MG_BUF_MAX - b->len) {
		b->err = -ENOMEM;
		return b->err;
	}
	need = b->len + n + 1; /* + the NUL */
	if (need <= b->cap)
		return 0;
	/* Doubling keeps a long run of small appends linear overall. */
	cap = b->cap < MG_BUF_MIN_CAP ? MG_BUF_MIN_CAP : b->cap;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->err = -ENOMEM;
		return b->err;
	}
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int mg_buf_append(struct mg_buf *b, const void *ptr, size_t n)
{
	int rc = mg_buf_reserve(b, n);

	if (rc != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int mg_buf_puts(struct mg_buf *b, const char *s)
{
	return mg_buf_append(b, s, strlen(s));
}

int mg_buf_vprintf(struct mg_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room;
	int n, rc;

	if (b->err != 0)
		return b->err;
	/* Format straight into the free space; only a miss formats twice. */
	room = b->cap > b->len ? b->cap - b->len : 0;
	va_copy(ap2, ap);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->err = -EINVAL;
		if (b->data != NULL)
			b->data[b->len] = '\0';
		return b->err;
	}
	if ((size_t)n >= room) {
		rc = mg_buf_reserve(b, (size_t)n);
		if (rc != 0) {
			if (b->data != NULL)
				b->data[b->len] = '\0';
			return rc;
		}
		va_copy(ap2, ap);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
		va_end(ap2);
	}
	b->len += (size_t)n;
	return 0;
}

int mg_buf_printf(struct mg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = mg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629, table 3-7 of the
 * Unicode standard: no overlongs, no surrogates, nothing above U+10FFFF), or
 * 0 if p does not start one.  p is NUL-terminated and NUL is never a
 * continuation byte, so this never reads past the string.
 */
static unsigned utf8_seq_len(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	unsigned n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < n; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* The escape for an ASCII byte that JSON does not allow raw, or NULL. */
static const char *json_escape(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		break;
	}
	if (c < 0x20) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

int mg_buf_json_str(struct mg_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	const unsigned char *run = p; /* start of bytes that need no escaping */
	const char *esc;
	char tmp[8];
	unsigned n;

	mg_buf_append(b, "\"", 1);
	while (*p != '\0') {
		n = utf8_seq_len(p);
		esc = n == 1 ? json_escape(*p, tmp) : n == 0 ? "\xef\xbf\xbd" : NULL;
		if (esc == NULL) {
			p += n;
			continue;
		}
		mg_buf_append(b, run, (size_t)(p - run));
		mg_buf_puts(b, esc);
		p++;
		run = p;
	}
	mg_buf_append(b, run, (size_t)(p - run));
	return mg_buf_append(b, "\"", 1);
}
