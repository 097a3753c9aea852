#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proxy_reload_test: tq-proxy reads its --config file again on
# `tq-ctl reload` and on SIGHUP, without dropping a connection.  Kernel
# clients and backends (tests/lib/reload_peer.py) in a netns over
# net_af_packet.  TCP mode: a slow 6 MB download from backend A on
# listener 5001 goes on byte-exact across a reload that swaps A for B,
# removes 5001 and adds 5003; afterwards new connections go to B only,
# 5003 accepts and 5001 refuses.  A bad file is refused (tq-ctl exits
# non-zero, the reason in its message) and traffic goes on with the
# running configuration; SIGHUP does what tq-ctl reload does, a bad file
# included.  HTTP mode: a keep-alive client's next request takes the new
# backend, and a slow download goes on across the reload.  With
# "workers": two workers, each taking every generation.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init proxy_reload_test
TQ_SERVER="$TQ_BUILD_DIR/apps/tq-proxy"
[[ -x $TQ_SERVER ]] || tq_fail "no $TQ_SERVER"
py=$(tq_python)
rp="$TQ_LIB_DIR/reload_peer.py"

n=$(tq_free_subnet 10.236)
peer=10.236.$n.1
eng=10.236.$n.2
tq_veth_setup "$peer/24" "fd36:236:$n::1/64"
ini=$TQ_TMP/proxy.ini
eal=()
if [[ ${1:-} == workers ]]; then
	TQ_VDEV_ARGS=qpairs=2
	eal=(--lcores 0@0,1@1,2@1)
fi

# conf MODE LPORT|BPORT|RLINE...: a config with these listeners (all in
# the default pool), backends on the peer and raw [proxy] lines.
conf() {
	local mode=$1 l
	shift
	{
		printf '[net]\naddr = %s/24\n\n[proxy]\nmode = %s\n' "$eng" "$mode"
		for l in "$@"; do
			case $l in
			L*) echo "listen = ${l#L}" ;;
			B*) echo "backend = $peer:${l#B}" ;;
			R*) echo "${l#R}" ;;
			esac
		done
		printf '\n[timeouts]\nconnect-timeout-ms = 1000\n'
		printf '\n[health]\nhealth-interval-ms = %s\n' "${HEALTH:-0}"
		[[ -z ${MAXCONNS:-} ]] ||
			printf '\n[limits]\nmax-conns = %s\n' "$MAXCONNS"
	} >"$ini.new"
	mv "$ini.new" "$ini"
}
dump() {
	tq_stats | awk '$2 != 0' >&2 || true
	"$TQ_CTL" --file-prefix "$TQ_PREFIX" backends >&2 || true
	tail -20 "$TQ_SERVER_LOG" >&2 || true
}
who() {
	tq_peer timeout 10 "$py" "$rp" client "$eng" "$1" who 2>&1
}
wait_port() {	# wait_port PORT: a backend of ours listens there
	local i
	for ((i = 0; i < 50; i++)); do
		tq_peer ss -ltn | grep -q ":$1 " && return 0
		sleep 0.1
	done
	tq_fail "no backend on port $1"
}

# Backends A (8101) and B (8102), TCP.
tq_bg ip netns exec "$TQ_NS" "$py" "$rp" server "$peer" 8101 A
tq_bg ip netns exec "$TQ_NS" "$py" "$rp" server "$peer" 8102 B
wait_port 8101
wait_port 8102

conf tcp L5001 L5002 B8101
tq_server_start "$(tq_vdev_af_packet "${TQ_VDEV_ARGS:-}")" "${eal[@]}" \
	-- --config "$ini"
tq_wait_ping "$eng"
out=$(who 5001) && [[ $out == A ]] || { dump; tq_fail "5001 before: '$out'"; }
out=$(who 5002) && [[ $out == A ]] || { dump; tq_fail "5002 before: '$out'"; }
tq_pass "generation 1: 5001 and 5002 go to A"

# 1. A slow download (6 MB at 1.5 MB/s) from A through 5001, running
# while a reload swaps A for B, removes 5001 and adds 5003.
tq_peer "$py" "$rp" client "$eng" 5001 big 6000000 1500000 \
	>"$TQ_TMP/slow.log" 2>&1 &
slow=$!
sleep 1
conf tcp L5002 L5003 B8102
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) ||
	{ dump; tq_fail "tq-ctl reload: $out"; }
