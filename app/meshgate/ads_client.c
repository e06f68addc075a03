/*
 * ads_client.c — the ADS stream's transport: HTTP/2 (nghttp2) over a
 * non-blocking kernel TCP socket, driven by mg_ads_poll() on the control
 * core.  See ads_client.h; the protocol itself is in ads_proto.c.
 *
 * One connection carries one stream: POST MG_GRPC_ADS_PATH, requests as
 * gRPC Length-Prefixed-Messages in a DATA stream that never ends, responses
 * reassembled by mg_grpc_rx.  Anything wrong with the connection or the
 * stream — refused or failed connect, a non-200 or non-gRPC answer, the
 * server's trailers, RST_STREAM, GOAWAY, a message that is not a
 * DiscoveryResponse, one above the size limit — closes the connection and
 * schedules a reconnect; the applied configuration stays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "common/mg_buf.h"
#include "common/mg_common.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "meshgate/ads_client.h"
#include "meshgate/bootstrap_types.h"
#include "xds/grpc.h"

/* HTTP/2 flow-control window the client grants (stream and connection). */
#define MG_ADS_WINDOW (1u << 20)

/* Requests queued but not taken by the server beyond this: it is not reading. */
#define OUT_MAX (64u << 20)

static const char *const state_names[] = {
#define X(e, s) s,
    MG_ADS_STATES(X)
#undef X
};

struct mg_ads_client {
	struct mg_ads_proto proto;
	char host[64];
	uint16_t port;
	enum mg_ads_state_id state;
	int fd;
	nghttp2_session *h2;
	int32_t stream_id;
	struct mg_grpc_rx rx;
	uint8_t *out; /* gRPC bytes for the stream, from out_off */
	size_t out_len, out_off, out_cap;
	bool deferred; /* the data source said DEFERRED: resume on new bytes */
	bool failed;   /* tear down at the end of this poll */
	char why[256]; /* what failed, for the log and /ads */
	char last_error[256];
	int http_status;
	int grpc_status; /* from the trailers; -1 none */
	char grpc_message[128];
	uint64_t now; /* this poll's monotonic time */
	uint64_t attempt_at, connect_deadline;
	uint64_t backoff_ms;
	uint64_t connected_since_ms; /* wall clock; 0 when not streaming */
	uint64_t rng;
};

static uint64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter only, seeded from the clock and the address of c. */
static uint64_t rnd(struct mg_ads_client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ull;
}

static void set_state(struct mg_ads_client *c, enum mg_ads_state_id s)
{
	c->state = s;
}

