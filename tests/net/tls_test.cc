// TlsClientContext / TlsSession against a real `openssl s_server` on a loopback port: the
// test moves the ciphertext over a real socket itself (no ring here), like the HTTP client
// does from completions. The certificates (a test CA, leaves for localhost / another name /
// expired, a self-signed one) are made at start with the openssl CLI in a temp dir.
#include "net/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace torus::net {
namespace {

namespace fs = std::filesystem;
using State = TlsSession::State;

std::string g_dir;  // the certificates, for the whole run

bool run(const std::string& cmd) {
  std::string full = "cd '" + g_dir + "' && " + cmd + " >>openssl.log 2>&1";
  return std::system(full.c_str()) == 0;
}

void writeFile(const std::string& name, const std::string& text) {
  std::ofstream(g_dir + "/" + name) << text;
}

std::string path(const std::string& name) { return g_dir + "/" + name; }

// A leaf signed by the test CA, with the given subjectAltName, or (dates non-empty) through
// `openssl ca` with explicit validity dates.
bool makeLeaf(const std::string& name, const std::string& san, const std::string& start = "",
              const std::string& end = "") {
  writeFile(name + ".ext", "subjectAltName=" + san +
                               "\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  if (!run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
           name + ".key -out " + name + ".csr -subj /CN=" + name)) {
    return false;
  }
  if (start.empty()) {
    return run("openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial"
               " -days 30 -sha256 -extfile " + name + ".ext -out " + name + ".pem");
  }
  return run("openssl ca -batch -notext -config ca.cnf -in " + name + ".csr -out " + name +
             ".pem -startdate " + start + " -enddate " + end + " -extfile " + name + ".ext");
}

class TlsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/torus-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    g_dir = tmpl;
    writeFile("ca.cnf",
              "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
              "default_md=sha256\npolicy=p\ncertificate=ca.pem\nprivate_key=ca.key\n"
              "[p]\ncommonName=supplied\n");
    writeFile("index.txt", "");
    writeFile("serial", "1000\n");
    ASSERT_TRUE(run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                    " -keyout ca.key -out ca.pem -days 30 -subj '/CN=torus test CA'"
                    " -addext basicConstraints=critical,CA:TRUE"
                    " -addext keyUsage=critical,keyCertSign,cRLSign"))
        << "openssl failed, see " << g_dir << "/openssl.log";
    ASSERT_TRUE(makeLeaf("localhost", "DNS:localhost,IP:127.0.0.1,IP:::1"));
    ASSERT_TRUE(makeLeaf("other", "DNS:other.example"));
    ASSERT_TRUE(makeLeaf("expired", "DNS:localhost,IP:127.0.0.1", "20200101000000Z",
                         "20200201000000Z"));
    // An RSA leaf, for the ECDHE-RSA suites.
    writeFile("rsa.ext", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n");
    ASSERT_TRUE(run("openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr"
                    " -subj /CN=localhost"));
    ASSERT_TRUE(run("openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                    " -days 30 -sha256 -extfile rsa.ext -out rsa.pem"));
    ASSERT_TRUE(run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                    " -keyout self.key -out self.pem -days 30 -subj /CN=localhost"
                    " -addext subjectAltName=DNS:localhost"));
  }
  void TearDown() override {
    if (!g_dir.empty()) fs::remove_all(g_dir);
  }
};

[[maybe_unused]] const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TlsEnvironment);

