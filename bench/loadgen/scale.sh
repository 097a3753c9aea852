#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/loadgen/scale.sh: the scale run.  tq-gen holds CONNS concurrent
# keep-alive TCP connections against tq-server, engine to engine over
# one veth pair (both ends in the root netns, no kernel addresses on
# them), each connection sending a request now and then (--rate RATE
# over all of them, open loop), and measures on both sides:
#
#   - time to open them all (tq-gen --ramp RAMP paces the SYNs; the
#     clock runs from tq-gen's start until each side's TcpCurrEstab
#     reaches CONNS), and both sides' counters (tq-ctl stats) then;
#   - memory per connection: RSS (with --no-huge, DPDK memory is shared
#     memory counted in RSS as it is touched) of each process before and
#     after, divided by CONNS; and, for the engine's preallocated pools,
#     the RSS of tq-server at start with --tcp-max-conns MAX against a
#     start with 16384, divided by the difference (what one TCB slot and
#     its flow-table share cost, used or not);
#   - worker CPU while the connections idle: the processes' CPU time
#     over IDLE_S seconds with all connections up, and tq-ctl workers'
#     busy-cycle share.
#
# A server port takes at most one connection per source address and
# port: tq-server listens on two (80, 81; tq-gen spreads connections
# over its two URLs) and tq-gen gets SRCS addresses (--addr,
# repeatable) with the ephemeral range 1024-65535, so each address holds
# about 2 x 64K connections (at most half used, to keep the ephemeral
# port walk short).
#
# Usage (root): bench/loadgen/scale.sh
# Environment: CONNS (200000), RAMP (opens per second, 4000), RATE
# (requests per second over all connections, 500), IDLE_S (10), SRCS
# (CONNS / 64000 + 1), NO_DOCS=1 (do not copy to docs/bench), LABEL
# (free text stored in the JSON, e.g. "busy machine"), ENGINE_OPTS
# (engine options for both sides, e.g. "--tcp-keepalive"), KEEP=1 (keep the
# run's files: /tmp/scale-kept.PID).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

CONNS=${CONNS:-200000}
RAMP=${RAMP:-4000}
RATE=${RATE:-500}
IDLE_S=${IDLE_S:-10}
SRCS=${SRCS:-$((CONNS / 64000 + 1))}
LABEL=${LABEL:-}
read -r -a ENGINE_OPTS <<<"${ENGINE_OPTS:-}"
PYTHON=/usr/bin/python3
NS=tqsc$$		# none is made; lib.sh's cleanup tolerates that
ENG=tqsg$$		# tq-gen's end of the veth
PEER=tqss$$		# tq-server's end
PREFIX=tqscale$$
SRV_IP=10.99.0.1
TQ_SERVER=$REPO/build/apps/tq-server
TQ_GEN=$REPO/build/apps/tq-gen
TQ_CTL=$REPO/build/apps/tq-ctl

log() { echo "== [${SECONDS}s] $*" >&2; }
source "$HERE/../lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (veth, DPDK)"
for v in CONNS RAMP RATE IDLE_S SRCS; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || die "$v must be a whole number > 0"
done
[ "$SRCS" -le 16 ] || die "tq-gen takes at most 16 source addresses (SRCS)"
[ $((SRCS * 128000)) -ge "$CONNS" ] || die "SRCS=$SRCS addresses hold at most $((SRCS * 128000)) connections"

TMP=$(mktemp -d /tmp/tqscale.XXXXXX)
cleanup() {
	local rc=$?
	set +e
	if [ "${KEEP:-0}" = 1 ]; then
		cp -r "$TMP" "/tmp/scale-kept.$$" 2>/dev/null &&
			echo "kept: /tmp/scale-kept.$$" >&2
	fi
	rm -rf "/var/run/dpdk/${PREFIX}"[sgb] 2>/dev/null
	(exit $rc)
	bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -f "$REPO/build/build.ninja" ] || die "no $REPO/build: run './tachyon build' first"
ninja -C "$REPO/build" apps/tq-server apps/tq-gen apps/tq-ctl >/dev/null

