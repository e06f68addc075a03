/*
 * diag.c — positioned diagnostics (see diag.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/diag.h"

void mg_diag_init(struct mg_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void mg_diag_free(struct mg_diag *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	mg_diag_init(d);
}

static bool grow(struct mg_diag *d)
{
	struct mg_diag_entry *nv;
	size_t cap;

	if (d->n < d->cap)
		return true;
	cap = d->cap ? d->cap * 2 : 16;
	nv = realloc(d->v, cap * sizeof(*nv));
	if (nv == NULL)
		return false;
	d->v = nv;
	d->cap = cap;
	return true;
}

void mg_diag_add(struct mg_diag *d, enum mg_diag_severity sev, const struct mg_pos *pos,
                 const char *fmt, ...)
{
	struct mg_diag_entry *e;
	va_list ap;
	char *msg;
	int n;

	if (d == NULL)
		return;
	if (sev == MG_DIAG_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(d)) {
		if (n >= 0)
			free(msg);
		d->oom = true;
		return;
	}
	e = &d->v[d->n];
	e->file = strdup(pos != NULL && pos->file != NULL ? pos->file : "");
	if (e->file == NULL) {
		free(msg);
		d->oom = true;
		return;
	}
	e->sev = sev;
	e->line = pos != NULL ? pos->line : 0;
	e->col = pos != NULL ? pos->col : 0;
	e->msg = msg;
	d->n++;
}

/*
 * Insertion sort: stable, and lists are short (tens of entries) and mostly
 * in order already, since files are read in order.  qsort is not stable.
 */
static int cmp(const struct mg_diag_entry *a, const struct mg_diag_entry *b)
{
	int c = strcmp(a->file, b->file);

	if (c != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void mg_diag_sort(struct mg_diag *d)
{
	size_t i, j;

	for (i = 1; i < d->n; i++) {
		struct mg_diag_entry e = d->v[i];

		for (j = i; j > 0 && cmp(&d->v[j - 1], &e) > 0; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = e;
	}
}

const char *mg_diag_severity_name(enum mg_diag_severity sev)
{
	return sev == MG_DIAG_ERROR ? "error" : "warning";
}

size_t mg_diag_print(const struct mg_diag *d, FILE *out)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct mg_diag_entry *e = &d->v[i];

		if (e->file[0] == '\0')
			fprintf(out, "%s: %s\n", mg_diag_severity_name(e->sev), e->msg);
		else if (e->line == 0)
			fprintf(out, "%s: %s: %s\n", e->file, mg_diag_severity_name(e->sev),
			        e->msg);
		else
			fprintf(out, "%s:%u:%u: %s: %s\n", e->file, e->line, e->col,
			        mg_diag_severity_name(e->sev), e->msg);
	}
	return d->n;
}
