// The language level past ES2022 (js/builtins/00_language.js), test262-style: shape
// (length, name, enumerability, not constructible), behaviour, errors, spec order of reads,
// and no Symbol.species.
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

const TA = Object.getPrototypeOf(Uint8Array);
function shape(target, key, length, name = key, kind = "method") {
  const d = Object.getOwnPropertyDescriptor(target, key);
  assert(d, `${String(key)} exists`);
  equal(d.enumerable, false, `${name} enumerable`);
  equal(d.configurable, true, `${name} configurable`);
  const fn = kind === "getter" ? d.get : d.value;
  if (kind === "method") equal(d.writable, true, `${name} writable`);
  equal(typeof fn, "function");
  equal(fn.length, length, `${name}.length`);
  equal(fn.name, kind === "getter" ? `get ${name}` : name, `${name}.name`);
  throws(() => new fn(), TypeError, undefined, `new ${name}`);
  assert(!Object.prototype.hasOwnProperty.call(fn, "prototype"), `${name} has no prototype`);
}

await test("shapes", () => {
  shape(Array.prototype, "toReversed", 0);
  shape(Array.prototype, "toSorted", 1);
  shape(Array.prototype, "toSpliced", 2);
  shape(Array.prototype, "with", 2);
  shape(TA.prototype, "toReversed", 0);
  shape(TA.prototype, "toSorted", 1);
  shape(TA.prototype, "with", 2);
  shape(Array, "fromAsync", 1);
  shape(Promise, "withResolvers", 0);
  shape(Promise, "try", 1);
  shape(Object, "groupBy", 2);
  shape(Map, "groupBy", 2);
  for (const m of ["union", "intersection", "difference", "symmetricDifference", "isSubsetOf",
    "isSupersetOf", "isDisjointFrom"]) shape(Set.prototype, m, 1);
  shape(String.prototype, "isWellFormed", 0);
  shape(String.prototype, "toWellFormed", 0);
  shape(ArrayBuffer.prototype, "transfer", 0);
  shape(ArrayBuffer.prototype, "transferToFixedLength", 0);
  shape(ArrayBuffer.prototype, "detached", 0, "detached", "getter");
  // ES2023 already in V8 10.2.
  equal(typeof Array.prototype.findLast, "function");
  equal(typeof TA.prototype.findLastIndex, "function");
  const u = Array.prototype[Symbol.unscopables];
  equal(u.toReversed && u.toSorted && u.toSpliced, true);
  equal(u.with, undefined);
});

await test("Array change-by-copy", () => {
  const a = [3, 1, 2];
  deepEqual(a.toReversed(), [2, 1, 3]);
  deepEqual(a.toSorted(), [1, 2, 3]);
  deepEqual(a.toSorted((x, y) => y - x), [3, 2, 1]);
  deepEqual(a, [3, 1, 2]);
  deepEqual([1, 2, 3, 4].toSpliced(1, 2, "a", "b", "c"), [1, "a", "b", "c", 4]);
  deepEqual([1, 2, 3].toSpliced(), [1, 2, 3]);
  deepEqual([1, 2, 3].toSpliced(1), [1]);
  deepEqual([1, 2, 3].toSpliced(-1, 1), [1, 2]);
  deepEqual([1, 2, 3].with(-1, 9), [1, 2, 9]);
  throws(() => [1].with(1, 0), RangeError);
  throws(() => [1].with(-2, 0), RangeError);
  throws(() => [].toSorted(1), TypeError);
  throws(() => Array.prototype.toReversed.call(null), TypeError);
  // Holes read as undefined; array-likes work; the result is a plain Array.
  deepEqual([, 1].toReversed(), [1, undefined]);
  deepEqual(Array.prototype.toSorted.call({ length: 2, 0: "b", 1: "a" }), ["a", "b"]);
  throws(() => Array.prototype.toReversed.call({ length: 2 ** 32 }), RangeError);
  throws(() => Array.prototype.toSpliced.call({ length: 2 ** 53 - 1 }, 0, 0, 1), TypeError);
});

