#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/quic-crypto/run.sh: ns per 1200-byte QUIC packet seal and open,
# and per header protection mask, for each packet protection backend
# (intel-ipsec-mb direct, GnuTLS) and cipher suite, plus AES-GCM through
# DPDK's cryptodev (crypto_aesni_gcm, CPU crypto) for comparison.  The
# programs are tests/bench/quic_crypto_bench.c and
# quic_cryptodev_bench.c (under tests/ since they use the engine's
# private header); see docs/benchmarks.md.
#
# Usage: bench/quic-crypto/run.sh
# Environment: BUILD (build), ROUNDS (7) rounds of ~40 ms per figure,
# REPEAT (5) runs of both programs, alternating which goes first, the
# figure being the median over all rounds of all runs; CORE (1) the
# core to pin to;
# QUIET_WAIT (30) seconds to wait for the machine to go idle first;
# NO_DOCS=1 to leave docs/bench/quic-crypto.json alone.  No root needed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}
ROUNDS=${ROUNDS:-7}
REPEAT=${REPEAT:-5}
CORE=${CORE:-1}
QUIET_WAIT=${QUIET_WAIT:-30}
bench=$build/tests/bench/quic_crypto_bench
cdev=$build/tests/bench/quic_cryptodev_bench

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
# shellcheck source=../lib.sh
. "$top/bench/lib.sh"

[ -x "$bench" ] || die "$bench not built (./tachyon build)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run_direct() {
	log "run $1/$REPEAT: quic_crypto_bench (core $CORE, $ROUNDS rounds)"
	taskset -c "$CORE" "$bench" "$ROUNDS" 1200 >"$TMP/direct.$1.json"
}

run_cdev() {
	[ -x "$cdev" ] || return 0
	log "run $1/$REPEAT: quic_cryptodev_bench"
	taskset -c "$CORE" "$cdev" "$ROUNDS" >"$TMP/cdev.$1.json" \
		2>"$TMP/cdev.$1.err" || {
		log "cryptodev bench failed: $(tail -1 "$TMP/cdev.$1.err")"
		rm -f "$TMP/cdev.$1.json"
	}
}

# Alternate which program goes first, so neither always gets the
# moment right after the machine went quiet.
for ((i = 1; i <= REPEAT; i++)); do
	wait_quiet "$TMP"
	read -r waited quiet busy <"$TMP/quiet"
	echo "$i $waited $quiet $busy" >>"$TMP/quiet.all"
	if ((i % 2)); then
		run_direct "$i"
		run_cdev "$i"
	else
		run_cdev "$i"
		run_direct "$i"
	fi
done

out=$top/bench/results/quic-crypto-$(date -u +%Y%m%dT%H%M%SZ).json
mkdir -p "$top/bench/results"
python3 - "$TMP" "$out" "$REPEAT" "$ROUNDS" "$CORE" \
	"$(git -C "$top" rev-parse --short HEAD)" <<'PY'
import glob, json, os, platform, statistics, subprocess, sys, time

tmp, out, repeat, rounds, core, commit = sys.argv[1:7]

def pkg(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name],
                              capture_output=True, text=True).stdout
    except OSError:
        return ""

cpu = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break

direct = {}
for f in sorted(glob.glob(os.path.join(tmp, "direct.*.json"))):
    for r in json.load(open(f))["results"]:
        k = (r["backend"], r["cipher"], r["op"])
        d = direct.setdefault(k, {"arch": r["arch"], "bytes": r["bytes"],
                                  "rounds": []})
        d["rounds"] += r["rounds_ns"]
cdev = {}
for f in sorted(glob.glob(os.path.join(tmp, "cdev.*.json"))):
    for r in json.load(open(f))["results"]:
        k = (r["cipher"], r["op"], r["burst"])
        cdev.setdefault(k, []).append(r["ns_median"])

results = []
for (b, c, op), d in sorted(direct.items()):
    v = sorted(d["rounds"])
    results.append({"backend": b, "arch": d["arch"], "cipher": c, "op": op,
                    "bytes": d["bytes"],
                    "ns_median": round(statistics.median(v), 1),
                    "ns_min": v[0], "ns_max": v[-1], "rounds_ns": v})
cd = [{"path": "cryptodev", "device": "crypto_aesni_gcm0", "cipher": c,
       "op": op, "burst": burst,
       "ns_median": round(statistics.median(v), 1), "runs_ns": v}
      for (c, op, burst), v in sorted(cdev.items())]
quiet = [l.split() for l in open(os.path.join(tmp, "quiet.all"))]
doc = {
    "run": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
    "commit": commit,
    "machine": {"cpu": cpu, "nproc": os.cpu_count(),
                "kernel": platform.release()},
    "versions": {"libipsec-mb1": pkg("libipsec-mb1"),
                 "libgnutls30": pkg("libgnutls30"),
                 "dpdk": pkg("librte-cryptodev23")},
    "payload_bytes": 1200, "header_bytes": 20,
    "repeat": int(repeat), "rounds_per_run": int(rounds), "core": int(core),
    "quiet": [{"run": int(q[0]), "waited_s": int(q[1]), "idle": q[2] == "yes",
               "busy_pct_of_core": int(q[3])} for q in quiet],
    "results": results, "cryptodev": cd,
}
json.dump(doc, open(out, "w"), indent=1)
print(out)
PY
log "wrote $out"
[ "${NO_DOCS:-0}" = 1 ] || cp "$out" "$top/docs/bench/quic-crypto.json"
python3 "$here/report.py" "$out"
