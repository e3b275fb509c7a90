// Loaded first by tests/wpt/run.py, after the runner's generated config script (which sets
// globalThis.__wpt). Test-harness glue only, as in WPT's generated worker wrappers: none of
// this is a torus global, and what torus already provides is never replaced.
(function () {
  "use strict";
  const config = globalThis.__wpt;
  // testharness.js starts with `(function (global_scope) { ... })(self)`.
  if (typeof self === "undefined") globalThis.self = globalThis;
  // A test reads its variant from location.search, and testharness its default title from
  // location.pathname (WPT's URL of the test in a dedicated worker).
  if (typeof location === "undefined") {
    const u = config.location;
    globalThis.location = {
      href: u.href, origin: u.origin, protocol: u.protocol, host: u.host,
      hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search,
      hash: "", toString() { return this.href; },
    };
  }
  // WPT's wrappers tell a test which global it runs in; a server runtime is closest to a
  // dedicated worker.
  self.GLOBAL = {
    isWindow() { return false; },
    isWorker() { return true; },
    isShadowRealm() { return false; },
  };
  if (config.title !== null) self.META_TITLE = config.title;
})();