[[ $out == *"generation 2"* ]] || tq_fail "tq-ctl reload said '$out'"
tq_pass "tq-ctl reload: $out"
tq_alive "$slow" || { cat "$TQ_TMP/slow.log" >&2; tq_fail "the slow download ended before the reload took"; }
for i in 1 2 3 4 5 6; do
	out=$(who 5002) && [[ $out == B ]] ||
		{ dump; tq_fail "5002 after the reload, #$i: '$out'"; }
done
tq_pass "after the reload new connections go to B only (6 of 6)"
out=$(who 5003) && [[ $out == B ]] || { dump; tq_fail "5003 (added): '$out'"; }
tq_pass "listener 5003, added by the reload, accepts: $out"
if out=$(who 5001); then
	dump
	tq_fail "listener 5001, removed by the reload, still accepts: $out"
fi
tq_pass "listener 5001, removed, refuses new connections"
wait "$slow" || { dump; cat "$TQ_TMP/slow.log" >&2; tq_fail "slow download broken by the reload"; }
out=$(cat "$TQ_TMP/slow.log")
[[ $out == "A 6000000 bytes"* ]] || tq_fail "slow download: $out"
tq_pass "the download on removed listener 5001 from removed backend A went on byte-exact: $out"
(($(tq_ctr ProxyReloads) == 1)) || tq_fail "ProxyReloads $(tq_ctr ProxyReloads)"
# B's slot counts what it served since it came: 6 + 1 connections.
tot=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends |
	awk -v b="$peer:8102" '$2 == b {print $5}')
[[ $tot == 7 ]] || { dump; tq_fail "backend B total '$tot', not 7"; }

# 2. A bad file: refused with its reason, the running config stays.
cp "$ini" "$TQ_TMP/good.ini"
conf tcp L5002 B8101 "Rbackend = nowhere"
rc=0
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) || rc=$?
((rc != 0)) || tq_fail "a bad file was taken: $out"
[[ $out == *"backend"*"nowhere"* && $out == *"generation 2 stays"* ]] ||
	tq_fail "refusal without its reason: '$out'"
grep -q "reload refused.*nowhere" "$TQ_SERVER_LOG" || tq_fail "refusal not logged"
(($(tq_ctr ProxyReloadFails) == 1)) || tq_fail "ProxyReloadFails $(tq_ctr ProxyReloadFails)"
out=$(who 5002) && [[ $out == B ]] || { dump; tq_fail "after the refusal: '$out'"; }
out=$(who 5003) && [[ $out == B ]] || { dump; tq_fail "after the refusal, 5003: '$out'"; }
tq_pass "bad file refused (tq-ctl exit $rc, reason given, logged), traffic on generation 2 goes on"
# The whole result is checked too, not only each line: no backend.
conf tcp L5002
rc=0
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) || rc=$?
((rc != 0)) || tq_fail "a config without a backend was taken: $out"
out=$(who 5002) && [[ $out == B ]] || { dump; tq_fail "after the second refusal: '$out'"; }
tq_pass "a config without a backend refused too: still B"
# A good reload that keeps B and listener 5002 (limits changed, active
# health checks on): their stats go on (B: 7 + 3 connections; 5002:
# 1 + 6 + 2).
(($(tq_ctr ProxyHealthChecks) == 0)) || tq_fail "health checks while off"
HEALTH=200 MAXCONNS=100 conf tcp L5002 L5003 B8102
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) ||
	{ dump; tq_fail "tq-ctl reload (limits): $out"; }
[[ $out == *"generation 3"* ]] || tq_fail "tq-ctl reload said '$out'"
tot=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends |
	awk -v b="$peer:8102" '$2 == b {print $5}')
ltot=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends |
	awk '$1 == "listen" && $2 == 5002 {print $5}')
[[ $tot == 10 && $ltot == 9 ]] ||
	{ dump; tq_fail "stats across a reload: B total '$tot' (10), 5002 total '$ltot' (9)"; }
tq_pass "generation 3 keeps B's and 5002's stats (B 10 connections, 5002 9)"
sleep 1
hc=$(tq_ctr ProxyHealthChecks)
((hc >= 2)) || { dump; tq_fail "health-interval-ms 200 by reload: $hc checks in 1 s"; }
tq_pass "health checks started by the reload ($hc in 1 s)"

# 3. SIGHUP: back to A on 5001 and 5002, 5003 removed; then a bad file.
conf tcp L5001 L5002 B8101
kill -HUP "$TQ_SERVER_PID"
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr ProxyReloads) == 3)) && break
	sleep 0.1
done
(($(tq_ctr ProxyReloads) == 3)) || { dump; tq_fail "SIGHUP: no reload"; }
for p in 5001 5002; do
	out=$(who $p) && [[ $out == A ]] || { dump; tq_fail "SIGHUP: $p: '$out'"; }
