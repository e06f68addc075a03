/*
 * h1_chunked.c — the chunked transfer coding (RFC 9112 7.1): a byte-wise
 * decoder of chunk size lines (with extensions) that hands chunk data up as
 * ranges of the caller's bytes, and the size-line encoder.
 *
 * The size line is checked against the grammar exactly, extensions
 * included, because lenient chunk parsing (a bare LF, a stray byte after the
 * size, an unterminated quoted string) is where front and back ends disagree
 * on where a chunk ends.  Extensions are validated and skipped, not
 * reported: nothing in the gateway acts on them.
 */
#include <string.h>

#include "http/h1_pvt.h"

/* Largest chunk accepted: far above any real chunk, far below overflow. */
#define MAX_CHUNK (1ull << 60)

void h1_chunked_begin(struct mg_h1_parser *p)
{
	p->cstate = H1_C_SIZE0;
	p->remaining = 0;
	p->chunk_line = 0;
}

/* qdtext / quoted-pair content (RFC 9110 5.6.4). */
static bool qdtext(uint8_t c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* The size line's end: on_chunk, then data, or the trailers after the last chunk. */
static int size_line_done(struct mg_h1_parser *p)
{
	H1_CNT(p, chunks);
	if (p->cbs != NULL && p->cbs->on_chunk != NULL &&
	    p->cbs->on_chunk(p->ctx, p->remaining) != 0)
		return h1_fail(p, MG_H1_E_callback);
	p->chunk_line = 0;
	if (p->remaining == 0)
		return 1;
	p->cstate = H1_C_DATA;
	return 0;
}

static int size_digit(struct mg_h1_parser *p, uint8_t c)
{
	int hv = h1_hexval(c);

	if (p->cstate == H1_C_SIZE0) {
		if (hv < 0)
			return h1_fail(p, MG_H1_E_bad_chunk_size);
		p->remaining = (uint64_t)hv;
		p->cstate = H1_C_SIZE;
		return 0;
	}
	if (hv >= 0) {
		if (p->remaining > (MAX_CHUNK >> 4))
			return h1_fail(p, MG_H1_E_chunk_size_overflow);
		p->remaining = (p->remaining << 4) | (uint64_t)hv;
	} else if (c == '\r') {
		p->cstate = H1_C_SIZE_LF;
	} else if (c == ';') {
		p->cstate = H1_C_EXT_BWS;
	} else if (h1_is_ows(c)) {
		p->cstate = H1_C_SIZE_BWS;
	} else if (c == '\n') {
		return h1_fail(p, MG_H1_E_chunk_missing_crlf);
	} else {
		return h1_fail(p, MG_H1_E_bad_chunk_size);
	}
	return 0;
}

/*
 * chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ),
 * ext-val = token / quoted-string.  Whitespace is allowed only where BWS is.
 */
static int ext_char(struct mg_h1_parser *p, uint8_t c)
{
	uint8_t s = p->cstate;
	bool ok = true;

	switch (s) {
	case H1_C_SIZE_BWS:
		ok = h1_is_ows(c) || c == ';';
		s = c == ';' ? H1_C_EXT_BWS : s;
		break;
	case H1_C_EXT_BWS:
		ok = h1_is_ows(c) || h1_is_tchar(c);
		s = h1_is_tchar(c) ? H1_C_EXT_NAME : s;
		break;
	case H1_C_EXT_NAME:
	case H1_C_EXT_VAL:
		if (h1_is_tchar(c))
			break;
		if (c == '=' && s == H1_C_EXT_NAME)
			s = H1_C_EXT_VAL_BWS;
		else if (c == ';')
			s = H1_C_EXT_BWS;
		else if (c == '\r')
			s = H1_C_SIZE_LF;
		else if (h1_is_ows(c))
			s = s == H1_C_EXT_NAME ? H1_C_EXT_NAME_BWS : H1_C_EXT_END;
		else
			ok = false;
		break;
	case H1_C_EXT_NAME_BWS:
		ok = h1_is_ows(c) || c == '=' || c == ';';
		s = c == '=' ? H1_C_EXT_VAL_BWS : c == ';' ? H1_C_EXT_BWS : s;
		break;
	case H1_C_EXT_VAL_BWS:
		ok = h1_is_ows(c) || h1_is_tchar(c) || c == '"';
		s = c == '"' ? H1_C_EXT_QVAL : h1_is_tchar(c) ? H1_C_EXT_VAL : s;
		break;
	case H1_C_EXT_QVAL:
		if (c == '"')
			s = H1_C_EXT_QEND;
		else if (c == '\\')
			s = H1_C_EXT_QESC;
		else
			ok = qdtext(c);
		break;
	case H1_C_EXT_QESC:
		ok = c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
		s = H1_C_EXT_QVAL;
		break;
	case H1_C_EXT_QEND:
		ok = h1_is_ows(c) || c == ';' || c == '\r';
		s = c == ';' ? H1_C_EXT_BWS : c == '\r' ? H1_C_SIZE_LF : H1_C_EXT_END;
		break;
	case H1_C_EXT_END:
		ok = h1_is_ows(c) || c == ';';
		s = c == ';' ? H1_C_EXT_BWS : s;
		break;
	default:
		ok = false;
		break;
	}
	if (!ok)
		return h1_fail(p,
		               s == H1_C_SIZE_BWS ? MG_H1_E_bad_chunk_size : MG_H1_E_bad_chunk_ext);
	p->cstate = s;
	return 0;
}

int h1_chunked_step(struct mg_h1_parser *p, const char *d, uint32_t n, uint32_t *i)
{
	while (*i < n) {
		uint8_t c = (uint8_t)d[*i];
		int rc;

		if (p->cstate == H1_C_DATA) {
			uint32_t take = (uint32_t)RTE_MIN((uint64_t)(n - *i), p->remaining);

			rc = h1_body(p, d + *i, take);
			if (rc < 0)
				return rc;
			*i += take;
			p->remaining -= take;
			if (p->remaining == 0)
				p->cstate = H1_C_DATA_CR;
			continue;
		}
		(*i)++;
		if (p->cstate == H1_C_DATA_CR || p->cstate == H1_C_DATA_LF) {
			if (c != (p->cstate == H1_C_DATA_CR ? '\r' : '\n'))
				return h1_fail(p, MG_H1_E_chunk_missing_crlf);
			p->cstate = p->cstate == H1_C_DATA_CR ? H1_C_DATA_LF : H1_C_SIZE0;
			continue;
		}
		if (++p->chunk_line > MG_H1_MAX_CHUNK_LINE)
			return h1_fail(p, MG_H1_E_chunk_ext_too_long);
		if (p->cstate == H1_C_SIZE_LF) {
			if (c != '\n')
				return h1_fail(p, MG_H1_E_chunk_missing_crlf);
			rc = size_line_done(p);
		} else if (p->cstate == H1_C_SIZE0 || p->cstate == H1_C_SIZE) {
			rc = size_digit(p, c);
		} else {
			rc = ext_char(p, c);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int mg_h1_chunk_header(char *buf, uint32_t cap, uint64_t size)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	uint32_t n = 0;

	do {
		tmp[n++] = hex[size & 15];
		size >>= 4;
	} while (size != 0);
	if (cap < n + 2)
		return -ENOSPC;
	for (uint32_t k = 0; k < n; k++)
		buf[k] = tmp[n - 1 - k];
	buf[n] = '\r';
	buf[n + 1] = '\n';
	return (int)(n + 2);
}
