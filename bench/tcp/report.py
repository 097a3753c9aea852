# SPDX-License-Identifier: BSD-3-Clause
"""bench/tcp/report.py: parse wrk/curl output, write JSON, print a table, plot.

  report.py assemble TMPDIR OUT.json DATE EAL_MEM
  report.py table OUT.json
  report.py plot OUT.json OUT.png
"""
import json
import os
import platform
import re
import subprocess
import sys

SERVERS = ("engine", "kernel")
WRK = ("small-ka", "small-close", "1m-ka")
LABEL = {"small-ka": "1 KiB, keep-alive",
         "small-close": "1 KiB, Connection: close",
         "1m-ka": "1 MiB, keep-alive"}
TIME = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
SIZE = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * TIME[m.group(2)] if m else None


def parse_wrk(path):
    if not os.path.exists(path):
        return None
    text = open(path).read()
    r = {"raw": text}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["req_s"] = float(m.group(1)) if m else None
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
    r["transfer_mib_s"] = (float(m.group(1)) * SIZE.get(m.group(2), 1) / (1 << 20)
                           if m else None)
    for p in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % p, text, re.M)
        r["p%s_ms" % p] = ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", text)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    r["socket_errors"] = (dict(zip(("connect", "read", "write", "timeout"),
                                   map(int, m.groups()))) if m else
                          {"connect": 0, "read": 0, "write": 0, "timeout": 0})
    r["errors"] = sum(r["socket_errors"].values())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non_2xx"] = int(m.group(1)) if m else 0
    return r


def parse_bulk(d):
    path = os.path.join(d, "bulk.txt")
    if not os.path.exists(path) or not open(path).read().split():
        err = os.path.join(d, "bulk.err")
        return {"ok": False, "err": open(err).read() if os.path.exists(err) else ""}
    speed, size, code = open(path).read().split()[:3]
    ok = code == "200" and int(size) == 200 << 20
    return {"ok": ok, "bytes_s": float(speed), "mib_s": float(speed) / (1 << 20),
            "size": int(size), "http_code": int(code)}


def sh(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def assemble(tmp, out, date, eal_mem):
    res = {"bench": "tcp", "date": date, "command": "bench/tcp/run.sh",
           "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "nginx": sh("sh", "-c", "nginx -v 2>&1"),
                    "wrk": "wrk -t1 -c32 -d5s --latency",
                    "dpdk": sh("pkg-config", "--modversion", "libdpdk")},
           "eal_mem": eal_mem,
           "setup": {"link": "veth; engine on net_af_packet, kernel (nginx) "
                     "on the same root-netns end holding 10.96.0.2 while it runs",
                     "client_cpu": 0, "server_cpu": 1},
           "servers": {}}
    for s in SERVERS:
        d = os.path.join(tmp, s)
        r = {w: parse_wrk(os.path.join(d, w + ".txt")) for w in WRK}
        r["bulk"] = parse_bulk(d)
        st = os.path.join(d, "stats.txt")
        if os.path.exists(st):
            r["tq_ctl_stats"] = open(st).read()
        for f in ("server.log", "error.log", "load.txt"):
            p = os.path.join(d, f)
            if os.path.exists(p):
                r[f] = open(p).read()[-4000:]
        res["servers"][s] = r
    json.dump(res, open(out, "w"), indent=1)


def f(v, fmt="%.0f"):
    return "—" if v is None else fmt % v


def table(path):
    res = json.load(open(path))
    e, k = res["servers"]["engine"], res["servers"]["kernel"]
    print("| workload | engine req/s | kernel (nginx) req/s | engine/kernel "
          "| engine p50 / p99 (ms) | kernel p50 / p99 (ms) "
          "| engine MiB/s | kernel MiB/s | errors engine / kernel |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for w in WRK:
        a, b = e.get(w) or {}, k.get(w) or {}
        ratio = (a["req_s"] / b["req_s"] if a.get("req_s") and b.get("req_s")
                 else None)

        def err(x):
            if not x:
                return "—"
            s = str(x["errors"])
            if x["errors"]:
                s += " (%s)" % ", ".join("%s %d" % kv for kv in
                                         x["socket_errors"].items() if kv[1])
            if x["non_2xx"]:
                s += ", non-2xx %d" % x["non_2xx"]
            return s
        print("| %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s / %s |" % (
            LABEL[w], f(a.get("req_s")), f(b.get("req_s")),
            f(ratio, "%.2f"), f(a.get("p50_ms"), "%.2f"), f(a.get("p99_ms"), "%.2f"),
            f(b.get("p50_ms"), "%.2f"), f(b.get("p99_ms"), "%.2f"),
            f(a.get("transfer_mib_s"), "%.1f"), f(b.get("transfer_mib_s"), "%.1f"),
            err(a), err(b)))
    print()
    print("| bulk (one curl, 200 MiB) | engine MiB/s | kernel (nginx) MiB/s "
          "| engine/kernel |")
    print("|---|--:|--:|--:|")
    a, b = e["bulk"], k["bulk"]
    ea = a.get("mib_s") if a.get("ok") else None
    kb = b.get("mib_s") if b.get("ok") else None
    print("| download | %s | %s | %s |" % (
        f(ea, "%.1f"), f(kb, "%.1f"), f(ea / kb if ea and kb else None, "%.2f")))


def plot(path, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    res = json.load(open(path))
    e, k = res["servers"]["engine"], res["servers"]["kernel"]
    names = [LABEL[w] for w in WRK] + ["bulk 200 MiB (MiB/s)"]
    ev = [(e.get(w) or {}).get("req_s") or 0 for w in WRK]
    kv = [(k.get(w) or {}).get("req_s") or 0 for w in WRK]
    ev.append(e["bulk"].get("mib_s") or 0 if e["bulk"].get("ok") else 0)
    kv.append(k["bulk"].get("mib_s") or 0 if k["bulk"].get("ok") else 0)
    ratio = [a / b if b else 0 for a, b in zip(ev, kv)]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    x = range(len(names))
    ax1.bar([i - 0.2 for i in x], ev, 0.4, label="engine (tq-server)")
    ax1.bar([i + 0.2 for i in x], kv, 0.4, label="kernel (nginx)")
    ax1.set_yscale("log")
    ax1.set_xticks(list(x))
    ax1.set_xticklabels(names, rotation=15, fontsize=8)
    ax1.set_ylabel("requests/s (bulk: MiB/s), log scale")
    ax1.legend(fontsize=8)
    ax1.set_title("absolute")
    ax2.bar(list(x), ratio, 0.5, color="tab:green")
    ax2.axhline(1.0, color="grey", lw=0.8, ls="--")
    for i, r in enumerate(ratio):
        ax2.text(i, r, "%.2f" % r, ha="center", va="bottom", fontsize=8)
    ax2.set_xticks(list(x))
    ax2.set_xticklabels(names, rotation=15, fontsize=8)
    ax2.set_ylabel("engine / kernel")
    ax2.set_title("ratio")
    fig.suptitle("bench/tcp %s: veth, engine on net_af_packet; 2 cores shared "
                 "(functional comparison)" % res["date"], fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=100)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "assemble":
        assemble(*sys.argv[2:6])
    elif cmd == "table":
        table(sys.argv[2])
    elif cmd == "plot":
        plot(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
