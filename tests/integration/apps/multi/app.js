// One module served as several apps (tests/integration/apps_test.py): each instance says
// which app it is (env.NAME), which isolate (an id drawn at import) and its code version.
const id = Math.random().toString(36).slice(2);
const VERSION = 1;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path.endsWith("/spin")) for (;;) {}
    if (path.endsWith("/grow")) {
      const hoard = [];
      for (;;) hoard.push(new Array(100000).fill(1.5));
    }
    if (path.endsWith("/size")) return Response.json({ size: (await request.arrayBuffer()).byteLength });
    if (path.endsWith("/slow")) {
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("ms") ?? 2000)));
    }
    return Response.json({ app: env.NAME, id, version: VERSION, path });
  },
};
