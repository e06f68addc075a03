/*
 * admin.c — the admin HTTP/1.1 server: listener, connection state machine,
 * request-head parser and routing.
 *
 * A connection moves through
 *   READ  (collect a request head) → BODY (discard a request body, if any)
 *   → WRITE (send the response) → READ again, or DRAIN → closed.
 * The response is built completely when the head is parsed, so WRITE only
 * copies bytes out.  DRAIN exists because closing a socket that still has
 * unread input makes the kernel send a reset, which can destroy the error
 * response we just wrote before the client reads it; instead we shut down
 * our side and read until the client closes (bounded by a short deadline).
 *
 * Rejected alternative: a thread per connection.  The control core is one
 * thread by design, and poll() over at most 64 sockets costs nothing here.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "meshgate/admin.h"

#define LISTEN_BACKLOG 64
/* Longest a closing connection may take to send us its EOF. */
#define DRAIN_MS 2000
/* Steps one connection may take per mg_admin_poll(), so a pipelining client can't starve others. */
#define CONN_BUDGET 64

enum conn_state { CONN_READ, CONN_BODY, CONN_WRITE, CONN_DRAIN };

/* What a state step did. */
enum step { STEP_AGAIN, STEP_WAIT, STEP_CLOSE };

struct conn {
	int fd;
	enum conn_state state;
	bool close_after;    /* close once the response is written */
	bool pending;        /* work is buffered: run even without a poll event */
	size_t in_len;       /* bytes in in[] */
	size_t scan;         /* in[0..scan) holds no end of head */
	uint64_t body_left;  /* request body bytes still to discard */
	uint64_t idle_since; /* ms: when the connection was accepted or last answered */
	uint64_t req_start;  /* ms: first byte of the current request, 0 before it */
	uint64_t deadline;   /* ms: when it times out in its current state */
	size_t out_off;      /* bytes of out already sent */
	struct mg_buf out;   /* the response being sent */
	char in[MG_ADMIN_MAX_HEAD];
};

struct route {
	char method[16];
	char path[128];
	mg_admin_handler fn;
	void *arg;
};

struct mg_admin {
	int fd;
	uint16_t port;
	unsigned idle_ms;
	unsigned n_routes;
	struct route routes[MG_ADMIN_MAX_ROUTES];
	struct conn *conns[MG_ADMIN_MAX_CONNS]; /* NULL: free slot */
	char scratch[16384];                    /* discarded body and drain bytes */
};

/* A parsed request head; the strings point into the connection's buffer. */
struct http_req {
	char *method;
	char *path;
	char *query;
	int minor;
	unsigned n_host;
	bool conn_close;
	bool conn_keep_alive;
	bool has_len;
	bool has_te;
	uint64_t content_len;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const struct {
	int code;
	const char *text;
} status_texts[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

/* Reason phrase; clients ignore it (RFC 9112 §4), so a generic one is fine for the rest. */
static const char *status_text(int status)
{
	unsigned i;

	for (i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].code == status)
			return status_texts[i].text;
	return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
}

/* RFC 9110 tchar: the characters of a method or header name. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Length of the request head at in[0..n) including its blank line, or 0 if
 * it is not complete.  Lines end in CRLF or a bare LF (RFC 9112 §2.2 lets a
 * server accept LF).  *scan remembers how far we looked, so a client sending
 * one byte at a time costs linear, not quadratic, work.
 */
static size_t head_end(const char *in, size_t n, size_t *scan)
{
	size_t i = *scan;

	for (; i < n; i++) {
		if (in[i] != '\n')
			continue;
		if (i + 1 < n && in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && in[i + 1] == '\r' && in[i + 2] == '\n')
			return i + 3;
	}
	/* The next call must look again at the last newline and what follows it. */
	*scan = n > 2 ? n - 2 : 0;
	return 0;
}

/* Parse "METHOD SP target SP HTTP/1.x"; returns 0 or the status to answer. */
static int parse_request_line(char *line, struct http_req *r)
{
	char *sp1, *sp2, *q, *p;

	sp1 = strchr(line, ' ');
	if (sp1 == NULL || sp1 == line || sp1 - line > 15)
		return 400;
	*sp1 = '\0';
	for (p = line; *p != '\0'; p++)
		if (!is_tchar((unsigned char)*p))
			return 400;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL)
		return 400;
	*sp2 = '\0';
	/* Origin form only: a proxy-style absolute URI or '*' is not for us. */
	if (sp1[1] != '/')
		return 400;
	for (p = sp1 + 1; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 400;
	if (strncmp(sp2 + 1, "HTTP/", 5) != 0 || strlen(sp2 + 1) != 8 || sp2[7] != '.' ||
	    sp2[6] < '0' || sp2[6] > '9' || sp2[8] < '0' || sp2[8] > '9')
		return 400;
	if (sp2[6] != '1' || sp2[8] > '1')
		return 505;
	r->minor = sp2[8] - '0';
	r->method = line;
	r->path = sp1 + 1;
	q = strchr(r->path, '?');
	if (q != NULL)
		*q++ = '\0';
	r->query = q != NULL ? q : sp2; /* sp2 is "" now */
	return 0;
}

/* Comma-separated Connection options. */
static void parse_connection(const char *v, struct http_req *r)
{
	while (*v != '\0') {
		size_t n = strcspn(v, ",");
		const char *e = v + n;

		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - v) == 5 && strncasecmp(v, "close", 5) == 0)
			r->conn_close = true;
		else if ((size_t)(e - v) == 10 && strncasecmp(v, "keep-alive", 10) == 0)
			r->conn_keep_alive = true;
		v += n;
		if (*v == ',')
			v++;
	}
}

