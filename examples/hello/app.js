// The bundled example: `torus serve examples/hello`, then `curl http://127.0.0.1:8080/`.
// bench/wrk runs it on torus, Bun and Deno (bench/wrk/peers/ import this module) and the
// same routes on node:http (bench/wrk/peers/node_hello.mjs):
//   GET /            hello world
//   GET /json        Response.json
//   POST /sha256     the body's SHA-256 in hex, from crypto.subtle
//   GET /stream      1 MiB streamed from a ReadableStream, 16 chunks of 64 KiB
//   POST (any other) how many bytes were sent
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);  // "aaaa..."
const CHUNKS = 16;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(request, env, ctx) {
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
};
