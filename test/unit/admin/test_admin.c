/*
 * test_admin.c — the admin HTTP server, driven by real clients.
 *
 * Each test starts a server on 127.0.0.1 with an ephemeral port and runs
 * mg_admin_poll() in a thread, then talks to it with raw sockets (malformed
 * and oversized requests, pipelining, slow and stalled clients, timeouts,
 * the connection limit) and with curl (ordinary GETs, /stats and /metrics
 * checked by Python's json and promtool).  No EAL: the stats handlers run on
 * a hand-built data plane whose ports do not exist.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "core/worker_types.h"
#include "meshgate/admin.h"
#include "meshgate/admin_stats.h"

/* Twice the largest socket send buffer here (net.ipv4.tcp_wmem), so the server must wait to write.
 */
#define BIG_LEN (8u << 20)

static struct mg_admin *srv;
static pthread_t srv_thread;
static volatile int srv_stop;
static uint16_t srv_port;
static struct mg_dp fake_dp;
static struct mg_worker *fake_workers[2];

/* ---- handlers ---- */

static int h_hello(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	(void)arg;
	(void)req;
	return mg_buf_puts(&resp->body, "hello\n");
}

static int h_echo(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	(void)arg;
	return mg_buf_printf(&resp->body, "method=%s path=%s query=%s head=%d minor=%d\n",
	                     req->method, req->path, req->query, req->head, req->http_minor);
}

static int h_fail(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	(void)arg;
	(void)req;
	mg_buf_puts(&resp->body, "partial");
	return -EIO;
}

static int h_unready(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	(void)arg;
	(void)req;
	resp->status = 503;
	return mg_buf_puts(&resp->body, "not ready\n");
}

static int h_big(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	unsigned i;

	(void)arg;
	(void)req;
	mg_buf_reserve(&resp->body, BIG_LEN);
	for (i = 0; i < BIG_LEN / 8; i++)
		mg_buf_printf(&resp->body, "%07u\n", i % 10000000);
	resp->content_type = "application/octet-stream";
	return 0;
}

/* ---- server in a thread ---- */

static void *srv_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&srv_stop, __ATOMIC_ACQUIRE))
		ck_assert_int_ge(mg_admin_poll(srv, 20), 0);
	return NULL;
}

static void fake_dp_init(void)
{
	size_t size = (sizeof(struct mg_worker) + 63) / 64 * 64;
	unsigned i;

	memset(&fake_dp, 0, sizeof(fake_dp));
	for (i = 0; i < 2; i++) {
		fake_workers[i] = aligned_alloc(64, size);
		ck_assert_ptr_nonnull(fake_workers[i]);
		memset(fake_workers[i], 0, size);
		fake_workers[i]->idx = (uint16_t)i;
		fake_workers[i]->lcore_id = i + 1;
		fake_workers[i]->cnt.rx_packets = 100 + i;
		fake_workers[i]->cnt.drop_eth_runt = 7 * (i + 1);
		fake_dp.workers[i] = fake_workers[i];
	}
	fake_dp.n_workers = 2;
	fake_dp.net.n_ifaces = 1;
	snprintf(fake_dp.net.ifaces[0].name, sizeof(fake_dp.net.ifaces[0].name), "client");
}

static void srv_start(unsigned idle_ms)
{
	static const struct {
		const char *method, *path;
		mg_admin_handler fn;
	} routes[] = {
	    {"GET", "/hello", h_hello},
	    {"GET", "/echo", h_echo},
	    {"POST", "/post", h_echo},
	    {"PUT", "/post", h_echo},
	    {"GET", "/fail", h_fail},
	    {"GET", "/ready", h_unready},
	    {"GET", "/big", h_big},
	    {"GET", "/stats", mg_stats_handler_json},
	    {"GET", "/metrics", mg_stats_handler_prom},
	};
	unsigned i;

	fake_dp_init();
	srv = mg_admin_open("127.0.0.1", 0);
	ck_assert_ptr_nonnull(srv);
	srv_port = mg_admin_port(srv);
	ck_assert_uint_ne(srv_port, 0);
	mg_admin_set_idle_timeout(srv, idle_ms);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		ck_assert_int_eq(mg_admin_register(srv, routes[i].method, routes[i].path,
		                                   routes[i].fn, &fake_dp),
		                 0);
	srv_stop = 0;
	ck_assert_int_eq(pthread_create(&srv_thread, NULL, srv_main, NULL), 0);
}

