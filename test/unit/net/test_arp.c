/*
 * test_arp.c — ARP: replies byte for byte, probes, learning rules (RFC 826
 * merge, gratuitous ARP, static entries), every ARP drop reason.
 */
#include <string.h>

#include "net/net_pvt.h"
#include "test_net.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr new_mac = {{0x02, 0, 0, 0, 0x00, 0x99}};

/* Assert captured frame i is exactly `want`. */
static void expect_frame(unsigned i, uint8_t iface, const uint8_t *want, uint32_t want_len)
{
	uint32_t len;
	const uint8_t *got = cap_data(i, &len);

	ck_assert_uint_eq(cap.iface[i], iface);
	ck_assert_uint_eq(len, want_len);
	ck_assert_mem_eq(got, want, want_len);
}

START_TEST(test_arp_request_reply_bytes)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[64] = {0}, want[64];
	uint32_t want_len;
	struct mg_neigh *e;
	struct mg_msg msg;

	build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP, &zero_mac, OUR_IP0);
	/* 60 bytes: the sender padded it; the reply is 42 bytes. */
	rx_frame(0, f, 60);
	want_len = build_arp(want, RTE_ARP_OP_REPLY, &our_mac0, OUR_IP0, &peer_mac, PEER_IP);
	ck_assert_uint_eq(want_len, 42);
	ck_assert_uint_eq(cap.n, 1);
	expect_frame(0, 0, want, want_len);
	cnt_expect(&before, MG_NET_IDX_arp_request_rx, 1, MG_NET_IDX_arp_reply_tx, 1,
	           MG_NET_IDX_arp_learned, 1, -1);
	ck_assert_uint_eq(tw->cnt.tx_packets - before.tx_packets, 1);
	ck_assert_uint_eq(tw->cnt.tx_bytes - before.tx_bytes, 42);
	/* The requester was learned (RFC 826: we are the target). */
	e = mg_neigh_lookup(&tw->neigh, PEER_IP);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->state, MG_NEIGH_REACHABLE);
	ck_assert(rte_is_same_ether_addr(&e->mac, &peer_mac));
	ck_assert_uint_eq(e->iface, 0);
	ck_assert_uint_eq(e->deadline_tsc, tw->now + mg_ms_to_tsc(tw->dp, REACHABLE_MS));
	/* ... and the control core was told. */
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 1);
	ck_assert_uint_eq(msg.type, MG_MSG_NEIGH_LEARNED);
	ck_assert_uint_eq(msg.worker, 0);
	ck_assert_uint_eq(msg.u.neigh.addr, PEER_IP);
	ck_assert(rte_is_same_ether_addr(&msg.u.neigh.mac, &peer_mac));
	ck_assert_uint_eq(msg.u.neigh.iface, 0);
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 0);
}
END_TEST

START_TEST(test_arp_request_on_second_port)
{
	uint8_t f[64], want[64];
	uint32_t len =
	    build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, IP4(198, 19, 0, 7), &zero_mac, OUR_IP1);

	rx_frame(1, f, len);
	len = build_arp(want, RTE_ARP_OP_REPLY, &our_mac1, OUR_IP1, &peer_mac, IP4(198, 19, 0, 7));
	ck_assert_uint_eq(cap.n, 1);
	expect_frame(0, 1, want, len);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, IP4(198, 19, 0, 7))->iface, 1);
}
END_TEST

/* RFC 5227 probe (sender IP 0) for our address: answered, nothing learned. */
START_TEST(test_arp_probe_for_us)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[64], want[64];
	uint32_t len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, 0, &zero_mac, OUR_IP0);
	struct mg_msg msg;

	rx_frame(0, f, len);
	len = build_arp(want, RTE_ARP_OP_REPLY, &our_mac0, OUR_IP0, &peer_mac, 0);
	ck_assert_uint_eq(cap.n, 1);
	expect_frame(0, 0, want, len);
	cnt_expect(&before, MG_NET_IDX_arp_request_rx, 1, MG_NET_IDX_arp_reply_tx, 1, -1);
	ck_assert_uint_eq(tw->neigh.n_used, 0);
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 0);
}
END_TEST

struct arp_case {
	const char *name;
	uint16_t op;
	const struct rte_ether_addr *sha;
	rte_be32_t sip, tip;
	uint16_t hw, proto; /* 0: correct */
	uint8_t hlen, plen; /* 0: correct */
	uint32_t len;       /* 0: full */
	unsigned drop;
};