done
if out=$(who 5003); then
	tq_fail "SIGHUP: removed 5003 still accepts: $out"
fi
grep -q "reload: generation 4" "$TQ_SERVER_LOG" || tq_fail "no generation 4 logged"
tq_pass "SIGHUP reloaded: generation 4, 5001 back, 5003 gone, A serves"
hc=$(tq_ctr ProxyHealthChecks)
sleep 0.6
(($(tq_ctr ProxyHealthChecks) == hc)) || tq_fail "health checks go on after the reload turned them off"
tq_pass "health checks stopped by it"
conf tcp L5001 L5002 B8101 "Rlisten = x"
kill -HUP "$TQ_SERVER_PID"
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr ProxyReloadFails) == 3)) && break
	sleep 0.1
done
(($(tq_ctr ProxyReloadFails) == 3)) || { dump; tq_fail "SIGHUP with a bad file: not refused"; }
out=$(who 5001) && [[ $out == A ]] || { dump; tq_fail "after a bad SIGHUP: '$out'"; }
tq_pass "SIGHUP with a bad file refused, A still serves"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-proxy died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || { tail "$TQ_SERVER_LOG" >&2; tq_fail "tq-proxy exited $TQ_STOP_RC"; }

# 4. HTTP mode: a keep-alive connection's next request takes the new
# backend; a slow download goes on across the reload.
tq_bg ip netns exec "$TQ_NS" "$py" "$rp" http "$peer" 8111 HA
tq_bg ip netns exec "$TQ_NS" "$py" "$rp" http "$peer" 8112 HB
wait_port 8111
wait_port 8112
conf http L5001 B8111
tq_server_start "$(tq_vdev_af_packet "${TQ_VDEV_ARGS:-}")" "${eal[@]}" \
	-- --config "$ini"
tq_wait_ping "$eng"
sig=$TQ_TMP/sig
# The download first, so the keep-alive client's request cannot take
# its leg from the pool: it opens one of its own, kept idle after.
tq_peer "$py" "$rp" hbig "$eng" 5001 6000000 1500000 >"$TQ_TMP/hbig.log" 2>&1 &
hbig=$!
sleep 0.5
tq_peer "$py" "$rp" hclient "$eng" 5001 2 "$sig" >"$TQ_TMP/keep.log" 2>&1 &
keep=$!
for ((i = 0; i < 100; i++)); do
	[[ -e ${sig}got0 ]] && break
	sleep 0.1
done
[[ -e ${sig}got0 ]] || { cat "$TQ_TMP/keep.log" >&2; tq_fail "no first answer"; }
sleep 0.5
# HA has two: the download's, and the first request's leg kept idle.
before=$(tq_peer ss -Htn state established '( sport = :8111 )' | wc -l)
((before == 2)) || { tq_peer ss -tn >&2; tq_fail "http: $before connections at HA, not 2"; }
conf http L5001 B8112
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) ||
	{ dump; tq_fail "http: tq-ctl reload: $out"; }
touch "${sig}1"
wait "$keep" || { dump; cat "$TQ_TMP/keep.log" >&2; tq_fail "keep-alive client"; }
out=$(tr '\n' ' ' <"$TQ_TMP/keep.log")
[[ $out == "HA HB " ]] || { dump; tq_fail "keep-alive connection: answers '$out', not 'HA HB'"; }
tq_pass "http: one keep-alive connection, before and after the reload: $out"
wait "$hbig" || { dump; cat "$TQ_TMP/hbig.log" >&2; tq_fail "http slow download broken by the reload"; }
tq_pass "http: slow download from HA across the reload: $(cat "$TQ_TMP/hbig.log")"
# HA is gone from the pools: its idle kept connection was closed at the
# reload, the download's leg when it ended (the idle timeout is 15 s).
for ((i = 0; i < 30; i++)); do
	left=$(tq_peer ss -Htn state established '( sport = :8111 )' | wc -l)
	((left == 0)) && break
	sleep 0.1
done
((left == 0)) || { tq_peer ss -tn >&2; tq_fail "http: $left connections to removed HA left open"; }
(($(tq_ctr ProxyHttpBackendParked) >= 1)) || tq_fail "nothing was parked"
tq_pass "http: no connection to the removed backend left in the pools"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || { tail "$TQ_SERVER_LOG" >&2; tq_fail "tq-proxy exited $TQ_STOP_RC"; }
tq_pass "tq-proxy stopped cleanly"
