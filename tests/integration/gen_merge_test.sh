#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_merge_test: two tq-gen runs against nginx in a netns, then
# tq-gen --merge of their reports: the merged report is exactly the sum
# of the two (counts, errors by kind, rates, histogram bucket by bucket,
# series second by second), with percentiles from the merged histogram.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_merge_test
n=$(tq_free_subnet 10.236)
peer=10.236.$n.1
eng=10.236.$n.2
tq_veth_setup "$peer/24"
gen_nginx 8080 "$peer"

gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --url "http://$peer:8080/nope" \
	--connections 4 --duration 2 --json "$TQ_TMP/a.json"
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 2 --duration 3 \
	--requests-per-conn 5 --json "$TQ_TMP/b.json"
out=$("$TQ_GEN" --merge "$TQ_TMP/a.json" "$TQ_TMP/b.json" \
	--json "$TQ_TMP/m.json") || tq_fail "tq-gen --merge failed"
echo "$out" >&2
"$(tq_python)" - "$TQ_TMP/a.json" "$TQ_TMP/b.json" "$TQ_TMP/m.json" <<'PY' ||
import json, sys
from collections import Counter
a, b, m = (json.load(open(f)) for f in sys.argv[1:4])
def fail(what):
    sys.exit("merge: " + what)
for k in ("requests", "connections", "bytes_rx", "bytes_tx"):
    if m[k] != a[k] + b[k]:
        fail(k)
for k in a["errors"]:
    if m["errors"][k] != a["errors"][k] + b["errors"][k]:
        fail("errors." + k)
for k in ("requests_per_sec", "connections_per_sec", "bytes_per_sec"):
    if abs(m[k] - (a[k] + b[k])) > 1e-6 * max(1, m[k]):
        fail(k)
if m["inputs"] != 2 or m["duration_s"] != max(a["duration_s"], b["duration_s"]):
    fail("inputs or duration")
def buckets(h):
    return Counter({lo: n for lo, n in h["buckets"]})
if buckets(m["histogram"]) != buckets(a["histogram"]) + buckets(b["histogram"]):
    fail("histogram buckets")
h = m["histogram"]
if h["count"] != m["requests"] or h["min"] != min(a["histogram"]["min"], b["histogram"]["min"]) \
        or h["max"] != max(a["histogram"]["max"], b["histogram"]["max"]):
    fail("histogram count/min/max")
sa = {s["t"]: s for s in a["series"]}
sb = {s["t"]: s for s in b["series"]}
if [s["t"] for s in m["series"]] != sorted(set(sa) | set(sb)):
    fail("series seconds")
for s in m["series"]:
    x, y = sa.get(s["t"]), sb.get(s["t"])
    want = sum(z["requests"] for z in (x, y) if z)
    if s["requests"] != want:
        fail("series requests at %d" % s["t"])
    hb = sum((buckets(z["histogram"]) for z in (x, y) if z), Counter())
    if buckets(s["histogram"]) != hb:
        fail("series histogram at %d" % s["t"])
# Percentiles come from the merged histogram, not an average.
n, seen = h["count"], 0
rank = -(-99 * n // 100)
for lo, c in sorted(h["buckets"]):
    seen += c
    if seen >= rank:
        break
if not (lo <= m["latency"]["p99"] * 1000 <= max(lo * 1.01, lo + 1)):
    fail("p99 %s not in the merged histogram's bucket %d" % (m["latency"]["p99"], lo))
print("merged: %d + %d requests, %d 4xx" % (a["requests"], b["requests"],
      m["errors"]["status_4xx"]))
PY
	tq_fail "the merged report is not the sum"
tq_pass "merge is the exact sum of the two reports"
