#!/usr/bin/env bash
# Runs bench/js/url_bench.js under torus and under node, one after the other in the same
# run, and prints a Markdown table of median ns/op. Usage: bench/js/url_bench.sh [TORUS_BIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
torus=${1:-$root/build/release/server/torus}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$torus" run "$root/bench/js/url_bench.js" >>"$out"
node "$root/bench/js/url_bench.js" >>"$out"
python3 - "$out" <<'PY'
import json, sys
rows, runtimes = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["runtime"] not in runtimes: runtimes.append(r["runtime"])
    rows.setdefault(r["case"], {})[r["runtime"]] = r["ns"]
print("| case | " + " | ".join(f"{rt} (ns/op)" for rt in runtimes) + " | torus / node |")
print("|---|" + "---|" * (len(runtimes) + 1))
for case, v in rows.items():
    t, n = v.get(runtimes[0]), v.get(runtimes[-1])
    ratio = f"{t / n:.2f}x" if t and n else "-"
    print(f"| {case} | " + " | ".join(str(v.get(rt, "-")) for rt in runtimes) + f" | {ratio} |")
PY
