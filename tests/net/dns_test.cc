// The resolver on a real ring against a real UDP DNS server on 127.0.0.1 (a small responder
// on its own thread that parses the queries, answers A/AAAA with chosen TTLs, NXDOMAIN or
// REFUSED, or stays silent, and counts what it was asked).
#include "net/dns.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace torus::net {
namespace {

using Clock = std::chrono::steady_clock;

// ---- the test's DNS server ----

struct Rule {
  enum Kind { kAnswer, kNxdomain, kRefused, kServfail, kSilent };
  Kind kind = kAnswer;
  std::vector<std::string> a;
  std::vector<std::string> aaaa;
  uint32_t ttlA = 60;
  uint32_t ttlAaaa = 60;
  int delayMs = 0;
  bool truncateUdp = false;  // UDP answers say TC (no records): c-ares asks again over TCP
};

Rule only(Rule::Kind kind) {
  Rule r;
  r.kind = kind;
  return r;
}

// UDP and TCP (RFC 1035 §4.2.2: a two-byte length before each message) on one port.
class DnsServer {
 public:
  DnsServer() {
    for (int attempt = 0; attempt < 20 && tcpFd_ < 0; ++attempt) {
      fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in sin{};
      sin.sin_family = AF_INET;
      sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
      socklen_t len = sizeof sin;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len);
      port_ = ntohs(sin.sin_port);
      tcpFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(tcpFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(tcpFd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
          ::listen(tcpFd_, 16) != 0) {
        ::close(tcpFd_);  // the TCP port is taken: another pair
        ::close(fd_);
        tcpFd_ = fd_ = -1;
      }
    }
    EXPECT_GE(tcpFd_, 0);
    thread_ = std::thread([this] { run(); });
  }
  ~DnsServer() {
    stop_ = true;
    thread_.join();
    for (auto& c : conns_) ::close(c.fd);
    ::close(tcpFd_);
    ::close(fd_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set(const std::string& name, Rule rule) {
    std::lock_guard lock(mu_);
    rules_[name] = std::move(rule);
  }
  // Queries received for name (every type), or for every name.
  int queries(const std::string& name) {
    std::lock_guard lock(mu_);
    return counts_[name];
  }
  int total() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& [k, v] : counts_) n += v;
    return n;
  }
  int tcpQueries() {
    std::lock_guard lock(mu_);
    return tcpCount_;
  }

 private:
  struct Later {
    Clock::time_point due;
    std::string bytes;
    sockaddr_storage to;
    socklen_t toLen;
  };
  struct Conn {
    int fd;
    std::string in;
  };

  void run() {
    while (!stop_) {
      int waitMs = 20;
      auto now = Clock::now();
      for (auto& l : later_) {
        int ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(l.due - now).count());
        waitMs = std::max(0, std::min(waitMs, ms));
      }
      std::vector<pollfd> p{{fd_, POLLIN, 0}, {tcpFd_, POLLIN, 0}};
      for (auto& c : conns_) p.push_back({c.fd, POLLIN, 0});
      if (::poll(p.data(), p.size(), waitMs) > 0) {
        if (p[0].revents) {
          char buf[1500];
          sockaddr_storage from{};
          socklen_t fromLen = sizeof from;
          ssize_t n =
              ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
          if (n > 0) answer(std::string(buf, size_t(n)), from, fromLen, -1);
        }
        if (p[1].revents) {
          int c = ::accept4(tcpFd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c >= 0) conns_.push_back({c, {}});
        }
        for (size_t k = 2; k < p.size(); ++k) {
          if (p[k].revents) readTcp(p[k].fd);
        }
      }
      now = Clock::now();
      for (size_t i = 0; i < later_.size();) {
        if (later_[i].due <= now) {
          send(later_[i].bytes, later_[i].to, later_[i].toLen);
          later_.erase(later_.begin() + long(i));
        } else {
          ++i;
        }
      }
    }
  }

