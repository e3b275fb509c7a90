// Prints from module top level and from a handler, to stdout and stderr
// (tests/integration/logs_test.py: console lines in JSON logs are tagged).
console.log("loaded");

export default {
  async fetch(request) {
    console.log("handling", new URL(request.url).pathname);
    await null;
    console.error("after await\nsecond line");
    return new Response("ok");
  },
};
