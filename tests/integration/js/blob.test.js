// Blob and File (File API): construction from every part type, type normalisation, endings,
// slice, the promise-returning readers, immutability of stored parts, brand checks.
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

const bytes = async (b) => [...new Uint8Array(await b.arrayBuffer())];

await test("interface shape", () => {
  equal(Blob.length, 0);
  equal(File.length, 2);
  equal(String(new Blob()), "[object Blob]");
  equal(String(new File([], "f")), "[object File]");
  equal(Object.getPrototypeOf(File.prototype), Blob.prototype);
  equal(Object.getPrototypeOf(File), Blob);
  deepEqual(Object.keys(Blob.prototype), ["size", "type", "slice", "stream", "text", "arrayBuffer", "bytes"]);
  equal(typeof Blob.prototype.stream, "function");
  throws(() => Blob(), TypeError);
  const d = Object.getOwnPropertyDescriptor(globalThis, "Blob");
  deepEqual([d.writable, d.enumerable, d.configurable], [true, false, true]);
});

await test("parts: strings, buffers, views, blobs", async () => {
  const ab = new Uint8Array([1, 2, 3, 4]).buffer;
  const b = new Blob(["hé", ab, new Uint16Array([0x0605]), new DataView(ab, 1, 2),
    new Blob([new Uint8Array([9])])]);
  equal(b.size, 3 + 4 + 2 + 2 + 1);
  deepEqual(await bytes(b), [0x68, 0xc3, 0xa9, 1, 2, 3, 4, 5, 6, 2, 3, 9]);
  equal(await new Blob([ab.slice(0, 0), "", new Blob()]).text(), "");
});

await test("parts are copied at construction; blobs share safely", async () => {
  const u8 = new Uint8Array([1, 2, 3]);
  const a = new Blob([u8]);
  const b = new Blob([a, a]);
  u8[0] = 99;
  deepEqual(await bytes(a), [1, 2, 3]);
  deepEqual(await bytes(b), [1, 2, 3, 1, 2, 3]);
  const out = await a.bytes();
  out[1] = 77;  // a reader's copy is its own
  deepEqual(await bytes(a), [1, 2, 3]);
  const buf = await a.arrayBuffer();
  new Uint8Array(buf)[2] = 55;
  deepEqual(await bytes(a), [1, 2, 3]);
});

await test("non-sequence parts are TypeErrors; objects become strings", async () => {
  for (const v of [null, 1, "abc", true, Symbol.iterator]) {
    throws(() => new Blob(v), TypeError, undefined, String(v));
  }
  throws(() => new Blob([Symbol()]), TypeError);
  throws(() => new Blob({}), TypeError, /sequence/);
  equal(await new Blob([{ toString: () => "obj" }, 12, null, undefined]).text(),
    "obj12nullundefined");
  equal(await new Blob(new Set(["a", "b"])).text(), "ab");
  equal(await new Blob(["\ud800x"]).text(), "\ufffdx", "lone surrogates as U+FFFD");
});

await test("type is normalised", () => {
  equal(new Blob([], { type: "Text/HTML;Charset=UTF-8" }).type, "text/html;charset=utf-8");
  equal(new Blob([], { type: "a\u00ffb" }).type, "");
  equal(new Blob([], { type: "a\tb" }).type, "");
  equal(new Blob([], { type: "a\u007fb" }).type, "");
  equal(new Blob([], { type: "te(xt/plain" }).type, "te(xt/plain");
  equal(new Blob([], {}).type, "");
  throws(() => new Blob([], { endings: "bogus" }), TypeError, /EndingType/);
  throws(() => new Blob([], 5), TypeError, /dictionary/);
});

await test("endings", async () => {
  const s = "a\r\nb\rc\nd\n\re";
  equal(await new Blob([s]).text(), s);
  equal(await new Blob([s], { endings: "transparent" }).text(), s);
  equal(await new Blob([s], { endings: "native" }).text(), "a\nb\nc\nd\n\ne");
  const long = "é\r\n".repeat(100);
  equal(await new Blob([long], { endings: "native" }).text(), "é\n".repeat(100));
  equal(new Blob([long], { endings: "native" }).size, 300);
  // only strings are converted
  deepEqual(await bytes(new Blob([new Uint8Array([13, 10])], { endings: "native" })), [13, 10]);
});

