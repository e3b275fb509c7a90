// The HTTP/1.1 server of one worker: accepts on its listening socket, parses requests
// (net/http_parser.h), hands each request to a RequestHandler as an Exchange (complete, or
// at the end of its head with a body buffer for handlers that stream bodies), and writes
// responses strictly in request order (pipelining), gathered into one send per turn, from
// an owned, bounded queue of pieces per connection.
//
// Lifetimes: an Exchange owns its request heap and lives from the first byte of its request
// until the last byte of its response is sent (then onDone) or its connection dies (then
// onAbort). After either call the handler must not touch it again. Exchanges and their
// heaps are recycled through bounded per-server free lists.
//
// Transport seam (../shared/DESIGN.md part 2): a server with a TLS context (setTls) runs
// every connection through a TlsSession: ciphertext from recv goes into the session and its
// plaintext into the parser; the queued response pieces are counted as plaintext and
// encrypted into one ciphertext buffer per send, so the send queue, its high-water marks and
// acknowledgements work as they do in the clear (a piece is acknowledged once the ciphertext
// it went into is sent). A plain server pays one null test per recv and per flush.
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
#include "base/log.h"
#include "base/result.h"
#include "engine/loop.h"
#include "net/http_parser.h"

namespace torus::net {

struct ServerOptions {
  HttpLimits limits;
  uint32_t headerTimeoutMs = 10'000;     // first byte of a request -> end of its head
  uint32_t bodyTimeoutMs = 60'000;       // longest pause of the client inside a body
  uint32_t keepAliveTimeoutMs = 60'000;  // idle connection between requests
  uint32_t sendTimeoutMs = 60'000;       // longest a client may stall reading a response
  uint32_t maxConnections = 10'000;      // per worker; beyond it new connections are closed
  uint32_t tlsHandshakeTimeoutMs = 10'000;  // accept -> TLS handshake done (TLS servers)
  uint32_t maxPipelined = 16;            // requests parsed ahead of their responses
  // Native memory one request may hold (its request heap: head, a body that arrived whole,
  // framing), counted in the heap's blocks; past it the request gets 503 and the connection
  // closes. 0: bounded by the head and body limits only.
  uint64_t maxRequestMemory = 0;
  // A streamed response's producer is asked for more (wantsMore(), onWritable) while less
  // than this many of its bytes are queued and unacknowledged on its connection.
  uint32_t sendHighWaterMark = 64 * 1024;
  // A streamed request body is buffered up to this many bytes; beyond it the connection
  // stops reading until the handler takes bytes (readBody()).
  uint32_t bodyHighWaterMark = 64 * 1024;
  // The listening socket is shared with other workers' rings (socket activation): accept
  // one connection at a time, so that the kernel spreads them between the rings.
  bool sharedListener = false;
  // Access log: one line (base/log.h's format) per response whose bytes are all out, for one
  // request in accessLogSample (0: off, 1: every request): request id, method, path, status,
  // response bytes, microseconds from the end of the request head to the last byte out,
  // and the app (Exchange::routeName).
  uint32_t accessLogSample = 0;
  unsigned worker = 0;       // the "worker" of its lines; also the request ids' prefix
};

struct ServerStats {
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // over maxConnections
  uint64_t requests = 0;  // requests handed to the handler
  uint64_t responses = 0;
  uint64_t errors = 0;    // 4xx/5xx answered by the server itself (parse errors, limits)
  uint64_t bodyStreams = 0;     // requests handed over at the end of their head (body to come)
  uint64_t bodyPauses = 0;      // times a connection stopped reading: body buffer full
  uint64_t streamsAborted = 0;  // abortStream(), or a stream that broke its Content-Length
  // Most input one connection held unparsed (a full pipeline, a full body buffer): bounded by
  // maxHeadBytes plus what recvs in flight delivered; one buffer per recv while a body streams.
  uint64_t stashPeakBytes = 0;
  // TLS servers.
  uint64_t tlsHandshakes = 0;         // completed
  uint64_t tlsResumed = 0;            // of which resumed (ticket or session id)
  uint64_t tlsFailures = 0;           // refused: not TLS, old version, no common cipher, bad record
  uint64_t tlsHandshakeTimeouts = 0;  // stalled handshakes closed at tlsHandshakeTimeoutMs
};

// Who owns the memory of a piece of a response (see Exchange::writeChunk): release(arg) runs
// exactly once, on the worker thread, as soon as the piece's last byte is acknowledged by a
// send completion, when the exchange ends with the piece unsent (disconnect, abort), or at
// once when the piece is not sent at all (an empty chunk, a HEAD response, a refused chunk).
// release == nullptr: nothing to release.
struct PieceOwner {
  void (*release)(void* arg) = nullptr;
  void* arg = nullptr;
};

class Connection;
class HttpServer;
class TlsServerContext;
struct SendPiece;
struct BodyBlock;

class Exchange {
 public:
  const HttpRequest& request() const { return request_; }
  alloc::RequestHeap& heap() { return heap_; }

