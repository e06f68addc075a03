/*
 * grpc.h — gRPC's message framing, shared by the controller's ADS server
 * and the gateway's ADS client (both DPDK-free; HTTP/2 itself is nghttp2's).
 *
 * gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md) carries each message in DATA
 * frames as a Length-Prefixed-Message: one byte Compressed-Flag, a 4-byte
 * big-endian Message-Length, then the message.  A message may span DATA
 * frames and a frame may hold several messages, so the receiver reassembles
 * them from a byte stream (struct mg_grpc_rx).  meshgate never compresses
 * (it sends no grpc-encoding) and refuses compressed messages.
 *
 * The path of the one RPC meshgate speaks, and the content type both sides
 * check, are here too.
 */
#ifndef MG_XDS_GRPC_H
#define MG_XDS_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/** Bytes before each message: the compressed flag and the length. */
#define MG_GRPC_HDR_LEN 5

/** The largest message either side accepts by default (xDS responses with many resources). */
#define MG_GRPC_MAX_MSG_DEFAULT (16u << 20)

/** The ADS method, as the :path of its HTTP/2 request. */
#define MG_GRPC_ADS_PATH \
	"/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"

/** gRPC's content type (a "+proto" suffix is allowed; match the prefix). */
#define MG_GRPC_CONTENT_TYPE "application/grpc"

/** gRPC status codes meshgate sends or reads (grpc/doc/statuscodes.md). */
enum mg_grpc_status {
	MG_GRPC_OK = 0,
	MG_GRPC_CANCELLED = 1,
	MG_GRPC_INVALID_ARGUMENT = 3,
	MG_GRPC_NOT_FOUND = 5,
	MG_GRPC_RESOURCE_EXHAUSTED = 8,
	MG_GRPC_UNIMPLEMENTED = 12,
	MG_GRPC_INTERNAL = 13,
	MG_GRPC_UNAVAILABLE = 14,
};

/** Reassembly of received messages from a stream's DATA bytes. */
struct mg_grpc_rx {
	uint8_t *buf;   /**< bytes received and not yet taken */
	size_t len;     /**< valid bytes in buf */
	size_t off;     /**< start of the next message in buf */
	size_t cap;     /**< allocated size of buf */
	size_t max_msg; /**< a longer message is an error (-EMSGSIZE) */
};

/** Set rx up empty; max_msg 0 means MG_GRPC_MAX_MSG_DEFAULT. */
void mg_grpc_rx_init(struct mg_grpc_rx *rx, size_t max_msg);

/**
 * Append received DATA bytes.
 * @return 0; -ENOMEM; -EMSGSIZE when what is buffered already exceeds one
 *         whole maximum message plus its header (the peer is not framing)
 */
int mg_grpc_rx_feed(struct mg_grpc_rx *rx, const uint8_t *p, size_t n);

/**
 * Take the next whole message, if one has arrived.  *msg points into rx and
 * stays valid until the next mg_grpc_rx_feed() or mg_grpc_rx_fini() call.
 * @return 1 with msg and len set; 0 when more bytes are needed; -EPROTO for a
 *         compressed message (meshgate negotiates no encoding) or a flag
 *         other than 0 or 1; -EMSGSIZE for a length above rx->max_msg
 */
int mg_grpc_rx_next(struct mg_grpc_rx *rx, const uint8_t **msg, size_t *len);

/** True when a partial message is buffered (a stream that ends now was cut). */
int mg_grpc_rx_partial(const struct mg_grpc_rx *rx);

/** Free rx's buffer; rx is empty and reusable after mg_grpc_rx_init(). */
void mg_grpc_rx_fini(struct mg_grpc_rx *rx);

/**
 * Serialise m as one Length-Prefixed-Message into a new malloc'd buffer.
 * @return 0 with *out (free() it) and *len set; -ENOMEM; -EMSGSIZE when the
 *         message exceeds 4 GiB - 1
 */
int mg_grpc_frame(const ProtobufCMessage *m, uint8_t **out, size_t *len);

/**
 * Percent-encode a grpc-message trailer value (PROTOCOL-HTTP2: bytes outside
 * 0x20-0x7E and '%' become %XX) into dst, cut to fit, always terminated.
 */
void mg_grpc_message_encode(const char *src, char *dst, size_t dstlen);

#endif /* MG_XDS_GRPC_H */
