#!/usr/bin/env bash
# 80-tcp: the gateway's userspace TCP stack against the Linux TCP stack in the
# client namespace, through the built-in services (echo 7, discard 9,
# source 19; the `tcp:` block is appended to the generated bootstrap).  The
# client is test/integration/tcp_client.py; every step has a deadline and
# prints its rate.
#   (a) echo: 256 MiB (MG_TCP_MIB) sent while reading back; sha256 of sent == received;
#   (b) discard: 256 MiB; the gateway's tcp_total counters grew by at least
#       the bytes and the bytes / MSS segments;
#   (c) source: 256 MiB requested, exactly that of the pattern received;
#   (e) half-close: 256 KiB, shutdown(SHUT_WR), read only then: all of it
#       comes back and the gateway closes (EOF);
#   (f) RST mid-transfer: SO_LINGER 0 and close during an echo transfer; the
#       gateway counts rst_in and conn_reset, and no connection is left in
#       any state (none goes to TIME_WAIT on a reset);
#   (d) 2,000 sequential connect / echo 1 KiB / close cycles; the client
#       closes first, so the client (Linux) holds TIME_WAIT and the gateway
#       passes CLOSE_WAIT and LAST_ACK: after a settle the gateway shows 0
#       ESTABLISHED and no connection in any state but TIME_WAIT;
#   (g) a second gateway run with `impair: { seed: 11, rx: { loss: 1% },
#       tx: { loss: 1% } }` on the client interface: 4 MiB through echo with
#       identical sha256 within 120 s, and retransmissions counted.
# Knob: MG_TCP_MIB (default 64) scales (a)-(c).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
BIG=$((${MG_TCP_MIB:-256} * MIB))
CYCLES=2000
IMPAIR_MIB=4
IMPAIR_LIMIT=120
CLIENT=$MG_IT_DIR/tcp_client.py
ECHO=7
DISCARD=9
SOURCE=19

# tcp_config [IMPAIR]: the default bootstrap plus the services, and an impair
# block on the client interface if given.
tcp_config() {
	mg_write_config
	if [[ -n "${1:-}" ]]; then
		sed -i "/^  - { name: client,/s/ }\$/, $1 }/" "$MG_CONFIG"
		grep -qF "$1" "$MG_CONFIG" || mg_fail "could not add the impair block"
	fi
	printf 'tcp:\n  services: { echo: %d, discard: %d, source: %d }\n' \
		"$ECHO" "$DISCARD" "$SOURCE" >>"$MG_CONFIG"
}

# tcp_stat FILE KEY: a value of "tcp_total" in a saved /stats.  KEY is a
# counter (rst_in), connections.STATE, or "live" (every state but TIME_WAIT).
tcp_stat() {
	"$MG_PYTHON" - "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
if "tcp_total" not in doc:
    sys.exit("no tcp_total in /stats: is TCP on?")
t, key = doc["tcp_total"], sys.argv[2]
if key == "live":
    print(sum(v for k, v in t["connections"].items() if k != "TIME_WAIT"))
elif key.startswith("connections."):
    print(t["connections"][key.split(".", 1)[1]])
else:
    print(t[key])
EOF
}

# tcp_conns FILE: the non-zero connection counts, for the log.
tcp_conns() {
	"$MG_PYTHON" -c 'import json,sys
c = json.load(open(sys.argv[1]))["tcp_total"]["connections"]
print(" ".join("%s=%d" % kv for kv in c.items() if kv[1]) or "none")' "$1"
}

snap() {
	mg_stats "$MG_WORKDIR/$1.json"
}

# delta BEFORE AFTER KEY: growth of a tcp_total counter between two snapshots.
delta() {
	echo $(($(tcp_stat "$MG_WORKDIR/$2.json" "$3") - $(tcp_stat "$MG_WORKDIR/$1.json" "$3")))
}

# client LIMIT ARGS...: tcp_client.py in the client namespace, at most LIMIT
# seconds (the client's own deadline; `timeout` kills it 10 s later).
client() {
	local limit=$1
	shift
	mg_client timeout -k 5 $((limit + 10)) "$MG_PYTHON" "$CLIENT" --deadline "$limit" "$@"
}

# wait_live MAX: poll /stats until no connection is in a state other than
# TIME_WAIT; returns 1 after MAX seconds.
wait_live() {
	local deadline=$((SECONDS + $1))
	while ((SECONDS < deadline)); do
		snap live
		[[ $(tcp_stat "$MG_WORKDIR/live.json" live) == 0 ]] && return 0
		sleep 0.5
	done
	return 1
}

mg_setup
tcp_config
mg_start
GW=$MG_ADDR_GW_CLIENT
snap start
mg_check "/stats has tcp_total and per-worker tcp" "$MG_PYTHON" -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert "ESTABLISHED" in d["tcp_total"]["connections"]
assert all("tcp" in w for w in d["workers"])' "$MG_WORKDIR/start.json"
mg_http /metrics >"$MG_WORKDIR/metrics.txt" || mg_fail "GET /metrics failed"
mg_check "/metrics has the TCP families" grep -q \
	'^meshgate_tcp_connections{worker="0",state="ESTABLISHED"} 0$' "$MG_WORKDIR/metrics.txt"

