// HttpClient on a real ring against real servers on loopback: a scripted raw-socket upstream
// on threads (exact bytes, misbehaviour) and torus's own HttpServer on a loop thread.
#include "net/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/dns.h"
#include "net/http_server.h"
#include "net/tls.h"

namespace torus::net {
namespace {

using namespace std::chrono_literals;

// One accepted connection of the scripted upstream.
struct Peer {
  int fd;
  std::string buf;

  // The next request (head and Content-Length body, or a chunked body to its end); empty on
  // EOF or timeout.
  std::string readRequest() {
    for (;;) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buf.substr(0, end + 4);
        size_t need = end + 4;
        size_t cl = head.find("Content-Length: ");
        if (cl != std::string::npos) need += std::stoul(head.substr(cl + 16));
        bool chunked = head.find("Transfer-Encoding: chunked") != std::string::npos;
        if (chunked) {
          size_t last = buf.find("\r\n0\r\n\r\n", end);
          if (last == std::string::npos && buf.compare(end + 4, 5, "0\r\n\r\n") != 0) {
            if (!fill()) return {};
            continue;
          }
          need = last == std::string::npos ? end + 9 : last + 7;
        }
        if (buf.size() >= need) {
          std::string req = buf.substr(0, need);
          buf.erase(0, need);
          return req;
        }
      }
      if (!fill()) return {};
    }
  }
  bool fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, size_t(n));
    return true;
  }
  bool write(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(size_t(n));
    }
    return true;
  }
  // Waits for the client to close (EOF), up to the read timeout.
  bool waitClosed() {
    char tmp[4096];
    for (;;) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }
};

// A listener on 127.0.0.1 whose every connection runs `script` on a thread of its own.
class Upstream {
 public:
  using Script = std::function<void(Peer&, int index)>;
  explicit Upstream(Script script, int rcvbuf = 0) : script_(std::move(script)) {
    listenFd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf) setsockopt(listenFd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listenFd_, 1024), 0);
    socklen_t len = sizeof a;
    getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~Upstream() {
    stop_ = true;
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
    for (int fd : fds_) ::close(fd);
    ::close(listenFd_);
  }
  uint16_t port = 0;
  std::atomic<int> connections{0};
  std::atomic<int> active{0};
  std::atomic<int> maxActive{0};

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{listenFd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval tv{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      int index = connections++;
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd, index] {
        int now = ++active;
        int seen = maxActive.load();
        while (now > seen && !maxActive.compare_exchange_weak(seen, now)) {
        }
        Peer peer{fd, {}};
        script_(peer, index);
        --active;
        ::shutdown(fd, SHUT_RDWR);
      });
    }
  }
  Script script_;
  int listenFd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
};

// What one exchange saw.
struct Outcome {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool head = false;
  bool ended = false;
  bool failed = false;
  bool reused = false;
  ClientError error{ClientStage::kDns, "", 0};
  int writables = 0;
};

// Records into the Outcome at userData; reads bodies as they come unless `hold`; closes the
// exchange at its end or failure unless `keepOpen`.
class Recorder : public ClientHandler {
 public:
  void onHead(ClientExchange* ex) override {
    Outcome& o = *static_cast<Outcome*>(ex->userData);
    EXPECT_FALSE(o.head);
    o.head = true;
    o.status = ex->status();
    o.reason = std::string(ex->reason());
    o.reused = ex->reusedConnection();
    for (const HttpHeader& h : ex->headers()) o.headers.emplace_back(h.name, h.value);
    onBodyData(ex);
  }
  void onBodyData(ClientExchange* ex) override {
    Outcome& o = *static_cast<Outcome*>(ex->userData);
    if (hold) return;
    drain(ex, o);
  }
  void drain(ClientExchange* ex, Outcome& o) {
    char buf[10000];
    while (size_t n = ex->readBody(buf)) o.body.append(buf, n);
    if (ex->bodyEnded() && !o.ended) {
      o.ended = true;
      if (!keepOpen) ex->close();
    }
  }
  void onWritable(ClientExchange* ex) override {
    Outcome& o = *static_cast<Outcome*>(ex->userData);
    ++o.writables;
    if (writable) writable(ex);
  }
  void onError(ClientExchange* ex, const ClientError& error) override {
    Outcome& o = *static_cast<Outcome*>(ex->userData);
    EXPECT_FALSE(o.failed);
    o.failed = true;
    o.error = error;
    ex->close();
  }
  bool hold = false;
  bool keepOpen = false;
  std::function<void(ClientExchange*)> writable;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = engine::Loop::create({});
    if (!loop.ok()) GTEST_SKIP() << loop.error();
    loop_ = std::move(loop).value();
    auto r = Resolver::create(*loop_, {});
    ASSERT_TRUE(r.ok()) << r.error();
    resolver_ = std::move(r).value();
  }
  void TearDown() override {
    if (!loop_) return;
    if (client_) {
      client_->closeIdle();
      runUntil([&] { return client_->stats().openConnections == 0; }, 2000);
      EXPECT_EQ(client_->stats().openConnections, 0u);
      EXPECT_EQ(client_->stats().inFlight, 0u);
      EXPECT_EQ(client_->stats().queued, 0u);
      client_.reset();
    }
    for (int i = 0; i < 50 && loop_->pendingOperations() > 0; ++i) loop_->runOnce(10);
    EXPECT_EQ(loop_->pendingOperations(), 0u);
    resolver_.reset();
    loop_.reset();
  }
  HttpClient& client(const ClientOptions& options = {}, TlsClientContext* tls = nullptr) {
    client_ = std::make_unique<HttpClient>(*loop_, *resolver_, options, tls);
    return *client_;
  }
  bool runUntil(const std::function<bool()>& done, int ms = 5000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      loop_->runOnce(10);
    }
    return true;
  }
  ClientExchange* start(Outcome& o, uint16_t port, std::string_view target = "/",
                        std::string_view method = "GET", std::span<const char> body = {},
                        bool freshConnection = false) {
    ClientRequest req;
    req.host = "127.0.0.1";
    req.port = port;
    req.method = method;
    req.target = target;
    req.body = body;
    req.freshConnection = freshConnection;
    auto r = client_->start(req, recorder_);
    EXPECT_TRUE(r.ok()) << r.error();
    if (!r.ok()) return nullptr;
    (*r)->userData = &o;
    return *r;
  }
  // One request to the upstream, run to its end.
  Outcome fetch(uint16_t port, std::string_view target = "/", std::string_view method = "GET") {
    Outcome o;
    start(o, port, target, method);
    EXPECT_TRUE(runUntil([&] { return o.ended || o.failed; }));
    return o;
  }

  std::unique_ptr<engine::Loop> loop_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<HttpClient> client_;
  Recorder recorder_;
};