# Per engine: TCB slots for all connections and some slack; DPDK memory
# for them (about 1.3 KB a slot with the flow table) and the rest.
MAX=$((CONNS + CONNS / 8 + 1024))
MEM_MB=$((384 + MAX * 2 / 1024))
EAL_MEM=(--no-huge -m "$MEM_MB")
log "$CONNS connections from $SRCS addresses, --tcp-max-conns $MAX, ${EAL_MEM[*]} per engine"

DOC=$TMP/www
mkdir -p "$DOC"
chmod 755 "$TMP" "$DOC"
head -c 128 /dev/zero | tr '\0' x >"$DOC/index.html"
chmod 644 "$DOC/index.html"

ip link add "$ENG" type veth peer name "$PEER"
for i in "$ENG" "$PEER"; do
	sysctl -q "net.ipv6.conf.$i.disable_ipv6=1"
	ip link set "$i" up
done

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
estab() {
	local s
	s=$("$TQ_CTL" --file-prefix "$1" -z stats 2>/dev/null) || true
	awk '$1 == "TcpCurrEstab" {print $2; f = 1} END {if (!f) print 0}' <<<"$s"
}

start_server() {
	# start_server MAX_CONNS LOG: sets SRV_PID
	"$TQ_SERVER" --lcores 0@1,1@1 "${EAL_MEM[@]}" --no-pci \
		--file-prefix "${PREFIX}s" \
		--vdev="net_af_packet1,iface=$PEER,framecnt=4096" -- \
		--addr "$SRV_IP/16" --http 80 --http 81 --docroot "$DOC" \
		--tcp-max-conns "$1" --backlog 65535 --neigh-queue 16 \
		"${ENGINE_OPTS[@]}" >"$2" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	for _ in $(seq 600); do
		grep -q "serving on" "$2" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "tq-server did not start: $(tail -3 "$2")"
}

# --- static: what the TCB slots cost, used or not -------------------------
start_server 16384 "$TMP/srv0.log"
sleep 2
RSS_SRV_SMALL=$(rss_kb "$SRV_PID")
stop_pid "$SRV_PID"; forget_pid "$SRV_PID"
start_server "$MAX" "$TMP/srv.log"
sleep 2
RSS_SRV0=$(rss_kb "$SRV_PID")
log "tq-server RSS at start: $RSS_SRV_SMALL kB with 16384 slots, $RSS_SRV0 kB with $MAX"

# tq-gen's own start, with no connection to speak of: its baseline.
ADDRS=()
for i in $(seq "$SRCS"); do
	ADDRS+=(--addr "10.99.$((i / 250 + 1)).$((i % 250 + 1))/16")
done
GEN_EAL=(--lcores 0@0,1@0 "${EAL_MEM[@]}" --no-pci
	--vdev="net_af_packet0,iface=$ENG,framecnt=4096")
GEN_APP=("${ADDRS[@]}" --url "http://$SRV_IP/index.html"
	--url "http://$SRV_IP:81/index.html"
	--tcp-max-conns "$MAX" --tcp-port-range 1024-65535
	--timeout 5 --quiet "${ENGINE_OPTS[@]}")
"$TQ_GEN" "${GEN_EAL[@]}" --file-prefix "${PREFIX}b" -- "${GEN_APP[@]}" \
	--connections 1 --duration 3 >"$TMP/gen0.log" 2>&1 &
GEN0=$!
PIDS+=("$GEN0")
# Its pools are made (and touched) before it serves.
for _ in $(seq 600); do
	grep -q "serving on" "$TMP/gen0.log" && break
	sleep 0.1
done
sleep 1
RSS_GEN0=$(rss_kb "$GEN0")
wait "$GEN0" || true
forget_pid "$GEN0"
log "tq-gen RSS with one connection: $RSS_GEN0 kB"

# --- the run ----------------------------------------------------------------
OPEN_S=$((CONNS / RAMP + 1))
WARMUP=$((OPEN_S + 15))
# The idle sample is taken in the measured part: let it be long enough.
DURATION=$((IDLE_S + 10))
T0=$(date +%s.%N)
"$TQ_GEN" "${GEN_EAL[@]}" --file-prefix "${PREFIX}g" -- "${GEN_APP[@]}" \
	--connections "$CONNS" --ramp "$RAMP" --rate "$RATE" \
	--warmup "$WARMUP" --duration "$DURATION" \
	--json "$TMP/gen.json" >"$TMP/gen.log" 2>&1 &
