// The crypto helper pool: slow crypto.subtle work (RSA key generation, PBKDF2 with large
// iteration counts, digests of large inputs) runs on a few helper threads shared by the
// process, so that one request's key generation does not stall every other request of its
// worker. The result comes back to the worker by Loop::post and settles its promise through
// the drain (a Settlement), like every other completion.
//
//   natives: if (slow) return info.GetReturnValue().Set(startCryptoJob(iso, [bytes] {
//              CryptoOutcome out; ... pure wolfCrypt work, no V8 ...; return out; }));
//
// The work must not touch V8 or the isolate: it gets copies of its inputs and returns
// bytes. At most CryptoPoolOptions::queueLimit jobs wait in the process; past that a job runs
// at once on the caller's thread (the promise is the same, only the thread differs), so
// nothing grows without a bound and nothing is refused. A job still running when its
// worker's runtime goes away finishes, and its result is dropped. A job not finished
// jobTimeoutMs after it started (queued or running) rejects with an OperationError; a helper
// thread stuck in it is replaced by a new one (at most 16 stand in at a time) and ends if
// the job ever returns.
//
// Thread: startCryptoJob on an isolate's thread (one with a Runtime); the work on a helper.
#pragma once

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torus::js {

class Runtime;

struct CryptoOutcome {
  std::string errorName;  // empty: success; else a DOMException name ("OperationError")
  std::string message;
  // The value: one ArrayBuffer, or an array of them when there are several.
  std::vector<std::vector<uint8_t>> values;
};
using CryptoWork = std::function<CryptoOutcome()>;

// The process's pool: its threads (0: half the cores, 1 to 4), how many jobs may wait
// (beyond: they run at once on their worker) and how long a job may take from its start
// (0: no limit). Set before the first job (torus serve's --crypto-threads,
// --crypto-queue-limit and --crypto-job-timeout); later calls change nothing.
struct CryptoPoolOptions {
  unsigned threads = 0;
  size_t queueLimit = 1024;
  uint64_t jobTimeoutMs = 60'000;
};
void configureCryptoPool(const CryptoPoolOptions& options);

// A promise for work's outcome, run on the pool (or at once, above).
v8::Local<v8::Promise> startCryptoJob(v8::Isolate* iso, CryptoWork work);

// Per-runtime bookkeeping of jobs in flight (Runtime owns one; the helper threads hold it
// until they report).
class CryptoJobs;
std::shared_ptr<CryptoJobs> makeCryptoJobs(Runtime& runtime);
// The runtime is going away: pending promises are dropped, later results ignored.
void detachCryptoJobs(CryptoJobs& jobs);

}  // namespace torus::js
