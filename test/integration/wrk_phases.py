#!/usr/bin/env python3
"""Judge wrk_phases.lua's output across live config changes.

  wrk_phases.py WRK_OUT T0 T1 ... Tn

T0..Tn are the wall-clock times (seconds since the epoch, fractions allowed)
at which each phase began and, for Tn, the last one ended.  A time may be a
window A~B: the change was made at A (the file written, the signal sent)
and seen applied at B, so it took effect somewhere in between; the phase
before ends at A, the next begins at B (a loaded machine can take seconds
to notice).  Prints one line of key=value pairs:

  errors=N non2xx=N requests=N rps=N
  pK_v1=N pK_v2=N pK_other=N pK_dev50=X   (for each phase K = 1..n)

where a phase counts only the whole seconds [t, t+1) strictly inside
(B of Tk-1 + 0.5, A of Tk - 0.5): a second straddling a change would mix two
configs.
pK_dev50 is how many binomial standard deviations v2's share is from one half
(for a 50/50 phase).
"""
import math
import re
import sys


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    buckets, res = {}, None
    with open(argv[1]) as f:
        for line in f:
            m = re.match(r"BUCKET t=(\d+) v1=(\d+) v2=(\d+) other=(\d+) non2xx=(\d+)", line)
            if m:
                buckets[int(m[1])] = [int(x) for x in m.groups()[1:]]
            elif line.startswith("RESULT"):
                res = dict(kv.split("=", 1) for kv in line.split()[1:])
    if res is None:
        print("errors=-1 non2xx=-1 requests=0 rps=0")
        return 1
    times = [tuple(float(x) for x in t.split("~")) if "~" in t else (float(t), float(t))
             for t in argv[2:]]
    out = [
        "errors=%d" % sum(int(res[k]) for k in ("connect", "read", "write", "timeout")),
        "non2xx=%s" % res["non2xx"],
        "requests=%s" % res["requests"],
        "rps=%s" % res["rps"],
    ]
    for k in range(1, len(times)):
        lo, hi = times[k - 1][1] + 0.5, times[k][0] - 0.5
        s = [0, 0, 0, 0]
        for t, v in buckets.items():
            if t > lo and t + 1 < hi:
                s = [a + b for a, b in zip(s, v)]
        n = s[0] + s[1]
        dev = abs(s[1] - n / 2) / math.sqrt(n * 0.25) if n else 99.0
        out += ["p%d_v1=%d" % (k, s[0]), "p%d_v2=%d" % (k, s[1]), "p%d_other=%d" % (k, s[2]),
                "p%d_dev50=%.2f" % (k, dev)]
    print(" ".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
