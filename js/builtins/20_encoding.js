// TextEncoder and TextDecoder (https://encoding.spec.whatwg.org/#api): the WebIDL surface
// over the natives of js/api/encoding.cc, which hold the labels, the decoders and the UTF-8
// encoder. A TextDecoder keeps its decoder's whole state (a partial sequence between
// streaming calls, "do not flush", "BOM seen") in a small byte array the native reads and
// writes, so there is no native object per decoder.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy TextDecoder TextEncoder
'use strict';

const { webidl } = internals;
const { converters } = webidl;
const {
  encodingForLabel, encodingName, encodingReplacement, textDecode, textEncode, textEncodeInto,
} = natives;
const Uint8ArrayCtor = Uint8Array;
const Uint32ArrayCtor = Uint32Array;
const kStateBytes = 32;

const decoderOptions = webidl.createDictionaryConverter('TextDecoderOptions', [
  { key: 'fatal', converter: converters.boolean, defaultValue: false },
  { key: 'ignoreBOM', converter: converters.boolean, defaultValue: false },
]);
// The TextDecoder and TextDecoderStream constructors' common steps
// (https://encoding.spec.whatwg.org/#dom-textdecoder): the label and options converted, the
// encoding found (failure or replacement is a RangeError). Exported as
// internals.encoding.decoderSetup.
function decoderSetup(label, options, prefix) {
  label = converters.DOMString(label, prefix, 'parameter 1');
  options = decoderOptions(options, prefix, 'parameter 2');
  const encoding = encodingForLabel(label);
  if (encoding < 0 || encoding === encodingReplacement) {
    throw new RangeError(`${prefix}: The encoding label provided ('${label}') is invalid.`);
  }
  return { encoding, name: encodingName(encoding), fatal: options.fatal,
    ignoreBOM: options.ignoreBOM };
}
internals.encoding = { decoderSetup, kStateBytes };

const decodeOptions = webidl.createDictionaryConverter('TextDecodeOptions', [
  { key: 'stream', converter: converters.boolean, defaultValue: false },
]);

const { illegalInvocation } = webidl;

class TextDecoder {
  #encoding;
  #name;
  #fatal;
  #ignoreBOM;
  #state = new Uint8ArrayCtor(kStateBytes);

  constructor(label = 'utf-8', options = {}) {
    const setup = decoderSetup(label, options, "Failed to construct 'TextDecoder'");
    this.#encoding = setup.encoding;
    this.#name = setup.name;
    this.#fatal = setup.fatal;
    this.#ignoreBOM = setup.ignoreBOM;
  }

  get encoding() {
    if (!(#name in this)) illegalInvocation();
    return this.#name;
  }

  get fatal() {
    if (!(#name in this)) illegalInvocation();
    return this.#fatal;
  }

  get ignoreBOM() {
    if (!(#name in this)) illegalInvocation();
    return this.#ignoreBOM;
  }

  decode(input = undefined, options = {}) {
    if (!(#name in this)) illegalInvocation();
    const prefix = "Failed to execute 'decode' on 'TextDecoder'";
    if (input !== undefined) {
      input = converters.BufferSource(input, prefix, 'parameter 1', { allowShared: true });
    }
    // An object's `stream` is read once, as the dictionary conversion does.
    const stream = typeof options === 'object' && options !== null
      ? !!options.stream
      : decodeOptions(options, prefix, 'parameter 2').stream;
    const flags = (this.#fatal ? 1 : 0) | (stream ? 2 : 0) | (this.#ignoreBOM ? 4 : 0);
    const result = textDecode(this.#encoding, this.#state, input, flags);
    if (result === undefined) {
      throw new TypeError(`${prefix}: The encoded data was not valid for encoding ${this.#name}`);
    }
    return result;
  }
}
webidl.configureInterface(TextDecoder);

// One result array per realm: encodeInto() runs to completion before anything reads it.
const encodeIntoResult = new Uint32ArrayCtor(2);

class TextEncoder {
  #brand = true;

  get encoding() {
    if (!(#brand in this)) illegalInvocation();
    return 'utf-8';
  }

  encode(input = '') {
    if (!(#brand in this)) illegalInvocation();
    if (typeof input !== 'string') {
      input = converters.DOMString(input, "Failed to execute 'encode' on 'TextEncoder'",
        'parameter 1');
    }
    return textEncode(input);
  }

  encodeInto(source, destination) {
    if (!(#brand in this)) illegalInvocation();
    const prefix = "Failed to execute 'encodeInto' on 'TextEncoder'";
    webidl.requiredArguments(arguments.length, 2, prefix);
    if (typeof source !== 'string') {
      source = converters.DOMString(source, prefix, 'parameter 1');
    }
    destination = converters.Uint8Array(destination, prefix, 'parameter 2');
    textEncodeInto(source, destination, encodeIntoResult);
    return { read: encodeIntoResult[0], written: encodeIntoResult[1] };
  }
}
webidl.configureInterface(TextEncoder);

webidl.defineGlobal('TextDecoder', TextDecoder);
webidl.defineGlobal('TextEncoder', TextEncoder);
