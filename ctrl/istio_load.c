/*
 * istio_load.c — directory, files, documents and the Kubernetes envelope.
 *
 * Each document is composed with libyaml's document API (positions kept),
 * its envelope read here and its spec walked against the kind's schema
 * table.  The kind table below is the one place that says which
 * apiVersion/kind pairs meshgate reads.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "ctrl/istio_load.h"
#include "ctrl/istio_schema.h"
#include "ctrl/istio_validate.h"
#include "ctrl/yaml_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define V1ALPHA3 1u
#define V1BETA1  2u
#define V1       4u

#define NETWORKING "networking.istio.io"
#define SECURITY   "security.istio.io"

/* Where a kind's resources go in struct mg_istio_config, and how to read them. */
struct kind_def {
	const char *kind;
	const char *group;
	unsigned versions;
	const char *versions_text;
	bool spec_optional; /* an absent spec is a valid, empty one */
	const struct mg_yaml_schema *schema;
	size_t res_size, spec_off;
	size_t arr_off, n_off; /* in struct mg_istio_config */
};

#define KIND(k, g, v, vt, opt, sch, T, arr)                             \
	{                                                               \
		k, g, v, vt, opt, &(sch), sizeof(T), offsetof(T, spec), \
		    offsetof(struct mg_istio_config, arr),              \
		    offsetof(struct mg_istio_config, n_##arr)           \
	}

#define NET_VERSIONS (V1ALPHA3 | V1BETA1 | V1)
#define NET_TEXT     "v1alpha3, v1beta1 or v1"
#define SEC_VERSIONS (V1BETA1 | V1)
#define SEC_TEXT     "v1beta1 or v1"

/* Indexed by enum mg_istio_kind. */
static const struct kind_def kinds[MG_ISTIO_KIND_COUNT] = {
    [MG_ISTIO_GATEWAY] = KIND("Gateway", NETWORKING, NET_VERSIONS, NET_TEXT, false,
                              mg_istio_schema_gateway, struct mg_istio_gateway, gateways),
    [MG_ISTIO_VIRTUAL_SERVICE] =
        KIND("VirtualService", NETWORKING, NET_VERSIONS, NET_TEXT, false,
             mg_istio_schema_virtual_service, struct mg_istio_virtual_service, virtual_services),
    [MG_ISTIO_DESTINATION_RULE] =
        KIND("DestinationRule", NETWORKING, NET_VERSIONS, NET_TEXT, false,
             mg_istio_schema_destination_rule, struct mg_istio_destination_rule, destination_rules),
    [MG_ISTIO_SERVICE_ENTRY] =
        KIND("ServiceEntry", NETWORKING, NET_VERSIONS, NET_TEXT, false,
             mg_istio_schema_service_entry, struct mg_istio_service_entry, service_entries),
    [MG_ISTIO_WORKLOAD_ENTRY] =
        KIND("WorkloadEntry", NETWORKING, NET_VERSIONS, NET_TEXT, false,
             mg_istio_schema_workload_entry, struct mg_istio_workload_entry, workload_entries),
    [MG_ISTIO_PEER_AUTHENTICATION] =
        KIND("PeerAuthentication", SECURITY, SEC_VERSIONS, SEC_TEXT, true,
             mg_istio_schema_peer_authentication, struct mg_istio_peer_authentication,
             peer_authentications),
    [MG_ISTIO_AUTHORIZATION_POLICY] =
        KIND("AuthorizationPolicy", SECURITY, SEC_VERSIONS, SEC_TEXT, true,
             mg_istio_schema_authorization_policy, struct mg_istio_authorization_policy,
             authorization_policies),
};

const char *mg_istio_kind_name(enum mg_istio_kind kind)
{
	return (unsigned)kind < MG_ISTIO_KIND_COUNT ? kinds[kind].kind : "?";
}

/* ------------------------------------------------------------------ */
/* Config lifetime                                                     */

int mg_istio_config_init(struct mg_istio_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->arena = mg_arena_new();
	return cfg->arena == NULL ? -ENOMEM : 0;
}

static void *ptr_at(void *base, size_t off)
{
	void *p;

	memcpy(&p, (char *)base + off, sizeof(p));
	return p;
}

void mg_istio_config_free(struct mg_istio_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		free(ptr_at(cfg, kinds[i].arr_off));
	for (i = 0; i < cfg->n_files; i++)
		free(cfg->files[i]);
	free(cfg->files);
	mg_arena_free(cfg->arena);
	memset(cfg, 0, sizeof(*cfg));
}

/* A copy of name that positions can point to for the config's lifetime. */
static const char *intern_file(struct mg_istio_config *cfg, const char *name)
{
	char **nf, *s;

	if (cfg->n_files > 0 && strcmp(cfg->files[cfg->n_files - 1], name) == 0)
		return cfg->files[cfg->n_files - 1];
	s = strdup(name);
	if (s == NULL)
		return NULL;
	nf = realloc(cfg->files, (cfg->n_files + 1) * sizeof(*nf));
	if (nf == NULL) {
		free(s);
		return NULL;
	}
	cfg->files = nf;
	cfg->files[cfg->n_files++] = s;
	return s;
}

/* Append a zeroed resource of kind k; NULL on ENOMEM. */
static void *add_resource(struct mg_istio_config *cfg, const struct kind_def *k)
{
	size_t *n = (size_t *)((char *)cfg + k->n_off);
	char *arr = ptr_at(cfg, k->arr_off);

	arr = realloc(arr, (*n + 1) * k->res_size);
	if (arr == NULL)
		return NULL;
	memcpy((char *)cfg + k->arr_off, &arr, sizeof(arr));
	memset(arr + *n * k->res_size, 0, k->res_size);
	return arr + (*n)++ * k->res_size;
}

/* ------------------------------------------------------------------ */
/* The envelope                                                        */

/* The top-level nodes of one document. */
struct envelope {
	yaml_node_t *api_version, *kind, *metadata, *spec;
};

static void read_envelope(struct mg_yaml_ctx *c, yaml_node_t *root, struct envelope *e)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status"};
	yaml_node_t **slot[] = {&e->api_version, &e->kind, &e->metadata, &e->spec, NULL};
	yaml_node_pair_t *p;
	size_t i;

	memset(e, 0, sizeof(*e));
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);

		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (mg_yaml_scalar_is(k, keys[i]))
				break;
		if (i == ARRAY_SIZE(keys)) {
			mg_yaml_error(c, k,
			              "unknown field \"%s\" at the top of a resource (expected "
			              "apiVersion, kind, metadata, spec)",
			              mg_yaml_quote(c, k));
		} else if (slot[i] == NULL) {
			mg_yaml_warn(c, k, "field status is written by the API server; ignored");
		} else if (*slot[i] != NULL) {
			mg_yaml_error(c, k, "duplicate field \"%s\" (first at line %zu)", keys[i],
			              (*slot[i])->start_mark.line + 1);
		} else if (!mg_yaml_is_null(v)) {
			*slot[i] = v;
		}
	}
}

