#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proxy_http_test: tq-proxy --mode http (docs/tq-proxy.md, HTTP mode)
# between kernel clients (curl, wrk, python) in a netns and, over
# net_af_packet, two kernel nginx backends (IPv4 and IPv6) and a python
# backend (tests/lib/http_peer.py).  A 30 MB file byte-exact (HTTP/1.1
# and 1.0), wrk with no errors over both nginx, X-Forwarded-For and
# Forwarded as the backend sees them, POST bodies (Content-Length and
# chunked, 5 MB) intact, chunked answers (and de-chunked for HTTP/1.0),
# pipelined requests answered in order, HEAD, Host and path routing to
# pools, 413, 431, 502, 503 and 504.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init proxy_http_test
TQ_SERVER="$TQ_BUILD_DIR/apps/tq-proxy"
[[ -x $TQ_SERVER ]] || tq_fail "no $TQ_SERVER"
tq_require_tools nginx wrk curl sha256sum
py=$(tq_python)
peerpy="$TQ_LIB_DIR/http_peer.py"

# tq_engine_up picks the same free subnet: nothing is set up in between.
n=$(tq_free_subnet 10.234)
peer=10.234.$n.1
peer6=fd34:234:$n::1
eal=()
if [[ ${1:-} == workers ]]; then
	# Two workers on the two cores (oversubscribed: correctness only):
	# each backend leg, kept or not, must live on its client's worker.
	TQ_VDEV_ARGS=qpairs=2
	eal=(--lcores 0@0,1@1,2@1)
fi
tq_engine_up af_packet 10.234 fd34:234 "${eal[@]}" -- --mode http --listen 5000 \
	--backend "$peer:8081" --backend "[$peer6]:8082" \
	--route "b.example/=bonly" --backend "[$peer6]:8082,bonly" \
	--route "/py/=py" --backend "$peer:8090,py" \
	--route "/dead/=dead" --backend "$peer:8099,dead" \
	--route "/empty/=nothing" \
	--backend-timeout-ms 1000 --health-interval-ms 0 --health-fall 100 \
	--max-head 8192 --max-body 6000000 \
	--connect-timeout-ms 1000

