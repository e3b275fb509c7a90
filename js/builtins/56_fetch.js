// fetch() (https://fetch.spec.whatwg.org/#fetch-method): the Fetch Standard's algorithm over
// the natives of js/api/fetch.cc, which move one HTTP hop each on the worker's client.
//
// Here: the Request the call makes (its TypeErrors reject), the scheme fetch (data: URLs,
// blob: URLs from URL.createObjectURL's store (20_url.js), http: and https: through the
// client; anything else is a network error), HTTP-redirect
// fetch (follow at most 20, 301/302 POST and 303 become GET without a body, Location
// resolved against the current URL, Authorization dropped across origins, a stream body
// that cannot be sent again fails a 307/308), abort at any stage (the signal's reason
// rejects the promise, or errors the body), and Content-Encoding decoding (gzip, deflate,
// br) of the response body.
//
// Server deviations, as Deno, Node (undici) and workerd: redirect: "manual" returns the
// redirect response itself (status and Location visible), not an opaque-redirect filtered
// one; there is no CORS, no cookie jar, no cache. The framing and connection headers are
// the client's own (Host, Connection, Keep-Alive, Content-Length, Transfer-Encoding, TE,
// Trailer, Upgrade, Expect from the app are dropped), so that a proxy can forward a
// received request as it is. Accept (*/*), Accept-Encoding (gzip, deflate, br) and
// User-Agent (navigator.userAgent) are added when absent. A decoded response loses its
// Content-Encoding and Content-Length headers (as Bun does), so that returning it as it is
// (a proxy) sends what the headers say.
// Run lazily (js/builtins.h), on first use of its global:
// @lazy fetch
// @requires 12_abort.js
'use strict';

const { webidl, abort } = internals;
const { uncurry } = webidl.primordials;
const {
  requestParts, fetchUrl, fetchDataUrl, fetchStart, fetchBodyWriter, fetchAbort, fetchResponse,
  fetchBodyStream, fetchTimeoutMs, loadBuiltin, userAgent,
} = natives;

const RequestCtor = Request;
const TypeErrorCtor = TypeError;
const ArrayPrototypePush = uncurry(Array.prototype.push);
const StringPrototypeToLowerCase = uncurry(String.prototype.toLowerCase);
const StringPrototypeTrim = uncurry(String.prototype.trim);
const StringPrototypeSplit = uncurry(String.prototype.split);
const DateNow = Date.now;
const ArrayBufferIsView = ArrayBuffer.isView;
const RegExpPrototypeTest = uncurry(RegExp.prototype.test);
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const PromisePrototypeThen = uncurry(Promise.prototype.then);
const MapPrototypeGet = uncurry(Map.prototype.get);

const kRedirectModes = ['follow', 'error', 'manual'];
const kNullBodyStatus = { __proto__: null, 101: true, 103: true, 204: true, 205: true, 304: true };
const kRedirectStatus = { __proto__: null, 301: true, 302: true, 303: true, 307: true, 308: true };
// Framing and connection headers are the client's (see above).
const kDropped = {
  __proto__: null, host: true, connection: true, 'keep-alive': true, 'content-length': true,
  'transfer-encoding': true, te: true, trailer: true, upgrade: true, expect: true,
};
// https://fetch.spec.whatwg.org/#request-body-header-name
const kBodyHeaders = {
  __proto__: null, 'content-encoding': true, 'content-language': true,
  'content-location': true, 'content-type': true,
};
const kIdempotent = {
  __proto__: null, GET: true, HEAD: true, OPTIONS: true, PUT: true, DELETE: true, TRACE: true,
};
// https://fetch.spec.whatwg.org/#bad-port
const kBadPorts = { __proto__: null };
for (const p of [0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79,
  87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161,
  179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601,
  636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
  6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]) {
  kBadPorts[p] = true;
}
const kCodings = { __proto__: null, gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'brotli' };

function networkError(message, cause) {
  const e = new TypeErrorCtor('fetch failed: ' + message);
  if (cause !== undefined) ObjectDefineProperty(e, 'cause', { value: cause, writable: true, configurable: true });
  return e;
}

// The value of `name` in a request's flat [name, value, ...] header list (names are
// lowercase there), or undefined.
function findHeader(flat, name) {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === name) return flat[i + 1];
  }
  return undefined;
}

function origin(url) {
  return url[1] + '//' + url[5];
}

// https://fetch.spec.whatwg.org/#concept-scheme-fetch for data: URLs. A HEAD request gets
// a null body (main fetch: "request's method is `HEAD`" -> body null), whatever the scheme.
function dataResponse(href, method) {
  const parsed = fetchDataUrl(href);
  if (parsed === null) throw networkError('invalid data: URL');
  // Whole bytes: the Response makes a stream of them only if JS reads `body`.
  return fetchResponse(null, 200, 'OK', ['content-type', parsed[0]], href, false,
    method === 'HEAD' ? null : parsed[1]);
}