  // Bodies up to this size are copied during respond(), next to the head (one iovec).
  static constexpr size_t kCopiedBodyBytes = 4096;

  // ---- Responses ----
  //
  // A response is a queue of pieces on its connection, sent in request order. A piece is
  // released as soon as its bytes are acknowledged, so a long stream holds only what is
  // queued: about sendHighWaterMark bytes when the producer follows wantsMore().

  // Sends the whole response. Headers are copied during the call, and so is a body of at
  // most kCopiedBodyBytes (then `owner` is released at once). A larger body is sent from
  // where it is: without an owner it must stay valid until onDone/onAbort (keep it in the
  // heap, or register a heap cleanup that releases its owner); with one, it is released
  // once sent (PieceOwner). Content-Length, Date and Connection are added here (a
  // handler's own are dropped); a HEAD request or a 1xx/204/304 status gets no body.
  // Called at most once. `reason` is the status line's reason phrase (copied; the caller
  // checked it is a valid reason-phrase, RFC 9112 §4), or empty for the standard one.
  void respond(int status, std::span<const HttpHeader> headers, std::span<const char> body,
               std::string_view reason = {}, PieceOwner owner = {});
  // respond() with `message` and a newline as text/plain (errors answered without JS).
  void respondText(int status, std::string_view message);

  // A response whose body follows in writeChunk() calls. contentLength < 0: unknown length,
  // chunked on HTTP/1.1, close-delimited on HTTP/1.0. contentLength >= 0: sent with that
  // Content-Length and no framing; the server holds the producer to it: a chunk that would
  // exceed it, or endStream() short of it, aborts the stream as abortStream() does (the
  // chunk is refused) and counts in ServerStats::streamsAborted.
  void startStream(int status, std::span<const HttpHeader> headers,
                   std::string_view reason = {}, int64_t contentLength = -1);
  // Queues a chunk (an empty one is skipped). Returns false when it was refused: the stream
  // is aborted (streamAborted()) or broke its Content-Length. After endStream() it must
  // not be called (a TORUS_CHECK), nor endStream() again. Memory:
  //  - writeChunk(data): borrowed; must stay valid until onDone/onAbort (heap, static).
  //  - writeChunk(data, owner): released through owner once sent (see PieceOwner); also
  //    when refused or not sent (HEAD).
  //  - writeChunkCopy(data): copied into blocks of the server's pool, given back once sent.
  // Chunk framing lives in the queue's pooled pieces, never in the request heap.
  bool writeChunk(std::span<const char> data);
  bool writeChunk(std::span<const char> data, PieceOwner owner);
  bool writeChunkCopy(std::span<const char> data);
  // Ends the body (the terminating chunk when chunked). False if the stream broke its
  // declared Content-Length (then it is aborted instead) or was aborted before.
  bool endStream();
  // The producer failed mid-body: nothing more is queued, what is queued is still sent,
  // then the connection is closed (FIN after a half-close and a short linger, like every
  // close after a last response) without the terminating chunk, so that the client sees a
  // truncated body. Pipelined requests behind it are not answered. The exchange ends with
  // onDone once the queued bytes are out (or onAbort if the connection dies first), as any
  // other. Idempotent; after endStream() it does nothing.
  void abortStream();
  bool streamAborted() const { return aborted_; }

  // Response bytes queued on the connection and not yet acknowledged.
  size_t queuedBytes() const { return size_t(queuedBytes_); }
  // The producer may queue more: queuedBytes() is below ServerOptions::sendHighWaterMark.
  // When this was false after a write, RequestHandler::onWritable tells when it is true again.
  bool wantsMore() const;

  // The handler has started its response (respond() or startStream()).
  bool responded() const { return state_ >= State::kStreaming; }

  // ---- Request bodies ----
  //
  // Handlers that return true from RequestHandler::streamsBodies() get a request whose body
  // is not all here at the end of its head then, with bodyComplete() false; its bytes
  // arrive in a buffer read with readBody() (onBodyData says when). Otherwise (and always
  // for other handlers) onRequest comes with the whole body in request().body.

