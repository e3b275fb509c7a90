// WebCrypto interop between torus and node (tests/integration/crypto_interop_test.py runs
// this module under both). produce() makes keys, signatures, ciphertexts and derived bits in
// every algorithm and exports the keys in every format; check(data) takes another runtime's
// produce() output, imports everything, verifies and decrypts it, redoes the derivations
// and returns the list of what disagreed (empty: all agree).
const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();
const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const message = enc.encode("interop message: torus and node agree");

const signers = [
  { name: "ECDSA P-256", gen: { name: "ECDSA", namedCurve: "P-256" }, use: { name: "ECDSA", hash: "SHA-256" } },
  { name: "ECDSA P-384", gen: { name: "ECDSA", namedCurve: "P-384" }, use: { name: "ECDSA", hash: "SHA-384" } },
  { name: "ECDSA P-521", gen: { name: "ECDSA", namedCurve: "P-521" }, use: { name: "ECDSA", hash: "SHA-512" } },
  { name: "Ed25519", gen: { name: "Ed25519" }, use: { name: "Ed25519" } },
  { name: "RSASSA-PKCS1-v1_5", gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, use: { name: "RSASSA-PKCS1-v1_5" } },
  { name: "RSA-PSS", gen: { name: "RSA-PSS", modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-384" }, use: { name: "RSA-PSS", saltLength: 48 } },
];
const agreements = [
  { name: "ECDH P-256", gen: { name: "ECDH", namedCurve: "P-256" } },
  { name: "ECDH P-384", gen: { name: "ECDH", namedCurve: "P-384" } },
  { name: "ECDH P-521", gen: { name: "ECDH", namedCurve: "P-521" } },
  { name: "X25519", gen: { name: "X25519" } },
];
const importAlg = (gen) => {
  const { modulusLength, publicExponent, ...rest } = gen;
  return rest;
};

export async function produce() {
  const out = { signers: {}, agreements: {}, symmetric: {} };
  for (const s of signers) {
    const pair = await subtle.generateKey(s.gen, true, ["sign", "verify"]);
    out.signers[s.name] = {
      signature: b64(await subtle.sign(s.use, pair.privateKey, message)),
      spki: b64(await subtle.exportKey("spki", pair.publicKey)),
      publicJwk: await subtle.exportKey("jwk", pair.publicKey),
      pkcs8: b64(await subtle.exportKey("pkcs8", pair.privateKey)),
      privateJwk: await subtle.exportKey("jwk", pair.privateKey),
    };
  }
  for (const a of agreements) {
    const mine = await subtle.generateKey(a.gen, true, ["deriveBits"]);
    const peer = await subtle.generateKey(a.gen, true, ["deriveBits"]);
    out.agreements[a.name] = {
      pkcs8: b64(await subtle.exportKey("pkcs8", mine.privateKey)),
      privateJwk: await subtle.exportKey("jwk", mine.privateKey),
      peerRaw: b64(await subtle.exportKey("raw", peer.publicKey)),
      peerSpki: b64(await subtle.exportKey("spki", peer.publicKey)),
      bits: b64(await subtle.deriveBits({ name: a.gen.name, public: peer.publicKey },
        mine.privateKey, null)),
    };
  }
  const oaep = await subtle.generateKey({ name: "RSA-OAEP", modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["encrypt", "decrypt"]);
  const label = enc.encode("a label");
  out.oaep = {
    pkcs8: b64(await subtle.exportKey("pkcs8", oaep.privateKey)),
    privateJwk: await subtle.exportKey("jwk", oaep.privateKey),
    ciphertext: b64(await subtle.encrypt({ name: "RSA-OAEP", label }, oaep.publicKey, message)),
  };
  const aes = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aad = enc.encode("aad");
  out.symmetric.gcm = {
    jwk: await subtle.exportKey("jwk", aes), iv: b64(iv),
    ciphertext: b64(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 96 },
      aes, message)),
  };
  const kw = await subtle.generateKey({ name: "AES-KW", length: 192 }, true, ["wrapKey"]);
  out.symmetric.kw = { raw: b64(await subtle.exportKey("raw", kw)),
    wrapped: b64(await subtle.wrapKey("raw", aes, kw, "AES-KW")),
    inner: b64(await subtle.exportKey("raw", aes)) };
  const secret = await subtle.importKey("raw", enc.encode("input keying material"), "HKDF", false,
    ["deriveBits"]);
  out.symmetric.hkdf = b64(await subtle.deriveBits({ name: "HKDF", hash: "SHA-512",
    salt: enc.encode("salt"), info: enc.encode("info") }, secret, 512));
  const pw = await subtle.importKey("raw", enc.encode("password"), "PBKDF2", false, ["deriveBits"]);
  out.symmetric.pbkdf2 = b64(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-384",
    salt: enc.encode("NaCl"), iterations: 1000 }, pw, 384));
  const hmac = await subtle.importKey("raw", enc.encode("hmac key"), { name: "HMAC", hash: "SHA-512" },
    true, ["sign"]);
  out.symmetric.hmac = b64(await subtle.sign("HMAC", hmac, message));
  return out;
}

