// Fuzz target for HttpParser: any bytes, split at a point the input chooses, must either
// parse or be refused — never crash, hang, read out of bounds, or keep pointers into the
// input. Each message gets a fresh heap; whatever a parsed request holds is read back.
//
// Built two ways: with clang's libFuzzer (preset `fuzz`: TORUS_FUZZ=ON), and as a plain
// replay test for CTest that runs the target over deterministic mutations of seed requests.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "alloc/request_heap.h"
#include "net/http_parser.h"

namespace {

void consume(const torus::net::HttpRequest& r) {
  volatile size_t sink = r.method.size() + r.target.size() + r.host.size();
  for (uint32_t i = 0; i < r.headerCount; ++i) {
    sink = sink + r.headers[i].name.size() + r.headers[i].value.size();
    if (!r.headers[i].name.empty()) sink = sink + uint8_t(r.headers[i].name[0]);
  }
  if (r.body && r.body->size()) sink = sink + uint8_t(r.body->data()[r.body->size() - 1]);
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using torus::net::HttpParser;
  static torus::alloc::BlockPool pool;
  torus::net::HttpLimits limits;
  limits.maxHeadBytes = 4096;
  limits.maxBodyBytes = 65536;
  limits.maxHeaderCount = 32;
  limits.maxTargetBytes = 1024;
  HttpParser parser(limits);
  // The first byte picks where the input is split into two feeds.
  size_t split = size ? data[0] % (size + 1) : 0;
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> pieces = {input.substr(0, split), input.substr(split)};

  auto heap = std::make_unique<torus::alloc::RequestHeap>(pool);
  parser.reset(*heap);
  for (std::string& piece : pieces) {
    // Each piece lives in its own allocation, gone after the loop: ASan sees kept pointers.
    auto owned = std::make_unique<char[]>(piece.size() + 1);
    memcpy(owned.get(), piece.data(), piece.size());
    const char* p = owned.get();
    size_t left = piece.size();
    for (int guard = 0; guard < 100000; ++guard) {
      size_t used = 0;
      HttpParser::Status st = parser.feed(p, left, &used);
      if (used > left) __builtin_trap();
      p += used;
      left -= used;
      if (st == HttpParser::Status::kError) return 0;
      if (st == HttpParser::Status::kMessageComplete) {
        consume(parser.request());
        heap = std::make_unique<torus::alloc::RequestHeap>(pool);
        parser.reset(*heap);
      } else if (st == HttpParser::Status::kHeadersComplete) {
        consume(parser.request());
      } else if (left == 0) {
        break;  // kNeedMore: all used
      }
      if (left == 0 && st != HttpParser::Status::kHeadersComplete) break;
    }
  }
  return 0;
}

#ifndef TORUS_LIBFUZZER
// Replay mode: seed requests and deterministic mutations of them (bytes flipped, inserted,
// deleted, duplicated), as a CTest test that needs no clang.
int main() {
  const char* seeds[] = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: b\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
      "GET /a?b=c HTTP/1.0\r\nConnection: keep-alive\r\nX: y\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
  };
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char kInteresting[] = "\r\n:; \t0123456789abcdefxXHTP/.,\0\x80\xff-";
  int runs = 0;
  for (const char* seed : seeds) {
    for (int i = 0; i < 4000; ++i) {
      std::string s = seed;
      int edits = 1 + int(next() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        size_t at = next() % s.size();
        switch (next() % 4) {
          case 0: s[at] = kInteresting[next() % (sizeof kInteresting - 1)]; break;
          case 1: s.insert(at, 1, kInteresting[next() % (sizeof kInteresting - 1)]); break;
          case 2: s.erase(at, 1 + next() % 8); break;
          case 3: s.insert(at, s.substr(at, next() % 32)); break;
        }
      }
      s.insert(s.begin(), char(next()));  // the split byte
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
      ++runs;
    }
  }
  printf("http_parser_fuzz replay: %d inputs, no crash\n", runs);
  return 0;
}
#endif
