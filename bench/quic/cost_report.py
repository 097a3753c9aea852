# SPDX-License-Identifier: BSD-3-Clause
"""bench/quic/cost_report.py: instructions per HTTP/3 request per server.

  cost_report.py OUT.json COMMIT N TOP SIZE {NAME ANNOT_N ANNOT_2N}...

ANNOT_N and ANNOT_2N are `callgrind_annotate --threshold=100` of the
dumps after N and after 2N requests (each its own connection); their
difference over N is one request.  Prints, per server, the total, the
split by shared object (the server, nghttp3, ngtcp2, libc, the crypto
libraries) and the top functions; a ratio line; writes OUT.json.

A polling server's total includes its polls that found nothing, as many
as the client left it idle: the figure moves by a thousand or two from
run to run with the same code.  So the poll loop's own functions and the
PMD (LOOP below) are also counted apart, and "work" is the rest: the
packets' processing, QUIC, HTTP/3, the app, the crypto; the figure to
compare commits by.
"""
import json
import re
import sys

# The poll loop, its timer wheel and the PMD (rx/tx, empty or not).
LOOP_FN = re.compile(r"^(shard_poll|tq_shard_poll2?|tq_shard_main|rx_burst|"
                     r"tq_shard_flush|flush_send|"
                     r"tq_timer_run|tq_timer_poll|run_slot|eth_rx|eth_tx|"
                     r"drain_commands|tq_loop_\w+)$")
LOOP_OB = re.compile(r"^librte_net_")

LINE = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?$")


def parse(path):
    total, fns, in_fns = None, {}, False
    with open(path) as f:
        for line in f:
            if "PROGRAM TOTALS" in line:
                total = int(line.split()[0].replace(",", ""))
                continue
            if line.startswith("Ir") and "file:function" in line:
                in_fns = True
                continue
            if not in_fns:
                continue
            m = LINE.match(line)
            if not m:
                continue
            n = int(m.group(1).replace(",", ""))
            fn = m.group(2).split(":", 1)[-1] if ":" in m.group(2) else m.group(2)
            ob = (m.group(3) or "?").rsplit("/", 1)[-1]
            key = (fn, ob)
            fns[key] = fns.get(key, 0) + n
    if total is None:
        sys.exit(f"cost_report: no total in {path}")
    return total, fns


def group(ob):
    for pat, g in (("tq-server", "server"), ("gtlsserver", "server"),
                   ("libnghttp3", "nghttp3"), ("libngtcp2", "ngtcp2"),
                   ("libc.so", "libc"), ("libIPSec_MB", "crypto"),
                   ("libgnutls", "crypto"), ("libnettle", "crypto"),
                   ("libhogweed", "crypto"), ("libgmp", "crypto")):
        if pat in ob:
            return g
    return "other"


def main():
    out, commit, n, top, size = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rest = sys.argv[6:]
    res = {"commit": commit, "requests": n, "body_bytes": size,
           "what": f"instructions per HTTP/3 request of a {size}-byte "
           "page in the server process, user space, callgrind "
           "(bench/quic/cost.sh)", "servers": {}}
    for i in range(0, len(rest), 3):
        name, a, b = rest[i], rest[i + 1], rest[i + 2]
        ta, fa = parse(a)
        tb, fb = parse(b)
        per = (tb - ta) / n
        fns = {}
        for k in set(fa) | set(fb):
            d = (fb.get(k, 0) - fa.get(k, 0)) / n
            # The frames below the loop (thread start, main) were active
            # at each dump, and callgrind_annotate shows each of them
            # with the whole dump's cost as its own: not a function's
            # work, left out.
            if d and abs(d - per) > 0.01 * per:
                fns[k] = d
        groups = {}
        loop = 0.0
        for (fn, ob), d in fns.items():
            g = group(ob)
            groups[g] = groups.get(g, 0) + d
            if LOOP_FN.match(fn) or LOOP_OB.match(ob):
                loop += d
        tops = sorted(fns.items(), key=lambda kv: -kv[1])[:top]
        res["servers"][name] = {
            "per_request": round(per),
            "loop": round(loop),
            "work": round(per - loop),
            "by_object": {g: round(v) for g, v in sorted(
                groups.items(), key=lambda kv: -kv[1])},
            "top": [{"function": fn, "object": ob, "per_request": round(d)}
                    for (fn, ob), d in tops],
        }
    print(f"instructions per request ({size}-byte page, {n} requests, "
          f"commit {commit}; callgrind, user space):")
    for name, r in res["servers"].items():
        parts = ", ".join(f"{g} {v:,}" for g, v in r["by_object"].items())
        print(f"  {name:11s} {r['per_request']:8,}  ({parts})")
        if r["loop"]:
            print(f"  {'':11s} work {r['work']:,} without the poll loop "
                  f"and PMD ({r['loop']:,})")
    names = list(res["servers"])
    if len(names) == 2:
        a, b = (res["servers"][x]["per_request"] for x in names)
        if a > 0:
            res["ratio"] = {"of": f"{names[1]} / {names[0]}",
                            "value": round(b / a, 3)}
            print(f"  {names[1]} / {names[0]}: {b / a:.2f}x the instructions")
    for name, r in res["servers"].items():
        print(f"\n{name}: top functions per request")
        for t in r["top"]:
            print(f"  {t['per_request']:7,}  {t['function']} ({t['object']})")
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
