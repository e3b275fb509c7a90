// The web platform at work: `torus serve examples/platform`, then try
//   curl 'http://127.0.0.1:8080/greet?name=Ada&lang=fr'
//   curl -F title=holiday -F photo=@README.md http://127.0.0.1:8080/upload
//   curl 'http://127.0.0.1:8080/clone?depth=3'
//   curl http://127.0.0.1:8080/encode/héllo
// Routing with URL and URLSearchParams, a multipart upload parsed by request.formData(),
// and answers built from values that went through structuredClone and TextEncoder.

const greetings = { en: "Hello", fr: "Bonjour", de: "Hallo", ja: "こんにちは" };

async function upload(request) {
  const form = await request.formData();
  const fields = {};
  const files = [];
  for (const [name, value] of form) {
    if (value instanceof File) {
      const bytes = new Uint8Array(await value.arrayBuffer());
      const digest = bytes.reduce((h, b) => (h * 31 + b) >>> 0, 7);
      files.push({ field: name, name: value.name, type: value.type, size: value.size, digest });
    } else {
      fields[name] = value;
    }
  }
  return Response.json({ fields, files });
}

function clone(url) {
  const depth = Math.min(Number(url.searchParams.get("depth") ?? 2), 10);
  let value = { leaf: new Date(0), tags: new Set(["a", "b"]), bytes: new Uint8Array([1, 2, 3]) };
  for (let i = 0; i < depth; i++) value = { level: i, child: value, map: new Map([[i, `#${i}`]]) };
  value.self = value;  // cycles survive structuredClone
  const copy = structuredClone(value);
  let d = 0;
  for (let v = copy; v.child; v = v.child) d++;
  return Response.json({
    depth: d,
    distinct: copy !== value,
    cycleKept: copy.self === copy,
    mapKept: copy.map instanceof Map && copy.map.get(depth - 1) === `#${depth - 1}`,
  });
}

function encode(url) {
  const text = decodeURIComponent(url.pathname.slice("/encode/".length));
  const bytes = new TextEncoder().encode(text);
  return Response.json({
    text,
    utf8: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" "),
    bytes: bytes.length,
    roundTrip: new TextDecoder().decode(bytes) === text,
  });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/greet") {
      const name = url.searchParams.get("name") ?? "world";
      const lang = url.searchParams.get("lang") ?? "en";
      const greeting = greetings[lang];
      if (!greeting) {
        const known = new URLSearchParams(Object.keys(greetings).map((l) => ["lang", l]));
        return new Response(`unknown lang; try ?${known}\n`, { status: 400 });
      }
      return new Response(`${greeting}, ${name}!\n`, {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (url.pathname === "/upload" && request.method === "POST") return upload(request);
    if (url.pathname === "/clone") return clone(url);
    if (url.pathname.startsWith("/encode/")) return encode(url);
    return new Response("routes: /greet?name=&lang=, POST /upload (multipart), /clone?depth=, /encode/TEXT\n",
      { status: 404 });
  },
};
