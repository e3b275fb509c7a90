// WHATWG `Headers`.
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

await test("case-insensitive get/has/set/delete", () => {
  const h = new Headers();
  h.set("Content-Type", "text/plain");
  equal(h.get("content-type"), "text/plain");
  equal(h.get("CONTENT-TYPE"), "text/plain");
  equal(h.has("Content-type"), true);
  equal(h.get("missing"), null);
  equal(h.has("missing"), false);
  h.delete("CONTENT-TYPE");
  equal(h.has("content-type"), false);
  h.delete("never-there");
});

await test("append combines, set replaces", () => {
  const h = new Headers();
  h.append("Accept", "a/b");
  h.append("accept", "c/d");
  equal(h.get("accept"), "a/b, c/d");
  h.set("ACCEPT", "e/f");
  equal(h.get("accept"), "e/f");
  deepEqual([...h], [["accept", "e/f"]]);
});

await test("values are trimmed of HTTP whitespace", () => {
  const h = new Headers({ a: "  x  ", b: "\tv\t" });
  equal(h.get("a"), "x");
  equal(h.get("b"), "v");
  h.set("c", " inner  space ");
  equal(h.get("c"), "inner  space");
  h.append("d", "");
  equal(h.get("d"), "");
  equal(h.has("d"), true);
});

await test("iteration is sorted and lower-cased", () => {
  const h = new Headers([["Zeta", "1"], ["alpha", "2"], ["Mid", "3"], ["ALPHA", "4"]]);
  deepEqual([...h], [["alpha", "2, 4"], ["mid", "3"], ["zeta", "1"]]);
  deepEqual([...h.keys()], ["alpha", "mid", "zeta"]);
  deepEqual([...h.values()], ["2, 4", "3", "1"]);
  deepEqual([...h.entries()], [...h]);
  const seen = [];
  h.forEach((value, name, self) => {
    seen.push(`${name}=${value}`);
    equal(self, h);
  });
  deepEqual(seen, ["alpha=2, 4", "mid=3", "zeta=1"]);
  equal(typeof h[Symbol.iterator], "function");
});

await test("set-cookie is never combined", () => {
  const h = new Headers();
  h.append("Set-Cookie", "a=1");
  h.append("set-cookie", "b=2");
  deepEqual(h.getSetCookie(), ["a=1", "b=2"]);
  deepEqual([...h], [["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
  equal(h.get("set-cookie"), "a=1, b=2");
  deepEqual(new Headers().getSetCookie(), []);
});

await test("constructor inputs", () => {
  deepEqual([...new Headers({ b: "2", a: "1" })], [["a", "1"], ["b", "2"]]);
  deepEqual([...new Headers([["x", "1"], ["x", "2"]])], [["x", "1, 2"]]);
  const src = new Headers({ k: "v" });
  const copy = new Headers(src);
  src.set("k", "changed");
  equal(copy.get("k"), "v");
  deepEqual([...new Headers(new Map([["m", "1"]]))], [["m", "1"]]);
  deepEqual([...new Headers(undefined)], []);
  throws(() => new Headers([["a"]]), TypeError);
  throws(() => new Headers([["a", "b", "c"]]), TypeError);
  throws(() => new Headers("a: b"), TypeError);
  throws(() => new Headers(5), TypeError);
  throws(() => Headers(), TypeError, undefined, "calling without new");
});

await test("invalid names and values", () => {
  const h = new Headers();
  for (const name of ["", "a b", "a:b", "a\nb", "é", "(x)", "a\u0000"]) {
    throws(() => h.set(name, "v"), TypeError, undefined, `name ${JSON.stringify(name)}`);
    throws(() => h.append(name, "v"), TypeError, undefined, `name ${JSON.stringify(name)}`);
  }
  for (const value of ["a\nb", "a\rb", "a\u0000b", "\u0100"]) {
    throws(() => h.set("x", value), TypeError, undefined, `value ${JSON.stringify(value)}`);
  }
  throws(() => h.get("bad name"), TypeError);
  throws(() => h.has("bad name"), TypeError);
  throws(() => h.delete("bad name"), TypeError);
  h.set("x", "ok\u00ff");  // latin-1 bytes are valid values
  equal(h.get("x"), "ok\u00ff");
  h.set("tok-en_~!#$%&'*+.^`|", "1");
  equal(h.get("TOK-EN_~!#$%&'*+.^`|"), "1");
});

await test("iteration sees deletions made while iterating", () => {
  const h = new Headers({ a: "1", b: "2", c: "3" });
  const names = [];
  for (const [name] of h) {
    names.push(name);
    if (name === "a") h.delete("b");
  }
  deepEqual(names, ["a", "c"]);
});

await test("values are strings", () => {
  const h = new Headers();
  h.set("n", 42);
  equal(h.get("n"), "42");
  h.set("b", true);
  equal(h.get("b"), "true");
});

await test("a Headers init is iterated through its @@iterator", () => {
  const src = new Headers({ a: "1" });
  src[Symbol.iterator] = function* () { yield ["b", "2"]; };
  deepEqual([...new Headers(src)], [["b", "2"]]);
});

await test("20 headers iterate sorted, and keep their values", () => {
  const pairs = [];
  for (let i = 19; i >= 0; --i) pairs.push([`X-H${String(i).padStart(2, "0")}`, ` v${i} `]);
  const h = new Headers(pairs);
  const seen = [...h];
  equal(seen.length, 20);
  equal(seen[0][0], "x-h00");
  equal(seen[0][1], "v0");
  equal(seen[19][0], "x-h19");
  let n = 0;
  h.forEach((v, k, self) => { n++; equal(self, h); });
  equal(n, 20);
});

await test("incoming-style immutable headers copy into a mutable request", () => {
  const e = Response.error();
  const h = new Headers(e.headers);
  h.set("x", "1");
  equal(h.get("x"), "1");
});

done();