/*
 * The kind_def for apiVersion/kind, or NULL after reporting why not.
 * *skip is set for objects that are not Istio's: a warning, not an error,
 * so a directory may also hold the Deployments and Services of the demo.
 */
static const struct kind_def *find_kind(struct mg_yaml_ctx *c, const struct envelope *e, bool *skip)
{
	const char *av = (const char *)e->api_version->data.scalar.value;
	const char *slash = strchr(av, '/');
	size_t glen = slash ? (size_t)(slash - av) : 0;
	const char *ver = slash ? slash + 1 : av;
	unsigned vbit;
	size_t i;

	*skip = false;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (mg_yaml_scalar_is(e->kind, kinds[i].kind))
			break;
	if (glen < 9 || strncmp(av + glen - 9, ".istio.io", 9) != 0) {
		*skip = true;
		mg_yaml_warn(c, e->kind, "%s %s is not an Istio resource; skipped", av,
		             mg_yaml_quote(c, e->kind));
		return NULL;
	}
	if (i == ARRAY_SIZE(kinds)) {
		mg_yaml_error(c, e->kind, "kind %s (%.*s) is not supported by meshgate yet",
		              mg_yaml_quote(c, e->kind), (int)glen, av);
		return NULL;
	}
	if (strlen(kinds[i].group) != glen || strncmp(av, kinds[i].group, glen) != 0) {
		mg_yaml_error(c, e->api_version, "apiVersion %s: kind %s belongs to group %s",
		              mg_yaml_quote(c, e->api_version), kinds[i].kind, kinds[i].group);
		return NULL;
	}
	vbit = strcmp(ver, "v1alpha3") == 0  ? V1ALPHA3
	       : strcmp(ver, "v1beta1") == 0 ? V1BETA1
	       : strcmp(ver, "v1") == 0      ? V1
	                                     : 0;
	if (!(vbit & kinds[i].versions)) {
		mg_yaml_error(c, e->api_version, "apiVersion %s: %s is served as %s/%s",
		              mg_yaml_quote(c, e->api_version), kinds[i].kind, kinds[i].group,
		              kinds[i].versions_text);
		return NULL;
	}
	return &kinds[i];
}

