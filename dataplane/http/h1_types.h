/*
 * h1_types.h — types of the HTTP/1.1 codec (dataplane/http): the parsed
 * message, its header list, the parser and its configuration, callbacks and
 * counters.  The API is in h1.h; internals shared by the h1_*.c files are in
 * h1_pvt.h.
 *
 * A parser belongs to one connection direction and is used only by the
 * worker lcore that owns the connection; counters belong to that worker.
 * Strings in a parsed message (struct mg_h1_str) are references, never
 * copies: into the caller's segment when the head lay in one segment, into
 * the parser's head buffer when it spanned segments (mg_h1_msg.gathered).
 */
#ifndef MG_H1_TYPES_H
#define MG_H1_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;

/** Error reasons, MG_H1_E_NONE and one per MG_H1_ERR line of h1_counters.def. */
enum mg_h1_err {
	MG_H1_E_NONE = 0,
#define MG_H1_STAT(n, h)
#define MG_H1_ERR(n, s, h) MG_H1_E_##n,
#include "http/h1_counters.def"
	MG_H1_N_ERRS
};

/** Counters of one worker's HTTP/1 codec; one field per line of h1_counters.def. */
struct mg_h1_counters {
#define MG_H1_STAT(n, h)   uint64_t n;
#define MG_H1_ERR(n, s, h) uint64_t err_##n;
#include "http/h1_counters.def"
};

/** A reference to bytes held elsewhere (not NUL-terminated). */
struct mg_h1_str {
	const char *p;
	uint32_t len;
};

/** Which message a parser reads. */
enum mg_h1_kind { MG_H1_REQUEST, MG_H1_RESPONSE };

/** Methods the codec knows by name; any other token is MG_H1_M_OTHER (allowed). */
#define MG_H1_METHODS(X) \
	X(GET)           \
	X(HEAD)          \
	X(POST)          \
	X(PUT)           \
	X(DELETE)        \
	X(CONNECT)       \
	X(OPTIONS)       \
	X(TRACE)         \
	X(PATCH)

enum mg_h1_method {
	MG_H1_M_OTHER = 0,
#define X(m) MG_H1_M_##m,
	MG_H1_METHODS(X)
#undef X
	    MG_H1_N_METHODS
};

/** RFC 9112 3.2 request-target forms. */
enum mg_h1_target_form {
	MG_H1_T_ORIGIN,    /**< "/path?query" */
	MG_H1_T_ABSOLUTE,  /**< "http://host/path" (to proxies) */
	MG_H1_T_AUTHORITY, /**< "host:port", CONNECT only */
	MG_H1_T_ASTERISK,  /**< "*", OPTIONS only */
};

/** How the body of a message is delimited (RFC 9112 6.3). */
enum mg_h1_body {
	MG_H1_B_NONE,        /**< no body */
	MG_H1_B_LENGTH,      /**< Content-Length bytes (content_length > 0) */
	MG_H1_B_CHUNKED,     /**< chunked transfer coding */
	MG_H1_B_UNTIL_CLOSE, /**< response body ends when the connection does */
};

/** Known field names (matched case-insensitively). */
#define MG_H1_HDRS(X)                             \
	X(HOST, "host")                           \
	X(CONTENT_LENGTH, "content-length")       \
	X(TRANSFER_ENCODING, "transfer-encoding") \
	X(CONNECTION, "connection")               \
	X(KEEP_ALIVE, "keep-alive")               \
	X(PROXY_CONNECTION, "proxy-connection")   \
	X(TE, "te")                               \
	X(TRAILER, "trailer")                     \
	X(UPGRADE, "upgrade")                     \
	X(EXPECT, "expect")

enum mg_h1_hdr_id {
	MG_H1_H_OTHER = 0,
#define X(id, s) MG_H1_H_##id,
	MG_H1_HDRS(X)
#undef X
	    MG_H1_N_HDRS
};

/** Header flags. */
#define MG_H1_HF_HOP 0x01 /**< hop-by-hop: a fixed one (RFC 9110 7.6.1) or named in Connection */
/**
 * Name and value are as the parser checked them (a token; field-chars), so
 * the writer does not check them again.  Set by the parser only; whoever
 * changes a flagged field's name or value must clear it.
 */
#define MG_H1_HF_VALID 0x02

/** One field line: name and value (OWS trimmed) as references. */
struct mg_h1_header {
	struct mg_h1_str name;
	struct mg_h1_str value;
	uint8_t id;    /**< enum mg_h1_hdr_id */
	uint8_t flags; /**< MG_H1_HF_* */
};

/** Message flags (mg_h1_msg.flags). */
#define MG_H1_F_KEEP_ALIVE      0x0001 /**< the connection may carry another message after this */
#define MG_H1_F_HAS_CL          0x0002 /**< a Content-Length was present (content_length holds it) */
#define MG_H1_F_HAS_TE          0x0004 /**< a Transfer-Encoding was present */
#define MG_H1_F_EXPECT_CONTINUE 0x0008 /**< HTTP/1.1 request with Expect: 100-continue */
#define MG_H1_F_UPGRADE         0x0010 /**< request: Upgrade + Connection: upgrade; response: 101 */
#define MG_H1_F_WEBSOCKET       0x0020 /**< the Upgrade list names websocket */
#define MG_H1_F_TUNNEL \
	0x0040 /**< response: after it the bytes are a tunnel (101, 2xx to CONNECT) */
