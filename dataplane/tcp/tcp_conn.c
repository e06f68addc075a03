/*
 * tcp_conn.c — the per-worker connection table and connection life cycle:
 * set-up and tear-down of a worker's TCP state, the 4-tuple hash, control
 * block allocation (recycling the oldest TIME-WAIT block when full), ISNs
 * (RFC 6528), listen and connect.
 *
 * The table is a preallocated array of control blocks with an index-chained
 * hash on the 4-tuple: no allocation on the packet path, bounded memory, and
 * deletion without tombstones.  rte_hash was rejected because it would need
 * a second indirection from its key slots to our blocks.
 */
#include <errno.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "net/net.h"
#include <rte_thash.h>

#include "tcp/tcp_pvt.h"

#define NIL UINT32_MAX

const struct mg_tcp_counter_desc mg_tcp_counter_descs[] = {
#define MG_TCP_STAT(n, h) {#n, h, MG_TCP_KIND_STAT},
#define MG_TCP_DROP(n, h) {"drop_" #n, h, MG_TCP_KIND_DROP},
#include "tcp/tcp_counters.def"
};

static const char *const state_names[] = {
#define X(s) #s,
    MG_TCP_STATES(X)
#undef X
};

const char *mg_tcp_state_name(unsigned state)
{
	return state < MG_TCP_N_STATES ? state_names[state] : "?";
}

int mg_tcp_register(void)
{
	return mg_ipv4_register(IPPROTO_TCP, mg_tcp_input);
}

/* SipHash-2-4 (Aumasson, Bernstein) of 16 bytes: a keyed PRF, as RFC 6528 asks for ISNs. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
	do {                                                              \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32); \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                    \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                    \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32); \
	} while (0)

uint64_t tcp_siphash(const uint64_t key[2], uint64_t m0, uint64_t m1)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t last = (uint64_t)16 << 56;

	v3 ^= m0;
	SIPROUND;
	SIPROUND;
	v0 ^= m0;
	v3 ^= m1;
	SIPROUND;
	SIPROUND;
	v0 ^= m1;
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t tuple_hash(const struct mg_tcp_worker *tw, rte_be32_t laddr, rte_be16_t lport,
                           rte_be32_t raddr, rte_be16_t rport)
{
	return rte_jhash_3words(laddr, raddr, ((uint32_t)lport << 16) | rport, tw->hash_seed);
}

struct mg_tcp_conn *tcp_conn_lookup(struct mg_tcp_worker *tw, rte_be32_t laddr, rte_be16_t lport,
                                    rte_be32_t raddr, rte_be16_t rport)
{
	uint32_t i = tw->buckets[tuple_hash(tw, laddr, lport, raddr, rport) & tw->bucket_mask];

	while (i != NIL) {
		struct mg_tcp_conn *c = &tw->conns[i];

		if (c->laddr == laddr && c->raddr == raddr && c->lport == lport &&
		    c->rport == rport)
			return c;
		i = c->hnext;
	}
	return NULL;
}

static void hash_unlink(struct mg_tcp_worker *tw, struct mg_tcp_conn *c)
{
	uint32_t *p =
	    &tw->buckets[tuple_hash(tw, c->laddr, c->lport, c->raddr, c->rport) & tw->bucket_mask];
	uint32_t idx = (uint32_t)(c - tw->conns);

	while (*p != NIL && *p != idx)
		p = &tw->conns[*p].hnext;
	if (*p == idx)
		*p = c->hnext;
}

/* Gauges are read by the control core: relaxed stores, as mg_cnt_add. */
static void gauge_add(uint32_t *g, int d)
{
	__atomic_store_n(g, __atomic_load_n(g, __ATOMIC_RELAXED) + (uint32_t)d, __ATOMIC_RELAXED);
}

void tcp_conn_set_state(struct mg_tcp_conn *c, enum mg_tcp_state s)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	gauge_add(&tw->n_state[c->state], -1);
	gauge_add(&tw->n_state[s], 1);
	if (s == MG_TCP_ESTABLISHED)
		mg_cnt_add(&tw->cnt.conn_established, 1);
	c->state = (uint8_t)s;
}

