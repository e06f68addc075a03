/*
 * test_tcp_main.c — EAL start, the harness of the TCP unit tests (see
 * test_tcp.h) and main().
 *
 * The worker is built by hand (no lcore, no ethdev); frames go in through
 * mg_net_input() and out through the real mg_worker_tx/flush into a capture
 * port, so the tests exercise the same L2/L3 path as production.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include "test_tcp.h"

static const struct rte_ether_addr our_mac = {{0x02, 0, 0, 0, 0x00, 0x01}};
static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0x00, 0x02}};

struct mg_worker *tw;
struct rte_mempool *tpool;
struct tpeer P;
struct tevents ev;
struct mg_tcp_conf tconf;
bool tcp_tlp;

static struct mg_dp tdp;
static uint64_t t0;

#define CAP_MAX 4096
static struct {
	unsigned n, next;
	struct rte_mbuf *m[CAP_MAX];
} cap;
static struct tseg cur;

static uint16_t cap_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	(void)w;
	(void)iface;
	for (uint16_t i = 0; i < n; i++) {
		ck_assert_msg(cap.n < CAP_MAX, "capture full");
		cap.m[cap.n++] = pkts[i];
	}
	return n;
}

static uint16_t no_rx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	(void)w, (void)iface, (void)pkts, (void)n;
	return 0;
}

static const struct mg_port_ops cap_ops = {.rx_burst = no_rx, .tx_burst = cap_tx};

/* ---- callbacks ---- */

static void t_open(void *ctx, struct mg_tcp_conn *c)
{
	(void)ctx;
	ev.opens++;
	ev.conn = c;
}

static void t_data(void *ctx, struct mg_tcp_conn *c, struct rte_mbuf *m)
{
	(void)ctx;
	ev.data_calls++;
	ck_assert_uint_le(ev.rx_len + m->pkt_len, sizeof(ev.rx));
	{
		const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, ev.rx + ev.rx_len);

		/* rte_pktmbuf_read returns a pointer into m when the bytes are contiguous. */
		ck_assert_ptr_nonnull(p);
		if (p != ev.rx + ev.rx_len)
			memcpy(ev.rx + ev.rx_len, p, m->pkt_len);
	}
	ev.rx_len += m->pkt_len;
	if (!ev.hold)
		mg_tcp_stream_ops.recved(c, m->pkt_len);
	rte_pktmbuf_free(m);
	if (ev.abort_on_data)
		mg_tcp_stream_ops.abort(c);
}

static void t_writable(void *ctx, struct mg_tcp_conn *c)
{
	(void)ctx, (void)c;
	ev.writables++;
}

static void t_peer_fin(void *ctx, struct mg_tcp_conn *c)
{
	(void)ctx;
	ev.peer_fins++;
	if (ev.close_on_peer_fin)
		mg_tcp_stream_ops.close(c);
}

static void t_close(void *ctx, struct mg_tcp_conn *c, int err)
{
	(void)ctx, (void)c;
	ev.closes++;
	ev.close_err = err;
	ev.conn = NULL;
}

const struct mg_tcp_cbs test_cbs = {
    .on_open = t_open,
    .on_data = t_data,
    .on_writable = t_writable,
    .on_peer_fin = t_peer_fin,
    .on_close = t_close,
};

static void *t_accept(void *arg, struct mg_tcp_conn *c)
{
	(void)arg, (void)c;
	return ev.refuse_accept ? NULL : &ev;
}

/* ---- fixture ---- */

static void conf_net(struct mg_net_conf *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->n_ifaces = 1;
	snprintf(nc->ifaces[0].name, sizeof(nc->ifaces[0].name), "client");
	nc->ifaces[0].addr = OUR_IP;
	nc->ifaces[0].prefix_len = 24;
	nc->ifaces[0].mac = our_mac;
	nc->ifaces[0].mtu = 1500;
	nc->arp_reachable_ms = 1000;
	nc->arp_retrans_ms = 100;
	nc->arp_max_probes = 3;
	ck_assert_int_eq(mg_net_conf_finish(nc), 0);
}

