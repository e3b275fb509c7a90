// The apps of one worker, and the router in front of them.
//
// Each app has a slot; the slot's current instance (an isolate with the app's module
// loaded: js::Runtime + js::HttpApp) takes its new requests. An instance that is replaced
// (a reload changed the app's code or config) or given up (terminated at its CPU or heap
// limit) retires: requests it holds finish there (or, when terminated, are answered 503 at
// once), and it is destroyed when none is left, its waitUntil work included, or at the
// retire deadline.
//
// Routing, per request: the Host (for HTTPS also the SNI name; the two naming different
// apps is a 421), then the longest matching path prefix. Host names match exactly, then
// "*.example.com" patterns (longest first), then the apps that name no host. A request that
// matches nothing gets the default app, a 421 or a 404 (routing.unknown_host); one whose
// host is known but whose path no app serves gets a 404.
//
// Limits (AppLimits): max_concurrent and max_body_bytes are checked here before the app sees
// the request; wall_ms by a sweep timer; cpu_ms by the process's CpuWatchdog thread (below),
// heap_mb by V8 (js::Runtime::terminate).
//
// Thread: one worker's loop thread, except CpuWatchdog.
#pragma once

#include <pthread.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/loop.h"
#include "js/http_app.h"
#include "js/runtime.h"
#include "net/http_server.h"
#include "server/metrics.h"
#include "server/options.h"

namespace torus::server {

// Terminates JS that runs too long without a break. One thread per process, started when the
// first runtime with a CPU limit is watched. It looks every few milliseconds at each
// runtime's js::Runtime::jsEntries(): the same odd value on two looks is one stretch of JS,
// charged the CPU time its worker thread used meanwhile (the thread's CPU clock, so a
// preempted worker is not blamed for the wait).
class CpuWatchdog {
 public:
  static CpuWatchdog& instance();
  // On runtime's loop thread (its CPU clock is the caller's).
  void watch(js::Runtime* runtime, uint64_t limitMs);
  void unwatch(js::Runtime* runtime);

 private:
  struct Entry {
    js::Runtime* runtime;
    clockid_t clock;
    uint64_t limitNs;
    uint32_t seen = 0;  // jsEntries at the last look
    uint64_t sinceNs = 0;  // its CPU clock when that stretch was first seen
  };
  void run();
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Entry> entries_;
  std::thread thread_;
};

// Loads app in a scratch isolate on loop's thread, as a worker would (`torus check`, and a
// reload before any worker is touched): the module imports, evaluates and has a fetch.
Result<void> checkApp(engine::Loop& loop, const js::RuntimeOptions& runtime, const AppOptions& app);

class AppSet : public net::RequestHandler {
 public:
  // runtime: the options every app's runtime starts from (its heap limit comes from the
  // app's limits). retireTimeoutMs: how long a replaced instance may finish its requests.
  AppSet(engine::Loop& loop, unsigned worker, const js::RuntimeOptions& runtime,
         uint32_t retireTimeoutMs);
  ~AppSet() override;

  // Makes these the apps (at start, and on each reload): an app whose options are the same
  // and whose module files (each one its isolate loaded) have the same content keeps its
  // instance; the others load a new one (on any failure nothing changes and the error is
  // returned); apps no longer listed retire.
  Result<void> apply(const ServeOptions& options);

  // Instances alive, current and retiring.
  size_t instances() const;
  // waitUntil promises still pending, in every instance (a graceful stop waits for them).
  size_t pendingWaitUntil() const;
  void fill(WorkerMetrics& m) const;

  void onRequest(net::Exchange* ex) override;
  void onDone(net::Exchange* ex) override;
  void onAbort(net::Exchange* ex) override;
  bool streamsBodies() const override { return true; }
  void onBodyData(net::Exchange* ex) override;
  void onWritable(net::Exchange* ex) override;

 private:
  struct Slot;
  struct Instance;
  struct Route {
    std::string host;  // "" any, "*.example.com", or exact
    std::string path;  // "/" every path, else a prefix without its trailing '/'
    Slot* slot;
  };
  Result<std::unique_ptr<Instance>> load(const std::shared_ptr<Slot>& slot);
  void buildRoutes();
  // The slot for ex, or null after answering it (421/404).
  Slot* route(net::Exchange* ex);
  const Route* match(std::string_view host, std::string_view path, bool* hostKnown) const;
  static void countBodyKill(Instance* instance, net::Exchange* ex);
  void retire(std::unique_ptr<Instance> instance, bool terminated);
  void onTerminated(Instance* instance, js::Runtime::Termination why);
  void sweep();
  void free();

  engine::Loop& loop_;
  unsigned worker_;
  js::RuntimeOptions runtimeOptions_;
  uint32_t retireTimeoutMs_;
  std::vector<std::shared_ptr<Slot>> slots_;  // instances keep theirs while they retire
  std::vector<std::unique_ptr<Instance>> retiring_;
  std::vector<Route> routes_;  // exact hosts, then wildcards (longest first), then any host
  Slot* default_ = nullptr;
  UnknownHost unknownHost_ = UnknownHost::kDefaultApp;
  bool singleRoute_ = false;  // one app, every host and path: no lookup per request
  size_t drainHook_ = 0;       // frees retired instances that are done
  bool serving_ = false;       // after the first apply(): loads may not turn the loop
  engine::MemberTimer<AppSet, &AppSet::sweep> sweepTimer_{loop_, this};
};

}  // namespace torus::server
