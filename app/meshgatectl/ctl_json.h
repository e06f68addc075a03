/*
 * ctl_json.h — what meshgatectl's remote commands share: an HTTP GET of a
 * JSON page (a gateway's admin API, the controller's status endpoint) and a
 * little navigation over the parsed document.
 *
 * JSON is YAML, so pages are read with libyaml, like every other
 * configuration meshgate reads; commands look up only the fields they
 * show, so a page with more in it still prints.
 */
#ifndef MG_CTL_JSON_H
#define MG_CTL_JSON_H

#include <stddef.h>

#include <yaml.h>

/** A fetched and parsed page. */
struct mg_ctl_doc {
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char *body;
};

/**
 * GET path from hostport ("HOST:PORT") and parse the answer.
 * @param what  the server's name for messages ("the admin API")
 * @return 0; -1 with a message on stderr (unreachable, not HTTP, status
 *         other than 200, not JSON)
 */
int mg_ctl_fetch_json(const char *hostport, const char *path, const char *what,
                      struct mg_ctl_doc *out);

/** Free a fetched document. */
void mg_ctl_doc_free(struct mg_ctl_doc *d);

/** The value of key in map (NULL when map is no mapping or has no key). */
yaml_node_t *mg_ctl_json_get(yaml_document_t *d, yaml_node_t *map, const char *key);

/** The scalar at a dotted path below map ("a.b.c"), or def (also for null). */
const char *mg_ctl_json_str(yaml_document_t *d, yaml_node_t *map, const char *path,
                            const char *def);

/** Number of items of a sequence (0 for anything else). */
size_t mg_ctl_json_len(yaml_node_t *n);

/** Item i of a sequence (i < mg_ctl_json_len(n)). */
yaml_node_t *mg_ctl_json_at(yaml_document_t *d, yaml_node_t *n, size_t i);

#endif /* MG_CTL_JSON_H */
