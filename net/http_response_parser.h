// HTTP/1.1 response parsing (RFC 9112) on llhttp, for the client (net/http_client.h): one
// parser per connection, one response at a time, with the client's limits. The caller says
// what the request was (HEAD: no body) before the response's first byte; interim 1xx
// responses (100, 103) are skipped and the final one is parsed; 204 and 304 have no body;
// chunked, Content-Length and close-delimited bodies are framed here; Content-Length with
// Transfer-Encoding, and codings other than a single "chunked", are refused (a pooled
// connection must never frame a response differently from the server).
//
// Memory: the head is copied into the parser's HttpResponse (its own vector, so views stay
// valid when the caller moves it out); body bytes go to a callback, de-framed.
//
// Thread: the owning worker's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_parser.h"  // HttpHeader

struct llhttp__internal_s;

namespace torus::net {

struct ResponseLimits {
  size_t maxHeadBytes = 64 * 1024;  // status line + header block, each interim one included
  size_t maxHeaderCount = 100;
  uint64_t maxBodyBytes = 0;  // 0: unlimited
};

// One parsed response head. Views point into `storage` (moving the struct keeps them valid).
struct HttpResponse {
  int status = 0;
  std::string_view reason;
  uint8_t versionMinor = 1;
  std::vector<HttpHeader> headers;
  std::vector<char> storage;
  int64_t contentLength = -1;  // -1 when absent (or when the response has no body)
  bool chunked = false;
  bool closeDelimited = false;  // the body ends when the server closes
  bool noBody = false;          // HEAD, 204, 304
  bool keepAlive = true;        // known at message end: the connection may be reused
};

class HttpResponseParser {
 public:
  enum class Status {
    kNeedMore,         // all input consumed, message not complete
    kHeadersComplete,  // the final head is parsed (response()); the body follows
    kMessageComplete,  // the whole response is parsed
    kError,            // error() says what
  };

  explicit HttpResponseParser(const ResponseLimits& limits);
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Starts a new response; headRequest: the request was HEAD (no body whatever the head
  // says).
  void reset(bool headRequest);

  // Parses up to len bytes; *consumed says how many were used. Stops right after the final
  // head (kHeadersComplete, call again with the rest, even with len 0) and right after the
  // message (kMessageComplete: bytes after it are not used; a server must not send any).
  // Body bytes go to the body function during the call.
  Status feed(const char* data, size_t len, size_t* consumed);
  // The server closed the connection: completes a close-delimited body (kMessageComplete),
  // else kError ("connection closed before the response ended" / "... before the response").
  Status finish();

  using BodyFn = void (*)(void* arg, const char* data, size_t n);
  void onBody(BodyFn fn, void* arg) {
    bodyFn_ = fn;
    bodyArg_ = arg;
  }

  // A response byte has been seen (an interim one counts): a retry is no longer safe.
  bool started() const { return started_; }
  bool headComplete() const { return headComplete_; }
  uint64_t bodyBytes() const { return bodyBytes_; }
  HttpResponse& response() { return response_; }
  const std::string& error() const { return error_; }

  struct Impl;

 private:
  Impl* impl_;
  HttpResponse response_;
  std::string error_;
  BodyFn bodyFn_ = nullptr;
  void* bodyArg_ = nullptr;
  bool started_ = false;
  bool headComplete_ = false;
  uint64_t bodyBytes_ = 0;
  friend struct Impl;
};

}  // namespace torus::net