/* Return c's slot to the free list; c is unlinked and holds nothing. */
static void conn_free_slot(struct mg_tcp_worker *tw, struct mg_tcp_conn *c)
{
	gauge_add(&tw->n_state[c->state], -1);
	c->state = MG_TCP_CLOSED;
	c->flags = 0;
	c->hnext = tw->free_head;
	tw->free_head = (uint32_t)(c - tw->conns);
	tw->n_used--;
	mg_cnt_add(&tw->cnt.conn_closed, 1);
}

/*
 * Free a scratch control block that never took part in a connection (the
 * one a SYN cookie's SYN-ACK is sent from): no callbacks, not counted as a
 * connection closed.
 */
void tcp_conn_discard(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	tcp_timer_unlink(c);
	hash_unlink(tw, c);
	gauge_add(&tw->n_state[c->state], -1);
	c->state = MG_TCP_CLOSED;
	c->flags = 0;
	c->hnext = tw->free_head;
	tw->free_head = (uint32_t)(c - tw->conns);
	tw->n_used--;
}

void tcp_conn_hold(struct mg_tcp_conn *c)
{
	c->busy++;
}

void tcp_conn_put(struct mg_tcp_conn *c)
{
	if (--c->busy == 0 && (c->flags & MG_TCPF_FREED))
		conn_free_slot(tcp_of(c), c);
}

void tcp_conn_notify_close(struct mg_tcp_conn *c, int err)
{
	if (!(c->flags & MG_TCPF_OPENED) || c->cbs == NULL)
		return;
	c->flags &= (uint16_t)~MG_TCPF_OPENED;
	c->flags |= MG_TCPF_USER_GONE;
	if (c->cbs->on_close != NULL)
		c->cbs->on_close(c->ctx, c, err);
}

/*
 * The end of a connection: drop timers and queues, tell the layer above (if
 * it knows c), unlink.  The slot is reused only once no caller up the stack
 * still uses c (busy), so callbacks may close or abort the connection they
 * are called for.
 */
void tcp_conn_close(struct mg_tcp_conn *c, int err)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	if (c->flags & MG_TCPF_FREED)
		return;
	c->flags |= MG_TCPF_FREED;
	tcp_timer_unlink(c);
	tcp_sndq_free(c);
	tcp_ooo_free(c);
	if (c->state == MG_TCP_TIME_WAIT) {
		TAILQ_REMOVE(&tw->time_wait, c, tw_link);
		tw->n_time_wait--;
	}
	if (c->state == MG_TCP_SYN_RECEIVED && (c->flags & MG_TCPF_PASSIVE))
		tw->listeners[c->listener].n_syn--;
	hash_unlink(tw, c);
	tcp_conn_set_state(c, MG_TCP_CLOSED);
	c->busy++;
	tcp_conn_notify_close(c, err);
	tcp_conn_put(c);
}

void tcp_conn_time_wait(struct mg_tcp_conn *c)
{
	struct mg_tcp_worker *tw = tcp_of(c);

	tcp_sndq_free(c);
	tcp_ooo_free(c);
	tcp_timer_stop(c, MG_TCPT_REXMT | MG_TCPT_DELACK);
	c->flags &= (uint16_t)~MG_TCPF_PERSIST;
	tcp_conn_set_state(c, MG_TCP_TIME_WAIT);
	TAILQ_INSERT_TAIL(&tw->time_wait, c, tw_link);
	tw->n_time_wait++;
	tcp_timer_set(c, MG_TCPT_MISC, 2 * MG_TCP_MSL_MS);
	tcp_conn_notify_close(c, 0);
}

/* Advertised MSS towards raddr: the MTU of the interface the route leaves by, minus 40. */
uint16_t tcp_adv_mss(const struct mg_tcp_worker *tw, rte_be32_t raddr)
{
	const struct mg_net_conf *nc = tw->w->net;
	const struct mg_route *rt;
	rte_be32_t nh;
	unsigned mtu = 1500;

	rt = mg_route_lookup(nc, raddr, &nh);
	if (rt != NULL && nc->ifaces[rt->iface].mtu >= 576)
		mtu = nc->ifaces[rt->iface].mtu;
	return (uint16_t)(mtu - sizeof(struct rte_ipv4_hdr) - sizeof(struct rte_tcp_hdr));
}