// A script answering every request on its connection with `response`.
Upstream::Script answer(std::string response) {
  return [response](Peer& p, int) {
    while (!p.readRequest().empty()) {
      if (!p.write(response)) return;
    }
  };
}

TEST_F(HttpClientTest, ContentLengthChunkedAndCloseDelimited) {
  Upstream cl(answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\n\r\nhello"));
  Upstream chunked(answer(
      "HTTP/1.1 201 Made\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"));
  Upstream eof([](Peer& p, int) {
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\n\r\nuntil the ");
    std::this_thread::sleep_for(20ms);
    p.write("end");
  });
  client();
  Outcome a = fetch(cl.port);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.reason, "OK");
  EXPECT_EQ(a.body, "hello");
  ASSERT_EQ(a.headers.size(), 2u);
  EXPECT_EQ(a.headers[1].first, "X-Test");
  Outcome b = fetch(chunked.port);
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(b.reason, "Made");
  EXPECT_EQ(b.body, "abcdefg");
  Outcome c = fetch(eof.port);
  EXPECT_FALSE(c.failed) << c.error.message;
  EXPECT_EQ(c.body, "until the end");
  EXPECT_EQ(client_->stats().idleConnections, 2u);  // the close-delimited one is not pooled
}

TEST_F(HttpClientTest, RequestBytesOnTheWire) {
  std::promise<std::string> seen;
  Upstream up([&](Peer& p, int) {
    seen.set_value(p.readRequest());
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  client();
  const HttpHeader headers[] = {{"Accept", "text/plain"}, {"content-length", "99"}};
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.method = "POST";
  req.target = "/submit?x=1";
  req.headers = headers;
  std::string body = "payload";
  req.body = body;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  body = "changed";  // copied during start()
  ASSERT_TRUE(runUntil([&] { return o.ended; }));
  EXPECT_EQ(seen.get_future().get(),
            "POST /submit?x=1 HTTP/1.1\r\nAccept: text/plain\r\nHost: 127.0.0.1:" +
                std::to_string(up.port) + "\r\nContent-Length: 7\r\n\r\npayload");
}

TEST_F(HttpClientTest, MalformedRequestsFailAtStart) {
  client();
  Recorder rec;
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = 9;
  const HttpHeader crlf[] = {{"X-A", "a\r\nInjected: 1"}};
  req.headers = crlf;
  auto r = client_->start(req, rec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("invalid value for header X-A"), std::string::npos) << r.error();
  const HttpHeader name[] = {{"Bad Name", "v"}};
  req.headers = name;
  r = client_->start(req, rec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("invalid header name"), std::string::npos) << r.error();
  const std::string nul("a\0b", 3);
  const HttpHeader nulValue[] = {{"X-B", nul}};
  req.headers = nulValue;
  EXPECT_FALSE(client_->start(req, rec).ok());
  req.headers = {};
  req.target = "/a b";
  EXPECT_FALSE(client_->start(req, rec).ok());
  EXPECT_EQ(client_->stats().inFlight, 0u);
}

TEST_F(HttpClientTest, HeadAnd204And304AndInterim) {
  Upstream up([](Peer& p, int) {
    for (;;) {
      std::string req = p.readRequest();
      if (req.empty()) return;
      if (req.starts_with("HEAD")) {
        p.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      } else if (req.starts_with("GET /204")) {
        p.write("HTTP/1.1 204 No Content\r\n\r\n");
      } else if (req.starts_with("GET /304")) {
        p.write("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
      } else {
        p.write("HTTP/1.1 100 Continue\r\n\r\n");
        std::this_thread::sleep_for(5ms);
        p.write("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");
        std::this_thread::sleep_for(5ms);
        p.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
      }
    }
  });
  client();
  Outcome h = fetch(up.port, "/", "HEAD");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "");
  Outcome a = fetch(up.port, "/204");
  EXPECT_EQ(a.status, 204);
  EXPECT_TRUE(a.reused);
  Outcome b = fetch(up.port, "/304");
  EXPECT_EQ(b.status, 304);
  EXPECT_EQ(b.body, "");
  Outcome c = fetch(up.port, "/interim");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.body, "body");
  EXPECT_EQ(c.headers.size(), 1u);
  EXPECT_TRUE(c.reused);
  EXPECT_EQ(up.connections.load(), 1);  // every framing above left the connection reusable
}

TEST_F(HttpClientTest, KeepAliveReuse) {
  Upstream up(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  client();
  Outcome a = fetch(up.port);
  EXPECT_FALSE(a.reused);
  Outcome b = fetch(up.port);
  EXPECT_TRUE(b.reused);
  EXPECT_EQ(b.body, "ok");
  EXPECT_EQ(up.connections.load(), 1);
  EXPECT_EQ(client_->stats().connectionsOpened, 1u);
  EXPECT_EQ(client_->stats().connectionsReused, 1u);
  EXPECT_EQ(client_->stats().idleConnections, 1u);
}

TEST_F(HttpClientTest, ConnectionCloseRequestIsNotPooled) {
  Upstream up(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  client();
  const HttpHeader close[] = {{"Connection", "close"}};
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.headers = close;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  ASSERT_TRUE(runUntil([&] { return o.ended; }));
  EXPECT_EQ(client_->stats().idleConnections, 0u);
}

// ClientRequest::freshConnection (fetch()'s retry of a 421): a new connection even when an
// idle one is pooled; at the per-origin cap, the idle one is closed to make room.
TEST_F(HttpClientTest, FreshConnectionIsNeverAPooledOne) {
  Upstream up(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  ClientOptions options;
  options.maxConnectionsPerOrigin = 1;
  client(options);
  Outcome a = fetch(up.port);
  EXPECT_EQ(client_->stats().idleConnections, 1u);
  Outcome b;
  start(b, up.port, "/", "GET", {}, /*freshConnection=*/true);
  ASSERT_TRUE(runUntil([&] { return b.ended || b.failed; }));
  EXPECT_FALSE(b.reused);
  EXPECT_EQ(b.body, "ok");
  EXPECT_EQ(client_->stats().connectionsOpened, 2u);
  EXPECT_EQ(client_->stats().connectionsReused, 0u);
  EXPECT_EQ(up.connections.load(), 2);
  EXPECT_EQ(client_->stats().openConnections, 1u);  // the first was closed to make room
  Outcome c = fetch(up.port);  // a plain request takes the fresh one from the pool
  EXPECT_TRUE(c.reused);
  EXPECT_EQ(client_->stats().connectionsOpened, 2u);
}

TEST_F(HttpClientTest, PeerClosingAnIdleConnectionDropsIt) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    std::this_thread::sleep_for(30ms);
  });  // then the script ends: the connection closes
  client();
  fetch(up.port);
  EXPECT_EQ(client_->stats().idleConnections, 1u);
  ASSERT_TRUE(runUntil([&] { return client_->stats().idleConnections == 0; }));
  Outcome b = fetch(up.port);
  EXPECT_FALSE(b.reused);
  EXPECT_EQ(b.body, "ok");
  EXPECT_EQ(client_->stats().retries, 0u);
}

TEST_F(HttpClientTest, RetryWhenAPooledConnectionWasClosed) {
  // The first connection answers once, then reads the next request and closes without a
  // byte: the race of a keep-alive timeout on the server. The retry goes to a new one.
  Upstream up([](Peer& p, int index) {
    if (index == 0) {
      p.readRequest();
      p.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
      p.readRequest();
      return;
    }
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
    p.readRequest();
  });
  client();
  EXPECT_EQ(fetch(up.port).body, "first");
  Outcome b = fetch(up.port);
  EXPECT_FALSE(b.failed) << b.error.message;
  EXPECT_EQ(b.body, "second");
  EXPECT_FALSE(b.reused);
  EXPECT_EQ(client_->stats().retries, 1u);
  EXPECT_EQ(up.connections.load(), 2);
}

TEST_F(HttpClientTest, NoRetryWhenNotRetryable) {
  Upstream up([](Peer& p, int index) {
    p.readRequest();
    if (index == 0) p.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    p.readRequest();
  });
  client();
  fetch(up.port);
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.method = "POST";
  req.retryable = false;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  ASSERT_TRUE(runUntil([&] { return o.failed || o.ended; }));
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.error.stage, ClientStage::kHead);
  EXPECT_NE(o.error.message.find("connection closed before the response"), std::string::npos)
      << o.error.message;
  EXPECT_EQ(client_->stats().retries, 0u);
}

