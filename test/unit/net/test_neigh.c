/*
 * test_neigh.c — the neighbour table against a reference model, timers
 * (retransmission, failure, expiry, next-hop refresh), worker start and the
 * control-core messages.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_pvt.h"
#include "test_net.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr via_mac = {{0x02, 0, 0, 0, 0x01, 0xfe}};
static struct mg_neigh_table table;

/* What a reference entry stores, derived from its address so moves can be checked. */
static void tag(struct mg_neigh *e, rte_be32_t addr)
{
	e->state = MG_NEIGH_REACHABLE;
	memcpy(e->mac.addr_bytes, &addr, 4);
	e->probes = (uint8_t)(addr ^ (addr >> 8));
	e->deadline_tsc = (uint64_t)addr * 3;
}

static void check_tag(const struct mg_neigh *e, rte_be32_t addr)
{
	ck_assert_uint_eq(e->addr, addr);
	ck_assert_uint_eq(e->state, MG_NEIGH_REACHABLE);
	ck_assert_mem_eq(e->mac.addr_bytes, &addr, 4);
	ck_assert_uint_eq(e->probes, (uint8_t)(addr ^ (addr >> 8)));
	ck_assert_uint_eq(e->deadline_tsc, (uint64_t)addr * 3);
}

/* Home slot of addr, found by inserting it into an empty table. */
static unsigned home_of(rte_be32_t addr)
{
	static struct mg_neigh_table t;
	unsigned slot;

	memset(&t, 0, sizeof(t));
	slot = (unsigned)(mg_neigh_get(&t, addr) - t.slot);
	return slot;
}

static void check_table(const bool *present, const rte_be32_t *addrs, unsigned n_addrs)
{
	unsigned used = 0, want = 0;

	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++)
		used += table.slot[i].state != MG_NEIGH_FREE;
	for (unsigned i = 0; i < n_addrs; i++) {
		struct mg_neigh *e = mg_neigh_lookup(&table, addrs[i]);

		if (present[i]) {
			want++;
			ck_assert_ptr_nonnull(e);
			check_tag(e, addrs[i]);
		} else {
			ck_assert_ptr_null(e);
		}
	}
	ck_assert_uint_eq(used, want);
	ck_assert_uint_eq(table.n_used, want);
}

/* Random inserts, removes and lookups, checked after each step against a flag array. */
START_TEST(test_neigh_table_vs_reference)
{
	enum { N_ADDRS = 400, STEPS = 60000 };
	static rte_be32_t addrs[N_ADDRS];
	static bool present[N_ADDRS];
	unsigned n_present = 0, full_seen = 0;

	memset(&table, 0, sizeof(table));
	memset(present, 0, sizeof(present));
	srand(2024);
	for (unsigned i = 0; i < N_ADDRS; i++)
		addrs[i] = IP4(198, 18 + (i & 1), (i >> 1) & 0xff, (i * 37) & 0xff);
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned i = (unsigned)rand() % N_ADDRS;
		struct mg_neigh *e;

		/* 70% inserts: the table keeps running into its limit. */
		if (rand() % 100 < 70) {
			e = mg_neigh_get(&table, addrs[i]);
			if (present[i]) {
				ck_assert_ptr_nonnull(e);
				check_tag(e, addrs[i]);
			} else if (e == NULL) {
				full_seen++;
				ck_assert_uint_ge(table.n_used, MG_NEIGH_SLOTS / 2);
			} else {
				ck_assert_uint_eq(e->state, MG_NEIGH_INCOMPLETE);
				ck_assert_uint_eq(e->addr, addrs[i]);
				ck_assert_uint_eq(e->n_pending, 0);
				tag(e, addrs[i]);
				present[i] = true;
				n_present++;
			}
		} else {
			e = mg_neigh_lookup(&table, addrs[i]);
			ck_assert(present[i] == (e != NULL));
			if (e != NULL) {
				mg_neigh_remove(&table, e);
				present[i] = false;
				n_present--;
				ck_assert_ptr_null(mg_neigh_lookup(&table, addrs[i]));
			}
		}
		ck_assert_uint_eq(table.n_used, n_present);
		if (step % 500 == 0)
			check_table(present, addrs, N_ADDRS);
	}
	check_table(present, addrs, N_ADDRS);
	/* The walk reached a full table many times (and wrapped around the end). */
	ck_assert_uint_gt(full_seen, 100);
}
END_TEST

