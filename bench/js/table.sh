#!/usr/bin/env bash
# Runs a JS micro-benchmark that prints one JSON line per case ({"runtime", "case", "ns"}:
# url_bench.js, headers_bench.js) under torus, node and deno, one after the other in the same
# run, and prints a Markdown table of median ns/op with torus / node. Deno is the one
# bench/wrk/run.py installs (npm install --prefix bench/wrk/.peers deno); skipped when missing.
# Usage: bench/js/table.sh BENCH.js [TORUS_BIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$1
torus=${2:-$root/build/bench/server/torus}
deno=$root/bench/wrk/.peers/node_modules/.bin/deno
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$torus" run "$bench" >>"$out"
node "$bench" >>"$out"
if [ -x "$deno" ]; then "$deno" run --no-prompt "$bench" >>"$out"; fi
python3 - "$out" <<'PY'
import json, sys
rows, runtimes = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["runtime"] not in runtimes: runtimes.append(r["runtime"])
    rows.setdefault(r["case"], {})[r["runtime"]] = r["ns"]
node = next((rt for rt in runtimes if rt.startswith("node")), None)
print("| case | " + " | ".join(f"{rt} (ns/op)" for rt in runtimes) + " | torus / node |")
print("|---|" + "---|" * (len(runtimes) + 1))
for case, v in rows.items():
    t, n = v.get(runtimes[0]), v.get(node)
    ratio = f"{t / n:.2f}x" if t and n else "-"
    print(f"| {case} | " + " | ".join(str(v.get(rt, "-")) for rt in runtimes) + f" | {ratio} |")
PY
