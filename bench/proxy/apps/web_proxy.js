// The proxy of bench/proxy in web-standard code, the same on torus, Deno and Bun (the Deno and
// Bun wrappers import it; torus serves it, or torus_return.js, directly). The upstream origin
// comes in the X-Upstream request header (wrk sends it on every request, to every server);
// the request's path is fetched from it with a plain GET and the upstream's answer returned:
//   passBody     const r = await fetch(...); return new Response(r.body, r)
//   returnFetch  return fetch(...)   (the fetch() Response itself)

function upstreamUrl(request) {
  const url = request.url;
  return request.headers.get("x-upstream") + url.slice(url.indexOf("/", 8));
}

export async function passBody(request) {
  const r = await fetch(upstreamUrl(request));
  return new Response(r.body, r);
}

export function returnFetch(request) {
  return fetch(upstreamUrl(request));
}

export default { fetch: passBody };
