// crypto.subtle (https://w3c.github.io/webcrypto/): SubtleCrypto and CryptoKey. Algorithm
// normalization, key types, usages, JWK and the spec's errors are here; the cryptography is
// wolfCrypt behind natives: the symmetric ones (js/api/subtle_crypto.h: digests, HMAC, AES,
// HKDF, PBKDF2) take raw key bytes, the asymmetric ones (js/api/crypto_asymmetric.h: RSA,
// ECDSA/ECDH, Ed25519, X25519) take keys as DER (SPKI for public keys, PKCS#8 for private
// ones, canonical as exportKey gives them). A native that may be slow (RSA key generation,
// big PBKDF2 counts and digests) returns a promise settled from the crypto helper pool
// (js/api/crypto_pool.h); every operation awaits whatever it returns.
//
// Every SubtleCrypto method returns a promise and never throws: a bad argument, a bad
// receiver or a failed operation is a rejection (NotSupportedError, InvalidAccessError,
// DataError, OperationError, SyntaxError DOMExceptions or a TypeError, each saying which
// parameter was wrong).
//
// A key's state is one record (its [[type]], [[extractable]], [[algorithm]], [[usages]] and
// [[handle]]: raw bytes for a secret key, DER for the others), immutable after the key is
// made; structuredClone copies it (CryptoKey is serializable).
//
// Run lazily (js/builtins.h), on first use of its globals or of crypto.subtle:
// @lazy SubtleCrypto CryptoKey
// @requires 01_dom_exception.js
'use strict';

const { webidl, DOMException } = internals;
const { converters } = webidl;
const { TypedArrayPrototype, uncurry } = webidl.primordials;
const ArrayBufferIsView = ArrayBuffer.isView;
const ArrayBufferSlice = uncurry(ArrayBuffer.prototype.slice);
const TypedArrayByteLength = uncurry(
  Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'byteLength').get);
const TypedArraySlice = uncurry(TypedArrayPrototype.slice);
const ArrayPrototypeIncludes = uncurry(Array.prototype.includes);
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const StringFromCharCode = String.fromCharCode;
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const { atob, btoa, fillRandom } = natives;

// ---- errors ----

function error(name, prefix, message) {
  return new DOMException(`${prefix}: ${message}`, name);
}
const notSupported = (p, m) => error('NotSupportedError', p, m);
const invalidAccess = (p, m) => error('InvalidAccessError', p, m);
const dataError = (p, m) => error('DataError', p, m);
const operationError = (p, m) => error('OperationError', p, m);
const syntaxError = (p, m) => error('SyntaxError', p, m);

// ---- bytes ----

// A copy of a BufferSource's bytes, as the spec takes them when a method is called.
function copyBytes(source) {
  if (ArrayBufferIsView(source)) {
    return new Uint8Array(ArrayBufferSlice(source.buffer, source.byteOffset,
      source.byteOffset + source.byteLength));
  }
  return new Uint8Array(ArrayBufferSlice(source, 0));
}
const bitLength = (bytes) => TypedArrayByteLength(bytes) * 8;
const toArrayBuffer = (bytes) => ArrayBufferSlice(bytes.buffer, bytes.byteOffset,
  bytes.byteOffset + bytes.byteLength);
const asBytes = (buffer) => new Uint8Array(buffer);

