// One worker's counters, read on its own thread (Worker::collect) and shown as the stats line
// at exit and as Prometheus text on the admin listener's /metrics (server/admin.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace torus::server {

struct WorkerMetrics {
  unsigned worker = 0;
  // HTTP servers (every listener of the worker).
  uint64_t accepted = 0, rejected = 0, requests = 0, responses = 0, protocolErrors = 0;
  uint64_t tlsHandshakes = 0, tlsResumed = 0, tlsFailures = 0, tlsHandshakeTimeouts = 0;
  size_t liveConnections = 0, poolBlocks = 0, sendPieces = 0;
  // The app and its runtime.
  uint64_t drains = 0, checkpoints = 0, asyncSettled = 0, failed = 0, outlived = 0,
           refused = 0, settlements = 0;
  size_t liveContexts = 0;
  size_t heapUsed = 0, heapTotal = 0, heapLimit = 0;
  // fetch().
  uint64_t fetches = 0, fetchConnections = 0, fetchReused = 0, fetchRetries = 0,
           fetchRefused = 0;
};

// The Prometheus text exposition of the workers' metrics: one series per worker, labelled
// with the configured app name and the worker index only (so no request can add a series).
std::string prometheusText(const std::vector<WorkerMetrics>& workers, const std::string& app,
                           const char* ioBackend);

}  // namespace torus::server
