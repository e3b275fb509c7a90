#!/usr/bin/env bash
# End-to-end wrk benchmark of torus against Node, Bun and Deno; see run.py for what it
# measures. Builds nothing: TORUS_BIN defaults to build/bench/server/torus
# (cmake --preset bench && ninja -C build/bench torus).
#   bench/wrk/run.sh [--runs 5] [--duration 10] [--servers torus,node,bun,deno] [--no-install]
#                    [--torus-base OLD_BINARY]   (before/after a change, in one run)
#                    [--path /json]              (Response.json instead of hello world)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
