#include "js/api/performance.h"

#include <time.h>

#include "js/builtins.h"

namespace torus::js {

namespace {

int64_t clockNs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void performanceNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto origin = int64_t(info.Data().As<v8::Number>()->Value());
  info.GetReturnValue().Set(coarsenedMillis(clockNs(CLOCK_MONOTONIC), origin));
}

}  // namespace

double coarsenedMillis(int64_t nowNs, int64_t originNs) {
  int64_t micros = (nowNs - originNs) / 1000;
  micros -= micros % kCoarsenMicros;
  return double(micros) / 1000.0;
}

void addPerformanceNatives(Natives& natives) {
  v8::Isolate* iso = natives.object()->GetIsolate();
  // Read back to back: the pair fixes the origin on both clocks.
  int64_t mono = clockNs(CLOCK_MONOTONIC);
  int64_t real = clockNs(CLOCK_REALTIME);
  // A double holds monotonic ns exactly for ~104 days of uptime, and to 1 ns beyond.
  natives.add("performanceNow", performanceNow, v8::Number::New(iso, double(mono)));
  natives.set("timeOrigin", v8::Number::New(iso, double(real / 1000) / 1000.0));
}

}  // namespace torus::js
