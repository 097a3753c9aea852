#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# quic_secret_restart_test: tq-server restarted under a running tq-gen
# --h3 --resume (long connections, a request always in flight), engine
# to engine through the netns, which routes:
#  - with --quic-secret FILE on both runs: the connections the restart
#    (SIGKILL) cut are ended by stateless resets the client recognises
#    (tq-gen's QuicStatelessResetsReceived), and its next
#    connections resume the old process's tickets (QuicResumed on the
#    new one) with the old one's NEW_TOKEN tokens taken
#    (QuicTokensAccepted);
#  - the same restart without it: no reset recognised (the connections
#    time out), nothing resumed, every token refused (QuicTokensBad).
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init quic_secret_restart_test

n=$(tq_free_subnet 10.241)
peer=10.241.$n.1
eng=10.241.$n.2
tq_veth_setup "$peer/24"

doc=$TQ_TMP/doc
mkdir -p "$doc"
chmod 755 "$TQ_TMP" "$doc"
head -c 30000 /dev/urandom >"$doc/r30k.bin"
chmod 644 "$doc/r30k.bin"
head -c 48 /dev/urandom >"$TQ_TMP/secret"
head -c 31 /dev/urandom >"$TQ_TMP/short"

gen_routed_link 10.242

srv_args=("--vdev=net_af_packet0,iface=$SRV_IF" -- --addr "$srv/24"
	--gateway "$srv_gw" --h3 4433 --docroot "$doc" --quic-0rtt on)

# a short secret stops the start, naming the option
read -r -a mem <<<"$(tq_eal_mem)"
TQ_PREFIXES+=("tq$$_short")
if timeout 30 "$TQ_BUILD_DIR/apps/tq-server" -l 0-1 "${mem[@]}" --no-pci \
		--file-prefix "tq$$_short" --vdev=net_null0 -- \
		--addr 10.9.9.9/24 --h3 4433 --docroot "$doc" \
		--quic-secret "$TQ_TMP/short" \
		>"$TQ_TMP/short.log" 2>&1; then
	tq_fail "tq-server started with a 31-byte --quic-secret"
fi
grep -q -- "--quic-secret .*under 32 bytes" "$TQ_TMP/short.log" ||
	{ cat "$TQ_TMP/short.log" >&2; tq_fail "short --quic-secret: no clear error"; }
tq_pass "a 31-byte --quic-secret refused at start: $(grep -o -- '--quic-secret .*under 32 bytes' "$TQ_TMP/short.log" | head -1)"

srvstart() {
	TQ_SERVER=$TQ_BUILD_DIR/apps/tq-server tq_server_start "${srv_args[@]}" "$@"
	srvpid=$TQ_SERVER_PID
	srvprefix=$TQ_PREFIX
}
srvctr() {
	local keep=$TQ_PREFIX v
	TQ_PREFIX=$srvprefix
	v=$(tq_ctr "$1")
	TQ_PREFIX=$keep
	echo "$v"
}

# genctr NAME: a counter of the running tq-gen, empty once it has ended
genctr() {
	"$TQ_CTL" --file-prefix "$genprefix" -z stats 2>/dev/null |
		awk -v k="$1" '$1 == k {print $2}' || true
}

