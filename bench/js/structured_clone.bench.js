// structuredClone of a 100-key object, the same file under `torus run` and `node`:
//   build/release/server/torus run bench/js/structured_clone.bench.js
//   node bench/js/structured_clone.bench.js
// Prints the median of 7 rounds, in ns per clone.
const obj = {};
for (let i = 0; i < 100; i++) {
  obj[`key${i}`] = i % 3 === 0 ? i : i % 3 === 1 ? `value ${i}` : { n: i, ok: true };
}
const rounds = [];
const N = 20000;
let sink = 0;
for (let i = 0; i < 2000; i++) sink += Object.keys(structuredClone(obj)).length;  // warm-up
for (let r = 0; r < 7; r++) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sink += structuredClone(obj).key0;
  rounds.push(((performance.now() - t0) * 1e6) / N);
}
rounds.sort((a, b) => a - b);
const runtime = typeof navigator !== "undefined" && navigator.userAgent ? navigator.userAgent
  : `node/${process.versions.node}`;
console.log(`${runtime}: structuredClone(100-key object) median ${rounds[3].toFixed(0)} ns/clone (${sink > 0 ? "ok" : ""})`);
