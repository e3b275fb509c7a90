// The HTTP/1.1 client of one worker: outbound requests on the ring (socket, connect, send,
// recv as completions), over a per-worker pool of keep-alive connections per origin, shared
// by every app of the worker. js/ builds fetch() on it; redirects, decoding and the Fetch
// Standard's rules live there, this layer moves one request and its response.
//
// One ClientExchange is one request and its response. The handler is told, from
// completions (never inside a call it made): the head arrived (onHead), body bytes are
// buffered or the body ended (onBodyData), the request body may take more (onWritable), or
// the exchange failed (onError, with the stage and the cause). The handler calls close()
// exactly once when it is done with the exchange, at any point (that is also how it
// aborts): nothing is called back after close(), and a connection whose response was read
// to its end goes back to the pool.
//
// Connections: per origin (https, host, port), idle ones reused newest first; IP literals
// connect at once, names go through the Resolver, whose answer order is the order of the
// attempts (RFC 8305: the next address 250 ms after the previous attempt, or at once when it
// failed; the first connected wins, the others are cancelled). https puts a TlsSession
// (net/tls.h) between the socket and the parser; its handshake is part of the connect stage.
// Responses are parsed by HttpResponseParser (net/http_response_parser.h), request heads
// written by net/http_serialize.h. A pooled connection the server closed before any byte of
// the response is retried once on a fresh one when ClientRequest::retryable and the body is
// not streamed (ClientStats::retries).
//
// Memory: a closed exchange's memory is freed from a zero timer of the client once no
// send in flight reads it; a connection is freed once none of its ring operations (socket,
// connect, send, recv, their cancels) is pending.
//
// Thread: the owning worker's; everything here is single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/loop.h"
#include "net/http_parser.h"
#include "net/http_server.h"  // PieceOwner, HttpHeader

namespace torus::net {

class Resolver;
class TlsClientContext;

struct ClientOptions {
  // Response limits, like the server's request limits.
  size_t maxHeadBytes = 64 * 1024;
  size_t maxHeaderCount = 100;
  uint64_t maxBodyBytes = 0;  // 0: unlimited (a proxy may pass any size through)
  // Per worker: requests on the wire, and requests waiting for a connection. Beyond both,
  // start() fails.
  uint32_t maxInFlight = 1'000;
  uint32_t maxQueued = 10'000;
  // Per origin (scheme, host, port).
  uint32_t maxConnectionsPerOrigin = 256;
  uint32_t maxIdlePerOrigin = 256;
  uint32_t idleTimeoutMs = 30'000;  // an idle pooled connection is closed after this
  // Stages. 0: no limit (the caller's total timeout still applies).
  uint32_t connectTimeoutMs = 10'000;   // DNS + TCP connect + TLS handshake
  uint32_t headTimeoutMs = 60'000;      // whole request sent -> response head complete
  uint32_t bodyTimeoutMs = 60'000;      // longest pause of the server inside a body
  uint32_t sendTimeoutMs = 60'000;      // longest the server may stall reading our request
  // Buffered response body bytes before recv pauses (until the handler reads). One recv
  // (LoopOptions::recvBufferSize) at a time, so the buffer holds at most this plus one
  // recv's bytes.
  uint32_t bodyHighWaterMark = 64 * 1024;
  // Unacknowledged request body bytes (https: unsent ciphertext) before wantsMore() turns
  // false.
  uint32_t sendHighWaterMark = 64 * 1024;
};

// Where a request goes and what it says. Views need to stay valid only during start().
struct ClientRequest {
  bool https = false;
  std::string_view host;  // a name or an IP literal (IPv6 without brackets)
  uint16_t port = 80;
  std::string_view method = "GET";
  std::string_view target = "/";  // origin-form: path and query
  std::span<const HttpHeader> headers;  // Host is added (unless given), as is framing
  // The body: `body` bytes (copied during start()), or streamed after start() with
  // writeBody()/endBody() when `streamBody` is set (Content-Length: contentLength if >= 0,
  // else chunked). No body and no streamBody: no body (Content-Length: 0 for methods that
  // usually carry one, POST/PUT/PATCH).
  std::span<const char> body;
  bool streamBody = false;
  int64_t contentLength = -1;
  // The request may be sent again on a fresh connection when a pooled one turns out to be
  // closed by the peer before any response byte (idempotent methods with a replayable body).
  bool retryable = true;
  // Never on a pooled connection: a new one (the Fetch Standard's retry of a 421 Misdirected
  // Request response). At the per-origin cap, an idle pooled connection is closed for it.
  bool freshConnection = false;
};

// Where an exchange failed.
enum class ClientStage { kDns, kConnect, kTls, kSend, kHead, kBody };

struct ClientError {
  ClientStage stage;
  // For a TypeError's cause, naming what happened: "connection refused (127.0.0.1:9)",
  // "timed out waiting for the response head", "no such host: example.invalid", "TLS:
  // certificate has expired", "response head over 65536 bytes", ...
  std::string message;
  int code = 0;  // -errno when a system call failed, else 0
};

class HttpClient;
class ClientConnection;

class ClientExchange {
 public:
  // ---- The request body (ClientRequest::streamBody) ----
  // Queues a chunk: borrowed bytes released through owner once sent (or at close()). False
  // when refused (the exchange failed or ended, or a declared length would be exceeded);
  // owner is released then too. May be called from start() on: what is written before the
  // connection is up waits for it. endBody() is false short of a declared length.
  bool writeBody(std::span<const char> data, PieceOwner owner);
  bool writeBodyCopy(std::span<const char> data);
  bool endBody();
  // Fewer than sendHighWaterMark request body bytes are queued; when a write found it
  // false, onWritable says when it is true again.
  bool wantsMore() const;

