#include "net/http_response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace torus::net {
namespace {

using Status = HttpResponseParser::Status;

struct Parsed {
  Status status;
  size_t consumed = 0;
  bool sawHead = false;
  std::string body;
  int code = 0;
  bool keepAlive = false;
  std::string error;
};

void collect(void* arg, const char* data, size_t n) {
  static_cast<std::string*>(arg)->append(data, n);
}

// Parses one response from `in` in pieces of at most `step` bytes.
Parsed parse(HttpResponseParser& p, std::string_view in, bool head = false,
             size_t step = SIZE_MAX) {
  Parsed out;
  p.reset(head);
  p.onBody(&collect, &out.body);
  size_t off = 0;
  for (;;) {
    size_t n = std::min(step, in.size() - off);
    std::string piece(in.substr(off, n));  // freed after the call: the parser must copy
    size_t used = 0;
    out.status = p.feed(piece.data(), piece.size(), &used);
    off += used;
    out.consumed = off;
    if (out.status == Status::kHeadersComplete) {
      out.sawHead = true;
      out.code = p.response().status;
      continue;
    }
    if (out.status == Status::kNeedMore && off < in.size()) continue;
    break;
  }
  if (out.status == Status::kMessageComplete) out.keepAlive = p.response().keepAlive;
  out.error = p.error();
  return out;
}

TEST(HttpResponseParser, ContentLength) {
  HttpResponseParser p({});
  for (size_t step : {size_t(1), size_t(3), SIZE_MAX}) {
    Parsed r = parse(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello", false, step);
    EXPECT_EQ(r.status, Status::kMessageComplete) << step;
    EXPECT_TRUE(r.sawHead);
    EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_TRUE(r.keepAlive);
  }
  EXPECT_EQ(p.response().reason, "OK");
  ASSERT_EQ(p.response().headers.size(), 2u);
  EXPECT_EQ(p.response().headers[1].name, "X-A");
  EXPECT_EQ(p.response().headers[1].value, "b");
  EXPECT_EQ(p.response().contentLength, 5);
}

TEST(HttpResponseParser, ViewsSurviveAMove) {
  HttpResponseParser p({});
  Parsed r = parse(p, "HTTP/1.1 404 Not Found\r\nA: 1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, Status::kMessageComplete);
  HttpResponse moved = std::move(p.response());
  p.reset(false);
  EXPECT_EQ(moved.reason, "Not Found");
  EXPECT_EQ(moved.headers[0].value, "1");
}

TEST(HttpResponseParser, Chunked) {
  HttpResponseParser p({});
  std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\nT: v\r\n\r\n";
  for (size_t step : {size_t(1), size_t(7), SIZE_MAX}) {
    Parsed r = parse(p, in, false, step);
    EXPECT_EQ(r.status, Status::kMessageComplete);
    EXPECT_EQ(r.body, "hello!");
    EXPECT_EQ(r.consumed, in.size());
    EXPECT_TRUE(p.response().chunked);
  }
}

TEST(HttpResponseParser, CloseDelimited) {
  HttpResponseParser p({});
  Parsed r = parse(p, "HTTP/1.1 200 OK\r\n\r\nsome bytes");
  EXPECT_EQ(r.status, Status::kNeedMore);
  EXPECT_TRUE(p.response().closeDelimited);
  EXPECT_EQ(p.finish(), Status::kMessageComplete);
  EXPECT_EQ(r.body, "some bytes");
  EXPECT_FALSE(p.response().keepAlive);
}

TEST(HttpResponseParser, EarlyCloseIsAnError) {
  HttpResponseParser p({});
  parse(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(p.finish(), Status::kError);
  EXPECT_NE(p.error().find("3 bytes of 10"), std::string::npos) << p.error();
  p.reset(false);
  EXPECT_FALSE(p.started());
  EXPECT_EQ(p.finish(), Status::kError);
  EXPECT_EQ(p.error(), "connection closed before the response");
}

TEST(HttpResponseParser, HeadAnd204And304HaveNoBody) {
  HttpResponseParser p({});
  std::string next = "HTTP/1.1 200 OK\r\n";
  Parsed r = parse(p, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + next, /*head=*/true);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, 40u);  // the next response's bytes are not used
  EXPECT_TRUE(r.keepAlive);
  EXPECT_EQ(p.response().contentLength, -1);
  EXPECT_TRUE(p.response().noBody);
  for (const char* s : {"204 No Content", "304 Not Modified"}) {
    r = parse(p, std::string("HTTP/1.1 ") + s + "\r\nContent-Length: 7\r\n\r\n");
    EXPECT_EQ(r.status, Status::kMessageComplete) << s;
    EXPECT_EQ(r.body, "");
    EXPECT_TRUE(r.keepAlive);
  }
}

TEST(HttpResponseParser, InterimResponsesAreSkipped) {
  HttpResponseParser p({});
  std::string in =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  for (size_t step : {size_t(1), SIZE_MAX}) {
    Parsed r = parse(p, in, false, step);
    EXPECT_EQ(r.status, Status::kMessageComplete);
    EXPECT_EQ(r.code, 201);
    EXPECT_EQ(r.body, "ok");
    ASSERT_EQ(p.response().headers.size(), 1u);  // the 103's Link is not the final head's
    EXPECT_EQ(p.response().headers[0].name, "Content-Length");
  }
  Parsed r = parse(p, "HTTP/1.1 101 Switching Protocols\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
}

TEST(HttpResponseParser, FramingRefusals) {
  HttpResponseParser p({});
  Parsed r = parse(p,
                   "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "response has both Content-Length and Transfer-Encoding");
  r = parse(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "unsupported Transfer-Encoding in response");
  r = parse(p, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  r = parse(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(r.status, Status::kError);
  r = parse(p, "SMTP ready\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
}

TEST(HttpResponseParser, Limits) {
  ResponseLimits limits;
  limits.maxHeadBytes = 100;
  limits.maxHeaderCount = 3;
  limits.maxBodyBytes = 10;
  HttpResponseParser p(limits);
  Parsed r = parse(p, "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "response head over 100 bytes");
  r = parse(p, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "response has more than 3 header fields");
  r = parse(p, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_NE(r.error.find("over 10 bytes"), std::string::npos) << r.error;
  r = parse(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n");
  EXPECT_EQ(r.status, Status::kError);
  r = parse(p, "HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'x'));
  EXPECT_EQ(r.status, Status::kError);
  r = parse(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_EQ(r.status, Status::kMessageComplete);
}

TEST(HttpResponseParser, ConnectionClose) {
  HttpResponseParser p({});
  Parsed r = parse(p, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_FALSE(r.keepAlive);
  r = parse(p, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(r.keepAlive);
  r = parse(p, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(r.keepAlive);
}

}  // namespace
}  // namespace torus::net
