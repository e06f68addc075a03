/*
 * test_switch.c — a worker's listeners across live config switches
 * (dataplane/proxy/proxy_worker.c, listeners_switch): the real TCP listener
 * table of one worker, snapshots compiled from static_resources YAML.
 *
 * What a switch must do with the table: kept listeners stay (handed to the
 * new config), new ones open, removed ones close; a listener whose address
 * changes on a port it keeps (0.0.0.0 and a unicast address cannot both
 * listen on one port) and a change that swaps more listeners than the table
 * holds side by side both succeed; and a switch that fails leaves exactly the
 * old listeners, on the old config.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mempool.h>

#include "core/worker.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "net/net.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"
#include "xds/compile.h"
#include "xds/xds.h"

typedef Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources StaticResources;

#define HCM_TYPE                          \
	"\"@type\": type.googleapis.com/" \
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define OUR_IP UINT32_C(0xc6120001) /* 198.18.0.1 */

static struct rte_mempool *pool;
static struct mg_dp dp;
static struct mg_worker *w;
static struct mg_snapshot *snaps[8];
static unsigned n_snaps;

static uint16_t no_io(struct mg_worker *wk, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	(void)wk;
	(void)iface;
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	return n;
}

static uint16_t no_rx(struct mg_worker *wk, uint8_t iface, struct rte_mbuf **pkts, uint16_t n)
{
	(void)wk;
	(void)iface;
	(void)pkts;
	(void)n;
	return 0;
}

static const struct mg_port_ops ops = {.rx_burst = no_rx, .tx_burst = no_io};

/* The accept hook of the stand-in service listener: no SYN ever comes. */
static void *no_accept(void *arg, struct mg_tcp_conn *c)
{
	(void)arg;
	(void)c;
	return NULL;
}

/*
 * A snapshot with one direct-response HTTP listener per "ADDR:PORT" word of
 * spec (listener names l<PORT>_<n>); kept until the test ends.
 */
static struct mg_snapshot *snap_of(const char *spec)
{
	char yaml[8192], words[512], *save = NULL;
	size_t len = (size_t)snprintf(yaml, sizeof(yaml), "listeners:\n");
	yaml_parser_t p;
	yaml_document_t doc;
	struct mg_xds_err xe;
	ProtobufCMessage *m = NULL;
	struct mg_snapshot *s = NULL;
	char err[256] = "";
	unsigned n = 0;

	snprintf(words, sizeof(words), "%s", spec);
	for (char *t = strtok_r(words, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		char *colon = strrchr(t, ':');

		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		len += (size_t)snprintf(
		    yaml + len, sizeof(yaml) - len,
		    "- name: l%s_%u\n"
		    "  address: {socket_address: {address: %s, port_value: %s}}\n"
		    "  filter_chains: [{filters: [{name: hcm, typed_config: {" HCM_TYPE ", "
		    "stat_prefix: s, route_config: {virtual_hosts: [{name: v, domains: [\"*\"], "
		    "routes: [{match: {prefix: /}, direct_response: {status: 200}}]}]}}}]}]\n",
		    colon + 1, n++, t, colon + 1);
		ck_assert_uint_lt(len, sizeof(yaml));
	}
	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	ck_assert(yaml_parser_load(&p, &doc));
	yaml_parser_delete(&p);
	ck_assert_int_eq(mg_xds_decode_yaml(
	                     &doc, yaml_document_get_root_node(&doc),
	                     &envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor,
	                     "", &m, &xe),
	                 0);
	yaml_document_delete(&doc);
	{
		StaticResources *sr = (StaticResources *)m;
		struct mg_resources r = {.listeners = sr->listeners,
		                         .n_listeners = sr->n_listeners};

		ck_assert_msg(mg_snapshot_compile(&r, n_snaps + 1, &s, err, sizeof(err)) == 0,
		              "compile: %s", err);
		mg_xds_free(&sr->base);
	}
	s->seq = n_snaps + 1;
	ck_assert_uint_lt(n_snaps, sizeof(snaps) / sizeof(snaps[0]));
	snaps[n_snaps++] = s;
	return s;
}

/* The listener at addr:port in w's TCP table, or NULL. */
static const struct mg_tcp_listener *at(uint32_t addr, uint16_t port)
{
	for (unsigned i = 0; i < MG_TCP_MAX_LISTENERS; i++) {
		const struct mg_tcp_listener *l = &w->tcp->listeners[i];

		if (l->port == rte_cpu_to_be_16(port) && l->addr == rte_cpu_to_be_32(addr))
			return l;
	}
	return NULL;
}

static unsigned n_open(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MG_TCP_MAX_LISTENERS; i++)
		n += w->tcp->listeners[i].port != 0;
	return n;
}