  void send(const std::string& b, const sockaddr_storage& to, socklen_t len) {
    ::sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to), len);
  }

  void readTcp(int fd) {
    auto it = std::find_if(conns_.begin(), conns_.end(), [&](Conn& c) { return c.fd == fd; });
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      conns_.erase(it);
      return;
    }
    it->in.append(buf, size_t(n));
    while (it->in.size() >= 2) {
      size_t len = size_t(uint8_t(it->in[0])) << 8 | uint8_t(it->in[1]);
      if (it->in.size() < 2 + len) break;
      std::string q = it->in.substr(2, len);
      it->in.erase(0, 2 + len);
      answer(q, {}, 0, fd);
    }
  }

  static void put16(std::string& s, unsigned v) {
    s += char(v >> 8);
    s += char(v & 0xff);
  }
  static void put32(std::string& s, uint32_t v) {
    put16(s, v >> 16);
    put16(s, v & 0xffff);
  }

  // One query from UDP (tcpFd < 0) or from the TCP connection tcpFd.
  void answer(const std::string& q, const sockaddr_storage& from, socklen_t fromLen, int tcpFd) {
    if (q.size() < 12) return;
    auto u8 = [&](size_t i) { return unsigned(uint8_t(q[i])); };
    if ((u8(4) << 8 | u8(5)) != 1) return;  // one question
    size_t i = 12;
    std::string name;
    while (i < q.size() && u8(i) != 0) {
      unsigned len = u8(i++);
      if (len > 63 || i + len > q.size()) return;
      if (!name.empty()) name += '.';
      for (unsigned k = 0; k < len; ++k) name += char(std::tolower(q[i + k]));
      i += len;
    }
    if (i + 5 > q.size()) return;
    ++i;  // the root label
    unsigned qtype = u8(i) << 8 | u8(i + 1);
    size_t questionEnd = i + 4;

    Rule rule;
    bool known;
    {
      std::lock_guard lock(mu_);
      ++counts_[name];
      if (tcpFd >= 0) ++tcpCount_;
      auto it = rules_.find(name);
      known = it != rules_.end();
      if (known) rule = it->second;
    }
    if (known && rule.kind == Rule::kSilent) return;
    unsigned rcode = !known || rule.kind == Rule::kNxdomain ? 3
                     : rule.kind == Rule::kRefused          ? 5
                     : rule.kind == Rule::kServfail         ? 2
                                                            : 0;

    std::vector<std::string> rdata;
    uint32_t ttl = 0;
    bool truncated = tcpFd < 0 && rule.truncateUdp;
    if (rcode == 0 && truncated) {
      // no records: the TC bit says they did not fit
    } else if (rcode == 0 && qtype == 1) {
      for (auto& a : rule.a) {
        in_addr x;
        inet_pton(AF_INET, a.c_str(), &x);
        rdata.emplace_back(reinterpret_cast<char*>(&x), 4);
      }
      ttl = rule.ttlA;
    } else if (rcode == 0 && qtype == 28) {
      for (auto& a : rule.aaaa) {
        in6_addr x;
        inet_pton(AF_INET6, a.c_str(), &x);
        rdata.emplace_back(reinterpret_cast<char*>(&x), 16);
      }
      ttl = rule.ttlAaaa;
    }
    std::string r;
    r += q[0];
    r += q[1];
    unsigned flags =
        0x8000 | 0x0400 | 0x0080 | (u8(2) << 8 & 0x0100) | (truncated ? 0x0200 : 0) | rcode;
    put16(r, flags);
    put16(r, 1);
    put16(r, unsigned(rdata.size()));
    put16(r, 0);
    put16(r, 0);
    r.append(q, 12, questionEnd - 12);
    for (auto& d : rdata) {
      put16(r, 0xc00c);  // the question's name
      put16(r, qtype);
      put16(r, 1);
      put32(r, ttl);
      put16(r, unsigned(d.size()));
      r += d;
    }
    if (tcpFd >= 0) {
      std::string framed;
      put16(framed, unsigned(r.size()));
      framed += r;
      ::send(tcpFd, framed.data(), framed.size(), MSG_NOSIGNAL);
    } else if (rule.delayMs > 0) {
      later_.push_back({Clock::now() + std::chrono::milliseconds(rule.delayMs), r, from, fromLen});
    } else {
      send(r, from, fromLen);
    }
  }

  int fd_ = -1;
  int tcpFd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, Rule> rules_;
  std::map<std::string, int> counts_;
  int tcpCount_ = 0;
  std::vector<Later> later_;  // server thread only
  std::vector<Conn> conns_;   // server thread only
};

// ---- helpers ----

struct Recorder : DnsListener {
  void onResolved(const DnsAnswer& a) override {
    ++calls;
    answer = a;
    if (then) then();
  }
  int calls = 0;
  DnsAnswer answer;
  std::function<void()> then;
};

