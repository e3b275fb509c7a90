// Streams beyond WPT's .any.js tests: what the built-ins rely on (a pipe survives patched
// Promise.prototype.then / Array.prototype, Blob.stream() chunks, a byte source's
// backpressure as fetch's C++-backed bodies will use it) and the laziness of the file.
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

const collect = async (rs) => {
  const out = [];
  for await (const chunk of rs) out.push(chunk);
  return out;
};

await test("the streams globals are interface objects, lazily defined", async () => {
  for (const name of ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader",
    "ReadableStreamDefaultController", "ReadableByteStreamController", "ReadableStreamBYOBRequest",
    "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController",
    "TransformStream", "TransformStreamDefaultController", "ByteLengthQueuingStrategy",
    "CountQueuingStrategy"]) {
    const desc = Object.getOwnPropertyDescriptor(globalThis, name);
    equal(typeof desc.value, "function", name);
    equal(desc.enumerable, false, name);
    equal(desc.value.name, name);
  }
  throws(() => new ReadableStreamDefaultController(), TypeError, /Illegal constructor/);
  throws(() => ReadableStream.prototype.getReader.call({}), TypeError, /Illegal invocation/);
  await rejects(ReadableStream.prototype.cancel.call({}), TypeError);
  equal(Object.prototype.toString.call(new ReadableStream()), "[object ReadableStream]");
});

await test("a pipe survives patched Promise.prototype.then and Array.prototype", async () => {
  const then = Promise.prototype.then;
  const push = Array.prototype.push;
  const shift = Array.prototype.shift;
  let thenCalls = 0;
  const written = [];
  const rs = new ReadableStream({
    start(c) { for (let i = 0; i < 5; ++i) c.enqueue(i); c.close(); },
  });
  const ts = new TransformStream({ transform(chunk, c) { c.enqueue(chunk * 10); } });
  const ws = new WritableStream({ write(chunk) { written[written.length] = chunk; } });
  Promise.prototype.then = function (...args) {
    ++thenCalls;
    return then.apply(this, args);
  };
  Array.prototype.push = () => { throw new Error("patched push"); };
  Array.prototype.shift = () => { throw new Error("patched shift"); };
  let piped;
  try {
    piped = rs.pipeThrough(ts).pipeTo(ws);
  } finally {
    Array.prototype.push = push;
    Array.prototype.shift = shift;
  }
  // The patches stay until the pipe is done; only the await below uses then.
  Array.prototype.push = () => { throw new Error("patched push"); };
  Array.prototype.shift = () => { throw new Error("patched shift"); };
  try {
    await piped;
  } finally {
    Array.prototype.push = push;
    Array.prototype.shift = shift;
    Promise.prototype.then = then;
  }
  deepEqual(written, [0, 10, 20, 30, 40]);
  assert(thenCalls <= 2, `the pipe itself called the patched then (${thenCalls} calls)`);
});

await test("a pipe completes while Promise.prototype.then throws", async () => {
  const then = Promise.prototype.then;
  const written = [];
  let closed = false;
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const ws = new WritableStream({
    write(chunk) { written[written.length] = chunk; },
    close() { closed = true; },
  });
  Promise.prototype.then = () => { throw new Error("patched then"); };
  try {
    rs.pipeThrough(new TransformStream()).pipeTo(ws);
  } finally {
    // Restored from a timer, after the pipe ran its microtasks with the patch in place.
    setTimeout(() => { Promise.prototype.then = then; }, 0);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  deepEqual(written, ["a", "b"]);
  equal(closed, true);
});

await test("Object.prototype.then does not intercept internal reads (pipe, tee)", async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const [a, b] = rs.tee();
  let intercepted = 0;
  Object.defineProperty(Object.prototype, "then", {
    get() { ++intercepted; return undefined; }, configurable: true,
  });
  const out = [];
  try {
    await a.pipeTo(new WritableStream({ write(chunk) { out[out.length] = chunk; } }));
  } finally {
    delete Object.prototype.then;
  }
  deepEqual(out, ["a", "b"]);
  equal(intercepted, 0);
  deepEqual(await collect(b), ["a", "b"]);
});

