#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# h3_interop: tq-server --h3 (the QUIC module as a server) against
# ngtcp2's gtlsclient in a netns over af_packet, the interop cases
# h3_test does not cover, every file compared byte for byte (sha256):
#  - ipv6: a page and 5 MB over the engine's IPv6 address;
#  - multiplexing: 30 files of different sizes and contents requested
#    at once on 30 streams of one connection;
#  - small stream windows: gtlsclient advertising 16 KiB per stream
#    and 32 KiB per connection, no autotuning, so our sender stops at
#    the peer's limits over and over for the 5 MB; and ours small
#    (--quic-max-stream-data, --quic-max-data) as the client sees them
#    in its qlog;
#  - the path MTU search: gtlsclient acknowledges a probe and our
#    datagrams grow past 1200 bytes (QuicPmtuRaised); none with
#    --quic-no-pmtud;
#  - tq-ctl conns lists the QUIC connection (addresses, state, rtt,
#    cwnd, bytes, cc), in text and --json, while gtlsclient holds it.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init h3_interop
tq_require_tools gtlsclient sha256sum head
py=$(tq_python)

doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon over h3</h1>' >"$doc/index.html"
head -c 5000000 /dev/urandom >"$doc/r5m.bin"
for i in $(seq 1 30); do
	head -c $((i * 7919)) /dev/urandom >"$doc/m$i.bin"
done
sha() { sha256sum <"$1" | cut -c1-64; }
ctl() { "$TQ_CTL" --file-prefix "$TQ_PREFIX" "$@"; }
base='NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM'

