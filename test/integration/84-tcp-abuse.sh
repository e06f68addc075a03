#!/usr/bin/env bash
# 84-tcp-abuse: hostile traffic against the gateway's TCP stack, written as
# raw frames onto the client veth (tcp_abuse.py, an AF_PACKET socket).
#   (a) SYN flood: 100,000 SYNs from spoofed test-bed addresses
#       (198.18.0.3-254, random ports) at the echo port over ~5 s while a real
#       client connects and echoes 1 MiB, sha256 checked.  The listener's
#       backlog (syn_backlog 256 here) fills with half-open connections that
#       never complete, and SYN cookies answer the rest: the real client
#       gets through.  Every SYN reaches TCP (seg_in grows by at least
#       100,000) and nothing is lost from the accounting.
#   (b) segment fuzzer: 20,000 seeded random TCP segments (flags, options
#       with bad lengths, data offsets, sequence and ack numbers, payloads,
#       10% bad checksums), half from the client's real address, half
#       spoofed: the gateway stays up and still echoes, and every segment is
#       accounted for: seg_in == seg_accepted + drops + handoff_out.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ECHO=7
FLOOD=${MG_ABUSE_SYNS:-100000}
FUZZ=${MG_ABUSE_FUZZ:-20000}
TOOL=$MG_IT_DIR/tcp_abuse.py
CLIENT=$MG_IT_DIR/tcp_client.py

mg_setup
mg_write_config
printf 'tcp:\n  services: { echo: %d }\n  syn_backlog: 256\n' "$ECHO" >>"$MG_CONFIG"
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
mg_log "(a) segments in: $seg; SYN cookies sent: $cookies; half-open now: $synrcvd"
mg_check "(a) every SYN reached TCP ($seg >= $FLOOD)" test "$seg" -ge "$FLOOD"
mg_check "(a) SYN cookies answered the overflow ($cookies)" test "$cookies" -gt 0
mg_check "(a) the backlog bounded the half-open connections ($synrcvd <= 256)" \
	test "$synrcvd" -le 256
accounted "$MG_WORKDIR/s1.json"
mg_check "(a) gateway still running" mg_alive

# (b) the fuzzer.
out=$(mg_client timeout -k 5 120 "$MG_PYTHON" "$TOOL" fuzz "$MG_IF_CLIENT" "$SMAC" "$DMAC" \
	"$MG_ADDR_CLIENT" "$GW" "$ECHO" "$FUZZ" 7) || mg_fail "the fuzzer failed: $out"
mg_log "(b) fuzz: $out"
mg_settle 10
mg_stats "$MG_WORKDIR/s2.json"
seg=$(($(tcp_total seg_in "$MG_WORKDIR/s2.json") - $(tcp_total seg_in "$MG_WORKDIR/s1.json")))
mg_log "(b) segments in during the fuzz: $seg"
mg_check "(b) the fuzzed segments reached TCP ($seg >= $FUZZ)" test "$seg" -ge "$FUZZ"
accounted "$MG_WORKDIR/s2.json"
mg_check "(b) gateway still running" mg_alive
out=$(mg_client timeout -k 5 60 "$MG_PYTHON" "$CLIENT" --deadline 50 echo "$GW" "$ECHO" $((1 << 20))) ||
	mg_fail "echo after the fuzz failed: $out"
mg_log "(b) echo after the fuzz: $out"

mg_stop_gw
mg_log "PASS"
