// One worker's counters, read on its own thread (Worker::collect) and shown as the stats line
// at exit and as Prometheus text on the admin listener's /metrics (server/admin.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/histogram.h"
#include "engine/loop.h"

namespace torus::server {

enum AppKill { kKillCpu, kKillHeap, kKillWall, kKillConcurrency, kKillBody, kKillCount };

// Upper bounds (ms) of the latency histogram's buckets (request head -> last byte out); one
// more bucket counts the rest (+Inf).
inline constexpr uint64_t kLatencyBucketsMs[] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

// Per app and worker (server/apps.h).
struct AppCounters {
  uint64_t requests = 0;
  uint64_t byClass[6] = {};       // responses by status class (1xx..5xx; [0] unused)
  uint64_t kills[kKillCount] = {};  // requests refused or cut off at a limit, by AppKill
  uint64_t reloads = 0;           // instances replaced by a reload
  uint64_t recycles = 0;          // instances replaced after a termination (CPU, heap)
  Histogram<kLatencyBucketsMs> latency;  // responses by duration (ms)
  uint64_t bytesOut = 0;          // response bytes sent (heads included)
};

struct AppMetrics {
  std::string name;
  AppCounters counters;
  uint64_t failed = 0, refused = 0;
  size_t inFlight = 0, liveContexts = 0, isolates = 0;
  size_t heapUsed = 0, heapTotal = 0, heapLimit = 0;  // the current isolate's
};

struct WorkerMetrics {
  unsigned worker = 0;
  const char* ioBackend = "io_uring";  // engine::Loop::backend()
  // HTTP servers (every listener of the worker).
  uint64_t accepted = 0, rejected = 0, requests = 0, responses = 0, protocolErrors = 0;
  uint64_t tlsHandshakes = 0, tlsResumed = 0, tlsFailures = 0, tlsHandshakeTimeouts = 0;
  size_t liveConnections = 0, poolBlocks = 0, sendPieces = 0;
  // The apps and their runtimes (summed over apps, then per app).
  Histogram<engine::kDrainBucketsUs> drain;  // engine::LoopStats
  uint64_t drains = 0, checkpoints = 0, asyncSettled = 0, failed = 0, outlived = 0,
           refused = 0, settlements = 0;
  size_t liveContexts = 0;
  std::vector<AppMetrics> apps;
  // fetch().
  uint64_t fetches = 0, fetchConnections = 0, fetchReused = 0, fetchRetries = 0,
           fetchRefused = 0;
};

// The Prometheus text exposition of the workers' metrics: server-wide families labelled by
// worker, app families by configured app name and worker (so no request can add a series).
std::string prometheusText(const std::vector<WorkerMetrics>& workers);

}  // namespace torus::server
