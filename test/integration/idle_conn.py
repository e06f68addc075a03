#!/usr/bin/python3
"""idle_conn.py — one kept-alive HTTP/1.1 client connection that goes idle.

  idle_conn.py HOST PORT GO_FILE [SECONDS]

Sends GET / on one connection and prints "first BODY" once the response is
in; then holds the connection idle, watching it, until GO_FILE exists (then
it sends a second GET / on the same connection, prints "get BODY" and
exits 0) or the server closes it (prints "closed" and exits 0) or SECONDS
(default 60) pass (prints "timeout", exits 1).  Bodies are printed with
surrounding whitespace stripped.  For 94-live-update: what a config switch
does to a client connection that waits between requests.
"""
import os
import select
import socket
import sys
import time


def get(s, host):
    """One request on s; the response body (Content-Length framed)."""
    s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response head")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed in the body")
        body += chunk
    return body[:length].decode(errors="replace").strip()


def main():
    host, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    s = socket.create_connection((host, port), timeout=5)
    print("first", get(s, host), flush=True)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if os.path.exists(go):
            print("get", get(s, host), flush=True)
            return 0
        r, _, _ = select.select([s], [], [], 0.05)
        if r and not s.recv(1, socket.MSG_PEEK):
            print("closed", flush=True)
            return 0
    print("timeout", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
