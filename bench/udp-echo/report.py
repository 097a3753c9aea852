#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for bench/udp-echo/run.sh.

  report.py cpusnap                      per-process CPU ticks, JSON on stdout
  report.py foreign CASEDIR              cores other processes used in a case
  report.py assemble META CASEDIR OUT    gather one run into OUT (JSON)
  report.py resummarize IN OUT           redo the medians of a result
  report.py table RESULT.json            print the table
  report.py plot RESULT.json OUT.png     draw dgrams/s and latency per size
"""
import json
import os
import re
import statistics
import sys
import time

CASES = ("kernel", "engine", "testpmd", "testpmd-macswap")


def cpusnap():
    """Ticks (utime + stime) of every process, and whether it is a kernel
    thread (kernel threads are driven by our own traffic: not 'foreign');
    then /proc/stat's first line and the monotonic time, for the same
    moment."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        rest = st[st.rindex(")") + 2:].split()
        ppid = int(rest[1])
        ticks = int(rest[11]) + int(rest[12])
        kthread = name == "2" or ppid == 2
        out[name] = [ticks, comm, kthread, ppid]
    with open("/proc/stat") as f:
        stat = f.readline()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n" + stat)
    sys.stdout.write("%.6f\n" % time.monotonic())


def read_snap(path):
    """A cpusnap file: (processes, /proc/stat fields, monotonic time)."""
    try:
        with open(path) as f:
            lines = f.read().strip().splitlines()
        return json.loads(lines[0]), lines[1].split(), float(lines[2])
    except (OSError, ValueError, IndexError):
        return None, [], None


def read_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def proc_stat_busy(before, after, ncpu):
    """Cores busy between two copies of /proc/stat's first line."""
    a = [int(x) for x in before[1:9]]
    b = [int(x) for x in after[1:9]]
    total = sum(b) - sum(a)
    idle = (b[3] + b[4]) - (a[3] + a[4])
    if total <= 0:
        return None
    return round(ncpu * (total - idle) / total, 3)


def snaps(casedir):
    """Both snapshots of a case and the seconds between them, or None."""
    s0, st0, t0 = read_snap(os.path.join(casedir, "cpu0.json"))
    s1, st1, t1 = read_snap(os.path.join(casedir, "cpu1.json"))
    if s0 is None or s1 is None or len(st0) < 9 or len(st1) < 9 or \
            t0 is None or t1 is None or t1 <= t0:
        return None
    return s0, st0, s1, st1, t1 - t0


def foreign_cpu(casedir):
    """Cores that other user processes took while the client ran: the
    user + system time of the whole machine (/proc/stat) less that of our
    processes (the servers and their descendants from /proc/PID/stat, the
    client from its own getrusage) and of kernel threads (softirq work our
    traffic causes).  Short-lived processes count too.  Also names the
    long-lived ones that took more than 0.05 cores."""
    sn = snaps(casedir)
    if sn is None:
        return None, [], None
    s0, st0, s1, st1, secs = sn
    client = read_json(os.path.join(casedir, "client.json"))
    hz = os.sysconf("SC_CLK_TCK")
    ours = set(read_text(os.path.join(casedir, "pids")).split())
    # and their descendants (the client runs under timeout and ip netns)
    grew = True
    while grew:
        grew = False
        for snap in (s0, s1):
            for pid, v in snap.items():
                if pid not in ours and str(v[3]) in ours:
                    ours.add(pid)
                    grew = True
    mine = 0
    who = []
    for pid, (t1, comm, kthread, _) in s1.items():
        d = t1 - s0[pid][0] if pid in s0 else 0
        if d <= 0:
            continue
        if pid in ours or kthread:
            mine += d
        elif d / hz / secs > 0.05:
            who.append("%s(%s) %.2f" % (comm, pid, d / hz / secs))
    if client and "cpu_s" in client:
        mine += (client["cpu_s"]["user"] + client["cpu_s"]["sys"]) * hz
    # user nice system idle iowait irq softirq steal; the irq and softirq
    # columns are left out: they also hold ticks that hit the idle task,
    # which no process is charged with
    busy = sum(int(st1[i]) - int(st0[i]) for i in (1, 2, 3))
    steal = (int(st1[8]) - int(st0[8])) / hz / secs
    other = max(0.0, (busy - mine) / hz / secs)
    return round(other, 3), who, round(steal, 3)


