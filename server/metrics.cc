#include "server/metrics.h"

#include <iterator>

namespace torus::server {

namespace {

struct Family {
  const char* name;
  const char* type;  // "counter" or "gauge"
  const char* help;
  double (*value)(const WorkerMetrics&);
};

#define M(expr) [](const WorkerMetrics& m) { return double(expr); }
const Family kFamilies[] = {
    {"torus_connections_accepted_total", "counter", "Connections accepted.", M(m.accepted)},
    {"torus_connections_rejected_total", "counter", "Connections closed at once: over max_connections.",
     M(m.rejected)},
    {"torus_connections_open", "gauge", "Connections open.", M(m.liveConnections)},
    {"torus_requests_total", "counter", "Requests handed to the apps.", M(m.requests)},
    {"torus_responses_total", "counter", "Responses sent.", M(m.responses)},
    {"torus_protocol_errors_total", "counter",
     "Requests the server answered itself with a 4xx/5xx (parse errors, limits).",
     M(m.protocolErrors)},
    {"torus_tls_handshakes_total", "counter", "TLS handshakes completed.", M(m.tlsHandshakes)},
    {"torus_tls_resumed_total", "counter", "TLS handshakes that resumed a session.", M(m.tlsResumed)},
    {"torus_tls_failures_total", "counter", "TLS connections refused.", M(m.tlsFailures)},
    {"torus_tls_handshake_timeouts_total", "counter", "TLS handshakes closed at the handshake timeout.",
     M(m.tlsHandshakeTimeouts)},
    {"torus_drains_total", "counter", "Completion drains that did work.", M(m.drains)},
    {"torus_checkpoints_total", "counter", "Microtask checkpoints run.", M(m.checkpoints)},
    {"torus_settlements_total", "counter", "Completions settled into JS through the drain.",
     M(m.settlements)},
    {"torus_fetch_requests_total", "counter", "fetch() requests sent.", M(m.fetches)},
    {"torus_fetch_connections_total", "counter", "Outbound connections opened.", M(m.fetchConnections)},
    {"torus_fetch_reused_total", "counter", "fetch() requests on a pooled connection.", M(m.fetchReused)},
    {"torus_fetch_refused_total", "counter", "fetch() calls refused: outbound limits reached.",
     M(m.fetchRefused)},
};
#undef M

// Per app and worker.
struct AppFamily {
  const char* name;
  const char* type;
  const char* help;
  double (*value)(const AppMetrics&);
};

#define A(expr) [](const AppMetrics& a) { return double(expr); }
const AppFamily kAppFamilies[] = {
    {"torus_app_requests_total", "counter", "Requests routed to the app.", A(a.counters.requests)},
    {"torus_app_failures_total", "counter", "Requests answered 500: the handler threw or returned no Response.",
     A(a.failed)},
    {"torus_app_refused_total", "counter", "Requests answered 503: max_request_contexts reached.",
     A(a.refused)},
    {"torus_app_requests_in_flight", "gauge", "Requests handed to the app and not finished.",
     A(a.inFlight)},
    {"torus_app_contexts", "gauge", "Request contexts alive (answered ones with waitUntil work included).",
     A(a.liveContexts)},
    {"torus_app_isolates", "gauge", "Isolates of the app (the current one, and retired ones finishing).",
     A(a.isolates)},
    {"torus_app_reloads_total", "counter", "Isolates replaced by a reload.", A(a.counters.reloads)},
    {"torus_app_recycles_total", "counter", "Isolates replaced after a termination at a limit.",
     A(a.counters.recycles)},
    {"torus_isolate_heap_used_bytes", "gauge", "V8 heap in use.", A(a.heapUsed)},
    {"torus_isolate_heap_total_bytes", "gauge", "V8 heap reserved.", A(a.heapTotal)},
    {"torus_isolate_heap_limit_bytes", "gauge", "V8 heap limit.", A(a.heapLimit)},
};
#undef A

const char* const kKillNames[kKillCount] = {"cpu", "heap", "wall", "concurrency", "body"};

// A label value: backslash, quote and newline escaped.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string prometheusText(const std::vector<WorkerMetrics>& workers) {
  std::string out;
  // Every worker chose the same way (one LoopOptions); the first one says.
  const char* backend = workers.empty() ? "io_uring" : workers[0].ioBackend;
  out += "# HELP torus_io_backend The I/O backend in use.\n# TYPE torus_io_backend gauge\n";
  out += "torus_io_backend{backend=\"" + std::string(backend) + "\"} 1\n";
  out += "# HELP torus_workers Worker threads.\n# TYPE torus_workers gauge\n";
  out += "torus_workers " + std::to_string(workers.size()) + "\n";
  char number[32];
  auto sample = [&](const char* name, const std::string& labels, double v) {
    // Counts exactly; fractions (seconds) to the microsecond and a little more.
    bool whole = v >= 0 && v < 9007199254740992.0 && v == double(uint64_t(v));
    snprintf(number, sizeof number, whole ? "%.0f" : "%.9g", v);
    out += std::string(name) + "{" + labels + "} " + number + "\n";
  };
  auto header = [&](const char* name, const char* help, const char* type) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  for (const Family& f : kFamilies) {
    header(f.name, f.help, f.type);
    for (const WorkerMetrics& m : workers) {
      sample(f.name, "worker=\"" + std::to_string(m.worker) + "\"", f.value(m));
    }
  }
  // A Histogram (base/histogram.h) as Prometheus's cumulative le series; unit: seconds per
  // recorded unit.
  auto histogram = [&](const char* name, const std::string& labels, const auto& h, double unit) {
    uint64_t cumulative = 0;
    const std::string bucket = std::string(name) + "_bucket";
    for (size_t b = 0; b < std::size(h.counts); ++b) {
      cumulative += h.counts[b];
      char le[32];
      if (b < h.kBounds.size()) snprintf(le, sizeof le, "%g", double(h.kBounds[b]) * unit);
      else snprintf(le, sizeof le, "+Inf");
      sample(bucket.c_str(), labels + (labels.empty() ? "" : ",") + "le=\"" + le + "\"",
             double(cumulative));
    }
    sample((std::string(name) + "_sum").c_str(), labels, double(h.sum) * unit);
    sample((std::string(name) + "_count").c_str(), labels, double(cumulative));
  };
  header("torus_drain_duration_seconds",
         "A completion drain's time: completions, timers, JS settlements, the checkpoint, the "
         "flush.", "histogram");
  for (const WorkerMetrics& m : workers) {
    histogram("torus_drain_duration_seconds", "worker=\"" + std::to_string(m.worker) + "\"",
              m.drain, 1e-6);
  }
  // Labels are the configured app names only: no request can add a series.
  auto appLabels = [&](const WorkerMetrics& m, const AppMetrics& a) {
    return "app=\"" + label(a.name) + "\",worker=\"" + std::to_string(m.worker) + "\"";
  };
  for (const AppFamily& f : kAppFamilies) {
    header(f.name, f.help, f.type);
    for (const WorkerMetrics& m : workers) {
      for (const AppMetrics& a : m.apps) sample(f.name, appLabels(m, a), f.value(a));
    }
  }
  header("torus_app_responses_total", "Responses of the app by status class.", "counter");
  for (const WorkerMetrics& m : workers) {
    for (const AppMetrics& a : m.apps) {
      for (int c = 1; c <= 5; ++c) {
        sample("torus_app_responses_total",
               appLabels(m, a) + ",class=\"" + std::to_string(c) + "xx\"", double(a.counters.byClass[c]));
      }
    }
  }
  header("torus_app_response_bytes_total", "Response bytes sent by the app, heads included.",
         "counter");
  for (const WorkerMetrics& m : workers) {
    for (const AppMetrics& a : m.apps) {
      sample("torus_app_response_bytes_total", appLabels(m, a), double(a.counters.bytesOut));
    }
  }
  // Milliseconds of the worker's loop clock (cached per turn): a bucket of 1 ms holds the
  // requests answered within the turn that started them.
  header("torus_app_request_duration_seconds",
         "Request head to last response byte out, per app.", "histogram");
  for (const WorkerMetrics& m : workers) {
    for (const AppMetrics& a : m.apps) {
      histogram("torus_app_request_duration_seconds", appLabels(m, a), a.counters.latency, 1e-3);
    }
  }
  header("torus_app_limit_kills_total",
         "Requests refused or cut off at one of the app's limits, by limit.", "counter");
  for (const WorkerMetrics& m : workers) {
    for (const AppMetrics& a : m.apps) {
      for (int k = 0; k < kKillCount; ++k) {
        sample("torus_app_limit_kills_total",
               appLabels(m, a) + ",limit=\"" + kKillNames[k] + "\"", double(a.counters.kills[k]));
      }
    }
  }
  return out;
}

}  // namespace torus::server
