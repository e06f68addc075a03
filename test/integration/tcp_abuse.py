#!/usr/bin/python3
"""tcp_abuse.py — hostile traffic for test/integration/84-tcp-abuse.sh.

Writes Ethernet frames straight onto the client namespace's veth with an
AF_PACKET socket (fast enough for 100,000 frames in seconds; scapy is used
only to check our frame builder in a self-test).  Every frame is a valid
IPv4 packet from 198.18.0.0/24 to the gateway, so the gateway's TCP layer
sees each one; what is inside the TCP header is the abuse.

  tcp_abuse.py flood IFACE SRC_MAC DST_MAC DST_IP PORT COUNT SECONDS SEED
      COUNT SYNs from random spoofed sources and ports, spread over SECONDS
  tcp_abuse.py fuzz IFACE SRC_MAC DST_MAC SRC_IP DST_IP PORT COUNT SEED
      COUNT random TCP segments (flags, options, data offsets, lengths,
      sequence and acknowledgment numbers) to PORT; half from SRC_IP (our
      real address), half from spoofed ones

Prints "sent=N" and exits 0.
"""

import random
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


def cmd_fuzz(a):
    iface, smac, dmac, src_ip, dst, port, count, seed = a
    port, count = int(port), int(count)
    rng = random.Random(int(seed))
    smac, dmac = mac(smac), mac(dmac)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for i in range(count):
        src = src_ip if i % 2 == 0 else spoofed(rng)
        opts = random_opts(rng)
        if len(opts) > 40:
            opts = opts[:40]
        data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 7, 100, 1000])))
        doff = None if rng.random() < 0.8 else rng.randint(0, 15)
        seg = tcp_seg(src, dst, rng.choice([rng.randint(1, 65535), 40000]), port,
                      rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(8),
                      rng.getrandbits(16), opts, data, doff, good_csum=rng.random() < 0.9)
        s.send(frame(smac, dmac, src, dst, seg))
    print("sent=%d" % count)


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
    else:
        selftest()
    return 0


if __name__ == "__main__":
    sys.exit(main())