/* The table holds exactly s's listeners, each serving s's listener. */
static void table_is(const struct mg_snapshot *s)
{
	ck_assert_uint_eq(n_open(), s->n_listeners);
	for (uint32_t i = 0; i < s->n_listeners; i++) {
		const struct mg_listener *li = s->listeners[i];
		const struct mg_tcp_listener *l = at(rte_be_to_cpu_32(li->addr), li->port);

		ck_assert_msg(l != NULL, "listener %s on port %u is not open", li->name.s,
		              li->port);
		ck_assert_ptr_eq(l->arg, li);
	}
}

static void setup(void)
{
	struct mg_tcp_conf tc = {.max_conns = 16};

	memset(&dp, 0, sizeof(dp));
	dp.n_workers = 1;
	dp.tsc_hz = 1000000000ull;
	dp.net.n_ifaces = 1;
	snprintf(dp.net.ifaces[0].name, sizeof(dp.net.ifaces[0].name), "client");
	dp.net.ifaces[0].addr = rte_cpu_to_be_32(OUR_IP);
	dp.net.ifaces[0].prefix_len = 24;
	dp.net.ifaces[0].mtu = 1500;
	ck_assert_int_eq(mg_net_conf_finish(&dp.net), 0);
	w = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*w));
	ck_assert_ptr_nonnull(w);
	memset(w, 0, sizeof(*w));
	w->dp = &dp;
	w->net = &dp.net;
	w->port_ops = &ops;
	w->pool = pool;
	w->now = 1000ull * dp.tsc_hz;
	dp.workers[0] = w;
	ck_assert_int_eq(mg_tcp_worker_init(w, &tc), 0);
	n_snaps = 0;
}

static void teardown(void)
{
	mg_tcp_worker_fini(w);
	mg_proxy_worker_stop(w);
	mg_worker_flush(w);
	free(w);
	w = NULL;
	for (unsigned i = 0; i < n_snaps; i++)
		mg_snapshot_free(snaps[i]);
}

START_TEST(kept_new_removed)
{
	struct mg_snapshot *a = snap_of("0.0.0.0:8080 0.0.0.0:8081");
	struct mg_snapshot *b = snap_of("0.0.0.0:8080 0.0.0.0:8082");

	ck_assert_int_eq(mg_proxy_worker_start(w, a), 0);
	table_is(a);
	ck_assert_int_eq(mg_proxy_worker_start(w, b), 0);
	table_is(b);
	ck_assert_ptr_null(at(0, 8081));
}
END_TEST

/* 0.0.0.0:8090 -> 198.18.0.1:8090 and back: the old one must close first. */
START_TEST(address_change_on_kept_port)
{
	struct mg_snapshot *a = snap_of("0.0.0.0:8080 0.0.0.0:8090");
	struct mg_snapshot *b = snap_of("0.0.0.0:8080 198.18.0.1:8090");
	struct mg_snapshot *c = snap_of("0.0.0.0:8080 0.0.0.0:8090");

	ck_assert_int_eq(mg_proxy_worker_start(w, a), 0);
	table_is(a);
	ck_assert_int_eq(mg_proxy_worker_start(w, b), 0);
	table_is(b);
	ck_assert_ptr_null(at(0, 8090));
	ck_assert_int_eq(mg_proxy_worker_start(w, c), 0);
	table_is(c);
}
END_TEST

