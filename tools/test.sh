#!/usr/bin/env bash
# tools/test.sh — run every meshgate test: what a newcomer or CI types.
#
# 1. installs what is missing (tools/deps.sh);
# 2. builds (build/, configured on first use), checks that the C sources are
#    formatted as .clang-format says (tools/format.sh --check) and runs the
#    Check unit tests;
# 3. builds the sanitizer variant (build-asan/: AddressSanitizer + UBSan) and
#    runs the unit tests there too; builds the libFuzzer targets with clang
#    (build-fuzz/) and runs each for a bounded time;
# 4. runs every test/integration/NN-*.sh (the real meshgate on the netns test
#    bed), one at a time, each under a timeout ("# mg-quiet: yes" scripts
#    first, on a quiet machine; "# mg-background: yes" ones beside the rest);
# 5. runs the benchmark smoke test, tools/bench/run --quick (passes when it
#    produced numbers; no speed threshold).
#
# Unit tests count per Check assertion group ("Checks: N" of each binary),
# each integration script counts as one test.  Prints a PASS/FAIL line per
# test binary and script (with the tail of the log of a failure; full logs in
# build/test-logs/) and, as its last line, "N passed, N failed".  Exits
# non-zero if anything failed or a build failed.  Needs root (namespaces).
#
# Knobs: MG_BUILD_DIR (default build), MG_ASAN_BUILD_DIR (default build-asan),
# MG_SKIP_ASAN=1, MG_SKIP_FUZZ=1, MG_FUZZ_SECONDS (per libFuzzer target,
# default 20), MG_SKIP_INTEGRATION=1, MG_IT_TIMEOUT (seconds per
# integration test, default 300; a script may ask for more with a header
# line "# mg-timeout: N"), MG_IT_FILTER (a glob on the script name),
# MG_IT_ASAN=1 (also run the integration tests against the sanitizer build's
# meshgate), MG_SKIP_BENCH=1 (skip the benchmark smoke test; also skipped
# with MG_SKIP_INTEGRATION=1 or an MG_IT_FILTER that does not match
# "bench-quick").
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BUILD=${MG_BUILD_DIR:-build}
ASAN_BUILD=${MG_ASAN_BUILD_DIR:-build-asan}
IT_TIMEOUT=${MG_IT_TIMEOUT:-300}
PY=/usr/bin/python3

PASSED=0
FAILED=0
START=$SECONDS

say() {
	echo "== $*"
}

finish() {
	echo "   (logs in $ROOT/$LOGDIR; $((SECONDS - START)) s)"
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
	exit $?
}

# show_tail FILE: the end of a log, indented, for a failure.
show_tail() {
	echo "   --- last lines of $1 ---"
	tail -n "${2:-40}" "$1" | sed 's/^/   | /'
}

# pass TEXT: one test passed: its "PASS TEXT" line, counted.
pass() {
	echo "PASS $1"
	PASSED=$((PASSED + 1))
}

# fail TEXT [LOG [LINES]]: one test failed: its "FAIL TEXT" line and the end
# of LOG, counted.
fail() {
	echo "FAIL $1"
	[[ -z "${2:-}" ]] || show_tail "$2" "${3:-40}"
	FAILED=$((FAILED + 1))
}

# tally STATUS: count one test whose PASS/FAIL line is already printed.
tally() {
	if (($1 == 0)); then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
}

if [[ $(id -u) -ne 0 ]]; then
	echo "tools/test.sh: must run as root (the integration tests create network namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

LOGDIR=$BUILD/test-logs
TMPLOG=$(mktemp /tmp/mg-test.XXXXXX)
trap 'rm -f "$TMPLOG"' EXIT

say "dependencies (tools/deps.sh)"
if ! tools/deps.sh; then
	fail "deps: tools/deps.sh failed"
	LOGDIR=/tmp
	finish
fi

