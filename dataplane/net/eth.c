/*
 * eth.c — Ethernet receive: count, validate the addresses, strip the header
 * and dispatch on the EtherType.
 *
 * We accept frames sent to our MAC or to broadcast and nothing else: the
 * gateway joins no multicast group, and a port in promiscuous mode (af_packet
 * on a veth) shows us frames meant for others, which we must not answer.
 */
#include <rte_ether.h>
#include <rte_prefetch.h>

#include "net/net_pvt.h"

/* How many frames ahead of the one being parsed to prefetch. */
#define MG_ETH_PREFETCH 3

static void eth_input_one(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m)
{
	const struct rte_ether_addr *our = &w->net->ifaces[iface].mac;
	const struct rte_ether_hdr *eh;
	uint16_t type;

	/*
	 * Headers are parsed in the first segment: a port puts a frame of up
	 * to 2 kB in one segment, so data_len is what we can read directly.
	 */
	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN)) {
		mg_net_drop(m, &w->cnt.drop_eth_runt);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, our) &&
	             !rte_is_broadcast_ether_addr(&eh->dst_addr))) {
		mg_net_drop(m, &w->cnt.drop_eth_dst_other);
		return;
	}
	if (unlikely(rte_is_multicast_ether_addr(&eh->src_addr) ||
	             rte_is_same_ether_addr(&eh->src_addr, our))) {
		mg_net_drop(m, &w->cnt.drop_eth_src_invalid);
		return;
	}
	type = rte_be_to_cpu_16(eh->ether_type);
	m->l2_len = RTE_ETHER_HDR_LEN;
	switch (type) {
	case RTE_ETHER_TYPE_IPV4:
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
		mg_ipv4_input(w, iface, m);
		break;
	case RTE_ETHER_TYPE_ARP:
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
		mg_arp_input(w, iface, m);
		break;
	default: /* VLAN tags, IPv6, LLDP, ...: not handled (yet) */
		mg_net_drop(m, &w->cnt.drop_eth_unknown_type);
		break;
	}
}

void mg_net_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t i;

	RTE_ASSERT(iface < w->net->n_ifaces);
	for (i = 0; i < n && i < MG_ETH_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	/* Counted before parsing so that rx_packets >= every drop at all times. */
	mg_cnt_add(&w->cnt.rx_packets, n);
	mg_cnt_add(&w->cnt.rx_bytes, bytes);
	for (i = 0; i < n; i++) {
		if (i + MG_ETH_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + MG_ETH_PREFETCH], void *));
		eth_input_one(w, iface, pkts[i]);
	}
}
