// Fuzz target for chunked decoding (RFC 9112 7.1): the input (after a split-seed byte) is a
// chunked body, read four ways: by a plain reference decoder written here from the RFC's
// grammar, by net::detail::ChunkScanner (whole and in pieces), by the request parser behind
// a chunked request head, and by the response parser behind a chunked response head.
//
// Invariants:
//  - the scanner's verdict (done / refused / wants more) equals the reference decoder's, and
//    does not depend on how the input is cut (the refusal's reason may);
//  - a request or response the parsers complete was accepted by the reference, its
//    de-framed body is the reference's byte for byte, and the parser stopped exactly at the
//    end of the chunked body (what follows belongs to the next message): no body framed
//    differently on either side of torus;
//  - a message the request parser completes, the response parser completes too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/request_heap.h"
#include "net/chunk_scanner.h"
#include "net/http_parser.h"
#include "net/http_response_parser.h"

namespace {

#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      fprintf(stderr, "chunked_fuzz: invariant broken: %s (line %d)\n", #cond, __LINE__);     \
      __builtin_trap();                                                                       \
    }                                                                                         \
  } while (0)

constexpr size_t kBudget = 200;  // extensions + trailers, for the scanner run directly

enum class Verdict { kDone, kError, kMore };

struct Reference {
  Verdict verdict = Verdict::kMore;
  std::string body;
  size_t end = 0;  // kDone: bytes of the chunked body
};

int hex(char c) { return torus::net::detail::hexValue(c); }

// RFC 9112 7.1 as the scanner reads it: chunk-size is 1-16 HEXDIG; an extension is anything
// up to CR without LF; every line ends in CRLF; a trailer line must not start with SP/HT;
// extensions and trailers together take at most `budget` bytes.
Reference reference(std::string_view b, size_t budget) {
  Reference r;
  size_t i = 0;
  auto fail = [&] {
    r.verdict = Verdict::kError;
    return r;
  };
  auto spend = [&](size_t n) {
    if (n > budget) return false;
    budget -= n;
    return true;
  };
  // A line's end: CRLF at i (i at CR). kMore if not all here.
  for (;;) {
    uint64_t size = 0;
    size_t digits = 0;
    while (i < b.size() && hex(b[i]) >= 0) {
      if (++digits > 16) return fail();
      size = size << 4 | uint64_t(hex(b[i]));
      ++i;
    }
    if (i == b.size()) return r;
    if (digits == 0) return fail();
    if (b[i] == ';') {
      size_t j = i + 1;
      while (j < b.size() && b[j] != '\r') {
        if (b[j] == '\n') return fail();
        ++j;
      }
      if (!spend(j - i - 1)) return fail();
      i = j;
      if (i == b.size()) return r;
    }
    if (b[i] != '\r') return fail();
    if (++i == b.size()) return r;
    if (b[i++] != '\n') return fail();
    if (size == 0) break;
    if (size > b.size() - i) return r;  // the data is not all here
    r.body.append(b.substr(i, size_t(size)));
    i += size_t(size);
    if (i == b.size()) return r;
    if (b[i++] != '\r') return fail();
    if (i == b.size()) return r;
    if (b[i++] != '\n') return fail();
  }
  // Trailers, then the empty line.
  for (;;) {
    if (i == b.size()) return r;
    if (b[i] == '\r') {
      if (++i == b.size()) return r;
      if (b[i++] != '\n') return fail();
      r.verdict = Verdict::kDone;
      r.end = i;
      return r;
    }
    if (b[i] == ' ' || b[i] == '\t') return fail();
    size_t j = i;
    while (j < b.size() && b[j] != '\r') {
      if (b[j] == '\n') return fail();
      ++j;
    }
    if (!spend(j - i)) return fail();
    i = j;
    if (i == b.size()) return r;
    if (++i == b.size()) return r;
    if (b[i++] != '\n') return fail();
  }
}

std::vector<size_t> cuts(std::string_view s, uint64_t seed) {
  std::vector<size_t> out;
  size_t at = 0;
  while (at < s.size()) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    at += 1 + seed % ((seed >> 32) % 2 ? 7 : 300);
    if (at < s.size()) out.push_back(at);
  }
  return out;
}

template <typename Fn>
void inPieces(std::string_view s, const std::vector<size_t>& at, Fn fn) {
  size_t from = 0;
  for (size_t to : at) {
    // Each piece in its own allocation: ASan sees a read past it.
    std::unique_ptr<char[]> p(new char[to - from]);
    memcpy(p.get(), s.data() + from, to - from);
    if (!fn(p.get(), to - from)) return;
    from = to;
  }
  std::unique_ptr<char[]> p(new char[s.size() - from + 1]);
  memcpy(p.get(), s.data() + from, s.size() - from);
  fn(p.get(), s.size() - from);
}

