# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034  # globals are for the scripts that source this
#
# Shared helpers for the integration suite: a kernel peer in a network
# namespace joined to the engine by a veth pair (net_af_packet) or by a
# tap interface (net_tap), tq-server started and stopped by pid, counters
# read through tq-ctl.  Sourced by tests/integration/*.sh, which run with
# `set -euo pipefail`.
#
# Typical use:
#   source "$TQ_SOURCE_DIR/tests/lib/netns.sh"
#   tq_init ping_test                    # root + tools check, trap EXIT
#   tq_engine_up af_packet 10.211 fd11:211 -- --udp-echo 7
#   tq_peer ping -c 5 "$TQ_ENG4"         # runs in the peer's netns
#   tq_ctr IcmpInEchos                   # one counter, via tq-ctl -z
# or, step by step:
#   tq_veth_setup 10.201.1.1/24 fd01:201::1/64
#   tq_server_start "$(tq_vdev_af_packet)" -- --addr 10.201.1.2/24 ...
#   tq_wait_ping 10.201.1.2
#
# Knobs (environment): TQ_EAL_MEM forces the EAL memory arguments,
# TQ_TAP_ROOT=1 keeps a tap's kernel side in the root namespace,
# TQ_KILL_TIMEOUT is the SIGTERM-to-SIGKILL grace in seconds.
#
# Everything created is recorded and undone by tq_cleanup on EXIT, even
# when a check fails: processes are ended by their pid (SIGTERM, then
# SIGKILL after TQ_KILL_TIMEOUT seconds), namespaces, veths and taps are
# deleted, temp files and the EAL runtime directory removed.

TQ_SOURCE_DIR=${TQ_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TQ_BUILD_DIR=${TQ_BUILD_DIR:-$TQ_SOURCE_DIR/build}
TQ_SERVER=${TQ_SERVER:-$TQ_BUILD_DIR/apps/tq-server}
TQ_CTL=${TQ_CTL:-$TQ_BUILD_DIR/apps/tq-ctl}
TQ_LIB_DIR="$TQ_SOURCE_DIR/tests/lib"
TQ_KILL_TIMEOUT=${TQ_KILL_TIMEOUT:-5}

# State, filled as things are made; tq_cleanup undoes all of it.
TQ_NAME=""
TQ_TMP=""
TQ_PIDS=()		# processes we started
TQ_NETNS=()		# namespaces we made
TQ_LINKS=()		# "ns|ifname" of links we made ("" ns: root namespace)
TQ_UMOUNTS=()		# mount points we mounted, unmounted at exit
TQ_PREFIXES=()		# EAL --file-prefix values we used
TQ_SEQ=0		# per-script counter for unique names

# Current setup (the last tq_veth_setup / tq_tap_setup).
TQ_NS=""		# peer namespace ("" = root namespace)
TQ_ENG_IF=""		# the interface the engine opens
TQ_PEER_IF=""		# the kernel peer's interface
TQ_PREFIX=""		# EAL --file-prefix of the running server
TQ_SERVER_PID=""
TQ_SERVER_LOG=""

tq_log() { echo "[$TQ_NAME] $*" >&2; }
tq_skip() { echo "SKIP [$TQ_NAME]: $*" >&2; exit 77; }
tq_fail() { echo "FAIL [$TQ_NAME]: $*" >&2; exit 1; }
tq_pass() { echo "ok [$TQ_NAME]: $*" >&2; }

# The Python for helpers: Debian's (it has scapy), else the one on PATH.
tq_python() {
	if [[ -x /usr/bin/python3 ]]; then
		echo /usr/bin/python3
	else
		command -v python3 || true
	fi
}

tq_require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			tq_skip "needs '$t' (not found on PATH)"
	done
}

