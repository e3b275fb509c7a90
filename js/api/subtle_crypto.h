// The symmetric half of crypto.subtle (https://w3c.github.io/webcrypto/): digests (SHA-1,
// SHA-256, SHA-384, SHA-512), HMAC, AES-GCM/CBC/CTR/KW, HKDF and PBKDF2 on wolfSSL's
// wolfCrypt. SubtleCrypto and CryptoKey themselves are built-in JavaScript
// (js/builtins/06_subtle.js): algorithm normalization, key types, usages and the spec's
// errors live there; these natives take checked arguments and raw key bytes and return
// ArrayBuffers. The asymmetric algorithms are js/api/crypto_asymmetric.h.
//
// What the spec leaves to the implementation and wolfCrypt does not do is here: PKCS#7
// padding for AES-CBC, the counter-length wrap of AES-CTR (only the low `length` bits of the
// counter block count; the others stay fixed), bit lengths of derived keys.
//
// Errors: OperationError DOMExceptions (a GCM tag that does not verify, bad padding, an
// unwrap whose integrity check fails, a derivation length the function cannot give).
//
// Slow work leaves the loop: a PBKDF2 whose iterations times output blocks passes
// kPbkdf2InlineBlocks, and digests of more than kDigestInlineBytes, run on the crypto helper
// pool (js/api/crypto_pool.h) when it is there; everything else runs at once.
//
// Thread: the isolate's; the pure functions below are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace torus::js {

class Natives;

namespace webcrypto {

using Bytes = std::vector<uint8_t>;
using View = std::span<const uint8_t>;

// "SHA-1", "SHA-256", "SHA-384", "SHA-512" (as normalized by the built-in); 0 otherwise.
int hashType(std::string_view name);
size_t hashSize(int type);

// Each returns false (out untouched or partly written) on a failure the caller reports as an
// OperationError; `error` then says why.
bool digest(int hash, View data, Bytes& out);
bool hmac(int hash, View key, View data, Bytes& out);
bool aesGcm(bool encrypt, View key, View iv, View data, View aad, size_t tagBytes, Bytes& out,
            std::string& error);
bool aesCbc(bool encrypt, View key, View iv, View data, Bytes& out, std::string& error);
// counterBits: how many low bits of the 16-byte counter block increment (1..128).
bool aesCtr(View key, View counter, unsigned counterBits, View data, Bytes& out,
            std::string& error);
bool aesKw(bool wrap, View key, View data, Bytes& out, std::string& error);
bool hkdf(int hash, View key, View salt, View info, size_t bytes, Bytes& out, std::string& error);
bool pbkdf2(int hash, View password, View salt, uint32_t iterations, size_t bytes, Bytes& out,
            std::string& error);

inline constexpr size_t kDigestInlineBytes = 1 << 20;
inline constexpr uint64_t kPbkdf2InlineBlocks = 100'000;

}  // namespace webcrypto

// cryptoDigest, cryptoHmac, cryptoTimingSafeEqual, cryptoAesGcm, cryptoAesCbc, cryptoAesCtr,
// cryptoAesKw, cryptoHkdf, cryptoPbkdf2 (06_subtle.js says what each takes).
void addSubtleCryptoNatives(Natives& natives);

}  // namespace torus::js