// https://fetch.spec.whatwg.org/#concept-scheme-fetch for blob: URLs (no range requests).
function blobResponse(method, href) {
  const blobUrls = internals.blobUrls;
  const blob = blobUrls === undefined ? undefined : MapPrototypeGet(blobUrls, href);
  if (method !== 'GET' || blob === undefined) {
    throw networkError(method !== 'GET' ? 'a blob: URL can only be fetched with GET'
      : 'no Blob is registered for ' + href);
  }
  const bytes = internals.blob.bytes(blob);
  return fetchResponse(null, 200, 'OK', ['content-length', '' + bytes.byteLength,
    'content-type', internals.blob.type(blob)], href, false, bytes);
}

// The headers one hop sends: the request's, without the client's own, with the defaults.
function hopHeaders(flat, host) {
  const out = ['host', host];
  let accept = false;
  let encoding = false;
  let agent = false;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i];
    if (kDropped[name] === true) continue;
    if (name === 'accept') accept = true;
    else if (name === 'accept-encoding') encoding = true;
    else if (name === 'user-agent') agent = true;
    ArrayPrototypePush(out, name, flat[i + 1]);
  }
  if (!accept) ArrayPrototypePush(out, 'accept', '*/*');
  if (!encoding) ArrayPrototypePush(out, 'accept-encoding', 'gzip, deflate, br');
  if (!agent) ArrayPrototypePush(out, 'user-agent', userAgent);
  return out;
}

// The response body decoded per Content-Encoding (codings applied in order are undone in
// reverse), or undefined when it is not encoded (the call's own body is used).
function decodedBody(call, coding) {
  if (coding === undefined) return undefined;
  const codings = StringPrototypeSplit(coding, ',');
  const formats = [];
  for (let i = 0; i < codings.length; i++) {
    const c = StringPrototypeToLowerCase(StringPrototypeTrim(codings[i]));
    if (c === '' || c === 'identity') continue;
    const format = kCodings[c];
    if (format === undefined) return undefined;  // unknown: passed through as it is
    ArrayPrototypePush(formats, format);
  }
  if (formats.length === 0) return undefined;
  loadBuiltin('51_compression.js');
  const { streams, DecompressionStream } = internals;
  const readableOf = uncurry(ObjectGetOwnPropertyDescriptor(DecompressionStream.prototype, 'readable').get);
  const writableOf = uncurry(ObjectGetOwnPropertyDescriptor(DecompressionStream.prototype, 'writable').get);
  let stream = fetchBodyStream(call);
  for (let i = formats.length - 1; i >= 0; i--) {
    const ds = new DecompressionStream(formats[i]);
    const piped = streams.ReadableStreamPipeTo(stream, writableOf(ds), false, false, false, undefined);
    PromisePrototypeThen(piped, undefined, () => {});
    stream = readableOf(ds);
  }
  return stream;
}

