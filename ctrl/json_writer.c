/*
 * json_writer.c — see json_writer.h.
 */
#include "ctrl/json_writer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void mg_jw_init(struct mg_jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = true;
}

static void put_escaped(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The separator and key before a value at the current level. */
static void pre(struct mg_jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (key != NULL) {
		put_escaped(w->f, key, strlen(key));
		fputc(':', w->f);
	}
}

static void open_(struct mg_jw *w, const char *key, char open, char close)
{
	if (w->depth + 1 >= MG_JW_MAX_DEPTH) {
		w->err = true;
		return;
	}
	pre(w, key);
	fputc(open, w->f);
	w->depth++;
	w->first[w->depth] = true;
	w->close[w->depth] = close;
}

void mg_jw_obj(struct mg_jw *w, const char *key)
{
	open_(w, key, '{', '}');
}

void mg_jw_arr(struct mg_jw *w, const char *key)
{
	open_(w, key, '[', ']');
}

void mg_jw_end(struct mg_jw *w)
{
	if (w->depth == 0) {
		w->err = true;
		return;
	}
	fputc(w->close[w->depth], w->f);
	w->depth--;
	if (ferror(w->f))
		w->err = true;
}

void mg_jw_strn(struct mg_jw *w, const char *key, const char *s, size_t len)
{
	pre(w, key);
	put_escaped(w->f, s, len);
}

void mg_jw_str(struct mg_jw *w, const char *key, const char *s)
{
	mg_jw_strn(w, key, s, strlen(s));
}

void mg_jw_strf(struct mg_jw *w, const char *key, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->err = true;
		return;
	}
	mg_jw_strn(w, key, s, (size_t)n);
	free(s);
}

void mg_jw_u64(struct mg_jw *w, const char *key, uint64_t v)
{
	pre(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

void mg_jw_bool(struct mg_jw *w, const char *key, bool v)
{
	pre(w, key);
	fputs(v ? "true" : "false", w->f);
}

void mg_jw_null(struct mg_jw *w, const char *key)
{
	pre(w, key);
	fputs("null", w->f);
}

void mg_jw_raw(struct mg_jw *w, const char *key, const char *json)
{
	pre(w, key);
	fputs(json, w->f);
}
