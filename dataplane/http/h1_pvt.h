/*
 * h1_pvt.h — internals shared by the h1_*.c files: parser states, character
 * classes (RFC 9110 5.6), the error path and the chunked decoder's entry.
 * No other module includes this.
 */
#ifndef MG_H1_PVT_H
#define MG_H1_PVT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/mg_common.h"
#include "http/h1.h"

enum h1_state {
	H1_S_START,       /* between messages; skipping empty lines */
	H1_S_START_LF,    /* saw CR of an empty line before a message */
	H1_S_HEAD,        /* scanning the head */
	H1_S_BODY_LEN,    /* Content-Length body */
	H1_S_CHUNKED,     /* chunked body (sub-state in cstate) */
	H1_S_TRAILERS,    /* scanning the trailer section */
	H1_S_UNTIL_CLOSE, /* body until EOF */
	H1_S_TUNNEL,      /* switched protocols */
	H1_S_ERROR,
};

/* Chunked decoder sub-states (h1_chunked.c). */
enum h1_cstate {
	H1_C_SIZE0,        /* first hex digit */
	H1_C_SIZE,         /* more hex digits */
	H1_C_SIZE_BWS,     /* whitespace after the size: only ';' may follow */
	H1_C_EXT_BWS,      /* after ';': BWS then a name */
	H1_C_EXT_NAME,     /* in an extension name */
	H1_C_EXT_NAME_BWS, /* after a name: BWS, then '=', ';' or CR */
	H1_C_EXT_VAL_BWS,  /* after '=': BWS then a value */
	H1_C_EXT_VAL,      /* in a token value */
	H1_C_EXT_QVAL,     /* in a quoted-string value */
	H1_C_EXT_QESC,     /* after a backslash in a quoted string */
	H1_C_EXT_QEND,     /* after a closing quote: BWS, ';' or CR */
	H1_C_EXT_END,      /* BWS after a value: only ';' may follow */
	H1_C_SIZE_LF,      /* saw CR of the size line */
	H1_C_DATA,         /* chunk data */
	H1_C_DATA_CR,      /* CR after data */
	H1_C_DATA_LF,      /* LF after data */
};

/*
 * Character classes as 128-bit maps (two words: codes 0-63 and 64-127),
 * built from constant expressions: one shift and mask per byte, and the
 * sets stay readable.  Nothing above 127 is in either class.
 */
#define H1_BIT(c)      (1ull << ((c)&63))
#define H1_RANGE(a, b) ((~0ull >> (63 - ((b) - (a)))) << ((a)&63))

/* tchar (RFC 9110 5.6.2): ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~ */
#define H1_TCHAR_LO                                                                           \
	(H1_BIT('!') | H1_BIT('#') | H1_BIT('$') | H1_BIT('%') | H1_BIT('&') | H1_BIT('\'') | \
	 H1_BIT('*') | H1_BIT('+') | H1_BIT('-') | H1_BIT('.') | H1_RANGE('0', '9'))
#define H1_TCHAR_HI                                                                          \
	(H1_RANGE('A', 'Z') | H1_BIT('^') | H1_BIT('_') | H1_BIT('`') | H1_RANGE('a', 'z') | \
	 H1_BIT('|') | H1_BIT('~'))

/*
 * What a request-target may hold as is (RFC 3986): unreserved, sub-delims,
 * ":" "@" "/" "?", "%" of pct-encoding, "[" "]" of IP literals.  Everything
 * else (CTLs, SP, '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}',
 * obs-text) must be percent-encoded.
 */
#define H1_TARGET_LO (H1_BIT('!') | H1_RANGE('$', ';') | H1_BIT('=') | H1_BIT('?'))
#define H1_TARGET_HI \
	(H1_RANGE('@', '[') | H1_BIT(']') | H1_BIT('_') | H1_RANGE('a', 'z') | H1_BIT('~'))

