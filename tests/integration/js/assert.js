// A tiny assertion library for JS behaviour tests run by `torus run FILE`.
//
//   import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";
//   await test("name", async () => { equal(1 + 1, 2); });
//   done();  // last line: prints "PASS <n> tests" or throws with every failure listed
//
// A test file passes when `torus run` exits 0 and its last stdout line starts with "PASS".
// Failures are collected so one run reports all of them, then done() throws (exit 1).

const failures = [];
let count = 0;

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(v) {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return `[function ${v.name}]`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer[${[...new Uint8Array(v)]}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}[${[...v]}]`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function assert(cond, message = "assertion failed") {
  if (!cond) throw new AssertionError(message);
}

export function equal(actual, expected, message = "") {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

function same(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof ArrayBuffer) return same(new Uint8Array(a), new Uint8Array(b));
  if (ArrayBuffer.isView(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
}

export function deepEqual(actual, expected, message = "") {
  if (!same(actual, expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

function checkError(e, ErrorType, pattern, what) {
  if (ErrorType && !(e instanceof ErrorType)) {
    throw new AssertionError(`${what}: expected ${ErrorType.name}, got ${e && e.name}: ${e && e.message}`);
  }
  if (pattern && !pattern.test(String(e && e.message))) {
    throw new AssertionError(`${what}: message ${show(e && e.message)} does not match ${pattern}`);
  }
  return e;
}

// fn() must throw (synchronously) an ErrorType whose message matches pattern (if given).
export function throws(fn, ErrorType, pattern, message = "") {
  try {
    fn();
  } catch (e) {
    return checkError(e, ErrorType, pattern, message || String(fn));
  }
  throw new AssertionError(`${message || String(fn)}: did not throw`);
}

// The promise (or fn()'s promise) must reject with ErrorType; throwing synchronously fails.
export async function rejects(promiseOrFn, ErrorType, pattern, message = "") {
  const what = message || String(promiseOrFn);
  const p = typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn;
  if (!(p instanceof Promise)) throw new AssertionError(`${what}: did not return a promise`);
  try {
    await p;
  } catch (e) {
    return checkError(e, ErrorType, pattern, what);
  }
  throw new AssertionError(`${what}: did not reject`);
}

export async function test(name, fn) {
  count++;
  try {
    await fn();
  } catch (e) {
    failures.push(`${name}: ${e && e.stack ? e.stack : e}`);
    console.log(`FAIL ${name}: ${e && e.message}`);
  }
}

export function done() {
  if (failures.length) {
    throw new AssertionError(`${failures.length} of ${count} tests failed:\n` + failures.join("\n"));
  }
  console.log(`PASS ${count} tests`);
}
