/*
 * h1_parse.c — the incremental HTTP/1.1 parser: the state machine that
 * takes segments split anywhere, the block scanner that finds the end of a
 * head or trailer section (and rejects bare CR/LF and oversize blocks as the
 * bytes arrive), start lines, field lines, and the framing rules of RFC 9112
 * 6 with the strictness request smuggling calls for.  The chunked body
 * decoder is in h1_chunked.c.
 *
 * A head is scanned once, byte by byte, whether it arrives whole or a byte
 * at a time; only a complete head is parsed, so the field parser never
 * needs to resume mid-line.  The rejected alternative, a resumable
 * per-field state machine (llhttp), reports fields as fragments that the
 * caller must then stitch together, which is the copy we avoid.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "http/h1_pvt.h"

_Static_assert(sizeof(struct mg_h1_counters) == MG_H1_N_COUNTERS * sizeof(uint64_t),
               "counters are uint64_t, one per line of h1_counters.def");

const struct mg_h1_counter_desc mg_h1_counter_descs[] = {
#define MG_H1_STAT(n, h)   {#n, h},
#define MG_H1_ERR(n, s, h) {"err_" #n, h},
#include "http/h1_counters.def"
};

#define H1_TCHAR_AT(c) H1_MAP_AT(c, H1_TCHAR_LO, H1_TCHAR_HI)
#define H1_STOP_AT(c)  (uint8_t)(((c) < 0x20 && (c) != '\t') || (c) == 0x7f)
const uint8_t h1_tchar_tab[256] = {H1_TAB256(H1_TCHAR_AT)};
const uint8_t h1_scan_stop[256] = {H1_TAB256(H1_STOP_AT)};

static const char *const err_names[] = {
    "none",
#define MG_H1_STAT(n, h)
#define MG_H1_ERR(n, s, h) #n,
#include "http/h1_counters.def"
};

static const uint16_t err_status[] = {
    0,
#define MG_H1_STAT(n, h)
#define MG_H1_ERR(n, s, h) s,
#include "http/h1_counters.def"
};

static const char *const method_names[] = {NULL,
#define X(m) #m,
                                           MG_H1_METHODS(X)
#undef X
};

static const char *const hdr_names[] = {NULL,
#define X(id, s) s,
                                        MG_H1_HDRS(X)
#undef X
};

const char *mg_h1_err_name(enum mg_h1_err e)
{
	return (unsigned)e < MG_H1_N_ERRS ? err_names[e] : "?";
}

int mg_h1_err_status(enum mg_h1_err e)
{
	return (unsigned)e < MG_H1_N_ERRS ? err_status[e] : 400;
}

enum mg_h1_method mg_h1_method_from(const char *s, uint32_t len)
{
	for (unsigned m = 1; m < MG_H1_N_METHODS; m++)
		if (strlen(method_names[m]) == len && memcmp(method_names[m], s, len) == 0)
			return (enum mg_h1_method)m;
	return MG_H1_M_OTHER;
}

const char *mg_h1_method_name(enum mg_h1_method m)
{
	return (unsigned)m < MG_H1_N_METHODS ? method_names[m] : NULL;
}

/* ---- errors and callbacks ---- */

int h1_fail(struct mg_h1_parser *p, enum mg_h1_err e)
{
	p->err = e;
	p->state = H1_S_ERROR;
	switch (e) {
	case MG_H1_E_head_too_large:
	case MG_H1_E_too_many_headers:
		p->rc = -EMSGSIZE;
		break;
	case MG_H1_E_no_memory:
		p->rc = -ENOMEM;
		break;
	case MG_H1_E_callback:
		p->rc = -ECANCELED;
		break;
	default:
		p->rc = -EBADMSG;
		break;
	}
	if (p->cnt != NULL) {
		uint64_t *c = (uint64_t *)p->cnt;

		mg_cnt_add(&p->cnt->errors, 1);
		mg_cnt_add(&c[MG_H1_IDX_err_bad_request_line + (unsigned)e - 1], 1);
	}
	return p->rc;
}

int h1_body(struct mg_h1_parser *p, const char *at, uint32_t len)
{
	if (len == 0)
		return 0;
	if (p->cnt != NULL)
		mg_cnt_add(&p->cnt->body_bytes, len);
	if (p->cbs != NULL && p->cbs->on_body != NULL && p->cbs->on_body(p->ctx, at, len) != 0)
		return h1_fail(p, MG_H1_E_callback);
	return 0;
}

/* ---- life cycle ---- */