static int parse_content_length(const char *v, struct http_req *r)
{
	uint64_t n = 0;
	const char *p;

	if (*v == '\0')
		return 400;
	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - v >= 18)
			return 400;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (r->has_len && r->content_len != n)
		return 400;
	r->has_len = true;
	r->content_len = n;
	return 0;
}

/* One "Name: value" line; returns 0 or the status to answer. */
static int parse_header(char *line, struct http_req *r)
{
	char *colon, *v, *e, *p;

	/* Obsolete line folding (a line starting with white space) is rejected, RFC 9112 §5.2. */
	for (p = line; *p != '\0' && *p != ':'; p++)
		if (!is_tchar((unsigned char)*p))
			return 400;
	colon = p;
	if (*colon != ':' || colon == line)
		return 400;
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	for (p = v; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 400;
	if (strcasecmp(line, "Host") == 0)
		r->n_host++;
	else if (strcasecmp(line, "Content-Length") == 0)
		return parse_content_length(v, r);
	else if (strcasecmp(line, "Transfer-Encoding") == 0)
		r->has_te = true;
	else if (strcasecmp(line, "Connection") == 0)
		parse_connection(v, r);
	return 0;
}

/*
 * Parse the head in[0..n) in place (its lines become C strings).  Returns 0
 * or the HTTP status of the error to answer.
 */
static int parse_head(char *in, size_t n, struct http_req *r)
{
	char *line = in, *end = in + n, *nl;
	bool first = true;
	size_t len;
	int st;

	memset(r, 0, sizeof(*r));
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			return 400;
		len = (size_t)(nl - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		/* A NUL or a stray CR inside a line is malformed. */
		if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len) != NULL)
			return 400;
		line[len] = '\0';
		if (len == 0)
			break; /* the blank line */
		st = first ? parse_request_line(line, r) : parse_header(line, r);
		if (st != 0)
			return st;
		first = false;
		line = nl + 1;
	}
	if (first)
		return 400;
	if (r->minor == 1 && r->n_host != 1)
		return 400; /* RFC 9112 §3.2: exactly one Host in HTTP/1.1 */
	if (r->n_host > 1)
		return 400;
	if (r->has_te)
		return 501; /* chunked request bodies are not supported */
	return 0;
}

/*
 * Put a complete response into c->out: status line, headers, and the body
 * unless head_only.  Returns 0 or -ENOMEM (the caller drops the connection).
 */
