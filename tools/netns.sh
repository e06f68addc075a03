#!/usr/bin/env bash
# tools/netns.sh — the standard meshgate test bed in network namespaces.
#
#   tools/netns.sh up [RUN]            create it; prints eval-able assignments
#   tools/netns.sh down RUN            remove exactly what `up RUN` made
#   tools/netns.sh config RUN [K=V..]  print a meshgate bootstrap YAML for it
#
# Topology (RUN is a short id, default $MG_RUN or 4 random hex digits):
#
#   mgc-RUN (client)          mgg-RUN (gateway)              mgu-RUN (upstream)
#   mgccRUN 198.18.0.2/24 <-> mggcRUN    mgguRUN <-> mguuRUN 198.18.1.2/24
#                             (no addresses: meshgate        lo: 198.18.2.1/24
#                              owns both veths through       ("service network")
#                              net_af_packet; 198.18.0.1
#                              and 198.18.1.1 live there)
#
# The gateway namespace holds only the gateway's two veth ends and lo (for the
# admin API on 127.0.0.1): no addresses, no forwarding, no IPv6, so the kernel
# never answers or forwards anything meshgate should see.  IPv6 is disabled
# everywhere so Linux sends no router solicitations or MLD reports into the
# gateway (the malformed-frame test counts drops exactly).  TX checksum
# offload is off on every veth end: a packet socket on a veth would otherwise
# see Linux's TCP/UDP with checksums not filled in.  There are no default
# routes; nothing can leave the test bed.
#
# Key=value options for `config`: workers=N idle=adaptive|busy lcores=0-1 (or
# a map such as 0@0,1@1,2@0, passed with --lcores)
# mem=MB port=N prefix=FILE_PREFIX forward=PORT:ADDR:DPORT (a `tcp:` block
# with the forward service relaying PORT to ADDR:DPORT; leave it out to
# append a `tcp:` block of your own), ads=NODE_ID:PORT (the gateway's
# configuration from an ADS server on 127.0.0.1:PORT in its namespace:
# `node`, `dynamic_resources` and the static `xds` cluster naming the
# server, last in the file, so more static resources can follow),
# client_pmd=af_packet|pcap (the client port's DPDK driver: net_af_packet by
# default; net_pcap, one queue pair, opens the veth through libpcap, whose
# packet socket has no fanout group: the kernel does not hold back IPv4
# fragments for reassembly as it does for net_af_packet's PACKET_FANOUT_FLAG_DEFRAG).
set -euo pipefail

ADDR_CLIENT=198.18.0.2
ADDR_GW_CLIENT=198.18.0.1
PREFIX_CLIENT=24
NET_CLIENT=198.18.0.0/24
ADDR_UP=198.18.1.2
ADDR_GW_UP=198.18.1.1
PREFIX_UP=24
NET_UP=198.18.1.0/24
NET_SERVICE=198.18.2.0/24
ADDR_SERVICE=198.18.2.1

