#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# memif_test: engine to engine with no kernel in the path, as
# bench/scaling measures it: tq-server (role=server) and tq-gen
# (role=client), two workers each, joined by DPDK's net_memif.  memif
# has no RSS: queue i of one side is queue i of the other, and both
# engines give a 4-tuple the same owner by the same symmetric hash, so
# tq-gen's worker i opens only tuples worker i owns at both ends.  Checks:
# keep-alive and one-request-per-connection runs end without errors,
# tq-gen's count of requests is the server's, both server workers
# accepted connections, and no segment had to be handed to another
# worker (TcpSteered 0).  Skips where the memif PMD is missing.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

tq_init memif_test
TQ_GEN=${TQ_GEN:-$TQ_BUILD_DIR/apps/tq-gen}
[[ -x $TQ_GEN ]] || tq_skip "no tq-gen at $TQ_GEN (build first)"
ls /usr/lib/*/dpdk/pmds-*/librte_net_memif.so* >/dev/null 2>&1 ||
	tq_skip "no net_memif PMD"
doc=$TQ_TMP/doc
mkdir -p "$doc"
head -c 1024 /dev/zero | tr '\0' x >"$doc/index.html"
sock=$TQ_TMP/memif.sock
srv=10.250.0.2
# Two workers on two CPUs, or sharing one (correctness only).
ncpu=$(nproc)
lcores="0@0,1@0,2@$((ncpu - 1))"
tq_server_start --lcores "$lcores" \
	"--vdev=net_memif0,role=server,id=0,socket=$sock,socket-abstract=no" \
	-- --addr "$srv/24" --http 80 --docroot "$doc"
grep -q "net_memif" "$TQ_SERVER_LOG" || tq_fail "not on net_memif"
srv_pid=$TQ_SERVER_PID
srv_prefix=$TQ_PREFIX
srv_log=$TQ_SERVER_LOG

gen() {
	# gen NAME ARGS...: tq-gen to its end (gen_run), its JSON in NAME.json
	local name=$1 TQ_SERVER=$TQ_GEN
	shift
	gen_run 40 --lcores "$lcores" \
		"--vdev=net_memif0,role=client,id=0,socket=$sock,socket-abstract=no" \
		-- --addr 10.250.0.1/24 --url "http://$srv/index.html" \
		--connections 8 --duration 2 --quiet --json "$TQ_TMP/$name.json" "$@"
}
srv_ctr() {
	"$TQ_CTL" --file-prefix "$srv_prefix" -z ${2:+--per-worker} stats |
		awk -v k="$1" '$1 == k {print $2}'
}

gen ka
gen close --requests-per-conn 1
TQ_PREFIX=$srv_prefix
req=0
for run in ka close; do
	r=$(gen_json "$TQ_TMP/$run.json" 'r["requests"]')
	e=$(gen_json "$TQ_TMP/$run.json" 'r["errors"]["total"]')
	((r > 50)) || tq_fail "$run: only $r requests"
	((e == 0)) || tq_fail "$run: $e errors"
	req=$((req + r))
	tq_pass "$run: $r requests, no errors"
done
steered=$(srv_ctr TcpSteered)
((steered == 0)) || tq_fail "TcpSteered $steered: flows left their worker"
per=$(srv_ctr TcpPassiveOpens w | tr '\n' ' ')
read -r w0 w1 <<<"$per"
((${w0:-0} > 0 && ${w1:-0} > 0)) ||
	tq_fail "passive opens per worker: $per (both workers should accept)"
tq_pass "both workers served (passive opens $w0 / $w1), TcpSteered 0"
tq_stop_pid "$srv_pid" 5
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"
# The server counts every request it answered, the warmup-free
# tq-gen every one it got an answer to: equal when no run cut one off.
served=$(sed -n 's/.*http: [0-9]* connections, \([0-9]*\) requests.*/\1/p' "$srv_log")
((served >= req)) || tq_fail "server served $served, tq-gen counted $req"
tq_pass "server answered $served requests, tq-gen counted $req"
tq_pass "all checks passed"
