"""bench_http.py — the http-side-by-side section of tools/bench/run.

meshgate, HAProxy and nginx as HTTP/1.1 reverse proxies in front of the same
upstream (one nginx, worker_processes 1, a small fixed response at / and a
1 MiB file at /1m, listening on 0.0.0.0:8081 in the upstream namespace), with
wrk (2 threads) in the client namespace as the load:

  keepalive  small requests, 100 keep-alive connections: requests/s at
             saturation and wrk's latency p50/p99 (--latency);
  newconn    one new connection per request (Connection: close, 50
             connections): requests/s;
  1mib       1 MiB responses (/1m, 10 connections): MB/s (10^6 bytes);
  fixedrate  small requests on 100 keep-alive connections paced to 5,000
             requests/s in all (wrk_rate.lua), below every proxy's
             saturation: latency p50/p99/p99.9 at the same load;
  idle       10,000 idle client connections (quick: 1,000) held open by
             tools/bench/hold_idle.py, no byte sent: the growth of the
             proxy's resident memory (VmRSS of its processes) per
             connection; meshgate's own accounting beside it.

meshgate runs on the standard test bed (tools/netns.sh: one worker, af_packet
on both veths, an HTTP listener on 8080 routing / to a cluster at the
upstream namespace's service address, upstream keep-alive built in).  HAProxy
(nbthread 1, http-reuse always, no logs) and nginx (worker_processes 1,
upstream keepalive 64) use the Linux stack, so they run in a namespace of
their own, mgk-RUN, linked to the client namespace (198.18.3.1 / .2) and to
the upstream namespace (198.18.4.1 / .2) by veths built like the test bed's
(TX checksum offload off).  HAProxy listens on 198.18.3.2:8080, nginx on
198.18.3.2:8090.  The systems alternate within each scenario (meshgate,
HAProxy, nginx, and again for the next run) so drift cancels; figures are
medians over the runs.  CPU seconds per 1,000 requests come from utime+stime
in /proc of the proxy's process(es) before and after each run (meshgate: the
gateway process, control thread included; HAProxy: its process; nginx:
master + worker).  Every run must end with zero wrk socket errors and zero
non-2xx/3xx responses, or the section fails.

Addresses: the test bed's plus 198.18.3.0/24 and 198.18.4.0/24; nothing
routes anywhere else.  Everything made here is removed in a finally block;
every process is stopped by PID.
"""
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETNS = os.path.join(ROOT, "tools/netns.sh")

from bench_scale import hold_idle  # noqa: E402  (the scale section's holder)
from bench_tcp import sh  # noqa: E402  (one runner of commands for every section)
NGINX = os.environ.get("MG_NGINX", "/usr/sbin/nginx")
HAPROXY = os.environ.get("MG_HAPROXY", "/usr/sbin/haproxy")
WRK = os.environ.get("MG_WRK", "wrk")
K_CLIENT, K_PROXY_C = "198.18.3.1", "198.18.3.2"  # client ns <-> kernel proxy ns
K_PROXY_U, K_UP = "198.18.4.1", "198.18.4.2"  # kernel proxy ns <-> upstream ns
UP_PORT, HAP_PORT, NGX_PORT, MG_PORT = 8081, 8080, 8090, 8080
SMALL_BODY = "hello from the upstream\n"
SYSTEMS = ("meshgate", "haproxy", "nginx")
RATE_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk_rate.lua")
FIXED_RATE = 5000  # requests/s offered in the fixedrate scenario
# name, path, wrk connections, extra wrk args, figure ("latency": no ratio)
SCENARIOS = (
    ("keepalive", "/", 100, [], "rps"),
    ("newconn", "/", 50, ["-H", "Connection: close"], "rps"),
    ("1mib", "/1m", 10, [], "MBps"),
    ("fixedrate", "/", 100, ["-s", RATE_LUA], "latency"),
)
GOALS = {"keepalive": 1.0, "newconn": 1.5, "1mib": 1.0}

