// The streaming integration tests' app (tests/integration/streaming_test.py): bodies that are
// larger than memory, slow readers, disconnects, server-sent events.

const CHUNK = new Uint8Array(64 * 1024).fill(0x61);
const counters = { pulls: 0, cancels: 0, sse: 0 };

function fast(total) {
  // A producer that could go as fast as the machine: it is pulled only as fast as the
  // client reads (the connection's send queue is bounded).
  let sent = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      counters.pulls++;
      if (sent >= total) {
        controller.close();
        return;
      }
      const n = Math.min(CHUNK.length, total - sent);
      sent += n;
      controller.enqueue(CHUNK.slice(0, n));
    },
    cancel(reason) {
      counters.cancels++;
      console.log(`cancelled after ${sent} bytes: ${reason?.message ?? reason}`);
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo":
        return new Response(request.body);
      case "/digest": {
        const bytes = new Uint8Array(await request.arrayBuffer());
        let sum = 0;
        for (let i = 0; i < bytes.length; i += 4096) sum = (sum + bytes[i]) % 65536;
        return Response.json({ length: bytes.length, sum });
      }
      case "/fast":
        return new Response(fast(Number(url.searchParams.get("n") ?? 1 << 30)));
      case "/counters":
        return Response.json(counters);
      case "/sse": {
        counters.sse++;
        let timer;
        const encoder = new TextEncoder();
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(`event: hello\ndata: ${counters.sse}\n\n`));
            // A keep-alive comment every 15 s (or as asked), so proxies keep the connection.
            const every = Number(url.searchParams.get("keepalive") ?? 15000);
            timer = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), every);
          },
          cancel() {
            clearInterval(timer);
            counters.sse--;
          },
        });
        return new Response(stream, {
          headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
        });
      }
      default:
        return new Response("not found\n", { status: 404 });
    }
  },
};
