#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# malformed_test [af_packet|tap]: scapy, as the kernel peer, sends broken
# frames of each class (truncated Ethernet/IPv4/IPv6/UDP headers, bad
# IPv4 total length, IHL, header checksum, options, bad UDP checksums,
# overlapping fragments, bad IPv6 payload length, bad ARP); after each
# class the counter named for it must have grown.  At the end the engine
# must still be running and still answer ping and UDP echo.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

mode=${1:-af_packet}
tq_init "malformed_$mode"

# Scapy is for Debian's python3; install it if missing, else skip.
if ! /usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1; then
	tq_log "python3-scapy missing: trying apt-get install"
	if command -v apt-get >/dev/null 2>&1; then
		timeout 120 apt-get install -y -q python3-scapy >/dev/null 2>&1 || true
	fi
	/usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1 ||
		tq_skip "needs python3-scapy for /usr/bin/python3 (apt-get install python3-scapy)"
fi

# A short reassembly timeout so held fragments do not linger.
if [[ $mode == tap ]]; then
	tq_engine_up tap 10.216 fd16:216 -- --udp-echo 7 --frag-timeout-ms 1000
else
	tq_engine_up af_packet 10.215 fd15:215 -- --udp-echo 7 --frag-timeout-ms 1000
fi
mac=$(tq_info mac)
[[ -n $mac ]] || tq_fail "tq-ctl info shows no mac"

rc=0
tq_peer /usr/bin/python3 "$TQ_LIB_DIR/malformed.py" --mode "$mode" \
	--iface "$TQ_PEER_IF" --dst-mac "$mac" \
	--src4 "$TQ_PEER4" --dst4 "$TQ_ENG4" --src6 "$TQ_PEER6" --dst6 "$TQ_ENG6" \
	--ctl "$TQ_CTL" --prefix "$TQ_PREFIX" || rc=$?

# Whatever the counters said, the engine must have survived all of it.
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died during the malformed frames"
tq_wait_ping "$TQ_ENG4" 10
tq_wait_ping "$TQ_ENG6" 10
tq_peer "$(tq_python)" "$TQ_LIB_DIR/udp_echo_client.py" "$TQ_ENG4" 7 --count 100 ||
	tq_fail "UDP echo (IPv4) after the malformed frames failed"
tq_peer "$(tq_python)" "$TQ_LIB_DIR/udp_echo_client.py" "$TQ_ENG6" 7 --count 100 ||
	tq_fail "UDP echo (IPv6) after the malformed frames failed"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_pass "engine alive, answers ping, ping -6 and UDP echo after the malformed frames"
[[ $rc -eq 0 ]] || tq_fail "some classes did not move their counters (see above)"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
tq_pass "all checks passed"
