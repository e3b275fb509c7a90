// structuredClone: V8's types, errors, DataCloneError, transfer, platform objects and hooks.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

function dataCloneError(fn, pattern) {
  const e = throws(fn, DOMException, pattern);
  equal(e.name, "DataCloneError");
  equal(e.code, 25);
}

await test("shape", () => {
  const d = Object.getOwnPropertyDescriptor(globalThis, "structuredClone");
  deepEqual([d.writable, d.enumerable, d.configurable], [true, true, true]);
  equal(structuredClone.length, 1);
  equal(structuredClone.name, "structuredClone");
  throws(() => new structuredClone(1), TypeError);
  throws(() => structuredClone(), TypeError, /1 argument required/);
});

await test("values, graphs, cycles", () => {
  const o = { n: 1, s: "x", b: [1, , 3], d: new Date(5), r: /a/gi, m: new Map([[1, { k: 2 }]]),
    set: new Set([1]), big: 10n, u8: new Uint8Array([1, 2]), wrapped: Object("s") };
  o.self = o;
  o.again = o.b;
  const c = structuredClone(o);
  assert(c !== o);
  equal(c.self, c);
  equal(c.again, c.b);
  equal(c.b.length, 3);
  assert(!(1 in c.b));
  equal(c.d.getTime(), 5);
  equal(c.r.flags, "gi");
  equal(c.m.get(1).k, 2);
  equal(c.big, 10n);
  deepEqual(c.u8, new Uint8Array([1, 2]));
  equal(typeof c.wrapped, "object");
  equal(structuredClone(undefined), undefined);
  assert(Object.is(structuredClone(-0), -0));
});

await test("errors clone as the spec says", () => {
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]) {
    const e = new E("msg");
    e.foo = 1;
    const c = structuredClone(e);
    equal(c.constructor, E);
    equal(c.name, E.name);
    equal(c.message, "msg");
    equal(c.foo, undefined);
    equal(typeof c.stack, "string");
  }
  equal(structuredClone(new Error()).hasOwnProperty("message"), false);
  // Not one of the seven: an Error.
  equal(structuredClone(new AggregateError([], "a")).constructor, Error);
});

await test("DOMException clones by its hook, subclasses as DOMException", () => {
  const c = structuredClone(new DOMException("m", "AbortError"));
  assert(c instanceof DOMException);
  deepEqual([c.name, c.message, c.code], ["AbortError", "m", 20]);
  class Sub extends DOMException {}
  equal(Object.getPrototypeOf(structuredClone(new Sub("x"))), DOMException.prototype);
  const Saved = globalThis.DOMException;
  delete globalThis.DOMException;
  try {
    assert(structuredClone(new Saved()) instanceof Saved);
  } finally {
    globalThis.DOMException = Saved;
  }
  // Shadowing the public attributes does not change what is cloned.
  const e = new DOMException("real", "NotFoundError");
  Object.defineProperty(e, "name", { value: "fake" });
  equal(structuredClone(e).name, "NotFoundError");
  const q = structuredClone({ q: new QuotaExceededError("full", { quota: 10, requested: 9 }) }).q;
  assert(q instanceof QuotaExceededError);
  deepEqual([q.quota, q.requested, q.code, q.message], [10, 9, 22, "full"]);
});

await test("DataCloneError names what could not be cloned", () => {
  dataCloneError(() => structuredClone(function f() {}), /could not be cloned/);
  dataCloneError(() => structuredClone({ s: Symbol("sym") }), /Symbol\(sym\)/);
  dataCloneError(() => structuredClone(new WeakMap()), /WeakMap/);
  dataCloneError(() => structuredClone(new WeakSet()), /WeakSet/);
  dataCloneError(() => structuredClone(Promise.resolve()), /Promise/);
  dataCloneError(() => structuredClone(new Proxy({}, {})), /could not be cloned/);
  dataCloneError(() => structuredClone(new Headers()), /Headers object could not be cloned/);
  dataCloneError(() => structuredClone([performance]), /Performance object could not be cloned/);
  dataCloneError(() => structuredClone(crypto), /Crypto/);
  // An ordinary object that merely inherits from an interface is cloned as one; the
  // interface prototype object itself too (its enumerable getters throw, as in browsers).
  deepEqual(structuredClone(Object.create(DOMException.prototype)), {});
  throws(() => structuredClone(DOMException.prototype), TypeError, /Illegal invocation/);
});

