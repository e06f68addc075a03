#!/usr/bin/env bash
# 20-arp: the gateway answers ARP for its addresses and resolves its next hop
# by ARP.
#  - at start it announces itself: arp_gratuitous_tx >= 2 (one per interface);
#  - within a few seconds GET /neighbors lists the upstream next hop
#    (198.18.1.2) at the upstream veth's MAC, REACHABLE; arp_request_tx >= 1;
#    and the upstream namespace learned 198.18.1.1 at the gateway's MAC;
#  - after a ping, the client's neighbour table has 198.18.0.1 at the
#    gateway's MAC; `arping` gets replies from that MAC; a scapy who-has gets
#    a reply whose hwsrc is the gateway's MAC; a who-has for an address that
#    is not the gateway's gets no reply and counts as arp_target_other.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lc() { tr '[:upper:]' '[:lower:]'; }

mg_setup
mg_start

# --- next-hop resolution on the upstream side -------------------------------
mg_log "waiting up to 5 s for the gateway to resolve $MG_ADDR_UP by ARP"
found=
for _ in $(seq 1 25); do
	mg_http /neighbors >"$MG_WORKDIR/neighbors.json" || mg_fail "GET /neighbors failed"
	found=$("$MG_PYTHON" - "$MG_WORKDIR/neighbors.json" "$MG_ADDR_UP" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for n in d["neighbors"]:
    if n["address"] == sys.argv[2]:
        print("%s %s %s" % (n["mac"].lower(), n["state"], n.get("interface", "")))
PY
)
	[[ "$found" == *REACHABLE* ]] && break
	sleep 0.2
done
mg_log "/neighbors entry for $MG_ADDR_UP: ${found:-none}"
mg_check "/neighbors has $MG_ADDR_UP at $MG_MAC_UP" test "${found%% *}" == "$(lc <<<"$MG_MAC_UP")"
mg_check "... in state REACHABLE" grep -q ' REACHABLE' <<<"$found"
mg_check "... on interface upstream" grep -q ' upstream$' <<<"$found"

mg_stats "$MG_WORKDIR/s1.json"
n=$(mg_counter "$MG_WORKDIR/s1.json" arp_request_tx)
mg_log "arp_request_tx = $n"
mg_check "arp_request_tx >= 1" test "$n" -ge 1
n=$(mg_counter "$MG_WORKDIR/s1.json" arp_gratuitous_tx)
mg_log "arp_gratuitous_tx = $n"
mg_check "arp_gratuitous_tx >= 2 (one per interface)" test "$n" -ge 2

up_neigh=$(mg_upstream ip neigh show "$MG_ADDR_GW_UP" dev "$MG_IF_UP")
mg_log "upstream: ip neigh show $MG_ADDR_GW_UP: ${up_neigh:-none}"
mg_check "upstream learned $MG_ADDR_GW_UP at $MG_MAC_GW_UP" \
	grep -qi "lladdr $MG_MAC_GW_UP" <<<"$up_neigh"

# --- answering ARP on the client side ----------------------------------------
got=$(mg_ping "$MG_NS_CLIENT" "$MG_ADDR_GW_CLIENT" 3 -i 0.2 -W 1)
mg_check "ping 3/3 (got ${got:-0})" test "${got:-0}" -eq 3
cl_neigh=$(mg_client ip neigh show "$MG_ADDR_GW_CLIENT" dev "$MG_IF_CLIENT")
mg_log "client: ip neigh show $MG_ADDR_GW_CLIENT: ${cl_neigh:-none}"
mg_check "client resolved $MG_ADDR_GW_CLIENT to $MG_MAC_GW_CLIENT" \
	grep -qi "lladdr $MG_MAC_GW_CLIENT" <<<"$cl_neigh"

mg_stats "$MG_WORKDIR/s2.json"
if command -v arping >/dev/null; then
	out=$(mg_client arping -c 3 -w 5 -I "$MG_IF_CLIENT" "$MG_ADDR_GW_CLIENT" 2>&1 || true)
	echo "$out" >"$MG_WORKDIR/arping.log"
	replies=$(grep -ci "reply from $MG_ADDR_GW_CLIENT \[$MG_MAC_GW_CLIENT\]" <<<"$out" || true)
	mg_log "arping: $replies/3 replies from $MG_MAC_GW_CLIENT"
	mg_check "arping got 3 replies from the gateway's MAC" test "$replies" -eq 3
else
	mg_log "arping not installed (iputils-arping); relying on the scapy check below"
fi

mg_log "scapy: who-has $MG_ADDR_GW_CLIENT (ours) and who-has 198.18.0.99 (not ours)"
res=$(mg_client "$MG_PYTHON" - "$MG_IF_CLIENT" "$MG_MAC_CLIENT" "$MG_ADDR_CLIENT" \
	"$MG_ADDR_GW_CLIENT" <<'PY'
import sys
from scapy.all import ARP, Ether, conf, srp
iface, mymac, myip, gwip = sys.argv[1:5]
conf.verb = 0
def ask(ip):
    p = Ether(src=mymac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mymac, psrc=myip, pdst=ip)
    ans, _ = srp(p, iface=iface, timeout=1, retry=2)
    return [r.hwsrc for _, r in ans if r.haslayer(ARP) and r[ARP].op == 2 and r[ARP].psrc == ip]
print(",".join(ask(gwip)) or "none", ",".join(ask("198.18.0.99")) or "none")
PY
)
mg_log "scapy replies: ours=${res%% *} other=${res##* }"
mg_check "scapy who-has got a reply with hwsrc $MG_MAC_GW_CLIENT" \
	test "$(lc <<<"${res%% *}" | cut -d, -f1)" == "$(lc <<<"$MG_MAC_GW_CLIENT")"
mg_check "no reply for 198.18.0.99" test "${res##* }" == none

mg_settle 5
mg_stats "$MG_WORKDIR/s3.json"
a=$(mg_counter "$MG_WORKDIR/s2.json" arp_reply_tx)
b=$(mg_counter "$MG_WORKDIR/s3.json" arp_reply_tx)
mg_log "arp_reply_tx: $a -> $b"
mg_check "arp_reply_tx grew by >= 1" test $((b - a)) -ge 1
a=$(mg_counter "$MG_WORKDIR/s2.json" drop_arp_target_other)
b=$(mg_counter "$MG_WORKDIR/s3.json" drop_arp_target_other)
mg_log "drop arp_target_other: $a -> $b"
mg_check "the who-has for 198.18.0.99 was dropped as arp_target_other" test $((b - a)) -ge 1
mg_check "gateway still running" mg_alive
mg_log PASS
