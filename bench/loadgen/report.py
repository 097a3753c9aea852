# SPDX-License-Identifier: BSD-3-Clause
"""bench/loadgen/report.py: wrk and tq-gen runs into JSON, a table, a plot.

  report.py assemble RUNS_DIR OUT.json DATE DURATION REPEAT CONNS [CPS [LABEL]]
  report.py table OUT.json
  report.py plot OUT.json OUT.png
"""
import json
import os
import platform
import re
import statistics
import sys

CLIENTS = ("wrk", "tq-gen")
TARGETS = ("nginx", "tq-server")
WORKLOADS = ("ka", "close", "cps")
LABEL = {"ka": "keep-alive", "close": "one request per connection",
         "cps": "short connections, tq-gen --cps"}
TIME = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * TIME[m.group(2)] if m else None


def parse_wrk(d):
    text = open(os.path.join(d, "out.txt")).read()
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


def conn_s(x, w):
    # wrk opens one connection per request under Connection: close
    if "conn_s" not in x and x.get("req_s") is not None:
        x["conn_s"] = x["req_s"] if w != "ka" else None
    return x


def parse_gen(d):
    path = os.path.join(d, "out.json")
    if not os.path.exists(path):
        return {"req_s": None, "p99_ms": None, "errors": None}
    j = json.load(open(path))
    return {"req_s": j["requests_per_sec"],
            "conn_s": j["connections_per_sec"],
            "p99_ms": j["latency"]["p99"] / 1000.0,
            "errors": j["errors"]["total"]}


def cpu(d):
    c0, c1, t0, t1, hz = open(os.path.join(d, "cpu.txt")).read().split()
    secs = float(t1) - float(t0)
    return (float(c1) - float(c0)) / float(hz) / secs if secs > 0 else None


def assemble(runs, out, date, duration, repeat, conns, cps="0", label=""):
    res = {}
    for c in CLIENTS:
        for t in TARGETS:
            for w in WORKLOADS:
                base = os.path.join(runs, c, t, w)
                reps = []
                for r in sorted(os.listdir(base)) if os.path.isdir(base) else []:
                    d = os.path.join(base, r)
                    try:
                        x = conn_s(parse_wrk(d) if c == "wrk" else
                                   parse_gen(d), w)
                        x["cpu_cores"] = cpu(d)
                    except (OSError, ValueError, KeyError) as e:
                        x = {"error": str(e)}
                    if x.get("req_s") and x.get("cpu_cores") is not None:
                        x["core_s_per_100k"] = x["cpu_cores"] / x["req_s"] * 1e5
                    reps.append(x)
                ok = [x for x in reps if x.get("req_s")]
                med = (sorted(ok, key=lambda x: x["req_s"])[len(ok) // 2]
                       if ok else None)
                res.setdefault(c, {}).setdefault(t, {})[w] = {
                    "runs": reps, "median": med}
    doc = {"bench": "loadgen", "date": date, "host": platform.node(),
           "kernel": platform.release(), "cpus": os.cpu_count(),
           "duration_s": int(duration), "repeat": int(repeat),
           "connections": int(conns), "cps": float(cps), "label": label,
           "results": res}
    json.dump(doc, open(out, "w"), indent=1)


def fmt(v, f="%.0f"):
    return f % v if v is not None else "-"


def table(path):
    doc = json.load(open(path))
    r = doc["results"]
    print("| server | workload | client | req/s | conn/s | p99 ms | errors | "
          "client cores | core·s per 100K req | tq-gen / wrk |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in TARGETS:
        for w in WORKLOADS:
            if not any(r[c][t].get(w, {}).get("runs") for c in CLIENTS):
                continue
            base = (r["wrk"][t][w]["median"] or {}).get("req_s")
            for c in CLIENTS:
                m = r[c][t][w]["median"] or {}
                ratio = (m["req_s"] / base if c == "tq-gen" and base and
                         m.get("req_s") else None)
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    t, LABEL[w], c, fmt(m.get("req_s")), fmt(m.get("conn_s")),
                    fmt(m.get("p99_ms"), "%.2f"), fmt(m.get("errors")),
                    fmt(m.get("cpu_cores"), "%.2f"),
                    fmt(m.get("core_s_per_100k"), "%.2f"),
                    fmt(ratio, "%.2fx") if ratio else ""))
    print()
    print("%d connections, %d s per run, median of %d; %s, %d CPUs, Linux %s"
          % (doc["connections"], doc["duration_s"], doc["repeat"],
             doc["date"], doc["cpus"], doc["kernel"]))
    if doc.get("cps"):
        print("tq-gen --cps %g (at most %d open)" % (doc["cps"], doc["connections"]))
    if doc.get("label"):
        print("note: %s" % doc["label"])


def plot(path, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    doc = json.load(open(path))
    r = doc["results"]
    fig, ax = plt.subplots(figsize=(8, 4))
    groups = [(t, w) for t in TARGETS for w in WORKLOADS
              if any(r[c][t].get(w, {}).get("runs") for c in CLIENTS)]
    x = range(len(groups))
    for i, c in enumerate(CLIENTS):
        v = [((r[c][t][w]["median"] or {}).get("req_s") or 0) for t, w in groups]
        ax.bar([k + (i - 0.5) * 0.4 for k in x], v, 0.4, label=c)
    ax.set_xticks(list(x))
    ax.set_xticklabels(["%s\n%s" % (t, LABEL[w]) for t, w in groups],
                       fontsize=8)
    ax.set_ylabel("requests/s (median)")
    ax.set_title("tq-gen vs wrk, %d connections, same servers"
                 % doc["connections"])
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=100)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "assemble" and 8 <= len(sys.argv) <= 10:
        assemble(*sys.argv[2:])
    elif cmd == "table" and len(sys.argv) == 3:
        table(sys.argv[2])
    elif cmd == "plot" and len(sys.argv) == 4:
        plot(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
