/*
 * ads_server.c — see ads_server.h.
 *
 * Ownership: a connection owns its nghttp2 session and its streams (a list,
 * because nghttp2_session_del() frees its own streams without calling
 * on_stream_close); a stream owns its reassembly buffer, its queue of
 * framed responses and its xDS state.  Responses are framed into the
 * queue when they are decided and copied out by nghttp2's data callback,
 * which defers (NGHTTP2_ERR_DEFERRED) while the queue is empty: an ADS
 * response body never ends until the stream does.
 */
#include "ctrl/ads_server.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "ctrl/ads_state.h"
#include "ctrl/evloop.h"
#include "ctrl/net.h"
#include "xds/grpc.h"

#define IDENTIFIER "meshgate-ctrl " MG_VERSION

/* More connections than this are closed at accept: each costs a socket. */
#define MAX_CONNS 1000
/* A peer that leaves this much of our output unread is dropped. */
#define MAX_OUTQ (64u << 20)
/* Concurrent streams per connection (a gateway needs one). */
#define MAX_STREAMS 16
/* A connection that opened no ADS stream this long after accept is closed. */
#define IDLE_SEC 30

struct conn;

struct stream {
	struct stream *next;
	struct conn *c;
	int32_t id;
	bool method_post, path_ads, ctype_grpc, bad_header;
	bool ads;     /* an accepted ADS stream with a response open */
	bool closing; /* trailers are due once the queue is empty */
	bool trailers_sent;
	bool remote_closed;
	int status;        /* grpc-status of the trailers */
	char message[160]; /* grpc-message, plain (encoded when sent) */
	struct mg_grpc_rx rx;
	uint8_t *q; /* framed responses not yet given to nghttp2 */
	size_t q_len, q_off, q_cap;
	struct mg_ads_stream st;
};

struct conn {
	struct mg_ev ev; /* first: the epoll entry */
	struct conn *next;
	struct mg_ads_server *srv;
	nghttp2_session *h2;
	struct stream *streams;
	char peer[64];
	bool dead;
	bool had_ads;          /* an ADS stream was opened: a gateway, kept however quiet */
	time_t since;          /* accepted at */
	uint64_t last_rx_ms;   /* monotonic time of the last byte from the peer */
	uint64_t ping_sent_ms; /* a keepalive PING is unanswered since; 0: none */
	uint32_t events;
};

