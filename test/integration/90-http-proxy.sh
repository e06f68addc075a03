#!/usr/bin/env bash
# 90-http-proxy: the L7 gateway end to end.  The bootstrap's static_resources
# (an HTTP listener with inline routes, a TCP proxy listener, three clusters)
# are served by one worker; python3 HTTP servers in the upstream namespace
# (test/integration/http_upstream.py, on 198.18.2.1) are the versions v1 and
# v2; the client is python3 (http_client.py) and curl in the client
# namespace.  Checked (details in http_client.py):
#   direct response; redirect; x-canary header to v2; a 90/10 weighted split
#   over 2,000 keep-alive requests (v2 within 7-13%); prefix rewrite; Host
#   rewrite; x-forwarded-for/-proto and x-request-id; request header edits;
#   1 MiB POST with Content-Length and 256 KiB chunked, echoed intact;
#   chunked and close-delimited responses; pipelining; 404 (no virtual
#   host), 502 (nothing listening), 504 (route timeout), 400 for CL+TE
#   (connection closed, never forwarded); HEAD; the TCP proxy listener;
#   then the proxy's counters agree and no client connection is left.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

UP=198.18.2.1
SERVER_PID=

stop_server() {
	if [[ -n "$SERVER_PID" ]]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

http_cleanup() {
	local rc=$?
	set +e
	stop_server
	(exit "$rc")
	mg_cleanup
}

mg_setup
trap http_cleanup EXIT

# Two workers by default (MG_HTTP_WORKERS=1 for one): client connections land
# on either, and each worker's upstream connections must come back to it.
WORKERS=${MG_HTTP_WORKERS:-2}
if ((WORKERS > 1)); then
	mg_write_config "workers=$WORKERS" "lcores=$(seq -s, 0 "$WORKERS" |
		sed -E 's/([0-9]+)/\1@\1/g; s/@([0-9]+)/@0/3g')"
else
	mg_write_config
fi
cat >>"$MG_CONFIG" <<EOF
static_resources:
  listeners:
$(mg_hcm_listener web 8080)
          use_remote_address: true
          via: meshgate-test
          always_set_request_id_in_response: true
          upgrade_configs: [{upgrade_type: websocket}]
          route_config:
            name: web
            request_headers_to_add: [{header: {key: x-gateway, value: meshgate}}]
            response_headers_to_add: [{header: {key: x-served-by, value: meshgate}}]
            virtual_hosts:
            - name: shop
              domains: ["shop.example", "shop.example:8080"]
              response_headers_to_remove: [date]
              routes:
              - match: {path: /health}
                direct_response: {status: 200, body: {inline_string: "ok\n"}}
              - match: {prefix: /old}
                redirect: {path_redirect: /new, response_code: FOUND}
              - match: {prefix: /, headers: [{name: x-canary, string_match: {exact: "yes"}}]}
                route: {cluster: v2}
              - match: {prefix: /slow}
                route: {cluster: v1, timeout: 0.5s}
              - match: {prefix: /dead}
                route: {cluster: dead}
              - match: {prefix: /blackhole}
                route: {cluster: blackhole}
              - match: {prefix: /linger}
                route: {cluster: linger}
              - match: {prefix: /api/}
                route: {cluster: v1, prefix_rewrite: /, host_rewrite_literal: backend.internal}
                request_headers_to_remove: [x-secret]
              - match: {prefix: /sticky}
                route: {cluster: both, hash_policy: [{cookie: {name: user}}]}
              - match: {prefix: /hdrhost}
                route: {cluster: v1, host_rewrite_header: x-host}
              - match: {prefix: /ws}
                route: {cluster: v1}
              - name: mirror
                match: {prefix: /mirror/}
                route: {cluster: v1, request_mirror_policies: [{cluster: v2}]}
              - match: {prefix: /mirror-half/}
                route:
                  cluster: v1
                  request_mirror_policies: [{cluster: v2, runtime_fraction: {default_value: {numerator: 50}}}]
              - match: {prefix: /mclose}
                route: {cluster: v1, prefix_rewrite: /close, request_mirror_policies: [{cluster: v2}]}
              - match: {prefix: /mirror-dead/}
                route: {cluster: v1, request_mirror_policies: [{cluster: dead}]}
              - match: {prefix: /_journal/v2}
                route: {cluster: v2, prefix_rewrite: /_journal}
              - match: {prefix: /}
                route:
                  weighted_clusters:
                    clusters: [{name: v1, weight: 90}, {name: v2, weight: 10}]
  - name: db
    address: {socket_address: {address: 0.0.0.0, port_value: 9000}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: db
          cluster: v1
  clusters:
  - name: v1
    connect_timeout: 1s
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $UP, port_value: 8081}}}}]}]}
  - name: v2
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $UP, port_value: 8082}}}}]}]}
  - name: both
    lb_policy: RING_HASH
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $UP, port_value: 8081}}}}, {endpoint: {address: {socket_address: {address: $UP, port_value: 8082}}}}]}]}
  - name: linger
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $UP, port_value: 8081}}}}]}]}
  - name: blackhole
    connect_timeout: 0.25s
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: ${MG_ADDR_UP%.*}.99, port_value: 80}}}}]}]}
  - name: dead
    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $UP, port_value: 8089}}}}]}]}
