// Streaming with torus: server-sent events, an upload echoed as it arrives, a gzip'ed
// download. Bodies are ReadableStreams end to end: nothing here holds a whole body, and a
// client that reads slowly (or goes away) throttles (or cancels) the stream.
//
//   torus serve examples/streaming
//   curl -N http://127.0.0.1:8080/events          # an event a second, a keep-alive comment every 15 s
//   curl -T big.iso http://127.0.0.1:8080/echo > copy.iso     # any size, in constant memory
//   curl -s http://127.0.0.1:8080/numbers.gz | gunzip | tail -1

const encoder = new TextEncoder();

function events(request) {
  let tick;
  let keepAlive;
  let n = 0;
  return new ReadableStream({
    start(controller) {
      const send = (text) => controller.enqueue(encoder.encode(text));
      send(`retry: 2000\n\n`);
      tick = setInterval(() => {
        n++;
        send(`id: ${n}\nevent: tick\ndata: ${JSON.stringify({ n, at: new Date().toISOString() })}\n\n`);
      }, Number(new URL(request.url).searchParams.get("every") ?? 1000));
      // Proxies and load balancers close idle connections: a comment line every 15 s keeps
      // this one open even when there is nothing to say.
      keepAlive = setInterval(() => send(": keep-alive\n\n"), 15_000);
    },
    cancel() {
      // The client went away: stop the timers (they would end with the request anyway).
      clearInterval(tick);
      clearInterval(keepAlive);
    },
  });
}

function numbers(count) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i >= count) {
        controller.close();
        return;
      }
      let text = "";
      for (const end = Math.min(i + 1000, count); i < end; i++) text += `${i}\n`;
      controller.enqueue(encoder.encode(text));
    },
  });
}

export default {
  fetch(request) {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/events":
        return new Response(events(request), {
          headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
        });
      case "/echo":
        return new Response(request.body, {
          headers: { "content-type": request.headers.get("content-type") ?? "application/octet-stream" },
        });
      case "/numbers.gz":
        return new Response(numbers(1_000_000).pipeThrough(new CompressionStream("gzip")), {
          headers: { "content-type": "text/plain", "content-encoding": "gzip" },
        });
      default:
        return new Response("try /events, /echo (PUT or POST a body) or /numbers.gz\n", {
          status: 404,
        });
    }
  },
};
