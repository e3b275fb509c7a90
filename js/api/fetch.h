// The native half of fetch() (https://fetch.spec.whatwg.org/#fetch-method): one HTTP hop on
// the worker's net::HttpClient. The Fetch Standard's algorithm (Request construction, data:
// and blob: URLs, redirects, abort, decoding, the Response) is js/builtins/56_fetch.js; it
// calls these natives:
//   fetchStart(https, host, port, method, target, headers, body, length, retryable, timeoutMs)
//       -> [call, Promise<[status, statusText, headers]>]
//       headers: a flat array of ByteStrings [name, value, ...]; body: null, a Uint8Array,
//       or true for a stream written through fetchBodyWriter(call); length: its
//       Content-Length or -1. Throws a TypeError when the request cannot start (over the
//       worker's in-flight and queue caps, a header that cannot be sent, no client).
//   fetchBodyWriter(call) -> BodyWriter for 55_body.js's pumpBody (the request body).
//   fetchAbort(call, reason): stops the hop at whatever stage (DNS, connect, TLS, sending,
//       waiting for the head, reading the body) and frees what it held; a pending head
//       promise rejects with reason, a body being read errors with it.
//   fetchResponse(call | null, status, statusText, headers, url, redirected, stream)
//       -> Response: type "basic", immutable headers, body from the call's response (or
//       `stream` when it is a ReadableStream: a decoded body; null: no body).
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
