/*
 * proxy_status.c — `meshgatectl proxy-status`: what the controller sent
 * each gateway and what the gateway ACKed, from the controller's GET
 * /debug/syncz (ctrl/syncz.h), as a table like `istioctl proxy-status`:
 *
 *   NAME          CDS                 LDS       EDS  RDS
 *   gw-1          SYNCED (v1a2b...)   NACKED    ...
 *
 * A cell is SYNCED (version) when the version sent was ACKed, STALE (sent
 * v, acked v) while an ACK is outstanding, NACKED when the last answer was
 * a NACK (its error is printed in full below the table: it is what the
 * operator has to fix, and a table cell would cut it), NOT SENT before the
 * first response.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_json.h"
#include "proxy_status.h"

/* istioctl's column order. */
static const char *const types[] = {"CDS", "LDS", "EDS", "RDS"};
#define N_TYPES 4

static void cell(yaml_document_t *d, yaml_node_t *t, char *buf, size_t len)
{
	const char *sent = mg_ctl_json_str(d, t, "sent", "");
	const char *acked = mg_ctl_json_str(d, t, "acked", "");

	if (mg_ctl_json_str(d, t, "nack", NULL) != NULL)
		snprintf(buf, len, "NACKED");
	else if (sent[0] == '\0')
		snprintf(buf, len, "NOT SENT");
	else if (strcmp(sent, acked) == 0)
		snprintf(buf, len, "SYNCED (%s)", sent);
	else
		snprintf(buf, len, "STALE (sent %s, acked %s)", sent, acked[0] ? acked : "none");
}

int mg_ctl_proxy_status(const char *ctrl)
{
	struct mg_ctl_doc doc;
	yaml_document_t *d;
	yaml_node_t *gws;
	size_t n, nacks = 0;
	int w[N_TYPES] = {0}, wn = 4;
	char c[64];

	if (strrchr(ctrl, ':') == NULL) {
		fprintf(stderr, "meshgatectl: --ctrl wants HOST:PORT, got \"%s\"\n", ctrl);
		return 2;
	}
	if (mg_ctl_fetch_json(ctrl, "/debug/syncz", "the controller's status endpoint", &doc) < 0)
		return 1;
	d = &doc.doc;
	gws = mg_ctl_json_get(d, doc.root, "gateways");
	if (gws == NULL) {
		fprintf(stderr, "meshgatectl: %s: /debug/syncz has no \"gateways\"\n", ctrl);
		mg_ctl_doc_free(&doc);
		return 1;
	}
	n = mg_ctl_json_len(gws);
	/* Column widths from the cells, so long versions stay aligned. */
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *g = mg_ctl_json_at(d, gws, i);
		int l = (int)strlen(mg_ctl_json_str(d, g, "id", "-"));

		wn = l > wn ? l : wn;
		for (int k = 0; k < N_TYPES; k++) {
			cell(d, mg_ctl_json_get(d, mg_ctl_json_get(d, g, "types"), types[k]), c,
			     sizeof(c));
			w[k] = (int)strlen(c) > w[k] ? (int)strlen(c) : w[k];
		}
	}
	printf("%-*s", wn, "NAME");
	for (int k = 0; k < N_TYPES; k++)
		printf("  %-*s", w[k], types[k]);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *g = mg_ctl_json_at(d, gws, i), *ts = mg_ctl_json_get(d, g, "types");

		printf("%-*s", wn, mg_ctl_json_str(d, g, "id", "-"));
		for (int k = 0; k < N_TYPES; k++) {
			cell(d, mg_ctl_json_get(d, ts, types[k]), c, sizeof(c));
			printf("  %-*s", w[k], c);
		}
		printf("\n");
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *g = mg_ctl_json_at(d, gws, i), *ts = mg_ctl_json_get(d, g, "types");

		for (int k = 0; k < N_TYPES; k++) {
			yaml_node_t *t = mg_ctl_json_get(d, ts, types[k]);
			const char *e = mg_ctl_json_str(d, t, "nack", NULL);

			if (e == NULL)
				continue;
			if (nacks++ == 0)
				printf("\n");
			printf("%s %s NACK of version %s: %s\n", mg_ctl_json_str(d, g, "id", "-"),
			       types[k], mg_ctl_json_str(d, t, "sent", "?"), e);
		}
	}
	if (n == 0)
		printf("(no gateway connected)\n");
	{
		const char *err = mg_ctl_json_str(d, doc.root, "config_error", NULL);

		printf("\ncontroller: generation %s%s%s\n",
		       mg_ctl_json_str(d, doc.root, "generation", "?"),
		       err != NULL ? ", last config rejected: " : "", err != NULL ? err : "");
	}
	mg_ctl_doc_free(&doc);
	return 0;
}
