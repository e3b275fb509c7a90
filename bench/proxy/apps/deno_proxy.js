// bench/proxy on Deno: the shared web-standard proxy on Deno.serve and Deno's fetch.
// Usage: deno run --allow-net deno_proxy.js PORT [body|return]
import { passBody, returnFetch } from "./web_proxy.js";

const port = Number(Deno.args[0] ?? 8080);
const handler = Deno.args[1] === "return" ? returnFetch : passBody;
Deno.serve({ hostname: "127.0.0.1", port, onListen() {
  console.log(`deno proxy listening on 127.0.0.1:${port}`);
} }, handler);
