/*
 * test_eth.c — Ethernet receive: the drop reasons, burst handling and the
 * counter descriptions.
 */
#include <string.h>

#include "test_net.h"

static const struct rte_ether_addr other_mac = {{0x02, 0, 0, 0, 0, 0x77}};
static const struct rte_ether_addr mcast4_mac = {{0x01, 0x00, 0x5e, 0, 0, 1}};
static const struct rte_ether_addr mcast6_mac = {{0x33, 0x33, 0, 0, 0, 1}};

/* Start from a valid ARP request for us and break one thing. */
struct eth_case {
	const char *name;
	int len;                          /* -1: keep the built length */
	const struct rte_ether_addr *dst; /* NULL: keep broadcast */
	const struct rte_ether_addr *src; /* NULL: keep the peer's */
	uint16_t type;                    /* 0: keep ARP */
	unsigned drop;
};

static const struct eth_case eth_cases[] = {
    {"empty frame", 0, NULL, NULL, 0, MG_NET_IDX_drop_eth_runt},
    {"13 bytes", 13, NULL, NULL, 0, MG_NET_IDX_drop_eth_runt},
    {"unicast dst not ours", -1, &other_mac, NULL, 0, MG_NET_IDX_drop_eth_dst_other},
    {"dst is our other port's MAC", -1, &our_mac1, NULL, 0, MG_NET_IDX_drop_eth_dst_other},
    {"IPv4 multicast dst", -1, &mcast4_mac, NULL, 0, MG_NET_IDX_drop_eth_dst_other},
    {"IPv6 multicast dst", -1, &mcast6_mac, NULL, 0, MG_NET_IDX_drop_eth_dst_other},
    {"multicast src", -1, NULL, &mcast4_mac, 0, MG_NET_IDX_drop_eth_src_invalid},
    {"broadcast src", -1, NULL, &bcast_mac, 0, MG_NET_IDX_drop_eth_src_invalid},
    {"our own src", -1, NULL, &our_mac0, 0, MG_NET_IDX_drop_eth_src_invalid},
    {"VLAN tag", -1, NULL, NULL, RTE_ETHER_TYPE_VLAN, MG_NET_IDX_drop_eth_unknown_type},
    {"IPv6", -1, NULL, NULL, RTE_ETHER_TYPE_IPV6, MG_NET_IDX_drop_eth_unknown_type},
    {"LLDP", -1, NULL, NULL, 0x88cc, MG_NET_IDX_drop_eth_unknown_type},
};

START_TEST(test_eth_drops)
{
	const struct eth_case *c = &eth_cases[_i];
	struct mg_net_counters before = tw->cnt;
	uint8_t f[128];
	uint32_t len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
	                         &(struct rte_ether_addr){{0}}, OUR_IP0);

	if (c->dst != NULL)
		frame_eth(f)->dst_addr = *c->dst;
	if (c->src != NULL)
		frame_eth(f)->src_addr = *c->src;
	if (c->type != 0)
		frame_eth(f)->ether_type = rte_cpu_to_be_16(c->type);
	if (c->len >= 0)
		len = (uint32_t)c->len;
	rx_frame(0, f, len);
	ck_assert_msg(cnt_get(&tw->cnt, c->drop) == cnt_get(&before, c->drop) + 1, "%s", c->name);
	expect_one_drop(&before, c->drop);
	ck_assert_uint_eq(tw->cnt.rx_bytes - before.rx_bytes, len);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
}
END_TEST

/* Dispatch: our unicast MAC and broadcast are accepted. */
START_TEST(test_eth_accepts_unicast_and_broadcast)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[64];
	uint32_t len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
	                         &(struct rte_ether_addr){{0}}, OUR_IP0);

	rx_frame(0, f, len); /* broadcast */
	frame_eth(f)->dst_addr = our_mac0;
	rx_frame(0, f, len); /* unicast to us */
	ck_assert_uint_eq(cap.n, 2);
	cnt_expect(&before, MG_NET_IDX_arp_request_rx, 2, MG_NET_IDX_arp_reply_tx, 2,
	           MG_NET_IDX_arp_learned, 2, -1);
	ck_assert_uint_eq(tw->cnt.rx_packets - before.rx_packets, 2);
	ck_assert_uint_eq(tw->cnt.tx_packets - before.tx_packets, 2);
}
END_TEST