static int dup_node(struct mg_yaml_ctx *c, yaml_node_t *n, struct mg_str *out)
{
	char *s =
	    mg_arena_strndup(c->arena, (const char *)n->data.scalar.value, n->data.scalar.length);

	if (s == NULL)
		return -ENOMEM;
	*out = (struct mg_str){.s = s, .len = n->data.scalar.length, .pos = mg_yaml_pos(c, n)};
	return 0;
}

/* Fill the envelope part of a new resource and walk its metadata. */
static int read_meta(struct mg_yaml_ctx *c, const struct envelope *e, enum mg_istio_kind kind,
                     yaml_node_t *root, struct mg_istio_meta *m)
{
	int rc;

	m->pos = mg_yaml_pos(c, root);
	m->kind = kind;
	rc = dup_node(c, e->api_version, &m->api_version);
	if (rc == 0)
		rc = dup_node(c, e->kind, &m->kind_name);
	if (rc < 0)
		return rc;
	snprintf(c->path, sizeof(c->path), "metadata");
	c->path_len = strlen(c->path);
	rc = mg_yaml_walk(c, e->metadata, &mg_istio_schema_metadata, m);
	if (rc < 0)
		return rc;
	/* the default namespace was not written anywhere: no position */
	if (m->namespace_.s == NULL)
		m->namespace_ = (struct mg_str){.s = "default", .len = 7};
	if (m->name.s == NULL)
		m->name = (struct mg_str){.s = "", .len = 0, .pos = m->pos};
	return 0;
}

/* One document: its resource is added to cfg (or it is skipped, reported). */
static int read_doc(struct mg_istio_config *cfg, struct mg_yaml_ctx *c, yaml_node_t *root)
{
	const struct kind_def *k;
	struct envelope e;
	bool skip;
	char *res;
	int rc;

	if (root->type != YAML_MAPPING_NODE) {
		mg_yaml_error(c, root,
		              "expected a Kubernetes resource (a mapping with apiVersion, "
		              "kind, metadata and spec)");
		return 0;
	}
	read_envelope(c, root, &e);
	if (e.api_version == NULL || e.kind == NULL) {
		mg_yaml_error(c, root, "missing required field \"%s\" of a resource",
		              e.api_version == NULL ? "apiVersion" : "kind");
		return 0;
	}
	if (e.api_version->type != YAML_SCALAR_NODE || e.kind->type != YAML_SCALAR_NODE) {
		mg_yaml_error(c, e.api_version->type != YAML_SCALAR_NODE ? e.api_version : e.kind,
		              "apiVersion and kind must be strings");
		return 0;
	}
	k = find_kind(c, &e, &skip);
	if (k == NULL)
		return 0;
	if (e.metadata == NULL) {
		mg_yaml_error(c, root, "missing required field \"metadata\" of a resource");
		return 0;
	}
	res = add_resource(cfg, k);
	if (res == NULL)
		return -ENOMEM;
	rc = read_meta(c, &e, (enum mg_istio_kind)(k - kinds), root, (struct mg_istio_meta *)res);
	if (rc < 0)
		return rc;
	snprintf(c->path, sizeof(c->path), "spec");
	c->path_len = 4;
	if (e.spec != NULL)
		rc = mg_yaml_walk(c, e.spec, k->schema, res + k->spec_off);
	else if (!k->spec_optional)
		mg_yaml_error(c, root, "missing required field \"spec\" of a %s", k->kind);
	c->path_len = 0;
	c->path[0] = '\0';
	return rc;
}

