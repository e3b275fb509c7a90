#include "net/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "base/check.h"

namespace torus::net {

namespace {

// An answer keeps at most this many addresses (a UDP answer holds about 30 A records; a
// client tries a handful before it gives up).
constexpr size_t kMaxAddresses = 32;
// A hosts file larger than this is refused at create() (ad-blocking lists reach a few MiB).
constexpr size_t kMaxHostsFileBytes = 16u << 20;
// A socket whose poll fails this many times in a row is no longer polled (no busy loop).
constexpr int kMaxPollFailures = 3;
// Extra reads of a socket that is still readable after c-ares processed an event.
constexpr int kMaxRereads = 64;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

ResolvedAddress fromIpv4(const in_addr& a) {
  ResolvedAddress r;
  auto* sin = reinterpret_cast<sockaddr_in*>(&r.addr);
  sin->sin_family = AF_INET;
  sin->sin_addr = a;
  r.len = sizeof(sockaddr_in);
  return r;
}

ResolvedAddress fromIpv6(const in6_addr& a) {
  ResolvedAddress r;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&r.addr);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_addr = a;
  r.len = sizeof(sockaddr_in6);
  return r;
}

// An IP literal (IPv6 without brackets) as an address, or false.
bool parseLiteral(const std::string& s, ResolvedAddress* out) {
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    *out = fromIpv4(a4);
    return true;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    *out = fromIpv6(a6);
    return true;
  }
  return false;
}

bool sameAddress(const ResolvedAddress& a, const ResolvedAddress& b) {
  if (a.family() != b.family()) return false;
  if (a.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a.addr).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b.addr).sin_addr.s_addr;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a.addr).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b.addr).sin6_addr,
                     sizeof(in6_addr)) == 0;
}

// RFC 8305 §4: after the sort (c-ares sorts by RFC 6724), alternate the families, starting
// with the family of the first address; duplicates dropped, at most kMaxAddresses kept.
std::vector<ResolvedAddress> interleave(const std::vector<ResolvedAddress>& in) {
  std::vector<ResolvedAddress> first, second;
  if (in.empty()) return {};
  int firstFamily = in[0].family();
  for (const ResolvedAddress& a : in) {
    auto& list = a.family() == firstFamily ? first : second;
    bool dup = std::any_of(list.begin(), list.end(),
                           [&](const ResolvedAddress& b) { return sameAddress(a, b); });
    if (!dup) list.push_back(a);
  }
  std::vector<ResolvedAddress> out;
  for (size_t i = 0; out.size() < kMaxAddresses && (i < first.size() || i < second.size()); ++i) {
    if (i < first.size()) out.push_back(first[i]);
    if (i < second.size() && out.size() < kMaxAddresses) out.push_back(second[i]);
  }
  return out;
}

// RFC 6761 §6.3: "localhost" and names under it are loopback, never asked of a server.
bool isLocalhost(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  constexpr std::string_view kLocal = "localhost";
  if (name == kLocal) return true;
  return name.size() > kLocal.size() + 1 && name.ends_with(kLocal) &&
         name[name.size() - kLocal.size() - 1] == '.';
}

// A DNS name c-ares can ask for: labels of letters, digits, '-' and '_' (SRV-style names),
// 1..63 bytes each, 253 in all, an optional final dot. The URL parser has already turned
// international names into their ASCII form.
bool validName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

}  // namespace

namespace dnsimpl {
struct ResolverCore;
struct Lookup;
}  // namespace dnsimpl

class DnsQuery {
 public:
  dnsimpl::Lookup* lookup;
  DnsListener* listener;
  DnsQuery* prev = nullptr;
  DnsQuery* next = nullptr;
};

namespace dnsimpl {

// One c-ares lookup of one name, shared by every resolve() of that name while it runs. It
// lives until c-ares reports (even when every query was cancelled: c-ares owns a pointer to
// it), then its answer is cached and delivered.
struct Lookup {
  ResolverCore* impl;
  std::string name;    // lowercase, the cache key
  uint32_t tries = 0;  // rounds started (each asks every server once)
  bool inAres = false;
  bool starting = false;  // inside ares_getaddrinfo: a report now is synchronous
  bool reported = false;
  int status = ARES_SUCCESS;
  uint32_t ttl = 0;                        // seconds, the smallest of the answer's
  std::vector<ResolvedAddress> addresses;  // c-ares' order
  DnsQuery* first = nullptr;               // the waiting queries
  DnsQuery* last = nullptr;

