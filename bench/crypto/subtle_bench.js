// crypto.subtle throughput, one case per process: the same module runs under torus, Bun, Deno
// and Node. bench/crypto/run.py writes an entry module per run,
//   import { main } from ".../subtle_bench.js"; await main(CASE, MS);
// (torus run takes no arguments), which warms the case up, runs it for MS milliseconds of
// wall time and prints one JSON line: {"case": CASE, "ops": N, "seconds": S}. CASE "none"
// does nothing: the runtime's start-up cost, which run.py subtracts from each run's CPU time.
const subtle = crypto.subtle;
const enc = new TextEncoder();

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
function fromB64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Each returns the operation to repeat (an async function).
const cases = {
  async none() {
    return async () => {};
  },
  async "digest-sha256-1k"() {
    const data = crypto.getRandomValues(new Uint8Array(1024));
    return () => subtle.digest("SHA-256", data);
  },
  async "aes256gcm-64k"() {
    const key = await subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    const data = new Uint8Array(65536);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    return () => subtle.encrypt({ name: "AES-GCM", iv }, key, data);
  },
  async "ecdsa-p256-sign"() {
    const { privateKey } = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false,
      ["sign", "verify"]);
    const data = enc.encode("a JWT header and payload of ordinary length, say a hundred bytes");
    return () => subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, data);
  },
  async "ecdsa-p256-verify"() {
    const { privateKey, publicKey } = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" },
      false, ["sign", "verify"]);
    const data = enc.encode("a JWT header and payload of ordinary length, say a hundred bytes");
    const sig = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, data);
    return async () => {
      if (!await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, sig, data)) {
        throw new Error("verify failed");
      }
    };
  },
  async "ed25519-sign"() {
    const { privateKey } = await subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const data = enc.encode("a JWT header and payload of ordinary length, say a hundred bytes");
    return () => subtle.sign("Ed25519", privateKey, data);
  },
  async "ed25519-verify"() {
    const { privateKey, publicKey } = await subtle.generateKey({ name: "Ed25519" }, false,
      ["sign", "verify"]);
    const data = enc.encode("a JWT header and payload of ordinary length, say a hundred bytes");
    const sig = await subtle.sign("Ed25519", privateKey, data);
    return async () => {
      if (!await subtle.verify("Ed25519", publicKey, sig, data)) throw new Error("verify failed");
    };
  },
  // What a JWT library does per request with an HS256 token and an imported key: split,
  // decode the signature, verify over header.payload, parse the payload.
  async "jwt-hs256-verify"() {
    const secret = enc.encode("a shared secret of thirty-two by");
    const key = await subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false,
      ["sign", "verify"]);
    const header = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
    const payload = b64url(enc.encode(JSON.stringify({ sub: "1234567890", name: "Jane",
      iat: 1700000000, exp: 1900000000, scope: "read write" })));
    const signed = `${header}.${payload}`;
    const token = `${signed}.${b64url(await subtle.sign("HMAC", key, enc.encode(signed)))}`;
    return async () => {
      const [h, p, s] = token.split(".");
      const ok = await subtle.verify("HMAC", key, fromB64url(s), enc.encode(`${h}.${p}`));
      if (!ok) throw new Error("verify failed");
      const claims = JSON.parse(new TextDecoder().decode(fromB64url(p)));
      if (claims.exp < Date.now() / 1000) throw new Error("expired");
    };
  },
};

export const caseNames = Object.keys(cases);

export async function main(name, ms) {
  const make = cases[name];
  if (!make) throw new Error(`unknown case ${name}; cases: ${caseNames.join(", ")}`);
  const op = await make();
  const run = async (untilMs) => {
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < untilMs) {
      // Batches of 16 amortize the clock read.
      for (let i = 0; i < 16; i++) await op();
      ops += 16;
      now = performance.now();
    }
    return { ops, seconds: (now - start) / 1000 };
  };
  if (name !== "none") await run(Math.min(300, ms / 4));
  const result = name === "none" ? { ops: 0, seconds: 0 } : await run(ms);
  console.log(JSON.stringify({ case: name, ...result }));
}
