/*
 * h1_write.c — serialising HTTP/1.1 heads (request line or status line and
 * fields) into a caller's buffer or a new mbuf chain, the last chunk with
 * trailers, and zero-copy chunk framing of a body mbuf chain.
 *
 * One writer serves both destinations: a sink that either fills a flat
 * buffer or appends to an mbuf chain, growing it a segment at a time.  Every
 * token and value is checked on the way out, so a value holding CR or LF
 * (say, copied from an upstream response) cannot split a message.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "http/h1_pvt.h"

struct sink {
	char *buf; /* flat buffer, or NULL for an mbuf chain */
	uint32_t cap;
	uint32_t len;
	struct rte_mempool *mp;
	struct rte_mbuf *head;
	int err;
};

static void put(struct sink *s, const char *d, uint32_t n)
{
	if (s->err != 0)
		return;
	if (s->buf != NULL) {
		if (n > s->cap - s->len) {
			s->err = -ENOSPC;
			return;
		}
		memcpy(s->buf + s->len, d, n);
		s->len += n;
		return;
	}
	while (n > 0) {
		struct rte_mbuf *last = rte_pktmbuf_lastseg(s->head);
		uint32_t take = RTE_MIN(n, (uint32_t)rte_pktmbuf_tailroom(last));
		char *dst;

		if (take == 0) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(s->mp);

			if (m == NULL || rte_pktmbuf_chain(s->head, m) != 0) {
				rte_pktmbuf_free(m);
				s->err = -ENOMEM;
				return;
			}
			continue;
		}
		dst = rte_pktmbuf_append(s->head, (uint16_t)take);
		memcpy(dst, d, take);
		d += take;
		n -= take;
		s->len += take;
	}
}

static void puts_(struct sink *s, const char *str)
{
	put(s, str, (uint32_t)strlen(str));
}

bool h1_valid_token(const char *s, uint32_t n)
{
	if (n == 0)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!h1_is_tchar((uint8_t)s[i]))
			return false;
	return true;
}

bool h1_valid_value(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!h1_is_field_char((uint8_t)s[i]))
			return false;
	return true;
}

static void put_fields(struct sink *s, const struct mg_h1_header *h, uint16_t n, uint8_t skip)
{
	for (uint16_t i = 0; i < n && s->err == 0; i++) {
		if (h[i].flags & skip)
			continue;
		if (!h1_valid_token(h[i].name.p, h[i].name.len) ||
		    !h1_valid_value(h[i].value.p, h[i].value.len)) {
			s->err = -EINVAL;
			return;
		}
		put(s, h[i].name.p, h[i].name.len);
		put(s, ": ", 2);
		put(s, h[i].value.p, h[i].value.len);
		put(s, "\r\n", 2);
	}
}

static void put_start_line(struct sink *s, const struct mg_h1_msg *m)
{
	char ver[9] = "HTTP/1.0";

	if (m->minor > 9) {
		s->err = -EINVAL;
		return;
	}
	ver[7] = (char)('0' + m->minor);
	if (m->kind == MG_H1_REQUEST) {
		struct mg_h1_str ms = m->method_str;

		if (ms.len == 0 && mg_h1_method_name(m->method) != NULL) {
			ms.p = mg_h1_method_name(m->method);
			ms.len = (uint32_t)strlen(ms.p);
		}
		if (!h1_valid_token(ms.p, ms.len) || m->target.len == 0) {
			s->err = -EINVAL;
			return;
		}
		for (uint32_t i = 0; i < m->target.len; i++)
			if (!h1_is_target_char((uint8_t)m->target.p[i])) {
				s->err = -EINVAL;
				return;
			}
		put(s, ms.p, ms.len);
		put(s, " ", 1);
		put(s, m->target.p, m->target.len);
		put(s, " ", 1);
		put(s, ver, 8);
	} else {
		char st[5];

		if (m->status < 100 || m->status > 999 ||
		    !h1_valid_value(m->reason.p, m->reason.len)) {
			s->err = -EINVAL;
			return;
		}
		st[0] = ' ';
		st[1] = (char)('0' + m->status / 100);
		st[2] = (char)('0' + m->status / 10 % 10);
		st[3] = (char)('0' + m->status % 10);
		st[4] = ' ';
		put(s, ver, 8);
		put(s, st, 5);
		put(s, m->reason.p, m->reason.len);
	}
	put(s, "\r\n", 2);
}

