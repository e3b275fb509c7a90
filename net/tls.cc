// TLS on memory over wolfSSL (net/tls.h). wolfSSL's IO callbacks read ciphertext from the
// session's input buffer (fed by receive()) and append what it sends to the output buffer
// (taken by takeOutput()); an empty input is WANT_READ, so every wolfSSL call returns as
// soon as it needs bytes the ring has not brought yet.
//
// The wolfSSL here is ours (packaging/setup.sh rebuilds Debian's source with AES-NI, Intel
// asm and SP math), built with OPENSSL_COMPATIBLE_DEFAULTS: a context verifies nothing and
// accepts SSLv3 unless told otherwise, so everything below is set explicitly.
#include "net/tls.h"

// options.h first: it carries the build's defines, which the other headers depend on.
#include <wolfssl/options.h>

#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include <arpa/inet.h>
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <list>
#include <unistd.h>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "base/log.h"

namespace torus::net {
namespace {

// AEAD with forward secrecy only, TLS 1.3 first. The 1.2 suites are ECDHE: no static RSA
// key exchange, no CBC, no RC4/NULL (which this wolfSSL has compiled in).
constexpr const char* kCipherList =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kSystemCaFile = "/etc/ssl/certs/ca-certificates.crt";
constexpr char kAlpn[] = "http/1.1";
// Plaintext is decrypted in steps of at most one record.
constexpr size_t kReadStep = 16 * 1024;

void initOnce() {
  static std::once_flag once;
  std::call_once(once, [] { wolfSSL_Init(); });
}

std::string errorString(int err) {
  char buf[WOLFSSL_MAX_ERROR_SZ];
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(err), buf, sizeof buf);
  return buf;
}

// An IP literal in the form wolfSSL gives a certificate's IP SAN (dotted quad, or eight
// groups of four upper-case hex digits for IPv6), or empty if name is a host name.
std::string ipLiteral(const std::string& name) {
  unsigned char addr[16];
  if (inet_pton(AF_INET, name.c_str(), addr) == 1) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
    return buf;
  }
  if (inet_pton(AF_INET6, name.c_str(), addr) == 1) {
    char buf[40];
    for (int i = 0; i < 8; i++) {
      std::snprintf(buf + i * 5, sizeof buf - i * 5, "%02X%02X%s", addr[2 * i], addr[2 * i + 1],
                    i < 7 ? ":" : "");
    }
    return buf;
  }
  return {};
}

// What client and server contexts share: versions, ciphers, groups, the memory IO. Set on
// every WOLFSSL_CTX made here, never what the library has compiled in by default.
int ioRecv(WOLFSSL*, char* buf, int size, void* ctx);
int ioSend(WOLFSSL*, char* buf, int size, void* ctx);

Result<void> applyPolicy(WOLFSSL_CTX* ctx) {
  if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
    return makeError("tls: cannot set TLS 1.2 as the minimum version");
  }
  if (wolfSSL_CTX_set_cipher_list(ctx, kCipherList) != WOLFSSL_SUCCESS) {
    return makeError("tls: the cipher list was refused");
  }
  // Key exchange groups, in preference order (the TLS 1.3 key share is for the first): only
  // these three, not wolfSSL's default list, which offers P-521 first to a TLS 1.2 server
  // that follows the client's order.
  int groups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1};
  if (wolfSSL_CTX_set_groups(ctx, groups, static_cast<int>(std::size(groups))) != WOLFSSL_SUCCESS) {
    return makeError("tls: the key exchange groups were refused");
  }
  wolfSSL_CTX_SetIORecv(ctx, ioRecv);
  wolfSSL_CTX_SetIOSend(ctx, ioSend);
  return {};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Decrypted bytes waiting for read(): [begin, end) of an uninitialised block that grows by
// doubling (a std::string's resize would zero a record's worth on every read attempt).
class PlainBuffer {
 public:
  size_t size() const { return end_ - begin_; }
  const char* data() const { return buf_.get() + begin_; }
  // Room for n more bytes at the end.
  char* reserveTail(size_t n) {
    if (cap_ - end_ >= n) return buf_.get() + end_;
    size_t live = size();
    if (cap_ - live >= n && begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, live);
    } else {
      size_t cap = std::max(cap_ * 2, live + n);
      std::unique_ptr<char[]> bigger(new char[cap]);
      if (live > 0) std::memcpy(bigger.get(), buf_.get() + begin_, live);
      buf_ = std::move(bigger);
      cap_ = cap;
    }
    begin_ = 0;
    end_ = live;
    return buf_.get() + end_;
  }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

 private:
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

// Sessions by key, most recently used first, at most `capacity`; owns its sessions.
class SessionLru {
 public:
  SessionLru() = default;
  SessionLru(const SessionLru&) = delete;
  SessionLru& operator=(const SessionLru&) = delete;
  ~SessionLru() {
    for (auto& e : lru_) wolfSSL_SESSION_free(e.session);
  }

  // Takes session (a copy); replaces the key's entry.
  void store(const std::string& key, WOLFSSL_SESSION* session, size_t capacity) {
    if (capacity == 0 || key.empty()) {
      wolfSSL_SESSION_free(session);
      return;
    }
    forget(key);
    lru_.push_front({key, session});
    byKey_.emplace(key, lru_.begin());
    while (lru_.size() > capacity) {
      byKey_.erase(lru_.back().key);
      wolfSSL_SESSION_free(lru_.back().session);
      lru_.pop_back();
    }
  }

