#!/usr/bin/env bash
# tools/demo.sh — see meshgate work, in about half a minute.
#
# Installs what is missing, builds, brings up the netns test bed, starts the
# gateway on it (with its TCP echo and source services), pings the gateway
# from the client namespace, moves 16 MiB each way through its TCP stack, shows that it
# resolved its upstream next hop by ARP, prints its counters, and tears
# everything down again (also on failure or Ctrl-C).  Needs root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${MG_BUILD_DIR:-build}
BIN=$ROOT/$BUILD/app/meshgate/meshgate
PY=/usr/bin/python3
PID=
RUN=
WORK=

step() {
	echo
	echo "==> $*"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
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

step "Starting meshgate in $MG_NS_GW (config from tools/netns.sh config $RUN)"
tools/netns.sh config "$RUN" >"$WORK/meshgate.yaml"
# The userspace TCP stack's built-in services, for the TCP step below.
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
echo "    (Prometheus metrics: ip netns exec $MG_NS_GW curl -s http://127.0.0.1:15000/metrics)"
