#!/usr/bin/env bash
# 85-tcp-forward: the gateway's forward service (an L4 relay: each accepted
# connection gets an active open of its own to the upstream) between two
# Linux TCP stacks: the client in the client namespace connects to the
# gateway's forward port, and a python3 server in the upstream namespace
# (test/integration/fwd_peer.py, on the service network 198.18.2.1) is the
# destination.  The bootstrap comes from `tools/netns.sh config
# forward=PORT:ADDR:DPORT`.  For each worker count in MG_FWD_WORKERS
# (default "1 2"), a fresh gateway run:
#   (a) echo: MG_FWD_MIB MiB (default 64) each way at once; sha256 of what
#       the client sent == of what came back through two relays;
#   (b) half-close, client first: MG_FWD_MIB MiB, shutdown(SHUT_WR); the
#       upstream's answer (length and sha256 of what it got) arrives after
#       the client's FIN, then EOF;
#   (c) half-close, upstream first: the upstream sends MG_FWD_MIB MiB of a
#       seeded pattern and shuts down first; after EOF the client still sends
#       1 MiB, which the upstream receives whole (sha256 checked);
#   (d) 200 sequential connect / echo 4 KiB / half-close / EOF / close;
#   (e) RST: the client aborts (SO_LINGER 0) mid-transfer; the upstream sees
#       a reset;
#   (f) nothing listening upstream (server stopped): the client, already
#       accepted, sees a reset;
#   then no connection is left but TIME_WAIT, and TIME_WAIT drains to 0
#   (2 MSL, ~60 s: watched on the last worker count only; MG_FWD_TW_WAIT=0
#   skips that wait).
# With several workers the upstream's SYN-ACK and data may reach a worker
# that did not open the connection (af_packet's fanout hashes the flow): the
# TCP layer hands those segments to the owner (port % workers), and the
# script checks that this happened and lost nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
BIG=$((${MG_FWD_MIB:-64} * MIB))
CYCLES=200
FWD_PORT=8080
UP_ADDR=198.18.2.1
UP_PORT=9000
PEER=$MG_IT_DIR/fwd_peer.py
SERVER_PID=

