// Fetch `Request` built in JS (incoming requests are covered by the HTTP tests).
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

// ASCII bytes of a string (TextEncoder is not in every build yet).
function asciiBytes(s) {
  return Array.from(s, (c) => c.charCodeAt(0));
}

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

await test("attributes and their defaults", () => {
  const r = new Request("https://e.x/");
  deepEqual([r.destination, r.referrer, r.referrerPolicy, r.mode, r.credentials, r.cache,
             r.redirect, r.integrity, r.keepalive, r.isReloadNavigation,
             r.isHistoryNavigation, r.duplex, r.body],
            ["", "about:client", "", "cors", "same-origin", "default", "follow", "", false,
             false, false, "half", null]);
  assert(r.signal instanceof AbortSignal);
  equal(r.signal, r.signal, "the same signal each time");
  equal(r.signal.aborted, false);
});

await test("RequestInit members", () => {
  const r = new Request("https://e.x/", {
    mode: "same-origin", credentials: "include", cache: "only-if-cached", redirect: "manual",
    integrity: "sha256-abc", keepalive: true, referrer: "", referrerPolicy: "no-referrer",
    priority: "high", duplex: "half", window: null,
  });
  deepEqual([r.mode, r.credentials, r.cache, r.redirect, r.integrity, r.keepalive, r.referrer,
             r.referrerPolicy],
            ["same-origin", "include", "only-if-cached", "manual", "sha256-abc", true, "",
             "no-referrer"]);
  equal(new Request("https://e.x/", { referrer: "https://r.x/p?q" }).referrer, "https://r.x/p?q");
  equal(new Request("https://e.x/", { referrer: "about:client" }).referrer, "about:client");
  throws(() => new Request("https://e.x/", { referrer: "/relative" }), TypeError);
  throws(() => new Request("https://e.x/", { mode: "navigate" }), TypeError);
  throws(() => new Request("https://e.x/", { mode: "bogus" }), TypeError);
  throws(() => new Request("https://e.x/", { cache: "only-if-cached" }), TypeError,
         undefined, "only-if-cached needs same-origin");
  throws(() => new Request("https://e.x/", { window: {} }), TypeError);
  throws(() => new Request("https://e.x/", { priority: "urgent" }), TypeError);
  throws(() => new Request("https://e.x/", { duplex: "full" }), TypeError);
  throws(() => new Request("https://e.x/", { mode: "no-cors", method: "PUT" }), TypeError);
});

await test("init on a Request input resets the navigation state and the referrer", () => {
  const a = new Request("https://e.x/", { referrer: "https://r.x/", referrerPolicy: "origin",
                                          mode: "same-origin" });
  const same = new Request(a);
  equal(same.referrer, "https://r.x/");
  equal(same.referrerPolicy, "origin");
  const b = new Request(a, { method: "POST" });
  equal(b.referrer, "about:client");
  equal(b.referrerPolicy, "");
  equal(b.mode, "same-origin");
});

await test("URL parsing: normalised, no base, no credentials", () => {
  equal(new Request("HTTPS://E.X:443/a/../b?c#d").url, "https://e.x/b?c#d");
  throws(() => new Request("x"), TypeError, /Invalid URL 'x'/);
  throws(() => new Request(""), TypeError);
  throws(() => new Request("https://user:pass@e.x/"), TypeError, /credentials/);
  throws(() => new Request("https://user@e.x/"), TypeError, /credentials/);
  equal(new Request("https://e.x/%40@").url, "https://e.x/%40@", "an @ in the path is fine");
});

await test("the signal follows the init's signal", () => {
  const controller = new AbortController();
  const r = new Request("https://e.x/", { signal: controller.signal });
  assert(r.signal !== controller.signal, "a new signal");
  equal(r.signal.aborted, false);
  let fired = 0;
  r.signal.addEventListener("abort", () => ++fired);
  controller.abort("why");
  equal(r.signal.aborted, true);
  equal(r.signal.reason, "why");
  equal(fired, 1);
  const pre = new Request("https://e.x/", { signal: AbortSignal.abort("early") });
  equal(pre.signal.reason, "early");
  const copy = new Request(r);
  equal(copy.signal.aborted, true, "a Request input's signal is followed too");
  const clone = pre.clone();
  equal(clone.signal.reason, "early", "a clone's signal follows the original's");
  equal(new Request("https://e.x/", { signal: null }).signal.aborted, false);
  throws(() => new Request("https://e.x/", { signal: {} }), TypeError, /AbortSignal/);
});

