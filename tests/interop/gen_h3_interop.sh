#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_h3_interop: tq-gen --h3 (the QUIC module as a client) against
# ngtcp2's gtlsserver in a netns over af_packet, the interop cases
# gen_h3_test does not cover; tq-gen checks every body's length and
# FNV-1a 64 (--expect-length, --expect-fnv), so each is byte-exact:
#  - ipv6: 5 MB from gtlsserver on the peer's IPv6 address, its
#    certificate (IP SAN) verified; 30 streams at once on one connection;
#  - small stream windows both ways: we advertise 16 KiB per stream and
#    32 KiB per connection (--quic-max-stream-data, --quic-max-data, as
#    gtlsserver's qlog shows) while gtlsserver sends 5 MB through them,
#    and gtlsserver advertises 16 KiB / 32 KiB without autotuning;
#  - tq-ctl conns lists tq-gen's QUIC connections as clients mid-run.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_h3_interop
tq_require_tools openssl
gs=$(command -v gtlsserver || true)
[[ -z $gs && -x /usr/sbin/gtlsserver ]] && gs=/usr/sbin/gtlsserver
[[ -n $gs ]] || tq_skip "needs gtlsserver (ngtcp2-server)"
py=$(tq_python)

n=$(tq_free_subnet 10.237)
peer=10.237.$n.1
eng=10.237.$n.2
peer6=fd37:237:$n::1
eng6=fd37:237:$n::2
tq_veth_setup "$peer/24" "$peer6/64"

doc=$TQ_TMP/doc
mkdir -p "$doc" "$TQ_TMP/qlog"
chmod 755 "$TQ_TMP" "$doc"
head -c 20000 /dev/urandom >"$doc/f.bin"
head -c 5000000 /dev/urandom >"$doc/r5m.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TQ_TMP/key.pem" -out "$TQ_TMP/cert.pem" -days 2 \
	-subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:$peer,IP:$peer6" \
	>/dev/null 2>&1 || tq_fail "openssl could not make a certificate"
fnv() {
	"$py" -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}
fnv_small=$(fnv "$doc/f.bin")
fnv_big=$(fnv "$doc/r5m.bin")

# gserve ADDR PORT ARGS...: a gtlsserver in the peer's namespace.
gserve() {
	local addr=$1 port=$2
	shift 2
	tq_bg ip netns exec "$TQ_NS" "$gs" -q -d "$doc" "$@" "$addr" "$port" \
		"$TQ_TMP/key.pem" "$TQ_TMP/cert.pem"
	sleep 0.5
	tq_alive "$TQ_BG_PID" || tq_fail "gtlsserver did not start"
}
gserve "$peer6" 4433
gserve "$peer" 4434 --qlog-dir="$TQ_TMP/qlog" --max-data=32K \
	--max-stream-data-bidi-remote=16K --max-stream-data-uni=16K

# ---- ipv6 ----
gen_run 60 "$(tq_vdev_af_packet)" -- --addr "$eng/24" --addr "$eng6/64" \
	--h3 --url "https://[$peer6]:4433/r5m.bin" --connections 1 \
	--duration 3 --ca "$TQ_TMP/cert.pem" --timeout 10 \
	--expect-length 5000000 --expect-fnv "$fnv_big" --json "$TQ_TMP/v6.json"
check=$(gen_json "$TQ_TMP/v6.json" '
r["requests"] >= 1 and r["errors"]["total"] == 0 and r["connections"] == 1')
[[ $check == True ]] || { cat "$TQ_TMP/v6.json" >&2; tq_fail "ipv6 5 MB: report"; }
tq_pass "ipv6: $(gen_json "$TQ_TMP/v6.json" 'r["requests"]') x 5 MB byte-exact from [$peer6]:4433, certificate verified"

gen_run 60 "$(tq_vdev_af_packet)" -- --addr "$eng/24" --addr "$eng6/64" \
	--h3 --url "https://[$peer6]:4433/f.bin" --connections 1 --streams 30 \
	--duration 2 --expect-length 20000 --expect-fnv "$fnv_small" \
	--json "$TQ_TMP/v6mux.json"
check=$(gen_json "$TQ_TMP/v6mux.json" '
r["requests"] >= 30 and r["errors"]["total"] == 0 and
r["connections"] == 1 and r["config"]["streams"] == 30')
[[ $check == True ]] || { cat "$TQ_TMP/v6mux.json" >&2; tq_fail "ipv6 30 streams: report"; }
tq_pass "ipv6: 30 streams at once on one connection, $(gen_json "$TQ_TMP/v6mux.json" 'r["requests"]') responses byte-exact"

# ---- tq-ctl conns on the client ----
tq_server_start "$(tq_vdev_af_packet)" -- --addr "$eng/24" --addr "$eng6/64" \
	--h3 --url "https://[$peer6]:4433/r5m.bin" --connections 2 \
	--duration 4 --timeout 10 --expect-fnv "$fnv_big" --json "$TQ_TMP/ctl.json"
gen=$TQ_SERVER_PID
rows=""
for ((i = 0; i < 60; i++)); do
	out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" conns 2>/dev/null) || out=""
	rows=$(awk -v p="[$peer6]:4433" '$1 == "ESTAB" && $3 == "client" &&
		$4 ~ /^\*:/ && $5 == p && $8 > 0' <<<"$out")
	(($(wc -l <<<"$rows") == 2)) && [[ -n $rows ]] && break
	sleep 0.1
done
echo "$out"
(($(wc -l <<<"$rows") == 2)) && [[ -n $rows ]] ||
	tq_fail "tq-ctl conns: not the 2 client rows to [$peer6]:4433"
rc=0
wait "$gen" || rc=$?
((rc == 0)) || { cat "$TQ_SERVER_LOG" >&2; tq_fail "tq-gen exited with $rc"; }
check=$(gen_json "$TQ_TMP/ctl.json" 'r["requests"] >= 1 and r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/ctl.json" >&2; tq_fail "conns run: report"; }
tq_pass "tq-ctl conns: tq-gen's 2 QUIC connections listed as ESTAB clients to [$peer6]:4433 with a cwnd"

# ---- small windows both ways ----
gen_run 90 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--quic-max-stream-data 16384 --quic-max-data 32768 \
	--h3 --url "https://$peer:4434/r5m.bin" --connections 1 --duration 3 \
	--timeout 20 --expect-length 5000000 --expect-fnv "$fnv_big" \
	--json "$TQ_TMP/win.json"
check=$(gen_json "$TQ_TMP/win.json" '
r["requests"] >= 1 and r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/win.json" >&2; tq_fail "small windows: report"; }
"$py" - "$TQ_TMP/qlog" <<'PY' || tq_fail "small windows: not what gtlsserver saw"
import glob, json, sys
seen = []
for f in glob.glob(sys.argv[1] + "/*"):
    for line in open(f, errors="replace"):
        line = line.strip().lstrip("\x1e")
        if "initial_max_stream_data_bidi_local" not in line:
            continue
        d = json.loads(line).get("data", {})
        if d.get("owner") == "remote":
            seen.append(d)
assert seen, "no remote transport parameters in gtlsserver's qlog"
for d in seen:
    assert d["initial_max_stream_data_bidi_local"] == 16384, d
    assert d["initial_max_stream_data_uni"] == 16384, d
    assert d["initial_max_data"] == 32768, d
PY
tq_pass "windows 16 KiB per stream, 32 KiB per connection both ways (ours as gtlsserver's qlog shows): $(gen_json "$TQ_TMP/win.json" 'r["requests"]') x 5 MB byte-exact"
tq_pass "all checks passed"
