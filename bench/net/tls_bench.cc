// TlsSession's cost on the client side, against `openssl s_server` on loopback (the peer of
// tests/net/tls_peer.h, a separate process): the CPU column is this thread's time, that is
// wolfSSL's work plus the socket calls, without the server's. Handshakes are TLS 1.3 (or
// 1.2) with an ECDSA P-256 leaf; the download is one GET of a 64 MiB file (s_server -WWW).
// Results: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "net/tls.h"
#include "tests/net/tls_peer.h"

namespace torus::net {
namespace {

using namespace tlspeer;

void ensureCerts() {
  static bool made = [] {
    if (!makeCerts()) {
      std::fprintf(stderr, "tls_bench: openssl failed (see %s/openssl.log)\n", g_dir.c_str());
      std::abort();
    }
    std::atexit(removeCerts);
    return true;
  }();
  (void)made;
}

std::unique_ptr<TlsClientContext> context(uint32_t cacheEntries) {
  TlsClientOptions options;
  options.extraCaFile = path("ca.pem");
  options.sessionCacheEntries = cacheEntries;
  auto ctx = TlsClientContext::create(options);
  if (!ctx.ok()) std::abort();
  return std::move(ctx).value();
}

// A worker's context: mostly parsing the system CA bundle (/etc/ssl/certs/ca-certificates.crt).
void BM_ContextCreate(benchmark::State& state) {
  for (auto _ : state) {
    auto ctx = TlsClientContext::create({});
    if (!ctx.ok()) std::abort();
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_ContextCreate)->Unit(benchmark::kMillisecond);

void handshakes(benchmark::State& state, std::vector<std::string> serverArgs, bool resume) {
  ensureCerts();
  OpensslServer server("localhost", serverArgs);
  if (!server.ready()) {
    state.SkipWithError("s_server did not start");
    return;
  }
  auto ctx = context(resume ? 16 : 0);
  std::string key = "localhost:" + std::to_string(server.port());
  if (resume) {  // a first connection leaves a ticket
    Client c;
    c.fd = connectTo(server.port());
    c.tls = ctx->connect("localhost", key);
    if (!c.handshake() || !c.get()) std::abort();
  }
  int64_t resumed = 0;
  for (auto _ : state) {
    Client c;
    c.fd = connectTo(server.port());
    c.tls = ctx->connect("localhost", key);
    if (!c.handshake()) {
      state.SkipWithError(std::string(c.tls->error()).c_str());
      return;
    }
    // Read the TLS 1.3 tickets too (the next resumption needs one), then close cleanly.
    if (resume && !c.get()) std::abort();
    resumed += c.tls->resumed();
  }
  state.counters["resumed"] =
      benchmark::Counter(static_cast<double>(resumed), benchmark::Counter::kAvgIterations);
  state.counters["handshakes/s(cpu)"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Tls13FullHandshake(benchmark::State& state) { handshakes(state, {"-tls1_3"}, false); }
void BM_Tls12FullHandshake(benchmark::State& state) { handshakes(state, {"-tls1_2"}, false); }
void BM_Tls13ResumedHandshakeAndGet(benchmark::State& state) {
  handshakes(state, {"-tls1_3"}, true);
}
BENCHMARK(BM_Tls13FullHandshake)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Tls12FullHandshake)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Tls13ResumedHandshakeAndGet)->Unit(benchmark::kMicrosecond);

// Decryption: receive() + read() of a 64 MiB body, per cipher suite.
void download(benchmark::State& state, const char* cipherArgs, const char* suite) {
  ensureCerts();
  constexpr size_t kSize = 64 << 20;
  static bool written = [] {
    writeFile("64m.bin", std::string(kSize, 'x'));
    return true;
  }();
  (void)written;
  OpensslServer server("localhost", {"-WWW", cipherArgs, suite});
  if (!server.ready()) {
    state.SkipWithError("s_server did not start");
    return;
  }
  auto ctx = context(0);
  std::string cipher;
  for (auto _ : state) {
    Client c;
    c.fd = connectTo(server.port());
    c.tls = ctx->connect("localhost", "");
    if (!c.handshake()) {
      state.SkipWithError(std::string(c.tls->error()).c_str());
      return;
    }
    cipher = c.tls->cipher();
    std::string req = "GET /64m.bin HTTP/1.0\r\n\r\n";
    c.tls->write(req);
    c.flush();
    size_t got = 0;
    char buf[64 * 1024];
    char plain[64 * 1024];
    while (c.tls->state() == TlsSession::State::kOpen) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      c.tls->receive({buf, static_cast<size_t>(n)});
      while (size_t m = c.tls->read(plain)) got += m;
    }
    if (got < kSize) {
      state.SkipWithError("short download");
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSize));
  state.SetLabel(cipher);
}

void BM_DownloadAes128Gcm(benchmark::State& state) {
  download(state, "-ciphersuites", "TLS_AES_128_GCM_SHA256");
}
void BM_DownloadAes256Gcm(benchmark::State& state) {
  download(state, "-ciphersuites", "TLS_AES_256_GCM_SHA384");
}
void BM_DownloadChacha20(benchmark::State& state) {
  download(state, "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256");
}
BENCHMARK(BM_DownloadAes128Gcm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DownloadAes256Gcm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DownloadChacha20)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace torus::net