# build DIR [meson options...]: configure DIR on first use, then ninja.
build() {
	local dir=$1 log
	shift
	if [[ ! -f "$dir/build.ninja" ]]; then
		if ! meson setup "$dir" "$@" >"$TMPLOG" 2>&1; then
			echo "FAIL build $dir: meson setup failed"
			show_tail "$TMPLOG"
			return 1
		fi
	fi
	mkdir -p "$LOGDIR"
	log=$LOGDIR/build-$(basename "$dir").log
	cat "$TMPLOG" >"$log" 2>/dev/null
	: >"$TMPLOG"
	if ! ninja -C "$dir" >>"$log" 2>&1; then
		echo "FAIL build $dir: ninja failed"
		show_tail "$log"
		return 1
	fi
	echo "PASS build $dir"
}

# unit_runtime_cleanup: DPDK unit tests use --file-prefix mgtest-<name>-<pid>
# and EAL leaves that runtime directory behind; remove those whose process
# is gone (a concurrent run's live directories stay).
unit_runtime_cleanup() {
	local d pid
	for d in /var/run/dpdk/mgtest-*; do
		[[ -d "$d" ]] || continue
		pid=${d##*-}
		[[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -rf "$d"
	done
	return 0
}

# unit DIR LABEL: run the unit suite of a build dir and count Check's checks
# from meson's test log.  A binary that failed without a failing check (a
# crash, a sanitizer report, a timeout) counts as one failure.
unit() {
	local dir=$1 label=$2 log counts p f
	log=$LOGDIR/unit-$label.log
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --suite unit --print-errorlogs --no-rebuild >"$log" 2>&1
	if [[ ! -f "$dir/meson-logs/testlog.json" ]]; then
		fail "unit-$label: meson test produced no test log" "$log"
		return
	fi
	counts=$("$PY" - "$dir/meson-logs/testlog.json" "$label" <<'PY'
import json, re, sys
passed = failed = 0
lines = []
for raw in open(sys.argv[1]):
    raw = raw.strip()
    if not raw:
        continue
    t = json.loads(raw)
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    n = f = e = 0
    found = False
    for m in re.finditer(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", out):
        n += int(m.group(1)); f += int(m.group(2)); e += int(m.group(3))
        found = True
    ok = t.get("result") in ("OK", "EXPECTEDFAIL")
    bad = f + e
    if not found or (not ok and bad == 0):
        bad += 1  # the binary itself failed (crash, sanitizer, timeout)
    good = max(n - f - e, 0)
    passed += good; failed += bad
    name = "unit-%s/%s" % (sys.argv[2], t.get("name"))
    if bad:
        lines.append("FAIL %s: %d of %d checks passed, result %s" % (name, good, n, t.get("result")))
    else:
        lines.append("PASS %s: %d checks" % (name, good))
for l in lines:
    print(l)
print("COUNTS %d %d" % (passed, failed))
PY
	)
	grep -v '^COUNTS ' <<<"$counts"
	unit_runtime_cleanup
	read -r _ p f < <(grep '^COUNTS ' <<<"$counts")
	PASSED=$((PASSED + ${p:-0}))
	FAILED=$((FAILED + ${f:-1}))
	if ((${f:-1} > 0)); then
		show_tail "$log" 60
	fi
}

# leftovers STATE: after an integration test, stop any gateway (or
# controller) it left running and remove any test bed it left up (a test
# killed by its timeout cannot clean up).  Returns 1 if there was anything to clean.
leftovers() {
	local kind val comm rc=0
	while read -r kind val; do
		case "$kind" in
		pid)
			comm=$(cat "/proc/$val/comm" 2>/dev/null || true)
			if [[ "$comm" == meshgate || "$comm" == meshgate-ctrl ]]; then
				echo "   leftover: $comm pid $val still running; killing it"
				kill -KILL "$val" 2>/dev/null
				rc=1
			fi
			;;
		dir)
			# The test's scratch directory (its trap removes it; a killed
			# test leaves it).
			[[ "$val" == /tmp/mg-it-* && -d "$val" ]] && rm -rf "$val"
			;;
		run)
			if ip netns list | grep -qE "^mg[cgu]-$val( |\$)"; then
				echo "   leftover: test bed $val still up; removing it"
				tools/netns.sh down "$val"
				rc=1
			fi
			;;
		esac
	done <"$1"
	return $rc
}

say "build ($BUILD)"
if ! build "$BUILD"; then
	FAILED=$((FAILED + 1))
	finish
fi
rm -rf "${LOGDIR:?}"/unit-* "${LOGDIR:?}"/integration "${LOGDIR:?}"/integration-asan

say "style (tools/format.sh --check: the C sources as .clang-format says)"
if tools/format.sh --check >"$TMPLOG" 2>&1; then
	pass "style: $(tail -n 1 "$TMPLOG")"
else
	fail style "$TMPLOG"
fi

say "unit tests ($BUILD)"
unit "$BUILD" release

if [[ "${MG_SKIP_ASAN:-0}" != 1 ]]; then
	say "sanitizer build ($ASAN_BUILD: address,undefined)"
	if build "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false; then
		say "unit tests under ASan/UBSan ($ASAN_BUILD)"
		unit "$ASAN_BUILD" asan
	else
		FAILED=$((FAILED + 1))
	fi
fi

# fuzz: the libFuzzer targets (test/fuzz), built with clang in build-fuzz/
# (only those targets) and each run for MG_FUZZ_SECONDS from its seed corpus;
# one test per target, failed by a crash, a sanitizer report or a leak.
fuzz() {
	local dir=${MG_FUZZ_BUILD_DIR:-build-fuzz} secs=${MG_FUZZ_SECONDS:-20} t log out
	mkdir -p "$LOGDIR/fuzz"
	if [[ ! -f "$dir/build.ninja" ]] &&
		! CC=clang meson setup "$dir" -Dfuzz=true >"$LOGDIR/fuzz/setup.log" 2>&1; then
		fail "fuzz: meson setup $dir failed" "$LOGDIR/fuzz/setup.log"
		return
	fi
	if ! ninja -C "$dir" test/fuzz/fuzz_h1_request test/fuzz/fuzz_h1_response \
		>"$LOGDIR/fuzz/build.log" 2>&1; then
		fail "fuzz: build failed" "$LOGDIR/fuzz/build.log"
		return
	fi
	for t in h1_request h1_response; do
		log=$LOGDIR/fuzz/$t.log
		out=$dir/fuzz-out/$t
		rm -rf "$out" && mkdir -p "$out/corpus"
		cp test/fuzz/corpus/"$t"/* "$out/corpus/"
		if (cd "$out" && timeout -k 10 $((secs + 60)) "$ROOT/$dir/test/fuzz/fuzz_$t" \
			-max_total_time="$secs" -seed=1 -rss_limit_mb=2048 corpus) >"$log" 2>&1; then
			pass "fuzz/$t ($(grep -o 'Done [0-9]* runs' "$log" | head -n 1) in ${secs}s)"
		else
			fail "fuzz/$t (crash input and log in $out; see test/fuzz/README)" "$log"
		fi
	done
}

if [[ "${MG_SKIP_FUZZ:-0}" != 1 ]]; then
	say "fuzz targets (build-fuzz: clang, libFuzzer, ASan/UBSan)"
	fuzz
fi

# run_script LABEL BINARY SCRIPT: one integration script under its timeout;
# prints its PASS/FAIL line (with the log's tail on a failure); status 0 on PASS.
run_script() {
	local label=$1 bin=$2 t=$3 name log state t0 rc why limit
	name=$(basename "$t" .sh)
	log=$LOGDIR/$label/$name.log
	state=$LOGDIR/$label/$name.state
	: >"$state"
	t0=$SECONDS
	# A script that needs longer says so in its header: "# mg-timeout: N".
	limit=$(sed -n 's/^# mg-timeout: \([0-9]*\)$/\1/p' "$t" | head -n 1)
	limit=${limit:-$IT_TIMEOUT}
	((limit >= IT_TIMEOUT)) || limit=$IT_TIMEOUT
	MG_BIN="$bin" MG_LOG_DIR="$ROOT/$LOGDIR/$label/$name" MG_STATE_FILE="$ROOT/$state" \
		timeout -k 15 "$limit" "$t" >"$log" 2>&1
	rc=$?
	# Always: a script killed by its timeout could not clean up.
	if leftovers "$state" && ((rc == 0)); then
		echo "PASS $label/$name ($((SECONDS - t0)) s)"
		return 0
	fi
	why="exit $rc"
	((rc == 0)) && why="it left a process or a test bed behind"
	((rc == 124)) && why="timed out after ${limit}s"
	((rc == 137)) && why="killed: did not stop after the ${limit}s timeout"
	echo "FAIL $label/$name ($why, $((SECONDS - t0)) s)"
	show_tail "$log"
	return 1
}

# integration LABEL BINARY: run every integration script against BINARY, one
# after the other, in three groups by a header line: "# mg-quiet: yes" first
# (they measure CPU use or count every frame, and need the machine to
# themselves), then those marked "# mg-background: yes" are started (long,
# and spent waiting on round trips and timers rather than CPU: the
# impairment profiles) to run beside all the rest, on test beds of their
# own, and are waited for at the end.
integration() {
	local label=$1 bin=$2 t name i group
	local -a bg_pid=() bg_out=()
	mkdir -p "$LOGDIR/$label"
	for group in quiet background rest; do
		for t in test/integration/[0-9]*.sh; do
			[[ -e "$t" ]] || continue
			name=$(basename "$t" .sh)
			# shellcheck disable=SC2053  # MG_IT_FILTER is a glob on purpose
			[[ -z "${MG_IT_FILTER:-}" || "$name" == ${MG_IT_FILTER} ]] || continue
			case $group in
			quiet) grep -q '^# mg-quiet: yes$' "$t" || continue ;;
			background) grep -q '^# mg-background: yes$' "$t" || continue ;;
			rest)
				! grep -qE '^# mg-(quiet|background): yes$' "$t" || continue
				;;
			esac
			if [[ $group == background ]]; then
				run_script "$label" "$bin" "$t" >"$LOGDIR/$label/$name.result" 2>&1 &
				bg_pid+=($!)
				bg_out+=("$LOGDIR/$label/$name.result")
				echo "     $label/$name started in the background"
			else
				run_script "$label" "$bin" "$t"
				tally $?
			fi
		done
	done
	for i in "${!bg_pid[@]}"; do
		wait "${bg_pid[$i]}"
		tally $?
		cat "${bg_out[$i]}"
	done
}

if [[ "${MG_SKIP_INTEGRATION:-0}" != 1 ]]; then
	say "integration tests (test/integration, real meshgate on the netns test bed)"
	integration integration "$ROOT/$BUILD/app/meshgate/meshgate"
	if [[ "${MG_IT_ASAN:-0}" == 1 ]]; then
		say "integration tests against the sanitizer build ($ASAN_BUILD)"
		if [[ -x "$ASAN_BUILD/app/meshgate/meshgate" ]]; then
			integration integration-asan "$ROOT/$ASAN_BUILD/app/meshgate/meshgate"
		else
			fail "integration-asan: no $ASAN_BUILD/app/meshgate/meshgate"
		fi
	fi
fi

# The benchmark smoke test: one test, counted like an integration script.
# shellcheck disable=SC2053  # MG_IT_FILTER is a glob on purpose
if [[ "${MG_SKIP_INTEGRATION:-0}" != 1 && "${MG_SKIP_BENCH:-0}" != 1 &&
	( -z "${MG_IT_FILTER:-}" || bench-quick == ${MG_IT_FILTER} ) ]]; then
	say "benchmark smoke test (tools/bench/run --quick; results in $BUILD/bench-results)"
	log=$LOGDIR/bench-quick.log
	t0=$SECONDS
	if MG_BUILD_DIR="$BUILD" timeout -k 15 180 tools/bench/run --quick >"$log" 2>&1; then
		pass "bench-quick ($((SECONDS - t0)) s): $(grep -o '[0-9.]* Mpps per worker core' "$log" | tail -n1)"
	else
		fail "bench-quick (exit $?, $((SECONDS - t0)) s)" "$log"
	fi
fi

finish