  void link(DnsQuery* q) {
    q->prev = last;
    q->next = nullptr;
    (last ? last->next : first) = q;
    last = q;
  }
  void unlink(DnsQuery* q) {
    (q->prev ? q->prev->next : first) = q->next;
    (q->next ? q->next->prev : last) = q->prev;
    q->prev = q->next = nullptr;
  }
};

// A multishot poll on one of c-ares' sockets for the events c-ares asked for. A change of
// the events or the socket's close retires it: its poll is cancelled and it frees itself on
// the final completion, without touching the resolver (which may be gone by then, and
// c-ares may already have a new socket on the same fd number with a new watch).
struct SockWatch {
  SockWatch(ResolverCore* impl, int fd, uint32_t events) : impl(impl), fd(fd), events(events) {}
  void onPoll(const engine::Completion& c);
  void retire(engine::Loop& loop) {
    impl = nullptr;
    if (op.pending()) {
      loop.cancel(&op);
    } else if (!inCallback) {
      delete this;
    }
  }

  ResolverCore* impl;  // null once retired
  int fd;
  uint32_t events;
  bool inCallback = false;
  int failures = 0;  // polls in a row that failed
  engine::MemberOperation<SockWatch, &SockWatch::onPoll> op{this};
};

struct ResolverCore {
  ResolverCore(engine::Loop& loop, const ResolverOptions& options)
      : loop(loop), options(options), timer(loop, this) {}
  ~ResolverCore();

  Result<void> init();
  Result<void> loadHosts(const std::string& path);

  DnsQuery* resolve(std::string_view host, DnsListener* listener, DnsAnswer* now);
  void cancel(DnsQuery* q);

  // Starts a round of lookup lk in c-ares; true when it reported at once.
  bool startRound(Lookup* lk);
  // Runs the retry policy on a reported lookup: true when it is final, false when another
  // round is in flight.
  bool settle(Lookup* lk);
  // A final lookup: out of the pending map, its answer cached and returned.
  DnsAnswer conclude(Lookup* lk);
  void deliver(Lookup* lk, const DnsAnswer& answer);
  void deliverReported();
  void freeLookup(Lookup* lk);

  void watch(int fd, bool readable, bool writable);
  void process(int readFd, int writeFd);
  void onTimer();
  void updateTimer();

  bool cacheLookup(const std::string& key, DnsAnswer* now);
  void cacheStore(const std::string& key, const DnsAnswer& answer, uint32_t ttlSeconds);
  std::string errorText(const Lookup& lk) const;

  static void onSockState(void* data, ares_socket_t fd, int readable, int writable);
  static void onAddrinfo(void* arg, int status, int timeouts, ares_addrinfo* res);

  struct CacheEntry {
    DnsAnswer answer;
    uint64_t expiresMs;
    std::list<std::string>::iterator lru;
  };

  engine::Loop& loop;
  ResolverOptions options;
  ares_channel channel = nullptr;
  engine::MemberTimer<ResolverCore, &ResolverCore::onTimer> timer;
  bool destroying = false;

