#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Markdown table of a bench/quic-crypto/run.sh result.

Usage: report.py [docs/bench/quic-crypto.json]
"""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "docs/bench/quic-crypto.json"
d = json.load(open(path))
res = {(r["backend"], r["cipher"], r["op"]): r for r in d["results"]}
cdev = {(r["cipher"], r["op"], r["burst"]): r for r in d.get("cryptodev", [])}
arch = next((r["arch"] for r in d["results"] if r["backend"] == "ipsecmb"),
            "-")

print("Run %s, commit %s, %s, core %d; median over %d runs x %d rounds "
      "(ns per operation; min-max of the rounds in brackets)." %
      (d["run"], d["commit"], d["machine"]["cpu"], d["core"], d["repeat"],
       d["rounds_per_run"]))
print()
print("| cipher | operation | ipsec-mb (%s) | GnuTLS | ipsec-mb / GnuTLS "
      "| DPDK cryptodev, 1 a call | cryptodev, 32 a call |" % arch)
print("|---|---|--:|--:|--:|--:|--:|")
ops = [("seal", "seal, 1200 B"), ("open", "open, 1200 B"),
       ("hp_mask", "header protection mask")]
for c in ("aes-128-gcm", "aes-256-gcm", "chacha20-poly1305"):
    for op, label in ops:
        i = res.get(("ipsecmb", c, op))
        g = res.get(("gnutls", c, op))

        def cell(r):
            if not r:
                return "-"
            if op == "open":	# a difference of medians: no range
                return "%.0f" % r["ns_median"]
            return "%.0f (%.0f-%.0f)" % (r["ns_median"], r["ns_min"],
                                         r["ns_max"])
        ratio = ("%.2f" % (i["ns_median"] / g["ns_median"])
                 if i and g else "-")
        c1 = cdev.get((c, op, 1))
        c32 = cdev.get((c, op, 32))
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            c, label, cell(i), cell(g), ratio,
            "%.0f" % c1["ns_median"] if c1 else "-",
            "%.0f" % c32["ns_median"] if c32 else "-"))
