/*
 * h1.h — meshgate's HTTP/1.1 codec (RFC 9110, RFC 9112): an incremental,
 * zero-copy parser of requests and responses and a serializer of heads and
 * chunk framing.  Types are in h1_types.h.  No sockets here: the L7 gateway
 * feeds the parser the mbuf chains TCP hands up (mg_h1_parse_mbuf) or pieces
 * of them (mg_h1_parse), split anywhere, and the parser reports through
 * callbacks (struct mg_h1_cbs).
 *
 * Why callbacks rather than returning events: body bytes of one segment can
 * be interleaved with chunk framing several times; a callback hands each
 * range up the moment it is found, with no event queue to size or overflow,
 * and the parser keeps no pointer into the caller's data between calls.  The
 * parser still stops at the end of every message (mg_h1_parse returns the
 * bytes it used), so pipelined messages are taken one at a time and the
 * caller can, say, hold the next request until the current response is done.
 *
 * Zero copy: body bytes are reported as ranges of the data fed (on_body), so
 * a proxy can forward or clone the mbufs.  Heads are parsed in place when the
 * whole head (start line to the empty line) lies in the segment being fed;
 * the field references then point into the caller's segment.  A head split
 * across segments is gathered, as it arrives, into a per-parser head buffer
 * (allocated on first need, grown up to max_head_bytes, freed by fini) and
 * the references point there (mg_h1_msg.gathered).  Trailer sections are
 * handled the same way.  References stay valid while the caller keeps the
 * data (in place) or until the parser gathers its next block (gathered).
 *
 * Strictness: everything request smuggling has been built on is an error
 * with its own reason (h1_counters.def): CL with TE, CL lists and
 * mismatches, transfer codings other than one final chunked in requests, bad
 * chunk lines, obs-fold, space before the colon, bare CR and LF (only CRLF
 * ends a line), invalid characters, several Host fields.  A parser in error
 * stays in error; the caller answers mg_h1_err_status() and closes.
 */
#ifndef MG_H1_H
#define MG_H1_H

#include <stdint.h>

#include "http/h1_types.h"

struct rte_mempool;

/*
 * Index of each counter in struct mg_h1_counters (MG_H1_IDX_requests,
 * MG_H1_IDX_err_bare_cr, ...) and their number, MG_H1_N_COUNTERS.
 */
enum {
#define MG_H1_STAT(n, h)   MG_H1_IDX_##n,
#define MG_H1_ERR(n, s, h) MG_H1_IDX_err_##n,
#include "http/h1_counters.def"
	MG_H1_N_COUNTERS
};

/** Name and help of a counter, in struct order. */
struct mg_h1_counter_desc {
	const char *name;
	const char *help;
};

/** Names and help of the counters, MG_H1_N_COUNTERS of them. */
extern const struct mg_h1_counter_desc mg_h1_counter_descs[];

/** Name of an error reason ("cl_and_te", ...); "none" for MG_H1_E_NONE, "?" out of range. */
const char *mg_h1_err_name(enum mg_h1_err e);

/**
 * The status a server answers a request rejected for e with (400, 431, 501,
 * 505, 503); 502 for reasons only responses have.  0 for MG_H1_E_NONE.
 */
int mg_h1_err_status(enum mg_h1_err e);

/** Method of a token (case-sensitive, RFC 9110 9.1); MG_H1_M_OTHER if not a known one. */
enum mg_h1_method mg_h1_method_from(const char *s, uint32_t len);

/** Name of a known method ("GET", ...), or NULL for MG_H1_M_OTHER / out of range. */
const char *mg_h1_method_name(enum mg_h1_method m);

/* ---- parser ---- */

/**
 * Set up a parser for one direction of a connection.
 * @param p    the parser (caller's memory, e.g. inside the connection)
 * @param kind MG_H1_REQUEST (server side) or MG_H1_RESPONSE (client side)
 * @param conf limits; NULL or zero fields for the defaults
 * @param cbs  callbacks (kept by reference; may be NULL for none)
 * @param ctx  passed to every callback
 * @param cnt  the worker's counters, or NULL
 * @return 0; -EINVAL for a bad kind or max_head_bytes below 16;
 *         -ENOMEM if the header array cannot be allocated
 */
int mg_h1_parser_init(struct mg_h1_parser *p, enum mg_h1_kind kind, const struct mg_h1_conf *conf,
                      const struct mg_h1_cbs *cbs, void *ctx, struct mg_h1_counters *cnt);

/** Free what init and parsing allocated.  The parser may be inited again. */
void mg_h1_parser_fini(struct mg_h1_parser *p);

/** Forget the message in progress and any error; ready for a new message. */
void mg_h1_parser_reset(struct mg_h1_parser *p);

