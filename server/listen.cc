#include "server/listen.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace torus::server {

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

int resolveListen(const ListenAddress& addr, addrinfo** res) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  std::string port = std::to_string(addr.port);
  return getaddrinfo(addr.host.empty() ? nullptr : addr.host.c_str(), port.c_str(), &hints, res);
}

// A listening socket with SO_REUSEPORT, so each worker has its own and the kernel spreads
// connections between them.
Result<int> openListener(const ListenAddress& addr, bool probe) {
  addrinfo* res = nullptr;
  if (int rc = resolveListen(addr, &res); rc != 0) {
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

}  // namespace torus::server