std::string str(const ResolvedAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  if (a.family() == AF_INET) {
    EXPECT_EQ(a.len, sizeof(sockaddr_in));
    auto& sin = reinterpret_cast<const sockaddr_in&>(a.addr);
    EXPECT_EQ(sin.sin_port, 0);
    inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
  } else {
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_EQ(a.len, sizeof(sockaddr_in6));
    auto& sin6 = reinterpret_cast<const sockaddr_in6&>(a.addr);
    EXPECT_EQ(sin6.sin6_port, 0);
    inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof buf);
  }
  return buf;
}

std::vector<std::string> strs(const DnsAnswer& a) {
  std::vector<std::string> out;
  for (auto& x : a.addresses) out.push_back(str(x));
  return out;
}

using Strings = std::vector<std::string>;

class DnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = engine::Loop::create({});
    ASSERT_TRUE(l.ok()) << l.error();
    loop = std::move(l.value());
    options.servers = {server.address()};
    options.hostsFile = "";
    options.timeoutMs = 500;
    options.tries = 2;
  }
  void TearDown() override {
    resolver.reset();
    // Cancelled polls of c-ares' sockets free themselves on their final completion.
    runUntil([&] { return loop->pendingOperations() == 0 && loop->armedTimers() == 0; }, 1000);
    EXPECT_EQ(loop->pendingOperations(), 0u);
    EXPECT_EQ(loop->armedTimers(), 0u);
  }

  void start() {
    auto r = Resolver::create(*loop, options);
    ASSERT_TRUE(r.ok()) << r.error();
    resolver = std::move(r.value());
  }

  bool runUntil(const std::function<bool()>& done, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      loop->runOnce(10);
    }
    return true;
  }
  void runFor(int ms) {
    auto until = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < until) loop->runOnce(10);
  }

  // An answer known now (nullptr returned), or the listener's after a wait.
  DnsAnswer now(std::string_view host) {
    DnsAnswer a;
    Recorder r;
    DnsQuery* q = resolver->resolve(host, &r, &a);
    EXPECT_EQ(q, nullptr) << host << " was not answered at once";
    if (q) resolver->cancel(q);
    return a;
  }
  DnsAnswer later(std::string_view host) {
    DnsAnswer a;
    Recorder r;
    DnsQuery* q = resolver->resolve(host, &r, &a);
    EXPECT_NE(q, nullptr) << host << " was answered at once: " << a.error;
    if (!q) return a;
    EXPECT_TRUE(runUntil([&] { return r.calls > 0; }, 3000)) << host;
    EXPECT_EQ(r.calls, 1);
    return r.answer;
  }

  DnsServer server;
  std::unique_ptr<engine::Loop> loop;
  ResolverOptions options;
  std::unique_ptr<Resolver> resolver;
};

// ---- tests ----

TEST_F(DnsTest, LiteralsAndLocalhostWithoutAQuery) {
  start();
  EXPECT_EQ(strs(now("127.0.0.1")), Strings{"127.0.0.1"});
  EXPECT_EQ(strs(now("::1")), Strings{"::1"});
  EXPECT_EQ(strs(now("[::1]")), Strings{"::1"});
  EXPECT_EQ(strs(now("[2001:DB8::1]")), Strings{"2001:db8::1"});
  EXPECT_EQ(strs(now("::ffff:1.2.3.4")), Strings{"::ffff:1.2.3.4"});
  EXPECT_EQ(now("[1.2.3.4]").error, "bad IPv6 address: [1.2.3.4]");
  EXPECT_EQ(now("bad name!").error, "bad host name: bad name!");
  EXPECT_EQ(now("").error, "bad host name: (empty)");
  EXPECT_EQ(now("a..b").error, "bad host name: a..b");
  EXPECT_EQ(now(std::string_view("1.2.3.4\0.evil", 14)).error, "bad host name: (contains NUL)");
  EXPECT_EQ(now(std::string(64, 'x') + ".test").error.rfind("bad host name: ", 0), 0u);

  Strings loopback{"::1", "127.0.0.1"};
  EXPECT_EQ(strs(now("localhost")), loopback);
  EXPECT_EQ(strs(now("LocalHost")), loopback);
  EXPECT_EQ(strs(now("localhost.")), loopback);
  EXPECT_EQ(strs(now("app.dev.localhost")), loopback);

  runFor(30);
  EXPECT_EQ(server.total(), 0);
  EXPECT_EQ(resolver->stats().queries, 0u);
  EXPECT_EQ(resolver->stats().cacheHits, 9u);
}