  std::unordered_map<std::string, std::vector<ResolvedAddress>> hosts;  // already interleaved
  std::unordered_map<std::string, CacheEntry> cache;
  std::list<std::string> lru;                        // most recently used first
  std::unordered_map<std::string, Lookup*> lookups;  // every lookup not yet final
  std::deque<Lookup*> reported;                      // reported by c-ares, not yet settled
  std::unordered_map<int, SockWatch*> watches;
  size_t waiting = 0;  // DnsQuery objects alive
  ResolverStats stats;
};

void SockWatch::onPoll(const engine::Completion& c) {
  if (!impl) {
    if (!c.more) delete this;
    return;
  }
  ResolverCore* owner = impl;
  inCallback = true;
  if (c.result >= 0) {
    uint32_t ev = uint32_t(c.result);
    bool broken = ev & (POLLERR | POLLHUP | POLLNVAL);
    owner->process((ev & POLLIN) || broken ? fd : ARES_SOCKET_BAD,
                   (ev & POLLOUT) || broken ? fd : ARES_SOCKET_BAD);
    // A multishot poll reports edges (new data), not levels, and c-ares reads one TCP
    // message per call: a second answer already buffered would wait for a packet that may
    // never come. Ask again while the socket stays readable (a zero-timeout poll(2)).
    for (int i = 0; i < kMaxRereads && impl && (events & POLLIN); ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) break;
      owner->process(fd, ARES_SOCKET_BAD);
    }
    failures = 0;
  } else {
    // The poll itself failed (or the ring cancelled it): let c-ares read the socket and see
    // any error for itself.
    if (c.result != -ECANCELED) owner->process(fd, ARES_SOCKET_BAD);
    ++failures;
  }
  inCallback = false;
  if (c.more) return;
  if (!impl) {
    delete this;
  } else if (failures < kMaxPollFailures) {
    impl->loop.poll(fd, events, &op);  // the kernel ended the multishot poll: re-arm
  }
  // Else the watch stays idle (c-ares' timeout ends its queries) until c-ares retires it.
}

ResolverCore::~ResolverCore() {
  destroying = true;
  timer.cancel();
  if (channel) ares_destroy(channel);  // reports EDESTRUCTION to every lookup in flight
  for (auto& [name, lk] : lookups) {
    while (DnsQuery* q = lk->first) {
      lk->unlink(q);
      delete q;
    }
    delete lk;
  }
  lookups.clear();
  for (auto& [fd, w] : watches) w->retire(loop);
  watches.clear();
}

Result<void> ResolverCore::init() {
  static std::once_flag libraryInit;  // ares_library_init is not thread-safe (1.18)
  static int libraryStatus = ARES_SUCCESS;
  std::call_once(libraryInit, [] { libraryStatus = ares_library_init(ARES_LIB_INIT_ALL); });
  if (libraryStatus != ARES_SUCCESS) {
    return makeError(std::string("c-ares: ") + ares_strerror(libraryStatus));
  }
  if (options.tries == 0 || options.timeoutMs == 0) {
    return makeError("resolver: tries and timeoutMs must be at least 1");
  }

  ares_options o{};
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB;
  o.timeout = int(std::min<uint32_t>(options.timeoutMs, 1u << 30));
  // One try per server per round: c-ares doubles the timeout of each further round, which
  // would make `tries` rounds last timeoutMs * (2^tries - 1). Rounds are ours (settle()).
  o.tries = 1;
  char lookupsDnsOnly[] = "b";  // the hosts file is ours (c-ares 1.18 takes no path)
  o.lookups = lookupsDnsOnly;
  o.sock_state_cb = &ResolverCore::onSockState;
  o.sock_state_cb_data = this;
  char devNull[] = "/dev/null";
  if (!options.servers.empty()) {
    // Fixed servers: nothing of resolv.conf applies (no search domains, no options).
    mask |= ARES_OPT_RESOLVCONF;
    o.resolvconf_path = devNull;
  }
  int rc = ares_init_options(&channel, &o, mask);
  if (rc != ARES_SUCCESS) {
    channel = nullptr;
    return makeError(std::string("c-ares init: ") + ares_strerror(rc));
  }
  if (!options.servers.empty()) {
    std::string csv;
    for (const std::string& s : options.servers) {
      if (!csv.empty()) csv += ',';
      csv += s;
    }
    rc = ares_set_servers_ports_csv(channel, csv.c_str());
    if (rc != ARES_SUCCESS) {
      return makeError("bad DNS server list \"" + csv + "\": " + ares_strerror(rc));
    }
  }
  if (!options.hostsFile.empty()) {
    Result<void> r = loadHosts(options.hostsFile);
    if (!r) return r;
  }
  return {};
}

