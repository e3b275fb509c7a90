// The Bun peer for bench/wrk: the same app as examples/hello, on Bun.serve.
// Usage: bun bun_hello.js PORT
const port = Number(process.argv[2] ?? 8080);
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);  // examples/hello's /stream: 16 x 64 KiB
const CHUNKS = 16;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

Bun.serve({
  hostname: "127.0.0.1",
  port,
  async fetch(request) {
    const path = request.url.slice(request.url.indexOf("/", 8));
    if (path === "/json") {
      return Response.json({ hello: "world", method: request.method });
    }
    if (path === "/sha256") {
      const digest = await crypto.subtle.digest("SHA-256", await request.arrayBuffer());
      return new Response(hex(digest) + "\n");
    }
    if (path === "/stream") {
      let sent = 0;
      return new Response(new ReadableStream({
        pull(controller) {
          if (sent++ < CHUNKS) controller.enqueue(CHUNK);
          else controller.close();
        },
      }));
    }
    if (request.method === "POST") {
      const body = await request.text();
      return new Response(`you sent ${body.length} bytes\n`);
    }
    return new Response("Hello from torus!\n");
  },
});
console.log(`bun listening on 127.0.0.1:${port}`);
