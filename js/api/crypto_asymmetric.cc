#include "js/api/crypto_asymmetric.h"

// wolfSSL's build options first, then wolfCrypt.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/wolfmath.h>

#include <string.h>

#include <initializer_list>

#include "js/api/crypto_bytes.h"
#include "js/api/crypto_pool.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

namespace webcrypto {

namespace {

// ---- failures ----

bool fail(KeyError& error, const char* name, std::string message) {
  error.name = name;
  error.message = std::move(message);
  return false;
}

bool dataError(KeyError& error, std::string message) {
  return fail(error, "DataError", std::move(message));
}

bool operationError(KeyError& error, const char* what, int rc) {
  return fail(error, "OperationError", std::string(what) + ": " + wc_GetErrorString(rc));
}

const char* kindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kRsa:
      return "RSA";
    case KeyKind::kEc:
      return "EC";
    case KeyKind::kEd25519:
      return "Ed25519";
    case KeyKind::kX25519:
      return "X25519";
  }
  return "?";
}

// ---- wolfCrypt objects released on every path ----

// One generator per thread, seeded on first use: wolfCrypt's RNG is not safe to share.
WC_RNG* threadRng() {
  struct Holder {
    WC_RNG rng;
    bool ok;
    Holder() { ok = wc_InitRng(&rng) == 0; }
    ~Holder() {
      if (ok) wc_FreeRng(&rng);
    }
  };
  thread_local Holder holder;
  return holder.ok ? &holder.rng : nullptr;
}

struct Rsa {
  RsaKey key;
  bool ready;
  Rsa() { ready = wc_InitRsaKey(&key, nullptr) == 0; }
  ~Rsa() {
    if (ready) wc_FreeRsaKey(&key);
  }
};

struct Ecc {
  ecc_key key;
  bool ready;
  Ecc() { ready = wc_ecc_init(&key) == 0; }
  ~Ecc() {
    if (ready) wc_ecc_free(&key);
  }
};

struct Ed {
  ed25519_key key;
  bool ready;
  Ed() { ready = wc_ed25519_init(&key) == 0; }
  ~Ed() {
    if (ready) wc_ed25519_free(&key);
  }
};

struct X {
  curve25519_key key;
  bool ready;
  X() { ready = wc_curve25519_init(&key) == 0; }
  ~X() {
    if (ready) wc_curve25519_free(&key);
  }
};

// ---- DER ----

constexpr uint8_t kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04, kNull = 0x05,
                  kOid = 0x06, kSequence = 0x30;

// Reads TLVs in order. Definite lengths only (BER's long forms with leading zeros are fine).
class DerReader {
 public:
  explicit DerReader(View data) : data_(data) {}
  bool done() const { return pos_ == data_.size(); }
  bool peek(uint8_t tag) const { return pos_ < data_.size() && data_[pos_] == tag; }
  // The next element's content if its tag is `tag`.
  bool read(uint8_t tag, View& content) {
    if (!peek(tag) || pos_ + 2 > data_.size()) return false;
    size_t p = pos_ + 1;
    size_t len = data_[p++];
    if (len & 0x80) {
      size_t bytes = len & 0x7f;
      if (bytes == 0 || bytes > 4 || p + bytes > data_.size()) return false;
      len = 0;
      for (size_t i = 0; i < bytes; ++i) len = (len << 8) | data_[p++];
    }
    if (len > data_.size() - p) return false;
    content = data_.subspan(p, len);
    pos_ = p + len;
    return true;
  }
  // Any element (its tag in `tag`).
  bool skip(uint8_t& tag) {
    if (pos_ >= data_.size()) return false;
    tag = data_[pos_];
    View ignored;
    return read(tag, ignored);
  }
  // A non-negative INTEGER as big-endian bytes without leading zeros (zero: empty).
  bool readUnsigned(Bytes& out) {
    View c;
    if (!read(kInteger, c) || c.empty() || (c[0] & 0x80)) return false;
    size_t i = 0;
    while (i < c.size() && c[i] == 0) ++i;
    out.assign(c.begin() + i, c.end());
    return true;
  }
  bool readSmall(unsigned& value) {
    Bytes v;
    if (!readUnsigned(v) || v.size() > 1) return false;
    value = v.empty() ? 0 : v[0];
    return true;
  }

 private:
  View data_;
  size_t pos_ = 0;
};

void putLength(Bytes& out, size_t n) {
  if (n < 0x80) {
    out.push_back(uint8_t(n));
    return;
  }
  int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
  out.push_back(uint8_t(0x80 | bytes));
  for (int i = bytes - 1; i >= 0; --i) out.push_back(uint8_t(n >> (8 * i)));
}

