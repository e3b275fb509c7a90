// bench/streaming on Deno: the shared web-standard app on Deno.serve.
// Usage: deno run --allow-net deno_app.js PORT
import { handle } from "./web_app.js";

const port = Number(Deno.args[0] ?? 8080);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {
  console.log(`deno listening on 127.0.0.1:${port}`);
} }, handle);
