// HTTP/1.1 request parsing (RFC 9112) on llhttp, with torus's limits and its refusal of
// framing that invites request smuggling. One parser per connection; it owns no request
// memory: each message is parsed into the RequestHeap handed to reset().
//
// Thread: the owning worker's. Views in HttpRequest point into that heap and live until the
// heap is released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alloc/request_heap.h"

struct llhttp__internal_s;

namespace torus::net {

// Request limits, each configurable (server config); defaults in line with nginx/h2o/Envoy.
struct HttpLimits {
  size_t maxHeadBytes = 64 * 1024;         // request line + header block -> 431
  size_t maxHeaderCount = 100;             // -> 431
  size_t maxTargetBytes = 8 * 1024;        // request-target -> 414
  uint64_t maxBodyBytes = 100ull << 20;    // -> 413, before reading when Content-Length says so
};

struct HttpHeader {
  std::string_view name;   // as sent (case preserved)
  std::string_view value;  // leading/trailing whitespace trimmed
};

// One parsed request. Every view points into the request heap.
struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // request-target as sent: "/path?query" (or absolute-form)
  uint8_t versionMajor = 1;
  uint8_t versionMinor = 1;
  const HttpHeader* headers = nullptr;
  uint32_t headerCount = 0;
  std::string_view host;        // the Host header's value (empty if absent on HTTP/1.0)
  bool keepAlive = true;        // from version and Connection header
  bool expectContinue = false;  // "Expect: 100-continue"
  bool chunked = false;         // Transfer-Encoding: chunked
  int64_t contentLength = -1;   // -1 when absent
  alloc::HeapBuffer* body = nullptr;  // whole body (chunked de-framed); never null after reset
  // Set by a TLS server (net/http_server.h): the connection's protocol ("TLSv1.3"), cipher
  // and SNI name, valid while the exchange lives. Not parsed; empty tlsVersion: plain.
  std::string_view tlsVersion;
  std::string_view tlsCipher;
  std::string_view tlsServerName;
};

// What the caller answers on a parse error; the connection closes after sending it.
struct HttpError {
  int status = 0;              // 400, 413, 414, 431, 501, 505
  const char* reason = "";     // short, human-readable, safe to send to the client
};

class HttpParser {
 public:
  enum class Status {
    kNeedMore,          // all input consumed, message not complete
    kHeadersComplete,   // head parsed: request() has method/target/headers; body not yet
    kMessageComplete,   // whole message parsed: request() is final
    kError,             // error() says what to answer
  };

  explicit HttpParser(const HttpLimits& limits);
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  // Starts a new message whose memory comes from `heap`. Call before the first feed() and
  // after each kMessageComplete.
  void reset(alloc::RequestHeap& heap);

  // Parses up to len bytes; *consumed says how many were used. Stops right after the head
  // (kHeadersComplete) and right after a complete message (kMessageComplete), so the caller
  // may act (100-continue, dispatch, backpressure) and then feed the rest. Input bytes need
  // not outlive the call: everything kept is copied into the heap.
  // kNeedMore always means all len bytes were used. After kHeadersComplete call feed() again
  // even when no input is left (len 0, data may be null): a message without a body then
  // completes at once with *consumed == 0.
  Status feed(const char* data, size_t len, size_t* consumed);

  // True between the first byte of a message and its completion (for idle vs header timeouts
  // and for "client closed mid-request").
  bool inMessage() const;
  // True once the head is complete for the current message (body phase).
  bool headComplete() const;

  // From now on (until the next reset()) body bytes go to fn(arg, bytes, n), de-framed,
  // instead of into request().body; the body limits still count every byte. fn runs inside
  // feed() and must not call back into this parser.
  using BodyFn = void (*)(void* arg, const char* data, size_t n);
  void streamBody(BodyFn fn, void* arg);
  // Body bytes seen so far in the current message (de-framed).
  uint64_t bodyBytes() const;
  // Lowers the current message's body limit (until the next reset()); more body bytes than
  // that fail the message with 413 as HttpLimits::maxBodyBytes does. False if bodyBytes()
  // is already past it.
  bool limitBody(uint64_t maxBytes);

  const HttpRequest& request() const { return *request_; }
  const HttpError& error() const { return error_; }

 private:
  struct Impl;
  Impl* impl_;
  HttpRequest* request_ = nullptr;
  HttpError error_;
};

}  // namespace torus::net
