#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# conns_test: tq-ctl conns, the ss-like table, while connections are
# held: a header naming the columns; 150 held connections (three pages
# of 64) listed once each as ESTAB with an RTT, a cwnd and cubic or
# newreno; --state and --port filter on the workers' side; --json parses
# with the same rows; after the client closes, the engine's side (it
# closed second) holds none in ESTAB; a bad --state is refused.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init conns
py=$(tq_python)
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"
tq_engine_up af_packet 10.222 fd20:222 -- --http 80 --tcp-echo 7 --docroot "$doc"
ctl() { "$TQ_CTL" --file-prefix "$TQ_PREFIX" "$@"; }

N=150
release=$TQ_TMP/release
tq_peer "$py" - "$TQ_ENG4" "$TQ_ENG6" "$N" "$release" >"$TQ_TMP/hold.out" 2>&1 <<'PY' &
import os, socket, sys, time
v4, v6, n, rel = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
socks = []
for i in range(n):
    # a few over IPv6 and to the echo port, so filters have work
    if i % 10 == 0:
        socks.append(socket.create_connection((v6, 80), timeout=5))
    elif i % 10 == 1:
        socks.append(socket.create_connection((v4, 7), timeout=5))
    else:
        socks.append(socket.create_connection((v4, 80), timeout=5))
print("held", flush=True)
for _ in range(600):
    if os.path.exists(rel):
        break
    time.sleep(0.1)
for s in socks:
    s.close()
PY
hold_pid=$!
TQ_PIDS+=("$hold_pid")
for ((i = 0; i < 100; i++)); do
	grep -q held "$TQ_TMP/hold.out" && break
	tq_alive "$hold_pid" || break
	sleep 0.1
done
grep -q held "$TQ_TMP/hold.out" || tq_fail "could not hold $N connections: $(cat "$TQ_TMP/hold.out")"
sleep 0.3

out=$(ctl conns) || tq_fail "tq-ctl conns failed"
head -n 1 <<<"$out" | grep -q '^State  *Worker  *Local Address:Port  *Peer Address:Port  *RTT(ms) .*Cwnd .*Ssthresh .*InFlight .*Send-Q .*Recv-Q .*Retrans .*CC' ||
	tq_fail "no header line: $(head -n 1 <<<"$out")"
est=$(awk 'NR > 1 && $1 == "ESTAB"' <<<"$out")
n=$(grep -c . <<<"$est" || true)
((n == N)) || tq_fail "$n ESTAB rows for $N held connections"
# Connections are told apart by both ends: the kernel gives one source
# port to two connections with different destinations (port 80 and 7).
uniq=$(awk '{print $3, $4}' <<<"$est" | sort -u | wc -l)
((uniq == N)) || tq_fail "$uniq distinct connections in $N rows: a page repeated or skipped"
bad=$(awk '!($5 > 0 && $8 > 0 && ($14 == "cubic" || $14 == "newreno"))' <<<"$est" | head -n 3)
[[ -z $bad ]] || tq_fail "rows without an RTT, a cwnd or a cc: $bad"
v6=$(grep -c '^ESTAB  *[0-9]  *\[fd20:222:' <<<"$est" || true)
((v6 == N / 10)) || tq_fail "$v6 IPv6 rows, expected $((N / 10))"
tq_pass "$N held connections over 3 pages: $N ESTAB rows, each once, with rtt, cwnd and cc; $v6 IPv6 as [addr]:port"

f=$(ctl --state ESTAB --port 7 conns | awk 'NR > 1' | wc -l)
((f == N / 10)) || tq_fail "--state ESTAB --port 7: $f rows, expected $((N / 10))"
f=$(ctl --state TIME-WAIT conns | awk 'NR > 1' | wc -l)
((f == 0)) || tq_fail "--state TIME-WAIT: $f rows with none in TIME-WAIT"
tq_pass "filters: --port 7 gives $((N / 10)) rows, --state TIME-WAIT none"

ctl --json conns >"$TQ_TMP/conns.json" || tq_fail "tq-ctl --json conns failed"
"$py" - "$TQ_TMP/conns.json" "$N" <<'PY' || tq_fail "--json output wrong"
import json, sys
rows = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
est = [r for r in rows if r["state"] == "ESTAB"]
assert len(est) == n, len(est)
for r in est:
    assert r["worker"] == 0 and r["rtt_us"] > 0 and r["cwnd"] > 0, r
    assert r["cc"] in ("cubic", "newreno"), r
    assert set(r) >= {"local", "peer", "rttvar_us", "rto_ms", "ssthresh",
                      "inflight", "sndq", "rcvq", "retrans"}, r
PY
tq_pass "--json: $N ESTAB objects with every column"

rc=0
ctl --state NOPE conns >/dev/null 2>"$TQ_TMP/err" || rc=$?
((rc == 1)) || tq_fail "--state NOPE: exit $rc, expected 1"
grep -q "state" "$TQ_TMP/err" || tq_fail "--state NOPE: message: $(cat "$TQ_TMP/err")"
tq_pass "--state NOPE: refused with a message"

touch "$release"
wait "$hold_pid" || tq_fail "the holding client failed: $(cat "$TQ_TMP/hold.out")"
for ((i = 0; i < 50; i++)); do
	n=$(ctl --state ESTAB conns | awk 'NR > 1' | wc -l)
	((n == 0)) && break
	sleep 0.1
done
((n == 0)) || tq_fail "$n ESTAB rows after the client closed all"
tq_pass "after the client closed: no ESTAB rows"
tq_pass "all checks passed"
