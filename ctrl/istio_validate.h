/*
 * istio_validate.h — check a decoded Istio config as a whole.
 *
 * The decoder (istio_load.h) checks shapes and types; this checks values
 * and the references between resources, the way Istio's own validation
 * and `istioctl analyze` do: ranges (ports, weights, percentages,
 * durations), syntax (hosts, labels, regexes, IP blocks), consistency
 * inside a resource (weights summing to 100, one of exact/prefix/regex) and
 * across resources (a VirtualService's gateways exist, a route's subset is
 * defined by a DestinationRule for its host, names unique per kind and
 * namespace).  Regexes are compiled with POSIX regcomp (extended syntax),
 * a stand-in for the RE2 syntax Istio documents until the router's regex
 * engine is chosen.
 */
#ifndef MG_CTRL_ISTIO_VALIDATE_H
#define MG_CTRL_ISTIO_VALIDATE_H

#include "ctrl/diag.h"
#include "ctrl/istio_types.h"

/**
 * Validate cfg.
 *
 * @param cfg   a config filled by mg_istio_parse() / mg_istio_load_dir()
 * @param diags problems are appended here (errors and warnings)
 * @return 0 if no error was found (warnings allowed), -EINVAL otherwise
 */
int mg_istio_validate(const struct mg_istio_config *cfg, struct mg_diag *diags);

#endif /* MG_CTRL_ISTIO_VALIDATE_H */