function base64urlEncode(bytes) {
  bytes = asBytes(bytes);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += StringFromCharCode(...TypedArraySlice(bytes, i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const kBase64url = /^[A-Za-z0-9_-]*$/;
function base64urlDecode(string, prefix, member) {
  if (typeof string !== 'string' || !kBase64url.test(string) || string.length % 4 === 1) {
    throw dataError(prefix, `The JWK member '${member}' is not valid base64url.`);
  }
  const binary = atob(string.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; ++i) bytes[i] = StringCharCodeAt(binary, i);
  return bytes;
}

// UTF-8 for JWKs that are wrapped (30_blob.js has it; loaded when first needed).
function utf8(f) {
  if (internals.utf8Encode === undefined) natives.loadBuiltin('30_blob.js');
  return internals[f];
}

// ---- usages ----

const kUsages = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey',
  'unwrapKey'];
converters.KeyUsage = webidl.createEnumConverter('KeyUsage', kUsages);
converters['sequence<KeyUsage>'] = webidl.createSequenceConverter(converters.KeyUsage);
converters.KeyFormat = webidl.createEnumConverter('KeyFormat', ['raw', 'spki', 'pkcs8', 'jwk']);

// The normalized value of a usage list: each usage once, in the spec's order.
const normalizeUsages = (usages) => kUsages.filter((u) => ArrayPrototypeIncludes(usages, u));
const intersect = (usages, allowed) => usages.filter((u) => ArrayPrototypeIncludes(allowed, u));

function checkUsages(usages, allowed, prefix) {
  for (const u of usages) {
    if (!ArrayPrototypeIncludes(allowed, u)) {
      throw syntaxError(prefix, `Cannot create a key with the usage '${u}' (allowed: ` +
        `${allowed.length ? allowed.join(', ') : 'none'}).`);
    }
  }
}

// ---- CryptoKey ----

let CryptoKey;
let keySlot;  // (key) -> its record, or undefined if key is not a CryptoKey
let makeKey;  // (record) -> a new CryptoKey
let stampKey; // (object, record): a clone hook's deserialize
class CryptoKeyState extends webidl.PlatformObject {
  #slot;

  static {
    CryptoKey = class CryptoKey extends null {
      constructor() {
        webidl.illegalConstructor();
      }

      get type() {
        return slotOf(this).type;
      }

      get extractable() {
        return slotOf(this).extractable;
      }

      // The same object at each read ([[algorithm_cached]]).
      get algorithm() {
        const slot = slotOf(this);
        slot.algorithmCached ??= algorithmObject(slot.algorithm);
        return slot.algorithmCached;
      }

      get usages() {
        const slot = slotOf(this);
        slot.usagesCached ??= [...slot.usages];
        return slot.usagesCached;
      }
    };
    Object.setPrototypeOf(CryptoKey.prototype, Object.prototype);
    keySlot = (v) => (v !== null && typeof v === 'object' && #slot in v ? v.#slot : undefined);
    stampKey = (object, slot) => {
      new CryptoKeyState(object).#slot = slot;
      return object;
    };
    makeKey = (slot) => stampKey(webidl.createPlatformObject(CryptoKey.prototype), slot);
  }
}
function slotOf(key) {
  const slot = keySlot(key);
  if (slot === undefined) webidl.illegalInvocation();
  return slot;
}
webidl.configureInterface(CryptoKey);

// The ECMAScript form of a key's algorithm: a fresh object (hash as { name }, publicExponent
// as a new Uint8Array).
function algorithmObject(alg) {
  const out = {};
  for (const key of Object.keys(alg)) {
    const v = alg[key];
    if (key === 'hash') out.hash = { name: v.name };
    else if (key === 'publicExponent') out.publicExponent = new Uint8Array(v);
    else out[key] = v;
  }
  return out;
}

function newKey(type, extractable, algorithm, usages, handle, kind = undefined) {
  return makeKey({
    __proto__: null, type, extractable, algorithm, usages, handle, kind,
    algorithmCached: undefined, usagesCached: undefined,
  });
}

converters.CryptoKey = (V, prefix, context) => {
  if (keySlot(V) === undefined) {
    throw webidl.makeException(TypeError, "is not of type 'CryptoKey'.", prefix, context);
  }
  return V;
};

internals.cloneHooks.register(CryptoKey, {
  serialize(key) {
    const s = slotOf(key);
    return [s.type, s.extractable, algorithmObject(s.algorithm), [...s.usages], s.handle, s.kind];
  },
  deserialize(object, [type, extractable, algorithm, usages, handle, kind]) {
    stampKey(object, {
      __proto__: null, type, extractable, algorithm, usages, handle, kind,
      algorithmCached: undefined, usagesCached: undefined,
    });
  },
});

// ---- algorithm dictionaries ----

const bufferSource = converters.BufferSource;
const enforce = (converter) => (V, prefix, context) =>
  converter(V, prefix, context, { enforceRange: true });
const octet = enforce(converters.octet);
const unsignedShort = enforce(converters['unsigned short']);
const unsignedLong = enforce(converters['unsigned long']);
converters.BigInteger = converters.Uint8Array;
// AlgorithmIdentifier = (object or DOMString)
converters.AlgorithmIdentifier = (V, prefix, context) =>
  (V !== null && (typeof V === 'object' || typeof V === 'function')) ? V
    : converters.DOMString(V, prefix, context);

const nameMember = [{ key: 'name', converter: converters.DOMString, required: true }];
const hashMember = { key: 'hash', converter: converters.AlgorithmIdentifier, required: true };
const dictionary = (name, members) =>
  webidl.createDictionaryConverter(name, nameMember, members);
const paramTypes = {
  Algorithm: webidl.createDictionaryConverter('Algorithm', nameMember),
  AesKeyGenParams: dictionary('AesKeyGenParams', [
    { key: 'length', converter: unsignedShort, required: true }]),
  AesDerivedKeyParams: dictionary('AesDerivedKeyParams', [
    { key: 'length', converter: unsignedShort, required: true }]),
  AesCbcParams: dictionary('AesCbcParams', [
    { key: 'iv', converter: bufferSource, required: true }]),
  AesCtrParams: dictionary('AesCtrParams', [
    { key: 'counter', converter: bufferSource, required: true },
    { key: 'length', converter: octet, required: true }]),
  AesGcmParams: dictionary('AesGcmParams', [
    { key: 'iv', converter: bufferSource, required: true },
    { key: 'additionalData', converter: bufferSource },
    { key: 'tagLength', converter: octet }]),
  HmacKeyGenParams: dictionary('HmacKeyGenParams', [
    hashMember, { key: 'length', converter: unsignedLong }]),
  HmacImportParams: dictionary('HmacImportParams', [
    hashMember, { key: 'length', converter: unsignedLong }]),
  RsaHashedKeyGenParams: dictionary('RsaHashedKeyGenParams', [
    { key: 'modulusLength', converter: unsignedLong, required: true },
    { key: 'publicExponent', converter: converters.BigInteger, required: true },
    hashMember]),
  RsaHashedImportParams: dictionary('RsaHashedImportParams', [hashMember]),
  RsaPssParams: dictionary('RsaPssParams', [
    { key: 'saltLength', converter: unsignedLong, required: true }]),
  RsaOaepParams: dictionary('RsaOaepParams', [{ key: 'label', converter: bufferSource }]),
  EcKeyGenParams: dictionary('EcKeyGenParams', [
    { key: 'namedCurve', converter: converters.DOMString, required: true }]),
  EcKeyImportParams: dictionary('EcKeyImportParams', [
    { key: 'namedCurve', converter: converters.DOMString, required: true }]),
  EcdsaParams: dictionary('EcdsaParams', [hashMember]),
  EcdhKeyDeriveParams: dictionary('EcdhKeyDeriveParams', [
    { key: 'public', converter: converters.CryptoKey, required: true }]),
  HkdfParams: dictionary('HkdfParams', [
    hashMember,
    { key: 'info', converter: bufferSource, required: true },
    { key: 'salt', converter: bufferSource, required: true }]),
  Pbkdf2Params: dictionary('Pbkdf2Params', [
    hashMember,
    { key: 'iterations', converter: unsignedLong, required: true },
    { key: 'salt', converter: bufferSource, required: true }]),
};
const bufferMembers = ['iv', 'additionalData', 'counter', 'label', 'info', 'salt'];

// The supported algorithms per operation (https://w3c.github.io/webcrypto/#algorithm-normalization-internal):
// name -> its parameter dictionary (null: Algorithm alone).
const rsaGen = 'RsaHashedKeyGenParams';
const rsaImport = 'RsaHashedImportParams';
const supported = {
  digest: { 'SHA-1': null, 'SHA-256': null, 'SHA-384': null, 'SHA-512': null },
  generateKey: {
    'RSASSA-PKCS1-v1_5': rsaGen, 'RSA-PSS': rsaGen, 'RSA-OAEP': rsaGen,
    'ECDSA': 'EcKeyGenParams', 'ECDH': 'EcKeyGenParams', 'HMAC': 'HmacKeyGenParams',
    'AES-CTR': 'AesKeyGenParams', 'AES-CBC': 'AesKeyGenParams', 'AES-GCM': 'AesKeyGenParams',
    'AES-KW': 'AesKeyGenParams', 'Ed25519': null, 'X25519': null,
  },
  importKey: {
    'RSASSA-PKCS1-v1_5': rsaImport, 'RSA-PSS': rsaImport, 'RSA-OAEP': rsaImport,
    'ECDSA': 'EcKeyImportParams', 'ECDH': 'EcKeyImportParams', 'HMAC': 'HmacImportParams',
    'AES-CTR': null, 'AES-CBC': null, 'AES-GCM': null, 'AES-KW': null, 'HKDF': null,
    'PBKDF2': null, 'Ed25519': null, 'X25519': null,
  },
  sign: {
    'RSASSA-PKCS1-v1_5': null, 'RSA-PSS': 'RsaPssParams', 'ECDSA': 'EcdsaParams', 'HMAC': null,
    'Ed25519': null,
  },
  encrypt: {
    'RSA-OAEP': 'RsaOaepParams', 'AES-CTR': 'AesCtrParams', 'AES-CBC': 'AesCbcParams',
    'AES-GCM': 'AesGcmParams',
  },
  deriveBits: {
    'ECDH': 'EcdhKeyDeriveParams', 'X25519': 'EcdhKeyDeriveParams', 'HKDF': 'HkdfParams',
    'PBKDF2': 'Pbkdf2Params',
  },
  wrapKey: { 'AES-KW': null },
  'get key length': {
    'AES-CTR': 'AesDerivedKeyParams', 'AES-CBC': 'AesDerivedKeyParams',
    'AES-GCM': 'AesDerivedKeyParams', 'AES-KW': 'AesDerivedKeyParams',
    'HMAC': 'HmacImportParams', 'HKDF': null, 'PBKDF2': null,
  },
};
supported.verify = supported.sign;
supported.decrypt = supported.encrypt;
supported.unwrapKey = supported.wrapKey;
// Upper-cased name -> registered name, per operation.
const lookup = {};
for (const op of Object.keys(supported)) {
  lookup[op] = new Map(Object.keys(supported[op]).map((n) => [n.toUpperCase(), n]));
}

// https://w3c.github.io/webcrypto/#dfn-normalize-an-algorithm
function normalizeAlgorithm(alg, op, prefix) {
  if (typeof alg === 'string') return normalizeAlgorithm({ name: alg }, op, prefix);
  const initial = paramTypes.Algorithm(alg, prefix, 'algorithm');
  const name = lookup[op].get(initial.name.toUpperCase());
  if (name === undefined) {
    throw notSupported(prefix, `Unrecognized algorithm name '${initial.name}' for ${op}.`);
  }
  const type = supported[op][name];
  if (type === null) return { name };
  const normalized = paramTypes[type](alg, prefix, 'algorithm');
  normalized.name = name;
  for (const member of bufferMembers) {
    if (normalized[member] !== undefined) normalized[member] = copyBytes(normalized[member]);
  }
  if (normalized.publicExponent !== undefined) {
    normalized.publicExponent = copyBytes(normalized.publicExponent);
  }
  if (normalized.hash !== undefined) {
    normalized.hash = normalizeAlgorithm(normalized.hash, 'digest', prefix);
  }
  return normalized;
}

// ---- JWK ----

const jwkString = { converter: converters.DOMString };
const jwkMembers = ['kty', 'use', 'alg', 'crv', 'x', 'y', 'd', 'n', 'e', 'p', 'q', 'dp', 'dq',
  'qi', 'k'].map((key) => ({ key, ...jwkString }));
const toOtherPrimes = webidl.createSequenceConverter(
  webidl.createDictionaryConverter('RsaOtherPrimesInfo', [
    { key: 'r', ...jwkString }, { key: 'd', ...jwkString }, { key: 't', ...jwkString }]));
converters.JsonWebKey = webidl.createDictionaryConverter('JsonWebKey', [
  ...jwkMembers,
  { key: 'key_ops', converter: webidl.createSequenceConverter(converters.DOMString) },
  { key: 'ext', converter: converters.boolean },
  { key: 'oth', converter: toOtherPrimes },
]);

// The checks every JWK import makes: kty, use (when usages are asked for), key_ops, ext.
function checkJwk(jwk, kty, use, usages, extractable, prefix) {
  if (jwk.kty !== kty) {
    throw dataError(prefix, `The JWK 'kty' member must be '${kty}'` +
      `${jwk.kty === undefined ? '' : `, not '${jwk.kty}'`}.`);
  }
  if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) {
    throw dataError(prefix, `The JWK 'use' member must be '${use}', not '${jwk.use}'.`);
  }
  if (jwk.key_ops !== undefined) {
    const ops = jwk.key_ops;
    for (let i = 0; i < ops.length; ++i) {
      if (ops.indexOf(ops[i]) !== i) {
        throw dataError(prefix, `The JWK 'key_ops' member lists '${ops[i]}' twice.`);
      }
    }
    for (const u of usages) {
      if (!ArrayPrototypeIncludes(ops, u)) {
        throw dataError(prefix, `The JWK 'key_ops' member does not include '${u}'.`);
      }
    }
  }
  if (jwk.ext === false && extractable) {
    throw dataError(prefix, "The JWK 'ext' member is false but the key is to be extractable.");
  }
}

function requireMember(jwk, member, prefix) {
  if (jwk[member] === undefined) {
    throw dataError(prefix, `The JWK '${member}' member is missing.`);
  }
  return base64urlDecode(jwk[member], prefix, member);
}

// The JWK a key exports as: its members, then key_ops and ext.
function jwkOf(key, members) {
  return { ...members, key_ops: [...key.usages], ext: key.extractable };
}

// ---- the algorithms ----

const kHashBlockBits = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };
const kHashSuffix = { 'SHA-1': '1', 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' };
const kCurves = ['P-256', 'P-384', 'P-521'];
const kAesLengths = [128, 192, 256];
const kGcmTagLengths = [32, 64, 96, 104, 112, 120, 128];

function randomBytes(n) {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) fillRandom(bytes.subarray(i, i + 65536));
  return bytes;
}

function checkKeyType(key, type, prefix) {
  if (key.type !== type) {
    throw invalidAccess(prefix, `The key must be a ${type} key, not a ${key.type} key.`);
  }
}

// The first `length` bits of bytes (an ArrayBuffer): for deriveBits.
function truncateBits(buffer, length, prefix) {
  if (length === null) return buffer;
  if (length > buffer.byteLength * 8) {
    throw operationError(prefix, `The length (${length}) is more than the ${
      buffer.byteLength * 8} bits the derivation gives.`);
  }
  const bytes = new Uint8Array(ArrayBufferSlice(buffer, 0, Math.ceil(length / 8)));
  if (length % 8) bytes[bytes.length - 1] &= 0xff << (8 - (length % 8));
  return bytes.buffer;
}

// -- AES --
const aesUsages = {
  'AES-CTR': ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
  'AES-KW': ['wrapKey', 'unwrapKey'],
};
aesUsages['AES-CBC'] = aesUsages['AES-GCM'] = aesUsages['AES-CTR'];
const aesJwkSuffix = { 'AES-CTR': 'CTR', 'AES-CBC': 'CBC', 'AES-GCM': 'GCM', 'AES-KW': 'KW' };

const aes = {
  generateKey(alg, extractable, usages, prefix) {
    checkUsages(usages, aesUsages[alg.name], prefix);
    if (!ArrayPrototypeIncludes(kAesLengths, alg.length)) {
      throw operationError(prefix, `The AES key length must be 128, 192 or 256 bits, not ${
        alg.length}.`);
    }
    return newKey('secret', extractable, { name: alg.name, length: alg.length }, usages,
      randomBytes(alg.length / 8));
  },
  importKey(format, data, alg, extractable, usages, prefix) {
    checkUsages(usages, aesUsages[alg.name], prefix);
    let bytes;
    if (format === 'raw') {
      bytes = data;
      if (!ArrayPrototypeIncludes(kAesLengths, bitLength(bytes))) {
        throw dataError(prefix, `The AES key data must be 16, 24 or 32 bytes long, not ${
          TypedArrayByteLength(bytes)}.`);
      }
    } else if (format === 'jwk') {
      checkJwk(data, 'oct', 'enc', usages, extractable, prefix);
      bytes = requireMember(data, 'k', prefix);
      const bits = bitLength(bytes);
      if (!ArrayPrototypeIncludes(kAesLengths, bits)) {
        throw dataError(prefix, `The JWK 'k' member must be 16, 24 or 32 bytes long, not ${
          bits / 8}.`);
      }
      const expected = `A${bits}${aesJwkSuffix[alg.name]}`;
      if (data.alg !== undefined && data.alg !== expected) {
        throw dataError(prefix, `The JWK 'alg' member must be '${expected}', not '${data.alg}'.`);
      }
    } else {
      throw notSupported(prefix, `${alg.name} keys cannot be imported in the '${format}' format.`);
    }
    return newKey('secret', extractable, { name: alg.name, length: bitLength(bytes) }, usages,
      bytes);
  },
  exportKey(format, key, prefix) {
    const bytes = key.handle;
    if (format === 'raw') return toArrayBuffer(bytes);
    if (format === 'jwk') {
      return jwkOf(key, {
        kty: 'oct', k: base64urlEncode(bytes),
        alg: `A${bitLength(bytes)}${aesJwkSuffix[key.algorithm.name]}`,
      });
    }
    throw notSupported(prefix, `${key.algorithm.name} keys cannot be exported in the '${
      format}' format.`);
  },
  getKeyLength(alg, prefix) {
    if (!ArrayPrototypeIncludes(kAesLengths, alg.length)) {
      throw operationError(prefix, `The AES key length must be 128, 192 or 256 bits, not ${
        alg.length}.`);
    }
    return alg.length;
  },
};

const aesCtr = {
  ...aes,
  encrypt(alg, key, data, prefix) {
    if (TypedArrayByteLength(alg.counter) !== 16) {
      throw operationError(prefix, `The AES-CTR counter must be 16 bytes long, not ${
        TypedArrayByteLength(alg.counter)}.`);
    }
    if (alg.length === 0 || alg.length > 128) {
      throw operationError(prefix, `The AES-CTR counter length must be 1 to 128 bits, not ${
        alg.length}.`);
    }
    return natives.cryptoAesCtr(key.handle, alg.counter, alg.length, data);
  },
};
aesCtr.decrypt = aesCtr.encrypt;

function checkCbcIv(alg, prefix) {
  if (TypedArrayByteLength(alg.iv) !== 16) {
    throw operationError(prefix, `The AES-CBC iv must be 16 bytes long, not ${
      TypedArrayByteLength(alg.iv)}.`);
  }
}
const aesCbc = {
  ...aes,
  encrypt(alg, key, data, prefix) {
    checkCbcIv(alg, prefix);
    return natives.cryptoAesCbc(true, key.handle, alg.iv, data);
  },
  decrypt(alg, key, data, prefix) {
    checkCbcIv(alg, prefix);
    return natives.cryptoAesCbc(false, key.handle, alg.iv, data);
  },
};

function gcmTagBytes(alg, prefix) {
  const tagLength = alg.tagLength === undefined ? 128 : alg.tagLength;
  if (!ArrayPrototypeIncludes(kGcmTagLengths, tagLength)) {
    throw operationError(prefix, `The AES-GCM tagLength must be one of ${
      kGcmTagLengths.join(', ')}, not ${tagLength}.`);
  }
  return tagLength / 8;
}
const aesGcm = {
  ...aes,
  encrypt(alg, key, data, prefix) {
    const tagBytes = gcmTagBytes(alg, prefix);
    if (TypedArrayByteLength(data) > 2 ** 36 - 32) {
      throw operationError(prefix, 'The plaintext is too long for AES-GCM.');
    }
    return natives.cryptoAesGcm(true, key.handle, alg.iv, data, alg.additionalData, tagBytes);
  },
  decrypt(alg, key, data, prefix) {
    const tagBytes = gcmTagBytes(alg, prefix);
    if (TypedArrayByteLength(data) < tagBytes) {
      throw operationError(prefix, `The ciphertext is shorter than the ${tagBytes * 8}-bit tag.`);
    }
    return natives.cryptoAesGcm(false, key.handle, alg.iv, data, alg.additionalData, tagBytes);
  },
};

const aesKw = {
  ...aes,
  wrapKey(alg, key, data, prefix) {
    if (TypedArrayByteLength(data) % 8 !== 0) {
      throw operationError(prefix, 'AES-KW wraps only keys whose length is a multiple of 8 ' +
        `bytes (this one has ${TypedArrayByteLength(data)}).`);
    }
    return natives.cryptoAesKw(true, key.handle, data);
  },
  unwrapKey(alg, key, data) {
    return natives.cryptoAesKw(false, key.handle, data);
  },
};

// -- HMAC --
const hmac = {
  generateKey(alg, extractable, usages, prefix) {
    checkUsages(usages, ['sign', 'verify'], prefix);
    let length = alg.length;
    if (length === undefined) length = kHashBlockBits[alg.hash.name];
    else if (length === 0) throw operationError(prefix, 'The HMAC key length must not be 0.');
    const bytes = randomBytes(Math.ceil(length / 8));
    if (length % 8) bytes[bytes.length - 1] &= 0xff << (8 - (length % 8));
    return newKey('secret', extractable, { name: 'HMAC', length, hash: alg.hash }, usages, bytes);
  },
  importKey(format, data, alg, extractable, usages, prefix) {
    checkUsages(usages, ['sign', 'verify'], prefix);
    let bytes;
    if (format === 'raw') {
      bytes = data;
    } else if (format === 'jwk') {
      checkJwk(data, 'oct', 'sig', usages, extractable, prefix);
      bytes = requireMember(data, 'k', prefix);
      const expected = `HS${kHashSuffix[alg.hash.name]}`;
      if (data.alg !== undefined && data.alg !== expected) {
        throw dataError(prefix, `The JWK 'alg' member must be '${expected}', not '${data.alg}'.`);
      }
    } else {
      throw notSupported(prefix, `HMAC keys cannot be imported in the '${format}' format.`);
    }
    let length = bitLength(bytes);
    if (length === 0) throw dataError(prefix, 'The HMAC key data is empty.');
    if (alg.length !== undefined) {
      if (alg.length > length || alg.length <= length - 8) {
        throw dataError(prefix, `The HMAC length (${alg.length}) does not fit the ${
          length / 8} bytes of key data.`);
      }
      length = alg.length;
    }
    return newKey('secret', extractable, { name: 'HMAC', length, hash: alg.hash }, usages, bytes);
  },
  exportKey(format, key, prefix) {
    if (format === 'raw') return toArrayBuffer(key.handle);
    if (format === 'jwk') {
      return jwkOf(key, {
        kty: 'oct', k: base64urlEncode(key.handle),
        alg: `HS${kHashSuffix[key.algorithm.hash.name]}`,
      });
    }
    throw notSupported(prefix, `HMAC keys cannot be exported in the '${format}' format.`);
  },
  sign(alg, key, data) {
    return natives.cryptoHmac(key.algorithm.hash.name, key.handle, data);
  },
  verify(alg, key, signature, data) {
    const mac = natives.cryptoHmac(key.algorithm.hash.name, key.handle, data);
    return natives.cryptoTimingSafeEqual(mac, signature);
  },
  getKeyLength(alg, prefix) {
    if (alg.length === undefined) return kHashBlockBits[alg.hash.name];
    if (alg.length === 0) throw new TypeError(`${prefix}: The HMAC key length must not be 0.`);
    return alg.length;
  },
};

// -- HKDF, PBKDF2 --
function kdfImportKey(name) {
  return (format, data, alg, extractable, usages, prefix) => {
    if (format !== 'raw') {
      throw notSupported(prefix, `${name} keys can only be imported in the 'raw' format.`);
    }
    checkUsages(usages, ['deriveKey', 'deriveBits'], prefix);
    if (extractable) throw syntaxError(prefix, `${name} keys cannot be extractable.`);
    return newKey('secret', false, { name }, usages, data);
  };
}
function checkDeriveLength(length, prefix) {
  if (length === null || length === 0 || length % 8 !== 0) {
    throw operationError(prefix, `The length must be a non-zero multiple of 8, not ${length}.`);
  }
}
const hkdf = {
  importKey: kdfImportKey('HKDF'),
  deriveBits(alg, key, length, prefix) {
    checkDeriveLength(length, prefix);
    return natives.cryptoHkdf(alg.hash.name, key.handle, alg.salt, alg.info, length / 8);
  },
  getKeyLength: () => null,
};
const pbkdf2 = {
  importKey: kdfImportKey('PBKDF2'),
  deriveBits(alg, key, length, prefix) {
    checkDeriveLength(length, prefix);
    if (alg.iterations === 0) throw operationError(prefix, 'The iterations must not be 0.');
    return natives.cryptoPbkdf2(alg.hash.name, key.handle, alg.salt, alg.iterations, length / 8);
  },
  getKeyLength: () => null,
};

// -- asymmetric keys: RSA, EC, OKP --

// Makes the key pair of a generateKey: the public key always extractable.
function keyPair(kind, algorithm, extractable, usages, [spki, pkcs8], publicUsages,
  privateUsages) {
  return {
    publicKey: newKey('public', true, algorithm, intersect(usages, publicUsages), asBytes(spki),
      kind),
    privateKey: newKey('private', extractable, algorithm, intersect(usages, privateUsages),
      asBytes(pkcs8), kind),
  };
}

// Imports spki, pkcs8, raw or jwk key data of `kind` through the natives: { type, der, ... }
// (a DataError saying what is wrong with the data otherwise).
function importAsymmetric(kind, format, data, curve, jwkFields) {
  return format === 'jwk' ? natives.pkeyImportJwk(kind, jwkFields, curve)
    : natives.pkeyImport(kind, format, data, curve);
}

// The usages a key of this type may have: [public, private] lists.
function asymmetricUsages(format, jwk, [publicUsages, privateUsages]) {
  if (format === 'spki' || format === 'raw') return publicUsages;
  if (format === 'pkcs8') return privateUsages;
  return jwk.d !== undefined ? privateUsages : publicUsages;
}

// jwkBase(key): the members a JWK export starts with (kty, crv, alg).
function exportAsymmetric(format, key, prefix, jwkBase) {
  if (format === 'spki' || format === 'pkcs8') {
    const want = format === 'spki' ? 'public' : 'private';
    if (key.type !== want) {
      throw invalidAccess(prefix, `A ${key.type} key cannot be exported as '${format}'.`);
    }
    return toArrayBuffer(key.handle);
  }
  if (format === 'raw') {
    if (key.type !== 'public') {
      throw invalidAccess(prefix, `A ${key.type} key cannot be exported as 'raw'.`);
    }
    return natives.pkeyExport(key.kind, 'raw', key.handle);
  }
  if (format === 'jwk') {
    const fields = natives.pkeyExport(key.kind, 'jwk', key.handle);
    const members = jwkBase(key);
    for (const name of Object.keys(fields)) members[name] = base64urlEncode(fields[name]);
    return jwkOf(key, members);
  }
  throw notSupported(prefix, `${key.algorithm.name} keys cannot be exported as '${format}'.`);
}

// -- RSA --
const rsaUsages = {
  'RSASSA-PKCS1-v1_5': [['verify'], ['sign']],
  'RSA-PSS': [['verify'], ['sign']],
  'RSA-OAEP': [['encrypt', 'wrapKey'], ['decrypt', 'unwrapKey']],
};
const rsaJwkAlg = {
  'RSASSA-PKCS1-v1_5': (hash) => `RS${kHashSuffix[hash]}`,
  'RSA-PSS': (hash) => `PS${kHashSuffix[hash]}`,
  'RSA-OAEP': (hash) => (hash === 'SHA-1' ? 'RSA-OAEP' : `RSA-OAEP-${kHashSuffix[hash]}`),
};

const rsa = {
  async generateKey(alg, extractable, usages, prefix) {
    const [publicUsages, privateUsages] = rsaUsages[alg.name];
    checkUsages(usages, [...publicUsages, ...privateUsages], prefix);
    const der = await natives.pkeyGenerate('RSA', alg.modulusLength, alg.publicExponent);
    const algorithm = {
      name: alg.name, modulusLength: alg.modulusLength,
      publicExponent: new Uint8Array(alg.publicExponent), hash: alg.hash,
    };
    return keyPair('RSA', algorithm, extractable, usages, der, publicUsages, privateUsages);
  },
  importKey(format, data, alg, extractable, usages, prefix) {
    const allowed = asymmetricUsages(format, data, rsaUsages[alg.name]);
    checkUsages(usages, allowed, prefix);
    if (format === 'raw') {
      throw notSupported(prefix, `${alg.name} keys cannot be imported in the 'raw' format.`);
    }
    let fields;
    if (format === 'jwk') {
      checkJwk(data, 'RSA', alg.name === 'RSA-OAEP' ? 'enc' : 'sig', usages, extractable, prefix);
      const expected = rsaJwkAlg[alg.name](alg.hash.name);
      if (data.alg !== undefined && data.alg !== expected) {
        throw dataError(prefix, `The JWK 'alg' member must be '${expected}' for ${
          alg.hash.name}, not '${data.alg}'.`);
      }
      if (data.oth !== undefined) {
        throw notSupported(prefix, "RSA keys with more than two primes ('oth') are not supported.");
      }
      fields = { n: requireMember(data, 'n', prefix), e: requireMember(data, 'e', prefix) };
      if (data.d !== undefined) {
        for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) fields[m] = requireMember(data, m, prefix);
      }
    }
    const imported = importAsymmetric('RSA', format, data, undefined, fields);
    const algorithm = {
      name: alg.name, modulusLength: imported.modulusLength,
      publicExponent: new Uint8Array(imported.publicExponent), hash: alg.hash,
    };
    return newKey(imported.type, extractable, algorithm, usages, asBytes(imported.der), 'RSA');
  },
  exportKey(format, key, prefix) {
    return exportAsymmetric(format, key, prefix, (k) => ({
      kty: 'RSA', alg: rsaJwkAlg[k.algorithm.name](k.algorithm.hash.name),
    }));
  },
};