# tq_init NAME: checks, temp dir, EXIT trap.  Call first.
tq_init() {
	TQ_NAME=$1
	[[ $(id -u) -eq 0 ]] || tq_skip "needs root (network namespaces, veth, tap, raw sockets)"
	tq_require_tools ip ethtool ping sysctl awk timeout
	[[ -x $TQ_SERVER ]] || tq_skip "no tq-server at $TQ_SERVER (build first)"
	[[ -x $TQ_CTL ]] || tq_skip "no tq-ctl at $TQ_CTL (build first)"
	[[ -n $(tq_python) ]] || tq_skip "needs python3"
	ip netns list >/dev/null 2>&1 || tq_skip "'ip netns' does not work here"
	[[ -d /proc/sys/net/ipv6 ]] || tq_skip "the kernel has no IPv6"
	TQ_TMP=$(mktemp -d "/tmp/tq-$TQ_NAME.XXXXXX")
	trap tq_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Is pid still running (and not a zombie)?
tq_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $st != Z ]]
}

# tq_stop_pid PID [TIMEOUT]: SIGTERM, wait, SIGKILL.  Sets TQ_STOP_RC to
# the exit status (when it was our child) and TQ_STOP_SECS to the time.
tq_stop_pid() {
	local pid=$1 to=${2:-$TQ_KILL_TIMEOUT} t0 i rc=0
	TQ_STOP_RC=""
	t0=$(date +%s.%N)
	if tq_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < to * 20; i++)); do
			tq_alive "$pid" || break
			sleep 0.05
		done
		if tq_alive "$pid"; then
			tq_log "pid $pid still running ${to}s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || rc=$?
	TQ_STOP_RC=$rc
	TQ_STOP_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}')
	local -a keep=()
	for i in "${TQ_PIDS[@]}"; do
		[[ $i == "$pid" ]] || keep+=("$i")
	done
	TQ_PIDS=("${keep[@]}")
}

