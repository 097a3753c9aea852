# SPDX-License-Identifier: BSD-3-Clause
"""bench/tcp/report.py: parse wrk/curl output, write JSON, print a table, plot.

  report.py assemble TMPDIR OUT.json DATE EAL_MEM [DURATION REPEAT
            [WORKERS PMD WRK ENGINE_LCORES NGINX_AFFINITY CLIENT_PIN
            [ENGINE_WORKERS]]]
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


KEY = ("RxMissed", "TCPTimeouts", "TcpRetransSegs", "TCPLossProbes",
       "BacklogDrops", "TcpSteered")
# client side (nstat in its netns): DSACKs it sent tell of duplicates it
# got, i.e. retransmissions that were not needed
CLIENT_KEY = ("TCPDSACKOldSent", "TCPDSACKOfoSent", "TCPRcvQDrop",
              "TCPBacklogDrop", "TCPOFOQueue", "TcpRetransSegs")
WORKLOADS = WRK + ("bulk",)


def read_ctr(path):
    """tq-ctl stats / nstat -a output: {name: value}; nstat's TcpExt
    prefix dropped so that both read TCPTimeouts, TCPLossProbes."""
    if not os.path.exists(path):
        return None
    c = {}
    for line in open(path):
        t = line.split()
        if len(t) >= 2 and t[1].isdigit():
            name = t[0][6:] if t[0].startswith("TcpExt") else t[0]
            c[name] = int(t[1])
    return c


def ctr_deltas(d, ext=".ctr"):
    """{workload: {counter: delta}} from the snapshots around each one."""
    out, prev = {}, read_ctr(os.path.join(d, "start" + ext))
    for w in WORKLOADS:
        cur = read_ctr(os.path.join(d, w + ext))
        if prev is not None and cur is not None:
            out[w] = {k: v - prev.get(k, 0) for k, v in cur.items()
                      if v - prev.get(k, 0)}
        prev = cur
    return out


# per engine worker (tq-ctl --per-worker): what each one carried, and
# the segments it handed to their owner worker
PW_KEY = ("RxPackets", "TxPackets", "TcpSteered", "TcpPassiveOpens")


def read_per_worker(path):
    """tq-ctl --per-worker stats: [{name: value}, ...] by worker"""
    if not os.path.exists(path):
        return None
    out = []
    for line in open(path):
        t = line.split()
        if line.startswith("# worker"):
            out.append({})
        elif out and len(t) >= 2 and t[1].isdigit():
            out[-1][t[0]] = int(t[1])
    return out or None


def per_worker_deltas(d):
    """{workload: [{counter: delta} per worker]} for PW_KEY"""
    out, prev = {}, read_per_worker(os.path.join(d, "start.pw"))
    for w in WORKLOADS:
        cur = read_per_worker(os.path.join(d, w + ".pw"))
        if prev and cur and len(prev) == len(cur):
            out[w] = [{k: c.get(k, 0) - p.get(k, 0) for k in PW_KEY}
                      for p, c in zip(prev, cur)]
        prev = cur
    return out


def read_tw(d):
    """{workload: {before, after}}: the client's TIME_WAIT sockets before
    and after the flush (ss -K) that precedes each wrk run"""
    out = {}
    for w in WRK:
        p = os.path.join(d, w + ".tw")
        if os.path.exists(p):
            t = open(p).read().split()
            if len(t) >= 2:
                out[w] = {"before": int(t[0]), "after": int(t[1])}
    return out


def read_cpu(path):
    """/proc/stat cpuN lines: {cpu: [user nice system idle iowait irq
    softirq steal]}"""
    if not os.path.exists(path):
        return None
    return {t[0]: [int(x) for x in t[1:9]]
            for t in (line.split() for line in open(path)) if len(t) >= 9}


def cpu_split(d):
    """{workload: {cpuN: {user, sys, softirq, busy}}} in % of that core
    over the workload (sys includes irq; busy = all but idle and iowait)"""
    out = {}
    for w in WORKLOADS:
        prev = read_cpu(os.path.join(d, w + ".cpu0"))
        cur = read_cpu(os.path.join(d, w + ".cpu1"))
        if prev and cur:
            out[w] = {}
            for c in sorted(cur):
                if c not in prev:
                    continue
                x = [b - a for a, b in zip(prev[c], cur[c])]
                t = sum(x) or 1
                out[w][c] = {"user": round(100.0 * (x[0] + x[1]) / t, 1),
                             "sys": round(100.0 * (x[2] + x[5]) / t, 1),
                             "softirq": round(100.0 * x[6] / t, 1),
                             "steal": round(100.0 * x[7] / t, 1),
                             "busy": round(100.0 * (t - x[3] - x[4]) / t, 1)}
    return out


def parse_run(d):
    r = {w: parse_wrk(os.path.join(d, w + ".txt")) for w in WRK}
    r["bulk"] = parse_bulk(d)
    r["counters"] = ctr_deltas(d)
    r["client_counters"] = ctr_deltas(d, ".cli")
    r["cpu"] = cpu_split(d)
    r["time_wait"] = read_tw(d)
    pw = per_worker_deltas(d)
    if pw:
        r["per_worker"] = pw
    for f_, k in (("pmd", "pmd"), ("pmd_fallback", "pmd_fallback")):
        p = os.path.join(d, f_)
        if os.path.exists(p):
            r[k] = open(p).read().strip()
    for f_, k in (("stats.txt", "tq_ctl_stats"),
                  ("stats-per-worker.txt", "tq_ctl_stats_per_worker")):
        st = os.path.join(d, f_)
        if os.path.exists(st):
            r[k] = open(st).read()
    q = os.path.join(d, "quiet")
    if os.path.exists(q):
        t = open(q).read().split()
        r["quiet"] = {"waited_s": int(t[0]), "quiet": t[1] == "yes",
                      "busy_pct_of_a_core": int(t[2]) if len(t) > 2 else None}
    for f in ("server.log", "server-af_xdp.log", "error.log", "load.txt"):
        p = os.path.join(d, f)
        if os.path.exists(p):
            r[f] = open(p).read()[-4000:]
    return r


def score(r, w):
    """the figure a workload's median is taken on (None: failed)"""
    if w == "bulk":
        b = r.get("bulk") or {}
        return b.get("mib_s") if b.get("ok") else None
    return (r.get(w) or {}).get("req_s")


