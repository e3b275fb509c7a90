// A real TLS peer for tests and benchmarks of net/tls.h: test certificates made with the
// openssl CLI in a temp dir (a CA; leaves for localhost + 127.0.0.1 + ::1, for another name,
// for *.example.test, expired; a self-signed one; an RSA leaf on demand), `openssl s_server`
// as a child process on a loopback port, and a client that pumps a TlsSession over a
// blocking socket by hand. Single-threaded; test code only.
#pragma once

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
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/tls.h"

namespace torus::net::tlspeer {

using State = TlsSession::State;

// The certificates' directory, for the whole run (set by makeCerts).
inline std::string g_dir;

inline bool run(const std::string& cmd) {
  std::string full = "cd '" + g_dir + "' && " + cmd + " >>openssl.log 2>&1";
  return std::system(full.c_str()) == 0;
}

inline void writeFile(const std::string& name, const std::string& text) {
  std::ofstream(g_dir + "/" + name) << text;
}

inline std::string path(const std::string& name) { return g_dir + "/" + name; }

// A leaf signed by the test CA, with the given subjectAltName, or (dates non-empty) through
// `openssl ca` with explicit validity dates.
inline bool makeLeaf(const std::string& name, const std::string& san, const std::string& start = "",
                     const std::string& end = "") {
  writeFile(name + ".ext",
            "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  if (!run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
           ".key -out " + name + ".csr -subj /CN=" + name)) {
    return false;
  }
  if (start.empty()) {
    return run("openssl x509 -req -in " + name +
               ".csr -CA ca.pem -CAkey ca.key -CAcreateserial"
               " -days 30 -sha256 -extfile " +
               name + ".ext -out " + name + ".pem");
  }
  return run("openssl ca -batch -notext -config ca.cnf -in " + name + ".csr -out " + name +
             ".pem -startdate " + start + " -enddate " + end + " -extfile " + name + ".ext");
}

// Makes the certificates in a fresh temp dir; false if openssl failed (see openssl.log there).
inline bool makeCerts() {
  char tmpl[] = "/tmp/torus-tls-XXXXXX";
  if (!mkdtemp(tmpl)) return false;
  g_dir = tmpl;
  bool ok = true;
  writeFile("ca.cnf",
            "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
            "default_md=sha256\npolicy=p\ncertificate=ca.pem\nprivate_key=ca.key\n"
            "[p]\ncommonName=supplied\n");
  writeFile("index.txt", "");
  writeFile("serial", "1000\n");
  ok = ok && run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                 " -keyout ca.key -out ca.pem -days 30 -subj '/CN=torus test CA'"
                 " -addext basicConstraints=critical,CA:TRUE"
                 " -addext keyUsage=critical,keyCertSign,cRLSign");
  ok = ok && makeLeaf("localhost", "DNS:localhost,IP:127.0.0.1,IP:::1");
  ok = ok && makeLeaf("other", "DNS:other.example");
  ok = ok && makeLeaf("wild", "DNS:*.example.test");
  ok =
      ok && makeLeaf("expired", "DNS:localhost,IP:127.0.0.1", "20200101000000Z", "20200201000000Z");
  ok = ok && run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                 " -keyout self.key -out self.pem -days 30 -subj /CN=localhost"
                 " -addext subjectAltName=DNS:localhost");
  return ok;
}

// An RSA leaf (rsa.pem / rsa.key), for the RSA suites: made on first use only, since a
// 2048-bit key takes ~0.6 s and each test case may run as a process of its own (ctest).
inline bool makeRsaLeaf() {
  if (std::filesystem::exists(path("rsa.pem"))) return true;
  writeFile("rsa.ext", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n");
  return run("openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr"
             " -subj /CN=localhost") &&
         run("openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
             " -days 30 -sha256 -extfile rsa.ext -out rsa.pem");
}

inline void removeCerts() {
  if (!g_dir.empty()) std::filesystem::remove_all(g_dir);
  g_dir.clear();
}

// `openssl s_server` on a free loopback port, killed on destruction.
class OpensslServer {
 public:
  // cert: the base name of a pem/key pair in g_dir. extra: more s_server arguments.
  // port: 0 picks a free one.
  OpensslServer(const std::string& cert, std::vector<std::string> extra = {}, int port = 0)
      : port_(port) {
    if (port_ == 0) {
      int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
      socklen_t len = sizeof a;
      getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
      close(probe);
    }
    log_ = path("s_server." + std::to_string(port_) + "." + std::to_string(++serial()) + ".log");

    std::vector<std::string> args = {
        "openssl", "s_server",          "-accept", "127.0.0.1:" + std::to_string(port_),
        "-cert",   path(cert + ".pem"), "-key",    path(cert + ".key"),
        "-alpn",   "http/1.1"};
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
  static int& serial() {
    static int n = 0;
    return n;
  }
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

inline int connectTo(int port) {
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
  std::string received;         // plaintext read so far
  bool eof = false;             // the peer closed TCP
  size_t recvSize = 16 * 1024;  // bytes per recv(), so a test can split records

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
      ssize_t n = recv(fd, buf, std::min(sizeof buf, recvSize), 0);
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
  bool get(const std::string& target = "/") {
    std::string req = "GET " + target + " HTTP/1.0\r\n\r\n";
    if (!tls->write(req)) return false;
    pump([] { return false; });
    return true;
  }
};

}  // namespace torus::net::tlspeer
