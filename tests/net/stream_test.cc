// HttpServer's send queue and body sink on a real ring and real loopback sockets: memory of a
// long streamed response bounded by the queue, PieceOwner releases, declared Content-Length
// checks, abortStream, streamed uploads with recv paused by a slow handler, the body timeout,
// 413 mid-body, and the complete-body fast path.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/http_server.h"
#include "tests/net/server_fixture.h"

namespace torus::net {
namespace {

constexpr HttpHeader kText[] = {{"content-type", "text/plain"}};
constexpr size_t kChunk = 16 * 1024;

const std::string& pattern() {
  static const std::string s = [] {
    std::string p(1 << 20, '\0');
    for (size_t i = 0; i < p.size(); ++i) p[i] = char('a' + i % 23);
    return p;
  }();
  return s;
}

// Answers by path. Everything runs on the loop thread; tests read the counters there.
class StreamHandler : public RequestHandler {
 public:
  explicit StreamHandler(engine::Loop& loop) : loop_(loop), tick_(loop, this) {}

  struct Producer {
    uint64_t left = 0;  // bytes still to write; UINT64_MAX: until aborted
    bool copy = false;
  };
  struct Upload {
    uint64_t read = 0;
    uint64_t readPerTick = 64 * 1024;
    uint64_t startAtMs = 0;  // no reading before (a handler that is busy)
  };

  void onRequest(Exchange* ex) override {
    live.insert(ex);
    std::string_view target = ex->request().target;
    if (target.rfind("/produce", 0) == 0) {
      Producer& p = producers[ex];
      p.copy = target.find("copy") != std::string_view::npos;
      p.left = target.find("forever") != std::string_view::npos ? UINT64_MAX : 64ull << 20;
      ex->startStream(200, kText);
      heapAtStart = ex->heap().bytesAllocated();
      produce(ex);
    } else if (target == "/declared-over") {
      ex->startStream(200, kText, {}, 10);
      overAccepted = ex->writeChunk(pattern().substr(0, 15), owner());
    } else if (target == "/declared-short") {
      ex->startStream(200, kText, {}, 10);
      ex->writeChunk(std::string_view(pattern()).substr(0, 5), owner());
      shortEnded = ex->endStream();
    } else if (target == "/declared-exact") {
      ex->startStream(200, kText, {}, 10);
      ex->writeChunk(std::string_view(pattern()).substr(0, 4), owner());
      ex->writeChunkCopy(std::string_view(pattern()).substr(4, 6));
      exactEnded = ex->endStream();
    } else if (target == "/echo") {
      echoes.insert(ex);
      ex->startStream(200, kText);
      pump(ex);
    } else if (target == "/owned-body") {
      // A large body sent from where it is, and a small one copied next to the head.
      ex->respond(200, kText, std::string_view(pattern()), {}, owner());
    } else if (target == "/owned-small") {
      ex->respond(200, kText, std::string_view(pattern()).substr(0, 100), {}, owner());
    } else if (target == "/abort") {
      ex->startStream(200, kText);
      ex->writeChunkCopy(std::string_view("abc"));
      ex->abortStream();
    } else if (target.rfind("/upload", 0) == 0) {
      Upload& u = uploads[ex];
      if (target == "/upload-busy") u.startAtMs = loop_.nowMs() + busyMs;
      if (target == "/upload-eager") u.readPerTick = UINT64_MAX;
      bodyCompleteAtRequest[std::string(target)] = ex->bodyComplete();
      if (ex->bodyComplete()) {
        finishUpload(ex, ex->request().body->size());
        return;
      }
      if (!tick_.armed()) tick_.arm(1);
    } else {
      // The fast path: the body is whole here.
      bodyCompleteAtRequest[std::string(target)] = ex->bodyComplete();
      std::string_view b = ex->heap().copy(std::to_string(ex->request().body->size()) + "\n");
      ex->respond(200, kText, {b.data(), b.size()});
    }
  }
  void onBodyData(Exchange* ex) override {
    ++bodyNotifications;
    if (echoes.count(ex)) {
      pump(ex);
      return;
    }
    if (ex->bodyError()) {
      bodyErrors.push_back(ex->bodyError());
      uploads.erase(ex);
      return;
    }
    auto it = uploads.find(ex);
    if (it != uploads.end() && it->second.readPerTick == UINT64_MAX) drain(ex, it->second);
  }
  void onWritable(Exchange* ex) override {
    ++writables;
    if (echoes.count(ex)) {
      pump(ex);
      return;
    }
    produce(ex);
  }
  void onDone(Exchange* ex) override {
    forget(ex);
    ++done;
  }
  void onAbort(Exchange* ex) override {
    forget(ex);
    ++aborted;
  }
  bool streamsBodies() const override { return true; }