/* A probe chain that wraps from the last slot to the first, cut in the middle. */
START_TEST(test_neigh_wraparound_chain)
{
	rte_be32_t chain[6];
	unsigned n = 0;

	memset(&table, 0, sizeof(table));
	/* Addresses whose home is one of the last two slots. */
	for (uint32_t a = 1; n < RTE_DIM(chain); a++)
		if (home_of(rte_cpu_to_be_32(0xc6120000u + a)) >= MG_NEIGH_SLOTS - 2)
			chain[n++] = rte_cpu_to_be_32(0xc6120000u + a);
	for (unsigned i = 0; i < n; i++)
		tag(mg_neigh_get(&table, chain[i]), chain[i]);
	/* Six entries from slot 254 on: four of them wrapped to slots 0.. */
	ck_assert_uint_ne(table.slot[0].state, MG_NEIGH_FREE);
	ck_assert_uint_ne(table.slot[3].state, MG_NEIGH_FREE);
	for (unsigned r = 0; r < n; r += 2) {
		mg_neigh_remove(&table, mg_neigh_lookup(&table, chain[r]));
		for (unsigned i = 0; i < n; i++) {
			struct mg_neigh *e = mg_neigh_lookup(&table, chain[i]);

			if (i <= r && i % 2 == 0) {
				ck_assert_ptr_null(e);
			} else {
				ck_assert_ptr_nonnull(e);
				check_tag(e, chain[i]);
			}
		}
	}
	ck_assert_uint_eq(table.n_used, n / 2);
}
END_TEST

START_TEST(test_neigh_full_table)
{
	struct mg_net_counters before;
	unsigned n = 0;
	uint8_t f[256];
	uint32_t len;

	for (unsigned i = 0; i < 4 * MG_NEIGH_SLOTS; i++) {
		struct mg_neigh *e = mg_neigh_get(&tw->neigh, IP4(198, 18, 1 + i / 250, i % 250));

		if (e == NULL)
			break;
		tag(e, e->addr);
		n++;
	}
	/* Some slack stays free (lookups of absent keys must end), but most is usable. */
	ck_assert_uint_lt(n, MG_NEIGH_SLOTS);
	ck_assert_uint_ge(n, MG_NEIGH_SLOTS * 3 / 4);
	ck_assert_uint_eq(tw->neigh.n_used, n);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, IP4(198, 18, 0, 77)));
	/* Traffic to a new neighbour: no room to resolve it. */
	before = tw->cnt;
	len = build_echo(f, PEER_IP, OUR_IP0, 8);
	rx_frame(0, f, len);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_drop_arp_unresolved, 1, -1);
	ck_assert_uint_eq(cap.n, 0);
	memset(&tw->neigh, 0, sizeof(tw->neigh));
}
END_TEST

START_TEST(test_neigh_state_names)
{
	ck_assert_str_eq(mg_neigh_state_name(MG_NEIGH_FREE), "FREE");
	ck_assert_str_eq(mg_neigh_state_name(MG_NEIGH_INCOMPLETE), "INCOMPLETE");
	ck_assert_str_eq(mg_neigh_state_name(MG_NEIGH_REACHABLE), "REACHABLE");
	ck_assert_str_eq(mg_neigh_state_name(MG_NEIGH_STATIC), "STATIC");
	ck_assert_str_eq(mg_neigh_state_name(4), "UNKNOWN");
	ck_assert_str_eq(mg_neigh_state_name(~0u), "UNKNOWN");
}
END_TEST

/* Check captured frame i is an ARP request from iface for tip. */
static void expect_request(unsigned i, uint8_t iface, rte_be32_t tip)
{
	uint8_t want[64];
	uint32_t len, wlen;
	const uint8_t *d = cap_data(i, &len);

	wlen = build_arp(want, RTE_ARP_OP_REQUEST, iface ? &our_mac1 : &our_mac0,
	                 iface ? OUR_IP1 : OUR_IP0, &zero_mac, tip);
	ck_assert_uint_eq(cap.iface[i], iface);
	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(d, want, wlen);
}

static void timer_at(uint64_t ms)
{
	advance_ms(ms);
	mg_net_timer(tw);
	cap_flush();
}

