#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# xdp_test: tq-server on net_af_xdp (drivers-config/af_xdp.ini) over a
# veth.  DPDK 22.11's af_xdp PMD sends only the first segment of a
# chain, and TCP data leaves as chains (headers + the file's mbufs):
# the engine copies those into one buffer for such a port
# (TxLinearized), so ping, UDP echo, a small page and a 2 MB file come
# through byte-exact, and a 20 MB file too (the engine packs the mbuf
# pool the PMD registers as its UMEM: tq_port.c).  Skips where the
# kernel or the sandbox refuses AF_XDP.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

# 4 KiB pages: a pool with gaps at page ends leaves 42% of its mbufs
# outside the UMEM the PMD registers (tq_port.c), the case that stalls
# (hugepages leave about a dozen out, a stall now and then).
TQ_EAL_MEM=${TQ_EAL_MEM:---no-huge -m 512}
tq_init xdp
tq_require_tools curl
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || tq_skip "cannot mount bpffs"
	TQ_UMOUNTS+=(/sys/fs/bpf)
fi
# libbpf wants locked memory for its maps; raise it where allowed.
ulimit -l unlimited 2>/dev/null || true
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"
head -c 2000000 /dev/urandom >"$doc/f.bin"
n=$(tq_free_subnet 10.246)
peer=10.246.$n.1
eng=10.246.$n.2
tq_veth_setup "$peer/24"
if ! tq_server_start "--vdev=net_af_xdp0,iface=$TQ_ENG_IF,start_queue=0,queue_count=1" \
		-- --addr "$eng/24" --udp-echo 7 --http 80 --docroot "$doc" 2>/dev/null; then
	tq_skip "net_af_xdp did not start here: $(grep -v '^libbpf' "$TQ_SERVER_LOG" | tail -2)"
fi
grep -q "net_af_xdp" "$TQ_SERVER_LOG" || tq_fail "not on net_af_xdp: $(tail -3 "$TQ_SERVER_LOG")"

tq_peer ping -c 3 -i 0.2 -W 1 "$eng" >/dev/null || tq_fail "ping over af_xdp"
tq_peer "$(tq_python)" "$TQ_LIB_DIR/udp_echo_client.py" "$eng" 7 --count 100 \
	--sports 4 --max-size 1400 || tq_fail "UDP echo over af_xdp"
body=$(tq_peer curl -sS -m 5 "http://$eng/index.html") || tq_fail "curl over af_xdp"
[[ $body == '<h1>tachyon</h1>' ]] || tq_fail "page: '$body'"
tq_peer curl -sS -m 20 -o "$TQ_TMP/f.out" "http://$eng/f.bin" || tq_fail "2 MB over af_xdp"
cmp -s "$TQ_TMP/f.out" "$doc/f.bin" || tq_fail "2 MB file differs"
# A bulk download goes through every mbuf of the pool: one lying outside
# the UMEM the PMD registers (a pool with gaps at page ends) is an
# invalid TX descriptor, and since Linux 6.6 the frames behind it wait
# in the TX ring for the next kick (the download stalls).  20 MB takes
# 0.1 s here.
head -c 20000000 /dev/urandom >"$doc/big.bin"
tq_peer curl -sS -m 20 -o "$TQ_TMP/big.out" "http://$eng/big.bin" || tq_fail "20 MB over af_xdp"
cmp -s "$TQ_TMP/big.out" "$doc/big.bin" || tq_fail "20 MB file differs"
lin=$(tq_ctr TxLinearized)
fails=$(tq_ctr TxLinearFails)
((lin > 1000)) || tq_fail "TxLinearized $lin: the chains were not copied"
((fails == 0)) || tq_fail "TxLinearFails $fails"
tq_pass "af_xdp: ping, UDP echo, a page, 2 MB and 20 MB byte-exact; $lin chained frames sent as one buffer"
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