/* Window scale that lets rcvbuf be advertised whole (RFC 7323: at most 14). */
uint8_t tcp_rcv_wscale(const struct mg_tcp_worker *tw)
{
	uint32_t rcvbuf = tw->conf.rcvbuf;
	uint8_t s = 0;

	while (s < 14 && (rcvbuf >> s) > 65535)
		s++;
	return s;
}

static struct mg_tcp_conn *conn_take_slot(struct mg_tcp_worker *tw)
{
	struct mg_tcp_conn *c;

	if (tw->free_head == NIL) {
		/* Full: the oldest TIME-WAIT block is the cheapest to give up (RFC 6191 spirit). */
		c = TAILQ_FIRST(&tw->time_wait);
		if (c == NULL || c->busy != 0)
			return NULL;
		mg_cnt_add(&tw->cnt.time_wait_recycled, 1);
		tcp_conn_close(c, 0);
		if (tw->free_head == NIL)
			return NULL;
	}
	c = &tw->conns[tw->free_head];
	tw->free_head = c->hnext;
	tw->n_used++;
	return c;
}

struct mg_tcp_conn *tcp_conn_new(struct mg_tcp_worker *tw, rte_be32_t laddr, rte_be16_t lport,
                                 rte_be32_t raddr, rte_be16_t rport)
{
	struct mg_tcp_conn *c = conn_take_slot(tw);
	uint32_t b;
	uint64_t h;

	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->laddr = laddr;
	c->raddr = raddr;
	c->lport = lport;
	c->rport = rport;
	c->tw = tw;
	c->state = MG_TCP_CLOSED;
	gauge_add(&tw->n_state[MG_TCP_CLOSED], 1);
	b = tuple_hash(tw, laddr, lport, raddr, rport) & tw->bucket_mask;
	c->hnext = tw->buckets[b];
	tw->buckets[b] = (uint32_t)(c - tw->conns);
	/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
	h = tcp_siphash(tw->isn_key, ((uint64_t)laddr << 32) | raddr,
	                ((uint64_t)lport << 16) | rport);
	c->iss = (uint32_t)h + (uint32_t)(tw->w->now / tw->tsc_per_4us);
	c->ts_off = (uint32_t)(h >> 32);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss; /* RFC 6582 */
	c->rto = MG_TCP_RTO_INIT;
	c->rcv_wscale = tcp_rcv_wscale(tw);
	c->rcv_wnd = tw->conf.rcvbuf;
	c->mss = MG_TCP_DEFAULT_MSS;
	c->quickack = MG_TCP_QUICKACK;
	c->cc = tw->cc;
	return c;
}

static void conf_defaults(struct mg_tcp_conf *c, const struct mg_tcp_conf *in)
{
	memset(c, 0, sizeof(*c));
	if (in != NULL)
		*c = *in;
	if (c->max_conns == 0)
		c->max_conns = 65536;
	if (c->syn_backlog == 0)
		c->syn_backlog = 1024;
	if (c->sndbuf == 0)
		c->sndbuf = 262144;
	if (c->rcvbuf == 0)
		c->rcvbuf = 262144;
	if (c->cc[0] == '\0')
		strcpy(c->cc, "newreno");
	if (c->keepalive_intvl_ms == 0)
		c->keepalive_intvl_ms = MG_TCP_KEEPALIVE_INTVL_MS;
	if (c->keepalive_probes == 0)
		c->keepalive_probes = MG_TCP_KEEPALIVE_PROBES;
}

static int tcp_tables_alloc(struct mg_tcp_worker *tw)
{
	uint32_t nb = 1;

	while (nb < tw->conf.max_conns)
		nb <<= 1;
	tw->conns = rte_zmalloc("mg_tcp_conns", (size_t)tw->conf.max_conns * sizeof(*tw->conns),
	                        RTE_CACHE_LINE_SIZE);
	tw->buckets = rte_malloc("mg_tcp_hash", (size_t)nb * sizeof(uint32_t), 0);
	if (tw->conns == NULL || tw->buckets == NULL)
		return -ENOMEM;
	tw->bucket_mask = nb - 1;
	for (uint32_t i = 0; i < nb; i++)
		tw->buckets[i] = NIL;
	for (uint32_t i = 0; i < tw->conf.max_conns; i++)
		tw->conns[i].hnext = i + 1 < tw->conf.max_conns ? i + 1 : NIL;
	tw->free_head = 0;
	return 0;
}

