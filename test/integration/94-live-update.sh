#!/usr/bin/env bash
# 94-live-update: a new config applied live under steady load, through the
# path every config update takes (compile -> check -> publish -> each worker
# switches and drains the old snapshot), triggered here by SIGHUP (the
# gateway re-reads its bootstrap file's static_resources; xDS updates from
# meshgate-ctrl take the same path, see 95-ctrl-canary).
#
# nginx v1 and v2 upstreams; wrk (2 threads, 20 keep-alive connections) runs
# for the whole test against a route split v1/v2 while the file goes
# 100/0 -> 50/50 -> a file with a YAML error -> 0/100, one SIGHUP each.
# Checked:
#   - wrk saw no socket error (connect, read, write, timeout) and no non-2xx;
#   - the split of the whole seconds between two changes follows the config:
#     v2 never answered under 100/0, v1 never under 0/100, and under 50/50
#     v2's share is within 4 binomial standard deviations of one half;
#   - no client connection was dropped: from the first change on, the
#     gateway accepted two connections (curls on 8090), none from wrk (a
#     worker that closed kept-alive connections on a change would make wrk
#     reconnect);
#   - the YAML error was reported with file:line:column and changed nothing;
#   - a listener added by a change opens (curl on 8090), moves from 0.0.0.0
#     to the gateway's address on the same port with the next change (it
#     still answers: the old one had to close for the new one to open), and
#     is closed by the last change (connection refused), while 8080 stays up;
#   - every replaced snapshot was let go once its connections ended
#     (config_drained == config_updates after wrk stopped);
#   - upstream connections moved to the new config (upstream_cx_adopted):
#     the changes keep both clusters, so their pools carry over.
# About 46 s.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=nginx.sh
source "$MG_IT_DIR/nginx.sh"
# shellcheck source=live.sh
source "$MG_IT_DIR/live.sh"

PHASE=${MG_LIVE_PHASE_SECONDS:-6}

IDLE_PIDS=()
live_cleanup() {
	local rc=$?
	set +e
	lv_wrk_stop
	for p in "${IDLE_PIDS[@]}"; do mg_stop_pid "$p"; done
	ng_stop
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap live_cleanup EXIT

V1=$MG_ADDR_SERVICE
V2=$MG_ADDR_UP
GW=$MG_ADDR_GW_CLIENT

# write_config W1 W2 [EXTRA_PORT [EXTRA_ADDR]]: the bootstrap with a W1/W2
# split on 8080 and, optionally, a second listener (direct response) on
# EXTRA_ADDR:EXTRA_PORT (0.0.0.0 unless given).
BASE=$MG_WORKDIR/base.yaml
mg_write_config
cp "$MG_CONFIG" "$BASE"
write_config() {
	local w1=$1 w2=$2 extra=${3:-} extra_addr=${4:-0.0.0.0} tmp=$MG_CONFIG.tmp
	{
		cat "$BASE"
		cat <<YAML
static_resources:
  listeners:
$(mg_hcm_listener web 8080)
          route_config:
            name: web
            virtual_hosts:
            - name: svc
              domains: ["*"]
              routes:
              - match: {prefix: /}
                route:
                  weighted_clusters:
                    clusters: [{name: v1, weight: $w1}, {name: v2, weight: $w2}]
YAML
		if [[ -n "$extra" ]]; then
			cat <<YAML
$(mg_hcm_listener extra "$extra" "$extra_addr")
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: /}
                direct_response: {status: 200, body: {inline_string: "extra\n"}}
YAML
		fi
		cat <<YAML
  clusters:
  - name: v1
    connect_timeout: 1s
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $V1, port_value: 8081}}}}]}]}
  - name: v2
    connect_timeout: 1s
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $V2, port_value: 8082}}}}]}]}
YAML
	} >"$tmp"
	mv "$tmp" "$MG_CONFIG" # a reader never sees half a file
}