TEST_F(DnsTest, HostsFile) {
  char path[] = "/tmp/torus_dns_hostsXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text =
      "# a comment\n"
      "127.0.0.1 localhost\n"
      "10.1.2.3\tMyHost  alias.example   # trailing comment\n"
      "2001:db8::5 myhost\r\n"
      "10.1.2.4 myhost\n"
      "a-line-without-an-address\n"
      "999.1.1.1 bad.example\n"
      "fe80::1%lo zone.example\n"
      "10.9.9.9\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()), ssize_t(text.size()));
  ::close(fd);
  options.hostsFile = path;
  start();
  ::unlink(path);

  // File order interleaved by family.
  Strings mine{"10.1.2.3", "2001:db8::5", "10.1.2.4"};
  EXPECT_EQ(strs(now("myhost")), mine);
  EXPECT_EQ(strs(now("MYHOST.")), mine);
  EXPECT_EQ(strs(now("alias.example")), Strings{"10.1.2.3"});
  runFor(30);
  EXPECT_EQ(server.total(), 0);

  // Lines with a bad address are skipped: those names go to DNS.
  EXPECT_EQ(later("bad.example").error, "no such host: bad.example");
  EXPECT_EQ(later("zone.example").error, "no such host: zone.example");
  EXPECT_EQ(server.queries("bad.example"), 2);  // A and AAAA
}

TEST_F(DnsTest, BadOptionsAreRefusedAtCreate) {
  options.hostsFile = "/tmp";
  auto r = Resolver::create(*loop, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("hosts file /tmp"), std::string::npos) << r.error();

  options.hostsFile = "/nonexistent/hosts";  // a missing file: DNS only
  EXPECT_TRUE(Resolver::create(*loop, options).ok());

  // The defaults (resolv.conf, /etc/hosts) make a resolver; localhost needs no server.
  auto d = Resolver::create(*loop, ResolverOptions{});
  ASSERT_TRUE(d.ok()) << d.error();
  DnsAnswer a;
  Recorder listener;
  EXPECT_EQ((*d)->resolve("localhost", &listener, &a), nullptr);
  EXPECT_EQ(strs(a), (Strings{"::1", "127.0.0.1"}));

  options.servers = {"[::1]:5353", "127.0.0.1:53"};
  EXPECT_TRUE(Resolver::create(*loop, options).ok());

  options.servers = {"not a server"};
  r = Resolver::create(*loop, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("bad DNS server list \"not a server\""), std::string::npos) << r.error();
}

TEST_F(DnsTest, BothFamiliesInterleaved) {
  Rule dual;
  dual.a = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
  dual.aaaa = {"2001:db8::1", "2001:db8::2"};
  server.set("dual.test", dual);
  Rule v6;
  v6.aaaa = {"2001:db8::7"};
  server.set("v6only.test", v6);
  start();

  DnsAnswer a = later("dual.test");
  ASSERT_TRUE(a.error.empty()) << a.error;
  ASSERT_EQ(a.addresses.size(), 5u);
  // Alternating families while both last, starting with c-ares' first (RFC 6724 sorted).
  for (size_t i = 0; i + 1 < 4; ++i) {
    EXPECT_NE(a.addresses[i].family(), a.addresses[i + 1].family()) << i;
  }
  EXPECT_EQ(a.addresses[4].family(), AF_INET);
  Strings got = strs(a);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (Strings{"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1", "2001:db8::2"}));
  EXPECT_EQ(server.queries("dual.test"), 2);

  EXPECT_EQ(strs(later("v6only.test")), Strings{"2001:db8::7"});
  EXPECT_EQ(resolver->stats().queries, 2u);
}

