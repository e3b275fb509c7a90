// FileReader (https://w3c.github.io/FileAPI/#APIASynch) and ProgressEvent
// (https://xhr.spec.whatwg.org/#interface-progressevent).
//
// A read is asynchronous as the spec's "read operation" says: the call sets the state to
// LOADING and queues its tasks; loadstart, progress (for a non-empty blob) and the final
// step (state DONE, result or error, load or error, loadend) are separate tasks, so microtasks
// run between them (as WPT's EventWatcher expects). A Blob's bytes are in memory and
// immutable, so "reading the stream" is one step: one progress event carries every byte.
// abort() cancels the read's queued tasks (each checks it is still the reader's current read)
// and fires abort and loadend at once. Deviation: browsers run microtasks after each listener
// of an event a task fires; here JS dispatches, so only loadend (after load or error) waits
// for a microtask turn, which is what code awaiting one event before the next needs.
//
// Tasks run on natives.setTimeout (read at call time: the timers module installs itself on
// natives after the built-ins ran), one timer at a time over a FIFO queue shared by every
// reader of the realm, so reads never use more than one of the realm's timers. A realm without
// timers (a bare test realm) runs them as microtasks instead.
//
// readAsText: the spec's "get an encoding" for the label, then the blob type's charset, then
// UTF-8; a BOM overrides all of them. UTF-8, UTF-16LE/BE and "replacement" are decoded here;
// any other encoding needs the TextDecoder built-in (captured at load time), without which its
// labels are treated as unknown (so UTF-8).
//
// Exported through internals: ProgressEvent.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy ProgressEvent FileReader
// @requires 01_dom_exception.js 11_event.js 30_blob.js
'use strict';

const { webidl, events, Event, EventTarget, DOMException } = internals;
const { converters, primordials } = webidl;
const { uncurry, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor } = primordials;
const ReflectApply = Reflect.apply;
const ArrayPrototypePush = uncurry(Array.prototype.push);
const ArrayPrototypeShift = uncurry(Array.prototype.shift);
const ArrayPrototypeIncludes = uncurry(Array.prototype.includes);
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringSlice = uncurry(String.prototype.slice);
const StringToLowerCase = uncurry(String.prototype.toLowerCase);
const StringFromCharCode = String.fromCharCode;
const TypedArraySubarray = uncurry(primordials.TypedArrayPrototype.subarray);
const TypedArrayBuffer = uncurry(
  ObjectGetOwnPropertyDescriptor(primordials.TypedArrayPrototype, 'buffer').get);
const PromisePrototypeThen = uncurry(Promise.prototype.then);
const PromiseResolve = Promise.resolve.bind(Promise);
const MathCeil = Math.ceil;
const Uint8ArrayCtor = Uint8Array;
const { utf8Decode } = internals;
const { blobBytes, blobParts, blobType } = internals;
const TypedArrayByteLength = uncurry(
  ObjectGetOwnPropertyDescriptor(primordials.TypedArrayPrototype, 'byteLength').get);

function blobSize(blob) {
  const parts = blobParts(blob);
  let size = 0;
  for (let i = 0; i < parts.length; ++i) size += TypedArrayByteLength(parts[i]);
  return size;
}

// Another built-in's TextDecoder, if one ran before this file (captured now, before user code
// can replace it).
const TextDecoderCtor = internals.TextDecoder ?? globalThis.TextDecoder;
const TextDecoderDecode = TextDecoderCtor === undefined ? undefined
  : TextDecoderCtor.prototype.decode;
const TextDecoderEncoding = TextDecoderCtor === undefined ? undefined
  : uncurry(ObjectGetOwnPropertyDescriptor(TextDecoderCtor.prototype, 'encoding').get);

// V8's longest string (String::kMaxLength on 64-bit): a result that would be longer is a
// NotReadableError, not an exception from deep inside a conversion.
const kMaxStringLength = 2 ** 29 - 24;
// Bytes per String.fromCharCode call (arguments go on the stack).
const kCharChunk = 8192;

function illegal() {
  throw new TypeError('Illegal invocation');
}

// ---- ProgressEvent ----

