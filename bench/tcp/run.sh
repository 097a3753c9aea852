#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/tcp/run.sh: HTTP over TCP, tq-server against nginx-light (the kernel
# stack), same files, same veth, same client runs, in one run.
#
#   kernel   nginx (WORKERS worker processes) in the root netns on the veth
#            end the engine uses, holding 10.96.0.2 while it runs
#   engine   tq-server --http 80 (WORKERS workers) on net_af_packet (or
#            net_af_xdp where it starts, else net_af_packet) over that end
#
# Layout: WORKERS=2 (the default): nginx worker_processes 2 with
# worker_cpu_affinity 01 10; tq-server --lcores 0@0,1@0,2@1 (workers on
# CPUs 0 and 1, the control thread beside the first) with one queue per
# worker (af_packet qpairs=2, spread by PACKET_FANOUT; af_xdp
# queue_count=2 on a veth with 2 channels); the client unpinned, wrk -t2.
# WORKERS=1: nginx worker_processes 1, worker_cpu_affinity 10 (core 1);
# tq-server -l 0-1 (worker lcore 1); the client pinned to core 0, wrk -t1.
#
# Workloads (client in a netns):
#   small-ka     wrk -tWORKERS -c32 -d5s --latency  /index.html (1 KiB), keep-alive
#   small-close  the same with -H "Connection: close"
#   1m-ka        wrk keep-alive on /1m.bin (1 MiB)
#   bulk         one curl download of /bulk.bin (200 MiB)
# Before every wrk run the client's TIME_WAIT sockets are destroyed
# (ss -K in its netns), so that one run's closed connections do not take
# the ports of the next.
#
# Every run of the four workloads gets a fresh server; REPEAT runs of each
# server, interleaved (kernel, engine, kernel, engine, ...), and the table
# shows, per workload, the run with the median req/s (MiB/s for bulk).
# Counters are read around every workload: `tq-ctl -z stats` (and
# `--per-worker`: each worker's packets, TcpSteered) for the engine,
# `nstat` (root netns, the server's side) for the kernel, nstat in the
# client's netns, /proc/net/softnet_stat drops and /proc/stat per core.
#
# Usage (root): bench/tcp/run.sh
# Environment: WORKERS (2; 1 to nproc), ENGINE_WORKERS (tq-server's
# workers when they should differ from nginx's: the best profile of each,
# e.g. af_xdp with its one queue on a veth against nginx with 2), PMD (af_xdp, the default: falls
# back to af_packet for the rest of the run, with a one-line note, if
# tq-server does not answer on it; af_packet), ENGINE_OPTS (more tq-server options, e.g. "--gso --gro"),
# MTU (1500; e.g. 9000: both veth ends, nginx's and the engine's; the
# engine on af_packet with 16 KiB ring frames, --mtu and fewer, larger
# mbufs: af_xdp on a veth carries no frames past a page),
# DURATION (5), REPEAT (5), QUIET_WAIT (60: seconds to wait
# for the machine to go idle before each run), NO_PLOT=1, NO_DOCS=1 (no
# copy into docs/bench/).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

DURATION=${DURATION:-5}
REPEAT=${REPEAT:-5}
QUIET_WAIT=${QUIET_WAIT:-60}
WORKERS=${WORKERS:-2}
ENGINE_WORKERS=${ENGINE_WORKERS:-$WORKERS}	# tq-server's, if not nginx's
PMD=${PMD:-af_xdp}
ENGINE_OPTS=${ENGINE_OPTS:-}	# more tq-server options, e.g. "--gso --gro"
MTU=${MTU:-1500}
PYTHON=/usr/bin/python3
NS=tqt$$
ENG=tqte$$
PEER=tqtp$$
PREFIX=tqtcp$$
ENG_IP=10.96.0.2
PEER_IP=10.96.0.1
CLIENT_CPU=0
SERVER_CPU=1
NCPU=$(nproc)
TQ_SERVER=$REPO/build/apps/tq-server
TQ_CTL=$REPO/build/apps/tq-ctl

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
for v in DURATION REPEAT QUIET_WAIT WORKERS ENGINE_WORKERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$DURATION" -gt 0 ] && [ "$REPEAT" -gt 0 ] || die "DURATION and REPEAT must be > 0"
if [ "$WORKERS" -lt 1 ] || [ "$WORKERS" -gt "$NCPU" ] ||
		[ "$ENGINE_WORKERS" -lt 1 ] || [ "$ENGINE_WORKERS" -gt "$NCPU" ]; then
	die "WORKERS and ENGINE_WORKERS must be 1 to $NCPU (the CPUs here)"
