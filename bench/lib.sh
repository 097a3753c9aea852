# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Shared by bench/*/run.sh (sourced after they set NS, ENG, PEER, ENG_IP,
# PEER_IP, PREFIX): stopping our own processes by pid, cleanup on exit,
# the netns + veth every bench measures over, and waiting for the machine
# to go idle.  STOP_SIGNAL (TERM) and STOP_WAIT (50, tenths of a second)
# say how a process is asked to stop before SIGKILL.

die() { echo "run.sh: $*" >&2; exit 1; }

PIDS=()
ENG_ADDR_SET=0

stop_pid() {
	# stop_pid PID: STOP_SIGNAL, then SIGKILL after STOP_WAIT tenths of a
	# second; only our own children
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill "-${STOP_SIGNAL:-TERM}" "$pid" 2>/dev/null || true
	for ((i = 0; i < ${STOP_WAIT:-50}; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

forget_pid() {
	local pid=$1 p keep=()
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

bench_cleanup() {
	local rc=$? pid
	set +e
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
		stop_pid "$pid"
	done
	# a mount the script made for its processes (bench/tcp: bpffs)
	[ -n "${BENCH_UMOUNT:-}" ] && umount "$BENCH_UMOUNT" 2>/dev/null
	[ "$ENG_ADDR_SET" = 1 ] && ip addr del "$ENG_IP/24" dev "$ENG" 2>/dev/null
	ip link del "$ENG" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"* /dev/hugepages/"$PREFIX"* 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	exit $rc
}

# bpffs on /sys/fs/bpf for net_af_xdp (libxdp's dispatcher, as
# drivers-config/af_xdp.ini says), mounted for the run if it is not
# there (bench_cleanup unmounts what it mounted).
bench_bpffs() {
	mountpoint -q /sys/fs/bpf && return 0
	if mount -t bpf bpf /sys/fs/bpf 2>/dev/null; then
		BENCH_UMOUNT=/sys/fs/bpf
	else
		log "could not mount bpffs on /sys/fs/bpf"
	fi
}

# The veth: ENG stays in the root netns (no addresses, no IPv6), PEER
# goes into NS with PEER_IP/24.  The peer gets a static neighbour entry
# for ENG_IP (ENG's MAC: the same for the kernel, the engine and
# testpmd), so no case spends time on ARP.  Sets ENG_MAC.
bench_veth_up() {
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
	# net_af_packet needs complete checksums from the peer
	ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null
	ENG_MAC=$(cat "/sys/class/net/$ENG/address")
	ip netns exec "$NS" ip neigh replace "$ENG_IP" lladdr "$ENG_MAC" \
		dev "$PEER" nud permanent
}

wait_quiet() {
	# wait_quiet DIR: until less than 0.15 cores are busy over a second, or
	# QUIET_WAIT seconds passed; notes "SECONDS yes|no BUSY%" in DIR/quiet
	local dir=$1 waited=0 a b busy
	while :; do
		a=$(head -1 /proc/stat)
		sleep 1
		b=$(head -1 /proc/stat)
		busy=$(awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
			split(a, x); split(b, y); t = 0
			for (k = 2; k <= 9; k++) t += y[k] - x[k]
			i = (y[5] + y[6]) - (x[5] + x[6])
			printf "%d", (t > 0 ? 100 * n * (t - i) / t : 0) }')
		waited=$((waited + 1))
		if [ "$busy" -lt 15 ]; then
			echo "$waited yes $busy" >"$dir/quiet"
			return 0
		fi
		if [ "$waited" -ge "$QUIET_WAIT" ]; then
			log "machine still busy (${busy}% of a core) after ${waited}s; measuring anyway"
			echo "$waited no $busy" >"$dir/quiet"
			return 0
		fi
		if [ $((waited % 10)) = 1 ]; then
			log "waiting for other load to stop (${busy}% of a core busy)"
		fi
	done
}
