#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# drops_test MODE (af_packet | tap): the drop reasons of features.md's
# "Drops are visible" row, each forced against kernel peers and read back
# from tq-ctl:
#   - receive memory: stalled readers (--tcp-hold) fill the worker's
#     receive budget: TCPRcvQDrop, while the engine goes on serving
#     others and RxNoMbuf/RxMissed stay 0;
#   - no mbuf / RX ring overflow: the same with the budget off and a small
#     pool drains the pool: tap counts RxNoMbuf, af_packet's ring fills
#     and the kernel's drops come back as RxMissed; the engine still
#     stops cleanly;
#   - SYN/accept queue overflow: --tcp-noaccept with --backlog 4:
#     ListenOverflows and ListenDrops;
#   - receive buffer full: a forged segment past the window (scapy):
#     RcvPruned, and only what fits is ACKed;
#   - TX: the link goes down under the engine while it sends keepalives:
#     tap's queue refuses the frames (TxRingFull), af_packet's PMD takes
#     and fails them (TxErrors).
# Checksum errors and segments for no socket are forced by malformed_test,
# udp_unreach_test and tcp_echo_test.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

MODE=${1:-af_packet}
tq_init "drops_$MODE"
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	tq_skip "needs Debian's python3-scapy"
case $MODE in
af_packet) B=10.240 ;;
tap) B=10.241 ;;
*) tq_fail "mode af_packet or tap" ;;
esac

# Clients that send SECS seconds as fast as the window lets them and
# never read, then reset (SO_LINGER 0) so nothing lingers after them.
# Prints the bytes each got accepted by the kernel.
flood_clients() {
	local port=$1 n=$2 secs=$3
	tq_peer "$(tq_python)" - "$TQ_ENG4" "$port" "$n" "$secs" <<'PY'
import socket, struct, sys, time
dst, port, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
socks = []
for _ in range(n):
    s = socket.create_connection((dst, port), timeout=5)
    s.setblocking(False)
    socks.append(s)
sent = [0] * n
buf = b"h" * 65536
end = time.time() + secs
while time.time() < end:
    moved = False
    for i, s in enumerate(socks):
        try:
            sent[i] += s.send(buf)
            moved = True
        except BlockingIOError:
            pass
    if not moved:
        time.sleep(0.01)
for s in socks:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
print("sent", sent)
PY
}

echo_check() {
	tq_peer "$(tq_python)" - "$TQ_ENG4" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=5)
msg = b"still serving" * 1000
s.sendall(msg)
got = b""
while len(got) < len(msg):
    b = s.recv(65536)
    if not b:
        break
    got += b
s.close()
sys.exit(0 if got == msg else 1)
PY
}

# 1. The receive budget: 2 x 4 MB windows over a 4095-mbuf pool, the
# budget is about 800 mbufs: TCPRcvQDrop, the pool is never exhausted.
tq_engine_up "$MODE" "$B" fd40:240 -- --tcp-hold 9 --tcp-echo 7 \
	--tcp-rcvbuf 4194304 --mbufs 4095
out=$(flood_clients 9 2 3) || tq_fail "hold clients: $out"
q=$(tq_ctr TCPRcvQDrop)
((q > 0)) || tq_fail "TCPRcvQDrop $q after flooding stalled readers ($out)"
echo_check || tq_fail "echo failed while readers were stalled"
nm=$(tq_ctr_sum RxNoMbuf RxMissed NoMbuf)
((nm == 0)) || tq_fail "the budget did not keep the pool: RxNoMbuf+RxMissed+NoMbuf $nm"
tq_pass "receive budget: $out; TCPRcvQDrop $q, RxNoMbuf+RxMissed+NoMbuf 0, echo served"
tq_stop_pid "$TQ_SERVER_PID"

# 2. No budget and a small pool: held data takes every mbuf (NoMbuf:
# not even ACKs can be sent).
tq_engine_up "$MODE" "$B" fd40:240 -- --tcp-hold 9 --tcp-rcvbuf 4194304 \
	--mbufs 2047 --tcp-rcv-mbufs 0
