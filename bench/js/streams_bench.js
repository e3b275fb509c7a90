// Streams micro-benchmark, runnable by `torus run`, `node` and `deno run` (the same file, so
// all run the same code; Node and Deno have ReadableStream globally); bench/js/table.sh runs
// them in one go and prints a table. Each case is one whole operation over 10,000 chunks
// (a pull source enqueuing one small chunk per pull), calibrated to about 200 ms per round,
// 5 rounds; the median ns per operation is printed as one JSON line per case. Use a release
// (or bench) build of torus: the dev build has ASan.
const now = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();
const N = 10000;

function source(n = N) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < n) c.enqueue(i++);
      else c.close();
    },
  });
}
function byteSource(n = N, size = 1024) {
  let i = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      if (i++ < n) c.enqueue(new Uint8Array(size));
      else c.close();
    },
  });
}

const cases = {
  "read 10,000 chunks (default reader)": async () => {
    const reader = source().getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value;
    }
    return n;
  },
  "for await 10,000 chunks": async () => {
    let n = 0;
    for await (const v of source()) n += v;
    return n;
  },
  "pipeThrough identity TransformStream, 10,000 chunks": async () => {
    let n = 0;
    await source().pipeThrough(new TransformStream()).pipeTo(new WritableStream({
      write(v) { n += v; },
    }));
    return n;
  },
  "byte stream, 10,000 x 1 KiB chunks (default reader)": async () => {
    const reader = byteSource().getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
    }
    return n;
  },
  "tee, read both branches, 10,000 chunks": async () => {
    const [a, b] = source().tee();
    const drain = async (rs) => { let n = 0; for await (const v of rs) n += v; return n; };
    const [x, y] = await Promise.all([drain(a), drain(b)]);
    return x + y;
  },
};

let sink = 0;
async function measure(fn) {
  let n = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < n; i++) sink ^= (await fn()) ? 1 : 0;
    const dt = now() - t0;
    if (dt > 50) { n = Math.max(1, Math.round(n * 200 / dt)); break; }
    n *= 2;
  }
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    for (let i = 0; i < n; i++) sink ^= (await fn()) ? 1 : 0;
    rounds.push(((now() - t0) * 1e6) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2];
}

const runtime = typeof Deno !== "undefined" ? `deno ${Deno.version.deno}`
  : typeof process !== "undefined" && process.versions && process.versions.node
    ? `node ${process.versions.node}` : "torus";
for (const [name, fn] of Object.entries(cases)) {
  console.log(JSON.stringify({ runtime, case: name, ns: Math.round(await measure(fn)) }));
}
if (sink === 42) console.log("");