TEST_F(HttpClientTest, ConnectionRefused) {
  // A port bound and not listening: nobody accepts there.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  uint16_t port = ntohs(a.sin_port);
  client();
  Outcome o = fetch(port);
  ::close(fd);
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.error.stage, ClientStage::kConnect);
  EXPECT_EQ(o.error.message, "connection refused (127.0.0.1:" + std::to_string(port) + ")");
  EXPECT_EQ(o.error.code, -ECONNREFUSED);
}

TEST_F(HttpClientTest, LocalhostTriesEveryAddress) {
  // localhost resolves to ::1 and 127.0.0.1 (happy eyeballs); the listener is IPv4 only,
  // so whichever comes first, the request lands.
  Upstream up(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  client();
  ClientRequest req;
  req.host = "localhost";
  req.port = up.port;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  ASSERT_TRUE(runUntil([&] { return o.failed || o.ended; }));
  EXPECT_FALSE(o.failed) << o.error.message;
  EXPECT_EQ(o.body, "ok");
}

// RFC 8305: the first address hangs (a listener whose accept queue is full drops SYNs); the
// second is tried 250 ms later and wins; the first attempt is cancelled.
TEST_F(HttpClientTest, HappyEyeballsStartsTheNextAttemptAfterTheDelay) {
  // The good listener on 127.0.0.1 (a free port), the stuck one on 127.0.0.2, same port.
  int good = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in g{};
  g.sin_family = AF_INET;
  g.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(good, reinterpret_cast<sockaddr*>(&g), sizeof g), 0);
  socklen_t len = sizeof g;
  getsockname(good, reinterpret_cast<sockaddr*>(&g), &len);
  int stuck = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = g;
  a.sin_addr.s_addr = inet_addr("127.0.0.2");
  if (bind(stuck, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(stuck);
    ::close(good);
    GTEST_SKIP() << "port taken on 127.0.0.2";
  }
  ASSERT_EQ(listen(stuck, 0), 0);
  // Fill the accept queue so that further SYNs get no answer.
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int f = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(f);
  }
  std::this_thread::sleep_for(50ms);
  listen(good, 16);
  uint16_t port = ntohs(a.sin_port);
  std::thread server([good] {
    int fd = accept(good, nullptr, nullptr);
    Peer p{fd, {}};
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    p.readRequest();
    ::close(fd);
  });
  char hosts[] = "/tmp/torus-client-hosts-XXXXXX";
  int hf = mkstemp(hosts);
  std::string text = "127.0.0.2 dual.test\n127.0.0.1 dual.test\n";
  ASSERT_EQ(::write(hf, text.data(), text.size()), ssize_t(text.size()));
  ::close(hf);
  ResolverOptions ro;
  ro.hostsFile = hosts;
  ro.servers = {"127.0.0.1:9"};
  auto r = Resolver::create(*loop_, ro);
  ASSERT_TRUE(r.ok()) << r.error();
  resolver_ = std::move(r).value();
  client();
  ClientRequest req;
  req.host = "dual.test";
  req.port = port;
  Outcome o;
  auto t0 = std::chrono::steady_clock::now();
  auto ex = client_->start(req, recorder_);
  ASSERT_TRUE(ex.ok());
  (*ex)->userData = &o;
  ASSERT_TRUE(runUntil([&] { return o.ended || o.failed; }));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(o.failed) << o.error.message;
  EXPECT_EQ(o.body, "ok");
  EXPECT_GE(took, 240ms);
  EXPECT_LT(took, 1500ms);
  client_->closeIdle();
  runUntil([&] { return loop_->pendingOperations() == 0; });
  loop_->runOnce(0);  // submits the close
  server.join();
  unlink(hosts);
  for (int f : fillers) ::close(f);
  ::close(stuck);
  ::close(good);
}

TEST_F(HttpClientTest, UnknownHost) {
  client();
  ClientRequest req;
  req.host = "no-such-host.invalid";
  req.port = 80;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  ASSERT_TRUE(runUntil([&] { return o.failed || o.ended; }, 15000));
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.error.stage, ClientStage::kDns);
  EXPECT_EQ(o.error.message, "no such host: no-such-host.invalid");
}

TEST_F(HttpClientTest, HeadTimeout) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.waitClosed();  // silent
  });
  ClientOptions options;
  options.headTimeoutMs = 200;
  client(options);
  auto t0 = std::chrono::steady_clock::now();
  Outcome o = fetch(up.port);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.error.stage, ClientStage::kHead);
  EXPECT_EQ(o.error.message, "timed out waiting for the response head after 200 ms (127.0.0.1:" +
                                 std::to_string(up.port) + ")");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

