#!/usr/bin/env bash
# 93-gw-ads: the gateway's configuration from ADS, end to end.  The bootstrap
# has only dynamic_resources (plus the static "xds" cluster naming the
# controller); a python3-grpcio ADS server (ads_server.py) in the gateway's
# namespace on 127.0.0.1:15010 serves an HTTP listener, its RDS route
# configuration and an EDS cluster pointing at the upstream test host.
# Checked:
#   the gateway is ready (admin up) before any configuration; it subscribes
#   CDS, EDS, LDS, RDS and ACKs each with the version and nonce the server
#   sent (asserted from the server's log); curl through it reaches the
#   upstream; /ads and /config_dump show the live versions;
#   a route naming an unknown cluster is NACKed (old version, the new nonce,
#   INVALID_ARGUMENT with the path to the field) and traffic still flows;
#   the server killed: traffic unaffected; restarted: the gateway reconnects
#   (bounded wait) and re-subscribes with its ACKed versions and the node;
#   meshgatectl proxy-config shows the dynamic listener, clusters, RDS routes
#   and EDS endpoints; servers speaking garbage, sending a message that is not
#   a DiscoveryResponse or one of 17 MiB: dropped and counted, traffic flows;
#   then a second gateway with a static listener too: served from the start,
#   the ADS configuration ACKed and one snapshot of both applied.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

UP=198.18.2.1
ADS_PORT=15010
SERVER_PID=
ADS_PID=
GEN=$MG_WORKDIR/gen