def own_cpu(casedir, client):
    """Cores the server (first pid after run.sh's in CASEDIR/pids) and the
    client kept busy, softirq work done in their context included.  Tick
    based: a few percent either way."""
    out = {}
    sn = snaps(casedir)
    if sn is None:
        return out
    s0, _, s1, _, secs = sn
    hz = os.sysconf("SC_CLK_TCK")
    cpu = client.get("cpu_s") if client else None
    if cpu:
        # the client lives inside the snapshot window: its whole run
        run = client["warmup_s"] + client["duration_s"] + \
            client["timeout_ms"] / 1e3
        out["client_cores"] = round((cpu["user"] + cpu["sys"]) /
                                    min(run, secs), 3)
    pids = read_text(os.path.join(casedir, "pids")).split()
    if len(pids) >= 2 and pids[1] in s0 and pids[1] in s1:
        out["server_cores"] = round(
            (s1[pids[1]][0] - s0[pids[1]][0]) / hz / secs, 3)
    return out


def parse_engine_stats(text):
    stats = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m:
            stats[m.group(1)] = int(m.group(2))
    return stats


def parse_testpmd(text):
    rx, tx = [], []
    for m in re.finditer(r"Rx-pps:\s+(\d+)", text):
        rx.append(int(m.group(1)))
    for m in re.finditer(r"Tx-pps:\s+(\d+)", text):
        tx.append(int(m.group(1)))

    def steady(samples):
        # samples of about one second each; the first and last non-zero
        # ones straddle the start and the end of the client's run
        nz = [i for i, v in enumerate(samples) if v > 0]
        if not nz:
            return None, []
        inner = samples[nz[0] + 1:nz[-1]]
        if not inner:
            inner = samples[nz[0]:nz[-1] + 1]
        return int(statistics.median(inner)), inner

    rx_pps, rx_s = steady(rx)
    tx_pps, tx_s = steady(tx)
    res = {"rx_pps": rx_pps, "tx_pps": tx_pps,
           "rx_pps_samples": rx_s, "tx_pps_samples": tx_s}
    m = re.search(r"Accumulated forward statistics.*?RX-packets:\s+(\d+)\s+"
                  r"RX-dropped:\s+(\d+).*?TX-packets:\s+(\d+)\s+"
                  r"TX-dropped:\s+(\d+)", text, re.S)
    if m:
        res.update({"rx_packets": int(m.group(1)),
                    "rx_dropped": int(m.group(2)),
                    "tx_packets": int(m.group(3)),
                    "tx_dropped": int(m.group(4))})
    return res


def one_run(d, case, ncpu):
    c = {"client": read_json(os.path.join(d, "client.json"))}
    sn = snaps(d)
    if sn is not None:
        c["busy_cores"] = proc_stat_busy(sn[1], sn[3], ncpu)
    fc, who, steal = foreign_cpu(d)
    c.update(own_cpu(d, c["client"]))
    c["foreign_cores"] = fc
    c["foreign_procs"] = who
    c["steal_cores"] = steal
    q = read_text(os.path.join(d, "quiet")).split()
    if q:
        c["quiet_wait_s"] = int(q[0])
        c["quiet"] = q[1] == "yes"
    if case == "kernel":
        c["server"] = read_json(os.path.join(d, "server.json"))
    elif case == "engine":
        c["engine_stats"] = parse_engine_stats(
            read_text(os.path.join(d, "stats.txt")))
    else:
        c["testpmd"] = parse_testpmd(read_text(os.path.join(d, "server.log")))
    c["ok"] = os.path.exists(os.path.join(d, "ok"))
    t = read_text(os.path.join(d, "tries")).strip()
    c["try"] = int(t) if t else None
    return c


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


CLEAN = 0.05    # cores other processes may take during a run that counts


