// The loop on both backends (every case runs on io_uring and on epoll): timers, cross-thread
// wakeups, multishot accept, multishot recv (on the ring, more data than the ring has
// buffers), ordered sends; then what epoll makes delicate: several operations on one fd, a
// close with an operation armed, a cancel of each kind of operation, sends that wait for a
// full socket, TORUS_IO and the fallback from a blocked io_uring.
#include "engine/loop.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/fault.h"

namespace torus::engine {
namespace {

const char* backendName(Backend b) { return b == Backend::kUring ? "Uring" : "Epoll"; }

// Every case below runs once per backend.
class LoopTest : public ::testing::TestWithParam<Backend> {
 protected:
  std::unique_ptr<Loop> makeLoop(LoopOptions o = {}) {
    o.backend = GetParam();
    auto loop = Loop::create(o);
    if (!loop.ok()) return nullptr;
    return std::move(loop).value();
  }
  bool epoll() const { return GetParam() == Backend::kEpoll; }
};

#define REQUIRE_LOOP(loop) \
  if (!(loop)) GTEST_SKIP() << backendName(GetParam()) << " unavailable here"

TEST_P(LoopTest, TimersFireInDeadlineOrderAndCancel) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  std::vector<int> order;
  struct T : Timer {
    T(Loop& l, std::vector<int>* o, int id)
        : Timer(l, [](Timer* t) {
            auto* self = static_cast<T*>(t);
            self->order->push_back(self->id);
          }),
          order(o),
          id(id) {}
    std::vector<int>* order;
    int id;
  };
  T a(*loop, &order, 1), b(*loop, &order, 2), c(*loop, &order, 3), d(*loop, &order, 4);
  a.arm(30);
  b.arm(10);
  c.arm(20);
  d.arm(15);
  d.cancel();
  EXPECT_FALSE(d.armed());
  EXPECT_EQ(loop->armedTimers(), 3u);
  while (loop->armedTimers() > 0) loop->runOnce(1000);
  EXPECT_EQ(order, (std::vector<int>{2, 3, 1}));
}

TEST_P(LoopTest, TimerRearmMovesDeadline) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int fired = 0;
  struct T : Timer {
    T(Loop& l, int* f) : Timer(l, [](Timer* t) { ++*static_cast<T*>(t)->f; }), f(f) {}
    int* f;
  } t(*loop, &fired);
  t.arm(5);
  t.arm(40);
  uint64_t start = loop->nowMs();
  while (t.armed()) loop->runOnce(1000);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(loop->nowMs() - start, 35u);
}

TEST_P(LoopTest, PostFromAnotherThreadRunsOnLoop) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  std::thread::id ranOn;
  std::thread other([&] {
    loop->post([&] {
      ranOn = std::this_thread::get_id();
      loop->stop();
    });
  });
  loop->run();
  other.join();
  EXPECT_EQ(ranOn, std::this_thread::get_id());
}

int listenLoopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(listen(fd, 64), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int connectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Accepts connections, echoes what each sends (ordered sends, one in flight per connection).
struct EchoServer {
  struct Conn {
    Conn(EchoServer* s, int fd) : server(s), fd(fd) {}
    void onRecv(const Completion& c) {
      if (c.result > 0) {
        received += size_t(c.result);
        queued.append(c.data.data(), c.data.size());
        flush();
      } else if (c.result == -ENOBUFS) {
        ++server->enobufs;
      } else {
        closed = true;
      }
      if (!c.more && !closed) server->loop->recv(fd, &recvOp);
    }
    void flush() {
      if (sendOp.pending() || queued.empty()) return;
      inFlight.swap(queued);
      queued.clear();
      iov = {inFlight.data(), inFlight.size()};
      server->loop->send(fd, &iov, 1, &sendOp);
    }
    void onSend(const Completion& c) {
      ASSERT_GT(c.result, 0);
      inFlight.erase(0, size_t(c.result));
      if (!inFlight.empty()) {  // partial send: resume with the rest, before anything newer
        queued.insert(0, inFlight);
        inFlight.clear();
      }
      flush();
    }
    EchoServer* server;
    int fd;
    bool closed = false;
    size_t received = 0;
    std::string queued, inFlight;
    iovec iov{};
    MemberOperation<Conn, &Conn::onRecv> recvOp{this};
    MemberOperation<Conn, &Conn::onSend> sendOp{this};
  };
  void onAccept(const Completion& c) {
    if (c.result == -ECANCELED) return;
    ASSERT_GE(c.result, 0);
    conns.push_back(std::make_unique<Conn>(this, c.result));
    loop->recv(c.result, &conns.back()->recvOp);
    if (!c.more) loop->accept(listenFd, &acceptOp);
  }
  Loop* loop;
  int listenFd;
  int enobufs = 0;
  std::vector<std::unique_ptr<Conn>> conns;
  MemberOperation<EchoServer, &EchoServer::onAccept> acceptOp{this};
};

TEST_P(LoopTest, MultishotAcceptRecvAndOrderedSend) {
  LoopOptions o;
  o.recvBufferCount = 8;
  o.recvBufferSize = 4096;
  auto loop = makeLoop(o);
  REQUIRE_LOOP(loop);
  uint16_t port;
  EchoServer server{loop.get(), listenLoopback(&port), 0, {}};
  loop->accept(server.listenFd, &server.acceptOp);

  // Three clients; each sends 1 MiB (256x the buffer ring's total) and reads it back.
  constexpr size_t kBytes = 1 << 20;
  std::vector<std::thread> clients;
  bool ok[3] = {};  // one byte each: the client threads write their own (not vector<bool>)
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&, i] {
      int fd = connectLoopback(port);
      std::string out(kBytes, '\0');
      for (size_t j = 0; j < kBytes; ++j) out[j] = char('a' + (j * 7 + i) % 26);
      std::thread writer([&] {
        size_t off = 0;
        while (off < kBytes) off += size_t(write(fd, out.data() + off, kBytes - off));
      });
      std::string in;
      char buf[65536];
      while (in.size() < kBytes) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, size_t(n));
      }
      writer.join();
      ok[i] = in == out;
      close(fd);
    });
  }
  std::thread stopper([&] {
    for (auto& c : clients) c.join();
    loop->post([&] { loop->stop(); });
  });
  loop->run();
  stopper.join();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(ok[i]) << "client " << i;
  ASSERT_EQ(server.conns.size(), 3u);
  for (auto& c : server.conns) EXPECT_EQ(c->received, kBytes);
  loop->cancel(&server.acceptOp);
  for (auto& c : server.conns) {
    loop->cancel(&c->recvOp);
    loop->close(c->fd);
  }
  while (loop->pendingOperations() > 0) loop->runOnce(1000);
  close(server.listenFd);
}

// A one-buffer recv: one completion of at most recvBufferSize bytes, more == false, and no
// more data taken from the socket until it is armed again.
struct OnceReader {
  void onRecv(const Completion& c) {
    ++completions;
    EXPECT_FALSE(c.more);
    if (c.result > 0) {
      EXPECT_LE(size_t(c.result), maxChunk);
      received += size_t(c.result);
    }
  }
  size_t maxChunk = 0;
  size_t received = 0;
  int completions = 0;
  MemberOperation<OnceReader, &OnceReader::onRecv> op{this};
};

TEST_P(LoopTest, RecvOnceTakesOneBufferPerArm) {
  LoopOptions o;
  o.recvBufferCount = 8;
  o.recvBufferSize = 4096;
  auto loop = makeLoop(o);
  REQUIRE_LOOP(loop);
  uint16_t port;
  int listenFd = listenLoopback(&port);
  int client = connectLoopback(port);
  int server = accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  std::string out(64 * 1024, 'x');
  ASSERT_EQ(write(client, out.data(), out.size()), ssize_t(out.size()));
  OnceReader r;
  r.maxChunk = o.recvBufferSize;
  loop->recvOnce(server, &r.op);
  while (r.op.pending()) loop->runOnce(1000);
  EXPECT_EQ(r.completions, 1);
  EXPECT_GT(r.received, 0u);  // at most one buffer (onRecv checks); the rest stays queued
  EXPECT_LT(r.received, out.size());
  for (int i = 0; i < 10; ++i) loop->runOnce(0);
  EXPECT_EQ(r.completions, 1);
  while (r.received < out.size()) {
    loop->recvOnce(server, &r.op);
    while (r.op.pending()) loop->runOnce(1000);
  }
  EXPECT_EQ(r.received, out.size());
  close(client);
  close(server);
  close(listenFd);
}

