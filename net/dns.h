// Name resolution on the ring: c-ares driven by Loop::poll on its sockets and a Timer for
// its timeouts (no thread, no blocking call). /etc/hosts first, then the servers of
// /etc/resolv.conf; answers cached per name honouring their TTL (capped); "localhost" and
// IP literals answered without a query.
//
// Thread: the owning worker's. One Resolver per worker, shared by every app of the worker.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/loop.h"

namespace torus::net {

struct ResolverOptions {
  // Servers to ask instead of resolv.conf's ("127.0.0.1:5353", "[::1]:53"): tests, and
  // hosts that want a fixed resolver. Empty: resolv.conf.
  std::vector<std::string> servers;
  std::string hostsFile = "/etc/hosts";  // empty: no hosts file
  uint32_t timeoutMs = 2000;             // per try
  uint32_t tries = 3;
  uint32_t maxCacheEntries = 10'000;  // least recently used beyond it are dropped
  uint32_t maxTtlSeconds = 300;       // a longer TTL is capped to this
  uint32_t negativeTtlSeconds = 5;    // NXDOMAIN / no data cached this long
  uint32_t maxPending = 1'000;        // queries in flight; beyond it resolve() fails at once
};

// One address of an answer, ready for connect(2). Port 0: the caller sets it.
struct ResolvedAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family() const { return addr.ss_family; }
};

// An answer: addresses in the order to try them (happy eyeballs interleaves the families,
// RFC 8305: the first family of the answer first), or why there are none.
struct DnsAnswer {
  std::vector<ResolvedAddress> addresses;
  // Empty on success; else what failed, for a TypeError's cause: "no such host", "no
  // address", "DNS server timed out", "DNS server refused", ...
  std::string error;
};

class DnsQuery;

// Told the answer of a pending query, from a completion (the caller queues its JS work).
class DnsListener {
 public:
  virtual void onResolved(const DnsAnswer& answer) = 0;

 protected:
  ~DnsListener() = default;
};

struct ResolverStats {
  uint64_t queries = 0;     // sent to c-ares
  uint64_t cacheHits = 0;   // answered from the cache, hosts file, literal or localhost
  uint64_t failures = 0;
  size_t cacheEntries = 0;
  size_t pending = 0;
};

class Resolver {
 public:
  static Result<std::unique_ptr<Resolver>> create(engine::Loop& loop,
                                                 const ResolverOptions& options);
  ~Resolver();  // cancels pending queries without calling their listeners
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolves host (a name, an IPv4 literal, or an IPv6 literal with or without brackets).
  // When the answer is known now (literal, localhost, hosts file, cache) it is stored in
  // *now and nullptr is returned; the listener is not called. Otherwise a query is
  // returned and the listener is called exactly once, from a later completion, unless
  // cancel(query) comes first. Too many pending: *now holds the error.
  DnsQuery* resolve(std::string_view host, DnsListener* listener, DnsAnswer* now);
  // The listener of a pending query is not called; the query's memory is released.
  void cancel(DnsQuery* query);

  const ResolverStats& stats() const;

 private:
  struct Impl;
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace torus::net
