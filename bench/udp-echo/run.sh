#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/udp-echo/run.sh: echoed UDP datagrams per second, on one veth.
#
#   kernel           kecho (recvmmsg/sendmmsg) in the root namespace, on the
#                    veth end the engine uses, holding 10.99.0.2 while it runs
#   engine           tq-server --udp-echo 7 on net_af_packet over that end
#   testpmd          dpdk-testpmd 5tswap on the same PMD: swaps MACs, IPs and
#                    ports, so it is an echo at L2-L4 with no stack: the ceiling
#   testpmd-macswap  dpdk-testpmd macswap fed by the client in open loop
#                    (macswap leaves the IPs alone, so nothing comes back to
#                    the client's socket): testpmd's own pps
#
# The same client (udp-blast, pinned to core 0, in a netns behind the veth's
# other end) drives every case with the same flows, window and size; the
# server side gets core 1.
#
# Usage (root): bench/udp-echo/run.sh
# Environment (defaults in brackets):
#   SIZES ("64 512 1400")   UDP payloads, bytes
#   DURATION (5), WARMUP (1) seconds per run, whole numbers
#   FLOWS (4), WINDOW (256) client sockets, datagrams in flight in total
#   TIMEOUT_MS (200)        an echo later than this is lost
#   CASES ("kernel engine testpmd testpmd-macswap")
#   LAT_WINDOW (1)          a second pass of LAT_CASES ("kernel engine
#                           testpmd") with one flow and this window: the
#                           round trip without queueing; empty: no pass
#   KECHO_MODE (block)      block | spin
#   REPEAT (3)              runs of every case, interleaved; the table gives
#                           the median of the undisturbed ones
#   TRIES (3)               runs of a run while other processes take more
#                           than 0.05 cores during it (the least disturbed
#                           one is kept)
#   QUIET_WAIT (120)        seconds to wait for the machine to go idle
#                           before each run
#   NO_DOCS=1               do not copy the result into docs/bench/
#   NO_PLOT=1               no plot
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

SIZES=${SIZES:-"64 512 1400"}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
FLOWS=${FLOWS:-4}
WINDOW=${WINDOW:-256}
LAT_WINDOW=${LAT_WINDOW-1}
LAT_CASES=${LAT_CASES:-"kernel engine testpmd"}
TIMEOUT_MS=${TIMEOUT_MS:-200}
CASES=${CASES:-"kernel engine testpmd testpmd-macswap"}
KECHO_MODE=${KECHO_MODE:-block}
QUIET_WAIT=${QUIET_WAIT:-120}
TRIES=${TRIES:-3}
REPEAT=${REPEAT:-3}
PYTHON=/usr/bin/python3

NS=tqb$$
ENG=tqbe$$
PEER=tqbp$$
PREFIX=tqbench$$
ENG_IP=10.99.0.2
PEER_IP=10.99.0.1
PORT=7
CLIENT_CPU=0
SERVER_CPU=1

BIN=$REPO/build/bench
TQ_SERVER=$REPO/build/apps/tq-server
TQ_CTL=$REPO/build/apps/tq-ctl
TESTPMD=$(command -v dpdk-testpmd || true)

log() { echo "== $*" >&2; }
source "$HERE/../lib.sh"
# testpmd prints its statistics on SIGINT; give it 10 s
STOP_SIGNAL=INT
STOP_WAIT=100

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
for v in DURATION WARMUP FLOWS WINDOW TIMEOUT_MS REPEAT TRIES QUIET_WAIT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[[ -z $LAT_WINDOW || $LAT_WINDOW =~ ^[0-9]+$ ]] || die "LAT_WINDOW must be a whole number"
[ -x "$PYTHON" ] || die "needs $PYTHON"
command -v taskset >/dev/null || die "needs taskset (util-linux)"
command -v ethtool >/dev/null || die "needs ethtool"

