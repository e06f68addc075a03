/*
 * meshgatectl — the operator's command line for meshgate.
 *
 *   meshgatectl validate DIR   check an Istio config directory offline with
 *                              the controller's own decoder and validator
 *                              (as `istioctl analyze` does)
 *   meshgatectl proxy-config listeners|routes|clusters|endpoints [--admin HOST:PORT]
 *                              a gateway's live config from its admin API
 *                              (GET /config_dump), as `istioctl proxy-config`
 *   meshgatectl proxy-status [--ctrl HOST:PORT]
 *                              each gateway's xDS sync state from the
 *                              controller (GET /debug/syncz), as
 *                              `istioctl proxy-status`
 *   meshgatectl --help | --version
 *
 * Diagnostics go to stdout as "FILE:LINE:COL: error|warning: message",
 * then one summary line.  Exit status: 0 valid (warnings allowed), 1
 * invalid, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctrl/diag.h"
#include "ctrl/istio_load.h"
#include "proxy_config.h"
#include "proxy_status.h"

#define EXIT_VALID   0
#define EXIT_INVALID 1
#define EXIT_USAGE   2

static void usage(FILE *out)
{
	fprintf(out, "usage: meshgatectl COMMAND [ARGS]\n"
	             "\n"
	             "commands:\n"
	             "  validate DIR   check the Istio YAML in DIR (*.yaml, *.yml) and print\n"
	             "                 every problem as FILE:LINE:COL: error|warning: message\n"
	             "  proxy-config listeners|routes|clusters|endpoints [--admin HOST:PORT]\n"
	             "                 a gateway's live configuration, from its admin API's\n"
	             "                 /config_dump (default 127.0.0.1:15000)\n"
	             "  proxy-status [--ctrl HOST:PORT]\n"
	             "                 each gateway's xDS sync state per type, from the\n"
	             "                 controller's /debug/syncz (default 127.0.0.1:15014)\n"
	             "\n"
	             "options:\n"
	             "  -h, --help     show this help\n"
	             "  --version      show the version\n"
	             "\n"
	             "exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error\n");
}

static size_t n_resources(const struct mg_istio_config *c)
{
	return c->n_gateways + c->n_virtual_services + c->n_destination_rules +
	       c->n_service_entries + c->n_workload_entries + c->n_peer_authentications +
	       c->n_authorization_policies;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static int cmd_validate(const char *dir)
{
	struct mg_istio_config cfg;
	struct mg_diag d;
	int rc;

	mg_diag_init(&d);
	rc = mg_istio_load_dir(dir, &cfg, &d);
	mg_diag_print(&d, stdout);
	if (rc == 0)
		printf("%s: valid: %zu resource%s in %zu file%s, %zu error%s, %zu warning%s\n", dir,
		       n_resources(&cfg), plural(n_resources(&cfg)), cfg.n_files,
		       plural(cfg.n_files), d.n_errors, plural(d.n_errors), d.n_warnings,
		       plural(d.n_warnings));
	else if (rc == -ENOMEM)
		printf("%s: out of memory\n", dir);
	else
		printf("%s: invalid: %zu error%s, %zu warning%s\n", dir, d.n_errors,
		       plural(d.n_errors), d.n_warnings, plural(d.n_warnings));
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
	return rc == 0 ? EXIT_VALID : EXIT_INVALID;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_VALID;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("meshgatectl %s\n", MG_VERSION);
		return EXIT_VALID;
	}
	if (strcmp(argv[1], "validate") == 0) {
		if (argc != 3 || argv[2][0] == '-') {
			fprintf(stderr, "meshgatectl: usage: meshgatectl validate DIR\n");
			return EXIT_USAGE;
		}
		return cmd_validate(argv[2]);
	}
	if (strcmp(argv[1], "proxy-config") == 0) {
		const char *admin = "127.0.0.1:15000";

		if (argc == 5 && strcmp(argv[3], "--admin") == 0)
			admin = argv[4];
		else if (argc != 3) {
			fprintf(stderr,
			        "meshgatectl: usage: meshgatectl proxy-config "
			        "listeners|routes|clusters|endpoints [--admin HOST:PORT]\n");
			return EXIT_USAGE;
		}
		return mg_ctl_proxy_config(argv[2], admin);
	}
	if (strcmp(argv[1], "proxy-status") == 0) {
		const char *ctrl = "127.0.0.1:15014";

		if (argc == 4 && strcmp(argv[2], "--ctrl") == 0)
			ctrl = argv[3];
		else if (argc != 2) {
			fprintf(
			    stderr,
			    "meshgatectl: usage: meshgatectl proxy-status [--ctrl HOST:PORT]\n");
			return EXIT_USAGE;
		}
		return mg_ctl_proxy_status(ctrl);
	}
	fprintf(stderr, "meshgatectl: unknown command \"%s\" (try --help)\n", argv[1]);
	return EXIT_USAGE;
}
