#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_metrics_test: tq-gen --metrics against nginx in a netns.  Scraped
# in the middle of a 4 s run, the page passes promtool (lint included)
# and holds tq-gen's latency histogram (tachyon_app_gen_latency_seconds)
# per worker and summed: buckets cumulative, +Inf equal to the count,
# the count rising between two scrapes and agreeing with the requests
# counter read in the same scrape.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_metrics_test
tq_require_tools promtool curl
n=$(tq_free_subnet 10.241)
peer=10.241.$n.1
eng=10.241.$n.2
tq_veth_setup "$peer/24"
gen_nginx 8080 "$peer"
mport=$((19000 + RANDOM % 1000))
while ss -ltn | grep -q ":$mport "; do mport=$((mport + 1)); done

tq_server_start "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 4 --duration 4 \
	--metrics "127.0.0.1:$mport" --json "$TQ_TMP/r.json"
scrape() {
	curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics" >"$1" ||
		tq_fail "GET /metrics failed"
}
sleep 1.5
scrape "$TQ_TMP/m1"
sleep 1
scrape "$TQ_TMP/m2"
out=$(promtool check metrics <"$TQ_TMP/m2" 2>&1) || tq_fail "promtool check metrics: $out"
[[ -z $out ]] || tq_fail "promtool check metrics reported: $out"
grep -q '^# TYPE tachyon_app_gen_latency_seconds histogram' "$TQ_TMP/m2" ||
	tq_fail "no latency histogram family: $(grep app_ "$TQ_TMP/m2")"
check() {
	"$(tq_python)" - "$1" <<'PY'
import re, sys
b, cnt, s, req = {}, None, None, None
for line in open(sys.argv[1]):
    m = re.match(r'tachyon_app_gen_latency_seconds_bucket\{worker="all",le="([^"]+)"\} (\S+)', line)
    if m:
        b[float(m.group(1))] = float(m.group(2))
    m = re.match(r'tachyon_app_gen_latency_seconds_count\{worker="all"\} (\S+)', line)
    if m:
        cnt = float(m.group(1))
    m = re.match(r'tachyon_app_gen_latency_seconds_sum\{worker="all"\} (\S+)', line)
    if m:
        s = float(m.group(1))
    m = re.match(r'tachyon_app_gen_requests_total\{worker="all"\} (\S+)', line)
    if m:
        req = float(m.group(1))
v = [b[k] for k in sorted(b)]
ok = (len(v) == 18 and all(x <= y for x, y in zip(v, v[1:]))
      and v[-1] == cnt and cnt > 0 and s > 0 and s / cnt < 1.0
      and abs(cnt - req) <= 0.02 * req + 8)
print(int(cnt) if ok else "bad: buckets %s count %s sum %s requests %s" % (v, cnt, s, req))
PY
}
c1=$(check "$TQ_TMP/m1")
c2=$(check "$TQ_TMP/m2")
[[ $c1 =~ ^[0-9]+$ && $c2 =~ ^[0-9]+$ ]] || tq_fail "histogram: $c1 / $c2"
((c2 > c1)) || tq_fail "the count did not rise between scrapes: $c1 -> $c2"
grep -q '^tachyon_app_gen_latency_seconds_count{worker="0"} [1-9]' "$TQ_TMP/m2" ||
	tq_fail "no per-worker histogram"
tq_pass "mid-run /metrics passes promtool; gen latency histogram cumulative, +Inf = count, count $c1 -> $c2, agrees with GenRequests"
for ((i = 0; i < 100; i++)); do
	tq_alive "$TQ_SERVER_PID" || break
	sleep 0.1
done
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-gen exited with $TQ_STOP_RC"
tq_pass "all checks passed"
