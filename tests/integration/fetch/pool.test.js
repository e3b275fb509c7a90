// The per-worker connection pool: reuse, a peer that closes an idle connection, many at once.
import { test, assert, equal, done } from "../js/assert.js";

const ports = await (await fetch("/ports")).json();
const raw = `http://127.0.0.1:${ports.raw}`;

await test("sequential requests reuse one connection", async () => {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await (await fetch("/conn")).text());
  equal(new Set(ids).size, 1, `one connection: ${ids}`);
});

await test("a pooled connection the peer closed is not used again", async () => {
  equal(await (await fetch(`${raw}/close-idle`)).text(), "idle");
  await new Promise((r) => setTimeout(r, 150));
  equal(await (await fetch(`${raw}/close-idle`)).text(), "idle");
});

await test("a 421 is sent again once, on a new connection", async () => {
  // The first answer on any connection is 421: the first try reuses the pooled connection
  // of /conn, the retry opens one and is answered 421 too, and that is returned (no second
  // retry).
  const before = +(await (await fetch("/conn")).text());
  const r = await fetch("/misdirected", { method: "POST", body: "x" });
  equal(r.status, 421);
  equal(+r.headers.get("x-conn"), before + 1, "the retry used a new connection");
});

await test("1,000 concurrent fetches complete", async () => {
  const all = [];
  for (let i = 0; i < 1000; i++) all.push(fetch("/text").then((r) => r.text()));
  const texts = await Promise.all(all);
  equal(texts.length, 1000);
  assert(texts.every((t) => t === "hello"));
  const stats = await (await fetch("/stats")).json();
  assert(stats.connections <= 300, `connections bounded by the per-origin cap: ${stats.connections}`);
});

await test("an unread body does not stop the next request", async () => {
  const r = await fetch("/big?bytes=10000000");
  equal(r.status, 200);
  await r.body.cancel();
  equal(await (await fetch("/text")).text(), "hello");
});

done();
