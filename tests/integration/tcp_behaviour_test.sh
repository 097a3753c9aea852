#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_behaviour_test: TCP behaviours against kernel peers, each with the
# counter that shows it:
#   - RFC 5961: a forged in-window RST draws a challenge ACK and the
#     connection lives on; an exact one resets it (scapy);
#   - SYN cookies: a flood of spoofed SYNs fills the SYN queue, cookies
#     are sent, and a real client is served during the flood;
#   - TCP Fast Open with a kernel client (tcp_fastopen=1): data on the SYN
#     of the second and later connections;
#   - keepalive: a live peer keeps its connection, a peer whose veth is
#     removed is declared dead.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init tcp_behaviour
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	tq_skip "needs Debian's python3-scapy"
tq_engine_up af_packet 10.230 fd30:230 -- --tcp-echo 7 --backlog 8 \
	--tcp-fastopen 2
mac=$(tq_info mac)
attack=("/usr/bin/python3" "$TQ_LIB_DIR/tcp_attack.py")

# RFC 5961 3.2
c0=$(tq_ctr TCPChallengeACK)
r0=$(tq_ctr TcpEstabResets)
out=$(tq_peer "${attack[@]}" rst --iface "$TQ_PEER_IF" --dst-mac "$mac" \
	--src "$TQ_PEER4" --dst "$TQ_ENG4" --port 7) ||
	{ echo "$out" >&2; tq_fail "forged RST handling"; }
(($(tq_ctr TCPChallengeACK) > c0)) || tq_fail "TCPChallengeACK did not grow"
(($(tq_ctr TcpEstabResets) > r0)) || tq_fail "TcpEstabResets did not grow"
tq_pass "RFC 5961: $(tr '\n' ';' <<<"$out")"

# Fast Open: the kernel client asks for a cookie, then sends on the SYN.
tq_peer sysctl -qw net.ipv4.tcp_fastopen=1
out=$(tq_peer "$(tq_python)" - "$TQ_ENG4" <<'PY'
import socket, sys, time
ok = 0
for i in range(4):
    s = socket.socket()
    msg = b"fast open %d" % i
    s.sendto(msg, socket.MSG_FASTOPEN, (sys.argv[1], 7))
    s.settimeout(3)
    ok += s.recv(100) == msg
    s.close()
    time.sleep(0.1)
print(f"{ok}/4 echoed")
sys.exit(0 if ok == 4 else 1)
PY
) || { echo "$out" >&2; tq_fail "fast open echo"; }
p=$(tq_ctr TCPFastOpenPassive)
((p >= 3)) || tq_fail "TCPFastOpenPassive $p, expected >= 3 (data on the SYN)"
tq_pass "fast open: $out, TCPFastOpenPassive $p, TCPFastOpenCookieReqd $(tq_ctr TCPFastOpenCookieReqd)"
# After fast open: the flood leaves the SYN queue full for a minute.
# SYN flood from spoofed addresses of the peer's /24.
out=$(tq_peer "${attack[@]}" synflood --iface "$TQ_PEER_IF" \
	--dst-mac "$mac" --src-net "$TQ_PEER4" --dst "$TQ_ENG4" --port 7 \
	--count 300) || { echo "$out" >&2; tq_fail "SYN flood"; }
(($(tq_ctr SyncookiesSent) > 0)) || tq_fail "no SyncookiesSent during the flood"
tq_pass "syncookies: $out; SyncookiesSent $(tq_ctr SyncookiesSent), SyncookiesRecv $(tq_ctr SyncookiesRecv)"

tq_stop_pid "$TQ_SERVER_PID"

# Keepalive: idle 1 s, probes every 1 s, 3 probes.
tq_engine_up af_packet 10.231 fd30:231 -- --tcp-echo 7 --tcp-keepalive \
	--tcp-keepalive-time 1 --tcp-keepalive-intvl 1 --tcp-keepalive-probes 3
# ip netns exec execs python itself, so the recorded pid is the client's.
tq_bg ip netns exec "$TQ_NS" "$(tq_python)" -c "
import socket, time
s = socket.create_connection(('$TQ_ENG4', 7))
s.sendall(b'hold')
s.recv(10)
time.sleep(15)
"
sleep 4.5
probes=$(tq_ctr TCPKeepAliveProbes)
((probes >= 2)) || tq_fail "TCPKeepAliveProbes $probes after 4.5 s idle"
"$TQ_CTL" --file-prefix "$TQ_PREFIX" --state ESTAB conns | grep -q "^ESTAB " ||
	tq_fail "the live peer lost its connection"
tq_pass "live peer: $probes probes answered, still ESTABLISHED"
# The peer vanishes: its end of the veth goes.
ip -n "$TQ_NS" link del "$TQ_PEER_IF"
for ((i = 0; i < 100; i++)); do
	(($(tq_ctr TCPAbortOnKeepalive) >= 1)) && break
	sleep 0.1
done
(($(tq_ctr TCPAbortOnKeepalive) >= 1)) || tq_fail "vanished peer not declared dead"
tq_pass "vanished peer: TCPAbortOnKeepalive $(tq_ctr TCPAbortOnKeepalive)"
