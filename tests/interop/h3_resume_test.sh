#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# h3_resume_test: session resumption and 0-RTT of tq-server --h3 (the
# QUIC module) against ngtcp2's gtlsclient in the peer's namespace,
# over af_packet (needs root, like tests/integration):
#  - resumption: a first run saves the session (--session-file), the
#    second resumes (the pre_shared_key extension, 0x0029, in the
#    ServerHello gtlsclient prints) and QuicResumed counts it;
#  - 0-RTT with --quic-0rtt on: with --session-file and --tp-file the
#    request goes in 0-RTT (STREAM frames in gtlsclient's 0RTT frame log,
#    no "rejected"), the page arrives byte-exact, Quic0rttAccepted and
#    Quic0rttPkts count;
#  - 0-RTT with --quic-0rtt off: resumed, gtlsclient's early data
#    rejected and sent again in 1-RTT (the page arrives), Quic0rttRejected
#    counts it and Quic0rttAccepted stays 0;
#  - qlog (--qlog-dir): a file per connection, every record JSON, the
#    expected events in time order, packets received as QuicPktsIn
#    counted them and sent about as QuicPktsOut (tests/interop/
#    qlog_check.py).
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init h3resume
tq_require_tools gtlsclient sha256sum head

doc=$TQ_TMP/doc
mkdir -p "$doc"
head -c 20000 /dev/urandom >"$doc/page.bin"
sha() { sha256sum <"$1" | cut -c1-64; }

# get NAME ARGS...: gtlsclient, not quiet (the ServerHello is printed),
# the page downloaded into $TQ_TMP/NAME, its output in $TQ_TMP/NAME.log.
get() {
	local n=$1
	shift
	rm -rf "${TQ_TMP:?}/$n"
	mkdir -p "$TQ_TMP/$n"
	tq_peer timeout 60 gtlsclient --exit-on-all-streams-close \
		--timeout=10s --download="$TQ_TMP/$n" "$@" \
		"$TQ_ENG4" 4433 "https://$TQ_ENG4:4433/page.bin" \
		>"$TQ_TMP/$n.log" 2>&1 || { tail -20 "$TQ_TMP/$n.log" >&2; return 1; }
	[[ $(sha "$TQ_TMP/$n/page.bin") == "$(sha "$doc/page.bin")" ]] ||
		tq_fail "$n: the page differs"
}
# GnuTLS prints the ServerHello's bytes; a resumed one carries
# pre_shared_key (extension 0x0029: "00 29 00 02" with its length).
resumed() { grep -qiE '00 ?29 ?00 ?02' "$TQ_TMP/$1.log"; }

for mode in on off; do
	s=$TQ_TMP/session-$mode tp=$TQ_TMP/tp-$mode
	mkdir -p "$TQ_TMP/qlog-$mode"
	tq_engine_up af_packet 10.187 fd87:87 -- --h3 4433 --docroot "$doc" \
		--quic-0rtt "$mode" --qlog-dir "$TQ_TMP/qlog-$mode"
	get "first-$mode" --session-file="$s" --tp-file="$tp" ||
		tq_fail "$mode: first run"
	[[ -s $s && -s $tp ]] || tq_fail "$mode: gtlsclient saved no session"
	resumed "first-$mode" && tq_fail "$mode: the first run resumed"
	(($(tq_ctr QuicResumed) == 0)) || tq_fail "$mode: QuicResumed before any resumption"
	get "second-$mode" --session-file="$s" --tp-file="$tp" ||
		tq_fail "$mode: second run"
	resumed "second-$mode" || tq_fail "$mode: the second run did not resume"
	for ((i = 0; i < 50; i++)); do
		(($(tq_ctr QuicResumed) >= 1)) && break
		sleep 0.1
	done
	(($(tq_ctr QuicResumed) == 1)) || tq_fail "$mode: QuicResumed $(tq_ctr QuicResumed), want 1"
	acc=$(tq_ctr Quic0rttAccepted) rej=$(tq_ctr Quic0rttRejected)
	pk=$(tq_ctr Quic0rttPkts)
	if [[ $mode == on ]]; then
		# gtlsclient says so only when refused; what it sent in 0-RTT
		# shows in its frame log
		grep -q "Early data was rejected" "$TQ_TMP/second-$mode.log" &&
			tq_fail "on: gtlsclient's early data was rejected"
		grep -qE "frm tx [0-9]+ 0RTT STREAM" "$TQ_TMP/second-$mode.log" ||
			tq_fail "on: gtlsclient sent no STREAM frame in 0-RTT"
		((acc == 1 && rej == 0 && pk >= 1)) ||
			tq_fail "on: Quic0rttAccepted $acc, Quic0rttRejected $rej, Quic0rttPkts $pk"
		tq_pass "0-RTT on: resumed, early data accepted, page byte-exact; Quic0rttAccepted $acc, Quic0rttPkts $pk"
	else
		grep -q "Early data was rejected by server" "$TQ_TMP/second-$mode.log" ||
			tq_fail "off: gtlsclient did not say its early data was rejected"
		((acc == 0 && rej == 1 && pk == 0)) ||
			tq_fail "off: Quic0rttAccepted $acc, Quic0rttRejected $rej, Quic0rttPkts $pk"
		tq_pass "0-RTT off: resumed, early data rejected and resent, page byte-exact; Quic0rttRejected $rej"
	fi
	(($(tq_ctr QuicHandshakeFails) == 0)) || tq_fail "$mode: handshake failures"
	for ((i = 0; i < 100; i++)); do
		(($(tq_ctr QuicCurrConns) == 0)) && break
		sleep 0.1
	done
	(($(tq_ctr QuicCurrConns) == 0)) || tq_fail "$mode: connections left"
	out=$(python3 "$(dirname "$0")/qlog_check.py" "$TQ_TMP/qlog-$mode" \
		"$(tq_ctr QuicConnsOpened)" --sent "$(tq_ctr QuicPktsOut)" \
		--received "$(tq_ctr QuicPktsIn)") || tq_fail "$mode: qlog"
	tq_pass "$mode: $out"
	tq_stop_pid "$TQ_SERVER_PID"
	[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "$mode: tq-server exited with $TQ_STOP_RC"
done
