#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/cost/run.sh: instructions per request and per connection, one side,
# counted by callgrind on build/bench/stack_bench (two engines on the
# in-memory link, one thread).
#
# Each mode runs twice under `valgrind --tool=callgrind`, at N1 and N2
# requests (rr) or connections (crr); the difference of the two totals
# is the work of N2 - N1 transactions with the EAL, pool and link set-up
# and the tear-down cancelled out.  Both stacks run in the one process, so
# the difference is halved for one side.  The same difference is taken
# per function (callgrind_annotate) for the top list.
#
# Usage: bench/cost/run.sh [OUT.json]
# Environment: BUILD (build), MODES ("rr crr"), RR_COUNTS ("2000 4000"),
# CRR_COUNTS ("1000 2000"), CONNS (1), RESP (1024), TOP (15),
# TQ_MEMLINK_CSUM (unset: the link offers checksum offloads; 0: it does
# not, every checksum in software), COST_MAX ("rr=N,crr=N": fail above).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
MODES=${MODES:-rr crr}
RR_COUNTS=${RR_COUNTS:-2000 4000}
CRR_COUNTS=${CRR_COUNTS:-1000 2000}
CONNS=${CONNS:-1}
RESP=${RESP:-1024}
TOP=${TOP:-15}
OUT=${1:-$BUILD/bench-cost/cost.json}
BENCH=$BUILD/bench/stack_bench

die() { echo "cost/run.sh: $*" >&2; exit 1; }

command -v valgrind >/dev/null || die "needs valgrind"
command -v callgrind_annotate >/dev/null || die "needs callgrind_annotate"
[ -x "$BENCH" ] || die "no $BENCH: build first (ninja -C $BUILD)"
for v in CONNS RESP TOP; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$OUT")"

args=()
for mode in $MODES; do
	case $mode in
	rr) counts=$RR_COUNTS ;;
	crr) counts=$CRR_COUNTS ;;
	bulk) counts=${BULK_COUNTS:-1048576 2097152} ;;
	*) die "unknown mode $mode" ;;
	esac
	read -r n1 n2 <<<"$counts"
	[[ $n1 =~ ^[0-9]+$ && $n2 =~ ^[0-9]+$ && $n2 -gt $n1 ]] ||
		die "$mode counts must be two whole numbers, the second larger"
	for n in $n1 $n2; do
		cg=$TMP/$mode.$n.out
		echo "== $mode --count $n (callgrind)" >&2
		valgrind --tool=callgrind --callgrind-out-file="$cg" \
			"$BENCH" --mode "$mode" --count "$n" --conns "$CONNS" \
			--resp "$RESP" >"$TMP/$mode.$n.json" 2>"$TMP/$mode.$n.log" ||
			{ tail -20 "$TMP/$mode.$n.log" >&2; die "$mode $n failed"; }
		callgrind_annotate --threshold=100 --auto=no "$cg" >"$TMP/$mode.$n.txt"
	done
	args+=("$mode" "$n1" "$TMP/$mode.$n1.txt" "$n2" "$TMP/$mode.$n2.txt")
done

commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit+dirty"
fi
python3 "$HERE/report.py" "$OUT" "$commit" "$CONNS" "$RESP" "$TOP" \
	"${TQ_MEMLINK_CSUM:-1}" "${args[@]}"
