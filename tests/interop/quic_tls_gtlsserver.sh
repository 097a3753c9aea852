#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# quic_tls_gtlsserver: our TLS session, key set, packet protection and
# codecs complete a QUIC handshake with ngtcp2's gtlsserver (GnuTLS) on
# loopback, once per cipher suite, the server's self-signed certificate
# checked against itself as CA: the server sends HANDSHAKE_DONE, which
# it does only after checking our Finished, in a 1-RTT packet we open.
# A wrong server name is refused with CRYPTO_ERROR 0x012a.
set -euo pipefail

client=$1
name=quic_tls_gtlsserver
server=$(command -v gtlsserver || true)
[[ -z $server && -x /usr/sbin/gtlsserver ]] && server=/usr/sbin/gtlsserver
[[ -n $server ]] || { echo "SKIP [$name]: needs gtlsserver (apt-get install ngtcp2-server)" >&2; exit 77; }

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

"$client" make-cert "$tmp" localhost
mkdir "$tmp/htdocs"
port=$((20000 + RANDOM % 20000))
"$server" -q -d "$tmp/htdocs" 127.0.0.1 "$port" "$tmp/key.pem" "$tmp/cert.pem" \
	>"$tmp/server.log" 2>&1 &
spid=$!
sleep 0.5
kill -0 "$spid" 2>/dev/null || { echo "FAIL [$name]: gtlsserver did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }

for cipher in aes-128-gcm aes-256-gcm chacha20-poly1305; do
	out=$("$client" client 127.0.0.1 "$port" --cipher "$cipher" --ca "$tmp/cert.pem" --name localhost) ||
		{ echo "FAIL [$name]: $cipher" >&2; tail -20 "$tmp/server.log" >&2; exit 1; }
	echo "ok [$name]: $out" >&2
done
# A name the certificate does not carry: bad_certificate (42), 0x012a.
if err=$("$client" client 127.0.0.1 "$port" --ca "$tmp/cert.pem" --name other.example 2>&1); then
	echo "FAIL [$name]: a wrong server name was accepted" >&2
	exit 1
fi
[[ $err == *"0x12a"* ]] || { echo "FAIL [$name]: wrong name gave: $err" >&2; exit 1; }
echo "ok [$name]: wrong name refused: $err" >&2
# Without verification (how the interop runs will take ngtcp2's own
# self-signed certificates) and without SNI checks.
out=$("$client" client 127.0.0.1 "$port") || { echo "FAIL [$name]: no verification" >&2; exit 1; }
echo "ok [$name]: no verification: $out" >&2