const progressEventInit = webidl.createDictionaryConverter('ProgressEventInit', [
  { key: 'bubbles', converter: converters.boolean, defaultValue: false },
  { key: 'cancelable', converter: converters.boolean, defaultValue: false },
  { key: 'composed', converter: converters.boolean, defaultValue: false },
], [
  { key: 'lengthComputable', converter: converters.boolean, defaultValue: false },
  { key: 'loaded', converter: converters['unsigned long long'], defaultValue: 0 },
  { key: 'total', converter: converters['unsigned long long'], defaultValue: 0 },
]);

class ProgressEvent extends Event {
  #lengthComputable;
  #loaded;
  #total;

  constructor(type, eventInitDict = undefined) {
    const prefix = webidl.prefix('ProgressEvent');
    webidl.requiredArguments(arguments.length, 1, prefix);
    type = converters.DOMString(type, prefix, 'parameter 1');
    const init = progressEventInit(eventInitDict, prefix, 'parameter 2');
    // Event converts these again: a string and a null-prototype object of booleans, so the
    // second conversion reads nothing user code can see.
    super(type, {
      __proto__: null, bubbles: init.bubbles, cancelable: init.cancelable,
      composed: init.composed,
    });
    this.#lengthComputable = init.lengthComputable;
    this.#loaded = init.loaded;
    this.#total = init.total;
  }