  HttpServer* server = nullptr;
  std::set<Exchange*> live;
  std::set<Exchange*> echoes;
  std::map<Exchange*, Producer> producers;
  std::map<Exchange*, Upload> uploads;
  std::map<std::string, bool> bodyCompleteAtRequest;
  std::vector<int> bodyErrors;
  uint64_t busyMs = 0;
  int done = 0, aborted = 0, writables = 0, bodyNotifications = 0;
  // Send side.
  uint64_t owned = 0, released = 0, maxOwnersHeld = 0;
  size_t maxQueued = 0, maxPoolBlocks = 0, maxPieces = 0;
  size_t heapAtStart = 0, heapGrowth = 0;
  bool overAccepted = true, shortEnded = true, exactEnded = false;
  // Body side.
  size_t maxBuffered = 0;
  uint64_t uploadedBytes = 0;

 private:
  // One token per owned piece: each must be released exactly once.
  struct Token {
    StreamHandler* handler;
    int releases = 0;
  };
  PieceOwner owner() {
    ++owned;
    tokens_.push_back({this});
    return PieceOwner{&StreamHandler::countRelease, &tokens_.back()};
  }
  static void countRelease(void* arg) {
    auto* t = static_cast<Token*>(arg);
    ++t->releases;
    ++t->handler->released;
  }

 public:
  bool eachReleasedOnce() const {
    for (const Token& t : tokens_) {
      if (t.releases != 1) return false;
    }
    return true;
  }

 private:

