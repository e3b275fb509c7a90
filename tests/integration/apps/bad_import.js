// Startup must fail naming the module that cannot be found.
import { helper } from "./does_not_exist.js";

export default {
  fetch(request) {
    return new Response(helper());
  },
};
