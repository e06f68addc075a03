/*
 * net_types.h — types of the port layer (dataplane/net): interfaces, routes,
 * the neighbour (ARP) table and the L2/L3 counters.  The API is in net.h.
 *
 * The interface and route tables are built once at start from the bootstrap
 * and never change afterwards, so every worker reads them without locks.
 * The neighbour table is per worker: each worker owns its cache, and what
 * one worker learns reaches the others as a message through the control core
 * (see core/msg_types.h), so no lock is ever taken on the packet path.
 */
#ifndef MG_NET_TYPES_H
#define MG_NET_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "common/mg_common.h"

#define MG_MAX_IFACES       8
#define MG_MAX_ROUTES       64
#define MG_MAX_STATIC_NEIGH 64
/** Slots in a neighbour table; a power of two (open addressing). */
#define MG_NEIGH_SLOTS 256
/** Packets one unresolved neighbour may hold while ARP is in flight. */
#define MG_NEIGH_PENDING_MAX 8

/** Counters of one worker's L2/L3 path; one field per line of net_counters.def. */
struct mg_net_counters {
#define MG_NET_STAT(n, h) uint64_t n;
#define MG_NET_DROP(n, h) uint64_t drop_##n;
#include "net/net_counters.def"
} __rte_cache_aligned;

enum mg_net_counter_kind { MG_NET_KIND_STAT, MG_NET_KIND_DROP };

/** Name, help text and kind of each counter, in struct order. */
struct mg_net_counter_desc {
	const char *name;
	const char *help;
	enum mg_net_counter_kind kind;
};

/** One port the gateway owns, as configured and as the device reported it. */
struct mg_iface {
	char name[32];             /**< bootstrap name, e.g. "client" */
	uint16_t port_id;          /**< DPDK port id */
	uint16_t mtu;              /**< IP MTU */
	struct rte_ether_addr mac; /**< the port's MAC address */
	rte_be32_t addr;           /**< our IPv4 address on this link */
	rte_be32_t mask;           /**< netmask of the connected subnet */
	uint8_t prefix_len;        /**< length of mask */
	bool tx_ip_cksum;          /**< the port computes IPv4 header checksums */
	bool rx_ip_cksum;          /**< the port validates IPv4 header checksums */
	/*
	 * How the NIC spreads TCP/IPv4 flows over the workers' queues, when it
	 * can be predicted (RSS with a key and redirection table we read back):
	 * queue = reta[toeplitz(key, src, dst, sport, dport) % reta_size], and
	 * queue q is worker q's.  Active opens pick source ports whose replies
	 * land on their own worker (tcp_conn.c).  rss_ok is false for one queue
	 * or devices without RSS (net_af_packet: the kernel's fanout decides).
	 */
	bool rss_ok;
	uint8_t rss_key_len;
	uint16_t reta_size;
	uint8_t rss_key[52];
	uint16_t reta[512];
};

/** A route: destinations within prefix/mask leave through iface, via a next hop. */
struct mg_route {
	rte_be32_t prefix;
	rte_be32_t mask;
	uint8_t len;
	uint8_t iface;  /**< index into mg_net_conf.ifaces */
	rte_be32_t via; /**< next hop, or 0 for a connected route (destination is on-link) */
};

/** A neighbour configured by hand; never expires. */
struct mg_static_neigh {
	rte_be32_t addr;
	struct rte_ether_addr mac;
	uint8_t iface;
};

/** Everything about L2/L3 the workers read; built at start, then immutable. */
struct mg_net_conf {
	unsigned n_ifaces;
	struct mg_iface ifaces[MG_MAX_IFACES];
	/** Routes, longest prefix first; connected routes included. */
	unsigned n_routes;
	struct mg_route routes[MG_MAX_ROUTES + MG_MAX_IFACES];
	unsigned n_static;
	struct mg_static_neigh statics[MG_MAX_STATIC_NEIGH];
	uint32_t arp_reachable_ms; /**< how long a learned entry stays valid */
	uint32_t arp_retrans_ms;   /**< interval between ARP requests for one address */
	uint32_t arp_max_probes;   /**< requests sent before resolution fails */
};

#define MG_NEIGH_STATES(X)                                                 \
	X(FREE)       /* slot unused */                                    \
	X(INCOMPLETE) /* ARP request sent, no answer yet; packets queue */ \
	X(REACHABLE)  /* MAC known and fresh */                            \
	X(STATIC)     /* configured; never expires */

enum mg_neigh_state {
#define X(s) MG_NEIGH_##s,
	MG_NEIGH_STATES(X)
#undef X
};

/** One neighbour cache entry. */
struct mg_neigh {
	rte_be32_t addr;
	uint8_t state; /**< enum mg_neigh_state */
	uint8_t iface;
	uint8_t probes; /**< ARP requests sent while INCOMPLETE, or refreshes while REACHABLE */
	uint8_t n_pending;
	struct rte_ether_addr mac;
	uint8_t used; /**< REACHABLE: a packet went out through it since it was confirmed */
	uint64_t deadline_tsc; /**< REACHABLE: expiry; INCOMPLETE: next probe */
	struct rte_mbuf *pending[MG_NEIGH_PENDING_MAX];
};

/** A worker's (or the control core's) neighbour cache: open addressing, linear probing. */
struct mg_neigh_table {
	unsigned n_used;
	struct mg_neigh slot[MG_NEIGH_SLOTS];
};

#endif /* MG_NET_TYPES_H */
