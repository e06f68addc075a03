#!/usr/bin/python3
"""tcp_abuse.py — hostile traffic for test/integration/84-tcp-abuse.sh.

Writes Ethernet frames straight onto the client namespace's veth with an
AF_PACKET socket (fast enough for 100,000 frames in seconds; scapy is used
only to check our frame builder in a self-test).  Every frame is a valid
IPv4 packet from 198.18.0.0/24 to the gateway, so the gateway's TCP layer
sees each one; what is inside the TCP header is the abuse.

  tcp_abuse.py flood IFACE SRC_MAC DST_MAC DST_IP PORT COUNT SECONDS SEED
      COUNT SYNs from random spoofed sources and ports, spread over SECONDS
  tcp_abuse.py fuzz IFACE SRC_MAC DST_MAC SRC_IP DST_IP PORT COUNT SEED [LIVE_PORT]
      COUNT random TCP segments (flags, options, data offsets, lengths,
      sequence and acknowledgment numbers) to PORT; half from SRC_IP (our
      real address), half from spoofed ones.  With LIVE_PORT (the client
      port of an established connection SRC_IP:LIVE_PORT -> DST_IP:PORT,
      e.g. the holder's), every fourth segment goes to that connection
      instead, its sequence and acknowledgment numbers within +-70,000 of
      the live ones and its timestamps and SACK blocks near them: the live
      values are sniffed from the connection's own frames (both directions)
      on the same packet socket, which does not see the frames it sends.
      Only the live values come from outside; every choice is seeded.
  tcp_abuse.py hold HOST PORT SECONDS STOPFILE
      a Linux TCP connection to the echo service HOST:PORT: prints its local
      port (first line), then sends a 16-byte message every 50 ms and reads
      the echo until SECONDS passed or STOPFILE exists.  Prints
      "outcome=O rtt=N ..." with O one of alive (echoes still coming back
      at the end), stalled (open, but nothing echoed for the last second: an
      on-path attacker can desynchronize a connection), reset or closed (by
      the gateway).  It then closes: gracefully when alive, else abortively
      (an RST).  Exits 0 whatever the outcome; 1 if it could not connect.

Prints "sent=N" (fuzz) and exits 0.
"""

import os
import random
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def frame(src_mac, dst_mac, src_ip, dst_ip, tcp):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def tcp_seg(src_ip, dst_ip, sport, dport, seq, ack, flags, win, opts=b"", data=b"",
            doff=None, good_csum=True):
    pad = (4 - len(opts) % 4) % 4
    opts += b"\0" * pad
    hlen = 20 + len(opts)
    off = (hlen // 4) if doff is None else doff
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (off & 0xF) << 4, flags, win, 0, 0) + opts
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src_ip), socket.inet_aton(dst_ip), 0, 6,
                         len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    if not good_csum:
        c ^= 0x5A5A
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


def spoofed(rng):
    return "198.18.0.%d" % rng.randint(3, 254)


def cmd_flood(a):
    iface, smac, dmac, dst, port, count, secs, seed = a
    port, count, secs = int(port), int(count), float(secs)
    rng = random.Random(int(seed))
    smac, dmac = mac(smac), mac(dmac)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    mss = b"\x02\x04\x05\xb4"
    t0 = time.monotonic()
    for i in range(count):
        src = spoofed(rng)
        seg = tcp_seg(src, dst, rng.randint(1024, 65535), port, rng.getrandbits(32), 0, 0x02,
                      64240, mss)
        s.send(frame(smac, dmac, src, dst, seg))
        # Spread over secs: sleep when ahead of schedule (every 1,000 frames).
        if i % 1000 == 999:
            ahead = t0 + secs * (i + 1) / count - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    print("sent=%d secs=%.2f" % (count, time.monotonic() - t0))


def random_opts(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return b""
    if kind == 1:  # well-formed mix
        return rng.choice([b"\x02\x04\x05\xb4", b"\x01\x03\x03\x07", b"\x04\x02",
                           b"\x08\x0a" + rng.getrandbits(64).to_bytes(8, "big")])
    if kind == 2:  # a length byte that runs past the header
        return bytes([rng.choice([2, 3, 5, 8]), rng.randint(10, 60)]) + b"\0" * 2
    if kind == 3:  # zero or one length (loops, if mishandled)
        return bytes([rng.randint(2, 30), rng.choice([0, 1])]) + b"\0" * 2
    if kind == 4:  # SACK blocks, plausible and not
        n = rng.randint(1, 4)
        body = b"".join(rng.getrandbits(32).to_bytes(4, "big") for _ in range(2 * n))
        return b"\x01\x01\x05" + bytes([2 + 8 * n]) + body
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40)))


ETH_P_ALL = 0x0003
LIVE_SPAN = 70000  # live segments: seq and ack within this of the live values


