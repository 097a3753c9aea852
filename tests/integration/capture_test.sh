#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# capture_test: Debian's dpdk-dumpcap captures the engine's port into
# pcapng while traffic flows, through the pdump framework the engine
# initialises (rte_pdump_init).  dumpcap attaches as a secondary process,
# so the engine runs on shared hugepages here (no --no-huge, no
# --huge-unlink).  The capture, with a BPF filter, holds the ICMP echo
# requests and replies of a ping, both by port name and by index, and
# tcpdump reads it.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init capture
tq_require_tools dpdk-dumpcap tcpdump
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
((free >= 512)) || tq_skip "dumpcap needs shared hugepages: $free free, want 512 (2 MB each)"
awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" {f = 1} END {exit !f}' /proc/mounts ||
	tq_skip "no hugetlbfs at /dev/hugepages"
TQ_EAL_MEM="-m 256" tq_engine_up af_packet 10.225 fd20:225 -- --udp-echo 7

# capture NAME IFACE: 6 ICMP frames (3 pings, 3 replies) into NAME.pcapng.
capture() {
	local out=$TQ_TMP/$1.pcapng i
	timeout 60 dpdk-dumpcap --file-prefix "$TQ_PREFIX" -i "$2" -f icmp \
		-c 6 -q -w "$out" >"$TQ_TMP/$1.log" 2>&1 &
	local pid=$!
	TQ_PIDS+=("$pid")
	# dumpcap is ready once it has created its output.
	for ((i = 0; i < 100; i++)); do
		[[ -e $out ]] && break
		tq_alive "$pid" || break
		sleep 0.1
	done
	[[ -e $out ]] || tq_fail "dumpcap -i $2 did not start: $(cat "$TQ_TMP/$1.log")"
	tq_peer ping -n -q -c 3 -i 0.2 "$TQ_ENG4" >/dev/null || tq_fail "ping failed"
	# UDP meanwhile: the filter keeps it out.
	tq_peer "$(tq_python)" "$TQ_LIB_DIR/udp_echo_client.py" "$TQ_ENG4" 7 --count 5 >/dev/null ||
		tq_fail "UDP echo failed"
	wait "$pid" || tq_fail "dumpcap -i $2 failed: $(cat "$TQ_TMP/$1.log")"
	tcpdump -n -r "$out" >"$TQ_TMP/$1.txt" 2>"$TQ_TMP/$1.err" ||
		tq_fail "tcpdump cannot read the capture: $(cat "$TQ_TMP/$1.err")"
	req=$(grep -c "$TQ_PEER4 > $TQ_ENG4: ICMP echo request" "$TQ_TMP/$1.txt" || true)
	rep=$(grep -c "$TQ_ENG4 > $TQ_PEER4: ICMP echo reply" "$TQ_TMP/$1.txt" || true)
	((req == 3 && rep == 3)) || tq_fail "capture -i $2: $req requests, $rep replies: $(cat "$TQ_TMP/$1.txt")"
	! grep -q UDP "$TQ_TMP/$1.txt" || tq_fail "capture -i $2 has UDP despite -f icmp"
	[[ $(head -c 4 "$out" | od -An -tx1 | tr -d ' ') == 0a0d0d0a ]] ||
		tq_fail "capture -i $2 is not pcapng"
}
capture byname net_af_packet0
tq_pass "dpdk-dumpcap -i net_af_packet0 -f icmp: pcapng with the 3 requests and 3 replies, no UDP; tcpdump reads it"
capture byindex 0
tq_pass "dpdk-dumpcap -i 0: the same"
tq_alive "$TQ_SERVER_PID" || tq_fail "the engine died during capture"
tq_peer ping -n -q -c 2 -i 0.2 "$TQ_ENG4" >/dev/null || tq_fail "no ping after the captures ended"
tq_pass "the engine serves on after dumpcap detached"
tq_pass "all checks passed"
