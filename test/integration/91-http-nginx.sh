#!/usr/bin/env bash
# 91-http-nginx: the L7 gateway between real peers.  nginx (one master, one
# worker, two `server` blocks, a private config, pid file, logs and temp dirs
# under the test's work directory) is the upstream: v1 on
# $MG_ADDR_SERVICE:8081 (198.18.2.1, routed via 198.18.1.2) and v2 on
# $MG_ADDR_UP:8082 (198.18.1.2, on the gateway's link), each answering with
# an `x-version` header and a body naming its version.  wrk and curl in the
# client namespace are the clients; one gateway worker (MG_HTTP_WORKERS).
# Checked:
#   - a 90/10 split over 10,000 requests and a 99/1 split over 100,000 (wrk,
#     counted per version by test/integration/wrk_count.lua from the
#     x-version header), each within 3 binomial standard deviations
#     (sqrt(n p (1-p))) of the weights;
#   - the header canary: 1,000 curl requests with `x-canary: v2` on one
#     keep-alive connection all answered by v2;
#   - wrk, 100 connections for 20 s on the 90/10 route: no socket error
#     (connect, read, write, timeout), no non-2xx; requests/s printed;
#   - a 64 MiB download (a random file in the work directory served by
#     nginx) and a 64 MiB upload through the HTTP listener with matching
#     sha256, and the same download through a TCP proxy listener (port 9000
#     in front of v1).  The upload goes to nginx as well: nginx-light ships
#     the echo module (libnginx-mod-http-echo), whose echo_read_request_body
#     and echo_request_body answer with the body nginx received (spooled to
#     its temp file), so one request checks the 64 MiB both ways through the
#     gateway and the upstream is a real server, not the python one;
#   - then the proxy's counters (no 5xx, no upstream failures), nginx's error
#     log (nothing at [crit] or worse), and the gateway still answers.
# About 40 s.  The 64 MiB files are removed before the work directory
# is copied to MG_LOG_DIR.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=nginx.sh
source "$MG_IT_DIR/nginx.sh"

WRK=${MG_WRK:-wrk}
WRK_PID=
BIG=$MG_WORKDIR/www/big.bin
UPLOAD=$MG_WORKDIR/upload.bin
MIB=64
declare -A R=()

stop_wrk() {
	if [[ -n "$WRK_PID" ]]; then
		kill -s KILL "$WRK_PID" 2>/dev/null || true
		wait "$WRK_PID" 2>/dev/null || true
		WRK_PID=
	fi
}

nginx_cleanup() {
	local rc=$?
	set +e
	stop_wrk
	ng_stop
	# Keep the logs, not 128 MiB of random data, for MG_LOG_DIR.
	rm -f "$BIG" "$UPLOAD"
	rm -rf "$NG/tmp"
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap nginx_cleanup EXIT

command -v "$WRK" >/dev/null || mg_fail "no wrk (apt-get install wrk)"
[[ -f "$NG_ECHO_MOD" ]] || mg_fail "no nginx echo module at $NG_ECHO_MOD (apt-get install nginx-light)"

V1=$MG_ADDR_SERVICE
V2=$MG_ADDR_UP
GW=$MG_ADDR_GW_CLIENT

WORKERS=${MG_HTTP_WORKERS:-1}
if ((WORKERS > 1)); then
	mg_write_config "workers=$WORKERS" "lcores=$(seq -s, 0 "$WORKERS" |
		sed -E 's/([0-9]+)/\1@\1/g; s/@([0-9]+)/@0/3g')"
else
	mg_write_config
fi
cat >>"$MG_CONFIG" <<EOF
static_resources:
  listeners:
$(mg_hcm_listener web 8080)
          route_config:
            name: web
            virtual_hosts:
            - name: svc
              domains: ["*"]
              routes:
              - match: {path: /big.bin}
                route: {cluster: v1}
              - match: {path: /echo}
                route: {cluster: v1}
              - match: {prefix: /, headers: [{name: x-canary, string_match: {exact: v2}}]}
                route: {cluster: v2}
              - match: {prefix: /w99}
                route:
                  weighted_clusters:
                    clusters: [{name: v1, weight: 99}, {name: v2, weight: 1}]
              - match: {prefix: /}
                route:
                  weighted_clusters:
                    clusters: [{name: v1, weight: 90}, {name: v2, weight: 10}]
  - name: tcp
    address: {socket_address: {address: 0.0.0.0, port_value: 9000}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tcp
          cluster: v1
  clusters:
  - name: v1
    connect_timeout: 1s
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $V1, port_value: 8081}}}}]}]}
  - name: v2
    connect_timeout: 1s
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $V2, port_value: 8082}}}}]}]}
EOF
mg_start

