/*
 * main.c — meshgate, the gateway: read the bootstrap, start EAL, ports and
 * workers, then run the control core until SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "core/publish.h"
#include "core/worker.h"
#include "meshgate/admin_config.h"
#include "meshgate/bootstrap.h"
#include "meshgate/control.h"
#include "meshgate/port.h"
#include "meshgate/snapshots.h"
#include "net/impair.h"
#include "tcp/tcp.h"
#include "net/net.h"
#include "proxy/proxy.h"

static volatile sig_atomic_t mg_stop;
static volatile sig_atomic_t mg_reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		mg_reload = 1;
	else
		mg_stop = 1;
}

/*
 * A crash prints where it happened before the process dies, so a gateway
 * that falls over in CI or production leaves a trace in its log.  Not under
 * AddressSanitizer, whose own handler reports more.
 */
#ifndef __SANITIZE_ADDRESS__
static void on_fatal(int sig)
{
	static const char msg[] = "meshgate: fatal signal, backtrace follows\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more we can do */
	}
	rte_dump_stack();
	raise(sig); /* SA_RESETHAND restored the default action: dump core and die */
}
#endif

static void install_fatal_handlers(void)
{
#ifndef __SANITIZE_ADDRESS__
	struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND};
	int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < MG_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
#endif
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: meshgate --config FILE [--check]\n"
	        "       meshgate --help | --version\n"
	        "\n"
	        "meshgate is a service-mesh gateway on DPDK: poll-mode workers run a userspace\n"
	        "network stack on the ports named in the bootstrap; the main lcore serves the\n"
	        "admin API (/ready, /stats, /metrics, /neighbors, /config_dump, and /ads\n"
	        "with dynamic_resources: configuration from a controller over ADS).\n"
	        "\n"
	        "Options:\n"
	        "  -c, --config FILE  bootstrap YAML (see docs/CONFIG.md)\n"
	        "  -n, --check        validate the bootstrap and exit (no EAL, no ports)\n"
	        "  -h, --help         show this help and exit\n"
	        "  -V, --version      show the version and exit\n"
	        "\n"
	        "SIGINT or SIGTERM stops the gateway cleanly (exit status 0).\n");
}

/* The gateway's runtime, torn down in reverse order by gw_teardown(). */
struct gw {
	struct mg_bootstrap cfg;
	struct mg_dp dp;
	struct mg_ctl ctl;
	struct mg_snapshots snaps; /* publishing and freeing config snapshots */
	struct mg_config_src dump; /**< what /config_dump reads */
	unsigned ports_up;
	bool eal_up;
};

static void dp_net_from_cfg(struct mg_net_conf *nc, const struct mg_bootstrap *cfg)
{
	memset(nc, 0, sizeof(*nc));
	nc->n_ifaces = cfg->n_ifaces;
	for (unsigned i = 0; i < cfg->n_ifaces; i++) {
		const struct mg_cfg_iface *ci = &cfg->ifaces[i];
		struct mg_iface *ifc = &nc->ifaces[i];

		/* memcpy, not snprintf: GCC's -Wrestrict misfires on the latter
		 * once this is inlined next to the static struct gw. */
		size_t len = strnlen(ci->name, sizeof(ifc->name) - 1);

		memcpy(ifc->name, ci->name, len);
		ifc->name[len] = '\0';
		ifc->addr = ci->addr;
		ifc->prefix_len = ci->prefix_len;
		ifc->mask = ci->prefix_len ? rte_cpu_to_be_32(~0u << (32 - ci->prefix_len)) : 0;
		ifc->mtu = ci->mtu;
	}
	for (unsigned i = 0; i < cfg->n_routes; i++) {
		struct mg_route *r = &nc->routes[nc->n_routes++];

		r->prefix = cfg->routes[i].prefix;
		r->len = cfg->routes[i].len;
		r->mask = r->len ? rte_cpu_to_be_32(~0u << (32 - r->len)) : 0;
		r->via = cfg->routes[i].via;
		r->iface = cfg->routes[i].iface;
	}
	nc->n_static = cfg->n_neigh;
	for (unsigned i = 0; i < cfg->n_neigh; i++) {
		nc->statics[i].addr = cfg->neigh[i].addr;
		nc->statics[i].mac = cfg->neigh[i].mac;
		nc->statics[i].iface = cfg->neigh[i].iface;
	}
	nc->arp_reachable_ms = cfg->arp_reachable_ms;
	nc->arp_retrans_ms = cfg->arp_retrans_ms;
	nc->arp_max_probes = cfg->arp_max_probes;
}