// hosts(5): "address name [aliases...]", '#' to the end of a line is a comment. Read once,
// at create(): a hosts file that changes takes a restart (as for c-ares' resolv.conf).
Result<void> ResolverCore::loadHosts(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};  // no hosts file: DNS only
    return makeError("hosts file " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return makeError("hosts file " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    if (text.size() + size_t(n) > kMaxHostsFileBytes) {
      ::close(fd);
      return makeError("hosts file " + path + " is larger than " +
                       std::to_string(kMaxHostsFileBytes >> 20) + " MiB");
    }
    text.append(buf, size_t(n));
  }
  ::close(fd);

  std::unordered_map<std::string, std::vector<ResolvedAddress>> raw;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string_view> fields;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (fields.size() < 2) continue;
    ResolvedAddress addr;
    if (!parseLiteral(std::string(fields[0]), &addr)) continue;  // as glibc: skip the line
    for (size_t f = 1; f < fields.size(); ++f) {
      std::string name = lowercase(fields[f]);
      if (!name.empty() && name.back() == '.') name.pop_back();
      if (name.empty()) continue;
      auto& list = raw[name];
      if (list.size() < kMaxAddresses) list.push_back(addr);
    }
  }
  for (auto& [name, list] : raw) hosts.emplace(name, interleave(list));
  return {};
}

DnsQuery* ResolverCore::resolve(std::string_view host, DnsListener* listener, DnsAnswer* now) {
  now->addresses.clear();
  now->error.clear();
  auto fail = [&](std::string message) -> DnsQuery* {
    now->error = std::move(message);
    ++stats.failures;
    return nullptr;
  };

  // inet_pton and c-ares read C strings: "1.2.3.4\0.evil" must not pass for 1.2.3.4.
  if (host.find('\0') != std::string_view::npos) return fail("bad host name: (contains NUL)");

  // Literals: "[v6]", "v6", "v4".
  ResolvedAddress literal;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string inner(host.substr(1, host.size() - 2));
    in6_addr a6;
    if (inet_pton(AF_INET6, inner.c_str(), &a6) != 1) {
      return fail("bad IPv6 address: " + std::string(host));
    }
    now->addresses.push_back(fromIpv6(a6));
    ++stats.cacheHits;
    return nullptr;
  }
  if (host.size() <= INET6_ADDRSTRLEN && parseLiteral(std::string(host), &literal)) {
    now->addresses.push_back(literal);
    ++stats.cacheHits;
    return nullptr;
  }

  std::string key = lowercase(host);
  if (!validName(key)) {
    return fail("bad host name: " + (host.empty() ? std::string("(empty)") : std::string(host)));
  }
  if (isLocalhost(key)) {
    now->addresses.push_back(fromIpv6(in6addr_loopback));
    in_addr lo{htonl(INADDR_LOOPBACK)};
    now->addresses.push_back(fromIpv4(lo));
    ++stats.cacheHits;
    return nullptr;
  }
  {
    std::string bare = key;
    if (bare.back() == '.') bare.pop_back();
    if (auto it = hosts.find(bare); it != hosts.end()) {
      now->addresses = it->second;
      ++stats.cacheHits;
      return nullptr;
    }
  }
  if (cacheLookup(key, now)) {
    ++stats.cacheHits;
    if (!now->error.empty()) ++stats.failures;
    return nullptr;
  }

  if (waiting >= options.maxPending) {
    return fail("too many pending DNS queries (" + std::to_string(options.maxPending) +
                ") to resolve " + key);
  }
  Lookup* lk;
  if (auto it = lookups.find(key); it != lookups.end()) {
    lk = it->second;  // join the lookup in flight
  } else {
    if (lookups.size() >= options.maxPending) {
      return fail("too many pending DNS queries (" + std::to_string(options.maxPending) +
                  ") to resolve " + key);
    }
    lk = new Lookup{};
    lk->impl = this;
    lk->name = key;
    lookups.emplace(key, lk);
    bool final = startRound(lk) && settle(lk);
    if (final) {
      *now = conclude(lk);
      freeLookup(lk);
      updateTimer();
      return nullptr;
    }
    updateTimer();
  }
  auto* q = new DnsQuery{lk, listener};
  lk->link(q);
  ++waiting;
  return q;
}

void ResolverCore::cancel(DnsQuery* q) {
  if (!q) return;
  q->lookup->unlink(q);
  --waiting;
  delete q;
}

bool ResolverCore::startRound(Lookup* lk) {
  ++lk->tries;
  ++stats.queries;
  lk->reported = false;
  lk->inAres = true;
  lk->starting = true;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(channel, lk->name.c_str(), nullptr, &hints, &ResolverCore::onAddrinfo, lk);
  lk->starting = false;
  return lk->reported;
}

