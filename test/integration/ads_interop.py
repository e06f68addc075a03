#!/usr/bin/python3
"""ads_interop.py — an xDS client built on gRPC's own Python implementation
(Debian's python3-grpcio) against a running meshgate-ctrl: the interop half
of test/integration/92-ctrl-grpc.sh.

usage: ads_interop.py PYOUT ADS_ADDR STATUS_ADDR CONFIG_DIR CTRL_LOG MESHGATECTL CTRL_PID

PYOUT holds the modules protoc generated from proto/ (--python_out).  The
steps print "ok: ..." lines; a failed assertion exits non-zero.  Every wait
is bounded.  The last step sends SIGTERM to CTRL_PID (the controller the
calling script started) and expects the stream to end with UNAVAILABLE.
"""
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

PYOUT, ADS, STATUS, CONFIG_DIR, CTRL_LOG, MESHGATECTL, CTRL_PID = sys.argv[1:8]
sys.path.insert(0, PYOUT)

import grpc  # noqa: E402
from envoy.service.discovery.v3 import discovery_pb2  # noqa: E402
from envoy.config.cluster.v3 import cluster_pb2  # noqa: E402
from envoy.config.endpoint.v3 import endpoint_pb2  # noqa: E402
from envoy.config.listener.v3 import listener_pb2  # noqa: E402
from envoy.config.route.v3 import route_pb2  # noqa: E402
from envoy.extensions.filters.network.http_connection_manager.v3 import (  # noqa: E402
    http_connection_manager_pb2 as hcm_pb2)

ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
PREFIX = "type.googleapis.com/"
CDS = PREFIX + "envoy.config.cluster.v3.Cluster"
EDS = PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment"
LDS = PREFIX + "envoy.config.listener.v3.Listener"
RDS = PREFIX + "envoy.config.route.v3.RouteConfiguration"
MSG = {CDS: cluster_pb2.Cluster, EDS: endpoint_pb2.ClusterLoadAssignment,
       LDS: listener_pb2.Listener, RDS: route_pb2.RouteConfiguration}
SHORT = {CDS: "CDS", EDS: "EDS", LDS: "LDS", RDS: "RDS"}
NODE = "gw-interop-1"
WAIT = 10.0


def ok(what):
    print("ok: " + what, flush=True)


def fail(what):
    print("FAIL: " + what, flush=True)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)
    ok(what)


class Stream:
    """One StreamAggregatedResources call: requests go in through a queue,
    responses come out of a reader thread into another."""

    def __init__(self, channel):
        self.out = queue.Queue()
        self.inq = queue.Queue()
        method = channel.stream_stream(
            ADS_PATH,
            request_serializer=discovery_pb2.DiscoveryRequest.SerializeToString,
            response_deserializer=discovery_pb2.DiscoveryResponse.FromString)
        self.call = method(iter(self.out.get, None))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for r in self.call:
                self.inq.put(r)
        except grpc.RpcError as e:
            self.inq.put(e)

    def send(self, type_url, names=(), version="", nonce="", error=None, node=False,
             node_id=NODE, zone="test-a"):
        req = discovery_pb2.DiscoveryRequest(type_url=type_url, version_info=version,
                                             response_nonce=nonce,
                                             resource_names=list(names))
        if node:
            req.node.id = node_id
            req.node.cluster = "meshgate-gateways"
            req.node.metadata.update({"role": "interop", "zone": zone})
        if error is not None:
            req.error_detail.code = 3
            req.error_detail.message = error
        self.out.put(req)

    def recv(self, timeout=WAIT):
        try:
            r = self.inq.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(r, grpc.RpcError):
            raise r
        return r

    def close(self):
        self.out.put(None)


def unpack(resp):
    want = MSG[resp.type_url]
    out = []
    for a in resp.resources:
        if a.type_url != resp.type_url:
            fail("resource of type %s in a %s response" % (a.type_url, resp.type_url))
        m = want()
        m.ParseFromString(a.value)
        out.append(m)
    return out