await test("slice: negative indices, clamping, content type", async () => {
  const b = new Blob(["abc", "def", new Blob(["ghij"])], { type: "text/plain" });
  equal(await b.slice().text(), "abcdefghij");
  equal(b.slice().type, "");
  equal(await b.slice(2, 8).text(), "cdefgh");
  equal(await b.slice(-3).text(), "hij");
  equal(await b.slice(-100, 2).text(), "ab");
  equal(await b.slice(5, 2).text(), "");
  equal(b.slice(5, 2).size, 0);
  equal(await b.slice(4, 1e20).text(), "efghij");
  equal(await b.slice(-Infinity, Infinity).text(), "abcdefghij");
  equal(await b.slice(1.9, "4").text(), "cd", "[Clamp] rounds to the nearest integer");
  equal(await b.slice(2.5, 3.5).text(), "cd", "ties to even");
  equal(await b.slice(NaN, 2).text(), "ab");
  equal(b.slice(0, 1, "A/B").type, "a/b");
  equal(b.slice(0, 1, "\u0100").type, "");
  equal(await b.slice(2, 8).slice(1, -1).text(), "defg");
  throws(() => b.slice(Symbol()), TypeError);
});

await test("text() decodes UTF-8 with replacement and drops a BOM", async () => {
  equal(await new Blob([new Uint8Array([0xef, 0xbb, 0xbf, 0x61])]).text(), "a");
  equal(await new Blob([new Uint8Array([0x61, 0xff, 0xc3])]).text(), "a\ufffd\ufffd");
  equal(await new Blob([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, 0x62])]).text(), "b");
});

await test("bytes() and arrayBuffer()", async () => {
  const b = new Blob(["xy"]);
  const u = await b.bytes();
  assert(u instanceof Uint8Array);
  deepEqual([...u], [120, 121]);
  const ab = await b.arrayBuffer();
  assert(ab instanceof ArrayBuffer);
  equal(ab.byteLength, 2);
  equal((await new Blob().arrayBuffer()).byteLength, 0);
});

await test("promise methods reject on a bad receiver, getters throw", async () => {
  for (const m of ["text", "arrayBuffer", "bytes"]) {
    await rejects(() => Blob.prototype[m].call({}), TypeError, /Illegal invocation/, m);
    await rejects(() => Blob.prototype[m].call(undefined), TypeError, undefined, m);
  }
  throws(() => Blob.prototype.slice.call({}), TypeError);
  throws(() => Object.getOwnPropertyDescriptor(Blob.prototype, "size").get.call({}), TypeError);
  throws(() => Object.getOwnPropertyDescriptor(File.prototype, "name").get.call(new Blob()),
    TypeError);
});

await test("user code patching intrinsics does not break Blob", async () => {
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const set = TypedArray.prototype.set;
  try {
    TypedArray.prototype.set = () => { throw new Error("patched"); };
    Object.defineProperty(Uint8Array, Symbol.species, {
      get() { throw new Error("species"); }, configurable: true,
    });
    const b = new Blob(["abc", new Uint8Array([100])]);
    const s = b.slice(1);
    equal(await s.text(), "bcd");
    deepEqual([...await new Blob([s, "e"]).bytes()], [98, 99, 100, 101]);
  } finally {
    TypedArray.prototype.set = set;
    delete Uint8Array[Symbol.species];
  }
});

await test("subclassing", async () => {
  class MyBlob extends Blob {
    hello() { return "hi"; }
  }
  const b = new MyBlob(["x"]);
  equal(b.hello(), "hi");
  equal(await b.text(), "x");
  assert(b instanceof Blob);
});

await test("File: name, lastModified, webkitRelativePath, options", async () => {
  const before = Date.now();
  const f = new File(["a\r\nb"], "n\ud800.txt", { type: "TEXT/Plain", endings: "native" });
  const after = Date.now();
  assert(f instanceof File && f instanceof Blob);
  equal(f.name, "n\ufffd.txt");
  equal(f.type, "text/plain");
  equal(f.webkitRelativePath, "");
  assert(f.lastModified >= before && f.lastModified <= after, "lastModified defaults to now");
  equal(await f.text(), "a\nb");
  equal(new File([], "x", { lastModified: 42 }).lastModified, 42);
  equal(new File([], "x", { lastModified: new Date(1000) }).lastModified, 1000);
  equal(new File([], "x", { lastModified: -1.7 }).lastModified, -1);
  equal(new File([], null).name, "null");
  throws(() => new File([]), TypeError, /2 arguments required/);
  throws(() => new File(undefined, "x"), TypeError, /sequence/);
  const s = f.slice(0, 1);
  assert(!(s instanceof File), "a File's slice is a Blob");
  equal(await new Blob([f, f]).text(), "a\nba\nb");
});

await test("a million small Blobs and Files leave memory flat", () => {
  // RSS is not visible to JS; this proves the loop completes under ASan without the heap
  // growing without bound (the native part of the check is bench/js/blob_leak.js).
  for (let i = 0; i < 20000; i++) {
    new Blob(["x"]);
    new File(["y"], "f");
  }
});

done();
