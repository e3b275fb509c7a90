// The upstream fetch() tests talk to: node's own http and https servers (an independent
// HTTP implementation) plus a raw TCP server for exact bytes and misbehaviour.
//
//   node server.js CERT KEY EXPIRED_CERT EXPIRED_KEY SELF_CERT SELF_KEY
//       prints one line of JSON: {"http", "https", "expired", "selfsigned", "raw": port}
//       (expired and selfsigned: https servers with those certificates)
//
// Routes (http and https alike):
//   /text                   "hello"                          /echo        the request as JSON
//   /status/N               status N, empty body             /conn        this connection's id
//   /redirect/N?to=URL      status N, Location URL           /chain/K     K redirects, then /echo
//   /chunked                three chunks                     /gzip /deflate /br  "compressed hello" encoded
//   /slow-head?ms=N         the head after N ms              /drip?n=N&ms=M  N chunks, one per M ms
//   /big?bytes=N            N bytes of a pattern (Content-Length), written as fast as read
//   /stats                  {"connections": n, "requests": n} seen so far
//   /misdirected            421 on a connection that has not been answered 421 yet, then
//                           200 with this connection's id
//   /ports                  the line printed at start, and `closed`: a port nobody listens on
// Raw server paths (first request line decides):
//   /close-delimited        HTTP/1.1 200 without length; body then close
//   /silent                 reads the request, never answers
//   /reset-after-head       a head with Content-Length 100, 10 bytes, then RST
//   /huge-head              a 100 KiB header
//   /bad-framing            Content-Length and Transfer-Encoding together
//   /interim                103 Early Hints, then 200 "after interim"
//   /close-idle             answers keep-alive, then closes the connection 50 ms later
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');
const zlib = require('zlib');

const [cert, key, expiredCert, expiredKey, selfCert, selfKey] = process.argv.slice(2);
let connections = 0;
let requests = 0;
let nextConn = 1;

function handler(req, res) {
  requests++;
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (path === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello');
    } else if (path === '/echo') {
      const out = JSON.stringify({
        method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders,
        body: body.toString('latin1'), length: body.length,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(out);
    } else if (path.startsWith('/status/')) {
      res.writeHead(+path.slice(8), { 'x-status': path.slice(8) });
      res.end();
    } else if (path === '/misdirected') {
      if (!req.socket.connId) req.socket.connId = nextConn++;
      if (!req.socket.misdirected) {
        req.socket.misdirected = true;
        res.writeHead(421, { 'x-conn': String(req.socket.connId) });
        res.end('misdirected');
      } else {
        res.end(String(req.socket.connId));
      }
    } else if (path === '/conn') {
      if (!req.socket.connId) req.socket.connId = nextConn++;
      res.end(String(req.socket.connId));
    } else if (path.startsWith('/redirect/')) {
      res.writeHead(+path.slice(10), { location: url.searchParams.get('to') });
      res.end('redirect body');
    } else if (path.startsWith('/chain/')) {
      const k = +path.slice(7);
      res.writeHead(302, { location: k > 1 ? `/chain/${k - 1}` : '/echo' });
      res.end();
    } else if (path === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one ');
      res.write('two ');
      res.end('three');
    } else if (path === '/gzip' || path === '/deflate' || path === '/br') {
      const plain = Buffer.from('compressed hello '.repeat(100));
      const enc = path === '/gzip' ? zlib.gzipSync(plain)
        : path === '/deflate' ? zlib.deflateSync(plain) : zlib.brotliCompressSync(plain);
      res.writeHead(200, { 'content-encoding': path.slice(1), 'content-length': enc.length });
      res.end(enc);
    } else if (path === '/slow-head') {
      setTimeout(() => res.end('slow'), +url.searchParams.get('ms'));
    } else if (path === '/drip') {
      const n = +url.searchParams.get('n');
      const ms = +url.searchParams.get('ms');
      let i = 0;
      res.writeHead(200);
      const tick = () => {
        if (i++ >= n) return res.end();
        res.write(`drip${i};`);
        setTimeout(tick, ms);
      };
      tick();
    } else if (path === '/big') {
      const total = +url.searchParams.get('bytes');
      const block = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz');
      res.writeHead(200, { 'content-length': total });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(block.length, total - sent);
          sent += n;
          if (!res.write(n === block.length ? block : block.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    } else if (path === '/ports') {
      res.end(JSON.stringify(ports));
    } else if (path === '/stats') {
      res.end(JSON.stringify({ connections, requests }));
    } else {
      res.writeHead(404);
      res.end('no route ' + path);
    }
  });
}

const plain = http.createServer({ keepAliveTimeout: 60000 }, handler);
const secure = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key),
  keepAliveTimeout: 60000 }, handler);
const expired = https.createServer({ cert: fs.readFileSync(expiredCert),
  key: fs.readFileSync(expiredKey) }, handler);
const selfSigned = https.createServer({ cert: fs.readFileSync(selfCert),
  key: fs.readFileSync(selfKey) }, handler);
for (const s of [plain, secure]) s.on('connection', () => connections++);

const raw = net.createServer((sock) => {
  let data = '';
  sock.on('error', () => {});
  sock.on('data', (d) => {
    data += d.toString('latin1');
    if (!data.includes('\r\n\r\n')) return;
    const path = data.split(' ')[1];
    data = '';
    if (path === '/close-delimited') {
      sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    } else if (path === '/silent') {
      // never answers
    } else if (path === '/reset-after-head') {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      setTimeout(() => sock.resetAndDestroy(), 20);
    } else if (path === '/huge-head') {
      sock.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
    } else if (path === '/bad-framing') {
      sock.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    } else if (path === '/interim') {
      sock.write('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n');
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nafter interim');
    } else if (path === '/close-idle') {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nidle');
      setTimeout(() => sock.end(), 50);
    } else {
      sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    }
  });
});

let listening = 0;
const ports = {};
// A port nobody listens on (bound, then closed): connection refused.
const probe = net.createServer();
probe.listen(0, '127.0.0.1', () => {
  ports.closed = probe.address().port;
  probe.close();
});
const servers = [['http', plain], ['https', secure], ['expired', expired],
  ['selfsigned', selfSigned], ['raw', raw]];
for (const [name, s] of servers) {
  s.listen(0, '127.0.0.1', () => {
    ports[name] = s.address().port;
    if (++listening === servers.length) console.log(JSON.stringify(ports));
  });
}