MG_CONFIG = """static_resources:
  listeners:
  - name: web
    address: {{socket_address: {{address: 0.0.0.0, port_value: {port}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: web
          route_config:
            name: web
            virtual_hosts:
            - name: any
              domains: ["*"]
              routes:
              - match: {{prefix: /}}
                route: {{cluster: up}}
  clusters:
  - name: up
    # HAProxy's `timeout connect 5s` below (and Envoy's default): a SYN the
    # busy upstream's full accept queue drops is retried at 1 s and 3 s.
    connect_timeout: 5s
    load_assignment: {{endpoints: [{{lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: {addr}, port_value: {up}}}}}}}}}]}}]}}
"""

NGINX_HEAD = """daemon off;
master_process on;
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 16000; }}
http {{
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
"""

UPSTREAM_SERVER = """    server {{
        listen {port};
        root {d}/www;
        location = / {{ default_type text/plain; return 200 "{body}"; }}
        location = /1m {{ }}
    }}
}}
"""

PROXY_SERVER = """    upstream up {{
        server {up}:{up_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    server {{
        listen {addr}:{port};
        location / {{
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""

HAPROXY_CONFIG = """global
    nbthread 1
    # The idle scenario holds 10,000 client connections.  HAProxy reserves
    # two descriptors per connection and refuses to start above the hard
    # limit (20,000 on the test machines, not raisable without
    # CAP_SYS_RESOURCE); idle ones use one, so it may warn and go on.
    maxconn 10100
    ulimit-n 20000
    no strict-limits
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    http-reuse always
frontend fe
    bind {addr}:{port}
    default_backend be
backend be
    server up {up}:{up_port}
"""


def proc_cpu(pids):
    """utime + stime, in seconds, of the given processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return kids


UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
TUNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_wrk(text):
    """wrk's summary: requests, seconds, bytes read, req/s, errors, latency (ms)."""
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)([KMGT]?)B read", text)
    if not m:
        raise RuntimeError(f"wrk printed no summary: {text.strip()[-400:]}")
    r = {"requests": int(m.group(1)),
         "seconds": float(m.group(2)) * TUNITS[m.group(3)] / 1000,
         "bytes": float(m.group(4)) * UNITS[m.group(5)]}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else r["requests"] / r["seconds"]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                  map(int, m.groups()))) if m else {}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        if m:
            r[f"p{pct}_ms"] = round(float(m.group(1)) * TUNITS[m.group(2)], 3)
    return r


