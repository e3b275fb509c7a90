// The Deno peer for bench/wrk: the same app as examples/hello, on Deno.serve.
// Usage: deno run --allow-net deno_hello.ts PORT
const port = Number(Deno.args[0] ?? 8080);

Deno.serve({ hostname: "127.0.0.1", port, onListen() {
  console.log(`deno listening on 127.0.0.1:${port}`);
} }, async (request: Request): Promise<Response> => {
  const path = request.url.slice(request.url.indexOf("/", 8));
  if (path === "/json") {
    return Response.json({ hello: "world", method: request.method });
  }
  if (request.method === "POST") {
    const body = await request.text();
    return new Response(`you sent ${body.length} bytes\n`);
  }
  return new Response("Hello from torus!\n");
});