def syncz():
    with urllib.request.urlopen("http://%s/debug/syncz" % STATUS, timeout=5) as r:
        return json.loads(r.read())


def gateway(z, node_id=NODE):
    for g in z["gateways"]:
        if g["id"] == node_id:
            return g
    return None


def wait_for(pred, what, timeout=WAIT):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            ok(what)
            return
        time.sleep(0.1)
    fail(what + " (timed out)")


def weights(rc):
    """{cluster: weight} of the weighted route of a RouteConfiguration."""
    for vh in rc.virtual_hosts:
        for r in vh.routes:
            if r.route.HasField("weighted_clusters"):
                return {c.name: c.weight.value for c in r.route.weighted_clusters.clusters}
    return {}


def vs_yaml(w1, w2):
    return """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.example.com]
  gateways: [edge]
  http:
  - name: split
    route:
    - destination: {host: web.shop.internal, subset: v1}
      weight: %d
    - destination: {host: web.shop.internal, subset: v2}
      weight: %d
""" % (w1, w2)


def write_file(name, text):
    # Written beside and renamed in: the watcher sees one IN_MOVED_TO.
    tmp = os.path.join(CONFIG_DIR, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(CONFIG_DIR, name))


def expect_nothing(s, secs, what):
    r = s.recv(timeout=secs)
    check(r is None, what + ("" if r is None else " (got %s %s)" % (SHORT.get(r.type_url),
                                                                     r.version_info)))


