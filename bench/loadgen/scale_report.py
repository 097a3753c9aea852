# SPDX-License-Identifier: BSD-3-Clause
"""bench/loadgen/scale_report.py: the scale run (scale.sh) into JSON and a table.

  scale_report.py assemble RUN_DIR OUT.json key=value...
  scale_report.py table OUT.json
"""
import json
import os
import platform
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sizeof(binary, types):
    """sizeof() of each type, from the binary's debug info (gdb)."""
    out = {}
    for t in types:
        try:
            r = subprocess.run(["gdb", "-batch", "-ex", "p sizeof(struct %s)" % t,
                                os.path.join(REPO, "build", "apps", binary)],
                               capture_output=True, text=True, timeout=60)
            v = r.stdout.strip().splitlines()[-1].split("=")[-1].strip()
            out[t] = int(v)
        except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
            out[t] = None
    return out


def workers(path):
    try:
        w = json.load(open(path))["workers"]
    except (OSError, ValueError, KeyError):
        return None
    return [{"worker": x["worker"],
             "busy_cycles_share": x["busy_cycles_share"],
             "busy_polls_share": x["busy_polls_share"],
             "rx_packets_per_sec": x["rx_packets_per_sec"]} for x in w]


def stats(path):
    try:
        return {k: int(v) for k, v in (l.split()[:2] for l in open(path)
                                       if len(l.split()) == 2)}
    except (OSError, ValueError):
        return None


def num(v):
    if v in (None, ""):
        return None
    return float(v) if "." in v else int(v)


def assemble(run, out, kv):
    a = {k: num(v) if k not in ("date", "label", "engine_opts") else v
         for k, v in kv.items()}
    conns = a["conns"]
    cs0, cs1, cg0, cg1, t0, t1, hz = open(os.path.join(run, "idle_cpu.txt")).read().split()
    secs = float(t1) - float(t0)
    tl = []
    for line in open(os.path.join(run, "timeline.txt")):
        t, es, eg, rs, rg = line.split()
        tl.append({"t": float(t), "estab_server": int(es), "estab_gen": int(eg),
                   "rss_server_kb": int(rs), "rss_gen_kb": int(rg)})
    try:
        g = json.load(open(os.path.join(run, "gen.json")))
    except (OSError, ValueError):
        g = None
    slot = ((a["rss_srv0"] - a["rss_srv_small"]) * 1024 /
            (a["max_conns"] - 16384)) if a["max_conns"] > 16384 else None
    srv_dyn = (a["rss_srv1"] - a["rss_srv0"]) * 1024 / max(a["estab_srv"], 1)
    gen_dyn = (a["rss_gen1"] - a["rss_gen0"]) * 1024 / max(a["estab_gen"], 1)
    doc = {
        "bench": "scale", "date": a["date"], "label": a["label"],
        "host": platform.node(), "cpus": os.cpu_count(),
        "config": {k: a[k] for k in ("conns", "srcs", "ramp", "rate", "idle_s",
                                     "max_conns", "mem_mb", "engine_opts")},
        "sizeof": dict(sizeof("tq-server", ["tq_tcb", "http_conn"]),
                       **sizeof("tq-gen", ["gen_conn", "tq_app_timer"])),
        "open": {"seconds": a["t_open"],
                 "per_sec": conns / a["t_open"] if a["t_open"] else None,
                 "gen_seconds": a["t_open_gen"]},
        "stats": {"server": stats(os.path.join(run, "srv_stats.txt")),
                  "gen": stats(os.path.join(run, "gen_stats.txt"))},
        "established": {"server": a["estab_srv"], "gen": a["estab_gen"]},
        "memory": {
            "server_rss_kb": {"start_16384_slots": a["rss_srv_small"],
                              "start": a["rss_srv0"], "all_up": a["rss_srv1"]},
            "gen_rss_kb": {"one_conn": a["rss_gen0"], "all_up": a["rss_gen1"]},
            "tcb_slot_bytes": slot,
            "server_bytes_per_conn": srv_dyn,
            "gen_bytes_per_conn": gen_dyn,
        },
        "idle": {
            "seconds": secs,
            "server_cpu_cores": (float(cs1) - float(cs0)) / float(hz) / secs,
            "gen_cpu_cores": (float(cg1) - float(cg0)) / float(hz) / secs,
            "server_workers": workers(os.path.join(run, "srv_workers.json")),
            "gen_workers": workers(os.path.join(run, "gen_workers.json")),
        },
        "gen": None if g is None else {
            "requests": g["requests"], "requests_per_sec": g["requests_per_sec"],
            "connections": g["connections"], "errors": g["errors"],
            "p50_us": g["latency"]["p50"], "p99_us": g["latency"]["p99"],
            "duration_s": g["duration_s"]},
        "timeline": tl,
    }
    # A million, from what one connection cost here: the slot (TCB and
    # flow table, preallocated) and what the apps and heap add per
    # connection, for one worker per side.
    if slot is not None:
        doc["million"] = {
            "server_gib": (a["rss_srv_small"] * 1024 + 1e6 * 1.125 * slot +
                           1e6 * srv_dyn) / 2 ** 30,
            "gen_gib": (a["rss_gen0"] * 1024 -
                        (a["max_conns"] - 16384) * slot +
                        1e6 * 1.125 * slot + 1e6 * gen_dyn) / 2 ** 30,
        }
    json.dump(doc, open(out, "w"), indent=1)