TEST_F(HttpClientTest, BodyTimeout) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    p.waitClosed();
  });
  ClientOptions options;
  options.bodyTimeoutMs = 200;
  client(options);
  Outcome o = fetch(up.port);
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.body, "abc");
  EXPECT_EQ(o.error.stage, ClientStage::kBody);
  EXPECT_NE(o.error.message.find("timed out waiting for the response body"), std::string::npos);
}

TEST_F(HttpClientTest, SendTimeoutWhenTheServerDoesNotRead) {
  Upstream up(
      [](Peer& p, int) {
        std::this_thread::sleep_for(1500ms);  // reads nothing
      },
      4096);
  ClientOptions options;
  options.sendTimeoutMs = 300;
  client(options);
  std::string body(32 << 20, 'b');
  Outcome o;
  start(o, up.port, "/upload", "POST", body);
  ASSERT_TRUE(runUntil([&] { return o.failed || o.ended; }, 10000));
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.error.stage, ClientStage::kSend);
  EXPECT_NE(o.error.message.find("timed out sending the request after 300 ms"), std::string::npos)
      << o.error.message;
}

// The server answers before reading the whole body, then stops reading and closes: the
// client delivers the response (the failed send is not the outcome) and does not pool.
TEST_F(HttpClientTest, EarlyResponseWhileTheBodyIsSent) {
  Upstream up([](Peer& p, int) {
    while (p.buf.find("\r\n\r\n") == std::string::npos) {
      if (!p.fill()) return;
    }
    p.write("HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
            "too big\n");
    ::shutdown(p.fd, SHUT_WR);
    auto end = std::chrono::steady_clock::now() + 100ms;
    while (std::chrono::steady_clock::now() < end && p.fill()) p.buf.clear();
  });
  client();
  std::string body(32 << 20, 'b');
  Outcome o;
  start(o, up.port, "/upload", "POST", body);
  ASSERT_TRUE(runUntil([&] { return o.failed || o.ended; }, 10000));
  EXPECT_FALSE(o.failed) << o.error.message;
  EXPECT_EQ(o.status, 413);
  EXPECT_EQ(o.body, "too big\n");
  ASSERT_TRUE(runUntil([&] { return client_->stats().openConnections == 0; }));
  EXPECT_EQ(client_->stats().idleConnections, 0u);
}

TEST_F(HttpClientTest, BodyTimeoutIgnoresTheHandlersPauses) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
    p.write(std::string(1000000, 'q'));
    p.readRequest();
  });
  ClientOptions options;
  options.bodyTimeoutMs = 150;
  client(options);
  recorder_.hold = true;
  Outcome o;
  ClientExchange* ex = start(o, up.port);
  ASSERT_TRUE(runUntil([&] { return o.head; }));
  // The handler sits on a full buffer three times as long as the body timeout.
  auto end = std::chrono::steady_clock::now() + 450ms;
  while (std::chrono::steady_clock::now() < end) loop_->runOnce(10);
  EXPECT_FALSE(o.failed) << o.error.message;
  std::string got;
  ASSERT_TRUE(runUntil([&] {
    char buf[16384];
    while (size_t n = ex->readBody(buf)) got.append(buf, n);
    return ex->bodyEnded() || o.failed;
  }));
  EXPECT_FALSE(o.failed) << o.error.message;
  EXPECT_EQ(got.size(), 1000000u);
  ex->close();
}

TEST_F(HttpClientTest, IdleTimeoutAndMaxIdle) {
  Upstream up(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  ClientOptions options;
  options.idleTimeoutMs = 150;
  options.maxIdlePerOrigin = 2;
  client(options);
  Outcome o[4];
  for (auto& x : o) start(x, up.port);
  ASSERT_TRUE(runUntil([&] {
    for (auto& x : o) {
      if (!x.ended) return false;
    }
    return true;
  }));
  EXPECT_EQ(client_->stats().idleConnections, 2u);  // the other two were closed
  ASSERT_TRUE(runUntil([&] { return client_->stats().openConnections == 0; }, 2000));
  EXPECT_EQ(client_->stats().idleConnections, 0u);
}

TEST_F(HttpClientTest, HeadLimits) {
  Upstream big(answer("HTTP/1.1 200 OK\r\nX-Big: " + std::string(2000, 'a') +
                      "\r\nContent-Length: 0\r\n\r\n"));
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 20; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  Upstream lots(answer(many + "Content-Length: 0\r\n\r\n"));
  Upstream both(
      answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ClientOptions options;
  options.maxHeadBytes = 1024;
  options.maxHeaderCount = 10;
  client(options);
  Outcome a = fetch(big.port);
  EXPECT_TRUE(a.failed);
  EXPECT_EQ(a.error.stage, ClientStage::kHead);
  EXPECT_NE(a.error.message.find("response head over 1024 bytes"), std::string::npos)
      << a.error.message;
  Outcome b = fetch(lots.port);
  EXPECT_TRUE(b.failed);
  EXPECT_NE(b.error.message.find("more than 10 header fields"), std::string::npos)
      << b.error.message;
  Outcome c = fetch(both.port);
  EXPECT_TRUE(c.failed);
  EXPECT_NE(c.error.message.find("both Content-Length and Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(client_->stats().idleConnections, 0u);
}

TEST_F(HttpClientTest, InFlightAndQueueCaps) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.waitClosed();
  });
  ClientOptions options;
  options.maxInFlight = 2;
  options.maxQueued = 1;
  client(options);
  Outcome o[4];
  ClientExchange* ex[3];
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ex[i] = start(o[i], up.port));
  EXPECT_EQ(client_->stats().inFlight, 2u);
  EXPECT_EQ(client_->stats().queued, 1u);
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  auto r = client_->start(req, recorder_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("maxInFlight 2"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("maxQueued 1"), std::string::npos) << r.error();
  EXPECT_EQ(client_->stats().refused, 1u);
  ASSERT_TRUE(runUntil([&] { return up.connections.load() == 2; }));
  // Closing the queued one and one in flight: the queue moves, the cap holds.
  ex[2]->close();
  EXPECT_EQ(client_->stats().queued, 0u);
  ex[0]->close();
  ex[1]->close();
  EXPECT_EQ(client_->stats().inFlight, 0u);
}

// The queue holds at most maxQueued, whatever keeps its requests waiting (here the
// per-origin connection cap, far below maxInFlight).
TEST_F(HttpClientTest, QueueBoundUnderTheOriginCap) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.waitClosed();
  });
  ClientOptions options;
  options.maxConnectionsPerOrigin = 1;
  options.maxQueued = 2;
  client(options);
  Outcome o[3];
  ClientExchange* ex[3];
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ex[i] = start(o[i], up.port));
  EXPECT_EQ(client_->stats().queued, 2u);
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  auto r = client_->start(req, recorder_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("2 queued (maxQueued 2)"), std::string::npos) << r.error();
  for (auto* e : ex) e->close();
}