/* Note the first failure of this poll; the teardown happens once, later. */
static void fail(struct mg_ads_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct mg_ads_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void close_conn(struct mg_ads_client *c)
{
	if (c->h2 != NULL)
		nghttp2_session_del(c->h2);
	c->h2 = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->stream_id = -1;
	mg_grpc_rx_fini(&c->rx);
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	c->deferred = false;
	c->connected_since_ms = 0;
}

/* Close, log once, and wait a jittered, doubling delay before reconnecting. */
static void backoff(struct mg_ads_client *c)
{
	uint64_t d = c->backoff_ms / 2 + rnd(c) % (c->backoff_ms + 1); /* ±50% */

	if (c->state == MG_ADS_ST_STREAMING)
		c->proto.cnt.disconnects++;
	else
		c->proto.cnt.connect_fail++;
	close_conn(c);
	snprintf(c->last_error, sizeof(c->last_error), "%s", c->why);
	MG_LOG(WARNING, "ADS: %s:%u: %s; reconnecting in %llu ms (serving the last good config)",
	       c->host, c->port, c->why, (unsigned long long)d);
	c->attempt_at = c->now + d;
	c->backoff_ms =
	    c->backoff_ms * 2 > MG_ADS_BACKOFF_MAX_MS ? MG_ADS_BACKOFF_MAX_MS : c->backoff_ms * 2;
	c->failed = false;
	set_state(c, MG_ADS_ST_BACKOFF);
}

/* ---- outgoing messages ---- */

static int queue_bytes(struct mg_ads_client *c, const uint8_t *p, size_t n)
{
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len - c->out_off + n > OUT_MAX)
		return -ENOBUFS;
	if (c->out_len + n > c->out_cap) {
		size_t live = c->out_len - c->out_off, cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *nb;

		if (live > 0) /* c->out is NULL before the first bytes */
			memmove(c->out, c->out + c->out_off, live);
		c->out_len = live;
		c->out_off = 0;
		while (cap < live + n)
			cap *= 2;
		nb = realloc(c->out, cap);
		if (nb == NULL)
			return -ENOMEM;
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	if (c->deferred && c->h2 != NULL) {
		c->deferred = false;
		nghttp2_session_resume_data(c->h2, c->stream_id);
	}
	return 0;
}

/* Frame and queue what the protocol asked to send. */
static void send_out(struct mg_ads_client *c, struct mg_ads_out *out)
{
	for (size_t i = 0; i < out->n && !c->failed; i++) {
		uint8_t *buf;
		size_t len;
		int rc = mg_grpc_frame(&out->req[i]->base, &buf, &len);

		if (rc == 0) {
			rc = queue_bytes(c, buf, len);
			free(buf);
		}
		if (rc < 0)
			fail(c, "cannot send a request: %s", strerror(-rc));
		else
			c->proto.cnt.requests++;
	}
	mg_ads_out_reset(out);
}

static ssize_t data_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *arg)
{
	struct mg_ads_client *c = arg;
	size_t n = c->out_len - c->out_off;

	(void)s;
	(void)id;
	(void)src;
	(void)flags; /* never NGHTTP2_DATA_FLAG_EOF: the request stream stays open */
	if (n == 0) {
		c->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	if (n > len)
		n = len;
	memcpy(buf, c->out + c->out_off, n);
	c->out_off += n;
	return (ssize_t)n;
}

/* ---- nghttp2 callbacks ---- */

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *arg)
{
	struct mg_ads_client *c = arg;
	ssize_t n;

	(void)s;
	(void)flags;
	n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return NGHTTP2_ERR_WOULDBLOCK;
	if (n < 0) {
		fail(c, "send: %s", strerror(errno));
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *arg)
{
	struct mg_ads_client *c = arg;

	(void)s;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS || f->hd.stream_id != c->stream_id)
		return 0;
	if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
		c->http_status = atoi((const char *)value);
		if (c->http_status != 200)
			fail(c, "the server answered HTTP %d, not 200", c->http_status);
	} else if (namelen == 12 && memcmp(name, "content-type", 12) == 0) {
		if (valuelen < strlen(MG_GRPC_CONTENT_TYPE) ||
		    memcmp(value, MG_GRPC_CONTENT_TYPE, strlen(MG_GRPC_CONTENT_TYPE)) != 0)
			fail(c, "the server's content-type is \"%.*s\", not gRPC",
			     (int)(valuelen > 64 ? 64 : valuelen), value);
	} else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0) {
		c->grpc_status = atoi((const char *)value);
	} else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
		snprintf(c->grpc_message, sizeof(c->grpc_message), "%.*s",
		         (int)(valuelen > 120 ? 120 : valuelen), value);
	}
	return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct mg_ads_client *c = arg;

	(void)s;
	if (f->hd.type == NGHTTP2_GOAWAY)
		fail(c, "the server sent GOAWAY (error %u)", f->goaway.error_code);
	else if (f->hd.stream_id == c->stream_id && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	         (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA))
		fail(c, "the server ended the stream (grpc-status %d%s%s)", c->grpc_status,
		     c->grpc_message[0] ? ": " : "", c->grpc_message);
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *arg)
{
	struct mg_ads_client *c = arg;
	int rc;

	(void)s;
	(void)flags;
	if (id != c->stream_id)
		return 0;
	rc = mg_grpc_rx_feed(&c->rx, data, len);
	if (rc < 0)
		fail(c, "receiving: %s", strerror(-rc));
	return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error, void *arg)
{
	struct mg_ads_client *c = arg;

	(void)s;
	if (id == c->stream_id)
		fail(c, "the stream closed (HTTP/2 error %u: %s)", error,
		     nghttp2_http2_strerror(error));
	return 0;
}

/* ---- states ---- */

static void start_connect(struct mg_ads_client *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(c->port)};
	int one = 1;

	inet_pton(AF_INET, c->host, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(c, "socket: %s", strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		fail(c, "connect: %s", strerror(errno));
		return;
	}
	c->connect_deadline = c->now + MG_ADS_CONNECT_TIMEOUT_MS;
	set_state(c, MG_ADS_ST_CONNECTING);
}

