// Startup must fail with this file's name and the line of the error (line 4).
export default {
  fetch(request) {
    return new Response("unbalanced";
  },
};