  // The session for key (still owned here), or null.
  WOLFSSL_SESSION* find(const std::string& key) {
    auto it = byKey_.find(key);
    if (it == byKey_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->session;
  }

  void forget(const std::string& key) {
    auto it = byKey_.find(key);
    if (it == byKey_.end()) return;
    wolfSSL_SESSION_free(it->second->session);
    lru_.erase(it->second);
    byKey_.erase(it);
  }

 private:
  struct Entry {
    std::string key;
    WOLFSSL_SESSION* session;
  };
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> byKey_;
};

// What a context and its sessions share. Sessions hold it by shared_ptr, so a session that
// outlives its TlsClientContext still has a WOLFSSL_CTX and a cache to put its ticket in.
struct TlsContextState {
  WOLFSSL_CTX* ctx = nullptr;
  TlsClientOptions options;
  SessionLru sessions;  // resumable sessions, one per resumption key
  // The CA bundle is parsed at the first connection, not at start: a few milliseconds of
  // every worker's start-up (a Debian bundle is ~140 certificates) that an app which never
  // fetches over HTTPS would pay for nothing. Empty caError: loaded (or not needed).
  bool casLoaded = false;
  std::string caError;

  ~TlsContextState() {
    if (ctx) wolfSSL_CTX_free(ctx);
  }
};

// A server's certificates and the SNI names that pick them. Sessions hold it by shared_ptr:
// a connection keeps the certificate it was served with across a reload.
struct TlsServerState {
  struct Cert {
    WOLFSSL_CTX* ctx = nullptr;
    std::vector<std::string> names;
    std::string ocspResponse;  // DER, stapled for a client that asks (empty: none)
  };
  std::vector<Cert> certs;  // certs[0]: the default
  std::unordered_map<std::string, size_t> exact;
  std::unordered_map<std::string, size_t> wildcard;  // "*.b.test" as "b.test"
  uint32_t rotationSeconds = 3'600;

  ~TlsServerState() {
    for (Cert& c : certs) {
      if (c.ctx) wolfSSL_CTX_free(c.ctx);
    }
  }

  // The certificate for an SNI name: exact, then a wildcard for its first label only.
  const Cert* lookup(const std::string& name) const {
    if (auto it = exact.find(name); it != exact.end()) return &certs[it->second];
    size_t dot = name.find('.');
    if (dot != std::string::npos && dot > 0) {
      if (auto it = wildcard.find(name.substr(dot + 1)); it != wildcard.end()) {
        return &certs[it->second];
      }
    }
    return nullptr;
  }
};

}  // namespace

struct TlsClientContext::Impl {
  std::shared_ptr<TlsContextState> state;
};

struct TlsSession::Impl {
  std::shared_ptr<TlsContextState> context;       // client sessions
  std::shared_ptr<TlsServerState> serverContext;  // server sessions (set: a server session)
  std::string sni;  // server: the name the client asked for
  WOLFSSL* ssl = nullptr;
  std::string serverName;
  std::string resumptionKey;
  bool verifyPeer = true;
  bool offeredSession = false;
  State state = State::kHandshaking;
  bool shutdownSent = false;

  std::string in;  // ciphertext not yet consumed by wolfSSL, from inPos
  size_t inPos = 0;
  std::string out;    // ciphertext to send
  PlainBuffer plain;  // decrypted, not yet read

  std::string error;
  std::string alpn;
  std::string protocol;
  std::string cipher;
  bool resumed = false;
  // Whether the peer's first bytes looked like a TLS record (content type 20..24, major
  // version 3), to tell "not TLS at all" (a plain HTTP server, a wrong port) from the rest.
  bool sawInput = false;
  bool inputLooksLikeTls = true;
  // The first certificate error the verify callback saw (wolfSSL's code, X509_V_ERR_* for
  // some), and at which depth (0 = the peer's own certificate).
  int verifyError = 0;
  int verifyDepth = 0;

  ~Impl() {
    if (ssl) wolfSSL_free(ssl);
  }

  void advance();
  void pumpReads();
  void onHandshakeDone();
  void fail(int ret);
  // wolfSSL_new on ctx with this session as the IO context; false (and kFailed) if not.
  bool setUp(WOLFSSL_CTX* ctx);
  // A server session's setUp, once the input holds the ClientHello's first record: false
  // while it does not yet (or if setUp failed).
  bool setUpServer();
};

