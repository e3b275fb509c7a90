// Fuzz target for the whole HTTP/1.1 server connection state machine: a real net::HttpServer
// on a real engine::Loop (io_uring, or epoll where the ring is refused) is fed the input over
// a real socket (AF_UNIX: no ports, no TIME_WAIT), cut into pieces the input chooses, the
// loop run until quiet after each piece. A C++ handler answers each request in a way its
// target picks (whole, deferred, streamed, streamed across turns with backpressure, owned
// chunks, declared lengths kept and broken, aborted, big bodies, 204), and with the
// streamsBodies flag reads bodies as they come.
//
// Input: byte 0 flags (bit 0: the handler streams bodies; bit 1: the client half-closes
// after its last piece, over TLS with close_notify; bit 2: the client does not read until
// the end; bit 3: the server speaks TLS, and the client too, in memory (net/tls.h): the pieces are its plaintext;
// bits 3 and 4: the server speaks TLS and the pieces are raw garbage), byte 1 seeds the
// piece lengths, the rest is what the client sends.
//
// Invariants (__builtin_trap when broken):
//  - responses: every handler response carries x-seq: N (its request's number, in onRequest
//    order); the x-seq values in the output are exactly 0, 1, 2, ... (at most one response
//    per request, in request order); at most one response the server made itself (a parse
//    or body error) and nothing after it; every exchange that ended with onDone after the
//    handler answered has its response in the output;
//  - limits: a request handed over has target, header count and body within HttpLimits, a
//    Content-Length body exactly that long; a streamed body never yields more than the body
//    limit, its Content-Length or the handler's limitBody(); the unparsed input a connection
//    held stays under maxHeadBytes plus the loop's recv buffers;
//  - lifetimes: every exchange that reached onRequest gets exactly one onDone/onAbort and no
//    callback after it; every PieceOwner is released exactly once; at the end the server's
//    pool blocks and pieces are all back, no connection is left, and the loop has no
//    operation or timer pending once the server is gone;
//  - TLS: the handshake completes and everything above holds through it; raw garbage never
//    gets a request to the handler.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "engine/loop.h"
#include "net/http_server.h"
#include "net/tls.h"
#include "tests/fuzz/tls_contexts.h"

namespace {

using torus::net::Exchange;
using torus::net::HttpHeader;

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "http_server_fuzz: invariant broken: %s (line %d)\n", #cond, \
              __LINE__);                                                          \
      __builtin_trap();                                                           \
    }                                                                             \
  } while (0)

constexpr size_t kMaxHead = 2048;
constexpr size_t kMaxHeaders = 16;
constexpr size_t kMaxTarget = 256;
constexpr uint64_t kMaxBody = 4096;
constexpr unsigned kRecvBuffers = 16;
constexpr unsigned kRecvBufferSize = 1024;
constexpr uint64_t kLimitBody = 16;  // the handler's limitBody() for /q


torus::engine::Loop& loop() {
  static std::unique_ptr<torus::engine::Loop> l = [] {
    torus::setLogLevel(torus::LogLevel::kOff);
    torus::engine::LoopOptions o;
    o.ringEntries = 64;
    o.recvBufferCount = kRecvBuffers;
    o.recvBufferSize = kRecvBufferSize;
    auto r = torus::engine::Loop::create(o);
    if (!r.ok()) {
      fprintf(stderr, "http_server_fuzz: no loop: %s\n", r.error().c_str());
      abort();
    }
    return std::move(r).value();
  }();
  return *l;
}

const std::string& bigBody() {
  static const std::string s = [] {
    std::string b(6000, 'b');
    for (size_t i = 0; i < b.size(); i += 64) b[i] = '\n';
    return b;
  }();
  return s;
}

class FuzzHandler : public torus::net::RequestHandler {
 public:
  explicit FuzzHandler(bool streams) : streams_(streams) {}