await test("Blob.stream() is a byte stream of the blob's bytes, at most 64 KiB a chunk", async () => {
  const big = new Uint8Array(150 * 1024);
  for (let i = 0; i < big.length; ++i) big[i] = i & 0xff;
  const blob = new Blob([big, "tail"]);
  const chunks = await collect(blob.stream());
  assert(chunks.length >= 3, `${chunks.length} chunks`);
  let total = 0;
  for (const c of chunks) {
    assert(c instanceof Uint8Array);
    assert(c.byteLength <= 65536, `chunk of ${c.byteLength}`);
    total += c.byteLength;
  }
  equal(total, big.length + 4);
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) { all.set(c, off); off += c.byteLength; }
  equal(all[70000], 70000 & 0xff);
  equal(new TextDecoder().decode(all.subarray(big.length)), "tail");
  // BYOB reads fill the caller's buffer.
  const reader = new Blob(["hello world"]).stream().getReader({ mode: "byob" });
  const first = await reader.read(new Uint8Array(5));
  equal(new TextDecoder().decode(first.value), "hello");
  const rest = await reader.read(new Uint8Array(64));
  equal(new TextDecoder().decode(rest.value), " world");
  const end = await reader.read(new Uint8Array(8));
  equal(end.done, true);
  // An empty blob is an empty, closed stream; the blob's own bytes are never shared.
  deepEqual(await collect(new Blob([]).stream()), []);
  const src = new Uint8Array([1, 2, 3]);
  const b2 = new Blob([src]);
  const [chunk] = await collect(b2.stream());
  chunk[0] = 99;
  deepEqual([...new Uint8Array(await b2.arrayBuffer())], [1, 2, 3]);
});

await test("a byte source sees backpressure through desiredSize", async () => {
  const sizes = [];
  let pulls = 0;
  const rs = new ReadableStream({
    type: "bytes",
    pull(c) {
      ++pulls;
      sizes.push(c.desiredSize);
      c.enqueue(new Uint8Array(4));
    },
  }, { highWaterMark: 8 });
  await new Promise((r) => setTimeout(r, 5));
  // Filled to the high-water mark (two 4-byte chunks), then no more pulls.
  equal(pulls, 2);
  deepEqual(sizes, [8, 4]);
  const reader = rs.getReader();
  const { value } = await reader.read();
  equal(value.byteLength, 4);
  await new Promise((r) => setTimeout(r, 5));
  equal(pulls, 3);
  await reader.cancel();
});

await test("internals-facing behaviour: disturbed, locked, cancel after close", async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } });
  equal(rs.locked, false);
  const reader = rs.getReader();
  equal(rs.locked, true);
  throws(() => rs.getReader(), TypeError, /locked/);
  await reader.read();
  reader.releaseLock();
  equal(rs.locked, false);
  await rejects(reader.read(), TypeError);
  await rs.cancel("late");  // a closed stream cancels to undefined
});

await test("WritableStreamDefaultController.signal aborts with the abort reason", async () => {
  let signal;
  const ws = new WritableStream({ start(c) { signal = c.signal; }, write() { return new Promise(() => {}); } });
  const writer = ws.getWriter();
  const written = writer.write("x");
  const reason = new Error("stop");
  const aborting = writer.abort(reason);
  written.catch(() => {});
  aborting.catch(() => {});
  equal(signal.aborted, true);
  equal(signal.reason, reason);
});

await test("TransformStream flush and cancel", async () => {
  const events = [];
  const ts = new TransformStream({
    transform(chunk, c) { c.enqueue(chunk.toUpperCase()); },
    flush(c) { c.enqueue("!"); events.push("flush"); },
  });
  const out = collect(ts.readable);
  const w = ts.writable.getWriter();
  await w.write("a");
  await w.close();
  deepEqual(await out, ["A", "!"]);
  deepEqual(events, ["flush"]);
  const ts2 = new TransformStream({ cancel(reason) { events.push(`cancel ${reason}`); } });
  await ts2.readable.cancel("why");
  deepEqual(events, ["flush", "cancel why"]);
  await rejects(ts2.writable.getWriter().closed, undefined);
});

await test("ReadableStream.from(iterable) and async iteration with preventCancel", async () => {
  deepEqual(await collect(ReadableStream.from([1, 2, 3])), [1, 2, 3]);
  async function* gen() { yield "x"; yield "y"; }
  deepEqual(await collect(ReadableStream.from(gen())), ["x", "y"]);
  const rs = ReadableStream.from([1, 2, 3]);
  for await (const v of rs.values({ preventCancel: true })) { equal(v, 1); break; }
  equal(rs.locked, false);
  const reader = rs.getReader();
  equal((await reader.read()).value, 2);
});

done();
