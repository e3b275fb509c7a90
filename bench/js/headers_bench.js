// Headers micro-benchmark, runnable by `torus run`, `node` and `deno run` (the same file, so
// all run the same loops); bench/js/table.sh runs them in one go and prints a table.
// The header list is 20 headers, like a browser's request. Each case is calibrated to about
// 200 ms per round, 5 rounds; the median ns/op is printed as one JSON line per case. Use a
// release (or bench) build of torus: the dev build has ASan.
const now = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

const names = ["accept", "accept-encoding", "accept-language", "cache-control", "connection",
  "cookie", "host", "pragma", "referer", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
  "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user",
  "upgrade-insecure-requests", "user-agent", "x-forwarded-for", "x-request-id"];
const record = {};
names.forEach((n, i) => { record[n] = `value-${i}-${"x".repeat(i)}`; });
const h = new Headers(record);

const cases = {
  "for..of entries (20 headers)": () => {
    let n = 0;
    for (const [k, v] of h) n += k.length + v.length;
    return n;
  },
  "forEach (20 headers)": () => {
    let n = 0;
    h.forEach((v, k) => { n += k.length + v.length; });
    return n;
  },
  "get() x 5": () => h.get("user-agent").length + h.get("Accept").length +
    h.get("host").length + h.get("cookie").length + (h.get("missing") === null ? 1 : 0),
  "new Headers(record of 20)": () => new Headers(record),
  "set + iterate (cache invalidated)": (() => {
    let i = 0;
    return () => {
      h.set("x-request-id", (i++ & 1) ? "a" : "b");
      let n = 0;
      for (const [k] of h) n += k.length;
      return n;
    };
  })(),
};

let sink = 0;
function measure(fn) {
  let n = 100;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < n; i++) sink ^= fn() ? 1 : 0;
    const dt = now() - t0;
    if (dt > 50) { n = Math.max(1, Math.round(n * 200 / dt)); break; }
    n *= 4;
  }
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    for (let i = 0; i < n; i++) sink ^= fn() ? 1 : 0;
    rounds.push(((now() - t0) * 1e6) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2];
}

const runtime = typeof Deno !== "undefined" ? `deno ${Deno.version.deno}`
  : typeof process !== "undefined" && process.versions && process.versions.node
    ? `node ${process.versions.node}` : "torus";
for (const [name, fn] of Object.entries(cases)) {
  console.log(JSON.stringify({ runtime, case: name, ns: Math.round(measure(fn)) }));
}
if (sink === 42) console.log("");
