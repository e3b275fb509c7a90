#!/usr/bin/env bash
# Proxy benchmark: an app that fetch()es a local node:http upstream and returns its body, on
# torus, Deno, Bun and Node (undici) in one run: req/s, requests per proxy-CPU-second, p99,
# upstream connections opened (reuse); see run.py. Builds nothing: TORUS_BIN defaults to
# build/bench/server/torus (cmake --preset bench && cmake --build --preset bench --target torus).
#   bench/proxy/run.sh [--runs 5] [--duration 10] [--servers torus,torus-return,torus-example,torus-idle256,deno,bun,node]
#                      [--proxy-cpu 1] [--client-cpu 0] [--no-install] [--output FILE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/run.py" "$@"
