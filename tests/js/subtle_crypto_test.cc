// Known answers for the symmetric natives of crypto.subtle (js/api/subtle_crypto.h): FIPS
// 180 digests, RFC 4231 HMAC, the GCM specification's test cases, NIST SP 800-38A CBC and CTR,
// RFC 3394 key wrap, RFC 5869 HKDF, RFC 6070 PBKDF2-HMAC-SHA1 — and the parts that are ours:
// PKCS#7 padding and the AES-CTR counter-length wrap.
#include "js/api/subtle_crypto.h"

#include <gtest/gtest.h>

#include <string>

namespace torus::js::webcrypto {
namespace {

Bytes hex(std::string_view s) {
  Bytes out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(uint8_t(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return out;
}
std::string toHex(const Bytes& b) {
  static const char k[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(k[c >> 4]);
    s.push_back(k[c & 15]);
  }
  return s;
}
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(SubtleCrypto, Digests) {
  Bytes out;
  ASSERT_TRUE(digest(hashType("SHA-1"), text("abc"), out));
  EXPECT_EQ(toHex(out), "a9993e364706816aba3e25717850c26c9cd0d89d");
  ASSERT_TRUE(digest(hashType("SHA-256"), text("abc"), out));
  EXPECT_EQ(toHex(out), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(digest(hashType("SHA-384"), text(""), out));
  EXPECT_EQ(toHex(out), "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
  ASSERT_TRUE(digest(hashType("SHA-512"), text("abc"), out));
  EXPECT_EQ(toHex(out).substr(0, 32), "ddaf35a193617abacc417349ae204131");
  EXPECT_EQ(hashType("MD5"), 0);
  EXPECT_FALSE(digest(0, text("abc"), out));
}

// SHA-256 at every length from 0 to 1100 bytes (each padding case, one to eighteen blocks,
// through the one-block and the many-block transforms; on a CPU with the SHA extensions,
// packaging/patches/wolfssl-sha256-shani.patch's code), checked as the SHA-256 of all 1101
// digests against Python's hashlib; and FIPS 180-2's two-block and million-'a' messages.
TEST(SubtleCrypto, Sha256EveryLength) {
  Bytes msg(1100), all, out;
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = uint8_t(i * 7 + 3);
  for (size_t n = 0; n <= msg.size(); ++n) {
    ASSERT_TRUE(digest(hashType("SHA-256"), Bytes(msg.begin(), msg.begin() + n), out));
    all.insert(all.end(), out.begin(), out.end());
  }
  ASSERT_TRUE(digest(hashType("SHA-256"), all, out));
  EXPECT_EQ(toHex(out), "d3fdf16ea21145f7a8828961cebd5bea389926b3a6fd39df2169752a616440a2");
  ASSERT_TRUE(digest(hashType("SHA-256"),
                     text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), out));
  EXPECT_EQ(toHex(out), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  ASSERT_TRUE(digest(hashType("SHA-256"), Bytes(1000000, 'a'), out));
  EXPECT_EQ(toHex(out), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(SubtleCrypto, HmacRfc4231) {
  Bytes out;
  Bytes key(20, 0x0b);
  ASSERT_TRUE(hmac(hashType("SHA-256"), key, text("Hi There"), out));
  EXPECT_EQ(toHex(out), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  ASSERT_TRUE(hmac(hashType("SHA-512"), text("Jefe"), text("what do ya want for nothing?"), out));
  EXPECT_EQ(toHex(out).substr(0, 32), "164b7a7bfcf819e2e395fbe73b56e0a3");
}

TEST(SubtleCrypto, AesGcmTestCase4AndShortTags) {
  Bytes key = hex("feffe9928665731c6d6a8f9467308308");
  Bytes iv = hex("cafebabefacedbaddecaf888");
  Bytes pt = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  Bytes aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  Bytes out;
  std::string error;
  ASSERT_TRUE(aesGcm(true, key, iv, pt, aad, 16, out, error)) << error;
  EXPECT_EQ(toHex(out), "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
                        "5bc94fbc3221a5db94fae95ae7121a47");
  Bytes back;
  ASSERT_TRUE(aesGcm(false, key, iv, out, aad, 16, back, error)) << error;
  EXPECT_EQ(back, pt);
  out.back() ^= 1;
  EXPECT_FALSE(aesGcm(false, key, iv, out, aad, 16, back, error));
  EXPECT_NE(error.find("tag does not match"), std::string::npos);
  // WebCrypto's shortest tag (32 bits), and a 1-byte IV: both round-trip.
  Bytes iv1 = hex("01");
  ASSERT_TRUE(aesGcm(true, key, iv1, pt, {}, 4, out, error)) << error;
  EXPECT_EQ(out.size(), pt.size() + 4);
  ASSERT_TRUE(aesGcm(false, key, iv1, out, {}, 4, back, error)) << error;
  EXPECT_EQ(back, pt);
  EXPECT_FALSE(aesGcm(false, key, iv1, Bytes(3), {}, 4, back, error));
}

TEST(SubtleCrypto, AesCbcSp80038aAndPadding) {
  Bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  Bytes iv = hex("000102030405060708090a0b0c0d0e0f");
  Bytes pt = hex("6bc1bee22e409f96e93d7e117393172a");
  Bytes out;
  std::string error;
  ASSERT_TRUE(aesCbc(true, key, iv, pt, out, error)) << error;
  ASSERT_EQ(out.size(), 32u);  // one block of data, one of padding
  EXPECT_EQ(toHex(Bytes(out.begin(), out.begin() + 16)), "7649abac8119b246cee98e9b12e9197d");
  Bytes back;
  ASSERT_TRUE(aesCbc(false, key, iv, out, back, error)) << error;
  EXPECT_EQ(back, pt);
  ASSERT_TRUE(aesCbc(true, key, iv, {}, out, error));
  EXPECT_EQ(out.size(), 16u);
  ASSERT_TRUE(aesCbc(false, key, iv, out, back, error));
  EXPECT_TRUE(back.empty());
  EXPECT_FALSE(aesCbc(false, key, iv, Bytes(15), back, error));
  EXPECT_FALSE(aesCbc(false, key, hex("ffffffffffffffffffffffffffffffff"), out, back, error) &&
               !back.empty());
}

TEST(SubtleCrypto, AesCtrSp80038aAndCounterWrap) {
  Bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  Bytes ctr = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  Bytes pt = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  Bytes out;
  std::string error;
  ASSERT_TRUE(aesCtr(key, ctr, 128, pt, out, error)) << error;
  EXPECT_EQ(toHex(out), "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
  // A 4-bit counter at 0xf wraps to 0x0 with the other 124 bits kept: the second block is
  // the keystream of ...fef0, not of the 128-bit increment ...ff00.
  Bytes c4 = hex("0000000000000000000000000000000f");
  Bytes two(32, 0), one(16, 0);
  ASSERT_TRUE(aesCtr(key, c4, 4, two, out, error)) << error;
  Bytes second;
  ASSERT_TRUE(aesCtr(key, hex("00000000000000000000000000000000"), 4, one, second, error));
  EXPECT_EQ(Bytes(out.begin() + 16, out.end()), second);
  // More blocks than a 1-bit counter has values repeats the keystream: refused.
  EXPECT_FALSE(aesCtr(key, c4, 1, Bytes(48), out, error));
  EXPECT_NE(error.find("repeat"), std::string::npos);
  EXPECT_TRUE(aesCtr(key, c4, 1, Bytes(32), out, error));
}

TEST(SubtleCrypto, AesKwRfc3394) {
  Bytes kek = hex("000102030405060708090a0b0c0d0e0f");
  Bytes data = hex("00112233445566778899aabbccddeeff");
  Bytes out;
  std::string error;
  ASSERT_TRUE(aesKw(true, kek, data, out, error)) << error;
  EXPECT_EQ(toHex(out), "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
  Bytes back;
  ASSERT_TRUE(aesKw(false, kek, out, back, error)) << error;
  EXPECT_EQ(back, data);
  out[3] ^= 1;
  EXPECT_FALSE(aesKw(false, kek, out, back, error));
  EXPECT_NE(error.find("integrity"), std::string::npos);
  EXPECT_FALSE(aesKw(true, kek, Bytes(12), out, error));
}

TEST(SubtleCrypto, HkdfRfc5869Case1) {
  Bytes out;
  std::string error;
  ASSERT_TRUE(hkdf(hashType("SHA-256"), Bytes(22, 0x0b), hex("000102030405060708090a0b0c"),
                   hex("f0f1f2f3f4f5f6f7f8f9"), 42, out, error)) << error;
  EXPECT_EQ(toHex(out), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  EXPECT_FALSE(hkdf(hashType("SHA-256"), Bytes(22, 0x0b), {}, {}, 255 * 32 + 1, out, error));
  ASSERT_TRUE(hkdf(hashType("SHA-256"), Bytes(22, 0x0b), {}, {}, 0, out, error));
  EXPECT_TRUE(out.empty());
}

TEST(SubtleCrypto, Pbkdf2Rfc6070) {
  Bytes out;
  std::string error;
  ASSERT_TRUE(pbkdf2(hashType("SHA-1"), text("password"), text("salt"), 2, 20, out, error)) << error;
  EXPECT_EQ(toHex(out), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  ASSERT_TRUE(pbkdf2(hashType("SHA-1"), text(std::string_view("pass\0word", 9)), text(std::string_view("sa\0lt", 5)), 4096, 16, out, error));
  EXPECT_EQ(toHex(out), "56fa6aa75548099dcc37d7f03425e0c3");
}

}  // namespace
}  // namespace torus::js::webcrypto
