#!/usr/bin/env bash
# 84-tcp-abuse: hostile traffic against the gateway's TCP stack, written as
# raw frames onto the client veth (tcp_abuse.py, an AF_PACKET socket).
#   (a) SYN flood: 100,000 SYNs from spoofed test-bed addresses
#       (198.18.0.3-254, random ports) at the echo port over ~5 s while a real
#       client connects and echoes 1 MiB, sha256 checked.  The listener's
#       backlog (syn_backlog 256 here) fills with half-open connections that
#       never complete, and SYN cookies answer the rest: the real client
#       gets through.  Every IPv4 packet the gateway received reaches TCP
#       (seg_in grows exactly as ipv4_rx does: all of them are TCP here), at
#       least 90% of the SYNs arrived (the kernel's veth backlog and packet
#       socket may drop some before the port when the machine is busy: CI
#       once lost 0.5%), and nothing is lost from the accounting.
#   (b) segment fuzzer: 20,000 seeded random TCP segments (flags, options
#       with bad lengths, data offsets, sequence and ack numbers, payloads,
#       bad checksums).  Half come from the client's real address with random
#       ports, a quarter from spoofed ones: those exercise the no-connection
#       and listener paths.  The other quarter goes to a live connection: a
#       holder (tcp_abuse.py hold) keeps an echo connection busy (16 bytes
#       every 50 ms) and the fuzzer, sniffing that connection's frames on its
#       packet socket, aims segments at its 4-tuple with sequence and ack
#       numbers within +-70,000 of the live ones and timestamps and SACK
#       blocks near them: PAWS, the window checks, RFC 5961 challenge ACKs,
#       out-of-order queueing, data injection, on an ESTABLISHED connection.
#       The fuzzer is an on-path attacker, so the holder may end alive,
#       stalled (desynchronized), reset or closed: any of these, but one.
#       Then: the gateway stays up and still echoes 1 MiB; every segment is
#       accounted for: seg_in == seg_accepted + drops + handoff_out; challenge
#       ACKs or out-of-window drops grew (the live connection was hit); and
#       once the holder has closed, no connection is left behind (TIME_WAIT
#       and the listener's half-open SYN_RECEIVED aside).  Keepalive (idle
#       1 s) finds a connection the holder abandoned desynchronized: its
#       probe draws the client kernel's RST.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ECHO=7
FLOOD=${MG_ABUSE_SYNS:-100000}
FUZZ=${MG_ABUSE_FUZZ:-20000}
TOOL=$MG_IT_DIR/tcp_abuse.py
CLIENT=$MG_IT_DIR/tcp_client.py

