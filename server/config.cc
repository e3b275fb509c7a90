#include "server/config.h"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <toml++/toml.h>

#include "base/log.h"
#include "net/tls.h"
#include "server/listen.h"

namespace torus::server {

std::string ConfigProblem::text() const {
  if (file.empty()) return message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

// ---- the table ----

enum class Type {
  kNumber,    // a whole number in [min, max]
  kString,
  kFile,      // a path that must be readable
  kSwitch,    // a flag without a value; a boolean in the file
  kAddresses, // HOST:PORT, repeatable; an array of strings in the file
  kStrings,   // repeatable; an array of strings in the file
  kLogLevel,
};

// A value as parsed, before it lands: one of these, by the setting's type.
struct Value {
  uint64_t number = 0;
  std::string string;
  bool on = false;
  std::vector<std::string> strings;
};

struct Setting {
  const char* flag;   // "--max-body-bytes", or nullptr (config only)
  const char* key;    // "http.max_body_bytes"
  Type type;
  const char* arg;    // "N", "MS", "FILE"... (in --help)
  uint64_t min, max;  // kNumber
  const char* help;   // the default, if any, in parentheses at its end
  // Lands the value; returns a problem ("must be a power of two") or "".
  std::string (*apply)(ServeOptions&, const Value&);
};

constexpr uint64_t kHour = 3'600'000;
constexpr uint64_t kDay = 86'400'000;

std::string setLogLevelByName(const std::string& l) {
  if (l == "debug") setLogLevel(LogLevel::kDebug);
  else if (l == "info") setLogLevel(LogLevel::kInfo);
  else if (l == "warn") setLogLevel(LogLevel::kWarn);
  else if (l == "error") setLogLevel(LogLevel::kError);
  else return "unknown log level '" + l + "' (debug, info, warn, error)";
  return "";
}

std::string addAddresses(std::vector<ListenAddress>& into, const Value& v) {
  for (const std::string& text : v.strings) {
    auto a = parseListen(text);
    if (!a.ok()) return a.error();
    into.push_back(*a);
  }
  return "";
}

#define SET(expr) [](ServeOptions& o, const Value& v) -> std::string { expr; return ""; }

const Setting kSettings[] = {
    {"--listen", "listen", Type::kAddresses, "HOST:PORT", 0, 0,
     "address to listen on (repeatable; default 127.0.0.1:8080)",
     [](ServeOptions& o, const Value& v) { return addAddresses(o.listen, v); }},
    {"--https-listen", "https_listen", Type::kAddresses, "HOST:PORT", 0, 0,
     "address to serve HTTPS on (repeatable; needs a certificate)",
     [](ServeOptions& o, const Value& v) { return addAddresses(o.httpsListen, v); }},
    {"--admin-listen", "admin.listen", Type::kAddresses, "HOST:PORT", 0, 0,
     "address of the admin listener: /metrics (Prometheus), /healthz, /readyz; keep it on "
     "loopback (default: none)",
     [](ServeOptions& o, const Value& v) { return addAddresses(o.adminListen, v); }},
    {"--workers", "workers", Type::kNumber, "N", 1, 1024,
     "worker threads, each with its own ring and isolate (default: the CPUs the process may "
     "use: its affinity mask, capped by the cgroup's cpu.max quota)",
     SET(o.workers = unsigned(v.number))},
    {"--shutdown-timeout", "shutdown_timeout_ms", Type::kNumber, "MS", 0, kHour,
     "how long in-flight requests may run after SIGTERM (10000)",
     SET(o.shutdownTimeoutMs = uint32_t(v.number))},
    {"--log-level", "log_level", Type::kLogLevel, "LEVEL", 0, 0,
     "debug, info, warn, error (info)",
     [](ServeOptions&, const Value& v) { return setLogLevelByName(v.string); }},
    {"--log-format", "log.format", Type::kString, "FORMAT", 0, 0,
     "text (\"torus info: ...\"), json (one JSON object a line, for journald and log "
     "shippers) or auto (text when stderr is a terminal, json otherwise) (auto)",
     [](ServeOptions&, const Value& v) -> std::string {
       if (v.string == "text") setLogFormat(LogFormat::kText);
       else if (v.string == "json") setLogFormat(LogFormat::kJson);
       else if (v.string == "auto") setLogFormat(autoLogFormat());
       else return "unknown log format '" + v.string + "' (text, json, auto)";
       return "";
     }},
    {"--access-log-sample", "log.access_sample", Type::kNumber, "N", 0, 1'000'000,
     "log one request in N (id, method, path, status, bytes, duration); 0: no access log, 1: "
     "every request (0)",
     SET(o.http.accessLogSample = uint32_t(v.number))},
    {nullptr, "routing.default_app", Type::kString, "NAME", 0, 0,
     "the app that answers a Host no app names, and requests of apps without hosts (default: "
     "the first app)",
     SET(o.defaultApp = v.string)},
    {nullptr, "routing.unknown_host", Type::kString, "WHAT", 0, 0,
     "a request whose Host no app serves: \"default\" (the default app answers), \"421\" "
     "(Misdirected Request) or \"404\" (default)",
     [](ServeOptions& o, const Value& v) -> std::string {
       if (v.string == "default") o.unknownHost = UnknownHost::kDefaultApp;
       else if (v.string == "421") o.unknownHost = UnknownHost::k421;
       else if (v.string == "404") o.unknownHost = UnknownHost::k404;
       else return "'" + v.string + "': expected \"default\", \"421\" or \"404\"";
       return "";
     }},
    {"--tls-handshake-timeout", "tls.handshake_timeout_ms", Type::kNumber, "MS", 1, kHour,
     "accept -> TLS handshake done (10000)",
     SET(o.http.tlsHandshakeTimeoutMs = uint32_t(v.number))},
    {"--tls-ticket-rotation", "tls.ticket_rotation_s", Type::kNumber, "S", 1, 30 * 86'400,
     "session ticket key rotation interval in seconds (3600)",
     SET(o.tls.ticketRotationSeconds = uint32_t(v.number))},
    {"--tls-session-cache", "tls.session_cache_entries", Type::kNumber, "N", 0, 10'000'000,
     "TLS 1.2 sessions kept for session-id resumption, for all workers together (10000; 0: "
     "none)",
     SET(o.tls.sessionCacheEntries = uint32_t(v.number))},
    {"--max-connections", "http.max_connections", Type::kNumber, "N", 0, 1'000'000,
     "open connections per worker (10000)", SET(o.http.maxConnections = uint32_t(v.number))},
    {"--max-head-bytes", "http.max_head_bytes", Type::kNumber, "N", 0, 1 << 24,
     "request line + headers (65536) -> 431", SET(o.http.limits.maxHeadBytes = v.number)},
    {"--max-headers", "http.max_headers", Type::kNumber, "N", 0, 10'000,
     "header count (100) -> 431", SET(o.http.limits.maxHeaderCount = v.number)},
    {"--max-target-bytes", "http.max_target_bytes", Type::kNumber, "N", 0, 1 << 24,
     "request-target length (8192) -> 414", SET(o.http.limits.maxTargetBytes = v.number)},
    {"--max-body-bytes", "http.max_body_bytes", Type::kNumber, "N", 0, 1ull << 40,
     "request body (104857600) -> 413", SET(o.http.limits.maxBodyBytes = v.number)},
    {"--max-request-memory", "http.max_request_memory_bytes", Type::kNumber, "N", 0, 1ull << 40,
     "native memory one request holds (head, a body that arrived whole), in 16 KiB blocks; "
     "past it 503 (0: the head and body limits only)",
     SET(o.http.maxRequestMemory = v.number)},
    {"--header-timeout", "http.header_timeout_ms", Type::kNumber, "MS", 0, kHour,
     "time to receive a request head (10000)", SET(o.http.headerTimeoutMs = uint32_t(v.number))},
    {"--body-timeout", "http.body_timeout_ms", Type::kNumber, "MS", 0, kHour,
     "longest pause inside a request body (60000)",
     SET(o.http.bodyTimeoutMs = uint32_t(v.number))},
    {"--keepalive-timeout", "http.keepalive_timeout_ms", Type::kNumber, "MS", 0, kHour,
     "idle keep-alive connection (60000)", SET(o.http.keepAliveTimeoutMs = uint32_t(v.number))},
    {"--max-pipelined", "http.max_pipelined", Type::kNumber, "N", 1, 1024,
     "requests parsed ahead of their responses (16)",
     SET(o.http.maxPipelined = uint32_t(v.number))},
    {"--send-timeout", "http.send_timeout_ms", Type::kNumber, "MS", 0, kHour,
     "longest a client may stall reading a response (60000)",
     SET(o.http.sendTimeoutMs = uint32_t(v.number))},
    {"--send-high-water-mark", "http.send_high_water_mark", Type::kNumber, "N", 1, 1u << 30,
     "bytes queued per streamed response before its producer waits (65536)",
     SET(o.http.sendHighWaterMark = uint32_t(v.number))},
    {"--body-high-water-mark", "http.body_high_water_mark", Type::kNumber, "N", 1, 1u << 30,
     "request body bytes buffered before reading pauses (65536)",
     SET(o.http.bodyHighWaterMark = uint32_t(v.number))},
    {"--max-timers", "runtime.max_timers", Type::kNumber, "N", 0, 100'000'000,
     "active JS timers per worker (100000)", SET(o.runtime.maxTimers = v.number)},
    {"--max-request-contexts", "runtime.max_request_contexts", Type::kNumber, "N", 1,
     100'000'000, "requests alive at once per worker, waitUntil work included (100000) -> 503",
     SET(o.runtime.maxRequestContexts = v.number)},
    {"--crypto-threads", "runtime.crypto_threads", Type::kNumber, "N", 0, 64,
     "helper threads for slow crypto.subtle work (RSA key generation, large PBKDF2 and "
     "digests) (0: half the CPUs, 1 to 4)",
     SET(o.cryptoPool.threads = unsigned(v.number))},
    {"--crypto-queue-limit", "runtime.crypto_queue_limit", Type::kNumber, "N", 0, 1'000'000,
     "crypto jobs waiting for a helper thread, in the process; beyond it a job runs on its "
     "worker; 0: every job runs on its worker (1024)",
     SET(o.cryptoPool.queueLimit = v.number)},
    {"--crypto-job-timeout", "runtime.crypto_job_timeout_ms", Type::kNumber, "MS", 0, kDay,
     "a crypto helper job not done this long after it started rejects with an OperationError "
     "and its thread is replaced (0: none) (60000)",
     SET(o.cryptoPool.jobTimeoutMs = uint64_t(v.number))},
    {"--fetch-timeout", "fetch.timeout_ms", Type::kNumber, "MS", 0, kDay,
     "total time of one fetch(), redirects and body included (0: none)",
     SET(o.runtime.fetchTimeoutMs = uint32_t(v.number))},
    {"--fetch-connect-timeout", "fetch.connect_timeout_ms", Type::kNumber, "MS", 0, kHour,
     "DNS + connect + TLS handshake of an outbound connection (10000)",
     SET(o.outbound.client.connectTimeoutMs = uint32_t(v.number))},
    {"--fetch-head-timeout", "fetch.head_timeout_ms", Type::kNumber, "MS", 0, kDay,
     "request sent -> response head (60000)",
     SET(o.outbound.client.headTimeoutMs = uint32_t(v.number))},
    {"--fetch-body-timeout", "fetch.body_timeout_ms", Type::kNumber, "MS", 0, kDay,
     "longest pause of an upstream inside a response body (60000)",
     SET(o.outbound.client.bodyTimeoutMs = uint32_t(v.number))},
    {"--fetch-max-inflight", "fetch.max_inflight", Type::kNumber, "N", 1, 10'000'000,
     "outbound requests on the wire per worker (1000)",
     SET(o.outbound.client.maxInFlight = uint32_t(v.number))},
    {"--fetch-max-queued", "fetch.max_queued", Type::kNumber, "N", 0, 10'000'000,
     "outbound requests waiting for a connection per worker (10000); beyond both, fetch() "
     "rejects",
     SET(o.outbound.client.maxQueued = uint32_t(v.number))},
    {"--fetch-max-per-origin", "fetch.max_per_origin", Type::kNumber, "N", 1, 1'000'000,
     "connections per origin per worker (256)",
     SET(o.outbound.client.maxConnectionsPerOrigin = uint32_t(v.number))},
    {"--fetch-max-idle-per-origin", "fetch.max_idle_per_origin", Type::kNumber, "N", 0,
     1'000'000, "idle keep-alive connections kept per origin (256)",
     SET(o.outbound.client.maxIdlePerOrigin = uint32_t(v.number))},
    {"--fetch-idle-timeout", "fetch.idle_timeout_ms", Type::kNumber, "MS", 0, kDay,
     "an idle pooled connection is closed after this (30000)",
     SET(o.outbound.client.idleTimeoutMs = uint32_t(v.number))},
    {"--fetch-ca-file", "fetch.ca_file", Type::kFile, "FILE", 0, 0,
     "PEM roots trusted by https fetches instead of the system store (default: "
     "$SSL_CERT_FILE if set, else ca-certificates)",
     SET(o.outbound.tls.caFile = v.string)},
    {"--fetch-extra-ca-file", "fetch.extra_ca_file", Type::kFile, "FILE", 0, 0,
     "PEM roots trusted beside the store (a private PKI)",
     SET(o.outbound.tls.extraCaFile = v.string)},
    {"--dns-server", "dns.servers", Type::kStrings, "HOST:PORT", 0, 0,
     "resolver to ask instead of /etc/resolv.conf's (repeatable)",
     SET(o.outbound.dns.servers.insert(o.outbound.dns.servers.end(), v.strings.begin(),
                                       v.strings.end()))},
    {"--dns-timeout", "dns.timeout_ms", Type::kNumber, "MS", 1, 600'000, "per DNS try (2000)",
     SET(o.outbound.dns.timeoutMs = uint32_t(v.number))},
    {"--hosts-file", "dns.hosts_file", Type::kFile, "FILE", 0, 0,
     "names fetch() resolves before DNS, hosts(5) format, instead of /etc/hosts (read once at "
     "start)",
     SET(o.outbound.dns.hostsFile = v.string)},
    {"--io", "engine.io", Type::kString, "BACKEND", 0, 0,
     "the I/O backend: uring, epoll, or auto (io_uring, else epoll when no ring can be made: "
     "seccomp, kernel.io_uring_disabled, memlock) (auto; the TORUS_IO variable sets auto's "
     "choice)",
     [](ServeOptions& o, const Value& v) -> std::string {
       if (v.string == "uring") o.loop.backend = engine::Backend::kUring;
       else if (v.string == "epoll") o.loop.backend = engine::Backend::kEpoll;
       else if (v.string == "auto") o.loop.backend = engine::Backend::kAuto;
       else return "unknown I/O backend '" + v.string + "' (uring, epoll, auto)";
       return "";
     }},
    {"--ring-entries", "engine.ring_entries", Type::kNumber, "N", 8, 32768,
     "io_uring submission queue size per worker (1024)",
     SET(o.loop.ringEntries = unsigned(v.number))},
    {"--recv-buffers", "engine.recv_buffers", Type::kNumber, "N", 1, 32768,
     "provided receive buffers per worker, a power of two (512)",
     [](ServeOptions& o, const Value& v) -> std::string {
       if ((v.number & (v.number - 1)) != 0) return "must be a power of two";
       o.loop.recvBufferCount = unsigned(v.number);
       return "";
     }},
    {"--recv-buffer-size", "engine.recv_buffer_size", Type::kNumber, "N", 512, 1 << 20,
     "bytes per receive buffer (32768)", SET(o.loop.recvBufferSize = unsigned(v.number))},
};
#undef SET

// Limits: [limits] for every app (and these flags), [app.limits] for one.
struct Limit {
  const char* flag;
  const char* key;  // under limits.
  const char* arg;
  uint64_t max;
  const char* help;
  uint64_t AppLimits::*field;
};

const Limit kLimits[] = {
    {"--cpu-limit", "cpu_ms", "MS", kHour,
     "JS of an app running without a break (a handler, a microtask checkpoint) this long is "
     "terminated: its requests get 503, the isolate is recycled (0: none)",
     &AppLimits::cpuMs},
    {"--wall-limit", "wall_ms", "MS", kDay,
     "a request without a response head this long after its own head gets 503 (0: none)",
     &AppLimits::wallMs},
    {"--heap-limit", "heap_mb", "MB", 1 << 20,
     "an app's isolate heap, per worker; near it the isolate is terminated and recycled, its "
     "requests get 503 (0: a share of the cgroup's memory.max when set, else V8's default)",
     &AppLimits::heapMb},
    {"--max-concurrent", "max_concurrent", "N", 100'000'000,
     "requests of one app in flight per worker; beyond it 503 (0: none)",
     &AppLimits::maxConcurrent},
    {"--app-max-body-bytes", "max_body_bytes", "N", 1ull << 40,
     "request body of one app -> 413 (0: http.max_body_bytes only)", &AppLimits::maxBodyBytes},
};

const Limit* limitByFlag(const std::string& flag) {
  for (const Limit& l : kLimits) {
    if (flag == l.flag) return &l;
  }
  return nullptr;
}

// What an app table ([app], [[app]]) holds besides limits and env.
constexpr const char* kAppKeys[] = {"name", "entry", "hosts", "paths", "env", "limits"};

// Certificates are a list of tables in the file ([[tls.certificate]] cert, key, names, ocsp)
// and --tls-cert/--tls-key/--tls-names/--tls-ocsp groups on the command line.
constexpr const char* kCertificateKey = "tls.certificate";

const Setting* byFlag(const std::string& flag) {
  for (const Setting& s : kSettings) {
    if (s.flag && flag == s.flag) return &s;
  }
  return nullptr;
}

const Setting* byKey(const std::string& key) {
  for (const Setting& s : kSettings) {
    if (key == s.key) return &s;
  }
  return nullptr;
}

// ---- did you mean ----

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The closest known key (or flag) to `what`, when it is close enough to be a typo.
std::string didYouMean(const std::string& what, bool flags) {
  std::vector<std::string> known;
  for (const Setting& s : kSettings) {
    if (flags && s.flag) known.push_back(s.flag);
    if (!flags) known.push_back(s.key);
  }
  if (flags) {
    for (const char* f : {"--config", "--tls-cert", "--tls-key", "--tls-names", "--tls-ocsp"}) {
      known.push_back(f);
    }
    for (const Limit& l : kLimits) known.push_back(l.flag);
  } else {
    known.push_back("tls.certificate");
    for (const char* k : kAppKeys) known.push_back(std::string("app.") + k);
    for (const Limit& l : kLimits) {
      known.push_back(std::string("limits.") + l.key);
      known.push_back(std::string("app.limits.") + l.key);
    }
  }
  std::string best;
  size_t bestDistance = SIZE_MAX;
  for (const std::string& k : known) {
    // Compare the last part too, so that a key in the wrong section is found.
    std::string tail = k.substr(k.rfind('.') == std::string::npos ? 0 : k.rfind('.') + 1);
    std::string whatTail = what.substr(what.rfind('.') == std::string::npos ? 0 : what.rfind('.') + 1);
    size_t d = std::min(editDistance(what, k), editDistance(whatTail, tail) + (tail == k ? 0 : 1));
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  if (best.empty() || bestDistance > std::max<size_t>(2, what.size() / 4)) return "";
  return " (did you mean '" + best + "'?)";
}

std::string describeRange(const Setting& s) {
  return "a whole number from " + std::to_string(s.min) + " to " + std::to_string(s.max);
}

// ---- the command line ----

bool parseNumber(const std::string& text, uint64_t& out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(text.c_str(), &end, 10);
  if (errno || *end) return false;
  out = v;
  return true;
}

// A flag's value; "" or a problem.
std::string applyFlag(const Setting& s, const std::string& text, ServeOptions& o) {
  Value v;
  switch (s.type) {
    case Type::kNumber:
      if (!parseNumber(text, v.number) || v.number < s.min || v.number > s.max) {
        return "invalid value '" + text + "' for " + s.flag + " (expected " + describeRange(s) + ")";
      }
      break;
    case Type::kSwitch:
      v.on = true;
      break;
    case Type::kAddresses:
    case Type::kStrings:
      v.strings.push_back(text);
      break;
    default:
      v.string = text;
  }
  std::string problem = s.apply(o, v);
  return problem.empty() ? "" : std::string(s.flag) + ": " + problem;
}

}  // namespace

std::vector<ConfigProblem> parseServeArgs(int argc, char** argv, ServeOptions& o) {
  std::vector<ConfigProblem> problems;
  auto problem = [&](std::string m) { problems.push_back({"", 0, 0, std::move(m)}); };
  if (const char* ca = getenv("SSL_CERT_FILE")) o.outbound.tls.caFile = ca;
  setLogFormat(autoLogFormat());
  // --config first, wherever it is, so that flags override the file.
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--config") {
      std::vector<ConfigProblem> fromFile = loadConfigFile(argv[i + 1], o);
      problems.insert(problems.end(), fromFile.begin(), fromFile.end());
      break;
    }
  }
  std::string commandLineEntry;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    const Setting* s = byFlag(a);
    const Limit* limit = limitByFlag(a);
    bool takesValue = a == "--config" || a == "--tls-cert" || a == "--tls-key" ||
                      a == "--tls-names" || a == "--tls-ocsp" || limit ||
                      (s && s->type != Type::kSwitch);
    std::string value;
    if (takesValue) {
      if (i + 1 >= argc) {
        problem(a + " needs a value");
        break;
      }
      value = argv[++i];
    }
    if (a == "--config") continue;
    if (a == "--tls-cert") {
      o.tls.certificates.push_back({value, "", {}, ""});
    } else if (a == "--tls-key") {
      if (o.tls.certificates.empty() || !o.tls.certificates.back().keyFile.empty()) {
        problem("--tls-key must follow its --tls-cert");
      } else {
        o.tls.certificates.back().keyFile = value;
      }
    } else if (a == "--tls-ocsp") {
      if (o.tls.certificates.empty() || !o.tls.certificates.back().ocspFile.empty()) {
        problem("--tls-ocsp must follow its --tls-cert");
      } else {
        o.tls.certificates.back().ocspFile = value;
      }
    } else if (a == "--tls-names") {
      if (o.tls.certificates.empty()) {
        problem("--tls-names must follow its --tls-cert");
        continue;
      }
      std::stringstream list(value);
      std::string name;
      while (std::getline(list, name, ',')) {
        if (!name.empty()) o.tls.certificates.back().names.push_back(name);
      }
      if (o.tls.certificates.back().names.empty()) problem("--tls-names needs a name");
    } else if (s) {
      std::string p = applyFlag(*s, value, o);
      if (!p.empty()) problem(p);
    } else if (limit) {
      uint64_t n = 0;
      if (!parseNumber(value, n) || n > limit->max) {
        problem("invalid value '" + value + "' for " + a + " (expected a whole number from 0 to " +
                std::to_string(limit->max) + ")");
      } else {
        o.limits.*limit->field = n;
      }
    } else if (!a.empty() && a[0] == '-') {
      problem("unknown option '" + a + "'" + didYouMean(a, true));
    } else if (commandLineEntry.empty()) {
      commandLineEntry = a;
    } else {
      problem("unexpected argument '" + a + "'");
    }
  }
  if (!commandLineEntry.empty()) {
    if (o.apps.size() > 1) {
      problem("ENTRY '" + commandLineEntry + "' given, but the config has " +
              std::to_string(o.apps.size()) + " apps: give each its entry there");
    } else {
      if (o.apps.empty()) o.apps.emplace_back();
      o.apps[0].entry = commandLineEntry;
    }
  }
  return problems;
}