/*
 * The document API resolves an alias (*name) to the node it names, so the
 * walker would visit that node once per alias: a few nested aliases make
 * the walk (and the diagnostics) exponential.  Kubernetes manifests rarely
 * use aliases, so a node reached twice is refused.  True if none was.
 */
static bool check_aliases(struct mg_yaml_ctx *c, yaml_document_t *doc)
{
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start), i;
	unsigned char *refs = calloc(n ? n : 1, 1);
	yaml_node_t *at = NULL;
	bool ok = true;

	if (refs == NULL)
		return true; /* the walk will still work; only slower */
	for (i = 0; i < n && ok; i++) {
		yaml_node_t *nd = &doc->nodes.start[i];
		yaml_node_item_t *it;
		yaml_node_pair_t *p;
		int ids[2];
		size_t k;

		if (nd->type == YAML_SEQUENCE_NODE)
			for (it = nd->data.sequence.items.start; it < nd->data.sequence.items.top;
			     it++)
				if (ok && refs[*it - 1]++ != 0) {
					ok = false;
					at = nd;
				}
		if (nd->type == YAML_MAPPING_NODE)
			for (p = nd->data.mapping.pairs.start; p < nd->data.mapping.pairs.top;
			     p++) {
				ids[0] = p->key;
				ids[1] = p->value;
				for (k = 0; k < 2 && ok; k++)
					ok = refs[ids[k] - 1]++ == 0;
				if (!ok && at == NULL) /* the key whose value is an alias */
					at = yaml_document_get_node(doc, p->key);
			}
		if (!ok)
			mg_yaml_error(c, at,
			              "YAML aliases (*name) are not supported; document "
			              "skipped");
	}
	free(refs);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static void syntax_error(struct mg_yaml_ctx *c, const yaml_parser_t *p)
{
	struct mg_pos pos = {.file = c->file,
	                     .line = (uint32_t)p->problem_mark.line + 1,
	                     .col = (uint32_t)p->problem_mark.column + 1};

	if (p->error == YAML_MEMORY_ERROR) {
		mg_diag_add(c->diag, MG_DIAG_ERROR, &pos, "out of memory");
	} else if (p->context != NULL) {
		mg_diag_add(c->diag, MG_DIAG_ERROR, &pos, "YAML syntax: %s %s (line %zu)",
		            p->problem ? p->problem : "error", p->context,
		            p->context_mark.line + 1);
	} else {
		mg_diag_add(c->diag, MG_DIAG_ERROR, &pos, "YAML syntax: %s",
		            p->problem ? p->problem : "error");
	}
	c->n_errors++;
}

int mg_istio_parse(struct mg_istio_config *cfg, const char *name, const char *text, size_t len,
                   struct mg_diag *diags)
{
	struct mg_yaml_ctx c = {.diag = diags, .arena = cfg->arena};
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;

