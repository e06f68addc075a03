/*
 * test_icmp.c — ICMP echo end to end: reply bytes and checksums, options,
 * routing and ARP on the way back (queued while resolving, sent when the
 * ARP reply comes), checksum offload.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_pvt.h"
#include "test_net.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr via_mac = {{0x02, 0, 0, 0, 0x01, 0xfe}};

static struct mg_net_conf *conf_rw(void)
{
	return (struct mg_net_conf *)(uintptr_t)tw->net;
}

struct echo_want {
	uint8_t iface;
	const struct rte_ether_addr *smac, *dmac;
	rte_be32_t src, dst;
	uint16_t payload_len;
	const uint8_t *payload; /* NULL: 0, 1, 2, ... as build_echo makes it */
	bool offload;
};

/* Check captured frame i is the echo reply described by w. */
static void expect_echo_reply(unsigned i, const struct echo_want *w)
{
	uint32_t len, icmp_len = sizeof(struct rte_icmp_hdr) + w->payload_len;
	const uint8_t *d = cap_data(i, &len);
	const struct rte_ether_hdr *eh = (const void *)d;
	const struct rte_ipv4_hdr *ip = (const void *)(eh + 1);
	const struct rte_icmp_hdr *icmp = (const void *)(ip + 1);
	const uint8_t *payload = (const uint8_t *)(icmp + 1);
	uint8_t copy[2048];

	ck_assert_uint_eq(cap.iface[i], w->iface);
	ck_assert_uint_eq(len, RTE_ETHER_HDR_LEN + 20 + icmp_len);
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, w->dmac));
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, w->smac));
	ck_assert_uint_eq(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	ck_assert_uint_eq(ip->version_ihl, 0x45);
	ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length), 20 + icmp_len);
	ck_assert_uint_eq(ip->time_to_live, 64);
	ck_assert_uint_eq(ip->next_proto_id, IPPROTO_ICMP);
	ck_assert_uint_eq(ip->fragment_offset, RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
	ck_assert_uint_eq(ip->src_addr, w->src);
	ck_assert_uint_eq(ip->dst_addr, w->dst);
	if (w->offload) {
		ck_assert_uint_eq(ip->hdr_checksum, 0);
		ck_assert(cap.m[i]->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
		ck_assert(cap.m[i]->ol_flags & RTE_MBUF_F_TX_IPV4);
		ck_assert_uint_eq(cap.m[i]->l2_len, RTE_ETHER_HDR_LEN);
		ck_assert_uint_eq(cap.m[i]->l3_len, 20);
	} else {
		ck_assert_uint_eq(rte_ipv4_cksum(ip), 0);
		ck_assert(!(cap.m[i]->ol_flags & RTE_MBUF_F_TX_IP_CKSUM));
	}
	ck_assert_uint_eq(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	ck_assert_uint_eq(icmp->icmp_code, 0);
	ck_assert_uint_eq(icmp->icmp_ident, RTE_BE16(0x1234));
	ck_assert_uint_eq(icmp->icmp_seq_nb, RTE_BE16(7));
	for (unsigned k = 0; k < w->payload_len; k++)
		ck_assert_uint_eq(payload[k], w->payload ? w->payload[k] : (uint8_t)k);
	/* The checksum is the one computed from scratch, not merely a valid one. */
	ck_assert_uint_eq(rte_raw_cksum(icmp, icmp_len), 0xffff);
	memcpy(copy, icmp, icmp_len);
	((struct rte_icmp_hdr *)copy)->icmp_cksum = 0;
	ck_assert_uint_eq(icmp->icmp_cksum, (uint16_t)~rte_raw_cksum(copy, icmp_len));
}

static const struct echo_want peer_reply = {0,       &our_mac0, &peer_mac, OUR_IP0,
                                            PEER_IP, 56,        NULL,      false};

START_TEST(test_icmp_echo_reply)
{
	struct mg_net_counters before;
	uint8_t f[256];
	uint32_t len;

	learn_peer();
	before = tw->cnt;
	len = build_echo(f, PEER_IP, OUR_IP0, 56);
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	expect_echo_reply(0, &peer_reply);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_icmp_echo_tx, 1, -1);
	ck_assert_uint_eq(tw->cnt.tx_packets - before.tx_packets, 1);
	ck_assert_uint_eq(tw->cnt.tx_bytes - before.tx_bytes, len);
}
END_TEST

/* Payloads of every size up to a full MTU, random bytes: checksums always right. */
START_TEST(test_icmp_echo_sizes)
{
	uint8_t f[1600];
	struct echo_want w = peer_reply;

	learn_peer();
	srand(7);
	for (unsigned n = 0; n <= 1472; n += (n < 64 ? 1 : 97)) {
		uint32_t len = build_echo(f, PEER_IP, OUR_IP0, (uint16_t)n);

		for (unsigned k = 0; k < n; k++)
			f[RTE_ETHER_HDR_LEN + 28 + k] = (uint8_t)rand();
		fix_icmp_cksum(f);
		rx_frame(0, f, len);
		ck_assert_uint_eq(cap.n, 1);
		w.payload_len = (uint16_t)n;
		w.payload = f + RTE_ETHER_HDR_LEN + 28;
		expect_echo_reply(0, &w);
		cap_clear();
	}
}
END_TEST

/* The request whose checksum makes the adjusted one wrap (RFC 1624's corner). */
START_TEST(test_icmp_cksum_corner)
{
	/* 0xffff never comes out of ~sum over non-zero data, so it is not listed. */
	static const uint16_t corners[] = {0xf7ff, 0xf800, 0xf7fe, 0x0000, 0x0800, 0xfffe};
	uint8_t f[256];
	struct echo_want w = peer_reply;

	learn_peer();
	w.payload_len = 8;
	w.payload = f + RTE_ETHER_HDR_LEN + 28;
	for (unsigned c = 0; c < RTE_DIM(corners); c++) {
		uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 8);
		struct rte_icmp_hdr *icmp = frame_icmp(f);
		bool found = false;

		for (uint32_t v = 0; v <= 0xffff && !found; v++) {
			f[len - 2] = (uint8_t)(v >> 8);
			f[len - 1] = (uint8_t)v;
			fix_icmp_cksum(f);
			found = icmp->icmp_cksum == rte_cpu_to_be_16(corners[c]);
		}
		ck_assert_msg(found, "no payload gives checksum %#x", corners[c]);
		rx_frame(0, f, len);
		ck_assert_uint_eq(cap.n, 1);
		expect_echo_reply(0, &w);
		cap_clear();
	}
}
END_TEST

