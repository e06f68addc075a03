"""bench_tcp.py — the TCP section of tools/bench/run.

Bulk throughput of the gateway's userspace TCP stack against the Linux stack:
the client namespace's kernel TCP talks to the gateway's built-in services
(discard: upload, source: download, echo: both at once) over net_af_packet,
and, as the baseline, to the same services served by the Linux stack itself
(tools/bench/kernel_services.py) in a namespace of their own on a veth pair
built the same way (TX checksum offload off, so no TSO either).  The client
is test/integration/tcp_client.py in both cases, so only the server side
differs.  Also: the gateway worker's CPU seconds per GB moved, and
connect/echo/close cycles per second.

Addresses: the test bed's (tools/netns.sh) plus 198.18.3.0/24 for the
baseline link; nothing routes anywhere else.
"""
import json
import os
import secrets
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETNS = os.path.join(ROOT, "tools/netns.sh")
CLIENT = os.path.join(ROOT, "test/integration/tcp_client.py")
KSERV = os.path.join(ROOT, "tools/bench/kernel_services.py")
PORTS = {"echo": 7, "discard": 9, "source": 19}
K_ADDR_CLIENT, K_ADDR_SERVER = "198.18.3.1", "198.18.3.2"


def sh(*argv, check=True, timeout=60):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    return r.stdout


class TcpBed:
    """The netns test bed with a gateway serving echo/discard/source, plus a
    kernel baseline namespace linked to the client namespace."""

    def __init__(self, b, log):
        self.b, self.log = b, log
        self.run = "b" + secrets.token_hex(3)
        self.env, self.gw, self.kserv, self.kns = {}, None, None, None

    def up(self):
        out = sh(NETNS, "up", self.run)
        self.env = dict(ln.split("=", 1) for ln in out.splitlines() if ln.startswith("MG_"))
        port = 15000 + int(self.run[1:], 16) % 5000
        cfg = sh(NETNS, "config", self.run, "idle=adaptive", f"port={port}",
                 f"prefix=mg-{self.run}")
        cfg += "tcp:\n  services: { echo: 7, discard: 9, source: 19 }\n"
        path = os.path.join(self.b.work, f"tcp-{self.run}.yaml")
        with open(path, "w") as f:
            f.write(cfg)
        self.admin = f"http://127.0.0.1:{port}"
        self.gw = self.b.start(["ip", "netns", "exec", self.env["MG_NS_GW"], self.b.args.bin,
                                "--config", path], "tcp-gateway.log")
        deadline = time.time() + 30
        while self.http("/ready") != "LIVE":
            if self.gw.poll() is not None or time.time() > deadline:
                raise RuntimeError("tcp: the gateway did not become ready; see tcp-gateway.log")
            time.sleep(0.2)
        self.kernel_up()

    def kernel_up(self):
        # The baseline: a veth from the client namespace to a namespace whose
        # kernel serves the same protocols.
        self.kns = f"mgk-{self.run}"
        cns, a, z = self.env["MG_NS_CLIENT"], f"mgka{self.run}", f"mgkz{self.run}"
        sh("ip", "netns", "add", self.kns)
        sh("ip", "link", "add", a, "netns", cns, "type", "veth", "peer", "name", z,
           "netns", self.kns)
        for ns, dev, addr in ((cns, a, K_ADDR_CLIENT), (self.kns, z, K_ADDR_SERVER)):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", check=False)
        sh("ip", "-n", self.kns, "link", "set", "lo", "up")
        self.kserv = self.b.start(["ip", "netns", "exec", self.kns, "/usr/bin/python3", KSERV,
                                   "--lifetime", "1800"], "tcp-kernel-services.log",
                                  stdout=subprocess.PIPE)
        if self.kserv.stdout.readline().strip() != b"ready":
            raise RuntimeError("tcp: kernel_services.py did not start")

    def http(self, path):
        try:
            return sh("ip", "netns", "exec", self.env["MG_NS_GW"], "curl", "-sS", "--max-time",
                      "3", self.admin + path, check=False, timeout=10).strip()
        except subprocess.TimeoutExpired:
            return ""

    def worker_cpu(self):
        """CPU seconds of the gateway's worker thread(s)."""
        pid = self.gw.pid  # `ip netns exec` execs the gateway: same PID
        total = 0.0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(("rte-worker", "lcore-worker")):
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def client(self, *args, deadline=300):
        out = sh("ip", "netns", "exec", self.env["MG_NS_CLIENT"], "/usr/bin/python3", CLIENT,
                 "--deadline", str(deadline), *args, timeout=deadline + 30)
        return dict(kv.split("=", 1) for kv in out.split()[1:] if "=" in kv)

    def down(self):
        for p in (self.gw, self.kserv):
            if p is not None and p.poll() is None:
                rc = self.b.stop(p)
                if p is self.gw and rc != 0:
                    self.log(f"tcp: gateway exit status {rc} on SIGTERM (want 0)")
                    self.gw_rc = rc
        if self.kns:
            sh("ip", "netns", "del", self.kns, check=False)
        if self.env:
            sh(NETNS, "down", self.run, check=False)