bool TlsSession::Impl::setUp(WOLFSSL_CTX* ctx) {
  ssl = wolfSSL_new(ctx);
  if (!ssl) {
    state = State::kFailed;
    error = "wolfSSL_new failed";
    return false;
  }
  wolfSSL_SetIOReadCtx(ssl, this);
  wolfSSL_SetIOWriteCtx(ssl, this);
  wolfSSL_SetCertCbCtx(ssl, this);
  char alpnList[sizeof kAlpn];
  std::memcpy(alpnList, kAlpn, sizeof kAlpn);
  // A server whose client offers only other protocols answers without ALPN (and the client
  // decides); a client whose server picks none goes on with HTTP/1.1.
  if (wolfSSL_UseALPN(ssl, alpnList, sizeof kAlpn - 1, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
      WOLFSSL_SUCCESS) {
    state = State::kFailed;
    error = "cannot set ALPN";
    return false;
  }
  return true;
}

// On the context of the certificate the ClientHello's SNI name picks: wolfSSL derives some
// things from the certificate while it parses the hello, before sniCallback could switch the
// context (a TLS 1.3 OCSP staple is built then), and they must be for the certificate sent.
// A hello wolfSSL reads no name from gets the default context, and sniCallback's switch.
bool TlsSession::Impl::setUpServer() {
  constexpr size_t kRecordHeader = 5;
  constexpr size_t kMaxRecord = (1 << 14) + 2048;  // a record's most (RFC 5246 6.2.3)
  std::string_view pending = std::string_view(in).substr(inPos);
  WOLFSSL_CTX* ctx = serverContext->certs[0].ctx;
  if (!pending.empty() && pending[0] == 22) {  // a handshake record
    if (pending.size() < kRecordHeader) return false;
    size_t length = size_t(uint8_t(pending[3])) << 8 | uint8_t(pending[4]);
    if (length <= kMaxRecord) {
      if (pending.size() < kRecordHeader + length) return false;
      unsigned char name[256];
      unsigned int size = sizeof name;
      if (wolfSSL_SNI_GetFromBuffer(reinterpret_cast<const unsigned char*>(pending.data()),
                                    unsigned(kRecordHeader + length), WOLFSSL_SNI_HOST_NAME,
                                    name, &size) == WOLFSSL_SUCCESS) {
        std::string sniName = lower(std::string_view(reinterpret_cast<char*>(name), size));
        if (const TlsServerState::Cert* cert = serverContext->lookup(sniName)) ctx = cert->ctx;
      }
    }
  }
  return setUp(ctx);
}

namespace {

int ioRecv(WOLFSSL*, char* buf, int size, void* ctx) {
  auto* s = static_cast<TlsSession::Impl*>(ctx);
  size_t avail = s->in.size() - s->inPos;
  if (avail == 0) return WOLFSSL_CBIO_ERR_WANT_READ;
  size_t n = std::min(avail, static_cast<size_t>(size));
  std::memcpy(buf, s->in.data() + s->inPos, n);
  s->inPos += n;
  if (s->inPos == s->in.size()) {
    s->in.clear();
    s->inPos = 0;
  }
  return static_cast<int>(n);
}

int ioSend(WOLFSSL*, char* buf, int size, void* ctx) {
  auto* s = static_cast<TlsSession::Impl*>(ctx);
  s->out.append(buf, static_cast<size_t>(size));
  return size;
}

// Called for every certificate of the chain (WOLFSSL_VERIFY_CB_ALL_CERTS): keeps the first
// failure for error(). A certificate fails if wolfSSL says so or store->error is set: in
// 5.5.4 the leaf's IP address check (X509_VERIFY_PARAM ipasc) runs after `preverify` is
// computed, so preverify is 1 on an IP mismatch, and returning it would override the error.
int verifyCallback(int preverify, WOLFSSL_X509_STORE_CTX* store) {
  auto* s = static_cast<TlsSession::Impl*>(store->userCtx);
  bool ok = preverify && store->error == 0;
  if (!ok && s && s->verifyError == 0) {
    s->verifyError = store->error != 0 ? store->error : -1;
    s->verifyDepth = store->error_depth;
  }
  return ok ? 1 : 0;
}

// wolfSSL adds a session when a handshake completes and again when a TLS 1.3 ticket
// arrives (after the handshake); the newest resumable one replaces the key's entry.
int newSessionCallback(WOLFSSL* ssl, WOLFSSL_SESSION* session) {
  auto* s = static_cast<TlsSession::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (!s || !s->context) return 0;
  // A TLS 1.3 session resumes only with a ticket; its (echoed) session id is no use.
  bool resumable = wolfSSL_version(ssl) == TLS1_3_VERSION ? wolfSSL_SESSION_has_ticket(session)
                                                          : wolfSSL_SESSION_is_resumable(session);
  if (!resumable) return 0;
  // A copy: wolfSSL keeps changing its own object while the connection lives.
  if (WOLFSSL_SESSION* copy = wolfSSL_SESSION_dup(session)) {
    s->context->sessions.store(s->resumptionKey, copy, s->context->options.sessionCacheEntries);
  }
  return 0;  // wolfSSL drops the reference it gave us
}

std::string alertName(int code) {
  // "protocol_version" -> "protocol version"
  const char* name = wolfSSL_alert_desc_string_long(code);
  if (!name || !*name || std::strcmp(name, "unknown") == 0) {
    return "alert " + std::to_string(code);
  }
  std::string text = name;
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

// Certificate errors come as wolfSSL's codes or, through OPENSSL_COMPATIBLE_DEFAULTS, as the
// X509_V_ERR_* values some of them map to.
std::string verifyReason(int code, const std::string& serverName) {
  switch (code) {
    case DOMAIN_NAME_MISMATCH:
    case IPADDR_MISMATCH:
      return "certificate verify failed: host name mismatch (expected " + serverName + ")";
    case ASN_AFTER_DATE_E:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate has expired";
    case ASN_BEFORE_DATE_E:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate is not yet valid";
    case ASN_NO_SIGNER_E:
    case ASN_SELF_SIGNED_E:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "unknown CA (self-signed or untrusted issuer)";
    case ASN_SIG_CONFIRM_E:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "certificate verify failed: bad signature";
    case ASN_PATHLEN_INV_E:
    case ASN_PATHLEN_SIZE_E:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return "certificate verify failed: path length exceeded";
    case CRL_CERT_REVOKED:
      return "certificate revoked";
    default:
      break;
  }
  return {};
}

}  // namespace

void TlsSession::Impl::fail(int ret) {
  int err = wolfSSL_get_error(ssl, ret);
  state = State::kFailed;
  if (verifyError != 0) {
    error = verifyReason(verifyError, serverName);
    if (error.empty()) error = "certificate verify failed: " + errorString(verifyError);
    if (verifyDepth > 0 && error.rfind("unknown CA", 0) != 0) {
      error += " (certificate at depth " + std::to_string(verifyDepth) + ")";
    }
  } else if (!inputLooksLikeTls) {
    error = "the peer does not speak TLS (" + errorString(err) + ")";
  } else if (std::string reason = verifyReason(err, serverName); !reason.empty()) {
    error = std::move(reason);
  } else if (err == FATAL_ERROR) {
    WOLFSSL_ALERT_HISTORY history{};
    wolfSSL_get_alert_history(ssl, &history);
    error = "peer sent alert: " + alertName(history.last_rx.code);
  } else if (err == VERSION_ERROR || err == UNSUPPORTED_PROTO_VERSION) {
    error = "protocol version not accepted (TLS 1.2 or 1.3 required): " + errorString(err);
  } else if (err == MATCH_SUITE_ERROR) {
    error = "no cipher suite in common: " + errorString(err);
  } else {
    error = errorString(err);
  }
  // A session that failed to resume is not offered again.
  if (offeredSession && context) context->sessions.forget(resumptionKey);
}

namespace {

// ---- Server: SNI and session tickets ----

// TLS 1.2 session ids. wolfSSL's own server cache matches the id alone, so a session would
// resume under any SNI name, which RFC 6066 section 3 forbids. This one is keyed by the name
// (empty: none) and the id: an id offered under another name is not found, and the handshake
// is a full one. One cache for the process, as wolfSSL's was: a reconnecting client lands on
// any worker (SO_REUSEPORT). Never destroyed, since workers may still use it at exit.
struct ServerSessionCache {
  std::mutex mutex;
  SessionLru sessions;
  size_t capacity = 0;
};
ServerSessionCache& serverSessions() {
  static auto* cache = new ServerSessionCache;
  return *cache;
}

std::string serverSessionKey(std::string_view name, const unsigned char* id, size_t length) {
  std::string key(name);
  key.push_back('\0');  // not in a host name
  key.append(reinterpret_cast<const char*>(id), length);
  return key;
}

int serverNewSession(WOLFSSL* ssl, WOLFSSL_SESSION* session) {
  auto* s = static_cast<TlsSession::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (!s || wolfSSL_version(ssl) == TLS1_3_VERSION) return 0;  // 1.3 resumes by ticket only
  unsigned int length = 0;
  const unsigned char* id = wolfSSL_SESSION_get_id(session, &length);
  if (!id || length == 0) return 0;
  // A copy: wolfSSL keeps changing its own object while the connection lives.
  WOLFSSL_SESSION* copy = wolfSSL_SESSION_dup(session);
  if (!copy) return 0;
  ServerSessionCache& cache = serverSessions();
  std::lock_guard lock(cache.mutex);
  cache.sessions.store(serverSessionKey(s->sni, id, length), copy, cache.capacity);
  return 0;  // wolfSSL drops the reference it gave us
}

// Runs after sniCallback: the ClientHello's extensions come before the session lookup.
WOLFSSL_SESSION* serverFindSession(WOLFSSL* ssl, const unsigned char* id, int length, int* copy) {
  *copy = 0;  // wolfSSL copies what it gets into the connection, then frees it
  auto* s = static_cast<TlsSession::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (!s || length <= 0) return nullptr;
  std::string key = serverSessionKey(s->sni, id, size_t(length));
  ServerSessionCache& cache = serverSessions();
  std::lock_guard lock(cache.mutex);
  WOLFSSL_SESSION* found = cache.sessions.find(key);
  if (!found) return nullptr;
  if (wolfSSL_SESSION_get_time(found) + wolfSSL_SESSION_get_timeout(found) <= time(nullptr)) {
    cache.sessions.forget(key);
    return nullptr;
  }
  return wolfSSL_SESSION_dup(found);
}

// Picks the certificate for the client's SNI (wolfSSL keeps the name: ALWAYS_KEEP_SNI);
// an unknown or absent name gets the default certificate.
int sniCallback(WOLFSSL* ssl, int*, void* arg) {
  auto* state = static_cast<TlsServerState*>(arg);
  auto* s = static_cast<TlsSession::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  const char* name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
  if (!name || !*name || !s) return 0;
  s->sni = lower(name);
  if (const TlsServerState::Cert* cert = state->lookup(s->sni)) {
    if (cert->ctx != state->certs[0].ctx) wolfSSL_set_SSL_CTX(ssl, cert->ctx);
  }
  return 0;
}

// Ticket keys: derived from a random per-process secret and the rotation epoch
// (time / rotation), so that every worker (and every reloaded context) seals and opens the
// same tickets without sharing mutable state. A ticket of the current epoch is accepted; one
// of the previous epoch is accepted too; older ones are refused (a full handshake follows).
// Renewal: TLS 1.3 sends a fresh ticket after every handshake, resumed or not. For TLS 1.2,
// RET_CREATE asks for a fresh ticket, but wolfSSL 5.5.4's DoDecryptTicket turns CREATE into
// 0 (= RET_OK) before TLSX_SessionTicket_Parse looks at it, so a 1.2 client keeps its old
// ticket and does a full handshake once it is two epochs old. The ticket lifetime hint is one
// rotation period (the shortest a ticket is guaranteed to stay valid); clients such as
// OpenSSL do not offer a TLS 1.3 ticket older than its hint.
const std::array<unsigned char, 32>& ticketSecret() {
  static std::array<unsigned char, 32> secret;
  static std::once_flag once;
  std::call_once(once, [] {
    size_t got = 0;
    while (got < secret.size()) {
      ssize_t n = getrandom(secret.data() + got, secret.size() - got, 0);
      if (n > 0) got += size_t(n);
    }
  });
  return secret;
}

struct TicketKey {
  uint64_t epoch = UINT64_MAX;
  unsigned char key[CHACHA20_POLY1305_AEAD_KEYSIZE];
  unsigned char tag[8];  // the second half of a ticket's key name
};

bool hmacLabel(const char* label, uint64_t epoch, unsigned char out[WC_SHA256_DIGEST_SIZE]) {
  const auto& secret = ticketSecret();
  unsigned char be[8];
  for (int i = 0; i < 8; i++) be[i] = static_cast<unsigned char>(epoch >> (56 - 8 * i));
  Hmac hmac;
  if (wc_HmacInit(&hmac, nullptr, INVALID_DEVID) != 0) return false;
  bool ok = wc_HmacSetKey(&hmac, WC_SHA256, secret.data(), secret.size()) == 0 &&
            wc_HmacUpdate(&hmac, reinterpret_cast<const byte*>(label), std::strlen(label)) == 0 &&
            wc_HmacUpdate(&hmac, be, sizeof be) == 0 && wc_HmacFinal(&hmac, out) == 0;
  wc_HmacFree(&hmac);
  return ok;
}

// The key of an epoch; the last two are kept per thread.
const TicketKey* ticketKey(uint64_t epoch) {
  thread_local TicketKey keys[2];
  for (TicketKey& k : keys) {
    if (k.epoch == epoch) return &k;
  }
  TicketKey& k = keys[epoch & 1];
  unsigned char digest[WC_SHA256_DIGEST_SIZE];
  if (!hmacLabel("torus ticket key", epoch, digest)) return nullptr;
  std::memcpy(k.key, digest, sizeof k.key);
  if (!hmacLabel("torus ticket name", epoch, digest)) return nullptr;
  std::memcpy(k.tag, digest, sizeof k.tag);
  k.epoch = epoch;
  return &k;
}

int ticketCallback(WOLFSSL* ssl, unsigned char keyName[WOLFSSL_TICKET_NAME_SZ],
                   unsigned char iv[WOLFSSL_TICKET_IV_SZ], unsigned char mac[WOLFSSL_TICKET_MAC_SZ],
                   int enc, unsigned char* ticket, int inLen, int* outLen, void* userCtx) {
  auto* state = static_cast<TlsServerState*>(userCtx);
  uint64_t now = uint64_t(time(nullptr)) / std::max<uint32_t>(state->rotationSeconds, 1);
  uint64_t epoch = now;
  int ret = WOLFSSL_TICKET_RET_OK;
  if (!enc) {
    epoch = 0;
    for (int i = 0; i < 8; i++) epoch = (epoch << 8) | keyName[i];
    if (epoch == now - 1) {
      ret = WOLFSSL_TICKET_RET_CREATE;
    } else if (epoch != now) {
      return WOLFSSL_TICKET_RET_REJECT;
    }
  }
  const TicketKey* key = ticketKey(epoch);
  if (!key) return WOLFSSL_TICKET_RET_FATAL;
  if (enc) {
    for (int i = 0; i < 8; i++) keyName[i] = static_cast<unsigned char>(epoch >> (56 - 8 * i));
    std::memcpy(keyName + 8, key->tag, 8);
    if (getrandom(iv, WOLFSSL_TICKET_IV_SZ, 0) != WOLFSSL_TICKET_IV_SZ) {
      return WOLFSSL_TICKET_RET_FATAL;
    }
  } else if (std::memcmp(keyName + 8, key->tag, 8) != 0) {
    return WOLFSSL_TICKET_RET_REJECT;
  }
  // The ticket is sealed to the SNI name of its handshake (RFC 6066 section 3: a session
  // must not resume under another name): a ticket offered with another name (or with the
  // name arriving after the ticket, as a TLS 1.2 client may order them) does not open, and a
  // full handshake follows.
  // The name as the ClientHello gave it (parsed before the callback that picks the
  // certificate runs), lower-cased as that callback does.
  const char* given = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
  std::string sni = given ? lower(given) : std::string();
  unsigned char aad[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + 2 + 256];
  size_t aadLen = WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + 2;
  if (sni.size() > 255) return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
  std::memcpy(aad, keyName, WOLFSSL_TICKET_NAME_SZ);
  std::memcpy(aad + WOLFSSL_TICKET_NAME_SZ, iv, WOLFSSL_TICKET_IV_SZ);
  aad[aadLen - 2] = static_cast<unsigned char>(inLen >> 8);
  aad[aadLen - 1] = static_cast<unsigned char>(inLen);
  aad[aadLen++] = static_cast<unsigned char>(sni.size());
  std::memcpy(aad + aadLen, sni.data(), sni.size());
  aadLen += sni.size();
  int rc = enc ? wc_ChaCha20Poly1305_Encrypt(key->key, iv, aad, word32(aadLen), ticket,
                                             word32(inLen), ticket, mac)
               : wc_ChaCha20Poly1305_Decrypt(key->key, iv, aad, word32(aadLen), ticket,
                                             word32(inLen), mac, ticket);
  if (rc != 0) return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
  *outLen = inLen;
  return ret;
}

// The DNS SANs of a PEM certificate's leaf (its CN when it has none), lower-cased.
std::vector<std::string> certificateNames(const std::string& file) {
  std::vector<std::string> names;
  WOLFSSL_X509* x509 = wolfSSL_X509_load_certificate_file(file.c_str(), WOLFSSL_FILETYPE_PEM);
  if (!x509) return names;
  while (char* san = wolfSSL_X509_get_next_altname(x509)) {
    std::string name = lower(san);
    if (!name.empty() && ipLiteral(name).empty()) names.push_back(std::move(name));
  }
  if (names.empty()) {
    char cn[256] = {};
    if (wolfSSL_X509_NAME_get_text_by_NID(wolfSSL_X509_get_subject_name(x509), NID_commonName, cn,
                                          sizeof cn) > 0) {
      names.push_back(lower(cn));
    }
  }
  wolfSSL_X509_free(x509);
  return names;
}

// ---- Server: OCSP stapling ----

constexpr size_t kMaxOcspResponse = 1 << 16;  // a response is a few KiB

// The PEM certificates of a chain file, leaf first.
std::vector<std::string> pemCertificates(const std::string& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  for (size_t at = all.find(kBegin); at != std::string::npos; at = all.find(kBegin, at)) {
    size_t end = all.find(kEnd, at);
    if (end == std::string::npos) break;
    end += kEnd.size();
    out.push_back(all.substr(at, end - at) + "\n");
    at = end;
  }
  return out;
}

// The response file's bytes, handed to wolfSSL's OCSP lookup as if a responder sent them.
int ocspFromFile(void* ctx, const char*, int, unsigned char*, int, unsigned char** response) {
  auto* bytes = static_cast<std::string*>(ctx);
  *response = reinterpret_cast<unsigned char*>(bytes->data());
  return int(bytes->size());
}

// Reads c.ocspFile into response and checks it as a client would, with wolfSSL's own OCSP
// check of the leaf; loads the issuers into ctx, which builds the staple's request from them.
std::string loadOcspResponse(WOLFSSL_CTX* ctx, const TlsCertificate& c, std::string& response) {
  std::ifstream in(c.ocspFile, std::ios::binary);
  if (!in) return "cannot read OCSP response file '" + c.ocspFile + "': " + std::strerror(errno);
  response.resize(kMaxOcspResponse + 1);
  in.read(response.data(), std::streamsize(response.size()));
  response.resize(size_t(in.gcount()));
  if (response.empty() || response.size() > kMaxOcspResponse) {
    return "'" + c.ocspFile + "' is not an OCSP response (empty or over 64 KiB)";
  }
  std::vector<std::string> chain = pemCertificates(c.certFile);
  if (chain.size() < 2) {
    return "OCSP stapling needs the leaf's issuer: put its certificate after the leaf in '" +
           c.certFile + "'";
  }
  WOLFSSL_CERT_MANAGER* cm = wolfSSL_CertManagerNew();
  if (!cm) return "wolfSSL_CertManagerNew failed";
  for (size_t i = 1; i < chain.size(); ++i) {
    const auto* pem = reinterpret_cast<const unsigned char*>(chain[i].data());
    wolfSSL_CertManagerLoadCABuffer(cm, pem, long(chain[i].size()), WOLFSSL_FILETYPE_PEM);
    wolfSSL_CTX_load_verify_buffer(ctx, pem, long(chain[i].size()), WOLFSSL_FILETYPE_PEM);
  }
  int rc = WOLFSSL_FATAL_ERROR;
  if (wolfSSL_CertManagerEnableOCSP(cm, WOLFSSL_OCSP_URL_OVERRIDE) == WOLFSSL_SUCCESS &&
      wolfSSL_CertManagerSetOCSPOverrideURL(cm, "file") == WOLFSSL_SUCCESS &&
      wolfSSL_CertManagerSetOCSP_Cb(cm, ocspFromFile, nullptr, &response) == WOLFSSL_SUCCESS) {
    int size = 0;
    WOLFSSL_X509* leaf = wolfSSL_CTX_get0_certificate(ctx);
    const unsigned char* der = leaf ? wolfSSL_X509_get_der(leaf, &size) : nullptr;
    if (der) rc = wolfSSL_CertManagerCheckOCSP(cm, const_cast<unsigned char*>(der), size);
  }
  wolfSSL_CertManagerFree(cm);
  if (rc == WOLFSSL_SUCCESS) return "";
  std::string why = rc == OCSP_CERT_REVOKED   ? "the certificate is revoked"
                    : rc == OCSP_CERT_UNKNOWN ? "the responder does not know the certificate"
                    : rc == ASN_NO_SIGNER_E
                        ? "no certificate after the leaf in '" + c.certFile + "' issued it"
                        : std::string("it is not a current response about this certificate, "
                                      "signed by its issuer or the issuer's responder");
  return "OCSP response '" + c.ocspFile + "' for '" + c.certFile + "': " + why;
}

// wolfSSL asks when a client wants a staple and it has no current one cached (it keeps a
// response until its nextUpdate); it checks the response again before sending it.
int ocspStatusCallback(WOLFSSL* ssl, void*) {
  auto* s = static_cast<TlsSession::Impl*>(wolfSSL_GetIOReadCtx(ssl));
  if (!s || !s->serverContext) return 1;
  for (const TlsServerState::Cert& cert : s->serverContext->certs) {
    if (cert.ctx != wolfSSL_get_SSL_CTX(ssl) || cert.ocspResponse.empty()) continue;
    // wolfSSL frees it with XFREE.
    auto* copy = static_cast<unsigned char*>(wolfSSL_Malloc(cert.ocspResponse.size()));
    if (!copy) return 1;
    std::memcpy(copy, cert.ocspResponse.data(), cert.ocspResponse.size());
    wolfSSL_set_tlsext_status_ocsp_resp(ssl, copy, int(cert.ocspResponse.size()));
    return 0;
  }
  return 1;  // no staple
}

}  // namespace

void TlsSession::Impl::onHandshakeDone() {
  state = State::kOpen;
  char* name = nullptr;
  unsigned short size = 0;
  if (wolfSSL_ALPN_GetProtocol(ssl, &name, &size) == WOLFSSL_SUCCESS && name) {
    alpn.assign(name, size);
  }
  if (const char* v = wolfSSL_get_version(ssl)) protocol = v;
  if (const char* c = wolfSSL_get_cipher_name(ssl)) cipher = c;
  resumed = wolfSSL_session_reused(ssl) == 1;
  if (serverContext && sni.empty()) {
    if (const char* name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME)) sni = lower(name);
  }
}

void TlsSession::Impl::advance() {
  if (state == State::kHandshaking) {
    int ret = serverContext ? wolfSSL_accept(ssl) : wolfSSL_connect(ssl);
    if (ret != WOLFSSL_SUCCESS) {
      int err = wolfSSL_get_error(ssl, ret);
      if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) fail(ret);
      return;
    }
    onHandshakeDone();
  }
  if (state == State::kOpen) pumpReads();
}

