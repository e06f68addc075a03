/*
 * stats.h — collect the gateway's counters and render them as JSON (/stats)
 * or Prometheus text (/metrics).  Types in stats_types.h.
 *
 * Collection runs on the control core while workers run: every worker
 * counter is read with a relaxed load (mg_cnt_read), so a snapshot is not
 * one atomic instant, but each value is a value the counter really had, and
 * counters only grow.  Worker and port collection are separate so tests can
 * fill a snapshot without ports (no EAL needed).
 *
 * The counter names, help texts and kinds come from net/net_counters.def,
 * in its order.  JSON keys are the field names ("rx_packets",
 * "drop_eth_runt"); drops are also summed by reason.  Prometheus families
 * are meshgate_<stat>_total{worker}, one meshgate_drops_total{worker,reason}
 * family for all drop reasons, meshgate_port_*_total{port}, plus
 * meshgate_uptime_seconds and meshgate_build_info{version}.
 *
 * When TCP is on (s->tcp_on), the TCP counters of tcp/tcp_counters.def are
 * added, named and described by mg_tcp_counter_descs (drops keep their
 * "drop_" prefix): JSON gets a "tcp" object per worker and "tcp_total";
 * Prometheus gets meshgate_tcp_<name>_total{worker} counters and the gauge
 * meshgate_tcp_connections{worker,state}.  Nothing TCP appears when it is off.
 */
#ifndef MG_STATS_H
#define MG_STATS_H

#include <stdbool.h>

#include "common/mg_buf.h"
#include "core/worker_types.h"
#include "stats/stats_types.h"

/**
 * Fill s from the running data plane: workers, their sum, ports and uptime.
 * s is cleared first.
 *
 * @param dp the data-plane runtime (workers may be running)
 * @param s  out: the snapshot
 */
void mg_stats_collect(struct mg_dp *dp, struct mg_stats_snapshot *s);

/**
 * Read the proxy's per-listener, per-cluster and per-endpoint counters from
 * the workers into s->scoped (mg_stats_collect() does it).
 * @return 0, -ENOMEM (s->scoped stays empty)
 */
int mg_stats_collect_scoped(struct mg_dp *dp, struct mg_stats_snapshot *s);

/** Free what a collect allocated (s->scoped); s itself stays the caller's. */
void mg_stats_release(struct mg_stats_snapshot *s);

/**
 * Copy every worker's counters into s->w[] (relaxed loads) and set
 * s->n_workers and s->total.  A worker with TCP set up also gets its TCP
 * counters and per-state connection counts (tcp_on set); s->tcp_on and
 * s->tcp_total follow.  Leaves ports and uptime alone.
 *
 * @param dp the data-plane runtime
 * @param s  out: the snapshot
 */
void mg_stats_collect_workers(const struct mg_dp *dp, struct mg_stats_snapshot *s);

/**
 * Read every interface's device counters (rte_eth_stats_get) into s->ports[]
 * and set s->n_ports.  A port that cannot be read keeps its name and gets
 * err set; it is reported as an error, not as zeros.
 *
 * @param dp the data-plane runtime (EAL initialised, ports configured)
 * @param s  out: the snapshot
 */
void mg_stats_collect_ports(const struct mg_dp *dp, struct mg_stats_snapshot *s);

/**
 * Recompute s->total as the sum of s->w[0..n_workers-1], and s->tcp_total
 * as the sum of w[].tcp over the workers with tcp_on (s->tcp_on: any has it).
 * For snapshots filled by hand; mg_stats_collect_workers() already does it.
 *
 * @param s the snapshot
 */
void mg_stats_sum(struct mg_stats_snapshot *s);

/**
 * Sum of the drop counters in c (every frame dropped, whatever the reason).
 *
 * @param c counters (a snapshot copy, not live worker counters)
 * @return the number of frames dropped
 */
uint64_t mg_stats_drops(const struct mg_net_counters *c);

/**
 * Seconds since this process started (from /proc/self/stat, so it needs no
 * start-up hook).
 *
 * @return the uptime, or 0 if /proc cannot be read
 */
uint64_t mg_stats_uptime(void);

/**
 * Render s as one JSON object (no trailing newline):
 * {"uptime_seconds":N,"workers":[{"worker":I,"lcore":L,"counters":{...}}],
 *  "total":{...},"drops_total":N,"drops":{"<reason>":N,...},
 *  "ports":[{"port":P,"name":"...","ipackets":N,"opackets":N,"ibytes":N,
 *  "obytes":N,"imissed":N,"ierrors":N,"oerrors":N,"rx_nombuf":N}]}
 * With TCP on, each worker with TCP also has
 * "tcp":{"seg_in":N,...,"drop_runt":N,...,"connections":{"CLOSED":N,...}}
 * (after "counters") and the top level ends with "tcp_total":{...same...}.
 * A port whose counters could not be read is {"port":P,"name":"...",
 * "error":"<strerror>"}.
 *
 * @param s   the snapshot
 * @param out appended to
 * @return 0, or -ENOMEM (out->err)
 */
int mg_stats_render_json(const struct mg_stats_snapshot *s, struct mg_buf *out);

/**
 * Render s in the Prometheus text exposition format 0.0.4: every family
 * once, each with # HELP and # TYPE before its samples.  Ports whose
 * counters could not be read have no samples (a gap, not a false reset).
 *
 * @param s   the snapshot
 * @param out appended to
 * @return 0, or -ENOMEM (out->err)
 */
int mg_stats_render_prom(const struct mg_stats_snapshot *s, struct mg_buf *out);

/**
 * Append s escaped for the Prometheus text format.  A label value escapes
 * '\\', '"' and newline; HELP text escapes only '\\' and newline.
 *
 * @param out   appended to
 * @param s     NUL-terminated text
 * @param label true for a label value, false for HELP text
 * @return 0, or -ENOMEM (out->err)
 */
int mg_stats_prom_escape(struct mg_buf *out, const char *s, bool label);

#endif /* MG_STATS_H */
