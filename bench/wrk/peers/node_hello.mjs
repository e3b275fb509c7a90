// The Node peer for bench/wrk: the same app as examples/hello (same routes, same 18-byte body),
// on node:http. Usage: node node_hello.mjs PORT
import http from "node:http";

const port = Number(process.argv[2] ?? 8080);
const body = "Hello from torus!\n";  // byte-for-byte the torus example's reply
const length = Buffer.byteLength(body);

http
  .createServer((req, res) => {
    if (req.url === "/json") {
      const json = JSON.stringify({ hello: "world", method: req.method });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
      res.end(json);
      return;
    }
    if (req.method === "POST") {
      let n = 0;
      req.on("data", (chunk) => (n += chunk.length));
      req.on("end", () => res.end(`you sent ${n} bytes\n`));
      return;
    }
    // An explicit length, like the other servers send (without it node:http would chunk).
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": length });
    res.end(body);
  })
  .listen(port, "127.0.0.1", () => console.log(`node listening on 127.0.0.1:${port}`));