// What an outbound operation reported: the results of its completions, in order.
struct Recorder {
  void on(const Completion& c) {
    results.push_back(c.result);
    if (!c.more) finals++;
  }
  std::vector<int32_t> results;
  int finals = 0;
  MemberOperation<Recorder, &Recorder::on> op{this};
};

void runUntilIdle(Loop& loop, Operation& op) {
  for (int i = 0; i < 1000 && op.pending(); ++i) loop.runOnce(1000);
}

// socket + connect on the ring, to a listener on loopback, and to a port nobody listens on.
TEST_P(LoopTest, SocketAndConnect) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  uint16_t port;
  int listenFd = listenLoopback(&port);
  Recorder sock;
  loop->socket(AF_INET, SOCK_STREAM, 0, &sock.op);
  EXPECT_TRUE(sock.op.pending());
  EXPECT_TRUE(sock.results.empty());  // reported by a completion, never inside the call
  runUntilIdle(*loop, sock.op);
  ASSERT_EQ(sock.results.size(), 1u);
  int fd = sock.results[0];
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  Recorder conn;
  loop->connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, &conn.op);
  runUntilIdle(*loop, conn.op);
  ASSERT_EQ(conn.results.size(), 1u);
  EXPECT_EQ(conn.results[0], 0);
  int peer = accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_GE(peer, 0);
  close(peer);
  close(fd);

  // Refused: the listener is closed, so nothing listens on the port any more.
  close(listenFd);
  Recorder sock2, conn2;
  loop->socket(AF_INET, SOCK_STREAM, 0, &sock2.op);
  runUntilIdle(*loop, sock2.op);
  ASSERT_GE(sock2.results.at(0), 0);
  loop->connect(sock2.results[0], reinterpret_cast<sockaddr*>(&addr), sizeof addr, &conn2.op);
  runUntilIdle(*loop, conn2.op);
  EXPECT_EQ(conn2.results.at(0), -ECONNREFUSED);
  close(sock2.results[0]);
}

// A multishot poll reports each readiness and stays armed; cancel ends it with one final
// completion.
TEST_P(LoopTest, MultishotPollUntilCancelled) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Recorder p;
  loop->poll(sv[0], POLLIN, &p.op);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    size_t before = p.results.size();
    for (int j = 0; j < 100 && p.results.size() == before; ++j) loop->runOnce(1000);
    ASSERT_EQ(p.results.size(), before + 1);
    EXPECT_TRUE(p.results.back() & POLLIN);
    char c;
    ASSERT_EQ(read(sv[0], &c, 1), 1);  // not readable any more: the next write fires again
  }
  EXPECT_TRUE(p.op.pending());
  EXPECT_EQ(p.finals, 0);
  loop->cancel(&p.op);
  runUntilIdle(*loop, p.op);
  EXPECT_EQ(p.finals, 1);
  EXPECT_FALSE(p.op.pending());
  close(sv[0]);
  close(sv[1]);
}

TEST_P(LoopTest, DrainHookRunsOncePerTurnWithWork) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int hooks = 0;
  loop->addDrainHook([&] { ++hooks; });
  for (int i = 0; i < 5; ++i) loop->post([] {});
  loop->runOnce(1000);
  EXPECT_EQ(hooks, 1);  // five posts, one wakeup completion, one drain
  loop->runOnce(0);
  EXPECT_EQ(hooks, 1);  // nothing happened: no hook
}

// Owners that come and go (an isolate per reload) reuse removed slots, and a hook may add
// and remove hooks while the drain runs them.
TEST_P(LoopTest, DrainHooksComeAndGoWithoutGrowing) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  size_t first = loop->addDrainHook([] {});
  loop->removeDrainHook(first);
  for (int i = 0; i < 1000; ++i) {
    size_t id = loop->addDrainHook([] {});
    EXPECT_EQ(id, first);
    loop->removeDrainHook(id);
  }
  int added = 0;
  std::vector<size_t> ids;
  size_t self = 0;
  self = loop->addDrainHook([&] {
    // Enough new hooks to move the list; then this one goes.
    for (int i = 0; i < 64; ++i) ids.push_back(loop->addDrainHook([&] { ++added; }));
    loop->removeDrainHook(self);
  });
  loop->post([] {});
  loop->runOnce(1000);
  loop->post([] {});
  loop->runOnce(1000);
  EXPECT_EQ(added, 64 + 64);  // the new ones ran in the same drain (after it) and the next
  for (size_t id : ids) loop->removeDrainHook(id);
}


