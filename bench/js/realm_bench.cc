// What a new isolate costs (a new worker, a reload, a new app): a Realm with every global
// installed, then torn down. The first realm of the process compiles the built-in JavaScript
// and produces its code cache; every later one (what this measures after the first
// iteration) compiles from that cache. BM_RealmBare is the isolate + context alone, so the
// difference is what the web platform adds per isolate.
#include <benchmark/benchmark.h>

#include "js/globals.h"
#include "js/realm.h"

namespace torus::js {
namespace {

void ensureV8() {
  static V8Process* v8 = new V8Process();  // once per process, never torn down
  (void)v8;
}

void BM_RealmBare(benchmark::State& state) {
  ensureV8();
  for (auto _ : state) {
    Realm realm(RealmOptions{});
    benchmark::DoNotOptimize(realm.isolate());
  }
}
BENCHMARK(BM_RealmBare)->Unit(benchmark::kMillisecond);

void BM_RealmWithGlobals(benchmark::State& state) {
  ensureV8();
  {
    Realm first(RealmOptions{});  // fills the process-wide code cache
    installGlobals(first);
  }
  for (auto _ : state) {
    Realm realm(RealmOptions{});
    installGlobals(realm);
    benchmark::DoNotOptimize(realm.isolate());
  }
}
BENCHMARK(BM_RealmWithGlobals)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace torus::js
