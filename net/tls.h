// TLS on memory, for the transport seam (../shared/DESIGN.md part 2): wolfSSL works on
// buffers through its IO callbacks and never touches a socket; the ring moves the bytes.
// The HTTP client (and, with the TLS serving issue, the server) feeds what recv brought to
// receive(), sends what takeOutput() hands out, and reads and writes plaintext.
//
// Policy: TLS 1.2 and 1.3 only, an explicit modern cipher list (AEAD with forward secrecy:
// AES-GCM and ChaCha20-Poly1305, ECDHE for 1.2), SNI (not for IP literals), ALPN http/1.1,
// the peer's chain and host name verified against the system CA store (ca-certificates) or a
// configured CA file, session resumption per origin (TLS 1.3 tickets, 1.2 tickets or ids).
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

#include "base/result.h"

namespace torus::net {

struct TlsClientOptions {
  // PEM bundle of trusted roots. Empty: the system store (/etc/ssl/certs/ca-certificates.crt).
  std::string caFile;
  // Also trust these (PEM), beside the store: a private PKI.
  std::string extraCaFile;
  bool verifyPeer = true;  // false only for tests and explicit opt-out
  uint32_t sessionCacheEntries = 1'000;  // resumption tickets/sessions kept per worker
};

class TlsSession;

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
  std::unique_ptr<TlsSession> connect(std::string_view serverName,
                                      std::string_view resumptionKey);

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
  // version not accepted (TLS 1.2 or 1.3 required): ...", or wolfSSL's own text.
  std::string_view error() const;
  std::string_view alpn() const;  // "http/1.1" or empty
  bool resumed() const;
  std::string_view protocol() const;  // "TLSv1.3", "TLSv1.2"
  std::string_view cipher() const;  // wolfSSL's (OpenSSL-style) name of the suite

  struct Impl;

 private:
  friend class TlsClientContext;
  explicit TlsSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace torus::net
