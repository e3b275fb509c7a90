// DOM events beyond what WPT's .any.js tests cover: the global as an EventTarget, reported
// exceptions ('error', reportError, onerror), 'unhandledrejection', handler attributes.
// Every error here is canceled by a listener: one that reached the log would fail the run.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await test("the global is an EventTarget, with this = globalThis or undefined", () => {
  const seen = [];
  const f = function (e) { seen.push([this === globalThis, e.target === globalThis, e.eventPhase]); };
  addEventListener("ping", f);
  globalThis.dispatchEvent(new Event("ping"));
  const { dispatchEvent: bare } = globalThis;
  equal(bare(new Event("ping")), true);
  removeEventListener("ping", f);
  dispatchEvent(new Event("ping"));
  deepEqual(seen, [[true, true, 2], [true, true, 2]]);
  equal(globalThis.addEventListener, EventTarget.prototype.addEventListener);
  throws(() => EventTarget.prototype.addEventListener.call({}, "x", null), TypeError, /Illegal invocation/);
});

await test("at the target, capture listeners run first; phases and composedPath", () => {
  const t = new EventTarget();
  const order = [];
  t.addEventListener("x", (e) => order.push(`bubble ${e.eventPhase} ${e.composedPath().length}`));
  t.addEventListener("x", (e) => order.push(`capture ${e.eventPhase}`), { capture: true });
  const e = new Event("x");
  t.dispatchEvent(e);
  deepEqual(order, ["capture 2", "bubble 2 1"]);
  equal(e.eventPhase, Event.NONE);
  equal(e.currentTarget, null);
  equal(e.target, t);
  deepEqual(e.composedPath(), []);
});

await test("listeners added during dispatch are not called; removed ones are not", () => {
  const t = new EventTarget();
  const calls = [];
  const b = () => calls.push("b");
  const late = () => calls.push("late");
  t.addEventListener("x", () => { calls.push("a"); t.removeEventListener("x", b); t.addEventListener("x", late); });
  t.addEventListener("x", b);
  t.dispatchEvent(new Event("x"));
  deepEqual(calls, ["a"]);
  t.dispatchEvent(new Event("x"));
  deepEqual(calls, ["a", "a", "late"]);
});

await test("handleEvent is looked up at call time; a throwing listener does not stop dispatch", () => {
  const errors = [];
  const onError = (e) => { errors.push(e.error); e.preventDefault(); };
  addEventListener("error", onError);
  const t = new EventTarget();
  const listener = { handleEvent() { return 1; } };
  const calls = [];
  t.addEventListener("x", listener);
  t.addEventListener("x", () => { throw new RangeError("listener threw"); });
  t.addEventListener("x", () => calls.push("after"));
  listener.handleEvent = function (e) { calls.push(this === listener && e.type); };
  t.dispatchEvent(new Event("x"));
  listener.handleEvent = 42;
  t.dispatchEvent(new Event("x"));
  removeEventListener("error", onError);
  deepEqual(calls, ["x", "after", "after"]);
  equal(errors.length, 3);
  assert(errors[0] instanceof RangeError);
  assert(errors[1] instanceof TypeError, "a non-callable handleEvent is a reported TypeError");
});

await test("dispatching an event being dispatched is an InvalidStateError", () => {
  const t = new EventTarget();
  let inner;
  t.addEventListener("x", (e) => {
    try { t.dispatchEvent(e); } catch (err) { inner = err; }
  });
  t.dispatchEvent(new Event("x"));
  assert(inner instanceof DOMException);
  equal(inner.name, "InvalidStateError");
  throws(() => t.dispatchEvent({ type: "x" }), TypeError, /parameter 1 is not of type 'Event'/);
  throws(() => t.dispatchEvent(Object.create(Event.prototype)), TypeError);
});

