#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ping_test [af_packet|tap]: the kernel peer pings the engine over IPv4
# and IPv6; the engine's echo counters match what was sent; a 4000-byte
# ping, fragmented by the kernel, comes back (reassembly in the engine and
# fragmentation of its reply).  Over net_af_packet the kernel reassembles
# IPv4 fragments itself before the PMD's ring (fanout defrag), so there
# the engine's IPv4 reassembly is not exercised (IPv6's is; tap does both)
# and the ring needs frames big enough for the whole datagram.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

mode=${1:-af_packet}
tq_init "ping_$mode"
if [[ $mode == tap ]]; then
	tq_engine_up tap 10.212 fd12:212
else
	TQ_VDEV_ARGS=$TQ_AF_PACKET_BIG	# see netns.sh
	tq_engine_up af_packet 10.211 fd11:211 -- "${TQ_AF_PACKET_BIG_APP[@]}"
fi

# ping prints "N packets transmitted, M received": check M == N.
ping_ok() {
	local out
	out=$(tq_peer ping -n "$@" 2>&1) || { echo "$out" >&2; return 1; }
	awk '/packets transmitted/ {t = $1; r = $4} END {exit !(t > 0 && t == r)}' \
		<<<"$out" || { echo "$out" >&2; return 1; }
}

e4=$(tq_ctr IcmpInEchos)
r4=$(tq_ctr IcmpOutEchoReps)
ping_ok -c 5 -i 0.2 -W 2 "$TQ_ENG4" || tq_fail "ping -c 5 $TQ_ENG4 lost replies"
e4b=$(tq_ctr IcmpInEchos)
r4b=$(tq_ctr IcmpOutEchoReps)
((e4b - e4 == 5)) || tq_fail "IcmpInEchos grew by $((e4b - e4)), expected 5"
((r4b - r4 == 5)) || tq_fail "IcmpOutEchoReps grew by $((r4b - r4)), expected 5"
tq_pass "ping -c 5 $TQ_ENG4: 5 replies, IcmpInEchos +5, IcmpOutEchoReps +5"

e6=$(tq_ctr Icmp6InEchos)
r6=$(tq_ctr Icmp6OutEchoReplies)
ping_ok -6 -c 5 -i 0.2 -W 2 "$TQ_ENG6" || tq_fail "ping -6 -c 5 $TQ_ENG6 lost replies"
e6b=$(tq_ctr Icmp6InEchos)
r6b=$(tq_ctr Icmp6OutEchoReplies)
((e6b - e6 == 5)) || tq_fail "Icmp6InEchos grew by $((e6b - e6)), expected 5"
((r6b - r6 == 5)) || tq_fail "Icmp6OutEchoReplies grew by $((r6b - r6)), expected 5"
tq_pass "ping -6 -c 5 $TQ_ENG6: 5 replies, Icmp6InEchos +5, Icmp6OutEchoReplies +5"

# Large: 4008 bytes of ICMP do not fit a 1500 MTU, so the kernel sends
# fragments and the engine must reassemble, then fragment its reply.
fr=$(tq_ctr_sum IpReasmOKs)
fc=$(tq_ctr_sum IpFragCreates)
ping_ok -c 3 -i 0.2 -W 2 -s 4000 "$TQ_ENG4" || tq_fail "ping -s 4000 $TQ_ENG4 got no reply"
frb=$(tq_ctr IpReasmOKs)
fcb=$(tq_ctr IpFragCreates)
if [[ $mode == tap ]]; then
	((frb - fr >= 3)) || tq_fail "IpReasmOKs grew by $((frb - fr)), expected >= 3"
else
	# net_af_packet: the kernel's fanout defrag reassembles IPv4 before
	# the ring, so the engine gets whole datagrams (IPv6 is not).
	((frb - fr >= 0)) || tq_fail "IpReasmOKs went down"
fi
((fcb - fc >= 9)) || tq_fail "IpFragCreates grew by $((fcb - fc)), expected >= 9 (3 fragments a reply)"
tq_pass "ping -s 4000 $TQ_ENG4: replies; IpReasmOKs +$((frb - fr)), IpFragCreates +$((fcb - fc))"

fr=$(tq_ctr Ip6ReasmOKs)
fc=$(tq_ctr Ip6FragCreates)
ping_ok -6 -c 3 -i 0.2 -W 2 -s 4000 "$TQ_ENG6" || tq_fail "ping -6 -s 4000 $TQ_ENG6 got no reply"
frb=$(tq_ctr Ip6ReasmOKs)
fcb=$(tq_ctr Ip6FragCreates)
((frb - fr >= 3)) || tq_fail "Ip6ReasmOKs grew by $((frb - fr)), expected >= 3"
((fcb - fc >= 9)) || tq_fail "Ip6FragCreates grew by $((fcb - fc)), expected >= 9"
tq_pass "ping -6 -s 4000 $TQ_ENG6: replies; Ip6ReasmOKs +$((frb - fr)), Ip6FragCreates +$((fcb - fc))"

tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
