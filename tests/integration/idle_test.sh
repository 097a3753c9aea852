#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# idle_test: an idle worker naps (the default, --idle-sleep-us 250)
# and gives the CPU back; with --busy-poll it spins.  The same
# tq-server, idle for 2 s, uses a small fraction of a core by default
# and several times more with --busy-poll; napping, it still answers
# ping within a few milliseconds and serves HTTP.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init idle
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"

# cpu PID SECS: percent of one CPU the process used over SECS.
cpu() {
	local a b hz
	hz=$(getconf CLK_TCK)
	a=$(awk '{print $14 + $15}' "/proc/$1/stat")
	sleep "$2"
	b=$(awk '{print $14 + $15}' "/proc/$1/stat")
	awk -v a="$a" -v b="$b" -v hz="$hz" -v s="$2" \
		'BEGIN {printf "%d", (b - a) * 100 / hz / s}'
}

tq_engine_up af_packet 10.226 fd20:226 -- --http 80 --docroot "$doc"
sleep 0.5
nap=$(cpu "$TQ_SERVER_PID" 2)
rtt=$(tq_peer ping -c 5 -i 0.2 -W 1 "$TQ_ENG4" | awk -F/ '/^rtt/ {print $5}')
[[ -n $rtt ]] || tq_fail "no ping answer from a napping worker"
awk -v r="$rtt" 'BEGIN {exit !(r < 5)}' || tq_fail "ping rtt ${rtt} ms from a napping worker"
body=$(tq_peer curl -sS --max-time 5 "http://$TQ_ENG4/index.html") || tq_fail "curl failed"
[[ $body == '<h1>tachyon</h1>' ]] || tq_fail "curl got '$body'"
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"

tq_engine_up af_packet 10.226 fd20:226 -- --http 80 --docroot "$doc" --busy-poll
sleep 0.5
spin=$(cpu "$TQ_SERVER_PID" 2)
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server --busy-poll exited with $TQ_STOP_RC"

((nap <= 25)) || tq_fail "idle with naps: ${nap}% of a CPU"
((spin >= 3 * nap && spin >= 30)) || tq_fail "--busy-poll ${spin}% of a CPU against ${nap}% napping"
tq_pass "idle: ${nap}% of a CPU napping (ping ${rtt} ms, HTTP served), ${spin}% with --busy-poll"
