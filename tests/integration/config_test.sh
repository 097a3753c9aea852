#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# config_test: bad configuration makes tq-server exit with status 2 and
# one line on stderr that names the offending key and value: unknown
# option, bad --addr, bad --fault spec, config file with an unknown key
# or a bad value, no port at all; and drivers-config/af_packet.ini (if
# present) loads without a config error.  Needs no network: only the
# no-port case starts EAL.
set -euo pipefail
source "${TQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/netns.sh"

tq_init config
fails=0

# expect_config_error NAME 'PATTERN...' -- ARGS...: exit 2, exactly one
# "tq-server:" line on stderr, and it matches every PATTERN (grep -F).
expect_config_error() {
	local name=$1 rc=0 line n p
	shift
	local -a pats=()
	while [[ $1 != -- ]]; do pats+=("$1"); shift; done
	shift
	timeout 30 "$TQ_SERVER" "$@" >"$TQ_TMP/out" 2>"$TQ_TMP/err" </dev/null || rc=$?
	n=$(grep -c '^tq-server:' "$TQ_TMP/err" || true)
	line=$(grep '^tq-server:' "$TQ_TMP/err" | head -n 1)
	if [[ $rc -ne 2 ]]; then
		tq_log "FAIL $name: exit status $rc, expected 2"
		cat "$TQ_TMP/err" >&2
		fails=$((fails + 1))
		return
	fi
	if [[ $n -ne 1 ]]; then
		tq_log "FAIL $name: $n 'tq-server:' lines on stderr, expected 1"
		cat "$TQ_TMP/err" >&2
		fails=$((fails + 1))
		return
	fi
	for p in "${pats[@]}"; do
		if ! grep -qF -- "$p" <<<"$line"; then
			tq_log "FAIL $name: message does not name '$p': $line"
			fails=$((fails + 1))
			return
		fi
	done
	tq_log "ok $name: exit 2: $line"
}

A=(--addr 10.219.0.2/24)

expect_config_error "unknown option" "unknown option" "--no-such-option" -- \
	-- "${A[@]}" --no-such-option
expect_config_error "unexpected argument" "stray" -- \
	-- "${A[@]}" stray
expect_config_error "missing option value" "--addr" -- \
	-- --addr
expect_config_error "bad --addr (octet)" "--addr" "10.0.0.300/24" -- \
	-- --addr 10.0.0.300/24
expect_config_error "bad --addr (prefix)" "--addr" "10.0.0.2/33" -- \
	-- --addr 10.0.0.2/33
expect_config_error "bad --addr (multicast)" "--addr" "224.0.0.1/24" -- \
	-- --addr 224.0.0.1/24
expect_config_error "bad --addr (v6)" "--addr" "fd00::g/64" -- \
	-- --addr fd00::g/64
expect_config_error "no --addr" "--addr" -- \
	--
expect_config_error "bad --fault (probability)" "--fault" "drop=2" -- \
	-- "${A[@]}" --fault drop=2
expect_config_error "bad --fault (key)" "--fault" "bogus=3" -- \
	-- "${A[@]}" --fault drop=0.1,bogus=3
expect_config_error "bad --fault (dir)" "--fault" "dir=sideways" -- \
	-- "${A[@]}" --fault dir=sideways

cfg=$TQ_TMP/unknown.ini
printf '[net]\nttl = 32\nno-such-key = 1\n' >"$cfg"
expect_config_error "config: unknown key" "$cfg" "no-such-key" "[net]" -- \
	-- --config "$cfg" "${A[@]}"
cfg=$TQ_TMP/badvalue.ini
printf '[net]\nttl = 300\n' >"$cfg"
expect_config_error "config: bad value" "$cfg" "ttl" "300" -- \
	-- --config "$cfg" "${A[@]}"
cfg=$TQ_TMP/wrongsection.ini
printf '[port]\nttl = 32\n' >"$cfg"
expect_config_error "config: key in the wrong section" "$cfg" "ttl" "[port]" -- \
	-- --config "$cfg" "${A[@]}"
cfg=$TQ_TMP/badflag.ini
printf '[port]\npromisc = maybe\n' >"$cfg"
expect_config_error "config: bad flag value" "$cfg" "promisc" "maybe" -- \
	-- --config "$cfg" "${A[@]}"
expect_config_error "config: missing file" "$TQ_TMP/none.ini" -- \
	-- --config "$TQ_TMP/none.ini" "${A[@]}"

# No port: EAL starts (so it gets its own file prefix and memory), finds
# no device, and the engine says how to give one.
TQ_PREFIX="tq$$_config_noport"
TQ_PREFIXES+=("$TQ_PREFIX")
read -r -a mem <<<"$(tq_eal_mem)"
expect_config_error "no port" "no port" "--vdev" -- \
	-l 0-1 "${mem[@]}" --no-pci --file-prefix "$TQ_PREFIX" -- "${A[@]}"

# The af_packet profile: every key in it must be accepted.  An unknown
# option after it stops the engine before EAL, and the error must be
# about that option, not the profile.
prof=$TQ_SOURCE_DIR/drivers-config/af_packet.ini
if [[ -f $prof ]]; then
	expect_config_error "drivers-config/af_packet.ini loads" \
		"unknown option" "--tq-profile-check" -- \
		-- --config "$prof" "${A[@]}" --tq-profile-check
	cfg=$TQ_TMP/af_packet_bad.ini
	{ cat "$prof"; printf '\n[net]\nneigh-queue = 0\n'; } >"$cfg"
	expect_config_error "af_packet.ini plus a bad value" "neigh-queue" "'0'" -- \
		-- --config "$cfg" "${A[@]}"
else
	tq_log "skip: $prof does not exist yet"
fi

((fails == 0)) || tq_fail "$fails configuration case(s) failed"
tq_pass "all checks passed"
