// Bodies as streams (https://fetch.spec.whatwg.org/#bodies): what the native Body mixin
// (js/api/body.cc) and the HTTP glue (js/http_app.cc) need from the Streams Standard, as
// realm helpers (natives.setHelper):
//   'streamUsable' (v) -> -1 not a ReadableStream, 0 usable, 1 locked, 2 disturbed (a stream
//       body's bodyUsed)
//   'bytesStream' (Uint8Array | null) -> ReadableStream        a byte stream of those bytes;
//       null: an empty stream already read (locked and disturbed), for a used body
//   'sourceStream' (reader) -> ReadableStream                  a byte stream pulling from a
//       native body source: natives.bodySourceRead(reader) -> Promise<Uint8Array | null>
//       (null: the end), natives.bodySourceCancel(reader) when cancelled; errored with the
//       reason natives.bodySourceWatch(reader, fn) reports when the source fails between reads
//   'takeSource' (stream) -> reader | undefined                 a sourceStream nobody has read
//       or locked: locked, and its reader returned (C++ reads the source natively instead)
//   'readAllBytes' (stream) -> Promise<{ bytes: Uint8Array }>  fetch's "fully read"; the
//       result has a null prototype, so a patched Object.prototype.then cannot intercept it
//   'proxyBody' (stream) -> stream                             https://fetch.spec.whatwg.org/#concept-body-create-proxy
//       (new Request(input)): stream piped through an identity transform; the input's
//       stream is locked and disturbed from then on
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
// @helpers streamUsable bytesStream sourceStream takeSource readAllBytes proxyBody teeBody pumpBody
'use strict';

const { streams, webidl } = internals;
const { uncurry } = webidl.primordials;
const PromisePrototypeThen = uncurry(Promise.prototype.then);
const TypedArrayPrototypeGetSymbolToStringTag = uncurry(
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype),
    Symbol.toStringTag).get);
