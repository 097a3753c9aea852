#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# jumbo_test: tq-server --mtu 9000 on net_af_packet (whose reported
# largest frame, 1518 bytes, makes DPDK refuse the MTU: the engine sets
# the kernel interface's MTU itself) serves 20 MB to the kernel's curl
# over IPv4 and IPv6 with 9000-byte frames on both ends of the veth: the
# bytes arrive exact, the engine's interface has MTU 9000, and the frames
# it sent average well past 1500 bytes.  Then --mtu 9000 with the
# default 2 KiB ring frames: the engine says which framesz= it needs and
# stays at 1500.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init jumbo
tq_require_tools curl sha256sum head ip
doc=$TQ_TMP/doc
mkdir -p "$doc"
head -c 20000000 /dev/urandom >"$doc/r20m.bin"
TQ_VDEV_ARGS=$TQ_AF_PACKET_BIG tq_engine_up af_packet 10.152 fd52:52 -- \
	"${TQ_AF_PACKET_BIG_APP[@]}" --mtu 9000 --http 80 --docroot "$doc"
mtu=$(cat "/sys/class/net/$TQ_ENG_IF/mtu")
[[ $mtu == 9000 ]] || tq_fail "engine's interface has MTU $mtu, want 9000"
grep -q "mtu 9000 set on $TQ_ENG_IF" "$TQ_SERVER_LOG" ||
	tq_fail "no 'mtu 9000 set on $TQ_ENG_IF' in the server's log"
tq_peer ip link set dev "$TQ_PEER_IF" mtu 9000
want=$(sha256sum <"$doc/r20m.bin")
tx0=$(tq_ctr TxPackets)
b0=$(tq_ctr TxBytes)
for h in "$TQ_ENG4" "[$TQ_ENG6]"; do
	got=$(tq_peer curl -sS -g --max-time 60 "http://$h/r20m.bin" |
		sha256sum) || tq_fail "curl http://$h/r20m.bin failed"
	[[ $got == "$want" ]] || tq_fail "http://$h/r20m.bin: sha256 $got, want $want"
done
pk=$(($(tq_ctr TxPackets) - tx0))
by=$(($(tq_ctr TxBytes) - b0))
((pk > 0)) || tq_fail "no frames sent"
avg=$((by / pk))
# 40 MB in 9014-byte frames and the ACKs for the requests: thousands of
# bytes a frame; at MTU 1500 it could not pass 1514
((avg > 4000)) || tq_fail "frames average $avg bytes ($pk frames, $by bytes)"
tq_pass_note="40 MB byte-exact at MTU 9000: $pk frames, $avg bytes a frame"
tq_stop_pid "$TQ_SERVER_PID"
tq_server_start "$(tq_vdev_af_packet)" -- --addr "$TQ_ENG4/24" --mtu 9000 \
	--http 80 --docroot "$doc"
grep -q "framesz=16384" "$TQ_SERVER_LOG" ||
	tq_fail "--mtu 9000 with 2 KiB frames: no word of framesz= in the log"
tq_pass "$tq_pass_note; with 2 KiB ring frames the engine asks for framesz="