  get lengthComputable() {
    if (!(#loaded in this)) illegal();
    return this.#lengthComputable;
  }

  get loaded() {
    if (!(#loaded in this)) illegal();
    return this.#loaded;
  }

  get total() {
    if (!(#loaded in this)) illegal();
    return this.#total;
  }
}
webidl.configureInterface(ProgressEvent);
internals.ProgressEvent = ProgressEvent;
webidl.defineGlobal('ProgressEvent', ProgressEvent);

// ---- the file reading task source ----

const tasks = [];
let pumpArmed = false;

function runOne() {
  pumpArmed = false;
  const task = ArrayPrototypeShift(tasks);
  if (tasks.length > 0) arm();
  task();  // its listeners' exceptions are reported by dispatch; nothing else throws
}

// natives.queueMicrotask (V8's queue, which user code cannot reach), or a promise reaction.
function queueMicrotask(fn) {
  const enqueue = natives.queueMicrotask;
  if (typeof enqueue === 'function') {
    enqueue(fn);
  } else {
    PromisePrototypeThen(PromiseResolve(), fn);
  }
}

function arm() {
  pumpArmed = true;
  // A task (natives.queueTask), not setTimeout: a timer set from a timer callback is clamped
  // to 4 ms past the fifth nesting level, so 3,000 reads (12,000 tasks) took 48 s.
  const enqueueTask = natives.queueTask;
  if (typeof enqueueTask === 'function') {
    enqueueTask(runOne);
  } else {
    queueMicrotask(runOne);
  }
}

function queueTask(task) {
  ArrayPrototypePush(tasks, task);
  if (!pumpArmed) arm();
}

// ---- encodings (https://encoding.spec.whatwg.org/#concept-encoding-get) ----

const utf8Labels = ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8',
  'x-unicode20utf8'];
const utf16leLabels = ['csunicode', 'iso-10646-ucs-2', 'ucs-2', 'unicode', 'unicodefeff',
  'utf-16', 'utf-16le'];
const utf16beLabels = ['unicodefffe', 'utf-16be'];
const replacementLabels = ['csiso2022kr', 'hz-gb-2312', 'iso-2022-cn', 'iso-2022-cn-ext',
  'iso-2022-kr', 'replacement'];

function isAsciiWhitespace(c) {
  return c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
}

// An encoding's name (as the Encoding Standard spells it, lowercased), or null for failure.
function getEncoding(label) {
  let start = 0;
  let end = label.length;
  while (start < end && isAsciiWhitespace(StringCharCodeAt(label, start))) ++start;
  while (end > start && isAsciiWhitespace(StringCharCodeAt(label, end - 1))) --end;
  // No label has a non-ASCII character; checked before lowercasing, which would map
  // U+212A KELVIN SIGN to an ASCII 'k'.
  const trimmed = StringSlice(label, start, end);
  for (let i = 0; i < trimmed.length; ++i) {
    if (StringCharCodeAt(trimmed, i) > 0x7e) return null;
  }
  const key = StringToLowerCase(trimmed);
  if (ArrayPrototypeIncludes(utf8Labels, key)) return 'utf-8';
  if (ArrayPrototypeIncludes(utf16leLabels, key)) return 'utf-16le';
  if (ArrayPrototypeIncludes(utf16beLabels, key)) return 'utf-16be';
  if (ArrayPrototypeIncludes(replacementLabels, key)) return 'replacement';
  if (TextDecoderCtor === undefined) return null;
  try {
    return StringToLowerCase(TextDecoderEncoding(new TextDecoderCtor(key)));
  } catch {
    return null;  // a RangeError: not a label
  }
}

// ---- MIME types (https://mimesniff.spec.whatwg.org/#parse-a-mime-type), for the charset ----

function isHttpWhitespace(c) {
  return c === 0x09 || c === 0x0a || c === 0x0d || c === 0x20;
}

function isTokenCode(c) {
  // !#$%&'*+-.^_`|~, digits, letters
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d ||
    c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

function isToken(s) {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; ++i) if (!isTokenCode(StringCharCodeAt(s, i))) return false;
  return true;
}

function isQuotedStringCode(c) {
  return c === 0x09 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

// The charset parameter of the MIME type `input`, or null (no parameter, or not a MIME type).
function mimeCharset(input) {
  let start = 0;
  let end = input.length;
  while (start < end && isHttpWhitespace(StringCharCodeAt(input, start))) ++start;
  while (end > start && isHttpWhitespace(StringCharCodeAt(input, end - 1))) --end;
  const s = StringSlice(input, start, end);
  let pos = 0;
  const collect = (stop) => {
    const from = pos;
    while (pos < s.length && !stop(StringCharCodeAt(s, pos))) ++pos;
    return StringSlice(s, from, pos);
  };
  const type = collect((c) => c === 0x2f);  // '/'
  if (!isToken(type) || pos >= s.length) return null;
  ++pos;
  let subtype = collect((c) => c === 0x3b);  // ';'
  let e = subtype.length;
  while (e > 0 && isHttpWhitespace(StringCharCodeAt(subtype, e - 1))) --e;
  subtype = StringSlice(subtype, 0, e);
  if (!isToken(subtype)) return null;
  while (pos < s.length) {
    ++pos;  // ';'
    collect((c) => !isHttpWhitespace(c));
    const name = StringToLowerCase(collect((c) => c === 0x3b || c === 0x3d));  // ';' '='
    if (pos < s.length) {
      if (StringCharCodeAt(s, pos) === 0x3b) continue;
      ++pos;  // '='
    }
    if (pos >= s.length) break;
    let value;
    if (StringCharCodeAt(s, pos) === 0x22) {  // https://fetch.spec.whatwg.org/#collect-an-http-quoted-string
      value = '';
      ++pos;
      for (;;) {
        value += collect((c) => c === 0x22 || c === 0x5c);
        if (pos >= s.length) break;
        const q = StringCharCodeAt(s, pos++);
        if (q === 0x5c) {
          if (pos >= s.length) {
            value += '\\';
            break;
          }
          value += s[pos++];
        } else {
          break;
        }
      }
      collect((c) => c === 0x3b);
    } else {
      value = collect((c) => c === 0x3b);
      let ve = value.length;
      while (ve > 0 && isHttpWhitespace(StringCharCodeAt(value, ve - 1))) --ve;
      value = StringSlice(value, 0, ve);
      if (value.length === 0) continue;
    }
    if (name !== 'charset' || !isToken(name)) continue;
    let ok = true;
    for (let i = 0; i < value.length && ok; ++i) ok = isQuotedStringCode(StringCharCodeAt(value, i));
    // The first valid charset parameter wins (later duplicates are ignored).
    if (ok) return value;
  }
  return null;
}

// ---- package data (https://w3c.github.io/FileAPI/#blob-package-data) ----

function notReadable(what) {
  return new DOMException(`Failed to read the Blob: ${what}`, 'NotReadableError');
}

// Code units (each < 0x10000) as a string, kCharChunk at a time.
function charsOf(codes) {
  let out = '';
  for (let i = 0; i < codes.length; i += kCharChunk) {
    out += ReflectApply(StringFromCharCode, null, TypedArraySubarray(codes, i, i + kCharChunk));
  }
  return out;
}

function binaryString(bytes) {
  if (bytes.length > kMaxStringLength) {
    throw notReadable(`${bytes.length} bytes are more than a string can hold`);
  }
  return charsOf(bytes);
}

// https://encoding.spec.whatwg.org/#utf-16-decoder, without a decoder object: pairs of
// bytes as code units, lone surrogates and an odd last byte as U+FFFD.
function utf16Decode(bytes, bigEndian) {
  const units = bytes.length >> 1;
  const odd = (bytes.length & 1) === 1;
  const codes = new Uint16Array(units + (odd ? 1 : 0));
  const hi = bigEndian ? 0 : 1;
  const lo = 1 - hi;
  for (let i = 0; i < units; ++i) codes[i] = (bytes[2 * i + hi] << 8) | bytes[2 * i + lo];
  for (let i = 0; i < units; ++i) {
    const c = codes[i];
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < units ? codes[i + 1] : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        ++i;
      } else {
        codes[i] = 0xfffd;
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      codes[i] = 0xfffd;
    }
  }
  if (odd) codes[units] = 0xfffd;
  return charsOf(codes);
}

// https://encoding.spec.whatwg.org/#decode: a BOM picks the encoding and is dropped.
function decodeText(bytes, label, type) {
  let encoding = label === undefined ? null : getEncoding(label);
  if (encoding === null) {
    const charset = mimeCharset(type);
    if (charset !== null) encoding = getEncoding(charset);
  }
  if (encoding === null) encoding = 'utf-8';
  let skip = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    encoding = 'utf-8';
    skip = 3;
  } else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = 'utf-16be';
    skip = 2;
  } else if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = 'utf-16le';
    skip = 2;
  }
  const body = skip === 0 ? bytes : TypedArraySubarray(bytes, skip);
  // https://encoding.spec.whatwg.org/#replacement-decoder: one U+FFFD for any input.
  if (encoding === 'replacement') return body.length === 0 ? '' : '\ufffd';
  if (encoding === 'utf-8') return utf8Decode(body, true);
  if (TextDecoderCtor === undefined || encoding === 'utf-16le' || encoding === 'utf-16be') {
    return utf16Decode(body, encoding === 'utf-16be');
  }
  // The BOM is gone, so a decoder that would also drop one must keep what is left.
  const decoder = new TextDecoderCtor(encoding, { __proto__: null, ignoreBOM: true });
  return ReflectApply(TextDecoderDecode, decoder, [body]);
}

const base64Alphabet = new Uint8ArrayCtor(64);
for (let i = 0; i < 64; ++i) {
  base64Alphabet[i] = StringCharCodeAt(
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', i);
}

// data:<type>;base64,<bytes> (https://w3c.github.io/FileAPI/#dfn-readAsDataURL): the
// characters are ASCII, so they are written as bytes and decoded by the UTF-8 native.
function dataURL(bytes, type) {
  const prefix = `data:${type === '' ? 'application/octet-stream' : type};base64,`;
  const n = bytes.length;
  const length = 4 * MathCeil(n / 3);
  if (prefix.length + length > kMaxStringLength) {
    throw notReadable(`the data: URL of ${n} bytes is longer than a string can hold`);
  }
  const out = new Uint8ArrayCtor(length);
  const a = base64Alphabet;
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = a[v >> 18];
    out[o++] = a[(v >> 12) & 63];
    out[o++] = a[(v >> 6) & 63];
    out[o++] = a[v & 63];
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (bytes[i] << 16) | (two ? bytes[i + 1] << 8 : 0);
    out[o++] = a[v >> 18];
    out[o++] = a[(v >> 12) & 63];
    out[o++] = two ? a[(v >> 6) & 63] : 0x3d;  // '='
    out[o++] = 0x3d;
  }
  return prefix + utf8Decode(out, true);
}

const kArrayBuffer = 0;
const kBinaryString = 1;
const kText = 2;
const kDataURL = 3;

function packageData(bytes, kind, type, label) {
  switch (kind) {
    case kArrayBuffer: return TypedArrayBuffer(bytes);
    case kBinaryString: return binaryString(bytes);
    case kText: return decodeText(bytes, label, type);
    default: return dataURL(bytes, type);
  }
}

// ---- FileReader ----

const EMPTY = 0;
const LOADING = 1;
const DONE = 2;

let isReader;

function fireProgress(reader, type, loaded, total) {
  events.fire(reader, type, ProgressEvent, {
    __proto__: null, lengthComputable: true, loaded, total,
  });
}

class FileReader extends EventTarget {
  #state = EMPTY;
  #result = null;
  #error = null;
  #read = null;  // the read in progress: { loaded }; its tasks do nothing once it is not

  constructor() {
    super();
  }

  readAsArrayBuffer(blob) {
    this.#start(arguments, 'readAsArrayBuffer', kArrayBuffer);
  }

  readAsBinaryString(blob) {
    this.#start(arguments, 'readAsBinaryString', kBinaryString);
  }

  readAsText(blob, encoding = undefined) {
    this.#start(arguments, 'readAsText', kText);
  }

  readAsDataURL(blob) {
    this.#start(arguments, 'readAsDataURL', kDataURL);
  }

  // https://w3c.github.io/FileAPI/#dom-filereader-abort
  abort() {
    if (!isReader(this)) illegal();
    if (this.#state !== LOADING) {
      this.#result = null;
      return;
    }
    const read = this.#read;
    this.#state = DONE;
    this.#result = null;
    this.#read = null;  // its queued tasks now do nothing
    const total = read.total;
    fireProgress(this, 'abort', read.loaded, total);
    if (this.#state !== LOADING) fireProgress(this, 'loadend', read.loaded, total);
  }

  get readyState() {
    if (!isReader(this)) illegal();
    return this.#state;
  }

  get result() {
    if (!isReader(this)) illegal();
    return this.#result;
  }

  get error() {
    if (!isReader(this)) illegal();
    return this.#error;
  }

  // https://w3c.github.io/FileAPI/#readOperation
  #start(args, method, kind) {
    if (!isReader(this)) illegal();
    const prefix = webidl.prefix('FileReader', method);
    webidl.requiredArguments(args.length, 1, prefix);
    const blob = converters.Blob(args[0], prefix, 'parameter 1');
    let label;
    if (kind === kText && args[1] !== undefined) {
      label = converters.DOMString(args[1], prefix, 'parameter 2');
    }
    if (this.#state === LOADING) {
      throw new DOMException(`${prefix}: The object is already busy reading Blobs.`,
        'InvalidStateError');
    }
    this.#state = LOADING;
    this.#result = null;
    this.#error = null;
    const total = blobSize(blob);
    const read = { loaded: 0, total };
    this.#read = read;
    const type = blobType(blob);
    queueTask(() => {
      if (this.#read === read) fireProgress(this, 'loadstart', 0, total);
    });
    if (total > 0) {
      queueTask(() => {
        if (this.#read !== read) return;
        read.loaded = total;
        fireProgress(this, 'progress', total, total);
      });
    }
    queueTask(() => {
      if (this.#read !== read) return;
      this.#read = null;
      this.#state = DONE;
      let ok = true;
      try {
        this.#result = packageData(blobBytes(blob), kind, type, label);
      } catch (e) {
        ok = false;
        this.#error = e instanceof DOMException ? e
          : notReadable(e instanceof Error ? e.message : `${e}`);
      }
      fireProgress(this, ok ? 'load' : 'error', total, total);
      // A browser runs microtasks after each listener of an event fired by a task (its
      // script stack is then empty); here dispatch is JS, so loadend waits for the ones the
      // load/error listeners queued (WPT's EventWatcher resolves a promise per event).
      queueMicrotask(() => {
        if (this.#state !== LOADING) fireProgress(this, 'loadend', total, total);
      });
    });
  }

  static {
    isReader = (v) => typeof v === 'object' && v !== null && #state in v;
  }
}
webidl.configureInterface(FileReader);
webidl.defineConstants(FileReader, { EMPTY, LOADING, DONE });

// Event handler attributes, brand-checked as FileReader's own (the shared helper accepts
// any EventTarget).
for (const type of ['loadstart', 'progress', 'load', 'abort', 'error', 'loadend']) {
  const name = `on${type}`;
  events.defineEventHandler(FileReader.prototype, name, type);
  const shared = ObjectGetOwnPropertyDescriptor(FileReader.prototype, name);
  const accessors = {
    get [name]() {
      if (!isReader(this)) illegal();
      return ReflectApply(shared.get, this, []);
    },
    set [name](value) {
      if (!isReader(this)) illegal();
      ReflectApply(shared.set, this, [value]);
    },
  };
  const own = ObjectGetOwnPropertyDescriptor(accessors, name);
  ObjectDefineProperty(FileReader.prototype, name, {
    get: own.get, set: own.set, enumerable: true, configurable: true,
  });
}

webidl.defineGlobal('FileReader', FileReader);
