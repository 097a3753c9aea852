#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/quic/run.sh: HTTP/3 download throughput and requests/s, tq-server
# --h3 against ngtcp2's gtlsserver, each driven by the same two clients
# (gtlsclient through the kernel, tq-gen --h3 on net_af_packet), in one
# run.
#
#   netns NS   the router: 10.98.0.1 towards the clients, 10.98.1.1
#              towards tq-server, 10.98.2.1 towards gtlsserver
#   ENG        the clients' veth end (root netns): gtlsclient through the
#              kernel (10.98.0.2) or tq-gen on net_af_packet (10.98.0.3)
#              (core 0)
#   ENG2       tq-server --h3 on net_af_xdp (net_af_packet where af_xdp
#              does not start, or PMD=af_packet), 10.98.1.2 (core 1),
#              behind the namespace's router
#   netns NS2  gtlsserver (core 1) on 10.98.2.2:4433, behind the same
#              router: both servers' packets take the same path, a veth,
#              a forward, a veth (DIRECT=1: gtlsserver in NS on
#              10.98.0.1, one hop nearer the clients than tq-server, as
#              the runs before 2026-12-07 evening had it)
#
# Workloads, each client against each server:
#   dl      a 5 MB file again and again on one connection: MB/s
#           (gtlsclient -n DL_N; tq-gen --connections 1 for DURATION s)
#   small   1 KiB files on one connection, STREAMS at once: requests/s
#           (gtlsclient -n SMALL_N, which opens them as the server's
#           stream limit allows; tq-gen --streams STREAMS)
# gtlsclient's figures are over its whole run (wall clock, handshake
# included, about a second of work at least); tq-gen's over its measured
# window.  REPEAT runs interleaved, the median shown; ratios tq-server /
# gtlsserver per client.
#
# Usage (root): bench/quic/run.sh
# Environment: DURATION (4), REPEAT (1), STREAMS (16), DL_N (40),
# SMALL_N (20000), QUIET_WAIT (30), DIRECT=1, PMD (tq-server's: af_xdp,
# the default, falling back to af_packet where it does not start; or
# af_packet), NO_PLOT=1, NO_DOCS=1, KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

DURATION=${DURATION:-4}
REPEAT=${REPEAT:-1}
STREAMS=${STREAMS:-16}
DL_N=${DL_N:-40}
SMALL_N=${SMALL_N:-20000}
QUIET_WAIT=${QUIET_WAIT:-30}
PYTHON=/usr/bin/python3
NS=tqq$$
ENG=tqqe$$
PEER=tqqp$$
ENG2=tqqs$$
PEER2=tqqr$$
NS2=tqqg$$
GT=tqqt$$
GTR=tqqu$$
GT_IP=10.98.2.2
RTR3_IP=10.98.2.1
DIRECT=${DIRECT:-0}
PMD=${PMD:-af_xdp}
PREFIX=tqquic$$
ENG_IP=10.98.0.2	# gtlsclient's address
GEN_IP=10.98.0.3	# tq-gen's
PEER_IP=10.98.0.1
SRV_IP=10.98.1.2
RTR2_IP=10.98.1.1
TQ_SERVER=$REPO/build/apps/tq-server
TQ_GEN=$REPO/build/apps/tq-gen

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
case $PMD in
af_packet|af_xdp) ;;
*) die "PMD must be af_packet or af_xdp" ;;
esac
for v in DURATION REPEAT STREAMS DL_N SMALL_N QUIET_WAIT; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] ||
		die "$v must be a whole number > 0"
done
GS=$(command -v gtlsserver || echo /usr/sbin/gtlsserver)
for c in "$GS" gtlsclient openssl taskset ethtool; do
	command -v "$c" >/dev/null || die "needs $c (ngtcp2-server, ngtcp2-client, openssl)"
done
if ! "$PYTHON" -c 'import matplotlib' 2>/dev/null && [ "${NO_PLOT:-0}" != 1 ]; then
	log "installing python3-matplotlib for the plot"
	apt-get install -y -q python3-matplotlib >/dev/null 2>&1 ||
		log "could not install python3-matplotlib: no plot"
fi

