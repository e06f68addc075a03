#!/usr/bin/env bash
# tools/demo.sh — see meshgate work, in about half a minute.
#
# Installs what is missing, builds, brings up the netns test bed, starts the
# controller (meshgate-ctrl, reading a directory of Istio YAML: a Gateway, a
# ServiceEntry with two versions of a service, a DestinationRule with their
# subsets and a VirtualService splitting 90/10) and the gateway (TCP echo and
# source services; its HTTP front door comes from the controller over ADS),
# pings the gateway from the client namespace, moves 16 MiB each way through
# its TCP stack, sends 1,000 requests through the canary and prints the
# observed split, moves the canary to 50/50 by editing the VirtualService
# file while the client keeps its connection open, and prints the split
# again; shows `meshgatectl proxy-status`, that the gateway resolved its
# upstream next hop by ARP, its counters, and tears everything down again
# (also on failure or Ctrl-C).  Needs root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${MG_BUILD_DIR:-build}
BIN=$ROOT/$BUILD/app/meshgate/meshgate
CTRL=$ROOT/$BUILD/app/meshgate-ctrl/meshgate-ctrl
CTL=$ROOT/$BUILD/app/meshgatectl/meshgatectl
PY=/usr/bin/python3
PID=
CTRL_PID=
RUN=
WORK=
UP_PID=

step() {
	echo
	echo "==> $*"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	if [[ -n "$UP_PID" ]]; then
		kill "$UP_PID" 2>/dev/null
		wait "$UP_PID" 2>/dev/null
	fi
	if [[ -n "$CTRL_PID" ]]; then
		kill -TERM "$CTRL_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$CTRL_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$CTRL_PID" 2>/dev/null
		wait "$CTRL_PID" 2>/dev/null
	fi
	if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
		echo
		echo "==> Stopping the gateway (SIGTERM to pid $PID)"
		kill -TERM "$PID"
		for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
		wait "$PID" 2>/dev/null
		echo "    gateway exited with status $?"
	fi
	if [[ -n "$RUN" ]]; then
		echo "==> Removing the test bed (tools/netns.sh down $RUN)"
		tools/netns.sh down "$RUN"
	fi
	if ((rc != 0)) && [[ -n "$WORK" && -s "$WORK/meshgate.log" ]]; then
		echo "--- gateway log ---"
		tail -n 30 "$WORK/meshgate.log"
	fi
	if ((rc != 0)) && [[ -n "$WORK" && -s "$WORK/meshgate-ctrl.log" ]]; then
		echo "--- controller log ---"
		tail -n 30 "$WORK/meshgate-ctrl.log"
	fi
	[[ -n "$WORK" ]] && rm -rf "$WORK"
	if ((rc == 0)); then
		echo "==> Done."
	else
		echo "==> Demo failed (status $rc)." >&2
	fi
	exit "$rc"
}

if [[ $(id -u) -ne 0 ]]; then
	echo "tools/demo.sh: must run as root (it creates network namespaces)" >&2
	exit 1
fi

step "Installing what is missing (tools/deps.sh; quiet when all is there)"
tools/deps.sh

step "Building meshgate ($BUILD/)"
[[ -f "$BUILD/build.ninja" ]] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null || { ninja -C "$BUILD"; exit 1; }
echo "    $("$BIN" --version)"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK=$(mktemp -d /tmp/mg-demo.XXXXXX)

step "Bringing up the test bed: client and upstream namespaces, each joined by a veth pair to the gateway's namespace"
eval "$(tools/netns.sh up)"
RUN=$MG_RUN
echo "    client   $MG_NS_CLIENT: $MG_IF_CLIENT $MG_ADDR_CLIENT/$MG_PREFIX_CLIENT"
echo "    gateway  $MG_NS_GW: $MG_IF_GW_CLIENT ($MG_ADDR_GW_CLIENT) and $MG_IF_GW_UP ($MG_ADDR_GW_UP), owned by DPDK through net_af_packet"
echo "    upstream $MG_NS_UP: $MG_IF_UP $MG_ADDR_UP/$MG_PREFIX_UP, service network $MG_NET_SERVICE"

