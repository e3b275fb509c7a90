// The admin listener (--admin-listen, admin.listen): a small HTTP server on its own thread and
// ring, apart from the workers, for operators and monitoring:
//   GET /metrics   Prometheus text: every worker's counters (server/metrics.h), collected
//                  from the workers' own threads for each scrape (a worker that does not
//                  answer within a second is left out, and /healthz says so)
//   GET /healthz   200 "ok" when every worker's loop answered within a second, else 503
//                  naming the ones that did not
//   GET /readyz    200 while serving, 503 once stopping
//   GET /config    the apps running (name, entry, hosts, paths) and the last reload's outcome
//   POST /reload   a reload, as SIGHUP (202 at once; /config tells how it went)
// Anything else is a 404. Bind it to loopback (the default address is 127.0.0.1): it tells
// whoever asks how the server is doing.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "server/options.h"

namespace torus::engine {
class Loop;
}

namespace torus::server {

class Worker;

class AdminServer {
 public:
  // Listens on fd (bound and listening) and serves until stop(). workers outlive it.
  static Result<std::unique_ptr<AdminServer>> start(int fd, const ServeOptions& options,
                                                    std::vector<Worker*> workers);
  ~AdminServer();
  // /readyz answers 503 from now on. Thread-safe.
  void setStopping() { stopping_.store(true); }
  // Stops the thread (call after the workers have stopped: they may still post to it).
  void stop();
  // What GET /config says: the apps running and the last reload's outcome. Thread-safe.
  void setConfigStatus(std::string text);
  std::string configStatus();

 private:
  AdminServer() = default;
  void run(int fd, std::promise<Result<void>>* ready);
  class Handler;

  const ServeOptions* options_ = nullptr;
  std::vector<Worker*> workers_;
  std::atomic<bool> stopping_{false};
  engine::LoopRef loop_;  // for stop(), from another thread
  std::thread thread_;
  std::mutex statusMutex_;
  std::string status_;
};

}  // namespace torus::server
