// Leak check for the platform classes: N constructions of each (a million by default), in
// rounds with a turn of the loop between them (so timers, microtasks and second-pass weak
// callbacks run); bench/js/leak.py samples the process's RSS after every round.
//   torus run bench/js/leak.js [N] [rounds] [kind,...]
// Prints "<kind> <count>" after each round, a line "time <kind> <ms>" per kind, and "end".
const args = globalThis.__leakArgs ?? [];
const N = Number(args[0] ?? 1_000_000);
const ROUNDS = Number(args[1] ?? 4);
const blob = new Blob(["x"]);
const kinds = {
  URL: () => new URL("https://example.com/a/b?c=d#e"),
  URLSearchParams: () => new URLSearchParams("a=1&b=2"),
  Headers: () => new Headers({ "content-type": "text/plain", "x-a": "1" }),
  Request: () => new Request("https://example.com/", { method: "POST", body: "x" }),
  Response: () => new Response("hello", { status: 201, headers: { "x-a": "1" } }),
  Blob: () => new Blob(["x"]),
  File: () => new File(["x"], "f.txt", { type: "text/plain" }),
  FormData: () => {
    const fd = new FormData();
    fd.append("a", "b");
    fd.append("f", blob);
    return fd;
  },
  Event: () => new Event("x", { cancelable: true }),
  CustomEvent: () => new CustomEvent("x", { detail: 1 }),
  EventTarget: () => {
    const t = new EventTarget();
    t.addEventListener("x", () => t);
    return t;
  },
  AbortController: () => {
    const c = new AbortController();
    c.abort();
    return c;
  },
  TextEncoder: typeof TextEncoder === "function" ? () => new TextEncoder() : undefined,
  TextDecoder: typeof TextDecoder === "function" ? () => new TextDecoder() : undefined,
  DOMException: () => new DOMException("m", "AbortError"),
  structuredClone: () => structuredClone({ a: 1, b: [1, 2], c: "s" }),
};
const only = args[2] ? new Set(String(args[2]).split(",")) : null;
for (const [name, make] of Object.entries(kinds)) {
  if (make === undefined || (only && !only.has(name))) continue;
  let ms = 0;
  for (let r = 1; r <= ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N / ROUNDS; i++) make();
    ms += performance.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, 20));
    console.log(`${name} ${(r * N) / ROUNDS}`);
  }
  console.log(`time ${name} ${Math.round(ms)}`);
}
console.log("end");
