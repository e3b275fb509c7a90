// MessageChannel / MessagePort / MessageEvent within one realm (js/builtins/13_message.js):
// delivery as later tasks in order, transfer of ArrayBuffers and ports, DataCloneErrors,
// close(), start() and listeners, onmessage.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const next = (port) => new Promise((resolve) => port.addEventListener("message", resolve, { once: true }));

await test("messages arrive in order, each in a later task, with MessageEvent fields", async () => {
  const { port1, port2 } = new MessageChannel();
  const got = [];
  let sync = true;
  port2.onmessage = (e) => {
    assert(!sync, "delivered synchronously");
    assert(e instanceof MessageEvent);
    equal(e.isTrusted, true);
    equal(e.origin, "");
    equal(e.lastEventId, "");
    equal(e.source, null);
    assert(Object.isFrozen(e.ports));
    equal(e.ports.length, 0);
    got.push(e.data);
  };
  for (let i = 0; i < 5; ++i) port1.postMessage(i);
  port1.postMessage({ a: [1, 2], s: "x" });
  let microtaskRan = false;
  queueMicrotask(() => { microtaskRan = true; });
  sync = false;
  await sleep(20);
  assert(microtaskRan);
  deepEqual(got, [0, 1, 2, 3, 4, { a: [1, 2], s: "x" }]);
});

await test("the data is a structured clone, taken at postMessage time", async () => {
  const { port1, port2 } = new MessageChannel();
  const o = { n: 1, d: new Date(5), m: new Map([[1, 2]]) };
  o.self = o;
  port1.postMessage(o);
  o.n = 2;
  const e = await new Promise((resolve) => { port2.onmessage = resolve; });
  assert(e.data !== o);
  equal(e.data.n, 1);
  equal(e.data.self, e.data);
  equal(e.data.d.getTime(), 5);
  equal(e.data.m.get(1), 2);
  throws(() => port1.postMessage(() => {}), DOMException, /could not be cloned/);
  throws(() => port1.postMessage(Symbol()), DOMException);
});

await test("both directions work", async () => {
  const { port1, port2 } = new MessageChannel();
  port1.start();
  port2.start();
  const a = next(port1), b = next(port2);
  port1.postMessage("to 2");
  port2.postMessage("to 1");
  equal((await b).data, "to 2");
  equal((await a).data, "to 1");
});

await test("addEventListener needs start(); messages wait in the queue until then", async () => {
  const { port1, port2 } = new MessageChannel();
  const got = [];
  port2.addEventListener("message", (e) => got.push(e.data));
  port1.postMessage(1);
  port1.postMessage(2);
  await sleep(10);
  deepEqual(got, []);
  port2.start();
  port2.start();
  await sleep(10);
  deepEqual(got, [1, 2]);
});

await test("transfer detaches ArrayBuffers and moves their bytes (list or { transfer })", async () => {
  const { port1, port2 } = new MessageChannel();
  port2.start();
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const p = next(port2);
  port1.postMessage({ buf }, [buf]);
  equal(buf.byteLength, 0);
  const e = await p;
  deepEqual([...new Uint8Array(e.data.buf)], [1, 2, 3]);
  const buf2 = new ArrayBuffer(4);
  const p2 = next(port2);
  port1.postMessage(buf2, { transfer: [buf2] });
  equal(buf2.byteLength, 0);
  equal((await p2).data.byteLength, 4);
  const buf3 = new ArrayBuffer(2);
  throws(() => port1.postMessage(1, [buf3, buf3]), DOMException, /duplicate/);
  equal(buf3.byteLength, 2);
});

await test("DataCloneError: source port, duplicate, detached or untransferred ports", () => {
  const { port1, port2 } = new MessageChannel();
  const other = new MessageChannel();
  let e = throws(() => port1.postMessage(1, [port1]), DOMException);
  equal(e.name, "DataCloneError");
  e = throws(() => port1.postMessage(1, [other.port1, other.port1]), DOMException);
  equal(e.name, "DataCloneError");
  e = throws(() => port1.postMessage(other.port1), DOMException, /not in the transfer list/);
  equal(e.name, "DataCloneError");
  e = throws(() => structuredClone(other.port2), DOMException);
  equal(e.name, "DataCloneError");
  const closed = new MessageChannel().port1;
  closed.close();
  e = throws(() => port1.postMessage(1, [closed]), DOMException, /detached/);
  equal(e.name, "DataCloneError");
  // A failed clone moves nothing.
  const buf = new ArrayBuffer(8);
  throws(() => port1.postMessage({ f() {} }, [buf, other.port1]), DOMException);
  equal(buf.byteLength, 8);
  port1.postMessage(1, [other.port1]);  // still transferable
  e = throws(() => port1.postMessage(1, [other.port1]), DOMException, /detached/);
  throws(() => port1.postMessage(1, [{}]), DOMException, /not transferable/);
  throws(() => port1.postMessage(), TypeError);
  throws(() => port1.postMessage(1, 5), TypeError);
  port2.close();
});

await test("transferred ports arrive in event.ports and keep their channel", async () => {
  const { port1, port2 } = new MessageChannel();
  const inner = new MessageChannel();
  port2.start();
  const p = next(port2);
  port1.postMessage({ port: inner.port1 }, [inner.port1]);
  const e = await p;
  equal(e.ports.length, 1);
  const moved = e.ports[0];
  assert(moved instanceof MessagePort);
  assert(moved !== inner.port1);
  equal(e.data.port, moved);
  // The old object is detached: it cannot be transferred again, and sends nowhere.
  throws(() => port1.postMessage(1, [inner.port1]), DOMException, /detached/);
  const got = [];
  moved.onmessage = (ev) => got.push(ev.data);
  inner.port1.postMessage("lost");
  inner.port2.postMessage("through");
  const back = next(inner.port2);
  inner.port2.start();
  moved.postMessage("back");
  await sleep(10);
  deepEqual(got, ["through"]);
  equal((await back).data, "back");
});

