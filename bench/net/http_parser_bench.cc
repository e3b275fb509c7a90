// HttpParser on the request wrk sends by default, plus ~3 typical headers, the way a
// connection uses it: a fresh RequestHeap per request over a reused BlockPool, reset(), the
// head, then the message-complete call.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "alloc/request_heap.h"
#include "net/http_parser.h"

namespace torus::net {
namespace {

using Status = HttpParser::Status;

const std::string kWrkGet =
    "GET /index.html HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: wrk/4.1.0\r\n"
    "Accept: */*\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f14e45fceea167a5a36dedd4bea2543\r\n"
    "\r\n";

// Parses one message at `data`; returns the bytes it took.
size_t parseOne(HttpParser& parser, alloc::RequestHeap& heap, const char* data, size_t len) {
  parser.reset(heap);
  size_t used = 0;
  size_t total = 0;
  if (parser.feed(data, len, &used) != Status::kHeadersComplete) abort();
  total += used;
  if (parser.feed(data + total, len - total, &used) != Status::kMessageComplete) abort();
  total += used;
  return total;
}

void BM_WrkGet(benchmark::State& state) {
  alloc::BlockPool pool;
  HttpParser parser{HttpLimits()};
  for (auto _ : state) {
    alloc::RequestHeap heap(pool);
    parseOne(parser, heap, kWrkGet.data(), kWrkGet.size());
    benchmark::DoNotOptimize(parser.request().headers);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kWrkGet.size()));
}
BENCHMARK(BM_WrkGet);

// wrk --pipeline style: 16 requests in one buffer, taken one at a time.
void BM_WrkGetPipelined16(benchmark::State& state) {
  std::string buffer;
  for (int i = 0; i < 16; ++i) buffer += kWrkGet;
  alloc::BlockPool pool;
  HttpParser parser{HttpLimits()};
  for (auto _ : state) {
    size_t off = 0;
    while (off < buffer.size()) {
      alloc::RequestHeap heap(pool);
      off += parseOne(parser, heap, buffer.data() + off, buffer.size() - off);
      benchmark::DoNotOptimize(parser.request().headers);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 16));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
}
BENCHMARK(BM_WrkGetPipelined16);

// A small JSON POST with Content-Length: the body copy into the heap included.
void BM_SmallPost(benchmark::State& state) {
  const std::string body(static_cast<size_t>(state.range(0)), 'j');
  const std::string in =
      "POST /api/items HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
      "User-Agent: wrk/4.1.0\r\nAccept: */*\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  alloc::BlockPool pool;
  HttpParser parser{HttpLimits()};
  for (auto _ : state) {
    alloc::RequestHeap heap(pool);
    parseOne(parser, heap, in.data(), in.size());
    benchmark::DoNotOptimize(parser.request().body->data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_SmallPost)->Arg(256)->Arg(4096);

}  // namespace
}  // namespace torus::net
