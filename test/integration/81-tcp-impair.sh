#!/usr/bin/env bash
# 81-tcp-impair: bulk transfer through the echo service under the four
# impairment profiles of issue 3, built into the gateway's port layer (the
# kernel here has no netem): the seeded stage on the client interface
# impairs what the gateway receives (rx) and sends (tx), so both TCP stacks
# see it.  Each profile echoes MG_IMPAIR_MIB MiB (default 8) with sha256
# compared end to end, within a time bound, on a fresh gateway:
#   (a) 1% loss each way;
#   (b) 5% loss, 25% reordering and 1% duplication each way;
#   (c) 20 ms delay on what the gateway sends (a 20 ms round trip) and 0.5%
#       loss each way;
#   (d) 0.1% of frames corrupted (one bit) each way: TCP checksums catch them.
# The size is a parameter because the time depends on the profile's loss
# recovery, not on the size alone (BENCHMARKS.md has 256 MiB figures).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ECHO=7
MIB=${MG_IMPAIR_MIB:-8}
BYTES=$((MIB << 20))
LIMIT=${MG_IMPAIR_LIMIT:-300}
CLIENT=$MG_IT_DIR/tcp_client.py
PROFILES=${MG_IMPAIR_PROFILES:-loss1 lossy delay corrupt}

mg_setup

run_profile() {
	local name=$1 impair=$2 out t0
	[[ " $PROFILES " == *" $name "* ]] || return 0
	MG_CONFIG=
	mg_write_config
	sed -i "/^  - { name: client,/s/ }\$/, impair: $impair }/" "$MG_CONFIG"
	grep -qF "impair: $impair" "$MG_CONFIG" || mg_fail "could not add the impair block"
	printf 'tcp:\n  services: { echo: %d }\n' "$ECHO" >>"$MG_CONFIG"
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
	mg_stop_gw
}

run_profile loss1 "{ seed: 11, rx: { loss: 1% }, tx: { loss: 1% } }"
run_profile lossy "{ seed: 12, rx: { loss: 5%, reorder: 25%, duplicate: 1% }, tx: { loss: 5%, reorder: 25%, duplicate: 1% } }"
run_profile delay "{ seed: 13, rx: { loss: 0.5% }, tx: { delay: 20ms, loss: 0.5% } }"
run_profile corrupt "{ seed: 14, rx: { corrupt: 0.1% }, tx: { corrupt: 0.1% } }"
mg_log "PASS"
