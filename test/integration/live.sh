# test/integration/live.sh — steady wrk load across live config changes, for
# the scripts that source it after lib.sh (94, 95).
#
#   lv_wrk_start SECONDS URL  wrk (2 threads, 20 keep-alive connections,
#                             wrk_phases.lua) in the client namespace for
#                             SECONDS; WRK_PID is its PID
#   lv_wrk_wait SECONDS       wait for it to end (SECONDS + 30 at most), fail
#                             if it did not or failed
#   lv_wrk_stop               kill it (cleanup)
#   lv_updates                the gateway's config_updates, summed over workers
#   lv_judge T0 T1 T2 T3      judge wrk's output over three phases, 100/0
#                             (T0-T1), 50/50 (T1-T2) and 0/100 (T2-T3): no
#                             socket error, no non-2xx, v2 never in the first,
#                             within 4 binomial standard deviations of one half
#                             in the second, v1 never in the third (whole
#                             seconds inside each phase, wrk_phases.py)
# shellcheck shell=bash

WRK=${MG_WRK:-wrk}
WRK_PID=

lv_wrk_start() {
	command -v "$WRK" >/dev/null || mg_fail "no wrk (apt-get install wrk)"
	# A background job starts with SIGINT ignored; `ip netns exec` execs wrk.
	env --default-signal=INT ip netns exec "$MG_NS_CLIENT" "$WRK" -t 2 -c 20 -d "${1}s" \
		--timeout 5s -s "$MG_IT_DIR/wrk_phases.lua" "$2" >"$MG_WORKDIR/wrk.out" 2>&1 &
	WRK_PID=$!
}

lv_wrk_wait() {
	local i
	for ((i = 0; i < ($1 + 30) * 10; i++)); do
		kill -0 "$WRK_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$WRK_PID" 2>/dev/null && mg_fail "wrk did not finish: $(cat "$MG_WORKDIR/wrk.out")"
	wait "$WRK_PID" || mg_fail "wrk failed: $(cat "$MG_WORKDIR/wrk.out")"
	WRK_PID=
}

lv_wrk_stop() {
	if [[ -n "$WRK_PID" ]]; then
		kill -s KILL "$WRK_PID" 2>/dev/null || true
		wait "$WRK_PID" 2>/dev/null || true
		WRK_PID=
	fi
}

lv_updates() {
	mg_stats "$MG_WORKDIR/u.json"
	mg_counter "$MG_WORKDIR/u.json" proxy.config_updates
}

lv_judge() {
	local verdict kv
	local -A V=()
	verdict=$("$MG_PYTHON" "$MG_IT_DIR/wrk_phases.py" "$MG_WORKDIR/wrk.out" "$@")
	mg_log "wrk across the changes: $verdict"
	for kv in $verdict; do V[${kv%%=*}]=${kv#*=}; done
	mg_check "no socket error under the changes (${V[errors]})" test "${V[errors]}" = 0
	mg_check "no non-2xx under the changes (${V[non2xx]})" test "${V[non2xx]}" = 0
	mg_check "100/0: only v1 answered (v1 ${V[p1_v1]}, v2 ${V[p1_v2]})" \
		test "${V[p1_v2]}" -eq 0 -a "${V[p1_v1]}" -gt 100
	mg_check "50/50: v2 within 4 standard deviations of 1/2 (${V[p2_dev50]} sd; v1 ${V[p2_v1]}, v2 ${V[p2_v2]})" \
		"$MG_PYTHON" -c "import sys; sys.exit(not (${V[p2_v1]} + ${V[p2_v2]} > 100 and ${V[p2_dev50]} <= 4))"
	mg_check "0/100: only v2 answered (v1 ${V[p3_v1]}, v2 ${V[p3_v2]})" \
		test "${V[p3_v1]}" -eq 0 -a "${V[p3_v2]}" -gt 100
}