# stop_pid VAR: stop the process whose PID VAR holds (SERVER_PID, ADS_PID), if any.
stop_pid() {
	local pid=${!1}
	if [[ -n "$pid" ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		printf -v "$1" '%s' ''
	fi
}

ads_cleanup() {
	local rc=$?
	set +e
	stop_pid ADS_PID
	stop_pid SERVER_PID
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap ads_cleanup EXIT

# The Python message modules for the server, from proto/ (no grpc_tools needed).
mkdir -p "$GEN"
mapfile -t protos < <(cd "$MG_ROOT/proto" && find . -name '*.proto' | sed 's|^\./||')
(cd "$MG_ROOT/proto" && protoc --python_out="$GEN" -I . -I /usr/include "${protos[@]}") ||
	mg_fail "protoc --python_out failed"

mg_write_config "ads=gw-93:$ADS_PORT"
cp "$MG_CONFIG" "$MG_WORKDIR/meshgate.yaml.ads" # reused with static listeners below
# No server yet: the gateway must still start and answer /ready.
mg_start
mg_check "/ads: not initialized before any server" \
	"$MG_PYTHON" -c 'import json,sys; d=json.load(sys.stdin); assert d["initialized"] is False, d' \
	< <(mg_http /ads)

: >"$MG_WORKDIR/up.out"
ip netns exec "$MG_NS_UP" timeout -k 5 300 "$MG_PYTHON" "$MG_IT_DIR/http_upstream.py" \
	--deadline 280 "$UP:8081=v1" >"$MG_WORKDIR/up.out" 2>"$MG_WORKDIR/up.err" &
# shellcheck disable=SC2034 # read by stop_pid through ${!1}
SERVER_PID=$!

# start_ads LOG [--evil MODE]: the ADS server in the gateway's namespace, waited for.
start_ads() {
	local log=$1
	shift
	: >"$MG_WORKDIR/ads.out"
	# No timeout(1) wrapper: SIGUSR1 must reach the server (it has --deadline).
	ip netns exec "$MG_NS_GW" "$MG_PYTHON" "$MG_IT_DIR/ads_server.py" \
		--gen "$GEN" --listen "127.0.0.1:$ADS_PORT" --upstream "$UP:8081" --log "$log" \
		--deadline 270 "$@" >"$MG_WORKDIR/ads.out" 2>>"$MG_WORKDIR/ads.err" &
	ADS_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q listening "$MG_WORKDIR/ads.out" && return 0
		sleep 0.1
	done
	mg_fail "the ADS server did not start: $(cat "$MG_WORKDIR/ads.err")"
}

# wait_log LOG SECONDS PYTHON-CONDITION: until the condition over the server's
# log (events: list of dicts) holds; prints the last failure otherwise.
wait_log() {
	local log=$1 cond=$3 deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		if "$MG_PYTHON" - "$log" "$cond" 2>/dev/null <<'PY'; then
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
recv = [e for e in ev if e["ev"] == "recv"]
sent = [e for e in ev if e["ev"] == "send"]
def acked(t, v):
    """a request ACKing the response that sent version v of type t (its nonce)"""
    nonces = {e["nonce"] for e in sent if e["type"] == t and e["version"] == v}
    return any(r["type"] == t and r["version"] == v and r["nonce"] in nonces and not r["error"] for r in recv)
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
			return 0
		fi
		sleep 0.2
	done
	mg_log "server log: $(tail -n 20 "$log")"
	return 1
}

# curl_up: one request through the gateway's dynamic listener; prints the code.
curl_up() {
	mg_client curl -sS --max-time 3 -o "$MG_WORKDIR/curl.body" -w '%{http_code}' \
		"http://$MG_ADDR_GW_CLIENT:8080/hello" 2>/dev/null || true
}

for ((i = 0; i < 50; i++)); do
	grep -q listening "$MG_WORKDIR/up.out" && break
	sleep 0.1
done
grep -q listening "$MG_WORKDIR/up.out" || mg_fail "the upstream did not start: $(cat "$MG_WORKDIR/up.err")"

LOG1=$MG_WORKDIR/ads1.jsonl
start_ads "$LOG1"
mg_check "the gateway subscribed and ACKed CDS, EDS, LDS and RDS version 1 (version and nonce echoed)" \
	wait_log "$LOG1" 20 'all(acked(t, "1") for t in ("cds", "eds", "lds", "rds"))'
mg_check "node id in the first request, only there; EDS names web-svc, RDS names web-routes" \
	wait_log "$LOG1" 5 'recv[0]["node"] == "gw-93" and recv[0]["type"] == "cds" and all(r["node"] == "" for r in recv[1:]) and any(r["type"] == "eds" and r["names"] == ["web-svc"] for r in recv) and any(r["type"] == "rds" and r["names"] == ["web-routes"] for r in recv)'

# The workers take the first snapshot ever published: this one.
code=
for ((i = 0; i < 50; i++)); do
	code=$(curl_up)
	[[ $code == 200 ]] && break
	sleep 0.2
done
mg_check "curl through the ADS listener reaches the upstream (got $code)" test "$code" = 200
mg_check "the answer came from the upstream v1" grep -q '"server": *"v1"' "$MG_WORKDIR/curl.body"

mg_http /ads >"$MG_WORKDIR/ads1.json" || mg_fail "GET /ads failed"
mg_check "/ads: streaming, initialized, versions 1, no NACK" "$MG_PYTHON" - "$MG_WORKDIR/ads1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "streaming" and d["initialized"] is True, d
for t in ("cds", "eds", "lds", "rds"):
    assert d["types"][t]["acked_version"] == "1" and d["types"][t]["live_version"] == "1", (t, d["types"][t])
assert d["counters"]["nacks"] == 0 and d["counters"]["snapshots"] == 1, d["counters"]
PY
mg_http /config_dump >"$MG_WORKDIR/dump1.json" || mg_fail "GET /config_dump failed"
mg_check "/config_dump: dynamic listener, cluster, route and endpoints with version_info 1" \
	"$MG_PYTHON" - "$MG_WORKDIR/dump1.json" <<'PY'
import json, sys
c = {x["@type"].rsplit(".", 1)[1]: x for x in json.load(open(sys.argv[1]))["configs"]}
l = c["ListenersConfigDump"]["dynamic_listeners"]
assert [x["name"] for x in l] == ["http"] and l[0]["active_state"]["version_info"] == "1", l
assert l[0]["active_state"]["listener"]["name"] == "http" and l[0]["active_state"]["last_updated"].endswith("Z")
cl = c["ClustersConfigDump"]
assert cl["version_info"] == "1" and [x["cluster"]["name"] for x in cl["dynamic_active_clusters"]] == ["web"], cl
assert [x["cluster"]["name"] for x in cl["static_clusters"]] == ["xds"], cl
assert c["RoutesConfigDump"]["dynamic_route_configs"][0]["route_config"]["name"] == "web-routes"
assert c["EndpointsConfigDump"]["dynamic_endpoint_configs"][0]["endpoint_config"]["cluster_name"] == "web-svc"
PY

# An invalid route configuration: NACKed, nothing changes.
kill -USR1 "$ADS_PID"
mg_check "the route naming an unknown cluster is NACKed: version 1 kept, the new nonce, INVALID_ARGUMENT, the field" \
	wait_log "$LOG1" 10 'any(r["type"] == "rds" and r["version"] == "1" and r["code"] == 3 and "route.cluster: unknown cluster \"nope\"" in r["error"] and r["nonce"] in {e["nonce"] for e in sent if e["type"] == "rds" and e["version"] == "2"} for r in recv)'
code=$(curl_up)
mg_check "traffic still flows on the old config after the NACK (got $code)" test "$code" = 200
mg_check "/ads: the NACK counted, with its error" "$MG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
r = d["types"]["rds"]
assert d["counters"]["nacks"] == 1 and r["nacks"] == 1 and "unknown cluster" in r["last_nack_error"], d
assert r["acked_version"] == "1" and r["live_version"] == "1", r' < <(mg_http /ads)

# The server goes away: the gateway keeps serving, then reconnects.
stop_pid ADS_PID
for ((i = 0; i < 5; i++)); do
	code=$(curl_up)
	[[ $code == 200 ]] || mg_fail "request $i failed with the ADS server down (got $code)"
done
mg_log "ok: traffic unaffected with the ADS server down"
mg_check "/ads: not streaming with the server down" "$MG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["state"] in ("backoff", "connecting") and d["counters"]["disconnects"] >= 1, d' < <(mg_http /ads)
LOG2=$MG_WORKDIR/ads2.jsonl
start_ads "$LOG2"
mg_check "the gateway reconnected and re-subscribed with its ACKed versions, no old nonce, and the node (within 20 s)" \
	wait_log "$LOG2" 20 'recv and recv[0]["node"] == "gw-93" and all(any(r["type"] == t and r["version"] == "1" and r["nonce"] == "" and not r["error"] for r in recv) for t in ("cds", "eds", "lds", "rds")) and any(r["type"] == "eds" and r["names"] == ["web-svc"] for r in recv)'
sleep 0.5 # a resend would follow its request at once: give it the time to show
mg_check "the restarted server, having version 1 everywhere, had nothing to resend" \
	wait_log "$LOG2" 1 'not sent'
code=$(curl_up)
mg_check "traffic flows after the reconnect (got $code)" test "$code" = 200
mg_check "/ads: streaming again, two connects" "$MG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["state"] == "streaming" and d["counters"]["connects"] >= 2, d' < <(mg_http /ads)

CTL=$MG_ROOT/build/app/meshgatectl/meshgatectl
for kind in listeners routes clusters endpoints; do
	mg_gw "$CTL" proxy-config "$kind" --admin "127.0.0.1:$MG_ADMIN_PORT" >"$MG_WORKDIR/pc-$kind.txt" ||
		mg_fail "meshgatectl proxy-config $kind failed"
done
mg_check "proxy-config listeners: the ADS listener by RDS" \
	grep -qE '^http +0\.0\.0\.0 +8080 +HTTP +Route: web-routes$' "$MG_WORKDIR/pc-listeners.txt"
mg_check "proxy-config clusters: the static xds and the EDS web with 1 endpoint" \
	grep -qE '^web +EDS +ROUND_ROBIN +1$' "$MG_WORKDIR/pc-clusters.txt"
grep -qE '^xds +STATIC ' "$MG_WORKDIR/pc-clusters.txt" || mg_fail "proxy-config clusters: $(cat "$MG_WORKDIR/pc-clusters.txt")"
mg_check "proxy-config endpoints: web's EDS endpoint" \
	grep -qE "^$UP:8081 +1 +web\$" "$MG_WORKDIR/pc-endpoints.txt"
mg_check "proxy-config routes: the RDS route configuration" \
	grep -qE '^web-routes +all +\* +/\* +web$' "$MG_WORKDIR/pc-routes.txt"

# Servers speaking nonsense: counted, the connection dropped, the config kept.
for mode in garbage badmsg huge; do
	stop_pid ADS_PID
	before=$(mg_http /ads | "$MG_PYTHON" -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(c["bad_messages"] + c["disconnects"] + c["connect_fail"])')
	start_ads "$MG_WORKDIR/evil-$mode.jsonl" --evil "$mode"
	ok=0
	for ((i = 0; i < 100; i++)); do
		now=$(mg_http /ads | "$MG_PYTHON" -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(c["bad_messages"] + c["disconnects"] + c["connect_fail"])')
		if ((now > before)) && [[ -s "$MG_WORKDIR/evil-$mode.jsonl" ]]; then
			ok=1
			break
		fi
		sleep 0.2
	done
	((ok)) || mg_fail "a $mode server: the gateway did not drop the connection"
	mg_alive || mg_fail "the gateway died on a $mode server"
	code=$(curl_up)
	mg_check "a $mode server: the connection dropped, counted, traffic still flows (got $code)" test "$code" = 200
done
mg_check "/ads: the bad messages were counted" "$MG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["counters"]["bad_messages"] >= 2 and d["state"] != "streaming", d
assert d["types"]["cds"]["live_version"] == "1", d' < <(mg_http /ads)

stop_pid ADS_PID
mg_alive || mg_fail "the gateway died"
mg_stop_gw

# Static listeners and dynamic_resources together: the static ones are served
# from the start; the ADS snapshot (static + dynamic) is ACKed and published.
# Workers serve the first snapshot only until live replacement lands, so what
# port 8080 answers is not checked here.
mg_write_config
sed -n '/^node:/,$p' "$MG_WORKDIR/meshgate.yaml.ads" >>"$MG_CONFIG"
cat >>"$MG_CONFIG" <<EOF
  listeners:
  - name: static-health
    address: {socket_address: {address: 0.0.0.0, port_value: 9090}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: health
          route_config:
            virtual_hosts:
            - name: health
              domains: ["*"]
              routes: [{match: {prefix: /}, direct_response: {status: 200, body: {inline_string: "static\n"}}}]
          http_filters: [{name: envoy.filters.http.router, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]
EOF
mg_start
code=$(mg_client curl -sS --max-time 3 -o /dev/null -w '%{http_code}' "http://$MG_ADDR_GW_CLIENT:9090/" || true)
mg_check "static and dynamic: the static listener serves before any ADS answer (got $code)" test "$code" = 200
LOG3=$MG_WORKDIR/ads3.jsonl
start_ads "$LOG3"
mg_check "static and dynamic: CDS, EDS, LDS, RDS ACKed" \
	wait_log "$LOG3" 20 'all(acked(t, "1") for t in ("cds", "eds", "lds", "rds"))'
mg_check "static and dynamic: one snapshot of both compiled and applied" "$MG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["initialized"] is True and d["counters"]["snapshots"] == 1 and d["counters"]["nacks"] == 0, d' < <(mg_http /ads)
code=$(mg_client curl -sS --max-time 3 -o /dev/null -w '%{http_code}' "http://$MG_ADDR_GW_CLIENT:9090/" || true)
mg_check "static and dynamic: the static listener still serves (got $code)" test "$code" = 200
stop_pid ADS_PID
stop_pid SERVER_PID
mg_alive || mg_fail "the gateway died"
mg_stop_gw
mg_log "PASS"
