// Loaded by tests/wpt/run.py after the META scripts, before the test. Test-harness glue only.
//
// In WPT, wptserve serves a test's static files (resources/*.json data, /interfaces/*.idl).
// The runner embeds the ones a test names (config.resources, keyed by the URL as written)
// and this hands them to the harness's own loaders (testharness.js's fetch_json(),
// idlharness.js's fetch_spec()) and to fetch() for exactly those URLs: every other call goes
// to torus's fetch(), or, while torus has none, throws ReferenceError as the call would.
(function () {
  "use strict";
  const resources = globalThis.__wpt.resources;
  // Nothing embedded (an area run against the stand-in server, which serves every file):
  // the harness and the test use torus's own fetch().
  if (Object.keys(resources).length === 0) return;
  const parse = JSON.parse;
  const hasOwn = Object.prototype.hasOwnProperty;
  function lookup(url) {
    return typeof url === "string" && hasOwn.call(resources, url) ? resources[url] : undefined;
  }

  if (typeof globalThis.fetch_json === "function") {
    const original = globalThis.fetch_json;
    globalThis.fetch_json = function fetch_json(resource) {
      const r = lookup(resource);
      if (r !== undefined) return Promise.resolve().then(() => parse(r.text));
      return original(resource);
    };
  }

  if (typeof globalThis.fetch_spec === "function") {
    const original = globalThis.fetch_spec;
    globalThis.fetch_spec = function fetch_spec(spec) {
      const r = lookup("/interfaces/" + spec + ".idl");
      if (r !== undefined) return Promise.resolve({spec, idl: r.text});
      return original(spec);
    };
  }

  // Same name and length as the real fetch(). Without one, anything but an embedded URL
  // throws what calling a missing fetch() throws.
  const realFetch = typeof globalThis.fetch === "function" ? globalThis.fetch : undefined;
  globalThis.fetch = {
    fetch(input) {
      const r = lookup(input);
      if (r !== undefined) {
        return Promise.resolve(new Response(r.text, {headers: {"content-type": r.type}}));
      }
      if (realFetch === undefined) throw new ReferenceError("fetch is not defined");
      return Reflect.apply(realFetch, this, arguments);
    },
  }.fetch;
})();
