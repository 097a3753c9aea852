#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# listen_test: a listener added and removed while the engine runs, on two
# workers.  tq-server --tcp-echo-late 7007,3,8 calls tq_tcp_listen() 3 s
# after start and tq_tcp_unlisten() at 8 s.  Before: port 7007 is refused
# (RST); once added: kernel clients connecting to it are echoed byte-exact
# (several connections, so both workers' replicas serve); a connection
# opened then stays up across the removal; after: new connects are
# refused again, and the listener that was there from the start (7) is
# untouched throughout.
# The same for UDP: --udp-echo-late 7008,2,10 calls tq_udp_bind() 2 s
# after start and tq_udp_unbind() at 10 s.  Before and after, datagrams
# to 7008 get ICMP port unreachable (ECONNREFUSED, UdpNoPorts grows); in
# between, v4 and v6 datagrams from many source ports (so both workers'
# tables serve) are echoed; the UDP echo bound at start (7) is untouched.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init listen
TQ_VDEV_ARGS=qpairs=2
tq_engine_up af_packet 10.233 fd33:233 --lcores 0@0,1@1,2@1 -- \
	--tcp-echo 7 --tcp-echo-late 7007,3,8 --udp-echo 7 --udp-echo-late 7008,2,10
py=$(tq_python)
client="$TQ_LIB_DIR/tcp_stream_client.py"
uclient="$TQ_LIB_DIR/udp_echo_client.py"
unreach="$TQ_LIB_DIR/udp_unreach_client.py"
added="--tcp-echo-late: listening on 7007: ok"
removed="--tcp-echo-late: stopped listening on 7007: ok"
ubound="--udp-echo-late: bound 7008: ok"
uunbound="--udp-echo-late: unbound 7008: ok"

wait_log() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qF -- "$1" "$TQ_SERVER_LOG" && return 0
		sleep 0.1
	done
	return 1
}

# Before it is added (skipped if the engine came up late enough that it
# already is).
if ! grep -qF -- "$added" "$TQ_SERVER_LOG"; then
	out=$(tq_peer "$py" "$client" refused "$TQ_ENG4" 7007) || rc=$?
	if ! grep -qF -- "$added" "$TQ_SERVER_LOG"; then
		[[ ${rc:-0} -eq 0 ]] || tq_fail "7007 before the listener: $out"
		tq_pass "7007 refused before tq_tcp_listen"
	fi
fi

# UDP 7008 before the bind, likewise.
if ! grep -qF -- "$ubound" "$TQ_SERVER_LOG"; then
	rc=0
	out=$(tq_peer "$py" "$unreach" "$TQ_ENG4" 7008 --count 1 --timeout 1 2>&1) || rc=$?
	if ! grep -qF -- "$ubound" "$TQ_SERVER_LOG"; then
		((rc == 0)) || tq_fail "UDP 7008 before tq_udp_bind: $out"
		tq_pass "UDP 7008 port unreachable before tq_udp_bind"
	fi
fi

wait_log "$ubound" || tq_fail "no '$ubound' in the server log"
for addr in "$TQ_ENG4" "$TQ_ENG6"; do
	out=$(tq_peer "$py" "$uclient" "$addr" 7008 --count 200 --sports 16 2>&1) ||
		tq_fail "UDP echo via $addr:7008 (run-time bind) failed: $out"
done
tq_pass "run-time UDP bind on 7008: 400 datagrams from 16 source ports echoed"

wait_log "$added" || tq_fail "no '$added' in the server log"
for i in 1 2 3 4; do
	for addr in "$TQ_ENG4" "$TQ_ENG6"; do
		out=$(tq_peer "$py" "$client" echo "$addr" 7007 200000 --timeout 20) ||
			{ echo "$out" >&2; tq_fail "echo via $addr:7007 (run-time listener) failed"; }
	done
done
tq_pass "run-time listener on 7007: 8 connections echoed"

# A connection accepted before the removal outlives it: 6 s of echo
# from now spans the 8 s mark.
tq_peer "$py" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7007), timeout=10)
end = time.time() + 7
n = 0
while time.time() < end:
    s.sendall(b"ping %d\n" % n)
    want = len(b"ping %d\n" % n)
    got = b""
    while len(got) < want:
        b = s.recv(want - len(got))
        if not b:
            sys.exit("closed by the engine after %d echoes" % n)
        got += b
    n += 1
    time.sleep(0.2)
print("%d echoes" % n)
' "$TQ_ENG4" >"$TQ_TMP/long.out" 2>&1 &
long=$!
wait_log "$removed" || tq_fail "no '$removed' in the server log"
out=$(tq_peer "$py" "$client" refused "$TQ_ENG4" 7007) ||
	tq_fail "7007 after tq_tcp_unlisten: $out"
tq_pass "7007 refused after tq_tcp_unlisten"
wait "$long" || tq_fail "a connection accepted before the unlisten failed: $(cat "$TQ_TMP/long.out")"
tq_pass "a connection accepted before the unlisten is unaffected"

out=$(tq_peer "$py" "$client" echo "$TQ_ENG4" 7 100000 --timeout 20) ||
	tq_fail "echo on the start-up listener 7 failed: $out"
tq_pass "listener 7 untouched"

wait_log "$uunbound" || tq_fail "no '$uunbound' in the server log"
np=$(tq_ctr UdpNoPorts)
for addr in "$TQ_ENG4" "$TQ_ENG6"; do
	out=$(tq_peer "$py" "$unreach" "$addr" 7008 --count 3 2>&1) ||
		tq_fail "UDP $addr:7008 after tq_udp_unbind: $out"
done
(($(tq_ctr UdpNoPorts) >= np + 6)) || tq_fail "UdpNoPorts did not grow by 6 after the unbind ($np -> $(tq_ctr UdpNoPorts))"
tq_pass "UDP 7008 port unreachable after tq_udp_unbind, UdpNoPorts counted"
out=$(tq_peer "$py" "$uclient" "$TQ_ENG4" 7 --count 50 --sports 8 2>&1) ||
	tq_fail "UDP echo on 7, bound at start, failed: $out"
tq_pass "UDP bind 7 untouched"

tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
