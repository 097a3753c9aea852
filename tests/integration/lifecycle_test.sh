#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# lifecycle_test: how connections end when the engine does, seen by
# kernel peers:
#   - SIGTERM: a connection with nothing unread is closed with FIN (the
#     peer reads EOF), one with unread data with RST (ECONNRESET), and
#     tq-server exits 0;
#   - crash and restart: after SIGKILL a new instance on the same link and
#     addresses answers the old connection's next segment with RST
#     (TcpOutRsts: the port has a listener, so it is not TcpNoPort), so the surviving peer aborts with ECONNRESET instead of
#     retransmitting for 15 minutes.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init lifecycle
tq_engine_up af_packet 10.243 fd43:243 -- --tcp-echo 7 --tcp-hold 9
app=(--addr "$TQ_ENG4/24" --addr "$TQ_ENG6/64" --tcp-echo 7 --tcp-hold 9)

# Two clients wait for the end: one echoed (nothing unread on our side),
# one whose 1000 bytes the hold service never reads.
# wait_file FILE SECS: until it exists.
wait_file() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	return 1
}

# (Background clients run from files: an async command's stdin is
# /dev/null, so a here-document would not reach it.)
res=$TQ_TMP/shutdown.txt
cat >"$TQ_TMP/shutdown.py" <<'PY'
import socket, sys, threading
dst, out = sys.argv[1], sys.argv[2]
a = socket.create_connection((dst, 7), timeout=5)
a.sendall(b"ping")
assert a.recv(10) == b"ping"
b = socket.create_connection((dst, 9), timeout=5)
b.sendall(b"u" * 1000)
got = {}
def wait(name, s):
    s.settimeout(20)
    try:
        got[name] = "eof" if s.recv(100) == b"" else "data"
    except ConnectionResetError:
        got[name] = "reset"
    except socket.timeout:
        got[name] = "timeout"
ts = [threading.Thread(target=wait, args=n) for n in (("echo", a), ("hold", b))]
for t in ts: t.start()
open(out + ".ready", "w").close()
for t in ts: t.join()
open(out, "w").write("echo=%s hold=%s\n" % (got["echo"], got["hold"]))
PY
tq_bg ip netns exec "$TQ_NS" "$(tq_python)" "$TQ_TMP/shutdown.py" "$TQ_ENG4" "$res"
client=$TQ_BG_PID
wait_file "$res.ready" 10 || tq_fail "clients did not connect"
sleep 0.3
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC after SIGTERM"
wait_file "$res" 25 || true
tq_stop_pid "$client"
out=$(cat "$res" 2>/dev/null || true)
[[ $out == "echo=eof hold=reset" ]] ||
	tq_fail "on SIGTERM the peers saw '$out', expected echo=eof hold=reset"
tq_pass "SIGTERM: $out, exit 0 in ${TQ_STOP_SECS}s"

# Crash: an idle echo connection outlives the instance that had it.
tq_server_start "$(tq_vdev_af_packet)" -- "${app[@]}"
tq_wait_ping "$TQ_ENG4"
res=$TQ_TMP/restart.txt
cat >"$TQ_TMP/restart.py" <<'PY'
import os, socket, sys, time
dst, out = sys.argv[1], sys.argv[2]
a = socket.create_connection((dst, 7), timeout=5)
a.sendall(b"ping")
assert a.recv(10) == b"ping"
open(out + ".ready", "w").close()
while not os.path.exists(out + ".go"):
    time.sleep(0.05)
t0 = time.time()
a.settimeout(10)
try:
    a.sendall(b"are you there")
    r = "eof" if a.recv(100) == b"" else "data"
except ConnectionResetError:
    r = "reset"
except socket.timeout:
    r = "timeout"
open(out, "w").write("%s %.2f\n" % (r, time.time() - t0))
PY
tq_bg ip netns exec "$TQ_NS" "$(tq_python)" "$TQ_TMP/restart.py" "$TQ_ENG4" "$res"
client=$TQ_BG_PID
wait_file "$res.ready" 10 || tq_fail "client did not connect"
kill -KILL "$TQ_SERVER_PID"
tq_stop_pid "$TQ_SERVER_PID"
tq_server_start "$(tq_vdev_af_packet)" -- "${app[@]}"
tq_wait_ping "$TQ_ENG4"
n0=$(tq_ctr TcpOutRsts)
touch "$res.go"
wait_file "$res" 15 || true
tq_stop_pid "$client"
read -r what secs <"$res" || tq_fail "the client wrote no result"
[[ $what == reset ]] || tq_fail "the old connection's peer saw '$what', expected a reset"
n1=$(tq_ctr TcpOutRsts)
((n1 > n0)) || tq_fail "TcpOutRsts did not count the RST to the unknown connection"
tq_pass "after a crash and restart: the old peer reset in ${secs}s, TcpOutRsts $n1"
tq_stop_pid "$TQ_SERVER_PID"
