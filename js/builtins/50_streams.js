// The Streams Standard (https://streams.spec.whatwg.org/): ReadableStream (default and byte
// streams, readers, controllers, BYOB requests, tee, async iteration, from, pipeTo and
// pipeThrough), WritableStream, TransformStream and the queuing strategies.
//
// The abstract operations are transcribed from the spec, in its order and with its names
// (the order of promise reactions is what applications observe). Each public object holds
// one private slot with an internal record (RS, Reader, RSDC, RBSC, BYOBRequest, WS, Writer,
// WSDC, TS, TSDC: plain objects user code never sees); the operations work on records, and a
// record's `obj` is its public object. Everything they use is captured when this file first
// runs: promise reactions go through the captured Promise.prototype.then, lists are linked
// queues (never Array.prototype methods), so user code that patches Promise.prototype.then,
// Object.prototype.then (for internal promises) or Array.prototype cannot break a pipe.
//
// For the other built-ins (internals.streams), on public objects (ReadableStream,
// WritableStream, TransformStream instances; readers and writers as the spec's records
// wrapped in their public objects):
//   ReadableStream, WritableStream, TransformStream   the classes
//   IsReadableStream(v) -> boolean
//   IsReadableStreamLocked(rs) -> boolean
//   IsReadableStreamDisturbed(rs) -> boolean               rs.[[disturbed]]
//   ReadableStreamState(rs) -> 'readable' | 'closed' | 'errored'
//   ReadableStreamStoredError(rs) -> any
//   ReadableStreamCancel(rs, reason) -> Promise<undefined>
//   ReadableStreamTee(rs, cloneForBranch2) -> [rs1, rs2]
//   ReadableStreamClose(rs)                                 (default controller: RSDCClose)
//   ReadableStreamError(rs, e)                              (through the stream's controller)
//   AcquireReadableStreamDefaultReader(rs) -> ReadableStreamDefaultReader
//   ReadableStreamDefaultReaderRead(reader, { chunkSteps(chunk), closeSteps(), errorSteps(e) })
//   ReadableStreamDefaultReaderReadPromise(reader) -> Promise<{ value, done }>
//   ReadableStreamDefaultReaderRelease(reader)
//   CreateReadableStream(start(), pull(), cancel(reason), highWaterMark = 1,
//                        size = () => 1) -> ReadableStream; each algorithm may be undefined
//                        and gets no controller: use the ReadableStreamDefaultController*
//                        ops on the stream; pull/cancel may return a promise (a throw rejects)
//   ReadableStreamDefaultControllerEnqueue(rs, chunk) / ...Close(rs) / ...Error(rs, e)
//   ReadableStreamDefaultControllerGetDesiredSize(rs) -> number | null
//   CreateReadableByteStream({ start(controller), pull(controller), cancel(reason),
//                              highWaterMark = 0, autoAllocateChunkSize }) -> ReadableStream;
//                        SetUpReadableByteStreamController without user-visible getters;
//                        `controller` is the public ReadableByteStreamController: use the
//                        ops below on it (its getters are user-patchable)
//   ReadableByteStreamControllerEnqueue(controller, view) / ...Close(controller) /
//   ...Error(controller, e) / ...GetDesiredSize(controller) / ...Respond(controller, n)
//   ReadableByteStreamControllerGetBYOBRequest(controller) -> ReadableStreamBYOBRequest|null
//   ReadableByteStreamControllerGetBYOBRequestView(controller) -> Uint8Array | null
//   CreateWritableStream(start(), write(chunk), close(), abort(reason), highWaterMark = 1,
//                        size = () => 1) -> WritableStream (algorithms as above)
//   IsWritableStream(v), IsWritableStreamLocked(ws)
//   WritableStreamAbort(ws, reason), WritableStreamClose(ws) -> Promise
//   WritableStreamDefaultControllerError(ws, e)             (errors the stream if writable)
//   AcquireWritableStreamDefaultWriter(ws) -> WritableStreamDefaultWriter
//   WritableStreamDefaultWriterWrite(writer, chunk) / ...Close(writer) /
//   ...CloseWithErrorPropagation(writer) / ...Abort(writer, reason) -> Promise
//   WritableStreamDefaultWriterRelease(writer), ...GetDesiredSize(writer) -> number | null
//   CreateTransformStream({ start(), transform(chunk, enqueue), flush(enqueue),
//                           cancel(reason), writableHighWaterMark = 1,
//                           readableHighWaterMark = 0 }) -> TransformStream;
//                        enqueue(chunk) is TransformStreamDefaultControllerEnqueue; the
//                        algorithms return a value or a promise (a throw rejects)
//   TransformStreamDefaultControllerEnqueue(ts, chunk) / ...Error(ts, e) / ...Terminate(ts)
//   ReadableStreamPipeTo(rs, ws, preventClose, preventAbort, preventCancel, signal) -> Promise
//   readAllBytes(rs) -> Promise<Uint8Array>    ReadableStreamDefaultReader's "read all
//                        bytes" (fetch's "fully read"): every chunk must be a Uint8Array
//                        (else a TypeError rejection); the stream stays locked.
// Read-request steps (ReadableStreamDefaultReaderRead) may run synchronously, inside the
// call, when a chunk is queued or the stream is closed or errored.
// Run lazily (js/builtins.h), on first use of its globals:
// @requires 01_dom_exception.js 11_event.js 12_abort.js
// @lazy ReadableStream ReadableStreamDefaultReader ReadableStreamBYOBReader ReadableStreamDefaultController ReadableByteStreamController ReadableStreamBYOBRequest WritableStream WritableStreamDefaultWriter WritableStreamDefaultController TransformStream TransformStreamDefaultController ByteLengthQueuingStrategy CountQueuingStrategy
'use strict';

const { webidl } = internals;
const { converters, makeException, primordials, PlatformObject } = webidl;
const { uncurry, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf, TypedArrayPrototype,
  ObjectDefineProperty } = primordials;
const abortOps = internals.abort;

const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectPrototype = Object.prototype;
const ObjectCreate = Object.create;
const NumberIsNaN = Number.isNaN;
const MathMin = Math.min;
const SymbolAsyncIterator = Symbol.asyncIterator;
const SymbolIterator = Symbol.iterator;
const TypeErrorCtor = TypeError;
const RangeErrorCtor = RangeError;
const ArrayBufferCtor = ArrayBuffer;
const Uint8ArrayCtor = Uint8Array;
const DataViewCtor = DataView;
const ArrayBufferIsView = ArrayBuffer.isView;
const PromiseCtor = Promise;
const PromisePrototypeThen = uncurry(Promise.prototype.then);
const getter = (proto, key) => uncurry(ObjectGetOwnPropertyDescriptor(proto, key).get);
const TypedArraySet = uncurry(TypedArrayPrototype.set);
const TypedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const TypedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const TypedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
const TypedArrayLength = getter(TypedArrayPrototype, 'length');
const TypedArrayToStringTag = primordials.TypedArrayToStringTag;
const DataViewBuffer = getter(DataView.prototype, 'buffer');
const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
const DataViewByteLength = getter(DataView.prototype, 'byteLength');
const ArrayBufferByteLength = primordials.ArrayBufferByteLength;
const { arrayBufferDetached, arrayBufferDetachable, arrayBufferMove } = natives;
const nativeStructuredClone = natives.structuredClone;
const AsyncIteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf(
  (async function* () {}).prototype));

const typedArrayCtors = { __proto__: null };
const elementSizes = { __proto__: null };
for (const C of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
  typedArrayCtors[C.name] = C;
  elementSizes[C.name] = C.BYTES_PER_ELEMENT;
}

// ---- promises (https://webidl.spec.whatwg.org/#es-promise-manipulation) ----

// A promise resolved with a native promise adopts it: V8 would look up and call its `then`
// (Promise.prototype.then, which user code may have patched). Adopting through the captured
// then in a microtask of our own takes the same ticks (a PromiseResolveThenableJob, then
// the reaction) and keeps patched prototypes out. Other thenables are resolved natively,
// as the spec says.
const PromisePrototype = Promise.prototype;
const isNativePromise = (x) => typeof x === 'object' && x !== null &&
  ObjectGetPrototypeOf(x) === PromisePrototype;
function adopt(resolve, reject, x) {
  queueMicrotask(() => { PromisePrototypeThen(x, resolve, reject); });
}

function newPromise() {
  const p = { promise: undefined, resolve: undefined, reject: undefined, settled: false };
  p.promise = new PromiseCtor((resolve, reject) => {
    p.resolve = resolve;
    p.reject = reject;
  });
  return p;
}
function resolveP(p, v) {
  if (p.settled) return;
  p.settled = true;
  if (isNativePromise(v)) adopt(p.resolve, p.reject, v);
  else p.resolve(v);
}
function rejectP(p, e) {
  if (p.settled) return;
  p.settled = true;
  p.reject(e);
}
// "A promise resolved with x" (https://webidl.spec.whatwg.org/#a-promise-resolved-with): a new
// promise resolved with x, so a promise x is adopted (two more ticks), never returned as is.
function promiseResolvedWith(x) {
  if (isNativePromise(x)) {
    const p = newPromise();
    resolveP(p, x);
    return p.promise;
  }
  return new PromiseCtor((resolve) => resolve(x));
}
const promiseRejectedWith = (e) => new PromiseCtor((resolve, reject) => reject(e));
const resolvedUndefined = () => new PromiseCtor((resolve) => resolve(undefined));
// "React" / "upon fulfillment" / "upon rejection": PerformPromiseThen.
const react = (p, onFulfilled, onRejected) => PromisePrototypeThen(p, onFulfilled, onRejected);
// "React" where a callback returns a promise: the derived promise adopts it as above.
function reactAdopt(p, onFulfilled, onRejected) {
  const d = newPromise();
  PromisePrototypeThen(p, (v) => {
    try {
      resolveP(d, onFulfilled === undefined ? v : onFulfilled(v));
    } catch (e) {
      rejectP(d, e);
    }
  }, (e) => {
    if (onRejected === undefined) {
      rejectP(d, e);
      return;
    }
    try {
      resolveP(d, onRejected(e));
    } catch (e2) {
      rejectP(d, e2);
    }
  });
  return d.promise;
}
// "Upon fulfillment/rejection" make no promise anyone sees: the derived one must not be an
// unhandled rejection.
const noop = () => {};
const uponFulfillment = (p, f) => { PromisePrototypeThen(p, f, noop); };
const uponRejection = (p, r) => { PromisePrototypeThen(PromisePrototypeThen(p, undefined, r), undefined, noop); };
const setHandled = (p) => { PromisePrototypeThen(p, undefined, noop); };
function settledResolved(v) {
  return { promise: promiseResolvedWith(v), resolve: noop, reject: noop, settled: true };
}
function settledRejected(e) {
  const p = { promise: promiseRejectedWith(e), resolve: noop, reject: noop, settled: true };
  setHandled(p.promise);
  return p;
}
function rejectedHandled(p, e) {
  rejectP(p, e);
  setHandled(p.promise);
}

// "Queue a microtask": a reaction to one settled promise (no native call, no new promise
// but the reaction's own).
const settledPromise = new PromiseCtor((resolve) => resolve(undefined));
function queueMicrotask(fn) {
  PromisePrototypeThen(settledPromise, fn, undefined);
}

// ---- lists: linked queues (immune to patched Array.prototype) ----

// Fields, not assignments in a constructor: an accessor user code put on Object.prototype
// ('size') must not catch them.
class List {
  head = null;
  tail = null;
  size = 0;
  push(v) {
    const node = { v, next: null };
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    ++this.size;
  }
  shift() {
    const node = this.head;
    this.head = node.next;
    if (this.head === null) this.tail = null;
    --this.size;
    return node.v;
  }
  peek() {
    return this.head.v;
  }
  // A snapshot, for "for each" over a list that is then emptied.
  drain() {
    let node = this.head;
    this.head = null;
    this.tail = null;
    this.size = 0;
    const out = [];
    let i = 0;
    while (node !== null) {
      ObjectDefineProperty(out, i++, { value: node.v, writable: true, enumerable: true,
        configurable: true });
      node = node.next;
    }
    return out;
  }
}

// ---- buffers ----

function isDetached(buffer) {
  return arrayBufferDetached(buffer);
}
function transferArrayBuffer(buffer) {
  if (arrayBufferDetached(buffer)) throw new TypeErrorCtor('The ArrayBuffer is detached');
  if (!arrayBufferDetachable(buffer)) {
    throw new TypeErrorCtor('The ArrayBuffer cannot be transferred');
  }
  return arrayBufferMove(buffer);
}
function isDataView(view) {
  return TypedArrayToStringTag(view) === undefined;
}
function viewBuffer(view) {
  return isDataView(view) ? DataViewBuffer(view) : TypedArrayBuffer(view);
}
function viewByteOffset(view) {
  return isDataView(view) ? DataViewByteOffset(view) : TypedArrayByteOffset(view);
}
function viewByteLength(view) {
  return isDataView(view) ? DataViewByteLength(view) : TypedArrayByteLength(view);
}
function copyDataBlockBytes(toBuffer, toIndex, fromBuffer, fromIndex, count) {
  TypedArraySet(new Uint8ArrayCtor(toBuffer, toIndex, count),
    new Uint8ArrayCtor(fromBuffer, fromIndex, count));
}
function cloneArrayBuffer(buffer, byteOffset, byteLength) {
  const out = new ArrayBufferCtor(byteLength);
  copyDataBlockBytes(out, 0, buffer, byteOffset, byteLength);
  return out;
}
// https://streams.spec.whatwg.org/#abstract-opdef-cloneasuint8array
function cloneAsUint8Array(O) {
  const buffer = cloneArrayBuffer(viewBuffer(O), viewByteOffset(O), viewByteLength(O));
  return new Uint8ArrayCtor(buffer);
}

// ---- slots: one private field per public object, holding its internal record ----

