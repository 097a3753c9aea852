#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# metrics_test: --metrics serves the Prometheus text format while traffic
# flows.  promtool check metrics (lint included) reports nothing; every
# counter of tq_counters.def is a family with a worker label and the sum;
# tachyon_tcp_passive_opens_total and the handshake histogram grow by
# exactly the connections made; 16 held connections are 16 ESTAB in
# tachyon_tcp_connections and leave it when closed; DPDK xstats and the
# mempool are there; a bad --metrics value is a configuration error.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init metrics
tq_require_tools curl promtool
def=$TQ_SOURCE_DIR/engine/include/tachyon/tq_counters.def
py=$(tq_python)
mport=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
doc=$TQ_TMP/doc
mkdir -p "$doc"
echo '<h1>tachyon</h1>' >"$doc/index.html"

# A value that is not ADDR:PORT: exit 2 before EAL starts.
rc=0
"$TQ_SERVER" --no-huge --no-pci -- --addr 10.9.9.9/24 --metrics nonsense >"$TQ_TMP/bad.out" 2>&1 || rc=$?
((rc == 2)) || tq_fail "--metrics nonsense: exit $rc, expected 2: $(cat "$TQ_TMP/bad.out")"
grep -q metrics "$TQ_TMP/bad.out" || tq_fail "--metrics nonsense: message does not name the option: $(cat "$TQ_TMP/bad.out")"
tq_pass "--metrics nonsense: configuration error (exit 2) naming the option"

tq_engine_up af_packet 10.221 fd20:221 -- --udp-echo 7 --http 80 \
	--docroot "$doc" --metrics "127.0.0.1:$mport"

scrape() {
	curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics" >"$1" ||
		tq_fail "GET /metrics failed"
}
# metric NAME LABELS FILE: the value of one sample.
metric() {
	awk -v k="$1{$2}" '$1 == k {print $2; f = 1} END {exit !f}' "$3" ||
		tq_fail "no sample $1{$2} in /metrics"
}

m=$TQ_TMP/m1
scrape "$m"
out=$(promtool check metrics <"$m" 2>&1) || tq_fail "promtool check metrics: $out"
[[ -z $out ]] || tq_fail "promtool check metrics reported: $out"
tq_pass "/metrics ($(wc -l <"$m") lines) passes promtool check metrics, lint included"

# Every counter of the .def is one family: worker 0 and the sum.
ids=$(sed -n 's/^TQ_\(CTR\|GAUGE\)(\([A-Z0-9_]*\),.*/\2/p' "$def" | wc -l)
fams=$(grep -c '^# TYPE tachyon_' "$m")
nctr=$(awk '/^# TYPE tachyon_/ && $3 !~ /^tachyon_(port|mempool|app|worker_|tcp_connections$|tcp_handshake|workers$)/' "$m" | wc -l)
((nctr == ids)) || tq_fail "$nctr engine counter families for $ids counters in tq_counters.def"
grep -q '^tachyon_rx_packets_total{worker="0"} [1-9]' "$m" || tq_fail "no tachyon_rx_packets_total for worker 0"
grep -q '^tachyon_rx_packets_total{worker="all"} [1-9]' "$m" || tq_fail "no tachyon_rx_packets_total sum"
grep -q '^# TYPE tachyon_tcp_current_established gauge' "$m" || tq_fail "TcpCurrEstab is not a gauge"
grep -q '^# TYPE tachyon_tcp_time_wait_connections gauge' "$m" || tq_fail "TcpTimeWait is not a gauge"
grep -q '^tachyon_port_rx_good_packets_total{port="net_af_packet0"} [1-9]' "$m" ||
	tq_fail "no DPDK xstat rx_good_packets for the port"
grep -Eq '^tachyon_mempool_mbufs_in_use\{pool="[^"]+"\} [0-9]+$' "$m" || tq_fail "no mempool in-use gauge: $(grep mempool "$m")"
grep -Eq '^tachyon_mempool_mbufs\{pool="[^"]+"\} [1-9]' "$m" || tq_fail "no mempool size gauge: $(grep mempool "$m")"
grep -q '^tachyon_app_udp_echo_replies_total{worker="all"} ' "$m" || tq_fail "no app counter (UdpEchoReplies)"
grep -Eq '^tachyon_worker_cpu_seconds_total\{worker="0",phase="idle"\} [0-9.e+-]+$' "$m" || tq_fail "no worker idle time"
grep -Eq '^tachyon_worker_polls_total\{worker="0"\} [1-9]' "$m" || tq_fail "no worker polls"
tq_pass "$fams families: all $ids engine counters by worker and summed, gauges typed, xstats, mempool, app counter, worker load"

# Counters rise by exactly what happened.
po0=$(metric tachyon_tcp_passive_opens_total 'worker="all"' "$m")
hs0=$(metric tachyon_tcp_handshake_duration_seconds_count 'worker="all"' "$m")
for ((i = 0; i < 5; i++)); do
	tq_peer curl -sS --max-time 5 -o /dev/null "http://$TQ_ENG4/index.html" ||
		tq_fail "HTTP request $i failed"
