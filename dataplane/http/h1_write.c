/*
 * h1_write.c — serialising HTTP/1.1 heads (request line or status line and
 * fields) into a caller's buffer or a new mbuf chain, the last chunk with
 * trailers, and zero-copy chunk framing of a body mbuf chain.
 *
 * One writer serves both destinations: a sink that either fills a flat
 * buffer or appends to an mbuf chain, growing it a segment at a time.  Every
 * token and value is checked on the way out, so a value holding CR or LF
 * (say, copied from an upstream response) cannot split a message; fields
 * the parser already checked (MG_H1_HF_VALID) are not checked twice.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "http/h1_pvt.h"

/*
 * The sink writes at p, with room up to end: for a flat buffer that is the
 * buffer; for an mbuf chain, the tailroom of the last segment, whose
 * data_len (and the head's pkt_len) catch up in sink_commit, not on every
 * put.  So a put that fits is one compare and one memcpy; the rejected
 * alternative, rte_pktmbuf_lastseg + rte_pktmbuf_append per put, cost ~70
 * instructions each and a head takes ~40 puts.
 */
struct sink {
	char *p;
	char *end;
	char *buf; /* flat buffer, or NULL for an mbuf chain */
	struct rte_mempool *mp;
	struct rte_mbuf *head;
	struct rte_mbuf *seg; /* the chain's last segment, written at p */
	int err;
};

/* mbuf sink: account the bytes written into seg since the last commit. */
static void sink_commit(struct sink *s)
{
	char *tail = rte_pktmbuf_mtod_offset(s->seg, char *, s->seg->data_len);
	uint16_t add = (uint16_t)(s->p - tail);

	s->seg->data_len = (uint16_t)(s->seg->data_len + add);
	s->head->pkt_len += add;
}

static void sink_at_seg(struct sink *s, struct rte_mbuf *m)
{
	s->seg = m;
	s->p = rte_pktmbuf_mtod_offset(m, char *, m->data_len);
	s->end = s->p + rte_pktmbuf_tailroom(m);
}

static void sink_init_mbuf(struct sink *s, struct rte_mempool *mp, struct rte_mbuf *head)
{
	s->buf = NULL;
	s->mp = mp;
	s->head = head;
	s->err = 0;
	sink_at_seg(s, rte_pktmbuf_lastseg(head));
}

static void sink_init_flat(struct sink *s, char *buf, uint32_t cap)
{
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->p = buf;
	s->end = buf + cap;
}

/* Bytes written so far (mbuf: after sink_commit). */
static uint32_t sink_len(const struct sink *s)
{
	return s->buf != NULL ? (uint32_t)(s->p - s->buf) : s->head->pkt_len;
}

/* Stop the sink: the first error stays, and no later put fits. */
static void sink_fail(struct sink *s, int err)
{
	if (s->err == 0)
		s->err = err;
	s->end = s->p;
}

static void put_slow(struct sink *s, const char *d, uint32_t n)
{
	if (s->err != 0)
		return;
	if (s->buf != NULL) {
		sink_fail(s, -ENOSPC);
		return;
	}
	while (n > 0) {
		uint32_t take = RTE_MIN(n, (uint32_t)(s->end - s->p));
		struct rte_mbuf *m;

		memcpy(s->p, d, take);
		s->p += take;
		d += take;
		n -= take;
		if (n == 0)
			break;
		sink_commit(s);
		m = rte_pktmbuf_alloc(s->mp);
		if (m == NULL || rte_pktmbuf_chain(s->head, m) != 0) {
			rte_pktmbuf_free(m);
			sink_fail(s, -ENOMEM);
			return;
		}
		sink_at_seg(s, m);
	}
}

static inline void put(struct sink *s, const char *d, uint32_t n)
{
	if (likely(n <= (uint32_t)(s->end - s->p))) {
		memcpy(s->p, d, n);
		s->p += n;
		return;
	}
	put_slow(s, d, n);
}

/* "name: value\r\n" with one room check when it fits. */
static inline void put_field(struct sink *s, const struct mg_h1_header *h)
{
	uint32_t nl = h->name.len, vl = h->value.len;

	if (likely(nl + vl + 4 <= (uint32_t)(s->end - s->p))) {
		char *o = s->p;

		memcpy(o, h->name.p, nl);
		o += nl;
		o[0] = ':';
		o[1] = ' ';
		memcpy(o + 2, h->value.p, vl);
		o += 2 + vl;
		o[0] = '\r';
		o[1] = '\n';
		s->p = o + 2;
		return;
	}
	put_slow(s, h->name.p, nl);
	put_slow(s, ": ", 2);
	put_slow(s, h->value.p, vl);
	put_slow(s, "\r\n", 2);
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

/*
 * Fields flagged MG_H1_HF_VALID were checked by the parser (h1_parse.c
 * parse_field: a tchar name, field-chars in the value) and nobody changed
 * them since: checking them again here was a third of the cost of writing a
 * head.  Anything else (fields a proxy adds, config-injected values) is
 * checked here as before.
 */
static void put_fields(struct sink *s, const struct mg_h1_header *h, uint16_t n, uint8_t skip)
{
	for (uint16_t i = 0; i < n; i++) {
		if (h[i].flags & skip)
			continue;
		if (!(h[i].flags & MG_H1_HF_VALID) &&
		    (!h1_valid_token(h[i].name.p, h[i].name.len) ||
		     !h1_valid_value(h[i].value.p, h[i].value.len))) {
			sink_fail(s, -EINVAL);
			return;
		}
		put_field(s, &h[i]);
	}
}

static void put_start_line(struct sink *s, const struct mg_h1_msg *m)
{
	char ver[9] = "HTTP/1.0";

	if (m->minor > 9) {
		sink_fail(s, -EINVAL);
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
			sink_fail(s, -EINVAL);
			return;
		}
		for (uint32_t i = 0; i < m->target.len; i++)
			if (!h1_is_target_char((uint8_t)m->target.p[i])) {
				sink_fail(s, -EINVAL);
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
			sink_fail(s, -EINVAL);
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
	if (s->err == 0)
		put_fields(s, m->headers, m->n_headers, skip);
	put(s, "\r\n", 2);
	if (s->buf == NULL)
		sink_commit(s);
	return s->err != 0 ? s->err : (int)sink_len(s);
}

int mg_h1_write_head(char *buf, uint32_t cap, const struct mg_h1_msg *m, uint8_t skip_flags)
{
	struct sink s;

	if (buf == NULL || m == NULL)
		return -EINVAL;
	sink_init_flat(&s, buf, cap);
	return write_head(&s, m, skip_flags);
}

struct rte_mbuf *mg_h1_write_head_mbuf(struct rte_mempool *mp, const struct mg_h1_msg *m,
                                       uint8_t skip_flags)
{
	struct sink s;
	struct rte_mbuf *head;
	int rc;

	if (mp == NULL || m == NULL) {
		errno = EINVAL;
		return NULL;
	}
	head = rte_pktmbuf_alloc(mp);
	if (head == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	sink_init_mbuf(&s, mp, head);
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
	struct sink s;

	if (buf == NULL)
		return -EINVAL;
	sink_init_flat(&s, buf, cap);
	puts_(&s, "0\r\n");
	put_fields(&s, trailers, n, 0);
	put(&s, "\r\n", 2);
	return s.err != 0 ? s.err : (int)sink_len(&s);
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
