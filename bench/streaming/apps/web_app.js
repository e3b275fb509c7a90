// The web-standard app of bench/streaming, the same code on torus, Deno and Bun (the Deno
// and Bun wrappers import it; torus serves it directly):
//   POST /echo          new Response(request.body): the upload streamed back as it arrives
//   GET  /gzip?mib=64   a generated, compressible body of N MiB piped through
//                       CompressionStream("gzip")
//   GET  /sse           text/event-stream: one event, then a comment every 15 s
//   GET  /              "ok" (warm-up)

const CHUNK = 64 * 1024;

// 64 KiB of log-like text: compresses about 6-8x with zlib level 6, like real text.
function makeChunk() {
  const out = new Uint8Array(CHUNK);
  let text = "";
  for (let i = 0; text.length < CHUNK; i++) {
    text += `${1733100000 + i} INFO request id=${(i * 2654435761) % 1000003} path=/api/items/${i % 97} status=${i % 7 === 0 ? 404 : 200} ms=${(i * 37) % 250}\n`;
  }
  for (let i = 0; i < CHUNK; i++) out[i] = text.charCodeAt(i);
  return out;
}
const TEMPLATE = makeChunk();

function generated(mib) {
  let left = mib * 16;  // 64 KiB chunks
  return new ReadableStream({
    pull(controller) {
      if (left-- <= 0) {
        controller.close();
        return;
      }
      controller.enqueue(TEMPLATE.slice());  // a fresh chunk each time (a stream may detach it)
    },
  }, { highWaterMark: 0 });
}

const encoder = new TextEncoder();
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-store" };

function sse() {
  let timer;
  return new Response(new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode("data: hello\n\n"));
      timer = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), 15000);
    },
    cancel() {
      clearInterval(timer);
    },
  }), { headers: SSE_HEADERS });
}

export function handle(request) {
  const url = request.url;
  const q = url.indexOf("?");
  const path = url.slice(url.indexOf("/", 8), q < 0 ? undefined : q);
  if (path === "/echo") {
    return new Response(request.body, { headers: { "content-type": "application/octet-stream" } });
  }
  if (path === "/gzip") {
    const mib = Number(new URL(url).searchParams.get("mib") ?? 64);
    return new Response(generated(mib).pipeThrough(new CompressionStream("gzip")),
                        { headers: { "content-type": "text/plain", "content-encoding": "gzip" } });
  }
  if (path === "/sse") return sse();
  return new Response("ok\n");
}

export default { fetch: handle };