static int gw_eal_init(struct gw *gw)
{
	char *argv[MG_MAX_EAL_ARGS + 1];
	int argc = 0, rc;

	argv[argc++] = (char *)"meshgate";
	for (int i = 0; i < gw->cfg.eal_argc; i++)
		argv[argc++] = gw->cfg.eal_argv[i];
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "meshgate: EAL initialisation failed: %s\n",
		        rte_strerror(rte_errno));
		return -1;
	}
	gw->eal_up = true;
	if (rte_lcore_count() < gw->cfg.n_workers + 1) {
		fprintf(stderr,
		        "meshgate: %u worker(s) need %u lcores (one control core), EAL has %u: "
		        "widen -l/--lcores in eal.args\n",
		        gw->cfg.n_workers, gw->cfg.n_workers + 1, rte_lcore_count());
		return -1;
	}
	return 0;
}

static int gw_workers_init(struct gw *gw)
{
	struct mg_dp *dp = &gw->dp;
	unsigned lcore, idx = 0;
	size_t qsz;

	dp->n_workers = gw->cfg.n_workers;
	dp->idle = gw->cfg.idle;
	dp->tsc_hz = rte_get_tsc_hz();
	qsz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	dp->qs = rte_zmalloc("mg_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (dp->qs == NULL || rte_rcu_qsbr_init(dp->qs, dp->n_workers) != 0 ||
	    mg_snapshots_init(&gw->snaps, dp, gw->cfg.snapshot,
	                      (const uint16_t[]){gw->cfg.tcp.echo_port, gw->cfg.tcp.discard_port,
	                                         gw->cfg.tcp.source_port, gw->cfg.tcp.fwd_port},
	                      4) != 0) {
		fprintf(stderr, "meshgate: cannot set up RCU state\n");
		return -1;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (idx == dp->n_workers)
			break;
		dp->workers[idx] =
		    mg_worker_create(dp, (uint16_t)idx, lcore, gw->cfg.mbufs_per_worker);
		if (dp->workers[idx] == NULL) {
			fprintf(stderr,
			        "meshgate: worker %u: cannot allocate (%s); "
			        "give EAL more memory (-m) or lower mbufs_per_worker\n",
			        idx, strerror(errno));
			return -1;
		}
		rte_rcu_qsbr_thread_register(dp->qs, idx);
		idx++;
	}
	return 0;
}

/* "loss 1.5% delay 20000us" for the knobs of d that are set, or "off". */
static void impair_dir_str(const struct mg_cfg_impair_dir *d, char *buf, size_t size)
{
	const struct {
		const char *name;
		uint32_t ppm;
	} rates[] = {{"loss", d->loss_ppm},
	             {"duplicate", d->dup_ppm},
	             {"reorder", d->reorder_ppm},
	             {"corrupt", d->corrupt_ppm}};
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < MG_ARRAY_SIZE(rates) && len < size; i++)
		if (rates[i].ppm != 0)
			len +=
			    (size_t)snprintf(buf + len, size - len, " %s %u.%04u%%", rates[i].name,
			                     rates[i].ppm / 10000, rates[i].ppm % 10000);
	if (d->delay_us != 0 && len < size)
		len += (size_t)snprintf(buf + len, size - len, " delay %uus", d->delay_us);
	if (d->jitter_us != 0 && len < size)
		len += (size_t)snprintf(buf + len, size - len, " jitter %uus", d->jitter_us);
	if (len == 0)
		snprintf(buf, size, " off");
}

