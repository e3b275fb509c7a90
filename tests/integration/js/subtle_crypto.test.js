// crypto.subtle: shape, errors, known answers (RFC 4231, 5869, 6070, 7748, 8032, NIST), formats
// and round trips for every algorithm, structured clone, the helper pool.
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

const subtle = crypto.subtle;
const enc = new TextEncoder();
const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array(s.match(/../g).map((x) => parseInt(x, 16)));

// The promise rejects with a DOMException (or TypeError) called `name` whose message matches.
async function fails(promise, name, pattern) {
  assert(promise instanceof Promise, "returns a promise");
  try {
    await promise;
  } catch (e) {
    equal(e.name, name, `error name (${e.message})`);
    if (pattern) assert(pattern.test(e.message), `message ${JSON.stringify(e.message)} matches ${pattern}`);
    if (name !== "TypeError") assert(e instanceof DOMException, "a DOMException");
    return e;
  }
  throw new Error(`did not reject (wanted ${name})`);
}

await test("shape", () => {
  assert(subtle instanceof SubtleCrypto);
  equal(crypto.subtle, subtle, "one SubtleCrypto");
  equal(Object.prototype.toString.call(subtle), "[object SubtleCrypto]");
  throws(() => new SubtleCrypto(), TypeError, /Illegal constructor/);
  throws(() => new CryptoKey(), TypeError, /Illegal constructor/);
  const lengths = { encrypt: 3, decrypt: 3, sign: 3, verify: 4, digest: 2, generateKey: 3,
    deriveKey: 5, deriveBits: 2, importKey: 5, exportKey: 2, wrapKey: 4, unwrapKey: 7 };
  for (const [name, length] of Object.entries(lengths)) {
    const d = Object.getOwnPropertyDescriptor(SubtleCrypto.prototype, name);
    equal(typeof d.value, "function", name);
    equal(d.enumerable, true, `${name} enumerable`);
    equal(d.value.length, length, `${name}.length`);
  }
  for (const name of ["type", "extractable", "algorithm", "usages"]) {
    equal(typeof Object.getOwnPropertyDescriptor(CryptoKey.prototype, name).get, "function", name);
  }
  throws(() => Object.getOwnPropertyDescriptor(Crypto.prototype, "subtle").get.call({}), TypeError);
});

await test("methods reject, never throw", async () => {
  await fails(SubtleCrypto.prototype.digest.call({}, "SHA-256", new Uint8Array()), "TypeError",
    /Illegal invocation/);
  await fails(subtle.digest("SHA-256"), "TypeError", /2 arguments required/);
  await fails(subtle.digest("SHA-256", "text"), "TypeError", /parameter 2/);
  await fails(subtle.digest("MD5", new Uint8Array()), "NotSupportedError", /MD5/);
  await fails(subtle.digest({}, new Uint8Array()), "TypeError", /name/);
  await fails(subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, {}, new Uint8Array()),
    "TypeError", /parameter 2 is not of type 'CryptoKey'/);
  await fails(subtle.generateKey({ name: "AES-GCM", length: 100 }, true, ["encrypt"]),
    "OperationError", /128, 192 or 256/);
  await fails(subtle.generateKey({ name: "AES-GCM", length: 128 }, true, ["sign"]),
    "SyntaxError", /'sign'/);
  await fails(subtle.generateKey({ name: "AES-GCM", length: 128 }, true, []), "SyntaxError",
    /at least one usage/);
  await fails(subtle.generateKey({ name: "AES-GCM", length: 128 }, true, ["bogus"]), "TypeError",
    /KeyUsage/);
  await fails(subtle.generateKey({ name: "AES-GCM" }, true, ["encrypt"]), "TypeError", /length/);
  await fails(subtle.generateKey({ name: "AES-GCM", length: 1e6 }, true, ["encrypt"]), "TypeError",
    /length/);
  await fails(subtle.importKey("raw", {}, "AES-GCM", true, ["encrypt"]), "TypeError", /'raw'/);
  await fails(subtle.importKey("jwk", new Uint8Array(16), "AES-GCM", true, ["encrypt"]),
    "TypeError", /JsonWebKey/);
  await fails(subtle.importKey("raw", new Uint8Array(15), "AES-GCM", true, ["encrypt"]),
    "DataError", /16, 24 or 32/);
  await fails(subtle.importKey("spki", new Uint8Array(16), "AES-GCM", true, ["encrypt"]),
    "NotSupportedError", /spki/);
});

