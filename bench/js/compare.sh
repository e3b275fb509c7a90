#!/usr/bin/env bash
# The JS micro-benchmarks of bench/js/ (each file runs unchanged under torus, Node and Deno)
# under the three runtimes, one after the other in the same run, their raw output grouped
# per benchmark. Use a release or bench build (the dev build has ASan).
#   bench/js/compare.sh [TORUS_BIN] > report.txt
# Deno comes from npm into bench/wrk/.peers (as bench/wrk/run.py installs it); a runtime
# that is missing is reported as such and skipped.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
torus=${1:-$root/build/bench/server/torus}
deno="$root/bench/wrk/.peers/node_modules/.bin/deno"
if [ ! -x "$deno" ] && command -v npm >/dev/null; then
  npm install --prefix "$root/bench/wrk/.peers" --no-audit --no-fund --loglevel=error deno >&2 || true
fi
benches=(url_bench.js encoding_bench.js structured_clone.bench.js headers_bench.js streams_bench.js
        compression_bench.js)
echo "# JS micro-benchmarks, $(date -u '+%Y-%m-%d %H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for b in "${benches[@]}"; do
  [ -f "$root/bench/js/$b" ] || continue
  echo
  echo "## $b"
  for rt in torus node deno; do
    case $rt in
      torus) cmd=("$torus" run "$root/bench/js/$b") ;;
      node) cmd=(node "$root/bench/js/$b") ;;
      deno) cmd=("$deno" run "$root/bench/js/$b") ;;
    esac
    if ! command -v "${cmd[0]}" >/dev/null 2>&1; then
      echo "($rt: not available)"
      continue
    fi
    echo "### $rt"
    timeout 300 "${cmd[@]}" 2>&1 | sed 's/^/    /'
  done
done