START_TEST(test_timer_retransmit_then_fail)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 8);

	for (int i = 0; i < 3; i++)
		rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	expect_request(0, 0, PEER_IP);
	cap_clear();
	/* Not yet due. */
	timer_at(RETRANS_MS - 1);
	ck_assert_uint_eq(cap.n, 0);
	/* Second and third probe, one retransmission interval apart. */
	timer_at(1);
	ck_assert_uint_eq(cap.n, 1);
	expect_request(0, 0, PEER_IP);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->probes, 2);
	timer_at(RETRANS_MS / 2);
	ck_assert_uint_eq(cap.n, 1);
	timer_at(RETRANS_MS / 2);
	ck_assert_uint_eq(cap.n, 2);
	expect_request(1, 0, PEER_IP);
	/* After arp_max_probes unanswered requests: give up, drop the queue. */
	timer_at(RETRANS_MS);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
	ck_assert_uint_eq(tw->neigh.n_used, 0);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 3, MG_NET_IDX_icmp_echo_rx, 3,
	           MG_NET_IDX_icmp_echo_tx, 3, MG_NET_IDX_arp_request_tx, MAX_PROBES,
	           MG_NET_IDX_drop_arp_unresolved, 3, -1);
	cap_clear();
	/* The next packet starts over. */
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	expect_request(0, 0, PEER_IP);
}
END_TEST

START_TEST(test_timer_expiry)
{
	struct mg_net_counters before;

	learn_peer();
	before = tw->cnt;
	timer_at(REACHABLE_MS - 1);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->state, MG_NEIGH_REACHABLE);
	timer_at(1);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
	cnt_expect(&before, MG_NET_IDX_arp_expired, 1, -1);
	ck_assert_uint_eq(cap.n, 0);
}
END_TEST

/* Learn the route's next hop by an ARP reply on the upstream port. */
static void learn_via(void)
{
	uint8_t f[64];
	uint32_t len = build_arp(f, RTE_ARP_OP_REPLY, &via_mac, VIA_IP, &our_mac1, OUR_IP1);
	struct mg_msg msg[4];

	rx_frame(1, f, len);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, VIA_IP)->state, MG_NEIGH_REACHABLE);
	ctl_msgs(msg, 4);
}

START_TEST(test_timer_refresh_next_hop)
{
	learn_via();
	learn_peer(); /* not a next hop: never refreshed */
	/* Quarter = 250 ms, retrans = 100 ms: refresh at 750, 850, 950 ms. */
	timer_at(749);
	ck_assert_uint_eq(cap.n, 0);
	timer_at(2);
	ck_assert_uint_eq(cap.n, 1);
	expect_request(0, 1, VIA_IP);
	timer_at(0);
	timer_at(50);
	ck_assert_uint_eq(cap.n, 1);
	timer_at(50);
	ck_assert_uint_eq(cap.n, 2);
	timer_at(100);
	ck_assert_uint_eq(cap.n, 3);
	expect_request(2, 1, VIA_IP);
	/* Three asks is the limit; then it expires like any entry (the peer too). */
	timer_at(48);
	ck_assert_uint_eq(cap.n, 3);
	ck_assert_ptr_nonnull(mg_neigh_lookup(&tw->neigh, VIA_IP));
	timer_at(1);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, VIA_IP));
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
	ck_assert_uint_eq(tw->cnt.arp_expired, 2);
	ck_assert_uint_eq(tw->cnt.arp_request_tx, 3);
}
END_TEST

/* An answer to the refresh starts a new reachable period. */
START_TEST(test_timer_refresh_answered)
{
	learn_via();
	timer_at(760);
	ck_assert_uint_eq(cap.n, 1);
	learn_via();
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, VIA_IP)->probes, 0);
	timer_at(500);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_uint_eq(tw->cnt.arp_expired, 0);
	timer_at(260);
	ck_assert_uint_eq(cap.n, 2);
}
END_TEST

/*
 * An on-link neighbour that packets go through is renewed before it expires
 * (a busy connection must not lose frames to a fresh resolution); any worker
 * does it, and an answer starts a new reachable period without a gap.
 */