await test("messages queued on a port move with it when it is transferred", async () => {
  const { port1, port2 } = new MessageChannel();
  const c = new MessageChannel();
  c.port1.postMessage("queued 1");
  c.port1.postMessage("queued 2");
  port2.start();
  const p = next(port2);
  port1.postMessage(null, [c.port2]);
  const [moved] = (await p).ports;
  const got = [];
  moved.onmessage = (e) => got.push(e.data);
  await sleep(10);
  deepEqual(got, ["queued 1", "queued 2"]);
});

await test("structuredClone transfers MessagePorts", async () => {
  const { port1, port2 } = new MessageChannel();
  const clone = structuredClone({ p: port1 }, { transfer: [port1] });
  assert(clone.p instanceof MessagePort && clone.p !== port1);
  const p = new Promise((resolve) => { clone.p.onmessage = resolve; });
  port2.postMessage("hi");
  equal((await p).data, "hi");
  throws(() => structuredClone(port1, { transfer: [port1] }), DOMException, /detached/);
});

await test("transferring the target port dooms the message", async () => {
  const { port1, port2 } = new MessageChannel();
  let got = 0;
  port2.onmessage = () => got++;
  port1.postMessage("doomed", [port2]);
  await sleep(10);
  equal(got, 0);
});

await test("close() disentangles both ends; later messages are dropped", async () => {
  const { port1, port2 } = new MessageChannel();
  const got = [];
  port2.onmessage = (e) => got.push(e.data);
  port1.onmessage = (e) => got.push(e.data);
  port1.postMessage("before");
  port1.close();
  port1.postMessage("after");
  port2.postMessage("to closed");
  port1.close();
  await sleep(10);
  deepEqual(got, ["before"]);
});

await test("interfaces: no constructor for MessagePort, brand checks, onmessageerror", () => {
  throws(() => new MessagePort(), TypeError, /Illegal constructor/);
  throws(() => MessageChannel(), TypeError);
  const { port1 } = new MessageChannel();
  assert(port1 instanceof EventTarget);
  equal(Object.prototype.toString.call(port1), "[object MessagePort]");
  equal(Object.prototype.toString.call(new MessageChannel()), "[object MessageChannel]");
  throws(() => MessagePort.prototype.postMessage.call({}, 1), TypeError, /Illegal invocation/);
  throws(() => MessagePort.prototype.start.call(new EventTarget()), TypeError);
  throws(() => Object.getOwnPropertyDescriptor(MessageChannel.prototype, "port1").get.call({}), TypeError);
  equal(port1.onmessageerror, null);
  const f = () => {};
  port1.onmessageerror = f;
  equal(port1.onmessageerror, f);
  port1.onmessage = f;
  equal(port1.onmessage, f);
  port1.close();
});

await test("MessageEvent is constructible with MessageEventInit", () => {
  const { port1 } = new MessageChannel();
  const e = new MessageEvent("message", { data: { x: 1 }, origin: "o", lastEventId: "7", ports: [port1] });
  equal(e.type, "message");
  equal(e.data.x, 1);
  equal(e.origin, "o");
  equal(e.lastEventId, "7");
  equal(e.source, null);
  equal(e.ports[0], port1);
  assert(Object.isFrozen(e.ports));
  const d = new MessageEvent("x");
  equal(d.data, null);
  deepEqual([...d.ports], []);
  const s = new MessageEvent("x", { source: port1 });
  equal(s.source, port1);
  throws(() => new MessageEvent("x", { ports: [{}] }), TypeError, /MessagePort/);
  throws(() => new MessageEvent("x", { ports: null }), TypeError);
  throws(() => new MessageEvent("x", { source: {} }), TypeError, /MessageEventSource/);
  throws(() => new MessageEvent("x", { source: globalThis }), TypeError, /MessageEventSource/);
  d.initMessageEvent("y", false, false, 1, "", "", port1, [port1]);
  equal(d.ports[0], port1);
  equal(d.source, port1);
  port1.close();
});

await test("a ping-pong is not clamped like nested timers (messages are not timer tasks)", async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = (e) => port2.postMessage(e.data + 1);
  const start = Date.now();
  const last = await new Promise((resolve) => {
    port1.onmessage = (e) => (e.data >= 199 ? resolve(e.data) : port1.postMessage(e.data + 1));
    port1.postMessage(0);
  });
  const elapsed = Date.now() - start;
  equal(last, 199);
  assert(elapsed < 400, `200 round trips took ${elapsed} ms`);
  port1.close();
});

await test("a listener's exception is reported and delivery goes on", async () => {
  const { port1, port2 } = new MessageChannel();
  const errors = [];
  const onerror = (e) => { errors.push(e.error.message); e.preventDefault(); };
  globalThis.addEventListener("error", onerror);
  const got = [];
  port2.onmessage = (e) => { got.push(e.data); if (e.data === 1) throw new Error("boom"); };
  port1.postMessage(1);
  port1.postMessage(2);
  await sleep(10);
  globalThis.removeEventListener("error", onerror);
  deepEqual(got, [1, 2]);
  deepEqual(errors, ["boom"]);
});

await test("a started port with nothing queued does not hold the loop (ports left open here)", () => {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {};
  port2.start();
  globalThis.keepPorts = [port1, port2];
});

done();