static int respond(struct conn *c, int status, const char *ctype, const char *body, size_t body_len,
                   bool head_only, const char *allow)
{
	struct mg_buf *o = &c->out;

	mg_buf_reset(o);
	c->out_off = 0;
	mg_buf_printf(o, "HTTP/1.1 %d %s\r\n", status, status_text(status));
	/* RFC 9110 §8.6: no Content-Length (and no body) in a 204. */
	if (status != 204)
		mg_buf_printf(o, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, body_len);
	if (allow != NULL)
		mg_buf_printf(o, "Allow: %s\r\n", allow);
	mg_buf_printf(o, "Cache-Control: no-store\r\nConnection: %s\r\n\r\n",
	              c->close_after ? "close" : "keep-alive");
	if (!head_only && status != 204)
		mg_buf_append(o, body, body_len);
	return o->err;
}

/* Answer a request we could not parse or will not read, and close afterwards. */
static int respond_error(struct conn *c, int status)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, status_text(status));

	c->close_after = true;
	c->body_left = 0;
	return respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, false, NULL);
}

/* 404 with the list of endpoints, the way Envoy's admin answers an unknown path. */
static int respond_not_found(struct mg_admin *a, struct conn *c, const struct http_req *r,
                             bool head)
{
	struct mg_buf b;
	unsigned i;
	int rc;

	mg_buf_init(&b);
	mg_buf_printf(&b, "no such endpoint: %s\nadmin endpoints:\n", r->path);
	for (i = 0; i < a->n_routes; i++)
		mg_buf_printf(&b, "  %s %s\n", a->routes[i].method, a->routes[i].path);
	rc = b.err != 0 ? b.err
	                : respond(c, 404, "text/plain; charset=utf-8", b.data, b.len, head, NULL);
	mg_buf_free(&b);
	return rc;
}

/* 405 with Allow listing the methods the path has (HEAD comes with GET). */
static int respond_bad_method(struct mg_admin *a, struct conn *c, const struct http_req *r,
                              bool head)
{
	bool get = false, has_head = false;
	struct mg_buf allow, body;
	unsigned i;
	int rc;

	mg_buf_init(&allow);
	mg_buf_init(&body);
	for (i = 0; i < a->n_routes; i++) {
		if (strcmp(a->routes[i].path, r->path) != 0)
			continue;
		mg_buf_printf(&allow, "%s%s", allow.len > 0 ? ", " : "", a->routes[i].method);
		get |= strcmp(a->routes[i].method, "GET") == 0;
		has_head |= strcmp(a->routes[i].method, "HEAD") == 0;
	}
	if (get && !has_head)
		mg_buf_puts(&allow, ", HEAD");
	mg_buf_printf(&body, "method %s not allowed for %s; allowed: %s\n", r->method, r->path,
	              allow.data);
	rc = allow.err != 0 || body.err != 0 ? -ENOMEM
	                                     : respond(c, 405, "text/plain; charset=utf-8",
	                                               body.data, body.len, head, allow.data);
	mg_buf_free(&allow);
	mg_buf_free(&body);
	return rc;
}

static const struct route *route_find(const struct mg_admin *a, const char *method,
                                      const char *path)
{
	unsigned i;

	for (i = 0; i < a->n_routes; i++)
		if (strcmp(a->routes[i].method, method) == 0 &&
		    strcmp(a->routes[i].path, path) == 0)
			return &a->routes[i];
	return NULL;
}

