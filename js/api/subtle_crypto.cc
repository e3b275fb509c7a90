#include "js/api/subtle_crypto.h"

// wolfSSL's build options first, then wolfCrypt.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/pwdbased.h>

#include <string.h>

#include <algorithm>
#include <memory>

#include "js/api/crypto_bytes.h"
#include "js/api/crypto_pool.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

namespace webcrypto {

int hashType(std::string_view name) {
  if (name == "SHA-1") return WC_HASH_TYPE_SHA;
  if (name == "SHA-256") return WC_HASH_TYPE_SHA256;
  if (name == "SHA-384") return WC_HASH_TYPE_SHA384;
  if (name == "SHA-512") return WC_HASH_TYPE_SHA512;
  return 0;
}

size_t hashSize(int type) {
  int n = wc_HashGetDigestSize(static_cast<enum wc_HashType>(type));
  return n > 0 ? size_t(n) : 0;
}

namespace {

std::string wolfError(const char* what, int rc) {
  return std::string(what) + ": " + wc_GetErrorString(rc);
}

// An Aes context released on every path.
struct AesKey {
  Aes aes;
  bool ready = false;
  AesKey() { ready = wc_AesInit(&aes, nullptr, INVALID_DEVID) == 0; }
  ~AesKey() {
    if (ready) wc_AesFree(&aes);
  }
};

}  // namespace

bool digest(int hash, View data, Bytes& out) {
  out.resize(hashSize(hash));
  return !out.empty() && wc_Hash(static_cast<enum wc_HashType>(hash), bytePtr(data),
                                 word32(data.size()), out.data(), word32(out.size())) == 0;
}

bool hmac(int hash, View key, View data, Bytes& out) {
  out.resize(hashSize(hash));
  if (out.empty()) return false;
  Hmac h;
  if (wc_HmacInit(&h, nullptr, INVALID_DEVID) != 0) return false;
  bool ok = wc_HmacSetKey(&h, hash, bytePtr(key), word32(key.size())) == 0 &&
            wc_HmacUpdate(&h, bytePtr(data), word32(data.size())) == 0 &&
            wc_HmacFinal(&h, out.data()) == 0;
  wc_HmacFree(&h);
  return ok;
}

bool aesGcm(bool encrypt, View key, View iv, View data, View aad, size_t tagBytes, Bytes& out,
            std::string& error) {
  AesKey k;
  int rc = k.ready ? wc_AesGcmSetKey(&k.aes, key.data(), word32(key.size())) : MEMORY_E;
  if (rc != 0) {
    error = wolfError("AES-GCM key", rc);
    return false;
  }
  if (encrypt) {
    out.resize(data.size() + tagBytes);
    rc = wc_AesGcmEncrypt(&k.aes, out.data(), bytePtr(data), word32(data.size()), bytePtr(iv),
                          word32(iv.size()), out.data() + data.size(), word32(tagBytes),
                          bytePtr(aad), word32(aad.size()));
  } else {
    if (data.size() < tagBytes) {
      error = "The data is shorter than the tag (" + std::to_string(tagBytes) + " bytes).";
      return false;
    }
    size_t n = data.size() - tagBytes;
    out.resize(n);
    rc = wc_AesGcmDecrypt(&k.aes, out.data(), bytePtr(data), word32(n), bytePtr(iv), word32(iv.size()),
                          data.data() + n, word32(tagBytes), bytePtr(aad), word32(aad.size()));
    if (rc == AES_GCM_AUTH_E) {
      error = "The authentication tag does not match: the data, IV, additional data or key is "
              "not the one it was encrypted with.";
      return false;
    }
  }
  if (rc != 0) error = wolfError("AES-GCM", rc);
  return rc == 0;
}

bool aesCbc(bool encrypt, View key, View iv, View data, Bytes& out, std::string& error) {
  AesKey k;
  int rc = k.ready ? wc_AesSetKey(&k.aes, key.data(), word32(key.size()), iv.data(),
                                  encrypt ? AES_ENCRYPTION : AES_DECRYPTION)
                   : MEMORY_E;
  if (rc != 0) {
    error = wolfError("AES-CBC key", rc);
    return false;
  }
  if (encrypt) {
    // PKCS#7 padding: 1 to 16 bytes, each the count.
    size_t pad = AES_BLOCK_SIZE - data.size() % AES_BLOCK_SIZE;
    Bytes padded(data.begin(), data.end());
    padded.insert(padded.end(), pad, uint8_t(pad));
    out.resize(padded.size());
    rc = wc_AesCbcEncrypt(&k.aes, out.data(), padded.data(), word32(padded.size()));
    if (rc != 0) error = wolfError("AES-CBC", rc);
    return rc == 0;
  }
  if (data.empty() || data.size() % AES_BLOCK_SIZE != 0) {
    error = "The data's length (" + std::to_string(data.size()) +
            " bytes) is not a non-zero multiple of the block size (16 bytes).";
    return false;
  }
  out.resize(data.size());
  rc = wc_AesCbcDecrypt(&k.aes, out.data(), data.data(), word32(data.size()));
  if (rc != 0) {
    error = wolfError("AES-CBC", rc);
    return false;
  }
  uint8_t pad = out.back();
  bool bad = pad == 0 || pad > AES_BLOCK_SIZE;
  for (size_t i = 0; !bad && i < pad; ++i) bad = out[out.size() - 1 - i] != pad;
  if (bad) {
    error = "The padding is invalid (wrong key or IV, or corrupted data).";
    return false;
  }
  out.resize(out.size() - pad);
  return true;
}

bool aesCtr(View key, View counter, unsigned counterBits, View data, Bytes& out,
            std::string& error) {
  AesKey k;
  uint8_t block[AES_BLOCK_SIZE];
  memcpy(block, counter.data(), AES_BLOCK_SIZE);
  int rc = k.ready ? wc_AesSetKeyDirect(&k.aes, key.data(), word32(key.size()), block,
                                        AES_ENCRYPTION)
                   : MEMORY_E;
  if (rc != 0) {
    error = wolfError("AES-CTR key", rc);
    return false;
  }
  out.resize(data.size());
  // The counter is the low counterBits of the block, big-endian; the others stay fixed.
  // wolfCrypt increments all 128 bits: cut the data where the counter wraps and go on with
  // its bits zeroed.
  using u128 = unsigned __int128;
  u128 mask = counterBits >= 128 ? ~u128(0) : (u128(1) << counterBits) - 1;
  u128 value = 0;
  for (uint8_t b : block) value = (value << 8) | b;
  value &= mask;
  u128 blocks = (data.size() + AES_BLOCK_SIZE - 1) / AES_BLOCK_SIZE;
  if (counterBits < 128 && blocks > 0 && blocks - 1 > mask) {  // more blocks than counters
    error = "The counter would repeat: " + std::to_string(uint64_t(blocks)) +
            " blocks exceed the " + std::to_string(counterBits) + "-bit counter's range.";
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    size_t n = data.size() - done;
    u128 untilWrap = mask - value + 1;  // 0: 2^128, no wrap
    if (untilWrap != 0 && untilWrap < (n + AES_BLOCK_SIZE - 1) / AES_BLOCK_SIZE) {
      n = size_t(untilWrap) * AES_BLOCK_SIZE;
    }
    rc = wc_AesCtrEncrypt(&k.aes, out.data() + done, data.data() + done, word32(n));
    if (rc != 0) {
      error = wolfError("AES-CTR", rc);
      return false;
    }
    done += n;
    if (done < data.size()) {  // wrapped
      for (unsigned bit = 0; bit < counterBits; ++bit) {
        block[15 - bit / 8] &= uint8_t(~(1u << (bit % 8)));
      }
      wc_AesSetIV(&k.aes, block);
      k.aes.left = 0;
      value = 0;
    }
  }
  return true;
}

bool aesKw(bool wrap, View key, View data, Bytes& out, std::string& error) {
  if (data.size() % 8 != 0 || data.size() < (wrap ? 16u : 24u)) {
    error = "The data's length (" + std::to_string(data.size()) + " bytes) is not a multiple of " +
            "8 bytes of at least " + (wrap ? "16" : "24") + ".";
    return false;
  }
  out.resize(wrap ? data.size() + 8 : data.size() - 8);
  int rc = wrap ? wc_AesKeyWrap(key.data(), word32(key.size()), data.data(), word32(data.size()),
                                out.data(), word32(out.size()), nullptr)
                : wc_AesKeyUnWrap(key.data(), word32(key.size()), data.data(),
                                  word32(data.size()), out.data(), word32(out.size()), nullptr);
  if (rc < 0) {
    error = rc == BAD_KEYWRAP_IV_E ? "The wrapped key's integrity check failed (wrong key or "
                                     "corrupted data)."
                                   : wolfError("AES-KW", rc);
    return false;
  }
  out.resize(size_t(rc));
  return true;
}

bool hkdf(int hash, View key, View salt, View info, size_t bytes, Bytes& out,
          std::string& error) {
  if (bytes > 255 * hashSize(hash)) {
    error = "The length (" + std::to_string(bytes * 8) + " bits) exceeds HKDF's maximum of 255 " +
            "times the hash's output (" + std::to_string(255 * hashSize(hash) * 8) + " bits).";
    return false;
  }
  out.resize(bytes);
  if (bytes == 0) return true;
  int rc = wc_HKDF(hash, bytePtr(key), word32(key.size()), salt.empty() ? nullptr : salt.data(),
                   word32(salt.size()), bytePtr(info), word32(info.size()), out.data(),
                   word32(bytes));
  if (rc != 0) error = wolfError("HKDF", rc);
  return rc == 0;
}

bool pbkdf2(int hash, View password, View salt, uint32_t iterations, size_t bytes, Bytes& out,
            std::string& error) {
  out.resize(bytes);
  if (bytes == 0) return true;
  int rc = wc_PBKDF2(out.data(), bytePtr(password), int(password.size()), bytePtr(salt),
                     int(salt.size()), int(iterations), int(bytes), hash);
  if (rc != 0) error = wolfError("PBKDF2", rc);
  return rc == 0;
}

}  // namespace webcrypto

