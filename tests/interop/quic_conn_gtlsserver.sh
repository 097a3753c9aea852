#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# quic_conn_gtlsserver: our whole QUIC connection (tq_quic_conn, driven
# over a kernel UDP socket by tests/interop/quic_conn_peer.c) against
# ngtcp2's gtlsserver on loopback, once per cipher suite with the
# server's certificate verified, and once without verification: the
# handshake is confirmed, the keys discarded, the server's HTTP/3
# streams taken, and the connection closed with H3_NO_ERROR; and once
# with a key update of ours that the server follows (RFC 9001 6); and
# against gtlsserver -V, which answers our first Initial with a Retry.
# gtlsserver speaks HTTP/3 only, so no stream of ours carries data yet.
set -euo pipefail

peer=$1
certmaker=$2
name=quic_conn_gtlsserver
server=$(command -v gtlsserver || true)
[[ -z $server && -x /usr/sbin/gtlsserver ]] && server=/usr/sbin/gtlsserver
[[ -n $server ]] || { echo "SKIP [$name]: needs gtlsserver (apt-get install ngtcp2-server)" >&2; exit 77; }

tmp=$(mktemp -d "/tmp/tq-$name.XXXXXX")
spid=""
vpid=""
cleanup() {
	local rc=$?
	set +e
	if [[ -n $spid ]]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	if [[ -n $vpid ]]; then
		kill "$vpid" 2>/dev/null
		wait "$vpid" 2>/dev/null
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

"$certmaker" make-cert "$tmp" localhost
mkdir "$tmp/htdocs"
port=$((20000 + RANDOM % 20000))
"$server" -q -d "$tmp/htdocs" 127.0.0.1 "$port" "$tmp/key.pem" "$tmp/cert.pem" \
	>"$tmp/server.log" 2>&1 &
spid=$!
sleep 0.5
kill -0 "$spid" 2>/dev/null || { echo "FAIL [$name]: gtlsserver did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }

for cipher in aes-128-gcm aes-256-gcm chacha20-poly1305; do
	out=$("$peer" client 127.0.0.1 "$port" --cipher "$cipher" --ca "$tmp/cert.pem" --name localhost) ||
		{ echo "FAIL [$name]: $cipher" >&2; tail -20 "$tmp/server.log" >&2; exit 1; }
	echo "ok [$name]: $out" >&2
done
out=$("$peer" client 127.0.0.1 "$port") || { echo "FAIL [$name]: no verification" >&2; exit 1; }
echo "ok [$name]: no verification: $out" >&2
out=$("$peer" client 127.0.0.1 "$port" --key-update) || { echo "FAIL [$name]: key update" >&2; exit 1; }
[[ $out == *" 1 key updates"* ]] || { echo "FAIL [$name]: the server did not follow our key update: $out" >&2; exit 1; }
echo "ok [$name]: key update: $out" >&2
vport=$((port + 1))
"$server" -q -V -d "$tmp/htdocs" 127.0.0.1 "$vport" "$tmp/key.pem" "$tmp/cert.pem" \
	>"$tmp/vserver.log" 2>&1 &
vpid=$!
sleep 0.5
out=$("$peer" client 127.0.0.1 "$vport") || { echo "FAIL [$name]: Retry" >&2; tail -20 "$tmp/vserver.log" >&2; exit 1; }
[[ $out == *" 1 Retry"* ]] || { echo "FAIL [$name]: no Retry taken: $out" >&2; exit 1; }
echo "ok [$name]: Retry: $out" >&2
