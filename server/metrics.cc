#include "server/metrics.h"

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
    {"torus_requests_total", "counter", "Requests handed to the app.", M(m.requests)},
    {"torus_responses_total", "counter", "Responses sent.", M(m.responses)},
    {"torus_protocol_errors_total", "counter",
     "Requests the server answered itself with a 4xx/5xx (parse errors, limits).",
     M(m.protocolErrors)},
    {"torus_app_failures_total", "counter", "Requests answered 500: the handler threw or returned no Response.",
     M(m.failed)},
    {"torus_app_refused_total", "counter", "Requests answered 503: max_request_contexts reached.",
     M(m.refused)},
    {"torus_requests_in_flight", "gauge", "Request contexts alive (answered ones with waitUntil work included).",
     M(m.liveContexts)},
    {"torus_tls_handshakes_total", "counter", "TLS handshakes completed.", M(m.tlsHandshakes)},
    {"torus_tls_resumed_total", "counter", "TLS handshakes that resumed a session.", M(m.tlsResumed)},
    {"torus_tls_failures_total", "counter", "TLS connections refused.", M(m.tlsFailures)},
    {"torus_tls_handshake_timeouts_total", "counter", "TLS handshakes closed at the handshake timeout.",
     M(m.tlsHandshakeTimeouts)},
    {"torus_drains_total", "counter", "Completion drains that did work.", M(m.drains)},
    {"torus_checkpoints_total", "counter", "Microtask checkpoints run.", M(m.checkpoints)},
    {"torus_settlements_total", "counter", "Completions settled into JS through the drain.",
     M(m.settlements)},
    {"torus_isolate_heap_used_bytes", "gauge", "V8 heap in use.", M(m.heapUsed)},
    {"torus_isolate_heap_total_bytes", "gauge", "V8 heap reserved.", M(m.heapTotal)},
    {"torus_isolate_heap_limit_bytes", "gauge", "V8 heap limit.", M(m.heapLimit)},
    {"torus_fetch_requests_total", "counter", "fetch() requests sent.", M(m.fetches)},
    {"torus_fetch_connections_total", "counter", "Outbound connections opened.", M(m.fetchConnections)},
    {"torus_fetch_reused_total", "counter", "fetch() requests on a pooled connection.", M(m.fetchReused)},
    {"torus_fetch_refused_total", "counter", "fetch() calls refused: outbound limits reached.",
     M(m.fetchRefused)},
};
#undef M

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

std::string prometheusText(const std::vector<WorkerMetrics>& workers, const std::string& app,
                           const char* ioBackend) {
  std::string out;
  std::string appLabel = "app=\"" + label(app) + "\"";
  out += "# HELP torus_io_backend The I/O backend in use.\n# TYPE torus_io_backend gauge\n";
  out += "torus_io_backend{backend=\"" + std::string(ioBackend) + "\"} 1\n";
  out += "# HELP torus_workers Worker threads.\n# TYPE torus_workers gauge\n";
  out += "torus_workers " + std::to_string(workers.size()) + "\n";
  char number[32];
  for (const Family& f : kFamilies) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const WorkerMetrics& m : workers) {
      snprintf(number, sizeof number, "%.17g", f.value(m));
      out += std::string(f.name) + "{" + appLabel + ",worker=\"" + std::to_string(m.worker) +
             "\"} " + number + "\n";
    }
  }
  return out;
}

}  // namespace torus::server