/**
 * Response parser: the method of the request the next response answers
 * (HEAD and CONNECT change how its body is delimited).  Kept across 1xx
 * responses; reset to GET after each final response.
 */
void mg_h1_parser_set_request(struct mg_h1_parser *p, enum mg_h1_method m);

/**
 * Feed len bytes.  Calls the callbacks for what they complete and stops
 * right after on_message_end: the bytes after it belong to the next message
 * (call again with them).  Bytes of an incomplete head are gathered into the
 * head buffer, so the caller need not keep them.
 * @return the bytes used (len unless a message ended inside the data), or
 *         -EBADMSG (malformed; mg_h1_parser_error() says why),
 *         -EMSGSIZE (a head_too_large / too_many_headers limit),
 *         -ENOMEM (the head buffer could not grow), -ECANCELED (a callback
 *         stopped it), -EALREADY (the connection switched protocols after a
 *         101 or a 2xx to CONNECT: the bytes are the tunnel's).  An error
 *         is sticky: later calls return it again.  -EINVAL (not sticky) if
 *         len > INT32_MAX.
 */
int mg_h1_parse(struct mg_h1_parser *p, const char *data, uint32_t len);

/**
 * Feed an mbuf chain from byte off of the packet (segment by segment, as
 * mg_h1_parse).  While callbacks run, mg_h1_parser_segment() is the segment
 * their ranges lie in, so a proxy can clone body ranges instead of copying.
 * @return the bytes used from off, or the errors of mg_h1_parse;
 *         -EINVAL if off > pkt_len
 */
int mg_h1_parse_mbuf(struct mg_h1_parser *p, const struct rte_mbuf *m, uint32_t off);

/** The mbuf segment being parsed by mg_h1_parse_mbuf (NULL otherwise). */
static inline const struct rte_mbuf *mg_h1_parser_segment(const struct mg_h1_parser *p)
{
	return p->seg;
}

/**
 * The peer closed its side.  Ends a body delimited by the close
 * (on_message_end).
 * @return 0 if no message was in progress or one ended by the close;
 *         -EBADMSG (MG_H1_E_truncated) if a message was cut short; a
 *         sticky error as mg_h1_parse
 */
int mg_h1_parse_eof(struct mg_h1_parser *p);

/** Why the parser stopped (MG_H1_E_NONE if it did not). */
static inline enum mg_h1_err mg_h1_parser_error(const struct mg_h1_parser *p)
{
	return p->err;
}

/** True between messages (nothing of a next message read yet). */
bool mg_h1_parser_idle(const struct mg_h1_parser *p);

/* ---- serializer ---- */

/**
 * Write the head of m (request line or status line, fields, empty line)
 * into buf.  Uses kind, method_str (or, if empty, the name of method),
 * target, minor, status, reason, headers and n_headers; fields whose flags
 * intersect skip_flags are left out (MG_H1_HF_HOP drops hop-by-hop ones).
 * Every token and value is checked, so a header cannot inject a line.
 * @return the bytes written; -ENOSPC if cap is too small (buf then holds
 *         garbage); -EINVAL if a method, target, reason, field name or value
 *         is invalid, or minor > 9 or status not in 100..999
 */
int mg_h1_write_head(char *buf, uint32_t cap, const struct mg_h1_msg *m, uint8_t skip_flags);

/**
 * As mg_h1_write_head, into a new mbuf chain from mp (several segments if
 * the head is larger than one mbuf's data room).
 * @return the chain, or NULL with errno EINVAL (as above) or ENOMEM
 */
struct rte_mbuf *mg_h1_write_head_mbuf(struct rte_mempool *mp, const struct mg_h1_msg *m,
                                       uint8_t skip_flags);

/**
 * Write a chunk size line for size bytes of data ("1a2b\r\n").
 * @return the bytes written (at most 18); -ENOSPC
 */
int mg_h1_chunk_header(char *buf, uint32_t cap, uint64_t size);

/**
 * Write the end of a chunked body: "0\r\n", the trailer fields, "\r\n".
 * @return the bytes written; -ENOSPC; -EINVAL for an invalid field
 */
int mg_h1_last_chunk(char *buf, uint32_t cap, const struct mg_h1_header *trailers, uint16_t n);

/**
 * Frame the body bytes in *chain as one chunk, without copying them: the
 * size line goes into the first segment's headroom (or a new segment from mp
 * put in front) and the CRLF into the last segment's tailroom (or a new one
 * appended).  *chain may change.
 * @return 0; -EINVAL if *chain is NULL or empty; -ENOMEM (chain unchanged)
 */
int mg_h1_frame_chunk(struct rte_mempool *mp, struct rte_mbuf **chain);

#endif /* MG_H1_H */
