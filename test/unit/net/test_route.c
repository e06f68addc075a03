/*
 * test_route.c — mg_net_conf_finish (what it fills in, what it rejects) and
 * longest-prefix match.
 */
#include <errno.h>
#include <string.h>

#include "test_net.h"

static struct mg_net_conf nc;

START_TEST(test_conf_finish_fills_in)
{
	net_conf_fill(&nc);
	ck_assert_int_eq(mg_net_conf_finish(&nc), 0);
	ck_assert_uint_eq(nc.n_routes, 3);
	/* Connected routes added, longest prefix first. */
	ck_assert_uint_eq(nc.routes[0].prefix, IP4(198, 18, 0, 0));
	ck_assert_uint_eq(nc.routes[0].mask, IP4(255, 255, 255, 0));
	ck_assert_uint_eq(nc.routes[0].len, 24);
	ck_assert_uint_eq(nc.routes[0].iface, 0);
	ck_assert_uint_eq(nc.routes[0].via, 0);
	ck_assert_uint_eq(nc.routes[1].prefix, IP4(198, 19, 0, 0));
	ck_assert_uint_eq(nc.routes[1].iface, 1);
	ck_assert_uint_eq(nc.routes[2].prefix, FAR_NET);
	ck_assert_uint_eq(nc.routes[2].mask, IP4(255, 255, 240, 0));
	/* "iface: any" resolved to the port whose subnet holds the next hop. */
	ck_assert_uint_eq(nc.routes[2].iface, 1);
	ck_assert_uint_eq(nc.routes[2].via, VIA_IP);
	ck_assert_uint_eq(nc.statics[0].iface, 0);
	ck_assert_uint_eq(nc.ifaces[0].mask, IP4(255, 255, 255, 0));
	ck_assert_uint_eq(nc.arp_reachable_ms, REACHABLE_MS);
	ck_assert_uint_eq(nc.arp_retrans_ms, RETRANS_MS);
	ck_assert_uint_eq(nc.arp_max_probes, MAX_PROBES);
	/* Zero timers get defaults. */
	net_conf_fill(&nc);
	nc.arp_reachable_ms = nc.arp_retrans_ms = nc.arp_max_probes = 0;
	ck_assert_int_eq(mg_net_conf_finish(&nc), 0);
	ck_assert_uint_gt(nc.arp_reachable_ms, 0);
	ck_assert_uint_gt(nc.arp_retrans_ms, 0);
	ck_assert_uint_lt(nc.arp_retrans_ms, nc.arp_reachable_ms);
	ck_assert_uint_gt(nc.arp_max_probes, 0);
}
END_TEST

struct lpm_case {
	rte_be32_t dst;
	int len; /* -1: no route */
	uint8_t iface;
	rte_be32_t nh; /* 0: dst itself */
};

static const struct lpm_case lpm_cases[] = {
    {IP4(198, 19, 200, 7), 32, 0, IP4(198, 18, 0, 253)},
    {IP4(198, 19, 200, 8), 24, 1, IP4(198, 19, 0, 253)},
    {IP4(198, 19, 200, 255), 24, 1, IP4(198, 19, 0, 253)},
    {IP4(198, 19, 130, 1), 17, 1, VIA_IP},
    {IP4(198, 19, 255, 255), 17, 1, VIA_IP},
    {IP4(198, 19, 0, 9), 24, 1, 0},
    {IP4(198, 18, 0, 9), 24, 0, 0},
    {IP4(198, 18, 130, 1), 20, 0, 0},
    {IP4(198, 18, 144, 1), 0, 0, IP4(198, 18, 0, 254)},
    {IP4(198, 19, 127, 255), 0, 0, IP4(198, 18, 0, 254)},
    {IP4(10, 0, 0, 1), 0, 0, IP4(198, 18, 0, 254)},
};

