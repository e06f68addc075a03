"""bench_scale.py — the scale section of tools/bench/run.

Memory per idle established connection: a gateway with an HTTP listener
(8080, a direct response: no upstream needed) and the TCP echo service (7)
on the netns test bed; tools/bench/hold_idle.py in the client namespace opens
N connections to each in turn and holds them without a byte sent.  For each
kind the section reads the gateway's own accounting (/stats "memory": the
per-connection structures alive times their size, mbufs in use) and its
resident set (VmRSS) before and with the connections held, and reports bytes
per connection by both.  N is 10,000 (quick: 1,000); 100,000 does not fit
one client address's ephemeral ports (about 28,000 per destination), so it
waits for the in-process benchmark.

Addresses: the test bed's (tools/netns.sh); nothing routes anywhere else.
"""
import contextlib
import json
import os
import secrets
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETNS = os.path.join(ROOT, "tools/netns.sh")

from bench_tcp import sh  # noqa: E402  (one runner of commands for every section)
HOLD = os.path.join(ROOT, "tools/bench/hold_idle.py")


@contextlib.contextmanager
def hold_idle(b, ns, host, port, n, logname):
    """n idle connections from namespace ns to host:port (hold_idle.py), all
    established (and a second for the server to accept the last) for the
    with block, closed after it."""
    holder = b.start(["ip", "netns", "exec", ns, "/usr/bin/python3", HOLD, host, str(port),
                      str(n)], logname, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = holder.stdout.readline().decode().strip()
        if line != f"held {n}":
            raise RuntimeError(f"the holder of {n} connections to {host}:{port} said "
                               f"{line!r}; see {logname}")
        time.sleep(1)
        yield
    finally:
        holder.stdin.close()
        b.stop(holder)

HTTP_CONFIG = """tcp:
  services: { echo: 7 }
static_resources:
  listeners:
  - name: idle
    address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
    filter_chains:
    - filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: idle
          route_config:
            virtual_hosts:
            - name: any
              domains: ["*"]
              routes:
              - match: {prefix: /}
                direct_response: {status: 200, body: {inline_string: "ok"}}
"""


def section_scale(b, mode, log):
    n = 1000 if mode == "quick" else 10000
    run = "s" + secrets.token_hex(3)
    env, gw, rc = {}, None, 0
    res = {"status": "ok", "config": {"connections": n, "workers": 1, "idle": "adaptive",
                                      "hundred_thousand": "not measured: one client address "
                                      "has ~28k ephemeral ports per destination"}}
    try:
        out = sh(NETNS, "up", run)
        env = dict(ln.split("=", 1) for ln in out.splitlines() if ln.startswith("MG_"))
        port = 15000 + int(run[1:], 16) % 5000
        cfg = sh(NETNS, "config", run, "idle=adaptive", f"port={port}", f"prefix=mg-{run}")
        path = os.path.join(b.work, f"scale-{run}.yaml")
        with open(path, "w") as f:
            f.write(cfg + HTTP_CONFIG)
        gw = b.start(["ip", "netns", "exec", env["MG_NS_GW"], b.args.bin, "--config", path],
                     "scale-gateway.log")

        def stats():
            txt = sh("ip", "netns", "exec", env["MG_NS_GW"], "curl", "-sS", "--max-time", "5",
                     f"http://127.0.0.1:{port}/stats", check=False, timeout=15)
            return json.loads(txt) if txt.startswith("{") else {}

        deadline = time.time() + 30
        while not stats().get("memory"):
            if gw.poll() is not None or time.time() > deadline:
                raise RuntimeError("scale: the gateway did not become ready")
            time.sleep(0.3)
        log(f"scale: test bed {run}; {n} idle connections per kind")
        rows = []
        for kind, dport in (("tcp", 7), ("http", 8080)):
            m0 = stats()["memory"]
            with hold_idle(b, env["MG_NS_CLIENT"], env["MG_ADDR_GW_CLIENT"], dport, n,
                           f"scale-hold-{kind}.log"):
                m1 = stats()["memory"]
            est = m1.get("tcp_conns", 0) - m0.get("tcp_conns", 0)
            row = {"kind": kind, "connections": n, "gateway_conns_seen": est,
                   "accounted_bytes_per_conn": round((m1["connection_state_bytes"]
                                                      - m0["connection_state_bytes"]) / n),
                   "mbufs_held_per_conn": round((m1["mbufs_in_use"] - m0["mbufs_in_use"]) / n, 3),
                   "rss_bytes_per_conn": round((m1["rss_bytes"] - m0["rss_bytes"]) / n),
                   "rss_before": m0["rss_bytes"], "rss_with": m1["rss_bytes"],
                   "sizes": {"tcp_conn": m1["tcp_conn_bytes"], "http_conn": m1["http_conn_bytes"]}}
            rows.append(row)
            log(f"  {kind:5} {n} idle: {row['accounted_bytes_per_conn']} B/conn accounted, "
                f"{row['rss_bytes_per_conn']} B/conn RSS growth, "
                f"{row['mbufs_held_per_conn']} mbufs/conn; gateway saw {est}")
            if est < n:
                raise RuntimeError(f"scale: {kind}: the gateway counted {est} of {n}")
            # Closed by the clients: wait until the gateway let go of them.
            deadline = time.time() + 60
            while stats()["memory"]["tcp_conns"] > m0["tcp_conns"]:
                if time.time() > deadline:
                    raise RuntimeError(f"scale: {kind}: connections left after 60 s")
                time.sleep(0.5)
        res["rows"] = rows
    finally:
        if gw is not None and gw.poll() is None:
            rc = b.stop(gw)
        if env:
            sh(NETNS, "down", run, check=False)
    if rc != 0:
        raise RuntimeError(f"meshgate exit status on SIGTERM: {rc} (want 0)")
    return res


def markdown_scale(s):
    if not s.get("rows"):
        return []
    out = ["", "## Scale: memory per idle established connection (1 worker)", "",
           f"{s['config']['connections']} idle connections per kind, held by one client; "
           "accounted = the gateway's structures alive (TCB, HTTP manager) times their size; "
           "RSS = VmRSS growth.", "",
           "| kind | B/conn accounted | B/conn RSS growth | mbufs held per conn |",
           "|---|---|---|---|"]
    for r in s["rows"]:
        out.append(f"| {r['kind']} | {r['accounted_bytes_per_conn']} | "
                   f"{r['rss_bytes_per_conn']} | {r['mbufs_held_per_conn']} |")
    out += ["", f"100k: {s['config']['hundred_thousand']}."]
    return out
