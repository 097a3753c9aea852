#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# http_test: tq-server's --http file service against the kernel's curl,
# wrk and a raw-socket client, over IPv4 and IPv6:
#  - curl downloads (0 B, 1 B, 100 KB, 20 MB) match by sha256;
#  - HEAD, 403, 404, 405, 400 (garbage, then closed), 414, 431, 505;
#  - escapes (/../, %2e%2e, symlinks out of the root) never leave it;
#  - keep-alive: curl reuses the connection; Connection: close and
#    HTTP/1.0 close it; pipelined requests are answered in order;
#  - wrk, keep-alive and Connection: close, 2 s each: no socket errors,
#    no non-2xx but on a missing file (where all are 404);
#  - small files served from the worker's file cache, a file changed on
#    disk (rewritten, renamed over, removed) served new after 1.2 s;
#  - at exit every connection was closed and every mapping unmapped;
#  - downloads stay byte-exact under --fault drop/reorder/dup/corrupt.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init http
tq_require_tools curl wrk sha256sum mkfifo head
py=$(tq_python)

# ---- the document root ----
doc=$TQ_TMP/doc
out=$TQ_TMP/outside
mkdir -p "$doc/sub" "$doc/emptydir" "$out"
: >"$doc/empty.bin"
printf x >"$doc/one.txt"
head -c 100000 /dev/urandom >"$doc/r100k.bin"
head -c 20000000 /dev/urandom >"$doc/r20m.bin"
echo '<h1>tachyon</h1>' >"$doc/index.html"
echo '<p>sub</p>' >"$doc/sub/index.html"
echo '{"a": 1}' >"$doc/a.json"
echo "secret-$$" >"$out/secret.txt"
ln -s "$out/secret.txt" "$doc/link_out.txt"
ln -s "$out" "$doc/outdir"
ln -s one.txt "$doc/link_in.txt"
mkfifo "$doc/fifo"

tq_engine_up af_packet 10.97 fd97:97 -- --http 80 --docroot "$doc"
h4=$TQ_ENG4
h6="[$TQ_ENG6]"

# ---- a raw client: send bytes, print each response in order ----
# Request text takes \r \n escapes and {N} for N bytes of 'a'.  Prints
# "STATUS:LEN:CONNECTION:SHA12 ... => closed|open|RESET".
raw=$TQ_TMP/http_raw.py
cat >"$raw" <<'EOF'
import hashlib, re, socket, sys

host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = re.sub(r'\{(\d+)\}', lambda m: 'a' * int(m.group(1)), text)
data = text.encode().decode('unicode_escape').encode('latin1')
heads = re.findall(rb'(?:^|\n)([A-Z]+) \S+ HTTP/', data)
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
s.settimeout(3)
s.connect((host, port))
s.sendall(data)
if len(sys.argv) > 4 and sys.argv[4] == 'shut':
    s.shutdown(socket.SHUT_WR)
buf, resps, cur, how = bytearray(), [], None, 'closed'
while True:
    try:
        b = s.recv(1 << 20)
    except socket.timeout:
        how = 'open'
        break
    except ConnectionResetError:
        how = 'RESET'
        break
    if not b:
        break
    buf += b
    while True:
        if cur is None:
            i = buf.find(b'\r\n\r\n')
            if i < 0:
                break
            lines = bytes(buf[:i]).decode('latin1').split('\r\n')
            del buf[:i + 4]
            f = dict((k.strip().lower(), v.strip()) for k, _, v in
                     (l.partition(':') for l in lines[1:]))
            n = int(f.get('content-length', '0'))
            head = len(resps) < len(heads) and heads[len(resps)] == b'HEAD'
            cur = [lines[0].split(' ')[1], n, f.get('connection', '-'),
                   0 if head else n, hashlib.sha256()]
        k = min(cur[3], len(buf))
        cur[4].update(buf[:k])
        del buf[:k]
        cur[3] -= k
        if cur[3]:
            break
        resps.append('%s:%d:%s:%s' % (cur[0], cur[1], cur[2],
                                      cur[4].hexdigest()[:12]))
        cur = None
s.close()
if cur is not None:
    resps.append('%s:INCOMPLETE' % cur[0])
if buf:
    resps.append('EXTRA:%d' % len(buf))
print(' '.join(resps) + ' => ' + how)
EOF

