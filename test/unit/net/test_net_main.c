/*
 * test_net_main.c — EAL start, the shared fixture and helpers of the L2/L3
 * unit tests (see test_net.h), and main().
 *
 * The worker is built by hand (no lcore, no ethdev): its port ops record
 * what is sent, and the tests drive time by setting w->now.  The real
 * mg_worker_tx/mg_worker_flush/mg_worker_send from worker.c are used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "test_net.h"

const struct rte_ether_addr our_mac0 = {{0x02, 0, 0, 0, 0x00, 0x01}};
const struct rte_ether_addr our_mac1 = {{0x02, 0, 0, 0, 0x01, 0x01}};
const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0x00, 0x02}};
const struct rte_ether_addr stat_mac = {{0x02, 0, 0, 0, 0x00, 0xc8}};
const struct rte_ether_addr bcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

struct mg_worker *tw;
struct rte_mempool *tpool;
struct capture cap;

static struct mg_dp tdp;
static uint64_t t0_tsc, elapsed_ms;
static struct rte_ring *to_ctl, *to_worker;

static uint16_t cap_tx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t take = n < cap.accept ? n : (uint16_t)cap.accept;

	(void)w;
	for (uint16_t i = 0; i < take; i++) {
		if (cap.n < CAP_MAX) {
			cap.iface[cap.n] = iface;
			cap.m[cap.n++] = pkts[i];
		} else {
			cap.overflow++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return take;
}

static uint16_t no_rx(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	(void)w;
	(void)iface;
	(void)pkts;
	(void)n;
	return 0;
}

static const struct mg_port_ops cap_ops = {.rx_burst = no_rx, .tx_burst = cap_tx};

void net_conf_fill(struct mg_net_conf *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->n_ifaces = 2;
	snprintf(nc->ifaces[0].name, sizeof(nc->ifaces[0].name), "client");
	nc->ifaces[0].addr = OUR_IP0;
	nc->ifaces[0].prefix_len = 24;
	nc->ifaces[0].mac = our_mac0;
	nc->ifaces[0].mtu = 1500;
	snprintf(nc->ifaces[1].name, sizeof(nc->ifaces[1].name), "upstream");
	nc->ifaces[1].addr = OUR_IP1;
	nc->ifaces[1].prefix_len = 24;
	nc->ifaces[1].mac = our_mac1;
	nc->ifaces[1].mtu = 1500;
	nc->n_routes = 1;
	nc->routes[0].prefix = FAR_NET;
	nc->routes[0].len = 20;
	nc->routes[0].via = VIA_IP;
	nc->routes[0].iface = 0xff;
	nc->n_static = 1;
	nc->statics[0].addr = STAT_IP;
	nc->statics[0].mac = stat_mac;
	nc->statics[0].iface = 0xff;
	nc->arp_reachable_ms = REACHABLE_MS;
	nc->arp_retrans_ms = RETRANS_MS;
	nc->arp_max_probes = MAX_PROBES;
}

void net_conf_default(struct mg_net_conf *nc)
{
	net_conf_fill(nc);
	ck_assert_int_eq(mg_net_conf_finish(nc), 0);
}

void net_setup(void)
{
	struct mg_msg msg;

	memset(&cap, 0, sizeof(cap));
	cap.accept = UINT16_MAX;
	memset(&tdp, 0, sizeof(tdp));
	net_conf_default(&tdp.net);
	tdp.n_workers = 1;
	tdp.tsc_hz = rte_get_tsc_hz();
	tw = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*tw));
	ck_assert_ptr_nonnull(tw);
	memset(tw, 0, sizeof(*tw));
	tw->idx = 0;
	tw->dp = &tdp;
	tw->net = &tdp.net;
	tw->port_ops = &cap_ops;
	tw->pool = tpool;
	tw->to_ctl = to_ctl;
	tw->to_worker = to_worker;
	/* Far from 0 so that "now - x" never wraps in a test. */
	t0_tsc = 1000ull * tdp.tsc_hz;
	elapsed_ms = 0;
	tw->now = t0_tsc;
	tdp.workers[0] = tw;
	while (rte_ring_dequeue_elem(to_ctl, &msg, sizeof(msg)) == 0)
		;
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), POOL_SIZE);
}