TEST_F(HttpClientTest, ConnectionsPerOriginQueue) {
  Upstream up([](Peer& p, int) {
    while (!p.readRequest().empty()) {
      std::this_thread::sleep_for(20ms);
      p.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  ClientOptions options;
  options.maxConnectionsPerOrigin = 2;
  client(options);
  Outcome o[6];
  for (auto& x : o) start(x, up.port);
  EXPECT_EQ(client_->stats().queued, 4u);
  ASSERT_TRUE(runUntil([&] {
    for (auto& x : o) {
      if (!x.ended && !x.failed) return false;
    }
    return true;
  }));
  for (auto& x : o) EXPECT_EQ(x.body, "ok");
  EXPECT_EQ(up.connections.load(), 2);
  EXPECT_LE(up.maxActive.load(), 2);
  EXPECT_EQ(client_->stats().connectionsReused, 4u);
}

// Queues are per origin: a request to an origin with a free slot does not wait behind
// another origin's queue; the in-flight cap is shared.
TEST_F(HttpClientTest, QueuesArePerOrigin) {
  Upstream slow([](Peer& p, int) {
    while (!p.readRequest().empty()) {
      std::this_thread::sleep_for(100ms);
      p.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow");
    }
  });
  Upstream fast(answer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfast"));
  ClientOptions options;
  options.maxConnectionsPerOrigin = 1;
  options.maxInFlight = 2;
  client(options);
  Outcome a[3], b, c[2];
  for (auto& x : a) start(x, slow.port);
  start(b, fast.port);
  EXPECT_EQ(client_->stats().queued, 2u);
  EXPECT_EQ(client_->stats().inFlight, 2u);
  ASSERT_TRUE(runUntil([&] { return b.ended; }));
  EXPECT_FALSE(a[0].ended);  // the slow origin's first is still running
  EXPECT_EQ(b.body, "fast");
  // Now the fast origin queues behind the in-flight cap only.
  start(c[0], fast.port);
  start(c[1], fast.port);
  ASSERT_TRUE(runUntil([&] { return a[2].ended && c[0].ended && c[1].ended; }));
  for (auto& x : a) EXPECT_EQ(x.body, "slow");
  EXPECT_EQ(c[1].body, "fast");
}

TEST_F(HttpClientTest, ResponseBackpressure) {
  constexpr size_t kTotal = 8 << 20;
  Upstream up([](Peer& p, int) {
    p.readRequest();
    std::string body(kTotal, 0);
    for (size_t i = 0; i < kTotal; ++i) body[i] = char('a' + (i * 7 + i / 4096) % 26);
    p.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kTotal) + "\r\n\r\n");
    p.write(body);
    p.readRequest();
  });
  ClientOptions options;
  client(options);
  recorder_.hold = true;
  Outcome o;
  ClientExchange* ex = start(o, up.port);
  ASSERT_TRUE(runUntil([&] { return o.head; }));
  // The handler does not read: the buffer stops at the mark plus one recv buffer.
  size_t last = 0;
  for (int i = 0; i < 30; ++i) {
    loop_->runOnce(10);
    last = ex->bodyBuffered();
  }
  const size_t bound = options.bodyHighWaterMark + engine::LoopOptions().recvBufferSize;
  EXPECT_GE(last, size_t(options.bodyHighWaterMark));
  EXPECT_LE(last, bound);
  // Reading drains everything, in order, the buffer bounded all along.
  std::string got;
  size_t peak = 0;
  ASSERT_TRUE(runUntil([&] {
    peak = std::max(peak, ex->bodyBuffered());
    char buf[16384];
    while (size_t n = ex->readBody(buf)) got.append(buf, n);
    return ex->bodyEnded() && ex->bodyBuffered() == 0;
  }, 20000));
  EXPECT_LE(peak, bound);
  ASSERT_EQ(got.size(), kTotal);
  bool same = true;
  for (size_t i = 0; i < kTotal && same; ++i) same = got[i] == char('a' + (i * 7 + i / 4096) % 26);
  EXPECT_TRUE(same);
  ex->close();
  EXPECT_EQ(client_->stats().idleConnections, 1u);
}

TEST_F(HttpClientTest, StreamedRequestBodyWithASlowReader) {
  constexpr size_t kTotal = 4 << 20;
  std::atomic<size_t> received{0};
  Upstream up(
      [&](Peer& p, int) {
        std::this_thread::sleep_for(200ms);  // let the client's side fill up
        std::string req = p.readRequest();
        size_t body = std::count(req.begin(), req.end(), 'z');  // the chunk framing aside
        received = body;
        std::string answer = std::to_string(body);
        p.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) +
                "\r\n\r\n" + answer);
      },
      16384);
  client();
  std::string chunk(16384, 'z');
  size_t written = 0;
  Outcome o;
  auto pump = [&](ClientExchange* ex) {
    while (written < kTotal && ex->wantsMore()) {
      ASSERT_TRUE(ex->writeBodyCopy(chunk));
      written += chunk.size();
    }
    if (written == kTotal) {
      EXPECT_TRUE(ex->endBody());
      written = kTotal + 1;
    }
  };
  recorder_.writable = pump;
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.method = "PUT";
  req.streamBody = true;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  pump(*r);
  EXPECT_FALSE((*r)->wantsMore());
  ASSERT_TRUE(runUntil([&] { return o.ended || o.failed; }, 20000));
  EXPECT_FALSE(o.failed) << o.error.message;
  EXPECT_EQ(o.body, std::to_string(kTotal));  // chunked framing removed by the upstream count
  EXPECT_GT(o.writables, 0);
}

