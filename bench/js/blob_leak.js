// A million Blob, File and FormData constructions each, in rounds of 250k with a turn of the
// loop between them; bench/js/blob_leak.py samples the process's RSS after every round.
const N = 1_000_000;
const ROUNDS = 4;
const kinds = {
  blob: () => new Blob(["x"]),
  file: () => new File(["x"], "f.txt", { type: "text/plain" }),
  formdata: () => {
    const fd = new FormData();
    fd.append("a", "b");
    fd.append("f", new Blob(["x"]));
    return fd;
  },
};
for (const [name, make] of Object.entries(kinds)) {
  for (let r = 1; r <= ROUNDS; r++) {
    for (let i = 0; i < N / ROUNDS; i++) make();
    await new Promise((resolve) => setTimeout(resolve, 20));
    console.log(`${name} ${(r * N) / ROUNDS}`);
  }
}
console.log("end");
