#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/proxy/run.sh: tq-proxy against HAProxy 2.6 and nginx (stream
# module) as L4 proxies, the same backends, the same clients, one run.
#
#   netns NS   the clients (wrk, curl) and two nginx backends (1 worker
#              each) on 10.98.0.1:8081 and :8082, all on core 0
#   ENG        the proxy's veth end (root netns), 10.98.0.2:80, core 1:
#              haproxy (mode tcp, 1 thread) and nginx (stream, 1 worker)
#              through the kernel; tq-proxy on net_af_packet (worker on
#              core 1, its control thread beside it)
#
# Workloads through each proxy, DURATION seconds, CONNS connections:
#   ka      wrk keep-alive, 1 KiB responses
#   close   wrk with Connection: close (a connection per request, and a
#           backend connection per request behind it)
#   bulk    one curl download of 200 MiB (Gbit/s)
# Per run: requests/s, p99, errors, Gbit/s, and the proxy's CPU
# (utime + stime of its processes over the run, in cores).  REPEAT
# runs interleaved, the median shown; JSON, table, plot.
#
# Usage (root): bench/proxy/run.sh
# Environment: DURATION (5), REPEAT (3), CONNS (32), QUIET_WAIT (30),
# NO_PLOT=1, NO_DOCS=1, ONLY=PROXY (one proxy).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-32}
QUIET_WAIT=${QUIET_WAIT:-30}
PYTHON=/usr/bin/python3
NS=tqx$$
ENG=tqxe$$
PEER=tqxp$$
PREFIX=tqprx$$
ENG_IP=10.98.0.2
PEER_IP=10.98.0.1
TQ_PROXY=$REPO/build/apps/tq-proxy
PROXIES=(tq-proxy haproxy nginx)

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
for v in DURATION REPEAT CONNS QUIET_WAIT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$DURATION" -gt 0 ] && [ "$REPEAT" -gt 0 ] && [ "$CONNS" -gt 0 ] ||
	die "DURATION, REPEAT and CONNS must be > 0"
need=()
command -v haproxy >/dev/null || need+=(haproxy)
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
"$PYTHON" -c 'import matplotlib' 2>/dev/null || [ "${NO_PLOT:-0}" = 1 ] ||
	need+=(python3-matplotlib)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
		log "could not install ${need[*]}"
fi
for c in wrk nginx haproxy taskset ethtool curl; do
	command -v "$c" >/dev/null || die "needs $c"
done

