/*
 * test_fuzz.c — random frames through the whole receive path: nothing
 * crashes, every mbuf comes back to the pool, and every frame is counted
 * exactly once (handled or one drop reason).
 */
#include <stdlib.h>
#include <string.h>

#include "test_net.h"

enum { N_FRAMES = 20000, MAX_LEN = 200 };

/*
 * Frames consumed rather than dropped: ARP we answered or learned from, echo
 * requests (plus, counted apart, packets handed to the test's protocol 253
 * handler).
 */
static uint64_t handled(const struct mg_net_counters *c)
{
	return c->arp_request_rx + c->arp_reply_rx + c->icmp_echo_rx;
}

/*
 * Random bytes, but half the frames carry our MAC (so they reach the upper
 * layers), a quarter of those an ARP or IPv4 EtherType, and a few a
 * plausible IPv4 header: a uniform random frame would nearly always stop at
 * the Ethernet checks and exercise little.
 */
static uint32_t random_frame(uint8_t *f)
{
	uint32_t len = (uint32_t)rand() % (MAX_LEN + 1);
	int kind = rand() % 8;

	for (uint32_t i = 0; i < len; i++)
		f[i] = (uint8_t)rand();
	if (kind < 4 && len >= 6)
		memcpy(f, &our_mac0, 6);
	if (kind < 2 && len >= 14) {
		memcpy(f + 6, &peer_mac, 6);
		f[12] = 0x08;
		f[13] = rand() % 2 ? 0x06 : 0x00;
	}
	if (kind == 0 && len >= 34 && f[13] == 0x00) {
		struct rte_ipv4_hdr *ip = frame_ip(f);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14 - rand() % 3));
		ip->fragment_offset = 0;
		ip->time_to_live = (uint8_t)(1 + rand() % 255);
		ip->src_addr = PEER_IP;
		ip->dst_addr = rand() % 2 ? OUR_IP0 : OUR_IP1;
		if (rand() % 4)
			ip->next_proto_id = IPPROTO_ICMP;
		if (rand() % 2)
			fix_ip_cksum(f);
	}
	return len;
}

START_TEST(test_fuzz_random_frames)
{
	static uint8_t frames[MG_BURST][MAX_LEN + 64];
	struct mg_net_counters before = tw->cnt;
	struct rte_mbuf *pkts[MG_BURST];
	unsigned calls0 = proto253_calls, sent = 0;
	uint64_t drops, done;

	srand(12345);
	while (sent < N_FRAMES) {
		uint16_t n = (uint16_t)(1 + rand() % MG_BURST);

		if (n > N_FRAMES - sent)
			n = (uint16_t)(N_FRAMES - sent);
		for (uint16_t i = 0; i < n; i++) {
			uint32_t len = random_frame(frames[i]);

			pkts[i] = mk_mbuf(frames[i], len);
		}
		mg_net_input(tw, (uint8_t)(rand() % 2), pkts, n);
		sent += n;
		if (rand() % 16 == 0) {
			advance_ms(50);
			mg_net_timer(tw);
		}
		cap_flush();
		cap_clear();
	}
	drops = cnt_drops(&tw->cnt) - cnt_drops(&before);
	done = handled(&tw->cnt) - handled(&before) + (proto253_calls - calls0);
	ck_assert_uint_eq(tw->cnt.rx_packets - before.rx_packets, N_FRAMES);
	ck_assert_msg(drops + done == N_FRAMES, "drops %lu + handled %lu != %u",
	              (unsigned long)drops, (unsigned long)done, N_FRAMES);
	/* The random frames did get past Ethernet into every layer. */
	ck_assert_uint_gt(tw->cnt.drop_arp_bad_hw, 0);
	ck_assert_uint_gt(tw->cnt.drop_ipv4_bad_version, 0);
	ck_assert_uint_gt(tw->cnt.drop_ipv4_bad_cksum, 0);
	ck_assert_uint_gt(tw->cnt.drop_icmp_bad_cksum + tw->cnt.drop_ipv4_unknown_proto, 0);
	ck_assert_uint_gt(tw->cnt.ipv4_rx, 0);
	/* The pool is whole once staged frames are gone (checked in teardown too). */
	mg_neigh_flush(tw);
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), POOL_SIZE);
}
END_TEST

TCase *tcase_fuzz(void)
{
	TCase *tc = tcase_create("fuzz");

	tcase_add_checked_fixture(tc, net_setup, net_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fuzz_random_frames);
	return tc;
}
