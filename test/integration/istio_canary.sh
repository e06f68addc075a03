# test/integration/istio_canary.sh — the Istio configuration of a canary
# front door, for the controller's tests (92, 95) and tools/demo.sh, which
# source it.
#
#   ic_service DIR V1_ADDR V2_ADDR [V1_PORT V2_PORT]
#       DIR/00-canary.yaml: a Gateway "edge" (HTTP on 8080, any host), a
#       ServiceEntry web.shop.internal (port 80, "http") whose endpoints are
#       V1_ADDR (label version=v1) and V2_ADDR (version=v2), each on its own
#       port when given, and a DestinationRule with subsets v1 and v2
#   ic_split DIR W1 W2 [HOSTS]
#       DIR/10-web.yaml: the VirtualService "web" bound to "edge" for HOSTS
#       (default "*"): requests with `x-canary: v2` to v2, the rest split
#       W1/W2 between v1 and v2 (route "split").  Written whole and renamed
#       into place, so the controller's watcher never reads half a file.
# shellcheck shell=bash

ic_service() {
	local dir=$1 a1=$2 a2=$3 p1=${4:-} p2=${5:-}
	mkdir -p "$dir"
	cat >"$dir/00-canary.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  selector: {app: meshgate}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.shop.internal]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints:
  - {address: $a1, labels: {version: v1}${p1:+, ports: {http: $p1\}}}
  - {address: $a2, labels: {version: v2}${p2:+, ports: {http: $p2\}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: shop}
spec:
  host: web.shop.internal
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
YAML
}

ic_split() {
	local dir=$1 w1=$2 w2=$3 hosts=${4:-'"*"'}
	cat >"$dir/.10-web.tmp" <<YAML
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [$hosts]
  gateways: [edge]
  http:
  - name: canary
    match: [{headers: {x-canary: {exact: v2}}}]
    route: [{destination: {host: web.shop.internal, subset: v2}}]
  - name: split
    route:
    - destination: {host: web.shop.internal, subset: v1}
      weight: $w1
    - destination: {host: web.shop.internal, subset: v2}
      weight: $w2
YAML
	mv "$dir/.10-web.tmp" "$dir/10-web.yaml"
}
