// Name resolution on the ring: c-ares driven by Loop::poll on its sockets and a Timer for
// its timeouts (no thread, no blocking call). /etc/hosts first, then the servers of
// /etc/resolv.conf; answers cached per name honouring their TTL (capped); "localhost" and
// IP literals answered without a query.
//
// Thread: the owning worker's. One Resolver per worker, shared by every app of the worker.
// Lifetime: create() reads resolv.conf and the hosts file once (a change takes a restart).
// The Resolver must go before its Loop, and the loop must turn a little after it went: the
// polls of c-ares' sockets are cancelled then and free themselves on their final completion.
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
  std::string hostsFile = "/etc/hosts";  // empty: no hosts file; missing: none either
  // A try asks every server once, each given timeoutMs; a silent server list fails after
  // timeoutMs * tries * servers ("DNS server timed out for x after 3 tries"). Tries are
  // ours, not c-ares' (its further tries double the timeout).
  uint32_t timeoutMs = 2000;
  uint32_t tries = 3;
  uint32_t maxCacheEntries = 10'000;  // least recently used beyond it are dropped
  uint32_t maxTtlSeconds = 300;       // a longer TTL is capped to this; TTL 0 is not cached
  uint32_t negativeTtlSeconds = 5;    // NXDOMAIN / no data cached this long (0: not cached)
  // Lookups in flight (cancelled ones too, until c-ares ends them) and, separately, resolve()
  // calls waiting; beyond either resolve() fails at once.
  uint32_t maxPending = 1'000;
};

// One address of an answer, ready for connect(2). Port 0: the caller sets it.
struct ResolvedAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family() const { return addr.ss_family; }
};

// An answer: addresses in the order to try them (RFC 8305 §4: sorted by RFC 6724, then the
// families interleaved, the family of the first address first), at most 32, or why there
// are none.
struct DnsAnswer {
  std::vector<ResolvedAddress> addresses;
  // Empty on success; else what failed, naming the host, for a TypeError's cause:
  //   "no such host: x" (NXDOMAIN)          "no address for x" (no A nor AAAA)
  //   "DNS server timed out for x after 3 tries"
  //   "DNS server refused or failed the query for x, or is unreachable" (c-ares 1.18
  //     reports REFUSED, SERVFAIL and a closed port alike)
  //   "bad host name: x"   "bad IPv6 address: [x]"
  //   "too many pending DNS queries (1000) to resolve x"   "DNS lookup of x failed: ..."
  // The first two are cached negativeTtlSeconds; the others are not cached.
  std::string error;
};

class DnsQuery;

// Told the answer of a pending query, from a completion (the caller queues its JS work).
// The query is released before the call: it must not be cancelled afterwards. onResolved
// may call resolve() and cancel() (other queries are then never called) but must not
// destroy the Resolver.
class DnsListener {
 public:
  virtual void onResolved(const DnsAnswer& answer) = 0;

 protected:
  ~DnsListener() = default;
};

struct ResolverStats {
  uint64_t queries = 0;    // lookups sent to c-ares (one per try; each asks A and AAAA)
  uint64_t cacheHits = 0;  // answered from the cache, hosts file, literal or localhost
  uint64_t failures = 0;   // answers that are errors (cached negatives and refusals too)
  size_t cacheEntries = 0;
  size_t pending = 0;  // lookups in flight
};

class Resolver {
 public:
  static Result<std::unique_ptr<Resolver>> create(engine::Loop& loop,
                                                  const ResolverOptions& options);
  // Cancels pending queries without calling their listeners (see the lifetime above).
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolves host (a name, an IPv4 literal, or an IPv6 literal with or without brackets;
  // names are case-insensitive). When the answer is known now (literal, localhost, hosts
  // file, cache, a bad name, too many pending) it is stored in *now and nullptr is
  // returned; the listener is not called. Otherwise a query is returned and the listener
  // (not null) is called exactly once, from a later completion, unless cancel(query) comes
  // first. Calls for a name whose lookup is in flight share that lookup.
  DnsQuery* resolve(std::string_view host, DnsListener* listener, DnsAnswer* now);
  // The listener of a pending query is not called; the query's memory is released. The
  // lookup itself runs on in c-ares (its answer is still cached); nothing leaks.
  void cancel(DnsQuery* query);

  const ResolverStats& stats() const;

 private:
  struct Impl;
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace torus::net
