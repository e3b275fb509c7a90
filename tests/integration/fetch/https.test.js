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

async function tlsFailure(url, pattern) {
  try {
    await fetch(url);
  } catch (e) {
    assert(e instanceof TypeError, String(e));
    equal(e.cause.stage, "tls");
    assert(pattern.test(e.cause.message), e.cause.message);
    return;
  }
  throw new Error("expected a rejection: " + url);
}

await test("certificates that fail verification: wrong host, expired, unknown CA", async () => {
  // *.localhost resolves to loopback (RFC 6761) but is not in the certificate.
  await tlsFailure(`https://other.localhost:${ports.https}/text`, /host name mismatch/);
  await tlsFailure(`https://localhost:${ports.expired}/text`, /expired/);
  await tlsFailure(`https://localhost:${ports.selfsigned}/text`, /unknown CA|self-signed/);
  // The failures leave nothing behind: a good request still works.
  equal(await (await fetch(`${secure}/text`)).text(), "hello");
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