int mg_h1_parser_init(struct mg_h1_parser *p, enum mg_h1_kind kind, const struct mg_h1_conf *conf,
                      const struct mg_h1_cbs *cbs, void *ctx, struct mg_h1_counters *cnt)
{
	if (p == NULL || (kind != MG_H1_REQUEST && kind != MG_H1_RESPONSE))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (conf != NULL)
		p->conf = *conf;
	if (p->conf.max_head_bytes == 0)
		p->conf.max_head_bytes = MG_H1_DEF_MAX_HEAD_BYTES;
	if (p->conf.max_headers == 0)
		p->conf.max_headers = MG_H1_DEF_MAX_HEADERS;
	if (p->conf.max_head_bytes < 16)
		return -EINVAL;
	/*
	 * The field array comes with the first head (h1_parse_fields), 16 at a
	 * time up to max_headers: a connection that is open but has sent
	 * nothing costs nothing here (100 fields would be 4 KiB each).
	 */
	p->kind = kind;
	p->cbs = cbs;
	p->ctx = ctx;
	p->cnt = cnt;
	mg_h1_parser_reset(p);
	return 0;
}

void mg_h1_parser_fini(struct mg_h1_parser *p)
{
	free(p->hdrs);
	free(p->hb);
	memset(p, 0, sizeof(*p));
}

void mg_h1_parser_reset(struct mg_h1_parser *p)
{
	p->state = H1_S_START;
	p->err = MG_H1_E_NONE;
	p->rc = 0;
	p->gathering = false;
	p->ended = false;
	p->hb_len = 0;
	p->req_method = MG_H1_M_GET;
	memset(&p->msg, 0, sizeof(p->msg));
}

void mg_h1_parser_set_request(struct mg_h1_parser *p, enum mg_h1_method m)
{
	p->req_method = m;
}

bool mg_h1_parser_idle(const struct mg_h1_parser *p)
{
	return p->state == H1_S_START;
}

/* ---- start lines ---- */

/* "HTTP/" DIGIT "." DIGIT; major 1 only. */
static int parse_version(struct mg_h1_parser *p, const char *s, uint32_t n)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[5] < '0' || s[5] > '9' || s[6] != '.' ||
	    s[7] < '0' || s[7] > '9')
		return h1_fail(p, MG_H1_E_bad_version);
	if (s[5] != '1')
		return h1_fail(p, MG_H1_E_version_unsupported);
	p->msg.minor = (uint8_t)(s[7] - '0');
	return 0;
}