void net_teardown(void)
{
	unsigned avail;

	mg_neigh_flush(tw);
	mg_worker_flush(tw);
	cap_clear();
	avail = rte_mempool_avail_count(tpool);
	free(tw);
	tw = NULL;
	/* Every test must leave the pool whole: a leaked mbuf fails here. */
	ck_assert_uint_eq(avail, POOL_SIZE);
}

void cap_flush(void)
{
	mg_worker_flush(tw);
}

void cap_clear(void)
{
	for (unsigned i = 0; i < cap.n; i++)
		rte_pktmbuf_free(cap.m[i]);
	cap.n = 0;
}

const uint8_t *cap_data(unsigned i, uint32_t *len)
{
	ck_assert_uint_lt(i, cap.n);
	/* Tests read frames flat; every frame we build fits one segment. */
	ck_assert_uint_eq(cap.m[i]->nb_segs, 1);
	*len = cap.m[i]->pkt_len;
	return rte_pktmbuf_mtod(cap.m[i], const uint8_t *);
}

struct rte_mbuf *mk_mbuf(const void *bytes, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tpool);
	char *p;

	ck_assert_ptr_nonnull(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	ck_assert_ptr_nonnull(p);
	if (len > 0)
		memcpy(p, bytes, len);
	return m;
}

void rx_frame(uint8_t iface, const void *bytes, uint32_t len)
{
	struct rte_mbuf *m = mk_mbuf(bytes, len);

	mg_net_input(tw, iface, &m, 1);
	cap_flush();
}

uint32_t build_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, rte_be32_t sip,
                   const struct rte_ether_addr *tha, rte_be32_t tip)
{
	struct rte_ether_hdr *eh = frame_eth(buf);
	struct rte_arp_hdr *ah = frame_arp(buf);

	memset(buf, 0, RTE_ETHER_HDR_LEN + sizeof(*ah));
	eh->dst_addr = op == RTE_ARP_OP_REQUEST ? bcast_mac : *tha;
	eh->src_addr = *sha;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = sip;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	return RTE_ETHER_HDR_LEN + sizeof(*ah);
}

void fix_ip_cksum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = frame_ip(frame);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

void fix_icmp_cksum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = frame_ip(frame);
	struct rte_icmp_hdr *icmp = frame_icmp(frame);
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);

	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len);
}

uint32_t build_echo(uint8_t *buf, rte_be32_t src, rte_be32_t dst, uint16_t payload_len)
{
	struct rte_ether_hdr *eh = frame_eth(buf);
	struct rte_ipv4_hdr *ip = frame_ip(buf);
	struct rte_icmp_hdr *icmp;
	uint8_t *payload;

	memset(buf, 0, RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*icmp) + payload_len);
	eh->dst_addr = our_mac0;
	eh->src_addr = peer_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*icmp) + payload_len);
	ip->packet_id = RTE_BE16(0x4242);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	icmp = frame_icmp(buf);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = RTE_BE16(0x1234);
	icmp->icmp_seq_nb = RTE_BE16(7);
	payload = (uint8_t *)(icmp + 1);
	for (uint16_t i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)i;
	fix_ip_cksum(buf);
	fix_icmp_cksum(buf);
	return RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*icmp) + payload_len;
}

uint64_t cnt_drops(const struct mg_net_counters *c)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < MG_NET_N_COUNTERS; i++)
		if (mg_net_counter_descs[i].kind == MG_NET_KIND_DROP)
			sum += cnt_get(c, i);
	return sum;
}

