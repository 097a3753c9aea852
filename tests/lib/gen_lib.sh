# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers of the gen_* integration tests (tq-gen, apps/tq-gen), on top
# of netns.sh: nginx-light in the peer's namespace with its own config
# and access log, tq-gen run to its end on net_af_packet, and checks on
# its JSON report.

TQ_GEN=${TQ_GEN:-$TQ_BUILD_DIR/apps/tq-gen}

gen_init() {
	tq_init "$1"
	[[ -x $TQ_GEN ]] || tq_skip "no tq-gen at $TQ_GEN (build first)"
	TQ_SERVER=$TQ_GEN
}

# gen_nginx PORT ADDR...: nginx in the peer's namespace on ADDR:PORT
# (IPv6 in brackets) serving $TQ_TMP/nginx/www, access log
# $TQ_TMP/nginx/access.log.  Its master's pid (from its pid file) is
# recorded, so cleanup ends it by pid.
gen_nginx() {
	local port=$1 d=$TQ_TMP/nginx i pid a listen=""
	shift
	for a in "$@"; do
		listen+="		listen $a:$port;"$'\n'
	done
	tq_require_tools nginx
	mkdir -p "$d/www"
	chmod 755 "$TQ_TMP" "$d" "$d/www"
	head -c 1000 /dev/zero | tr '\0' x >"$d/www/index.html"
	chmod 644 "$d/www/index.html"
	cat >"$d/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	keepalive_requests 1000000;
	server {
$listen		root $d/www;
	}
}
NGINX
	tq_peer nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" \
		>"$d/stdout.log" 2>&1 &
	for ((i = 0; i < 100; i++)); do
		pid=$(cat "$d/nginx.pid" 2>/dev/null || true)
		if [[ -n $pid ]] && tq_peer ss -ltn | grep -q ":$port "; then
			TQ_PIDS+=("$pid")
			GEN_NGINX_PID=$pid
			return 0
		fi
		sleep 0.1
	done
	cat "$d/error.log" "$d/stdout.log" >&2 2>/dev/null || true
	tq_fail "nginx did not start"
}

# gen_run MAX_SECS EAL... -- APP...: start tq-gen (tq_server_start) and
# wait for it to end by itself within MAX_SECS of its start; fails if it
# does not or exits non-zero.  GEN_SECS: how long it ran.
gen_run() {
	local max=$1 t0 i rc=0
	shift
	t0=$(date +%s.%N)
	tq_server_start "$@"
	for ((i = 0; i < max * 10; i++)); do
		tq_alive "$TQ_SERVER_PID" || break
		sleep 0.1
	done
	if tq_alive "$TQ_SERVER_PID"; then
		tq_fail "tq-gen still running ${max}s after its start"
	fi
	wait "$TQ_SERVER_PID" || rc=$?
	GEN_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}')
	local -a keep=()
	for i in "${TQ_PIDS[@]}"; do
		[[ $i == "$TQ_SERVER_PID" ]] || keep+=("$i")
	done
	TQ_PIDS=("${keep[@]}")
	cat "$TQ_SERVER_LOG" >&2
	((rc == 0)) || tq_fail "tq-gen exited with $rc"
}

# gen_json FILE EXPR: a Python expression on the report r.
gen_json() {
	"$(tq_python)" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(eval("(" + sys.argv[2] + ")"))' "$1" "$2"
}

# gen_routed_link NET: a second veth from the host into the peer's
# namespace, on NET.N.0/24 (N free), the namespace routing between it
# and the first link, so an engine (tq-server) on it and another
# (tq-gen) on the first talk engine to engine.  Sets SRV_IF (the host
# end, for the server's af_packet vdev), srv (its address, NET.N.2) and
# srv_gw (the namespace's end, NET.N.1).
gen_routed_link() {
	local net=$1 n2 rt_if
	n2=$(tq_free_subnet "$net")
	srv=$net.$n2.2
	srv_gw=$net.$n2.1
	SRV_IF=$(tq_ifname s)
	rt_if=$(tq_ifname r)
	tq_veth_pair "$SRV_IF" "$rt_if"
	tq_peer ip addr add "$srv_gw/24" dev "$rt_if"
	tq_veth_ns_up "$rt_if"
	tq_peer sysctl -qw net.ipv4.ip_forward=1
}
