// Domain to ASCII: torus::idna::domainToAscii (UTS #46 for Unicode 17, tables from tr46) next
// to ada 2.7.8's own ada::idna::to_ascii (Unicode 15.0 tables), still compiled in the ada
// target, in the same binary and run. Use a release build.
#include <ada.h>
#include <benchmark/benchmark.h>

#include "js/api/idna.h"

namespace {

constexpr const char* kHosts[] = {
    "sub.example.com",                 // ASCII: lowercased as it is
    "b\xC3\xBC" "cher.example",        // bücher.example
    "\xE4\xBE\x8B\xE3\x81\x88.\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88",  // 例え.テスト
    "xn--bcher-kva.example.\xC3\xA9",  // a Punycode label in a non-ASCII domain
};

void torusIdna(benchmark::State& state) {
  const char* host = kHosts[state.range(0)];
  for (auto _ : state) benchmark::DoNotOptimize(torus::idna::domainToAscii(host));
}

void adaIdna(benchmark::State& state) {
  const char* host = kHosts[state.range(0)];
  for (auto _ : state) benchmark::DoNotOptimize(ada::idna::to_ascii(host));
}

BENCHMARK(torusIdna)->DenseRange(0, 3);
BENCHMARK(adaIdna)->DenseRange(0, 3);

}  // namespace