// ---- the file ----

namespace {

struct FileReader {
  const std::string& path;
  ServeOptions& o;
  std::vector<ConfigProblem>& problems;

  void problem(const toml::node& at, std::string message) {
    const toml::source_region& where = at.source();
    problems.push_back({path, int(where.begin.line), int(where.begin.column), std::move(message)});
  }
  void note(const std::string& key, const toml::node& at) {
    o.origins[key] = {int(at.source().begin.line), int(at.source().begin.column)};
  }

  // A path given in the file is relative to the file's folder.
  std::string relative(const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? p : path.substr(0, slash + 1) + p;
  }

  void setting(const Setting& s, const toml::node& node) {
    Value v;
    const char* want = nullptr;
    switch (s.type) {
      case Type::kNumber: {
        auto n = node.value<int64_t>();
        if (!node.is_integer() || !n) {
          want = "an integer";
        } else if (*n < 0 || uint64_t(*n) < s.min || uint64_t(*n) > s.max) {
          return problem(node, std::string(s.key) + " is " + std::to_string(*n) + ": expected " +
                                   describeRange(s));
        } else {
          v.number = uint64_t(*n);
        }
        break;
      }
      case Type::kSwitch:
        if (!node.is_boolean()) want = "true or false";
        else v.on = *node.value<bool>();
        break;
      case Type::kAddresses:
      case Type::kStrings: {
        const toml::array* array = node.as_array();
        if (!array) {
          want = "an array of strings";
          break;
        }
        for (const toml::node& item : *array) {
          if (!item.is_string()) return problem(item, std::string(s.key) + ": expected strings");
          v.strings.push_back(*item.value<std::string>());
        }
        break;
      }
      default:
        if (!node.is_string()) want = "a string";
        else v.string = *node.value<std::string>();
        if (s.type == Type::kFile) v.string = relative(v.string);
    }
    if (want) return problem(node, std::string(s.key) + ": expected " + want);
    std::string p = s.apply(o, v);
    if (!p.empty()) return problem(node, std::string(s.key) + ": " + p);
    note(s.key, node);
  }

