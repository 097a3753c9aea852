#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# udp_echo_test [af_packet|tap]: 1000 datagrams of random sizes
# (1..1472, and 50 of up to 8000 bytes that travel as fragments both
# ways) echoed byte-exact over IPv4 and over IPv6.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

mode=${1:-af_packet}
tq_init "udp_echo_$mode"
if [[ $mode == tap ]]; then
	tq_engine_up tap 10.214 fd14:214 -- --udp-echo 7
else
	# Big IPv4 datagrams reach net_af_packet whole (kernel defrag).
	TQ_VDEV_ARGS=$TQ_AF_PACKET_BIG
	tq_engine_up af_packet 10.213 fd13:213 -- --udp-echo 7 "${TQ_AF_PACKET_BIG_APP[@]}"
fi
py=$(tq_python)

for dst in "$TQ_ENG4" "$TQ_ENG6"; do
	in0=$(tq_ctr UdpInDatagrams)
	out0=$(tq_ctr UdpOutDatagrams)
	tq_peer "$py" "$TQ_LIB_DIR/udp_echo_client.py" "$dst" 7 \
		--count 1000 --max-size 1472 --big 50 --big-max 8000 \
		--timeout 0.5 --retries 4 --max-retry-pct 1 ||
		tq_fail "UDP echo to $dst failed"
	in1=$(tq_ctr UdpInDatagrams)
	out1=$(tq_ctr UdpOutDatagrams)
	# Retries add datagrams, so at least 1000 each way.
	((in1 - in0 >= 1000)) || tq_fail "UdpInDatagrams grew by $((in1 - in0)), expected >= 1000"
	((out1 - out0 >= 1000)) || tq_fail "UdpOutDatagrams grew by $((out1 - out0)), expected >= 1000"
	tq_pass "$dst: 1000 datagrams echoed byte-exact; UdpInDatagrams +$((in1 - in0)), UdpOutDatagrams +$((out1 - out0))"
done
frags=$(tq_ctr_sum IpFragCreates Ip6FragCreates)
((frags > 0)) || tq_fail "no fragments sent: the big datagrams did not exercise fragmentation"
tq_log "fragments sent by the engine: $frags; reassembled: IPv4 $(tq_ctr IpReasmOKs), IPv6 $(tq_ctr Ip6ReasmOKs)"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