# --- nginx in the upstream namespace ---------------------------------------
mkdir -p "$NG/tmp/body" "$NG/tmp/proxy" "$NG/tmp/fastcgi" "$NG/tmp/uwsgi" "$NG/tmp/scgi" \
	"$MG_WORKDIR/www"
head -c $((MIB << 20)) /dev/urandom >"$BIG"
head -c $((MIB << 20)) /dev/urandom >"$UPLOAD"
BIG_SUM=$(sha256sum "$BIG" | cut -d' ' -f1)
UPLOAD_SUM=$(sha256sum "$UPLOAD" | cut -d' ' -f1)

EXTRA='        location = /big.bin { }
        location = /echo {
            client_max_body_size 128m;
            echo_read_request_body;
            echo_request_body;
        }'
ng_start "$(ng_server v1 "$V1" 8081 "$EXTRA")" "$(ng_server v2 "$V2" 8082 "$EXTRA")"
ng_wait v1 "$V1:8081"
ng_wait v2 "$V2:8082"
mg_log "nginx up (master pid $NGINX_PID): v1 on $V1:8081, v2 on $V2:8082"

# Through the gateway, once each, before any load (HEAD for the big file).
got=$(mg_client curl -sS --max-time 5 -I -o /dev/null \
	-w '%{http_code} %header{x-version} %header{content-length}' "http://$GW:8080/big.bin") ||
	mg_fail "curl -I /big.bin through the gateway failed"
mg_check "through the gateway, HEAD /big.bin reaches v1 ($got)" test "$got" = "200 v1 $((MIB << 20))"
got=$(mg_client curl -sS --max-time 5 -H 'x-canary: v2' -w ' %{http_code} %header{x-version}' \
	"http://$GW:8080/x") || mg_fail "curl /x with the canary header through the gateway failed"
mg_check "through the gateway, the canary reaches v2 (${got//$'\n'/ })" test "$got" = $'v2\n 200 v2'

