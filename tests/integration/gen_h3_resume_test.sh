#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_h3_resume_test: tq-gen --h3 --resume, the engine's QUIC client
# resuming (tq_quic_client_conf.session/.token, tq_quic_session(),
# tq_quic_new_token()), one request per connection so each slot's next
# connection resumes its last one's session:
#  - against tq-server --h3 --quic-0rtt on through the netns, which
#    routes (engine to engine): every connection past each slot's
#    first resumed, its request sent in 0-RTT and taken (tq-gen's
#    resumed / early_accepted, the server's QuicResumed,
#    Quic0rttAccepted, Quic0rttPkts), bodies byte-exact; the client's
#    qlog files (--qlog-dir, *_client.sqlog) parse (qlog_check.py);
#  - without --resume: nothing resumed (the counts can be zero);
#  - --migrate: every connection moves to another local port
#    (tq_quic_migrate()) after its first answer; the server validates
#    the path and follows (QuicMigrations), later bodies byte-exact;
#  - against ngtcp2's gtlsserver: resumed, bodies byte-exact; --migrate
#    (interop's connectionmigration in the client role); and through a
#    UDP NAT in the namespace (tests/interop/nat_relay.py) whose mapping
#    changes mid-connection, port, then address (rebind-port,
#    rebind-addr): gtlsserver follows and validates the new path through
#    the NAT, our client answering its PATH_CHALLENGE, every body
#    byte-exact on the one connection.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_h3_resume_test
gs=$(command -v gtlsserver || true)
[[ -z $gs && -x /usr/sbin/gtlsserver ]] && gs=/usr/sbin/gtlsserver
py=$(tq_python)
qcheck=$TQ_SOURCE_DIR/tests/interop/qlog_check.py

n=$(tq_free_subnet 10.239)
peer=10.239.$n.1
eng=10.239.$n.2
tq_veth_setup "$peer/24"

