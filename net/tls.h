// TLS on memory, for the transport seam (../shared/DESIGN.md part 2): wolfSSL works on
// buffers through its IO callbacks and never touches a socket; the ring moves the bytes.
// The HTTP client and the HTTP server feed what recv brought to receive(), send what
// takeOutput() hands out, and read and write plaintext. Client sessions come from a
// TlsClientContext (connect()), server sessions from a TlsServerContext (accept()); both
// share one policy and one session implementation.
//
// Policy: TLS 1.2 and 1.3 only, an explicit modern cipher list (AEAD with forward secrecy:
// AES-GCM and ChaCha20-Poly1305, ECDHE for 1.2), key exchange over X25519, P-256 or P-384,
// SNI (not for IP literals), ALPN http/1.1, the peer's chain and host name verified against
// the system CA store (ca-certificates) or a configured CA file, session resumption per
// origin (TLS 1.3 tickets, 1.2 tickets or session ids).
//
// Server policy: the same versions, ciphers and groups; certificates (RSA or ECDSA, PEM chain
// + key) chosen by SNI among exact names and *.wildcards (from each certificate's SANs, or
// given), else the first certificate; ALPN http/1.1 (a client offering only other protocols
// gets no ALPN reply and may go on with HTTP/1.1 or close); session tickets sealed with
// ChaCha20-Poly1305 under keys derived from a per-process secret and the rotation epoch
// (current + previous key accepted, so every worker agrees without sharing state); TLS 1.2
// session ids from one bounded cache for the process, each resuming only under the SNI name
// it was made for; renegotiation refused (this wolfSSL has no renegotiation, only the
// renegotiation_info extension); OCSP stapling from a response file per certificate.
//
// Driving a session: after connect() and after every receive(), send what takeOutput()
// holds (connect() already queued the ClientHello), then read() what became readable. The
// plaintext kept is at most what was fed: pace receive() against read(). A session knows
// nothing of TCP: EOF in kOpen without close_notify is a truncation the caller judges (the
// HTTP framing tells whether the response was complete).
//
// Lifetimes: a session may outlive its context (both hold the wolfSSL context and the session
// cache). Thread: a context and its sessions belong to one worker thread; wolfSSL_Init runs
// once per process, in the first create().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace torus::net {

struct TlsClientOptions {
  // PEM bundle of trusted roots. Empty: the system store (/etc/ssl/certs/ca-certificates.crt).
  std::string caFile;
  // Also trust these (PEM), beside the store: a private PKI.
  std::string extraCaFile;
  bool verifyPeer = true;                // false only for tests and explicit opt-out
  uint32_t sessionCacheEntries = 1'000;  // resumption tickets/sessions kept per worker
};

class TlsSession;

// One certificate of a server: a PEM chain (leaf first) and its private key (RSA or ECDSA).
struct TlsCertificate {
  std::string certFile;
  std::string keyFile;
  // SNI names it answers (exact, or "*.example.com" for one label); empty: the DNS SANs of
  // the leaf (its subject CN when it has none).
  std::vector<std::string> names;
  // An OCSP response for the leaf (DER, as `openssl ocsp -respout` or the CA's responder
  // gives it), stapled for clients that ask; checked on load (signed by the leaf's issuer,
  // which must follow the leaf in certFile, about the leaf, status good). Empty: no stapling.
  std::string ocspFile;
};

struct TlsServerOptions {
  std::vector<TlsCertificate> certificates;  // the first is the default (no or unknown SNI)
  // Ticket keys rotate every this many seconds; a ticket stays valid up to twice as long.
  uint32_t ticketRotationSeconds = 3'600;
  // TLS 1.2 sessions kept for session-id resumption, for the whole process (0: none).
  uint32_t sessionCacheEntries = 10'000;
};

class TlsServerContext {
 public:
  // Loads every certificate and key; an unreadable file, a key that does not match its
  // certificate or a certificate with no name is an error naming the file.
  static Result<std::unique_ptr<TlsServerContext>> create(const TlsServerOptions& options);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A server session for a new connection: it waits for the ClientHello (feed receive()).
  // Never null: a session that cannot be set up starts in kFailed.
  std::unique_ptr<TlsSession> accept();
  // The SNI names served, per certificate, for the log ("a.test,*.b.test; default").
  std::string describe() const;

  struct Impl;

 private:
  explicit TlsServerContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class TlsClientContext {
 public:
  static Result<std::unique_ptr<TlsClientContext>> create(const TlsClientOptions& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A client session to serverName (SNI and the name verified; an IP literal is verified
  // against the certificate's IP SANs and sent without SNI). resumptionKey ("host:port")
  // picks a cached session to resume, and is where this session's own resumable sessions
  // are kept (the newest per key; a key whose resumption failed is forgotten). Never null:
  // a session that cannot be set up starts in kFailed.
  std::unique_ptr<TlsSession> connect(std::string_view serverName, std::string_view resumptionKey);

  struct Impl;
  Impl* impl() { return impl_.get(); }

 private:
  explicit TlsClientContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class TlsSession {
 public:
  enum class State {
    kHandshaking,  // call takeOutput() and feed receive() until it changes
    kOpen,         // plaintext flows both ways
    kClosed,       // the peer sent close_notify (a clean end)
    kFailed,       // error() says why; send takeOutput() (a fatal alert), then close
  };
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext from the peer (copied). Advances the handshake; decrypts what it can.
  void receive(std::span<const char> wire);
  // Decrypted bytes, up to out.size(); 0 when none are ready.
  size_t read(std::span<char> out);
  size_t readable() const;
  // Encrypts plaintext into the output (open state only, before shutdown()); false when the
  // session is not open or failed.
  bool write(std::span<const char> plain);
  // Queues close_notify (nothing during the handshake); writes fail from then on. The peer's
  // close_notify is not awaited: reads go on until it comes (kClosed) or TCP ends.
  void shutdown();
  // Ciphertext to send, in order (moved out; empty when none).
  std::string takeOutput();
  bool hasOutput() const;

  State state() const;
  // Why the session failed: "certificate verify failed: host name mismatch (expected
  // example.com)", "certificate has expired", "certificate is not yet valid", "unknown CA
  // (self-signed or untrusted issuer)", "peer sent alert: handshake failure", "protocol
  // version not accepted (TLS 1.2 or 1.3 required): ...", "the peer does not speak TLS
  // (...)" (its first bytes are no TLS record), or wolfSSL's own text.
  std::string_view error() const;
  std::string_view alpn() const;  // "http/1.1" or empty
  bool resumed() const;
  std::string_view protocol() const;  // "TLSv1.3", "TLSv1.2"
  std::string_view cipher() const;    // wolfSSL's (OpenSSL-style) name of the suite
  // Server sessions: the name the client asked for (SNI), or empty.
  std::string_view sniName() const;

  struct Impl;

 private:
  friend class TlsClientContext;
  friend class TlsServerContext;
  explicit TlsSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace torus::net
