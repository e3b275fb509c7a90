// The proxy of the fetch tests: examples/proxy's forwarding, plus routes that check what a
// request context does with fetches it started.
const upstream = (request) => request.headers.get("x-upstream");

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/unread") {
      // Starts a fetch whose body nobody reads: it is cancelled when this request ends.
      const r = await fetch(upstream(request) + "/big?bytes=100000000");
      return new Response(`status ${r.status}`);
    }
    if (url.pathname === "/after") {
      // A fetch in waitUntil after the response: the context lives until it is done.
      ctx.waitUntil(fetch(upstream(request) + "/text").then((r) => r.text()).then((t) => {
        console.log(`waitUntil fetch got ${t}`);
      }));
      return new Response("sent first");
    }
    if (url.pathname === "/many") {
      // n concurrent fetches from this one request.
      const n = +url.searchParams.get("n");
      const all = [];
      for (let i = 0; i < n; i++) all.push(fetch(upstream(request) + "/text").then((r) => r.text()));
      const settled = await Promise.allSettled(all);
      const ok = settled.filter((s) => s.status === "fulfilled" && s.value === "hello").length;
      const failed = settled.find((s) => s.status === "rejected");
      return new Response(failed ? `${ok} ok; ${failed.reason.message}` : `${ok}`);
    }
    if (url.pathname === "/probe") {
      // What a failed fetch says: message | cause | stage.
      try {
        const r = await fetch(upstream(request) + url.searchParams.get("path"));
        return new Response(`ok ${r.status} ${await r.text()}`);
      } catch (e) {
        return new Response(`${e.constructor.name}: ${e.message} | ${e.cause?.message} | ${e.cause?.stage}`);
      }
    }
    if (url.pathname === "/text-through") {
      const r = await fetch(upstream(request) + "/text");
      return new Response(`proxied: ${await r.text()}`);
    }
    return fetch(new Request(upstream(request) + url.pathname + url.search, request));
  },
};