static const struct rte_ether_addr mcast_mac = {{0x01, 0, 0x5e, 0, 0, 5}};

static const struct arp_case arp_cases[] = {
    {"27-byte ARP", 1, &peer_mac, PEER_IP, OUR_IP0, 0, 0, 0, 0, 14 + 27, MG_NET_IDX_drop_arp_runt},
    {"ARP header only 8 bytes", 1, &peer_mac, PEER_IP, OUR_IP0, 0, 0, 0, 0, 14 + 8,
     MG_NET_IDX_drop_arp_runt},
    {"htype 6 (IEEE 802)", 1, &peer_mac, PEER_IP, OUR_IP0, 6, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_hw},
    {"hlen 8", 1, &peer_mac, PEER_IP, OUR_IP0, 0, 0, 8, 0, 0, MG_NET_IDX_drop_arp_bad_hw},
    {"ptype IPv6", 1, &peer_mac, PEER_IP, OUR_IP0, 0, 0x86dd, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_proto},
    {"plen 16", 1, &peer_mac, PEER_IP, OUR_IP0, 0, 0, 0, 16, 0, MG_NET_IDX_drop_arp_bad_proto},
    {"op 3 (RARP)", 3, &peer_mac, PEER_IP, OUR_IP0, 0, 0, 0, 0, 0, MG_NET_IDX_drop_arp_bad_op},
    {"op 0", 0, &peer_mac, PEER_IP, OUR_IP0, 0, 0, 0, 0, 0, MG_NET_IDX_drop_arp_bad_op},
    {"reply from 0.0.0.0", 2, &peer_mac, 0, OUR_IP0, 0, 0, 0, 0, 0, MG_NET_IDX_drop_arp_bad_sender},
    {"request from 255.255.255.255", 1, &peer_mac, IP4(255, 255, 255, 255), OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"request from multicast", 1, &peer_mac, IP4(224, 0, 0, 5), OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"request from 239.x", 1, &peer_mac, IP4(239, 1, 2, 3), OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"request from loopback", 1, &peer_mac, IP4(127, 0, 0, 1), OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"request from our own address", 1, &peer_mac, OUR_IP0, OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"reply claiming our other address", 2, &peer_mac, OUR_IP1, OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"sender MAC multicast", 1, &mcast_mac, PEER_IP, OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"sender MAC zero", 1, &zero_mac, PEER_IP, OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"sender MAC ours", 1, &our_mac0, PEER_IP, OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"probe with multicast sender MAC", 1, &mcast_mac, 0, OUR_IP0, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_bad_sender},
    {"request for another host", 1, &peer_mac, PEER_IP, IP4(198, 18, 0, 99), 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_target_other},
    {"request for our other port's address", 1, &peer_mac, PEER_IP, OUR_IP1, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_target_other},
    {"gratuitous ARP from a stranger", 1, &peer_mac, PEER_IP, PEER_IP, 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_target_other},
    {"probe for another address", 1, &peer_mac, 0, IP4(198, 18, 0, 99), 0, 0, 0, 0, 0,
     MG_NET_IDX_drop_arp_target_other},
};

START_TEST(test_arp_drops)
{
	const struct arp_case *c = &arp_cases[_i];
	struct mg_net_counters before = tw->cnt;
	uint8_t f[64];
	uint32_t len = build_arp(f, c->op, c->sha, c->sip, &our_mac0, c->tip);
	struct rte_arp_hdr *ah = frame_arp(f);
	struct mg_msg msg;

	/* Unicast to us and from a valid MAC, so only the ARP layer can object. */
	frame_eth(f)->dst_addr = our_mac0;
	frame_eth(f)->src_addr = peer_mac;
	if (c->hw)
		ah->arp_hardware = rte_cpu_to_be_16(c->hw);
	if (c->proto)
		ah->arp_protocol = rte_cpu_to_be_16(c->proto);
	if (c->hlen)
		ah->arp_hlen = c->hlen;
	if (c->plen)
		ah->arp_plen = c->plen;
	if (c->len)
		len = c->len;
	rx_frame(0, f, len);
	ck_assert_msg(cnt_get(&tw->cnt, c->drop) == cnt_get(&before, c->drop) + 1, "%s", c->name);
	expect_one_drop(&before, c->drop);
	ck_assert_uint_eq(tw->neigh.n_used, 0);
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 0);
}
END_TEST