// What each backend promises about the turn: a completion never arrives inside the call that
// submitted the operation, even when its result is known at once.
TEST_P(LoopTest, CompletionsArriveFromTheTurn) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  Recorder s;
  iovec iov{const_cast<char*>("hi"), 2};
  loop->send(sv[0], &iov, 1, &s.op);
  EXPECT_TRUE(s.results.empty());
  EXPECT_EQ(loop->pendingOperations(), 1u);
  runUntilIdle(*loop, s.op);
  ASSERT_EQ(s.results, (std::vector<int32_t>{2}));
  EXPECT_EQ(loop->pendingOperations(), 0u);
  EXPECT_EQ(loop->stats().completions, 1u);
  close(sv[0]);
  close(sv[1]);
}

// A recv, a send and a poll armed on one fd at once: each completes for its own readiness.
TEST_P(LoopTest, SeveralOperationsOnOneFd) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  Recorder r, s, p;
  loop->recv(sv[0], &r.op);
  loop->poll(sv[0], POLLIN, &p.op);
  for (int i = 0; i < 3; ++i) loop->runOnce(0);
  EXPECT_TRUE(r.results.empty());
  EXPECT_TRUE(p.results.empty());
  // The send goes out while the recv and the poll stay armed.
  iovec iov[2] = {{const_cast<char*>("ab"), 2}, {const_cast<char*>("cde"), 3}};
  loop->send(sv[0], iov, 2, &s.op);
  runUntilIdle(*loop, s.op);
  ASSERT_EQ(s.results, (std::vector<int32_t>{5}));
  char buf[16];
  ASSERT_EQ(read(sv[1], buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), "abcde");
  EXPECT_TRUE(r.op.pending());
  EXPECT_TRUE(p.op.pending());
  // Data in: the recv takes it, the poll reports it.
  ASSERT_EQ(write(sv[1], "xyz", 3), 3);
  for (int i = 0; i < 100 && (r.results.empty() || p.results.empty()); ++i) loop->runOnce(1000);
  ASSERT_FALSE(r.results.empty());
  EXPECT_EQ(r.results[0], 3);
  ASSERT_FALSE(p.results.empty());
  EXPECT_TRUE(p.results[0] & POLLIN);
  // The peer closes: the recv ends with 0.
  close(sv[1]);
  for (int i = 0; i < 100 && r.op.pending(); ++i) loop->runOnce(1000);
  EXPECT_EQ(r.results.back(), 0);
  EXPECT_EQ(r.finals, 1);
  loop->cancel(&p.op);
  runUntilIdle(*loop, p.op);
  EXPECT_EQ(p.finals, 1);
  EXPECT_EQ(loop->pendingOperations(), 0u);
  close(sv[0]);
}

// A send larger than the socket buffer: completes (short or whole) once the peer reads; the
// caller resumes until everything is out, in order.
TEST_P(LoopTest, SendWaitsForAFullSocket) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  std::string out(4 << 20, '\0');
  for (size_t i = 0; i < out.size(); ++i) out[i] = char('a' + i % 23);
  std::string in;
  std::thread reader([&] {
    int fl = fcntl(sv[1], F_GETFL);
    fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);
    char buf[65536];
    while (in.size() < out.size()) {
      ssize_t n = read(sv[1], buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, size_t(n));
    }
  });
  Recorder s;
  size_t off = 0;
  int sends = 0;
  while (off < out.size()) {
    iovec iov{out.data() + off, out.size() - off};
    loop->send(sv[0], &iov, 1, &s.op);
    runUntilIdle(*loop, s.op);
    ASSERT_EQ(s.results.size(), size_t(++sends));
    ASSERT_GT(s.results.back(), 0);
    off += size_t(s.results.back());
  }
  reader.join();
  EXPECT_EQ(in, out);
  close(sv[0]);
  close(sv[1]);
}