static void start_stream(struct mg_ads_client *c)
{
	nghttp2_session_callbacks *cb;
	nghttp2_data_provider dp = {.read_callback = data_read};
	char authority[80];
	nghttp2_settings_entry win = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, MG_ADS_WINDOW};
	struct mg_ads_out out = {0};
	int rc;

	snprintf(authority, sizeof(authority), "%s:%u", c->host, c->port);
	const nghttp2_nv hdrs[] = {
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
	    NV(":method", "POST"),
	    NV(":scheme", "http"),
	    NV(":path", MG_GRPC_ADS_PATH),
	    NV(":authority", authority),
	    NV("content-type", MG_GRPC_CONTENT_TYPE),
	    NV("te", "trailers"),
	    NV("user-agent", "meshgate/" MG_VERSION),
#undef NV
	};

	if (nghttp2_session_callbacks_new(&cb) != 0) {
		fail(c, "out of memory");
		return;
	}
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	rc = nghttp2_session_client_new(&c->h2, cb, c);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0) {
		c->h2 = NULL;
		fail(c, "nghttp2: %s", nghttp2_strerror(rc));
		return;
	}
	mg_grpc_rx_init(&c->rx, 0);
	c->http_status = 0;
	c->grpc_status = -1;
	c->grpc_message[0] = '\0';
	/* 1 MiB windows rather than 64 KiB: a large configuration arrives in
	 * a few round trips, not one per 64 KiB */
	nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, &win, 1);
	nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, MG_ADS_WINDOW);
	c->stream_id = nghttp2_submit_request(c->h2, NULL, hdrs, MG_ARRAY_SIZE(hdrs), &dp, NULL);
	if (c->stream_id < 0) {
		fail(c, "nghttp2: %s", nghttp2_strerror(c->stream_id));
		return;
	}
	set_state(c, MG_ADS_ST_STREAMING);
	c->proto.cnt.connects++;
	c->connected_since_ms = wall_now_ms();
	MG_LOG(INFO, "ADS: connected to %s:%u, stream open", c->host, c->port);
	rc = mg_ads_stream_start(&c->proto, &out);
	if (rc < 0)
		fail(c, "cannot build the first requests: %s", strerror(-rc));
	send_out(c, &out);
}

static void poll_connecting(struct mg_ads_client *c)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&pfd, 1, 0) <= 0) {
		if (c->now >= c->connect_deadline)
			fail(c, "connect: timed out after %u ms", MG_ADS_CONNECT_TIMEOUT_MS);
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		fail(c, "connect: %s", strerror(err));
		return;
	}
	start_stream(c);
}

/* Handle every whole message received. */
static void handle_messages(struct mg_ads_client *c)
{
	const uint8_t *msg;
	size_t len;
	int rc;

	while (!c->failed && (rc = mg_grpc_rx_next(&c->rx, &msg, &len)) != 0) {
		Envoy__Service__Discovery__V3__DiscoveryResponse *resp;
		struct mg_ads_out out = {0};

		if (rc < 0) {
			c->proto.cnt.bad_messages++;
			fail(c, "a bad gRPC message: %s", strerror(-rc));
			break;
		}
		resp = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, msg);
		if (resp == NULL) {
			c->proto.cnt.bad_messages++;
			fail(c, "a message of %zu bytes that is not a DiscoveryResponse", len);
			break;
		}
		rc = mg_ads_handle_response(&c->proto, resp, &out);
		envoy__service__discovery__v3__discovery_response__free_unpacked(resp, NULL);
		if (rc == -ENOMEM)
			fail(c, "out of memory handling a response");
		else if (rc == 0)
			c->backoff_ms = MG_ADS_BACKOFF_MIN_MS; /* a healthy stream */
		send_out(c, &out);
	}
}

static void poll_streaming(struct mg_ads_client *c)
{
	uint8_t buf[16384];
	ssize_t n;
	int rc;

	for (unsigned i = 0; i < 64 && !c->failed; i++) { /* bounded: keep the tick short */
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n < 0) {
			fail(c, "recv: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			fail(c, "the server closed the connection");
			break;
		}
		rc = (int)nghttp2_session_mem_recv(c->h2, buf, (size_t)n);
		if (rc < 0) {
			fail(c, "HTTP/2: %s", nghttp2_strerror(rc));
			break;
		}
		handle_messages(c);
	}
	if (!c->failed) {
		rc = nghttp2_session_send(c->h2);
		if (rc != 0)
			fail(c, "HTTP/2: %s", nghttp2_strerror(rc));
	}
	if (!c->failed && !nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))
		fail(c, "the HTTP/2 session ended (a protocol error: not an HTTP/2 server?)");
}