Bytes tlv(uint8_t tag, std::initializer_list<View> parts) {
  size_t n = 0;
  for (View p : parts) n += p.size();
  Bytes out;
  out.reserve(n + 6);
  out.push_back(tag);
  putLength(out, n);
  for (View p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// An INTEGER from unsigned big-endian bytes, minimal.
Bytes derUnsigned(View v) {
  size_t i = 0;
  while (i < v.size() && v[i] == 0) ++i;
  Bytes content;
  if (i == v.size() || (v[i] & 0x80)) content.push_back(0);
  content.insert(content.end(), v.begin() + i, v.end());
  return tlv(kInteger, {content});
}

Bytes bitString(View bits) {
  static const uint8_t kNoUnused[1] = {0};
  return tlv(kBitString, {View(kNoUnused), bits});
}

// A BIT STRING's bytes (no unused bits allowed).
bool readBitString(DerReader& r, View& bits) {
  View c;
  if (!r.read(kBitString, c) || c.empty() || c[0] != 0) return false;
  bits = c.subspan(1);
  return true;
}

Bytes stripZeros(View v) {
  size_t i = 0;
  while (i < v.size() && v[i] == 0) ++i;
  return Bytes(v.begin() + i, v.end());
}

// DigestInfo (RFC 8017 9.2): at most 19 bytes of header and a SHA-512 digest.
constexpr size_t kMaxDigestInfo = 128;

void wipe(void* p, size_t n) {
  volatile uint8_t* b = static_cast<volatile uint8_t*>(p);
  while (n--) *b++ = 0;
}

bool equal(View a, View b) { return a.size() == b.size() && memcmp(bytePtr(a), bytePtr(b), a.size()) == 0; }

// ---- algorithm identifiers ----

const uint8_t kOidRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
const uint8_t kOidEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
const uint8_t kOidP256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const uint8_t kOidP384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
const uint8_t kOidP521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
const uint8_t kOidEd25519[] = {0x2b, 0x65, 0x70};
const uint8_t kOidX25519[] = {0x2b, 0x65, 0x6e};

struct Curve {
  const char* name;
  int id;
  size_t size;  // bytes of a coordinate or scalar
  View oid;
};

const Curve kCurves[] = {
    {"P-256", ECC_SECP256R1, 32, View(kOidP256)},
    {"P-384", ECC_SECP384R1, 48, View(kOidP384)},
    {"P-521", ECC_SECP521R1, 66, View(kOidP521)},
};

const Curve* curveNamed(std::string_view name) {
  for (const Curve& c : kCurves) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

const Curve* curveWithOid(View oid) {
  for (const Curve& c : kCurves) {
    if (equal(oid, c.oid)) return &c;
  }
  return nullptr;
}

View kindOid(KeyKind kind) {
  switch (kind) {
    case KeyKind::kRsa:
      return View(kOidRsa);
    case KeyKind::kEc:
      return View(kOidEcPublicKey);
    case KeyKind::kEd25519:
      return View(kOidEd25519);
    case KeyKind::kX25519:
      return View(kOidX25519);
  }
  return {};
}

constexpr size_t kOkpSize = 32;

// ---- keys as their parts ----

// What a key is made of, the one representation between DER, JWK and wolfCrypt.
struct KeyData {
  KeyKind kind = KeyKind::kRsa;
  bool isPrivate = false;
  Bytes n, e, d, p, q, dp, dq, qi;  // RSA, minimal big-endian
  const Curve* curve = nullptr;     // EC
  Bytes pub;                        // EC: the uncompressed point; OKP: 32 bytes
  Bytes priv;  // EC: the scalar, the curve's size; OKP: 32 bytes (Ed25519's seed)

  KeyData() = default;
  KeyData(const KeyData&) = delete;
  KeyData& operator=(const KeyData&) = delete;
  // Private parts do not linger in freed memory.
  ~KeyData() {
    for (Bytes* b : {&d, &p, &q, &dp, &dq, &qi, &priv}) wipe(b->data(), b->size());
  }
};

Bytes algorithmIdentifier(const KeyData& k) {
  static const uint8_t kNullParams[2] = {kNull, 0};
  Bytes oid = tlv(kOid, {kindOid(k.kind)});
  if (k.kind == KeyKind::kRsa) return tlv(kSequence, {oid, View(kNullParams)});
  if (k.kind == KeyKind::kEc) return tlv(kSequence, {oid, tlv(kOid, {k.curve->oid})});
  return tlv(kSequence, {oid});
}

Bytes rsaPublicKey(const KeyData& k) {
  return tlv(kSequence, {derUnsigned(k.n), derUnsigned(k.e)});
}

Bytes rsaPrivateKey(const KeyData& k) {
  static const uint8_t kZero[3] = {kInteger, 1, 0};
  return tlv(kSequence,
             {View(kZero), derUnsigned(k.n), derUnsigned(k.e), derUnsigned(k.d), derUnsigned(k.p),
              derUnsigned(k.q), derUnsigned(k.dp), derUnsigned(k.dq), derUnsigned(k.qi)});
}

Bytes encodeSpki(const KeyData& k) {
  Bytes key = k.kind == KeyKind::kRsa ? rsaPublicKey(k) : k.pub;
  return tlv(kSequence, {algorithmIdentifier(k), bitString(key)});
}

Bytes encodePkcs8(const KeyData& k) {
  static const uint8_t kVersion0[3] = {kInteger, 1, 0};
  static const uint8_t kVersion1[3] = {kInteger, 1, 1};
  Bytes inner;
  if (k.kind == KeyKind::kRsa) {
    inner = rsaPrivateKey(k);
  } else if (k.kind == KeyKind::kEc) {
    // RFC 5915 with the public key and without the parameters (they are in the
    // AlgorithmIdentifier), as OpenSSL and BoringSSL write it.
    inner = tlv(kSequence,
                {View(kVersion1), tlv(kOctetString, {k.priv}), tlv(0xa1, {bitString(k.pub)})});
  } else {
    inner = tlv(kOctetString, {k.priv});
  }
  return tlv(kSequence, {View(kVersion0), algorithmIdentifier(k), tlv(kOctetString, {inner})});
}

// The AlgorithmIdentifier: its OID must be the kind's, EC's parameter a named curve.
bool readAlgorithm(DerReader& r, KeyKind kind, const char* what, KeyData& k, KeyError& error) {
  View alg, oid;
  std::string invalid =
      std::string("The key data is not a valid ") + what + " for " + kindName(kind) + ".";
  if (!r.read(kSequence, alg)) return dataError(error, invalid);
  DerReader a(alg);
  if (!a.read(kOid, oid)) return dataError(error, invalid);
  if (!equal(oid, kindOid(kind))) {
    return dataError(error, std::string("The key data's algorithm is not ") + kindName(kind) +
                                (kind == KeyKind::kRsa ? " (rsaEncryption)." : "."));
  }
  if (kind == KeyKind::kRsa) {
    View params;
    if (a.peek(kNull) && (!a.read(kNull, params) || !params.empty()))
      return dataError(error, invalid);
  } else if (kind == KeyKind::kEc) {
    View curve;
    if (!a.read(kOid, curve)) {
      return dataError(error, "The key data's EC parameters are not a named curve.");
    }
    k.curve = curveWithOid(curve);
    if (!k.curve)
      return fail(error, "NotSupportedError", "The key data's named curve is not supported.");
  }
  if (!a.done()) return dataError(error, invalid);
  return true;
}

// ---- checks and completion through wolfCrypt ----

bool loadRsaPublic(const KeyData& k, Rsa& rsa, KeyError& error) {
  int rc = rsa.ready ? wc_RsaPublicKeyDecodeRaw(bytePtr(k.n), word32(k.n.size()), bytePtr(k.e),
                                                word32(k.e.size()), &rsa.key)
                     : MEMORY_E;
  if (rc != 0)
    return dataError(error,
                     std::string("The RSA public key is not usable: ") + wc_GetErrorString(rc));
  return true;
}

bool loadRsaPrivate(const KeyData& k, Rsa& rsa, KeyError& error) {
  Bytes der = rsaPrivateKey(k);
  word32 idx = 0;
  int rc =
      rsa.ready ? wc_RsaPrivateKeyDecode(der.data(), &idx, &rsa.key, word32(der.size())) : MEMORY_E;
  if (rc != 0)
    return dataError(error,
                     std::string("The RSA private key is not usable: ") + wc_GetErrorString(rc));
  if (WC_RNG* rng = threadRng()) wc_RsaSetRNG(&rsa.key, rng);
  return true;
}

// On import only (sign and decrypt trust their own PKCS#8): the parts are one key, as a
// signature by the private part (wolfCrypt signs with the CRT members) that the public part
// verifies shows. (wc_CheckRsaKey is not in this wolfSSL build.)
bool checkRsaPrivate(const KeyData& k, KeyError& error) {
  Rsa priv, pub;
  if (!loadRsaPrivate(k, priv, error) || !loadRsaPublic(k, pub, error)) return false;
  WC_RNG* rng = threadRng();
  size_t size = size_t(wc_RsaEncryptSize(&priv.key));
  static const uint8_t kProbe[] = "torus RSA key check";
  Bytes sig(size), plain(size);
  int rc = rng ? wc_RsaSSL_Sign(kProbe, sizeof kProbe, sig.data(), word32(size), &priv.key, rng)
               : RNG_FAILURE_E;
  if (rc > 0) rc = wc_RsaSSL_Verify(sig.data(), word32(rc), plain.data(), word32(size), &pub.key);
  bool ok = rc == int(sizeof kProbe) && memcmp(plain.data(), kProbe, sizeof kProbe) == 0;
  // And d, which the CRT does not use but JWK export gives out: (x^e)^d = x mod n.
  mp_int x, y, z;
  if (ok && mp_init_multi(&x, &y, &z, nullptr, nullptr, nullptr) == MP_OKAY) {
    ok = mp_read_unsigned_bin(&x, kProbe, sizeof kProbe) == MP_OKAY &&
         mp_exptmod(&x, &priv.key.e, &priv.key.n, &y) == MP_OKAY &&
         mp_exptmod(&y, &priv.key.d, &priv.key.n, &z) == MP_OKAY && mp_cmp(&x, &z) == MP_EQ;
    mp_forcezero(&y);
    mp_forcezero(&z);
    mp_clear(&x);
  }
  if (!ok) return dataError(error, "The key data is not a consistent RSA private key.");
  return true;
}

// An EC public point (uncompressed or compressed) on k.curve; k.pub becomes uncompressed.
bool setEcPoint(KeyData& k, View point, KeyError& error) {
  std::string bad = std::string("The key data is not a valid point on ") + k.curve->name + ".";
  size_t size = k.curve->size;
  if (!(point.size() == 1 + 2 * size && point[0] == 0x04) &&
      !(point.size() == 1 + size && (point[0] == 0x02 || point[0] == 0x03))) {
    return dataError(error, bad);
  }
  Ecc ecc;
  if (!ecc.ready ||
      wc_ecc_import_x963_ex(point.data(), word32(point.size()), &ecc.key, k.curve->id) != 0 ||
      wc_ecc_check_key(&ecc.key) != 0) {
    return dataError(error, bad);
  }
  k.pub.resize(1 + 2 * size);
  word32 len = word32(k.pub.size());
  if (wc_ecc_export_x963(&ecc.key, k.pub.data(), &len) != 0 || len != k.pub.size()) {
    return dataError(error, bad);
  }
  return true;
}

// The public key of a private EC/OKP key, checked against `given` when there is one.
bool completePrivate(KeyData& k, View given, KeyError& error) {
  Bytes pub;
  if (k.kind == KeyKind::kEc) {
    Ecc ecc;
    pub.resize(1 + 2 * k.curve->size);
    word32 len = word32(pub.size());
    if (!ecc.ready ||
        wc_ecc_import_private_key_ex(k.priv.data(), word32(k.priv.size()), nullptr, 0, &ecc.key,
                                     k.curve->id) != 0 ||
        wc_ecc_make_pub(&ecc.key, nullptr) != 0 ||
        wc_ecc_export_x963(&ecc.key, pub.data(), &len) != 0) {
      return dataError(error, std::string("The key data's private key is not a valid scalar for ") +
                                  k.curve->name + ".");
    }
    if (!given.empty()) {
      KeyData check;
      check.kind = k.kind;
      check.curve = k.curve;
      if (!setEcPoint(check, given, error)) return false;
      if (!equal(check.pub, pub)) {
        return dataError(error, "The key data's public key does not match its private key.");
      }
    }
  } else if (k.kind == KeyKind::kEd25519) {
    Ed ed;
    pub.resize(kOkpSize);
    if (!ed.ready ||
        wc_ed25519_import_private_only(k.priv.data(), word32(k.priv.size()), &ed.key) != 0 ||
        wc_ed25519_make_public(&ed.key, pub.data(), word32(pub.size())) != 0) {
      return dataError(error, "The key data is not a valid Ed25519 private key.");
    }
  } else if (k.kind == KeyKind::kX25519) {
    // RFC 7748 5: the scalar is clamped when used; wolfCrypt wants it clamped already.
    uint8_t scalar[kOkpSize];
    memcpy(scalar, k.priv.data(), kOkpSize);
    scalar[0] &= 248;
    scalar[31] = uint8_t((scalar[31] & 127) | 64);
    pub.resize(kOkpSize);
    int rc = wc_curve25519_make_pub(int(kOkpSize), pub.data(), int(kOkpSize), scalar);
    wipe(scalar, sizeof scalar);
    if (rc != 0) return dataError(error, "The key data is not a valid X25519 private key.");
  }
  if (k.kind != KeyKind::kEc && !given.empty() && !equal(given, pub)) {
    return dataError(error, "The key data's public key does not match its private key.");
  }
  k.pub = std::move(pub);
  return true;
}

// ---- DER in ----

bool parseRsaPublic(View der, KeyData& k) {
  DerReader outer(der);
  View seq;
  if (!outer.read(kSequence, seq) || !outer.done()) return false;
  DerReader r(seq);
  return r.readUnsigned(k.n) && r.readUnsigned(k.e) && r.done() && !k.n.empty() && !k.e.empty();
}

bool parseRsaPrivate(View der, KeyData& k) {
  DerReader outer(der);
  View seq;
  if (!outer.read(kSequence, seq) || !outer.done()) return false;
  DerReader r(seq);
  unsigned version;
  // Version 1 (multi-prime) is not supported: WebCrypto's JWK import rejects "oth" too.
  return r.readSmall(version) && version == 0 && r.readUnsigned(k.n) && r.readUnsigned(k.e) &&
         r.readUnsigned(k.d) && r.readUnsigned(k.p) && r.readUnsigned(k.q) &&
         r.readUnsigned(k.dp) && r.readUnsigned(k.dq) && r.readUnsigned(k.qi) && r.done() &&
         !k.n.empty() && !k.e.empty() && !k.d.empty() && !k.p.empty() && !k.q.empty();
}

bool parseSpki(KeyKind kind, View der, KeyData& k, KeyError& error) {
  std::string invalid = std::string("The key data is not a valid SPKI for ") + kindName(kind) + ".";
  k.kind = kind;
  k.isPrivate = false;
  DerReader outer(der);
  View seq, key;
  if (!outer.read(kSequence, seq)) return dataError(error, invalid);
  if (!outer.done()) return dataError(error, "The key data has bytes after the SPKI.");
  DerReader r(seq);
  if (!readAlgorithm(r, kind, "SPKI", k, error)) return false;
  if (!readBitString(r, key) || !r.done()) return dataError(error, invalid);
  switch (kind) {
    case KeyKind::kRsa: {
      Rsa rsa;
      if (!parseRsaPublic(key, k)) return dataError(error, invalid);
      return loadRsaPublic(k, rsa, error);
    }
    case KeyKind::kEc:
      return setEcPoint(k, key, error);
    case KeyKind::kEd25519:
    case KeyKind::kX25519:
      if (key.size() != kOkpSize) return dataError(error, invalid);
      k.pub.assign(key.begin(), key.end());
      return true;
  }
  return dataError(error, invalid);
}

// `trusted`: der is a key this process made canonical (a CryptoKey's, at sign time): the
// public key is neither checked nor derived unless the operation needs it.
bool parsePkcs8(KeyKind kind, View der, KeyData& k, KeyError& error, bool trusted = false) {
  std::string invalid =
      std::string("The key data is not a valid PKCS #8 for ") + kindName(kind) + ".";
  k.kind = kind;
  k.isPrivate = true;
  DerReader outer(der);
  View seq, key;
  if (!outer.read(kSequence, seq)) return dataError(error, invalid);
  if (!outer.done()) return dataError(error, "The key data has bytes after the PKCS #8.");
  DerReader r(seq);
  unsigned version;
  if (!r.readSmall(version) || version > 1) return dataError(error, invalid);
  if (!readAlgorithm(r, kind, "PKCS #8", k, error)) return false;
  if (!r.read(kOctetString, key)) return dataError(error, invalid);
  // RFC 5958's attributes [0] and publicKey [1] may follow.
  View givenPublic;
  while (!r.done()) {
    uint8_t tag;
    if (r.peek(0x81)) {
      View bits;
      r.read(0x81, bits);
      if (bits.empty() || bits[0] != 0) return dataError(error, invalid);
      givenPublic = bits.subspan(1);
      continue;
    }
    if (!r.skip(tag) || (tag & 0xc0) != 0x80) return dataError(error, invalid);
  }
  switch (kind) {
    case KeyKind::kRsa: {
      Rsa rsa;
      if (!parseRsaPrivate(key, k)) return dataError(error, invalid);
      return loadRsaPrivate(k, rsa, error);
    }
    case KeyKind::kEc: {
      // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
      //   parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }
      DerReader inner(key);
      View ec, scalar, params, pubWrap, point;
      if (!inner.read(kSequence, ec) || !inner.done()) return dataError(error, invalid);
      DerReader e(ec);
      unsigned ecVersion;
      if (!e.readSmall(ecVersion) || ecVersion != 1 || !e.read(kOctetString, scalar)) {
        return dataError(error, invalid);
      }
      if (e.peek(0xa0)) {
        View oid;
        DerReader pr((e.read(0xa0, params), params));
        if (!pr.read(kOid, oid) || !pr.done() || !equal(oid, k.curve->oid)) {
          return dataError(error,
                           "The key data's ECPrivateKey parameters do not match its "
                           "algorithm's named curve.");
        }
      }
      if (e.peek(0xa1)) {
        e.read(0xa1, pubWrap);
        DerReader pw(pubWrap);
        if (!readBitString(pw, point) || !pw.done()) return dataError(error, invalid);
      }
      if (!e.done()) return dataError(error, invalid);
      Bytes d = stripZeros(scalar);
      if (d.size() > k.curve->size) return dataError(error, invalid);
      k.priv.assign(k.curve->size - d.size(), 0);
      k.priv.insert(k.priv.end(), d.begin(), d.end());
      if (trusted) return true;  // ECDSA signs with the scalar alone
      return completePrivate(k, point.empty() ? givenPublic : point, error);
    }
    case KeyKind::kEd25519:
    case KeyKind::kX25519: {
      DerReader inner(key);
      View raw;
      if (!inner.read(kOctetString, raw) || !inner.done() || raw.size() != kOkpSize) {
        return dataError(error, invalid);
      }
      k.priv.assign(raw.begin(), raw.end());
      if (trusted) return true;  // sign() finds or derives the public key
      return completePrivate(k, givenPublic, error);
    }
  }
  return dataError(error, invalid);
}

// An SPKI or a PKCS#8: a PrivateKeyInfo starts with its version, an SPKI with a SEQUENCE.
bool parseAny(KeyKind kind, View der, KeyData& k, KeyError& error) {
  DerReader outer(der);
  View seq;
  if (outer.read(kSequence, seq)) {
    DerReader r(seq);
    if (r.peek(kInteger)) return parsePkcs8(kind, der, k, error);
  }
  return parseSpki(kind, der, k, error);
}

bool checkCurve(const KeyData& k, std::string_view curve, KeyError& error) {
  if (k.kind != KeyKind::kEc || curve == k.curve->name) return true;
  return dataError(error, std::string("The named curve of the key data (") + k.curve->name +
                              ") does not match '" + std::string(curve) + "'.");
}

void finishImport(const KeyData& k, ImportedKey& out) {
  out.der = k.isPrivate ? encodePkcs8(k) : encodeSpki(k);
  out.isPrivate = k.isPrivate;
  out.modulusLength = 0;
  out.publicExponent.clear();
  out.namedCurve.clear();
  if (k.kind == KeyKind::kRsa) {
    out.modulusLength = uint32_t(k.n.size() * 8);
    for (uint8_t top = k.n[0]; !(top & 0x80); top <<= 1) --out.modulusLength;
    out.publicExponent = k.e;
  } else if (k.kind == KeyKind::kEc) {
    out.namedCurve = k.curve->name;
  }
}

int mgfFor(int hash) {
  switch (hash) {
    case WC_HASH_TYPE_SHA:
      return WC_MGF1SHA1;
    case WC_HASH_TYPE_SHA256:
      return WC_MGF1SHA256;
    case WC_HASH_TYPE_SHA384:
      return WC_MGF1SHA384;
    case WC_HASH_TYPE_SHA512:
      return WC_MGF1SHA512;
  }
  return WC_MGF1NONE;
}

// MGF1 (RFC 8017 B.2.1) of seed, XORed into `into`.
bool mgf1Xor(int hash, View seed, uint8_t* into, size_t length) {
  Bytes block(seed.begin(), seed.end()), mask;
  block.resize(seed.size() + 4);
  for (uint32_t counter = 0, done = 0; done < length; ++counter) {
    for (int i = 0; i < 4; ++i) block[seed.size() + i] = uint8_t(counter >> (24 - 8 * i));
    if (!digest(hash, block, mask)) return false;
    for (size_t i = 0; i < mask.size() && done < length; ++i) into[done++] ^= mask[i];
  }
  return true;
}

// EME-OAEP encoding (RFC 8017 7.1.1 step 2) of the empty message for a k-byte modulus.
bool oaepEncodeEmpty(int hash, View label, size_t k, WC_RNG* rng, Bytes& em) {
  size_t h = hashSize(hash);
  if (k < 2 * h + 2) return false;
  Bytes lHash;
  if (!digest(hash, label, lHash)) return false;
  em.assign(k, 0);
  uint8_t* seed = em.data() + 1;
  uint8_t* db = seed + h;
  size_t dbLen = k - h - 1;
  memcpy(db, lHash.data(), h);
  db[dbLen - 1] = 0x01;  // PS (zeros) || 0x01 || M (empty)
  if (wc_RNG_GenerateBlock(rng, seed, word32(h)) != 0) return false;
  return mgf1Xor(hash, View(seed, h), db, dbLen) && mgf1Xor(hash, View(db, dbLen), seed, h);
}

// Whether a decrypted block is EME-OAEP's encoding of the empty message, looking at every
// byte whatever it finds.
bool oaepIsEmpty(int hash, View label, Bytes& em) {
  size_t h = hashSize(hash), k = em.size();
  Bytes lHash;
  if (k < 2 * h + 2 || !digest(hash, label, lHash)) return false;
  uint8_t* seed = em.data() + 1;
  uint8_t* db = seed + h;
  size_t dbLen = k - h - 1;
  if (!mgf1Xor(hash, View(db, dbLen), seed, h) || !mgf1Xor(hash, View(seed, h), db, dbLen)) {
    return false;
  }
  uint8_t diff = em[0];
  for (size_t i = 0; i < h; ++i) diff |= uint8_t(db[i] ^ lHash[i]);
  for (size_t i = h; i < dbLen - 1; ++i) diff |= db[i];
  diff |= uint8_t(db[dbLen - 1] ^ 0x01);
  return diff == 0;
}

}  // namespace

std::optional<KeyKind> keyKind(std::string_view name) {
  if (name == "RSA") return KeyKind::kRsa;
  if (name == "EC") return KeyKind::kEc;
  if (name == "Ed25519") return KeyKind::kEd25519;
  if (name == "X25519") return KeyKind::kX25519;
  return std::nullopt;
}

std::optional<SignatureAlgorithm> signatureAlgorithm(std::string_view name) {
  if (name == "RSASSA-PKCS1-v1_5") return SignatureAlgorithm::kRsaPkcs1;
  if (name == "RSA-PSS") return SignatureAlgorithm::kRsaPss;
  if (name == "ECDSA") return SignatureAlgorithm::kEcdsa;
  if (name == "Ed25519") return SignatureAlgorithm::kEd25519;
  return std::nullopt;
}

bool generateKeyPair(KeyKind kind, uint32_t modulusBits, View publicExponent,
                     std::string_view curve, KeyPair& out, KeyError& error) {
  WC_RNG* rng = threadRng();
  if (!rng) return operationError(error, "random number generator", RNG_FAILURE_E);
  KeyData k;
  k.kind = kind;
  k.isPrivate = true;
  switch (kind) {
    case KeyKind::kRsa: {
      Bytes e = stripZeros(publicExponent);
      if (e.empty() || e.size() > 4) {
        return fail(error, "OperationError",
                    "The public exponent is not supported (it must be "
                    "odd, at least 3 and at most 32 bits).");
      }
      long exponent = 0;
      for (uint8_t b : e) exponent = (exponent << 8) | b;
      if (exponent < 3 || (exponent & 1) == 0) {
        return fail(error, "OperationError", "The public exponent must be odd and at least 3.");
      }
      if (modulusBits < RSA_MIN_SIZE || modulusBits > RSA_MAX_SIZE || modulusBits % 8 != 0) {
        return fail(error, "OperationError",
                    "The modulus length (" + std::to_string(modulusBits) +
                        " bits) is not "
                        "supported: it must be a multiple of 8 from " +
                        std::to_string(RSA_MIN_SIZE) + " to " + std::to_string(RSA_MAX_SIZE) + ".");
      }
      Rsa rsa;
      int rc = rsa.ready ? wc_MakeRsaKey(&rsa.key, int(modulusBits), exponent, rng) : MEMORY_E;
      if (rc != 0) return operationError(error, "RSA key generation", rc);
      Bytes der(modulusBits / 8 * 5 + 64);
      rc = wc_RsaKeyToDer(&rsa.key, der.data(), word32(der.size()));
      if (rc <= 0) return operationError(error, "RSA key encoding", rc);
      der.resize(size_t(rc));
      if (!parseRsaPrivate(der, k))
        return fail(error, "OperationError", "RSA key encoding failed.");
      break;
    }
    case KeyKind::kEc: {
      k.curve = curveNamed(curve);
      if (!k.curve) return fail(error, "NotSupportedError", "The named curve is not supported.");
      Ecc ecc;
      int rc =
          ecc.ready ? wc_ecc_make_key_ex(rng, int(k.curve->size), &ecc.key, k.curve->id) : MEMORY_E;
      if (rc != 0) return operationError(error, "EC key generation", rc);
      k.priv.resize(k.curve->size);
      k.pub.resize(1 + 2 * k.curve->size);
      word32 privLen = word32(k.priv.size()), pubLen = word32(k.pub.size());
      rc = wc_ecc_export_private_only(&ecc.key, k.priv.data(), &privLen);
      if (rc == 0) rc = wc_ecc_export_x963(&ecc.key, k.pub.data(), &pubLen);
      if (rc != 0) return operationError(error, "EC key export", rc);
      if (privLen < k.priv.size()) {  // left-pad a short scalar
        k.priv.resize(privLen);
        k.priv.insert(k.priv.begin(), k.curve->size - privLen, 0);
      }
      break;
    }
    case KeyKind::kEd25519: {
      Ed ed;
      int rc = ed.ready ? wc_ed25519_make_key(rng, ED25519_KEY_SIZE, &ed.key) : MEMORY_E;
      k.priv.resize(kOkpSize);
      k.pub.resize(kOkpSize);
      word32 privLen = kOkpSize, pubLen = kOkpSize;
      if (rc == 0) rc = wc_ed25519_export_private_only(&ed.key, k.priv.data(), &privLen);
      if (rc == 0) rc = wc_ed25519_export_public(&ed.key, k.pub.data(), &pubLen);
      if (rc != 0) return operationError(error, "Ed25519 key generation", rc);
      break;
    }
    case KeyKind::kX25519: {
      k.priv.resize(kOkpSize);
      int rc = wc_RNG_GenerateBlock(rng, k.priv.data(), kOkpSize);
      if (rc != 0) return operationError(error, "X25519 key generation", rc);
      k.priv[0] &= 248;
      k.priv[31] = uint8_t((k.priv[31] & 127) | 64);
      if (!completePrivate(k, {}, error)) return false;
      break;
    }
  }
  out.spki = encodeSpki(k);
  out.pkcs8 = encodePkcs8(k);
  return true;
}

bool importKey(KeyKind kind, std::string_view format, View data, std::string_view curve,
               ImportedKey& out, KeyError& error) {
  KeyData k;
  k.kind = kind;
  if (format == "spki") {
    if (!parseSpki(kind, data, k, error)) return false;
  } else if (format == "pkcs8") {
    if (!parsePkcs8(kind, data, k, error)) return false;
    if (kind == KeyKind::kRsa && !checkRsaPrivate(k, error)) return false;
  } else if (format == "raw") {
    if (kind == KeyKind::kRsa)
      return fail(error, "NotSupportedError", "RSA keys have no raw format.");
    if (kind == KeyKind::kEc) {
      k.curve = curveNamed(curve);
      if (!k.curve) return fail(error, "NotSupportedError", "The named curve is not supported.");
      if (!setEcPoint(k, data, error)) return false;
    } else {
      if (data.size() != kOkpSize) {
        return dataError(error, std::string("The key data is not a ") + kindName(kind) +
                                    " public key (32 bytes).");
      }
      k.pub.assign(data.begin(), data.end());
    }
  } else {
    return fail(error, "NotSupportedError", "The key format is not supported.");
  }
  if (!checkCurve(k, curve, error)) return false;
  finishImport(k, out);
  return true;
}

bool importJwk(KeyKind kind, const JwkFields& jwk, std::string_view curve, ImportedKey& out,
               KeyError& error) {
  KeyData k;
  k.kind = kind;
  k.isPrivate = jwk.d.has_value();
  auto member = [&](const std::optional<Bytes>& v, const char* name, Bytes& to) {
    if (!v || v->empty()) {
      return dataError(error, std::string("The JWK's member '") + name + "' is missing.");
    }
    to = stripZeros(*v);
    if (to.empty())
      return dataError(error, std::string("The JWK's member '") + name + "' is zero.");
    return true;
  };
  if (kind == KeyKind::kRsa) {
    if (!member(jwk.n, "n", k.n) || !member(jwk.e, "e", k.e)) return false;
    if (k.isPrivate) {
      if (!member(jwk.d, "d", k.d) || !member(jwk.p, "p", k.p) || !member(jwk.q, "q", k.q) ||
          !member(jwk.dp, "dp", k.dp) || !member(jwk.dq, "dq", k.dq) ||
          !member(jwk.qi, "qi", k.qi)) {
        return false;
      }
      if (!checkRsaPrivate(k, error)) return false;
    } else {
      Rsa rsa;
      if (!loadRsaPublic(k, rsa, error)) return false;
    }
  } else if (kind == KeyKind::kEc) {
    k.curve = curveNamed(curve);
    if (!k.curve) return fail(error, "NotSupportedError", "The named curve is not supported.");
    size_t size = k.curve->size;
    auto sized = [&](const std::optional<Bytes>& v, const char* name) {
      if (!v) return dataError(error, std::string("The JWK's member '") + name + "' is missing.");
      if (v->size() != size) {
        return dataError(error, std::string("The JWK's member '") + name + "' is " +
                                    std::to_string(v->size()) + " bytes, not " +
                                    std::to_string(size) + " as " + k.curve->name + " needs.");
      }
      return true;
    };
    if (!sized(jwk.x, "x") || !sized(jwk.y, "y")) return false;
    Bytes point{0x04};
    point.insert(point.end(), jwk.x->begin(), jwk.x->end());
    point.insert(point.end(), jwk.y->begin(), jwk.y->end());
    if (k.isPrivate) {
      if (!sized(jwk.d, "d")) return false;
      k.priv = *jwk.d;
      if (!completePrivate(k, point, error)) return false;
    } else if (!setEcPoint(k, point, error)) {
      return false;
    }
  } else {
    auto sized = [&](const std::optional<Bytes>& v, const char* name) {
      if (!v || v->size() != kOkpSize) {
        return dataError(error, std::string("The JWK's member '") + name + "' is not 32 bytes.");
      }
      return true;
    };
    if (!sized(jwk.x, "x")) return false;
    if (k.isPrivate) {
      if (!sized(jwk.d, "d")) return false;
      k.priv = *jwk.d;
      if (!completePrivate(k, *jwk.x, error)) return false;
    } else {
      k.pub = *jwk.x;
    }
  }
  finishImport(k, out);
  return true;
}

bool exportRaw(KeyKind kind, View der, Bytes& out, KeyError& error) {
  if (kind == KeyKind::kRsa)
    return fail(error, "NotSupportedError", "RSA keys have no raw format.");
  KeyData k;
  if (!parseAny(kind, der, k, error)) return false;
  out = k.pub;
  return true;
}

bool exportJwk(KeyKind kind, View der, JwkFields& out, KeyError& error) {
  KeyData k;
  if (!parseAny(kind, der, k, error)) return false;
  out = JwkFields{};
  if (kind == KeyKind::kRsa) {
    out.n = k.n;
    out.e = k.e;
    if (k.isPrivate) {
      out.d = k.d;
      out.p = k.p;
      out.q = k.q;
      out.dp = k.dp;
      out.dq = k.dq;
      out.qi = k.qi;
    }
  } else if (kind == KeyKind::kEc) {
    size_t size = k.curve->size;
    out.x = Bytes(k.pub.begin() + 1, k.pub.begin() + 1 + size);
    out.y = Bytes(k.pub.begin() + 1 + size, k.pub.end());
    if (k.isPrivate) out.d = k.priv;
  } else {
    out.x = k.pub;
    if (k.isPrivate) out.d = k.priv;
  }
  return true;
}

namespace {

// The imported wolfCrypt keys of the Ed25519 private keys this thread signed with lately:
// importing one derives its public key (and wolfCrypt checks the pair), which costs as much
// as the signature itself. Direct-mapped, 16 entries: a fixed size.
class Ed25519KeyCache {
 public:
  ~Ed25519KeyCache() {
    for (Entry& e : entries_) {
      if (e.used) wc_ed25519_free(&e.key);
      wipe(e.priv, sizeof e.priv);
    }
  }
  ed25519_key* find(KeyData& k, KeyError& error) {
    uint32_t h = 2166136261u;  // FNV-1a of the first bytes spreads random keys well enough
    for (size_t i = 0; i < 8; ++i) h = (h ^ k.priv[i]) * 16777619u;
    Entry& e = entries_[h % kEntries];
    if (e.used && memcmp(e.priv, k.priv.data(), kOkpSize) == 0) return &e.key;
    if (!completePrivate(k, {}, error)) return nullptr;
    if (e.used) wc_ed25519_free(&e.key);
    e.used = false;
    if (wc_ed25519_init(&e.key) != 0) {
      operationError(error, "Ed25519 key", MEMORY_E);
      return nullptr;
    }
    e.used = true;
    int rc = wc_ed25519_import_private_key(k.priv.data(), word32(k.priv.size()), k.pub.data(),
                                           word32(k.pub.size()), &e.key);
    if (rc != 0) {
      wc_ed25519_free(&e.key);
      e.used = false;
      operationError(error, "Ed25519 key", rc);
      return nullptr;
    }
    memcpy(e.priv, k.priv.data(), kOkpSize);
    return &e.key;
  }

 private:
  static constexpr size_t kEntries = 16;
  struct Entry {
    uint8_t priv[kOkpSize] = {};
    ed25519_key key;
    bool used = false;
  };
  Entry entries_[kEntries];
};

ed25519_key* ed25519KeyFor(KeyData& k, KeyError& error) {
  thread_local Ed25519KeyCache cache;
  return cache.find(k, error);
}

}  // namespace

bool sign(SignatureAlgorithm alg, View pkcs8, View data, int hash, uint32_t saltLength, Bytes& out,
          KeyError& error) {
  WC_RNG* rng = threadRng();
  if (!rng) return operationError(error, "random number generator", RNG_FAILURE_E);
  KeyKind kind = alg == SignatureAlgorithm::kEcdsa     ? KeyKind::kEc
                 : alg == SignatureAlgorithm::kEd25519 ? KeyKind::kEd25519
                                                       : KeyKind::kRsa;
  KeyData k;
  if (!parsePkcs8(kind, pkcs8, k, error, /*trusted=*/true)) return false;
  if (alg == SignatureAlgorithm::kEd25519) {
    ed25519_key* key = ed25519KeyFor(k, error);
    if (!key) return false;
    out.resize(ED25519_SIG_SIZE);
    word32 len = ED25519_SIG_SIZE;
    int rc = wc_ed25519_sign_msg(bytePtr(data), word32(data.size()), out.data(), &len, key);
    if (rc != 0) return operationError(error, "Ed25519 signing", rc);
    return true;
  }
  Bytes digestBytes;
  if (!digest(hash, data, digestBytes)) {
    return fail(error, "OperationError", "The hash is not supported.");
  }
  if (alg == SignatureAlgorithm::kEcdsa) {
    Ecc ecc;
    int rc = ecc.ready ? wc_ecc_import_private_key_ex(k.priv.data(), word32(k.priv.size()), nullptr,
                                                      0, &ecc.key, k.curve->id)
                       : MEMORY_E;
    uint8_t der[ECC_MAX_SIG_SIZE];
    word32 derLen = sizeof der;
    if (rc == 0) {
      rc = wc_ecc_sign_hash(digestBytes.data(), word32(digestBytes.size()), der, &derLen, rng,
                            &ecc.key);
    }
    size_t size = k.curve->size;
    Bytes r(size), s(size);
    word32 rLen = word32(size), sLen = word32(size);
    if (rc == 0) rc = wc_ecc_sig_to_rs(der, derLen, r.data(), &rLen, s.data(), &sLen);
    if (rc != 0) return operationError(error, "ECDSA signing", rc);
    out.assign(2 * size, 0);
    memcpy(out.data() + size - rLen, r.data(), rLen);
    memcpy(out.data() + 2 * size - sLen, s.data(), sLen);
    return true;
  }
  Rsa rsa;
  if (!loadRsaPrivate(k, rsa, error)) return false;
  out.resize(size_t(wc_RsaEncryptSize(&rsa.key)));
  int rc;
  if (alg == SignatureAlgorithm::kRsaPkcs1) {
    uint8_t encoded[kMaxDigestInfo];
    word32 encodedLen = wc_EncodeSignature(encoded, digestBytes.data(), word32(digestBytes.size()),
                                           wc_HashGetOID(static_cast<enum wc_HashType>(hash)));
    rc = wc_RsaSSL_Sign(encoded, encodedLen, out.data(), word32(out.size()), &rsa.key, rng);
  } else {
    if (saltLength > out.size()) {
      return fail(error, "OperationError", "The salt length is too large for the key.");
    }
    rc = wc_RsaPSS_Sign_ex(digestBytes.data(), word32(digestBytes.size()), out.data(),
                           word32(out.size()), static_cast<enum wc_HashType>(hash), mgfFor(hash),
                           int(saltLength), &rsa.key, rng);
    if (rc == PSS_SALTLEN_E || rc == BAD_PADDING_E) {
      return fail(error, "OperationError",
                  "The salt length (" + std::to_string(saltLength) +
                      " bytes) is too large for the key and hash.");
    }
  }
  if (rc < 0) return operationError(error, "RSA signing", rc);
  out.resize(size_t(rc));
  return true;
}

bool verify(SignatureAlgorithm alg, View spki, View signature, View data, int hash,
            uint32_t saltLength, bool& valid, KeyError& error) {
  valid = false;
  KeyKind kind = alg == SignatureAlgorithm::kEcdsa     ? KeyKind::kEc
                 : alg == SignatureAlgorithm::kEd25519 ? KeyKind::kEd25519
                                                       : KeyKind::kRsa;
  KeyData k;
  if (!parseSpki(kind, spki, k, error)) return false;
  if (alg == SignatureAlgorithm::kEd25519) {
    Ed ed;
    if (!ed.ready) return operationError(error, "Ed25519", MEMORY_E);
    if (signature.size() != ED25519_SIG_SIZE) return true;
    if (wc_ed25519_import_public(k.pub.data(), word32(k.pub.size()), &ed.key) != 0) return true;
    int res = 0;
    int rc = wc_ed25519_verify_msg(signature.data(), word32(signature.size()), bytePtr(data),
                                   word32(data.size()), &res, &ed.key);
    valid = rc == 0 && res == 1;
    return true;
  }
  Bytes digestBytes;
  if (!digest(hash, data, digestBytes)) {
    return fail(error, "OperationError", "The hash is not supported.");
  }
  if (alg == SignatureAlgorithm::kEcdsa) {
    size_t size = k.curve->size;
    if (signature.size() != 2 * size) return true;
    Ecc ecc;
    if (!ecc.ready ||
        wc_ecc_import_x963_ex(k.pub.data(), word32(k.pub.size()), &ecc.key, k.curve->id) != 0) {
      return operationError(error, "ECDSA", BAD_STATE_E);
    }
    uint8_t der[ECC_MAX_SIG_SIZE];
    word32 derLen = sizeof der;
    if (wc_ecc_rs_raw_to_sig(signature.data(), word32(size), signature.data() + size, word32(size),
                             der, &derLen) != 0) {
      return true;
    }
    int res = 0;
    int rc = wc_ecc_verify_hash(der, derLen, digestBytes.data(), word32(digestBytes.size()), &res,
                                &ecc.key);
    valid = rc == 0 && res == 1;
    return true;
  }
  Rsa rsa;
  if (!loadRsaPublic(k, rsa, error)) return false;
  size_t modulus = size_t(wc_RsaEncryptSize(&rsa.key));
  if (signature.size() != modulus) return true;
  Bytes sig(signature.begin(), signature.end());
  Bytes decoded(modulus);
  if (alg == SignatureAlgorithm::kRsaPkcs1) {
    uint8_t encoded[kMaxDigestInfo];
    word32 encodedLen = wc_EncodeSignature(encoded, digestBytes.data(), word32(digestBytes.size()),
                                           wc_HashGetOID(static_cast<enum wc_HashType>(hash)));
    int rc = wc_RsaSSL_Verify(sig.data(), word32(sig.size()), decoded.data(),
                              word32(decoded.size()), &rsa.key);
    valid = rc > 0 && word32(rc) == encodedLen && memcmp(decoded.data(), encoded, encodedLen) == 0;
    return true;
  }
  if (saltLength > modulus) return true;
  int rc = wc_RsaPSS_Verify_ex(sig.data(), word32(sig.size()), decoded.data(),
                               word32(decoded.size()), static_cast<enum wc_HashType>(hash),
                               mgfFor(hash), int(saltLength), &rsa.key);
  if (rc <= 0) return true;
  int bits = wc_RsaEncryptSize(&rsa.key) * 8;
  rc = wc_RsaPSS_CheckPadding_ex(digestBytes.data(), word32(digestBytes.size()), decoded.data(),
                                 word32(rc), static_cast<enum wc_HashType>(hash), int(saltLength),
                                 bits);
  valid = rc == 0;
  return true;
}

bool rsaOaep(bool encrypt, View der, int hash, View label, View data, Bytes& out, KeyError& error) {
  WC_RNG* rng = threadRng();
  if (!rng) return operationError(error, "random number generator", RNG_FAILURE_E);
  if (hashSize(hash) == 0) return fail(error, "OperationError", "The hash is not supported.");
  KeyData k;
  Rsa rsa;
  if (encrypt) {
    if (!parseSpki(KeyKind::kRsa, der, k, error) || !loadRsaPublic(k, rsa, error)) return false;
  } else {
    if (!parsePkcs8(KeyKind::kRsa, der, k, error) || !loadRsaPrivate(k, rsa, error)) return false;
  }
  Bytes labelCopy(label.begin(), label.end());
  byte* labelPtr = labelCopy.empty() ? nullptr : labelCopy.data();
  out.resize(size_t(wc_RsaEncryptSize(&rsa.key)));
  int rc;
  if (encrypt && data.empty()) {
    // wolfCrypt refuses to encrypt zero bytes, which OAEP allows: pad here, then raw RSA.
    Bytes em;
    if (!oaepEncodeEmpty(hash, label, out.size(), rng, em)) {
      return fail(error, "OperationError", "The key is too small for the hash.");
    }
    rc = wc_RsaPublicEncrypt_ex(em.data(), word32(em.size()), out.data(), word32(out.size()),
                                &rsa.key, rng, WC_RSA_NO_PAD, WC_HASH_TYPE_NONE, 0, nullptr, 0);
  } else if (encrypt) {
    rc = wc_RsaPublicEncrypt_ex(bytePtr(data), word32(data.size()), out.data(), word32(out.size()),
                                &rsa.key, rng, WC_RSA_OAEP_PAD, static_cast<enum wc_HashType>(hash),
                                mgfFor(hash), labelPtr, word32(labelCopy.size()));
    if (rc == RSA_BUFFER_E || rc == BAD_FUNC_ARG) {
      return fail(
          error, "OperationError",
          "The data (" + std::to_string(data.size()) + " bytes) is too long for the key and hash.");
    }
  } else {
    if (data.size() != out.size()) {
      return fail(error, "OperationError", "The data's length is not the modulus's.");
    }
    rc = wc_RsaPrivateDecrypt_ex(data.data(), word32(data.size()), out.data(), word32(out.size()),
                                 &rsa.key, WC_RSA_OAEP_PAD, static_cast<enum wc_HashType>(hash),
                                 mgfFor(hash), labelPtr, word32(labelCopy.size()));
    // wolfCrypt reports an empty message as an error too: on failure, check (in constant
    // time) whether the block is the OAEP encoding of the empty message.
    if (rc <= 0) {
      Bytes em(out.size());
      rc = wc_RsaPrivateDecrypt_ex(data.data(), word32(data.size()), em.data(), word32(em.size()),
                                   &rsa.key, WC_RSA_NO_PAD, WC_HASH_TYPE_NONE, 0, nullptr, 0);
      bool empty = rc == int(em.size()) && oaepIsEmpty(hash, label, em);
      wipe(em.data(), em.size());
      if (!empty) {
        return fail(error, "OperationError",
                    "The data could not be decrypted (wrong key, "
                    "label or hash, or corrupted data).");
      }
      rc = 0;
    }
  }
  if (rc < 0) return operationError(error, "RSA-OAEP", rc);
  out.resize(size_t(rc));
  return true;
}

bool derive(KeyKind kind, View pkcs8, View peerSpki, Bytes& out, KeyError& error) {
  KeyData mine, peer;
  if (!parsePkcs8(kind, pkcs8, mine, error) || !parseSpki(kind, peerSpki, peer, error)) {
    return false;
  }
  if (kind == KeyKind::kEc) {
    if (mine.curve != peer.curve) {
      return fail(error, "InvalidAccessError", "The public key's curve does not match.");
    }
    WC_RNG* rng = threadRng();
    if (!rng) return operationError(error, "random number generator", RNG_FAILURE_E);
    Ecc priv, pub;
    int rc = priv.ready && pub.ready ? 0 : MEMORY_E;
    if (rc == 0) {
      rc = wc_ecc_import_private_key_ex(mine.priv.data(), word32(mine.priv.size()), nullptr, 0,
                                        &priv.key, mine.curve->id);
    }
    if (rc == 0) {
      rc =
          wc_ecc_import_x963_ex(peer.pub.data(), word32(peer.pub.size()), &pub.key, peer.curve->id);
    }
    if (rc == 0) rc = wc_ecc_set_rng(&priv.key, rng);
    out.resize(mine.curve->size);
    word32 len = word32(out.size());
    if (rc == 0) rc = wc_ecc_shared_secret(&priv.key, &pub.key, out.data(), &len);
    if (rc != 0) return operationError(error, "ECDH", rc);
    if (len < out.size()) {  // left-pad to the curve's size
      out.resize(len);
      out.insert(out.begin(), mine.curve->size - len, 0);
    }
    return true;
  }
  if (kind != KeyKind::kX25519) {
    return fail(error, "InvalidAccessError", "The key cannot derive bits.");
  }
  // RFC 7748 5: the u-coordinate's top bit is ignored; wolfCrypt refuses it set.
  uint8_t u[kOkpSize];
  memcpy(u, peer.pub.data(), kOkpSize);
  u[31] &= 0x7f;
  X priv, pub;
  int rc = priv.ready && pub.ready ? 0 : MEMORY_E;
  if (rc == 0) {
    rc = wc_curve25519_import_private_ex(mine.priv.data(), kOkpSize, &priv.key,
                                         EC25519_LITTLE_ENDIAN);
  }
  if (rc == 0) rc = wc_curve25519_import_public_ex(u, kOkpSize, &pub.key, EC25519_LITTLE_ENDIAN);
  out.resize(kOkpSize);
  word32 len = kOkpSize;
  if (rc == 0) {
    rc = wc_curve25519_shared_secret_ex(&priv.key, &pub.key, out.data(), &len,
                                        EC25519_LITTLE_ENDIAN);
  }
  if (rc != 0) return operationError(error, "X25519", rc);
  uint8_t any = 0;
  for (uint8_t b : out) any |= b;
  if (any == 0) {
    return fail(error, "OperationError",
                "The shared secret is all zeros (the public key is of "
                "small order).");
  }
  return true;
}

}  // namespace webcrypto

namespace {

using namespace webcrypto;

using Info = v8::FunctionCallbackInfo<v8::Value>;

void throwKeyError(const Info& info, const KeyError& error) {
  throwError(info.GetIsolate(), JsError::dom(error.name, error.message));
}

bool kindArg(const Info& info, int i, KeyKind& kind) {
  std::optional<KeyKind> k = keyKind(stringArg(info, i));
  if (!k) {
    throwError(info.GetIsolate(),
               JsError::dom("NotSupportedError", "The key type is not supported."));
    return false;
  }
  kind = *k;
  return true;
}

bool algArg(const Info& info, int i, SignatureAlgorithm& alg) {
  std::optional<SignatureAlgorithm> a = signatureAlgorithm(stringArg(info, i));
  if (!a) {
    throwError(info.GetIsolate(),
               JsError::dom("NotSupportedError", "The algorithm is not supported."));
    return false;
  }
  alg = *a;
  return true;
}

int hashArg(const Info& info, int i) { return hashType(stringArg(info, i)); }

void set(v8::Isolate* iso, v8::Local<v8::Object> obj, const char* name, v8::Local<v8::Value> v) {
  obj->Set(iso->GetCurrentContext(), v8::String::NewFromUtf8(iso, name).ToLocalChecked(), v)
      .Check();
}

v8::Local<v8::String> str(v8::Isolate* iso, std::string_view s) {
  return v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal, int(s.size()))
      .ToLocalChecked();
}

void returnImported(const Info& info, ImportedKey&& key) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Object> obj = v8::Object::New(iso);
  set(iso, obj, "der", toArrayBuffer(iso, std::move(key.der)));
  set(iso, obj, "type", str(iso, key.isPrivate ? "private" : "public"));
  if (key.modulusLength) {
    set(iso, obj, "modulusLength", v8::Integer::NewFromUnsigned(iso, key.modulusLength));
    set(iso, obj, "publicExponent", toArrayBuffer(iso, std::move(key.publicExponent)));
  }
  if (!key.namedCurve.empty()) set(iso, obj, "namedCurve", str(iso, key.namedCurve));
  info.GetReturnValue().Set(obj);
}

