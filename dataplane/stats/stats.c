/*
 * stats.c — counter snapshots and their JSON and Prometheus renderings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "common/mg_common.h"
#include "proxy/cluster_types.h"
#include "proxy/listener_types.h"
#include "proxy/proxy_types.h"
#include "stats/stats.h"
#include "tcp/tcp.h"

/*
 * Offsets of the TCP counters in struct mg_tcp_counters, in .def order (the
 * order of MG_TCP_IDX_* and mg_tcp_counter_descs), for the same reason as
 * cnt_fields below: the struct is cache-aligned, so read it field by field.
 */
static const size_t tcp_offs[] = {
#define MG_TCP_STAT(n, h) offsetof(struct mg_tcp_counters, n),
#define MG_TCP_DROP(n, h) offsetof(struct mg_tcp_counters, drop_##n),
#include "tcp/tcp_counters.def"
};
_Static_assert(sizeof(tcp_offs) / sizeof(tcp_offs[0]) == MG_TCP_N_COUNTERS,
               "tcp_offs out of step with tcp_counters.def");

/*
 * The counters, expanded from the .def here rather than indexed as a
 * uint64_t array: struct mg_net_counters is cache-aligned, so its sizeof
 * includes padding and does not give the number of counters, while offsetof
 * names each field exactly.
 */
static const struct cnt_field {
	const char *name; /* without the "drop_" prefix for drops */
	const char *help;
	size_t off;
	bool drop;
} cnt_fields[] = {
#define MG_NET_STAT(n, h) {#n, h, offsetof(struct mg_net_counters, n), false},
#define MG_NET_DROP(n, h) {#n, h, offsetof(struct mg_net_counters, drop_##n), true},
#include "net/net_counters.def"
};

/* The device counters we show, as the JSON key and the Prometheus family name. */
struct port_field {
	const char *json; /* also the field of struct rte_eth_stats */
	const char *prom; /* meshgate_port_<prom>_total */
	const char *help;
	size_t off;
};

#define PORT_FIELD(f, p, h)                                                                \
	{                                                                                  \
		.json = #f, .prom = p, .help = h, .off = offsetof(struct rte_eth_stats, f) \
	}
static const struct port_field port_fields[] = {
    PORT_FIELD(ipackets, "rx_packets", "packets received by the port"),
    PORT_FIELD(opackets, "tx_packets", "packets sent by the port"),
    PORT_FIELD(ibytes, "rx_bytes", "bytes received by the port"),
    PORT_FIELD(obytes, "tx_bytes", "bytes sent by the port"),
    PORT_FIELD(imissed, "rx_missed", "packets the port dropped because the RX queues were full"),
    PORT_FIELD(ierrors, "rx_errors", "erroneous packets received by the port"),
    PORT_FIELD(oerrors, "tx_errors", "packets the port failed to send"),
    PORT_FIELD(rx_nombuf, "rx_nombuf", "RX mbuf allocation failures"),
};
#undef PORT_FIELD

static inline uint64_t cnt_get(const struct mg_net_counters *c, const struct cnt_field *f)
{
	return *(const uint64_t *)((const char *)c + f->off);
}

static inline uint64_t port_get(const struct rte_eth_stats *st, const struct port_field *f)
{
	return *(const uint64_t *)((const char *)st + f->off);
}

/* Offsets of the proxy counters, in .def order. */
static const size_t proxy_offs[] = {
#define MG_PROXY_STAT(n, h) offsetof(struct mg_proxy_counters, n),
#include "proxy/proxy_counters.def"
};
_Static_assert(sizeof(proxy_offs) / sizeof(proxy_offs[0]) == MG_PROXY_N_COUNTERS,
               "proxy_offs out of step with proxy_counters.def");

static void sum_proxy(struct mg_stats_snapshot *s)
{
	memset(&s->proxy_total, 0, sizeof(s->proxy_total));
	s->proxy_on = false;
	for (unsigned i = 0; i < s->n_workers; i++) {
		if (!s->w[i].proxy_on)
			continue;
		s->proxy_on = true;
		for (unsigned k = 0; k < MG_PROXY_N_COUNTERS; k++)
			s->proxy_total.cnt[k] += s->w[i].proxy.cnt[k];
	}
}

static bool collect_proxy(const struct mg_worker *w, struct mg_stats_proxy *p)
{
	memset(p, 0, sizeof(*p));
	if (w->proxy == NULL)
		return false;
	for (unsigned k = 0; k < MG_PROXY_N_COUNTERS; k++)
		p->cnt[k] =
		    mg_cnt_read((const uint64_t *)((const char *)&w->proxy->cnt + proxy_offs[k]));
	return true;
}

/* s->tcp_total and s->tcp_on from the workers with TCP. */
static void sum_tcp(struct mg_stats_snapshot *s)
{
	unsigned i, k;

	memset(&s->tcp_total, 0, sizeof(s->tcp_total));
	s->tcp_on = false;
	for (i = 0; i < s->n_workers; i++) {
		const struct mg_stats_tcp *t = &s->w[i].tcp;

		if (!s->w[i].tcp_on)
			continue;
		s->tcp_on = true;
		for (k = 0; k < MG_TCP_N_COUNTERS; k++)
			s->tcp_total.cnt[k] += t->cnt[k];
		for (k = 0; k < MG_TCP_N_STATES; k++)
			s->tcp_total.conns[k] += t->conns[k];
	}
}

