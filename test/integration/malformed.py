#!/usr/bin/env python3
"""Send malformed frames at the gateway and say what was sent (30-malformed).

Builds frames with scapy from a fixed seed and sends them out of IFACE to the
gateway's MAC through one packet socket, paced in batches so the gateway's
af_packet ring cannot overflow.  Every frame is one the gateway must drop
(nothing it would answer), and each kind is broken in exactly one way so the
drop reason it must land in is known where that is unambiguous.

IPv4 fragments are sent on top of --count (--fragments of them).  DPDK's
net_af_packet PMD (22.11) joins its sockets to a PACKET_FANOUT group with
PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles IPv4 fragments before the
gateway could see them; ours never complete, so on that port type they never
reach the gateway.  On net_pcap (no fanout group) they do.  The caller checks
which of the two happened.

Prints one JSON object on stdout:
  {"total": N, "fragments": F, "kinds": {kind: count},
   "expect": {"reason[|reason..]": min}, "skipped": {kind: why}}
"total" counts every frame sent, fragments included.  "expect" (fragments
excluded) says: the sum of the drop counters named in the key must have grown
by at least the value (a key with several reasons covers kinds that two checks
may legitimately claim, e.g. an IHL beyond the frame is also a total length
beyond it).  Progress goes to stderr.
"""
import argparse
import errno
import json
import random
import struct
import sys
import time

from scapy.all import ARP, ICMP, IP, Ether, conf, raw
from scapy.utils import checksum

ETH_IP = 0x0800
ETH_ARP = 0x0806


def ip_cksum_fix(ip_bytes, ihl=5):
    """Return ip_bytes with a correct header checksum over ihl*4 bytes."""
    b = bytearray(ip_bytes)
    b[10:12] = b"\0\0"
    hl = min(ihl * 4, len(b))
    b[10:12] = struct.pack("!H", checksum(bytes(b[:hl])))
    return bytes(b)