def main():
    channel = grpc.insecure_channel(ADS)
    grpc.channel_ready_future(channel).result(timeout=WAIT)
    s = Stream(channel)

    # CDS first, wildcard; the node rides on the first request.
    s.send(CDS, node=True)
    r = s.recv()
    check(r is not None and r.type_url == CDS, "CDS response to the initial request")
    check(r.control_plane.identifier.startswith("meshgate-ctrl "),
          "control_plane.identifier " + r.control_plane.identifier)
    clusters = unpack(r)
    names = sorted(c.name for c in clusters)
    V1, V2, ALL = ("outbound|80|v1|web.shop.internal", "outbound|80|v2|web.shop.internal",
                   "outbound|80||web.shop.internal")
    check(names == sorted([V1, V2, ALL]), "clusters " + ", ".join(names))
    check(all(c.type == cluster_pb2.Cluster.EDS for c in clusters), "clusters are EDS")
    cds_v, cds_n = r.version_info, r.nonce
    s.send(CDS, version=cds_v, nonce=cds_n)  # ACK

    # EDS with the names CDS gave.
    s.send(EDS, names=names)
    r = s.recv()
    check(r is not None and r.type_url == EDS, "EDS response")
    cla = {c.cluster_name: c for c in unpack(r)}
    check(sorted(cla) == names, "EDS carries the requested clusters")
    addrs = {n: sorted(e.endpoint.address.socket_address.address
                       for l in c.endpoints for e in l.lb_endpoints) for n, c in cla.items()}
    check(addrs[V1] == ["198.18.0.10"] and addrs[V2] == ["198.18.0.11"] and
          addrs[ALL] == ["198.18.0.10", "198.18.0.11"],
          "endpoints per subset %s" % addrs)
    eds_v, eds_n = r.version_info, r.nonce
    s.send(EDS, names=names, version=eds_v, nonce=eds_n)

    # LDS wildcard; RDS with the route names from the listeners.
    s.send(LDS)
    r = s.recv()
    check(r is not None and r.type_url == LDS, "LDS response")
    listeners = unpack(r)
    check([l.name for l in listeners] == ["0.0.0.0_8080"], "listener 0.0.0.0_8080")
    check(listeners[0].address.socket_address.port_value == 8080, "listener port 8080")
    rds_names = []
    for l in listeners:
        for fc in l.filter_chains:
            for f in fc.filters:
                h = hcm_pb2.HttpConnectionManager()
                check(f.typed_config.Unpack(h), "filter is an HttpConnectionManager")
                rds_names.append(h.rds.route_config_name)
    check(rds_names == ["http.8080"], "RDS name from the listener: %s" % rds_names)
    lds_v, lds_n = r.version_info, r.nonce

    s.send(RDS, names=rds_names)
    r = s.recv()
    check(r is not None and r.type_url == RDS, "RDS response")
    routes = unpack(r)
    check([x.name for x in routes] == ["http.8080"], "route configuration http.8080")
    w = weights(routes[0])
    check(w == {V1: 90, V2: 10}, "weights 90/10: %s" % w)
    rds_v, rds_n = r.version_info, r.nonce
    s.send(RDS, names=rds_names, version=rds_v, nonce=rds_n)

    # NACK the listeners.
    err = "listener 0.0.0.0_8080: port 8080 in use (interop test NACK)"
    s.send(LDS, version="", nonce=lds_n, error=err)
    wait_for(lambda: (gateway(syncz()) or {}).get("types", {}).get("LDS", {}).get("nack") == err,
             "syncz shows the LDS NACK")
    g = gateway(syncz())
    check(g["types"]["CDS"]["acked"] == cds_v and g["types"]["RDS"]["acked"] == rds_v,
          "syncz: CDS and RDS ACKed at the versions sent")
    check(g["types"]["LDS"]["acked"] == "" and g["types"]["LDS"]["sent"] == lds_v,
          "syncz: LDS sent, not ACKed")
    check(g["metadata"] == {"role": "interop", "zone": "test-a"}, "syncz: node metadata")
    expect_nothing(s, 1.0, "a NACK does not make the same version come again")
    ps = subprocess.run([MESHGATECTL, "proxy-status", "--ctrl", STATUS], capture_output=True,
                        text=True, timeout=WAIT)
    print(ps.stdout, end="")
    check(ps.returncode == 0, "meshgatectl proxy-status exits 0")
    line = [l for l in ps.stdout.splitlines() if l.startswith(NODE + " ")]
    check(len(line) >= 1 and line[0].split()[1] == "SYNCED" and line[0].split()[3] == "NACKED"
          and line[0].count("SYNCED") == 3,
          "proxy-status: 3 types SYNCED, LDS NACKED")
    check(err in ps.stdout, "proxy-status prints the NACK's error text")

    # A second gateway at the same time, on its own connection: known by its
    # node id and metadata, synced on its own; the first one's NACK stays
    # the first one's.
    channel2 = grpc.insecure_channel(ADS)
    grpc.channel_ready_future(channel2).result(timeout=WAIT)
    s2 = Stream(channel2)
    s2.send(CDS, node=True, node_id="gw-interop-2", zone="test-b")
    r2 = s2.recv()
    check(r2 is not None and r2.type_url == CDS and r2.version_info == cds_v,
          "a second gateway gets the same CDS version")
    s2.send(CDS, version=r2.version_info, nonce=r2.nonce)
    wait_for(lambda: ((gateway(syncz(), "gw-interop-2") or {}).get("types", {})
                      .get("CDS", {}).get("acked") == cds_v),
             "syncz shows the second gateway's CDS ACK")
    z = syncz()
    g1, g2 = gateway(z), gateway(z, "gw-interop-2")
    check(g2["metadata"] == {"role": "interop", "zone": "test-b"},
          "syncz: the second gateway's own metadata")
    check(g1["types"]["LDS"]["nack"] == err and g2["types"]["LDS"]["nack"] is None,
          "the NACK is the first gateway's only")
    ps = subprocess.run([MESHGATECTL, "proxy-status", "--ctrl", STATUS], capture_output=True,
                        text=True, timeout=WAIT)
    table = ps.stdout.split("\n\n")[0].splitlines()[1:]  # rows up to the NACK details
    ids = [l.split()[0] for l in table]
    check(sorted(ids) == [NODE, "gw-interop-2"], "proxy-status lists both gateways: %s" % ids)
    s2.close()
    channel2.close()

    # 50/50 on disk: a new RDS version, and nothing else, arrives.
    gen = syncz()["generation"]
    write_file("30-vs.yaml", vs_yaml(50, 50))
    r = s.recv()
    check(r is not None and r.type_url == RDS and r.version_info != rds_v,
          "a new RDS version after the edit")
    w = weights(unpack(r)[0])
    check(w == {V1: 50, V2: 50}, "weights 50/50: %s" % w)
    s.send(RDS, names=rds_names, version=r.version_info, nonce=r.nonce)
    expect_nothing(s, 1.0, "only RDS was pushed (CDS, EDS, LDS unchanged)")
    check(syncz()["generation"] == gen + 1, "generation %d -> %d" % (gen, gen + 1))

    # An invalid file: logged with file:line:col, refused, nothing pushed.
    write_file("40-bad.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
               "metadata: {name: bad, namespace: shop}\nspec:\n  hosts: [bad.example.com]\n"
               "  gateways: [edge]\n  http:\n  - route:\n"
               "    - destination: {host: web.shop.internal, subset: v1}\n"
               "      weight: 70\n    - destination: {host: web.shop.internal, subset: v2}\n"
               "      weight: 20\n")
    wait_for(lambda: syncz()["config_error"] is not None, "syncz shows a config_error")
    z = syncz()
    check("40-bad.yaml:" in z["config_error"], "config_error: " + z["config_error"])
    check(z["generation"] == gen + 1, "generation unchanged")
    with open(CTRL_LOG) as f:
        log = f.read()
    check(re.search(r"40-bad\.yaml:\d+:\d+: error:", log) is not None,
          "the controller logged file:line:col")
    expect_nothing(s, 1.5, "nothing pushed for the invalid config")

    # Others' bad input on other streams; this stream must survive it.
    try:
        channel.unary_unary("/foo.Bar/Baz")(b"", timeout=WAIT)
        fail("another method answered")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.UNIMPLEMENTED, "another path: UNIMPLEMENTED")
    junk = channel.stream_stream(ADS_PATH, request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    try:
        for _ in junk(iter([b"\xff\xff\xff\xff"]), timeout=WAIT):
            pass
        fail("garbage was answered")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, "garbage message: INVALID_ARGUMENT")
    try:
        for _ in junk(iter([b"\x0a" + b"\x80\x80\x80\x09" + b"x" * (17 << 20)]), timeout=30):
            pass
        fail("an oversized message was answered")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, "17 MiB message: RESOURCE_EXHAUSTED")
    host, port = ADS.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=WAIT) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(4096))
        raw.settimeout(WAIT)
        try:
            while raw.recv(65536):
                pass
        except OSError:
            pass
    ok("HTTP/1.1 and random bytes on the ADS port: connection closed")
    z = syncz()
    check(gateway(z) is not None, "the interop stream is still connected")
    a = z["ads"]
    # pushes and ACKs: the first gateway 5 and 4 (four types, then 50/50 RDS),
    # the second 1 and 1 (CDS).
    check(a["nacks"] == 1 and a["acks"] == 5 and a["pushes"] == 6 and a["bad_requests"] >= 3,
          "syncz counters: %s" % a)

    # Shutdown: the stream ends with UNAVAILABLE.
    os.kill(int(CTRL_PID), signal.SIGTERM)
    try:
        r = s.recv()
        fail("a response instead of the end: %s" % r)
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.UNAVAILABLE and
              e.details() == "meshgate-ctrl is shutting down",
              "SIGTERM ends the stream: UNAVAILABLE, %r" % e.details())
    s.close()
    channel.close()


main()
