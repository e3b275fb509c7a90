// The Deno peer for bench/wrk: examples/hello itself (the same module, every route), on
// Deno.serve. Usage: deno run --allow-net deno_hello.ts PORT
import app from "../../../examples/hello/app.js";

const port = Number(Deno.args[0] ?? 8080);

Deno.serve({ hostname: "127.0.0.1", port, onListen() {
  console.log(`deno listening on 127.0.0.1:${port}`);
} }, (request: Request): Promise<Response> => app.fetch(request));