  void produce(Exchange* ex) {
    auto it = producers.find(ex);
    if (it == producers.end()) return;
    Producer& p = it->second;
    while (p.left > 0 && ex->wantsMore()) {
      size_t n = size_t(std::min<uint64_t>(kChunk, p.left));
      std::string_view data = std::string_view(pattern()).substr(0, n);
      bool ok = p.copy ? ex->writeChunkCopy(data) : ex->writeChunk(data, owner());
      EXPECT_TRUE(ok);
      if (p.left != UINT64_MAX) p.left -= n;
      maxQueued = std::max(maxQueued, ex->queuedBytes());
      maxPoolBlocks = std::max(maxPoolBlocks, server->poolBlocksOutstanding());
      maxPieces = std::max(maxPieces, server->piecesOutstanding());
      maxOwnersHeld = std::max(maxOwnersHeld, owned - released);
      heapGrowth = std::max(heapGrowth, ex->heap().bytesAllocated() - heapAtStart);
    }
    if (p.left == 0) {
      producers.erase(it);
      ex->endStream();
    }
  }
  // Echoes the body as it arrives: reads only while the send queue wants more, so the
  // client's reading speed throttles its sending through both buffers.
  void pump(Exchange* ex) {
    if (ex->bodyError()) {
      echoes.erase(ex);
      ex->abortStream();
      return;
    }
    while (echoes.count(ex) && ex->wantsMore()) {
      std::span<const char> s = ex->peekBody();
      if (s.empty()) break;
      ex->writeChunkCopy(s);
      ex->consumeBody(s.size());  // may resume parsing, and call back here
      maxBuffered = std::max(maxBuffered, ex->bodyBuffered());
      maxQueued = std::max(maxQueued, ex->queuedBytes());
      maxPoolBlocks = std::max(maxPoolBlocks, server->poolBlocksOutstanding());
    }
    if (echoes.count(ex) && ex->bodyEnded() && ex->bodyBuffered() == 0) {
      echoes.erase(ex);
      ex->endStream();
    }
  }
  void drain(Exchange* ex, Upload& u) {
    static char buf[256 * 1024];
    maxBuffered = std::max(maxBuffered, ex->bodyBuffered());
    maxPoolBlocks = std::max(maxPoolBlocks, server->poolBlocksOutstanding());
    uint64_t budget = u.readPerTick;
    while (budget > 0) {
      size_t n = ex->readBody({buf, size_t(std::min<uint64_t>(sizeof buf, budget))});
      if (n == 0) break;
      u.read += n;
      budget -= n;
    }
    if (ex->bodyEnded() && ex->bodyBuffered() == 0 && !ex->responded()) {
      uint64_t total = u.read;
      uploads.erase(ex);
      finishUpload(ex, total);
    }
  }
  void finishUpload(Exchange* ex, uint64_t total) {
    uploadedBytes = total;
    std::string_view b = ex->heap().copy("read " + std::to_string(total) + "\n");
    ex->respond(200, kText, {b.data(), b.size()});
  }
  void onTick() {
    uint64_t now = loop_.nowMs();
    std::vector<Exchange*> due;
    for (auto& [ex, u] : uploads) {
      if (now >= u.startAtMs) due.push_back(ex);
    }
    for (Exchange* ex : due) {
      auto it = uploads.find(ex);
      if (it != uploads.end()) drain(ex, it->second);
    }
    if (!uploads.empty()) tick_.arm(1);
  }
  void forget(Exchange* ex) {
    live.erase(ex);
    echoes.erase(ex);
    producers.erase(ex);
    uploads.erase(ex);
  }

  std::deque<Token> tokens_;  // stable addresses
  engine::Loop& loop_;
  engine::MemberTimer<StreamHandler, &StreamHandler::onTick> tick_;
};

class StreamTest : public ServerOnLoopThread<StreamHandler> {
 protected:
  void configure(StreamHandler& h) override { h.busyMs = busyMs_; }
  void attach(StreamHandler& h, HttpServer& server) override { h.server = &server; }

  // Runs f on the loop thread and returns its result.
  template <typename F>
  auto onLoop(F f) {
    std::promise<decltype(f())> p;
    auto got = p.get_future();
    loop_->post([&] { p.set_value(f()); });
    return got.get();
  }
  // Waits (up to 5 s) until pred() holds on the loop thread.
  template <typename F>
  bool waitFor(F pred) {
    for (int i = 0; i < 500; ++i) {
      if (onLoop(pred)) return true;
      usleep(10000);
    }
    return false;
  }

  int connectClient(int rcvbuf = 0) { return ServerOnLoopThread::connectClient(rcvbuf, 10); }
  // Sends until done or an error (the server may close mid-upload); false on an error.
  static bool sendAll(int fd, std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(size_t(n));
    }
    return true;
  }
  static bool sendPattern(int fd, uint64_t total) {
    const std::string& p = pattern();
    while (total > 0) {
      size_t n = size_t(std::min<uint64_t>(total, p.size()));
      if (!sendAll(fd, {p.data(), n})) return false;
      total -= n;
    }
    return true;
  }
  static std::string readUntil(int fd, std::string_view until) {
    std::string got;
    char buf[65536];
    while (got.find(until) == std::string::npos) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, size_t(n));
    }
    return got;
  }
  static std::string readToEof(int fd) {
    std::string got;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, size_t(n));
    return got;
  }
  static std::string bodyOf(const std::string& response) {
    size_t p = response.find("\r\n\r\n");
    return p == std::string::npos ? "" : response.substr(p + 4);
  }

  uint64_t busyMs_ = 0;
};

