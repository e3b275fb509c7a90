// What one worker thread uses to reach other servers: the resolver, the TLS client context
// and the HTTP client fetch() runs on (net/). Made before the worker's runtime and
// destroyed after it, since the runtime's fetch calls hold the client's exchanges.
//
// Thread: the worker's.
#pragma once

#include <memory>

#include "base/result.h"
#include "engine/loop.h"
#include "net/dns.h"
#include "net/http_client.h"
#include "net/tls.h"

namespace torus::server {

struct OutboundOptions {
  net::ResolverOptions dns;
  net::ClientOptions client;
  net::TlsClientOptions tls;
};

struct Outbound {
  // Fails when the resolver cannot start; a TLS context that cannot be made (no CA store)
  // is logged and leaves https requests failing with that reason.
  static Result<std::unique_ptr<Outbound>> create(engine::Loop& loop,
                                                 const OutboundOptions& options);
  std::unique_ptr<net::Resolver> resolver;
  std::unique_ptr<net::TlsClientContext> tls;
  std::unique_ptr<net::HttpClient> client;
};

}  // namespace torus::server
