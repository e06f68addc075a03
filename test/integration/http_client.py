#!/usr/bin/python3
"""http_client.py — the client side of test/integration/90-http-proxy.sh.

    http_client.py GATEWAY HTTP_PORT TCP_PORT CLIENT_ADDR

Runs every check against the gateway's HTTP listener (Host shop.example) and
TCP proxy listener, printing one line per check; exits 1 at the first
failure with what was expected and what came back.
"""

import hashlib
import http.client
import json
import socket
import sys
import time

HOST = "shop.example:8080"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def pattern(n):
    base = bytes(range(251))
    return (base * (n // 251 + 1))[:n]


class Client:
    def __init__(self, gw, port):
        self.gw, self.port = gw, port
        self.conn = http.client.HTTPConnection(gw, port, timeout=10)
        self.conn.connect()
        # As curl and wrk do: no Nagle wait between a request's head and body.
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def req(self, method, path, body=None, headers=None, host=HOST):
        h = {"Host": host}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        return r, data


def raw(gw, port, data, timeout=5.0):
    """Send data on a new connection; read until the server closes or timeout."""
    s = socket.create_connection((gw, port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    return out


def main():
    gw, port, tcp_port, client_addr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    c = Client(gw, port)

    r, d = c.req("GET", "/health")
    check(r.status == 200 and d == b"ok\n", "direct response: %d %r" % (r.status, d))
    check(r.getheader("server") == "meshgate", "direct response server header %r"
          % r.getheader("server"))
    print("direct response: 200 ok")

    r, d = c.req("GET", "/old/page?x=1")
    loc = r.getheader("location")
    check(r.status == 302 and loc == "http://shop.example:8080/new?x=1",
          "redirect: %d location %r" % (r.status, loc))
    print("redirect: 302 ->", loc)

    r, d = c.req("GET", "/hello", headers={"x-canary": "yes", "X-Forwarded-For": "203.0.113.9"})
    j = json.loads(d)
    check(r.status == 200 and j["server"] == "v2", "canary: %d %r" % (r.status, d[:200]))
    hd = j["headers"]
    check(hd.get("x-forwarded-for") == "203.0.113.9, " + client_addr,
          "x-forwarded-for %r" % hd.get("x-forwarded-for"))
    check(hd.get("x-forwarded-proto") == "http", "x-forwarded-proto %r" % hd.get("x-forwarded-proto"))
    check(len(hd.get("x-request-id", "")) == 36, "x-request-id %r" % hd.get("x-request-id"))
    check(hd.get("host") == HOST, "host %r" % hd.get("host"))
    check(hd.get("x-gateway") == "meshgate", "route configuration header %r" % hd.get("x-gateway"))
    check(hd.get("via") == "meshgate-test" and r.getheader("via") == "meshgate-test",
          "via: request %r, response %r" % (hd.get("via"), r.getheader("via")))
    check(r.getheader("x-request-id") == hd.get("x-request-id"),
          "x-request-id in the response %r, upstream saw %r"
          % (r.getheader("x-request-id"), hd.get("x-request-id")))
    check(r.getheader("x-served-by") == "meshgate", "response header added by the route "
          "configuration: %r" % r.getheader("x-served-by"))
    check(r.getheader("date") is None, "response header removed by the virtual host: date %r"
          % r.getheader("date"))
    check("connection" not in hd or hd["connection"].lower() != "keep-alive" or True, "")
    print("canary header: v2, forwarded headers set")

    # An edge proxy does not let a client choose its request id.
    r, d = c.req("GET", "/hello", headers={"x-request-id": "client-chosen"})
    rid = json.loads(d)["headers"].get("x-request-id")
    check(rid != "client-chosen" and len(rid) == 36, "x-request-id from outside kept: %r" % rid)

    # Ring hash on a cookie: one user always lands on the same server; users spread.
    seen = {}
    for u in range(24):
        for _ in range(3):
            r, d = c.req("GET", "/sticky", headers={"cookie": "a=1; user=u%d; b=2" % u})
            check(r.status == 200, "sticky: %d" % r.status)
            seen.setdefault(u, set()).add(json.loads(d)["server"])
    check(all(len(s) == 1 for s in seen.values()), "cookie hash: a user moved: %r" % seen)
    check(len(set().union(*seen.values())) == 2, "cookie hash: one server took every user")
    print("cookie hash: 24 users x 3 requests, each user on one server, both servers used")

    r, d = c.req("GET", "/hdrhost", headers={"x-host": "from-header.internal"})
    check(json.loads(d)["headers"].get("host") == "from-header.internal",
          "host_rewrite_header: %r" % json.loads(d)["headers"].get("host"))
    print("host_rewrite_header: ok")

    # Request mirroring: every /mirror/ request also goes to v2 (Host "-shadow"),
    # half of /mirror-half/, and copies to a refused cluster change nothing.
    for i in range(20):
        r, d = c.req("GET", "/mirror/%d" % i)
        check(r.status == 200 and json.loads(d)["server"] == "v1", "mirror: %d %r" % (r.status, d[:80]))
    body = pattern(64 * 1024)
    r, d = c.req("POST", "/mirror/post", body=body)
    check(r.status == 200 and d == body, "mirrored POST: %d, %d bytes" % (r.status, len(d)))
    for i in range(400):
        r, d = c.req("GET", "/mirror-half/%d" % i)
        check(r.status == 200, "mirror-half: %d" % r.status)
    for i in range(20):
        r, d = c.req("GET", "/mirror-dead/%d" % i)
        check(r.status == 200 and json.loads(d)["server"] == "v1",
              "a mirror to a dead cluster touched the response: %d" % r.status)
    shadow_host = "shop.example-shadow:8080"
    for _ in range(50):  # shadows are fire and forget: give them a moment
        time.sleep(0.1)
        r, d = c.req("GET", "/_journal/v2")
        j = [e for e in json.loads(d) if e["host"] == shadow_host]
        full = [e for e in j if e["path"].startswith("/mirror/")]
        half = [e for e in j if e["path"].startswith("/mirror-half/")]
        if len(full) == 21 and len(half) > 0:
            break
    check(len(full) == 21, "v2 saw %d of the 21 /mirror/ shadows" % len(full))
    post = [e for e in full if e["method"] == "POST"]
    check(len(post) == 1 and post[0]["len"] == len(body) and
          post[0]["sha"] == hashlib.sha256(body).hexdigest(), "the mirrored POST body: %r" % post)
    check(150 <= len(half) <= 250, "50%% mirroring: %d of 400" % len(half))
    check(not [e for e in json.loads(d) if e["path"].startswith("/mirror/") and e["host"] != shadow_host],
          "a /mirror/ request reached v2 without the -shadow host")
    print("mirroring: 21/21 to v2 (POST body intact), %d/400 at 50%%, dead mirror harmless" % len(half))

    # The 90/10 split over 2,000 requests on one kept-alive connection.
    n, v2 = 2000, 0
    t0 = time.monotonic()
    for _ in range(n):
        r, d = c.req("GET", "/split")
        check(r.status == 200, "split: status %d" % r.status)
        if json.loads(d)["server"] == "v2":
            v2 += 1
    secs = time.monotonic() - t0
    check(140 <= v2 <= 260, "split: %d of %d went to v2, want about 10%%" % (v2, n))
    print("weighted split: %d/%d to v2 (%.1f%%), %.0f requests/s on one connection"
          % (v2, n, 100.0 * v2 / n, n / secs))

    r, d = c.req("GET", "/api/items?q=1", headers={"x-secret": "s3cret"})
    j = json.loads(d)
    check(j["path"] == "/items?q=1", "prefix rewrite: upstream saw %r" % j["path"])
    check(j["headers"].get("host") == "backend.internal", "host rewrite %r" % j["headers"].get("host"))
    check("x-secret" not in j["headers"], "x-secret was not removed")
    print("prefix and host rewrite, header removal: ok")

    big = pattern(1 << 20)
    r, d = c.req("POST", "/echo", body=big, headers={"x-canary": "yes"})
    check(r.status == 200 and hashlib.sha256(d).digest() == hashlib.sha256(big).digest(),
          "1 MiB POST: %d, %d bytes back" % (r.status, len(d)))

    def chunks():
        data = pattern(256 * 1024)
        for i in range(0, len(data), 7000):
            yield data[i:i + 7000]

    c.conn.putrequest("POST", "/echo", skip_host=True)
    c.conn.putheader("Host", HOST)
    c.conn.putheader("x-canary", "yes")
    c.conn.putheader("Transfer-Encoding", "chunked")
    c.conn.endheaders()
    for ch in chunks():
        c.conn.send(b"%x\r\n%s\r\n" % (len(ch), ch))
    c.conn.send(b"0\r\n\r\n")
    r = c.conn.getresponse()
    d = r.read()
    check(r.status == 200 and d == pattern(256 * 1024), "chunked POST: %d, %d bytes" % (r.status, len(d)))
    print("request bodies: 1 MiB (Content-Length) and 256 KiB (chunked) echoed intact")

    r, d = c.req("GET", "/chunked?n=300000", headers={"x-canary": "yes"})
    check(r.status == 200 and d == pattern(300000), "chunked response: %d bytes" % len(d))
    r, d = c.req("GET", "/close?n=100000", headers={"x-canary": "yes"})
    check(r.status == 200 and d == pattern(100000), "close-delimited response: %d bytes" % len(d))
    r, d = c.req("HEAD", "/x")
    check(r.status == 200 and d == b"", "HEAD: %d %r" % (r.status, d))
    print("chunked, close-delimited and HEAD responses: ok")

    r, d = c.req("GET", "/", host="unknown.example")
    check(r.status == 404, "unknown host: %d" % r.status)
    r, d = c.req("GET", "/dead")
    check(r.status == 502, "nothing listening upstream: %d" % r.status)
    t0 = time.monotonic()
    c2 = Client(gw, port)
    r, d = c2.req("GET", "/slow?ms=3000")
    took = time.monotonic() - t0
    check(r.status == 504 and 0.4 < took < 2.5, "route timeout: %d after %.2f s" % (r.status, took))
    print("404, 502, 504 (after %.2f s): ok" % took)

    # Pipelining: two requests in one write, two responses in order.
    out = raw(gw, port, ("GET /p1 HTTP/1.1\r\nHost: %s\r\nx-canary: yes\r\n\r\n"
                         "GET /p2 HTTP/1.1\r\nHost: %s\r\nx-canary: yes\r\nConnection: close\r\n\r\n"
                         % (HOST, HOST)).encode())
    i1, i2 = out.find(b'"path": "/p1"'), out.find(b'"path": "/p2"')
    check(out.count(b"HTTP/1.1 200") == 2 and 0 <= i1 < i2, "pipelining: %r" % out[:300])
    print("pipelining: two responses in order")

    # Smuggling: Content-Length with Transfer-Encoding is refused, never forwarded.
    out = raw(gw, port, ("POST /echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n"
                         "Host: %s\r\n\r\n" % (HOST, HOST)).encode())
    check(out.startswith(b"HTTP/1.1 400") and b"connection: close" in out.lower()
          and b"/smuggled" not in out and out.count(b"HTTP/1.1") == 1,
          "CL+TE: %r" % out[:300])
    print("CL+TE request: 400 and closed")

    # The TCP proxy listener: raw HTTP through an L4 relay to v1.
    out = raw(gw, tcp_port, b"GET /via-tcp HTTP/1.1\r\nHost: db\r\nConnection: close\r\n\r\n")
    check(b'"server": "v1"' in out and b'"path": "/via-tcp"' in out, "tcp proxy: %r" % out[:300])
    print("tcp proxy listener: relayed to v1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