void tcp_setup(void)
{
	struct mg_neigh *e;

	memset(&cap, 0, sizeof(cap));
	memset(&ev, 0, sizeof(ev));
	memset(&P, 0, sizeof(P));
	memset(&tdp, 0, sizeof(tdp));
	conf_net(&tdp.net);
	tdp.n_workers = 1;
	tdp.tsc_hz = 1000000000ull; /* 1 tick = 1 ns */
	tw = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*tw));
	ck_assert_ptr_nonnull(tw);
	memset(tw, 0, sizeof(*tw));
	tw->dp = &tdp;
	tw->net = &tdp.net;
	tw->port_ops = &cap_ops;
	tw->pool = tpool;
	t0 = 1000ull * tdp.tsc_hz;
	tw->now = t0;
	tdp.workers[0] = tw;
	e = mg_neigh_get(&tw->neigh, PEER_IP);
	ck_assert_ptr_nonnull(e);
	e->state = MG_NEIGH_STATIC;
	e->mac = peer_mac;
	e->iface = 0;
	if (tconf.max_conns == 0)
		tconf.max_conns = 16;
	/* Tail loss probes change when a lost tail is resent: the RTO tests
	 * expect the RTO, and the TLP test asks for probes (tcp_tlp). */
	tconf.no_tlp = !tcp_tlp;
	ck_assert_int_eq(mg_tcp_worker_init(tw, &tconf), 0);
	ck_assert_int_eq(mg_tcp_listen(tw, 0, LPORT, &test_cbs, t_accept, NULL), 0);
	P.port = PPORT;
	P.lport = LPORT;
	P.win = 65535;
	P.tsval = 5000;
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), POOL_SIZE);
}

void tcp_teardown(void)
{
	unsigned avail;

	mg_tcp_worker_fini(tw);
	mg_worker_flush(tw);
	mg_neigh_flush(tw);
	out_clear();
	avail = rte_mempool_avail_count(tpool);
	free(tw);
	tw = NULL;
	memset(&tconf, 0, sizeof(tconf));
	tcp_tlp = false;
	/* Every test must leave the pool whole: a leaked mbuf fails here. */
	ck_assert_uint_eq(avail, POOL_SIZE);
}

void advance_ms(uint64_t ms)
{
	tw->now += ms * 1000000ull;
	mg_tcp_poll(tw);
	mg_worker_flush(tw);
}

uint64_t now_ms(void)
{
	return (tw->now - t0) / 1000000ull;
}

/* ---- capture ---- */

void out_clear(void)
{
	mg_worker_flush(tw);
	for (unsigned i = 0; i < cap.n; i++)
		rte_pktmbuf_free(cap.m[i]);
	cap.n = cap.next = 0;
}