namespace {

using namespace webcrypto;

// The result as an ArrayBuffer, or the failure as an OperationError.
void finish(const v8::FunctionCallbackInfo<v8::Value>& info, bool ok, Bytes&& out,
            const std::string& error) {
  if (!ok) return throwError(info.GetIsolate(), JsError::dom("OperationError", error));
  info.GetReturnValue().Set(toArrayBuffer(info.GetIsolate(), std::move(out)));
}

int hashArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
  return hashType(stringArg(info, i));
}

// The outcome of a pure function run on the pool.
CryptoOutcome outcome(bool ok, Bytes&& out, std::string error) {
  CryptoOutcome o;
  if (!ok) {
    o.errorName = "OperationError";
    o.message = std::move(error);
  } else {
    o.values.push_back(std::move(out));
  }
  return o;
}

// cryptoDigest(hash, data): a promise from the pool above kDigestInlineBytes.
void cryptoDigest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes data(info[1]);
  int hash = hashArg(info, 0);
  if (data.view().size() > kDigestInlineBytes) {
    info.GetReturnValue().Set(startCryptoJob(info.GetIsolate(), [hash, bytes = data.copy()] {
      Bytes out;
      bool ok = digest(hash, bytes, out);
      return outcome(ok, std::move(out), "digest failed");
    }));
    return;
  }
  Bytes out;
  bool ok = digest(hash, data.view(), out);
  finish(info, ok, std::move(out), "digest failed");
}

