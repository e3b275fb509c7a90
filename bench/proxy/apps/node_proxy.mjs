// bench/proxy on Node: node:http and Node's global fetch (undici), the usual way to proxy with
// them: fetch the path from the X-Upstream origin, copy status and end-to-end headers, pipe
// the body (Readable.fromWeb), as the web-standard apps stream r.body.
// Usage: node node_proxy.mjs PORT
import http from "node:http";
import { Readable } from "node:stream";

const port = Number(process.argv[2] ?? 8080);
// Hop-by-hop headers (RFC 9110 7.6.1): node:http writes its own.
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer",
  "upgrade", "proxy-connection"]);

http
  .createServer(async (req, res) => {
    try {
      const r = await fetch(req.headers["x-upstream"] + req.url);
      const headers = {};
      for (const [k, v] of r.headers) if (!HOP.has(k)) headers[k] = v;
      res.writeHead(r.status, headers);
      if (r.body) Readable.fromWeb(r.body).pipe(res);
      else res.end();
    } catch (e) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`upstream failed: ${e}\n`);
    }
  })
  .listen(port, "127.0.0.1", () => console.log(`node proxy listening on 127.0.0.1:${port}`));
