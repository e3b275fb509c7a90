// Fault injection, for tests: chosen operations fail on purpose, so that the paths that
// handle a reset peer, a short write or a helper job that never returns run on demand, on
// the real server, instead of waiting for the internet to produce them.
//
// The plan comes from the TORUS_FAULTS environment variable (read once at start by
// `torus serve` and `torus run`; configure() in unit tests), a comma-separated list of rules:
//
//   rule   := point '=' action [ '@' first [ '+' [ count ] ] ]
//   point  := send | crypto_job
//   action := short | ECONNRESET | EPIPE | ETIMEDOUT | hang
//
//   send=short             every send(2)/writev sends at most half of its first piece
//   send=ECONNRESET@5      the 5th send of the process fails with ECONNRESET
//   send=short@3+2         the 3rd and 4th sends are short
//   crypto_job=hang@1+     every crypto helper job from the first on never returns
//
// Calls are counted per point for the whole process (tests run one worker, so the count is
// the order of the operations). Without the variable nothing is counted: each point costs
// one load of a global and a predicted branch.
//
// Thread: configure() before any worker starts; at() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace torus::fault {

enum class Point : uint8_t { kSend, kCryptoJob, kCount };

enum class Kind : uint8_t {
  kNone,
  kError,  // fail with -errno
  kShort,  // do part of the work (a send: half of its first piece, at least one byte)
  kHang,   // never finish (a helper job: the thread sleeps for good)
};

struct Action {
  Kind kind = Kind::kNone;
  int error = 0;  // kError: the errno
};

namespace detail {
extern std::atomic<bool> gEnabled;
Action at(Point point);
}  // namespace detail

// Parses a plan (the syntax above) and makes it the process's; an empty spec clears it.
// Errors name the rule that is wrong and what is allowed.
Result<void> configure(std::string_view spec);
// The plan in force, for the start-up log ("" when none).
std::string describe();

// Counts one call at `point` and says what to do with it.
inline Action at(Point point) {
  if (!detail::gEnabled.load(std::memory_order_relaxed)) [[likely]] return {};
  return detail::at(point);
}

}  // namespace torus::fault