class Live:
    """The latest sequence numbers of one connection, sniffed off the wire.

    cseq: the client's next sequence number (the gateway's RCV.NXT);
    gseq: the gateway's (what the client acknowledges); ctsv / gtsv: the
    latest timestamps (TSval) each side sent; frames: how many were seen
    from the client and from the gateway.
    """

    def __init__(self, cip, cport, gip, gport):
        self.c = (socket.inet_aton(cip), cport)
        self.g = (socket.inet_aton(gip), gport)
        self.cseq = self.gseq = None
        self.ctsv = self.gtsv = 0
        self.frames = [0, 0]  # seen from the client, from the gateway

    def take(self, f):
        if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
            return
        ihl = (f[14] & 0xF) * 4
        src, dst = f[26:30], f[30:34]
        t = 14 + ihl
        if len(f) < t + 20:
            return
        sport, dport, seq, ack = struct.unpack("!HHII", f[t:t + 12])
        doff, flags = (f[t + 12] >> 4) * 4, f[t + 13]
        if (src, sport) == self.c and (dst, dport) == self.g:
            out = True
        elif (src, sport) == self.g and (dst, dport) == self.c:
            out = False
        else:
            return
        iplen = struct.unpack("!H", f[16:18])[0]
        end = (seq + max(0, iplen - ihl - doff) + (flags & 0x01) + ((flags >> 1) & 0x01)) & 0xFFFFFFFF
        tsv = tsval(f[t + 20:t + doff])
        if out:
            self.cseq = end
            if flags & 0x10:
                self.gseq = ack
            if tsv is not None:
                self.ctsv = tsv
        else:
            self.gseq = end
            if flags & 0x10:
                self.cseq = ack
            if tsv is not None:
                self.gtsv = tsv
        self.frames[0 if out else 1] += 1

    def drain(self, sock, most=256):
        for _ in range(most):
            try:
                self.take(sock.recv(65535))
            except BlockingIOError:
                return


def tsval(opts):
    """TSval of a timestamp option in opts, or None."""
    i = 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            return None
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            return None
        if k == 8 and opts[i + 1] == 10 and i + 10 <= len(opts):
            return struct.unpack("!I", opts[i + 2:i + 6])[0]
        i += opts[i + 1]
    return None


def live_opts(rng, live):
    """Options for a live segment: timestamps and SACK blocks near the live values, or random."""
    kind = rng.randrange(5)
    ts = b"\x01\x01\x08\x0a" + struct.pack("!II", (live.ctsv + rng.randint(-5000, 5000)) & 0xFFFFFFFF,
                                            (live.gtsv + rng.randint(-5000, 5000)) & 0xFFFFFFFF)
    n = rng.randint(1, 3)
    sack = b"\x01\x01\x05" + bytes([2 + 8 * n])
    for _ in range(n):
        # Anywhere near, or just around what the gateway has in flight.
        left = live.gseq + (rng.randint(-LIVE_SPAN, LIVE_SPAN) if rng.random() < 0.5
                            else rng.randint(-3000, 16))
        sack += struct.pack("!II", left & 0xFFFFFFFF, (left + rng.randint(-100, 3000)) & 0xFFFFFFFF)
    if kind == 0:
        return random_opts(rng)
    if kind == 1:
        return ts
    if kind == 2:
        return sack
    if kind == 3:
        return ts + sack
    return b""


def live_seg(rng, live, src, dst, sport, dport):
    """A segment for the live connection: plausible numbers, hostile content."""
    opts = live_opts(rng, live)[:40]
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 0, 1, 7, 100, 1000])))
    flags = rng.getrandbits(8)
    if rng.random() < 0.7:  # mostly ACKs, to get past the ACK check
        flags |= 0x10
    doff = None if rng.random() < 0.95 else rng.randint(0, 15)
    seq = live.cseq + rng.randint(-LIVE_SPAN, LIVE_SPAN)
    ack = live.gseq + rng.randint(-LIVE_SPAN, LIVE_SPAN)
    win = rng.choice([0, rng.getrandbits(16), 65535])
    return tcp_seg(src, dst, sport, dport, seq, ack, flags, win, opts, data, doff,
                   good_csum=rng.random() < 0.97)


def send(s, f):
    """Send one frame; the sniffing socket is non-blocking, so wait when its queue is full."""
    for _ in range(100):
        try:
            s.send(f)
            return
        except BlockingIOError:
            select.select([], [s], [], 0.01)
    sys.exit("fuzz: could not send a frame for 1 s")