START_TEST(test_arp_reply_learning)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[64];
	uint32_t len;
	struct mg_msg msg;

	/* A reply for nothing we asked, not to our address: consumed, not learned. */
	len = build_arp(f, RTE_ARP_OP_REPLY, &peer_mac, PEER_IP, &our_mac0, IP4(198, 18, 0, 99));
	rx_frame(0, f, len);
	cnt_expect(&before, MG_NET_IDX_arp_reply_rx, 1, -1);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 0);
	/* A reply to our address teaches us the sender. */
	len = build_arp(f, RTE_ARP_OP_REPLY, &peer_mac, PEER_IP, &our_mac0, OUR_IP0);
	rx_frame(0, f, len);
	cnt_expect(&before, MG_NET_IDX_arp_reply_rx, 2, MG_NET_IDX_arp_learned, 1, -1);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->state, MG_NEIGH_REACHABLE);
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 1);
	/* Once known, even a reply not addressed to us refreshes it (new MAC). */
	len = build_arp(f, RTE_ARP_OP_REPLY, &new_mac, PEER_IP, &our_mac0, IP4(198, 18, 0, 99));
	frame_eth(f)->src_addr = new_mac;
	rx_frame(0, f, len);
	ck_assert(rte_is_same_ether_addr(&mg_neigh_lookup(&tw->neigh, PEER_IP)->mac, &new_mac));
	cnt_expect(&before, MG_NET_IDX_arp_reply_rx, 3, MG_NET_IDX_arp_learned, 2, -1);
	ck_assert_uint_eq(cap.n, 0);
}
END_TEST

/* RFC 826 merge: a request for someone else refreshes a sender we know. */
START_TEST(test_arp_merge_known_sender)
{
	struct mg_net_counters before;
	uint8_t f[64];
	uint32_t len;
	struct mg_neigh *e;

	learn_peer();
	before = tw->cnt;
	advance_ms(500);
	len = build_arp(f, RTE_ARP_OP_REQUEST, &new_mac, PEER_IP, &zero_mac, IP4(198, 18, 0, 99));
	rx_frame(0, f, len);
	e = mg_neigh_lookup(&tw->neigh, PEER_IP);
	ck_assert(rte_is_same_ether_addr(&e->mac, &new_mac));
	ck_assert_uint_eq(e->deadline_tsc, tw->now + mg_ms_to_tsc(tw->dp, REACHABLE_MS));
	cnt_expect(&before, MG_NET_IDX_drop_arp_target_other, 1, MG_NET_IDX_arp_learned, 1, -1);
	/* Gratuitous ARP from the known peer moves it again. */
	len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP, &zero_mac, PEER_IP);
	rx_frame(0, f, len);
	ck_assert(rte_is_same_ether_addr(&e->mac, &peer_mac));
	/* A gratuitous reply (broadcast) from it too. */
	len = build_arp(f, RTE_ARP_OP_REPLY, &new_mac, PEER_IP, &bcast_mac, PEER_IP);
	rx_frame(0, f, len);
	ck_assert(rte_is_same_ether_addr(&e->mac, &new_mac));
	cnt_expect(&before, MG_NET_IDX_drop_arp_target_other, 2, MG_NET_IDX_arp_learned, 3,
	           MG_NET_IDX_arp_reply_rx, 1, -1);
	ck_assert_uint_eq(tw->neigh.n_used, 1);
	ck_assert_uint_eq(cap.n, 0);
}
END_TEST

