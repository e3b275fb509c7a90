#include "server/systemd.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "server/listen.h"

namespace torus::server::systemd {
namespace {

uint64_t monotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000 + uint64_t(ts.tv_nsec) / 1000;
}

// The address a passed socket is bound to, as a listener's address (for matching and logs).
ListenAddress boundAddress(const sockaddr_storage& ss) {
  ListenAddress a;
  char host[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    a.host = host;
    a.port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    a.host = host;
    a.port = ntohs(in6->sin6_port);
  } else if (ss.ss_family == AF_UNIX) {
    auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    a.host = std::string("unix:") + un->sun_path;
  }
  return a;
}

bool sameAddress(const sockaddr* a, const sockaddr_storage& b) {
  if (a->sa_family != b.ss_family) return false;
  if (a->sa_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(a);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return false;
}

// Whether `addr` (a --listen address, resolved as openListener resolves it) is where `ss` is
// bound.
bool addressMatches(const ListenAddress& addr, const sockaddr_storage& ss) {
  if (addr.port == 0) return false;  // "any free port" names no particular socket
  addrinfo* res = nullptr;
  if (resolveListen(addr, &res) != 0) return false;
  bool match = false;
  for (addrinfo* ai = res; ai && !match; ai = ai->ai_next) match = sameAddress(ai->ai_addr, ss);
  freeaddrinfo(res);
  return match;
}

}  // namespace

Result<std::vector<PassedSocket>> takeListenSockets() {
  char** names = nullptr;
  int n = sd_listen_fds_with_names(1, &names);
  if (n < 0) return makeError(std::string("socket activation: ") + strerror(-n));
  std::vector<PassedSocket> passed;
  std::string error;
  for (int i = 0; i < n; ++i) {
    int fd = SD_LISTEN_FDS_START + i;
    std::string name = names && names[i] ? names[i] : "";
    if (error.empty() && sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
      error = "socket activation: fd " + std::to_string(fd) + " (" + name +
              ") is not a listening stream socket (ListenStream= in the .socket unit)";
    }
    // Accepted sockets inherit it, as from the sockets openListener makes.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    passed.push_back({fd, std::move(name)});
  }
  if (names) {
    for (int i = 0; i < n; ++i) free(names[i]);
    free(names);
  }
  if (!error.empty()) {
    for (const PassedSocket& s : passed) close(s.fd);
    return makeError(error);
  }
  return passed;
}

std::vector<int> assignListenSockets(const std::vector<PassedSocket>& passed,
                                     ServeOptions& options) {
  const size_t plain = options.listen.size();
  auto listener = [&](size_t i) -> const ListenAddress& {
    return i < plain ? options.listen[i] : options.httpsListen[i - plain];
  };
  std::vector<int> assigned(plain + options.httpsListen.size(), -1);
  std::vector<sockaddr_storage> bound(passed.size());
  std::vector<bool> used(passed.size(), false);
  for (size_t j = 0; j < passed.size(); ++j) {
    socklen_t len = sizeof bound[j];
    if (getsockname(passed[j].fd, reinterpret_cast<sockaddr*>(&bound[j]), &len) != 0) {
      bound[j].ss_family = AF_UNSPEC;
    }
  }
  auto take = [&](size_t j, size_t i, const char* how) {
    assigned[i] = passed[j].fd;
    used[j] = true;
    LOG_INFO("socket activation: fd %d (%s, %s) serves %s %s", passed[j].fd, passed[j].name.c_str(),
             boundAddress(bound[j]).text().c_str(), i < plain ? "--listen" : "--https-listen", how);
  };
  // By address first: the socket is the one the listener would have bound.
  for (size_t j = 0; j < passed.size(); ++j) {
    for (size_t i = 0; i < assigned.size(); ++i) {
      if (assigned[i] < 0 && addressMatches(listener(i), bound[j])) {
        take(j, i, ("(" + listener(i).text() + ", same address)").c_str());
        break;
      }
    }
  }
  // Then by FileDescriptorName=: it stands in for the first listener of its kind left.
  for (size_t j = 0; j < passed.size(); ++j) {
    if (used[j] || (passed[j].name != "http" && passed[j].name != "https")) continue;
    bool tls = passed[j].name == "https";
    for (size_t i = tls ? plain : 0; i < (tls ? assigned.size() : plain); ++i) {
      if (assigned[i] < 0) {
        take(j, i, ("(instead of " + listener(i).text() + ", by name)").c_str());
        // Logs and STATUS= name the address really served.
        (tls ? options.httpsListen[i - plain] : options.listen[i]) = boundAddress(bound[j]);
        break;
      }
    }
  }
  // The rest are served as they are: plain HTTP unless named "https".
  std::vector<int> extraPlain, extraTls;
  for (size_t j = 0; j < passed.size(); ++j) {
    if (used[j]) continue;
    bool tls = passed[j].name == "https";
    (tls ? options.httpsListen : options.listen).push_back(boundAddress(bound[j]));
    (tls ? extraTls : extraPlain).push_back(passed[j].fd);
    LOG_INFO("socket activation: fd %d (%s) serves %s on %s", passed[j].fd, passed[j].name.c_str(),
             tls ? "HTTPS" : "HTTP", boundAddress(bound[j]).text().c_str());
  }
  std::vector<int> result(assigned.begin(), assigned.begin() + long(plain));
  result.insert(result.end(), extraPlain.begin(), extraPlain.end());
  result.insert(result.end(), assigned.begin() + long(plain), assigned.end());
  result.insert(result.end(), extraTls.begin(), extraTls.end());
  return result;
}

Result<std::vector<int>> adoptListenSockets(int argc, char** argv, ServeOptions& options) {
  auto passed = takeListenSockets();
  if (!passed.ok()) return makeError(passed.error());
  if (!passed->empty()) {
    bool given = options.origins.count("listen") || options.origins.count("https_listen");
    for (int i = 2; i < argc; ++i) {
      given = given || !strcmp(argv[i], "--listen") || !strcmp(argv[i], "--https-listen");
    }
    if (!given) options.listen.clear();  // only parseServe's default, not asked for
  }
  std::vector<int> fds = assignListenSockets(*passed, options);
  if (!options.httpsListen.empty() && options.tls.certificates.empty()) {
    for (const PassedSocket& s : *passed) close(s.fd);
    return makeError("a socket named https needs a certificate: --tls-cert FILE --tls-key FILE");
  }
  return fds;
}

Notifier::Notifier() {
  active_ = getenv("NOTIFY_SOCKET") != nullptr;
  uint64_t usec = 0;
  // > 0: WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) intervalUs_ = usec / 2;
}

void Notifier::status(const std::string& text) const {
  if (active_) sd_notifyf(0, "STATUS=%s", text.c_str());
}

void Notifier::ready(const std::string& statusText) const {
  if (active_) sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%d", statusText.c_str(), int(getpid()));
}

void Notifier::reloading(const std::string& statusText) const {
  if (active_) {
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s", (unsigned long long)monotonicUs(),
               statusText.c_str());
  }
}