# reload WANT: SIGHUP, then wait (5 s at most) until every worker switched
# (config_updates == WANT * workers); prints SENT~SEEN, the times of the
# signal and of seeing it applied, in s (a window for wrk_phases.py).
WORKERS=1
reload() {
	local want=$(($1 * WORKERS)) i sent
	sent=$(date +%s.%N)
	kill -s HUP "$MG_PID"
	for ((i = 0; i < 50; i++)); do
		if [[ $(lv_updates) -ge $want ]]; then
			echo "$sent~$(date +%s.%N)"
			return 0
		fi
		sleep 0.1
	done
	mg_fail "the gateway did not switch to config $1 in 5 s (config_updates $(lv_updates))"
}

write_config 100 0
mg_start
ng_start "$(ng_server v1 "$V1" 8081)" "$(ng_server v2 "$V2" 8082)"
ng_wait v1 "$V1:8081"
ng_wait v2 "$V2:8082"
got=$(mg_client curl -sS --max-time 5 "http://$GW:8080/") || mg_fail "no answer through the gateway"
mg_check "100/0: the first request reaches v1 ($got)" test "$got" = v1

# idle_start NAME PORT: a kept-alive client connection (idle_conn.py) that
# makes one request and goes idle; its lines in $MG_WORKDIR/NAME.out, and
# touching $MG_WORKDIR/NAME.go makes it send a second request.
idle_start() {
	local i
	# `ip netns exec` execs python: $! is the client's own PID.
	ip netns exec "$MG_NS_CLIENT" "$MG_PYTHON" "$MG_IT_DIR/idle_conn.py" "$GW" "$2" \
		"$MG_WORKDIR/$1.go" 120 >"$MG_WORKDIR/$1.out" 2>&1 &
	IDLE_PIDS+=($!)
	for ((i = 0; i < 50; i++)); do
		grep -q '^first ' "$MG_WORKDIR/$1.out" && return 0
		sleep 0.1
	done
	mg_fail "idle client $1: no first response: $(cat "$MG_WORKDIR/$1.out")"
}

# idle_wait NAME WORD: wait (3 s at most) for a line starting with WORD.
idle_wait() {
	local i
	for ((i = 0; i < 30; i++)); do
		grep -q "^$2" "$MG_WORKDIR/$1.out" && return 0
		sleep 0.1
	done
	return 1
}

# An idle kept-alive connection through every change below.
idle_start idle8080 8080

# wrk for the whole test.
DUR=$((PHASE * 5 + 4))
lv_wrk_start "$DUR" "http://$GW:8080/"
T0=$(date +%s.%N)
sleep "$PHASE"
# wrk's connections are open now (it opens one more than -c at its start).
mg_stats "$MG_WORKDIR/s0.json"

write_config 50 50 8090
T1=$(reload 1)
mg_log "50/50 with a listener on 8090: applied at $T1"
got=$(mg_client curl -sS --max-time 5 "http://$GW:8090/") || got="(failed)"
mg_check "the listener the change added answers ($got)" test "$got" = extra
sleep "$PHASE"

# A YAML error: reported with its position; nothing changes.
cp "$MG_CONFIG" "$MG_WORKDIR/good.yaml"
printf 'static_resources:\n  listeners:\n  - name: [broken\n' >"$MG_CONFIG.tmp"
cat "$BASE" "$MG_CONFIG.tmp" >"$MG_CONFIG"
kill -s HUP "$MG_PID"
for ((i = 0; i < 50; i++)); do
	grep -q 'reload: .*still serving the previous config' "$MG_GW_LOG" && break
	sleep 0.1
done
line=$(grep 'reload: .*still serving the previous config' "$MG_GW_LOG" | tail -n1)
mg_log "bad file: $line"
mg_check "the YAML error is reported with file:line:column" \
	grep -qE "meshgate.yaml:[0-9]+:[0-9]+" <<<"$line"
mg_check "the bad file changed nothing (config_updates $(lv_updates) == $WORKERS)" \
	test "$(lv_updates)" -eq "$WORKERS"
cp "$MG_WORKDIR/good.yaml" "$MG_CONFIG"
sleep "$PHASE"

