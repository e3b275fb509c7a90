// Fetch `Response`: construction, status rules, body mixin, static constructors.
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

await test("default Response", async () => {
  const r = new Response();
  equal(r.status, 200);
  equal(r.statusText, "");
  equal(r.ok, true);
  equal(r.type, "default");
  equal(r.redirected, false);
  equal(r.url, "");
  equal(r.bodyUsed, false);
  equal(r.headers.get("content-type"), null);
  equal(await r.text(), "");
});

await test("string body sets a text content-type", async () => {
  const r = new Response("héllo");
  equal(r.headers.get("content-type"), "text/plain;charset=UTF-8");
  equal(await r.text(), "héllo");
});

await test("explicit content-type wins over the body's", async () => {
  const r = new Response("x", { headers: { "Content-Type": "text/html" } });
  equal(r.headers.get("content-type"), "text/html");
});

await test("status range", () => {
  for (const status of [200, 201, 299, 300, 404, 599]) equal(new Response(null, { status }).status, status);
  for (const status of [0, 100, 199, 600, 1000, -1]) {
    throws(() => new Response(null, { status }), RangeError, undefined, `status ${status}`);
  }
});

await test("ok follows the status", () => {
  equal(new Response(null, { status: 299 }).ok, true);
  equal(new Response(null, { status: 300 }).ok, false);
  equal(new Response(null, { status: 404 }).ok, false);
});

await test("statusText", () => {
  equal(new Response(null, { statusText: "Fine" }).statusText, "Fine");
  throws(() => new Response(null, { statusText: "bad\nline" }), TypeError);
});

await test("null body statuses refuse a body", async () => {
  for (const status of [204, 205, 304]) {
    throws(() => new Response("x", { status }), TypeError, undefined, `status ${status}`);
    const r = new Response(null, { status });
    equal(r.status, status);
    equal(await r.text(), "");
  }
});

await test("headers init: record, pairs, Headers", () => {
  equal(new Response(null, { headers: { "X-A": "1" } }).headers.get("x-a"), "1");
  equal(new Response(null, { headers: [["X-B", "2"], ["x-b", "3"]] }).headers.get("X-B"), "2, 3");
  const h = new Headers({ "x-c": "4" });
  const r = new Response(null, { headers: h });
  equal(r.headers.get("x-c"), "4");
  h.set("x-c", "changed");
  equal(r.headers.get("x-c"), "4", "the init Headers is copied");
  throws(() => new Response(null, { headers: [["only-one"]] }), TypeError);
  throws(() => new Response(null, { headers: { "bad name": "x" } }), TypeError);
});

await test("response headers are mutable", () => {
  const r = new Response("x");
  r.headers.set("x-added", "yes");
  equal(r.headers.get("x-added"), "yes");
  equal(r.headers, r.headers, "the same Headers object each time");
});

await test("ArrayBuffer and typed array bodies", async () => {
  const buf = new Uint8Array([0, 1, 2, 253, 254, 255]).buffer;
  deepEqual(new Uint8Array(await new Response(buf).arrayBuffer()), new Uint8Array([0, 1, 2, 253, 254, 255]));
  equal(new Response(buf).headers.get("content-type"), null);
  const view = new Uint8Array(buf, 2, 3);  // a window: only its bytes count
  deepEqual(new Uint8Array(await new Response(view).arrayBuffer()), new Uint8Array([2, 253, 254]));
  const words = new Uint16Array([0x4241, 0x4443]);  // little-endian "ABCD"
  equal(await new Response(words).text(), "ABCD");
  equal(await new Response(new DataView(buf, 3, 1)).text(), "\ufffd");
});

await test("the body is a copy of the buffer", async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const r = new Response(bytes);
  bytes[0] = 9;
  deepEqual(new Uint8Array(await r.arrayBuffer()), new Uint8Array([1, 2, 3]));
});

await test("non-string bodies are stringified", async () => {
  equal(await new Response(42).text(), "42");
  equal(await new Response({ toString: () => "custom" }).text(), "custom");
});

await test("text/json/arrayBuffer return promises", async () => {
  const p = new Response("1").text();
  assert(p instanceof Promise, "text() returns a Promise");
  equal(await p, "1");
  const ab = await new Response("AB").arrayBuffer();
  assert(ab instanceof ArrayBuffer, "arrayBuffer() resolves to an ArrayBuffer");
  deepEqual(new Uint8Array(ab), new Uint8Array([65, 66]));
  deepEqual(await new Response('{"a":[1,"x",null]}').json(), { a: [1, "x", null] });
  equal(await new Response("7").json(), 7);
});