TEST_F(DnsTest, TruncatedAnswerAskedAgainOverTcp) {
  // 40 A and 40 AAAA records: more than a 512-byte UDP answer holds.
  Rule big;
  big.truncateUdp = true;
  for (int i = 1; i <= 40; ++i) {
    big.a.push_back("10.0.5." + std::to_string(i));
    big.aaaa.push_back("2001:db8::5:" + std::to_string(i));
  }
  server.set("big.test", big);
  start();
  DnsAnswer a = later("big.test");
  ASSERT_TRUE(a.error.empty()) << a.error;
  EXPECT_EQ(a.addresses.size(), 32u);  // capped, both families alternating
  for (size_t i = 0; i + 1 < a.addresses.size(); ++i) {
    EXPECT_NE(a.addresses[i].family(), a.addresses[i + 1].family()) << i;
  }
  EXPECT_EQ(server.tcpQueries(), 2);
  EXPECT_EQ(server.queries("big.test"), 4);
}

TEST_F(DnsTest, CacheHonoursTtlCapAndNegativeTtl) {
  options.maxTtlSeconds = 2;
  options.negativeTtlSeconds = 1;
  Rule shortRule;  // the smallest TTL of the answer counts
  shortRule.a = {"10.0.1.1"};
  shortRule.aaaa = {"2001:db8::11"};
  shortRule.ttlA = 1;
  shortRule.ttlAaaa = 60;
  server.set("short.test", shortRule);
  Rule longRule;  // capped to maxTtlSeconds
  longRule.a = {"10.0.1.2"};
  longRule.ttlA = 3600;
  server.set("long.test", longRule);
  Rule zero;  // TTL 0: not cached
  zero.a = {"10.0.1.3"};
  zero.ttlA = 0;
  server.set("zero.test", zero);
  server.set("nodata.test", Rule{});  // the name exists, no address
  start();

  EXPECT_EQ(later("short.test").addresses.size(), 2u);
  EXPECT_EQ(strs(later("long.test")), Strings{"10.0.1.2"});
  EXPECT_EQ(strs(later("zero.test")), Strings{"10.0.1.3"});
  EXPECT_EQ(later("nx.test").error, "no such host: nx.test");
  EXPECT_EQ(later("nodata.test").error, "no address for nodata.test");
  auto t0 = Clock::now();  // every answer is cached by now: the waits below are from here
  EXPECT_EQ(server.total(), 10);

  // Hits: no query. Names are case-insensitive.
  EXPECT_EQ(now("SHORT.test").addresses.size(), 2u);
  EXPECT_EQ(strs(now("long.test")), Strings{"10.0.1.2"});
  EXPECT_EQ(now("nx.test").error, "no such host: nx.test");
  EXPECT_EQ(now("nodata.test").error, "no address for nodata.test");
  EXPECT_EQ(strs(later("zero.test")), Strings{"10.0.1.3"});
  EXPECT_EQ(server.total(), 12);
  EXPECT_EQ(resolver->stats().cacheEntries, 4u);

  // After 1 s: the 1 s TTL and the negative answers expired, the capped one not yet.
  runFor(
      int(1100 - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));
  EXPECT_EQ(later("short.test").addresses.size(), 2u);
  EXPECT_EQ(later("nx.test").error, "no such host: nx.test");
  EXPECT_EQ(strs(now("long.test")), Strings{"10.0.1.2"});
  EXPECT_EQ(server.queries("short.test"), 4);
  EXPECT_EQ(server.queries("nx.test"), 4);
  EXPECT_EQ(server.queries("long.test"), 2);

  // After 2 s: the 3600 s TTL was capped to 2 s.
  runFor(
      int(2100 - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));
  EXPECT_EQ(strs(later("long.test")), Strings{"10.0.1.2"});
  EXPECT_EQ(server.queries("long.test"), 4);
}

TEST_F(DnsTest, SilentServerTimesOutAfterEveryTry) {
  options.timeoutMs = 150;
  options.tries = 2;
  server.set("silent.test", only(Rule::kSilent));
  start();
  auto t0 = Clock::now();
  DnsAnswer a = later("silent.test");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_EQ(a.error, "DNS server timed out for silent.test after 2 tries");
  EXPECT_GE(ms, 290);
  EXPECT_LT(ms, 1000);
  EXPECT_EQ(server.queries("silent.test"), 4);  // A and AAAA per try
  EXPECT_EQ(resolver->stats().failures, 1u);
  // Not cached: asked again.
  DnsAnswer b;
  Recorder r;
  DnsQuery* q = resolver->resolve("silent.test", &r, &b);
  EXPECT_NE(q, nullptr);
  resolver->cancel(q);
}

