// Tests of js/api/crypto_asymmetric.h's pure functions: the RFC 8032 and RFC 7748 vectors,
// round trips of every algorithm, interoperability with keys, signatures and ciphertexts made
// by Node.js (OpenSSL) once and pasted below, canonical import/export and the DataErrors.
#include "js/api/crypto_asymmetric.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace torus::js::webcrypto {
namespace {

Bytes unhex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(uint8_t(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string hex(View b) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

Bytes cat(View a, View b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

const int kSha1 = hashType("SHA-1");
const int kSha256 = hashType("SHA-256");
const int kSha384 = hashType("SHA-384");
const int kSha512 = hashType("SHA-512");

// RFC 8410 wrappers around raw 32-byte keys.
Bytes okpPkcs8(KeyKind kind, View raw) {
  return cat(unhex(kind == KeyKind::kEd25519 ? "302e020100300506032b657004220420"
                                             : "302e020100300506032b656e04220420"),
             raw);
}
Bytes okpSpki(KeyKind kind, View raw) {
  return cat(
      unhex(kind == KeyKind::kEd25519 ? "302a300506032b6570032100" : "302a300506032b656e032100"),
      raw);
}

// Made by `node -e` (OpenSSL 3) once: an RSA 2048 key with e = 65537, EC keys, and what
// they gave for kMsg.
const char* const kMsg = "746f727573206173796d6d6574726963";
const char* const kRsaPkcs8 =
    "308204bd020100300d06092a864886f70d0101010500048204a7308204a30201000282010100d4fccea58ce3"
    "7c1507e4deeeebf805cc460b8b7117cd279f04fbdeb2bb0689df68d322f3c721b424c901174582900bbf5107"
    "271eff45de518ac0767ec20329975c37cccb4ae292bf3ee6b21a5677e9d30417563cf058cba82cc0d9d9508c"
    "ad63be958b81f7226c53f045e328b54d7b61fe6c222b1474683e1b582cfa6ff9dd6a872b7879403475d48a3c"
    "958ae637fb7a7ae8c0c3ff73e4e558cab5ac671ca7b4cb2bc282b7a8921fec862c8c6cf2e2572abf23433d81"
    "07b72ae08fe5b5f51ef4b5e4a3ea57f6619befc4b4e1b1d1c8c5a2af1b99c123ca2be7524c9cc56efa3dbab1"
    "89b8f9829b8c95788b6989672a5e91529959efdc1425058633765a9b71f50203010001028201000f1063603f"
    "a6fe497181bd47ca3e4450b69a8dedfd8837d76e2f8f48766467bf7aa74647562bfad5083770c92c8b1a1d99"
    "b24710d0eec4e2e10cac44da5d85654c7330e3a703ffeb915c19383629ec8a8d754616f0cbe2f99dd2b505c3"
    "05f4248420091a33dbc62c28a814c136138918bcf932707815a4a2d1e5ca669b2161c8cc4611ece66ada81a6"
    "d47bc832cd923b6fef0d29395c8efc7d1f7a12e647d528090928323e5a8880500f64fec14adf79404074b4c2"
    "a7f7ac51a233166221d1847efb36093d2c4832ce496838dedc2f976f0b2addb9aaa0f2f729b222d57b77fa3f"
    "b19b4a8c076f11a250e412317436ad1341fd4ccb45f640f19da1ab08358f9902818100ed6b779a50020e0a6c"
    "4d9d8ada23f6c2377719790c6ec2a8ac1d48a006b72091ec247c85b14b4939d220ce55c22226cad289113741"
    "a44e91049aa635900e5033b879190e00ec96988f12cf6defd4db99b2201db2fb3784033c3581e52926fd14e8"
    "a7fe88650d99d448843927c1c25c42d9a24bd5366f884070423b618146c3e902818100e5a7db7b8562478206"
    "49bb39777f5714593b7f0b13656f0ed08cf0c32db99a87641e9bce4c64aa749aae6ed0bd79c61388587aff5b"
    "9a51e1f75ae6c52a12f4753742cf63876762b55e1d70bcf2052f93eda748a1d4f081a9b0dc7613c46a7b4a55"
    "c0a46f49db8c33e8cb98a0b79040b4c9c9517e3b19ec25fb3a50e16c7bb22d02818100c545f19857f88d201e"
    "0393ef06f8b11589aebd8cb646e619ef015a1215e25dfec1df4354770f9e659bf2c45fbfb24ed7627e9fbe71"
    "1d8c66b513a71d8478502dd98f4dc1340561d09bb93e8013b2a3519f0f4e7e247d6984a2a7b729e9bacab96f"
    "e3fefbe83397e92ae42af59cead96c769783394345034abfbc58c8d8f92ad90281807875fba266ec8e259db6"
    "bf05fdb045b4deb95e8228c263e6996dd43c0c97f67e5dfdd02bfdd62fb2ca10050068e29f0b4fd15972e851"
    "a1f1ad157946a2331f16fccd868ae6534c6b65da7b702062a7fa28063f0ae3eee39466b8bd16d14829336c97"
    "87a8f84cb8d5e19e2988e3c03eb095c78b7f72f0bdf58e39a0831dac24610281805b4a5b1cba5adf5a64760a"
    "bdac534048c0b2e8ffbc8eb8d0f029b1f67bb47f271c277f0f3e60539a12c28b173a1e72bc6a65b521ae7e5d"
    "2a1a343a86a3c3bd314086869e9dfa61f7b994358c54f353014e9265b5cd0ac80279db437f5afde7af1dca0d"
    "6da26c4f1e7e8597301201db4a25431cca8e061b9aee21b0d51a188e39";
const char* const kRsaSpki =
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100d4fccea58ce37c1507e4de"
    "eeebf805cc460b8b7117cd279f04fbdeb2bb0689df68d322f3c721b424c901174582900bbf5107271eff45de"
    "518ac0767ec20329975c37cccb4ae292bf3ee6b21a5677e9d30417563cf058cba82cc0d9d9508cad63be958b"
    "81f7226c53f045e328b54d7b61fe6c222b1474683e1b582cfa6ff9dd6a872b7879403475d48a3c958ae637fb"
    "7a7ae8c0c3ff73e4e558cab5ac671ca7b4cb2bc282b7a8921fec862c8c6cf2e2572abf23433d8107b72ae08f"
    "e5b5f51ef4b5e4a3ea57f6619befc4b4e1b1d1c8c5a2af1b99c123ca2be7524c9cc56efa3dbab189b8f9829b"
    "8c95788b6989672a5e91529959efdc1425058633765a9b71f50203010001";
const char* const kRsaPkcs1Sha256 =
    "b63261ee4ea1762724256e272d8074914b5f49d92d65084c984fa2ae7a2a45cafcbcfd285464ac1c365dbf23"
    "b62409c9c8cb5f1a2c6430099c398a60f05987f427b2aa3c8c2baba464c688ce1661f333c1265e8ae492122b"
    "2ff9be9b0a9094673871cfe71c2ca6fbd432f219659c759f13b01bce9ce784a5ad9e1f5762a6868c97f96447"
    "8f2ee5a6093ee674ee00c48165a1f2a3c21e986f5ddf801e7cf032eec7ea83f522bcfda9829211cfa96c6a85"
    "330b47e37ff3e73448d25f5935e011e3c87faac97c23438b63fa90ee0b748624e301b9c0df3322f09a8352c7"
    "430793e7b2f4898c04beed22140850e3d1dacb795f8ddb6db18cf19aadf2383acc927600";
const char* const kRsaPssSha384Salt20 =
    "093156af7be2d9c4b6475214e0b01f247213017b70d6a22f0de369d86b846333f756c0cd23cf4e5cc28d8470"
    "6a6bd893f1ebde9b00a0cea8a84df3655bfabf9489295dae43d0c02ddc59bc376bd64efa4767d34a1ac59bd6"
    "83e9b2c9335869ea036fa16da826608abb075b7e41029bc15a981b9ab486dadc4eed8887a0ef53b872a5c020"
    "6ca545eb3db490df338a5e5c0f04ab80479c86fc0e5aeaeba01a80e31884f26ff8b66b1629e214bdef46f3dd"
    "58c1024177fc7bb670c73ab0cd6b3f115777a785e91bf26cec125de6693d91ff3af45211f9662ffe014ed9b5"
    "acb907238bc3ce7b23693b1883d78f07104b5576ced1d1d1ea97b23b149f31b0f6f6d16c";
const char* const kRsaOaepSha256Label =
    "0665b9c5e6adcff4cd30677077cf7d453ca45d368d421894a831e09ceb3ec7ee734455ee103661c8c2feb002"
    "a1d666fa9260958e58d4f6f87d50363c555d42372dd82b40ec17207efc165ac7684e22c0537382f64b44ae05"
    "081ae1b1811d4d70909113967db1651f44c69d919aafcf654d0188339986c5b48bd99fec0fbc040042ca4853"
    "86f885d28679f6c45abe3627303ab1615b1b3368ec51fa469a1d464b8d61617fab0d4469240f0872afdb2edf"
    "f54fa85f67dbd5bd800646bb0379e69ea926744ca8402e340d0277226b4a108e41134938620d8754dd101842"
    "e3550127856b7dcbe004c71e899a6e5f91349dd91b76ca68212ebd4aef94f4e69d4310a9";
const char* const kP256Pkcs8 =
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02010104204c7313c281123c30"
    "2de9d805620071de69d5fc3dcb668b914b1946f36fd1bb16a14403420004ca23076abcc15eecaac774f82f98"
    "8612be2d275902b689b5725e78787c256b244df12ca55a1e2bb6dc790b69042e00c1390f58061fcdc28f6ed6"
    "a4beb3172a74";
const char* const kP256Spki =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004ca23076abcc15eecaac774f82f988612be"
    "2d275902b689b5725e78787c256b244df12ca55a1e2bb6dc790b69042e00c1390f58061fcdc28f6ed6a4beb3"
    "172a74";
const char* const kP256PeerSpki =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004c8d21d002304d31c1d30862dfb32591e08"
    "4e3a6186ba1eab40f6c94c9013be4301b2846b0cdf15daeddd4764f78fd2b9ffcea0a314fa213f9911b0e582"
    "c82e9f";
const char* const kP256Sig =
    "1112e2335e8bed4274a39551b9fccdf74629c04190541fcf2f74affb7d00df480cd9724782d407625d4eb855"
    "fa505d9102bd0286434e7dea02248250087b4d30";
const char* const kP256Secret = "84fc89310895986d439e3cc4e2047879574a887a55d86bfa739a9dc602441ccd";
const char* const kP384Pkcs8 =
    "3081b6020100301006072a8648ce3d020106052b8104002204819e30819b02010104302475fcf2fbfa433117"
    "50e328c25cea4bd528aeb615ec4eed93d554eda057e9e89087f3adef8a31e2f06b2bc075138106a164036200"
    "04f0fbdb453f9563684d97ce3373b34785492693a1b3411f58125955f6a3adec1047006c0116a9b2f8846b77"
    "3f66ec717f044ac387dcf2ffeea71c4032757ad3c7f6910d6652180f4c822f458e8d1f3a982e26c511553ccb"
    "4d70f7749dd71e4e75";
const char* const kP384Spki =
    "3076301006072a8648ce3d020106052b8104002203620004f0fbdb453f9563684d97ce3373b34785492693a1"
    "b3411f58125955f6a3adec1047006c0116a9b2f8846b773f66ec717f044ac387dcf2ffeea71c4032757ad3c7"
    "f6910d6652180f4c822f458e8d1f3a982e26c511553ccb4d70f7749dd71e4e75";
const char* const kP384PeerSpki =
    "3076301006072a8648ce3d020106052b8104002203620004a8ae6703d5f48cda387c0d0d3f4dafb09f265a9e"
    "3fb9c1a5729ba8ec912383076fdbc2cfdfc2121c9c974c3b02bdf93de23f47766a7556e357a3571a80bf1bba"
    "7e81bd856b2f5e1128c5e3c8aa81091bffe9a61c03324712b11466ebb47b040d";
const char* const kP384Sig =
    "85ac3afec0599ed29f8c2268c5f6b981feb7f0c7a1e01200ad5a4ca264c1d73be4eb7d41294ba4d74777f14f"
    "1dd4d968fb2e53f0e10ff6d2c93f0cfb5b1e4e6322305ba4f5cbd9ad753ebe3e2e8d56b41fa659b6bbb719ee"
    "6e035d30dda44fbf";
const char* const kP384Secret =
    "0593609ae911ff965299bf539ac29808c9a6106501dd797eb46c91cc87c28ec1aa1e4b36379bd154d96a174c"
    "228bb123";
const char* const kP521Pkcs8 =
    "3081ee020100301006072a8648ce3d020106052b810400230481d63081d30201010442014a38a239eac1841a"
    "d9531804a2ada75e36ce1f0d58ddb224f7afff167488f6ca42464915541f31a5c8b66899f7ec6420e48c91f4"
    "0b4222145df431354c6cea37f5a18189038186000400f8623843d0a21e1694e3a97d9c4babcf8495e10eb485"
    "12c1be6eed839f015e067047bc71e960df4bfb44a212c09ab0e7970d70023368d5eca62ed9b46d6678010400"
    "7cb40fbf88219dce77c916231621417f2885ba03ffcdee9ac20ba8dc2dfdfe1d4ba5f4e70ea6dce1eb76093d"
    "0757c3d0fa1873ebdc10efcb60e664c8e90717d302";
const char* const kP521Spki =
    "30819b301006072a8648ce3d020106052b81040023038186000400f8623843d0a21e1694e3a97d9c4babcf84"
    "95e10eb48512c1be6eed839f015e067047bc71e960df4bfb44a212c09ab0e7970d70023368d5eca62ed9b46d"
    "66780104007cb40fbf88219dce77c916231621417f2885ba03ffcdee9ac20ba8dc2dfdfe1d4ba5f4e70ea6dc"
    "e1eb76093d0757c3d0fa1873ebdc10efcb60e664c8e90717d302";
const char* const kP521PeerSpki =
    "30819b301006072a8648ce3d020106052b81040023038186000400911f57b9b7b002043b690298b059888696"
    "6f0a9caed9aebbeac4d690a21881b354d0a93ad74dc5e3fb3a2ffd324a205e15d1d7309cc618e5e276e3b073"
    "49c65db600f73df6b99603cf286e053217ce10e9ba7a0502ec32114a2dc0ea253509e4ea96de1d26367b03bb"
    "eb600ec9747436af79de44e9206cd76276eecc0612f42203c3ec";
const char* const kP521Sig =
    "01a1097f07432b84be520d57868a3b86bce43cb3a6a7a0dbf4b820cf4936caaac71f58e71a7b29bbaf3e1c89"
    "f006c3f574e63ee07158b5b3b0c8cb5c1c2bd4e4e61d01a41a27c83bc56359f33cf079249668e35ca16d6d18"
    "a67fe943e76763adf2ccca2c83ce170928bbfeddba40eb2d75dc70f0903d7ca4abab11b4cd22d7f7df22e200";
const char* const kP521Secret =
    "01d7845c2f5ae5dbcb920afeaf62c22ade8c54381e49c1d6a6e3599c0f5856e22e8bcc511f148104601c4cab"
    "3f53692180a3f5c09bff2ca6a1421058a4d4d88f958c";
const char* const kRsaOaepSha1Empty =
    "d23485e66101ecc6843b0a9e84a21eecd66ff46bc8f8be1424dc8081c950d1e63dfa01ff97969db1f37fec2e"
    "be10b181a4ee5f42bd81927520af79ca5ec815e9bc8d2c8637b825cbb05fd497e449102962e5c100be5c690d"
    "cbc4ed765ee89f083a2eeb8b760cb35b00dfff75cacd8561595ce3e88d1e24ed66f8ff4a0c6c41b2512e16f4"
    "c6dfde566c0f35f96ccd4449dde60e51bd06e8d01cb3104c60cc430c90a0f3ab44504877fdf737228e08ce48"
    "bc7390b8d173a2b17234dfc4fecddbaa732add265a7ad210049d9277aded83496c6215009e333b0bd6939601"
    "1fda5971b46573f755b10dca33c358f649a1d5c71cf7828437cc4b966b385ab548d975e7";

struct CurveCase {
  const char* name;
  size_t size;
  const char* pkcs8;
  const char* spki;
  const char* peerSpki;
  const char* signature;  // node's, r || s
  int hash;               // the signature's
  const char* secret;     // node's ECDH of pkcs8 with peerSpki
};

const CurveCase kCurveCases[] = {
    {"P-256", 32, kP256Pkcs8, kP256Spki, kP256PeerSpki, kP256Sig, kSha512, kP256Secret},
    {"P-384", 48, kP384Pkcs8, kP384Spki, kP384PeerSpki, kP384Sig, kSha256, kP384Secret},
    {"P-521", 66, kP521Pkcs8, kP521Spki, kP521PeerSpki, kP521Sig, kSha384, kP521Secret},
};

KeyPair generate(KeyKind kind, std::string_view curve = {}) {
  KeyPair pair;
  KeyError error;
  EXPECT_TRUE(generateKeyPair(kind, 0, {}, curve, pair, error)) << error.message;
  return pair;
}

bool verifies(SignatureAlgorithm alg, View spki, View sig, View data, int hash = 0,
              uint32_t salt = 0) {
  bool valid = false;
  KeyError error;
  EXPECT_TRUE(verify(alg, spki, sig, data, hash, salt, valid, error)) << error.message;
  return valid;
}

Bytes signed_(SignatureAlgorithm alg, View pkcs8, View data, int hash = 0, uint32_t salt = 0) {
  Bytes sig;
  KeyError error;
  EXPECT_TRUE(sign(alg, pkcs8, data, hash, salt, sig, error)) << error.message;
  return sig;
}

ImportedKey imported(KeyKind kind, std::string_view format, View data,
                     std::string_view curve = {}) {
  ImportedKey key;
  KeyError error;
  EXPECT_TRUE(importKey(kind, format, data, curve, key, error)) << error.message;
  return key;
}

// The error of an import that must fail.
KeyError importError(KeyKind kind, std::string_view format, View data,
                     std::string_view curve = {}) {
  ImportedKey key;
  KeyError error;
  EXPECT_FALSE(importKey(kind, format, data, curve, key, error));
  return error;
}

// ---- Ed25519 ----

struct EdVector {
  const char* secret;
  const char* pub;
  const char* message;
  const char* signature;
};

// RFC 8032 7.1, tests 1 to 3.
const EdVector kEdVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
     "f9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0"
     "f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f76098"
     "4dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(CryptoAsymmetric, Ed25519Rfc8032) {
  for (const EdVector& v : kEdVectors) {
    Bytes pkcs8 = okpPkcs8(KeyKind::kEd25519, unhex(v.secret));
    Bytes spki = okpSpki(KeyKind::kEd25519, unhex(v.pub));
    Bytes message = unhex(v.message);
    Bytes sig = signed_(SignatureAlgorithm::kEd25519, pkcs8, message);
    EXPECT_EQ(hex(sig), v.signature);
    EXPECT_TRUE(verifies(SignatureAlgorithm::kEd25519, spki, sig, message));
    for (size_t bit : {0u, 100u, 511u}) {
      Bytes bad = sig;
      bad[bit / 8] ^= uint8_t(1 << (bit % 8));
      EXPECT_FALSE(verifies(SignatureAlgorithm::kEd25519, spki, bad, message)) << bit;
    }
    Bytes other = cat(message, text("x"));
    EXPECT_FALSE(verifies(SignatureAlgorithm::kEd25519, spki, sig, other));
    EXPECT_FALSE(verifies(SignatureAlgorithm::kEd25519, spki, View(sig).first(63), message));
    // The private key's public part is the RFC's.
    Bytes raw;
    KeyError error;
    ASSERT_TRUE(exportRaw(KeyKind::kEd25519, pkcs8, raw, error)) << error.message;
    EXPECT_EQ(hex(raw), v.pub);
  }
}

TEST(CryptoAsymmetric, Ed25519Generate) {
  KeyPair pair = generate(KeyKind::kEd25519);
  EXPECT_EQ(pair.spki.size(), 44u);
  EXPECT_EQ(pair.pkcs8.size(), 48u);
  Bytes data = text("generated");
  Bytes sig = signed_(SignatureAlgorithm::kEd25519, pair.pkcs8, data);
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(verifies(SignatureAlgorithm::kEd25519, pair.spki, sig, data));
}

// ---- X25519 ----

Bytes x25519(View scalar, View u) {
  Bytes out;
  KeyError error;
  EXPECT_TRUE(derive(KeyKind::kX25519, okpPkcs8(KeyKind::kX25519, scalar),
                     okpSpki(KeyKind::kX25519, u), out, error))
      << error.message;
  return out;
}

TEST(CryptoAsymmetric, X25519Rfc7748) {
  // 5.2 (the second u-coordinate has its top bit set: it is ignored).
  EXPECT_EQ(hex(x25519(unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                       unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  EXPECT_EQ(hex(x25519(unhex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                       unhex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))),
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
  // 6.1: Alice and Bob.
  Bytes alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  Bytes alicePub = unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  Bytes bob = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  Bytes bobPub = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const char* shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  EXPECT_EQ(hex(x25519(alice, bobPub)), shared);
  EXPECT_EQ(hex(x25519(bob, alicePub)), shared);
  Bytes raw;
  KeyError error;
  ASSERT_TRUE(exportRaw(KeyKind::kX25519, okpPkcs8(KeyKind::kX25519, alice), raw, error));
  EXPECT_EQ(raw, alicePub);
  ASSERT_TRUE(exportRaw(KeyKind::kX25519, okpPkcs8(KeyKind::kX25519, bob), raw, error));
  EXPECT_EQ(raw, bobPub);
  // The private key bytes stay as imported (unclamped).
  ImportedKey key = imported(KeyKind::kX25519, "pkcs8", okpPkcs8(KeyKind::kX25519, alice));
  EXPECT_EQ(key.der, okpPkcs8(KeyKind::kX25519, alice));
}

// A public key comes from wolfCrypt's make_pub, which torus's wolfSSL patch
// (packaging/patches/wolfssl-x25519-fixed-base.patch) computes on Ed25519's fixed-base comb;
// derive() runs the Montgomery ladder from u = 9. They agree for every scalar, the extremes
// of clamping included.
TEST(CryptoAsymmetric, X25519PublicKeyIsTheLadderFromNine) {
  Bytes nine(32, 0);
  nine[0] = 9;
  std::vector<Bytes> scalars = {Bytes(32, 0x00), Bytes(32, 0xff), Bytes(32, 0x55)};
  std::mt19937_64 rng(7748);
  for (int i = 0; i < 500; i++) {
    Bytes s(32);
    for (uint8_t& b : s) b = uint8_t(rng());
    scalars.push_back(std::move(s));
  }
  for (const Bytes& s : scalars) {
    Bytes pub;
    KeyError error;
    ASSERT_TRUE(exportRaw(KeyKind::kX25519, okpPkcs8(KeyKind::kX25519, s), pub, error))
        << error.message;
    ASSERT_EQ(hex(pub), hex(x25519(s, nine))) << "scalar " << hex(s);
  }
}

TEST(CryptoAsymmetric, X25519SmallOrderIsOperationError) {
  Bytes alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  for (const char* u : {"0000000000000000000000000000000000000000000000000000000000000000",
                        "0100000000000000000000000000000000000000000000000000000000000000"}) {
    Bytes out;
    KeyError error;
    EXPECT_FALSE(derive(KeyKind::kX25519, okpPkcs8(KeyKind::kX25519, alice),
                        okpSpki(KeyKind::kX25519, unhex(u)), out, error));
    EXPECT_EQ(error.name, "OperationError");
  }
}

TEST(CryptoAsymmetric, X25519Generate) {
  KeyPair a = generate(KeyKind::kX25519), b = generate(KeyKind::kX25519);
  Bytes ab, ba;
  KeyError error;
  ASSERT_TRUE(derive(KeyKind::kX25519, a.pkcs8, b.spki, ab, error)) << error.message;
  ASSERT_TRUE(derive(KeyKind::kX25519, b.pkcs8, a.spki, ba, error)) << error.message;
  EXPECT_EQ(ab.size(), 32u);
  EXPECT_EQ(ab, ba);
}

// ---- ECDSA and ECDH ----

TEST(CryptoAsymmetric, EcdsaRoundTrips) {
  for (const CurveCase& c : kCurveCases) {
    SCOPED_TRACE(c.name);
    KeyPair pair = generate(KeyKind::kEc, c.name);
    Bytes data = text("ecdsa data");
    for (int hash : {kSha1, kSha256, kSha384, kSha512}) {
      Bytes sig = signed_(SignatureAlgorithm::kEcdsa, pair.pkcs8, data, hash);
      ASSERT_EQ(sig.size(), 2 * c.size);
      EXPECT_TRUE(verifies(SignatureAlgorithm::kEcdsa, pair.spki, sig, data, hash));
      Bytes tampered = sig;
      tampered[5] ^= 1;
      EXPECT_FALSE(verifies(SignatureAlgorithm::kEcdsa, pair.spki, tampered, data, hash));
      tampered = sig;
      tampered.back() ^= 0x80;
      EXPECT_FALSE(verifies(SignatureAlgorithm::kEcdsa, pair.spki, tampered, data, hash));
      EXPECT_FALSE(verifies(SignatureAlgorithm::kEcdsa, pair.spki, View(sig).first(sig.size() - 1),
                            data, hash));
      EXPECT_FALSE(verifies(SignatureAlgorithm::kEcdsa, pair.spki, cat(sig, Bytes{0}), data, hash));
      EXPECT_FALSE(
          verifies(SignatureAlgorithm::kEcdsa, pair.spki, Bytes(2 * c.size, 0), data, hash));
      EXPECT_FALSE(
          verifies(SignatureAlgorithm::kEcdsa, pair.spki, Bytes(2 * c.size, 0xff), data, hash));
      EXPECT_FALSE(verifies(SignatureAlgorithm::kEcdsa, pair.spki, sig, text("other"), hash));
    }
  }
}

TEST(CryptoAsymmetric, EcdsaInteroperatesWithOpenSsl) {
  Bytes msg = unhex(kMsg);
  for (const CurveCase& c : kCurveCases) {
    SCOPED_TRACE(c.name);
    Bytes spki = unhex(c.spki), pkcs8 = unhex(c.pkcs8);
    EXPECT_TRUE(verifies(SignatureAlgorithm::kEcdsa, spki, unhex(c.signature), msg, c.hash));
    Bytes ours = signed_(SignatureAlgorithm::kEcdsa, pkcs8, msg, c.hash);
    EXPECT_TRUE(verifies(SignatureAlgorithm::kEcdsa, spki, ours, msg, c.hash));
  }
}

TEST(CryptoAsymmetric, EcdhAgrees) {
  for (const CurveCase& c : kCurveCases) {
    SCOPED_TRACE(c.name);
    KeyPair a = generate(KeyKind::kEc, c.name), b = generate(KeyKind::kEc, c.name);
    Bytes ab, ba;
    KeyError error;
    ASSERT_TRUE(derive(KeyKind::kEc, a.pkcs8, b.spki, ab, error)) << error.message;
    ASSERT_TRUE(derive(KeyKind::kEc, b.pkcs8, a.spki, ba, error)) << error.message;
    EXPECT_EQ(ab.size(), c.size);
    EXPECT_EQ(ab, ba);
    Bytes node;
    ASSERT_TRUE(derive(KeyKind::kEc, unhex(c.pkcs8), unhex(c.peerSpki), node, error));
    EXPECT_EQ(hex(node), c.secret);
  }
  KeyPair p256 = generate(KeyKind::kEc, "P-256"), p384 = generate(KeyKind::kEc, "P-384");
  Bytes out;
  KeyError error;
  EXPECT_FALSE(derive(KeyKind::kEc, p256.pkcs8, p384.spki, out, error));
  EXPECT_EQ(error.name, "InvalidAccessError");
}

// ---- RSA ----

const KeyPair& rsa2048() {
  static const KeyPair pair = [] {
    KeyPair p;
    KeyError error;
    EXPECT_TRUE(generateKeyPair(KeyKind::kRsa, 2048, Bytes{1, 0, 1}, {}, p, error))
        << error.message;
    return p;
  }();
  return pair;
}

TEST(CryptoAsymmetric, RsaGenerate) {
  const KeyPair& pair = rsa2048();
  ImportedKey key = imported(KeyKind::kRsa, "spki", pair.spki);
  EXPECT_EQ(key.modulusLength, 2048u);
  EXPECT_EQ(key.publicExponent, (Bytes{1, 0, 1}));
  EXPECT_FALSE(key.isPrivate);
  EXPECT_EQ(key.der, pair.spki);
  ImportedKey priv = imported(KeyKind::kRsa, "pkcs8", pair.pkcs8);
  EXPECT_TRUE(priv.isPrivate);
  EXPECT_EQ(priv.der, pair.pkcs8);
  EXPECT_EQ(priv.modulusLength, 2048u);

  KeyPair bad;
  KeyError error;
  for (Bytes e : {Bytes{1}, Bytes{1, 0, 0}, Bytes{}, Bytes{2}}) {
    EXPECT_FALSE(generateKeyPair(KeyKind::kRsa, 2048, e, {}, bad, error)) << hex(e);
    EXPECT_EQ(error.name, "OperationError");
  }
  KeyPair small;
  ASSERT_TRUE(generateKeyPair(KeyKind::kRsa, 1024, Bytes{0, 0, 3}, {}, small, error))
      << error.message;
  ImportedKey smallKey = imported(KeyKind::kRsa, "pkcs8", small.pkcs8);
  EXPECT_EQ(smallKey.modulusLength, 1024u);
  EXPECT_EQ(smallKey.publicExponent, Bytes{3});
  Bytes data = text("small");
  EXPECT_TRUE(verifies(SignatureAlgorithm::kRsaPss, small.spki,
                       signed_(SignatureAlgorithm::kRsaPss, small.pkcs8, data, kSha512, 62), data,
                       kSha512, 62));
  EXPECT_FALSE(generateKeyPair(KeyKind::kRsa, 100, Bytes{1, 0, 1}, {}, bad, error));
  EXPECT_EQ(error.name, "OperationError");
  EXPECT_FALSE(generateKeyPair(KeyKind::kRsa, 8192, Bytes{1, 0, 1}, {}, bad, error));
  EXPECT_EQ(error.name, "OperationError");
}

TEST(CryptoAsymmetric, RsaSignatureRoundTrips) {
  const KeyPair& pair = rsa2048();
  Bytes data = text("rsa data");
  for (int hash : {kSha1, kSha256, kSha384, kSha512}) {
    Bytes sig = signed_(SignatureAlgorithm::kRsaPkcs1, pair.pkcs8, data, hash);
    EXPECT_EQ(sig.size(), 256u);
    EXPECT_TRUE(verifies(SignatureAlgorithm::kRsaPkcs1, pair.spki, sig, data, hash));
    EXPECT_FALSE(verifies(SignatureAlgorithm::kRsaPkcs1, pair.spki, sig, text("other"), hash));
    Bytes bad = sig;
    bad[100] ^= 4;
    EXPECT_FALSE(verifies(SignatureAlgorithm::kRsaPkcs1, pair.spki, bad, data, hash));
    EXPECT_FALSE(
        verifies(SignatureAlgorithm::kRsaPkcs1, pair.spki, View(sig).first(255), data, hash));
    // Deterministic.
    EXPECT_EQ(sig, signed_(SignatureAlgorithm::kRsaPkcs1, pair.pkcs8, data, hash));
  }
  EXPECT_FALSE(verifies(SignatureAlgorithm::kRsaPkcs1, pair.spki,
                        signed_(SignatureAlgorithm::kRsaPkcs1, pair.pkcs8, data, kSha256), data,
                        kSha384));
  for (uint32_t salt : {0u, 20u, 32u, 64u, 190u}) {
    SCOPED_TRACE(salt);
    Bytes sig = signed_(SignatureAlgorithm::kRsaPss, pair.pkcs8, data, kSha256, salt);
    EXPECT_EQ(sig.size(), 256u);
    EXPECT_TRUE(verifies(SignatureAlgorithm::kRsaPss, pair.spki, sig, data, kSha256, salt));
    EXPECT_FALSE(verifies(SignatureAlgorithm::kRsaPss, pair.spki, sig, data, kSha256, salt + 1));
    EXPECT_FALSE(verifies(SignatureAlgorithm::kRsaPss, pair.spki, sig, text("x"), kSha256, salt));
    Bytes bad = sig;
    bad[0] ^= 1;
    EXPECT_FALSE(verifies(SignatureAlgorithm::kRsaPss, pair.spki, bad, data, kSha256, salt));
  }
  // emLen - hLen - 2 = 256 - 32 - 2 is the largest salt; more is an OperationError.
  Bytes sig;
  KeyError error;
  EXPECT_TRUE(sign(SignatureAlgorithm::kRsaPss, pair.pkcs8, data, kSha256, 222, sig, error))
      << error.message;
  EXPECT_FALSE(sign(SignatureAlgorithm::kRsaPss, pair.pkcs8, data, kSha256, 223, sig, error));
  EXPECT_EQ(error.name, "OperationError");
  EXPECT_FALSE(sign(SignatureAlgorithm::kRsaPss, pair.pkcs8, data, kSha256, 100000, sig, error));
  EXPECT_EQ(error.name, "OperationError");
  EXPECT_FALSE(
      verifies(SignatureAlgorithm::kRsaPss, pair.spki, Bytes(256, 0), data, kSha256, 100000));
}

TEST(CryptoAsymmetric, RsaOaepRoundTrips) {
  const KeyPair& pair = rsa2048();
  Bytes data = text("a secret");
  for (int hash : {kSha1, kSha256, kSha384, kSha512}) {
    for (Bytes label : {Bytes{}, text("label")}) {
      Bytes ct, pt;
      KeyError error;
      ASSERT_TRUE(rsaOaep(true, pair.spki, hash, label, data, ct, error)) << error.message;
      EXPECT_EQ(ct.size(), 256u);
      ASSERT_TRUE(rsaOaep(false, pair.pkcs8, hash, label, ct, pt, error)) << error.message;
      EXPECT_EQ(pt, data);
      EXPECT_FALSE(rsaOaep(false, pair.pkcs8, hash, text("other"), ct, pt, error));
      EXPECT_EQ(error.name, "OperationError");
    }
  }
  // SHA-256: at most 256 - 2 * 32 - 2 = 190 bytes.
  Bytes ct, pt;
  KeyError error;
  EXPECT_TRUE(rsaOaep(true, pair.spki, kSha256, {}, Bytes(190, 7), ct, error)) << error.message;
  EXPECT_FALSE(rsaOaep(true, pair.spki, kSha256, {}, Bytes(191, 7), ct, error));
  EXPECT_EQ(error.name, "OperationError");
  // The empty message, which wolfCrypt does not pad itself.
  for (int hash : {kSha1, kSha512}) {
    for (Bytes label : {Bytes{}, text("label")}) {
      pt = {1};
      ASSERT_TRUE(rsaOaep(true, pair.spki, hash, label, {}, ct, error)) << error.message;
      EXPECT_EQ(ct.size(), 256u);
      ASSERT_TRUE(rsaOaep(false, pair.pkcs8, hash, label, ct, pt, error)) << error.message;
      EXPECT_TRUE(pt.empty());
    }
  }
  EXPECT_FALSE(rsaOaep(false, pair.pkcs8, kSha256, {}, Bytes(256, 1), pt, error));
  EXPECT_EQ(error.name, "OperationError");
}

TEST(CryptoAsymmetric, RsaInteroperatesWithOpenSsl) {
  Bytes msg = unhex(kMsg), spki = unhex(kRsaSpki), pkcs8 = unhex(kRsaPkcs8);
  // PKCS #1 v1.5 is deterministic: a known answer.
  EXPECT_EQ(hex(signed_(SignatureAlgorithm::kRsaPkcs1, pkcs8, msg, kSha256)), kRsaPkcs1Sha256);
  EXPECT_TRUE(verifies(SignatureAlgorithm::kRsaPkcs1, spki, unhex(kRsaPkcs1Sha256), msg, kSha256));
  EXPECT_TRUE(
      verifies(SignatureAlgorithm::kRsaPss, spki, unhex(kRsaPssSha384Salt20), msg, kSha384, 20));
  EXPECT_FALSE(
      verifies(SignatureAlgorithm::kRsaPss, spki, unhex(kRsaPssSha384Salt20), msg, kSha384, 32));
  Bytes pt;
  KeyError error;
  ASSERT_TRUE(rsaOaep(false, pkcs8, kSha256, text("label"), unhex(kRsaOaepSha256Label), pt, error))
      << error.message;
  EXPECT_EQ(pt, msg);
  ASSERT_TRUE(rsaOaep(false, pkcs8, kSha1, {}, unhex(kRsaOaepSha1Empty), pt, error))
      << error.message;
  EXPECT_TRUE(pt.empty());
  // OpenSSL's DER is canonical: it comes back unchanged.
  EXPECT_EQ(imported(KeyKind::kRsa, "pkcs8", pkcs8).der, pkcs8);
  EXPECT_EQ(imported(KeyKind::kRsa, "spki", spki).der, spki);
}

// ---- import and export ----

// Every format of a key pair gives back the same canonical DER.
void roundTrip(KeyKind kind, const KeyPair& pair, std::string_view curve = {}) {
  EXPECT_EQ(imported(kind, "spki", pair.spki, curve).der, pair.spki);
  EXPECT_EQ(imported(kind, "pkcs8", pair.pkcs8, curve).der, pair.pkcs8);
  KeyError error;
  if (kind != KeyKind::kRsa) {
    Bytes raw, rawFromPrivate;
    ASSERT_TRUE(exportRaw(kind, pair.spki, raw, error)) << error.message;
    ASSERT_TRUE(exportRaw(kind, pair.pkcs8, rawFromPrivate, error)) << error.message;
    EXPECT_EQ(raw, rawFromPrivate);
    EXPECT_EQ(imported(kind, "raw", raw, curve).der, pair.spki);
  }
  JwkFields pub, priv;
  ASSERT_TRUE(exportJwk(kind, pair.spki, pub, error)) << error.message;
  ASSERT_TRUE(exportJwk(kind, pair.pkcs8, priv, error)) << error.message;
  EXPECT_FALSE(pub.d.has_value());
  EXPECT_TRUE(priv.d.has_value());
  if (kind == KeyKind::kRsa) {
    EXPECT_EQ(pub.n, priv.n);
    EXPECT_EQ(pub.e, priv.e);
    EXPECT_TRUE(priv.p && priv.q && priv.dp && priv.dq && priv.qi);
  } else {
    EXPECT_EQ(pub.x, priv.x);
    EXPECT_EQ(pub.y, priv.y);
  }
  ImportedKey a, b;
  ASSERT_TRUE(importJwk(kind, pub, curve, a, error)) << error.message;
  EXPECT_EQ(a.der, pair.spki);
  EXPECT_FALSE(a.isPrivate);
  ASSERT_TRUE(importJwk(kind, priv, curve, b, error)) << error.message;
  EXPECT_EQ(b.der, pair.pkcs8);
  EXPECT_TRUE(b.isPrivate);
}

TEST(CryptoAsymmetric, ImportExportRoundTrips) {
  {
    SCOPED_TRACE("RSA");
    roundTrip(KeyKind::kRsa, rsa2048());
    roundTrip(KeyKind::kRsa, {unhex(kRsaSpki), unhex(kRsaPkcs8)});
  }
  for (const CurveCase& c : kCurveCases) {
    SCOPED_TRACE(c.name);
    roundTrip(KeyKind::kEc, generate(KeyKind::kEc, c.name), c.name);
    roundTrip(KeyKind::kEc, {unhex(c.spki), unhex(c.pkcs8)}, c.name);
    ImportedKey key = imported(KeyKind::kEc, "spki", unhex(c.spki), c.name);
    EXPECT_EQ(key.namedCurve, c.name);
    Bytes raw;
    KeyError error;
    ASSERT_TRUE(exportRaw(KeyKind::kEc, unhex(c.spki), raw, error));
    EXPECT_EQ(raw.size(), 1 + 2 * c.size);
    EXPECT_EQ(raw[0], 4);
    JwkFields jwk;
    ASSERT_TRUE(exportJwk(KeyKind::kEc, unhex(c.pkcs8), jwk, error));
    EXPECT_EQ(jwk.x->size(), c.size);
    EXPECT_EQ(jwk.y->size(), c.size);
    EXPECT_EQ(jwk.d->size(), c.size);
  }
  {
    SCOPED_TRACE("Ed25519");
    roundTrip(KeyKind::kEd25519, generate(KeyKind::kEd25519));
  }
  {
    SCOPED_TRACE("X25519");
    roundTrip(KeyKind::kX25519, generate(KeyKind::kX25519));
  }
}

TEST(CryptoAsymmetric, CompressedPointComesOutUncompressed) {
  for (const CurveCase& c : kCurveCases) {
    SCOPED_TRACE(c.name);
    Bytes raw;
    KeyError error;
    ASSERT_TRUE(exportRaw(KeyKind::kEc, unhex(c.spki), raw, error));
    Bytes compressed(raw.begin(), raw.begin() + 1 + c.size);
    compressed[0] = uint8_t(2 + (raw.back() & 1));
    EXPECT_EQ(imported(KeyKind::kEc, "raw", compressed, c.name).der, unhex(c.spki));
    compressed[0] ^= 1;  // the other y
    EXPECT_NE(imported(KeyKind::kEc, "raw", compressed, c.name).der, unhex(c.spki));
  }
}

TEST(CryptoAsymmetric, OddButValidDerComesOutCanonical) {
  // The P-256 SPKI with its outer length in a long form and the RSA modulus with an extra
  // leading zero.
  Bytes spki = unhex(kP256Spki);
  Bytes odd = {0x30, 0x81};
  odd.insert(odd.end(), spki.begin() + 1, spki.end());
  EXPECT_EQ(imported(KeyKind::kEc, "spki", odd, "P-256").der, spki);

  JwkFields jwk;
  KeyError error;
  ASSERT_TRUE(exportJwk(KeyKind::kRsa, unhex(kRsaSpki), jwk, error));
  jwk.n->insert(jwk.n->begin(), 0);
  ImportedKey key;
  ASSERT_TRUE(importJwk(KeyKind::kRsa, jwk, {}, key, error)) << error.message;
  EXPECT_EQ(key.der, unhex(kRsaSpki));
}

// A DER element (short or two-byte lengths: enough here).
Bytes der(uint8_t tag, View content) {
  Bytes out{tag};
  if (content.size() >= 0x80) out.push_back(0x81);
  out.push_back(uint8_t(content.size()));
  return cat(out, content);
}

TEST(CryptoAsymmetric, Pkcs8VariantsComeOutCanonical) {
  // RFC 5915 with the optional parameters [0] and without the public key [1].
  const CurveCase& c = kCurveCases[0];
  JwkFields jwk;
  KeyError error;
  ASSERT_TRUE(exportJwk(KeyKind::kEc, unhex(c.pkcs8), jwk, error));
  Bytes curveOid = unhex("06082a8648ce3d030107");
  Bytes ecPrivateKey = der(0x30, cat(cat(unhex("020101"), der(0x04, *jwk.d)), der(0xa0, curveOid)));
  Bytes algorithm = der(0x30, cat(unhex("06072a8648ce3d0201"), curveOid));
  Bytes pkcs8 = der(0x30, cat(cat(unhex("020100"), algorithm), der(0x04, ecPrivateKey)));
  EXPECT_EQ(imported(KeyKind::kEc, "pkcs8", pkcs8, c.name).der, unhex(c.pkcs8));
  // Parameters naming another curve.
  Bytes otherCurve = unhex("06052b81040022");
  ecPrivateKey = der(0x30, cat(cat(unhex("020101"), der(0x04, *jwk.d)), der(0xa0, otherCurve)));
  pkcs8 = der(0x30, cat(cat(unhex("020100"), algorithm), der(0x04, ecPrivateKey)));
  EXPECT_EQ(importError(KeyKind::kEc, "pkcs8", pkcs8, c.name).name, "DataError");

  // RFC 8410 OneAsymmetricKey v2 with the public key.
  const EdVector& v = kEdVectors[0];
  Bytes seed = unhex(v.secret), pub = unhex(v.pub);
  Bytes body = cat(cat(unhex("020101"), unhex("300506032b6570")), der(0x04, der(0x04, seed)));
  Bytes v2 = der(0x30, cat(body, der(0x81, cat(Bytes{0}, pub))));
  ImportedKey key = imported(KeyKind::kEd25519, "pkcs8", v2);
  EXPECT_EQ(key.der, okpPkcs8(KeyKind::kEd25519, seed));
  pub[0] ^= 1;
  v2 = der(0x30, cat(body, der(0x81, cat(Bytes{0}, pub))));
  EXPECT_EQ(importError(KeyKind::kEd25519, "pkcs8", v2).name, "DataError");
}

TEST(CryptoAsymmetric, Rejections) {
  Bytes p256 = unhex(kP256Spki), p384 = unhex(kP384Spki), rsa = unhex(kRsaSpki);
  // Wrong algorithm OID.
  KeyError e = importError(KeyKind::kRsa, "spki", p256);
  EXPECT_EQ(e.name, "DataError");
  e = importError(KeyKind::kEc, "spki", rsa, "P-256");
  EXPECT_EQ(e.name, "DataError");
  e = importError(KeyKind::kEd25519, "spki", okpSpki(KeyKind::kX25519, Bytes(32, 9)));
  EXPECT_EQ(e.name, "DataError");
  e = importError(KeyKind::kX25519, "pkcs8", okpPkcs8(KeyKind::kEd25519, Bytes(32, 9)));
  EXPECT_EQ(e.name, "DataError");
  e = importError(KeyKind::kEc, "pkcs8", unhex(kRsaPkcs8), "P-256");
  EXPECT_EQ(e.name, "DataError");
  // A trailing byte.
  for (auto [kind, der, curve] :
       {std::tuple{KeyKind::kEc, p256, "P-256"}, std::tuple{KeyKind::kRsa, rsa, ""},
        std::tuple{KeyKind::kEd25519, okpSpki(KeyKind::kEd25519, Bytes(32, 1)), ""}}) {
    e = importError(kind, "spki", cat(der, Bytes{0}), curve);
    EXPECT_EQ(e.name, "DataError");
    EXPECT_NE(e.message.find("after"), std::string::npos) << e.message;
  }
  e = importError(KeyKind::kRsa, "pkcs8", cat(unhex(kRsaPkcs8), Bytes{0}));
  EXPECT_EQ(e.name, "DataError");
  e = importError(KeyKind::kX25519, "raw", Bytes(33, 1));
  EXPECT_EQ(e.name, "DataError");
  // Truncated.
  e = importError(KeyKind::kEc, "spki", View(p256).first(p256.size() - 1), "P-256");
  EXPECT_EQ(e.name, "DataError");
  // The curve does not match.
  e = importError(KeyKind::kEc, "spki", p384, "P-256");
  EXPECT_EQ(e.name, "DataError");
  EXPECT_EQ(e.message, "The named curve of the key data (P-384) does not match 'P-256'.");
  e = importError(KeyKind::kEc, "pkcs8", unhex(kP521Pkcs8), "P-384");
  EXPECT_EQ(e.name, "DataError");
  // A point not on the curve.
  Bytes offCurve = p256;
  offCurve.back() ^= 1;
  e = importError(KeyKind::kEc, "spki", offCurve, "P-256");
  EXPECT_EQ(e.name, "DataError");
  Bytes raw(p256.end() - 65, p256.end());
  raw[40] ^= 1;
  e = importError(KeyKind::kEc, "raw", raw, "P-256");
  EXPECT_EQ(e.name, "DataError");
  e = importError(KeyKind::kEc, "raw", View(raw).first(64), "P-256");
  EXPECT_EQ(e.name, "DataError");
  // An EC private key whose public key is not its own.
  Bytes pkcs8 = unhex(kP256Pkcs8);
  pkcs8.back() ^= 1;
  e = importError(KeyKind::kEc, "pkcs8", pkcs8, "P-256");
  EXPECT_EQ(e.name, "DataError");
}

TEST(CryptoAsymmetric, JwkRejections) {
  ImportedKey key;
  KeyError error;
  // EC: d not matching x and y; wrong lengths; off the curve.
  JwkFields ec, other;
  ASSERT_TRUE(exportJwk(KeyKind::kEc, unhex(kP256Pkcs8), ec, error));
  ASSERT_TRUE(exportJwk(KeyKind::kEc, generate(KeyKind::kEc, "P-256").pkcs8, other, error));
  JwkFields mixed = ec;
  mixed.d = other.d;
  EXPECT_FALSE(importJwk(KeyKind::kEc, mixed, "P-256", key, error));
  EXPECT_EQ(error.name, "DataError");
  JwkFields shortX = ec;
  shortX.x->erase(shortX.x->begin());
  EXPECT_FALSE(importJwk(KeyKind::kEc, shortX, "P-256", key, error));
  EXPECT_EQ(error.name, "DataError");
  JwkFields longD = ec;
  longD.d->insert(longD.d->begin(), 0);
  EXPECT_FALSE(importJwk(KeyKind::kEc, longD, "P-256", key, error));
  EXPECT_EQ(error.name, "DataError");
  EXPECT_FALSE(importJwk(KeyKind::kEc, ec, "P-384", key, error));
  EXPECT_EQ(error.name, "DataError");
  JwkFields offCurve = ec;
  offCurve.d.reset();
  (*offCurve.y)[3] ^= 1;
  EXPECT_FALSE(importJwk(KeyKind::kEc, offCurve, "P-256", key, error));
  EXPECT_EQ(error.name, "DataError");
  // OKP: d not matching x.
  JwkFields ed;
  ASSERT_TRUE(exportJwk(KeyKind::kEd25519, generate(KeyKind::kEd25519).pkcs8, ed, error));
  (*ed.x)[0] ^= 1;
  EXPECT_FALSE(importJwk(KeyKind::kEd25519, ed, {}, key, error));
  EXPECT_EQ(error.name, "DataError");
  JwkFields x;
  ASSERT_TRUE(exportJwk(KeyKind::kX25519, generate(KeyKind::kX25519).pkcs8, x, error));
  (*x.d)[5] ^= 1;
  EXPECT_FALSE(importJwk(KeyKind::kX25519, x, {}, key, error));
  EXPECT_EQ(error.name, "DataError");
  x.x->pop_back();
  EXPECT_FALSE(importJwk(KeyKind::kX25519, x, {}, key, error));
  EXPECT_EQ(error.name, "DataError");
  // RSA: a private key without its CRT members.
  JwkFields rsa;
  ASSERT_TRUE(exportJwk(KeyKind::kRsa, unhex(kRsaPkcs8), rsa, error));
  for (std::optional<Bytes> JwkFields::*m :
       {&JwkFields::p, &JwkFields::q, &JwkFields::dp, &JwkFields::dq, &JwkFields::qi}) {
    JwkFields partial = rsa;
    (partial.*m).reset();
    EXPECT_FALSE(importJwk(KeyKind::kRsa, partial, {}, key, error));
    EXPECT_EQ(error.name, "DataError");
  }
  // RSA: parts of two keys.
  for (std::optional<Bytes> JwkFields::*m : {&JwkFields::d, &JwkFields::dp, &JwkFields::qi}) {
    JwkFields wrong = rsa;
    (wrong.*m)->back() ^= 2;
    EXPECT_FALSE(importJwk(KeyKind::kRsa, wrong, {}, key, error));
    EXPECT_EQ(error.name, "DataError");
  }
  JwkFields noE = rsa;
  noE.e.reset();
  EXPECT_FALSE(importJwk(KeyKind::kRsa, noE, {}, key, error));
  EXPECT_EQ(error.name, "DataError");
}

TEST(CryptoAsymmetric, ThreadsHaveTheirOwnGenerators) {
  KeyPair pair = generate(KeyKind::kEc, "P-256");
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        Bytes sig;
        KeyError error;
        bool valid = false;
        if (sign(SignatureAlgorithm::kEcdsa, pair.pkcs8, text("t"), kSha256, 0, sig, error) &&
            verify(SignatureAlgorithm::kEcdsa, pair.spki, sig, text("t"), kSha256, 0, valid,
                   error) &&
            valid) {
          ++good;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 80);
}

}  // namespace
}  // namespace torus::js::webcrypto
