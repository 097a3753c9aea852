#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# quic_conn_resume: resumption and 0-RTT of our connection as a client
# (tests/interop/quic_conn_peer.c over a kernel UDP socket) against
# ngtcp2's gtlsserver on loopback.  A first connection saves the
# session the server's NewSessionTicket gives (--session-file); a second
# one resumes with it and sends an HTTP/3 control stream in 0-RTT,
# which the server takes; a third resumes without 0-RTT; then against a
# restarted server (another ticket key) the ticket is refused, the
# 0-RTT packet with it, and the stream goes again in 1-RTT: a full
# handshake that still ends cleanly.  Then a connection with
# --qlog-dir: one file, every record JSON, the expected events in time
# order, the packets as the connection counted them
# (tests/interop/qlog_check.py).  Last, our connection as the server
# for gtlsclient: resumed, 0-RTT taken, and refused when off.
set -euo pipefail

peer=$1
certmaker=$2
name=quic_conn_resume
server=$(command -v gtlsserver || true)
[[ -z $server && -x /usr/sbin/gtlsserver ]] && server=/usr/sbin/gtlsserver
[[ -n $server ]] || { echo "SKIP [$name]: needs gtlsserver (apt-get install ngtcp2-server)" >&2; exit 77; }

tmp=$(mktemp -d "/tmp/tq-$name.XXXXXX")
spid=""
stop_server() {
	if [[ -n $spid ]]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		spid=""
	fi
}
cleanup() {
	local rc=$?
	set +e
	stop_server
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

"$certmaker" make-cert "$tmp" localhost
mkdir "$tmp/htdocs"
port=$((20000 + RANDOM % 20000))
start_server() {
	"$server" -q -d "$tmp/htdocs" 127.0.0.1 "$port" "$tmp/key.pem" "$tmp/cert.pem" \
		>"$tmp/server.log" 2>&1 &
	spid=$!
	sleep 0.5
	kill -0 "$spid" 2>/dev/null || { echo "FAIL [$name]: gtlsserver did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
}
run() { # what, want..., -- peer args
	local what=$1
	shift
	local -a want=()
	while [[ $1 != -- ]]; do want+=("$1"); shift; done
	shift
	out=$("$peer" client 127.0.0.1 "$port" --ca "$tmp/cert.pem" --name localhost \
		--session-file "$tmp/session" "$@") ||
		{ echo "FAIL [$name]: $what" >&2; tail -20 "$tmp/server.log" >&2; exit 1; }
	for w in "${want[@]}"; do
		[[ $out == *"$w"* ]] || { echo "FAIL [$name]: $what: no '$w' in: $out" >&2; exit 1; }
	done
	echo "ok [$name]: $what: $out" >&2
}

start_server
run "first connection" "full handshake" "0-RTT none (0 packets)" -- --early
[[ -s $tmp/session ]] || { echo "FAIL [$name]: no session saved" >&2; exit 1; }
run "resumed with 0-RTT" ", resumed," "0-RTT accepted (1 packets)" -- --early
run "resumed without 0-RTT" ", resumed," "0-RTT none (0 packets)" --
stop_server
start_server
run "a ticket the server no longer knows" "full handshake" "0-RTT rejected (1 packets)" -- --early
mkdir "$tmp/qlog"
run "qlog" "0-RTT accepted" -- --early --qlog-dir "$tmp/qlog"
[[ $out =~ ([0-9]+)\ packets\ in,\ ([0-9]+)\ out ]] || { echo "FAIL [$name]: no packet counts: $out" >&2; exit 1; }
check=$(python3 "$(dirname "$0")/qlog_check.py" "$tmp/qlog" 1 \
	--received "${BASH_REMATCH[1]}" --sent "${BASH_REMATCH[2]}") ||
	{ echo "FAIL [$name]: qlog" >&2; exit 1; }
echo "ok [$name]: $check" >&2

# Our connection as the server (quic_conn_peer server --clients 2, with
# tickets) for gtlsclient run twice with --session-file/--tp-file: the
# second run resumes; with --early its HTTP/3 streams come in 0-RTT and
# are taken, without it the 0-RTT is refused and the streams still
# arrive (in 1-RTT).
stop_server
client=$(command -v gtlsclient || true)
[[ -z $client && -x /usr/bin/gtlsclient ]] && client=/usr/bin/gtlsclient
[[ -n $client ]] || { echo "ok [$name]: no gtlsclient: our server side not tested" >&2; exit 0; }
for early in --early ""; do
	rm -f "$tmp/cs" "$tmp/ctp"
	port=$((20000 + RANDOM % 20000))
	"$peer" server 127.0.0.1 "$port" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
		--clients 2 $early >"$tmp/ours.out" 2>&1 &
	spid=$!
	sleep 0.3
	timeout 20 "$client" --timeout=5s --session-file="$tmp/cs" --tp-file="$tmp/ctp" \
		127.0.0.1 "$port" >"$tmp/c1.log" 2>&1 || true
	# the first connection's closing period over: our socket is the
	# second client's then
	for ((i = 0; i < 50; i++)); do
		grep -q '^server:' "$tmp/ours.out" && break
		sleep 0.1
	done
	timeout 20 "$client" --timeout=5s --session-file="$tmp/cs" --tp-file="$tmp/ctp" \
		127.0.0.1 "$port" >"$tmp/c2.log" 2>&1 || true
	src=0
	wait "$spid" || src=$?
	spid=""
	((src == 0)) || { echo "FAIL [$name]: our server ($early) exited $src" >&2; cat "$tmp/ours.out" >&2; exit 1; }
	first=$(sed -n 1p "$tmp/ours.out") second=$(sed -n 2p "$tmp/ours.out")
	[[ $first == *"full handshake, 0-RTT none"* ]] || { echo "FAIL [$name]: first: $first" >&2; exit 1; }
	if [[ -n $early ]]; then
		want="resumed, 0-RTT accepted (1 packets), 3 peer streams"
	else
		want="resumed, 0-RTT rejected (0 packets), 3 peer streams"
		grep -q "Early data was rejected by server" "$tmp/c2.log" ||
			{ echo "FAIL [$name]: gtlsclient's early data not rejected" >&2; exit 1; }
	fi
	[[ $second == *"$want"* ]] || { echo "FAIL [$name]: second ($early): $second" >&2; exit 1; }
	echo "ok [$name]: our server${early:+ with 0-RTT}: $second" >&2
done
