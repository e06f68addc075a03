/*
 * main.c — mg-bench-inproc: cost per proxied HTTP request, deterministic.
 *
 * One process, one lcore, three workers (client, gateway, upstream; see
 * inproc.h), each polled in turn by mg_worker_poll_once() — the iteration
 * the gateway's lcore runs — until the requests are done.  Natively it
 * gives requests per second on one core for all three; under callgrind
 *
 *   valgrind --tool=callgrind --collect-atstart=no --instr-atstart=no \
 *       mg-bench-inproc --callgrind ...
 *
 * it counts only the measured phase (after a warm-up), and the inclusive
 * cost of mgb_poll_gateway() is the gateway worker's own share.
 *
 * Every response is checked (status 200, the body's length), the request
 * counts must match on the client and the upstream, and no link may drop a
 * frame; otherwise the tool says what went wrong and exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <valgrind/callgrind.h>

#include "inproc.h"
#include "meshgate/bootstrap.h"
#include "net/net.h"
#include "proxy/proxy.h"

#define IP4(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define MGB_CLIENT_IP   IP4(198, 18, 0, 2)
#define MGB_GW_C_IP     IP4(198, 18, 0, 1)
#define MGB_GW_U_IP     IP4(198, 18, 1, 1)
#define MGB_UP_IP       IP4(198, 18, 1, 2)
#define MGB_MBUFS       16383
/* --conns-hold: 28,232 ephemeral ports toward each of MGB_HOLD_PORTS listeners. */
#define MGB_HOLD_MAX 110000

/*
 * The gateway's config: a real bootstrap, parsed and compiled by the code
 * meshgate runs (mg_bootstrap_parse → mg_snapshot_compile): HTTP listeners
 * (one, or MGB_HOLD_PORTS for --conns-hold), one route, one cluster.  Its
 * interfaces section only satisfies the schema; the benchmark builds the
 * net conf below to match.
 */
static const char mgb_bootstrap_head[] =
    "interfaces:\n"
    "  - {name: client, device: net_null0, address: 198.18.0.1/24}\n"
    "  - {name: upstream, device: net_null1, address: 198.18.1.1/24}\n"
    "tcp:\n"
    "  max_connections: %u\n"
    "static_resources:\n"
    "  listeners:\n";
static const char mgb_bootstrap_listener[] =
    "  - name: web%u\n"
    "    address: {socket_address: {address: 0.0.0.0, port_value: %u}}\n"
    "    filter_chains:\n"
    "    - filters:\n"
    "      - name: envoy.filters.network.http_connection_manager\n"
    "        typed_config:\n"
    "          \"@type\": type.googleapis.com/"
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n"
    "          stat_prefix: web%u\n"
    "          route_config:\n"
    "            name: web%u\n"
    "            virtual_hosts:\n"
    "            - name: svc\n"
    "              domains: [\"*\"]\n"
    "              routes:\n"
    "              - match: {prefix: /}\n"
    "                route: {cluster: backend}\n";
static const char mgb_bootstrap_tail[] =
    "  clusters:\n"
    "  - name: backend\n"
    "    connect_timeout: 1s\n"
    "    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: "
    "{socket_address: {address: 198.18.1.2, port_value: 8081}}}}]}]}\n";

/* The bootstrap text into buf: n_listeners listeners on mgb_hold_ports[]. */
static size_t mgb_bootstrap_text(char *buf, size_t size, unsigned max_conns, unsigned n_listeners)
{
	size_t len = (size_t)snprintf(buf, size, mgb_bootstrap_head, max_conns);

	for (unsigned i = 0; i < n_listeners && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, mgb_bootstrap_listener, i,
		                        mgb_hold_ports[i], i, i);
	if (len < size)
		len += (size_t)snprintf(buf + len, size - len, "%s", mgb_bootstrap_tail);
	return len;
}

