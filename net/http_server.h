// The HTTP/1.1 server of one worker: accepts on its listening socket, parses requests
// (net/http_parser.h), hands each complete request to a RequestHandler as an Exchange, and
// writes responses strictly in request order (pipelining), gathered into one send per turn.
//
// Lifetimes: an Exchange owns its request heap and lives from the first byte of its request
// until the last byte of its response is sent (then onDone) or its connection dies (then
// onAbort). After either call the handler must not touch it again. Exchanges and their
// heaps are recycled through bounded per-server free lists.
//
// Thread: the owning worker's; everything here is single-threaded.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/request_heap.h"
#include "base/result.h"
#include "engine/loop.h"
#include "net/http_parser.h"

namespace torus::net {

struct ServerOptions {
  HttpLimits limits;
  uint32_t headerTimeoutMs = 10'000;     // first byte of a request -> end of its head
  uint32_t bodyTimeoutMs = 60'000;       // longest pause between body bytes
  uint32_t keepAliveTimeoutMs = 60'000;  // idle connection between requests
  uint32_t sendTimeoutMs = 60'000;       // longest a client may stall reading a response
  uint32_t maxConnections = 10'000;      // per worker; beyond it new connections are closed
  uint32_t maxPipelined = 16;            // requests parsed ahead of their responses
};

struct ServerStats {
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // over maxConnections
  uint64_t requests = 0;  // complete requests handed to the handler
  uint64_t responses = 0;
  uint64_t errors = 0;    // 4xx/5xx answered by the server itself (parse errors, limits)
};

class Connection;
class HttpServer;

class Exchange {
 public:
  const HttpRequest& request() const { return request_; }
  alloc::RequestHeap& heap() { return heap_; }

  // Bodies up to this size are copied during respond(), next to the head (one iovec).
  static constexpr size_t kCopiedBodyBytes = 4096;

  // Sends the whole response. Headers are copied during the call, and so is a body of at
  // most kCopiedBodyBytes; a larger body must stay valid until onDone/onAbort: keep it in
  // the heap, or register a heap cleanup that releases its owner. Content-Length, Date and
  // Connection are added here (a handler's own are dropped); a HEAD request or a
  // 1xx/204/304 status gets no body. Called at most once. `reason` is the status line's
  // reason phrase (copied; the caller checked it is a valid reason-phrase, RFC 9112
  // §4), or empty for the standard one (statusReason).
  void respond(int status, std::span<const HttpHeader> headers, std::span<const char> body,
               std::string_view reason = {});
  // respond() with `message` and a newline as text/plain (errors answered without JS).
  void respondText(int status, std::string_view message);

  // A response of unknown length: chunked on HTTP/1.1, close-delimited on HTTP/1.0. Each
  // chunk's bytes must stay valid until onDone/onAbort (as for respond()); an empty chunk
  // is skipped. endStream() sends the terminating chunk.
  void startStream(int status, std::span<const HttpHeader> headers,
                   std::string_view reason = {});
  void writeChunk(std::span<const char> data);
  void endStream();

  // The handler has started its response (respond() or startStream()).
  bool responded() const { return state_ >= State::kStreaming; }

  // The handler's own per-request pointer (js/ keeps its request context here).
  void* userData = nullptr;

 private:
  friend class Connection;
  friend class HttpServer;
  enum class State { kParsing, kDispatched, kStreaming, kComplete };
  explicit Exchange(alloc::BlockPool& pool) : heap_(pool) {}
  void reset();

  alloc::RequestHeap heap_;
  HttpRequest request_;
  Connection* conn_ = nullptr;
  Exchange* next_ = nullptr;  // the connection's queue, in request order
  State state_ = State::kParsing;
  bool wantsContinue_ = false;  // "100 Continue" owed before the body is read
  bool continueSent_ = false;
  bool closeAfter_ = false;
  bool inQueue_ = false;  // in its connection's response queue (from the end of its head)
  bool noBody_ = false;    // HEAD, 1xx, 204, 304: framing headers only
  bool chunked_ = false;   // a stream on HTTP/1.1
  void addPiece(const void* data, size_t len);
  // The serialized response so far, as iovecs in the heap; the connection hands them to
  // sends in order. Byte counts say when every byte is out.
  iovec* pieces_ = nullptr;
  size_t pieceCount_ = 0;
  size_t pieceCap_ = 0;
  size_t piecesHandedOut_ = 0;  // iovecs already given to a send
  uint64_t bytesHandedOut_ = 0;
  uint64_t bytesAcked_ = 0;
};

// The application: js/ implements it. onRequest is called when a request is complete; the
// handler may respond at once or in a later turn.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void onRequest(Exchange* ex) = 0;
  // The response was sent (or the request was answered by the server): release per-request
  // state. Not called for exchanges that never reached onRequest.
  virtual void onDone(Exchange* ex) = 0;
  // The connection died before the response was sent: release per-request state.
  virtual void onAbort(Exchange* ex) = 0;
};

class HttpServer {
 public:
  HttpServer(engine::Loop& loop, const ServerOptions& options, RequestHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting on a bound, listening socket (owned by the caller).
  void start(int listenFd);
  // Graceful stop: stop accepting, close idle connections, let the rest finish their
  // in-flight requests and then close. Call closeAll() at the deadline.
  void stopAccepting();
  void closeAll();
  size_t connections() const { return connectionCount_; }
  bool accepting() const { return acceptOp_.pending(); }

  const ServerStats& stats() const { return stats_; }
  const ServerOptions& options() const { return options_; }

  // "Date: ..." value for this second (RFC 9110 IMF-fixdate), recomputed once a second.
  std::string_view date();

 private:
  friend class Connection;
  friend class Exchange;
  void onAccept(const engine::Completion& c);
  Exchange* newExchange(Connection* conn);
  void recycle(Exchange* ex);
  void connectionClosed(Connection* conn);

  engine::Loop& loop_;
  ServerOptions options_;
  RequestHandler& handler_;
  alloc::BlockPool blocks_;
  int listenFd_ = -1;
  bool stopping_ = false;
  size_t connectionCount_ = 0;
  Connection* connections_ = nullptr;  // intrusive list of live connections
  std::vector<Exchange*> freeExchanges_;
  ServerStats stats_;
  int64_t dateSecond_ = -1;
  char date_[32] = {};
  engine::MemberOperation<HttpServer, &HttpServer::onAccept> acceptOp_{this};
};

// The reason phrase for a status code ("" for unknown codes).
std::string_view statusReason(int status);

}  // namespace torus::net
