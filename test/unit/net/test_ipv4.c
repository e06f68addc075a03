/*
 * test_ipv4.c — IPv4 (and ICMP) validation: every drop reason in order,
 * checksum offload flags, Ethernet padding, multi-segment trimming, protocol
 * registration, and mg_ipv4_output's own failures.
 */
#include <errno.h>
#include <string.h>

#include "net/net_pvt.h"
#include "test_net.h"

static struct mg_net_conf *conf_rw(void)
{
	return (struct mg_net_conf *)(uintptr_t)tw->net;
}

/* Mutations of a valid echo request from PEER_IP to OUR_IP0 (8-byte payload). */
#define IP(f) frame_ip(f)
static void m_runt19(uint8_t *f, uint32_t *len)
{
	(void)f;
	*len = RTE_ETHER_HDR_LEN + 19;
}
static void m_runt0(uint8_t *f, uint32_t *len)
{
	(void)f;
	*len = RTE_ETHER_HDR_LEN;
}
static void m_version6(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->version_ihl = 0x65;
	fix_ip_cksum(f);
}
static void m_version0(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->version_ihl = 0x05;
}
static void m_ihl4(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->version_ihl = 0x44;
	fix_ip_cksum(f);
}
static void m_ihl0(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->version_ihl = 0x40;
}
static void m_ihl15_short(uint8_t *f, uint32_t *len)
{
	IP(f)->version_ihl = 0x4f; /* 60-byte header in a 36-byte packet */
	fix_ip_cksum(f);
	*len = RTE_ETHER_HDR_LEN + 36;
}
static void m_totlen19(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->total_length = RTE_BE16(19);
	fix_ip_cksum(f);
}
static void m_totlen_below_options(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->version_ihl = 0x46;
	IP(f)->total_length = RTE_BE16(20);
	fix_ip_cksum(f);
}
static void m_totlen_lies(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->total_length = RTE_BE16(200);
	fix_ip_cksum(f);
}
static void m_cksum(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->hdr_checksum ^= RTE_BE16(1);
}
static void m_cksum_zero(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->hdr_checksum = 0;
}
static void m_ttl0(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->time_to_live = 0;
	fix_ip_cksum(f);
}
#define SRC_CASE(fn, addr)                        \
	static void fn(uint8_t *f, uint32_t *len) \
	{                                         \
		(void)len;                        \
		IP(f)->src_addr = addr;           \
		fix_ip_cksum(f);                  \
	}
SRC_CASE(m_src0, 0)
SRC_CASE(m_src_bcast, IP4(255, 255, 255, 255))
SRC_CASE(m_src_subnet_bcast, IP4(198, 18, 0, 255))
SRC_CASE(m_src_mcast, IP4(224, 0, 0, 1))
SRC_CASE(m_src_loop, IP4(127, 0, 0, 1))
SRC_CASE(m_src_ours, OUR_IP0)
SRC_CASE(m_src_ours1, OUR_IP1)
#define DST_CASE(fn, addr)                        \
	static void fn(uint8_t *f, uint32_t *len) \
	{                                         \
		(void)len;                        \
		IP(f)->dst_addr = addr;           \
		fix_ip_cksum(f);                  \
	}
DST_CASE(m_dst_other, IP4(198, 18, 0, 99))
DST_CASE(m_dst_bcast, IP4(255, 255, 255, 255))
DST_CASE(m_dst_subnet_bcast, IP4(198, 18, 0, 255))
DST_CASE(m_dst_mcast, IP4(224, 0, 0, 1))
#define FRAG_CASE(fn, v)                              \
	static void fn(uint8_t *f, uint32_t *len)     \
	{                                             \
		(void)len;                            \
		IP(f)->fragment_offset = RTE_BE16(v); \
		fix_ip_cksum(f);                      \
	}