let slotsNew;
let slotsGet;
class SlotsState extends PlatformObject {
  #s;
  static {
    slotsNew = (newTarget, rec) => {
      const self = ReflectConstruct(SlotsState, [], newTarget);
      self.#s = rec;
      rec.obj = self;
      return self;
    };
    slotsGet = (o) => (o !== null && typeof o === 'object' && #s in o ? o.#s : undefined);
  }
}

const K_RS = 1, K_DEFAULT_READER = 2, K_BYOB_READER = 3, K_RSDC = 4, K_RBSC = 5,
  K_BYOB_REQUEST = 6, K_WS = 7, K_WRITER = 8, K_WSDC = 9, K_TS = 10, K_TSDC = 11,
  K_BLQS = 12, K_CQS = 13, K_ITER = 14;

function illegalInvocation() {
  return new TypeErrorCtor('Illegal invocation');
}
function unwrap(o, kind) {
  const rec = slotsGet(o);
  if (rec === undefined || rec.kind !== kind) throw illegalInvocation();
  return rec;
}
const isKind = (o, kind) => {
  const rec = slotsGet(o);
  return rec !== undefined && rec.kind === kind;
};

// Interface classes `extends null` (see 00_webidl.js); this puts Object.prototype back.
function finishInterface(Type, name) {
  ObjectSetPrototypeOf(Type.prototype, ObjectPrototype);
  webidl.configureInterface(Type, name);
}

// ---- WebIDL conversions used here ----

const pfx = webidl.prefix;
const toCallback = converters.Function;
const toAny = converters.any;
const toBoolean = converters.boolean;
const toUnrestrictedDouble = converters['unrestricted double'];
const toULL = converters['unsigned long long'];
// An optional `object` argument: missing (undefined) is null; null itself is not an object.
const toObjectOrNull = (V, prefix, context) => {
  if (V === undefined) return null;
  if (V === null || (typeof V !== 'object' && typeof V !== 'function')) {
    throw makeException(TypeErrorCtor, 'is not an object.', prefix, context);
  }
  return V;
};
const toSignal = (V, prefix, context) => {
  if (!abortOps.isSignal(V)) {
    throw makeException(TypeErrorCtor, "is not of type 'AbortSignal'.", prefix, context);
  }
  return V;
};
const toQueuingStrategy = webidl.createDictionaryConverter('QueuingStrategy', [
  { key: 'highWaterMark', converter: toUnrestrictedDouble },
  { key: 'size', converter: toCallback },
]);
const toQueuingStrategyInit = webidl.createDictionaryConverter('QueuingStrategyInit', [
  { key: 'highWaterMark', converter: toUnrestrictedDouble, required: true },
]);
const toReadableStreamType = webidl.createEnumConverter('ReadableStreamType', ['bytes']);
const toUnderlyingSource = webidl.createDictionaryConverter('UnderlyingSource', [
  { key: 'start', converter: toCallback },
  { key: 'pull', converter: toCallback },
  { key: 'cancel', converter: toCallback },
  { key: 'type', converter: toReadableStreamType },
  { key: 'autoAllocateChunkSize',
    converter: (V, p, c) => toULL(V, p, c, { enforceRange: true }) },
]);
const toUnderlyingSink = webidl.createDictionaryConverter('UnderlyingSink', [
  { key: 'start', converter: toCallback },
  { key: 'write', converter: toCallback },
  { key: 'close', converter: toCallback },
  { key: 'abort', converter: toCallback },
  { key: 'type', converter: toAny },
]);
const toTransformer = webidl.createDictionaryConverter('Transformer', [
  { key: 'start', converter: toCallback },
  { key: 'transform', converter: toCallback },
  { key: 'flush', converter: toCallback },
  { key: 'cancel', converter: toCallback },
  { key: 'readableType', converter: toAny },
  { key: 'writableType', converter: toAny },
]);
const toReaderMode = webidl.createEnumConverter('ReadableStreamReaderMode', ['byob']);
const toGetReaderOptions = webidl.createDictionaryConverter('ReadableStreamGetReaderOptions', [
  { key: 'mode', converter: toReaderMode },
]);
const toIteratorOptions = webidl.createDictionaryConverter('ReadableStreamIteratorOptions', [
  { key: 'preventCancel', converter: toBoolean, defaultValue: false },
]);
const toPipeOptions = webidl.createDictionaryConverter('StreamPipeOptions', [
  { key: 'preventAbort', converter: toBoolean, defaultValue: false },
  { key: 'preventCancel', converter: toBoolean, defaultValue: false },
  { key: 'preventClose', converter: toBoolean, defaultValue: false },
  { key: 'signal', converter: toSignal },
]);
const toBYOBReadOptions = webidl.createDictionaryConverter('ReadableStreamBYOBReaderReadOptions', [
  { key: 'min', converter: (V, p, c) => toULL(V, p, c, { enforceRange: true }),
    defaultValue: 1 },
]);
const toReadableStream = (V, prefix, context) => {
  if (!isKind(V, K_RS)) {
    throw makeException(TypeErrorCtor, "is not of type 'ReadableStream'.", prefix, context);
  }
  return slotsGet(V);
};
const toWritableStream = (V, prefix, context) => {
  if (!isKind(V, K_WS)) {
    throw makeException(TypeErrorCtor, "is not of type 'WritableStream'.", prefix, context);
  }
  return slotsGet(V);
};
const toReadableWritablePair = webidl.createDictionaryConverter('ReadableWritablePair', [
  { key: 'readable', converter: toReadableStream, required: true },
  { key: 'writable', converter: toWritableStream, required: true },
]);

// Invoking a callback function with a callback this value: a Promise-returning one turns a
// throw into a rejected promise and its result into a promise resolved with it.
function invokePromise(fn, thisArg, args) {
  try {
    return promiseResolvedWith(ReflectApply(fn, thisArg, args));
  } catch (e) {
    return promiseRejectedWith(e);
  }
}
// An internal algorithm (from internals users): same contract.
function callPromise(fn, args) {
  try {
    return promiseResolvedWith(ReflectApply(fn, undefined, args));
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

// ---- queuing strategies and queue-with-sizes ----

// https://streams.spec.whatwg.org/#validate-and-normalize-high-water-mark
function extractHighWaterMark(strategy, defaultHWM) {
  if (strategy.highWaterMark === undefined) return defaultHWM;
  const hwm = strategy.highWaterMark;
  if (NumberIsNaN(hwm) || hwm < 0) throw new RangeErrorCtor('Invalid highWaterMark');
  return hwm;
}
const sizeOne = () => 1;
function extractSizeAlgorithm(strategy) {
  const size = strategy.size;
  if (size === undefined) return sizeOne;
  return (chunk) => toUnrestrictedDouble(ReflectApply(size, undefined, [chunk]));
}

function isNonNegativeNumber(v) {
  return typeof v === 'number' && !NumberIsNaN(v) && v >= 0;
}
function dequeueValue(c) {
  const pair = c.queue.shift();
  c.queueTotalSize -= pair.size;
  if (c.queueTotalSize < 0) c.queueTotalSize = 0;
  return pair.value;
}
function enqueueValueWithSize(c, value, size) {
  if (!isNonNegativeNumber(size)) throw new RangeErrorCtor('The chunk size is not a non-negative number');
  if (size === Infinity) throw new RangeErrorCtor('The chunk size is Infinity');
  c.queue.push({ value, size });
  c.queueTotalSize += size;
}
function peekQueueValue(c) {
  return c.queue.peek().value;
}
function resetQueue(c) {
  c.queue = new List();
  c.queueTotalSize = 0;
}

// ======================= ReadableStream: records and abstract operations =======================

function newRS() {
  return {
    kind: K_RS, obj: undefined, state: 'readable', reader: undefined, storedError: undefined,
    disturbed: false, controller: undefined,
  };
}
function newDefaultReader() {
  return { kind: K_DEFAULT_READER, obj: undefined, stream: undefined, closedPromise: undefined,
    readRequests: undefined };
}
function newBYOBReader() {
  return { kind: K_BYOB_READER, obj: undefined, stream: undefined, closedPromise: undefined,
    readIntoRequests: undefined };
}
function newRSDC() {
  return {
    kind: K_RSDC, obj: undefined, stream: undefined, queue: undefined, queueTotalSize: 0,
    started: false, closeRequested: false, pullAgain: false, pulling: false,
    strategyHWM: 0, strategySizeAlgorithm: undefined, pullAlgorithm: undefined,
    cancelAlgorithm: undefined,
  };
}
function newRBSC() {
  return {
    kind: K_RBSC, obj: undefined, stream: undefined, queue: undefined, queueTotalSize: 0,
    started: false, closeRequested: false, pullAgain: false, pulling: false,
    strategyHWM: 0, pullAlgorithm: undefined, cancelAlgorithm: undefined,
    autoAllocateChunkSize: undefined, byobRequest: null, pendingPullIntos: undefined,
  };
}
// Public objects of records made by the operations (not by a constructor).
function wrap(Type, rec) {
  return slotsNew(Type, rec);
}
function readerObj(reader) {
  if (reader.obj === undefined) {
    wrap(reader.kind === K_DEFAULT_READER ? ReadableStreamDefaultReader
      : ReadableStreamBYOBReader, reader);
  }
  return reader.obj;
}

// https://streams.spec.whatwg.org/#acquire-readable-stream-reader
function AcquireReadableStreamDefaultReader(stream) {
  const reader = newDefaultReader();
  SetUpReadableStreamDefaultReader(reader, stream);
  return reader;
}
function AcquireReadableStreamBYOBReader(stream) {
  const reader = newBYOBReader();
  SetUpReadableStreamBYOBReader(reader, stream);
  return reader;
}

function CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm,
  highWaterMark = 1, sizeAlgorithm = sizeOne) {
  const stream = newRS();
  wrap(ReadableStream, stream);
  const controller = newRSDC();
  wrap(ReadableStreamDefaultController, controller);
  SetUpReadableStreamDefaultController(stream, controller, startAlgorithm, pullAlgorithm,
    cancelAlgorithm, highWaterMark, sizeAlgorithm);
  return stream;
}
function CreateReadableByteStream(startAlgorithm, pullAlgorithm, cancelAlgorithm) {
  const stream = newRS();
  wrap(ReadableStream, stream);
  const controller = newRBSC();
  wrap(ReadableByteStreamController, controller);
  SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm,
    cancelAlgorithm, 0, undefined);
  return stream;
}

function IsReadableStreamLocked(stream) {
  return stream.reader !== undefined;
}

// https://streams.spec.whatwg.org/#readable-stream-from-iterable
function ReadableStreamFromIterable(asyncIterable) {
  const iteratorRecord = getAsyncIterator(asyncIterable);
  const startAlgorithm = () => undefined;
  const pullAlgorithm = () => {
    let nextResult;
    try {
      nextResult = ReflectApply(iteratorRecord.next, iteratorRecord.iterator, []);
      if (typeof nextResult !== 'object' || nextResult === null) {
        // IteratorNext's check.
        throw new TypeErrorCtor('The iterator result is not an object');
      }
    } catch (e) {
      return promiseRejectedWith(e);
    }
    const nextPromise = promiseResolvedWith(nextResult);
    return react(nextPromise, (iterResult) => {
      if (typeof iterResult !== 'object' || iterResult === null) {
        throw new TypeErrorCtor('The promise returned by the iterator.next() method must ' +
          'fulfill with an object');
      }
      const done = !!iterResult.done;
      if (done) {
        ReadableStreamDefaultControllerClose(stream.controller);
      } else {
        const value = iterResult.value;
        ReadableStreamDefaultControllerEnqueue(stream.controller, value);
      }
    });
  };
  const cancelAlgorithm = (reason) => {
    const iterator = iteratorRecord.iterator;
    let returnResult;
    try {
      const returnMethod = iterator.return;
      if (returnMethod === undefined || returnMethod === null) return resolvedUndefined();
      if (typeof returnMethod !== 'function') {
        throw new TypeErrorCtor('The iterator.return property is not a function');
      }
      returnResult = ReflectApply(returnMethod, iterator, [reason]);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    const returnPromise = promiseResolvedWith(returnResult);
    return react(returnPromise, (iterResult) => {
      if (typeof iterResult !== 'object' || iterResult === null) {
        throw new TypeErrorCtor('The promise returned by the iterator.return() method must ' +
          'fulfill with an object');
      }
      return undefined;
    });
  };
  // The algorithms run after start, once `stream` is initialised.
  const stream = CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, 0);
  return stream;
}

// GetIterator(obj, async), with CreateAsyncFromSyncIterator for a sync iterable.
function getMethod(obj, key) {
  const f = obj[key];
  if (f === undefined || f === null) return undefined;
  if (typeof f !== 'function') throw new TypeErrorCtor('The iterator method is not a function');
  return f;
}
function getIteratorFromMethod(obj, method) {
  const iterator = ReflectApply(method, obj, []);
  if (typeof iterator !== 'object' || iterator === null) {
    throw new TypeErrorCtor('The iterator is not an object');
  }
  return { iterator, next: iterator.next, done: false };
}
// The argument is an async_sequence<any> (https://webidl.spec.whatwg.org/#js-async-sequence):
// an object.
function getAsyncIterator(obj) {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    throw new TypeErrorCtor('ReadableStream.from: the argument is not iterable');
  }
  const method = getMethod(obj, SymbolAsyncIterator);
  if (method === undefined) {
    const syncMethod = getMethod(obj, SymbolIterator);
    if (syncMethod === undefined) {
      throw new TypeErrorCtor('ReadableStream.from: the argument is not iterable');
    }
    return createAsyncFromSyncIterator(getIteratorFromMethod(obj, syncMethod));
  }
  return getIteratorFromMethod(obj, method);
}
// https://tc39.es/ecma262/#sec-createasyncfromsynciterator
function createAsyncFromSyncIterator(syncRecord) {
  const syncIterator = syncRecord.iterator;
  const closeSync = () => {
    try {
      const ret = syncIterator.return;
      if (ret !== undefined && ret !== null) ReflectApply(ret, syncIterator, []);
    } catch {
      // IteratorClose with a throw completion keeps the original one.
    }
  };
  const continuation = (result, closeOnRejection) => {
    const done = !!result.done;
    const value = result.value;
    let valueWrapper;
    try {
      valueWrapper = promiseResolvedWith(value);
    } catch (e) {
      if (!done && closeOnRejection) closeSync();
      throw e;
    }
    return react(valueWrapper, (v) => ({ value: v, done }), (e) => {
      if (!done && closeOnRejection) closeSync();
      throw e;
    });
  };
  const iterator = {
    next(v) {
      try {
        const result = ReflectApply(syncRecord.next, syncIterator, arguments.length ? [v] : []);
        if (typeof result !== 'object' || result === null) {
          throw new TypeErrorCtor('The iterator result is not an object');
        }
        return continuation(result, true);
      } catch (e) {
        return promiseRejectedWith(e);
      }
    },
    return(v) {
      try {
        const ret = getMethod(syncIterator, 'return');
        if (ret === undefined) return promiseResolvedWith({ value: v, done: true });
        const result = ReflectApply(ret, syncIterator, [v]);
        if (typeof result !== 'object' || result === null) {
          throw new TypeErrorCtor('The iterator result is not an object');
        }
        return continuation(result, false);
      } catch (e) {
        return promiseRejectedWith(e);
      }
    },
  };
  return { iterator, next: iterator.next, done: false };
}

// https://streams.spec.whatwg.org/#readable-stream-pipe-to
function ReadableStreamPipeTo(source, dest, preventClose, preventAbort, preventCancel,
  signal = undefined) {
  const reader = AcquireReadableStreamDefaultReader(source);
  const writer = AcquireWritableStreamDefaultWriter(dest);
  source.disturbed = true;
  let shuttingDown = false;
  let currentWrite = resolvedUndefined();
  const promise = newPromise();
  let abortAlgorithm;

  const waitForWritesToFinish = () => {
    const oldCurrentWrite = currentWrite;
    return reactAdopt(currentWrite,
      () => (oldCurrentWrite !== currentWrite ? waitForWritesToFinish() : undefined),
      undefined);
  };
  const finalize = (isError, error) => {
    WritableStreamDefaultWriterRelease(writer);
    ReadableStreamDefaultReaderRelease(reader);
    if (signal !== undefined) abortOps.removeAlgorithm(signal, abortAlgorithm);
    if (isError) rejectP(promise, error);
    else resolveP(promise, undefined);
  };
  const shutdownWithAnAction = (action, originalIsError, originalError) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const doTheRest = () => {
      let p;
      try {
        p = action();
      } catch (e) {
        p = promiseRejectedWith(e);
      }
      react(p, () => finalize(originalIsError, originalError),
        (newError) => finalize(true, newError));
    };
    if (dest.state === 'writable' && !WritableStreamCloseQueuedOrInFlight(dest)) {
      uponFulfillment(waitForWritesToFinish(), doTheRest);
    } else {
      doTheRest();
    }
  };
  const shutdown = (isError, error) => {
    if (shuttingDown) return;
    shuttingDown = true;
    if (dest.state === 'writable' && !WritableStreamCloseQueuedOrInFlight(dest)) {
      uponFulfillment(waitForWritesToFinish(), () => finalize(isError, error));
    } else {
      finalize(isError, error);
    }
  };

  if (signal !== undefined) {
    abortAlgorithm = () => {
      const error = abortOps.reason(signal);
      const abortDest = !preventAbort;
      const cancelSource = !preventCancel;
      shutdownWithAnAction(() => {
        const promises = [];
        let n = 0;
        if (abortDest) {
          promises[n++] = dest.state === 'writable' ? WritableStreamAbort(dest, error)
            : resolvedUndefined();
        }
        if (cancelSource) {
          promises[n++] = source.state === 'readable' ? ReadableStreamCancel(source, error)
            : resolvedUndefined();
        }
        return waitForAll(promises, n);
      }, true, error);
    };
    if (abortOps.aborted(signal)) {
      abortAlgorithm();
      return promise.promise;
    }
    abortOps.addAlgorithm(signal, abortAlgorithm);
  }

  const pipeStep = () => {
    if (shuttingDown) return promiseResolvedWith(true);
    return reactAdopt(writer.readyPromise.promise, () => {
      const p = newPromise();
      ReadableStreamDefaultReaderRead(reader, {
        // The write runs in a microtask: an enqueue() must not run the sink's write
        // synchronously (WPT piping/general-addition.any.js).
        // currentWrite is the pending write from now on, so a shutdown waits for it.
        chunkSteps(chunk) {
          const pending = newPromise();
          currentWrite = pending.promise;
          queueMicrotask(() => {
            const written = () => resolveP(pending, undefined);
            react(WritableStreamDefaultWriterWrite(writer, chunk), written, written);
            resolveP(p, false);
          });
        },
        closeSteps() { resolveP(p, true); },
        errorSteps(e) { rejectP(p, e); },
      });
      return p.promise;
    }, undefined);
  };
  const pipeLoop = () => {
    const loop = newPromise();
    const next = (done) => {
      if (done) resolveP(loop, undefined);
      else react(pipeStep(), next, (e) => rejectP(loop, e));
    };
    next(false);
    return loop.promise;
  };

  // Errors must be propagated forward.
  if (source.state === 'errored') {
    const storedError = source.storedError;
    if (!preventAbort) {
      shutdownWithAnAction(() => WritableStreamAbort(dest, storedError), true, storedError);
    } else {
      shutdown(true, storedError);
    }
  } else {
    uponRejection(reader.closedPromise.promise, (storedError) => {
      if (!preventAbort) {
        shutdownWithAnAction(() => WritableStreamAbort(dest, storedError), true, storedError);
      } else {
        shutdown(true, storedError);
      }
    });
  }
  // Errors must be propagated backward.
  if (dest.state === 'errored') {
    const storedError = dest.storedError;
    if (!preventCancel) {
      shutdownWithAnAction(() => ReadableStreamCancel(source, storedError), true, storedError);
    } else {
      shutdown(true, storedError);
    }
  } else {
    uponRejection(writer.closedPromise.promise, (storedError) => {
      if (!preventCancel) {
        shutdownWithAnAction(() => ReadableStreamCancel(source, storedError), true,
          storedError);
      } else {
        shutdown(true, storedError);
      }
    });
  }
  // Closing must be propagated forward.
  if (source.state === 'closed') {
    if (!preventClose) {
      shutdownWithAnAction(() => WritableStreamDefaultWriterCloseWithErrorPropagation(writer));
    } else {
      shutdown();
    }
  } else {
    uponFulfillment(reader.closedPromise.promise, () => {
      if (!preventClose) {
        shutdownWithAnAction(() => WritableStreamDefaultWriterCloseWithErrorPropagation(writer));
      } else {
        shutdown();
      }
    });
  }
  // Closing must be propagated backward.
  if (WritableStreamCloseQueuedOrInFlight(dest) || dest.state === 'closed') {
    const destClosed = new TypeErrorCtor(
      'the destination writable stream closed before all data could be piped to it');
    if (!preventCancel) {
      shutdownWithAnAction(() => ReadableStreamCancel(source, destClosed), true, destClosed);
    } else {
      shutdown(true, destClosed);
    }
  }
  setHandled(pipeLoop());
  return promise.promise;
}

// "Waiting for all" (https://webidl.spec.whatwg.org/#wait-for-all), as a promise.
function waitForAll(promises, n) {
  const result = newPromise();
  if (n === 0) {
    resolveP(result, undefined);
    return result.promise;
  }
  let remaining = n;
  for (let i = 0; i < n; ++i) {
    react(promises[i], () => {
      if (--remaining === 0) resolveP(result, undefined);
    }, (e) => rejectP(result, e));
  }
  return result.promise;
}

// https://streams.spec.whatwg.org/#readable-stream-tee
function ReadableStreamTee(stream, cloneForBranch2) {
  if (stream.controller.kind === K_RBSC) return ReadableByteStreamTee(stream);
  return ReadableStreamDefaultTee(stream, cloneForBranch2);
}

