// The Bun peer for bench/tls: bench/wrk's hello app on Bun.serve with TLS.
// Usage: bun bun_https.js PORT CERT KEY
const [port, cert, key] = process.argv.slice(2);

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  tls: { cert: Bun.file(cert), key: Bun.file(key) },
  fetch() {
    return new Response("Hello from torus!\n");
  },
});
console.log(`bun listening on 127.0.0.1:${port}`);
