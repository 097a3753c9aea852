#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# live_test: tq-ctl set/get change settings while the engine serves.
# Under wrk load, `set tcp.cc newreno` makes the next connection newreno
# while one held from before stays cubic, and wrk sees no error; turning
# keepalive on with 1 s times makes a new idle connection send probes
# (an old one does not change); bad keys and values are refused with
# exit 1 and change nothing; log levels are set and read back; the
# fault injector drops every frame, then none, then delays them.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init live
tq_require_tools wrk
py=$(tq_python)
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"
tq_engine_up af_packet 10.224 fd20:224 -- --http 80 --docroot "$doc"
ctl() { "$TQ_CTL" --file-prefix "$TQ_PREFIX" "$@"; }

all=$(ctl get) || tq_fail "tq-ctl get failed"
for k in tcp.cc tcp.keepalive tcp.keepalive_time tcp.timewait_ms tcp.tw_reuse tcp.syncookies; do
	grep -q "^$k " <<<"$all" || tq_fail "tq-ctl get does not list $k: $all"
done
[[ $(ctl get tcp.cc | awk '{print $2}') == cubic ]] || tq_fail "tcp.cc is not cubic at start"
tq_pass "get lists the live settings; tcp.cc is cubic"

# hold NAME: a connection kept open until $TQ_TMP/NAME.release; its
# local port in $TQ_TMP/NAME.port.
hold() {
	tq_peer "$py" - "$TQ_ENG4" "$TQ_TMP/$1" >"$TQ_TMP/$1.port" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=5)
print(s.getsockname()[1], flush=True)
for _ in range(600):
    if os.path.exists(sys.argv[2] + ".release"):
        break
    time.sleep(0.1)
s.close()
PY
	TQ_PIDS+=($!)
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -s $TQ_TMP/$1.port ]] && break
		sleep 0.1
	done
	[[ $(cat "$TQ_TMP/$1.port") =~ ^[0-9]+$ ]] || tq_fail "hold $1: $(cat "$TQ_TMP/$1.port")"
}
cc_of() {
	ctl --port "$(cat "$TQ_TMP/$1.port")" --state ESTAB conns | awk 'NR > 1 {print $14}'
}

hold a
[[ $(cc_of a) == cubic ]] || tq_fail "connection a: cc '$(cc_of a)'"
tq_peer wrk -t2 -c16 -d3s "http://$TQ_ENG4/index.html" >"$TQ_TMP/wrk.out" 2>&1 &
wrk_pid=$!
TQ_PIDS+=("$wrk_pid")
sleep 1
out=$(ctl set tcp.cc newreno) || tq_fail "set tcp.cc newreno failed"
[[ $out == "tcp.cc = newreno" ]] || tq_fail "set printed '$out'"
[[ $(ctl get tcp.cc | awk '{print $2}') == newreno ]] || tq_fail "get after set: $(ctl get tcp.cc)"
hold b
[[ $(cc_of b) == newreno ]] || tq_fail "connection b opened after the set: cc '$(cc_of b)'"
[[ $(cc_of a) == cubic ]] || tq_fail "connection a changed cc to '$(cc_of a)'"
wait "$wrk_pid" || tq_fail "wrk failed: $(cat "$TQ_TMP/wrk.out")"
wo=$(cat "$TQ_TMP/wrk.out")
! grep -q 'Socket errors' <<<"$wo" || tq_fail "wrk saw socket errors across the set: $wo"
! grep -q 'Non-2xx' <<<"$wo" || tq_fail "wrk saw non-2xx across the set: $wo"
tq_pass "set tcp.cc newreno under wrk: new connection newreno, old one cubic, wrk without errors"

# Keepalive, on for new connections only.
p0=$(tq_ctr TCPKeepAliveProbes)
ctl set tcp.keepalive_time 1 >/dev/null || tq_fail "set keepalive_time"
ctl set tcp.keepalive_intvl 1 >/dev/null || tq_fail "set keepalive_intvl"
ctl set tcp.keepalive 1 >/dev/null || tq_fail "set keepalive"
sleep 2.5
(($(tq_ctr TCPKeepAliveProbes) == p0)) || tq_fail "old idle connections started keepalive probes"
hold c
sleep 2.5
p1=$(tq_ctr TCPKeepAliveProbes)
((p1 > p0)) || tq_fail "no keepalive probe from the connection opened after tcp.keepalive 1"
[[ -n $(cc_of c) ]] || tq_fail "connection c gone: its probes were not answered"
tq_pass "tcp.keepalive 1 with 1 s times: the new idle connection probes ($((p1 - p0))), the old ones do not"

# Refusals change nothing.
rc=0; ctl set tcp.cc bogus >/dev/null 2>"$TQ_TMP/err" || rc=$?
((rc == 1)) && grep -q "not a value" "$TQ_TMP/err" || tq_fail "set tcp.cc bogus: exit $rc: $(cat "$TQ_TMP/err")"
rc=0; ctl set tcp.keepalive 2 >/dev/null 2>&1 || rc=$?
((rc == 1)) || tq_fail "set tcp.keepalive 2: exit $rc"
rc=0; ctl set no.such 1 >/dev/null 2>"$TQ_TMP/err" || rc=$?
((rc == 1)) && grep -q "no setting" "$TQ_TMP/err" || tq_fail "set no.such: exit $rc: $(cat "$TQ_TMP/err")"
rc=0; ctl set tcp.cc >/dev/null 2>&1 || rc=$?
((rc == 2)) || tq_fail "set without a value: exit $rc, expected 2"
[[ $(ctl get tcp.cc | awk '{print $2}') == newreno ]] || tq_fail "a refused set changed tcp.cc"
[[ $(ctl get tcp.keepalive | awk '{print $2}') == 1 ]] || tq_fail "a refused set changed tcp.keepalive"
tq_pass "bad value, bad key: exit 1 with a message, nothing changed; no value: usage (2)"

