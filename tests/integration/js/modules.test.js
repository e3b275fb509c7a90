// ES modules: dynamic import(), top-level await inside an imported module, import.meta.url,
// errors of a failing or missing module.
import { test, assert, equal, deepEqual, rejects, done } from "./assert.js";

await test("import.meta.url is this file's URL", () => {
  assert(import.meta.url.startsWith("file:///"), import.meta.url);
  assert(import.meta.url.endsWith("/modules.test.js"), import.meta.url);
});

await test("import() waits for the module's top-level await; timers keep running meanwhile", async () => {
  let ticked = false;
  setTimeout(() => (ticked = true), 5);
  const m = await import("./fixtures/modules/slow_tla.js");
  deepEqual(m.events, ["start", "end"]);
  assert(ticked, "a timer due during the import did not run");
  assert(m.url.endsWith("/fixtures/modules/slow_tla.js"), m.url);
});

await test("importing the same module twice gives the same namespace", async () => {
  const a = await import("./fixtures/modules/slow_tla.js");
  const b = await import("./fixtures/modules/slow_tla.js");
  equal(a, b);
});

await test("a module that throws rejects import() with its error", async () => {
  await rejects(import("./fixtures/modules/throws.js"), RangeError, /module-throws-marker/);
  await rejects(import("./fixtures/modules/throws.js"), RangeError, /module-throws-marker/);
});

await test("a missing module rejects import()", async () => {
  await rejects(import("./fixtures/modules/no_such_module.js"), Error, /no_such_module/);
});

done();
