// The Deno peer for bench/tls: bench/wrk's hello app on Deno.serve with TLS.
// Usage: deno run --allow-net --allow-read deno_https.ts PORT CERT KEY
const [port, certFile, keyFile] = Deno.args;

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  cert: Deno.readTextFileSync(certFile),
  key: Deno.readTextFileSync(keyFile),
  onListen() {
    console.log(`deno listening on 127.0.0.1:${port}`);
  },
}, (): Response => new Response("Hello from torus!\n"));
