#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# stats_test: tq-ctl info and stats against a running engine (every name
# in tq_counters.def is reported, and tq-server's app counter after them;
# values grow with traffic, per-worker blocks), tq-ctl stats and conns
# from 8 processes at once while wrk loads tq-server's HTTP service (every
# call answers, and wrk's own run has requests, no socket errors and no
# non-2xx), --stats-interval 1 prints [stats] lines, and SIGTERM stops
# the engine cleanly (exit 0) within 2 s.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init stats
tq_require_tools wrk
def=$TQ_SOURCE_DIR/engine/include/tachyon/tq_counters.def
[[ -f $def ]] || tq_fail "no $def"
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"
tq_engine_up af_packet 10.220 fd20:220 -- --udp-echo 7 --tcp-echo 7 \
	--http 80 --docroot "$doc" --stats-interval 1
py=$(tq_python)

# info
info=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" info) || tq_fail "tq-ctl info failed"
field() { awk -v k="$1" '$1 == k {print $2}' <<<"$info"; }
[[ $(field app) == tq-server ]] || tq_fail "info: app '$(field app)'"
[[ $(field workers) == 1 ]] || tq_fail "info: workers '$(field workers)'"
[[ $(field port) == net_af_packet0 ]] || tq_fail "info: port '$(field port)'"
[[ $(field driver) == net_af_packet ]] || tq_fail "info: driver '$(field driver)'"
[[ $(field mac) =~ ^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$ ]] || tq_fail "info: mac '$(field mac)'"
[[ $(field mtu) == 1500 ]] || tq_fail "info: mtu '$(field mtu)'"
[[ $(field addr0) == "$TQ_ENG4/24" ]] || tq_fail "info: addr0 '$(field addr0)', expected $TQ_ENG4/24"
[[ $(field addr1) == "$TQ_ENG6/64" ]] || tq_fail "info: addr1 '$(field addr1)', expected $TQ_ENG6/64"
tq_pass "tq-ctl info: app, workers, port, driver, mac, mtu, addresses"