int mg_tcp_worker_init(struct mg_worker *w, const struct mg_tcp_conf *conf)
{
	struct mg_tcp_worker *tw;
	struct mg_tcp_conf c;
	int rc;

	if (w->tcp != NULL)
		return -EEXIST;
	conf_defaults(&c, conf);
	if (c.max_conns > (1u << 24) || tcp_cc_find(c.cc) == NULL)
		return -EINVAL;
	tw = rte_zmalloc("mg_tcp_worker", sizeof(*tw), RTE_CACHE_LINE_SIZE);
	if (tw == NULL)
		return -ENOMEM;
	tw->w = w;
	tw->conf = c;
	tw->cc = tcp_cc_find(c.cc);
	rc = tcp_tables_alloc(tw);
	if (rc < 0) {
		rte_free(tw->conns);
		rte_free(tw->buckets);
		rte_free(tw);
		return rc;
	}
	tw->hash_seed = (uint32_t)rte_rand();
	tw->isn_key[0] = rte_rand();
	tw->isn_key[1] = rte_rand();
	tw->cookie_key[0] = rte_rand();
	tw->cookie_key[1] = rte_rand();
	tw->tsc_per_ms = RTE_MAX(w->dp->tsc_hz / 1000, (uint64_t)1);
	tw->tsc_per_4us = RTE_MAX(w->dp->tsc_hz / 250000, (uint64_t)1);
	tw->now_ms = (uint32_t)(w->now / tw->tsc_per_ms);
	tw->wheel_ms = tw->now_ms;
	tw->chal_sec = tw->now_ms / 1000;
	tw->chal_left = MG_TCP_CHALLENGE_PER_SEC;
	tw->next_port = (uint16_t)(MG_TCP_EPHEMERAL_LO +
	                           rte_rand() % (MG_TCP_EPHEMERAL_HI - MG_TCP_EPHEMERAL_LO + 1));
	TAILQ_INIT(&tw->time_wait);
	for (unsigned i = 0; i < MG_TCP_WHEEL_SLOTS; i++)
		LIST_INIT(&tw->wheel[i]);
	w->tcp = tw;
	return 0;
}

void mg_tcp_worker_fini(struct mg_worker *w)
{
	struct mg_tcp_worker *tw = w->tcp;

	if (tw == NULL)
		return;
	for (uint32_t i = 0; i < tw->conf.max_conns; i++) {
		struct mg_tcp_conn *c = &tw->conns[i];

		if (c->tw == tw && !(c->flags & MG_TCPF_FREED) && c->state != MG_TCP_CLOSED) {
			tcp_sndq_free(c);
			tcp_ooo_free(c);
			/* The layer above frees its per-connection state in on_close. */
			c->flags |= MG_TCPF_FREED; /* stream ops become no-ops */
			tcp_conn_notify_close(c, -ECONNABORTED);
		}
	}
	rte_free(tw->conns);
	rte_free(tw->buckets);
	rte_free(tw);
	w->tcp = NULL;
}

int mg_tcp_listen(struct mg_worker *w, rte_be32_t addr, uint16_t port, const struct mg_tcp_cbs *cbs,
                  void *(*accept_ctx)(void *arg, struct mg_tcp_conn *c), void *arg)
{
	struct mg_tcp_worker *tw = w->tcp;
	struct mg_tcp_listener *free_l = NULL;
	rte_be16_t p = rte_cpu_to_be_16(port);

	if (tw == NULL || port == 0 || cbs == NULL || accept_ctx == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < MG_TCP_MAX_LISTENERS; i++) {
		struct mg_tcp_listener *l = &tw->listeners[i];

		if (l->port == 0) {
			if (free_l == NULL)
				free_l = l;
		} else if (l->port == p && (l->addr == addr || l->addr == 0 || addr == 0)) {
			return -EADDRINUSE;
		}
	}
	if (free_l == NULL)
		return -ENOSPC;
	*free_l = (struct mg_tcp_listener){
	    .addr = addr, .port = p, .cbs = cbs, .accept_ctx = accept_ctx, .arg = arg};
	return 0;
}

