#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# h3_test: tq-server --h3 (the QUIC module, HTTP/3 over it) against
# ngtcp2's gtlsclient in the peer's namespace, over af_packet:
#  - a small page and a 5 MB file downloaded byte-exact (sha256) with
#    each TLS 1.3 suite alone (gtlsclient --ciphers, a GnuTLS priority);
#  - the QUIC counters: connections opened and closed, packets both
#    ways, no handshake failure;
#  - a request for a missing file gets the 404 text;
#  - a short header for a connection we do not know is answered with a
#    stateless reset, an unknown version with version negotiation;
#  - two workers: four clients at once byte-exact, and short headers
#    naming either worker steered to it and answered there;
#  - the 5 MB file again byte-exact under --fault drop=0.02, with
#    retransmissions counted;
#  - at exit the h3 summary shows every response.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init h3
tq_require_tools gtlsclient sha256sum head
py=$(tq_python)

doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon over h3</h1>' >"$doc/index.html"
head -c 5000000 /dev/urandom >"$doc/r5m.bin"
sha() { sha256sum <"$1" | cut -c1-64; }

tq_engine_up af_packet 10.93 fd93:93 -- --h3 4433 --docroot "$doc"

# get PRIORITY DIR URI...: gtlsclient downloads the URIs into DIR.
get() {
	local prio=$1 dir=$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	tq_peer timeout 60 gtlsclient -q --exit-on-all-streams-close \
		--timeout=10s --ciphers="$prio" --download="$dir" \
		"$TQ_ENG4" 4433 "$@" >"$dir.log" 2>&1 ||
		{ tail -20 "$dir.log" >&2; return 1; }
}

base='NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL'
for c in AES-128-GCM AES-256-GCM CHACHA20-POLY1305; do
	d=$TQ_TMP/dl-$c
	get "$base:+$c" "$d" "https://$TQ_ENG4:4433/index.html" \
		"https://$TQ_ENG4:4433/r5m.bin" || tq_fail "$c: gtlsclient failed"
	for f in index.html r5m.bin; do
		[[ -f $d/$f ]] || tq_fail "$c: $f not downloaded"
		[[ $(sha "$d/$f") == "$(sha "$doc/$f")" ]] ||
			tq_fail "$c: $f: sha256 differs ($(stat -c %s "$d/$f") bytes)"
	done
	tq_pass "$c: index.html and 5 MB byte-exact"
done

opened=$(tq_ctr QuicConnsOpened)
((opened >= 3)) || tq_fail "QuicConnsOpened $opened, want >= 3"
(($(tq_ctr QuicPktsIn) > 0 && $(tq_ctr QuicPktsOut) > 0)) ||
	tq_fail "no QUIC packets counted"
(($(tq_ctr QuicHandshakeFails) == 0)) ||
	tq_fail "handshake failures: $(tq_ctr QuicHandshakeFails)"
for ((i = 0; i < 100; i++)); do
	(($(tq_ctr QuicCurrConns) == 0)) && break
	sleep 0.1
done
(($(tq_ctr QuicCurrConns) == 0)) || tq_fail "connections left: $(tq_ctr QuicCurrConns)"
(($(tq_ctr QuicConnsClosed) == opened)) ||
	tq_fail "closed $(tq_ctr QuicConnsClosed) of $opened"
tq_pass "counters: $opened opened and closed, $(tq_ctr QuicPktsIn) packets in, $(tq_ctr QuicPktsOut) out"
# ECN (on by default): gtlsclient reads the TOS and reports ECN counts,
# so our ECT(0) marks validate on the veth path
(($(tq_ctr QuicEcnValidationFailed) == 0)) ||
	tq_fail "ECN validation failed on $(tq_ctr QuicEcnValidationFailed) connections"
tq_pass "ECN: no validation failure ($(tq_ctr QuicEcnCe) CE events)"

# ---- a missing file ----
d=$TQ_TMP/dl-missing
get "$base:+AES-128-GCM" "$d" "https://$TQ_ENG4:4433/nope.bin" ||
	tq_fail "404: gtlsclient failed"
[[ $(cat "$d/nope.bin" 2>/dev/null) == 404 ]] ||
	tq_fail "missing file: body '$(head -c 64 "$d/nope.bin" 2>/dev/null)', want the 404 text"
tq_pass "missing file: 404"

# ---- what has no connection ----
probe=$TQ_TMP/probe.py
cat >"$probe" <<'PY'
import os, socket, sys
host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
if what == 'reset':
    # a short header to a CID of our length (1 + 1 + 8) nobody has
    pkt = bytes([0x40]) + bytes([0x0a, 0x01]) + os.urandom(8) + os.urandom(40)