const rsaSsa = {
  ...rsa,
  sign(alg, key, data, prefix) {
    checkKeyType(key, 'private', prefix);
    return natives.pkeySign(key.algorithm.name, key.handle, data, key.algorithm.hash.name,
      alg.saltLength);
  },
  verify(alg, key, signature, data, prefix) {
    checkKeyType(key, 'public', prefix);
    return natives.pkeyVerify(key.algorithm.name, key.handle, signature, data,
      key.algorithm.hash.name, alg.saltLength);
  },
};

const rsaOaep = {
  ...rsa,
  encrypt(alg, key, data, prefix) {
    checkKeyType(key, 'public', prefix);
    return natives.pkeyRsaOaep(true, key.handle, key.algorithm.hash.name, alg.label, data);
  },
  decrypt(alg, key, data, prefix) {
    checkKeyType(key, 'private', prefix);
    return natives.pkeyRsaOaep(false, key.handle, key.algorithm.hash.name, alg.label, data);
  },
};

// -- ECDSA, ECDH --
const ecUsages = {
  ECDSA: [['verify'], ['sign']],
  ECDH: [[], ['deriveKey', 'deriveBits']],
};
const ecJwkAlg = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

const ec = {
  generateKey(alg, extractable, usages, prefix) {
    const [publicUsages, privateUsages] = ecUsages[alg.name];
    checkUsages(usages, [...publicUsages, ...privateUsages], prefix);
    if (!ArrayPrototypeIncludes(kCurves, alg.namedCurve)) {
      throw notSupported(prefix, `The named curve '${alg.namedCurve}' is not supported (P-256, ` +
        'P-384 and P-521 are).');
    }
    const der = natives.pkeyGenerate('EC', alg.namedCurve);
    return keyPair('EC', { name: alg.name, namedCurve: alg.namedCurve }, extractable, usages, der,
      publicUsages, privateUsages);
  },
  importKey(format, data, alg, extractable, usages, prefix) {
    checkUsages(usages, asymmetricUsages(format, data, ecUsages[alg.name]), prefix);
    if (!ArrayPrototypeIncludes(kCurves, alg.namedCurve)) {
      throw notSupported(prefix, `The named curve '${alg.namedCurve}' is not supported (P-256, ` +
        'P-384 and P-521 are).');
    }
    let fields;
    if (format === 'jwk') {
      checkJwk(data, 'EC', alg.name === 'ECDSA' ? 'sig' : 'enc', usages, extractable, prefix);
      if (data.crv !== alg.namedCurve) {
        throw dataError(prefix, `The JWK 'crv' member (${data.crv}) does not match the named ` +
          `curve '${alg.namedCurve}'.`);
      }
      if (alg.name === 'ECDSA' && data.alg !== undefined && data.alg !== ecJwkAlg[data.crv]) {
        throw dataError(prefix, `The JWK 'alg' member must be '${ecJwkAlg[data.crv]}', not '${
          data.alg}'.`);
      }
      fields = { x: requireMember(data, 'x', prefix), y: requireMember(data, 'y', prefix) };
      if (data.d !== undefined) fields.d = requireMember(data, 'd', prefix);
    }
    const imported = importAsymmetric('EC', format, data, alg.namedCurve, fields);
    return newKey(imported.type, extractable, { name: alg.name, namedCurve: alg.namedCurve },
      usages, asBytes(imported.der), 'EC');
  },
  exportKey(format, key, prefix) {
    return exportAsymmetric(format, key, prefix, (k) => ({ kty: 'EC', crv: k.algorithm.namedCurve }));
  },
};