Verdict scan(std::string_view b, const std::vector<size_t>& at, const char** reason) {
  torus::net::detail::ChunkScanner s;
  s.start(kBudget);
  bool ok = true;
  torus::net::HttpError e;
  inPieces(b, at, [&](const char* p, size_t n) { return ok = s.scan(p, n, &e); });
  *reason = ok ? "" : e.reason;
  return !ok ? Verdict::kError : s.done() ? Verdict::kDone : Verdict::kMore;
}

struct Parsed {
  bool complete = false;
  bool error = false;
  std::string body;
  size_t used = 0;  // bytes of the input the message took
};

Parsed parseRequest(std::string_view in, const std::vector<size_t>& at) {
  static torus::alloc::BlockPool pool;
  torus::net::HttpLimits limits;
  limits.maxBodyBytes = 1 << 20;
  torus::net::HttpParser parser(limits);
  torus::alloc::RequestHeap heap(pool);
  parser.reset(heap);
  Parsed r;
  inPieces(in, at, [&](const char* p, size_t n) {
    for (;;) {
      size_t used = 0;
      auto st = parser.feed(p, n, &used);
      FUZZ_CHECK(used <= n);
      r.used += used;
      p += used;
      n -= used;
      if (st == torus::net::HttpParser::Status::kError) {
        r.error = true;
        return false;
      }
      if (st == torus::net::HttpParser::Status::kMessageComplete) {
        r.complete = true;
        auto* b = parser.request().body;
        r.body.assign(b->data(), b->size());
        return false;
      }
      if (st == torus::net::HttpParser::Status::kNeedMore) {
        FUZZ_CHECK(n == 0);
        return true;
      }
    }
  });
  return r;
}

Parsed parseResponse(std::string_view in, const std::vector<size_t>& at) {
  torus::net::ResponseLimits limits;
  limits.maxHeadBytes = 64 * 1024;
  torus::net::HttpResponseParser parser(limits);
  parser.reset(false);
  Parsed r;
  parser.onBody([](void* arg, const char* d, size_t n) { static_cast<Parsed*>(arg)->body.append(d, n); },
                &r);
  inPieces(in, at, [&](const char* p, size_t n) {
    for (;;) {
      size_t used = 0;
      auto st = parser.feed(p, n, &used);
      FUZZ_CHECK(used <= n);
      r.used += used;
      p += used;
      n -= used;
      if (st == torus::net::HttpResponseParser::Status::kError) {
        r.error = true;
        return false;
      }
      if (st == torus::net::HttpResponseParser::Status::kMessageComplete) {
        r.complete = true;
        return false;
      }
      if (st == torus::net::HttpResponseParser::Status::kNeedMore) {
        FUZZ_CHECK(n == 0);
        return true;
      }
    }
  });
  FUZZ_CHECK(r.body.size() == parser.bodyBytes());
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint64_t seed = 0x9E3779B97F4A7C15ull ^ data[0];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The scanner against the reference, whole and in pieces.
  Reference ref = reference(body, kBudget);
  const char* whole = "";
  const char* split = "";
  Verdict w = scan(body, {}, &whole);
  Verdict s = scan(body, cuts(body, seed), &split);
  Verdict expected = ref.verdict == Verdict::kDone && ref.end < body.size() ? Verdict::kError : ref.verdict;
  FUZZ_CHECK(w == expected);
  // (Only the verdict: which refusal comes first may depend on the cuts, e.g. an extension
  // over budget in a piece that ends before its bare LF.)
  FUZZ_CHECK(s == w);

  // The parsers: a message they complete is the reference's.
  Reference lenient = reference(body, SIZE_MAX);
  const std::string reqHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string resHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string req = reqHead + std::string(body);
  std::string res = resHead + std::string(body);
  Parsed pq = parseRequest(req, cuts(req, seed + 1));
  Parsed pr = parseResponse(res, cuts(res, seed + 2));
  if (pq.complete) {
    FUZZ_CHECK(lenient.verdict == Verdict::kDone);
    FUZZ_CHECK(pq.body == lenient.body);
    FUZZ_CHECK(pq.used == reqHead.size() + lenient.end);
  }
  if (pr.complete) {
    FUZZ_CHECK(lenient.verdict == Verdict::kDone);
    FUZZ_CHECK(pr.body == lenient.body);
    FUZZ_CHECK(pr.used == resHead.size() + lenient.end);
  }
  // The server's side is the strict one: what it takes, the client takes. (Not the converse:
  // the response parser takes a trailer line with an empty field name, ": v", which the
  // request parser refuses, a leniency of the client that frames nothing differently.)
  if (pq.complete) FUZZ_CHECK(pr.complete);
  return 0;
}