FRAG_CASE(m_frag_mf, RTE_IPV4_HDR_MF_FLAG)
FRAG_CASE(m_frag_last, 100)
FRAG_CASE(m_frag_df_mf, RTE_IPV4_HDR_DF_FLAG | RTE_IPV4_HDR_MF_FLAG | 1)
static void m_proto254(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->next_proto_id = 254;
	fix_ip_cksum(f);
}
static void m_udp(uint8_t *f, uint32_t *len)
{
	(void)len;
	IP(f)->next_proto_id = IPPROTO_UDP;
	fix_ip_cksum(f);
}
static void m_icmp_runt(uint8_t *f, uint32_t *len)
{
	IP(f)->total_length = RTE_BE16(20 + 7);
	fix_ip_cksum(f);
	*len = RTE_ETHER_HDR_LEN + 27;
}
static void m_icmp_runt_padded(uint8_t *f, uint32_t *len)
{
	/* 4 ICMP bytes, then Ethernet padding up to 60: the padding is not ICMP. */
	IP(f)->total_length = RTE_BE16(20 + 4);
	fix_ip_cksum(f);
	*len = 60;
}
static void m_icmp_cksum(uint8_t *f, uint32_t *len)
{
	(void)len;
	frame_icmp(f)->icmp_cksum ^= RTE_BE16(0x100);
}
static void m_icmp_payload_flip(uint8_t *f, uint32_t *len)
{
	(void)len;
	f[*len - 1] ^= 0x40;
}
#define ICMP_TYPE_CASE(fn, t, c)                  \
	static void fn(uint8_t *f, uint32_t *len) \
	{                                         \
		(void)len;                        \
		frame_icmp(f)->icmp_type = t;     \
		frame_icmp(f)->icmp_code = c;     \
		fix_icmp_cksum(f);                \
	}
ICMP_TYPE_CASE(m_icmp_timestamp, 13, 0)
ICMP_TYPE_CASE(m_icmp_echo_code1, 8, 1)
ICMP_TYPE_CASE(m_icmp_echo_reply, 0, 0)
ICMP_TYPE_CASE(m_icmp_unreach, 3, 3)

struct ip_case {
	const char *name;
	void (*mut)(uint8_t *f, uint32_t *len);
	unsigned drop;
};

static const struct ip_case ip_cases[] = {
    {"19-byte IP header", m_runt19, MG_NET_IDX_drop_ipv4_runt},
    {"no IP header at all", m_runt0, MG_NET_IDX_drop_ipv4_runt},
    {"version 6", m_version6, MG_NET_IDX_drop_ipv4_bad_version},
    {"version 0", m_version0, MG_NET_IDX_drop_ipv4_bad_version},
    {"IHL 4", m_ihl4, MG_NET_IDX_drop_ipv4_bad_ihl},
    {"IHL 0", m_ihl0, MG_NET_IDX_drop_ipv4_bad_ihl},
    {"IHL 15 beyond the frame", m_ihl15_short, MG_NET_IDX_drop_ipv4_bad_ihl},
    {"total length 19", m_totlen19, MG_NET_IDX_drop_ipv4_bad_len},
    {"total length inside the options", m_totlen_below_options, MG_NET_IDX_drop_ipv4_bad_len},
    {"total length beyond the frame", m_totlen_lies, MG_NET_IDX_drop_ipv4_bad_len},
    {"checksum off by one bit", m_cksum, MG_NET_IDX_drop_ipv4_bad_cksum},
    {"checksum zero", m_cksum_zero, MG_NET_IDX_drop_ipv4_bad_cksum},
    {"TTL 0", m_ttl0, MG_NET_IDX_drop_ipv4_ttl_zero},
    {"source 0.0.0.0", m_src0, MG_NET_IDX_drop_ipv4_bad_src},
    {"source broadcast", m_src_bcast, MG_NET_IDX_drop_ipv4_bad_src},
    {"source subnet broadcast", m_src_subnet_bcast, MG_NET_IDX_drop_ipv4_bad_src},
    {"source multicast", m_src_mcast, MG_NET_IDX_drop_ipv4_bad_src},
    {"source loopback", m_src_loop, MG_NET_IDX_drop_ipv4_bad_src},
    {"source is us", m_src_ours, MG_NET_IDX_drop_ipv4_bad_src},
    {"source is our other port", m_src_ours1, MG_NET_IDX_drop_ipv4_bad_src},
    {"first fragment (MF)", m_frag_mf, MG_NET_IDX_drop_ipv4_fragment},
    {"last fragment (offset)", m_frag_last, MG_NET_IDX_drop_ipv4_fragment},
    {"DF+MF+offset", m_frag_df_mf, MG_NET_IDX_drop_ipv4_fragment},
    {"destination another host", m_dst_other, MG_NET_IDX_drop_ipv4_dst_other},
    {"destination broadcast", m_dst_bcast, MG_NET_IDX_drop_ipv4_dst_other},
    {"destination subnet broadcast", m_dst_subnet_bcast, MG_NET_IDX_drop_ipv4_dst_other},
    {"destination multicast", m_dst_mcast, MG_NET_IDX_drop_ipv4_dst_other},
    {"protocol 254", m_proto254, MG_NET_IDX_drop_ipv4_unknown_proto},
    {"UDP (no handler yet)", m_udp, MG_NET_IDX_drop_ipv4_unknown_proto},
    {"7-byte ICMP", m_icmp_runt, MG_NET_IDX_drop_icmp_runt},
    {"4-byte ICMP in a padded frame", m_icmp_runt_padded, MG_NET_IDX_drop_icmp_runt},
    {"ICMP checksum", m_icmp_cksum, MG_NET_IDX_drop_icmp_bad_cksum},
    {"ICMP payload corrupted", m_icmp_payload_flip, MG_NET_IDX_drop_icmp_bad_cksum},
    {"ICMP timestamp", m_icmp_timestamp, MG_NET_IDX_drop_icmp_unhandled_type},
    {"ICMP echo with code 1", m_icmp_echo_code1, MG_NET_IDX_drop_icmp_unhandled_type},
    {"ICMP echo reply", m_icmp_echo_reply, MG_NET_IDX_drop_icmp_unhandled_type},
    {"ICMP port unreachable", m_icmp_unreach, MG_NET_IDX_drop_icmp_unhandled_type},
};

