/*
 * diag.h — positioned diagnostics for the controller's configuration.
 *
 * The controller reads a whole directory before it says anything, so it
 * collects every problem it finds instead of stopping at the first one (as
 * `istioctl analyze` does): a user fixing a config wants the full list.
 * Each entry carries a severity, the file, 1-based line and column and a
 * message; errors make a config invalid, warnings do not.  Entries own
 * their text, so a list outlives the config it describes.
 */
#ifndef MG_CTRL_DIAG_H
#define MG_CTRL_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Where a value was written: file (not owned), 1-based line and column. */
struct mg_pos {
	const char *file;
	uint32_t line;
	uint32_t col;
};

enum mg_diag_severity {
	MG_DIAG_ERROR,
	MG_DIAG_WARNING,
};

/** One diagnostic. */
struct mg_diag_entry {
	enum mg_diag_severity sev;
	char *file; /**< owned copy; "" when the problem has no file */
	uint32_t line, col;
	char *msg; /**< owned */
};

/** A growing list of diagnostics (zero-initialise or mg_diag_init()). */
struct mg_diag {
	struct mg_diag_entry *v;
	size_t n, cap;
	size_t n_errors, n_warnings;
	bool oom; /**< an entry could not be stored (the counters still count it) */
};

/** Make d an empty list. */
void mg_diag_init(struct mg_diag *d);

/** Free every entry; d is empty afterwards and may be reused. */
void mg_diag_free(struct mg_diag *d);

/**
 * Add a diagnostic.
 *
 * @param d    the list (NULL: the call does nothing)
 * @param sev  error or warning
 * @param pos  where (NULL or a NULL file: no position)
 * @param fmt  printf format of the message
 *
 * Memory exhaustion is recorded in d->oom; the counters are still updated
 * so an error is never lost as "valid".
 */
void mg_diag_add(struct mg_diag *d, enum mg_diag_severity sev, const struct mg_pos *pos,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Sort entries by file, line and column, keeping insertion order for ties. */
void mg_diag_sort(struct mg_diag *d);

/**
 * Print every entry as "FILE:LINE:COL: error|warning: message", one a line.
 *
 * @return the number of entries printed
 */
size_t mg_diag_print(const struct mg_diag *d, FILE *out);

/** "error" or "warning". */
const char *mg_diag_severity_name(enum mg_diag_severity sev);

#endif /* MG_CTRL_DIAG_H */