  void certificates(const toml::node& node) {
    const toml::array* array = node.as_array();
    if (!array || !array->is_array_of_tables()) {
      return problem(node, "tls.certificate: expected [[tls.certificate]] tables with cert and key");
    }
    for (const toml::node& item : *array) {
      const toml::table& t = *item.as_table();
      net::TlsCertificate c;
      for (auto&& [k, v] : t) {
        std::string key(k.str());
        if ((key == "cert" || key == "key" || key == "ocsp") && v.is_string()) {
          (key == "cert" ? c.certFile : key == "key" ? c.keyFile : c.ocspFile) =
              relative(*v.value<std::string>());
        } else if (key == "names" && v.is_array()) {
          for (const toml::node& n : *v.as_array()) {
            if (n.is_string()) c.names.push_back(*n.value<std::string>());
            else problem(n, "tls.certificate.names: expected strings");
          }
        } else if (key == "cert" || key == "key" || key == "names" || key == "ocsp") {
          problem(v, "tls.certificate." + key + ": expected " +
                         (key == "names" ? "an array of strings" : "a string (a file path)"));
        } else {
          problem(v, "unknown key 'tls.certificate." + key + "' (cert, key, names, ocsp)");
        }
      }
      if (c.certFile.empty() || c.keyFile.empty()) {
        problem(item, "tls.certificate: needs both cert and key");
        continue;
      }
      o.origins["tls.certificate." + std::to_string(o.tls.certificates.size())] = {
          int(item.source().begin.line), int(item.source().begin.column)};
      o.tls.certificates.push_back(std::move(c));
    }
  }