// TORUS_FAULTS (base/fault.h) reaches the kernel: a short send really sends half of its
// first piece (the peer reads exactly those bytes), an injected error completes the send
// with -errno and sends nothing, and the sends after the plan's range are whole again.
TEST_P(LoopTest, InjectedSendFaults) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_TRUE(fault::configure("send=short@1+2,send=ECONNRESET@3").ok());
  std::string a(100, 'a'), b(50, 'b'), c = "seven!!";
  iovec two[2] = {{a.data(), a.size()}, {b.data(), b.size()}};
  iovec one{c.data(), c.size()};
  Recorder s;
  std::vector<int32_t> want = {50, 3, -ECONNRESET, 7};
  loop->send(sv[0], two, 2, &s.op);
  runUntilIdle(*loop, s.op);
  for (int i = 0; i < 3; ++i) {
    loop->send(sv[0], &one, 1, &s.op);
    runUntilIdle(*loop, s.op);
  }
  ASSERT_TRUE(fault::configure("").ok());
  EXPECT_EQ(s.results, want);
  char buf[256];
  ssize_t n = read(sv[1], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, size_t(n > 0 ? n : 0)), std::string(50, 'a') + "sev" + "seven!!");
  close(sv[0]);
  close(sv[1]);
}

// A cancel of each kind of operation: exactly one final completion, after the call, never
// inside it; -ECANCELED for what was waiting (a send or connect may report its result).
TEST_P(LoopTest, CancelEachKind) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  uint16_t port;
  int listenFd = listenLoopback(&port);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  auto check = [&](const char* what, Recorder& r, bool resultAllowed) {
    for (int i = 0; i < 2; ++i) loop->runOnce(0);  // let it reach the kernel
    EXPECT_TRUE(r.results.empty()) << what;
    loop->cancel(&r.op);
    EXPECT_TRUE(r.results.empty()) << what << ": completed inside cancel()";
    runUntilIdle(*loop, r.op);
    for (int i = 0; i < 3; ++i) loop->runOnce(0);
    EXPECT_FALSE(r.op.pending()) << what;
    EXPECT_EQ(r.finals, 1) << what;
    ASSERT_FALSE(r.results.empty()) << what;
    if (!resultAllowed || r.results.back() < 0) {
      EXPECT_EQ(r.results.back(), -ECANCELED) << what;
    }
  };
  {
    Recorder r;
    loop->accept(listenFd, &r.op);
    check("accept", r, false);
  }
  {
    Recorder r;
    loop->acceptOnce(listenFd, &r.op);
    check("acceptOnce", r, false);
  }
  {
    Recorder r;
    loop->recv(sv[0], &r.op);
    check("recv", r, false);
  }
  {
    Recorder r;
    loop->recvOnce(sv[0], &r.op);
    check("recvOnce", r, false);
  }
  {
    Recorder r;
    loop->poll(sv[0], POLLIN, &r.op);
    check("poll", r, false);
  }
  {
    // Fill the socket, then a send that has to wait.
    std::string junk(1 << 16, 'j');
    while (write(sv[0], junk.data(), junk.size()) > 0) {
    }
    Recorder r;
    iovec iov{junk.data(), junk.size()};
    loop->send(sv[0], &iov, 1, &r.op);
    check("send", r, true);
  }
  {
    // A connect that may still be in flight (or already done: its result is final then).
    Recorder sock;
    loop->socket(AF_INET, SOCK_STREAM, 0, &sock.op);
    runUntilIdle(*loop, sock.op);
    int fd = sock.results.at(0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    Recorder r;
    loop->connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, &r.op);
    EXPECT_TRUE(r.results.empty());
    loop->cancel(&r.op);
    runUntilIdle(*loop, r.op);
    EXPECT_EQ(r.finals, 1);
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_TRUE(r.results[0] == 0 || r.results[0] == -ECANCELED) << r.results[0];
    loop->close(fd);
  }
  // The listener and the socket still work after their operations were cancelled.
  {
    Recorder r;
    loop->acceptOnce(listenFd, &r.op);
    int c = connectLoopback(port);
    runUntilIdle(*loop, r.op);
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_GE(r.results[0], 0);
    if (r.results[0] >= 0) loop->close(r.results[0]);
    close(c);
  }
  EXPECT_EQ(loop->pendingOperations(), 0u);
  for (int i = 0; i < 3; ++i) loop->runOnce(0);
  close(sv[0]);
  close(sv[1]);
  close(listenFd);
}

