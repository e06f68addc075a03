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
#include <string.h>

/** Length of a formatted request id (no NUL is written). */
#define MG_PROXY_REQUEST_ID_LEN 36

/*
 * The 8 hex digits of v into o: the nibbles spread one per byte (byte k
 * holds nibble k), '0' added and 39 more where a nibble is 10 or more,
 * then byte-swapped so the most significant digit comes first.  ~15
 * instructions for 8 digits instead of a table load and store for each.
 */
static inline void mg_proxy_hex8_(char *o, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x = v;

	x = (x | (x << 16)) & 0x0000ffff0000ffffull;
	x = (x | (x << 8)) & 0x00ff00ff00ff00ffull;
	x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0full;
	x += 0x3030303030303030ull +
	     (((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull) * 39;
	x = __builtin_bswap64(x);
	memcpy(o, &x, 8);
#else
	static const char hex[16] = "0123456789abcdef";

	for (int i = 7; i >= 0; i--, v >>= 4)
		o[i] = hex[v & 15];
#endif
}

/* The last digits (<= 8) hex digits of v into o. */
static inline void mg_proxy_hex_(char *o, uint32_t v, unsigned digits)
{
	char t[8];

	mg_proxy_hex8_(t, v);
	memcpy(o, t + 8 - digits, digits);
}

/**
 * Format the request id of random words a and b into out (36 bytes, not
 * NUL-terminated): byte for byte what
 * snprintf("%08x-%04x-4%03x-%04x-%012llx", a >> 32, (a >> 16) & 0xffff,
 * a & 0xfff, ((b >> 48) & 0x3fff) | 0x8000, b & 0xffffffffffff) gives.
 */
static inline void mg_proxy_request_id(char *out, uint64_t a, uint64_t b)
{
	mg_proxy_hex8_(out, (uint32_t)(a >> 32));
	out[8] = '-';
	mg_proxy_hex_(out + 9, (uint32_t)(a >> 16) & 0xffff, 4);
	out[13] = '-';
	out[14] = '4';
	mg_proxy_hex_(out + 15, (uint32_t)a & 0xfff, 3);
	out[18] = '-';
	mg_proxy_hex_(out + 19, (uint32_t)((b >> 48) & 0x3fff) | 0x8000, 4);
	out[23] = '-';
	mg_proxy_hex_(out + 24, (uint32_t)(b >> 32) & 0xffff, 4);
	mg_proxy_hex8_(out + 28, (uint32_t)b);
}

#endif /* MG_PROXY_REQUEST_ID_H */