struct mgb_opts {
	bool newconn;
	uint64_t requests, warmup;
	unsigned conns;
	bool callgrind;  /* collect the measured phase, all three workers */
	bool cg_gateway; /* collect only the gateway's polls of the measured phase */
	double stall_s;
	const char *prefix;
	uint64_t hold; /* --conns-hold K: hold K idle connections instead */
};

static struct mgb_node mgb_client_node, mgb_gw_node, mgb_up_node;
static struct mg_bootstrap mgb_cfg;
/* --callgrind-gateway, during the measured phase: collect around each gateway poll. */
static bool mgb_collect_gateway;

/* ---- the three workers' poll iterations (noinline: callgrind's inclusive
 * cost of each is that worker's share) ---- */

static __attribute__((noinline)) unsigned mgb_poll_client(struct mgb_client *cl)
{
	unsigned work;

	mgb_client_step(cl);
	work = mg_worker_poll_once(&mgb_client_node.w);
	mgb_client_node.polls++;
	mgb_client_node.busy_polls += work > 0;
	return work;
}

static __attribute__((noinline)) unsigned mgb_poll_gateway(void)
{
	unsigned work;

	if (mgb_collect_gateway)
		CALLGRIND_TOGGLE_COLLECT;
	work = mg_worker_poll_once(&mgb_gw_node.w);
	if (mgb_collect_gateway)
		CALLGRIND_TOGGLE_COLLECT;

	mgb_gw_node.polls++;
	mgb_gw_node.busy_polls += work > 0;
	return work;
}

static __attribute__((noinline)) unsigned mgb_poll_upstream(void)
{
	unsigned work = mg_worker_poll_once(&mgb_up_node.w);

	mgb_up_node.polls++;
	mgb_up_node.busy_polls += work > 0;
	return work;
}

/*
 * Poll the three in turn until the client has target complete responses.
 * @return 0, or -EIO on a client error or link drop, -ETIMEDOUT when no
 *         response completed for stall_s seconds
 */
static int mgb_run(struct mgb_client *cl, uint64_t target, double stall_s)
{
	uint64_t hz = rte_get_tsc_hz(), last = rte_rdtsc(), last_done = cl->done;
	uint64_t rounds = 0;

	cl->target = target;
	while (cl->done < target) {
		mgb_poll_client(cl);
		mgb_poll_gateway();
		mgb_poll_upstream();
		if (cl->errors != 0 || mgb_link_drops != 0)
			return -EIO;
		/* Stall check every 1024 rounds: rdtsc is not free under valgrind. */
		if ((++rounds & 1023) == 0) {
			uint64_t now = rte_rdtsc();

			if (cl->done != last_done) {
				last_done = cl->done;
				last = now;
			} else if ((double)(now - last) / (double)hz > stall_s) {
				return -ETIMEDOUT;
			}
		}
	}
	return 0;
}

/* Let closes and delayed ACKs finish (not measured): up to 100 ms. */
static void mgb_settle(struct mgb_client *cl)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 10;

	while (rte_rdtsc() < end && cl->errors == 0) {
		unsigned work = mgb_poll_client(cl) + mgb_poll_gateway() + mgb_poll_upstream();

		if (work == 0 && cl->n_open == 0)
			break;
	}
}

/* ---- set-up ---- */

static void mgb_iface(struct mg_net_conf *nc, const char *name, rte_be32_t addr, uint8_t mac_last)
{
	struct mg_iface *ifc = &nc->ifaces[nc->n_ifaces++];

	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->addr = addr;
	ifc->prefix_len = 24;
	ifc->mask = RTE_BE32(0xffffff00);
	ifc->mtu = 1500;
	ifc->mac = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, mac_last}};
}

static void mgb_neigh(struct mg_net_conf *nc, rte_be32_t addr, uint8_t mac_last, uint8_t iface)
{
	struct mg_static_neigh *s = &nc->statics[nc->n_static++];

	s->addr = addr;
	s->mac = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, mac_last}};
	s->iface = iface;
}

