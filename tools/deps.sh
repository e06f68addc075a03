#!/usr/bin/env bash
# tools/deps.sh — install what meshgate needs to build and test, with apt-get.
#
# Idempotent and quiet: when every package is already installed it prints
# nothing and exits 0.  Only when something is missing does it run
# `apt-get update` and install the missing packages (as root, on Debian 12).
set -euo pipefail

PACKAGES=(
	build-essential meson ninja-build pkg-config
	libdpdk-dev dpdk
	libmbedtls-dev libprotobuf-c-dev protobuf-c-compiler libyaml-dev libnghttp2-dev libpcre2-dev
	protobuf-compiler libprotobuf-dev
	check
	python3 python3-scapy python3-grpcio python3-protobuf
	iproute2 ethtool iputils-ping iputils-arping procps curl
	nginx-light wrk haproxy
	python3-matplotlib
	prometheus
	clang-format
	clang libclang-rt-14-dev
	valgrind
)

# One dpkg-query for all of them; a package dpkg has never heard of is simply
# absent from its output.
declare -A installed=()
while read -r name status; do
	[[ "$status" == "installed" ]] && installed[${name%%:*}]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for p in "${PACKAGES[@]}"; do
	[[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root (or install them with apt-get) and try again" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/mg-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "deps.sh: apt-get failed" >&2
	exit 1
fi
# The tests and benchmarks run nginx and HAProxy themselves, in namespaces,
# with their own configs; the Debian packages' own services (nginx on port 80,
# haproxy with /etc/haproxy/haproxy.cfg) are not wanted running on the host.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null; then
	systemctl disable --now nginx >/dev/null 2>&1 || true
fi
if [[ " ${missing[*]} " == *" haproxy "* ]] && command -v systemctl >/dev/null; then
	systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
echo "deps.sh: done" >&2
