/*
 * meshgate-ctrl — the controller: serves an Istio config directory to the
 * gateways over ADS (xDS state of the world, gRPC over HTTP/2).
 *
 *   meshgate-ctrl --config-dir DIR [--listen ADDR:PORT] [--status ADDR:PORT]
 *                 [--debounce-ms N] [--keepalive-ms N] [--keepalive-timeout-ms N]
 *
 * One thread, one epoll loop (ctrl/evloop.h): the ADS server
 * (ctrl/ads_server.h), the status endpoint (ctrl/status_http.h, pages
 * /debug/syncz and /ready), the directory watcher (ctrl/watch.h) and the
 * signals.  Each change of the directory is reloaded whole
 * (ctrl/reload.h); a good one becomes a new generation pushed to every
 * gateway, a bad one is logged with every error's file:line:col and the
 * last good generation stays.  SIGINT/SIGTERM end every stream with
 * grpc-status UNAVAILABLE and exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctrl/ads_server.h"
#include "ctrl/evloop.h"
#include "ctrl/net.h"
#include "ctrl/reload.h"
#include "ctrl/status_http.h"
#include "ctrl/syncz.h"
#include "ctrl/watch.h"
#include "xds/grpc.h"

#define EXIT_USAGE 2
/* gRPC server keepalive, istiod's defaults: a PING after 30 s of quiet, 10 s to answer. */
#define KEEPALIVE_MS         30000
#define KEEPALIVE_TIMEOUT_MS 10000

struct ctrl {
	struct mg_ctrl_config cc;
	struct mg_ads_server *ads;
	struct mg_ev sig;
	bool stop;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: meshgate-ctrl --config-dir DIR [--listen ADDR:PORT] [--status ADDR:PORT]\n"
	        "                     [--debounce-ms N] [--keepalive-ms N]\n"
	        "                     [--keepalive-timeout-ms N]\n"
	        "\n"
	        "Serve the Istio config in DIR to meshgate gateways over ADS (gRPC, HTTP/2\n"
	        "cleartext), reloading it when files change.\n"
	        "\n"
	        "  --config-dir DIR    the Istio YAML directory (*.yaml, *.yml)\n"
	        "  --listen ADDR:PORT  ADS endpoint (default 127.0.0.1:15010)\n"
	        "  --status ADDR:PORT  status endpoint: GET /debug/syncz, /ready\n"
	        "                      (default 127.0.0.1:15014)\n"
	        "  --debounce-ms N     quiet time after a file change before the reload\n"
	        "                      (default %d)\n"
	        "  --keepalive-ms N    PING a gateway connection after N ms without a byte\n"
	        "                      from it (HTTP/2 PING; default %d, 0: never)\n"
	        "  --keepalive-timeout-ms N\n"
	        "                      close it if the PING is not answered within N ms\n"
	        "                      (default %d)\n"
	        "  -h, --help          this help\n"
	        "  --version           the version\n",
	        MG_WATCH_DEBOUNCE_MS, KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS);
}

static int page(void *arg, const char *path, FILE *body, const char **ctype)
{
	struct ctrl *c = arg;

	if (strcmp(path, "/debug/syncz") == 0) {
		*ctype = "application/json";
		return mg_ctrl_syncz_write(body, &c->cc, c->ads) == 0 ? 200 : 500;
	}
	if (strcmp(path, "/ready") == 0) {
		fputs("ready\n", body);
		return 200;
	}
	fprintf(body, "not found: %s (try /debug/syncz, /ready)\n", path);
	return 404;
}

static void on_change(void *arg)
{
	struct ctrl *c = arg;

	if (mg_ctrl_reload(&c->cc) == 0)
		mg_ads_server_publish(c->ads, c->cc.snap);
}