# raw_expect TEXT PATTERN [shut]: the raw client's output matches PATTERN.
raw_expect() {
	local text=$1 pat=$2 got
	got=$(tq_peer "$py" "$raw" "$TQ_ENG4" 80 "$text" ${3:-}) ||
		tq_fail "raw client failed on '${text:0:60}'"
	[[ $got =~ $pat ]] ||
		tq_fail "'${text:0:60}': got '$got', want /$pat/"
	tq_pass "raw '${text:0:40}': $got"
}

sha() { sha256sum | cut -c1-64; }

# ---- downloads ----
for f in empty.bin one.txt r100k.bin r20m.bin index.html; do
	want=$(sha <"$doc/$f")
	for h in "$h4" "$h6"; do
		got=$(tq_peer curl -sS -g --fail --max-time 60 "http://$h/$f" | sha) ||
			tq_fail "curl http://$h/$f failed"
		[[ $got == "$want" ]] || tq_fail "http://$h/$f: sha256 $got, want $want"
	done
	tq_pass "GET /$f over IPv4 and IPv6: sha256 matches"
done

# code URL [curl args...]: the status curl sees.
code() {
	local url=$1
	shift
	tq_peer curl -sS -g -o /dev/null --max-time 10 -w '%{http_code}' "$@" "$url"
}

expect_code() {
	local want=$1 url=$2 got
	shift 2
	got=$(code "$url" "$@") || tq_fail "curl $url failed"
	[[ $got == "$want" ]] || tq_fail "$url: status $got, want $want"
}

# ---- status codes ----
expect_code 200 "http://$h4/"
expect_code 200 "http://$h6/sub/"
expect_code 200 "http://$h4/sub"
expect_code 200 "http://$h4/link_in.txt"
expect_code 200 "http://$h4/index.html?q=1"
expect_code 404 "http://$h4/nope"
expect_code 404 "http://$h6/one.txt/"
expect_code 403 "http://$h4/emptydir/"
expect_code 403 "http://$h4/fifo"
expect_code 405 "http://$h4/" -X OPTIONS
expect_code 405 "http://$h4/one.txt" -X DELETE
ct=$(tq_peer curl -sS -o /dev/null -w '%{content_type}' "http://$h4/a.json")
[[ $ct == application/json ]] || tq_fail "a.json: Content-Type '$ct'"
ct=$(tq_peer curl -sS -o /dev/null -w '%{content_type}' "http://$h4/r100k.bin")
[[ $ct == application/octet-stream ]] || tq_fail "r100k.bin: Content-Type '$ct'"
hdrs=$(tq_peer curl -sS -D - -o /dev/null -X DELETE "http://$h4/")
grep -qi '^Allow: GET, HEAD, POST, PUT' <<<"$hdrs" || tq_fail "405 without Allow: $hdrs"
tq_pass "200 / index.html / symlink in the root, 403, 404, 405 with Allow, Content-Type"

# HEAD: the headers of a GET, no body (the GET after it parses right).
hdrs=$(tq_peer curl -sS -I "http://$h4/r20m.bin")
grep -q '^HTTP/1.1 200' <<<"$hdrs" || tq_fail "HEAD: $hdrs"
grep -qi '^Content-Length: 20000000' <<<"$hdrs" || tq_fail "HEAD without Content-Length: $hdrs"
grep -qi '^Date: ' <<<"$hdrs" || tq_fail "no Date: $hdrs"
grep -qi '^Server: ' <<<"$hdrs" || tq_fail "no Server: $hdrs"
s1=$(sha <"$doc/one.txt" | cut -c1-12)
raw_expect 'HEAD /r20m.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /one.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
	"^200:20000000:-:e3b0c44298fc 200:1:close:$s1 => closed\$"

# ---- escapes: nothing outside the root, whatever the spelling ----
for p in /../etc/passwd /%2e%2e/%2e%2e/etc/passwd /sub/..%2f..%2fetc/passwd \
		'/a%00b' /x%zz; do
	expect_code 400 "http://$h4$p" --path-as-is
done
expect_code 404 "http://$h4/link_out.txt"
expect_code 404 "http://$h4/outdir/secret.txt"
body=$(tq_peer curl -sS --path-as-is "http://$h4/outdir/secret.txt" || true)
[[ $body != *secret-* ]] || tq_fail "a symlink led out of the root"
tq_pass "escapes: .. and %2e%2e are 400, symlinks out of the root 404"

