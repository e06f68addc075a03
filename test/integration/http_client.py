#!/usr/bin/python3
"""http_client.py — the client side of test/integration/90-http-proxy.sh.

    http_client.py GATEWAY HTTP_PORT TCP_PORT CLIENT_ADDR

Runs every check against the gateway's HTTP listener (Host shop.example) and
TCP proxy listener, printing one line per check; exits 1 at the first
failure with what was expected and what came back.
"""

import base64
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


def ws_frame(op, data, mask=b"\x11\x22\x33\x44"):
    n = len(data)
    head = bytes([0x80 | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def read_exact(s, n):
    out = b""
    while len(out) < n:
        b = s.recv(n - len(out))
        if not b:
            raise EOFError("closed after %d of %d bytes" % (len(out), n))
        out += b
    return out


def ws_read(s):
    h = read_exact(s, 2)
    n = h[1] & 0x7F
    if n == 126:
        n = int.from_bytes(read_exact(s, 2), "big")
    elif n == 127:
        n = int.from_bytes(read_exact(s, 8), "big")
    return h[0] & 0x0F, read_exact(s, n)


def websocket(gw, port):
    """An upgrade the listener allows becomes a tunnel; others get 403; h2c is ignored."""
    key = base64.b64encode(b"meshgate-ws-test").decode()
    want = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    s = socket.create_connection((gw, port), timeout=10)
    s.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (HOST, key)).encode()
              + ws_frame(1, b"early"))  # a frame right behind the head, before the 101
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        check(b != b"", "websocket: closed before the 101: %r" % head)
        head += b
    lines = head.decode("latin-1").split("\r\n")
    hd = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    check(lines[0].startswith("HTTP/1.1 101"), "websocket: %r" % lines[0])
    check(hd.get("upgrade", "").lower() == "websocket" and "upgrade" in hd.get("connection", "").lower(),
          "websocket: 101 headers %r" % hd)
    check(hd.get("sec-websocket-accept") == want, "websocket: accept %r" % hd.get("sec-websocket-accept"))
    op, d = ws_read(s)
    check(op == 1 and d == b"early", "websocket: the early frame %r %r" % (op, d))
    for i in range(50):
        msg = ("message %d " % i).encode() * (i + 1)
        s.sendall(ws_frame(1, msg))
        op, d = ws_read(s)
        check(op == 1 and d == msg, "websocket: echo %d" % i)
    big = pattern(1 << 20)
    s.sendall(ws_frame(2, big))
    op, d = ws_read(s)
    check(op == 2 and hashlib.sha256(d).digest() == hashlib.sha256(big).digest(),
          "websocket: 1 MiB binary frame back: %d bytes" % len(d))
    s.sendall(ws_frame(8, b"\x03\xe8bye"))
    op, d = ws_read(s)
    check(op == 8 and d == b"\x03\xe8bye", "websocket: close answered %r %r" % (op, d))
    s.settimeout(5)
    check(s.recv(1) == b"", "websocket: the gateway did not close after the upstream did")
    s.close()
    out = raw(gw, port, ("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: foo\r\nConnection: Upgrade\r\n"
                         "\r\n" % HOST).encode())
    check(out.startswith(b"HTTP/1.1 403"), "an upgrade not configured: %r" % out[:80])
    out = raw(gw, port, ("GET /hello HTTP/1.1\r\nHost: %s\r\nUpgrade: h2c\r\n"
                         "Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
                         "Connection: close\r\n\r\n" % HOST).encode())
    check(out.startswith(b"HTTP/1.1 200"), "h2c upgrade passed as plain HTTP/1.1: %r" % out[:80])
    print("websocket: 101 with the right accept, an early frame, 50 echoes, 1 MiB frame, close; "
          "foo upgrade 403; h2c ignored")


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
    # Responses ended by the upstream's close, on both the request and its shadow.
    for i in range(5):
        cc = Client(gw, port)
        r, d = cc.req("GET", "/mclose?n=%d" % (1000 + i))
        check(r.status == 200 and d == pattern(1000 + i), "mirrored close-delimited: %d %d"
              % (r.status, len(d)))
        cc.conn.close()
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
    closed = [e for e in json.loads(d) if e["path"].startswith("/close?n=") and e["host"] == shadow_host]
    check(len(closed) == 5, "v2 saw %d of the 5 close-delimited shadows" % len(closed))
    print("mirroring: 21/21 to v2 (POST body intact), %d/400 at 50%%, dead mirror harmless" % len(half))

    websocket(gw, port)

    # The upstream closes a kept-alive connection while it idles in the pool
    # (a keep-alive timeout): the next request must not be sent on it.
    for i in range(3):
        r, d = c.req("GET", "/linger?ms=30")
        check(r.status == 200 and d == b"lingering\n", "linger %d: %d %r" % (i, r.status, d))
        time.sleep(0.3)
    print("pooled connection closed by the upstream: dropped, next request served")

    # An endpoint nobody answers for: the cluster's 0.25 s connect_timeout, then 503.
    t0 = time.monotonic()
    r, d = c.req("GET", "/blackhole")
    took = time.monotonic() - t0
    check(r.status == 503 and b"connection timeout" in d and 0.2 <= took < 2.0,
          "connect timeout: %d %r after %.2f s" % (r.status, d[:80], took))
    print("connect timeout: 503 after %.2f s" % took)

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