void mg_ads_poll(struct mg_ads_client *c, uint64_t now_ms)
{
	if (c == NULL)
		return;
	c->now = now_ms;
	switch (c->state) {
	case MG_ADS_ST_IDLE:
	case MG_ADS_ST_BACKOFF:
		if (now_ms >= c->attempt_at)
			start_connect(c);
		break;
	case MG_ADS_ST_CONNECTING:
		poll_connecting(c);
		break;
	case MG_ADS_ST_STREAMING:
		poll_streaming(c);
		break;
	default:
		break;
	}
	if (c->failed)
		backoff(c);
}

/* ---- life cycle ---- */

struct mg_ads_client *mg_ads_client_new(const struct mg_bootstrap *cfg, mg_ads_apply_fn apply,
                                        void *arg)
{
	struct mg_ads_client *c;

	if (cfg == NULL || !cfg->ads.enabled || apply == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (mg_ads_proto_init(&c->proto, cfg->node, cfg->static_resources, cfg->ads.cds,
	                      cfg->ads.lds, apply, arg) < 0) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(c->host, sizeof(c->host), "%s", cfg->ads.host);
	c->port = cfg->ads.port;
	c->fd = -1;
	c->stream_id = -1;
	c->backoff_ms = MG_ADS_BACKOFF_MIN_MS;
	c->rng = wall_now_ms() ^ (uint64_t)(uintptr_t)c;
	if (c->rng == 0)
		c->rng = 1;
	MG_LOG(INFO, "ADS: controller %s:%u (%s); subscribing%s%s", c->host, c->port,
	       cfg->ads.target, cfg->ads.cds ? " clusters" : "", cfg->ads.lds ? " listeners" : "");
	return c;
}

const struct mg_ads_proto *mg_ads_client_proto(const struct mg_ads_client *c)
{
	return &c->proto;
}

enum mg_ads_state_id mg_ads_client_state(const struct mg_ads_client *c)
{
	return c->state;
}

void mg_ads_client_free(struct mg_ads_client *c)
{
	if (c == NULL)
		return;
	close_conn(c);
	mg_ads_proto_fini(&c->proto);
	free(c);
}

/* ---- GET /ads ---- */

int mg_ads_admin_handler(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	const struct mg_ads_client *c = arg;
	const struct mg_ads_proto *p = &c->proto;
	struct mg_buf *b = &resp->body;

	(void)req;
	resp->content_type = "application/json";
	mg_buf_printf(b, "{\"state\":\"%s\",\"server\":\"%s:%u\",\"initialized\":%s,",
	              state_names[c->state], c->host, c->port,
	              mg_ads_proto_initialized(p) ? "true" : "false");
	mg_buf_printf(b, "\"connected_since_ms\":%llu,\"last_error\":",
	              (unsigned long long)c->connected_since_ms);
	mg_buf_json_str(b, c->last_error);
	mg_buf_puts(b, ",\"counters\":{");
	{
		const char *sep = "";

#define X(n)                                                                      \
	mg_buf_printf(b, "%s\"" #n "\":%llu", sep, (unsigned long long)p->cnt.n); \
	sep = ",";
		MG_ADS_COUNTERS(X)
#undef X
	}
	mg_buf_puts(b, "},\"types\":{");
	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		const struct mg_ads_type_state *ts = &p->t[t];

		mg_buf_printf(b,
		              "%s\"%s\":{\"type_url\":\"%s\",\"subscribed\":%s,\"acked_version\":",
		              t ? "," : "", mg_ads_type_name(t), mg_ads_type_url(t),
		              ts->subscribed ? "true" : "false");
		mg_buf_json_str(b, ts->acked_version);
		mg_buf_puts(b, ",\"last_nonce\":");
		mg_buf_json_str(b, ts->nonce);
		mg_buf_puts(b, ",\"live_version\":");
		mg_buf_json_str(b, ts->live_version);
		mg_buf_puts(b, ",\"last_nack_error\":");
		mg_buf_json_str(b, ts->last_error);
		mg_buf_printf(b, ",\"acks\":%llu,\"nacks\":%llu,\"resources\":%zu,\"names\":[",
		              (unsigned long long)ts->acks, (unsigned long long)ts->nacks,
		              ts->live.n);
		for (size_t i = 0; i < ts->names.n; i++) {
			mg_buf_puts(b, i ? "," : "");
			mg_buf_json_str(b, ts->names.v[i]);
		}
		mg_buf_puts(b, "]}");
	}
	return mg_buf_puts(b, "}}\n");
}
