#!/usr/bin/env bash
# 60-idle: an idle gateway in `idle: adaptive` mode uses under 10% of a core.
# CPU use is measured from /proc/PID/stat (utime+stime over 5 s).  For
# contrast (and to show the measurement sees a spinning worker) the same is
# measured with `idle: busy`, which must use at least half a core.
# It measures CPU use: tools/test.sh runs it before anything else starts.
# mg-quiet: yes
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

WINDOW=${MG_IDLE_WINDOW:-5}

# cpu_ticks PID: utime+stime of a process, in clock ticks.  Fields are counted
# after the ")" that ends the command name (which may contain spaces).
cpu_ticks() {
	local rest
	rest=$(sed 's/^.*) //' "/proc/$1/stat")
	awk '{print $12 + $13}' <<<"$rest"
}

# measure: print the gateway's CPU use over WINDOW seconds, in % of one core.
measure() {
	local hz a b t0 t1
	hz=$(getconf CLK_TCK)
	a=$(cpu_ticks "$MG_PID")
	t0=$(date +%s.%N)
	sleep "$WINDOW"
	b=$(cpu_ticks "$MG_PID")
	t1=$(date +%s.%N)
	awk -v a="$a" -v b="$b" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.1f", 100 * (b - a) / hz / (t1 - t0) }'
}

mg_setup
mg_write_config idle=adaptive
mg_start
sleep 2 # let start-up (gratuitous ARP, next-hop resolution) finish
pct=$(measure)
mg_log "idle: adaptive — CPU use over ${WINDOW}s: ${pct}% of one core"
mg_check "adaptive idle uses < 10% of a core (${pct}%)" awk -v p="$pct" 'BEGIN { exit !(p < 10) }'
mg_stop_gw TERM 5 || mg_fail "gateway did not stop"

mg_write_config idle=busy
mg_start
sleep 1
pct_busy=$(measure)
mg_log "idle: busy — CPU use over ${WINDOW}s: ${pct_busy}% of one core"
mg_check "busy polling uses >= 50% of a core (${pct_busy}%), so the measurement sees a spinning worker" \
	awk -v p="$pct_busy" 'BEGIN { exit !(p >= 50) }'
mg_log "PASS (adaptive ${pct}%, busy ${pct_busy}%)"