void mg_stats_sum(struct mg_stats_snapshot *s)
{
	unsigned i, k;

	memset(&s->total, 0, sizeof(s->total));
	for (i = 0; i < s->n_workers; i++) {
		for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++) {
			uint64_t *t = (uint64_t *)((char *)&s->total + cnt_fields[k].off);

			*t += cnt_get(&s->w[i].c, &cnt_fields[k]);
		}
	}
	sum_tcp(s);
	sum_proxy(s);
}

uint64_t mg_stats_drops(const struct mg_net_counters *c)
{
	uint64_t sum = 0;
	unsigned k;

	for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++) {
		if (cnt_fields[k].drop)
			sum += cnt_get(c, &cnt_fields[k]);
	}
	return sum;
}

/* w's TCP counters and gauges into t (relaxed loads: w is running); false without TCP. */
static bool collect_tcp(const struct mg_worker *w, struct mg_stats_tcp *t)
{
	unsigned k;

	memset(t, 0, sizeof(*t));
	if (w->tcp == NULL)
		return false;
	for (k = 0; k < MG_TCP_N_COUNTERS; k++)
		t->cnt[k] =
		    mg_cnt_read((const uint64_t *)((const char *)&w->tcp->cnt + tcp_offs[k]));
	for (k = 0; k < MG_TCP_N_STATES; k++)
		t->conns[k] = mg_tcp_count(w, (enum mg_tcp_state)k);
	return true;
}

void mg_stats_collect_workers(const struct mg_dp *dp, struct mg_stats_snapshot *s)
{
	unsigned i, k, n = 0;

	for (i = 0; i < dp->n_workers && i < MG_MAX_WORKERS; i++) {
		const struct mg_worker *w = dp->workers[i];
		struct mg_stats_worker *sw = &s->w[n];

		if (w == NULL)
			continue;
		sw->idx = w->idx;
		sw->lcore = w->lcore_id;
		/* Field by field: the worker is running and owns these. */
		for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++) {
			const uint64_t *src =
			    (const uint64_t *)((const char *)&w->cnt + cnt_fields[k].off);

			*(uint64_t *)((char *)&sw->c + cnt_fields[k].off) = mg_cnt_read(src);
		}
		sw->tcp_on = collect_tcp(w, &sw->tcp);
		sw->proxy_on = collect_proxy(w, &sw->proxy);
		n++;
	}
	s->n_workers = n;
	mg_stats_sum(s);
}

void mg_stats_collect_ports(const struct mg_dp *dp, struct mg_stats_snapshot *s)
{
	unsigned i;

	s->n_ports = 0;
	for (i = 0; i < dp->net.n_ifaces && i < MG_MAX_IFACES; i++) {
		const struct mg_iface *ifc = &dp->net.ifaces[i];
		struct mg_stats_port *p = &s->ports[i];

		snprintf(p->name, sizeof(p->name), "%s", ifc->name);
		p->port_id = ifc->port_id;
		memset(&p->st, 0, sizeof(p->st));
		p->err = rte_eth_stats_get(ifc->port_id, &p->st);
		if (p->err > 0)
			p->err = -p->err;
		s->n_ports++;
	}
}

uint64_t mg_stats_uptime(void)
{
	char line[1024], *p, *tok, *save = NULL;
	unsigned long long start = 0;
	struct timespec now;
	long hz = sysconf(_SC_CLK_TCK);
	unsigned field;
	FILE *f;

	f = fopen("/proc/self/stat", "re");
	if (f == NULL)
		return 0;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* The command name (field 2) may hold spaces and ')': skip to the last ')'. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL || hz <= 0)
		return 0;
	/* Field 22 is the start time in clock ticks since boot; p is after field 2. */
	for (field = 3, tok = strtok_r(p + 1, " ", &save); tok != NULL;
	     field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	if (tok == NULL || clock_gettime(CLOCK_BOOTTIME, &now) != 0)
		return 0;
	start /= (unsigned long long)hz;
	return (uint64_t)now.tv_sec > start ? (uint64_t)now.tv_sec - start : 0;
}

/* Fields of struct mg_proxy_scope, for summing and rendering. */
static const struct {
	const char *name, *help;
	size_t off;
} scope_fields[] = {
#define X(n, h) {#n, h, offsetof(struct mg_proxy_scope, n)},
    MG_PROXY_SCOPE_STATS(X)
#undef X
};

#define SCOPE_N_FIELDS (sizeof(scope_fields) / sizeof(scope_fields[0]))
_Static_assert(offsetof(struct mg_proxy_scope, rq_5xx) ==
                   offsetof(struct mg_proxy_scope, rq_1xx) + 4 * sizeof(uint64_t),
               "the response classes are five counters in a row (prom_scope_family)");

static uint64_t *scope_at(struct mg_proxy_scope *sc, unsigned k)
{
	return (uint64_t *)((char *)sc + scope_fields[k].off);
}

static uint64_t scope_get(const struct mg_proxy_scope *sc, unsigned k)
{
	return *(const uint64_t *)((const char *)sc + scope_fields[k].off);
}

/* dst += what the worker counted in src (read as it runs). */
static void scope_add(struct mg_proxy_scope *dst, const struct mg_proxy_scope *src)
{
	for (unsigned k = 0; k < SCOPE_N_FIELDS; k++)
		*scope_at(dst, k) +=
		    mg_cnt_read((const uint64_t *)((const char *)src + scope_fields[k].off));
}

