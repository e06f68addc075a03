/*
 * control.c — the control core loop: admin API, neighbour relay, RCU reclaim,
 * the ADS client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "common/mg_buf.h"
#include "core/publish.h"
#include "core/worker.h"
#include "meshgate/ads_client.h"
#include "meshgate/bootstrap_types.h"
#include "meshgate/admin_stats.h"
#include "meshgate/control.h"
#include "xds/compile.h"
#include "net/net.h"

/** Longest the control loop sleeps in poll() before looking at the rings. */
#define MG_CTL_TICK_MS 5

static int ready_handler(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	const struct mg_dp *dp = arg;

	(void)req;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		if (rte_eal_get_lcore_state(dp->workers[i]->lcore_id) != RUNNING) {
			resp->status = 503;
			mg_buf_printf(&resp->body, "worker %u is not running\n", i);
			return 0;
		}
	}
	mg_buf_printf(&resp->body, "LIVE\n");
	return 0;
}

static void neigh_json(struct mg_buf *b, const struct mg_dp *dp, const struct mg_neigh *e,
                       bool first)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &e->addr, ip, sizeof(ip));
	mg_buf_printf(b, "%s{\"address\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",",
	              first ? "" : ",", ip, RTE_ETHER_ADDR_BYTES(&e->mac));
	mg_buf_printf(b, "\"interface\":");
	mg_buf_json_str(b, dp->net.ifaces[e->iface].name);
	mg_buf_printf(b, ",\"state\":\"%s\"}", mg_neigh_state_name(e->state));
}

static int neighbors_handler(void *arg, const struct mg_admin_req *req, struct mg_admin_resp *resp)
{
	struct mg_ctl *ctl = arg;
	bool first = true;

	(void)req;
	resp->content_type = "application/json";
	mg_buf_printf(&resp->body, "{\"neighbors\":[");
	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++) {
		const struct mg_neigh *e = &ctl->neigh.slot[i];

		if (e->state == MG_NEIGH_FREE || e->state == MG_NEIGH_INCOMPLETE)
			continue;
		neigh_json(&resp->body, ctl->dp, e, first);
		first = false;
	}
	mg_buf_printf(&resp->body, "]}\n");
	return 0;
}

/* Record a learned neighbour in the mirror and tell every other worker. */
static void ctl_neigh_learned(struct mg_ctl *ctl, const struct mg_msg *msg)
{
	struct mg_dp *dp = ctl->dp;
	struct mg_neigh *e = mg_neigh_get(&ctl->neigh, msg->u.neigh.addr);
	struct mg_msg upd = *msg;

	if (e != NULL && e->state != MG_NEIGH_STATIC) {
		e->state = MG_NEIGH_REACHABLE;
		e->mac = msg->u.neigh.mac;
		e->iface = msg->u.neigh.iface;
		e->deadline_tsc = rte_rdtsc() + mg_ms_to_tsc(dp, dp->net.arp_reachable_ms);
	}
	upd.type = MG_MSG_NEIGH_UPDATE;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		if (i == msg->worker)
			continue;
		if (mg_ctl_send(dp->workers[i], &upd) == 0)
			ctl->relayed++;
		else
			ctl->relay_dropped++;
	}
}

unsigned mg_ctl_poll_workers(struct mg_ctl *ctl)
{
	struct mg_dp *dp = ctl->dp;
	unsigned handled = 0;
	struct mg_msg msg;

	for (unsigned i = 0; i < dp->n_workers; i++) {
		while (mg_ctl_recv(dp->workers[i], &msg) == 0) {
			handled++;
			if (msg.type == MG_MSG_NEIGH_LEARNED)
				ctl_neigh_learned(ctl, &msg);
		}
	}
	return handled;
}

/*
 * Drop mirror entries the workers will have expired too.  Addresses are
 * collected first and removed afterwards: backward-shift deletion moves
 * entries, so removing while walking could skip or revisit one.
 */