  struct Work {
    uint64_t seq = 0;
    char mode = '/';
    bool answered = false;  // we called respond() or startStream()
    bool streamOpen = false;
    size_t streamed = 0;    // /w: bytes written so far
    int wait = 0;           // /d: ticks to wait
    uint64_t bodyRead = 0;
    uint64_t bodyCap = kMaxBody;
  };

  bool streamsBodies() const override { return streams_; }

  void onRequest(Exchange* ex) override {
    if (getenv("TORUS_FUZZ_VERBOSE")) fprintf(stderr, "onRequest %p %.*s complete=%d\n", (void*)ex, int(ex->request().target.size()), ex->request().target.data(), ex->bodyComplete());
    FUZZ_CHECK(live_.count(ex) == 0);
    const torus::net::HttpRequest& r = ex->request();
    FUZZ_CHECK(!r.method.empty());
    FUZZ_CHECK(r.target.size() <= kMaxTarget);
    FUZZ_CHECK(r.headerCount <= kMaxHeaders);
    Work w;
    w.seq = nextSeq_++;
    w.mode = r.target.size() > 1 ? r.target[1] : '/';
    if (r.contentLength >= 0 && !r.chunked) w.bodyCap = std::min<uint64_t>(w.bodyCap, r.contentLength);
    if (ex->bodyComplete()) {
      FUZZ_CHECK(r.body != nullptr);
      FUZZ_CHECK(r.body->size() <= kMaxBody);
      if (r.contentLength >= 0 && !r.chunked) FUZZ_CHECK(r.body->size() == uint64_t(r.contentLength));
    } else {
      FUZZ_CHECK(streams_);
    }
    Work& lw = live_[ex] = w;
    FUZZ_CHECK(ex->userData == nullptr);
    ex->userData = &live_;
    if (!ex->bodyComplete()) {
      if (lw.mode == 'q') {
        if (ex->limitBody(kLimitBody)) {
          lw.bodyCap = std::min(lw.bodyCap, kLimitBody);
        } else {
          respondSmall(ex, lw, 413);
          return;
        }
      }
      if (lw.mode != 'e') {
        drainBody(ex, lw);
        return;  // answered once the body has ended
      }
    }
    act(ex, lw);
  }

  void onBodyData(Exchange* ex) override {
    auto it = live_.find(ex);
    FUZZ_CHECK(it != live_.end());
    FUZZ_CHECK(!ex->bodyComplete());
    drainBody(ex, it->second);
  }

  void onWritable(Exchange* ex) override {
    auto it = live_.find(ex);
    FUZZ_CHECK(it != live_.end());
    FUZZ_CHECK(ex->wantsMore());
  }

  void onDone(Exchange* ex) override {
    if (getenv("TORUS_FUZZ_VERBOSE")) fprintf(stderr, "onDone %p %.*s\n", (void*)ex, int(ex->request().target.size()), ex->request().target.data());
    auto it = live_.find(ex);
    if (it == live_.end()) return serverOnly(ex);
    if (it->second.answered) doneAnswered_.push_back(it->second.seq);
    FUZZ_CHECK(ex->userData == &live_);
    ex->userData = nullptr;
    live_.erase(it);
  }
  void onAbort(Exchange* ex) override {
    if (getenv("TORUS_FUZZ_VERBOSE")) fprintf(stderr, "onAbort %p\n", (void*)ex);
    auto it = live_.find(ex);
    if (it == live_.end()) return serverOnly(ex);
    FUZZ_CHECK(ex->userData == &live_);
    ex->userData = nullptr;
    live_.erase(it);
  }
  // onDone/onAbort of an exchange that never reached onRequest: the server's own answer to
  // a request it refused (net/http_server.h says these get no call; the server does call,
  // and the real handlers expect it). At most one per connection: it closes after that.
  void serverOnly(Exchange* ex) {
    FUZZ_CHECK(ex->userData == nullptr);
    FUZZ_CHECK(++serverOnly_ <= 1);
  }

