// CompressionStream and DecompressionStream (https://compression.spec.whatwg.org/): each a
// GenericTransformStream whose transform and flush run the codec of js/api/compression.cc
// (natives.createCompressor: zlib for deflate, deflate-raw and gzip; libbrotli for brotli).
//
// Bounded output: the native returns at most 16 pieces of at most 64 KiB per call and says
// when it has more (`pending`). Each call runs as one transform of an inner TransformStream
// (internals.streams.CreateTransformStream), whose write algorithm waits for its readable
// side's backpressure to clear before the next one: a chunk that inflates to 1 GiB comes out
// 1 MiB at a time, at the reader's pace, instead of into the queue at once. The writable the
// page sees forwards each chunk as one "push" call and then "more" calls while the native is
// pending, and close as "finish" calls; the readable it sees is the inner stream's. Errors
// travel as a TransformStream's do: a failed call errors the inner stream (the readable and,
// through the forwarding writer, the writable); cancelling the readable errors the writable;
// aborting the writable aborts the inner one. Either frees the codec at once (as finishing or
// failing does); a stream dropped half-way frees it when collected.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy CompressionStream DecompressionStream
// @requires 50_streams.js
'use strict';

const ObjectDefineProperty = Object.defineProperty;

const { webidl, streams } = internals;
const { converters, primordials } = webidl;
const { uncurry, ObjectGetOwnPropertyDescriptor } = primordials;
const { createCompressor } = natives;
const {
  CreateTransformStream, CreateWritableStream, AcquireWritableStreamDefaultWriter,
  WritableStreamDefaultWriterWrite, WritableStreamDefaultWriterClose,
  WritableStreamDefaultWriterAbort, WritableStreamDefaultControllerError, TransformStream,
} = streams;
const TransformStreamReadable = uncurry(ObjectGetOwnPropertyDescriptor(TransformStream.prototype,
  'readable').get);
const TransformStreamWritable = uncurry(ObjectGetOwnPropertyDescriptor(TransformStream.prototype,
  'writable').get);
const PromisePrototypeThen = uncurry(Promise.prototype.then);

const formatConverter = webidl.createEnumConverter('CompressionFormat',
  ['deflate', 'deflate-raw', 'gzip', 'brotli']);

// The inner stream's chunks besides the page's own: continue the last call, finish.
const kMore = { __proto__: null };
const kFinish = { __proto__: null };

// The readable and writable of a (de)compression stream over compressor.
function createCodecStreams(compressor, iface) {
  const chunkPrefix = `Failed to execute 'write' on '${iface}'`;
  const inner = CreateTransformStream({
    transform(call, enqueue) {
      let parts;
      if (call === kMore) {
        parts = compressor.push();
      } else if (call === kFinish) {
        parts = compressor.finish();
      } else {
        // https://compression.spec.whatwg.org/#compress-and-enqueue-a-chunk step 1.
        const chunk = converters.BufferSource(call, chunkPrefix, 'The provided chunk');
        parts = compressor.push(chunk);
      }
      for (let i = 0; i < parts.length; i++) enqueue(parts[i]);
    },
    // The readable side was cancelled: the writable errors, as a TransformStream's does
    // (`writable` is defined below, before anything can cancel).
    cancel(reason) {
      compressor.close();
      WritableStreamDefaultControllerError(writable, reason);
    },
  });
  const writer = AcquireWritableStreamDefaultWriter(TransformStreamWritable(inner));
  // Sends call, then kMore (or kFinish when finishing) while the native is pending.
  const send = (call, rest) => PromisePrototypeThen(WritableStreamDefaultWriterWrite(writer, call),
    () => (compressor.pending ? send(rest, rest) : undefined));
  const writable = CreateWritableStream(
    () => undefined,
    (chunk) => send(chunk, kMore),
    () => PromisePrototypeThen(send(kFinish, kFinish),
      () => WritableStreamDefaultWriterClose(writer)),
    (reason) => {
      compressor.close();
      return WritableStreamDefaultWriterAbort(writer, reason);
    },
  );
  return { readable: TransformStreamReadable(inner), writable };
}

const { illegalInvocation } = webidl;

// CompressionStream and DecompressionStream differ only in the codec's direction.
function codecClass(name, decompress) {
  const Codec = class {
    #readable;
    #writable;

    constructor(format) {
      const prefix = `Failed to construct '${name}'`;
      webidl.requiredArguments(arguments.length, 1, prefix);
      format = formatConverter(format, prefix, 'parameter 1');
      const pair = createCodecStreams(createCompressor(format, decompress), name);
      this.#readable = pair.readable;
      this.#writable = pair.writable;
    }

    get readable() {
      if (!(#readable in this)) illegalInvocation();
      return this.#readable;
    }

    get writable() {
      if (!(#readable in this)) illegalInvocation();
      return this.#writable;
    }
  };
  ObjectDefineProperty(Codec, 'name', { value: name, configurable: true });
  webidl.configureInterface(Codec, name);
  return Codec;
}
const CompressionStream = codecClass('CompressionStream', false);
const DecompressionStream = codecClass('DecompressionStream', true);

webidl.defineGlobal('CompressionStream', CompressionStream);
webidl.defineGlobal('DecompressionStream', DecompressionStream);
// fetch() (56_fetch.js) decodes Content-Encoding with it.
internals.DecompressionStream = DecompressionStream;
