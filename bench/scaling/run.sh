#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/scaling/run.sh: requests/s and connections/s against the number
# of workers, engine to engine with no kernel in the path.
#
#   tq-gen (W workers)  <-- net_memif, shared memory -->  tq-server (W workers)
#   10.98.0.1, role=client                                10.98.0.2:80, role=server
#
# Two DPDK processes (--file-prefix each) joined by DPDK's memif PMD over
# a unix socket: every frame goes from one engine's TX ring into the
# other's RX ring through shared memory, with no system call and no kernel
# stack.  Both sides get W queue pairs; memif's queue i of the client is
# the server's queue i, and both engines pick a flow's owner worker with
# the same symmetric hash (memif has no RSS), so a flow stays on worker i
# at both ends (TcpSteered counts any frame that does not).
#
# Per run: tq-gen's requests/s (ka: keep-alive, CONNS_PER_WORKER*W
# connections; close: one request per connection, connections/s), its p99,
# errors; the CPU time each process's threads actually got over the
# measured window (/proc/PID/task/*/stat), so that requests per CPU-second
# can be compared when more threads poll than there are cores; the
# server's tq-ctl counters.
#
# Usage (root): bench/scaling/run.sh
# Environment: WORKERS ("1 2"), MODES ("ka close"), DURATION (5, whole
# seconds), REPEAT (3), CONNS_PER_WORKER (16), RESP (1024, response
# bytes), BUSY_POLL (0; 1: both engines' workers never nap, see
# docs/benchmarks.md), QUIET_WAIT (20), LABEL (a note kept in the JSON), NO_DOCS=1,
# NO_PLOT=1, KEEP=1 (keep the run's files in /tmp).  Workers are pinned
# round-robin over the CPUs: tq-gen's worker i on CPU (i-1) mod N,
# tq-server's on CPU i mod N, so with W=1 each engine has a core of its
# own and with 2W > N workers share cores (the JSON records the layout).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

WORKERS=${WORKERS:-1 2}
MODES=${MODES:-ka close}
DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
CONNS_PER_WORKER=${CONNS_PER_WORKER:-16}
RESP=${RESP:-1024}
QUIET_WAIT=${QUIET_WAIT:-20}
LABEL=${LABEL:-}
BUSY_POLL=${BUSY_POLL:-0}
PYTHON=/usr/bin/python3
PREFIX=tqscal$$
SRV_IP=10.98.0.2
GEN_IP=10.98.0.1
TQ_SERVER=$REPO/build/apps/tq-server
TQ_GEN=$REPO/build/apps/tq-gen
TQ_CTL=$REPO/build/apps/tq-ctl
NCPU=$(nproc)

log() { echo "== [${SECONDS}s] $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (DPDK)"
for v in DURATION REPEAT CONNS_PER_WORKER RESP QUIET_WAIT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$DURATION" -gt 1 ] && [ "$REPEAT" -gt 0 ] && [ "$CONNS_PER_WORKER" -gt 0 ] ||
	die "DURATION must be > 1, REPEAT and CONNS_PER_WORKER > 0"
for w in $WORKERS; do
	[[ $w =~ ^[0-9]+$ ]] && [ "$w" -gt 0 ] && [ "$w" -le 16 ] ||
		die "WORKERS: $w is not 1..16"
done
for m in $MODES; do
	case $m in ka|close) ;; *) die "MODES: $m is not ka or close" ;; esac
done
if [ "${NO_PLOT:-0}" != 1 ] && ! "$PYTHON" -c 'import matplotlib' 2>/dev/null; then
	log "installing python3-matplotlib for the plot"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends python3-matplotlib >/dev/null 2>&1 ||
		log "could not install python3-matplotlib: no plot"
fi
ls /usr/lib/*/dpdk/pmds-*/librte_net_memif.so* >/dev/null 2>&1 ||
	die "DPDK's net_memif PMD is not installed (package librte-net-memif23)"

