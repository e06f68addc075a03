#!/usr/bin/python3
"""ads_server.py — a small ADS server (python3-grpcio) for test/integration/93-gw-ads.sh.

State-of-the-world xDS v3 over one bidirectional gRPC stream
(/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources),
serving one HTTP listener (port 8080, routes by RDS), its route configuration
and one EDS cluster whose ClusterLoadAssignment points at the upstream:

  cluster "web" (EDS, service_name "web-svc") -> CLA "web-svc" -> UPSTREAM
  listener "http" 0.0.0.0:8080 -> RDS "web-routes" -> cluster "web"

A response is sent for a type when the client's request shows it lacks the
current version (version_info differs, or new resource names) and it is not a
NACK of that same version.  SIGUSR1 replaces the route configuration with
version "2", whose route names the unknown cluster "nope" (the client must
NACK it).  Every request received and every response sent is one JSON line in
--log (type, version_info, response_nonce / nonce, resource_names,
error_detail, node id), which the test reads.

--evil MODE serves nonsense instead, for robustness checks: "garbage" (a
plain TCP server answering every connection with non-HTTP/2 bytes),
"badmsg" (gRPC, one message that is not a DiscoveryResponse) or "huge" (gRPC,
one 17 MiB message, above the client's 16 MiB limit).

The message modules are generated at test time (protoc --python_out=GEN -I
proto ...), GEN given as --gen.  Prints "listening" once serving.
"""

import argparse
import itertools
import json
import queue
import signal
import sys
import threading
import time
from concurrent import futures

TYPE = "type.googleapis.com/envoy.config."
CDS, EDS = TYPE + "cluster.v3.Cluster", TYPE + "endpoint.v3.ClusterLoadAssignment"
LDS, RDS = TYPE + "listener.v3.Listener", TYPE + "route.v3.RouteConfiguration"
SHORT = {CDS: "cds", EDS: "eds", LDS: "lds", RDS: "rds"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    ap.add_argument("--listen", default="127.0.0.1:15010")
    ap.add_argument("--upstream", required=True, help="ADDR:PORT of the HTTP upstream")
    ap.add_argument("--log", required=True)
    ap.add_argument("--deadline", type=float, default=300)
    ap.add_argument("--evil", choices=["garbage", "badmsg", "huge"])
    a = ap.parse_args()
    sys.path.insert(0, a.gen)
    if a.evil:
        return evil(a)

    import grpc
    from google.protobuf import any_pb2
    from envoy.config.cluster.v3 import cluster_pb2
    from envoy.config.core.v3 import address_pb2, config_source_pb2
    from envoy.config.endpoint.v3 import endpoint_pb2, endpoint_components_pb2 as epc
    from envoy.config.listener.v3 import listener_pb2, listener_components_pb2 as lc
    from envoy.config.route.v3 import route_pb2, route_components_pb2 as rc
    from envoy.extensions.filters.http.router.v3 import router_pb2
    from envoy.extensions.filters.network.http_connection_manager.v3 import (
        http_connection_manager_pb2 as hcm_pb2)
    from envoy.service.discovery.v3 import discovery_pb2

    def pack(m):
        x = any_pb2.Any()
        x.Pack(m)
        return x

    ads = config_source_pb2.ConfigSource(ads=config_source_pb2.AggregatedConfigSource())
    up_addr, up_port = a.upstream.rsplit(":", 1)

    cluster = cluster_pb2.Cluster(
        name="web", type=cluster_pb2.Cluster.EDS,
        eds_cluster_config=cluster_pb2.Cluster.EdsClusterConfig(eds_config=ads,
                                                                service_name="web-svc"))
    cla = endpoint_pb2.ClusterLoadAssignment(cluster_name="web-svc", endpoints=[
        epc.LocalityLbEndpoints(lb_endpoints=[epc.LbEndpoint(endpoint=epc.Endpoint(
            address=address_pb2.Address(socket_address=address_pb2.SocketAddress(
                address=up_addr, port_value=int(up_port)))))])])
    hcm = hcm_pb2.HttpConnectionManager(
        stat_prefix="http",
        rds=hcm_pb2.Rds(config_source=ads, route_config_name="web-routes"),
        http_filters=[hcm_pb2.HttpFilter(name="envoy.filters.http.router",
                                         typed_config=pack(router_pb2.Router()))])
    listener = listener_pb2.Listener(
        name="http",
        address=address_pb2.Address(socket_address=address_pb2.SocketAddress(
            address="0.0.0.0", port_value=8080)),
        filter_chains=[lc.FilterChain(filters=[lc.Filter(
            name="envoy.filters.network.http_connection_manager", typed_config=pack(hcm))])])

    def routes(cluster_name):
        return route_pb2.RouteConfiguration(name="web-routes", virtual_hosts=[
            rc.VirtualHost(name="all", domains=["*"], routes=[rc.Route(
                match=rc.RouteMatch(prefix="/"), route=rc.RouteAction(cluster=cluster_name))])])

    lock = threading.Lock()
    # type -> (version, {name: resource})
    state = {CDS: ("1", {"web": cluster}), EDS: ("1", {"web-svc": cla}),
             LDS: ("1", {"http": listener}), RDS: ("1", {"web-routes": routes("web")})}
    streams = []
    nonces = itertools.count(1)
    logf = open(a.log, "a", buffering=1)

    def log(**kv):
        kv["t"] = round(time.time(), 3)
        logf.write(json.dumps(kv) + "\n")

    class Stream:
        def __init__(self):
            self.out = queue.Queue()
            self.sub = {}  # type -> (names, client version, last nonce sent, nacked version)
            self.sent = {}  # type -> (version, nonce)

        def respond(self, t):
            """Queue the current version of t for this stream (lock held)."""
            version, res = state[t]
            names = self.sub[t][0]
            pick = [r for n, r in sorted(res.items()) if t in (CDS, LDS) or n in names]
            nonce = "%s-%d" % (SHORT[t], next(nonces))
            self.sent[t] = (version, nonce)
            log(ev="send", type=SHORT[t], version=version, nonce=nonce,
                names=sorted(n for n in res if t in (CDS, LDS) or n in names))
            self.out.put(discovery_pb2.DiscoveryResponse(
                version_info=version, type_url=t, nonce=nonce,
                resources=[pack(r) for r in pick]))

        def on_request(self, req):
            t = req.type_url
            err = req.error_detail.message if req.HasField("error_detail") else ""
            log(ev="recv", type=SHORT.get(t, t), version=req.version_info,
                nonce=req.response_nonce, names=list(req.resource_names),
                node=req.node.id if req.HasField("node") else "",
                error=err, code=req.error_detail.code if err else 0)
            if t not in state:
                return
            with lock:
                version = state[t][0]
                sent = self.sent.get(t)
                names = sorted(req.resource_names)
                old = self.sub.get(t, ([],))[0]
                self.sub[t] = (names,)
                if sent is not None and req.response_nonce != sent[1]:
                    return  # stale: an answer to an older response
                if err and sent is not None and sent[0] == version:
                    return  # NACK of the current version: wait for a new one
                if req.version_info == version and (names == old or sent is None):
                    return  # an ACK, or a new stream from a client that has this version
                self.respond(t)

    def push(t):
        with lock:
            for s in streams:
                if t in s.sub:
                    s.respond(t)

    def handler(request_iterator, context):
        s = Stream()
        with lock:
            streams.append(s)
        log(ev="open", peer=context.peer())

        def reader():
            try:
                for req in request_iterator:
                    s.on_request(req)
            except Exception as e:  # the client went away
                log(ev="reader-end", error=str(e)[:200])
            s.out.put(None)

        threading.Thread(target=reader, daemon=True).start()
        try:
            while context.is_active():
                try:
                    m = s.out.get(timeout=0.5)
                except queue.Empty:
                    continue
                if m is None:
                    break
                yield m
        finally:
            with lock:
                streams.remove(s)
            log(ev="close")

    def bad_routes(signum, frame):
        with lock:
            state[RDS] = ("2", {"web-routes": routes("nope")})
        log(ev="update", type="rds", version="2")
        push(RDS)

    rpc = grpc.stream_stream_rpc_method_handler(
        handler, request_deserializer=discovery_pb2.DiscoveryRequest.FromString,
        response_serializer=discovery_pb2.DiscoveryResponse.SerializeToString)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "envoy.service.discovery.v3.AggregatedDiscoveryService",
        {"StreamAggregatedResources": rpc}),))
    if server.add_insecure_port(a.listen) == 0:
        sys.exit("cannot listen on " + a.listen)
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, bad_routes)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print("listening", flush=True)
    end = time.time() + a.deadline
    while not stop.wait(0.2) and time.time() < end:
        pass  # the main thread wakes up so SIGUSR1's handler runs promptly
    server.stop(0)


