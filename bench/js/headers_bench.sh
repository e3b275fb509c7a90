#!/usr/bin/env bash
# Runs bench/js/headers_bench.js under torus, node and deno, one after the other in the same
# run, and prints a Markdown table of median ns/op. Deno is the one bench/wrk/run.py installs
# (npm install --prefix bench/wrk/.peers deno); it is skipped when missing.
# Usage: bench/js/headers_bench.sh [TORUS_BIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
torus=${1:-$root/build/bench/server/torus}
deno=$root/bench/wrk/.peers/node_modules/.bin/deno
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$torus" run "$root/bench/js/headers_bench.js" >>"$out"
node "$root/bench/js/headers_bench.js" >>"$out"
if [ -x "$deno" ]; then "$deno" run --no-prompt "$root/bench/js/headers_bench.js" >>"$out"; fi
python3 - "$out" <<'PY'
import json, sys
rows, runtimes = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["runtime"] not in runtimes: runtimes.append(r["runtime"])
    rows.setdefault(r["case"], {})[r["runtime"]] = r["ns"]
print("| case | " + " | ".join(f"{rt} (ns/op)" for rt in runtimes) + " |")
print("|---|" + "---|" * len(runtimes))
for case, v in rows.items():
    print(f"| {case} | " + " | ".join(str(v.get(rt, "-")) for rt in runtimes) + " |")
PY