function ReadableStreamDefaultTee(stream, cloneForBranch2) {
  const reader = AcquireReadableStreamDefaultReader(stream);
  let reading = false;
  let readAgain = false;
  let canceled1 = false;
  let canceled2 = false;
  let reason1;
  let reason2;
  const cancelPromise = newPromise();
  const pullAlgorithm = () => {
    if (reading) {
      readAgain = true;
      return resolvedUndefined();
    }
    reading = true;
    const readRequest = {
      chunkSteps(chunk) {
        queueMicrotask(() => {
          readAgain = false;
          const chunk1 = chunk;
          let chunk2 = chunk;
          if (!canceled2 && cloneForBranch2) {
            try {
              chunk2 = nativeStructuredClone(chunk2, []);
            } catch (e) {
              ReadableStreamDefaultControllerError(branch1.controller, e);
              ReadableStreamDefaultControllerError(branch2.controller, e);
              resolveP(cancelPromise, ReadableStreamCancel(stream, e));
              return;
            }
          }
          if (!canceled1) ReadableStreamDefaultControllerEnqueue(branch1.controller, chunk1);
          if (!canceled2) ReadableStreamDefaultControllerEnqueue(branch2.controller, chunk2);
          reading = false;
          if (readAgain) pullAlgorithm();
        });
      },
      closeSteps() {
        reading = false;
        if (!canceled1) ReadableStreamDefaultControllerClose(branch1.controller);
        if (!canceled2) ReadableStreamDefaultControllerClose(branch2.controller);
        if (!canceled1 || !canceled2) resolveP(cancelPromise, undefined);
      },
      errorSteps() {
        reading = false;
      },
    };
    ReadableStreamDefaultReaderRead(reader, readRequest);
    return resolvedUndefined();
  };
  const cancel1Algorithm = (reason) => {
    canceled1 = true;
    reason1 = reason;
    if (canceled2) {
      const compositeReason = [reason1, reason2];
      const cancelResult = ReadableStreamCancel(stream, compositeReason);
      resolveP(cancelPromise, cancelResult);
    }
    return cancelPromise.promise;
  };
  const cancel2Algorithm = (reason) => {
    canceled2 = true;
    reason2 = reason;
    if (canceled1) {
      const compositeReason = [reason1, reason2];
      const cancelResult = ReadableStreamCancel(stream, compositeReason);
      resolveP(cancelPromise, cancelResult);
    }
    return cancelPromise.promise;
  };
  const startAlgorithm = () => undefined;
  // The algorithms run after start, once both branches are initialised.
  const branch1 = CreateReadableStream(startAlgorithm, pullAlgorithm, cancel1Algorithm);
  const branch2 = CreateReadableStream(startAlgorithm, pullAlgorithm, cancel2Algorithm);
  uponRejection(reader.closedPromise.promise, (r) => {
    ReadableStreamDefaultControllerError(branch1.controller, r);
    ReadableStreamDefaultControllerError(branch2.controller, r);
    if (!canceled1 || !canceled2) resolveP(cancelPromise, undefined);
  });
  return [branch1, branch2];
}

function ReadableByteStreamTee(stream) {
  let reader = AcquireReadableStreamDefaultReader(stream);
  let reading = false;
  let readAgainForBranch1 = false;
  let readAgainForBranch2 = false;
  let canceled1 = false;
  let canceled2 = false;
  let reason1;
  let reason2;
  const cancelPromise = newPromise();
  const forwardReaderError = (thisReader) => {
    uponRejection(thisReader.closedPromise.promise, (r) => {
      if (thisReader !== reader) return;
      ReadableByteStreamControllerError(branch1.controller, r);
      ReadableByteStreamControllerError(branch2.controller, r);
      if (!canceled1 || !canceled2) resolveP(cancelPromise, undefined);
    });
  };
  const pullWithDefaultReader = () => {
    if (reader.kind === K_BYOB_READER) {
      ReadableStreamBYOBReaderRelease(reader);
      reader = AcquireReadableStreamDefaultReader(stream);
      forwardReaderError(reader);
    }
    const readRequest = {
      chunkSteps(chunk) {
        queueMicrotask(() => {
          readAgainForBranch1 = false;
          readAgainForBranch2 = false;
          const chunk1 = chunk;
          let chunk2 = chunk;
          if (!canceled1 && !canceled2) {
            try {
              chunk2 = cloneAsUint8Array(chunk);
            } catch (e) {
              ReadableByteStreamControllerError(branch1.controller, e);
              ReadableByteStreamControllerError(branch2.controller, e);
              resolveP(cancelPromise, ReadableStreamCancel(stream, e));
              return;
            }
          }
          if (!canceled1) ReadableByteStreamControllerEnqueue(branch1.controller, chunk1);
          if (!canceled2) ReadableByteStreamControllerEnqueue(branch2.controller, chunk2);
          reading = false;
          if (readAgainForBranch1) pull1Algorithm();
          else if (readAgainForBranch2) pull2Algorithm();
        });
      },
      closeSteps() {
        reading = false;
        if (!canceled1) ReadableByteStreamControllerClose(branch1.controller);
        if (!canceled2) ReadableByteStreamControllerClose(branch2.controller);
        if (branch1.controller.pendingPullIntos.size > 0) {
          ReadableByteStreamControllerRespond(branch1.controller, 0);
        }
        if (branch2.controller.pendingPullIntos.size > 0) {
          ReadableByteStreamControllerRespond(branch2.controller, 0);
        }
        if (!canceled1 || !canceled2) resolveP(cancelPromise, undefined);
      },
      errorSteps() {
        reading = false;
      },
    };
    ReadableStreamDefaultReaderRead(reader, readRequest);
  };
  const pullWithBYOBReader = (view, forBranch2) => {
    if (reader.kind === K_DEFAULT_READER) {
      ReadableStreamDefaultReaderRelease(reader);
      reader = AcquireReadableStreamBYOBReader(stream);
      forwardReaderError(reader);
    }
    const byobBranch = forBranch2 ? branch2 : branch1;
    const otherBranch = forBranch2 ? branch1 : branch2;
    const readIntoRequest = {
      chunkSteps(chunk) {
        queueMicrotask(() => {
          readAgainForBranch1 = false;
          readAgainForBranch2 = false;
          const byobCanceled = forBranch2 ? canceled2 : canceled1;
          const otherCanceled = forBranch2 ? canceled1 : canceled2;
          if (!otherCanceled) {
            let clonedChunk;
            try {
              clonedChunk = cloneAsUint8Array(chunk);
            } catch (e) {
              ReadableByteStreamControllerError(byobBranch.controller, e);
              ReadableByteStreamControllerError(otherBranch.controller, e);
              resolveP(cancelPromise, ReadableStreamCancel(stream, e));
              return;
            }
            if (!byobCanceled) {
              ReadableByteStreamControllerRespondWithNewView(byobBranch.controller, chunk);
            }
            ReadableByteStreamControllerEnqueue(otherBranch.controller, clonedChunk);
          } else if (!byobCanceled) {
            ReadableByteStreamControllerRespondWithNewView(byobBranch.controller, chunk);
          }
          reading = false;
          if (readAgainForBranch1) pull1Algorithm();
          else if (readAgainForBranch2) pull2Algorithm();
        });
      },
      closeSteps(chunk) {
        reading = false;
        const byobCanceled = forBranch2 ? canceled2 : canceled1;
        const otherCanceled = forBranch2 ? canceled1 : canceled2;
        if (!byobCanceled) ReadableByteStreamControllerClose(byobBranch.controller);
        if (!otherCanceled) ReadableByteStreamControllerClose(otherBranch.controller);
        if (chunk !== undefined) {
          if (!byobCanceled) {
            ReadableByteStreamControllerRespondWithNewView(byobBranch.controller, chunk);
          }
          if (!otherCanceled && otherBranch.controller.pendingPullIntos.size > 0) {
            ReadableByteStreamControllerRespond(otherBranch.controller, 0);
          }
        }
        if (!byobCanceled || !otherCanceled) resolveP(cancelPromise, undefined);
      },
      errorSteps() {
        reading = false;
      },
    };
    ReadableStreamBYOBReaderRead(reader, view, 1, readIntoRequest);
  };
  const pull1Algorithm = () => {
    if (reading) {
      readAgainForBranch1 = true;
      return resolvedUndefined();
    }
    reading = true;
    const byobRequest = ReadableByteStreamControllerGetBYOBRequest(branch1.controller);
    if (byobRequest === null) pullWithDefaultReader();
    else pullWithBYOBReader(byobRequest.view, false);
    return resolvedUndefined();
  };
  const pull2Algorithm = () => {
    if (reading) {
      readAgainForBranch2 = true;
      return resolvedUndefined();
    }
    reading = true;
    const byobRequest = ReadableByteStreamControllerGetBYOBRequest(branch2.controller);
    if (byobRequest === null) pullWithDefaultReader();
    else pullWithBYOBReader(byobRequest.view, true);
    return resolvedUndefined();
  };
  const cancel1Algorithm = (reason) => {
    canceled1 = true;
    reason1 = reason;
    if (canceled2) {
      const compositeReason = [reason1, reason2];
      resolveP(cancelPromise, ReadableStreamCancel(stream, compositeReason));
    }
    return cancelPromise.promise;
  };
  const cancel2Algorithm = (reason) => {
    canceled2 = true;
    reason2 = reason;
    if (canceled1) {
      const compositeReason = [reason1, reason2];
      resolveP(cancelPromise, ReadableStreamCancel(stream, compositeReason));
    }
    return cancelPromise.promise;
  };
  const startAlgorithm = () => undefined;
  // The algorithms run after start, once both branches are initialised.
  const branch1 = CreateReadableByteStream(startAlgorithm, pull1Algorithm, cancel1Algorithm);
  const branch2 = CreateReadableByteStream(startAlgorithm, pull2Algorithm, cancel2Algorithm);
  forwardReaderError(reader);
  return [branch1, branch2];
}

// ---- interfacing with controllers ----

function ReadableStreamAddReadIntoRequest(stream, readRequest) {
  stream.reader.readIntoRequests.push(readRequest);
}
function ReadableStreamAddReadRequest(stream, readRequest) {
  stream.reader.readRequests.push(readRequest);
}

// https://streams.spec.whatwg.org/#readable-stream-cancel
function ReadableStreamCancel(stream, reason) {
  stream.disturbed = true;
  if (stream.state === 'closed') return resolvedUndefined();
  if (stream.state === 'errored') return promiseRejectedWith(stream.storedError);
  ReadableStreamClose(stream);
  const reader = stream.reader;
  if (reader !== undefined && reader.kind === K_BYOB_READER) {
    const readIntoRequests = reader.readIntoRequests.drain();
    for (let i = 0; i < readIntoRequests.length; ++i) readIntoRequests[i].closeSteps(undefined);
  }
  const sourceCancelPromise = stream.controller.kind === K_RBSC
    ? RBSCCancelSteps(stream.controller, reason) : RSDCCancelSteps(stream.controller, reason);
  return react(sourceCancelPromise, noop, undefined);
}

function ReadableStreamClose(stream) {
  stream.state = 'closed';
  const reader = stream.reader;
  if (reader === undefined) return;
  resolveP(reader.closedPromise, undefined);
  if (reader.kind === K_DEFAULT_READER) {
    const readRequests = reader.readRequests.drain();
    for (let i = 0; i < readRequests.length; ++i) readRequests[i].closeSteps();
  }
}

function ReadableStreamError(stream, e) {
  stream.state = 'errored';
  stream.storedError = e;
  const reader = stream.reader;
  if (reader === undefined) return;
  rejectedHandled(reader.closedPromise, e);
  if (reader.kind === K_DEFAULT_READER) ReadableStreamDefaultReaderErrorReadRequests(reader, e);
  else ReadableStreamBYOBReaderErrorReadIntoRequests(reader, e);
}

function ReadableStreamFulfillReadIntoRequest(stream, chunk, done) {
  const readIntoRequest = stream.reader.readIntoRequests.shift();
  if (done) readIntoRequest.closeSteps(chunk);
  else readIntoRequest.chunkSteps(chunk);
}
function ReadableStreamFulfillReadRequest(stream, chunk, done) {
  const readRequest = stream.reader.readRequests.shift();
  if (done) readRequest.closeSteps();
  else readRequest.chunkSteps(chunk);
}
function ReadableStreamGetNumReadIntoRequests(stream) {
  return stream.reader.readIntoRequests.size;
}
function ReadableStreamGetNumReadRequests(stream) {
  return stream.reader.readRequests.size;
}
function ReadableStreamHasBYOBReader(stream) {
  const reader = stream.reader;
  return reader !== undefined && reader.kind === K_BYOB_READER;
}
function ReadableStreamHasDefaultReader(stream) {
  const reader = stream.reader;
  return reader !== undefined && reader.kind === K_DEFAULT_READER;
}

// ---- readers ----

function ReadableStreamReaderGenericCancel(reader, reason) {
  return ReadableStreamCancel(reader.stream, reason);
}
function ReadableStreamReaderGenericInitialize(reader, stream) {
  reader.stream = stream;
  stream.reader = reader;
  if (stream.state === 'readable') {
    reader.closedPromise = newPromise();
  } else if (stream.state === 'closed') {
    reader.closedPromise = settledResolved(undefined);
  } else {
    reader.closedPromise = settledRejected(stream.storedError);
  }
}
function ReadableStreamReaderGenericRelease(reader) {
  const stream = reader.stream;
  const e = new TypeErrorCtor('The reader was released');
  if (stream.state === 'readable') rejectedHandled(reader.closedPromise, e);
  else reader.closedPromise = settledRejected(e);
  if (stream.controller.kind === K_RBSC) RBSCReleaseSteps(stream.controller);
  stream.reader = undefined;
  reader.stream = undefined;
}
function ReadableStreamBYOBReaderErrorReadIntoRequests(reader, e) {
  const readIntoRequests = reader.readIntoRequests.drain();
  for (let i = 0; i < readIntoRequests.length; ++i) readIntoRequests[i].errorSteps(e);
}
function ReadableStreamBYOBReaderRead(reader, view, min, readIntoRequest) {
  const stream = reader.stream;
  stream.disturbed = true;
  if (stream.state === 'errored') readIntoRequest.errorSteps(stream.storedError);
  else ReadableByteStreamControllerPullInto(stream.controller, view, min, readIntoRequest);
}
function ReadableStreamBYOBReaderRelease(reader) {
  ReadableStreamReaderGenericRelease(reader);
  ReadableStreamBYOBReaderErrorReadIntoRequests(reader,
    new TypeErrorCtor('The reader was released'));
}
function ReadableStreamDefaultReaderErrorReadRequests(reader, e) {
  const readRequests = reader.readRequests.drain();
  for (let i = 0; i < readRequests.length; ++i) readRequests[i].errorSteps(e);
}
function ReadableStreamDefaultReaderRead(reader, readRequest) {
  const stream = reader.stream;
  stream.disturbed = true;
  if (stream.state === 'closed') readRequest.closeSteps();
  else if (stream.state === 'errored') readRequest.errorSteps(stream.storedError);
  else if (stream.controller.kind === K_RBSC) RBSCPullSteps(stream.controller, readRequest);
  else RSDCPullSteps(stream.controller, readRequest);
}
function ReadableStreamDefaultReaderRelease(reader) {
  ReadableStreamReaderGenericRelease(reader);
  ReadableStreamDefaultReaderErrorReadRequests(reader,
    new TypeErrorCtor('The reader was released'));
}
function SetUpReadableStreamBYOBReader(reader, stream) {
  if (IsReadableStreamLocked(stream)) {
    throw new TypeErrorCtor('The ReadableStream is locked');
  }
  if (stream.controller.kind !== K_RBSC) {
    throw new TypeErrorCtor('A BYOB reader needs a readable byte stream');
  }
  ReadableStreamReaderGenericInitialize(reader, stream);
  reader.readIntoRequests = new List();
}
function SetUpReadableStreamDefaultReader(reader, stream) {
  if (IsReadableStreamLocked(stream)) {
    throw new TypeErrorCtor('The ReadableStream is locked');
  }
  ReadableStreamReaderGenericInitialize(reader, stream);
  reader.readRequests = new List();
}

// ---- default controllers ----