/* A request with IP options gets a plain 20-byte header back. */
START_TEST(test_icmp_echo_with_options)
{
	uint8_t f[256], g[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 56);
	struct rte_ipv4_hdr *ip = frame_ip(g);

	learn_peer();
	memcpy(g, f, RTE_ETHER_HDR_LEN + 20);
	memset(g + RTE_ETHER_HDR_LEN + 20, 1, 8); /* 8 bytes of NOP options */
	memcpy(g + RTE_ETHER_HDR_LEN + 28, f + RTE_ETHER_HDR_LEN + 20,
	       len - RTE_ETHER_HDR_LEN - 20);
	ip->version_ihl = 0x47;
	ip->total_length = rte_cpu_to_be_16(rte_be_to_cpu_16(ip->total_length) + 8);
	fix_ip_cksum(g);
	rx_frame(0, g, len + 8);
	ck_assert_uint_eq(cap.n, 1);
	expect_echo_reply(0, &peer_reply);
}
END_TEST

/* Padding after a small request is not echoed back. */
START_TEST(test_icmp_echo_padded)
{
	uint8_t f[128];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 0);
	struct echo_want w = peer_reply;

	learn_peer();
	memset(f + len, 0xab, 60 - len);
	rx_frame(0, f, 60);
	ck_assert_uint_eq(cap.n, 1);
	w.payload_len = 0;
	expect_echo_reply(0, &w);
}
END_TEST

/* Weak host: our other port's address answers too, from that address. */
START_TEST(test_icmp_echo_other_port_address)
{
	uint8_t f[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP1, 56);
	struct echo_want w = peer_reply;

	learn_peer();
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	w.src = OUR_IP1;
	expect_echo_reply(0, &w);
}
END_TEST

