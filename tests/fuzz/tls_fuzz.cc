// Fuzz target for the TLS record path (net/tls.h) with garbage, on memory (no sockets).
// Byte 0 picks the mode, byte 1 a position; the rest is the data.
//  0: the data, in pieces, is what a client sends a fresh server session (ClientHello
//     parsing, records before any key);
//  1: the same into a fresh client session (ServerHello parsing);
//  2: a real handshake (client and server sessions of this process, the certificate in
//     tests/fuzz/tls/), then the client writes the first half of the data as plaintext, its
//     ciphertext with one byte flipped at the chosen position if bit 2 of byte 0 is set,
//     and the second half is fed to the server as raw records;
//  3: as 2 the other way round (the server writes, garbage goes to the client).
// Invariants: a session's state never goes back (handshaking -> open -> closed; failed from
// anywhere, and for good), a failed session says why, write() succeeds only while open,
// read() gives what readable() said; garbage alone never completes a handshake nor yields
// plaintext; after a handshake, the plaintext received is a prefix of what the peer wrote
// (all of it when nothing was corrupted, and nothing made of the garbage: records are
// authenticated).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "base/log.h"
#include "net/tls.h"
#include "tests/fuzz/tls_contexts.h"

namespace {

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "tls_fuzz: invariant broken: %s (line %d)\n", #cond, __LINE__); \
      __builtin_trap();                                                               \
    }                                                                                 \
  } while (0)

using torus::net::TlsSession;
using State = TlsSession::State;

torus::net::TlsServerContext& serverContext() {
  torus::setLogLevel(torus::LogLevel::kOff);
  return *torus::fuzz::tlsServerContext();
}
torus::net::TlsClientContext& clientContext() { return torus::fuzz::tlsClientContext(); }

int rank(State s) {
  switch (s) {
    case State::kHandshaking: return 0;
    case State::kOpen: return 1;
    case State::kClosed: return 2;
    case State::kFailed: return 3;
  }
  return -1;
}

// A session under watch: its state only moves forward; reads are checked against readable().
struct Watched {
  explicit Watched(std::unique_ptr<TlsSession> session) : s(std::move(session)) {}
  std::unique_ptr<TlsSession> s;
  State last = State::kHandshaking;
  std::string plain;  // everything read

  void check() {
    State now = s->state();
    FUZZ_CHECK(rank(now) >= rank(last));
    if (now == State::kFailed) FUZZ_CHECK(!s->error().empty());
    last = now;
  }
  void receive(std::string_view wire) {
    s->receive({wire.data(), wire.size()});
    check();
    drain();
  }
  void drain() {
    size_t want = s->readable();
    size_t got = 0;
    char buf[4096];
    while (size_t n = s->read(buf)) {
      FUZZ_CHECK(n <= sizeof buf);
      plain.append(buf, n);
      got += n;
    }
    FUZZ_CHECK(got == want);
    FUZZ_CHECK(s->readable() == 0);
    check();
  }
};

void garbage(Watched& w, std::string_view data, uint64_t seed) {
  while (!data.empty()) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t n = std::min(data.size(), size_t(1 + (seed >> 33) % ((seed >> 20) & 1 ? 8 : 700)));
    w.receive(data.substr(0, n));
    (void)w.s->takeOutput();
    data.remove_prefix(n);
    if (w.s->state() == State::kFailed) {
      FUZZ_CHECK(!w.s->write({"x", 1}));
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  const uint8_t at = data[1];
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);

  if (mode % 4 < 2) {
    Watched w{mode % 4 == 0 ? serverContext().accept() : clientContext().connect("localhost", "fuzz")};
    w.check();
    (void)w.s->takeOutput();  // the ClientHello
    FUZZ_CHECK(!w.s->write({"x", 1}));  // not open
    garbage(w, rest, mode ^ at);
    FUZZ_CHECK(w.s->state() != State::kOpen && w.s->state() != State::kClosed);
    FUZZ_CHECK(w.plain.empty());
    return 0;
  }

  // A real handshake first.
  Watched client{clientContext().connect("localhost", "")};
  Watched server{serverContext().accept()};
  for (int i = 0; i < 20; ++i) {
    std::string c = client.s->takeOutput();
    if (!c.empty()) server.receive(c);
    std::string s = server.s->takeOutput();
    if (!s.empty()) client.receive(s);
    if (c.empty() && s.empty() && client.s->state() == State::kOpen &&
        server.s->state() == State::kOpen) {
      break;
    }
  }
  FUZZ_CHECK(client.s->state() == State::kOpen && server.s->state() == State::kOpen);
  Watched& writer = mode % 4 == 2 ? client : server;
  Watched& reader = mode % 4 == 2 ? server : client;
  reader.plain.clear();  // TLS 1.3 tickets are no plaintext, but be sure

  std::string_view message = rest.substr(0, rest.size() / 2);
  std::string_view junk = rest.substr(rest.size() / 2);
  bool corrupt = mode & 4;
  if (!message.empty()) FUZZ_CHECK(writer.s->write({message.data(), message.size()}));
  std::string wire = writer.s->takeOutput();
  if (corrupt && !wire.empty()) wire[at % wire.size()] ^= char(1 + (mode >> 3));
  reader.receive(wire);
  FUZZ_CHECK(std::string_view(message).substr(0, reader.plain.size()) == reader.plain);
  if (!corrupt) FUZZ_CHECK(reader.plain == message);
  garbage(reader, junk, at);
  // Nothing of the garbage became plaintext.
  FUZZ_CHECK(reader.plain.size() <= message.size());
  FUZZ_CHECK(std::string_view(message).substr(0, reader.plain.size()) == reader.plain);
  return 0;
}
