/*
 * bootstrap_sr.c — the bootstrap's static_resources: Envoy's xDS messages in
 * the proto3 JSON/YAML mapping, decoded by dataplane/xds and compiled into a
 * config snapshot by the snapshot compiler (dataplane/xds/compile.h) — the
 * same path resources from the controller take, so the bootstrap and xDS
 * accept and refuse exactly the same things.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "meshgate/bootstrap_pvt.h"
#include "xds/compile.h"
#include "xds/xds.h"

typedef Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources sr_msg;

/* Does YAML key k spell field name (len bytes, snake_case) or its lowerCamelCase? */
static bool key_is(const yaml_node_t *k, const char *name, size_t len)
{
	const char *s = (const char *)k->data.scalar.value;
	size_t sl = k->data.scalar.length, i, j;

	if (sl == len && memcmp(s, name, len) == 0)
		return true;
	for (i = j = 0; i < len && j < sl; i++, j++) {
		if (name[i] == '_' && i + 1 < len && name[i + 1] >= 'a' && name[i + 1] <= 'z') {
			if (s[j] != name[++i] - 'a' + 'A')
				return false;
		} else if (s[j] != name[i]) {
			return false;
		}
	}
	return i == len && j == sl;
}

static yaml_node_t *map_get(struct ctx *c, yaml_node_t *n, const char *name, size_t len)
{
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && key_is(k, name, len))
			return yaml_document_get_node(c->doc, p->value);
	}
	return NULL;
}

yaml_node_t *mg_bootstrap_node_at(struct ctx *c, yaml_node_t *n, const char *path)
{
	const char *s = path;

	while (n != NULL && *s != '\0') {
		size_t len = strcspn(s, ".[");

		if (len > 0)
			n = map_get(c, n, s, len);
		s += len;
		while (n != NULL && *s == '[') {
			char *end;
			unsigned long i = strtoul(s + 1, &end, 10);

			if (n->type != YAML_SEQUENCE_NODE ||
			    i >= (unsigned long)(n->data.sequence.items.top -
			                         n->data.sequence.items.start))
				return NULL;
			n = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
			s = *end == ']' ? end + 1 : end;
		}
		if (*s == '.')
			s++;
	}
	return n;
}

/*
 * The compiler reports "<path>: why" with the path below static_resources;
 * map the path back to its YAML node (or, for a default value that is not in
 * the file, its nearest ancestor) so the error has a line and column like
 * every other bootstrap error.
 */
static int sr_fail(struct ctx *c, yaml_node_t *root, const char *err)
{
	const char *sep = strstr(err, ": ");
	char path[400];
	yaml_node_t *n = NULL;

	snprintf(path, sizeof(path), "%.*s", sep != NULL ? (int)(sep - err) : 0, err);
	while (n == NULL) {
		char *cut = strrchr(path, '.');
		char *br = strrchr(path, '[');

		n = mg_bootstrap_node_at(c, root, path);
		if (n == NULL && cut == NULL && br == NULL)
			n = root;
		else if (n == NULL)
			*(cut > br ? cut : br) = '\0';
	}
	return mg_bootstrap_fail_at(c, -EINVAL, n->start_mark.line, n->start_mark.column,
	                            "static_resources%s%s", sep != NULL ? "." : ": ", err);
}

int mg_bootstrap_parse_static_resources(struct ctx *c, yaml_node_t *n, void *obj,
                                        const struct field *f)
{
	ProtobufCMessage *m = NULL;
	struct mg_xds_err e;
	struct mg_resources r;
	sr_msg *sr;
	char err[512];
	int rc;

	(void)obj;
	(void)f;
	rc = mg_xds_decode_yaml(
	    c->doc, n, &envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor,
	    "static_resources", &m, &e);
	if (rc == -ENOMEM)
		return mg_bootstrap_fail_at(c, rc, n->start_mark.line, n->start_mark.column,
		                            "out of memory");
	if (rc < 0) {
		if (e.line == 0) { /* no position: the static_resources value itself */
			e.line = (unsigned)n->start_mark.line + 1;
			e.column = (unsigned)n->start_mark.column + 1;
		}
		if (c->err != NULL && c->errlen > 0)
			mg_xds_err_format(&e, c->name, c->err, c->errlen);
		return rc;
	}
	/* owned by the bootstrap from here: mg_bootstrap_free() frees it on any error */
	sr = (sr_msg *)m;
	c->out->static_resources = sr;
	c->out->n_static_listeners = (unsigned)sr->n_listeners;
	c->out->n_static_clusters = (unsigned)sr->n_clusters;
	r = (struct mg_resources){.listeners = sr->listeners,
	                          .n_listeners = sr->n_listeners,
	                          .clusters = sr->clusters,
	                          .n_clusters = sr->n_clusters};
	rc = mg_snapshot_compile(&r, 1, &c->out->snapshot, err, sizeof(err));
	if (rc == -EINVAL)
		return sr_fail(c, n, err);
	if (rc < 0)
		return mg_bootstrap_fail_at(c, rc, n->start_mark.line, n->start_mark.column, "%s",
		                            err);
	return 0;
}