TEST_F(HttpClientTest, StreamedBodyWithContentLength) {
  std::promise<std::string> seen;
  Upstream up([&](Peer& p, int) {
    seen.set_value(p.readRequest());
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  client();
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.method = "POST";
  req.streamBody = true;
  req.contentLength = 6;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  ClientExchange* ex = *r;
  static bool released = false;
  static const char kBorrowed[] = "abc";
  EXPECT_TRUE(ex->writeBody({kBorrowed, 3}, {[](void*) { released = true; }, nullptr}));
  EXPECT_FALSE(ex->endBody());  // short of the declared length
  EXPECT_FALSE(ex->writeBodyCopy(std::string_view("defg")));  // over it
  EXPECT_TRUE(ex->writeBodyCopy(std::string_view("def")));
  EXPECT_TRUE(ex->endBody());
  ASSERT_TRUE(runUntil([&] { return o.ended || o.failed; }));
  EXPECT_TRUE(released);
  std::string got = seen.get_future().get();
  EXPECT_NE(got.find("Content-Length: 6\r\n\r\nabcdef"), std::string::npos) << got;
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos);
}

TEST_F(HttpClientTest, CloseMidBodyAndMidConnect) {
  Upstream up([](Peer& p, int) {
    p.readRequest();
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n");
    std::string part(65536, 'x');
    while (p.write(part)) std::this_thread::sleep_for(1ms);
  });
  client();
  recorder_.keepOpen = true;
  Outcome a;
  ClientExchange* ex = start(a, up.port);
  ASSERT_TRUE(runUntil([&] { return a.body.size() > 100000; }));
  ex->close();  // mid-body: the connection is closed, not pooled
  EXPECT_EQ(client_->stats().idleConnections, 0u);
  // Mid-connect: closed before the socket and connect ops complete, and after a turn.
  Outcome b, c;
  start(b, up.port)->close();
  ClientExchange* third = start(c, up.port);
  loop_->runOnce(0);
  third->close();
  ASSERT_TRUE(runUntil([&] { return client_->stats().openConnections == 0; }));
  EXPECT_FALSE(b.head || b.failed || c.head || c.failed);  // nothing after close()
  // Closing from inside onHead, before any body byte is read.
  Outcome d;
  recorder_.keepOpen = false;
  struct CloseOnHead : Recorder {
    void onHead(ClientExchange* ex) override {
      static_cast<Outcome*>(ex->userData)->head = true;
      ex->close();
    }
  } closer;
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  auto r = client_->start(req, closer);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &d;
  ASSERT_TRUE(runUntil([&] { return d.head; }));
  ASSERT_TRUE(runUntil([&] { return client_->stats().openConnections == 0; }));
}

// Borrowed body chunks go back to their owners once no send reads them: at close() when
// nothing was sent, after the cancelled send's completion when one was in flight.
TEST_F(HttpClientTest, BorrowedChunksReleasedAfterClose) {
  Upstream up([](Peer& p, int) { std::this_thread::sleep_for(600ms); }, 4096);
  client();
  static std::string big(8 << 20, 'w');
  int released = 0;
  PieceOwner owner{[](void* arg) { ++*static_cast<int*>(arg); }, &released};
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.method = "POST";
  req.streamBody = true;
  Outcome a, b;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &a;
  ASSERT_TRUE((*r)->writeBody(big, owner));
  (*r)->close();  // before the connection is up
  EXPECT_EQ(released, 1);
  r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &b;
  ASSERT_TRUE((*r)->writeBody(big, owner));
  // The first never connected (closed while its socket was being made).
  ASSERT_TRUE(runUntil([&] { return up.connections.load() == 1; }));
  for (int i = 0; i < 20; ++i) loop_->runOnce(5);  // the send is in flight, stalled
  (*r)->close();
  EXPECT_EQ(released, 1);  // the kernel may still read it
  ASSERT_TRUE(runUntil([&] { return released == 2; }));
  EXPECT_FALSE(a.failed || b.failed);
}

// A misbehaving upstream: mutated and truncated responses, closes at random points, on
// fresh and pooled connections. Each exchange ends exactly once (a body or an error), and
// nothing leaks or crashes (ASan).
TEST_F(HttpClientTest, GarbageFromTheUpstream) {
  const std::string seeds[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\nclose-delimited",
  };
  std::atomic<uint64_t> rng{7};
  Upstream up([&](Peer& p, int) {
    auto next = [&] {
      uint64_t x = rng.fetch_add(0x9E3779B97F4A7C15ull);
      x ^= x >> 31;
      x *= 0xBF58476D1CE4E5B9ull;
      return uint32_t(x >> 33);
    };
    while (!p.readRequest().empty()) {
      std::string out = seeds[next() % 4];
      for (int e = next() % 4; e > 0; --e) {
        size_t at = next() % out.size();
        if (next() % 2) {
          out[at] = "\r\n :0aZ\x00\xff"[next() % 9];
        } else {
          out.insert(at, std::string(next() % 300, char('0' + next() % 10)));
        }
      }
      bool cut = next() % 4 == 0;
      if (cut) out.resize(next() % out.size());
      if (!p.write(out) || cut || out.find("close-delimited") != std::string::npos) return;
    }
  });
  ClientOptions options;
  options.maxHeadBytes = 1024;
  options.headTimeoutMs = 300;
  options.bodyTimeoutMs = 300;
  client(options);
  constexpr int kCount = 200;
  std::vector<Outcome> o(kCount);
  for (int i = 0; i < kCount; i += 10) {
    for (int j = i; j < i + 10; ++j) start(o[j], up.port);
    ASSERT_TRUE(runUntil([&] {
      for (int j = i; j < i + 10; ++j) {
        if (!o[j].ended && !o[j].failed) return false;
      }
      return true;
    }, 10000));
  }
  int failed = 0;
  for (auto& x : o) {
    EXPECT_NE(x.ended, x.failed);
    failed += x.failed;
  }
  printf("garbage: %d of %d failed, %llu retries\n", failed, kCount,
         (unsigned long long)client_->stats().retries);
}

TEST_F(HttpClientTest, HttpsWithoutTls) {
  client();
  ClientRequest req;
  req.https = true;
  req.host = "127.0.0.1";
  req.port = 443;
  Outcome o;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &o;
  EXPECT_FALSE(o.failed);  // never inside start()
  ASSERT_TRUE(runUntil([&] { return o.failed; }));
  EXPECT_EQ(o.error.stage, ClientStage::kTls);
}

// torus's own server on a loop thread of its own: "hello <target>".
class HelloHandler : public RequestHandler {
 public:
  void onRequest(Exchange* ex) override {
    static const HttpHeader kText[] = {{"content-type", "text/plain"}};
    std::string body = "hello " + std::string(ex->request().target);
    char* p = static_cast<char*>(ex->heap().allocate(body.size(), 1));
    memcpy(p, body.data(), body.size());
    ex->respond(200, kText, {p, body.size()});
  }
  void onDone(Exchange*) override {}
  void onAbort(Exchange*) override {}
};

class TorusUpstream {
 public:
  TorusUpstream() {
    std::promise<void> ready;
    thread_ = std::thread([&] {
      loop_ = std::move(engine::Loop::create({})).value();
      fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
      listen(fd_, 1024);
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port = ntohs(a.sin_port);
      ServerOptions options;
      server_ = std::make_unique<HttpServer>(*loop_, options, handler_);
      server_->start(fd_);
      ready.set_value();
      loop_->run();
      server_->stopAccepting();
      server_->closeAll();
      for (int i = 0; i < 100 && loop_->pendingOperations() > 0; ++i) loop_->runOnce(10);
      accepted = server_->stats().accepted;
      server_.reset();
      loop_.reset();
      ::close(fd_);
    });
    ready.get_future().get();
  }
  ~TorusUpstream() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    loop_->stop();
    thread_.join();
  }
  uint16_t port = 0;
  uint64_t accepted = 0;

 private:
  HelloHandler handler_;
  std::unique_ptr<engine::Loop> loop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int fd_ = -1;
};