def summarize(runs):
    """Median over the runs of a case that no other process disturbed
    (over all of them if every one was disturbed); each run's figures stay
    in 'runs'."""
    clean = [r for r in runs if r.get("client") and
             r.get("foreign_cores") is not None and
             r["foreign_cores"] <= CLEAN]
    use = clean or [r for r in runs if r.get("client")]
    clients = [r["client"] for r in use]
    s = {"runs": runs, "n": len(clients), "n_runs": len(runs),
         "undisturbed_only": bool(clean)}
    if clients:
        rates = [c["dgrams_per_s"] for c in clients]
        s["client"] = {
            "dgrams_per_s": median(rates),
            "dgrams_per_s_min": min(rates),
            "dgrams_per_s_max": max(rates),
            "sent_per_s": median([c["sent_per_s"] for c in clients]),
            "sent": sum(c["sent"] for c in clients),
            "received": sum(c["received"] for c in clients),
            "lost": sum(c["lost"] for c in clients),
            "late": sum(c["late"] for c in clients),
            "bad": sum(c["bad"] for c in clients),
            "latency_us": {p: median([c["latency_us"][p] for c in clients
                                      if c["received"]])
                           for p in ("p50", "p90", "p99", "p999")},
        }
    tps = [r["testpmd"] for r in use if r.get("testpmd")]
    if tps:
        s["testpmd"] = {k: median([t.get(k) for t in tps])
                        for k in ("rx_pps", "tx_pps")}
        tx = [t["tx_pps"] for t in tps if t.get("tx_pps") is not None]
        if tx:
            s["testpmd"]["tx_pps_min"] = min(tx)
            s["testpmd"]["tx_pps_max"] = max(tx)
    fcs = [r.get("foreign_cores") for r in use
           if r.get("foreign_cores") is not None]
    s["foreign_cores"] = max(fcs) if fcs else None
    return s


