// AbortController / AbortSignal beyond WPT's .any.js tests: timeout() on the ring's timers,
// any() over dependent signals, listener removal by signal. (That dependents are held
// weakly, and collected, is tests/js/events_test.cc: it needs a forced GC.)
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const aborted = (signal) => new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));

await test("AbortSignal.timeout fires a TimeoutError after its delay, on the runtime's timers", async () => {
  const start = Date.now();
  const signal = AbortSignal.timeout(30);
  equal(signal.aborted, false);
  const event = await aborted(signal);
  const elapsed = Date.now() - start;
  assert(elapsed >= 29, `fired after ${elapsed} ms`);
  equal(event.isTrusted, true);
  assert(signal.reason instanceof DOMException);
  equal(signal.reason.name, "TimeoutError");
  equal(signal.reason.code, DOMException.TIMEOUT_ERR);
  throws(() => signal.throwIfAborted(), DOMException, /timed out/);
});

await test("AbortSignal.timeout is not affected by a replaced global setTimeout", async () => {
  const original = globalThis.setTimeout;
  globalThis.setTimeout = () => { throw new Error("user's setTimeout"); };
  let signal;
  try {
    signal = AbortSignal.timeout(5);
  } finally {
    globalThis.setTimeout = original;
  }
  await aborted(signal);
  equal(signal.reason.name, "TimeoutError");
});

await test("AbortSignal.timeout converts its argument with [EnforceRange]", () => {
  throws(() => AbortSignal.timeout(-1), TypeError, /parameter 1/);
  throws(() => AbortSignal.timeout(NaN), TypeError);
  throws(() => AbortSignal.timeout(), TypeError);
  AbortSignal.timeout(0);
});

await test("AbortSignal.any follows timeouts and controllers; first abort wins", async () => {
  const c = new AbortController();
  const any = AbortSignal.any([c.signal, AbortSignal.timeout(10)]);
  await aborted(any);
  equal(any.reason.name, "TimeoutError");
  c.abort("late");
  equal(any.reason.name, "TimeoutError");
});

await test("AbortSignal.any links to source signals only, so events fire in creation order", () => {
  const c = new AbortController();
  const a = AbortSignal.any([c.signal]);
  const b = AbortSignal.any([a]);       // depends on c.signal, not on a
  const order = [];
  for (const [name, s] of [["b", b], ["a", a], ["c", c.signal]]) {
    s.addEventListener("abort", () => order.push(`${name}:${a.aborted},${b.aborted}`));
  }
  c.abort();
  deepEqual(order, ["c:true,true", "a:true,true", "b:true,true"]);
  equal(b.reason, c.signal.reason);
  throws(() => AbortSignal.any([c.signal, {}]), TypeError, /index 1/);
  throws(() => AbortSignal.any(c.signal), TypeError);
});

await test("a listener added with a signal is removed on abort; an aborted signal adds nothing", () => {
  const t = new EventTarget();
  const c = new AbortController();
  let n = 0;
  t.addEventListener("x", () => n++, { signal: c.signal });
  t.dispatchEvent(new Event("x"));
  c.abort();
  t.dispatchEvent(new Event("x"));
  t.addEventListener("x", () => n++, { signal: c.signal });
  t.dispatchEvent(new Event("x"));
  equal(n, 1);
  throws(() => t.addEventListener("x", () => {}, { signal: {} }), TypeError, /AbortSignal/);
});

await test("abort reasons, static abort(), throwIfAborted, and the interface shape", () => {
  throws(() => new AbortSignal(), TypeError, /Illegal constructor/);
  const s = AbortSignal.abort();
  equal(s.reason.name, "AbortError");
  equal(s.reason, s.reason);
  const c = new AbortController();
  c.signal.throwIfAborted();
  c.abort(0);
  equal(c.signal.reason, 0);
  throws(() => c.signal.throwIfAborted(), undefined);
  assert(c.signal instanceof EventTarget);
  equal(Object.prototype.toString.call(c.signal), "[object AbortSignal]");
  equal(Object.prototype.toString.call(c), "[object AbortController]");
  throws(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted").get.call({}), TypeError);
});

await test("a throwing abort listener is reported and the others still run", () => {
  let reported;
  const onError = (e) => { reported = e.error; e.preventDefault(); };
  addEventListener("error", onError);
  const c = new AbortController();
  let after = false;
  c.signal.addEventListener("abort", () => { throw new Error("abort listener"); });
  c.signal.addEventListener("abort", () => { after = true; });
  c.abort();
  removeEventListener("error", onError);
  equal(reported.message, "abort listener");
  equal(after, true);
});

done();