const ecdsa = {
  ...ec,
  sign(alg, key, data, prefix) {
    checkKeyType(key, 'private', prefix);
    return natives.pkeySign('ECDSA', key.handle, data, alg.hash.name);
  },
  verify(alg, key, signature, data, prefix) {
    checkKeyType(key, 'public', prefix);
    return natives.pkeyVerify('ECDSA', key.handle, signature, data, alg.hash.name);
  },
};

// ECDH and X25519 deriveBits: the base key private, `public` a public key of the same
// algorithm (and curve).
function deriveShared(kind, alg, key, length, prefix) {
  checkKeyType(key, 'private', prefix);
  const peer = keySlot(alg.public);
  if (peer.type !== 'public') {
    throw invalidAccess(prefix, `The 'public' member must be a public key, not a ${peer.type} key.`);
  }
  if (peer.algorithm.name !== key.algorithm.name) {
    throw invalidAccess(prefix, `The 'public' member is a ${peer.algorithm.name} key, not ${
      key.algorithm.name}.`);
  }
  if (kind === 'EC' && peer.algorithm.namedCurve !== key.algorithm.namedCurve) {
    throw invalidAccess(prefix, `The 'public' key's curve (${peer.algorithm.namedCurve}) does ` +
      `not match the base key's (${key.algorithm.namedCurve}).`);
  }
  return truncateBits(natives.pkeyDerive(kind, key.handle, peer.handle), length, prefix);
}
const ecdh = {
  ...ec,
  deriveBits: (alg, key, length, prefix) => deriveShared('EC', alg, key, length, prefix),
};