# run NAME [server options]: tq-gen for 20 s (idle timeout 12 s, so its
# probes outlive the restart), the server killed once tq-gen's two
# connections are made with it
# (SIGKILL: no CONNECTION_CLOSE, the clients learn of it only by a
# stateless reset) and started again; tq-gen's report in
# $TQ_TMP/NAME.json, its resets received, the new server's counters.
# A connection whose request was acknowledged before the kill has only
# ACKs in flight: nothing for the loss timers to probe, so it would
# wait in silence.  --quic-keepalive-ms 300 makes it PING, and the PING
# unanswered starts the probes (backed off) that the new process
# answers with a reset; the request timeout (10 s, not 2) keeps the
# connection that long even when a loaded machine is slow to restart
# the server, and the run (20 s) leaves room after it for connections
# that time out without the secret to be replaced by ones presenting
# the old tokens.
run() {
	local name=$1 i v
	shift
	srvstart "$@"
	TQ_SERVER=$TQ_GEN tq_server_start "$(tq_vdev_af_packet)" -- \
		--addr "$eng/24" --gateway "$peer" --h3 \
		--url "https://$srv:4433/r30k.bin" --connections 2 \
		--requests-per-conn 0 --duration 20 --resume \
		--quic-idle-ms 12000 --quic-keepalive-ms 300 --timeout 10 \
		--json "$TQ_TMP/$name.json"
	genpid=$TQ_SERVER_PID
	genprefix=$TQ_PREFIX
	v=
	# the kill must find tq-gen's connections made with this process
	# (a start slowed by load once put them all on the next one):
	# both confirmed, then a second for the tickets and tokens
	for ((i = 0; i < 150; i++)); do
		v=$(genctr QuicClientHandshakes)
		[[ -n $v ]] && ((v >= 2)) && break
		tq_alive "$genpid" || break
		sleep 0.2
	done
	[[ -n $v ]] && ((v >= 2)) || tq_fail "$name: tq-gen made no connections before the restart"
	sleep 1
	tq_alive "$genpid" || tq_fail "$name: tq-gen ended before the restart"
	kill -KILL "$srvpid"
	wait "$srvpid" 2>/dev/null || true
	srvstart "$@"
	grx=0
	for ((i = 0; i < 300; i++)); do
		tq_alive "$genpid" || break
		v=$(genctr QuicStatelessResetsReceived)
		[[ -n $v ]] && grx=$v
		sleep 0.2
	done
	tq_alive "$genpid" && tq_fail "$name: tq-gen still running"
	wait "$genpid" || true
	resumed=$(srvctr QuicResumed)
	tokok=$(srvctr QuicTokensAccepted)
	tokbad=$(srvctr QuicTokensBad)
	resets=$(srvctr QuicStatelessResets)
	tq_stop_pid "$srvpid"
	greset=$(gen_json "$TQ_TMP/$name.json" 'r["errors"].get("reset", 0)')
	gto=$(gen_json "$TQ_TMP/$name.json" 'r["errors"].get("timeout", 0)')
	gres=$(gen_json "$TQ_TMP/$name.json" 'r["resumed"]')
	tq_log "$name: server after restart: QuicStatelessResets $resets QuicResumed $resumed QuicTokensAccepted $tokok QuicTokensBad $tokbad; tq-gen: QuicStatelessResetsReceived $grx, errors reset $greset timeout $gto, resumed $gres"
}

run secret --quic-secret "$TQ_TMP/secret"
((resets > 0 && grx > 0)) || { cat "$TQ_TMP/secret.json" >&2; tq_fail "with --quic-secret: resets sent $resets, recognised $grx"; }
((resumed > 0)) || tq_fail "with --quic-secret: QuicResumed $resumed"
((tokok > 0 && tokbad == 0)) || tq_fail "with --quic-secret: QuicTokensAccepted $tokok, QuicTokensBad $tokbad"
tq_pass "restart with --quic-secret: $grx connections ended by recognised stateless resets ($resets sent), $resumed resumed on the new process, $tokok old tokens accepted"

run nosecret
((resets > 0 && grx == 0)) || { cat "$TQ_TMP/nosecret.json" >&2; tq_fail "without --quic-secret: resets sent $resets, recognised $grx"; }
((resumed == 0)) || tq_fail "without --quic-secret: QuicResumed $resumed"
((tokbad > 0 && tokok == 0)) || tq_fail "without --quic-secret: QuicTokensAccepted $tokok, QuicTokensBad $tokbad"
tq_pass "restart without --quic-secret: $resets resets sent, none recognised, none resumed, $tokbad tokens refused"
tq_pass "all checks passed"
