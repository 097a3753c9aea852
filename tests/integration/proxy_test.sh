#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proxy_test: tq-proxy (apps/tq-proxy) between kernel clients and two
# kernel nginx backends in a netns over net_af_packet.  A 30 MB file
# byte-exact (IPv4 and IPv6 clients), a client's RST carried to the
# backend, wrk with no errors over both backends, then one backend killed:
# every later request still succeeds (retry before the first byte, then
# ejection by the health checks), and it is restored once it answers
# again.  The bytes must have moved by splice; tq-ctl backends shows
# both.  Then a second tq-proxy set up only by a --config file, in front
# of tests/lib/proxy_peer.py: PROXY v2 header, half-close both ways, a
# backend's RST, idle and connect timeouts, a listener with its own
# pool, --max-conns.  In between, leastconn and hash.  With "workers": two
# workers, both relaying.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init proxy_test
TQ_SERVER="$TQ_BUILD_DIR/apps/tq-proxy"
[[ -x $TQ_SERVER ]] || tq_fail "no $TQ_SERVER"
tq_require_tools nginx wrk curl sha256sum
py=$(tq_python)
client="$TQ_LIB_DIR/proxy_client.py"

# A bad option is refused before EAL starts, in so many words (HTTP
# mode has its own test, proxy_http_test).
rc=0
"$TQ_SERVER" --no-huge --no-pci -- --route /a --listen 80 \
	--backend 10.9.9.9:80 >"$TQ_TMP/http.out" 2>&1 || rc=$?
((rc == 2)) && grep -q -- "--route: bad value '/a'" "$TQ_TMP/http.out" ||
	tq_fail "--route /a: exit $rc: $(cat "$TQ_TMP/http.out")"
tq_pass "--route without a pool refused"

# tq_engine_up picks the same free subnet: nothing is set up in between.
n=$(tq_free_subnet 10.233)
peer=10.233.$n.1
peer6=fd33:233:$n::1
eal=()
if [[ ${1:-} == workers ]]; then
	# Two workers on the two cores (oversubscribed: correctness only):
	# each backend leg must live on its client's worker.
	TQ_VDEV_ARGS=qpairs=2
	eal=(--lcores 0@0,1@1,2@1)
fi
tq_engine_up af_packet 10.233 fd33:233 "${eal[@]}" -- --listen 5000 \
	--backend "$peer:8081" --backend "[$peer6]:8082" \
	--health-interval-ms 300 --connect-timeout-ms 1000