# ---- malformed requests: the error, then the connection closes ----
raw_expect 'garbage\r\n\r\n' '^400:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n' '^400:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/1.1\r\n folded\r\n\r\n' '^400:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello' '^400:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' '^400:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/2.0\r\n\r\n' '^505:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET /{3000} HTTP/1.1\r\n\r\n' '^414:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET /{10000} HTTP/1.1\r\n\r\n' '^414:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/1.1\r\nX: {9000}\r\n\r\n' '^431:[0-9]+:close:[0-9a-f]+ => closed$'
raw_expect 'GET / HTTP/1.1\r\nX: {8000}\r\n\r\n' '^200:[0-9]+:-:[0-9a-f]+ => open$'
raw_expect 'GET / HTTP/1.1\r\nHost: a\r\n\r\nBLAH\r\n\r\nGET / HTTP/1.1\r\n\r\n' \
	'^200:[0-9]+:-:[0-9a-f]+ 400:[0-9]+:close:[0-9a-f]+ => closed$'

# ---- persistence ----
s100=$(sha <"$doc/r100k.bin" | cut -c1-12)
raw_expect 'GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /r100k.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /one.txt HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n' \
	"^200:1:-:$s1 200:100000:-:$s100 404:[0-9]+:-:[0-9a-f]+ 200:1:close:$s1 => closed\$"
raw_expect 'GET /one.txt HTTP/1.0\r\n\r\n' "^200:1:close:$s1 => closed\$"
raw_expect 'GET /one.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' "^200:1:keep-alive:$s1 => open\$"
raw_expect 'GET /one.txt HTTP/1.1\r\n\r\n' "^200:1:-:$s1 => closed\$" shut
v=$(tq_peer curl -sS -v -o /dev/null -o /dev/null "http://$h4/one.txt" "http://$h4/r100k.bin" 2>&1)
grep -q 'Re-using existing connection' <<<"$v" || { echo "$v" >&2; tq_fail "curl did not reuse the connection (IPv4)"; }
v=$(tq_peer curl -sS -g -v -o /dev/null -o /dev/null "http://$h6/one.txt" "http://$h6/" 2>&1)
grep -q 'Re-using existing connection' <<<"$v" || { echo "$v" >&2; tq_fail "curl did not reuse the connection (IPv6)"; }
v=$(tq_peer curl -sS -v -H 'Connection: close' -o /dev/null -o /dev/null "http://$h4/one.txt" "http://$h4/one.txt" 2>&1)
grep -q 'Re-using existing connection' <<<"$v" && tq_fail "a Connection: close connection was reused"
grep -qi '^< Connection: close' <<<"$v" || tq_fail "no Connection: close in the response"
tq_pass "keep-alive reused, pipelined in order, Connection: close and HTTP/1.0 closed"

# ---- wrk ----
# wrk_run WANT_NON2XX ARGS...: no socket errors; non-2xx must be none
# (WANT_NON2XX 0) or every request (1).
wrk_run() {
	local all=$1 o n non
	shift
	o=$(tq_peer wrk -t2 -c32 -d2s "$@" 2>&1) || { echo "$o" >&2; tq_fail "wrk $* failed"; }
	n=$(awk '/requests in/ {print $1}' <<<"$o")
	non=$(awk '/Non-2xx/ {print $NF}' <<<"$o")
	[[ -n $n && $n -gt 0 ]] || { echo "$o" >&2; tq_fail "wrk $*: no requests"; }
	grep -q 'Socket errors' <<<"$o" && { echo "$o" >&2; tq_fail "wrk $*: socket errors"; }
	if ((all)); then
		[[ ${non:-0} -eq $n ]] || { echo "$o" >&2; tq_fail "wrk $*: $n requests, ${non:-0} non-2xx"; }
	else
		[[ -z $non ]] || { echo "$o" >&2; tq_fail "wrk $*: $non non-2xx responses"; }
	fi
	tq_pass "wrk $*: $n requests, $(awk '/Requests\/sec/ {print $2}' <<<"$o") req/s, no socket errors"
}
wrk_run 0 "http://$h4/index.html"
wrk_run 0 -H 'Connection: close' "http://$h4/index.html"
wrk_run 0 "http://$h6/r100k.bin"
wrk_run 1 "http://$h4/nope"