// Decrypts all the input holds. The plaintext kept is bounded by the ciphertext the caller
// feeds: it paces receive() against read().
void TlsSession::Impl::pumpReads() {
  while (state == State::kOpen) {
    int n = wolfSSL_read(ssl, plain.reserveTail(kReadStep), static_cast<int>(kReadStep));
    if (n > 0) {
      plain.commit(static_cast<size_t>(n));
      continue;
    }
    int err = wolfSSL_get_error(ssl, n);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) return;
    if (err == WOLFSSL_ERROR_ZERO_RETURN) {
      state = State::kClosed;
      return;
    }
    fail(n);
  }
}

// ---- TlsClientContext ----

TlsClientContext::TlsClientContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsClientContext::~TlsClientContext() = default;

Result<std::unique_ptr<TlsClientContext>> TlsClientContext::create(
    const TlsClientOptions& options) {
  initOnce();
  auto state = std::make_shared<TlsContextState>();
  state->options = options;
  if (state->options.caFile.empty()) state->options.caFile = kSystemCaFile;
  state->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
  if (!state->ctx) return makeError("tls: wolfSSL_CTX_new failed");
  WOLFSSL_CTX* ctx = state->ctx;
  if (auto policy = applyPolicy(ctx); !policy.ok()) return makeError(policy.error());
  const std::string& caFile = state->options.caFile;
  if (options.verifyPeer && access(caFile.c_str(), R_OK) != 0) {
    return makeError("tls: cannot read the CA file " + caFile + ": " + strerror(errno));
  }
  if (!options.extraCaFile.empty() &&
      wolfSSL_CTX_load_verify_locations(ctx, options.extraCaFile.c_str(), nullptr) !=
          WOLFSSL_SUCCESS) {
    return makeError("tls: cannot load the extra CA file " + options.extraCaFile);
  }
  wolfSSL_CTX_set_verify(ctx, options.verifyPeer ? WOLFSSL_VERIFY_PEER : WOLFSSL_VERIFY_NONE,
                         options.verifyPeer ? verifyCallback : nullptr);
  wolfSSL_CTX_sess_set_new_cb(ctx, newSessionCallback);
  // Our cache is the client cache; wolfSSL's own is for servers.
  wolfSSL_CTX_set_session_cache_mode(
      ctx, WOLFSSL_SESS_CACHE_CLIENT | WOLFSSL_SESS_CACHE_NO_INTERNAL_STORE);
  auto impl = std::make_unique<Impl>();
  impl->state = std::move(state);
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(std::move(impl)));
}

