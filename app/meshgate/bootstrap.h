/*
 * bootstrap.h — read the gateway's bootstrap YAML (libyaml).
 *
 * The file is parsed into a node tree first, then checked against the schema
 * in bootstrap.c key by key, so every error names file:line:column and what
 * was expected.  Unknown keys are errors: a typo must not silently fall back
 * to a default.  A config is only returned whole; on error nothing is kept.
 */
#ifndef MG_BOOTSTRAP_H
#define MG_BOOTSTRAP_H

#include <stddef.h>

#include "meshgate/bootstrap_types.h"
#include "tcp/tcp_types.h"

/**
 * Parse a bootstrap file.
 *
 * @param path  the YAML file
 * @param out   filled on success (free with mg_bootstrap_free)
 * @param err   on error, a message "FILE:LINE:COL: what was wrong"
 * @param errlen size of err
 * @return 0, -ENOENT/-EACCES if the file can't be read, -EINVAL if it is
 *         not valid (err says why)
 */
int mg_bootstrap_load(const char *path, struct mg_bootstrap *out, char *err, size_t errlen);

/**
 * Parse a bootstrap from memory; name is used in error messages.  Same
 * returns as mg_bootstrap_load().
 */
int mg_bootstrap_parse(const char *name, const char *text, size_t len, struct mg_bootstrap *out,
                       char *err, size_t errlen);

/** The TCP stack's per-worker settings from b's `tcp:` section. */
void mg_bootstrap_tcp_conf(const struct mg_bootstrap *b, struct mg_tcp_conf *out);

/** Free what a successful load allocated. */
void mg_bootstrap_free(struct mg_bootstrap *b);

#endif /* MG_BOOTSTRAP_H */