class HttpBed:
    def __init__(self, b, log):
        self.b, self.log = b, log
        self.run = "h" + secrets.token_hex(3)
        self.env, self.kns, self.links = {}, None, []
        self.gw = self.up_ngx = self.hap = self.px_ngx = None
        self.gw_rc = 0

    # --- setup ---------------------------------------------------------------

    def up(self):
        for prog in (NGINX, HAPROXY):
            if not os.access(prog, os.X_OK):
                raise RuntimeError(f"no {prog} (tools/deps.sh installs nginx-light and haproxy)")
        if shutil.which(WRK) is None:
            raise RuntimeError("no wrk (tools/deps.sh installs it)")
        out = sh(NETNS, "up", self.run)
        self.env = dict(ln.split("=", 1) for ln in out.splitlines() if ln.startswith("MG_"))
        cns = self.env["MG_NS_CLIENT"]
        # Connection: close runs make many short connections; let the client
        # namespace (ours) reuse its TIME_WAIT ports like any load generator.
        sh("ip", "netns", "exec", cns, "sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1", check=False)
        sh("ip", "netns", "exec", cns, "sysctl", "-qw",
           "net.ipv4.ip_local_port_range=10000 65000", check=False)
        self.upstream_up()
        self.gateway_up()
        self.kernel_up()
        self.urls = {"meshgate": f"http://{self.env['MG_ADDR_GW_CLIENT']}:{MG_PORT}",
                     "haproxy": f"http://{K_PROXY_C}:{HAP_PORT}",
                     "nginx": f"http://{K_PROXY_C}:{NGX_PORT}"}
        for name, url in self.urls.items():
            self.wait_ok(name, url)

    def nginx_dir(self, name):
        d = os.path.join(self.b.work, f"http-{name}")
        for sub in ("tmp", "www"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        return d

    def nginx_start(self, ns, d, conf, logname):
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        argv = [NGINX, "-p", d + "/", "-e", os.path.join(d, "error.log"), "-c", path]
        sh("ip", "netns", "exec", ns, *argv, "-t", "-q")
        # `ip netns exec` execs nginx; with `daemon off` the master stays ours.
        return self.b.start(["ip", "netns", "exec", ns] + argv, logname)

    def upstream_up(self):
        d = self.nginx_dir("upstream")
        with open(os.path.join(d, "www", "1m"), "wb") as f:
            f.write(os.urandom(1 << 20))
        conf = NGINX_HEAD.format(d=d) + UPSTREAM_SERVER.format(
            d=d, port=UP_PORT, body=SMALL_BODY.replace("\n", "\\n"))
        self.up_ngx = self.nginx_start(self.env["MG_NS_UP"], d, conf, "http-upstream.log")

    def gateway_up(self):
        port = 15000 + int(self.run[1:], 16) % 5000
        cfg = sh(NETNS, "config", self.run, "idle=adaptive", f"port={port}",
                 f"prefix=mg-{self.run}")
        cfg += MG_CONFIG.format(port=MG_PORT, addr=self.env["MG_ADDR_SERVICE"], up=UP_PORT)
        path = os.path.join(self.b.work, f"http-{self.run}.yaml")
        with open(path, "w") as f:
            f.write(cfg)
        self.admin = f"http://127.0.0.1:{port}"
        self.gw = self.b.start(["ip", "netns", "exec", self.env["MG_NS_GW"], self.b.args.bin,
                                "--config", path], "http-gateway.log")
        deadline = time.time() + 30
        while self.admin_get("/ready") != "LIVE":
            if self.gw.poll() is not None or time.time() > deadline:
                raise RuntimeError("http: the gateway did not become ready; see http-gateway.log")
            time.sleep(0.2)

    def admin_get(self, path):
        try:
            return sh("ip", "netns", "exec", self.env["MG_NS_GW"], "curl", "-sS", "--max-time",
                      "3", self.admin + path, check=False, timeout=10).strip()
        except subprocess.TimeoutExpired:
            return ""

    def kernel_up(self):
        self.kns = f"mgk-{self.run}"
        cns, uns = self.env["MG_NS_CLIENT"], self.env["MG_NS_UP"]
        sh("ip", "netns", "add", self.kns)
        sh("ip", "-n", self.kns, "link", "set", "lo", "up")
        for ns, a, za, zb, zaddr in (
                (cns, f"mgka{self.run}", K_CLIENT, f"mgkz{self.run}", K_PROXY_C),
                (uns, f"mgkb{self.run}", K_UP, f"mgky{self.run}", K_PROXY_U)):
            sh("ip", "link", "add", a, "netns", ns, "type", "veth", "peer", "name", zb,
               "netns", self.kns)
            self.links.append((ns, a))
            for n, dev, addr in ((ns, a, za), (self.kns, zb, zaddr)):
                sh("ip", "-n", n, "addr", "add", f"{addr}/24", "dev", dev)
                sh("ip", "-n", n, "link", "set", dev, "up")
                sh("ip", "netns", "exec", n, "ethtool", "-K", dev, "tx", "off", check=False)
        # The kernel proxies: HAProxy on :8080, nginx on :8090, both on 198.18.3.2.
        hd = self.nginx_dir("haproxy")
        hcfg = os.path.join(hd, "haproxy.cfg")
        with open(hcfg, "w") as f:
            f.write(HAPROXY_CONFIG.format(addr=K_PROXY_C, port=HAP_PORT, up=K_UP,
                                          up_port=UP_PORT))
        sh("ip", "netns", "exec", self.kns, HAPROXY, "-c", "-q", "-f", hcfg)
        self.hap = self.b.start(["ip", "netns", "exec", self.kns, HAPROXY, "-db", "-f", hcfg],
                                "http-haproxy.log")
        d = self.nginx_dir("proxy")
        conf = NGINX_HEAD.format(d=d) + PROXY_SERVER.format(up=K_UP, up_port=UP_PORT,
                                                            addr=K_PROXY_C, port=NGX_PORT)
        self.px_ngx = self.nginx_start(self.kns, d, conf, "http-nginx-proxy.log")

    def wait_ok(self, name, url):
        """Both paths answer 200 through this proxy, with the right sizes."""
        deadline = time.time() + 15
        want = {"/": len(SMALL_BODY), "/1m": 1 << 20}
        for path, size in want.items():
            while True:
                got = sh("ip", "netns", "exec", self.env["MG_NS_CLIENT"], "curl", "-s",
                         "-o", "/dev/null", "--max-time", "2", "-w",
                         "%{http_code} %{size_download}", url + path, check=False,
                         timeout=10).strip()
                if got == f"200 {size}":
                    break
                if time.time() > deadline:
                    raise RuntimeError(f"http: {name} {url}{path} answered {got!r}, "
                                       f"want '200 {size}'")
                time.sleep(0.2)

    def pids(self, system):
        if system == "meshgate":
            return [self.gw.pid]
        if system == "haproxy":
            return [self.hap.pid]
        return [self.px_ngx.pid] + children(self.px_ngx.pid)

    # --- load ----------------------------------------------------------------

    def wrk(self, system, scen, seconds, tag):
        name, path, conns, extra, _ = scen
        argv = ["ip", "netns", "exec", self.env["MG_NS_CLIENT"], WRK, "-t", "2", "-c",
                str(conns), "-d", f"{seconds}s", "--timeout", "5s", "--latency", *extra,
                self.urls[system] + path]
        if RATE_LUA in extra:
            argv += ["--", str(FIXED_RATE), str(conns)]
        out = os.path.join(self.b.work, f"http-wrk-{name}-{system}-{tag}.out")
        pids = self.pids(system)
        c0 = proc_cpu(pids)
        with open(out, "w") as f:
            p = self.b.start(argv, "http-wrk.log", stdout=f)
        try:
            p.wait(seconds + 30)
        except subprocess.TimeoutExpired:
            self.b.stop(p, sig=signal.SIGKILL)
            raise RuntimeError(f"http: wrk {name} against {system} did not finish")
        cpu = proc_cpu(pids) - c0
        with open(out) as f:
            text = f.read()
        if p.returncode != 0:
            raise RuntimeError(f"http: wrk {name} against {system} exited {p.returncode}: "
                               f"{text.strip()[-300:]}")
        r = parse_wrk(text)
        errs = sum(r["socket_errors"].values())
        if errs or r["non2xx"]:
            raise RuntimeError(f"http: {name} through {system}: wrk saw socket errors "
                               f"{r['socket_errors']} and {r['non2xx']} non-2xx/3xx responses"
                               + self.gateway_errors(system))
        if r["requests"] == 0:
            raise RuntimeError(f"http: {name} through {system}: no requests completed")
        m = re.search(r"^RATE_LAT (\d+) (\d+) (\d+) (\d+)$", text, re.M)
        if m:  # wrk_rate.lua's percentiles, in microseconds
            for k, v in zip(("p50_ms", "p99_ms", "p999_ms", "max_ms"), m.groups()):
                r[k] = round(int(v) / 1000, 3)
        elif RATE_LUA in extra:
            raise RuntimeError(f"http: {name} through {system}: wrk_rate.lua printed nothing")
        r["MBps"] = r["bytes"] / r["seconds"] / 1e6
        r["cpu_s"] = round(cpu, 3)
        r["cpu_s_per_1k"] = cpu / r["requests"] * 1000
        return r

    def gateway_errors(self, system):
        """The gateway's non-zero error counters, to say what the non-2xx were."""
        if system != "meshgate":
            return ""
        try:
            s = json.loads(self.admin_get("/stats") or "{}")
        except ValueError:
            return ""
        bad = {f"{k}": v for part in ("proxy_total", "tcp_total")
               for k, v in s.get(part, {}).items()
               if v and any(w in k for w in ("5xx", "4xx", "fail", "reset", "timeout", "bad",
                                             "abort", "no_healthy", "overflow"))}
        return f" (gateway counters: {bad})" if bad else ""

    def rss(self, system):
        """VmRSS of the proxy's process(es), in bytes."""
        total = 0
        for pid in self.pids(system):
            try:
                with open(f"/proc/{pid}/status") as f:
                    total += next(int(ln.split()[1]) * 1024 for ln in f
                                  if ln.startswith("VmRSS:"))
            except (OSError, StopIteration, ValueError):
                pass
        return total

    def gw_memory(self):
        try:
            return json.loads(self.admin_get("/stats") or "{}").get("memory", {})
        except ValueError:
            return {}

    @staticmethod
    def slab():
        """The kernel's slab memory (/proc/meminfo Slab), in bytes."""
        with open("/proc/meminfo") as f:
            return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("Slab:"))

    def idle(self, system, n):
        """Hold n idle connections to the proxy; its RSS growth per connection."""
        host, port = self.urls[system][len("http://"):].rsplit(":", 1)
        m0, r0, k0 = self.gw_memory() if system == "meshgate" else {}, self.rss(system), self.slab()
        with hold_idle(self.b, self.env["MG_NS_CLIENT"], host, port, n,
                       f"http-idle-{system}.log"):
            r1, k1 = self.rss(system), self.slab()
            m1 = self.gw_memory() if system == "meshgate" else {}
        row = {"scenario": "idle", "system": system, "connections": n,
               "rss_before": r0, "rss_with": r1, "rss_bytes_per_conn": round((r1 - r0) / n),
               "slab_delta": k1 - k0}
        if m1:
            row["accounted_bytes_per_conn"] = round(
                (m1.get("connection_state_bytes", 0) - m0.get("connection_state_bytes", 0)) / n)
            row["gateway_conns_seen"] = m1.get("tcp_conns", 0) - m0.get("tcp_conns", 0)
            if row["gateway_conns_seen"] < n:
                raise RuntimeError(f"http: idle: the gateway counted "
                                   f"{row['gateway_conns_seen']} of {n}")
        # Let the proxies close their side before the next measurement.
        time.sleep(2)
        return row

    # --- teardown ------------------------------------------------------------

    def down(self):
        for p in (self.px_ngx, self.hap, self.gw, self.up_ngx):
            if p is not None and p.poll() is None:
                rc = self.b.stop(p)
                if p is self.gw and rc != 0:
                    self.log(f"http: gateway exit status {rc} on SIGTERM (want 0)")
                    self.gw_rc = rc
        for ns, dev in self.links:
            sh("ip", "-n", ns, "link", "del", dev, check=False)
        if self.kns:
            sh("ip", "netns", "del", self.kns, check=False)
        if self.env:
            sh(NETNS, "down", self.run, check=False)