TEST_F(DnsTest, RefusedAndServfailAreErrorsNotCached) {
  server.set("refused.test", only(Rule::kRefused));
  start();
  std::string refused =
      "DNS server refused or failed the query for refused.test, or is unreachable";
  EXPECT_EQ(later("refused.test").error, refused);
  EXPECT_EQ(later("refused.test").error, refused);  // asked again
  EXPECT_EQ(server.queries("refused.test"), 4);

  server.set("servfail.test", only(Rule::kServfail));
  EXPECT_EQ(later("servfail.test").error,
            "DNS server refused or failed the query for servfail.test, or is unreachable");
}

TEST_F(DnsTest, ClosedServerPortIsAnError) {
  // A port nobody listens on: the kernel answers with ICMP port unreachable.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  socklen_t len = sizeof sin;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  ::close(fd);
  options.servers = {"127.0.0.1:" + std::to_string(ntohs(sin.sin_port))};
  options.timeoutMs = 100;
  options.tries = 1;
  start();
  // c-ares 1.18 sends A then AAAA; the ICMP error fails the second send and the first then
  // times out, and the last status is the answer's: either message is the truth.
  std::string error = later("closed.test").error;
  EXPECT_TRUE(error == "DNS server timed out for closed.test after 1 try" ||
              error == "DNS server refused or failed the query for closed.test, or is unreachable")
      << error;
}

TEST_F(DnsTest, CancelBeforeTheAnswer) {
  options.timeoutMs = 150;
  Rule slow;
  slow.a = {"10.0.2.1"};
  slow.delayMs = 60;
  server.set("slow.test", slow);
  server.set("silent.test", only(Rule::kSilent));
  start();

  Recorder r1, r2;
  DnsAnswer a;
  DnsQuery* q1 = resolver->resolve("slow.test", &r1, &a);
  DnsQuery* q2 = resolver->resolve("silent.test", &r2, &a);
  ASSERT_NE(q1, nullptr);
  ASSERT_NE(q2, nullptr);
  resolver->cancel(q1);
  resolver->cancel(q2);
  EXPECT_EQ(resolver->stats().pending, 2u);  // still in c-ares
  // The slow answer arrives (and is cached); the silent one times out in c-ares, not retried.
  EXPECT_TRUE(runUntil([&] { return resolver->stats().pending == 0; }, 2000));
  runFor(50);
  EXPECT_EQ(r1.calls, 0);
  EXPECT_EQ(r2.calls, 0);
  EXPECT_EQ(server.queries("silent.test"), 2);  // one try only: nobody waits
  EXPECT_EQ(strs(now("slow.test")), Strings{"10.0.2.1"});
}

TEST_F(DnsTest, DestroyedWithQueriesPending) {
  server.set("silent.test", only(Rule::kSilent));
  start();
  Recorder r;
  DnsAnswer a;
  ASSERT_NE(resolver->resolve("silent.test", &r, &a), nullptr);
  EXPECT_TRUE(runUntil([&] { return server.queries("silent.test") == 2; }, 1000));
  resolver.reset();  // TearDown checks that the ring lets go of every poll
  runFor(20);
  EXPECT_EQ(r.calls, 0);
}

TEST_F(DnsTest, PendingQuerySharedByItsCallers) {
  Rule slow;
  slow.a = {"10.0.3.1"};
  slow.delayMs = 50;
  server.set("shared.test", slow);
  start();

  Recorder r1, r2, r3;
  DnsAnswer a;
  DnsQuery* q1 = resolver->resolve("shared.test", &r1, &a);
  DnsQuery* q2 = resolver->resolve("Shared.Test", &r2, &a);
  DnsQuery* q3 = resolver->resolve("shared.test", &r3, &a);
  ASSERT_TRUE(q1 && q2 && q3);
  EXPECT_EQ(resolver->stats().pending, 1u);
  resolver->cancel(q2);
  // A listener that resolves the same name again gets the cached answer at once.
  DnsAnswer again;
  DnsQuery* q4 = reinterpret_cast<DnsQuery*>(1);
  r1.then = [&] { q4 = resolver->resolve("shared.test", &r2, &again); };
  EXPECT_TRUE(runUntil([&] { return r1.calls && r3.calls; }, 2000));
  runFor(30);
  EXPECT_EQ(r1.calls, 1);
  EXPECT_EQ(r2.calls, 0);
  EXPECT_EQ(r3.calls, 1);
  EXPECT_EQ(strs(r1.answer), Strings{"10.0.3.1"});
  EXPECT_EQ(strs(r3.answer), Strings{"10.0.3.1"});
  EXPECT_EQ(q4, nullptr);
  EXPECT_EQ(strs(again), Strings{"10.0.3.1"});
  EXPECT_EQ(server.queries("shared.test"), 2);  // one A and one AAAA for all
  EXPECT_EQ(resolver->stats().queries, 1u);
}