class Builder:
    """Makes one frame of each kind; every method returns the frame bytes."""

    def __init__(self, rnd, src_mac, dst_mac, src_ip, dst_ip):
        self.r = rnd
        self.src_mac, self.dst_mac = src_mac, dst_mac
        self.src_ip, self.dst_ip = src_ip, dst_ip
        self.eth_ip = raw(Ether(src=src_mac, dst=dst_mac, type=ETH_IP))
        self.eth_arp = raw(Ether(src=src_mac, dst=dst_mac, type=ETH_ARP))

    def rbytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def echo_ip(self, src=None, **ipkw):
        """A valid IPv4 ICMP echo request to the gateway (IP part only)."""
        r = self.r
        pkt = IP(src=src or self.src_ip, dst=self.dst_ip, ttl=64, id=r.getrandbits(16), **ipkw) / \
            ICMP(type=8, id=r.getrandbits(16), seq=r.getrandbits(16)) / self.rbytes(r.randint(0, 48))
        return raw(pkt)

    # --- IPv4 header ---------------------------------------------------------
    def ipv4_bad_cksum(self):
        ip = bytearray(self.echo_ip())
        good = struct.unpack("!H", ip[10:12])[0]
        ip[10:12] = struct.pack("!H", good ^ self.r.randint(1, 0xFFFF))
        return self.eth_ip + bytes(ip)

    def ipv4_truncated(self):
        return self.eth_ip + self.echo_ip()[:self.r.randint(0, 19)]

    def ipv4_ihl_small(self):
        ip = bytearray(self.echo_ip())
        ip[0] = 0x40 | self.r.randint(0, 4)
        return self.eth_ip + ip_cksum_fix(ip)

    def ipv4_ihl_beyond(self):
        # IHL*4 is more than the IP bytes in the frame; total length says the
        # frame's IP length (so it is also shorter than IHL*4).
        ip = bytearray(self.echo_ip())[:20] + self.rbytes(self.r.randint(0, 36))
        ihl = self.r.randint(len(ip) // 4 + 1, 15)
        ip[0] = 0x40 | ihl
        ip[2:4] = struct.pack("!H", len(ip))
        return self.eth_ip + ip_cksum_fix(ip, 5)

    def ipv4_len_long(self):
        ip = bytearray(self.echo_ip())
        ip[2:4] = struct.pack("!H", len(ip) + self.r.randint(1, 1400))
        return self.eth_ip + ip_cksum_fix(ip)

    def ipv4_len_short(self):
        ip = bytearray(self.echo_ip())
        ip[2:4] = struct.pack("!H", self.r.randint(0, 19))
        return self.eth_ip + ip_cksum_fix(ip)

    def ipv4_bad_version(self):
        ip = bytearray(self.echo_ip())
        ip[0] = (self.r.choice([0, 6, 15]) << 4) | 5
        return self.eth_ip + ip_cksum_fix(ip)

    def ipv4_fragment_mf(self):
        return self.eth_ip + self.echo_ip(flags="MF", frag=0)

    def ipv4_fragment_offset(self):
        flags = self.r.choice(["", "MF"])
        return self.eth_ip + self.echo_ip(flags=flags, frag=self.r.randint(1, 8191))

    def ipv4_ttl_zero(self):
        ip = bytearray(self.echo_ip())
        ip[8] = 0
        return self.eth_ip + ip_cksum_fix(ip)

    def ipv4_bad_src(self):
        r = self.r
        src = r.choice([
            "0.0.0.0", "255.255.255.255",
            "%d.%d.%d.%d" % (r.randint(224, 239), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)),
            "127.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)),
            self.dst_ip])
        return self.eth_ip + self.echo_ip(src=src)

    # --- ICMP ----------------------------------------------------------------
    def icmp_bad_cksum(self):
        ip = bytearray(self.echo_ip())
        good = struct.unpack("!H", ip[22:24])[0]
        ip[22:24] = struct.pack("!H", good ^ self.r.randint(1, 0xFFFF))
        return self.eth_ip + bytes(ip)

    def icmp_runt(self):
        n = self.r.randint(0, 7)
        ip = bytearray(self.echo_ip()[:20 + n])
        ip[2:4] = struct.pack("!H", len(ip))
        return self.eth_ip + ip_cksum_fix(ip)

    # --- Ethernet ------------------------------------------------------------
    def eth_unknown_type(self):
        # IPv6, LLDP, local experimental, arbitrary, and 802.3 length fields.
        t = self.r.choice([0x86DD, 0x88CC, 0x88B5, 0x1234, 0x9000, 0xFFFF, 0x0040, 0x05DC])
        return raw(Ether(src=self.src_mac, dst=self.dst_mac, type=t)) + self.rbytes(self.r.randint(0, 64))

    def eth_runt(self):
        return raw(Ether(src=self.src_mac, dst=self.dst_mac, type=ETH_IP))[:self.r.randint(1, 13)]

    def random_ours(self):
        # Random bytes after our MAC; half of them claim to be IPv4 so the
        # IPv4 parser sees random headers too.
        b = bytearray(self.rbytes(self.r.randint(14, 200)))
        b[0:6] = bytes.fromhex(self.dst_mac.replace(":", ""))
        if self.r.random() < 0.5:
            b[12:14] = struct.pack("!H", ETH_IP)
        return bytes(b)

    def random_any(self):
        # Random bytes from the first byte on: random (mostly not our)
        # destination MACs, multicast ones included.
        return self.rbytes(self.r.randint(14, 200))

    # --- ARP -----------------------------------------------------------------
    def arp_req(self, **kw):
        a = dict(op=1, hwsrc=self.src_mac, psrc=self.src_ip, pdst=self.dst_ip)
        a.update(kw)
        return raw(ARP(**a))

    def arp_bad_hw(self):
        if self.r.random() < 0.5:
            return self.eth_arp + self.arp_req(hwtype=self.r.choice([0, 6, 0x1234]))
        b = bytearray(self.arp_req())
        b[4] = self.r.choice([0, 4, 8])  # hardware length
        return self.eth_arp + bytes(b)

    def arp_bad_proto(self):
        if self.r.random() < 0.5:
            return self.eth_arp + self.arp_req(ptype=self.r.choice([0x86DD, 0x0806, 0]))
        b = bytearray(self.arp_req())
        b[5] = self.r.choice([0, 6, 16])  # protocol length
        return self.eth_arp + bytes(b)

    def arp_bad_op(self):
        return self.eth_arp + self.arp_req(op=self.r.choice([0, 3, 4, 9, 0xFFFF]))

    def arp_runt(self):
        return self.eth_arp + self.arp_req()[:self.r.randint(0, 27)]


