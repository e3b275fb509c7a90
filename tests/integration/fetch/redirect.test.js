// Redirects (https://fetch.spec.whatwg.org/#http-redirect-fetch).
import { test, assert, equal, rejects, done } from "../js/assert.js";

const ports = await (await fetch("/ports")).json();
const base = `http://127.0.0.1:${ports.http}`;
const other = `http://localhost:${ports.http}`;  // the same server, another origin

await test("follow: every redirect status, Location relative to the request URL", async () => {
  for (const code of [301, 302, 303, 307, 308]) {
    const r = await fetch(`/redirect/${code}?to=/text`);
    equal(r.status, 200, `${code}`);
    equal(r.redirected, true);
    equal(r.url, `${base}/text`);
    equal(await r.text(), "hello");
  }
});

await test("301/302 turn POST into GET without a body; 303 turns any method but HEAD into GET", async () => {
  for (const code of [301, 302, 303]) {
    const e = await (await fetch(`/redirect/${code}?to=/echo`, {
      method: "POST", body: "data", headers: { "content-type": "text/plain" },
    })).json();
    equal(e.method, "GET", `${code}`);
    equal(e.body, "");
    equal(e.headers["content-type"], undefined, "request-body headers are dropped");
  }
  const e = await (await fetch("/redirect/303?to=/echo", { method: "PUT", body: "x" })).json();
  equal(e.method, "GET");
});

await test("307/308 keep the method and a replayable body", async () => {
  for (const code of [307, 308]) {
    const e = await (await fetch(`/redirect/${code}?to=/echo`, { method: "POST", body: "keep" })).json();
    equal(e.method, "POST");
    equal(e.body, "keep");
  }
});

await test("a stream body cannot follow a 307 (it cannot be sent again)", async () => {
  const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } });
  await rejects(fetch("/redirect/307?to=/echo", { method: "POST", body, duplex: "half" }), TypeError);
});

await test("Authorization is dropped across origins, kept within one", async () => {
  let e = await (await fetch(`/redirect/302?to=${encodeURIComponent(other + "/echo")}`, {
    headers: { authorization: "Bearer secret", "x-keep": "1" },
  })).json();
  equal(e.headers.authorization, undefined);
  equal(e.headers["x-keep"], "1");
  e = await (await fetch("/redirect/302?to=/echo", { headers: { authorization: "Bearer secret" } })).json();
  equal(e.headers.authorization, "Bearer secret");
});

await test("at most 20 redirects", async () => {
  const ok = await fetch("/chain/20");
  equal(ok.status, 200);
  await ok.text();
  await rejects(fetch("/chain/21"), TypeError);
});

await test("redirect: 'error' rejects; 'manual' returns the redirect itself", async () => {
  await rejects(fetch("/redirect/302?to=/text", { redirect: "error" }), TypeError);
  const r = await fetch("/redirect/302?to=/text", { redirect: "manual" });
  equal(r.status, 302);
  equal(r.headers.get("location"), "/text");
  equal(r.redirected, false);
  await r.text();
});

await test("a redirect to a non-HTTP URL is a network error", async () => {
  await rejects(fetch("/redirect/302?to=ftp://x/"), TypeError);
  await rejects(fetch("/redirect/302?to=data:,x"), TypeError);
});

await test("a 3xx without Location is returned as it is", async () => {
  const r = await fetch("/status/302");
  equal(r.status, 302);
});

done();
