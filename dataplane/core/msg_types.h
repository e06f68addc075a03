/*
 * msg_types.h — messages between the control core and the workers.
 *
 * Each worker has two single-producer/single-consumer rings: one the control
 * core writes and the worker reads (ctl→worker) and one the other way.  A
 * message is a fixed 32-byte value copied into the ring itself (rte_ring_elem
 * API), so sending one allocates nothing and a full ring is the only failure.
 */
#ifndef MG_MSG_TYPES_H
#define MG_MSG_TYPES_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#define MG_MSG_TYPES(X)                                                                     \
	X(NONE)          /* never sent */                                                   \
	X(NEIGH_LEARNED) /* worker→ctl: I learned addr is at mac on iface */              \
	X(NEIGH_UPDATE)  /* ctl→worker: another worker learned addr is at mac on iface */ \
	X(NEIGH_RESOLVE) /* ctl→worker: send an ARP request for addr on iface */          \
	X(PING)          /* either way: answered with PONG carrying the same cookie */      \
	X(PONG)

enum mg_msg_type {
#define X(t) MG_MSG_##t,
	MG_MSG_TYPES(X)
#undef X
};

/** One message; the union member is chosen by type. */
struct mg_msg {
	uint16_t type;   /**< enum mg_msg_type */
	uint16_t worker; /**< the worker that sent it, or that it is for */
	uint32_t pad;
	union {
		struct {
			rte_be32_t addr;
			struct rte_ether_addr mac;
			uint8_t iface;
		} neigh;
		uint64_t cookie;
		uint8_t raw[24];
	} u;
};

_Static_assert(sizeof(struct mg_msg) == 32, "mg_msg must stay 32 bytes (ring element size)");

#endif /* MG_MSG_TYPES_H */