// Reads a chunked body to its terminating chunk, slowly (a pause every MiB), checking the
// framing; returns the body bytes seen, or -1 on a framing error.
int64_t readChunkedSlowly(int fd) {
  std::string buf;
  char tmp[65536];
  size_t pos = 0;
  uint64_t total = 0, sinceSleep = 0;
  auto need = [&](size_t n) {
    while (buf.size() - pos < n) {
      if (pos > (1 << 20)) {
        buf.erase(0, pos);
        pos = 0;
      }
      ssize_t r = read(fd, tmp, sizeof tmp);
      if (r <= 0) return false;
      buf.append(tmp, size_t(r));
      sinceSleep += size_t(r);
      if (sinceSleep > (1 << 20)) {
        sinceSleep = 0;
        usleep(2000);
      }
    }
    return true;
  };
  // The head.
  for (;;) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      pos = end + 4;
      break;
    }
    if (!need(buf.size() - pos + 1)) return -1;
  }
  for (;;) {
    size_t eol;
    while ((eol = buf.find("\r\n", pos)) == std::string::npos) {
      if (!need(buf.size() - pos + 1)) return -1;
    }
    size_t size = std::stoul(buf.substr(pos, eol - pos), nullptr, 16);
    pos = eol + 2;
    if (!need(size + 2)) return -1;
    if (buf.compare(pos + size, 2, "\r\n") != 0) return -1;
    pos += size + 2;
    if (size == 0) return int64_t(total);
    total += size;
  }
}