// cryptoHmac(hash, key, data)
void cryptoHmac(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes key(info[1]), data(info[2]);
  Bytes out;
  bool ok = hmac(hashArg(info, 0), key.view(), data.view(), out);
  finish(info, ok, std::move(out), "HMAC failed");
}

// cryptoTimingSafeEqual(a, b): whether two byte strings are equal, in time that depends only
// on their lengths.
void cryptoTimingSafeEqual(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes a(info[0]), b(info[1]);
  View x = a.view(), y = b.view();
  bool equal = x.size() == y.size();
  uint8_t diff = 0;
  for (size_t i = 0; equal && i < x.size(); ++i) diff |= uint8_t(x[i] ^ y[i]);
  info.GetReturnValue().Set(equal && diff == 0);
}

// cryptoAesGcm(encrypt, key, iv, data, additionalData | undefined, tagBytes)
void cryptoAesGcm(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes key(info[1]), iv(info[2]), data(info[3]), aad(info[4]);
  uint32_t tag = u32Arg(info, 5, 16);
  Bytes out;
  std::string error;
  bool ok = aesGcm(info[0]->IsTrue(), key.view(), iv.view(), data.view(), aad.view(), tag, out, error);
  finish(info, ok, std::move(out), error);
}

// cryptoAesCbc(encrypt, key, iv, data)
void cryptoAesCbc(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes key(info[1]), iv(info[2]), data(info[3]);
  Bytes out;
  std::string error;
  bool ok = aesCbc(info[0]->IsTrue(), key.view(), iv.view(), data.view(), out, error);
  finish(info, ok, std::move(out), error);
}

