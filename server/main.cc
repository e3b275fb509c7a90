// torus: serve a WinterTC-style module over HTTP/1.1 on io_uring, one V8 isolate per core.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "js/api/url.h"
#include "js/realm.h"
#include "js/runtime.h"
#include "server/options.h"
#include "server/worker.h"

#ifndef TORUS_VERSION
#define TORUS_VERSION "0.0.0"
#endif

namespace torus::server {
namespace {

constexpr const char* kUsage = R"(torus )" TORUS_VERSION R"( - JavaScript web apps on V8 and io_uring

Usage:
  torus serve ENTRY [options]   serve ENTRY's `export default { fetch(request, env, ctx) }`
  torus run FILE                run a module until the event loop is idle
  torus run --location URL ...  the same, with URL as the base of relative request URLs
                                (new Request("/x"), Response.redirect), like Deno's
                                --location; a server has none
  torus run --hosts-file FILE ...  the same, with fetch() resolving names from FILE (hosts(5)
                                format) instead of /etc/hosts; before or after --location
  torus run --script FILE...    run classic scripts in order in one global scope (sloppy
                                mode; top-level declarations are shared, as with <script>
                                tags); an uncaught error in one is reported and the next
                                still runs; then run until the event loop is idle
  torus eval CODE               evaluate CODE and print its value
  torus --version | --help

serve options:
  --listen HOST:PORT        address to listen on (repeatable; default 127.0.0.1:8080)
  --https-listen HOST:PORT  address to serve HTTPS on (repeatable; needs --tls-cert/--tls-key)
  --tls-cert FILE           PEM certificate chain (leaf first) of a TLS certificate; repeat
                            --tls-cert/--tls-key pairs for several certificates, picked by
                            SNI from their DNS SANs; the first is the default
  --tls-key FILE            PEM private key (RSA or ECDSA) of the preceding --tls-cert
  --tls-names NAME,...      SNI names of the preceding --tls-cert instead of its SANs
                            (exact, or *.example.com)
  --tls-handshake-timeout MS  accept -> TLS handshake done (10000)
  --tls-ticket-rotation S   session ticket key rotation interval in seconds (3600)
  --tls-reload              SIGHUP reloads the certificates and keys (new handshakes use
                            them; a set that does not load is refused and logged)
  --workers N               worker threads, each with its own ring and isolate
                            (default: number of CPUs)
  --shutdown-timeout MS     how long in-flight requests may run after SIGTERM (10000)
  --max-connections N       open connections per worker (10000)
  --max-head-bytes N        request line + headers (65536) -> 431
  --max-headers N           header count (100) -> 431
  --max-target-bytes N      request-target length (8192) -> 414
  --max-body-bytes N        request body (104857600) -> 413
  --header-timeout MS       time to receive a request head (10000)
  --body-timeout MS         longest pause inside a request body (60000)
  --keepalive-timeout MS    idle keep-alive connection (60000)
  --max-pipelined N         requests parsed ahead of their responses (16)
  --send-timeout MS         longest a client may stall reading a response (60000)
  --send-high-water-mark N  bytes queued per streamed response before its producer waits (65536)
  --body-high-water-mark N  request body bytes buffered before reading pauses (65536)
  --max-timers N            active JS timers per worker (100000)
  --max-request-contexts N  requests alive at once per worker, waitUntil work included
                            (100000) -> 503
  --fetch-timeout MS        total time of one fetch(), redirects and body included (0: none)
  --fetch-connect-timeout MS  DNS + connect + TLS handshake of an outbound connection (10000)
  --fetch-head-timeout MS   request sent -> response head (60000)
  --fetch-body-timeout MS   longest pause of an upstream inside a response body (60000)
  --fetch-max-inflight N    outbound requests on the wire per worker (1000)
  --fetch-max-queued N      outbound requests waiting for a connection per worker (10000);
                            beyond both, fetch() rejects
  --fetch-max-per-origin N  connections per origin per worker (256)
  --fetch-max-idle-per-origin N  idle keep-alive connections kept per origin (256)
  --fetch-idle-timeout MS   an idle pooled connection is closed after this (30000)
  --fetch-ca-file FILE      PEM roots trusted by https fetches instead of the system store
                            (default: $SSL_CERT_FILE if set, else ca-certificates)
  --fetch-extra-ca-file FILE  PEM roots trusted beside the store (a private PKI)
  --dns-server HOST:PORT    resolver to ask instead of /etc/resolv.conf's (repeatable)
  --dns-timeout MS          per DNS try (2000)
  --hosts-file FILE         names fetch() resolves before DNS, hosts(5) format, instead of
                            /etc/hosts (read once at start)
  --ring-entries N          io_uring submission queue size per worker (1024)
  --recv-buffers N          provided receive buffers per worker, a power of two (512)
  --recv-buffer-size N      bytes per receive buffer (32768)
  --log-level LEVEL         debug, info, warn, error (info)

Signals: SIGINT/SIGTERM stop accepting, finish in-flight requests, exit 0.
         SIGHUP (with --tls-reload) reloads the TLS certificates.
)";

[[noreturn]] void usageError(const std::string& msg) {
  fprintf(stderr, "torus: %s\nRun 'torus --help' for usage.\n", msg.c_str());
  exit(2);
}

uint64_t parseNumber(const std::string& flag, const char* value, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(value, &end, 10);
  if (errno || !*value || *end || v > max || value[0] == '-') {
    usageError("invalid value '" + std::string(value) + "' for " + flag +
               " (expected a whole number up to " + std::to_string(max) + ")");
  }
  return v;
}

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

ServeOptions parseServe(int argc, char** argv) {
  ServeOptions o;
  if (const char* ca = getenv("SSL_CERT_FILE")) o.outbound.tls.caFile = ca;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--listen") {
      auto l = parseListen(value());
      if (!l.ok()) usageError(l.error());
      o.listen.push_back(*l);
    } else if (a == "--https-listen") {
      auto l = parseListen(value());
      if (!l.ok()) usageError(l.error());
      o.httpsListen.push_back(*l);
    } else if (a == "--tls-cert") {
      o.tls.certificates.push_back({value(), "", {}});
    } else if (a == "--tls-key") {
      const char* v = value();
      if (o.tls.certificates.empty() || !o.tls.certificates.back().keyFile.empty()) {
        usageError("--tls-key must follow its --tls-cert");
      }
      o.tls.certificates.back().keyFile = v;
    } else if (a == "--tls-names") {
      const char* v = value();
      if (o.tls.certificates.empty()) usageError("--tls-names must follow its --tls-cert");
      std::stringstream list(v);
      std::string name;
      while (std::getline(list, name, ',')) {
        if (!name.empty()) o.tls.certificates.back().names.push_back(name);
      }
      if (o.tls.certificates.back().names.empty()) usageError("--tls-names needs a name");
    } else if (a == "--tls-handshake-timeout") {
      o.http.tlsHandshakeTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
      if (o.http.tlsHandshakeTimeoutMs == 0) usageError("--tls-handshake-timeout must be at least 1");
    } else if (a == "--tls-ticket-rotation") {
      o.tls.ticketRotationSeconds = uint32_t(parseNumber(a, value(), 30 * 86'400));
      if (o.tls.ticketRotationSeconds == 0) usageError("--tls-ticket-rotation must be at least 1");
    } else if (a == "--tls-reload") {
      o.tlsReload = true;
    } else if (a == "--workers") {
      o.workers = unsigned(parseNumber(a, value(), 1024));
      if (o.workers == 0) usageError("--workers must be at least 1");
    } else if (a == "--shutdown-timeout") {
      o.shutdownTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
    } else if (a == "--max-connections") {
      o.http.maxConnections = uint32_t(parseNumber(a, value(), 1'000'000));
    } else if (a == "--max-head-bytes") {
      o.http.limits.maxHeadBytes = parseNumber(a, value(), 1 << 24);
    } else if (a == "--max-headers") {
      o.http.limits.maxHeaderCount = parseNumber(a, value(), 10'000);
    } else if (a == "--max-target-bytes") {
      o.http.limits.maxTargetBytes = parseNumber(a, value(), 1 << 24);
    } else if (a == "--max-body-bytes") {
      o.http.limits.maxBodyBytes = parseNumber(a, value(), 1ull << 40);
    } else if (a == "--header-timeout") {
      o.http.headerTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
    } else if (a == "--body-timeout") {
      o.http.bodyTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
    } else if (a == "--keepalive-timeout") {
      o.http.keepAliveTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
    } else if (a == "--max-pipelined") {
      o.http.maxPipelined = uint32_t(parseNumber(a, value(), 1024));
      if (o.http.maxPipelined == 0) usageError("--max-pipelined must be at least 1");
    } else if (a == "--send-timeout") {
      o.http.sendTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
    } else if (a == "--send-high-water-mark") {
      o.http.sendHighWaterMark = uint32_t(parseNumber(a, value(), 1u << 30));
      if (o.http.sendHighWaterMark == 0) usageError("--send-high-water-mark must be at least 1");
    } else if (a == "--body-high-water-mark") {
      o.http.bodyHighWaterMark = uint32_t(parseNumber(a, value(), 1u << 30));
      if (o.http.bodyHighWaterMark == 0) usageError("--body-high-water-mark must be at least 1");
    } else if (a == "--max-request-contexts") {
      o.runtime.maxRequestContexts = parseNumber(a, value(), 100'000'000);
      if (o.runtime.maxRequestContexts == 0) usageError("--max-request-contexts must be at least 1");
    } else if (a == "--fetch-timeout") {
      o.runtime.fetchTimeoutMs = uint32_t(parseNumber(a, value(), 86'400'000));
    } else if (a == "--fetch-connect-timeout") {
      o.outbound.client.connectTimeoutMs = uint32_t(parseNumber(a, value(), 3'600'000));
    } else if (a == "--fetch-head-timeout") {
      o.outbound.client.headTimeoutMs = uint32_t(parseNumber(a, value(), 86'400'000));
    } else if (a == "--fetch-body-timeout") {
      o.outbound.client.bodyTimeoutMs = uint32_t(parseNumber(a, value(), 86'400'000));
    } else if (a == "--fetch-max-inflight") {
      o.outbound.client.maxInFlight = uint32_t(parseNumber(a, value(), 10'000'000));
      if (o.outbound.client.maxInFlight == 0) usageError("--fetch-max-inflight must be at least 1");
    } else if (a == "--fetch-max-queued") {
      o.outbound.client.maxQueued = uint32_t(parseNumber(a, value(), 10'000'000));
    } else if (a == "--fetch-max-per-origin") {
      o.outbound.client.maxConnectionsPerOrigin = uint32_t(parseNumber(a, value(), 1'000'000));
      if (o.outbound.client.maxConnectionsPerOrigin == 0) {
        usageError("--fetch-max-per-origin must be at least 1");
      }
    } else if (a == "--fetch-max-idle-per-origin") {
      o.outbound.client.maxIdlePerOrigin = uint32_t(parseNumber(a, value(), 1'000'000));
    } else if (a == "--fetch-idle-timeout") {
      o.outbound.client.idleTimeoutMs = uint32_t(parseNumber(a, value(), 86'400'000));
    } else if (a == "--fetch-ca-file") {
      o.outbound.tls.caFile = value();
    } else if (a == "--fetch-extra-ca-file") {
      o.outbound.tls.extraCaFile = value();
    } else if (a == "--dns-server") {
      o.outbound.dns.servers.push_back(value());
    } else if (a == "--dns-timeout") {
      o.outbound.dns.timeoutMs = uint32_t(parseNumber(a, value(), 600'000));
      if (o.outbound.dns.timeoutMs == 0) usageError("--dns-timeout must be at least 1");
    } else if (a == "--hosts-file") {
      o.outbound.dns.hostsFile = value();
      if (access(o.outbound.dns.hostsFile.c_str(), R_OK) != 0) {
        usageError("cannot read --hosts-file '" + o.outbound.dns.hostsFile + "': " + strerror(errno));
      }
    } else if (a == "--max-timers") {
      o.runtime.maxTimers = parseNumber(a, value(), 100'000'000);
    } else if (a == "--ring-entries") {
      o.loop.ringEntries = unsigned(parseNumber(a, value(), 32768));
      if (o.loop.ringEntries < 8) usageError("--ring-entries must be at least 8");
    } else if (a == "--recv-buffers") {
      o.loop.recvBufferCount = unsigned(parseNumber(a, value(), 32768));
      unsigned n = o.loop.recvBufferCount;
      if (n == 0 || (n & (n - 1)) != 0) usageError("--recv-buffers must be a power of two");
    } else if (a == "--recv-buffer-size") {
      o.loop.recvBufferSize = unsigned(parseNumber(a, value(), 1 << 20));
      if (o.loop.recvBufferSize < 512) usageError("--recv-buffer-size must be at least 512");
    } else if (a == "--log-level") {
      std::string l = value();
      if (l == "debug") setLogLevel(LogLevel::kDebug);
      else if (l == "info") setLogLevel(LogLevel::kInfo);
      else if (l == "warn") setLogLevel(LogLevel::kWarn);
      else if (l == "error") setLogLevel(LogLevel::kError);
      else usageError("unknown log level '" + l + "'");
    } else if (!a.empty() && a[0] == '-') {
      usageError("unknown option '" + a + "'");
    } else if (o.entry.empty()) {
      o.entry = a;
    } else {
      usageError("unexpected argument '" + a + "'");
    }
  }
  if (o.entry.empty()) usageError("serve needs an ENTRY module, e.g. torus serve app.js");
  o.entry = resolveEntry(o.entry);
  if (access(o.entry.c_str(), R_OK) != 0) {
    fprintf(stderr, "torus: cannot open '%s': %s\n", o.entry.c_str(), strerror(errno));
    exit(1);
  }
  for (const net::TlsCertificate& c : o.tls.certificates) {
    if (c.keyFile.empty()) usageError("--tls-cert '" + c.certFile + "' needs its --tls-key");
  }
  if (!o.httpsListen.empty() && o.tls.certificates.empty()) {
    usageError("--https-listen needs a certificate: --tls-cert FILE --tls-key FILE");
  }
  if (o.httpsListen.empty() && !o.tls.certificates.empty()) {
    usageError("--tls-cert is given but no --https-listen address");
  }
  if (o.listen.empty() && o.httpsListen.empty()) o.listen.push_back({"127.0.0.1", 8080});
  if (o.workers == 0) o.workers = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

// A listening socket with SO_REUSEPORT, so each worker has its own and the kernel spreads
// connections between them.
Result<int> openListener(const ListenAddress& addr, bool probe) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(addr.port);
  int rc = getaddrinfo(addr.host.empty() ? nullptr : addr.host.c_str(), port.c_str(), &hints,
                       &res);
  if (rc != 0) {
    return makeError("cannot listen on " + addr.text() + ": " + gai_strerror(rc));
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // The probe binds without SO_REUSEPORT, so that a port held by another process (even
  // another torus, which would otherwise silently share it) is refused.
  if (!probe) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // inherited by accepted sockets
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || (!probe && listen(fd, 4096) != 0)) {
    int err = errno;
    close(fd);
    freeaddrinfo(res);
    std::string hint = err == EADDRINUSE ? " (another process is using the port: stop it, "
                                           "or choose another with --listen HOST:PORT)"
                       : err == EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)"
                                       : "";
    return makeError("cannot listen on " + addr.text() + ": " + strerror(err) + hint);
  }
  freeaddrinfo(res);
  return fd;
}

int serve(int argc, char** argv) {
  ServeOptions options = parseServe(argc, argv);
  // Signals go to this thread only (sigwait below); workers inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (options.tlsReload) sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Certificates and keys are checked before anything starts: a clear error, exit 1.
  if (!options.httpsListen.empty()) {
    auto tls = net::TlsServerContext::create(options.tls);
    if (!tls.ok()) {
      fprintf(stderr, "torus: %s\n", tls.error().c_str());
      return 1;
    }
  }

  // One socket per worker per address. A port in use is reported before anything starts.
  std::vector<std::vector<int>> fds(options.workers);
  std::vector<ListenAddress> addresses = options.listen;  // plain first, then TLS (worker.h)
  addresses.insert(addresses.end(), options.httpsListen.begin(), options.httpsListen.end());
  for (const ListenAddress& addr : addresses) {
    if (addr.port != 0) {
      auto probe = openListener(addr, true);
      if (!probe.ok()) {
        fprintf(stderr, "torus: %s\n", probe.error().c_str());
        return 1;
      }
      close(*probe);
    }
    for (unsigned w = 0; w < options.workers; ++w) {
      auto fd = openListener(addr, false);
      if (!fd.ok()) {
        fprintf(stderr, "torus: %s\n", fd.error().c_str());
        return 1;
      }
      fds[w].push_back(*fd);
    }
  }

  js::V8Process v8;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::future<Result<void>>> ready;
  for (unsigned w = 0; w < options.workers; ++w) {
    workers.push_back(std::make_unique<Worker>(w, options, fds[w]));
    ready.push_back(workers.back()->start());
  }
  std::string failure;
  for (auto& f : ready) {
    Result<void> r = f.get();
    if (!r.ok() && failure.empty()) failure = r.error();
  }
  if (!failure.empty()) {
    fprintf(stderr, "torus: %s\n", failure.c_str());
    for (auto& w : workers) w->requestStop();
    for (auto& w : workers) w->join();
    return 1;
  }
  std::string where;
  for (const ListenAddress& addr : options.listen) where += " http://" + addr.text() + "/";
  for (const ListenAddress& addr : options.httpsListen) where += " https://" + addr.text() + "/";
  LOG_INFO("serving %s on%s with %u worker(s)", options.entry.c_str(), where.c_str(),
           options.workers);

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    // Checked once here, so that a bad set is reported once, not by every worker.
    if (auto check = net::TlsServerContext::create(options.tls); !check.ok()) {
      LOG_WARN("SIGHUP: TLS reload refused, the old certificates keep serving: %s",
               check.error().c_str());
      continue;
    }
    LOG_INFO("SIGHUP: reloading the TLS certificates");
    for (auto& w : workers) w->reloadTls();
  }
  LOG_INFO("%s: stopping (in-flight requests get %u ms; send it again to quit now)",
           strsignal(sig), options.shutdownTimeoutMs);
  for (auto& w : workers) w->requestStop();
  // A second signal while the workers finish quits at once.
  std::atomic<bool> stopped{false};
  std::thread second([&] {
    timespec tick{0, 100'000'000};
    while (!stopped.load()) {
      int got = sigtimedwait(&signals, nullptr, &tick);
      if (got > 0 && got != SIGHUP) _exit(1);
    }
  });
  for (auto& w : workers) w->join();
  stopped.store(true);
  second.join();
  for (auto& list : fds) {
    for (int fd : list) close(fd);
  }
  return 0;
}

// `torus run FILE`, `torus run --script FILE...` and `torus eval CODE`: one runtime on this
// thread, until idle.
enum class RunMode { kModule, kScripts, kEval };

int runOrEval(RunMode mode, const std::vector<std::string>& args, const std::string& location,
              const std::string& hostsFile) {
  auto loop = engine::Loop::create(engine::LoopOptions{64, 16, 4096});
  if (!loop.ok()) {
    fprintf(stderr, "torus: %s\n", loop.error().c_str());
    return 1;
  }
  js::V8Process v8;
  int code = 0;
  OutboundOptions outboundOptions;
  if (const char* ca = getenv("SSL_CERT_FILE")) outboundOptions.tls.caFile = ca;
  if (!hostsFile.empty()) outboundOptions.dns.hostsFile = hostsFile;
  auto outbound = Outbound::create(**loop, outboundOptions);
  if (!outbound.ok()) {
    fprintf(stderr, "torus: %s\n", outbound.error().c_str());
    return 1;
  }
  {
    js::RuntimeOptions options;
    options.realm.baseUrl = location;
    options.httpClient = (*outbound)->client.get();
    js::Runtime runtime(**loop, options);
    if (mode == RunMode::kEval) {
      auto r = runtime.evalScript(args[0], "[eval]");
      if (!r.ok()) {
        fprintf(stderr, "%s\n", r.error().c_str());
        return 1;
      }
      if (*r != "undefined") printf("%s\n", r->c_str());
    } else if (mode == RunMode::kScripts) {
      // Like a page's <script> elements: each one compiles and runs on its own, so a throw
      // in one does not stop the next (the WPT runner relies on this to report it).
      for (const std::string& file : args) {
        std::ifstream in(file, std::ios::binary);
        if (!in.is_open()) {
          fprintf(stderr, "torus: cannot read '%s'\n", file.c_str());
          return 1;
        }
        std::stringstream source;
        source << in.rdbuf();
        auto r = runtime.evalScript(source.str(), file);
        if (!r.ok()) fprintf(stderr, "%s\n", r.error().c_str());
      }
    } else {
      auto m = runtime.loadModule(args[0]);
      if (!m.ok()) {
        fprintf(stderr, "torus: %s\n", m.error().c_str());
        return 1;
      }
    }
    runtime.runUntilIdle();
    if (runtime.failures() > 0) code = 1;
  }
  fflush(stdout);
  return code;
}

}  // namespace

Result<ListenAddress> parseListen(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return makeError("invalid --listen '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:8080");
  }
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  std::string port = text.substr(colon + 1);
  char* end = nullptr;
  long p = strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || p < 0 || p > 65535) {
    return makeError("invalid port in --listen '" + text + "' (0-65535)");
  }
  a.port = uint16_t(p);
  return a;
}