def evil(a):
    """Serve nonsense (see --evil) until SIGTERM or the deadline."""
    import grpc
    import socket
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logf = open(a.log, "a", buffering=1)
    host, port = a.listen.rsplit(":", 1)
    if a.evil == "garbage":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, int(port)))
        ls.listen(16)
        ls.settimeout(0.2)
        print("listening", flush=True)
        end = time.time() + a.deadline
        while not stop.is_set() and time.time() < end:
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            logf.write(json.dumps({"ev": "garbage"}) + "\n")
            try:
                c.recv(65536)
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + bytes(range(256)))
            except OSError:
                pass
            c.close()
        return

    blob = b"\x0a\xff\xff\xff\xff\x0f" if a.evil == "badmsg" else b"\x00" * (17 << 20)

    def handler(request_iterator, context):
        next(request_iterator, None)
        logf.write(json.dumps({"ev": a.evil}) + "\n")
        yield blob
        while context.is_active() and not stop.is_set():
            time.sleep(0.1)

    rpc = grpc.stream_stream_rpc_method_handler(handler, request_deserializer=lambda b: b,
                                                response_serializer=lambda b: b)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_send_message_length", -1)])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "envoy.service.discovery.v3.AggregatedDiscoveryService",
        {"StreamAggregatedResources": rpc}),))
    server.add_insecure_port(a.listen)
    server.start()
    print("listening", flush=True)
    end = time.time() + a.deadline
    while not stop.wait(0.2) and time.time() < end:
        pass
    server.stop(0)


if __name__ == "__main__":
    main()