static void srv_finish(void)
{
	__atomic_store_n(&srv_stop, 1, __ATOMIC_RELEASE);
	pthread_join(srv_thread, NULL);
	mg_admin_close(srv);
	srv = NULL;
	free(fake_workers[0]);
	free(fake_workers[1]);
}

static void setup(void)
{
	srv_start(MG_ADMIN_IDLE_MS);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- raw client ---- */

struct client {
	int fd;
	size_t len, cap;
	char *buf; /* received, not yet consumed; NUL-terminated */
};

struct response {
	int status;
	char head[4096];
	long content_length; /* -1 if absent */
	char *body;          /* into the client's buffer copy; NUL-terminated */
	size_t body_len;
};

/* Connect; rcvbuf > 0 shrinks the receive buffer (before connect, so the window stays small). */
static struct client *cl_open_rcvbuf(int rcvbuf)
{
	struct client *c = calloc(1, sizeof(*c));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(srv_port)};
	struct timeval tv = {.tv_sec = 5};

	ck_assert_ptr_nonnull(c);
	c->cap = 16384;
	c->buf = malloc(c->cap);
	ck_assert_ptr_nonnull(c->buf);
	c->buf[0] = '\0';
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return c;
}

static struct client *cl_open(void)
{
	return cl_open_rcvbuf(0);
}

static void cl_close(struct client *c)
{
	close(c->fd);
	free(c->buf);
	free(c);
}

static void cl_send(struct client *c, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

static void cl_puts(struct client *c, const char *s)
{
	cl_send(c, s, strlen(s));
}

/* Read more into the buffer; returns bytes read, 0 on EOF; fails on error or timeout. */
static size_t cl_fill(struct client *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		c->cap *= 2;
		c->buf = realloc(c->buf, c->cap);
		ck_assert_ptr_nonnull(c->buf);
	}
	n = recv(c->fd, c->buf + c->len, c->cap - 1 - c->len, 0);
	ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return (size_t)n;
}

/* Header value from a response head ("" if absent). */
static const char *hdr(const struct response *r, const char *name, char *out, size_t cap)
{
	char key[128];
	const char *p, *e;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	out[0] = '\0';
	p = strcasestr(r->head, key);
	if (p == NULL)
		return out;
	p += strlen(key);
	e = strstr(p, "\r\n");
	snprintf(out, cap, "%.*s", (int)(e - p), p);
	return out;
}

