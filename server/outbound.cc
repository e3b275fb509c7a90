#include "server/outbound.h"

#include "base/log.h"

namespace torus::server {

Result<std::unique_ptr<Outbound>> Outbound::create(engine::Loop& loop,
                                                   const OutboundOptions& options) {
  auto out = std::make_unique<Outbound>();
  auto resolver = net::Resolver::create(loop, options.dns);
  if (!resolver.ok()) return makeError("DNS resolver: " + resolver.error());
  out->resolver = std::move(resolver).value();
  auto tls = net::TlsClientContext::create(options.tls);
  if (tls.ok()) {
    out->tls = std::move(tls).value();
  } else {
    LOG_WARN("https fetches will fail: %s", tls.error().c_str());
  }
  out->client = std::make_unique<net::HttpClient>(loop, *out->resolver, options.client,
                                                  out->tls.get());
  return out;
}

}  // namespace torus::server
