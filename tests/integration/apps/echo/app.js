// The integration tests' main app: one route per behaviour under test.
// fetch() itself is synchronous (plain Response for /hello and /sync); the other routes
// return promises, so both the sync and the async paths of the server are exercised.

let stash = null;  // a Request kept past its response (/stash, /read-stash)
let count = 0;

// No URL class yet: split "http://host/path?query" by hand.
function parse(url) {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  const rest = slash < 0 ? "/" : url.slice(slash);
  const q = rest.indexOf("?");
  const params = {};
  if (q >= 0) {
    for (const kv of rest.slice(q + 1).split("&")) {
      const eq = kv.indexOf("=");
      if (eq > 0) params[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return { path: q < 0 ? rest : rest.slice(0, q), params };
}

// FNV-1a, 32-bit: the tests compute the same over what they sent.
function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function handle(request, path, params, ctx) {
  switch (path) {
    case "/id":
      return new Response(`id=${params.id}\n`);
    case "/info":
      return Response.json({
        method: request.method,
        url: request.url,
        headers: [...request.headers],
        bodyUsed: request.bodyUsed,
      });
    case "/echo": {
      const body = await request.arrayBuffer();
      return new Response(body, {
        headers: { "content-type": request.headers.get("content-type") ?? "application/octet-stream" },
      });
    }
    case "/digest": {
      const bytes = new Uint8Array(await request.arrayBuffer());
      return Response.json({ length: bytes.length, fnv: fnv1a(bytes), bodyUsed: request.bodyUsed });
    }
    case "/text": {
      const text = await request.text();
      return Response.json({ length: text.length, text });
    }
    case "/json": {
      const value = await request.json();
      return Response.json({ got: value });
    }
    case "/big": {
      const n = Number(params.n ?? 1 << 20);
      return new Response(new Uint8Array(n).fill(0x61));
    }
    case "/status": {
      const status = Number(params.code);
      const nullBody = status === 204 || status === 205 || status === 304;
      return new Response(nullBody ? null : `status ${status}\n`, { status });
    }
    case "/slow": {
      const ms = Number(params.ms ?? 500);
      console.log(`slow start ${params.tag ?? ""}`);
      await sleep(ms);
      console.log(`slow end ${params.tag ?? ""}`);
      return new Response(`slept ${ms}\n`);
    }
    case "/slow-signal": {
      // The request's signal aborts when the client goes away; the handler's own timer is
      // cancelled with its request context, so "slow end" never comes for a reset client.
      const tag = params.tag ?? "";
      request.signal.addEventListener("abort", () =>
        console.log(`signal aborted ${tag} ${request.signal.reason.name}`));
      console.log(`slow start ${tag}`);
      await sleep(Number(params.ms ?? 500));
      console.log(`slow end ${tag}`);
      return new Response("slept\n");
    }
    case "/orphan-timer":
      // Not kept by waitUntil: the timer goes with the request's context.
      setTimeout(() => console.log(`orphan fired ${params.tag ?? ""}`), Number(params.ms ?? 200));
      return new Response("orphan set\n");
    case "/wait-until-request": {
      // waitUntil keeps the request's context: request and its timers stay usable after the
      // response is sent.
      const tag = params.tag ?? "";
      ctx.waitUntil((async () => {
        await sleep(Number(params.ms ?? 200));
        const body = await request.text();
        const header = request.headers.get("x-tag");
        await new Promise((resolve) => setTimeout(resolve, 50));
        console.log(`after response ${tag} ${request.method} ${new URL(request.url).pathname} ` +
                    `header=${header} body=${body}`);
      })());
      return new Response("responded\n");
    }
    case "/hang":
      console.log("hang start");
      await new Promise(() => {});
      return new Response("unreachable");
    case "/wait-until":
      ctx.waitUntil(sleep(Number(params.ms ?? 300)).then(() => console.log("waitUntil done")));
      return new Response("responded before waitUntil\n");
    case "/throw-async":
      await null;
      throw new TypeError("secret-internal-detail-async");
    case "/stray-rejection":
      // Answered, with a rejection nobody handles: logged with the request, not fatal.
      await null;
      Promise.reject(new RangeError("stray-rejection-marker"));
      return new Response("answered despite a stray rejection\n");
    case "/not-response":
      return { status: 200, body: "a plain object" };
    case "/immutable":
      try {
        request.headers.set("x-added", "1");
        return new Response("mutable\n");
      } catch (e) {
        return new Response(`${e.name}\n`);
      }
    case "/stash":
      stash = request;
      return new Response("stashed\n");
    case "/read-stash":
      try {
        const text = await stash.text();
        return new Response(`read ${text.length}\n`);
      } catch (e) {
        return new Response(`${e.name}\n`);
      }
    case "/framing": {
      // Framing headers from the app must not reach the wire: the server frames responses.
      const headers = new Headers({
        "content-length": "1000",
        "transfer-encoding": "chunked",
        "connection": "close",
        "keep-alive": "timeout=1",
        "x-kept": "yes",
      });
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2");
      return new Response("abc", { headers });
    }
    case "/status-text":
      // statusText reaches the status line as given (Latin-1 bytes, a valid reason-phrase).
      return new Response("teapot\n", { status: Number(params.code ?? 200),
                                         statusText: decodeURIComponent(params.text ?? "") });
    case "/body-blob":
      return new Response(new Blob(["blob ", new Uint8Array([0x62, 0x79, 0x74, 0x65, 0x73])],
                                   { type: "Text/Plain;Charset=UTF-8" }));
    case "/body-file":
      return new Response(new File(["file body"], "f.txt"));
    case "/body-formdata": {
      const fd = new FormData();
      fd.append("name", "v\u00e4lue");
      fd.append("upload", new File(["<data>"], "a.txt", { type: "text/plain" }));
      return new Response(fd);
    }
    case "/body-urlsearchparams":
      return new Response(new URLSearchParams([["a", "1 2"], ["b", "\u2603&"]]));
    case "/form-echo": {
      // The request's body parsed per its Content-Type, as [name, value or file info] pairs.
      const form = await request.formData();
      const out = [];
      for (const [k, v] of form) {
        out.push([k, typeof v === "string" ? v : { name: v.name, type: v.type, text: await v.text() }]);
      }
      return Response.json(out);
    }
    case "/request-info": {
      const signal = request.signal;
      return Response.json({
        mode: request.mode, credentials: request.credentials, cache: request.cache,
        redirect: request.redirect, referrer: request.referrer, destination: request.destination,
        signal: signal instanceof AbortSignal && !signal.aborted, sameSignal: signal === request.signal,
        duplex: request.duplex, body: request.body, keepalive: request.keepalive,
      });
    }
    case "/unicode":
      return new Response("h\u00e9llo \u2603\n");
    case "/count":
      return new Response(`${++count}\n`);
    default:
      return new Response("not found\n", { status: 404 });
  }
}

export default {
  fetch(request, env, ctx) {
    const { path, params } = parse(request.url);
    if (path === "/" || path === "/hello") {
      return new Response("Hello, world!\n", { headers: { "content-type": "text/plain" } });
    }
    if (path === "/sync") return new Response("sync\n", { headers: { "x-path": "sync" } });
    if (path === "/throw") throw new Error("secret-internal-detail-sync");
    if (path === "/undefined") return undefined;
    return handle(request, path, params, ctx);
  },
};
