#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# workers_test: tq-server with two workers (net_af_packet with qpairs=2;
# lcores 1 and 2 share CPU 1 on a 2-core machine, which is fine for
# correctness) answers ping and UDP echo from many source ports, and
# tq-ctl --per-worker shows both workers received traffic, with totals
# that match the per-worker sums.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init workers
ncpu=$(nproc)
if ((ncpu >= 3)); then
	lcores=0-2
else
	lcores=0@0,1@$((ncpu - 1)),2@$((ncpu - 1))
fi
TQ_VDEV_ARGS=qpairs=2
tq_engine_up af_packet 10.218 fd18:218 --lcores "$lcores" -- --udp-echo 7
[[ $(tq_info workers) == 2 ]] || tq_fail "tq-ctl info: workers is '$(tq_info workers)', expected 2"
py=$(tq_python)

tq_peer ping -n -q -c 10 -i 0.05 -W 2 "$TQ_ENG4" >/dev/null || tq_fail "ping with 2 workers failed"
tq_peer ping -n -q -c 10 -i 0.05 -W 2 "$TQ_ENG6" >/dev/null || tq_fail "ping -6 with 2 workers failed"

in0=$(tq_ctr UdpInDatagrams)
for dst in "$TQ_ENG4" "$TQ_ENG6"; do
	# 64 sockets, so 64 flows for the PMD's fanout hash to spread.
	tq_peer "$py" "$TQ_LIB_DIR/udp_echo_client.py" "$dst" 7 --count 640 \
		--sports 64 --max-size 1400 || tq_fail "UDP echo to $dst with 2 workers failed"
done
in1=$(tq_ctr UdpInDatagrams)
((in1 - in0 >= 1280)) || tq_fail "UdpInDatagrams grew by $((in1 - in0)), expected >= 1280"

per=$("$TQ_CTL" --file-prefix "$TQ_PREFIX" --per-worker -z stats) ||
	tq_fail "tq-ctl --per-worker stats failed"
# "# worker N" blocks of "Name Value" lines.
pw() {
	awk -v w="$1" -v k="$2" '/^# worker/ {cur = $3; next} cur == w && $1 == k {print $2}' <<<"$per"
}
for w in 0 1; do
	[[ -n $(pw $w RxPackets) ]] || tq_fail "no '# worker $w' block in tq-ctl --per-worker"
done
rx0=$(pw 0 RxPackets) rx1=$(pw 1 RxPackets)
u0=$(pw 0 UdpInDatagrams) u1=$(pw 1 UdpInDatagrams)
tx0=$(pw 0 TxPackets) tx1=$(pw 1 TxPackets)
tq_log "worker 0: RxPackets $rx0 UdpInDatagrams $u0 TxPackets $tx0"
tq_log "worker 1: RxPackets $rx1 UdpInDatagrams $u1 TxPackets $tx1"
tot_u=$(tq_ctr UdpInDatagrams)
((u0 + u1 == tot_u)) || tq_fail "per-worker UdpInDatagrams $u0 + $u1 != total $tot_u"
tot_tx=$(tq_ctr TxPackets)
((tx0 + tx1 == tot_tx)) || tq_fail "per-worker TxPackets $tx0 + $tx1 != total $tot_tx"
# Both queues must see traffic: af_packet's fanout hashes flows (its
# default PACKET_FANOUT_HASH) and 64 source ports land on both sockets.
((u0 > 0 && u1 > 0)) || tq_fail "UDP went to one worker only ($u0 / $u1): no spreading over the two queues"
((rx0 > 0 && rx1 > 0)) || tq_fail "one worker received nothing ($rx0 / $rx1)"
tq_pass "both workers received UDP ($u0 / $u1 datagrams) and the totals match"

tq_alive "$TQ_SERVER_PID" || tq_fail "tq-server died"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server exited with $TQ_STOP_RC"

# No -l: a worker on every CPU, the control thread beside the first.
TQ_VDEV_ARGS=qpairs=$ncpu
TQ_DEFAULT_LCORES=1 tq_server_start "$(tq_vdev_af_packet "qpairs=$ncpu")" -- \
	--addr "$TQ_ENG4/24" --udp-echo 7
[[ $(tq_info workers) == "$ncpu" ]] || tq_fail "no -l: $(tq_info workers) workers on $ncpu CPUs"
main_cpu=$(taskset -cp "$TQ_SERVER_PID" | awk '{print $NF}')
[[ $main_cpu == "$(taskset -cp $$ | awk '{print $NF}' | cut -d, -f1 | cut -d- -f1)" ]] ||
	tq_fail "no -l: the control thread runs on CPUs '$main_cpu'"
tq_peer "$py" "$TQ_LIB_DIR/udp_echo_client.py" "$TQ_ENG4" 7 --count 320 \
	--sports 32 --max-size 200 || tq_fail "UDP echo with the default lcores failed"
tq_stop_pid "$TQ_SERVER_PID"
[[ $TQ_STOP_RC -eq 0 ]] || tq_fail "tq-server (no -l) exited with $TQ_STOP_RC"
tq_pass "no -l: $ncpu workers on $ncpu CPUs, the control thread on CPU $main_cpu with the first, UDP echo served"
tq_pass "all checks passed"