await test("passive listeners cannot cancel; returnValue and cancelBubble are the legacy flags", () => {
  const t = new EventTarget();
  t.addEventListener("x", (e) => { e.preventDefault(); equal(e.defaultPrevented, false); }, { passive: true });
  equal(t.dispatchEvent(new Event("x", { cancelable: true })), true);
  t.addEventListener("y", (e) => { e.returnValue = false; });
  const y = new Event("y", { cancelable: true });
  equal(t.dispatchEvent(y), false);
  equal(y.returnValue, false);
  const z = new Event("z");
  z.cancelBubble = true;
  equal(z.cancelBubble, true);
  let called = false;
  t.addEventListener("z", () => { called = true; });
  t.dispatchEvent(z);
  equal(called, false, "a stopped event reaches no listener");
  t.dispatchEvent(z);
  equal(called, true, "the flag is cleared after dispatch");
});

await test("timeStamp is high-resolution and monotonic; isTrusted is an own unforgeable getter", () => {
  const a = new Event("a");
  const b = new Event("b");
  assert(a.timeStamp > 0 && b.timeStamp >= a.timeStamp, `${a.timeStamp} ${b.timeStamp}`);
  assert(a.timeStamp < 60_000, "relative to the time origin, in ms");
  const d = Object.getOwnPropertyDescriptor(a, "isTrusted");
  equal(d.configurable, false);
  equal(d.get, Object.getOwnPropertyDescriptor(b, "isTrusted").get);
  equal(a.isTrusted, false);
  const c = new AbortController();
  let trusted;
  c.signal.onabort = (e) => { trusted = e.isTrusted; };
  c.abort();
  equal(trusted, true);
});

await test("Event subclasses: CustomEvent, ErrorEvent, PromiseRejectionEvent, MessageEvent", () => {
  const ce = new CustomEvent("c", { detail: { n: 1 }, bubbles: true });
  equal(ce.detail.n, 1);
  equal(ce.bubbles, true);
  ce.initCustomEvent("d", false, true, 7);
  deepEqual([ce.type, ce.bubbles, ce.cancelable, ce.detail], ["d", false, true, 7]);
  assert(ce instanceof Event);

  const ee = new ErrorEvent("error", { message: "m", filename: "f.js", lineno: 3, colno: 4, error: 5 });
  deepEqual([ee.message, ee.filename, ee.lineno, ee.colno, ee.error], ["m", "f.js", 3, 4, 5]);
  const ee2 = new ErrorEvent("error");
  deepEqual([ee2.message, ee2.filename, ee2.lineno, ee2.colno, ee2.error], ["", "", 0, 0, undefined]);

  const p = Promise.resolve();
  const pre = new PromiseRejectionEvent("unhandledrejection", { promise: p, reason: "r" });
  equal(pre.promise, p);
  equal(pre.reason, "r");
  throws(() => new PromiseRejectionEvent("x", {}), TypeError, /promise/);
  throws(() => new PromiseRejectionEvent("x"), TypeError);

  const me = new MessageEvent("message", { data: [1], origin: "https://a.example", lastEventId: "9" });
  deepEqual([me.data, me.origin, me.lastEventId, me.source], [[1], "https://a.example", "9", null]);
  deepEqual(me.ports, []);
  assert(Object.isFrozen(me.ports));
  me.initMessageEvent("m2", true, false, "d", "o", "id");
  deepEqual([me.type, me.bubbles, me.data, me.origin, me.lastEventId], ["m2", true, "d", "o", "id"]);
  throws(() => new MessageEvent("m", { source: 1 }), TypeError, /MessageEventSource/);
  throws(() => Event("x"), TypeError);
  throws(() => new Event(), TypeError, /1 argument required/);
  equal(Object.prototype.toString.call(me), "[object MessageEvent]");
});

await test("reportError dispatches a cancelable ErrorEvent at the global", () => {
  const events = [];
  const listener = (e) => { events.push(e); e.preventDefault(); };
  addEventListener("error", listener);
  const err = new TypeError("reported");
  reportError(err);
  removeEventListener("error", listener);
  equal(events.length, 1);
  const [e] = events;
  assert(e instanceof ErrorEvent);
  deepEqual([e.type, e.cancelable, e.isTrusted, e.error, e.message], ["error", true, true, err, "Uncaught TypeError: reported"]);
  assert(e.filename.endsWith("events.test.js"), e.filename);
  assert(e.lineno > 0 && e.colno > 0);
  throws(() => reportError(), TypeError);
});

