// FileReader and ProgressEvent (File API, XHR): interface shape, event order and timing,
// every read type, encoding labels and BOM sniffing, abort, re-entrancy, errors.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const kinds = ["loadstart", "progress", "load", "abort", "error", "loadend"];

// Starts reader[method](...args) and resolves, at loadend, with the events seen
// ("type loaded/total readyState resultIsNull").
function read(reader, method, ...args) {
  const log = [];
  return new Promise((resolve) => {
    const listener = (e) => {
      log.push(`${e.type} ${e.loaded}/${e.total} ${reader.readyState} ${reader.result === null}`);
      if (e.type === "loadend") {
        for (const t of kinds) reader.removeEventListener(t, listener);
        resolve(log);
      }
    };
    for (const type of kinds) reader.addEventListener(type, listener);
    reader[method](...args);
  });
}

async function result(method, blob, ...args) {
  const r = new FileReader();
  await read(r, method, blob, ...args);
  return r.result;
}

const bytes = (...b) => new Blob([new Uint8Array(b)]);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

await test("interface shape", () => {
  equal(FileReader.length, 0);
  equal(ProgressEvent.length, 1);
  equal(Object.getPrototypeOf(FileReader.prototype), EventTarget.prototype);
  equal(Object.getPrototypeOf(ProgressEvent.prototype), Event.prototype);
  equal(String(new FileReader()), "[object FileReader]");
  equal(String(new ProgressEvent("x")), "[object ProgressEvent]");
  deepEqual(Object.keys(FileReader.prototype), [
    "readAsArrayBuffer", "readAsBinaryString", "readAsText", "readAsDataURL", "abort",
    "readyState", "result", "error", "EMPTY", "LOADING", "DONE",
    "onloadstart", "onprogress", "onload", "onabort", "onerror", "onloadend",
  ]);
  equal(FileReader.prototype.readAsText.length, 1);
  for (const [name, value] of [["EMPTY", 0], ["LOADING", 1], ["DONE", 2]]) {
    equal(FileReader[name], value);
    const d = Object.getOwnPropertyDescriptor(FileReader.prototype, name);
    deepEqual([d.value, d.writable, d.enumerable, d.configurable], [value, false, true, false]);
  }
  const d = Object.getOwnPropertyDescriptor(globalThis, "FileReader");
  deepEqual([d.writable, d.enumerable, d.configurable], [true, false, true]);
  throws(() => FileReader(), TypeError);
  const r = new FileReader();
  deepEqual([r.readyState, r.result, r.error], [0, null, null]);
  for (const t of kinds) equal(r[`on${t}`], null, `on${t}`);
});

await test("brand checks", () => {
  const get = (name) => Object.getOwnPropertyDescriptor(FileReader.prototype, name).get;
  for (const name of ["readyState", "result", "error", "onload"]) {
    throws(() => get(name).call({}), TypeError, /Illegal invocation/, name);
    throws(() => get(name).call(new EventTarget()), TypeError, /Illegal invocation/, name);
  }
  throws(() => FileReader.prototype.readAsText.call(new EventTarget(), new Blob()), TypeError);
  throws(() => FileReader.prototype.abort.call({}), TypeError);
  const loaded = Object.getOwnPropertyDescriptor(ProgressEvent.prototype, "loaded").get;
  throws(() => loaded.call(new Event("x")), TypeError);
});

await test("ProgressEvent constructor", () => {
  const e = new ProgressEvent("progress");
  deepEqual([e.type, e.lengthComputable, e.loaded, e.total, e.bubbles, e.cancelable],
    ["progress", false, 0, 0, false, false]);
  equal(e.isTrusted, false);
  const f = new ProgressEvent("p", { lengthComputable: 1, loaded: 10.9, total: "20", bubbles: true,
    cancelable: true });
  deepEqual([f.lengthComputable, f.loaded, f.total, f.bubbles, f.cancelable],
    [true, 10, 20, true, true]);
  equal(new ProgressEvent("p", { loaded: -1 }).loaded, 2 ** 64 - 1, "unsigned long long wraps");
  throws(() => new ProgressEvent(), TypeError, /1 argument required/);
  throws(() => new ProgressEvent("p", 5), TypeError);
  // Members are read once each, inherited ones first, each level in name order.
  const order = [];
  const init = {};
  for (const key of ["total", "loaded", "lengthComputable", "composed", "cancelable", "bubbles"]) {
    Object.defineProperty(init, key, { get() { order.push(key); return undefined; } });
  }
  new ProgressEvent("p", init);
  deepEqual(order, ["bubbles", "cancelable", "composed", "lengthComputable", "loaded", "total"]);
});

