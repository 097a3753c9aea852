# SPDX-License-Identifier: BSD-3-Clause
"""bench/scaling/report.py: worker-scaling runs into JSON, a table, a plot.

  report.py assemble RUNS_DIR OUT.json DATE DURATION REPEAT [LABEL [COMMIT]]
  report.py table OUT.json
  report.py plot OUT.json OUT.png
"""
import json
import os
import platform
import re
import statistics
import sys

MODES = ("ka", "close")
LABEL = {"ka": "keep-alive requests/s",
         "close": "one request per connection: connections/s"}
COUNTERS = ("TcpSteered", "RxPackets", "TxPackets", "TxRingFull", "RxMissed",
            "TCPTimeouts", "TcpRetransSegs", "TcpActiveOpens",
            "TcpPassiveOpens")


def ticks(path):
    """{process index: {thread comm: ticks}} from cpu_ticks' lines."""
    out = []
    for line in open(path).read().splitlines():
        d = {}
        for kv in line.split():
            k, _, v = kv.rpartition("=")
            d[k] = d.get(k, 0) + int(v)
        out.append(d)
    return out


def stats(path):
    """{worker: {counter: value}} from tq-ctl --per-worker stats."""
    per, w = {}, None
    if not os.path.exists(path):
        return per
    for line in open(path).read().splitlines():
        m = re.match(r"# worker (\d+)", line)
        if m:
            w = int(m.group(1))
            per[w] = {}
            continue
        f = line.split()
        if w is not None and len(f) == 2 and re.fullmatch(r"\d+", f[1]):
            per[w][f[0]] = int(f[1])
    return per


