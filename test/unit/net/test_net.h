/*
 * test_net.h — the fixture shared by the L2/L3 unit tests: one hand-built
 * worker on a two-port net conf, a capture port that records what is sent,
 * frame builders and counter checks.
 *
 * Topology (all in 198.18.0.0/15):
 *   iface 0 "client"   198.18.0.1/24   MAC 02:00:00:00:00:01
 *   iface 1 "upstream" 198.19.0.1/24   MAC 02:00:00:00:01:01
 *   route 198.19.128.0/20 via 198.19.0.254 (iface chosen by conf_finish)
 *   static neighbour 198.18.0.200 at 02:00:00:00:00:c8
 *   the usual peer: 198.18.0.2 at 02:00:00:00:00:02
 */
#ifndef MG_TEST_NET_H
#define MG_TEST_NET_H

#include <check.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/worker.h"
#include "net/net.h"

#define IP4(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

#define OUR_IP0 IP4(198, 18, 0, 1)
#define OUR_IP1 IP4(198, 19, 0, 1)
#define PEER_IP IP4(198, 18, 0, 2)
#define VIA_IP  IP4(198, 19, 0, 254)
#define STAT_IP IP4(198, 18, 0, 200)
#define FAR_NET IP4(198, 19, 128, 0)

#define REACHABLE_MS 1000
#define RETRANS_MS   100
#define MAX_PROBES   3
#define POOL_SIZE    2047

extern const struct rte_ether_addr our_mac0, our_mac1, peer_mac, stat_mac, bcast_mac;

/* The worker under test (idx 0) and its pool; reset before every test. */
extern struct mg_worker *tw;
extern struct rte_mempool *tpool;

/* Frames the capture port took, in order, with their interface. */
#define CAP_MAX 256
struct capture {
	unsigned n;
	struct rte_mbuf *m[CAP_MAX];
	uint8_t iface[CAP_MAX];
	unsigned accept;   /* frames the port takes per tx_burst call (default all) */
	uint64_t overflow; /* taken but not recorded (freed) because m[] was full */
};
extern struct capture cap;

/* Fixture: checked setup/teardown (teardown asserts no mbuf leaked). */
void net_setup(void);
void net_teardown(void);
/* Fill nc with the topology above, as the bootstrap would (not finished). */
void net_conf_fill(struct mg_net_conf *nc);
/* net_conf_fill, then mg_net_conf_finish (asserted to succeed). */
void net_conf_default(struct mg_net_conf *nc);

/* Flush the worker's TX stage into the capture. */
void cap_flush(void);
/* Free every captured frame and forget them. */
void cap_clear(void);
/* Data of captured frame i, and its length; the frame stays captured. */
const uint8_t *cap_data(unsigned i, uint32_t *len);

/* Copy len bytes into a fresh mbuf from the test pool. */
struct rte_mbuf *mk_mbuf(const void *bytes, uint32_t len);
/* Receive the frame bytes[0..len) on iface, then flush TX into the capture. */
void rx_frame(uint8_t iface, const void *bytes, uint32_t len);

/* Frame builders into buf; each returns the frame length. */
uint32_t build_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, rte_be32_t sip,
                   const struct rte_ether_addr *tha, rte_be32_t tip);
/* Ethernet (peer → our_mac0) + IPv4 (ihl 5, ttl 64, cksum set) + ICMP echo
 * request (id 0x1234, seq 7, payload_len bytes 0, 1, 2, ...; cksum set). */
uint32_t build_echo(uint8_t *buf, rte_be32_t src, rte_be32_t dst, uint16_t payload_len);
/* Recompute the IPv4 header checksum of a frame built above. */
void fix_ip_cksum(uint8_t *frame);
/* Recompute the ICMP checksum of a frame built above (ICMP over total_length). */
void fix_icmp_cksum(uint8_t *frame);
static inline struct rte_ether_hdr *frame_eth(uint8_t *f)
{
	return (struct rte_ether_hdr *)f;
}
static inline struct rte_arp_hdr *frame_arp(uint8_t *f)
{
	return (struct rte_arp_hdr *)(f + RTE_ETHER_HDR_LEN);
}
static inline struct rte_ipv4_hdr *frame_ip(uint8_t *f)
{
	return (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
}
static inline struct rte_icmp_hdr *frame_icmp(uint8_t *f)
{
	return (struct rte_icmp_hdr *)(f + RTE_ETHER_HDR_LEN + rte_ipv4_hdr_len(frame_ip(f)));
}

/* Counters as an array, for diffs. */
static inline uint64_t cnt_get(const struct mg_net_counters *c, unsigned idx)
{
	return ((const uint64_t *)c)[idx];
}
uint64_t cnt_drops(const struct mg_net_counters *c);
/*
 * Assert that between before and now exactly the counters listed (index,
 * delta pairs, terminated by -1) changed by those amounts, apart from
 * rx_packets/rx_bytes/tx_packets/tx_bytes, which are not checked.
 */
void cnt_expect(const struct mg_net_counters *before, ...);
/* One frame was received and dropped for reason idx, and nothing was sent. */
void expect_one_drop(const struct mg_net_counters *before, unsigned idx);

/* Learn the peer (198.18.0.2) through an ARP request for us, then clear the capture. */
void learn_peer(void);

/*
 * Frames consumed by the handler test_ipv4.c registers for IP protocol 253
 * (it stays registered for the rest of the run: there is no unregister).
 */
extern unsigned proto253_calls;

/* Advance the worker's clock by ms milliseconds. */
void advance_ms(uint64_t ms);

/* Messages the worker posted to the control core; returns how many were read. */
unsigned ctl_msgs(struct mg_msg *out, unsigned max);

TCase *tcase_eth(void);
TCase *tcase_arp(void);
TCase *tcase_ipv4(void);
TCase *tcase_icmp(void);
TCase *tcase_neigh(void);
TCase *tcase_route(void);
TCase *tcase_fuzz(void);
TCase *tcase_impair(void);

#endif /* MG_TEST_NET_H */