await test("events: order, readyState, result, attributes", async () => {
  const r = new FileReader();
  const seen = [];
  r.onloadstart = (e) => seen.push(e);
  r.onload = (e) => seen.push(e);
  const log = await read(r, "readAsText", new Blob(["hello"]));
  deepEqual(log, [
    "loadstart 0/5 1 true",
    "progress 5/5 1 true",
    "load 5/5 2 false",
    "loadend 5/5 2 false",
  ]);
  equal(r.result, "hello");
  for (const e of seen) {
    assert(e instanceof ProgressEvent);
    deepEqual([e.isTrusted, e.bubbles, e.cancelable, e.lengthComputable, e.target],
      [true, false, false, true, r]);
  }
  // No progress for an empty blob: no data was read.
  deepEqual(await read(new FileReader(), "readAsArrayBuffer", new Blob()), [
    "loadstart 0/0 1 true", "load 0/0 2 false", "loadend 0/0 2 false",
  ]);
});

await test("reads are asynchronous; each event is its own task", async () => {
  const r = new FileReader();
  const order = [];
  for (const t of kinds) r.addEventListener(t, () => order.push(t));
  r.onload = () => Promise.resolve().then(() => order.push("microtask after load"));
  r.onprogress = () => Promise.resolve().then(() => order.push("microtask after progress"));
  r.readAsBinaryString(new Blob(["x"]));
  equal(r.readyState, FileReader.LOADING);
  await Promise.resolve();
  deepEqual(order, [], "nothing fires before a task runs");
  await new Promise((resolve) => r.addEventListener("loadend", resolve));
  deepEqual(order, ["loadstart", "progress", "microtask after progress", "load",
    "microtask after load", "loadend"]);
});

await test("readAsArrayBuffer", async () => {
  const blob = bytes(0, 1, 254, 255);
  const a = await result("readAsArrayBuffer", blob);
  const b = await result("readAsArrayBuffer", blob);
  assert(a instanceof ArrayBuffer);
  deepEqual([...new Uint8Array(a)], [0, 1, 254, 255]);
  assert(a !== b, "a new buffer per read");
  new Uint8Array(a)[0] = 9;
  deepEqual([...new Uint8Array(await blob.arrayBuffer())], [0, 1, 254, 255], "blob unchanged");
  const sliced = await result("readAsArrayBuffer", new Blob(["ab", bytes(1, 2), "cd"]).slice(1, 5));
  deepEqual([...new Uint8Array(sliced)], [0x62, 1, 2, 0x63]);
  const file = await result("readAsArrayBuffer", new File(["xyz"], "f.txt"));
  equal(file.byteLength, 3);
});

await test("readAsBinaryString", async () => {
  const all = new Uint8Array(256);
  for (let i = 0; i < 256; ++i) all[i] = i;
  const s = await result("readAsBinaryString", new Blob([all]));
  equal(s.length, 256);
  for (let i = 0; i < 256; ++i) equal(s.charCodeAt(i), i);
  equal(await result("readAsBinaryString", new Blob(["σ"])), "\xcf\x83");
  const big = new Uint8Array(100000).fill(0x41);
  equal(await result("readAsBinaryString", new Blob([big])), "A".repeat(100000));
});