/* Addresses, static neighbours (no ARP on the measured path), links. */
static int mgb_topology(void)
{
	struct mg_net_conf *c = &mgb_client_node.dp.net, *g = &mgb_gw_node.dp.net,
	                   *u = &mgb_up_node.dp.net;
	int rc;

	mgb_iface(c, "gw", MGB_CLIENT_IP, 0x02);
	mgb_neigh(c, MGB_GW_C_IP, 0x01, 0);
	mgb_iface(g, "client", MGB_GW_C_IP, 0x01);
	mgb_iface(g, "upstream", MGB_GW_U_IP, 0x11);
	mgb_neigh(g, MGB_CLIENT_IP, 0x02, 0);
	mgb_neigh(g, MGB_UP_IP, 0x12, 1);
	mgb_iface(u, "gw", MGB_UP_IP, 0x12);
	mgb_neigh(u, MGB_GW_U_IP, 0x11, 0);
	for (struct mg_net_conf *nc = c; nc != NULL; nc = nc == c ? g : nc == g ? u : NULL) {
		nc->arp_reachable_ms = 60000;
		nc->arp_retrans_ms = 1000;
		nc->arp_max_probes = 3;
		rc = mg_net_conf_finish(nc);
		if (rc < 0)
			return rc;
	}
	rc = mgb_node_init(&mgb_client_node, "cl", MGB_MBUFS);
	if (rc == 0)
		rc = mgb_node_init(&mgb_gw_node, "gw", MGB_MBUFS);
	if (rc == 0)
		rc = mgb_node_init(&mgb_up_node, "up", MGB_MBUFS);
	if (rc == 0)
		rc = mgb_link(&mgb_client_node, 0, &mgb_gw_node, 0, "l0");
	if (rc == 0)
		rc = mgb_link(&mgb_gw_node, 1, &mgb_up_node, 0, "l1");
	return rc;
}

/* TCP on the three, the gateway's config as main.c sets it up, the upstream. */
static int mgb_services(uint32_t peer_max_conns)
{
	struct mg_tcp_conf gw;
	/* The client keeps a TIME-WAIT per new connection: room for all of them. */
	struct mg_tcp_conf peer = {.max_conns = peer_max_conns};
	int rc;

	mg_bootstrap_tcp_conf(&mgb_cfg, &gw);
	rc = mg_tcp_register();
	if (rc == 0)
		rc = mg_tcp_worker_init(&mgb_client_node.w, &peer);
	if (rc == 0)
		rc = mg_tcp_worker_init(&mgb_gw_node.w, &gw);
	if (rc == 0)
		rc = mg_tcp_worker_init(&mgb_up_node.w, &peer);
	if (rc == 0)
		rc = mgb_upstream_start(&mgb_up_node.w);
	/* As mg_worker_adopt_config does on the gateway's lcore. */
	if (rc == 0)
		rc = mg_proxy_worker_start(&mgb_gw_node.w, mgb_cfg.snapshot);
	for (struct mgb_node *n = &mgb_client_node; rc == 0 && n != NULL;
	     n = n == &mgb_client_node ? &mgb_gw_node
	         : n == &mgb_gw_node   ? &mgb_up_node
	                               : NULL) {
		n->w.now = rte_rdtsc();
		mg_net_worker_start(&n->w); /* static neighbours, gratuitous ARP */
	}
	return rc;
}

/* ---- report ---- */

static uint64_t mgb_tcp_cnt(const struct mgb_node *n, unsigned idx)
{
	return ((const uint64_t *)&n->w.tcp->cnt)[idx];
}

/* Print n's non-zero TCP drop counters as a JSON object {"name": count, ...}. */
static void mgb_print_drops(const struct mgb_node *n)
{
	const char *sep = "";

	printf("{");
	for (unsigned i = MG_TCP_IDX_drop_runt; i < MG_TCP_N_COUNTERS; i++) {
		if (mgb_tcp_cnt(n, i) == 0)
			continue;
		printf("%s\"%s\": %" PRIu64, sep, mg_tcp_counter_descs[i].name, mgb_tcp_cnt(n, i));
		sep = ", ";
	}
	printf("}");
}

