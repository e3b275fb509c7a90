// The TLS contexts of the fuzz targets that speak TLS (tls, http_server): a server context
// with the self-signed certificate in tests/fuzz/tls/ (for "localhost") and a client context
// that does not verify it, each made once per process.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/log.h"
#include "net/tls.h"

#ifndef TORUS_FUZZ_TLS_DIR
#error "TORUS_FUZZ_TLS_DIR: the folder of cert.pem and key.pem"
#endif

namespace torus::fuzz {

inline std::shared_ptr<net::TlsServerContext> tlsServerContext() {
  static std::shared_ptr<net::TlsServerContext> ctx = [] {
    net::TlsServerOptions o;
    o.certificates.push_back({TORUS_FUZZ_TLS_DIR "/cert.pem", TORUS_FUZZ_TLS_DIR "/key.pem", {}, ""});
    auto r = net::TlsServerContext::create(o);
    if (!r.ok()) {
      fprintf(stderr, "fuzz: TLS server context: %s\n", r.error().c_str());
      abort();
    }
    return std::shared_ptr<net::TlsServerContext>(std::move(r).value());
  }();
  return ctx;
}

inline net::TlsClientContext& tlsClientContext() {
  static std::unique_ptr<net::TlsClientContext> ctx = [] {
    net::TlsClientOptions o;
    o.verifyPeer = false;
    o.caFile = TORUS_FUZZ_TLS_DIR "/cert.pem";
    auto r = net::TlsClientContext::create(o);
    if (!r.ok()) {
      fprintf(stderr, "fuzz: TLS client context: %s\n", r.error().c_str());
      abort();
    }
    return std::move(r).value();
  }();
  return *ctx;
}

}  // namespace torus::fuzz