// A close with an operation still armed on the fd (callers cancel first; this is the
// backstop): on epoll the operation ends with -ECANCELED and never reads the fd number again,
// even once a new socket has that number.
TEST_P(LoopTest, CloseWithAnOperationArmed) {
  if (!epoll()) GTEST_SKIP() << "io_uring keeps the file open while a recv holds it";
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  Recorder r;
  loop->recv(sv[0], &r.op);
  loop->runOnce(0);
  int number = sv[0];
  loop->close(sv[0]);
  EXPECT_TRUE(r.results.empty());
  runUntilIdle(*loop, r.op);
  ASSERT_EQ(r.results, (std::vector<int32_t>{-ECANCELED}));
  // The number comes back for a new socket with data waiting: nothing is reported to r.
  int nv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, nv), 0);
  EXPECT_EQ(nv[0], number);
  ASSERT_EQ(write(nv[1], "x", 1), 1);
  Recorder r2;
  loop->recv(nv[0], &r2.op);
  for (int i = 0; i < 100 && r2.results.empty(); ++i) loop->runOnce(1000);
  EXPECT_EQ(r2.results.at(0), 1);
  EXPECT_EQ(r.results.size(), 1u);
  loop->cancel(&r2.op);
  runUntilIdle(*loop, r2.op);
  close(sv[1]);
  close(nv[0]);
  close(nv[1]);
}

// An fd closed behind the loop's back (c-ares closes its own sockets) after its poll was
// cancelled, its number reused and polled again: the new poll works.
TEST_P(LoopTest, PollOnAReusedNumber) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  Recorder p;
  loop->poll(sv[0], POLLIN, &p.op);
  loop->runOnce(0);
  loop->cancel(&p.op);
  close(sv[0]);  // not loop->close
  close(sv[1]);
  runUntilIdle(*loop, p.op);
  int nv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, nv), 0);
  Recorder p2;
  loop->poll(nv[0], POLLIN, &p2.op);
  loop->runOnce(0);
  ASSERT_EQ(write(nv[1], "x", 1), 1);
  for (int i = 0; i < 100 && p2.results.empty(); ++i) loop->runOnce(1000);
  ASSERT_FALSE(p2.results.empty());
  EXPECT_TRUE(p2.results[0] & POLLIN);
  // Again with no turn in between (c-ares retires a watch, closes the socket and opens the
  // next query's socket in one callback): the registration that seems to match is stale.
  loop->cancel(&p2.op);
  close(nv[0]);
  close(nv[1]);
  int mv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, mv), 0);
  EXPECT_EQ(mv[0], nv[0]);
  Recorder p3;
  loop->poll(mv[0], POLLIN, &p3.op);
  ASSERT_EQ(write(mv[1], "y", 1), 1);
  for (int i = 0; i < 100 && p3.results.empty(); ++i) loop->runOnce(100);
  ASSERT_FALSE(p3.results.empty());
  EXPECT_TRUE(p3.results[0] & POLLIN);
  EXPECT_EQ(p2.finals, 1);
  loop->cancel(&p3.op);
  runUntilIdle(*loop, p3.op);
  close(mv[0]);
  close(mv[1]);
}

// A multishot accept takes a burst of connections, one completion each; a blocking listener
// (one the loop did not create) does not block the loop.
TEST_P(LoopTest, AcceptBurstOnABlockingListener) {
  auto loop = makeLoop();
  REQUIRE_LOOP(loop);
  uint16_t port;
  int listenFd = listenLoopback(&port);
  Recorder a;
  loop->accept(listenFd, &a.op);
  std::vector<int> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(connectLoopback(port));
  for (int i = 0; i < 100 && a.results.size() < 20; ++i) loop->runOnce(1000);
  ASSERT_EQ(a.results.size(), 20u);
  for (int fd : a.results) {
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    if (epoll()) {
      EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
    }
    loop->close(fd);
  }
  EXPECT_TRUE(a.op.pending());
  for (int i = 0; i < 3; ++i) loop->runOnce(0);  // spurious readiness: nothing, no blocking
  loop->cancel(&a.op);
  runUntilIdle(*loop, a.op);
  EXPECT_EQ(a.finals, 1);
  for (int fd : clients) close(fd);
  close(listenFd);
}