def median_run(runs, w):
    """index of the run with the median figure (the lower of the two
    middle ones for an even count); failed runs count as lowest"""
    order = sorted(range(len(runs)),
                   key=lambda i: (score(runs[i], w) is not None,
                                  score(runs[i], w) or 0))
    return order[(len(order) - 1) // 2] if order else None


def assemble(tmp, out, date, eal_mem, duration="5", repeat="1",
             workers="1", pmd="af_packet", wrk=None, engine_lcores="-l 0-1",
             nginx_affinity="10", client_pin="taskset -c 0",
             engine_workers=None, mtu="1500"):
    workers = int(workers)
    ew = int(engine_workers) if engine_workers else workers
    mtu = int(mtu)
    pmd_vdev = {"af_packet": "net_af_packet (qpairs=%d, framecnt=4096)" % ew
                if mtu == 1500 else "net_af_packet (qpairs=%d, framesz=16384, "
                "framecnt=1024), --mtu %d" % (ew, mtu),
                "af_xdp": "net_af_xdp (queue_count=%d), af_packet if it does "
                          "not start" % ew}.get(pmd, pmd)
    res = {"bench": "tcp", "date": date, "command": "bench/tcp/run.sh",
           "params": {"DURATION": int(duration), "REPEAT": int(repeat),
                      "WORKERS": workers, "ENGINE_WORKERS": ew,
                      "PMD": pmd, "MTU": mtu},
           "commit": sh("git", "-C", os.path.dirname(os.path.abspath(__file__)),
                        "rev-parse", "--short", "HEAD"),
           "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "nginx": sh("sh", "-c", "nginx -v 2>&1"),
                    "wrk": wrk or "wrk -t1 -c32 -d%ss --latency" % duration,
                    "dpdk": sh("pkg-config", "--modversion", "libdpdk")},
           "eal_mem": eal_mem,
           "setup": {"link": "veth; engine on %s, kernel (nginx) on the same "
                     "root-netns end holding 10.96.0.2 while it runs" % pmd_vdev,
                     "workers": workers, "engine_workers": ew,
                     "engine_lcores": engine_lcores,
                     "nginx_worker_cpu_affinity": nginx_affinity,
                     "client": client_pin,
                     "client_time_wait_flush": "ss -K state time-wait in the "
                     "client's netns before every wrk run"},
           "method": "per workload, the run with the median req/s (bulk: "
                     "MiB/s) of REPEAT interleaved runs; counters: deltas "
                     "around each workload, per run (engine: tq-ctl; "
                     "kernel: nstat of the root netns)",
           "servers": {}}
    for s in SERVERS:
        base = os.path.join(tmp, s)
        dirs = sorted((x for x in os.listdir(base) if re.fullmatch(r"r\d+", x))
                      if os.path.isdir(base) else [], key=lambda x: int(x[1:]))
        runs = [parse_run(os.path.join(base, x)) for x in dirs]
        r = {"runs": runs, "counters": {}}
        if s == "engine":
            r["pmd_used"] = [x.get("pmd") for x in runs]
        for w in WORKLOADS:
            i = median_run(runs, w)
            if i is None:
                r[w] = None
                continue
            r[w] = dict(runs[i][w] or {}, run=i + 1,
                        all_runs=[score(x, w) for x in runs],
                        cpu=runs[i]["cpu"].get(w))
            r["counters"][w] = {k: [x["counters"].get(w, {}).get(k, 0)
                                    if w in x["counters"] else None
                                    for x in runs] for k in KEY}
            r["counters"][w].update({"client " + k: [
                x["client_counters"].get(w, {}).get(k, 0)
                if w in x["client_counters"] else None
                for x in runs] for k in CLIENT_KEY})
        res["servers"][s] = r
    if workers == 1 and ew == 1:
        res["setup"].update(client_cpu=0, server_cpu=1)
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
    a, b = e.get("bulk") or {}, k.get("bulk") or {}
    ea = a.get("mib_s") if a.get("ok") else None
    kb = b.get("mib_s") if b.get("ok") else None
    print("| download | %s | %s | %s |" % (
        f(ea, "%.1f"), f(kb, "%.1f"), f(ea / kb if ea and kb else None, "%.2f")))
    runs = lambda x, fmt: " / ".join(f(v, fmt) for v in (x or {}).get("all_runs", []))
    print()
    print("All runs (req/s; bulk MiB/s), in order, the table's row is the median:")
    print()
    print("| workload | engine | kernel (nginx) |")
    print("|---|--:|--:|")
    for w in WORKLOADS:
        fmt = "%.1f" if w == "bulk" else "%.0f"
        print("| %s | %s | %s |" % (LABEL.get(w, "bulk download"),
                                    runs(e.get(w), fmt), runs(k.get(w), fmt)))
    print()
    print("Counters per workload, one figure per run (engine: tq-ctl stats; "
          "kernel: nstat, root netns; backlog drops: /proc/net/softnet_stat):")
    print()
    print("| workload | engine RxMissed | engine TCPTimeouts | engine TcpRetransSegs "
          "| engine TCPLossProbes | engine run: backlog drops "
          "| kernel TCPTimeouts | kernel TcpRetransSegs "
          "| kernel TCPLossProbes | kernel run: backlog drops |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")

    def c(x, w, n):
        v = (x.get("counters") or {}).get(w, {}).get(n)
        return " / ".join(f(y) for y in v) if v else "—"
    for w in WORKLOADS:
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            LABEL.get(w, "bulk download"),
            c(e, w, "RxMissed"), c(e, w, "TCPTimeouts"), c(e, w, "TcpRetransSegs"),
            c(e, w, "TCPLossProbes"), c(e, w, "BacklogDrops"),
            c(k, w, "TCPTimeouts"), c(k, w, "TcpRetransSegs"),
            c(k, w, "TCPLossProbes"), c(k, w, "BacklogDrops")))
    setup = res.get("setup") or {}
    workers = (res.get("params") or {}).get("WORKERS", 1)
    ew = (res.get("params") or {}).get("ENGINE_WORKERS", workers)
    eruns, kruns = e.get("runs") or [], k.get("runs") or []
    if any(x.get("per_worker") for x in eruns):
        nw = max(len(v) for x in eruns
                 for v in (x.get("per_worker") or {}).values())
        print()
        print("Engine workers (%s; PMD per run: %s): per workload, one "
              "figure per run, each worker's RX / TX packets and the "
              "segments handed to their owner worker (TcpSteered, summed "
              "over the workers):" % (
                  setup.get("engine_lcores", "?"),
                  " / ".join(str(x.get("pmd")) for x in eruns)))
        for x in eruns:
            if x.get("pmd_fallback"):
                print("(af_xdp did not start: %s)" % x["pmd_fallback"])
        print()
        print("| workload | %s | TcpSteered |" % " | ".join(
            "worker %d RX / TX" % i for i in range(nw)))
        print("|---|%s--:|" % ("--:|" * nw))

        def pw(x, w, i):
            v = (x.get("per_worker") or {}).get(w)
            if not v or i >= len(v):
                return "—"
            return "%d / %d" % (v[i]["RxPackets"], v[i]["TxPackets"])

        def steered(x, w):
            v = (x.get("per_worker") or {}).get(w)
            return str(sum(y["TcpSteered"] for y in v)) if v else "—"
        for w in WORKLOADS:
            print("| %s | %s | %s |" % (
                LABEL.get(w, "bulk download"),
                " | ".join(" ; ".join(pw(x, w, i) for x in eruns)
                           for i in range(nw)),
                " / ".join(steered(x, w) for x in eruns)))
    if any(x.get("time_wait") for x in eruns + kruns):
        print()
        print("The client's TIME_WAIT sockets before / after the flush (ss -K) "
              "that precedes each wrk run, one pair per run:")
        print()
        print("| workload | engine runs | kernel runs |")
        print("|---|--:|--:|")

        def tw(runs, w):
            return " ; ".join(
                "%d / %d" % (t["before"], t["after"]) if t else "—"
                for t in ((y.get("time_wait") or {}).get(w) for y in runs))
        for w in WRK:
            print("| %s | %s | %s |" % (LABEL[w], tw(eruns, w) or "—",
                                        tw(kruns, w) or "—"))
    print()
    if workers == 1 and ew == 1:
        where = "core 0: client, core 1: server"
    else:
        where = ("client unpinned; nginx workers on %s (worker_cpu_affinity "
                 "%s), engine %s" % (
                     ", ".join("core %d" % (i % ((res.get("host") or {})
                                                 .get("cpus") or 1))
                               for i in range(workers)),
                     setup.get("nginx_worker_cpu_affinity", "?"),
                     setup.get("engine_lcores", "?")))
    print("CPU per core during the median run, % of the core busy (user / "
          "sys / softirq); " + where + ":")
    print()
    print("| workload | engine core 0 | engine core 1 | kernel core 0 "
          "| kernel core 1 |")
    print("|---|--:|--:|--:|--:|")

    def cpu(x, w, core):
        v = ((x.get(w) or {}).get("cpu") or {}).get(core)
        if not v:
            return "—"
        return "%.0f (%.0f / %.0f / %.0f)" % (v["busy"], v["user"], v["sys"],
                                              v["softirq"])
    for w in WORKLOADS:
        print("| %s | %s | %s | %s | %s |" % (
            LABEL.get(w, "bulk download"), cpu(e, w, "cpu0"), cpu(e, w, "cpu1"),
            cpu(k, w, "cpu0"), cpu(k, w, "cpu1")))
    print()
    print("Client side (its netns, nstat), one figure per run, engine run "
          "| kernel run:")
    print()
    print("| workload | %s |" % " | ".join(CLIENT_KEY))
    print("|---|%s" % ("--:|" * len(CLIENT_KEY)))
    for w in WORKLOADS:
        print("| %s | %s |" % (LABEL.get(w, "bulk download"), " | ".join(
            "%s \\| %s" % (c(e, w, "client " + n), c(k, w, "client " + n))
            for n in CLIENT_KEY)))