TMP=$(mktemp -d /tmp/tqbench.XXXXXX)

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# --- build ------------------------------------------------------------------
log "build"
[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run 'meson setup build' first"
ninja -C "$REPO/build" apps/tq-server apps/tq-ctl >/dev/null
mkdir -p "$BIN"
for t in udp-blast kecho; do
	cc -O2 -Wall -Wextra -o "$BIN/$t" "$HERE/$t.c" -lm
done
if [[ " $CASES " == *" testpmd"* ]] && [ -z "$TESTPMD" ]; then
	die "dpdk-testpmd not found (apt-get install dpdk)"
fi

# --- memory -----------------------------------------------------------------
HUGE_FREE=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
HUGE_SIZE=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
if [ "$HUGE_SIZE" = 2048 ] && [ "${HUGE_FREE:-0}" -ge 256 ] &&
		mountpoint -q /dev/hugepages; then
	HUGE=true
	EAL_ENGINE=(-m 256 --huge-unlink)
	EAL_TESTPMD=(-m 512 --huge-unlink)
	EAL_MEM="hugepages (2 MiB, $HUGE_FREE free)"
else
	HUGE=false
	EAL_ENGINE=(--no-huge -m 256)
	EAL_TESTPMD=(--no-huge -m 512)
	EAL_MEM="--no-huge"
fi
log "memory: $EAL_MEM"

# --- namespaces ---------------------------------------------------------------
bench_veth_up

# --- helpers -----------------------------------------------------------------
wait_for() {
	# wait_for SECONDS PID COMMAND...: until COMMAND succeeds; fails if PID dies
	local secs=$1 pid=$2 i
	shift 2
	for i in $(seq $((secs * 10))); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

run_client() {
	# run_client DIR [extra udp-blast args]: the measured part
	local dir=$1
	shift
	echo "$$ ${PIDS[*]}" >"$dir/pids"
	"$PYTHON" "$HERE/report.py" cpusnap >"$dir/cpu0.json"
	timeout $((WARMUP + DURATION + 30)) \
		ip netns exec "$NS" taskset -c "$CLIENT_CPU" "$BIN/udp-blast" \
		--dst "$ENG_IP" --port "$PORT" --flows "$RUN_FLOWS" \
		--window "$RUN_WINDOW" --size "$SIZE" --duration "$DURATION" \
		--warmup "$WARMUP" --timeout-ms "$TIMEOUT_MS" "$@" \
		>"$dir/client.json" 2>"$dir/client.err" &
	local cpid=$!
	echo "$cpid" >>"$dir/pids"
	wait "$cpid" || log "client exited with $?"
	"$PYTHON" "$HERE/report.py" cpusnap >"$dir/cpu1.json"
}

eng_has_ipv4() {
	ip -4 -o addr show dev "$ENG" | grep -q inet
}

case_kernel() {
	local dir=$1 pid spin=()
	[ "$KECHO_MODE" = spin ] && spin=(--spin)
	ip addr add "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=1
	taskset -c "$SERVER_CPU" "$BIN/kecho" --addr "$ENG_IP" --port "$PORT" \
		--ready "$dir/ready" "${spin[@]}" >"$dir/server.json" \
		2>"$dir/server.err" &
	pid=$!
	PIDS+=("$pid")
	if wait_for 10 "$pid" test -e "$dir/ready"; then
		run_client "$dir"
		touch "$dir/ok"
	else
		log "kecho did not start: $(cat "$dir/server.err")"
	fi
	stop_pid "$pid"
	forget_pid "$pid"
	ip addr del "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=0
}

case_engine() {
	local dir=$1 pid
	# never the kernel and the engine on one address at once
	eng_has_ipv4 && die "$ENG still has an IPv4 address"
	"$TQ_SERVER" -l 0-1 "${EAL_ENGINE[@]}" --no-pci --file-prefix "$PREFIX" \
		--vdev="net_af_packet0,iface=$ENG" -- \
		--addr "$ENG_IP/24" --udp-echo "$PORT" >"$dir/server.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	# serving, and answering (this also resolves the client's MAC)
	if wait_for 30 "$pid" grep -q "serving on" "$dir/server.log" &&
			wait_for 10 "$pid" ip netns exec "$NS" \
				ping -c 1 -W 1 -q "$ENG_IP" >/dev/null; then
		run_client "$dir"
		"$TQ_CTL" --file-prefix "$PREFIX" stats >"$dir/stats.txt" 2>&1 || true
		touch "$dir/ok"
	else
		log "tq-server did not start: $(tail -5 "$dir/server.log")"
	fi
	stop_pid "$pid"
	forget_pid "$pid"
}

case_testpmd() {
	# case_testpmd DIR MODE [client args]
	local dir=$1 mode=$2 pid
	shift 2
	eng_has_ipv4 && die "$ENG still has an IPv4 address"
	"$TESTPMD" -l 0-1 "${EAL_TESTPMD[@]}" --no-pci --file-prefix "$PREFIX" \
		--vdev="net_af_packet0,iface=$ENG" -- \
		--forward-mode="$mode" --auto-start --stats-period 1 \
		--total-num-mbufs 16384 </dev/null >"$dir/server.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if wait_for 30 "$pid" grep -q "Port statistics" "$dir/server.log"; then
		run_client "$dir" "$@"
		sleep 1.2	# one more stats period after the client stopped
		touch "$dir/ok"
	else
		log "testpmd did not start: $(tail -5 "$dir/server.log")"
	fi
	stop_pid "$pid"
	forget_pid "$pid"
}

# --- run ------------------------------------------------------------------------
run_case() {
	# run_case DIR CASE: one case; again (up to TRIES) while other processes
	# took CPU during it, keeping the try they disturbed least
	local dir=$1 case=$2 try fc who best=none bestfc=
	for try in $(seq "$TRIES"); do
		rm -rf "$dir.$try"
		mkdir -p "$dir.$try"
		wait_quiet "$dir.$try"
		log "size $SIZE, window $RUN_WINDOW: $case, run $REP of $REPEAT (try $try of $TRIES)"
		case $case in
		kernel) case_kernel "$dir.$try" ;;
		engine) case_engine "$dir.$try" ;;
		testpmd) case_testpmd "$dir.$try" 5tswap ;;
		testpmd-macswap) case_testpmd "$dir.$try" macswap --open-loop ;;
		*) die "unknown case $case" ;;
		esac
		echo "$try" >"$dir.$try/tries"
		read -r fc who < <("$PYTHON" "$HERE/report.py" foreign "$dir.$try")
		if [ -e "$dir.$try/ok" ] && { [ "$best" = none ] ||
				awk -v a="$fc" -v b="$bestfc" 'BEGIN { exit !(a < b) }'; }; then
			best=$try
			bestfc=$fc
		fi
		if awk -v f="$fc" 'BEGIN { exit !(f >= 0 && f <= 0.05) }'; then
			break
		fi
		log "other load during the run: $fc cores ($who)"
	done
	[ "$best" = none ] && best=$try
	mv "$dir.$best" "$dir"
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
# repetitions interleaved (k e t m k e t m ...), so that a drift of the
# machine does not favour one case
for SIZE in $SIZES; do
	RUN_WINDOW=$WINDOW
	RUN_FLOWS=$FLOWS
	for REP in $(seq "$REPEAT"); do
		for CASE in $CASES; do
			run_case "$TMP/$SIZE/$CASE/r$REP" "$CASE"
		done
	done
	if [ -n "$LAT_WINDOW" ]; then
		RUN_WINDOW=$LAT_WINDOW
		RUN_FLOWS=1
		for REP in $(seq "$REPEAT"); do
			for CASE in $LAT_CASES; do
				run_case "$TMP/$SIZE/lat-$CASE/r$REP" "$CASE"
			done
		done
	fi