/* Route a parsed request and build its response. */
static int dispatch(struct mg_admin *a, struct conn *c, const struct http_req *r)
{
	bool head = strcmp(r->method, "HEAD") == 0;
	const struct route *rt = route_find(a, r->method, r->path);
	struct mg_admin_resp resp = {.status = 200, .content_type = "text/plain; charset=utf-8"};
	struct mg_admin_req req;
	unsigned i;
	int rc;

	if (rt == NULL && head)
		rt = route_find(a, "GET", r->path);
	if (rt == NULL) {
		for (i = 0; i < a->n_routes; i++)
			if (strcmp(a->routes[i].path, r->path) == 0)
				return respond_bad_method(a, c, r, head);
		return respond_not_found(a, c, r, head);
	}
	req.method = rt->method;
	req.path = r->path;
	req.query = r->query;
	req.http_minor = r->minor;
	req.head = head;
	mg_buf_init(&resp.body);
	rc = rt->fn(rt->arg, &req, &resp);
	if (rc >= 0 && resp.body.err != 0)
		rc = resp.body.err;
	else if (rc >= 0 && (resp.status < 200 || resp.status > 599 || resp.content_type == NULL))
		rc = -EINVAL;
	if (rc < 0) {
		/* Whatever the handler wrote may be half a document: replace it. */
		mg_buf_reset(&resp.body);
		mg_buf_printf(&resp.body, "internal error: %s\n", strerror(-rc));
		resp.status = 500;
		resp.content_type = "text/plain; charset=utf-8";
	}
	rc = resp.body.err != 0 ? resp.body.err
	                        : respond(c, resp.status, resp.content_type, resp.body.data,
	                                  resp.body.len, head, NULL);
	mg_buf_free(&resp.body);
	return rc;
}

/* Drop n bytes from the front of the input buffer. */
static void conn_consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	c->scan = 0;
}

/*
 * A whole head of hl bytes is buffered: parse it, build the response, then
 * drop the head (and any body bytes already here) from the buffer.
 */
static int handle_request(struct mg_admin *a, struct conn *c, size_t hl, uint64_t now)
{
	struct http_req r;
	uint64_t body;
	int st, rc;

	st = parse_head(c->in, hl, &r);
	if (st == 0 && r.content_len > 0 &&
	    (strcmp(r.method, "GET") == 0 || strcmp(r.method, "HEAD") == 0))
		st = 400;
	else if (st == 0 && r.content_len > MG_ADMIN_MAX_BODY)
		st = 413;
	c->state = CONN_WRITE;
	c->deadline = now + a->idle_ms;
	if (st != 0) {
		/* What follows a bad head has no framing we can trust: drop it all. */
		c->in_len = 0;
		c->scan = 0;
		return respond_error(c, st);
	}
	c->close_after = r.conn_close || (r.minor == 0 && !r.conn_keep_alive);
	c->body_left = r.content_len;
	rc = dispatch(a, c, &r);
	body = c->body_left < c->in_len - hl ? c->body_left : c->in_len - hl;
	c->body_left -= body;
	conn_consume(c, hl + (size_t)body);
	if (c->body_left > 0)
		c->state = CONN_BODY;
	return rc;
}

/* Non-blocking I/O result → step: progress, wait for poll, or give up. */
static enum step io_step(ssize_t n)
{
	if (n > 0)
		return STEP_AGAIN;
	if (n == 0)
		return STEP_CLOSE;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return STEP_WAIT;
	return errno == EINTR ? STEP_AGAIN : STEP_CLOSE;
}

static enum step step_read(struct mg_admin *a, struct conn *c, uint64_t now, int *served)
{
	size_t skip = 0, hl;
	ssize_t n;

	/* RFC 9112 §2.2: ignore empty lines before a request line. */
	while (skip < c->in_len && (c->in[skip] == '\r' || c->in[skip] == '\n'))
		skip++;
	if (skip > 0)
		conn_consume(c, skip);
	hl = head_end(c->in, c->in_len, &c->scan);
	if (hl > 0) {
		(*served)++;
		return handle_request(a, c, hl, now) == 0 ? STEP_AGAIN : STEP_CLOSE;
	}
	if (c->in_len == sizeof(c->in)) {
		c->in_len = 0;
		c->state = CONN_WRITE;
		(*served)++;
		return respond_error(c, 431) == 0 ? STEP_AGAIN : STEP_CLOSE;
	}
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n > 0) {
		/* The first byte of a request starts its clock; later bytes don't extend it. */
		if (c->req_start == 0) {
			c->req_start = now;
			c->deadline = now + a->idle_ms;
		}
		c->in_len += (size_t)n;
	}
	return io_step(n);
}

static enum step step_body(struct mg_admin *a, struct conn *c)
{
	size_t want = c->body_left < sizeof(a->scratch) ? c->body_left : sizeof(a->scratch);
	ssize_t n = recv(c->fd, a->scratch, want, 0);