# Every counter name of the .def file, and nothing else, with -z.
mapfile -t names < <(sed -n 's/^TQ_\(CTR\|GAUGE\)([A-Z0-9_]*,[[:space:]]*"\([^"]*\)".*/\2/p' "$def")
((${#names[@]} > 10)) || tq_fail "could not read counter names from $def"
all=$(tq_stats)
for n in "${names[@]}"; do
	grep -q "^$n " <<<"$all" || tq_fail "counter $n (from tq_counters.def) missing in tq-ctl -z stats"
done
# tq-server's app counter (tq_app_counter_register) comes last.
app_names=(UdpEchoReplies)
[[ $(tail -n 1 <<<"$all" | awk '{print $1}') == UdpEchoReplies ]] ||
	tq_fail "app counter UdpEchoReplies is not last in tq-ctl -z stats"
nout=$(grep -c . <<<"$all")
((nout == ${#names[@]} + ${#app_names[@]})) || tq_fail "tq-ctl -z stats printed $nout lines, tq_counters.def has ${#names[@]} counters and tq-server ${#app_names[@]}"
# Without -z: only non-zero values.
nz=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" stats)
awk '$2 == 0 {bad = 1} END {exit bad}' <<<"$nz" || tq_fail "tq-ctl stats printed zero values without -z"
grep -q '^RxPackets ' <<<"$nz" || tq_fail "tq-ctl stats: no RxPackets after traffic"
tq_pass "tq-ctl stats: all ${#names[@]} counters of tq_counters.def with -z, only non-zero without"

# Values grow with traffic.
declare -A b
for k in RxPackets RxBytes TxPackets TxBytes IcmpInEchos Icmp6InEchos UdpInDatagrams UdpOutDatagrams UdpEchoReplies; do
	b[$k]=$(tq_ctr "$k")
done
tq_peer ping -n -q -c 3 -i 0.1 "$TQ_ENG4" >/dev/null || tq_fail "ping failed"
tq_peer ping -n -q -c 3 -i 0.1 "$TQ_ENG6" >/dev/null || tq_fail "ping -6 failed"
tq_peer "$py" "$TQ_LIB_DIR/udp_echo_client.py" "$TQ_ENG4" 7 --count 20 >/dev/null || tq_fail "UDP echo failed"
for k in "${!b[@]}"; do
	v=$(tq_ctr "$k")
	((v > b[$k])) || tq_fail "$k did not grow after traffic (${b[$k]} -> $v)"
done
(($(tq_ctr IcmpInEchos) - b[IcmpInEchos] == 3)) || tq_fail "IcmpInEchos did not grow by 3"
(($(tq_ctr UdpInDatagrams) - b[UdpInDatagrams] == 20)) || tq_fail "UdpInDatagrams did not grow by 20"
(($(tq_ctr UdpEchoReplies) - b[UdpEchoReplies] == 20)) || tq_fail "app counter UdpEchoReplies did not grow by 20"
tq_pass "counters grow with traffic (${!b[*]})"

# Per worker: one block, same values as the totals for a 1-worker engine.
per=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" --per-worker -z stats) || tq_fail "tq-ctl --per-worker failed"
grep -qx '# worker 0' <<<"$per" || tq_fail "tq-ctl --per-worker: no '# worker 0'"
! grep -q '# worker 1' <<<"$per" || tq_fail "tq-ctl --per-worker: a worker 1 with one worker"
w=$(awk '$1 == "UdpInDatagrams" {print $2}' <<<"$per")
[[ $w == "$(tq_ctr UdpInDatagrams)" ]] || tq_fail "per-worker UdpInDatagrams $w != total"
w=$(awk '$1 == "UdpEchoReplies" {print $2}' <<<"$per")
[[ $w == "$(tq_ctr UdpEchoReplies)" ]] || tq_fail "per-worker UdpEchoReplies $w != total"
tq_pass "tq-ctl --per-worker: one block matching the totals, app counter too"

# Telemetry from 8 processes at once while wrk loads the HTTP service
# (and pings run): every stats and conns call answers and parses, each
# process keeps calling until wrk is done (25 rounds at least), and wrk
# itself sees no socket errors and only 2xx.
wrk_done=$TQ_TMP/wrk.done
{
	rc=0
	tq_peer wrk -t2 -c32 -d5s "http://$TQ_ENG4/index.html" >"$TQ_TMP/wrk.out" 2>&1 || rc=$?
	echo "$rc" >"$wrk_done"
} &
wrk_pid=$!
tq_peer ping -n -q -c 400 -i 0.01 "$TQ_ENG4" >/dev/null 2>&1 &
ping_pid=$!
hammer() {
	local i out
	for ((i = 0; i < 25 || ! $([[ -f $wrk_done ]] && echo 1 || echo 0); i++)); do
		out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" -z stats) || { echo "stats rc"; return 1; }
		grep -Eq '^RxPackets +[0-9]+$' <<<"$out" || { echo "stats parse"; return 1; }
		grep -Eq '^UdpEchoReplies +[0-9]+$' <<<"$out" || { echo "stats app"; return 1; }
		"$TQ_CTL" --file-prefix "$TQ_PREFIX" conns >/dev/null || { echo "conns rc"; return 1; }
	done
	echo "$i"
}
pids=()
for ((j = 0; j < 8; j++)); do
	hammer >"$TQ_TMP/hammer.$j" 2>&1 &
	pids+=($!)
done
bad=0 calls=0
for ((j = 0; j < 8; j++)); do
	if wait "${pids[$j]}"; then
		calls=$((calls + $(tail -n 1 "$TQ_TMP/hammer.$j")))
	else
		bad=$((bad + 1))
		echo "hammer $j: $(cat "$TQ_TMP/hammer.$j")" >&2
	fi
done
((bad == 0)) || tq_fail "$bad of 8 concurrent tq-ctl loops failed"
wait "$wrk_pid"
[[ $(cat "$wrk_done") == 0 ]] || tq_fail "wrk during the tq-ctl storm failed: $(cat "$TQ_TMP/wrk.out")"
wait "$ping_pid" || true
wo=$(cat "$TQ_TMP/wrk.out")
n=$(awk '/requests in/ {print $1}' <<<"$wo")
[[ -n $n && $n -gt 0 ]] || tq_fail "wrk during the tq-ctl storm: no requests: $wo"
! grep -q 'Socket errors' <<<"$wo" || tq_fail "wrk during the tq-ctl storm: socket errors: $wo"
! grep -q 'Non-2xx' <<<"$wo" || tq_fail "wrk during the tq-ctl storm: non-2xx responses: $wo"
tq_pass "tq-ctl stats and conns from 8 processes ($calls rounds) during wrk: all answered; wrk $n requests, no socket errors"

# tq-ctl errors: usage (2), no engine with that prefix (1).
rc=0; "$TQ_CTL" --file-prefix "$TQ_PREFIX" bogus >/dev/null 2>&1 || rc=$?
((rc == 2)) || tq_fail "tq-ctl bogus: exit $rc, expected 2"
rc=0; "$TQ_CTL" --file-prefix "tq$$-none" stats >/dev/null 2>"$TQ_TMP/err" || rc=$?
((rc == 1)) || tq_fail "tq-ctl with no engine: exit $rc, expected 1"
grep -q "file-prefix" "$TQ_TMP/err" || tq_fail "tq-ctl with no engine: unhelpful message: $(cat "$TQ_TMP/err")"
tq_pass "tq-ctl: usage error 2, no engine 1 with a hint"

# --stats-interval 1: at least 2 [stats] lines after a few seconds, the
# last one with the traffic in it.
for ((i = 0; i < 40; i++)); do
	(($(grep -c '^\[stats\] rx' "$TQ_SERVER_LOG" || true) >= 3)) && break
	sleep 0.1
done
ns=$(grep -c '^\[stats\] rx' "$TQ_SERVER_LOG" || true)
((ns >= 2)) || tq_fail "only $ns [stats] lines with --stats-interval 1"
last=$(grep '^\[stats\] rx' "$TQ_SERVER_LOG" | tail -n 1)
rxl=$(awk '{print $3}' <<<"$last")
((rxl > 0)) || tq_fail "last [stats] line shows no packets: $last"
# its drops are drop reasons only: nothing here is lost, and the line
# once summed every counter after RxNoMbuf (TCPHPHits, about one a
# received segment, among them)
drl=$(awk '{for (i = 1; i < NF; i++) if ($i == "drops") print $(i + 1)}' <<<"$last")
[[ -n $drl ]] && ((drl * 2 < rxl)) || tq_fail "last [stats] line: drops $drl of $rxl received: $last"
tq_pass "--stats-interval 1: $ns [stats] lines; last: $last"

# SIGTERM: clean exit, status 0, within 2 s.
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC after SIGTERM"
awk -v s="$TQ_STOP_SECS" 'BEGIN {exit !(s <= 2.0)}' || tq_fail "tq-server took ${TQ_STOP_SECS}s to stop after SIGTERM"
tq_pass "SIGTERM: exit 0 in ${TQ_STOP_SECS}s"
tq_pass "all checks passed"
