#include "net/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/log.h"
#include "net/dns.h"
#include "net/http_response_parser.h"
#include "net/http_serialize.h"
#include "net/tls.h"

namespace torus::net {

// One block of a response body buffer, from the client's pool: this header, then the bytes
// in [begin, end).
struct ClientBodyBlock {
  ClientBodyBlock* next;
  uint32_t begin;
  uint32_t end;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

namespace {

constexpr size_t kBlockSize = alloc::BlockPool::kDefaultBlockSize;
constexpr size_t kBodyBlockBytes = kBlockSize - sizeof(ClientBodyBlock);
// What an idle pooled connection keeps pending on the loop (its recv and its idle timer),
// counted as background work (Loop::addBackground).
constexpr int kIdleBackground = 2;
// RFC 8305 5: the delay before the next address is tried while an attempt is pending.
constexpr uint32_t kAttemptDelayMs = 250;

void releaseOwner(PieceOwner owner) {
  if (owner.release) owner.release(owner.arg);
}

// The cause of a failed system call, as a TypeError's cause reads it.
std::string errnoText(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "connection refused";
    case ECONNRESET:
      return "connection reset by peer";
    case ETIMEDOUT:
      return "connection timed out";
    case ENETUNREACH:
      return "network unreachable";
    case EHOSTUNREACH:
      return "host unreachable";
    case EPIPE:
      return "connection closed by peer (broken pipe)";
    case EADDRNOTAVAIL:
      return "address not available";
    case EAFNOSUPPORT:
      return "address family not supported";
    default:
      return strerror(err);
  }
}

std::string addressText(const ResolvedAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family() == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  auto* in4 = reinterpret_cast<const sockaddr_in*>(&a.addr);
  inet_ntop(AF_INET, &in4->sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(in4->sin_port));
}

void setPort(ResolvedAddress& a, uint16_t port) {
  if (a.family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a.addr)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&a.addr)->sin_port = htons(port);
  }
}