std::unique_ptr<TlsSession> TlsClientContext::connect(std::string_view serverName,
                                                      std::string_view resumptionKey) {
  auto s = std::make_unique<TlsSession::Impl>();
  s->context = impl_->state;
  s->serverName = serverName;
  s->resumptionKey = resumptionKey;
  s->verifyPeer = impl_->state->options.verifyPeer;
  std::unique_ptr<TlsSession> session(new TlsSession(std::move(s)));
  TlsSession::Impl* si = session->impl_.get();

  TlsContextState& state = *impl_->state;
  if (!state.casLoaded) {
    state.casLoaded = true;
    const std::string& caFile = state.options.caFile;
    // One unparsable certificate in a large bundle must not drop the rest; a file with no
    // usable certificate at all fails every verified connection.
    if (wolfSSL_CTX_load_verify_locations_ex(state.ctx, caFile.c_str(), nullptr,
                                             WOLFSSL_LOAD_FLAG_IGNORE_ERR) != WOLFSSL_SUCCESS &&
        state.options.verifyPeer) {
      state.caError = "no CA certificates loaded from " + caFile;
      LOG_WARN("https fetches fail: %s", state.caError.c_str());
    }
  }
  if (!state.caError.empty()) {
    si->state = TlsSession::State::kFailed;
    si->error = state.caError;
    return session;
  }
  if (!si->setUp(state.ctx)) return session;
  WOLFSSL* ssl = si->ssl;
  auto setupFailed = [&](const char* what) {
    si->state = TlsSession::State::kFailed;
    si->error = what;
    return std::move(session);
  };
  std::string ip = ipLiteral(si->serverName);
  if (ip.empty()) {
    // A fully qualified "example.com." is example.com, for SNI (RFC 6066 allows no trailing
    // dot) and for the certificate.
    std::string name = si->serverName;
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    if (name.empty() || name.size() > 255) return setupFailed("bad server name");
    if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name.data(),
                       static_cast<unsigned short>(name.size())) != WOLFSSL_SUCCESS) {
      return setupFailed("cannot set SNI");
    }
    if (si->verifyPeer && wolfSSL_check_domain_name(ssl, name.c_str()) != WOLFSSL_SUCCESS) {
      return setupFailed("cannot set the host name to verify");
    }
  } else if (si->verifyPeer && wolfSSL_X509_VERIFY_PARAM_set1_ip_asc(
                                   wolfSSL_get0_param(ssl), ip.c_str()) != WOLFSSL_SUCCESS) {
    return setupFailed("cannot set the IP address to verify");
  }
  // TLS 1.2 tickets (TLS 1.3 ones need no opt-in).
  wolfSSL_UseSessionTicket(ssl);
  if (WOLFSSL_SESSION* cached = impl_->state->sessions.find(si->resumptionKey)) {
    si->offeredSession = wolfSSL_set_session(ssl, cached) == WOLFSSL_SUCCESS;
  }
  si->advance();  // the ClientHello, into the output
  return session;
}