await test("no species, no setters on the result", () => {
  class MyArray extends Array {
    static get [Symbol.species]() { throw new Error("species read"); }
  }
  const m = MyArray.from([2, 1]);
  for (const r of [m.toSorted(), m.toReversed(), m.toSpliced(0, 0), m.with(0, 5)]) {
    equal(Object.getPrototypeOf(r), Array.prototype);
  }
  Object.defineProperty(Array.prototype, "0", { set() { throw new Error("setter"); }, configurable: true });
  try {
    deepEqual([1].toReversed(), [1]);
  } finally {
    delete Array.prototype[0];
  }
  const u8 = new (class extends Uint8Array { static get [Symbol.species]() { throw 1; } })([3, 1]);
  equal(Object.getPrototypeOf(u8.toSorted()), Uint8Array.prototype);
});

await test("reads happen in spec order", () => {
  const log = [];
  const o = new Proxy({ length: 2, 0: "a", 1: "b" }, {
    get(t, k) { log.push(String(k)); return t[k]; },
  });
  Array.prototype.with.call(o, 0, "z");
  deepEqual(log, ["length", "1"]);
});

await test("TypedArray change-by-copy", () => {
  const t = new Int16Array([3, -1, 2]);
  deepEqual(t.toReversed(), new Int16Array([2, -1, 3]));
  deepEqual(t.toSorted(), new Int16Array([-1, 2, 3]));
  deepEqual(t.with(0, 7), new Int16Array([7, -1, 2]));
  deepEqual(new BigInt64Array([1n]).with(0, 5n), new BigInt64Array([5n]));
  throws(() => new BigInt64Array(1).with(0, 1), TypeError);
  throws(() => t.with(3, 0), RangeError);
  throws(() => TA.prototype.toReversed.call([1]), TypeError);
  const d = new Uint8Array(4);
  d.buffer.transfer();
  throws(() => d.toSorted(), TypeError);
  // The conversion may detach: checked after it.
  const e = new Uint8Array(4);
  throws(() => e.with(0, { valueOf() { e.buffer.transfer(); return 1; } }), RangeError);
});

await test("Promise.withResolvers and Promise.try", async () => {
  const { promise, resolve, reject } = Promise.withResolvers();
  assert(promise instanceof Promise);
  equal(typeof reject, "function");
  resolve(5);
  equal(await promise, 5);
  throws(() => Promise.withResolvers.call({}), TypeError);
  class P extends Promise {}
  assert(P.withResolvers().promise instanceof P);
  equal(await Promise.try((a, b) => a + b, 1, 2), 3);
  await rejects(Promise.try(() => { throw new RangeError("x"); }), RangeError);
});

await test("Object.groupBy and Map.groupBy", () => {
  const g = Object.groupBy([1, 2, 3, 4], (x) => (x % 2 ? "odd" : "even"));
  equal(Object.getPrototypeOf(g), null);
  deepEqual(Object.keys(g), ["odd", "even"]);
  deepEqual(g.odd, [1, 3]);
  const m = Map.groupBy([-0, 0, 1], (x) => x);
  deepEqual([...m.keys()], [0, 1]);
  assert(Object.is([...m.keys()][0], 0));
  deepEqual(m.get(0), [-0, 0]);
  throws(() => Object.groupBy(null, () => 0), TypeError);
  throws(() => Object.groupBy([], 1), TypeError);
  let closed = false;
  const it = { [Symbol.iterator]() { return { next: () => ({ value: 1, done: false }), return() { closed = true; return {}; } }; } };
  throws(() => Map.groupBy(it, () => { throw new SyntaxError("cb"); }), SyntaxError);
  equal(closed, true);
});

await test("Array.fromAsync", async () => {
  deepEqual(await Array.fromAsync([1, Promise.resolve(2)]), [1, 2]);
  async function* gen() { yield 1; yield 2; }
  deepEqual(await Array.fromAsync(gen(), (x) => x * 10), [10, 20]);
  deepEqual(await Array.fromAsync({ length: 2, 0: "a", 1: Promise.resolve("b") }), ["a", "b"]);
  await rejects(Array.fromAsync([], 5), TypeError);
  await rejects(Array.fromAsync(null), TypeError);
  class C { constructor() { this.made = true; } }
  const c = await Array.fromAsync.call(C, [1]);
  equal(c.made, true);
  equal(c.length, 1);
  const p = Array.fromAsync.call(undefined, [1]);
  assert(p instanceof Promise);
  deepEqual(await p, [1]);
});