export async function check(data) {
  const failures = [];
  const expect = (cond, what) => { if (!cond) failures.push(what); };
  const attempt = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      failures.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  for (const s of signers) {
    const d = data.signers[s.name];
    const alg = importAlg(s.gen);
    await attempt(`${s.name} verify (spki)`, async () => {
      const pub = await subtle.importKey("spki", unb64(d.spki), alg, true, ["verify"]);
      expect(await subtle.verify(s.use, pub, unb64(d.signature), message), `${s.name} spki verify`);
      const again = new Uint8Array(await subtle.exportKey("spki", pub));
      expect(b64(again) === d.spki, `${s.name} spki re-export is byte-identical`);
    });
    await attempt(`${s.name} verify (jwk)`, async () => {
      const pub = await subtle.importKey("jwk", d.publicJwk, alg, true, ["verify"]);
      expect(await subtle.verify(s.use, pub, unb64(d.signature), message), `${s.name} jwk verify`);
    });
    await attempt(`${s.name} sign with the imported private keys`, async () => {
      const pub = await subtle.importKey("spki", unb64(d.spki), alg, true, ["verify"]);
      for (const [format, keyData] of [["pkcs8", unb64(d.pkcs8)], ["jwk", d.privateJwk]]) {
        const priv = await subtle.importKey(format, keyData, alg, true, ["sign"]);
        const sig = await subtle.sign(s.use, priv, message);
        expect(await subtle.verify(s.use, pub, sig, message), `${s.name} ${format} private key signs`);
      }
      const jwk = await subtle.exportKey("jwk", await subtle.importKey("pkcs8", unb64(d.pkcs8), alg,
        true, ["sign"]));
      for (const m of Object.keys(d.privateJwk)) {
        if (m !== "key_ops" && m !== "ext") {
          expect(jwk[m] === d.privateJwk[m], `${s.name} private JWK member ${m} agrees`);
        }
      }
    });
  }
  for (const a of agreements) {
    const d = data.agreements[a.name];
    await attempt(`${a.name} derive`, async () => {
      for (const [format, keyData] of [["pkcs8", unb64(d.pkcs8)], ["jwk", d.privateJwk]]) {
        const priv = await subtle.importKey(format, keyData, a.gen, true, ["deriveBits"]);
        for (const [pf, pd] of [["raw", unb64(d.peerRaw)], ["spki", unb64(d.peerSpki)]]) {
          const pub = await subtle.importKey(pf, pd, a.gen, true, []);
          const bits = await subtle.deriveBits({ name: a.gen.name, public: pub }, priv, null);
          expect(b64(bits) === d.bits, `${a.name} ${format}+${pf} secret agrees`);
        }
      }
    });
  }
  await attempt("RSA-OAEP decrypt", async () => {
    const alg = { name: "RSA-OAEP", hash: "SHA-256" };
    for (const [format, keyData] of [["pkcs8", unb64(data.oaep.pkcs8)], ["jwk", data.oaep.privateJwk]]) {
      const priv = await subtle.importKey(format, keyData, alg, false, ["decrypt"]);
      const pt = await subtle.decrypt({ name: "RSA-OAEP", label: enc.encode("a label") }, priv,
        unb64(data.oaep.ciphertext));
      expect(b64(pt) === b64(message), `RSA-OAEP ${format} decrypts`);
    }
  });
  await attempt("AES-GCM decrypt", async () => {
    const g = data.symmetric.gcm;
    const key = await subtle.importKey("jwk", g.jwk, "AES-GCM", false, ["decrypt"]);
    const pt = await subtle.decrypt({ name: "AES-GCM", iv: unb64(g.iv), additionalData: enc.encode("aad"),
      tagLength: 96 }, key, unb64(g.ciphertext));
    expect(b64(pt) === b64(message), "AES-GCM decrypts");
  });
  await attempt("AES-KW unwrap", async () => {
    const k = data.symmetric.kw;
    const kek = await subtle.importKey("raw", unb64(k.raw), "AES-KW", false, ["unwrapKey"]);
    const key = await subtle.unwrapKey("raw", unb64(k.wrapped), kek, "AES-KW", "AES-GCM", true, ["encrypt"]);
    expect(b64(await subtle.exportKey("raw", key)) === k.inner, "AES-KW unwraps");
  });
  await attempt("HKDF, PBKDF2, HMAC", async () => {
    const mine = await produceSymmetricOnly();
    for (const m of ["hkdf", "pbkdf2", "hmac"]) expect(mine[m] === data.symmetric[m], `${m} agrees`);
  });
  return failures;
}

async function produceSymmetricOnly() {
  const secret = await subtle.importKey("raw", enc.encode("input keying material"), "HKDF", false,
    ["deriveBits"]);
  const pw = await subtle.importKey("raw", enc.encode("password"), "PBKDF2", false, ["deriveBits"]);
  const hmac = await subtle.importKey("raw", enc.encode("hmac key"), { name: "HMAC", hash: "SHA-512" },
    true, ["sign"]);
  return {
    hkdf: b64(await subtle.deriveBits({ name: "HKDF", hash: "SHA-512", salt: enc.encode("salt"),
      info: enc.encode("info") }, secret, 512)),
    pbkdf2: b64(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-384", salt: enc.encode("NaCl"),
      iterations: 1000 }, pw, 384)),
    hmac: b64(await subtle.sign("HMAC", hmac, message)),
  };
}
