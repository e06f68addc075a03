#!/usr/bin/env bash
# 50-metrics: the admin API's /stats and /metrics.
#  - GET /metrics is Prometheus text exposition that `promtool check metrics`
#    accepts, served as text/plain; version=0.0.4;
#  - GET /stats is valid JSON with the documented keys (uptime_seconds,
#    workers[].{worker,lcore,counters}, total, drops_total, drops,
#    ports[].{port,name,ipackets,opackets}) and drops_total == sum(drops);
#  - after 10 pings, meshgate_icmp_echo_tx_total (summed over workers) in
#    /metrics equals total.icmp_echo_tx in /stats, and is >= 10; the drop
#    totals agree too;
#  - a real Prometheus server (Debian's prometheus, in the gateway's
#    namespace, scraping every second) scrapes the gateway: the target is
#    healthy with no scrape error, `up` is 1, it took every sample /metrics
#    has, and its query sum(meshgate_icmp_echo_tx_total) equals /stats.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || mg_fail "promtool not installed (apt-get install prometheus)"

PROM_PID=
# prom_stop: stop the Prometheus server this test started, by its PID.
prom_stop() {
	mg_stop_pid "$PROM_PID"
	PROM_PID=
}
prom_cleanup() {
	local rc=$?
	set +e
	prom_stop
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap prom_cleanup EXIT
mg_start

got=$(mg_ping "$MG_NS_CLIENT" "$MG_ADDR_GW_CLIENT" 10 -i 0.05 -W 1)
mg_check "ping 10/10 (got ${got:-0})" test "${got:-0}" -eq 10
mg_settle 5

mg_http /metrics -D "$MG_WORKDIR/metrics.headers" >"$MG_WORKDIR/metrics.txt" ||
	mg_fail "GET /metrics failed"
mg_stats "$MG_WORKDIR/stats.json"
mg_log "/metrics: $(wc -l <"$MG_WORKDIR/metrics.txt") lines; $(grep -ci '^content-type' "$MG_WORKDIR/metrics.headers") content-type header(s)"
mg_check "/metrics has 200 status" grep -q '^HTTP/1\.[01] 200' "$MG_WORKDIR/metrics.headers"
mg_check "/metrics Content-Type is text/plain; version=0.0.4" \
	grep -qiE '^content-type: *text/plain; *version=0\.0\.4' "$MG_WORKDIR/metrics.headers"
if ! promtool check metrics <"$MG_WORKDIR/metrics.txt" >"$MG_WORKDIR/promtool.out" 2>&1; then
	cat "$MG_WORKDIR/promtool.out" >&2
	mg_fail "promtool check metrics rejected /metrics"
fi
mg_log "ok: promtool check metrics accepts /metrics"

keys=$("$MG_PYTHON" "$MG_IT_DIR/stats.py" keys "$MG_WORKDIR/stats.json") ||
	mg_fail "/stats: $keys"
mg_log "ok: /stats has the documented keys"

read -r m_echo m_drops < <("$MG_PYTHON" - "$MG_WORKDIR/metrics.txt" <<'PY'
import re, sys
echo = drops = 0
seen_echo = seen_drops = False
for line in open(sys.argv[1]):
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)', line)
    if not m:
        continue
    if m.group(1) == "meshgate_icmp_echo_tx_total":
        echo += float(m.group(3)); seen_echo = True
    elif m.group(1) == "meshgate_drops_total":
        drops += float(m.group(3)); seen_drops = True
print(int(echo) if seen_echo else "missing", int(drops) if seen_drops else "missing")
PY
)
s_echo=$(mg_counter "$MG_WORKDIR/stats.json" icmp_echo_tx)
s_drops=$(mg_counter "$MG_WORKDIR/stats.json" drops_total)
mg_log "icmp_echo_tx: /metrics $m_echo, /stats $s_echo; drops: /metrics $m_drops, /stats $s_drops"
mg_check "/metrics has meshgate_icmp_echo_tx_total" test "$m_echo" != missing
mg_check "/metrics has meshgate_drops_total" test "$m_drops" != missing
mg_check "icmp_echo_tx >= 10" test "$s_echo" -ge 10
mg_check "icmp_echo_tx agrees between /metrics and /stats" test "$m_echo" -eq "$s_echo"
mg_check "drops agree between /metrics and /stats" test "$m_drops" -eq "$s_drops"

