// The Bun peer for bench/wrk: examples/hello itself (the same module, every route), on
// Bun.serve. Usage: bun bun_hello.js PORT
import app from "../../../examples/hello/app.js";

const port = Number(process.argv[2] ?? 8080);

Bun.serve({ hostname: "127.0.0.1", port, fetch: (request) => app.fetch(request) });
console.log(`bun listening on 127.0.0.1:${port}`);
