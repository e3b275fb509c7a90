// Fuzz target for HttpParser (requests, net/http_parser.h): any bytes must either parse or be
// refused: never crash, hang, read out of bounds, or keep pointers into the input. The input
// (after its first byte) is parsed twice as one connection's pipeline: in one feed, and cut
// into pieces seeded by the first byte, each piece in its own allocation that is gone after
// its feed (ASan sees kept pointers). Each message gets a fresh heap.
//
// Invariants: feed() never says it used more than it was given, all of it on kNeedMore;
// a parsed request stays within the limits (target, header count, body; a Content-Length
// body is exactly that long); and what the pipeline parses to (each request's method,
// target, version, headers, keep-alive, framing and body, then an error or not) is the same
// whole and in pieces: framing never depends on how TCP cut the bytes (smuggling).
// Seeds: corpus/http_parser/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/request_heap.h"
#include "net/http_parser.h"

namespace {

#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      fprintf(stderr, "http_parser_fuzz: invariant broken: %s (line %d)\n", #cond, __LINE__); \
      __builtin_trap();                                                                       \
    }                                                                                         \
  } while (0)

using torus::net::HttpParser;

torus::net::HttpLimits limits() {
  torus::net::HttpLimits l;
  l.maxHeadBytes = 4096;
  l.maxBodyBytes = 65536;
  l.maxHeaderCount = 32;
  l.maxTargetBytes = 1024;
  return l;
}

void add(std::string* trace, std::string_view s) {
  trace->append(s);
  trace->push_back('\x1f');
}

// A request, read back whole (every view dereferenced: ASan sees dangling ones).
void record(const torus::net::HttpRequest& r, std::string* trace) {
  const torus::net::HttpLimits l = limits();
  FUZZ_CHECK(r.target.size() <= l.maxTargetBytes);
  FUZZ_CHECK(r.headerCount <= l.maxHeaderCount);
  FUZZ_CHECK(r.body != nullptr && r.body->size() <= l.maxBodyBytes);
  if (r.contentLength >= 0 && !r.chunked) FUZZ_CHECK(r.body->size() == uint64_t(r.contentLength));
  char line[96];
  snprintf(line, sizeof line, "req %u.%u ka=%d ec=%d ch=%d cl=%lld", r.versionMajor, r.versionMinor,
           r.keepAlive, r.expectContinue, r.chunked, (long long)r.contentLength);
  add(trace, line);
  add(trace, r.method);
  add(trace, r.target);
  add(trace, r.host);
  for (uint32_t i = 0; i < r.headerCount; ++i) {
    add(trace, r.headers[i].name);
    add(trace, r.headers[i].value);
  }
  add(trace, {r.body->data(), r.body->size()});
}

// Parses the pipeline, cut before each offset in `cuts`; the trace of what came of it.
std::string parse(std::string_view input, const std::vector<size_t>& cuts) {
  static torus::alloc::BlockPool pool;
  HttpParser parser(limits());
  auto heap = std::make_unique<torus::alloc::RequestHeap>(pool);
  parser.reset(*heap);
  std::string trace;
  size_t from = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t to = i < cuts.size() ? cuts[i] : input.size();
    std::unique_ptr<char[]> owned(new char[to - from + 1]);
    memcpy(owned.get(), input.data() + from, to - from);
    const char* p = owned.get();
    size_t left = to - from;
    from = to;
    for (int guard = 0; guard < 100000; ++guard) {
      size_t used = 0;
      HttpParser::Status st = parser.feed(p, left, &used);
      FUZZ_CHECK(used <= left);
      p += used;
      left -= used;
      if (st == HttpParser::Status::kError) {
        FUZZ_CHECK(parser.error().status >= 400 && parser.error().status <= 599);
        // Which refusal comes first may depend on the cuts: the fact only.
        add(&trace, "error");
        return trace;
      }
      if (st == HttpParser::Status::kMessageComplete) {
        record(parser.request(), &trace);
        heap = std::make_unique<torus::alloc::RequestHeap>(pool);
        parser.reset(*heap);
        if (left == 0) break;
      } else if (st == HttpParser::Status::kHeadersComplete) {
        FUZZ_CHECK(parser.headComplete());
        continue;  // again, even with nothing left
      } else {
        FUZZ_CHECK(left == 0);  // kNeedMore uses everything
        break;
      }
    }
  }
  add(&trace, parser.inMessage() ? "partial" : "idle");
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  uint64_t seed = 0x9E3779B97F4A7C15ull ^ data[0];
  std::vector<size_t> cuts;
  for (size_t at = 0;;) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    at += 1 + seed % ((seed >> 32) & 1 ? 4 : 200);
    if (at >= input.size()) break;
    cuts.push_back(at);
  }
  std::string whole = parse(input, {});
  std::string cut = parse(input, cuts);
  if (whole != cut) {
    fprintf(stderr, "http_parser_fuzz: whole and cut differ\nwhole: %s\ncut:   %s\n", whole.c_str(),
            cut.c_str());
    __builtin_trap();
  }
  return 0;
}