await test("utf-8 decoding", async () => {
  equal(await new Response(new Uint8Array([0xe2, 0x98, 0x83])).text(), "\u2603");
  equal(await new Response(new Uint8Array([0xff, 0x41])).text(), "\ufffdA");
  equal(await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])).text(), "A", "a BOM is dropped");
});

await test("invalid JSON rejects with SyntaxError", async () => {
  await rejects(new Response("{nope").json(), SyntaxError);
});

await test("bodyUsed and reading twice", async () => {
  const r = new Response("once");
  equal(r.bodyUsed, false);
  equal(await r.text(), "once");
  equal(r.bodyUsed, true);
  await rejects(() => r.text(), TypeError);
  await rejects(() => r.arrayBuffer(), TypeError);
  await rejects(() => r.json(), TypeError);
  const empty = new Response(null);
  await empty.text();
  equal(empty.bodyUsed, false, "a null body is never used");
  equal(await empty.text(), "");
});

await test("clone", async () => {
  const r = new Response("twice", { status: 201, statusText: "Made", headers: { "x-a": "1" } });
  const c = r.clone();
  equal(c.status, 201);
  equal(c.statusText, "Made");
  equal(c.headers.get("x-a"), "1");
  equal(await r.text(), "twice");
  equal(await c.text(), "twice");
  throws(() => r.clone(), TypeError);
  c.headers.set("x-a", "2");
  equal(r.headers.get("x-a"), "1", "clone has its own headers");
});

await test("Response.json", async () => {
  const r = Response.json({ a: 1, b: [true, null] });
  equal(r.status, 200);
  equal(r.headers.get("content-type"), "application/json");
  equal(await r.text(), '{"a":1,"b":[true,null]}');
  const r2 = Response.json("s", { status: 201, headers: { "x-a": "1" } });
  equal(r2.status, 201);
  equal(r2.headers.get("x-a"), "1");
  equal(await r2.text(), '"s"');
  const r3 = Response.json([], { headers: { "content-type": "application/vnd.api+json" } });
  equal(r3.headers.get("content-type"), "application/vnd.api+json");
  throws(() => Response.json(undefined), TypeError);
  throws(() => Response.json(() => 1), TypeError);
  throws(() => Response.json(1n), TypeError);
  const cyclic = {};
  cyclic.self = cyclic;
  throws(() => Response.json(cyclic), TypeError);
  throws(() => Response.json({}, { status: 600 }), RangeError);
  throws(() => Response.json({}, { status: 204 }), TypeError);
});

await test("Response.redirect", async () => {
  const r = Response.redirect("https://example.com/next");
  equal(r.status, 302);
  equal(r.headers.get("location"), "https://example.com/next");
  equal(await r.text(), "");
  for (const status of [301, 302, 303, 307, 308]) {
    equal(Response.redirect("https://example.com/", status).status, status);
  }
  for (const status of [200, 300, 304, 400]) {
    throws(() => Response.redirect("https://example.com/", status), RangeError, undefined, `status ${status}`);
  }
  throws(() => r.headers.set("location", "https://evil.example/"), TypeError);
  throws(() => r.headers.append("x-a", "1"), TypeError);
  throws(() => r.headers.delete("location"), TypeError);
  equal(r.headers.get("location"), "https://example.com/next");
});

await test("Response.error", () => {
  const r = Response.error();
  equal(r.type, "error");
  equal(r.status, 0);
  equal(r.ok, false);
  throws(() => r.headers.set("x-a", "1"), TypeError);
});

await test("constructor checks", () => {
  throws(() => Response(), TypeError, undefined, "calling without new");
  throws(() => new Response("", 5), TypeError, undefined, "init must be an object");
  equal(Object.prototype.toString.call(new Response()), "[object Response]");
  equal(typeof Response.prototype.text, "function");
});

await test("status is an unsigned short; statusText a reason-phrase ByteString", () => {
  equal(new Response(null, { status: 65536 + 201 }).status, 201, "modulo 2^16 (WebIDL)");
  throws(() => new Response(null, { status: 0 }), RangeError);
  throws(() => new Response(null, { status: 600 }), RangeError);
  equal(new Response(null, { statusText: "tab\there \u00ff" }).statusText, "tab\there \u00ff");
  throws(() => new Response(null, { statusText: "\u0100" }), TypeError, undefined, "not a ByteString");
  throws(() => new Response(null, { statusText: "a\nb" }), TypeError);
  throws(() => new Response(null, { statusText: "\x7f" }), TypeError);
});

