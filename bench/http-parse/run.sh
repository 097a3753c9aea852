#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/http-parse/run.sh: ns per message of our HTTP/1.1 parser and of
# Debian's libhttp-parser on the same heads (see http_parse_bench.c), as a
# table.  Needs libhttp-parser-dev at build time (./tachyon setup installs
# it) and a build in build/ (./tachyon build).
#
# Usage: bench/http-parse/run.sh [iterations (1000000)] [rounds (7)]
# Environment: BUILD (build) the build directory; JSON=file also keeps
# the raw output there.  Pin it (taskset -c N) on a quiet core for numbers
# worth comparing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${BUILD:-$top/build}/bench/http_parse_bench
[ -x "$bin" ] || {
	echo "run.sh: $bin not built (libhttp-parser-dev missing?)" >&2
	exit 1
}
out=$("$bin" "${1:-1000000}" "${2:-7}")
[ -z "${JSON:-}" ] || printf '%s\n' "$out" >"$JSON"
python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print("http-parser %s, %d iterations (resp: /4), best of %d rounds" %
      (d["http_parser"], d["iterations"], d["rounds"]))
print("%-10s %6s  %-15s %10s %9s" % ("case", "bytes", "parser", "ns/msg",
                                     "bytes/ns"))
for r in d["results"]:
    print("%-10s %6d  %-15s %10.1f %9.2f" % (r["case"], r["bytes"],
          r["parser"], r["ns_per_msg"], r["bytes_per_ns"]))
' <<<"$out"
