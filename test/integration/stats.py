#!/usr/bin/env python3
"""Read meshgate's GET /stats JSON for the integration tests.

  stats.py get FILE NAME          print one summed counter
  stats.py fingerprint FILE       print the rx/drop totals (to see them settle)
  stats.py drops BEFORE AFTER     print {reason: delta} of the drop counters as
                                  JSON (non-zero deltas only) and their sum
  stats.py keys FILE              check the documented keys are present

NAME is a key of the "total" object (e.g. icmp_echo_rx), "drop_<reason>"
(looked up in "drops", falling back to total["drop_<reason>"]), "drops_total",
"port.<name>.<field>" (e.g. port.client.imissed), or "proxy.<counter>" (from
"proxy_total", e.g. proxy.config_updates).
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def counter(stats, name):
    if name == "drops_total":
        return int(stats["drops_total"])
    if name.startswith("port."):
        _, port, field = name.split(".", 2)
        for p in stats["ports"]:
            if p.get("name") == port or str(p.get("port")) == port:
                return int(p[field])
        raise KeyError("no port %r in /stats" % port)
    if name.startswith("proxy."):
        return int(stats["proxy_total"][name[len("proxy."):]])
    if name.startswith("drop_"):
        reason = name[len("drop_"):]
        if reason in stats.get("drops", {}):
            return int(stats["drops"][reason])
    return int(stats["total"][name])


def drops(stats):
    return {k: int(v) for k, v in stats["drops"].items()}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "get" and len(argv) == 4:
        print(counter(load(argv[2]), argv[3]))
    elif cmd == "fingerprint":
        s = load(argv[2])
        print(counter(s, "rx_packets"), counter(s, "drops_total"))
    elif cmd == "drops" and len(argv) == 4:
        a, b = drops(load(argv[2])), drops(load(argv[3]))
        delta = {k: b.get(k, 0) - a.get(k, 0) for k in sorted(set(a) | set(b))}
        delta = {k: v for k, v in delta.items() if v}
        print(json.dumps(delta, sort_keys=True))
        print(sum(delta.values()))
    elif cmd == "keys":
        s = load(argv[2])
        missing = []
        for k in ("uptime_seconds", "workers", "total", "drops_total", "drops", "ports"):
            if k not in s:
                missing.append(k)
        if not missing:
            if not s["workers"]:
                missing.append("workers[0]")
            for w in s["workers"]:
                for k in ("worker", "lcore", "counters"):
                    if k not in w:
                        missing.append("workers[].%s" % k)
            for p in s["ports"]:
                for k in ("port", "name", "ipackets", "opackets"):
                    if k not in p:
                        missing.append("ports[].%s" % k)
            for k in ("rx_packets", "tx_packets", "icmp_echo_rx", "icmp_echo_tx"):
                if k not in s["total"]:
                    missing.append("total.%s" % k)
            if sum(int(v) for v in s["drops"].values()) != int(s["drops_total"]):
                missing.append("drops_total == sum(drops)")
        if missing:
            print("missing or wrong: " + ", ".join(missing))
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
