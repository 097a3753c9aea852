#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_echo_test [af_packet|tap] [fault] [CC]: a kernel client streams 20 MB
# through tq-server's --tcp-echo over IPv4 and IPv6 and gets it back
# byte-exact; a connect to a port with no listener is refused (RST);
# every connection ends (TcpCurrEstab back to 0).  With "fault" the
# engine runs --fault drop=0.02,reorder=0.02,dup=0.01,corrupt=0.005:
# retransmission, reordering and checksums must still deliver every byte.
# With CC (bbr) the engine runs --tcp-cc CC: what it echoes goes out
# under that algorithm (BBR: paced, TcpPaceWaits counts the holds).
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

mode=${1:-af_packet}
fault=${2:-}
cc=${3:-}
tq_init "tcp_echo_${mode}${fault:+_$fault}${cc:+_$cc}"
app=(--tcp-echo 7 --tcp-discard 9)
size=20000000
if [[ -n $fault ]]; then
	app+=(--fault drop=0.02,reorder=0.02,dup=0.01,corrupt=0.005,seed=7)
	size=5000000
fi
b=$((220 + ${#fault}))
if [[ -n $cc ]]; then
	app+=(--tcp-cc "$cc")
	b=$((227 + ${#fault} / 5))
fi
if [[ $mode == tap ]]; then
	tq_engine_up tap 10.$((b + 1)) fd12:$((b + 1)) -- "${app[@]}"
elif [[ $mode == workers ]]; then
	# Two workers on the two cores (oversubscribed: correctness only).
	TQ_VDEV_ARGS=qpairs=2
	tq_engine_up af_packet 10.$((b + 2)) fd13:$((b + 2)) \
		--lcores 0@0,1@1,2@1 -- "${app[@]}"
else
	tq_engine_up af_packet 10.$b fd11:$b -- "${app[@]}"
fi
py=$(tq_python)
client="$TQ_LIB_DIR/tcp_stream_client.py"

for addr in "$TQ_ENG4" "$TQ_ENG6"; do
	out=$(tq_peer "$py" "$client" echo "$addr" 7 "$size" --timeout 60) ||
		{ echo "$out" >&2; tq_fail "echo of $size bytes via $addr failed"; }
	tq_pass "echo $addr: $out"
done

if [[ $mode == workers ]]; then
	# Many flows at once: af_packet spreads them over both queues by its
	# own hash, the engine hands each to the worker that owns it.
	pids=()
	for ((i = 0; i < 8; i++)); do
		tq_peer "$py" "$client" echo "$TQ_ENG4" 7 2000000 --timeout 30 \
			>"$TQ_TMP/par$i.log" 2>&1 &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do
		wait "$p" || { cat "$TQ_TMP"/par*.log >&2; tq_fail "parallel echo failed"; }
	done
	w=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" --per-worker stats |
		awk '/^# worker/ {w = $3} $1 == "TcpPassiveOpens" {n[w] = $2}
		END {print (n[0] > 0) + (n[1] > 0)}')
	((w == 2)) || tq_fail "connections did not spread over both workers"
	# A flow on the wrong worker would be reset or aborted.  (RSTs to
	# a listener can still go out: with both workers on one CPU here, a
	# ring that fills rolls frames over to the other queue, the client
	# sees reordering and resends, and a copy that arrives after the
	# connection closed finds only the listener: RFC 9293 answers RST.)
	r=$(tq_ctr_sum TcpEstabResets TCPAbortOnData TCPAbortOnClose TCPAbortOnTimeout TcpAttemptFails)
	((r == 0)) || tq_fail "$r connections reset or aborted: flows crossed workers"
	tq_pass "8 parallel echoes byte-exact over 2 workers, none reset; TcpSteered $(tq_ctr TcpSteered), TcpOutRsts $(tq_ctr TcpOutRsts)"
fi

if [[ $cc == bbr ]]; then
	(($(tq_ctr TcpPaceWaits) > 0)) || tq_fail "bbr: nothing was paced (TcpPaceWaits 0)"
	(($(tq_ctr TcpRateNoMem) == 0)) || tq_fail "bbr: connections fell back to cubic (TcpRateNoMem)"
	tq_pass "bbr: TcpPaceWaits $(tq_ctr TcpPaceWaits), TcpRetransSegs $(tq_ctr TcpRetransSegs)"
fi

out=$(tq_peer "$py" "$client" refused "$TQ_ENG4" 5555) ||
	{ echo "$out" >&2; tq_fail "connect to a closed port was not refused"; }
(($(tq_ctr TcpNoPort) >= 1)) || tq_fail "TcpNoPort did not count the refused SYN"
tq_pass "closed port: $out, TcpNoPort $(tq_ctr TcpNoPort)"

for ((i = 0; i < 50; i++)); do
	(($(tq_ctr TcpCurrEstab) == 0)) && break
	sleep 0.1
done
(($(tq_ctr TcpCurrEstab) == 0)) || tq_fail "connections still established: $(tq_ctr TcpCurrEstab)"
want=2
[[ $mode == workers ]] && want=10
(($(tq_ctr TcpPassiveOpens) == want)) || tq_fail "TcpPassiveOpens $(tq_ctr TcpPassiveOpens), expected $want"
if [[ -n $fault ]]; then
	(($(tq_ctr TcpRetransSegs) > 0)) || tq_fail "no retransmissions under loss"
	(($(tq_ctr FaultCorrupted) > 0)) || tq_fail "the fault injector corrupted nothing"
	tq_pass "retransmitted $(tq_ctr TcpRetransSegs) segments, checksum drops $(tq_ctr TcpInCsumErrors)+$(tq_ctr IpInCsumErrors)"
fi
tq_pass "all connections closed"