static int collect_scoped(struct mg_dp *dp, struct mg_stats_snapshot *s);

int mg_stats_collect_scoped(struct mg_dp *dp, struct mg_stats_snapshot *s)
{
	int rc;

	/* Readers announce themselves before they load pw->cur (see stats_epoch). */
	__atomic_add_fetch(&dp->stats_epoch, 1, __ATOMIC_SEQ_CST);
	rc = collect_scoped(dp, s);
	__atomic_add_fetch(&dp->stats_epoch, 1, __ATOMIC_RELEASE);
	return rc;
}

/* The current generation of w's proxy, or NULL. */
static const struct mg_proxy_gen *gen_of(const struct mg_worker *w)
{
	const struct mg_proxy_worker *pw =
	    w != NULL ? __atomic_load_n(&w->proxy, __ATOMIC_ACQUIRE) : NULL;

	return pw != NULL ? __atomic_load_n(&pw->cur, __ATOMIC_SEQ_CST) : NULL;
}

static int collect_scoped(struct mg_dp *dp, struct mg_stats_snapshot *s)
{
	const struct mg_snapshot *snap = NULL;
	struct mg_stats_scoped *sc = &s->scoped;
	uint32_t n_eps = 0;

	for (unsigned i = 0; i < dp->n_workers && snap == NULL; i++) {
		const struct mg_proxy_gen *g = gen_of(dp->workers[i]);

		if (g != NULL)
			snap = g->snap;
	}
	if (snap == NULL)
		return 0;
	for (uint32_t c = 0; c < snap->n_clusters; c++)
		n_eps += snap->clusters[c]->n_eps;
	sc->lst = calloc(snap->n_listeners + 1, sizeof(*sc->lst));
	sc->rt = calloc(snap->n_route_stats + 1, sizeof(*sc->rt));
	sc->cl = calloc(snap->n_clusters + 1, sizeof(*sc->cl));
	sc->ep = calloc(n_eps + 1, sizeof(*sc->ep));
	if (sc->lst == NULL || sc->rt == NULL || sc->cl == NULL || sc->ep == NULL) {
		mg_stats_release(s);
		return -ENOMEM;
	}
	sc->snap = snap;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		const struct mg_proxy_gen *g = gen_of(dp->workers[i]);
		uint32_t off = 0;

		if (g == NULL || g->snap != snap)
			continue;
		for (uint32_t l = 0; l < snap->n_listeners; l++)
			scope_add(&sc->lst[l], &g->lst[l]);
		for (uint32_t r = 0; r < snap->n_route_stats; r++)
			scope_add(&sc->rt[r], &g->rst[r]);
		for (uint32_t c = 0; c < snap->n_clusters; c++) {
			scope_add(&sc->cl[c], &g->clusters[c].st);
			for (uint32_t e = 0; e < snap->clusters[c]->n_eps; e++)
				scope_add(&sc->ep[off + e], &g->clusters[c].ep_st[e]);
			off += snap->clusters[c]->n_eps;
		}
	}
	return 0;
}

void mg_stats_release(struct mg_stats_snapshot *s)
{
	free(s->scoped.lst);
	free(s->scoped.rt);
	free(s->scoped.cl);
	free(s->scoped.ep);
	memset(&s->scoped, 0, sizeof(s->scoped));
}

/* VmRSS of this process, in bytes; 0 if /proc says nothing. */
static uint64_t rss_bytes(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

static void collect_mem(const struct mg_dp *dp, struct mg_stats_snapshot *s)
{
	const struct rte_mempool *seen[MG_MAX_WORKERS];
	unsigned n_seen = 0;

	s->mem.tcp_conn_bytes = mg_tcp_conn_size();
	s->mem.http_conn_bytes = mg_proxy_hcm_size();
	s->mem.upstream_conn_bytes = mg_proxy_upc_size();
	for (unsigned k = 0; k < MG_TCP_N_STATES; k++)
		s->mem.tcp_conns += s->tcp_total.conns[k];
	for (unsigned i = 0; i < dp->n_workers && i < MG_MAX_WORKERS; i++) {
		const struct mg_worker *w = dp->workers[i];
		unsigned k;

		if (w == NULL)
			continue;
		if (w->proxy != NULL) {
			s->mem.http_conns += mg_cnt_read(&w->proxy->hcm_live);
			s->mem.upstream_conns += mg_cnt_read(&w->proxy->upc_live);
		}
		for (k = 0; k < n_seen && seen[k] != w->pool; k++)
			;
		if (w->pool != NULL && k == n_seen) {
			seen[n_seen++] = w->pool;
			s->mem.mbufs_in_use += rte_mempool_in_use_count(w->pool);
			s->mem.mbuf_bytes +=
			    (uint64_t)rte_mempool_in_use_count(w->pool) *
			    (w->pool->elt_size + w->pool->header_size + w->pool->trailer_size);
		}
	}
	s->mem.rss_bytes = rss_bytes();
}

void mg_stats_collect(struct mg_dp *dp, struct mg_stats_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	mg_stats_collect_workers(dp, s);
	mg_stats_collect_ports(dp, s);
	(void)mg_stats_collect_scoped(dp, s); /* without memory: the sums still show */
	collect_mem(dp, s);
	s->uptime_s = mg_stats_uptime();
}

/* {"rx_packets":N,...,"drop_eth_runt":N,...} */
static void json_counters(struct mg_buf *out, const struct mg_net_counters *c)
{
	unsigned k;

	for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++)
		mg_buf_printf(out, "%s\"%s%s\":%" PRIu64, k == 0 ? "{" : ",",
		              cnt_fields[k].drop ? "drop_" : "", cnt_fields[k].name,
		              cnt_get(c, &cnt_fields[k]));
	mg_buf_puts(out, "}");
}