await test("a throwing getter's exception propagates unchanged", () => {
  const boom = new RangeError("getter");
  try {
    structuredClone({ get x() { throw boom; } });
    assert(false, "did not throw");
  } catch (e) {
    equal(e, boom);
  }
});

await test("transfer detaches after the clone", () => {
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const view = new Uint8Array(buf);
  const c = structuredClone({ buf, view }, { transfer: [buf] });
  equal(buf.byteLength, 0);
  equal(view.length, 0);
  deepEqual(new Uint8Array(c.buf), new Uint8Array([1, 2, 3]));
  equal(c.view.buffer, c.buf);
  // Transferred but not referenced: still detached.
  const lone = new ArrayBuffer(4);
  structuredClone(null, { transfer: [lone] });
  equal(lone.byteLength, 0);
});

await test("transfer errors", () => {
  const detached = new ArrayBuffer(1);
  structuredClone(detached, { transfer: [detached] });
  dataCloneError(() => structuredClone(detached, { transfer: [detached] }), /detached/);
  dataCloneError(() => structuredClone(detached), /detached/i);
  const ab = new ArrayBuffer(1);
  dataCloneError(() => structuredClone(ab, { transfer: [ab, ab] }), /duplicate/);
  equal(ab.byteLength, 1, "a failed clone detaches nothing");
  dataCloneError(() => structuredClone(1, { transfer: [new SharedArrayBuffer(1)] }), /SharedArrayBuffer/);
  dataCloneError(() => structuredClone(1, { transfer: [{}] }), /not transferable/);
  throws(() => structuredClone(1, { transfer: [1] }), TypeError, /is not an object/);
  throws(() => structuredClone(1, { transfer: 5 }), TypeError, /sequence/);
  // A getter that detaches a listed buffer during the clone.
  const b = new ArrayBuffer(2);
  dataCloneError(() => structuredClone({ get x() { structuredClone(b, { transfer: [b] }); return 1; } },
    { transfer: [b] }), /detached/);
});

await test("SharedArrayBuffer is shared, not copied", () => {
  const sab = new SharedArrayBuffer(4);
  const c = structuredClone(sab);
  assert(c !== sab);
  new Uint8Array(c)[0] = 7;
  equal(new Uint8Array(sab)[0], 7);
});

await test("built-in platform classes are not cloneable; their classes stay WebIDL-shaped", () => {
  const cases = {
    Event: new Event("x"), CustomEvent: new CustomEvent("x"), EventTarget: new EventTarget(),
    AbortController: new AbortController(), AbortSignal: new AbortController().signal,
    URL: new URL("http://a/"), URLSearchParams: new URLSearchParams("a=1"),
    FormData: new FormData(), Headers: new Headers(), Response: new Response(""),
  };
  for (const [name, value] of Object.entries(cases)) {
    dataCloneError(() => structuredClone(value), new RegExp(`${name} object could not be cloned`));
    dataCloneError(() => structuredClone({ nested: [value] }));
  }
  for (const C of [Event, EventTarget, AbortController, URL, URLSearchParams, Blob, FormData]) {
    equal(Object.getPrototypeOf(C), Function.prototype);
    equal(Object.getPrototypeOf(C.prototype), Object.prototype);
  }
  class Sub extends EventTarget { constructor() { super(); this.own = 1; } }
  const s = new Sub();
  assert(s instanceof Sub && s instanceof EventTarget);
  equal(s.own, 1);
  dataCloneError(() => structuredClone(s));
});

await test("Blob and File clone with their bytes, type, name and lastModified", async () => {
  const blob = new Blob(["ab", new Uint8Array([99])], { type: "Text/Plain" });
  const b = structuredClone(blob);
  assert(b instanceof Blob && b !== blob);
  equal(b.size, 3);
  equal(b.type, "text/plain");
  equal(await b.text(), "abc");
  equal(await structuredClone(blob.slice(1, 2)).text(), "b");
  const file = new File(["xyz"], "f.txt", { type: "a/b", lastModified: 42 });
  const [f1, f2] = structuredClone([file, file]);
  assert(f1 === f2, "shared references are kept");
  assert(f1 instanceof File);
  equal(f1.name, "f.txt");
  equal(f1.lastModified, 42);
  equal(await f1.text(), "xyz");
  class MyBlob extends Blob {}
  equal(Object.getPrototypeOf(structuredClone(new MyBlob(["q"]))), Blob.prototype);
  const empty = structuredClone(new Blob([]));
  equal(empty.size, 0);
  equal(await empty.text(), "");
});

done();
