#!/usr/bin/python3
"""fwd_peer.py — both Linux ends of test/integration/85-tcp-forward.sh.

The gateway's forward service relays a client connection to the upstream;
this script is the upstream server (in the upstream namespace) and the
client (in the client namespace).  The client opens with one header line
that the relay passes on like any other bytes and that tells the server what
to do:

  echo\\n                 send back everything until EOF, then close
  sink\\n                 read until EOF, answer "LEN SHA256\\n", close
  source N SEED TOKEN\\n  send N bytes of pattern(SEED), shut down our side
                         first, then read the client's bytes until EOF and
                         keep "LEN SHA256" under TOKEN
  hold TOKEN\\n           read until EOF or error; keep "eof LEN" or "reset"
  report TOKEN\\n         answer what TOKEN's connection left (waits for it)

  fwd_peer.py server ADDR PORT              the upstream (prints "listening")
  fwd_peer.py echo HOST PORT BYTES          BYTES each way at once; sha256 equal
  fwd_peer.py sink HOST PORT BYTES          client half-closes first, answer after its FIN
  fwd_peer.py source HOST PORT BYTES BACK   upstream half-closes first, BACK bytes after
  fwd_peer.py cycles HOST PORT N SIZE       N x (echo SIZE bytes, half-close, EOF, close)
  fwd_peer.py refused HOST PORT             the connection must end in a reset
  fwd_peer.py rst HOST PORT BYTES           abort (SO_LINGER 0): the upstream sees a reset

Client commands print one "key=value ..." line and exit 0 when the check
passed, 1 otherwise (reason on stderr).  Every socket operation has a
timeout and every command an overall deadline (--deadline seconds).
"""

import argparse
import hashlib
import os
import random
import socket
import struct
import sys
import threading
import time