out=$(flood_clients 9 2 3) || tq_fail "hold clients: $out"
# With every mbuf held, whatever comes next cannot be received: a burst
# of datagrams overflows the RX ring (af_packet) or finds no mbuf (tap).
tq_peer "$(tq_python)" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b'u' * 200, ('$TQ_ENG4', 5000))
"
sleep 0.5
nombuf=$(tq_ctr RxNoMbuf)
missed=$(tq_ctr RxMissed)
nm=$(tq_ctr NoMbuf)
if [[ $MODE == tap ]]; then
	((nombuf > 0)) || tq_fail "RxNoMbuf $nombuf with the pool drained ($out)"
else
	((missed > 0)) || tq_fail "RxMissed $missed with the pool drained ($out)"
fi
tq_stop_pid "$TQ_SERVER_PID" 10
[[ $TQ_STOP_RC == 0 ]] ||
	tq_fail "tq-server exited with $TQ_STOP_RC after SIGTERM with its pool drained"
tq_pass "pool drained: $out; RxNoMbuf $nombuf, RxMissed $missed, NoMbuf $nm; stopped in ${TQ_STOP_SECS}s"

# 3. Queues and windows, on a small receive buffer.
tq_engine_up "$MODE" "$B" fd40:240 -- --tcp-hold 9 --tcp-noaccept 10 \
	--backlog 4 --tcp-rcvbuf 4096 --tcp-echo 7 --tcp-keepalive \
	--tcp-keepalive-time 1 --tcp-keepalive-intvl 1 \
	--tcp-keepalive-probes 100
mac=$(tq_info mac)

# Accept queue: 4 wait, the rest of 8 are not taken.
out=$(tq_peer "$(tq_python)" - "$TQ_ENG4" <<'PY'
import socket, sys, time
socks, done = [], 0
for i in range(8):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((sys.argv[1], 10))
    socks.append(s)
time.sleep(2)
for s in socks:
    try:
        s.getpeername()
        done += 1
    except OSError:
        pass
print(f"{done}/8 connects completed")
PY
) || tq_fail "accept queue clients: $out"
lo=$(tq_ctr ListenOverflows)
ld=$(tq_ctr ListenDrops)
((lo > 0 && ld >= lo)) || tq_fail "ListenOverflows $lo, ListenDrops $ld ($out)"
waiting=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" conns |
	awk '($1 == "ESTAB" || $1 == "CLOSE-WAIT") && $3 ~ /:10$/' | wc -l)
((waiting == 4)) || { "$TQ_CTL" --file-prefix "$TQ_PREFIX" conns >&2; tq_fail "$waiting connections wait on the accept queue, backlog is 4"; }
tq_pass "accept queue: $out, $waiting waiting; ListenOverflows $lo, ListenDrops $ld"

# Past the window.
out=$(tq_peer /usr/bin/python3 "$TQ_LIB_DIR/tcp_attack.py" overrun \
	--iface "$TQ_PEER_IF" --dst-mac "$mac" --src "$TQ_PEER4" \
	--dst "$TQ_ENG4" --port 9) || { echo "$out" >&2; tq_fail "window overrun"; }
pr=$(tq_ctr RcvPruned)
((pr > 0)) || tq_fail "RcvPruned $pr after a segment past the window ($out)"
tq_pass "window overrun: $out; RcvPruned $pr"

# TX with the link down: an idle connection to echo sends keepalives.
tq_bg ip netns exec "$TQ_NS" "$(tq_python)" -c "
import socket, time
s = socket.create_connection(('$TQ_ENG4', 7))
time.sleep(30)
"
sleep 2.5
(($(tq_ctr TCPKeepAliveProbes) > 0)) || tq_fail "no keepalives to drive TX"
if [[ $MODE == tap ]]; then
	# The tap's kernel side: in the peer's namespace or the root one.
	tq_peer ip link set "$TQ_PEER_IF" down
	ctr=TxRingFull
else
	ip link set "$TQ_ENG_IF" down
	ctr=TxErrors
fi
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr "$ctr") > 0)) && break
	sleep 0.1
done
v=$(tq_ctr "$ctr")
((v > 0)) || tq_fail "$ctr $v with the link down"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died with the link down"
tq_pass "link down under TX: $ctr $v"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
