/*
 * request_id.h — the x-request-id the proxy generates: a UUID version 4
 * string ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", y in 8..b) from two words
 * of the worker's RNG.  Hand-rolled hex because snprintf with five
 * conversions cost ~2,600 instructions per request, an eighth of a
 * proxied keep-alive request.
 */
#ifndef MG_PROXY_REQUEST_ID_H
#define MG_PROXY_REQUEST_ID_H

#include <stdint.h>

/** Length of a formatted request id (no NUL is written). */
#define MG_PROXY_REQUEST_ID_LEN 36

static inline void mg_proxy_hex_(char *o, uint64_t v, unsigned digits)
{
	static const char hex[16] = "0123456789abcdef";

	while (digits-- > 0) {
		o[digits] = hex[v & 15];
		v >>= 4;
	}
}

/**
 * Format the request id of random words a and b into out (36 bytes, not
 * NUL-terminated): byte for byte what
 * snprintf("%08x-%04x-4%03x-%04x-%012llx", a >> 32, (a >> 16) & 0xffff,
 * a & 0xfff, ((b >> 48) & 0x3fff) | 0x8000, b & 0xffffffffffff) gives.
 */
static inline void mg_proxy_request_id(char *out, uint64_t a, uint64_t b)
{
	mg_proxy_hex_(out, a >> 32, 8);
	out[8] = '-';
	mg_proxy_hex_(out + 9, (a >> 16) & 0xffff, 4);
	out[13] = '-';
	out[14] = '4';
	mg_proxy_hex_(out + 15, a & 0xfff, 3);
	out[18] = '-';
	mg_proxy_hex_(out + 19, ((b >> 48) & 0x3fff) | 0x8000, 4);
	out[23] = '-';
	mg_proxy_hex_(out + 24, b & 0xffffffffffffull, 12);
}

#endif /* MG_PROXY_REQUEST_ID_H */
