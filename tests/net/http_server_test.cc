// HttpServer on a real ring and real loopback sockets, with a C++ handler: response order
// under pipelining, streamed (chunked / close-delimited) responses, large responses that
// need several sends, HEAD.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/net/server_fixture.h"

namespace torus::net {
namespace {

// Answers by path: /fast, /slow (after 50 ms), /stream, /stream-later (a chunk now, the
// rest 30 ms later), /big (8 MiB).
class TestHandler : public RequestHandler {
 public:
  explicit TestHandler(engine::Loop& loop) : loop_(loop) {}

  void onRequest(Exchange* ex) override {
    live.insert(ex);
    std::string_view target = ex->request().target;
    if (target == "/slow") {
      auto* t = new Later(loop_, ex, this, Later::kRespond);
      t->arm(50);
    } else if (target == "/stream") {
      ex->startStream(200, kText);
      ex->writeChunk(text(ex, "hello "));
      ex->writeChunk(text(ex, "world"));
      ex->endStream();
    } else if (target == "/stream-later") {
      ex->startStream(200, kText);
      ex->writeChunk(text(ex, "first;"));
      auto* t = new Later(loop_, ex, this, Later::kFinishStream);
      t->arm(30);
    } else if (target == "/reason") {
      std::string_view b = text(ex, "r\n");
      ex->respond(299, kText, {b.data(), b.size()}, "Custom\tReason \xE9");
    } else if (target == "/stream-reason") {
      ex->startStream(202, kText, "Streaming Along");
      ex->writeChunk(text(ex, "x"));
      ex->endStream();
    } else if (target == "/big") {
      std::string_view body = bigBody(ex);
      ex->respond(200, kText, {body.data(), body.size()});
    } else {
      std::string_view body = text(ex, std::string(target) + "\n");
      ex->respond(200, kText, {body.data(), body.size()});
    }
  }
  void onDone(Exchange* ex) override {
    live.erase(ex);
    ++done;
  }
  void onAbort(Exchange* ex) override {
    live.erase(ex);
    ++aborted;
  }

