#!/usr/bin/python3
"""http_upstream.py — the upstream HTTP servers of test/integration/90-http-proxy.sh.

One process, several listeners (ADDR:PORT=NAME ...), each a real HTTP/1.1
server (http.server with keep-alive) that says who it is:

  GET  /...            200, JSON: {"server": NAME, "path", "method", "headers": {...}}
  POST /echo           200, the request body back (Content-Length)
  GET  /chunked?n=N    200, N bytes of (offset % 251) in chunks (Transfer-Encoding)
  GET  /close?n=N      200, N bytes, no length: the body ends when the connection does
  GET  /slow?ms=M      waits M ms, then 200
  GET  /status?code=C  status C, empty body
  GET  /linger?ms=M    200 kept alive, then the server closes the connection M ms
                       later (a keep-alive timeout, as nginx's)
  GET  /ws             WebSocket (RFC 6455) echo: 101, then every data frame back
                       unmasked, a close frame answered and the connection closed
  GET  /_journal       200, JSON list of the requests this listener served before
                       (method, path, host, body length and sha256), for mirroring

Prints "listening" once every listener is up; runs until killed or --deadline.
"""

import argparse
import base64
import hashlib
import json
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def pattern(n):
    base = bytes(range(251))
    return (base * (n // 251 + 1))[:n]


def handler_for(name):
    journal, lock = [], threading.Lock()

    def note(h, body=b""):
        with lock:
            journal.append({"method": h.command, "path": h.path, "host": h.headers.get("Host"),
                            "len": len(body), "sha": hashlib.sha256(body).hexdigest()})

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "upstream/" + name

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # As nginx and Envoy do: no Nagle wait between the head and the body.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def reply(self, code, body, ctype="application/json", length=True):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            if length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            if u.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
                self.websocket()
                return
            if u.path == "/_journal":
                with lock:
                    body = json.dumps(journal).encode()
                self.reply(200, body)
                return
            note(self)
            if u.path == "/chunked":
                n = int(q.get("n", "1000"))
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                data, off = pattern(n), 0
                while off < n:
                    c = data[off:off + 1000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                    off += len(c)
                self.wfile.write(b"0\r\n\r\n")
                return
            if u.path == "/close":
                self.close_connection = True
                self.reply(200, pattern(int(q.get("n", "1000"))), "application/octet-stream",
                           length=False)
                return
            if u.path == "/slow":
                time.sleep(int(q.get("ms", "1000")) / 1000)
            if u.path == "/status":
                self.reply(int(q.get("code", "200")), b"")
                return
            if u.path == "/linger":
                self.reply(200, b"lingering\n", "text/plain")
                self.wfile.flush()
                conn = self.connection
                threading.Timer(int(q.get("ms", "50")) / 1000,
                                lambda: conn.shutdown(socket.SHUT_RDWR)).start()
                return
            body = json.dumps({"server": name, "path": self.path, "method": self.command,
                               "headers": {k.lower(): v for k, v in self.headers.items()}})
            self.reply(200, body.encode())

        do_HEAD = do_GET

        def websocket(self):
            key = self.headers.get("Sec-WebSocket-Key", "")
            accept = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            note(self)
            r, w = self.rfile, self.wfile
            while True:
                h = r.read(2)
                if len(h) < 2:
                    break
                op, n = h[0] & 0x0F, h[1] & 0x7F
                if n == 126:
                    n = int.from_bytes(r.read(2), "big")
                elif n == 127:
                    n = int.from_bytes(r.read(8), "big")
                mask = r.read(4) if h[1] & 0x80 else b"\0\0\0\0"
                data = bytearray(r.read(n))
                for i in range(len(data)):
                    data[i] ^= mask[i % 4]
                if n < 126:
                    hdr = bytes([0x80 | op, n])
                elif n < 65536:
                    hdr = bytes([0x80 | op, 126]) + n.to_bytes(2, "big")
                else:
                    hdr = bytes([0x80 | op, 127]) + n.to_bytes(8, "big")
                w.write(hdr + bytes(data))
                w.flush()
                if op == 8:  # close: answered, then the connection ends
                    break
            self.close_connection = True

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(n)
            note(self, body)
            self.reply(200, body, "application/octet-stream")

    return H


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--deadline", type=float, default=600)
    p.add_argument("listen", nargs="+", help="ADDR:PORT=NAME")
    a = p.parse_args()
    for spec in a.listen:
        hostport, name = spec.split("=")
        host, port = hostport.rsplit(":", 1)
        srv = Server((host, int(port)), handler_for(name))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("listening", flush=True)
    time.sleep(a.deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