START_TEST(test_arp_static_never_overwritten)
{
	struct mg_net_counters before;
	uint8_t f[64];
	uint32_t len;
	struct mg_neigh *e;
	struct mg_msg msg;

	tw->idx = 1; /* a worker that only loads statics: nothing is sent */
	mg_net_worker_start(tw);
	ck_assert_uint_eq(cap.n, 0);
	before = tw->cnt;
	len = build_arp(f, RTE_ARP_OP_REPLY, &new_mac, STAT_IP, &our_mac0, OUR_IP0);
	rx_frame(0, f, len);
	len = build_arp(f, RTE_ARP_OP_REQUEST, &new_mac, STAT_IP, &zero_mac, OUR_IP0);
	rx_frame(0, f, len);
	e = mg_neigh_lookup(&tw->neigh, STAT_IP);
	ck_assert_uint_eq(e->state, MG_NEIGH_STATIC);
	ck_assert(rte_is_same_ether_addr(&e->mac, &stat_mac));
	/* The request is still answered (to the MAC that asked). */
	ck_assert_uint_eq(cap.n, 1);
	cnt_expect(&before, MG_NET_IDX_arp_reply_rx, 1, MG_NET_IDX_arp_request_rx, 1,
	           MG_NET_IDX_arp_reply_tx, 1, -1);
	ck_assert_uint_eq(ctl_msgs(&msg, 1), 0);
}
END_TEST

/* A full control ring loses the announcement, nothing else. */
START_TEST(test_arp_learn_with_full_ctl_ring)
{
	struct mg_msg msg = {.type = MG_MSG_PING};
	struct mg_net_counters before = tw->cnt;
	struct mg_msg out[64];
	unsigned n = 0;
	uint8_t f[64];
	uint32_t len = build_arp(f, RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP, &zero_mac, OUR_IP0);

	while (mg_worker_send(tw, &msg) == 0)
		n++;
	ck_assert_uint_gt(n, 0);
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	cnt_expect(&before, MG_NET_IDX_arp_request_rx, 1, MG_NET_IDX_arp_reply_tx, 1,
	           MG_NET_IDX_arp_learned, 1, -1);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->state, MG_NEIGH_REACHABLE);
	/* Only the pings are in the ring. */
	ck_assert_uint_eq(ctl_msgs(out, 64), n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(out[i].type, MG_MSG_PING);
}
END_TEST

/* No mbuf for requests: counted, the entry waits for the timer to retry. */
START_TEST(test_arp_no_mbuf)
{
	struct rte_mbuf *all[POOL_SIZE];
	struct mg_net_counters before = tw->cnt;
	unsigned n = 0;
	struct mg_neigh *e;
	uint32_t len;
	const uint8_t *d;

	while (n < POOL_SIZE && (all[n] = rte_pktmbuf_alloc(tpool)) != NULL)
		n++;
	ck_assert_uint_eq(n, POOL_SIZE);
	ck_assert_int_eq(mg_arp_send_request(tw, 0, PEER_IP), -ENOBUFS);
	ck_assert_int_eq(mg_arp_send_gratuitous(tw, 0), -ENOBUFS);
	mg_net_worker_start(tw); /* 2 gratuitous + 1 request for the route's next hop */
	cap_flush();
	ck_assert_uint_eq(cap.n, 0);
	cnt_expect(&before, MG_NET_IDX_drop_no_mbuf, 5, -1);
	e = mg_neigh_lookup(&tw->neigh, VIA_IP);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->state, MG_NEIGH_INCOMPLETE);
	ck_assert_uint_eq(e->probes, 1);
	rte_pktmbuf_free_bulk(all, n);
	advance_ms(RETRANS_MS);
	mg_net_timer(tw);
	cap_flush();
	ck_assert_uint_eq(cap.n, 1);
	d = cap_data(0, &len);
	ck_assert_uint_eq(frame_arp((uint8_t *)d)->arp_data.arp_tip, VIA_IP);
	ck_assert_uint_eq(cap.iface[0], 1);
	ck_assert_uint_eq(tw->cnt.arp_request_tx - before.arp_request_tx, 1);
}
END_TEST

TCase *tcase_arp(void)
{
	TCase *tc = tcase_create("arp");

	tcase_add_checked_fixture(tc, net_setup, net_teardown);
	tcase_add_test(tc, test_arp_request_reply_bytes);
	tcase_add_test(tc, test_arp_request_on_second_port);
	tcase_add_test(tc, test_arp_probe_for_us);
	tcase_add_loop_test(tc, test_arp_drops, 0, (int)RTE_DIM(arp_cases));
	tcase_add_test(tc, test_arp_reply_learning);
	tcase_add_test(tc, test_arp_merge_known_sender);
	tcase_add_test(tc, test_arp_static_never_overwritten);
	tcase_add_test(tc, test_arp_learn_with_full_ctl_ring);
	tcase_add_test(tc, test_arp_no_mbuf);
	return tc;
}
