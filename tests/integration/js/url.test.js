// URL and URLSearchParams: what the web-platform-tests do not cover (messages, the live link
// between a URL and its searchParams, identity, limits, robustness against patched globals).
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

await test("an invalid URL names its input (and base) in a TypeError", () => {
  throws(() => new URL("x"), TypeError, /^Failed to construct 'URL': Invalid URL 'x'$/);
  throws(() => new URL("x", "y"), TypeError,
         /^Failed to construct 'URL': Invalid URL 'x' with base 'y'$/);
  throws(() => new URL(), TypeError, /1 argument required, but only 0 present/);
  throws(() => new URL(Symbol("s")), TypeError);
  const u = new URL("https://a.example/");
  throws(() => { u.href = "nope"; }, TypeError,
         /^Failed to set the 'href' property on 'URL': Invalid URL 'nope'$/);
  equal(u.href, "https://a.example/", "a failed href set changes nothing");
});

await test("a long invalid input is shortened in the message", () => {
  const input = "x".repeat(100000);
  let message = "";
  try { new URL(input); } catch (e) { message = e.message; }
  assert(message.length < 400, `message of ${message.length} characters`);
  assert(message.endsWith("...'"), message.slice(-20));
});

await test("getters and setters", () => {
  const u = new URL("HTTPS://user:pw@Example.COM:8443/a/./b/../c?x=1#frag");
  equal(u.href, "https://user:pw@example.com:8443/a/c?x=1#frag");
  equal(u.origin, "https://example.com:8443");
  equal(u.protocol, "https:");
  equal(u.username, "user");
  equal(u.password, "pw");
  equal(u.host, "example.com:8443");
  equal(u.hostname, "example.com");
  equal(u.port, "8443");
  equal(u.pathname, "/a/c");
  equal(u.search, "?x=1");
  equal(u.hash, "#frag");
  u.protocol = "http";
  u.port = "80";
  equal(u.href, "http://user:pw@example.com/a/c?x=1#frag", "default port dropped");
  u.username = "";
  u.password = "";
  u.hostname = "b.example";
  u.pathname = "/p q";
  u.hash = "";
  equal(u.href, "http://b.example/p%20q?x=1");
  u.port = "99999";
  equal(u.port, "", "an out-of-range port is refused");
  equal(String(u), u.href);
  equal(JSON.stringify({ u }), `{"u":"${u.href}"}`);
});

await test("IDNA, IPv4 and IPv6 hosts", () => {
  equal(new URL("http://Bücher.example/").host, "xn--bcher-kva.example");
  equal(new URL("http://0x7f.1/").host, "127.0.0.1");
  equal(new URL("http://[::FFFF:1.2.3.4]/").host, "[::ffff:102:304]");
  equal(new URL("http://xn--a.example/").host, "xn--a.example", "ASCII domains pass through");
  throws(() => new URL("http://a b/"), TypeError);
  throws(() => new URL("http://1.2.3.256/"), TypeError);
});

await test("blob: origins", () => {
  equal(new URL("blob:https://a.example:8080/uuid").origin, "https://a.example:8080");
  equal(new URL("blob:ftp://a.example/uuid").origin, "null");
  equal(new URL("blob:not a url").origin, "null");
  equal(new URL("file:///etc/hosts").origin, "null");
});

await test("searchParams is one object, live both ways", () => {
  const u = new URL("https://a.example/?a=1&b=2");
  const p = u.searchParams;
  assert(p === u.searchParams, "same object every time");
  equal(p.get("a"), "1");
  p.append("c", "x y");
  equal(u.search, "?a=1&b=2&c=x+y", "params -> url");
  p.delete("a");
  p.set("b", "é");
  equal(u.href, "https://a.example/?b=%C3%A9&c=x+y");
  u.search = "?z=9";
  assert(p === u.searchParams, "still the same object after url.search is set");
  deepEqual([...p], [["z", "9"]], "url.search -> params");
  u.href = "https://b.example/?k=v#h";
  deepEqual([...p], [["k", "v"]], "url.href -> params");
  u.search = "";
  equal(p.size, 0);
  p.append("q", "1");
  equal(u.href, "https://b.example/?q=1#h");
  p.delete("q");
  equal(u.href, "https://b.example/#h", "an empty list removes the query");
  u.hash = "x";
  equal(p.size, 0, "other setters leave the list alone");
});

await test("searchParams of an opaque path keeps its trailing space encoded", () => {
  const u = new URL("sc:space ?q=1");
  equal(u.href, "sc:space%20?q=1");
  u.searchParams.delete("q");
  equal(u.href, "sc:space%20");
});

