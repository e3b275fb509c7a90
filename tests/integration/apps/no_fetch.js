// Startup must fail: the default export has no fetch method.
export default {
  handle(request) {
    return new Response("wrong name");
  },
};