TMP=$(mktemp -d /tmp/tqquic.XXXXXX)
cleanup() {
	ip link del "$ENG2" 2>/dev/null || true
	ip netns del "$NS2" 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then
		cp -r "$TMP" "/tmp/quic-kept.$$" 2>/dev/null &&
			echo "kept: /tmp/quic-kept.$$" >&2
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
head -c 5000000 /dev/urandom >"$DOC/r5m.bin"
chmod 644 "$DOC"/*
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1 || die "openssl failed"

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
GT_NS=$NS
GT_HOST=$PEER_IP
if [ "$DIRECT" != 1 ]; then
	ip netns add "$NS2"
	ip link add "$GT" type veth peer name "$GTR"
	ip link set "$GT" netns "$NS2"
	ip link set "$GTR" netns "$NS"
	ip netns exec "$NS2" ip link set lo up
	ip netns exec "$NS2" ip addr add "$GT_IP/24" dev "$GT"
	ip netns exec "$NS2" ip link set "$GT" up
	ip netns exec "$NS2" ip route add default via "$RTR3_IP"
	# tq-gen (net_af_packet) needs complete checksums, as from PEER
	ip netns exec "$NS2" ethtool -K "$GT" tx off >/dev/null
	ip netns exec "$NS" ip addr add "$RTR3_IP/24" dev "$GTR"
	ip netns exec "$NS" ip link set "$GTR" up
	ip netns exec "$NS" ethtool -K "$GTR" tx off >/dev/null
	GT_NS=$NS2
	GT_HOST=$GT_IP
fi

# --- servers -------------------------------------------------------------------
log "gtlsserver in $GT_NS on $GT_HOST:4433 (core 1)"
ip netns exec "$GT_NS" taskset -c 1 "$GS" -q -d "$DOC" "$GT_HOST" 4433 \
	"$TMP/key.pem" "$TMP/cert.pem" >"$TMP/gtlsserver.log" 2>&1 &
PIDS+=($!)
start_server() {
	# start_server PMD: tq-server --h3 on ENG2; sets SRV_PID
	local vdev
	case $1 in
	af_xdp) vdev="net_af_xdp1,iface=$ENG2,start_queue=0,queue_count=1" ;;
	*) vdev="net_af_packet1,iface=$ENG2,framecnt=4096" ;;
	esac
	log "tq-server --h3 on $ENG2 ($1) at $SRV_IP (core 1)"
	(
		# af_xdp: libbpf's maps and libxdp's dispatcher lock memory
		[ "$1" = af_xdp ] && { ulimit -l unlimited 2>/dev/null || true; }
		exec "$TQ_SERVER" --lcores 0@1,1@1 "${EAL_MEM[@]}" --no-pci \
			--file-prefix "${PREFIX}s" --vdev="$vdev" -- \
			--addr "$SRV_IP/24" --gateway "$RTR2_IP" --h3 4433 \
			--docroot "$DOC" --quic-cert "$TMP/cert.pem" \
			--quic-key "$TMP/key.pem"
	) >"$TMP/tq-server.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	for _ in $(seq 100); do
		grep -q "serving on" "$TMP/tq-server.log" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# The engine's better profile on a veth (bench/tcp, drivers-config/
# af_xdp.ini): af_xdp where it starts, else af_packet with a note.
PMD_USE=$PMD
[ "$PMD" = af_xdp ] && bench_bpffs
if ! start_server "$PMD_USE"; then
	[ "$PMD_USE" = af_xdp ] || die "tq-server did not start: $(tail -3 "$TMP/tq-server.log")"
	why=$(grep -v '^libbpf' "$TMP/tq-server.log" | grep -iE -m1 'xdp|xsk|init_internals|queue_setup' || true)
	log "af_xdp did not start (${why:-see its log}); using af_packet"
	stop_pid "$SRV_PID"
	forget_pid "$SRV_PID"
	mv "$TMP/tq-server.log" "$TMP/tq-server-af_xdp.log"
	ip link set dev "$ENG2" xdp off 2>/dev/null || true
	PMD_USE=af_packet
	start_server "$PMD_USE" ||
		die "tq-server did not start: $(tail -3 "$TMP/tq-server.log")"
fi

# --- clients -------------------------------------------------------------------
run_gtls() {
	# run_gtls DIR HOST FILE N: N requests on one connection, timed
	local dir=$1 host=$2 file=$3 n=$4 t0 t1 rc=0
	ip addr add "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=1
	ip route add 10.98.1.0/24 via "$PEER_IP" dev "$ENG"
	ip route add 10.98.2.0/24 via "$PEER_IP" dev "$ENG"
	t0=$(date +%s.%N)
	taskset -c 0 timeout 120 gtlsclient -q --exit-on-all-streams-close \
		--timeout=10s -n "$n" "$host" 4433 "https://$host:4433/$file" \
		>"$dir/out.txt" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1 $n $(stat -c %s "$DOC/$file") $rc" >"$dir/gtls.txt"
	ip route del 10.98.1.0/24 via "$PEER_IP" dev "$ENG" 2>/dev/null || true
	ip route del 10.98.2.0/24 via "$PEER_IP" dev "$ENG" 2>/dev/null || true
	ip addr del "$ENG_IP/24" dev "$ENG"
	ENG_ADDR_SET=0
}

run_gen() {
	# run_gen DIR HOST FILE STREAMS
	local dir=$1 host=$2 file=$3 streams=$4
	"$TQ_GEN" --lcores 0@0,1@0 "${EAL_MEM[@]}" --no-pci \
		--file-prefix "${PREFIX}g" \
		--vdev="net_af_packet0,iface=$ENG,framecnt=4096" -- \
		--addr "$GEN_IP/24" --gateway "$PEER_IP" --h3 \
		--url "https://$host:4433/$file" --connections 1 \
		--streams "$streams" --duration "$DURATION" --warmup 1 \
		--timeout 10 --expect-length "$(stat -c %s "$DOC/$file")" \
		--json "$dir/out.json" >"$dir/out.txt" 2>&1 ||
		log "tq-gen exited with $?"
}

DATE=$(date -u +%Y%m%dT%H%M%SZ)
for REP in $(seq "$REPEAT"); do
	for TARGET in gtlsserver tq-server; do
		case $TARGET in
		gtlsserver) HOST=$GT_HOST ;;
		tq-server) HOST=$SRV_IP ;;
		esac
		for WL in dl small; do
			for CLIENT in gtlsclient tq-gen; do
				D=$TMP/runs/$CLIENT/$TARGET/$WL/r$REP
				mkdir -p "$D"
				wait_quiet "$D"
				log "run $REP/$REPEAT: $CLIENT -> $TARGET, $WL"
				case $CLIENT:$WL in
				gtlsclient:dl) run_gtls "$D" "$HOST" r5m.bin "$DL_N" ;;
				gtlsclient:small) run_gtls "$D" "$HOST" index.html "$SMALL_N" ;;
				tq-gen:dl) run_gen "$D" "$HOST" r5m.bin 1 ;;
				tq-gen:small) run_gen "$D" "$HOST" index.html "$STREAMS" ;;
				esac
			done
		done
	done
done

log "report"
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/quic-$DATE.json
TOPOLOGY=$([ "$DIRECT" = 1 ] && echo direct || echo routed) PMD_USED=$PMD_USE \
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || true) \
"$PYTHON" "$HERE/report.py" assemble "$TMP/runs" "$OUT" "$DATE" \
	"$DURATION" "$REPEAT" "$STREAMS"
"$PYTHON" "$HERE/report.py" table "$OUT"
echo "results: $OUT"
[ "${NO_DOCS:-0}" = 1 ] || { mkdir -p "$REPO/docs/bench"; cp "$OUT" "$REPO/docs/bench/quic.json"; }
if [ "${NO_PLOT:-0}" != 1 ]; then
	PNG=$REPO/bench/results/quic-$DATE.png
	if "$PYTHON" "$HERE/report.py" plot "$OUT" "$PNG"; then
		echo "plot: $PNG"
		[ "${NO_DOCS:-0}" = 1 ] || cp "$PNG" "$REPO/docs/bench/quic.png"
	else
		echo "no plot drawn (no matplotlib)"
	fi
fi