// `openssl s_server` on a free loopback port, killed on destruction.
class OpensslServer {
 public:
  // cert: the base name of a pem/key pair in g_dir. extra: more s_server arguments.
  OpensslServer(const std::string& cert, std::vector<std::string> extra = {}) {
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    close(probe);
    log_ = path("s_server." + std::to_string(port_) + ".log");

    std::vector<std::string> args = {"openssl", "s_server", "-accept",
                                     "127.0.0.1:" + std::to_string(port_), "-cert",
                                     path(cert + ".pem"), "-key", path(cert + ".key"),
                                     "-alpn", "http/1.1"};
    // s_server's mode: -www (a status page) unless the test picks -WWW or -rev.
    if (std::find(extra.begin(), extra.end(), "-WWW") == extra.end() &&
        std::find(extra.begin(), extra.end(), "-rev") == extra.end()) {
      args.push_back("-www");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      dup2(out, 1);
      dup2(out, 2);
      if (chdir(g_dir.c_str()) != 0) _exit(126);  // -WWW serves files from here
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      execvp("openssl", argv.data());
      _exit(127);
    }
    // Ready once it says so (it listens before it prints ACCEPT).
    for (int i = 0; i < 300; ++i) {
      std::ifstream f(log_);
      std::stringstream ss;
      ss << f.rdbuf();
      if (ss.str().find("ACCEPT") != std::string::npos) {
        ready_ = true;
        break;
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~OpensslServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string log() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
  std::string log_;
};

int connectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One client connection: a socket and a session, pumped by hand.
struct Client {
  int fd = -1;
  std::unique_ptr<TlsSession> tls;
  std::string received;  // plaintext read so far
  bool eof = false;      // the peer closed TCP

  ~Client() {
    if (fd >= 0) close(fd);
  }

  void flush() {
    std::string out = tls->takeOutput();
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // Moves ciphertext both ways until done() holds, the session fails or closes, TCP ends,
  // or 5 s pass. Returns done().
  bool pump(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char buf[16 * 1024];
    while (true) {
      flush();
      char plain[4096];
      while (size_t n = tls->read(plain)) received.append(plain, n);
      if (done()) return true;
      if (tls->state() == State::kFailed || tls->state() == State::kClosed || eof) break;
      if (std::chrono::steady_clock::now() > deadline) break;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        eof = true;
        continue;
      }
      tls->receive({buf, static_cast<size_t>(n)});
    }
    return done();
  }

  bool handshake() {
    return pump([&] { return tls->state() != State::kHandshaking; }) &&
           tls->state() == State::kOpen;
  }

  // GET target over the open session; s_server -www answers with a status page (-WWW with
  // the file) and closes.
  void get(const std::string& target = "/") {
    std::string req = "GET " + target + " HTTP/1.0\r\n\r\n";
    ASSERT_TRUE(tls->write(req));
    pump([] { return false; });
  }
};

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
  c->get();
  EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u) << c->received;
  // The status page names what was negotiated, from the server's side.
  EXPECT_NE(c->received.find("TLSv1.3"), std::string::npos);
  // s_server ends the page with close_notify.
  EXPECT_EQ(c->tls->state(), State::kClosed) << c->tls->error();
  EXPECT_FALSE(c->tls->write(std::string_view("more")));
}

TEST(Tls, Tls12OnlyServerWithEcdsaAndRsa) {
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
    c->get();
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
  EXPECT_EQ(c->tls->error(),
            "certificate verify failed: host name mismatch (expected localhost)");
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
  c->get();
  EXPECT_EQ(c->received.rfind("HTTP/1.0 200 ok", 0), 0u) << c->received;
}

TEST(Tls, IpLiteralIsVerifiedAgainstIpSans) {
  OpensslServer server("localhost");
  ASSERT_TRUE(server.ready()) << server.log();
  auto ctx = makeContext();
  {
    auto c = connectClient(*ctx, server.port(), "127.0.0.1");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    c->get();
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
      c->get();  // a TLS 1.3 ticket comes after the handshake, read with the data
    }
    {
      auto c = connectClient(*ctx, server.port());
      ASSERT_TRUE(c->handshake()) << c->tls->error();
      EXPECT_TRUE(c->tls->resumed());
      c->get();
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
    c->get();
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
    OpensslServer server("localhost", {"-servername", "other.example", "-cert2",
                                       path("other.pem"), "-key2", path("other.key")});
    ASSERT_TRUE(server.ready()) << server.log();
    auto c = connectClient(*ctx, server.port(), "other.example");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    c->get();
  }
  {
    // Were 127.0.0.1 sent as SNI, the server would answer with other.example's certificate.
    OpensslServer server("localhost", {"-servername", "127.0.0.1", "-cert2", path("other.pem"),
                                       "-key2", path("other.key")});
    ASSERT_TRUE(server.ready()) << server.log();
    auto c = connectClient(*ctx, server.port(), "127.0.0.1");
    ASSERT_TRUE(c->handshake()) << c->tls->error();
    c->get();
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
    c->get();
  }
  {
    auto c = connectClient(*ctx, server.port(), "::2");
    EXPECT_FALSE(c->handshake());
    EXPECT_EQ(c->tls->error(), "certificate verify failed: host name mismatch (expected ::2)");
  }
}

TEST(Tls, ServerWithoutForwardSecrecyOrAeadIsRefused) {
  // CBC with RSA key exchange: neither AEAD nor forward secret.
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
    c->get("/big.txt");
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

TEST(Tls, BadCaFileIsAnError) {
  TlsClientOptions options;
  options.extraCaFile = path("does-not-exist.pem");
  auto ctx = TlsClientContext::create(options);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().find("does-not-exist.pem"), std::string::npos) << ctx.error();
}

}  // namespace
}  // namespace torus::net
