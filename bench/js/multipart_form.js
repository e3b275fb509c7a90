// The 1 MiB multipart/form-data body of the form-parsing benchmark, built the same way by
// torus (bench/js/multipart_bench.cc evaluates this file) and by Node
// (bench/js/multipart_node.mjs): 64 text fields of 1 KiB and 4 files of 240 KiB of
// pseudo-random bytes (a fixed LCG, so both sides parse identical bytes).
function makeMultipartForm() {
  const boundary = '----formdata-bench-0123456789abcdef';
  const enc = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const chunks = [];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (let i = 0; i < 64; i++) {
    chunks.push(enc(`--${boundary}\r\nContent-Disposition: form-data; name="field${i}"\r\n\r\n` +
      'v'.repeat(1024) + '\r\n'));
  }
  for (let i = 0; i < 4; i++) {
    chunks.push(enc(`--${boundary}\r\nContent-Disposition: form-data; name="file${i}"; ` +
      `filename="f${i}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    const data = new Uint8Array(240 * 1024);
    for (let k = 0; k < data.length; k++) data[k] = rand();
    chunks.push(data, enc('\r\n'));
  }
  chunks.push(enc(`--${boundary}--\r\n`));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const body = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    body.set(c, o);
    o += c.length;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
