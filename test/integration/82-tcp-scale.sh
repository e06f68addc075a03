#!/usr/bin/env bash
# 82-tcp-scale: many connections, and nothing left behind.
#   (a) 10,000 sequential connect / echo 100 bytes / close cycles from the
#       Linux client (the client closes first, so TIME_WAIT is its own);
#   (b) 5,000 concurrent connections held open (the gateway's ESTABLISHED
#       gauge reads 5,000, each connection echoed 8 bytes), then all closed;
#   afterwards every connection gauge of the gateway is back to 0 and
#   conn_closed matches passive_opens.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ECHO=7
CYCLES=${MG_SCALE_CYCLES:-10000}
HOLD=${MG_SCALE_HOLD:-5000}

mg_setup
mg_write_config
printf 'tcp:\n  services: { echo: %d }\n' "$ECHO" >>"$MG_CONFIG"
mg_start
GW=$MG_ADDR_GW_CLIENT

gauge() { # gauge FILE STATE|live
	"$MG_PYTHON" - "$1" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tcp_total"]
c = t["connections"]
print(sum(c.values()) if sys.argv[2] == "live" else c[sys.argv[2]])
PY
}

counter() {
	"$MG_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tcp_total"][sys.argv[2]])' "$1" "$2"
}

# (a)
out=$(mg_client timeout -k 5 300 "$MG_PYTHON" "$MG_IT_DIR/tcp_client.py" --deadline 280 \
	cycles "$GW" "$ECHO" "$CYCLES" 100) || mg_fail "(a) cycles: $out"
mg_log "(a) $out"

# (b)
coproc HOLDER { mg_client timeout -k 5 300 "$MG_PYTHON" "$MG_IT_DIR/tcp_many.py" hold "$GW" "$ECHO" "$HOLD"; }
read -r -t 200 line <&"${HOLDER[0]}" || mg_fail "(b) the holder did not report"
[[ "$line" == "open $HOLD" ]] || mg_fail "(b) holder: $line"
mg_stats "$MG_WORKDIR/held.json"
est=$(gauge "$MG_WORKDIR/held.json" ESTABLISHED)
mg_log "(b) $HOLD connections open; gateway ESTABLISHED gauge: $est"
mg_check "(b) the gateway holds $HOLD established connections ($est)" test "$est" -eq "$HOLD"
echo close >&"${HOLDER[1]}"
read -r -t 60 line <&"${HOLDER[0]}" || mg_fail "(b) the holder did not close"
mg_log "(b) $line"
wait "$HOLDER_PID" 2>/dev/null || true

# Everything drains: the client closed first, so the gateway keeps no TIME_WAIT.
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
	mg_stats "$MG_WORKDIR/end.json"
	live=$(gauge "$MG_WORKDIR/end.json" live)
	[[ "$live" == 0 ]] && break
	sleep 0.5
done
mg_check "no connection left in any state ($live)" test "$live" -eq 0
po=$(counter "$MG_WORKDIR/end.json" passive_opens)
cc=$(counter "$MG_WORKDIR/end.json" conn_closed)
mg_log "passive opens $po, connections freed $cc"
mg_check "every accepted connection was freed ($cc == $po == $((CYCLES + HOLD)))" \
	test "$po" -eq $((CYCLES + HOLD)) -a "$cc" -eq "$po"
mg_stop_gw
mg_log "PASS"