www=$TQ_TMP/www
mkdir -p "$www"
chmod 755 "$TQ_TMP" "$www"
head -c 30000000 /dev/urandom >"$www/big"
head -c 1000 /dev/zero | tr '\0' x >"$www/small"
chmod 644 "$www"/*
sum=$(sha256sum "$www/big" | cut -d' ' -f1)

# proxy_nginx NAME LISTEN: as proxy_test's, with X-Forwarded-For and
# Forwarded in the access log.
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
	log_format fwd '\$remote_addr "\$request" host=\$host xff="\$http_x_forwarded_for" fwd="\$http_forwarded"';
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
proxy_nginx b "[$peer6]:8082"
tq_bg ip netns exec "$TQ_NS" "$py" "$peerpy" server "$peer" 8090
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8090 ' && break
	sleep 0.1
done

url=http://$TQ_ENG4:5000
dump() {
	tq_stats | awk '$2 != 0' >&2 || true
	tail -5 "$TQ_SERVER_LOG" >&2 || true
}
used() {
	grep -c "\"$2 " "$TQ_TMP/$1/access.log" 2>/dev/null || true
}
# code ARGS...: the status curl got.
code() {
	tq_peer curl -s -o "$TQ_TMP/body" -w '%{http_code}' -m 10 "$@" || true
}

# 1. 30 MB byte-exact through both backends, HTTP/1.1 and 1.0.
for v in "" "" -0; do
	got=$(tq_peer curl -sf $v "$url/big" | sha256sum | cut -d' ' -f1)
	[[ $got == "$sum" ]] || { dump; tq_fail "30 MB ${v:-1.1}: $got"; }
done
a=$(used a "GET /big")
b=$(used b "GET /big")
((a >= 1 && b >= 1)) || tq_fail "30 MB: a served $a, b $b"
# Content-Length bodies go by splice, no byte copied.
spliced=$(tq_ctr StreamSplicedBytes)
((spliced >= 89000000)) || tq_fail "StreamSplicedBytes $spliced: not by splice"
tq_pass "30 MB byte-exact three times (HTTP/1.1 and 1.0), a $a, b $b; spliced $spliced"

# 2. wrk (keep-alive, many requests on a connection): no errors.
a0=$(used a "GET /small")
b0=$(used b "GET /small")
out=$(tq_peer wrk -t2 -c16 -d3s "$url/small" 2>&1) || tq_fail "wrk: $out"
grep -qE 'Socket errors|Non-2xx' <<<"$out" && { dump; tq_fail "wrk errors: $out"; }
reqs=$(awk '/requests in/ {print $1}' <<<"$out")
a=$(($(used a "GET /small") - a0))
b=$(($(used b "GET /small") - b0))
((reqs > 100 && a > 0 && b > 0)) || { dump; tq_fail "wrk: $reqs requests, a $a, b $b"; }
tq_pass "wrk: $reqs requests, no errors (a $a, b $b)"
if ((${#eal[@]})); then
	per=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" --per-worker stats |
		awk '$1 == "ProxyHttpRequests" {printf "%s ", $2}')
	read -r w0 w1 <<<"$per"
	((${w0:-0} > 0 && ${w1:-0} > 0)) ||
		tq_fail "requests per worker: '$per': not both workers"
	tq_pass "both workers served (requests $w0 and $w1)"
fi

# 3. X-Forwarded-For appended, Forwarded added, as nginx logged them.
tq_peer curl -sf -o /dev/null -H 'X-Forwarded-For: 192.0.2.7' \
	"$url/small?xff" || tq_fail "xff request"
sleep 0.2
line=$(cat "$TQ_TMP"/[ab]/access.log | grep 'small?xff' || true)
# (nginx logs a '"' as \x22.)
grep -qF "xff=\"192.0.2.7, $peer\" fwd=\"for=$peer;proto=http;host=\\x22$TQ_ENG4:5000\\x22\"" <<<"$line" ||
	tq_fail "backend saw: $line"
tq_pass "X-Forwarded-For and Forwarded: $line"

# 4. Request bodies, Content-Length and chunked, 5 MB, intact.
head -c 5000000 /dev/urandom >"$TQ_TMP/post"
psum=$(sha256sum "$TQ_TMP/post" | cut -d' ' -f1)
s0=$(tq_ctr StreamSplicedBytes)
out=$(tq_peer curl -sf --data-binary @"$TQ_TMP/post" "$url/py/sum") ||
	{ dump; tq_fail "POST Content-Length"; }
[[ $out == "$psum 5000000" ]] || tq_fail "POST Content-Length: $out"
s=$(($(tq_ctr StreamSplicedBytes) - s0))
((s >= 4900000)) || tq_fail "POST Content-Length: $s bytes spliced"
out=$(tq_peer curl -sf -H 'Transfer-Encoding: chunked' \
	--data-binary @"$TQ_TMP/post" "$url/py/sum") ||
	{ dump; tq_fail "POST chunked"; }
[[ $out == "$psum 5000000" ]] || tq_fail "POST chunked: $out"
tq_pass "POST 5 MB intact, Content-Length and chunked: $out"

# 5. A chunked answer: on chunked to 1.1, de-chunked to 1.0; HEAD.
want=$(for ((i = 0; i < 2000; i++)); do echo "line $i"; done | sha256sum)
got=$(tq_peer curl -sf "$url/py/chunked?2000" | sha256sum)
[[ $got == "$want" ]] || tq_fail "chunked answer to 1.1"
hdr=$(tq_peer curl -sf -0 -D - -o "$TQ_TMP/c10" "$url/py/chunked?2000")
[[ $(sha256sum <"$TQ_TMP/c10") == "$want" ]] || tq_fail "chunked answer to 1.0"
grep -qi '^transfer-encoding' <<<"$hdr" && tq_fail "chunked to 1.0: $hdr"
grep -qi '^connection: close' <<<"$hdr" || tq_fail "1.0 not closed: $hdr"
out=$(tq_peer curl -sf -I "$url/py/chunked?5") || tq_fail "HEAD"
grep -q '^HTTP/1.1 200' <<<"$out" || tq_fail "HEAD: $out"
out=$(tq_peer curl -sf -I "$url/small") || tq_fail "HEAD small"
grep -qi '^content-length: 1000' <<<"$out" || tq_fail "HEAD small: $out"
# An answer ended by the backend's close: re-chunked to a 1.1 client,
# whose connection then serves a second request.
tq_peer curl -sf -v -o "$TQ_TMP/tc1" "$url/py/toclose?2000" \
	-o "$TQ_TMP/tc2" "$url/py/toclose?2000" 2>"$TQ_TMP/tc.err" ||
	{ dump; tq_fail "answer to the close: $(tail -5 "$TQ_TMP/tc.err")"; }
[[ $(sha256sum <"$TQ_TMP/tc1") == "$want" && $(sha256sum <"$TQ_TMP/tc2") == "$want" ]] ||
	tq_fail "answer to the close: not intact"
grep -qi '< transfer-encoding: chunked' "$TQ_TMP/tc.err" ||
	tq_fail "answer to the close not re-chunked"
grep -qiE 're-?using existing connection' "$TQ_TMP/tc.err" ||
	tq_fail "answer to the close: client connection not kept"
tq_pass "chunked answers: chunked to 1.1, bare to 1.0, read-to-close re-chunked (connection kept); HEAD without body"

# 6. Pipelining: eight requests in one write, answered in order.
out=$(tq_peer "$py" "$peerpy" pipeline "$TQ_ENG4" 5000 /py/echo 8) ||
	{ dump; tq_fail "pipeline: $out"; }
out2=$(tq_peer "$py" "$peerpy" pipeline "$TQ_ENG4" 5000 /py/echo 5 \
	halfclose) || { dump; tq_fail "pipeline, half-closed: $out2"; }
tq_pass "pipelining: $out; half-closed after them: $out2"

# 7. Routing: Host b.example to pool bonly (nginx b), /py/ to python.
a0=$(used a "GET /small?host")
b0=$(used b "GET /small?host")
for ((i = 0; i < 6; i++)); do
	tq_peer curl -sf -o /dev/null -H 'Host: B.Example:5000' \
		"$url/small?host" || tq_fail "Host routing request $i"
done
sleep 0.2
a=$(($(used a "GET /small?host") - a0))
b=$(($(used b "GET /small?host") - b0))
((a == 0 && b == 6)) || tq_fail "Host b.example: a $a, b $b"
out=$(tq_peer curl -sf "$url/py/who") || tq_fail "/py/"
[[ $out == "/py/who $TQ_ENG4:5000 $peer | for=$peer;proto=http;host=\"$TQ_ENG4:5000\"" ]] ||
	tq_fail "/py/ answered: $out"
tq_pass "routing: Host b.example to b only ($b), /py/ to python"

# 8. Backend connections kept and reused: twenty clients one after the
# other, few backend connections (the python backend numbers them).
r0=$(tq_ctr ProxyHttpBackendReused)
for ((i = 0; i < 20; i++)); do
	tq_peer curl -sf -D - -o /dev/null "$url/py/ka$i" |
		awk 'tolower($1) == "x-conn:" {print $2}' | tr -d '\r'
done >"$TQ_TMP/conns"
conns=$(sort -u "$TQ_TMP/conns" | wc -l)
reused=$(($(tq_ctr ProxyHttpBackendReused) - r0))
(($(wc -l <"$TQ_TMP/conns") == 20 && conns <= 2 && reused >= 18)) ||
	{ dump; tq_fail "keep-alive: 20 requests on $conns backend connections, $reused reused"; }
# The backend closes a connection idle for 2 s: the next request still
# gets through, on a new one.
sleep 2.5
tq_peer curl -sf -o /dev/null "$url/py/after-idle" ||
	{ dump; tq_fail "request after the backend's idle close"; }
# A kept connection reset unanswered (the backend dropped it just as
# the request came): the request goes again on a new one.
st0=$(tq_ctr ProxyHttpBackendStale)
for ((i = 0; i < 3; i++)); do
	tq_peer curl -sf -o /dev/null "$url/py/stale" ||
		{ dump; tq_fail "stale kept connection: request $i failed"; }
done
st=$(($(tq_ctr ProxyHttpBackendStale) - st0))
((st >= 2)) || { dump; tq_fail "stale kept connections: $st retried"; }
# wrk: many more requests than backend connections.
c0=$(tq_ctr ProxyBackendConnects)
q0=$(tq_ctr ProxyHttpRequests)
out=$(tq_peer wrk -t2 -c16 -d2s "$url/small" 2>&1) || tq_fail "wrk: $out"
grep -qE 'Socket errors|Non-2xx' <<<"$out" && { dump; tq_fail "wrk errors: $out"; }
c=$(($(tq_ctr ProxyBackendConnects) - c0))
q=$(($(tq_ctr ProxyHttpRequests) - q0))
((q > 1000 && c <= 40)) || { dump; tq_fail "wrk: $q requests over $c new backend connections"; }
tq_pass "backend keep-alive: 20 clients on $conns backend connection(s) ($reused reused); $st stale ones retried; wrk $q requests over $c new ones"

# 9. The proxy's own answers.
c=$(code "$url/dead/x")
[[ $c == 502 ]] || { dump; tq_fail "no backend reachable: $c"; }
grep -q "502 Bad Gateway" "$TQ_TMP/body" || tq_fail "502 body"
c=$(code "$url/empty/x")
[[ $c == 503 ]] || tq_fail "empty pool: $c"
t0=$(date +%s%N)
c=$(code "$url/py/hang")
t=$((($(date +%s%N) - t0) / 1000000))
[[ $c == 504 ]] || { dump; tq_fail "silent backend: $c"; }
((t >= 900 && t < 5000)) || tq_fail "504 after $t ms"
c=$(code -H "X-Big: $(head -c 10000 /dev/zero | tr '\0' y)" "$url/small")
[[ $c == 431 ]] || tq_fail "10 KB header over --max-head 8192: $c"
head -c 7000000 /dev/zero >"$TQ_TMP/post7"
c=$(code --data-binary @"$TQ_TMP/post7" "$url/py/sum")
[[ $c == 413 ]] || tq_fail "7 MB body over --max-body 6000000: $c"
c=$(code -H 'Transfer-Encoding: gzip' -d x "$url/py/sum")
[[ $c == 501 || $c == 400 ]] || tq_fail "unknown coding: $c"
tq_pass "own answers: 502, 503, 504 after $t ms, 431, 413, $c"
# Broken clients: answered (400, 505, 501) or dropped, nothing left.
out=$(tq_peer "$py" "$peerpy" abuse "$TQ_ENG4" 5000 /py/who 2>&1) ||
	{ dump; tq_fail "abuse: $out"; }
tq_pass "$out"
# After them all, the proxy still serves.
tq_peer curl -sf -o /dev/null "$url/small" || tq_fail "served no more"

# 10. Stats: requests and answers by class, per listener and backend.
reqs=$(tq_ctr ProxyHttpRequests)
ok=$(tq_ctr ProxyHttp2xx)
local5=$(tq_ctr ProxyHttpLocalAnswers)
((reqs >= 100 && ok >= 100 && local5 >= 4)) ||
	{ dump; tq_fail "counters: requests $reqs, 2xx $ok, local $local5"; }
((TQ_SERVER_PID)) && tq_alive "$TQ_SERVER_PID" || tq_fail "tq-proxy died"
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends) || tq_fail "tq-ctl backends"
tq_log "tq-ctl backends:"$'\n'"$out"
awk -v r="$reqs" -v a="$peer:8081" '
	$1 == "listen" && $9 == r {l++}
	$2 == a && $9 > 0 && $10 == $9 {b++}
	END {exit !(l == 1 && b == 1)}' <<<"$out" ||
	tq_fail "tq-ctl backends: no HTTP requests per listener and backend"
tq_pass "ProxyHttpRequests $reqs, ProxyHttp2xx $ok, local answers $local5; tq-ctl backends agrees"
# Nothing left behind: no client connection, no backend leg in use.
for ((i = 0; i < 30; i++)); do
	out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends)
	awk '$4 != 0 && $1 != "what" {n++} END {exit n > 0}' <<<"$out" && break
	sleep 0.1
done
awk '$4 != 0 && $1 != "what" {n++} END {exit n > 0}' <<<"$out" ||
	{ dump; tq_fail "connections left active: $out"; }
tq_pass "no connection left active"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || tq_fail "tq-proxy exited with $TQ_STOP_RC on SIGTERM"
tq_pass "tq-proxy stopped cleanly"

# 11. Health, from a --config file: a backend answering 500 to all.
# Passive: its 5xx answers eject it after --health-fall; active HTTP
# checks (--health-http) eject it with no traffic at all, though its TCP
# port is open.
tq_bg ip netns exec "$TQ_NS" "$py" "$peerpy" server "$peer" 8091 500
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8091 ' && break
	sleep 0.1
done
health_proxy() {
	cat >"$TQ_TMP/http.ini" <<INI
[net]
addr = $TQ_ENG4/24

[proxy]
mode = http
listen = 5001
backend = $peer:8090
backend = $peer:8091
route = /none/=nothing

[health]
health-interval-ms = $1
health-fall = 2
${2:+health-http = $2}
INI
	tq_server_start "$(tq_vdev_af_packet "${TQ_VDEV_ARGS:-}")" \
		"${eal[@]}" -- --config "$TQ_TMP/http.ini"
	tq_wait_ping "$TQ_ENG4"
}
health_proxy 0
c=$(code "http://$TQ_ENG4:5001/none/x")
[[ $c == 503 ]] || tq_fail "route from the config file: $c"
fives=0
for ((i = 0; i < 12; i++)); do
	c=$(code "http://$TQ_ENG4:5001/p$i")
	[[ $c == 500 ]] && fives=$((fives + 1))
	[[ $c == 500 || $c == 200 ]] || tq_fail "passive: request $i: $c"
done
((fives == 2 && $(tq_ctr ProxyEjects) == 1)) ||
	{ dump; tq_fail "passive: $fives answers 500, $(tq_ctr ProxyEjects) ejects"; }
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends) || tq_fail "tq-ctl backends"
awk -v a="$peer:8091" '$2 == a && $1 == "down" && $12 == 2 {f++}
	END {exit !f}' <<<"$out" || tq_fail "passive: tq-ctl backends: $out"
tq_pass "passive: two 500 answers, then ejected: the other 10 got 200"
tq_stop_pid "$TQ_SERVER_PID"
health_proxy 200 /health
for ((i = 0; i < 30; i++)); do
	(($(tq_ctr ProxyEjects) >= 1)) && break
	sleep 0.1
done
out=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" backends) || tq_fail "tq-ctl backends"
awk -v a="$peer:8091" -v b="$peer:8090" '
	$2 == a && $1 == "down" {d++} $2 == b && $1 == "up" {u++}
	END {exit !(d == 1 && u == 1)}' <<<"$out" ||
	{ dump; tq_fail "active HTTP checks: $out"; }
(($(tq_ctr ProxyHttpRequests) == 0)) || tq_fail "traffic before the check"
for ((i = 0; i < 6; i++)); do
	c=$(code "http://$TQ_ENG4:5001/a$i")
	[[ $c == 200 ]] || tq_fail "active: request $i: $c"
done
tq_pass "active HTTP checks: the 500 backend down with no traffic, all 6 to the other"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC == 0 ]] || tq_fail "tq-proxy exited with $TQ_STOP_RC on SIGTERM"