void ResolverCore::onAddrinfo(void* arg, int status, int timeouts, ares_addrinfo* res) {
  auto* lk = static_cast<Lookup*>(arg);
  ResolverCore* self = lk->impl;
  lk->inAres = false;
  lk->reported = true;
  lk->status = status;
  lk->addresses.clear();
  if (status == ARES_SUCCESS && res) {
    uint32_t ttl = UINT32_MAX;
    for (ares_addrinfo_node* n = res->nodes; n; n = n->ai_next) {
      if (lk->addresses.size() >= kMaxAddresses * 2) break;
      if (n->ai_family == AF_INET && n->ai_addrlen >= socklen_t(sizeof(sockaddr_in))) {
        lk->addresses.push_back(fromIpv4(reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr));
      } else if (n->ai_family == AF_INET6 && n->ai_addrlen >= socklen_t(sizeof(sockaddr_in6))) {
        lk->addresses.push_back(fromIpv6(reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr));
      } else {
        continue;
      }
      ttl = std::min(ttl, uint32_t(std::max(n->ai_ttl, 0)));
    }
    // An alias's record expires too: the chain is only as fresh as its shortest link.
    for (ares_addrinfo_cname* c = res->cnames; c; c = c->next) {
      ttl = std::min(ttl, uint32_t(std::max(c->ttl, 0)));
    }
    lk->ttl = lk->addresses.empty() ? 0 : ttl;
    if (lk->addresses.empty()) lk->status = ARES_ENODATA;
  }
  if (res) ares_freeaddrinfo(res);
  if (self->destroying || lk->starting) return;
  self->reported.push_back(lk);
}

bool ResolverCore::settle(Lookup* lk) {
  while (lk->status == ARES_ETIMEOUT && lk->tries < options.tries && lk->first) {
    if (!startRound(lk)) return false;
  }
  return true;
}

DnsAnswer ResolverCore::conclude(Lookup* lk) {
  if (auto it = lookups.find(lk->name); it != lookups.end() && it->second == lk) {
    lookups.erase(it);
  }
  DnsAnswer answer;
  if (lk->status == ARES_SUCCESS) {
    answer.addresses = interleave(lk->addresses);
    cacheStore(lk->name, answer, std::min(lk->ttl, options.maxTtlSeconds));
  } else {
    answer.error = errorText(*lk);
    ++stats.failures;
    if (lk->status == ARES_ENOTFOUND || lk->status == ARES_ENODATA || lk->status == ARES_ENONAME) {
      cacheStore(lk->name, answer, options.negativeTtlSeconds);
    }
  }
  return answer;
}

std::string ResolverCore::errorText(const Lookup& lk) const {
  const std::string& n = lk.name;
  switch (lk.status) {
    case ARES_ENOTFOUND:
    case ARES_ENONAME:
      return "no such host: " + n;
    case ARES_ENODATA:
      return "no address for " + n;
    case ARES_ETIMEOUT:
      return "DNS server timed out for " + n + " after " + std::to_string(lk.tries) +
             (lk.tries == 1 ? " try" : " tries");
    case ARES_EREFUSED:
      return "DNS server refused the query for " + n;
    case ARES_ESERVFAIL:
      return "DNS server failed for " + n + " (SERVFAIL)";
    case ARES_ENOTIMP:
      return "DNS server does not implement the query for " + n;
    case ARES_ECONNREFUSED:
      // c-ares 1.18 reports REFUSED, SERVFAIL and NOTIMP answers so too (each makes it
      // skip the server), not only a closed port.
      return "DNS server refused or failed the query for " + n + ", or is unreachable";
    case ARES_EBADNAME:
      return "bad host name: " + n;
    case ARES_EFORMERR:
    case ARES_EBADRESP:
      return "bad DNS response for " + n;
    default:
      return "DNS lookup of " + n + " failed: " + ares_strerror(lk.status);
  }
}

void ResolverCore::deliver(Lookup* lk, const DnsAnswer& answer) {
  // A listener may cancel another query of this lookup (it is unlinked, never called) or
  // resolve the same name again (a cache hit now, or a new lookup).
  while (DnsQuery* q = lk->first) {
    lk->unlink(q);
    --waiting;
    DnsListener* l = q->listener;
    delete q;
    l->onResolved(answer);
  }
}

