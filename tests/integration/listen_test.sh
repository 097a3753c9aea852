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
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init listen
TQ_VDEV_ARGS=qpairs=2
tq_engine_up af_packet 10.233 fd33:233 --lcores 0@0,1@1,2@1 -- \
	--tcp-echo 7 --tcp-echo-late 7007,3,8
py=$(tq_python)
client="$TQ_LIB_DIR/tcp_stream_client.py"
added="--tcp-echo-late: listening on 7007: ok"
removed="--tcp-echo-late: stopped listening on 7007: ok"

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

tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
