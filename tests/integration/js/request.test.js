// Fetch `Request` built in JS (incoming requests are covered by the HTTP tests).
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

await test("defaults", async () => {
  const r = new Request("https://example.com/a?b=c");
  equal(r.method, "GET");
  equal(r.url, "https://example.com/a?b=c");
  equal(r.bodyUsed, false);
  equal(r.redirect, "follow");
  deepEqual([...r.headers], []);
  equal(await r.text(), "");
});

await test("init: method, headers, body", async () => {
  const r = new Request("https://example.com/", {
    method: "post",
    headers: { "X-Token": "abc" },
    body: "payload",
  });
  equal(r.method, "POST", "standard methods are upper-cased");
  equal(r.headers.get("x-token"), "abc");
  equal(r.headers.get("content-type"), "text/plain;charset=UTF-8");
  equal(await r.text(), "payload");
  equal(r.bodyUsed, true);
  await rejects(() => r.text(), TypeError);
});

await test("method normalization", () => {
  for (const [given, want] of [["get", "GET"], ["Delete", "DELETE"], ["head", "HEAD"],
                               ["options", "OPTIONS"], ["put", "PUT"], ["patch", "patch"],
                               ["PATCH", "PATCH"], ["custom", "custom"]]) {
    equal(new Request("https://e.x/", { method: given }).method, want, given);
  }
});

await test("invalid and forbidden methods", () => {
  for (const method of ["bad method", "", "GET\n", "a(b"]) {
    throws(() => new Request("https://e.x/", { method }), TypeError, undefined, JSON.stringify(method));
  }
  for (const method of ["CONNECT", "trace", "TRACK"]) {
    throws(() => new Request("https://e.x/", { method }), TypeError, undefined, method);
  }
});

await test("GET and HEAD cannot have a body", () => {
  throws(() => new Request("https://e.x/", { body: "x" }), TypeError);
  throws(() => new Request("https://e.x/", { method: "HEAD", body: "x" }), TypeError);
  equal(new Request("https://e.x/", { body: null }).method, "GET");
});

await test("relative and invalid URLs", () => {
  throws(() => new Request("/relative"), TypeError);
  throws(() => new Request("no scheme"), TypeError);
});

await test("bodies: json, arrayBuffer, typed arrays", async () => {
  const r = new Request("https://e.x/", { method: "PUT", body: '{"k":[1,2]}' });
  deepEqual(await r.json(), { k: [1, 2] });
  const bytes = new Uint8Array([5, 6, 7, 8]);
  const r2 = new Request("https://e.x/", { method: "POST", body: bytes.subarray(1, 3) });
  equal(r2.headers.get("content-type"), null);
  deepEqual(new Uint8Array(await r2.arrayBuffer()), new Uint8Array([6, 7]));
  const r3 = new Request("https://e.x/", {
    method: "POST", body: "x", headers: { "content-type": "application/x-custom" } });
  equal(r3.headers.get("content-type"), "application/x-custom");
});

await test("new Request(request, init) copies and overrides", async () => {
  const a = new Request("https://e.x/a", { method: "POST", headers: { "x-a": "1" }, body: "body" });
  const b = new Request(a, { method: "PUT" });
  equal(b.url, "https://e.x/a");
  equal(b.method, "PUT");
  equal(b.headers.get("x-a"), "1");
  equal(await b.text(), "body");
  b.headers.set("x-a", "2");
  equal(a.headers.get("x-a"), "1", "headers are copied");
  const a2 = new Request("https://e.x/a", { method: "POST", headers: { "x-a": "1" }, body: "body" });
  const c = new Request(a2, { headers: { "x-c": "3" } });
  equal(c.headers.get("x-a"), null, "init headers replace the source's");
  equal(c.headers.get("x-c"), "3");
});

await test("a request used as the input of another gives its body away", async () => {
  // Fetch: the new request's body is a proxy of the input's, which is disturbed by it.
  const a = new Request("https://e.x/", { method: "POST", body: "moved" });
  const b = new Request(a);
  equal(a.bodyUsed, true);
  equal(await b.text(), "moved");
  throws(() => new Request(a), TypeError);
  const noBody = new Request("https://e.x/");
  new Request(noBody);
  equal(noBody.bodyUsed, false, "a null body stays unused");
});

await test("a used request cannot be the input of another", async () => {
  const a = new Request("https://e.x/", { method: "POST", body: "x" });
  await a.text();
  throws(() => new Request(a), TypeError);
});

await test("clone", async () => {
  const a = new Request("https://e.x/", { method: "POST", body: "twice" });
  const b = a.clone();
  equal(b.method, "POST");
  equal(await a.text(), "twice");
  equal(await b.text(), "twice");
  throws(() => a.clone(), TypeError);
});

await test("request headers are mutable when built in JS", () => {
  const r = new Request("https://e.x/");
  r.headers.set("x-new", "1");
  equal(r.headers.get("x-new"), "1");
  equal(r.headers, r.headers);
});

await test("constructor checks", () => {
  throws(() => Request("https://e.x/"), TypeError, undefined, "calling without new");
  throws(() => new Request(), TypeError);
  equal(Object.prototype.toString.call(new Request("https://e.x/")), "[object Request]");
});

done();
