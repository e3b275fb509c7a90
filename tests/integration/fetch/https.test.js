// fetch() over https: the test CA is trusted through SSL_CERT_FILE (set by fetch_test.py).
import { test, assert, equal, done } from "../js/assert.js";

const ports = await (await fetch("/ports")).json();
const secure = `https://localhost:${ports.https}`;

await test("GET and POST over TLS, verified against the CA", async () => {
  equal(await (await fetch(`${secure}/text`)).text(), "hello");
  const e = await (await fetch(`${secure}/echo`, { method: "POST", body: "tls body" })).json();
  equal(e.body, "tls body");
  equal(e.headers.host, `localhost:${ports.https}`);
});

await test("an IP literal is verified against the certificate's IP SAN", async () => {
  equal(await (await fetch(`https://127.0.0.1:${ports.https}/text`)).text(), "hello");
});

await test("a large body over TLS", async () => {
  const b = await (await fetch(`${secure}/big?bytes=5000000`)).arrayBuffer();
  equal(b.byteLength, 5000000);
});

await test("pooled TLS connections are reused", async () => {
  const first = await (await fetch(`${secure}/conn`)).text();
  const second = await (await fetch(`${secure}/conn`)).text();
  equal(first, second);
});

await test("https to a plain http port fails with a TLS error", async () => {
  try {
    await fetch(`https://127.0.0.1:${ports.http}/text`);
    throw new Error("expected a rejection");
  } catch (e) {
    assert(e instanceof TypeError, String(e));
    equal(e.cause.stage, "tls");
  }
});

done();