function ReadableStreamDefaultControllerCallPullIfNeeded(controller) {
  if (!ReadableStreamDefaultControllerShouldCallPull(controller)) return;
  if (controller.pulling) {
    controller.pullAgain = true;
    return;
  }
  controller.pulling = true;
  const pullPromise = controller.pullAlgorithm(controller);
  react(pullPromise, () => {
    controller.pulling = false;
    if (controller.pullAgain) {
      controller.pullAgain = false;
      ReadableStreamDefaultControllerCallPullIfNeeded(controller);
    }
  }, (e) => {
    ReadableStreamDefaultControllerError(controller, e);
  });
}
function ReadableStreamDefaultControllerShouldCallPull(controller) {
  const stream = controller.stream;
  if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(controller)) return false;
  if (!controller.started) return false;
  if (IsReadableStreamLocked(stream) && ReadableStreamGetNumReadRequests(stream) > 0) {
    return true;
  }
  const desiredSize = ReadableStreamDefaultControllerGetDesiredSize(controller);
  return desiredSize > 0;
}
function ReadableStreamDefaultControllerClearAlgorithms(controller) {
  controller.pullAlgorithm = undefined;
  controller.cancelAlgorithm = undefined;
  controller.strategySizeAlgorithm = undefined;
}
function ReadableStreamDefaultControllerClose(controller) {
  if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(controller)) return;
  const stream = controller.stream;
  controller.closeRequested = true;
  if (controller.queue.size === 0) {
    ReadableStreamDefaultControllerClearAlgorithms(controller);
    ReadableStreamClose(stream);
  }
}
function ReadableStreamDefaultControllerEnqueue(controller, chunk) {
  if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(controller)) return;
  const stream = controller.stream;
  if (IsReadableStreamLocked(stream) && ReadableStreamGetNumReadRequests(stream) > 0) {
    ReadableStreamFulfillReadRequest(stream, chunk, false);
  } else {
    let chunkSize;
    try {
      chunkSize = controller.strategySizeAlgorithm(chunk);
    } catch (e) {
      ReadableStreamDefaultControllerError(controller, e);
      throw e;
    }
    try {
      enqueueValueWithSize(controller, chunk, chunkSize);
    } catch (e) {
      ReadableStreamDefaultControllerError(controller, e);
      throw e;
    }
  }
  ReadableStreamDefaultControllerCallPullIfNeeded(controller);
}
function ReadableStreamDefaultControllerError(controller, e) {
  const stream = controller.stream;
  if (stream.state !== 'readable') return;
  resetQueue(controller);
  ReadableStreamDefaultControllerClearAlgorithms(controller);
  ReadableStreamError(stream, e);
}
function ReadableStreamDefaultControllerGetDesiredSize(controller) {
  const state = controller.stream.state;
  if (state === 'errored') return null;
  if (state === 'closed') return 0;
  return controller.strategyHWM - controller.queueTotalSize;
}
function ReadableStreamDefaultControllerHasBackpressure(controller) {
  return !ReadableStreamDefaultControllerShouldCallPull(controller);
}
function ReadableStreamDefaultControllerCanCloseOrEnqueue(controller) {
  return !controller.closeRequested && controller.stream.state === 'readable';
}
function SetUpReadableStreamDefaultController(stream, controller, startAlgorithm, pullAlgorithm,
  cancelAlgorithm, highWaterMark, sizeAlgorithm) {
  controller.stream = stream;
  resetQueue(controller);
  controller.started = false;
  controller.closeRequested = false;
  controller.pullAgain = false;
  controller.pulling = false;
  controller.strategySizeAlgorithm = sizeAlgorithm;
  controller.strategyHWM = highWaterMark;
  controller.pullAlgorithm = pullAlgorithm;
  controller.cancelAlgorithm = cancelAlgorithm;
  stream.controller = controller;
  const startResult = startAlgorithm(controller);
  const startPromise = promiseResolvedWith(startResult);
  react(startPromise, () => {
    controller.started = true;
    ReadableStreamDefaultControllerCallPullIfNeeded(controller);
  }, (r) => {
    ReadableStreamDefaultControllerError(controller, r);
  });
}
function SetUpReadableStreamDefaultControllerFromUnderlyingSource(stream, underlyingSource,
  underlyingSourceDict, highWaterMark, sizeAlgorithm) {
  const controller = newRSDC();
  wrap(ReadableStreamDefaultController, controller);
  let startAlgorithm = () => undefined;
  let pullAlgorithm = resolvedUndefined;
  let cancelAlgorithm = resolvedUndefined;
  const { start, pull, cancel } = underlyingSourceDict;
  if (start !== undefined) {
    startAlgorithm = () => ReflectApply(start, underlyingSource, [controller.obj]);
  }
  if (pull !== undefined) {
    pullAlgorithm = () => invokePromise(pull, underlyingSource, [controller.obj]);
  }
  if (cancel !== undefined) {
    cancelAlgorithm = (reason) => invokePromise(cancel, underlyingSource, [reason]);
  }
  SetUpReadableStreamDefaultController(stream, controller, startAlgorithm, pullAlgorithm,
    cancelAlgorithm, highWaterMark, sizeAlgorithm);
}
function RSDCCancelSteps(controller, reason) {
  resetQueue(controller);
  const result = controller.cancelAlgorithm(reason);
  ReadableStreamDefaultControllerClearAlgorithms(controller);
  return result;
}
function RSDCPullSteps(controller, readRequest) {
  const stream = controller.stream;
  if (controller.queue.size > 0) {
    const chunk = dequeueValue(controller);
    if (controller.closeRequested && controller.queue.size === 0) {
      ReadableStreamDefaultControllerClearAlgorithms(controller);
      ReadableStreamClose(stream);
    } else {
      ReadableStreamDefaultControllerCallPullIfNeeded(controller);
    }
    readRequest.chunkSteps(chunk);
  } else {
    ReadableStreamAddReadRequest(stream, readRequest);
    ReadableStreamDefaultControllerCallPullIfNeeded(controller);
  }
}

// ---- byte stream controllers ----

function ReadableByteStreamControllerCallPullIfNeeded(controller) {
  if (!ReadableByteStreamControllerShouldCallPull(controller)) return;
  if (controller.pulling) {
    controller.pullAgain = true;
    return;
  }
  controller.pulling = true;
  const pullPromise = controller.pullAlgorithm(controller);
  react(pullPromise, () => {
    controller.pulling = false;
    if (controller.pullAgain) {
      controller.pullAgain = false;
      ReadableByteStreamControllerCallPullIfNeeded(controller);
    }
  }, (e) => {
    ReadableByteStreamControllerError(controller, e);
  });
}
function ReadableByteStreamControllerClearAlgorithms(controller) {
  controller.pullAlgorithm = undefined;
  controller.cancelAlgorithm = undefined;
}
function ReadableByteStreamControllerClearPendingPullIntos(controller) {
  ReadableByteStreamControllerInvalidateBYOBRequest(controller);
  controller.pendingPullIntos = new List();
}
function ReadableByteStreamControllerClose(controller) {
  const stream = controller.stream;
  if (controller.closeRequested || stream.state !== 'readable') return;
  if (controller.queueTotalSize > 0) {
    controller.closeRequested = true;
    return;
  }
  if (controller.pendingPullIntos.size > 0) {
    const firstPendingPullInto = controller.pendingPullIntos.peek();
    if (firstPendingPullInto.bytesFilled % firstPendingPullInto.elementSize !== 0) {
      const e = new TypeErrorCtor('Insufficient bytes to fill elements in the given buffer');
      ReadableByteStreamControllerError(controller, e);
      throw e;
    }
  }
  ReadableByteStreamControllerClearAlgorithms(controller);
  ReadableStreamClose(stream);
}
function ReadableByteStreamControllerCommitPullIntoDescriptor(stream, pullIntoDescriptor) {
  let done = false;
  if (stream.state === 'closed') done = true;
  const filledView = ReadableByteStreamControllerConvertPullIntoDescriptor(pullIntoDescriptor);
  if (pullIntoDescriptor.readerType === 'default') {
    ReadableStreamFulfillReadRequest(stream, filledView, done);
  } else {
    ReadableStreamFulfillReadIntoRequest(stream, filledView, done);
  }
}
function ReadableByteStreamControllerConvertPullIntoDescriptor(pullIntoDescriptor) {
  const bytesFilled = pullIntoDescriptor.bytesFilled;
  const elementSize = pullIntoDescriptor.elementSize;
  const buffer = transferArrayBuffer(pullIntoDescriptor.buffer);
  return new pullIntoDescriptor.viewConstructor(buffer, pullIntoDescriptor.byteOffset,
    bytesFilled / elementSize);
}
function ReadableByteStreamControllerEnqueue(controller, chunk) {
  const stream = controller.stream;
  if (controller.closeRequested || stream.state !== 'readable') return;
  const buffer = viewBuffer(chunk);
  const byteOffset = viewByteOffset(chunk);
  const byteLength = viewByteLength(chunk);
  if (isDetached(buffer)) throw new TypeErrorCtor("The chunk's buffer is detached");
  const transferredBuffer = transferArrayBuffer(buffer);
  if (controller.pendingPullIntos.size > 0) {
    const firstPendingPullInto = controller.pendingPullIntos.peek();
    if (isDetached(firstPendingPullInto.buffer)) {
      throw new TypeErrorCtor("The BYOB request's buffer is detached");
    }
    ReadableByteStreamControllerInvalidateBYOBRequest(controller);
    firstPendingPullInto.buffer = transferArrayBuffer(firstPendingPullInto.buffer);
    if (firstPendingPullInto.readerType === 'none') {
      ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue(controller,
        firstPendingPullInto);
    }
  }
  if (ReadableStreamHasDefaultReader(stream)) {
    ReadableByteStreamControllerProcessReadRequestsUsingQueue(controller);
    if (ReadableStreamGetNumReadRequests(stream) === 0) {
      ReadableByteStreamControllerEnqueueChunkToQueue(controller, transferredBuffer, byteOffset,
        byteLength);
    } else {
      if (controller.pendingPullIntos.size > 0) {
        ReadableByteStreamControllerShiftPendingPullInto(controller);
      }
      const transferredView = new Uint8ArrayCtor(transferredBuffer, byteOffset, byteLength);
      ReadableStreamFulfillReadRequest(stream, transferredView, false);
    }
  } else if (ReadableStreamHasBYOBReader(stream)) {
    ReadableByteStreamControllerEnqueueChunkToQueue(controller, transferredBuffer, byteOffset,
      byteLength);
    const filledPullIntos =
      ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller);
    for (let i = 0; i < filledPullIntos.length; ++i) {
      ReadableByteStreamControllerCommitPullIntoDescriptor(stream, filledPullIntos[i]);
    }
  } else {
    ReadableByteStreamControllerEnqueueChunkToQueue(controller, transferredBuffer, byteOffset,
      byteLength);
  }
  ReadableByteStreamControllerCallPullIfNeeded(controller);
}
function ReadableByteStreamControllerEnqueueChunkToQueue(controller, buffer, byteOffset,
  byteLength) {
  controller.queue.push({ buffer, byteOffset, byteLength });
  controller.queueTotalSize += byteLength;
}
function ReadableByteStreamControllerEnqueueClonedChunkToQueue(controller, buffer, byteOffset,
  byteLength) {
  let cloneResult;
  try {
    cloneResult = cloneArrayBuffer(buffer, byteOffset, byteLength);
  } catch (e) {
    ReadableByteStreamControllerError(controller, e);
    throw e;
  }
  ReadableByteStreamControllerEnqueueChunkToQueue(controller, cloneResult, 0, byteLength);
}
function ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue(controller,
  pullIntoDescriptor) {
  if (pullIntoDescriptor.bytesFilled > 0) {
    ReadableByteStreamControllerEnqueueClonedChunkToQueue(controller, pullIntoDescriptor.buffer,
      pullIntoDescriptor.byteOffset, pullIntoDescriptor.bytesFilled);
  }
  ReadableByteStreamControllerShiftPendingPullInto(controller);
}
function ReadableByteStreamControllerError(controller, e) {
  const stream = controller.stream;
  if (stream.state !== 'readable') return;
  ReadableByteStreamControllerClearPendingPullIntos(controller);
  resetQueue(controller);
  ReadableByteStreamControllerClearAlgorithms(controller);
  ReadableStreamError(stream, e);
}
function ReadableByteStreamControllerFillHeadPullIntoDescriptor(controller, size,
  pullIntoDescriptor) {
  pullIntoDescriptor.bytesFilled += size;
}
function ReadableByteStreamControllerFillPullIntoDescriptorFromQueue(controller,
  pullIntoDescriptor) {
  const maxBytesToCopy = MathMin(controller.queueTotalSize,
    pullIntoDescriptor.byteLength - pullIntoDescriptor.bytesFilled);
  const maxBytesFilled = pullIntoDescriptor.bytesFilled + maxBytesToCopy;
  let totalBytesToCopyRemaining = maxBytesToCopy;
  let ready = false;
  const remainderBytes = maxBytesFilled % pullIntoDescriptor.elementSize;
  const maxAlignedBytes = maxBytesFilled - remainderBytes;
  if (maxAlignedBytes >= pullIntoDescriptor.minimumFill) {
    totalBytesToCopyRemaining = maxAlignedBytes - pullIntoDescriptor.bytesFilled;
    ready = true;
  }
  const queue = controller.queue;
  while (totalBytesToCopyRemaining > 0) {
    const headOfQueue = queue.peek();
    const bytesToCopy = MathMin(totalBytesToCopyRemaining, headOfQueue.byteLength);
    const destStart = pullIntoDescriptor.byteOffset + pullIntoDescriptor.bytesFilled;
    copyDataBlockBytes(pullIntoDescriptor.buffer, destStart, headOfQueue.buffer,
      headOfQueue.byteOffset, bytesToCopy);
    if (headOfQueue.byteLength === bytesToCopy) {
      queue.shift();
    } else {
      headOfQueue.byteOffset += bytesToCopy;
      headOfQueue.byteLength -= bytesToCopy;
    }
    controller.queueTotalSize -= bytesToCopy;
    ReadableByteStreamControllerFillHeadPullIntoDescriptor(controller, bytesToCopy,
      pullIntoDescriptor);
    totalBytesToCopyRemaining -= bytesToCopy;
  }
  return ready;
}
function ReadableByteStreamControllerFillReadRequestFromQueue(controller, readRequest) {
  const entry = controller.queue.shift();
  controller.queueTotalSize -= entry.byteLength;
  ReadableByteStreamControllerHandleQueueDrain(controller);
  const view = new Uint8ArrayCtor(entry.buffer, entry.byteOffset, entry.byteLength);
  readRequest.chunkSteps(view);
}
function ReadableByteStreamControllerGetBYOBRequest(controller) {
  if (controller.byobRequest === null && controller.pendingPullIntos.size > 0) {
    const firstDescriptor = controller.pendingPullIntos.peek();
    const view = new Uint8ArrayCtor(firstDescriptor.buffer,
      firstDescriptor.byteOffset + firstDescriptor.bytesFilled,
      firstDescriptor.byteLength - firstDescriptor.bytesFilled);
    const byobRequest = { kind: K_BYOB_REQUEST, obj: undefined, controller, view };
    wrap(ReadableStreamBYOBRequest, byobRequest);
    controller.byobRequest = byobRequest;
  }
  return controller.byobRequest;
}
function ReadableByteStreamControllerGetDesiredSize(controller) {
  const state = controller.stream.state;
  if (state === 'errored') return null;
  if (state === 'closed') return 0;
  return controller.strategyHWM - controller.queueTotalSize;
}
function ReadableByteStreamControllerHandleQueueDrain(controller) {
  if (controller.queueTotalSize === 0 && controller.closeRequested) {
    ReadableByteStreamControllerClearAlgorithms(controller);
    ReadableStreamClose(controller.stream);
  } else {
    ReadableByteStreamControllerCallPullIfNeeded(controller);
  }
}
function ReadableByteStreamControllerInvalidateBYOBRequest(controller) {
  if (controller.byobRequest === null) return;
  controller.byobRequest.controller = undefined;
  controller.byobRequest.view = null;
  controller.byobRequest = null;
}
function ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller) {
  const filledPullIntos = [];
  let n = 0;
  while (controller.pendingPullIntos.size > 0) {
    if (controller.queueTotalSize === 0) break;
    const pullIntoDescriptor = controller.pendingPullIntos.peek();
    if (ReadableByteStreamControllerFillPullIntoDescriptorFromQueue(controller,
      pullIntoDescriptor)) {
      ReadableByteStreamControllerShiftPendingPullInto(controller);
      ObjectDefineProperty(filledPullIntos, n++, { value: pullIntoDescriptor, writable: true,
        enumerable: true, configurable: true });
    }
  }
  return filledPullIntos;
}
function ReadableByteStreamControllerProcessReadRequestsUsingQueue(controller) {
  const reader = controller.stream.reader;
  while (reader.readRequests.size > 0) {
    if (controller.queueTotalSize === 0) return;
    const readRequest = reader.readRequests.shift();
    ReadableByteStreamControllerFillReadRequestFromQueue(controller, readRequest);
  }
}
function ReadableByteStreamControllerPullInto(controller, view, min, readIntoRequest) {
  const stream = controller.stream;
  let elementSize = 1;
  let ctor = DataViewCtor;
  const name = TypedArrayToStringTag(view);
  if (name !== undefined) {
    elementSize = elementSizes[name];
    ctor = typedArrayCtors[name];
  }
  const minimumFill = min * elementSize;
  const byteOffset = viewByteOffset(view);
  const byteLength = viewByteLength(view);
  let buffer;
  try {
    buffer = transferArrayBuffer(viewBuffer(view));
  } catch (e) {
    readIntoRequest.errorSteps(e);
    return;
  }
  const pullIntoDescriptor = {
    buffer, bufferByteLength: ArrayBufferByteLength(buffer), byteOffset, byteLength,
    bytesFilled: 0, minimumFill, elementSize, viewConstructor: ctor, readerType: 'byob',
  };
  if (controller.pendingPullIntos.size > 0) {
    controller.pendingPullIntos.push(pullIntoDescriptor);
    ReadableStreamAddReadIntoRequest(stream, readIntoRequest);
    return;
  }
  if (stream.state === 'closed') {
    const emptyView = new ctor(pullIntoDescriptor.buffer, pullIntoDescriptor.byteOffset, 0);
    readIntoRequest.closeSteps(emptyView);
    return;
  }
  if (controller.queueTotalSize > 0) {
    if (ReadableByteStreamControllerFillPullIntoDescriptorFromQueue(controller,
      pullIntoDescriptor)) {
      const filledView = ReadableByteStreamControllerConvertPullIntoDescriptor(
        pullIntoDescriptor);
      ReadableByteStreamControllerHandleQueueDrain(controller);
      readIntoRequest.chunkSteps(filledView);
      return;
    }
    if (controller.closeRequested) {
      const e = new TypeErrorCtor('Insufficient bytes to fill elements in the given buffer');
      ReadableByteStreamControllerError(controller, e);
      readIntoRequest.errorSteps(e);
      return;
    }
  }
  controller.pendingPullIntos.push(pullIntoDescriptor);
  ReadableStreamAddReadIntoRequest(stream, readIntoRequest);
  ReadableByteStreamControllerCallPullIfNeeded(controller);
}
function ReadableByteStreamControllerRespond(controller, bytesWritten) {
  const firstDescriptor = controller.pendingPullIntos.peek();
  const state = controller.stream.state;
  if (state === 'closed') {
    if (bytesWritten !== 0) {
      throw new TypeErrorCtor('bytesWritten must be 0 when calling respond() on a closed stream');
    }
  } else {
    if (bytesWritten === 0) {
      throw new TypeErrorCtor('bytesWritten must be greater than 0 when calling respond() on a readable stream');
    }
    if (firstDescriptor.bytesFilled + bytesWritten > firstDescriptor.byteLength) {
      throw new RangeErrorCtor('bytesWritten out of range');
    }
  }
  firstDescriptor.buffer = transferArrayBuffer(firstDescriptor.buffer);
  ReadableByteStreamControllerRespondInternal(controller, bytesWritten);
}
function ReadableByteStreamControllerRespondInClosedState(controller, firstDescriptor) {
  if (firstDescriptor.readerType === 'none') {
    ReadableByteStreamControllerShiftPendingPullInto(controller);
  }
  const stream = controller.stream;
  if (ReadableStreamHasBYOBReader(stream)) {
    const filledPullIntos = new List();
    while (filledPullIntos.size < ReadableStreamGetNumReadIntoRequests(stream)) {
      filledPullIntos.push(ReadableByteStreamControllerShiftPendingPullInto(controller));
    }
    while (filledPullIntos.size > 0) {
      ReadableByteStreamControllerCommitPullIntoDescriptor(stream, filledPullIntos.shift());
    }
  }
}
function ReadableByteStreamControllerRespondInReadableState(controller, bytesWritten,
  pullIntoDescriptor) {
  ReadableByteStreamControllerFillHeadPullIntoDescriptor(controller, bytesWritten,
    pullIntoDescriptor);
  if (pullIntoDescriptor.readerType === 'none') {
    ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue(controller, pullIntoDescriptor);
    const filledPullIntos =
      ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller);
    for (let i = 0; i < filledPullIntos.length; ++i) {
      ReadableByteStreamControllerCommitPullIntoDescriptor(controller.stream,
        filledPullIntos[i]);
    }
    return;
  }
  if (pullIntoDescriptor.bytesFilled < pullIntoDescriptor.minimumFill) return;
  ReadableByteStreamControllerShiftPendingPullInto(controller);
  const remainderSize = pullIntoDescriptor.bytesFilled % pullIntoDescriptor.elementSize;
  if (remainderSize > 0) {
    const end = pullIntoDescriptor.byteOffset + pullIntoDescriptor.bytesFilled;
    ReadableByteStreamControllerEnqueueClonedChunkToQueue(controller, pullIntoDescriptor.buffer,
      end - remainderSize, remainderSize);
  }
  pullIntoDescriptor.bytesFilled -= remainderSize;
  const filledPullIntos =
    ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller);
  ReadableByteStreamControllerCommitPullIntoDescriptor(controller.stream, pullIntoDescriptor);
  for (let i = 0; i < filledPullIntos.length; ++i) {
    ReadableByteStreamControllerCommitPullIntoDescriptor(controller.stream, filledPullIntos[i]);
  }
}
function ReadableByteStreamControllerRespondInternal(controller, bytesWritten) {
  const firstDescriptor = controller.pendingPullIntos.peek();
  ReadableByteStreamControllerInvalidateBYOBRequest(controller);
  const state = controller.stream.state;
  if (state === 'closed') {
    ReadableByteStreamControllerRespondInClosedState(controller, firstDescriptor);
  } else {
    ReadableByteStreamControllerRespondInReadableState(controller, bytesWritten,
      firstDescriptor);
  }
  ReadableByteStreamControllerCallPullIfNeeded(controller);
}
function ReadableByteStreamControllerRespondWithNewView(controller, view) {
  const firstDescriptor = controller.pendingPullIntos.peek();
  const state = controller.stream.state;
  const byteLength = viewByteLength(view);
  const byteOffset = viewByteOffset(view);
  const buffer = viewBuffer(view);
  if (state === 'closed') {
    if (byteLength !== 0) {
      throw new TypeErrorCtor("The view's length must be 0 when calling respondWithNewView() on a closed stream");
    }
  } else if (byteLength === 0) {
    throw new TypeErrorCtor("The view's length must be greater than 0 when calling respondWithNewView() on a readable stream");
  }
  if (firstDescriptor.byteOffset + firstDescriptor.bytesFilled !== byteOffset) {
    throw new RangeErrorCtor('The region specified by view does not match byobRequest');
  }
  if (firstDescriptor.bufferByteLength !== ArrayBufferByteLength(buffer)) {
    throw new RangeErrorCtor('The buffer of view has different capacity than byobRequest');
  }
  if (firstDescriptor.bytesFilled + byteLength > firstDescriptor.byteLength) {
    throw new RangeErrorCtor('The region specified by view is larger than byobRequest');
  }
  const viewByteLengthValue = byteLength;
  firstDescriptor.buffer = transferArrayBuffer(buffer);
  ReadableByteStreamControllerRespondInternal(controller, viewByteLengthValue);
}
function ReadableByteStreamControllerShiftPendingPullInto(controller) {
  return controller.pendingPullIntos.shift();
}
function ReadableByteStreamControllerShouldCallPull(controller) {
  const stream = controller.stream;
  if (stream.state !== 'readable') return false;
  if (controller.closeRequested) return false;
  if (!controller.started) return false;
  if (ReadableStreamHasDefaultReader(stream) && ReadableStreamGetNumReadRequests(stream) > 0) {
    return true;
  }
  if (ReadableStreamHasBYOBReader(stream) && ReadableStreamGetNumReadIntoRequests(stream) > 0) {
    return true;
  }
  const desiredSize = ReadableByteStreamControllerGetDesiredSize(controller);
  return desiredSize > 0;
}
function SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm,
  cancelAlgorithm, highWaterMark, autoAllocateChunkSize) {
  controller.stream = stream;
  controller.pullAgain = false;
  controller.pulling = false;
  controller.byobRequest = null;
  resetQueue(controller);
  controller.closeRequested = false;
  controller.started = false;
  controller.strategyHWM = highWaterMark;
  controller.pullAlgorithm = pullAlgorithm;
  controller.cancelAlgorithm = cancelAlgorithm;
  controller.autoAllocateChunkSize = autoAllocateChunkSize;
  controller.pendingPullIntos = new List();
  stream.controller = controller;
  const startResult = startAlgorithm(controller);
  react(promiseResolvedWith(startResult), () => {
    controller.started = true;
    ReadableByteStreamControllerCallPullIfNeeded(controller);
  }, (r) => {
    ReadableByteStreamControllerError(controller, r);
  });
}
function SetUpReadableByteStreamControllerFromUnderlyingSource(stream, underlyingSource,
  underlyingSourceDict, highWaterMark) {
  const controller = newRBSC();
  wrap(ReadableByteStreamController, controller);
  let startAlgorithm = () => undefined;
  let pullAlgorithm = resolvedUndefined;
  let cancelAlgorithm = resolvedUndefined;
  const { start, pull, cancel } = underlyingSourceDict;
  if (start !== undefined) {
    startAlgorithm = () => ReflectApply(start, underlyingSource, [controller.obj]);
  }
  if (pull !== undefined) {
    pullAlgorithm = () => invokePromise(pull, underlyingSource, [controller.obj]);
  }
  if (cancel !== undefined) {
    cancelAlgorithm = (reason) => invokePromise(cancel, underlyingSource, [reason]);
  }
  const autoAllocateChunkSize = underlyingSourceDict.autoAllocateChunkSize;
  if (autoAllocateChunkSize === 0) {
    throw new TypeErrorCtor('autoAllocateChunkSize must be greater than 0');
  }
  SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm,
    cancelAlgorithm, highWaterMark, autoAllocateChunkSize);
}
function RBSCCancelSteps(controller, reason) {
  ReadableByteStreamControllerClearPendingPullIntos(controller);
  resetQueue(controller);
  const result = controller.cancelAlgorithm(reason);
  ReadableByteStreamControllerClearAlgorithms(controller);
  return result;
}
function RBSCPullSteps(controller, readRequest) {
  const stream = controller.stream;
  if (controller.queueTotalSize > 0) {
    ReadableByteStreamControllerFillReadRequestFromQueue(controller, readRequest);
    return;
  }
  const autoAllocateChunkSize = controller.autoAllocateChunkSize;
  if (autoAllocateChunkSize !== undefined) {
    let buffer;
    try {
      buffer = new ArrayBufferCtor(autoAllocateChunkSize);
    } catch (e) {
      readRequest.errorSteps(e);
      return;
    }
    controller.pendingPullIntos.push({
      buffer, bufferByteLength: autoAllocateChunkSize, byteOffset: 0,
      byteLength: autoAllocateChunkSize, bytesFilled: 0, minimumFill: 1, elementSize: 1,
      viewConstructor: Uint8ArrayCtor, readerType: 'default',
    });
  }
  ReadableStreamAddReadRequest(stream, readRequest);
  ReadableByteStreamControllerCallPullIfNeeded(controller);
}
function RBSCReleaseSteps(controller) {
  if (controller.pendingPullIntos.size > 0) {
    const firstPendingPullInto = controller.pendingPullIntos.peek();
    firstPendingPullInto.readerType = 'none';
    controller.pendingPullIntos = new List();
    controller.pendingPullIntos.push(firstPendingPullInto);
  }
}