await test("Blob, FormData and URLSearchParams bodies", async () => {
  const blob = new Request("https://e.x/", { method: "POST",
                                            body: new Blob(["ab", "c"], { type: "Text/X" }) });
  equal(blob.headers.get("content-type"), "text/x");
  equal(await blob.text(), "abc");
  const untyped = new Request("https://e.x/", { method: "POST", body: new Blob(["x"]) });
  equal(untyped.headers.get("content-type"), null, "an untyped Blob adds no Content-Type");
  const params = new Request("https://e.x/", { method: "POST",
                                              body: new URLSearchParams("a=1&b=2 3") });
  equal(params.headers.get("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
  equal(await params.text(), "a=1&b=2+3");
  const fd = new FormData();
  fd.append("k", "v");
  fd.append("f", new File(["file"], "n.txt", { type: "text/plain" }));
  const form = new Request("https://e.x/", { method: "POST", body: fd });
  assert(/^multipart\/form-data; boundary=/.test(form.headers.get("content-type")));
  const back = await form.formData();
  equal(back.get("k"), "v");
  equal(back.get("f").name, "n.txt");
  equal(await back.get("f").text(), "file");
});

await test("blob(), bytes(), formData() consumers", async () => {
  const r = new Request("https://e.x/", { method: "POST", body: "x=1&y=2",
    headers: { "content-type": "application/x-www-form-urlencoded" } });
  const fd = await r.clone().formData();
  deepEqual([...fd], [["x", "1"], ["y", "2"]]);
  const b = await r.clone().blob();
  equal(b.type, "application/x-www-form-urlencoded");
  equal(await b.text(), "x=1&y=2");
  const bytes = await r.bytes();
  assert(bytes instanceof Uint8Array);
  deepEqual([...bytes], [...asciiBytes("x=1&y=2")]);
  await rejects(() => new Request("https://e.x/", { method: "POST", body: "x" }).formData(),
                TypeError);
  await rejects(() => r.blob(), TypeError, undefined, "used");
});

await test("consumers reject rather than throw on a wrong receiver", async () => {
  await rejects(() => Request.prototype.text.call({}), TypeError);
  await rejects(() => Request.prototype.json.call(new Response("1")), TypeError);
});

await test("new Request(used request, {body}) is allowed; the input is untouched", async () => {
  const a = new Request("https://e.x/", { method: "POST", body: "old" });
  await a.text();
  const b = new Request(a, { body: "new" });
  equal(await b.text(), "new");
});

await test("a failed construction does not disturb the input", () => {
  const a = new Request("https://e.x/", { method: "POST", body: "keep" });
  throws(() => new Request(a, { method: "GET" }), TypeError);
  throws(() => new Request(a, { method: "CONNECT" }), TypeError);
  equal(a.bodyUsed, false);
});

await test("clone keeps every attribute and the headers' guard", () => {
  const a = new Request("https://e.x/", { method: "PATCH", mode: "same-origin",
    credentials: "omit", cache: "no-store", redirect: "error", integrity: "i",
    keepalive: true, referrerPolicy: "origin", headers: { "x-h": "1" } });
  const b = a.clone();
  for (const k of ["method", "url", "mode", "credentials", "cache", "redirect", "integrity",
                   "keepalive", "referrer", "referrerPolicy"]) {
    equal(b[k], a[k], k);
  }
  equal(b.headers.get("x-h"), "1");
  assert(b.headers !== a.headers);
});

await test("no-cors requests keep only safelisted headers", () => {
  const r = new Request("https://e.x/", { mode: "no-cors",
    headers: { "accept": "text/html", "x-custom": "1", "content-type": "application/json" } });
  equal(r.headers.get("accept"), "text/html");
  equal(r.headers.get("x-custom"), null);
  equal(r.headers.get("content-type"), null);
  r.headers.append("x-other", "1");
  equal(r.headers.has("x-other"), false);
  r.headers.set("content-type", "text/plain");
  equal(r.headers.get("content-type"), "text/plain");
});

done();