PIDS=()
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
TMP=$(mktemp -d /tmp/tqscal.XXXXXX)
cleanup() {
	local rc=$? pid
	set +e
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		stop_pid "$pid"
	done
	rm -rf "/var/run/dpdk/${PREFIX}"* /dev/hugepages/"${PREFIX}"* 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		cp -r "$TMP" "/tmp/scaling-kept.$$" && echo "kept: /tmp/scaling-kept.$$" >&2
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run './tachyon build' first"
ninja -C "$REPO/build" apps/tq-server apps/tq-gen apps/tq-ctl >/dev/null

DOC=$TMP/www
mkdir -p "$DOC"
chmod 755 "$TMP" "$DOC"
head -c "$RESP" /dev/zero | tr '\0' x >"$DOC/index.html"
chmod 644 "$DOC/index.html"

eal_mem() {
	# two engines at once: hugepages if 512 are free, else plain memory
	local free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -ge 512 ] && mountpoint -q /dev/hugepages; then
		echo "-m 256 --huge-unlink"
	else
		echo "--no-huge -m 512"
	fi
}

lcores() {
	# lcores W OFFSET: control thread and worker 1 on CPU OFFSET mod N,
	# worker i on CPU (i - 1 + OFFSET) mod N
	local w=$1 off=$2 i s
	s="0@$((off % NCPU))"
	for ((i = 1; i <= w; i++)); do
		s+=",$i@$(((i - 1 + off) % NCPU))"
	done
	echo "$s"
}

