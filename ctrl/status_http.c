/*
 * status_http.c — see status_http.h.
 */
#include "ctrl/status_http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctrl/evloop.h"
#include "ctrl/net.h"

#define REQ_MAX   8192
#define MAX_CONNS 64
#define IDLE_SEC  10

struct hconn {
	struct mg_ev ev; /* first */
	struct hconn *next;
	struct mg_status_http *h;
	time_t since;
	char req[REQ_MAX];
	size_t req_len;
	char *out; /* the whole answer, once the request is in */
	size_t out_len, out_off;
};

struct mg_status_http {
	struct mg_ev ev; /* the listener */
	int epfd;
	unsigned n;
	struct hconn *conns;
	mg_status_page_fn fn;
	void *arg;
};

static void hconn_close(struct hconn *c)
{
	for (struct hconn **pp = &c->h->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->h->n--;
	close(c->ev.fd);
	free(c->out);
	free(c);
}

static const char *reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

/* Build the answer to the request in c->req. */
static void answer(struct hconn *c)
{
	char method[16], path[1024], *body = NULL;
	const char *ctype = "text/plain";
	size_t blen = 0;
	int code;
	FILE *f = open_memstream(&body, &blen);

	if (f == NULL)
		return;
	if (sscanf(c->req, "%15s %1023s HTTP/1.%*d", method, path) != 2) {
		code = 400;
		fputs("bad request\n", f);
	} else if (strcmp(method, "GET") != 0) {
		code = 405;
		fputs("GET only\n", f);
	} else {
		code = c->h->fn(c->h->arg, path, f, &ctype);
	}
	fclose(f);
	if (body == NULL)
		return;
	if (asprintf(&c->out,
	             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n%s",
	             code, reason(code), ctype, blen, body) < 0)
		c->out = NULL;
	else
		c->out_len = strlen(c->out);
	free(body);
}

static void hconn_event(struct mg_ev *ev, uint32_t events)
{
	struct hconn *c = (struct hconn *)ev;

	if (c->out == NULL && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		ssize_t n = recv(c->ev.fd, c->req + c->req_len, REQ_MAX - 1 - c->req_len, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			hconn_close(c);
			return;
		}
		if (n > 0)
			c->req_len += (size_t)n;
		c->req[c->req_len] = '\0';
		if (strstr(c->req, "\r\n\r\n") == NULL && strstr(c->req, "\n\n") == NULL) {
			if (c->req_len >= REQ_MAX - 1)
				hconn_close(c); /* too large: not ours to parse */
			return;
		}
		answer(c);
		if (c->out == NULL) {
			hconn_close(c);
			return;
		}
		(void)mg_ev_ctl(c->h->epfd, EPOLL_CTL_MOD, &c->ev, EPOLLOUT);
	}
	if (c->out != NULL) {
		ssize_t n =
		    send(c->ev.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			c->out_off += (size_t)n;
		if (n <= 0 || c->out_off == c->out_len)
			hconn_close(c);
	}
}

static void accept_event(struct mg_ev *ev, uint32_t events)
{
	struct mg_status_http *h = (struct mg_status_http *)ev;
	time_t now = time(NULL);
	struct hconn *c, *next;
	int fd;

	(void)events;
	fd = accept4(h->ev.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (c = h->conns; c != NULL; c = next) {
		next = c->next;
		if (now - c->since > IDLE_SEC)
			hconn_close(c);
	}
	if (h->n >= MAX_CONNS || (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ev.fn = hconn_event;
	c->ev.fd = fd;
	c->h = h;
	c->since = now;
	if (mg_ev_ctl(h->epfd, EPOLL_CTL_ADD, &c->ev, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = h->conns;
	h->conns = c;
	h->n++;
}

struct mg_status_http *mg_status_http_new(int epfd, const char *addr, mg_status_page_fn fn,
                                          void *arg)
{
	struct mg_status_http *h = calloc(1, sizeof(*h));
	int fd, rc;

	if (h == NULL)
		return NULL;
	fd = mg_ctrl_listen(addr);
	if (fd < 0) {
		free(h);
		errno = -fd;
		return NULL;
	}
	h->ev.fn = accept_event;
	h->ev.fd = fd;
	h->epfd = epfd;
	h->fn = fn;
	h->arg = arg;
	rc = mg_ev_ctl(epfd, EPOLL_CTL_ADD, &h->ev, EPOLLIN);
	if (rc < 0) {
		close(fd);
		free(h);
		errno = -rc;
		return NULL;
	}
	return h;
}

unsigned mg_status_http_port(const struct mg_status_http *h)
{
	return mg_ctrl_local_port(h->ev.fd);
}

void mg_status_http_free(struct mg_status_http *h)
{
	if (h == NULL)
		return;
	while (h->conns != NULL)
		hconn_close(h->conns);
	close(h->ev.fd);
	free(h);
}
