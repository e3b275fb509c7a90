// TextEncoderStream and TextDecoderStream
// (https://encoding.spec.whatwg.org/#interface-textdecoderstream): GenericTransformStreams
// over a TransformStream (internals.streams.CreateTransformStream), on the same natives as
// TextEncoder and TextDecoder (js/api/encoding.cc). A TextDecoderStream keeps its decoder's
// state in a small byte array between chunks, as TextDecoder does with {stream: true}; a
// TextEncoderStream keeps only a lead surrogate that ended the previous chunk.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy TextEncoderStream TextDecoderStream
// @requires 20_encoding.js 50_streams.js
'use strict';

const { webidl, streams, encoding: encodingOps } = internals;
const { converters, primordials } = webidl;
const { uncurry, ObjectGetOwnPropertyDescriptor } = primordials;
const { textDecode, textEncode } = natives;
const { CreateTransformStream, TransformStream } = streams;
const transformStreamReadable = uncurry(ObjectGetOwnPropertyDescriptor(TransformStream.prototype,
  'readable').get);
const transformStreamWritable = uncurry(ObjectGetOwnPropertyDescriptor(TransformStream.prototype,
  'writable').get);
const Uint8ArrayCtor = Uint8Array;
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringSlice = uncurry(String.prototype.slice);
const { decoderSetup, kStateBytes } = encodingOps;

const { illegalInvocation } = webidl;

const isLead = (c) => c >= 0xD800 && c <= 0xDBFF;

class TextEncoderStream {
  #transform;
  // https://encoding.spec.whatwg.org/#textencoderstream-pending-high-surrogate, as a string
  // ('' for null).
  #pendingLead = '';

  constructor() {
    this.#transform = CreateTransformStream({
      // https://encoding.spec.whatwg.org/#encode-and-enqueue-a-chunk: a lead surrogate at the
      // end of a chunk waits for the next one; combined with it, a trail makes the code
      // point, anything else makes it U+FFFD (textEncode's rule for a lone surrogate).
      transform: (chunk, enqueue) => {
        let input = this.#pendingLead + converters.DOMString(chunk,
          "Failed to execute 'write' on 'TextEncoderStream'", 'The provided chunk');
        this.#pendingLead = '';
        const last = input.length - 1;
        if (last >= 0 && isLead(StringCharCodeAt(input, last))) {
          this.#pendingLead = StringSlice(input, last);
          input = StringSlice(input, 0, last);
        }
        if (input.length > 0) enqueue(textEncode(input));
      },
      // https://encoding.spec.whatwg.org/#encode-and-flush: a lead left over is U+FFFD.
      flush: (enqueue) => {
        if (this.#pendingLead !== '') {
          this.#pendingLead = '';
          enqueue(new Uint8ArrayCtor([0xEF, 0xBF, 0xBD]));
        }
      },
    });
  }

  get encoding() {
    if (!(#transform in this)) illegalInvocation();
    return 'utf-8';
  }

  get readable() {
    if (!(#transform in this)) illegalInvocation();
    return transformStreamReadable(this.#transform);
  }

  get writable() {
    if (!(#transform in this)) illegalInvocation();
    return transformStreamWritable(this.#transform);
  }
}
webidl.configureInterface(TextEncoderStream);

class TextDecoderStream {
  #transform;
  #encoding;
  #name;
  #fatal;
  #ignoreBOM;
  #state = new Uint8ArrayCtor(kStateBytes);

  constructor(label = 'utf-8', options = {}) {
    const setup = decoderSetup(label, options, "Failed to construct 'TextDecoderStream'");
    this.#encoding = setup.encoding;
    this.#name = setup.name;
    this.#fatal = setup.fatal;
    this.#ignoreBOM = setup.ignoreBOM;
    const decode = (input, stream) => {
      const flags = (this.#fatal ? 1 : 0) | (stream ? 2 : 0) | (this.#ignoreBOM ? 4 : 0);
      const result = textDecode(this.#encoding, this.#state, input, flags);
      if (result === undefined) {
        throw new TypeError(`Failed to execute 'write' on 'TextDecoderStream': The encoded ` +
          `data was not valid for encoding ${this.#name}`);
      }
      return result;
    };
    this.#transform = CreateTransformStream({
      // https://encoding.spec.whatwg.org/#decode-and-enqueue-a-chunk
      transform: (chunk, enqueue) => {
        chunk = converters.BufferSource(chunk, "Failed to execute 'write' on 'TextDecoderStream'",
          'The provided chunk', { allowShared: true });
        const output = decode(chunk, true);
        if (output !== '') enqueue(output);
      },
      // https://encoding.spec.whatwg.org/#flush-and-enqueue
      flush: (enqueue) => {
        const output = decode(undefined, false);
        if (output !== '') enqueue(output);
      },
    });
  }

  get encoding() {
    if (!(#transform in this)) illegalInvocation();
    return this.#name;
  }

  get fatal() {
    if (!(#transform in this)) illegalInvocation();
    return this.#fatal;
  }

  get ignoreBOM() {
    if (!(#transform in this)) illegalInvocation();
    return this.#ignoreBOM;
  }

  get readable() {
    if (!(#transform in this)) illegalInvocation();
    return transformStreamReadable(this.#transform);
  }

  get writable() {
    if (!(#transform in this)) illegalInvocation();
    return transformStreamWritable(this.#transform);
  }
}
webidl.configureInterface(TextDecoderStream);

webidl.defineGlobal('TextEncoderStream', TextEncoderStream);
webidl.defineGlobal('TextDecoderStream', TextDecoderStream);