  // ---- The response (after onHead) ----
  int status() const;
  std::string_view reason() const;
  std::span<const HttpHeader> headers() const;  // valid until close()
  // Every body byte has arrived (buffered ones may remain). HEAD, 1xx, 204, 304: at once.
  bool bodyEnded() const;
  // -1 unless Content-Length was given.
  int64_t contentLength() const;
  size_t bodyBuffered() const;
  // Like Exchange::peekBody/consumeBody/readBody on the server: reading makes room and
  // resumes a paused connection.
  std::span<const char> peekBody() const;
  void consumeBody(size_t n);
  size_t readBody(std::span<char> out);

  // The connection was reused from the pool (for tests and stats).
  bool reusedConnection() const;
  // Done with the exchange: cancels what is in flight (DNS, connect, send, recv), frees
  // what it holds, returns a cleanly finished connection to the pool, closes any other.
  // Exactly once; the exchange must not be touched after it.
  void close();

  void* userData = nullptr;

 private:
  friend class HttpClient;
  friend class ClientConnection;
  ClientExchange() = default;
  ~ClientExchange();
  // writeBody/writeBodyCopy: copy says whether the bytes are copied into the queue.
  bool queueBody(std::span<const char> data, PieceOwner owner, bool copy);
  struct State;
  std::unique_ptr<State> s_;
};

class ClientHandler {
 public:
  virtual ~ClientHandler() = default;
  virtual void onHead(ClientExchange* ex) = 0;
  virtual void onBodyData(ClientExchange* ex) = 0;
  virtual void onWritable(ClientExchange* ex) { (void)ex; }
  // Nothing more is called after this; the handler still calls close().
  virtual void onError(ClientExchange* ex, const ClientError& error) = 0;
};

struct ClientStats {
  uint64_t requests = 0;
  uint64_t connectionsOpened = 0;
  uint64_t connectionsReused = 0;
  uint64_t retries = 0;  // sent again after a pooled connection was found closed
  uint64_t refused = 0;  // start() over maxInFlight + maxQueued
  size_t inFlight = 0;
  size_t queued = 0;
  size_t idleConnections = 0;
  size_t openConnections = 0;
};

class HttpClient {
 public:
  // tls: for https requests (null: https requests fail with a kTls error).
  HttpClient(engine::Loop& loop, Resolver& resolver, const ClientOptions& options,
             TlsClientContext* tls = nullptr);
  // Closes every connection; exchanges must be closed before. Cancels what is pending and
  // runs the loop (runOnce) until the ring has let go of it: destroy the client from outside
  // a completion, as a worker's teardown does.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a request. Fails at once (nothing to close) when over the in-flight and queue
  // caps (the message names both) or when the request is malformed (a method, target, host,
  // header name or value that cannot be sent: CR, LF, NUL, other controls; the message
  // names it). Every other failure, even one known now (https without a TLS context, an
  // unknown host in the cache), comes later through onError.
  Result<ClientExchange*> start(const ClientRequest& request, ClientHandler& handler);

  const ClientStats& stats() const;
  const ClientOptions& options() const;
  // Closes idle pooled connections (a reload, a test checking the pool).
  void closeIdle();

 private:
  friend class ClientExchange;
  friend class ClientConnection;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace torus::net
