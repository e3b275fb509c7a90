#include "net/http_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace torus::net {
namespace {

using Status = HttpParser::Status;

const char* name(Status s) {
  switch (s) {
    case Status::kNeedMore:
      return "kNeedMore";
    case Status::kHeadersComplete:
      return "kHeadersComplete";
    case Status::kMessageComplete:
      return "kMessageComplete";
    case Status::kError:
      return "kError";
  }
  return "?";
}

struct Outcome {
  Status status;
  size_t consumed;  // bytes of the input used
  bool sawHead;     // kHeadersComplete came first
};

// One parser, and a heap per message that stays alive (views are checked after later
// messages were parsed).
class Harness {
 public:
  explicit Harness(const HttpLimits& limits = HttpLimits()) : parser_(limits) {}

  void begin() {
    heaps_.push_back(std::make_unique<alloc::RequestHeap>(pool_));
    parser_.reset(*heaps_.back());
  }

  // Parses one message from `in`, fed in pieces of at most `step` bytes; each piece is a
  // fresh allocation freed right after the call, so ASan catches a parser that keeps
  // pointers into its input. Stops at kMessageComplete, kError, or when `in` is used up.
  Outcome parse(std::string_view in, size_t step = SIZE_MAX) {
    begin();
    return more(in, step);
  }

  // Continues the current message.
  Outcome more(std::string_view in, size_t step = SIZE_MAX) {
    size_t off = 0;
    bool sawHead = false;
    for (;;) {
      const size_t n = std::min(step, in.size() - off);
      std::unique_ptr<char[]> piece(new char[n + 1]);
      std::copy_n(in.data() + off, n, piece.get());
      size_t used = SIZE_MAX;
      const Status st = parser_.feed(piece.get(), n, &used);
      EXPECT_LE(used, n);
      off += used;
      switch (st) {
        case Status::kHeadersComplete:
          EXPECT_FALSE(sawHead) << "two heads in one message";
          EXPECT_TRUE(parser_.headComplete());
          sawHead = true;
          continue;  // a message without body completes on the next call, even with 0 bytes
        case Status::kNeedMore:
          EXPECT_EQ(used, n) << "kNeedMore must consume all input";
          if (off == in.size()) return {st, off, sawHead};
          continue;
        case Status::kMessageComplete:
        case Status::kError:
          return {st, off, sawHead};
      }
    }
  }

  HttpParser& parser() { return parser_; }
  const HttpRequest& request() const { return parser_.request(); }
  const HttpError& error() const { return parser_.error(); }

  std::string_view header(std::string_view n) const {
    const HttpRequest& r = parser_.request();
    for (uint32_t i = 0; i < r.headerCount; ++i) {
      if (r.headers[i].name == n) return r.headers[i].value;
    }
    return "<absent>";
  }