EOF
mg_start

: >"$MG_WORKDIR/server.out"
ip netns exec "$MG_NS_UP" timeout -k 5 600 "$MG_PYTHON" "$MG_IT_DIR/http_upstream.py" \
	--deadline 580 "$UP:8081=v1" "$UP:8082=v2" \
	>"$MG_WORKDIR/server.out" 2>"$MG_WORKDIR/server.err" &
SERVER_PID=$!
for ((i = 0; i < 50; i++)); do
	grep -q listening "$MG_WORKDIR/server.out" && break
	sleep 0.1
done
grep -q listening "$MG_WORKDIR/server.out" ||
	mg_fail "the upstream servers did not start: $(cat "$MG_WORKDIR/server.err")"

out=$(mg_client timeout -k 5 300 "$MG_PYTHON" "$MG_IT_DIR/http_client.py" \
	"$MG_ADDR_GW_CLIENT" 8080 9000 "$MG_ADDR_CLIENT" 2>&1) || {
	printf '%s\n' "$out" >&2
	mg_fail "http_client.py found a problem (above)"
}
printf '%s\n' "$out" | while read -r line; do mg_log "$line"; done

# curl, a different client: keep-alive reuse across two URLs in one invocation.
code=$(mg_client curl -sS -w '%{http_code} %{num_connects} ' -H 'Host: shop.example:8080' \
	-o /dev/null "http://$MG_ADDR_GW_CLIENT:8080/health" \
	-o /dev/null "http://$MG_ADDR_GW_CLIENT:8080/api/x")
mg_check "curl: two requests on one connection (got: $code)" test "$code" = "200 1 200 0 "

