#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_body_test: tq-gen's --method and request bodies against tq-server,
# engine to engine over a veth pair.  POST with --body-size 3000 and PUT
# with --body FILE (10,000 bytes, 2 requests per connection): every
# answer 200, and tq-server received exactly requests x body bytes (its
# exit summary); HEAD: answers with Content-Length and no body are read
# whole (no timeout); DELETE: every answer a 405 (status_4xx).
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

tq_init gen_body_test
[[ -x $TQ_GEN ]] || tq_skip "no tq-gen at $TQ_GEN (build first)"
SRV_BIN=$TQ_SERVER

a=$(tq_ifname s)
b=$(tq_ifname g)
ip link add "$a" type veth peer name "$b"
TQ_LINKS+=("|$a")
for i in "$a" "$b"; do
	sysctl -q "net.ipv6.conf.$i.disable_ipv6=1"
	ip link set "$i" up
done
n=$(tq_free_subnet 10.237)
srv=10.237.$n.1
gen=10.237.$n.2
mkdir -p "$TQ_TMP/www"
chmod 755 "$TQ_TMP" "$TQ_TMP/www"
head -c 500 /dev/zero | tr '\0' x >"$TQ_TMP/www/index.html"
chmod 644 "$TQ_TMP/www/index.html"
head -c 10000 /dev/urandom >"$TQ_TMP/body.bin"

# server_up: a fresh tq-server, so its exit summary is this case's.
server_up() {
	TQ_SERVER=$SRV_BIN
	tq_server_start --lcores 0@0,1@1 "--vdev=net_af_packet0,iface=$a" -- \
		--addr "$srv/24" --http 80 --docroot "$TQ_TMP/www"
	SRV_PID=$TQ_SERVER_PID
	SRV_LOG=$TQ_SERVER_LOG
}

# server_received: stop the server; the body bytes it read.
server_received() {
	tq_stop_pid "$SRV_PID"
	sed -n 's/.* body bytes (\([0-9]*\) received).*/\1/p' "$SRV_LOG" | tail -1
}

# gen CASE ARGS...: tq-gen to its end, report $TQ_TMP/CASE.json.
gen() {
	local c=$1
	shift
	TQ_SERVER=$TQ_GEN
	gen_run 30 --lcores 0@0,1@0 "--vdev=net_af_packet1,iface=$b" -- \
		--addr "$gen/24" --url "http://$srv/index.html" \
		--connections 4 --rate 100 --duration 2 --quiet \
		--json "$TQ_TMP/$c.json" "$@"
}

server_up
gen post --method POST --body-size 3000
got=$(server_received)
req=$(gen_json "$TQ_TMP/post.json" 'r["requests"]')
ok=$(gen_json "$TQ_TMP/post.json" 'r["errors"]["total"] == 0 and
	r["config"]["method"] == "POST" and r["config"]["body_bytes"] == 3000 and
	r["bytes_tx"] > 3000 * r["requests"]')
[[ $ok == True && $req -ge 150 ]] || tq_fail "POST: $req requests, report $ok"
[[ $got == $((req * 3000)) ]] || tq_fail "POST: server received $got body bytes, want $req x 3000"
tq_log "POST: $req requests, server received $got body bytes"

server_up
gen put --method PUT --body "$TQ_TMP/body.bin" --requests-per-conn 2
got=$(server_received)
req=$(gen_json "$TQ_TMP/put.json" 'r["requests"]')
ok=$(gen_json "$TQ_TMP/put.json" 'r["errors"]["total"] == 0 and
	r["connections"] >= r["requests"] // 2')
[[ $ok == True && $req -ge 150 ]] || tq_fail "PUT: $req requests, report $ok"
[[ $got == $((req * 10000)) ]] || tq_fail "PUT: server received $got body bytes, want $req x 10000"
tq_log "PUT: $req requests, server received $got body bytes"

server_up
gen head --method HEAD
gen delete --method DELETE
tq_stop_pid "$SRV_PID"
ok=$(gen_json "$TQ_TMP/head.json" 'r["errors"]["total"] == 0 and
	r["requests"] >= 150 and r["bytes_rx"] < 500 * r["requests"]')
[[ $ok == True ]] || tq_fail "HEAD: $(gen_json "$TQ_TMP/head.json" '(r["requests"], r["errors"])')"
ok=$(gen_json "$TQ_TMP/delete.json" 'r["requests"] >= 150 and
	r["errors"]["status_4xx"] == r["requests"] and
	r["errors"]["total"] == r["requests"]')
[[ $ok == True ]] || tq_fail "DELETE: $(gen_json "$TQ_TMP/delete.json" '(r["requests"], r["errors"])')"
tq_pass "POST and PUT bodies received whole, HEAD read without a body, DELETE 405"