/*
 * A burst of 40 mixed frames in one call: every one is accounted for, the
 * replies beyond one TX burst (32) are flushed by mg_worker_tx on the way.
 */
START_TEST(test_eth_burst)
{
	struct mg_net_counters before = tw->cnt;
	struct rte_mbuf *pkts[40];
	uint8_t f[64];
	uint32_t len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
	                         &(struct rte_ether_addr){{0}}, OUR_IP0);
	struct mg_msg msgs[64];
	unsigned n_reply = 0;

	for (unsigned i = 0; i < 40; i++) {
		if (i % 10 == 9) {
			pkts[i] = mk_mbuf(f, 10); /* runt */
		} else {
			pkts[i] = mk_mbuf(f, len);
			n_reply++;
		}
	}
	mg_net_input(tw, 0, pkts, 32);
	mg_net_input(tw, 0, pkts + 32, 8);
	/* 36 replies: the first 32 went out when the stage filled, 4 wait. */
	ck_assert_uint_eq(n_reply, 36);
	ck_assert_uint_eq(cap.n, MG_BURST);
	cap_flush();
	ck_assert_uint_eq(cap.n, n_reply);
	cnt_expect(&before, MG_NET_IDX_arp_request_rx, (int)n_reply, MG_NET_IDX_arp_reply_tx,
	           (int)n_reply, MG_NET_IDX_arp_learned, (int)n_reply, MG_NET_IDX_drop_eth_runt,
	           40 - (int)n_reply, -1);
	ck_assert_uint_eq(tw->cnt.rx_packets - before.rx_packets, 40);
	ck_assert_uint_eq(ctl_msgs(msgs, 64), n_reply);
}
END_TEST

START_TEST(test_counter_descs)
{
	unsigned n_drop = 0;

	ck_assert_str_eq(mg_net_counter_descs[0].name, "rx_packets");
	ck_assert_int_eq(mg_net_counter_descs[0].kind, MG_NET_KIND_STAT);
	ck_assert_str_eq(mg_net_counter_descs[MG_NET_IDX_drop_eth_runt].name, "eth_runt");
	ck_assert_int_eq(mg_net_counter_descs[MG_NET_IDX_drop_eth_runt].kind, MG_NET_KIND_DROP);
	ck_assert_str_eq(mg_net_counter_descs[MG_NET_N_COUNTERS - 1].name, "impair_queue_full");
	for (unsigned i = 0; i < MG_NET_N_COUNTERS; i++) {
		ck_assert_ptr_nonnull(mg_net_counter_descs[i].name);
		ck_assert_ptr_nonnull(mg_net_counter_descs[i].help);
		ck_assert(strncmp(mg_net_counter_descs[i].name, "drop_", 5) != 0);
		n_drop += mg_net_counter_descs[i].kind == MG_NET_KIND_DROP;
	}
	ck_assert_uint_eq(n_drop, 29);
	/* Writing a field is seen at its index. */
	tw->cnt.drop_ipv4_bad_cksum = 12345;
	ck_assert_uint_eq(cnt_get(&tw->cnt, MG_NET_IDX_drop_ipv4_bad_cksum), 12345);
	ck_assert_str_eq(mg_net_counter_descs[MG_NET_IDX_drop_ipv4_bad_cksum].name,
	                 "ipv4_bad_cksum");
}
END_TEST

TCase *tcase_eth(void)
{
	TCase *tc = tcase_create("eth");

	tcase_add_checked_fixture(tc, net_setup, net_teardown);
	tcase_add_loop_test(tc, test_eth_drops, 0, (int)RTE_DIM(eth_cases));
	tcase_add_test(tc, test_eth_accepts_unicast_and_broadcast);
	tcase_add_test(tc, test_eth_burst);
	tcase_add_test(tc, test_counter_descs);
	return tc;
}
