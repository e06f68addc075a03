/*
 * grpc.c — gRPC Length-Prefixed-Message framing (grpc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xds/grpc.h"

void mg_grpc_rx_init(struct mg_grpc_rx *rx, size_t max_msg)
{
	memset(rx, 0, sizeof(*rx));
	rx->max_msg = max_msg != 0 ? max_msg : MG_GRPC_MAX_MSG_DEFAULT;
}

int mg_grpc_rx_feed(struct mg_grpc_rx *rx, const uint8_t *p, size_t n)
{
	size_t live = rx->len - rx->off;

	if (n == 0)
		return 0;
	/* Callers take every whole message after each feed, so what is left
	 * is at most one partial message: more than one maximum message plus
	 * this feed means the peer's framing is wrong. */
	if (live > rx->max_msg + MG_GRPC_HDR_LEN)
		return -EMSGSIZE;
	/* Slide the unread bytes to the front before growing. */
	if (rx->off > 0) {
		memmove(rx->buf, rx->buf + rx->off, live);
		rx->len = live;
		rx->off = 0;
	}
	if (rx->len + n > rx->cap) {
		size_t cap = rx->cap ? rx->cap : 4096;
		uint8_t *nb;

		while (cap < rx->len + n)
			cap *= 2;
		nb = realloc(rx->buf, cap);
		if (nb == NULL)
			return -ENOMEM;
		rx->buf = nb;
		rx->cap = cap;
	}
	memcpy(rx->buf + rx->len, p, n);
	rx->len += n;
	return 0;
}

int mg_grpc_rx_next(struct mg_grpc_rx *rx, const uint8_t **msg, size_t *len)
{
	const uint8_t *h = rx->buf + rx->off;
	size_t live = rx->len - rx->off;
	uint32_t mlen;

	if (live < MG_GRPC_HDR_LEN)
		return 0;
	if (h[0] != 0)
		return -EPROTO; /* compressed (1) without an encoding, or not gRPC */
	mlen = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
	if (mlen > rx->max_msg)
		return -EMSGSIZE;
	if (live < MG_GRPC_HDR_LEN + (size_t)mlen)
		return 0;
	*msg = h + MG_GRPC_HDR_LEN;
	*len = mlen;
	rx->off += MG_GRPC_HDR_LEN + (size_t)mlen;
	return 1;
}

int mg_grpc_rx_partial(const struct mg_grpc_rx *rx)
{
	return rx->len > rx->off;
}

void mg_grpc_rx_fini(struct mg_grpc_rx *rx)
{
	free(rx->buf);
	memset(rx, 0, sizeof(*rx));
}

int mg_grpc_frame(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *b;

	if (n > UINT32_MAX)
		return -EMSGSIZE;
	b = malloc(MG_GRPC_HDR_LEN + n);
	if (b == NULL)
		return -ENOMEM;
	b[0] = 0;
	b[1] = (uint8_t)(n >> 24);
	b[2] = (uint8_t)(n >> 16);
	b[3] = (uint8_t)(n >> 8);
	b[4] = (uint8_t)n;
	protobuf_c_message_pack(m, b + MG_GRPC_HDR_LEN);
	*out = b;
	*len = MG_GRPC_HDR_LEN + n;
	return 0;
}

void mg_grpc_message_encode(const char *src, char *dst, size_t dstlen)
{
	size_t o = 0;

	if (dstlen == 0)
		return;
	for (const unsigned char *s = (const unsigned char *)src; *s != '\0'; s++) {
		if (*s >= 0x20 && *s <= 0x7e && *s != '%') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)*s;
		} else {
			if (o + 3 >= dstlen)
				break;
			snprintf(dst + o, 4, "%%%02X", *s);
			o += 3;
		}
	}
	dst[o] = '\0';
}
