export default { async fetch() {
  const k = await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1,0,1]), hash: "SHA-256" }, true, ["sign"]);
  return new Response(String((await crypto.subtle.exportKey("spki", k.publicKey)).byteLength));
} };