const TypeErrorCtor = TypeError;
const WeakMapCtor = WeakMap;
const WeakMapPrototypeGet = uncurry(WeakMap.prototype.get);
const WeakMapPrototypeSet = uncurry(WeakMap.prototype.set);
const WeakMapPrototypeDelete = uncurry(WeakMap.prototype.delete);
const PromiseCtor = Promise;
const Uint8ArrayCtor = Uint8Array;
const TypedArrayPrototypeSet = uncurry(Object.getPrototypeOf(Uint8Array.prototype).set);
const TypedArrayPrototypeGetByteLength = uncurry(
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength').get);

// Reads every chunk through read requests (https://streams.spec.whatwg.org/#read-request),
// not promises of { value, done } objects that a patched Object.prototype.then could
// intercept: onChunk(chunk) returns false to stop; then onClose() or onError(e). A chunk
// already queued is delivered synchronously: a loop, not recursion, takes them.
function readEach(reader, onChunk, onClose, onError) {
  let inRead = false;
  let again = false;
  const readRequest = {
    __proto__: null,
    chunkSteps(chunk) {
      if (!onChunk(chunk)) return;
      if (inRead) {
        again = true;
      } else {
        loop();
      }
    },
    closeSteps: () => onClose(),
    errorSteps: (e) => onError(e),
  };
  const loop = () => {
    do {
      again = false;
      inRead = true;
      streams.ReadableStreamDefaultReaderRead(reader, readRequest);
      inRead = false;
    } while (again);
  };
  return loop;
}
const {
  bodySourceRead, bodySourceCancel, bodySourceWatch, bodyWriterWrite, bodyWriterReady, bodyWriterEnd,
  bodyWriterAbort,
} = natives;

const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array';

natives.setHelper('streamUsable', (stream) => {
  if (!streams.IsReadableStream(stream)) return -1;
  if (streams.IsReadableStreamDisturbed(stream)) return 2;
  return streams.IsReadableStreamLocked(stream) ? 1 : 0;
});

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

// Source streams nobody has read yet, with their readers: 'takeSource' gives the reader to
// C++, which reads the source natively instead (a body passed on as it is).
const sourceReaders = new WeakMapCtor();
natives.setHelper('takeSource', (stream) => {
  const reader = WeakMapPrototypeGet(sourceReaders, stream);
  if (reader === undefined || streams.IsReadableStreamLocked(stream) ||
      streams.IsReadableStreamDisturbed(stream)) {
    return undefined;
  }
  WeakMapPrototypeDelete(sourceReaders, stream);
  streams.AcquireReadableStreamDefaultReader(stream);  // nobody else reads it from now on
  return reader;
});

natives.setHelper('sourceStream', (reader) => {
  const stream = makeSourceStream(reader);
  WeakMapPrototypeSet(sourceReaders, stream, reader);
  return stream;
});

const makeSourceStream = (reader) => streams.CreateReadableByteStream({
  start(controller) {
    // The network failing while nobody reads errors the stream (its reader's `closed`
    // rejects), as the Fetch Standard's body does.
    bodySourceWatch(reader, (reason) => streams.ReadableByteStreamControllerError(controller, reason));
  },
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
  // No pull before the first read: a stream handed to takeSource has taken nothing.
  highWaterMark: 0,
});

natives.setHelper('readAllBytes', (stream) => new PromiseCtor((resolve, reject) => {
  const reader = streams.AcquireReadableStreamDefaultReader(stream);
  const chunks = [];
  let count = 0;
  let total = 0;
  const start = readEach(reader, (chunk) => {
    if (!isUint8Array(chunk)) {
      const e = new TypeErrorCtor('body stream chunks must be Uint8Array');
      reject(e);
      streams.ReadableStreamCancel(stream, e);
      return false;
    }
    chunks[count++] = chunk;
    total += TypedArrayPrototypeGetByteLength(chunk);
    return true;
  }, () => {
    // Always a copy: a chunk of a default stream may still be the app's own buffer.
    const bytes = new Uint8ArrayCtor(total);
    let at = 0;
    for (let i = 0; i < count; i++) {
      TypedArrayPrototypeSet(bytes, chunks[i], at);
      at += TypedArrayPrototypeGetByteLength(chunks[i]);
    }
    resolve({ __proto__: null, bytes });
  }, reject);
  start();
}));

natives.setHelper('proxyBody', (stream) => {
  const identity = streams.CreateTransformStream({ transform: (chunk, enqueue) => enqueue(chunk) });
  const piped = streams.ReadableStreamPipeTo(stream, identity.writable, false, false, false,
    undefined);
  PromisePrototypeThen(piped, undefined, () => {});
  return identity.readable;
});

natives.setHelper('teeBody', (stream) => streams.ReadableStreamTee(stream, true));

const pumpBody = (stream, writer) => {
  const reader = streams.AcquireReadableStreamDefaultReader(stream);
  // 'reading'; 'gone': the sink refused a write (the client went away: C++ calls the cancel
  // function below next); 'done': ended, failed or cancelled.
  let state = 'reading';
  const fail = (e) => {
    if (state === 'done') return;
    state = 'done';
    bodyWriterAbort(writer, e);
  };
  let resume = null;
  const next = readEach(reader, (chunk) => {
    if (state !== 'reading') return false;
    if (!isUint8Array(chunk)) {
      const e = new TypeErrorCtor('body stream chunks must be Uint8Array, got ' +
        (chunk === null ? 'null' : typeof chunk));
      fail(e);
      streams.ReadableStreamCancel(stream, e);
      return false;
    }
    const written = bodyWriterWrite(writer, chunk);
    if (written === 0) return true;
    if (written === 1) {
      PromisePrototypeThen(bodyWriterReady(writer), resume);
    } else {
      state = 'gone';
    }
    return false;
  }, () => {
    if (state !== 'reading') return;
    state = 'done';
    bodyWriterEnd(writer);
  }, fail);
  resume = () => {
    if (state === 'reading') next();
  };
  next();
  return (reason) => {
    if (state === 'done') return;
    state = 'done';
    PromisePrototypeThen(streams.ReadableStreamCancel(stream, reason), undefined, () => {});
  };
};
natives.setHelper('pumpBody', pumpBody);
// fetch() (56_fetch.js) sends request bodies the same way.
internals.body = { pumpBody };
