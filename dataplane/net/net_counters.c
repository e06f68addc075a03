/*
 * net_counters.c — names and help text of the L2/L3 counters, generated from
 * net_counters.def so the list, the struct and the exporters never drift.
 * Drop reasons keep their bare name ("eth_runt"); the struct field is
 * drop_<name>, and the kind tells exporters to label it as a drop.
 */
#include <stddef.h>

#include "net/net.h"

const struct mg_net_counter_desc mg_net_counter_descs[] = {
#define MG_NET_STAT(n, h) {#n, h, MG_NET_KIND_STAT},
#define MG_NET_DROP(n, h) {#n, h, MG_NET_KIND_DROP},
#include "net/net_counters.def"
};

_Static_assert(MG_ARRAY_SIZE(mg_net_counter_descs) == MG_NET_N_COUNTERS,
               "one description per counter");
/* Exporters walk the struct as an array of uint64_t indexed by MG_NET_IDX_*. */
#define MG_NET_STAT(n, h)                                                                        \
	_Static_assert(offsetof(struct mg_net_counters, n) == MG_NET_IDX_##n * sizeof(uint64_t), \
	               #n " is at its index");
#define MG_NET_DROP(n, h) MG_NET_STAT(drop_##n, h)
#include "net/net_counters.def"