/* "drops_total":N,"drops":{"eth_runt":N,...} */
static void json_drops(struct mg_buf *out, const struct mg_net_counters *c)
{
	const char *sep = "{";
	unsigned k;

	mg_buf_printf(out, "\"drops_total\":%" PRIu64 ",\"drops\":", mg_stats_drops(c));
	for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++) {
		if (!cnt_fields[k].drop)
			continue;
		mg_buf_printf(out, "%s\"%s\":%" PRIu64, sep, cnt_fields[k].name,
		              cnt_get(c, &cnt_fields[k]));
		sep = ",";
	}
	mg_buf_puts(out, sep[0] == '{' ? "{}" : "}");
}

/* {"seg_in":N,...,"drop_runt":N,...,"connections":{"CLOSED":N,...}} */
static void json_tcp(struct mg_buf *out, const struct mg_stats_tcp *t)
{
	unsigned k;

	for (k = 0; k < MG_TCP_N_COUNTERS; k++)
		mg_buf_printf(out, "%s\"%s\":%" PRIu64, k == 0 ? "{" : ",",
		              mg_tcp_counter_descs[k].name, t->cnt[k]);
	mg_buf_puts(out, ",\"connections\":");
	for (k = 0; k < MG_TCP_N_STATES; k++)
		mg_buf_printf(out, "%s\"%s\":%" PRIu64, k == 0 ? "{" : ",", mg_tcp_state_name(k),
		              t->conns[k]);
	mg_buf_puts(out, "}}");
}

/* {"downstream_rq_total":N,...} */
static void json_proxy(struct mg_buf *out, const struct mg_stats_proxy *p)
{
	for (unsigned k = 0; k < MG_PROXY_N_COUNTERS; k++)
		mg_buf_printf(out, "%s\"%s\":%" PRIu64, k == 0 ? "{" : ",",
		              mg_proxy_counter_descs[k].name, p->cnt[k]);
	mg_buf_puts(out, "}");
}

/* "ports":[{"port":0,"name":"client","ipackets":N,...},...] */
static void json_ports(struct mg_buf *out, const struct mg_stats_snapshot *s)
{
	unsigned i, k;

	mg_buf_puts(out, "\"ports\":[");
	for (i = 0; i < s->n_ports; i++) {
		const struct mg_stats_port *p = &s->ports[i];

		mg_buf_printf(out, "%s{\"port\":%u,\"name\":", i == 0 ? "" : ",", p->port_id);
		mg_buf_json_str(out, p->name);
		if (p->err != 0) {
			mg_buf_puts(out, ",\"error\":");
			mg_buf_json_str(out, strerror(-p->err));
		} else {
			for (k = 0; k < MG_ARRAY_SIZE(port_fields); k++)
				mg_buf_printf(out, ",\"%s\":%" PRIu64, port_fields[k].json,
				              port_get(&p->st, &port_fields[k]));
		}
		mg_buf_puts(out, "}");
	}
	mg_buf_puts(out, "]");
}

/*
 * Every route in mg_route_entry.stat_idx order (see mg_snapshot.n_route_stats):
 * fn(ctx, route configuration name, virtual host, route, its counters).  An
 * inline table without a name goes by its listener's.
 */
typedef void (*route_fn)(void *ctx, const char *table, const struct mg_vhost *vh,
                         const struct mg_route_entry *rt, uint32_t k,
                         const struct mg_proxy_scope *c);

static void walk_table(const struct mg_route_table *t, const char *name,
                       const struct mg_stats_scoped *sc, route_fn fn, void *ctx)
{
	for (uint32_t v = 0; v < t->n_vhosts; v++)
		for (uint32_t r = 0; r < t->vhosts[v].n_routes; r++) {
			const struct mg_route_entry *rt = &t->vhosts[v].routes[r];

			fn(ctx, name, &t->vhosts[v], rt, r, &sc->rt[rt->stat_idx]);
		}
}

static void walk_routes(const struct mg_stats_scoped *sc, route_fn fn, void *ctx)
{
	const struct mg_snapshot *snap = sc->snap;

	for (uint32_t i = 0; i < snap->n_listeners; i++) {
		const struct mg_route_table *t = snap->listeners[i]->routes;

		if (t != NULL)
			walk_table(t, t->name.len ? t->name.s : snap->listeners[i]->name.s, sc, fn,
			           ctx);
	}
	for (uint32_t i = 0; i < snap->n_routes; i++)
		walk_table(snap->routes[i], snap->routes[i]->name.s, sc, fn, ctx);
}

static void json_scope(struct mg_buf *out, const struct mg_proxy_scope *sc)
{
	for (unsigned k = 0; k < SCOPE_N_FIELDS; k++)
		mg_buf_printf(out, ",\"%s\":%" PRIu64, scope_fields[k].name, scope_get(sc, k));
}