// ---- TlsServerContext ----

struct TlsServerContext::Impl {
  std::shared_ptr<TlsServerState> state;
};

TlsServerContext::TlsServerContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsServerContext::~TlsServerContext() = default;

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::create(
    const TlsServerOptions& options) {
  initOnce();
  if (options.certificates.empty()) return makeError("tls: no certificate given");
  auto state = std::make_shared<TlsServerState>();
  state->rotationSeconds = std::max<uint32_t>(options.ticketRotationSeconds, 1);
  {
    ServerSessionCache& cache = serverSessions();
    std::lock_guard lock(cache.mutex);
    cache.capacity = options.sessionCacheEntries;  // the newest configuration (a reload)
  }
  for (const TlsCertificate& c : options.certificates) {
    TlsServerState::Cert cert;
    cert.ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (!cert.ctx) return makeError("tls: wolfSSL_CTX_new failed");
    state->certs.push_back(cert);  // freed with state from here on
    WOLFSSL_CTX* ctx = cert.ctx;
    if (auto policy = applyPolicy(ctx); !policy.ok()) return makeError(policy.error());
    if (access(c.certFile.c_str(), R_OK) != 0) {
      return makeError("tls: cannot read certificate file '" + c.certFile + "': " +
                       std::strerror(errno));
    }
    if (access(c.keyFile.c_str(), R_OK) != 0) {
      return makeError("tls: cannot read key file '" + c.keyFile + "': " + std::strerror(errno));
    }
    if (wolfSSL_CTX_use_certificate_chain_file(ctx, c.certFile.c_str()) != WOLFSSL_SUCCESS) {
      return makeError("tls: '" + c.certFile + "' holds no usable PEM certificate chain");
    }
    if (wolfSSL_CTX_use_PrivateKey_file(ctx, c.keyFile.c_str(), WOLFSSL_FILETYPE_PEM) !=
        WOLFSSL_SUCCESS) {
      return makeError("tls: '" + c.keyFile + "' holds no usable PEM private key (RSA or ECDSA)");
    }
    if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
      return makeError("tls: the key in '" + c.keyFile + "' does not match the certificate in '" +
                       c.certFile + "'");
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);  // no client certificates
    if (!c.ocspFile.empty()) {
      std::string problem = loadOcspResponse(ctx, c, state->certs.back().ocspResponse);
      if (!problem.empty()) return makeError("tls: " + problem);
      if (wolfSSL_CTX_EnableOCSPStapling(ctx) != WOLFSSL_SUCCESS ||
          wolfSSL_CTX_set_tlsext_status_cb(ctx, ocspStatusCallback) != WOLFSSL_SUCCESS) {
        return makeError("tls: cannot enable OCSP stapling");
      }
    }
    wolfSSL_CTX_set_servername_callback(ctx, sniCallback);
    wolfSSL_CTX_set_servername_arg(ctx, state.get());
    wolfSSL_CTX_set_TicketEncCb(ctx, ticketCallback);
    wolfSSL_CTX_set_TicketEncCtx(ctx, state.get());
    wolfSSL_CTX_set_TicketHint(ctx, int(state->rotationSeconds));
    wolfSSL_CTX_set_session_cache_mode(ctx,
                                       WOLFSSL_SESS_CACHE_SERVER | WOLFSSL_SESS_CACHE_NO_INTERNAL);
    wolfSSL_CTX_sess_set_new_cb(ctx, serverNewSession);
    wolfSSL_CTX_sess_set_get_cb(ctx, serverFindSession);
    std::vector<std::string> names;
    for (const std::string& n : c.names) names.push_back(lower(n));
    if (names.empty()) names = certificateNames(c.certFile);
    if (names.empty() && state->certs.size() > 1) {
      return makeError("tls: '" + c.certFile +
                       "' has no DNS name (SAN or CN) to pick it by SNI; give its names");
    }
    size_t index = state->certs.size() - 1;
    for (const std::string& n : names) {
      if (n.size() > 2 && n[0] == '*' && n[1] == '.') {
        state->wildcard.emplace(n.substr(2), index);  // the first certificate naming it wins
      } else {
        state->exact.emplace(n, index);
      }
    }
    state->certs.back().names = std::move(names);
  }
  auto impl = std::make_unique<Impl>();
  impl->state = std::move(state);
  return std::unique_ptr<TlsServerContext>(new TlsServerContext(std::move(impl)));
}