mg_stats "$MG_WORKDIR/stats.json"
read -r total bad noroute cx reused fail timeout c2 c4 c5 mirrored mfail < <("$MG_PYTHON" - "$MG_WORKDIR/stats.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["proxy_total"]
print(p["downstream_rq_total"], p["downstream_rq_bad"], p["downstream_rq_no_route"],
      p["upstream_cx_total"], p["upstream_cx_reused"], p["upstream_cx_connect_fail"],
      p["downstream_rq_timeout"], p["downstream_rq_2xx"], p["downstream_rq_4xx"],
      p["downstream_rq_5xx"], p["upstream_rq_mirrored"], p["upstream_rq_mirror_failed"])
PY
)
mg_log "proxy: requests $total (2xx $c2, 4xx $c4, 5xx $c5), bad $bad, no route $noroute, upstream connections $cx (reused $reused), connect failures $fail, timeouts $timeout, mirrored $mirrored (failed $mfail)"
read -r idle_closed < <("$MG_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["proxy_total"]["upstream_cx_idle_closed"])' "$MG_WORKDIR/stats.json")
mg_check "pooled connections the upstream closed were dropped ($idle_closed)" test "$idle_closed" -ge 3
read -r ctimeout < <("$MG_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["proxy_total"]["upstream_cx_connect_timeout"])' "$MG_WORKDIR/stats.json")
mg_check "the blackholed endpoint's connect timeout counted ($ctimeout)" test "$ctimeout" -eq 1
# 21 + ~200 + 5 + 20 shadow copies were started; the 20 to the dead cluster failed.
mg_check "shadow copies counted ($mirrored)" test "$mirrored" -ge 190
mg_check "shadows to a refused cluster counted as failed, never as client errors ($mfail)" \
	test "$mfail" -ge 20 -a "$mfail" -le 21
mg_check "at least 2,000 requests counted ($total)" test "$total" -ge 2000
mg_check "one bad request counted ($bad)" test "$bad" -eq 1
mg_check "one request without a route counted ($noroute)" test "$noroute" -ge 1
mg_check "upstream connections are reused ($reused of $cx)" test "$reused" -gt "$cx"
mg_check "the refused upstream was counted ($fail)" test "$fail" -ge 1
mg_check "the route timeout was counted ($timeout)" test "$timeout" -eq 1
mg_check "5xx responses counted ($c5: 502 and 504)" test "$c5" -ge 2
mg_http /metrics >"$MG_WORKDIR/metrics.txt" || mg_fail "GET /metrics failed"
grep -q '^meshgate_proxy_downstream_rq_total{worker="0"} ' "$MG_WORKDIR/metrics.txt" ||
	mg_fail "/metrics has no meshgate_proxy_downstream_rq_total"
# Per listener, cluster and endpoint (Envoy's names in /metrics): the scopes
# add up to the totals, endpoints to their cluster.
mg_check "per-scope counters add up" "$MG_PYTHON" - "$MG_WORKDIR/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p, ls, cs = s["proxy_total"], {l["name"]: l for l in s["listeners"]}, {c["name"]: c for c in s["clusters"]}
web, db = ls["web"], ls["db"]
assert web["rq_total"] == p["downstream_rq_total"], (web, p)
for k in ("2xx", "4xx", "5xx"):
    assert web["rq_" + k] == p["downstream_rq_" + k], k
assert web["rq_timeout"] == p["downstream_rq_timeout"] == 1
assert db["cx_total"] >= 1 and db["rq_total"] == 0, db
for c in cs.values():
    for k, v in c.items():
        if isinstance(v, int):
            assert sum(e[k] for e in c["endpoints"]) == v, (c["name"], k)
assert cs["dead"]["cx_connect_fail"] >= 1 and cs["dead"]["rq_5xx"] >= 1, cs["dead"]
assert all(e["rq_total"] > 0 for e in cs["both"]["endpoints"]), cs["both"]
assert cs["v2"]["rq_2xx"] > 0 and cs["v1"]["rq_total"] > cs["v2"]["rq_total"]
rs = s["routes"]
assert sum(r["rq_total"] for r in rs) == web["rq_total"] - 1, "every request but the unrouted one"
m = [r for r in rs if r["name"] == "mirror"]
assert len(m) == 1 and m[0]["rq_total"] == 21 and m[0]["rq_2xx"] == 21, m
assert m[0]["bytes_in"] == 64 * 1024 and m[0]["bytes_out"] > 64 * 1024, m
assert cs["v1"]["cx_reused"] > 1000 and cs["v1"]["bytes_in"] >= (1 << 20), cs["v1"]
assert web["bytes_in"] == p["bytes_in"] and web["bytes_out"] == p["bytes_out"], (web, p)
print("listeners", {n: l["rq_total"] for n, l in ls.items()},
      "clusters", {n: c["rq_total"] for n, c in cs.items()})
PY
for want in 'envoy_http_downstream_rq_xx_total{envoy_response_code_class="2",envoy_http_conn_manager_prefix="web"}' \
	'envoy_cluster_upstream_rq_total{envoy_cluster_name="v1"}' \
	'meshgate_route_rq_xx_total{envoy_response_code_class="2",route_config="web",virtual_host="shop",route="mirror"}' \
	'envoy_cluster_upstream_cx_connect_fail_total{envoy_cluster_name="dead"}' \
	'envoy_listener_downstream_cx_total{envoy_listener_address="0.0.0.0_9000"}' \
	"meshgate_endpoint_upstream_rq_total{envoy_cluster_name=\"both\",endpoint=\"$UP:8082\"}"; do
	grep -qF "$want " "$MG_WORKDIR/metrics.txt" || mg_fail "/metrics has no $want"
done
# GET /config_dump: Envoy's ConfigDump of what is served.
mg_http /config_dump >"$MG_WORKDIR/config_dump.json" || mg_fail "GET /config_dump failed"
mg_check "/config_dump shows the served listeners and clusters as Envoy's ConfigDump" \
	"$MG_PYTHON" - "$MG_WORKDIR/config_dump.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["configs"]
t = "type.googleapis.com/"
assert [c["@type"] for c in d] == [t + "envoy.admin.v3.ListenersConfigDump",
                                   t + "envoy.admin.v3.ClustersConfigDump",
                                   t + "envoy.admin.v3.RoutesConfigDump"], d
ls = {l["listener"]["name"]: l["listener"] for l in d[0]["static_listeners"]}
assert set(ls) == {"web", "db"} and all(l["@type"] == t + "envoy.config.listener.v3.Listener" for l in ls.values())
hcm = ls["web"]["filter_chains"][0]["filters"][0]["typed_config"]
assert hcm["@type"].endswith("HttpConnectionManager") and hcm["upgrade_configs"][0]["upgrade_type"] == "websocket", hcm
cs = {c["cluster"]["name"] for c in d[1]["static_clusters"]}
assert cs == {"v1", "v2", "both", "dead", "blackhole", "linger"}, cs
assert d[0]["version_info"] == d[1]["version_info"] != ""
PY
mg_check "/config_dump?resource=clusters keeps the clusters" test \
	"$(mg_http '/config_dump?resource=clusters' | "$MG_PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["configs"]))')" = 1
