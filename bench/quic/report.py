# SPDX-License-Identifier: BSD-3-Clause
"""bench/quic/report.py: gtlsclient and tq-gen --h3 runs into JSON, a
table, a plot.

  report.py assemble RUNS_DIR OUT.json DATE DURATION REPEAT STREAMS
  report.py table OUT.json
  report.py plot OUT.json OUT.png
"""
import json
import os
import platform
import sys

CLIENTS = ("gtlsclient", "tq-gen")
TARGETS = ("gtlsserver", "tq-server")
WORKLOADS = ("dl", "small")
LABEL = {"dl": "5 MB downloads, one connection",
         "small": "1 KiB requests, one connection"}


def parse_gtls(d):
    t0, t1, n, size, rc = open(os.path.join(d, "gtls.txt")).read().split()
    secs = float(t1) - float(t0)
    if int(rc) != 0 or secs <= 0:
        return {"req_s": None, "mbyte_s": None, "errors": 1,
                "exit": int(rc)}
    return {"req_s": int(n) / secs,
            "mbyte_s": int(n) * int(size) / secs / 1e6,
            "p99_ms": None, "errors": 0, "secs": secs}


def parse_gen(d):
    path = os.path.join(d, "out.json")
    if not os.path.exists(path):
        return {"req_s": None, "mbyte_s": None, "errors": None}
    j = json.load(open(path))
    return {"req_s": j["requests_per_sec"],
            "mbyte_s": j["bytes_per_sec"] / 1e6,
            "p99_ms": j["latency"]["p99"] / 1000.0,
            "errors": j["errors"]["total"]}


def assemble(runs, out, date, duration, repeat, streams):
    res = {}
    for c in CLIENTS:
        for t in TARGETS:
            for w in WORKLOADS:
                base = os.path.join(runs, c, t, w)
                reps = []
                for r in sorted(os.listdir(base)) if os.path.isdir(base) else []:
                    d = os.path.join(base, r)
                    try:
                        x = parse_gtls(d) if c == "gtlsclient" else parse_gen(d)
                        q = open(os.path.join(d, "quiet")).read().split()
                        x["quiet"] = q[1] == "yes"
                    except (OSError, ValueError, KeyError) as e:
                        x = {"error": str(e)}
                    reps.append(x)
                ok = [x for x in reps if x.get("req_s")]
                med = (sorted(ok, key=lambda x: x["req_s"])[len(ok) // 2]
                       if ok else None)
                res.setdefault(c, {}).setdefault(t, {})[w] = {
                    "runs": reps, "median": med}
    doc = {"bench": "quic", "date": date, "host": platform.node(),
           "kernel": platform.release(), "cpus": os.cpu_count(),
           "duration_s": int(duration), "repeat": int(repeat),
           "streams": int(streams),
           # routed: both servers behind the namespace's router; direct:
           # gtlsserver on the clients' veth (run.sh DIRECT=1)
           "topology": os.environ.get("TOPOLOGY", "direct"),
           "commit": os.environ.get("COMMIT", ""),
           "server_pmd": os.environ.get("PMD_USED", "af_packet"),
           "results": res}
    json.dump(doc, open(out, "w"), indent=1)


def fmt(v, f="%.0f"):
    return f % v if v is not None else "-"


def table(path):
    doc = json.load(open(path))
    r = doc["results"]
    print("| workload | client | server | MB/s | req/s | p99 ms | errors | "
          "tq-server / gtlsserver | tq-gen / gtlsclient |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w in WORKLOADS:
        key = "mbyte_s" if w == "dl" else "req_s"
        for c in CLIENTS:
            base = (r[c]["gtlsserver"][w]["median"] or {}).get(key)
            for t in TARGETS:
                m = r[c][t][w]["median"] or {}
                ratio = (m[key] / base if t == "tq-server" and base and
                         m.get(key) else None)
                gb = (r["gtlsclient"][t][w]["median"] or {}).get(key)
                cr = (m[key] / gb if c == "tq-gen" and gb and m.get(key)
                      else None)
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    LABEL[w], c, t, fmt(m.get("mbyte_s"), "%.1f"),
                    fmt(m.get("req_s")), fmt(m.get("p99_ms"), "%.2f"),
                    fmt(m.get("errors")),
                    fmt(ratio, "%.2fx") if ratio else "",
                    fmt(cr, "%.2fx") if cr else ""))
    print()
    print("%d s per tq-gen run, %d streams (small), median of %d; %s, "
          "%d CPUs, Linux %s" % (doc["duration_s"], doc["streams"],
                                 doc["repeat"], doc["date"], doc["cpus"],
                                 doc["kernel"]))
    print("topology %s, tq-server on %s, commit %s" % (
        doc.get("topology", "direct"), doc.get("server_pmd", "af_packet"),
        doc.get("commit") or "?"))


def plot(path, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    doc = json.load(open(path))
    r = doc["results"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, w, key, unit in ((axes[0], "dl", "mbyte_s", "MB/s"),
                             (axes[1], "small", "req_s", "requests/s")):
        x = range(len(CLIENTS))
        for i, t in enumerate(TARGETS):
            v = [((r[c][t][w]["median"] or {}).get(key) or 0)
                 for c in CLIENTS]
            ax.bar([k + (i - 0.5) * 0.4 for k in x], v, 0.4, label=t)
        ax.set_xticks(list(x))
        ax.set_xticklabels(["client: %s" % c for c in CLIENTS], fontsize=8)
        ax.set_ylabel(unit)
        ax.set_title(LABEL[w], fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle("HTTP/3: tq-server --h3 vs gtlsserver, same clients")
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