# The server lives in the upstream namespace, which `netns.sh down` removes
# without killing what runs there: stop it (by PID) before the lib's cleanup.
stop_server() {
	if [[ -n "$SERVER_PID" ]]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

fwd_cleanup() {
	local rc=$?
	set +e # a failing step here must not skip mg_cleanup
	stop_server
	(exit "$rc") # mg_cleanup reads the test's status from $?
	mg_cleanup
}

start_server() {
	: >"$MG_WORKDIR/server.out"
	# Not through mg_upstream: a backgrounded function is a subshell, and
	# its PID would not be the server's.  ip netns exec execs timeout, which
	# passes our SIGTERM on to python.
	ip netns exec "$MG_NS_UP" timeout -k 5 900 "$MG_PYTHON" "$PEER" --deadline 880 \
		server "$UP_ADDR" "$UP_PORT" >"$MG_WORKDIR/server.out" 2>>"$MG_WORKDIR/server.err" &
	SERVER_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$MG_WORKDIR/server.out" && return 0
		sleep 0.1
	done
	mg_fail "the upstream server did not start: $(cat "$MG_WORKDIR/server.err")"
}

# tcp_stat FILE KEY: a value of "tcp_total" in a saved /stats: a counter,
# connections.STATE, or "live" (every state but TIME_WAIT).
tcp_stat() {
	"$MG_PYTHON" - "$1" "$2" <<'EOF'
import json, sys
t, key = json.load(open(sys.argv[1]))["tcp_total"], sys.argv[2]
if key == "live":
    print(sum(v for k, v in t["connections"].items() if k != "TIME_WAIT"))
elif key.startswith("connections."):
    print(t["connections"][key.split(".", 1)[1]])
else:
    print(t[key])
EOF
}

tcp_conns() {
	"$MG_PYTHON" -c 'import json,sys
c = json.load(open(sys.argv[1]))["tcp_total"]["connections"]
print(" ".join("%s=%d" % kv for kv in c.items() if kv[1]) or "none")' "$1"
}

snap() {
	mg_stats "$MG_WORKDIR/$1.json"
}

delta() {
	echo $(($(tcp_stat "$MG_WORKDIR/$2.json" "$3") - $(tcp_stat "$MG_WORKDIR/$1.json" "$3")))
}

# wait_gauge KEY MAX: poll /stats until KEY (live, connections.STATE) is 0.
wait_gauge() {
	local deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		snap gauge
		[[ $(tcp_stat "$MG_WORKDIR/gauge.json" "$1") == 0 ]] && return 0
		sleep 0.5
	done
	return 1
}

# peer LIMIT ARGS...: fwd_peer.py in the client namespace, at most LIMIT s.
peer() {
	local limit=$1
	shift
	mg_client timeout -k 5 $((limit + 10)) "$MG_PYTHON" "$PEER" --deadline "$limit" "$@"
}

# run_workers N: one gateway run with N workers, steps (a)-(f).
run_workers() {
	local n=$1 lcores=0-1 tag="w$1" out
	# More lcores than CPUs: map the extra worker lcores onto CPUs 0 and 1.
	((n == 1)) || lcores=$(seq -s, 0 "$n" | sed -E 's/([0-9]+)/\1@\1/g; s/@([0-9]+)/@0/3g')
	mg_write_config "workers=$n" "lcores=$lcores" "forward=$FWD_PORT:$UP_ADDR:$UP_PORT"
	mg_start
	start_server
	local GW=$MG_ADDR_GW_CLIENT
	snap "$tag-0"

	out=$(peer 240 echo "$GW" $FWD_PORT $BIG) || mg_fail "[$tag] (a) echo of $BIG bytes: $out"
	mg_log "[$tag] (a) $out"
	out=$(peer 120 sink "$GW" $FWD_PORT $BIG) || mg_fail "[$tag] (b) client half-close: $out"
	mg_log "[$tag] (b) $out"
	out=$(peer 120 source "$GW" $FWD_PORT $BIG $MIB) ||
		mg_fail "[$tag] (c) upstream half-close: $out"
	mg_log "[$tag] (c) $out"
	out=$(peer 180 cycles "$GW" $FWD_PORT $CYCLES 4096) || mg_fail "[$tag] (d) cycles: $out"
	mg_log "[$tag] (d) $out"
	out=$(peer 60 rst "$GW" $FWD_PORT $((4 * MIB))) || mg_fail "[$tag] (e) rst: $out"
	mg_log "[$tag] (e) $out"
	wait_gauge live 15 ||
		mg_fail "[$tag] connections left: $(tcp_conns "$MG_WORKDIR/gauge.json")"
	snap "$tag-1"
	mg_log "[$tag] gateway: passive_opens +$(delta "$tag-0" "$tag-1" passive_opens)," \
		"active_opens +$(delta "$tag-0" "$tag-1" active_opens)," \
		"rst_in +$(delta "$tag-0" "$tag-1" rst_in), connections: $(tcp_conns "$MG_WORKDIR/$tag-1.json")"
	# 6 connections besides the cycles (a, b, c, c's report, e, e's report).
	mg_check "[$tag] active_opens == passive_opens == $((CYCLES + 6))" test \
		"$(delta "$tag-0" "$tag-1" active_opens)" -eq $((CYCLES + 6)) -a \
		"$(delta "$tag-0" "$tag-1" passive_opens)" -eq $((CYCLES + 6))
	# With two workers about half of the upstream's segments reach the worker
	# that did not open the connection; every one must be handed over.
	local hout hin full
	hout=$(delta "$tag-0" "$tag-1" handoff_out)
	hin=$(delta "$tag-0" "$tag-1" handoff_in)
	full=$(delta "$tag-0" "$tag-1" drop_handoff_full)
	mg_log "[$tag] segments handed between workers: out $hout, in $hin, ring full $full"
	if ((n > 1)); then
		mg_check "[$tag] segments were handed over ($hout) and all arrived ($hin)" \
			test "$hout" -gt 0 -a "$hout" -eq "$hin" -a "$full" -eq 0
	else
		mg_check "[$tag] one worker hands nothing over ($hout)" test "$hout" -eq 0
	fi

	stop_server
	out=$(peer 30 refused "$GW" $FWD_PORT) || mg_fail "[$tag] (f) refused upstream: $out"
	mg_log "[$tag] (f) $out"
	wait_gauge live 15 ||
		mg_fail "[$tag] (f) connections left: $(tcp_conns "$MG_WORKDIR/gauge.json")"
	# TIME_WAIT lasts 2 MSL (60 s): watched drain once, on the last run.
	if [[ "${MG_FWD_TW_WAIT:-1}" != 0 && $n == "$LAST_N" ]]; then
		wait_gauge connections.TIME_WAIT 75 ||
			mg_fail "[$tag] TIME_WAIT left after 75 s: $(tcp_conns "$MG_WORKDIR/gauge.json")"
		mg_log "[$tag] ok: every connection gauge back to 0"
	fi
	mg_check "[$tag] gateway still running" mg_alive
	mg_stop_gw TERM 10 || mg_fail "[$tag] the gateway did not stop on SIGTERM"
	mg_check "[$tag] exited 0" test "$MG_GW_STATUS" = 0
}

mg_setup
trap fwd_cleanup EXIT
LAST_N=$(echo "${MG_FWD_WORKERS:-1 2}" | awk '{print $NF}')
for n in ${MG_FWD_WORKERS:-1 2}; do
	run_workers "$n"
done
mg_log PASS
