// TlsClientContext / TlsSession against a real `openssl s_server` on a loopback port: the
// test moves the ciphertext over a real socket itself (no ring here), like the HTTP client
// does from completions. The peer, the certificates and the pump are in tls_peer.h.
#include "net/tls.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/net/tls_peer.h"

namespace torus::net {
namespace {

using namespace tlspeer;

class TlsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_TRUE(makeCerts()) << "openssl failed, see " << g_dir << "/openssl.log";
  }
  void TearDown() override { removeCerts(); }
};

[[maybe_unused]] const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TlsEnvironment);

std::unique_ptr<Client> connectClient(TlsClientContext& ctx, int port,
                                      std::string_view name = "localhost") {
  auto c = std::make_unique<Client>();
  c->fd = connectTo(port);
  EXPECT_GE(c->fd, 0);
  c->tls = ctx.connect(name, std::string(name) + ":" + std::to_string(port));
  return c;
}

std::unique_ptr<TlsClientContext> makeContext(TlsClientOptions options = {}) {
  if (options.extraCaFile.empty()) options.extraCaFile = path("ca.pem");
  auto ctx = TlsClientContext::create(options);
  EXPECT_TRUE(ctx.ok()) << (ctx.ok() ? "" : ctx.error());
  return ctx.ok() ? std::move(ctx).value() : nullptr;
}

TEST(Tls, HandshakeAlpnAndExchangeOverTls13) {
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  EXPECT_EQ(c->tls->state(), State::kHandshaking);
  EXPECT_TRUE(c->tls->hasOutput());  // the ClientHello, before any byte came in
  ASSERT_TRUE(c->handshake()) << c->tls->error();
  EXPECT_EQ(c->tls->alpn(), "http/1.1");
  EXPECT_EQ(c->tls->protocol(), "TLSv1.3");
  EXPECT_FALSE(c->tls->cipher().empty());
  EXPECT_FALSE(c->tls->resumed());
  ASSERT_TRUE(c->get());
  EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u) << c->received;
  // The status page names what was negotiated, from the server's side.
  EXPECT_NE(c->received.find("TLSv1.3"), std::string::npos);
  // s_server ends the page with close_notify.
  EXPECT_EQ(c->tls->state(), State::kClosed) << c->tls->error();
  EXPECT_FALSE(c->tls->write(std::string_view("more")));
}

TEST(Tls, Tls12OnlyServerWithEcdsaAndRsa) {
  ASSERT_TRUE(makeRsaLeaf());
  for (const char* cert : {"localhost", "rsa"}) {
    OpensslServer server(cert, {"-tls1_2"});
    ASSERT_TRUE(server.ready()) << server.log();
    auto ctx = makeContext();
    auto c = connectClient(*ctx, server.port());
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    EXPECT_EQ(c->tls->protocol(), "TLSv1.2");
    EXPECT_EQ(c->tls->alpn(), "http/1.1");
    std::string cipher(c->tls->cipher());
    EXPECT_EQ(cipher.rfind(std::string(cert) == "rsa" ? "ECDHE-RSA-" : "ECDHE-ECDSA-", 0), 0u)
        << cipher;
    EXPECT_TRUE(cipher.find("GCM") != std::string::npos ||
                cipher.find("CHACHA20") != std::string::npos)
        << cipher;
    ASSERT_TRUE(c->get());
    EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u) << c->received;
  }
}