unsigned out_pending(void)
{
	mg_worker_flush(tw);
	return cap.n - cap.next;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse_opts(const uint8_t *p, unsigned n, struct topts *o)
{
	unsigned i = 0;

	memset(o, 0, sizeof(*o));
	while (i < n) {
		uint8_t k = p[i], l;

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		ck_assert_uint_lt(i + 1, n);
		l = p[i + 1];
		ck_assert_uint_ge(l, 2);
		ck_assert_uint_le(i + l, n);
		if (k == 2) {
			o->mss_on = true;
			o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
		} else if (k == 3) {
			o->ws_on = true;
			o->ws = p[i + 2];
		} else if (k == 4) {
			o->sack_ok = true;
		} else if (k == 8) {
			o->ts_on = true;
			o->tsval = get32(p + i + 2);
			o->tsecr = get32(p + i + 6);
		} else if (k == 5) {
			o->n_sack = (l - 2u) / 8;
			for (unsigned b = 0; b < o->n_sack && b < 4; b++) {
				o->sack[b][0] = get32(p + i + 2 + 8 * b);
				o->sack[b][1] = get32(p + i + 6 + 8 * b);
			}
		}
		i += l;
	}
}

struct tseg *out_next(void)
{
	static uint8_t buf[4096];
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t l4len, doff, sum;

	ck_assert_msg(out_pending() > 0, "expected a segment, none sent (t=%llu ms)",
	              (unsigned long long)now_ms());
	m = cap.m[cap.next++];
	ck_assert_uint_le(m->pkt_len, sizeof(buf));
	{
		const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);

		ck_assert_ptr_nonnull(p);
		if (p != buf)
			memcpy(buf, p, m->pkt_len);
	}
	ip = (const struct rte_ipv4_hdr *)(buf + RTE_ETHER_HDR_LEN);
	ck_assert_uint_eq(ip->next_proto_id, IPPROTO_TCP);
	ck_assert_uint_eq(ip->src_addr, OUR_IP);
	ck_assert_uint_eq(ip->dst_addr, PEER_IP);
	ck_assert_uint_eq(rte_ipv4_cksum(ip), 0);
	th = (const struct rte_tcp_hdr *)(ip + 1);
	l4len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);
	ck_assert_uint_eq(m->pkt_len, RTE_ETHER_HDR_LEN + sizeof(*ip) + l4len);
	/* Our checksum must verify. */
	sum = (uint32_t)rte_raw_cksum(th, l4len) + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_uint_eq(sum, 0xffff);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	memset(&cur, 0, sizeof(cur));
	cur.flags = th->tcp_flags;
	cur.seq = rte_be_to_cpu_32(th->sent_seq);
	cur.ack = rte_be_to_cpu_32(th->recv_ack);
	cur.win = rte_be_to_cpu_16(th->rx_win);
	cur.sport = rte_be_to_cpu_16(th->src_port);
	cur.dport = rte_be_to_cpu_16(th->dst_port);
	cur.len = l4len - doff;
	parse_opts((const uint8_t *)(th + 1), doff - sizeof(*th), &cur.o);
	if (cur.len > 0)
		memcpy(cur.data, (const uint8_t *)th + doff, RTE_MIN(cur.len, sizeof(cur.data)));
	if (cur.o.ts_on)
		P.tsecr = cur.o.tsval;
	return &cur;
}

struct tseg *expect_seg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct tseg *s = out_next();

	ck_assert_msg(s->flags == flags, "t=%llu: flags 0x%02x, expected 0x%02x",
	              (unsigned long long)now_ms(), s->flags, flags);
	ck_assert_msg(s->seq == seq, "t=%llu: seq %u, expected %u", (unsigned long long)now_ms(),
	              s->seq, seq);
	if (flags & F_ACK)
		ck_assert_msg(s->ack == ack, "t=%llu: ack %u, expected %u",
		              (unsigned long long)now_ms(), s->ack, ack);
	ck_assert_msg(s->len == len, "t=%llu: len %u, expected %u", (unsigned long long)now_ms(),
	              s->len, len);
	return s;
}

void expect_none(void)
{
	unsigned n = out_pending();

	if (n > 0) {
		struct tseg *s = out_next();

		ck_abort_msg("t=%llu: unexpected segment flags 0x%02x seq %u ack %u len %u",
		             (unsigned long long)now_ms(), s->flags, s->seq, s->ack, s->len);
	}
}

/* ---- injection ---- */

