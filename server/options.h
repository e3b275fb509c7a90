// What `torus serve` is told, on its command line or in its config file (server/config.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/loop.h"
#include "js/runtime.h"
#include "net/http_server.h"
#include "net/tls.h"
#include "server/outbound.h"

namespace torus::server {

struct ListenAddress {
  std::string host;  // as given: "127.0.0.1", "::1", "0.0.0.0", "localhost"
  uint16_t port = 0;
  std::string text() const;
};

// Limits of one app ([limits] for every app, [app.limits] for one). 0: no limit.
struct AppLimits {
  uint64_t cpuMs = 0;          // JS running without a break (one entry into the isolate) -> 503
  uint64_t wallMs = 0;         // request head -> response head -> 503
  uint64_t heapMb = 0;         // the isolate's heap (0: from cgroup memory.max, else V8's)
  uint64_t maxConcurrent = 0;  // requests of this app in flight per worker -> 503
  uint64_t maxBodyBytes = 0;   // request body of this app -> 413 (below http.max_body_bytes)
  bool operator==(const AppLimits&) const = default;
};

// One app: its module, what it serves (hosts, then path prefixes), its env and limits.
struct AppOptions {
  std::string name;   // log lines and metrics name it
  std::string entry;  // the module file
  // Host names (exact, or "*.example.com" for any subdomain), lowercase; empty: any host.
  std::vector<std::string> hosts;
  // Path prefixes ("/api" serves /api and /api/...); empty: every path.
  std::vector<std::string> paths;
  // The handler's `env`: [app.env] strings (by name).
  std::vector<std::pair<std::string, std::string>> env;
  AppLimits limits;
  unsigned limitsSet = 0;  // which limits [app.limits] set (the rest come from [limits])
  bool operator==(const AppOptions& o) const {
    return name == o.name && entry == o.entry && hosts == o.hosts && paths == o.paths &&
           env == o.env && limits == o.limits;
  }
};

// A request whose Host no app serves: the default app answers, or a 421/404.
enum class UnknownHost { kDefaultApp, k421, k404 };

struct ServeOptions {
  // At least one after finishServeOptions; the first is the default unless
  // routing.default_app names another.
  std::vector<AppOptions> apps;
  std::string defaultApp;
  UnknownHost unknownHost = UnknownHost::kDefaultApp;
  AppLimits limits;  // [limits]: every app's, unless its [app.limits] says otherwise
  // The config file read (empty: none), and where in it each key was set (line, column), so
  // that a later check can point at it.
  std::string configPath;
  std::map<std::string, std::pair<int, int>> origins;
  std::vector<ListenAddress> listen;
  std::vector<ListenAddress> httpsListen;  // TLS listeners, served with `tls`
  std::vector<ListenAddress> adminListen;  // the admin listener (server/admin.h), if any
  // Per listener (plain, then TLS): a socket all workers share (passed by systemd), set by
  // serve() before the workers start.
  std::vector<bool> sharedListeners;
  net::TlsServerOptions tls;
  unsigned workers = 0;                 // 0: one per CPU
  uint32_t shutdownTimeoutMs = 10'000;  // in-flight requests get this long after SIGTERM
  engine::LoopOptions loop;
  net::ServerOptions http;
  js::RuntimeOptions runtime;
  js::CryptoPoolOptions cryptoPool;
  OutboundOptions outbound;
};

}  // namespace torus::server
