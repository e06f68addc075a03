/*
 * istio_validate_pvt.h — internals shared by the istio_validate*.c files.
 */
#ifndef MG_CTRL_ISTIO_VALIDATE_PVT_H
#define MG_CTRL_ISTIO_VALIDATE_PVT_H

#include <stdbool.h>
#include <stddef.h>

#include "ctrl/diag.h"
#include "ctrl/istio_types.h"

/* Longest path in a message, e.g. "spec.http[3].route[1].destination.host". */
#define VPATH 160

struct vctx {
	const struct mg_istio_config *cfg;
	struct mg_diag *d;
	size_t errors;
	const struct mg_istio_meta *res; /* the resource being checked */
};

void verr(struct vctx *v, const struct mg_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vwarn(struct vctx *v, const struct mg_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Host name flags for check_host(). */
#define HOST_WILDCARD 1u /* "*" or "*.suffix" allowed */
#define HOST_IP       2u /* an IP address is fine too */

/* Syntax checks: each reports at the value's position, path names it. */
void check_host(struct vctx *v, const struct mg_str *h, const char *path, unsigned flags);
void check_labels(struct vctx *v, const struct mg_strmap *m, const char *path);
void check_port(struct vctx *v, const struct mg_u32 *p, const char *path);
void check_percent(struct vctx *v, const struct mg_percent *p, const char *path);
void check_min_ms(struct vctx *v, const struct mg_dur *d, const char *path);
void check_strmatch(struct vctx *v, const struct mg_strmatch *m, const char *path, bool allow_empty,
                    bool allow_prefix);
void check_regex(struct vctx *v, const struct mg_str *re, const char *path);
void check_ip_or_cidr(struct vctx *v, const struct mg_str *s, const char *path);
void check_dns_label(struct vctx *v, const struct mg_str *s, const char *path, const char *what);
void check_header_name(struct vctx *v, const struct mg_str *s, const char *path);
void check_locality(struct vctx *v, const struct mg_str *s, const char *path);
/* A port protocol: HTTP, HTTPS, HTTP2, GRPC, TCP or TLS (any case). */
void check_protocol(struct vctx *v, const struct mg_str *p, const char *path);
bool is_ip(const char *s);
bool is_dns_name(const char *s, bool wildcard);

/* The position of the first set thing, for messages about absent values. */
static inline const struct mg_pos *pos_or(const struct mg_pos *p, const struct mg_pos *fallback)
{
	return p->file != NULL ? p : fallback;
}

/* Per-kind checks. */
void validate_gateway(struct vctx *v, const struct mg_istio_gateway *g);
void validate_virtual_service(struct vctx *v, const struct mg_istio_virtual_service *vs);
void validate_destination_rule(struct vctx *v, const struct mg_istio_destination_rule *dr);
void validate_service_entry(struct vctx *v, const struct mg_istio_service_entry *se);
void validate_workload(struct vctx *v, const struct mg_workload *w, const char *path,
                       const struct mg_se_spec *se);
void validate_peer_authentication(struct vctx *v, const struct mg_istio_peer_authentication *pa);
void validate_authorization_policy(struct vctx *v, const struct mg_istio_authorization_policy *ap);

/* Cross-resource lookups (istio_validate.c). */
const struct mg_istio_gateway *find_gateway(const struct mg_istio_config *cfg, const char *ref,
                                            const char *vs_ns);
/* A destination's host, port and subset (the subset must be defined). */
void check_dest(struct vctx *v, const struct mg_destination *d, const char *path);
/* Gateway names in a VirtualService; *bound set if one is not "mesh". */
void check_gateway_refs(struct vctx *v, const struct mg_strlist *l, const char *path, bool *bound);
/* A host made fully qualified the way Istio does for short names. */
void fqdn(const char *host, const char *ns, char *out, size_t len);

#endif /* MG_CTRL_ISTIO_VALIDATE_PVT_H */
