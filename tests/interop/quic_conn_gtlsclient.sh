#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# quic_conn_gtlsclient: ngtcp2's gtlsclient against our whole QUIC
# connection as the server (tests/interop/quic_conn_peer.c over a kernel
# UDP socket, the connection made from the client's first Initial), per
# cipher suite: the client reports the suite, ALPN h3, the handshake
# completed and confirmed (it opened our HANDSHAKE_DONE), and our side
# reads its HTTP/3 streams, closes with H3_NO_ERROR and finds no error.
# Then key updates (RFC 9001 6): the client's, which we follow, and then
# ours, which it follows.  And with 20% loss each way.
set -euo pipefail

peer=$1
certmaker=$2
name=quic_conn_gtlsclient
client=$(command -v gtlsclient || true)
[[ -n $client ]] || { echo "SKIP [$name]: needs gtlsclient (apt-get install ngtcp2-client)" >&2; exit 77; }

tmp=$(mktemp -d "/tmp/tq-$name.XXXXXX")
spid=""
cleanup() {
	local rc=$?
	set +e
	if [[ -n $spid ]]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

"$certmaker" make-cert "$tmp" localhost
declare -A gnutls_name=([aes-128-gcm]=AES-128-GCM [aes-256-gcm]=AES-256-GCM
	[chacha20-poly1305]=CHACHA20-POLY1305)
for cipher in aes-128-gcm aes-256-gcm chacha20-poly1305; do
	port=$((20000 + RANDOM % 20000))
	"$peer" server 127.0.0.1 "$port" --cert "$tmp/cert.pem" \
		--key "$tmp/key.pem" --cipher "$cipher" >"$tmp/server.out" 2>&1 &
	spid=$!
	sleep 0.3
	timeout 20 "$client" --timeout=5s 127.0.0.1 "$port" >"$tmp/client.out" 2>&1 ||
		true
	src=0
	wait "$spid" || src=$?
	spid=""
	for want in "Negotiated cipher suite is ${gnutls_name[$cipher]}" \
		"Negotiated ALPN is h3" "QUIC handshake has completed" \
		"QUIC handshake has been confirmed"; do
		grep -q "$want" "$tmp/client.out" || {
			echo "FAIL [$name]: $cipher: gtlsclient did not say '$want'" >&2
			grep -E "Negotiated|handshake|CONNECTION_CLOSE|rror" "$tmp/client.out" | head -20 >&2
			cat "$tmp/server.out" >&2
			exit 1
		}
	done
	((src == 0)) || { echo "FAIL [$name]: $cipher: our server exited $src" >&2; cat "$tmp/server.out" >&2; grep -E "CONNECTION_CLOSE|rror" "$tmp/client.out" | head >&2; exit 1; }
	echo "ok [$name]: $(cat "$tmp/server.out"); gtlsclient: confirmed" >&2
done
port=$((20000 + RANDOM % 20000))
"$peer" server 127.0.0.1 "$port" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
	--key-update >"$tmp/server.out" 2>&1 &
spid=$!
sleep 0.3
timeout 20 "$client" --timeout=5s --key-update=100ms 127.0.0.1 "$port" \
	>"$tmp/client.out" 2>&1 || true
src=0
wait "$spid" || src=$?
spid=""
((src == 0)) || { echo "FAIL [$name]: key update: our server exited $src" >&2; cat "$tmp/server.out" >&2; exit 1; }
grep -q " 2 key updates" "$tmp/server.out" || { echo "FAIL [$name]: key updates: $(cat "$tmp/server.out")" >&2; grep -iE "key|rror" "$tmp/client.out" | head >&2; exit 1; }
echo "ok [$name]: key updates: $(cat "$tmp/server.out")" >&2
# 20% of the packets lost each way (gtlsclient drops them): the
# handshake still completes and is confirmed on both sides, several
# seeds' worth of tries.
for try in 1 2 3; do
	port=$((20000 + RANDOM % 20000))
	"$peer" server 127.0.0.1 "$port" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
		>"$tmp/server.out" 2>&1 &
	spid=$!
	sleep 0.3
	timeout 20 "$client" --timeout=5s -t 0.2 -r 0.2 127.0.0.1 "$port" \
		>"$tmp/client.out" 2>&1 || true
	src=0
	wait "$spid" || src=$?
	spid=""
	((src == 0)) || { echo "FAIL [$name]: loss $try: our server exited $src" >&2; cat "$tmp/server.out" >&2; exit 1; }
	grep -q "QUIC handshake has been confirmed" "$tmp/client.out" || { echo "FAIL [$name]: loss $try: not confirmed" >&2; exit 1; }
	echo "ok [$name]: 20% loss each way: $(cat "$tmp/server.out")" >&2
done