TEST(Tls, Tls11OnlyServerIsRefused) {
  // OpenSSL 3 allows TLS 1.1 only at security level 0.
  OpensslServer server("localhost", {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  EXPECT_FALSE(c->handshake());
  EXPECT_EQ(c->tls->state(), State::kFailed);
  EXPECT_NE(c->tls->error().find("protocol version"), std::string::npos) << c->tls->error();
}

TEST(Tls, HostNameMismatchFails) {
  OpensslServer server("other");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  EXPECT_FALSE(c->handshake());
  EXPECT_EQ(c->tls->state(), State::kFailed);
  EXPECT_EQ(c->tls->error(), "certificate verify failed: host name mismatch (expected localhost)");
  c->flush();  // the alert goes out; the server sees the refusal
}

TEST(Tls, ExpiredCertificateFails) {
  OpensslServer server("expired");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  EXPECT_FALSE(c->handshake());
  EXPECT_EQ(c->tls->error(), "certificate has expired");
}

TEST(Tls, UnknownCaFails) {
  {
    // Self-signed.
    OpensslServer server("self");
    ASSERT_TRUE(server.ready()) << server.log();
    auto ctx = makeContext();
    auto c = connectClient(*ctx, server.port());
    EXPECT_FALSE(c->handshake());
    EXPECT_EQ(c->tls->error(), "unknown CA (self-signed or untrusted issuer)");
  }
  {
    // Issued by a CA that is not trusted: only the system store.
    OpensslServer server("localhost");
    ASSERT_TRUE(server.ready()) << server.log();
    auto ctx = TlsClientContext::create({});
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    auto c = connectClient(**ctx, server.port());
    EXPECT_FALSE(c->handshake());
    EXPECT_EQ(c->tls->error(), "unknown CA (self-signed or untrusted issuer)");
  }
}

TEST(Tls, VerifyPeerOffConnectsToAnything) {
  OpensslServer server("self");
  ASSERT_TRUE(server.ready()) << server.log();
  TlsClientOptions options;
  options.verifyPeer = false;
  auto ctx = makeContext(options);
  auto c = connectClient(*ctx, server.port(), "not-the-name.example");
  ASSERT_TRUE(c->handshake()) << c->tls->error();
  ASSERT_TRUE(c->get());
  EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u) << c->received;
}

TEST(Tls, IpLiteralIsVerifiedAgainstIpSans) {
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  {
    auto c = connectClient(*ctx, server.port(), "127.0.0.1");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    ASSERT_TRUE(c->get());
    // No SNI for an IP literal: s_server's page would not show one anyway, but the
    // handshake succeeding on the IP SAN is the point.
    EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u);
  }
  {
    auto c = connectClient(*ctx, server.port(), "10.1.2.3");
    EXPECT_FALSE(c->handshake());
    EXPECT_EQ(c->tls->error(), "certificate verify failed: host name mismatch (expected 10.1.2.3)");
  }
}

TEST(Tls, SessionResumption) {
  for (const char* version : {"-tls1_3", "-tls1_2"}) {
    SCOPED_TRACE(version);
    OpensslServer server("localhost", {version});
    ASSERT_TRUE(server.ready()) << server.log();
    auto ctx = makeContext();
    {
      auto c = connectClient(*ctx, server.port());
      ASSERT_TRUE(c->handshake()) << c->tls->error();
      EXPECT_FALSE(c->tls->resumed());
      ASSERT_TRUE(c->get());  // a TLS 1.3 ticket comes after the handshake, read with the data
    }
    {
      auto c = connectClient(*ctx, server.port());
      ASSERT_TRUE(c->handshake()) << c->tls->error();
      EXPECT_TRUE(c->tls->resumed());
      ASSERT_TRUE(c->get());
      EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u);
      EXPECT_NE(c->received.find("Reused"), std::string::npos) << c->received;
    }
  }
}

TEST(Tls, SessionCacheIsBounded) {
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  TlsClientOptions options;
  options.sessionCacheEntries = 1;
  auto ctx = makeContext(options);
  auto once = [&](std::string_view key) {
    auto c = std::make_unique<Client>();
    c->fd = connectTo(server.port());
    c->tls = ctx->connect("localhost", key);
    EXPECT_TRUE(c->handshake()) << c->tls->error();
    bool resumed = c->tls->resumed();
    EXPECT_TRUE(c->get());
    return resumed;
  };
  EXPECT_FALSE(once("a"));
  EXPECT_TRUE(once("a"));
  EXPECT_FALSE(once("b"));  // evicts a
  EXPECT_FALSE(once("a"));
}

TEST(Tls, OurShutdownSendsCloseNotify) {
  // -rev echoes lines reversed and keeps the connection until the client closes.
  OpensslServer server("localhost", {"-rev"});
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  ASSERT_TRUE(c->handshake()) << c->tls->error();
  ASSERT_TRUE(c->tls->write(std::string_view("hello\n")));
  EXPECT_TRUE(c->pump([&] { return c->received.find("olleh") != std::string::npos; }))
      << c->received;
  c->tls->shutdown();
  EXPECT_TRUE(c->tls->hasOutput());
  EXPECT_FALSE(c->tls->write(std::string_view("after\n")));
  c->flush();
  // s_server answers close_notify with its own (or just closes).
  c->pump([] { return false; });
  EXPECT_TRUE(c->eof || c->tls->state() == State::kClosed) << c->tls->error();
  EXPECT_NE(c->tls->state(), State::kFailed) << c->tls->error();
}

TEST(Tls, SniIsSentForNamesOnly) {
  auto ctx = makeContext();
  {
    // The server picks its second certificate only for the SNI name other.example: the
    // handshake verifies only if SNI was sent.
    OpensslServer server("localhost", {"-servername", "other.example", "-cert2", path("other.pem"),
                                       "-key2", path("other.key")});
    ASSERT_TRUE(server.ready()) << server.log();
    auto c = connectClient(*ctx, server.port(), "other.example");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    ASSERT_TRUE(c->get());
  }
  {
    // Were 127.0.0.1 sent as SNI, the server would answer with other.example's certificate.
    OpensslServer server("localhost", {"-servername", "127.0.0.1", "-cert2", path("other.pem"),
                                       "-key2", path("other.key")});
    ASSERT_TRUE(server.ready()) << server.log();
    auto c = connectClient(*ctx, server.port(), "127.0.0.1");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    ASSERT_TRUE(c->get());
  }
}

