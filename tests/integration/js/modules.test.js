// ES modules: dynamic import(), top-level await inside an imported module, import.meta.url,
// errors of a failing or missing module; JSON modules, data: URLs, node_modules packages.
import { test, assert, equal, deepEqual, rejects, done } from "./assert.js";
import data from "./fixtures/modules/data.json" with { type: "json" };
// The module under test does not depend on btoa.
const btoaAscii = (s) => {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; i < s.length; i += 3) {
    const n = (s.charCodeAt(i) << 16) | ((s.charCodeAt(i + 1) || 0) << 8) | (s.charCodeAt(i + 2) || 0);
    out += abc[(n >> 18) & 63] + abc[(n >> 12) & 63] +
      (i + 1 < s.length ? abc[(n >> 6) & 63] : "=") + (i + 2 < s.length ? abc[n & 63] : "=");
  }
  return out;
};
import sameData from "./fixtures/modules/data.json" assert { type: "json" };

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

await test("JSON modules: `with` and `assert` give one shared value", () => {
  deepEqual(data, { answer: 42, list: [1, "two"] });
  equal(data, sameData);
});

await test("dynamic import of JSON takes { with } and { assert }", async () => {
  const a = await import("./fixtures/modules/data.json", { with: { type: "json" } });
  const b = await import("./fixtures/modules/data.json", { assert: { type: "json" } });
  equal(a.default, data);
  equal(b, a);
  deepEqual(Object.keys(a), ["default"]);
});

await test("a JSON module without its type attribute is refused, naming it", async () => {
  await rejects(import("./fixtures/modules/data.json"), Error, /data\.json' is a JSON module: import it with \{ type: "json" \}/);
});

await test("unknown import attributes and types are TypeErrors", async () => {
  await rejects(import("./fixtures/modules/data.json", { with: { type: "css" } }), TypeError,
                /unsupported module type 'css'/);
  await rejects(import("./fixtures/modules/data.json", { with: { mode: "x" } }), TypeError,
                /unsupported import attribute 'mode'/);
});

await test("invalid JSON rejects with the file named", async () => {
  await rejects(import("./fixtures/modules/bad.json", { with: { type: "json" } }), Error,
                /bad\.json: invalid JSON module/);
});

await test("data: URL modules, plain and base64, and JSON ones", async () => {
  const plain = await import("data:text/javascript,export default 6 * 7;");
  equal(plain.default, 42);
  const b64 = await import("data:text/javascript;base64," + btoaAscii("export const x = 'b64';"));
  equal(b64.x, "b64");
  const pct = await import("data:text/javascript,export%20const%20y%20%3D%201%3B");
  equal(pct.y, 1);
  const json = await import('data:application/json,{"k":[1]}', { with: { type: "json" } });
  deepEqual(json.default, { k: [1] });
  const meta = await import("data:text/javascript,export const u = import.meta.url;");
  equal(meta.u, "data:text/javascript,export const u = import.meta.url;");
});

await test("a data: URL module cannot import relatively", async () => {
  await rejects(import("data:text/javascript,import './x.js';"), Error,
                /relative imports need a file/);
});

await test("node_modules: exports conditions, patterns, scoped and module-field packages", async () => {
  const app = await import("./fixtures/modules/pkgapp/app.js");
  equal(app.which, "worker", "the 'worker' condition wins over 'default', 'node' is not matched");
  equal(app.feature, "a");
  equal(app.scoped, "scoped");
  equal(app.kind, "esm via module field");
  equal(app.deepWhich, "worker");
  deepEqual(app.data, { from: "exp-pkg" });
});

await test("bare specifiers that cannot resolve name the specifier and the fix", async () => {
  await rejects(import("lodash"), TypeError,
                /Cannot resolve 'lodash' imported from .*: no node_modules\/lodash in its folder or any parent; install it with npm, or bundle the app/);
  await rejects(import("node:fs"), TypeError, /Node\.js built-in modules are not available/);
  await rejects(import("https://example.com/x.js"), TypeError, /'https:' imports are not supported/);
});

await test("packages: unexported subpaths, CommonJS and missing files are clear errors", async () => {
  await rejects(import("./fixtures/modules/pkgapp/sub/unexported.js"), Error,
                /package subpath '\.\/private\/x' is not exported/);
  await rejects(import("./fixtures/modules/pkgapp/sub/cjs.js"), Error,
                /is CommonJS .* bundle the app/);
});

done();