struct mg_ads_server {
	struct mg_ev ev; /* the listener */
	int epfd;
	size_t max_msg;
	unsigned n_conns;
	struct conn *conns;
	struct mg_ads_snapshot *snap;
	struct mg_ads_server_stats stats;
	struct mg_ev ka;         /* the keepalive timerfd; fd -1 when off */
	uint32_t ka_interval_ms; /* quiet time before a PING */
	uint32_t ka_timeout_ms;  /* time to answer it */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- streams ---- */

static struct stream *stream_of(struct conn *c, int32_t id)
{
	for (struct stream *s = c->streams; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void stream_free(struct conn *c, struct stream *s)
{
	for (struct stream **pp = &c->streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->ads && s->st.has_node)
		mg_ctrl_log("disconnect node=%s peer=%s stream=%d", s->st.node_id, c->peer, s->id);
	if (s->ads)
		mg_ads_stream_fini(&s->st);
	mg_grpc_rx_fini(&s->rx);
	free(s->q);
	free(s);
}

static int queue_put(struct stream *s, const uint8_t *p, size_t n)
{
	if (s->q_off > 0 && s->q_off == s->q_len)
		s->q_off = s->q_len = 0;
	if (s->q_len + n > s->q_cap) {
		size_t cap = s->q_cap ? s->q_cap : 4096;
		uint8_t *nq;

		while (cap < s->q_len + n)
			cap *= 2;
		if (cap - s->q_off > MAX_OUTQ)
			return -ENOBUFS;
		nq = realloc(s->q, cap);
		if (nq == NULL)
			return -ENOMEM;
		s->q = nq;
		s->q_cap = cap;
	}
	memcpy(s->q + s->q_len, p, n);
	s->q_len += n;
	return 0;
}

/* End the stream with trailers (status, msg) once what is queued is sent. */
static void stream_finish(struct stream *s, int status, const char *msg)
{
	if (s->closing)
		return;
	s->closing = true;
	s->status = status;
	snprintf(s->message, sizeof(s->message), "%s", msg);
	nghttp2_session_resume_data(s->c->h2, s->id);
}

/* Frame and queue every due response of the stream. */
static void stream_pump(struct stream *s)
{
	struct mg_ads_response r;
	int rc;

	while (!s->closing && (rc = mg_ads_stream_next(&s->st, IDENTIFIER, &r)) == 1) {
		uint8_t *buf;
		size_t len;

		rc = mg_grpc_frame(&r.msg.base, &buf, &len);
		if (rc == 0) {
			rc = queue_put(s, buf, len);
			free(buf);
		}
		if (rc == 0) {
			s->c->srv->stats.pushes++;
			mg_ctrl_log(
			    "push node=%s type=%s version=%s nonce=%s resources=%zu bytes=%zu",
			    s->st.node_id, mg_ads_type_name(r.type), r.version, r.nonce,
			    r.msg.n_resources, len);
		}
		mg_ads_response_fini(&r);
		if (rc < 0) {
			mg_ctrl_log("node=%s: cannot queue a response: %s", s->st.node_id,
			            strerror(-rc));
			stream_finish(s, MG_GRPC_RESOURCE_EXHAUSTED, "response queue full");
			return;
		}
	}
	nghttp2_session_resume_data(s->c->h2, s->id);
}

/* One decoded message of an ADS stream. */
static void stream_on_message(struct stream *s, const uint8_t *msg, size_t len)
{
	struct mg_ads_server *srv = s->c->srv;
	Envoy__Service__Discovery__V3__DiscoveryRequest *req;
	enum mg_ads_req_kind kind;
	enum mg_ads_type type;
	bool first = !s->st.has_node;
	int rc;

	req = envoy__service__discovery__v3__discovery_request__unpack(NULL, len, msg);
	if (req == NULL) {
		srv->stats.bad_requests++;
		mg_ctrl_log("peer=%s stream=%d: not a DiscoveryRequest (%zu bytes)", s->c->peer,
		            s->id, len);
		stream_finish(s, MG_GRPC_INVALID_ARGUMENT, "message is not a DiscoveryRequest");
		return;
	}
	rc = mg_ads_stream_on_request(&s->st, req, &kind, &type);
	if (first && s->st.has_node)
		mg_ctrl_log("connect node=%s cluster=%s peer=%s stream=%d", s->st.node_id,
		            s->st.node_cluster, s->c->peer, s->id);
	if (rc == -EINVAL) {
		srv->stats.bad_requests++;
		mg_ctrl_log("peer=%s stream=%d: first request has no node id", s->c->peer, s->id);
		stream_finish(s, MG_GRPC_INVALID_ARGUMENT, "the first request must name its node");
	} else if (rc == -ENOENT) {
		mg_ctrl_log("node=%s: type %s not served, ignored", s->st.node_id, req->type_url);
	} else if (rc < 0) {
		stream_finish(s, MG_GRPC_INTERNAL, "out of memory");
	} else {
		const struct mg_ads_type_state *ts = &s->st.t[type];

		if (kind == MG_ADS_REQ_ACK)
			srv->stats.acks++;
		else if (kind == MG_ADS_REQ_NACK)
			srv->stats.nacks++;
		else if (kind == MG_ADS_REQ_STALE)
			srv->stats.stale++;
		if (kind == MG_ADS_REQ_NACK)
			mg_ctrl_log("NACK node=%s type=%s version=%s nonce=%s error=\"%s\"",
			            s->st.node_id, mg_ads_type_name(type), ts->nack_version,
			            req->response_nonce, ts->nack);
		else
			mg_ctrl_log("%s node=%s type=%s version=%s nonce=%s names=%zu",
			            mg_ads_req_kind_name(kind), s->st.node_id,
			            mg_ads_type_name(type), req->version_info, req->response_nonce,
			            req->n_resource_names);
		stream_pump(s);
	}
	envoy__service__discovery__v3__discovery_request__free_unpacked(req, NULL);
}

/* ---- nghttp2 callbacks ---- */

static ssize_t cb_send(nghttp2_session *h2, const uint8_t *data, size_t len, int flags, void *user)
{
	struct conn *c = user;
	ssize_t n;

	(void)h2;
	(void)flags;
	n = send(c->ev.fd, data, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
		           ? NGHTTP2_ERR_WOULDBLOCK
		           : NGHTTP2_ERR_CALLBACK_FAILURE;
	return n;
}

static int cb_begin_headers(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct conn *c = user;
	struct stream *s;

	(void)h2;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	s->c = c;
	s->id = f->hd.stream_id;
	mg_grpc_rx_init(&s->rx, c->srv->max_msg);
	s->next = c->streams;
	c->streams = s;
	return 0;
}

static bool eq(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

static int cb_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
	struct stream *s;

	(void)h2;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = stream_of(user, f->hd.stream_id);
	if (s == NULL)
		return 0;
	if (eq(name, namelen, ":method"))
		s->method_post = eq(value, valuelen, "POST");
	else if (eq(name, namelen, ":path"))
		s->path_ads = eq(value, valuelen, MG_GRPC_ADS_PATH);
	else if (eq(name, namelen, "content-type"))
		s->ctype_grpc =
		    valuelen >= strlen(MG_GRPC_CONTENT_TYPE) &&
		    memcmp(value, MG_GRPC_CONTENT_TYPE, strlen(MG_GRPC_CONTENT_TYPE)) == 0 &&
		    (valuelen == strlen(MG_GRPC_CONTENT_TYPE) ||
		     value[strlen(MG_GRPC_CONTENT_TYPE)] == '+' ||
		     value[strlen(MG_GRPC_CONTENT_TYPE)] == ';');
	else if (eq(name, namelen, "grpc-encoding"))
		s->bad_header = !eq(value, valuelen, "identity");
	return 0;
}

static ssize_t cb_read(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t len,
                       uint32_t *data_flags, nghttp2_data_source *src, void *user)
{
	struct stream *s = src->ptr;
	size_t n = s->q_len - s->q_off;

	(void)user;
	if (n > 0) {
		if (n > len)
			n = len;
		memcpy(buf, s->q + s->q_off, n);
		s->q_off += n;
		return (ssize_t)n;
	}
	if (!s->closing)
		return NGHTTP2_ERR_DEFERRED;
	*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	if (!s->trailers_sent) {
		char st[12], msg[sizeof(s->message) * 3];
		nghttp2_nv nv[2] = {
		    {(uint8_t *)"grpc-status", (uint8_t *)st, 11, 0, NGHTTP2_NV_FLAG_NONE},
		    {(uint8_t *)"grpc-message", (uint8_t *)msg, 12, 0, NGHTTP2_NV_FLAG_NONE},
		};

		snprintf(st, sizeof(st), "%d", s->status);
		mg_grpc_message_encode(s->message, msg, sizeof(msg));
		nv[0].valuelen = strlen(st);
		nv[1].valuelen = strlen(msg);
		if (nghttp2_submit_trailer(h2, id, nv, msg[0] != '\0' ? 2 : 1) == 0)
			*data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
		s->trailers_sent = true;
	}
	return 0;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE \
	}

/* The request's headers are complete: answer or open the ADS stream. */
static int stream_start(struct conn *c, struct stream *s)
{
	nghttp2_data_provider prd = {.source.ptr = s, .read_callback = cb_read};
	nghttp2_nv ok[] = {NV(":status", "200"), NV("content-type", "application/grpc")};

	if (!s->method_post || !s->ctype_grpc) {
		/* Not gRPC at all: plain HTTP's answers, as PROTOCOL-HTTP2 asks. */
		nghttp2_nv nv[] = {NV(":status", "405"), NV("content-type", "text/plain")};

		if (s->method_post)
			nv[0] = (nghttp2_nv)NV(":status", "415");
		c->srv->stats.bad_requests++;
		return nghttp2_submit_response(c->h2, s->id, nv, 2, NULL);
	}
	if (!s->path_ads || s->bad_header) {
		/* gRPC's Trailers-Only answer: status and message in the headers. */
		char msg[256];
		nghttp2_nv nv[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
		                   NV("grpc-status", "12"), NV("grpc-message", "")};

		mg_grpc_message_encode(s->bad_header
		                           ? "grpc-encoding not supported"
		                           : "meshgate-ctrl serves only " MG_GRPC_ADS_PATH,
		                       msg, sizeof(msg));
		nv[3].value = (uint8_t *)msg;
		nv[3].valuelen = strlen(msg);
		c->srv->stats.bad_requests++;
		return nghttp2_submit_response(c->h2, s->id, nv, 4, NULL);
	}
	s->ads = true;
	c->had_ads = true;
	mg_ads_stream_init(&s->st, c->srv->snap);
	c->srv->stats.streams++;
	return nghttp2_submit_response(c->h2, s->id, ok, 2, &prd);
}

static int cb_frame_recv(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct conn *c = user;
	struct stream *s = stream_of(c, f->hd.stream_id);

	(void)h2;
	if (s == NULL)
		return 0;
	if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	    stream_start(c, s) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && s->ads && !s->remote_closed) {
		/* The client half-closed: it will ask for nothing more. */
		s->remote_closed = true;
		if (mg_grpc_rx_partial(&s->rx))
			stream_finish(s, MG_GRPC_INVALID_ARGUMENT, "stream ended inside a message");
		else
			stream_finish(s, MG_GRPC_OK, "");
	}
	return 0;
}

static int cb_data(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *user)
{
	struct conn *c = user;
	struct stream *s = stream_of(c, id);
	const uint8_t *msg;
	size_t mlen;
	int rc;

	(void)h2;
	(void)flags;
	if (s == NULL || !s->ads || s->closing)
		return 0; /* data for an answered or ending stream: dropped */
	rc = mg_grpc_rx_feed(&s->rx, data, len);
	while (rc == 0 && !s->closing && (rc = mg_grpc_rx_next(&s->rx, &msg, &mlen)) == 1) {
		stream_on_message(s, msg, mlen);
		rc = 0;
	}
	if (rc < 0 && !s->closing) {
		c->srv->stats.bad_requests++;
		mg_ctrl_log("peer=%s stream=%d: %s", c->peer, id,
		            rc == -EMSGSIZE ? "message too large" : "bad gRPC framing");
		if (rc == -EMSGSIZE)
			stream_finish(s, MG_GRPC_RESOURCE_EXHAUSTED,
			              "message larger than the limit");
		else if (rc == -EPROTO)
			stream_finish(s, MG_GRPC_UNIMPLEMENTED,
			              "compressed messages not supported");
		else
			stream_finish(s, MG_GRPC_INTERNAL, "out of memory");
	}
	return 0;
}

/*
 * After our END_STREAM (trailers, or a Trailers-Only answer) on a stream the
 * client is still sending on, RST_STREAM(NO_ERROR) tells it to stop, as
 * grpc-core's server does: else a rejected upload keeps flowing and the
 * stream keeps a slot of MAX_STREAMS.
 */
static int cb_frame_send(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	(void)user;
	if (f->hd.type == NGHTTP2_HEADERS && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    nghttp2_session_get_stream_remote_close(h2, f->hd.stream_id) == 0)
		(void)nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, f->hd.stream_id,
		                                NGHTTP2_NO_ERROR);
	return 0;
}

static int cb_stream_close(nghttp2_session *h2, int32_t id, uint32_t error_code, void *user)
{
	struct conn *c = user;
	struct stream *s = stream_of(c, id);

	(void)h2;
	(void)error_code;
	if (s != NULL)
		stream_free(c, s);
	return 0;
}

/* ---- connections ---- */

static void conn_close(struct conn *c)
{
	struct mg_ads_server *srv = c->srv;

	for (struct conn **pp = &srv->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	while (c->streams != NULL)
		stream_free(c, c->streams);
	nghttp2_session_del(c->h2);
	close(c->ev.fd);
	srv->n_conns--;
	free(c);
}

/* Give nghttp2 the chance to write; close the connection when it is done. */
static void conn_flush(struct conn *c)
{
	uint32_t want;

	if (!c->dead && nghttp2_session_send(c->h2) != 0)
		c->dead = true;
	if (c->dead || (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))) {
		conn_close(c);
		return;
	}
	want = EPOLLIN | (nghttp2_session_want_write(c->h2) ? EPOLLOUT : 0);
	if (want != c->events && mg_ev_ctl(c->srv->epfd, EPOLL_CTL_MOD, &c->ev, want) == 0)
		c->events = want;
}

static void conn_event(struct mg_ev *ev, uint32_t events)
{
	struct conn *c = (struct conn *)ev;
	uint8_t buf[16384];

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(c->ev.fd, buf, sizeof(buf), 0);

		if (n > 0) { /* alive: a PING ACK or anything else */
			c->last_rx_ms = now_ms();
			c->ping_sent_ms = 0;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->dead = true;
		else if (n > 0 && nghttp2_session_mem_recv(c->h2, buf, (size_t)n) < 0) {
			mg_ctrl_log("peer=%s: HTTP/2 protocol error, closing", c->peer);
			/* Let nghttp2 send its GOAWAY before the close. */
			nghttp2_session_terminate_session(c->h2, NGHTTP2_PROTOCOL_ERROR);
			(void)nghttp2_session_send(c->h2);
			c->dead = true;
		}
	}
	conn_flush(c);
}

static nghttp2_session_callbacks *callbacks(void)
{
	static nghttp2_session_callbacks *cbs;

	if (cbs == NULL && nghttp2_session_callbacks_new(&cbs) == 0) {
		nghttp2_session_callbacks_set_send_callback(cbs, cb_send);
		nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, cb_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
		nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data);
		nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
		nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_frame_send);
	}
	return cbs;
}