static struct mg_tcp_listener *listener_at(struct mg_tcp_worker *tw, rte_be32_t addr, uint16_t port)
{
	rte_be16_t p = rte_cpu_to_be_16(port);

	for (unsigned i = 0; tw != NULL && port != 0 && i < MG_TCP_MAX_LISTENERS; i++)
		if (tw->listeners[i].port == p && tw->listeners[i].addr == addr)
			return &tw->listeners[i];
	return NULL;
}

int mg_tcp_listener_update(struct mg_worker *w, rte_be32_t addr, uint16_t port,
                           const struct mg_tcp_cbs *cbs,
                           void *(*accept_ctx)(void *arg, struct mg_tcp_conn *c), void *arg)
{
	struct mg_tcp_listener *l;

	if (cbs == NULL || accept_ctx == NULL)
		return -EINVAL;
	l = listener_at(w->tcp, addr, port);
	if (l == NULL)
		return -ESRCH;
	l->cbs = cbs;
	l->accept_ctx = accept_ctx;
	l->arg = arg;
	l->cc = NULL;
	return 0;
}

int mg_tcp_unlisten(struct mg_worker *w, rte_be32_t addr, uint16_t port)
{
	struct mg_tcp_worker *tw = w->tcp;
	struct mg_tcp_listener *l = listener_at(tw, addr, port);
	uint8_t idx;

	if (l == NULL)
		return -ESRCH;
	idx = (uint8_t)(l - tw->listeners);
	/*
	 * Half-open connections name the listener by index and would complete
	 * into whatever listens there next: reset them now (the client's SYN
	 * retry finds the port closed, or the new listener).
	 */
	for (uint32_t i = 0; l->n_syn > 0 && i < tw->conf.max_conns; i++) {
		struct mg_tcp_conn *c = &tw->conns[i];

		if (c->tw == tw && !(c->flags & MG_TCPF_FREED) && c->state == MG_TCP_SYN_RECEIVED &&
		    (c->flags & MG_TCPF_PASSIVE) && c->listener == idx) {
			mg_cnt_add(&tw->cnt.rst_out_unlisten, 1);
			tcp_send_rst(c);
			tcp_conn_close(c, -ECONNREFUSED);
		}
	}
	*l = (struct mg_tcp_listener){0};
	return 0;
}

int mg_tcp_listener_set_cc(struct mg_worker *w, rte_be32_t addr, uint16_t port, const char *name)
{
	const struct mg_tcp_cc_ops *cc = tcp_cc_find(name);
	struct mg_tcp_listener *l;

	if (cc == NULL)
		return -ENOENT;
	l = listener_at(w->tcp, addr, port);
	if (l == NULL)
		return -ESRCH;
	l->cc = cc;
	return 0;
}

static bool port_free(struct mg_tcp_worker *tw, rte_be32_t laddr, rte_be16_t lport, rte_be32_t dst,
                      rte_be16_t dport)
{
	for (unsigned i = 0; i < MG_TCP_MAX_LISTENERS; i++)
		if (tw->listeners[i].port == lport)
			return false;
	return tcp_conn_lookup(tw, laddr, lport, dst, dport) == NULL;
}

/*
 * Ephemeral port: a cursor over 32768..60999 from a random start, skipping
 * ports in use towards the same peer.  With several workers a port belongs
 * to the worker port % n_workers: replies the NIC (or af_packet's fanout,
 * whose hash we cannot predict) delivers to another worker are handed over
 * to the owner (mg_tcp_handoff_input), which finds it from the port alone.
 * Where the interface's RSS is known (ifc->rss_ok), the port must also be one
 * whose replies the NIC's Toeplitz hash sends to our own queue, so they need
 * no hand-over at all.
 */
static rte_be16_t pick_port(struct mg_tcp_worker *tw, const struct mg_iface *ifc, rte_be32_t laddr,
                            rte_be32_t dst, rte_be16_t dport)
{
	unsigned nw = tw->w->dp != NULL && tw->w->dp->n_workers > 1 ? tw->w->dp->n_workers : 1;

	for (unsigned n = 0; n <= MG_TCP_EPHEMERAL_HI - MG_TCP_EPHEMERAL_LO; n++) {
		uint16_t p = tw->next_port;

		tw->next_port = p >= MG_TCP_EPHEMERAL_HI ? MG_TCP_EPHEMERAL_LO : (uint16_t)(p + 1);
		if (p % nw != tw->w->idx)
			continue;
		if (nw > 1 && ifc->rss_ok &&
		    mg_tcp_rss_queue(ifc, dst, laddr, rte_be_to_cpu_16(dport), p) != tw->w->idx)
			continue;
		if (port_free(tw, laddr, rte_cpu_to_be_16(p), dst, dport))
			return rte_cpu_to_be_16(p);
	}
	return 0;
}