await test("body is a byte ReadableStream (null without a body); bodyUsed of a null body", async () => {
  const r = new Response("xy");
  assert(r.body instanceof ReadableStream);
  equal(r.body, r.body, "the same stream each time");
  const reader = r.body.getReader({ mode: "byob" });
  const { value } = await reader.read(new Uint8Array(8));
  deepEqual([...value], [0x78, 0x79]);
  equal(r.bodyUsed, true, "reading the stream disturbs the body");
  const empty = new Response();
  equal(empty.body, null);
  await empty.text();
  equal(empty.bodyUsed, false, "a null body is never used");
});

await test("Blob, File, FormData, URLSearchParams bodies", async () => {
  const r = new Response(new Blob(["<b>"], { type: "text/html" }));
  equal(r.headers.get("content-type"), "text/html");
  equal(await r.text(), "<b>");
  const typed = new Response(new Blob(["x"], { type: "text/html" }),
                             { headers: { "content-type": "text/plain" } });
  equal(typed.headers.get("content-type"), "text/plain", "the headers' Content-Type wins");
  equal((await typed.blob()).type, "text/plain", "blob() takes the header's type");
  const p = new Response(new URLSearchParams({ q: "a b", r: "\u00e9" }));
  equal(p.headers.get("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
  equal(await p.text(), "q=a+b&r=%C3%A9");
  const fd = new FormData();
  fd.append("a", "1");
  const f = new Response(fd);
  const back = await f.formData();
  deepEqual([...back], [["a", "1"]]);
});

await test("bytes() and blob()", async () => {
  const r = new Response(new Uint8Array([1, 2, 255]), { headers: { "content-type": "A/B" } });
  const b = await r.clone().blob();
  equal(b.type, "a/b");
  equal(b.size, 3);
  const bytes = await r.bytes();
  assert(bytes instanceof Uint8Array);
  deepEqual([...bytes], [1, 2, 255]);
  await rejects(() => r.bytes(), TypeError);
  equal((await new Response().blob()).type, "");
});

await test("formData() needs a form Content-Type", async () => {
  await rejects(() => new Response("a=1").formData(), TypeError);
  const ok = new Response("a=1&b=%20", { headers: { "content-type": "application/x-www-form-urlencoded" } });
  deepEqual([...(await ok.formData())], [["a", "1"], ["b", " "]]);
});

await test("Response.error() and redirect() headers are immutable", () => {
  const e = Response.error();
  throws(() => e.headers.set("x", "1"), TypeError);
  equal(e.body, null);
  const r = Response.redirect("https://e.x/a b", 301);
  equal(r.headers.get("location"), "https://e.x/a%20b", "the parsed, serialised URL");
  throws(() => r.headers.append("x", "1"), TypeError);
  throws(() => Response.redirect("/relative"), TypeError, undefined, "no base URL on a server");
  throws(() => Response.redirect("https://e.x/", 200), RangeError);
  equal(Response.redirect("https://e.x/").status, 302);
});

await test("clone keeps status, statusText, type and the headers' guard", async () => {
  const r = new Response("b", { status: 201, statusText: "Made", headers: { "x": "1" } });
  const c = r.clone();
  deepEqual([c.status, c.statusText, c.type, c.headers.get("x"), await c.text()],
            [201, "Made", "default", "1", "b"]);
  const e = Response.error().clone();
  equal(e.type, "error");
  throws(() => e.headers.set("x", "1"), TypeError);
});

await test("Response.json with init", async () => {
  const r = Response.json({ a: 1 }, { status: 202, headers: { "content-type": "application/x+json" } });
  equal(r.status, 202);
  equal(r.headers.get("content-type"), "application/x+json");
  throws(() => Response.json(1, { status: 204 }), TypeError, undefined, "null body status");
  throws(() => Response.json(Symbol()), TypeError);
});

await test("consumers reject rather than throw on a wrong receiver", async () => {
  await rejects(() => Response.prototype.text.call({}), TypeError);
  await rejects(() => Response.prototype.bytes.call(new Request("https://e.x/")), TypeError);
});

done();
