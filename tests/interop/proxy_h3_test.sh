#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proxy_h3_test: tq-proxy --mode http --quic (docs/tq-proxy.md, HTTP/3
# front) between ngtcp2's gtlsclient in a netns and, over
# net_af_packet, two kernel nginx backends (IPv4 and IPv6) and a python
# backend (tests/lib/http_peer.py), with a certificate of our own
# (--cert/--key):
#  - a 16 MB file byte-exact, three times, both nginx used;
#  - eight requests on parallel streams of one connection, byte-exact;
#  - X-Forwarded-For and Forwarded (proto=https) as the backends see
#    them (nginx's log, the python backend's echo);
#  - a POST body (2 MB) intact at the backend (its SHA-256), a 4 MB one
#    over --max-body answered 413;
#  - 502 (backend refuses), 503 (empty pool), 504 (backend silent), and
#    502 with both nginx stopped, as HTTP/3 answers;
#  - a client that stops reading mid-answer: the proxy stops reading
#    the backend; gone: the backend leg reset, not kept;
#  - the front's stats: tq-ctl stats, tq-ctl backends, /metrics;
#  - from a --config file: the front alone, a 5xx backend ejected
#    (passive health), then 503.
#  - a reload swapping the backend: the next request goes to the new
#    one; a reload moving the quic port is refused.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init proxy_h3
TQ_SERVER="$TQ_BUILD_DIR/apps/tq-proxy"
[[ -x $TQ_SERVER ]] || tq_fail "no $TQ_SERVER"
tq_require_tools nginx gtlsclient openssl sha256sum curl
py=$(tq_python)
peerpy="$TQ_LIB_DIR/http_peer.py"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout "$TQ_TMP/key.pem" -out "$TQ_TMP/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1 || tq_fail "openssl: no certificate"

# tq_engine_up picks the same free subnet: nothing is set up in between.
mport=$((20000 + $$ % 20000))
n=$(tq_free_subnet 10.236)
peer=10.236.$n.1
peer6=fd36:236:$n::1
eal=()
if [[ ${1:-} == workers ]]; then
	# Two workers on the two cores (oversubscribed: correctness only):
	# each QUIC connection's backend legs live on its worker.
	TQ_VDEV_ARGS=qpairs=2
	eal=(--lcores 0@0,1@1,2@1)
fi
tq_engine_up af_packet 10.236 fd36:236 "${eal[@]}" -- --mode http --listen 5000 \
	--quic 4433 --cert "$TQ_TMP/cert.pem" --key "$TQ_TMP/key.pem" \
	--backend "$peer:8081" --backend "[$peer6]:8082" \
	--route "/py/=py" --backend "$peer:8090,py" \
	--route "/dead/=dead" --backend "$peer:8099,dead" \
	--route "/empty/=nothing" \
	--backend-timeout-ms 1000 --health-interval-ms 0 --health-fall 100 \
	--connect-timeout-ms 1000 --metrics "127.0.0.1:$mport" \
	--quic-idle-ms 3000 --max-body 3000000
grep -q "self-signed" "$TQ_SERVER_LOG" &&
	tq_fail "--cert/--key not taken: a self-signed certificate was made"

www=$TQ_TMP/www
mkdir -p "$www"
chmod 755 "$TQ_TMP" "$www"
head -c 16000000 /dev/urandom >"$www/big"
head -c 100000000 /dev/urandom >"$www/huge"
for i in 1 2 3 4 5 6 7 8; do
	head -c $((100000 * i + 7)) /dev/urandom >"$www/s$i"
