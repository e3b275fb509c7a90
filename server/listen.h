// Listen addresses: HOST:PORT parsed and resolved, and the listening sockets torus makes of
// them (server/main.cc), matches passed sockets against (server/systemd.cc) and checks for
// duplicates (server/config.cc).
#pragma once

#include <netdb.h>

#include <string>

#include "base/result.h"
#include "server/options.h"

namespace torus::server {

// "127.0.0.1:8080", "[::1]:8080", "localhost:0".
Result<ListenAddress> parseListen(const std::string& text);

// getaddrinfo(3) for a listen address (passive, numeric port): 0 and *res (the caller frees
// it), or getaddrinfo's error code.
int resolveListen(const ListenAddress& addr, addrinfo** res);

// A listening socket with SO_REUSEPORT (each worker has its own; the kernel spreads
// connections between them), or with `probe` a bound one without it, which fails when
// another process holds the port.
Result<int> openListener(const ListenAddress& addr, bool probe);

}  // namespace torus::server