fi
case $PMD in
af_packet|af_xdp) ;;
*) die "PMD must be af_packet or af_xdp" ;;
esac
for c in wrk nginx curl taskset ethtool nstat ss; do
	command -v "$c" >/dev/null || die "needs $c"
done
[ -x "$PYTHON" ] || die "needs $PYTHON"
[ ${#ENG} -le 15 ] && [ ${#PEER} -le 15 ] || die "interface name too long"
if [ "${NO_PLOT:-0}" != 1 ] && ! "$PYTHON" -c 'import matplotlib' 2>/dev/null; then
	log "installing python3-matplotlib for the plot"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends python3-matplotlib >/dev/null 2>&1 ||
		log "could not install python3-matplotlib: no plot"
fi

# --- layout -------------------------------------------------------------------
# One worker: the server on core 1.  More: the server's workers
# round-robin over the CPUs (tq-server's control thread beside its first
# worker, on CPU 0).  The client is pinned to core 0 when both servers
# have one worker, else unpinned.
if [ "$ENGINE_WORKERS" = 1 ]; then
	ENGINE_LCORES=(-l 0-1)
else
	lc=0@0
	for ((i = 0; i < ENGINE_WORKERS; i++)); do
		lc+=",$((i + 1))@$((i % NCPU))"
	done
	ENGINE_LCORES=(--lcores "$lc")
fi
if [ "$WORKERS" = 1 ]; then
	NGINX_AFFINITY=10
	NGINX_PIN=(taskset -c "$SERVER_CPU")
else
	NGINX_AFFINITY=
	for ((i = 0; i < WORKERS; i++)); do
		c=$((i % NCPU))
		# nginx's masks are bit strings, CPU 0 rightmost: 01 10 on 2 CPUs
		m=
		for ((b = NCPU - 1; b >= 0; b--)); do
			if [ "$b" = "$c" ]; then m+=1; else m+=0; fi
		done
		NGINX_AFFINITY+="${NGINX_AFFINITY:+ }$m"
	done
	NGINX_PIN=()
fi
CLIENT_THREADS=$((WORKERS > ENGINE_WORKERS ? WORKERS : ENGINE_WORKERS))
if [ "$CLIENT_THREADS" = 1 ]; then
	CLIENT_PIN=(taskset -c "$CLIENT_CPU")
else
	CLIENT_PIN=()
fi
WRK_ARGS=(-t"$CLIENT_THREADS" -c32 -d"${DURATION}s" --latency)

TMP=$(mktemp -d /tmp/tqtcp.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# --- build, memory ----------------------------------------------------------
[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run 'meson setup build' first"
# ninja prints its errors on stdout: show them when it fails
ninja -C "$REPO/build" >"$TMP/ninja.log" 2>&1 ||
	{ tail -20 "$TMP/ninja.log" >&2; die "ninja -C $REPO/build failed"; }
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
[[ $MTU =~ ^[0-9]+$ && $MTU -ge 1280 && $MTU -le 9600 ]] ||
	die "MTU must be 1280 to 9600"
if [ "$MTU" != 1500 ] && [ "$PMD" = af_xdp ]; then
	log "MTU $MTU: af_xdp on a veth takes no frames past a page; af_packet"
	PMD=af_packet
fi
bench_veth_up
if [ "$MTU" != 1500 ]; then
	ip link set dev "$ENG" mtu "$MTU"
	ip netns exec "$NS" ip link set dev "$PEER" mtu "$MTU"
fi
PMD_USE=$PMD	# af_xdp falls back to af_packet for the rest of the run
if [ "$PMD" = af_xdp ]; then
	# locked memory: ulimit -l unlimited, set for tq-server alone below
	bench_bpffs
	# queue_count=WORKERS, one AF_XDP socket per worker.  DPDK 22.11's
	# PMD counts an interface's queues by its combined channels; a veth
	# has separate RX and TX channels only, so it counts one and refuses
	# queue_count=2 ("Specified queue count 2 is larger than combined
	# queue count 1"): with ENGINE_WORKERS > 1 this falls back to
	# af_packet.
fi

# --- helpers ------------------------------------------------------------------
SNAP=none
snap() {
	# snap DIR NAME: the server's counters into DIR/NAME.ctr (engine:
	# tq-ctl, all counters; kernel: nstat of the root netns, absolute),
	# for both the kernel's per-CPU input backlog drops (a veth delivers
	# through it; netdev_max_backlog), summed over the CPUs, and the
	# client's netns counters into DIR/NAME.cli
	case $SNAP in
	engine)
		"$TQ_CTL" --file-prefix "$PREFIX" -z stats >"$1/$2.ctr" 2>&1 || true
		"$TQ_CTL" --file-prefix "$PREFIX" -z --per-worker stats >"$1/$2.pw" 2>&1 || true
		;;
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

# the client: pinned to core 0 when each server has one worker, else unpinned
in_ns() { ip netns exec "$NS" "${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"}" "$@"; }

SSK_NOTED=0
flush_time_wait() {
	# flush_time_wait DIR NAME: destroy the client's TIME_WAIT sockets
	# (ss -K; the kernel needs CONFIG_INET_DIAG_DESTROY), so that the
	# ports of one run's closed connections are free for the next; notes
	# "BEFORE AFTER" (sockets in TIME_WAIT) in DIR/NAME.tw
	local before after
	before=$(ip netns exec "$NS" ss -Htn state time-wait 2>/dev/null | wc -l) || before=0
	after=$before
	if [ "$before" -gt 0 ]; then
		ip netns exec "$NS" ss -HtK state time-wait >/dev/null 2>&1 || true
		after=$(ip netns exec "$NS" ss -Htn state time-wait 2>/dev/null | wc -l) || after=0
		if [ "$after" -ge "$before" ] && [ "$SSK_NOTED" = 0 ]; then
			log "ss -K removed none of the client's $before TIME_WAIT sockets (unsupported here?); going on without the flush"
			SSK_NOTED=1
		fi
	fi
	echo "$before $after" >"$1/$2.tw"
}

run_wrk() {
	# run_wrk DIR NAME URL [wrk options]: one wrk run from the client
	local dir=$1 name=$2 url=$3
	shift 3
	flush_time_wait "$dir" "$name"
	cpu_mark "$dir" "$name.cpu0"
	timeout $((DURATION + 20)) \
		ip netns exec "$NS" "${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"}" \
		wrk "${WRK_ARGS[@]}" "$@" "$url" \
		>"$dir/$name.txt" 2>&1 || log "wrk exited with $?"
	cpu_mark "$dir" "$name.cpu1"
	sleep 1
	snap "$dir" "$name"
}

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
	run_wrk "$dir" small-ka "http://$ENG_IP/index.html"
	log "  small-close"
	run_wrk "$dir" small-close "http://$ENG_IP/index.html" -H "Connection: close"
	log "  1m-ka"
	run_wrk "$dir" 1m-ka "http://$ENG_IP/1m.bin"
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
worker_processes $WORKERS;
worker_cpu_affinity $NGINX_AFFINITY;
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
	"${NGINX_PIN[@]+"${NGINX_PIN[@]}"}" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" \
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

MTU_OPTS=()
[ "$MTU" = 1500 ] || MTU_OPTS=(--mtu "$MTU" --mbufs 8191)
start_engine() {
	# start_engine DIR PMD: tq-server in the background, its pid in
	# ENGINE_PID; one queue per worker on either PMD
	local dir=$1 pmd=$2 vdev
	case $pmd in
	af_packet)
		# framecnt as in drivers-config/af_packet.ini: 512 frames (the
		# default) overflow with ACKs under 32 downloads at once;
		# qpairs: one queue per worker, spread by PACKET_FANOUT
		vdev="net_af_packet0,iface=$ENG,qpairs=$ENGINE_WORKERS,framecnt=4096"
		# jumbo frames: 16 KiB ring frames (the engine sizes its mbufs
		# to match: fewer of them; 1024 frames a ring keep the locked
		# memory at 16 MiB a ring, docs/configuration.md)
		[ "$MTU" = 1500 ] || vdev="net_af_packet0,iface=$ENG,qpairs=$ENGINE_WORKERS,framesz=16384,blocksz=16384,framecnt=1024" ;;
	af_xdp)
		vdev="net_af_xdp0,iface=$ENG,start_queue=0,queue_count=$ENGINE_WORKERS" ;;
	esac
	# shellcheck disable=SC2086 # ENGINE_OPTS: words on purpose
	(
		# af_xdp: libbpf's maps and libxdp's dispatcher lock memory
		[ "$pmd" = af_xdp ] && { ulimit -l unlimited 2>/dev/null || true; }
		exec "$TQ_SERVER" "${ENGINE_LCORES[@]}" "${EAL_MEM[@]}" --no-pci \
			--file-prefix "$PREFIX" --vdev="$vdev" -- \
			--addr "$ENG_IP/24" --http 80 --docroot "$DOC" \
			"${MTU_OPTS[@]+"${MTU_OPTS[@]}"}" $ENGINE_OPTS
	) >"$dir/server.log" 2>&1 &
	ENGINE_PID=$!
	PIDS+=("$ENGINE_PID")
}

case_engine() {
	local dir=$1 pid why up=0
	mkdir -p "$dir"
	# never the kernel and the engine on one address at once
	ip -4 -o addr show dev "$ENG" | grep -q inet && die "$ENG still has an IPv4 address"
	start_engine "$dir" "$PMD_USE"
	pid=$ENGINE_PID
	if wait_http 30 "$pid"; then
		up=1
	elif [ "$PMD_USE" = af_xdp ]; then
		if kill -0 "$pid" 2>/dev/null; then
			why="tq-server runs but GET /index.html had no answer within 30 s"
		else
			# the PMD's first complaint says why (libbpf's chatter
			# aside), else the log's last line
			why=$(grep -v '^libbpf' "$dir/server.log" | grep -iE -m1 'xdp|xsk|init_internals|queue_setup' || true)
			[ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$dir/server.log" | tail -1 || true)
			why="tq-server exited: ${why:-no message}"
		fi
		stop_pid "$pid"
		forget_pid "$pid"
		log "af_xdp did not start ($why); using af_packet for the rest of the run"
		mv "$dir/server.log" "$dir/server-af_xdp.log"
		echo "$why" >"$dir/pmd_fallback"
		ip link set dev "$ENG" xdp off 2>/dev/null || true
		PMD_USE=af_packet
		start_engine "$dir" "$PMD_USE"
		pid=$ENGINE_PID
		wait_http 30 "$pid" && up=1
	fi
	echo "$PMD_USE" >"$dir/pmd"
	if [ "$up" = 1 ]; then
		SNAP=engine
		workloads "$dir"
		SNAP=none
		"$TQ_CTL" --file-prefix "$PREFIX" stats >"$dir/stats.txt" 2>&1 || true
		"$TQ_CTL" --file-prefix "$PREFIX" --per-worker stats \
			>"$dir/stats-per-worker.txt" 2>&1 || true
	else
		log "tq-server did not start: $(tail -5 "$dir/server.log")"
	fi
	kill -0 "$pid" 2>/dev/null || log "tq-server exited early: $(tail -5 "$dir/server.log")"
	stop_pid "$pid"
	forget_pid "$pid"
	# no XDP program left on the veth for the next (kernel) run, should
	# tq-server not have detached it (killed)
	[ "$PMD_USE" = af_packet ] || ip link set dev "$ENG" xdp off 2>/dev/null || true
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
	"$DURATION" "$REPEAT" "$WORKERS" "$PMD" "wrk ${WRK_ARGS[*]}" \
	"${ENGINE_LCORES[*]}" "$NGINX_AFFINITY" "${CLIENT_PIN[*]:-unpinned}" \
	"$ENGINE_WORKERS" "$MTU"
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