std::unique_ptr<TlsSession> TlsServerContext::accept() {
  auto s = std::make_unique<TlsSession::Impl>();
  s->serverContext = impl_->state;
  s->verifyPeer = false;
  // The WOLFSSL comes with the ClientHello (setUpServer).
  return std::unique_ptr<TlsSession>(new TlsSession(std::move(s)));
}

std::string TlsServerContext::describe() const {
  std::string out;
  for (size_t i = 0; i < impl_->state->certs.size(); ++i) {
    if (i) out += "; ";
    const auto& names = impl_->state->certs[i].names;
    for (size_t j = 0; j < names.size(); ++j) out += (j ? "," : "") + names[j];
    if (i == 0) out += names.empty() ? "default" : " (default)";
  }
  return out;
}

// ---- TlsSession ----

TlsSession::TlsSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsSession::~TlsSession() = default;

void TlsSession::receive(std::span<const char> wire) {
  Impl& s = *impl_;
  if (s.state == State::kFailed || s.state == State::kClosed || wire.empty()) return;
  if (s.inPos > 0 && s.inPos >= s.in.size() / 2) {
    s.in.erase(0, s.inPos);
    s.inPos = 0;
  }
  if (!s.sawInput) {
    s.sawInput = true;
    auto type = static_cast<unsigned char>(wire[0]);
    s.inputLooksLikeTls = type >= 20 && type <= 24 && (wire.size() < 2 || wire[1] == 3);
  }
  s.in.append(wire.data(), wire.size());
  if (!s.ssl && s.serverContext && !s.setUpServer()) return;
  s.advance();
}