struct mgb_snap {
	uint64_t polls[3], busy[3], up_requests, gw_active_opens, gw_passive_opens, cl_opened;
	uint64_t retransmits, drops; /* TCP, the three workers together */
	uint64_t seg_out[3];         /* TCP segments each worker sent */
};

static const struct mgb_node *const mgb_nodes[3] = {&mgb_client_node, &mgb_gw_node, &mgb_up_node};

static void mgb_snap(struct mgb_snap *s, const struct mgb_client *cl)
{
	for (unsigned i = 0; i < 3; i++) {
		s->polls[i] = mgb_nodes[i]->polls;
		s->busy[i] = mgb_nodes[i]->busy_polls;
	}
	s->up_requests = mgb_upstream_requests;
	s->gw_active_opens = mgb_tcp_cnt(&mgb_gw_node, MG_TCP_IDX_active_opens);
	s->gw_passive_opens = mgb_tcp_cnt(&mgb_gw_node, MG_TCP_IDX_passive_opens);
	s->cl_opened = cl->opened;
	s->retransmits = s->drops = 0;
	for (unsigned i = 0; i < 3; i++) {
		s->retransmits += mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_retransmits);
		s->seg_out[i] = mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_seg_out);
		for (unsigned k = MG_TCP_IDX_drop_runt; k < MG_TCP_N_COUNTERS; k++)
			s->drops += mgb_tcp_cnt(mgb_nodes[i], k);
	}
}