TEST(Tls, Ipv6LiteralIsVerifiedAgainstIpSans) {
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  {
    // The name is what is verified; the socket still goes to 127.0.0.1.
    auto c = connectClient(*ctx, server.port(), "::1");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    ASSERT_TRUE(c->get());
  }
  {
    auto c = connectClient(*ctx, server.port(), "::2");
    EXPECT_FALSE(c->handshake());
    EXPECT_EQ(c->tls->error(), "certificate verify failed: host name mismatch (expected ::2)");
  }
}

TEST(Tls, ServerWithoutForwardSecrecyOrAeadIsRefused) {
  // CBC with RSA key exchange: neither AEAD nor forward secret.
  ASSERT_TRUE(makeRsaLeaf());
  OpensslServer server("rsa", {"-tls1_2", "-cipher", "AES128-SHA"});
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  EXPECT_FALSE(c->handshake());
  EXPECT_EQ(c->tls->error(), "peer sent alert: handshake failure");
}

TEST(Tls, LargeTransfersBothWays) {
  {
    // 3 MiB down: ~190 records, decrypted as they come.
    std::string body;
    for (int i = 0; body.size() < 3 * 1024 * 1024; ++i) body += std::to_string(i) + ",";
    writeFile("big.txt", body);
    OpensslServer server("localhost", {"-WWW"});
    ASSERT_TRUE(server.ready()) << server.log();
    auto ctx = makeContext();
    auto c = connectClient(*ctx, server.port());
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    ASSERT_TRUE(c->get("/big.txt"));
    size_t head = c->received.find("\r\n\r\n");
    ASSERT_NE(head, std::string::npos) << c->received.substr(0, 200);
    EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u);
    EXPECT_TRUE(c->received.compare(head + 4, std::string::npos, body) == 0)
        << "got " << c->received.size() - head - 4 << " body bytes of " << body.size();
  }
  {
    // 256 KiB up in one write(): many records; -rev echoes each line reversed.
    OpensslServer server("localhost", {"-rev"});
    ASSERT_TRUE(server.ready()) << server.log();
    auto ctx = makeContext();
    auto c = connectClient(*ctx, server.port());
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    std::string up;
    std::string expected;
    for (int i = 0; up.size() < 256 * 1024; ++i) {
      std::string line = "line-" + std::to_string(i) + "-abcdefghijklmnopqrstuvwxyz";
      up += line + "\n";
      expected += std::string(line.rbegin(), line.rend()) + "\n";
    }
    ASSERT_TRUE(c->tls->write(up));
    EXPECT_TRUE(c->pump([&] { return c->received.size() >= expected.size(); }))
        << c->received.size() << " of " << expected.size();
    EXPECT_EQ(c->received.substr(0, 64), expected.substr(0, 64));
    EXPECT_TRUE(c->received == expected);
  }
}

TEST(Tls, KeyExchangeGroups) {
  auto ctx = makeContext();
  {
    // Our TLS 1.3 key share is X25519: a P-256-only server asks again (HelloRetryRequest).
    OpensslServer server("localhost", {"-groups", "P-256"});
    ASSERT_TRUE(server.ready()) << server.log();
    auto c = connectClient(*ctx, server.port());
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    EXPECT_EQ(c->tls->protocol(), "TLSv1.3");
    ASSERT_TRUE(c->get());
  }
  {
    // P-521 is not offered.
    OpensslServer server("localhost", {"-groups", "P-521"});
    ASSERT_TRUE(server.ready()) << server.log();
    auto c = connectClient(*ctx, server.port());
    EXPECT_FALSE(c->handshake());
    EXPECT_EQ(c->tls->error(), "peer sent alert: handshake failure");
  }
}

TEST(Tls, NewTicketKeysMeanAFullHandshakeNotAFailure) {
  auto ctx = makeContext();
  int port = 0;
  {
    OpensslServer server("localhost");
    ASSERT_TRUE(server.ready()) << server.log();
    port = server.port();
    auto c = connectClient(*ctx, port);
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    ASSERT_TRUE(c->get());
  }
  // The same origin, restarted: its ticket key is new, our ticket is no use to it.
  OpensslServer server("localhost", {}, port);
  ASSERT_TRUE(server.ready()) << server.log();
  {
    auto c = connectClient(*ctx, port);
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    EXPECT_FALSE(c->tls->resumed());
    ASSERT_TRUE(c->get());
  }
  {
    // ...and the fresh ticket it gave resumes.
    auto c = connectClient(*ctx, port);
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    EXPECT_TRUE(c->tls->resumed());
    ASSERT_TRUE(c->get());
  }
}