elif what.startswith('worker'):
    # a short header to a CID of ours (QUIC-LB: length 10 in octet 0,
    # server id 01) naming worker N, with no connection there
    pkt = bytes([0x40, 0x09, 0x01, int(what[6:])]) + os.urandom(7) + \
        os.urandom(40)
    what = 'reset'
else:
    # a long header of version 0x1a2a3a4a, padded to 1200
    pkt = bytes([0xc0]) + bytes.fromhex('1a2a3a4a') + bytes([8]) + \
        os.urandom(8) + bytes([4]) + os.urandom(4)
    pkt += bytes(1200 - len(pkt))
s.sendto(pkt, (host, port))
try:
    b, _ = s.recvfrom(2000)
except socket.timeout:
    print('none'); sys.exit(0)
if what == 'reset':
    print('reset' if len(b) < len(pkt) and len(b) >= 21 and b[0] & 0xc0 == 0x40 else 'other')
else:
    ok = b[0] & 0x80 and b[1:5] == bytes(4) and b'\x00\x00\x00\x01' in b[5:]
    print('vn' if ok else 'other')
PY
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 reset)
[[ $got == reset ]] || tq_fail "unknown short header: got '$got', want a stateless reset"
(($(tq_ctr QuicStatelessResets) >= 1)) || tq_fail "QuicStatelessResets not counted"
got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 vn)
[[ $got == vn ]] || tq_fail "unknown version: got '$got', want version negotiation"
(($(tq_ctr QuicVersionNegotiations) >= 1)) || tq_fail "QuicVersionNegotiations not counted"
tq_pass "stateless reset and version negotiation sent and counted"

tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
line=$(grep 'tq-server: h3:' "$TQ_SERVER_LOG") || tq_fail "no h3 summary in the server log"
[[ $line =~ ([0-9]+)\ requests\ \(2xx\ ([0-9]+),\ 4xx\ ([0-9]+) ]] ||
	tq_fail "h3 summary: $line"
((BASH_REMATCH[2] == 6 && BASH_REMATCH[3] == 1)) || tq_fail "h3 summary: $line"
tq_pass "$line"

# ---- two workers ----
# Two queues (af_packet spreads flows by its own hash), two workers on
# the two cores (oversubscribed: correctness only).  Connections on both
# are byte-exact; a short header naming the other worker is steered to
# it over the message ring, and answered there.
TQ_VDEV_ARGS=qpairs=2 tq_engine_up af_packet 10.95 fd95:95 \
	--lcores 0@0,1@1,2@1 -- --h3 4433 --docroot "$doc"
pids=()
for i in 1 2 3 4; do
	get "$base:+AES-128-GCM" "$TQ_TMP/dl-w$i" \
		"https://$TQ_ENG4:4433/index.html" "https://$TQ_ENG4:4433/r5m.bin" &
	pids+=($!)
done
for i in 1 2 3 4; do
	wait "${pids[$((i - 1))]}" || tq_fail "two workers: gtlsclient $i failed"
	[[ $(sha "$TQ_TMP/dl-w$i/r5m.bin") == "$(sha "$doc/r5m.bin")" ]] ||
		tq_fail "two workers: client $i: r5m.bin differs"
done
answered=0
for i in $(seq 1 16); do
	got=$(tq_peer "$py" "$probe" "$TQ_ENG4" 4433 "worker$((i % 2))")
	[[ $got == reset ]] && answered=$((answered + 1))
done
((answered == 16)) || tq_fail "two workers: $answered of 16 probes answered"
(($(tq_ctr QuicSteered) > 0)) || tq_fail "two workers: nothing steered"
(($(tq_ctr QuicSteerFails) == 0)) || tq_fail "two workers: steering failed"
tq_pass "two workers: 4 clients byte-exact; 16 probes answered, $(tq_ctr QuicSteered) steered to the worker their CID names"
tq_stop_pid "$TQ_SERVER_PID"

# ---- loss ----
tq_engine_up af_packet 10.94 fd94:94 -- --h3 4433 --docroot "$doc" \
	--fault drop=0.02,seed=7
d=$TQ_TMP/dl-loss
get "$base:+AES-128-GCM" "$d" "https://$TQ_ENG4:4433/r5m.bin" ||
	tq_fail "under loss: gtlsclient failed"
[[ $(sha "$d/r5m.bin") == "$(sha "$doc/r5m.bin")" ]] ||
	tq_fail "under loss: r5m.bin differs"
(($(tq_ctr QuicRetransmits) > 0)) || tq_fail "no retransmissions under 2% loss"
tq_pass "under --fault drop=0.02: 5 MB byte-exact, $(tq_ctr QuicRetransmits) retransmissions, $(tq_ctr FaultDropped) frames dropped"
tq_pass "all checks passed"