def plot(path, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    res = json.load(open(path))
    e, k = res["servers"]["engine"], res["servers"]["kernel"]
    names = [LABEL[w] for w in WRK] + ["bulk 200 MiB (MiB/s)"]
    ev = [(e.get(w) or {}).get("req_s") or 0 for w in WRK]
    kv = [(k.get(w) or {}).get("req_s") or 0 for w in WRK]
    eb, kb = e.get("bulk") or {}, k.get("bulk") or {}
    ev.append(eb.get("mib_s") or 0 if eb.get("ok") else 0)
    kv.append(kb.get("mib_s") or 0 if kb.get("ok") else 0)
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
    params = res.get("params") or {}
    pmds = sorted({p for p in e.get("pmd_used") or [] if p}) or ["af_packet"]
    fig.suptitle("bench/tcp %s (%s, median of %s runs): veth, engine on "
                 "net_%s, %s engine / %s nginx worker(s); 2 cores shared "
                 "(functional comparison)"
                 % (res["date"], res.get("commit") or "?",
                    params.get("REPEAT", 1), "/".join(pmds),
                    params.get("ENGINE_WORKERS", params.get("WORKERS", 1)),
                    params.get("WORKERS", 1)), fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=100)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "assemble":
        assemble(*sys.argv[2:16])
    elif cmd == "table":
        table(sys.argv[2])
    elif cmd == "plot":
        plot(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