START_TEST(test_icmp_unresolved_then_resolved)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[256], want[64];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 56), wlen;
	struct mg_neigh *e;
	const uint8_t *d;

	rx_frame(0, f, len);
	/* Out goes an ARP request for the requester, byte for byte. */
	ck_assert_uint_eq(cap.n, 1);
	wlen = build_arp(want, RTE_ARP_OP_REQUEST, &our_mac0, OUR_IP0, &zero_mac, PEER_IP);
	d = cap_data(0, &len);
	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(d, want, wlen);
	ck_assert_uint_eq(cap.iface[0], 0);
	e = mg_neigh_lookup(&tw->neigh, PEER_IP);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->state, MG_NEIGH_INCOMPLETE);
	ck_assert_uint_eq(e->n_pending, 1);
	ck_assert_uint_eq(e->probes, 1);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_icmp_echo_tx, 1, MG_NET_IDX_arp_request_tx, 1, -1);
	cap_clear();
	/* The answer releases the queued echo reply. */
	wlen = build_arp(want, RTE_ARP_OP_REPLY, &peer_mac, PEER_IP, &our_mac0, OUR_IP0);
	rx_frame(0, want, wlen);
	ck_assert_uint_eq(cap.n, 1);
	expect_echo_reply(0, &peer_reply);
	ck_assert_uint_eq(e->state, MG_NEIGH_REACHABLE);
	ck_assert_uint_eq(e->n_pending, 0);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_icmp_echo_tx, 1, MG_NET_IDX_arp_request_tx, 1,
	           MG_NET_IDX_arp_reply_rx, 1, MG_NET_IDX_arp_learned, 1, -1);
}
END_TEST

START_TEST(test_icmp_pending_queue_bound)
{
	struct mg_net_counters before = tw->cnt;
	const unsigned n = MG_NEIGH_PENDING_MAX + 3;
	uint8_t f[256], arp[64];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 56);

	for (unsigned i = 0; i < n; i++)
		rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1); /* one ARP request, not one per packet */
	cap_clear();
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->n_pending, MG_NEIGH_PENDING_MAX);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, (int)n, MG_NET_IDX_icmp_echo_rx, (int)n,
	           MG_NET_IDX_icmp_echo_tx, MG_NEIGH_PENDING_MAX, MG_NET_IDX_arp_request_tx, 1,
	           MG_NET_IDX_drop_arp_pending_full, (int)n - MG_NEIGH_PENDING_MAX, -1);
	len = build_arp(arp, RTE_ARP_OP_REPLY, &peer_mac, PEER_IP, &our_mac0, OUR_IP0);
	rx_frame(0, arp, len);
	ck_assert_uint_eq(cap.n, MG_NEIGH_PENDING_MAX);
	for (unsigned i = 0; i < cap.n; i++)
		expect_echo_reply(i, &peer_reply);
}
END_TEST

/* A requester behind the static route: the reply goes to the next hop. */
START_TEST(test_icmp_via_next_hop)
{
	rte_be32_t far = IP4(198, 19, 130, 5);
	uint8_t f[256], want[64];
	uint32_t len = build_echo(f, far, OUR_IP1, 56), wlen;
	struct echo_want w = {1, &our_mac1, &via_mac, OUR_IP1, far, 56, NULL, false};
	const uint8_t *d;

	frame_eth(f)->dst_addr = our_mac1;
	frame_eth(f)->src_addr = via_mac;
	rx_frame(1, f, len);
	ck_assert_uint_eq(cap.n, 1);
	wlen = build_arp(want, RTE_ARP_OP_REQUEST, &our_mac1, OUR_IP1, &zero_mac, VIA_IP);
	d = cap_data(0, &len);
	ck_assert_uint_eq(cap.iface[0], 1);
	ck_assert_mem_eq(d, want, wlen);
	cap_clear();
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, far));
	wlen = build_arp(want, RTE_ARP_OP_REPLY, &via_mac, VIA_IP, &our_mac1, OUR_IP1);
	rx_frame(1, want, wlen);
	ck_assert_uint_eq(cap.n, 1);
	expect_echo_reply(0, &w);
}
END_TEST

START_TEST(test_icmp_static_neighbour)
{
	uint8_t f[256];
	uint32_t len = build_echo(f, STAT_IP, OUR_IP0, 56);
	struct echo_want w = {0, &our_mac0, &stat_mac, OUR_IP0, STAT_IP, 56, NULL, false};

	tw->idx = 3;
	mg_net_worker_start(tw);
	frame_eth(f)->src_addr = stat_mac;
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	expect_echo_reply(0, &w);
	ck_assert_uint_eq(tw->cnt.arp_request_tx, 0);
}
END_TEST

START_TEST(test_icmp_no_route_back)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[256];
	uint32_t len = build_echo(f, IP4(198, 18, 5, 5), OUR_IP0, 56);

	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 0);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_drop_no_route, 1, -1);
}
END_TEST