  // One step of the work left (deferred answers, streams across turns). True if it did some.
  bool tick() {
    bool did = false;
    std::vector<Exchange*> now;
    for (auto& [ex, w] : live_) now.push_back(ex);
    for (Exchange* ex : now) {
      auto it = live_.find(ex);
      if (it == live_.end()) continue;
      Work& w = it->second;
      if (w.streamOpen && w.mode == 'w') {
        did |= continueStream(ex, w);
      } else if (!w.answered && w.mode == 'd' && ex->bodyEnded() && ex->bodyBuffered() == 0) {
        int wait = w.wait;
        act(ex, w);
        did |= w.answered || w.wait != wait;
      }
    }
    return did;
  }

  size_t live() const { return live_.size(); }
  uint64_t requests() const { return nextSeq_; }
  const std::vector<uint64_t>& doneAnswered() const { return doneAnswered_; }
  static int64_t ownersOut;

 private:
  static constexpr HttpHeader kText = {"content-type", "text/plain"};

  void drainBody(Exchange* ex, Work& w) {
    char buf[512];
    size_t n;
    while ((n = ex->readBody(buf)) > 0) w.bodyRead += n;
    FUZZ_CHECK(w.bodyRead <= w.bodyCap);
    if (ex->bodyError() != 0) return;  // the server answers (or we did)
    if (ex->bodyEnded() && ex->bodyBuffered() == 0 && !w.answered) act(ex, w);
  }

  std::string_view seqText(Exchange* ex, const Work& w) {
    char s[24];
    int n = snprintf(s, sizeof s, "%llu", (unsigned long long)w.seq);
    return ex->heap().copy({s, size_t(n)});
  }
  std::string_view bodyText(Exchange* ex, const Work& w) {
    char s[32];
    int n = snprintf(s, sizeof s, "r%llu\n", (unsigned long long)w.seq);
    return ex->heap().copy({s, size_t(n)});
  }

  void respondSmall(Exchange* ex, Work& w, int status) {
    HttpHeader h[] = {kText, {"x-seq", seqText(ex, w)}};
    std::string_view b = bodyText(ex, w);
    w.answered = true;
    ex->respond(status, h, {b.data(), b.size()});
  }

  static void releaseOwner(void* arg) {
    delete static_cast<uint64_t*>(arg);  // twice: ASan's double free
    --ownersOut;
  }
  static torus::net::PieceOwner owner(uint64_t seq) {
    ++ownersOut;
    return {&FuzzHandler::releaseOwner, new uint64_t(seq)};
  }

  void startStream(Exchange* ex, Work& w, int64_t length = -1) {
    HttpHeader h[] = {kText, {"x-seq", seqText(ex, w)}};
    w.answered = true;
    w.streamOpen = true;
    ex->startStream(200, h, {}, length);
  }

  bool continueStream(Exchange* ex, Work& w) {
    static const std::string chunk(700, 'w');
    const size_t before = w.streamed;
    while (w.streamed < 4096 && ex->wantsMore()) {
      FUZZ_CHECK(ex->writeChunkCopy({chunk.data(), chunk.size()}) || ex->streamAborted());
      w.streamed += chunk.size();
    }
    if (w.streamed >= 4096) {
      w.streamOpen = false;
      FUZZ_CHECK(ex->endStream() || ex->streamAborted());
    }
    return w.streamed != before || !w.streamOpen;
  }

