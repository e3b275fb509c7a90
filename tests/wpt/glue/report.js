// The WPT runner's testharnessreport.js (tests/wpt/run.py loads it right after
// resources/testharness.js). Test-harness glue only: nothing here is a torus global.
//
// - Prints ONE line when the harness completes: PREFIX + JSON {harness, tests}, and a mark on
//   stderr.
// - Waits for done.js's done() (explicit_done), as WPT's worker wrappers do.
// - testharness.js has no timeout in a shell-like global (ShellTestEnvironment), so this arms
//   one and calls testharness's own timeout() (pending subtests become TIMEOUT, the harness
//   TIMEOUT), as wptrunner does from outside.
(function () {
  "use strict";
  const config = globalThis.__wpt;
  const log = console.log.bind(console);
  const logError = console.error.bind(console);
  const stringify = JSON.stringify;
  const armTimer = setTimeout;
  const disarmTimer = clearTimeout;
  const harnessTimeout = globalThis.timeout;  // testharness.js's, before a test can shadow it
  const kMaxMessage = 2000;

  const testStatus = ["PASS", "FAIL", "TIMEOUT", "NOTRUN", "PRECONDITION_FAILED"];
  const harnessStatus = ["OK", "ERROR", "TIMEOUT", "PRECONDITION_FAILED"];

  function text(value) {
    if (value === null || value === undefined) return null;
    let s = String(value);
    if (s.length > kMaxMessage) s = s.slice(0, kMaxMessage) + "...";
    return s;
  }

  // torus runs a microtask checkpoint after each script, and ShellTestEnvironment counts
  // the files as loaded at its first one, so the harness would complete as soon as the first
  // subtest did. As in WPT's worker wrappers, done.js says when the test file has run.
  setup({explicit_done: true});

  const timer = armTimer(() => harnessTimeout(), config.harnessTimeoutMs);

  // setup({allow_uncaught_exception: true}): the test expects an uncaught error (that torus
  // reports on stderr), which then is no harness error, as in a browser.
  let allowUncaught = false;
  const harnessSetup = globalThis.setup;
  globalThis.setup = function (funcOrProperties, maybeProperties) {
    const properties = typeof funcOrProperties === "object" ? funcOrProperties : maybeProperties;
    if (properties && properties.allow_uncaught_exception) allowUncaught = true;
    return harnessSetup.apply(this, arguments);
  };

  add_completion_callback((tests, status) => {
    disarmTimer(timer);
    const result = {
      harness: {
        status: harnessStatus[status.status] || String(status.status),
        message: text(status.message),
      },
      allow_uncaught_exception: allowUncaught,
      tests: tests.map((t) => ({
        name: String(t.name),
        status: testStatus[t.status] || String(t.status),
        message: text(t.message),
      })),
    };
    log(config.prefix + stringify(result));
    // The same mark on stderr: what torus reports there before it (an uncaught error, an
    // unhandled rejection) happened while the tests ran; after it, a browser ignores it too.
    logError(config.prefix + "completed");
  });
})();