  std::vector<std::string> strings(const toml::node& node, const std::string& key) {
    std::vector<std::string> out;
    const toml::array* array = node.as_array();
    if (!array) {
      problem(node, key + ": expected an array of strings");
      return out;
    }
    for (const toml::node& item : *array) {
      if (item.is_string()) out.push_back(*item.value<std::string>());
      else problem(item, key + ": expected strings");
    }
    return out;
  }

  // [limits] (into o.limits) or an app's [app.limits] (into the app's, marking what it set).
  void limits(const toml::node& node, const std::string& prefix, AppLimits& into,
              unsigned* set) {
    const toml::table* t = node.as_table();
    if (!t) return problem(node, prefix + ": expected a table");
    for (auto&& [k, v] : *t) {
      std::string key(k.str());
      const Limit* limit = nullptr;
      for (const Limit& l : kLimits) {
        if (key == l.key) limit = &l;
      }
      if (!limit) {
        problem(v, "unknown key '" + prefix + "." + key + "'" + didYouMean(prefix + "." + key, false));
        continue;
      }
      auto n = v.value<int64_t>();
      if (!v.is_integer() || !n) {
        problem(v, prefix + "." + key + ": expected an integer");
      } else if (*n < 0 || uint64_t(*n) > limit->max) {
        problem(v, prefix + "." + key + " is " + std::to_string(*n) +
                       ": expected a whole number from 0 to " + std::to_string(limit->max));
      } else {
        into.*limit->field = uint64_t(*n);
        if (set) *set |= 1u << (limit - kLimits);
      }
    }
  }

