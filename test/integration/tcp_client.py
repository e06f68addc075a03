#!/usr/bin/python3
"""tcp_client.py — the Linux TCP side of test/integration/80-tcp.sh.

Talks to the gateway's built-in TCP services (echo, discard, source) from the
client namespace with the kernel's TCP stack, checks what comes back and
prints one result line "key=value ..." (rates in MB/s, 1 MB = 10^6 bytes).
Exits 0 when the check passed, 1 when it failed (with the reason on stderr),
so the shell decides nothing by itself.  Every socket operation has a
timeout and every command an overall deadline (--deadline seconds).

  tcp_client.py echo HOST PORT BYTES       send BYTES while reading back; sha256 equal
  tcp_client.py discard HOST PORT BYTES    send BYTES, FIN, wait for the gateway's FIN
  tcp_client.py source HOST PORT BYTES     ask for BYTES, receive exactly them, pattern checked
  tcp_client.py cycles HOST PORT N SIZE    N x (connect, echo SIZE bytes, close)
  tcp_client.py halfclose HOST PORT BYTES  send BYTES, shutdown(SHUT_WR), then read all, EOF
  tcp_client.py rst HOST PORT BYTES        echo transfer, abort (SO_LINGER 0) after BYTES back
"""

import argparse
import hashlib
import os
import select
import socket
import struct
import sys
import threading
import time