tq_cleanup() {
	local rc=$? pid e ns ifc p
	trap - EXIT
	# Whoever reads our output may be gone: cleanup must still finish.
	trap '' PIPE
	set +e
	for pid in "${TQ_PIDS[@]}"; do
		tq_stop_pid "$pid"
	done
	if [[ $rc -ne 0 && $rc -ne 77 && -n $TQ_SERVER_LOG && -s $TQ_SERVER_LOG ]]; then
		echo "---- tail of $TQ_SERVER_LOG ----" >&2
		tail -n 30 "$TQ_SERVER_LOG" >&2
		echo "----" >&2
	fi
	for e in "${TQ_LINKS[@]}"; do
		ns=${e%%|*}
		ifc=${e#*|}
		if [[ -n $ns ]]; then
			ip -n "$ns" link del "$ifc" 2>/dev/null
		fi
		ip link del "$ifc" 2>/dev/null
	done
	for ns in "${TQ_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for p in "${TQ_UMOUNTS[@]}"; do
		umount "$p" 2>/dev/null
	done
	for p in "${TQ_PREFIXES[@]}"; do
		[[ -n $p && -d /var/run/dpdk/$p ]] && rm -rf "/var/run/dpdk/${p:?}"
		rm -f "/dev/hugepages/${p:?}"map_* 2>/dev/null
	done
	[[ -n $TQ_TMP && -d $TQ_TMP ]] && rm -rf "$TQ_TMP"
	exit "$rc"
}

# Run a command as the kernel peer (in its namespace when it has one).
tq_peer() {
	if [[ -n $TQ_NS ]]; then
		ip netns exec "$TQ_NS" "$@"
	else
		"$@"
	fi
}

# Start a background command, recorded for cleanup; pid in TQ_BG_PID.
# A program, not a shell function: a function runs in a subshell whose
# pid is not the program's, so cleanup would leave the program behind,
# holding the test's output open (meson then waits for it to time out).
tq_bg() {
	[[ $(type -t "$1") == file ]] || tq_fail "tq_bg $1: not a program"
	"$@" &
	TQ_BG_PID=$!
	TQ_PIDS+=("$TQ_BG_PID")
}

# Short unique names: interface names must fit in 15 characters, and the
# pid keeps parallel runs of the same script apart ("tq<pid><tag><n>").
tq_ifname() {
	local n="tq$$$1$TQ_SEQ"
	((${#n} <= 15)) || tq_fail "interface name $n too long"
	echo "$n"
}

tq_netns_new() {
	TQ_SEQ=$((TQ_SEQ + 1))
	TQ_NS="tq-$TQ_NAME-$$-$TQ_SEQ"
	ip netns add "$TQ_NS"
	TQ_NETNS+=("$TQ_NS")
	ip -n "$TQ_NS" link set lo up
}

# Give the peer its addresses (IPv6 with nodad: no DAD delay).
tq_peer_addrs() {
	local a
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			tq_peer ip -6 addr add "$a" dev "$TQ_PEER_IF" nodad
		else
			tq_peer ip addr add "$a" dev "$TQ_PEER_IF"
		fi
	done
}

# tq_veth_pair ROOT_IF NS_IF: a veth pair, both ends removed at exit:
# ROOT_IF up in the root namespace without addresses and without IPv6
# (an engine's end: the kernel does not chatter on it), NS_IF in the
# test's namespace, down until tq_veth_ns_up.
tq_veth_pair() {
	ip link add "$1" type veth peer name "$2"
	TQ_LINKS+=("|$1")
	ip link set "$2" netns "$TQ_NS"
	TQ_LINKS+=("$TQ_NS|$2")
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" || true
	ip link set "$1" up
}

# tq_veth_ns_up NS_IF: the namespace's end up, with checksums done in
# software: without it the kernel hands frames over with partial ones.
tq_veth_ns_up() {
	tq_peer ip link set "$1" up
	tq_peer ethtool -K "$1" tx off >/dev/null 2>&1 || true
}

# tq_veth_setup PEER_ADDR/PLEN...: netns + veth; the engine's end stays
# in the root namespace, the peer's end goes in the namespace.
tq_veth_setup() {
	tq_netns_new
	TQ_ENG_IF=$(tq_ifname e)
	TQ_PEER_IF=$(tq_ifname p)
	tq_veth_pair "$TQ_ENG_IF" "$TQ_PEER_IF"
	tq_peer_addrs "$@"
	tq_veth_ns_up "$TQ_PEER_IF"
}

# net_af_packet's sockets use PACKET_FANOUT_FLAG_DEFRAG: the kernel
# reassembles IPv4 fragments before the packet ring, so a datagram must
# fit one ring frame (2048 bytes by default) or it arrives cut short.
# Tests with big IPv4 datagrams use 16 KiB frames (the engine sizes its
# mbufs to match, so fewer of them: --mbufs 4095 is about 70 MB).
TQ_AF_PACKET_BIG="framesz=16384,blocksz=16384"
TQ_AF_PACKET_BIG_APP=(--mbufs 4095)

tq_vdev_af_packet() {
	echo "--vdev=net_af_packet0,iface=$TQ_ENG_IF${1:+,$1}"
}

# EAL memory: 2 MiB hugepages if at least 256 are free on a mounted
# hugetlbfs, else no hugepages.
tq_eal_mem() {
	local free
	# TQ_EAL_MEM="--no-huge -m 512" forces a choice (to test both).
	if [[ -n ${TQ_EAL_MEM:-} ]]; then
		echo "$TQ_EAL_MEM"
		return
	fi
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo 2>/dev/null)
	if [[ ${free:-0} -ge 256 ]] &&
			awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" {f = 1} END {exit !f}' /proc/mounts; then
		# --huge-unlink: the pages go back even if the server is killed.
		echo "-m 256 --huge-unlink"
	else
		echo "--no-huge -m 512"
	fi
}

# tq_server_start EAL_ARGS... -- APP_ARGS...: start tq-server in the
# background with its own --file-prefix and (unless -l/--lcores is given,
# or TQ_DEFAULT_LCORES is set) -l 0-1; wait for "serving on" in its log.  Sets TQ_SERVER_PID,
# TQ_SERVER_LOG and TQ_PREFIX.
tq_server_start() {
	local -a eal=() app=() mem
	local seen=0 lcores=0 a i
	for a in "$@"; do
		if ((seen)); then
			app+=("$a")
		elif [[ $a == -- ]]; then
			seen=1
		else
			eal+=("$a")
			[[ $a == -l* || $a == --lcores* ]] && lcores=1
		fi
	done
	# TQ_DEFAULT_LCORES=1: none, to test the engine's own default.
	((lcores)) || [[ -n ${TQ_DEFAULT_LCORES:-} ]] || eal=(-l 0-1 "${eal[@]}")
	TQ_SEQ=$((TQ_SEQ + 1))
	TQ_PREFIX="tq$$_$TQ_NAME$TQ_SEQ"
	TQ_PREFIXES+=("$TQ_PREFIX")
	TQ_SERVER_LOG="$TQ_TMP/server$TQ_SEQ.log"
	read -r -a mem <<<"$(tq_eal_mem)"
	tq_log "tq-server ${eal[*]} ${mem[*]} --no-pci --file-prefix $TQ_PREFIX -- ${app[*]}"
	# --no-pci: never take over the machine's own NIC.
	tq_bg "$TQ_SERVER" "${eal[@]}" "${mem[@]}" --no-pci \
		--file-prefix "$TQ_PREFIX" --log-level=lib.eal:warning \
		-- "${app[@]}" >"$TQ_SERVER_LOG" 2>&1
	TQ_SERVER_PID=$TQ_BG_PID
	for ((i = 0; i < 300; i++)); do
		grep -q "serving on" "$TQ_SERVER_LOG" && return 0
		tq_alive "$TQ_SERVER_PID" || break
		sleep 0.1
	done
	cat "$TQ_SERVER_LOG" >&2
	tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server exited before serving"
	tq_fail "tq-server did not print 'serving on' within 30 s"
}

# tq_nat_start NAME NAT_RELAY_ARGS...: tests/interop/nat_relay.py (a
# UDP NAT that rebinds mid-flow) in the peer's namespace, listening;
# its pid in TQ_NAT_PID, its output in $TQ_TMP/nat-NAME.log.
tq_nat_start() {
	local name=$1 k
	shift
	tq_bg ip netns exec "$TQ_NS" "$(tq_python)" \
		"$TQ_SOURCE_DIR/tests/interop/nat_relay.py" \
		--stats "$TQ_TMP/nat-$name.stats" "$@" >"$TQ_TMP/nat-$name.log" 2>&1
	TQ_NAT_PID=$TQ_BG_PID
	for ((k = 0; k < 50; k++)); do
		grep -q "mapped port" "$TQ_TMP/nat-$name.log" && return 0
		sleep 0.1
	done
	cat "$TQ_TMP/nat-$name.log" >&2
	tq_fail "$name: nat_relay.py did not start"
}

# tq_nat_stop NAME: stop it; its figures in the array NAT (old_port,
# new_port, old_up, old_down, new_up, new_down, rebound).  Fails unless
# it rebound and datagrams went both ways on the new mapping (the far
# end followed).
tq_nat_stop() {
	local name=$1 k v
	tq_stop_pid "$TQ_NAT_PID"
	declare -gA NAT=()
	while read -r k v; do NAT[$k]=$v; done <"$TQ_TMP/nat-$name.stats"
	((NAT[rebound] == 1)) || tq_fail "$name: the NAT never rebound"
	((NAT[new_up] > 10 && NAT[new_down] > 100)) ||
		tq_fail "$name: after the rebinding ${NAT[new_up]} up, ${NAT[new_down]} down"
}

# tq_wait_ping ADDR [TRIES]: until the peer gets an echo reply.
tq_wait_ping() {
	local addr=$1 tries=${2:-40} i
	for ((i = 0; i < tries; i++)); do
		if tq_peer ping -n -c 1 -W 1 "$addr" >/dev/null 2>&1; then
			return 0
		fi
		tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
		sleep 0.2
	done
	tq_fail "no echo reply from $addr after $tries tries"
}

# Counters through tq-ctl (-z: zeros too, so every name is there).
tq_stats() {
	"$TQ_CTL" --file-prefix "$TQ_PREFIX" -z stats
}

tq_ctr() {
	local out v
	out=$(tq_stats) || tq_fail "tq-ctl stats failed"
	v=$(awk -v k="$1" '$1 == k {print $2}' <<<"$out")
	[[ -n $v ]] || tq_fail "no counter '$1' in tq-ctl output"
	echo "$v"
}

# Sum of several counters.
tq_ctr_sum() {
	local out
	out=$(tq_stats) || tq_fail "tq-ctl stats failed"
	awk -v names="$*" 'BEGIN {n = split(names, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1}
		($1 in want) {s += $2; got++} END {if (got != n) exit 1; print s + 0}' <<<"$out" ||
		tq_fail "counters '$*' not all in tq-ctl output"
}

# A field of tq-ctl info (mac, driver, workers, addr0...).
tq_info() {
	"$TQ_CTL" --file-prefix "$TQ_PREFIX" info | awk -v k="$1" '$1 == k {print $2}'
}

# net_tap: the PMD creates the tap when EAL starts, and the tap itself is
# the kernel's side of the link.  tq_tap_name picks its name (before
# tq_server_start), tq_tap_setup (after) gives it the peer addresses.
tq_tap_name() {
	TQ_ENG_IF=$(tq_ifname t)
	TQ_LINKS+=("|$TQ_ENG_IF")
}

# Move the tap into a new netns (the PMD keeps its fd; it still works).
tq_tap_setup_netns() {
	tq_netns_new
	TQ_PEER_IF=$TQ_ENG_IF
	ip link set "$TQ_ENG_IF" netns "$TQ_NS" || return 1
	TQ_LINKS+=("$TQ_NS|$TQ_ENG_IF")
	tq_peer sysctl -qw "net.ipv6.conf.$TQ_ENG_IF.accept_ra=0" || true
	tq_peer_addrs "$@"
	tq_peer ip link set "$TQ_ENG_IF" up
	tq_peer ethtool -K "$TQ_ENG_IF" tx off >/dev/null 2>&1 || true
	TQ_TAP_MODE=netns
}

# The tap's kernel side in the root namespace: the peer addresses must
# come from a /24 nobody uses here (tq_free_subnet).
tq_tap_setup_root() {
	TQ_NS=""
	TQ_PEER_IF=$TQ_ENG_IF
	sysctl -qw "net.ipv6.conf.$TQ_ENG_IF.accept_ra=0" || true
	tq_peer_addrs "$@"
	ip link set "$TQ_ENG_IF" up
	ethtool -K "$TQ_ENG_IF" tx off >/dev/null 2>&1 || true
	TQ_TAP_MODE=root
}

# Wait until a frame from the peer reaches the engine and back.
tq_try_ping() {
	local addr=$1 tries=${2:-15} i
	for ((i = 0; i < tries; i++)); do
		tq_peer ping -n -c 1 -W 1 "$addr" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# tq_free_subnet A.B: a third octet N (from the pid) such that A.B.N.0/24
# is not in use in the root namespace.  For the tap fallback, where the
# peer's address lives in the root namespace.
tq_free_subnet() {
	local base=$1 n i used
	used=$(ip -4 -o addr show 2>/dev/null; ip -4 route show table all 2>/dev/null) || true
	for ((i = 0; i < 250; i++)); do
		n=$(( ($$ + i) % 250 + 1 ))
		grep -qF "$base.$n." <<<"$used" || { echo "$n"; return 0; }
	done
	tq_fail "no free /24 under $base.0.0/16"
}

# tq_tap_setup PROBE_ADDR PEER_ADDR/PLEN...: after tq_server_start with
# "--vdev=net_tap0,iface=$TQ_ENG_IF".  First the tap goes into a netns;
# if the engine cannot be pinged (PROBE_ADDR) that way, it comes back to
# the root namespace with the peer addresses on it (use a /24 from
# tq_free_subnet for that case).
tq_tap_setup() {
	local probe=$1 ns
	shift
	# TQ_TAP_ROOT=1 goes straight to the fallback (to test it).
	if [[ -z ${TQ_TAP_ROOT:-} ]] && tq_tap_setup_netns "$@" &&
			tq_try_ping "$probe"; then
		return 0
	fi
	if [[ -n ${TQ_TAP_ROOT:-} ]]; then
		tq_log "TQ_TAP_ROOT set: tap's kernel side stays in the root namespace"
	else
		tq_log "tap in a netns passes no traffic: falling back to the root namespace"
	fi
	ns=$TQ_NS
	if [[ -n $ns ]] && ip -n "$ns" link show "$TQ_ENG_IF" >/dev/null 2>&1; then
		ip -n "$ns" link set "$TQ_ENG_IF" netns "$$" ||
			tq_fail "cannot move $TQ_ENG_IF back from $ns"
	fi
	tq_tap_setup_root "$@"
	tq_try_ping "$probe" || tq_fail "no echo reply from $probe over the tap (root namespace)"
}

# tq_engine_up MODE BASE4 BASE6 [EAL_ARGS...] [-- APP_ARGS...]
#   MODE af_packet: veth into a netns, --vdev=net_af_packet0 (extra vdev
#                   arguments from TQ_VDEV_ARGS, e.g. qpairs=2)
#   MODE tap:       --vdev=net_tap0, the tap moved into a netns (or the
#                   root namespace as a fallback)
# The subnet is BASE4.N.0/24 and BASE6:N::/64 with N from tq_free_subnet;
# the peer is .1/::1, the engine .2/::2 (TQ_PEER4 TQ_ENG4 TQ_PEER6
# TQ_ENG6).  Returns once the peer can ping both engine addresses.
tq_engine_up() {
	local mode=$1 b4=$2 b6=$3 n
	shift 3
	local -a eal=() app=()
	local seen=0 a
	for a in "$@"; do
		if ((seen)); then app+=("$a"); elif [[ $a == -- ]]; then seen=1; else eal+=("$a"); fi
	done
	n=$(tq_free_subnet "$b4")
	TQ_PEER4=$b4.$n.1
	TQ_ENG4=$b4.$n.2
	TQ_PEER6=$b6:$n::1
	TQ_ENG6=$b6:$n::2
	app=(--addr "$TQ_ENG4/24" --addr "$TQ_ENG6/64" "${app[@]}")
	case $mode in
	af_packet)
		tq_veth_setup "$TQ_PEER4/24" "$TQ_PEER6/64"
		tq_server_start "$(tq_vdev_af_packet "${TQ_VDEV_ARGS:-}")" \
			"${eal[@]}" -- "${app[@]}"
		;;
	tap)
		[[ -c /dev/net/tun ]] || tq_skip "net_tap needs /dev/net/tun"
		tq_tap_name
		tq_server_start "--vdev=net_tap0,iface=$TQ_ENG_IF" "${eal[@]}" \
			-- "${app[@]}"
		tq_tap_setup "$TQ_ENG4" "$TQ_PEER4/24" "$TQ_PEER6/64"
		tq_log "tap: kernel side in the ${TQ_TAP_MODE} namespace"
		;;
	*)
		tq_fail "unknown mode '$mode' (af_packet or tap)"
		;;
	esac
	tq_wait_ping "$TQ_ENG4"
	tq_wait_ping "$TQ_ENG6"
}