  // One app table: [app], or an element of [[app]].
  void app(const toml::node& node) {
    const toml::table* t = node.as_table();
    if (!t) return problem(node, "app: expected a table ([app] or [[app]])");
    size_t index = o.apps.size();
    std::string at = "app." + std::to_string(index);
    AppOptions a;
    o.origins[at] = {int(node.source().begin.line), int(node.source().begin.column)};
    for (auto&& [k, v] : *t) {
      std::string key(k.str());
      if (key == "name" || key == "entry") {
        if (!v.is_string()) {
          problem(v, "app." + key + ": expected a string");
          continue;
        }
        std::string text = *v.value<std::string>();
        if (key == "name") a.name = text;
        else a.entry = relative(text);
        note(at + "." + key, v);
      } else if (key == "hosts") {
        a.hosts = strings(v, "app.hosts");
        note(at + ".hosts", v);
      } else if (key == "paths") {
        a.paths = strings(v, "app.paths");
        note(at + ".paths", v);
      } else if (key == "env") {
        const toml::table* env = v.as_table();
        if (!env) {
          problem(v, "app.env: expected a table of strings ([app.env] NAME = \"value\")");
          continue;
        }
        for (auto&& [name, value] : *env) {
          if (!value.is_string()) {
            problem(value, "app.env." + std::string(name.str()) + ": expected a string");
            continue;
          }
          a.env.emplace_back(std::string(name.str()), *value.value<std::string>());
        }
      } else if (key == "limits") {
        limits(v, "app.limits", a.limits, &a.limitsSet);
      } else {
        problem(v, "unknown key 'app." + key + "'" + didYouMean("app." + key, false));
      }
    }
    o.apps.push_back(std::move(a));
  }

