// The JS runtime of one worker: its Realm with the Web APIs installed, the ES module loader,
// timers, and the per-drain hook that runs JS once per completion drain:
//   fired timer callbacks -> new requests (HttpApp) -> ONE microtask checkpoint ->
//   responses out (HttpApp) -> unhandled rejections reported ('unhandledrejection' events,
//   then a checkpoint for what their listeners queued).
//
// Thread: one worker thread; created and destroyed there.
#pragma once

#include <v8.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/loop.h"
#include "js/api/crypto_pool.h"
#include "js/api/timers.h"
#include "js/module_resolver.h"
#include "js/realm.h"

namespace torus::net {
class HttpClient;
}

namespace torus::js {

struct RuntimeOptions {
  RealmOptions realm;
  size_t maxTimers = 100'000;
  // Request contexts alive at once per worker (answered or not: ctx.waitUntil work keeps
  // them); a request beyond it is answered 503 without running JS.
  size_t maxRequestContexts = 100'000;
  // fetch(): the worker's HTTP client (not owned; null: fetch rejects), and the total time
  // one fetch may take, redirects and body included (0: no limit; the client's stage
  // timeouts still apply).
  net::HttpClient* httpClient = nullptr;
  uint32_t fetchTimeoutMs = 0;
};

// Something that takes part in every drain (the HTTP app).
class DrainParticipant {
 public:
  virtual ~DrainParticipant() = default;
  // Returns whether it ran any JS (if nothing in a drain did, its checkpoint is skipped).
  virtual bool beforeCheckpoint() = 0;
  // Returns whether it ran JS that may have queued microtasks (then the drain runs another
  // checkpoint, bounded).
  virtual bool afterCheckpoint() = 0;
};

// JS state a completion settles (a body chunk arrived, a client went away, an operation
// finished): queued by the completion, run by the next drain before its checkpoint, never
// inside the completion's dispatch. Owned by whoever queued it; settle() may delete it.
class Settlement {
 public:
  virtual void settle(Realm& realm) = 0;

 protected:
  ~Settlement() = default;

 private:
  friend class Runtime;
  Settlement* nextSettlement_ = nullptr;
};

class Runtime {
 public:
  Runtime(engine::Loop& loop, const RuntimeOptions& options);
  ~Runtime();

  Realm& realm() { return *realm_; }
  const RuntimeOptions& options() const { return options_; }
  engine::Loop& loop() { return loop_; }

  // Loads an ES module file (and its static imports), evaluates it and settles top-level
  // await, turning the loop for it if mayTurnLoop (not from inside a turn: a reload in a
  // serving worker; there a still-pending evaluation is an error). Errors name
  // file:line:column.
  Result<v8::Global<v8::Module>> loadModule(const std::string& path, bool mayTurnLoop = true);
  // Evaluates a classic script; returns its completion value formatted, or the error.
  Result<std::string> evalScript(const std::string& code, const std::string& name);

  // Runs the loop until nothing is pending (timers, I/O, waitUntil). For `torus run`.
  void runUntilIdle();

  // Participants take part in every drain, in registration order (the HTTP app; the fetch
  // client and others as they come). Removing one during a drain is allowed.
  void addParticipant(DrainParticipant* p);
  void removeParticipant(DrainParticipant* p);
  // One drain's worth of JS: fired timers, the participants' new requests, queued
  // settlements, ONE checkpoint (forced when anything ran), the participants' flush,
  // rejections.
  void drain();
  // Queues s for the next drain (which the completion being dispatched is part of).
  void queue(Settlement* s);
  uint64_t settlements() const { return settlementsRun_; }
  // The crypto helper pool's jobs of this runtime (js/api/crypto_pool.h).
  CryptoJobs& cryptoJobs();

  // The files of the modules loaded so far (absolute paths; data: URLs left out).
  std::vector<std::string> moduleFiles() const;
  // Uncaught errors and unhandled rejections seen so far.
  uint64_t failures() const { return realm_->errorsReported(); }