  // request().body holds the whole body (the fast path).
  bool bodyComplete() const { return !bodyStreaming_; }
  // Every body byte has arrived (true on the fast path). Buffered bytes may remain.
  bool bodyEnded() const { return !bodyStreaming_ || bodyEnded_; }
  // The body failed: 0, or the status the server answered (413 over maxBodyBytes, 400 bad
  // framing); the buffer is dropped then and the connection closes after the response (the
  // server's own error response unless the handler had responded). A client that stalls
  // past bodyTimeoutMs or disconnects mid-body ends the exchange with onAbort instead.
  int bodyError() const { return bodyError_; }
  // Lowers this request's body limit below ServerOptions' maxBodyBytes (a router's per-app
  // limit): a streamed body that grows past it fails as the server's own limit does (413,
  // bodyError(), the connection closed). False if the body is already past it (then the
  // caller answers). Nothing to do on the fast path: the whole body is here.
  bool limitBody(uint64_t maxBytes);
  // Bytes buffered and not yet read; at most about bodyHighWaterMark.
  size_t bodyBuffered() const { return size_t(bodyBuffered_); }
  // Copies up to out.size() buffered bytes into out and drops them; reading makes room, so
  // the connection resumes reading when it had paused. Returns the count (0: nothing
  // buffered now). Never calls back into the handler.
  size_t readBody(std::span<char> out);
  // The oldest buffered bytes without copying (empty if none), valid until the next
  // consumeBody()/readBody() or the exchange's end; consumeBody(n) drops n of them.
  std::span<const char> peekBody() const;
  void consumeBody(size_t n);

  // The response's status once respond() or startStream() ran (0 before).
  int status() const { return logStatus_; }
  // Response bytes (head included) the kernel has taken so far.
  uint64_t bytesSent() const { return bytesAcked_; }
  // The request's number on its worker's server: "WORKER-ID" names it in the access log and
  // in the apps' console lines (JSON logs).
  uint64_t id() const { return id_; }

  // The handler's own per-request pointer (js/ keeps its request context here).
  void* userData = nullptr;
  // A router's (a handler in front of handlers: server/apps.h): the handler it chose, and
  // that app's name for the access log.
  void* routeData = nullptr;
  std::string_view routeName;
  uint64_t routeStartMs = 0;  // when the router handed it on (Loop::nowMs)

 private:
  friend class Connection;
  friend class HttpServer;
  enum class State { kParsing, kDispatched, kStreaming, kComplete };
  Exchange(HttpServer& server, alloc::BlockPool& pool);
  void reset();
  // Response pieces: the queue is a list of pooled SendPieces; acknowledged ones go back.
  SendPiece* newPiece();
  void push(SendPiece* piece);
  void addPiece(const void* data, size_t len);  // borrowed bytes
  bool refuse(PieceOwner owner);
  bool checkLength(size_t n, PieceOwner owner);
  void acknowledge(uint64_t n);
  uint64_t bytesHandedOut_ = 0;
  uint64_t bytesAcked_ = 0;
  // Access log: the request's id (0: not logged), its response status and when its head ended.
  uint64_t id_ = 0;
  bool logged_ = false;  // sampled for the access log
  int logStatus_ = 0;
  uint64_t logStartNs_ = 0;
  void releasePieces();
  void releaseBody();
  void appendBody(const char* data, size_t n);
  void pushOwned(const char* data, size_t len, PieceOwner owner);
  void afterWrite();
  void failStream(const char* why);
  void responseComplete();

  HttpServer& server_;
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
  bool aborted_ = false;   // abortStream() or a Content-Length mismatch
  bool full_ = false;      // a write found the queue at the mark: onWritable is owed
  bool bodyStreaming_ = false;  // handed over before the end of its body
  bool bodyEnded_ = false;
  bool tentative_ = false;      // chunked body parsed into the heap until the feed runs out
  bool bodyNews_ = false;       // bytes buffered since the last onBodyData
  int bodyError_ = 0;
  int64_t declaredRemaining_ = -1;  // startStream() with a Content-Length: bytes still owed
  // The response queue: first_ is the oldest unacknowledged piece, unsent_ the first not yet
  // given to a send, last_ the newest.
  SendPiece* first_ = nullptr;
  SendPiece* unsent_ = nullptr;
  SendPiece* last_ = nullptr;
  uint64_t frontAcked_ = 0;  // bytes of first_ already acknowledged
  uint64_t queuedBytes_ = 0;
  // The request body buffer: pooled blocks, oldest first.
  BodyBlock* bodyFirst_ = nullptr;
  BodyBlock* bodyLast_ = nullptr;
  uint64_t bodyBuffered_ = 0;
};

// The application: js/ implements it. onRequest is called when a request is complete (or,
// for a handler that streamsBodies(), at the end of its head when the body is still to
// come); the handler may respond at once or in a later turn. Every exchange that reached
// onRequest gets exactly one of onDone/onAbort, after which it must not be touched.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void onRequest(Exchange* ex) = 0;
  // The response was sent (or the request was answered by the server): release per-request
  // state. Also called for the server's own answers to requests that never reached
  // onRequest (a 400, a 431): their userData and routeData are null.
  virtual void onDone(Exchange* ex) = 0;
  // The connection died before the response was sent: release per-request state. As
  // onDone, it may come for a server's own answer that never reached onRequest.
  virtual void onAbort(Exchange* ex) = 0;
  // Asked once, when the server is made: true to get requests at the end of their head when
  // the body is not all here yet (Exchange::readBody and onBodyData).
  virtual bool streamsBodies() const { return false; }
  // A streamed request body has news: bytes were buffered, it ended, or it failed
  // (bodyError()). Called from the connection's input path; the handler may read, respond
  // or write here. Not called after onDone/onAbort.
  virtual void onBodyData(Exchange* ex) { (void)ex; }
  // The send queue of a streaming response drained below sendHighWaterMark after a write
  // had found it full (wantsMore() false): the producer may write again.
  virtual void onWritable(Exchange* ex) { (void)ex; }
};

