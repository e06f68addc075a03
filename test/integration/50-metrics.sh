#!/usr/bin/env bash
# 50-metrics: the admin API's /stats and /metrics.
#  - GET /metrics is Prometheus text exposition that `promtool check metrics`
#    accepts, served as text/plain; version=0.0.4;
#  - GET /stats is valid JSON with the documented keys (uptime_seconds,
#    workers[].{worker,lcore,counters}, total, drops_total, drops,
#    ports[].{port,name,ipackets,opackets}) and drops_total == sum(drops);
#  - after 10 pings, meshgate_icmp_echo_tx_total (summed over workers) in
#    /metrics equals total.icmp_echo_tx in /stats, and is >= 10; the drop
#    totals agree too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || mg_fail "promtool not installed (apt-get install prometheus)"

mg_setup
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
mg_log PASS