// The JWK members' names and where they live in JwkFields.
struct JwkMember {
  const char* name;
  std::optional<Bytes> JwkFields::*field;
};
const JwkMember kJwkMembers[] = {
    {"n", &JwkFields::n}, {"e", &JwkFields::e},   {"d", &JwkFields::d},   {"p", &JwkFields::p},
    {"q", &JwkFields::q}, {"dp", &JwkFields::dp}, {"dq", &JwkFields::dq}, {"qi", &JwkFields::qi},
    {"x", &JwkFields::x}, {"y", &JwkFields::y},
};

// pkeyGenerate(kind, a, b)
void pkeyGenerate(const Info& info) {
  KeyKind kind;
  if (!kindArg(info, 0, kind)) return;
  uint32_t bits = 0;
  Bytes exponent;
  std::string curve;
  if (kind == KeyKind::kRsa) {
    bits = u32Arg(info, 1);
    InputBytes e(info[2]);
    exponent = e.copy();
  } else if (kind == KeyKind::kEc) {
    curve = stringArg(info, 1);
  }
  if (kind == KeyKind::kRsa) {
    // Seconds for big moduli: on the helper pool.
    info.GetReturnValue().Set(startCryptoJob(info.GetIsolate(), [bits, exponent] {
      KeyPair pair;
      KeyError error;
      CryptoOutcome out;
      if (!generateKeyPair(KeyKind::kRsa, bits, exponent, {}, pair, error)) {
        out.errorName = std::move(error.name);
        out.message = std::move(error.message);
      } else {
        out.values.push_back(std::move(pair.spki));
        out.values.push_back(std::move(pair.pkcs8));
      }
      return out;
    }));
    return;
  }
  KeyPair pair;
  KeyError error;
  if (!generateKeyPair(kind, bits, exponent, curve, pair, error)) return throwKeyError(info, error);
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Value> items[2] = {toArrayBuffer(iso, std::move(pair.spki)),
                                   toArrayBuffer(iso, std::move(pair.pkcs8))};
  info.GetReturnValue().Set(v8::Array::New(iso, items, 2));
}

