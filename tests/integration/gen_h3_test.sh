#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_h3_test: tq-gen --h3, the engine's QUIC client (tq_quic_connect())
# with its HTTP/3 client session, on net_af_packet against ngtcp2's
# gtlsserver serving files in a netns:
#  - a small page: every request answered whole, the JSON report's
#    fields; --rate 300 held overall and in every second;
#  - a 5 MB file byte-exact (its length and FNV-1a 64 checked by
#    tq-gen on every response), the certificate verified against its CA;
#  - 30 files on parallel streams of one connection (--streams 30);
#  - ChaCha20-Poly1305 alone (--ciphers chacha20), and a server that
#    does not offer our only suite fails the handshake, counted;
#  - loss both ways: the engine's --fault drop and gtlsserver's -t/-r;
#  - two workers, connections on both (the client counters read
#    mid-run), replies steered by our CIDs where they land elsewhere;
#  - a Retry (gtlsserver -V) before every handshake;
#  - tq-gen --h3 against tq-server --h3 through the netns (engine to
#    engine), byte-exact.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_h3_test
tq_require_tools openssl
gs=$(command -v gtlsserver || true)
[[ -z $gs && -x /usr/sbin/gtlsserver ]] && gs=/usr/sbin/gtlsserver
[[ -n $gs ]] || tq_skip "needs gtlsserver (ngtcp2-server)"
py=$(tq_python)

n=$(tq_free_subnet 10.236)
peer=10.236.$n.1
eng=10.236.$n.2
tq_veth_setup "$peer/24"

doc=$TQ_TMP/doc
mkdir -p "$doc"
chmod 755 "$TQ_TMP" "$doc"
head -c 1000 /dev/zero | tr '\0' x >"$doc/index.html"
head -c 5000000 /dev/urandom >"$doc/r5m.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TQ_TMP/key.pem" -out "$TQ_TMP/cert.pem" -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:$peer \
	>/dev/null 2>&1 || tq_fail "openssl could not make a certificate"
# fnv FILE: FNV-1a 64 of the file, as tq-gen --expect-fnv takes it.
fnv() {
	"$py" -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}
fnv_small=$(fnv "$doc/index.html")
fnv_big=$(fnv "$doc/r5m.bin")

gspid=""
# gserve PORT ARGS...: gtlsserver in the peer's namespace.
gserve() {
	local port=$1
	shift
	if [[ -n $gspid ]]; then
		kill "$gspid" 2>/dev/null || true
		wait "$gspid" 2>/dev/null || true
	fi
	tq_bg ip netns exec "$TQ_NS" "$gs" -q -d "$doc" "$@" "$peer" "$port" \
		"$TQ_TMP/key.pem" "$TQ_TMP/cert.pem"
	gspid=$TQ_BG_PID
	sleep 0.5
	tq_alive "$gspid" || tq_fail "gtlsserver did not start"
}

# h3gen JSON EAL-EXTRA -- APP...: one tq-gen --h3 run to its end.
h3gen() {
	local json=$1
	shift
	gen_run 60 "$@" --json "$json"
}

gserve 4433
url="https://$peer:4433"

# ---- a small page, closed loop ----
h3gen "$TQ_TMP/small.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "$url/index.html" --connections 2 --duration 2 \
	--expect-length 1000 --expect-fnv "$fnv_small"