/* 10 listeners swapped for 10 others: 20 never fit in the table at once. */
START_TEST(swap_more_than_table_holds)
{
	struct mg_snapshot *a = snap_of("0.0.0.0:9000 0.0.0.0:9001 0.0.0.0:9002 0.0.0.0:9003 "
	                                "0.0.0.0:9004 0.0.0.0:9005 0.0.0.0:9006 0.0.0.0:9007 "
	                                "0.0.0.0:9008 0.0.0.0:9009");
	struct mg_snapshot *b = snap_of("0.0.0.0:9100 0.0.0.0:9101 0.0.0.0:9102 0.0.0.0:9103 "
	                                "0.0.0.0:9104 0.0.0.0:9105 0.0.0.0:9106 0.0.0.0:9107 "
	                                "0.0.0.0:9108 0.0.0.0:9000");

	ck_assert_uint_gt(a->n_listeners + b->n_listeners - 1, MG_TCP_MAX_LISTENERS);
	ck_assert_int_eq(mg_proxy_worker_start(w, a), 0);
	table_is(a);
	ck_assert_int_eq(mg_proxy_worker_start(w, b), 0);
	table_is(b);
}
END_TEST

/*
 * A switch that cannot complete (a port someone else listens on) is undone:
 * the listeners it opened close, the ones it closed early open again on the
 * old config, and the worker keeps serving the old snapshot.
 */
START_TEST(failed_switch_restores_old_listeners)
{
	static const struct mg_tcp_cbs cbs;
	struct mg_snapshot *a = snap_of("0.0.0.0:8080 0.0.0.0:8090");
	struct mg_snapshot *b = snap_of("0.0.0.0:8080 198.18.0.1:8090 0.0.0.0:8091 0.0.0.0:7");
	struct mg_snapshot *c = snap_of("0.0.0.0:8080 198.18.0.1:8090");

	ck_assert_int_eq(mg_proxy_worker_start(w, a), 0);
	/* A TCP service's port (the control core refuses such a config first;
	 * this is the worker's own line of defence). */
	ck_assert_int_eq(mg_tcp_listen(w, 0, 7, &cbs, no_accept, NULL), 0);
	ck_assert_int_eq(mg_proxy_worker_start(w, b), -EADDRINUSE);
	ck_assert_uint_eq(n_open(), a->n_listeners + 1);
	for (uint32_t i = 0; i < a->n_listeners; i++)
		ck_assert_ptr_eq(at(0, a->listeners[i]->port)->arg, a->listeners[i]);
	ck_assert_ptr_null(at(OUR_IP, 8090));
	ck_assert_ptr_null(at(0, 8091));
	/* The worker still switches to a config that fits. */
	ck_assert_int_eq(mg_proxy_worker_start(w, c), 0);
	ck_assert_ptr_eq(at(OUR_IP, 8090)->arg, c->listeners[1]);
	ck_assert_ptr_null(at(0, 8090));
}
END_TEST

int main(void)
{
	char prefix[64];
	char *argv[] = {"mgtest",        "--no-huge",     "-m",   "64",
	                "--no-pci",      "--file-prefix", prefix, "--log-level",
	                "lib.eal:error", "--no-telemetry"};
	Suite *s = suite_create("switch");
	TCase *tc = tcase_create("listeners");
	SRunner *sr;
	int failed;

	snprintf(prefix, sizeof(prefix), "mgtest-switch-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("mgtest_switch", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                               SOCKET_ID_ANY);
	if (pool == NULL || mg_tcp_register() != 0) {
		fprintf(stderr, "cannot create the test pool or register TCP\n");
		return 1;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kept_new_removed);
	tcase_add_test(tc, address_change_on_kept_port);
	tcase_add_test(tc, swap_more_than_table_holds);
	tcase_add_test(tc, failed_switch_restores_old_listeners);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_eal_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
