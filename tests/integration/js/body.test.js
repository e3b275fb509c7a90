// Bodies as streams (js/api/body.h, js/builtins/55_body.js), beyond what the WPT fetch areas
// check.
import { test, assert, equal, deepEqual, rejects, throws, done } from "./assert.js";

const enc = new TextEncoder();
const streamOf = (...parts) => new ReadableStream({
  start(c) {
    for (const p of parts) c.enqueue(typeof p === "string" ? enc.encode(p) : p);
    c.close();
  },
});

await test("a stream body is read to the end by every consumer", async () => {
  equal(await new Response(streamOf("ab", "cd")).text(), "abcd");
  deepEqual(await new Response(streamOf('{"a":', "1}")).json(), { a: 1 });
  const buf = await new Response(streamOf(new Uint8Array([1, 2]), new Uint8Array([3]))).arrayBuffer();
  deepEqual([...new Uint8Array(buf)], [1, 2, 3]);
  equal((await new Response(streamOf("xyz")).blob()).size, 3);
});

await test("the consumer's bytes are a copy, not the app's chunk", async () => {
  const chunk = new Uint8Array([7, 7]);
  const bytes = await new Response(streamOf(chunk)).bytes();
  chunk[0] = 1;
  deepEqual([...bytes], [7, 7]);
});

await test("a locked or disturbed stream cannot be a body", async () => {
  const s = streamOf("x");
  s.getReader();
  throws(() => new Response(s), TypeError);
  const t = streamOf("x");
  await t.cancel();
  throws(() => new Response(t), TypeError);
});

await test("bodyUsed follows the stream; a second read rejects", async () => {
  const r = new Response(streamOf("once"));
  equal(r.bodyUsed, false);
  equal(await r.text(), "once");
  equal(r.bodyUsed, true);
  await rejects(r.text(), TypeError);
});

await test("a chunk that is not a Uint8Array rejects the consumer with a TypeError", async () => {
  const bad = new ReadableStream({ start(c) { c.enqueue("a string"); c.close(); } });
  await rejects(new Response(bad).text(), TypeError);
});

await test("clone() tees: both branches read the whole body", async () => {
  const r = new Response(streamOf("tee ", "me"));
  const c = r.clone();
  deepEqual(await Promise.all([r.text(), c.text()]), ["tee me", "tee me"]);
});

await test("new Request(input) proxies the input's body; the input is disturbed", async () => {
  const input = new Request("http://x/", { method: "POST", body: "payload" });
  const original = input.body;
  const copy = new Request(input);
  equal(input.bodyUsed, true);
  equal(input.body, original, "the input keeps its stream");
  equal(input.body.locked, true);
  equal(await copy.text(), "payload");
});

await test("a stream request body needs duplex: 'half'", async () => {
  throws(() => new Request("http://x/", { method: "POST", body: streamOf("x") }), TypeError);
  const r = new Request("http://x/", { method: "POST", body: streamOf("x"), duplex: "half" });
  equal(await r.text(), "x");
});

await test("a patched Object.prototype.then does not reach a body read", async () => {
  const r = new Response(streamOf("safe"));
  Object.prototype.then = function () { throw new Error("intercepted"); };
  let text;
  try {
    text = r.text();
  } finally {
    delete Object.prototype.then;
  }
  equal(await text, "safe");
});

done();