TEST_F(DnsTest, ListenerMayResolveAndCancel) {
  Rule rule;
  rule.a = {"10.0.6.1"};
  server.set("one.test", rule);
  rule.a = {"10.0.6.2"};
  server.set("two.test", rule);
  start();

  Recorder r1, r2, r3;
  DnsAnswer a;
  DnsQuery* q1 = resolver->resolve("one.test", &r1, &a);
  DnsQuery* q2 = resolver->resolve("one.test", &r2, &a);
  ASSERT_TRUE(q1 && q2);
  // The first listener cancels the second query of its own lookup and starts a new lookup.
  DnsQuery* q3 = nullptr;
  r1.then = [&] {
    resolver->cancel(q2);
    q3 = resolver->resolve("two.test", &r3, &a);
  };
  EXPECT_TRUE(runUntil([&] { return r3.calls > 0; }, 2000));
  runFor(30);
  EXPECT_EQ(r1.calls, 1);
  EXPECT_EQ(r2.calls, 0);
  EXPECT_NE(q3, nullptr);
  EXPECT_EQ(r3.calls, 1);
  EXPECT_EQ(strs(r3.answer), Strings{"10.0.6.2"});
}

TEST_F(DnsTest, NextServerAnswersWhenTheFirstIsSilent) {
  DnsServer second;
  server.set("fallback.test", only(Rule::kSilent));
  Rule rule;
  rule.a = {"10.0.7.1"};
  second.set("fallback.test", rule);
  options.servers = {server.address(), second.address()};
  options.timeoutMs = 150;
  options.tries = 1;
  start();
  auto t0 = Clock::now();
  EXPECT_EQ(strs(later("fallback.test")), Strings{"10.0.7.1"});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_GE(ms, 140);
  EXPECT_LT(ms, 1000);
  EXPECT_EQ(server.queries("fallback.test"), 2);
  EXPECT_EQ(second.queries("fallback.test"), 2);
}

TEST_F(DnsTest, MaxPendingRefusesAtOnce) {
  options.maxPending = 2;
  server.set("s1.test", only(Rule::kSilent));
  server.set("s2.test", only(Rule::kSilent));
  start();
  Recorder r;
  DnsAnswer a;
  DnsQuery* q1 = resolver->resolve("s1.test", &r, &a);
  DnsQuery* q2 = resolver->resolve("s2.test", &r, &a);
  ASSERT_TRUE(q1 && q2);
  EXPECT_EQ(resolver->resolve("s3.test", &r, &a), nullptr);
  EXPECT_EQ(a.error, "too many pending DNS queries (2) to resolve s3.test");
  // Joining a pending lookup is a waiting query too.
  EXPECT_EQ(resolver->resolve("s1.test", &r, &a), nullptr);
  EXPECT_EQ(a.error, "too many pending DNS queries (2) to resolve s1.test");
  // Answers known now are never refused.
  EXPECT_EQ(strs(now("127.0.0.1")), Strings{"127.0.0.1"});
  resolver->cancel(q1);
  resolver->cancel(q2);
  EXPECT_EQ(r.calls, 0);
}

TEST_F(DnsTest, LeastRecentlyUsedDroppedBeyondTheCap) {
  options.maxCacheEntries = 2;
  for (const char* n : {"a.test", "b.test", "c.test"}) {
    Rule rule;
    rule.a = {"10.0.4.1"};
    server.set(n, rule);
  }
  start();
  later("a.test");
  later("b.test");
  now("a.test");    // a is now the most recently used
  later("c.test");  // b goes
  EXPECT_EQ(resolver->stats().cacheEntries, 2u);
  now("a.test");
  now("c.test");
  later("b.test");
  EXPECT_EQ(server.queries("a.test"), 2);
  EXPECT_EQ(server.queries("b.test"), 4);
  EXPECT_EQ(server.queries("c.test"), 2);
  EXPECT_EQ(resolver->stats().cacheEntries, 2u);
}

}  // namespace
}  // namespace torus::net
