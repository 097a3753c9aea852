#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_rate_test: tq-gen's open loop (--rate 200 over 4 connections, 1 s
# warmup, 3 s measured) against nginx in a netns: the rate holds within
# 3% overall and 6% in each second of the series, nginx logged what
# tq-gen counted (warmup included), and the latency of a server that is
# not loaded stays small.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_rate_test
n=$(tq_free_subnet 10.235)
peer=10.235.$n.1
eng=10.235.$n.2
tq_veth_setup "$peer/24"
gen_nginx 8080 "$peer"
log=$TQ_TMP/nginx/access.log

gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 4 --rate 200 \
	--warmup 1 --duration 3 --json "$TQ_TMP/r.json"
gen_json "$TQ_TMP/r.json" "r[\"latency\"]" >&2
check=$(gen_json "$TQ_TMP/r.json" '
abs(r["requests_per_sec"] - 200) <= 6 and
len(r["series"]) == 3 and
all(abs(s["requests"] - 200) <= 12 for s in r["series"]) and
r["errors"]["total"] == 0 and
r["config"]["rate"] == 200')
[[ $check == True ]] || { gen_json "$TQ_TMP/r.json" \
	'[r["requests_per_sec"]] + [s["requests"] for s in r["series"]]' >&2
	tq_fail "rate did not hold"; }
rps=$(gen_json "$TQ_TMP/r.json" 'round(r["requests_per_sec"], 1)')
p99=$(gen_json "$TQ_TMP/r.json" 'r["latency"]["p99"]')
# nginx logged the warmup's requests too: about 200 more.
req=$(gen_json "$TQ_TMP/r.json" 'r["requests"]')
lines=$(wc -l <"$log")
((lines >= req + 180 && lines <= req + 220)) ||
	tq_fail "nginx logged $lines requests, tq-gen $req measured + ~200 warmup"
tq_pass "rate $rps/s (asked 200), p99 ${p99}us, nginx $lines = $req + warmup"
