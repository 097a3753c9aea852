#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmtu_test: a download through a real router whose next link has a
# smaller MTU than ours.
#
#   engine --1500-- [router netns] --1280-- client netns (its end: 1500)
#
# The client's end of the narrow link keeps MTU 1500, so its SYN offers a
# 1440-byte MSS and only the router knows better.  Over IPv6, which
# routers never fragment, the router's "packet too big" must make the
# engine cut its MSS (TcpPmtuUpdates) or the download stalls, and the
# next connection to that client must start at the smaller MSS; over IPv4
# (we send without DF) the router fragments and it works anyway.  Both
# downloads must arrive whole.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init pmtu
command -v curl >/dev/null || tq_skip "needs curl"

tq_veth_setup 10.248.1.1/24 fd48:1::1/64
RT=$TQ_NS
RT_A=$TQ_PEER_IF
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$RT" sysctl -qw net.ipv6.conf.all.forwarding=1

# The narrow link, router to client.
tq_netns_new
CL=$TQ_NS
RT_B=$(tq_ifname r)
CL_B=$(tq_ifname c)
ip link add "$RT_B" type veth peer name "$CL_B"
TQ_LINKS+=("|$RT_B" "|$CL_B")
ip link set "$RT_B" netns "$RT"
TQ_LINKS+=("$RT|$RT_B")
ip link set "$CL_B" netns "$CL"
TQ_LINKS+=("$CL|$CL_B")
ip -n "$RT" addr add 10.248.2.1/24 dev "$RT_B"
ip -n "$RT" -6 addr add fd48:2::1/64 dev "$RT_B" nodad
ip -n "$RT" link set "$RT_B" mtu 1280 up
ip netns exec "$RT" ethtool -K "$RT_B" tx off >/dev/null 2>&1 || true
ip -n "$CL" addr add 10.248.2.2/24 dev "$CL_B"
ip -n "$CL" -6 addr add fd48:2::2/64 dev "$CL_B" nodad
ip -n "$CL" link set "$CL_B" up
ip netns exec "$CL" ethtool -K "$CL_B" tx off >/dev/null 2>&1 || true
ip -n "$CL" route add default via 10.248.2.1
ip -n "$CL" -6 route add default via fd48:2::1

doc=$TQ_TMP/doc
mkdir -p "$doc"
head -c 2000000 /dev/urandom >"$doc/f.bin"
want=$(sha256sum <"$doc/f.bin" | cut -d' ' -f1)
tq_server_start "$(tq_vdev_af_packet)" -- --addr 10.248.1.2/24 \
	--addr fd48:1::2/64 --gateway 10.248.1.1 --gateway fd48:1::1 \
	--http 80 --docroot "$doc"
# From the client, through the router: routes and NDP both ways.
tq_wait_ping 10.248.1.2
tq_wait_ping fd48:1::2

fetch() {
	local url=$1 got
	got=$(tq_peer curl -s --max-time 20 "$url" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]]
}

fetch "http://[fd48:1::2]/f.bin" ||
	tq_fail "IPv6 download through the 1280-byte link did not arrive whole (TcpPmtuUpdates $(tq_ctr TcpPmtuUpdates), Icmp6InPktTooBigs $(tq_ctr Icmp6InPktTooBigs))"
ptb=$(tq_ctr Icmp6InPktTooBigs)
upd=$(tq_ctr TcpPmtuUpdates)
((ptb >= 1 && upd >= 1)) ||
	tq_fail "Icmp6InPktTooBigs $ptb, TcpPmtuUpdates $upd: the path MTU was not learned"
tq_pass "IPv6: 2 MB through the router's 1280-byte link; Icmp6InPktTooBigs $ptb, TcpPmtuUpdates $upd"
# A new connection to the same client starts at the learned MSS: no
# more "too big" from the router.
fetch "http://[fd48:1::2]/f.bin" || tq_fail "second IPv6 download"
ptb2=$(tq_ctr Icmp6InPktTooBigs)
((ptb2 == ptb)) || tq_fail "the second connection drew $((ptb2 - ptb)) more 'too big': the path MTU was not remembered"
tq_pass "IPv6 again: no new 'too big' (the path MTU is cached for the peer)"

fetch "http://10.248.1.2/f.bin" ||
	tq_fail "IPv4 download through the 1280-byte link did not arrive whole"
tq_pass "IPv4: 2 MB, fragmented by the router; TcpPmtuUpdates $(tq_ctr TcpPmtuUpdates)"
tq_stop_pid "$TQ_SERVER_PID"
