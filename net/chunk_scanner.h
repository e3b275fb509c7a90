// RFC 9112 7.1 chunk framing held strictly, beside llhttp: for the request parser
// (net/http_parser.cc) and the response parser (net/http_response_parser.cc), so that a
// chunked body is framed the same way on both sides of torus.
//
// Thread: any (one scanner per parser).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "net/http_parser.h"  // HttpError

namespace torus::net::detail {

// A chunk size fits 16 hex digits (uint64_t); longer ones, leading zeros included, are
// refused rather than scanned forever ("000...0001").
constexpr uint32_t kMaxChunkSizeDigits = 16;

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 9112 7.1 chunked framing, checked byte by byte beside llhttp. Debian's llhttp is built
// in loose mode, which takes any byte after a chunk-size CR and any two bytes after chunk
// data as line ends; a front end that reads them strictly would frame the body differently
// (request smuggling). This scanner holds every framing byte to CRLF and bounds extensions
// and trailers. Body bytes are skipped by count, never copied.
class ChunkScanner {
 public:
  // budget: the bytes extensions and trailers of one message may take (the head limit).
  void start(size_t budget) {
    *this = ChunkScanner();
    budget_ = budget;
  }
  bool done() const { return state_ == State::kDone; }

  // Scans the next n bytes of the body. False with *error set when the framing is bad.
  bool scan(const char* p, size_t n, HttpError* error) {
    size_t i = 0;
    while (i < n) {
      const char c = p[i];
      switch (state_) {
        case State::kSizeStart:
        case State::kSize: {
          const int v = hexValue(c);
          if (v >= 0) {
            if (++digits_ > kMaxChunkSizeDigits) return fail(error, 400, "invalid chunk size");
            size_ = (size_ << 4) | static_cast<uint64_t>(v);
            state_ = State::kSize;
          } else if (state_ == State::kSizeStart) {
            return fail(error, 400, "invalid chunk size");
          } else if (c == ';') {
            state_ = State::kExt;
          } else if (c == '\r') {
            state_ = State::kSizeLf;
          } else {
            return fail(error, 400, "invalid chunk size");
          }
          ++i;
          break;
        }
        case State::kExt: {
          // llhttp checks the extension grammar; here only its length and line end matter.
          const void* cr = memchr(p + i, '\r', n - i);
          const size_t run =
              cr ? static_cast<size_t>(static_cast<const char*>(cr) - (p + i)) : n - i;
          if (memchr(p + i, '\n', run) != nullptr) return fail(error, 400, "bad chunk framing");
          if (!spend(run)) return fail(error, 400, "chunk extensions too long");
          i += run;
          if (cr) {
            state_ = State::kSizeLf;
            ++i;
          }
          break;
        }
        case State::kSizeLf:
          if (c != '\n') return fail(error, 400, "bad chunk framing");
          ++i;
          if (size_ == 0) {
            state_ = State::kTrailerStart;
          } else {
            remaining_ = size_;
            state_ = State::kData;
          }
          size_ = 0;
          digits_ = 0;
          break;
        case State::kData: {
          const uint64_t take = remaining_ < n - i ? remaining_ : n - i;
          remaining_ -= take;
          i += static_cast<size_t>(take);
          if (remaining_ == 0) state_ = State::kDataCr;
          break;
        }
        case State::kDataCr:
          if (c != '\r') return fail(error, 400, "bad chunk framing");
          state_ = State::kDataLf;
          ++i;
          break;
        case State::kDataLf:
          if (c != '\n') return fail(error, 400, "bad chunk framing");
          state_ = State::kSizeStart;
          ++i;
          break;
        case State::kTrailerStart:
          if (c == '\r') {
            state_ = State::kEndLf;
            ++i;
            break;
          }
          if (c == ' ' || c == '\t') return fail(error, 400, "obsolete line folding");
          state_ = State::kTrailer;
          [[fallthrough]];
        case State::kTrailer: {
          const void* cr = memchr(p + i, '\r', n - i);
          const size_t run =
              cr ? static_cast<size_t>(static_cast<const char*>(cr) - (p + i)) : n - i;
          if (memchr(p + i, '\n', run) != nullptr) return fail(error, 400, "bad chunk framing");
          if (!spend(run)) return fail(error, 431, "trailer fields too large");
          i += run;
          if (cr) {
            state_ = State::kTrailerLf;
            ++i;
          }
          break;
        }
        case State::kTrailerLf:
          if (c != '\n') return fail(error, 400, "bad chunk framing");
          state_ = State::kTrailerStart;
          ++i;
          break;
        case State::kEndLf:
          if (c != '\n') return fail(error, 400, "bad chunk framing");
          state_ = State::kDone;
          ++i;
          break;
        case State::kDone:
          return fail(error, 400, "bad chunk framing");
      }
    }
    return true;
  }

 private:
  enum class State : uint8_t {
    kSizeStart,
    kSize,
    kExt,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailer,
    kTrailerLf,
    kEndLf,
    kDone,
  };

  static bool fail(HttpError* error, int status, const char* reason) {
    *error = HttpError{status, reason};
    return false;
  }
  // Extensions and trailers of one message share one budget, the head limit.
  bool spend(size_t n) {
    if (n > budget_) return false;
    budget_ -= n;
    return true;
  }

  State state_ = State::kSizeStart;
  uint32_t digits_ = 0;
  uint64_t size_ = 0;
  uint64_t remaining_ = 0;
  size_t budget_ = 0;
};


}  // namespace torus::net::detail