await test("normalization: case-insensitive names, getters read once, hash as a string", async () => {
  let reads = 0;
  const alg = { get name() { reads++; return "hmac"; }, hash: "sha-256" };
  const key = await subtle.generateKey(alg, false, ["sign"]);
  deepEqual(key.algorithm, { name: "HMAC", length: 512, hash: { name: "SHA-256" } });
  equal(reads, 2, "name read by Algorithm, then by HmacKeyGenParams");
  equal(key.algorithm, key.algorithm, "algorithm is cached");
  equal(key.usages, key.usages, "usages are cached");
});

await test("digests (FIPS 180 'abc')", async () => {
  const abc = enc.encode("abc");
  equal(hex(await subtle.digest("SHA-1", abc)), "a9993e364706816aba3e25717850c26c9cd0d89d");
  equal(hex(await subtle.digest({ name: "SHA-256" }, abc)),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  equal(hex(await subtle.digest("SHA-384", abc)), "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  equal(hex(await subtle.digest("SHA-512", abc)), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  // The data is copied when the call is made.
  const data = enc.encode("abc");
  const p = subtle.digest("SHA-256", data);
  data[0] = 0;
  equal(hex(await p), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

await test("HMAC (RFC 4231 case 2), JWK checks", async () => {
  const key = await subtle.importKey("raw", enc.encode("Jefe"), { name: "HMAC", hash: "SHA-256" },
    true, ["sign", "verify"]);
  const data = enc.encode("what do ya want for nothing?");
  const mac = await subtle.sign("HMAC", key, data);
  equal(hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  equal(await subtle.verify("HMAC", key, mac, data), true);
  equal(await subtle.verify("HMAC", key, new Uint8Array(32), data), false);
  equal(await subtle.verify("HMAC", key, mac.slice(0, 31), data), false);
  const jwk = await subtle.exportKey("jwk", key);
  deepEqual(jwk, { kty: "oct", k: "SmVmZQ", alg: "HS256", key_ops: ["sign", "verify"], ext: true });
  const hmac256 = { name: "HMAC", hash: "SHA-256" };
  await fails(subtle.importKey("jwk", { ...jwk, alg: "HS384" }, hmac256, true, ["sign"]),
    "DataError", /'alg'/);
  await fails(subtle.importKey("jwk", { ...jwk, ext: false }, hmac256, true, ["sign"]),
    "DataError", /'ext'/);
  await fails(subtle.importKey("jwk", { ...jwk, key_ops: ["verify"] }, hmac256, true, ["sign"]),
    "DataError", /key_ops/);
  await fails(subtle.importKey("jwk", { ...jwk, kty: "EC" }, hmac256, true, ["sign"]),
    "DataError", /kty/);
  await fails(subtle.importKey("jwk", { ...jwk, k: "!!" }, hmac256, true, ["sign"]),
    "DataError", /base64url/);
  await fails(subtle.sign("HMAC", await subtle.importKey("raw", enc.encode("k"), hmac256, false,
    ["verify"]), data), "InvalidAccessError", /'sign'/);
  await fails(subtle.exportKey("raw", await subtle.importKey("raw", enc.encode("k"), hmac256,
    false, ["sign"])), "InvalidAccessError", /not extractable/);
});

await test("AES-GCM (NIST test case 4), CBC, CTR counter wrap, KW (RFC 3394)", async () => {
  const key = await subtle.importKey("raw", unhex("feffe9928665731c6d6a8f9467308308"), "AES-GCM",
    true, ["encrypt", "decrypt"]);
  const iv = unhex("cafebabefacedbaddecaf888");
  const pt = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, pt);
  equal(hex(ct), "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091" + "5bc94fbc3221a5db94fae95ae7121a47");
  equal(hex(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, ct)), hex(pt));
  const bad = new Uint8Array(ct);
  bad[0] ^= 1;
  await fails(subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, bad), "OperationError");
  await fails(subtle.encrypt({ name: "AES-GCM", iv, tagLength: 100 }, key, pt), "OperationError",
    /tagLength/);
  const short = await subtle.encrypt({ name: "AES-GCM", iv, tagLength: 32 }, key, pt);
  equal(short.byteLength, pt.length + 4);

  const cbc = await subtle.importKey("raw", unhex("2b7e151628aed2a6abf7158809cf4f3c"), "AES-CBC",
    false, ["encrypt", "decrypt"]);
  const cbcIv = unhex("000102030405060708090a0b0c0d0e0f");
  const block = unhex("6bc1bee22e409f96e93d7e117393172a");
  const cbcCt = await subtle.encrypt({ name: "AES-CBC", iv: cbcIv }, cbc, block);
  equal(hex(cbcCt).slice(0, 32), "7649abac8119b246cee98e9b12e9197d", "SP 800-38A F.2.1");
  equal(cbcCt.byteLength, 32, "PKCS#7 adds a block");
  equal(hex(await subtle.decrypt({ name: "AES-CBC", iv: cbcIv }, cbc, cbcCt)), hex(block));
  await fails(subtle.encrypt({ name: "AES-CBC", iv: new Uint8Array(8) }, cbc, block),
    "OperationError", /16 bytes/);

  // A 4-bit counter: after 16 blocks the counter wraps to 0, the rest of the block stays.
  const ctr = await subtle.importKey("raw", new Uint8Array(16), "AES-CTR", false, ["encrypt"]);
  const counter = new Uint8Array(16);
  counter[15] = 0x0f;
  const out = new Uint8Array(await subtle.encrypt({ name: "AES-CTR", counter, length: 4 }, ctr,
    new Uint8Array(32)));
  const wrapped = new Uint8Array(await subtle.encrypt({ name: "AES-CTR",
    counter: new Uint8Array(16), length: 4 }, ctr, new Uint8Array(16)));
  equal(hex(out.slice(16)), hex(wrapped), "second block uses counter 0");
  await fails(subtle.encrypt({ name: "AES-CTR", counter, length: 0 }, ctr, new Uint8Array(1)),
    "OperationError", /counter length/);

  const kek = await subtle.importKey("raw", unhex("000102030405060708090a0b0c0d0e0f"), "AES-KW",
    false, ["wrapKey", "unwrapKey"]);
  const inner = await subtle.importKey("raw", unhex("00112233445566778899aabbccddeeff"),
    "AES-CBC", true, ["encrypt"]);
  const wrappedKey = await subtle.wrapKey("raw", inner, kek, "AES-KW");
  equal(hex(wrappedKey), "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5", "RFC 3394 4.1");
  const back = await subtle.unwrapKey("raw", wrappedKey, kek, "AES-KW", "AES-CBC", true,
    ["decrypt"]);
  equal(hex(await subtle.exportKey("raw", back)), "00112233445566778899aabbccddeeff");
  deepEqual(back.usages, ["decrypt"]);
  await fails(subtle.unwrapKey("raw", new Uint8Array(24), kek, "AES-KW", "AES-CBC", true,
    ["decrypt"]), "OperationError");
});

await test("HKDF (RFC 5869 case 1), PBKDF2 (RFC 6070), deriveKey", async () => {
  const ikm = await subtle.importKey("raw", unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
    "HKDF", false, ["deriveBits", "deriveKey"]);
  const hkdf = { name: "HKDF", hash: "SHA-256", salt: unhex("000102030405060708090a0b0c"),
    info: unhex("f0f1f2f3f4f5f6f7f8f9") };
  equal(hex(await subtle.deriveBits(hkdf, ikm, 42 * 8)), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  await fails(subtle.deriveBits(hkdf, ikm, 7), "OperationError", /multiple of 8/);
  await fails(subtle.deriveBits(hkdf, ikm), "OperationError", /length/);
  await fails(subtle.importKey("raw", new Uint8Array(4), "HKDF", true, ["deriveBits"]),
    "SyntaxError", /extractable/);
  const aes = await subtle.deriveKey(hkdf, ikm, { name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  equal(hex(await subtle.exportKey("raw", aes)), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
  const hmacKey = await subtle.deriveKey(hkdf, ikm, { name: "HMAC", hash: "SHA-1" }, true, ["sign"]);
  equal(hmacKey.algorithm.length, 512, "HMAC's key length: the hash's block size");

  const pw = await subtle.importKey("raw", enc.encode("password"), "PBKDF2", false, ["deriveBits"]);
  const salt = enc.encode("salt");
  equal(hex(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-1", salt, iterations: 2 }, pw, 160)),
    "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  equal(hex(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-1", salt, iterations: 4096 }, pw, 160)),
    "4b007901b765489abead49d926f721d065a429c1");
  await fails(subtle.deriveBits({ name: "PBKDF2", hash: "SHA-1", salt, iterations: 0 }, pw, 160),
    "OperationError", /iterations/);
  await fails(subtle.deriveKey({ name: "PBKDF2", hash: "SHA-1", salt, iterations: 1 }, pw,
    { name: "AES-GCM", length: 128 }, true, ["encrypt"]), "InvalidAccessError", /deriveKey/);
});

await test("slow work runs on the helper pool: timers keep firing", async () => {
  const pw = await subtle.importKey("raw", enc.encode("password"), "PBKDF2", false, ["deriveBits"]);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: enc.encode("salt"),
    iterations: 600000 }, pw, 256);
  clearInterval(timer);
  equal(bits.byteLength, 32);
  assert(ticks > 3, `timers ran while PBKDF2 did (${ticks} ticks)`);
  // Several at once settle independently, in any order.
  const all = await Promise.all([1, 2, 3].map((i) => subtle.deriveBits({ name: "PBKDF2",
    hash: "SHA-1", salt: enc.encode("salt"), iterations: 200000 + i }, pw, 160)));
  equal(new Set(all.map(hex)).size, 3);
  const big = new Uint8Array(3 << 20);
  equal(hex(await subtle.digest("SHA-1", big)), hex(await subtle.digest("SHA-1", big.slice())));
});

await test("structuredClone keeps a key's slots", async () => {
  const key = await subtle.generateKey({ name: "HMAC", hash: "SHA-384", length: 100 }, true,
    ["sign", "verify"]);
  const copy = structuredClone(key);
  assert(copy instanceof CryptoKey);
  assert(copy !== key);
  deepEqual(copy.algorithm, key.algorithm);
  deepEqual(copy.usages, ["sign", "verify"]);
  equal(copy.extractable, true);
  const data = enc.encode("x");
  equal(hex(await subtle.sign("HMAC", copy, data)), hex(await subtle.sign("HMAC", key, data)));
  const [a, b] = structuredClone([key, key]);
  equal(a, b, "shared references survive");
});

// ---- asymmetric ----

await test("ECDSA on every curve: generate, sign/verify, formats round trip", async () => {
  for (const [namedCurve, hash, size] of [["P-256", "SHA-256", 64], ["P-384", "SHA-384", 96],
    ["P-521", "SHA-512", 132]]) {
    const { publicKey, privateKey } = await subtle.generateKey({ name: "ECDSA", namedCurve }, true,
      ["sign", "verify"]);
    equal(publicKey.type, "public");
    equal(privateKey.type, "private");
    deepEqual(publicKey.usages, ["verify"]);
    deepEqual(privateKey.usages, ["sign"]);
    equal(publicKey.extractable, true);
    const data = enc.encode("message");
    const sig = await subtle.sign({ name: "ECDSA", hash }, privateKey, data);
    equal(sig.byteLength, size, `${namedCurve} r||s`);
    equal(await subtle.verify({ name: "ECDSA", hash }, publicKey, sig, data), true);
    equal(await subtle.verify({ name: "ECDSA", hash }, publicKey, sig, enc.encode("other")), false);
    equal(await subtle.verify({ name: "ECDSA", hash }, publicKey, sig.slice(1), data), false);
    await fails(subtle.sign({ name: "ECDSA", hash }, publicKey, data), "InvalidAccessError");
    for (const format of ["spki", "raw", "jwk"]) {
      const exported = await subtle.exportKey(format, publicKey);
      const imported = await subtle.importKey(format, exported, { name: "ECDSA", namedCurve },
        true, ["verify"]);
      equal(await subtle.verify({ name: "ECDSA", hash }, imported, sig, data), true, format);
    }
    for (const format of ["pkcs8", "jwk"]) {
      const exported = await subtle.exportKey(format, privateKey);
      const imported = await subtle.importKey(format, exported, { name: "ECDSA", namedCurve },
        true, ["sign"]);
      const again = await subtle.exportKey(format, imported);
      deepEqual(format === "jwk" ? again : new Uint8Array(again),
        format === "jwk" ? exported : new Uint8Array(exported), `${format} round trip`);
    }
    const jwk = await subtle.exportKey("jwk", privateKey);
    equal(jwk.kty, "EC");
    equal(jwk.crv, namedCurve);
    await fails(subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: namedCurve === "P-256"
      ? "P-384" : "P-256" }, true, ["sign"]), "DataError", /crv/);
    await fails(subtle.exportKey("raw", privateKey), "InvalidAccessError");
  }
  await fails(subtle.generateKey({ name: "ECDSA", namedCurve: "P-192" }, true, ["sign"]),
    "NotSupportedError", /P-192/);
  await fails(subtle.importKey("raw", new Uint8Array(65), { name: "ECDSA", namedCurve: "P-256" },
    true, ["verify"]), "DataError");
});

await test("ECDH and X25519 agree; RFC 7748 6.1", async () => {
  for (const namedCurve of ["P-256", "P-384", "P-521"]) {
    const alg = { name: "ECDH", namedCurve };
    const a = await subtle.generateKey(alg, true, ["deriveBits"]);
    const b = await subtle.generateKey(alg, true, ["deriveBits"]);
    const ab = await subtle.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, null);
    const ba = await subtle.deriveBits({ name: "ECDH", public: a.publicKey }, b.privateKey, null);
    equal(hex(ab), hex(ba), namedCurve);
    equal(ab.byteLength, { "P-256": 32, "P-384": 48, "P-521": 66 }[namedCurve]);
    equal(hex(await subtle.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 12)),
      hex(new Uint8Array([new Uint8Array(ab)[0], new Uint8Array(ab)[1] & 0xf0])));
    await fails(subtle.deriveBits({ name: "ECDH", public: a.privateKey }, b.privateKey, 8),
      "InvalidAccessError", /public/);
  }
  const p256 = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const p384 = await subtle.generateKey({ name: "ECDH", namedCurve: "P-384" }, true, ["deriveBits"]);
  await fails(subtle.deriveBits({ name: "ECDH", public: p384.publicKey }, p256.privateKey, 8),
    "InvalidAccessError", /curve/);

  const alicePriv = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bobPub = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const b64u = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-")
    .replace(/\//g, "_").replace(/=+$/, "");
  const alice = await subtle.importKey("jwk", { kty: "OKP", crv: "X25519", d: b64u(alicePriv),
    x: b64u(unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")) },
  "X25519", true, ["deriveBits"]);
  const bob = await subtle.importKey("raw", bobPub, "X25519", true, []);
  equal(hex(await subtle.deriveBits({ name: "X25519", public: bob }, alice, 256)),
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  const x1 = await subtle.generateKey("X25519", true, ["deriveKey"]);
  const x2 = await subtle.generateKey("X25519", true, ["deriveKey"]);
  const k1 = await subtle.deriveKey({ name: "X25519", public: x2.publicKey }, x1.privateKey,
    { name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  const k2 = await subtle.deriveKey({ name: "X25519", public: x1.publicKey }, x2.privateKey,
    { name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  equal(hex(await subtle.exportKey("raw", k1)), hex(await subtle.exportKey("raw", k2)));
});

await test("Ed25519: RFC 8032 test 2, formats", async () => {
  const secret = unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  const pub = unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
    0x70, 0x04, 0x22, 0x04, 0x20, ...secret]);
  const privateKey = await subtle.importKey("pkcs8", pkcs8, "Ed25519", true, ["sign"]);
  const sig = await subtle.sign("Ed25519", privateKey, new Uint8Array([0x72]));
  equal(hex(sig), "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  const publicKey = await subtle.importKey("raw", pub, "Ed25519", true, ["verify"]);
  equal(await subtle.verify("Ed25519", publicKey, sig, new Uint8Array([0x72])), true);
  equal(await subtle.verify("Ed25519", publicKey, sig, new Uint8Array([0x73])), false);
  const jwk = await subtle.exportKey("jwk", privateKey);
  equal(jwk.kty, "OKP");
  equal(jwk.crv, "Ed25519");
  equal(hex(await subtle.exportKey("raw", publicKey)), hex(pub));
  deepEqual(new Uint8Array(await subtle.exportKey("pkcs8", privateKey)), pkcs8);
  const pair = await subtle.generateKey("Ed25519", false, ["sign", "verify"]);
  equal(pair.privateKey.extractable, false);
  equal(pair.publicKey.extractable, true);
  const s2 = await subtle.sign("Ed25519", pair.privateKey, enc.encode("hi"));
  equal(await subtle.verify("Ed25519", pair.publicKey, s2, enc.encode("hi")), true);
  await fails(subtle.importKey("raw", new Uint8Array(31), "Ed25519", true, ["verify"]), "DataError");
});

await test("RSA: PKCS#1 v1.5, PSS, OAEP, formats", async () => {
  const params = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
  const ssa = await subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", ...params }, true,
    ["sign", "verify"]);
  equal(ssa.publicKey.algorithm.modulusLength, 2048);
  deepEqual(ssa.publicKey.algorithm.publicExponent, new Uint8Array([1, 0, 1]));
  deepEqual(ssa.publicKey.algorithm.hash, { name: "SHA-256" });
  const data = enc.encode("payload");
  const sig = await subtle.sign("RSASSA-PKCS1-v1_5", ssa.privateKey, data);
  equal(sig.byteLength, 256);
  equal(hex(await subtle.sign("RSASSA-PKCS1-v1_5", ssa.privateKey, data)), hex(sig),
    "deterministic");
  equal(await subtle.verify("RSASSA-PKCS1-v1_5", ssa.publicKey, sig, data), true);
  equal(await subtle.verify("RSASSA-PKCS1-v1_5", ssa.publicKey, sig, enc.encode("x")), false);
  const jwk = await subtle.exportKey("jwk", ssa.privateKey);
  equal(jwk.alg, "RS256");
  for (const m of ["n", "e", "d", "p", "q", "dp", "dq", "qi"]) equal(typeof jwk[m], "string", m);
  const fromJwk = await subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true, ["sign"]);
  equal(hex(await subtle.sign("RSASSA-PKCS1-v1_5", fromJwk, data)), hex(sig));
  await fails(subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" }, true,
    ["sign"]), "DataError", /RS1/);
  const spki = await subtle.exportKey("spki", ssa.publicKey);
  const pub = await subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-256" }, true,
    ["verify"]);
  equal(pub.algorithm.name, "RSA-PSS");
  const pkcs8 = await subtle.exportKey("pkcs8", ssa.privateKey);
  const pss = await subtle.importKey("pkcs8", pkcs8, { name: "RSA-PSS", hash: "SHA-256" }, true,
    ["sign"]);
  for (const saltLength of [0, 32, 190]) {
    const s = await subtle.sign({ name: "RSA-PSS", saltLength }, pss, data);
    equal(await subtle.verify({ name: "RSA-PSS", saltLength }, pub, s, data), true, `salt ${saltLength}`);
  }
  await fails(subtle.sign({ name: "RSA-PSS", saltLength: 300 }, pss, data), "OperationError");

  const oaep = await subtle.generateKey({ name: "RSA-OAEP", ...params }, true,
    ["encrypt", "decrypt", "wrapKey", "unwrapKey"]);
  deepEqual(oaep.publicKey.usages, ["encrypt", "wrapKey"]);
  deepEqual(oaep.privateKey.usages, ["decrypt", "unwrapKey"]);
  const label = enc.encode("label");
  const ct = await subtle.encrypt({ name: "RSA-OAEP", label }, oaep.publicKey, data);
  equal(hex(await subtle.decrypt({ name: "RSA-OAEP", label }, oaep.privateKey, ct)), hex(data));
  await fails(subtle.decrypt({ name: "RSA-OAEP" }, oaep.privateKey, ct), "OperationError");
  await fails(subtle.encrypt({ name: "RSA-OAEP" }, oaep.publicKey, new Uint8Array(200)),
    "OperationError");
  // Wrapping a JWK with RSA-OAEP (any encrypt algorithm wraps).
  const aes = await subtle.generateKey({ name: "AES-GCM", length: 128 }, true, ["encrypt"]);
  const wrapped = await subtle.wrapKey("jwk", aes, oaep.publicKey, { name: "RSA-OAEP" });
  const unwrapped = await subtle.unwrapKey("jwk", wrapped, oaep.privateKey, { name: "RSA-OAEP" },
    "AES-GCM", true, ["encrypt"]);
  equal(hex(await subtle.exportKey("raw", unwrapped)), hex(await subtle.exportKey("raw", aes)));
  await fails(subtle.generateKey({ name: "RSA-OAEP", ...params, publicExponent: new Uint8Array([2]) },
    true, ["encrypt"]), "OperationError");
  const cloned = structuredClone(oaep.privateKey);
  equal(hex(await subtle.decrypt({ name: "RSA-OAEP", label }, cloned, ct)), hex(data));
});

done();