 private:
  alloc::BlockPool pool_;
  std::vector<std::unique_ptr<alloc::RequestHeap>> heaps_;
  HttpParser parser_;
};

// Parses `in` whole and expects a refusal with `status`.
void expectRefused(std::string_view in, int status, const HttpLimits& limits = HttpLimits()) {
  for (size_t step : {SIZE_MAX, size_t{1}}) {
    Harness h(limits);
    const Outcome o = h.parse(in, step);
    EXPECT_EQ(o.status, Status::kError) << name(o.status) << " step " << step << " for:\n" << in;
    EXPECT_EQ(h.error().status, status) << h.error().reason << " step " << step << " for:\n" << in;
    EXPECT_NE(std::string_view(h.error().reason), "");
  }
}

// Parses `in` whole and expects a complete message that used all of it.
void expectAccepted(std::string_view in, const HttpLimits& limits = HttpLimits()) {
  for (size_t step : {SIZE_MAX, size_t{1}}) {
    Harness h(limits);
    const Outcome o = h.parse(in, step);
    EXPECT_EQ(o.status, Status::kMessageComplete)
        << name(o.status) << " " << h.error().status << " " << h.error().reason << " step " << step
        << " for:\n"
        << in;
    EXPECT_EQ(o.consumed, in.size());
  }
}

std::string repeat(char c, size_t n) { return std::string(n, c); }

// ---- basics ----

TEST(HttpParserTest, SimpleGet) {
  Harness h;
  h.begin();
  EXPECT_FALSE(h.parser().inMessage());
  EXPECT_FALSE(h.parser().headComplete());
  const std::string in =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  wrk \r\n"
      "Accept: */*\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(h.parser().feed(in.data(), in.size(), &used), Status::kHeadersComplete);
  EXPECT_EQ(used, in.size());
  EXPECT_TRUE(h.parser().inMessage());
  EXPECT_TRUE(h.parser().headComplete());
  const HttpRequest& r = h.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/index.html?q=1");
  EXPECT_EQ(r.versionMajor, 1);
  EXPECT_EQ(r.versionMinor, 1);
  ASSERT_EQ(r.headerCount, 5u);
  EXPECT_EQ(r.headers[0].name, "Host");
  EXPECT_EQ(r.headers[0].value, "example.com");
  EXPECT_EQ(r.headers[1].name, "User-Agent");
  EXPECT_EQ(r.headers[1].value, "wrk");
  EXPECT_EQ(r.headers[2].value, "*/*");
  EXPECT_EQ(r.headers[3].name, "X-Empty");
  EXPECT_EQ(r.headers[3].value, "");
  EXPECT_EQ(r.headers[4].value, "v");
  EXPECT_EQ(r.host, "example.com");
  EXPECT_TRUE(r.keepAlive);
  EXPECT_FALSE(r.expectContinue);
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(r.contentLength, -1);
  ASSERT_NE(r.body, nullptr);

  // No body: the message completes without more input.
  ASSERT_EQ(h.parser().feed(nullptr, 0, &used), Status::kMessageComplete);
  EXPECT_EQ(used, 0u);
  EXPECT_FALSE(h.parser().inMessage());
  EXPECT_EQ(h.request().body->size(), 0u);
  EXPECT_EQ(h.request().target, "/index.html?q=1");
}

TEST(HttpParserTest, BodyIsNeverNullAfterReset) {
  Harness h;
  h.begin();
  ASSERT_NE(h.request().body, nullptr);
  EXPECT_EQ(h.request().body->size(), 0u);
  EXPECT_EQ(h.request().contentLength, -1);
}

TEST(HttpParserTest, HeadersSplitAcrossOneByteFeeds) {
  const std::string in =
      "POST /a/b/c?x=%20y HTTP/1.1\r\nHost: h.example:8080\r\nContent-Type: text/plain\r\n"
      "X-Long-Header-Name-For-Splitting: some value  with   spaces \r\n"
      "Content-Length: 11\r\n\r\nhello world";
  Harness h;
  const Outcome o = h.parse(in, 1);
  ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
  EXPECT_TRUE(o.sawHead);
  EXPECT_EQ(o.consumed, in.size());
  const HttpRequest& r = h.request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/a/b/c?x=%20y");
  EXPECT_EQ(r.host, "h.example:8080");
  EXPECT_EQ(h.header("Content-Type"), "text/plain");
  EXPECT_EQ(h.header("X-Long-Header-Name-For-Splitting"), "some value  with   spaces");
  EXPECT_EQ(r.contentLength, 11);
  EXPECT_EQ(r.body->view(), "hello world");

  // Every split point, two pieces.
  for (size_t cut = 1; cut < in.size(); ++cut) {
    Harness h2;
    h2.begin();
    Outcome a = h2.more(std::string_view(in).substr(0, cut));
    if (a.status == Status::kMessageComplete) {
      FAIL() << "complete before the end at cut " << cut;
    }
    ASSERT_EQ(a.status, Status::kNeedMore) << "cut " << cut << " " << h2.error().reason;
    Outcome b = h2.more(std::string_view(in).substr(cut));
    ASSERT_EQ(b.status, Status::kMessageComplete) << "cut " << cut << " " << h2.error().reason;
    EXPECT_EQ(h2.header("X-Long-Header-Name-For-Splitting"), "some value  with   spaces");
    EXPECT_EQ(h2.request().body->view(), "hello world");
    EXPECT_EQ(h2.request().target, "/a/b/c?x=%20y");
  }
}

TEST(HttpParserTest, PipelinedRequestsComeOutOneAtATime) {
  const std::string first = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "POST /two HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nabc";
  const std::string third =
      "PUT /three HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n";
  const std::string fourth = "GET /four HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n";
  const std::string all = first + second + third + fourth;

  Harness h;
  std::string_view rest = all;
  std::vector<const HttpRequest*> requests;
  for (const std::string* msg : {&first, &second, &third, &fourth}) {
    h.begin();
    size_t used = 0;
    ASSERT_EQ(h.parser().feed(rest.data(), rest.size(), &used), Status::kHeadersComplete);
    size_t total = used;
    rest.remove_prefix(used);
    ASSERT_EQ(h.parser().feed(rest.data(), rest.size(), &used), Status::kMessageComplete)
        << h.error().reason;
    total += used;
    rest.remove_prefix(used);
    EXPECT_EQ(total, msg->size());
    requests.push_back(&h.request());
  }
  EXPECT_TRUE(rest.empty());
  // Each heap is still alive: every view stays valid.
  EXPECT_EQ(requests[0]->target, "/one");
  EXPECT_EQ(requests[0]->host, "a");
  EXPECT_EQ(requests[1]->target, "/two");
  EXPECT_EQ(requests[1]->body->view(), "abc");
  EXPECT_EQ(requests[2]->method, "PUT");
  EXPECT_EQ(requests[2]->body->view(), "xy");
  EXPECT_TRUE(requests[2]->chunked);
  EXPECT_EQ(requests[3]->target, "/four");
  EXPECT_TRUE(requests[2]->keepAlive);
  EXPECT_FALSE(requests[3]->keepAlive);
}

TEST(HttpParserTest, BareLfLineEndsWhereLlhttpTakesThem) {
  // RFC 9112 2.2 lets a recipient take LF alone as a line end; llhttp does so after the
  // request line and for the final empty line (not after header values).
  expectAccepted("GET / HTTP/1.1\nHost: x\r\n\r\n");
  expectAccepted("GET / HTTP/1.1\r\nHost: x\r\n\n");
}

TEST(HttpParserTest, EmptyLinesBeforeRequestAreSkipped) {
  Harness h;
  const Outcome o = h.parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
  EXPECT_EQ(h.request().target, "/");
}

TEST(HttpParserTest, ContentLengthBody) {
  Harness h;
  h.begin();
  const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(h.parser().feed(head.data(), head.size(), &used), Status::kHeadersComplete);
  EXPECT_EQ(h.request().contentLength, 10);
  // Reserved up front.
  EXPECT_GE(h.request().body->capacity(), 10u);
  EXPECT_TRUE(h.parser().inMessage());
  ASSERT_EQ(h.parser().feed("01234", 5, &used), Status::kNeedMore);
  EXPECT_EQ(used, 5u);
  // Extra bytes after the body belong to the next message.
  ASSERT_EQ(h.parser().feed("56789GET", 8, &used), Status::kMessageComplete);
  EXPECT_EQ(used, 5u);
  EXPECT_EQ(h.request().body->view(), "0123456789");
  EXPECT_FALSE(h.request().chunked);
}

TEST(HttpParserTest, ContentLengthZero) {
  Harness h;
  const Outcome o = h.parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(o.status, Status::kMessageComplete);
  EXPECT_EQ(h.request().contentLength, 0);
  EXPECT_EQ(h.request().body->size(), 0u);
}

TEST(HttpParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string in =
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;name=value\r\nWiki\r\n"
      "5;flag\r\npedia\r\n"
      "E;q=\"quoted ext\"\r\n in\r\n\r\nchunks.\r\n"
      "a\r\n0123456789\r\n"
      "0\r\nExpires: never\r\nX-Trailer: t\r\n\r\n";
  for (size_t step : {SIZE_MAX, size_t{1}, size_t{3}, size_t{7}}) {
    Harness h;
    const Outcome o = h.parse(in, step);
    ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason << " step " << step;
    EXPECT_EQ(o.consumed, in.size());
    const HttpRequest& r = h.request();
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.contentLength, -1);
    EXPECT_EQ(r.body->view(), "Wikipedia in\r\n\r\nchunks.0123456789");
    // Trailers are not headers.
    EXPECT_EQ(r.headerCount, 2u);
    EXPECT_EQ(h.header("Expires"), "<absent>");
  }
}