static void accept_event(struct mg_ev *ev, uint32_t events)
{
	struct mg_ads_server *srv = (struct mg_ads_server *)ev;
	nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS}};
	struct conn *c;
	int fd;

	(void)events;
	fd = accept4(srv->ev.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/*
	 * Connections that never opened an ADS stream (no preface, a port scan,
	 * a slow loris) are swept here rather than by a timer: they only matter
	 * when they crowd out new ones.
	 */
	for (struct conn *o = srv->conns, *next; o != NULL; o = next) {
		next = o->next;
		if (!o->had_ads && time(NULL) - o->since > IDLE_SEC)
			conn_close(o);
	}
	if (srv->n_conns >= MAX_CONNS || callbacks() == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ev.fn = conn_event;
	c->ev.fd = fd;
	c->srv = srv;
	c->events = EPOLLIN;
	c->since = time(NULL);
	c->last_rx_ms = now_ms();
	mg_ctrl_peer_name(fd, c->peer, sizeof(c->peer));
	if (nghttp2_session_server_new(&c->h2, callbacks(), c) != 0 ||
	    nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 1) != 0 ||
	    mg_ev_ctl(srv->epfd, EPOLL_CTL_ADD, &c->ev, EPOLLIN) < 0) {
		if (c->h2 != NULL)
			nghttp2_session_del(c->h2);
		free(c);
		close(fd);
		return;
	}
	c->next = srv->conns;
	srv->conns = c;
	srv->n_conns++;
	srv->stats.connections++;
	conn_flush(c);
}