void cnt_expect(const struct mg_net_counters *before, ...)
{
	int64_t want[MG_NET_N_COUNTERS] = {0};
	va_list ap;
	int idx;

	va_start(ap, before);
	while ((idx = va_arg(ap, int)) >= 0)
		want[idx] = va_arg(ap, int);
	va_end(ap);
	for (unsigned i = 0; i < MG_NET_N_COUNTERS; i++) {
		int64_t got = (int64_t)(cnt_get(&tw->cnt, i) - cnt_get(before, i));

		if (i == MG_NET_IDX_rx_packets || i == MG_NET_IDX_rx_bytes ||
		    i == MG_NET_IDX_tx_packets || i == MG_NET_IDX_tx_bytes)
			continue;
		ck_assert_msg(got == want[i], "counter %s%s changed by %lld, expected %lld",
		              mg_net_counter_descs[i].kind == MG_NET_KIND_DROP ? "drop_" : "",
		              mg_net_counter_descs[i].name, (long long)got, (long long)want[i]);
	}
}

void expect_one_drop(const struct mg_net_counters *before, unsigned idx)
{
	/* ipv4_rx counts packets that passed validation, before protocol dispatch. */
	bool past_ipv4 =
	    idx == MG_NET_IDX_drop_ipv4_unknown_proto || idx == MG_NET_IDX_drop_icmp_runt ||
	    idx == MG_NET_IDX_drop_icmp_bad_cksum || idx == MG_NET_IDX_drop_icmp_unhandled_type;

	ck_assert_uint_eq(tw->cnt.rx_packets - before->rx_packets, 1);
	if (past_ipv4)
		cnt_expect(before, (int)idx, 1, MG_NET_IDX_ipv4_rx, 1, -1);
	else
		cnt_expect(before, (int)idx, 1, -1);
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_uint_eq(tw->cnt.tx_packets, before->tx_packets);
}

void learn_peer(void)
{
	uint8_t f[64];
	uint32_t len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
	                         &(struct rte_ether_addr){{0}}, OUR_IP0);
	struct mg_msg msg;

	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	cap_clear();
	while (rte_ring_dequeue_elem(to_ctl, &msg, sizeof(msg)) == 0)
		;
	ck_assert_ptr_nonnull(mg_neigh_lookup(&tw->neigh, PEER_IP));
}

void advance_ms(uint64_t ms)
{
	/* From the start, not by steps, so rounding does not add up over many steps. */
	elapsed_ms += ms;
	tw->now = t0_tsc + mg_ms_to_tsc(&tdp, elapsed_ms);
}

unsigned ctl_msgs(struct mg_msg *out, unsigned max)
{
	unsigned n = 0;

	while (n < max && rte_ring_dequeue_elem(to_ctl, &out[n], sizeof(out[n])) == 0)
		n++;
	return n;
}

int main(void)
{
	char prefix[64];
	char *argv[] = {"mgtest",        "--no-huge",     "-m",   "128",
	                "--no-pci",      "--file-prefix", prefix, "--log-level",
	                "lib.eal:error", "--no-telemetry"};
	Suite *s = suite_create("net");
	SRunner *sr;
	int failed;

	snprintf(prefix, sizeof(prefix), "mgtest-net-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	tpool = rte_pktmbuf_pool_create("mgtest_net", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                SOCKET_ID_ANY);
	to_ctl = rte_ring_create_elem("mgtest_to_ctl", sizeof(struct mg_msg), 64, SOCKET_ID_ANY,
	                              RING_F_SP_ENQ | RING_F_SC_DEQ);
	to_worker = rte_ring_create_elem("mgtest_to_w", sizeof(struct mg_msg), 64, SOCKET_ID_ANY,
	                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (tpool == NULL || to_ctl == NULL || to_worker == NULL) {
		fprintf(stderr, "cannot create the test pool or rings\n");
		return 1;
	}
	suite_add_tcase(s, tcase_eth());
	suite_add_tcase(s, tcase_arp());
	suite_add_tcase(s, tcase_ipv4());
	suite_add_tcase(s, tcase_icmp());
	suite_add_tcase(s, tcase_neigh());
	suite_add_tcase(s, tcase_route());
	suite_add_tcase(s, tcase_fuzz());
	suite_add_tcase(s, tcase_impair());
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_ring_free(to_ctl);
	rte_ring_free(to_worker);
	rte_mempool_free(tpool);
	rte_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
