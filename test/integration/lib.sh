# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# (SC2034: globals set here are read by the tests; SC2119/SC2120: optional
# arguments.)
# test/integration/lib.sh — shared by every integration test (source it).
#
# A test calls mg_setup (a fresh test bed with a unique run id, and a cleanup
# trap), then mg_start (the real meshgate in the gateway namespace, waited for
# until /ready answers 200), then checks things with mg_check / mg_stats /
# mg_counter.  The EXIT trap stops the gateway it started (by PID) and removes
# the test bed, whether the test passed, failed or was killed by a timeout, so
# a run never leaves namespaces or processes behind.
#
# Environment knobs: MG_BIN (the meshgate binary; default build/app/meshgate/
# meshgate), MG_PYTHON (a python3 with scapy; default /usr/bin/python3, the
# Debian one, since a pyenv python3 on PATH would not have python3-scapy),
# MG_READY_TIMEOUT (seconds, default 30), MG_LOG_DIR (where to keep the
# gateway's log; default: the test's temporary directory, removed on success),
# MG_STATE_FILE (where to note run ids and PIDs for an outside cleanup).

set -euo pipefail

MG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MG_IT_DIR=$MG_ROOT/test/integration
MG_BIN=${MG_BIN:-$MG_ROOT/build/app/meshgate/meshgate}
MG_PYTHON=${MG_PYTHON:-/usr/bin/python3}
MG_READY_TIMEOUT=${MG_READY_TIMEOUT:-30}
MG_ADMIN_PORT=${MG_ADMIN_PORT:-15000}
MG_TEST_NAME=$(basename "$0" .sh)
MG_WORKDIR=$(mktemp -d "/tmp/mg-it-$MG_TEST_NAME.XXXXXX")
MG_PID=
MG_RUN=
MG_CONFIG=
MG_GW_LOG=$MG_WORKDIR/meshgate.log
MG_FAILED=0

# mg_state LINE: note a run id or gateway PID in $MG_STATE_FILE (if set), so
# tools/test.sh can clean up after a test that was killed outright.
mg_state() {
	[[ -z "${MG_STATE_FILE:-}" ]] || echo "$1" >>"$MG_STATE_FILE"
}

mg_log() {
	echo "[$MG_TEST_NAME] $*"
}

# mg_fail MSG: report and end the test with status 1 (the trap cleans up).
mg_fail() {
	echo "[$MG_TEST_NAME] FAIL: $*" >&2
	MG_FAILED=1
	exit 1
}

# mg_check DESCRIPTION COMMAND...: run COMMAND; log ok or fail the test.
mg_check() {
	local what=$1
	shift
	if "$@"; then
		mg_log "ok: $what"
	else
		mg_fail "$what"
	fi
}

# mg_require_root: the test bed needs root (namespaces, veths, packet sockets).
mg_require_root() {
	[[ $(id -u) -eq 0 ]] || mg_fail "must run as root"
}

# mg_require_bin: the meshgate binary must exist.
mg_require_bin() {
	[[ -x "$MG_BIN" ]] || mg_fail "no meshgate binary at $MG_BIN (build first: ninja -C build)"
}

mg_gw() {
	ip netns exec "$MG_NS_GW" "$@"
}

mg_client() {
	ip netns exec "$MG_NS_CLIENT" "$@"
}

mg_upstream() {
	ip netns exec "$MG_NS_UP" "$@"
}

mg_alive() {
	[[ -n "$MG_PID" ]] && kill -0 "$MG_PID" 2>/dev/null
}

# mg_stop_gw [SIGNAL] [TIMEOUT]: signal the gateway we started and wait for it.
# Sets MG_GW_STATUS (global, for the caller) to its exit status (or "timeout" when it would not stop
# and had to be killed).  Returns 0 when it exited within TIMEOUT seconds.
mg_stop_gw() {
	local sig=${1:-TERM} timeout=${2:-10} i
	MG_GW_STATUS=
	[[ -n "$MG_PID" ]] || return 0
	kill -s "$sig" "$MG_PID" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		kill -0 "$MG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$MG_PID" 2>/dev/null; then
		kill -s KILL "$MG_PID" 2>/dev/null || true
		wait "$MG_PID" 2>/dev/null || true
		MG_GW_STATUS=timeout
		MG_PID=
		return 1
	fi
	MG_GW_STATUS=0
	wait "$MG_PID" 2>/dev/null || MG_GW_STATUS=$?
	MG_PID=
	return 0
}