  void table(const toml::table& t, const std::string& prefix) {
    for (auto&& [k, v] : t) {
      std::string key = prefix + std::string(k.str());
      if (key == kCertificateKey) {
        certificates(v);
      } else if (key == "app" && v.is_array()) {
        const toml::array& apps = *v.as_array();
        if (!apps.is_array_of_tables()) {
          problem(v, "app: expected [[app]] tables");
          continue;
        }
        for (const toml::node& item : apps) app(item);
      } else if (key == "app") {
        app(v);
      } else if (key == "limits") {
        limits(v, "limits", o.limits, nullptr);
      } else if (const Setting* s = byKey(key)) {
        setting(*s, v);
      } else if (v.is_table() && std::any_of(std::begin(kSettings), std::end(kSettings),
                                             [&](const Setting& s) {
                                               return std::string(s.key).rfind(key + ".", 0) == 0;
                                             })) {
        table(*v.as_table(), key + ".");
      } else {
        problem(v, "unknown key '" + key + "'" + didYouMean(key, false));
      }
    }
  }
};

}  // namespace

std::vector<ConfigProblem> loadConfigFile(const std::string& path, ServeOptions& o) {
  std::vector<ConfigProblem> problems;
  if (access(path.c_str(), R_OK) != 0) {
    problems.push_back(
        {"", 0, 0, "cannot read config '" + path + "': " + strerror(errno), true});
    return problems;
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    problems.push_back({path, int(e.source().begin.line), int(e.source().begin.column),
                        std::string(e.description())});
    return problems;
  }
  o.configPath = path;  // read (what follows are problems of its content)
  FileReader reader{path, o, problems};
  reader.table(root, "");
  // toml++ keeps a table's keys sorted: report in the file's order.
  std::stable_sort(problems.begin(), problems.end(), [](const ConfigProblem& a, const ConfigProblem& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return problems;
}

// ---- after parsing ----

namespace {

// A directory entry means its app.js (or index.js).
std::string resolveEntry(const std::string& entry) {
  struct stat st;
  if (stat(entry.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return entry;
  for (const char* name : {"app.js", "index.js", "main.js"}) {
    std::string candidate = entry + "/" + name;
    if (access(candidate.c_str(), R_OK) == 0) return candidate;
  }
  return entry + "/app.js";
}

// A file of this process's cgroup (v2: the "0::/path" line of /proc/self/cgroup).
std::string cgroupFile(const char* name) {
  std::string group;
  std::ifstream self("/proc/self/cgroup");
  for (std::string line; std::getline(self, line);) {
    if (line.rfind("0::", 0) == 0) group = line.substr(3);
  }
  return "/sys/fs/cgroup" + (group == "/" ? std::string() : group) + "/" + name;
}

// The CPUs this process may use: its affinity mask (taskset, systemd's CPUAffinity=), capped
// by its cgroup's CPU quota (cpu.max "QUOTA PERIOD", rounded up; a container's --cpus).
unsigned defaultWorkers() {
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  std::ifstream cpuMax(cgroupFile("cpu.max"));
  std::string quota;
  uint64_t period = 0;
  if (cpuMax >> quota >> period && quota != "max" && period > 0) {
    uint64_t q = 0;
    if (parseNumber(quota, q) && q > 0) {
      cpus = std::min<unsigned>(cpus, unsigned(std::max<uint64_t>(1, (q + period - 1) / period)));
    }
  }
  return cpus;
}

// Each isolate's share of the cgroup's memory.max (MemoryMax=, a container's --memory), in
// MB: three quarters of it split between every app's isolate in every worker, so that the
// isolates reach their heap limits (a 503 and a recycled isolate) before the kernel's OOM
// killer takes the whole process. 0: no memory.max.
uint64_t heapShareMb(unsigned workers, size_t apps) {
  std::ifstream memoryMax(cgroupFile("memory.max"));
  std::string text;
  if (!(memoryMax >> text)) {
    // cgroup v1: memory.limit_in_bytes of the "N:memory:/path" hierarchy.
    std::string group;
    std::ifstream self("/proc/self/cgroup");
    for (std::string line; std::getline(self, line);) {
      size_t at = line.find(":memory:");
      if (at != std::string::npos) group = line.substr(at + 8);
    }
    std::ifstream limit("/sys/fs/cgroup/memory" + (group == "/" ? std::string() : group) +
                        "/memory.limit_in_bytes");
    if (!(limit >> text)) return 0;
  }
  uint64_t bytes = 0;
  if (text == "max" || !parseNumber(text, bytes) || bytes == 0 || bytes >= (1ull << 60)) return 0;
  uint64_t share = bytes / 4 * 3 / std::max<uint64_t>(1, uint64_t(workers) * apps);
  return std::max<uint64_t>(share >> 20, 16);
}

bool validName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return isalnum(c) || c == '-' || c == '_' || c == '.';
         });
}

// "Example.COM" -> "example.com"; "" when it is not a host name (or "*.name").
std::string normalizeHost(const std::string& host) {
  std::string out;
  for (size_t i = 0; i < host.size(); ++i) {
    unsigned char c = host[i];
    if (c == '*' && i == 0 && host.size() > 2 && host[1] == '.') {
      out += '*';
    } else if (isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += char(tolower(c));
    } else {
      return "";
    }
  }
  return out;
}

using ProblemAt = std::function<void(const std::string&, std::string, bool)>;

// Each app: a name, a readable entry, valid hosts and paths, its limits; no two apps serving
// the same host and path; the default app known.
void apps(ServeOptions& o, const ProblemAt& problem) {
  if (o.apps.empty() || (o.apps.size() == 1 && o.apps[0].entry.empty())) {
    problem("app.0", o.configPath.empty()
                         ? "serve needs an ENTRY module, e.g. torus serve app.js"
                         : "no app: set [app] entry = \"app.js\" in the config, or give ENTRY",
            false);
    return;
  }
  std::map<std::string, size_t> names;
  std::map<std::pair<std::string, std::string>, std::string> served;  // (host, path) -> app
  for (size_t i = 0; i < o.apps.size(); ++i) {
    AppOptions& a = o.apps[i];
    std::string at = "app." + std::to_string(i);
    if (a.entry.empty()) {
      problem(at, "app " + (a.name.empty() ? "#" + std::to_string(i + 1) : "'" + a.name + "'") +
                      " has no entry (entry = \"app.js\")",
              false);
      continue;
    }
    a.entry = resolveEntry(a.entry);
    if (access(a.entry.c_str(), R_OK) != 0) {
      problem(at + ".entry", "cannot open '" + a.entry + "': " + strerror(errno), true);
    }
    if (a.name.empty()) {
      if (o.apps.size() == 1) {
        a.name = "app";
      } else {
        problem(at, "app #" + std::to_string(i + 1) + " needs a name (several apps)", false);
        continue;
      }
    }
    if (!validName(a.name)) {
      problem(at + ".name", "app name '" + a.name + "': letters, digits, '-', '_' and '.' only", false);
    } else if (!names.emplace(a.name, i).second) {
      problem(at + ".name", "two apps are named '" + a.name + "'", false);
    }
    for (std::string& h : a.hosts) {
      std::string n = normalizeHost(h);
      if (n.empty()) problem(at + ".hosts", "app '" + a.name + "': '" + h + "' is not a host name (example.com or *.example.com)", false);
      h = n;
    }
    for (const std::string& p : a.paths) {
      if (p.empty() || p[0] != '/') {
        problem(at + ".paths", "app '" + a.name + "': path prefix '" + p + "' must start with /", false);
      }
    }
    for (size_t l = 0; l < std::size(kLimits); ++l) {
      if (!(a.limitsSet & (1u << l))) a.limits.*kLimits[l].field = o.limits.*kLimits[l].field;
    }
    std::vector<std::string> hosts = a.hosts.empty() ? std::vector<std::string>{""} : a.hosts;
    std::vector<std::string> paths = a.paths.empty() ? std::vector<std::string>{"/"} : a.paths;
    for (const std::string& h : hosts) {
      for (std::string p : paths) {
        if (p.size() > 1 && p.back() == '/') p.pop_back();
        auto [it, fresh] = served.emplace(std::pair(h, p), a.name);
        if (!fresh) {
          problem(at + (a.hosts.empty() ? ".paths" : ".hosts"),
                  "app '" + a.name + "' serves " + (h.empty() ? "every host" : "host " + h) +
                      " at " + p + ", as app '" + it->second + "' does",
                  false);
        }
      }
    }
  }
  if (!o.defaultApp.empty() && !names.count(o.defaultApp)) {
    problem("routing.default_app", "routing.default_app '" + o.defaultApp + "' is not an app", false);
  }
}

}  // namespace

std::vector<ConfigProblem> finishServeOptions(ServeOptions& o) {
  std::vector<ConfigProblem> problems;
  // At the key's place in the file when it came from there.
  auto problem = [&](const std::string& key, std::string message, bool environment = false) {
    auto it = o.origins.find(key);
    // An app's key not given in the file: at its table.
    if (it == o.origins.end() && key.rfind("app.", 0) == 0) {
      it = o.origins.find(key.substr(0, key.find('.', 4)));
    }
    if (it == o.origins.end()) {
      problems.push_back({"", 0, 0, std::move(message), environment});
    } else {
      problems.push_back({o.configPath, it->second.first, it->second.second, std::move(message),
                          environment});
    }
  };
  apps(o, [&](const std::string& key, std::string message, bool environment) {
    problem(key, std::move(message), environment);
  });
  for (const auto& [key, file] : {std::pair<const char*, const std::string&>{"fetch.ca_file", o.outbound.tls.caFile},
                                  {"fetch.extra_ca_file", o.outbound.tls.extraCaFile},
                                  {"dns.hosts_file", o.outbound.dns.hostsFile}}) {
    // The default hosts file may be missing (a minimal root, a container): then there is
    // none, as the resolver says (net/dns.h). One that was named must be readable.
    bool defaultHosts =
        &file == &o.outbound.dns.hostsFile && file == net::ResolverOptions{}.hostsFile;
    if (!file.empty() && !defaultHosts && access(file.c_str(), R_OK) != 0) {
      problem(key, std::string("cannot read ") + key + " '" + file + "': " + strerror(errno),
              true);
    }
  }
  bool certificatesReadable = true;
  for (size_t i = 0; i < o.tls.certificates.size(); ++i) {
    const net::TlsCertificate& c = o.tls.certificates[i];
    std::string key = "tls.certificate." + std::to_string(i);
    if (c.keyFile.empty()) {
      problem(key, "--tls-cert '" + c.certFile + "' needs its --tls-key");
      certificatesReadable = false;
      continue;
    }
    for (const std::string& file : {c.certFile, c.keyFile, c.ocspFile}) {
      if (!file.empty() && access(file.c_str(), R_OK) != 0) {
        problem(key, "cannot read '" + file + "': " + strerror(errno), true);
        certificatesReadable = false;
      }
    }
  }
  if (!o.httpsListen.empty() && o.tls.certificates.empty()) {
    problem("https_listen", "an HTTPS listener needs a certificate: --tls-cert FILE --tls-key "
                            "FILE, or [[tls.certificate]] cert = ... key = ... in the config");
  }
  if (o.httpsListen.empty() && !o.tls.certificates.empty()) {
    problem("tls.certificate.0", "a certificate is given but no HTTPS listener (--https-listen, "
                                 "https_listen)");
  }
  if (o.listen.empty() && o.httpsListen.empty()) o.listen.push_back({"127.0.0.1", 8080});
  // The same address twice (in either list) is a mistake, not two listeners.
  std::set<std::pair<std::string, uint16_t>> seen;
  if (o.adminListen.size() > 1) problem("admin.listen", "one admin listener at most");
  for (const auto* list : {&o.listen, &o.httpsListen, &o.adminListen}) {
    for (const ListenAddress& a : *list) {
      if (a.port != 0 && !seen.insert({a.host, a.port}).second) {
        problem(list == &o.listen ? "listen" : list == &o.httpsListen ? "https_listen"
                                                                      : "admin.listen",
                "the address " + a.text() + " is listed twice");
      }
    }
  }
  // Certificates that do not load or do not match their keys.
  if (!o.tls.certificates.empty() && certificatesReadable) {
    auto tls = net::TlsServerContext::create(o.tls);
    if (!tls.ok()) problem("tls.certificate.0", tls.error(), true);
  }
  if (o.workers == 0) o.workers = defaultWorkers();
  if (uint64_t share = heapShareMb(o.workers, o.apps.size())) {
    for (AppOptions& a : o.apps) {
      if (a.limits.heapMb == 0) a.limits.heapMb = share;
    }
  }
  return problems;
}

// ---- help and reference ----

namespace {

const char* typeName(Type t) {
  switch (t) {
    case Type::kNumber: return "integer";
    case Type::kString: return "string";
    case Type::kFile: return "string (file)";
    case Type::kSwitch: return "boolean";
    case Type::kAddresses: return "array of \"HOST:PORT\"";
    case Type::kStrings: return "array of strings";
    case Type::kLogLevel: return "string";
  }
  return "";
}

}  // namespace

std::string serveOptionsHelp() {
  std::string out = "serve options:\n";
  auto line = [&](const std::string& left, const std::string& help) {
    std::string l = "  " + left;
    // Wrapped at 92 columns, continuation lines under the help's first column.
    constexpr size_t kHelpColumn = 28, kWidth = 92;
    if (l.size() + 2 > kHelpColumn) {
      l += "  ";
    } else {
      l.resize(kHelpColumn, ' ');
    }
    size_t column = l.size();
    std::istringstream words(help);
    std::string word;
    bool first = true;
    while (words >> word) {
      if (!first && column + 1 + word.size() > kWidth) {
        l += "\n" + std::string(kHelpColumn, ' ');
        column = kHelpColumn;
      } else if (!first) {
        l += ' ';
        ++column;
      }
      l += word;
      column += word.size();
      first = false;
    }
    out += l + "\n";
  };
  line("--config FILE", "read settings from a TOML file (docs/configuration.md); a flag "
                        "given beside it overrides its setting, or adds to a list (listen "
                        "addresses, certificates, DNS servers)");
  for (const Setting& s : kSettings) {
    if (!s.flag) continue;
    if (std::string(s.flag) == "--https-listen") {
      line(std::string(s.flag) + " " + s.arg, s.help);
      line("--tls-cert FILE", "PEM certificate chain (leaf first) of a TLS certificate; repeat "
                              "--tls-cert/--tls-key pairs for several certificates, picked by "
                              "SNI from their DNS SANs; the first is the default");
      line("--tls-key FILE", "PEM private key (RSA or ECDSA) of the preceding --tls-cert");
      line("--tls-names NAME,...", "SNI names of the preceding --tls-cert instead of its SANs "
                                   "(exact, or *.example.com)");
      line("--tls-ocsp FILE", "OCSP response (DER) for the preceding --tls-cert, stapled for "
                              "clients that ask; refresh the file and reload");
      continue;
    }
    line(std::string(s.flag) + (s.type == Type::kSwitch ? "" : std::string(" ") + s.arg), s.help);
  }
  for (const Limit& l : kLimits) line(std::string(l.flag) + " " + l.arg, l.help);
  return out;
}

std::string configReference() {
  std::string out =
      "| key | flag | type | meaning |\n"
      "|---|---|---|---|\n";
  auto row = [&](const std::string& key, const std::string& flag, const std::string& type,
                 const std::string& help) {
    out += "| `" + key + "` | " + (flag.empty() ? "" : "`" + flag + "`") + " | " + type + " | " +
           help + " |\n";
  };
  for (const Setting& s : kSettings) {
    std::string type = typeName(s.type);
    if (s.type == Type::kNumber) type += ", " + std::to_string(s.min) + "-" + std::to_string(s.max);
    row(s.key, s.flag ? s.flag : "", type, s.help);
    if (std::string(s.key) == "tls.session_cache_entries") {
      row("tls.certificate", "--tls-cert, --tls-key, --tls-names, --tls-ocsp",
          "array of tables {cert, key, names, ocsp}",
          "certificates: `cert` a PEM chain (leaf first), `key` its PEM private key, `names` "
          "the SNI names it serves instead of its DNS SANs (exact, or *.example.com), `ocsp` "
          "an OCSP response file (DER) to staple, checked on load and reload (the issuer must "
          "follow the leaf in `cert`); the first is the default");
    }
  }
  for (const Limit& l : kLimits) {
    row(std::string("limits.") + l.key, l.flag,
        "integer, 0-" + std::to_string(l.max), l.help + std::string("; every app's"));
  }
  // An app: [app], or one [[app]] table per app.
  row("app.name", "", "string", "the app's name in logs and metrics (letters, digits, - _ .); "
                                "needed when there are several apps");
  row("app.entry", "ENTRY", "string",
      "the app's module (a directory means its app.js, index.js or main.js); relative to the "
      "config file");
  row("app.hosts", "", "array of strings",
      "the Host names it serves (exact, or *.example.com for any subdomain; for HTTPS the SNI "
      "name too); none: every host");
  row("app.paths", "", "array of strings",
      "path prefixes it serves (\"/api\" serves /api and /api/...; the longest match wins); "
      "none: every path");
  row("app.env", "", "table of strings", "the handler's `env`: each key a string property");
  row("app.limits.*", "", "table", "the app's own limits, the keys of [limits]");
  return out;
}

}  // namespace torus::server