struct json_route_ctx {
	struct mg_buf *out;
	bool first;
};

/* A route's name, or "#i" (its place in the virtual host) when it has none. */
static void route_label(const struct mg_route_entry *rt, uint32_t k, char *buf, size_t len)
{
	if (rt->name.len > 0)
		snprintf(buf, len, "%s", rt->name.s);
	else
		snprintf(buf, len, "#%u", k);
}

static void json_route(void *ctx, const char *table, const struct mg_vhost *vh,
                       const struct mg_route_entry *rt, uint32_t k, const struct mg_proxy_scope *c)
{
	struct json_route_ctx *jc = ctx;
	char name[160];

	route_label(rt, k, name, sizeof(name));
	mg_buf_puts(jc->out, jc->first ? "{\"route_config\":" : ",{\"route_config\":");
	jc->first = false;
	mg_buf_json_str(jc->out, table);
	mg_buf_puts(jc->out, ",\"virtual_host\":");
	mg_buf_json_str(jc->out, vh->name.s);
	mg_buf_puts(jc->out, ",\"name\":");
	mg_buf_json_str(jc->out, name);
	json_scope(jc->out, c);
	mg_buf_puts(jc->out, "}");
}

/* ,"listeners":[..],"routes":[..],"clusters":[{..,"endpoints":[..]}] */
static void json_scoped(struct mg_buf *out, const struct mg_stats_scoped *sc)
{
	const struct mg_snapshot *snap = sc->snap;
	uint32_t off = 0;

	if (snap == NULL)
		return;
	mg_buf_puts(out, ",\"listeners\":[");
	for (uint32_t l = 0; l < snap->n_listeners; l++) {
		const struct mg_listener *li = snap->listeners[l];
		const uint8_t *a = (const uint8_t *)&li->addr;

		mg_buf_printf(out, "%s{\"name\":", l == 0 ? "" : ",");
		mg_buf_json_str(out, li->name.s);
		mg_buf_puts(out, ",\"stat_prefix\":");
		mg_buf_json_str(out, li->stat_prefix.s != NULL ? li->stat_prefix.s : "");
		mg_buf_printf(out, ",\"address\":\"%u.%u.%u.%u:%u\"", a[0], a[1], a[2], a[3],
		              li->port);
		json_scope(out, &sc->lst[l]);
		mg_buf_puts(out, "}");
	}
	mg_buf_puts(out, "],\"routes\":[");
	{
		struct json_route_ctx jc = {out, true};

		walk_routes(sc, json_route, &jc);
	}
	mg_buf_puts(out, "],\"clusters\":[");
	for (uint32_t c = 0; c < snap->n_clusters; c++) {
		const struct mg_cluster *cl = snap->clusters[c];

		mg_buf_printf(out, "%s{\"name\":", c == 0 ? "" : ",");
		mg_buf_json_str(out, cl->name.s);
		json_scope(out, &sc->cl[c]);
		mg_buf_puts(out, ",\"endpoints\":[");
		for (uint32_t e = 0; e < cl->n_eps; e++) {
			mg_buf_printf(out, "%s{\"address\":", e == 0 ? "" : ",");
			mg_buf_json_str(out, cl->eps[e].name.s);
			json_scope(out, &sc->ep[off + e]);
			mg_buf_puts(out, "}");
		}
		off += cl->n_eps;
		mg_buf_puts(out, "]}");
	}
	mg_buf_puts(out, "]");
}

int mg_stats_render_json(const struct mg_stats_snapshot *s, struct mg_buf *out)
{
	unsigned i;

	mg_buf_printf(out, "{\"uptime_seconds\":%" PRIu64 ",\"workers\":[", s->uptime_s);
	for (i = 0; i < s->n_workers; i++) {
		mg_buf_printf(out, "%s{\"worker\":%u,\"lcore\":%u,\"counters\":", i == 0 ? "" : ",",
		              s->w[i].idx, s->w[i].lcore);
		json_counters(out, &s->w[i].c);
		if (s->tcp_on && s->w[i].tcp_on) {
			mg_buf_puts(out, ",\"tcp\":");
			json_tcp(out, &s->w[i].tcp);
		}
		if (s->w[i].proxy_on) {
			mg_buf_puts(out, ",\"proxy\":");
			json_proxy(out, &s->w[i].proxy);
		}
		mg_buf_puts(out, "}");
	}
	mg_buf_puts(out, "],\"total\":");
	json_counters(out, &s->total);
	mg_buf_puts(out, ",");
	json_drops(out, &s->total);
	mg_buf_puts(out, ",");
	json_ports(out, s);
	if (s->tcp_on) {
		mg_buf_puts(out, ",\"tcp_total\":");
		json_tcp(out, &s->tcp_total);
	}
	if (s->proxy_on) {
		mg_buf_puts(out, ",\"proxy_total\":");
		json_proxy(out, &s->proxy_total);
	}
	json_scoped(out, &s->scoped);
	if (s->mem.tcp_conn_bytes == 0) /* not collected from a running gateway (tests) */
		return mg_buf_puts(out, "}");
	mg_buf_printf(out,
	              ",\"memory\":{\"tcp_conn_bytes\":%" PRIu64 ",\"tcp_conns\":%" PRIu64
	              ",\"http_conn_bytes\":%" PRIu64 ",\"http_conns\":%" PRIu64
	              ",\"upstream_conn_bytes\":%" PRIu64 ",\"upstream_conns\":%" PRIu64
	              ",\"connection_state_bytes\":%" PRIu64 ",\"mbufs_in_use\":%" PRIu64
	              ",\"mbuf_bytes\":%" PRIu64 ",\"rss_bytes\":%" PRIu64 "}",
	              s->mem.tcp_conn_bytes, s->mem.tcp_conns, s->mem.http_conn_bytes,
	              s->mem.http_conns, s->mem.upstream_conn_bytes, s->mem.upstream_conns,
	              s->mem.tcp_conn_bytes * s->mem.tcp_conns +
	                  s->mem.http_conn_bytes * s->mem.http_conns +
	                  s->mem.upstream_conn_bytes * s->mem.upstream_conns,
	              s->mem.mbufs_in_use, s->mem.mbuf_bytes, s->mem.rss_bytes);
	return mg_buf_puts(out, "}");
}