/* Read one response; a HEAD response has no body whatever Content-Length says. */
static void cl_response(struct client *c, struct response *r, bool head)
{
	char *end, v[64];
	size_t hl;

	while ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		ck_assert_msg(cl_fill(c) > 0, "EOF before a response head");
	hl = (size_t)(end - c->buf) + 4;
	ck_assert_uint_lt(hl, sizeof(r->head));
	memcpy(r->head, c->buf, hl);
	r->head[hl] = '\0';
	ck_assert_int_eq(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
	hdr(r, "Content-Length", v, sizeof(v));
	r->content_length = v[0] != '\0' ? atol(v) : -1;
	r->body_len = head || r->content_length < 0 ? 0 : (size_t)r->content_length;
	while (c->len < hl + r->body_len)
		ck_assert_msg(cl_fill(c) > 0, "EOF inside a body");
	r->body = malloc(r->body_len + 1);
	memcpy(r->body, c->buf + hl, r->body_len);
	r->body[r->body_len] = '\0';
	memmove(c->buf, c->buf + hl + r->body_len, c->len - hl - r->body_len + 1);
	c->len -= hl + r->body_len;
}

/* The server must have closed: EOF with nothing more, and no reset. */
static void cl_expect_eof(struct client *c)
{
	ck_assert_uint_eq(c->len, 0);
	ck_assert_uint_eq(cl_fill(c), 0);
}

static void resp_free(struct response *r)
{
	free(r->body);
	r->body = NULL;
}

/* One request on a fresh connection. */
static void request(const char *req, struct response *r, bool head)
{
	struct client *c = cl_open();

	cl_puts(c, req);
	cl_response(c, r, head);
	cl_close(c);
}

static char *run_cmd(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16, len = 0, n;
	char *out = malloc(cap + 1);
	int st;

	ck_assert_ptr_nonnull(f);
	while ((n = fread(out + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			out = realloc(out, cap + 1);
		}
	}
	out[len] = '\0';
	st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

/* ---- tests ---- */

START_TEST(test_curl_get)
{
	char cmd[256], *out;
	int rc;

	snprintf(cmd, sizeof(cmd), "curl -sS -i --max-time 5 http://127.0.0.1:%u/hello", srv_port);
	out = run_cmd(cmd, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Length: 6\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nConnection: keep-alive\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\nhello\n"));
	free(out);

	/* two URLs: curl reuses the connection, both answered */
	snprintf(cmd, sizeof(cmd),
	         "curl -sS --max-time 5 -w '%%{http_code} %%{num_connects}\\n' "
	         "http://127.0.0.1:%u/hello http://127.0.0.1:%u/echo?x=1",
	         srv_port, srv_port);
	out = run_cmd(cmd, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out,
	                 "hello\n200 1\nmethod=GET path=/echo query=x=1 head=0 minor=1\n200 0\n");
	free(out);

	/* HTTP/1.0 closes by default */
	snprintf(cmd, sizeof(cmd), "curl -sS -i --http1.0 --max-time 5 http://127.0.0.1:%u/hello",
	         srv_port);
	out = run_cmd(cmd, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "\r\nConnection: close\r\n"));
	free(out);

	/* 404 through curl (-f makes it exit 22) */
	snprintf(cmd, sizeof(cmd), "curl -sSf -o /dev/null --max-time 5 http://127.0.0.1:%u/x 2>&1",
	         srv_port);
	out = run_cmd(cmd, &rc);
	ck_assert_int_eq(rc, 22);
	free(out);
}
END_TEST

START_TEST(test_curl_stats)
{
	char cmd[512], *out;
	int rc;

	/* /stats: JSON with the fake workers' counters, the unreadable port reported as an error */
	snprintf(
	    cmd, sizeof(cmd),
	    "curl -sS -f --max-time 5 -D /dev/stderr http://127.0.0.1:%u/stats "
	    "2>/tmp/mgtest-admin-h.$$ | "
	    "python3 -c 'import json,sys; d=json.load(sys.stdin); "
	    "print(d[\"total\"][\"rx_packets\"], d[\"drops_total\"], d[\"drops\"][\"eth_runt\"], "
	    "d[\"workers\"][1][\"lcore\"], d[\"ports\"][0][\"name\"], \"error\" in "
	    "d[\"ports\"][0])' && "
	    "grep -i '^content-type: application/json' /tmp/mgtest-admin-h.$$ >/dev/null; "
	    "r=$?; rm -f /tmp/mgtest-admin-h.$$; exit $r",
	    srv_port);
	out = run_cmd(cmd, &rc);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
	ck_assert_str_eq(out, "201 21 21 2 client True\n");
	free(out);

	/* /metrics: promtool accepts it, and the content type is the 0.0.4 one */
	snprintf(
	    cmd, sizeof(cmd),
	    "curl -sS -f --max-time 5 -D /tmp/mgtest-admin-h.$$ http://127.0.0.1:%u/metrics | "
	    "%s check metrics && grep -i '^content-type: text/plain; version=0.0.4; "
	    "charset=utf-8' /tmp/mgtest-admin-h.$$ >/dev/null; r=$?; rm -f /tmp/mgtest-admin-h.$$; "
	    "exit $r",
	    srv_port, getenv("PROMTOOL") != NULL ? getenv("PROMTOOL") : "promtool");
	out = run_cmd(cmd, &rc);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
	free(out);
}
END_TEST

START_TEST(test_query_and_head)
{
	struct response r;
	char v[64];

	request("GET /echo?a=1&b=%20#x HTTP/1.1\r\nHost: t\r\n\r\n", &r, false);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "method=GET path=/echo query=a=1&b=%20#x head=0 minor=1\n");
	resp_free(&r);

	/* HEAD: the GET handler's length, no body (the next response must parse cleanly) */
	struct client *c = cl_open();

	cl_puts(c, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
	cl_response(c, &r, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.content_length, 6);
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "method=GET path=/echo query= head=0 minor=1\n");
	ck_assert_str_eq(hdr(&r, "Connection", v, sizeof(v)), "keep-alive");
	resp_free(&r);
	cl_close(c);
}
END_TEST

START_TEST(test_not_found_lists_endpoints)
{
	struct client *c = cl_open();
	struct response r;

	cl_puts(c, "GET /nope?x HTTP/1.1\r\nHost: t\r\n\r\n");
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(strstr(r.body, "  GET /hello\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "  GET /metrics\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "  POST /post\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "/nope"));
	resp_free(&r);
	/* a 404 keeps the connection */
	cl_puts(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	cl_close(c);
}
END_TEST

START_TEST(test_method_not_allowed)
{
	struct response r;
	char v[64];

	request("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r, false);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(hdr(&r, "Allow", v, sizeof(v)), "GET, HEAD");
	resp_free(&r);
	request("DELETE /post HTTP/1.1\r\nHost: t\r\n\r\n", &r, false);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(hdr(&r, "Allow", v, sizeof(v)), "POST, PUT");
	resp_free(&r);
	/* methods are case-sensitive */
	request("get /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r, false);
	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
}
END_TEST

START_TEST(test_handler_status)
{
	struct response r;

	request("GET /fail HTTP/1.1\r\nHost: t\r\n\r\n", &r, false);
	ck_assert_int_eq(r.status, 500);
	ck_assert_ptr_null(strstr(r.body, "partial"));
	resp_free(&r);
	request("GET /ready HTTP/1.1\r\nHost: t\r\n\r\n", &r, false);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "not ready\n");
	ck_assert_ptr_nonnull(strstr(r.head, "HTTP/1.1 503 Service Unavailable\r\n"));
	resp_free(&r);
}
END_TEST

/* Several requests in one segment, answered in order; the last asks to close. */
START_TEST(test_pipelining)
{
	struct client *c = cl_open();
	struct response r;
	char v[64];

	cl_puts(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
	           "GET /echo?1 HTTP/1.1\r\nHost: t\r\n\r\n"
	           "\r\n" /* a stray empty line between requests is ignored (RFC 9112 2.2) */
	           "HEAD /echo?2 HTTP/1.1\r\nHost: t\r\n\r\n"
	           "POST /post?3 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
	           "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
	           "GET /echo?4 HTTP/1.1\nHost: t\nConnection: close\n\n");
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "hello\n");
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "method=GET path=/echo query=1 head=0 minor=1\n");
	resp_free(&r);
	cl_response(c, &r, true);
	ck_assert_int_eq(r.content_length,
	                 (long)strlen("method=GET path=/echo query=2 head=1 minor=1\n"));
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "method=POST path=/post query=3 head=0 minor=1\n");
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "method=GET path=/echo query=4 head=0 minor=1\n");
	ck_assert_str_eq(hdr(&r, "Connection", v, sizeof(v)), "close");
	resp_free(&r);
	cl_expect_eof(c);
	cl_close(c);
}
END_TEST

START_TEST(test_http10)
{
	struct client *c = cl_open();
	struct response r;
	char v[64];

	cl_puts(c, "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "method=GET path=/echo query= head=0 minor=0\n");
	ck_assert_str_eq(hdr(&r, "Connection", v, sizeof(v)), "keep-alive");
	resp_free(&r);
	cl_puts(c, "GET /hello HTTP/1.0\r\n\r\n");
	cl_response(c, &r, false);
	ck_assert_str_eq(hdr(&r, "Connection", v, sizeof(v)), "close");
	resp_free(&r);
	cl_expect_eof(c);
	cl_close(c);
}
END_TEST

/* A request body is read and thrown away, even when it arrives in pieces. */
START_TEST(test_post_body)
{
	static char body[MG_ADMIN_MAX_BODY];
	struct client *c = cl_open();
	struct response r;
	char head[128];

	memset(body, 'b', sizeof(body));
	snprintf(head, sizeof(head),
	         "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", sizeof(body));
	cl_puts(c, head);
	cl_send(c, body, 1000);
	usleep(50000);
	cl_send(c, body, sizeof(body) - 1000);
	cl_puts(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "method=POST path=/post query= head=0 minor=1\n");
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_str_eq(r.body, "hello\n");
	resp_free(&r);
	cl_close(c);
}
END_TEST

static const struct {
	const char *req;
	int status;
} bad_requests[] = {
    {"GARBAGE\r\n\r\n", 400},
    {"GET /hello HTTP/1.1\r\n\r\n", 400}, /* HTTP/1.1 without Host */
    {"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"GET hello HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET http://t/hello HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET  /hello HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET /hello HTTP/1.1 \r\nHost: t\r\n\r\n", 400},
    {"GET /hello\r\n\r\n", 400},
    {"GET /hello HTTX/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET /hello HTTP/2.0\r\nHost: t\r\n\r\n", 505},
    {"GET /hello HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n", 400},
    {"GET /hello HTTP/1.1\r\nHost : t\r\n\r\n", 400},
    {"GET /hello HTTP/1.1\r\nHost: t\r\n folded: x\r\n\r\n", 400},
    {"GET /hello HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400},
    {"GET /hello HTTP/1.1\r\nHost: t\r\nX: a\x01\r\n\r\n", 400},
    {"GET /he\x7fllo HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 400},
    {"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 5x\r\n\r\n", 400},
    {"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400},
    {"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
    {"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
    {"POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 65537\r\n\r\n", 413},
    {"POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
};

/* Each malformed request gets its status, "Connection: close", and a clean close. */
START_TEST(test_bad_request)
{
	struct client *c = cl_open();
	struct response r;
	char v[64];

	cl_puts(c, bad_requests[_i].req);
	cl_response(c, &r, false);
	ck_assert_msg(r.status == bad_requests[_i].status, "case %d: status %d, want %d", _i,
	              r.status, bad_requests[_i].status);
	ck_assert_str_eq(hdr(&r, "Connection", v, sizeof(v)), "close");
	resp_free(&r);
	cl_expect_eof(c);
	cl_close(c);
}
END_TEST

/* An embedded NUL cannot be written as a C string literal above. */
START_TEST(test_bad_request_nul)
{
	static const char req[] = "GET /hello HTTP/1.1\r\nHost: t\0x\r\n\r\n";
	struct client *c = cl_open();
	struct response r;

	cl_send(c, req, sizeof(req) - 1);
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	cl_expect_eof(c);
	cl_close(c);
}
END_TEST

/* "GET /hello ..." padded with one header to exactly len bytes of head. */
static void padded_head(char *req, size_t len)
{
	const char *pre = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Pad: ";
	size_t n = strlen(pre);

	memcpy(req, pre, n);
	memset(req + n, 'a', len - n - 4);
	memcpy(req + len - 4, "\r\n\r\n", 5);
	ck_assert_uint_eq(strlen(req), len);
}

/* A head of exactly MG_ADMIN_MAX_HEAD bytes is served; one byte more is 431. */
START_TEST(test_head_limit)
{
	static char req[MG_ADMIN_MAX_HEAD + 64 * 1024];
	struct response r;
	struct client *c;

	padded_head(req, MG_ADMIN_MAX_HEAD);
	request(req, &r, false);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);

	padded_head(req, MG_ADMIN_MAX_HEAD + 1);
	c = cl_open();
	cl_puts(c, req);
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 431);
	resp_free(&r);
	cl_expect_eof(c);
	cl_close(c);

	/* far beyond the limit: the server answers without reading it all, and the
	 * unread rest must not turn into a reset that eats the response */
	padded_head(req, sizeof(req) - 1);
	c = cl_open();
	cl_puts(c, req);
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 431);
	resp_free(&r);
	cl_expect_eof(c);
	cl_close(c);
}
END_TEST

struct slow_arg {
	struct client *c;
	unsigned delay_us;
};

static void *slow_sender(void *arg)
{
	static const char req[] = "GET /echo?slow HTTP/1.1\r\nHost: t\r\n\r\n";
	struct slow_arg *a = arg;
	size_t i;

	for (i = 0; i < sizeof(req) - 1; i++) {
		cl_send(a->c, &req[i], 1);
		usleep(a->delay_us);
	}
	return NULL;
}

/* A client trickling one byte at a time, and one that never reads its big
 * response, must not delay anyone else. */
START_TEST(test_slow_clients)
{
	struct slow_arg sa = {.c = cl_open(), .delay_us = 50000};
	struct client *stuck = cl_open_rcvbuf(4096);
	uint64_t t0, worst = 0, dt;
	struct response r;
	pthread_t th;
	unsigned i;

	cl_puts(stuck, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
	/* Wait for its head: building the body is the handler's time, not the point here. */
	while (strstr(stuck->buf, "\r\n\r\n") == NULL)
		ck_assert_uint_gt(cl_fill(stuck), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, slow_sender, &sa), 0);
	for (i = 0; i < 30; i++) {
		t0 = ms_now();
		request("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r, false);
		dt = ms_now() - t0;
		worst = dt > worst ? dt : worst;
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
		usleep(10000);
	}
	/* Blocking on either client would cost seconds (the trickle takes ~1.9 s). */
	ck_assert_msg(worst < 500, "a request took %llu ms", (unsigned long long)worst);
	pthread_join(th, NULL);
	cl_response(sa.c, &r, false);
	ck_assert_str_eq(r.body, "method=GET path=/echo query=slow head=0 minor=1\n");
	resp_free(&r);
	cl_close(sa.c);

	/* the stalled reader still gets its whole response once it reads */
	cl_response(stuck, &r, false);
	ck_assert_uint_eq(r.body_len, BIG_LEN);
	ck_assert(memcmp(r.body, "0000000\n0000001\n", 16) == 0);
	ck_assert(memcmp(r.body + BIG_LEN - 8, "1048575\n", 8) == 0);
	resp_free(&r);
	cl_close(stuck);
}
END_TEST

/* Idle keep-alive connections close; a half-sent request gets 408 first. */
START_TEST(test_idle_timeout)
{
	struct client *idle, *partial, *after;
	struct response r;
	uint64_t t0;

	srv_start(300);
	t0 = ms_now();
	idle = cl_open();
	partial = cl_open();
	after = cl_open();
	cl_puts(partial, "GET /hel");
	cl_puts(after, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cl_response(after, &r, false);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	cl_expect_eof(idle);
	ck_assert_uint_ge(ms_now() - t0, 250);
	cl_response(partial, &r, false);
	ck_assert_int_eq(r.status, 408);
	resp_free(&r);
	cl_expect_eof(partial);
	cl_expect_eof(after);
	cl_close(partial);
	/* a trickle does not extend a request's deadline forever */
	t0 = ms_now();
	partial = cl_open();
	while (ms_now() - t0 < 3000) {
		if (send(partial->fd, "X", 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(50000);
	}
	ck_assert_uint_lt(ms_now() - t0, 2000);
	cl_close(idle);
	cl_close(partial);
	cl_close(after);
	srv_finish();
}
END_TEST

/* Past MG_ADMIN_MAX_CONNS the longest-idle connection makes room. */
START_TEST(test_connection_limit)
{
	struct client *c[MG_ADMIN_MAX_CONNS + 1];
	struct response r;
	unsigned i;

	for (i = 0; i < MG_ADMIN_MAX_CONNS; i++) {
		c[i] = cl_open();
		cl_puts(c[i], "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
		cl_response(c[i], &r, false);
		resp_free(&r);
		usleep(2000);
	}
	c[i] = cl_open();
	cl_puts(c[i], "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cl_response(c[i], &r, false);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	cl_expect_eof(c[0]);
	/* the others are still open */
	for (i = 1; i <= MG_ADMIN_MAX_CONNS; i++) {
		cl_puts(c[i], "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
		cl_response(c[i], &r, false);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	for (i = 0; i <= MG_ADMIN_MAX_CONNS; i++)
		cl_close(c[i]);
}
END_TEST

static int h_nop(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	(void)arg;
	(void)req;
	(void)resp;
	return 0;
}

START_TEST(test_api_errors)
{
	struct mg_admin *a, *b;
	char path[32];
	unsigned i;

	errno = 0;
	ck_assert_ptr_null(mg_admin_open("not-an-address", 0));
	ck_assert_int_eq(errno, EINVAL);
	a = mg_admin_open(NULL, 0);
	ck_assert_ptr_nonnull(a);
	b = mg_admin_open("127.0.0.1", mg_admin_port(a));
	ck_assert_ptr_null(b);
	ck_assert_int_eq(errno, EADDRINUSE);

	ck_assert_int_eq(mg_admin_register(a, "GET", "/x", h_nop, NULL), 0);
	ck_assert_int_eq(mg_admin_register(a, "GET", "/x", h_nop, NULL), -EEXIST);
	ck_assert_int_eq(mg_admin_register(a, "POST", "/x", h_nop, NULL), 0);
	ck_assert_int_eq(mg_admin_register(a, "GET", "x", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(mg_admin_register(a, "GET", "/x?y", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(mg_admin_register(a, "G T", "/y", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(mg_admin_register(a, "", "/y", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(mg_admin_register(a, "GET", "/y", NULL, NULL), -EINVAL);
	for (i = 2; i < MG_ADMIN_MAX_ROUTES; i++) {
		snprintf(path, sizeof(path), "/r%u", i);
		ck_assert_int_eq(mg_admin_register(a, "GET", path, h_nop, NULL), 0);
	}
	ck_assert_int_eq(mg_admin_register(a, "GET", "/full", h_nop, NULL), -ENOSPC);
	mg_admin_close(a);
	mg_admin_close(NULL);

	/* IPv6 loopback works too */
	a = mg_admin_open("::1", 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_ne(mg_admin_port(a), 0);
	mg_admin_close(a);
}
END_TEST

/* Driven by hand, without the thread: poll returns the number of requests answered. */
START_TEST(test_poll_count)
{
	struct client *c;
	struct response r;
	int served = 0, i;

	srv = mg_admin_open("127.0.0.1", 0);
	ck_assert_ptr_nonnull(srv);
	srv_port = mg_admin_port(srv);
	ck_assert_int_eq(mg_admin_register(srv, "GET", "/hello", h_hello, NULL), 0);
	ck_assert_int_eq(mg_admin_poll(srv, 0), 0);
	c = cl_open();
	cl_puts(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
	for (i = 0; i < 50 && served < 2; i++)
		served += mg_admin_poll(srv, 100);
	ck_assert_int_eq(served, 2);
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	cl_response(c, &r, false);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	/* nothing happening: a poll with a timeout waits about that long and serves nothing */
	uint64_t t0 = ms_now();

	ck_assert_int_eq(mg_admin_poll(srv, 100), 0);
	ck_assert_uint_ge(ms_now() - t0, 90);
	cl_close(c);
	mg_admin_close(srv);
}
END_TEST

static Suite *admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("http");
	TCase *own = tcase_create("own_server");

	tcase_add_checked_fixture(tc, setup, srv_finish);
	tcase_add_test(tc, test_curl_get);
	tcase_add_test(tc, test_curl_stats);
	tcase_add_test(tc, test_query_and_head);
	tcase_add_test(tc, test_not_found_lists_endpoints);
	tcase_add_test(tc, test_method_not_allowed);
	tcase_add_test(tc, test_handler_status);
	tcase_add_test(tc, test_pipelining);
	tcase_add_test(tc, test_http10);
	tcase_add_test(tc, test_post_body);
	tcase_add_loop_test(tc, test_bad_request, 0,
	                    (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	tcase_add_test(tc, test_bad_request_nul);
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_slow_clients);
	tcase_add_test(tc, test_connection_limit);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tcase_add_test(own, test_idle_timeout);
	tcase_add_test(own, test_api_errors);
	tcase_add_test(own, test_poll_count);
	tcase_set_timeout(own, 60);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(admin_suite());
	int n_failed;

	srunner_run_all(sr, CK_NORMAL);
	n_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return n_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
