// The clock behind `performance` (https://w3c.github.io/hr-time/, user-timing): the
// interface, entries and buffers are built-in JS (js/builtins/03_performance.js).
//
// performanceNow(): milliseconds since the realm's time origin on CLOCK_MONOTONIC, coarsened
// to kCoarsenMicros (hr-time's "coarsen time", at the resolution the spec allows for
// cross-origin isolated contexts: several apps may share a worker). timeOrigin: the Unix time
// in ms (sub-ms precision) at the moment the natives were installed (realm creation).
//
// Thread: the isolate's.
#pragma once

#include <cstdint>

namespace torus::js {

class Natives;

inline constexpr int64_t kCoarsenMicros = 5;

// now - origin in ms, floored to kCoarsenMicros (both in ns on one monotonic clock).
double coarsenedMillis(int64_t nowNs, int64_t originNs);

// performanceNow(), timeOrigin.
void addPerformanceNatives(Natives& natives);

}  // namespace torus::js
