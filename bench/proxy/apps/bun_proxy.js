// bench/proxy on Bun: the shared web-standard proxy on Bun.serve and Bun's fetch.
// Usage: bun bun_proxy.js PORT [body|return]
import { passBody, returnFetch } from "./web_proxy.js";

const port = Number(process.argv[2] ?? 8080);
Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch: process.argv[3] === "return" ? returnFetch : passBody,
});
console.log(`bun proxy listening on 127.0.0.1:${port}`);