# --- wrk runs ---------------------------------------------------------------
# wrk_run NAME THREADS CONNS DURATION URL QUOTA_PER_THREAD:
# runs wrk with wrk_count.lua in the client namespace, its output in
# $MG_WORKDIR/wrk-NAME.out; with a quota, sends it SIGINT once every thread
# has counted its share (bounded by DURATION).  Fills R from the RESULT line.
wrk_run() {
	local name=$1 threads=$2 conns=$3 dur=$4 url=$5 quota=$6 dir i n
	dir=$MG_WORKDIR/wrk-$name
	mkdir -p "$dir"
	local out=$MG_WORKDIR/wrk-$name.out
	# A background job starts with SIGINT ignored; wrk installs its own
	# handler anyway, env makes sure.  `ip netns exec` execs wrk: $! is wrk.
	env --default-signal=INT ip netns exec "$MG_NS_CLIENT" "$WRK" -t "$threads" -c "$conns" \
		-d "$dur" --timeout 5s -s "$MG_IT_DIR/wrk_count.lua" "$url" -- "$dir" "$quota" \
		>"$out" 2>&1 &
	WRK_PID=$!
	if ((quota > 0)); then
		while kill -0 "$WRK_PID" 2>/dev/null; do
			n=$(find "$dir" -name 'wrk-done.*' | wc -l)
			if ((n >= threads)); then
				kill -s INT "$WRK_PID" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
	fi
	# wrk ends by itself at DURATION; a generous bound past it.
	for ((i = 0; i < (${dur%s} + 30) * 10; i++)); do
		kill -0 "$WRK_PID" 2>/dev/null || break
		sleep 0.1
	done
	local st=0
	if kill -0 "$WRK_PID" 2>/dev/null; then
		stop_wrk
		mg_fail "wrk $name did not finish (output: $(cat "$out"))"
	fi
	wait "$WRK_PID" || st=$?
	WRK_PID=
	((st == 0)) || mg_fail "wrk $name exited with $st: $(cat "$out")"
	local line
	line=$(grep '^RESULT ' "$out") || mg_fail "wrk $name printed no RESULT line: $(cat "$out")"
	R=()
	for kv in ${line#RESULT }; do
		R[${kv%%=*}]=${kv#*=}
	done
	mg_log "wrk $name: $line"
}

# check_split NAME N P_V2_PERCENT: the v2 share of R[counted] is within
# 3 standard deviations of N*p; every counted response is 2xx from v1 or v2,
# and wrk saw no socket error.
check_split() {
	local name=$1 n=$2 pct=$3 verdict
	mg_check "$name: counted $n responses (${R[counted]})" test "${R[counted]}" -eq "$n"
	mg_check "$name: every response 2xx (non-2xx ${R[non2xx]}, status errors ${R[status]})" \
		test "${R[non2xx]}" -eq 0 -a "${R[status]}" -eq 0
	mg_check "$name: every response named v1 or v2 (other ${R[other]})" test "${R[other]}" -eq 0
	mg_check "$name: no socket errors (connect ${R[connect]}, read ${R[read]}, write ${R[write]}, timeout ${R[timeout]})" \
		test "$((R[connect] + R[read] + R[write] + R[timeout]))" -eq 0
	verdict=$(awk -v n="$n" -v p="$pct" -v k="${R[v2]}" 'BEGIN {
		p /= 100; m = n * p; sd = sqrt(n * p * (1 - p)); z = (k - m) / sd
		printf "%s v2 %d of %d (%.3f%%), expected %.0f +- %.1f (3 sd), z = %+.2f",
			(z >= -3 && z <= 3) ? "ok" : "bad", k, n, 100 * k / n, m, 3 * sd, z }')
	mg_log "$name: $verdict; v1 ${R[v1]}"
	mg_check "$name: v2 share within 3 sd of $pct%" test "${verdict%% *}" = ok
}

# phase_stats NAME: save /stats as stats-NAME.json and log what the phase
# did to the upstream connections (opened, reused, RSTs the gateway sent on
# an abort) since the previous call.
PREV_STATS=
phase_stats() {
	local cur=$MG_WORKDIR/stats-$1.json
	mg_stats "$cur"
	mg_log "$1: $("$MG_PYTHON" - "$cur" "${PREV_STATS:-}" <<'PY'
import json, sys
def get(path):
    if not path:
        return {}, {}
    s = json.load(open(path))
    return s.get("proxy_total", {}), s.get("tcp_total", {})
(p, t), (p0, t0) = get(sys.argv[1]), get(sys.argv[2])
d = lambda a, b, k: a.get(k, 0) - b.get(k, 0)
print("requests +%d, client connections +%d, upstream connections +%d (reused +%d), "
      "gateway aborts (RST) +%d, resets received +%d"
      % (d(p, p0, "downstream_rq_total"), d(p, p0, "downstream_cx_total"),
         d(p, p0, "upstream_cx_total"), d(p, p0, "upstream_cx_reused"),
         d(t, t0, "rst_out_abort"), d(t, t0, "conn_reset")))
PY
)"
	PREV_STATS=$cur
}
phase_stats start

# (a) 90/10 over 10,000 requests: 2 threads x 5,000, 20 connections.
wrk_run split90 2 20 60s "http://$GW:8080/" 5000
check_split "90/10 split" 10000 10
phase_stats split90

# (b) 99/1 over 100,000 requests: 2 threads x 50,000, 50 connections.
wrk_run split99 2 50 120s "http://$GW:8080/w99" 50000
check_split "99/1 split" 100000 1
phase_stats split99

# (c) The header canary: 1,000 requests on one curl connection, all v2.
mg_client curl -sS --max-time 60 -H 'x-canary: v2' -o /dev/null \
	-w '%{http_code} %header{x-version} %{num_connects}\n' \
	"http://$GW:8080/canary/[1-1000]" >"$MG_WORKDIR/canary.out" 2>"$MG_WORKDIR/canary.err" ||
	mg_fail "curl canary run failed: $(tail -n 5 "$MG_WORKDIR/canary.err")"
# curl's -o covers the first URL only; the other bodies ("v2") go to stdout too.
canary_n=$(grep -c '^[0-9]\{3\} ' "$MG_WORKDIR/canary.out" || true)
canary_v2=$(grep -c '^200 v2 ' "$MG_WORKDIR/canary.out" || true)
canary_cx=$(awk '/^[0-9][0-9][0-9] / { s += $3 } END { print s + 0 }' "$MG_WORKDIR/canary.out")
mg_log "canary: $canary_v2 of $canary_n answered 200 by v2, over $canary_cx connection(s)"
mg_check "canary: 1,000 responses ($canary_n)" test "$canary_n" -eq 1000
mg_check "canary: all 1,000 from v2 with 200 ($canary_v2)" test "$canary_v2" -eq 1000
phase_stats canary

# (d) Load: 100 connections for 20 s on the 90/10 route.
wrk_run load 2 100 20s "http://$GW:8080/" 0
mg_log "load: ${R[requests]} requests in $(awk -v u="${R[duration_us]}" 'BEGIN { printf "%.2f", u / 1e6 }') s, ${R[rps]} requests/s, latency p50 ${R[p50_us]} us, p99 ${R[p99_us]} us (v1 ${R[v1]}, v2 ${R[v2]})"
mg_check "load: no socket errors (connect ${R[connect]}, read ${R[read]}, write ${R[write]}, timeout ${R[timeout]})" \
	test "$((R[connect] + R[read] + R[write] + R[timeout]))" -eq 0
mg_check "load: no non-2xx (non-2xx ${R[non2xx]}, status errors ${R[status]})" \
	test "${R[non2xx]}" -eq 0 -a "${R[status]}" -eq 0
mg_check "load: every response from v1 or v2 (other ${R[other]})" test "${R[other]}" -eq 0
mg_check "load: requests were served (${R[requests]})" test "${R[requests]}" -gt 1000
grep -E '^(Running|  [0-9]+ threads|    (Latency|Req/Sec)|  [0-9]+ requests|Requests/sec|Transfer/sec)' \
	"$MG_WORKDIR/wrk-load.out" | while read -r line; do mg_log "wrk: $line"; done
phase_stats load

# --- 64 MiB transfers -------------------------------------------------------
# transfer NAME URL [curl args...]: body piped to sha256sum; sets T_SUM and
# T_INFO (status, bytes down, bytes up, seconds).
transfer() {
	local name=$1 url=$2
	shift 2
	T_SUM=$(mg_client curl -sS --max-time 120 "$@" \
		-w '%{stderr}%{http_code} %{size_download} %{size_upload} %{time_total}\n' \
		"$url" 2>"$MG_WORKDIR/$name.err" | sha256sum | cut -d' ' -f1) ||
		mg_fail "$name: curl failed: $(tail -n 5 "$MG_WORKDIR/$name.err")"
	T_INFO=$(tail -n 1 "$MG_WORKDIR/$name.err")
	local code down up secs
	read -r code down up secs <<<"$T_INFO"
	mg_log "$name: HTTP $code, $down bytes down, $up bytes up in ${secs} s ($(awk -v b="$((down > up ? down : up))" -v s="$secs" 'BEGIN { printf "%.0f", b / 1048576 / (s > 0 ? s : 1) }') MiB/s)"
	mg_check "$name: status 200 ($code)" test "$code" = 200
}

SIZE=$((MIB << 20))
transfer download-http "http://$GW:8080/big.bin"
mg_check "download through the HTTP listener: sha256 matches" test "$T_SUM" = "$BIG_SUM"
phase_stats download-http

transfer upload-http "http://$GW:8080/echo" --data-binary "@$UPLOAD" \
	-H 'Content-Type: application/octet-stream'
read -r _ down up _ <<<"$T_INFO"
mg_check "upload through the HTTP listener: $up bytes sent, $down echoed" \
	test "$up" -eq "$SIZE" -a "$down" -eq "$SIZE"
mg_check "upload through the HTTP listener: the echoed sha256 matches" test "$T_SUM" = "$UPLOAD_SUM"
phase_stats upload-http

transfer download-tcp "http://$GW:9000/big.bin"
mg_check "download through the TCP proxy listener: sha256 matches" test "$T_SUM" = "$BIG_SUM"
phase_stats download-tcp

# --- afterwards --------------------------------------------------------------
mg_check "the gateway is alive" mg_alive
got=$(mg_client curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://$GW:8080/x") || got=fail
mg_check "the gateway still answers ($got)" test "$got" = 200

mg_stats "$MG_WORKDIR/stats.json"
"$MG_PYTHON" - "$MG_WORKDIR/stats.json" >"$MG_WORKDIR/counters.txt" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p = s.get("proxy_total", {})
t = s.get("tcp_total", {})
for k in ("downstream_cx_total", "downstream_rq_total", "downstream_rq_2xx",
          "downstream_rq_4xx", "downstream_rq_5xx", "downstream_rq_bad",
          "upstream_cx_total", "upstream_cx_reused", "upstream_cx_connect_fail",
          "upstream_rs_bad", "upstream_rs_reset", "upstream_rq_no_healthy",
          "downstream_rq_timeout", "tcp_proxy_cx_total", "bytes_in", "bytes_out"):
    print("proxy", k, p.get(k, 0))
for k in ("retransmits", "rto_expired", "conn_reset", "conn_timeout", "rst_out_abort",
          "send_eagain", "no_mbuf", "passive_opens", "active_opens"):
    print("tcp", k, t.get(k, 0))
PY
declare -A P=()
while read -r kind k v; do P[$kind.$k]=$v; done <"$MG_WORKDIR/counters.txt"
mg_log "proxy: requests ${P[proxy.downstream_rq_total]} (2xx ${P[proxy.downstream_rq_2xx]}, 4xx ${P[proxy.downstream_rq_4xx]}, 5xx ${P[proxy.downstream_rq_5xx]}), client connections ${P[proxy.downstream_cx_total]}, upstream connections ${P[proxy.upstream_cx_total]} (reused ${P[proxy.upstream_cx_reused]}), connect failures ${P[proxy.upstream_cx_connect_fail]}, bad responses ${P[proxy.upstream_rs_bad]}, upstream resets ${P[proxy.upstream_rs_reset]}, tcp proxy connections ${P[proxy.tcp_proxy_cx_total]}"
mg_log "tcp: retransmits ${P[tcp.retransmits]}, RTOs ${P[tcp.rto_expired]}, resets in ${P[tcp.conn_reset]}, aborts ${P[tcp.rst_out_abort]}, send_eagain ${P[tcp.send_eagain]}, no_mbuf ${P[tcp.no_mbuf]}"
mg_check "no 5xx and no 4xx from the proxy (${P[proxy.downstream_rq_5xx]}, ${P[proxy.downstream_rq_4xx]})" \
	test "${P[proxy.downstream_rq_5xx]}" -eq 0 -a "${P[proxy.downstream_rq_4xx]}" -eq 0
mg_check "no upstream connect failures or bad responses (${P[proxy.upstream_cx_connect_fail]}, ${P[proxy.upstream_rs_bad]})" \
	test "${P[proxy.upstream_cx_connect_fail]}" -eq 0 -a "${P[proxy.upstream_rs_bad]}" -eq 0
mg_check "the proxy counted at least 111,000 requests (${P[proxy.downstream_rq_total]})" \
	test "${P[proxy.downstream_rq_total]}" -ge 111000
mg_check "upstream connections are kept alive (${P[proxy.upstream_cx_reused]} reused of ${P[proxy.upstream_cx_total]})" \
	test "${P[proxy.upstream_cx_reused]}" -gt "${P[proxy.upstream_cx_total]}"
mg_check "one TCP proxy connection (${P[proxy.tcp_proxy_cx_total]})" test "${P[proxy.tcp_proxy_cx_total]}" -eq 1

if grep -E '\[(crit|alert|emerg)\]' "$NG/error.log" >&2; then
	mg_fail "nginx logged the errors above"
fi
nerr=$(grep -c '\[error\]' "$NG/error.log" || true)
mg_log "nginx error log: $nerr line(s) at [error]"
ng_stop
mg_stop_gw || true
mg_check "the gateway exited 0 on SIGTERM ($MG_GW_STATUS)" test "$MG_GW_STATUS" = 0
mg_log "PASS"