def assemble(meta_path, casedir, out_path):
    with open(meta_path) as f:
        meta = json.load(f)
    ncpu = os.cpu_count() or 1
    results = []
    for size in meta["params"]["sizes"]:
        row = {"size": size}
        todo = [(case, case, row) for case in meta["params"]["cases"]]
        if meta["params"].get("lat_cases"):
            row["unloaded"] = {}
            todo += [("lat-" + case, case, row["unloaded"])
                     for case in meta["params"]["lat_cases"]]
        for dname, case, into in todo:
            d = os.path.join(casedir, str(size), dname)
            if not os.path.isdir(d):
                continue
            reps = sorted((x for x in os.listdir(d) if re.match(r"r\d+$", x)),
                          key=lambda x: int(x[1:]))
            into[case] = summarize([one_run(os.path.join(d, r), case, ncpu)
                                    for r in reps])
        results.append(row)
    meta["results"] = results
    with open(out_path, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def fmt_rate(v):
    return "-" if v is None else "{:,.0f}".format(v)


def fmt_us(v):
    return "-" if v is None else "{:.0f}".format(v)


def case_client(row, case, unloaded=False):
    src = row.get("unloaded", {}) if unloaded else row
    c = src.get(case, {}).get("client")
    return c or None


def rows(res):
    for r in res["results"]:
        def client(case, key, unloaded=False):
            c = case_client(r, case, unloaded)
            return None if not c else c.get(key)

        def lat(case, p, unloaded=False):
            c = case_client(r, case, unloaded)
            if not c or not c.get("received"):
                return None
            return c["latency_us"][p]

        def tp(case, key):
            t = r.get(case, {}).get("testpmd")
            return None if not t else t.get(key)

        eng = client("engine", "dgrams_per_s")
        ker = client("kernel", "dgrams_per_s")
        ratio = eng / ker if eng and ker else None
        noisy = []
        for name, src in (("", r), ("unloaded ", r.get("unloaded", {}))):
            for case in CASES:
                sm = src.get(case)
                if not sm or sm.get("n") == sm.get("n_runs") and \
                        sm.get("undisturbed_only"):
                    continue
                if sm.get("undisturbed_only"):
                    noisy.append("%s%s: %d of %d runs undisturbed" % (
                        name, case, sm["n"], sm["n_runs"]))
                else:
                    noisy.append("%s%s: every run disturbed (up to %.2f "
                                 "cores)" % (name, case,
                                             sm.get("foreign_cores") or 0))
        out = {
            "size": r["size"], "engine": eng, "kernel": ker, "ratio": ratio,
            "n": {c: r.get(c, {}).get("n") for c in CASES},
            "macswap_min": tp("testpmd-macswap", "tx_pps_min"),
            "macswap_max": tp("testpmd-macswap", "tx_pps_max"),
            "testpmd": client("testpmd", "dgrams_per_s"),
            "testpmd_pps": tp("testpmd", "tx_pps"),
            "macswap_pps": tp("testpmd-macswap", "tx_pps"),
            "macswap_sent": client("testpmd-macswap", "sent_per_s"),
            "lost": {c: client(c, "lost") for c in
                     ("engine", "kernel", "testpmd")},
            "noisy": noisy,
        }
        for key, case in (("e", "engine"), ("k", "kernel"),
                          ("t", "testpmd")):
            out[key + "min"] = client(case, "dgrams_per_s_min")
            out[key + "max"] = client(case, "dgrams_per_s_max")
            for p in ("p50", "p99", "p999"):
                out[key + p[1:]] = lat(case, p)
                out["u" + key + p[1:]] = lat(case, p, True)
        yield out


def fmt_k(v, lo=None, hi=None):
    if v is None:
        return "-"
    if lo is None or hi is None:
        return "%.1fk" % (v / 1e3)
    return "%.1fk (%.0f-%.0f)" % (v / 1e3, lo / 1e3, hi / 1e3)


def table(path):
    with open(path) as f:
        res = json.load(f)
    p = res["params"]
    print("udp-echo %s: %d flows, window %d, %ss per run, median (min-max) "
          "of the undisturbed ones of %s runs, %s" % (
              res["date"], p["flows"], p["window"], p["duration_s"],
              p.get("repeat", 1), res["eal_mem"]))
    hdr = ("size", "engine dgrams/s", "kernel dgrams/s", "eng/ker",
           "testpmd 5tswap/s", "5tswap pps", "macswap pps",
           "eng p50/p99", "ker p50/p99", "tpmd p50/p99")
    fmt = "%5s %19s %19s %7s %19s %10s %19s %11s %11s %12s"
    print(fmt % hdr)
    rs = list(rows(res))
    for r in rs:
        print(fmt % (
            r["size"], fmt_k(r["engine"], r["emin"], r["emax"]),
            fmt_k(r["kernel"], r["kmin"], r["kmax"]),
            "-" if r["ratio"] is None else "%.2f" % r["ratio"],
            fmt_k(r["testpmd"], r["tmin"], r["tmax"]),
            fmt_k(r["testpmd_pps"]),
            fmt_k(r["macswap_pps"], r["macswap_min"], r["macswap_max"]),
            "%s/%s" % (fmt_us(r["e50"]), fmt_us(r["e99"])),
            "%s/%s" % (fmt_us(r["k50"]), fmt_us(r["k99"])),
            "%s/%s" % (fmt_us(r["t50"]), fmt_us(r["t99"]))))
    print("(latencies: round trip in us at that load, median over the runs)")
    if p.get("lat_window"):
        print("unloaded round trip, 1 flow, window %d (us, p50/p99/p99.9):"
              % p["lat_window"])
        for r in rs:
            print("%5s   engine %s   kernel %s   testpmd %s" % (
                r["size"],
                "/".join(fmt_us(r["ue" + q]) for q in ("50", "99", "999")),
                "/".join(fmt_us(r["uk" + q]) for q in ("50", "99", "999")),
                "/".join(fmt_us(r["ut" + q]) for q in ("50", "99", "999"))))
    for r in rs:
        lost = {k: v for k, v in r["lost"].items() if v}
        if lost:
            print("size %d lost: %s" % (r["size"], lost))
        if r["noisy"]:
            print("size %d, other processes took CPU: %s" % (
                r["size"], "; ".join(r["noisy"])))


def plot(path, png):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: no matplotlib (apt-get install python3-matplotlib)"
              "; no plot drawn", file=sys.stderr)
        return 1
    with open(path) as f:
        res = json.load(f)
    p = res["params"]
    rs = list(rows(res))
    sizes = [r["size"] for r in rs]
    x = list(range(len(sizes)))
    series = [("kernel echo", "kernel", "k", "#888888"),
              ("tachyon echo", "engine", "e", "#1f77b4"),
              ("testpmd 5tswap", "testpmd", "t", "#2ca02c")]
    have_u = bool(p.get("lat_window"))
    fig, axes = plt.subplots(1, 3 if have_u else 2,
                             figsize=(16 if have_u else 11, 4.8))
    w = 0.27

    def bars(ax, vals, i, color, label, fmt, lo=None, hi=None):
        yerr = None
        if lo is not None:
            yerr = [[max(0, v - l) if v is not None and l is not None else 0
                     for v, l in zip(vals, lo)],
                    [max(0, h - v) if v is not None and h is not None else 0
                     for v, h in zip(vals, hi)]]
        bs = ax.bar([xi + (i - 1) * w for xi in x],
                    [v if v is not None else 0 for v in vals], w,
                    label=label, color=color, yerr=yerr, capsize=3,
                    error_kw={"elinewidth": 0.8, "ecolor": "#444444"})
        for b_, v in zip(bs, vals):
            if v is not None:
                ax.annotate(fmt % v, (b_.get_x() + b_.get_width() / 2,
                                      b_.get_height()),
                            ha="center", va="bottom", fontsize=7)

    def k(v):
        return v / 1e3 if v is not None else None

    ax = axes[0]
    for i, (label, key, kk, color) in enumerate(series):
        bars(ax, [k(r[key]) for r in rs], i, color, label, "%.0f",
             [k(r[kk + "min"]) for r in rs], [k(r[kk + "max"]) for r in rs])
    ax.set_ylabel("echoed datagrams/s (thousands)")
    ax.set_ylim(0, max([v / 1e3 for r in rs for kk in ("k", "e", "t")
                        for v in (r[kk + "max"],) if v is not None] or [1])
                * 1.3)
    ax.set_title("throughput: %d flows, window %d\n(median, min-max of %s "
                 "runs)" % (p["flows"], p["window"], p.get("repeat", 1)))

    def lat_panel(ax, prefix, title):
        for i, (label, _, k, color) in enumerate(series):
            bars(ax, [r[prefix + k + "50"] for r in rs], i, color,
                 label + " p50", "%.0f")
            ax.scatter([xi + (i - 1) * w for xi in x],
                       [r[prefix + k + "99"] if r[prefix + k + "99"]
                        is not None else float("nan") for r in rs],
                       marker="_", s=300, color="black",
                       label="p99" if i == 0 else None, zorder=3)
        top = max([v for r in rs for kk in ("k", "e", "t")
                   for v in (r[prefix + kk + "99"], r[prefix + kk + "50"])
                   if v is not None] or [1])
        ax.set_ylim(0, top * 1.45)
        ax.set_ylabel("round trip (us)")
        ax.set_title(title)

    lat_panel(axes[1], "", "round trip at that load\n(bars p50, ticks p99;"
              " medians over the runs)")
    if have_u:
        lat_panel(axes[2], "u", "round trip unloaded: 1 flow, window %d\n"
                  "(bars p50, ticks p99)" % p["lat_window"])
    for ax in axes:
        ax.set_xticks(x)
        ax.set_xticklabels(["%d B" % s for s in sizes])
        ax.set_xlabel("UDP payload")
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.suptitle("UDP echo, %s: %s cores shared by client and server, veth,"
                 " net_af_packet, %s" % (res["date"], res["host"]["cpus"],
                                         res["eal_mem"]), fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "cpusnap":
        cpusnap()
        return 0
    if len(argv) == 3 and argv[1] == "foreign":
        fc, who, _ = foreign_cpu(argv[2])
        print("%.3f %s" % (fc if fc is not None else -1, " ".join(who)))
        return 0
    if len(argv) == 5 and argv[1] == "assemble":
        assemble(argv[2], argv[3], argv[4])
        return 0
    if len(argv) == 4 and argv[1] == "resummarize":
        with open(argv[2]) as f:
            res = json.load(f)
        for row in res["results"]:
            for src in (row, row.get("unloaded", {})):
                for case in CASES:
                    if case in src:
                        src[case] = summarize(src[case]["runs"])
        with open(argv[3], "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        return 0
    if len(argv) == 3 and argv[1] == "table":
        table(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "plot":
        return plot(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
