// CompressionStream and DecompressionStream (Compression Standard), TextEncoderStream and
// TextDecoderStream (Encoding Standard). Interop with gzip and node's zlib is checked by
// js_test.py (fixtures/compression_gzip_out.js).
import { test, assert, equal, deepEqual, throws, rejects, done } from "./assert.js";

const formats = ["gzip", "deflate", "deflate-raw"];

function streamOf(chunks) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

async function collect(readable) {
  const parts = [];
  let size = 0;
  for (const reader = readable.getReader(); ;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { bytes: out, parts };
}

// A large, compressible body: 8 MiB of words, in 256 KiB chunks.
const words = "stream torus deflate gzip chunk of the body \n";
const text = words.repeat(Math.ceil((8 << 20) / words.length)).slice(0, 8 << 20);
const body = new TextEncoder().encode(text);
const bodyChunks = [];
for (let at = 0; at < body.length; at += 256 << 10) bodyChunks.push(body.subarray(at, at + (256 << 10)));

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

await test("interfaces are WebIDL-shaped", () => {
  for (const name of ["CompressionStream", "DecompressionStream", "TextEncoderStream", "TextDecoderStream"]) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    deepEqual([d.writable, d.enumerable, d.configurable], [true, false, true], name);
    throws(() => globalThis[name](), TypeError);
    assert(Object.getOwnPropertyDescriptor(globalThis[name].prototype, "readable").enumerable, name);
  }
  equal(Object.prototype.toString.call(new CompressionStream("gzip")), "[object CompressionStream]");
  throws(() => new CompressionStream("brotli2"), TypeError, /parameter 1.*CompressionFormat/);
  throws(() => new DecompressionStream(), TypeError, /1 argument required/);
  throws(() => new CompressionStream("GZIP"), TypeError);
  const cs = new CompressionStream("deflate");
  assert(cs.readable instanceof ReadableStream);
  assert(cs.writable instanceof WritableStream);
  equal(cs.readable, cs.readable);
  throws(() => Object.getOwnPropertyDescriptor(CompressionStream.prototype, "readable").get.call({}),
    TypeError, /Illegal invocation/);
});

for (const format of formats) {
  await test(`a large body round-trips through ${format}`, async () => {
    const compressed = await collect(streamOf(bodyChunks).pipeThrough(new CompressionStream(format)));
    assert(compressed.bytes.length < body.length / 10, `compresses (${compressed.bytes.length})`);
    assert(compressed.parts.every((p) => p instanceof Uint8Array && p.length <= 65536), "bounded chunks");
    const out = await collect(streamOf(bodyChunks)
      .pipeThrough(new CompressionStream(format))
      .pipeThrough(new DecompressionStream(format)));
    assert(out.parts.every((p) => p.length <= 65536), "bounded output chunks");
    assert(sameBytes(out.bytes, body), `same bytes back (${out.bytes.length})`);
  });
}

await test("a body split at every byte decompresses", async () => {
  const small = new TextEncoder().encode("hello hello hello compression");
  const gz = (await collect(streamOf([small]).pipeThrough(new CompressionStream("gzip")))).bytes;
  const bytewise = [...gz].map((b) => new Uint8Array([b]));
  const out = await collect(streamOf(bytewise).pipeThrough(new DecompressionStream("gzip")));
  equal(new TextDecoder().decode(out.bytes), "hello hello hello compression");
});

await test("corrupt input rejects with a TypeError", async () => {
  const gz = (await collect(streamOf([body.subarray(0, 10000)]).pipeThrough(new CompressionStream("gzip")))).bytes;
  const bad = gz.slice();
  bad[bad.length - 6] ^= 0xff;  // the CRC-32
  await rejects(collect(streamOf([bad]).pipeThrough(new DecompressionStream("gzip"))), TypeError);
  await rejects(collect(streamOf([new Uint8Array([1, 2, 3, 4])]).pipeThrough(new DecompressionStream("deflate"))),
    TypeError, /incorrect header check/);
  // Truncated: an error at the end.
  await rejects(collect(streamOf([gz.subarray(0, gz.length - 4)]).pipeThrough(new DecompressionStream("gzip"))),
    TypeError, /ended before the end/);
  // Trailing garbage after the end of the stream.
  const extra = new Uint8Array([...gz, 0]);
  await rejects(collect(streamOf([extra]).pipeThrough(new DecompressionStream("gzip"))), TypeError, /Junk/);
  // A chunk that is not a BufferSource.
  const cs = new CompressionStream("gzip");
  const writer = cs.writable.getWriter();
  const read = cs.readable.getReader().read();  // the write waits for a read, as in a TransformStream
  await rejects(writer.write("text"), TypeError, /not of type/);
  await rejects(read, TypeError);
});

await test("an inflate bomb is paced by the reader", async () => {
  // 64 MiB of zeros compresses to ~64 KiB; the reader takes one chunk at a time.
  const zeros = new Uint8Array(1 << 20);
  const bombed = await collect(streamOf(Array(64).fill(zeros)).pipeThrough(new CompressionStream("deflate")));
  const ds = new DecompressionStream("deflate");
  const writer = ds.writable.getWriter();
  const written = writer.write(bombed.bytes);
  writer.close();
  const reader = ds.readable.getReader();
  let total = 0;
  let settled = false;
  written.then(() => { settled = true; });
  const first = await reader.read();
  total += first.value.length;
  await new Promise((r) => setTimeout(r, 10));
  assert(!settled, "the write waits for the reader while output remains");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    assert(value.length <= 65536);
    total += value.length;
  }
  equal(total, 64 << 20);
});

await test("TextEncoderStream joins surrogate pairs split across chunks", async () => {
  const lead = "\u{1F499}"[0], trail = "\u{1F499}"[1];
  const out = await collect(streamOf(["a", lead, trail + "b", lead]).pipeThrough(new TextEncoderStream()));
  deepEqual([...out.bytes], [0x61, 0xf0, 0x9f, 0x92, 0x99, 0x62, 0xef, 0xbf, 0xbd]);
  equal(new TextEncoderStream().encoding, "utf-8");
});

await test("TextDecoderStream decodes across chunks", async () => {
  const bytes = new TextEncoder().encode("\uFEFFzé€\u{1F499}");
  const chunks = [...bytes].map((b) => new Uint8Array([b]));
  const reader = streamOf(chunks).pipeThrough(new TextDecoderStream()).getReader();
  let s = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    equal(typeof value, "string");
    assert(value.length > 0, "no empty chunks");
    s += value;
  }
  equal(s, "zé€\u{1F499}");
  const d = new TextDecoderStream("latin1", { fatal: true, ignoreBOM: true });
  deepEqual([d.encoding, d.fatal, d.ignoreBOM], ["windows-1252", true, true]);
  throws(() => new TextDecoderStream("nope"), RangeError);
  await rejects(collect(streamOf([new Uint8Array([0xff])]).pipeThrough(new TextDecoderStream("utf-8", { fatal: true }))),
    TypeError);
  // A whole body through gzip and back into text.
  const round = streamOf(bodyChunks.slice(0, 4))
    .pipeThrough(new CompressionStream("gzip"))
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new TextDecoderStream());
  let back = "";
  for (const r = round.getReader(); ;) {
    const { value, done } = await r.read();
    if (done) break;
    back += value;
  }
  equal(back, text.slice(0, 1 << 20));
});

done();