TEST(HttpParserTest, ChunkedUppercaseHexAndLeadingZeros) {
  Harness h;
  const Outcome o = h.parse(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "000A\r\n0123456789\r\n0\r\n\r\n");
  ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
  EXPECT_EQ(h.request().body->view(), "0123456789");
}

TEST(HttpParserTest, UpgradeRequestIsOrdinary) {
  const std::string first =
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string second = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string all = first + second;
  Harness h;
  Outcome o = h.parse(all);
  ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
  EXPECT_EQ(o.consumed, first.size());
  EXPECT_EQ(h.header("Upgrade"), "websocket");
  EXPECT_TRUE(h.request().keepAlive);
  o = h.parse(std::string_view(all).substr(first.size()));
  ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
  EXPECT_EQ(h.request().target, "/next");

  // With a body too.
  Harness h2;
  o = h2.parse(
      "POST /u HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
      "Content-Length: 2\r\n\r\nabGET");
  ASSERT_EQ(o.status, Status::kMessageComplete) << h2.error().reason;
  EXPECT_EQ(h2.request().body->view(), "ab");
}

TEST(HttpParserTest, ErrorIsStickyUntilReset) {
  Harness h;
  Outcome o = h.parse("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
  ASSERT_EQ(o.status, Status::kError);
  EXPECT_EQ(h.error().status, 400);
  size_t used = 99;
  EXPECT_EQ(h.parser().feed("GET / HTTP/1.1\r\n", 16, &used), Status::kError);
  EXPECT_EQ(used, 0u);
  o = h.parse("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.status, Status::kMessageComplete);
  EXPECT_EQ(h.error().status, 0);
  EXPECT_EQ(h.request().target, "/ok");
}

TEST(HttpParserTest, InMessageTracksTheMessage) {
  Harness h;
  h.begin();
  size_t used = 0;
  EXPECT_EQ(h.parser().feed("\r\n", 2, &used), Status::kNeedMore);
  EXPECT_FALSE(h.parser().inMessage());
  EXPECT_EQ(h.parser().feed("G", 1, &used), Status::kNeedMore);
  EXPECT_TRUE(h.parser().inMessage());
  EXPECT_FALSE(h.parser().headComplete());
  const std::string rest = "ET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n";
  EXPECT_EQ(h.parser().feed(rest.data(), rest.size(), &used), Status::kHeadersComplete);
  EXPECT_TRUE(h.parser().inMessage());
  EXPECT_TRUE(h.parser().headComplete());
  EXPECT_EQ(h.parser().feed("z", 1, &used), Status::kMessageComplete);
  EXPECT_FALSE(h.parser().inMessage());
}

// ---- limits ----

// A GET whose head is exactly `size` bytes (padding in one header).
std::string headOfSize(size_t size) {
  const std::string start = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  return start + repeat('p', size - start.size() - end.size()) + end;
}

TEST(HttpParserTest, HeadBytesLimit) {
  HttpLimits limits;
  limits.maxHeadBytes = 300;
  EXPECT_EQ(headOfSize(300).size(), 300u);
  expectAccepted(headOfSize(300), limits);
  expectRefused(headOfSize(301), 431, limits);
  // Counted across feeds, also when the input would stop just short of the end.
  for (size_t cut : {size_t{100}, size_t{299}, size_t{300}}) {
    Harness h(limits);
    h.begin();
    const std::string in = headOfSize(301);
    Outcome a = h.more(std::string_view(in).substr(0, cut));
    if (a.status == Status::kNeedMore) a = h.more(std::string_view(in).substr(cut));
    EXPECT_EQ(a.status, Status::kError);
    EXPECT_EQ(h.error().status, 431);
  }
  // A refusal does not wait for the end of the head.
  Harness h(limits);
  h.begin();
  const std::string junk = "GET / HTTP/1.1\r\nX: " + repeat('a', 1000);
  size_t used = 0;
  EXPECT_EQ(h.parser().feed(junk.data(), junk.size(), &used), Status::kError);
  EXPECT_EQ(h.error().status, 431);
  EXPECT_EQ(used, 300u);
}

TEST(HttpParserTest, EmptyLinesCountAsHead) {
  HttpLimits limits;
  limits.maxHeadBytes = 100;
  std::string in;
  for (int i = 0; i < 100; ++i) in += "\r\n";
  expectRefused(in, 431, limits);
}

std::string withHeaders(size_t count) {
  std::string in = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (size_t i = 1; i < count; ++i) in += "X-H" + std::to_string(i) + ": v\r\n";
  return in + "\r\n";
}

TEST(HttpParserTest, HeaderCountLimit) {
  HttpLimits limits;
  limits.maxHeaderCount = 10;
  expectAccepted(withHeaders(10), limits);
  expectRefused(withHeaders(11), 431, limits);
  // Defaults: 100.
  expectAccepted(withHeaders(100));
  expectRefused(withHeaders(101), 431);
}

TEST(HttpParserTest, TargetLimit) {
  HttpLimits limits;
  limits.maxTargetBytes = 64;
  const std::string ok = "/" + repeat('t', 63);
  const std::string over = "/" + repeat('t', 64);
  expectAccepted("GET " + ok + " HTTP/1.1\r\nHost: x\r\n\r\n", limits);
  expectRefused("GET " + over + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, limits);
  Harness h(limits);
  EXPECT_EQ(h.parse("GET " + ok + " HTTP/1.1\r\nHost: x\r\n\r\n", 5).status,
            Status::kMessageComplete);
  EXPECT_EQ(h.request().target, ok);
  // Defaults: 8 KiB.
  expectAccepted("GET /" + repeat('d', 8191) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  expectRefused("GET /" + repeat('d', 8192) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
}

TEST(HttpParserTest, ContentLengthLimit) {
  HttpLimits limits;
  limits.maxBodyBytes = 1000;
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ";
  expectAccepted(head + "1000\r\n\r\n" + repeat('b', 1000), limits);
  // Refused at the head, before any body byte is read.
  Harness h(limits);
  h.begin();
  const std::string in = head + "1001\r\n\r\n";
  size_t used = 0;
  EXPECT_EQ(h.parser().feed(in.data(), in.size(), &used), Status::kError);
  EXPECT_EQ(h.error().status, 413);
  expectRefused(head + "1001\r\n\r\n" + repeat('b', 1001), 413, limits);
  expectRefused(head + "99999999999999999999\r\n\r\n", 400, limits);  // overflow
}

std::string chunkedOf(size_t total, size_t chunk) {
  std::string in = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[32];
  for (size_t done = 0; done < total;) {
    const size_t n = std::min(chunk, total - done);
    snprintf(size, sizeof(size), "%zx\r\n", n);
    in += size + repeat('c', n) + "\r\n";
    done += n;
  }
  return in + "0\r\n\r\n";
}

TEST(HttpParserTest, ChunkedBodyLimit) {
  HttpLimits limits;
  limits.maxBodyBytes = 1000;
  expectAccepted(chunkedOf(1000, 300), limits);
  expectAccepted(chunkedOf(1000, 1000), limits);
  expectRefused(chunkedOf(1001, 300), 413, limits);
  expectRefused(chunkedOf(1001, 1001), 413, limits);
  // A huge announced chunk is refused at its size line.
  Harness h(limits);
  h.begin();
  const std::string in =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffff\r\n";
  Outcome o = h.more(in);
  EXPECT_EQ(o.status, Status::kError);
  EXPECT_EQ(h.error().status, 413);
}

TEST(HttpParserTest, TrailerLimits) {
  HttpLimits limits;
  limits.maxHeaderCount = 3;
  limits.maxHeadBytes = 200;
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n";
  expectAccepted(head + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  expectRefused(head + "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431, limits);
  expectRefused(head + "A: " + repeat('t', 300) + "\r\n\r\n", 431, limits);
  // Chunk extensions share that budget.
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;e=" +
                    repeat('e', 300) + "\r\na\r\n0\r\n\r\n",
                400, limits);
}

TEST(HttpParserTest, SixtyKiBHeaderBlockUnderDefaults) {
  std::string in = "GET /big HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 60; ++i) {
    in += "X-Big-" + std::to_string(i) + ": " + repeat('v', 1000) + "\r\n";
  }
  in += "\r\n";
  ASSERT_GT(in.size(), 60u * 1024 - 2000);
  ASSERT_LT(in.size(), 64u * 1024);
  for (size_t step : {SIZE_MAX, size_t{4096}, size_t{1000}}) {
    Harness h;
    const Outcome o = h.parse(in, step);
    ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
    EXPECT_EQ(h.request().headerCount, 61u);
    EXPECT_EQ(h.header("X-Big-59"), repeat('v', 1000));
  }
}

TEST(HttpParserTest, FiveMiBBodyInManyFeeds) {
  const size_t size = 5u << 20;
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + i % 26);
  {
    Harness h;
    const std::string in =
        "PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
        body;
    const Outcome o = h.parse(in, 16 * 1024 + 7);
    ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
    EXPECT_EQ(o.consumed, in.size());
    ASSERT_EQ(h.request().body->size(), size);
    EXPECT_TRUE(h.request().body->view() == body);
  }
  {
    // The same in 64 KiB chunks, fed in odd pieces.
    std::string in = "PUT /blob HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (size_t off = 0; off < size; off += 65536)
      in += "10000\r\n" + body.substr(off, 65536) + "\r\n";
    in += "0\r\n\r\n";
    Harness h;
    const Outcome o = h.parse(in, 9973);
    ASSERT_EQ(o.status, Status::kMessageComplete) << h.error().reason;
    ASSERT_EQ(h.request().body->size(), size);
    EXPECT_TRUE(h.request().body->view() == body);
  }
}

// ---- framing and smuggling ----

TEST(HttpParserTest, ContentLengthWithTransferEncoding) {
  expectRefused(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      400);
  expectRefused(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
      "0\r\n\r\n",
      400);
  expectRefused(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: identity\r\n\r\n"
      "hello",
      400);
  Harness h;
  h.parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_STREQ(h.error().reason, "Content-Length with Transfer-Encoding");
}

TEST(HttpParserTest, DuplicateContentLength) {
  expectRefused(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
      "hello!",
      400);
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!", 400);
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5,5\r\n\r\nhello", 400);
  // Identical duplicates may be accepted by RFC 9110 8.6; llhttp refuses them, which is safe.
  expectRefused(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
      "hello",
      400);
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400);
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400);
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400);
  expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", 400);
}