CHUNK = 256 * 1024
BLOCK = 1 << 20  # pattern blocks: both ends must cut the same way


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def remaining(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return min(left, 30.0)


def pattern(seed, n):
    """The source pattern: n bytes of a seeded generator, in BLOCK pieces."""
    rng = random.Random(seed)
    while n > 0:
        k = min(BLOCK, n)
        yield rng.randbytes(BLOCK)[:k]
        n -= k


def rate(nbytes, secs):
    return "%.1f" % (nbytes / secs / 1e6 if secs > 0 else 0.0)


def read_to_eof(sock, timeout, h=None, first=b""):
    """Read until EOF; returns the byte count (first counts, already read)."""
    got = len(first)
    if h is not None and first:
        h.update(first)
    buf = bytearray(CHUNK)
    while True:
        sock.settimeout(timeout() if callable(timeout) else timeout)
        n = sock.recv_into(buf)
        if n == 0:
            return got
        if h is not None:
            h.update(memoryview(buf)[:n])
        got += n


# ---- server ----

RESULTS = {}
RESULTS_CV = threading.Condition()
IO_TIMEOUT = 60.0


def keep(token, value):
    with RESULTS_CV:
        RESULTS[token] = value
        RESULTS_CV.notify_all()


def read_header(sock):
    data = b""
    while b"\n" not in data:
        sock.settimeout(IO_TIMEOUT)
        d = sock.recv(4096)
        if not d:
            raise EOFError("EOF in the header")
        data += d
        if len(data) > 4096:
            raise ValueError("header too long")
    line, rest = data.split(b"\n", 1)
    return line.decode().split(), rest


def serve_one(conn):
    with conn:
        try:
            words, rest = read_header(conn)
            mode = words[0]
            if mode == "echo":
                if rest:
                    conn.sendall(rest)
                buf = bytearray(CHUNK)
                while True:
                    conn.settimeout(IO_TIMEOUT)
                    n = conn.recv_into(buf)
                    if n == 0:
                        break
                    conn.sendall(memoryview(buf)[:n])
                conn.shutdown(socket.SHUT_WR)
            elif mode == "sink":
                h = hashlib.sha256()
                n = read_to_eof(conn, IO_TIMEOUT, h, rest)
                conn.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
                conn.shutdown(socket.SHUT_WR)
            elif mode == "source":
                n, seed, token = int(words[1]), int(words[2]), words[3]
                for block in pattern(seed, n):
                    conn.settimeout(IO_TIMEOUT)
                    conn.sendall(block)
                conn.shutdown(socket.SHUT_WR)  # our FIN first; the client still sends
                h = hashlib.sha256()
                got = read_to_eof(conn, IO_TIMEOUT, h, rest)
                keep(token, "%d %s" % (got, h.hexdigest()))
            elif mode == "hold":
                token = words[1]
                try:
                    got = read_to_eof(conn, IO_TIMEOUT, None, rest)
                    keep(token, "eof %d" % got)
                except ConnectionResetError:
                    keep(token, "reset")
            elif mode == "report":
                token = words[1]
                with RESULTS_CV:
                    RESULTS_CV.wait_for(lambda: token in RESULTS, IO_TIMEOUT)
                    value = RESULTS.get(token, "none")
                conn.sendall(value.encode() + b"\n")
                conn.shutdown(socket.SHUT_WR)
            else:
                print("server: unknown mode %r" % mode, file=sys.stderr)
        except (OSError, EOFError, ValueError, IndexError) as e:
            print("server: connection ended: %r" % e, file=sys.stderr)


def cmd_server(a, dl):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(256)
    print("listening", flush=True)
    while True:
        ls.settimeout(dl.remaining())
        try:
            conn, _ = ls.accept()
        except TimeoutError:
            continue
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


# ---- client ----


def connect(a, dl, header):
    s = socket.create_connection((a.host, a.port), timeout=dl.remaining())
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(header.encode())
    return s


def send_random(sock, total, dl, h, res=None):
    sent = 0
    try:
        while sent < total:
            block = os.urandom(min(BLOCK, total - sent))
            h.update(block)
            view = memoryview(block)
            while view:
                sock.settimeout(dl.remaining())
                n = sock.send(view[:CHUNK])
                view = view[n:]
                sent += n
    except Exception as e:  # reported by the caller
        if res is None:
            raise
        res["error"] = "send after %d bytes: %r" % (sent, e)
    return sent


def report(a, dl, token):
    s = connect(a, dl, "report %s\n" % token)
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        s.settimeout(dl.remaining())
        d = s.recv(4096)
        if not d:
            break
        data += d
    s.close()
    return data.decode().strip()


def cmd_echo(a, dl):
    s = connect(a, dl, "echo\n")
    res, hs = {}, hashlib.sha256()

    def sender():
        res["sent"] = send_random(s, a.bytes, dl, hs, res)
        if "error" not in res:
            s.shutdown(socket.SHUT_WR)

    t0 = time.monotonic()
    th = threading.Thread(target=sender)
    th.start()
    hr = hashlib.sha256()
    try:
        got = read_to_eof(s, dl.remaining, hr)
    except Exception as e:
        fail("echo: receive: %r" % e)
    secs = time.monotonic() - t0
    th.join(dl.remaining())
    s.close()
    if "error" in res:
        fail("echo: " + res["error"])
    print("echo bytes=%d received=%d secs=%.2f rate_MBps=%s sha=%s"
          % (res["sent"], got, secs, rate(got, secs), hr.hexdigest()[:16]))
    if got != a.bytes or hs.hexdigest() != hr.hexdigest():
        fail("echo: sent %d bytes sha256 %s, received %d sha256 %s"
             % (res["sent"], hs.hexdigest(), got, hr.hexdigest()))


def cmd_sink(a, dl):
    s = connect(a, dl, "sink\n")
    h = hashlib.sha256()
    t0 = time.monotonic()
    sent = send_random(s, a.bytes, dl, h)
    s.shutdown(socket.SHUT_WR)  # our FIN first: the answer comes after it
    answer = b""
    while True:
        s.settimeout(dl.remaining())
        d = s.recv(4096)
        if not d:
            break
        answer += d
    secs = time.monotonic() - t0
    s.close()
    want = "%d %s" % (sent, h.hexdigest())
    print("sink bytes=%d secs=%.2f rate_MBps=%s answer_after_our_fin=%r"
          % (sent, secs, rate(sent, secs), answer.decode().strip()[:24]))
    if answer.decode().strip() != want:
        fail("sink: upstream answered %r, want %r" % (answer, want))


def cmd_source(a, dl):
    token = "src%d-%d" % (os.getpid(), time.monotonic_ns())
    seed = random.randrange(1 << 30)
    s = connect(a, dl, "source %d %d %s\n" % (a.bytes, seed, token))
    t0 = time.monotonic()
    h = hashlib.sha256()
    got = read_to_eof(s, dl.remaining, h)  # EOF: the upstream half-closed first
    secs = time.monotonic() - t0
    want = hashlib.sha256()
    for block in pattern(seed, a.bytes):
        want.update(block)
    if got != a.bytes or h.hexdigest() != want.hexdigest():
        fail("source: received %d bytes sha256 %s, want %d sha256 %s"
             % (got, h.hexdigest(), a.bytes, want.hexdigest()))
    hb = hashlib.sha256()
    back = send_random(s, a.back, dl, hb)  # we may still send after the peer's FIN
    s.shutdown(socket.SHUT_WR)
    s.close()
    up = report(a, dl, token)
    print("source bytes=%d secs=%.2f rate_MBps=%s back=%d upstream_got=%r"
          % (got, secs, rate(got, secs), back, up[:24]))
    if up != "%d %s" % (back, hb.hexdigest()):
        fail("source: after the upstream's FIN we sent %d bytes sha256 %s; it got %r"
             % (back, hb.hexdigest(), up))


def cmd_cycles(a, dl):
    t0 = time.monotonic()
    for i in range(a.n):
        payload = os.urandom(a.size)
        try:
            s = connect(a, dl, "echo\n")
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            back = bytearray()
            while True:
                s.settimeout(dl.remaining())
                d = s.recv(CHUNK)
                if not d:
                    break
                back += d
            s.close()
        except (OSError, TimeoutError) as e:
            fail("cycles: cycle %d: %r" % (i, e))
        if bytes(back) != payload:
            fail("cycles: cycle %d: %d bytes back differ from the %d sent"
                 % (i, len(back), a.size))
    secs = time.monotonic() - t0
    print("cycles n=%d size=%d secs=%.2f per_sec=%.0f" % (a.n, a.size, secs, a.n / secs))


def cmd_refused(a, dl):
    t0 = time.monotonic()
    try:
        s = socket.create_connection((a.host, a.port), timeout=dl.remaining())
        s.sendall(b"echo\n")
        s.settimeout(dl.remaining())
        d = s.recv(4096)
        fail("refused: got %r instead of a reset" % d)
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError) as e:
        print("refused outcome=%s secs=%.3f" % (type(e).__name__, time.monotonic() - t0))
    except (OSError, TimeoutError) as e:
        fail("refused: %r instead of a reset" % e)


