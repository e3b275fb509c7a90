// A histogram over fixed bucket bounds, kept by one thread as a plain counter (the loop's
// drain times, an app's request durations) and written to /metrics as Prometheus's
// cumulative `le` series (server/metrics.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

namespace torus {

// Bounds: the buckets' upper bounds, ascending, in the unit of the recorded values (an
// `inline constexpr` array, so every file means the same one); one more bucket counts the
// rest (+Inf).
template <const auto& Bounds>
struct Histogram {
  static constexpr std::span<const uint64_t> kBounds{Bounds};
  uint64_t counts[std::size(Bounds) + 1] = {};  // by bucket, not cumulative
  uint64_t sum = 0;

  void record(uint64_t v) {
    size_t b = 0;
    while (b < std::size(Bounds) && v > Bounds[b]) ++b;
    ++counts[b];
    sum += v;
  }
};

}  // namespace torus