def section_tcp(b, mode, log):
    quick = mode == "quick"
    size = (32 if quick else 256) << 20
    runs = b.args.runs
    res = {"status": "ok", "config": {"bytes": size, "runs": runs, "workers": 1,
                                      "idle": "adaptive", "gateway_port": "net_af_packet",
                                      "baseline": "Linux TCP in a namespace, veth, tx off"}}
    bed = TcpBed(b, log)
    bed.gw_rc = 0
    try:
        log(f"tcp: test bed {bed.run}; {size >> 20} MiB per transfer, {runs} run(s)")
        bed.up()
        rows = []
        for kind in ("discard", "source", "echo"):
            for target in ("meshgate", "linux"):
                host = bed.env["MG_ADDR_GW_CLIENT"] if target == "meshgate" else K_ADDR_SERVER
                rates, cpu = [], []
                for _ in range(runs):
                    c0 = bed.worker_cpu() if target == "meshgate" else 0
                    r = bed.client(kind, host, str(PORTS[kind]), str(size))
                    rates.append(float(r["rate_MBps"]))
                    if target == "meshgate":
                        moved = size * (2 if kind == "echo" else 1)
                        cpu.append((bed.worker_cpu() - c0) / (moved / 1e9))
                row = {"service": kind, "server": target, "MBps": rates,
                       "median_MBps": statistics.median(rates)}
                if cpu:
                    row["worker_cpu_s_per_GB"] = round(statistics.median(cpu), 3)
                rows.append(row)
                log(f"  {kind:8} {target:8} {row['median_MBps']:8.1f} MB/s"
                    + (f"  worker {row['worker_cpu_s_per_GB']:.2f} CPU s/GB" if cpu else ""))
        res["throughput"] = rows
        n = 200 if quick else 2000
        cyc = {}
        for target in ("meshgate", "linux"):
            host = bed.env["MG_ADDR_GW_CLIENT"] if target == "meshgate" else K_ADDR_SERVER
            cyc[target] = float(bed.client("cycles", host, "7", str(n), "100")["per_sec"])
            log(f"  cycles   {target:8} {cyc[target]:8.0f} connect/echo 100 B/close per s")
        res["cycles_per_s"] = cyc
        res["cycles_n"] = n
        stats = json.loads(bed.http("/stats") or "{}")
        res["gateway_tcp"] = {k: v for k, v in stats.get("tcp_total", {}).items()
                              if k in ("retransmits", "rto_expired", "seg_in", "seg_out")}
    finally:
        bed.down()
    if bed.gw_rc != 0:
        raise RuntimeError(f"meshgate exit status on SIGTERM: {bed.gw_rc} (want 0)")
    return res


def markdown_tcp(t):
    if not t.get("throughput"):
        return []
    out = ["", "## TCP bulk throughput (1 worker, net_af_packet, Linux TCP client)", "",
           f"{t['config']['bytes'] >> 20} MiB per transfer, median of {t['config']['runs']}; "
           "1 MB = 10^6 bytes.  The baseline serves the same protocols from the Linux stack "
           "over a veth built the same way.", "",
           "| service | meshgate MB/s | Linux MB/s | meshgate/Linux | meshgate worker CPU s/GB |",
           "|---|---|---|---|---|"]
    by = {(r["service"], r["server"]): r for r in t["throughput"]}
    for kind in ("discard", "source", "echo"):
        m, k = by[(kind, "meshgate")], by[(kind, "linux")]
        out.append(f"| {kind} | {m['median_MBps']:.1f} | {k['median_MBps']:.1f} | "
                   f"{m['median_MBps'] / max(k['median_MBps'], 1e-9):.2f} | "
                   f"{m['worker_cpu_s_per_GB']:.2f} |")
    c = t["cycles_per_s"]
    out += ["", f"Connect, echo 100 B, close ({t['cycles_n']} sequential cycles, one client): "
            f"meshgate {c['meshgate']:.0f}/s, Linux {c['linux']:.0f}/s (the baseline server is "
            "Python with a thread per connection, so this compares server programs more than "
            "TCP stacks)."]
    return out
