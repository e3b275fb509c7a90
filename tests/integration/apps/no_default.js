// Startup must fail: there is no default export.
export function fetch(request) {
  return new Response("named export only");
}