# mg_stop_pid PID [SIGNAL]: stop a process this test started, by its PID:
# SIGNAL (TERM), up to 5 s, then SIGKILL; reaped.  Nothing for an empty PID.
mg_stop_pid() {
	local pid=$1 i
	[[ -n "$pid" ]] || return 0
	kill -s "${2:-TERM}" "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -s KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

mg_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	((rc != 0)) && MG_FAILED=1
	if [[ -n "$MG_PID" ]]; then
		mg_stop_gw TERM 5 >/dev/null 2>&1
		if [[ "$MG_GW_STATUS" != 0 ]]; then
			echo "[$MG_TEST_NAME] FAIL: the gateway's exit on SIGTERM: $MG_GW_STATUS (want 0)" >&2
			rc=1
			MG_FAILED=1
		fi
	fi
	# A sanitizer build reports memory errors, UB and leaks in its log.
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$MG_GW_LOG" 2>/dev/null; then
		echo "[$MG_TEST_NAME] FAIL: sanitizer report in the gateway log" >&2
		rc=1
		MG_FAILED=1
	fi
	if ((MG_FAILED)) && [[ -s "$MG_GW_LOG" ]]; then
		echo "[$MG_TEST_NAME] --- last lines of the gateway log ($MG_GW_LOG) ---" >&2
		tail -n 40 "$MG_GW_LOG" >&2
	fi
	if [[ -n "$MG_RUN" ]]; then
		"$MG_ROOT/tools/netns.sh" down "$MG_RUN" >/dev/null 2>&1 ||
			echo "[$MG_TEST_NAME] warning: netns down $MG_RUN failed" >&2
	fi
	if [[ -n "${MG_LOG_DIR:-}" ]]; then
		mkdir -p "$MG_LOG_DIR"
		cp -r "$MG_WORKDIR/." "$MG_LOG_DIR/" 2>/dev/null
	fi
	if ((MG_FAILED == 0)) || [[ -n "${MG_LOG_DIR:-}" ]]; then
		rm -rf "$MG_WORKDIR"
	else
		echo "[$MG_TEST_NAME] kept $MG_WORKDIR" >&2
	fi
	exit "$rc"
}

# mg_setup: bring up a test bed with a fresh run id and install the cleanup
# trap.  Exports the MG_* assignments of tools/netns.sh up.
mg_setup() {
	mg_require_root
	trap mg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mg_state "dir $MG_WORKDIR"
	local try out run
	for try in 1 2 3 4 5; do
		run=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
		if out=$("$MG_ROOT/tools/netns.sh" up "$run" 2>"$MG_WORKDIR/netns.err"); then
			MG_RUN=$run
			eval "$out"
			mg_state "run $MG_RUN"
			mg_log "test bed up: run $MG_RUN (client $MG_NS_CLIENT, gateway $MG_NS_GW, upstream $MG_NS_UP)"
			return 0
		fi
		# Only a collision with another run is worth a retry.
		grep -q 'already exists' "$MG_WORKDIR/netns.err" || break
		: "$try"
	done
	cat "$MG_WORKDIR/netns.err" >&2
	mg_fail "tools/netns.sh up failed"
}

