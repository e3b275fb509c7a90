#!/bin/sh
# Form parsing, torus next to Node, in one run: bench/js/multipart_bench (Google Benchmark,
# 5 repetitions, medians) then Node's undici Response#formData() on the same 1 MiB body.
#   bench/js/multipart_vs_node.sh [build dir, default build/release]
set -e
here=$(dirname "$0")
build=${1:-build/release}
"$build/bench/js/multipart_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null | grep -E 'median|Benchmark'
node "$here/multipart_node.mjs"
