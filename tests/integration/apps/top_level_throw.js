// Startup must fail with the error thrown while evaluating the module.
const config = { port: 1 };
if (config.port) throw new Error("top-level-failure-marker");

export default {
  fetch(request) {
    return new Response("unreachable");
  },
};
