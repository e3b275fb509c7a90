// setTimeout / setInterval / clearTimeout / queueMicrotask ordering.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await test("microtasks run before timers; timers in delay then registration order", async () => {
  const order = [];
  setTimeout(() => order.push("t20"), 20);
  setTimeout(() => order.push("t0-a"), 0);
  setTimeout(() => order.push("t5"), 5);
  setTimeout(() => order.push("t0-b"));
  queueMicrotask(() => order.push("micro"));
  Promise.resolve().then(() => order.push("then"));
  order.push("sync");
  await sleep(60);
  deepEqual(order, ["sync", "micro", "then", "t0-a", "t0-b", "t5", "t20"]);
});

await test("microtasks queued by a timer run before the next timer", async () => {
  const order = [];
  setTimeout(() => {
    order.push("a");
    queueMicrotask(() => order.push("a-micro"));
  }, 0);
  setTimeout(() => order.push("b"), 0);
  await sleep(30);
  deepEqual(order, ["a", "a-micro", "b"]);
});

await test("a timer waits at least its delay", async () => {
  const start = Date.now();
  await sleep(50);
  const elapsed = Date.now() - start;
  assert(elapsed >= 49, `woke after ${elapsed} ms`);
});

await test("clearTimeout cancels", async () => {
  let fired = false;
  const id = setTimeout(() => { fired = true; }, 5);
  clearTimeout(id);
  clearTimeout(id);  // twice is harmless
  clearTimeout(123456);  // unknown ids too
  clearTimeout(undefined);
  await sleep(30);
  equal(fired, false);
});

await test("ids are distinct positive integers", () => {
  const a = setTimeout(() => {}, 1);
  const b = setTimeout(() => {}, 1);
  assert(a !== b, "distinct ids");
  assert(Number.isInteger(Number(a)) && Number(a) > 0, `id ${a}`);
  clearTimeout(a);
  clearTimeout(b);
});

await test("extra arguments are passed", async () => {
  let got;
  setTimeout((x, y) => { got = [x, y]; }, 0, "one", 2);
  await sleep(20);
  deepEqual(got, ["one", 2]);
});

await test("setInterval repeats until cleared", async () => {
  let n = 0;
  await new Promise((resolve) => {
    const id = setInterval(() => {
      if (++n === 4) {
        clearInterval(id);
        resolve();
      }
    }, 5);
  });
  await sleep(40);
  equal(n, 4);
});

await test("clearTimeout and clearInterval share ids", async () => {
  let n = 0;
  const id = setInterval(() => n++, 5);
  clearTimeout(id);
  await sleep(30);
  equal(n, 0);
});

await test("a timer cleared by an earlier timer does not fire", async () => {
  const order = [];
  let second;
  setTimeout(() => { order.push("first"); clearTimeout(second); }, 10);
  second = setTimeout(() => order.push("second"), 10);
  await sleep(50);
  deepEqual(order, ["first"]);
});

await test("nested timers", async () => {
  const order = [];
  setTimeout(() => {
    order.push("outer");
    setTimeout(() => order.push("inner"), 0);
  }, 0);
  setTimeout(() => order.push("sibling"), 0);
  await sleep(40);
  deepEqual(order, ["outer", "sibling", "inner"]);
});

await test("negative and non-numeric delays mean 0", async () => {
  const order = [];
  setTimeout(() => order.push("neg"), -100);
  setTimeout(() => order.push("nan"), "soon");
  setTimeout(() => order.push("ten"), 10);
  await sleep(40);
  deepEqual(order, ["neg", "nan", "ten"]);
});

await test("the delay is a WebIDL long: 2^32 wraps to 0", async () => {
  const order = [];
  setTimeout(() => order.push("wrapped"), 2 ** 32);
  setTimeout(() => order.push("ten"), 10);
  await sleep(40);
  deepEqual(order, ["wrapped", "ten"]);
});

await test("bad callbacks", () => {
  throws(() => queueMicrotask("not a function"), TypeError);
  throws(() => queueMicrotask(), TypeError);
});

await test("an exception in one microtask does not stop the others", async () => {
  // (The exception itself is reported; see the js_test expectations for its exit code.)
  const order = [];
  queueMicrotask(() => order.push(1));
  queueMicrotask(() => order.push(2));
  await null;
  deepEqual(order, [1, 2]);
});

await test("globals exist", () => {
  for (const name of ["setTimeout", "setInterval", "clearTimeout", "clearInterval", "queueMicrotask",
                      "console", "Request", "Response", "Headers", "DOMException"]) {
    assert(name in globalThis, `${name} is missing`);
  }
});

await test("the global's operations refuse another this; undefined stands for the global", () => {
  throws(() => Object.create(globalThis).setTimeout(() => {}, 1), TypeError);
  throws(() => clearTimeout.call({}, 1), TypeError);
  throws(() => queueMicrotask.call({}, () => {}), TypeError);
  clearTimeout(setTimeout.call(undefined, () => {}, 1));
});

await test("a queueMicrotask exception is reported as an ErrorEvent on the global", async () => {
  const error = new Error("boo");
  const seen = await new Promise((resolve) => {
    const listener = (e) => {
      e.preventDefault();
      removeEventListener("error", listener);
      resolve(e.error);
    };
    addEventListener("error", listener);
    queueMicrotask(() => { throw error; });
  });
  equal(seen, error);
});

await test("timeouts: negative is 0, 2^32 wraps to 0; nesting past 5 waits at least 4 ms", async () => {
  await new Promise((resolve) => setTimeout(resolve, -100));
  await new Promise((resolve) => setTimeout(resolve, 2 ** 32));
  const start = performance.now();
  await new Promise((resolve) => {
    const step = (level) => (level === 10 ? resolve() : setTimeout(() => step(level + 1), 0));
    step(0);
  });
  // The timers set from the tasks at levels 6 to 9 wait 4 ms each at least.
  assert(performance.now() - start >= 15, `10 nested timeouts took ${performance.now() - start} ms`);
});

done();
