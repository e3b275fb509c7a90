// A module graph: the entry imports a helper relative to itself.
import { greet } from "./lib/greet.js";

export default {
  fetch(request) {
    return new Response(greet("import"));
  },
};
