#include "net/http_server.h"

#include <fcntl.h>

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "net/http_serialize.h"
#include "net/tls.h"

namespace torus::net {

// One piece of a response on its connection's send queue. Pooled per server; `bytes` holds a
// chunk-size line, so that framing never lives in the request heap.
struct SendPiece {
  SendPiece* next;
  const char* data;
  size_t len;
  PieceOwner owner;  // released when the piece's last byte is acknowledged
  void* block;       // a bufferPool_ block holding the bytes (copied chunks), or null
  char bytes[24];
};

// One block of a request body buffer, taken from the server's bufferPool_: this header, then
// the bytes in [begin, end).
struct BodyBlock {
  BodyBlock* next;
  uint32_t begin;
  uint32_t end;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

namespace {

constexpr size_t kBodyBlockBytes = alloc::BlockPool::kDefaultBlockSize - sizeof(BodyBlock);
constexpr size_t kMaxFreePieces = 4096;
// A request past ServerOptions::maxRequestMemory.
constexpr HttpError kMemoryLimit{503, "Request memory limit exceeded"};

void releaseOwner(PieceOwner owner) {
  if (owner.release) owner.release(owner.arg);
}

}  // namespace

// One client connection: its parser, its queue of exchanges in request order, and the one
// send in flight. Owned by the server's list; freed once no ring operation is pending.
class Connection {
 public:
  Connection(HttpServer& server, int fd)
      : server_(server), loop_(server.loop_), fd_(fd), parser_(server.options_.limits) {}

