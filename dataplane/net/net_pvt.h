/*
 * net_pvt.h — internals shared by the files of dataplane/net; no other
 * module includes this.
 *
 * The receive path hands each frame down with its data pointer at the header
 * of the layer being parsed (eth.c strips the Ethernet header before calling
 * ARP or IPv4 input), so every handler can prepend it back in place when it
 * answers with the same mbuf.  Every function here that takes an mbuf owns
 * it: it is sent, queued, handed on, or freed with exactly one drop counted.
 */
#ifndef MG_NET_PVT_H
#define MG_NET_PVT_H

#include <stdbool.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/worker.h"
#include "net/net.h"

/* Default ARP timers when the conf leaves them at zero (mg_net_conf_finish). */
#define MG_ARP_REACHABLE_MS_DEFAULT 60000
#define MG_ARP_RETRANS_MS_DEFAULT   1000
#define MG_ARP_MAX_PROBES_DEFAULT   3

/** Size of an ARP frame for IPv4 over Ethernet, without padding. */
#define MG_ARP_FRAME_LEN (RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr))

/** Free m and count one drop against cnt (a field of w->cnt). */
static inline void mg_net_drop(struct rte_mbuf *m, uint64_t *cnt)
{
	mg_cnt_add(cnt, 1);
	rte_pktmbuf_free(m);
}

/** True when t (a TSC value) is at or past deadline, robust to wrap. */
static inline bool mg_tsc_due(uint64_t t, uint64_t deadline)
{
	return (int64_t)(t - deadline) >= 0;
}

/** True if addr (network order) is in 224.0.0.0/4. */
static inline bool mg_ipv4_is_multicast(rte_be32_t addr)
{
	return (rte_be_to_cpu_32(addr) & 0xf0000000u) == 0xe0000000u;
}

/** True if addr (network order) is in 127.0.0.0/8. */
static inline bool mg_ipv4_is_loopback(rte_be32_t addr)
{
	return (rte_be_to_cpu_32(addr) >> 24) == 127;
}

/** Index of the interface whose address is addr, or -1. */
static inline int mg_net_local_iface(const struct mg_net_conf *nc, rte_be32_t addr)
{
	for (unsigned i = 0; i < nc->n_ifaces; i++)
		if (nc->ifaces[i].addr == addr)
			return (int)i;
	return -1;
}

/* eth.c dispatches to these with m's data at the ARP / IPv4 header. */
void mg_arp_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m);
void mg_ipv4_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m);
/* The built-in handler for IPPROTO_ICMP (an mg_ipv4_proto_fn). */
void mg_icmp_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m,
                   const struct rte_ipv4_hdr *ip);

/**
 * Broadcast an ARP request for tip on iface (counts arp_request_tx).
 * @return 0, or -ENOBUFS with drop_no_mbuf counted
 */
int mg_arp_send_request(struct mg_worker *w, uint8_t iface, rte_be32_t tip);

/**
 * Broadcast a gratuitous ARP (a request for our own address) on iface
 * (counts arp_gratuitous_tx).
 * @return 0, or -ENOBUFS with drop_no_mbuf counted
 */
int mg_arp_send_gratuitous(struct mg_worker *w, uint8_t iface);

/**
 * Record that addr is at mac on iface: the entry becomes REACHABLE (unless
 * it is STATIC, which is never overwritten), its queued packets are sent,
 * and, if announce, the control core is told so the other workers learn it.
 */
void mg_neigh_learn(struct mg_worker *w, uint8_t iface, rte_be32_t addr,
                    const struct rte_ether_addr *mac, bool announce);

/**
 * Start resolving addr on iface: create an INCOMPLETE entry and send the
 * first ARP request.
 * @return the new entry, or NULL if the table is full
 */
struct mg_neigh *mg_neigh_resolve(struct mg_worker *w, uint8_t iface, rte_be32_t addr);

/**
 * Send m (data at a filled Ethernet header whose destination is still
 * unknown) to next hop nh on iface, or queue it while nh is resolved.
 * @return 0, or -ENOBUFS (queue full / table full; m freed and counted)
 */
int mg_neigh_output(struct mg_worker *w, uint8_t iface, rte_be32_t nh, struct rte_mbuf *m);

#endif /* MG_NET_PVT_H */
