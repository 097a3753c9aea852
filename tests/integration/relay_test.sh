#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# relay_test: docs/api.md's example relay (docs/examples/tq_relay.c, public
# API only) between two kernel ends over net_af_packet.  A client sends
# 5 MB through it and shuts its side; the server behind it answers with
# the SHA-256 of what it got and 3 MB more: both directions byte-exact,
# FIN carried across both ways; then eight such clients at once.  The
# bytes must have moved by splice (StreamSplicedBytes).
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init relay_test
TQ_SERVER="$TQ_BUILD_DIR/docs/examples/tq-relay"
[[ -x $TQ_SERVER ]] || tq_fail "no $TQ_SERVER"
# tq_engine_up picks the same free subnet: nothing is set up in between.
n=$(tq_free_subnet 10.232)
peer=10.232.$n.1
tq_engine_up af_packet 10.232 fd32:232 -- --listen 5000 --to "$peer:8080"
py=$(tq_python)
helper="$TQ_LIB_DIR/relay_peer.py"
tq_bg ip netns exec "$TQ_NS" "$py" "$helper" server "$TQ_PEER4" 8080 3000000
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8080 ' && break
	sleep 0.1
done

dump() {
	"$TQ_CTL" --file-prefix "$TQ_PREFIX" conns >&2 || true
	tq_stats | awk '$2 != 0' >&2 || true
}
out=$(tq_peer "$py" "$helper" client "$TQ_ENG4" 5000 5000000 3000000 2>&1) ||
	{ dump; tq_fail "relay transfer failed: $out"; }
tq_pass "one client: $out"

pids=()
for ((i = 0; i < 8; i++)); do
	tq_peer "$py" "$helper" client "$TQ_ENG4" 5000 1000000 3000000 \
		>"$TQ_TMP/c$i.log" 2>&1 &
	pids+=("$!")
done
for p in "${pids[@]}"; do
	wait "$p" || { cat "$TQ_TMP"/c*.log >&2; dump; tq_fail "parallel relay failed"; }
done
tq_pass "eight clients at once"
spliced=$(tq_ctr StreamSplicedBytes)
((spliced >= 5000000 + 3000000 + 8 * 1500000)) ||
	tq_fail "StreamSplicedBytes $spliced: the data did not go by splice"
tq_pass "StreamSplicedBytes $spliced"
((TQ_SERVER_PID)) && tq_alive "$TQ_SERVER_PID" || tq_fail "tq-relay died"
