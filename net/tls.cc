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
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>

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

// What a context and its sessions share. Sessions hold it by shared_ptr, so a session that
// outlives its TlsClientContext still has a WOLFSSL_CTX and a cache to put its ticket in.
struct TlsContextState {
  WOLFSSL_CTX* ctx = nullptr;
  TlsClientOptions options;
  // Resumable sessions, most recently stored first; one per resumption key.
  struct Entry {
    std::string key;
    WOLFSSL_SESSION* session;
  };
  std::list<Entry> lru;
  std::unordered_map<std::string, std::list<Entry>::iterator> byKey;

  ~TlsContextState() {
    for (auto& e : lru) wolfSSL_SESSION_free(e.session);
    if (ctx) wolfSSL_CTX_free(ctx);
  }

  // Takes session (a copy owned by the cache).
  void store(const std::string& key, WOLFSSL_SESSION* session) {
    if (options.sessionCacheEntries == 0 || key.empty()) {
      wolfSSL_SESSION_free(session);
      return;
    }
    if (auto it = byKey.find(key); it != byKey.end()) {
      wolfSSL_SESSION_free(it->second->session);
      lru.erase(it->second);
      byKey.erase(it);
    }
    lru.push_front({key, session});
    byKey.emplace(key, lru.begin());
    while (lru.size() > options.sessionCacheEntries) {
      byKey.erase(lru.back().key);
      wolfSSL_SESSION_free(lru.back().session);
      lru.pop_back();
    }
  }

  // The cached session for key (still owned by the cache), or null.
  WOLFSSL_SESSION* find(const std::string& key) {
    auto it = byKey.find(key);
    if (it == byKey.end()) return nullptr;
    lru.splice(lru.begin(), lru, it->second);
    return it->second->session;
  }

  void forget(const std::string& key) {
    auto it = byKey.find(key);
    if (it == byKey.end()) return;
    wolfSSL_SESSION_free(it->second->session);
    lru.erase(it->second);
    byKey.erase(it);
  }
};

}  // namespace

struct TlsClientContext::Impl {
  std::shared_ptr<TlsContextState> state;
};

struct TlsSession::Impl {
  std::shared_ptr<TlsContextState> context;
  WOLFSSL* ssl = nullptr;
  std::string serverName;
  std::string resumptionKey;
  bool verifyPeer = true;
  bool offeredSession = false;
  State state = State::kHandshaking;
  bool shutdownSent = false;

  std::string in;  // ciphertext not yet consumed by wolfSSL, from inPos
  size_t inPos = 0;
  std::string out;  // ciphertext to send
  PlainBuffer plain;  // decrypted, not yet read

  std::string error;
  std::string alpn;
  std::string protocol;
  std::string cipher;
  bool resumed = false;
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
};

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
    s->context->store(s->resumptionKey, copy);
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
  if (offeredSession && context) context->forget(resumptionKey);
}

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
}

void TlsSession::Impl::advance() {
  if (state == State::kHandshaking) {
    int ret = wolfSSL_connect(ssl);
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
  state->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
  if (!state->ctx) return makeError("tls: wolfSSL_CTX_new failed");
  WOLFSSL_CTX* ctx = state->ctx;
  if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
    return makeError("tls: cannot set TLS 1.2 as the minimum version");
  }
  if (wolfSSL_CTX_set_cipher_list(ctx, kCipherList) != WOLFSSL_SUCCESS) {
    return makeError("tls: the cipher list was refused");
  }
  const std::string& caFile = options.caFile.empty() ? kSystemCaFile : options.caFile;
  // One unparsable certificate in a large bundle must not drop the rest; a file with no
  // usable certificate at all still fails.
  if (wolfSSL_CTX_load_verify_locations_ex(ctx, caFile.c_str(), nullptr,
                                           WOLFSSL_LOAD_FLAG_IGNORE_ERR) != WOLFSSL_SUCCESS) {
    if (options.verifyPeer) {
      return makeError("tls: no CA certificates loaded from " + caFile);
    }
  }
  if (!options.extraCaFile.empty() &&
      wolfSSL_CTX_load_verify_locations(ctx, options.extraCaFile.c_str(), nullptr) !=
          WOLFSSL_SUCCESS) {
    return makeError("tls: cannot load the extra CA file " + options.extraCaFile);
  }
  wolfSSL_CTX_set_verify(ctx, options.verifyPeer ? WOLFSSL_VERIFY_PEER : WOLFSSL_VERIFY_NONE,
                         options.verifyPeer ? verifyCallback : nullptr);
  wolfSSL_CTX_SetIORecv(ctx, ioRecv);
  wolfSSL_CTX_SetIOSend(ctx, ioSend);
  wolfSSL_CTX_sess_set_new_cb(ctx, newSessionCallback);
  // Our cache is the client cache; wolfSSL's own is for servers.
  wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_CLIENT |
                                              WOLFSSL_SESS_CACHE_NO_INTERNAL_STORE);
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

  si->ssl = wolfSSL_new(impl_->state->ctx);
  if (!si->ssl) {
    si->state = TlsSession::State::kFailed;
    si->error = "tls: wolfSSL_new failed";
    return session;
  }
  WOLFSSL* ssl = si->ssl;
  wolfSSL_SetIOReadCtx(ssl, si);
  wolfSSL_SetIOWriteCtx(ssl, si);
  wolfSSL_SetCertCbCtx(ssl, si);
  auto setupFailed = [&](const char* what) {
    si->state = TlsSession::State::kFailed;
    si->error = std::string("tls: ") + what;
    return std::move(session);
  };
  std::string ip = ipLiteral(si->serverName);
  if (ip.empty()) {
    if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, si->serverName.data(),
                       static_cast<unsigned short>(si->serverName.size())) != WOLFSSL_SUCCESS) {
      return setupFailed("cannot set SNI");
    }
    if (si->verifyPeer && wolfSSL_check_domain_name(ssl, si->serverName.c_str()) !=
                              WOLFSSL_SUCCESS) {
      return setupFailed("cannot set the host name to verify");
    }
  } else if (si->verifyPeer &&
             wolfSSL_X509_VERIFY_PARAM_set1_ip_asc(wolfSSL_get0_param(ssl), ip.c_str()) !=
                 WOLFSSL_SUCCESS) {
    return setupFailed("cannot set the IP address to verify");
  }
  char alpn[sizeof kAlpn];
  std::memcpy(alpn, kAlpn, sizeof kAlpn);
  if (wolfSSL_UseALPN(ssl, alpn, sizeof kAlpn - 1, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
      WOLFSSL_SUCCESS) {
    return setupFailed("cannot set ALPN");
  }
  // TLS 1.2 tickets (TLS 1.3 ones need no opt-in).
  wolfSSL_UseSessionTicket(ssl);
  if (WOLFSSL_SESSION* cached = impl_->state->find(si->resumptionKey)) {
    si->offeredSession = wolfSSL_set_session(ssl, cached) == WOLFSSL_SUCCESS;
  }
  si->advance();  // the ClientHello, into the output
  return session;
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
  s.in.append(wire.data(), wire.size());
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

}  // namespace torus::net