static void mgb_report(const struct mgb_opts *o, const struct mgb_client *cl,
                       const struct mgb_snap *a, const struct mgb_snap *b, double secs, bool ok,
                       const char *why)
{
	static const char *const names[3] = {"client", "gateway", "upstream"};
	double n = (double)o->requests;

	printf("{\"tool\": \"mg-bench-inproc\", \"mode\": \"%s\", \"requests\": %" PRIu64
	       ", \"warmup\": %" PRIu64 ", \"conns\": %u, \"seconds\": %.6f, "
	       "\"requests_per_s\": %.1f, \"under_valgrind\": %s, \"callgrind\": %s,\n",
	       o->newconn ? "newconn" : "keepalive", o->requests, o->warmup, o->conns, secs,
	       secs > 0 ? n / secs : 0.0, RUNNING_ON_VALGRIND ? "true" : "false",
	       o->callgrind    ? "\"all\""
	       : o->cg_gateway ? "\"gateway\""
	                       : "false");
	printf(" \"measured\": {\"upstream_requests\": %" PRIu64
	       ", \"client_connections_opened\": %" PRIu64
	       ", \"gateway_client_connections_accepted\": %" PRIu64
	       ", \"gateway_upstream_connections_opened\": %" PRIu64
	       ", \"tcp_retransmits\": %" PRIu64 ", \"tcp_drops\": %" PRIu64 "},\n",
	       b->up_requests - a->up_requests, b->cl_opened - a->cl_opened,
	       b->gw_passive_opens - a->gw_passive_opens, b->gw_active_opens - a->gw_active_opens,
	       b->retransmits - a->retransmits, b->drops - a->drops);
	/* Segments per request: the work; if they differ between a native run
	 * and a callgrind run, timing (delayed ACKs, batching) changed it. */
	printf(" \"segments_out_per_request\": {");
	for (unsigned i = 0; i < 3; i++)
		printf("%s\"%s\": %.3f", i ? ", " : "", names[i],
		       (double)(b->seg_out[i] - a->seg_out[i]) / n);
	printf("},\n \"polls_per_request\": {");
	for (unsigned i = 0; i < 3; i++)
		printf("%s\"%s\": %.3f, \"%s_busy\": %.3f", i ? ", " : "", names[i],
		       (double)(b->polls[i] - a->polls[i]) / n, names[i],
		       (double)(b->busy[i] - a->busy[i]) / n);
	/* Whole run, warm-up included (a first translation under valgrind can be
	 * slow enough for an RTO: that is warm-up, outside the measured phase). */
	printf("},\n \"tcp_whole_run\": {");
	for (unsigned i = 0; i < 3; i++) {
		printf("%s\"%s\": {\"retransmits\": %" PRIu64 ", \"rto_expired\": %" PRIu64
		       ", \"tlp_probes\": %" PRIu64 ", \"delayed_acks\": %" PRIu64
		       ", \"active_opens\": %" PRIu64 ", \"passive_opens\": %" PRIu64
		       ", \"drops\": ",
		       i ? ", " : "", names[i], mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_retransmits),
		       mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_rto_expired),
		       mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_tlp_probes),
		       mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_delayed_acks),
		       mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_active_opens),
		       mgb_tcp_cnt(mgb_nodes[i], MG_TCP_IDX_passive_opens));
		mgb_print_drops(mgb_nodes[i]);
		printf("}");
	}
	printf("},\n \"responses_ok\": %" PRIu64 ", \"errors\": %" PRIu64
	       ", \"link_drops\": %" PRIu64 ", \"ok\": %s, \"error\": \"%s\"}\n",
	       cl->done, cl->errors, mgb_link_drops, ok ? "true" : "false", why);
	fflush(stdout);
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: mg-bench-inproc [--mode keepalive|newconn] [--requests N] [--conns C]\n"
	        "                       [--warmup W] [--callgrind | --callgrind-gateway]\n"
	        "                       [--stall-timeout S]\n"
	        "                       [--file-prefix P] [--conns-hold K]\n"
	        "\n"
	        "Client, gateway (the real proxy on a static_resources config) and an HTTP\n"
	        "upstream as three meshgate workers on one lcore; prints one JSON object.\n"
	        "  --mode       keepalive: C kept-alive connections, one request in flight each\n"
	        "               newconn: a new client connection per request (the gateway's\n"
	        "               upstream connections stay pooled, as in production)\n"
	        "  --requests   measured requests (default 20000)\n"
	        "  --conns      concurrent client connections (default 16)\n"
	        "  --warmup     requests before the measured phase (default max(conns, 1000))\n"
	        "  --callgrind  mark the measured phase for valgrind --tool=callgrind\n"
	        "               --collect-atstart=no --instr-atstart=no\n"
	        "  --callgrind-gateway  the same, collecting only the gateway worker's polls\n"
	        "  --conns-hold K  instead: open K idle HTTP connections through the gateway\n"
	        "               (up to %u) and report its memory per connection\n"
	        "Exit status 0 when every response was a checked 200 and the counts match.\n",
	        MGB_HOLD_MAX);
}