	if (n > 0) {
		c->body_left -= (uint64_t)n;
		if (c->body_left == 0)
			c->state = CONN_WRITE;
	}
	return io_step(n);
}

static enum step step_write(struct mg_admin *a, struct conn *c, uint64_t now)
{
	ssize_t n;

	if (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->deadline = now + a->idle_ms;
		}
		return n == 0 ? STEP_WAIT : io_step(n);
	}
	if (c->close_after) {
		shutdown(c->fd, SHUT_WR);
		c->state = CONN_DRAIN;
		c->deadline = now + (a->idle_ms < DRAIN_MS ? a->idle_ms : DRAIN_MS);
		return STEP_AGAIN;
	}
	/* Keep the buffer for the next response unless one was unusually big. */
	if (c->out.cap > 4 * MG_ADMIN_MAX_BODY)
		mg_buf_free(&c->out);
	mg_buf_reset(&c->out);
	c->out_off = 0;
	c->state = CONN_READ;
	c->req_start = 0;
	c->idle_since = now;
	c->deadline = now + a->idle_ms;
	return STEP_AGAIN;
}

static enum step step_drain(struct mg_admin *a, struct conn *c)
{
	return io_step(recv(c->fd, a->scratch, sizeof(a->scratch), 0));
}

/* Run c until it would block.  Returns false if it must be closed. */
static bool conn_run(struct mg_admin *a, struct conn *c, uint64_t now, int *served)
{
	enum step st = STEP_AGAIN;
	unsigned budget;

	for (budget = 0; budget < CONN_BUDGET; budget++) {
		switch (c->state) {
		case CONN_READ:
			st = step_read(a, c, now, served);
			break;
		case CONN_BODY:
			st = step_body(a, c);
			break;
		case CONN_WRITE:
			st = step_write(a, c, now);
			break;
		case CONN_DRAIN:
			st = step_drain(a, c);
			break;
		}
		if (st != STEP_AGAIN)
			break;
	}
	/* Out of budget with work left: the next poll must not sleep. */
	c->pending = st == STEP_AGAIN;
	return st != STEP_CLOSE;
}

static void conn_close(struct mg_admin *a, unsigned slot)
{
	struct conn *c = a->conns[slot];

	close(c->fd);
	mg_buf_free(&c->out);
	free(c);
	a->conns[slot] = NULL;
}

