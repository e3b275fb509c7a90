// The asymmetric half of crypto.subtle (https://w3c.github.io/webcrypto/): RSASSA-PKCS1-v1_5,
// RSA-PSS, RSA-OAEP, ECDSA and ECDH on P-256/P-384/P-521, Ed25519 and X25519 (the Secure
// Curves draft, https://wicg.github.io/webcrypto-secure-curves/) on wolfSSL's wolfCrypt.
// SubtleCrypto in JavaScript (js/builtins/06_subtle.js) normalizes algorithms, checks usages
// and does JWK's base64url and JSON; these functions take checked arguments.
//
// Key material is DER: a public key is its canonical SubjectPublicKeyInfo (RFC 5280 4.1;
// RFC 3279 for RSA, RFC 5480 for EC with a named curve and an uncompressed point, RFC 8410 for
// Ed25519/X25519), a private key its canonical PKCS#8 PrivateKeyInfo (RFC 5208; RSAPrivateKey
// of RFC 8017 A.1.2, ECPrivateKey of RFC 5915 with the public key and without parameters,
// CurvePrivateKey of RFC 8410), i.e. what exportKey("spki"/"pkcs8") returns. Import decodes
// and re-encodes, so odd but valid input (BER lengths, leading zeros, a compressed point)
// comes out canonical.
//
// Errors: a failure is a DOMException name and message (KeyError) the binding throws:
// DataError for key data that is malformed or does not fit the algorithm, OperationError for
// an operation wolfCrypt refuses (a bad exponent, data too long, a decryption error),
// InvalidAccessError for an ECDH peer on another curve. verify() reports a malformed
// signature as false, never as an error.
//
// Thread: the pure functions are thread-safe (each thread has its own WC_RNG) and may run on
// the crypto helper pool; the natives run on the isolate's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "js/api/subtle_crypto.h"

namespace torus::js {

class Natives;

namespace webcrypto {

enum class KeyKind { kRsa, kEc, kEd25519, kX25519 };
// "RSA", "EC", "Ed25519", "X25519"; nullopt otherwise.
std::optional<KeyKind> keyKind(std::string_view name);

enum class SignatureAlgorithm { kRsaPkcs1, kRsaPss, kEcdsa, kEd25519 };
// "RSASSA-PKCS1-v1_5", "RSA-PSS", "ECDSA", "Ed25519"; nullopt otherwise.
std::optional<SignatureAlgorithm> signatureAlgorithm(std::string_view name);

// A failure: the DOMException's name ("DataError", "OperationError", "InvalidAccessError",
// "NotSupportedError") and message.
struct KeyError {
  std::string name;
  std::string message;
};

struct KeyPair {
  Bytes spki;
  Bytes pkcs8;
};

// An imported key: its canonical DER and what the CryptoKey's algorithm reports.
struct ImportedKey {
  Bytes der;  // SPKI if public, PKCS#8 if private
  bool isPrivate = false;
  uint32_t modulusLength = 0;  // RSA: bits of n
  Bytes publicExponent;        // RSA: big-endian, no leading zeros
  std::string namedCurve;      // EC: "P-256", "P-384", "P-521"
};

// JWK members as bytes (base64url-decoded). RSA: n, e [, d, p, q, dp, dq, qi], big-endian;
// EC: x, y [, d], each the curve's size; Ed25519/X25519: x [, d], 32 bytes.
struct JwkFields {
  std::optional<Bytes> n, e, d, p, q, dp, dq, qi, x, y;
};

// A new key pair. RSA: modulusBits and publicExponent (big-endian); EC: curve; the others
// take neither. Fails with OperationError (an even exponent, an unsupported size) or
// NotSupportedError (an unknown curve).
bool generateKeyPair(KeyKind kind, uint32_t modulusBits, View publicExponent,
                     std::string_view curve, KeyPair& out, KeyError& error);

// format "spki", "pkcs8" or "raw" (EC: an uncompressed or compressed point; Ed25519/X25519:
// the 32-byte public key). curve: the algorithm's namedCurve for EC (the key's must equal it),
// ignored otherwise.
bool importKey(KeyKind kind, std::string_view format, View data, std::string_view curve,
               ImportedKey& out, KeyError& error);
// A private key iff jwk.d is there.
bool importJwk(KeyKind kind, const JwkFields& jwk, std::string_view curve, ImportedKey& out,
               KeyError& error);

// The raw public key (EC: the uncompressed point) of an SPKI (or of a PKCS#8's public part).
bool exportRaw(KeyKind kind, View der, Bytes& out, KeyError& error);
// The JWK members of an SPKI or a PKCS#8 (told apart by their structure).
bool exportJwk(KeyKind kind, View der, JwkFields& out, KeyError& error);

// pkcs8: a key as importKey or generateKeyPair made it (it is not checked again: an EC
// key's public half is not derived). hash: a webcrypto::hashType() (unused for Ed25519);
// saltLength: RSA-PSS only. ECDSA
// signatures are r || s, each left-padded to the curve's size.
bool sign(SignatureAlgorithm alg, View pkcs8, View data, int hash, uint32_t saltLength, Bytes& out,
          KeyError& error);
// valid: whether signature is one of data by the key. Returns false (an error) only when the
// key itself cannot be used.
bool verify(SignatureAlgorithm alg, View spki, View signature, View data, int hash,
            uint32_t saltLength, bool& valid, KeyError& error);

// RSA-OAEP: encrypt with an SPKI, decrypt with a PKCS#8.
bool rsaOaep(bool encrypt, View der, int hash, View label, View data, Bytes& out, KeyError& error);

// ECDH (kind kEc: the x coordinate, the curve's size) or X25519 (32 bytes; an all-zero
// secret, from a small-order peer, is an OperationError).
bool derive(KeyKind kind, View pkcs8, View peerSpki, Bytes& out, KeyError& error);

}  // namespace webcrypto

// pkeyGenerate(kind, a, b) -> [spki, pkcs8]
// pkeyImport(kind, format, data, curve) -> {der, type, modulusLength?, publicExponent?,
//                                            namedCurve?}
// pkeyImportJwk(kind, fields, curve) -> the same
// pkeyExport(kind, format "raw" | "jwk", der) -> ArrayBuffer | {n, e, ...: ArrayBuffer}
// pkeySign(alg, pkcs8, data, hash, saltLength) -> ArrayBuffer
// pkeyVerify(alg, spki, signature, data, hash, saltLength) -> boolean
// pkeyRsaOaep(encrypt, der, hash, label | undefined, data) -> ArrayBuffer
// pkeyDerive(kind, pkcs8, peerSpki) -> ArrayBuffer
void addAsymmetricCryptoNatives(Natives& natives);

}  // namespace torus::js
