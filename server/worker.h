// A worker thread: its own ring (engine::Loop), apps (server/apps.h: an isolate per app) and
// HTTP servers, one per listening socket (the options' plain listeners first, then the TLS
// ones, which share one TLS server context per worker). Nothing mutable is shared with other workers; the main
// thread talks to it only through Loop::post.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/http_server.h"
#include "server/apps.h"
#include "server/metrics.h"
#include "server/options.h"

namespace torus::server {

class Worker {
 public:
  Worker(unsigned index, const ServeOptions& options, std::vector<int> listenFds);
  ~Worker();

  // Starts the thread; the future says whether the app loaded and the server is accepting.
  std::future<Result<void>> start();
  // Graceful stop: stop accepting, finish in-flight requests, exit the thread. Thread-safe.
  void requestStop();
  // A reload (SIGHUP): the apps of `next` (server/apps.h: changed ones get new isolates,
  // the old ones finish what they hold) and, when tls, its certificates (new handshakes use
  // them, open connections keep theirs). done runs on the worker's thread with the outcome;
  // on failure nothing changed. Thread-safe; `next` must outlive done.
  void reload(const ServeOptions& next, bool tls, std::function<void(Result<void>)> done);
  void join();
  // Reads this worker's counters on its thread, then runs done(metrics) on replyTo's. Nothing
  // happens (done never runs) while the worker is not serving. Thread-safe.
  void collect(engine::Loop& replyTo, std::function<void(const WorkerMetrics&)> done);
  // Liveness probe (server/systemd.h): posts a task that records `seq` as answered, so a
  // wedged loop never answers. Thread-safe; nothing happens while the loop is not running.
  void probe(uint64_t seq);
  // The last probe answered (0: none yet). Thread-safe.
  uint64_t answered() const { return answered_.load(std::memory_order_acquire); }
  unsigned index() const { return index_; }

 private:
  void run(std::promise<Result<void>> ready);

  unsigned index_;
  const ServeOptions& options_;
  std::vector<int> listenFds_;
  std::thread thread_;
  engine::LoopRef loop_;  // for the other threads: stop, reload, probes, metrics
  std::atomic<bool> stopRequested_{false};
  std::function<void(WorkerMetrics&)> fill_;  // loop thread only; set while it serves
  std::atomic<uint64_t> answered_{0};
  // The worker thread's servers and apps (loop thread only; set while it runs).
  std::vector<std::unique_ptr<net::HttpServer>>* servers_ = nullptr;
  AppSet* apps_ = nullptr;
};

}  // namespace torus::server