def section_http(b, mode, log):
    runs, seconds = b.args.runs, b.args.seconds
    res = {"status": "ok",
           "config": {"runs": runs, "seconds": seconds, "wrk_threads": 2, "meshgate_workers": 1,
                      "meshgate_idle": "adaptive", "haproxy": "nbthread 1, http-reuse always",
                      "nginx": "worker_processes 1, upstream keepalive 64",
                      "upstream": "nginx, worker_processes 1",
                      "scenarios": {s[0]: {"path": s[1], "connections": s[2],
                                           "connection_close": "Connection: close" in s[3]}
                                    for s in SCENARIOS},
                      "fixed_rate_rps": FIXED_RATE,
                      "idle_connections": 1000 if mode == "quick" else 10000,
                      "cpus": os.cpu_count()}}
    bed = HttpBed(b, log)
    try:
        log(f"http: test bed {bed.run} + mgk-{bed.run}; {runs} run(s) x {seconds} s per "
            "proxy per scenario")
        bed.up()
        # First, while no run has left TIME_WAIT state behind to expire
        # during the measurement.
        n_idle = res["config"]["idle_connections"]
        res["idle"] = []
        for system in SYSTEMS:
            res["idle"].append(bed.idle(system, n_idle))
        base = next(r["slab_delta"] for r in res["idle"] if r["system"] == "meshgate")
        for row in res["idle"]:
            # The client's sockets are in every slab delta; beyond them, what
            # the proxy's own sockets cost the kernel (meshgate has none).
            row["kernel_bytes_per_conn"] = max(0, round((row["slab_delta"] - base) / n_idle))
            acc = (f", {row['accounted_bytes_per_conn']} B/conn by the gateway's accounting"
                   if "accounted_bytes_per_conn" in row else "")
            log(f"  idle      {row['system']:8} {n_idle} connections: "
                f"{row['rss_bytes_per_conn']} B/conn RSS growth, "
                f"{row['kernel_bytes_per_conn']} B/conn kernel (slab){acc}")
        rows = []
        for scen in SCENARIOS:
            name, _, conns, _, fig = scen
            got = {s: [] for s in SYSTEMS}
            for i in range(runs):
                for system in SYSTEMS:
                    got[system].append(bed.wrk(system, scen, seconds, i))
            for system in SYSTEMS:
                rs = got[system]
                row = {"scenario": name, "system": system, "connections": conns,
                       "rps": [round(r["rps"], 1) for r in rs],
                       "MBps": [round(r["MBps"], 1) for r in rs],
                       "median_rps": round(statistics.median(r["rps"] for r in rs), 1),
                       "median_MBps": round(statistics.median(r["MBps"] for r in rs), 1),
                       "cpu_s_per_1k": round(statistics.median(r["cpu_s_per_1k"] for r in rs), 4),
                       "requests": [r["requests"] for r in rs]}
                if name in ("keepalive", "fixedrate"):
                    row["p50_ms"] = statistics.median(r.get("p50_ms", 0) for r in rs)
                    row["p99_ms"] = statistics.median(r.get("p99_ms", 0) for r in rs)
                if name == "fixedrate":
                    row["p999_ms"] = statistics.median(r.get("p999_ms", 0) for r in rs)
                    row["max_ms"] = max(r.get("max_ms", 0) for r in rs)
                rows.append(row)
                lat = (f", p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms"
                       if "p50_ms" in row else "")
                lat += f", p99.9 {row['p999_ms']:.2f} ms" if "p999_ms" in row else ""
                log(f"  {name:9} {system:8} {row['median_rps']:9.0f} req/s "
                    f"{row['median_MBps']:8.1f} MB/s{lat}, {row['cpu_s_per_1k']:.3f} CPU s/1k req")
            if fig == "latency":  # the same offered load for all: latency, no ratio
                continue
            m = next(r for r in rows if r["scenario"] == name and r["system"] == "meshgate")
            for other in ("haproxy", "nginx"):
                o = next(r for r in rows if r["scenario"] == name and r["system"] == other)
                m[f"ratio_{other}"] = round(m[f"median_{fig}"] / max(o[f"median_{fig}"], 1e-9), 3)
            log(f"  {name:9} meshgate/HAProxy {m['ratio_haproxy']:.2f}, "
                f"meshgate/nginx {m['ratio_nginx']:.2f}")
        res["rows"] = rows
        try:
            px = json.loads(bed.admin_get("/stats") or "{}").get("proxy_total", {})
        except ValueError:
            px = {}
        res["gateway_proxy"] = {k: v for k, v in px.items() if k in (
            "downstream_cx_total", "downstream_rq_total", "downstream_rq_5xx",
            "upstream_cx_total", "upstream_cx_reused", "upstream_cx_connect_fail")}
    finally:
        bed.down()
    if bed.gw_rc != 0:
        raise RuntimeError(f"meshgate exit status on SIGTERM: {bed.gw_rc} (want 0)")
    return res