GEN_PID=$!
PIDS+=("$GEN_PID")
log "tq-gen: --ramp $RAMP, --rate $RATE, warmup ${WARMUP}s, ${DURATION}s measured"

: >"$TMP/timeline.txt"
T_OPEN=""
T_OPEN_GEN=""
while kill -0 "$GEN_PID" 2>/dev/null; do
	t=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	es=$(estab "${PREFIX}s")
	eg=$(estab "${PREFIX}g")
	echo "$t $es $eg $(rss_kb "$SRV_PID") $(rss_kb "$GEN_PID")" >>"$TMP/timeline.txt"
	if [ -z "$T_OPEN" ] && [ "${es:-0}" -ge "$CONNS" ]; then
		T_OPEN=$t
		log "all $CONNS up on the server after ${t}s"
	fi
	if [ -z "$T_OPEN_GEN" ] && [ "${eg:-0}" -ge "$CONNS" ]; then
		T_OPEN_GEN=$t
		log "all $CONNS up on tq-gen after ${t}s"
	fi
	# Far enough into the measured part: the ramp's traffic over.
	if awk -v t="$t" -v w="$WARMUP" 'BEGIN {exit !(t >= w + 2)}'; then
		break
	fi
	sleep 1
done
kill -0 "$GEN_PID" 2>/dev/null || die "tq-gen ended early: $(tail -5 "$TMP/gen.log")"

# --- idle: memory and CPU with everything up --------------------------------
RSS_SRV1=$(rss_kb "$SRV_PID")
RSS_GEN1=$(rss_kb "$GEN_PID")
ES1=$(estab "${PREFIX}s")
EG1=$(estab "${PREFIX}g")
"$TQ_CTL" --file-prefix "${PREFIX}s" stats >"$TMP/srv_stats.txt" 2>&1 || true
"$TQ_CTL" --file-prefix "${PREFIX}g" stats >"$TMP/gen_stats.txt" 2>&1 || true
cs0=$(cpu_ticks "$SRV_PID"); cg0=$(cpu_ticks "$GEN_PID"); ti0=$(date +%s.%N)
"$TQ_CTL" --file-prefix "${PREFIX}s" --interval "$IDLE_S" --json workers \
	>"$TMP/srv_workers.json" 2>/dev/null &
WS=$!
"$TQ_CTL" --file-prefix "${PREFIX}g" --interval "$IDLE_S" --json workers \
	>"$TMP/gen_workers.json" 2>/dev/null || true
wait "$WS" || true
cs1=$(cpu_ticks "$SRV_PID"); cg1=$(cpu_ticks "$GEN_PID"); ti1=$(date +%s.%N)
echo "$cs0 $cs1 $cg0 $cg1 $ti0 $ti1 $(getconf CLK_TCK)" >"$TMP/idle_cpu.txt"
log "idle: server $ES1 established, RSS $RSS_SRV1 kB; tq-gen $EG1, RSS $RSS_GEN1 kB"

wait "$GEN_PID" || log "tq-gen exited with $?"
forget_pid "$GEN_PID"
T_END=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')

# --- report -----------------------------------------------------------------
DATE=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/scale-$DATE.json
"$PYTHON" "$HERE/scale_report.py" assemble "$TMP" "$OUT" \
	date="$DATE" label="$LABEL" conns="$CONNS" srcs="$SRCS" ramp="$RAMP" \
	rate="$RATE" idle_s="$IDLE_S" max_conns="$MAX" mem_mb="$MEM_MB" \
	engine_opts="${ENGINE_OPTS[*]}" \
	t_open="${T_OPEN:-}" t_open_gen="${T_OPEN_GEN:-}" t_end="$T_END" \
	rss_srv_small="$RSS_SRV_SMALL" rss_srv0="$RSS_SRV0" rss_srv1="$RSS_SRV1" \
	rss_gen0="$RSS_GEN0" rss_gen1="$RSS_GEN1" estab_srv="$ES1" estab_gen="$EG1"
"$PYTHON" "$HERE/scale_report.py" table "$OUT"
echo "results: $OUT"
[ "${NO_DOCS:-0}" = 1 ] || { mkdir -p "$REPO/docs/bench"; cp "$OUT" "$REPO/docs/bench/scale.json"; }