static int write_head(struct sink *s, const struct mg_h1_msg *m, uint8_t skip)
{
	if (m->kind != MG_H1_REQUEST && m->kind != MG_H1_RESPONSE)
		return -EINVAL;
	put_start_line(s, m);
	put_fields(s, m->headers, m->n_headers, skip);
	put(s, "\r\n", 2);
	return s->err != 0 ? s->err : (int)s->len;
}

int mg_h1_write_head(char *buf, uint32_t cap, const struct mg_h1_msg *m, uint8_t skip_flags)
{
	struct sink s = {.buf = buf, .cap = cap};

	if (buf == NULL || m == NULL)
		return -EINVAL;
	return write_head(&s, m, skip_flags);
}

struct rte_mbuf *mg_h1_write_head_mbuf(struct rte_mempool *mp, const struct mg_h1_msg *m,
                                       uint8_t skip_flags)
{
	struct sink s = {.mp = mp};
	int rc;

	if (mp == NULL || m == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s.head = rte_pktmbuf_alloc(mp);
	if (s.head == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rc = write_head(&s, m, skip_flags);
	if (rc < 0) {
		rte_pktmbuf_free(s.head);
		errno = -rc;
		return NULL;
	}
	return s.head;
}

int mg_h1_last_chunk(char *buf, uint32_t cap, const struct mg_h1_header *trailers, uint16_t n)
{
	struct sink s = {.buf = buf, .cap = cap};

	if (buf == NULL)
		return -EINVAL;
	puts_(&s, "0\r\n");
	put_fields(&s, trailers, n, 0);
	put(&s, "\r\n", 2);
	return s.err != 0 ? s.err : (int)s.len;
}

/*
 * Can we write into this segment's headroom or tailroom?  Only if we alone
 * own its buffer: a clone or an external buffer shares those bytes with
 * whoever else refers to them.
 */
static bool seg_writable(const struct rte_mbuf *m)
{
	return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
}

int mg_h1_frame_chunk(struct rte_mempool *mp, struct rte_mbuf **chain)
{
	struct rte_mbuf *m, *last, *hm = NULL, *tm = NULL;
	char hdr[20];
	int hl;

	if (chain == NULL || *chain == NULL || (*chain)->pkt_len == 0)
		return -EINVAL;
	m = *chain;
	last = rte_pktmbuf_lastseg(m);
	hl = mg_h1_chunk_header(hdr, sizeof(hdr), m->pkt_len);
	if (!seg_writable(m) || rte_pktmbuf_headroom(m) < (uint16_t)hl)
		hm = rte_pktmbuf_alloc(mp);
	if (!seg_writable(last) || rte_pktmbuf_tailroom(last) < 2)
		tm = rte_pktmbuf_alloc(mp);
	if ((hm == NULL && (!seg_writable(m) || rte_pktmbuf_headroom(m) < (uint16_t)hl)) ||
	    (tm == NULL && (!seg_writable(last) || rte_pktmbuf_tailroom(last) < 2)) ||
	    m->nb_segs + (hm != NULL) + (tm != NULL) > RTE_MBUF_MAX_NB_SEGS) {
		rte_pktmbuf_free(hm);
		rte_pktmbuf_free(tm);
		return -ENOMEM;
	}
	/* Tail first: appending to the last segment must happen before it gets a successor. */
	if (tm != NULL) {
		memcpy(rte_pktmbuf_append(tm, 2), "\r\n", 2);
		rte_pktmbuf_chain(m, tm);
	} else {
		memcpy(rte_pktmbuf_append(m, 2), "\r\n", 2);
	}
	if (hm != NULL) {
		memcpy(rte_pktmbuf_append(hm, (uint16_t)hl), hdr, (size_t)hl);
		rte_pktmbuf_chain(hm, m);
		m = hm;
	} else {
		memcpy(rte_pktmbuf_prepend(m, (uint16_t)hl), hdr, (size_t)hl);
	}
	*chain = m;
	return 0;
}