# ---- the file cache: a file changed on disk is served new ----
# Small files stay mapped per worker and are checked again after 1 s:
# rewritten in place (same size, new mtime), replaced by a rename (new
# inode), removed (404).
printf 'version-1\n' >"$doc/changing.txt"
for i in 1 2 3; do
	got=$(tq_peer curl -sS "http://$h4/changing.txt")
	[[ $got == version-1 ]] || tq_fail "cache: got '$got', want version-1"
done
printf 'version-2\n' >"$doc/changing.txt"
sleep 1.2
got=$(tq_peer curl -sS "http://$h4/changing.txt")
[[ $got == version-2 ]] || tq_fail "cache: rewritten file served as '$got' after 1.2 s"
printf 'version-3\n' >"$doc/changing.tmp"
mv "$doc/changing.tmp" "$doc/changing.txt"
sleep 1.2
got=$(tq_peer curl -sS "http://$h4/changing.txt")
[[ $got == version-3 ]] || tq_fail "cache: renamed-over file served as '$got' after 1.2 s"
got=$(tq_peer curl -sS -I "http://$h4/changing.txt" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-length" {print $2}')
[[ $got == 10 ]] || tq_fail "cache: HEAD gave Content-Length '$got', want 10"
rm "$doc/changing.txt"
sleep 1.2
code=$(tq_peer curl -sS -o /dev/null -w '%{http_code}' "http://$h4/changing.txt")
[[ $code == 404 ]] || tq_fail "cache: removed file answered $code, want 404"
tq_pass "file cache: a file rewritten, renamed over and removed is served new after 1.2 s"

# ---- every connection closed, every mapping unmapped ----
for ((i = 0; i < 50; i++)); do
	(($(tq_ctr TcpCurrEstab) == 0)) && break
	sleep 0.1
done
(($(tq_ctr TcpCurrEstab) == 0)) || tq_fail "connections still established: $(tq_ctr TcpCurrEstab)"
tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
line=$(grep 'tq-server: http:' "$TQ_SERVER_LOG") || tq_fail "no http summary in the server log"
[[ $line == *"open at exit 0;"* ]] || tq_fail "connections left: $line"
[[ $line =~ mappings\ ([0-9]+)/([0-9]+)\ unmapped ]] &&
	[[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] || tq_fail "mappings left: $line"
# wrk's thousands of requests for two small files: served from the
# cache; the changes above found by its checks
[[ $line =~ file\ cache:\ hits\ ([0-9]+)\ misses\ ([0-9]+)\ checks\ ([0-9]+)\ stale\ ([0-9]+) ]] ||
	tq_fail "no file cache figures: $line"
((BASH_REMATCH[1] > 1000 && BASH_REMATCH[4] >= 3)) ||
	tq_fail "file cache: hits ${BASH_REMATCH[1]}, stale ${BASH_REMATCH[4]}: $line"
tq_pass "$line"

# ---- the same downloads through a lossy, reordering, corrupting link ----
# The engine's own fault injector (the kernel here has no netem):
# retransmission, reordering and checksums must still deliver every byte.
head -c 5000000 /dev/urandom >"$doc/r5m.bin"
tq_engine_up af_packet 10.98 fd98:98 -- --http 80 --docroot "$doc" \
	--fault drop=0.02,reorder=0.02,dup=0.01,corrupt=0.005,seed=11
for f in r5m.bin r100k.bin; do
	want=$(sha <"$doc/$f")
	for h in "$TQ_ENG4" "[$TQ_ENG6]"; do
		got=$(tq_peer curl -sS -g --max-time 60 "http://$h/$f" | sha) ||
			tq_fail "curl http://$h/$f under faults failed"
		[[ $got == "$want" ]] || tq_fail "http://$h/$f under faults: sha256 $got, want $want"
	done
done
(($(tq_ctr TcpRetransSegs) > 0)) || tq_fail "no retransmissions under 2% loss"
tq_pass "under --fault: 5 MB and 100 KB over IPv4 and IPv6 byte-exact, $(tq_ctr TcpRetransSegs) retransmissions, $(tq_ctr FaultCorrupted) frames corrupted"
tq_pass "all checks passed"
