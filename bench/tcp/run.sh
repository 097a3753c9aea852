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
# Usage (root): bench/tcp/run.sh
# Environment: DURATION (5), NO_PLOT=1, NO_DOCS=1 (no copy into docs/bench/).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

DURATION=${DURATION:-5}
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

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "== [${SECONDS}s] $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
for c in wrk nginx curl taskset ethtool; do
	command -v "$c" >/dev/null || die "needs $c"
done
[ -x "$PYTHON" ] || die "needs $PYTHON"
[ ${#ENG} -le 15 ] && [ ${#PEER} -le 15 ] || die "interface name too long"

TMP=$(mktemp -d /tmp/tqtcp.XXXXXX)
PIDS=()
ENG_ADDR_SET=0

stop_pid() {
	# stop_pid PID: SIGTERM, then SIGKILL after 5 s; only our own children
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

forget_pid() {
	local pid=$1 p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
	local rc=$? pid
	set +e
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		stop_pid "$pid"
	done
	[ "$ENG_ADDR_SET" = 1 ] && ip addr del "$ENG_IP/24" dev "$ENG" 2>/dev/null
	ip link del "$ENG" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" /dev/hugepages/"$PREFIX"* 2>/dev/null
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
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
log "netns $NS, veth $ENG (root ns) <-> $PEER ($NS)"
ip netns add "$NS"
ip link add "$ENG" type veth peer name "$PEER"
ip link set "$PEER" netns "$NS"
sysctl -q "net.ipv6.conf.$ENG.disable_ipv6=1"
ip link set "$ENG" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$PEER_IP/24" dev "$PEER"
ip netns exec "$NS" sysctl -q "net.ipv6.conf.$PEER.disable_ipv6=1"
ip netns exec "$NS" ip link set "$PEER" up
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null
ENG_MAC=$(cat "/sys/class/net/$ENG/address")
ip netns exec "$NS" ip neigh replace "$ENG_IP" lladdr "$ENG_MAC" \
	dev "$PEER" nud permanent

# --- helpers ------------------------------------------------------------------
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
	log "  small-ka"
	timeout $((DURATION + 20)) ip netns exec "$NS" taskset -c "$CLIENT_CPU" \
		wrk "${WRK_ARGS[@]}" "http://$ENG_IP/index.html" \
		>"$dir/small-ka.txt" 2>&1 || log "wrk exited with $?"
	sleep 1
	log "  small-close"
	timeout $((DURATION + 20)) ip netns exec "$NS" taskset -c "$CLIENT_CPU" \
		wrk "${WRK_ARGS[@]}" -H "Connection: close" \
		"http://$ENG_IP/index.html" \
		>"$dir/small-close.txt" 2>&1 || log "wrk exited with $?"
	sleep 1
	log "  1m-ka"
	timeout $((DURATION + 20)) ip netns exec "$NS" taskset -c "$CLIENT_CPU" \
		wrk "${WRK_ARGS[@]}" "http://$ENG_IP/1m.bin" \
		>"$dir/1m-ka.txt" 2>&1 || log "wrk exited with $?"
	sleep 1
	log "  bulk"
	in_ns curl -s -o /dev/null -m 40 -w '%{speed_download} %{size_download} %{http_code}\n' \
		"http://$ENG_IP/bulk.bin" >"$dir/bulk.txt" 2>"$dir/bulk.err" ||
		log "curl exited with $?"
}

case_kernel() {
	local dir=$TMP/kernel pid
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
		workloads "$dir"
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
	local dir=$TMP/engine pid
	mkdir -p "$dir"
	# never the kernel and the engine on one address at once
	ip -4 -o addr show dev "$ENG" | grep -q inet && die "$ENG still has an IPv4 address"
	# framecnt as in drivers-config/af_packet.ini: 512 frames (the
	# default) overflow with ACKs under 32 downloads at once
	"$TQ_SERVER" -l 0-1 "${EAL_MEM[@]}" --no-pci --file-prefix "$PREFIX" \
		--vdev="net_af_packet0,iface=$ENG,framecnt=4096" -- \
		--addr "$ENG_IP/24" --http 80 --docroot "$DOC" \
		>"$dir/server.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if wait_http 30 "$pid"; then
		workloads "$dir"
		"$TQ_CTL" --file-prefix "$PREFIX" stats >"$dir/stats.txt" 2>&1 || true
	else
		log "tq-server did not start: $(tail -5 "$dir/server.log")"
	fi
	kill -0 "$pid" 2>/dev/null || log "tq-server exited early: $(tail -5 "$dir/server.log")"
	stop_pid "$pid"
	forget_pid "$pid"
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
log "kernel (nginx)"
case_kernel
log "engine (tq-server)"
case_engine

# --- report -------------------------------------------------------------------
log "report"
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/tcp-$DATE.json
MD=$TMP/table.md
"$PYTHON" "$HERE/report.py" assemble "$TMP" "$OUT" "$DATE" "${EAL_MEM[*]}"
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
