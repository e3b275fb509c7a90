// The upstream of bench/proxy, the same for every proxy: node:http answering every request
// with a 12-byte "hello world\n" (explicit Content-Length, keep-alive), counting the
// connections it accepts, so the report can show how well each proxy's fetch() reuses them.
// Its keep-alive timeout is 600 s, longer than any client pool's idle timeout, so a
// connection is only ever closed by the proxy side.
//
// A second listener on CONTROL_PORT (never proxied, so never counted) answers
//   GET /       {"accepted": N, "open": N, "max_open": N, "requests": N}
//   GET /reset  the same, then max_open := open (the start of a measured run)
// Usage: node upstream.mjs PORT CONTROL_PORT
import http from "node:http";

const port = Number(process.argv[2] ?? 8081);
const controlPort = Number(process.argv[3] ?? 8082);
const body = "hello world\n";
const length = Buffer.byteLength(body);

let accepted = 0;
let open = 0;
let maxOpen = 0;
let requests = 0;

const server = http.createServer((req, res) => {
  requests++;
  res.writeHead(200, { "content-type": "text/plain", "content-length": length });
  res.end(body);
});
server.keepAliveTimeout = 600_000;
server.headersTimeout = 610_000;
server.requestTimeout = 0;
server.on("connection", (socket) => {
  accepted++;
  if (++open > maxOpen) maxOpen = open;
  socket.on("close", () => open--);
});
server.listen(port, "127.0.0.1", () => console.log(`upstream listening on 127.0.0.1:${port}`));

http
  .createServer((req, res) => {
    const stats = JSON.stringify({ accepted, open, max_open: maxOpen, requests });
    if (req.url === "/reset") maxOpen = open;
    res.writeHead(200, { "content-type": "application/json", "content-length": stats.length,
      connection: "close" });
    res.end(stats);
  })
  .listen(controlPort, "127.0.0.1");