size_t TlsSession::read(std::span<char> out) {
  Impl& s = *impl_;
  size_t n = std::min(out.size(), s.plain.size());
  if (n == 0) return 0;
  std::memcpy(out.data(), s.plain.data(), n);
  s.plain.consume(n);
  return n;
}

size_t TlsSession::readable() const { return impl_->plain.size(); }

bool TlsSession::write(std::span<const char> plain) {
  Impl& s = *impl_;
  if (s.state != State::kOpen || s.shutdownSent) return false;
  size_t done = 0;
  while (done < plain.size()) {
    int chunk = static_cast<int>(std::min<size_t>(plain.size() - done, 1 << 20));
    int n = wolfSSL_write(s.ssl, plain.data() + done, chunk);
    if (n <= 0) {
      s.fail(n);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

void TlsSession::shutdown() {
  Impl& s = *impl_;
  if (s.shutdownSent || !s.ssl || s.state == State::kFailed) return;
  s.shutdownSent = true;
  if (s.state == State::kHandshaking) return;  // nothing to close cleanly yet
  wolfSSL_shutdown(s.ssl);  // close_notify into the output; the peer's is not awaited
}

std::string TlsSession::takeOutput() { return std::exchange(impl_->out, std::string()); }
bool TlsSession::hasOutput() const { return !impl_->out.empty(); }
TlsSession::State TlsSession::state() const { return impl_->state; }
std::string_view TlsSession::error() const { return impl_->error; }
std::string_view TlsSession::alpn() const { return impl_->alpn; }
bool TlsSession::resumed() const { return impl_->resumed; }
std::string_view TlsSession::protocol() const { return impl_->protocol; }
std::string_view TlsSession::cipher() const { return impl_->cipher; }
std::string_view TlsSession::sniName() const { return impl_->sni; }

}  // namespace torus::net
