#!/usr/bin/python3
"""kernel_services.py — meshgate's built-in TCP test services on the Linux stack.

The TCP benchmark's baseline: the same echo, discard and source protocols as
the gateway's services (dataplane/tcp/tcp_services.c), served by the kernel
in a namespace of their own, so test/integration/tcp_client.py measures both
with the same client.

  echo     sends back what arrives; closes after the peer's FIN
  discard  reads until the peer's FIN, then closes
  source   reads a line "N\\n", sends N bytes of (offset % 251), then closes

A thread per connection; it runs until killed (SIGTERM) or --lifetime ends.
"""

import argparse
import socket
import sys
import threading
import time

PERIOD = 251
CHUNK = 256 * 1024


def serve_echo(c):
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        n = c.recv_into(buf)
        if n == 0:
            return
        c.sendall(view[:n])


def serve_discard(c):
    buf = bytearray(CHUNK)
    while c.recv_into(buf):
        pass


def serve_source(c):
    line = b""
    while not line.endswith(b"\n"):
        d = c.recv(32)
        if not d or len(line) > 32:
            return
        line += d
    total = int(line.strip())
    pat = memoryview(bytes(range(PERIOD)) * (CHUNK // PERIOD + 2))
    off = 0
    while off < total:
        n = min(CHUNK, total - off)
        o = off % PERIOD
        c.sendall(pat[o:o + n])
        off += n


def handle(fn, c):
    try:
        with c:
            fn(c)
    except OSError:
        pass  # a client that gave up; nothing to report for a baseline


def listen(addr, port, fn):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1024)

    def loop():
        while True:
            c, _ = s.accept()
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handle, args=(fn, c), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--addr", default="0.0.0.0")
    p.add_argument("--echo", type=int, default=7)
    p.add_argument("--discard", type=int, default=9)
    p.add_argument("--source", type=int, default=19)
    p.add_argument("--lifetime", type=float, default=3600, help="exit after this many seconds")
    a = p.parse_args()
    listen(a.addr, a.echo, serve_echo)
    listen(a.addr, a.discard, serve_discard)
    listen(a.addr, a.source, serve_source)
    print("ready", flush=True)
    time.sleep(a.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
