#!/usr/bin/env bash
# 10-ping: the gateway answers ICMP echo on its client address, from a DPDK
# worker.  `ping -c 200 -i 0.01` from the client namespace gets 200 replies and
# the gateway's icmp_echo_rx / icmp_echo_tx counters grew by at least 200.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

mg_setup
mg_start

mg_stats "$MG_WORKDIR/before.json"
mg_log "pinging $MG_ADDR_GW_CLIENT from $MG_NS_CLIENT: 200 echoes, 10 ms apart"
got=$(mg_ping "$MG_NS_CLIENT" "$MG_ADDR_GW_CLIENT" 200 -i 0.01 -W 1)
mg_log "replies: ${got:-none}/200"
mg_check "200/200 echo replies" test "${got:-0}" -eq 200

mg_settle 5
mg_stats "$MG_WORKDIR/after.json"
for c in icmp_echo_rx icmp_echo_tx; do
	a=$(mg_counter "$MG_WORKDIR/before.json" "$c")
	b=$(mg_counter "$MG_WORKDIR/after.json" "$c")
	mg_log "$c: $a -> $b (+$((b - a)))"
	mg_check "$c grew by >= 200" test $((b - a)) -ge 200
done
mg_check "gateway still running" mg_alive
mg_log PASS
