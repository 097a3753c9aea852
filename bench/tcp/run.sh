#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/tcp/run.sh: HTTP over TCP, tq-server against nginx-light (the kernel
# stack), same files, same veth, same client runs, in one run.
#
#   kernel   nginx (worker_processes 1, pinned to core 1) in the root netns
#            on the veth end the engine uses, holding 10.96.0.2 while it runs
#   engine   tq-server --http 80 on net_af_packet over that end (worker lcore 1)
#
# Workloads (client in a netns, pinned to core 0):
#   small-ka     wrk -t1 -c32 -d5s --latency  /index.html (1 KiB), keep-alive
#   small-close  the same with -H "Connection: close"
#   1m-ka        wrk keep-alive on /1m.bin (1 MiB)
#   bulk         one curl download of /bulk.bin (200 MiB)
#
# Every run of the four workloads gets a fresh server; REPEAT runs of each
# server, interleaved (kernel, engine, kernel, engine, ...), and the table
# shows, per workload, the run with the median req/s (MiB/s for bulk).
# Counters are read around every workload: `tq-ctl -z stats` for the
# engine, `nstat` (root netns, the server's side) for the kernel, nstat in
# the client's netns, /proc/net/softnet_stat drops and /proc/stat per core.
#
# Usage (root): bench/tcp/run.sh
# Environment: ENGINE_OPTS (more tq-server options, e.g. "--gso --gro"),
# DURATION (5), REPEAT (5), QUIET_WAIT (60: seconds to wait
# for the machine to go idle before each run), NO_PLOT=1, NO_DOCS=1 (no
# copy into docs/bench/).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

DURATION=${DURATION:-5}
REPEAT=${REPEAT:-5}
QUIET_WAIT=${QUIET_WAIT:-60}
ENGINE_OPTS=${ENGINE_OPTS:-}	# more tq-server options, e.g. "--gso --gro"
PYTHON=/usr/bin/python3
NS=tqt$$
ENG=tqte$$
PEER=tqtp$$
PREFIX=tqtcp$$
ENG_IP=10.96.0.2
PEER_IP=10.96.0.1
CLIENT_CPU=0
SERVER_CPU=1
TQ_SERVER=$REPO/build/apps/tq-server
TQ_CTL=$REPO/build/apps/tq-ctl
WRK_ARGS=(-t1 -c32 -d"${DURATION}s" --latency)

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
for v in DURATION REPEAT QUIET_WAIT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$DURATION" -gt 0 ] && [ "$REPEAT" -gt 0 ] || die "DURATION and REPEAT must be > 0"
for c in wrk nginx curl taskset ethtool nstat; do
	command -v "$c" >/dev/null || die "needs $c"