void ResolverCore::freeLookup(Lookup* lk) {
  TORUS_CHECK(!lk->first && !lk->inAres);
  delete lk;
}

void ResolverCore::deliverReported() {
  while (!reported.empty()) {
    Lookup* lk = reported.front();
    reported.pop_front();
    if (!settle(lk)) continue;
    DnsAnswer answer = conclude(lk);
    deliver(lk, answer);
    freeLookup(lk);
  }
}

void ResolverCore::onSockState(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<ResolverCore*>(data)->watch(fd, readable != 0, writable != 0);
}

void ResolverCore::watch(int fd, bool readable, bool writable) {
  uint32_t events = (readable ? POLLIN : 0) | (writable ? POLLOUT : 0);
  if (auto it = watches.find(fd); it != watches.end()) {
    if (it->second->events == events) return;
    it->second->retire(loop);
    watches.erase(it);
  }
  if (events == 0 || destroying) return;
  auto* w = new SockWatch(this, fd, events);
  watches.emplace(fd, w);
  loop.poll(fd, events, &w->op);
}

void ResolverCore::process(int readFd, int writeFd) {
  ares_process_fd(channel, readFd, writeFd);
  deliverReported();
  updateTimer();
}

void ResolverCore::onTimer() { process(ARES_SOCKET_BAD, ARES_SOCKET_BAD); }

void ResolverCore::updateTimer() {
  if (destroying) return;
  if (!reported.empty()) {
    // Reported inside resolve() (another lookup's failure on a shared socket): delivered
    // from the next turn, never inside the caller.
    timer.arm(0);
    return;
  }
  timeval tv;
  timeval* t = ares_timeout(channel, nullptr, &tv);
  if (!t) {
    timer.cancel();
    return;
  }
  // Rounded up: firing early would only find nothing due and come back.
  uint64_t ms = uint64_t(t->tv_sec) * 1000 + (uint64_t(t->tv_usec) + 999) / 1000;
  timer.arm(ms);
}

bool ResolverCore::cacheLookup(const std::string& key, DnsAnswer* now) {
  auto it = cache.find(key);
  if (it == cache.end()) return false;
  if (loop.nowMs() >= it->second.expiresMs) {
    lru.erase(it->second.lru);
    cache.erase(it);
    return false;
  }
  lru.splice(lru.begin(), lru, it->second.lru);
  *now = it->second.answer;
  return true;
}

void ResolverCore::cacheStore(const std::string& key, const DnsAnswer& answer,
                              uint32_t ttlSeconds) {
  if (ttlSeconds == 0 || options.maxCacheEntries == 0) return;
  uint64_t expires = loop.nowMs() + uint64_t(ttlSeconds) * 1000;
  if (auto it = cache.find(key); it != cache.end()) {
    it->second.answer = answer;
    it->second.expiresMs = expires;
    lru.splice(lru.begin(), lru, it->second.lru);
    return;
  }
  while (cache.size() >= options.maxCacheEntries) {
    cache.erase(lru.back());
    lru.pop_back();
  }
  lru.push_front(key);
  cache.emplace(key, CacheEntry{answer, expires, lru.begin()});
}

}  // namespace dnsimpl

// The private face of Resolver is the core itself (the core is named outside Resolver so that
// the lookups and socket watches can point at it).
struct Resolver::Impl : dnsimpl::ResolverCore {
  using ResolverCore::ResolverCore;
};

// ---- Resolver ----

Result<std::unique_ptr<Resolver>> Resolver::create(engine::Loop& loop,
                                                   const ResolverOptions& options) {
  auto impl = std::make_unique<Impl>(loop, options);
  Result<void> r = impl->init();
  if (!r) return makeError(r.error());
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

DnsQuery* Resolver::resolve(std::string_view host, DnsListener* listener, DnsAnswer* now) {
  return impl_->resolve(host, listener, now);
}

void Resolver::cancel(DnsQuery* query) { impl_->cancel(query); }

const ResolverStats& Resolver::stats() const {
  impl_->stats.cacheEntries = impl_->cache.size();
  impl_->stats.pending = impl_->lookups.size();
  return impl_->stats;
}

}  // namespace torus::net