  void act(Exchange* ex, Work& w) {
    if (w.answered || ex->responded() || ex->bodyError() != 0) return;
    switch (w.mode) {
      case 'd':
        if (w.wait++ < 2) return;  // tick() comes back
        respondSmall(ex, w, 200);
        break;
      case 's': {
        startStream(ex, w);
        std::string_view b = bodyText(ex, w);
        FUZZ_CHECK(ex->writeChunk({b.data(), b.size()}));
        FUZZ_CHECK(ex->writeChunk({"", 0}));  // skipped
        FUZZ_CHECK(ex->writeChunk({b.data(), b.size()}));
        FUZZ_CHECK(ex->endStream());
        w.streamOpen = false;
        break;
      }
      case 'w':
        startStream(ex, w);
        continueStream(ex, w);
        break;
      case 'o': {
        startStream(ex, w);
        static const char piece[] = "owned piece\n";
        for (int i = 0; i < 3; ++i) FUZZ_CHECK(ex->writeChunk({piece, sizeof piece - 1}, owner(w.seq)));
        FUZZ_CHECK(ex->endStream());
        w.streamOpen = false;
        break;
      }
      case 'l':  // a declared length, kept
        startStream(ex, w, 10);
        FUZZ_CHECK(ex->writeChunkCopy({"01234", 5}));
        FUZZ_CHECK(ex->writeChunkCopy({"56789", 5}));
        FUZZ_CHECK(ex->endStream());
        w.streamOpen = false;
        break;
      case 'L':  // a declared length, exceeded: aborted
        startStream(ex, w, 10);
        FUZZ_CHECK(ex->writeChunkCopy({"01234567", 8}));
        FUZZ_CHECK(!ex->writeChunk({"01234567", 8}, owner(w.seq)));
        FUZZ_CHECK(ex->streamAborted());
        FUZZ_CHECK(!ex->endStream());
        w.streamOpen = false;
        break;
      case 'S':  // a declared length, short: aborted at the end
        startStream(ex, w, 10);
        FUZZ_CHECK(ex->writeChunkCopy({"0123", 4}));
        FUZZ_CHECK(!ex->endStream());
        FUZZ_CHECK(ex->streamAborted());
        w.streamOpen = false;
        break;
      case 'a': {  // the producer fails mid-body
        startStream(ex, w);
        std::string_view b = bodyText(ex, w);
        FUZZ_CHECK(ex->writeChunk({b.data(), b.size()}));
        ex->abortStream();
        ex->abortStream();  // idempotent
        FUZZ_CHECK(ex->streamAborted());
        FUZZ_CHECK(!ex->writeChunkCopy({b.data(), b.size()}));
        w.streamOpen = false;
        break;
      }
      case 'b': {  // larger than kCopiedBodyBytes: sent from where it is
        HttpHeader h[] = {kText, {"x-seq", seqText(ex, w)}};
        w.answered = true;
        ex->respond(200, h, {bigBody().data(), bigBody().size()});
        break;
      }
      case 'B': {
        HttpHeader h[] = {kText, {"x-seq", seqText(ex, w)}};
        w.answered = true;
        ex->respond(200, h, {bigBody().data(), bigBody().size()}, "Big", owner(w.seq));
        break;
      }
      case 'n':
        respondSmall(ex, w, 204);  // no body goes out
        break;
      default:
        respondSmall(ex, w, 200);
        break;
    }
  }

  bool streams_;
  uint64_t nextSeq_ = 0;
  std::unordered_map<Exchange*, Work> live_;
  std::vector<uint64_t> doneAnswered_;
  int serverOnly_ = 0;
};

int64_t FuzzHandler::ownersOut = 0;

struct Client {
  int fd = -1;
  std::string out;  // what the server wrote (its plaintext, over TLS)
  bool eof = false;
  bool reading = true;
  std::unique_ptr<torus::net::TlsSession> tls;  // a TLS client, in memory

  // Reads what is there; true if anything came.
  bool drain() {
    if (!reading || eof || fd < 0) return false;
    bool got = false;
    char buf[16384];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        got = true;
        if (!tls) {
          out.append(buf, size_t(n));
          continue;
        }
        tls->receive({buf, size_t(n)});
        while (size_t m = tls->read(buf)) out.append(buf, m);
        std::string reply = tls->takeOutput();  // handshake, alerts
        if (!reply.empty()) (void)!send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof = true;
      return got;
    }
  }
};

