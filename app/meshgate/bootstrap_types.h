/*
 * bootstrap_types.h — the gateway's bootstrap configuration as parsed from
 * YAML (see docs/CONFIG.md for the file format).  API in bootstrap.h.
 */
#ifndef MG_BOOTSTRAP_TYPES_H
#define MG_BOOTSTRAP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "core/worker_types.h"
#include "net/impair_types.h"
#include "net/net_types.h"

#define MG_MAX_EAL_ARGS 64

/* The decoded xDS message (envoy.config.bootstrap.v3.Bootstrap.StaticResources,
 * proto/); only a pointer here, so users of this header need no proto headers. */
struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources;
struct Envoy__Config__Bootstrap__V3__Bootstrap__DynamicResources;
struct Envoy__Config__Core__V3__Node;
struct mg_snapshot;

/** Where and what the ADS client subscribes (from dynamic_resources). */
struct mg_cfg_ads {
	bool enabled;    /**< dynamic_resources present: run the ADS client */
	bool cds;        /**< cds_config: {ads: {}} — subscribe clusters (and endpoints) */
	bool lds;        /**< lds_config: {ads: {}} — subscribe listeners (and routes) */
	char host[64];   /**< the controller's IPv4 address, e.g. "127.0.0.1" */
	uint16_t port;   /**< its port, e.g. 15010 */
	char target[96]; /**< how the bootstrap named it: "cluster xds" or "127.0.0.1:15010" */
};

/** TCP settings (top-level tcp: block). */
struct mg_cfg_tcp {
	uint16_t echo_port;    /**< built-in echo service port, 0 = off (default off) */
	uint16_t discard_port; /**< discard service, 0 = off */
	uint16_t source_port;  /**< source service, 0 = off */
	uint16_t fwd_port;     /**< forward service port, 0 = off */
	uint16_t fwd_dport;    /**< forward destination port (host order) */
	rte_be32_t fwd_addr;   /**< forward destination address */
	uint32_t max_conns;    /**< per worker, default 65536 */
	uint32_t syn_backlog;  /**< per listener, default 1024 */
	uint32_t sndbuf;       /**< bytes per connection, default 262144 */
	uint32_t rcvbuf;       /**< bytes per connection, default 262144 */
	char cc[16];           /**< "newreno" (default) or "cubic" */
	bool syn_cookies;      /**< answer SYNs over the backlog with cookies (default true) */
	uint32_t ka_idle_ms;   /**< keepalive: idle time before probing; 0 = off (default) */
	uint32_t ka_intvl_ms;  /**< keepalive: between probes (default 75 s) */
	uint32_t ka_probes;    /**< keepalive: unanswered probes before giving up (default 9) */
	uint32_t
	    user_timeout_ms; /**< give up on unacknowledged data after this; 0 = ~15 min of RTOs */
};

/** One interface as written in the bootstrap. */
struct mg_cfg_iface {
	char name[32];    /**< unique; routes and neighbours refer to it */
	char device[256]; /**< DPDK devargs ("net_af_packet0,iface=veth0") or PCI address */
	rte_be32_t addr;
	uint8_t prefix_len;
	uint16_t mtu; /**< default 1500 */
	struct mg_cfg_impair impair;
};

struct mg_cfg_route {
	rte_be32_t prefix;
	uint8_t len;
	rte_be32_t via;
	uint8_t iface; /**< index into ifaces, or 0xff: the one whose subnet holds via */
};

struct mg_cfg_neigh {
	rte_be32_t addr;
	struct rte_ether_addr mac;
	uint8_t iface; /**< index into ifaces, or 0xff: the one whose subnet holds addr */
};

/** The whole bootstrap. */
struct mg_bootstrap {
	char path[4096];
	int eal_argc;
	char *eal_argv[MG_MAX_EAL_ARGS]; /**< owned; freed by mg_bootstrap_free() */
	unsigned n_workers;              /**< default 1 */
	enum mg_idle_mode idle;          /**< default adaptive */
	unsigned mbufs_per_worker;       /**< default 8191 */
	uint16_t rx_desc;                /**< default 1024 */
	uint16_t tx_desc;                /**< default 1024 */
	char admin_addr[64];             /**< default "127.0.0.1" */
	uint16_t admin_port;             /**< default 15000 */
	unsigned n_ifaces;
	struct mg_cfg_iface ifaces[MG_MAX_IFACES];
	unsigned n_routes;
	struct mg_cfg_route routes[MG_MAX_ROUTES];
	unsigned n_neigh;
	struct mg_cfg_neigh neigh[MG_MAX_STATIC_NEIGH];
	uint32_t arp_reachable_ms; /**< default 60000 */
	uint32_t arp_retrans_ms;   /**< default 1000 */
	uint32_t arp_max_probes;   /**< default 3 */
	struct mg_cfg_tcp tcp;
	/** static_resources as decoded; owned, freed by mg_bootstrap_free(); NULL
	 *  when the file has none */
	struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *static_resources;
	unsigned n_static_listeners; /**< static_resources->n_listeners, 0 if none */
	unsigned n_static_clusters;  /**< static_resources->n_clusters, 0 if none */
	/** static_resources compiled (xds/compile.h): what the workers will serve;
	 *  owned, freed by mg_bootstrap_free() unless taken (set to NULL) */
	struct mg_snapshot *snapshot;
	/** dynamic_resources as decoded; owned; NULL when the file has none */
	struct Envoy__Config__Bootstrap__V3__Bootstrap__DynamicResources *dynamic_resources;
	/** node (Envoy's Bootstrap.node) as decoded; owned; NULL when absent */
	struct Envoy__Config__Core__V3__Node *node;
	struct mg_cfg_ads ads;
};

#endif /* MG_BOOTSTRAP_TYPES_H */