def cmd_rst(a, dl):
    token = "rst%d-%d" % (os.getpid(), time.monotonic_ns())
    s = connect(a, dl, "hold %s\n" % token)
    sent = send_random(s, a.bytes, dl, hashlib.sha256())
    time.sleep(0.2)
    # SO_LINGER {on, 0}: close() sends RST.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    up = report(a, dl, token)
    print("rst sent=%d upstream_saw=%r" % (sent, up))
    if up != "reset":
        fail("rst: the upstream saw %r, want a reset" % up)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--deadline", type=float, default=120.0, help="overall limit, seconds")
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("server")
    q.add_argument("addr")
    q.add_argument("port", type=int)
    for name in ("echo", "sink", "rst"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        q.add_argument("bytes", type=int)
    q = sub.add_parser("source")
    q.add_argument("host")
    q.add_argument("port", type=int)
    q.add_argument("bytes", type=int)
    q.add_argument("back", type=int)
    q = sub.add_parser("cycles")
    q.add_argument("host")
    q.add_argument("port", type=int)
    q.add_argument("n", type=int)
    q.add_argument("size", type=int)
    q = sub.add_parser("refused")
    q.add_argument("host")
    q.add_argument("port", type=int)
    a = p.parse_args()
    dl = Deadline(a.deadline)
    try:
        globals()["cmd_" + a.cmd](a, dl)
    except TimeoutError as e:
        fail("%s: %r" % (a.cmd, e))


if __name__ == "__main__":
    main()
