// The Node peer for bench/tls: bench/wrk's hello app on node:https.
// Usage: node node_https.mjs PORT CERT KEY
import fs from "node:fs";
import https from "node:https";

const [port, cert, key] = process.argv.slice(2);
const body = "Hello from torus!\n";  // byte-for-byte the torus example's reply
const length = Buffer.byteLength(body);

https
  .createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": length });
    res.end(body);
  })
  .listen(Number(port), "127.0.0.1", () => console.log(`node listening on 127.0.0.1:${port}`));