await test("String well-formedness", () => {
  equal("ab".isWellFormed(), true);
  equal("a\ud800".isWellFormed(), false);
  equal("\ud83d\ude00".isWellFormed(), true);
  equal("a\ud800b\udc00".toWellFormed(), "a\ufffdb\ufffd");
  equal("\ud83d\ude00".toWellFormed(), "\ud83d\ude00");
  throws(() => String.prototype.isWellFormed.call(undefined), TypeError);
  throws(() => String.prototype.toWellFormed.call(Symbol()), TypeError);
  equal(String.prototype.isWellFormed.call(12), true);
});

await test("ArrayBuffer transfer and detached", () => {
  const a = new Uint8Array([1, 2, 3]).buffer;
  equal(a.detached, false);
  const b = a.transfer();
  equal(a.detached, true);
  equal(a.byteLength, 0);
  deepEqual(new Uint8Array(b), new Uint8Array([1, 2, 3]));
  const c = b.transfer(5);
  deepEqual(new Uint8Array(c), new Uint8Array([1, 2, 3, 0, 0]));
  deepEqual(new Uint8Array(c.transferToFixedLength(2)), new Uint8Array([1, 2]));
  throws(() => a.transfer(), TypeError);
  throws(() => new ArrayBuffer(1).transfer(-1), RangeError);
  throws(() => ArrayBuffer.prototype.transfer.call(new SharedArrayBuffer(1)), TypeError);
  throws(() => Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "detached").get.call({}), TypeError);
  const big = new ArrayBuffer(8);
  throws(() => big.transfer(2 ** 53 - 1), RangeError);
  throws(() => big.transfer(2 ** 53), RangeError);
  equal(big.detached, false);
  equal(new ArrayBuffer(0).transfer().byteLength, 0);
});

await test("Set methods", () => {
  const s = new Set([1, 2, 3]);
  deepEqual([...s.union(new Set([3, 4]))], [1, 2, 3, 4]);
  deepEqual([...s.intersection(new Set([2, 3, 9]))], [2, 3]);
  deepEqual([...s.difference(new Set([2]))], [1, 3]);
  deepEqual([...s.symmetricDifference(new Set([3, 4]))], [1, 2, 4]);
  equal(s.isSubsetOf(new Set([1, 2, 3, 4])), true);
  equal(s.isSupersetOf(new Set([1])), true);
  equal(s.isDisjointFrom(new Set([7])), true);
  equal(s.isDisjointFrom(new Set([3])), false);
  // Set-like arguments: size, has, keys read in that order, once.
  const log = [];
  const like = {
    get size() { log.push("size"); return 2; },
    get has() { log.push("has"); return (v) => v === 1; },
    get keys() { log.push("keys"); return function* () { yield 1; yield 5; }; },
  };
  deepEqual([...new Set([1, 2, 3]).intersection(like)], [1]);
  deepEqual(log, ["size", "has", "keys"]);
  deepEqual([...new Set([1]).union(like)], [1, 5]);
  throws(() => s.union([1]), TypeError);  // arrays have no size
  throws(() => s.union({ size: -1, has() {}, keys() {} }), RangeError);
  throws(() => s.union({ size: undefined, has() {}, keys() {} }), TypeError);
  throws(() => s.union({ size: 1, has: 1, keys() {} }), TypeError);
  throws(() => Set.prototype.union.call(new Map(), new Set()), TypeError);
  class S extends Set { static get [Symbol.species]() { throw 1; } }
  equal(Object.getPrototypeOf(new S([1]).union(new Set())), Set.prototype);
  // -0 from keys() becomes +0.
  const r = new Set().union({ size: 1, has: () => false, keys: () => [-0][Symbol.iterator]() });
  assert(Object.is([...r][0], 0));
  // isSupersetOf closes the keys iterator when it stops early.
  let closed = false;
  const it = { size: 1, has: () => true, keys: () => ({ next: () => ({ value: 9, done: false }), return() { closed = true; return {}; } }) };
  equal(new Set([1]).isSupersetOf(it), false);
  equal(closed, true);
});

done();