step "Starting the controller (meshgate-ctrl) in $MG_NS_GW on the Istio YAML in $WORK/istio"
# A Gateway on 8080, the service's two versions (a ServiceEntry, a
# DestinationRule with their subsets) and a VirtualService splitting 90/10,
# x-canary: v2 always to v2: test/integration/istio_canary.sh writes them.
# shellcheck source=test/integration/istio_canary.sh
source "$ROOT/test/integration/istio_canary.sh"
ic_service "$WORK/istio" 198.18.2.1 198.18.2.1 8081 8082
ic_split "$WORK/istio" 90 10
sed 's/^/    | /' "$WORK/istio/10-web.yaml"
ip netns exec "$MG_NS_GW" "$CTRL" --config-dir "$WORK/istio" --listen 127.0.0.1:15010 \
	--status 127.0.0.1:15014 >"$WORK/meshgate-ctrl.log" 2>&1 &
CTRL_PID=$!
for _ in $(seq 50); do
	kill -0 "$CTRL_PID" 2>/dev/null || { echo "    meshgate-ctrl exited early" >&2; CTRL_PID=; exit 1; }
	[[ $(ip netns exec "$MG_NS_GW" curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
		http://127.0.0.1:15014/ready 2>/dev/null) == 200 ]] && break
	sleep 0.1
done
echo "    serving ADS on 127.0.0.1:15010, status on 127.0.0.1:15014 (pid $CTRL_PID)"

step "Starting meshgate in $MG_NS_GW (config from tools/netns.sh config $RUN, plus ADS)"
tools/netns.sh config "$RUN" ads=demo-gateway:15010 >"$WORK/meshgate.yaml"
# The userspace TCP stack's built-in services, for the TCP step below; the
# HTTP front door comes from the controller.
printf 'tcp:\n  services: { echo: 7, source: 19 }\n' >>"$WORK/meshgate.yaml"
sed 's/^/    | /' "$WORK/meshgate.yaml"
ip netns exec "$MG_NS_GW" "$BIN" --config "$WORK/meshgate.yaml" >"$WORK/meshgate.log" 2>&1 &
PID=$!
api() {
	ip netns exec "$MG_NS_GW" curl -sS --max-time 5 "http://127.0.0.1:15000$1"
}
ready=0
for _ in $(seq 150); do
	kill -0 "$PID" 2>/dev/null || { echo "    meshgate exited early" >&2; PID=; exit 1; }
	if [[ $(ip netns exec "$MG_NS_GW" curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
		http://127.0.0.1:15000/ready 2>/dev/null) == 200 ]]; then
		ready=1
		break
	fi
	sleep 0.2
done
((ready)) || { echo "    meshgate did not become ready within 30 s" >&2; exit 1; }
echo "    ready: pid $PID, admin API on 127.0.0.1:15000 inside $MG_NS_GW"

step "Pinging the gateway ($MG_ADDR_GW_CLIENT) from the client namespace; a DPDK worker answers"
ip netns exec "$MG_NS_CLIENT" ping -n -c 5 -i 0.2 -W 1 "$MG_ADDR_GW_CLIENT" | sed 's/^/    /'

step "TCP: the Linux client talks to the gateway's userspace TCP stack (echo and source services)"
ip netns exec "$MG_NS_CLIENT" "$PY" "$ROOT/test/integration/tcp_client.py" --deadline 60 \
	echo "$MG_ADDR_GW_CLIENT" 7 $((16 << 20)) | sed 's/^/    echo 16 MiB: /'
ip netns exec "$MG_NS_CLIENT" "$PY" "$ROOT/test/integration/tcp_client.py" --deadline 60 \
	source "$MG_ADDR_GW_CLIENT" 19 $((16 << 20)) | sed 's/^/    source 16 MiB: /'

step "The canary: v1 and v2 of a service (python3 HTTP servers) in $MG_NS_UP, 90/10 through the gateway"
ip netns exec "$MG_NS_UP" timeout 300 "$PY" "$ROOT/test/integration/http_upstream.py" --deadline 280 \
	198.18.2.1:8081=v1 198.18.2.1:8082=v2 >"$WORK/upstream.out" 2>&1 &
UP_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/upstream.out" && break; sleep 0.1; done
for _ in $(seq 100); do
	ip netns exec "$MG_NS_CLIENT" curl -s -o /dev/null --max-time 1 "http://$MG_ADDR_GW_CLIENT:8080/" && break
	sleep 0.1
done
# One client, one keep-alive connection: 1,000 requests; then, while the
# connection stays open, the VirtualService file is edited to 50/50 and the
# client sends 1,000 more.  Two FIFOs hand the turn back and forth.
mkfifo "$WORK/edit" "$WORK/edited"
ip netns exec "$MG_NS_CLIENT" "$PY" - "$MG_ADDR_GW_CLIENT" "$WORK/edit" "$WORK/edited" <<'PY' &
import collections, http.client, json, socket, sys
c = http.client.HTTPConnection(sys.argv[1], 8080, timeout=10)
c.connect()
c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def split(label):
    seen = collections.Counter()
    for _ in range(1000):
        c.request("GET", "/product", headers={"Host": "shop.example"})
        seen[json.loads(c.getresponse().read())["server"]] += 1
    print("    %s: 1000 requests: v1 %d, v2 %d (%.1f%% to v2)"
          % (label, seen["v1"], seen["v2"], seen["v2"] / 10.0), flush=True)
split("90/10")
c.request("GET", "/product", headers={"Host": "shop.example", "x-canary": "v2"})
print("    with x-canary: v2 -> %s" % json.loads(c.getresponse().read())["server"], flush=True)
with open(sys.argv[2], "w") as f:
    f.write("edit\n")
with open(sys.argv[3]) as f:
    f.read()
split("50/50, on the same connection")
PY
CLIENT_PID=$!
read -r _ <"$WORK/edit"
updates() {
	api /stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("proxy_total", {}).get("config_updates", 0))'
}
before=$(updates)
now=$before
echo "    editing $WORK/istio/10-web.yaml to 50/50 (the client keeps its connection open)"
ic_split "$WORK/istio" 50 50
for _ in $(seq 100); do
	now=$(updates)
	((now > before)) && break
	sleep 0.1
done
echo "    the controller pushed it, the gateway applied it (config updates $before -> $now)"
echo go >"$WORK/edited"
wait "$CLIENT_PID"

step "meshgatectl proxy-status: what the controller sent and each gateway ACKed"
ip netns exec "$MG_NS_GW" "$CTL" proxy-status --ctrl 127.0.0.1:15014 | sed 's/^/    /'

step "The gateway resolved its upstream next hop $MG_ADDR_UP by ARP (GET /neighbors)"
sleep 0.5
api /neighbors | "$PY" -c '
import json, sys
for n in json.load(sys.stdin)["neighbors"]:
    print("    %-15s %-17s %-9s %s" % (n["address"], n["mac"], n.get("interface", ""), n["state"]))
'
echo "    (the upstream veth's MAC is $MG_MAC_UP)"

step "Counters (GET /stats)"
api /stats | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
t = s["total"]
for k in ("rx_packets", "tx_packets", "arp_request_rx", "arp_reply_tx", "arp_request_tx",
          "arp_reply_rx", "arp_gratuitous_tx", "icmp_echo_rx", "icmp_echo_tx"):
    if k in t:
        print("    %-20s %d" % (k, int(t[k])))
print("    drops: %d in all" % int(s["drops_total"]))
for k, v in sorted(s["drops"].items()):
    if int(v):
        print("      %-18s %d" % (k, int(v)))
for p in s.get("ports", []):
    print("    port %s (%s): %s packets in, %s out" % (p.get("port"), p.get("name"),
          p.get("ipackets"), p.get("opackets")))
'
api /stats | "$PY" -c '
import json, sys
p = json.load(sys.stdin).get("proxy_total", {})
print("    proxy: %d requests (2xx %d), %d upstream connections opened, %d requests on reused ones"
      % (p.get("downstream_rq_total", 0), p.get("downstream_rq_2xx", 0),
         p.get("upstream_cx_total", 0), p.get("upstream_cx_reused", 0)))
'
echo "    (Prometheus metrics: ip netns exec $MG_NS_GW curl -s http://127.0.0.1:15000/metrics)"