// -- Ed25519, X25519 --
const okpUsages = {
  Ed25519: [['verify'], ['sign']],
  X25519: [[], ['deriveKey', 'deriveBits']],
};
function okp(name) {
  const [publicUsages, privateUsages] = okpUsages[name];
  return {
    generateKey(alg, extractable, usages, prefix) {
      checkUsages(usages, [...publicUsages, ...privateUsages], prefix);
      return keyPair(name, { name }, extractable, usages, natives.pkeyGenerate(name),
        publicUsages, privateUsages);
    },
    importKey(format, data, alg, extractable, usages, prefix) {
      checkUsages(usages, asymmetricUsages(format, data, okpUsages[name]), prefix);
      let fields;
      if (format === 'jwk') {
        checkJwk(data, 'OKP', name === 'Ed25519' ? 'sig' : 'enc', usages, extractable, prefix);
        if (data.crv !== name) {
          throw dataError(prefix, `The JWK 'crv' member must be '${name}', not '${data.crv}'.`);
        }
        if (name === 'Ed25519' && data.alg !== undefined && data.alg !== 'EdDSA' &&
            data.alg !== 'Ed25519') {
          throw dataError(prefix, `The JWK 'alg' member must be 'Ed25519' or 'EdDSA', not '${
            data.alg}'.`);
        }
        fields = { x: requireMember(data, 'x', prefix) };
        if (data.d !== undefined) fields.d = requireMember(data, 'd', prefix);
      }
      const imported = importAsymmetric(name, format, data, undefined, fields);
      return newKey(imported.type, extractable, { name }, usages, asBytes(imported.der), name);
    },
    exportKey(format, key, prefix) {
      return exportAsymmetric(format, key, prefix, () => (name === 'Ed25519'
        ? { kty: 'OKP', crv: name, alg: 'Ed25519' } : { kty: 'OKP', crv: name }));
    },
  };
}
const ed25519 = {
  ...okp('Ed25519'),
  sign(alg, key, data, prefix) {
    checkKeyType(key, 'private', prefix);
    return natives.pkeySign('Ed25519', key.handle, data);
  },
  verify(alg, key, signature, data, prefix) {
    checkKeyType(key, 'public', prefix);
    return natives.pkeyVerify('Ed25519', key.handle, signature, data);
  },
};
const x25519 = {
  ...okp('X25519'),
  deriveBits: (alg, key, length, prefix) => deriveShared('X25519', alg, key, length, prefix),
};

