// The bundled example: `torus serve examples/hello`, then `curl http://127.0.0.1:8080/`.
export default {
  async fetch(request, env, ctx) {
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
};
