#!/usr/bin/env bash
# 83-tcp-vanish: a peer that disappears without FIN or RST.  The client's
# veth is set down in its namespace, so nothing the gateway sends is answered.
#   (a) an idle established connection: keepalive (idle 1s, interval 500ms,
#       3 probes) gives up and frees it (keepalive_timeouts);
#   (b) a connection with unacknowledged data (the source service streaming
#       to a client that stopped reading, then vanished): the retransmission
#       timer gives up after the user timeout (3 s) and frees it
#       (conn_timeout);
#   then the link comes back and a new connection works.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ECHO=7
SOURCE=19
mg_setup
mg_write_config
cat >>"$MG_CONFIG" <<EOF2
tcp:
  services: { echo: $ECHO, source: $SOURCE }
  keepalive: { idle: 1s, interval: 500ms, probes: 3 }
  user_timeout: 3s
EOF2
mg_start
GW=$MG_ADDR_GW_CLIENT

stat() {
	"$MG_PYTHON" - "$1" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tcp_total"]
k = sys.argv[2]
print(t["connections"][k.split(".")[1]] if k.startswith("connections.") else t[k])
PY
}

# Two connections from a python client that then sleeps: an idle echo one,
# and a source one that asked for 64 MiB and reads nothing.
mg_client timeout -k 5 120 "$MG_PYTHON" - "$GW" "$ECHO" "$SOURCE" >"$MG_WORKDIR/peer.out" 2>&1 <<'PY' &
import socket, sys, time
gw, echo, source = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = socket.create_connection((gw, echo), timeout=5)
a.sendall(b"ping")
assert a.recv(4) == b"ping"
b = socket.create_connection((gw, source), timeout=5)
b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
b.sendall(b"67108864\n")
print("ready", flush=True)
time.sleep(100)
PY
PEER_PID=$!
for ((i = 0; i < 50; i++)); do
	grep -q ready "$MG_WORKDIR/peer.out" && break
	sleep 0.1
done
grep -q ready "$MG_WORKDIR/peer.out" || mg_fail "the client did not connect: $(cat "$MG_WORKDIR/peer.out")"
sleep 0.5
mg_stats "$MG_WORKDIR/s0.json"
mg_check "two connections established" test "$(stat "$MG_WORKDIR/s0.json" connections.ESTABLISHED)" -eq 2

# The client vanishes.
ip -n "$MG_NS_CLIENT" link set "$MG_IF_CLIENT" down
t0=$SECONDS
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
	mg_stats "$MG_WORKDIR/s1.json"
	[[ $(stat "$MG_WORKDIR/s1.json" connections.ESTABLISHED) == 0 ]] && break
	sleep 0.5
done
took=$((SECONDS - t0))
ka=$(stat "$MG_WORKDIR/s1.json" keepalive_timeouts)
to=$(stat "$MG_WORKDIR/s1.json" conn_timeout)
probes=$(stat "$MG_WORKDIR/s1.json" keepalive_probes)
mg_log "after ${took}s: keepalive timeouts $ka (probes $probes), retransmission timeouts $to, persist probes $(stat "$MG_WORKDIR/s1.json" persist_probes), RTOs $(stat "$MG_WORKDIR/s1.json" rto_expired), states: $("$MG_PYTHON" -c "import json,sys; print({k: v for k, v in json.load(open(sys.argv[1]))[\"tcp_total\"][\"connections\"].items() if v})" "$MG_WORKDIR/s1.json")"
mg_check "(a) keepalive gave up the idle connection ($ka, $probes probes)" test "$ka" -eq 1 -a "$probes" -ge 3
mg_check "(b) the retransmission timer gave up the stalled one ($to)" test "$to" -eq 1
mg_check "both freed within 30 s (${took}s)" test "$(stat "$MG_WORKDIR/s1.json" connections.ESTABLISHED)" -eq 0

kill "$PEER_PID" 2>/dev/null || true
wait "$PEER_PID" 2>/dev/null || true
ip -n "$MG_NS_CLIENT" link set "$MG_IF_CLIENT" up
out=$(mg_client timeout -k 5 60 "$MG_PYTHON" "$MG_IT_DIR/tcp_client.py" --deadline 50 echo "$GW" "$ECHO" 65536) ||
	mg_fail "a new connection after the link came back: $out"
mg_log "after the link came back: $out"
mg_stop_gw
mg_log "PASS"
