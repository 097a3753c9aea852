#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# load_test: tq-ctl workers, the per-worker headroom view.  Idle, the
# worker's polls mostly find nothing; under wrk the share of busy polls
# of busy cycles rises (busy polls too, a little), packets per second show up in both
# directions with cycles per packet for RX, protocol and TX; --json
# parses with the same fields; a bad --interval is a usage error.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init load
tq_require_tools wrk
py=$(tq_python)
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"
tq_engine_up af_packet 10.223 fd20:223 -- --http 80 --docroot "$doc"
ctl() { "$TQ_CTL" --file-prefix "$TQ_PREFIX" "$@"; }

rc=0
ctl --interval 0 workers >/dev/null 2>&1 || rc=$?
((rc == 2)) || tq_fail "--interval 0: exit $rc, expected 2"

idle=$(ctl --interval 0.5 workers) || tq_fail "tq-ctl workers failed"
head -n 1 <<<"$idle" | grep -q '^Worker  *Lcore  *Busy%  *CPU%  *Polls/s  *RxPkts/s  *TxPkts/s  *RxCyc  *ProtoCyc  *TxCyc  *TxRingFull  *NoMbuf' ||
	tq_fail "no header: $(head -n 1 <<<"$idle")"
row=$(awk '$1 == "0"' <<<"$idle")
[[ -n $row ]] || tq_fail "no row for worker 0: $idle"
idle_busy=$(awk '{print $3}' <<<"$row")
idle_cpu=$(awk '{print $4}' <<<"$row")
idle_polls=$(awk '{print $5}' <<<"$row")
awk -v p="$idle_polls" 'BEGIN {exit !(p > 1000)}' || tq_fail "idle worker polled $idle_polls times a second"
grep -q '^port: [0-9]* frames dropped' <<<"$idle" || tq_fail "no port drop line: $idle"
tq_pass "idle: busy ${idle_busy}% of $idle_polls polls/s, ${idle_cpu}% of cycles"

tq_peer wrk -t2 -c32 -d4s "http://$TQ_ENG4/index.html" >"$TQ_TMP/wrk.out" 2>&1 &
wrk_pid=$!
TQ_PIDS+=("$wrk_pid")
sleep 1
ctl --json --interval 1 workers >"$TQ_TMP/load.json" || tq_fail "tq-ctl --json workers failed"
wait "$wrk_pid" || tq_fail "wrk failed: $(cat "$TQ_TMP/wrk.out")"
"$py" - "$TQ_TMP/load.json" "$idle_busy" "$idle_cpu" <<'PY' || tq_fail "under load: $(cat "$TQ_TMP/load.json")"
import json, sys
j = json.load(open(sys.argv[1]))
idle = float(sys.argv[2]) / 100
idle_cpu = float(sys.argv[3]) / 100
w = j["workers"][0]
assert j["interval"] == 1 and j["tsc_hz"] > 0 and j["port_rx_drops"] >= 0, j
assert w["worker"] == 0 and w["lcore"] == 1, w
# Idle polls are short and busy ones long (on af_packet a send runs the
# peer's stack in our syscall): the share of polls stays small, the
# share of cycles is what rises.
assert w["busy_polls_share"] > idle, (w, idle)
assert w["busy_cycles_share"] > idle_cpu and w["busy_cycles_share"] > 0.05, (w, idle_cpu)
assert w["busy_cycles_share"] <= 1, w
assert w["rx_packets_per_sec"] > 1000 and w["tx_packets_per_sec"] > 1000, w
for k in ("rx_cycles_per_packet", "protocol_cycles_per_packet", "tx_cycles_per_packet"):
    assert w[k] > 0, (k, w)
print("busy %.1f%% of polls, %.1f%% of cycles, %.0f rx/s, %.0f tx/s, cycles/pkt rx %.0f proto %.0f tx %.0f" % (
    100 * w["busy_polls_share"], 100 * w["busy_cycles_share"], w["rx_packets_per_sec"],
    w["tx_packets_per_sec"], w["rx_cycles_per_packet"], w["protocol_cycles_per_packet"],
    w["tx_cycles_per_packet"]))
PY
tq_pass "under wrk: $("$py" - "$TQ_TMP/load.json" "$idle_busy" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["workers"][0]
print("busy %.2f%% of polls (idle %s%%), %.1f%% of cycles, %.0f rx pkts/s, cycles/pkt rx %.0f proto %.0f tx %.0f" % (
    100 * w["busy_polls_share"], sys.argv[2], 100 * w["busy_cycles_share"], w["rx_packets_per_sec"], w["rx_cycles_per_packet"],
    w["protocol_cycles_per_packet"], w["tx_cycles_per_packet"]))
PY
)"
tq_pass "all checks passed"