HOLDER_PID=
# stop_holder: end the holder of (b) (its `timeout`, which passes the signal
# on) and reap it.  Also run on exit, before lib.sh's cleanup.
stop_holder() {
	[[ -n "$HOLDER_PID" ]] || return 0
	kill "$HOLDER_PID" 2>/dev/null || true
	wait "$HOLDER_PID" 2>/dev/null || true
	HOLDER_PID=
}
# On exit: the holder first, then lib.sh's cleanup, with the exit status.
cleanup() {
	local rc=$?
	set +e
	stop_holder
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap cleanup EXIT
mg_write_config
printf 'tcp:\n  services: { echo: %d }\n  syn_backlog: 256\n  keepalive: { idle: 1s, interval: 500ms, probes: 3 }\n' \
	"$ECHO" >>"$MG_CONFIG"
mg_start

SMAC=$(ip netns exec "$MG_NS_CLIENT" cat "/sys/class/net/$MG_IF_CLIENT/address")
DMAC=$(ip netns exec "$MG_NS_GW" cat "/sys/class/net/$MG_IF_GW_CLIENT/address")
GW=$MG_ADDR_GW_CLIENT

# tcp_total KEY FILE: a TCP counter (or drops_sum) from a saved /stats.
tcp_total() {
	"$MG_PYTHON" - "$1" "$2" <<'EOF'
import json, sys
t = json.load(open(sys.argv[2]))["tcp_total"]
k = sys.argv[1]
if k == "drops_sum":
    print(sum(v for n, v in t.items() if n.startswith("drop_")))
else:
    print(t[k])
EOF
}

# accounted FILE: seg_in == seg_accepted + drops + handoff_out.
accounted() {
	local in acc drops hand
	in=$(tcp_total seg_in "$1")
	acc=$(tcp_total seg_accepted "$1")
	drops=$(tcp_total drops_sum "$1")
	hand=$(tcp_total handoff_out "$1")
	mg_check "every segment accounted for: seg_in $in == accepted $acc + drops $drops + handed $hand" \
		test "$in" -eq $((acc + drops + hand))
}

mg_stats "$MG_WORKDIR/s0.json"

# (a) the flood, and a real client in the middle of it.
mg_client timeout -k 5 120 "$MG_PYTHON" "$TOOL" flood "$MG_IF_CLIENT" "$SMAC" "$DMAC" "$GW" \
	"$ECHO" "$FLOOD" 5 1 >"$MG_WORKDIR/flood.out" 2>&1 &
FLOOD_PID=$!
sleep 1.5
out=$(mg_client timeout -k 5 60 "$MG_PYTHON" "$CLIENT" --deadline 50 echo "$GW" "$ECHO" $((1 << 20))) ||
	mg_fail "the real client failed during the flood: $out"
mg_log "(a) real client during the flood: $out"
wait "$FLOOD_PID" || mg_fail "the flood tool failed: $(cat "$MG_WORKDIR/flood.out")"
mg_log "(a) flood: $(cat "$MG_WORKDIR/flood.out")"
mg_settle 10
mg_stats "$MG_WORKDIR/s1.json"
seg=$(($(tcp_total seg_in "$MG_WORKDIR/s1.json") - $(tcp_total seg_in "$MG_WORKDIR/s0.json")))
cookies=$(tcp_total syncookies_sent "$MG_WORKDIR/s1.json")
synrcvd=$("$MG_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tcp_total"]["connections"]["SYN_RECEIVED"])' "$MG_WORKDIR/s1.json")
ip4=$(($(mg_counter "$MG_WORKDIR/s1.json" ipv4_rx) - $(mg_counter "$MG_WORKDIR/s0.json" ipv4_rx)))
mg_log "(a) IPv4 packets in: $ip4; segments in: $seg; SYN cookies sent: $cookies; half-open now: $synrcvd"
mg_check "(a) every IPv4 packet received reached TCP ($seg == $ip4)" test "$seg" -eq "$ip4"
mg_check "(a) the flood arrived ($seg >= 90% of $FLOOD)" test $((seg * 10)) -ge $((FLOOD * 9))
mg_check "(a) SYN cookies answered the overflow ($cookies)" test "$cookies" -gt 0
mg_check "(a) the backlog bounded the half-open connections ($synrcvd <= 256)" \
	test "$synrcvd" -le 256
accounted "$MG_WORKDIR/s1.json"
mg_check "(a) gateway still running" mg_alive

# (b) the fuzzer, a quarter of it at a live connection.
# conns FILE: connections in any state but SYN_RECEIVED (the listener's
# half-open ones, from spoofed SYNs: they expire on their own) and TIME_WAIT.
conns() {
	"$MG_PYTHON" -c 'import json,sys
c = json.load(open(sys.argv[1]))["tcp_total"]["connections"]
print(sum(v for k, v in c.items() if k not in ("SYN_RECEIVED", "TIME_WAIT")))' "$1"
}
# established FILE: the gateway's ESTABLISHED gauge.
established() {
	"$MG_PYTHON" -c 'import json,sys
print(json.load(open(sys.argv[1]))["tcp_total"]["connections"]["ESTABLISHED"])' "$1"
}
# grew KEY: growth of a TCP counter from s1 to s2.
grew() {
	echo $(($(tcp_total "$1" "$MG_WORKDIR/s2.json") - $(tcp_total "$1" "$MG_WORKDIR/s1.json")))
}
# deltas BEFORE AFTER: the TCP counters that grew, most first (for the log).
deltas() {
	"$MG_PYTHON" - "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(f))["tcp_total"] for f in sys.argv[1:3])
d = {k: b[k] - a[k] for k in b if k != "connections" and b[k] != a[k]}
print(" ".join("%s+%d" % kv for kv in sorted(d.items(), key=lambda kv: -kv[1])[:16]))
EOF
}
base=$(conns "$MG_WORKDIR/s1.json")
base_est=$(established "$MG_WORKDIR/s1.json")
STOP=$MG_WORKDIR/holder.stop
# Started directly, not through mg_client (a function): $! is then the PID
# of `timeout`, which ip netns exec became.
ip netns exec "$MG_NS_CLIENT" timeout -k 5 150 "$MG_PYTHON" "$TOOL" hold "$GW" "$ECHO" 120 "$STOP" \
	>"$MG_WORKDIR/holder.out" 2>&1 &
