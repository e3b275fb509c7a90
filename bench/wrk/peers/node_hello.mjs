// The Node peer for bench/wrk: the same app as examples/hello (same routes, same 18-byte body),
// on node:http. Usage: node node_hello.mjs PORT
import http from "node:http";

const port = Number(process.argv[2] ?? 8080);
const body = "Hello from torus!\n";  // byte-for-byte the torus example's reply
const length = Buffer.byteLength(body);
const CHUNK = Buffer.alloc(64 * 1024, 0x61);  // examples/hello's /stream: 16 x 64 KiB
const CHUNKS = 16;

function readBody(req, done) {
  const parts = [];
  req.on("data", (chunk) => parts.push(chunk));
  req.on("end", () => done(Buffer.concat(parts)));
}

// The rest of the stream after `sent` chunks, waiting for 'drain' when the socket is full.
function writeChunks(res, sent) {
  while (sent < CHUNKS) {
    sent++;
    if (!res.write(CHUNK)) {
      res.once("drain", () => writeChunks(res, sent));
      return;
    }
  }
  res.end();
}

http
  .createServer((req, res) => {
    if (req.url === "/json") {
      const json = JSON.stringify({ hello: "world", method: req.method });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
      res.end(json);
      return;
    }
    if (req.url === "/sha256") {  // crypto.subtle, as the other servers use
      readBody(req, async (data) => {
        const digest = await crypto.subtle.digest("SHA-256", data);
        res.end(Buffer.from(digest).toString("hex") + "\n");
      });
      return;
    }
    if (req.url === "/stream") {
      writeChunks(res, 0);
      return;
    }
    if (req.method === "POST") {
      readBody(req, (data) => res.end(`you sent ${data.length} bytes\n`));
      return;
    }
    // An explicit length, like the other servers send (without it node:http would chunk).
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": length });
    res.end(body);
  })
  .listen(port, "127.0.0.1", () => console.log(`node listening on 127.0.0.1:${port}`));