TMP=$(mktemp -d /tmp/tqprx.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run './tachyon build' first"
ninja -C "$REPO/build" >/dev/null
HUGE_FREE=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${HUGE_FREE:-0}" -ge 256 ] && mountpoint -q /dev/hugepages; then
	EAL_MEM=(-m 256)
else
	EAL_MEM=(--no-huge -m 512)
fi

DOC=$TMP/www
mkdir -p "$DOC"
chmod 755 "$TMP" "$DOC"
head -c 1024 /dev/zero | tr '\0' x >"$DOC/index.html"
head -c $((200 << 20)) /dev/urandom >"$DOC/bulk.bin"
chmod 644 "$DOC"/*

bench_veth_up
ip netns exec "$NS" sysctl -q net.ipv4.tcp_tw_reuse=1
ip netns exec "$NS" sysctl -q net.ipv4.ip_local_port_range="10000 65000"

# --- backends: two nginx in the netns, core 0 ---------------------------
for p in 8081 8082; do
	mkdir -p "$TMP/be$p"
	cat >"$TMP/be$p/nginx.conf" <<NGINX
daemon off;
user www-data;
worker_processes 1;
worker_cpu_affinity 01;
pid $TMP/be$p/nginx.pid;
error_log $TMP/be$p/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	default_type text/html;
	client_body_temp_path $TMP/be$p/body;
	proxy_temp_path $TMP/be$p/proxy;
	fastcgi_temp_path $TMP/be$p/fastcgi;
	uwsgi_temp_path $TMP/be$p/uwsgi;
	scgi_temp_path $TMP/be$p/scgi;
	server { listen $PEER_IP:$p backlog=4096; root $DOC; }
}
NGINX
	ip netns exec "$NS" nginx -c "$TMP/be$p/nginx.conf" -p "$TMP/be$p" \
		-e "$TMP/be$p/error.log" >/dev/null 2>&1 &
	PIDS+=($!)
done

# --- proxies ---------------------------------------------------------------
PROXY_PIDS=()
start_proxy() {
	local d=$1 i
	PROXY_PIDS=()
	case $2 in
	tq-proxy)
		"$TQ_PROXY" --lcores 0@1,1@1 "${EAL_MEM[@]}" --no-pci \
			--file-prefix "$PREFIX" \
			--vdev="net_af_packet0,iface=$ENG,framecnt=4096" -- \
			--addr "$ENG_IP/24" --listen 80 \
			--backend "$PEER_IP:8081" --backend "$PEER_IP:8082" \
			--max-conns 16384 >"$d/proxy.log" 2>&1 &
		PROXY_PIDS+=($!)
		;;
	haproxy)
		ip addr add "$ENG_IP/24" dev "$ENG"
		ENG_ADDR_SET=1
		cat >"$TMP/haproxy.cfg" <<HAP
global
	nbthread 1
	cpu-map 1/1 1
	maxconn 8000
defaults
	mode tcp
	timeout connect 3s
	timeout client 30s
	timeout server 30s
frontend f
	bind $ENG_IP:80
	default_backend b
backend b
	balance roundrobin
	server s1 $PEER_IP:8081
	server s2 $PEER_IP:8082
HAP
		taskset -c 1 haproxy -f "$TMP/haproxy.cfg" -db >"$d/proxy.log" 2>&1 &
		PROXY_PIDS+=($!)
		;;
	nginx)
		ip addr add "$ENG_IP/24" dev "$ENG"
		ENG_ADDR_SET=1
		mkdir -p "$TMP/px"
		cat >"$TMP/px/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
worker_cpu_affinity 10;
pid $TMP/px/nginx.pid;
error_log $TMP/px/error.log warn;
events { worker_connections 20000; }
stream {
	upstream b { server $PEER_IP:8081; server $PEER_IP:8082; }
	server { listen $ENG_IP:80 backlog=4096; proxy_pass b; }
}
NGINX
		nginx -c "$TMP/px/nginx.conf" -p "$TMP/px" -e "$TMP/px/error.log" \
			>"$d/proxy.log" 2>&1 &
		PROXY_PIDS+=($!)
		;;
	esac
	for i in $(seq 100); do
		ip netns exec "$NS" curl -s -o /dev/null -m 1 \
			"http://$ENG_IP/index.html" && return 0
		sleep 0.1
	done
	return 1
}

stop_proxy() {
	local p
	for p in "${PROXY_PIDS[@]}"; do
		stop_pid "$p"
	done
	PROXY_PIDS=()
	if [ "$ENG_ADDR_SET" = 1 ]; then
		ip addr del "$ENG_IP/24" dev "$ENG" 2>/dev/null || true
		ENG_ADDR_SET=0
	fi
}

# The CPU of the proxy's processes (nginx: master and workers).
proxy_cpu() {
	local p t=0 c
	for p in "${PROXY_PIDS[@]}"; do
		for c in $(pgrep -P "$p" 2>/dev/null) "$p"; do
			t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
		done
	done
	echo "$t"
}

run_wl() {
	# run_wl DIR WORKLOAD
	local d=$1 wl=$2 c0 c1 t0 t1
	local -a hdr=()
	[ "$wl" = close ] && hdr=(-H "Connection: close")
	t0=$(date +%s.%N); c0=$(proxy_cpu)
	if [ "$wl" = bulk ]; then
		ip netns exec "$NS" taskset -c 0 curl -s -o /dev/null -m 60 \
			-w '%{speed_download} %{size_download} %{http_code}\n' \
			"http://$ENG_IP/bulk.bin" >"$d/out.txt" 2>&1 || true
	else
		ip netns exec "$NS" taskset -c 0 wrk -t1 -c"$CONNS" \
			-d"${DURATION}s" --latency "${hdr[@]}" \
			"http://$ENG_IP/index.html" >"$d/out.txt" 2>&1 || true
	fi
	c1=$(proxy_cpu); t1=$(date +%s.%N)
	echo "$c0 $c1 $t0 $t1 $(getconf CLK_TCK)" >"$d/cpu.txt"
	ip netns exec "$NS" ss -K state time-wait >/dev/null 2>&1 || true
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
for REP in $(seq "$REPEAT"); do
	for P in "${PROXIES[@]}"; do
		[ -z "${ONLY:-}" ] || [ "$ONLY" = "$P" ] || continue
		D=$TMP/runs/$P/r$REP
		mkdir -p "$D"
		wait_quiet "$D"
		log "run $REP/$REPEAT: $P"
		if ! start_proxy "$D" "$P"; then
			log "$P did not start: $(tail -3 "$D/proxy.log")"
			stop_proxy
			continue
		fi
		for WL in ka close bulk; do
			mkdir -p "$D/$WL"
			log "  $WL"
			run_wl "$D/$WL" "$WL"
		done
		stop_proxy
	done
done

log "report"
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/proxy-$DATE.json
"$PYTHON" "$HERE/report.py" assemble "$TMP/runs" "$OUT" "$DATE" \
	"$DURATION" "$REPEAT" "$CONNS"
"$PYTHON" "$HERE/report.py" table "$OUT"
echo "results: $OUT"
[ "${NO_DOCS:-0}" = 1 ] || { mkdir -p "$REPO/docs/bench"; cp "$OUT" "$REPO/docs/bench/proxy.json"; }
if [ "${NO_PLOT:-0}" != 1 ]; then
	PNG=$REPO/bench/results/proxy-$DATE.png
	if "$PYTHON" "$HERE/report.py" plot "$OUT" "$PNG"; then
		echo "plot: $PNG"
		[ "${NO_DOCS:-0}" = 1 ] || cp "$PNG" "$REPO/docs/bench/proxy.png"
	else
		echo "no plot drawn (no matplotlib)"
	fi
fi