	c.file = intern_file(cfg, name);
	if (c.file == NULL)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
	c.doc = &doc;
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			syntax_error(&c, &parser);
			rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : 0;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL) { /* end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		/* "---" with nothing after it, or only comments: an empty document */
		if (!mg_yaml_is_null(root) && check_aliases(&c, &doc))
			rc = read_doc(cfg, &c, root);
		yaml_document_delete(&doc);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc < 0)
		return rc;
	return c.n_errors > 0 ? -EINVAL : 0;
}

static int read_all(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (fstat(fileno(f), &st) < 0) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EISDIR;
	} else if ((unsigned long long)st.st_size > MG_ISTIO_MAX_FILE_SIZE) {
		rc = -EFBIG;
	} else {
		buf = malloc((size_t)st.st_size + 1);
		if (buf == NULL) {
			rc = -ENOMEM;
		} else {
			*len = fread(buf, 1, (size_t)st.st_size, f);
			if (ferror(f)) {
				free(buf);
				rc = -EIO;
			} else {
				*text = buf;
			}
		}
	}
	fclose(f);
	return rc;
}

int mg_istio_load_file(struct mg_istio_config *cfg, const char *path, struct mg_diag *diags)
{
	struct mg_pos pos = {.file = path};
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = read_all(path, &text, &len);
	if (rc < 0) {
		if (rc == -EFBIG)
			mg_diag_add(diags, MG_DIAG_ERROR, &pos, "file larger than %u bytes",
			            MG_ISTIO_MAX_FILE_SIZE);
		else
			mg_diag_add(diags, MG_DIAG_ERROR, &pos, "cannot read: %s", strerror(-rc));
		return rc;
	}
	rc = mg_istio_parse(cfg, path, text, len, diags);
	free(text);
	return rc;
}

static bool is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	/* dotfiles: editors' swap files, and Kubernetes ConfigMap mounts' ..data links */
	if (name[0] == '.')
		return false;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.yaml / *.yml names in dir. */
static int list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	int rc = 0;

	*n = 0;
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!is_yaml_name(de->d_name))
			continue;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (nv == NULL || (nv[*n] = strdup(de->d_name)) == NULL) {
			v = nv ? nv : v;
			rc = -ENOMEM;
			break;
		}
		v = nv;
		(*n)++;
	}
	closedir(d);
	if (v != NULL)
		qsort(v, *n, sizeof(*v), cmp_names);
	*names = v;
	return rc;
}

static int load_files(const char *dir, struct mg_istio_config *out, struct mg_diag *diags,
                      char **names, size_t n)
{
	struct mg_pos pos = {.file = dir};
	size_t i, dlen = strlen(dir);
	char *path;
	int rc;

	if (n == 0)
		mg_diag_add(diags, MG_DIAG_WARNING, &pos, "no *.yaml or *.yml files");
	for (i = 0; i < n; i++) {
		if (asprintf(&path, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/",
		             names[i]) < 0)
			return -ENOMEM;
		rc = mg_istio_load_file(out, path, diags);
		free(path);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

int mg_istio_load_dir(const char *dir, struct mg_istio_config *out, struct mg_diag *diags)
{
	struct mg_pos pos = {.file = dir};
	size_t errors, n = 0, i;
	char **names = NULL;
	int rc;

	if (dir == NULL || out == NULL || diags == NULL)
		return -EINVAL;
	errors = diags->n_errors;
	rc = mg_istio_config_init(out);
	if (rc < 0)
		return rc;
	rc = list_dir(dir, &names, &n);
	if (rc < 0 && rc != -ENOMEM)
		mg_diag_add(diags, MG_DIAG_ERROR, &pos, "cannot read directory: %s", strerror(-rc));
	if (rc == 0)
		rc = load_files(dir, out, diags, names, n);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == 0)
		mg_istio_validate(out, diags);
	mg_diag_sort(diags);
	if (rc == 0 && (diags->n_errors > errors || diags->oom))
		rc = diags->oom ? -ENOMEM : -EINVAL;
	if (rc < 0)
		mg_istio_config_free(out);
	return rc;
}
