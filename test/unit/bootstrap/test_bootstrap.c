/*
 * test_bootstrap.c — the bootstrap YAML parser: a full config to the last
 * field, defaults, derived interfaces, and one table row per error with its
 * exact "gw.yaml:LINE:COL:" position.  The last tests read the shipped
 * example (MG_EXAMPLE_YAML) and docs/CONFIG.md (MG_CONFIG_MD), paths given
 * by meson, so the documentation cannot drift from the parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "meshgate/bootstrap.h"
#include "xds/xds.h"

#define HCM_DESC \
	envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor
#define TCPP_DESC envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor

#define NAME "gw.yaml"

/* The smallest valid file, and a second interface to append to it. */
#define IF0                       \
	"interfaces:\n"           \
	"  - name: client\n"      \
	"    device: net_null0\n" \
	"    address: 198.18.0.1/24\n"
#define IF1                       \
	"  - name: upstream\n"    \
	"    device: net_null1\n" \
	"    address: 198.18.1.1/24\n"

static int parse(const char *text, struct mg_bootstrap *b, char *err, size_t errlen)
{
	return mg_bootstrap_parse(NAME, text, strlen(text), b, err, errlen);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Every field set away from its default, so a value that is ignored shows. */
static const char full_yaml[] =
    "eal:\n"
    "  args: [\"-l\", \"0-2\", \"--no-huge\"]\n"
    "workers: 2\n"
    "idle: busy\n"
    "mbufs_per_worker: 16383\n"
    "rx_desc: 512\n"
    "tx_desc: 2048\n"
    "admin:\n"
    "  address: 127.0.0.2\n"
    "  port: 15001\n"
    "routes:                      # before interfaces: references resolve anyway\n"
    "  - prefix: 198.18.2.0/24\n"
    "    via: 198.18.1.131\n"
    "    interface: upstream\n"
    "  - prefix: 0.0.0.0/0\n"
    "    via: 198.18.0.254\n"
    "interfaces:\n"
    "  - name: client\n"
    "    device: 0000:00:08.0\n"
    "    address: 198.18.0.1/24\n"
    "    mtu: 9000\n"
    "  - name: up-stream_2\n"
    "    device: net_af_packet1,iface=mgu0\n"
    "    address: 198.18.1.1/30\n"
    "  - name: upstream\n"
    "    device: net_af_packet2,iface=mgu1\n"
    "    address: 198.18.1.129/25\n"
    "    mtu: 68\n"
    "neighbors:\n"
    "  - address: 198.18.1.130\n"
    "    mac: \"02:AA:bb:cc:DD:0e\"\n"
    "    interface: upstream\n"
    "  - address: 198.18.0.9\n"
    "    mac: 02:00:00:00:00:09\n"
    "arp:\n"
    "  reachable_time: 1.5m\n"
    "  retrans_time: 250ms\n"
    "  max_probes: 10\n";

START_TEST(test_full)
{
	static const uint8_t mac0[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e};
	static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x09};
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(parse(full_yaml, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(b.path, NAME);
	ck_assert_int_eq(b.eal_argc, 3);
	ck_assert_str_eq(b.eal_argv[0], "-l");
	ck_assert_str_eq(b.eal_argv[1], "0-2");
	ck_assert_str_eq(b.eal_argv[2], "--no-huge");
	ck_assert_ptr_null(b.eal_argv[3]);
	ck_assert_uint_eq(b.n_workers, 2);
	ck_assert_int_eq(b.idle, MG_IDLE_BUSY);
	ck_assert_uint_eq(b.mbufs_per_worker, 16383);
	ck_assert_uint_eq(b.rx_desc, 512);
	ck_assert_uint_eq(b.tx_desc, 2048);
	ck_assert_str_eq(b.admin_addr, "127.0.0.2");
	ck_assert_uint_eq(b.admin_port, 15001);

	ck_assert_uint_eq(b.n_ifaces, 3);
	ck_assert_str_eq(b.ifaces[0].name, "client");
	ck_assert_str_eq(b.ifaces[0].device, "0000:00:08.0");
	ck_assert_uint_eq(b.ifaces[0].addr, ip("198.18.0.1"));
	/* network byte order: the first octet is the first byte in memory */
	ck_assert_uint_eq(((const uint8_t *)&b.ifaces[0].addr)[0], 198);
	ck_assert_uint_eq(((const uint8_t *)&b.ifaces[0].addr)[3], 1);
	ck_assert_uint_eq(b.ifaces[0].prefix_len, 24);
	ck_assert_uint_eq(b.ifaces[0].mtu, 9000);
	ck_assert_str_eq(b.ifaces[1].name, "up-stream_2");
	ck_assert_str_eq(b.ifaces[1].device, "net_af_packet1,iface=mgu0");
	ck_assert_uint_eq(b.ifaces[1].addr, ip("198.18.1.1"));
	ck_assert_uint_eq(b.ifaces[1].prefix_len, 30);
	ck_assert_uint_eq(b.ifaces[1].mtu, 1500);
	ck_assert_str_eq(b.ifaces[2].name, "upstream");
	ck_assert_uint_eq(b.ifaces[2].addr, ip("198.18.1.129"));
	ck_assert_uint_eq(b.ifaces[2].prefix_len, 25);
	ck_assert_uint_eq(b.ifaces[2].mtu, 68);

	ck_assert_uint_eq(b.n_routes, 2);
	ck_assert_uint_eq(b.routes[0].prefix, ip("198.18.2.0"));
	ck_assert_uint_eq(b.routes[0].len, 24);
	ck_assert_uint_eq(b.routes[0].via, ip("198.18.1.131"));
	ck_assert_uint_eq(b.routes[0].iface, 2);
	ck_assert_uint_eq(b.routes[1].prefix, 0);
	ck_assert_uint_eq(b.routes[1].len, 0);
	ck_assert_uint_eq(b.routes[1].via, ip("198.18.0.254"));
	ck_assert_uint_eq(b.routes[1].iface, 0); /* derived from the subnet */

	ck_assert_uint_eq(b.n_neigh, 2);
	ck_assert_uint_eq(b.neigh[0].addr, ip("198.18.1.130"));
	ck_assert_mem_eq(b.neigh[0].mac.addr_bytes, mac0, 6);
	ck_assert_uint_eq(b.neigh[0].iface, 2);
	ck_assert_uint_eq(b.neigh[1].addr, ip("198.18.0.9"));
	ck_assert_mem_eq(b.neigh[1].mac.addr_bytes, mac1, 6);
	ck_assert_uint_eq(b.neigh[1].iface, 0);

	ck_assert_uint_eq(b.arp_reachable_ms, 90000);
	ck_assert_uint_eq(b.arp_retrans_ms, 250);
	ck_assert_uint_eq(b.arp_max_probes, 10);
	mg_bootstrap_free(&b);
	ck_assert_int_eq(b.eal_argc, 0);
	ck_assert_ptr_null(b.eal_argv[0]);
	mg_bootstrap_free(&b); /* twice is harmless */
}
END_TEST

START_TEST(test_defaults)
{
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(parse(IF0, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(b.path, NAME);
	ck_assert_int_eq(b.eal_argc, 0);
	ck_assert_uint_eq(b.n_workers, 1);
	ck_assert_int_eq(b.idle, MG_IDLE_ADAPTIVE);
	ck_assert_uint_eq(b.mbufs_per_worker, 8191);
	ck_assert_uint_eq(b.rx_desc, 1024);
	ck_assert_uint_eq(b.tx_desc, 1024);
	ck_assert_str_eq(b.admin_addr, "127.0.0.1");
	ck_assert_uint_eq(b.admin_port, 15000);
	ck_assert_uint_eq(b.n_ifaces, 1);
	ck_assert_str_eq(b.ifaces[0].name, "client");
	ck_assert_str_eq(b.ifaces[0].device, "net_null0");
	ck_assert_uint_eq(b.ifaces[0].mtu, 1500);
	ck_assert_uint_eq(b.n_routes, 0);
	ck_assert_uint_eq(b.n_neigh, 0);
	ck_assert_uint_eq(b.arp_reachable_ms, 60000);
	ck_assert_uint_eq(b.arp_retrans_ms, 1000);
	ck_assert_uint_eq(b.arp_max_probes, 3);
	ck_assert(!b.ifaces[0].impair.enabled);
	ck_assert_uint_eq(b.tcp.echo_port, 0);
	ck_assert_uint_eq(b.tcp.discard_port, 0);
	ck_assert_uint_eq(b.tcp.source_port, 0);
	ck_assert_uint_eq(b.tcp.max_conns, 65536);
	ck_assert_uint_eq(b.tcp.syn_backlog, 1024);
	ck_assert(b.tcp.syn_cookies);
	ck_assert_uint_eq(b.tcp.sndbuf, 262144);
	ck_assert_uint_eq(b.tcp.rcvbuf, 262144);
	ck_assert_str_eq(b.tcp.cc, "newreno");
	mg_bootstrap_free(&b);
}
END_TEST

/* A whole impair block and a whole tcp block, every field read. */
START_TEST(test_impair_tcp_full)
{
	static const char yaml[] =
	    IF0 "    impair:\n"
	        "      seed: 42\n"
	        "      rx: {loss: 5%, duplicate: 1%, reorder: 25%, corrupt: 0.1%,"
	        " delay: 20ms, jitter: 500us}\n"
	        "      tx: {loss: 0.5%, delay: 1s}\n" IF1 "tcp:\n"
	        "  services: {echo: 7, discard: 9, source: 19}\n"
	        "  max_connections: 1000\n"
	        "  syn_backlog: 128\n"
	        "  send_buffer: 4MiB\n"
	        "  receive_buffer: 131072\n"
	        "  congestion_control: newreno\n"
	        "  syn_cookies: false\n"
	        "  keepalive: { idle: 2s, interval: 500ms, probes: 3 }\n"
	        "  user_timeout: 10s\n";
	const struct mg_cfg_impair *im;
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(parse(yaml, &b, err, sizeof(err)) == 0, "%s", err);
	im = &b.ifaces[0].impair;
	ck_assert(im->enabled);
	ck_assert_uint_eq(im->seed, 42);
	ck_assert_uint_eq(im->rx.loss_ppm, 50000);
	ck_assert_uint_eq(im->rx.dup_ppm, 10000);
	ck_assert_uint_eq(im->rx.reorder_ppm, 250000);
	ck_assert_uint_eq(im->rx.corrupt_ppm, 1000);
	ck_assert_uint_eq(im->rx.delay_us, 20000);
	ck_assert_uint_eq(im->rx.jitter_us, 500);
	ck_assert_uint_eq(im->tx.loss_ppm, 5000);
	ck_assert_uint_eq(im->tx.dup_ppm, 0);
	ck_assert_uint_eq(im->tx.delay_us, 1000000);
	ck_assert(!b.ifaces[1].impair.enabled); /* the other interface is not impaired */
	ck_assert_uint_eq(b.tcp.echo_port, 7);
	ck_assert_uint_eq(b.tcp.discard_port, 9);
	ck_assert_uint_eq(b.tcp.source_port, 19);
	ck_assert_uint_eq(b.tcp.max_conns, 1000);
	ck_assert_uint_eq(b.tcp.syn_backlog, 128);
	ck_assert(!b.tcp.syn_cookies);
	ck_assert_uint_eq(b.tcp.ka_idle_ms, 2000);
	ck_assert_uint_eq(b.tcp.ka_intvl_ms, 500);
	ck_assert_uint_eq(b.tcp.ka_probes, 3);
	ck_assert_uint_eq(b.tcp.user_timeout_ms, 10000);
	ck_assert_uint_eq(b.tcp.sndbuf, 4194304);
	ck_assert_uint_eq(b.tcp.rcvbuf, 131072);
	ck_assert_str_eq(b.tcp.cc, "newreno");
	mg_bootstrap_free(&b);
}
END_TEST

/* Valid odd corners: each must parse, and one field shows it was read. */
static const struct ok_case {
	const char *yaml;
	size_t off;     /* offsetof the uint32_t/uint16_t/uint8_t checked */
	unsigned width; /* its size */
	uint64_t want;
} ok_cases[] = {
#define IMP(member) offsetof(struct mg_bootstrap, ifaces[0].impair.member)
#define TCP(member) offsetof(struct mg_bootstrap, tcp.member)
    /* interfaces[].impair: percentages in ppm, durations in µs */
    {IF0 "    impair: {rx: {loss: 1%}}\n", IMP(rx.loss_ppm), 4, 10000},
    {IF0 "    impair: {rx: {loss: 0.5%}}\n", IMP(rx.loss_ppm), 4, 5000},
    {IF0 "    impair: {rx: {loss: 0.1%}}\n", IMP(rx.loss_ppm), 4, 1000},
    {IF0 "    impair: {rx: {loss: 0.0001%}}\n", IMP(rx.loss_ppm), 4, 1},
    {IF0 "    impair: {rx: {loss: 100%}}\n", IMP(rx.loss_ppm), 4, 1000000},
    {IF0 "    impair: {rx: {loss: 100.0%}}\n", IMP(rx.loss_ppm), 4, 1000000},
    {IF0 "    impair: {rx: {loss: 0%}}\n", IMP(rx.loss_ppm), 4, 0},
    {IF0 "    impair: {rx: {loss: \"20%\"}}\n", IMP(rx.loss_ppm), 4, 200000},
    {IF0 "    impair: {rx: {duplicate: 1%}}\n", IMP(rx.dup_ppm), 4, 10000},
    {IF0 "    impair: {rx: {reorder: 25%}}\n", IMP(rx.reorder_ppm), 4, 250000},
    {IF0 "    impair: {rx: {corrupt: 0.1%}}\n", IMP(rx.corrupt_ppm), 4, 1000},
    {IF0 "    impair: {tx: {loss: 5%}}\n", IMP(tx.loss_ppm), 4, 50000},
    {IF0 "    impair: {tx: {duplicate: 2.5%}}\n", IMP(tx.dup_ppm), 4, 25000},
    {IF0 "    impair: {tx: {reorder: 50%}}\n", IMP(tx.reorder_ppm), 4, 500000},
    {IF0 "    impair: {tx: {corrupt: 3%}}\n", IMP(tx.corrupt_ppm), 4, 30000},
    {IF0 "    impair: {rx: {delay: 20ms}}\n", IMP(rx.delay_us), 4, 20000},
    {IF0 "    impair: {rx: {delay: 1s}}\n", IMP(rx.delay_us), 4, 1000000},
    {IF0 "    impair: {rx: {delay: 500us}}\n", IMP(rx.delay_us), 4, 500},
    {IF0 "    impair: {rx: {delay: 1.5ms}}\n", IMP(rx.delay_us), 4, 1500},
    {IF0 "    impair: {rx: {delay: 10s}}\n", IMP(rx.delay_us), 4, 10000000},
    {IF0 "    impair: {rx: {delay: 0us}}\n", IMP(rx.delay_us), 4, 0},
    {IF0 "    impair: {tx: {delay: 20ms, jitter: 5ms}}\n", IMP(tx.jitter_us), 4, 5000},
    {IF0 "    impair: {tx: {jitter: 250us}}\n", IMP(tx.jitter_us), 4, 250},
    {IF0 "    impair: {seed: 42}\n", IMP(seed), 8, 42},
    {IF0 "    impair: {seed: 18446744073709551615}\n", IMP(seed), 8, UINT64_MAX},
    {IF0 "    impair: {seed: 0}\n", IMP(seed), 8, 0},
    {IF0 "    impair: {}\n", IMP(seed), 8, 1},
    {IF0 "    impair: {}\n", IMP(enabled), 1, 1},
    {IF0 "    impair:\n      rx: {loss: 20%}\n", IMP(enabled), 1, 1},
    {IF0, IMP(enabled), 1, 0},
    {IF0 "    impair: {rx: {loss: 20%}}\n", IMP(tx.loss_ppm), 4, 0},
    /* tcp */
    {IF0 "tcp: {services: {echo: 7}}\n", TCP(echo_port), 2, 7},
    {IF0 "tcp: {services: {echo: 7}}\n", TCP(discard_port), 2, 0},
    {IF0 "tcp: {services: {discard: 9}}\n", TCP(discard_port), 2, 9},
    {IF0 "tcp: {services: {source: 19}}\n", TCP(source_port), 2, 19},
    {IF0 "tcp: {services: {source: 65535}}\n", TCP(source_port), 2, 65535},
    {IF0 "tcp: {services: {echo: 1, discard: 2, source: 3}}\n", TCP(source_port), 2, 3},
    {IF0 "tcp: {services: {}}\n", TCP(echo_port), 2, 0},
    {IF0 "tcp: {services: {forward: {port: 8080, to: \"198.18.2.1:80\"}}}\n", TCP(fwd_port), 2,
     8080},
    {IF0 "tcp: {services: {forward: {port: 8080, to: 198.18.2.1:80}}}\n", TCP(fwd_dport), 2, 80},
    {IF0 "tcp: {services: {forward: {to: '198.18.2.1:65535', port: 1}}}\n", TCP(fwd_dport), 2,
     65535},
    {IF0 "tcp: {services: {echo: 7, forward: {port: 8, to: \"198.18.2.1:7\"}}}\n", TCP(echo_port),
     2, 7},
    {IF0 "tcp: {services: {echo: 7}}\n", TCP(fwd_port), 2, 0},
    {IF0 "tcp: {max_connections: 1}\n", TCP(max_conns), 4, 1},
    {IF0 "tcp: {max_connections: 1048576}\n", TCP(max_conns), 4, 1048576},
    {IF0 "tcp: {syn_backlog: 1}\n", TCP(syn_backlog), 4, 1},
    {IF0 "tcp: {syn_backlog: 65535}\n", TCP(syn_backlog), 4, 65535},
    {IF0 "tcp: {send_buffer: 4096}\n", TCP(sndbuf), 4, 4096},
    {IF0 "tcp: {send_buffer: 256KiB}\n", TCP(sndbuf), 4, 262144},
    {IF0 "tcp: {send_buffer: 4MiB}\n", TCP(sndbuf), 4, 4194304},
    {IF0 "tcp: {send_buffer: 64MiB}\n", TCP(sndbuf), 4, 67108864},
    {IF0 "tcp: {receive_buffer: 4KiB}\n", TCP(rcvbuf), 4, 4096},
    {IF0 "tcp: {receive_buffer: 1000000}\n", TCP(rcvbuf), 4, 1000000},
    {IF0 "tcp: {send_buffer: 1MiB}\n", TCP(rcvbuf), 4, 262144},
    {IF0 "tcp: {}\n", TCP(max_conns), 4, 65536},
#undef IMP
#undef TCP
    {IF0 "arp: {reachable_time: 1s}\n", offsetof(struct mg_bootstrap, arp_reachable_ms), 4, 1000},
    {IF0 "arp: {reachable_time: 1h}\n", offsetof(struct mg_bootstrap, arp_reachable_ms), 4,
     3600000},
    {IF0 "arp: {reachable_time: 60m}\n", offsetof(struct mg_bootstrap, arp_reachable_ms), 4,
     3600000},
    {IF0 "arp: {reachable_time: 1.25s}\n", offsetof(struct mg_bootstrap, arp_reachable_ms), 4,
     1250},
    {IF0 "arp: {reachable_time: 0.5m}\n", offsetof(struct mg_bootstrap, arp_reachable_ms), 4,
     30000},
    {IF0 "arp: {reachable_time: 2500ms}\n", offsetof(struct mg_bootstrap, arp_reachable_ms), 4,
     2500},
    {IF0 "arp: {retrans_time: 100ms}\n", offsetof(struct mg_bootstrap, arp_retrans_ms), 4, 100},
    {IF0 "arp: {retrans_time: 60s}\n", offsetof(struct mg_bootstrap, arp_retrans_ms), 4, 60000},
    {IF0 "arp: {max_probes: 1}\n", offsetof(struct mg_bootstrap, arp_max_probes), 4, 1},
    {IF0 "workers: 16\n", offsetof(struct mg_bootstrap, n_workers), 4, 16},
    {IF0 "workers: \"3\"\n", offsetof(struct mg_bootstrap, n_workers), 4, 3},
    {IF0 "idle: 'busy'\n", offsetof(struct mg_bootstrap, idle), 4, MG_IDLE_BUSY},
    {IF0 "mbufs_per_worker: 1023\n", offsetof(struct mg_bootstrap, mbufs_per_worker), 4, 1023},
    {IF0 "mbufs_per_worker: 1048575\n", offsetof(struct mg_bootstrap, mbufs_per_worker), 4,
     1048575},
    {IF0 "rx_desc: 64\n", offsetof(struct mg_bootstrap, rx_desc), 2, 64},
    {IF0 "tx_desc: 4096\n", offsetof(struct mg_bootstrap, tx_desc), 2, 4096},
    {IF0 "admin: {port: 0}\n", offsetof(struct mg_bootstrap, admin_port), 2, 0},
    {IF0 "admin: {port: 65535}\n", offsetof(struct mg_bootstrap, admin_port), 2, 65535},
    {IF0 "eal: {}\n", offsetof(struct mg_bootstrap, eal_argc), 4, 0},
    {IF0 "eal: {args: []}\n", offsetof(struct mg_bootstrap, eal_argc), 4, 0},
    {IF0 "routes: []\nneighbors: []\n", offsetof(struct mg_bootstrap, n_routes), 4, 0},
    /* /31 and /32 have no network or broadcast address */
    {"interfaces: [{name: a, device: d, address: 198.18.0.0/31}]\n",
     offsetof(struct mg_bootstrap, ifaces[0].prefix_len), 1, 31},
    {"interfaces: [{name: a, device: d, address: 198.18.0.255/32}]\n",
     offsetof(struct mg_bootstrap, ifaces[0].prefix_len), 1, 32},
    {"interfaces: [{name: a, device: d, address: 198.18.0.1/1}]\n",
     offsetof(struct mg_bootstrap, ifaces[0].prefix_len), 1, 1},
    {"interfaces: [{name: a, device: d, address: 198.18.0.1/24, mtu: 68}]\n",
     offsetof(struct mg_bootstrap, ifaces[0].mtu), 2, 68},
    /* comments, a document marker, CRLF line ends, a BOM */
    {"# hello\n---\n" IF0 "...\n", offsetof(struct mg_bootstrap, n_ifaces), 4, 1},
    {"interfaces:\r\n  - name: a\r\n    device: d\r\n    address: 198.18.0.1/24\r\n"
     "workers: 4\r\n",
     offsetof(struct mg_bootstrap, n_workers), 4, 4},
    {"\xef\xbb\xbf" IF0 "workers: 5\n", offsetof(struct mg_bootstrap, n_workers), 4, 5},
    /* anchors and aliases are plain YAML and work */
    {"workers: &w 6\n" IF0 "arp: {max_probes: *w}\n", offsetof(struct mg_bootstrap, arp_max_probes),
     4, 6},
    /* a neighbour named by interface on the second interface */
    {IF0 IF1 "neighbors: [{address: 198.18.1.7, mac: '02:00:00:00:00:07'}]\n",
     offsetof(struct mg_bootstrap, neigh[0].iface), 1, 1},
    {IF0 IF1 "routes: [{prefix: 198.18.4.0/22, via: 198.18.1.2}]\n",
     offsetof(struct mg_bootstrap, routes[0].iface), 1, 1},
    {IF0 IF1 "routes: [{prefix: 198.18.4.0/22, via: 198.18.0.2, interface: client}]\n",
     offsetof(struct mg_bootstrap, routes[0].iface), 1, 0},
    {IF0 "routes: [{prefix: 198.18.9.7/32, via: 198.18.0.2}]\n",
     offsetof(struct mg_bootstrap, routes[0].len), 1, 32},
};

START_TEST(test_ok)
{
	const struct ok_case *t = &ok_cases[_i];
	struct mg_bootstrap b;
	char err[512];
	uint64_t got = 0;

	ck_assert_msg(parse(t->yaml, &b, err, sizeof(err)) == 0, "case %d: %s", _i, err);
	if (t->width == 1)
		got = *(const uint8_t *)((const char *)&b + t->off);
	else if (t->width == 2)
		got = *(const uint16_t *)((const char *)&b + t->off);
	else if (t->width == 8)
		got = *(const uint64_t *)((const char *)&b + t->off);
	else
		got = *(const uint32_t *)((const char *)&b + t->off);
	ck_assert_msg(got == t->want, "case %d: got %llu want %llu", _i, (unsigned long long)got,
	              (unsigned long long)t->want);
	mg_bootstrap_free(&b);
}
END_TEST

/* One error per row: the text, and the start of the message we want. */
static const struct err_case {
	const char *yaml;
	const char *want;
} err_cases[] = {
    /* interfaces[].impair */
    {IF0 "    impair: {rx: {loss: 101%}}\n",
     NAME ":5:25: bad percentage \"101%\" in interfaces[0].impair.rx.loss: must be 0% to 100%"},
    {IF0 "    impair: {rx: {loss: 100.0001%}}\n",
     NAME ":5:25: bad percentage \"100.0001%\" in interfaces[0].impair.rx.loss: must be 0% "
          "to 100%"},
    {IF0 "    impair: {rx: {loss: 1000%}}\n", NAME ":5:25: bad percentage \"1000%\""},
    {IF0 "    impair: {rx: {loss: 1}}\n",
     NAME ":5:25: bad percentage \"1\" in interfaces[0].impair.rx.loss: missing % sign"},
    {IF0 "    impair: {rx: {loss: 0.01}}\n", NAME ":5:25: bad percentage \"0.01\""},
    {IF0 "    impair: {rx: {loss: -1%}}\n",
     NAME ":5:25: bad percentage \"-1%\" in interfaces[0].impair.rx.loss: expected a "
          "percentage such as 1%, 0.5% or 25%"},
    {IF0 "    impair: {rx: {loss: 1.%}}\n",
     NAME ":5:25: bad percentage \"1.%\" in interfaces[0].impair.rx.loss: expected digits "
          "after the decimal point"},
    {IF0 "    impair: {rx: {loss: 0.00001%}}\n",
     NAME ":5:25: bad percentage \"0.00001%\" in interfaces[0].impair.rx.loss: at most 4 "
          "decimal places"},
    {IF0 "    impair: {rx: {loss: 1%%}}\n", NAME ":5:25: bad percentage \"1%%\""},
    {IF0 "    impair: {rx: {loss: 1 %}}\n", NAME ":5:25: bad percentage \"1 %\""},
    {IF0 "    impair: {rx: {loss: lots}}\n", NAME ":5:25: bad percentage \"lots\""},
    {IF0 "    impair: {rx: {loss: [1%]}}\n",
     NAME ":5:25: wrong type in interfaces[0].impair.rx.loss: expected a percentage, got a "
          "sequence"},
    {IF0 "    impair: {tx: {duplicate: 200%}}\n",
     NAME ":5:30: bad percentage \"200%\" in interfaces[0].impair.tx.duplicate"},
    {IF0 "    impair: {tx: {reorder: x}}\n",
     NAME ":5:28: bad percentage \"x\" in interfaces[0].impair.tx.reorder"},
    {IF0 "    impair: {tx: {corrupt: 0.1}}\n",
     NAME ":5:28: bad percentage \"0.1\" in interfaces[0].impair.tx.corrupt: missing % sign"},
    {IF0 "    impair: {rx: {delay: 11s}}\n",
     NAME ":5:26: bad duration \"11s\" in interfaces[0].impair.rx.delay: must be "
          "0us..10000000us"},
    {IF0 "    impair: {rx: {delay: 20}}\n",
     NAME ":5:26: bad duration \"20\" in interfaces[0].impair.rx.delay: missing unit (us, ms "
          "or s)"},
    {IF0 "    impair: {rx: {delay: 20m}}\n",
     NAME ":5:26: bad duration \"20m\" in interfaces[0].impair.rx.delay: unknown unit "
          "(expected us, ms or s)"},
    {IF0 "    impair: {rx: {delay: 0.5us}}\n",
     NAME ":5:26: bad duration \"0.5us\" in interfaces[0].impair.rx.delay: must be a whole "
          "number of microseconds"},
    {IF0 "    impair: {rx: {delay: -1ms}}\n",
     NAME ":5:26: bad duration \"-1ms\" in interfaces[0].impair.rx.delay: expected a "
          "duration such as 500us, 20ms or 1s"},
    {IF0 "    impair: {tx: {jitter: 10.000001s}}\n",
     NAME ":5:27: bad duration \"10.000001s\" in interfaces[0].impair.tx.jitter: must be "
          "0us..10000000us"},
    {IF0 "    impair: {tx: {jitter: 99999999999ms}}\n",
     NAME ":5:27: bad duration \"99999999999ms\" in interfaces[0].impair.tx.jitter: number "
          "too large"},
    {IF0 "    impair: {seed: -1}\n",
     NAME ":5:20: bad number \"-1\" in interfaces[0].impair.seed: expected a whole number "
          "without a sign"},
    {IF0 "    impair: {seed: 18446744073709551616}\n",
     NAME ":5:20: bad number \"18446744073709551616\" in interfaces[0].impair.seed: number "
          "too large"},
    {IF0 "    impair: {seed: abc}\n",
     NAME ":5:20: bad number \"abc\" in interfaces[0].impair.seed"},
    {IF0 "    impair: {rx: {los: 1%}}\n",
     NAME ":5:19: unknown key \"los\" in interfaces[0].impair.rx (expected one of: loss, "
          "duplicate, reorder, corrupt, delay, jitter)"},
    {IF0 "    impair: {both: {loss: 1%}}\n",
     NAME ":5:14: unknown key \"both\" in interfaces[0].impair (expected one of: seed, rx, "
          "tx)"},
    {IF0 "    impair: {rx: {loss: 1%, loss: 2%}}\n",
     NAME ":5:29: duplicate key \"loss\" in interfaces[0].impair.rx (first at line 5)"},
    {IF0 "    impair: true\n",
     NAME ":5:13: wrong type in interfaces[0].impair: expected a mapping (key: value), got a "
          "scalar"},
    {IF0 "    impair: {rx: 1%}\n",
     NAME ":5:18: wrong type in interfaces[0].impair.rx: expected a mapping (key: value), got "
          "a scalar"},
    {IF0 "    impair:\n      seed: 1\n      seed: 2\n",
     NAME ":7:7: duplicate key \"seed\" in interfaces[0].impair (first at line 6)"},
    /* tcp */
    {IF0 "tcp: {services: {echo: 0}}\n",
     NAME ":5:24: bad number \"0\" in tcp.services.echo: must be 1..65535"},
    {IF0 "tcp: {services: {discard: 65536}}\n",
     NAME ":5:27: bad number \"65536\" in tcp.services.discard: must be 1..65535"},
    {IF0 "tcp: {services: {source: x}}\n",
     NAME ":5:26: bad number \"x\" in tcp.services.source: expected a whole decimal number"},
    {IF0 "tcp: {services: {echo: 7, discard: 7}}\n",
     NAME ":5:36: port 7 of tcp.services.discard is already used by tcp.services.echo"},
    {IF0 "tcp: {services: {echo: 7, discard: 9, source: 9}}\n",
     NAME ":5:47: port 9 of tcp.services.source is already used by tcp.services.discard"},
    {IF0 "tcp: {services: {chargen: 19}}\n",
     NAME ":5:18: unknown key \"chargen\" in tcp.services (expected one of: echo, discard, "
          "source, forward)"},
    {IF0 "tcp: {services: {forward: {to: \"198.18.2.1:80\"}}}\n",
     NAME ":5:27: missing required key \"port\" in tcp.services.forward"},
    {IF0 "tcp: {services: {forward: {port: 80}}}\n",
     NAME ":5:27: missing required key \"to\" in tcp.services.forward"},
    {IF0 "tcp: {services: {forward: {port: 0, to: \"198.18.2.1:80\"}}}\n",
     NAME ":5:34: bad number \"0\" in tcp.services.forward.port: must be 1..65535"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2.1\"}}}\n",
     NAME ":5:42: bad destination \"198.18.2.1\" in tcp.services.forward.to: expected "
          "address:port such as 198.18.2.1:80"},
    {IF0 "tcp: {services: {forward: {port: 80, to: 80}}}\n",
     NAME ":5:42: bad destination \"80\" in tcp.services.forward.to: expected address:port"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2:80\"}}}\n",
     NAME ":5:42: bad destination \"198.18.2:80\" in tcp.services.forward.to: expected"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2.1:\"}}}\n",
     NAME ":5:42: bad destination \"198.18.2.1:\" in tcp.services.forward.to: expected"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2.1:0\"}}}\n",
     NAME ":5:42: bad destination \"198.18.2.1:0\" in tcp.services.forward.to: port must be "
          "1..65535"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2.1:65536\"}}}\n",
     NAME ":5:42: bad destination \"198.18.2.1:65536\" in tcp.services.forward.to: port must "
          "be 1..65535"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2.1:080\"}}}\n",
     NAME ":5:42: bad destination \"198.18.2.1:080\" in tcp.services.forward.to: expected"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"127.0.0.1:80\"}}}\n",
     NAME ":5:42: bad destination \"127.0.0.1:80\" in tcp.services.forward.to: must be a "
          "unicast address"},
    {IF0 "tcp: {services: {forward: {port: 80, to: [198.18.2.1, 80]}}}\n",
     NAME ":5:42: wrong type in tcp.services.forward.to: expected an address:port such as "
          "198.18.2.1:80, got a sequence"},
    {IF0 "tcp: {services: {forward: {port: 80, to: \"198.18.2.1:80\", via: x}}}\n",
     NAME ":5:59: unknown key \"via\" in tcp.services.forward (expected one of: port, to)"},
    {IF0 "tcp: {services: {forward: 8080}}\n",
     NAME ":5:27: wrong type in tcp.services.forward: expected a mapping (key: value), got a "
          "scalar"},
    {IF0 "tcp: {services: {echo: 7, forward: {port: 7, to: \"198.18.2.1:80\"}}}\n",
     NAME ":5:36: port 7 of tcp.services.forward is already used by tcp.services.echo"},
    {IF0 "tcp: {services: [7, 9]}\n",
     NAME ":5:17: wrong type in tcp.services: expected a mapping (key: value), got a sequence"},
    {IF0 "tcp: {max_connections: 0}\n",
     NAME ":5:24: bad number \"0\" in tcp.max_connections: must be 1..1048576"},
    {IF0 "tcp: {max_connections: 1048577}\n",
     NAME ":5:24: bad number \"1048577\" in tcp.max_connections: must be 1..1048576"},
    {IF0 "tcp: {syn_backlog: 0}\n",
     NAME ":5:20: bad number \"0\" in tcp.syn_backlog: must be 1..65535"},
    {IF0 "tcp: {syn_backlog: 65536}\n",
     NAME ":5:20: bad number \"65536\" in tcp.syn_backlog: must be 1..65535"},
    {IF0 "tcp: {send_buffer: 4095}\n",
     NAME ":5:20: bad size \"4095\" in tcp.send_buffer: must be 4096..67108864 bytes"},
    {IF0 "tcp: {send_buffer: 65MiB}\n",
     NAME ":5:20: bad size \"65MiB\" in tcp.send_buffer: must be 4096..67108864 bytes"},
    {IF0 "tcp: {send_buffer: 1GiB}\n", NAME ":5:20: bad size \"1GiB\" in tcp.send_buffer: must be"},
    {IF0 "tcp: {receive_buffer: 256K}\n",
     NAME ":5:23: bad size \"256K\" in tcp.receive_buffer: unknown unit (expected a plain "
          "number of bytes, KiB, MiB or GiB)"},
    {IF0 "tcp: {receive_buffer: 256 KiB}\n", NAME ":5:23: bad size \"256 KiB\""},
    {IF0 "tcp: {receive_buffer: KiB}\n",
     NAME ":5:23: bad size \"KiB\" in tcp.receive_buffer: expected a size such as 262144, "
          "256KiB or 4MiB"},
    {IF0 "tcp: {receive_buffer: 0256KiB}\n",
     NAME ":5:23: bad size \"0256KiB\" in tcp.receive_buffer: leading zeros are not allowed"},
    {IF0 "tcp: {receive_buffer: 99999999999KiB}\n",
     NAME ":5:23: bad size \"99999999999KiB\" in tcp.receive_buffer: number too large"},
    {IF0 "tcp: {congestion_control: reno}\n",
     NAME ":5:27: bad value \"reno\" in tcp.congestion_control: expected cubic or newreno"},
    {IF0 "tcp: {congestion_control: CUBIC}\n",
     NAME ":5:27: bad value \"CUBIC\" in tcp.congestion_control: expected cubic or newreno"},
    {IF0 "tcp: {keepalive: {probes: 3}}\n",
     NAME ":5:18: tcp.keepalive: set idle (keepalive is off without it)"},
    {IF0 "tcp: {keepalive: {idle: 0s}}\n",
     NAME ":5:25: bad duration \"0s\" in tcp.keepalive.idle: must be 1ms..86400000ms"},
    {IF0 "tcp: {syn_cookies: yes}\n",
     NAME ":5:20: bad value \"yes\" in tcp.syn_cookies: expected true or false"},
    {IF0 "tcp: {congestion_control: {}}\n",
     NAME ":5:27: wrong type in tcp.congestion_control: expected cubic or newreno, got a "
          "mapping"},
    {IF0 "tcp: {mss: 1460}\n",
     NAME ":5:7: unknown key \"mss\" in tcp (expected one of: services, max_connections, "
          "syn_backlog, send_buffer, receive_buffer, congestion_control, syn_cookies, keepalive, "
          "user_timeout)"},
    {IF0 "tcp: 1\n", NAME ":5:6: wrong type in tcp: expected a mapping (key: value), got a scalar"},
    /* unknown keys */
    {"workerz: 2\n" IF0,
     NAME ":1:1: unknown key \"workerz\" in the top level (expected one of: eal, workers, "
          "idle, mbufs_per_worker, rx_desc, tx_desc, admin, interfaces, neighbors, routes, "
          "arp, tcp, static_resources, dynamic_resources, node)"},
    {IF0 "    adress: 198.18.0.2/24\n",
     NAME ":5:5: unknown key \"adress\" in interfaces[0] (expected one of: name, device, "
          "address, mtu, impair)"},
    {IF0 "eal: {argv: []}\n", NAME ":5:7: unknown key \"argv\" in eal (expected one of: args)"},
    {IF0 "admin:\n  adress: 127.0.0.1\n",
     NAME ":6:3: unknown key \"adress\" in admin (expected one of: address, port)"},
    {IF0 "arp:\n  reachable: 1s\n",
     NAME ":6:3: unknown key \"reachable\" in arp (expected one of: reachable_time, "
          "retrans_time, max_probes)"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.0.2\n    dev: client\n",
     NAME ":8:5: unknown key \"dev\" in routes[0] (expected one of: prefix, via, interface)"},
    {IF0 "neighbors:\n  - {address: 198.18.0.2, mac: '02:00:00:00:00:02', iface: x}\n",
     NAME ":6:53: unknown key \"iface\" in neighbors[0] (expected one of: address, mac, "
          "interface)"},
    {IF0 "Workers: 2\n", NAME ":5:1: unknown key \"Workers\" in the top level"},
    /* duplicate keys: the second one is named */
    {"workers: 1\n" IF0 "workers: 2\n",
     NAME ":6:1: duplicate key \"workers\" in the top level (first at line 1)"},
    {IF0 "    name: again\n",
     NAME ":5:5: duplicate key \"name\" in interfaces[0] (first at line 2)"},
    {IF0 "arp: {max_probes: 2, max_probes: 3}\n",
     NAME ":5:22: duplicate key \"max_probes\" in arp (first at line 5)"},
    /* missing required keys: at the mapping that lacks them */
    {"workers: 2\n", NAME ":1:1: missing required key \"interfaces\" in the top level"},
    {"interfaces:\n  - name: client\n    address: 198.18.0.1/24\n",
     NAME ":2:5: missing required key \"device\" in interfaces[0]"},
    {"interfaces:\n  - device: d\n    address: 198.18.0.1/24\n",
     NAME ":2:5: missing required key \"name\" in interfaces[0]"},
    {IF0 IF1 "  - {name: c, device: d}\n",
     NAME ":8:5: missing required key \"address\" in interfaces[2]"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n",
     NAME ":6:5: missing required key \"mac\" in neighbors[0]"},
    {IF0 "neighbors:\n  - mac: '02:00:00:00:00:02'\n",
     NAME ":6:5: missing required key \"address\" in neighbors[0]"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n",
     NAME ":6:5: missing required key \"via\" in routes[0]"},
    {IF0 "routes:\n  - via: 198.18.0.2\n",
     NAME ":6:5: missing required key \"prefix\" in routes[0]"},
    /* wrong node types */
    {"interfaces: eth0\n",
     NAME ":1:13: wrong type in interfaces: expected a sequence of interfaces, got a scalar"},
    {"interfaces:\n  name: client\n",
     NAME ":2:3: wrong type in interfaces: expected a sequence of interfaces, got a mapping"},
    {"interfaces:\n  - client\n",
     NAME ":2:5: wrong type in interfaces[0]: expected a mapping (key: value), got a scalar"},
    {"workers: {n: 1}\n" IF0,
     NAME ":1:10: wrong type in workers: expected a number, got a mapping"},
    {"workers: [1]\n" IF0, NAME ":1:10: wrong type in workers: expected a number, got a sequence"},
    {IF0 "eal:\n  args: -l 0\n",
     NAME ":6:9: wrong type in eal.args: expected a sequence of strings, got a scalar"},
    {IF0 "eal:\n  args: [\"-l\", {a: b}]\n",
     NAME ":6:16: wrong type in eal.args[1]: expected a string, got a mapping"},
    {IF0 "eal: [-l, 0]\n",
     NAME ":5:6: wrong type in eal: expected a mapping (key: value), got a sequence"},
    {IF0 "eal:\n", NAME ":5:5: wrong type in eal: expected a mapping (key: value), got an empty "
                        "value"},
    {IF0 "admin: 127.0.0.1:15000\n",
     NAME ":5:8: wrong type in admin: expected a mapping (key: value), got a scalar"},
    {IF0 "routes: {prefix: 198.18.2.0/24}\n",
     NAME ":5:9: wrong type in routes: expected a sequence of routes, got a mapping"},
    {IF0 "neighbors: 198.18.0.2\n",
     NAME ":5:12: wrong type in neighbors: expected a sequence of neighbours, got a scalar"},
    {IF0 "    mtu: [1500]\n",
     NAME ":5:10: wrong type in interfaces[0].mtu: expected a number, got a sequence"},
    {"? [a, b]\n: 1\n" IF0, NAME ":1:3: keys must be plain words in the top level, got a sequence"},
    /* numbers */
    {"workers:\n" IF0, NAME ":1:9: bad number \"\" in workers: expected a number, got an "
                            "empty value (1..16)"},
    {"workers: 17\n" IF0, NAME ":1:10: bad number \"17\" in workers: must be 1..16"},
    {"workers: 0\n" IF0, NAME ":1:10: bad number \"0\" in workers: must be 1..16"},
    {"workers: -1\n" IF0,
     NAME ":1:10: bad number \"-1\" in workers: expected a whole number without a sign"},
    {"workers: +1\n" IF0,
     NAME ":1:10: bad number \"+1\" in workers: expected a whole number without a sign"},
    {"workers: 1.5\n" IF0,
     NAME ":1:10: bad number \"1.5\" in workers: expected a whole decimal number (1..16)"},
    {"workers: 2x\n" IF0,
     NAME ":1:10: bad number \"2x\" in workers: expected a whole decimal number"},
    {"workers: \" 2\"\n" IF0,
     NAME ":1:10: bad number \" 2\" in workers: expected a whole decimal number"},
    {"workers: 0x10\n" IF0,
     NAME ":1:10: bad number \"0x10\" in workers: expected a whole decimal number"},
    {"workers: 010\n" IF0,
     NAME ":1:10: bad number \"010\" in workers: leading zeros are not allowed"},
    {"workers: 1e1\n" IF0,
     NAME ":1:10: bad number \"1e1\" in workers: expected a whole decimal number"},
    {"workers: 18446744073709551617\n" IF0,
     NAME ":1:10: bad number \"18446744073709551617\" in workers: number too large"},
    {"workers: 4294967297\n" IF0,
     NAME ":1:10: bad number \"4294967297\" in workers: must be 1..16"},
    {"workers: \"1\\u00002\"\n" IF0,
     NAME ":1:10: bad number \"1\\x002\" in workers: expected a whole decimal number"},
    {"mbufs_per_worker: 1022\n" IF0,
     NAME ":1:19: bad number \"1022\" in mbufs_per_worker: must be 1023..1048575"},
    {"mbufs_per_worker: 1048576\n" IF0,
     NAME ":1:19: bad number \"1048576\" in mbufs_per_worker: must be 1023..1048575"},
    {"rx_desc: 1000\n" IF0,
     NAME ":1:10: bad number \"1000\" in rx_desc: must be a power of two in 64..4096"},
    {"rx_desc: 32\n" IF0, NAME ":1:10: bad number \"32\" in rx_desc: must be 64..4096"},
    {"tx_desc: 8192\n" IF0, NAME ":1:10: bad number \"8192\" in tx_desc: must be 64..4096"},
    {"tx_desc: 65600\n" IF0, NAME ":1:10: bad number \"65600\" in tx_desc: must be 64..4096"},
    {IF0 "    mtu: 67\n", NAME ":5:10: bad number \"67\" in interfaces[0].mtu: must be 68..9000"},
    {IF0 "    mtu: 9001\n",
     NAME ":5:10: bad number \"9001\" in interfaces[0].mtu: must be 68..9000"},
    {IF0 "admin:\n  port: 65536\n",
     NAME ":6:9: bad number \"65536\" in admin.port: must be 0..65535"},
    {IF0 "arp:\n  max_probes: 11\n",
     NAME ":6:15: bad number \"11\" in arp.max_probes: must be 1..10"},
    {IF0 "arp:\n  max_probes: 0\n",
     NAME ":6:15: bad number \"0\" in arp.max_probes: must be 1..10"},
    /* enums */
    {"idle: fast\n" IF0, NAME ":1:7: bad value \"fast\" in idle: expected busy or adaptive"},
    {"idle: Busy\n" IF0, NAME ":1:7: bad value \"Busy\" in idle: expected busy or adaptive"},
    /* durations */
    {IF0 "arp:\n  reachable_time: 60\n",
     NAME ":6:19: bad duration \"60\" in arp.reachable_time: missing unit (ms, s, m or h)"},
    {IF0 "arp:\n  reachable_time: 2h\n",
     NAME ":6:19: bad duration \"2h\" in arp.reachable_time: must be 1000ms..3600000ms"},
    {IF0 "arp:\n  reachable_time: 999ms\n",
     NAME ":6:19: bad duration \"999ms\" in arp.reachable_time: must be 1000ms..3600000ms"},
    {IF0 "arp:\n  reachable_time: 1.0005s\n",
     NAME ":6:19: bad duration \"1.0005s\" in arp.reachable_time: must be a whole number of "
          "milliseconds"},
    {IF0 "arp:\n  reachable_time: 5 s\n",
     NAME ":6:19: bad duration \"5 s\" in arp.reachable_time: unknown unit"},
    {IF0 "arp:\n  reachable_time: 5sec\n",
     NAME ":6:19: bad duration \"5sec\" in arp.reachable_time: unknown unit"},
    {IF0 "arp:\n  reachable_time: -5s\n",
     NAME ":6:19: bad duration \"-5s\" in arp.reachable_time: expected a duration"},
    {IF0 "arp:\n  reachable_time: .5s\n",
     NAME ":6:19: bad duration \".5s\" in arp.reachable_time: expected a duration"},
    {IF0 "arp:\n  reachable_time: 5.s\n",
     NAME ":6:19: bad duration \"5.s\" in arp.reachable_time: expected digits after the "
          "decimal point"},
    {IF0 "arp:\n  reachable_time: 99999999999s\n",
     NAME ":6:19: bad duration \"99999999999s\" in arp.reachable_time: number too large"},
    {IF0 "arp:\n  retrans_time: 99ms\n",
     NAME ":6:17: bad duration \"99ms\" in arp.retrans_time: must be 100ms..60000ms"},
    {IF0 "arp:\n  retrans_time: 1.01m\n",
     NAME ":6:17: bad duration \"1.01m\" in arp.retrans_time: must be 100ms..60000ms"},
    /* interface addresses */
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.1/33\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.1/33\" in interfaces[0].address: prefix length "
          "must be 1..32"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.1/0\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.1/0\" in interfaces[0].address: prefix length "
          "must be 1..32"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.1/024\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.1/024\" in interfaces[0].address: prefix "
          "length must be 1..32"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.1\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.1\" in interfaces[0].address: expected "
          "address/prefix-length such as 198.18.0.1/24"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.256/24\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.256/24\" in interfaces[0].address: expected "
          "address/prefix-length"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.01/24\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.01/24\" in interfaces[0].address: expected "
          "address/prefix-length"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0/24\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0/24\" in interfaces[0].address: expected "
          "address/prefix-length"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.0/24\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.0/24\" in interfaces[0].address: that is the "
          "subnet's network address, not a host address"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.255/24\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.255/24\" in interfaces[0].address: that is the "
          "subnet's broadcast address, not a host address"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 198.18.0.3/30\n",
     NAME ":4:14: bad IPv4 prefix \"198.18.0.3/30\" in interfaces[0].address: that is the "
          "subnet's broadcast address"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 224.0.0.1/24\n",
     NAME ":4:14: bad IPv4 prefix \"224.0.0.1/24\" in interfaces[0].address: must be a "
          "unicast address"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 127.0.0.1/8\n",
     NAME ":4:14: bad IPv4 prefix \"127.0.0.1/8\" in interfaces[0].address: must be a "
          "unicast address"},
    {"interfaces:\n  - name: client\n    device: d\n    address: 0.0.0.1/8\n",
     NAME ":4:14: bad IPv4 prefix \"0.0.0.1/8\" in interfaces[0].address: must be a "
          "unicast address"},
    {IF0 "  - name: b\n    device: d\n    address: 198.18.0.2/16\n",
     NAME ":7:14: subnet of interfaces[1].address overlaps interface \"client\" "
          "(198.18.0.1/24): interfaces need disjoint subnets"},
    /* interface names and devices */
    {IF0 "  - name: client\n    device: d\n    address: 198.18.1.1/24\n",
     NAME ":5:11: duplicate interface name \"client\" in interfaces[1].name (first in "
          "interfaces[0])"},
    {"interfaces:\n  - name: cli ent\n    device: d\n    address: 198.18.0.1/24\n",
     NAME ":2:11: bad interface name \"cli ent\" in interfaces[0].name: only letters, digits, "
          "'_' and '-' are allowed"},
    {"interfaces:\n  - name: \"\"\n    device: d\n    address: 198.18.0.1/24\n",
     NAME ":2:11: bad interface name \"\" in interfaces[0].name: must be 1..31 characters"},
    {"interfaces:\n  - name: abcdefghijklmnopqrstuvwxyz01234X\n    device: d\n"
     "    address: 198.18.0.1/24\n",
     NAME ":2:11: bad interface name \"abcdefghijklmnopqrstuvwxyz01234X\" in "
          "interfaces[0].name: must be 1..31 characters"},
    {"interfaces:\n  - name: cliënt\n    device: d\n    address: 198.18.0.1/24\n",
     NAME ":2:11: bad interface name \"cli\xc3\xabnt\" in interfaces[0].name: only letters"},
    {"interfaces:\n  - name: c\n    device: net_null0, iface=x\n"
     "    address: 198.18.0.1/24\n",
     NAME ":3:13: bad device \"net_null0, iface=x\" in interfaces[0].device: expected DPDK "
          "devargs or a PCI address without blanks or control characters"},
    {"interfaces:\n  - name: c\n    device:\n    address: 198.18.0.1/24\n",
     NAME ":3:12: bad device \"\" in interfaces[0].device: must be 1..255 characters"},
    {IF0 IF1 "  - {name: c2, device: d, address: 198.18.2.1/24}\n"
             "  - {name: c3, device: d, address: 198.18.3.1/24}\n"
             "  - {name: c4, device: d, address: 198.18.4.1/24}\n"
             "  - {name: c5, device: d, address: 198.18.5.1/24}\n"
             "  - {name: c6, device: d, address: 198.18.6.1/24}\n"
             "  - {name: c7, device: d, address: 198.18.7.1/24}\n"
             "  - {name: c8, device: d, address: 198.18.8.1/24}\n",
     NAME ":14:5: too many entries in interfaces: at most 8"},
    {"interfaces: []\n", NAME ":1:13: too few entries in interfaces: expected at least 1"},
    /* neighbours */
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02:00:00:00:00\"\n",
     NAME ":7:10: bad MAC address \"02:00:00:00:00\" in neighbors[0].mac: expected six hex "
          "pairs separated by ':'"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"2:0:0:0:0:9\"\n",
     NAME ":7:10: bad MAC address \"2:0:0:0:0:9\" in neighbors[0].mac: expected six hex"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02-00-00-00-00-09\"\n",
     NAME ":7:10: bad MAC address \"02-00-00-00-00-09\" in neighbors[0].mac: expected six hex"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02:00:00:00:00:0g\"\n",
     NAME ":7:10: bad MAC address \"02:00:00:00:00:0g\" in neighbors[0].mac: expected six hex"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02:00:00:00:+1:09\"\n",
     NAME ":7:10: bad MAC address \"02:00:00:00:+1:09\" in neighbors[0].mac: expected six hex"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02:00:00:00:00:09:\"\n",
     NAME ":7:10: bad MAC address \"02:00:00:00:00:09:\" in neighbors[0].mac: expected six "
          "hex"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"01:00:5e:00:00:01\"\n",
     NAME ":7:10: bad MAC address \"01:00:5e:00:00:01\" in neighbors[0].mac: must be unicast"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"ff:ff:ff:ff:ff:ff\"\n",
     NAME ":7:10: bad MAC address \"ff:ff:ff:ff:ff:ff\" in neighbors[0].mac: must be unicast"},
    {IF0 "neighbors:\n  - address: 198.18.0.2\n    mac: \"00:00:00:00:00:00\"\n",
     NAME ":7:10: bad MAC address \"00:00:00:00:00:00\" in neighbors[0].mac: must not be all "
          "zero"},
    {IF0 "neighbors:\n  - address: 198.18.0.2/32\n    mac: \"02:00:00:00:00:09\"\n",
     NAME ":6:14: bad IPv4 address \"198.18.0.2/32\" in neighbors[0].address: expected an "
          "IPv4 address such as 198.18.0.1"},
    {IF0 "neighbors:\n  - address: 255.255.255.255\n    mac: \"02:00:00:00:00:09\"\n",
     NAME ":6:14: bad IPv4 address \"255.255.255.255\" in neighbors[0].address: must be a "
          "unicast address"},
    {IF0 "neighbors:\n  - address: 198.18.5.2\n    mac: \"02:00:00:00:00:09\"\n",
     NAME ":6:14: neighbour address 198.18.5.2 in neighbors[0] is not on any interface's "
          "subnet"},
    {IF0 IF1 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02:00:00:00:00:09\"\n"
             "    interface: upstrem\n",
     NAME ":11:16: unknown interface \"upstrem\" in neighbors[0].interface (expected one of: "
          "client, upstream)"},
    {IF0 IF1 "neighbors:\n  - address: 198.18.0.2\n    mac: \"02:00:00:00:00:09\"\n"
             "    interface: upstream\n",
     NAME ":9:14: neighbour address 198.18.0.2 in neighbors[0] is not on the subnet of "
          "interface \"upstream\" (198.18.1.1/24)"},
    {IF0 "neighbors:\n  - address: 198.18.0.1\n    mac: \"02:00:00:00:00:09\"\n",
     NAME ":6:14: neighbour address 198.18.0.1 in neighbors[0] is the gateway's own address "
          "on \"client\""},
    {IF0 "neighbors:\n  - {address: 198.18.0.2, mac: \"02:00:00:00:00:09\"}\n"
         "  - {address: 198.18.0.2, mac: \"02:00:00:00:00:0a\"}\n",
     NAME ":7:15: duplicate neighbour 198.18.0.2 in neighbors[1].address (first in "
          "neighbors[0])"},
    /* routes */
    {IF0 "routes:\n  - prefix: 198.18.2.1/24\n    via: 198.18.0.2\n",
     NAME ":6:13: bad IPv4 prefix \"198.18.2.1/24\" in routes[0].prefix: host bits must be "
          "zero (did you mean 198.18.2.0/24?)"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/33\n    via: 198.18.0.2\n",
     NAME ":6:13: bad IPv4 prefix \"198.18.2.0/33\" in routes[0].prefix: prefix length must "
          "be 0..32"},
    {IF0 "routes:\n  - prefix: 198.18.2.0\n    via: 198.18.0.2\n",
     NAME ":6:13: bad IPv4 prefix \"198.18.2.0\" in routes[0].prefix: expected "
          "address/prefix-length"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.9.2\n",
     NAME ":7:10: next hop 198.18.9.2 in routes[0] is not on any interface's subnet"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.0.1\n",
     NAME ":7:10: next hop 198.18.0.1 in routes[0] is the gateway's own address on "
          "\"client\""},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.0\n",
     NAME ":7:10: bad IPv4 address \"198.18.0\" in routes[0].via: expected an IPv4 address"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.0.2\n    interface: eth0\n",
     NAME ":8:16: unknown interface \"eth0\" in routes[0].interface (expected one of: "
          "client)"},
    {IF0 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.0.2\n    interface: [client]\n",
     NAME ":8:16: wrong type in routes[0].interface: expected an interface name, got a "
          "sequence"},
    {IF0 IF1 "routes:\n  - prefix: 198.18.2.0/24\n    via: 198.18.1.2\n"
             "    interface: client\n",
     NAME ":10:10: next hop 198.18.1.2 in routes[0] is not on the subnet of interface "
          "\"client\" (198.18.0.1/24)"},
    {IF0 "routes:\n  - {prefix: 198.18.2.0/24, via: 198.18.0.2}\n"
         "  - {prefix: 198.18.2.0/24, via: 198.18.0.3}\n",
     NAME ":7:14: duplicate route 198.18.2.0/24 in routes[1].prefix (first in routes[0])"},
    /* the admin section */
    {IF0 "admin:\n  address: localhost\n",
     NAME ":6:12: bad IPv4 address \"localhost\" in admin.address: expected an IPv4 address"},
    {IF0 "admin:\n  address: \"::1\"\n", NAME ":6:12: bad IPv4 address \"::1\" in admin.address"},
    /* EAL arguments */
    {IF0 "eal:\n  args: [\"-l\", \"\"]\n",
     NAME ":6:16: bad EAL argument \"\" in eal.args[1]: must be a non-empty string"},
    /* YAML syntax: libyaml's message at its position */
    {"workers: [1\n" IF0,
     NAME ":2:11: YAML syntax error: did not find expected ',' or ']' while parsing a flow "
          "sequence at line 1"},
    {"workers: 1: 2\n" IF0,
     NAME ":1:11: YAML syntax error: mapping values are not allowed in this context"},
    {"workers: \"1\n" IF0,
     NAME ":6:1: YAML syntax error: found unexpected end of stream while scanning a quoted "
          "scalar at line 1"},
    {"workers: *w\n" IF0, NAME ":1:10: YAML syntax error: found undefined alias"},
    {"interfaces:\n\t- name: client\n",
     NAME ":2:1: YAML syntax error: found character that cannot start any token while "
          "scanning for the next token at line 2 (tabs are not allowed for indentation; use "
          "spaces)"},
    {"interfaces:\n  - name: client\n\tdevice: d\n",
     NAME ":3:1: YAML syntax error: found a tab character that violates indentation while "
          "scanning a plain scalar at line 2 (tabs are not allowed for indentation; use "
          "spaces)"},
    {"interfaces:\n  - name: client\n   device: d\n",
     NAME ":3:4: YAML syntax error: did not find expected '-' indicator while parsing a block "
          "collection at line 2"},
    {"interfaces:\n  - name: client\n     device: d\n",
     NAME ":3:12: YAML syntax error: mapping values are not allowed in this context"},
    {"interfaces:\n  - name: client\n    device: d\n  address: 198.18.0.1/24\n",
     NAME ":4:3: YAML syntax error: did not find expected '-' indicator while parsing a block "
          "collection at line 2"},
    {"workers: 2\n  idle: busy\n" IF0,
     NAME ":2:7: YAML syntax error: mapping values are not allowed in this context"},
    {IF0 "workers: \xff\n", NAME ":5:10: YAML syntax error: invalid leading UTF-8 octet"},
    {IF0 "workers: 1\x01\n", NAME ":5:11: YAML syntax error: control characters are not "
                                  "allowed"},
    /* whole-document shapes */
    {"", NAME ":1:1: empty document: expected a mapping with at least \"interfaces\""},
    {"# only a comment\n\n", NAME ":1:1: empty document"},
    {"  \n\n\n", NAME ":1:1: empty document"},
    {"---\n...\n", NAME ":2:1: empty document"},
    {"--- ~\n", NAME ":1:5: wrong type in the top level: expected a mapping (key: value), got "
                     "a scalar"},
    {"- interfaces\n- workers\n",
     NAME ":1:1: wrong type in the top level: expected a mapping (key: value), got a "
          "sequence"},
    {"hello\n",
     NAME ":1:1: wrong type in the top level: expected a mapping (key: value), got a scalar"},
    {IF0 "---\nworkers: 2\n",
     NAME ":6:1: a second YAML document: the bootstrap must be one document"},
    {IF0 "---\nworkers: [\n", NAME ":7:1: YAML syntax error: did not find expected node "
                                   "content while parsing a flow node at line 7"},
};

/* Case i of a table: refused with -EINVAL and the message, out left zeroed. */
static void check_err_case(const struct err_case *t, int i)
{
	static const struct mg_bootstrap zero;
	struct mg_bootstrap b;
	char err[1024];
	int rc;

	memset(&b, 0xa5, sizeof(b));
	memset(err, 0, sizeof(err));
	rc = parse(t->yaml, &b, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "case %d: rc %d, err \"%s\"", i, rc, err);
	ck_assert_msg(strncmp(err, t->want, strlen(t->want)) == 0,
	              "case %d:\n got  \"%s\"\n want \"%s\"", i, err, t->want);
	ck_assert_msg(memcmp(&b, &zero, sizeof(b)) == 0, "case %d: out not zeroed", i);
}

START_TEST(test_errors)
{
	check_err_case(&err_cases[_i], _i);
}
END_TEST

/* A message too long for the buffer is cut, never overrun. */
START_TEST(test_small_err_buffer)
{
	struct mg_bootstrap b;
	char err[16];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(mg_bootstrap_parse(NAME, "workers: 0\n", 11, &b, err, 12), -EINVAL);
	ck_assert_str_eq(err, "gw.yaml:1:1");
	ck_assert_int_eq(err[12], 'x');
	ck_assert_int_eq(mg_bootstrap_parse(NAME, "workers: 0\n", 11, &b, NULL, 0), -EINVAL);
	ck_assert_int_eq(mg_bootstrap_parse(NAME, NULL, 0, &b, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(mg_bootstrap_parse(NAME, IF0, strlen(IF0), NULL, err, sizeof(err)),
	                 -EINVAL);
}
END_TEST

/* Very long keys and values are reported, cut, and never overflow a field. */
START_TEST(test_long_strings)
{
	struct mg_bootstrap b;
	char err[512], *yaml, *big;
	size_t n = 100000;

	big = malloc(n + 1);
	yaml = malloc(n + 256);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(yaml);
	memset(big, 'k', n);
	big[n] = '\0';

	/* libyaml caps implicit keys at 1024 characters */
	snprintf(yaml, n + 256, IF0 "%s: 1\n", big);
	ck_assert_int_eq(parse(yaml, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(
	    strstr(err, NAME ":5:100001: YAML syntax error: could not find expected ':'") == err,
	    "%s", err);
	snprintf(yaml, n + 256, IF0 "%.1000s: 1\n", big);
	ck_assert_int_eq(parse(yaml, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, NAME ":5:1: unknown key \"kkkk") == err, "%s", err);
	ck_assert_msg(strstr(err, "kkk...\" in the top level") != NULL, "%s", err);

	snprintf(yaml, n + 256, "interfaces: [{name: c, address: 198.18.0.1/24, device: %s}]\n",
	         big);
	ck_assert_int_eq(parse(yaml, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, NAME ":1:56: bad device \"kkk") == err, "%s", err);
	ck_assert_msg(strstr(err, "must be 1..255 characters") != NULL, "%s", err);

	/* exactly 255 fits (the field holds 255 and a NUL) */
	memset(big, 'd', 255);
	big[255] = '\0';
	snprintf(yaml, n + 256, "interfaces: [{name: c, address: 198.18.0.1/24, device: %s}]\n",
	         big);
	ck_assert_msg(parse(yaml, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(strlen(b.ifaces[0].device), 255);
	mg_bootstrap_free(&b);

	/* and so does a 31-character name */
	ck_assert_msg(parse("interfaces: [{name: abcdefghijklmnopqrstuvwxyz01234, device: d, "
	                    "address: 198.18.0.1/24}]\n",
	                    &b, err, sizeof(err)) == 0,
	              "%s", err);
	ck_assert_str_eq(b.ifaces[0].name, "abcdefghijklmnopqrstuvwxyz01234");
	mg_bootstrap_free(&b);

	memset(big, 'v', n);
	big[n] = '\0';
	snprintf(yaml, n + 256, IF0 "idle: %s\n", big);
	ck_assert_int_eq(parse(yaml, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, NAME ":5:7: bad value \"vvv") == err, "%s", err);
	ck_assert_msg(strstr(err, "vvv...\" in idle: expected busy or adaptive") != NULL, "%s",
	              err);
	free(big);
	free(yaml);
}
END_TEST

/* Lists at their limits: 64 EAL args, routes and neighbours fit; 65 don't. */
static char *many(const char *head, const char *fmt, unsigned n)
{
	size_t cap = 64 * 1024, o;
	char *s = malloc(cap);
	unsigned i;

	ck_assert_ptr_nonnull(s);
	o = (size_t)snprintf(s, cap, "%s", head);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, fmt, i, i + 2);
	return s;
}

START_TEST(test_limits)
{
	struct mg_bootstrap b;
	char err[512], *y;

	y = many(IF0 "eal:\n  args:\n", "    - \"-a%u-%u\"\n", MG_MAX_EAL_ARGS);
	ck_assert_msg(parse(y, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(b.eal_argc, MG_MAX_EAL_ARGS);
	ck_assert_str_eq(b.eal_argv[63], "-a63-65");
	mg_bootstrap_free(&b);
	free(y);
	/* the 65th is refused and the 64 already copied are freed (ASan checks) */
	y = many(IF0 "eal:\n  args:\n", "    - \"-a%u-%u\"\n", MG_MAX_EAL_ARGS + 1);
	ck_assert_int_eq(parse(y, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, NAME ":71:7: too many entries in eal.args: at most 64") == err,
	              "%s", err);
	ck_assert_int_eq(b.eal_argc, 0);
	free(y);

	y = many("interfaces: [{name: a, device: d, address: 198.18.0.1/16}]\nroutes:\n",
	         "  - {prefix: 10.%u.0.0/16, via: 198.18.1.%u}\n", MG_MAX_ROUTES);
	ck_assert_msg(parse(y, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(b.n_routes, MG_MAX_ROUTES);
	ck_assert_uint_eq(b.routes[63].prefix, ip("10.63.0.0"));
	ck_assert_uint_eq(b.routes[63].via, ip("198.18.1.65"));
	mg_bootstrap_free(&b);
	free(y);
	y = many("interfaces: [{name: a, device: d, address: 198.18.0.1/16}]\nroutes:\n",
	         "  - {prefix: 10.%u.0.0/16, via: 198.18.1.%u}\n", MG_MAX_ROUTES + 1);
	ck_assert_int_eq(parse(y, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, NAME ":67:5: too many entries in routes: at most 64") == err,
	              "%s", err);
	free(y);

	y = many("interfaces: [{name: a, device: d, address: 198.18.0.1/16}]\nneighbors:\n",
	         "  - {address: 198.18.2.%u, mac: '02:00:00:00:00:%02u'}\n", MG_MAX_STATIC_NEIGH);
	ck_assert_msg(parse(y, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(b.n_neigh, MG_MAX_STATIC_NEIGH);
	ck_assert_uint_eq(b.neigh[63].addr, ip("198.18.2.63"));
	ck_assert_uint_eq(b.neigh[63].mac.addr_bytes[5], 0x65);
	mg_bootstrap_free(&b);
	free(y);
	y = many("interfaces: [{name: a, device: d, address: 198.18.0.1/16}]\nneighbors:\n",
	         "  - {address: 198.18.2.%u, mac: '02:00:00:00:00:%02u'}\n",
	         MG_MAX_STATIC_NEIGH + 1);
	ck_assert_int_eq(parse(y, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, NAME ":67:5: too many entries in neighbors: at most 64") == err,
	              "%s", err);
	free(y);
}
END_TEST

static char tmpdir[64];

static char *write_tmp(const char *name, const char *text)
{
	char *path;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_load)
{
	struct mg_bootstrap b;
	char err[512], *path, *missing;

	path = write_tmp("ok.yaml", IF0 "workers: 3\n");
	ck_assert_msg(mg_bootstrap_load(path, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(b.path, path);
	ck_assert_uint_eq(b.n_workers, 3);
	mg_bootstrap_free(&b);
	unlink(path);
	free(path);

	/* the file's name is the one in messages */
	path = write_tmp("bad.yaml", IF0 "workers: 30\n");
	ck_assert_int_eq(mg_bootstrap_load(path, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
	ck_assert_msg(strcmp(err + strlen(path), ":5:10: bad number \"30\" in workers: must be "
	                                         "1..16") == 0,
	              "%s", err);
	unlink(path);
	free(path);

	ck_assert_int_ge(asprintf(&missing, "%s/no-such.yaml", tmpdir), 0);
	memset(&b, 0xa5, sizeof(b));
	ck_assert_int_eq(mg_bootstrap_load(missing, &b, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, missing) == err, "%s", err);
	ck_assert_msg(strstr(err, "No such file or directory") != NULL, "%s", err);
	ck_assert_int_eq(b.eal_argc, 0);
	free(missing);

	ck_assert_int_eq(mg_bootstrap_load(tmpdir, &b, err, sizeof(err)), -EISDIR);
	ck_assert_msg(strstr(err, tmpdir) == err, "%s", err);
}
END_TEST

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *env_path(const char *var)
{
	const char *p = getenv(var);

	ck_assert_msg(p != NULL && *p, "%s not set (meson sets it)", var);
	return p;
}

/* The shipped example parses, with the values it documents. */
START_TEST(test_example_file)
{
	const char *path = env_path("MG_EXAMPLE_YAML");
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(mg_bootstrap_load(path, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(b.eal_argc, 7);
	ck_assert_str_eq(b.eal_argv[6], "mg-demo");
	ck_assert_uint_eq(b.n_ifaces, 2);
	ck_assert_str_eq(b.ifaces[0].name, "client");
	ck_assert_str_eq(b.ifaces[1].device, "net_af_packet1,iface=mgu0");
	ck_assert_uint_eq(b.n_neigh, 1);
	ck_assert_uint_eq(b.neigh[0].iface, 1);
	ck_assert_uint_eq(b.n_routes, 1);
	ck_assert_uint_eq(b.routes[0].iface, 1);
	ck_assert_uint_eq(b.routes[0].via, ip("198.18.1.2"));
	mg_bootstrap_free(&b);
}
END_TEST

/* Does any ```yaml block of md hold needle? */
static bool in_yaml_block(const char *md, const char *needle)
{
	const char *p, *end;
	bool found = false;

	for (p = md; !found && (p = strstr(p, "\n```yaml\n")) != NULL; p = end + 4) {
		char *block;

		p += 9;
		end = strstr(p, "\n```");
		ck_assert_ptr_nonnull(end);
		block = strndup(p, (size_t)(end - p) + 1);
		ck_assert_ptr_nonnull(block);
		found = strstr(block, needle) != NULL;
		free(block);
	}
	return found;
}

/*
 * docs/CONFIG.md: every ```yaml block is a complete, valid bootstrap; every
 * key in its reference table appears in the example file (static_resources,
 * which the example leaves out, in one of those parsed blocks instead);
 * every key in the example file has a row in the table.
 */
START_TEST(test_config_md)
{
	char *md = slurp(env_path("MG_CONFIG_MD"));
	char *ex = slurp(env_path("MG_EXAMPLE_YAML"));
	struct mg_bootstrap b;
	char err[512], name[64], *p, *end, *line, *save = NULL;
	unsigned blocks = 0, rows = 0;

	for (p = md; (p = strstr(p, "\n```yaml\n")) != NULL; p = end + 4) {
		p += 9;
		end = strstr(p, "\n```");
		ck_assert_ptr_nonnull(end);
		snprintf(name, sizeof(name), "CONFIG.md block %u", ++blocks);
		ck_assert_msg(
		    mg_bootstrap_parse(name, p, (size_t)(end - p) + 1, &b, err, sizeof(err)) == 0,
		    "%s", err);
		mg_bootstrap_free(&b);
	}
	ck_assert_uint_ge(blocks, 1);

	/* table rows look like "| `interfaces[].mtu` | ..." */
	for (p = md; (p = strstr(p, "\n| `")) != NULL; p = end) {
		char key[64], needle[80];
		const char *last;

		p += 4;
		end = strchr(p, '`');
		ck_assert_ptr_nonnull(end);
		ck_assert_uint_lt((size_t)(end - p), sizeof(key));
		memcpy(key, p, (size_t)(end - p));
		key[end - p] = '\0';
		last = strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
		snprintf(needle, sizeof(needle), "%.*s:", (int)strcspn(last, "["), last);
		ck_assert_msg(
		    strstr(ex, needle) != NULL ||
		        ((strncmp(key, "static_resources", 16) == 0 ||
		          strncmp(key, "dynamic_resources", 17) == 0 || strcmp(key, "node") == 0) &&
		         in_yaml_block(md, needle)),
		    "table key %s is not in the example", key);
		rows++;
	}
	ck_assert_uint_ge(rows, 20);

	/* every "key:" that starts a line of the example is in the table */
	for (line = strtok_r(ex, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char needle[80];
		size_t k;

		line += strspn(line, " -");
		k = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
		if (k == 0 || line[k] != ':')
			continue;
		snprintf(needle, sizeof(needle), "%.*s` |", (int)k, line);
		ck_assert_msg(strstr(md, needle) != NULL, "example key %.*s has no table row",
		              (int)k, line);
	}
	free(md);
	free(ex);
}
END_TEST

/* ------------------------------------------------------------------ */
/* static_resources (xDS messages in the proto3 JSON mapping)          */

/* An HTTP listener (inline routes: header match, 99/1 split, rewrite,
 * timeout), a TCP proxy listener and two clusters with endpoints. */
static const char sr_yaml[] =
    IF0 "static_resources:\n"
        "  listeners:\n"
        "  - name: http_in\n"
        "    address:\n"
        "      socket_address: { address: 198.18.0.1, port_value: 8080 }\n"
        "    filter_chains:\n"
        "    - filters:\n"
        "      - name: envoy.filters.network.http_connection_manager\n"
        "        typed_config:\n"
        "          \"@type\": type.googleapis.com/envoy.extensions.filters.network."
        "http_connection_manager.v3.HttpConnectionManager\n"
        "          stat_prefix: ingress_http\n"
        "          route_config:\n"
        "            name: local_route\n"
        "            virtual_hosts:\n"
        "            - name: svc\n"
        "              domains: [\"svc.example\", \"*\"]\n"
        "              routes:\n"
        "              - match:\n"
        "                  prefix: /\n"
        "                  headers:\n"
        "                  - name: x-canary\n"
        "                    string_match: { exact: v2 }\n"
        "                route: { cluster: svc_v2 }\n"
        "              - match: { prefix: /api/ }\n"
        "                route:\n"
        "                  prefix_rewrite: /\n"
        "                  timeout: 1.5s\n"
        "                  weighted_clusters:\n"
        "                    clusters:\n"
        "                    - { name: svc_v1, weight: 99 }\n"
        "                    - { name: svc_v2, weight: 1 }\n"
        "  - name: tcp_in\n"
        "    address: { socket_address: { address: 198.18.0.1, port_value: 9000 } }\n"
        "    filter_chains:\n"
        "    - filters:\n"
        "      - name: envoy.filters.network.tcp_proxy\n"
        "        typed_config:\n"
        "          \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3."
        "TcpProxy\n"
        "          statPrefix: tcp\n"
        "          cluster: svc_v1\n"
        "  clusters:\n"
        "  - name: svc_v1\n"
        "    type: STATIC\n"
        "    connect_timeout: 0.25s\n"
        "    load_assignment:\n"
        "      cluster_name: svc_v1\n"
        "      endpoints:\n"
        "      - lb_endpoints:\n"
        "        - endpoint: { address: { socket_address: { address: 198.18.1.10, port_value: 80 "
        "} } }\n"
        "        - endpoint: { address: { socket_address: { address: 198.18.1.11, port_value: 80 "
        "} } }\n"
        "  - name: svc_v2\n"
        "    load_assignment:\n"
        "      cluster_name: svc_v2\n"
        "      endpoints:\n"
        "      - lb_endpoints:\n"
        "        - endpoint: { address: { socket_address: { address: 198.18.2.10, port_value: "
        "8080 } } }\n";

static const Envoy__Config__Core__V3__SocketAddress *
lb_addr(const Envoy__Config__Cluster__V3__Cluster *cl, size_t i)
{
	const Envoy__Config__Endpoint__V3__LocalityLbEndpoints *le;

	ck_assert_ptr_nonnull(cl->load_assignment);
	ck_assert_uint_eq(cl->load_assignment->n_endpoints, 1);
	le = cl->load_assignment->endpoints[0];
	ck_assert_uint_gt(le->n_lb_endpoints, i);
	ck_assert_ptr_nonnull(le->lb_endpoints[i]->endpoint);
	ck_assert_ptr_nonnull(le->lb_endpoints[i]->endpoint->address);
	return le->lb_endpoints[i]->endpoint->address->socket_address;
}

/* The HTTP listener's routes, as the decoder built them. */
static void check_sr_routes(const Google__Protobuf__Any *any)
{
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager *h;
	const Envoy__Config__Route__V3__VirtualHost *vh;
	const Envoy__Config__Route__V3__RouteAction *a;
	ProtobufCMessage *m = NULL;

	ck_assert_int_eq(mg_xds_unpack_any(any, &HCM_DESC, &m), 0);
	h = (void *)m;
	ck_assert_str_eq(h->stat_prefix, "ingress_http");
	ck_assert_ptr_nonnull(h->route_config);
	ck_assert_str_eq(h->route_config->name, "local_route");
	ck_assert_uint_eq(h->route_config->n_virtual_hosts, 1);
	vh = h->route_config->virtual_hosts[0];
	ck_assert_uint_eq(vh->n_domains, 2);
	ck_assert_str_eq(vh->domains[1], "*");
	ck_assert_uint_eq(vh->n_routes, 2);
	ck_assert_str_eq(vh->routes[0]->match->prefix, "/");
	ck_assert_uint_eq(vh->routes[0]->match->n_headers, 1);
	ck_assert_str_eq(vh->routes[0]->match->headers[0]->name, "x-canary");
	ck_assert_str_eq(vh->routes[0]->match->headers[0]->string_match->exact, "v2");
	ck_assert_str_eq(vh->routes[0]->route->cluster, "svc_v2");
	a = vh->routes[1]->route;
	ck_assert_str_eq(a->prefix_rewrite, "/");
	ck_assert_ptr_nonnull(a->timeout);
	ck_assert_int_eq(a->timeout->seconds, 1);
	ck_assert_int_eq(a->timeout->nanos, 500000000);
	ck_assert_int_eq(
	    a->cluster_specifier_case,
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS);
	ck_assert_uint_eq(a->weighted_clusters->n_clusters, 2);
	ck_assert_str_eq(a->weighted_clusters->clusters[0]->name, "svc_v1");
	ck_assert_uint_eq(a->weighted_clusters->clusters[0]->weight->value, 99);
	ck_assert_str_eq(a->weighted_clusters->clusters[1]->name, "svc_v2");
	ck_assert_uint_eq(a->weighted_clusters->clusters[1]->weight->value, 1);
	mg_xds_free(m);
}

START_TEST(test_static_resources)
{
	const Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr;
	const Envoy__Config__Listener__V3__Listener *l;
	const Envoy__Config__Cluster__V3__Cluster *cl;
	Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy *tp;
	ProtobufCMessage *m = NULL;
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(parse(sr_yaml, &b, err, sizeof(err)) == 0, "%s", err);
	sr = b.static_resources;
	ck_assert_ptr_nonnull(sr);
	ck_assert_uint_eq(b.n_static_listeners, 2);
	ck_assert_uint_eq(b.n_static_clusters, 2);
	ck_assert_uint_eq(sr->n_listeners, 2);
	l = sr->listeners[0];
	ck_assert_str_eq(l->name, "http_in");
	ck_assert_str_eq(l->address->socket_address->address, "198.18.0.1");
	ck_assert_uint_eq(l->address->socket_address->port_value, 8080);
	ck_assert_uint_eq(l->n_filter_chains, 1);
	ck_assert_uint_eq(l->filter_chains[0]->n_filters, 1);
	check_sr_routes(l->filter_chains[0]->filters[0]->typed_config);

	l = sr->listeners[1];
	ck_assert_uint_eq(l->address->socket_address->port_value, 9000);
	ck_assert_int_eq(
	    mg_xds_unpack_any(l->filter_chains[0]->filters[0]->typed_config, &TCPP_DESC, &m), 0);
	tp = (void *)m;
	ck_assert_str_eq(tp->stat_prefix, "tcp");
	ck_assert_str_eq(tp->cluster, "svc_v1");
	mg_xds_free(m);

	ck_assert_uint_eq(sr->n_clusters, 2);
	cl = sr->clusters[0];
	ck_assert_str_eq(cl->name, "svc_v1");
	ck_assert_int_eq(cl->type, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STATIC);
	ck_assert_int_eq(cl->connect_timeout->seconds, 0);
	ck_assert_int_eq(cl->connect_timeout->nanos, 250000000);
	ck_assert_str_eq(lb_addr(cl, 0)->address, "198.18.1.10");
	ck_assert_str_eq(lb_addr(cl, 1)->address, "198.18.1.11");
	ck_assert_uint_eq(lb_addr(cl, 1)->port_value, 80);
	cl = sr->clusters[1];
	ck_assert_str_eq(cl->name, "svc_v2");
	ck_assert_str_eq(lb_addr(cl, 0)->address, "198.18.2.10");
	ck_assert_uint_eq(lb_addr(cl, 0)->port_value, 8080);

	/* the rest of the bootstrap is still there, and free may be called twice */
	ck_assert_uint_eq(b.n_ifaces, 1);
	mg_bootstrap_free(&b);
	ck_assert_ptr_null(b.static_resources);
	ck_assert_uint_eq(b.n_static_clusters, 0);
	mg_bootstrap_free(&b);

	/* none given: nothing decoded */
	ck_assert_msg(parse(IF0, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_null(b.static_resources);
	ck_assert_uint_eq(b.n_static_listeners, 0);
	mg_bootstrap_free(&b);
}
END_TEST

/* Prefixes of the error cases: IF0 is lines 1-4, so static_resources is line 5. */
#define SR "static_resources:\n"
#define SR_CLUSTER_A    \
	"  clusters:\n" \
	"  - name: a\n"
/* a listener whose one filter's typed_config starts on line 12 */
#define SR_LISTENER                                                               \
	"  listeners:\n"                                                          \
	"  - name: l\n"                                                           \
	"    address: { socket_address: { address: 0.0.0.0, port_value: 80 } }\n" \
	"    filter_chains:\n"                                                    \
	"    - filters:\n"                                                        \
	"      - name: f\n"                                                       \
	"        typed_config:\n"
#define HCM_TYPE                                                                     \
	"          \"@type\": type.googleapis.com/envoy.extensions.filters.network." \
	"http_connection_manager.v3.HttpConnectionManager\n"
#define TCPP_TYPE                                                                    \
	"          \"@type\": type.googleapis.com/envoy.extensions.filters.network." \
	"tcp_proxy.v3.TcpProxy\n"
/* an inline route config whose first route starts on line 19 */
#define HCM_ROUTES                                  \
	HCM_TYPE "          route_config:\n"        \
	         "            virtual_hosts:\n"     \
	         "            - name: v\n"          \
	         "              domains: [\"*\"]\n" \
	         "              routes:\n"

static const struct err_case sr_err_cases[] = {
    /* from the decoder: positions and paths of the bad node */
    {IF0 SR SR_CLUSTER_A "    conect_timeout: 1s\n",
     NAME ":8:5: static_resources.clusters[0].conect_timeout: unknown field "},
    {IF0 SR SR_CLUSTER_A "    connect_timeout: 1.5\n",
     NAME ":8:22: static_resources.clusters[0].connect_timeout: "},
    {IF0 SR SR_CLUSTER_A "    connect_timeout: 1.5 s\n",
     NAME ":8:22: static_resources.clusters[0].connect_timeout: "},
    {IF0 SR "  listeners:\n"
            "  - name: l\n"
            "    address: { socket_address: { address: 198.18.0.1, port_value: 70000 } }\n",
     NAME ":8:67: static_resources.listeners[0].address.socket_address.port_value: port 70000 "
          "is out of range 1..65535"},
    {IF0 SR "  listeners:\n"
            "  - name: l\n"
            "    address: { socket_address: { address: 198.18.0.1, port_value: -1 } }\n",
     NAME ":8:67: static_resources.listeners[0].address.socket_address.port_value: expected "
          "an unsigned integer"},
    {IF0 SR SR_CLUSTER_A "    load_assignment:\n"
                         "      endpoints:\n"
                         "      - lb_endpoints:\n"
                         "        - endpoint: { address: { socket_address: { address: "
                         "198.18.1.1, port_value: 65536 } } }\n",
     NAME ":11:85: static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0]."
          "endpoint.address.socket_address.port_value: port 65536 is out of range "
          "1..65535"},
    {IF0 SR SR_LISTENER "          \"@type\": type.googleapis.com/envoy.Nope\n",
     NAME ":13:20: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "@type: unknown type \"type.googleapis.com/envoy.Nope\""},
    {IF0 SR "  clusters: {}\n", NAME ":6:13: static_resources.clusters: "},
    {IF0 SR "  bogus: 1\n", NAME ":6:3: static_resources.bogus: unknown field "},
    {IF0 SR "  - a\n", NAME ":6:3: static_resources: "},
    /* from the bootstrap's checks, positioned through the path */
    {IF0 SR SR_CLUSTER_A "  - name: b\n  - name: a\n",
     NAME ":9:11: static_resources.clusters[2].name: duplicate cluster name \"a\" (first in "
          "clusters[0])"},
    {IF0 SR "  clusters:\n  - connect_timeout: 1s\n",
     NAME ":7:5: static_resources.clusters[0].name: is required"},
    {IF0 SR SR_LISTENER HCM_ROUTES "              - match: { prefix: / }\n"
                                   "                route: { cluster: nope }\n" SR_CLUSTER_A,
     NAME ":20:35: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "route_config.virtual_hosts[0].routes[0].route.cluster: unknown cluster \"nope\""},
    {IF0 SR SR_LISTENER HCM_ROUTES "              - match: { prefix: / }\n"
                                   "                route:\n"
                                   "                  weighted_clusters:\n"
                                   "                    clusters:\n"
                                   "                    - { name: a, weight: 99 }\n"
                                   "                    - { name: b, weight: 1 }\n" SR_CLUSTER_A,
     NAME ":24:31: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "route_config.virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name: "
          "unknown cluster \"b\""},
    {IF0 SR SR_LISTENER HCM_ROUTES "              - match: { prefix: / }\n"
                                   "                route: { timeout: 1s }\n" SR_CLUSTER_A,
     NAME ":20:24: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "route_config.virtual_hosts[0].routes[0].route: set one of cluster, cluster_header, "
          "weighted_clusters"},
    {IF0 SR SR_LISTENER HCM_ROUTES "              - match: { prefix: / }\n"
                                   "                route:\n"
                                   "                  cluster: a\n"
                                   "                  request_mirror_policies:\n"
                                   "                  - cluster: shadow\n" SR_CLUSTER_A,
     NAME ":23:30: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "route_config.virtual_hosts[0].routes[0].route.request_mirror_policies[0].cluster: "
          "unknown cluster \"shadow\""},
    /* lowerCamelCase keys are found too */
    {IF0 SR SR_LISTENER TCPP_TYPE "          weightedClusters:\n"
                                  "            clusters: [{ name: a, weight: 1 }, { name: x, "
                                  "weight: 1 }]\n" SR_CLUSTER_A,
     NAME ":15:56: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "weighted_clusters.clusters[1].name: unknown cluster \"x\""},
    {IF0 SR SR_LISTENER TCPP_TYPE "          stat_prefix: t\n" SR_CLUSTER_A,
     NAME ":13:11: static_resources.listeners[0].filter_chains[0].filters[0].typed_config: set "
          "cluster or weighted_clusters"},
    {IF0 SR SR_LISTENER "          \"@type\": type.googleapis.com/envoy.extensions.filters."
                        "http.router.v3.Router\n",
     NAME ":13:20: static_resources.listeners[0].filter_chains[0].filters[0].typed_config."
          "@type: \"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\" is not "
          "a network filter meshgate has (http_connection_manager and tcp_proxy are)"},
    {IF0 SR "  listeners:\n"
            "  - name: l\n"
            "    address: { socket_address: { address: 0.0.0.0, port_value: 80 } }\n"
            "    filter_chains:\n"
            "    - filters:\n"
            "      - name: f\n",
     NAME ":11:9: static_resources.listeners[0].filter_chains[0].filters[0].typed_config: is "
          "required"},
    /* a decode error after a good static_resources still frees it (ASan) */
    {IF0 SR SR_CLUSTER_A "workers: 0\n", NAME ":8:10: bad number \"0\" in workers"},
};

START_TEST(test_static_resources_errors)
{
	const struct err_case *t = &sr_err_cases[_i];
	static const struct mg_bootstrap zero;
	struct mg_bootstrap b;
	char err[1024];
	int rc;

	memset(&b, 0xa5, sizeof(b));
	memset(err, 0, sizeof(err));
	rc = parse(t->yaml, &b, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "case %d: rc %d, err \"%s\"", _i, rc, err);
	ck_assert_msg(strncmp(err, t->want, strlen(t->want)) == 0,
	              "case %d:\n got  \"%s\"\n want \"%s\"", _i, err, t->want);
	ck_assert_msg(memcmp(&b, &zero, sizeof(b)) == 0, "case %d: out not zeroed", _i);
}
END_TEST

/* tcp.services.forward: every field read, and off by default. */
START_TEST(test_tcp_forward)
{
	static const char yaml[] = IF0 "tcp:\n"
	                               "  services:\n"
	                               "    source: 19\n"
	                               "    forward:\n"
	                               "      port: 8080\n"
	                               "      to: \"198.18.2.1:9000\"\n";
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(parse(yaml, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(b.tcp.fwd_port, 8080);
	ck_assert_uint_eq(b.tcp.fwd_addr, ip("198.18.2.1"));
	ck_assert_uint_eq(b.tcp.fwd_dport, 9000);
	ck_assert_uint_eq(b.tcp.source_port, 19);
	ck_assert_uint_eq(b.tcp.echo_port, 0);
	mg_bootstrap_free(&b);
	ck_assert_msg(parse(IF0, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(b.tcp.fwd_port, 0);
	ck_assert_uint_eq(b.tcp.fwd_addr, 0);
	ck_assert_uint_eq(b.tcp.fwd_dport, 0);
	mg_bootstrap_free(&b);
}
END_TEST

/* ---- dynamic_resources and node ---- */

/* lines 5-8: the xds cluster; then dynamic_resources */
#define DR_XDS                                                                       \
	SR "  clusters:\n"                                                           \
	   "  - name: xds\n"                                                         \
	   "    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: " \
	   "{socket_address: {address: 127.0.0.1, port_value: 15010}}}}]}]}\n"
#define DR_HEAD "dynamic_resources:\n"
#define DR_ADS(api, ver, svc)                  \
	"  ads_config:\n"                      \
	"    api_type: " api "\n"              \
	"    transport_api_version: " ver "\n" \
	"    grpc_services: [" svc "]\n"
#define DR_GOOD_ADS DR_ADS("GRPC", "V3", "{envoy_grpc: {cluster_name: xds}}")
#define DR_CDS_LDS  "  cds_config: {ads: {}}\n  lds_config: {ads: {}}\n"
/* after everything else, so it moves no line of the cases */
#define DR_NODE "node: {id: gw-1, cluster: gateways}\n"

START_TEST(test_dynamic_resources)
{
	static const char yaml[] = IF0 DR_XDS DR_HEAD DR_GOOD_ADS DR_CDS_LDS
	    "node: {id: gw-1, cluster: gateways, metadata: {region: eu}}\n";
	static const char yaml2[] = IF0 DR_HEAD DR_ADS(
	    "GRPC", "V3",
	    "{google_grpc: {target_uri: \"127.0.0.1:15011\"}}") "  lds_config: {ads: {}}\n" DR_NODE;
	struct mg_bootstrap b;
	char err[512];

	ck_assert_msg(parse(yaml, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert(b.ads.enabled && b.ads.cds && b.ads.lds);
	ck_assert_str_eq(b.ads.host, "127.0.0.1");
	ck_assert_uint_eq(b.ads.port, 15010);
	ck_assert_str_eq(b.ads.target, "cluster xds");
	ck_assert_ptr_nonnull(b.node);
	ck_assert_str_eq(b.node->id, "gw-1");
	ck_assert_str_eq(b.node->cluster, "gateways");
	ck_assert_ptr_nonnull(b.node->metadata);
	ck_assert_uint_eq(b.node->metadata->n_fields, 1);
	ck_assert_ptr_nonnull(b.dynamic_resources);
	ck_assert_ptr_nonnull(b.snapshot); /* the static xds cluster still compiles */
	mg_bootstrap_free(&b);
	ck_assert_ptr_null(b.dynamic_resources);
	ck_assert_msg(parse(yaml2, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert(b.ads.enabled && !b.ads.cds && b.ads.lds);
	ck_assert_str_eq(b.ads.host, "127.0.0.1");
	ck_assert_uint_eq(b.ads.port, 15011);
	ck_assert_str_eq(b.node->user_agent_name, "meshgate"); /* filled in when unset */
	ck_assert_str_eq(b.node->user_agent_version, MG_VERSION);
	mg_bootstrap_free(&b);
	ck_assert_msg(parse(IF0, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!b.ads.enabled);
	mg_bootstrap_free(&b);
}
END_TEST

static const struct err_case dr_err_cases[] = {
    {IF0 DR_XDS DR_HEAD DR_ADS("REST", "V3", "{envoy_grpc: {cluster_name: xds}}")
         DR_CDS_LDS DR_NODE,
     NAME ":11:15: dynamic_resources.ads_config.api_type: only GRPC (state-of-the-world ADS) "
          "is supported"},
    {IF0 DR_XDS DR_HEAD DR_ADS("DELTA_GRPC", "V3", "{envoy_grpc: {cluster_name: xds}}")
         DR_CDS_LDS DR_NODE,
     NAME ":11:15: dynamic_resources.ads_config.api_type: only GRPC"},
    {IF0 DR_XDS DR_HEAD DR_ADS("GRPC", "V2", "{envoy_grpc: {cluster_name: xds}}")
         DR_CDS_LDS DR_NODE,
     NAME ":12:28: dynamic_resources.ads_config.transport_api_version: must be V3"},
    {IF0 DR_XDS DR_HEAD DR_ADS("GRPC", "V3", "{envoy_grpc: {cluster_name: nope}}")
         DR_CDS_LDS DR_NODE,
     NAME ":13:49: dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: no "
          "static cluster \"nope\" in static_resources"},
    {IF0 DR_HEAD DR_GOOD_ADS DR_CDS_LDS DR_NODE,
     NAME ":9:49: dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: no "
          "static cluster \"xds\""},
    {IF0 DR_HEAD DR_ADS("GRPC", "V3", "{google_grpc: {target_uri: \"xds.local:15010\"}}")
         DR_CDS_LDS DR_NODE,
     NAME ":9:48: dynamic_resources.ads_config.grpc_services[0].google_grpc.target_uri: "
          "expected \"IPV4:PORT\""},
    {IF0 DR_HEAD DR_ADS("GRPC", "V3", "") DR_CDS_LDS DR_NODE,
     NAME ":9:20: dynamic_resources.ads_config.grpc_services: must name exactly one"},
    {IF0 DR_XDS DR_HEAD DR_GOOD_ADS
     "  cds_config: {ads: {}}\n  lds_config: {path: /etc/lds.yaml}\n" DR_NODE,
     NAME ":15:16: dynamic_resources.lds_config.path: unknown field \"path\""},
    {IF0 DR_XDS DR_HEAD DR_GOOD_ADS
     "  cds_config: {api_config_source: {api_type: REST, cluster_names: [x]}}\n" DR_NODE,
     NAME ":14:35: dynamic_resources.cds_config.api_config_source: only \"ads: {}\" is "
          "supported"},
    {IF0 DR_XDS DR_HEAD DR_GOOD_ADS "  cds_config: {ads: {}, initial_fetch_timeout: 5s}\n" DR_NODE,
     NAME ":14:48: dynamic_resources.cds_config.initial_fetch_timeout: only 0s is supported"},
    {IF0 DR_XDS DR_HEAD DR_GOOD_ADS, NAME ":10:3: dynamic_resources: set cds_config or lds_config"},
    {IF0 DR_XDS DR_HEAD DR_CDS_LDS, NAME ":10:3: dynamic_resources.ads_config: is required"},
    {IF0 DR_XDS DR_HEAD DR_GOOD_ADS DR_CDS_LDS,
     NAME ":10:3: dynamic_resources: needs node.id and node.cluster"},
    {IF0 DR_XDS DR_HEAD DR_GOOD_ADS DR_CDS_LDS "node: {id: gw-1}\n",
     NAME ":10:3: dynamic_resources: needs node.id and node.cluster"},
    {IF0 "node: {cluster: gateways}\n", NAME ":5:7: node.id: is required"},
    {IF0 "node: {id: a, build_version: x}\n", NAME ":5:15: node.build_version: unknown field"},
};

START_TEST(test_dynamic_resources_errors)
{
	check_err_case(&dr_err_cases[_i], _i);
}
END_TEST

static Suite *bootstrap_suite(void)
{
	Suite *s = suite_create("bootstrap");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_impair_tcp_full);
	tcase_add_test(tc, test_tcp_forward);
	tcase_add_loop_test(tc, test_ok, 0, (int)(sizeof(ok_cases) / sizeof(ok_cases[0])));
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(tc, test_small_err_buffer);
	tcase_add_test(tc, test_long_strings);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_example_file);
	tcase_add_test(tc, test_config_md);
	tcase_add_test(tc, test_static_resources);
	tcase_add_loop_test(tc, test_static_resources_errors, 0,
	                    (int)(sizeof(sr_err_cases) / sizeof(sr_err_cases[0])));
	tcase_add_test(tc, test_dynamic_resources);
	tcase_add_loop_test(tc, test_dynamic_resources_errors, 0,
	                    (int)(sizeof(dr_err_cases) / sizeof(dr_err_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bootstrap_suite());
	int failed;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mgtest-boot-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (rmdir(tmpdir) != 0)
		perror(tmpdir);
	return failed == 0 ? 0 : 1;
}