# kind -> drop reasons it may legitimately land in (None: any drop reason).
KINDS = {
    "ipv4_bad_cksum": ["ipv4_bad_cksum"],
    "ipv4_truncated": ["ipv4_runt"],
    "ipv4_ihl_small": ["ipv4_bad_ihl"],
    "ipv4_ihl_beyond": ["ipv4_bad_ihl", "ipv4_bad_len"],
    "ipv4_len_long": ["ipv4_bad_len"],
    "ipv4_len_short": ["ipv4_bad_len"],
    "ipv4_bad_version": ["ipv4_bad_version"],
    "ipv4_ttl_zero": ["ipv4_ttl_zero"],
    "ipv4_bad_src": ["ipv4_bad_src"],
    "icmp_bad_cksum": ["icmp_bad_cksum"],
    "icmp_runt": ["icmp_runt"],
    "eth_runt": ["eth_runt"],
    "eth_unknown_type": ["eth_unknown_type"],
    "arp_bad_hw": ["arp_bad_hw"],
    "arp_bad_proto": ["arp_bad_proto"],
    "arp_bad_op": ["arp_bad_op"],
    "arp_runt": ["arp_runt"],
    "random_ours": None,
    "random_any": None,
}


# Sent on top of --count; see the module comment.
FRAGMENT_KINDS = ["ipv4_fragment_mf", "ipv4_fragment_offset"]


def expectations(kinds):
    """For every reason set S of some kind, the sum of the counters in S must
    have grown by at least the frames of all kinds whose reasons lie in S."""
    sets = {tuple(sorted(v)) for k, v in KINDS.items() if v and kinds.get(k)}
    out = {}
    for s in sorted(sets):
        n = sum(c for k, c in kinds.items()
                if k in KINDS and KINDS[k] and set(KINDS[k]) <= set(s))
        out["|".join(s)] = n
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--src-mac", required=True)
    ap.add_argument("--dst-mac", required=True, help="the gateway's MAC")
    ap.add_argument("--src-ip", required=True)
    ap.add_argument("--dst-ip", required=True, help="the gateway's address")
    ap.add_argument("--count", type=int, default=10000, help="frames, fragments not included")
    ap.add_argument("--fragments", type=int, default=1000, help="IPv4 fragments sent on top")
    ap.add_argument("--seed", type=int, default=20240502)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--pause", type=float, default=0.01, help="seconds between batches")
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    b = Builder(rnd, args.src_mac.lower(), args.dst_mac.lower(), args.src_ip, args.dst_ip)
    conf.verb = 0
    s = conf.L2socket(iface=args.iface)
    # The raw packet socket under scapy's: scapy's own send() pads frames the
    # kernel refuses to 60 bytes and retries, which would hide a refusal.
    sock = s.outs

    skipped = {}
    kinds = [k for k in KINDS]
    # Probe whether the kernel sends runt Ethernet frames at all.
    try:
        sock.send(b.eth_runt())
        probe_sent = True
    except OSError as e:
        probe_sent = False
        skipped["eth_runt"] = "kernel refused a %s-byte frame: %s" % ("<14", errno.errorcode.get(e.errno, e.errno))
        kinds.remove("eth_runt")
        print("malformed: skipping runt Ethernet frames: the kernel refuses them (%s)" %
              errno.errorcode.get(e.errno, e.errno), file=sys.stderr)

    counts = {k: 0 for k in kinds}
    if probe_sent:
        counts["eth_runt"] = 1
    total = 1 if probe_sent else 0
    per_kind = args.count // len(kinds)
    plan = []
    for k in kinds:
        plan += [k] * per_kind
    plan += ["random_ours"] * (args.count - total - len(plan))
    for i in range(args.fragments):
        plan.append(FRAGMENT_KINDS[i % len(FRAGMENT_KINDS)])
        counts.setdefault(plan[-1], 0)
    rnd.shuffle(plan)

    t0 = time.monotonic()
    for i in range(0, len(plan), args.batch):
        for k in plan[i:i + args.batch]:
            frame = getattr(b, k)()
            while True:
                try:
                    sock.send(frame)
                    break
                except OSError as e:
                    if e.errno in (errno.ENOBUFS, errno.EAGAIN):
                        time.sleep(0.001)
                        continue
                    print("malformed: send of a %s frame (%d bytes) failed: %s" % (k, len(frame), e),
                          file=sys.stderr)
                    raise
            counts[k] += 1
            total += 1
        time.sleep(args.pause)
    s.close()
    print("malformed: sent %d frames in %.1f s" % (total, time.monotonic() - t0), file=sys.stderr)
    counts = {k: v for k, v in counts.items() if v}
    frags = sum(counts.get(k, 0) for k in FRAGMENT_KINDS)
    print(json.dumps({"total": total, "fragments": frags, "kinds": counts,
                      "expect": expectations(counts), "skipped": skipped}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