static void lpm_conf(bool with_default)
{
	net_conf_fill(&nc);
	nc.n_routes = 0;
	if (with_default)
		nc.routes[nc.n_routes++] = (struct mg_route){
		    .prefix = 0, .len = 0, .via = IP4(198, 18, 0, 254), .iface = 0xff};
	nc.routes[nc.n_routes++] = (struct mg_route){
	    .prefix = IP4(198, 19, 128, 0), .len = 17, .via = VIA_IP, .iface = 0xff};
	nc.routes[nc.n_routes++] = (struct mg_route){
	    .prefix = IP4(198, 19, 200, 0), .len = 24, .via = IP4(198, 19, 0, 253), .iface = 1};
	nc.routes[nc.n_routes++] = (struct mg_route){
	    .prefix = IP4(198, 19, 200, 7), .len = 32, .via = IP4(198, 18, 0, 253), .iface = 0xff};
	/* On-link route: no next hop, an interface. */
	nc.routes[nc.n_routes++] =
	    (struct mg_route){.prefix = IP4(198, 18, 128, 0), .len = 20, .iface = 0};
	ck_assert_int_eq(mg_net_conf_finish(&nc), 0);
	for (unsigned i = 1; i < nc.n_routes; i++)
		ck_assert_uint_ge(nc.routes[i - 1].len, nc.routes[i].len);
}

START_TEST(test_route_lookup)
{
	const struct lpm_case *c = &lpm_cases[_i];
	const struct mg_route *r;
	rte_be32_t nh = 1;

	lpm_conf(true);
	r = mg_route_lookup(&nc, c->dst, &nh);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->len, c->len);
	ck_assert_uint_eq(r->iface, c->iface);
	ck_assert_uint_eq(nh, c->nh ? c->nh : c->dst);
	/* Without the default route, only the specific ones match. */
	lpm_conf(false);
	nh = 1;
	r = mg_route_lookup(&nc, c->dst, &nh);
	if (c->len == 0) {
		ck_assert_ptr_null(r);
		ck_assert_uint_eq(nh, 1);
	} else {
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->len, c->len);
	}
}
END_TEST

/* Each breaks the default topology in one way. */
static void e_no_ifaces(struct mg_net_conf *c)
{
	c->n_ifaces = 0;
}
static void e_too_many_ifaces(struct mg_net_conf *c)
{
	c->n_ifaces = MG_MAX_IFACES + 1;
}
static void e_prefix0(struct mg_net_conf *c)
{
	c->ifaces[1].prefix_len = 0;
}
static void e_prefix33(struct mg_net_conf *c)
{
	c->ifaces[0].prefix_len = 33;
}
static void e_addr0(struct mg_net_conf *c)
{
	c->ifaces[0].addr = 0;
}
static void e_addr_mcast(struct mg_net_conf *c)
{
	c->ifaces[1].addr = IP4(224, 0, 0, 1);
}
static void e_dup_addr(struct mg_net_conf *c)
{
	c->ifaces[1].addr = OUR_IP0;
}
static void e_route_len33(struct mg_net_conf *c)
{
	c->routes[0].len = 33;
}
static void e_route_host_bits(struct mg_net_conf *c)
{
	c->routes[0].prefix = IP4(198, 19, 128, 1);
}
static void e_via_off_subnet(struct mg_net_conf *c)
{
	c->routes[0].via = IP4(198, 18, 1, 1);
}
static void e_via_is_us(struct mg_net_conf *c)
{
	c->routes[0].via = OUR_IP1;
}
static void e_via_wrong_iface(struct mg_net_conf *c)
{
	c->routes[0].iface = 0;
}
static void e_via_bad_iface(struct mg_net_conf *c)
{
	c->routes[0].iface = 5;
}
static void e_onlink_no_iface(struct mg_net_conf *c)
{
	c->routes[0].via = 0;
}
static void e_onlink_bad_iface(struct mg_net_conf *c)
{
	c->routes[0].via = 0;
	c->routes[0].iface = 2;
}
static void e_too_many_routes(struct mg_net_conf *c)
{
	for (unsigned i = 1; i <= MG_MAX_ROUTES; i++)
		c->routes[i] = c->routes[0];
	c->n_routes = MG_MAX_ROUTES + 1;
}
static void e_static_off_subnet(struct mg_net_conf *c)
{
	c->statics[0].addr = IP4(198, 18, 9, 9);
}
static void e_static_mcast_mac(struct mg_net_conf *c)
{
	c->statics[0].mac.addr_bytes[0] = 0x01;
}
static void e_static_zero_mac(struct mg_net_conf *c)
{
	memset(&c->statics[0].mac, 0, sizeof(c->statics[0].mac));
}
static void e_static_dup(struct mg_net_conf *c)
{
	c->statics[1] = c->statics[0];
	c->n_static = 2;
}
static void e_static_is_us(struct mg_net_conf *c)
{
	c->statics[0].addr = OUR_IP0;
}
static void e_static_wrong_iface(struct mg_net_conf *c)
{
	c->statics[0].iface = 1;
}
static void e_too_many_statics(struct mg_net_conf *c)
{
	c->n_static = MG_MAX_STATIC_NEIGH + 1;
}
static void e_probes_300(struct mg_net_conf *c)
{
	c->arp_max_probes = 300;
}