// ======================= WritableStream: records and abstract operations =======================

const closeSentinel = { __proto__: null };

function newWS() {
  return {
    kind: K_WS, obj: undefined, state: 'writable', storedError: undefined, writer: undefined,
    controller: undefined, inFlightWriteRequest: undefined, closeRequest: undefined,
    inFlightCloseRequest: undefined, pendingAbortRequest: undefined,
    writeRequests: new List(), backpressure: false,
  };
}
function newWSDC() {
  return {
    kind: K_WSDC, obj: undefined, stream: undefined, queue: undefined, queueTotalSize: 0,
    abortSignal: undefined, abortReason: undefined, aborted: false, started: false,
    strategySizeAlgorithm: undefined, strategyHWM: 0, writeAlgorithm: undefined,
    closeAlgorithm: undefined, abortAlgorithm: undefined,
  };
}
function newWriter() {
  return { kind: K_WRITER, obj: undefined, stream: undefined, closedPromise: undefined,
    readyPromise: undefined };
}
function writerObj(writer) {
  if (writer.obj === undefined) wrap(WritableStreamDefaultWriter, writer);
  return writer.obj;
}

function AcquireWritableStreamDefaultWriter(stream) {
  const writer = newWriter();
  SetUpWritableStreamDefaultWriter(writer, stream);
  return writer;
}
function CreateWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm,
  highWaterMark = 1, sizeAlgorithm = sizeOne) {
  const stream = newWS();
  wrap(WritableStream, stream);
  const controller = newWSDC();
  wrap(WritableStreamDefaultController, controller);
  SetUpWritableStreamDefaultController(stream, controller, startAlgorithm, writeAlgorithm,
    closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
  return stream;
}
function IsWritableStreamLocked(stream) {
  return stream.writer !== undefined;
}
function SetUpWritableStreamDefaultWriter(writer, stream) {
  if (IsWritableStreamLocked(stream)) throw new TypeErrorCtor('The WritableStream is locked');
  writer.stream = stream;
  stream.writer = writer;
  const state = stream.state;
  if (state === 'writable') {
    if (!WritableStreamCloseQueuedOrInFlight(stream) && stream.backpressure) {
      writer.readyPromise = newPromise();
    } else {
      writer.readyPromise = settledResolved(undefined);
    }
    writer.closedPromise = newPromise();
  } else if (state === 'erroring') {
    writer.readyPromise = settledRejected(stream.storedError);
    writer.closedPromise = newPromise();
  } else if (state === 'closed') {
    writer.readyPromise = settledResolved(undefined);
    writer.closedPromise = settledResolved(undefined);
  } else {
    const storedError = stream.storedError;
    writer.readyPromise = settledRejected(storedError);
    writer.closedPromise = settledRejected(storedError);
  }
}

// https://streams.spec.whatwg.org/#writable-stream-abort
function WritableStreamAbort(stream, reason) {
  if (stream.state === 'closed' || stream.state === 'errored') return resolvedUndefined();
  WSDCSignalAbort(stream.controller, reason);
  const state = stream.state;
  if (state === 'closed' || state === 'errored') return resolvedUndefined();
  if (stream.pendingAbortRequest !== undefined) return stream.pendingAbortRequest.promise.promise;
  let wasAlreadyErroring = false;
  if (state === 'erroring') {
    wasAlreadyErroring = true;
    reason = undefined;
  }
  const promise = newPromise();
  stream.pendingAbortRequest = { promise, reason, wasAlreadyErroring };
  if (!wasAlreadyErroring) WritableStreamStartErroring(stream, reason);
  return promise.promise;
}
function WritableStreamClose(stream) {
  const state = stream.state;
  if (state === 'closed' || state === 'errored') {
    return promiseRejectedWith(new TypeErrorCtor('The stream is not in the writable state and cannot be closed'));
  }
  const promise = newPromise();
  stream.closeRequest = promise;
  const writer = stream.writer;
  if (writer !== undefined && stream.backpressure && state === 'writable') {
    resolveP(writer.readyPromise, undefined);
  }
  WritableStreamDefaultControllerClose(stream.controller);
  return promise.promise;
}
function WritableStreamAddWriteRequest(stream) {
  const promise = newPromise();
  stream.writeRequests.push(promise);
  return promise.promise;
}
function WritableStreamDealWithRejection(stream, error) {
  if (stream.state === 'writable') {
    WritableStreamStartErroring(stream, error);
    return;
  }
  WritableStreamFinishErroring(stream);
}
function WritableStreamFinishErroring(stream) {
  stream.state = 'errored';
  WSDCErrorSteps(stream.controller);
  const storedError = stream.storedError;
  const writeRequests = stream.writeRequests.drain();
  for (let i = 0; i < writeRequests.length; ++i) rejectP(writeRequests[i], storedError);
  if (stream.pendingAbortRequest === undefined) {
    WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
    return;
  }
  const abortRequest = stream.pendingAbortRequest;
  stream.pendingAbortRequest = undefined;
  if (abortRequest.wasAlreadyErroring) {
    rejectP(abortRequest.promise, storedError);
    WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
    return;
  }
  const promise = WSDCAbortSteps(stream.controller, abortRequest.reason);
  react(promise, () => {
    resolveP(abortRequest.promise, undefined);
    WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
  }, (reason) => {
    rejectP(abortRequest.promise, reason);
    WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
  });
}
function WritableStreamFinishInFlightClose(stream) {
  resolveP(stream.inFlightCloseRequest, undefined);
  stream.inFlightCloseRequest = undefined;
  const state = stream.state;
  if (state === 'erroring') {
    stream.storedError = undefined;
    if (stream.pendingAbortRequest !== undefined) {
      resolveP(stream.pendingAbortRequest.promise, undefined);
      stream.pendingAbortRequest = undefined;
    }
  }
  stream.state = 'closed';
  const writer = stream.writer;
  if (writer !== undefined) resolveP(writer.closedPromise, undefined);
}
function WritableStreamFinishInFlightCloseWithError(stream, error) {
  rejectP(stream.inFlightCloseRequest, error);
  stream.inFlightCloseRequest = undefined;
  if (stream.pendingAbortRequest !== undefined) {
    rejectP(stream.pendingAbortRequest.promise, error);
    stream.pendingAbortRequest = undefined;
  }
  WritableStreamDealWithRejection(stream, error);
}
function WritableStreamFinishInFlightWrite(stream) {
  resolveP(stream.inFlightWriteRequest, undefined);
  stream.inFlightWriteRequest = undefined;
}
function WritableStreamFinishInFlightWriteWithError(stream, error) {
  rejectP(stream.inFlightWriteRequest, error);
  stream.inFlightWriteRequest = undefined;
  WritableStreamDealWithRejection(stream, error);
}
function WritableStreamHasOperationMarkedInFlight(stream) {
  return stream.inFlightWriteRequest !== undefined || stream.inFlightCloseRequest !== undefined;
}
function WritableStreamMarkCloseRequestInFlight(stream) {
  stream.inFlightCloseRequest = stream.closeRequest;
  stream.closeRequest = undefined;
}
function WritableStreamMarkFirstWriteRequestInFlight(stream) {
  stream.inFlightWriteRequest = stream.writeRequests.shift();
}
function WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream) {
  if (stream.closeRequest !== undefined) {
    rejectP(stream.closeRequest, stream.storedError);
    stream.closeRequest = undefined;
  }
  const writer = stream.writer;
  if (writer !== undefined) rejectedHandled(writer.closedPromise, stream.storedError);
}
function WritableStreamStartErroring(stream, reason) {
  const controller = stream.controller;
  stream.state = 'erroring';
  stream.storedError = reason;
  const writer = stream.writer;
  if (writer !== undefined) WritableStreamDefaultWriterEnsureReadyPromiseRejected(writer, reason);
  if (!WritableStreamHasOperationMarkedInFlight(stream) && controller.started) {
    WritableStreamFinishErroring(stream);
  }
}
function WritableStreamUpdateBackpressure(stream, backpressure) {
  const writer = stream.writer;
  if (writer !== undefined && backpressure !== stream.backpressure) {
    if (backpressure) writer.readyPromise = newPromise();
    else resolveP(writer.readyPromise, undefined);
  }
  stream.backpressure = backpressure;
}
function WritableStreamCloseQueuedOrInFlight(stream) {
  return stream.closeRequest !== undefined || stream.inFlightCloseRequest !== undefined;
}

// ---- writers ----

function WritableStreamDefaultWriterAbort(writer, reason) {
  return WritableStreamAbort(writer.stream, reason);
}
function WritableStreamDefaultWriterClose(writer) {
  return WritableStreamClose(writer.stream);
}
function WritableStreamDefaultWriterCloseWithErrorPropagation(writer) {
  const stream = writer.stream;
  const state = stream.state;
  if (WritableStreamCloseQueuedOrInFlight(stream) || state === 'closed') {
    return resolvedUndefined();
  }
  if (state === 'errored') return promiseRejectedWith(stream.storedError);
  return WritableStreamDefaultWriterClose(writer);
}
function WritableStreamDefaultWriterEnsureClosedPromiseRejected(writer, error) {
  if (!writer.closedPromise.settled) rejectedHandled(writer.closedPromise, error);
  else writer.closedPromise = settledRejected(error);
}
function WritableStreamDefaultWriterEnsureReadyPromiseRejected(writer, error) {
  if (!writer.readyPromise.settled) rejectedHandled(writer.readyPromise, error);
  else writer.readyPromise = settledRejected(error);
}
function WritableStreamDefaultWriterGetDesiredSize(writer) {
  const stream = writer.stream;
  const state = stream.state;
  if (state === 'errored' || state === 'erroring') return null;
  if (state === 'closed') return 0;
  return WritableStreamDefaultControllerGetDesiredSize(stream.controller);
}
function WritableStreamDefaultWriterRelease(writer) {
  const stream = writer.stream;
  const releasedError = new TypeErrorCtor('The writer was released');
  WritableStreamDefaultWriterEnsureReadyPromiseRejected(writer, releasedError);
  WritableStreamDefaultWriterEnsureClosedPromiseRejected(writer, releasedError);
  stream.writer = undefined;
  writer.stream = undefined;
}
function WritableStreamDefaultWriterWrite(writer, chunk) {
  const stream = writer.stream;
  const controller = stream.controller;
  const chunkSize = WritableStreamDefaultControllerGetChunkSize(controller, chunk);
  if (stream !== writer.stream) {
    return promiseRejectedWith(new TypeErrorCtor('The writer was released'));
  }
  const state = stream.state;
  if (state === 'errored') return promiseRejectedWith(stream.storedError);
  if (WritableStreamCloseQueuedOrInFlight(stream) || state === 'closed') {
    return promiseRejectedWith(new TypeErrorCtor('The stream is closing or closed and cannot be written to'));
  }
  if (state === 'erroring') return promiseRejectedWith(stream.storedError);
  const promise = WritableStreamAddWriteRequest(stream);
  WritableStreamDefaultControllerWrite(controller, chunk, chunkSize);
  return promise;
}

