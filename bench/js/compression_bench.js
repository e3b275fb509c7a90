// CompressionStream throughput, runnable by `torus run`, `node` and `deno run` (the same file);
// bench/js/table.sh runs all three in one go and prints a table of median ns per op:
//   bench/js/table.sh bench/js/compression_bench.js
// One op pipes 64 MiB of compressible text (words, in 64 KiB chunks) through
// pipeThrough(new CompressionStream("gzip")) and reads it all; 5 rounds, median. Also
// prints the median as MB/s (1 MB = 10^6 bytes) on stderr. Use a release (or bench) build of
// torus: the dev build has ASan.
const now = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

const kTotal = 64 << 20;
const kChunk = 64 << 10;
const words = "the quick brown fox jumps over the lazy dog; stream torus gzip chunk body\n";
const chunk = new TextEncoder().encode(words.repeat(Math.ceil(kChunk / words.length)).slice(0, kChunk));

function source(total) {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      // A copy per chunk, as bytes from a socket would be.
      controller.enqueue(chunk.slice());
      sent += kChunk;
    },
  });
}

async function drain(readable) {
  let n = 0;
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return n;
    n += value.byteLength;
  }
}

const cases = {
  "gzip CompressionStream, 64 MiB text": () => drain(source(kTotal).pipeThrough(new CompressionStream("gzip"))),
  "gunzip DecompressionStream, 64 MiB text": (() => {
    let compressed;
    return async () => {
      if (!compressed) {
        const parts = [];
        const reader = source(kTotal).pipeThrough(new CompressionStream("gzip")).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parts.push(value);
        }
        compressed = parts;
      }
      let i = 0;
      const rs = new ReadableStream({
        pull(c) { if (i < compressed.length) c.enqueue(compressed[i++]); else c.close(); },
      });
      return drain(rs.pipeThrough(new DecompressionStream("gzip")));
    };
  })(),
};

const runtime = typeof Deno !== "undefined" ? `deno ${Deno.version.deno}`
  : typeof process !== "undefined" && process.versions && process.versions.node
    ? `node ${process.versions.node}` : "torus";
for (const [name, fn] of Object.entries(cases)) {
  await fn();  // warm-up
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    await fn();
    rounds.push(now() - t0);
  }
  rounds.sort((a, b) => a - b);
  const ms = rounds[2];
  console.log(JSON.stringify({ runtime, case: name, ns: Math.round(ms * 1e6) }));
  console.error(`${runtime}: ${name}: ${(kTotal / 1e6 / (ms / 1000)).toFixed(1)} MB/s (input)`);
}
