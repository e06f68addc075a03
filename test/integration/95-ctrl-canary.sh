#!/usr/bin/env bash
# 95-ctrl-canary: the control plane end to end.  meshgate-ctrl (in the
# gateway's namespace, ADS on 127.0.0.1:15010, status on 127.0.0.1:15014)
# reads a directory of Istio YAML — a Gateway on 8080, a ServiceEntry with
# nginx v1 (198.18.2.1:8081) and v2 (198.18.1.2:8082) as endpoints labelled
# by version, a DestinationRule with subsets v1 and v2, a VirtualService
# splitting between them — and the gateway, whose bootstrap has only
# dynamic_resources (ADS), serves what it pushes.  wrk (2 threads, 20
# keep-alive connections, wrk_phases.lua) runs for the whole test while:
#   1. the VirtualService is rewritten on disk 100/0 -> 50/50 -> 0/100;
#   2. a file with a YAML error appears: reported by the controller with
#      file:line:column, nothing pushed, traffic unaffected; then removed;
#   3. the controller is killed (SIGKILL) and restarted: traffic unaffected,
#      the gateway reconnects and is SYNCED again;
#   4. a Gateway server on port 7 (the gateway's echo service) is added: the
#      controller accepts it, the gateway cannot apply it and NACKs it (the
#      response that completes the new set — RDS, after LDS brought the
#      listener naming it — carries the NACK: the set is checked whole);
#      `meshgatectl proxy-status` shows the NACK and its reason, traffic
#      keeps flowing on the old config; the file removed, the gateway is
#      SYNCED on a new version.
# Checked: wrk saw no socket error and no non-2xx; the split of the whole
# seconds of each phase follows the weights (v2 never under 100/0, v1 never
# under 0/100, v2 within 4 binomial standard deviations of one half under
# 50/50); no client connection dropped; proxy-status at each step.
# About 60 s.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=nginx.sh
source "$MG_IT_DIR/nginx.sh"
# shellcheck source=live.sh
source "$MG_IT_DIR/live.sh"
# shellcheck source=istio_canary.sh
source "$MG_IT_DIR/istio_canary.sh"

CTRL_PID=
PHASE=${MG_LIVE_PHASE_SECONDS:-6}
CTRL=${MG_CTRL_BIN:-$(dirname "$MG_BIN")/../meshgate-ctrl/meshgate-ctrl}
CTL=${MG_CTL_BIN:-$(dirname "$MG_BIN")/../meshgatectl/meshgatectl}
DIR=$MG_WORKDIR/istio
CTRL_LOG=$MG_WORKDIR/meshgate-ctrl.log
XDS=127.0.0.1:15010
STATUS=127.0.0.1:15014