// ---- default controllers ----

function WSDCSignalAbort(controller, reason) {
  if (controller.aborted) return;
  controller.aborted = true;
  controller.abortReason = reason;
  if (controller.abortSignal !== undefined) abortOps.signalAbort(controller.abortSignal, reason);
}
function WSDCSignal(controller) {
  if (controller.abortSignal === undefined) {
    controller.abortSignal = abortOps.createSignal();
    if (controller.aborted) abortOps.signalAbort(controller.abortSignal, controller.abortReason);
  }
  return controller.abortSignal;
}
function SetUpWritableStreamDefaultController(stream, controller, startAlgorithm, writeAlgorithm,
  closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm) {
  controller.stream = stream;
  stream.controller = controller;
  resetQueue(controller);
  controller.started = false;
  controller.strategySizeAlgorithm = sizeAlgorithm;
  controller.strategyHWM = highWaterMark;
  controller.writeAlgorithm = writeAlgorithm;
  controller.closeAlgorithm = closeAlgorithm;
  controller.abortAlgorithm = abortAlgorithm;
  const backpressure = WritableStreamDefaultControllerGetBackpressure(controller);
  WritableStreamUpdateBackpressure(stream, backpressure);
  const startResult = startAlgorithm(controller);
  const startPromise = promiseResolvedWith(startResult);
  react(startPromise, () => {
    controller.started = true;
    WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
  }, (r) => {
    controller.started = true;
    WritableStreamDealWithRejection(stream, r);
  });
}
function SetUpWritableStreamDefaultControllerFromUnderlyingSink(stream, underlyingSink,
  underlyingSinkDict, highWaterMark, sizeAlgorithm) {
  const controller = newWSDC();
  wrap(WritableStreamDefaultController, controller);
  let startAlgorithm = () => undefined;
  let writeAlgorithm = resolvedUndefined;
  let closeAlgorithm = resolvedUndefined;
  let abortAlgorithm = resolvedUndefined;
  const { start, write, close, abort } = underlyingSinkDict;
  if (start !== undefined) {
    startAlgorithm = () => ReflectApply(start, underlyingSink, [controller.obj]);
  }
  if (write !== undefined) {
    writeAlgorithm = (chunk) => invokePromise(write, underlyingSink, [chunk, controller.obj]);
  }
  if (close !== undefined) {
    closeAlgorithm = () => invokePromise(close, underlyingSink, []);
  }
  if (abort !== undefined) {
    abortAlgorithm = (reason) => invokePromise(abort, underlyingSink, [reason]);
  }
  SetUpWritableStreamDefaultController(stream, controller, startAlgorithm, writeAlgorithm,
    closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
}
function WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller) {
  const stream = controller.stream;
  if (!controller.started) return;
  if (stream.inFlightWriteRequest !== undefined) return;
  const state = stream.state;
  if (state === 'erroring') {
    WritableStreamFinishErroring(stream);
    return;
  }
  if (controller.queue.size === 0) return;
  const value = peekQueueValue(controller);
  if (value === closeSentinel) WritableStreamDefaultControllerProcessClose(controller);
  else WritableStreamDefaultControllerProcessWrite(controller, value);
}
function WritableStreamDefaultControllerClearAlgorithms(controller) {
  controller.writeAlgorithm = undefined;
  controller.closeAlgorithm = undefined;
  controller.abortAlgorithm = undefined;
  controller.strategySizeAlgorithm = undefined;
}
function WritableStreamDefaultControllerClose(controller) {
  enqueueValueWithSize(controller, closeSentinel, 0);
  WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
}
function WritableStreamDefaultControllerError(controller, error) {
  const stream = controller.stream;
  WritableStreamDefaultControllerClearAlgorithms(controller);
  WritableStreamStartErroring(stream, error);
}
function WritableStreamDefaultControllerErrorIfNeeded(controller, error) {
  if (controller.stream.state === 'writable') {
    WritableStreamDefaultControllerError(controller, error);
  }
}
function WritableStreamDefaultControllerGetBackpressure(controller) {
  return WritableStreamDefaultControllerGetDesiredSize(controller) <= 0;
}
function WritableStreamDefaultControllerGetChunkSize(controller, chunk) {
  if (controller.strategySizeAlgorithm === undefined) return 1;
  try {
    return controller.strategySizeAlgorithm(chunk);
  } catch (e) {
    WritableStreamDefaultControllerErrorIfNeeded(controller, e);
    return 1;
  }
}
function WritableStreamDefaultControllerGetDesiredSize(controller) {
  return controller.strategyHWM - controller.queueTotalSize;
}
function WritableStreamDefaultControllerProcessClose(controller) {
  const stream = controller.stream;
  WritableStreamMarkCloseRequestInFlight(stream);
  dequeueValue(controller);
  const sinkClosePromise = controller.closeAlgorithm();
  WritableStreamDefaultControllerClearAlgorithms(controller);
  react(sinkClosePromise, () => {
    WritableStreamFinishInFlightClose(stream);
  }, (reason) => {
    WritableStreamFinishInFlightCloseWithError(stream, reason);
  });
}
function WritableStreamDefaultControllerProcessWrite(controller, chunk) {
  const stream = controller.stream;
  WritableStreamMarkFirstWriteRequestInFlight(stream);
  const sinkWritePromise = controller.writeAlgorithm(chunk);
  react(sinkWritePromise, () => {
    WritableStreamFinishInFlightWrite(stream);
    const state = stream.state;
    dequeueValue(controller);
    if (!WritableStreamCloseQueuedOrInFlight(stream) && state === 'writable') {
      const backpressure = WritableStreamDefaultControllerGetBackpressure(controller);
      WritableStreamUpdateBackpressure(stream, backpressure);
    }
    WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
  }, (reason) => {
    if (stream.state === 'writable') WritableStreamDefaultControllerClearAlgorithms(controller);
    WritableStreamFinishInFlightWriteWithError(stream, reason);
  });
}
function WritableStreamDefaultControllerWrite(controller, chunk, chunkSize) {
  try {
    enqueueValueWithSize(controller, chunk, chunkSize);
  } catch (e) {
    WritableStreamDefaultControllerErrorIfNeeded(controller, e);
    return;
  }
  const stream = controller.stream;
  if (!WritableStreamCloseQueuedOrInFlight(stream) && stream.state === 'writable') {
    const backpressure = WritableStreamDefaultControllerGetBackpressure(controller);
    WritableStreamUpdateBackpressure(stream, backpressure);
  }
  WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
}
function WSDCAbortSteps(controller, reason) {
  const result = controller.abortAlgorithm(reason);
  WritableStreamDefaultControllerClearAlgorithms(controller);
  return result;
}
function WSDCErrorSteps(controller) {
  resetQueue(controller);
}

// ======================= TransformStream: records and abstract operations =======================

function newTS() {
  return { kind: K_TS, obj: undefined, backpressure: undefined,
    backpressureChangePromise: undefined, controller: undefined, readable: undefined,
    writable: undefined };
}
function newTSDC() {
  return { kind: K_TSDC, obj: undefined, stream: undefined, transformAlgorithm: undefined,
    flushAlgorithm: undefined, cancelAlgorithm: undefined, finishPromise: undefined };
}

function InitializeTransformStream(stream, startPromise, writableHighWaterMark,
  writableSizeAlgorithm, readableHighWaterMark, readableSizeAlgorithm) {
  const startAlgorithm = () => startPromise;
  const writeAlgorithm = (chunk) => TransformStreamDefaultSinkWriteAlgorithm(stream, chunk);
  const abortAlgorithm = (reason) => TransformStreamDefaultSinkAbortAlgorithm(stream, reason);
  const closeAlgorithm = () => TransformStreamDefaultSinkCloseAlgorithm(stream);
  stream.writable = CreateWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm,
    abortAlgorithm, writableHighWaterMark, writableSizeAlgorithm);
  const pullAlgorithm = () => TransformStreamDefaultSourcePullAlgorithm(stream);
  const cancelAlgorithm = (reason) => TransformStreamDefaultSourceCancelAlgorithm(stream, reason);
  stream.readable = CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm,
    readableHighWaterMark, readableSizeAlgorithm);
  stream.backpressure = undefined;
  stream.backpressureChangePromise = undefined;
  TransformStreamSetBackpressure(stream, true);
  stream.controller = undefined;
}
function TransformStreamError(stream, e) {
  ReadableStreamDefaultControllerError(stream.readable.controller, e);
  TransformStreamErrorWritableAndUnblockWrite(stream, e);
}
function TransformStreamErrorWritableAndUnblockWrite(stream, e) {
  TransformStreamDefaultControllerClearAlgorithms(stream.controller);
  WritableStreamDefaultControllerErrorIfNeeded(stream.writable.controller, e);
  TransformStreamUnblockWrite(stream);
}
function TransformStreamSetBackpressure(stream, backpressure) {
  if (stream.backpressureChangePromise !== undefined) {
    resolveP(stream.backpressureChangePromise, undefined);
  }
  stream.backpressureChangePromise = newPromise();
  stream.backpressure = backpressure;
}
function TransformStreamUnblockWrite(stream) {
  if (stream.backpressure) TransformStreamSetBackpressure(stream, false);
}
function SetUpTransformStreamDefaultController(stream, controller, transformAlgorithm,
  flushAlgorithm, cancelAlgorithm) {
  controller.stream = stream;
  stream.controller = controller;
  controller.transformAlgorithm = transformAlgorithm;
  controller.flushAlgorithm = flushAlgorithm;
  controller.cancelAlgorithm = cancelAlgorithm;
}
function SetUpTransformStreamDefaultControllerFromTransformer(stream, transformer,
  transformerDict) {
  const controller = newTSDC();
  wrap(TransformStreamDefaultController, controller);
  let transformAlgorithm = (chunk) => {
    try {
      TransformStreamDefaultControllerEnqueue(controller, chunk);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return resolvedUndefined();
  };
  let flushAlgorithm = resolvedUndefined;
  let cancelAlgorithm = resolvedUndefined;
  const { transform, flush, cancel } = transformerDict;
  if (transform !== undefined) {
    transformAlgorithm = (chunk) => invokePromise(transform, transformer,
      [chunk, controller.obj]);
  }
  if (flush !== undefined) {
    flushAlgorithm = () => invokePromise(flush, transformer, [controller.obj]);
  }
  if (cancel !== undefined) {
    cancelAlgorithm = (reason) => invokePromise(cancel, transformer, [reason]);
  }
  SetUpTransformStreamDefaultController(stream, controller, transformAlgorithm, flushAlgorithm,
    cancelAlgorithm);
}
function TransformStreamDefaultControllerClearAlgorithms(controller) {
  controller.transformAlgorithm = undefined;
  controller.flushAlgorithm = undefined;
  controller.cancelAlgorithm = undefined;
}
function TransformStreamDefaultControllerEnqueue(controller, chunk) {
  const stream = controller.stream;
  const readableController = stream.readable.controller;
  if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(readableController)) {
    throw new TypeErrorCtor('Readable side is not in a state that permits enqueue');
  }
  try {
    ReadableStreamDefaultControllerEnqueue(readableController, chunk);
  } catch (e) {
    TransformStreamErrorWritableAndUnblockWrite(stream, e);
    throw stream.readable.storedError;
  }
  const backpressure = ReadableStreamDefaultControllerHasBackpressure(readableController);
  if (backpressure !== stream.backpressure) TransformStreamSetBackpressure(stream, true);
}
function TransformStreamDefaultControllerError(controller, e) {
  TransformStreamError(controller.stream, e);
}
function TransformStreamDefaultControllerPerformTransform(controller, chunk) {
  const transformPromise = controller.transformAlgorithm(chunk);
  return react(transformPromise, undefined, (r) => {
    TransformStreamError(controller.stream, r);
    throw r;
  });
}
function TransformStreamDefaultControllerTerminate(controller) {
  const stream = controller.stream;
  const readableController = stream.readable.controller;
  ReadableStreamDefaultControllerClose(readableController);
  const error = new TypeErrorCtor('TransformStream terminated');
  TransformStreamErrorWritableAndUnblockWrite(stream, error);
}
function TransformStreamDefaultSinkWriteAlgorithm(stream, chunk) {
  const controller = stream.controller;
  if (stream.backpressure) {
    const backpressureChangePromise = stream.backpressureChangePromise;
    return reactAdopt(backpressureChangePromise.promise, () => {
      const writable = stream.writable;
      const state = writable.state;
      if (state === 'erroring') throw writable.storedError;
      return TransformStreamDefaultControllerPerformTransform(controller, chunk);
    }, undefined);
  }
  return TransformStreamDefaultControllerPerformTransform(controller, chunk);
}
function TransformStreamDefaultSinkAbortAlgorithm(stream, reason) {
  const controller = stream.controller;
  if (controller.finishPromise !== undefined) return controller.finishPromise.promise;
  const readable = stream.readable;
  const finishPromise = newPromise();
  controller.finishPromise = finishPromise;
  const cancelPromise = controller.cancelAlgorithm(reason);
  TransformStreamDefaultControllerClearAlgorithms(controller);
  react(cancelPromise, () => {
    if (readable.state === 'errored') {
      rejectP(finishPromise, readable.storedError);
    } else {
      ReadableStreamDefaultControllerError(readable.controller, reason);
      resolveP(finishPromise, undefined);
    }
  }, (r) => {
    ReadableStreamDefaultControllerError(readable.controller, r);
    rejectP(finishPromise, r);
  });
  return finishPromise.promise;
}
function TransformStreamDefaultSinkCloseAlgorithm(stream) {
  const controller = stream.controller;
  if (controller.finishPromise !== undefined) return controller.finishPromise.promise;
  const readable = stream.readable;
  const finishPromise = newPromise();
  controller.finishPromise = finishPromise;
  const flushPromise = controller.flushAlgorithm();
  TransformStreamDefaultControllerClearAlgorithms(controller);
  react(flushPromise, () => {
    if (readable.state === 'errored') {
      rejectP(finishPromise, readable.storedError);
    } else {
      ReadableStreamDefaultControllerClose(readable.controller);
      resolveP(finishPromise, undefined);
    }
  }, (r) => {
    ReadableStreamDefaultControllerError(readable.controller, r);
    rejectP(finishPromise, r);
  });
  return finishPromise.promise;
}
function TransformStreamDefaultSourceCancelAlgorithm(stream, reason) {
  const controller = stream.controller;
  if (controller.finishPromise !== undefined) return controller.finishPromise.promise;
  const writable = stream.writable;
  const finishPromise = newPromise();
  controller.finishPromise = finishPromise;
  const cancelPromise = controller.cancelAlgorithm(reason);
  TransformStreamDefaultControllerClearAlgorithms(controller);
  react(cancelPromise, () => {
    if (writable.state === 'errored') {
      rejectP(finishPromise, writable.storedError);
    } else {
      WritableStreamDefaultControllerErrorIfNeeded(writable.controller, reason);
      TransformStreamUnblockWrite(stream);
      resolveP(finishPromise, undefined);
    }
  }, (r) => {
    WritableStreamDefaultControllerErrorIfNeeded(writable.controller, r);
    TransformStreamUnblockWrite(stream);
    rejectP(finishPromise, r);
  });
  return finishPromise.promise;
}
function TransformStreamDefaultSourcePullAlgorithm(stream) {
  TransformStreamSetBackpressure(stream, false);
  return stream.backpressureChangePromise.promise;
}

// ======================= public interfaces =======================

// SetUpReadableStream*Reader's checks, first, so that their TypeErrors name the operation.
function checkReaderSetUp(stream, byob, prefix) {
  if (IsReadableStreamLocked(stream)) {
    throw new TypeErrorCtor(`${prefix}: the ReadableStream is locked`);
  }
  if (byob && stream.controller.kind !== K_RBSC) {
    throw new TypeErrorCtor(`${prefix}: a BYOB reader needs a readable byte stream`);
  }
}

// A promise-returning operation turns any exception (a bad receiver, a conversion) into a
// rejected promise (https://webidl.spec.whatwg.org/#dfn-create-operation-function).
const kRS = 'ReadableStream';

class ReadableStream extends null {
  constructor(underlyingSource = undefined, strategy = undefined) {
    const prefix = pfx(kRS);
    const source = toObjectOrNull(underlyingSource, prefix, 'parameter 1');
    const strategyDict = toQueuingStrategy(strategy, prefix, 'parameter 2');
    const underlyingSourceDict = toUnderlyingSource(source, prefix, 'parameter 1');
    const stream = newRS();
    const self = slotsNew(new.target, stream);
    if (underlyingSourceDict.type === 'bytes') {
      if (strategyDict.size !== undefined) {
        throw new RangeErrorCtor(`${prefix}: the strategy for a byte stream cannot have a size function`);
      }
      const highWaterMark = extractHighWaterMark(strategyDict, 0);
      SetUpReadableByteStreamControllerFromUnderlyingSource(stream, source,
        underlyingSourceDict, highWaterMark);
    } else {
      const sizeAlgorithm = extractSizeAlgorithm(strategyDict);
      const highWaterMark = extractHighWaterMark(strategyDict, 1);
      SetUpReadableStreamDefaultControllerFromUnderlyingSource(stream, source,
        underlyingSourceDict, highWaterMark, sizeAlgorithm);
    }
    return self;
  }

  static from(asyncIterable) {
    webidl.requiredArguments(arguments.length, 1, pfx(kRS, 'from'));
    return ReadableStreamFromIterable(asyncIterable).obj;
  }

  get locked() {
    return IsReadableStreamLocked(unwrap(this, K_RS));
  }