static int mgb_args(int argc, char **argv, struct mgb_opts *o)
{
	static const struct option opts[] = {
	    {"mode", required_argument, NULL, 'm'},
	    {"requests", required_argument, NULL, 'n'},
	    {"conns", required_argument, NULL, 'c'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"callgrind", no_argument, NULL, 'g'},
	    {"callgrind-gateway", no_argument, NULL, 'G'},
	    {"stall-timeout", required_argument, NULL, 's'},
	    {"file-prefix", required_argument, NULL, 'p'},
	    {"conns-hold", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool warm_set = false;
	int opt;

	*o = (struct mgb_opts){.requests = 20000, .conns = 16, .stall_s = 10.0};
	while ((opt = getopt_long(argc, argv, "m:n:c:w:gs:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "newconn") != 0 && strcmp(optarg, "keepalive") != 0)
				return -1;
			o->newconn = strcmp(optarg, "newconn") == 0;
			break;
		case 'n':
			o->requests = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			o->conns = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			o->warmup = strtoull(optarg, NULL, 10);
			warm_set = true;
			break;
		case 'g':
			o->callgrind = true;
			break;
		case 'G':
			o->cg_gateway = true;
			break;
		case 's':
			o->stall_s = strtod(optarg, NULL);
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'H':
			o->hold = strtoull(optarg, NULL, 10);
			if (o->hold == 0 || o->hold > MGB_HOLD_MAX)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (!warm_set)
		o->warmup = RTE_MAX((uint64_t)o->conns, (uint64_t)1000);
	if (optind != argc || o->requests == 0 || o->conns == 0 || o->conns > MGB_MAX_CONNS ||
	    o->stall_s <= 0 || (o->callgrind && o->cg_gateway))
		return -1;
	/* Each new connection leaves a TIME-WAIT on the client (60 s): the
	 * ephemeral range 32768..60999 bounds a run. */
	if (o->newconn && o->requests + o->warmup > 28000) {
		fprintf(stderr, "mg-bench-inproc: newconn: at most 28000 requests with the warm-up "
		                "(one ephemeral port each, held in TIME-WAIT)\n");
		return -1;
	}
	return 0;
}

static int mgb_eal(const struct mgb_opts *o)
{
	char prefix[64], lcore[32];
	char *argv[] = {"mg-bench-inproc",
	                "-l",
	                lcore,
	                "--no-huge",
	                "-m",
	                "512",
	                "--no-shconf",
	                "--no-pci",
	                "--no-telemetry",
	                "--log-level",
	                "lib.eal:error",
	                "--file-prefix",
	                prefix,
	                NULL};
	cpu_set_t set;
	int cpu = 0;

	/* The lcore on the CPU we are allowed to run on (taskset works). */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set))
			cpu++;
	snprintf(lcore, sizeof(lcore), "%d", cpu);
	if (o->prefix != NULL)
		snprintf(prefix, sizeof(prefix), "%s", o->prefix);
	else
		snprintf(prefix, sizeof(prefix), "mgb-inproc-%d", (int)getpid());
	return rte_eal_init((int)MG_ARRAY_SIZE(argv) - 1, argv) < 0 ? -rte_errno : 0;
}

/*
 * Warm-up, then the measured phase (marked for callgrind as asked); s0/s1
 * are the counters around the measured phase, *secs its duration.
 * @return 0, or an error of mgb_run()
 */
static int mgb_measure(const struct mgb_opts *o, struct mgb_client *cl, struct mgb_snap *s0,
                       struct mgb_snap *s1, double *secs)
{
	bool collecting;
	uint64_t t0, t1;
	int rc;

	/*
	 * Instrumentation starts before the warm-up (collection stays off):
	 * callgrind's first translation of the code is slow enough for TCP's
	 * retransmission timer to fire, and that belongs in the warm-up, not
	 * in the count.
	 */
	if (o->callgrind || o->cg_gateway)
		CALLGRIND_START_INSTRUMENTATION;
	/* Warm-up: connections up, the gateway's upstream pool filled, caches warm. */
	rc = mgb_run(cl, o->warmup, o->stall_s);
	mgb_snap(s0, cl);
	collecting = rc == 0 && o->callgrind;
	if (collecting)
		CALLGRIND_TOGGLE_COLLECT;
	mgb_collect_gateway = rc == 0 && o->cg_gateway;
	t0 = rte_rdtsc();
	if (rc == 0)
		rc = mgb_run(cl, o->warmup + o->requests, o->stall_s);
	t1 = rte_rdtsc();
	if (collecting)
		CALLGRIND_TOGGLE_COLLECT;
	mgb_collect_gateway = false;
	if (o->callgrind || o->cg_gateway)
		CALLGRIND_STOP_INSTRUMENTATION;
	mgb_snap(s1, cl);
	*secs = (double)(t1 - t0) / (double)rte_get_tsc_hz();
	return rc;
}

/* What went wrong, or "" when every check passed. */
static const char *mgb_verdict(const struct mgb_opts *o, const struct mgb_client *cl,
                               const struct mgb_snap *s0, const struct mgb_snap *s1, int rc)
{
	if (rc == -ETIMEDOUT)
		return "stalled: no response completed within the stall timeout";
	if (cl->errors != 0)
		return cl->first_error;
	if (mgb_link_drops != 0)
		return "a link ring was full";
	if (rc < 0)
		return strerror(-rc);
	if (cl->done != o->warmup + o->requests || s1->up_requests - s0->up_requests != o->requests)
		return "request counts differ between the client and the upstream";
	return "";
}

static void mgb_teardown(struct mgb_client *cl)
{
	char rundir[PATH_MAX];

	mgb_client_fini(cl);
	mg_tcp_worker_fini(&mgb_client_node.w);
	mg_tcp_worker_fini(&mgb_gw_node.w);
	mg_tcp_worker_fini(&mgb_up_node.w);
	mg_proxy_worker_stop(&mgb_gw_node.w); /* after TCP: closing calls back into the proxy */
	mgb_node_fini(&mgb_client_node);
	mgb_node_fini(&mgb_gw_node);
	mgb_node_fini(&mgb_up_node);
	mg_bootstrap_free(&mgb_cfg);
	/* --no-shconf leaves the runtime directory empty; do not leave it behind. */
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	(void)rmdir(rundir);
}

/* Resident set size of this process, bytes (/proc/self/statm). */
static uint64_t mgb_rss(void)
{
	unsigned long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t mgb_mbufs_in_use(void)
{
	return rte_mempool_in_use_count(mgb_client_node.w.pool) +
	       rte_mempool_in_use_count(mgb_gw_node.w.pool) +
	       rte_mempool_in_use_count(mgb_up_node.w.pool);
}

/*
 * --conns-hold: open o->hold idle connections through the gateway, then
 * report the gateway's accounted memory per connection (its TCB and HTTP
 * connection manager, as /stats' memory block counts them) and the
 * process's RSS growth per connection (which includes the client's side
 * too: both ends live in this process).
 * @return 0, or -EIO/-ETIMEDOUT with the reason printed
 */
static int mgb_hold_run(const struct mgb_opts *o)
{
	/* Static: the teardown's on_close calls come after this returns. */
	static struct mgb_hold h;
	struct mg_worker *gw = &mgb_gw_node.w;
	uint64_t rss0 = mgb_rss(), mb0 = mgb_mbufs_in_use(), hz = rte_get_tsc_hz();
	uint64_t est0 = mg_tcp_count(gw, MG_TCP_ESTABLISHED), t0 = rte_rdtsc(), last = t0, seen = 0;
	uint64_t est, rss1, mb1;
	const char *why = "";

	h = (struct mgb_hold){.w = &mgb_client_node.w, .dst = MGB_GW_C_IP, .target = o->hold};
	for (;;) {
		mgb_hold_step(&h);
		mg_worker_poll_once(&mgb_client_node.w);
		mg_worker_poll_once(gw);
		mg_worker_poll_once(&mgb_up_node.w);
		est = mg_tcp_count(gw, MG_TCP_ESTABLISHED) - est0;
		if (h.errors != 0 || mgb_link_drops != 0) {
			why = h.errors != 0 ? h.first_error : "a link ring was full";
			break;
		}
		if (h.established == h.target && est >= h.target)
			break;
		if (h.established != seen) {
			seen = h.established;
			last = rte_rdtsc();
		} else if ((double)(rte_rdtsc() - last) / (double)hz > o->stall_s) {
			why = "stalled while opening connections";
			break;
		}
	}
	/* Let the last ACKs and any timers settle (100 ms), then read. */
	for (uint64_t end = rte_rdtsc() + hz / 10; rte_rdtsc() < end;) {
		mg_worker_poll_once(&mgb_client_node.w);
		mg_worker_poll_once(gw);
		mg_worker_poll_once(&mgb_up_node.w);
	}
	est = mg_tcp_count(gw, MG_TCP_ESTABLISHED) - est0;
	rss1 = mgb_rss();
	mb1 = mgb_mbufs_in_use();
	printf("{\"tool\": \"mg-bench-inproc\", \"mode\": \"hold\", \"connections\": %" PRIu64
	       ", \"seconds_to_open\": %.3f, \"gateway_established\": %" PRIu64
	       ", \"gateway_tcp_conn_bytes\": %zu, \"gateway_http_conn_bytes\": %zu"
	       ", \"gateway_accounted_bytes_per_conn\": %.1f"
	       ", \"process_rss_growth_bytes_per_conn\": %.1f, \"rss_before\": %" PRIu64
	       ", \"rss_with\": %" PRIu64 ", \"mbufs_held_per_conn\": %.3f"
	       ", \"ok\": %s, \"error\": \"%s\"}\n",
	       o->hold, (double)(rte_rdtsc() - t0) / (double)hz, est, mg_tcp_conn_size(),
	       mg_proxy_hcm_size(),
	       (double)est * (double)(mg_tcp_conn_size() + mg_proxy_hcm_size()) / (double)o->hold,
	       ((double)rss1 - (double)rss0) / (double)o->hold, rss0, rss1,
	       ((double)mb1 - (double)mb0) / (double)o->hold, *why == '\0' ? "true" : "false", why);
	fflush(stdout);
	h.stopping = true; /* the teardown's aborts are not errors */
	if (*why != '\0')
		fprintf(stderr, "mg-bench-inproc: FAILED: %s\n", why);
	return *why == '\0' ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	struct mgb_client cl = {0};
	struct mgb_snap s0, s1;
	struct mgb_opts o;
	static char text[16384];
	const char *why;
	char err[512];
	double secs = 0;
	uint32_t max_conns;
	size_t len;
	int rc;

	if (mgb_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	/* Connection tables: room for every TIME-WAIT of a newconn run, or the held ones. */
	max_conns = o.hold > 0 ? (uint32_t)(o.hold + 8192) : 65536;
	len = mgb_bootstrap_text(text, sizeof(text), max_conns, o.hold > 0 ? MGB_HOLD_PORTS : 1);
	rc = mg_bootstrap_parse("mg-bench-inproc", text, len, &mgb_cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "mg-bench-inproc: %s\n", err);
		return 1;
	}
	rc = mgb_eal(&o);
	if (rc < 0) {
		fprintf(stderr, "mg-bench-inproc: EAL: %s\n", rte_strerror(-rc));
		return 1;
	}
	rc = mgb_topology();
	if (rc == 0)
		rc = mgb_services(max_conns);
	if (rc < 0) {
		fprintf(stderr, "mg-bench-inproc: set-up: %s\n", strerror(-rc));
		return 1;
	}
	if (o.hold > 0) {
		rc = mgb_hold_run(&o);
		cl.stopping = true;
		mgb_teardown(&cl);
		return rc == 0 ? 0 : 1;
	}
	cl.w = &mgb_client_node.w;
	cl.dst = MGB_GW_C_IP;
	cl.newconn = o.newconn;
	cl.conns = o.conns;
	rc = mgb_client_init(&cl);
	if (rc == 0)
		rc = mgb_measure(&o, &cl, &s0, &s1, &secs);
	else {
		mgb_snap(&s0, &cl);
		s1 = s0;
	}
	if (rc == 0)
		mgb_settle(&cl);
	why = mgb_verdict(&o, &cl, &s0, &s1, rc);
	mgb_report(&o, &cl, &s0, &s1, secs, *why == '\0', why);
	if (*why != '\0')
		fprintf(stderr, "mg-bench-inproc: FAILED: %s\n", why);
	mgb_teardown(&cl);
	return *why == '\0' ? 0 : 1;
}
