#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/loadgen/run.sh: tq-gen against wrk as HTTP load generators, the
# same two servers, the same concurrency, in one run.
#
#   netns NS   nginx-light (1 worker, core 1) on 10.97.0.1:80, and a
#              router to 10.97.1.0/24
#   ENG1       the clients' veth end (root netns): wrk through the kernel
#              (10.97.0.2) or tq-gen on net_af_packet (10.97.0.3: a server
#              still holds TIME_WAIT from the other client's runs)
#              (control thread and worker on core 0, as wrk -t1 is)
#   ENG2       tq-server on net_af_packet, 10.97.1.2 (core 1), behind the
#              namespace's router
#
# Workloads, each client against each server, DURATION seconds, CONNS
# connections:
#   ka      keep-alive, 1 KiB responses (wrk -t1 -cCONNS; tq-gen
#           --connections CONNS)
#   close   one request per connection (wrk -H "Connection: close";
#           tq-gen --requests-per-conn 1)
#   cps     dperf-style short connections: tq-gen opens CPS connections
#           a second, open loop (--cps CPS, one request each, at most
#           CONNS open), against wrk -H "Connection: close" (closed loop,
#           CONNS connections, as in close) in the same run; req/s is
#           connections/s for both
# Per run: requests/s, p99 latency, errors, and the client's CPU
# (utime + stime of its process over the run) as cores and as core
# seconds per 100K requests.  REPEAT runs interleaved, the median shown.
#
# Usage (root): bench/loadgen/run.sh
# Environment: DURATION (5), REPEAT (3), CONNS (32), QUIET_WAIT (30),
# CPS (1000), WORKLOADS ("ka close cps"), LABEL (a note kept in the JSON,
# e.g. "busy machine"), NO_PLOT=1, NO_DOCS=1, ONLY=CLIENT:TARGET:WORKLOAD
# (one case, e.g. tq-gen:tq-server:close; KEEP=1 keeps the run's files
# in /tmp).  OUT_NAME (loadgen) names the copy in docs/bench.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
CONNS=${CONNS:-32}
QUIET_WAIT=${QUIET_WAIT:-30}
CPS=${CPS:-1000}
WORKLOADS=${WORKLOADS:-ka close cps}
LABEL=${LABEL:-}
OUT_NAME=${OUT_NAME:-loadgen}
PYTHON=/usr/bin/python3
NS=tqg$$
ENG=tqge$$		# lib.sh's ENG/PEER: the clients' pair
PEER=tqgp$$
ENG2=tqse$$
PEER2=tqsp$$
PREFIX=tqgen$$
ENG_IP=10.97.0.2	# wrk's address
GEN_IP=10.97.0.3	# tq-gen's: the servers' TIME_WAIT from one client
			# must not meet the other's SYNs
PEER_IP=10.97.0.1
SRV_IP=10.97.1.2
RTR2_IP=10.97.1.1
TQ_SERVER=$REPO/build/apps/tq-server
TQ_GEN=$REPO/build/apps/tq-gen

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
for v in DURATION REPEAT CONNS QUIET_WAIT CPS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$DURATION" -gt 0 ] && [ "$REPEAT" -gt 0 ] && [ "$CONNS" -gt 0 ] ||
	die "DURATION, REPEAT and CONNS must be > 0"
for c in wrk nginx taskset ethtool curl; do
	command -v "$c" >/dev/null || die "needs $c"
done
if ! "$PYTHON" -c 'import matplotlib' 2>/dev/null && [ "${NO_PLOT:-0}" != 1 ]; then
	log "installing python3-matplotlib for the plot"
	apt-get install -y -q python3-matplotlib >/dev/null 2>&1 ||
		log "could not install python3-matplotlib: no plot"
fi

TMP=$(mktemp -d /tmp/tqgen.XXXXXX)
cleanup() {
	ip link del "$ENG2" 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then
		cp -r "$TMP" "/tmp/loadgen-kept.$$" 2>/dev/null &&
			echo "kept: /tmp/loadgen-kept.$$" >&2
	fi
	bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run './tachyon build' first"
ninja -C "$REPO/build" >/dev/null
HUGE_FREE=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${HUGE_FREE:-0}" -ge 512 ] && mountpoint -q /dev/hugepages; then
	EAL_MEM=(-m 256)
else
	EAL_MEM=(--no-huge -m 512)
fi
log "memory per engine: ${EAL_MEM[*]}"

DOC=$TMP/www
mkdir -p "$DOC"
chmod 755 "$TMP" "$DOC"
head -c 1024 /dev/zero | tr '\0' x >"$DOC/index.html"
chmod 644 "$DOC/index.html"

# --- the two veths and the router -------------------------------------------
bench_veth_up
ip netns exec "$NS" ip neigh replace "$GEN_IP" lladdr "$ENG_MAC" \
	dev "$PEER" nud permanent
ip link add "$ENG2" type veth peer name "$PEER2"
ip link set "$PEER2" netns "$NS"
sysctl -q "net.ipv6.conf.$ENG2.disable_ipv6=1"
ip link set "$ENG2" up
ip netns exec "$NS" ip addr add "$RTR2_IP/24" dev "$PEER2"
ip netns exec "$NS" ip link set "$PEER2" up
ip netns exec "$NS" ethtool -K "$PEER2" tx off >/dev/null
ip netns exec "$NS" sysctl -q net.ipv4.ip_forward=1

# --- servers -------------------------------------------------------------------
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<NGINX
daemon off;
user www-data;
worker_processes 1;
worker_cpu_affinity 10;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	default_type text/html;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server { listen $PEER_IP:80 backlog=4096; root $DOC; }
}
NGINX
log "nginx in $NS on $PEER_IP:80 (core 1)"
ip netns exec "$NS" taskset -c 1 nginx -c "$TMP/nginx/nginx.conf" \
	-p "$TMP/nginx" -e "$TMP/nginx/error.log" >"$TMP/nginx.log" 2>&1 &