START_TEST(test_timer_refresh_in_use)
{
	uint8_t f[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 8);

	tw->idx = 1;
	learn_peer();
	timer_at(700);
	rx_frame(0, f, len); /* the echo reply uses the entry */
	ck_assert_uint_eq(cap.n, 1);
	cap_clear();
	timer_at(49);
	ck_assert_uint_eq(cap.n, 0);
	timer_at(2);
	ck_assert_uint_eq(cap.n, 1);
	expect_request(0, 0, PEER_IP);
	ck_assert_uint_eq(tw->cnt.arp_refreshed, 1);
	/* Still REACHABLE while the refresh is out: packets keep flowing. */
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_uint_eq(tw->cnt.drop_arp_pending_full + tw->cnt.drop_arp_unresolved, 0);
	cap_clear();
	learn_peer();
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->probes, 0);
	/* Unused since confirmed: left to expire. */
	timer_at(REACHABLE_MS - 1);
	ck_assert_uint_eq(cap.n, 0);
	timer_at(1);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
	ck_assert_uint_eq(tw->cnt.arp_refreshed, 1);
}
END_TEST

/* Only worker 0 refreshes idle next hops. */
START_TEST(test_timer_refresh_worker0_only)
{
	tw->idx = 1;
	learn_via();
	for (int i = 0; i < 11; i++)
		timer_at(99);
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, VIA_IP));
}
END_TEST

START_TEST(test_worker_start)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t want[64];
	uint32_t len, wlen;
	const uint8_t *d;
	struct mg_neigh *e;

	mg_net_worker_start(tw);
	cap_flush();
	ck_assert_uint_eq(cap.n, 3);
	/* Gratuitous ARP: a broadcast request for our own address, per port. */
	for (unsigned i = 0; i < 2; i++) {
		wlen = build_arp(want, RTE_ARP_OP_REQUEST, i ? &our_mac1 : &our_mac0,
		                 i ? OUR_IP1 : OUR_IP0, &zero_mac, i ? OUR_IP1 : OUR_IP0);
		d = cap_data(i, &len);
		ck_assert_uint_eq(cap.iface[i], i);
		ck_assert_uint_eq(len, wlen);
		ck_assert_mem_eq(d, want, wlen);
	}
	expect_request(2, 1, VIA_IP);
	cnt_expect(&before, MG_NET_IDX_arp_gratuitous_tx, 2, MG_NET_IDX_arp_request_tx, 1, -1);
	e = mg_neigh_lookup(&tw->neigh, STAT_IP);
	ck_assert_uint_eq(e->state, MG_NEIGH_STATIC);
	ck_assert(rte_is_same_ether_addr(&e->mac, &stat_mac));
	ck_assert_uint_eq(e->iface, 0);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, VIA_IP)->state, MG_NEIGH_INCOMPLETE);
	ck_assert_uint_eq(tw->neigh.n_used, 2);
	/* Static entries never expire. */
	timer_at(100 * REACHABLE_MS);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, STAT_IP)->state, MG_NEIGH_STATIC);
}
END_TEST

START_TEST(test_worker_start_not_zero)
{
	tw->idx = 2;
	mg_net_worker_start(tw);
	cap_flush();
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_uint_eq(tw->neigh.n_used, 1);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, STAT_IP)->state, MG_NEIGH_STATIC);
}
END_TEST

/* A route through a static neighbour needs no resolution; two routes, one request. */
START_TEST(test_worker_start_static_next_hop)
{
	static struct mg_net_conf nc;
	struct mg_net_conf *d = (struct mg_net_conf *)(uintptr_t)tw->net;

	memset(&nc, 0, sizeof(nc));
	nc = *d;
	nc.n_routes = 3;
	nc.routes[0] = (struct mg_route){
	    .prefix = IP4(198, 18, 64, 0), .len = 18, .via = STAT_IP, .iface = 0xff};
	nc.routes[1] = (struct mg_route){.prefix = FAR_NET, .len = 20, .via = VIA_IP, .iface = 1};
	nc.routes[2] = (struct mg_route){
	    .prefix = IP4(198, 19, 64, 0), .len = 18, .via = VIA_IP, .iface = 0xff};
	ck_assert_int_eq(mg_net_conf_finish(&nc), 0);
	tw->net = &nc;
	mg_net_worker_start(tw);
	cap_flush();
	ck_assert_uint_eq(cap.n, 3);
	expect_request(2, 1, VIA_IP);
	ck_assert_uint_eq(tw->cnt.arp_request_tx, 1);
	mg_neigh_flush(tw);
	tw->net = d;
}
END_TEST