void Notifier::stopping(const std::string& statusText) const {
  if (active_) sd_notifyf(0, "STOPPING=1\nSTATUS=%s", statusText.c_str());
}

void Notifier::watchdogPing() const {
  if (active_ && intervalUs_ > 0) sd_notify(0, "WATCHDOG=1");
}

Watchdog::Watchdog(const std::vector<std::unique_ptr<Worker>>& workers)
    : workers_(workers), stuckSince_(workers.size(), 0) {}

void Watchdog::postProbes() {
  ++seq_;
  for (auto& w : workers_) w->probe(seq_);
}

bool Watchdog::awaitRound(uint64_t timeoutMs) {
  postProbes();
  uint64_t deadline = monotonicUs() + timeoutMs * 1000;
  for (;;) {
    bool all = true;
    for (auto& w : workers_) all = all && w->answered() >= seq_;
    if (all) return true;
    if (monotonicUs() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& w : workers_) {
    if (w->answered() < seq_) {
      LOG_ERROR("worker %u: its loop has not answered a liveness probe for %llu ms", w->index(),
                (unsigned long long)timeoutMs);
    }
  }
  return false;
}

bool Watchdog::tick(uint64_t nowUs, uint64_t intervalUs) {
  bool alive = true;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i]->answered() >= seq_) {
      if (stuckSince_[i]) {
        LOG_WARN("worker %zu: its loop answers again after %llu ms", i,
                 (unsigned long long)(nowUs - stuckSince_[i]) / 1000);
      }
      stuckSince_[i] = 0;
      continue;
    }
    alive = false;
    if (!stuckSince_[i]) {
      // It had since the previous tick, when the probe was posted.
      stuckSince_[i] = nowUs - intervalUs;
      LOG_ERROR(
          "worker %zu: its loop has not answered a liveness probe for %llu ms; "
          "the watchdog is not fed, so the service manager will restart torus",
          i, (unsigned long long)intervalUs / 1000);
    }
  }
  // A stuck worker gets another probe too: its mailbox runs them in order once it turns.
  postProbes();
  return alive;
}

int Watchdog::waitForSignal(const sigset_t& signals, const Notifier& notifier) {
  const uint64_t intervalUs = notifier.watchdogIntervalUs();
  if (intervalUs == 0) {
    int sig = 0;
    sigwait(&signals, &sig);
    return sig;
  }
  for (;;) {
    uint64_t now = monotonicUs();
    if (nextTickUs_ == 0) nextTickUs_ = now;  // the first tick checks awaitRound's probe
    if (now >= nextTickUs_) {
      if (tick(now, intervalUs)) notifier.watchdogPing();
      nextTickUs_ = now + intervalUs;
    }
    uint64_t waitUs = nextTickUs_ - now;
    timespec timeout{time_t(waitUs / 1'000'000), long(waitUs % 1'000'000) * 1000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) return sig;
  }
}

}  // namespace torus::server::systemd
