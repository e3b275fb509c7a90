// Resolver::resolve() as fetch() uses it: a name in the cache, an IP literal, and a full
// lookup (c-ares, its socket polled on the ring, A and AAAA) against a UDP responder on
// 127.0.0.1 that answers every name with TTL 0 (nothing cached), but "cached.*" with 300.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "net/dns.h"

namespace torus::net {
namespace {

// Answers A with 127.0.0.1 and AAAA with ::1, TTL 0 (300 for "cached.*"); anything else
// with no records.
class Responder {
 public:
  Responder() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) abort();
    socklen_t len = sizeof sin;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Responder() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      unsigned char q[512];
      sockaddr_storage from{};
      socklen_t fromLen = sizeof from;
      ssize_t n = ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
      if (n < 17) continue;
      size_t i = 12;
      while (i < size_t(n) && q[i]) i += q[i] + 1;
      if (i + 5 > size_t(n)) continue;
      unsigned qtype = q[i + 1] << 8 | q[i + 2];
      size_t end = i + 5;
      unsigned char r[600];
      std::memcpy(r, q, end);
      r[2] = 0x84 | (q[2] & 1);  // QR, AA, RD copied
      r[3] = 0x80;               // RA, NOERROR
      r[6] = 0;
      r[7] = (qtype == 1 || qtype == 28) ? 1 : 0;
      r[8] = r[9] = r[10] = r[11] = 0;
      size_t o = end;
      if (r[7]) {
        bool cached = q[12] == 6 && std::memcmp(q + 13, "cached", 6) == 0;
        unsigned char ttl = cached ? 1 : 0;  // 256 s
        unsigned char rr[] = {0xc0, 0x0c, 0, (unsigned char)qtype,
                              0,    1,    0, 0,
                              ttl,  0,    0, (unsigned char)(qtype == 1 ? 4 : 16)};
        std::memcpy(r + o, rr, sizeof rr);
        o += sizeof rr;
        if (qtype == 1) {
          in_addr a{htonl(INADDR_LOOPBACK)};
          std::memcpy(r + o, &a, 4);
          o += 4;
        } else {
          std::memcpy(r + o, &in6addr_loopback, 16);
          o += 16;
        }
      }
      ::sendto(fd_, r, o, 0, reinterpret_cast<sockaddr*>(&from), fromLen);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Done : DnsListener {
  void onResolved(const DnsAnswer& a) override {
    done = true;
    count = a.addresses.size();
  }
  bool done = false;
  size_t count = 0;
};

struct Setup {
  explicit Setup(ResolverOptions options) {
    loop = std::move(engine::Loop::create({}).value());
    options.servers = {responder.address()};
    options.hostsFile = "";
    resolver = std::move(Resolver::create(*loop, options).value());
  }
  ~Setup() {
    resolver.reset();
    for (int i = 0; i < 100 && loop->pendingOperations(); ++i) loop->runOnce(10);
  }
  Responder responder;
  std::unique_ptr<engine::Loop> loop;
  std::unique_ptr<Resolver> resolver;
};

void BM_CacheHit(benchmark::State& state) {
  Setup s({});
  Done d;
  DnsAnswer a;
  if (!s.resolver->resolve("cached.bench", &d, &a)) abort();
  while (!d.done) s.loop->runOnce(-1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.resolver->resolve("cached.bench", &d, &a));
  }
  if (a.addresses.size() != 2) abort();
}
BENCHMARK(BM_CacheHit);

void BM_Literal(benchmark::State& state) {
  Setup s({});
  Done d;
  DnsAnswer a;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.resolver->resolve("2001:db8::1", &d, &a));
  }
}
BENCHMARK(BM_Literal);

void BM_Lookup(benchmark::State& state) {
  Setup s({});
  Done d;
  DnsAnswer a;
  for (auto _ : state) {
    d.done = false;
    if (!s.resolver->resolve("host.bench", &d, &a)) abort();
    while (!d.done) s.loop->runOnce(-1);
    if (d.count != 2) abort();
  }
}
BENCHMARK(BM_Lookup)->UseRealTime();

}  // namespace
}  // namespace torus::net