std::string ListenAddress::text() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

}  // namespace torus::server

int main(int argc, char** argv) {
  using namespace torus::server;
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "-v") {
    printf("torus %s (V8 %s)\n", TORUS_VERSION, v8::V8::GetVersion());
    return 0;
  }
  if (cmd == "serve") return serve(argc, argv);
  // `run --location URL ...`: relative request URLs resolve against URL. `run --hosts-file
  // FILE ...`: fetch() resolves names from FILE instead of /etc/hosts. Either order.
  std::string location;
  std::string hostsFile;
  while (cmd == "run" && argc >= 3) {
    std::string flag = argv[2];
    if (flag != "--location" && flag != "--hosts-file") break;
    if (argc < 4) usageError("run " + flag + " needs a value");
    if (flag == "--location") {
      if (!torus::js::parseUrl(argv[3])) usageError(std::string("invalid --location URL '") + argv[3] + "'");
      location = torus::js::parseUrl(argv[3]).value();
    } else {
      hostsFile = argv[3];
      if (access(hostsFile.c_str(), R_OK) != 0) {
        usageError("cannot read --hosts-file '" + hostsFile + "': " + strerror(errno));
      }
    }
    for (int i = 2; i + 2 < argc; ++i) argv[i] = argv[i + 2];
    argc -= 2;
  }
  if (cmd == "run" && argc >= 3 && std::string(argv[2]) == "--script") {
    if (argc < 4) usageError("run --script needs at least one FILE");
    std::vector<std::string> files(argv + 3, argv + argc);
    for (const std::string& file : files) {
      if (access(file.c_str(), R_OK) != 0) {
        fprintf(stderr, "torus: cannot open '%s': %s\n", file.c_str(), strerror(errno));
        return 1;
      }
    }
    return runOrEval(RunMode::kScripts, files, location, hostsFile);
  }
  if (cmd == "run" || cmd == "eval") {
    if (argc != 3) usageError(cmd + (cmd == "run" ? " needs one FILE" : " needs one CODE"));
    if (cmd == "run" && access(argv[2], R_OK) != 0) {
      fprintf(stderr, "torus: cannot open '%s': %s\n", argv[2], strerror(errno));
      return 1;
    }
    return runOrEval(cmd == "eval" ? RunMode::kEval : RunMode::kModule, {argv[2]}, location, hostsFile);
  }
  usageError("unknown command '" + cmd + "'");
}