#define MG_H1_F_CONN_CLOSE      0x0080 /**< Connection: close was present */
#define MG_H1_F_CONN_KEEP_ALIVE 0x0100 /**< Connection: keep-alive was present */

/** A parsed head (request or response) or, for trailers, the field list only. */
struct mg_h1_msg {
	enum mg_h1_kind kind;
	enum mg_h1_method method; /**< request: the method; response: the request's method */
	struct mg_h1_str method_str;
	struct mg_h1_str target;
	enum mg_h1_target_form form;
	uint16_t status; /**< response status code */
	struct mg_h1_str reason;
	uint8_t minor;  /**< HTTP/1.<minor>: 0 or 1 (higher minors are kept as sent) */
	bool gathered;  /**< strings point into the parser's head buffer, not the caller's data */
	uint32_t flags; /**< MG_H1_F_* */
	enum mg_h1_body body;
	uint64_t content_length;
	/** The Host value (requests; empty if absent).  For absolute-form the authority
	 *  in the target wins (RFC 9112 3.2.2); that is the router's to apply. */
	struct mg_h1_str host;
	struct mg_h1_header *headers;
	uint16_t n_headers;
};

/**
 * Callbacks of a parser.  Each returns 0 to go on; anything else stops the
 * parser with MG_H1_E_callback (mg_h1_parse returns -ECANCELED).  Any may be
 * NULL.  ctx is the parser's ctx.
 */
struct mg_h1_cbs {
	/** The head is parsed and valid (on_head is the place to route and reject). */
	int (*on_head)(void *ctx, const struct mg_h1_msg *m);
	/** len > 0 body bytes at [at, at+len), inside the data the caller fed (never copied). */
	int (*on_body)(void *ctx, const char *at, uint32_t len);
	/** A chunk size line was read: size bytes follow (0 = last chunk, trailers next). */
	int (*on_chunk)(void *ctx, uint64_t size);
	/** The trailer section (chunked only; n may be 0); references as for the head. */
	int (*on_trailers)(void *ctx, const struct mg_h1_header *h, uint16_t n);
	/**
	 * The message is complete; mg_h1_parse returns right after.  m is the
	 * head reported by on_head, but after a trailer section its field list
	 * is empty (the trailers reused the array) and gathered strings may be
	 * gone: act on the head in on_head.
	 */
	int (*on_message_end)(void *ctx, const struct mg_h1_msg *m);
};

/** Limits of a parser; zero fields take the defaults (Envoy's). */
struct mg_h1_conf {
	uint32_t max_head_bytes; /**< bytes of a head or trailer section, CRLFs included (61440) */
	uint16_t max_headers;    /**< field lines in a head or trailer section (100) */
};

#define MG_H1_DEF_MAX_HEAD_BYTES (60u * 1024u)
#define MG_H1_DEF_MAX_HEADERS    100u
/** Longest chunk size line (size, extensions, CRLF) accepted. */
#define MG_H1_MAX_CHUNK_LINE 4096u

/**
 * One direction's parser.  Opaque to callers except through h1.h; it is
 * here so that a connection can embed it.
 */
struct mg_h1_parser {
	enum mg_h1_kind kind;
	uint8_t state;  /* enum h1_state (h1_pvt.h) */
	uint8_t cstate; /* chunked sub-state */
	uint8_t last;   /* previous byte of the block being scanned */
	bool gathering; /* the current block is being copied into hb */
	bool ended;     /* a message ended in the last mg_h1_parse call */
	bool blk_ctl;   /* the block holds a CTL (not HTAB, CR, LF) or DEL */
	enum mg_h1_err err;
	int rc;                       /* what mg_h1_parse returns once in error */
	enum mg_h1_method req_method; /* response parser: the method of the request answered */
	struct mg_h1_conf conf;
	const struct mg_h1_cbs *cbs;
	void *ctx;
	struct mg_h1_counters *cnt; /* may be NULL */
	/* Block (head or trailer section) scanner. */
	uint32_t blk_len;
	uint32_t line_len;
	uint32_t lines;
	/* Head buffer, for blocks that span segments: grown up to max_head_bytes. */
	char *hb;
	uint32_t hb_len;
	uint32_t hb_cap;
	/* Body. */
	uint64_t remaining;        /* Content-Length or chunk bytes still to come */
	uint32_t chunk_line;       /* bytes of the current chunk size line */
	struct mg_h1_header *hdrs; /* hdrs_cap of them, grown on demand up to max_headers */
	uint16_t hdrs_cap;
	struct mg_h1_msg msg;
	const struct rte_mbuf *seg; /* segment being parsed (mg_h1_parse_mbuf), else NULL */
};

#endif /* MG_H1_TYPES_H */