done
[ -x "$PYTHON" ] || die "needs $PYTHON"
[ ${#ENG} -le 15 ] && [ ${#PEER} -le 15 ] || die "interface name too long"

TMP=$(mktemp -d /tmp/tqtcp.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# --- build, memory ----------------------------------------------------------
[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run 'meson setup build' first"
ninja -C "$REPO/build" >/dev/null
HUGE_FREE=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${HUGE_FREE:-0}" -ge 256 ] && mountpoint -q /dev/hugepages; then
	EAL_MEM=(-m 256)
else
	EAL_MEM=(--no-huge -m 512)
fi
log "memory: ${EAL_MEM[*]}"

# --- files --------------------------------------------------------------------
log "files"
DOC=$TMP/www
mkdir -p "$DOC"
chmod 755 "$TMP" "$DOC"
{ printf '<html><body>'; head -c 1011 /dev/zero | tr '\0' x; printf '</body></html>\n'; } \
	| head -c 1024 >"$DOC/index.html"
head -c $((1 << 20)) /dev/urandom >"$DOC/1m.bin"
head -c $((200 << 20)) /dev/urandom >"$DOC/bulk.bin"
chmod 644 "$DOC"/*

# --- namespace and veth ---------------------------------------------------------
bench_veth_up

# --- helpers ------------------------------------------------------------------
SNAP=none
snap() {
	# snap DIR NAME: the server's counters into DIR/NAME.ctr (engine:
	# tq-ctl, all counters; kernel: nstat of the root netns, absolute),
	# for both the kernel's per-CPU input backlog drops (a veth delivers
	# through it; netdev_max_backlog), summed over the CPUs, and the
	# client's netns counters into DIR/NAME.cli
	case $SNAP in
	engine) "$TQ_CTL" --file-prefix "$PREFIX" -z stats >"$1/$2.ctr" 2>&1 || true ;;
	kernel) nstat -asz >"$1/$2.ctr" 2>&1 || true ;;
	esac
	local d=0 drops
	while read -r _ drops _; do
		d=$((d + 0x$drops))
	done </proc/net/softnet_stat
	echo "BacklogDrops $d" >>"$1/$2.ctr"
	# the client's side (its netns): drops, DSACKs for duplicates it got
	ip netns exec "$NS" nstat -asz >"$1/$2.cli" 2>&1 || true
}

cpu_mark() {
	# cpu_mark DIR FILE: per-core CPU times, just before and just after a
	# workload (NAME.cpu0, NAME.cpu1)
	grep '^cpu[0-9]' /proc/stat >"$1/$2" || true
}

in_ns() { ip netns exec "$NS" taskset -c "$CLIENT_CPU" "$@"; }

wait_http() {
	# wait_http SECONDS PID: until GET /index.html answers; fails if PID dies
	local secs=$1 pid=$2 i
	for i in $(seq $((secs * 5))); do
		in_ns curl -s -o /dev/null -m 1 "http://$ENG_IP/index.html" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

workloads() {
	# workloads DIR: every client run against whichever server is up
	local dir=$1
	# the machine may be shared: note what else runs (not ours to stop)
	{ cat /proc/loadavg; top -bn1 -w 160 | sed -n '7,13p'; } >"$dir/load.txt" 2>&1 || true
	snap "$dir" start
	log "  small-ka"
	cpu_mark "$dir" small-ka.cpu0
	timeout $((DURATION + 20)) ip netns exec "$NS" taskset -c "$CLIENT_CPU" \
		wrk "${WRK_ARGS[@]}" "http://$ENG_IP/index.html" \
		>"$dir/small-ka.txt" 2>&1 || log "wrk exited with $?"
	cpu_mark "$dir" small-ka.cpu1
	sleep 1
	snap "$dir" small-ka
	log "  small-close"
	cpu_mark "$dir" small-close.cpu0
	timeout $((DURATION + 20)) ip netns exec "$NS" taskset -c "$CLIENT_CPU" \
		wrk "${WRK_ARGS[@]}" -H "Connection: close" \
		"http://$ENG_IP/index.html" \
		>"$dir/small-close.txt" 2>&1 || log "wrk exited with $?"
	cpu_mark "$dir" small-close.cpu1
	sleep 1
	snap "$dir" small-close
	log "  1m-ka"
	cpu_mark "$dir" 1m-ka.cpu0
	timeout $((DURATION + 20)) ip netns exec "$NS" taskset -c "$CLIENT_CPU" \
		wrk "${WRK_ARGS[@]}" "http://$ENG_IP/1m.bin" \
		>"$dir/1m-ka.txt" 2>&1 || log "wrk exited with $?"
	cpu_mark "$dir" 1m-ka.cpu1
	sleep 1
	snap "$dir" 1m-ka
	log "  bulk"
	cpu_mark "$dir" bulk.cpu0
	in_ns curl -s -o /dev/null -m 40 -w '%{speed_download} %{size_download} %{http_code}\n' \
		"http://$ENG_IP/bulk.bin" >"$dir/bulk.txt" 2>"$dir/bulk.err" ||
		log "curl exited with $?"
	cpu_mark "$dir" bulk.cpu1
	sleep 1
	snap "$dir" bulk
}

case_kernel() {
	local dir=$1 pid
	mkdir -p "$dir" "$TMP/nginx"
	cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
user www-data;
worker_processes 1;
worker_cpu_affinity 10;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	default_type application/octet-stream;
	types { text/html html; }
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen $ENG_IP:80;
		root $DOC;
	}
}
EOF
	ip addr add "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=1
	taskset -c "$SERVER_CPU" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" \
		-e "$TMP/nginx/error.log" >"$dir/server.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if wait_http 10 "$pid"; then
		SNAP=kernel
		workloads "$dir"
		SNAP=none
	else
		log "nginx did not start: $(tail -5 "$dir/server.log" "$TMP/nginx/error.log" 2>/dev/null)"
	fi
	stop_pid "$pid"
	forget_pid "$pid"
	cp "$TMP/nginx/error.log" "$dir/error.log" 2>/dev/null || true
	ip addr del "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=0
}

case_engine() {
	local dir=$1 pid
	mkdir -p "$dir"
	# never the kernel and the engine on one address at once
	ip -4 -o addr show dev "$ENG" | grep -q inet && die "$ENG still has an IPv4 address"
	# framecnt as in drivers-config/af_packet.ini: 512 frames (the
	# default) overflow with ACKs under 32 downloads at once
	"$TQ_SERVER" -l 0-1 "${EAL_MEM[@]}" --no-pci --file-prefix "$PREFIX" \
		--vdev="net_af_packet0,iface=$ENG,framecnt=4096" -- \
		--addr "$ENG_IP/24" --http 80 --docroot "$DOC" $ENGINE_OPTS \
		>"$dir/server.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if wait_http 30 "$pid"; then
		SNAP=engine
		workloads "$dir"
		SNAP=none
		"$TQ_CTL" --file-prefix "$PREFIX" stats >"$dir/stats.txt" 2>&1 || true
	else
		log "tq-server did not start: $(tail -5 "$dir/server.log")"
	fi
	kill -0 "$pid" 2>/dev/null || log "tq-server exited early: $(tail -5 "$dir/server.log")"
	stop_pid "$pid"
	forget_pid "$pid"
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
# interleaved, so that a drift of the machine does not favour one server
for REP in $(seq "$REPEAT"); do
	for CASE in kernel engine; do
		mkdir -p "$TMP/$CASE/r$REP"
		wait_quiet "$TMP/$CASE/r$REP"
		log "$CASE, run $REP of $REPEAT"
		"case_$CASE" "$TMP/$CASE/r$REP"
	done
done

# --- report -------------------------------------------------------------------
log "report"
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/tcp-$DATE.json
MD=$TMP/table.md
"$PYTHON" "$HERE/report.py" assemble "$TMP" "$OUT" "$DATE" "${EAL_MEM[*]}" \
	"$DURATION" "$REPEAT"
"$PYTHON" "$HERE/report.py" table "$OUT" | tee "$MD"
echo "results: $OUT"
[ "${NO_DOCS:-0}" = 1 ] || { mkdir -p "$REPO/docs/bench"; cp "$OUT" "$REPO/docs/bench/tcp.json"; }
if [ "${NO_PLOT:-0}" != 1 ]; then
	PNG=$REPO/bench/results/tcp-$DATE.png
	if "$PYTHON" "$HERE/report.py" plot "$OUT" "$PNG"; then
		echo "plot: $PNG"
		[ "${NO_DOCS:-0}" = 1 ] || cp "$PNG" "$REPO/docs/bench/tcp.png"
	else
		echo "no plot drawn (no matplotlib: apt-get install python3-matplotlib)"
	fi
fi
