#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gro_test: a kernel client streams 20 MB through tq-server --gro --gso
# --tcp-echo over af_packet (software checksums, which GRO verifies
# itself) and gets it back byte-exact, over IPv4 and IPv6: the engine
# merged received frames (RxGroMerged) and still delivered every byte;
# then 5 MB the same way under the engine's fault injector (2% drop,
# reorder, 1% duplication, 0.5% corruption before GRO): no merge across
# a gap, a duplicate or a bad checksum may lose or damage a byte.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init gro
py=$(tq_python)
client="$TQ_LIB_DIR/tcp_stream_client.py"
run() {
	local size=$1 addr out
	for addr in "$TQ_ENG4" "$TQ_ENG6"; do
		out=$(tq_peer "$py" "$client" echo "$addr" 7 "$size" \
			--timeout 60) || { echo "$out" >&2;
			tq_fail "echo of $size bytes via $addr failed"; }
		tq_pass "echo $addr: $out"
	done
}
tq_engine_up af_packet 10.153 fd53:53 -- --tcp-echo 7 --gro --gso
run 20000000
merged=$(tq_ctr RxGroMerged)
segs=$(tq_ctr RxGroSegs)
((merged > 0 && segs > 0)) || tq_fail "no frame merged (RxGroMerged $merged, RxGroSegs $segs)"
tq_pass "RxGroMerged $merged in $segs merged segments"
"$TQ_CTL" --file-prefix "$TQ_PREFIX" set fault \
	drop=0.02,reorder=0.02,dup=0.01,corrupt=0.005,seed=7 >/dev/null ||
	tq_fail "tq-ctl set fault"
run 5000000
m2=$(tq_ctr RxGroMerged)
((m2 > merged)) || tq_fail "no frame merged under faults"
tq_pass "under faults: RxGroMerged $((m2 - merged)) more, TcpRetransSegs $(tq_ctr TcpRetransSegs), FaultDropped $(tq_ctr FaultDropped)"