int mg_stats_prom_escape(struct mg_buf *out, const char *s, bool label)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && label)
			esc = "\\\"";
		if (esc == NULL)
			continue;
		mg_buf_append(out, run, (size_t)(s - run));
		mg_buf_puts(out, esc);
		run = s + 1;
	}
	return mg_buf_append(out, run, (size_t)(s - run));
}

/* # HELP and # TYPE of one family; they must come before its samples, once. */
static void prom_family(struct mg_buf *out, const char *name, const char *help, const char *type)
{
	mg_buf_printf(out, "# HELP %s ", name);
	mg_stats_prom_escape(out, help, false);
	mg_buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* Worker families: one per STAT counter, then every drop reason in one family. */
static void prom_workers(const struct mg_stats_snapshot *s, struct mg_buf *out)
{
	char name[128];
	unsigned i, k;

	for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++) {
		if (cnt_fields[k].drop)
			continue;
		snprintf(name, sizeof(name), "meshgate_%s_total", cnt_fields[k].name);
		prom_family(out, name, cnt_fields[k].help, "counter");
		for (i = 0; i < s->n_workers; i++)
			mg_buf_printf(out, "%s{worker=\"%u\"} %" PRIu64 "\n", name, s->w[i].idx,
			              cnt_get(&s->w[i].c, &cnt_fields[k]));
	}
	prom_family(out, "meshgate_drops_total", "frames dropped by the L2/L3 path, by reason",
	            "counter");
	for (i = 0; i < s->n_workers; i++) {
		for (k = 0; k < MG_ARRAY_SIZE(cnt_fields); k++) {
			if (cnt_fields[k].drop)
				mg_buf_printf(out,
				              "meshgate_drops_total{worker=\"%u\",reason=\"%s\"} "
				              "%" PRIu64 "\n",
				              s->w[i].idx, cnt_fields[k].name,
				              cnt_get(&s->w[i].c, &cnt_fields[k]));
		}
	}
}

/* meshgate_tcp_<name>_total{worker} per counter, meshgate_tcp_connections{worker,state}. */
static void prom_tcp(const struct mg_stats_snapshot *s, struct mg_buf *out)
{
	char name[128];
	unsigned i, k;

	if (!s->tcp_on)
		return;
	for (k = 0; k < MG_TCP_N_COUNTERS; k++) {
		snprintf(name, sizeof(name), "meshgate_tcp_%s_total", mg_tcp_counter_descs[k].name);
		prom_family(out, name, mg_tcp_counter_descs[k].help, "counter");
		for (i = 0; i < s->n_workers; i++) {
			if (s->w[i].tcp_on)
				mg_buf_printf(out, "%s{worker=\"%u\"} %" PRIu64 "\n", name,
				              s->w[i].idx, s->w[i].tcp.cnt[k]);
		}
	}
	prom_family(out, "meshgate_tcp_connections", "TCP connections, by state", "gauge");
	for (i = 0; i < s->n_workers; i++) {
		if (!s->w[i].tcp_on)
			continue;
		for (k = 0; k < MG_TCP_N_STATES; k++)
			mg_buf_printf(
			    out,
			    "meshgate_tcp_connections{worker=\"%u\",state=\"%s\"} %" PRIu64 "\n",
			    s->w[i].idx, mg_tcp_state_name(k), s->w[i].tcp.conns[k]);
	}
}

/* meshgate_proxy_<name>_total{worker} per counter. */
static void prom_proxy(const struct mg_stats_snapshot *s, struct mg_buf *out)
{
	char name[128];

	if (!s->proxy_on)
		return;
	for (unsigned k = 0; k < MG_PROXY_N_COUNTERS; k++) {
		const char *n = mg_proxy_counter_descs[k].name;
		size_t len = strlen(n);

		/* Envoy-style names may already end in _total: not twice. */
		if (len > 6 && strcmp(n + len - 6, "_total") == 0)
			len -= 6;
		snprintf(name, sizeof(name), "meshgate_proxy_%.*s_total", (int)len, n);
		prom_family(out, name, mg_proxy_counter_descs[k].help, "counter");
		for (unsigned i = 0; i < s->n_workers; i++)
			if (s->w[i].proxy_on)
				mg_buf_printf(out, "%s{worker=\"%u\"} %" PRIu64 "\n", name,
				              s->w[i].idx, s->w[i].proxy.cnt[k]);
	}
}

