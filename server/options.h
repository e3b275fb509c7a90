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

struct ServeOptions {
  std::string entry;
  std::string appName;  // [app] name: log lines name it
  // The handler's `env`: [app.env] strings (by name).
  std::vector<std::pair<std::string, std::string>> env;
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
  bool tlsReload = false;  // SIGHUP reloads tls's certificates and keys in every worker
  unsigned workers = 0;                 // 0: one per CPU
  uint32_t shutdownTimeoutMs = 10'000;  // in-flight requests get this long after SIGTERM
  engine::LoopOptions loop;
  net::ServerOptions http;
  js::RuntimeOptions runtime;
  js::CryptoPoolOptions cryptoPool;
  OutboundOptions outbound;
};

}  // namespace torus::server