TEST(HttpParserTest, TransferEncodingOtherThanChunked) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\n";
  for (const char* te : {"gzip, chunked", "chunked, gzip", "identity", "gzip", "chunked;q=1",
                         "xchunked", "chunked, chunked"}) {
    SCOPED_TRACE(te);
    expectRefused(head + "Transfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n", 501);
  }
  expectRefused(head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                501);
  expectRefused(head + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                501);
  // HTTP/1.0 has no chunked coding: the framing is faulty.
  expectRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  // Bare "chunked" in any case, with OWS, is fine.
  expectAccepted(head + "Transfer-Encoding:  CHUNKED \r\n\r\n0\r\n\r\n");
}

TEST(HttpParserTest, BadChunkFraming) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const char* bodies[] = {
      "zz\r\nabc\r\n0\r\n\r\n",                    // not hex
      "-3\r\nabc\r\n0\r\n\r\n",                    // sign
      "0x3\r\nabc\r\n0\r\n\r\n",                   // prefix
      "\r\nabc\r\n0\r\n\r\n",                      // empty size
      "3 \r\nabc\r\n0\r\n\r\n",                    // whitespace
      "10000000000000000\r\n",                     // 17 digits: overflow
      "00000000000000003\r\nabc\r\n0\r\n\r\n",     // 17 digits
      "3\r\nabcXX0\r\n\r\n",                       // no CRLF after data (loose llhttp takes it)
      "3\r\nabc\r0\r\n\r\n",                       // CR only after data
      "3\r\nabc\n0\r\n\r\n",                       // LF only after data
      "3\rXabc\r\n0\r\n\r\n",                      // bare CR after size (loose llhttp takes it)
      "3\nabc\r\n0\r\n\r\n",                       // bare LF after size
      "3;a\rXabc\r\n0\r\n\r\n",                    // bare CR after extension
      "3;a\nabc\r\n0\r\n\r\n",                     // bare LF in extension
      "3\r\nabcd\r\n0\r\n\r\n",                    // data longer than size
      "3\r\nabc\r\n0\r\n\rX",                      // bad final CRLF (loose llhttp takes it)
      "3\r\nabc\r\n0\r\nT: v\rX\r\n\r\n",          // bare CR in a trailer
      "3\r\nabc\r\n0\r\nT: v\r\n folded\r\n\r\n",  // obs-fold in a trailer
      "3\r\nabc\r\n0\r\nBad Trailer: v\r\n\r\n",   // invalid trailer name
      "3\r\nabc\r\n0\r\nT : v\r\n\r\n",
  };
  for (const char* body : bodies) {
    SCOPED_TRACE(body);
    expectRefused(head + body, 400);
  }
}