def cmd_fuzz(a):
    if len(a) not in (8, 9):
        sys.exit("usage: fuzz IFACE SRC_MAC DST_MAC SRC_IP DST_IP PORT COUNT SEED [LIVE_PORT]")
    iface, smac, dmac, src_ip, dst, port, count, seed = a[:8]
    port, count = int(port), int(count)
    live_port = int(a[8]) if len(a) == 9 else None
    rng = random.Random(int(seed))
    smac, dmac = mac(smac), mac(dmac)
    if live_port is None:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        live = None
    else:
        # One socket sends and sniffs: a packet socket gets every frame on
        # the interface, both directions, except those it sent itself.
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((iface, ETH_P_ALL))
        s.setblocking(False)
        live = Live(src_ip, live_port, dst, port)
        deadline = time.monotonic() + 5
        while live.cseq is None or live.gseq is None:
            if time.monotonic() > deadline:
                sys.exit("fuzz: no frame of %s:%d -> %s:%d seen in 5 s" % (src_ip, live_port, dst, port))
            select.select([s], [], [], 0.1)
            live.drain(s)
    n_live = 0
    t0 = time.monotonic()
    for i in range(count):
        if live is not None and i % 4 == 3:
            live.drain(s)
            seg = live_seg(rng, live, src_ip, dst, live_port, port)
            send(s, frame(smac, dmac, src_ip, dst, seg))
            n_live += 1
            continue
        src = src_ip if i % 2 == 0 else spoofed(rng)
        opts = random_opts(rng)
        if len(opts) > 40:
            opts = opts[:40]
        data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 7, 100, 1000])))
        doff = None if rng.random() < 0.8 else rng.randint(0, 15)
        seg = tcp_seg(src, dst, rng.choice([rng.randint(1, 65535), 40000]), port,
                      rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(8),
                      rng.getrandbits(16), opts, data, doff, good_csum=rng.random() < 0.9)
        send(s, frame(smac, dmac, src, dst, seg))
    if live is None:
        print("sent=%d" % count)
    else:
        live.drain(s)
        print("sent=%d live=%d sniffed_from_client=%d sniffed_from_gw=%d secs=%.2f" %
              (count, n_live, live.frames[0], live.frames[1], time.monotonic() - t0))


def cmd_hold(a):
    host, port, secs, stopfile = a[0], int(a[1]), float(a[2]), a[3]
    msg_len = 16
    try:
        c = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        sys.exit("hold: connect %s:%d: %r" % (host, port, e))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(c.getsockname()[1], flush=True)
    c.setblocking(False)
    t0 = time.monotonic()
    end = t0 + secs
    sent = want = b""
    tx = rx = rtt = mismatch = 0
    last_rx = t0  # when the last echo came back
    next_send = t0
    outcome = None
    while outcome is None:
        now = time.monotonic()
        if now >= end or os.path.exists(stopfile):
            break
        if now >= next_send:
            next_send = now + 0.05
            msg = b"hold %010d\n" % tx
            try:
                n = c.send(msg)
                tx += 1
                want += msg[:n]
            except BlockingIOError:
                pass  # send buffer full: the connection is stuck
            except (ConnectionResetError, BrokenPipeError):
                outcome = "reset"
                break
        r, _, _ = select.select([c], [], [], max(0.0, min(next_send, end) - time.monotonic()))
        if not r:
            continue
        try:
            got = c.recv(65536)
        except BlockingIOError:
            continue
        except ConnectionResetError:
            outcome = "reset"
            break
        if not got:
            outcome = "closed"
            break
        rx += len(got)
        last_rx = time.monotonic()
        # Injected data comes back in the echo too: count, do not fail.
        if got != want[:len(got)]:
            mismatch += 1
        want = want[len(got):]
        if not want:
            rtt += 1
    if outcome is None:
        outcome = "alive" if time.monotonic() - last_rx < 1.0 else "stalled"
    secs_held = time.monotonic() - t0
    closing = "abort"
    if outcome == "alive":
        # Gracefully: FIN, then the gateway's echo of what is left and its FIN.
        try:
            c.shutdown(socket.SHUT_WR)
            dl = time.monotonic() + 3
            while time.monotonic() < dl:
                r, _, _ = select.select([c], [], [], dl - time.monotonic())
                if r and not c.recv(65536):
                    closing = "fin"
                    break
        except OSError:
            pass
    if closing != "fin":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("outcome=%s rtt=%d msgs=%d rx_bytes=%d mismatched_reads=%d secs=%.1f close=%s" %
          (outcome, rtt, tx, rx, mismatch, secs_held, closing), flush=True)


def selftest():
    """Our builder against scapy's view of the same bytes."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    f = frame(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), "198.18.0.9", "198.18.0.1",
              tcp_seg("198.18.0.9", "198.18.0.1", 1234, 7, 5, 0, 0x02, 1000, b"\x02\x04\x05\xb4"))
    p = Ether(f)
    ip_sum, tcp_sum = p[IP].chksum, p[TCP].chksum
    del p[IP].chksum
    del p[TCP].chksum
    q = Ether(bytes(p))
    assert q[IP].chksum == ip_sum and q[TCP].chksum == tcp_sum, "checksums differ"
    print("selftest ok")


def main():
    if sys.argv[1] == "flood":
        cmd_flood(sys.argv[2:])
    elif sys.argv[1] == "fuzz":
        cmd_fuzz(sys.argv[2:])
    elif sys.argv[1] == "hold":
        cmd_hold(sys.argv[2:])
    else:
        selftest()
    return 0


if __name__ == "__main__":
    sys.exit(main())
