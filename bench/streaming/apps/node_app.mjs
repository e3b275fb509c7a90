// bench/streaming on Node 20, with node:http (Node has no built-in fetch-style server):
//   POST /echo  req.pipe(res)
//   GET  /gzip  the same generated ReadableStream as web_app.js through Node's global
//               CompressionStream("gzip"), written out with Readable.fromWeb(...).pipe(res)
//   GET  /sse   res.write of one event, then a comment every 15 s
// Usage: node node_app.mjs PORT
import http from "node:http";
import { Readable } from "node:stream";

const port = Number(process.argv[2] ?? 8080);
const CHUNK = 64 * 1024;

function makeChunk() {  // byte-for-byte the chunk of web_app.js
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
  let left = mib * 16;
  return new ReadableStream({
    pull(controller) {
      if (left-- <= 0) {
        controller.close();
        return;
      }
      controller.enqueue(TEMPLATE.slice());
    },
  }, { highWaterMark: 0 });
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf("?");
  const path = q < 0 ? req.url : req.url.slice(0, q);
  if (path === "/echo") {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    req.pipe(res);
    return;
  }
  if (path === "/gzip") {
    const mib = Number(new URL(req.url, "http://x").searchParams.get("mib") ?? 64);
    res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
    Readable.fromWeb(generated(mib).pipeThrough(new CompressionStream("gzip"))).pipe(res);
    return;
  }
  if (path === "/sse") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.write("data: hello\n\n");
    const timer = setInterval(() => res.write(": keep-alive\n\n"), 15000);
    res.on("close", () => clearInterval(timer));
    return;
  }
  res.end("ok\n");
});
server.requestTimeout = 0;   // Node 20 closes requests after 300 s by default
server.headersTimeout = 0;
server.keepAliveTimeout = 0;
server.maxConnections = 20000;
server.listen(port, "127.0.0.1", () => console.log(`node listening on 127.0.0.1:${port}`));