START_TEST(test_ipv4_drops)
{
	const struct ip_case *c = &ip_cases[_i];
	struct mg_net_counters before;
	uint8_t f[256] = {0};
	uint32_t len;

	learn_peer(); /* so a wrongly accepted echo would be answered at once */
	before = tw->cnt;
	len = build_echo(f, PEER_IP, OUR_IP0, 8);
	c->mut(f, &len);
	rx_frame(0, f, len);
	ck_assert_msg(cnt_get(&tw->cnt, c->drop) == cnt_get(&before, c->drop) + 1, "%s", c->name);
	expect_one_drop(&before, c->drop);
}
END_TEST

/* The unmodified frame of the table above is answered: the cases break one thing each. */
START_TEST(test_ipv4_base_frame_answered)
{
	struct mg_net_counters before;
	uint8_t f[256];
	uint32_t len;

	learn_peer();
	before = tw->cnt;
	len = build_echo(f, PEER_IP, OUR_IP0, 8);
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 1);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_icmp_echo_tx, 1, -1);
	/* DF alone is not a fragment. */
	frame_ip(f)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	fix_ip_cksum(f);
	rx_frame(0, f, len);
	ck_assert_uint_eq(cap.n, 2);
}
END_TEST

/* Receive one frame with the given RX offload flags. */
static void rx_flags(const uint8_t *f, uint32_t len, uint64_t flags)
{
	struct rte_mbuf *m = mk_mbuf(f, len);

	m->ol_flags |= flags;
	mg_net_input(tw, 0, &m, 1);
	cap_flush();
}

START_TEST(test_ipv4_rx_cksum_offload)
{
	struct mg_net_counters before;
	uint8_t f[256];
	uint32_t len;

	learn_peer();
	len = build_echo(f, PEER_IP, OUR_IP0, 8);
	/* Without the capability, the flags are ignored: software decides. */
	before = tw->cnt;
	rx_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_BAD);
	ck_assert_uint_eq(tw->cnt.icmp_echo_rx - before.icmp_echo_rx, 1);
	ck_assert_uint_eq(cap.n, 1);
	cap_clear();
	conf_rw()->ifaces[0].rx_ip_cksum = true;
	/* The port said bad: dropped although the checksum is right. */
	before = tw->cnt;
	rx_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_BAD);
	expect_one_drop(&before, MG_NET_IDX_drop_ipv4_bad_cksum);
	/* The port said good: trusted (a wrong checksum here proves it was not recomputed). */
	frame_ip(f)->hdr_checksum ^= RTE_BE16(0x0101);
	rx_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	ck_assert_uint_eq(tw->cnt.icmp_echo_rx - before.icmp_echo_rx, 1);
	cap_clear();
	/* The port did not know: software catches the wrong checksum. */
	before = tw->cnt;
	rx_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN);
	expect_one_drop(&before, MG_NET_IDX_drop_ipv4_bad_cksum);
	rx_flags(f, len, RTE_MBUF_F_RX_IP_CKSUM_NONE);
	ck_assert_uint_eq(tw->cnt.drop_ipv4_bad_cksum - before.drop_ipv4_bad_cksum, 2);
}
END_TEST

unsigned proto253_calls;
static void proto253(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m,
                     const struct rte_ipv4_hdr *ip)
{
	ck_assert_ptr_eq(w, tw);
	ck_assert_uint_lt(iface, w->net->n_ifaces);
	ck_assert_ptr_eq(ip, rte_pktmbuf_mtod(m, void *));
	ck_assert_uint_eq(ip->next_proto_id, 253);
	ck_assert_uint_eq(m->pkt_len, rte_be_to_cpu_16(ip->total_length));
	proto253_calls++;
	rte_pktmbuf_free(m);
}