  void start() {
    loop_.recv(fd_, &recvOp_);
    if (server_.tls_) {
      tls_ = server_.tls_->accept();
      handshaking_ = true;
      handshakeDeadlineMs_ = loop_.nowMs() + server_.options_.tlsHandshakeTimeoutMs;
      armTimer(server_.options_.tlsHandshakeTimeoutMs);
      return;
    }
    armTimer(idleTimeoutMs());
  }
  // Closes now: aborts what is in flight, frees once the ring has let go of everything.
  void close();
  // Closes once every queued response is sent (graceful stop, or Connection: close).
  // How long an idle connection stays open: the keep-alive timeout, or during a graceful
  // stop kStopIdleMs (a request sent before the client saw our FIN is answered, not lost).
  uint32_t idleTimeoutMs() const {
    uint32_t t = server_.options_.keepAliveTimeoutMs;
    return server_.stopping_ ? std::min<uint32_t>(t, kStopIdleMs) : t;
  }
  bool idle() const { return !head_ && !parser_.inMessage(); }
  void flush();
  // The handler read from ex's body buffer: resume reading if it had paused for it.
  void bodyRead(Exchange* ex) {
    if (bodyPaused_ && parsing_ == ex &&
        ex->bodyBuffered_ < std::max<uint64_t>(server_.options_.bodyHighWaterMark, 1)) {
      resumeBody();
    }
  }
  // The response of ex is complete while its body is still arriving: the rest of the body
  // is not read; the connection closes after the response (see lingerClose).
  void stopReadingBody(Exchange* ex) {
    if (parsing_ == ex) parsing_ = nullptr;
    endInput();
  }
  // No more input after the current request; what is queued is still sent.
  void endInput() {
    inputDone_ = true;
    loop_.cancel(&recvOp_);
  }

  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  friend class HttpServer;
  void onRecv(const engine::Completion& c) {
    Busy busy(this);
    handleRecv(c);
  }
  void onSend(const engine::Completion& c) {
    Busy busy(this);
    handleSend(c);
  }
  // While a completion's callback runs, a close frees nothing: the callback still reads the
  // connection after what closed it (onCiphertext -> peerEnded -> close with no operation
  // pending, found by tests/fuzz/http_server_fuzz.cc). The last one out frees it.
  struct Busy {
    explicit Busy(Connection* c) : conn(c) { ++conn->busy_; }
    ~Busy() {
      if (--conn->busy_ == 0 && conn->closing_) conn->maybeFree();
    }
    Connection* conn;
  };
  void handleRecv(const engine::Completion& c);
  void handleSend(const engine::Completion& c);
  void onTimeout() {
    if (deadlineMs_ == 0) return;  // cancelled since it was armed
    if (loop_.nowMs() < deadlineMs_) {
      timerDueMs_ = deadlineMs_;  // extended since it was armed
      timer_.arm(deadlineMs_ - loop_.nowMs());
      return;
    }
    LOG_DEBUG("connection %d: timeout", fd_);
    if (handshaking_) ++server_.stats_.tlsHandshakeTimeouts;
    if (server_.stopping_ && idle() && !lingering_ && !handshaking_) {
      lingerClose();  // a graceful stop's idle grace is over: FIN, then discard and close
      return;
    }
    close();
  }
  // A graceful stop began: an idle connection waits kStopIdleMs for a request the client may
  // have sent already (answered with Connection: close, as is every response from now on),
  // then closes with a FIN; a busy one finishes and then does the same.
  void drainIdle() {
    if (!head_) armTimer(idleTimeoutMs());
  }
  // ---- TLS (tls_ set) ----
  // Ciphertext from recv: into the session; its plaintext to the parser.
  void onCiphertext(std::span<const char> wire);
  void deliver(const char* data, size_t len) {
    if (inputDone_) return;  // after an error or Connection: close, input is ignored
    if (hasPending()) {
      stash(data, len);  // behind what is already waiting
    } else {
      size_t left = feed(data, len);
      if (left > 0 && !closing_) stash(data + len - left, left);
    }
  }
  // Encrypts what flush() gathered, with any handshake output, into one send.
  void flushTls();
  // The session failed (bad input, refused client): counted, logged (rate-limited), its
  // alert sent if the socket takes it at once, closed.
  void tlsFailed();
  // Sends close_notify (server-side close), once, if the socket takes it at once.
  void sendCloseNotify() {
    if (!tls_ || tlsClosed_ || sendOp_.pending()) return;
    tlsClosed_ = true;
    if (tls_->state() != TlsSession::State::kOpen) return;
    tls_->shutdown();
    sendDirect();
  }
  // What the session holds, sent by a plain non-blocking send (an alert, close_notify: a
  // few dozen bytes on a socket with nothing in flight); dropped if it does not fit.
  void sendDirect() {
    std::string out = tls_->takeOutput();
    if (!out.empty()) (void)::send(fd_, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  void stampTls(HttpRequest& r) {
    r.tlsVersion = tls_->protocol();
    r.tlsCipher = tls_->cipher();
    r.tlsServerName = tls_->sniName();
  }
  // The peer ended its input (EOF, or close_notify on TLS).
  void peerEnded();
  // After the last response: half-close, then read and discard what the client still sends
  // (the rest of a refused body, pipelined requests) for up to kLingerMs before closing.
  // Closing with unread input would send a RST that can destroy the response in flight.
  void lingerClose() {
    if (peerClosed_ || closing_) {
      close();
      return;
    }
    lingering_ = true;
    sendCloseNotify();
    ::shutdown(fd_, SHUT_WR);
    armTimer(kLingerMs);
    if (!recvOp_.pending()) loop_.recv(fd_, &recvOp_);
  }
  // Keeps input that may not be parsed yet (the pipeline is full), in order. Past
  // maxHeadBytes of it, reading pauses until responses drain.
  void stash(const char* data, size_t len) {
    if (pendingOffset_ > 0 && pendingOffset_ >= pendingInput_.size() / 2) {
      pendingInput_.erase(0, pendingOffset_);
      pendingOffset_ = 0;
    }
    pendingInput_.append(data, len);
    uint64_t held = pendingInput_.size() - pendingOffset_;
    if (held > server_.stats_.stashPeakBytes) server_.stats_.stashPeakBytes = held;
    if (pendingInput_.size() - pendingOffset_ > server_.options_.limits.maxHeadBytes &&
        !paused_) {
      paused_ = true;
      loop_.cancel(&recvOp_);
    }
  }
  // Parses input; returns how many of the last bytes were left unparsed because a streamed
  // body's buffer is full (the caller keeps them in order; reading is paused then).
  size_t feed(const char* data, size_t len);
  bool hasPending() const { return pendingOffset_ < pendingInput_.size(); }
  // Parses what was stashed, keeping what still does not fit.
  void feedPending() {
    std::string input;
    input.swap(pendingInput_);
    size_t off = std::exchange(pendingOffset_, 0);
    size_t left = feed(input.data() + off, input.size() - off);
    if (left > 0 && !closing_) {
      // feed() stashed nothing itself (it stops for one reason only): put the rest back.
      pendingInput_.swap(input);
      pendingOffset_ = pendingInput_.size() - left;
    }
  }
  void enqueue(Exchange* ex);
  void fail(const HttpError& err);
  // Hands ex over at the end of its head: its body goes to its buffer from now on.
  void startBodyStream(Exchange* ex);
  static void onBodyBytes(void* arg, const char* data, size_t n) {
    static_cast<Exchange*>(arg)->appendBody(data, n);
  }
  void notifyBody(Exchange* ex) {
    ex->bodyNews_ = false;
    server_.handler_.onBodyData(ex);
  }
  void pauseBody() {
    if (bodyPaused_) return;
    bodyPaused_ = true;
    ++server_.stats_.bodyPauses;
    loop_.cancel(&recvOp_);
  }
  void resumeBody();
  void notifyWritable() {
    Exchange* ex = head_;
    if (closing_ || !ex || !ex->full_ || !ex->wantsMore()) return;
    ex->full_ = false;
    server_.handler_.onWritable(ex);
  }
  bool receiving() const {
    return !inputDone_ && !peerClosed_ && !paused_ && !bodyPaused_ && !closing_;
  }
  // While a streamed body is parsed, one buffer per recv: a multishot recv would take all
  // the socket holds into the stash before a pause could stop it.
  void rearmRecv() {
    if (!receiving() || recvOp_.pending()) return;
    if (parsing_ && parsing_->bodyStreaming_) {
      loop_.recvOnce(fd_, &recvOp_);
    } else {
      loop_.recv(fd_, &recvOp_);
    }
  }
  // Closes once nothing more can come and every answer is out.
  bool finishIfDone() {
    if (head_ || closing_) return closing_;
    if (inputDone_ || (peerClosed_ && !hasPending())) {
      close();
      return true;
    }
    return false;
  }
  // The connection's one deadline (header, body, idle, send or linger). Setting or clearing
  // it, as every request on a busy connection does several times, only stores it; the
  // engine timer is re-armed only when the new deadline comes before the one it is set for,
  // and when it fires early it re-arms for what is left.
  void armTimer(uint32_t ms) {
    uint64_t due = loop_.nowMs() + ms;
    deadlineMs_ = due;
    if (!timer_.armed() || due < timerDueMs_) {
      timerDueMs_ = due;
      timer_.arm(ms);
    }
  }
  void cancelTimer() { deadlineMs_ = 0; }
  void updateReadTimer();
  bool retire();
  void sendGathered();  // submits sendIov_ (the send in flight) with the send deadline
  void maybeFree();
  void recycleExchanges();
  // Writes the response head (and a whole body) into ex's pieces. stream: the length is
  // unknown (chunked on HTTP/1.1, close-delimited on HTTP/1.0).
  // contentLength: a stream's declared length, or -1. owner: the body's, if it has one.
  void serialize(Exchange* ex, int status, std::string_view reason,
                 std::span<const HttpHeader> headers, std::span<const char> body, bool stream,
                 int64_t contentLength, PieceOwner owner);

  HttpServer& server_;
  engine::Loop& loop_;
  int fd_;
  HttpParser parser_;
  Exchange* parsing_ = nullptr;  // the request being parsed, before it joins the queue
  Exchange* head_ = nullptr;     // oldest queued exchange (next response to send)
  Exchange* tail_ = nullptr;
  size_t queued_ = 0;
  // Bytes received but not parsed yet: the pipeline was full, or a streamed body's buffer
  // (what a multishot recv delivered before its cancel took effect). From pendingOffset_ on.
  std::string pendingInput_;
  size_t pendingOffset_ = 0;
  bool inputDone_ = false;
  bool peerClosed_ = false;
  bool paused_ = false;  // recv cancelled until the pipeline drains
  bool bodyPaused_ = false;  // recv cancelled until the handler reads the body buffer
  bool inFeed_ = false;
  bool lingering_ = false;
  uint64_t deadlineMs_ = 0;  // 0: none
  uint64_t timerDueMs_ = 0;  // when the engine timer fires, if armed
  static constexpr uint32_t kLingerMs = 2000;
  static constexpr uint32_t kStopIdleMs = 1000;
  bool closing_ = false;
  bool inHeaderPhase_ = false;
  // The gather list of the send in flight (what is left of it after a short send).
  std::vector<iovec> sendIov_;
  // TLS: the session, the ciphertext in flight (from tlsOutPos_ on) and the plaintext bytes
  // it carries (credited to the exchanges once all of it is sent).
  std::unique_ptr<TlsSession> tls_;
  std::string tlsOut_;
  size_t tlsOutPos_ = 0;
  uint64_t tlsPlainInFlight_ = 0;
  uint64_t handshakeDeadlineMs_ = 0;
  bool handshaking_ = false;
  bool tlsClosed_ = false;  // close_notify sent (or no longer possible)
  int busy_ = 0;  // completion callbacks running (Busy)
  engine::MemberOperation<Connection, &Connection::onRecv> recvOp_{this};
  engine::MemberOperation<Connection, &Connection::onSend> sendOp_{this};
  engine::MemberTimer<Connection, &Connection::onTimeout> timer_{loop_, this};

  friend class Exchange;
};

// ---- Exchange ----

void Exchange::reset() {
  releasePieces();
  releaseBody();
  heap_.release();
  request_ = HttpRequest{};
  conn_ = nullptr;
  next_ = nullptr;
  state_ = State::kParsing;
  wantsContinue_ = continueSent_ = closeAfter_ = inQueue_ = noBody_ = chunked_ = false;
  aborted_ = full_ = bodyStreaming_ = bodyEnded_ = tentative_ = bodyNews_ = false;
  bodyError_ = 0;
  id_ = 0;
  logged_ = false;
  logStatus_ = 0;
  userData = routeData = nullptr;
  routeName = {};
  routeStartMs = 0;
  declaredRemaining_ = -1;
  frontAcked_ = queuedBytes_ = 0;
  bytesHandedOut_ = bytesAcked_ = 0;
}

SendPiece* Exchange::newPiece() {
  SendPiece* p = server_.takePiece();
  p->next = nullptr;
  p->owner = {};
  p->block = nullptr;
  return p;
}

void Exchange::push(SendPiece* piece) {
  if (last_) {
    last_->next = piece;
  } else {
    first_ = piece;
  }
  last_ = piece;
  if (!unsent_) unsent_ = piece;
  queuedBytes_ += piece->len;
}

void Exchange::addPiece(const void* data, size_t len) {
  if (len == 0) return;
  SendPiece* p = newPiece();
  p->data = static_cast<const char*>(data);
  p->len = len;
  push(p);
}

void Exchange::pushOwned(const char* data, size_t len, PieceOwner owner) {
  if (len == 0) {
    releaseOwner(owner);
    return;
  }
  SendPiece* p = newPiece();
  p->data = data;
  p->len = len;
  p->owner = owner;
  push(p);
}

// Credits n more acknowledged bytes, releasing every piece they complete.
void Exchange::acknowledge(uint64_t n) {
  bytesAcked_ += n;
  queuedBytes_ -= n;
  while (n > 0) {
    SendPiece* p = first_;
    uint64_t left = p->len - frontAcked_;
    if (n < left) {
      frontAcked_ += n;
      return;
    }
    n -= left;
    frontAcked_ = 0;
    first_ = p->next;
    if (!first_) last_ = nullptr;
    releaseOwner(p->owner);
    if (p->block) server_.bufferPool_.give(p->block);
    server_.givePiece(p);
  }
}

void Exchange::releasePieces() {
  while (first_) {
    SendPiece* p = first_;
    first_ = p->next;
    releaseOwner(p->owner);
    if (p->block) server_.bufferPool_.give(p->block);
    server_.givePiece(p);
  }
  last_ = unsent_ = nullptr;
}

void Exchange::respond(int status, std::span<const HttpHeader> headers,
                       std::span<const char> body, std::string_view reason, PieceOwner owner) {
  TORUS_CHECK_MSG(state_ == State::kDispatched, "respond() once, on a dispatched exchange");
  conn_->serialize(this, status, reason, headers, body, false, -1, owner);
  responseComplete();
  conn_->flush();
}

void Exchange::respondText(int status, std::string_view message) {
  static const HttpHeader kText[] = {{"content-type", "text/plain;charset=UTF-8"}};
  size_t len = message.size() + 1;
  char* body = static_cast<char*>(heap_.allocate(len, 1));
  memcpy(body, message.data(), message.size());
  body[len - 1] = '\n';
  respond(status, kText, {body, len});
}

void Exchange::startStream(int status, std::span<const HttpHeader> headers,
                           std::string_view reason, int64_t contentLength) {
  TORUS_CHECK_MSG(state_ == State::kDispatched, "startStream() once, on a dispatched exchange");
  conn_->serialize(this, status, reason, headers, {}, true, contentLength, {});
  conn_->flush();
}

bool Exchange::wantsMore() const {
  return !aborted_ && queuedBytes_ < server_.options_.sendHighWaterMark;
}

bool Exchange::refuse(PieceOwner owner) {
  releaseOwner(owner);
  return false;
}

bool Exchange::checkLength(size_t n, PieceOwner owner) {
  if (declaredRemaining_ < 0) return true;
  if (uint64_t(declaredRemaining_) < n) {
    releaseOwner(owner);
    failStream("more bytes than its Content-Length");
    return false;
  }
  declaredRemaining_ -= int64_t(n);
  return true;
}

void Exchange::afterWrite() {
  if (!wantsMore()) full_ = true;
  conn_->flush();
}

bool Exchange::writeChunk(std::span<const char> data) { return writeChunk(data, PieceOwner{}); }

bool Exchange::writeChunk(std::span<const char> data, PieceOwner owner) {
  if (aborted_) return refuse(owner);
  TORUS_CHECK_MSG(state_ == State::kStreaming, "writeChunk() after startStream()");
  if (data.empty() || noBody_) {
    releaseOwner(owner);
    return true;
  }
  if (!checkLength(data.size(), owner)) return false;
  if (chunked_) {
    SendPiece* line = newPiece();
    line->len = formatChunkLine(line->bytes, data.size());
    line->data = line->bytes;
    push(line);
  }
  pushOwned(data.data(), data.size(), owner);
  if (chunked_) addPiece("\r\n", 2);
  afterWrite();
  return true;
}

bool Exchange::writeChunkCopy(std::span<const char> data) {
  if (aborted_) return false;
  TORUS_CHECK_MSG(state_ == State::kStreaming, "writeChunkCopy() after startStream()");
  if (data.empty() || noBody_) return true;
  if (!checkLength(data.size(), {})) return false;
  const size_t blockSize = server_.bufferPool_.blockSize();
  const size_t framing = chunked_ ? 20 : 0;  // size line (<= 18) and CRLF
  const char* src = data.data();
  size_t n = data.size();
  while (n > 0) {
    // Small chunks share the newest block while it is unsent and has room.
    SendPiece* piece = last_;
    bool append = piece && piece->block && unsent_ && piece->len + framing < blockSize;
    if (!append) {
      piece = newPiece();
      piece->block = server_.bufferPool_.take();
      piece->data = static_cast<const char*>(piece->block);
      piece->len = 0;
      push(piece);
    }
    char* base = static_cast<char*>(piece->block);
    size_t take = std::min(n, blockSize - piece->len - framing);
    char* p = base + piece->len;
    if (chunked_) p += formatChunkLine(p, take);
    memcpy(p, src, take);
    p += take;
    if (chunked_) {
      *p++ = '\r';
      *p++ = '\n';
    }
    size_t added = size_t(p - base) - piece->len;
    piece->len += added;
    queuedBytes_ += added;
    src += take;
    n -= take;
  }
  afterWrite();
  return true;
}

bool Exchange::endStream() {
  if (aborted_) return false;
  TORUS_CHECK_MSG(state_ == State::kStreaming, "endStream() after startStream()");
  if (declaredRemaining_ > 0) {
    failStream("fewer bytes than its Content-Length");
    return false;
  }
  if (chunked_ && !noBody_) addPiece(kLastChunk.data(), kLastChunk.size());
  state_ = State::kComplete;
  responseComplete();
  conn_->flush();
  return true;
}

void Exchange::abortStream() {
  if (aborted_ || state_ != State::kStreaming) return;
  failStream(nullptr);
}

void Exchange::failStream(const char* why) {
  if (why) {
    LOG_WARN("%.*s %.*s: response aborted: the stream sent %s", int(request_.method.size()),
             request_.method.data(), int(request_.target.size()), request_.target.data(), why);
  }
  aborted_ = true;
  ++server_.stats_.streamsAborted;
  state_ = State::kComplete;
  closeAfter_ = true;
  full_ = false;
  if (bodyStreaming_ && !bodyEnded_) conn_->stopReadingBody(this);
  conn_->endInput();
  conn_->flush();
}

void Exchange::responseComplete() {
  if (bodyStreaming_ && !bodyEnded_ && bodyError_ == 0) {
    closeAfter_ = true;
    conn_->stopReadingBody(this);
  }
}

// ---- Request body buffer ----

void Exchange::appendBody(const char* data, size_t n) {
  bodyNews_ = true;
  bodyBuffered_ += n;
  while (n > 0) {
    BodyBlock* b = bodyLast_;
    if (!b || b->end == kBodyBlockBytes) {
      b = static_cast<BodyBlock*>(server_.bufferPool_.take());
      b->next = nullptr;
      b->begin = b->end = 0;
      if (bodyLast_) {
        bodyLast_->next = b;
      } else {
        bodyFirst_ = b;
      }
      bodyLast_ = b;
    }
    size_t take = std::min<size_t>(n, kBodyBlockBytes - b->end);
    memcpy(b->data() + b->end, data, take);
    b->end += uint32_t(take);
    data += take;
    n -= take;
  }
}

std::span<const char> Exchange::peekBody() const {
  BodyBlock* b = bodyFirst_;
  if (!b) return {};
  return {b->data() + b->begin, size_t(b->end - b->begin)};
}

void Exchange::consumeBody(size_t n) {
  TORUS_CHECK(n <= bodyBuffered_);
  bodyBuffered_ -= n;
  while (n > 0) {
    BodyBlock* b = bodyFirst_;
    size_t take = std::min<size_t>(n, b->end - b->begin);
    b->begin += uint32_t(take);
    n -= take;
    if (b->begin == b->end) {
      bodyFirst_ = b->next;
      if (!bodyFirst_) bodyLast_ = nullptr;
      server_.bufferPool_.give(b);
    }
  }
  if (conn_) conn_->bodyRead(this);
}

bool Exchange::limitBody(uint64_t maxBytes) {
  if (!bodyStreaming_ || bodyEnded_ || !conn_ || conn_->parsing_ != this) return true;
  return conn_->parser_.limitBody(maxBytes);
}

size_t Exchange::readBody(std::span<char> out) {
  size_t done = 0;
  for (BodyBlock* b = bodyFirst_; b && done < out.size(); b = b->next) {
    size_t take = std::min<size_t>(out.size() - done, b->end - b->begin);
    memcpy(out.data() + done, b->data() + b->begin, take);
    done += take;
  }
  if (done) consumeBody(done);
  return done;
}

void Exchange::releaseBody() {
  while (bodyFirst_) {
    BodyBlock* b = bodyFirst_;
    bodyFirst_ = b->next;
    server_.bufferPool_.give(b);
  }
  bodyLast_ = nullptr;
  bodyBuffered_ = 0;
}

// ---- Connection ----

namespace {

bool isFramingHeader(std::string_view name) {
  auto eq = [&](std::string_view want) {
    return name.size() == want.size() && strncasecmp(name.data(), want.data(), want.size()) == 0;
  };
  return eq("content-length") || eq("transfer-encoding") || eq("connection") || eq("date") ||
         eq("keep-alive");
}

char* append(char* p, std::string_view s) {
  memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Writes n in decimal (the response hot path: snprintf costs more than the rest).
char* appendDecimal(char* p, size_t n) {
  char digits[20];
  int len = 0;
  do {
    digits[len++] = char('0' + n % 10);
    n /= 10;
  } while (n);
  while (len) *p++ = digits[--len];
  return p;
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

void Connection::serialize(Exchange* ex, int status, std::string_view reason,
                           std::span<const HttpHeader> headers, std::span<const char> body,
                           bool stream, int64_t contentLength, PieceOwner owner) {
  const HttpRequest& req = ex->request_;
  ex->logStatus_ = status;
  bool noBody = req.method == "HEAD" || (status >= 100 && status < 200) || status == 204 ||
                status == 304;
  ex->noBody_ = noBody;
  if (!req.keepAlive) ex->closeAfter_ = true;
  if (!stream) contentLength = -1;  // a HEAD answer still announces a declared length
  bool lengthless = stream && !noBody && contentLength < 0;
  if (lengthless && req.versionMinor == 0) ex->closeAfter_ = true;  // the close ends the body
  ex->chunked_ = lengthless && req.versionMinor >= 1;
  // Tell the client when this is the last response (the connection closes once the queue
  // is empty); responses queued behind it still go out first.
  bool lastOnConnection = ex->closeAfter_ || ((inputDone_ || server_.stopping_) && !ex->next_);
  if (reason.empty()) reason = statusReason(status);
  std::string_view date = server_.date();

  // Status line, Date, Content-Length, Connection and the blank line fit in 160 bytes.
  size_t size = 160 + reason.size() + date.size();
  for (const HttpHeader& h : headers) size += h.name.size() + h.value.size() + 4;
  bool inlineBody = !noBody && !stream && body.size() <= Exchange::kCopiedBodyBytes;
  if (inlineBody) size += body.size();
  char* start = static_cast<char*>(ex->heap_.allocate(size, 1));
  char* p = start;
  p = append(p, "HTTP/1.1 ");
  *p++ = char('0' + status / 100 % 10);
  *p++ = char('0' + status / 10 % 10);
  *p++ = char('0' + status % 10);
  *p++ = ' ';
  p = append(p, reason);
  p = append(p, "\r\n");
  for (const HttpHeader& h : headers) {
    if (isFramingHeader(h.name)) continue;
    p = append(p, h.name);
    p = append(p, ": ");
    p = append(p, h.value);
    p = append(p, "\r\n");
  }
  p = append(p, "Date: ");
  p = append(p, date);
  p = append(p, "\r\n");
  if (ex->chunked_) {
    p = append(p, "Transfer-Encoding: chunked\r\n");
  } else if (status >= 200 && status != 204 && status != 304 && !lengthless) {
    p = append(p, "Content-Length: ");
    p = appendDecimal(p, contentLength >= 0 ? size_t(contentLength) : body.size());
    p = append(p, "\r\n");
  }
  if (lastOnConnection) {
    p = append(p, "Connection: close\r\n");
  } else if (req.versionMinor == 0) {
    p = append(p, "Connection: keep-alive\r\n");
  }
  p = append(p, "\r\n");
  if (inlineBody) p = append(p, {body.data(), body.size()});
  TORUS_CHECK(size_t(p - start) <= size);

  if (ex->wantsContinue_ && !ex->continueSent_) {
    // Answered before the body was asked for: the interim response is moot.
    ex->wantsContinue_ = false;
  }
  ex->addPiece(start, size_t(p - start));
  if (!inlineBody && !noBody) {
    ex->pushOwned(body.data(), body.size(), owner);
  } else {
    releaseOwner(owner);
  }
  ex->declaredRemaining_ = noBody ? -1 : contentLength;
  ex->state_ = stream ? Exchange::State::kStreaming : Exchange::State::kComplete;
  ++server_.stats_.responses;
}

void Connection::enqueue(Exchange* ex) {
  ex->inQueue_ = true;
  if (tail_) {
    tail_->next_ = ex;
  } else {
    head_ = ex;
  }
  tail_ = ex;
  ++queued_;
}

void Connection::fail(const HttpError& err) {
  // The request being parsed gets the error response, after every earlier response.
  Exchange* ex = parsing_ ? parsing_ : server_.newExchange(this);
  parsing_ = nullptr;
  if (ex->bodyStreaming_) {
    // Mid-body (over the limit, bad framing): the handler has the exchange. The server
    // answers unless the handler already did; the connection closes after the response.
    ex->bodyError_ = err.status;
    ex->releaseBody();
    ex->closeAfter_ = true;
    ++server_.stats_.errors;
    LOG_DEBUG("connection %d: %d %s mid-body", fd_, err.status, err.reason);
    endInput();
    if (!ex->responded()) ex->respondText(err.status, err.reason);
    notifyBody(ex);
    return;
  }
  if (!ex->inQueue_) enqueue(ex);
  ex->closeAfter_ = true;
  ex->state_ = Exchange::State::kDispatched;
  server_.sampleForAccessLog(ex);  // the server's own answers are logged as the apps' are
  ++server_.stats_.errors;
  LOG_DEBUG("connection %d: %d %s", fd_, err.status, err.reason);
  endInput();
  ex->respondText(err.status, err.reason);  // a short reason, never internals
}

void Connection::handleRecv(const engine::Completion& c) {
  if (closing_) return;  // Busy frees the connection once nothing is pending
  if (lingering_) {
    if (c.result > 0 || c.result == -ENOBUFS || c.result == -ECANCELED) {
      if (!c.more) loop_.recv(fd_, &recvOp_);  // discard, keep draining
    } else {
      close();  // EOF or error: the client has read what it wanted
    }
    return;
  }
  if (c.result > 0) {
    if (tls_) {
      onCiphertext(c.data);
      if (closing_) return;
    } else {
      deliver(c.data.data(), c.data.size());
    }
    if (!c.more) rearmRecv();
    return;
  }
  if (c.result == -ENOBUFS) {
    rearmRecv();  // the provided-buffer ring ran dry this turn; buffers are back by the next
    return;
  }
  if (c.result == -ECANCELED) {
    rearmRecv();  // cancelled for backpressure or end of input: rearms only if resumed since
    return;
  }
  if (c.result == 0) {
    peerEnded();
    return;
  }
  close();  // reset, another error
}

void Connection::peerEnded() {
  if (head_ && head_->state_ == Exchange::State::kStreaming) {
    // The client closed while a response streams to it (an event stream, a download):
    // it is gone. A half-close that still reads a stream is not a thing clients do, and
    // waiting for the next write to fail would keep the stream, its timers and the fd for
    // as long as the app stays quiet.
    close();
    return;
  }
  if (!handshaking_ && (!parser_.inMessage() || inputDone_ || hasPending())) {
    // Half-close: answer the complete requests, then close.
    peerClosed_ = true;
    cancelTimer();
    finishIfDone();
    return;
  }
  close();  // EOF in the middle of a request or of a TLS handshake
}

void Connection::onCiphertext(std::span<const char> wire) {
  tls_->receive(wire);
  TlsSession::State st = tls_->state();
  if (st == TlsSession::State::kFailed) {
    tlsFailed();
    return;
  }
  if (handshaking_ && st != TlsSession::State::kHandshaking) {
    handshaking_ = false;
    ++server_.stats_.tlsHandshakes;
    if (tls_->resumed()) ++server_.stats_.tlsResumed;
    armTimer(idleTimeoutMs());
  }
  // Plaintext in steps; feed() copies what it keeps (into the request heap or the stash).
  char buf[16 * 1024];
  while (!closing_ && tls_->readable() > 0) {
    size_t n = tls_->read(buf);
    deliver(buf, n);
  }
  if (closing_) return;
  if (tls_->hasOutput()) flush();  // handshake messages, tickets
  if (st == TlsSession::State::kClosed && !closing_) {
    tlsClosed_ = true;  // the peer's close_notify: no reply is owed once we close
    loop_.cancel(&recvOp_);
    peerEnded();
  }
}

void Connection::tlsFailed() {
  ++server_.stats_.tlsFailures;
  uint64_t notLogged = 0;
  if (server_.tlsFailureLines_.allow(loop_.nowMs(), notLogged)) {
    LOG_INFO("tls: connection %d refused: %.*s", fd_, int(tls_->error().size()),
             tls_->error().data());
  }
  if (notLogged > 0) {
    LOG_INFO("tls: %llu more handshake failure(s) not logged", (unsigned long long)notLogged);
  }
  tlsClosed_ = true;
  if (!sendOp_.pending()) sendDirect();  // the fatal alert
  close();
}

void Connection::flushTls() {
  uint64_t plain = 0;
  // Each write is a TLS record of its own (an AEAD seal and its framing), so pieces smaller
  // than a record (a response head and a short body) are gathered into one first.
  constexpr size_t kRecord = 16 * 1024;
  thread_local std::string gathered;
  gathered.clear();
  auto write = [&](const char* data, size_t len) {
    if (tls_->write({data, len})) return true;
    // Failed (a fatal error), or closed by the peer's close_notify: nothing more goes out.
    if (tls_->state() == TlsSession::State::kFailed) {
      tlsFailed();
    } else {
      close();
    }
    return false;
  };
  for (const iovec& v : sendIov_) {
    const char* data = static_cast<const char*>(v.iov_base);
    if (sendIov_.size() == 1) {  // nothing to gather with: no copy
      if (!write(data, v.iov_len)) return;
    } else if (gathered.size() + v.iov_len <= kRecord) {
      gathered.append(data, v.iov_len);
    } else {
      if (!gathered.empty() && !write(gathered.data(), gathered.size())) return;
      gathered.clear();
      if (v.iov_len < kRecord) {
        gathered.append(data, v.iov_len);
      } else if (!write(data, v.iov_len)) {
        return;
      }
    }
    plain += v.iov_len;
  }
  if (!gathered.empty() && !write(gathered.data(), gathered.size())) return;
  tlsOut_ = tls_->takeOutput();
  tlsOutPos_ = 0;
  tlsPlainInFlight_ = plain;
  sendIov_.clear();
  if (tlsOut_.empty()) return;
  sendIov_.push_back({tlsOut_.data(), tlsOut_.size()});
  sendGathered();
}

size_t Connection::feed(const char* data, size_t len) {
  size_t left = 0;
  bool outer = !inFeed_;
  inFeed_ = true;
  // After a head, feed again even with no bytes left: a body-less request completes there.
  bool needMore = false;
  while (!needMore && (len > 0 || (parsing_ && parser_.headComplete())) && !inputDone_ &&
         !closing_) {
    if (!parsing_ && queued_ >= server_.options_.maxPipelined) {
      stash(data, len);  // a new request must wait for responses to drain
      break;
    }
    if (!parsing_) {
      parsing_ = server_.newExchange(this);
      parser_.reset(parsing_->heap_);
    }
    // A streamed body is parsed only while its buffer has room: what does not fit waits,
    // unparsed, with reading paused until the handler takes bytes.
    Exchange* streaming = parsing_->bodyStreaming_ ? parsing_ : nullptr;
    size_t n = len;
    if (streaming) {
      uint64_t mark = std::max<uint64_t>(server_.options_.bodyHighWaterMark, 1);
      uint64_t room = streaming->bodyBuffered_ < mark ? mark - streaming->bodyBuffered_ : 0;
      if (room == 0) {
        if (len > 0) {
          left = len;
          pauseBody();
        }
        break;
      }
      n = size_t(std::min<uint64_t>(len, room));
    }
    size_t used = 0;
    HttpParser::Status st = parser_.feed(data, n, &used);
    data += used;
    len -= used;
    switch (st) {
      case HttpParser::Status::kNeedMore:
        // All n bytes used; with input left, n stopped at the buffer's room and the loop
        // looks again once the handler has heard of the new bytes.
        needMore = len == 0;
        if (streaming && streaming->bodyNews_) {
          notifyBody(streaming);
        } else if (needMore && parsing_ && parsing_->tentative_) {
          startBodyStream(parsing_);  // a chunked body whose end is not here yet
        }
        break;
      case HttpParser::Status::kHeadersComplete: {
        Exchange* ex = parsing_;
        if (ex->heap_.exceeded()) {
          fail(kMemoryLimit);
          needMore = true;
          break;
        }
        ex->request_ = parser_.request();
        if (tls_) stampTls(ex->request_);
        ex->wantsContinue_ = ex->request_.expectContinue && ex->request_.versionMinor >= 1;
        enqueue(ex);
        if (ex->wantsContinue_) flush();
        if (server_.streamBodies_) {
          // A body not all in this input is streamed; a chunked one is tried whole first.
          const HttpRequest& r = ex->request_;
          if (r.chunked) {
            ex->tentative_ = true;
          } else if (r.contentLength > 0 && uint64_t(r.contentLength) > len) {
            startBodyStream(ex);
          }
        }
        break;
      }
      case HttpParser::Status::kMessageComplete: {
        Exchange* ex = parsing_;
        if (ex->heap_.exceeded() && !ex->bodyStreaming_) {
          fail(kMemoryLimit);
          needMore = true;
          break;
        }
        parsing_ = nullptr;
        ex->request_ = parser_.request();
        if (tls_) stampTls(ex->request_);
        if (!ex->request_.keepAlive) {
          ex->closeAfter_ = true;
          endInput();  // nothing after this request is read
        }
        if (ex->bodyStreaming_) {
          if (server_.stopping_) endInput();  // graceful stop waited for this body
          ex->bodyEnded_ = true;
          notifyBody(ex);
          break;
        }
        ex->tentative_ = false;
        ex->state_ = Exchange::State::kDispatched;
        ++server_.stats_.requests;
        server_.sampleForAccessLog(ex);
        server_.handler_.onRequest(ex);
        break;
      }
      case HttpParser::Status::kError:
        fail(parser_.error());
        needMore = true;
        break;
    }
  }
  if (outer) inFeed_ = false;
  if (!closing_ && outer) updateReadTimer();
  return left;
}

void Connection::startBodyStream(Exchange* ex) {
  ex->tentative_ = false;
  ex->bodyStreaming_ = true;
  alloc::HeapBuffer* prefix = ex->request_.body;
  if (prefix->size() > 0) {
    ex->appendBody(prefix->data(), prefix->size());
    prefix->clear();
  }
  ex->bodyNews_ = false;
  parser_.streamBody(&Connection::onBodyBytes, ex);
  // Switch to bounded recvs (rearmRecv) once the multishot one has ended.
  if (recvOp_.pending()) loop_.cancel(&recvOp_);
  if (!ex->request_.keepAlive) ex->closeAfter_ = true;  // input ends with the body
  ex->state_ = Exchange::State::kDispatched;
  ++server_.stats_.requests;
  server_.sampleForAccessLog(ex);
  ++server_.stats_.bodyStreams;
  server_.handler_.onRequest(ex);
}

void Connection::resumeBody() {
  if (inFeed_ || !bodyPaused_ || closing_) return;  // a running feed() sees the room itself
  bodyPaused_ = false;
  if (hasPending()) {
    feedPending();
    if (closing_ || bodyPaused_) return;
  }
  if (paused_ && !hasPending()) paused_ = false;
  if (peerClosed_ && !hasPending() && parser_.inMessage() && !inputDone_) {
    close();  // the client ended its input mid-body
    return;
  }
  rearmRecv();
  updateReadTimer();
}

void Connection::updateReadTimer() {
  if (handshaking_) {
    uint64_t now = loop_.nowMs();
    armTimer(handshakeDeadlineMs_ > now ? uint32_t(handshakeDeadlineMs_ - now) : 0);
    return;
  }
  if (bodyPaused_) {
    // The handler is the slow side: the body timeout measures the client's pauses only.
    if (!sendOp_.pending()) cancelTimer();
    return;
  }
  if (!receiving() && !paused_) return;
  if (parser_.inMessage()) {
    if (!parser_.headComplete()) {
      // The header timeout runs from a request's first byte and is not extended.
      if (!inHeaderPhase_) {
        inHeaderPhase_ = true;
        armTimer(server_.options_.headerTimeoutMs);
      }
      return;
    }
    inHeaderPhase_ = false;
    armTimer(server_.options_.bodyTimeoutMs);
    return;
  }
  inHeaderPhase_ = false;
  if (!head_) {
    armTimer(idleTimeoutMs());
  } else if (!sendOp_.pending()) {
    cancelTimer();  // the handler is working: no read deadline meanwhile
  }
}

void Connection::flush() {
  if (closing_ || sendOp_.pending()) return;
  sendIov_.clear();
  // Everything ready, in request order: all pieces of complete responses, then what a
  // streaming response has so far; nothing of a response behind an unfinished one.
  for (Exchange* ex = head_; ex && sendIov_.size() < IOV_MAX - 4; ex = ex->next_) {
    if (ex->wantsContinue_ && !ex->continueSent_) {
      ex->continueSent_ = true;  // before any response piece (respond() drops it unsent)
      ex->addPiece(kContinue.data(), kContinue.size());
    }
    for (; ex->unsent_ && sendIov_.size() < IOV_MAX; ex->unsent_ = ex->unsent_->next) {
      sendIov_.push_back({const_cast<char*>(ex->unsent_->data), ex->unsent_->len});
      ex->bytesHandedOut_ += ex->unsent_->len;
    }
    if (ex->unsent_) break;  // IOV_MAX: the rest goes next time
    if (ex->state_ != Exchange::State::kComplete || ex->closeAfter_) break;
  }
  if (tls_) {
    flushTls();
    return;
  }
  if (!sendIov_.empty()) sendGathered();
}

void Connection::sendGathered() {
  loop_.send(fd_, sendIov_.data(), sendIov_.size(), &sendOp_);
  armTimer(server_.options_.sendTimeoutMs);
}

// Retires the exchanges at the head whose every byte is out; false if the connection closed.
bool Connection::retire() {
  while (head_ && head_->state_ == Exchange::State::kComplete) {
    Exchange* ex = head_;
    if (ex->first_) break;  // bytes still unsent or unacknowledged
    TORUS_CHECK(parsing_ != ex);
    head_ = ex->next_;
    if (!head_) tail_ = nullptr;
    --queued_;
    bool closeAfter = ex->closeAfter_;
    if (ex->logged_) server_.logAccess(ex);
    server_.handler_.onDone(ex);
    server_.recycle(ex);
    if (closeAfter) {
      lingerClose();
      return false;
    }
  }
  return true;
}

void Connection::handleSend(const engine::Completion& c) {
  if (closing_) return;  // Busy frees the connection once nothing is pending
  if (c.result <= 0) {
    close();
    return;
  }
  // Credit the bytes to the exchanges they came from, in order. On TLS: the plaintext the
  // ciphertext carried, once all of it is sent (a short send resumes with the rest).
  uint64_t sent = uint64_t(c.result);
  if (tls_) {
    tlsOutPos_ += size_t(c.result);
    if (tlsOutPos_ < tlsOut_.size()) {
      sendIov_.assign(1, {tlsOut_.data() + tlsOutPos_, tlsOut_.size() - tlsOutPos_});
      sendGathered();
      return;
    }
    sent = std::exchange(tlsPlainInFlight_, 0);
    tlsOut_.clear();
    sendIov_.clear();
  }
  for (Exchange* ex = head_; ex && sent > 0; ex = ex->next_) {
    uint64_t owed = ex->bytesHandedOut_ - ex->bytesAcked_;
    uint64_t take = std::min(owed, sent);
    if (take) ex->acknowledge(take);  // releases the pieces these bytes complete
    sent -= take;
  }
  if (!tls_) {
    // Drop what was sent from the gather list; a short send resumes with the rest.
    sent = uint64_t(c.result);
    size_t i = 0;
    while (i < sendIov_.size() && sent >= sendIov_[i].iov_len) sent -= sendIov_[i++].iov_len;
    if (i < sendIov_.size()) {
      sendIov_[i].iov_base = static_cast<char*>(sendIov_[i].iov_base) + sent;
      sendIov_[i].iov_len -= sent;
    }
    sendIov_.erase(sendIov_.begin(), sendIov_.begin() + i);
  }
  if (!retire()) return;
  if (!sendIov_.empty()) {
    sendGathered();
    notifyWritable();  // after the resubmit: a write from the handler only queues
    return;
  }
  // Requests held back by a full pipeline can be parsed now.
  if (hasPending() && queued_ < server_.options_.maxPipelined) {
    feedPending();
    if (closing_) return;
    if (paused_ && !hasPending()) {
      paused_ = false;
      rearmRecv();
    }
  }
  if (finishIfDone()) return;
  flush();
  if (!sendOp_.pending()) updateReadTimer();
  notifyWritable();
}

void Connection::close() {
  if (closing_) return;
  sendCloseNotify();
  closing_ = true;
  cancelTimer();
  timer_.cancel();
  loop_.cancel(&recvOp_);
  loop_.cancel(&sendOp_);
  // Exchanges the handler holds are aborted now: it must let go of them at once.
  for (Exchange* ex = head_; ex; ex = ex->next_) {
    if (ex->logged_) server_.logAccess(ex, /*aborted=*/true);
    if (ex->state_ != Exchange::State::kParsing) server_.handler_.onAbort(ex);
  }
  maybeFree();
}

void Connection::maybeFree() {
  if (busy_ || recvOp_.pending() || sendOp_.pending()) return;  // the kernel may still use our memory
  recycleExchanges();
  loop_.close(fd_);
  server_.connectionClosed(this);
}

void Connection::recycleExchanges() {
  // The request being parsed is in the queue once its head is complete: recycle it once.
  if (parsing_ && !parsing_->inQueue_) server_.recycle(parsing_);
  parsing_ = nullptr;
  while (head_) {
    Exchange* ex = head_;
    head_ = ex->next_;
    server_.recycle(ex);
  }
  tail_ = nullptr;
}

// ---- HttpServer ----

HttpServer::HttpServer(engine::Loop& loop, const ServerOptions& options,
                       RequestHandler& handler)
    : loop_(loop), options_(options), handler_(handler), streamBodies_(handler.streamsBodies()) {}

HttpServer::~HttpServer() {
  // Normally closeAll() and a few loop turns have freed every connection; whatever is left
  // (a loop that stopped early) gives its request memory back before the pool goes.
  while (connections_) {
    Connection* c = connections_;
    connections_ = c->next;
    for (Exchange* ex = c->head_; ex; ex = ex->next_) {
      if (ex->state_ != Exchange::State::kParsing && !c->closing_) handler_.onAbort(ex);
    }
    c->recycleExchanges();
    ::close(c->fd_);
    delete c;
  }
  for (Exchange* ex : freeExchanges_) delete ex;
  while (freePieces_) {
    SendPiece* p = freePieces_;
    freePieces_ = p->next;
    delete p;
  }
}

SendPiece* HttpServer::takePiece() {
  ++piecesOutstanding_;
  if (!freePieces_) return new SendPiece;
  SendPiece* p = freePieces_;
  freePieces_ = p->next;
  --freePieceCount_;
  return p;
}

void HttpServer::givePiece(SendPiece* piece) {
  --piecesOutstanding_;
  if (freePieceCount_ >= kMaxFreePieces) {
    delete piece;
    return;
  }
  piece->next = freePieces_;
  freePieces_ = piece;
  ++freePieceCount_;
}

void HttpServer::start(int listenFd) {
  listenFd_ = listenFd;
  stopping_ = false;
  armAccept();
}

void HttpServer::onAccept(const engine::Completion& c) {
  if (c.result >= 0) {
    adopt(c.result);
  } else if (c.result == -EMFILE || c.result == -ENFILE || c.result == -ENOBUFS ||
             c.result == -ENOMEM) {
    // Out of descriptors or memory: retrying at once would spin (and log) at full speed
    // while nothing frees up. Accepting pauses for kAcceptBackoffMs, logged once per pause.
    if (!acceptPaused_) {
      LOG_WARN("accept: %s; not accepting for %u ms", strerror(-c.result), kAcceptBackoffMs);
      acceptPaused_ = true;
      loop_.cancel(&acceptOp_);
      acceptTimer_.arm(kAcceptBackoffMs);
    }
    return;
  } else if (c.result != -ECANCELED) {
    LOG_WARN("accept: %s", strerror(-c.result));  // transient (ECONNABORTED...): keep going
  }
  if (!c.more && !stopping_ && !acceptPaused_) armAccept();
}

void HttpServer::resumeAccept() {
  acceptPaused_ = false;
  if (!stopping_ && !acceptOp_.pending()) armAccept();
}

void HttpServer::adopt(int fd) {
  if (connectionCount_ >= options_.maxConnections) {
    ++stats_.rejected;
    loop_.close(fd);
    return;
  }
  ++stats_.accepted;
  auto* conn = new Connection(*this, fd);
  conn->next = connections_;
  if (connections_) connections_->prev = conn;
  connections_ = conn;
  ++connectionCount_;
  conn->start();  // during a graceful stop its idle timer is the short one
}

void HttpServer::stopAccepting() {
  stopping_ = true;
  loop_.cancel(&acceptOp_);
  // Connections the kernel completed and nobody accepted would be reset when the socket
  // closes: they are taken now and answered like the others, then the socket stops
  // listening (shutdown: new connects are refused, not left to a reset at exit).
  if (listenFd_ >= 0) {
    int flags = fcntl(listenFd_, F_GETFL);
    if (flags >= 0) fcntl(listenFd_, F_SETFL, flags | O_NONBLOCK);
    for (int i = 0; i < 4096; ++i) {
      int fd = accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      adopt(fd);
    }
    ::shutdown(listenFd_, SHUT_RD);
  }
  for (Connection* c = connections_; c;) {
    Connection* next = c->next;
    c->drainIdle();
    c = next;
  }
}

void HttpServer::closeAll() {
  for (Connection* c = connections_; c;) {
    Connection* next = c->next;
    c->close();
    c = next;
  }
}

void HttpServer::connectionClosed(Connection* conn) {
  if (conn->prev) conn->prev->next = conn->next;
  if (conn->next) conn->next->prev = conn->prev;
  if (connections_ == conn) connections_ = conn->next;
  --connectionCount_;
  delete conn;
}

namespace {
uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}
}  // namespace

void HttpServer::sampleForAccessLog(Exchange* ex) {
  uint64_t seq = ++requestSeq_;
  ex->id_ = seq;
  uint32_t every = options_.accessLogSample;
  if (every == 0 || seq % every != 0) return;
  ex->logged_ = true;
  ex->logStartNs_ = monotonicNs();
}

void HttpServer::logAccess(Exchange* ex, bool aborted) {
  const HttpRequest& req = ex->request_;
  uint64_t us = (monotonicNs() - ex->logStartNs_) / 1000;
  char id[32];
  snprintf(id, sizeof id, "%u-%llu", options_.worker, (unsigned long long)ex->id_);
  std::string line;
  if (logFormat() == LogFormat::kJson) {
    line = "{\"ts\":\"" + logTimestamp() + "\",\"level\":\"info\",\"type\":\"access\",\"app\":\"";
    appendJsonEscaped(line, ex->routeName);
    line += "\",\"worker\":" + std::to_string(options_.worker) + ",\"id\":\"" + id +
            "\",\"method\":\"";
    appendJsonEscaped(line, req.method);
    line += "\",\"path\":\"";
    appendJsonEscaped(line, req.target);
    line += "\",\"status\":" + std::to_string(ex->logStatus_) +
            ",\"bytes\":" + std::to_string(ex->bytesAcked_) + ",\"duration_us\":" +
            std::to_string(us) + (aborted ? ",\"aborted\":true}" : "}");
  } else {
    // Control bytes of the target are escaped as in JSON, so a line stays one line.
    line = "torus access: ";
    line += id;
    line += ' ';
    appendJsonEscaped(line, req.method.empty() ? "-" : req.method);  // "-": a head not parsed
    line += ' ';
    appendJsonEscaped(line, req.target.empty() ? "-" : req.target);
    line += " " + std::to_string(ex->logStatus_) + " " + std::to_string(ex->bytesAcked_) +
            "B " + std::to_string(us) + "us";
    if (!ex->routeName.empty()) {
      line += " app=";
      line += ex->routeName;
    }
    if (aborted) line += " aborted";
  }
  logRaw(line);
}

void HttpServer::armAccept() {
  if (options_.sharedListener) {
    loop_.acceptOnce(listenFd_, &acceptOp_);
  } else {
    loop_.accept(listenFd_, &acceptOp_);
  }
}

Exchange::Exchange(HttpServer& server, alloc::BlockPool& pool) : server_(server), heap_(pool) {
  heap_.setLimit(size_t(server.options_.maxRequestMemory));
}

Exchange* HttpServer::newExchange(Connection* conn) {
  Exchange* ex;
  if (freeExchanges_.empty()) {
    ex = new Exchange(*this, blocks_);
  } else {
    ex = freeExchanges_.back();
    freeExchanges_.pop_back();
  }
  ex->conn_ = conn;
  return ex;
}

void HttpServer::recycle(Exchange* ex) {
  ex->reset();
  // Keep enough for every connection's usual one request; free the rest.
  if (freeExchanges_.size() < options_.maxConnections) {
    freeExchanges_.push_back(ex);
  } else {
    delete ex;
  }
}

std::string_view HttpServer::date() {
  int64_t now = loop_.wallSeconds();
  if (now != dateSecond_) {
    dateSecond_ = now;
    time_t t = now;
    tm g;
    gmtime_r(&t, &g);
    strftime(date_, sizeof date_, "%a, %d %b %Y %H:%M:%S GMT", &g);
  }
  return date_;
}

std::string_view statusReason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

}  // namespace torus::net
