// Fuzz target for the HTTP client's response parser (net/http_response_parser.h): the
// input is what a server sends on a pooled connection, responses one after another, parsed
// once in a single feed and once cut into pieces the input chooses.
//
// Input: byte 0 flags (bit 0: the requests were HEAD; bit 1: the server closes at the end,
// finish(); bit 2: a body limit of 100 bytes), byte 1 seeds the cuts, the rest is the wire.
//
// Invariants:
//  - feed() uses at most what it is given, all of it on kNeedMore;
//  - the outcome (each response's status, headers, de-framed body, keep-alive; an error or
//    not) does not depend on how the input is cut;
//  - a parsed head's views point into its own storage; header count within the limit;
//    every head byte (interim heads included) within maxHeadBytes; no body before the head;
//    bodyBytes() is what the body callback got, within maxBodyBytes; a Content-Length body
//    is exactly that long; HEAD, 204 and 304 responses have no body; only final statuses
//    (>= 200) are returned.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_response_parser.h"

namespace {

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      fprintf(stderr, "http_response_parser_fuzz: invariant broken: %s (line %d)\n", #cond,  \
              __LINE__);                                                                     \
      __builtin_trap();                                                                      \
    }                                                                                        \
  } while (0)

using torus::net::HttpResponseParser;

constexpr size_t kMaxHead = 2048;
constexpr size_t kMaxHeaders = 16;

// A record of everything the parser said, compared between the two runs.
struct Trace {
  std::string text;
  void add(std::string_view s) {
    text.append(s);
    text.push_back('\x1f');
  }
};

struct Run {
  HttpResponseParser parser;
  Trace trace;
  std::string body;
  bool head = false;
  bool headSeen = false;
  uint64_t bodyLimit;
  size_t headBytes = 0;  // bytes used before the current head completed
  bool dead = false;

  Run(const torus::net::ResponseLimits& limits, bool headRequest)
      : parser(limits), head(headRequest), bodyLimit(limits.maxBodyBytes) {
    parser.reset(head);
    parser.onBody(
        [](void* arg, const char* d, size_t n) {
          auto* self = static_cast<Run*>(arg);
          FUZZ_CHECK(self->headSeen);
          self->body.append(d, n);
        },
        this);
  }

  void checkHead() {
    torus::net::HttpResponse& r = parser.response();
    FUZZ_CHECK(r.status >= 200 && r.status <= 999);
    FUZZ_CHECK(r.headers.size() <= kMaxHeaders);
    FUZZ_CHECK(headBytes <= kMaxHead);
    const char* lo = r.storage.data();
    const char* hi = lo + r.storage.size();
    auto inside = [&](std::string_view v) { return v.empty() || (v.data() >= lo && v.data() + v.size() <= hi); };
    FUZZ_CHECK(inside(r.reason));
    char line[64];
    snprintf(line, sizeof line, "head %d %d cl=%lld ch=%d cd=%d nb=%d", r.status, r.versionMinor,
             (long long)r.contentLength, r.chunked, r.closeDelimited, r.noBody);
    trace.add(line);
    trace.add(r.reason);
    for (const torus::net::HttpHeader& h : r.headers) {
      FUZZ_CHECK(inside(h.name) && inside(h.value));
      trace.add(h.name);
      trace.add(h.value);
    }
    if (head || r.status == 204 || r.status == 304) FUZZ_CHECK(r.noBody);
  }

  void complete() {
    torus::net::HttpResponse& r = parser.response();
    FUZZ_CHECK(parser.bodyBytes() == body.size());
    if (bodyLimit) FUZZ_CHECK(body.size() <= bodyLimit);
    if (r.noBody) FUZZ_CHECK(body.empty());
    if (r.contentLength >= 0 && !r.chunked) FUZZ_CHECK(body.size() == uint64_t(r.contentLength));
    char line[64];
    snprintf(line, sizeof line, "done ka=%d", r.keepAlive);
    trace.add(line);
    trace.add(body);
    body.clear();
    headSeen = false;
    headBytes = 0;
    parser.reset(head);
  }

  // One piece of the wire; false once the parser is done with this connection.
  bool feed(const char* p, size_t n) {
    if (dead) return false;
    for (;;) {
      size_t used = 0;
      auto st = parser.feed(p, n, &used);
      FUZZ_CHECK(used <= n);
      if (!headSeen) headBytes += used;
      p += used;
      n -= used;
      switch (st) {
        case HttpResponseParser::Status::kNeedMore:
          FUZZ_CHECK(n == 0);
          if (parser.bodyBytes() != body.size()) __builtin_trap();
          return true;
        case HttpResponseParser::Status::kHeadersComplete:
          FUZZ_CHECK(!headSeen);
          FUZZ_CHECK(parser.headComplete());
          headSeen = true;
          checkHead();
          break;
        case HttpResponseParser::Status::kMessageComplete:
          if (!headSeen) {
            headSeen = true;
            checkHead();
          }
          complete();
          if (n == 0) return true;
          break;
        case HttpResponseParser::Status::kError:
          // Which refusal comes first may depend on the cuts ("more than N header fields"
          // in pieces, "invalid response header field" whole): the fact only, not the text.
          FUZZ_CHECK(!parser.error().empty());
          trace.add("error");
          dead = true;
          return false;
      }
    }
  }

  void finish(bool close) {
    if (dead || !close) {
      trace.add("end");
      return;
    }
    auto st = parser.finish();
    if (st == HttpResponseParser::Status::kMessageComplete) {
      if (!headSeen) {
        headSeen = true;
        checkHead();
      }
      complete();
    } else {
      FUZZ_CHECK(st == HttpResponseParser::Status::kError);
      FUZZ_CHECK(!parser.error().empty());
      trace.add("finish error");
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  uint64_t seed = 0x9E3779B97F4A7C15ull ^ (uint64_t(data[1]) << 8 | flags);
  std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  torus::net::ResponseLimits limits;
  limits.maxHeadBytes = kMaxHead;
  limits.maxHeaderCount = kMaxHeaders;
  limits.maxBodyBytes = (flags & 4) ? 100 : 0;

  auto whole = std::make_unique<Run>(limits, flags & 1);
  {
    std::unique_ptr<char[]> copy(new char[wire.size() + 1]);
    memcpy(copy.get(), wire.data(), wire.size());
    whole->feed(copy.get(), wire.size());
  }
  whole->finish(flags & 2);

  auto cut = std::make_unique<Run>(limits, flags & 1);
  size_t at = 0;
  while (at < wire.size()) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    size_t n = std::min(wire.size() - at, size_t(1 + seed % ((seed >> 40) & 1 ? 5 : 200)));
    std::unique_ptr<char[]> piece(new char[n]);  // its own allocation: ASan sees over-reads
    memcpy(piece.get(), wire.data() + at, n);
    at += n;
    if (!cut->feed(piece.get(), n)) break;
  }
  cut->finish(flags & 2);
  if (whole->trace.text != cut->trace.text) {
    fprintf(stderr, "whole: %s\ncut:   %s\n", whole->trace.text.c_str(), cut->trace.text.c_str());
    __builtin_trap();
  }
  return 0;
}