doc=$TQ_TMP/doc
mkdir -p "$doc"
chmod 755 "$TQ_TMP" "$doc"
head -c 30000 /dev/urandom >"$doc/r30k.bin"
chmod 644 "$doc/r30k.bin"
fnv=$("$py" -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$doc/r30k.bin")

h3gen() {
	local json=$1
	shift
	gen_run 60 "$@" --json "$json"
}

# ---- engine to engine: tq-server --h3 --quic-0rtt on behind the netns ----
gen_routed_link 10.240
TQ_SERVER=$TQ_BUILD_DIR/apps/tq-server tq_server_start \
	"--vdev=net_af_packet0,iface=$SRV_IF" -- --addr "$srv/24" \
	--gateway "$srv_gw" --h3 4433 --docroot "$doc" --quic-0rtt on
srvpid=$TQ_SERVER_PID
srvprefix=$TQ_PREFIX
TQ_SERVER=$TQ_GEN
# srvctr NAME: a counter of tq-server (tq-gen's runs move TQ_PREFIX)
srvctr() {
	local keep=$TQ_PREFIX v
	TQ_PREFIX=$srvprefix
	v=$(tq_ctr "$1")
	TQ_PREFIX=$keep
	echo "$v"
}

# without --resume first: nothing resumes
h3gen "$TQ_TMP/plain.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--gateway "$peer" --h3 --url "https://$srv:4433/r30k.bin" \
	--connections 2 --requests-per-conn 1 --duration 2 \
	--expect-length 30000 --expect-fnv "$fnv"
check=$(gen_json "$TQ_TMP/plain.json" '
r["requests"] >= 4 and r["errors"]["total"] == 0 and
r["resumed"] == 0 and r["early_accepted"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/plain.json" >&2; tq_fail "without --resume: report"; }
res0=$(srvctr QuicResumed)
((res0 == 0)) || tq_fail "without --resume: QuicResumed $res0"
tq_pass "without --resume: $(gen_json "$TQ_TMP/plain.json" 'r["connections"]') full handshakes, none resumed"

acc0=$(srvctr Quic0rttAccepted)
mkdir -p "$TQ_TMP/qlog"
h3gen "$TQ_TMP/res.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--gateway "$peer" --h3 --url "https://$srv:4433/r30k.bin" \
	--connections 2 --requests-per-conn 1 --duration 2 --resume \
	--qlog-dir "$TQ_TMP/qlog" --expect-length 30000 --expect-fnv "$fnv"
check=$(gen_json "$TQ_TMP/res.json" '
r["requests"] >= 6 and r["errors"]["total"] == 0 and
r["resumed"] >= r["connections"] - 2 and r["resumed"] > 0 and
r["early_accepted"] == r["resumed"] and
r["bytes_rx"] == 30000 * r["requests"]')
[[ $check == True ]] || { cat "$TQ_TMP/res.json" >&2; tq_fail "--resume: report"; }
gres=$(gen_json "$TQ_TMP/res.json" 'r["resumed"]')
res=$(srvctr QuicResumed)
acc=$(($(srvctr Quic0rttAccepted) - acc0))
pk=$(srvctr Quic0rttPkts)
((res >= gres && acc >= gres && pk > 0)) ||
	tq_fail "--resume: tq-gen resumed $gres; server QuicResumed $res, Quic0rttAccepted $acc, Quic0rttPkts $pk"
tq_pass "--resume against tq-server: $(gen_json "$TQ_TMP/res.json" 'r["connections"]') connections, $gres resumed with 0-RTT taken (server: QuicResumed $res, Quic0rttAccepted $acc, Quic0rttPkts $pk), bodies byte-exact"
nq=$(find "$TQ_TMP/qlog" -name '*_client.sqlog' | wc -l)
((nq >= $(gen_json "$TQ_TMP/res.json" 'r["connections"]'))) ||
	tq_fail "qlog: $nq client files"
out=$("$py" "$qcheck" "$TQ_TMP/qlog" "$nq" --allow-cancelled) || tq_fail "qlog of client connections"
tq_pass "client qlog: $out"

# ---- client migration: tq_quic_migrate() after each first answer ----
mig0=$(srvctr QuicMigrations)
h3gen "$TQ_TMP/mig.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--gateway "$peer" --h3 --url "https://$srv:4433/r30k.bin" \
	--connections 2 --requests-per-conn 5 --duration 2 --migrate \
	--expect-length 30000 --expect-fnv "$fnv"
check=$(gen_json "$TQ_TMP/mig.json" '
r["requests"] >= 10 and r["errors"]["total"] == 0 and
r["bytes_rx"] == 30000 * r["requests"]')
[[ $check == True ]] || { cat "$TQ_TMP/mig.json" >&2; tq_fail "--migrate: report"; }
gconn=$(gen_json "$TQ_TMP/mig.json" 'r["connections"]')
mig=$(($(srvctr QuicMigrations) - mig0))
((mig > 0 && mig >= gconn - 2)) || tq_fail "--migrate: server QuicMigrations $mig for $gconn connections"
tq_pass "--migrate: $gconn connections each moved to another local port after its first answer, the server followed (QuicMigrations $mig), bodies byte-exact"
tq_stop_pid "$srvpid"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"

# ---- gtlsserver ----
if [[ -n $gs ]]; then
	tq_require_tools openssl
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TQ_TMP/key.pem" -out "$TQ_TMP/cert.pem" -days 2 \
		-subj /CN=localhost -addext subjectAltName=IP:$peer \
		>/dev/null 2>&1 || tq_fail "openssl could not make a certificate"
	tq_bg ip netns exec "$TQ_NS" "$gs" -q -d "$doc" "$peer" 4433 \
		"$TQ_TMP/key.pem" "$TQ_TMP/cert.pem"
	gspid=$TQ_BG_PID
	sleep 0.5
	tq_alive "$gspid" || tq_fail "gtlsserver did not start"
	h3gen "$TQ_TMP/gs.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
		--h3 --url "https://$peer:4433/r30k.bin" --connections 2 \
		--requests-per-conn 1 --duration 2 --resume \
		--expect-length 30000 --expect-fnv "$fnv"
	check=$(gen_json "$TQ_TMP/gs.json" '
r["requests"] >= 6 and r["errors"]["total"] == 0 and
r["resumed"] >= r["connections"] - 2 and r["resumed"] > 0')
	[[ $check == True ]] || { cat "$TQ_TMP/gs.json" >&2; tq_fail "gtlsserver: report"; }
	tq_pass "--resume against gtlsserver: $(gen_json "$TQ_TMP/gs.json" 'r["resumed"]') of $(gen_json "$TQ_TMP/gs.json" 'r["connections"]') resumed, $(gen_json "$TQ_TMP/gs.json" 'r["early_accepted"]') with 0-RTT taken, bodies byte-exact"
	# connectionmigration, the client role
	h3gen "$TQ_TMP/gsmig.json" "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
		--h3 --url "https://$peer:4433/r30k.bin" --connections 2 \
		--requests-per-conn 5 --duration 2 --migrate \
		--expect-length 30000 --expect-fnv "$fnv"
	check=$(gen_json "$TQ_TMP/gsmig.json" '
r["requests"] >= 10 and r["errors"]["total"] == 0 and
r["bytes_rx"] == 30000 * r["requests"]')
	[[ $check == True ]] || { cat "$TQ_TMP/gsmig.json" >&2; tq_fail "--migrate against gtlsserver: report"; }
	tq_pass "--migrate against gtlsserver: $(gen_json "$TQ_TMP/gsmig.json" 'r["connections"]') connections each moved to another local port after its first answer, $(gen_json "$TQ_TMP/gsmig.json" 'r["requests"]') bodies byte-exact"

	# gen_nat NAME [NAT_RELAY OPTIONS...]: one keep-alive connection
	# to gtlsserver through a NAT on $peer:4434 that rebinds after
	# 600 KB has come back
	gen_nat() {
		local name=$1
		shift
		tq_nat_start "$name" 4434 "$peer" 4433 --listen-ip "$peer" \
			--after 600000 "$@"
		h3gen "$TQ_TMP/$name.json" "$(tq_vdev_af_packet)" -- \
			--addr "$eng/24" --h3 --url "https://$peer:4434/r30k.bin" \
			--connections 1 --requests-per-conn 0 --duration 3 \
			--expect-length 30000 --expect-fnv "$fnv"
		tq_nat_stop "$name"
		cat "$TQ_TMP/nat-$name.log" >&2
		check=$(gen_json "$TQ_TMP/$name.json" '
r["requests"] >= 40 and r["errors"]["total"] == 0 and r["connections"] == 1 and
r["bytes_rx"] == 30000 * r["requests"]')
		[[ $check == True ]] || { cat "$TQ_TMP/$name.json" >&2; tq_fail "$name: report"; }
		tq_pass "$name: gtlsserver followed our client through the NAT's new mapping (${NAT[new_down]} datagrams down it), $(gen_json "$TQ_TMP/$name.json" 'r["requests"]') bodies byte-exact on one connection"
	}
	gen_nat rebind-port
	gen_nat rebind-addr --src "$peer" --new-src 127.0.0.1
	kill "$gspid" 2>/dev/null || true
else
	tq_log "no gtlsserver: its part skipped"
fi
tq_pass "all checks passed"
