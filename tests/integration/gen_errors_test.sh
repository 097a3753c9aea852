#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_errors_test: tq-gen against servers that misbehave (tests/lib/
# gen_peer.py in a netns): one connection each to a server that resets
# mid-response, one that answers garbage, a 404, a 503, a silent one, one
# that closes without answering, a closed port, and an address nobody
# has; plus a good chunked server.  Every kind is counted, the chunked
# answers are requests, and the run ends on time with its report.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_errors_test
n=$(tq_free_subnet 10.234)
peer=10.234.$n.1
eng=10.234.$n.2
nobody=10.234.$n.99
tq_veth_setup "$peer/24"
tq_bg ip netns exec "$TQ_NS" "$(tq_python)" "$TQ_LIB_DIR/gen_peer.py" \
	"$peer" 8100
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8106 ' && break
	sleep 0.1
done
tq_peer ss -ltn | grep -q ':8106 ' || tq_fail "gen_peer.py did not start"

urls=()
for p in 8100 8101 8102 8103 8104 8105 8106 8107; do
	urls+=(--url "http://$peer:$p/")
done
urls+=(--url "http://$nobody:80/")
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" "${urls[@]}" \
	--connections 9 --duration 3 --timeout 0.5 --json "$TQ_TMP/e.json"
awk -v s="$GEN_SECS" 'BEGIN {exit !(s < 10)}' ||
	tq_fail "a 3 s run took ${GEN_SECS}s"
e() { gen_json "$TQ_TMP/e.json" "r['errors']['$1']"; }
for k in reset parse status_4xx status_5xx timeout closed refused \
		connect_timeout; do
	v=$(e "$k")
	((v > 0)) || { cat "$TQ_TMP/e.json" >&2; tq_fail "no $k errors counted"; }
	tq_log "$k: $v"
done
req=$(gen_json "$TQ_TMP/e.json" 'r["requests"]')
s4=$(e status_4xx)
s5=$(e status_5xx)
# 404s and 503s are answers; the chunked server's too.
((req > s4 + s5)) || tq_fail "$req requests: the chunked answers were not counted"
# Three seconds at 0.5 s each: the silent server times out about 6 times.
to=$(e timeout)
((to <= 8)) || tq_fail "$to timeouts from one connection in 3 s"
tq_pass "every kind counted ($req requests), ended in ${GEN_SECS}s"

# Answers that come in pieces, the head cut mid-line: every one parsed
# (the bytes a read leaves wait with the connection), none an error.
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8108/" --connections 2 --duration 2 \
	--json "$TQ_TMP/s.json"
check=$(gen_json "$TQ_TMP/s.json" '
r["requests"] >= 20 and r["errors"]["total"] == 0 and
r["bytes_rx"] == 51 * r["requests"]')
[[ $check == True ]] || { cat "$TQ_TMP/s.json" >&2; tq_fail "split answers"; }
tq_pass "answers in pieces: $(gen_json "$TQ_TMP/s.json" 'r["requests"]') parsed, no errors"