struct err_case {
	const char *name;
	void (*mut)(struct mg_net_conf *c);
	int rc;
};

static const struct err_case err_cases[] = {
    {"no interfaces", e_no_ifaces, -EINVAL},
    {"too many interfaces", e_too_many_ifaces, -EINVAL},
    {"prefix length 0", e_prefix0, -EINVAL},
    {"prefix length 33", e_prefix33, -EINVAL},
    {"address 0.0.0.0", e_addr0, -EINVAL},
    {"multicast address", e_addr_mcast, -EINVAL},
    {"two ports, one address", e_dup_addr, -EINVAL},
    {"route /33", e_route_len33, -EINVAL},
    {"route with host bits", e_route_host_bits, -EINVAL},
    {"next hop on no subnet", e_via_off_subnet, -EINVAL},
    {"next hop is our address", e_via_is_us, -EINVAL},
    {"next hop not on the named port", e_via_wrong_iface, -EINVAL},
    {"next hop on a port that does not exist", e_via_bad_iface, -EINVAL},
    {"on-link route without a port", e_onlink_no_iface, -EINVAL},
    {"on-link route on a port that does not exist", e_onlink_bad_iface, -EINVAL},
    {"65 routes", e_too_many_routes, -ENOSPC},
    {"static neighbour on no subnet", e_static_off_subnet, -EINVAL},
    {"static neighbour with a multicast MAC", e_static_mcast_mac, -EINVAL},
    {"static neighbour with a zero MAC", e_static_zero_mac, -EINVAL},
    {"static neighbour twice", e_static_dup, -EINVAL},
    {"static neighbour is us", e_static_is_us, -EINVAL},
    {"static neighbour on the wrong port", e_static_wrong_iface, -EINVAL},
    {"65 static neighbours", e_too_many_statics, -ENOSPC},
    {"arp_max_probes 300", e_probes_300, -EINVAL},
};

START_TEST(test_conf_finish_errors)
{
	const struct err_case *c = &err_cases[_i];

	net_conf_fill(&nc);
	c->mut(&nc);
	ck_assert_msg(mg_net_conf_finish(&nc) == c->rc, "%s: expected %d", c->name, c->rc);
}
END_TEST

/* The limits themselves are accepted. */
START_TEST(test_conf_finish_limits)
{
	net_conf_fill(&nc);
	for (unsigned i = 1; i < MG_MAX_ROUTES; i++)
		nc.routes[i] = nc.routes[0];
	nc.n_routes = MG_MAX_ROUTES;
	ck_assert_int_eq(mg_net_conf_finish(&nc), 0);
	ck_assert_uint_eq(nc.n_routes, MG_MAX_ROUTES + 2);
	/* An on-link static route; a /31 and a /32 port. */
	net_conf_fill(&nc);
	nc.ifaces[0].prefix_len = 31;
	nc.ifaces[0].addr = IP4(198, 18, 0, 0);
	nc.ifaces[1].prefix_len = 32;
	nc.routes[0] = (struct mg_route){.prefix = IP4(198, 19, 16, 0), .len = 20, .iface = 1};
	nc.statics[0].addr = IP4(198, 18, 0, 1);
	ck_assert_int_eq(mg_net_conf_finish(&nc), 0);
	ck_assert_uint_eq(nc.statics[0].iface, 0);
	ck_assert_uint_eq(nc.routes[0].len, 32);
	ck_assert_uint_eq(nc.routes[1].len, 31);
}
END_TEST

TCase *tcase_route(void)
{
	TCase *tc = tcase_create("route");

	tcase_add_loop_test(tc, test_route_lookup, 0, (int)RTE_DIM(lpm_cases));
	tcase_add_loop_test(tc, test_conf_finish_errors, 0, (int)RTE_DIM(err_cases));
	tcase_add_test(tc, test_conf_finish_fills_in);
	tcase_add_test(tc, test_conf_finish_limits);
	return tc;
}