await test("URLSearchParams conversions and errors", () => {
  deepEqual([...new URLSearchParams("?a=1&a=2&b")], [["a", "1"], ["a", "2"], ["b", ""]]);
  deepEqual([...new URLSearchParams([["x", 1], new Set(["y", "2"])])], [["x", "1"], ["y", "2"]]);
  deepEqual([...new URLSearchParams({ k: "v", n: 3 })], [["k", "v"], ["n", "3"]]);
  throws(() => new URLSearchParams([["only-one"]]), TypeError,
         /^Failed to construct 'URLSearchParams': parameter 1, index 0, has 1 elements/);
  throws(() => new URLSearchParams({ [Symbol.iterator]: 1 }), TypeError);
  const p = new URLSearchParams();
  throws(() => p.append("a"), TypeError,
         /^Failed to execute 'append' on 'URLSearchParams': 2 arguments required, but only 1 present\.$/);
  throws(() => URLSearchParams.prototype.get.call({}, "a"), TypeError, /Illegal invocation/);
  throws(() => Object.getOwnPropertyDescriptor(URL.prototype, "href").get.call({}), TypeError,
         /Illegal invocation/);
  p.append("\ud800", "\udfff");
  equal(p.toString(), "%EF%BF%BD=%EF%BF%BD", "lone surrogates become U+FFFD");
});

await test("serializer and sort", () => {
  const p = new URLSearchParams();
  p.append("a b", "~!'()*-._+&=");
  equal(p.toString(), "a+b=%7E%21%27%28%29*-._%2B%26%3D");
  const s = new URLSearchParams("z=1&\uD83D\uDE00=2&\uFFFD=3&a=4&z=0");
  s.sort();
  deepEqual([...s.keys()], ["a", "z", "z", "\uD83D\uDE00", "\uFFFD"], "UTF-16 order, stable");
  deepEqual(s.getAll("z"), ["1", "0"]);
});

await test("has and delete with a value", () => {
  const p = new URLSearchParams("a=1&a=2&b=1");
  assert(p.has("a", "2"));
  assert(!p.has("a", "3"));
  assert(p.has("a", undefined), "undefined is no value");
  p.delete("a", "1");
  equal(p.toString(), "a=2&b=1");
  p.delete("a", undefined);
  equal(p.toString(), "b=1");
});

await test("URL.parse and URL.canParse", () => {
  equal(URL.parse("nope"), null);
  equal(URL.parse("/p", "https://a.example/x").href, "https://a.example/p");
  assert(URL.parse("https://a.example/") instanceof URL);
  assert(URL.parse("https://a.example/") !== URL.parse("https://a.example/"));
  equal(URL.canParse("https://a.example/"), true);
  equal(URL.canParse("/p"), false);
  equal(URL.canParse("/p", "https://a.example/"), true);
  throws(() => URL.canParse(), TypeError, /1 argument required/);
});

await test("huge inputs are refused, not attempted", () => {
  const huge = "https://a.example/" + "a".repeat(33 * 1024 * 1024);
  throws(() => new URL(huge), TypeError, /Invalid URL: longer than 33554432 bytes/);
  equal(URL.canParse(huge), false);
  equal(URL.parse(huge), null);
  const u = new URL("https://a.example/");
  throws(() => { u.pathname = huge; }, TypeError,
         /^Failed to set the 'pathname' property on 'URL': longer than/);
  equal(u.href, "https://a.example/");
  // A long but allowed input works, percent-encoded in full.
  const long = new URL("https://a.example/" + "é".repeat(1 << 20));
  equal(long.pathname.length, 1 + 6 * (1 << 20));
});

await test("patched globals do not reach URL", () => {
  const slice = String.prototype.slice;
  const push = Array.prototype.push;
  const encode = globalThis.encodeURIComponent;
  try {
    String.prototype.slice = () => "patched";
    Array.prototype.push = () => { throw new Error("patched"); };
    globalThis.encodeURIComponent = () => "patched";
    const u = new URL("https://a.example/p?q=1#h");
    equal(u.pathname, "/p");
    u.searchParams.append("r", "2 3");
    equal(u.search, "?q=1&r=2+3");
  } finally {
    String.prototype.slice = slice;
    Array.prototype.push = push;
    globalThis.encodeURIComponent = encode;
  }
});

await test("interface shape", () => {
  equal(Object.prototype.toString.call(new URL("a:b")), "[object URL]");
  equal(Object.prototype.toString.call(new URLSearchParams()), "[object URLSearchParams]");
  equal(URL.length, 1);
  assert(Object.getOwnPropertyDescriptor(URL.prototype, "href").enumerable, "enumerable");
  equal(typeof URL.prototype[Symbol.iterator], "undefined");
  equal(URLSearchParams.prototype[Symbol.iterator], URLSearchParams.prototype.entries);
  equal(Object.prototype.toString.call(new URLSearchParams().keys()),
        "[object URLSearchParams Iterator]");
  assert(!Object.keys(globalThis).includes("URL"), "not enumerable on the global");
});

await test("console shows URLs as Node does", () => {
  // Through the console's inspection hook: no throw, readable output.
  const u = new URL("https://a.example/?a=1");
  console.log(u);
  console.log(u.searchParams);
});

done();
