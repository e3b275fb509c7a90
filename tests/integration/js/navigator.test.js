// navigator and self.
import { test, assert, equal, throws, done } from "./assert.js";

await test("navigator", () => {
  assert(/^torus\/\d+\.\d+\.\d+$/.test(navigator.userAgent), navigator.userAgent);
  assert(Number.isInteger(navigator.hardwareConcurrency) && navigator.hardwareConcurrency >= 1);
  assert(navigator instanceof Navigator);
  equal(navigator, navigator);
  throws(() => new Navigator(), TypeError, /Illegal constructor/);
  const g = Object.getOwnPropertyDescriptor(Navigator.prototype, "userAgent").get;
  throws(() => g.call({}), TypeError, /Illegal invocation/);
  equal(Object.prototype.toString.call(navigator), "[object Navigator]");
  equal(Object.getOwnPropertyDescriptor(globalThis, "navigator").set, undefined);
});

await test("self", () => {
  equal(self, globalThis);
  equal(self.self, globalThis);
  const d = Object.getOwnPropertyDescriptor(globalThis, "self");
  equal(typeof d.get, "function");
  globalThis.self = 1;
  equal(self, 1);
  globalThis.self = globalThis;
  equal(self, globalThis);
});

done();