# (a) echo
out=$(client 120 echo "$GW" $ECHO $BIG) || mg_fail "(a) echo of $BIG bytes: $out"
mg_log "(a) $out"

# (b) discard
snap b0
out=$(client 120 discard "$GW" $DISCARD $BIG) || mg_fail "(b) discard of $BIG bytes: $out"
mg_log "(b) $out"
snap b1
bytes_in=$(delta b0 b1 bytes_in)
seg_in=$(delta b0 b1 seg_in)
mss=$((1500 - 40))
mg_log "(b) gateway tcp_total: bytes_in +$bytes_in, seg_in +$seg_in, seg_out +$(delta b0 b1 seg_out)"
mg_check "(b) bytes_in grew by >= $BIG" test "$bytes_in" -ge "$BIG"
mg_check "(b) seg_in grew by >= $BIG / $mss" test "$seg_in" -ge $((BIG / mss))

# (c) source
out=$(client 120 source "$GW" $SOURCE $BIG) || mg_fail "(c) source of $BIG bytes: $out"
mg_log "(c) $out"

# (e) half-close
out=$(client 30 halfclose "$GW" $ECHO $((256 * 1024))) || mg_fail "(e) half-close: $out"
mg_log "(e) $out"

# (f) RST mid-transfer
mg_check "(f) no live connection before" wait_live 10
snap f0
out=$(client 30 rst "$GW" $ECHO $((4 * MIB))) || mg_fail "(f) rst: $out"
mg_log "(f) $out"
wait_live 10 || mg_fail "(f) connections left after the RST: $(tcp_conns "$MG_WORKDIR/live.json")"
snap f1
mg_log "(f) rst_in +$(delta f0 f1 rst_in), conn_reset +$(delta f0 f1 conn_reset)," \
	"connections: $(tcp_conns "$MG_WORKDIR/f1.json")"
mg_check "(f) rst_in grew by 1" test "$(delta f0 f1 rst_in)" -eq 1
mg_check "(f) conn_reset grew by 1" test "$(delta f0 f1 conn_reset)" -eq 1
mg_check "(f) no connection went to TIME_WAIT" test "$(delta f0 f1 connections.TIME_WAIT)" -le 0

# (d) sequential cycles
snap d0
out=$(client 180 cycles "$GW" $ECHO $CYCLES 1024) || mg_fail "(d) cycles: $out"
mg_log "(d) $out"
wait_live 10 || mg_fail "(d) connections left after $CYCLES cycles: $(tcp_conns "$MG_WORKDIR/live.json")"
snap d1
mg_log "(d) gateway connections: $(tcp_conns "$MG_WORKDIR/d1.json"); passive_opens" \
	"+$(delta d0 d1 passive_opens), conn_closed +$(delta d0 d1 conn_closed)"
mg_check "(d) 0 ESTABLISHED" test "$(tcp_stat "$MG_WORKDIR/d1.json" connections.ESTABLISHED)" -eq 0
mg_check "(d) passive_opens grew by $CYCLES" test "$(delta d0 d1 passive_opens)" -eq "$CYCLES"
mg_check "(d) conn_closed grew by >= $CYCLES" test "$(delta d0 d1 conn_closed)" -ge "$CYCLES"
tw_client=$(mg_client ss -Htan state time-wait | wc -l)
mg_log "(d) TIME_WAIT: client (Linux) $tw_client," \
	"gateway $(tcp_stat "$MG_WORKDIR/d1.json" connections.TIME_WAIT)"
mg_check "(d) the client, the active closer, holds TIME_WAIT" test "$tw_client" -ge "$CYCLES"
mg_check "gateway still running" mg_alive

# (g) a second run under impairment
mg_stop_gw TERM 10 || mg_fail "the gateway did not stop on SIGTERM"
mg_check "first run exited 0" test "$MG_GW_STATUS" = 0
tcp_config 'impair: { seed: 11, rx: { loss: 1% }, tx: { loss: 1% } }'
mg_start
snap g0
t0=$(date +%s.%N)
out=$(client $IMPAIR_LIMIT echo "$GW" $ECHO $((IMPAIR_MIB * MIB))) ||
	mg_fail "(g) echo of $IMPAIR_MIB MiB with 1% loss each way: $out"
t1=$(date +%s.%N)
mg_log "(g) $out"
snap g1
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
mg_log "(g) $IMPAIR_MIB MiB echoed under 1% loss each way in ${secs}s (limit ${IMPAIR_LIMIT}s);" \
	"retransmits +$(delta g0 g1 retransmits), rto_expired +$(delta g0 g1 rto_expired), tlp_probes +$(delta g0 g1 tlp_probes), sack_recoveries +$(delta g0 g1 sack_recoveries)," \
	"fast_retransmits +$(delta g0 g1 fast_retransmits), ooo_queued +$(delta g0 g1 ooo_queued)," \
	"impair_lost +$(($("$MG_PYTHON" "$MG_IT_DIR/stats.py" get "$MG_WORKDIR/g1.json" impair_lost) -
		$("$MG_PYTHON" "$MG_IT_DIR/stats.py" get "$MG_WORKDIR/g0.json" impair_lost)))"
mg_check "(g) the gateway retransmitted" test "$(delta g0 g1 retransmits)" -gt 0
mg_check "gateway still running" mg_alive
mg_log PASS