done
m=$TQ_TMP/m2
scrape "$m"
po1=$(metric tachyon_tcp_passive_opens_total 'worker="all"' "$m")
hs1=$(metric tachyon_tcp_handshake_duration_seconds_count 'worker="all"' "$m")
((po1 - po0 == 5)) || tq_fail "passive opens grew by $((po1 - po0)), expected 5"
((hs1 - hs0 == 5)) || tq_fail "handshake histogram count grew by $((hs1 - hs0)), expected 5"
inf=$(metric tachyon_tcp_handshake_duration_seconds_bucket 'worker="all",le="+Inf"' "$m")
((inf == hs1)) || tq_fail "+Inf bucket $inf != count $hs1"
tq_pass "5 HTTP requests: passive opens +5, handshake histogram +5 (+Inf bucket = count)"

# 16 held connections are 16 ESTAB; closed, they leave the gauge.
"$TQ_CTL" --file-prefix "$TQ_PREFIX" stats >/dev/null
hold_done=$TQ_TMP/hold.release
tq_peer "$py" - "$TQ_ENG4" "$hold_done" >"$TQ_TMP/hold.out" 2>&1 <<'PY' &
import os, socket, sys, time
socks = [socket.create_connection((sys.argv[1], 80), timeout=5) for _ in range(16)]
print("held", flush=True)
for _ in range(300):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
for s in socks:
    s.close()
PY
hold_pid=$!
TQ_PIDS+=("$hold_pid")
for ((i = 0; i < 50; i++)); do
	grep -q held "$TQ_TMP/hold.out" && break
	sleep 0.1
done
grep -q held "$TQ_TMP/hold.out" || tq_fail "could not open 16 connections: $(cat "$TQ_TMP/hold.out")"
sleep 0.2
m=$TQ_TMP/m3
scrape "$m"
est=$(metric tachyon_tcp_connections 'worker="all",state="ESTAB"' "$m")
((est == 16)) || tq_fail "$est ESTAB connections in /metrics with 16 held"
cur=$(metric tachyon_tcp_current_established 'worker="all"' "$m")
((cur == 16)) || tq_fail "tachyon_tcp_current_established $cur with 16 held"
touch "$hold_done"
wait "$hold_pid" || tq_fail "the holding client failed: $(cat "$TQ_TMP/hold.out")"
for ((i = 0; i < 50; i++)); do
	scrape "$m"
	est=$(metric tachyon_tcp_connections 'worker="all",state="ESTAB"' "$m")
	((est == 0)) && break
	sleep 0.1
done
((est == 0)) || tq_fail "$est ESTAB connections left after the client closed all 16"
tq_pass "16 held connections: 16 ESTAB (and TcpCurrEstab 16); 0 after they closed"

# Other paths: 404; the page is the same without the path's trailing bits.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$mport/nope")
[[ $code == 404 ]] || tq_fail "GET /nope answered $code, expected 404"
tq_pass "GET /nope: 404"

tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC after SIGTERM"
! curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" >/dev/null 2>&1 ||
	tq_fail "/metrics still answers after the engine stopped"
tq_pass "SIGTERM: exit 0, the metrics socket closed"

# tq-proxy serves the same page (an engine option): its app counters on
# it, promtool clean, one relayed request counted.
tq_peer "$py" -m http.server --bind "$TQ_PEER4" 8081 >/dev/null 2>&1 &
TQ_PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ":8081 " && break
	sleep 0.1
done
TQ_SERVER="$TQ_BUILD_DIR/apps/tq-proxy"
tq_server_start "$(tq_vdev_af_packet)" -- --addr "$TQ_ENG4/24" --listen 80 \
	--backend "$TQ_PEER4:8081" --metrics "127.0.0.1:$mport"
tq_peer curl -sS --max-time 5 -o /dev/null "http://$TQ_ENG4/" || tq_fail "request through tq-proxy"
m=$TQ_TMP/m4
for ((i = 0; i < 20; i++)); do
	scrape "$m"
	grep -Eq '^tachyon_app_proxy_[a-z_]*_total\{worker="all"\} [1-9]' "$m" && break
	sleep 0.1
done
out=$(promtool check metrics <"$m" 2>&1) || tq_fail "tq-proxy: promtool check metrics: $out"
[[ -z $out ]] || tq_fail "tq-proxy: promtool check metrics reported: $out"
n=$(grep -c '^# TYPE tachyon_app_proxy_' "$m" || true)
((n >= 5)) || tq_fail "tq-proxy: $n proxy families on /metrics"
grep -Eq '^tachyon_app_proxy_[a-z_]*_total\{worker="all"\} [1-9]' "$m" ||
	tq_fail "tq-proxy: no proxy counter rose: $(grep '^tachyon_app_proxy' "$m" | head -5)"
# Its own families (tq_engine_on_metrics), labelled by backend.
bl="backend=\"$TQ_PEER4:8081\",pool=\"default\""
grep -qF "tachyon_proxy_backend_up{$bl} 1" "$m" ||
	tq_fail "tq-proxy: no backend_up for $bl: $(grep '^tachyon_proxy_backend_up' "$m")"
grep -Eq "^tachyon_proxy_backend_connections_total\{backend=\"$TQ_PEER4:8081\",pool=\"default\"\} [1-9]" "$m" ||
	tq_fail "tq-proxy: the relayed connection not counted per backend"
grep -Eq "^tachyon_proxy_backend_received_bytes_total\{backend=\"$TQ_PEER4:8081\",pool=\"default\"\} [1-9]" "$m" ||
	tq_fail "tq-proxy: no bytes from the backend counted"
tq_stop_pid "$TQ_SERVER_PID" 3
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-proxy exited with $TQ_STOP_RC"
tq_pass "tq-proxy --metrics: $n proxy families and per-backend ones, promtool clean, the relayed request counted"
tq_pass "all checks passed"
