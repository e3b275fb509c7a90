// The soak's app (tests/soak/soak.py): one endpoint of each kind a production app has.
//   /          hello world
//   /json      a JSON document
//   /stream    a streamed body (8 chunks through a ReadableStream)
//   /proxy     fetch() of this server's own /json, passed through
//   /crypto    HMAC-SHA-256 of the query, and a SHA-256 digest
const encoder = new TextEncoder();
let hmacKey;

async function sign(text) {
  hmacKey ??= await crypto.subtle.importKey("raw", encoder.encode("soak secret"),
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const [mac, digest] = await Promise.all([
    crypto.subtle.sign("HMAC", hmacKey, encoder.encode(text)),
    crypto.subtle.digest("SHA-256", encoder.encode(text)),
  ]);
  const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
  return { mac: hex(mac), digest: hex(digest) };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
        return new Response("Hello from torus!\n");
      case "/json":
        return Response.json({ ok: true, items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item ${i}` })) });
      case "/stream": {
        let n = 0;
        return new Response(new ReadableStream({
          pull(controller) {
            if (n++ === 8) return controller.close();
            controller.enqueue(encoder.encode(`chunk ${n} `.padEnd(512, ".") + "\n"));
          },
        }));
      }
      case "/proxy": {
        const upstream = await fetch(`http://127.0.0.1:${env.PORT}/json`);
        return new Response(upstream.body, upstream);
      }
      case "/crypto":
        return Response.json(await sign(url.search));
      default:
        return new Response("not found\n", { status: 404 });
    }
  },
};