  static std::string bigPattern() {
    std::string s(8 << 20, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = char('a' + i % 23);
    return s;
  }

  int done = 0;
  int aborted = 0;
  std::set<Exchange*> live;  // exchanges the handler may still touch

 private:
  static constexpr HttpHeader kText[] = {{"content-type", "text/plain"}};
  struct Later : engine::Timer {
    enum Kind { kRespond, kFinishStream };
    Later(engine::Loop& loop, Exchange* ex, TestHandler* h, Kind kind)
        : engine::Timer(loop,
                        [](engine::Timer* t) {
                          auto* self = static_cast<Later*>(t);
                          if (!self->handler->live.count(self->ex)) {
                            // aborted meanwhile: nothing to answer
                          } else if (self->kind == kRespond) {
                            std::string_view b = text(self->ex, "slow\n");
                            self->ex->respond(200, kText, {b.data(), b.size()});
                          } else {
                            self->ex->writeChunk(text(self->ex, "second"));
                            self->ex->endStream();
                          }
                          delete self;
                        }),
          ex(ex),
          handler(h),
          kind(kind) {}
    Exchange* ex;
    TestHandler* handler;
    Kind kind;
  };
  static std::string_view text(Exchange* ex, std::string_view s) { return ex->heap().copy(s); }
  static std::string_view bigBody(Exchange* ex) {
    static const std::string big = bigPattern();
    return big;  // static: outlives the exchange
  }
  engine::Loop& loop_;
};

class HttpServerTest : public ServerOnLoopThread<TestHandler> {
 protected:
  static void sendAll(int fd, std::string_view s) {
    while (!s.empty()) {
      ssize_t n = write(fd, s.data(), s.size());
      ASSERT_GT(n, 0);
      s.remove_prefix(size_t(n));
    }
  }
  // Reads until `until` has been seen `times` times, or EOF.
  static std::string readUntil(int fd, std::string_view until, int times = 1) {
    std::string got;
    char buf[65536];
    size_t pos = 0;
    int seen = 0;
    for (;;) {
      while ((pos = got.find(until, pos)) != std::string::npos) {
        ++seen;
        pos += until.size();
      }
      pos = got.size() >= until.size() ? got.size() - until.size() + 1 : 0;
      if (seen >= times) return got;
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return got;
      got.append(buf, size_t(n));
    }
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

};

TEST_F(HttpServerTest, PipelinedResponsesKeepRequestOrderWhenALaterOneIsReadyFirst) {
  int fd = connectClient();
  sendAll(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "/fast\n");
  size_t slow = got.find("slow\n");
  size_t fast = got.find("/fast\n");
  ASSERT_NE(slow, std::string::npos) << got;
  ASSERT_NE(fast, std::string::npos) << got;
  EXPECT_LT(slow, fast);
  close(fd);
}

TEST_F(HttpServerTest, ReasonPhraseIsTheCallersOrTheStandardOne) {
  int fd = connectClient();
  sendAll(fd, "GET /reason HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(readUntil(fd, "r\n").rfind("HTTP/1.1 299 Custom\tReason \xE9\r\n", 0), 0u);
  sendAll(fd, "GET /stream-reason HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(readUntil(fd, "0\r\n\r\n").rfind("HTTP/1.1 202 Streaming Along\r\n", 0), 0u);
  sendAll(fd, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(readUntil(fd, "/plain\n").rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  close(fd);
}

TEST_F(HttpServerTest, StreamIsChunkedOnHttp11) {
  int fd = connectClient();
  sendAll(fd, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "0\r\n\r\n");
  EXPECT_NE(got.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("Content-Length"), std::string::npos) << got;
  EXPECT_EQ(bodyOf(got), "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n");
  // The connection stays usable.
  sendAll(fd, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(readUntil(fd, "/again\n").find("/again\n"), std::string::npos);
  close(fd);
}

TEST_F(HttpServerTest, StreamAcrossTurnsKeepsLaterResponsesBehindIt) {
  int fd = connectClient();
  sendAll(fd, "GET /stream-later HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "/after\n");
  size_t end = got.find("0\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << got;
  EXPECT_NE(got.find("6\r\nfirst;\r\n6\r\nsecond\r\n0\r\n\r\n"), std::string::npos) << got;
  EXPECT_LT(end, got.find("/after\n"));
  close(fd);
}

TEST_F(HttpServerTest, StreamIsCloseDelimitedOnHttp10) {
  int fd = connectClient();
  sendAll(fd, "GET /stream HTTP/1.0\r\n\r\n");
  std::string got = readToEof(fd);
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
  EXPECT_EQ(bodyOf(got), "hello world");
  close(fd);
}

TEST_F(HttpServerTest, HeadOfAStreamHasNoBody) {
  int fd = connectClient();
  sendAll(fd, "HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "/next\n");
  EXPECT_EQ(got.find("hello"), std::string::npos) << got;
  EXPECT_NE(got.find("/next\n"), std::string::npos) << got;
  close(fd);
}

TEST_F(HttpServerTest, LargeResponseSurvivesShortSends) {
  int fd = connectClient();
  int small = 16384;  // a small receive buffer forces partial sends on the server side
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sendAll(fd, "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /tail HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "/tail\n");
  static const std::string big = TestHandler::bigPattern();
  size_t start = got.find("\r\n\r\n");
  ASSERT_NE(start, std::string::npos);
  ASSERT_GE(got.size(), start + 4 + big.size());
  EXPECT_TRUE(got.compare(start + 4, big.size(), big) == 0);
  EXPECT_NE(got.find("/tail\n", start + 4 + big.size()), std::string::npos);
  close(fd);
}

TEST_F(HttpServerTest, ClientGoneMidResponseAbortsAndFreesEverything) {
  int fd = connectClient();
  sendAll(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  usleep(10000);
  linger lg{1, 0};  // RST on close
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  // The slow timer fires after the abort: the handler must get onAbort, never a crash.
  for (int i = 0; i < 100; ++i) {
    int aborted = 0, conns = -1, timers = -1;
    loop_->post([&] {
      aborted = handler_->aborted;
      conns = int(server_->connections());
      timers = int(loop_->armedTimers());
    });
    usleep(10000);
    if (aborted == 1 && conns == 0 && timers == 0) return;
  }
  FAIL() << "the connection was not torn down";
}

// With room for one request only, the body of that request must still be read.
class PipelineOfOneTest : public HttpServerTest {
 protected:
  void SetUp() override {
    options_.maxPipelined = 1;
    HttpServerTest::SetUp();
  }
};

TEST_F(PipelineOfOneTest, BodyArrivingLaterIsStillRead) {
  int fd = connectClient();
  sendAll(fd, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
  usleep(50000);
  sendAll(fd, "67890GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = readUntil(fd, "/next\n");
  EXPECT_NE(got.find("/upload\n"), std::string::npos) << got;
  EXPECT_NE(got.find("/next\n"), std::string::npos) << got;
  close(fd);
}

}  // namespace
}  // namespace torus::net