# --- a real Prometheus scrape ------------------------------------------------
PROM=$MG_WORKDIR/prometheus
PROM_PORT=19090
mkdir -p "$PROM/data"
cat >"$PROM/prometheus.yml" <<EOF
global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: meshgate
    metrics_path: /metrics
    static_configs: [{ targets: ["127.0.0.1:$MG_ADMIN_PORT"] }]
EOF
promtool check config "$PROM/prometheus.yml" >"$PROM/check.out" 2>&1 ||
	mg_fail "promtool check config: $(cat "$PROM/check.out")"
# `ip netns exec` execs prometheus: $! is its own PID.
ip netns exec "$MG_NS_GW" prometheus --config.file="$PROM/prometheus.yml" \
	--storage.tsdb.path="$PROM/data" --web.listen-address="127.0.0.1:$PROM_PORT" \
	>"$PROM/log" 2>&1 &
PROM_PID=$!
mg_log "prometheus (pid $PROM_PID) scraping 127.0.0.1:$MG_ADMIN_PORT/metrics every second"

# prom_api PATH [curl args]: GET from the Prometheus server's HTTP API
# (nothing while it is not listening yet).
prom_api() {
	local path=$1
	shift
	mg_gw curl -sS --max-time 2 "http://127.0.0.1:$PROM_PORT$path" "$@" 2>/dev/null || true
}

# prom_query EXPR: the first value of an instant query, or "none".
prom_query() {
	prom_api /api/v1/query --data-urlencode "query=$1" | "$MG_PYTHON" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "none")
except Exception:
    print("none")'
}

# prom_target: "HEALTH LAST_ERROR" of the one scrape target ("-" for none).
prom_target() {
	prom_api /api/v1/targets | "$MG_PYTHON" -c '
import json, sys
try:
    t = json.load(sys.stdin)["data"]["activeTargets"][0]
    print("%s %s" % (t["health"], t.get("lastError") or "-"))
except Exception:
    print("none")'
}

health=none
for _ in $(seq 1 100); do
	kill -0 "$PROM_PID" 2>/dev/null || mg_fail "prometheus exited: $(tail -n 5 "$PROM/log")"
	health=$(prom_target)
	[[ "$health" == up* && "$(prom_query 'up{job="meshgate"}')" == 1 ]] && break
	sleep 0.2
done
mg_log "prometheus target: $health"
mg_check "Prometheus scraped the gateway: target health up, no scrape error" test "$health" == "up -"
mg_check "Prometheus: up{job=\"meshgate\"} == 1" test "$(prom_query 'up{job="meshgate"}')" == 1
# The set of series does not change between scrapes here, so every sample
# line of the /metrics fetched above is one Prometheus must have taken.
n_samples=$(grep -cvE '^(#|$)' "$MG_WORKDIR/metrics.txt")
p_samples=$(prom_query 'scrape_samples_scraped{job="meshgate"}')
mg_log "samples: /metrics has $n_samples, Prometheus scraped $p_samples"
mg_check "Prometheus took every sample /metrics has ($p_samples == $n_samples)" \
	test "$p_samples" == "$n_samples"
p_echo=$(prom_query 'sum(meshgate_icmp_echo_tx_total)')
mg_log "Prometheus: sum(meshgate_icmp_echo_tx_total) = $p_echo; /stats $s_echo"
mg_check "Prometheus's sum(meshgate_icmp_echo_tx_total) equals /stats" test "$p_echo" == "$s_echo"
prom_stop
mg_log PASS