done

# --- report ---------------------------------------------------------------------
"$PYTHON" - "$TMP/meta.json" <<EOF
import json, os, platform, subprocess, sys
def sh(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
model = None
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
meta = {
    "bench": "udp-echo",
    "date": "$DATE",
    "command": "bench/udp-echo/run.sh",
    "env": {"SIZES": "$SIZES", "DURATION": "$DURATION", "WARMUP": "$WARMUP",
            "FLOWS": "$FLOWS", "WINDOW": "$WINDOW",
            "TIMEOUT_MS": "$TIMEOUT_MS", "CASES": "$CASES",
            "LAT_WINDOW": "$LAT_WINDOW", "LAT_CASES": "$LAT_CASES",
            "KECHO_MODE": "$KECHO_MODE", "REPEAT": "$REPEAT",
            "TRIES": "$TRIES", "QUIET_WAIT": "$QUIET_WAIT"},
    "host": {"cpus": os.cpu_count(), "cpu_model": model,
             "kernel": platform.release(),
             "dpdk": sh("pkg-config", "--modversion", "libdpdk"),
             "git": sh("git", "-C", "$REPO", "rev-parse", "--short", "HEAD")},
    "hugepages": $([ "$HUGE" = true ] && echo True || echo False),
    "eal_mem": "$EAL_MEM",
    "setup": {"link": "veth; engine/testpmd on net_af_packet (defaults: 1 "
                      "queue pair, 512 frames of 2048 B)",
              "client_cpu": $CLIENT_CPU, "server_cpu": $SERVER_CPU,
              "client_netns": True, "kernel_server": "root netns on the "
              "engine's veth end, address added only while it runs",
              "kecho_mode": "$KECHO_MODE"},
    "params": {"sizes": [int(s) for s in "$SIZES".split()],
               "cases": "$CASES".split(), "flows": $FLOWS,
               "window": $WINDOW, "duration_s": $DURATION,
               "lat_window": int("0$LAT_WINDOW") or None,
               "lat_cases": "$LAT_CASES".split() if "$LAT_WINDOW" else [],
               "warmup_s": $WARMUP, "timeout_ms": $TIMEOUT_MS,
               "repeat": $REPEAT},
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/udp-echo-$DATE.json
"$PYTHON" "$HERE/report.py" assemble "$TMP/meta.json" "$TMP" "$OUT"
echo "results: $OUT"
if [ "${NO_DOCS:-0}" != 1 ]; then
	mkdir -p "$REPO/docs/bench"
	cp "$OUT" "$REPO/docs/bench/udp-echo.json"
fi
"$PYTHON" "$HERE/report.py" table "$OUT"
if [ "${NO_PLOT:-0}" != 1 ]; then
	PNG=$REPO/bench/results/udp-echo-$DATE.png
	if "$PYTHON" "$HERE/report.py" plot "$OUT" "$PNG"; then
		echo "plot: $PNG"
		if [ "${NO_DOCS:-0}" != 1 ]; then
			cp "$PNG" "$REPO/docs/bench/udp-echo.png"
		fi
	else
		echo "no plot drawn (no matplotlib: apt-get install python3-matplotlib)"
	fi
fi
