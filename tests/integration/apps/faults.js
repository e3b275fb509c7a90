// The app of faults_test.py: bodies whose every byte is checked after short writes, a
// stream whose cancel is counted after a reset, a proxy whose upstream sends are short, and
// PBKDF2 large enough for the crypto helper pool.
let cancels = 0;

function pattern(n, seed) {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

async function pbkdf2(iterations) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("password"),
                                            "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
      {name: "PBKDF2", hash: "SHA-256", salt: new TextEncoder().encode("salt"), iterations},
      key, 256);
  return [...new Uint8Array(bits)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/hello":
        return new Response("Hello, world!\n");
      case "/big":
        return new Response(pattern(Number(url.searchParams.get("n")), 7));
      case "/stream": {
        // count chunks of 16 KiB, each from its own pull; the client reads them all (short
        // writes) or the connection dies under them (a reset): then cancel() runs.
        const count = Number(url.searchParams.get("count"));
        let i = 0;
        return new Response(new ReadableStream({
          pull(controller) {
            if (i === count) return controller.close();
            controller.enqueue(pattern(16384, i++));
          },
          cancel() { cancels++; },
        }, {highWaterMark: 0}));
      }
      case "/cancels":
        return Response.json({cancels});
      case "/proxy": {
        // The request body goes to the upstream named in ?to= and its answer comes back.
        const upstream = await fetch(url.searchParams.get("to"), {
          method: "POST", body: await request.arrayBuffer()});
        return new Response(await upstream.arrayBuffer(), {status: upstream.status});
      }
      case "/pbkdf2":
        try {
          return new Response(await pbkdf2(Number(url.searchParams.get("iterations"))));
        } catch (e) {
          return new Response(`${e.name}: ${e.message}`, {status: 500});
        }
    }
    return new Response("not found", {status: 404});
  },
};
