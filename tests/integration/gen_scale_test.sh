#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_scale_test: tq-gen holds 20,000 keep-alive connections to
# tq-server, engine to engine over one veth pair, from 4 source addresses
# (--addr x4) with an ephemeral range of 6,000 ports, so no fewer
# addresses could hold them; opened at --ramp 4000/s (fewer than N/10
# SYNs sent again), each sending a request now and then (--rate 200
# over all).  Both sides count 20,000
# established (tq-ctl stats TcpCurrEstab), the server's connections come
# from the 4 addresses (tq-ctl conns), and the run ends with 20,000
# connections, its requests answered and no error.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

N=20000
tq_init gen_scale_test
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
n=$(tq_free_subnet 10.236)
srv=10.236.$n.1
mkdir -p "$TQ_TMP/www"
chmod 755 "$TQ_TMP" "$TQ_TMP/www"
echo hello >"$TQ_TMP/www/index.html"
chmod 644 "$TQ_TMP/www/index.html"

TQ_SERVER=$SRV_BIN
tq_server_start --lcores 0@0,1@1 "--vdev=net_af_packet0,iface=$a" -- \
	--addr "$srv/24" --http 80 --docroot "$TQ_TMP/www" \
	--tcp-max-conns 24000
SRV_PREFIX=$TQ_PREFIX
SRV_PID=$TQ_SERVER_PID

TQ_SERVER=$TQ_GEN
tq_server_start --lcores 0@0,1@0 "--vdev=net_af_packet1,iface=$b" -- \
	--addr "10.236.$n.11/24" --addr "10.236.$n.12/24" \
	--addr "10.236.$n.13/24" --addr "10.236.$n.14/24" \
	--tcp-port-range 40000-45999 --tcp-max-conns 24000 \
	--url "http://$srv/index.html" --connections $N --ramp 4000 \
	--rate 200 --warmup 16 --duration 4 --timeout 5 --quiet \
	--json "$TQ_TMP/r.json"
GEN_PREFIX=$TQ_PREFIX
GEN_PID=$TQ_SERVER_PID

estab() {
	"$TQ_CTL" --file-prefix "$1" -z stats 2>/dev/null |
		awk '$1 == "TcpCurrEstab" {print $2}' || true
}

# All up on both sides, while the run goes on.
es=0 eg=0
for ((i = 0; i < 300; i++)); do
	es=$(estab "$SRV_PREFIX")
	eg=$(estab "$GEN_PREFIX")
	[[ ${es:-0} -ge $N && ${eg:-0} -ge $N ]] && break
	tq_alive "$GEN_PID" || break
	sleep 0.1
done
tq_log "established: server ${es:-?}, tq-gen ${eg:-?} after ~$((i / 10)) s"
[[ $es == "$N" && $eg == "$N" ]] ||
	tq_fail "established: server ${es:-?}, tq-gen ${eg:-?}, want $N each"

# Paced by --ramp: SYNs all at once would overflow the TX ring and
# come again a second later, most of them.
rtx=$("$TQ_CTL" --file-prefix "$GEN_PREFIX" -z stats |
	awk '$1 == "TcpRetransSegs" {print $2}')
tq_log "tq-gen retransmitted $rtx segments while opening"
((rtx < N / 10)) || tq_fail "$rtx retransmissions opening $N connections: not paced"

# The server's side: 20,000 from the 4 addresses, 5,000 each.
"$TQ_CTL" --file-prefix "$SRV_PREFIX" --state ESTAB --port 80 conns \
	>"$TQ_TMP/conns.txt"
by_src=$(awk '{for (f = 1; f <= NF; f++) if ($f ~ /^10\.236\./ && $f !~ /:80$/) {sub(/:[0-9]+$/, "", $f); print $f}}' \
	"$TQ_TMP/conns.txt" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
tq_log "server's connections by source: $by_src"
nsrc=$(wc -w <<<"$by_src")
total=$(tr ' ' '\n' <<<"$by_src" | awk -F= '{s += $2} END {print s + 0}')
[[ $nsrc == 4 && $total == "$N" ]] ||
	tq_fail "want $N connections from 4 addresses, got: $by_src"

for ((i = 0; i < 600; i++)); do
	tq_alive "$GEN_PID" || break
	sleep 0.1
done
tq_alive "$GEN_PID" && tq_fail "tq-gen still running"
rc=0
wait "$GEN_PID" || rc=$?
((rc == 0)) || { cat "$TQ_SERVER_LOG" >&2; tq_fail "tq-gen exited with $rc"; }
check=$(gen_json "$TQ_TMP/r.json" '
r["errors"]["total"] == 0 and r["connections"] == 0 and
abs(r["requests"] - 800) <= 40')
# connections counts opens in the measured window: all were opened in
# the warmup, so none; the requests are the rate's 4 s.
[[ $check == True ]] || { gen_json "$TQ_TMP/r.json" \
	'(r["connections"], r["requests"], r["errors"])' >&2
	tq_fail "report: want 0 errors, ~800 requests"; }
req=$(gen_json "$TQ_TMP/r.json" 'r["requests"]')
tq_alive "$SRV_PID" || tq_fail "tq-server died"
tq_pass "$N connections held (server and tq-gen), 4 sources, $req requests, no errors"
