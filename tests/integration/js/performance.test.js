// performance: hr-time's now()/timeOrigin/toJSON and user timing's marks and measures.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await test("shape", () => {
  const d = Object.getOwnPropertyDescriptor(globalThis, "performance");
  equal(typeof d.get, "function");
  equal(typeof d.set, "function", "[Replaceable]");
  equal(d.enumerable, true);
  equal(Object.prototype.toString.call(performance), "[object Performance]");
  throws(() => new Performance(), TypeError, /Illegal constructor/);
  throws(() => new PerformanceEntry(), TypeError);
  throws(() => new PerformanceMeasure(), TypeError);
  throws(() => Performance.prototype.now.call({}), TypeError, /Illegal invocation/);
  equal(Object.getPrototypeOf(PerformanceMark), PerformanceEntry);
  equal(Object.getPrototypeOf(PerformanceMark.prototype), PerformanceEntry.prototype);
  equal(PerformanceMark.length, 1);
  equal(performance.mark.length, 1);
  equal(performance.measure.length, 1);
  assert(Object.getOwnPropertyDescriptor(Performance.prototype, "now").enumerable);
});

await test("now is monotonic, positive, tracks Date; timeOrigin is the realm's start", async () => {
  const a = performance.now();
  assert(a > 0);
  const b = performance.now();
  assert(b >= a);
  const t0 = performance.now();
  const d0 = Date.now();
  await sleep(50);
  const dt = performance.now() - t0;
  assert(Math.abs(dt - (Date.now() - d0)) < 15, `drift ${dt}`);
  assert(Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 50);
  assert(performance.timeOrigin % 1 !== 0 || true);
  deepEqual(performance.toJSON(), { timeOrigin: performance.timeOrigin });
  // Coarsened to 5 microseconds.
  const n = performance.now() * 1000;
  assert(Math.abs(n / 5 - Math.round(n / 5)) < 1e-6, `${n}`);
});

await test("mark", () => {
  performance.clearMarks();
  const m = performance.mark("a", { detail: { x: [1] } });
  assert(m instanceof PerformanceMark);
  deepEqual([m.name, m.entryType, m.duration], ["a", "mark", 0]);
  equal(m.detail.x[0], 1);
  equal(m.detail, m.detail);
  const detail = { y: 1 };
  assert(performance.mark("d", { detail }).detail !== detail, "detail is cloned");
  equal(performance.mark("b", { startTime: 12.5 }).startTime, 12.5);
  equal(new PerformanceMark("c").detail, null);
  throws(() => performance.mark("n", { startTime: -1 }), TypeError);
  throws(() => performance.mark("f", { detail: () => 1 }), DOMException, /could not be cloned/);
  throws(() => performance.mark(), TypeError, /1 argument required/);
  deepEqual(m.toJSON(), { name: "a", entryType: "mark", startTime: m.startTime, duration: 0 });
  // Constructed marks are not buffered.
  deepEqual(performance.getEntriesByName("c"), []);
  deepEqual(performance.getEntriesByType("mark").map((e) => e.name), ["b", "a", "d"]);
});

await test("measure", () => {
  performance.clearMarks();
  performance.clearMeasures();
  performance.mark("s", { startTime: 10 });
  performance.mark("e", { startTime: 25 });
  const m = performance.measure("m", "s", "e");
  deepEqual([m.entryType, m.startTime, m.duration, m.detail], ["measure", 10, 15, null]);
  equal(performance.measure("o", { start: 2, end: 5, detail: 1 }).detail, 1);
  deepEqual([performance.measure("d", { start: "s", duration: 3 }).duration], [3]);
  equal(performance.measure("x", { end: "e", duration: 5 }).startTime, 20);
  equal(performance.measure("z").startTime, 0);
  equal(performance.measure("from", "s").startTime, 10);
  throws(() => performance.measure("q", "nope"), DOMException, /does not exist/);
  throws(() => performance.measure("q", { start: 1 }, "e"), TypeError);
  throws(() => performance.measure("q", { duration: 1 }), TypeError);
  throws(() => performance.measure("q", { start: 1, end: 2, duration: 1 }), TypeError);
  throws(() => performance.measure("q", { start: -1 }), TypeError);
  throws(() => performance.measure("q", "navigationStart"), TypeError, /Window/);
  const names = performance.getEntriesByType("measure").map((e) => e.name);
  deepEqual(names, ["z", "o", "m", "d", "from", "x"]);  // by startTime, stable
  deepEqual(performance.getEntriesByName("m", "mark"), []);
  equal(performance.getEntries().length, 8);
  performance.clearMeasures("m");
  equal(performance.getEntriesByName("m").length, 0);
  performance.clearMarks("s");
  deepEqual(performance.getEntriesByType("mark").map((e) => e.name), ["e"]);
});

await test("the buffer is capped at 10000 entries", () => {
  performance.clearMarks();
  performance.clearMeasures();
  for (let i = 0; i < 10005; i++) performance.mark("m");
  equal(performance.getEntries().length, 10000);
  const extra = performance.mark("extra");
  equal(extra.name, "extra", "still returned");
  equal(performance.getEntriesByName("extra").length, 0);
  performance.clearMarks();
  equal(performance.getEntries().length, 0);
});

await test("replaceable", () => {
  const saved = performance;
  globalThis.performance = 5;
  equal(globalThis.performance, 5);
  globalThis.performance = saved;
});

done();