static inline bool h1_in_map(uint8_t c, uint64_t lo, uint64_t hi)
{
	return c < 64 ? (lo >> c) & 1 : c < 128 ? (hi >> (c - 64)) & 1 : false;
}

/*
 * 256-entry tables built from the same maps (H1_TAB256 expands f over every
 * byte value): one load per byte on the per-byte loops of the parser, where
 * h1_in_map's two compares and a shift showed in the profile.
 */
#define H1_MAP_AT(c, lo, hi)                             \
	((c) < 64    ? (uint8_t)(((lo) >> ((c)&63)) & 1) \
	 : (c) < 128 ? (uint8_t)(((hi) >> ((c)&63)) & 1) \
	             : 0)
#define H1_TAB4(f, b)  f(b), f((b) + 1), f((b) + 2), f((b) + 3)
#define H1_TAB16(f, b) H1_TAB4(f, b), H1_TAB4(f, (b) + 4), H1_TAB4(f, (b) + 8), H1_TAB4(f, (b) + 12)
#define H1_TAB64(f, b) \
	H1_TAB16(f, b), H1_TAB16(f, (b) + 16), H1_TAB16(f, (b) + 32), H1_TAB16(f, (b) + 48)
#define H1_TAB256(f) H1_TAB64(f, 0), H1_TAB64(f, 64), H1_TAB64(f, 128), H1_TAB64(f, 192)

/* 1 for a tchar (h1_parse.c). */
extern const uint8_t h1_tchar_tab[256];
/*
 * 1 where the block scanner must look at a byte: CR, LF, any other CTL but
 * HTAB, DEL (h1_parse.c).  Everything else (printable, HTAB, obs-text) only
 * lengthens the line.
 */
extern const uint8_t h1_scan_stop[256];

static inline bool h1_is_tchar(uint8_t c)
{
	return h1_tchar_tab[c] != 0;
}

static inline bool h1_is_target_char(uint8_t c)
{
	return h1_in_map(c, H1_TARGET_LO, H1_TARGET_HI);
}

/* field-vchar, SP or HTAB: what a field value may hold (RFC 9110 5.5). */
static inline bool h1_is_field_char(uint8_t c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t';
}

static inline bool h1_is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static inline int h1_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline char h1_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* a (len bytes) equals the lower-case literal s, ignoring ASCII case. */
static inline bool h1_ieq(const char *a, uint32_t len, const char *s)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || h1_lower(a[i]) != s[i])
			return false;
	return s[i] == '\0';
}

#define H1_CNT(p, name)                                 \
	do {                                            \
		if ((p)->cnt != NULL)                   \
			mg_cnt_add(&(p)->cnt->name, 1); \
	} while (0)

/* Enter the error state for e; returns the -errno mg_h1_parse reports. */
int h1_fail(struct mg_h1_parser *p, enum mg_h1_err e);

/* Deliver body bytes to on_body; 0 or an error from h1_fail. */
int h1_body(struct mg_h1_parser *p, const char *at, uint32_t len);

/*
 * Run the chunked decoder over d[*i, n): 0 when it used everything it could
 * (more data needed, *i == n), 1 when the last chunk's size line ended (the
 * trailer section starts at *i), or a negative error from h1_fail.
 */
int h1_chunked_step(struct mg_h1_parser *p, const char *d, uint32_t n, uint32_t *i);

/* Start decoding a chunked body. */
void h1_chunked_begin(struct mg_h1_parser *p);

/*
 * Parse the field lines of a complete block b (each line CRLF-terminated,
 * first field line at b, the empty line included in n) into p->hdrs.
 * Returns the number of fields or an error from h1_fail.
 */
int h1_parse_fields(struct mg_h1_parser *p, const char *b, uint32_t n);

/* A valid field name / value for the serializer. */
bool h1_valid_token(const char *s, uint32_t n);
bool h1_valid_value(const char *s, uint32_t n);

#endif /* MG_H1_PVT_H */
