/*
 * route.c — the route table: built once from the bootstrap (connected routes
 * from the interfaces plus static routes), then read by every worker.
 *
 * Lookup is a linear scan over routes sorted longest prefix first: the first
 * match is the longest.  For the tens of routes a bootstrap holds that is a
 * few cache lines and beats any trie.  Once routes come from xDS in the
 * thousands, rte_lpm (DIR-24-8, two memory reads per lookup) is the move;
 * mg_route_lookup() is the only function that would change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_ip.h>

#include "net/net_pvt.h"

#define MG_IFACE_UNSET 0xff

/* Netmask (network order) of a prefix length 0..32. */
static rte_be32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - len));
}

/* Dotted quad of addr (network order), for error messages. */
static const char *ip_str(rte_be32_t addr, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* Is addr on interface i's subnet (and not its own address)? */
static bool on_link(const struct mg_net_conf *nc, unsigned i, rte_be32_t addr)
{
	const struct mg_iface *ifc = &nc->ifaces[i];

	return (addr & ifc->mask) == (ifc->addr & ifc->mask) && addr != ifc->addr;
}

/*
 * Resolve *iface for neighbour addr: if unset, the first interface whose
 * subnet holds addr; if set, addr must be on that interface's subnet.
 */
static int neighbour_iface(const struct mg_net_conf *nc, rte_be32_t addr, uint8_t *iface)
{
	if (*iface != MG_IFACE_UNSET)
		return *iface < nc->n_ifaces && on_link(nc, *iface, addr) ? 0 : -EINVAL;
	for (unsigned i = 0; i < nc->n_ifaces; i++) {
		if (on_link(nc, i, addr)) {
			*iface = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* True if addr is a usable host address: not 0, 127/8, multicast, 240/4, ours. */
static bool host_addr_ok(const struct mg_net_conf *nc, rte_be32_t addr)
{
	uint32_t a = rte_be_to_cpu_32(addr);

	return a != 0 && (a >> 24) != 127 && (a >> 28) < 0xe && mg_net_local_iface(nc, addr) < 0;
}

static int conf_ifaces(struct mg_net_conf *nc)
{
	char ip[INET_ADDRSTRLEN];

	if (nc->n_ifaces == 0 || nc->n_ifaces > MG_MAX_IFACES) {
		MG_LOG(ERR, "%u interfaces (1..%u supported)", nc->n_ifaces, MG_MAX_IFACES);
		return -EINVAL;
	}
	for (unsigned i = 0; i < nc->n_ifaces; i++) {
		struct mg_iface *ifc = &nc->ifaces[i];
		uint32_t a = rte_be_to_cpu_32(ifc->addr);

		if (ifc->prefix_len == 0 || ifc->prefix_len > 32 || a == 0 || (a >> 24) == 127 ||
		    (a >> 28) >= 0xe) {
			MG_LOG(ERR, "interface %s: bad address %s/%u", ifc->name,
			       ip_str(ifc->addr, ip), ifc->prefix_len);
			return -EINVAL;
		}
		ifc->mask = prefix_mask(ifc->prefix_len);
		if (mg_net_local_iface(nc, ifc->addr) != (int)i) {
			MG_LOG(ERR, "interface %s: address %s is used by another interface",
			       ifc->name, ip_str(ifc->addr, ip));
			return -EINVAL;
		}
	}
	return 0;
}

/* Check static route r; fill in its mask and, if unset, its interface. */
static int conf_route(const struct mg_net_conf *nc, struct mg_route *r)
{
	char ip[INET_ADDRSTRLEN], via[INET_ADDRSTRLEN];

	if (r->len > 32) {
		MG_LOG(ERR, "route %s/%u: bad prefix length", ip_str(r->prefix, ip), r->len);
		return -EINVAL;
	}
	r->mask = prefix_mask(r->len);
	if ((r->prefix & ~r->mask) != 0) {
		MG_LOG(ERR, "route %s/%u: address has bits set beyond the prefix",
		       ip_str(r->prefix, ip), r->len);
		return -EINVAL;
	}
	if (r->via == 0) {
		/* An on-link route: it must name its interface. */
		if (r->iface >= nc->n_ifaces) {
			MG_LOG(ERR, "route %s/%u: no next hop and no valid interface",
			       ip_str(r->prefix, ip), r->len);
			return -EINVAL;
		}
		return 0;
	}
	if (!host_addr_ok(nc, r->via)) {
		MG_LOG(ERR, "route %s/%u: next hop %s is zero, loopback, multicast or ours",
		       ip_str(r->prefix, ip), r->len, ip_str(r->via, via));
		return -EINVAL;
	}
	if (neighbour_iface(nc, r->via, &r->iface) < 0) {
		MG_LOG(ERR, "route %s/%u: next hop %s is not on %s", ip_str(r->prefix, ip), r->len,
		       ip_str(r->via, via),
		       r->iface == MG_IFACE_UNSET ? "any interface's subnet"
		                                  : "its interface's subnet");
		return -EINVAL;
	}
	return 0;
}

static int conf_statics(struct mg_net_conf *nc)
{
	char ip[INET_ADDRSTRLEN];

	if (nc->n_static > MG_MAX_STATIC_NEIGH)
		return -ENOSPC;
	for (unsigned i = 0; i < nc->n_static; i++) {
		struct mg_static_neigh *s = &nc->statics[i];

		if (!host_addr_ok(nc, s->addr) || !rte_is_valid_assigned_ether_addr(&s->mac)) {
			MG_LOG(ERR, "static neighbour %s: address or MAC is not a unicast host's",
			       ip_str(s->addr, ip));
			return -EINVAL;
		}
		if (neighbour_iface(nc, s->addr, &s->iface) < 0) {
			MG_LOG(ERR, "static neighbour %s: not on %s", ip_str(s->addr, ip),
			       s->iface == MG_IFACE_UNSET ? "any interface's subnet"
			                                  : "its interface's subnet");
			return -EINVAL;
		}
		for (unsigned k = 0; k < i; k++) {
			if (nc->statics[k].addr == s->addr) {
				MG_LOG(ERR, "static neighbour %s: listed twice",
				       ip_str(s->addr, ip));
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Stable insertion sort, longest prefix first: equal prefixes keep their order. */
static void sort_routes(struct mg_route *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct mg_route tmp = r[i];
		unsigned j = i;

		for (; j > 0 && r[j - 1].len < tmp.len; j--)
			r[j] = r[j - 1];
		r[j] = tmp;
	}
}

int mg_net_conf_finish(struct mg_net_conf *nc)
{
	int rc = conf_ifaces(nc);

	if (rc < 0)
		return rc;
	if (nc->n_routes > MG_MAX_ROUTES)
		return -ENOSPC;
	for (unsigned i = 0; i < nc->n_routes; i++) {
		rc = conf_route(nc, &nc->routes[i]);
		if (rc < 0)
			return rc;
	}
	rc = conf_statics(nc);
	if (rc < 0)
		return rc;
	/* Connected routes after the static ones: a static route for the same
	 * prefix keeps precedence (the sort is stable). */
	for (unsigned i = 0; i < nc->n_ifaces; i++) {
		struct mg_route *r = &nc->routes[nc->n_routes++];

		memset(r, 0, sizeof(*r));
		r->mask = nc->ifaces[i].mask;
		r->prefix = nc->ifaces[i].addr & r->mask;
		r->len = nc->ifaces[i].prefix_len;
		r->iface = (uint8_t)i;
	}
	sort_routes(nc->routes, nc->n_routes);
	if (nc->arp_reachable_ms == 0)
		nc->arp_reachable_ms = MG_ARP_REACHABLE_MS_DEFAULT;
	if (nc->arp_retrans_ms == 0)
		nc->arp_retrans_ms = MG_ARP_RETRANS_MS_DEFAULT;
	if (nc->arp_max_probes == 0)
		nc->arp_max_probes = MG_ARP_MAX_PROBES_DEFAULT;
	if (nc->arp_max_probes > UINT8_MAX) {
		MG_LOG(ERR, "arp_max_probes %u is above %u", nc->arp_max_probes, UINT8_MAX);
		return -EINVAL;
	}
	return 0;
}

const struct mg_route *mg_route_lookup(const struct mg_net_conf *nc, rte_be32_t dst, rte_be32_t *nh)
{
	for (unsigned i = 0; i < nc->n_routes; i++) {
		const struct mg_route *r = &nc->routes[i];

		if ((dst & r->mask) == r->prefix) {
			*nh = r->via != 0 ? r->via : dst;
			return r;
		}
	}
	return NULL;
}