/* authority-form (RFC 9112 3.2.3): uri-host ":" port, nothing else. */
static bool authority_ok(const char *t, uint32_t n)
{
	uint32_t colon = n, i;

	for (i = 0; i < n; i++) {
		if (t[i] == '/' || t[i] == '?' || t[i] == '@')
			return false;
		if (t[i] == ':')
			colon = i;
	}
	if (colon == 0 || colon >= n - 1 || n - 1 - colon > 5)
		return false;
	for (i = colon + 1; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

/* absolute-form: a scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")) and ':'. */
static bool absolute_ok(const char *t, uint32_t n)
{
	uint32_t i;

	if (!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return false;
	for (i = 1; i < n && t[i] != ':'; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
		      (t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' || t[i] == '.'))
			return false;
	return i < n;
}

static int parse_target(struct mg_h1_parser *p, const char *t, uint32_t n)
{
	struct mg_h1_msg *m = &p->msg;

	for (uint32_t i = 0; i < n; i++) {
		if (!h1_is_target_char((uint8_t)t[i]))
			return h1_fail(p, MG_H1_E_bad_target);
		if (t[i] == '%' && (i + 2 >= n || h1_hexval((uint8_t)t[i + 1]) < 0 ||
		                    h1_hexval((uint8_t)t[i + 2]) < 0))
			return h1_fail(p, MG_H1_E_bad_target);
	}
	m->target.p = t;
	m->target.len = n;
	if (m->method == MG_H1_M_CONNECT) {
		if (!authority_ok(t, n))
			return h1_fail(p, MG_H1_E_bad_target);
		m->form = MG_H1_T_AUTHORITY;
	} else if (n == 1 && t[0] == '*') {
		if (m->method != MG_H1_M_OPTIONS)
			return h1_fail(p, MG_H1_E_bad_target);
		m->form = MG_H1_T_ASTERISK;
	} else if (t[0] == '/') {
		m->form = MG_H1_T_ORIGIN;
	} else if (absolute_ok(t, n)) {
		m->form = MG_H1_T_ABSOLUTE;
	} else {
		return h1_fail(p, MG_H1_E_bad_target);
	}
	return 0;
}

/* method SP request-target SP HTTP-version (RFC 9112 3), single spaces only. */
static int parse_request_line(struct mg_h1_parser *p, const char *l, uint32_t n)
{
	struct mg_h1_msg *m = &p->msg;
	uint32_t k = 0, t;
	int rc;

	while (k < n && h1_is_tchar((uint8_t)l[k]))
		k++;
	if (k == n || (k > 0 && h1_is_ows((uint8_t)l[k]) && l[k] != ' ') || l[0] == ' ')
		return h1_fail(p, MG_H1_E_bad_request_line);
	if (k == 0 || l[k] != ' ')
		return h1_fail(p, MG_H1_E_bad_method);
	m->method_str.p = l;
	m->method_str.len = k;
	m->method = mg_h1_method_from(l, k);
	for (t = k + 1; t < n && l[t] != ' '; t++)
		;
	if (t == n || t == k + 1)
		return h1_fail(p, MG_H1_E_bad_request_line);
	rc = parse_target(p, l + k + 1, t - k - 1);
	if (rc < 0)
		return rc;
	return parse_version(p, l + t + 1, n - t - 1);
}

/* HTTP-version SP 3DIGIT SP [reason-phrase]; a missing final SP is tolerated (RFC 9112 4). */
static int parse_status_line(struct mg_h1_parser *p, const char *l, uint32_t n)
{
	struct mg_h1_msg *m = &p->msg;
	int rc;

	rc = parse_version(p, l, n < 8 ? n : 8);
	if (rc < 0)
		return rc;
	if (n < 12 || l[8] != ' ')
		return h1_fail(p, MG_H1_E_bad_status_line);
	for (unsigned i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return h1_fail(p, MG_H1_E_bad_status_line);
	m->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
	if (m->status < 100 || (n > 12 && l[12] != ' '))
		return h1_fail(p, MG_H1_E_bad_status_line);
	for (uint32_t i = 13; i < n; i++)
		if (!h1_is_field_char((uint8_t)l[i]))
			return h1_fail(p, MG_H1_E_bad_status_line);
	m->reason.p = n > 13 ? l + 13 : l + n;
	m->reason.len = n > 13 ? n - 13 : 0;
	m->method = p->req_method;
	return 0;
}

/* ---- field lines ---- */

static const uint8_t hdr_lens[] = {0,
#define X(id, s) sizeof(s) - 1,
                                   MG_H1_HDRS(X)
#undef X
};

#define X(id, s) _Static_assert(sizeof(s) - 1 < 32, "hdr_len_mask holds lengths below 32");
MG_H1_HDRS(X)
#undef X

/* Bit n set: some known name is n bytes long. */
static const uint32_t hdr_len_mask = 0
#define X(id, s) | (1u << (sizeof(s) - 1))
    MG_H1_HDRS(X)
#undef X
    ;

/*
 * Length first: most names differ from every known one in length or first
 * byte.  The mask turns most unknown names away before the loop.
 */
static uint8_t hdr_id(const char *name, uint32_t len)
{
	if (len >= 32 || !((hdr_len_mask >> len) & 1))
		return MG_H1_H_OTHER;
	for (unsigned i = 1; i < MG_H1_N_HDRS; i++)
		if (hdr_lens[i] == len && h1_ieq(name, len, hdr_names[i]))
			return (uint8_t)i;
	return MG_H1_H_OTHER;
}

/* field-name ":" OWS field-value OWS (RFC 9112 5). */
static int parse_field(struct mg_h1_parser *p, const char *l, uint32_t n, struct mg_h1_header *h)
{
	uint32_t k = 0, v, e;

	if (h1_is_ows((uint8_t)l[0]))
		return h1_fail(p, MG_H1_E_obs_fold);
	while (k < n && h1_is_tchar((uint8_t)l[k]))
		k++;
	if (k == n || (l[k] != ':' && memchr(l + k, ':', n - k) == NULL))
		return h1_fail(p, MG_H1_E_no_colon);
	if (l[k] != ':')
		return h1_fail(p, k > 0 && h1_is_ows((uint8_t)l[k]) ? MG_H1_E_header_name_ws
		                                                    : MG_H1_E_bad_header_name);
	if (k == 0)
		return h1_fail(p, MG_H1_E_bad_header_name);
	for (v = k + 1; v < n && h1_is_ows((uint8_t)l[v]); v++)
		;
	for (e = n; e > v && h1_is_ows((uint8_t)l[e - 1]); e--)
		;
	/* The scanner saw every byte: values need checking only if it saw a CTL. */
	for (uint32_t i = v; p->blk_ctl && i < e; i++)
		if (!h1_is_field_char((uint8_t)l[i]))
			return h1_fail(p, MG_H1_E_bad_header_value);
	h->name.p = l;
	h->name.len = k;
	h->value.p = l + v;
	h->value.len = e - v;
	h->id = hdr_id(l, k);
	h->flags = MG_H1_HF_VALID;
	return 0;
}

int h1_parse_fields(struct mg_h1_parser *p, const char *b, uint32_t n)
{
	uint32_t pos = 0;
	int nh = 0, rc;

	while (pos < n) {
		const char *l = b + pos;
		const char *cr = memchr(l, '\r', n - pos);
		uint32_t ll;

		/* The scanner guarantees every line ends with CRLF. */
		if (cr == NULL)
			return h1_fail(p, MG_H1_E_bare_lf);
		ll = (uint32_t)(cr - l);
		if (ll == 0)
			break;
		if (nh >= p->conf.max_headers)
			return h1_fail(p, MG_H1_E_too_many_headers);
		if (nh >= p->hdrs_cap) {
			uint32_t cap = p->hdrs_cap ? 2u * p->hdrs_cap : 16u;
			struct mg_h1_header *nh_arr;

			if (cap > p->conf.max_headers)
				cap = p->conf.max_headers;
			nh_arr = realloc(p->hdrs, cap * sizeof(*p->hdrs));
			if (nh_arr == NULL)
				return h1_fail(p, MG_H1_E_no_memory);
			p->hdrs = nh_arr;
			p->hdrs_cap = (uint16_t)cap;
		}
		rc = parse_field(p, l, ll, &p->hdrs[nh]);
		if (rc < 0)
			return rc;
		nh++;
		pos += ll + 2;
	}
	return nh;
}

/* ---- list fields ---- */

/*
 * Next element of a comma-separated list (RFC 9110 5.6.1) from *pos, OWS
 * trimmed; empty elements are skipped.  False at the end.
 */
static bool list_next(const struct mg_h1_str *v, uint32_t *pos, struct mg_h1_str *el)
{
	while (*pos < v->len) {
		uint32_t s = *pos, e;

		while (*pos < v->len && v->p[*pos] != ',')
			(*pos)++;
		e = *pos;
		if (*pos < v->len)
			(*pos)++;
		while (s < e && h1_is_ows((uint8_t)v->p[s]))
			s++;
		while (e > s && h1_is_ows((uint8_t)v->p[e - 1]))
			e--;
		if (e > s) {
			el->p = v->p + s;
			el->len = e - s;
			return true;
		}
	}
	return false;
}

static uint32_t token_len(const struct mg_h1_str *s)
{
	uint32_t k = 0;

	while (k < s->len && h1_is_tchar((uint8_t)s->p[k]))
		k++;
	return k;
}

static bool ieq2(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	if (al != bl)
		return false;
	for (uint32_t i = 0; i < al; i++)
		if (h1_lower(a[i]) != h1_lower(b[i]))
			return false;
	return true;
}

/* What the framing fields of a head said. */
struct framing {
	bool cl_seen, te_seen, last_chunked, other_coding, conn_upgrade, upgrade_hdr, ws, expect;
	unsigned n_chunked, hosts;
	uint64_t cl;
};

/* Content-Length = 1*DIGIT; lists rejected even when the values agree. */
static int parse_cl(struct mg_h1_parser *p, const struct mg_h1_str *v, struct framing *f)
{
	uint64_t x = 0;

	if (memchr(v->p, ',', v->len) != NULL)
		return h1_fail(p, MG_H1_E_cl_list);
	if (v->len == 0)
		return h1_fail(p, MG_H1_E_cl_invalid);
	for (uint32_t i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return h1_fail(p, MG_H1_E_cl_invalid);
		if (x > ((uint64_t)INT64_MAX - (uint64_t)(v->p[i] - '0')) / 10)
			return h1_fail(p, MG_H1_E_cl_overflow);
		x = x * 10 + (uint64_t)(v->p[i] - '0');
	}
	if (f->cl_seen && f->cl != x)
		return h1_fail(p, MG_H1_E_cl_mismatch);
	f->cl_seen = true;
	f->cl = x;
	return 0;
}

/*
 * Transfer-Encoding: a list of codings in the order applied.  Each element
 * must be a token; parameters are allowed only on a response's codings other
 * than chunked (we pass those through, never decode them).
 */
static int parse_te(struct mg_h1_parser *p, const struct mg_h1_str *v, struct framing *f)
{
	struct mg_h1_str el;
	uint32_t pos = 0;
	bool any = false;

	while (list_next(v, &pos, &el)) {
		uint32_t k = token_len(&el);
		bool chunked = h1_ieq(el.p, k, "chunked");

		if (k == 0)
			return h1_fail(p, MG_H1_E_te_invalid);
		if (k < el.len) {
			uint32_t r = k;

			while (r < el.len && h1_is_ows((uint8_t)el.p[r]))
				r++;
			if (p->kind == MG_H1_REQUEST || chunked || r == el.len || el.p[r] != ';')
				return h1_fail(p, MG_H1_E_te_invalid);
		}
		any = true;
		f->last_chunked = chunked;
		if (chunked)
			f->n_chunked++;
		else
			f->other_coding = true;
	}
	if (!any)
		return h1_fail(p, MG_H1_E_te_invalid);
	f->te_seen = true;
	return 0;
}

static int parse_connection(struct mg_h1_parser *p, const struct mg_h1_str *v, struct framing *f)
{
	struct mg_h1_str el;
	uint32_t pos = 0;

	while (list_next(v, &pos, &el)) {
		if (token_len(&el) != el.len)
			return h1_fail(p, MG_H1_E_bad_connection);
		if (h1_ieq(el.p, el.len, "close"))
			p->msg.flags |= MG_H1_F_CONN_CLOSE;
		else if (h1_ieq(el.p, el.len, "keep-alive"))
			p->msg.flags |= MG_H1_F_CONN_KEEP_ALIVE;
		else if (h1_ieq(el.p, el.len, "upgrade"))
			f->conn_upgrade = true;
	}
	return 0;
}

/* Upgrade: protocol list (RFC 9110 7.8); websocket is "websocket" or "websocket/<v>". */
static void parse_upgrade(const struct mg_h1_str *v, struct framing *f)
{
	struct mg_h1_str el;
	uint32_t pos = 0;

	f->upgrade_hdr = true;
	while (list_next(v, &pos, &el)) {
		uint32_t k = 0;

		while (k < el.len && el.p[k] != '/')
			k++;
		if (h1_ieq(el.p, k, "websocket"))
			f->ws = true;
	}
}

/* Host = uri-host [ ":" port ]; the characters of reg-name, IP literals and a port. */
static bool host_ok(const struct mg_h1_str *v)
{
	for (uint32_t i = 0; i < v->len; i++) {
		uint8_t c = (uint8_t)v->p[i];

		if (!h1_is_target_char(c) || c == '/' || c == '?' || c == '@')
			return false;
	}
	return true;
}

/* Is name listed in a Connection field of the head? */
static bool named_in_connection(const struct mg_h1_parser *p, const struct mg_h1_str *name)
{
	for (uint16_t i = 0; i < p->msg.n_headers; i++) {
		struct mg_h1_str el;
		uint32_t pos = 0;

		if (p->hdrs[i].id != MG_H1_H_CONNECTION)
			continue;
		while (list_next(&p->hdrs[i].value, &pos, &el))
			if (ieq2(el.p, el.len, name->p, name->len))
				return true;
	}
	return false;
}

/*
 * Flag hop-by-hop fields: the fixed ones and those Connection names.  Host,
 * Content-Length and Expect are never marked, whatever Connection says: a
 * client must not be able to make the proxy drop routing or framing fields.
 */
static void mark_hop_by_hop(struct mg_h1_parser *p)
{
	for (uint16_t i = 0; i < p->msg.n_headers; i++) {
		struct mg_h1_header *h = &p->hdrs[i];

		switch (h->id) {
		case MG_H1_H_CONNECTION:
		case MG_H1_H_KEEP_ALIVE:
		case MG_H1_H_PROXY_CONNECTION:
		case MG_H1_H_TE:
		case MG_H1_H_TRAILER:
		case MG_H1_H_TRANSFER_ENCODING:
		case MG_H1_H_UPGRADE:
			h->flags |= MG_H1_HF_HOP;
			break;
		case MG_H1_H_OTHER:
			if (named_in_connection(p, &h->name))
				h->flags |= MG_H1_HF_HOP;
			break;
		default:
			break;
		}
	}
}

static int scan_fields(struct mg_h1_parser *p, struct framing *f)
{
	struct mg_h1_msg *m = &p->msg;
	int rc = 0;

	for (uint16_t i = 0; i < m->n_headers && rc == 0; i++) {
		const struct mg_h1_header *h = &p->hdrs[i];

		switch (h->id) {
		case MG_H1_H_HOST:
			if (++f->hosts > 1)
				return h1_fail(p, MG_H1_E_multiple_host);
			if (p->kind == MG_H1_REQUEST && !host_ok(&h->value))
				return h1_fail(p, MG_H1_E_bad_host);
			m->host = h->value;
			break;
		case MG_H1_H_CONTENT_LENGTH:
			rc = parse_cl(p, &h->value, f);
			break;
		case MG_H1_H_TRANSFER_ENCODING:
			rc = parse_te(p, &h->value, f);
			break;
		case MG_H1_H_CONNECTION:
			rc = parse_connection(p, &h->value, f);
			break;
		case MG_H1_H_UPGRADE:
			parse_upgrade(&h->value, f);
			break;
		case MG_H1_H_EXPECT:
			if (h1_ieq(h->value.p, h->value.len, "100-continue"))
				f->expect = true;
			break;
		default:
			break;
		}
	}
	return rc;
}

/* Body and connection rules of a request (RFC 9112 6.1, 6.3, 9.3). */
static int frame_request(struct mg_h1_parser *p, struct framing *f)
{
	struct mg_h1_msg *m = &p->msg;

	if (f->te_seen) {
		if (!f->last_chunked)
			return h1_fail(p, MG_H1_E_te_not_chunked);
		if (f->n_chunked > 1)
			return h1_fail(p, MG_H1_E_te_chunked_twice);
		if (f->other_coding)
			return h1_fail(p, MG_H1_E_te_unsupported);
		m->body = MG_H1_B_CHUNKED;
		/* RFC 9112 6.1: TE in an HTTP/1.0 message means faulty framing: close after. */
		if (m->minor == 0)
			m->flags &= ~(uint32_t)MG_H1_F_KEEP_ALIVE;
	} else if (f->cl_seen && f->cl > 0) {
		m->body = MG_H1_B_LENGTH;
	}
	if (f->hosts == 0 && m->minor >= 1)
		return h1_fail(p, MG_H1_E_missing_host);
	if (m->minor >= 1 && f->upgrade_hdr && f->conn_upgrade)
		m->flags |= MG_H1_F_UPGRADE | (f->ws ? MG_H1_F_WEBSOCKET : 0);
	if (m->minor >= 1 && f->expect)
		m->flags |= MG_H1_F_EXPECT_CONTINUE;
	return 0;
}

/* Body rules of a response (RFC 9112 6.3 in its order). */
static int frame_response(struct mg_h1_parser *p, struct framing *f)
{
	struct mg_h1_msg *m = &p->msg;
	uint16_t st = m->status;

	if (f->te_seen && f->n_chunked > 1)
		return h1_fail(p, MG_H1_E_te_chunked_twice);
	if (st == 101) {
		m->flags |= MG_H1_F_UPGRADE | MG_H1_F_TUNNEL | (f->ws ? MG_H1_F_WEBSOCKET : 0);
	} else if (st < 200 || st == 204 || st == 304 || m->method == MG_H1_M_HEAD) {
		m->body = MG_H1_B_NONE;
	} else if (m->method == MG_H1_M_CONNECT && st < 300) {
		m->flags |= MG_H1_F_TUNNEL;
	} else if (f->te_seen) {
		m->body = f->last_chunked ? MG_H1_B_CHUNKED : MG_H1_B_UNTIL_CLOSE;
	} else if (f->cl_seen) {
		m->body = f->cl > 0 ? MG_H1_B_LENGTH : MG_H1_B_NONE;
	} else {
		m->body = MG_H1_B_UNTIL_CLOSE;
	}
	if (m->body == MG_H1_B_UNTIL_CLOSE || (m->flags & MG_H1_F_TUNNEL))
		m->flags &= ~(uint32_t)MG_H1_F_KEEP_ALIVE;
	return 0;
}

/* Framing, keep-alive and flags of a parsed head. */
static int analyse_head(struct mg_h1_parser *p)
{
	struct mg_h1_msg *m = &p->msg;
	struct framing f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = scan_fields(p, &f);
	if (rc < 0)
		return rc;
	if (f.cl_seen && f.te_seen)
		return h1_fail(p, MG_H1_E_cl_and_te);
	m->content_length = f.cl;
	m->flags |= (f.cl_seen ? MG_H1_F_HAS_CL : 0) | (f.te_seen ? MG_H1_F_HAS_TE : 0);
	if (m->minor >= 1
	        ? !(m->flags & MG_H1_F_CONN_CLOSE)
	        : (m->flags & MG_H1_F_CONN_KEEP_ALIVE) && !(m->flags & MG_H1_F_CONN_CLOSE))
		m->flags |= MG_H1_F_KEEP_ALIVE;
	rc = p->kind == MG_H1_REQUEST ? frame_request(p, &f) : frame_response(p, &f);
	if (rc < 0)
		return rc;
	mark_hop_by_hop(p);
	return 0;
}

/* ---- messages ---- */

/* The message is complete: count, call on_message_end, pick the next state. */
static int end_message(struct mg_h1_parser *p)
{
	struct mg_h1_msg *m = &p->msg;

	if (p->kind == MG_H1_REQUEST)
		H1_CNT(p, requests);
	else
		H1_CNT(p, responses);
	if (m->flags & (MG_H1_F_UPGRADE | MG_H1_F_TUNNEL))
		H1_CNT(p, upgrades);
	p->state = (m->flags & MG_H1_F_TUNNEL) ? H1_S_TUNNEL : H1_S_START;
	if (p->kind == MG_H1_RESPONSE && m->status >= 200)
		p->req_method = MG_H1_M_GET;
	p->ended = true;
	if (p->cbs != NULL && p->cbs->on_message_end != NULL &&
	    p->cbs->on_message_end(p->ctx, m) != 0)
		return h1_fail(p, MG_H1_E_callback);
	return 0;
}

/* A complete head at b (n bytes, empty line included): parse, report, set up the body. */
static int finish_head(struct mg_h1_parser *p, const char *b, uint32_t n, bool gathered)
{
	struct mg_h1_msg *m = &p->msg;
	const char *cr = memchr(b, '\r', n);
	uint32_t ll = (uint32_t)(cr - b);
	int rc;

	memset(m, 0, sizeof(*m));
	m->kind = p->kind;
	m->gathered = gathered;
	rc = p->kind == MG_H1_REQUEST ? parse_request_line(p, b, ll) : parse_status_line(p, b, ll);
	if (rc < 0)
		return rc;
	rc = h1_parse_fields(p, b + ll + 2, n - ll - 2);
	if (rc < 0)
		return rc;
	m->headers = p->hdrs; /* after the fields: the array may have grown */
	m->n_headers = (uint16_t)rc;
	rc = analyse_head(p);
	if (rc < 0)
		return rc;
	if (m->flags & MG_H1_F_EXPECT_CONTINUE)
		H1_CNT(p, expect_continue);
	if (p->cbs != NULL && p->cbs->on_head != NULL && p->cbs->on_head(p->ctx, m) != 0)
		return h1_fail(p, MG_H1_E_callback);
	switch (m->body) {
	case MG_H1_B_LENGTH:
		p->remaining = m->content_length;
		p->state = H1_S_BODY_LEN;
		return 0;
	case MG_H1_B_CHUNKED:
		h1_chunked_begin(p);
		p->state = H1_S_CHUNKED;
		return 0;
	case MG_H1_B_UNTIL_CLOSE:
		p->state = H1_S_UNTIL_CLOSE;
		return 0;
	default:
		return end_message(p);
	}
}

static int finish_trailers(struct mg_h1_parser *p, const char *b, uint32_t n)
{
	int rc = h1_parse_fields(p, b, n);

	if (rc < 0)
		return rc;
	/* The trailers reused the field array: the head's list is gone. */
	p->msg.n_headers = 0;
	if (p->cbs != NULL && p->cbs->on_trailers != NULL &&
	    p->cbs->on_trailers(p->ctx, p->hdrs, (uint16_t)rc) != 0)
		return h1_fail(p, MG_H1_E_callback);
	return end_message(p);
}

static void begin_block(struct mg_h1_parser *p, uint8_t state)
{
	p->state = state;
	p->blk_len = 0;
	p->line_len = 0;
	p->lines = 0;
	p->last = 0;
	p->gathering = false;
	p->blk_ctl = false;
	p->hb_len = 0;
}

/*
 * Scan d[0, n) for the empty line that ends the block: 1 (and *used, the
 * bytes up to and including its LF) when found, 0 when all n bytes were
 * scanned without it, or an error.  Limits are checked as bytes arrive, so
 * an endless head is refused at max_head_bytes + 1 bytes, not buffered.
 */
static int scan_block(struct mg_h1_parser *p, const char *d, uint32_t n, uint32_t *used)
{
	uint32_t max_lines = p->conf.max_headers + (p->state == H1_S_HEAD ? 1u : 0u);
	uint32_t avail = p->conf.max_head_bytes - p->blk_len, m = RTE_MIN(n, avail);
	uint32_t line = p->line_len, lines = p->lines, k;
	uint8_t last = p->last;
	enum mg_h1_err e = MG_H1_E_NONE;
	int found = 0;

	/*
	 * Locals, not parser fields, in the loop: d is a char pointer and may
	 * alias *p, so fields would be stored back on every byte.  Printable
	 * bytes and obs-text take the fast path.
	 */
	for (k = 0; k < m; k++) {
		uint8_t c;

		/*
		 * Runs of bytes that need no look (h1_scan_stop) only lengthen
		 * the line: skip them with one load and compare each.  Not
		 * after a CR, where any byte but LF is an error.
		 */
		if (likely(last != '\r')) {
			uint32_t s = k;

			/*
			 * Eight bytes at a time while none is below 0x20 or
			 * DEL (SWAR: a byte below n borrows in w - n*0x01..
			 * with its top bit clear in w; DEL is a zero byte of
			 * w ^ 0x7f..); the table finishes the run.  A false
			 * alarm (HTAB) only hands the rest to the table.
			 */
			while (m - k >= 8) {
				uint64_t w;

				memcpy(&w, d + k, 8);
				if (((w - 0x2020202020202020ull) & ~w) & 0x8080808080808080ull)
					break;
				w ^= 0x7f7f7f7f7f7f7f7full;
				if (((w - 0x0101010101010101ull) & ~w) & 0x8080808080808080ull)
					break;
				k += 8;
			}
			while (k < m && !h1_scan_stop[(uint8_t)d[k]])
				k++;
			if (k > s) {
				line += k - s;
				last = (uint8_t)d[k - 1];
			}
			if (k == m)
				break;
		}
		c = (uint8_t)d[k];
		if (likely(c >= 0x20 && c != 0x7f) || (c != '\n' && c != '\r')) {
			if (unlikely(last == '\r')) {
				e = MG_H1_E_bare_cr;
				break;
			}
			/* A CTL or DEL: the field parser will say where (name, value, target). */
			if (unlikely(c < 0x20 || c == 0x7f) && c != '\t')
				p->blk_ctl = true;
			line++;
		} else if (c == '\r') {
			if (last == '\r') {
				e = MG_H1_E_bare_cr;
				break;
			}
			line++;
		} else if (last != '\r') {
			e = MG_H1_E_bare_lf;
			break;
		} else if (line == 1) {
			found = 1;
			k++;
			break;
		} else if (++lines > max_lines) {
			e = MG_H1_E_too_many_headers;
			break;
		} else {
			line = 0;
		}
		last = c;
	}
	p->blk_len += k;
	p->line_len = line;
	p->lines = lines;
	p->last = found ? 0 : last;
	if (e != MG_H1_E_NONE)
		return h1_fail(p, e);
	if (!found && m < n)
		return h1_fail(p, MG_H1_E_head_too_large);
	*used = k;
	return found;
}

static int hb_append(struct mg_h1_parser *p, const char *d, uint32_t n)
{
	if (p->hb_len + n > p->hb_cap) {
		uint32_t cap = p->hb_cap ? p->hb_cap : 1024;
		char *nb;

		while (cap < p->hb_len + n)
			cap *= 2;
		if (cap > p->conf.max_head_bytes)
			cap = p->conf.max_head_bytes;
		nb = realloc(p->hb, cap);
		if (nb == NULL)
			return h1_fail(p, MG_H1_E_no_memory);
		p->hb = nb;
		p->hb_cap = cap;
	}
	memcpy(p->hb + p->hb_len, d, n);
	p->hb_len += n;
	return 0;
}

/*
 * Head or trailer section at d[*i, n).  In place if the block starts and
 * ends in this segment; otherwise the scanned bytes are appended to the head
 * buffer and the block is parsed from there once complete.
 */
static int block_step(struct mg_h1_parser *p, const char *d, uint32_t n, uint32_t *i)
{
	const char *b = d + *i;
	uint32_t used = 0;
	bool head = p->state == H1_S_HEAD;
	int rc = scan_block(p, b, n - *i, &used);

	if (rc < 0)
		return rc;
	*i += used;
	if (rc == 1 && !p->gathering) {
		H1_CNT(p, heads_in_place);
		return head ? finish_head(p, b, used, false) : finish_trailers(p, b, used);
	}
	if (hb_append(p, b, used) < 0)
		return p->rc;
	p->gathering = true;
	if (rc == 0)
		return 0;
	H1_CNT(p, heads_gathered);
	p->gathering = false;
	return head ? finish_head(p, p->hb, p->hb_len, true) : finish_trailers(p, p->hb, p->hb_len);
}

int mg_h1_parse(struct mg_h1_parser *p, const char *d, uint32_t n)
{
	uint32_t i = 0;
	int rc = 0;

	p->ended = false;
	if (p->state == H1_S_ERROR)
		return p->rc;
	if (p->state == H1_S_TUNNEL)
		return -EALREADY;
	if (n > INT32_MAX)
		return -EINVAL;
	while (i < n && rc >= 0 && !p->ended) {
		switch (p->state) {
		case H1_S_START:
			/* RFC 9112 2.2: ignore empty lines before a request line. */
			if (d[i] == '\r') {
				p->state = H1_S_START_LF;
				i++;
			} else if (d[i] == '\n') {
				rc = h1_fail(p, MG_H1_E_bare_lf);
			} else {
				begin_block(p, H1_S_HEAD);
			}
			break;
		case H1_S_START_LF:
			if (d[i] != '\n') {
				rc = h1_fail(p, MG_H1_E_bare_cr);
				break;
			}
			p->state = H1_S_START;
			i++;
			break;
		case H1_S_HEAD:
		case H1_S_TRAILERS:
			rc = block_step(p, d, n, &i);
			break;
		case H1_S_BODY_LEN: {
			uint32_t take = (uint32_t)RTE_MIN((uint64_t)(n - i), p->remaining);

			rc = h1_body(p, d + i, take);
			i += take;
			p->remaining -= take;
			if (rc == 0 && p->remaining == 0)
				rc = end_message(p);
			break;
		}
		case H1_S_CHUNKED:
			rc = h1_chunked_step(p, d, n, &i);
			if (rc == 1) {
				begin_block(p, H1_S_TRAILERS);
				rc = 0;
			}
			break;
		case H1_S_UNTIL_CLOSE:
			rc = h1_body(p, d + i, n - i);
			i = n;
			break;
		default:
			return p->state == H1_S_TUNNEL ? (int)i : p->rc;
		}
	}
	return rc < 0 ? rc : (int)i;
}

int mg_h1_parse_mbuf(struct mg_h1_parser *p, const struct rte_mbuf *m, uint32_t off)
{
	uint32_t total = 0;

	if (m == NULL || off > m->pkt_len)
		return -EINVAL;
	for (; m != NULL; m = m->next) {
		uint32_t len;
		int rc;

		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		len = m->data_len - off;
		p->seg = m;
		rc = mg_h1_parse(p, rte_pktmbuf_mtod_offset(m, const char *, off), len);
		p->seg = NULL;
		if (rc < 0)
			return rc;
		total += (uint32_t)rc;
		if (p->ended || (uint32_t)rc < len)
			return (int)total;
		off = 0;
	}
	return (int)total;
}

int mg_h1_parse_eof(struct mg_h1_parser *p)
{
	p->ended = false;
	switch (p->state) {
	case H1_S_ERROR:
		return p->rc;
	case H1_S_START:
	case H1_S_START_LF:
	case H1_S_TUNNEL:
		return 0;
	case H1_S_UNTIL_CLOSE:
		return end_message(p);
	default:
		return h1_fail(p, MG_H1_E_truncated);
	}
}
