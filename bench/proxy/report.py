# SPDX-License-Identifier: BSD-3-Clause
"""bench/proxy/report.py: the runs of each proxy into JSON, a table, a plot.

  report.py assemble RUNS_DIR OUT.json DATE DURATION REPEAT CONNS
  report.py table OUT.json
  report.py plot OUT.json OUT.png
"""
import json
import os
import platform
import re
import sys

PROXIES = ("tq-proxy", "haproxy", "nginx")
WRK = ("ka", "close")
LABEL = {"ka": "1 KiB keep-alive", "close": "1 KiB, Connection: close",
         "bulk": "200 MiB download"}
TIME = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * TIME[m.group(2)] if m else None


def parse_wrk(path):
    text = open(path).read()
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["req_s"] = float(m.group(1)) if m else None
    m = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    r["p99_ms"] = ms(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    r["errors"] = sum(map(int, m.groups())) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["errors"] += int(m.group(1)) if m else 0
    return r


def parse_bulk(path):
    f = open(path).read().split()
    if len(f) < 3 or f[2] != "200" or int(f[1]) != 200 << 20:
        return {"gbit_s": None, "ok": False}
    return {"gbit_s": float(f[0]) * 8 / 1e9, "ok": True}


def cpu(d):
    c0, c1, t0, t1, hz = open(os.path.join(d, "cpu.txt")).read().split()
    secs = float(t1) - float(t0)
    return (float(c1) - float(c0)) / float(hz) / secs if secs > 0 else None


def assemble(runs, out, date, duration, repeat, conns):
    res = {}
    for p in PROXIES:
        base = os.path.join(runs, p)
        reps = sorted(os.listdir(base)) if os.path.isdir(base) else []
        for w in WRK + ("bulk",):
            rs = []
            for r in reps:
                d = os.path.join(base, r, w)
                try:
                    x = (parse_bulk(os.path.join(d, "out.txt")) if w == "bulk"
                         else parse_wrk(os.path.join(d, "out.txt")))
                    x["cpu_cores"] = cpu(d)
                except (OSError, ValueError, IndexError) as e:
                    x = {"error": str(e)}
                rs.append(x)
            key = "gbit_s" if w == "bulk" else "req_s"
            ok = [x for x in rs if x.get(key)]
            med = sorted(ok, key=lambda x: x[key])[len(ok) // 2] if ok else None
            res.setdefault(p, {})[w] = {"runs": rs, "median": med}
    doc = {"bench": "proxy", "date": date, "host": platform.node(),
           "kernel": platform.release(), "cpus": os.cpu_count(),
           "duration_s": int(duration), "repeat": int(repeat),
           "connections": int(conns), "results": res}
    json.dump(doc, open(out, "w"), indent=1)


def fmt(v, f="%.0f"):
    return f % v if v is not None else "-"


def table(path):
    doc = json.load(open(path))
    r = doc["results"]
    print("| proxy | %s req/s | p99 ms | %s req/s | p99 ms | bulk Gbit/s | "
          "cores (ka / close / bulk) | errors |" % ("keep-alive", "close"))
    print("|---|---|---|---|---|---|---|---|")
    for p in PROXIES:
        ka = r[p]["ka"]["median"] or {}
        cl = r[p]["close"]["median"] or {}
        bu = r[p]["bulk"]["median"] or {}
        print("| %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |" % (
            p, fmt(ka.get("req_s")), fmt(ka.get("p99_ms"), "%.2f"),
            fmt(cl.get("req_s")), fmt(cl.get("p99_ms"), "%.2f"),
            fmt(bu.get("gbit_s"), "%.2f"),
            fmt(ka.get("cpu_cores"), "%.2f"), fmt(cl.get("cpu_cores"), "%.2f"),
            fmt(bu.get("cpu_cores"), "%.2f"),
            fmt((ka.get("errors") or 0) + (cl.get("errors") or 0))))
    print()
    print("%d connections, %d s per run, median of %d; %s, %d CPUs, Linux %s"
          % (doc["connections"], doc["duration_s"], doc["repeat"],
             doc["date"], doc["cpus"], doc["kernel"]))


def plot(path, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    doc = json.load(open(path))
    r = doc["results"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    for ax, (w, key, unit) in zip(axes, (("ka", "req_s", "requests/s"),
                                         ("close", "req_s", "requests/s"),
                                         ("bulk", "gbit_s", "Gbit/s"))):
        v = [((r[p][w]["median"] or {}).get(key) or 0) for p in PROXIES]
        ax.bar(PROXIES, v, color=["C0", "C1", "C2"])
        ax.set_title(LABEL[w], fontsize=9)
        ax.set_ylabel(unit)
    fig.suptitle("L4 proxies, same backends and clients (%d connections)"
                 % doc["connections"], fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=100)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "assemble" and len(sys.argv) == 8:
        assemble(*sys.argv[2:8])
    elif cmd == "table" and len(sys.argv) == 3:
        table(sys.argv[2])
    elif cmd == "plot" and len(sys.argv) == 4:
        plot(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