START_TEST(test_ipv4_register)
{
	struct mg_net_counters before = tw->cnt;
	uint8_t f[256] = {0};
	uint32_t len;

	ck_assert_int_eq(mg_ipv4_register(IPPROTO_ICMP, proto253), -EEXIST);
	ck_assert_int_eq(mg_ipv4_register(253, NULL), -EINVAL);
	ck_assert_int_eq(mg_ipv4_register(253, proto253), 0);
	ck_assert_int_eq(mg_ipv4_register(253, proto253), -EEXIST);
	len = build_echo(f, PEER_IP, OUR_IP0, 8);
	frame_ip(f)->next_proto_id = 253;
	fix_ip_cksum(f);
	rx_frame(0, f, len + 10); /* with 10 bytes of trailing padding */
	ck_assert_uint_eq(proto253_calls, 1);
	ck_assert_uint_eq(cap.n, 0);
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, -1);
}
END_TEST

/*
 * A chained frame: headers in the first segment, payload in the second,
 * Ethernet padding in the second and a third: trimmed across segments.
 */
START_TEST(test_ipv4_trim_multiseg)
{
	uint8_t f[512];
	uint32_t len, hdr = RTE_ETHER_HDR_LEN + 20 + 8;
	struct rte_mbuf *m, *s2, *s3;
	struct mg_net_counters before;
	uint8_t out[512];
	const uint8_t *d;

	learn_peer();
	before = tw->cnt;
	len = build_echo(f, PEER_IP, OUR_IP0, 100);
	memset(f + len, 0xee, 40);
	m = mk_mbuf(f, hdr);
	s2 = mk_mbuf(f + hdr, len - hdr + 20);
	s3 = mk_mbuf(f + len + 20, 20);
	ck_assert_int_eq(rte_pktmbuf_chain(m, s2), 0);
	ck_assert_int_eq(rte_pktmbuf_chain(m, s3), 0);
	ck_assert_uint_eq(m->pkt_len, len + 40);
	mg_net_input(tw, 0, &m, 1);
	cap_flush();
	cnt_expect(&before, MG_NET_IDX_ipv4_rx, 1, MG_NET_IDX_icmp_echo_rx, 1,
	           MG_NET_IDX_icmp_echo_tx, 1, -1);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_uint_eq(cap.m[0]->pkt_len, len);
	ck_assert_uint_eq(cap.m[0]->nb_segs, 2);
	d = rte_pktmbuf_read(cap.m[0], 0, len, out);
	ck_assert_uint_eq(rte_raw_cksum(d + RTE_ETHER_HDR_LEN + 20, len - RTE_ETHER_HDR_LEN - 20),
	                  0xffff);
	ck_assert_mem_eq(d + hdr, f + hdr, len - hdr);
}
END_TEST

START_TEST(test_ipv4_output_errors)
{
	uint8_t f[256];
	uint32_t len = build_echo(f, OUR_IP0, IP4(198, 18, 9, 9), 8);
	struct mg_net_counters before = tw->cnt;
	struct rte_mbuf *m;

	/* No route to 198.18.9.9. */
	m = mk_mbuf(f + RTE_ETHER_HDR_LEN, len - RTE_ETHER_HDR_LEN);
	ck_assert_int_eq(mg_ipv4_output(tw, m), -EHOSTUNREACH);
	cnt_expect(&before, MG_NET_IDX_drop_no_route, 1, -1);
	/* No headroom for the Ethernet header. */
	learn_peer();
	before = tw->cnt;
	frame_ip(f)->dst_addr = PEER_IP;
	m = rte_pktmbuf_alloc(tpool);
	m->data_off = 0;
	memcpy(rte_pktmbuf_append(m, (uint16_t)(len - RTE_ETHER_HDR_LEN)), f + RTE_ETHER_HDR_LEN,
	       len - RTE_ETHER_HDR_LEN);
	ck_assert_int_eq(mg_ipv4_output(tw, m), -ENOBUFS);
	cnt_expect(&before, MG_NET_IDX_drop_no_mbuf, 1, -1);
	cap_flush();
	ck_assert_uint_eq(cap.n, 0);
}
END_TEST

TCase *tcase_ipv4(void)
{
	TCase *tc = tcase_create("ipv4");

	tcase_add_checked_fixture(tc, net_setup, net_teardown);
	tcase_add_loop_test(tc, test_ipv4_drops, 0, (int)RTE_DIM(ip_cases));
	tcase_add_test(tc, test_ipv4_base_frame_answered);
	tcase_add_test(tc, test_ipv4_rx_cksum_offload);
	tcase_add_test(tc, test_ipv4_register);
	tcase_add_test(tc, test_ipv4_trim_multiseg);
	tcase_add_test(tc, test_ipv4_output_errors);
	return tc;
}
