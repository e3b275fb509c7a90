#!/usr/bin/env bash
# Streaming benchmarks of issue 6 (1 GiB echo, CompressionStream gzip, SSE memory): torus vs
# Deno, Node and Bun in one run; see run.py. TORUS_BIN defaults to build/bench/server/torus.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
