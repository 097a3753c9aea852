#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_udp_test: tq-gen --mode udp at --rate 400 for 2 s against a UDP
# echo in a netns that drops every 50th datagram, on two workers (the
# echoes land on whichever worker their flow hashes to; the latency rides
# in the datagram).  The echoes are 98% of what was due, the rate holds,
# and the dropped ones are counted as timeouts.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_udp_test
n=$(tq_free_subnet 10.239)
peer=10.239.$n.1
eng=10.239.$n.2
tq_veth_setup "$peer/24"
tq_bg ip netns exec "$TQ_NS" "$(tq_python)" "$TQ_LIB_DIR/gen_peer.py" \
	udp "$peer" 8007 50
for ((i = 0; i < 50; i++)); do
	tq_peer ss -lun | grep -q ':8007 ' && break
	sleep 0.1
done
ncpu=$(nproc)
lcores=0@0,1@$((ncpu - 1)),2@$((ncpu - 1))
TQ_VDEV_ARGS=qpairs=2
gen_run 20 --lcores "$lcores" "$(tq_vdev_af_packet qpairs=2)" -- \
	--addr "$eng/24" --mode udp --url "udp://$peer:8007" --rate 400 \
	--warmup 1 --duration 2 --size 200 --json "$TQ_TMP/u.json"
check=$(gen_json "$TQ_TMP/u.json" '
780 <= r["requests"] <= 800 and
r["requests"] + r["errors"]["timeout"] == 800 and
r["errors"]["timeout"] >= 14 and r["errors"]["parse"] == 0 and
r["bytes_tx"] >= 800 * 200 and r["histogram"]["count"] == r["requests"]')
[[ $check == True ]] || { gen_json "$TQ_TMP/u.json" \
	'(r["requests"], r["errors"], r["bytes_tx"])' >&2; tq_fail "udp counts"; }
tq_pass "udp: $(gen_json "$TQ_TMP/u.json" 'r["requests"]') echoes, $(gen_json "$TQ_TMP/u.json" 'r["errors"]["timeout"]') lost of 800"
