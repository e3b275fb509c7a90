// bench/streaming on Bun: the shared web-standard app on Bun.serve. Bun's default request
// body limit is 128 MiB, raised for the 1 GiB pass-through; idleTimeout 0 so idle SSE
// connections are not closed after Bun's default 10 s.
// Usage: bun bun_app.js PORT
import { handle } from "./web_app.js";

const port = Number(process.argv[2] ?? 8080);
Bun.serve({
  hostname: "127.0.0.1",
  port,
  maxRequestBodySize: 4 * 1024 * 1024 * 1024,
  idleTimeout: 0,
  fetch: handle,
});
console.log(`bun listening on 127.0.0.1:${port}`);
