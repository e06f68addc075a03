#!/usr/bin/env bash
# 92-ctrl-grpc.sh — meshgate-ctrl against a gRPC implementation nobody here
# wrote: gRPC's own Python stack (Debian's python3-grpcio, python3-protobuf)
# speaks ADS to a real controller on 127.0.0.1.  No network namespace and no
# gateway: the controller is a plain process on free loopback ports.
#
# The client (ads_interop.py, modules generated from proto/ by protoc at
# test time) asks for CDS, EDS (the names CDS gave), LDS and RDS (the name
# the listener gave), ACKs each, unpacks every Any and checks names and the
# 90/10 weights; NACKs LDS and finds the error in /debug/syncz and in
# `meshgatectl proxy-status`; rewrites the VirtualService to 50/50 and gets
# a new RDS version (and nothing else) on the open stream; writes an invalid
# file and finds its file:line:col in the log and in syncz, with nothing
# pushed; sends bad input on other streams; ends with SIGTERM, which must
# close the stream with UNAVAILABLE and exit 0.  Then a second controller
# starts on an invalid directory (generation 0, the error in syncz) and
# picks up the fixed one.
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=test/integration/istio_canary.sh
source "$MG_IT_DIR/istio_canary.sh"

CTRL_BIN=${MG_CTRL_BIN:-$MG_ROOT/build/app/meshgate-ctrl/meshgate-ctrl}
CTL_BIN=${MG_CTL_BIN:-$MG_ROOT/build/app/meshgatectl/meshgatectl}
CTRL_PID=
CTRL_LOG=$MG_WORKDIR/meshgate-ctrl.log
CFG=$MG_WORKDIR/config
PYOUT=$MG_WORKDIR/py

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	mg_stop_pid "$CTRL_PID"
	if ((rc != 0)) && [[ -f "$CTRL_LOG" ]]; then
		echo "--- meshgate-ctrl log (tail) ---" >&2
		tail -n 40 "$CTRL_LOG" >&2
	fi
	if [[ -n "${MG_LOG_DIR:-}" ]]; then
		mkdir -p "$MG_LOG_DIR"
		cp "$CTRL_LOG" "$MG_LOG_DIR/" 2>/dev/null || true
	fi
	rm -rf "$MG_WORKDIR"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mg_state "dir $MG_WORKDIR"

[[ -x "$CTRL_BIN" ]] || mg_fail "no meshgate-ctrl at $CTRL_BIN (build first: ninja -C build)"
[[ -x "$CTL_BIN" ]] || mg_fail "no meshgatectl at $CTL_BIN"
"$MG_PYTHON" -c 'import grpc, google.protobuf' ||
	mg_fail "$MG_PYTHON lacks grpc or protobuf (apt-get install python3-grpcio python3-protobuf)"

# Python modules for the protos meshgate uses; the google/protobuf ones come
# with python3-protobuf (generating them again would shadow the package).
mkdir -p "$PYOUT"
(cd "$MG_ROOT/proto" && find envoy google/rpc -name '*.proto' -print0 |
	xargs -0 protoc --python_out="$PYOUT" -I .) || mg_fail "protoc --python_out failed"
mg_log "generated $(find "$PYOUT" -name '*_pb2.py' | wc -l) Python modules from proto/"

mkdir -p "$CFG"
# Gateway, ServiceEntry and DestinationRule (istio_canary.sh); this test's
# own VirtualService, which ads_interop.py rewrites.
ic_service "$CFG" 198.18.0.10 198.18.0.11
cat >"$CFG/30-vs.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.example.com]
  gateways: [edge]
  http:
  - name: split
    route:
    - destination: {host: web.shop.internal, subset: v1}
      weight: 90
    - destination: {host: web.shop.internal, subset: v2}
      weight: 10
YAML
"$CTL_BIN" validate "$CFG" >/dev/null || mg_fail "the test config does not validate"