usage() {
	sed -n '2,6s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

die() {
	echo "netns.sh: $*" >&2
	exit 1
}

# The run id goes into interface names (4 + len <= 15), so keep it short.
check_run() {
	[[ "$1" =~ ^[a-z0-9]{1,11}$ ]] || die "bad run id '$1' (want 1-11 of [a-z0-9])"
}

# Names derived from the run id; the same function serves up, down and config.
names() {
	local run=$1
	NS_CLIENT=mgc-$run
	NS_GW=mgg-$run
	NS_UP=mgu-$run
	IF_CLIENT=mgcc$run
	IF_GW_CLIENT=mggc$run
	IF_GW_UP=mggu$run
	IF_UP=mguu$run
}

ns_exists() {
	ip netns list | awk '{print $1}' | grep -qx -- "$1"
}

nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

mac_of() {
	nsx "$1" cat "/sys/class/net/$2/address"
}

# Quiet the kernel in one namespace: no IPv6 anywhere, no forwarding.
ns_sysctls() {
	local ns=$1
	nsx "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
	nsx "$ns" ip link set lo up
}

# Per-interface settings for one veth end, before it comes up.
if_setup() {
	local ns=$1 ifname=$2
	nsx "$ns" sysctl -q -w "net.ipv6.conf.$ifname.disable_ipv6=1"
	nsx "$ns" ethtool -K "$ifname" tx off >/dev/null 2>&1 ||
		die "ethtool -K $ifname tx off failed in $ns"
	nsx "$ns" ip link set "$ifname" up
}

cmd_up() {
	local run=${1:-${MG_RUN:-}}
	if [[ -z "$run" ]]; then
		run=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	fi
	check_run "$run"
	names "$run"
	[[ $(id -u) -eq 0 ]] || die "must run as root"
	local ns
	for ns in "$NS_CLIENT" "$NS_GW" "$NS_UP"; do
		ns_exists "$ns" && die "namespace $ns already exists (run '$0 down $run' first?)"
	done

	# Anything that fails from here on (set -e) undoes the partial test bed.
	UP_RUN=$run
	UP_DONE=0
	trap 'up_failed' EXIT

	for ns in "$NS_CLIENT" "$NS_GW" "$NS_UP"; do
		ip netns add "$ns"
		ns_sysctls "$ns"
	done
	# Create each pair directly inside its namespaces: the root namespace never
	# holds these names, and IPv6 is already off by default there.
	ip link add "$IF_CLIENT" netns "$NS_CLIENT" type veth peer name "$IF_GW_CLIENT" netns "$NS_GW"
	ip link add "$IF_UP" netns "$NS_UP" type veth peer name "$IF_GW_UP" netns "$NS_GW"

	if_setup "$NS_CLIENT" "$IF_CLIENT"
	if_setup "$NS_GW" "$IF_GW_CLIENT"
	if_setup "$NS_GW" "$IF_GW_UP"
	if_setup "$NS_UP" "$IF_UP"

	nsx "$NS_CLIENT" ip addr add "$ADDR_CLIENT/$PREFIX_CLIENT" dev "$IF_CLIENT"
	nsx "$NS_CLIENT" ip route add "$NET_UP" via "$ADDR_GW_CLIENT" dev "$IF_CLIENT"
	nsx "$NS_CLIENT" ip route add "$NET_SERVICE" via "$ADDR_GW_CLIENT" dev "$IF_CLIENT"

	nsx "$NS_UP" ip addr add "$ADDR_UP/$PREFIX_UP" dev "$IF_UP"
	nsx "$NS_UP" ip addr add "$ADDR_SERVICE/${NET_SERVICE#*/}" dev lo
	nsx "$NS_UP" ip route add "$NET_CLIENT" via "$ADDR_GW_UP" dev "$IF_UP"

	echo "MG_RUN=$run"
	echo "MG_NS_CLIENT=$NS_CLIENT"
	echo "MG_NS_GW=$NS_GW"
	echo "MG_NS_UP=$NS_UP"
	echo "MG_IF_CLIENT=$IF_CLIENT"
	echo "MG_IF_GW_CLIENT=$IF_GW_CLIENT"
	echo "MG_IF_GW_UP=$IF_GW_UP"
	echo "MG_IF_UP=$IF_UP"
	echo "MG_ADDR_CLIENT=$ADDR_CLIENT"
	echo "MG_ADDR_GW_CLIENT=$ADDR_GW_CLIENT"
	echo "MG_PREFIX_CLIENT=$PREFIX_CLIENT"
	echo "MG_ADDR_GW_UP=$ADDR_GW_UP"
	echo "MG_ADDR_UP=$ADDR_UP"
	echo "MG_PREFIX_UP=$PREFIX_UP"
	echo "MG_NET_SERVICE=$NET_SERVICE"
	echo "MG_ADDR_SERVICE=$ADDR_SERVICE"
	echo "MG_MAC_CLIENT=$(mac_of "$NS_CLIENT" "$IF_CLIENT")"
	echo "MG_MAC_GW_CLIENT=$(mac_of "$NS_GW" "$IF_GW_CLIENT")"
	echo "MG_MAC_GW_UP=$(mac_of "$NS_GW" "$IF_GW_UP")"
	echo "MG_MAC_UP=$(mac_of "$NS_UP" "$IF_UP")"
	UP_DONE=1
}

# EXIT trap of `up`: if it did not finish, remove whatever it had made.
up_failed() {
	local rc=$?
	if [[ "${UP_DONE:-1}" != 1 ]]; then
		cmd_down "$UP_RUN" >/dev/null 2>&1 || true
		echo "netns.sh: up $UP_RUN failed; removed what it had made" >&2
		((rc != 0)) || rc=1
	fi
	exit "$rc"
}

# Deleting a namespace deletes the veth ends inside it (and so their peers).
# Also removes the DPDK runtime directory of the run's default file prefix.
cmd_down() {
	local run=${1:-${MG_RUN:-}}
	[[ -n "$run" ]] || die "down needs the run id"
	check_run "$run"
	names "$run"
	local ns rc=0
	for ns in "$NS_CLIENT" "$NS_GW" "$NS_UP"; do
		if ns_exists "$ns"; then
			ip netns del "$ns" || rc=1
		fi
	done
	rm -rf "/var/run/dpdk/mg-$run"
	return $rc
}

cmd_config() {
	local run=${1:-${MG_RUN:-}}
	[[ -n "$run" ]] || die "config needs the run id"
	check_run "$run"
	names "$run"
	shift || true
	local workers=1 idle=adaptive lcores=0-1 mem=512 port=15000 prefix=mg-$run forward='' ads='' client_pmd=af_packet kv
	for kv in "$@"; do
		case "$kv" in
		workers=*) workers=${kv#*=} ;;
		idle=*) idle=${kv#*=} ;;
		lcores=*) lcores=${kv#*=} ;;
		mem=*) mem=${kv#*=} ;;
		port=*) port=${kv#*=} ;;
		prefix=*) prefix=${kv#*=} ;;
		forward=*)
			forward=${kv#*=}
			[[ "$forward" =~ ^[0-9]{1,5}:[0-9.]{7,15}:[0-9]{1,5}$ ]] ||
				die "config: forward=$forward: want PORT:ADDR:DPORT" ;;
		ads=*)
			ads=${kv#*=}
			[[ "$ads" =~ ^[A-Za-z0-9._-]+:[0-9]{1,5}$ ]] || die "config: ads=$ads: want NODE_ID:PORT" ;;
		client_pmd=*)
			client_pmd=${kv#*=}
			[[ "$client_pmd" == af_packet || "$client_pmd" == pcap ]] ||
				die "config: client_pmd=$client_pmd: want af_packet or pcap" ;;
		*) die "config: unknown option '$kv'" ;;
		esac
	done
	# An lcore map such as 0@0,1@1,2@0 (more lcores than CPUs) needs --lcores.
	local lflag=-l
	[[ "$lcores" != *@* ]] || lflag=--lcores
	# A queue pair per worker (af_packet's fanout spreads flows over them).
	local qpairs=''
	((workers == 1)) || qpairs=",qpairs=$workers"
	local client_dev="net_af_packet0,iface=$IF_GW_CLIENT$qpairs"
	if [[ "$client_pmd" == pcap ]]; then
		((workers == 1)) || die "config: client_pmd=pcap has one queue pair: want workers=1"
		# phy_mac=1: the port takes the veth's MAC, as net_af_packet does.
		client_dev="net_pcap0,iface=$IF_GW_CLIENT,phy_mac=1"
	fi
	cat <<EOF
# meshgate bootstrap for test bed run $run (tools/netns.sh config $run)
# Start: ip netns exec $NS_GW build/app/meshgate/meshgate --config FILE
eal:
  args: ["$lflag", "$lcores", "--no-huge", "-m", "$mem", "--no-pci", "--file-prefix", "$prefix"]
workers: $workers
idle: $idle
admin: { address: 127.0.0.1, port: $port }
interfaces:
  - { name: client, device: "$client_dev", address: $ADDR_GW_CLIENT/$PREFIX_CLIENT }
  - { name: upstream, device: "net_af_packet1,iface=$IF_GW_UP$qpairs", address: $ADDR_GW_UP/$PREFIX_UP }
routes:
  - { prefix: $NET_SERVICE, via: $ADDR_UP }
EOF
	if [[ -n "$forward" ]]; then
		local a=${forward#*:}
		printf 'tcp:\n  services: { forward: { port: %s, to: "%s:%s" } }\n' \
			"${forward%%:*}" "${a%:*}" "${a##*:}"
	fi
	if [[ -n "$ads" ]]; then
		cat <<EOF
node: {id: ${ads%:*}, cluster: meshgate-gateways, metadata: {run: "$run"}}
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services: [{envoy_grpc: {cluster_name: xds}}]
  cds_config: {ads: {}}
  lds_config: {ads: {}}
static_resources:
  clusters:
  - name: xds
    type: STATIC
    load_assignment:
      cluster_name: xds
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: ${ads##*:}}}}}]}]
EOF
	fi
}

case "${1:-}" in
up) shift; cmd_up "$@" ;;
down) shift; cmd_down "$@" ;;
config) shift; cmd_config "$@" ;;
*) usage ;;
esac
