// URL and URLSearchParams micro-benchmark, runnable by `torus run` and by `node` (the same
// file, so both run the same loops). bench/js/table.sh runs them all and prints them side
// by side. Each case runs for about 200 ms per round, 5 rounds; the median ns/op is printed
// as one JSON line per case. Use a release build: the dev build has ASan.
const now = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

const typical = "https://user:pass@sub.example.com:8080/p/a/t/h?query=string&a=1#hash";
const cases = {
  "parse absolute": () => new URL(typical),
  "parse relative + base": () => new URL("../x/y?z=1", "https://example.com/a/b/c"),
  "parse IDNA host": () => new URL("https://bücher.example/straße"),
  "URL.canParse": () => URL.canParse(typical),
  "getters (all 11)": (() => {
    const u = new URL(typical);
    return () => u.href.length + u.origin.length + u.protocol.length + u.username.length +
      u.password.length + u.host.length + u.hostname.length + u.port.length +
      u.pathname.length + u.search.length + u.hash.length;
  })(),
  "setters (pathname, search, hash)": (() => {
    const u = new URL(typical);
    let i = 0;
    return () => {
      u.pathname = (i & 1) ? "/a/b" : "/c/d";
      u.search = (i & 1) ? "?x=1" : "?y=2";
      u.hash = (i++ & 1) ? "one" : "two";
    };
  })(),
  "URLSearchParams parse + toString": () => new URLSearchParams("a=1&b=two+words&c=%C3%A9").toString(),
  "searchParams.append (live)": (() => {
    const u = new URL("https://example.com/?a=1");
    let i = 0;
    return () => {
      u.searchParams.append("k", "v");
      if ((++i & 15) === 0) u.search = "?a=1";
    };
  })(),
};

let sink = 0;
function measure(fn) {
  // Calibrate to ~200 ms, then 5 rounds.
  let n = 1000;
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

const runtime = typeof process !== "undefined" && process.versions && process.versions.node
  ? `node ${process.versions.node}` : "torus";
for (const [name, fn] of Object.entries(cases)) {
  console.log(JSON.stringify({ runtime, case: name, ns: Math.round(measure(fn)) }));
}
if (sink === 42) console.log("");