await test("readAsDataURL", async () => {
  equal(await result("readAsDataURL", new Blob(["TEST"], { type: "text/plain" })),
    "data:text/plain;base64,VEVTVA==");
  equal(await result("readAsDataURL", new Blob([])), "data:application/octet-stream;base64,");
  equal(await result("readAsDataURL", new Blob(["a"])), "data:application/octet-stream;base64,YQ==");
  equal(await result("readAsDataURL", new Blob(["ab"])), "data:application/octet-stream;base64,YWI=");
  equal(await result("readAsDataURL", new Blob(["abc"])), "data:application/octet-stream;base64,YWJj");
  equal(await result("readAsDataURL", bytes(0xfb, 0xff, 0xbf)), "data:application/octet-stream;base64,+/+/");
  // The type as the blob has it (normalised to lowercase by Blob), parameters and all.
  equal(await result("readAsDataURL", new Blob(["x"], { type: "Text/HTML;Charset=UTF-8" })),
    "data:text/html;charset=utf-8;base64,eA==");
  // A larger blob round-trips through a reference decoder.
  const data = new Uint8Array(70001);
  for (let i = 0; i < data.length; ++i) data[i] = (i * 7919) & 255;
  const url = await result("readAsDataURL", new Blob([data]));
  const b64 = url.slice(url.indexOf(",") + 1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const out = [];
  for (let i = 0; i < b64.length; i += 4) {
    const c = [0, 1, 2, 3].map((k) => alphabet.indexOf(b64[i + k]));
    const v = (c[0] << 18) | (c[1] << 12) | (Math.max(c[2], 0) << 6) | Math.max(c[3], 0);
    out.push(v >> 16);
    if (c[2] >= 0) out.push((v >> 8) & 255);
    if (c[3] >= 0) out.push(v & 255);
  }
  equal(out.length, data.length);
  assert(out.every((v, i) => v === data[i]), "base64 round trip");
});

await test("readAsText: UTF-8, BOMs and UTF-16", async () => {
  equal(await result("readAsText", new Blob(["héllo ☺"])), "héllo ☺");
  equal(await result("readAsText", bytes(0x61, 0xff, 0x62, 0xe2, 0x98)), "a\ufffdb\ufffd");
  equal(await result("readAsText", bytes(0xef, 0xbb, 0xbf, 0x68, 0x69)), "hi", "UTF-8 BOM dropped");
  equal(await result("readAsText", bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf)), "\ufeff",
    "only the first BOM");
  equal(await result("readAsText", bytes(0xfe, 0xff, 0, 0x68, 0, 0x69)), "hi", "UTF-16BE BOM");
  equal(await result("readAsText", bytes(0xff, 0xfe, 0x68, 0, 0x69, 0)), "hi", "UTF-16LE BOM");
  // A BOM beats the label.
  equal(await result("readAsText", bytes(0xff, 0xfe, 0x68, 0), "utf-16be"), "h");
  equal(await result("readAsText", bytes(0xef, 0xbb, 0xbf, 0x68), "utf-16le"), "h");
  equal(await result("readAsText", new Blob(["TEST"]), "UTF-16"), "\u4554\u5453");
  equal(await result("readAsText", bytes(0, 0x68, 0xd8, 0x3d, 0, 0x69), "utf-16be"),
    "h\ufffdi", "lone high surrogate");
  equal(await result("readAsText", bytes(0x3d, 0xd8, 0x02, 0xde), "utf-16le"), "😂", "pair");
  equal(await result("readAsText", bytes(0x00, 0xdc), "utf-16le"), "\ufffd", "lone low");
  equal(await result("readAsText", bytes(0x68, 0, 0x69), "utf-16le"), "h\ufffd", "odd byte");
  equal(await result("readAsText", new Blob([]), "utf-16le"), "");
});

