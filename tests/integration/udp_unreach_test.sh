#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# udp_unreach_test: a connected UDP socket of the kernel peer sending to
# a closed port of the engine gets ECONNREFUSED (the engine's ICMP and
# ICMPv6 port unreachables reach the socket), over IPv4 and IPv6; the
# IcmpOutDestUnreachs, Icmp6OutDestUnreachs and UdpNoPorts counters grow.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init udp_unreach
tq_engine_up af_packet 10.217 fd17:217 -- --udp-echo 7
py=$(tq_python)
closed=9
n=3

np0=$(tq_ctr UdpNoPorts)
u0=$(tq_ctr IcmpOutDestUnreachs)
tq_peer "$py" "$TQ_LIB_DIR/udp_unreach_client.py" "$TQ_ENG4" "$closed" --count "$n" ||
	tq_fail "IPv4: connected socket to port $closed was not refused"
np1=$(tq_ctr UdpNoPorts)
u1=$(tq_ctr IcmpOutDestUnreachs)
((np1 - np0 == n)) || tq_fail "UdpNoPorts grew by $((np1 - np0)), expected $n"
((u1 - u0 == n)) || tq_fail "IcmpOutDestUnreachs grew by $((u1 - u0)), expected $n"
tq_pass "IPv4: ECONNREFUSED x$n; UdpNoPorts +$n, IcmpOutDestUnreachs +$n"

u60=$(tq_ctr Icmp6OutDestUnreachs)
tq_peer "$py" "$TQ_LIB_DIR/udp_unreach_client.py" "$TQ_ENG6" "$closed" --count "$n" ||
	tq_fail "IPv6: connected socket to port $closed was not refused"
np2=$(tq_ctr UdpNoPorts)
u61=$(tq_ctr Icmp6OutDestUnreachs)
((np2 - np1 == n)) || tq_fail "UdpNoPorts grew by $((np2 - np1)), expected $n"
((u61 - u60 == n)) || tq_fail "Icmp6OutDestUnreachs grew by $((u61 - u60)), expected $n"
tq_pass "IPv6: ECONNREFUSED x$n; UdpNoPorts +$n, Icmp6OutDestUnreachs +$n"

# The open port still echoes (the refusals came from the port, not a
# broken engine).
tq_peer "$py" "$TQ_LIB_DIR/udp_echo_client.py" "$TQ_ENG4" 7 --count 20 >/dev/null ||
	tq_fail "UDP echo on the open port failed"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