// pkeyImport(kind, format, data, curve)
void pkeyImport(const Info& info) {
  KeyKind kind;
  if (!kindArg(info, 0, kind)) return;
  std::string format = stringArg(info, 1);
  std::string curve = info[3]->IsString() ? stringArg(info, 3) : std::string();
  InputBytes data(info[2]);
  ImportedKey key;
  KeyError error;
  if (!importKey(kind, format, data.view(), curve, key, error)) return throwKeyError(info, error);
  returnImported(info, std::move(key));
}

// pkeyImportJwk(kind, fields, curve)
void pkeyImportJwk(const Info& info) {
  KeyKind kind;
  if (!kindArg(info, 0, kind)) return;
  v8::Isolate* iso = info.GetIsolate();
  JwkFields jwk;
  if (info[1]->IsObject()) {
    v8::Local<v8::Object> fields = info[1].As<v8::Object>();
    for (const JwkMember& m : kJwkMembers) {
      v8::Local<v8::Value> v;
      if (!fields->Get(iso->GetCurrentContext(), str(iso, m.name)).ToLocal(&v)) return;
      if (v->IsArrayBuffer() || v->IsArrayBufferView()) {
        InputBytes bytes(v);
        jwk.*m.field = bytes.copy();
      }
    }
  }
  std::string curve = info[2]->IsString() ? stringArg(info, 2) : std::string();
  ImportedKey key;
  KeyError error;
  if (!importJwk(kind, jwk, curve, key, error)) return throwKeyError(info, error);
  returnImported(info, std::move(key));
}