ctl set log.tachyon.port debug >/dev/null || tq_fail "set log.tachyon.port debug"
[[ $(ctl get log.tachyon.port | awk '{print $2}') == debug ]] || tq_fail "log level: $(ctl get log.tachyon.port)"
rc=0; ctl set log.tachyon.port loud >/dev/null 2>&1 || rc=$?
((rc == 1)) || tq_fail "set log level 'loud': exit $rc"
tq_pass "log.tachyon.port: set to debug and read back; a bad level refused"

# A log type per module, its level changed live.  A SYN to a closed port
# is logged at debug, so not by default, then once tachyon.tcp is at
# debug, then not again once it is back at info.
all=$(ctl get)
for t in engine port net udp tcp; do
	grep -q "^log.tachyon.$t " <<<"$all" || tq_fail "no log type tachyon.$t: $all"
done
grep -q "tachyon.engine: set tcp.cc = newreno" "$TQ_SERVER_LOG" || tq_fail "the set of tcp.cc is not in the log"
closed() { tq_peer "$py" -c "import socket; socket.socket().connect_ex(('$TQ_ENG4', $1))"; }
rst_logged() { grep -q "tachyon.tcp: no connection or listener, RST to $TQ_PEER4:[0-9]* -> $TQ_ENG4:$1\$" "$TQ_SERVER_LOG"; }
n0=$(tq_ctr TcpNoPort)
closed 9
! rst_logged 9 || tq_fail "a RST to a closed port logged at the default level"
ctl set log.tachyon.tcp debug >/dev/null || tq_fail "set log.tachyon.tcp debug"
closed 10
for ((i = 0; i < 20; i++)); do rst_logged 10 && break; sleep 0.1; done
rst_logged 10 || tq_fail "no debug line for a SYN to closed port 10: $(grep tachyon.tcp "$TQ_SERVER_LOG" | tail -3)"
ctl set log.tachyon.tcp info >/dev/null || tq_fail "set log.tachyon.tcp info"
closed 11
sleep 0.3
! rst_logged 11 || tq_fail "a RST logged after tachyon.tcp went back to info"
(($(tq_ctr TcpNoPort) >= n0 + 3)) || tq_fail "TcpNoPort did not count the three SYNs"
tq_pass "log types engine, port, net, udp, tcp; tachyon.tcp at debug logs a RST to a closed port, at info it does not; sets are logged"

# The fault injector, on and off while the engine runs.
[[ $(ctl get fault | awk '{print $2}') == drop=0,*,dir=both ]] || tq_fail "fault at start: $(ctl get fault)"
f0=$(tq_ctr FaultDropped)
tq_peer ping -c 2 -i 0.2 -W 1 "$TQ_ENG4" >/dev/null || tq_fail "ping before any fault"
ctl set fault.drop 1 >/dev/null || tq_fail "set fault.drop 1"
[[ $(ctl get fault.drop | awk '{print $2}') == 1 ]] || tq_fail "fault.drop: $(ctl get fault.drop)"
! tq_peer ping -c 3 -i 0.2 -W 1 "$TQ_ENG4" >/dev/null || tq_fail "ping answered with fault.drop 1"
f1=$(tq_ctr FaultDropped)
((f1 >= f0 + 3)) || tq_fail "FaultDropped $f0 -> $f1 with every frame dropped"
ctl set fault off >/dev/null || tq_fail "set fault off"
tq_peer ping -c 3 -i 0.2 -W 1 "$TQ_ENG4" >/dev/null || tq_fail "ping after fault off"
sleep 0.3
(($(tq_ctr FaultDropped) == f1)) || tq_fail "frames dropped after fault off"
# A delay on receive only: the reply comes 300 ms late, then not.
ctl set fault "delay=300000,dir=rx" >/dev/null || tq_fail "set fault delay"
rtt=$(tq_peer ping -c 2 -i 0.5 -W 2 "$TQ_ENG4" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | tail -1)
[[ -n $rtt ]] && (( ${rtt%.*} >= 290 )) || tq_fail "rtt with a 300 ms rx delay: '$rtt'"
ctl set fault.delay 0 >/dev/null || tq_fail "set fault.delay 0"
rtt=$(tq_peer ping -c 2 -i 0.2 -W 2 "$TQ_ENG4" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | tail -1)
[[ -n $rtt ]] && (( ${rtt%.*} < 100 )) || tq_fail "rtt after fault.delay 0: '$rtt'"
rc=0; ctl set fault.drop 2 >/dev/null 2>&1 || rc=$?
((rc == 1)) || tq_fail "set fault.drop 2: exit $rc"
tq_pass "fault: drop 1 stops ping and counts, off restores it, a 300 ms rx delay shows in the rtt and goes; a bad rate refused"

touch "$TQ_TMP/a.release" "$TQ_TMP/b.release" "$TQ_TMP/c.release"
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