cpu_ticks() {
	# utime + stime of every thread of PID, "comm=ticks" per thread
	local pid=$1 t
	for t in /proc/"$pid"/task/*; do
		[ -r "$t/stat" ] || continue
		# comm may hold spaces: fields after the closing parenthesis
		sed -E 's/^[0-9]+ \((.*)\) (.*)$/\1|\2/' "$t/stat" |
			awk -F'|' '{ split($2, f, " "); gsub(/ /, "_", $1);
				printf "%s=%d ", $1, f[12] + f[13] }'
	done
	echo
}

run_one() {
	# run_one DIR W MODE
	local dir=$1 w=$2 mode=$3 sock srv gen i t0 t1 conns
	local -a mem per
	read -r -a mem <<<"$(eal_mem)"
	sock=$TMP/memif-$w-$mode.sock
	conns=$((CONNS_PER_WORKER * w))
	per=()
	[ "$mode" = close ] && per=(--requests-per-conn 1)
	poll=()
	[ "$BUSY_POLL" = 1 ] && poll=(--busy-poll)
	echo "{\"workers\": $w, \"mode\": \"$mode\", \"connections\": $conns," \
		"\"server_lcores\": \"$(lcores "$w" 1)\"," \
		"\"gen_lcores\": \"$(lcores "$w" 0)\", \"cpus\": $NCPU," \
		"\"eal_mem\": \"${mem[*]}\", \"busy_poll\": $BUSY_POLL}" \
		>"$dir/meta.json"
	"$TQ_SERVER" --lcores "$(lcores "$w" 1)" "${mem[@]}" --no-pci \
		--file-prefix "${PREFIX}s" \
		--vdev="net_memif0,role=server,id=0,socket=$sock,socket-abstract=no" -- \
		--addr "$SRV_IP/24" --http 80 --docroot "$DOC" "${poll[@]}" \
		>"$dir/server.log" 2>&1 &
	srv=$!
	PIDS+=("$srv")
	for _ in $(seq 150); do
		grep -qs "serving on" "$dir/server.log" && break
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "serving on" "$dir/server.log" ||
		die "tq-server did not start: $(tail -3 "$dir/server.log")"
	"$TQ_GEN" --lcores "$(lcores "$w" 0)" "${mem[@]}" --no-pci \
		--file-prefix "${PREFIX}g" \
		--vdev="net_memif0,role=client,id=0,socket=$sock,socket-abstract=no" -- \
		--addr "$GEN_IP/24" --url "http://$SRV_IP/index.html" \
		--connections "$conns" --duration "$DURATION" --warmup 1 \
		--quiet "${per[@]}" "${poll[@]}" --json "$dir/gen.json" >"$dir/gen.log" 2>&1 &
	gen=$!
	PIDS+=("$gen")
	# The measured window starts after tq-gen's warmup second (and its
	# start-up, memif's connection and ARP: allow half a second more).
	sleep 1.5
	"$TQ_CTL" --file-prefix "${PREFIX}s" -z --per-worker stats \
		>"$dir/server-stats-0.txt" 2>&1 || true
	t0=$(date +%s.%N)
	{ cpu_ticks "$srv"; cpu_ticks "$gen"; } >"$dir/cpu0.txt"
	sleep "$((DURATION - 1))"
	{ cpu_ticks "$srv"; cpu_ticks "$gen"; } >"$dir/cpu1.txt"
	t1=$(date +%s.%N)
	"$TQ_CTL" --file-prefix "${PREFIX}s" -z --per-worker stats \
		>"$dir/server-stats-1.txt" 2>&1 || true
	echo "$t0 $t1 $(getconf CLK_TCK)" >"$dir/window.txt"
	i=0
	while kill -0 "$gen" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_pid "$gen"
	stop_pid "$srv"
	PIDS=()
	rm -f "$sock"
	[ -s "$dir/gen.json" ] || log "no tq-gen report: $(tail -3 "$dir/gen.log")"
}

wait_quiet() {
	# wait_quiet DIR: until under 0.15 cores are busy, at most QUIET_WAIT s
	local dir=$1 waited=0 a b busy
	while :; do
		a=$(head -1 /proc/stat)
		sleep 1
		b=$(head -1 /proc/stat)
		busy=$(awk -v a="$a" -v b="$b" -v n="$NCPU" 'BEGIN {
			split(a, x); split(b, y); t = 0
			for (k = 2; k <= 9; k++) t += y[k] - x[k]
			i = (y[5] + y[6]) - (x[5] + x[6])
			printf "%d", (t > 0 ? 100 * n * (t - i) / t : 0) }')
		waited=$((waited + 1))
		if [ "$busy" -lt 15 ] || [ "$waited" -ge "$QUIET_WAIT" ]; then
			echo "{\"waited_s\": $waited, \"busy_pct_of_a_core\": $busy}" \
				>"$dir/quiet.json"
			return 0
		fi
	done
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
for REP in $(seq "$REPEAT"); do
	for W in $WORKERS; do
		for MODE in $MODES; do
			D=$TMP/runs/w$W/$MODE/r$REP
			mkdir -p "$D"
			wait_quiet "$D"
			log "run $REP/$REPEAT: $W worker(s) a side, $MODE"
			run_one "$D" "$W" "$MODE"
		done
	done
done

log "report"
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/scaling-$DATE.json
"$PYTHON" "$HERE/report.py" assemble "$TMP/runs" "$OUT" "$DATE" \
	"$DURATION" "$REPEAT" "$LABEL" "$(git -C "$REPO" rev-parse --short HEAD)"
"$PYTHON" "$HERE/report.py" table "$OUT"
echo "results: $OUT"
[ "${NO_DOCS:-0}" = 1 ] || { mkdir -p "$REPO/docs/bench"; cp "$OUT" "$REPO/docs/bench/scaling.json"; }
if [ "${NO_PLOT:-0}" != 1 ]; then
	PNG=$REPO/bench/results/scaling-$DATE.png
	if "$PYTHON" "$HERE/report.py" plot "$OUT" "$PNG"; then
		echo "plot: $PNG"
		[ "${NO_DOCS:-0}" = 1 ] || cp "$PNG" "$REPO/docs/bench/scaling.png"
	else
		echo "no plot drawn (no matplotlib)"
	fi
fi