  cancel(reason = undefined) {
    try {
      const stream = unwrap(this, K_RS);
      if (IsReadableStreamLocked(stream)) {
        throw new TypeErrorCtor(`${pfx(kRS, 'cancel')}: the stream is locked`);
      }
      return ReadableStreamCancel(stream, reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }

  getReader(options = undefined) {
    const stream = unwrap(this, K_RS);
    const prefix = pfx(kRS, 'getReader');
    const { mode } = toGetReaderOptions(options, prefix, 'parameter 1');
    checkReaderSetUp(stream, mode === 'byob', prefix);
    if (mode === undefined) return readerObj(AcquireReadableStreamDefaultReader(stream));
    return readerObj(AcquireReadableStreamBYOBReader(stream));
  }

  pipeThrough(transform, options = undefined) {
    const stream = unwrap(this, K_RS);
    const prefix = pfx(kRS, 'pipeThrough');
    webidl.requiredArguments(arguments.length, 1, prefix);
    const pair = toReadableWritablePair(transform, prefix, 'parameter 1');
    const opts = toPipeOptions(options, prefix, 'parameter 2');
    if (IsReadableStreamLocked(stream)) {
      throw new TypeErrorCtor(`${prefix}: the stream is locked`);
    }
    if (IsWritableStreamLocked(pair.writable)) {
      throw new TypeErrorCtor(`${prefix}: the destination WritableStream is locked`);
    }
    const promise = ReadableStreamPipeTo(stream, pair.writable, opts.preventClose,
      opts.preventAbort, opts.preventCancel, opts.signal);
    setHandled(promise);
    return pair.readable.obj;
  }

  pipeTo(destination, options = undefined) {
    try {
      const stream = unwrap(this, K_RS);
      const prefix = pfx(kRS, 'pipeTo');
      webidl.requiredArguments(arguments.length, 1, prefix);
      const dest = toWritableStream(destination, prefix, 'parameter 1');
      const opts = toPipeOptions(options, prefix, 'parameter 2');
      if (IsReadableStreamLocked(stream)) {
        throw new TypeErrorCtor(`${prefix}: the stream is locked`);
      }
      if (IsWritableStreamLocked(dest)) {
        throw new TypeErrorCtor(`${prefix}: the destination WritableStream is locked`);
      }
      return ReadableStreamPipeTo(stream, dest, opts.preventClose, opts.preventAbort,
        opts.preventCancel, opts.signal);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }

  tee() {
    const branches = ReadableStreamTee(unwrap(this, K_RS), false);
    return [branches[0].obj, branches[1].obj];
  }

  values(options = undefined) {
    const stream = unwrap(this, K_RS);
    const { preventCancel } = toIteratorOptions(options, pfx(kRS, 'values'), 'parameter 1');
    const reader = AcquireReadableStreamDefaultReader(stream);
    const it = { kind: K_ITER, obj: undefined, reader, preventCancel, ongoingPromise: undefined,
      isFinished: false };
    return slotsNew(ReadableStreamAsyncIterator, it);
  }
}
finishInterface(ReadableStream);
ObjectDefineProperty(ReadableStream.prototype, SymbolAsyncIterator, {
  value: ReadableStream.prototype.values, writable: true, enumerable: false, configurable: true,
});

// The asynchronous iterator prototype (https://webidl.spec.whatwg.org/#es-asynchronous-iterator-prototype-object).
function ReadableStreamAsyncIterator() {}
const asyncIteratorPrototype = ObjectCreate(AsyncIteratorPrototype);
ReadableStreamAsyncIterator.prototype = asyncIteratorPrototype;
function iterResult(value, done) {
  return { value, done };
}
function asyncIteratorGetNext(it) {
  const reader = it.reader;
  const promise = newPromise();
  ReadableStreamDefaultReaderRead(reader, {
    chunkSteps(chunk) { resolveP(promise, iterResult(chunk, false)); },
    closeSteps() {
      ReadableStreamDefaultReaderRelease(reader);
      resolveP(promise, iterResult(undefined, true));
    },
    errorSteps(e) {
      ReadableStreamDefaultReaderRelease(reader);
      rejectP(promise, e);
    },
  });
  return promise.promise;
}
const asyncIteratorMethods = {
  next() {
    const it = slotsGet(this);
    if (it === undefined || it.kind !== K_ITER) return promiseRejectedWith(illegalInvocation());
    const nextSteps = () => {
      if (it.isFinished) return promiseResolvedWith(iterResult(undefined, true));
      if (it.reader.stream === undefined) {
        return promiseRejectedWith(new TypeErrorCtor('The iterator was released'));
      }
      return react(asyncIteratorGetNext(it), (next) => {
        it.ongoingPromise = undefined;
        if (next.done) it.isFinished = true;
        return next;
      }, (reason) => {
        it.ongoingPromise = undefined;
        it.isFinished = true;
        throw reason;
      });
    };
    it.ongoingPromise = it.ongoingPromise !== undefined
      ? reactAdopt(it.ongoingPromise, nextSteps, nextSteps) : nextSteps();
    return it.ongoingPromise;
  },
  return(value) {
    const it = slotsGet(this);
    if (it === undefined || it.kind !== K_ITER) return promiseRejectedWith(illegalInvocation());
    const returnSteps = () => {
      if (it.isFinished) return promiseResolvedWith(iterResult(value, true));
      it.isFinished = true;
      const reader = it.reader;
      if (reader.stream === undefined) return resolvedUndefined();
      if (!it.preventCancel) {
        const result = ReadableStreamReaderGenericCancel(reader, value);
        ReadableStreamDefaultReaderRelease(reader);
        return result;
      }
      ReadableStreamDefaultReaderRelease(reader);
      return resolvedUndefined();
    };
    const ongoing = it.ongoingPromise !== undefined
      ? reactAdopt(it.ongoingPromise, returnSteps, returnSteps) : returnSteps();
    it.ongoingPromise = ongoing;
    return react(ongoing, () => iterResult(value, true), undefined);
  },
};
for (const key of ['next', 'return']) {
  ObjectDefineProperty(asyncIteratorPrototype, key, {
    value: asyncIteratorMethods[key], writable: true, enumerable: true, configurable: true,
  });
}
ObjectDefineProperty(asyncIteratorPrototype, Symbol.toStringTag, {
  value: 'ReadableStream AsyncIterator', writable: false, enumerable: false, configurable: true,
});

const kReader = 'ReadableStreamDefaultReader';
class ReadableStreamDefaultReader extends null {
  constructor(stream) {
    const prefix = pfx(kReader);
    webidl.requiredArguments(arguments.length, 1, prefix);
    const rs = toReadableStream(stream, prefix, 'parameter 1');
    checkReaderSetUp(rs, false, prefix);
    const reader = newDefaultReader();
    const self = slotsNew(new.target, reader);
    SetUpReadableStreamDefaultReader(reader, rs);
    return self;
  }
  get closed() {
    try {
      return unwrap(this, K_DEFAULT_READER).closedPromise.promise;
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  cancel(reason = undefined) {
    try {
      const reader = unwrap(this, K_DEFAULT_READER);
      if (reader.stream === undefined) {
        throw new TypeErrorCtor(`${pfx(kReader, 'cancel')}: the reader has no stream`);
      }
      return ReadableStreamReaderGenericCancel(reader, reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  read() {
    let reader;
    try {
      reader = unwrap(this, K_DEFAULT_READER);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (reader.stream === undefined) {
      return promiseRejectedWith(new TypeErrorCtor(`${pfx(kReader, 'read')}: the reader has no stream`));
    }
    const promise = newPromise();
    ReadableStreamDefaultReaderRead(reader, {
      chunkSteps(chunk) { resolveP(promise, { value: chunk, done: false }); },
      closeSteps() { resolveP(promise, { value: undefined, done: true }); },
      errorSteps(e) { rejectP(promise, e); },
    });
    return promise.promise;
  }
  releaseLock() {
    const reader = unwrap(this, K_DEFAULT_READER);
    if (reader.stream === undefined) return;
    ReadableStreamDefaultReaderRelease(reader);
  }
}
finishInterface(ReadableStreamDefaultReader);
const readerRead = ReadableStreamDefaultReader.prototype.read;

const kBYOBReader = 'ReadableStreamBYOBReader';
class ReadableStreamBYOBReader extends null {
  constructor(stream) {
    const prefix = pfx(kBYOBReader);
    webidl.requiredArguments(arguments.length, 1, prefix);
    const rs = toReadableStream(stream, prefix, 'parameter 1');
    checkReaderSetUp(rs, true, prefix);
    const reader = newBYOBReader();
    const self = slotsNew(new.target, reader);
    SetUpReadableStreamBYOBReader(reader, rs);
    return self;
  }
  get closed() {
    try {
      return unwrap(this, K_BYOB_READER).closedPromise.promise;
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  cancel(reason = undefined) {
    try {
      const reader = unwrap(this, K_BYOB_READER);
      if (reader.stream === undefined) {
        throw new TypeErrorCtor(`${pfx(kBYOBReader, 'cancel')}: the reader has no stream`);
      }
      return ReadableStreamReaderGenericCancel(reader, reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  read(view, options = undefined) {
    let reader;
    let min;
    const prefix = pfx(kBYOBReader, 'read');
    try {
      reader = unwrap(this, K_BYOB_READER);
      webidl.requiredArguments(arguments.length, 1, prefix);
      converters.ArrayBufferView(view, prefix, 'parameter 1');
      min = toBYOBReadOptions(options, prefix, 'parameter 2').min;
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (viewByteLength(view) === 0) {
      return promiseRejectedWith(new TypeErrorCtor(`${prefix}: view must have non-zero byteLength`));
    }
    const buffer = viewBuffer(view);
    if (ArrayBufferByteLength(buffer) === 0) {
      if (isDetached(buffer)) {
        return promiseRejectedWith(new TypeErrorCtor(`${prefix}: view's buffer has been detached`));
      }
      return promiseRejectedWith(new TypeErrorCtor(`${prefix}: view's buffer must have non-zero byteLength`));
    }
    if (isDetached(buffer)) {
      return promiseRejectedWith(new TypeErrorCtor(`${prefix}: view's buffer has been detached`));
    }
    if (min === 0) {
      return promiseRejectedWith(new TypeErrorCtor(`${prefix}: options.min must be greater than 0`));
    }
    if (!isDataView(view)) {
      if (min > TypedArrayLength(view)) {
        return promiseRejectedWith(new RangeErrorCtor(`${prefix}: options.min must be less than or equal to view's length`));
      }
    } else if (min > viewByteLength(view)) {
      return promiseRejectedWith(new RangeErrorCtor(`${prefix}: options.min must be less than or equal to view's byteLength`));
    }
    if (reader.stream === undefined) {
      return promiseRejectedWith(new TypeErrorCtor(`${prefix}: the reader has no stream`));
    }
    const promise = newPromise();
    ReadableStreamBYOBReaderRead(reader, view, min, {
      chunkSteps(chunk) { resolveP(promise, { value: chunk, done: false }); },
      closeSteps(chunk) { resolveP(promise, { value: chunk, done: true }); },
      errorSteps(e) { rejectP(promise, e); },
    });
    return promise.promise;
  }
  releaseLock() {
    const reader = unwrap(this, K_BYOB_READER);
    if (reader.stream === undefined) return;
    ReadableStreamBYOBReaderRelease(reader);
  }
}
finishInterface(ReadableStreamBYOBReader);

const kRSDC = 'ReadableStreamDefaultController';
class ReadableStreamDefaultController extends null {
  constructor() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  get desiredSize() {
    return ReadableStreamDefaultControllerGetDesiredSize(unwrap(this, K_RSDC));
  }
  close() {
    const c = unwrap(this, K_RSDC);
    if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(c)) {
      throw new TypeErrorCtor(`${pfx(kRSDC, 'close')}: the stream is not in a state that permits close`);
    }
    ReadableStreamDefaultControllerClose(c);
  }
  enqueue(chunk = undefined) {
    const c = unwrap(this, K_RSDC);
    if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(c)) {
      throw new TypeErrorCtor(`${pfx(kRSDC, 'enqueue')}: the stream is not in a state that permits enqueue`);
    }
    ReadableStreamDefaultControllerEnqueue(c, chunk);
  }
  error(e = undefined) {
    ReadableStreamDefaultControllerError(unwrap(this, K_RSDC), e);
  }
}
finishInterface(ReadableStreamDefaultController);

const kRBSC = 'ReadableByteStreamController';
class ReadableByteStreamController extends null {
  constructor() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  get byobRequest() {
    const req = ReadableByteStreamControllerGetBYOBRequest(unwrap(this, K_RBSC));
    return req === null ? null : req.obj;
  }
  get desiredSize() {
    return ReadableByteStreamControllerGetDesiredSize(unwrap(this, K_RBSC));
  }
  close() {
    const c = unwrap(this, K_RBSC);
    const prefix = pfx(kRBSC, 'close');
    if (c.closeRequested) throw new TypeErrorCtor(`${prefix}: the stream is already closing`);
    if (c.stream.state !== 'readable') {
      throw new TypeErrorCtor(`${prefix}: the stream is not readable`);
    }
    ReadableByteStreamControllerClose(c);
  }
  enqueue(chunk) {
    const c = unwrap(this, K_RBSC);
    const prefix = pfx(kRBSC, 'enqueue');
    webidl.requiredArguments(arguments.length, 1, prefix);
    converters.ArrayBufferView(chunk, prefix, 'parameter 1');
    if (viewByteLength(chunk) === 0) {
      throw new TypeErrorCtor(`${prefix}: chunk must have non-zero byteLength`);
    }
    if (ArrayBufferByteLength(viewBuffer(chunk)) === 0) {
      throw new TypeErrorCtor(`${prefix}: chunk's buffer must have non-zero byteLength`);
    }
    if (c.closeRequested) throw new TypeErrorCtor(`${prefix}: the stream is closing`);
    if (c.stream.state !== 'readable') {
      throw new TypeErrorCtor(`${prefix}: the stream is not readable`);
    }
    ReadableByteStreamControllerEnqueue(c, chunk);
  }
  error(e = undefined) {
    ReadableByteStreamControllerError(unwrap(this, K_RBSC), e);
  }
}
finishInterface(ReadableByteStreamController);

const kBYOBRequest = 'ReadableStreamBYOBRequest';
class ReadableStreamBYOBRequest extends null {
  constructor() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  get view() {
    return unwrap(this, K_BYOB_REQUEST).view;
  }
  respond(bytesWritten) {
    const req = unwrap(this, K_BYOB_REQUEST);
    const prefix = pfx(kBYOBRequest, 'respond');
    webidl.requiredArguments(arguments.length, 1, prefix);
    bytesWritten = toULL(bytesWritten, prefix, 'parameter 1', { enforceRange: true });
    if (req.controller === undefined) {
      throw new TypeErrorCtor(`${prefix}: this BYOB request has been invalidated`);
    }
    if (isDetached(viewBuffer(req.view))) {
      throw new TypeErrorCtor(`${prefix}: the BYOB request's buffer has been detached`);
    }
    ReadableByteStreamControllerRespond(req.controller, bytesWritten);
  }
  respondWithNewView(view) {
    const req = unwrap(this, K_BYOB_REQUEST);
    const prefix = pfx(kBYOBRequest, 'respondWithNewView');
    webidl.requiredArguments(arguments.length, 1, prefix);
    converters.ArrayBufferView(view, prefix, 'parameter 1');
    if (req.controller === undefined) {
      throw new TypeErrorCtor(`${prefix}: this BYOB request has been invalidated`);
    }
    if (isDetached(viewBuffer(view))) {
      throw new TypeErrorCtor(`${prefix}: the view's buffer has been detached`);
    }
    ReadableByteStreamControllerRespondWithNewView(req.controller, view);
  }
}
finishInterface(ReadableStreamBYOBRequest);

const kWS = 'WritableStream';
class WritableStream extends null {
  constructor(underlyingSink = undefined, strategy = undefined) {
    const prefix = pfx(kWS);
    const sink = toObjectOrNull(underlyingSink, prefix, 'parameter 1');
    const strategyDict = toQueuingStrategy(strategy, prefix, 'parameter 2');
    const underlyingSinkDict = toUnderlyingSink(sink, prefix, 'parameter 1');
    if (underlyingSinkDict.type !== undefined) {
      throw new RangeErrorCtor(`${prefix}: invalid type is specified`);
    }
    const stream = newWS();
    const self = slotsNew(new.target, stream);
    const sizeAlgorithm = extractSizeAlgorithm(strategyDict);
    const highWaterMark = extractHighWaterMark(strategyDict, 1);
    SetUpWritableStreamDefaultControllerFromUnderlyingSink(stream, sink, underlyingSinkDict,
      highWaterMark, sizeAlgorithm);
    return self;
  }
  get locked() {
    return IsWritableStreamLocked(unwrap(this, K_WS));
  }
  abort(reason = undefined) {
    try {
      const stream = unwrap(this, K_WS);
      if (IsWritableStreamLocked(stream)) {
        throw new TypeErrorCtor(`${pfx(kWS, 'abort')}: the stream is locked`);
      }
      return WritableStreamAbort(stream, reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  close() {
    try {
      const stream = unwrap(this, K_WS);
      if (IsWritableStreamLocked(stream)) {
        throw new TypeErrorCtor(`${pfx(kWS, 'close')}: the stream is locked`);
      }
      if (WritableStreamCloseQueuedOrInFlight(stream)) {
        throw new TypeErrorCtor(`${pfx(kWS, 'close')}: the stream is already closing`);
      }
      return WritableStreamClose(stream);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  getWriter() {
    const stream = unwrap(this, K_WS);
    if (IsWritableStreamLocked(stream)) {
      throw new TypeErrorCtor(`${pfx(kWS, 'getWriter')}: the WritableStream is locked`);
    }
    return writerObj(AcquireWritableStreamDefaultWriter(stream));
  }
}
finishInterface(WritableStream);

const kWriter = 'WritableStreamDefaultWriter';
class WritableStreamDefaultWriter extends null {
  constructor(stream) {
    const prefix = pfx(kWriter);
    webidl.requiredArguments(arguments.length, 1, prefix);
    const ws = toWritableStream(stream, prefix, 'parameter 1');
    if (IsWritableStreamLocked(ws)) {
      throw new TypeErrorCtor(`${prefix}: the WritableStream is locked`);
    }
    const writer = newWriter();
    const self = slotsNew(new.target, writer);
    SetUpWritableStreamDefaultWriter(writer, ws);
    return self;
  }
  get closed() {
    try {
      return unwrap(this, K_WRITER).closedPromise.promise;
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  get desiredSize() {
    const writer = unwrap(this, K_WRITER);
    if (writer.stream === undefined) {
      throw new TypeErrorCtor(`Failed to read the 'desiredSize' property from '${kWriter}': the writer has no stream`);
    }
    return WritableStreamDefaultWriterGetDesiredSize(writer);
  }
  get ready() {
    try {
      return unwrap(this, K_WRITER).readyPromise.promise;
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  abort(reason = undefined) {
    try {
      const writer = unwrap(this, K_WRITER);
      if (writer.stream === undefined) {
        throw new TypeErrorCtor(`${pfx(kWriter, 'abort')}: the writer has no stream`);
      }
      return WritableStreamDefaultWriterAbort(writer, reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  close() {
    try {
      const writer = unwrap(this, K_WRITER);
      const stream = writer.stream;
      if (stream === undefined) {
        throw new TypeErrorCtor(`${pfx(kWriter, 'close')}: the writer has no stream`);
      }
      if (WritableStreamCloseQueuedOrInFlight(stream)) {
        throw new TypeErrorCtor(`${pfx(kWriter, 'close')}: the stream is already closing`);
      }
      return WritableStreamDefaultWriterClose(writer);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  releaseLock() {
    const writer = unwrap(this, K_WRITER);
    if (writer.stream === undefined) return;
    WritableStreamDefaultWriterRelease(writer);
  }
  write(chunk = undefined) {
    try {
      const writer = unwrap(this, K_WRITER);
      if (writer.stream === undefined) {
        throw new TypeErrorCtor(`${pfx(kWriter, 'write')}: the writer has no stream`);
      }
      return WritableStreamDefaultWriterWrite(writer, chunk);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
}
finishInterface(WritableStreamDefaultWriter);

class WritableStreamDefaultController extends null {
  constructor() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  get signal() {
    return WSDCSignal(unwrap(this, K_WSDC));
  }
  error(e = undefined) {
    const c = unwrap(this, K_WSDC);
    if (c.stream.state !== 'writable') return;
    WritableStreamDefaultControllerError(c, e);
  }
}
finishInterface(WritableStreamDefaultController);

const kTS = 'TransformStream';
class TransformStream extends null {
  constructor(transformer = undefined, writableStrategy = undefined,
    readableStrategy = undefined) {
    const prefix = pfx(kTS);
    const t = toObjectOrNull(transformer, prefix, 'parameter 1');
    const writableStrategyDict = toQueuingStrategy(writableStrategy, prefix, 'parameter 2');
    const readableStrategyDict = toQueuingStrategy(readableStrategy, prefix, 'parameter 3');
    const transformerDict = toTransformer(t, prefix, 'parameter 1');
    if (transformerDict.readableType !== undefined) {
      throw new RangeErrorCtor(`${prefix}: invalid readableType is specified`);
    }
    if (transformerDict.writableType !== undefined) {
      throw new RangeErrorCtor(`${prefix}: invalid writableType is specified`);
    }
    const readableHighWaterMark = extractHighWaterMark(readableStrategyDict, 0);
    const readableSizeAlgorithm = extractSizeAlgorithm(readableStrategyDict);
    const writableHighWaterMark = extractHighWaterMark(writableStrategyDict, 1);
    const writableSizeAlgorithm = extractSizeAlgorithm(writableStrategyDict);
    const startPromise = newPromise();
    const stream = newTS();
    const self = slotsNew(new.target, stream);
    InitializeTransformStream(stream, startPromise.promise, writableHighWaterMark,
      writableSizeAlgorithm, readableHighWaterMark, readableSizeAlgorithm);
    SetUpTransformStreamDefaultControllerFromTransformer(stream, t, transformerDict);
    if (transformerDict.start !== undefined) {
      resolveP(startPromise, ReflectApply(transformerDict.start, t, [stream.controller.obj]));
    } else {
      resolveP(startPromise, undefined);
    }
    return self;
  }
  get readable() {
    return unwrap(this, K_TS).readable.obj;
  }
  get writable() {
    return unwrap(this, K_TS).writable.obj;
  }
}
finishInterface(TransformStream);

class TransformStreamDefaultController extends null {
  constructor() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  get desiredSize() {
    const c = unwrap(this, K_TSDC);
    return ReadableStreamDefaultControllerGetDesiredSize(c.stream.readable.controller);
  }
  enqueue(chunk = undefined) {
    TransformStreamDefaultControllerEnqueue(unwrap(this, K_TSDC), chunk);
  }
  error(reason = undefined) {
    TransformStreamDefaultControllerError(unwrap(this, K_TSDC), reason);
  }
  terminate() {
    TransformStreamDefaultControllerTerminate(unwrap(this, K_TSDC));
  }
}
finishInterface(TransformStreamDefaultController);

// ---- queuing strategies ----

// The size functions: one per realm, not constructors, named "size".
const byteLengthSizeFunction = ({ size(chunk) { return chunk.byteLength; } }).size;
const countSizeFunction = ({ size() { return 1; } }).size;

class ByteLengthQueuingStrategy extends null {
  constructor(init) {
    const prefix = pfx('ByteLengthQueuingStrategy');
    webidl.requiredArguments(arguments.length, 1, prefix);
    const { highWaterMark } = toQueuingStrategyInit(init, prefix, 'parameter 1');
    return slotsNew(new.target, { kind: K_BLQS, obj: undefined, highWaterMark });
  }
  get highWaterMark() {
    return unwrap(this, K_BLQS).highWaterMark;
  }
  get size() {
    unwrap(this, K_BLQS);
    return byteLengthSizeFunction;
  }
}
finishInterface(ByteLengthQueuingStrategy);

class CountQueuingStrategy extends null {
  constructor(init) {
    const prefix = pfx('CountQueuingStrategy');
    webidl.requiredArguments(arguments.length, 1, prefix);
    const { highWaterMark } = toQueuingStrategyInit(init, prefix, 'parameter 1');
    return slotsNew(new.target, { kind: K_CQS, obj: undefined, highWaterMark });
  }
  get highWaterMark() {
    return unwrap(this, K_CQS).highWaterMark;
  }
  get size() {
    unwrap(this, K_CQS);
    return countSizeFunction;
  }
}
finishInterface(CountQueuingStrategy);

for (const Type of [ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader,
  ReadableStreamDefaultController, ReadableByteStreamController, ReadableStreamBYOBRequest,
  WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
  TransformStream, TransformStreamDefaultController, ByteLengthQueuingStrategy,
  CountQueuingStrategy]) {
  webidl.defineGlobal(Type.name, Type);
}

// How the console prints them (10_console.js): their attributes, as Node and Deno do.
for (const [Type, names] of [[ReadableStream, ['locked']], [WritableStream, ['locked']],
  [TransformStream, ['readable', 'writable']],
  [ReadableStreamDefaultReader, ['closed']], [ReadableStreamBYOBReader, ['closed']],
  [WritableStreamDefaultWriter, ['closed', 'ready', 'desiredSize']],
  [ReadableStreamDefaultController, ['desiredSize']],
  [ReadableByteStreamController, ['byobRequest', 'desiredSize']],
  [ReadableStreamBYOBRequest, ['view']], [WritableStreamDefaultController, ['signal']],
  [TransformStreamDefaultController, ['desiredSize']],
  [ByteLengthQueuingStrategy, ['highWaterMark']], [CountQueuingStrategy, ['highWaterMark']]]) {
  internals.inspectHooks.register(Type, names);
}

// ======================= internals.streams =======================

const rsOf = (rs) => unwrap(rs, K_RS);
const wsOf = (ws) => unwrap(ws, K_WS);

// https://streams.spec.whatwg.org/#readablestreamdefaultreader-read-all-bytes: every chunk a
// Uint8Array (else a TypeError rejection; the stream is left as it is, locked), concatenated.
// The read-loop is a loop, not the spec's recursion: a chunk that arrives inside the read
// (queued ones) continues the loop, a later one restarts it; the order is the spec's.
function readAllBytes(rs) {
  let reader;
  try {
    reader = AcquireReadableStreamDefaultReader(rsOf(rs));
  } catch (e) {
    return promiseRejectedWith(e);
  }
  const result = newPromise();
  const chunks = new List();
  let total = 0;
  let looping = false;
  let again = false;
  const readLoop = () => {
    looping = true;
    do {
      again = false;
      ReadableStreamDefaultReaderRead(reader, readRequest);
    } while (again);
    looping = false;
  };
  const readRequest = {
    chunkSteps(chunk) {
      if (!ArrayBufferIsView(chunk) || TypedArrayToStringTag(chunk) !== 'Uint8Array') {
        rejectP(result, new TypeErrorCtor('The stream gave a chunk that is not a Uint8Array'));
        return;
      }
      chunks.push(chunk);
      total += TypedArrayByteLength(chunk);
      if (looping) again = true;
      else readLoop();
    },
    closeSteps() {
      let out;
      try {
        out = new Uint8ArrayCtor(total);
      } catch (e) {
        rejectP(result, e);
        return;
      }
      let offset = 0;
      while (chunks.size > 0) {
        const c = chunks.shift();
        TypedArraySet(out, c, offset);
        offset += TypedArrayByteLength(c);
      }
      resolveP(result, out);
    },
    errorSteps(e) {
      rejectP(result, e);
    },
  };
  readLoop();
  return result.promise;
}

const readerOf = (reader) => unwrap(reader, K_DEFAULT_READER);
const writerOf = (writer) => unwrap(writer, K_WRITER);
const rbscOf = (c) => unwrap(c, K_RBSC);

internals.streams = {
  ReadableStream, WritableStream, TransformStream,
  IsReadableStream: (v) => isKind(v, K_RS),
  IsReadableStreamLocked: (rs) => IsReadableStreamLocked(rsOf(rs)),
  IsReadableStreamDisturbed: (rs) => rsOf(rs).disturbed,
  ReadableStreamState: (rs) => rsOf(rs).state,
  ReadableStreamStoredError: (rs) => rsOf(rs).storedError,
  ReadableStreamCancel: (rs, reason) => ReadableStreamCancel(rsOf(rs), reason),
  ReadableStreamTee(rs, cloneForBranch2 = false) {
    const branches = ReadableStreamTee(rsOf(rs), cloneForBranch2);
    return [branches[0].obj, branches[1].obj];
  },
  ReadableStreamClose(rs) {
    const c = rsOf(rs).controller;
    if (c.kind === K_RBSC) ReadableByteStreamControllerClose(c);
    else ReadableStreamDefaultControllerClose(c);
  },
  ReadableStreamError(rs, e) {
    const c = rsOf(rs).controller;
    if (c.kind === K_RBSC) ReadableByteStreamControllerError(c, e);
    else ReadableStreamDefaultControllerError(c, e);
  },
  AcquireReadableStreamDefaultReader: (rs) => readerObj(AcquireReadableStreamDefaultReader(rsOf(rs))),
  ReadableStreamDefaultReaderRead: (reader, readRequest) =>
    ReadableStreamDefaultReaderRead(readerOf(reader), readRequest),
  ReadableStreamDefaultReaderReadPromise: (reader) =>
    ReflectApply(readerRead, reader, []),
  ReadableStreamDefaultReaderRelease: (reader) =>
    ReadableStreamDefaultReaderRelease(readerOf(reader)),
  CreateReadableStream(start, pull, cancel, highWaterMark = 1, size = sizeOne) {
    return CreateReadableStream(start === undefined ? noop : () => start(),
      pull === undefined ? resolvedUndefined : () => callPromise(pull, []),
      cancel === undefined ? resolvedUndefined : (reason) => callPromise(cancel, [reason]),
      highWaterMark, size).obj;
  },
  ReadableStreamDefaultControllerEnqueue: (rs, chunk) =>
    ReadableStreamDefaultControllerEnqueue(rsOf(rs).controller, chunk),
  ReadableStreamDefaultControllerClose: (rs) =>
    ReadableStreamDefaultControllerClose(rsOf(rs).controller),
  ReadableStreamDefaultControllerError: (rs, e) =>
    ReadableStreamDefaultControllerError(rsOf(rs).controller, e),
  ReadableStreamDefaultControllerGetDesiredSize: (rs) =>
    ReadableStreamDefaultControllerGetDesiredSize(rsOf(rs).controller),
  CreateReadableByteStream({ start, pull, cancel, highWaterMark = 0,
    autoAllocateChunkSize = undefined } = {}) {
    const stream = newRS();
    wrap(ReadableStream, stream);
    const controller = newRBSC();
    wrap(ReadableByteStreamController, controller);
    const startAlgorithm = start === undefined ? () => undefined
      : () => ReflectApply(start, undefined, [controller.obj]);
    const pullAlgorithm = pull === undefined ? resolvedUndefined
      : () => callPromise(pull, [controller.obj]);
    const cancelAlgorithm = cancel === undefined ? resolvedUndefined
      : (reason) => callPromise(cancel, [reason]);
    SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm,
      cancelAlgorithm, highWaterMark, autoAllocateChunkSize);
    return stream.obj;
  },
  ReadableByteStreamControllerEnqueue: (c, view) =>
    ReadableByteStreamControllerEnqueue(rbscOf(c), view),
  ReadableByteStreamControllerClose: (c) => ReadableByteStreamControllerClose(rbscOf(c)),
  ReadableByteStreamControllerError: (c, e) => ReadableByteStreamControllerError(rbscOf(c), e),
  ReadableByteStreamControllerGetDesiredSize: (c) =>
    ReadableByteStreamControllerGetDesiredSize(rbscOf(c)),
  ReadableByteStreamControllerRespond: (c, n) =>
    ReadableByteStreamControllerRespond(rbscOf(c), n),
  ReadableByteStreamControllerGetBYOBRequest(c) {
    const req = ReadableByteStreamControllerGetBYOBRequest(rbscOf(c));
    return req === null ? null : req.obj;
  },
  // The BYOB request's view (a Uint8Array over the reader's buffer) or null, without the
  // user-visible byobRequest/view getters; fill it and call ...Respond(controller, n).
  ReadableByteStreamControllerGetBYOBRequestView(c) {
    const req = ReadableByteStreamControllerGetBYOBRequest(rbscOf(c));
    return req === null ? null : req.view;
  },
  CreateWritableStream(start, write, close, abort, highWaterMark = 1, size = sizeOne) {
    return CreateWritableStream(start === undefined ? noop : () => start(),
      write === undefined ? resolvedUndefined : (chunk) => callPromise(write, [chunk]),
      close === undefined ? resolvedUndefined : () => callPromise(close, []),
      abort === undefined ? resolvedUndefined : (reason) => callPromise(abort, [reason]),
      highWaterMark, size).obj;
  },
  IsWritableStream: (v) => isKind(v, K_WS),
  IsWritableStreamLocked: (ws) => IsWritableStreamLocked(wsOf(ws)),
  WritableStreamAbort: (ws, reason) => WritableStreamAbort(wsOf(ws), reason),
  WritableStreamClose: (ws) => WritableStreamClose(wsOf(ws)),
  WritableStreamDefaultControllerError(ws, e) {
    const c = wsOf(ws).controller;
    WritableStreamDefaultControllerErrorIfNeeded(c, e);
  },
  AcquireWritableStreamDefaultWriter: (ws) =>
    writerObj(AcquireWritableStreamDefaultWriter(wsOf(ws))),
  WritableStreamDefaultWriterWrite: (w, chunk) =>
    WritableStreamDefaultWriterWrite(writerOf(w), chunk),
  WritableStreamDefaultWriterClose: (w) => WritableStreamDefaultWriterClose(writerOf(w)),
  WritableStreamDefaultWriterCloseWithErrorPropagation: (w) =>
    WritableStreamDefaultWriterCloseWithErrorPropagation(writerOf(w)),
  WritableStreamDefaultWriterAbort: (w, reason) =>
    WritableStreamDefaultWriterAbort(writerOf(w), reason),
  WritableStreamDefaultWriterRelease: (w) => WritableStreamDefaultWriterRelease(writerOf(w)),
  WritableStreamDefaultWriterGetDesiredSize: (w) =>
    WritableStreamDefaultWriterGetDesiredSize(writerOf(w)),
  CreateTransformStream({ start, transform, flush, cancel, writableHighWaterMark = 1,
    readableHighWaterMark = 0 } = {}) {
    const stream = newTS();
    wrap(TransformStream, stream);
    const startPromise = newPromise();
    InitializeTransformStream(stream, startPromise.promise, writableHighWaterMark, sizeOne,
      readableHighWaterMark, sizeOne);
    const controller = newTSDC();
    wrap(TransformStreamDefaultController, controller);
    const enqueue = (chunk) => TransformStreamDefaultControllerEnqueue(controller, chunk);
    const transformAlgorithm = transform === undefined
      ? (chunk) => callPromise(enqueue, [chunk])
      : (chunk) => callPromise(transform, [chunk, enqueue]);
    const flushAlgorithm = flush === undefined ? resolvedUndefined
      : () => callPromise(flush, [enqueue]);
    const cancelAlgorithm = cancel === undefined ? resolvedUndefined
      : (reason) => callPromise(cancel, [reason]);
    SetUpTransformStreamDefaultController(stream, controller, transformAlgorithm,
      flushAlgorithm, cancelAlgorithm);
    try {
      resolveP(startPromise, start === undefined ? undefined : start());
    } catch (e) {
      rejectP(startPromise, e);
    }
    return stream.obj;
  },
  TransformStreamDefaultControllerEnqueue: (ts, chunk) =>
    TransformStreamDefaultControllerEnqueue(unwrap(ts, K_TS).controller, chunk),
  TransformStreamDefaultControllerError: (ts, e) =>
    TransformStreamDefaultControllerError(unwrap(ts, K_TS).controller, e),
  TransformStreamDefaultControllerTerminate: (ts) =>
    TransformStreamDefaultControllerTerminate(unwrap(ts, K_TS).controller),
  ReadableStreamPipeTo: (rs, ws, preventClose = false, preventAbort = false,
    preventCancel = false, signal = undefined) =>
    ReadableStreamPipeTo(rsOf(rs), wsOf(ws), preventClose, preventAbort, preventCancel, signal),
  readAllBytes,
};
