#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# http1_test: tq-server's --http on the engine's HTTP/1.1 parser
# (engine/http), against a raw-socket client in the peer netns, over
# net_af_packet:
#  - one connection: a POST with Content-Length, a POST with a chunked
#    body (extensions, trailers), a GET: three answers in order, the
#    bodies counted right, the connection kept;
#  - the same three sent one byte at a time, and a PUT of 900 KB (through
#    the 8 KiB request buffer) with Expect: 100-continue;
#  - bad Content-Length (non-numeric, differing list) -> 400, closed;
#  - 64 KiB of header fields -> 431, closed; a chunked body over
#    --http-max-body and a Content-Length over it -> 413, closed;
#    Transfer-Encoding: br -> 501;
#  - Transfer-Encoding with Content-Length: chunked wins, then closed;
#  - at exit every connection was closed.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init http1
py=$(tq_python)

doc=$TQ_TMP/doc
mkdir -p "$doc"
printf x >"$doc/one.txt"

tq_engine_up af_packet 10.96 fd96:96 -- --http 80 --docroot "$doc" \
	--http-max-body 1000000

# ---- the client: send, print each response in order ----
# argv: host port mode(whole|bytes) then the request text, with \r \n
# escapes, {N} for N bytes of 'a' and {chunks N} for a chunked body of
# N bytes in 1000-byte chunks with an extension.  Prints
# "STATUS:BODY ... => closed|open|RESET" (BODY with spaces as _ and no
# newline; a 100 Continue shows as "100").
cli=$TQ_TMP/http1_cli.py
cat >"$cli" <<'EOF'
import re, socket, sys, time

host, port, mode, text = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def chunks(m):
    n, out = int(m.group(1)), []
    while n:
        k = min(n, 1000)
        out.append('%x;ext=1\r\n%s\r\n' % (k, 'b' * k))
        n -= k
    return ''.join(out) + '0\r\nX-Trailer: t\r\n\r\n'

text = text.encode().decode('unicode_escape')
text = re.sub(r'\{chunks (\d+)\}', chunks, text)
text = re.sub(r'\{(\d+)\}', lambda m: 'a' * int(m.group(1)), text)
data = text.encode('latin1')
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
s.settimeout(5)
s.connect((host, port))
try:
    if mode == 'bytes':
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(0.001)
    else:
        s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass
buf, resps, how = bytearray(), [], 'closed'
s.settimeout(2)
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
        i = buf.find(b'\r\n\r\n')
        if i < 0:
            break
        lines = bytes(buf[:i]).decode('latin1').split('\r\n')
        f = dict((k.strip().lower(), v.strip()) for k, _, v in
                 (l.partition(':') for l in lines[1:]))
        code = lines[0].split(' ')[1]
        n = 0 if code.startswith('1') else int(f.get('content-length', '0'))
        if len(buf) < i + 4 + n:
            break
        body = bytes(buf[i + 4:i + 4 + n]).decode('latin1')
        del buf[:i + 4 + n]
        resps.append(code + (':' + body.strip().replace(' ', '_')
                             if body else ''))
s.close()
if buf:
    resps.append('EXTRA:%d' % len(buf))
print(' '.join(resps) + ' => ' + how)
EOF

# expect MODE TEXT PATTERN: the client's output matches PATTERN.
expect() {
	local mode=$1 text=$2 pat=$3 got
	got=$(tq_peer "$py" "$cli" "$TQ_ENG4" 80 "$mode" "$text") ||
		tq_fail "client failed on '${text:0:60}'"
	[[ $got =~ $pat ]] ||
		tq_fail "'${text:0:60}' ($mode): got '$got', want /$pat/"
	tq_pass "${text:0:50} ($mode): $got"
}

three='POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
three+='POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{chunks 2500}'
three+='GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\n'
want3='^200:received_5_bytes 200:received_2500_bytes 200:x => open$'
expect whole "$three" "$want3"
expect bytes "$three" "$want3"
expect whole 'PUT /big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 900000\r\n\r\n{900000}GET /one.txt HTTP/1.0\r\n\r\n' \
	'^100 200:received_900000_bytes 200:x => closed$'
expect whole 'POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nPOST / HTTP/1.0\r\n\r\n' \
	'^200:received_0_bytes 200:received_0_bytes => closed$'

# ---- errors: answered, then the connection closes ----
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12x\r\n\r\n12x bytes...GET /one.txt HTTP/1.1\r\n\r\n' \
	'^400:400_Bad_Request => closed$'
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!' \
	'^400:400_Bad_Request => closed$'
expect whole 'GET /one.txt HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n' \
	'^200:x 400:400_Bad_Request => closed$'
fields=''
for ((i = 0; i < 1024; i++)); do
	fields+=$(printf 'X-Field-%04d: %046d\\r\\n' "$i" 0)
done
expect whole "GET /one.txt HTTP/1.1\\r\\nHost: a\\r\\n${fields}\\r\\n" \
	'^431:431_Request_Header_Fields_Too_Large => closed$'
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000001\r\n\r\n' \
	'^413:413_Content_Too_Large => closed$'
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{chunks 1100000}' \
	'^413:413_Content_Too_Large => closed$'
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n{1000000}' \
	'^200:received_1000000_bytes => open$'
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n' \
	'^501:501_Not_Implemented => closed$'
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' \
	'^400:400_Bad_Request => closed$'
# RFC 9112 6.3: Transfer-Encoding wins over Content-Length, then close
expect whole 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n{chunks 7}GET /one.txt HTTP/1.1\r\n\r\n' \
	'^200:received_7_bytes => closed$'

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
tq_pass "$line"
tq_pass "all checks passed"