def one_run(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    r = dict(meta)
    gen = os.path.join(d, "gen.json")
    if os.path.exists(gen):
        j = json.load(open(gen))
        r.update(req_s=j["requests_per_sec"],
                 conn_s=j["connections_per_sec"],
                 p50_ms=j["latency"]["p50"] / 1000.0,
                 p99_ms=j["latency"]["p99"] / 1000.0,
                 errors=j["errors"]["total"],
                 requests=j["requests"])
    else:
        r.update(req_s=None, conn_s=None, p50_ms=None, p99_ms=None,
                 errors=None, requests=None)
    t0, t1, hz = open(os.path.join(d, "window.txt")).read().split()
    secs = float(t1) - float(t0)
    c0, c1 = ticks(os.path.join(d, "cpu0.txt")), ticks(os.path.join(d,
                                                                    "cpu1.txt"))
    for i, who in enumerate(("server", "gen")):
        thr = {k: (c1[i].get(k, 0) - v) / float(hz) / secs
               for k, v in c0[i].items()}
        r[who + "_cores"] = round(sum(thr.values()), 3)
        r[who + "_threads"] = {k: round(v, 3) for k, v in thr.items()}
    s0 = stats(os.path.join(d, "server-stats-0.txt"))
    s1 = stats(os.path.join(d, "server-stats-1.txt"))
    r["server_counters"] = {
        w: {k: s1[w].get(k, 0) - s0.get(w, {}).get(k, 0) for k in COUNTERS}
        for w in s1}
    rate = r["req_s"] if meta["mode"] == "ka" else r["conn_s"]
    r["rate"] = rate
    r["per_server_cpu_s"] = (round(rate / r["server_cores"])
                             if rate and r["server_cores"] > 0 else None)
    r["per_total_cpu_s"] = (
        round(rate / (r["server_cores"] + r["gen_cores"]))
        if rate and r["server_cores"] + r["gen_cores"] > 0 else None)
    q = os.path.join(d, "quiet.json")
    r["quiet"] = json.load(open(q)) if os.path.exists(q) else None
    return r


def assemble(runs, out, date, duration, repeat, label="", commit=""):
    res = []
    for wd in sorted(os.listdir(runs), key=lambda s: int(s[1:])):
        for mode in MODES:
            md = os.path.join(runs, wd, mode)
            if not os.path.isdir(md):
                continue
            rs = [one_run(os.path.join(md, r)) for r in sorted(os.listdir(md))]
            ok = [r for r in rs if r["rate"]]

            def med(k):
                v = [r[k] for r in ok if r.get(k) is not None]
                return statistics.median(v) if v else None
            res.append({"workers": int(wd[1:]), "mode": mode, "runs": rs,
                        "rate_median": med("rate"),
                        "rate_min": min((r["rate"] for r in ok), default=None),
                        "rate_max": max((r["rate"] for r in ok), default=None),
                        "p99_ms_median": med("p99_ms"),
                        "server_cores_median": med("server_cores"),
                        "gen_cores_median": med("gen_cores"),
                        "per_server_cpu_s_median": med("per_server_cpu_s"),
                        "per_total_cpu_s_median": med("per_total_cpu_s"),
                        "errors": sum(r["errors"] or 0 for r in rs),
                        "steered": sum(c.get("TcpSteered", 0)
                                       for r in rs
                                       for c in r["server_counters"].values())})
    doc = {"bench": "scaling", "date": date, "commit": commit,
           "label": label, "duration_s": int(duration),
           "repeat": int(repeat), "cpus": os.cpu_count(),
           "machine": platform.node(), "kernel": platform.release(),
           "link": "net_memif (DPDK 22.11), tq-gen role=client, "
                   "tq-server role=server",
           "results": res}
    json.dump(doc, open(out, "w"), indent=1)


def fmt(v, nd=0):
    if v is None:
        return "-"
    return f"{v:,.{nd}f}"


def table(path):
    doc = json.load(open(path))
    base = {}
    print(f"| workers a side | workload | rate (median) | min–max | x one "
          f"worker | server cores | per server CPU-second | gen cores | "
          f"p99 ms | errors | steered |")
    print("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in sorted(doc["results"], key=lambda r: (r["mode"], r["workers"])):
        if r["workers"] == 1:
            base[r["mode"]] = r["rate_median"]
        b = base.get(r["mode"])
        sp = (r["rate_median"] / b) if b and r["rate_median"] else None
        print(f"| {r['workers']} | {LABEL[r['mode']]} | "
              f"{fmt(r['rate_median'])} | {fmt(r['rate_min'])}–"
              f"{fmt(r['rate_max'])} | {fmt(sp, 2)} | "
              f"{fmt(r['server_cores_median'], 2)} | "
              f"{fmt(r['per_server_cpu_s_median'])} | "
              f"{fmt(r['gen_cores_median'], 2)} | "
              f"{fmt(r['p99_ms_median'], 2)} | {r['errors']} | "
              f"{r['steered']} |")


def plot(path, png):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 1
    doc = json.load(open(path))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, mode in zip(axes, MODES):
        rs = sorted((r for r in doc["results"] if r["mode"] == mode),
                    key=lambda r: r["workers"])
        if not rs:
            ax.set_visible(False)
            continue
        w = [r["workers"] for r in rs]
        for r in rs:
            ax.scatter([r["workers"]] * len(r["runs"]),
                       [x["rate"] or 0 for x in r["runs"]], s=10,
                       color="tab:blue", alpha=0.4)
        ax.plot(w, [r["rate_median"] or 0 for r in rs], "o-",
                color="tab:blue", label="measured (median)")
        ax.plot(w, [r["per_server_cpu_s_median"] or 0 for r in rs], "s--",
                color="tab:green", label="per server CPU-second")
        if rs[0]["workers"] == 1 and rs[0]["rate_median"]:
            ax.plot(w, [rs[0]["rate_median"] * x for x in w], ":",
                    color="grey", label="linear from 1 worker")
        ax.axvline(doc["cpus"] / 2, color="red", lw=0.8, ls="--",
                   label=f"{doc['cpus']} CPUs / 2 engines")
        ax.set_xlabel("workers per engine (tq-gen and tq-server each)")
        ax.set_title(LABEL[mode], fontsize=10)
        ax.set_xticks(w)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"tq-gen -> tq-server over net_memif, {doc['cpus']} CPUs "
                 f"({doc['date']}, {doc.get('commit', '')})", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    return 0


def main(a):
    if len(a) >= 6 and a[0] == "assemble":
        assemble(*a[1:8])
    elif len(a) == 2 and a[0] == "table":
        table(a[1])
    elif len(a) == 3 and a[0] == "plot":
        return plot(a[1], a[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