static void on_signal(struct mg_ev *ev, uint32_t events)
{
	struct ctrl *c = (struct ctrl *)((char *)ev - offsetof(struct ctrl, sig));
	struct signalfd_siginfo si;

	(void)events;
	if (read(ev->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		mg_ctrl_log("signal %u: shutting down", si.ssi_signo);
		c->stop = true;
	}
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 600000)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* The value of option --name, in ms, into *out: min..600000, else a usage error. */
static int opt_ms(const char *name, const char *s, unsigned min, unsigned *out)
{
	if (parse_uint(s, out) < 0 || *out < min) {
		fprintf(stderr, "meshgate-ctrl: --%s wants %u..600000 ms\n", name, min);
		return -1;
	}
	return 0;
}

/* The command line. */
struct args {
	const char *dir, *listen, *status;
	unsigned debounce, keepalive, keepalive_timeout;
};

/* Fill a from the command line: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
	    {"config-dir", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"status", required_argument, NULL, 's'},
	    {"debounce-ms", required_argument, NULL, 'd'},
	    {"keepalive-ms", required_argument, NULL, 'k'},
	    {"keepalive-timeout-ms", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	*a = (struct args){.listen = "127.0.0.1:15010",
	                   .status = "127.0.0.1:15014",
	                   .debounce = MG_WATCH_DEBOUNCE_MS,
	                   .keepalive = KEEPALIVE_MS,
	                   .keepalive_timeout = KEEPALIVE_TIMEOUT_MS};
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->dir = optarg;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 's':
			a->status = optarg;
			break;
		case 'd':
			if (opt_ms("debounce-ms", optarg, 0, &a->debounce) < 0)
				return EXIT_USAGE;
			break;
		case 'k':
			if (opt_ms("keepalive-ms", optarg, 0, &a->keepalive) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (opt_ms("keepalive-timeout-ms", optarg, 1, &a->keepalive_timeout) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("meshgate-ctrl %s\n", MG_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (a->dir == NULL || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct args a;
	struct ctrl c = {0};
	struct mg_status_http *status = NULL;
	struct mg_watch *watch = NULL;
	sigset_t mask;
	int epfd, rc;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	c.sig.fn = on_signal;
	c.sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (epfd < 0 || c.sig.fd < 0 || mg_ev_ctl(epfd, EPOLL_CTL_ADD, &c.sig, EPOLLIN) < 0 ||
	    mg_ctrl_config_init(&c.cc, a.dir) < 0) {
		fprintf(stderr, "meshgate-ctrl: cannot set up: %s\n", strerror(errno));
		return 1;
	}

	/* The sockets first, so a bad --listen or --status fails before any work;
	 * nothing is served before the first reload (the loop has not run). */
	c.ads = mg_ads_server_new(epfd, a.listen, c.cc.snap, 0);
	if (c.ads == NULL) {
		fprintf(stderr, "meshgate-ctrl: --listen %s: %s\n", a.listen, strerror(errno));
		goto out;
	}
	rc = mg_ads_server_set_keepalive(c.ads, a.keepalive, a.keepalive_timeout);
	if (rc < 0) {
		fprintf(stderr, "meshgate-ctrl: cannot set up the keepalive timer: %s\n",
		        strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	status = mg_status_http_new(epfd, a.status, page, &c);
	if (status == NULL) {
		fprintf(stderr, "meshgate-ctrl: --status %s: %s\n", a.status, strerror(errno));
		goto out;
	}
	if (mg_ctrl_reload(&c.cc) < 0)
		mg_ctrl_log("no valid config in %s: serving an empty generation 0 until a valid "
		            "one appears",
		            a.dir);
	mg_ads_server_publish(c.ads, c.cc.snap);
	watch = mg_watch_new(epfd, a.dir, a.debounce, on_change, &c);
	if (watch == NULL) {
		fprintf(stderr, "meshgate-ctrl: cannot watch %s: %s\n", a.dir, strerror(errno));
		goto out;
	}
	mg_ctrl_log("meshgate-ctrl %s: ADS on %s (port %u), status on %s (port %u), config %s, "
	            "debounce %u ms, keepalive %u ms (answer within %u ms)",
	            MG_VERSION, a.listen, mg_ads_server_port(c.ads), a.status,
	            mg_status_http_port(status), a.dir, a.debounce, a.keepalive,
	            a.keepalive_timeout);

	while (!c.stop) {
		/* One event per wait: a callback may close connections (a push that
		 * fails), and a batch could still hold events for them. */
		struct epoll_event e;
		int n = epoll_wait(epfd, &e, 1, -1);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "meshgate-ctrl: epoll_wait: %s\n", strerror(errno));
			goto out;
		}
		if (n == 1) {
			struct mg_ev *ev = e.data.ptr;

			ev->fn(ev, e.events);
		}
	}
	mg_ads_server_close_all(c.ads, MG_GRPC_UNAVAILABLE, "meshgate-ctrl is shutting down", 1000);
	rc = 0;
out:
	mg_watch_free(watch);
	mg_status_http_free(status);
	mg_ads_server_free(c.ads);
	mg_ctrl_config_fini(&c.cc);
	close(c.sig.fd);
	close(epfd);
	if (rc == 0)
		mg_ctrl_log("stopped");
	return rc;
}