/*
 * Per-scope proxy counters under Envoy's Prometheus names and labels, so
 * dashboards built for Envoy read them: per HTTP connection manager (its
 * stat_prefix), per listener address, per cluster; per endpoint under
 * meshgate_endpoint_*.  Response classes are one family with
 * envoy_response_code_class.  A counter whose Envoy name does not end in
 * _total gets it, as the exposition format asks (promtool's lint).
 */
static void prom_scope_family(struct mg_buf *out, const char *family, const char *help,
                              const struct mg_stats_scoped *sc, int kind, size_t field)
{
	const struct mg_snapshot *snap = sc->snap;
	uint32_t off = 0;
	bool xx = field == offsetof(struct mg_proxy_scope, rq_1xx);

	prom_family(out, family, help, "counter");
	if (kind == 0) { /* HTTP connection managers and TCP proxies, by stat_prefix */
		for (uint32_t l = 0; l < snap->n_listeners; l++) {
			const struct mg_listener *li = snap->listeners[l];
			const char *prefix = li->stat_prefix.s != NULL && li->stat_prefix.s[0]
			                         ? li->stat_prefix.s
			                         : li->name.s;

			if (li->kind != MG_LISTENER_HTTP)
				continue;
			for (unsigned c = 0; c < (xx ? 5u : 1u); c++) {
				mg_buf_printf(out, "%s{", family);
				if (xx)
					mg_buf_printf(out, "envoy_response_code_class=\"%u\",",
					              c + 1);
				mg_buf_puts(out, "envoy_http_conn_manager_prefix=\"");
				mg_stats_prom_escape(out, prefix, true);
				mg_buf_printf(out, "\"} %" PRIu64 "\n",
				              *(const uint64_t *)((const char *)&sc->lst[l] +
				                                  field + c * sizeof(uint64_t)));
			}
		}
	} else if (kind == 1) { /* listeners, by address */
		for (uint32_t l = 0; l < snap->n_listeners; l++) {
			const struct mg_listener *li = snap->listeners[l];
			const uint8_t *a = (const uint8_t *)&li->addr;

			mg_buf_printf(out,
			              "%s{envoy_listener_address=\"%u.%u.%u.%u_%u\"} %" PRIu64 "\n",
			              family, a[0], a[1], a[2], a[3], li->port,
			              *(const uint64_t *)((const char *)&sc->lst[l] + field));
		}
	} else { /* clusters (kind 2) or their endpoints (kind 3) */
		for (uint32_t c = 0; c < snap->n_clusters; c++) {
			const struct mg_cluster *cl = snap->clusters[c];
			uint32_t n = kind == 2 ? 1 : cl->n_eps;

			for (uint32_t e = 0; e < n; e++) {
				const struct mg_proxy_scope *v =
				    kind == 2 ? &sc->cl[c] : &sc->ep[off + e];

				for (unsigned k = 0; k < (xx ? 5u : 1u); k++) {
					mg_buf_printf(out, "%s{", family);
					if (xx)
						mg_buf_printf(out,
						              "envoy_response_code_class=\"%u\",",
						              k + 1);
					mg_buf_puts(out, "envoy_cluster_name=\"");
					mg_stats_prom_escape(out, cl->name.s, true);
					if (kind == 3) {
						mg_buf_puts(out, "\",endpoint=\"");
						mg_stats_prom_escape(out, cl->eps[e].name.s, true);
					}
					mg_buf_printf(out, "\"} %" PRIu64 "\n",
					              *(const uint64_t *)((const char *)v + field +
					                                  k * sizeof(uint64_t)));
				}
			}
			off += cl->n_eps;
		}
	}
}

static void prom_route_labels(struct mg_buf *out, const char *table, const struct mg_vhost *vh,
                              const struct mg_route_entry *rt, uint32_t k)
{
	char name[160];

	route_label(rt, k, name, sizeof(name));
	mg_buf_puts(out, "route_config=\"");
	mg_stats_prom_escape(out, table, true);
	mg_buf_puts(out, "\",virtual_host=\"");
	mg_stats_prom_escape(out, vh->name.s, true);
	mg_buf_puts(out, "\",route=\"");
	mg_stats_prom_escape(out, name, true);
	mg_buf_puts(out, "\"");
}

static void prom_route_total(void *ctx, const char *table, const struct mg_vhost *vh,
                             const struct mg_route_entry *rt, uint32_t k,
                             const struct mg_proxy_scope *c)
{
	struct mg_buf *out = ctx;

	mg_buf_puts(out, "meshgate_route_rq_total{");
	prom_route_labels(out, table, vh, rt, k);
	mg_buf_printf(out, "} %" PRIu64 "\n", c->rq_total);
}

static void prom_route_xx(void *ctx, const char *table, const struct mg_vhost *vh,
                          const struct mg_route_entry *rt, uint32_t k,
                          const struct mg_proxy_scope *c)
{
	struct mg_buf *out = ctx;

	for (unsigned i = 0; i < 5; i++) {
		mg_buf_printf(out, "meshgate_route_rq_xx_total{envoy_response_code_class=\"%u\",",
		              i + 1);
		prom_route_labels(out, table, vh, rt, k);
		mg_buf_printf(out, "} %" PRIu64 "\n",
		              *(const uint64_t *)((const char *)c +
		                                  offsetof(struct mg_proxy_scope, rq_1xx) +
		                                  i * sizeof(uint64_t)));
	}
}

