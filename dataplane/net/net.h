/*
 * net.h — the port layer's L2/L3 path: Ethernet, ARP, IPv4, ICMP, routes and
 * the neighbour cache.  Types in net_types.h.
 *
 * Frames enter through mg_net_input() in bursts.  Every frame ends in exactly
 * one place: consumed (answered, queued for resolution, handed to an upper
 * protocol) or dropped with a reason counted in struct mg_net_counters.
 * Upper layers (TCP) register for an IPv4 protocol number with
 * mg_ipv4_register() and send with mg_ipv4_output().
 */
#ifndef MG_NET_H
#define MG_NET_H

#include <rte_ip.h>

#include "core/msg_types.h"
#include "core/worker_types.h"
#include "net/net_types.h"

/*
 * Index of each counter in struct mg_net_counters (MG_NET_IDX_rx_packets,
 * MG_NET_IDX_drop_eth_runt, ...) and their number, MG_NET_N_COUNTERS.
 * Counted from the list rather than sizeof(struct mg_net_counters): the
 * struct is padded to a cache line, so sizeof would count the padding.
 */
enum {
#define MG_NET_STAT(n, h) MG_NET_IDX_##n,
#define MG_NET_DROP(n, h) MG_NET_IDX_drop_##n,
#include "net/net_counters.def"
	MG_NET_N_COUNTERS
};

/** Names, help and kinds of the counters, MG_NET_N_COUNTERS of them, in struct order. */
extern const struct mg_net_counter_desc mg_net_counter_descs[];

/**
 * Handler for an IPv4 protocol.  Called with m's data starting at the IPv4
 * header, already validated and addressed to us (ip points there too).
 * The handler owns m.
 */
typedef void (*mg_ipv4_proto_fn)(struct mg_worker *w, uint8_t iface, struct rte_mbuf *m,
                                 const struct rte_ipv4_hdr *ip);

/**
 * Register the handler for IPv4 protocol proto (ICMP is built in).  Call
 * before workers start.
 *
 * @return 0, -EEXIST if proto already has a handler, -EINVAL if fn is NULL
 */
int mg_ipv4_register(uint8_t proto, mg_ipv4_proto_fn fn);

/**
 * Build the net conf: copy interfaces, add a connected route per interface,
 * add the static routes, sort longest prefix first.  Routes whose iface is
 * unset (0xff) get the interface whose subnet holds their next hop.
 *
 * @return 0, -EINVAL if a next hop is on no interface's subnet, -ENOSPC
 */
int mg_net_conf_finish(struct mg_net_conf *nc);

/**
 * Longest-prefix match.
 *
 * @param nc   the net conf
 * @param dst  destination (network order)
 * @param nh   out: the next hop to resolve (dst itself for connected routes)
 * @return the route, or NULL if none matches
 */
const struct mg_route *mg_route_lookup(const struct mg_net_conf *nc, rte_be32_t dst,
                                       rte_be32_t *nh);

/**
 * Process a burst of frames received on interface iface.  Takes ownership
 * of every frame.
 */
void mg_net_input(struct mg_worker *w, uint8_t iface, struct rte_mbuf **pkts, uint16_t n);

/**
 * Send an IPv4 packet.  m's data starts at a complete IPv4 header (src, dst,
 * proto, length filled in; checksum is computed here or offloaded).  The
 * Ethernet header is prepended here; if the next hop is unresolved the packet
 * waits in the neighbour's bounded queue while ARP runs.  Takes ownership of m.
 *
 * @return 0 if sent or queued, -EHOSTUNREACH (no route), -ENOBUFS (queue
 *         full or no headroom); m is freed and counted on error.
 */
int mg_ipv4_output(struct mg_worker *w, struct rte_mbuf *m);

/**
 * Ones' complement sum (not inverted) of len bytes of the mbuf chain m from
 * offset off, for any segment sizes and offsets.  Use it instead of DPDK
 * 22.11's rte_raw_cksum_mbuf(), which gets chains with odd-sized segments
 * wrong.  The chain must hold off + len bytes.
 */
uint16_t mg_net_raw_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len);

/**
 * Worker start: load static neighbours into the worker's cache; worker 0
 * also sends a gratuitous ARP on every interface and starts resolving every
 * route's next hop, so the first packet towards an upstream does not wait.
 */
void mg_net_worker_start(struct mg_worker *w);

/**
 * Periodic work (call every few milliseconds with w->now set): retransmit
 * ARP requests for incomplete entries, fail them after arp_max_probes and
 * drop their queued packets, expire stale entries, refresh next hops that
 * are about to expire.
 */
void mg_net_timer(struct mg_worker *w);

/** Handle a NEIGH_UPDATE or NEIGH_RESOLVE message from the control core. */
void mg_net_handle_msg(struct mg_worker *w, const struct mg_msg *msg);

/** Free queued packets and clear the table (worker stop). */
void mg_neigh_flush(struct mg_worker *w);

/* Neighbour table primitives, also used by the control core's mirror. */

/** Find addr's entry, or NULL. */
struct mg_neigh *mg_neigh_lookup(struct mg_neigh_table *t, rte_be32_t addr);

/**
 * Find addr's entry or create a FREE→INCOMPLETE one.
 *
 * @return the entry, or NULL if the table is full
 */
struct mg_neigh *mg_neigh_get(struct mg_neigh_table *t, rte_be32_t addr);

/** Remove e from t (backward-shift deletion keeps probe chains intact). */
void mg_neigh_remove(struct mg_neigh_table *t, struct mg_neigh *e);

/** Name of a neighbour state ("REACHABLE", ...). */
const char *mg_neigh_state_name(unsigned state);

#endif /* MG_NET_H */
