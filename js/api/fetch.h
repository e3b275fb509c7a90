// The native half of fetch() (https://fetch.spec.whatwg.org/#fetch-method): one HTTP hop on
// the worker's net::HttpClient. The Fetch Standard's algorithm (Request construction, data:
// and blob: URLs, redirects, abort, decoding, the Response) is js/builtins/56_fetch.js; it
// calls these natives:
//   requestParts(request) -> [method, url, headers, body, redirect, signal, keepalive]
//       (Request::fetchParts), undefined when request is not a Request.
//   fetchUrl(input, base?) -> [href, protocol, hostname, port, target, host, credentials]
//       or null; fetchDataUrl(href) -> [mimeType, Uint8Array] or null.
//   fetchStart(https, host, port, method, target, headers, body, length, retryable,
//              timeoutMs, origin, done, freshConnection)
//       -> [call, Promise<[status, statusText, Location, Content-Encoding]>]
//       headers: a flat array of ByteStrings [name, value, ...]; body: null, a Uint8Array,
//       or true for a stream written through fetchBodyWriter(call); length: its
//       Content-Length or -1; done(): called once the call has finished (body read,
//       failed or cancelled). Throws a TypeError when the request cannot start (over the
//       worker's in-flight and queue caps, a header that cannot be sent, no client).
//   fetchBodyWriter(call) -> BodyWriter for 55_body.js's pumpBody (the request body).
//   fetchBodyStream(call) -> the response body as a byte stream (to decode it).
//   fetchAbort(call, reason): stops the hop at whatever stage (DNS, connect, TLS, sending,
//       waiting for the head, reading the body) and frees what it held; a pending head
//       promise rejects with reason, a body being read errors with it (undefined: the
//       body of a redirect is dropped).
//   fetchResponse(call | null, status, statusText, headers, url, redirected, body, decoded)
//       -> Response: type "basic", immutable headers (a flat list, or undefined for the
//       call's own, without Content-Encoding and Content-Length when decoded); body:
//       undefined for the call's response, a ReadableStream (a decoded body), a
//       Uint8Array (whole bytes), or null (none).
// A failure rejects with a TypeError "fetch failed: <what>" whose cause is an Error with
// the same message and `stage` ("dns", "connect", "tls", "send", "head", "body").
//
// Lifetime: a call is owned by its wrapper, kept strong while a promise or a settlement is
// pending, then held by its Response (a traced slot) and by a body stream's reader. It joins
// its request's cancel list: a response body nobody reads is cancelled when its request
// context ends. A collected call closes its exchange.
//
// Thread: the isolate's.
#pragma once

namespace torus::js {

class Natives;

void addFetchNatives(Natives& natives);

}  // namespace torus::js