CHUNK = 256 * 1024
PERIOD = 251  # the source service's pattern: byte(off) = off % 251


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Deadline:
    """An overall time limit; remaining() is a socket timeout that respects it."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def remaining(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return min(left, 30.0)


def connect(host, port, dl):
    s = socket.create_connection((host, port), timeout=dl.remaining())
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def rate(nbytes, secs):
    return "%.1f" % (nbytes / secs / 1e6 if secs > 0 else 0.0)


def sender(sock, total, dl, result, shut=True):
    """Send total random bytes (a fresh 1 MiB block each time), hash them, then SHUT_WR."""
    h = hashlib.sha256()
    sent = 0
    try:
        while sent < total:
            block = os.urandom(min(1 << 20, total - sent))
            h.update(block)
            view = memoryview(block)
            while view:
                sock.settimeout(dl.remaining())
                n = sock.send(view[:CHUNK])
                view = view[n:]
                sent += n
        if shut:
            sock.shutdown(socket.SHUT_WR)
    except Exception as e:  # reported by the main thread
        result["error"] = "send after %d bytes: %r" % (sent, e)
    result["sent"] = sent
    result["sha"] = h.hexdigest()


def receive_all(sock, dl, h=None, limit=None):
    """Read until EOF (or limit bytes); returns the byte count."""
    got = 0
    buf = bytearray(CHUNK)
    while limit is None or got < limit:
        sock.settimeout(dl.remaining())
        n = sock.recv_into(buf)
        if n == 0:
            break
        if h is not None:
            h.update(memoryview(buf)[:n])
        got += n
    return got


def cmd_echo(a, dl):
    s = connect(a.host, a.port, dl)
    res = {}
    t0 = time.monotonic()
    th = threading.Thread(target=sender, args=(s, a.bytes, dl, res))
    th.start()
    h = hashlib.sha256()
    try:
        got = receive_all(s, dl, h)
    except Exception as e:
        fail("echo: receive: %r" % e)
    secs = time.monotonic() - t0
    th.join(dl.remaining())
    s.close()
    if "error" in res:
        fail("echo: " + res["error"])
    print("echo bytes=%d received=%d secs=%.2f rate_MBps=%s sha_sent=%s sha_recv=%s"
          % (res["sent"], got, secs, rate(got, secs), res["sha"][:16], h.hexdigest()[:16]))
    if got != a.bytes or res["sha"] != h.hexdigest():
        fail("echo: sent %d bytes sha256 %s, received %d sha256 %s"
             % (res["sent"], res["sha"], got, h.hexdigest()))


def cmd_discard(a, dl):
    s = connect(a.host, a.port, dl)
    res = {}
    t0 = time.monotonic()
    sender(s, a.bytes, dl, res)
    if "error" in res:
        fail("discard: " + res["error"])
    # The gateway closes after our FIN: EOF here means it took every byte.
    try:
        extra = receive_all(s, dl)
    except Exception as e:
        fail("discard: waiting for the gateway's FIN: %r" % e)
    secs = time.monotonic() - t0
    s.close()
    print("discard bytes=%d secs=%.2f rate_MBps=%s" % (res["sent"], secs, rate(res["sent"], secs)))
    if extra != 0:
        fail("discard: the gateway sent %d bytes" % extra)


def cmd_source(a, dl):
    s = connect(a.host, a.port, dl)
    t0 = time.monotonic()
    s.sendall(b"%d\n" % a.bytes)
    # The expected stream is periodic: compare each chunk with a slice of one
    # long enough repetition instead of building 64 MiB byte by byte.
    pat = bytes(range(PERIOD)) * (CHUNK // PERIOD + 2)
    buf = bytearray(CHUNK)
    got = 0
    try:
        while True:
            s.settimeout(dl.remaining())
            n = s.recv_into(buf)
            if n == 0:
                break
            o = got % PERIOD
            if buf[:n] != pat[o:o + n]:
                bad = next(i for i in range(n) if buf[i] != pat[o + i])
                fail("source: byte %d is %d, want %d" % (got + bad, buf[bad], (got + bad) % PERIOD))
            got += n
            if got > a.bytes:
                fail("source: more than the %d bytes asked for" % a.bytes)
    except (OSError, TimeoutError) as e:
        fail("source: after %d bytes: %r" % (got, e))
    secs = time.monotonic() - t0
    s.close()
    print("source bytes=%d secs=%.2f rate_MBps=%s" % (got, secs, rate(got, secs)))
    if got != a.bytes:
        fail("source: received %d bytes, asked for %d" % (got, a.bytes))


def cmd_cycles(a, dl):
    payload = os.urandom(a.size)
    t0 = time.monotonic()
    for i in range(a.n):
        try:
            s = connect(a.host, a.port, dl)
            s.sendall(payload)
            back = bytearray()
            while len(back) < a.size:
                s.settimeout(dl.remaining())
                d = s.recv(a.size - len(back))
                if not d:
                    break
                back += d
            # We close first (FIN after the echo came back): this side is the
            # active closer and holds TIME_WAIT; the gateway goes through
            # CLOSE_WAIT and LAST_ACK.
            s.close()
        except (OSError, TimeoutError) as e:
            fail("cycles: cycle %d: %r" % (i, e))
        if bytes(back) != payload:
            fail("cycles: cycle %d: echoed %d bytes differ from the %d sent" % (i, len(back), a.size))
    secs = time.monotonic() - t0
    print("cycles n=%d size=%d secs=%.2f per_sec=%.0f" % (a.n, a.size, secs, a.n / secs))


def cmd_halfclose(a, dl):
    s = connect(a.host, a.port, dl)
    data = os.urandom(a.bytes)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    # Read only after our FIN went out: the echo must keep sending on a
    # half-closed connection, then close its side.
    time.sleep(0.5)
    back = bytearray()
    try:
        while True:
            s.settimeout(dl.remaining())
            d = s.recv(CHUNK)
            if not d:
                break
            back += d
    except (OSError, TimeoutError) as e:
        fail("halfclose: after %d bytes back, no EOF: %r" % (len(back), e))
    s.close()
    print("halfclose bytes=%d echoed=%d eof=1" % (a.bytes, len(back)))
    if bytes(back) != data:
        fail("halfclose: echoed %d bytes differ from the %d sent" % (len(back), a.bytes))


def cmd_rst(a, dl):
    # One thread with select(): when we close, no other thread may be inside a
    # send() on the socket, or the kernel would only release it (and send the
    # RST) once that call returned.
    s = connect(a.host, a.port, dl)
    s.setblocking(False)
    block = os.urandom(CHUNK)
    buf = bytearray(CHUNK)
    got = sent = 0
    while got < a.bytes:
        r, w, _ = select.select([s], [s], [], dl.remaining())
        if not r and not w:
            fail("rst: stalled after %d bytes sent, %d back" % (sent, got))
        if w:
            try:
                sent += s.send(block)
            except BlockingIOError:
                pass
        if r:
            n = s.recv_into(buf)
            if n == 0:
                fail("rst: EOF after %d bytes back" % got)
            got += n
    # SO_LINGER {on, 0}: close() sends RST and drops what is queued.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("rst sent=%d echoed_before_abort=%d" % (sent, got))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--deadline", type=float, default=120.0, help="overall limit, seconds")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("echo", "discard", "source", "halfclose", "rst"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        q.add_argument("bytes", type=int)
    q = sub.add_parser("cycles")
    q.add_argument("host")
    q.add_argument("port", type=int)
    q.add_argument("n", type=int)
    q.add_argument("size", type=int)
    a = p.parse_args()
    dl = Deadline(a.deadline)
    try:
        globals()["cmd_" + a.cmd](a, dl)
    except TimeoutError as e:
        fail("%s: %r" % (a.cmd, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
