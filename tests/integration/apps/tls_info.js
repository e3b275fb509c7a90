// What the HTTPS tests read back: the request's URL and its TLS metadata (request.cf).
export default {
  fetch(request) {
    return Response.json({ url: request.url, cf: request.cf });
  },
};
