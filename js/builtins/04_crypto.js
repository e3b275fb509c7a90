// crypto (https://w3c.github.io/webcrypto/#crypto-interface): getRandomValues() and
// randomUUID() on the kernel's CSPRNG (js/api/crypto_random.h); `subtle` is the one
// SubtleCrypto of the realm (06_subtle.js, loaded on first read).
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy Crypto
// @lazy-get crypto
// @requires 01_dom_exception.js
'use strict';

const { webidl } = internals;
const fillRandom = natives.fillRandom;
const randomUUID = natives.randomUUID;
const { TypedArrayToStringTag } = webidl.primordials;
const ArrayBufferIsView = ArrayBuffer.isView;
const TypedArrayByteLength = webidl.primordials.uncurry(
  Object.getOwnPropertyDescriptor(webidl.primordials.TypedArrayPrototype, 'byteLength').get);

const integerArrays = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'BigInt64Array', 'BigUint64Array',
]);
const kQuota = 65536;

class Crypto {
  constructor() {
    webidl.illegalConstructor();
  }
  // https://w3c.github.io/webcrypto/#Crypto-method-getRandomValues
  getRandomValues(array) {
    webidl.assertBranded(this, Crypto.prototype);
    const prefix = webidl.prefix('Crypto', 'getRandomValues');
    webidl.requiredArguments(arguments.length, 1, prefix);
    array = webidl.converters.ArrayBufferView(array, prefix, 'parameter 1');
    if (!integerArrays.has(TypedArrayToStringTag(array))) {
      throw new internals.DOMException(`${prefix}: The provided ArrayBufferView is of type ` +
        `'${ArrayBufferIsView(array) && TypedArrayToStringTag(array) || 'DataView'}', which ` +
        'is not an integer array type.', 'TypeMismatchError');
    }
    const n = TypedArrayByteLength(array);
    if (n > kQuota) {
      throw new internals.QuotaExceededError(`${prefix}: The ArrayBufferView's byte length ` +
        `(${n}) exceeds the number of bytes of entropy available via this API (${kQuota}).`);
    }
    fillRandom(array);
    return array;
  }
  // https://w3c.github.io/webcrypto/#Crypto-attribute-subtle
  get subtle() {
    webidl.assertBranded(this, Crypto.prototype);
    if (internals.subtle === undefined) natives.loadBuiltin('06_subtle.js');
    return internals.subtle;
  }
  // https://w3c.github.io/webcrypto/#Crypto-method-randomUUID
  randomUUID() {
    webidl.assertBranded(this, Crypto.prototype);
    return randomUUID();
  }
}
webidl.configureInterface(Crypto);

const crypto = webidl.createBranded(Crypto);
internals.Crypto = Crypto;
internals.crypto = crypto;
webidl.defineGlobal('Crypto', Crypto);
webidl.defineGlobalAttribute('crypto', crypto);
