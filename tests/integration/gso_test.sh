#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gso_test: tq-server --gso (TCP sends up to 64 KiB a segment, the worker
# cuts it to the MSS before the af_packet TX ring, checksums in software)
# serves 20 MB to the kernel's curl over IPv4 and IPv6 under the engine's
# fault injector (1% drop, reorder, duplication of the cut frames): the
# bytes arrive exact, large segments were sent and cut, and lost frames
# of them were retransmitted.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init gso
tq_require_tools curl sha256sum head
doc=$TQ_TMP/doc
mkdir -p "$doc"
head -c 20000000 /dev/urandom >"$doc/r20m.bin"
tq_engine_up af_packet 10.151 fd51:51 -- --http 80 --docroot "$doc" --gso \
	--fault drop=0.01,reorder=0.01,dup=0.01,seed=3
want=$(sha256sum <"$doc/r20m.bin")
for h in "$TQ_ENG4" "[$TQ_ENG6]"; do
	got=$(tq_peer curl -sS -g --max-time 60 "http://$h/r20m.bin" |
		sha256sum) || tq_fail "curl http://$h/r20m.bin failed"
	[[ $got == "$want" ]] || tq_fail "http://$h/r20m.bin: sha256 $got, want $want"
done
tso=$(tq_ctr TcpOutTso)
gso=$(tq_ctr TxGsoFrames)
rx=$(tq_ctr TcpRetransSegs)
((tso > 0)) || tq_fail "no segment above the MSS (TcpOutTso 0)"
((gso > tso)) || tq_fail "TxGsoFrames $gso for TcpOutTso $tso"
((rx > 0)) || tq_fail "no retransmissions under 1% loss"
tq_pass "20 MB over IPv4 and IPv6 byte-exact under faults: TcpOutTso $tso, TxGsoFrames $gso, TcpRetransSegs $rx"