await test("readAsText: encoding labels and the blob type's charset", async () => {
  const hi16be = [0, 0x68, 0, 0x69];
  for (const label of ["utf-16be", " UTF-16BE\t", "\nunicodefffe\f", "UnicodeFFFE"]) {
    equal(await result("readAsText", bytes(...hi16be), label), "hi", JSON.stringify(label));
  }
  for (const label of ["utf-16le", "utf-16", "ucs-2", "csunicode", "iso-10646-ucs-2", "unicode",
    "unicodefeff"]) {
    equal(await result("readAsText", bytes(0x68, 0, 0x69, 0), label), "hi", label);
  }
  for (const label of ["utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "UTF-8"]) {
    equal(await result("readAsText", new Blob(["é"]), label), "é", label);
  }
  // Not a label (or no label): the type's charset, then UTF-8.
  const typed = (type) => new Blob([new Uint8Array(hi16be)], { type });
  equal(await result("readAsText", typed("text/plain;charset=UTF-16BE")), "hi");
  equal(await result("readAsText", typed("text/plain;charset=utf-16be"), "bogus"), "hi");
  equal(await result("readAsText", typed('text/plain; charset="utf-16be"')), "hi", "quoted");
  equal(await result("readAsText", typed("text/plain;a=b;charset=utf-16be;charset=utf-8")), "hi",
    "the first charset");
  equal(await result("readAsText", typed("text/plain;charset=bogus")), "\0h\0i", "bad charset");
  equal(await result("readAsText", typed("nonsense;charset=utf-16be")), "\0h\0i", "bad type");
  equal(await result("readAsText", typed("text/plain;charset=utf-16be"), "utf-8"), "\0h\0i",
    "a valid label beats the type");
  equal(await result("readAsText", new Blob(["é"]), "\u212Aoi8-r"), "é",
    "the Kelvin sign is not a 'k'");
  equal(await result("readAsText", new Blob(["é"]), ""), "é");
  // Labels of the replacement encoding: one U+FFFD for any input.
  for (const label of ["iso-2022-kr", "csiso2022kr", "hz-gb-2312", "iso-2022-cn",
    "iso-2022-cn-ext", "replacement"]) {
    equal(await result("readAsText", new Blob(["abc"]), label), "\ufffd", label);
  }
  equal(await result("readAsText", new Blob([]), "iso-2022-kr"), "");
  // Legacy encodings need the TextDecoder built-in; without it their labels are unknown.
  const cp1252 = await result("readAsText", bytes(0x80, 0x41), "windows-1252");
  equal(cp1252, typeof TextDecoder === "function" ? "\u20acA" : "\ufffdA");
});

await test("abort", async () => {
  const idle = new FileReader();
  let fired = 0;
  for (const t of kinds) idle.addEventListener(t, () => ++fired);
  idle.abort();
  deepEqual([idle.readyState, idle.result, fired], [FileReader.EMPTY, null, 0]);

  // While loading, before any task ran: abort and loadend at once, then nothing.
  const r = new FileReader();
  const log = [];
  for (const t of kinds) r.addEventListener(t, (e) => log.push(`${t} ${r.readyState}`));
  r.readAsText(new Blob(["abc"]));
  r.abort();
  deepEqual(log, ["abort 2", "loadend 2"]);
  deepEqual([r.readyState, r.result, r.error], [FileReader.DONE, null, null]);
  await tick();
  await tick();
  await tick();
  deepEqual(log, ["abort 2", "loadend 2"], "the read's tasks were removed");

  // From progress: no load. (The progress handler runs before read()'s own listeners, and
  // these are gone once loadend fired.)
  const p = new FileReader();
  p.onprogress = () => p.abort();
  deepEqual(await read(p, "readAsArrayBuffer", new Blob(["abc"])), [
    "loadstart 0/3 1 true", "abort 3/3 2 true", "loadend 3/3 2 true",
  ]);
  await tick();
  await tick();
  equal(p.result, null);

  // After it is done, abort clears the result and fires nothing.
  const d = new FileReader();
  await read(d, "readAsText", new Blob(["x"]));
  equal(d.result, "x");
  let after = 0;
  for (const t of kinds) d.addEventListener(t, () => ++after);
  d.abort();
  deepEqual([d.readyState, d.result, after], [FileReader.DONE, null, 0]);
});

await test("abort and restart in loadstart", async () => {
  const r = new FileReader();
  const log = [];
  for (const t of kinds) r.addEventListener(t, () => log.push(t));
  r.onloadstart = () => {
    r.onloadstart = null;
    r.abort();
    r.readAsText(new Blob(["second"]));
  };
  await new Promise((resolve) => {
    r.onload = resolve;
    r.readAsText(new Blob([new Uint8Array(100000)]));
  });
  await tick();
  equal(r.result, "second");
  deepEqual(log, ["loadstart", "abort", "loadend", "loadstart", "progress", "load", "loadend"]);
});

await test("re-entrancy: InvalidStateError while loading", async () => {
  const blob = new Blob(["abc"]);
  for (const method of ["readAsArrayBuffer", "readAsBinaryString", "readAsText", "readAsDataURL"]) {
    const r = new FileReader();
    r[method](blob);
    const e = throws(() => r.readAsText(blob), DOMException,
      /^Failed to execute 'readAsText' on 'FileReader': The object is already busy/);
    deepEqual([e.name, e.code], ["InvalidStateError", 11]);
    throws(() => r[method](blob), DOMException);
    equal(r.readyState, FileReader.LOADING);
    r.abort();
  }
  // From loadstart and progress handlers too.
  const r = new FileReader();
  const errors = [];
  const again = () => {
    try {
      r.readAsDataURL(blob);
    } catch (e) {
      errors.push(e.name);
    }
  };
  r.onloadstart = again;
  r.onprogress = again;
  await read(r, "readAsText", blob);
  deepEqual(errors, ["InvalidStateError", "InvalidStateError"]);
  equal(r.result, "abc");
});

await test("re-entrancy: a new read from load, loadend or abort", async () => {
  // From load: the first read's loadend is not fired.
  const r = new FileReader();
  const log = [];
  for (const t of kinds) r.addEventListener(t, () => log.push(`${t} ${r.result}`));
  let first = true;
  r.onload = () => {
    if (!first) return;
    first = false;
    r.readAsText(new Blob(["two"]));
  };
  r.readAsText(new Blob(["one"]));
  await new Promise((resolve) => r.addEventListener("loadend", resolve));
  deepEqual(log, ["loadstart null", "progress null", "load one", "loadstart null",
    "progress null", "load two", "loadend two"]);

  // From loadend: allowed, the reader is DONE.
  const e = new FileReader();
  let second;
  e.onloadend = () => {
    e.onloadend = null;
    e.readAsText(new Blob(["b"]));
    second = [e.readyState, e.result];
  };
  await read(e, "readAsText", new Blob(["a"]));
  deepEqual(second, [FileReader.LOADING, null]);
  await new Promise((resolve) => { e.onload = resolve; });
  equal(e.result, "b");

  // From abort: the aborted read's loadend is not fired.
  const a = new FileReader();
  const alog = [];
  for (const t of kinds) a.addEventListener(t, () => alog.push(t));
  a.onabort = () => { a.onabort = null; a.readAsText(new Blob(["c"])); };
  a.readAsText(new Blob(["x"]));
  a.abort();
  deepEqual(alog, ["abort"]);
  await new Promise((resolve) => a.addEventListener("loadend", resolve));
  deepEqual(alog, ["abort", "loadstart", "progress", "load", "loadend"]);
  equal(a.result, "c");
});

await test("argument errors leave the reader as it was", () => {
  const r = new FileReader();
  throws(() => r.readAsText(), TypeError,
    /^Failed to execute 'readAsText' on 'FileReader': 1 argument required/);
  throws(() => r.readAsArrayBuffer("abc"), TypeError,
    /^Failed to execute 'readAsArrayBuffer' on 'FileReader': parameter 1 is not of type 'Blob'/);
  throws(() => r.readAsDataURL({ size: 1, type: "" }), TypeError, /parameter 1/);
  throws(() => r.readAsText(new Blob(), Symbol()), TypeError);
  deepEqual([r.readyState, r.result, r.error], [FileReader.EMPTY, null, null]);
  // Conversion errors come before the state check.
  r.readAsText(new Blob());
  throws(() => r.readAsText(null), TypeError);
  r.abort();
});

await test("event handler attributes", async () => {
  const r = new FileReader();
  const calls = [];
  r.onload = "not a function";
  equal(r.onload, null, "a non-object is null");
  const handler = () => calls.push("handler");
  r.onload = handler;
  equal(r.onload, handler);
  r.addEventListener("load", () => calls.push("listener"));
  r.onloadend = { handleEvent() { calls.push("object"); } };  // not callable: ignored
  await read(r, "readAsText", new Blob(["x"]));
  deepEqual(calls, ["handler", "listener"]);
  r.onload = null;
  equal(r.onload, null);
  await read(r, "readAsText", new Blob(["x"]));
  deepEqual(calls, ["handler", "listener", "listener"]);
});

await test("a throwing listener is reported and the read goes on", async () => {
  const reported = [];
  const onError = (e) => {
    reported.push(e.error.message);
    e.preventDefault();
  };
  globalThis.addEventListener("error", onError);
  const r = new FileReader();
  r.onload = () => { throw new Error("boom"); };
  const log = await read(r, "readAsText", new Blob(["x"]));
  globalThis.removeEventListener("error", onError);
  deepEqual(reported, ["boom"]);
  equal(log.at(-1), "loadend 1/1 2 false");
});

await test("user code patching globals does not change reads", async () => {
  const size = Object.getOwnPropertyDescriptor(Blob.prototype, "size");
  Object.defineProperty(Blob.prototype, "size", { get() { return 1000; }, configurable: true });
  Object.defineProperty(Object.prototype, "bubbles", { get() { return true; }, configurable: true });
  const saved = globalThis.setTimeout;
  globalThis.setTimeout = () => { throw new Error("patched"); };
  try {
    const r = new FileReader();
    let bubbles;
    r.onload = (e) => { bubbles = e.bubbles; };
    const log = await read(r, "readAsText", new Blob(["ab"]));
    equal(log[0], "loadstart 0/2 1 true");
    equal(bubbles, false);
    equal(r.result, "ab");
  } finally {
    globalThis.setTimeout = saved;
    delete Object.prototype.bubbles;
    Object.defineProperty(Blob.prototype, "size", size);
  }
});

await test("many readers at once complete in order", async () => {
  const n = 3000;
  const finished = [];
  const all = [];
  for (let i = 0; i < n; ++i) {
    const r = new FileReader();
    all.push(new Promise((resolve) => {
      r.onloadend = () => {
        finished.push(i);
        resolve(r.result);
      };
    }));
    r.readAsText(new Blob([String(i)]));
  }
  const results = await Promise.all(all);
  equal(results[1234], "1234");
  assert(finished.every((v, i) => v === i), "FIFO");
});

done();
