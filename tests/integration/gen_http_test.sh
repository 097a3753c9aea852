#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_http_test: tq-gen on net_af_packet against nginx in a netns, at a
# fixed concurrency (8 keep-alive connections, 3 s), then one request
# per connection, then IPv6 with ten per connection, --cps on two workers
# from --src-ports, and Ctrl-C.  The requests tq-gen reports are exactly the lines of
# nginx's access log; the JSON report has every documented field and
# no errors; the run ends on time.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_http_test
n=$(tq_free_subnet 10.233)
peer=10.233.$n.1
eng=10.233.$n.2
peer6=fd33:233:$n::1
eng6=fd33:233:$n::2
tq_veth_setup "$peer/24" "$peer6/64"
gen_nginx 8080 "$peer" "[$peer6]"
log=$TQ_TMP/nginx/access.log

# Keep-alive, fixed concurrency.
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 8 --duration 3 \
	--json "$TQ_TMP/ka.json"
awk -v s="$GEN_SECS" 'BEGIN {exit !(s < 9)}' ||
	tq_fail "a 3 s run took ${GEN_SECS}s"
req=$(gen_json "$TQ_TMP/ka.json" 'r["requests"]')
lines=$(wc -l <"$log")
((req > 100)) || tq_fail "only $req requests"
((req == lines)) || tq_fail "tq-gen counted $req requests, nginx logged $lines"
tq_pass "keep-alive: $req requests = $lines access log lines, ${GEN_SECS}s"
check=$(gen_json "$TQ_TMP/ka.json" '
all(k in r for k in ("requests_per_sec", "connections_per_sec",
    "bytes_per_sec", "latency", "errors", "histogram", "series")) and
all(k in r["latency"] for k in ("p50", "p90", "p99", "p99.9", "max")) and
all(k in r["errors"] for k in ("connect_timeout", "refused", "reset",
    "status_4xx", "status_5xx", "parse", "timeout")) and
r["errors"]["total"] == 0 and r["connections"] == 8 and
r["histogram"]["count"] == r["requests"] and
len(r["series"]) == 3 and
0 < r["latency"]["p50"] <= r["latency"]["p99"] <= r["latency"]["max"] and
abs(r["requests_per_sec"] * r["duration_s"] - r["requests"]) < 1 and
r["bytes_rx"] > 1000 * r["requests"]')
[[ $check == True ]] || { cat "$TQ_TMP/ka.json" >&2; tq_fail "JSON fields"; }
tq_pass "JSON has its fields, no errors, 8 connections"

# One request per connection: each connection is a new one.
: >"$log"
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 4 --duration 2 \
	--requests-per-conn 1 --json "$TQ_TMP/cps.json"
req=$(gen_json "$TQ_TMP/cps.json" 'r["requests"]')
conns=$(gen_json "$TQ_TMP/cps.json" 'r["connections"]')
errs=$(gen_json "$TQ_TMP/cps.json" 'r["errors"]["total"]')
lines=$(wc -l <"$log")
((req > 20 && errs == 0)) || tq_fail "$req requests, $errs errors"
((req == lines)) || tq_fail "tq-gen counted $req requests, nginx logged $lines"
# A connection may come up in the run and be cut at its end unanswered.
((conns >= req && conns <= req + 4)) ||
	tq_fail "$conns connections for $req requests"
tq_pass "one per connection: $req requests, $conns connections = $lines lines"

# IPv6, ten requests per connection.
: >"$log"
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" --addr "$eng6/64" \
	--url "http://[$peer6]:8080/index.html" --connections 4 --duration 2 \
	--requests-per-conn 10 --json "$TQ_TMP/v6.json"
check=$(gen_json "$TQ_TMP/v6.json" '
r["errors"]["total"] == 0 and r["requests"] > 100 and
r["connections"] * 10 - 40 <= r["requests"] <= r["connections"] * 10')
[[ $check == True ]] || { cat "$TQ_TMP/v6.json" >&2; tq_fail "IPv6 run"; }
req=$(gen_json "$TQ_TMP/v6.json" 'r["requests"]')
lines=$(wc -l <"$log")
((req == lines)) || tq_fail "IPv6: tq-gen counted $req requests, nginx logged $lines"
tq_pass "IPv6, 10 per connection: $req requests = $lines lines"

# --cps on two workers from --src-ports: connections opened on schedule,
# each from a port of the range that hashes back to its worker.
: >"$log"
ncpu=$(nproc)
gen_run 20 --lcores "0@0,1@$((ncpu - 1)),2@$((ncpu - 1))" \
	"$(tq_vdev_af_packet qpairs=2)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 32 --cps 300 \
	--src-ports 21000-21999 --duration 2 --json "$TQ_TMP/cps2.json"
check=$(gen_json "$TQ_TMP/cps2.json" '
abs(r["connections_per_sec"] - 300) <= 15 and r["errors"]["total"] == 0 and
r["requests"] == r["connections"] and r["config"]["workers"] == 2')
[[ $check == True ]] || { cat "$TQ_TMP/cps2.json" >&2; tq_fail "--cps 300"; }
lines=$(wc -l <"$log")
req=$(gen_json "$TQ_TMP/cps2.json" 'r["requests"]')
((req == lines)) || tq_fail "tq-gen counted $req requests, nginx logged $lines"
# nginx's side of each connection is in TIME_WAIT (it closed first),
# toward a port of the range.
tw=$(tq_peer ss -tan state time-wait | awk '{print $4}' |
	grep -c ":21[0-9][0-9][0-9]$" || true)
((tw > 100)) || tq_fail "only $tw connections came from --src-ports"
tq_pass "--cps 300 on two workers: $req connections, $tw from --src-ports"

# Two source addresses: connections take them in turn, with --src-ports
# on two workers, so the server sees both, each from the range.
: >"$log"
eng2=10.233.$n.3
gen_run 20 --lcores "0@0,1@$((ncpu - 1)),2@$((ncpu - 1))" \
	"$(tq_vdev_af_packet qpairs=2)" -- --addr "$eng/24" --addr "$eng2/24" \
	--url "http://$peer:8080/index.html" --connections 8 \
	--requests-per-conn 1 --src-ports 23000-23999 --duration 2 \
	--json "$TQ_TMP/src2.json"
req=$(gen_json "$TQ_TMP/src2.json" 'r["requests"]')
errs=$(gen_json "$TQ_TMP/src2.json" 'r["errors"]["total"]')
a1=$(awk -v a="$eng" '$1 == a' "$log" | wc -l)
a2=$(awk -v a="$eng2" '$1 == a' "$log" | wc -l)
((req > 40 && errs == 0)) || tq_fail "two addresses: $req requests, $errs errors"
((a1 + a2 == req)) || tq_fail "two addresses: $a1 + $a2 log lines for $req requests"
((a1 > req / 4 && a2 > req / 4)) || tq_fail "two addresses: uneven use, $a1 / $a2"
tw=$(tq_peer ss -tan state time-wait | awk '{print $4}' |
	grep -Ec "^($eng|$eng2):23[0-9]{3}$" || true)
((tw > 40)) || tq_fail "two addresses: only $tw TIME_WAIT from the range"
tq_pass "two source addresses: $a1 + $a2 requests, each from --src-ports"

# Ctrl-C: the summary so far, the JSON marked interrupted, at once.
t0=$(date +%s.%N)
tq_server_start "$(tq_vdev_af_packet)" -- --addr "$eng/24" \
	--url "http://$peer:8080/index.html" --connections 4 --duration 60 \
	--json "$TQ_TMP/int.json"
sleep 2
kill -INT "$TQ_SERVER_PID"
for ((i = 0; i < 50; i++)); do
	tq_alive "$TQ_SERVER_PID" || break
	sleep 0.1
done
tq_alive "$TQ_SERVER_PID" && tq_fail "tq-gen still running 5 s after SIGINT"
rc=0
wait "$TQ_SERVER_PID" || rc=$?
((rc == 0)) || tq_fail "tq-gen exited with $rc after SIGINT"
grep -q "^interrupted:" "$TQ_SERVER_LOG" || tq_fail "no summary after SIGINT"
check=$(gen_json "$TQ_TMP/int.json" '
r["interrupted"] and r["requests"] > 0 and 0.5 < r["duration_s"] < 5 and
r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/int.json" >&2; tq_fail "JSON after SIGINT"; }
tq_pass "SIGINT: summary and JSON of $(gen_json "$TQ_TMP/int.json" 'r["duration_s"]')s"
