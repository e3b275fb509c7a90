// A reverse proxy: every request is forwarded as it is to the upstream origin and the
// upstream's response is returned as it is; both bodies stream (backpressure reaches both
// sockets). The upstream is the UPSTREAM constant below, or the X-Upstream request header
// when present (the tests and the proxy benchmark use it).
//
//   torus serve examples/streaming --listen 127.0.0.1:8081 &     # an upstream
//   torus serve examples/proxy
//   curl -N http://127.0.0.1:8080/events                          # SSE through the proxy
//   curl -T big.iso http://127.0.0.1:8080/echo > copy.iso          # both bodies stream
const UPSTREAM = "http://127.0.0.1:8081";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const origin = request.headers.get("x-upstream") ?? UPSTREAM;
    return fetch(new Request(origin + url.pathname + url.search, request));
  },
};