def table(path):
    d = json.load(open(path))
    m, i, c = d["memory"], d["idle"], d["config"]
    print("scale run %s%s: %d connections from %d addresses, ramp %d/s, "
          "rate %d req/s" % (d["date"], " (%s)" % d["label"] if d["label"] else "",
                             c["conns"], c["srcs"], c["ramp"], c["rate"]))
    rows = [
        ("established (server / tq-gen)", "%d / %d" % (d["established"]["server"],
                                                       d["established"]["gen"])),
        ("time to open all (server / tq-gen)", "%s / %s s" % (
            d["open"]["seconds"] or "not all", d["open"]["gen_seconds"] or "not all")),
        ("sizeof tq_tcb / http_conn / gen_conn", "%s / %s / %s B" % (
            d["sizeof"]["tq_tcb"], d["sizeof"]["http_conn"], d["sizeof"]["gen_conn"])),
        ("TCB slot (pool + flow table), RSS", "%.0f B" % m["tcb_slot_bytes"]
         if m["tcb_slot_bytes"] else "-"),
        ("tq-server RSS start -> all up", "%d -> %d MiB" % (
            m["server_rss_kb"]["start"] / 1024, m["server_rss_kb"]["all_up"] / 1024)),
        ("tq-server bytes per connection (beyond the slot)",
         "%.0f B" % m["server_bytes_per_conn"]),
        ("tq-gen RSS one conn -> all up", "%d -> %d MiB" % (
            m["gen_rss_kb"]["one_conn"] / 1024, m["gen_rss_kb"]["all_up"] / 1024)),
        ("tq-gen bytes per connection (beyond the slot)",
         "%.0f B" % m["gen_bytes_per_conn"]),
        ("CPU while idle (server / tq-gen)", "%.3f / %.3f cores" % (
            i["server_cpu_cores"], i["gen_cpu_cores"])),
    ]
    for side in ("server_workers", "gen_workers"):
        for w in i[side] or []:
            rows.append(("%s %d busy cycles, rx pkt/s" % (side.split("_")[0], w["worker"]),
                         "%.1f%%, %.0f" % (100 * w["busy_cycles_share"],
                                           w["rx_packets_per_sec"])))
    for side in ("server", "gen"):
        st = (d.get("stats") or {}).get(side) or {}
        rows.append(("%s SYN cookies sent, ARP queue drops, retransmits" % side,
                     "%s, %s, %s" % (st.get("SyncookiesSent", 0), st.get("ArpQueueFull", 0),
                                     st.get("TcpRetransSegs", 0))))
    if d["gen"]:
        g = d["gen"]
        rows.append(("requests measured, errors, p99", "%d (%.0f/s), %d, %.0f us" % (
            g["requests"], g["requests_per_sec"], g["errors"]["total"], g["p99_us"])))
    if d.get("million"):
        rows.append(("a million would take (server / tq-gen)", "%.1f / %.1f GiB" % (
            d["million"]["server_gib"], d["million"]["gen_gib"])))
    w = max(len(r[0]) for r in rows)
    for k, v in rows:
        print("  %-*s  %s" % (w, k, v))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "assemble":
        assemble(sys.argv[2], sys.argv[3],
                 dict(x.split("=", 1) for x in sys.argv[4:]))
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
