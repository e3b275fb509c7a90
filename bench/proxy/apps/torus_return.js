// bench/proxy's "return fetch(...)" variant on torus: the fetch() Response is the answer.
import { returnFetch } from "./web_proxy.js";

export default { fetch: returnFetch };