START_TEST(test_icmp_tx_cksum_offload)
{
	uint8_t f[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 56);
	struct echo_want w = peer_reply;

	learn_peer();
	conf_rw()->ifaces[0].tx_ip_cksum = true;
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	w.offload = true;
	expect_echo_reply(0, &w);
}
END_TEST

/*
 * mg_net_raw_cksum over chains cut at every odd and even place agrees with
 * the flat sum (rte_raw_cksum over one buffer), from any offset: DPDK
 * 22.11's rte_raw_cksum_mbuf fails this for odd-sized segments.
 */
START_TEST(test_raw_cksum_chains)
{
	uint8_t buf[600];
	uint64_t x = 0x243f6a8885a308d3ull;

	for (unsigned i = 0; i < sizeof(buf); i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(x >> 56);
	}
	for (unsigned cut1 = 1; cut1 < 40; cut1++) {
		for (unsigned cut2 = cut1 + 1; cut2 < cut1 + 300; cut2 += 37) {
			struct rte_mbuf *a = mk_mbuf(buf, cut1);
			struct rte_mbuf *b = mk_mbuf(buf + cut1, cut2 - cut1);
			struct rte_mbuf *c = mk_mbuf(buf + cut2, sizeof(buf) - cut2);

			ck_assert_int_eq(rte_pktmbuf_chain(b, c), 0);
			ck_assert_int_eq(rte_pktmbuf_chain(a, b), 0);
			for (unsigned off = 0; off < 5; off++) {
				uint32_t len = (uint32_t)sizeof(buf) - off - cut1 % 3;

				ck_assert_uint_eq(mg_net_raw_cksum(a, off, len),
				                  rte_raw_cksum(buf + off, len));
			}
			rte_pktmbuf_free(a);
		}
	}
}
END_TEST

/*
 * The wide-word sum (ipv4.c raw_sum) against DPDK's 16-bit one, for random
 * lengths (0 to 1,600, so every tail of 0-15 bytes), offsets, 1-4 segments
 * cut at random (odd and even), and buffers of all 0xff (every add carries)
 * as well as random bytes.
 */
START_TEST(test_raw_cksum_random)
{
	static uint8_t buf[1700];
	uint64_t x = 0x13198a2e03707344ull;

	for (unsigned round = 0; round < 3000; round++) {
		struct rte_mbuf *head = NULL;
		uint32_t len, off, total, pos = 0;
		unsigned nseg;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		len = (uint32_t)(x >> 33) % 1601;
		off = (uint32_t)(x >> 20) % 8;
		nseg = 1 + (unsigned)(x >> 10) % 4;
		total = off + len;
		for (unsigned i = 0; i < total; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = round % 5 == 0 ? 0xff : (uint8_t)(x >> 56);
		}
		/* nseg - 1 random cuts, then the rest in segments of at most 1,500 */
		for (unsigned sgi = 0; sgi < nseg || pos < total || head == NULL; sgi++) {
			uint32_t n = RTE_MIN(total - pos, 1500u);
			struct rte_mbuf *m;

			if (sgi + 1 < nseg) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				n = (uint32_t)(x >> 40) % (n + 1);
			}
			m = mk_mbuf(buf + pos, n);
			pos += n;
			if (head == NULL)
				head = m;
			else
				ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
		}
		ck_assert_uint_eq(mg_net_raw_cksum(head, off, len), rte_raw_cksum(buf + off, len));
		rte_pktmbuf_free(head);
	}
}
END_TEST

TCase *tcase_icmp(void)
{
	TCase *tc = tcase_create("icmp");

	tcase_add_checked_fixture(tc, net_setup, net_teardown);
	tcase_add_test(tc, test_icmp_echo_reply);
	tcase_add_test(tc, test_icmp_echo_sizes);
	tcase_add_test(tc, test_icmp_cksum_corner);
	tcase_add_test(tc, test_raw_cksum_random);
	tcase_add_test(tc, test_icmp_echo_with_options);
	tcase_add_test(tc, test_icmp_echo_padded);
	tcase_add_test(tc, test_icmp_echo_other_port_address);
	tcase_add_test(tc, test_icmp_unresolved_then_resolved);
	tcase_add_test(tc, test_icmp_pending_queue_bound);
	tcase_add_test(tc, test_icmp_via_next_hop);
	tcase_add_test(tc, test_icmp_static_neighbour);
	tcase_add_test(tc, test_icmp_no_route_back);
	tcase_add_test(tc, test_icmp_tx_cksum_offload);
	tcase_add_test(tc, test_raw_cksum_chains);
	return tc;
}