TEST(HttpParserTest, HostRules) {
  expectRefused("GET / HTTP/1.1\r\n\r\n", 400);
  expectRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
  expectRefused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
  expectRefused("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
  expectRefused("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
  expectRefused("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
  Harness h;
  ASSERT_EQ(h.parse("GET / HTTP/1.1\r\nhOsT:  [::1]:8080 \r\n\r\n").status,
            Status::kMessageComplete);
  EXPECT_EQ(h.request().host, "[::1]:8080");
  ASSERT_EQ(h.parse("GET / HTTP/1.1\r\nHost:\r\n\r\n").status, Status::kMessageComplete);
  EXPECT_EQ(h.request().host, "");
  // HTTP/1.0 without Host is fine.
  ASSERT_EQ(h.parse("GET / HTTP/1.0\r\n\r\n").status, Status::kMessageComplete);
  EXPECT_EQ(h.request().host, "");
  Harness h2;
  h2.parse("GET / HTTP/1.1\r\n\r\n");
  EXPECT_STREQ(h2.error().reason, "missing Host header");
}

TEST(HttpParserTest, Versions) {
  expectAccepted("GET / HTTP/1.0\r\n\r\n");
  expectAccepted("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  for (const char* v : {"1.2", "2.0", "0.9", "3.1", "0.1", "9.9", "1.9"}) {
    SCOPED_TRACE(v);
    expectRefused(std::string("GET / HTTP/") + v + "\r\nHost: x\r\n\r\n", 505);
  }
  expectRefused("GET /\r\n\r\n", 505);  // HTTP/0.9
  expectRefused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
  expectRefused("GET / HTTP/11.1\r\nHost: x\r\n\r\n", 400);
  expectRefused("GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400);
  expectRefused("GET / HTTP/1\r\nHost: x\r\n\r\n", 400);
  expectRefused("GET / http/1.1\r\nHost: x\r\n\r\n", 400);
  // llhttp also speaks RTSP and ICE.
  expectRefused("GET / RTSP/1.0\r\nHost: x\r\n\r\n", 400);
  expectRefused("SOURCE / ICE/1.0\r\nHost: x\r\n\r\n", 400);
  expectRefused("DESCRIBE / RTSP/1.0\r\n\r\n", 400);
}

TEST(HttpParserTest, ConnectIsNotImplemented) {
  expectRefused("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501);
}

TEST(HttpParserTest, MalformedHeads) {
  const char* heads[] = {
      "GET / HTTP/1.1\r\nHost: x\r\nX:\rTransfer-Encoding: chunked\r\n\r\n",  // bare CR
      "GET / HTTP/1.1\r\nHost: x\rTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n\rX",  // bare CR ends the head
      "GET / HTTP/1.1\rHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n  folded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nHost: x\r\nX:\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: v\r\n\tfolded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: v\n folded\r\n\r\n",  // after a bare LF
      "GET / HTTP/1.1\n folded\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: v\r\r\n\r\n",
      "GET / HTTP/1.1\r\n Host: x\r\n\r\n",  // leading space
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
      "GET / HTTP/1.1\r\nHost: x\r\nContent Length: 5\r\n\r\nhello",  // loose llhttp takes it
      "GET / HTTP/1.1\r\nHost: x\r\nX-Name : v\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX(y): v\r\n\r\n",
      "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n",  // loose llhttp takes HTAB and FF in targets
      "GET /a\fb HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /a\tHTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n: novalue\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
      "get / HTTP/1.1\r\nHost: x\r\n\r\n",
      "FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
      "\x16\x03\x01\x02",  // TLS ClientHello to a plain port
      "GET / HTTP/1.1\nHost: x\nX: y\n\n",
  };
  for (const char* head : heads) {
    SCOPED_TRACE(head);
    expectRefused(head, 400);
  }
  // NUL bytes.
  expectRefused(std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 35), 400);
  expectRefused(std::string("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 30), 400);
}

// ---- connection semantics ----

TEST(HttpParserTest, KeepAliveRules) {
  struct Case {
    const char* in;
    bool keepAlive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false},
  };
  for (const Case& c : cases) {
    Harness h;
    ASSERT_EQ(h.parse(c.in).status, Status::kMessageComplete) << c.in;
    EXPECT_EQ(h.request().keepAlive, c.keepAlive) << c.in;
  }
}

TEST(HttpParserTest, ExpectContinue) {
  Harness h;
  h.begin();
  const std::string head =
      "PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n";
  size_t used = 0;
  // The head comes out before the body exists, so the caller can answer 100 Continue.
  ASSERT_EQ(h.parser().feed(head.data(), head.size(), &used), Status::kHeadersComplete);
  EXPECT_TRUE(h.request().expectContinue);
  EXPECT_EQ(h.request().body->size(), 0u);
  ASSERT_EQ(h.parser().feed("data", 4, &used), Status::kMessageComplete);
  EXPECT_EQ(h.request().body->view(), "data");

  Harness h2;
  ASSERT_EQ(h2.parse("GET / HTTP/1.1\r\nHost: x\r\nExpect:  100-continue \r\n\r\n").status,
            Status::kMessageComplete);
  EXPECT_TRUE(h2.request().expectContinue);
  // HTTP/1.0 clients do not get 100 Continue (RFC 9110 10.1.1).
  ASSERT_EQ(h2.parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx").status,
            Status::kMessageComplete);
  EXPECT_FALSE(h2.request().expectContinue);
  ASSERT_EQ(h2.parse("GET / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n").status,
            Status::kMessageComplete);
  EXPECT_FALSE(h2.request().expectContinue);
}

TEST(HttpParserTest, MethodsAndTargets) {
  Harness h;
  // Raw UTF-8 in the target is let through (as nginx does).
  ASSERT_EQ(h.parse("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n").status,
            Status::kMessageComplete);
  EXPECT_EQ(h.request().target, "/caf\xc3\xa9");
  ASSERT_EQ(h.parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").status, Status::kMessageComplete);
  EXPECT_EQ(h.request().method, "OPTIONS");
  EXPECT_EQ(h.request().target, "*");
  ASSERT_EQ(h.parse("DELETE http://x.example/a?b HTTP/1.1\r\nHost: x.example\r\n\r\n").status,
            Status::kMessageComplete);
  EXPECT_EQ(h.request().method, "DELETE");
  EXPECT_EQ(h.request().target, "http://x.example/a?b");
  ASSERT_EQ(h.parse("M-SEARCH * HTTP/1.1\r\nHost: x\r\n\r\n").status, Status::kMessageComplete);
  EXPECT_EQ(h.request().method, "M-SEARCH");
}

}  // namespace
}  // namespace torus::net
