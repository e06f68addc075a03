/*
 * ctl_json.c — see ctl_json.h.
 */
#include "ctl_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BODY_MAX (16u << 20) /* a page larger than this is refused */

/* GET path from host:port over HTTP/1.0; the body in *body (malloc'd). */
static int http_get(const char *host, const char *port, const char *path, const char *what,
                    char **body, size_t *len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	struct timeval tv = {.tv_sec = 5};
	size_t cap = 65536, n = 0;
	char *buf, *p;
	int fd, rc, status;

	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "meshgatectl: %s:%s: %s\n", host, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "meshgatectl: cannot reach %s at %s:%s: %s\n", what, host, port,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -1;
	}
	n = (size_t)snprintf(buf, cap, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (write(fd, buf, n) != (ssize_t)n) {
		fprintf(stderr, "meshgatectl: sending the request: %s\n", strerror(errno));
		free(buf);
		close(fd);
		return -1;
	}
	n = 0;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = cap < BODY_MAX ? realloc(buf, cap * 2) : NULL;

			if (nb == NULL) {
				fprintf(stderr, "meshgatectl: the answer from %s is too large\n",
				        what);
				free(buf);
				close(fd);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			fprintf(stderr, "meshgatectl: reading the answer: %s\n", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	p = strstr(buf, "\r\n\r\n");
	if (p == NULL || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "meshgatectl: not an HTTP answer from %s:%s\n", host, port);
		free(buf);
		return -1;
	}
	if (status != 200) {
		fprintf(stderr, "meshgatectl: GET %s: HTTP %d: %s", path, status, p + 4);
		free(buf);
		return -1;
	}
	p += 4;
	*len = n - (size_t)(p - buf);
	memmove(buf, p, *len + 1);
	*body = buf;
	return 0;
}

/* ---- a little navigation over a libyaml document ---- */

yaml_node_t *mg_ctl_json_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

const char *mg_ctl_json_str(yaml_document_t *d, yaml_node_t *map, const char *path, const char *def)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		map = mg_ctl_json_get(d, map, key);
		path = dot + 1;
	}
	map = mg_ctl_json_get(d, map, path);
	if (map == NULL || map->type != YAML_SCALAR_NODE ||
	    (map->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	     strcmp((const char *)map->data.scalar.value, "null") == 0))
		return def;
	return (const char *)map->data.scalar.value;
}

size_t mg_ctl_json_len(yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SEQUENCE_NODE
	           ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
	           : 0;
}

yaml_node_t *mg_ctl_json_at(yaml_document_t *d, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(d, n->data.sequence.items.start[i]);
}

int mg_ctl_fetch_json(const char *hostport, const char *path, const char *what,
                      struct mg_ctl_doc *out)
{
	char host[256], *port;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	snprintf(host, sizeof(host), "%s", hostport);
	port = strrchr(host, ':');
	if (port == NULL) {
		fprintf(stderr, "meshgatectl: %s: want HOST:PORT, got \"%s\"\n", what, hostport);
		return -1;
	}
	*port++ = '\0';
	if (http_get(host, port, path, what, &out->body, &len) < 0)
		return -1;
	if (!yaml_parser_initialize(&out->parser)) {
		free(out->body);
		return -1;
	}
	yaml_parser_set_input_string(&out->parser, (const unsigned char *)out->body, len);
	if (!yaml_parser_load(&out->parser, &out->doc) ||
	    (out->root = yaml_document_get_root_node(&out->doc)) == NULL) {
		fprintf(stderr, "meshgatectl: the answer from %s does not parse: %s\n", what,
		        out->parser.problem ? out->parser.problem : "empty");
		if (out->root == NULL && out->parser.error == YAML_NO_ERROR)
			yaml_document_delete(&out->doc);
		yaml_parser_delete(&out->parser);
		free(out->body);
		return -1;
	}
	return 0;
}

void mg_ctl_doc_free(struct mg_ctl_doc *d)
{
	yaml_document_delete(&d->doc);
	yaml_parser_delete(&d->parser);
	free(d->body);
	memset(d, 0, sizeof(*d));
}