check=$(gen_json "$TQ_TMP/small.json" '
r["requests"] > 20 and r["errors"]["total"] == 0 and
r["connections"] == 2 and r["histogram"]["count"] == r["requests"] and
r["bytes_rx"] == 1000 * r["requests"] and r["config"]["mode"] == "h3"')
[[ $check == True ]] || { cat "$TQ_TMP/small.json" >&2; tq_fail "small page: report"; }
tq_pass "small page: $(gen_json "$TQ_TMP/small.json" 'r["requests"]') requests over 2 QUIC connections, every body checked"

# ---- 5 MB byte-exact, certificate verified; the connection set to
# CUBIC (--cc, TQ_OPT_CC right after tq_quic_connect()) ----
h3gen "$TQ_TMP/big.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "$url/r5m.bin" --connections 1 --duration 3 \
	--ca "$TQ_TMP/cert.pem" --timeout 10 --cc cubic \
	--expect-length 5000000 --expect-fnv "$fnv_big"
check=$(gen_json "$TQ_TMP/big.json" '
r["requests"] >= 1 and r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/big.json" >&2; tq_fail "5 MB: report"; }
tq_pass "5 MB: $(gen_json "$TQ_TMP/big.json" 'r["requests"]') download(s) byte-exact, certificate verified, --cc cubic"

# ---- a body that differs is an error (the check can fail) ----
h3gen "$TQ_TMP/bad.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "$url/index.html" --connections 1 --duration 1 \
	--expect-fnv 0123456789abcdef
check=$(gen_json "$TQ_TMP/bad.json" '
r["requests"] == 0 and r["errors"]["parse"] > 0')
[[ $check == True ]] || { cat "$TQ_TMP/bad.json" >&2; tq_fail "a wrong hash not caught"; }
tq_pass "a body of another hash is counted as a parse error"

# ---- open loop ----
h3gen "$TQ_TMP/rate.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "$url/index.html" --connections 2 --streams 4 \
	--rate 300 --duration 3 --expect-fnv "$fnv_small"
check=$(gen_json "$TQ_TMP/rate.json" '
abs(r["requests"] - 900) <= 27 and r["errors"]["total"] == 0 and
all(abs(x["requests"] - 300) <= 18 for x in r["series"])')
[[ $check == True ]] || { cat "$TQ_TMP/rate.json" >&2; tq_fail "--rate 300: not held"; }
tq_pass "--rate 300: $(gen_json "$TQ_TMP/rate.json" 'r["requests"]') requests in 3 s, every second within 6%"

# ---- 30 files on parallel streams ----
for i in $(seq 1 30); do
	head -c 20000 /dev/urandom >"$doc/f$i.bin"
done
h3gen "$TQ_TMP/par.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "$url/f7.bin" --connections 1 --streams 30 --duration 2 \
	--expect-length 20000 --expect-fnv "$(fnv "$doc/f7.bin")"
check=$(gen_json "$TQ_TMP/par.json" '
r["requests"] >= 30 and r["errors"]["total"] == 0 and
r["connections"] == 1 and r["config"]["streams"] == 30')
[[ $check == True ]] || { cat "$TQ_TMP/par.json" >&2; tq_fail "30 streams: report"; }
tq_pass "30 streams at once on one connection: $(gen_json "$TQ_TMP/par.json" 'r["requests"]') responses byte-exact"

# ---- ChaCha20 ----
gserve 4434 --ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305
h3gen "$TQ_TMP/chacha.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "https://$peer:4434/r5m.bin" --connections 1 --duration 2 \
	--ciphers chacha20 --timeout 10 --expect-fnv "$fnv_big"
check=$(gen_json "$TQ_TMP/chacha.json" '
r["requests"] >= 1 and r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/chacha.json" >&2; tq_fail "chacha20"; }
tq_pass "ChaCha20-Poly1305: 5 MB byte-exact"
h3gen "$TQ_TMP/nosuite.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "https://$peer:4434/index.html" --connections 1 \
	--duration 1 --ciphers aes128
check=$(gen_json "$TQ_TMP/nosuite.json" '
r["requests"] == 0 and r["errors"]["refused"] > 0')
[[ $check == True ]] || { cat "$TQ_TMP/nosuite.json" >&2; tq_fail "no common suite: not refused"; }
tq_pass "no common suite: handshakes refused and counted"

# ---- loss both ways ----
gserve 4435 -t 0.02 -r 0.02
h3gen "$TQ_TMP/loss.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "https://$peer:4435/r5m.bin" --connections 1 --duration 4 \
	--timeout 20 --expect-fnv "$fnv_big" --fault drop=0.02,seed=3
check=$(gen_json "$TQ_TMP/loss.json" '
r["requests"] >= 1 and r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/loss.json" >&2; tq_fail "under loss"; }
tq_pass "2% loss each way in gtlsserver and 2% in the engine: 5 MB byte-exact"

# ---- two workers, counters mid-run ----
gserve 4436
tq_server_start "$(tq_vdev_af_packet qpairs=2)" --lcores 0@0,1@1,2@1 \
	-- --addr "$eng/24" --h3 --url "https://$peer:4436/index.html" \
	--connections 8 --duration 3 --expect-fnv "$fnv_small" \
	--json "$TQ_TMP/w2.json"
genpid=$TQ_SERVER_PID
sleep 2
opened=$(tq_ctr QuicClientConnsOpened)
hs=$(tq_ctr QuicClientHandshakes)
fails=$(tq_ctr QuicHandshakeFails)
curr=$(tq_ctr QuicCurrConns)
for ((i = 0; i < 100; i++)); do
	tq_alive "$genpid" || break
	sleep 0.1
done
tq_alive "$genpid" && tq_fail "two workers: tq-gen still running"
rc=0
wait "$genpid" || rc=$?
((rc == 0)) || { cat "$TQ_SERVER_LOG" >&2; tq_fail "two workers: tq-gen exited with $rc"; }
((opened == 8 && hs == 8 && fails == 0 && curr == 8)) ||
	tq_fail "two workers: QuicClientConnsOpened $opened, QuicClientHandshakes $hs, QuicHandshakeFails $fails, QuicCurrConns $curr (want 8, 8, 0, 8)"
check=$(gen_json "$TQ_TMP/w2.json" '
r["requests"] > 20 and r["errors"]["total"] == 0 and
r["connections"] == 8 and r["config"]["workers"] == 2')
[[ $check == True ]] || { cat "$TQ_TMP/w2.json" >&2; tq_fail "two workers"; }
tq_pass "two workers: 8 client connections opened and confirmed (counters), $(gen_json "$TQ_TMP/w2.json" 'r["requests"]') requests"

# ---- a server that asks for a Retry first ----
gserve 4437 -V
h3gen "$TQ_TMP/retry.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--h3 --url "https://$peer:4437/index.html" --connections 2 \
	--duration 1 --requests-per-conn 20 --expect-fnv "$fnv_small"
check=$(gen_json "$TQ_TMP/retry.json" '
r["requests"] > 40 and r["errors"]["total"] == 0 and r["connections"] > 2')
[[ $check == True ]] || { cat "$TQ_TMP/retry.json" >&2; tq_fail "Retry"; }
tq_pass "gtlsserver -V: $(gen_json "$TQ_TMP/retry.json" 'r["connections"]') connections through a Retry each"

# ---- engine to engine: tq-server --h3 behind the netns, which routes ----
kill "$gspid" 2>/dev/null || true
gen_routed_link 10.238
SSLKEYLOGFILE=$TQ_TMP/keys-server.log \
	TQ_SERVER=$TQ_BUILD_DIR/apps/tq-server tq_server_start \
	"--vdev=net_af_packet0,iface=$SRV_IF" -- --addr "$srv/24" \
	--gateway "$srv_gw" --h3 4433 --docroot "$doc"
srvpid=$TQ_SERVER_PID
TQ_SERVER=$TQ_GEN
SSLKEYLOGFILE=$TQ_TMP/keys-client.log \
	h3gen "$TQ_TMP/e2e.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--gateway "$peer" --h3 --url "https://$srv:4433/r5m.bin" \
	--connections 2 --streams 2 --duration 3 --timeout 10 \
	--expect-length 5000000 --expect-fnv "$fnv_big"
check=$(gen_json "$TQ_TMP/e2e.json" '
r["requests"] >= 2 and r["errors"]["total"] == 0 and r["connections"] == 2')
[[ $check == True ]] || { cat "$TQ_TMP/e2e.json" >&2; tq_fail "engine to engine"; }
tq_alive "$srvpid" || tq_fail "tq-server died"
tq_pass "engine to engine: $(gen_json "$TQ_TMP/e2e.json" 'r["requests"]') downloads of 5 MB byte-exact from tq-server --h3"
# SSLKEYLOGFILE: both roles write NSS key log lines (GnuTLS does, for
# our sessions too), the same connections' client randoms in both.
for f in client server; do
	grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$TQ_TMP/keys-$f.log" 2>/dev/null ||
		tq_fail "SSLKEYLOGFILE: no key log lines from the $f"
done
cr=$(awk '$1 == "CLIENT_TRAFFIC_SECRET_0" {print $2; exit}' "$TQ_TMP/keys-client.log")
grep -q "^CLIENT_TRAFFIC_SECRET_0 $cr " "$TQ_TMP/keys-server.log" ||
	tq_fail "SSLKEYLOGFILE: the client's connection is not in the server's log"
tq_pass "SSLKEYLOGFILE: key log lines from both engines, matching"
h3gen "$TQ_TMP/e2e_small.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--gateway "$peer" --h3 --url "https://$srv:4433/index.html" \
	--connections 4 --streams 8 --duration 2 --requests-per-conn 50 \
	--expect-fnv "$fnv_small"
check=$(gen_json "$TQ_TMP/e2e_small.json" '
r["requests"] > 200 and r["errors"]["total"] == 0 and r["connections"] > 4')
[[ $check == True ]] || { cat "$TQ_TMP/e2e_small.json" >&2; tq_fail "engine to engine: 50 per connection"; }
tq_pass "engine to engine: $(gen_json "$TQ_TMP/e2e_small.json" 'r["requests"]') requests, 50 per connection over $(gen_json "$TQ_TMP/e2e_small.json" 'r["connections"]') connections"
tq_stop_pid "$srvpid"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