# mg_hcm_listener NAME PORT [ADDR]: the head of a static_resources listener
# entry with an HTTP connection manager on ADDR:PORT (ADDR 0.0.0.0 unless
# given; stat_prefix NAME), for a
# test's heredoc; the caller goes on with the manager's fields at 10 spaces
# (route_config, use_remote_address, ...).
mg_hcm_listener() {
	cat <<EOF
  - name: $1
    address: {socket_address: {address: ${3:-0.0.0.0}, port_value: $2}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: $1
EOF
}

# mg_write_config [K=V...]: write the bootstrap for this run (options as for
# `tools/netns.sh config`) to $MG_CONFIG.
mg_write_config() {
	MG_CONFIG=$MG_WORKDIR/meshgate.yaml
	"$MG_ROOT/tools/netns.sh" config "$MG_RUN" "$@" >"$MG_CONFIG"
}

# mg_http PATH [curl args...]: GET from the admin API, body on stdout.
mg_http() {
	local path=$1
	shift
	mg_gw curl -sS --max-time 5 "$@" "http://127.0.0.1:$MG_ADMIN_PORT$path"
}

# mg_http_code PATH: print only the HTTP status of a GET (000 when refused).
mg_http_code() {
	mg_gw curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		"http://127.0.0.1:$MG_ADMIN_PORT$1" 2>/dev/null || true
}

# mg_start: write the default config (unless mg_write_config already wrote
# one; call it first for options), start meshgate in the gateway namespace and wait for GET /ready == 200.
mg_start() {
	mg_require_bin
	[[ -n "$MG_CONFIG" ]] || mg_write_config
	mg_log "starting $MG_BIN --config $MG_CONFIG in $MG_NS_GW"
	# `ip netns exec` execs the program, so $! is meshgate's own PID.  A
	# background job of a script starts with SIGINT ignored; env restores the
	# default so the gateway sees SIGINT as it would in a terminal.
	env --default-signal=INT,QUIT ip netns exec "$MG_NS_GW" "$MG_BIN" --config "$MG_CONFIG" \
		>>"$MG_GW_LOG" 2>&1 &
	MG_PID=$!
	mg_state "pid $MG_PID"
	local deadline=$((SECONDS + MG_READY_TIMEOUT)) code
	while ((SECONDS < deadline)); do
		if ! mg_alive; then
			local st=0
			wait "$MG_PID" || st=$?
			MG_PID=
			mg_fail "meshgate exited with status $st before it was ready"
		fi
		code=$(mg_http_code /ready)
		if [[ "$code" == 200 ]]; then
			mg_log "gateway ready (pid $MG_PID)"
			return 0
		fi
		sleep 0.2
	done
	mg_fail "meshgate not ready after ${MG_READY_TIMEOUT}s (last /ready status: $code)"
}

# mg_stats FILE: save GET /stats to FILE (must be valid JSON).
mg_stats() {
	mg_http /stats >"$1" || mg_fail "GET /stats failed"
	"$MG_PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" ||
		mg_fail "GET /stats is not valid JSON (saved in $1)"
}

# mg_counter FILE NAME: print a summed counter from a saved /stats.  NAME is
# a counter of the "total" object (e.g. icmp_echo_rx), "drop_<reason>",
# "drops_total", or "port.<name>.<field>" (e.g. port.client.imissed).
mg_counter() {
	"$MG_PYTHON" "$MG_IT_DIR/stats.py" get "$1" "$2"
}

# mg_settle [MAX_SECONDS]: wait until the gateway's rx/drop counters stop
# changing (two equal reads 0.5 s apart), at most MAX_SECONDS (default 10).
mg_settle() {
	local max=${1:-10} prev='' cur deadline
	deadline=$((SECONDS + max))
	while ((SECONDS < deadline)); do
		mg_stats "$MG_WORKDIR/settle.json"
		cur=$("$MG_PYTHON" "$MG_IT_DIR/stats.py" fingerprint "$MG_WORKDIR/settle.json")
		[[ "$cur" == "$prev" ]] && return 0
		prev=$cur
		sleep 0.5
	done
	mg_log "warning: counters still moving after ${max}s"
	return 0
}

# mg_ping NS ADDR COUNT [ping args...]: ping from a namespace; prints the
# number of replies received (parsed from ping's summary).
mg_ping() {
	local ns=$1 addr=$2 count=$3 out
	shift 3
	out=$(ip netns exec "$ns" ping -n -q -c "$count" "$@" "$addr" 2>&1 || true)
	echo "$out" >>"$MG_WORKDIR/ping.log"
	sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$out" | head -n1
}
