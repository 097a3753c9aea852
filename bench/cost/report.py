# SPDX-License-Identifier: BSD-3-Clause
"""bench/cost/report.py: per-transaction instructions from two callgrind runs.

  report.py OUT.json COMMIT CONNS RESP TOP CSUM {MODE N1 ANNOT1 N2 ANNOT2}...

COST_MAX (environment, e.g. "rr=12000,crr=30000") makes it exit non-zero
when a figure is above its limit (or not positive): the CI smoke run's
guard against a large regression.

ANNOTn is `callgrind_annotate --threshold=100` output of the run at count
Nn.  Prints a table and writes OUT.json.  Both stacks run in one process:
a figure for one side is half the difference per transaction.
"""
import json
import os
import re
import sys

LINE = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?$")
UNIT = {"rr": "request", "crr": "connection", "bulk": "byte"}


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
            if not in_fns or line.startswith("-"):
                continue
            if not line.strip():
                if fns:
                    break
                continue
            m = LINE.match(line)
            if not m:
                continue
            loc, obj = m.group(2), m.group(3) or ""
            file, _, fn = loc.rpartition(":")
            name = fn if fn and not fn.startswith("0x") else loc
            if "/" in file and not fn:
                name = loc
            # Our own code (in the binary, or inlined from a header)
            # by name; a library's by name and library.
            lib = obj.rsplit("/", 1)[-1]
            # Code with no symbol is named after whichever object
            # callgrind maps it to, which changes from run to run (the
            # PMD libraries): by address only, so set-up cancels.
            if name.startswith("???:0x"):
                lib = "no symbol"
            key = name + (" (" + lib + ")"
                          if lib and "stack_bench" not in lib else "")
            fns[key] = fns.get(key, 0) + int(m.group(1).replace(",", ""))
    if total is None:
        sys.exit("report.py: no PROGRAM TOTALS in " + path)
    return total, fns


def by_name(f1, f2):
    """A library function by its name alone when the two runs name its
    object differently (callgrind maps libc's __sigsetjmp to libc in one
    run and to ld.so in the next): otherwise its whole set-up cost shows
    as a difference per transaction."""
    def bare(k):
        return k.split(" (", 1)[0]
    names = {}
    for k in set(f1) | set(f2):
        names.setdefault(bare(k), set()).add(k)
    g1, g2 = {}, {}
    for b, keys in names.items():
        k = sorted(keys)[0] if len(keys) == 1 else b
        g1[k] = sum(f1.get(x, 0) for x in keys)
        g2[k] = sum(f2.get(x, 0) for x in keys)
    return g1, g2


def main():
    out, commit, conns, resp, top, csum = sys.argv[1:7]
    rest = sys.argv[7:]
    limits = {}
    for kv in filter(None, os.environ.get("COST_MAX", "").split(",")):
        k, _, v = kv.partition("=")
        limits[k] = float(v)
    over = []
    res = {"commit": commit, "conns": int(conns), "response_bytes": int(resp),
           "link_csum_offload": csum != "0",
           "what": "instructions (callgrind Ir) per transaction, one side: "
                   "(total at N2 - total at N1) / (N2 - N1) / 2"}
    for i in range(0, len(rest), 5):
        mode, n1, a1, n2, a2 = rest[i:i + 5]
        n1, n2 = int(n1), int(n2)
        t1, f1 = parse(a1)
        t2, f2 = parse(a2)
        f1, f2 = by_name(f1, f2)
        d = n2 - n1
        per_side = (t2 - t1) / d / 2
        diff = {k: (f2.get(k, 0) - f1.get(k, 0)) / d / 2
                for k in set(f1) | set(f2)}
        best = sorted(diff.items(), key=lambda kv: -kv[1])[:int(top)]
        res[mode] = {"counts": [n1, n2], "totals": [t1, t2],
                     "per_side": round(per_side, 1),
                     "top": [{"function": k, "per_side": round(v, 1)}
                             for k, v in best]}
        print("%s: %.0f instructions per %s, one side (callgrind, "
              "counts %d and %d, %s conn(s), %s-byte responses)"
              % (mode, per_side, UNIT[mode], n1, n2, conns, resp))
        for k, v in best:
            print("  %8.0f  %5.1f%%  %s" % (v, 100 * v / per_side
                                            if per_side else 0, k))
        if mode in limits and not 0 < per_side <= limits[mode]:
            over.append("%s: %.0f per side, limit %.0f"
                        % (mode, per_side, limits[mode]))
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print("wrote " + out)
    if over:
        sys.exit("report.py: over COST_MAX: " + "; ".join(over))


if __name__ == "__main__":
    main()