// pkeyExport(kind, format, der)
void pkeyExport(const Info& info) {
  KeyKind kind;
  if (!kindArg(info, 0, kind)) return;
  v8::Isolate* iso = info.GetIsolate();
  std::string format = stringArg(info, 1);
  InputBytes der(info[2]);
  KeyError error;
  if (format == "raw") {
    Bytes out;
    if (!exportRaw(kind, der.view(), out, error)) return throwKeyError(info, error);
    info.GetReturnValue().Set(toArrayBuffer(iso, std::move(out)));
    return;
  }
  if (format != "jwk") {
    return throwError(iso, JsError::dom("NotSupportedError", "The key format is not supported."));
  }
  JwkFields jwk;
  if (!exportJwk(kind, der.view(), jwk, error)) return throwKeyError(info, error);
  v8::Local<v8::Object> obj = v8::Object::New(iso);
  for (const JwkMember& m : kJwkMembers) {
    std::optional<Bytes>& v = jwk.*m.field;
    if (v) set(iso, obj, m.name, toArrayBuffer(iso, std::move(*v)));
  }
  info.GetReturnValue().Set(obj);
}

// pkeySign(alg, pkcs8, data, hash, saltLength)
void pkeySign(const Info& info) {
  SignatureAlgorithm alg;
  if (!algArg(info, 0, alg)) return;
  InputBytes key(info[1]), data(info[2]);
  Bytes out;
  KeyError error;
  if (!sign(alg, key.view(), data.view(), hashArg(info, 3), u32Arg(info, 4), out, error)) {
    return throwKeyError(info, error);
  }
  info.GetReturnValue().Set(toArrayBuffer(info.GetIsolate(), std::move(out)));
}

