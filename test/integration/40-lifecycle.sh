#!/usr/bin/env bash
# 40-lifecycle: the command line and the process life cycle.
#  - `meshgate --help` exits 0 and prints a usage naming --config;
#  - `meshgate --version` exits 0 and prints the project version;
#  - `meshgate --check --config FILE` accepts the test bed's bootstrap;
#  - a bootstrap with an unknown key, a bad address or a bad idle mode makes
#    meshgate exit non-zero and name FILE:LINE:COL of the culprit on stderr;
#  - SIGTERM makes a running gateway exit 0 within 5 s; so does SIGINT; and
#    a second start on the same test bed works (nothing was left locked).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

mg_require_root
mg_require_bin

out=$("$MG_BIN" --help 2>&1) && rc=0 || rc=$?
echo "$out" >"$MG_WORKDIR/help.txt"
mg_check "--help exits 0 (got $rc)" test "$rc" -eq 0
mg_check "--help prints a usage line" grep -qi 'usage' <<<"$out"
mg_check "--help mentions --config" grep -q -- '--config' <<<"$out"

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$MG_ROOT/meson.build" | head -n1)
out=$("$MG_BIN" --version 2>&1) && rc=0 || rc=$?
mg_log "--version: $out"
mg_check "--version exits 0 (got $rc)" test "$rc" -eq 0
mg_check "--version prints $version" grep -qF -- "$version" <<<"$out"

mg_setup
mg_write_config
good=$MG_CONFIG

rc=0
timeout 20 ip netns exec "$MG_NS_GW" "$MG_BIN" --check --config "$good" \
	>"$MG_WORKDIR/check.out" 2>&1 || rc=$?
mg_check "--check accepts the test bed's bootstrap (exit $rc)" test "$rc" -eq 0

# has_location PREFIX TEXT: TEXT contains PREFIX followed by a column number.
has_location() {
	[[ "$2" == *"$1"[0-9]* ]]
}

# bad_config NAME SED-SCRIPT PATTERN-OF-THE-BAD-LINE: write a broken copy of
# the good config and check meshgate refuses it, naming the right line.
bad_config() {
	local name=$1 script=$2 pattern=$3 file line rc err
	file=$MG_WORKDIR/$name.yaml
	sed -e "$script" "$good" >"$file"
	line=$(grep -n -- "$pattern" "$file" | head -n1 | cut -d: -f1)
	[[ -n "$line" ]] || mg_fail "test bug: '$pattern' not in $file"
	rc=0
	timeout 20 ip netns exec "$MG_NS_GW" "$MG_BIN" --config "$file" \
		>"$MG_WORKDIR/$name.out" 2>"$MG_WORKDIR/$name.err" || rc=$?
	err=$(cat "$MG_WORKDIR/$name.err")
	mg_log "$name: exit $rc, stderr: $(head -n3 <<<"$err")"
	mg_check "$name: exits non-zero" test "$rc" -ne 0
	mg_check "$name: not killed by the timeout" test "$rc" -ne 124
	mg_check "$name: stderr names $file:$line:COL" \
		has_location "$file:$line:" "$err"
}

bad_config unknown-key '/^workers:/a frobnicate: 3' '^frobnicate:'
bad_config bad-address 's|address: 198.18.0.1/24|address: 198.18.0.300/24|' '198.18.0.300'
bad_config bad-idle 's|^idle: .*|idle: sometimes|' '^idle: sometimes'

for sig in TERM INT; do
	MG_CONFIG=$good
	mg_start
	mg_log "sending SIG$sig to $MG_PID"
	t0=$(date +%s.%N)
	mg_stop_gw "$sig" 5 || mg_fail "SIG$sig: the gateway did not exit within 5 s (killed)"
	t1=$(date +%s.%N)
	mg_log "SIG$sig: exited with status $MG_GW_STATUS after $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
	mg_check "SIG$sig: exit status 0" test "$MG_GW_STATUS" -eq 0
	if grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$MG_GW_LOG"; then
		mg_fail "SIG$sig: sanitizer report in the gateway log"
	fi
done
mg_log PASS