mg_check "/config_dump?resource=nope is a 400" test "$(mg_http_code '/config_dump?resource=nope')" = 400
# meshgatectl proxy-config reads the same dump (as istioctl proxy-config).
CTL=$(dirname "$MG_BIN")/../meshgatectl/meshgatectl
[[ -x $CTL ]] || CTL=$MG_ROOT/build/app/meshgatectl/meshgatectl
for kind in listeners routes clusters endpoints; do
	mg_gw "$CTL" proxy-config "$kind" --admin "127.0.0.1:$MG_ADMIN_PORT" >"$MG_WORKDIR/pc-$kind.txt" ||
		mg_fail "meshgatectl proxy-config $kind failed"
done
mg_check "proxy-config listeners: web (HTTP, inline routes) and db (TCP to v1)" \
	grep -qE '^web +0\.0\.0\.0 +8080 +HTTP +Route: web \(inline\)$' "$MG_WORKDIR/pc-listeners.txt"
grep -qE '^db +0\.0\.0\.0 +9000 +TCP +Cluster: v1$' "$MG_WORKDIR/pc-listeners.txt" ||
	mg_fail "proxy-config listeners: $(cat "$MG_WORKDIR/pc-listeners.txt")"
mg_check "proxy-config clusters: both is RING_HASH with 2 endpoints" \
	grep -qE '^both +STATIC +RING_HASH +2$' "$MG_WORKDIR/pc-clusters.txt"
mg_check "proxy-config endpoints: v2 at $MG_ADDR_SERVICE:8082" \
	grep -qE "^$MG_ADDR_SERVICE:8082 +1 +v2\$" "$MG_WORKDIR/pc-endpoints.txt"
mg_check "proxy-config routes: the 90/10 split" \
	grep -qE 'shop +shop\.example,shop\.example:8080 +/\* +v1 90%, v2 10%$' "$MG_WORKDIR/pc-routes.txt"
mg_check "proxy-config routes: the canary header route and the redirect" \
	grep -qE ' +/\* \+headers +v2$' "$MG_WORKDIR/pc-routes.txt"
grep -qE ' +/old\* +redirect$' "$MG_WORKDIR/pc-routes.txt" ||
	mg_fail "proxy-config routes: $(cat "$MG_WORKDIR/pc-routes.txt")"
mg_check "proxy-config against no gateway fails (exit 1)" \
	test "$(mg_gw "$CTL" proxy-config clusters --admin 127.0.0.1:1 >/dev/null 2>&1; echo $?)" = 1
if command -v promtool >/dev/null; then
	mg_check "promtool accepts /metrics" promtool check metrics <"$MG_WORKDIR/metrics.txt"
fi

stop_server
mg_stop_gw
mg_log "PASS"