www=$TQ_TMP/www
mkdir -p "$www"
chmod 755 "$TQ_TMP" "$www"
head -c 30000000 /dev/urandom >"$www/big"
head -c 1000 /dev/zero | tr '\0' x >"$www/small"
chmod 644 "$www"/*
sum=$(sha256sum "$www/big" | cut -d' ' -f1)

# proxy_nginx NAME LISTEN: an nginx of its own (config, pid, access log)
# in the peer's namespace; its master's pid in NGINX_PID (recorded).
proxy_nginx() {
	local d=$TQ_TMP/$1 i pid
	mkdir -p "$d"
	chmod 755 "$d"
	cat >"$d/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	keepalive_requests 1000000;
	server {
		listen $2;
		root $www;
	}
}
NGINX
	rm -f "$d/nginx.pid"
	tq_peer nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" \
		>"$d/stdout.log" 2>&1 &
	for ((i = 0; i < 100; i++)); do
		pid=$(cat "$d/nginx.pid" 2>/dev/null || true)
		if [[ -n $pid ]] && tq_peer curl -sf -o /dev/null \
				"http://$2/small"; then
			TQ_PIDS+=("$pid")
			NGINX_PID=$pid
			return 0
		fi
		sleep 0.1
	done
	cat "$d/error.log" "$d/stdout.log" >&2 2>/dev/null || true
	tq_fail "nginx $1 did not start"
}
proxy_nginx a "$peer:8081"
pid_a=$NGINX_PID
proxy_nginx b "[$peer6]:8082"
pid_b=$NGINX_PID

dump() {
	"$TQ_CTL" --file-prefix "$TQ_PREFIX" conns >&2 || true
	tq_stats | awk '$2 != 0' >&2 || true
	tail -5 "$TQ_SERVER_LOG" >&2 || true
}
req() {
	local o
	o=$(tq_peer "$py" "$client" "$@" 2>&1) || { dump; tq_fail "$*: $o"; }
	echo "$o"
}
used() {
	grep -c "GET /$2 " "$TQ_TMP/$1/access.log" 2>/dev/null || true
}

# 1. Byte-exact, both families, both backends (round robin).
for i in 1 2; do
	out=$(req get "$TQ_ENG4" 5000 /big "$sum")
	tq_pass "30 MB over IPv4 #$i: $out"
done
out=$(req get "$TQ_ENG6" 5000 /big "$sum")
tq_pass "30 MB over IPv6: $out"
a=$(used a big)
b=$(used b big)
((a >= 1 && b >= 1)) || tq_fail "round robin used a $a times, b $b times"
tq_pass "both backends served (a $a, b $b)"

# 3. A client's RST reaches the backend: no backend leg stays.
r0=$(tq_ctr ProxyResetsCarried)
out=$(req rst "$TQ_ENG4" 5000 /big)
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr ProxyResetsCarried) > r0)) && break
	sleep 0.1
done
(($(tq_ctr ProxyResetsCarried) > r0)) || { dump; tq_fail "RST not carried"; }
for ((i = 0; i < 50; i++)); do
	left=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" conns |
		grep -cE ':808[12]\b' || true)
	((left == 0)) && break
	sleep 0.1
done
((left == 0)) || { dump; tq_fail "$left backend legs left after the RST"; }
tq_pass "client RST carried: $out"

# 4. wrk: no errors, both backends used.
a0=$(used a small)
b0=$(used b small)
out=$(tq_peer wrk -t2 -c16 -d3s "http://$TQ_ENG4:5000/small" 2>&1) ||
	tq_fail "wrk failed: $out"
grep -qE 'Socket errors|Non-2xx' <<<"$out" && { dump; tq_fail "wrk errors: $out"; }
reqs=$(awk '/requests in/ {print $1}' <<<"$out")
a=$(($(used a small) - a0))
b=$(($(used b small) - b0))
((reqs > 100 && a > 0 && b > 0)) ||
	tq_fail "wrk: $reqs requests, a served $a, b $b"
tq_pass "wrk: $reqs requests, no errors (a $a, b $b)"
if ((${#eal[@]})); then
	per=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" --per-worker stats |
		awk '$1 == "ProxyBackendConnects" {printf "%s ", $2}')
	read -r w0 w1 <<<"$per"
	((${w0:-0} > 0 && ${w1:-0} > 0)) ||
		tq_fail "relayed per worker: '$per': not both workers"
	tq_pass "both workers relayed (backend legs $w0 and $w1)"
fi

# 5. Kill backend b: every later request succeeds (retried, then b is
# ejected), b comes back once it answers.
tq_stop_pid "$pid_b"
f0=$(tq_ctr ProxyConnectFails)
for ((i = 0; i < 20; i++)); do
	tq_peer curl -sf -o /dev/null "http://$TQ_ENG4:5000/small" ||
		{ dump; tq_fail "request $i after the kill failed"; }
done
out=$(tq_peer wrk -t2 -c16 -d2s "http://$TQ_ENG4:5000/small" 2>&1) ||
	tq_fail "wrk failed: $out"
grep -qE 'Socket errors|Non-2xx' <<<"$out" && { dump; tq_fail "wrk errors after the kill: $out"; }
out=$(req get "$TQ_ENG4" 5000 /big "$sum")
(($(tq_ctr ProxyEjects) >= 1)) || { dump; tq_fail "b not ejected"; }
tq_pass "b killed: 20 requests, wrk and 30 MB all fine; $(tq_ctr ProxyConnectFails) connect failures, $(tq_ctr ProxyRetries) retries, ejected"
mv "$TQ_TMP/b/access.log" "$TQ_TMP/b/access.old"
r0=$(tq_ctr ProxyRestores)
proxy_nginx b "[$peer6]:8082"
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr ProxyRestores) > r0)) && break
	sleep 0.1
done
(($(tq_ctr ProxyRestores) > r0)) || { dump; tq_fail "b not restored"; }
for ((i = 0; i < 8; i++)); do
	tq_peer curl -sf -o /dev/null "http://$TQ_ENG4:5000/small" ||
		tq_fail "request after the restore failed"
done
(($(used b small) > 0)) || tq_fail "b restored but not used"
tq_pass "b restored and used again"

spliced=$(tq_ctr StreamSplicedBytes)
((spliced >= 4 * 30000000)) ||
	tq_fail "StreamSplicedBytes $spliced: the data did not go by splice"
tq_pass "StreamSplicedBytes $spliced"
((TQ_SERVER_PID)) && tq_alive "$TQ_SERVER_PID" || tq_fail "tq-proxy died"

# tq-ctl backends: a, b both up and used; the listener's totals.  (On a
# loaded machine b has been seen ejected again just after its restore
# and back within a second: give it that second.)
both_up() {
	awk -v a="$peer:8081" -v b="[$peer6]:8082" '
		$1 == "up" && ($2 == a || $2 == b) && $5 > 0 {n++}
		$1 == "listen" && $2 == "5000" && $5 > 0 {l++}
		END {exit !(n == 2 && l == 1)}' <<<"$1"
}
for ((i = 0; i < 30; i++)); do
	out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends) || tq_fail "tq-ctl backends"
	both_up "$out" && break
	sleep 0.1
done
tq_log "tq-ctl backends:"$'\n'"$out"
both_up "$out" || tq_fail "tq-ctl backends does not show both backends up and used"
tq_pass "tq-ctl backends: both up, both used"

# 6. leastconn: with a slow download holding one backend, new clients
# go to the other; hash: one client address, one backend.
restart() {
	tq_stop_pid "$TQ_SERVER_PID"
	[[ $TQ_STOP_RC == 0 ]] || tq_fail "tq-proxy exited with $TQ_STOP_RC on SIGTERM"
	tq_server_start "$(tq_vdev_af_packet "${TQ_VDEV_ARGS:-}")" "${eal[@]}" \
		-- --addr "$TQ_ENG4/24" --addr "$TQ_ENG6/64" --listen 5000 \
		--backend "$peer:8081" --backend "[$peer6]:8082" "$@"
	tq_wait_ping "$TQ_ENG4"
	tq_wait_ping "$TQ_ENG6"
}
smalls() {
	local i
	for ((i = 0; i < $1; i++)); do
		tq_peer curl -sf -o /dev/null "http://$TQ_ENG4:5000/small" ||
			{ dump; tq_fail "request $i ($2) failed"; }
	done
}
restart --balance leastconn
big_a=$(used a big)
tq_peer "$py" "$client" slow "$TQ_ENG4" 5000 /big "$sum" 100000 6 \
	>"$TQ_TMP/slow.log" 2>&1 &
slow=$!
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr ProxyBackendConnects) >= 1)) && break
	sleep 0.1
done
a0=$(used a small)
b0=$(used b small)
smalls 6 leastconn
wait "$slow" || { cat "$TQ_TMP/slow.log" >&2; tq_fail "slow download failed"; }
a=$(($(used a small) - a0))
b=$(($(used b small) - b0))
# nginx logs a request once it is done: the slow one is logged now.
if (($(used a big) > big_a)); then busy=a; else busy=b; fi
if ((${#eal[@]})); then
	# Each worker counts its own connections: the slow one may be on
	# the other worker.
	tq_pass "leastconn (two workers, each its own count): a $a, b $b"
else
	[[ $busy == a && $a == 0 && $b == 6 || $busy == b && $a == 6 && $b == 0 ]] ||
		tq_fail "leastconn: $busy held the slow download, yet a got $a, b $b"
	tq_pass "leastconn: $busy busy with a slow download, the other got all 6 (a $a, b $b)"
fi
restart --balance hash
a0=$(used a small)
b0=$(used b small)
smalls 10 hash
a=$(($(used a small) - a0))
b=$(($(used b small) - b0))
((a == 10 && b == 0 || a == 0 && b == 10)) ||
	tq_fail "hash: one client address went to a $a times, b $b times"
tq_pass "hash: one client address, one backend (a $a, b $b)"

# 7. A second tq-proxy, all from a --config file: PROXY v2 header to
# the backend, a half-close carried both ways, a backend's RST carried
# to the client, the idle timeout, and a dead first backend (nobody at
# its address) given up after the connect timeout and retried.
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || tq_fail "tq-proxy exited with $TQ_STOP_RC on SIGTERM"
tq_bg ip netns exec "$TQ_NS" "$py" "$TQ_LIB_DIR/proxy_peer.py" server \
	"$peer" 8090
cat >"$TQ_TMP/proxy.ini" <<INI
[net]
addr = $TQ_ENG4/24

[proxy]
listen = 5001
listen = 5002,direct
backend = 10.233.$n.9:8090
backend = $peer:8090
backend = $peer:8090,direct
proxy-protocol = yes

[timeouts]
connect-timeout-ms = 300
idle-timeout-ms = 1000

[limits]
max-conn-buf = 65536
max-conns = 2

[health]
health-interval-ms = 0
INI
tq_server_start "$(tq_vdev_af_packet)" -- --config "$TQ_TMP/proxy.ini"
tq_wait_ping "$TQ_ENG4"
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8090 ' && break
	sleep 0.1
done
peer_req() {
	local o
	o=$(tq_peer "$py" "$TQ_LIB_DIR/proxy_peer.py" client "$TQ_ENG4" 5001 \
		"$@" 2>&1) || { dump; tq_fail "proxy_peer $*: $o"; }
	echo "$o"
}
out=$(peer_req who)
(($(tq_ctr ProxyConnectTimeouts) >= 1 && $(tq_ctr ProxyRetries) >= 1)) ||
	{ dump; tq_fail "the dead backend was not timed out and retried"; }
tq_pass "dead backend: timed out, retried; PROXY v2 $out"
out=$(peer_req hash 5000000 3000000)
tq_pass "half-close carried both ways: $out"
r0=$(tq_ctr ProxyResetsCarried)
out=$(peer_req rst)
(($(tq_ctr ProxyResetsCarried) > r0)) || tq_fail "backend RST not counted"
tq_pass "backend RST carried: $out"
out=$(peer_req idle 1)
(($(tq_ctr ProxyIdleTimeouts) >= 1)) || tq_fail "no ProxyIdleTimeouts"
tq_pass "idle timeout: $out"
# Pools: 5002 goes only to the "direct" pool's backend.
totals() {
	"$TQ_CTL" --file-prefix "$TQ_PREFIX" backends |
		awk -v a="$peer:8090" '$2 == a {printf "%s=%s ", $3, $5}'
}
t0=$(totals)
out=$(tq_peer "$py" "$TQ_LIB_DIR/proxy_peer.py" client "$TQ_ENG4" 5002 who \
	2>&1) || tq_fail "pool direct: $out"
t1=$(totals)
[[ $t0 == *"default=4 direct=0 "* && $t1 == *"default=4 direct=1 "* ]] ||
	tq_fail "pool direct: backend totals '$t0' then '$t1'"
tq_pass "pools: port 5002 went to pool direct only ($t1)"
# --max-conns 2: a third client at once is reset, later ones are fine.
tq_peer "$py" "$TQ_LIB_DIR/proxy_peer.py" client "$TQ_ENG4" 5001 idle 1 \
	>"$TQ_TMP/idle1.log" 2>&1 &
i1=$!
tq_peer "$py" "$TQ_LIB_DIR/proxy_peer.py" client "$TQ_ENG4" 5001 idle 1 \
	>"$TQ_TMP/idle2.log" 2>&1 &
i2=$!
sleep 0.3
rej=$(tq_ctr ProxyConnRejected)
if out=$(tq_peer "$py" "$TQ_LIB_DIR/proxy_peer.py" client "$TQ_ENG4" \
		5001 who 2>&1); then
	tq_fail "a third client at once was served: $out"
fi
wait "$i1" && wait "$i2" ||
	{ dump; tq_fail "idle clients: $(cat "$TQ_TMP"/idle*.log)"; }
(($(tq_ctr ProxyConnRejected) == rej + 1)) ||
	tq_fail "ProxyConnRejected $(tq_ctr ProxyConnRejected), was $rej"
out=$(peer_req who)
tq_pass "--max-conns 2: a third client reset, then served again: $out"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-proxy died"
log=$TQ_SERVER_LOG
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || { cat "$log" >&2; tq_fail "tq-proxy exited with $TQ_STOP_RC on SIGTERM"; }
tq_pass "tq-proxy stopped cleanly"