done
chmod 644 "$www"/*
sha() { sha256sum <"$1" | cut -c1-64; }

# h3_nginx NAME LISTEN: nginx with X-Forwarded-For and Forwarded in its
# access log.
h3_nginx() {
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
	log_format fwd '\$remote_addr "\$request" host=\$host xff="\$http_x_forwarded_for" fwd="\$http_forwarded" status=\$status bytes=\$body_bytes_sent';
	access_log $d/access.log fwd;
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
				"http://$2/s1"; then
			TQ_PIDS+=("$pid")
			eval "NGINX_$1=$pid"
			return 0
		fi
		sleep 0.1
	done
	cat "$d/error.log" "$d/stdout.log" >&2 2>/dev/null || true
	tq_fail "nginx $1 did not start"
}
h3_nginx a "$peer:8081"
h3_nginx b "[$peer6]:8082"
tq_bg ip netns exec "$TQ_NS" "$py" "$peerpy" server "$peer" 8090
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8090 ' && break
	sleep 0.1
done

dump() {
	tq_stats | awk '$2 != 0' >&2 || true
	tail -5 "$TQ_SERVER_LOG" >&2 || true
}
used() {
	grep -c "\"$2 " "$TQ_TMP/$1/access.log" 2>/dev/null || true
}
# get DIR [gtlsclient options] URI...: downloads into DIR; the log in
# DIR.log, with the answers' heads when V=1 (and every packet: keep it
# for small answers).
get() {
	local dir=$1 q=-q
	shift
	[[ ${V:-} == 1 ]] && q=
	rm -rf "$dir"
	mkdir -p "$dir"
	tq_peer timeout 60 gtlsclient $q --exit-on-all-streams-close \
		--timeout=10s --download="$dir" "$TQ_ENG4" 4433 "$@" \
		>"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; dump; return 1; }
}
# status LOG: the :status values of the answers, in order of arrival.
status() {
	grep -o ':status: [0-9]*' "$1" | awk '{print $2}' | tr '\n' ' '
}
url=https://$TQ_ENG4:4433

# 1. 16 MB byte-exact, three times over as many connections: both nginx.
t0=$(date +%s%N)
for i in 1 2 3; do
	d=$TQ_TMP/big$i
	get "$d" "$url/big" || tq_fail "16 MB #$i: gtlsclient failed"
	[[ -f $d/big && $(sha "$d/big") == "$(sha "$www/big")" ]] ||
		{ dump; tq_fail "16 MB #$i: differs ($(stat -c %s "$d/big" 2>/dev/null) bytes)"; }
done
a=$(used a "GET /big")
b=$(used b "GET /big")
((a >= 1 && b >= 1 && a + b == 3)) || tq_fail "16 MB: a served $a, b $b"
tq_pass "16 MB byte-exact three times, nginx a $a, b $b, $((($(date +%s%N) - t0) / 1000000)) ms"

# 2. Eight requests on parallel streams of one connection.
ns() { grep -cE '"GET /s[0-9] ' "$TQ_TMP/$1/access.log" || true; }
a0=$(ns a)
b0=$(ns b)
d=$TQ_TMP/par
uris=()
for i in 1 2 3 4 5 6 7 8; do uris+=("$url/s$i"); done
get "$d" "${uris[@]}" || tq_fail "parallel: gtlsclient failed"
for i in 1 2 3 4 5 6 7 8; do
	[[ -f $d/s$i && $(sha "$d/s$i") == "$(sha "$www/s$i")" ]] ||
		{ dump; tq_fail "parallel: s$i differs"; }
done
a=$(($(ns a) - a0))
b=$(($(ns b) - b0))
((a + b == 8 && a >= 1 && b >= 1)) || tq_fail "parallel: a $a, b $b"
tq_pass "8 requests on parallel streams of one connection byte-exact, a $a, b $b"

# 3. X-Forwarded-For and Forwarded, as nginx logged them and the
# python backend echoes them.
line=$(grep '"GET /big ' "$TQ_TMP/a/access.log" | tail -1)
[[ $line == *"xff=\"$peer\""* ]] || tq_fail "nginx saw no X-Forwarded-For $peer: $line"
# (a host with a port is a quoted-string; nginx logs the quotes \x22)
[[ $line == *"fwd=\"for=$peer;proto=https;host=\\x22$TQ_ENG4:4433\\x22\""* ]] ||
	tq_fail "nginx saw no Forwarded: $line"
[[ $line == *"host=$TQ_ENG4"* ]] || tq_fail "nginx saw no Host: $line"
d=$TQ_TMP/echo
V=1 get "$d" "$url/py/echo?q=1" || tq_fail "echo: gtlsclient failed"
got=$(cat "$d/echo?q=1" 2>/dev/null || cat "$d/echo" 2>/dev/null || true)
[[ $got == "/py/echo?q=1 $TQ_ENG4:4433 $peer | for=$peer;proto=https;host=\"$TQ_ENG4:4433\"" ]] ||
	tq_fail "echo: '$got'"
tq_pass "X-Forwarded-For and Forwarded as nginx and python saw them: $got"

# 4. A POST body, 2 MB, intact at the backend.
head -c 2000000 /dev/urandom >"$TQ_TMP/post"
d=$TQ_TMP/post-dl
get "$d" --data="$TQ_TMP/post" "$url/py/sum" || tq_fail "POST: gtlsclient failed"
[[ $(cat "$d/sum" 2>/dev/null) == "$(sha "$TQ_TMP/post") 2000000" ]] ||
	{ dump; tq_fail "POST: backend got '$(cat "$d/sum" 2>/dev/null)'"; }
head -c 4000000 /dev/urandom >"$TQ_TMP/post4"
get "$d" --data="$TQ_TMP/post4" "$url/py/sum" || tq_fail "413: gtlsclient failed"
[[ $(cat "$d/sum" 2>/dev/null) == "413 Content Too Large" ]] ||
	tq_fail "4 MB POST over --max-body: '$(head -c 80 "$d/sum" 2>/dev/null)'"
tq_pass "2 MB POST body intact at the backend; 4 MB over --max-body: 413"

# 5. The proxy's own answers, as HTTP/3 answers.
d=$TQ_TMP/err
V=1 get "$d" "$url/dead/x" || tq_fail "502: gtlsclient failed"
[[ $(status "$d.log") == "502 " && $(cat "$d/x") == "502 Bad Gateway" ]] ||
	tq_fail "refused backend: '$(status "$d.log")' '$(cat "$d/x" 2>/dev/null)'"
V=1 get "$d" "$url/empty/x" || tq_fail "503: gtlsclient failed"
[[ $(status "$d.log") == "503 " && $(cat "$d/x") == "503 Service Unavailable" ]] ||
	tq_fail "empty pool: '$(status "$d.log")'"
t0=$(date +%s%N)
V=1 get "$d" "$url/py/hang" || tq_fail "504: gtlsclient failed"
t=$((($(date +%s%N) - t0) / 1000000))
[[ $(status "$d.log") == "504 " ]] || tq_fail "silent backend: '$(status "$d.log")'"
((t >= 900)) || tq_fail "504 after $t ms, before --backend-timeout-ms"
tq_pass "502 (refused), 503 (empty pool), 504 after $t ms (silent backend)"

# 6. Stats.
req=$(tq_ctr ProxyQuicRequests)
((req == 17)) || tq_fail "ProxyQuicRequests $req, want 17"
((($(tq_ctr ProxyQuic2xx) == 13) && $(tq_ctr ProxyQuic5xx) == 3 &&
	$(tq_ctr ProxyQuic4xx) == 1)) ||
	tq_fail "ProxyQuic2xx $(tq_ctr ProxyQuic2xx), 5xx $(tq_ctr ProxyQuic5xx)"
(($(tq_ctr ProxyQuicLocalAnswers) == 4)) || tq_fail "ProxyQuicLocalAnswers"
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends) || tq_fail "tq-ctl backends"
grep -qE '^quic +4433 ' <<<"$out" || tq_fail "tq-ctl backends: no quic row: $out"
page=$(curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics") ||
	tq_fail "GET /metrics failed"
{
	grep -qE '^tachyon_proxy_listener_requests_total\{port="4433",proto="quic"\} [1-9]' <<<"$page" ||
		tq_fail "/metrics: no quic listener requests"
}
tq_pass "stats: $req requests, tq-ctl backends has the quic row"
if ((${#eal[@]})); then
	per=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" --per-worker stats |
		awk '$1 == "ProxyQuicRequests" {printf "%s ", $2}')
	read -r w0 w1 <<<"$per"
	((${w0:-0} > 0 && ${w1:-0} > 0)) ||
		tq_fail "requests per worker: '$per': not both workers"
	tq_pass "both workers served (requests $w0 and $w1)"
fi

# 7. A client that stops reading in the middle of a 100 MB answer: the
# proxy stops too (what it hands on stalls, nginx is not read: bounded);
# then it is gone: its exchange ends (QUIC's idle timeout, 3 s), the
# backend leg is reset, not kept.
parked0=$(tq_ctr ProxyHttpBackendParked)
ab0=$(tq_ctr ProxyQuicAborted)
down0=$(tq_ctr ProxyBytesDown)
rm -rf "$TQ_TMP/huge-dl"
mkdir -p "$TQ_TMP/huge-dl"
tq_bg ip netns exec "$TQ_NS" gtlsclient -q --download="$TQ_TMP/huge-dl" \
	"$TQ_ENG4" 4433 "$url/huge"
cpid=$TQ_BG_PID
for ((i = 0; i < 300; i++)); do
	(($(tq_ctr ProxyBytesDown) - down0 >= 1000000)) && break
	sleep 0.05
done
kill -STOP "$cpid"
sleep 2
d1=$(tq_ctr ProxyBytesDown)
sleep 2
d2=$(tq_ctr ProxyBytesDown)
kill -KILL "$cpid"
kill -CONT "$cpid" 2>/dev/null || true
tq_stop_pid "$cpid" 1
((d2 == d1 && d1 - down0 < 100000000)) ||
	tq_fail "stopped client: the proxy went on handing bytes ($((d1 - down0)), then $((d2 - down0)))"
for ((i = 0; i < 100; i++)); do
	(($(tq_ctr ProxyQuicAborted) > ab0)) &&
		grep -q '"GET /huge ' "$TQ_TMP"/[ab]/access.log && break
	sleep 0.1
done
(($(tq_ctr ProxyQuicAborted) == ab0 + 1)) ||
	{ dump; tq_fail "abort: ProxyQuicAborted $(tq_ctr ProxyQuicAborted), was $ab0"; }
(($(tq_ctr ProxyHttpBackendParked) == parked0)) ||
	tq_fail "abort: the backend leg was kept"
line=$(grep -h '"GET /huge ' "$TQ_TMP"/[ab]/access.log) ||
	tq_fail "abort: nginx logged no end of the /huge request"
[[ $line =~ bytes=([0-9]+) ]] && ((BASH_REMATCH[1] < 100000000)) ||
	tq_fail "abort: nginx sent all: $line"
tq_pass "client stopped after $((d1 - down0)) bytes: nothing more handed on; gone: exchange aborted, backend leg reset after ${BASH_REMATCH[1]} bytes, not kept"

# 8. Both nginx stopped: 502 as an HTTP/3 answer.
tq_stop_pid "$NGINX_a"
tq_stop_pid "$NGINX_b"
V=1 get "$d" "$url/s1" || tq_fail "backends down: gtlsclient failed"
[[ $(status "$d.log") == "502 " ]] ||
	tq_fail "backends down: '$(status "$d.log")', want 502"
tq_pass "both nginx stopped: 502"

tq_alive "$TQ_SERVER_PID" || tq_fail "tq-proxy died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-proxy exited with $TQ_STOP_RC"

# 9. From a --config file, the front alone (no --listen), its
# certificate in [quic]; a backend answering 500 to all: its answers go
# on, and eject it after --health-fall (passive health), then 503.
tq_bg ip netns exec "$TQ_NS" "$py" "$peerpy" server "$peer" 8091 500
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8091 ' && break
	sleep 0.1
done
cat >"$TQ_TMP/h3.ini" <<INI
[net]
addr = $TQ_ENG4/24

[proxy]
mode = http
quic = 4433
backend = $peer:8091

[quic]
quic-cert = $TQ_TMP/cert.pem
quic-key = $TQ_TMP/key.pem

[health]
health-interval-ms = 0
health-fall = 2
INI
tq_server_start "$(tq_vdev_af_packet "${TQ_VDEV_ARGS:-}")" "${eal[@]}" \
	-- --config "$TQ_TMP/h3.ini"
tq_wait_ping "$TQ_ENG4"
grep -q "self-signed" "$TQ_SERVER_LOG" &&
	tq_fail "config: [quic] quic-cert not taken"
got=
for i in 1 2 3; do
	V=1 get "$d" "$url/f$i" || tq_fail "config: gtlsclient $i failed"
	got+=$(status "$d.log")
done
[[ $got == "500 500 503 " ]] || { dump; tq_fail "config, 5xx backend: '$got'"; }
[[ $(cat "$d/f3") == "503 Service Unavailable" ]] || tq_fail "config: 503 body"
(($(tq_ctr ProxyEjects) == 1)) || tq_fail "config: ProxyEjects $(tq_ctr ProxyEjects)"
tq_pass "from --config: 500, 500 passed on, the backend ejected, then 503"

# 10. A reload that swaps the backend (the ejected 500 one for the
# python one on 8090): the next HTTP/3 request goes to the new backend
# (the old generation would answer 503).  A reload moving the front's
# UDP port is refused and the front goes on.
sed -i "s/^backend = .*/backend = $peer:8090/" "$TQ_TMP/h3.ini"
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) ||
	tq_fail "reload (new backend) refused: $out"
V=1 get "$d" "$url/f4" || tq_fail "after reload: gtlsclient failed"
[[ $(status "$d.log") == "200 " &&
	$(cat "$d/f4") == "/f4 $TQ_ENG4:4433 $peer | "* ]] ||
	{ dump; tq_fail "after reload: '$(status "$d.log")' '$(cat "$d/f4" 2>/dev/null)'"; }
sed -i "s/^quic = 4433/quic = 4434/" "$TQ_TMP/h3.ini"
rc=0
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" reload 2>&1) || rc=$?
((rc != 0)) && [[ $out == *quic* ]] ||
	tq_fail "reload moving the quic port: rc $rc: $out"
V=1 get "$d" "$url/f5" || tq_fail "after refused reload: gtlsclient failed"
[[ $(status "$d.log") == "200 " ]] ||
	tq_fail "after refused reload: '$(status "$d.log")'"
tq_pass "reload: the next HTTP/3 request went to the new backend; a new quic port refused"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-proxy (config) exited with $TQ_STOP_RC"
tq_pass "all checks passed"
