#include "net/http_serialize.h"

#include <gtest/gtest.h>

#include <string>

namespace torus::net {
namespace {

TEST(HttpSerialize, RequestHead) {
  std::string out;
  const HttpHeader h[] = {{"Accept", "*/*"}, {"Expect", "100-continue"},
                          {"Transfer-Encoding", "gzip"}, {"X-Empty", ""}};
  EXPECT_EQ(appendRequestHead(out, "GET", "/a?b", "example.com", 80, false, h, {}), "");
  EXPECT_EQ(out, "GET /a?b HTTP/1.1\r\nAccept: */*\r\nX-Empty: \r\nHost: example.com\r\n\r\n");
  out.clear();
  EXPECT_EQ(appendRequestHead(out, "PUT", "/", "::1", 8443, true, {},
                              {BodyFraming::kChunked, 0}),
            "");
  EXPECT_EQ(out, "PUT / HTTP/1.1\r\nHost: [::1]:8443\r\nTransfer-Encoding: chunked\r\n\r\n");
  out.clear();
  const HttpHeader host[] = {{"host", "given"}};
  EXPECT_EQ(appendRequestHead(out, "POST", "/", "h", 443, true, host,
                              {BodyFraming::kLength, 12}),
            "");
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nhost: given\r\nContent-Length: 12\r\n\r\n");
}

TEST(HttpSerialize, RefusesWhatCannotBeSent) {
  std::string out;
  const HttpHeader cr[] = {{"X", "a\rb"}};
  EXPECT_NE(appendRequestHead(out, "GET", "/", "h", 80, false, cr, {}), "");
  const HttpHeader lf[] = {{"X", "a\nb"}};
  EXPECT_NE(appendRequestHead(out, "GET", "/", "h", 80, false, lf, {}), "");
  const HttpHeader colon[] = {{"X:Y", "v"}};
  EXPECT_NE(appendRequestHead(out, "GET", "/", "h", 80, false, colon, {}), "");
  const HttpHeader empty[] = {{"", "v"}};
  EXPECT_NE(appendRequestHead(out, "GET", "/", "h", 80, false, empty, {}), "");
  EXPECT_NE(appendRequestHead(out, "G T", "/", "h", 80, false, {}, {}), "");
  EXPECT_NE(appendRequestHead(out, "GET", "/\r\n", "h", 80, false, {}, {}), "");
  EXPECT_NE(appendRequestHead(out, "GET", "/", "h/x", 80, false, {}, {}), "");
  EXPECT_NE(appendRequestHead(out, "GET", "/", "", 80, false, {}, {}), "");
  std::string msg = appendRequestHead(out, "GET", "/", "h", 80, false, cr, {});
  EXPECT_EQ(msg,
            "invalid value for header X: \"a\\x0db\" (CR, LF, NUL and other control bytes "
            "cannot be sent)");
  EXPECT_TRUE(isFieldValue("a\tb"));
  EXPECT_FALSE(isFieldValue(" a"));
  EXPECT_FALSE(isFieldValue(std::string("a\0b", 3)));
  EXPECT_TRUE(isToken("X-Custom_1.~"));
  EXPECT_FALSE(isToken("a b"));
}

TEST(HttpSerialize, ChunkLine) {
  char buf[kMaxChunkLine];
  EXPECT_EQ(std::string(buf, formatChunkLine(buf, 0)), "0\r\n");
  EXPECT_EQ(std::string(buf, formatChunkLine(buf, 255)), "ff\r\n");
  EXPECT_EQ(std::string(buf, formatChunkLine(buf, ~uint64_t{0})), "ffffffffffffffff\r\n");
}

}  // namespace
}  // namespace torus::net