static uint8_t build_opts(uint8_t *p, const struct topts *o)
{
	uint8_t n = 0;

	if (o->raw_on) {
		memcpy(p, o->raw, o->raw_len);
		n = o->raw_len;
	} else {
		if (o->mss_on) {
			p[n++] = 2, p[n++] = 4, p[n++] = (uint8_t)(o->mss >> 8),
			p[n++] = (uint8_t)o->mss;
		}
		if (o->ws_on)
			p[n++] = 1, p[n++] = 3, p[n++] = 3, p[n++] = o->ws;
		if (o->sack_ok)
			p[n++] = 1, p[n++] = 1, p[n++] = 4, p[n++] = 2;
		if (o->ts_on) {
			uint32_t v = rte_cpu_to_be_32(o->tsval), e = rte_cpu_to_be_32(o->tsecr);

			p[n++] = 1, p[n++] = 1, p[n++] = 8, p[n++] = 10;
			memcpy(p + n, &v, 4);
			memcpy(p + n + 4, &e, 4);
			n = (uint8_t)(n + 8);
		}
		if (o->n_sack > 0) {
			p[n++] = 1, p[n++] = 1, p[n++] = 5, p[n++] = (uint8_t)(2 + 8 * o->n_sack);
			for (unsigned b = 0; b < o->n_sack; b++) {
				uint32_t l = rte_cpu_to_be_32(o->sack[b][0]),
				         r = rte_cpu_to_be_32(o->sack[b][1]);

				memcpy(p + n, &l, 4);
				memcpy(p + n + 4, &r, 4);
				n = (uint8_t)(n + 8);
			}
		}
	}
	while (n % 4)
		p[n++] = 0;
	return n;
}

uint32_t build_seg(uint8_t *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
                   const void *data, uint32_t len, const struct topts *o)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	struct topts def = {0};
	uint8_t olen;

	if (o == NULL) {
		def.ts_on = P.ts;
		def.tsval = P.tsval;
		def.tsecr = P.tsecr;
		o = &def;
	}
	memset(f, 0, RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*th));
	eh->dst_addr = our_mac;
	eh->src_addr = peer_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	olen = build_opts((uint8_t *)(th + 1), o);
	if (len > 0)
		memcpy((uint8_t *)(th + 1) + olen, data, len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*th) + olen + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = PEER_IP;
	ip->dst_addr = OUR_IP;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(P.port);
	th->dst_port = rte_cpu_to_be_16(P.lport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*th) + olen + len;
}

void inject_frame(const uint8_t *f, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tpool);

	ck_assert_ptr_nonnull(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
	mg_net_input(tw, 0, &m, 1);
	mg_worker_flush(tw);
}

void inject(uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint32_t len,
            const struct topts *o)
{
	static uint8_t f[2048];
	uint32_t n = build_seg(f, flags, seq, ack, P.win, data, len, o);

	P.tsval++;
	inject_frame(f, n);
}

void peer_send(uint8_t flags, const void *data, uint32_t len)
{
	uint32_t seq = P.snd_nxt;

	P.snd_nxt += len + ((flags & F_SYN) ? 1 : 0) + ((flags & F_FIN) ? 1 : 0);
	inject(flags, seq, P.rcv_nxt, data, len, NULL);
}

static struct topts full_opts(void)
{
	struct topts o = {.mss_on = true,
	                  .mss = 1460,
	                  .ws_on = true,
	                  .ws = 7,
	                  .sack_ok = true,
	                  .ts_on = true,
	                  .tsval = P.tsval,
	                  .tsecr = 0};
	return o;
}

uint32_t open_passive(bool full)
{
	struct topts o = full_opts();
	struct tseg *s;
	uint32_t iss;

	P.snd_nxt = 1000000;
	P.ts = full;
	inject(F_SYN, P.snd_nxt, 0, NULL, 0, full ? &o : &(struct topts){0});
	P.snd_nxt++;
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
	ck_assert_uint_eq(s->ack, P.snd_nxt);
	iss = s->seq;
	P.rcv_nxt = iss + 1;
	peer_send(F_ACK, NULL, 0);
	ck_assert_uint_eq(ev.opens, 1);
	ck_assert_ptr_nonnull(ev.conn);
	ck_assert_uint_eq(ev.conn->state, MG_TCP_ESTABLISHED);
	expect_none();
	return iss;
}

