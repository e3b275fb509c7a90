// crypto.getRandomValues and crypto.randomUUID.
import { test, assert, equal, throws, done } from "./assert.js";

await test("shape and brand checks", () => {
  const d = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  equal(typeof d.get, "function");
  equal(d.set, undefined);
  equal(crypto, crypto);
  assert(crypto instanceof Crypto);
  throws(() => new Crypto(), TypeError, /Illegal constructor/);
  throws(() => Crypto.prototype.getRandomValues.call({}, new Uint8Array(1)), TypeError, /Illegal invocation/);
  throws(() => Crypto.prototype.randomUUID.call(null), TypeError);
  equal(crypto.getRandomValues.length, 1);
  equal(crypto.randomUUID.length, 0);
  equal("subtle" in crypto, true);
  equal(Object.prototype.toString.call(crypto), "[object Crypto]");
});

await test("getRandomValues fills and returns the same array", () => {
  for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, BigInt64Array, BigUint64Array]) {
    const a = new T(64);
    equal(crypto.getRandomValues(a), a);
    assert(a.some((x) => x != 0), T.name);
    class Sub extends T {}
    crypto.getRandomValues(new Sub(4));
    equal(crypto.getRandomValues(new T(0)).length, 0);
  }
  // A view at an offset fills only its own bytes.
  const buf = new Uint8Array(32);
  crypto.getRandomValues(new Uint8Array(buf.buffer, 8, 16));
  equal(buf.slice(0, 8).every((x) => x === 0) && buf.slice(24).every((x) => x === 0), true);
  // The limit is inclusive; large requests bypass the pool.
  crypto.getRandomValues(new Uint8Array(65536));
  const a = crypto.getRandomValues(new Uint32Array(4)), b = crypto.getRandomValues(new Uint32Array(4));
  assert(a.join() !== b.join());
});

await test("errors", () => {
  for (const v of [new Float32Array(1), new Float64Array(1), new DataView(new ArrayBuffer(1))]) {
    const e = throws(() => crypto.getRandomValues(v), DOMException);
    equal(e.name, "TypeMismatchError");
    equal(e.code, 17);
  }
  const e = throws(() => crypto.getRandomValues(new Uint8Array(65537)), QuotaExceededError);
  equal(e.name, "QuotaExceededError");
  equal(e.code, 22);
  equal(e.quota, null);
  throws(() => crypto.getRandomValues(new Uint16Array(32769)), QuotaExceededError);
  throws(() => crypto.getRandomValues([1]), TypeError);
  throws(() => crypto.getRandomValues(), TypeError, /1 argument required/);
});

await test("randomUUID is version 4, variant 10, unique", () => {
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const u = crypto.randomUUID();
    assert(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u), u);
    seen.add(u);
  }
  equal(seen.size, 2000);
});

done();