TEST_F(HttpClientTest, ThousandConcurrentRequests) {
  TorusUpstream up;
  client();
  constexpr int kCount = 1000;
  std::vector<Outcome> o(kCount);
  std::vector<std::string> targets(kCount);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) {
    targets[i] = "/r" + std::to_string(i);
    start(o[i], up.port, targets[i]);
  }
  ASSERT_TRUE(runUntil([&] {
    for (auto& x : o) {
      if (!x.ended && !x.failed) return false;
    }
    return true;
  }, 30000));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0).count();
  for (int i = 0; i < kCount; ++i) {
    ASSERT_FALSE(o[i].failed) << i << ": " << o[i].error.message;
    ASSERT_EQ(o[i].body, "hello " + targets[i]);
  }
  EXPECT_LE(client_->stats().connectionsOpened, 256u);  // maxConnectionsPerOrigin
  EXPECT_EQ(client_->stats().idleConnections, client_->options().maxIdlePerOrigin);
  // Then once more: the pooled connections first.
  for (int i = 0; i < kCount; ++i) {
    o[i] = Outcome();
    start(o[i], up.port, targets[i]);
  }
  ASSERT_TRUE(runUntil([&] {
    for (auto& x : o) {
      if (!x.ended && !x.failed) return false;
    }
    return true;
  }, 30000));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(o[i].body, "hello " + targets[i]);
  const ClientStats& st = client_->stats();
  EXPECT_GE(st.connectionsReused, uint64_t(kCount));
  printf("1000 requests: %lld ms; %llu connections, %llu reused\n", (long long)ms,
         (unsigned long long)st.connectionsOpened, (unsigned long long)st.connectionsReused);
  client_->closeIdle();
  runUntil([&] { return client_->stats().openConnections == 0; });
  up.stop();
  EXPECT_EQ(up.accepted, st.connectionsOpened);
}

// ---- https: a python3 HTTPS server (keep-alive HTTP/1.1) and openssl s_server, with a test
// CA and leaves made by the openssl CLI ----

std::string g_certs;  // the certificate directory, for the whole run

bool sh(const std::string& cmd) {
  std::string full = "cd '" + g_certs + "' && " + cmd + " >>openssl.log 2>&1";
  return std::system(full.c_str()) == 0;
}

void writeFile(const std::string& name, const std::string& text) {
  std::ofstream(g_certs + "/" + name) << text;
}

bool makeLeaf(const std::string& name, const std::string& san) {
  writeFile(name + ".ext", "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\n");
  return sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            name + ".key -out " + name + ".csr -subj /CN=" + name) &&
         sh("openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial"
            " -days 30 -sha256 -extfile " + name + ".ext -out " + name + ".pem");
}

const char kServerPy[] = R"(
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = (b"x" * 1000000) if self.path == "/big" else ("hello " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = str(len(data)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ctx.set_alpn_protocols(["http/1.1"])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
)";

// Made once per process, by the first https test (not for every test process ctest runs).
struct Certs {
  static void make() {
    if (made) return;
    made = true;
    char tmpl[] = "/tmp/torus-client-XXXXXX";
    if (!mkdtemp(tmpl)) return;
    g_certs = tmpl;
    ok = sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
            " -keyout ca.key -out ca.pem -days 30 -subj '/CN=torus client test CA'"
            " -addext basicConstraints=critical,CA:TRUE"
            " -addext keyUsage=critical,keyCertSign,cRLSign") &&
         makeLeaf("localhost", "DNS:localhost,IP:127.0.0.1,IP:::1") &&
         makeLeaf("other", "DNS:other.example");
    writeFile("server.py", kServerPy);
  }
  static void remove() {
    if (!g_certs.empty()) std::filesystem::remove_all(g_certs);
    g_certs.clear();
    made = ok = false;
  }
  static inline bool made = false;
  static inline bool ok = false;
};

// A child process serving TLS on a loopback port, killed on destruction.
class TlsUpstream {
 public:
  // python3 server.py (keep-alive) with `cert`, or openssl s_server -www when sServer.
  TlsUpstream(const std::string& cert, bool sServer) {
    int probe = -1;
    std::vector<std::string> args;
    if (sServer) {
      probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
      socklen_t len = sizeof a;
      getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
      port = ntohs(a.sin_port);
      ::close(probe);
      args = {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
              g_certs + "/" + cert + ".pem", "-key", g_certs + "/" + cert + ".key", "-www",
              "-quiet"};
    } else {
      args = {"python3", g_certs + "/server.py", g_certs + "/" + cert + ".pem",
              g_certs + "/" + cert + ".key"};
    }
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    ::close(out[1]);
    if (!sServer) {
      FILE* f = fdopen(out[0], "r");
      unsigned p = 0;
      if (fscanf(f, "%u", &p) == 1) port = uint16_t(p);
      fclose(f);
    } else {
      ::close(out[0]);
      // Wait until it listens.
      for (int i = 0; i < 200; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (up) break;
        std::this_thread::sleep_for(10ms);
      }
    }
  }
  ~TlsUpstream() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  uint16_t port = 0;

 private:
  pid_t pid_ = -1;
};

