#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gen_echo_test: tq-gen's TCP modes against socat in a netns.  tcp-echo
# sends --size bytes and waits for all of them back (checked byte for
# byte: any difference is a parse error); tcp-bulk streams one way into
# a sink.  No errors, the byte counts agree with the requests.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"
source "$TQ_LIB_DIR/gen_lib.sh"

gen_init gen_echo_test
tq_require_tools socat
n=$(tq_free_subnet 10.237)
peer=10.237.$n.1
eng=10.237.$n.2
tq_veth_setup "$peer/24"
tq_bg ip netns exec "$TQ_NS" socat "TCP-LISTEN:8007,bind=$peer,fork,reuseaddr" EXEC:cat
tq_bg ip netns exec "$TQ_NS" socat -u "TCP-LISTEN:8009,bind=$peer,fork,reuseaddr" OPEN:/dev/null
for ((i = 0; i < 50; i++)); do
	tq_peer ss -ltn | grep -q ':8009 ' && break
	sleep 0.1
done

gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" --mode tcp-echo \
	--url "tcp://$peer:8007" --connections 4 --size 3000 --duration 2 \
	--json "$TQ_TMP/echo.json"
check=$(gen_json "$TQ_TMP/echo.json" '
r["requests"] > 50 and r["errors"]["total"] == 0 and
r["requests"] * 3000 <= r["bytes_rx"] <= r["bytes_tx"] <= (r["requests"] + 4) * 3000')
[[ $check == True ]] || { cat "$TQ_TMP/echo.json" >&2; tq_fail "tcp-echo"; }
tq_pass "tcp-echo: $(gen_json "$TQ_TMP/echo.json" 'r["requests"]') echoes of 3000 bytes"

gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" --mode tcp-bulk \
	--url "tcp://$peer:8009" --connections 2 --size 16384 --duration 2 \
	--json "$TQ_TMP/bulk.json"
check=$(gen_json "$TQ_TMP/bulk.json" '
r["bytes_tx"] > 10**6 and r["errors"]["total"] == 0 and r["bytes_per_sec"] > 0')
[[ $check == True ]] || { cat "$TQ_TMP/bulk.json" >&2; tq_fail "tcp-bulk"; }
tq_pass "tcp-bulk: $(gen_json "$TQ_TMP/bulk.json" 'int(r["bytes_per_sec"])') bytes/s"

# --cc: every connection tq-gen opens is set to BBR (TQ_OPT_CC before
# its handshake; an unknown option or name would stop tq-gen) and the
# bulk flows without errors.  That each connection runs the cc it was
# given is sim_cc_conn's check.
gen_run 20 "$(tq_vdev_af_packet)" -- --addr "$eng/24" --mode tcp-bulk \
	--url "tcp://$peer:8009" --connections 2 --size 16384 --duration 2 \
	--cc bbr --json "$TQ_TMP/bulk_bbr.json"
check=$(gen_json "$TQ_TMP/bulk_bbr.json" '
r["bytes_tx"] > 10**6 and r["errors"]["total"] == 0')
[[ $check == True ]] || { cat "$TQ_TMP/bulk_bbr.json" >&2; tq_fail "tcp-bulk --cc bbr"; }
tq_pass "tcp-bulk --cc bbr: $(gen_json "$TQ_TMP/bulk_bbr.json" 'int(r["bytes_per_sec"])') bytes/s"
