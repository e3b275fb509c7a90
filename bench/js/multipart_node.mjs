// Node's side of the form-parsing benchmark: undici's Response#formData() on the same 1 MiB
// body as bench/js/multipart_bench.cc. Prints the median time per parse of 5 runs.
// Run by bench/js/multipart_vs_node.sh.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = readFileSync(fileURLToPath(new URL('./multipart_form.js', import.meta.url)), 'utf8');
const { body, contentType } = new Function(`${src}; return makeMultipartForm();`)();
const headers = { 'content-type': contentType };
const once = async () => {
  const fd = await new Response(body, { headers }).formData();
  if (fd.get('file3').size !== 240 * 1024 || fd.get('field63').length !== 1024) throw new Error('bad parse');
};
for (let i = 0; i < 20; i++) await once();
const runs = [];
for (let r = 0; r < 5; r++) {
  const n = 100;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  runs.push(Number(process.hrtime.bigint() - t0) / n / 1e3);
}
runs.sort((a, b) => a - b);
console.log(`node ${process.version} Response#formData, ${body.length} bytes: median ${runs[2].toFixed(1)} us/parse ` +
  `(${(body.length / runs[2]).toFixed(0)} MB/s), runs ${runs.map((x) => x.toFixed(1)).join(' ')}`);
