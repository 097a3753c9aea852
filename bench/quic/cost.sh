#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/quic/cost.sh: instructions per HTTP/3 request, tq-server --h3
# against ngtcp2's gtlsserver, counted by callgrind in the server
# process while the same client (gtlsclient, one connection, as many
# requests in flight as the server allows: 100 streams, both servers'
# default) fetches a 1 KiB page N times.  Wall time on two
# shared cores is too noisy to tell a 10% change; this is not.
#
# Each server runs under `valgrind --tool=callgrind`, collecting only
# inside its event loop (tq-server: the worker's loop, tq_shard_main; gtlsserver:
# ev_run): the worker, the QUIC stack, HTTP/3 (ours; gtlsserver's is
# nghttp3), the crypto and the app, not the kernel (gtlsserver's system
# calls and af_packet's are not counted: instructions in user space
# only).  Three client runs each:
# a warm-up, then N and 2N requests on a fresh connection, the counters
# dumped after each; the difference of the last two, divided by N, is
# the cost of N requests with the handshake and set-up cancelled out.
# tq-server's figure includes its polls that found nothing while the
# client was busy (part of what a polling server costs).
#
# SIZE makes the page SIZE bytes instead (bulk: SIZE=1000000 N=20, the
# figure then per request of a megabyte).
#
# Usage (root): bench/quic/cost.sh [OUT.json]
# Environment: N (2000), SIZE (1024), TOP (25), KEEP (a directory: the
# callgrind files of the N and 2N runs are copied there, for
# callgrind_annotate by line).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
N=${N:-2000}
SIZE=${SIZE:-1024}
TOP=${TOP:-25}
OUT=${1:-$REPO/build/bench-quic-cost/cost.json}
NS=tqqc$$
ENG=tqqce$$
PEER=tqqcp$$
PREFIX=tqqcost$$
ENG_IP=10.97.0.9	# unused: the engine has its own address
PEER_IP=10.97.0.1
SRV_IP=10.97.0.2
TQ_SERVER=$REPO/build/apps/tq-server
PYTHON=/usr/bin/python3

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (namespaces, veth, DPDK)"
GS=$(command -v gtlsserver || echo /usr/sbin/gtlsserver)
for c in "$GS" gtlsclient valgrind callgrind_annotate callgrind_control openssl; do
	command -v "$c" >/dev/null || die "needs $c"
done
[[ $N =~ ^[0-9]+$ && $N -ge 10 ]] || die "N must be a number >= 10"
[[ $SIZE =~ ^[0-9]+$ && $SIZE -ge 1 ]] || die "SIZE must be a number of bytes"
[ -x "$TQ_SERVER" ] || die "no $TQ_SERVER: build first"

TMP=$(mktemp -d)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$(dirname "$OUT")"

DOC=$TMP/www
mkdir -p "$DOC"
chmod 755 "$TMP" "$DOC"
head -c "$SIZE" /dev/urandom >"$DOC/index.html"
chmod 644 "$DOC/index.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1 || die "openssl failed"

bench_veth_up

# fetch HOST N: one gtlsclient connection, N requests (gtlsclient opens
# its -n streams as the server's limit allows)
fetch() {
	ip netns exec "$NS" timeout 900 gtlsclient -q \
		--exit-on-all-streams-close --timeout=60s -n "$2" \
		"$1" 4433 \
		"https://$1:4433/index.html" >"$TMP/client.log" 2>&1 ||
		die "gtlsclient failed against $1: $(tail -3 "$TMP/client.log")"
}

# measure NAME HOST PID OUTBASE: warm-up, N, 2N; dumps OUTBASE.{1,2,3}
measure() {
	local name=$1 host=$2 pid=$3 base=$4 i
	log "$name: warm-up, then $N and $((2 * N)) requests under callgrind"
	fetch "$host" $((N < 50 ? N : 50))
	callgrind_control -d "$pid" >/dev/null
	fetch "$host" "$N"
	callgrind_control -d "$pid" >/dev/null
	fetch "$host" $((2 * N))
	callgrind_control -d "$pid" >/dev/null
	for i in 1 2 3; do
		[ -s "$base.$i" ] || die "$name: no callgrind dump $i"
	done
}

log "gtlsserver in $NS on $PEER_IP:4433, under callgrind"
ip netns exec "$NS" valgrind --tool=callgrind --collect-atstart=no \
	--toggle-collect=ev_run --callgrind-out-file="$TMP/gs.cg" \
	"$GS" -q -d "$DOC" "$PEER_IP" 4433 "$TMP/key.pem" "$TMP/cert.pem" \
	>"$TMP/gs.log" 2>&1 &
GSPID=$!
PIDS+=($GSPID)
for _ in $(seq 100); do
	grep -q "For interactive control" "$TMP/gs.log" && break
	sleep 0.1
done
sleep 2
measure gtlsserver "$PEER_IP" "$GSPID" "$TMP/gs.cg"
stop_pid "$GSPID"
forget_pid "$GSPID"

log "tq-server --h3 on $ENG at $SRV_IP, under callgrind"
valgrind --tool=callgrind --collect-atstart=no --toggle-collect=tq_shard_main \
	--callgrind-out-file="$TMP/tq.cg" \
	"$TQ_SERVER" -l 0-1 --no-huge -m 512 --no-pci --file-prefix "$PREFIX" \
	--vdev="net_af_packet0,iface=$ENG" -- --addr "$SRV_IP/24" \
	--h3 4433 --docroot "$DOC" --quic-cert "$TMP/cert.pem" \
	--quic-key "$TMP/key.pem" >"$TMP/tq.log" 2>&1 &
TQPID=$!
PIDS+=($TQPID)
for _ in $(seq 600); do
	grep -q "serving on" "$TMP/tq.log" && break
	sleep 0.1
done
grep -q "serving on" "$TMP/tq.log" || die "tq-server did not start: $(tail -3 "$TMP/tq.log")"
ip netns exec "$NS" ip neigh replace "$SRV_IP" \
	lladdr "$(cat "/sys/class/net/$ENG/address")" dev "$PEER" nud permanent
measure tq-server "$SRV_IP" "$TQPID" "$TMP/tq.cg"
stop_pid "$TQPID"
forget_pid "$TQPID"

for s in gs tq; do
	for i in 2 3; do
		callgrind_annotate --threshold=100 --auto=no "$TMP/$s.cg.$i" \
			>"$TMP/$s.$i.txt" 2>/dev/null
		[ -z "${KEEP:-}" ] || { mkdir -p "$KEEP" &&
			cp "$TMP/$s.cg.$i" "$KEEP/"; }
	done
done
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit+dirty"
fi
"$PYTHON" "$HERE/cost_report.py" "$OUT" "$commit" "$N" "$TOP" "$SIZE" \
	gtlsserver "$TMP/gs.2.txt" "$TMP/gs.3.txt" \
	tq-server "$TMP/tq.2.txt" "$TMP/tq.3.txt"