START_TEST(test_msg_update_and_resolve)
{
	struct mg_net_counters before = tw->cnt;
	struct mg_msg msg = {.type = MG_MSG_NEIGH_UPDATE, .worker = 0};
	struct mg_msg out[4];
	uint8_t f[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 8);
	struct mg_neigh *e;

	/* A packet waits for PEER; another worker learned it: the packet goes. */
	rx_frame(0, f, len);
	cap_clear();
	msg.u.neigh.addr = PEER_IP;
	msg.u.neigh.mac = peer_mac;
	msg.u.neigh.iface = 0;
	mg_net_handle_msg(tw, &msg);
	cap_flush();
	ck_assert_uint_eq(cap.n, 1);
	ck_assert(
	    rte_is_same_ether_addr(&frame_eth((uint8_t *)cap_data(0, &len))->dst_addr, &peer_mac));
	e = mg_neigh_lookup(&tw->neigh, PEER_IP);
	ck_assert_uint_eq(e->state, MG_NEIGH_REACHABLE);
	/* Not announced back: that would loop between workers. */
	ck_assert_uint_eq(ctl_msgs(out, 4), 0);
	cap_clear();
	/* Nonsense is ignored: bad interface, our own address, zero MAC. */
	msg.u.neigh.addr = IP4(198, 18, 0, 60);
	msg.u.neigh.iface = 7;
	mg_net_handle_msg(tw, &msg);
	msg.u.neigh.iface = 0;
	msg.u.neigh.mac = zero_mac;
	mg_net_handle_msg(tw, &msg);
	msg.u.neigh.addr = OUR_IP0;
	msg.u.neigh.mac = peer_mac;
	mg_net_handle_msg(tw, &msg);
	ck_assert_uint_eq(tw->neigh.n_used, 1);
	/* RESOLVE: one request for an unknown address, none for a known one. */
	msg.type = MG_MSG_NEIGH_RESOLVE;
	msg.u.neigh.addr = IP4(198, 19, 0, 50);
	msg.u.neigh.iface = 1;
	mg_net_handle_msg(tw, &msg);
	mg_net_handle_msg(tw, &msg);
	msg.u.neigh.addr = PEER_IP;
	msg.u.neigh.iface = 0;
	mg_net_handle_msg(tw, &msg);
	cap_flush();
	ck_assert_uint_eq(cap.n, 1);
	expect_request(0, 1, IP4(198, 19, 0, 50));
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, IP4(198, 19, 0, 50))->state,
	                  MG_NEIGH_INCOMPLETE);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_icmp_echo_tx, 1, MG_NET_IDX_arp_request_tx, 2, MG_NET_IDX_arp_learned,
	           1, -1);
}
END_TEST

START_TEST(test_neigh_flush_frees_pending)
{
	uint8_t f[256];
	uint32_t len = build_echo(f, PEER_IP, OUR_IP0, 8);

	for (int i = 0; i < 5; i++)
		rx_frame(0, f, len);
	ck_assert_uint_eq(mg_neigh_lookup(&tw->neigh, PEER_IP)->n_pending, 5);
	cap_clear();
	mg_neigh_flush(tw);
	ck_assert_uint_eq(tw->neigh.n_used, 0);
	ck_assert_ptr_null(mg_neigh_lookup(&tw->neigh, PEER_IP));
	ck_assert_uint_eq(rte_mempool_avail_count(tpool), POOL_SIZE);
}
END_TEST

TCase *tcase_neigh(void)
{
	TCase *tc = tcase_create("neigh");

	tcase_add_checked_fixture(tc, net_setup, net_teardown);
	tcase_add_test(tc, test_neigh_table_vs_reference);
	tcase_add_test(tc, test_neigh_wraparound_chain);
	tcase_add_test(tc, test_neigh_full_table);
	tcase_add_test(tc, test_neigh_state_names);
	tcase_add_test(tc, test_timer_retransmit_then_fail);
	tcase_add_test(tc, test_timer_expiry);
	tcase_add_test(tc, test_timer_refresh_next_hop);
	tcase_add_test(tc, test_timer_refresh_answered);
	tcase_add_test(tc, test_timer_refresh_in_use);
	tcase_add_test(tc, test_timer_refresh_worker0_only);
	tcase_add_test(tc, test_worker_start);
	tcase_add_test(tc, test_worker_start_not_zero);
	tcase_add_test(tc, test_worker_start_static_next_hop);
	tcase_add_test(tc, test_msg_update_and_resolve);
	tcase_add_test(tc, test_neigh_flush_frees_pending);
	return tc;
}