/* The impairment stage on every worker, if the bootstrap asks for it (loudly). */
static int gw_impair_init(struct gw *gw)
{
	struct mg_cfg_impair cfgs[MG_MAX_IFACES];
	char rx[160], tx[160];
	int rc;

	for (unsigned i = 0; i < gw->cfg.n_ifaces; i++) {
		const struct mg_cfg_impair *c = &gw->cfg.ifaces[i].impair;

		cfgs[i] = *c;
		if (!c->enabled)
			continue;
		impair_dir_str(&c->rx, rx, sizeof(rx));
		impair_dir_str(&c->tx, tx, sizeof(tx));
		MG_LOG(INFO, "interface %s is IMPAIRED on purpose (seed %llu): rx%s; tx%s",
		       gw->cfg.ifaces[i].name, (unsigned long long)c->seed, rx, tx);
	}
	for (unsigned w = 0; w < gw->dp.n_workers; w++) {
		rc = mg_impair_attach(gw->dp.workers[w], cfgs, gw->cfg.n_ifaces);
		if (rc < 0) {
			fprintf(stderr,
			        "meshgate: worker %u: cannot set up the impairment stage: %s\n", w,
			        strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static int gw_ports_init(struct gw *gw)
{
	char err[512];
	int rc;

	dp_net_from_cfg(&gw->dp.net, &gw->cfg);
	rc = mg_net_conf_finish(&gw->dp.net);
	if (rc < 0) {
		fprintf(stderr,
		        "meshgate: %s: routes or neighbours do not fit the interfaces: %s\n",
		        gw->cfg.path, strerror(-rc));
		return -1;
	}
	for (unsigned i = 0; i < gw->cfg.n_ifaces; i++) {
		rc = mg_port_setup(&gw->dp, &gw->cfg.ifaces[i], &gw->dp.net.ifaces[i],
		                   gw->cfg.rx_desc, gw->cfg.tx_desc, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "meshgate: %s\n", err);
			return -1;
		}
		gw->ports_up++;
	}
	return gw_impair_init(gw);
}

/*
 * TCP on every worker, and the built-in services on every worker too: RSS
 * (or af_packet's fanout) may hand a new connection to any of them.
 */
static int gw_tcp_init(struct gw *gw)
{
	const struct mg_cfg_tcp *t = &gw->cfg.tcp;
	struct mg_tcp_conf conf;
	int rc = mg_tcp_register();

	mg_bootstrap_tcp_conf(&gw->cfg, &conf);
	for (unsigned i = 0; rc == 0 && i < gw->dp.n_workers; i++) {
		struct mg_worker *w = gw->dp.workers[i];

		rc = mg_tcp_worker_init(w, &conf);
		if (rc == 0)
			rc =
			    mg_tcp_services_start(w, t->echo_port, t->discard_port, t->source_port);
		if (rc == 0 && t->fwd_port != 0)
			rc = mg_tcp_forward_start(w, t->fwd_port, t->fwd_addr, t->fwd_dport);
	}
	if (rc < 0) {
		fprintf(stderr, "meshgate: cannot set up TCP: %s\n", strerror(-rc));
		return -1;
	}
	if (t->echo_port || t->discard_port || t->source_port)
		MG_LOG(INFO, "TCP services: echo %u, discard %u, source %u (0 = off)", t->echo_port,
		       t->discard_port, t->source_port);
	if (t->fwd_port != 0) {
		char dst[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &t->fwd_addr, dst, sizeof(dst));
		MG_LOG(INFO, "TCP forward: port %u to %s:%u", t->fwd_port, dst, t->fwd_dport);
	}
	return 0;
}

/*
 * Publish the static_resources snapshot to the workers (the same path a
 * snapshot from xDS will take).  The workers are not running yet; each
 * adopts it on its own lcore at its first loop iteration, and
 * gw_proxy_wait() waits for that before the gateway says it is ready.
 *
 * With dynamic_resources and no static listener, nothing is published here:
 * such a snapshot would serve nothing (clusters alone, such as the one
 * naming the controller), and every ADS snapshot is compiled from the
 * static resources too, so the first one the ADS client applies is the
 * first the workers take.
 */
static bool gw_static_published(const struct gw *gw)
{
	const struct mg_snapshot *s = gw->cfg.snapshot;

	return s != NULL && !(gw->cfg.ads.enabled && s->n_listeners == 0);
}

static int gw_proxy_init(struct gw *gw)
{
	struct mg_snapshot *s = gw->cfg.snapshot;
	char err[256];
	int rc;

	if (!gw_static_published(gw))
		return 0;
	rc = mg_snapshots_check(&gw->snaps, s, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "meshgate: %s: static_resources.%s\n", gw->cfg.path, err);
		return -1;
	}
	rc = mg_snapshots_publish(&gw->snaps, s);
	if (rc < 0) {
		fprintf(stderr, "meshgate: cannot publish static_resources: %s\n", strerror(-rc));
		return -1;
	}
	return 0;
}

/** How long the workers get to open the static listeners at start. */
#define GW_ADOPT_TIMEOUT_MS 10000

/*
 * Wait until every worker serves the published static snapshot, so its
 * listeners are open before the admin API is served (GET /ready answers
 * only from mg_ctl_run()) and before "ready" is logged.
 * @return 0 when all serve it (or there is none), 1 when a signal asked to
 *         stop meanwhile, -1 when a worker failed or took too long
 */
static int gw_proxy_wait(struct gw *gw)
{
	const struct mg_snapshot *s = gw->cfg.snapshot;
	uint64_t deadline =
	    rte_get_timer_cycles() + GW_ADOPT_TIMEOUT_MS * rte_get_timer_hz() / 1000;
	unsigned i = 0;

	if (!gw_static_published(gw))
		return 0;
	while (i < gw->dp.n_workers) {
		int st = mg_worker_snapshot_status(gw->dp.workers[i], s);

		if (st > 0) {
			i++;
			continue;
		}
		if (st < 0) {
			fprintf(stderr, "meshgate: cannot serve static_resources: worker %u: %s\n",
			        i, strerror(-st));
			return -1;
		}
		if (mg_stop)
			return 1;
		if (rte_get_timer_cycles() > deadline) {
			fprintf(
			    stderr,
			    "meshgate: cannot serve static_resources: worker %u did not take the "
			    "snapshot within %u ms\n",
			    i, GW_ADOPT_TIMEOUT_MS);
			return -1;
		}
		mg_ctl_poll_workers(&gw->ctl); /* keep relaying neighbours meanwhile */
		rte_delay_us_sleep(1000);
	}
	MG_LOG(INFO, "serving static_resources: %u listener(s), %u cluster(s)", s->n_listeners,
	       s->n_clusters);
	return 0;
}

static void gw_teardown(struct gw *gw)
{
	struct mg_dp *dp = &gw->dp;

	__atomic_store_n(&dp->stop, true, __ATOMIC_RELAXED);
	if (gw->eal_up)
		rte_eal_mp_wait_lcore();
	mg_ctl_fini(&gw->ctl);
	for (unsigned i = 0; i < MG_MAX_WORKERS; i++)
		if (dp->workers[i] != NULL)
			mg_tcp_worker_fini(dp->workers[i]);
	/* After TCP: closing connections calls back into the proxy. */
	for (unsigned i = 0; i < MG_MAX_WORKERS; i++)
		if (dp->workers[i] != NULL)
			mg_proxy_worker_stop(dp->workers[i]);
	/* Workers are offline and let go of every snapshot: free the retired
	 * ones; the bootstrap frees its own below. */
	mg_snapshots_fini(&gw->snaps);
	mg_port_teardown(dp, gw->ports_up);
	for (unsigned i = 0; i < MG_MAX_WORKERS; i++) {
		mg_impair_detach(dp->workers[i]); /* a worker that never ran still has it */
		mg_worker_destroy(dp->workers[i]);
	}
	rte_free(dp->qs);
	if (gw->eal_up)
		rte_eal_cleanup();
	mg_bootstrap_free(&gw->cfg);
}

/*
 * SIGHUP: read the bootstrap file again and serve its static_resources live,
 * as nginx and HAProxy reload (Envoy has no reload; its config comes over
 * xDS, which takes the same path).  Only static_resources change; the other
 * sections (ports, workers, TCP, admin) need a restart and are not compared.
 * A file that fails to load or compile is reported with its position and
 * the running config stays.
 */
static void gw_reload(void *arg)
{
	struct gw *gw = arg;
	struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr;
	struct mg_bootstrap nb;
	struct mg_snapshot *s;
	char err[512];
	int rc;

	if (gw->cfg.ads.enabled) {
		/* The ADS client compiles static and dynamic resources together;
		 * a static-only snapshot would drop what the controller sent. */
		MG_LOG(WARNING, "reload: ignored: with dynamic_resources the configuration comes "
		                "from the controller (restart to change static_resources)");
		return;
	}
	rc = mg_bootstrap_load(gw->cfg.path, &nb, err, sizeof(err));
	if (rc < 0) {
		MG_LOG(ERR, "reload: %s; still serving the previous config", err);
		return;
	}
	if (nb.snapshot == NULL) {
		MG_LOG(ERR, "reload: %s has no static_resources; still serving the previous config",
		       gw->cfg.path);
		mg_bootstrap_free(&nb);
		return;
	}
	s = nb.snapshot;
	nb.snapshot = NULL; /* the control core's now, applied or not */
	s->version = gw->snaps.seq + 1;
	MG_LOG(INFO, "reload: %s: config %" PRIu64 ": %u listener(s), %u cluster(s)", gw->cfg.path,
	       s->version, s->n_listeners, s->n_clusters);
	rc = mg_ctl_apply_snapshot(&gw->ctl, s, err, sizeof(err));
	if (rc < 0) {
		MG_LOG(ERR, "reload: %s: static_resources.%s; still serving the previous config",
		       gw->cfg.path, err);
		mg_bootstrap_free(&nb);
		return;
	}
	/* /config_dump shows the resources now served. */
	sr = gw->cfg.static_resources;
	gw->cfg.static_resources = nb.static_resources;
	gw->cfg.n_static_listeners = nb.n_static_listeners;
	gw->cfg.n_static_clusters = nb.n_static_clusters;
	nb.static_resources = sr;
	mg_bootstrap_free(&nb);
}

static int gw_run(struct gw *gw)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int rc;

	rc = mg_ctl_init(&gw->ctl, &gw->dp, gw->cfg.admin_addr, gw->cfg.admin_port);
	if (rc < 0) {
		fprintf(stderr, "meshgate: admin API on %s:%u: %s\n", gw->cfg.admin_addr,
		        gw->cfg.admin_port, strerror(-rc));
		return -1;
	}
	gw->ctl.snaps = &gw->snaps;
	rc = mg_ctl_start_ads(&gw->ctl, &gw->cfg);
	if (rc < 0) {
		fprintf(stderr, "meshgate: cannot start the ADS client: %s\n", strerror(-rc));
		return -1;
	}
	gw->dump = (struct mg_config_src){.boot = &gw->cfg, .ads = gw->ctl.ads};
	if (gw->ctl.admin != NULL && mg_admin_register(gw->ctl.admin, "GET", "/config_dump",
	                                               mg_config_dump_handler, &gw->dump) < 0) {
		fprintf(stderr, "meshgate: admin API: cannot register /config_dump\n");
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	gw->ctl.reload_req = &mg_reload;
	gw->ctl.reload_fn = gw_reload;
	gw->ctl.reload_arg = gw;
	install_fatal_handlers();
	for (unsigned i = 0; i < gw->dp.n_workers; i++)
		rte_eal_remote_launch(mg_worker_main, gw->dp.workers[i],
		                      gw->dp.workers[i]->lcore_id);
	rc = gw_proxy_wait(gw);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	/* With dynamic_resources the gateway is ready (admin up) before any ADS
	 * answer; the workers serve the first snapshot the ADS client applies. */
	MG_LOG(INFO, "ready: %u worker(s), %u interface(s), admin %s:%u%s", gw->dp.n_workers,
	       gw->dp.net.n_ifaces, gw->cfg.admin_addr, gw->cfg.admin_port,
	       gw->ctl.ads != NULL ? "; configuration from ADS" : "");
	return mg_ctl_run(&gw->ctl, &mg_stop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	bool check_only = false;
	static struct gw gw;
	char err[1024];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:nhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("meshgate %s\n", MG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (config == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	rc = mg_bootstrap_load(config, &gw.cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "meshgate: %s\n", err);
		return 1;
	}
	if (check_only) {
		if (gw.cfg.static_resources != NULL)
			printf("%s: OK; static_resources: %u listeners, %u clusters\n", config,
			       gw.cfg.n_static_listeners, gw.cfg.n_static_clusters);
		else
			printf("%s: OK\n", config);
		if (gw.cfg.ads.enabled)
			printf("dynamic_resources: ADS from %s:%u (%s)%s%s\n", gw.cfg.ads.host,
			       gw.cfg.ads.port, gw.cfg.ads.target,
			       gw.cfg.ads.cds ? ", clusters" : "",
			       gw.cfg.ads.lds ? ", listeners" : "");
		mg_bootstrap_free(&gw.cfg);
		return 0;
	}
	rc = gw_eal_init(&gw);
	if (rc == 0)
		rc = gw_workers_init(&gw);
	if (rc == 0)
		rc = gw_ports_init(&gw);
	if (rc == 0)
		rc = gw_tcp_init(&gw);
	if (rc == 0)
		rc = gw_proxy_init(&gw);
	if (rc == 0)
		rc = gw_run(&gw);
	gw_teardown(&gw);
	return rc == 0 ? 0 : 1;
}
