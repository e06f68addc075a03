/*
 * istio_load.h — read a directory of Istio YAML into a struct mg_istio_config.
 *
 * The controller's input is what people already write for Istio: a
 * directory of multi-document YAML files (`---` separated), each document a
 * Kubernetes object (apiVersion, kind, metadata, spec).  Files are read in
 * name order (*.yaml and *.yml, not recursive, dotfiles skipped), decoded
 * against the schema tables in istio_schema.c, then checked as a whole by
 * mg_istio_validate().  Every problem found goes to a struct mg_diag with
 * FILE:LINE:COL; one error makes the whole directory invalid, so the caller
 * keeps its last good config.  Types in istio_types.h.
 */
#ifndef MG_CTRL_ISTIO_LOAD_H
#define MG_CTRL_ISTIO_LOAD_H

#include <stddef.h>

#include "ctrl/diag.h"
#include "ctrl/istio_types.h"

/** Largest file read; anything bigger is reported as an error. */
#define MG_ISTIO_MAX_FILE_SIZE (4u << 20)

/**
 * Make cfg an empty config.
 *
 * @return 0, or -ENOMEM
 */
int mg_istio_config_init(struct mg_istio_config *cfg);

/** Free everything cfg owns; cfg is zeroed (NULL and a zeroed cfg are fine). */
void mg_istio_config_free(struct mg_istio_config *cfg);

/**
 * Decode the YAML documents in text and add their resources to cfg.  No
 * cross-resource validation (see mg_istio_validate()).  A resource whose
 * envelope decoded is added even if its spec had errors, so that later
 * checks do not report it missing as well.
 *
 * @param cfg   an initialised config
 * @param name  file name for positions (copied into cfg)
 * @param text  the YAML (need not be NUL-terminated)
 * @param len   its length
 * @param diags problems found (errors and warnings) are appended here
 * @return 0 if no error was found (warnings allowed), -EINVAL if one was,
 *         -ENOMEM
 */
int mg_istio_parse(struct mg_istio_config *cfg, const char *name, const char *text, size_t len,
                   struct mg_diag *diags);

/**
 * Read one file and decode it like mg_istio_parse().
 *
 * @return as mg_istio_parse(); -errno (reported in diags as well) if the
 *         file cannot be read, -EFBIG if it is too large
 */
int mg_istio_load_file(struct mg_istio_config *cfg, const char *path, struct mg_diag *diags);

/**
 * Read, decode and validate a config directory.
 *
 * @param dir   the directory; its *.yaml and *.yml files are read in name order
 * @param out   on success a config to free with mg_istio_config_free(); on
 *              failure zeroed (nothing to free)
 * @param diags every problem found, sorted by file, line and column
 * @return 0 (warnings allowed), -EINVAL if any error was found (or an
 *         argument is NULL), -ENOENT,
 *         -ENOTDIR, -EACCES... if dir cannot be read, -ENOMEM
 */
int mg_istio_load_dir(const char *dir, struct mg_istio_config *out, struct mg_diag *diags);

/** "Gateway", "VirtualService", ... */
const char *mg_istio_kind_name(enum mg_istio_kind kind);

#endif /* MG_CTRL_ISTIO_LOAD_H */