  // ---- limits ----
  //
  // A watchdog on another thread (server/apps.h) reads jsEntries(): odd while a drain or a
  // module load runs JS, and changed by each start and end, so that JS running without a
  // break is seen as the same odd value on two looks. terminate() stops it
  // (TerminateExecution: what was running and the rest of the microtask queue are dropped);
  // the isolate is then of no further use, and at the end of the drain onTerminated runs on
  // the loop thread with the reason. The heap limit (RealmOptions::maxHeapBytes) terminates
  // the same way, from V8's near-heap-limit callback.
  enum class Termination { kNone, kCpu, kHeap };
  uint32_t jsEntries() const { return jsEntries_.load(std::memory_order_relaxed); }
  void terminate(Termination why);  // any thread
  Termination terminated() const { return terminated_.load(std::memory_order_acquire); }
  void setOnTerminated(std::function<void(Termination)> fn) { onTerminated_ = std::move(fn); }
  // After termination: nothing of this runtime runs again (drains skip it).
  bool dead() const { return dead_; }

 private:
  struct ModuleRecord {
    std::string path;  // an absolute file path or a data: URL
    v8::Global<v8::Module> module;
    v8::Global<v8::Value> json;  // a JSON module's value
  };
  // Compiles the module at `where` (a JSON module when `json`: the import said
  // `with { type: "json" }`), once per location and type.
  Result<v8::Local<v8::Module>> compileModule(const ModuleLocation& where, bool json);
  // Compiles, links and starts evaluating that module and its imports, without turning the
  // loop; *evaluation settles when its evaluation (TLA) does.
  Result<v8::Local<v8::Module>> startModule(const ModuleLocation& where, bool json,
                                            v8::Local<v8::Promise>* evaluation);
  static v8::MaybeLocal<v8::Value> evaluateJsonModule(v8::Local<v8::Context> context,
                                                      v8::Local<v8::Module> module);
  static v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> context,
                                            v8::Local<v8::String> specifier,
                                            v8::Local<v8::FixedArray> assertions,
                                            v8::Local<v8::Module> referrer);
  static void initImportMeta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                             v8::Local<v8::Object> meta);
  static v8::MaybeLocal<v8::Promise> dynamicImport(v8::Local<v8::Context> context,
                                                   v8::Local<v8::Data> options,
                                                   v8::Local<v8::Value> resourceName,
                                                   v8::Local<v8::String> specifier,
                                                   v8::Local<v8::FixedArray> assertions);
  static void onPromiseReject(v8::PromiseRejectMessage message);
  // Dispatches 'rejectionhandled' for each reported rejection handled since, then
  // 'unhandledrejection' for each rejection still unhandled, and logs those no listener
  // canceled. Returns whether any JS ran.
  bool reportRejections();
  bool hasRejections() const { return !rejections_.empty() || !handledLater_.empty(); }
  std::string requestOf(v8::Local<v8::Value> during);
  const ModuleRecord* recordFor(v8::Local<v8::Module> module);
  std::string formatException(v8::TryCatch& tc);
  // Every participant's afterCheckpoint(); whether any ran JS.
  bool afterCheckpoint();

  engine::Loop& loop_;
  size_t drainHook_ = 0;
  RuntimeOptions options_;
  std::unique_ptr<Realm> realm_;
  std::unique_ptr<Timers> timers_;
  std::vector<DrainParticipant*> participants_;
  std::unordered_map<std::string, std::unique_ptr<ModuleRecord>> modulesByKey_;
  std::unordered_multimap<int, ModuleRecord*> modulesByHash_;
  // Rejected with no handler during the current turn; `during` is the continuation-preserved
  // embedder data when it happened (the Request of the fetch call it descends from, if any).
  struct Rejection {
    v8::Global<v8::Promise> promise;
    v8::Global<v8::Value> reason;
    v8::Global<v8::Value> during;
  };
  std::vector<Rejection> rejections_;
  // HTML's "outstanding rejected promises weak set" is a private mark on each promise reported
  // unhandled; one handled since waits here for its 'rejectionhandled'.
  v8::Eternal<v8::Private> reportedMark_;
  std::vector<v8::Global<v8::Promise>> handledLater_;
  Settlement* settlementHead_ = nullptr;  // FIFO
  Settlement* settlementTail_ = nullptr;
  uint64_t settlementsRun_ = 0;
  std::shared_ptr<CryptoJobs> cryptoJobs_;
  std::string loadError_;  // the first resolve failure of the current load
  // Limits (see terminate()).
  void enterJs() { jsEntries_.store(jsEntries_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void leaveJs();
  static size_t nearHeapLimit(void* data, size_t current, size_t initial);
  std::atomic<uint32_t> jsEntries_{0};
  std::atomic<Termination> terminated_{Termination::kNone};
  std::function<void(Termination)> onTerminated_;
  bool dead_ = false;
};

}  // namespace torus::js