/* ---- the server ---- */

struct mg_ads_server *mg_ads_server_new(int epfd, const char *addr, struct mg_ads_snapshot *snap,
                                        size_t max_msg)
{
	struct mg_ads_server *srv = calloc(1, sizeof(*srv));
	int fd, rc;

	if (srv == NULL)
		return NULL;
	fd = mg_ctrl_listen(addr);
	if (fd < 0) {
		free(srv);
		errno = -fd;
		return NULL;
	}
	srv->ev.fn = accept_event;
	srv->ev.fd = fd;
	srv->ka.fd = -1;
	srv->epfd = epfd;
	srv->max_msg = max_msg ? max_msg : MG_GRPC_MAX_MSG_DEFAULT;
	rc = mg_ev_ctl(epfd, EPOLL_CTL_ADD, &srv->ev, EPOLLIN);
	if (rc < 0) {
		close(fd);
		free(srv);
		errno = -rc;
		return NULL;
	}
	srv->snap = mg_ads_snapshot_ref(snap);
	return srv;
}

/* The keepalive timer: PING the quiet, close the silent. */
static void keepalive_event(struct mg_ev *ev, uint32_t events)
{
	struct mg_ads_server *srv =
	    (struct mg_ads_server *)((char *)ev - offsetof(struct mg_ads_server, ka));
	uint64_t ticks, now = now_ms();

	(void)events;
	if (read(ev->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (struct conn *c = srv->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (c->ping_sent_ms != 0) {
			if (now - c->ping_sent_ms < srv->ka_timeout_ms)
				continue;
			mg_ctrl_log("peer=%s: no answer to a keepalive PING in %u ms, closing",
			            c->peer, srv->ka_timeout_ms);
			srv->stats.keepalive_timeouts++;
			conn_close(c);
		} else if (now - c->last_rx_ms >= srv->ka_interval_ms) {
			if (nghttp2_submit_ping(c->h2, NGHTTP2_FLAG_NONE, NULL) != 0)
				c->dead = true;
			c->ping_sent_ms = now;
			srv->stats.keepalive_pings++;
			conn_flush(c);
		}
	}
}

int mg_ads_server_set_keepalive(struct mg_ads_server *srv, uint32_t interval_ms,
                                uint32_t timeout_ms)
{
	uint32_t tick;
	struct itimerspec its;
	int rc = 0;

	if (srv->ka.fd >= 0) {
		close(srv->ka.fd); /* leaves the epoll set with it */
		srv->ka.fd = -1;
	}
	if (interval_ms != 0 && timeout_ms == 0)
		return -EINVAL;
	srv->ka_interval_ms = interval_ms;
	srv->ka_timeout_ms = timeout_ms;
	if (interval_ms == 0)
		return 0;
	/* Check a few times per interval: a PING goes out at most a tick late. */
	tick = (interval_ms < timeout_ms ? interval_ms : timeout_ms) / 4;
	tick = tick < 10 ? 10 : tick;
	its.it_interval.tv_sec = tick / 1000;
	its.it_interval.tv_nsec = (long)(tick % 1000) * 1000000L;
	its.it_value = its.it_interval;
	srv->ka.fn = keepalive_event;
	srv->ka.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv->ka.fd < 0)
		return -errno;
	if (timerfd_settime(srv->ka.fd, 0, &its, NULL) < 0 ||
	    (rc = mg_ev_ctl(srv->epfd, EPOLL_CTL_ADD, &srv->ka, EPOLLIN)) < 0) {
		rc = -errno;
		close(srv->ka.fd);
		srv->ka.fd = -1;
		return rc;
	}
	return 0;
}

unsigned mg_ads_server_port(const struct mg_ads_server *srv)
{
	return mg_ctrl_local_port(srv->ev.fd);
}

void mg_ads_server_publish(struct mg_ads_server *srv, struct mg_ads_snapshot *snap)
{
	struct mg_ads_snapshot *old = srv->snap;
	struct conn *next;

	srv->snap = mg_ads_snapshot_ref(snap);
	mg_ads_snapshot_unref(old);
	for (struct conn *c = srv->conns; c != NULL; c = next) {
		next = c->next;
		for (struct stream *s = c->streams; s != NULL; s = s->next) {
			if (!s->ads || s->closing)
				continue;
			mg_ads_stream_set_snapshot(&s->st, snap);
			if (s->st.has_node)
				stream_pump(s);
		}
		conn_flush(c);
	}
}

void mg_ads_server_foreach(const struct mg_ads_server *srv,
                           void (*fn)(const struct mg_ads_stream *st, void *arg), void *arg)
{
	for (const struct conn *c = srv->conns; c != NULL; c = c->next)
		for (const struct stream *s = c->streams; s != NULL; s = s->next)
			if (s->ads && s->st.has_node)
				fn(&s->st, arg);
}

const struct mg_ads_server_stats *mg_ads_server_stats(const struct mg_ads_server *srv)
{
	return &srv->stats;
}

void mg_ads_server_close_all(struct mg_ads_server *srv, int status, const char *msg, int timeout_ms)
{
	struct conn *next;
	int waited = 0;

	for (struct conn *c = srv->conns; c != NULL; c = next) {
		next = c->next;
		for (struct stream *s = c->streams; s != NULL; s = s->next)
			if (s->ads)
				stream_finish(s, status, msg);
		conn_flush(c);
	}
	/* GOAWAY after the trailers: a client that sees it first may drop the
	 * connection before it reads them (grpc-core does). */
	for (struct conn *c = srv->conns; c != NULL; c = next) {
		next = c->next;
		nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE,
		                      nghttp2_session_get_last_proc_stream_id(c->h2),
		                      NGHTTP2_NO_ERROR, NULL, 0);
		conn_flush(c);
	}
	/* Flush what the sockets would not take at once, for a bounded time. */
	for (; waited < timeout_ms; waited += 20) {
		bool pending = false;

		for (struct conn *c = srv->conns; c != NULL; c = next) {
			next = c->next;
			if (nghttp2_session_want_write(c->h2)) {
				pending = true;
				conn_flush(c);
			}
		}
		if (!pending)
			break;
		poll(NULL, 0, 20);
	}
	/*
	 * Then read until the peer closes, as a client does after a GOAWAY once
	 * its streams are done.  Closing first loses the trailers: our FIN (or
	 * a RST for unread input) can reach a client in the same read as the
	 * trailers, and grpc-core then reports "Socket closed" instead of the
	 * status (seen with python3-grpcio 1.51).
	 */
	for (; waited < timeout_ms; waited += 20) {
		bool open = false;

		for (struct conn *c = srv->conns; c != NULL; c = c->next) {
			uint8_t buf[4096];
			ssize_t n = -1;

			while (!c->dead && (n = recv(c->ev.fd, buf, sizeof(buf), 0)) != 0 &&
			       !(n < 0 && (errno == EAGAIN || errno == EINTR)))
				if (n < 0)
					c->dead = true;
			if (!c->dead && n == 0)
				c->dead = true;
			open = open || !c->dead;
		}
		if (!open)
			break;
		poll(NULL, 0, 20);
	}
}

void mg_ads_server_free(struct mg_ads_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		conn_close(srv->conns);
	if (srv->ka.fd >= 0)
		close(srv->ka.fd);
	close(srv->ev.fd);
	mg_ads_snapshot_unref(srv->snap);
	free(srv);
}