const algorithms = {
  'AES-CTR': aesCtr, 'AES-CBC': aesCbc, 'AES-GCM': aesGcm, 'AES-KW': aesKw,
  'HMAC': hmac, 'HKDF': hkdf, 'PBKDF2': pbkdf2,
  'RSASSA-PKCS1-v1_5': rsaSsa, 'RSA-PSS': rsaSsa, 'RSA-OAEP': rsaOaep,
  'ECDSA': ecdsa, 'ECDH': ecdh, 'Ed25519': ed25519, 'X25519': x25519,
};

// ---- SubtleCrypto ----

const prefixOf = (member) => webidl.prefix('SubtleCrypto', member);

// The checks an operation makes of its key before running.
function checkKey(key, alg, usage, prefix) {
  if (key.algorithm.name !== alg.name) {
    throw invalidAccess(prefix, `The key is a ${key.algorithm.name} key, not ${alg.name}.`);
  }
  if (!ArrayPrototypeIncludes(key.usages, usage)) {
    throw invalidAccess(prefix, `The key's usages (${key.usages.join(', ') || 'none'}) do not ` +
      `include '${usage}'.`);
  }
}

// A key made by generateKey, importKey, deriveKey or unwrapKey must have a usage if it is
// secret or private.
function checkResultUsages(result, prefix) {
  const key = keySlot(result) ?? keySlot(result.privateKey);
  if ((key.type === 'secret' || key.type === 'private') && key.usages.length === 0) {
    throw syntaxError(prefix, `A ${key.type} key must have at least one usage.`);
  }
  return result;
}