TEST(Tls, SessionOutlivesItsContext) {
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  auto c = connectClient(*ctx, server.port());
  ctx.reset();
  ASSERT_TRUE(c->handshake()) << c->tls->error();
  ASSERT_TRUE(c->get());
  EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u);
}

TEST(Tls, NonTlsReplyFails) {
  // No server: what a plain HTTP server would answer to a ClientHello.
  auto ctx = makeContext();
  auto session = ctx->connect("localhost", "localhost:1");
  ASSERT_TRUE(session->hasOutput());
  session->takeOutput();
  std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  session->receive(reply);
  EXPECT_EQ(session->state(), State::kFailed);
  EXPECT_EQ(session->error().rfind("the peer does not speak TLS (", 0), 0u) << session->error();
  // Nothing more happens to a failed session.
  session->receive(reply);
  EXPECT_EQ(session->state(), State::kFailed);
  EXPECT_FALSE(session->write(reply));
  char buf[16];
  EXPECT_EQ(session->read(buf), 0u);
}

TEST(Tls, HostNameMatching) {
  auto ctx = makeContext();
  auto connects = [&](OpensslServer& server, std::string_view name) {
    auto c = connectClient(*ctx, server.port(), name);
    bool ok = c->handshake();
    if (ok) {
      EXPECT_TRUE(c->get());
    }
    return ok;
  };
  {
    OpensslServer server("wild");
    ASSERT_TRUE(server.ready()) << server.log();
    EXPECT_TRUE(connects(server, "www.example.test"));
    EXPECT_TRUE(connects(server, "WWW.Example.TEST"));
    EXPECT_FALSE(connects(server, "a.b.example.test"));  // one label only
    EXPECT_FALSE(connects(server, "example.test"));
  }
  {
    OpensslServer server("localhost");
    ASSERT_TRUE(server.ready()) << server.log();
    EXPECT_TRUE(connects(server, "LocalHost"));
    EXPECT_TRUE(connects(server, "localhost."));  // a fully qualified name
    EXPECT_FALSE(connects(server, "localhost.."));
    EXPECT_FALSE(connects(server, "host"));
  }
}

TEST(Tls, EmptyServerNameFails) {
  auto ctx = makeContext();
  auto session = ctx->connect("", "");
  EXPECT_EQ(session->state(), State::kFailed);
  EXPECT_EQ(session->error(), "bad server name");
  EXPECT_FALSE(session->hasOutput());
}

TEST(Tls, RecordsSplitAnywhere) {
  // Ciphertext fed one byte at a time, then 7 at a time: every record arrives in pieces.
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  TlsClientOptions options;
  options.sessionCacheEntries = 0;  // no resumption: full flights each time
  auto ctx = makeContext(options);
  for (size_t size : {1, 7}) {
    auto c = connectClient(*ctx, server.port());
    c->recvSize = size;
    EXPECT_FALSE(c->tls->write(std::string_view("too early")));  // not open yet
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    EXPECT_FALSE(c->tls->resumed());
    ASSERT_TRUE(c->get());
    EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u);
    EXPECT_EQ(c->tls->state(), State::kClosed);
  }
}

TEST(Tls, BadCaFileIsAnError) {
  TlsClientOptions options;
  options.extraCaFile = path("does-not-exist.pem");
  auto ctx = TlsClientContext::create(options);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().find("does-not-exist.pem"), std::string::npos) << ctx.error();

  options = {};
  options.caFile = path("missing-store.pem");
  auto noStore = TlsClientContext::create(options);
  ASSERT_FALSE(noStore.ok());
  EXPECT_NE(noStore.error().find("missing-store.pem"), std::string::npos) << noStore.error();

  // A store that reads but holds no certificate: it is parsed at the first connection (not
  // at start), and every verified connection fails, naming it.
  std::string empty = path("no-certificates.pem");
  {
    std::ofstream f(empty);
    f << "not a certificate\n";
  }
  options.caFile = empty;
  auto hollow = TlsClientContext::create(options);
  ASSERT_TRUE(hollow.ok()) << hollow.error();
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<TlsSession> s = (*hollow)->connect("localhost", "localhost:1");
    EXPECT_EQ(s->state(), State::kFailed);
    EXPECT_EQ(s->error(), "no CA certificates loaded from " + empty);
  }
  unlink(empty.c_str());

  // A CA file instead of the system store: only that CA is trusted.
  options.caFile = path("ca.pem");
  auto own = TlsClientContext::create(options);
  ASSERT_TRUE(own.ok()) << own.error();
}

}  // namespace
}  // namespace torus::net