class HttpServer {
 public:
  HttpServer(engine::Loop& loop, const ServerOptions& options, RequestHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting on a bound, listening socket (owned by the caller).
  void start(int listenFd);
  // Serves TLS with this context from now on (before start(); again to reload: connections
  // accepted later use the new one, open ones keep theirs). Null: plain HTTP.
  void setTls(std::shared_ptr<TlsServerContext> tls) { tls_ = std::move(tls); }
  bool secure() const { return tls_ != nullptr; }
  // Graceful stop: stop accepting (connections already queued in the kernel are taken, then
  // the socket stops listening), let busy connections finish their in-flight requests and
  // idle ones answer a request that arrives within a second (each response says
  // Connection: close), then close each with a FIN and a linger (never a reset). Call
  // closeAll() at the deadline.
  void stopAccepting();
  void closeAll();
  size_t connections() const { return connectionCount_; }
  bool accepting() const { return acceptOp_.pending(); }

  const ServerStats& stats() const { return stats_; }
  // Blocks of the send/body pool in use (copied chunks, request body buffers), and queue
  // pieces in use: both bounded by the high-water marks per connection.
  size_t poolBlocksOutstanding() const { return bufferPool_.outstanding(); }
  size_t piecesOutstanding() const { return piecesOutstanding_; }
  const ServerOptions& options() const { return options_; }

  // "Date: ..." value for this second (RFC 9110 IMF-fixdate), recomputed once a second.
  std::string_view date();

 private:
  friend class Connection;
  friend class Exchange;
  void onAccept(const engine::Completion& c);
  void adopt(int fd);  // a new connection (after a graceful stop began: answered, then closed)
  Exchange* newExchange(Connection* conn);
  void recycle(Exchange* ex);
  // Numbers each request (Exchange::id) and picks the ones the access log samples
  // (ServerOptions::accessLogSample); logAccess writes a line.
  void sampleForAccessLog(Exchange* ex);
  void armAccept();
  void logAccess(Exchange* ex, bool aborted = false);  // aborted: the connection closed first
  void connectionClosed(Connection* conn);
  SendPiece* takePiece();
  void givePiece(SendPiece* piece);

  engine::Loop& loop_;
  ServerOptions options_;
  RequestHandler& handler_;
  alloc::BlockPool blocks_;
  // Copied response chunks and request body buffers: memory that must not grow with the
  // request heap (which only grows until the exchange ends).
  alloc::BlockPool bufferPool_{alloc::BlockPool::kDefaultBlockSize, 256};
  SendPiece* freePieces_ = nullptr;
  size_t freePieceCount_ = 0;
  size_t piecesOutstanding_ = 0;
  bool streamBodies_ = false;  // handler_.streamsBodies()
  int listenFd_ = -1;
  bool stopping_ = false;
  size_t connectionCount_ = 0;
  Connection* connections_ = nullptr;  // intrusive list of live connections
  std::vector<Exchange*> freeExchanges_;
  ServerStats stats_;
  uint64_t requestSeq_ = 0;  // access log sampling and request ids
  int64_t dateSecond_ = -1;
  std::shared_ptr<TlsServerContext> tls_;
  // TLS failures are logged at most 5 a second; the rest only counted.
  LogRateLimit tlsFailureLines_{5};
  char date_[32] = {};
  engine::MemberOperation<HttpServer, &HttpServer::onAccept> acceptOp_{this};
  // Accepting pauses after EMFILE/ENFILE/ENOBUFS/ENOMEM, then resumes on this timer.
  static constexpr uint32_t kAcceptBackoffMs = 100;
  void resumeAccept();
  bool acceptPaused_ = false;
  engine::MemberTimer<HttpServer, &HttpServer::resumeAccept> acceptTimer_{loop_, this};
};

// The reason phrase for a status code ("" for unknown codes).
std::string_view statusReason(int status);

}  // namespace torus::net
