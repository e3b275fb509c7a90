// What the native Request and Response (js/api/request.cc, js/api/response.cc) need from the
// other built-ins, as realm helpers (natives.setHelper):
//   'requestSignal' (signal or null) -> a new AbortSignal: for null a fresh one, else a
//       dependent signal following signal (https://dom.spec.whatwg.org/#create-a-dependent-abort-signal),
//       as the Request constructor and clone() make this's signal.
//   'isAbortSignal' (value) -> boolean, the brand check for RequestInit's `signal`.
//   'abortRequestSignal' (signal) -> undefined: aborts an incoming request's signal with an
//       AbortError DOMException (the client went away before the response was sent).
// The body helpers (extractBody, parseFormData, makeBlob) come from 30_blob.js and
// 31_formdata.js.
// Run lazily (js/builtins.h), when C++ first asks for one of its helpers:
// @requires 12_abort.js
// @helpers requestSignal isAbortSignal abortRequestSignal
'use strict';

const { abort, DOMException } = internals;

natives.setHelper('requestSignal', (parent) => {
  if (parent === null || parent === undefined) return abort.createSignal();
  return abort.createDependent([parent]);
});
natives.setHelper('isAbortSignal', (v) => abort.isSignal(v));
natives.setHelper('abortRequestSignal', (signal) => {
  abort.signalAbort(signal, new DOMException('The client closed the connection', 'AbortError'));
});