async function httpFetch(parts, url) {
  let method = parts[0];
  let headers = parts[2];
  let body = parts[3];
  const redirectMode = kRedirectModes[parts[4]];
  const signal = parts[5];
  const isStream = body !== null && !ArrayBufferIsView(body);
  let length = -1;
  if (isStream) {
    const declared = findHeader(headers, 'content-length');
    if (declared !== undefined && RegExpPrototypeTest(/^[0-9]{1,15}$/, declared)) length = +declared;
  }
  const deadline = fetchTimeoutMs > 0 ? DateNow() + fetchTimeoutMs : 0;
  let redirected = false;
  let redirects = 0;
  let newConnection = false;
  let call = null;
  const onAbort = () => {
    if (call !== null) fetchAbort(call, abort.reason(signal));
  };
  // Removed when the fetch fails, or when the response's body is done (the call says so):
  // an abort after the response errors its body. No signal: nothing can abort it.
  let removeOnDone = false;
  const done = signal === null ? undefined : () => abort.removeAlgorithm(signal, onAbort);
  if (signal !== null) abort.addAlgorithm(signal, onAbort);
  try {
    for (;;) {
      const remaining = deadline === 0 ? 0 : deadline - DateNow();
      if (deadline !== 0 && remaining <= 0) {
        throw networkError('timed out after ' + fetchTimeoutMs + ' ms (the fetch timeout)');
      }
      if (kBadPorts[url[3]] === true) throw networkError('port ' + url[3] + ' is a bad port (' + url[0] + ')');
      const sendBody = body === null ? null : isStream ? true : body;
      const started = fetchStart(url[1] === 'https:', url[2], url[3], method, url[4],
        hopHeaders(headers, url[5]), sendBody, isStream ? length : body === null ? -1 : body.byteLength,
        !isStream && kIdempotent[method] === true, remaining, method + ' ' + url[0], done,
        newConnection);
      call = started[0];
      if (isStream) {
        loadBuiltin('55_body.js');
        internals.body.pumpBody(body, fetchBodyWriter(call));
      }
      const head = await started[1];
      const status = head[0];
      // https://fetch.spec.whatwg.org/#http-network-or-cache-fetch: a 421 (Misdirected
      // Request) is sent again, once, on a new connection, unless its body was a stream.
      if (status === 421 && !newConnection && !isStream) {
        fetchAbort(call, undefined);
        newConnection = true;
        continue;
      }
      newConnection = false;
      const location = kRedirectStatus[status] === true ? head[2] : undefined;
      if (location === undefined || redirectMode === 'manual') {
        const nullBody = method === 'HEAD' || kNullBodyStatus[status] === true;
        const stream = nullBody ? null : decodedBody(call, head[3]);
        removeOnDone = signal !== null;
        // A decoded body's coding and encoded length no longer describe it: the Response's
        // headers drop them.
        return fetchResponse(call, status, head[1], undefined, url[0], redirected, stream,
          stream !== undefined && stream !== null);
      }
      // https://fetch.spec.whatwg.org/#http-redirect-fetch
      fetchAbort(call, undefined);
      if (redirectMode === 'error') {
        throw networkError('the response redirects (' + status + ' to ' + location +
          ') and the request\'s redirect mode is "error"');
      }
      const next = fetchUrl(location, url[0]);
      if (next === null) throw networkError('invalid Location header: ' + location);
      if (next[1] !== 'http:' && next[1] !== 'https:') {
        throw networkError('a redirect to a ' + next[1] + ' URL cannot be followed');
      }
      if (++redirects > 20) throw networkError('too many redirects (more than 20)');
      if (status !== 303 && isStream) {
        throw networkError('a ' + status + ' redirect cannot be followed with a ' +
          'ReadableStream body (it cannot be sent again)');
      }
      if (((status === 301 || status === 302) && method === 'POST') ||
          (status === 303 && method !== 'GET' && method !== 'HEAD')) {
        method = 'GET';
        body = null;
        const kept = [];
        for (let i = 0; i < headers.length; i += 2) {
          if (kBodyHeaders[headers[i]] !== true) ArrayPrototypePush(kept, headers[i], headers[i + 1]);
        }
        headers = kept;
      }
      if (origin(next) !== origin(url)) {
        const kept = [];
        for (let i = 0; i < headers.length; i += 2) {
          if (headers[i] !== 'authorization') ArrayPrototypePush(kept, headers[i], headers[i + 1]);
        }
        headers = kept;
      }
      url = next;
      redirected = true;
    }
  } catch (e) {
    if (signal !== null && abort.aborted(signal)) throw abort.reason(signal);
    throw e;
  } finally {
    if (!removeOnDone && done !== undefined) done();
  }
}

// [method, url, headers, body, redirect, signal, keepalive, parsed url] of new Request(url),
// undefined
// when the URL is one the constructor refuses (it then throws the exact TypeError).
function defaultParts(input) {
  const url = fetchUrl(input);
  if (url === null || url[6] === true) return undefined;
  return ['GET', url[0], [], null, 0, null, false, url];
}

async function fetchSteps(input, init) {
  // fetch(request) sends that request's state as it is: the copy the Request constructor
  // would make differs in nothing observable (its body moves over, its signal follows).
  let parts;
  if (init === undefined) {
    // fetch(url): the Request the constructor would make is all defaults, and nobody can
    // reach its signal to abort it; its checks are the URL's.
    if (typeof input === 'string') parts = defaultParts(input);
    else parts = requestParts(input);
  }
  if (parts === undefined) parts = requestParts(new RequestCtor(input, init));
  const signal = parts[5];
  if (signal !== null && abort.aborted(signal)) {
    // https://fetch.spec.whatwg.org/#abort-fetch: a stream body is cancelled with the
    // reason, synchronously, before the promise rejects with it.
    const body = parts[3];
    if (body !== null && !ArrayBufferIsView(body)) {
      PromisePrototypeThen(internals.streams.ReadableStreamCancel(body, abort.reason(signal)),
        undefined, () => {});
    }
    throw abort.reason(signal);
  }
  const url = parts.length > 7 ? parts[7] : fetchUrl(parts[1]);
  if (url === null) throw networkError('invalid URL ' + parts[1]);
  switch (url[1]) {
    case 'http:':
    case 'https:':
      return httpFetch(parts, url);
    case 'data:':
      return dataResponse(url[0], parts[0]);
    case 'blob:':
      return blobResponse(parts[0], url[0]);
    case 'about:':
    case 'file:':
    default:
      throw networkError('fetching ' + url[1] + ' URLs is not supported (' + parts[1] + ')');
  }
}

const operations = {
  fetch(input, init = undefined) {
    if (arguments.length < 1) {
      return Promise.reject(new TypeErrorCtor("Failed to execute 'fetch': 1 argument required, but only 0 present."));
    }
    return fetchSteps(input, init);
  },
};
webidl.defineGlobal('fetch', operations.fetch);
