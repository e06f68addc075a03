#!/usr/bin/python3
"""hold_idle.py — hold N idle TCP connections, for tools/bench (the scale section).

  hold_idle.py HOST PORT N    connect N times (waves of 500), print "held N"
                              once every connection is established, then wait
                              for stdin to close (or 600 s) and close them all
Nothing is sent: the connections are idle from the first byte.  Exits 1 with
the reason on stderr if a connection fails or the handshakes take over 120 s.
"""
import resource
import selectors
import socket
import sys
import time


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 100), max(hard, n + 100)))
    socks, deadline = [], time.monotonic() + 120
    for base in range(0, n, 500):
        sel = selectors.DefaultSelector()
        for _ in range(base, min(n, base + 500)):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((host, port))
            sel.register(s, selectors.EVENT_WRITE)
            socks.append(s)
        pending = len(sel.get_map())
        while pending:
            if time.monotonic() > deadline:
                print("handshakes took over 120 s", file=sys.stderr)
                return 1
            for key, _ in sel.select(timeout=1):
                err = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    print(f"connect failed: errno {err}", file=sys.stderr)
                    return 1
                sel.unregister(key.fileobj)
                pending -= 1
        sel.close()
    print(f"held {len(socks)}", flush=True)
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ)
    sel.select(timeout=600)
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