// importKey's steps after normalization (shared with deriveKey and unwrapKey).
function importKey(format, keyData, alg, extractable, usages, prefix) {
  const ops = algorithms[alg.name];
  const key = ops.importKey(format, keyData, alg, extractable, normalizeUsages(usages), prefix);
  return checkResultUsages(key, prefix);
}

function exportKey(format, key, prefix) {
  const ops = algorithms[key.algorithm.name];
  if (ops.exportKey === undefined) {
    throw notSupported(prefix, `${key.algorithm.name} keys cannot be exported.`);
  }
  if (!key.extractable) throw invalidAccess(prefix, 'The key is not extractable.');
  return ops.exportKey(format, key, prefix);
}

// (BufferSource or JsonWebKey) for importKey's format.
function keyDataFor(format, keyData, prefix) {
  const isBuffer = ArrayBufferIsView(keyData) || webidl.isArrayBuffer(keyData);
  if (format === 'jwk') {
    if (isBuffer) throw new TypeError(`${prefix}: A 'jwk' key must be a JsonWebKey dictionary.`);
    return converters.JsonWebKey(keyData, prefix, 'parameter 2');
  }
  if (!isBuffer) {
    throw new TypeError(`${prefix}: A '${format}' key must be an ArrayBuffer or ArrayBufferView.`);
  }
  return copyBytes(keyData);
}

function parseJwk(bytes, prefix) {
  let value;
  try {
    value = JSONParse(utf8('utf8Decode')(bytes, false));
  } catch {
    throw dataError(prefix, 'The unwrapped key is not valid JSON.');
  }
  if (value === null || typeof value !== 'object') {
    throw dataError(prefix, 'The unwrapped key is not a JWK object.');
  }
  return converters.JsonWebKey(value, prefix, 'the unwrapped key');
}

// Normalizes for wrapKey/unwrapKey, falling back to encrypt/decrypt.
function normalizeWrap(alg, op, fallback, prefix) {
  try {
    return [normalizeAlgorithm(alg, op, prefix), op];
  } catch (e) {
    if (!(e instanceof DOMException) || e.name !== 'NotSupportedError') throw e;
    return [normalizeAlgorithm(alg, fallback, prefix), fallback];
  }
}

let SubtleCrypto;
class SubtleCryptoState extends webidl.PlatformObject {
  #subtle = true;

