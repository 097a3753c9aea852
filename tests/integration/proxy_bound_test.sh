#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proxy_bound_test: tq-proxy's memory per connection stays under
# --max-conn-buf whatever the peers do.  A kernel client reads a 30 MB
# file from a kernel nginx through tq-proxy at 100 KB/s: nginx is far
# faster, so without the bound the proxy would hold everything its
# default buffers take.  The mbufs in use (the Prometheus mempool gauge
# of --metrics) may grow by at most what --max-conn-buf allows; then the
# client reads the rest at full speed and the file must be byte-exact.
# (With the engine's default 256 KB buffers on both legs the same run
# grows by about 370 mbufs; with --max-conn-buf 32768 by about 15, under
# the bound of 128; with 262144, by about 95.)  With "http": the same
# through --mode http, whose own buffers are copies outside the mbufs.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init proxy_bound_test
TQ_SERVER="$TQ_BUILD_DIR/apps/tq-proxy"
[[ -x $TQ_SERVER ]] || tq_fail "no $TQ_SERVER"
tq_require_tools nginx curl sha256sum
py=$(tq_python)
client="$TQ_LIB_DIR/proxy_client.py"
buf=${PROXY_MAX_CONN_BUF:-32768}
mport=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

n=$(tq_free_subnet 10.234)
peer=10.234.$n.1
mode=()
[[ ${1:-} == http ]] && mode=(--mode http)
tq_engine_up af_packet 10.234 fd34:234 -- "${mode[@]}" --listen 5000 \
	--backend "$peer:8081" --max-conn-buf "$buf" \
	--metrics "127.0.0.1:$mport"

d=$TQ_TMP/nginx
mkdir -p "$d/www"
chmod 755 "$TQ_TMP" "$d" "$d/www"
head -c 30000000 /dev/urandom >"$d/www/big"
chmod 644 "$d/www/big"
sum=$(sha256sum "$d/www/big" | cut -d' ' -f1)
cat >"$d/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	send_timeout 120s;
	server {
		listen $peer:8081;
		root $d/www;
	}
}
NGINX
tq_peer nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" >"$d/out.log" 2>&1 &
for ((i = 0; i < 100; i++)); do
	pid=$(cat "$d/nginx.pid" 2>/dev/null || true)
	[[ -n $pid ]] && tq_peer ss -ltn | grep -q ':8081 ' && break
	sleep 0.1
done
[[ -n $pid ]] || tq_fail "nginx did not start"
TQ_PIDS+=("$pid")

in_use() {
	curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics" |
		awk '/^tachyon_mempool_mbufs_in_use/ {s += $2} END {print s + 0}'
}
base=$(in_use)
tq_peer "$py" "$client" slow "$TQ_ENG4" 5000 /big "$sum" 100000 8 \
	>"$TQ_TMP/slow.log" 2>&1 &
cpid=$!
max=$base
for ((i = 0; i < 14; i++)); do
	sleep 0.5
	v=$(in_use)
	((v > max)) && max=$v
done
wait "$cpid" || { cat "$TQ_TMP/slow.log" >&2; tq_fail "slow client failed"; }
# The send queues count one mbuf per 512 bytes, the receive queues
# hold at most their bytes in full-sized segments: twice buf/512 covers
# all four queues of the one connection.
bound=$((2 * buf / 512))
grew=$((max - base))
tq_log "mbufs in use: $base idle, $max at most while the client read slowly"
((grew <= bound)) ||
	tq_fail "mbufs in use grew by $grew, over the bound $bound for --max-conn-buf $buf"
tq_pass "slow reader: mbufs grew by $grew (bound $bound); $(cat "$TQ_TMP/slow.log" | tail -1)"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-proxy died"