INSTANTIATE_TEST_SUITE_P(Backends, LoopTest, ::testing::Values(Backend::kUring, Backend::kEpoll),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(backendName(info.param));
                         });

// ---- choosing the backend ----

// Sets TORUS_IO for one scope.
struct ScopedEnv {
  explicit ScopedEnv(const char* value) {
    if (const char* old = getenv("TORUS_IO")) saved = old, had = true;
    if (value) {
      setenv("TORUS_IO", value, 1);
    } else {
      unsetenv("TORUS_IO");
    }
  }
  ~ScopedEnv() {
    if (had) {
      setenv("TORUS_IO", saved.c_str(), 1);
    } else {
      unsetenv("TORUS_IO");
    }
  }
  std::string saved;
  bool had = false;
};

TEST(Backend, TorusIoChoosesTheBackend) {
  {
    ScopedEnv env("epoll");
    auto loop = Loop::create({});
    ASSERT_TRUE(loop.ok()) << loop.error();
    EXPECT_STREQ((*loop)->backend(), "epoll");
    EXPECT_TRUE((*loop)->fallbackReason().empty());
    EXPECT_EQ((*loop)->features().rfind("epoll (chosen)", 0), 0u) << (*loop)->features();
  }
  {
    ScopedEnv env("uring");
    auto loop = Loop::create({});
    if (loop.ok()) {
      EXPECT_STREQ((*loop)->backend(), "io_uring");
    } else {
      EXPECT_NE(loop.error().find("io_uring"), std::string::npos) << loop.error();
    }
  }
  for (const char* v : {"auto", "", static_cast<const char*>(nullptr)}) {
    ScopedEnv env(v);
    auto loop = Loop::create({});
    ASSERT_TRUE(loop.ok()) << loop.error();
    // io_uring where it works; else epoll, saying why.
    if (std::string((*loop)->backend()) == "epoll") {
      EXPECT_FALSE((*loop)->fallbackReason().empty());
    } else {
      EXPECT_TRUE((*loop)->fallbackReason().empty());
    }
  }
  {
    ScopedEnv env("kqueue");
    auto loop = Loop::create({});
    ASSERT_FALSE(loop.ok());
    EXPECT_NE(loop.error().find("TORUS_IO=kqueue"), std::string::npos) << loop.error();
    EXPECT_NE(loop.error().find("uring, epoll or auto"), std::string::npos) << loop.error();
  }
  {
    // An explicit backend in the options wins over the variable.
    ScopedEnv env("kqueue");
    LoopOptions o;
    o.backend = Backend::kEpoll;
    auto loop = Loop::create(o);
    ASSERT_TRUE(loop.ok()) << loop.error();
    EXPECT_STREQ((*loop)->backend(), "epoll");
  }
}

// From here on io_uring_setup fails with EPERM (as under Docker's default seccomp profile).
bool denyIoUring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{sizeof filter / sizeof filter[0], filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
}

// In a child process with io_uring blocked: kAuto serves on epoll and keeps the ring's
// error; kUring fails with it.
TEST(Backend, AutoFallsBackToEpollWhenTheRingIsBlocked) {
  ScopedEnv env(nullptr);
  EXPECT_EXIT(
      {
        if (!denyIoUring()) _exit(2);
        auto uring = Loop::create(LoopOptions{64, 16, 4096, Backend::kUring});
        if (uring.ok() || uring.error().find("cannot create an io_uring ring") ==
                              std::string::npos) {
          _exit(3);
        }
        auto loop = Loop::create(LoopOptions{64, 16, 4096});
        if (!loop.ok() || std::string((*loop)->backend()) != "epoll") _exit(4);
        const std::string& why = (*loop)->fallbackReason();
        if (why.find("cannot create an io_uring ring") == std::string::npos ||
            why.find("Operation not permitted") == std::string::npos) {
          _exit(5);
        }
        if ((*loop)->features().find("io_uring unavailable") == std::string::npos) _exit(6);
        // And it runs: a post and a timer.
        bool posted = false;
        (*loop)->post([&] { posted = true; });
        for (int i = 0; i < 10 && !posted; ++i) (*loop)->runOnce(100);
        _exit(posted ? 0 : 7);
      },
      ::testing::ExitedWithCode(0), "");
}
}  // namespace
}  // namespace torus::engine