struct Harness {
  FuzzHandler& handler;
  torus::net::HttpServer& server;
  Client& client;

  bool step() {
    uint64_t before = loop().stats().completions;
    bool did = handler.tick();
    loop().runOnce(0);
    did |= loop().stats().completions != before;
    did |= client.drain();
    return did;
  }
  void settle() {
    int quiet = 0;
    for (int i = 0; i < 3000 && quiet < 3; ++i) quiet = step() ? 0 : quiet + 1;
  }
};

// The server's output: status lines in order, checked against what the handler answered.
void checkOutput(const std::string& out, const FuzzHandler& h) {
  if (getenv("TORUS_FUZZ_VERBOSE")) {
    fprintf(stderr, "--- output (%zu bytes, %llu requests):\n%s\n---\n", out.size(),
            (unsigned long long)h.requests(), out.c_str());
    for (uint64_t seq : h.doneAnswered()) fprintf(stderr, "done %llu\n", (unsigned long long)seq);
  }
  uint64_t expect = 0;
  bool serverOwn = false;
  for (size_t p = 0; (p = out.find("HTTP/1.", p)) != std::string::npos; p += 7) {
    // Every status line counts: no body the handler or the server sends holds "HTTP/1.".
    FUZZ_CHECK(!serverOwn);  // nothing after the server's own (closing) response
    size_t end = out.find("\r\n\r\n", p);
    std::string_view head(out.data() + p, (end == std::string::npos ? out.size() : end) - p);
    if (head.size() >= 12 && head.substr(8, 5) == " 100 ") continue;  // 100 Continue
    size_t x = head.find("\r\nx-seq: ");
    if (x == std::string::npos) {
      // The server's own (error) response, the last thing on the connection. Its text may
      // say "HTTP/1.0": skip its body.
      serverOwn = true;
      size_t cl = head.find("\r\nContent-Length: ");
      if (end != std::string::npos && cl != std::string::npos) {
        p = end + 4 + strtoull(head.data() + cl + 18, nullptr, 10) - 7;
      }
      continue;
    }
    uint64_t n = strtoull(head.data() + x + 9, nullptr, 10);
    FUZZ_CHECK(n == expect);  // one response per request, in order
    FUZZ_CHECK(n < h.requests());
    ++expect;
  }
  for (uint64_t seq : h.doneAnswered()) FUZZ_CHECK(seq < expect);  // sent means in the output
}

