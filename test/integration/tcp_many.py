#!/usr/bin/python3
"""tcp_many.py — many connections at once, for test/integration/82-tcp-scale.sh.

  tcp_many.py hold HOST PORT N    open N connections to an echo service, echo
                                  8 bytes on each, print "open N", then wait
                                  for a line on stdin and close them all
Exits 1 (reason on stderr) if a connection or an echo fails.  Bounded: every
socket operation has a timeout.
"""

import resource
import selectors
import socket
import sys
import time


def main():
    host, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 100), max(hard, n + 100)))
    socks = []
    deadline = time.monotonic() + 120
    # Connect in waves of 200 so the backlog (and our SYN rate) stay sane.
    for base in range(0, n, 200):
        wave = []
        for i in range(base, min(n, base + 200)):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((host, port))
            wave.append(s)
        sel = selectors.DefaultSelector()
        for s in wave:
            sel.register(s, selectors.EVENT_WRITE)
        pending = len(wave)
        while pending:
            if time.monotonic() > deadline:
                print("FAIL: connects timed out", file=sys.stderr)
                return 1
            for key, _ in sel.select(5):
                s = key.fileobj
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    print("FAIL: connect: errno %d" % err, file=sys.stderr)
                    return 1
                sel.unregister(s)
                pending -= 1
        sel.close()
        for s in wave:
            s.setblocking(True)
            s.settimeout(10)
            s.sendall(b"12345678")
        for s in wave:
            got = b""
            while len(got) < 8:
                d = s.recv(8 - len(got))
                if not d:
                    print("FAIL: echo: connection closed", file=sys.stderr)
                    return 1
                got += d
            if got != b"12345678":
                print("FAIL: echo: %r" % got, file=sys.stderr)
                return 1
        socks += wave
    print("open %d" % len(socks), flush=True)
    sys.stdin.readline()
    for s in socks:
        s.close()
    print("closed %d" % len(socks), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