static void prom_scoped(const struct mg_stats_scoped *sc, struct mg_buf *out)
{
	static const struct {
		const char *family, *help;
		int kind;
		size_t field;
	} fams[] = {
	    {"envoy_http_downstream_rq_total", "requests received by the HTTP connection manager",
	     0, offsetof(struct mg_proxy_scope, rq_total)},
	    {"envoy_http_downstream_rq_xx_total",
	     "responses sent by the HTTP connection manager, by class", 0,
	     offsetof(struct mg_proxy_scope, rq_1xx)},
	    {"envoy_http_downstream_rq_timeout_total", "requests that hit the route timeout", 0,
	     offsetof(struct mg_proxy_scope, rq_timeout)},
	    {"envoy_listener_downstream_cx_total", "connections accepted by the listener", 1,
	     offsetof(struct mg_proxy_scope, cx_total)},
	    {"envoy_cluster_upstream_rq_total", "requests sent to the cluster", 2,
	     offsetof(struct mg_proxy_scope, rq_total)},
	    {"envoy_cluster_upstream_rq_xx_total", "the cluster's responses, by class", 2,
	     offsetof(struct mg_proxy_scope, rq_1xx)},
	    {"envoy_cluster_upstream_rq_timeout_total", "requests to the cluster that timed out", 2,
	     offsetof(struct mg_proxy_scope, rq_timeout)},
	    {"envoy_cluster_upstream_cx_total", "connections opened to the cluster", 2,
	     offsetof(struct mg_proxy_scope, cx_total)},
	    {"envoy_cluster_upstream_cx_connect_fail_total",
	     "connections to the cluster refused or reset before a response", 2,
	     offsetof(struct mg_proxy_scope, cx_connect_fail)},
	    {"envoy_cluster_upstream_cx_tx_bytes_total", "request bytes sent to the cluster", 2,
	     offsetof(struct mg_proxy_scope, bytes_in)},
	    {"envoy_cluster_upstream_cx_rx_bytes_total", "response bytes received from the cluster",
	     2, offsetof(struct mg_proxy_scope, bytes_out)},
	    {"meshgate_cluster_upstream_cx_reused_total",
	     "requests sent to the cluster on a kept-alive connection", 2,
	     offsetof(struct mg_proxy_scope, cx_reused)},
	    {"envoy_http_downstream_cx_rx_bytes_total",
	     "request bytes from clients forwarded upstream", 0,
	     offsetof(struct mg_proxy_scope, bytes_in)},
	    {"envoy_http_downstream_cx_tx_bytes_total", "response bytes sent to clients", 0,
	     offsetof(struct mg_proxy_scope, bytes_out)},
	    {"meshgate_endpoint_upstream_rq_total", "requests sent to the endpoint", 3,
	     offsetof(struct mg_proxy_scope, rq_total)},
	    {"meshgate_endpoint_upstream_rq_xx_total", "the endpoint's responses, by class", 3,
	     offsetof(struct mg_proxy_scope, rq_1xx)},
	    {"meshgate_endpoint_upstream_cx_total", "connections opened to the endpoint", 3,
	     offsetof(struct mg_proxy_scope, cx_total)},
	};

	if (sc->snap == NULL)
		return;
	for (unsigned i = 0; i < MG_ARRAY_SIZE(fams); i++)
		prom_scope_family(out, fams[i].family, fams[i].help, sc, fams[i].kind,
		                  fams[i].field);
	prom_family(out, "meshgate_route_rq_total", "requests a route matched", "counter");
	walk_routes(sc, prom_route_total, out);
	prom_family(out, "meshgate_route_rq_xx_total", "responses to a route's requests, by class",
	            "counter");
	walk_routes(sc, prom_route_xx, out);
}

static void prom_ports(const struct mg_stats_snapshot *s, struct mg_buf *out)
{
	char name[128];
	unsigned i, k;

	for (k = 0; k < MG_ARRAY_SIZE(port_fields); k++) {
		snprintf(name, sizeof(name), "meshgate_port_%s_total", port_fields[k].prom);
		prom_family(out, name, port_fields[k].help, "counter");
		for (i = 0; i < s->n_ports; i++) {
			if (s->ports[i].err != 0)
				continue;
			mg_buf_printf(out, "%s{port=\"", name);
			mg_stats_prom_escape(out, s->ports[i].name, true);
			mg_buf_printf(out, "\"} %" PRIu64 "\n",
			              port_get(&s->ports[i].st, &port_fields[k]));
		}
	}
}

int mg_stats_render_prom(const struct mg_stats_snapshot *s, struct mg_buf *out)
{
	prom_workers(s, out);
	prom_tcp(s, out);
	prom_proxy(s, out);
	prom_scoped(&s->scoped, out);
	prom_ports(s, out);
	prom_family(out, "meshgate_uptime_seconds", "seconds since the gateway started", "gauge");
	mg_buf_printf(out, "meshgate_uptime_seconds %" PRIu64 "\n", s->uptime_s);
	prom_family(out, "meshgate_build_info", "build of the running gateway; the value is 1",
	            "gauge");
	mg_buf_puts(out, "meshgate_build_info{version=\"");
	mg_stats_prom_escape(out, MG_VERSION, true);
	return mg_buf_puts(out, "\"} 1\n");
}
