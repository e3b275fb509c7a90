// The Bun peer for bench/wrk: the same app as examples/hello, on Bun.serve.
// Usage: bun bun_hello.js PORT
const port = Number(process.argv[2] ?? 8080);

Bun.serve({
  hostname: "127.0.0.1",
  port,
  async fetch(request) {
    const path = request.url.slice(request.url.indexOf("/", 8));
    if (path === "/json") {
      return Response.json({ hello: "world", method: request.method });
    }
    if (request.method === "POST") {
      const body = await request.text();
      return new Response(`you sent ${body.length} bytes\n`);
    }
    return new Response("Hello from torus!\n");
  },
});
console.log(`bun listening on 127.0.0.1:${port}`);