static void ctl_neigh_expire(struct mg_ctl *ctl)
{
	rte_be32_t gone[MG_NEIGH_SLOTS];
	uint64_t now = rte_rdtsc();
	unsigned n = 0;

	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++) {
		const struct mg_neigh *e = &ctl->neigh.slot[i];

		if ((e->state == MG_NEIGH_REACHABLE && now > e->deadline_tsc) ||
		    e->state == MG_NEIGH_INCOMPLETE)
			gone[n++] = e->addr;
	}
	for (unsigned i = 0; i < n; i++) {
		struct mg_neigh *e = mg_neigh_lookup(&ctl->neigh, gone[i]);

		if (e != NULL)
			mg_neigh_remove(&ctl->neigh, e);
	}
}

static void ctl_load_statics(struct mg_ctl *ctl)
{
	const struct mg_net_conf *nc = &ctl->dp->net;

	for (unsigned i = 0; i < nc->n_static; i++) {
		struct mg_neigh *e = mg_neigh_get(&ctl->neigh, nc->statics[i].addr);

		if (e == NULL)
			break;
		e->state = MG_NEIGH_STATIC;
		e->mac = nc->statics[i].mac;
		e->iface = nc->statics[i].iface;
	}
}

int mg_ctl_init(struct mg_ctl *ctl, struct mg_dp *dp, const char *addr, uint16_t port)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->dp = dp;
	ctl->start_tsc = rte_rdtsc();
	ctl_load_statics(ctl);
	if (port == 0)
		return 0;
	ctl->admin = mg_admin_open(addr, port);
	if (ctl->admin == NULL)
		return -errno;
	if (mg_admin_register(ctl->admin, "GET", "/ready", ready_handler, dp) < 0 ||
	    mg_admin_register(ctl->admin, "GET", "/stats", mg_stats_handler_json, dp) < 0 ||
	    mg_admin_register(ctl->admin, "GET", "/metrics", mg_stats_handler_prom, dp) < 0 ||
	    mg_admin_register(ctl->admin, "GET", "/neighbors", neighbors_handler, ctl) < 0) {
		mg_admin_close(ctl->admin);
		ctl->admin = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int ctl_apply(void *arg, struct mg_snapshot *s, char *err, size_t errlen)
{
	return mg_ctl_apply_snapshot(arg, s, err, errlen);
}

int mg_ctl_start_ads(struct mg_ctl *ctl, const struct mg_bootstrap *cfg)
{
	if (!cfg->ads.enabled)
		return 0;
	ctl->ads = mg_ads_client_new(cfg, ctl_apply, ctl);
	if (ctl->ads == NULL)
		return -errno;
	if (ctl->admin != NULL &&
	    mg_admin_register(ctl->admin, "GET", "/ads", mg_ads_admin_handler, ctl->ads) < 0)
		return -ENOMEM;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int mg_ctl_run(struct mg_ctl *ctl, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		if (ctl->admin != NULL)
			(void)mg_admin_poll(ctl->admin, MG_CTL_TICK_MS);
		else
			rte_delay_us_sleep(MG_CTL_TICK_MS * 1000);
		mg_ctl_poll_workers(ctl);
		ctl_neigh_expire(ctl);
		if (ctl->reload_req != NULL && *ctl->reload_req && ctl->reload_fn != NULL) {
			*ctl->reload_req = 0;
			ctl->reload_fn(ctl->reload_arg);
		}
		if (ctl->snaps != NULL)
			(void)mg_snapshots_reap(ctl->snaps);
		/* never blocks; the ADS socket is polled once per tick */
		mg_ads_poll(ctl->ads, mono_ms());
	}
	return 0;
}

int mg_ctl_apply_snapshot(struct mg_ctl *ctl, struct mg_snapshot *s, char *err, size_t errlen)
{
	int rc;

	if (ctl->snaps == NULL) {
		snprintf(err, errlen, "the gateway serves no config snapshots");
		rc = -ENOTSUP;
	} else {
		rc = mg_snapshots_check(ctl->snaps, s, err, errlen);
	}
	if (rc == 0) {
		rc = mg_snapshots_publish(ctl->snaps, s);
		if (rc < 0)
			snprintf(err, errlen,
			         "too many replaced configs are still draining; try again later");
	}
	if (rc < 0)
		mg_snapshot_free(s);
	return rc;
}

void mg_ctl_fini(struct mg_ctl *ctl)
{
	mg_ads_client_free(ctl->ads);
	ctl->ads = NULL;
	if (ctl->admin != NULL)
		mg_admin_close(ctl->admin);
	ctl->admin = NULL;
}