int listenSocket(std::string* name) {
  static unsigned counter = 0;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "torus-fuzz-%d-%u", getpid(), counter++);
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + n);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
  FUZZ_CHECK(listen(fd, 4) == 0);
  name->assign(reinterpret_cast<char*>(&a), len);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 65536) return 0;
  const uint8_t flags = data[0];
  uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t(data[1]) << 32 | flags);
  auto next = [&] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  torus::net::ServerOptions options;
  options.limits.maxHeadBytes = kMaxHead;
  options.limits.maxHeaderCount = kMaxHeaders;
  options.limits.maxTargetBytes = kMaxTarget;
  options.limits.maxBodyBytes = kMaxBody;
  options.maxPipelined = 4;
  options.sendHighWaterMark = 1024;
  options.bodyHighWaterMark = 1024;

  std::string name;
  int listenFd = listenSocket(&name);
  auto handler = std::make_unique<FuzzHandler>(flags & 1);
  auto server = std::make_unique<torus::net::HttpServer>(loop(), options, *handler);
  const bool tls = flags & 8;
  const bool garbage = tls && (flags & 16);
  if (tls) server->setTls(torus::fuzz::tlsServerContext());
  server->start(listenFd);
  Client client;
  client.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  FUZZ_CHECK(connect(client.fd, reinterpret_cast<const sockaddr*>(name.data()),
                     socklen_t(name.size())) == 0);
  Harness h{*handler, *server, client};
  h.settle();
  FUZZ_CHECK(server->connections() == 1);
  if (tls && !garbage) {
    client.tls = torus::fuzz::tlsClientContext().connect("localhost", "");
    std::string hello = client.tls->takeOutput();
    FUZZ_CHECK(send(client.fd, hello.data(), hello.size(), MSG_DONTWAIT | MSG_NOSIGNAL) == ssize_t(hello.size()));
    for (int i = 0; i < 50 && client.tls->state() == torus::net::TlsSession::State::kHandshaking; ++i) {
      h.settle();
    }
    FUZZ_CHECK(client.tls->state() == torus::net::TlsSession::State::kOpen);
  }
  client.reading = !(flags & 4);

  // The pieces: lengths from the seeded generator, 1..8, 1..64 or 1..1024 bytes.
  bool writable = true;
  for (int piece = 0; !input.empty() && writable; ++piece) {
    size_t len = input.size();
    if (piece < 32) {
      uint64_t r = next();
      size_t range = (r & 3) == 0 ? 8 : (r & 3) == 1 ? 64 : 1024;
      len = std::min(input.size(), size_t(1 + (r >> 8) % range));
    }
    std::string_view p = input.substr(0, len);
    input.remove_prefix(len);
    std::string sealed;
    if (client.tls) {  // the piece as TLS records
      if (!client.tls->write({p.data(), p.size()})) break;
      sealed = client.tls->takeOutput();
      p = sealed;
    }
    while (!p.empty()) {
      ssize_t n = send(client.fd, p.data(), p.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        p.remove_prefix(size_t(n));
      } else if (n < 0 && errno == EAGAIN) {
        size_t had = p.size();
        h.settle();
        // The server stopped reading for good (its input ended): the rest is dropped.
        n = send(client.fd, p.data(), p.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) p.remove_prefix(size_t(n));
        if (p.size() == had) {
          writable = false;
          break;
        }
      } else {
        writable = false;  // EPIPE: the server closed
        break;
      }
    }
    h.settle();
  }
  if (flags & 2) {
    // close_notify, then the FIN. (It once freed the connection inside
    // Connection::onCiphertext while onRecv still read it: corpus/http_server/tls-close-notify.)
    if (client.tls) {
      client.tls->shutdown();
      std::string bye = client.tls->takeOutput();
      (void)!send(client.fd, bye.data(), bye.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    shutdown(client.fd, SHUT_WR);
    h.settle();
  }
  client.reading = true;
  h.settle();
  client.drain();
  if (garbage) {
    FUZZ_CHECK(handler->requests() == 0);  // no plaintext comes of garbage
  } else {
    checkOutput(client.out, *handler);
  }

  const torus::net::ServerStats& st = server->stats();
  FUZZ_CHECK(st.stashPeakBytes <= kMaxHead + uint64_t(kRecvBuffers) * kRecvBufferSize);
  FUZZ_CHECK(st.requests == handler->requests());

  // Teardown: the client goes, then the server closes what is left.
  close(client.fd);
  client.fd = -1;
  h.settle();
  server->stopAccepting();
  server->closeAll();
  for (int i = 0; i < 2000 && loop().pendingOperations() > 0; ++i) loop().runOnce(i < 1000 ? 0 : 1);
  FUZZ_CHECK(handler->live() == 0);
  FUZZ_CHECK(FuzzHandler::ownersOut == 0);
  FUZZ_CHECK(server->connections() == 0);
  FUZZ_CHECK(server->poolBlocksOutstanding() == 0);
  FUZZ_CHECK(server->piecesOutstanding() == 0);
  server.reset();  // its block pools check that every block came back
  FUZZ_CHECK(loop().pendingOperations() == 0);
  FUZZ_CHECK(loop().armedTimers() == 0);
  close(listenFd);
  return 0;
}