// An IP literal (IPv6 with or without brackets) answered without the resolver.
bool parseLiteral(std::string_view host, ResolvedAddress* out) {
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  *out = ResolvedAddress();
  auto* in4 = reinterpret_cast<sockaddr_in*>(&out->addr);
  if (inet_pton(AF_INET, h.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    out->len = sizeof(sockaddr_in);
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out->addr);
  if (inet_pton(AF_INET6, h.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    out->len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// One item of a request's send queue after its head: a body chunk, or chunk framing.
struct SendItem {
  const char* data = nullptr;
  size_t len = 0;
  PieceOwner owner;
  void* block = nullptr;  // a block of the client's pool holding copied bytes, or null
  char line[kMaxChunkLine];  // a chunk-size line (data points here; deque items never move)
};

}  // namespace

// An origin's pool: (https, host, port).
struct Origin {
  std::string key;
  bool https = false;
  std::string host;
  uint16_t port = 0;
  std::string name;  // "host:port", for messages
  std::vector<ClientConnection*> idle;  // LIFO: the newest at the back
  size_t open = 0;   // connections of this origin not closing (connecting, busy, idle)
  size_t users = 0;  // exchanges that point here
  // Exchanges waiting for a connection of this origin (or for the in-flight cap), FIFO.
  ClientExchange* qhead = nullptr;
  ClientExchange* qtail = nullptr;
  // In the client's list of origins with waiters (served round-robin).
  Origin* wprev = nullptr;
  Origin* wnext = nullptr;
  bool waiting = false;
};

struct ClientExchange::State {
  HttpClient::Impl* client = nullptr;
  ClientHandler* handler = nullptr;
  Origin* origin = nullptr;
  ClientConnection* conn = nullptr;
  bool headRequest = false;
  bool closed = false;
  bool failed = false;
  bool inFlight = false;  // counted in ClientStats::inFlight
  bool reused = false;
  bool retried = false;
  bool retryable = true;
  bool closeAfter = false;  // the request said Connection: close
  bool fresh = false;  // ClientRequest::freshConnection
  // Memory a closing connection's send may still read: freed when pins drops to 0.
  int pins = 0;
  // The wait queue (intrusive, FIFO).
  ClientExchange* qprev = nullptr;
  ClientExchange* qnext = nullptr;
  bool queued = false;
  // A failure found inside a handler's call, delivered from the client's timer.
  bool errorPending = false;
  ClientError pendingError;

  // ---- The request ----
  std::string head;  // the request head, and a copied body after it
  size_t headHanded = 0;  // bytes given to a send
  size_t headAcked = 0;
  bool streamBody = false;
  bool chunked = false;
  int64_t declared = -1;
  uint64_t written = 0;
  bool bodyEnd = false;  // endBody() (or no streamed body)
  std::deque<SendItem> items;
  size_t nextItem = 0;     // the first item not given to a send
  size_t frontAcked = 0;   // bytes of items.front() acknowledged
  uint64_t queuedBytes = 0;  // item bytes not acknowledged
  bool full = false;       // a write found wantsMore() false: onWritable owed

  // ---- The response ----
  HttpResponse response;
  bool headArrived = false;
  bool bodyEnded = false;
  bool keepAlive = false;  // the response ended cleanly and the connection may be reused
  bool news = false;       // body bytes or its end since the last onBodyData
  ClientBodyBlock* bodyFirst = nullptr;
  ClientBodyBlock* bodyLast = nullptr;
  uint64_t buffered = 0;

  bool requestSent() const {
    return bodyEnd && headAcked == head.size() && items.empty();
  }
};

struct HttpClient::Impl {
  Impl(engine::Loop& l, Resolver& r, const ClientOptions& o, TlsClientContext* t)
      : loop(l), resolver(r), options(o), tls(t) {}

  Result<ClientExchange*> start(const ClientRequest& request, ClientHandler& handler);
  void close(ClientExchange* ex);
  void fail(ClientExchange* ex, ClientStage stage, std::string message, int code = 0);
  void failLater(ClientExchange* ex, ClientStage stage, std::string message, int code = 0);
  void activate(ClientExchange* ex, bool fresh);
  void pump();
  bool canActivate(const ClientExchange* ex) const;
  void enqueue(ClientExchange* ex);
  void unqueue(ClientExchange* ex);
  void unwait(Origin* o);
  void endFlight(ClientExchange* ex) {
    if (ex->s_->inFlight) {
      ex->s_->inFlight = false;
      --stats.inFlight;
    }
  }
  void unpin(ClientExchange* ex) {
    if (--ex->s_->pins == 0 && ex->s_->closed) bury(ex);
  }
  void bury(ClientExchange* ex) {
    graveyard.push_back(ex);
    if (!reapTimer.armed()) reapTimer.arm(0);
  }
  void buryConnection(ClientConnection* conn) {
    deadConnections.push_back(conn);
    if (!reapTimer.armed()) reapTimer.arm(0);
  }
  void releaseOrigin(Origin* o);
  void onReap();
  void releaseBody(ClientExchange::State& s);
  // A send item is done with (sent, or dropped): its owner and its block go back.
  void releaseItem(SendItem& it) {
    releaseOwner(it.owner);
    if (it.block) pool.give(it.block);
  }
  void appendBody(ClientExchange::State& s, const char* data, size_t n);
  Origin* origin(bool https, std::string_view host, uint16_t port);

  engine::Loop& loop;
  Resolver& resolver;
  ClientOptions options;
  TlsClientContext* tls;
  ClientStats stats;
  alloc::BlockPool pool{kBlockSize, 256};
  std::unordered_map<std::string, std::unique_ptr<Origin>> origins;
  ClientConnection* connections = nullptr;  // every connection not yet freed
  Origin* whead = nullptr;  // origins with waiting exchanges
  Origin* wtail = nullptr;
  size_t live = 0;  // exchanges started and not closed
  bool pumping = false;
  bool destroying = false;
  std::vector<ClientExchange*> deferred;
  std::vector<ClientExchange*> graveyard;
  std::vector<ClientConnection*> deadConnections;
  engine::MemberTimer<Impl, &Impl::onReap> reapTimer{loop, this};
};

// One connection to an origin: resolving and connecting (happy eyeballs), then serving one
// exchange at a time, idle in its origin's pool between them. Freed (from the client's
// reap timer) once no ring operation of it or its attempts is pending.
class ClientConnection final : public DnsListener {
 public:
  enum class St { kResolving, kConnecting, kActive, kIdle, kClosing };
  enum class Stage { kNone, kConnect, kHead, kBody, kIdle };

  ClientConnection(HttpClient::Impl& client, Origin* origin)
      : client_(client), loop_(client.loop), origin_(origin), parser_(limits(client.options)) {
    parser_.onBody(&ClientConnection::onBodyBytes, this);
    next = client_.connections;
    if (next) next->prev = this;
    client_.connections = this;
    ++origin_->open;
    ++origin_->users;
    ++client_.stats.openConnections;
  }

  static ResponseLimits limits(const ClientOptions& o) {
    ResponseLimits l;
    l.maxHeadBytes = o.maxHeadBytes;
    l.maxHeaderCount = o.maxHeaderCount;
    l.maxBodyBytes = o.maxBodyBytes;
    return l;
  }

  // ---- Connecting ----
  void connect(ClientExchange* ex);
  void onResolved(const DnsAnswer& answer) override;
  void startAttempts(const std::vector<ResolvedAddress>& addresses);

  // ---- Serving ----
  void assignPooled(ClientExchange* ex);
  void flush();
  bool reusable() const {
    auto& s = *ex_->s_;
    return st_ == St::kActive && s.bodyEnded && s.keepAlive && s.requestSent() &&
           !sendOp_.pending() && !sendBroken_ &&
           (!tls_ || tls_->state() == TlsSession::State::kOpen);
  }
  // Ciphertext not yet sent (https), counted against the producer's high-water mark.
  size_t backlog() const { return tls_ ? wire_.size() + wirePending_.size() : 0; }
  void toPool();
  // The exchange is done with the connection (close, failure, retry): closes it.
  void abandon() {
    detach();
    shut();
  }
  void resumeBody() {
    if (!paused_ || st_ != St::kActive || !ex_ || ex_->s_->buffered >= mark()) return;
    paused_ = false;
    loop_.recvOnce(fd_, &recvOp_);
    armStage(Stage::kBody, client_.options.bodyTimeoutMs);
  }
  // Closes: cancels everything in flight; freed once the ring has let go.
  void shut();
  // The whole request is out: the head timeout runs from here.
  void requestMaybeSent() {
    if (st_ == St::kActive && ex_ && !sendOp_.pending() && ex_->s_->requestSent() &&
        !ex_->s_->headArrived && stage_ == Stage::kNone) {
      armStage(Stage::kHead, client_.options.headTimeoutMs);
    }
  }

  bool freed() const { return freed_; }
  ClientConnection* prev = nullptr;
  ClientConnection* next = nullptr;

 private:
  friend struct HttpClient::Impl;
  struct Attempt {
    Attempt(ClientConnection* c, const ResolvedAddress& a) : conn(c), addr(a) {}
    void onSocket(const engine::Completion& c) { conn->attemptSocket(this, c); }
    void onConnect(const engine::Completion& c) { conn->attemptConnected(this, c); }
    bool pending() const { return socketOp.pending() || connectOp.pending(); }
    ClientConnection* conn;
    ResolvedAddress addr;
    int fd = -1;
    bool done = false;
    engine::MemberOperation<Attempt, &Attempt::onSocket> socketOp{this};
    engine::MemberOperation<Attempt, &Attempt::onConnect> connectOp{this};
  };

  uint64_t mark() const { return std::max<uint64_t>(client_.options.bodyHighWaterMark, 1); }
  void nextAttempt();
  void onAttemptTimer() { nextAttempt(); }
  void attemptSocket(Attempt* a, const engine::Completion& c);
  void attemptConnected(Attempt* a, const engine::Completion& c);
  void attemptFailed(Attempt* a, int err);
  void connected(Attempt* a);
  void failExchange(ClientStage stage, std::string message, int code = 0) {
    ClientExchange* ex = ex_;
    if (!ex) {
      shut();
      return;
    }
    client_.fail(ex, stage, std::move(message), code);  // detaches and shuts this connection
  }
  void begin();  // connected: the exchange's request goes out
  void detach();
  void onRecv(const engine::Completion& c);
  void onSend(const engine::Completion& c);
  void feed(const char* data, size_t len);
  void responseEnded(bool leftover);
  bool retry();
  void onRecvEnd(const engine::Completion& c);
  bool receiveTls(std::span<const char> wire);
  bool handshakeDone();
  void flushTls();
  void sendWire();
  static void onBodyBytes(void* arg, const char* data, size_t n) {
    auto* self = static_cast<ClientConnection*>(arg);
    if (self->ex_) self->client_.appendBody(*self->ex_->s_, data, n);
  }
  void armStage(Stage stage, uint32_t ms) {
    stage_ = stage;
    if (ms == 0) {
      stageTimer_.cancel();
    } else {
      stageMs_ = ms;
      stageTimer_.arm(ms);
    }
  }
  void clearStage() {
    stage_ = Stage::kNone;
    stageTimer_.cancel();
  }
  void onStageTimer();
  void onSendTimer();
  void maybeFree();
  bool anyPending() const {
    if (recvOp_.pending() || sendOp_.pending()) return true;
    for (const auto& a : attempts_) {
      if (a->pending()) return true;
    }
    return false;
  }

  HttpClient::Impl& client_;
  engine::Loop& loop_;
  Origin* origin_;
  St st_ = St::kResolving;
  int fd_ = -1;
  ClientExchange* ex_ = nullptr;
  ClientExchange* pinned_ = nullptr;  // its memory may be read by the send in flight
  bool served_ = false;  // an exchange was completed on it
  bool paused_ = false;  // no recv armed: the body buffer is at the mark
  bool sendBroken_ = false;  // a send failed: nothing more goes out, the recv decides
  int sendErrno_ = 0;        // its errno, reported if no response comes
  bool freed_ = false;
  DnsQuery* query_ = nullptr;
  HttpResponseParser parser_;
  std::vector<ResolvedAddress> addresses_;
  size_t nextAddress_ = 0;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  size_t attemptsRunning_ = 0;
  std::string connectErrors_;
  int lastErrno_ = 0;
  std::vector<iovec> iov_;
  // https: the session between the socket and the parser; the ciphertext in flight and the
  // ciphertext behind it.
  std::unique_ptr<TlsSession> tls_;
  bool handshaking_ = false;
  std::string wire_;
  std::string wirePending_;
  char plain_[16384];
  Stage stage_ = Stage::kNone;
  uint32_t stageMs_ = 0;
  engine::MemberOperation<ClientConnection, &ClientConnection::onRecv> recvOp_{this};
  engine::MemberOperation<ClientConnection, &ClientConnection::onSend> sendOp_{this};
  engine::MemberTimer<ClientConnection, &ClientConnection::onStageTimer> stageTimer_{loop_, this};
  engine::MemberTimer<ClientConnection, &ClientConnection::onSendTimer> sendTimer_{loop_, this};
  engine::MemberTimer<ClientConnection, &ClientConnection::onAttemptTimer> attemptTimer_{loop_,
                                                                                        this};
};

// ---- ClientConnection: connecting ----

void ClientConnection::connect(ClientExchange* ex) {
  ex_ = ex;
  ex->s_->conn = this;
  armStage(Stage::kConnect, client_.options.connectTimeoutMs);
  ResolvedAddress literal;
  if (parseLiteral(origin_->host, &literal)) {
    setPort(literal, origin_->port);
    startAttempts({literal});
    return;
  }
  DnsAnswer now;
  query_ = client_.resolver.resolve(origin_->host, this, &now);
  if (!query_) onResolved(now);
}

void ClientConnection::onResolved(const DnsAnswer& answer) {
  query_ = nullptr;
  if (st_ != St::kResolving) return;
  if (!answer.error.empty() || answer.addresses.empty()) {
    std::string why = answer.error.empty() ? "no address" : answer.error;
    // Inside start() when the answer was known at once: the failure waits for the timer.
    // The resolver's messages name the host ("no such host: example.invalid"); others get it.
    if (why.find(origin_->host) == std::string::npos) why += ": " + origin_->host;
    client_.failLater(ex_, ClientStage::kDns, why);
    return;
  }
  std::vector<ResolvedAddress> addresses = answer.addresses;
  for (ResolvedAddress& a : addresses) setPort(a, origin_->port);
  startAttempts(addresses);
}

void ClientConnection::startAttempts(const std::vector<ResolvedAddress>& addresses) {
  st_ = St::kConnecting;
  addresses_ = addresses;
  nextAttempt();
}

void ClientConnection::nextAttempt() {
  attemptTimer_.cancel();
  if (st_ != St::kConnecting || nextAddress_ >= addresses_.size()) return;
  attempts_.push_back(std::make_unique<Attempt>(this, addresses_[nextAddress_++]));
  Attempt* a = attempts_.back().get();
  ++attemptsRunning_;
  int family = a->addr.family();
  loop_.socket(family, SOCK_STREAM, 0, &a->socketOp);
  if (nextAddress_ < addresses_.size()) attemptTimer_.arm(kAttemptDelayMs);
}

void ClientConnection::attemptSocket(Attempt* a, const engine::Completion& c) {
  if (st_ != St::kConnecting || a->done) {
    if (c.result >= 0) loop_.close(c.result);
    if (st_ == St::kClosing) maybeFree();
    return;
  }
  if (c.result < 0) {
    attemptFailed(a, -c.result);
    return;
  }
  a->fd = c.result;
  int one = 1;
  setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  loop_.connect(a->fd, reinterpret_cast<const sockaddr*>(&a->addr.addr), a->addr.len,
                &a->connectOp);
}

void ClientConnection::attemptConnected(Attempt* a, const engine::Completion& c) {
  if (st_ != St::kConnecting || a->done) {
    if (a->fd >= 0) loop_.close(a->fd);
    a->fd = -1;
    if (st_ == St::kClosing) maybeFree();
    return;
  }
  if (c.result < 0) {
    attemptFailed(a, -c.result);
    return;
  }
  connected(a);
}

void ClientConnection::attemptFailed(Attempt* a, int err) {
  a->done = true;
  --attemptsRunning_;
  if (a->fd >= 0) loop_.close(a->fd);
  a->fd = -1;
  if (!connectErrors_.empty()) connectErrors_ += "; ";
  connectErrors_ += errnoText(err) + " (" + addressText(a->addr) + ")";
  lastErrno_ = err;
  if (nextAddress_ < addresses_.size()) {
    nextAttempt();  // RFC 8305 5: a failure starts the next attempt at once
    return;
  }
  if (attemptsRunning_ == 0) failExchange(ClientStage::kConnect, connectErrors_, -err);
}

void ClientConnection::connected(Attempt* winner) {
  winner->done = true;
  --attemptsRunning_;
  fd_ = winner->fd;
  winner->fd = -1;
  attemptTimer_.cancel();
  for (auto& a : attempts_) {
    if (a->done) continue;
    a->done = true;  // its completions close what it made
    --attemptsRunning_;
    loop_.cancel(&a->socketOp);
    loop_.cancel(&a->connectOp);
  }
  ++client_.stats.connectionsOpened;
  st_ = St::kActive;
  begin();
}

void ClientConnection::begin() {
  ClientExchange* ex = ex_;
  if (!ex) {
    shut();
    return;
  }
  if (origin_->https) {
    // The handshake runs in the connect stage (its timeout covers it); the request goes out
    // once the session is open.
    tls_ = client_.tls->connect(origin_->host, origin_->name);
    handshaking_ = true;
    if (tls_->state() == TlsSession::State::kFailed) {
      failExchange(ClientStage::kTls, "TLS: " + std::string(tls_->error()) + " (" +
                                          origin_->name + ")");
      return;
    }
    loop_.recvOnce(fd_, &recvOp_);
    sendWire();
    return;
  }
  clearStage();
  parser_.reset(ex->s_->headRequest);
  loop_.recvOnce(fd_, &recvOp_);
  flush();
}

// The session is open: ALPN checked, then the request goes out as on plain http.
bool ClientConnection::handshakeDone() {
  handshaking_ = false;
  std::string_view alpn = tls_->alpn();
  if (!alpn.empty() && alpn != "http/1.1") {
    failExchange(ClientStage::kTls, "TLS: the server chose ALPN \"" + std::string(alpn) +
                                        "\", not http/1.1 (" + origin_->name + ")");
    return false;
  }
  clearStage();
  parser_.reset(ex_->s_->headRequest);
  flush();
  return true;
}

void ClientConnection::sendWire() {
  if (tls_->hasOutput()) wirePending_ += tls_->takeOutput();
  if (sendOp_.pending() || wirePending_.empty()) return;
  wire_.swap(wirePending_);
  wirePending_.clear();
  iov_.assign(1, iovec{wire_.data(), wire_.size()});
  loop_.send(fd_, iov_.data(), iov_.size(), &sendOp_);
  if (client_.options.sendTimeoutMs) sendTimer_.arm(client_.options.sendTimeoutMs);
}

// Plaintext of the exchange into the session (released at once: the session copied it),
// then the ciphertext out. The producer is paced on the ciphertext backlog (wantsMore()).
void ClientConnection::flushTls() {
  if (!handshaking_ && ex_) {
    auto& s = *ex_->s_;
    if (s.headHanded < s.head.size()) {
      tls_->write({s.head.data() + s.headHanded, s.head.size() - s.headHanded});
      s.headHanded = s.headAcked = s.head.size();
    }
    while (!s.items.empty()) {
      SendItem& it = s.items.front();
      if (it.len > 0) tls_->write({it.data, it.len});
      s.queuedBytes -= it.len;
      client_.releaseItem(it);
      s.items.pop_front();
    }
    s.nextItem = 0;
    s.frontAcked = 0;
  }
  sendWire();
}

// ---- ClientConnection: serving ----

void ClientConnection::assignPooled(ClientExchange* ex) {
  st_ = St::kActive;
  ex_ = ex;
  ex->s_->conn = this;
  ex->s_->reused = true;
  clearStage();
  parser_.reset(ex->s_->headRequest);
  // The idle recv stays armed: it is this exchange's first recv now.
  if (!recvOp_.pending()) loop_.recvOnce(fd_, &recvOp_);
  flush();
}

void ClientConnection::flush() {
  if (st_ != St::kActive || !ex_ || sendBroken_) return;
  if (tls_) {
    flushTls();
    return;
  }
  if (sendOp_.pending()) return;
  auto& s = *ex_->s_;
  iov_.clear();
  if (s.headHanded < s.head.size()) {
    iov_.push_back({s.head.data() + s.headHanded, s.head.size() - s.headHanded});
    s.headHanded = s.head.size();
  }
  while (s.nextItem < s.items.size() && iov_.size() < IOV_MAX) {
    SendItem& it = s.items[s.nextItem++];
    iov_.push_back({const_cast<char*>(it.data), it.len});
  }
  if (iov_.empty()) return;
  loop_.send(fd_, iov_.data(), iov_.size(), &sendOp_);
  if (client_.options.sendTimeoutMs) sendTimer_.arm(client_.options.sendTimeoutMs);
}

void ClientConnection::onSend(const engine::Completion& c) {
  if (st_ == St::kClosing) {
    maybeFree();
    return;
  }
  ClientExchange* ex = ex_;
  if (!ex) return;
  auto& s = *ex->s_;
  if (c.result < 0) {
    sendTimer_.cancel();
    int err = -c.result;
    if (s.headArrived) {
      // The server answered and stopped reading (a 413 before the whole body, say): the
      // response decides how the exchange ends; the connection is not reused.
      sendBroken_ = true;
      return;
    }
    if ((err == EPIPE || err == ECONNRESET) && retry()) return;
    // The server may have answered before it stopped reading (a 413 and a close): its
    // response, if any, is in the receive queue. The recv decides; without a response the
    // failure is this send's.
    sendBroken_ = true;
    sendErrno_ = err;
    if (!recvOp_.pending() || handshaking_) {
      failExchange(ClientStage::kSend,
                   errnoText(err) + " sending the request (" + origin_->name + ")", c.result);
    } else if (stage_ == Stage::kNone) {
      armStage(Stage::kHead, client_.options.headTimeoutMs);
    }
    return;
  }
  if (tls_) {
    size_t sent = size_t(c.result);
    if (sent < iov_[0].iov_len) {
      iov_[0].iov_base = static_cast<char*>(iov_[0].iov_base) + sent;
      iov_[0].iov_len -= sent;
      loop_.send(fd_, iov_.data(), iov_.size(), &sendOp_);
      if (client_.options.sendTimeoutMs) sendTimer_.arm(client_.options.sendTimeoutMs);
      return;
    }
    wire_.clear();
    sendTimer_.cancel();
    flush();
    if (handshaking_) {
      sendWire();
      return;
    }
    requestMaybeSent();
    if (s.full && ex->wantsMore()) {
      s.full = false;
      s.handler->onWritable(ex);
    }
    return;
  }
  // Credit the bytes: head first, then the items, releasing what they complete.
  size_t n = size_t(c.result);
  size_t h = std::min(n, s.head.size() - s.headAcked);
  s.headAcked += h;
  n -= h;
  while (n > 0) {
    SendItem& f = s.items.front();
    size_t left = f.len - s.frontAcked;
    if (n < left) {
      s.frontAcked += n;
      s.queuedBytes -= n;
      break;
    }
    n -= left;
    s.queuedBytes -= left;
    s.frontAcked = 0;
    client_.releaseItem(f);
    s.items.pop_front();
    --s.nextItem;
  }
  // Drop what was sent from the gather list; a short send resumes with the rest.
  size_t sent = size_t(c.result);
  size_t i = 0;
  while (i < iov_.size() && sent >= iov_[i].iov_len) sent -= iov_[i++].iov_len;
  if (i < iov_.size()) {
    iov_[i].iov_base = static_cast<char*>(iov_[i].iov_base) + sent;
    iov_[i].iov_len -= sent;
  }
  iov_.erase(iov_.begin(), iov_.begin() + ptrdiff_t(i));
  if (!iov_.empty()) {
    loop_.send(fd_, iov_.data(), iov_.size(), &sendOp_);
    if (client_.options.sendTimeoutMs) sendTimer_.arm(client_.options.sendTimeoutMs);
  } else {
    sendTimer_.cancel();
    flush();
  }
  requestMaybeSent();
  if (s.full && ex->wantsMore()) {
    s.full = false;
    s.handler->onWritable(ex);
  }
}

void ClientConnection::onRecv(const engine::Completion& c) {
  if (st_ == St::kClosing) {
    maybeFree();
    return;
  }
  if (st_ == St::kIdle) {
    if (c.result == -ENOBUFS) {
      loop_.recvOnce(fd_, &recvOp_);
      return;
    }
    if (tls_ && c.result > 0) {
      // TLS 1.3 session tickets may come after the response: records without plaintext
      // keep the connection; anything else (bytes, an alert, close_notify) ends it.
      tls_->receive(c.data);
      if (tls_->state() == TlsSession::State::kOpen && tls_->readable() == 0) {
        sendWire();
        loop_.recvOnce(fd_, &recvOp_);
        return;
      }
    }
    // The peer closed it (or sent bytes nobody asked for): it cannot be reused.
    shut();
    return;
  }
  ClientExchange* ex = ex_;
  if (!ex) return;
  auto& s = *ex->s_;
  if (c.result > 0) {
    if (s.headArrived && !s.bodyEnded) armStage(Stage::kBody, client_.options.bodyTimeoutMs);
    if (tls_) {
      if (!receiveTls(c.data)) return;
    } else {
      feed(c.data.data(), c.data.size());
    }
    if (ex_ != ex || st_ != St::kActive || s.bodyEnded) return;
    if (!s.headArrived || s.buffered < mark()) {
      loop_.recvOnce(fd_, &recvOp_);
    } else {
      paused_ = true;
      if (stage_ == Stage::kBody) clearStage();  // the body timeout measures the server only
    }
    return;
  }
  if (c.result == -ENOBUFS || c.result == -ECANCELED) {
    loop_.recvOnce(fd_, &recvOp_);
    return;
  }
  onRecvEnd(c);
}

void ClientConnection::onRecvEnd(const engine::Completion& c) {
  ClientExchange* ex = ex_;
  auto& s = *ex->s_;
  if (handshaking_) {
    failExchange(ClientStage::kTls,
                 std::string(c.result == 0 ? "connection closed" : errnoText(-c.result)) +
                     " during the TLS handshake (" + origin_->name + ")",
                 c.result);
    return;
  }
  const ClientStage stage = s.headArrived ? ClientStage::kBody : ClientStage::kHead;
  if (sendErrno_ && !parser_.started()) {
    failExchange(ClientStage::kSend,
                 errnoText(sendErrno_) + " sending the request (" + origin_->name + ")",
                 -sendErrno_);
    return;
  }
  if (c.result == 0) {
    if (!parser_.started() && retry()) return;
    if (parser_.finish() == HttpResponseParser::Status::kMessageComplete) {
      responseEnded(false);
      return;
    }
    failExchange(stage, parser_.error() + " (" + origin_->name + ")");
    return;
  }
  int err = -c.result;
  if (err == ECONNRESET && !parser_.started() && retry()) return;
  failExchange(stage, errnoText(err) + " reading the response (" + origin_->name + ")", c.result);
}

// A pooled connection found closed before any response byte: the request goes again on a
// fresh connection, once, when it may (ClientRequest::retryable, nothing streamed).
// Ciphertext from the peer: the handshake advances, plaintext goes to the parser. False when
// the exchange ended or failed here (nothing more to do with this completion).
bool ClientConnection::receiveTls(std::span<const char> wire) {
  ClientExchange* ex = ex_;
  tls_->receive(wire);
  sendWire();
  if (tls_->state() == TlsSession::State::kFailed) {
    failExchange(handshaking_ ? ClientStage::kTls : (ex->s_->headArrived ? ClientStage::kBody
                                                                         : ClientStage::kHead),
                 "TLS: " + std::string(tls_->error()) + " (" + origin_->name + ")");
    return false;
  }
  if (handshaking_) {
    if (tls_->state() == TlsSession::State::kHandshaking) return true;
    if (!handshakeDone()) return false;
  }
  while (size_t n = tls_->read(plain_)) {
    feed(plain_, n);
    if (ex_ != ex || st_ != St::kActive || ex->s_->bodyEnded) return false;
  }
  if (tls_->state() == TlsSession::State::kClosed) {
    // close_notify: the clean end of a close-delimited body, else a failure.
    engine::Completion eof{0, false, {}};
    onRecvEnd(eof);
    return false;
  }
  return true;
}

bool ClientConnection::retry() {
  ClientExchange* ex = ex_;
  auto& s = *ex->s_;
  if (!s.reused || s.retried || !s.retryable || s.streamBody || parser_.started()) return false;
  s.retried = true;
  s.reused = false;
  ++client_.stats.retries;
  abandon();
  s.headHanded = s.headAcked = 0;
  client_.activate(ex, /*fresh=*/true);
  return true;
}

void ClientConnection::feed(const char* data, size_t len) {
  ClientExchange* ex = ex_;
  auto& s = *ex->s_;
  for (;;) {
    size_t used = 0;
    HttpResponseParser::Status st = parser_.feed(data, len, &used);
    data += used;
    len -= used;
    switch (st) {
      case HttpResponseParser::Status::kNeedMore:
        if (s.news && s.headArrived) {
          s.news = false;
          s.handler->onBodyData(ex);
        }
        return;
      case HttpResponseParser::Status::kHeadersComplete:
        s.response = std::move(parser_.response());
        s.headArrived = true;
        s.news = false;
        if (!s.response.noBody) {
          armStage(Stage::kBody, client_.options.bodyTimeoutMs);
        } else {
          clearStage();
        }
        s.handler->onHead(ex);
        if (s.closed || ex_ != ex) return;
        break;
      case HttpResponseParser::Status::kMessageComplete:
        responseEnded(len > 0);
        return;
      case HttpResponseParser::Status::kError:
        failExchange(s.headArrived ? ClientStage::kBody : ClientStage::kHead,
                     parser_.error() + " (" + origin_->name + ")");
        return;
    }
  }
}

void ClientConnection::responseEnded(bool leftover) {
  ClientExchange* ex = ex_;
  auto& s = *ex->s_;
  clearStage();
  s.bodyEnded = true;
  s.keepAlive = parser_.response().keepAlive && !leftover && !s.closeAfter;
  s.news = false;
  s.handler->onBodyData(ex);
}

void ClientConnection::toPool() {
  detach();
  served_ = true;
  if (client_.destroying) {
    shut();
    return;
  }
  st_ = St::kIdle;
  origin_->idle.push_back(this);
  ++client_.stats.idleConnections;
  // Its recv and idle timer keep nobody waiting: `torus run` exits with idle connections.
  loop_.addBackground(kIdleBackground);
  if (!recvOp_.pending()) loop_.recvOnce(fd_, &recvOp_);
  armStage(Stage::kIdle, client_.options.idleTimeoutMs);
  // A request waiting for this origin takes it at once; beyond maxIdlePerOrigin, the oldest
  // idle ones close.
  Origin* o = origin_;
  client_.pump();
  while (o->idle.size() > client_.options.maxIdlePerOrigin) o->idle.front()->shut();
}

void ClientConnection::detach() {
  ClientExchange* ex = ex_;
  if (!ex) return;
  ex_ = nullptr;
  ex->s_->conn = nullptr;
  if (sendOp_.pending()) {
    TORUS_CHECK(pinned_ == nullptr);
    pinned_ = ex;
    ++ex->s_->pins;
  }
}

void ClientConnection::shut() {
  if (st_ == St::kClosing) return;
  detach();
  if (st_ == St::kIdle) {
    auto& idle = origin_->idle;
    idle.erase(std::find(idle.begin(), idle.end(), this));
    --client_.stats.idleConnections;
    loop_.addBackground(-kIdleBackground);
  }
  st_ = St::kClosing;
  --origin_->open;
  --client_.stats.openConnections;
  stageTimer_.cancel();
  sendTimer_.cancel();
  attemptTimer_.cancel();
  if (query_) {
    client_.resolver.cancel(query_);
    query_ = nullptr;
  }
  loop_.cancel(&recvOp_);
  loop_.cancel(&sendOp_);
  for (auto& a : attempts_) {
    a->done = true;
    loop_.cancel(&a->socketOp);
    loop_.cancel(&a->connectOp);
  }
  maybeFree();
  client_.pump();  // a connection slot of this origin is free
}

void ClientConnection::maybeFree() {
  if (freed_ || anyPending()) return;
  freed_ = true;
  for (auto& a : attempts_) {
    if (a->fd >= 0) loop_.close(a->fd);
    a->fd = -1;
  }
  if (fd_ >= 0) loop_.close(fd_);
  fd_ = -1;
  if (pinned_) {
    ClientExchange* ex = std::exchange(pinned_, nullptr);
    client_.unpin(ex);
  }
  client_.buryConnection(this);
}

void ClientConnection::onStageTimer() {
  const std::string where = " (" + origin_->name + ")";
  switch (stage_) {
    case Stage::kNone:
      return;
    case Stage::kIdle:
      shut();
      return;
    case Stage::kConnect:
      failExchange(st_ == St::kResolving ? ClientStage::kDns
                   : handshaking_          ? ClientStage::kTls
                                           : ClientStage::kConnect,
                   "timed out connecting after " + std::to_string(stageMs_) + " ms" + where +
                       (connectErrors_.empty() ? "" : ": " + connectErrors_));
      return;
    case Stage::kHead:
      failExchange(ClientStage::kHead, "timed out waiting for the response head after " +
                                           std::to_string(stageMs_) + " ms" + where);
      return;
    case Stage::kBody:
      failExchange(ClientStage::kBody, "timed out waiting for the response body after " +
                                           std::to_string(stageMs_) + " ms" + where);
      return;
  }
}

void ClientConnection::onSendTimer() {
  if (st_ != St::kActive) return;
  failExchange(ClientStage::kSend, "timed out sending the request after " +
                                       std::to_string(client_.options.sendTimeoutMs) +
                                       " ms: the server is not reading (" + origin_->name + ")");
}

// ---- HttpClient::Impl ----

Origin* HttpClient::Impl::origin(bool https, std::string_view host, uint16_t port) {
  std::string key;
  key.reserve(host.size() + 10);
  key += https ? "s:" : "h:";
  for (char c : host) key += (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c;  // one pool
  key += ':';
  key += std::to_string(port);
  auto it = origins.find(key);
  if (it != origins.end()) return it->second.get();
  auto o = std::make_unique<Origin>();
  o->key = key;
  o->https = https;
  o->host = std::string(host);
  o->port = port;
  bool v6 = host.find(':') != std::string_view::npos;
  o->name = (v6 ? "[" + o->host + "]" : o->host) + ":" + std::to_string(port);
  Origin* raw = o.get();
  origins.emplace(std::move(key), std::move(o));
  return raw;
}

void HttpClient::Impl::releaseOrigin(Origin* o) {
  if (--o->users == 0 && o->open == 0) origins.erase(o->key);
}

Result<ClientExchange*> HttpClient::Impl::start(const ClientRequest& request,
                                                ClientHandler& handler) {
  auto refuse = [&] {
    ++stats.refused;
    return makeError("too many outgoing requests: " + std::to_string(stats.inFlight) +
                     " in flight (maxInFlight " + std::to_string(options.maxInFlight) + ") and " +
                     std::to_string(stats.queued) + " queued (maxQueued " +
                     std::to_string(options.maxQueued) + ")");
  };
  if (live >= size_t(options.maxInFlight) + options.maxQueued) return refuse();
  if (request.port == 0) return makeError("invalid port 0");
  BodyFraming framing;
  const bool hasBody = !request.body.empty();
  if (request.streamBody) {
    if (request.contentLength >= 0) {
      framing = {BodyFraming::kLength, uint64_t(request.contentLength)};
    } else {
      framing.kind = BodyFraming::kChunked;
    }
  } else if (hasBody || request.method == "POST" || request.method == "PUT" ||
             request.method == "PATCH") {
    framing = {BodyFraming::kLength, request.body.size()};
  }
  auto* ex = new ClientExchange();
  ex->s_ = std::make_unique<ClientExchange::State>();
  auto& s = *ex->s_;
  std::string bad = appendRequestHead(s.head, request.method, request.target, request.host,
                                      request.port, request.https, request.headers, framing);
  if (!bad.empty()) {
    delete ex;
    return makeError(bad);
  }
  if (hasBody && !request.streamBody) s.head.append(request.body.data(), request.body.size());
  s.client = this;
  s.handler = &handler;
  s.headRequest = request.method == "HEAD";
  s.retryable = request.retryable;
  for (const HttpHeader& h : request.headers) {
    // The caller asked the server to close after this response: not pooled.
    if (h.name.size() == 10 && strncasecmp(h.name.data(), "connection", 10) == 0 &&
        h.value.size() == 5 && strncasecmp(h.value.data(), "close", 5) == 0) {
      s.closeAfter = true;
    }
  }
  s.fresh = request.freshConnection;
  s.streamBody = request.streamBody;
  s.chunked = framing.kind == BodyFraming::kChunked;
  s.declared = request.streamBody ? request.contentLength : -1;
  s.bodyEnd = !request.streamBody;
  s.origin = origin(request.https, request.host, request.port);
  ++s.origin->users;
  // Behind others waiting for the same origin, or over a cap: queued, up to maxQueued.
  const bool now = !s.origin->qhead && canActivate(ex);
  if (!now && stats.queued >= options.maxQueued) {
    releaseOrigin(s.origin);
    delete ex;
    return refuse();
  }
  ++live;
  ++stats.requests;
  if (request.https && !tls) {
    failLater(ex, ClientStage::kTls,
              "https not available: the client has no TLS context (" + s.origin->name + ")");
    return ex;
  }
  if (now) {
    activate(ex, false);
  } else {
    enqueue(ex);
  }
  return ex;
}

bool HttpClient::Impl::canActivate(const ClientExchange* ex) const {
  if (stats.inFlight >= options.maxInFlight) return false;
  const Origin* o = ex->s_->origin;
  return !o->idle.empty() || o->open < options.maxConnectionsPerOrigin;
}

void HttpClient::Impl::enqueue(ClientExchange* ex) {
  auto& s = *ex->s_;
  Origin* o = s.origin;
  s.queued = true;
  s.qprev = o->qtail;
  if (o->qtail) {
    o->qtail->s_->qnext = ex;
  } else {
    o->qhead = ex;
  }
  o->qtail = ex;
  ++stats.queued;
  if (!o->waiting) {
    o->waiting = true;
    o->wprev = wtail;
    o->wnext = nullptr;
    if (wtail) {
      wtail->wnext = o;
    } else {
      whead = o;
    }
    wtail = o;
  }
}

void HttpClient::Impl::unwait(Origin* o) {
  if (!o->waiting) return;
  o->waiting = false;
  if (o->wprev) {
    o->wprev->wnext = o->wnext;
  } else {
    whead = o->wnext;
  }
  if (o->wnext) {
    o->wnext->wprev = o->wprev;
  } else {
    wtail = o->wprev;
  }
  o->wprev = o->wnext = nullptr;
}

void HttpClient::Impl::unqueue(ClientExchange* ex) {
  auto& s = *ex->s_;
  if (!s.queued) return;
  Origin* o = s.origin;
  s.queued = false;
  if (s.qprev) {
    s.qprev->s_->qnext = s.qnext;
  } else {
    o->qhead = s.qnext;
  }
  if (s.qnext) {
    s.qnext->s_->qprev = s.qprev;
  } else {
    o->qtail = s.qprev;
  }
  s.qprev = s.qnext = nullptr;
  --stats.queued;
  if (!o->qhead) unwait(o);
}

void HttpClient::Impl::activate(ClientExchange* ex, bool fresh) {
  auto& s = *ex->s_;
  if (!s.inFlight) {
    s.inFlight = true;
    ++stats.inFlight;
  }
  Origin* o = s.origin;
  if (s.fresh && o->open >= options.maxConnectionsPerOrigin && !o->idle.empty()) {
    o->idle.front()->shut();  // the oldest idle one makes room (canActivate counted on it)
  }
  if (!fresh && !s.fresh && !o->idle.empty()) {
    ClientConnection* conn = o->idle.back();
    o->idle.pop_back();
    --stats.idleConnections;
    loop.addBackground(-kIdleBackground);
    ++stats.connectionsReused;
    conn->assignPooled(ex);
    return;
  }
  auto* conn = new ClientConnection(*this, o);
  conn->connect(ex);
}

// Starts what waits and may go now: per origin in FIFO order, across origins round-robin
// (an origin served here moves to the back). Costs the number of origins with waiters.
void HttpClient::Impl::pump() {
  if (pumping || destroying) return;
  pumping = true;
  Origin* last = wtail;
  for (Origin* o = whead; o && stats.inFlight < options.maxInFlight;) {
    Origin* next = o->wnext;
    bool served = false;
    while (o->qhead && canActivate(o->qhead)) {
      ClientExchange* ex = o->qhead;
      unqueue(ex);
      activate(ex, false);
      served = true;
    }
    if (served && o->waiting && o != wtail) {
      unwait(o);  // to the back
      o->waiting = true;
      o->wprev = wtail;
      wtail->wnext = o;
      wtail = o;
    }
    if (o == last) break;
    o = next;
  }
  pumping = false;
}

void HttpClient::Impl::fail(ClientExchange* ex, ClientStage stage, std::string message,
                            int code) {
  auto& s = *ex->s_;
  if (s.closed || s.failed) return;
  s.failed = true;
  unqueue(ex);
  endFlight(ex);
  if (s.conn) s.conn->abandon();
  ClientError error{stage, std::move(message), code};
  s.handler->onError(ex, error);
}

void HttpClient::Impl::failLater(ClientExchange* ex, ClientStage stage, std::string message,
                                 int code) {
  auto& s = *ex->s_;
  if (s.closed || s.failed || s.errorPending) return;
  s.errorPending = true;
  s.pendingError = ClientError{stage, std::move(message), code};
  deferred.push_back(ex);
  if (!reapTimer.armed()) reapTimer.arm(0);
}

void HttpClient::Impl::onReap() {
  std::vector<ClientExchange*> errors;
  errors.swap(deferred);
  for (ClientExchange* ex : errors) {
    auto& s = *ex->s_;
    s.errorPending = false;
    if (s.closed) {
      if (s.pins == 0 && !s.conn) bury(ex);  // close() left it for this list
      continue;
    }
    fail(ex, s.pendingError.stage, std::move(s.pendingError.message), s.pendingError.code);
  }
  std::vector<ClientExchange*> dead;
  dead.swap(graveyard);
  for (ClientExchange* ex : dead) {
    if (ex->s_->errorPending) continue;  // still listed in deferred: freed from there
    releaseOrigin(ex->s_->origin);
    delete ex;
  }
  std::vector<ClientConnection*> conns;
  conns.swap(deadConnections);
  for (ClientConnection* c : conns) {
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (connections == c) connections = c->next;
    Origin* o = c->origin_;
    delete c;
    releaseOrigin(o);
  }
}

void HttpClient::Impl::close(ClientExchange* ex) {
  auto& s = *ex->s_;
  TORUS_CHECK_MSG(!s.closed, "ClientExchange::close() twice");
  s.closed = true;
  --live;
  unqueue(ex);
  endFlight(ex);
  if (ClientConnection* conn = s.conn) {
    if (conn->reusable()) {
      conn->toPool();
    } else {
      conn->abandon();
    }
  }
  releaseBody(s);
  if (s.pins == 0) {
    // No send reads them: borrowed body chunks go back to their owners now.
    for (SendItem& it : s.items) releaseItem(it);
    s.items.clear();
    if (!s.errorPending) bury(ex);
  }
  pump();
}

void HttpClient::Impl::appendBody(ClientExchange::State& s, const char* data, size_t n) {
  s.news = true;
  s.buffered += n;
  while (n > 0) {
    ClientBodyBlock* b = s.bodyLast;
    if (!b || b->end == kBodyBlockBytes) {
      b = static_cast<ClientBodyBlock*>(pool.take());
      b->next = nullptr;
      b->begin = b->end = 0;
      if (s.bodyLast) {
        s.bodyLast->next = b;
      } else {
        s.bodyFirst = b;
      }
      s.bodyLast = b;
    }
    size_t take = std::min<size_t>(n, kBodyBlockBytes - b->end);
    memcpy(b->data() + b->end, data, take);
    b->end += uint32_t(take);
    data += take;
    n -= take;
  }
}

void HttpClient::Impl::releaseBody(ClientExchange::State& s) {
  while (s.bodyFirst) {
    ClientBodyBlock* b = s.bodyFirst;
    s.bodyFirst = b->next;
    pool.give(b);
  }
  s.bodyLast = nullptr;
  s.buffered = 0;
}

// ---- ClientExchange ----

ClientExchange::~ClientExchange() {
  if (!s_) return;
  for (SendItem& it : s_->items) s_->client->releaseItem(it);
  if (s_->client) s_->client->releaseBody(*s_);
}

bool ClientExchange::writeBody(std::span<const char> data, PieceOwner owner) {
  return queueBody(data, owner, false);
}

bool ClientExchange::writeBodyCopy(std::span<const char> data) { return queueBody(data, {}, true); }

bool ClientExchange::queueBody(std::span<const char> data, PieceOwner owner, bool copy) {
  auto& s = *s_;
  if (!s.streamBody || s.closed || s.failed || s.bodyEnd) {
    releaseOwner(owner);
    return false;
  }
  if (s.declared >= 0 && data.size() > uint64_t(s.declared) - s.written) {
    releaseOwner(owner);
    return false;
  }
  if (data.empty()) {
    releaseOwner(owner);
    return true;
  }
  if (s.chunked) {
    SendItem& line = s.items.emplace_back();
    line.len = formatChunkLine(line.line, data.size());
    line.data = line.line;
    s.queuedBytes += line.len;
  }
  if (copy) {
    // Into blocks of the client's pool (given back once sent), never the general heap.
    alloc::BlockPool& pool = s.client->pool;
    for (size_t off = 0; off < data.size();) {
      size_t n = std::min(data.size() - off, pool.blockSize());
      SendItem& it = s.items.emplace_back();
      it.block = pool.take();
      memcpy(it.block, data.data() + off, n);
      it.data = static_cast<const char*>(it.block);
      it.len = n;
      s.queuedBytes += n;
      off += n;
    }
  } else {
    SendItem& it = s.items.emplace_back();
    it.data = data.data();
    it.owner = owner;
    it.len = data.size();
    s.queuedBytes += it.len;
  }
  if (s.chunked) {
    SendItem& crlf = s.items.emplace_back();
    crlf.data = "\r\n";
    crlf.len = 2;
    s.queuedBytes += 2;
  }
  s.written += data.size();
  if (s.conn) s.conn->flush();
  if (!wantsMore()) s.full = true;
  return true;
}

bool ClientExchange::endBody() {
  auto& s = *s_;
  if (!s.streamBody || s.closed || s.failed || s.bodyEnd) return false;
  if (s.declared >= 0 && s.written != uint64_t(s.declared)) return false;
  if (s.chunked) {
    SendItem& last = s.items.emplace_back();
    last.data = kLastChunk.data();
    last.len = kLastChunk.size();
    s.queuedBytes += last.len;
  }
  s.bodyEnd = true;
  if (s.conn) {
    s.conn->flush();
    s.conn->requestMaybeSent();
  }
  return true;
}

bool ClientExchange::wantsMore() const {
  const auto& s = *s_;
  return !s.closed && !s.failed && !s.bodyEnd &&
         s.queuedBytes + (s.conn ? s.conn->backlog() : 0) < s.client->options.sendHighWaterMark;
}

int ClientExchange::status() const { return s_->response.status; }
std::string_view ClientExchange::reason() const { return s_->response.reason; }
std::span<const HttpHeader> ClientExchange::headers() const { return s_->response.headers; }
bool ClientExchange::bodyEnded() const { return s_->bodyEnded; }
int64_t ClientExchange::contentLength() const { return s_->response.contentLength; }
size_t ClientExchange::bodyBuffered() const { return size_t(s_->buffered); }
bool ClientExchange::reusedConnection() const { return s_->reused; }

std::span<const char> ClientExchange::peekBody() const {
  ClientBodyBlock* b = s_->bodyFirst;
  if (!b) return {};
  return {b->data() + b->begin, size_t(b->end - b->begin)};
}

void ClientExchange::consumeBody(size_t n) {
  auto& s = *s_;
  TORUS_CHECK(n <= s.buffered);
  s.buffered -= n;
  while (n > 0) {
    ClientBodyBlock* b = s.bodyFirst;
    size_t take = std::min<size_t>(n, b->end - b->begin);
    b->begin += uint32_t(take);
    n -= take;
    if (b->begin == b->end) {
      s.bodyFirst = b->next;
      if (!s.bodyFirst) s.bodyLast = nullptr;
      s.client->pool.give(b);
    }
  }
  if (s.conn) s.conn->resumeBody();
}

size_t ClientExchange::readBody(std::span<char> out) {
  size_t done = 0;
  for (ClientBodyBlock* b = s_->bodyFirst; b && done < out.size(); b = b->next) {
    size_t take = std::min<size_t>(out.size() - done, b->end - b->begin);
    memcpy(out.data() + done, b->data() + b->begin, take);
    done += take;
  }
  if (done) consumeBody(done);
  return done;
}

void ClientExchange::close() { s_->client->close(this); }

// ---- HttpClient ----

HttpClient::HttpClient(engine::Loop& loop, Resolver& resolver, const ClientOptions& options,
                       TlsClientContext* tls)
    : impl_(std::make_unique<Impl>(loop, resolver, options, tls)) {}

HttpClient::~HttpClient() {
  Impl& c = *impl_;
  c.destroying = true;
  for (ClientConnection* conn = c.connections; conn; conn = conn->next) conn->shut();
  // The cancels complete on the ring; the memory they name must live until then. (Destroy
  // the client from outside a completion, as the worker's teardown does.)
  for (int i = 0; i < 200 && c.connections; ++i) {
    bool pending = false;
    for (ClientConnection* conn = c.connections; conn; conn = conn->next) {
      pending = pending || !conn->freed();
    }
    if (!pending) break;
    c.loop.runOnce(10);
  }
  c.reapTimer.cancel();
  c.onReap();
  c.reapTimer.cancel();
  TORUS_CHECK_MSG(c.connections == nullptr, "HttpClient destroyed with ring operations pending");
  for (ClientExchange* ex : c.graveyard) delete ex;
}

Result<ClientExchange*> HttpClient::start(const ClientRequest& request, ClientHandler& handler) {
  return impl_->start(request, handler);
}

const ClientStats& HttpClient::stats() const { return impl_->stats; }
const ClientOptions& HttpClient::options() const { return impl_->options; }

void HttpClient::closeIdle() {
  std::vector<ClientConnection*> idle;
  for (auto& [key, o] : impl_->origins) idle.insert(idle.end(), o->idle.begin(), o->idle.end());
  for (ClientConnection* conn : idle) conn->shut();
}

}  // namespace torus::net
