#!/usr/bin/env bash
# 81-tcp-impair: bulk transfer through the echo service under the four
# impairment profiles of issue 3, built into the gateway's port layer (the
# kernel here has no netem): the seeded stage on the client interface
# impairs what the gateway receives (rx) and sends (tx), so both TCP stacks
# see it.  Each profile echoes MG_IMPAIR_MIB MiB (default 256) with sha256
# compared end to end, within a time bound, on its own gateway and test bed:
#   (a) loss1: 1% loss each way;
#   (b) lossy: 5% loss, 25% reordering and 1% duplication each way;
#   (c) delay: 20 ms delay on what the gateway sends (a 20 ms round trip)
#       and 0.5% loss each way;
#   (d) corrupt: 0.1% of frames corrupted (one bit) each way: TCP checksums
#       catch them.
# The four run side by side (MG_IMPAIR_PARALLEL=0: one after the other):
# their time goes in waiting for round trips and timers, not CPU, so
# together they take as long as the slowest.  Bounds, at 256 MiB and scaled
# with MG_IMPAIR_MIB (at least 60 s): about twice the measured times, from
# the profile's loss recovery (BENCHMARKS.md): 300 s (a), 600 s (b), 700 s
# (c: 20 ms round trips at 0.5% loss are worth about 1 MB/s to any Reno-
# or CUBIC-like sender), 150 s (d); MG_IMPAIR_LIMIT overrides them all.
# Each profile also shows that the impairment happened and that recovery
# did the work (retransmissions; checksum drops for (d)).
# Knobs: MG_IMPAIR_MIB, MG_IMPAIR_PROFILES (names, default all four),
# MG_IMPAIR_PARALLEL, MG_IMPAIR_CC (the gateway's congestion control).
# tools/test.sh runs it beside the other scripts (it waits, it does not compute):
# mg-background: yes
# mg-timeout: 900
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ECHO=7
MIB=${MG_IMPAIR_MIB:-256}
BYTES=$((MIB << 20))
CLIENT=$MG_IT_DIR/tcp_client.py
PROFILES=${MG_IMPAIR_PROFILES:-loss1 lossy delay corrupt}
CC=${MG_IMPAIR_CC:-}

# The parent of a parallel run: one child per profile, each with its own
# test bed, gateway and log; a signal to the parent goes to the children,
# whose own traps take their test beds down.
if [[ -z ${MG_IMPAIR_CHILD:-} && ${MG_IMPAIR_PARALLEL:-1} == 1 && $PROFILES == *" "* ]]; then
	declare -A CHILD=()
	trap 'kill -TERM "${CHILD[@]}" 2>/dev/null; wait; exit 143' TERM INT
	for p in $PROFILES; do
		MG_IMPAIR_CHILD=1 MG_IMPAIR_PROFILES=$p MG_LOG_DIR=${MG_LOG_DIR:+$MG_LOG_DIR/$p} \
			bash "$0" >"$MG_WORKDIR/$p.out" 2>&1 &
		CHILD[$p]=$!
	done
	bad=0
	for p in $PROFILES; do
		wait "${CHILD[$p]}" || bad=1
		sed "s/^\[$MG_TEST_NAME\]/[$MG_TEST_NAME:$p]/" "$MG_WORKDIR/$p.out"
	done
	trap - TERM INT
	((bad == 0)) || mg_fail "a profile failed (above)"
	rm -rf "$MG_WORKDIR"
	mg_log "PASS"
	exit 0
fi

# limit NAME: the time bound of a profile, in seconds.
limit() {
	local base
	case $1 in
	loss1) base=300 ;;
	lossy) base=600 ;;
	delay) base=700 ;;
	*) base=150 ;;
	esac
	if [[ -n ${MG_IMPAIR_LIMIT:-} ]]; then
		echo "$MG_IMPAIR_LIMIT"
	else
		echo $(((base * MIB + 255) / 256 < 60 ? 60 : (base * MIB + 255) / 256))
	fi
}

mg_setup

run_profile() {
	local name=$1 impair=$2 out t0 LIMIT
	[[ " $PROFILES " == *" $name "* ]] || return 0
	LIMIT=$(limit "$name")
	MG_CONFIG=
	mg_write_config
	sed -i "/^  - { name: client,/s/ }\$/, impair: $impair }/" "$MG_CONFIG"
	grep -qF "impair: $impair" "$MG_CONFIG" || mg_fail "could not add the impair block"
	printf 'tcp:\n  services: { echo: %d }\n' "$ECHO" >>"$MG_CONFIG"
	[[ -z $CC ]] || printf '  congestion_control: %s\n' "$CC" >>"$MG_CONFIG"
	mg_start
	t0=$SECONDS
	out=$(mg_client timeout -k 5 $((LIMIT + 30)) "$MG_PYTHON" "$CLIENT" --deadline "$LIMIT" \
		echo "$MG_ADDR_GW_CLIENT" "$ECHO" "$BYTES") ||
		mg_fail "($name) echo of $MIB MiB: $out"
	mg_stats "$MG_WORKDIR/$name.json"
	mg_log "($name) $out; $("$MG_PYTHON" - "$MG_WORKDIR/$name.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t, n = s["tcp_total"], s["total"]
print("gateway: retransmits %d, rto %d, tlp %d, sack recoveries %d, bad checksums %d; "
      "impairment lost %d, duplicated %d, reordered %d, corrupted %d" % (
      t["retransmits"], t["rto_expired"], t["tlp_probes"], t["sack_recoveries"],
      t["drop_bad_cksum"], n.get("impair_lost", 0), n.get("impair_duplicated", 0),
      n.get("impair_reordered", 0), n.get("impair_corrupted", 0)))
PY
)"
	mg_check "($name) $MIB MiB echoed intact within ${LIMIT}s ($((SECONDS - t0))s)" \
		test $((SECONDS - t0)) -le "$LIMIT"
	mg_check "($name) the impairment happened and TCP recovered from it" \
		"$MG_PYTHON" - "$MG_WORKDIR/$name.json" "$name" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t, n, name = s["tcp_total"], s["total"], sys.argv[2]
ok = t["retransmits"] > 0 and n.get("impair_lost", 0) + n.get("impair_corrupted", 0) > 0
if name == "lossy":
    ok = ok and n["impair_reordered"] > 0 and n["impair_duplicated"] > 0 and t["sack_recoveries"] > 0
if name == "corrupt":
    ok = ok and t["drop_bad_cksum"] > 0
sys.exit(0 if ok else 1)
PY
	mg_stop_gw
}

run_profile loss1 "{ seed: 11, rx: { loss: 1% }, tx: { loss: 1% } }"
run_profile lossy "{ seed: 12, rx: { loss: 5%, reorder: 25%, duplicate: 1% }, tx: { loss: 5%, reorder: 25%, duplicate: 1% } }"
run_profile delay "{ seed: 13, rx: { loss: 0.5% }, tx: { delay: 20ms, loss: 0.5% } }"
run_profile corrupt "{ seed: 14, rx: { corrupt: 0.1% }, tx: { corrupt: 0.1% } }"
mg_log "PASS"
