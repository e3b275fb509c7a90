// AbortSignal at each stage, timeouts, and failures with their causes.
import { test, assert, equal, rejects, done } from "../js/assert.js";

const ports = await (await fetch("/ports")).json();
const raw = `http://127.0.0.1:${ports.raw}`;

async function rejectsWith(promise, check) {
  try {
    await promise;
  } catch (e) {
    check(e);
    return;
  }
  throw new Error("expected a rejection");
}

await test("an already-aborted signal rejects at once with its reason", async () => {
  const reason = new Error("mine");
  await rejectsWith(fetch("/text", { signal: AbortSignal.abort(reason) }), (e) => equal(e, reason));
  await rejectsWith(fetch("/text", { signal: AbortSignal.abort() }),
    (e) => equal(e.name, "AbortError"));
});

await test("abort while waiting for the head", async () => {
  const c = new AbortController();
  const p = fetch(`${raw}/silent`, { signal: c.signal });
  setTimeout(() => c.abort(), 50);
  await rejectsWith(p, (e) => equal(e.name, "AbortError"));
});

await test("AbortSignal.timeout() while connecting or waiting", async () => {
  await rejectsWith(fetch("/slow-head?ms=2000", { signal: AbortSignal.timeout(50) }),
    (e) => equal(e.name, "TimeoutError"));
});

await test("abort while reading the body errors the stream with the reason", async () => {
  const c = new AbortController();
  const r = await fetch("/drip?n=50&ms=20", { signal: c.signal });
  const reader = r.body.getReader();
  await reader.read();
  c.abort();
  await rejectsWith(reader.read(), (e) => equal(e.name, "AbortError"));
});

await test("abort after the body was read changes nothing", async () => {
  const c = new AbortController();
  const r = await fetch("/text", { signal: c.signal });
  equal(await r.text(), "hello");
  c.abort();
});

await test("connection refused: a TypeError whose cause says so", async () => {
  const { createServer } = globalThis;  // (none) — a port nobody listens on instead:
  await rejectsWith(fetch("http://127.0.0.1:9/"), (e) => {
    assert(e instanceof TypeError, String(e));
    assert(e.cause instanceof Error, "has a cause");
    assert(/refused/i.test(e.cause.message), e.cause.message);
    equal(e.cause.stage, "connect");
  });
});

await test("a name that does not resolve", async () => {
  await rejectsWith(fetch("http://no-such-host.invalid/"), (e) => {
    assert(e instanceof TypeError);
    assert(/no-such-host\.invalid/.test(e.cause.message), e.cause.message);
    equal(e.cause.stage, "dns");
  });
});

await test("a response head over the limit, and bad framing", async () => {
  await rejectsWith(fetch(`${raw}/huge-head`), (e) => {
    assert(e instanceof TypeError);
    equal(e.cause.stage, "head");
  });
  await rejectsWith(fetch(`${raw}/bad-framing`), (e) => assert(e instanceof TypeError));
});

await test("a connection reset mid-body errors the body", async () => {
  const r = await fetch(`${raw}/reset-after-head`);
  equal(r.status, 200);
  await rejects(r.text(), TypeError);
});

done();