PIDS+=($!)
log "tq-server on $ENG2 at $SRV_IP (core 1)"
"$TQ_SERVER" --lcores 0@1,1@1 "${EAL_MEM[@]}" --no-pci \
	--file-prefix "${PREFIX}s" \
	--vdev="net_af_packet1,iface=$ENG2,framecnt=4096" -- \
	--addr "$SRV_IP/24" --gateway "$RTR2_IP" --http 80 --docroot "$DOC" \
	>"$TMP/tq-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	grep -q "serving on" "$TMP/tq-server.log" && break
	sleep 0.1
done
grep -q "serving on" "$TMP/tq-server.log" || die "tq-server did not start: $(tail -3 "$TMP/tq-server.log")"

# --- clients -------------------------------------------------------------------
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

run_wrk() {
	# run_wrk DIR URL CLOSE
	local dir=$1 url=$2 close=$3 pid c0 c1 t0 t1
	local -a hdr=()
	[ "$close" = 1 ] && hdr=(-H "Connection: close")
	ip addr add "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=1
	ip route add 10.97.1.0/24 via "$PEER_IP" dev "$ENG"
	taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${hdr[@]}" \
		"$url" >"$dir/out.txt" 2>&1 &
	pid=$!
	t0=$(date +%s.%N); c0=$(cpu_of "$pid")
	# Sample the CPU just before it ends: a finished process has none.
	sleep "$(awk -v d="$DURATION" 'BEGIN {print d - 0.3}')"
	c1=$(cpu_of "$pid"); t1=$(date +%s.%N)
	wait "$pid" || log "wrk exited with $?"
	echo "$c0 $c1 $t0 $t1 $(getconf CLK_TCK)" >"$dir/cpu.txt"
	ip route del 10.97.1.0/24 via "$PEER_IP" dev "$ENG" 2>/dev/null || true
	ip addr del "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=0
}

run_gen() {
	# run_gen DIR URL CLOSE
	local dir=$1 url=$2 close=$3 pid c0 c1 t0 t1
	local -a per=()
	[ "$close" = 1 ] && per=(--requests-per-conn 1)
	[ "$close" = cps ] && per=(--cps "$CPS")
	"$TQ_GEN" --lcores 0@0,1@0 "${EAL_MEM[@]}" --no-pci \
		--file-prefix "${PREFIX}g" \
		--vdev="net_af_packet0,iface=$ENG,framecnt=4096" -- \
		--addr "$GEN_IP/24" --gateway "$PEER_IP" --url "$url" \
		--connections "$CONNS" --duration "$DURATION" --warmup 1 \
		"${per[@]}" --json "$dir/out.json" >"$dir/out.txt" 2>&1 &
	pid=$!
	# The measured window starts after its warmup second.
	sleep 1.5
	t0=$(date +%s.%N); c0=$(cpu_of "$pid")
	sleep $((DURATION - 1))
	c1=$(cpu_of "$pid"); t1=$(date +%s.%N)
	wait "$pid" || log "tq-gen exited with $?"
	echo "$c0 $c1 $t0 $t1 $(getconf CLK_TCK)" >"$dir/cpu.txt"
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
for REP in $(seq "$REPEAT"); do
	for TARGET in nginx tq-server; do
		case $TARGET in
		nginx) URL=http://$PEER_IP/index.html ;;
		tq-server) URL=http://$SRV_IP/index.html ;;
		esac
		for WL in $WORKLOADS; do
			CLOSE=0
			[ "$WL" = close ] && CLOSE=1
			# wrk has no open loop: Connection: close, as in close
			[ "$WL" = cps ] && CLOSE=cps
			for CLIENT in wrk tq-gen; do
				[ -z "${ONLY:-}" ] || [ "$ONLY" = "$CLIENT:$TARGET:$WL" ] ||
					continue
				D=$TMP/runs/$CLIENT/$TARGET/$WL/r$REP
				mkdir -p "$D"
				wait_quiet "$D"
				log "run $REP/$REPEAT: $CLIENT -> $TARGET, $WL"
				case $CLIENT in
				wrk) run_wrk "$D" "$URL" "$([ "$CLOSE" = 0 ] && echo 0 || echo 1)" ;;
				tq-gen) run_gen "$D" "$URL" "$CLOSE" ;;
				esac
				# TIME_WAIT of the last run's short connections
				ip netns exec "$NS" ss -K state time-wait >/dev/null 2>&1 || true
			done
		done
	done
done

log "report"
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/loadgen-$DATE.json
"$PYTHON" "$HERE/report.py" assemble "$TMP/runs" "$OUT" "$DATE" \
	"$DURATION" "$REPEAT" "$CONNS" "$CPS" "$LABEL"
"$PYTHON" "$HERE/report.py" table "$OUT"
echo "results: $OUT"
[ "${NO_DOCS:-0}" = 1 ] || { mkdir -p "$REPO/docs/bench"; cp "$OUT" "$REPO/docs/bench/$OUT_NAME.json"; }
if [ "${NO_PLOT:-0}" != 1 ]; then
	PNG=$REPO/bench/results/loadgen-$DATE.png
	if "$PYTHON" "$HERE/report.py" plot "$OUT" "$PNG"; then
		echo "plot: $PNG"
		[ "${NO_DOCS:-0}" = 1 ] || cp "$PNG" "$REPO/docs/bench/$OUT_NAME.png"
	else
		echo "no plot drawn (no matplotlib)"
	fi
fi