// pkeyVerify(alg, spki, signature, data, hash, saltLength)
void pkeyVerify(const Info& info) {
  SignatureAlgorithm alg;
  if (!algArg(info, 0, alg)) return;
  InputBytes key(info[1]), signature(info[2]), data(info[3]);
  bool valid = false;
  KeyError error;
  if (!verify(alg, key.view(), signature.view(), data.view(), hashArg(info, 4), u32Arg(info, 5),
              valid, error)) {
    return throwKeyError(info, error);
  }
  info.GetReturnValue().Set(valid);
}

// pkeyRsaOaep(encrypt, der, hash, label, data)
void pkeyRsaOaep(const Info& info) {
  InputBytes key(info[1]), label(info[3]), data(info[4]);
  Bytes out;
  KeyError error;
  if (!rsaOaep(info[0]->IsTrue(), key.view(), hashArg(info, 2), label.view(), data.view(), out,
               error)) {
    return throwKeyError(info, error);
  }
  info.GetReturnValue().Set(toArrayBuffer(info.GetIsolate(), std::move(out)));
}

// pkeyDerive(kind, pkcs8, peerSpki)
void pkeyDerive(const Info& info) {
  KeyKind kind;
  if (!kindArg(info, 0, kind)) return;
  InputBytes key(info[1]), peer(info[2]);
  Bytes out;
  KeyError error;
  if (!derive(kind, key.view(), peer.view(), out, error)) return throwKeyError(info, error);
  info.GetReturnValue().Set(toArrayBuffer(info.GetIsolate(), std::move(out)));
}

}  // namespace

void addAsymmetricCryptoNatives(Natives& natives) {
  natives.add("pkeyGenerate", pkeyGenerate);
  natives.add("pkeyImport", pkeyImport);
  natives.add("pkeyImportJwk", pkeyImportJwk);
  natives.add("pkeyExport", pkeyExport);
  natives.add("pkeySign", pkeySign);
  natives.add("pkeyVerify", pkeyVerify);
  natives.add("pkeyRsaOaep", pkeyRsaOaep);
  natives.add("pkeyDerive", pkeyDerive);
}

}  // namespace torus::js
