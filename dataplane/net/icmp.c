/*
 * icmp.c — ICMP: answer echo requests addressed to us.
 *
 * The reply is built in the request's mbuf and sent through mg_ipv4_output(),
 * so it is routed and ARP-resolved like any packet we originate (the
 * requester may sit behind a next hop, or be unknown to the neighbour cache
 * yet).  Other types are counted and dropped; errors we would send (e.g.
 * port unreachable) come with the transports.
 */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "net/net_pvt.h"

/* The 16-bit word holding type and code of an echo request / reply. */
#define ICMP_ECHO_REQUEST_WORD (RTE_IP_ICMP_ECHO_REQUEST << 8)
#define ICMP_ECHO_REPLY_WORD   (RTE_IP_ICMP_ECHO_REPLY << 8)

/*
 * Checksum hc (network order) after one 16-bit word changed from old to new
 * (host order): RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m').  Saves summing a
 * payload that is otherwise untouched.
 */
static rte_be16_t cksum_adjust(rte_be16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~rte_be_to_cpu_16(hc) + (uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

/* Turn echo request m (data at its IPv4 header of hlen bytes) into the reply. */
static void icmp_echo_reply(struct rte_mbuf *m, uint32_t hlen, uint16_t icmp_len)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	rte_be32_t src = ip->dst_addr, dst = ip->src_addr;
	uint8_t tos = ip->type_of_service;
	struct rte_icmp_hdr *icmp;

	/* A fresh 20-byte header: the request's options do not apply to us. */
	if (hlen > sizeof(*ip))
		ip = (struct rte_ipv4_hdr *)rte_pktmbuf_adj(m, (uint16_t)(hlen - sizeof(*ip)));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + icmp_len));
	/* DF set and offset 0: an atomic datagram, whose ID may be 0 (RFC 6864). */
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0; /* mg_ipv4_output computes or offloads it */
	ip->src_addr = src;
	ip->dst_addr = dst;
	m->l3_len = sizeof(*ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum =
	    cksum_adjust(icmp->icmp_cksum, ICMP_ECHO_REQUEST_WORD, ICMP_ECHO_REPLY_WORD);
}

void mg_icmp_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m,
                   const struct rte_ipv4_hdr *ip)
{
	uint32_t hlen = rte_ipv4_hdr_len(ip);
	uint16_t len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - hlen);
	const struct rte_icmp_hdr *icmp;
	uint16_t sum;

	(void)iface;
	/* The header must be in the first segment; the payload need not be. */
	if (unlikely(len < sizeof(*icmp) || m->data_len < hlen + sizeof(*icmp))) {
		mg_net_drop(m, &w->cnt.drop_icmp_runt);
		return;
	}
	if (unlikely(rte_pktmbuf_pkt_len(m) < hlen + len ||
	             (sum = mg_net_raw_cksum(m, hlen, len)) != 0xffff)) {
		mg_net_drop(m, &w->cnt.drop_icmp_bad_cksum);
		return;
	}
	icmp = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, hlen);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		mg_net_drop(m, &w->cnt.drop_icmp_unhandled_type);
		return;
	}
	mg_cnt_add(&w->cnt.icmp_echo_rx, 1);
	icmp_echo_reply(m, hlen, len);
	if (mg_ipv4_output(w, m) == 0)
		mg_cnt_add(&w->cnt.icmp_echo_tx, 1);
}