await test("onerror gets (message, filename, lineno, colno, error); returning true cancels", () => {
  let args;
  onerror = (...a) => { args = a; return true; };
  reportError("a string");
  equal(args[0].includes("a string"), true, args[0]);
  equal(args[4], "a string");
  onerror = null;
  equal(onerror, null);
  onerror = 5;  // [LegacyTreatNonObjectAsNull]
  equal(onerror, null);
});

await test("event handler attributes keep their place among listeners until set to null", () => {
  const c = new AbortController();
  const order = [];
  c.signal.addEventListener("abort", () => order.push("first"));
  c.signal.onabort = () => order.push("wrong");
  c.signal.addEventListener("abort", () => order.push("third"));
  c.signal.onabort = () => order.push("handler");  // same place
  const { get, set } = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "onabort");
  assert(get && set);
  c.abort();
  deepEqual(order, ["first", "handler", "third"]);
});

await test("an exception in a timer callback dispatches 'error' at the global", async () => {
  let seen;
  const listener = (e) => { seen = e; e.preventDefault(); };
  addEventListener("error", listener);
  setTimeout(() => { throw new RangeError("from a timer"); }, 0);
  await sleep(20);
  removeEventListener("error", listener);
  assert(seen instanceof ErrorEvent);
  equal(seen.error.message, "from a timer");
  assert(seen.filename.endsWith("events.test.js"));
});

await test("an unhandled rejection dispatches a cancelable 'unhandledrejection'", async () => {
  const seen = [];
  onunhandledrejection = (e) => { seen.push(e); e.preventDefault(); };
  const p = Promise.reject(new Error("nobody catches this"));
  (async () => { throw 42; })();
  Promise.resolve(1).then(() => Promise.reject("later"));
  const caught = Promise.reject(1);
  caught.catch(() => {});
  await sleep(20);
  onunhandledrejection = null;
  equal(seen.length, 3);
  assert(seen[0] instanceof PromiseRejectionEvent);
  deepEqual([seen[0].type, seen[0].cancelable, seen[0].isTrusted, seen[0].promise], ["unhandledrejection", true, true, p]);
  equal(seen[0].reason.message, "nobody catches this");
  deepEqual(seen.slice(1).map((e) => e.reason), [42, "later"]);
});

await test("a listener's microtasks run before the drain ends", async () => {
  let ran = false;
  const listener = (e) => { e.preventDefault(); queueMicrotask(() => { ran = true; }); };
  addEventListener("unhandledrejection", listener);
  Promise.reject(0);
  await sleep(10);
  removeEventListener("unhandledrejection", listener);
  equal(ran, true);
});

await test("a reported rejection handled later dispatches 'rejectionhandled', once", async () => {
  equal(onrejectionhandled, null);
  const unhandled = [];
  const handled = [];
  onunhandledrejection = (e) => { unhandled.push(e.promise); e.preventDefault(); };
  onrejectionhandled = (e) => { handled.push(e); };
  const late = Promise.reject(new Error("late"));
  const inListener = Promise.reject(2);
  const listener = (e) => { if (e.promise === inListener) e.promise.catch(() => {}); };
  addEventListener("unhandledrejection", listener);
  Promise.reject(3).catch(() => {});  // handled in the same turn: neither event
  await sleep(10);
  removeEventListener("unhandledrejection", listener);
  deepEqual(unhandled, [late, inListener]);
  equal(handled.length, 0);
  late.catch(() => {});
  late.then(null, () => {});  // a second handler: no second event
  inListener.catch(() => {});  // handled while it was reported: never outstanding
  await sleep(10);
  onunhandledrejection = null;
  onrejectionhandled = null;
  equal(handled.length, 1);
  const [e] = handled;
  assert(e instanceof PromiseRejectionEvent);
  deepEqual([e.type, e.cancelable, e.isTrusted, e.promise, e.reason.message],
            ["rejectionhandled", false, true, late, "late"]);
});

done();
