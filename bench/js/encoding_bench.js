// TextEncoder.encode / TextDecoder.decode throughput (MB/s of UTF-8) on 1 MiB inputs, ASCII
// and mixed (Latin-1, BMP and astral characters), plus encodeInto, atob and btoa. The same
// file runs under torus and Node, so the two are measured in the same run:
//   build/release/server/torus run bench/js/encoding_bench.js
//   node bench/js/encoding_bench.js
// Each case runs for about half a second per round; the median of five rounds is printed.
const now = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();
const runtime = typeof process !== "undefined" && process.versions && process.versions.node
  ? `node ${process.versions.node}` : "torus";

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// MB/s (10^6 bytes) of `bytes` processed per call of fn.
function measure(bytes, fn) {
  for (let i = 0; i < 5; i++) fn();  // warm-up
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const start = now();
    let elapsed = 0;
    do {
      fn();
      n++;
      elapsed = now() - start;
    } while (elapsed < 500);
    rounds.push((bytes * n) / (elapsed / 1000) / 1e6);
  }
  return median(rounds);
}

const MiB = 1 << 20;
const ascii = "The quick brown fox jumps over the lazy dog. 0123456789\n".repeat(MiB / 56 + 1)
  .slice(0, MiB);
const unit = "abcdefghij éèàü ÄÖÜß αβγδ ДЖЗИ 日本語テキスト 😀🚀 ";
let mixed = "";
while (new TextEncoder().encode(mixed).length < MiB) mixed += unit;

const enc = new TextEncoder();
const dec = new TextDecoder();
const asciiBytes = enc.encode(ascii);
const mixedBytes = enc.encode(mixed);
const into = new Uint8Array(mixedBytes.length + 16);
let latin1 = "";
for (let i = 0; i < 768 * 1024; i++) latin1 += String.fromCharCode(i & 255);
const b64 = btoa(latin1);

let sink = 0;
const rows = [
  ["TextEncoder.encode, ASCII", asciiBytes.length, () => { sink += enc.encode(ascii).length; }],
  ["TextEncoder.encode, mixed", mixedBytes.length, () => { sink += enc.encode(mixed).length; }],
  ["TextEncoder.encodeInto, mixed", mixedBytes.length, () => { sink += enc.encodeInto(mixed, into).written; }],
  ["TextDecoder.decode, ASCII", asciiBytes.length, () => { sink += dec.decode(asciiBytes).length; }],
  ["TextDecoder.decode, mixed", mixedBytes.length, () => { sink += dec.decode(mixedBytes).length; }],
  ["btoa (768 KiB in)", latin1.length, () => { sink += btoa(latin1).length; }],
  ["atob (1 MiB in)", b64.length, () => { sink += atob(b64).length; }],
];
console.log(`# ${runtime}`);
for (const [name, bytes, fn] of rows) {
  console.log(`${name.padEnd(32)} ${measure(bytes, fn).toFixed(0).padStart(7)} MB/s`);
}
if (sink === 0) console.log("");