  static {
    const check = (self) => {
      if (self === null || typeof self !== 'object' || !(#subtle in self)) {
        webidl.illegalInvocation();
      }
    };
    const args = (length, required, prefix) => webidl.requiredArguments(length, required, prefix);
    const key = (v, prefix, n) => keySlot(converters.CryptoKey(v, prefix, `parameter ${n}`));
    const bytes = (v, prefix, n) => copyBytes(bufferSource(v, prefix, `parameter ${n}`));
    const algorithm = (v, prefix, n) => converters.AlgorithmIdentifier(v, prefix, `parameter ${n}`);
    const usageList = (v, prefix, n) => converters['sequence<KeyUsage>'](v, prefix,
      `parameter ${n}`);

    // encrypt, decrypt and sign: (algorithm, key, data), the key allowing `op`.
    const keyedOperation = (self, op, argc, alg, k, data) => {
      const prefix = prefixOf(op);
      check(self);
      args(argc, 3, prefix);
      alg = algorithm(alg, prefix, 1);
      k = key(k, prefix, 2);
      data = bytes(data, prefix, 3);
      const normalized = normalizeAlgorithm(alg, op, prefix);
      checkKey(k, normalized, op, prefix);
      return algorithms[normalized.name][op](normalized, k, data, prefix);
    };

    SubtleCrypto = class SubtleCrypto extends null {
      constructor() {
        webidl.illegalConstructor();
      }

      async encrypt(alg, k, data) {
        return keyedOperation(this, 'encrypt', arguments.length, alg, k, data);
      }

      async decrypt(alg, k, data) {
        return keyedOperation(this, 'decrypt', arguments.length, alg, k, data);
      }

      async sign(alg, k, data) {
        return keyedOperation(this, 'sign', arguments.length, alg, k, data);
      }

      async verify(alg, k, signature, data) {
        const prefix = prefixOf('verify');
        check(this);
        args(arguments.length, 4, prefix);
        alg = algorithm(alg, prefix, 1);
        k = key(k, prefix, 2);
        signature = bytes(signature, prefix, 3);
        data = bytes(data, prefix, 4);
        const normalized = normalizeAlgorithm(alg, 'verify', prefix);
        checkKey(k, normalized, 'verify', prefix);
        return algorithms[normalized.name].verify(normalized, k, signature, data, prefix);
      }

      async digest(alg, data) {
        const prefix = prefixOf('digest');
        check(this);
        args(arguments.length, 2, prefix);
        alg = algorithm(alg, prefix, 1);
        data = bytes(data, prefix, 2);
        const normalized = normalizeAlgorithm(alg, 'digest', prefix);
        return natives.cryptoDigest(normalized.name, data);
      }

      async generateKey(alg, extractable, keyUsages) {
        const prefix = prefixOf('generateKey');
        check(this);
        args(arguments.length, 3, prefix);
        alg = algorithm(alg, prefix, 1);
        extractable = converters.boolean(extractable);
        keyUsages = usageList(keyUsages, prefix, 3);
        const normalized = normalizeAlgorithm(alg, 'generateKey', prefix);
        const result = await algorithms[normalized.name].generateKey(normalized, extractable,
          normalizeUsages(keyUsages), prefix);
        return checkResultUsages(result, prefix);
      }

      async deriveKey(alg, baseKey, derivedKeyType, extractable, keyUsages) {
        const prefix = prefixOf('deriveKey');
        check(this);
        args(arguments.length, 5, prefix);
        alg = algorithm(alg, prefix, 1);
        baseKey = key(baseKey, prefix, 2);
        derivedKeyType = algorithm(derivedKeyType, prefix, 3);
        extractable = converters.boolean(extractable);
        keyUsages = usageList(keyUsages, prefix, 5);
        const normalized = normalizeAlgorithm(alg, 'deriveBits', prefix);
        const importAlg = normalizeAlgorithm(derivedKeyType, 'importKey', prefix);
        const lengthAlg = normalizeAlgorithm(derivedKeyType, 'get key length', prefix);
        checkKey(baseKey, normalized, 'deriveKey', prefix);
        const length = algorithms[lengthAlg.name].getKeyLength(lengthAlg, prefix);
        const secret = await algorithms[normalized.name].deriveBits(normalized, baseKey, length,
          prefix);
        return importKey('raw', asBytes(secret), importAlg, extractable, keyUsages, prefix);
      }

      async deriveBits(alg, baseKey, length = null) {
        const prefix = prefixOf('deriveBits');
        check(this);
        args(arguments.length, 2, prefix);
        alg = algorithm(alg, prefix, 1);
        baseKey = key(baseKey, prefix, 2);
        if (length !== null && length !== undefined) {
          length = converters['unsigned long'](length, prefix, 'parameter 3');
        } else {
          length = null;
        }
        const normalized = normalizeAlgorithm(alg, 'deriveBits', prefix);
        checkKey(baseKey, normalized, 'deriveBits', prefix);
        return algorithms[normalized.name].deriveBits(normalized, baseKey, length, prefix);
      }

      async importKey(format, keyData, alg, extractable, keyUsages) {
        const prefix = prefixOf('importKey');
        check(this);
        args(arguments.length, 5, prefix);
        format = converters.KeyFormat(format, prefix, 'parameter 1');
        keyData = keyDataFor(format, keyData, prefix);
        alg = algorithm(alg, prefix, 3);
        extractable = converters.boolean(extractable);
        keyUsages = usageList(keyUsages, prefix, 5);
        const normalized = normalizeAlgorithm(alg, 'importKey', prefix);
        return importKey(format, keyData, normalized, extractable, keyUsages, prefix);
      }

      async exportKey(format, k) {
        const prefix = prefixOf('exportKey');
        check(this);
        args(arguments.length, 2, prefix);
        format = converters.KeyFormat(format, prefix, 'parameter 1');
        k = key(k, prefix, 2);
        return exportKey(format, k, prefix);
      }

      async wrapKey(format, k, wrappingKey, wrapAlgorithm) {
        const prefix = prefixOf('wrapKey');
        check(this);
        args(arguments.length, 4, prefix);
        format = converters.KeyFormat(format, prefix, 'parameter 1');
        k = key(k, prefix, 2);
        wrappingKey = key(wrappingKey, prefix, 3);
        wrapAlgorithm = algorithm(wrapAlgorithm, prefix, 4);
        const [normalized, op] = normalizeWrap(wrapAlgorithm, 'wrapKey', 'encrypt', prefix);
        checkKey(wrappingKey, normalized, 'wrapKey', prefix);
        const exported = exportKey(format, k, prefix);
        const data = format === 'jwk' ? utf8('utf8Encode')(JSONStringify(exported)) : asBytes(exported);
        return algorithms[normalized.name][op](normalized, wrappingKey, data, prefix);
      }

      async unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm,
        extractable, keyUsages) {
        const prefix = prefixOf('unwrapKey');
        check(this);
        args(arguments.length, 7, prefix);
        format = converters.KeyFormat(format, prefix, 'parameter 1');
        wrappedKey = bytes(wrappedKey, prefix, 2);
        unwrappingKey = key(unwrappingKey, prefix, 3);
        unwrapAlgorithm = algorithm(unwrapAlgorithm, prefix, 4);
        unwrappedKeyAlgorithm = algorithm(unwrappedKeyAlgorithm, prefix, 5);
        extractable = converters.boolean(extractable);
        keyUsages = usageList(keyUsages, prefix, 7);
        const [normalized, op] = normalizeWrap(unwrapAlgorithm, 'unwrapKey', 'decrypt', prefix);
        const importAlg = normalizeAlgorithm(unwrappedKeyAlgorithm, 'importKey', prefix);
        checkKey(unwrappingKey, normalized, 'unwrapKey', prefix);
        const unwrapped = asBytes(await algorithms[normalized.name][op](normalized,
          unwrappingKey, wrappedKey, prefix));
        const keyData = format === 'jwk' ? parseJwk(unwrapped, prefix) : unwrapped;
        return importKey(format, keyData, importAlg, extractable, keyUsages, prefix);
      }
    };
    Object.setPrototypeOf(SubtleCrypto.prototype, Object.prototype);
    internals.subtle = new SubtleCryptoState(webidl.createPlatformObject(SubtleCrypto.prototype));
  }
}
webidl.configureInterface(SubtleCrypto);

webidl.defineGlobal('SubtleCrypto', SubtleCrypto);
webidl.defineGlobal('CryptoKey', CryptoKey);
internals.inspectHooks.register(CryptoKey, ['type', 'extractable', 'algorithm', 'usages']);