class HttpsTest : public HttpClientTest {
 protected:
  static void SetUpTestSuite() { Certs::make(); }
  static void TearDownTestSuite() { Certs::remove(); }
  void SetUp() override {
    if (!Certs::ok) GTEST_SKIP() << "openssl could not make the test certificates";
    HttpClientTest::SetUp();
    TlsClientOptions options;
    options.caFile = g_certs + "/ca.pem";
    auto t = TlsClientContext::create(options);
    ASSERT_TRUE(t.ok()) << t.error();
    tls_ = std::move(t).value();
  }
  void TearDown() override {
    HttpClientTest::TearDown();
    tls_.reset();
  }
  ClientExchange* startHttps(Outcome& o, std::string_view host, uint16_t port,
                             std::string_view target = "/", std::string_view method = "GET") {
    ClientRequest req;
    req.https = true;
    req.host = host;
    req.port = port;
    req.target = target;
    req.method = method;
    auto r = client_->start(req, recorder_);
    EXPECT_TRUE(r.ok()) << r.error();
    if (!r.ok()) return nullptr;
    (*r)->userData = &o;
    return *r;
  }
  Outcome fetchHttps(std::string_view host, uint16_t port, std::string_view target = "/") {
    Outcome o;
    startHttps(o, host, port, target);
    EXPECT_TRUE(runUntil([&] { return o.ended || o.failed; }, 10000));
    return o;
  }
  std::unique_ptr<TlsClientContext> tls_;
};

TEST_F(HttpsTest, GetAndReuse) {
  TlsUpstream up("localhost", false);
  ASSERT_NE(up.port, 0);
  client({}, tls_.get());
  Outcome a = fetchHttps("127.0.0.1", up.port, "/a");
  ASSERT_FALSE(a.failed) << a.error.message;
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "hello /a");
  Outcome b = fetchHttps("127.0.0.1", up.port, "/b");
  EXPECT_EQ(b.body, "hello /b");
  EXPECT_TRUE(b.reused);
  Outcome c = fetchHttps("localhost", up.port, "/c");
  ASSERT_FALSE(c.failed) << c.error.message;
  EXPECT_EQ(c.body, "hello /c");
  EXPECT_EQ(client_->stats().connectionsOpened, 2u);  // 127.0.0.1 and localhost: two origins
}

TEST_F(HttpsTest, BodyBackpressureAndStreamedUpload) {
  TlsUpstream up("localhost", false);
  ClientOptions options;
  client(options, tls_.get());
  recorder_.hold = true;
  Outcome o;
  ClientExchange* ex = startHttps(o, "127.0.0.1", up.port, "/big");
  ASSERT_TRUE(runUntil([&] { return o.head || o.failed; }, 10000)) << o.error.message;
  for (int i = 0; i < 20; ++i) loop_->runOnce(10);
  const size_t bound = options.bodyHighWaterMark + engine::LoopOptions().recvBufferSize;
  EXPECT_LE(ex->bodyBuffered(), bound);
  std::string got;
  ASSERT_TRUE(runUntil([&] {
    EXPECT_LE(ex->bodyBuffered(), bound);
    char buf[16384];
    while (size_t n = ex->readBody(buf)) got.append(buf, n);
    return ex->bodyEnded() && ex->bodyBuffered() == 0;
  }, 10000));
  EXPECT_EQ(got, std::string(1000000, 'x'));
  ex->close();
  recorder_.hold = false;

  // A 2 MiB streamed body with a declared length, paced by wantsMore()/onWritable.
  constexpr size_t kTotal = 2 << 20;
  std::string chunk(32768, 'u');
  size_t written = 0;
  auto pump = [&](ClientExchange* e) {
    while (written < kTotal && e->wantsMore()) {
      ASSERT_TRUE(e->writeBodyCopy(chunk));
      written += chunk.size();
    }
    if (written == kTotal) {
      EXPECT_TRUE(e->endBody());
      written = kTotal + 1;
    }
  };
  recorder_.writable = pump;
  ClientRequest req;
  req.https = true;
  req.host = "127.0.0.1";
  req.port = up.port;
  req.method = "POST";
  req.streamBody = true;
  req.contentLength = kTotal;
  Outcome p;
  auto r = client_->start(req, recorder_);
  ASSERT_TRUE(r.ok());
  (*r)->userData = &p;
  pump(*r);
  ASSERT_TRUE(runUntil([&] { return p.ended || p.failed; }, 20000));
  EXPECT_FALSE(p.failed) << p.error.message;
  EXPECT_EQ(p.body, std::to_string(kTotal));
  EXPECT_TRUE(p.reused);
}

TEST_F(HttpsTest, ManyConcurrent) {
  TlsUpstream up("localhost", false);
  ClientOptions options;
  options.maxConnectionsPerOrigin = 16;
  client(options, tls_.get());
  constexpr int kCount = 100;
  std::vector<Outcome> o(kCount);
  std::vector<std::string> targets(kCount);
  for (int i = 0; i < kCount; ++i) {
    targets[i] = "/t" + std::to_string(i);
    startHttps(o[i], "127.0.0.1", up.port, targets[i]);
  }
  ASSERT_TRUE(runUntil([&] {
    for (auto& x : o) {
      if (!x.ended && !x.failed) return false;
    }
    return true;
  }, 30000));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_FALSE(o[i].failed) << o[i].error.message;
    EXPECT_EQ(o[i].body, "hello " + targets[i]);
  }
  EXPECT_LE(client_->stats().connectionsOpened, 16u);
}

TEST_F(HttpsTest, CloseDelimitedFromOpensslServer) {
  TlsUpstream up("localhost", true);
  client({}, tls_.get());
  Outcome o = fetchHttps("127.0.0.1", up.port);
  ASSERT_FALSE(o.failed) << o.error.message;
  EXPECT_EQ(o.status, 200);
  EXPECT_NE(o.body.find("Cipher"), std::string::npos) << o.body;  // s_server's status page
}

TEST_F(HttpsTest, CertificateErrorsAreTlsErrors) {
  TlsUpstream wrongName("other", true);
  client({}, tls_.get());
  Outcome a = fetchHttps("localhost", wrongName.port);
  ASSERT_TRUE(a.failed);
  EXPECT_EQ(a.error.stage, ClientStage::kTls);
  EXPECT_NE(a.error.message.find("TLS: "), std::string::npos) << a.error.message;
  EXPECT_NE(a.error.message.find("localhost:" + std::to_string(wrongName.port)),
            std::string::npos)
      << a.error.message;
  // A client trusting only the system store does not know the test CA.
  auto sys = TlsClientContext::create({});
  ASSERT_TRUE(sys.ok()) << sys.error();
  client_->closeIdle();
  runUntil([&] { return client_->stats().openConnections == 0; });
  client_.reset();
  TlsUpstream good("localhost", false);
  client({}, sys->get());
  Outcome b = fetchHttps("127.0.0.1", good.port);
  ASSERT_TRUE(b.failed);
  EXPECT_EQ(b.error.stage, ClientStage::kTls);
  printf("wrong name: %s\nunknown CA: %s\n", a.error.message.c_str(), b.error.message.c_str());
  client_->closeIdle();
  runUntil([&] { return client_->stats().openConnections == 0; });
  client_.reset();
}

}  // namespace
}  // namespace torus::net