uint16_t mg_tcp_rss_queue(const struct mg_iface *ifc, rte_be32_t src, rte_be32_t dst,
                          uint16_t sport, uint16_t dport)
{
	struct rte_ipv4_tuple t = {.src_addr = rte_be_to_cpu_32(src),
	                           .dst_addr = rte_be_to_cpu_32(dst),
	                           .sport = sport,
	                           .dport = dport};

	return ifc
	    ->reta[rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, ifc->rss_key) % ifc->reta_size];
}

const struct mg_tcp_cc_ops *tcp_cc_find(const char *name)
{
	static const struct mg_tcp_cc_ops *const all[] = {&mg_tcp_cc_newreno, &mg_tcp_cc_cubic};

	for (unsigned i = 0; name != NULL && i < MG_ARRAY_SIZE(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

int mg_tcp_set_cc(struct mg_tcp_conn *c, const char *name)
{
	const struct mg_tcp_cc_ops *cc = tcp_cc_find(name);

	if (cc == NULL)
		return -ENOENT;
	/* Before any data (snd_max is past the SYN only): the algorithm's state
	 * starts with the connection. */
	if (c->snd_max != c->iss + 1)
		return -EBUSY;
	c->cc = cc;
	cc->init(c);
	return 0;
}

size_t mg_tcp_conn_size(void)
{
	return sizeof(struct mg_tcp_conn);
}

int mg_tcp_set_connect_timeout(struct mg_tcp_conn *c, uint32_t ms)
{
	if (c == NULL || ms == 0 || (c->flags & MG_TCPF_PASSIVE) ||
	    (c->state != MG_TCP_SYN_SENT && c->state != MG_TCP_SYN_RECEIVED))
		return -EINVAL;
	/* The MISC timer is free until the connection is open (keepalive takes it then). */
	tcp_timer_set(c, MG_TCPT_MISC, ms);
	return 0;
}

struct mg_tcp_conn *mg_tcp_connect(struct mg_worker *w, rte_be32_t dst, uint16_t dport,
                                   const struct mg_tcp_cbs *cbs, void *ctx)
{
	struct mg_tcp_worker *tw = w->tcp;
	const struct mg_route *rt;
	struct mg_tcp_conn *c;
	rte_be16_t lport;
	rte_be32_t nh, laddr;

	if (tw == NULL || cbs == NULL || dport == 0 || dst == 0) {
		errno = EINVAL;
		return NULL;
	}
	rt = mg_route_lookup(w->net, dst, &nh);
	if (rt == NULL) {
		errno = EHOSTUNREACH;
		return NULL;
	}
	tw->now_ms = (uint32_t)(w->now / tw->tsc_per_ms);
	laddr = w->net->ifaces[rt->iface].addr;
	lport = pick_port(tw, &w->net->ifaces[rt->iface], laddr, dst, rte_cpu_to_be_16(dport));
	if (lport == 0) {
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	c = tcp_conn_new(tw, laddr, lport, dst, rte_cpu_to_be_16(dport));
	if (c == NULL) {
		errno = ENOBUFS;
		return NULL;
	}
	c->cbs = cbs;
	c->ctx = ctx;
	/* Offer everything; the SYN-ACK says what the peer takes. */
	c->flags |= MG_TCPF_OPENED | MG_TCPF_TS | MG_TCPF_WS | MG_TCPF_SACK;
	c->mss = tcp_adv_mss(tw, dst);
	c->cc->init(c);
	tcp_conn_set_state(c, MG_TCP_SYN_SENT);
	mg_cnt_add(&tw->cnt.active_opens, 1);
	tcp_send_syn(c);
	c->snd_nxt = c->snd_max = c->iss + 1;
	tcp_rexmt_arm(c);
	return c;
}