# get DIR HOST GTLSCLIENT-ARGS... -- URI...: gtlsclient downloads the
# URIs into DIR, from HOST.
get() {
	local dir=$1 host=$2
	shift 2
	local -a opts=()
	while [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	tq_peer timeout 90 gtlsclient -q --exit-on-all-streams-close \
		--timeout=10s --ciphers="$base" --download="$dir" "${opts[@]}" \
		"$host" 4433 "$@" >"$dir.log" 2>&1 ||
		{ tail -20 "$dir.log" >&2; return 1; }
}
# same DIR FILE...: each downloaded file is the docroot's.
same() {
	local dir=$1 f
	shift
	for f in "$@"; do
		[[ -f $dir/$f ]] || { echo "$f not downloaded"; return 1; }
		[[ $(sha "$dir/$f") == "$(sha "$doc/$f")" ]] ||
			{ echo "$f differs ($(stat -c %s "$dir/$f") bytes)"; return 1; }
	done
}

tq_engine_up af_packet 10.97 fd97:97 -- --h3 4433 --docroot "$doc"

# ---- ipv6 ----
u6="https://[$TQ_ENG6]:4433"
get "$TQ_TMP/v6" "$TQ_ENG6" -- "$u6/index.html" "$u6/r5m.bin" ||
	tq_fail "ipv6: gtlsclient failed"
r=$(same "$TQ_TMP/v6" index.html r5m.bin) || tq_fail "ipv6: $r"
tq_pass "ipv6: index.html and 5 MB byte-exact from [$TQ_ENG6]:4433"
# the path MTU search: gtlsclient acknowledged our 1452-byte probe
(($(tq_ctr QuicPmtuRaised) >= 1)) ||
	tq_fail "pmtu: QuicPmtuProbes $(tq_ctr QuicPmtuProbes), none acknowledged"
tq_pass "pmtu: datagrams raised past 1200 bytes on an acknowledged probe ($(tq_ctr QuicPmtuProbes) sent)"

# ---- multiplexing ----
opened=$(tq_ctr QuicConnsOpened)
uris=()
files=()
for i in $(seq 1 30); do
	uris+=("https://$TQ_ENG4:4433/m$i.bin")
	files+=("m$i.bin")
done
get "$TQ_TMP/mux" "$TQ_ENG4" -- "${uris[@]}" || tq_fail "30 streams: gtlsclient failed"
r=$(same "$TQ_TMP/mux" "${files[@]}") || tq_fail "30 streams: $r"
(($(tq_ctr QuicConnsOpened) == opened + 1)) ||
	tq_fail "30 streams: $(($(tq_ctr QuicConnsOpened) - opened)) connections, want 1"
tq_pass "multiplexing: 30 files (7.9 to 237 KB) on parallel streams of one connection, byte-exact"

# ---- the peer's windows small ----
get "$TQ_TMP/win" "$TQ_ENG4" --max-data=32K --max-stream-data-bidi-local=16K \
	--max-stream-data-uni=16K -- "https://$TQ_ENG4:4433/r5m.bin" \
	"https://$TQ_ENG4:4433/m30.bin" || tq_fail "small peer windows: gtlsclient failed"
r=$(same "$TQ_TMP/win" r5m.bin m30.bin) || tq_fail "small peer windows: $r"
tq_pass "peer windows 16 KiB per stream, 32 KiB per connection: 5 MB and 237 KB byte-exact"

# ---- tq-ctl conns ----
# gtlsclient without --exit-on-all-streams-close holds the connection
# until its idle timeout: listed meanwhile.
mkdir -p "$TQ_TMP/hold"
tq_bg ip netns exec "$TQ_NS" gtlsclient -q --timeout=8s --ciphers="$base" \
	--download="$TQ_TMP/hold" "$TQ_ENG6" 4433 "$u6/m30.bin"
hold=$TQ_BG_PID
# (once the 237 KB file is out: bytes out, column 12, past it)
for ((i = 0; i < 100; i++)); do
	out=$(ctl conns) || tq_fail "tq-ctl conns failed"
	row=$(awk '$1 == "ESTAB" && $4 ~ /^\[fd97:/ && $3 == "server" &&
		$12 > 237000' <<<"$out")
	[[ -n $row ]] && break
	sleep 0.1
done
[[ -n $row ]] || { echo "$out" >&2; tq_fail "tq-ctl conns: no QUIC row for the IPv6 client"; }
echo "$out"
read -r st wk role loc peer rtt rttvar cwnd ssth infl bin bout retr lost streams cc <<<"$row"
[[ $loc == "[$TQ_ENG6]:4433" ]] || tq_fail "tq-ctl conns: local $loc"
[[ $peer == "[$TQ_PEER6]:"* ]] || tq_fail "tq-ctl conns: peer $peer"
[[ $rtt != 0.000 && $cwnd -gt 0 && $bout -gt 237000 && $bin -gt 0 &&
	$cc == newreno ]] || tq_fail "tq-ctl conns: row '$row'"
ctl --json conns >"$TQ_TMP/conns.json" || tq_fail "tq-ctl --json conns failed"
"$py" - "$TQ_TMP/conns.json" "$TQ_ENG6" <<'PY' || tq_fail "tq-ctl --json conns: QUIC rows wrong"
import json, sys
rows = json.load(open(sys.argv[1]))
q = [r for r in rows if r.get("proto") == "quic"]
assert len(q) == 1, rows
r = q[0]
assert r["state"] == "ESTAB" and r["role"] == "server", r
assert r["local"] == "[%s]:4433" % sys.argv[2], r
assert r["rtt_us"] > 0 and r["cwnd"] > 0 and r["bytes_out"] > 237000, r
assert set(r) >= {"peer", "rttvar_us", "ssthresh", "inflight", "bytes_in",
                  "retrans", "lost", "streams", "cc", "worker"}, r
assert all(x.get("proto") == "tcp" for x in rows if x is not r), rows
PY
n=$(ctl --state HANDSHAKE conns | awk 'NR > 1 && NF' | wc -l)
((n == 0)) || tq_fail "--state HANDSHAKE: $n rows"
n=$(ctl --state ESTAB --port 4433 conns | grep -c server || true)
((n == 1)) || tq_fail "--state ESTAB --port 4433: $n QUIC rows"
tq_pass "tq-ctl conns: $st $role $loc <- $peer rtt ${rtt} ms cwnd $cwnd out $bout in $bin $cc; --json and filters"
kill "$hold" 2>/dev/null || true
wait "$hold" 2>/dev/null || true
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"

# ---- our windows small ----
tq_engine_up af_packet 10.98 fd98:98 -- --h3 4433 --docroot "$doc" \
	--quic-max-stream-data 4096 --quic-max-data 8192 --quic-no-pmtud
mkdir -p "$TQ_TMP/qlog"
get "$TQ_TMP/ours" "$TQ_ENG4" --qlog-dir="$TQ_TMP/qlog" -- \
	"https://$TQ_ENG4:4433/index.html" "https://$TQ_ENG4:4433/m3.bin" ||
	tq_fail "our small windows: gtlsclient failed"
r=$(same "$TQ_TMP/ours" index.html m3.bin) || tq_fail "our small windows: $r"
"$py" - "$TQ_TMP/qlog" <<'PY' || tq_fail "our small windows: not what the client saw"
import glob, json, sys
seen = None
for f in glob.glob(sys.argv[1] + "/*"):
    for line in open(f, errors="replace"):
        line = line.strip().lstrip("\x1e")
        if "initial_max_stream_data_bidi_remote" not in line:
            continue
        ev = json.loads(line)
        d = ev.get("data", ev)
        if d.get("owner") == "remote":
            seen = d
assert seen, "no remote transport parameters in the client's qlog"
assert seen["initial_max_stream_data_bidi_remote"] == 4096, seen
assert seen["initial_max_stream_data_uni"] == 4096, seen
assert seen["initial_max_data"] == 8192, seen
PY
(($(tq_ctr QuicPmtuProbes) == 0)) || tq_fail "--quic-no-pmtud: probes sent"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "our windows 4 KiB per stream, 8 KiB per connection (as gtlsclient's qlog shows): byte-exact"
tq_pass "all checks passed"
