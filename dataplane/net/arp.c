/*
 * arp.c — ARP for IPv4 over Ethernet (RFC 826): answer requests for our
 * addresses, learn senders, send requests and gratuitous announcements.
 *
 * We answer only for the address of the interface the request came in on
 * (Linux's arp_ignore=1): answering for another port's address on this link
 * would attract traffic to the wrong port.  Learning follows RFC 826's merge
 * rule: a sender we already know is refreshed by any ARP packet from it, a
 * new one is created only when the packet is addressed to us.  That keeps a
 * flood of requests for other hosts from filling the table.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include "net/net_pvt.h"

/* May sha be a neighbour's MAC?  Not multicast, not zero, not ours. */
static bool arp_sha_ok(const struct mg_iface *ifc, const struct rte_ether_addr *sha)
{
	return rte_is_valid_assigned_ether_addr(sha) && !rte_is_same_ether_addr(sha, &ifc->mac);
}

/* May sip be a neighbour's address?  See drop_arp_bad_sender. */
static bool arp_sip_ok(const struct mg_net_conf *nc, rte_be32_t sip)
{
	if (sip == 0 || sip == RTE_BE32(0xffffffff) || mg_ipv4_is_multicast(sip) ||
	    mg_ipv4_is_loopback(sip))
		return false;
	/* Someone claiming one of our addresses: a conflict, never a neighbour. */
	return mg_net_local_iface(nc, sip) < 0;
}

/* Turn request m (data at the ARP header) into our reply and send it. */
static void arp_reply(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m)
{
	const struct mg_iface *ifc = &w->net->ifaces[iface];
	struct rte_arp_hdr *ah = rte_pktmbuf_mtod(m, struct rte_arp_hdr *);
	struct rte_ether_hdr *eh;

	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	ah->arp_data.arp_tha = ah->arp_data.arp_sha;
	ah->arp_data.arp_tip = ah->arp_data.arp_sip;
	ah->arp_data.arp_sha = ifc->mac;
	ah->arp_data.arp_sip = ifc->addr;
	/* eth.c stripped the Ethernet header, so its bytes are still there. */
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	eh->dst_addr = ah->arp_data.arp_tha;
	eh->src_addr = ifc->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	/* Drop the sender's padding; the port pads to 60 bytes again if it must. */
	if (m->pkt_len > MG_ARP_FRAME_LEN)
		(void)rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - MG_ARP_FRAME_LEN));
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	mg_cnt_add(&w->cnt.arp_reply_tx, 1);
	mg_worker_tx(w, iface, m);
}

void mg_arp_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m)
{
	const struct mg_iface *ifc = &w->net->ifaces[iface];
	const struct rte_arp_hdr *ah;
	rte_be32_t sip, tip;
	bool probe, known;
	uint16_t op;

	if (unlikely(m->data_len < sizeof(*ah))) {
		mg_net_drop(m, &w->cnt.drop_arp_runt);
		return;
	}
	ah = rte_pktmbuf_mtod(m, const struct rte_arp_hdr *);
	if (unlikely(ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	             ah->arp_hlen != RTE_ETHER_ADDR_LEN)) {
		mg_net_drop(m, &w->cnt.drop_arp_bad_hw);
		return;
	}
	if (unlikely(ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	             ah->arp_plen != sizeof(rte_be32_t))) {
		mg_net_drop(m, &w->cnt.drop_arp_bad_proto);
		return;
	}
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (unlikely(op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)) {
		mg_net_drop(m, &w->cnt.drop_arp_bad_op);
		return;
	}
	sip = ah->arp_data.arp_sip;
	tip = ah->arp_data.arp_tip;
	/* An RFC 5227 probe asks "is anyone using tip?" from sender IP 0. */
	probe = op == RTE_ARP_OP_REQUEST && sip == 0;
	if (unlikely(!arp_sha_ok(ifc, &ah->arp_data.arp_sha) ||
	             (!probe && !arp_sip_ok(w->net, sip)))) {
		mg_net_drop(m, &w->cnt.drop_arp_bad_sender);
		return;
	}
	known = !probe && mg_neigh_lookup(&w->neigh, sip) != NULL;
	if (op == RTE_ARP_OP_REPLY) {
		/* Ours or not, a well-formed reply is consumed; only useful ones teach. */
		mg_cnt_add(&w->cnt.arp_reply_rx, 1);
		if (known || tip == ifc->addr)
			mg_neigh_learn(w, iface, sip, &ah->arp_data.arp_sha, true);
		rte_pktmbuf_free(m);
		return;
	}
	if (tip != ifc->addr) {
		/* Includes gratuitous ARP (sip == tip): it refreshes what we know. */
		if (known)
			mg_neigh_learn(w, iface, sip, &ah->arp_data.arp_sha, true);
		mg_net_drop(m, &w->cnt.drop_arp_target_other);
		return;
	}
	mg_cnt_add(&w->cnt.arp_request_rx, 1);
	if (!probe)
		mg_neigh_learn(w, iface, sip, &ah->arp_data.arp_sha, true);
	arp_reply(w, iface, m);
}

/* Build and stage an ARP request from iface's address for tip, broadcast. */
static int arp_send_request(struct mg_worker *w, uint8_t iface, rte_be32_t tip)
{
	const struct mg_iface *ifc = &w->net->ifaces[iface];
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (unlikely(m == NULL)) {
		mg_cnt_add(&w->cnt.drop_no_mbuf, 1);
		return -ENOBUFS;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, MG_ARP_FRAME_LEN);
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	eh->src_addr = ifc->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(rte_be32_t);
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = ifc->mac;
	ah->arp_data.arp_sip = ifc->addr;
	memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
	ah->arp_data.arp_tip = tip;
	m->l2_len = RTE_ETHER_HDR_LEN;
	mg_worker_tx(w, iface, m);
	return 0;
}

int mg_arp_send_request(struct mg_worker *w, uint8_t iface, rte_be32_t tip)
{
	int rc = arp_send_request(w, iface, tip);

	if (rc == 0)
		mg_cnt_add(&w->cnt.arp_request_tx, 1);
	return rc;
}

int mg_arp_send_gratuitous(struct mg_worker *w, uint8_t iface)
{
	/* RFC 5227 announcement: a request whose sender and target are both us. */
	int rc = arp_send_request(w, iface, w->net->ifaces[iface].addr);

	if (rc == 0)
		mg_cnt_add(&w->cnt.arp_gratuitous_tx, 1);
	return rc;
}