HOLDER_PID=$!
port=
for ((i = 0; i < 100; i++)); do
	port=$(head -n1 "$MG_WORKDIR/holder.out")
	[[ "$port" =~ ^[0-9]+$ ]] && break
	kill -0 "$HOLDER_PID" 2>/dev/null || break
	sleep 0.1
done
[[ "$port" =~ ^[0-9]+$ ]] || mg_fail "(b) the holder did not connect: $(cat "$MG_WORKDIR/holder.out")"
mg_stats "$MG_WORKDIR/h0.json"
est=$(established "$MG_WORKDIR/h0.json")
mg_check "(b) the holder's connection (client port $port) is ESTABLISHED ($est == $base_est + 1)" \
	test "$est" -eq $((base_est + 1))
out=$(mg_client timeout -k 5 120 "$MG_PYTHON" "$TOOL" fuzz "$MG_IF_CLIENT" "$SMAC" "$DMAC" \
	"$MG_ADDR_CLIENT" "$GW" "$ECHO" "$FUZZ" 7 "$port" 2>&1) || mg_fail "the fuzzer failed: $out"
mg_log "(b) fuzz: $out"
sleep 2 # the holder goes on: "alive" then means it outlived the fuzz
touch "$STOP"
for ((i = 0; i < 100; i++)); do
	kill -0 "$HOLDER_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$HOLDER_PID" 2>/dev/null && mg_fail "(b) the holder did not stop within 10 s"
st=0
wait "$HOLDER_PID" || st=$?
HOLDER_PID=
mg_log "(b) holder (exit $st): $(grep -v '^[0-9]*$' "$MG_WORKDIR/holder.out" || true)"
mg_check "(b) the holder reported a definite outcome" \
	grep -qE '^outcome=(alive|stalled|reset|closed) ' "$MG_WORKDIR/holder.out"
mg_settle 10
mg_stats "$MG_WORKDIR/s2.json"
seg=$(grew seg_in)
mg_log "(b) segments in during the fuzz: $seg"
mg_log "(b) counters that grew most: $(deltas "$MG_WORKDIR/s1.json" "$MG_WORKDIR/s2.json")"
line=
for k in challenge_acks challenge_acks_limited drop_out_of_window drop_rst_challenged \
	drop_syn_challenged drop_paws drop_ack_unsent drop_ack_too_old drop_no_ack acks_outside_window \
	ooo_queued ooo_merged sack_blocks_in sack_blocks_bad rst_in conn_reset keepalive_probes \
	keepalive_timeouts; do
	line+=" $k+$(grew "$k")"
done
mg_log "(b) established-connection paths:$line"
inwin=$(($(grew challenge_acks) + $(grew challenge_acks_limited) + $(grew drop_out_of_window)))
ip4=$(($(mg_counter "$MG_WORKDIR/s2.json" ipv4_rx) - $(mg_counter "$MG_WORKDIR/s1.json" ipv4_rx)))
mg_check "(b) every IPv4 packet received reached TCP ($seg == $ip4)" test "$seg" -eq "$ip4"
mg_check "(b) the fuzzed segments arrived ($seg >= 90% of $FUZZ)" test $((seg * 10)) -ge $((FUZZ * 9))
mg_check "(b) the live connection was hit: challenge ACKs + out-of-window drops grew by $inwin" \
	test "$inwin" -gt 0
accounted "$MG_WORKDIR/s2.json"
mg_check "(b) gateway still running" mg_alive
# Nothing left behind once the holder closed (or was reset); a connection it
# abandoned desynchronized goes on the keepalive probe's RST.
t0=$SECONDS
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
	mg_stats "$MG_WORKDIR/s3.json"
	now=$(conns "$MG_WORKDIR/s3.json")
	((now <= base)) && break
	sleep 0.5
done
mg_log "(b) connections $((SECONDS - t0)) s after the settle: $("$MG_PYTHON" -c 'import json,sys
c = json.load(open(sys.argv[1]))["tcp_total"]["connections"]
print(" ".join("%s=%d" % kv for kv in c.items() if kv[1]) or "none")' "$MG_WORKDIR/s3.json")"
mg_check "(b) no connection left behind ($now <= $base, SYN_RECEIVED and TIME_WAIT aside)" \
	test "$now" -le "$base"
out=$(mg_client timeout -k 5 60 "$MG_PYTHON" "$CLIENT" --deadline 50 echo "$GW" "$ECHO" $((1 << 20))) ||
	mg_fail "echo after the fuzz failed: $out"
mg_log "(b) echo after the fuzz: $out"

mg_stop_gw
mg_log "PASS"