# Two free loopback ports (bound and released; the race is harmless here).
read -r ADS_PORT STATUS_PORT < <("$MG_PYTHON" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
ADS=127.0.0.1:$ADS_PORT
STATUS=127.0.0.1:$STATUS_PORT

# Keepalive every 300 ms of quiet, 500 ms to answer: gRPC's own client must
# answer the PINGs through the whole interop run below.
"$CTRL_BIN" --config-dir "$CFG" --listen "$ADS" --status "$STATUS" --debounce-ms 100 \
	--keepalive-ms 300 --keepalive-timeout-ms 500 >"$CTRL_LOG" 2>&1 &
CTRL_PID=$!
mg_state "pid $CTRL_PID"
mg_log "meshgate-ctrl pid $CTRL_PID, ADS $ADS, status $STATUS"

ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		curl -sf -m 1 "http://$STATUS/ready" >/dev/null && return 0
		kill -0 "$CTRL_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
mg_check "controller ready within 10 s" ready
mg_check "generation 1 served" \
	bash -c "curl -sf -m 2 http://$STATUS/debug/syncz | grep -q '\"generation\":1,'"

# A peer that says hello (the HTTP/2 preface and SETTINGS) and then nothing,
# not even a PING ACK, as a gateway that vanished without a FIN would: the
# controller PINGs it after 300 ms of quiet and closes it 500 ms later.
silent=$("$MG_PYTHON" - "$ADS_PORT" <<'PY'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
t0, got = time.monotonic(), b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except socket.timeout:
    print("open")
    sys.exit(0)
pings, off = 0, 0
while off + 9 <= len(got):  # frames: 24-bit length, type, flags, stream id
    n, typ, flags = struct.unpack("!I", b"\0" + got[off:off + 3])[0], got[off + 3], got[off + 4]
    pings += typ == 6 and not flags & 1
    off += 9 + n
print("closed %.2f %d" % (time.monotonic() - t0, pings))
PY
)
mg_log "silent peer: $silent (state, seconds, PINGs received)"
read -r s_state s_secs s_pings <<<"$silent"
mg_check "the controller closed a peer that did not answer its PING" test "$s_state" = closed
mg_check "... after PINGing it (${s_pings:-0} PINGs)" test "${s_pings:-0}" -ge 1
mg_check "... 0.5 to 5 s after it went quiet (${s_secs:-?} s)" \
	awk -v t="${s_secs:-0}" 'BEGIN { exit !(t >= 0.5 && t <= 5) }'
syncz=$(curl -sf -m 2 "http://$STATUS/debug/syncz")
mg_check "syncz counts it (keepalive_timeouts 1)" \
	"$MG_PYTHON" -c 'import json, sys; a = json.loads(sys.argv[1])["ads"]; sys.exit(not (a["keepalive_timeouts"] == 1 and a["keepalive_pings"] >= 1))' "$syncz"

mg_check "interop client (gRPC Python) against meshgate-ctrl" \
	timeout 120 "$MG_PYTHON" "$MG_IT_DIR/ads_interop.py" "$PYOUT" "$ADS" "$STATUS" "$CFG" \
	"$CTRL_LOG" "$CTL_BIN" "$CTRL_PID"

# The client sent SIGTERM as its last step: a clean exit, status 0.
stopped() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$CTRL_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$CTRL_PID"
}
mg_check "meshgate-ctrl exits 0 on SIGTERM" stopped
CTRL_PID=
mg_check "log: one line per push, ACK, NACK, connect, disconnect" bash -c "
	grep -q 'push node=gw-interop-1 type=RDS' '$CTRL_LOG' &&
	grep -q 'ACK node=gw-interop-1 type=CDS' '$CTRL_LOG' &&
	grep -q 'NACK node=gw-interop-1 type=LDS' '$CTRL_LOG' &&
	grep -q 'connect node=gw-interop-1' '$CTRL_LOG' &&
	grep -q 'disconnect node=gw-interop-1' '$CTRL_LOG'"
# Start on an invalid directory: generation 0 (empty) with the error shown,
# until the directory is fixed.
BAD=$MG_WORKDIR/bad
mkdir -p "$BAD"
printf 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge}\nspec:\n  servers:\n  - port: {number: 99999, name: http, protocol: HTTP}\n    hosts: ["*"]\n' >"$BAD/00-canary.yaml"
"$CTRL_BIN" --config-dir "$BAD" --listen "$ADS" --status "$STATUS" --debounce-ms 100 \
	>>"$CTRL_LOG" 2>&1 &
CTRL_PID=$!
mg_state "pid $CTRL_PID"
mg_check "controller ready on an invalid directory" ready
syncz_has() {
	curl -sf -m 2 "http://$STATUS/debug/syncz" | grep -q "$1"
}
mg_check "invalid at start: generation 0 and the error in syncz" \
	syncz_has '"generation":0,"config_error":".*00-canary.yaml:6:[0-9]*: '
mg_check "invalid at start: the log says an empty generation is served" \
	grep -q "serving an empty generation 0 until a valid one appears" "$CTRL_LOG"
cp "$CFG"/00-canary.yaml "$CFG"/30-vs.yaml "$BAD/"
fixed() {
	local i
	for ((i = 0; i < 50; i++)); do
		syncz_has '"generation":1,"config_error":null' && return 0
		sleep 0.1
	done
	return 1
}
mg_check "fixed on disk: generation 1, no error" fixed
kill -TERM "$CTRL_PID"
mg_check "second controller exits 0 on SIGTERM" stopped
CTRL_PID=

unreachable() {
	local out
	if out=$("$CTL_BIN" proxy-status --ctrl "$STATUS" 2>&1); then
		return 1
	fi
	echo "$out"
	grep -q "cannot reach the controller" <<<"$out"
}
mg_check "proxy-status fails clearly without a controller" unreachable
mg_log "PASS"