/* Close connections past their deadline; a request cut short gets a 408 first. */
static void conns_expire(struct mg_admin *a, uint64_t now)
{
	static const char timeout[] = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
	                              "Connection: close\r\n\r\n";
	unsigned i;

	for (i = 0; i < MG_ADMIN_MAX_CONNS; i++) {
		struct conn *c = a->conns[i];

		if (c == NULL || now < c->deadline)
			continue;
		/* Best effort: if this does not fit in the socket buffer, nobody is reading. */
		if ((c->state == CONN_READ && c->in_len > 0) || c->state == CONN_BODY)
			(void)send(c->fd, timeout, sizeof(timeout) - 1,
			           MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_close(a, i);
	}
}

/*
 * A free slot for a new connection.  When all are taken, close the one idle
 * the longest between requests, or failing that the oldest request still in
 * progress: a crowd of stalled clients must not lock the operator out.
 */
static unsigned conn_slot(struct mg_admin *a)
{
	unsigned i, victim = 0;
	bool idle_found = false;

	for (i = 0; i < MG_ADMIN_MAX_CONNS; i++) {
		const struct conn *c = a->conns[i], *v = a->conns[victim];
		bool idle;

		if (c == NULL)
			return i;
		idle = c->state == CONN_READ && c->in_len == 0 && c->req_start == 0;
		if ((idle && !idle_found) ||
		    (idle == idle_found && c->idle_since < v->idle_since)) {
			victim = i;
			idle_found |= idle;
		}
	}
	conn_close(a, victim);
	return victim;
}

static void conns_accept(struct mg_admin *a, uint64_t now)
{
	unsigned n, slot;
	struct conn *c;
	int fd, one = 1;

	for (n = 0; n < MG_ADMIN_MAX_CONNS; n++) {
		fd = accept4(a->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return; /* EAGAIN, or out of descriptors: try again next poll */
		}
		c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->state = CONN_READ;
		c->idle_since = now;
		c->deadline = now + a->idle_ms;
		mg_buf_init(&c->out);
		/* Responses leave in one send; Nagle would only delay pipelined ones. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		slot = conn_slot(a);
		a->conns[slot] = c;
	}
}

int mg_admin_poll(struct mg_admin *a, int timeout_ms)
{
	struct pollfd pfd[1 + MG_ADMIN_MAX_CONNS];
	unsigned slot_of[1 + MG_ADMIN_MAX_CONNS];
	uint64_t now = now_ms();
	int served = 0, rc;
	unsigned i;
	nfds_t n = 1;

	pfd[0].fd = a->fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < MG_ADMIN_MAX_CONNS; i++) {
		const struct conn *c = a->conns[i];

		if (c == NULL)
			continue;
		/* Wake for the nearest deadline; buffered work means no sleep at all. */
		if (c->pending || c->deadline <= now)
			timeout_ms = 0;
		else if (timeout_ms < 0 || c->deadline - now < (uint64_t)timeout_ms)
			timeout_ms =
			    c->deadline - now > INT_MAX ? INT_MAX : (int)(c->deadline - now);
		pfd[n].fd = c->fd;
		pfd[n].events = c->state == CONN_WRITE ? POLLOUT : POLLIN;
		slot_of[n++] = i;
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	now = now_ms();
	for (i = 1; i < n; i++) {
		struct conn *c = a->conns[slot_of[i]];

		if ((pfd[i].revents != 0 || c->pending) && !conn_run(a, c, now, &served))
			conn_close(a, slot_of[i]);
	}
	conns_expire(a, now);
	if (pfd[0].revents & POLLIN)
		conns_accept(a, now);
	return served;
}

struct mg_admin *mg_admin_open(const char *addr, uint16_t port)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct mg_admin *a;
	char portstr[8];
	int one = 1, err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(addr != NULL ? addr : "127.0.0.1", portstr, &hints, &res) != 0) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		freeaddrinfo(res);
		errno = ENOMEM;
		return NULL;
	}
	a->idle_ms = MG_ADMIN_IDLE_MS;
	a->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(a->fd, res->ai_addr, res->ai_addrlen) != 0 || listen(a->fd, LISTEN_BACKLOG) != 0 ||
	    getsockname(a->fd, (struct sockaddr *)&ss, &sl) != 0) {
		err = errno;
		if (a->fd >= 0)
			close(a->fd);
		free(a);
		freeaddrinfo(res);
		errno = err;
		return NULL;
	}
	freeaddrinfo(res);
	a->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                         : ((struct sockaddr_in *)&ss)->sin_port);
	return a;
}

uint16_t mg_admin_port(const struct mg_admin *a)
{
	return a->port;
}

void mg_admin_set_idle_timeout(struct mg_admin *a, unsigned idle_ms)
{
	a->idle_ms = idle_ms != 0 ? idle_ms : MG_ADMIN_IDLE_MS;
}

int mg_admin_register(struct mg_admin *a, const char *method, const char *path, mg_admin_handler fn,
                      void *arg)
{
	struct route *r;
	const char *p;

	if (a == NULL || method == NULL || path == NULL || fn == NULL || method[0] == '\0' ||
	    strlen(method) >= sizeof(r->method) || path[0] != '/' ||
	    strlen(path) >= sizeof(r->path) || strchr(path, '?') != NULL)
		return -EINVAL;
	for (p = method; *p != '\0'; p++)
		if (!is_tchar((unsigned char)*p))
			return -EINVAL;
	if (route_find(a, method, path) != NULL)
		return -EEXIST;
	if (a->n_routes == MG_ADMIN_MAX_ROUTES)
		return -ENOSPC;
	r = &a->routes[a->n_routes++];
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->fn = fn;
	r->arg = arg;
	return 0;
}

void mg_admin_close(struct mg_admin *a)
{
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < MG_ADMIN_MAX_CONNS; i++)
		if (a->conns[i] != NULL)
			conn_close(a, i);
	close(a->fd);
	free(a);
}