// cryptoAesCtr(key, counter, lengthBits, data)
void cryptoAesCtr(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes key(info[0]), counter(info[1]), data(info[3]);
  uint32_t bits = u32Arg(info, 2);
  Bytes out;
  std::string error;
  bool ok = aesCtr(key.view(), counter.view(), bits, data.view(), out, error);
  finish(info, ok, std::move(out), error);
}

// cryptoAesKw(wrap, key, data)
void cryptoAesKw(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes key(info[1]), data(info[2]);
  Bytes out;
  std::string error;
  bool ok = aesKw(info[0]->IsTrue(), key.view(), data.view(), out, error);
  finish(info, ok, std::move(out), error);
}

// cryptoHkdf(hash, key, salt, info, bytes)
void cryptoHkdf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes key(info[1]), salt(info[2]), extra(info[3]);
  uint32_t bytes = u32Arg(info, 4);
  Bytes out;
  std::string error;
  bool ok = hkdf(hashArg(info, 0), key.view(), salt.view(), extra.view(), bytes, out, error);
  finish(info, ok, std::move(out), error);
}

// cryptoPbkdf2(hash, password, salt, iterations, bytes)
void cryptoPbkdf2(const v8::FunctionCallbackInfo<v8::Value>& info) {
  InputBytes password(info[1]), salt(info[2]);
  uint32_t iterations = u32Arg(info, 3);
  uint32_t bytes = u32Arg(info, 4);
  int hash = hashArg(info, 0);
  size_t blockBytes = std::max<size_t>(hashSize(hash), 1);
  if (uint64_t(iterations) * ((bytes + blockBytes - 1) / blockBytes) > kPbkdf2InlineBlocks) {
    info.GetReturnValue().Set(startCryptoJob(info.GetIsolate(),
        [hash, pw = password.copy(), salt = salt.copy(), iterations, bytes] {
          Bytes out;
          std::string error;
          bool ok = pbkdf2(hash, pw, salt, iterations, bytes, out, error);
          return outcome(ok, std::move(out), std::move(error));
        }));
    return;
  }
  Bytes out;
  std::string error;
  bool ok = pbkdf2(hash, password.view(), salt.view(), iterations, bytes, out, error);
  finish(info, ok, std::move(out), error);
}

}  // namespace

void addSubtleCryptoNatives(Natives& natives) {
  natives.add("cryptoDigest", cryptoDigest);
  natives.add("cryptoHmac", cryptoHmac);
  natives.add("cryptoTimingSafeEqual", cryptoTimingSafeEqual);
  natives.add("cryptoAesGcm", cryptoAesGcm);
  natives.add("cryptoAesCbc", cryptoAesCbc);
  natives.add("cryptoAesCtr", cryptoAesCtr);
  natives.add("cryptoAesKw", cryptoAesKw);
  natives.add("cryptoHkdf", cryptoHkdf);
  natives.add("cryptoPbkdf2", cryptoPbkdf2);
}

}  // namespace torus::js