def goals(s):
    """[(goal text, met?)] from the section's rows."""
    by = {(r["scenario"], r["system"]): r for r in s["rows"]}
    out = []
    for name, text, vs in (("keepalive", "keep-alive req/s ≥ HAProxy and nginx", SYSTEMS[1:]),
                           ("newconn", "new-connection req/s ≥ 1.5x HAProxy and nginx",
                            SYSTEMS[1:]),
                           ("1mib", "1 MiB MB/s ≥ nginx", ("nginx",))):
        m = by[(name, "meshgate")]
        out.append((text, all(m[f"ratio_{o}"] >= GOALS[name] for o in vs)))
        if name == "keepalive":
            out.append(("keep-alive p99 ≤ HAProxy's",
                        m["p99_ms"] <= by[(name, "haproxy")]["p99_ms"]))
    return out


def markdown_http(s):
    if not s.get("rows"):
        return []
    c = s["config"]
    out = ["", "## HTTP side by side: meshgate vs HAProxy vs nginx (one core each)", "",
           f"wrk -t 2 from the client namespace, {c['seconds']} s per run, median of "
           f"{c['runs']} run(s), the systems alternating; upstream: one nginx worker.  "
           "meshgate: 1 worker on af_packet; HAProxy (nbthread 1) and nginx (1 worker) on "
           "the Linux stack in their own namespace.  CPU s/1k req = utime+stime of the proxy "
           "process(es) per 1,000 requests.  1 MB = 10^6 bytes.", "",
           "| scenario | system | req/s | MB/s | p50 ms | p99 ms | p99.9 ms | CPU s/1k req | "
           "meshgate/this |", "|---|---|---|---|---|---|---|---|---|"]
    by = {(r["scenario"], r["system"]): r for r in s["rows"]}
    for name, _, conns, extra, fig in SCENARIOS:
        if (name, "meshgate") not in by:  # a result from before the scenario existed
            continue
        m = by[(name, "meshgate")]
        for system in SYSTEMS:
            r = by[(name, system)]
            ratio = ("" if system == "meshgate" or fig == "latency"
                     else f"{m['ratio_' + system]:.2f}")
            label = (f"{name} ({conns} conns, {c.get('fixed_rate_rps', FIXED_RATE)} req/s offered)"
                     if fig == "latency" else f"{name} ({conns} conns)")
            out.append(f"| {label} | {system} | {r['median_rps']:.0f} | "
                       f"{r['median_MBps']:.1f} | {r.get('p50_ms', '')} | {r.get('p99_ms', '')} "
                       f"| {r.get('p999_ms', '')} | {r['cpu_s_per_1k']:.3f} | {ratio} |")
    if s.get("idle"):
        out += ["", f"Idle connections: {c['idle_connections']} client connections held open "
                "with no byte sent (tools/bench/hold_idle.py), one system at a time; the growth "
                "of the proxy's resident memory (VmRSS of its processes) per connection, and "
                "of the kernel's slab memory beyond what the same hold costs with meshgate "
                "(whose sockets are not the kernel's): the kernel proxies' own sockets.  "
                "meshgate's accounted figure is its structures alive times their size "
                "(`/stats` memory).", "",
                "| system | B/conn RSS growth | B/conn kernel (slab) | B/conn in all | "
                "B/conn accounted | meshgate/this (in all) |", "|---|---|---|---|---|---|"]
        tot = {r["system"]: r["rss_bytes_per_conn"] + r.get("kernel_bytes_per_conn", 0)
               for r in s["idle"]}
        for r in s["idle"]:
            ratio = ("" if r["system"] == "meshgate"
                     else f"{tot['meshgate'] / max(tot[r['system']], 1):.2f}")
            out.append(f"| {r['system']} | {r['rss_bytes_per_conn']} | "
                       f"{r.get('kernel_bytes_per_conn', '')} | {tot[r['system']]} | "
                       f"{r.get('accounted_bytes_per_conn', '')} | {ratio} |")
    out += ["", "Goals (on this machine, where wrk, the proxy and the upstream share "
            f"{c['cpus']} CPUs): " + "; ".join(f"{t}: {'met' if ok else 'not met'}"
                                              for t, ok in goals(s)) + "."]
    return out