# stop_ctrl [SIGNAL]: stop the controller we started (by PID), 5 s at most.
stop_ctrl() {
	mg_stop_pid "$CTRL_PID" "${1:-TERM}"
	CTRL_PID=
}
start_ctrl() {
	# Keepalive PINGs every 500 ms of quiet: the gateway's ADS client must
	# answer each (checked at the end).
	ip netns exec "$MG_NS_GW" "$CTRL" --config-dir "$DIR" --listen "$XDS" --status "$STATUS" \
		--debounce-ms 100 --keepalive-ms 500 --keepalive-timeout-ms 1000 >>"$CTRL_LOG" 2>&1 &
	CTRL_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(mg_gw curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$STATUS/ready" || true) == 200 ]] &&
			return 0
		kill -0 "$CTRL_PID" 2>/dev/null || mg_fail "meshgate-ctrl exited: $(tail -n 20 "$CTRL_LOG")"
		sleep 0.1
	done
	mg_fail "meshgate-ctrl not ready in 5 s: $(tail -n 20 "$CTRL_LOG")"
}
ctrl_cleanup() {
	local rc=$?
	set +e
	lv_wrk_stop
	stop_ctrl
	ng_stop
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap ctrl_cleanup EXIT
[[ -x "$CTRL" ]] || mg_fail "no meshgate-ctrl at $CTRL (build it)"
[[ -x "$CTL" ]] || mg_fail "no meshgatectl at $CTL (build it)"

V1=$MG_ADDR_SERVICE
V2=$MG_ADDR_UP
GW=$MG_ADDR_GW_CLIENT
ic_service "$DIR" "$V1" "$V2" 8081 8082
ic_split "$DIR" 100 0

# The gateway: interfaces from the test bed, everything else from ADS, and
# the echo service on 7.
mg_write_config ads=gw-95:15010
printf 'tcp:\n  services: { echo: 7 }\n' >>"$MG_CONFIG"

ng_start "$(ng_server v1 "$V1" 8081)" "$(ng_server v2 "$V2" 8082)"
ng_wait v1 "$V1:8081"
ng_wait v2 "$V2:8082"
start_ctrl
mg_start

# status TYPE: the gateway's line of proxy-status (NAME CDS LDS EDS RDS ...).
pstatus() {
	mg_gw "$CTL" proxy-status --ctrl "$STATUS" 2>&1
}
# wait_synced WHAT: every type SYNCED for gw-95 (10 s at most).
wait_synced() {
	local i out
	for ((i = 0; i < 100; i++)); do
		out=$(pstatus)
		if grep -E '^gw-95 ' <<<"$out" | grep -qvE 'STALE|NACKED|NOT SENT' &&
			[[ $(grep -E '^gw-95 ' <<<"$out" | grep -o SYNCED | wc -l) -eq 4 ]]; then
			return 0
		fi
		sleep 0.1
	done
	mg_log "proxy-status: $out"
	return 1
}
# applied_after N: wait (10 s at most) until config_updates > N; print the time.
applied_after() {
	local i
	for ((i = 0; i < 100; i++)); do
		if (($(lv_updates) > $1)); then
			date +%s.%N
			return 0
		fi
		sleep 0.1
	done
	mg_fail "the gateway did not apply the change in 10 s (config_updates $(lv_updates)); controller: $(tail -n 5 "$CTRL_LOG")"
}

# First config: the gateway starts with none and serves once ADS delivers.
for ((i = 0; i < 100; i++)); do
	got=$(mg_client curl -s --max-time 1 "http://$GW:8080/" 2>/dev/null || true)
	[[ "$got" == v1 ]] && break
	sleep 0.1
done
mg_check "the gateway serves the controller's config (100/0: $got)" test "$got" = v1
mg_check "proxy-status: gw-95 SYNCED on CDS, LDS, EDS and RDS" wait_synced
mg_log "proxy-status:"$'\n'"$(pstatus)"

DUR=$((PHASE * 5 + 6))
lv_wrk_start "$DUR" "http://$GW:8080/"
T0=$(date +%s.%N)
sleep "$PHASE"
mg_stats "$MG_WORKDIR/s0.json" # wrk's connections are open now

n=$(lv_updates)
W=$(date +%s.%N) # the change is made after this: the phases' window is W~seen
ic_split "$DIR" 50 50
T1="$W~$(applied_after "$n")"
mg_log "50/50 applied at $T1"
sleep "$PHASE"

# A YAML error: reported with its position, nothing pushed.
n=$(lv_updates)
printf 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: broken\nspec: {}\n' \
	>"$DIR/20-broken.yaml"
for ((i = 0; i < 50; i++)); do
	grep -q '20-broken.yaml:[0-9]*:[0-9]*' "$CTRL_LOG" && break
	sleep 0.1
done
mg_check "the controller reports the YAML error with file:line:column ($(grep -m1 '20-broken.yaml' "$CTRL_LOG"))" \
	grep -q '20-broken.yaml:[0-9]*:[0-9]*' "$CTRL_LOG"
sleep 1
mg_check "nothing was pushed for the bad file (config_updates $(lv_updates) == $n)" test "$(lv_updates)" -eq "$n"
rm -f "$DIR/20-broken.yaml"

n=$(lv_updates)
W=$(date +%s.%N)
ic_split "$DIR" 0 100
T2="$W~$(applied_after "$n")"
mg_log "0/100 applied at $T2"

# The controller killed and restarted under load.
stop_ctrl KILL
sleep 1
start_ctrl
mg_check "after a controller restart, gw-95 is SYNCED again" wait_synced

# A config the gateway cannot apply: a Gateway server on port 7, where the
# gateway's echo service listens.  NACKed; the old config keeps serving.
cat >"$DIR/30-port7.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: seven, namespace: shop}
spec:
  selector: {app: meshgate}
  servers:
  - port: {number: 7, name: http-seven, protocol: HTTP}
    hosts: ["*"]
YAML
for ((i = 0; i < 100; i++)); do
	out=$(pstatus)
	grep -q NACKED <<<"$out" && break
	sleep 0.1
done
mg_log "proxy-status with the NACK:"$'\n'"$out"
mg_check "proxy-status shows gw-95's NACK" grep -qE '^gw-95 .*NACKED' <<<"$out"
mg_check "proxy-status shows why (port 7 is the gateway's echo service)" \
	grep -q 'port 7 is taken' <<<"$out"
got=$(mg_client curl -s --max-time 2 "http://$GW:8080/" || true)
mg_check "the old config keeps serving (0/100: $got)" test "$got" = v2
rm -f "$DIR/30-port7.yaml"
mg_check "the file removed, gw-95 is SYNCED again" wait_synced
sleep "$PHASE"
T3=$(date +%s.%N)

lv_wrk_wait "$DUR"
mg_stats "$MG_WORKDIR/s1.json"

lv_judge "$T0" "$T1" "$T2" "$T3"
acc=$(($(mg_counter "$MG_WORKDIR/s1.json" proxy.downstream_cx_total) - $(mg_counter "$MG_WORKDIR/s0.json" proxy.downstream_cx_total)))
mg_check "no client connection dropped ($acc accepted after wrk connected, the NACK check's curl only)" \
	test "$acc" -le 1
ka=$(mg_gw curl -sf -m 2 "http://$STATUS/debug/syncz" | "$MG_PYTHON" -c '
import json, sys
a = json.load(sys.stdin)["ads"]
print(a["keepalive_pings"], a["keepalive_timeouts"])')
read -r ka_pings ka_timeouts <<<"$ka"
mg_check "the gateway answered the controller's keepalive PINGs (${ka_pings:-0} sent since the restart, ${ka_timeouts:-?} unanswered)" \
	test "${ka_pings:-0}" -ge 5 -a "${ka_timeouts:-1}" -eq 0
mg_check "gateway still running" mg_alive
mg_stop_gw
mg_log "PASS"
