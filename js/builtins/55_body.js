// Bodies as streams (https://fetch.spec.whatwg.org/#bodies): what the native Body mixin
// (js/api/body.cc) and the HTTP glue (js/http_app.cc) need from the Streams Standard, as
// realm helpers (natives.setHelper):
//   'isReadableStream' (v) -> boolean
//   'streamUsable' (stream) -> 0 usable, 1 locked, 2 disturbed
//   'isDisturbed' (stream) -> boolean                          bodyUsed of a stream body
//   'bytesStream' (Uint8Array | null) -> ReadableStream        a byte stream of those bytes;
//       null: an empty stream already read (locked and disturbed), for a used body
//   'sourceStream' (reader) -> ReadableStream                  a byte stream pulling from a
//       native body source: natives.bodySourceRead(reader) -> Promise<Uint8Array | null>
//       (null: the end), natives.bodySourceCancel(reader) when cancelled
//   'readAllBytes' (stream) -> Promise<Uint8Array>             fetch's "fully read"
//   'teeBody' (stream) -> [stream, stream]                     clone(): the second branch's
//       chunks are copies
//   'pumpBody' (stream, writer) -> cancel(reason)              sends a stream body: reads a
//       chunk only while natives.bodyWriterWrite(writer, chunk) says the sink wants more
//       (0 more, 1 full: wait for natives.bodyWriterReady(writer), 2 gone); then
//       natives.bodyWriterEnd(writer), or natives.bodyWriterAbort(writer, error) when the
//       stream errors or gives a chunk that is not a Uint8Array. The returned function
//       cancels the stream (the client went away).
// Run lazily (js/builtins.h), when C++ first asks for one of its helpers:
// @requires 50_streams.js
// @helpers isReadableStream streamUsable isDisturbed bytesStream sourceStream readAllBytes teeBody pumpBody
'use strict';

const { streams, webidl } = internals;
const { uncurry } = webidl.primordials;
const PromisePrototypeThen = uncurry(Promise.prototype.then);
const TypedArrayPrototypeGetSymbolToStringTag = uncurry(
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype),
    Symbol.toStringTag).get);
const TypeErrorCtor = TypeError;
const {
  bodySourceRead, bodySourceCancel, bodyWriterWrite, bodyWriterReady, bodyWriterEnd,
  bodyWriterAbort,
} = natives;

const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array';

natives.setHelper('isReadableStream', (v) => streams.IsReadableStream(v));

natives.setHelper('streamUsable', (stream) => {
  if (streams.IsReadableStreamDisturbed(stream)) return 2;
  return streams.IsReadableStreamLocked(stream) ? 1 : 0;
});

natives.setHelper('isDisturbed', (stream) => streams.IsReadableStreamDisturbed(stream));

natives.setHelper('bytesStream', (bytes) => {
  const stream = streams.CreateReadableByteStream({
    start(controller) {
      if (bytes !== null && bytes.byteLength > 0) {
        streams.ReadableByteStreamControllerEnqueue(controller, bytes);
      }
      streams.ReadableByteStreamControllerClose(controller);
    },
  });
  if (bytes === null) {
    // The body was read by a consumer: its stream is locked and disturbed, as after fully
    // reading it.
    const reader = streams.AcquireReadableStreamDefaultReader(stream);
    streams.ReadableStreamDefaultReaderReadPromise(reader);
  }
  return stream;
});

natives.setHelper('sourceStream', (reader) => streams.CreateReadableByteStream({
  pull(controller) {
    return PromisePrototypeThen(bodySourceRead(reader), (chunk) => {
      if (chunk !== null) {
        streams.ReadableByteStreamControllerEnqueue(controller, chunk);
        return;
      }
      streams.ReadableByteStreamControllerClose(controller);
      // A BYOB read waiting for bytes gets the end.
      if (streams.ReadableByteStreamControllerGetBYOBRequest(controller) !== null) {
        streams.ReadableByteStreamControllerRespond(controller, 0);
      }
    });
  },
  cancel() {
    bodySourceCancel(reader);
  },
  highWaterMark: 0,
}));

natives.setHelper('readAllBytes', (stream) => streams.readAllBytes(stream));

natives.setHelper('teeBody', (stream) => streams.ReadableStreamTee(stream, true));

natives.setHelper('pumpBody', (stream, writer) => {
  const reader = streams.AcquireReadableStreamDefaultReader(stream);
  let finished = false;
  const fail = (e) => {
    if (finished) return;
    finished = true;
    bodyWriterAbort(writer, e);
  };
  let next;
  const onRead = (result) => {
    if (finished) return;
    if (result.done) {
      finished = true;
      bodyWriterEnd(writer);
      return;
    }
    const chunk = result.value;
    if (!isUint8Array(chunk)) {
      const e = new TypeErrorCtor('Response body stream chunks must be Uint8Array, got ' +
        (chunk === null ? 'null' : typeof chunk));
      fail(e);
      streams.ReadableStreamCancel(stream, e);
      return;
    }
    const state = bodyWriterWrite(writer, chunk);
    if (state === 0) {
      next();
    } else if (state === 1) {
      PromisePrototypeThen(bodyWriterReady(writer), next);
    } else {
      finished = true;  // the client went away; C++ cancels the stream with a reason
    }
  };
  next = () => {
    PromisePrototypeThen(streams.ReadableStreamDefaultReaderReadPromise(reader), onRead, fail);
  };
  next();
  return (reason) => {
    if (finished) return;
    finished = true;
    PromisePrototypeThen(streams.ReadableStreamCancel(stream, reason), undefined, () => {});
  };
});