struct mg_tcp_conn *open_active(void)
{
	struct mg_tcp_conn *c = mg_tcp_connect(tw, PEER_IP, PPORT, &test_cbs, &ev);
	struct topts o;
	struct tseg *s;

	ck_assert_ptr_nonnull(c);
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN);
	P.lport = s->sport;
	P.port = PPORT;
	P.rcv_nxt = s->seq + 1;
	P.snd_nxt = 7000000;
	P.ts = true;
	o = full_opts();
	o.tsecr = s->o.tsval;
	inject(F_SYN | F_ACK, P.snd_nxt, P.rcv_nxt, NULL, 0, &o);
	P.snd_nxt++;
	ck_assert_uint_eq(ev.opens, 1);
	ck_assert_uint_eq(c->state, MG_TCP_ESTABLISHED);
	expect_seg(F_ACK, P.rcv_nxt, P.snd_nxt, 0);
	expect_none();
	return c;
}

int send_bytes(struct mg_tcp_conn *c, uint32_t off, uint32_t len)
{
	struct rte_mbuf *head = NULL;
	int rc;

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tpool);
		uint16_t n = (uint16_t)RTE_MIN(len, 1000u);
		uint8_t *p;

		ck_assert_ptr_nonnull(m);
		p = (uint8_t *)rte_pktmbuf_append(m, n);
		for (uint16_t i = 0; i < n; i++)
			p[i] = mg_tcp_source_byte(off + i);
		off += n, len -= n;
		if (head == NULL)
			head = m;
		else
			ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
	}
	rc = mg_tcp_stream_ops.send(c, head);
	if (rc != 0)
		rte_pktmbuf_free(head);
	mg_worker_flush(tw);
	return rc;
}

uint64_t tcnt(unsigned idx)
{
	return ((const uint64_t *)&tw->tcp->cnt)[idx];
}

uint64_t tdrops(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < MG_TCP_N_COUNTERS; i++)
		if (mg_tcp_counter_descs[i].kind == MG_TCP_KIND_DROP)
			sum += tcnt(i);
	return sum;
}

void expect_accounted(void)
{
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_seg_in), tcnt(MG_TCP_IDX_seg_accepted) + tdrops());
}

int main(void)
{
	char prefix[64];
	char *argv[] = {"mgtest",        "--no-huge",     "-m",   "128",
	                "--no-pci",      "--file-prefix", prefix, "--log-level",
	                "lib.eal:error", "--no-telemetry"};
	Suite *s = suite_create("tcp");
	SRunner *sr;
	int failed;

	snprintf(prefix, sizeof(prefix), "mgtest-tcp-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	tpool = rte_pktmbuf_pool_create("mgtest_tcp", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                SOCKET_ID_ANY);
	if (tpool == NULL || mg_tcp_register() != 0) {
		fprintf(stderr, "cannot create the test pool or register TCP\n");
		return 1;
	}
	suite_add_tcase(s, tcase_open());
	suite_add_tcase(s, tcase_syncookie());
	suite_add_tcase(s, tcase_sack());
	suite_add_tcase(s, tcase_tlp());
	suite_add_tcase(s, tcase_cc());
	suite_add_tcase(s, tcase_rss());
	suite_add_tcase(s, tcase_limits());
	suite_add_tcase(s, tcase_limits2());
	suite_add_tcase(s, tcase_backpressure());
	suite_add_tcase(s, tcase_misc2());
	suite_add_tcase(s, tcase_services_bp());
	suite_add_tcase(s, tcase_keepalive());
	suite_add_tcase(s, tcase_rcvwnd());
	suite_add_tcase(s, tcase_data());
	suite_add_tcase(s, tcase_close());
	suite_add_tcase(s, tcase_rst());
	suite_add_tcase(s, tcase_misc());
	suite_add_tcase(s, tcase_services());
	suite_add_tcase(s, tcase_fuzz());
	suite_add_tcase(s, tcase_forward());
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(tpool);
	rte_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
