// DOMException (WebIDL).
import { test, assert, equal, throws, done } from "./assert.js";

await test("name, message, code", () => {
  const e = new DOMException("went wrong", "AbortError");
  equal(e.name, "AbortError");
  equal(e.message, "went wrong");
  equal(e.code, 20);
  assert(e instanceof DOMException, "instanceof DOMException");
  assert(e instanceof Error, "instanceof Error");
  equal(Object.prototype.toString.call(e), "[object DOMException]");
});

await test("defaults", () => {
  const e = new DOMException();
  equal(e.name, "Error");
  equal(e.message, "");
  equal(e.code, 0);
  const f = new DOMException("m");
  equal(f.name, "Error");
  equal(f.code, 0);
});

await test("legacy codes", () => {
  for (const [name, code] of [["IndexSizeError", 1], ["NotFoundError", 8], ["NotSupportedError", 9],
                              ["InvalidStateError", 11], ["SyntaxError", 12], ["NetworkError", 19],
                              ["TimeoutError", 23], ["DataCloneError", 25], ["QuotaExceededError", 22],
                              ["NotAllowedError", 0], ["OperationError", 0], ["EncodingError", 0]]) {
    equal(new DOMException("", name).code, code, name);
  }
  equal(DOMException.ABORT_ERR, 20);
  equal(DOMException.NOT_FOUND_ERR, 8);
  equal(new DOMException().ABORT_ERR, 20);
});

await test("has a stack and can be thrown and caught", () => {
  const e = new DOMException("thrown", "DataError");
  assert(typeof e.stack === "string", "stack is a string");
  throws(() => { throw e; }, DOMException, /thrown/);
});

await test("requires new", () => {
  throws(() => DOMException("x"), TypeError);
});

done();