TEST_F(StreamTest, LongStreamToASlowReaderStaysWithinTheQueue) {
  int fd = connectClient(64 * 1024);
  sendAll(fd, "GET /produce HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(readChunkedSlowly(fd), int64_t(64) << 20);
  ASSERT_TRUE(waitFor([&] { return handler_->done == 1; }));
  auto [maxQueued, maxPieces, heapGrowth, owned, released, writables, held, once] = onLoop([&] {
    return std::tuple{handler_->maxQueued,  handler_->maxPieces, handler_->heapGrowth,
                      handler_->owned,      handler_->released,  handler_->writables,
                      handler_->maxOwnersHeld, handler_->eachReleasedOnce()};
  });
  // Owners go as their bytes are acknowledged, not at the end: only the queue's hold them.
  EXPECT_LE(held, options_.sendHighWaterMark / kChunk + 1);
  EXPECT_TRUE(once);
  // The producer follows wantsMore(): at most one chunk (and its framing: the size line and
  // CRLFs of the chunks queued when a send was short) beyond the mark.
  EXPECT_LE(maxQueued, options_.sendHighWaterMark + kChunk + 64);
  EXPECT_LT(maxPieces, 3 * (options_.sendHighWaterMark / kChunk + 2) + 8);
  EXPECT_EQ(heapGrowth, 0u);  // no chunk framing or piece arrays in the request heap
  EXPECT_GT(writables, 0);
  EXPECT_EQ(owned, uint64_t(4096));  // 64 MiB in 16 KiB chunks
  EXPECT_EQ(released, owned);        // each owner released once, as its bytes went out
  EXPECT_EQ(onLoop([&] { return server_->piecesOutstanding(); }), 0u);
  close(fd);
}

TEST_F(StreamTest, CopiedChunksUseABoundedNumberOfPoolBlocks) {
  int fd = connectClient(64 * 1024);
  sendAll(fd, "GET /produce-copy HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(readChunkedSlowly(fd), int64_t(64) << 20);
  ASSERT_TRUE(waitFor([&] { return handler_->done == 1; }));
  auto [maxQueued, maxBlocks, blocksNow] = onLoop([&] {
    return std::tuple{handler_->maxQueued, handler_->maxPoolBlocks,
                      server_->poolBlocksOutstanding()};
  });
  EXPECT_LE(maxQueued, options_.sendHighWaterMark + kChunk + 64);
  EXPECT_LE(maxBlocks, options_.sendHighWaterMark / kChunk + 3);
  EXPECT_EQ(blocksNow, 0u);
  close(fd);
}

TEST_F(StreamTest, OwnersAreReleasedOnceAlsoOnDisconnect) {
  int fd = connectClient(64 * 1024);
  sendAll(fd, "GET /produce-forever HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[65536];
  size_t got = 0;
  while (got < (4 << 20)) {
    ssize_t n = read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    got += size_t(n);
  }
  linger lg{1, 0};  // RST on close
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  ASSERT_TRUE(waitFor([&] { return handler_->aborted == 1 && server_->connections() == 0; }));
  auto [owned, released, pieces] = onLoop([&] {
    return std::tuple{handler_->owned, handler_->released, server_->piecesOutstanding()};
  });
  EXPECT_GT(owned, 0u);
  EXPECT_EQ(released, owned);
  EXPECT_EQ(pieces, 0u);
  EXPECT_TRUE(onLoop([&] { return handler_->eachReleasedOnce(); }));
}

TEST_F(StreamTest, DeclaredContentLengthIsHeldToIt) {
  int fd = connectClient();
  sendAll(fd, "GET /declared-exact HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "\r\n\r\n");
  char buf[64];
  while (bodyOf(got).size() < 10) {
    ssize_t n = read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, size_t(n));
  }
  EXPECT_NE(got.find("Content-Length: 10\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
  EXPECT_EQ(bodyOf(got), pattern().substr(0, 10));
  EXPECT_TRUE(onLoop([&] { return handler_->exactEnded; }));
  // The connection stays usable.
  sendAll(fd, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(readUntil(fd, "0\n").find("200 OK"), std::string::npos);
  close(fd);

  fd = connectClient();
  sendAll(fd, "GET /declared-over HTTP/1.1\r\nHost: x\r\n\r\n");
  got = readToEof(fd);
  EXPECT_NE(got.find("Content-Length: 10\r\n"), std::string::npos) << got;
  EXPECT_EQ(bodyOf(got), "");  // the chunk that overshoots is refused; the connection closes
  close(fd);

  fd = connectClient();
  sendAll(fd, "GET /declared-short HTTP/1.1\r\nHost: x\r\n\r\n");
  got = readToEof(fd);
  EXPECT_EQ(bodyOf(got), pattern().substr(0, 5));  // 5 of 10, then the close
  close(fd);

  auto [over, shortEnded, aborts, owned, released] = onLoop([&] {
    return std::tuple{handler_->overAccepted, handler_->shortEnded,
                      server_->stats().streamsAborted, handler_->owned, handler_->released};
  });
  EXPECT_FALSE(over);
  EXPECT_FALSE(shortEnded);
  EXPECT_EQ(aborts, 2u);
  EXPECT_TRUE(waitFor([&] { return handler_->released == handler_->owned; }));
  EXPECT_TRUE(onLoop([&] { return handler_->eachReleasedOnce(); }));
}

TEST_F(StreamTest, OwnedBodiesAndUnsentChunksAreReleasedOnce) {
  int fd = connectClient();
  sendAll(fd,
          "GET /owned-body HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /owned-small HTTP/1.1\r\nHost: x\r\n\r\n"
          "HEAD /produce HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /end HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "\r\n\r\n0\n");  // /end's body: "0\n"
  EXPECT_NE(got.find(pattern()), std::string::npos);
  EXPECT_NE(got.find("\r\n\r\n" + pattern().substr(0, 100) + "HTTP/1.1 200"),
            std::string::npos);
  ASSERT_TRUE(waitFor([&] { return handler_->done == 4; }));
  auto [owned, released, once] = onLoop([&] {
    return std::tuple{handler_->owned, handler_->released, handler_->eachReleasedOnce()};
  });
  EXPECT_EQ(owned, 2u + 4096u);  // two bodies, and the HEAD stream's chunks (not sent)
  EXPECT_EQ(released, owned);
  EXPECT_TRUE(once);
  close(fd);
}

TEST_F(StreamTest, AbortStreamSendsNoTerminatingChunk) {
  int fd = connectClient();
  sendAll(fd, "GET /abort HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readToEof(fd);
  EXPECT_EQ(bodyOf(got), "3\r\nabc\r\n") << got;  // no "0\r\n\r\n", nothing for /next
  close(fd);
  EXPECT_TRUE(waitFor([&] { return handler_->done == 1 && server_->connections() == 0; }));
  EXPECT_EQ(onLoop([&] { return server_->stats().streamsAborted; }), 1u);
}

TEST_F(StreamTest, ContinueIsSentAtTheHandoverAndTheBodyStreams) {
  int fd = connectClient();
  sendAll(fd,
          "POST /upload-eager HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
          "Content-Length: 100000\r\n\r\n");
  EXPECT_EQ(readUntil(fd, "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  sendPattern(fd, 100000);
  EXPECT_NE(readUntil(fd, "read 100000\n").find("read 100000\n"), std::string::npos);
  EXPECT_FALSE(onLoop([&] { return handler_->bodyCompleteAtRequest["/upload-eager"]; }));
  close(fd);
}

TEST_F(StreamTest, CompleteBodyKeepsTheFastPath) {
  int fd = connectClient();
  sendAll(fd,
          "POST /whole HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
          "POST /whole-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  std::string got = readUntil(fd, "\n7\n");
  EXPECT_NE(got.find("\r\n\r\n10\n"), std::string::npos) << got;
  EXPECT_NE(got.find("\r\n\r\n7\n"), std::string::npos) << got;
  auto [whole, chunked, notes, streams] = onLoop([&] {
    return std::tuple{handler_->bodyCompleteAtRequest["/whole"],
                      handler_->bodyCompleteAtRequest["/whole-chunked"],
                      handler_->bodyNotifications, server_->stats().bodyStreams};
  });
  EXPECT_TRUE(whole);
  EXPECT_TRUE(chunked);
  EXPECT_EQ(notes, 0);
  EXPECT_EQ(streams, 0u);
  close(fd);
}

class BigBodyStreamTest : public StreamTest {
 protected:
  void SetUp() override {
    options_.limits.maxBodyBytes = 1ull << 30;
    StreamTest::SetUp();
  }
};

TEST_F(BigBodyStreamTest, LargeUploadReadSlowlyStaysWithinTheMark) {
  constexpr uint64_t kTotal = 256ull << 20;
  int fd = connectClient();
  std::thread sender([&] {
    sendAll(fd, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kTotal) +
                    "\r\n\r\n");
    sendPattern(fd, kTotal);
  });
  std::string got = readUntil(fd, "read ");
  while (got.find('\n', got.find("read ")) == std::string::npos) {
    std::string more = readUntil(fd, "\n");
    if (more.empty()) break;
    got += more;
  }
  sender.join();
  EXPECT_NE(got.find("read " + std::to_string(kTotal) + "\n"), std::string::npos) << got;
  auto [maxBuffered, pauses, atRequest, blocks] = onLoop([&] {
    return std::tuple{handler_->maxBuffered, server_->stats().bodyPauses,
                      handler_->bodyCompleteAtRequest["/upload"], handler_->maxPoolBlocks};
  });
  EXPECT_FALSE(atRequest);
  EXPECT_LE(maxBuffered, options_.bodyHighWaterMark);
  EXPECT_GT(pauses, 0u);
  EXPECT_LE(blocks, options_.bodyHighWaterMark / kChunk + 3);
  // Raw input waiting behind the full buffer: what recvs in flight had taken, not the socket.
  EXPECT_LE(onLoop([&] { return server_->stats().stashPeakBytes; }), 512u * 1024);
  close(fd);
}

TEST_F(BigBodyStreamTest, EchoStreamsBothWaysWithinTheMarks) {
  constexpr uint64_t kTotal = 32ull << 20;
  int fd = connectClient(64 * 1024);
  std::thread sender([&] {
    sendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kTotal) +
                    "\r\n\r\n");
    sendPattern(fd, kTotal);
  });
  EXPECT_EQ(readChunkedSlowly(fd), int64_t(kTotal));
  sender.join();
  ASSERT_TRUE(waitFor([&] { return handler_->done == 1; }));
  auto [maxBuffered, maxQueued, blocks, blocksNow] = onLoop([&] {
    return std::tuple{handler_->maxBuffered, handler_->maxQueued, handler_->maxPoolBlocks,
                      server_->poolBlocksOutstanding()};
  });
  EXPECT_LE(maxBuffered, options_.bodyHighWaterMark);
  EXPECT_LE(maxQueued, options_.sendHighWaterMark + options_.bodyHighWaterMark + 64);
  EXPECT_LE(onLoop([&] { return server_->stats().stashPeakBytes; }), 512u * 1024);
  EXPECT_LE(blocks, 2 * (options_.sendHighWaterMark / kChunk) + 6);
  EXPECT_EQ(blocksNow, 0u);
  close(fd);
}

class BodyTimeoutTest : public StreamTest {
 protected:
  void SetUp() override {
    options_.bodyTimeoutMs = 200;
    busyMs_ = 700;  // /upload-busy reads nothing for this long
    StreamTest::SetUp();
  }
};

TEST_F(BodyTimeoutTest, ASlowHandlerIsNotTheClientsPause) {
  constexpr uint64_t kTotal = 2ull << 20;
  int fd = connectClient();
  std::thread sender([&] {
    sendAll(fd, "POST /upload-busy HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(kTotal) + "\r\n\r\n");
    sendPattern(fd, kTotal);
  });
  std::string got = readUntil(fd, "read ");
  while (got.find('\n', got.find("read ")) == std::string::npos) {
    std::string more = readUntil(fd, "\n");
    if (more.empty()) break;
    got += more;
  }
  sender.join();
  EXPECT_NE(got.find("read " + std::to_string(kTotal) + "\n"), std::string::npos) << got;
  EXPECT_GT(onLoop([&] { return server_->stats().bodyPauses; }), 0u);
  close(fd);
}

TEST_F(BodyTimeoutTest, AStalledClientTimesOut) {
  int fd = connectClient();
  sendAll(fd, "POST /upload-eager HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  sendPattern(fd, 1000);
  auto start = std::chrono::steady_clock::now();
  std::string got = readToEof(fd);  // the server closes: no response
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got, "");
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_TRUE(waitFor([&] { return handler_->aborted == 1; }));
  close(fd);
}

class SmallBodyLimitTest : public StreamTest {
 protected:
  void SetUp() override {
    options_.limits.maxBodyBytes = 1 << 20;
    StreamTest::SetUp();
  }
};

TEST_F(SmallBodyLimitTest, OverTheLimitMidBodyIs413) {
  int fd = connectClient();
  std::thread sender([&] {
    if (!sendAll(fd, "POST /upload-eager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
      return;
    std::string chunk = "10000\r\n" + pattern().substr(0, 0x10000) + "\r\n";
    for (int i = 0; i < 32; ++i) {
      if (!sendAll(fd, chunk)) return;
    }
    sendAll(fd, "0\r\n\r\n");
  });
  std::string got = readUntil(fd, "too large");
  sender.join();
  EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
  EXPECT_TRUE(waitFor([&] { return handler_->done == 1; }));
  auto [errors, streams] = onLoop(
      [&] { return std::tuple{handler_->bodyErrors, server_->stats().bodyStreams}; });
  EXPECT_EQ(errors, std::vector<int>{413});
  EXPECT_EQ(streams, 1u);
  close(fd);
}

}  // namespace
}  // namespace torus::net