# The extra listener changes address on the port it keeps: 0.0.0.0:8090 and
# $GW:8090 cannot listen side by side, so the old one closes just before the
# new one opens (a worker that refused would never count the update).
write_config 50 50 8090 "$GW"
reload 2 >/dev/null
got=$(mg_client curl -sS --max-time 5 "http://$GW:8090/") || got="(failed)"
mg_check "the listener that moved to $GW:8090 answers ($got)" test "$got" = extra
mg_check "no worker refused the change (no listener error in the log)" \
	test "$(grep -c 'listener extra on port 8090' "$MG_GW_LOG")" -eq 0
# An idle kept-alive connection on the listener the next change removes.
idle_start idle8090 8090
sleep "$PHASE"

write_config 0 100
T2=$(reload 3)
mg_log "0/100 without 8090: applied at $T2"
code=$(mg_client curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$GW:8090/" || true)
mg_check "the listener the change removed is closed (curl: $code)" test "$code" = 000
# Envoy drains a removed listener's connections: an idle one closes at once.
mg_check "an idle kept-alive connection on the removed listener was closed ($(tr '\n' ' ' <"$MG_WORKDIR/idle8090.out"))" \
	idle_wait idle8090 closed
# The idle connection on 8080, open since before the first change, moved to
# the new config at each switch: it holds none of the replaced snapshots.
for ((i = 0; i < 30; i++)); do
	[[ $(mg_counter <(mg_http /stats) proxy.config_drained) -ge $((3 * WORKERS)) ]] && break
	sleep 0.1
done
mg_stats "$MG_WORKDIR/s_idle.json"
drained=$(mg_counter "$MG_WORKDIR/s_idle.json" proxy.config_drained)
mg_check "with an idle connection open since before the first change, every replaced snapshot was let go ($drained of $((3 * WORKERS)))" \
	test "$drained" -eq $((3 * WORKERS))
mg_check "... and that connection is still open ($(tr '\n' ' ' <"$MG_WORKDIR/idle8080.out"))" \
	test "$(wc -l <"$MG_WORKDIR/idle8080.out")" -eq 1
touch "$MG_WORKDIR/idle8080.go"
mg_check "its next request follows the last change: v2" idle_wait idle8080 "get v2"
sleep "$PHASE"

lv_wrk_wait "$DUR"
T3=$(date +%s.%N)
grep -E '^(RESULT|BUCKET)' "$MG_WORKDIR/wrk.out" >&2 || true
mg_settle 5
mg_stats "$MG_WORKDIR/s1.json"

lv_judge "$T0" "$T1" "$T2" "$T3"
acc=$(($(mg_counter "$MG_WORKDIR/s1.json" proxy.downstream_cx_total) - $(mg_counter "$MG_WORKDIR/s0.json" proxy.downstream_cx_total)))
# From before the first change: two curls and the idle client on 8090,
# nothing else.
mg_check "no client connection was dropped: $acc accepted after the first change (two curls, one idle client)" \
	test "$acc" -eq 3
upd=$(mg_counter "$MG_WORKDIR/s1.json" proxy.config_updates)
drained=$(mg_counter "$MG_WORKDIR/s1.json" proxy.config_drained)
mg_check "every replaced snapshot was let go ($drained drained of $upd updates)" \
	test "$drained" -eq "$upd" -a "$upd" -eq $((3 * WORKERS))
up=$(($(mg_counter "$MG_WORKDIR/s1.json" proxy.upstream_cx_total) - $(mg_counter "$MG_WORKDIR/s0.json" proxy.upstream_cx_total)))
adopted=$(mg_counter "$MG_WORKDIR/s1.json" proxy.upstream_cx_adopted)
mg_log "after the first change: $up upstream connections opened (nginx closes one every 1,000 requests), $adopted kept by a change"
# Both changes keep clusters v1 and v2: the upstream connections of wrk's 20
# move to the new config rather than close (Envoy keeps an unchanged
# cluster's pools).
mg_check "kept-alive upstream connections moved to the new config ($adopted >= 20)" \
	test "$adopted" -ge 20
mg_check "gateway still running" mg_alive
mg_stop_gw
mg_log "PASS"
