// A worker thread: its own ring (engine::Loop), V8 isolate (js::Runtime), app and HTTP
// servers, one per listening socket. Nothing mutable is shared with other workers; the main
// thread talks to it only through Loop::post.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
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
  void join();

 private:
  void run(std::promise<Result<void>> ready);

  unsigned index_;
  const ServeOptions& options_;
  std::vector<int> listenFds_;
  std::thread thread_;
  std::atomic<engine::Loop*> loop_{nullptr};
  std::atomic<bool> stopRequested_{false};
};

}  // namespace torus::server
