#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, -fsanitize=fuzzer, ASan + UBSan) and runs
# each in turn, seeded with its committed corpus (tests/fuzz/corpus/NAME/); what a run finds
# new goes to a scratch corpus (build/fuzz/corpus/NAME/), crashes to build/fuzz/artifacts/.
# Time: one hour in all by default, split evenly; --seconds N gives each target N seconds
# (CI: a short run of each, e.g. --seconds 30).
#
#   tests/fuzz/run.sh [--seconds N] [--total N] [--build-dir DIR] [--no-build] [TARGET...]
#
# TARGET: a name from tests/fuzz/CMakeLists.txt (http_server, chunked, ...); default: all.
# Exits non-zero if any target found a crash, a leak or a broken invariant; prints one line
# per target (runs, executions, coverage, corpus size) and where the findings are.
# Reproduce a finding with the binary and the file, or in the dev build (gcc):
#   build/dev/tests/fuzz/NAME_fuzz_replay build/fuzz/artifacts/NAME-crash-...
# TORUS_FUZZ_KNOWN=1 (in the environment) also takes the paths of known open findings
# (docs/fuzzing.md), which the targets otherwise step around.
set -uo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.."
ROOT=$PWD

ALL=(http_server http_parser http_response_parser chunked config multipart url tls headers structured_clone)
SECONDS_EACH=""
TOTAL=3600
BUILD_DIR="$ROOT/build/fuzz"
BUILD=1
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH="$2"; shift 2 ;;
    --total) TOTAL="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,16p' "$SELF" | grep '^#' | cut -c3-; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
[ -z "$SECONDS_EACH" ] && SECONDS_EACH=$(( TOTAL / ${#TARGETS[@]} ))
[ "$SECONDS_EACH" -lt 1 ] && SECONDS_EACH=1

if [ "$BUILD" = 1 ]; then
  bins=()
  for t in "${TARGETS[@]}"; do bins+=("${t}_fuzz"); done
  if [ "$BUILD_DIR" = "$ROOT/build/fuzz" ]; then
    cmake --preset fuzz >/dev/null || exit 1
  else
    cmake --preset fuzz -B "$BUILD_DIR" >/dev/null || exit 1
  fi
  cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" --target "${bins[@]}" || exit 1
fi

mkdir -p "$BUILD_DIR/artifacts"
failed=0
echo "fuzzing ${#TARGETS[@]} target(s), ${SECONDS_EACH}s each"
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/${t}_fuzz"
  seeds="$ROOT/tests/fuzz/corpus/$t"
  scratch="$BUILD_DIR/corpus/$t"
  log="$BUILD_DIR/${t}.log"
  mkdir -p "$scratch"
  if [ ! -x "$bin" ]; then
    echo "$t: no binary at $bin" >&2
    failed=1
    continue
  fi
  # -max_len: the server and parsers see whole pipelines; -timeout: one input, seconds.
  # The JS targets skip libFuzzer's per-input leak check: V8 allocates in every input and
  # frees in its own time, so the check ran LeakSanitizer's scan on almost every input (20x
  # slower) and could only blame V8 (js_target.h suppresses those reports anyway).
  extra=()
  case "$t" in headers|structured_clone) extra=(-detect_leaks=0) ;; esac
  "$bin" -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=25 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/${t}-" "${extra[@]}" \
    "$scratch" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corp=$(ls "$scratch" | wc -l)
  if [ $rc -eq 0 ]; then
    echo "$t: ok, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, scratch corpus $corp ($log)"
  else
    failed=1
    echo "$t: FAILED (exit $rc) after ${execs:-?} executions; see $log and $BUILD_DIR/artifacts/${t}-*"
    grep -m3 -E 'invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|CHECK failed' "$log" | sed 's/^/  /'
  fi
done
exit $failed
