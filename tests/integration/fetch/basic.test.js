// fetch() over http: methods, headers, bodies each way, framing, statuses, the Response.
import { test, assert, equal, deepEqual, rejects, done } from "../js/assert.js";

const ports = await (await fetch("/ports")).json();
const raw = `http://127.0.0.1:${ports.raw}`;

await test("GET a text body; the Response says what it is", async () => {
  const r = await fetch("/text");
  equal(r.status, 200);
  equal(r.ok, true);
  equal(r.statusText, "OK");
  equal(r.type, "basic");
  equal(r.redirected, false);
  equal(r.url, `http://127.0.0.1:${ports.http}/text`);
  equal(r.headers.get("content-type"), "text/plain");
  equal(await r.text(), "hello");
  equal(r.bodyUsed, true);
});

await test("fetch's Response headers are immutable", async () => {
  const r = await fetch("/text");
  let threw = false;
  try { r.headers.set("x", "y"); } catch (e) { threw = e instanceof TypeError; }
  assert(threw, "set() on a fetched response's headers throws a TypeError");
  await r.text();
});

await test("the request's method, headers and body reach the upstream", async () => {
  const r = await fetch("/echo?q=1", {
    method: "PUT", headers: { "X-Custom": "v1", "Content-Type": "text/x-test" }, body: "payload",
  });
  const e = await r.json();
  equal(e.method, "PUT");
  equal(e.url, "/echo?q=1");
  equal(e.headers["x-custom"], "v1");
  equal(e.headers["content-type"], "text/x-test");
  equal(e.headers["content-length"], "7");
  equal(e.headers.host, `127.0.0.1:${ports.http}`);
  equal(e.headers.accept, "*/*");
  assert(e.headers["user-agent"].startsWith("torus/"), e.headers["user-agent"]);
  equal(e.body, "payload");
});

await test("a Request object as input, with its body", async () => {
  const req = new Request("/echo", { method: "POST", body: new Uint8Array([104, 105]) });
  const e = await (await fetch(req)).json();
  equal(e.method, "POST");
  equal(e.body, "hi");
  equal(req.bodyUsed, true);
});

await test("POST without a body sends Content-Length: 0", async () => {
  const e = await (await fetch("/echo", { method: "POST" })).json();
  equal(e.headers["content-length"], "0");
});

await test("a ReadableStream request body is streamed (chunked)", async () => {
  const enc = new TextEncoder();
  let i = 0;
  const body = new ReadableStream({
    pull(c) {
      if (i++ < 5) c.enqueue(enc.encode(`part${i} `));
      else c.close();
    },
  });
  const e = await (await fetch("/echo", { method: "POST", body, duplex: "half" })).json();
  equal(e.body, "part1 part2 part3 part4 part5 ");
  equal(e.headers["transfer-encoding"], "chunked");
});

await test("URLSearchParams, Blob and FormData bodies with their content types", async () => {
  let e = await (await fetch("/echo", { method: "POST", body: new URLSearchParams("a=1&b=2") })).json();
  equal(e.body, "a=1&b=2");
  equal(e.headers["content-type"], "application/x-www-form-urlencoded;charset=UTF-8");
  e = await (await fetch("/echo", { method: "POST", body: new Blob(["blob!"], { type: "x/y" }) })).json();
  equal(e.body, "blob!");
  equal(e.headers["content-type"], "x/y");
  const fd = new FormData();
  fd.append("k", "v");
  e = await (await fetch("/echo", { method: "POST", body: fd })).json();
  assert(e.headers["content-type"].startsWith("multipart/form-data; boundary="));
  assert(e.body.includes('name="k"'));
});

await test("chunked, Content-Length and close-delimited responses", async () => {
  equal(await (await fetch("/chunked")).text(), "one two three");
  equal(await (await fetch(`${raw}/close-delimited`)).text(), "until the end");
  const big = await (await fetch("/big?bytes=3000000")).arrayBuffer();
  equal(big.byteLength, 3000000);
  equal(new Uint8Array(big)[26], "a".charCodeAt(0));
});

await test("statuses: 404, 500, 204 and 304 have no body, HEAD has none", async () => {
  let r = await fetch("/status/404");
  equal(r.status, 404);
  equal(r.ok, false);
  equal(r.statusText, "Not Found");
  r = await fetch("/status/204");
  equal(r.status, 204);
  equal(r.body, null);
  r = await fetch("/status/304");
  equal(r.body, null);
  r = await fetch("/text", { method: "HEAD" });
  equal(r.status, 200);
  equal(r.body, null);
  equal(await r.text(), "");
});

await test("a 103 interim response is skipped", async () => {
  const r = await fetch(`${raw}/interim`);
  equal(r.status, 200);
  equal(await r.text(), "after interim");
});

await test("gzip, deflate and br bodies are decoded", async () => {
  const want = "compressed hello ".repeat(100);
  for (const coding of ["gzip", "deflate", "br"]) {
    const r = await fetch(`/${coding}`);
    equal(await r.text(), want, coding);
    equal(r.headers.get("content-encoding"), null, `${coding}: the decoded body has no coding`);
  }
});

await test("the body streams: chunks arrive as the upstream sends them", async () => {
  const r = await fetch("/drip?n=5&ms=20");
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let text = "";
  let reads = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    reads++;
    text += dec.decode(value, { stream: true });
  }
  equal(text, "drip1;drip2;drip3;drip4;drip5;");
  assert(reads >= 3, `read in pieces as they came (${reads} reads)`);
});

await test("clone() tees a fetched body", async () => {
  const r = await fetch("/text");
  const c = r.clone();
  deepEqual(await Promise.all([r.text(), c.text()]), ["hello", "hello"]);
  equal(c.url, r.url);
});

await test("data: URLs", async () => {
  let r = await fetch("data:text/plain;charset=utf-8,hello%20world");
  equal(r.status, 200);
  equal(r.headers.get("content-type"), "text/plain;charset=utf-8");
  equal(await r.text(), "hello world");
  r = await fetch("data:;base64,aGk=");
  equal(r.headers.get("content-type"), "text/plain;charset=US-ASCII");
  equal(await r.text(), "hi");
  await rejects(fetch("data:;base64,a"), TypeError);
});

await test("blob: URLs from URL.createObjectURL, until revoked", async () => {
  const url = URL.createObjectURL(new Blob(["blob body"], { type: "text/x-blob" }));
  assert(url.startsWith("blob:null/"), url);
  let r = await fetch(url);
  equal(r.status, 200);
  equal(r.headers.get("content-type"), "text/x-blob");
  equal(r.headers.get("content-length"), "9");
  equal(await r.text(), "blob body");
  await rejects(fetch(url, { method: "POST", body: "x" }), TypeError);
  URL.revokeObjectURL(url);
  await rejects(fetch(url), TypeError);
  let threw = false;
  try { URL.createObjectURL("not a blob"); } catch (e) { threw = e instanceof TypeError; }
  assert(threw, "createObjectURL needs a Blob");
});

await test("bad input rejects with a TypeError", async () => {
  await rejects(fetch("http://[bad"), TypeError);
  await rejects(fetch("ftp://127.0.0.1/"), TypeError);
  await rejects(fetch("/text", { method: "GET", body: "x" }), TypeError);
  await rejects(fetch("/text", { headers: { "bad name": "x" } }), TypeError);
  await rejects(fetch(), TypeError);
  equal(fetch.length, 1);
});

done();
