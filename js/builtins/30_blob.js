// Blob and File (https://w3c.github.io/FileAPI/#blob-section, #file-section).
//
// A Blob holds a list of parts: Uint8Array views that nothing ever writes after the Blob is
// made. BufferSources and strings given to the constructor are copied (strings as UTF-8, with
// "native" endings as LF) into one new buffer per run of them; another Blob's parts are shared
// without copying; slice() makes views over the parts it covers. text()/arrayBuffer()/bytes()
// never throw: a bad receiver or an allocation failure is a rejected promise.
// Blob.prototype.stream() is a byte ReadableStream (50_streams.js, loaded on first call) that
// enqueues copies of the bytes, at most 64 KiB a chunk, one chunk per pull (a BYOB read gets
// them copied straight into its buffer).
//
// For the other built-ins (internals):
//   Blob, File                   the classes
//   isBlob(v), isFile(v)         brand checks
//   blobParts(blob)              its parts (Uint8Array views; read them, never write them)
//   blobBytes(blob)              a new Uint8Array with its bytes, the caller's to keep
//   blobType(blob)               its (normalised) type
//   makeBlob(bytes, type)        a Blob over bytes (a Uint8Array it takes over: nothing may
//                                write to it afterwards), type normalised as the constructor does
//   makeFile(parts, name, type, lastModified)  a File over parts (as blobParts gives them)
//   utf8Encode(string)           a new Uint8Array (lone surrogates as U+FFFD)
//   utf8Decode(view, keepBom)    a string (invalid sequences as U+FFFD; a BOM dropped unless
//                                keepBom)
// Realm helpers for C++ (natives.setHelper), e.g. for structuredClone's serialiser:
//   'makeBlob' (bytes, type) -> Blob, as above
//   'makeFile' (bytes, name, type, lastModified) -> File over bytes (taken over likewise)
//   'blobInfo' (value) -> undefined if value is not a Blob, else { bytes (a new Uint8Array),
//       type, and for a File also name and lastModified }
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy Blob File
// @helpers makeBlob makeFile blobInfo
'use strict';

const { webidl } = internals;
const { converters, primordials, PlatformObject } = webidl;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const { uncurry, ObjectGetOwnPropertyDescriptor, TypedArrayPrototype } = primordials;

const Uint8ArrayCtor = Uint8Array;
const getter = (proto, key) => uncurry(ObjectGetOwnPropertyDescriptor(proto, key).get);
const TypedArraySet = uncurry(TypedArrayPrototype.set);
const TypedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const TypedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const TypedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
const TypedArrayToStringTag = primordials.TypedArrayToStringTag;
const DataViewBuffer = getter(DataView.prototype, 'buffer');
const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
const DataViewByteLength = getter(DataView.prototype, 'byteLength');
const ArrayBufferIsView = ArrayBuffer.isView;
const ArrayBufferByteLength = primordials.ArrayBufferByteLength;
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringToLowerCase = uncurry(String.prototype.toLowerCase);
const PromiseCtor = Promise;
const PromiseResolve = (v) => new PromiseCtor((resolve) => resolve(v));
const PromiseReject = (e) => new PromiseCtor((resolve, reject) => reject(e));
const DateNow = Date.now;
const MathMax = Math.max;
const MathMin = Math.min;
const { utf8Length, utf8Write, utf8Decode } = natives;
const loadBuiltin = natives.loadBuiltin;
const kStreamChunk = 65536;

// https://w3c.github.io/FileAPI/#blob-get-stream: a byte stream whose pull enqueues the next
// run of bytes (a copy: the parts are shared with other Blobs and never written).
function blobStream(parts) {
  if (internals.streams === undefined) loadBuiltin('50_streams.js');
  const streams = internals.streams;
  let part = 0;
  let offset = 0;
  return streams.CreateReadableByteStream({
    pull(controller) {
      while (part < parts.length && offset >= TypedArrayByteLength(parts[part])) {
        ++part;
        offset = 0;
      }
      const into = streams.ReadableByteStreamControllerGetBYOBRequestView(controller);
      if (part === parts.length) {
        streams.ReadableByteStreamControllerClose(controller);
        if (into !== null) streams.ReadableByteStreamControllerRespond(controller, 0);
        return;
      }
      const view = parts[part];
      let n = MathMin(TypedArrayByteLength(view) - offset, kStreamChunk);
      // A BYOB read: the bytes go straight into the reader's buffer.
      if (into !== null) n = MathMin(n, TypedArrayByteLength(into));
      const from = new Uint8ArrayCtor(TypedArrayBuffer(view), TypedArrayByteOffset(view) + offset,
        n);
      if (into !== null) {
        TypedArraySet(into, from);
        offset += n;
        streams.ReadableByteStreamControllerRespond(controller, n);
        return;
      }
      const chunk = new Uint8ArrayCtor(n);
      TypedArraySet(chunk, from);
      offset += n;
      streams.ReadableByteStreamControllerEnqueue(controller, chunk);
    },
  });
}

// A private token: constructors called with it skip argument conversion (internal creation).
const kInternal = Symbol('internal');

// ---- UTF-8 ----

// Short ASCII strings (most parts and form headers) are written by JS; the rest by the native.
function encodedLength(s, nativeEndings) {
  if (s.length <= 64) {
    let ascii = true;
    for (let i = 0; i < s.length; ++i) {
      const c = StringCharCodeAt(s, i);
      if (c >= 0x80 || (c === 13 && nativeEndings)) {
        ascii = false;
        break;
      }
    }
    if (ascii) return -s.length - 1;  // negative: the JS path
  }
  return utf8Length(s);
}

// Writes s at target[offset]; `length` is encodedLength's result. Returns the new offset.
function writeString(s, length, target, offset, nativeEndings) {
  if (length < 0) {
    for (let i = 0; i < s.length; ++i) target[offset + i] = StringCharCodeAt(s, i);
    return offset + s.length;
  }
  return offset + utf8Write(s, target, offset, nativeEndings);
}

function utf8Encode(s) {
  const length = encodedLength(s, false);
  const out = new Uint8ArrayCtor(length < 0 ? -length - 1 : length);
  writeString(s, length, out, 0, false);
  return out;
}
internals.utf8Encode = utf8Encode;
// fetch() of blob: URLs (56_fetch.js).
internals.blob = {
  isBlob: (v) => isBlob(v),
  bytes: (b) => flatten(blobParts(b), blobSize(b), false),
  type: (b) => blobType(b),
};
internals.utf8Decode = utf8Decode;

// ---- parts ----

function view(buffer, offset, length) {
  return new Uint8ArrayCtor(buffer, offset, length);
}

// A Uint8Array over the bytes of an ArrayBuffer or view (no copy); a detached buffer has
// none (and cannot be viewed).
function bytesOf(source) {
  let buffer;
  let offset = 0;
  let length;
  if (!ArrayBufferIsView(source)) {
    buffer = source;
    length = ArrayBufferByteLength(source);
  } else if (TypedArrayToStringTag(source) !== undefined) {
    buffer = TypedArrayBuffer(source);
    offset = TypedArrayByteOffset(source);
    length = TypedArrayByteLength(source);
  } else {
    buffer = DataViewBuffer(source);
    length = ArrayBufferByteLength(buffer) === 0 ? 0 : DataViewByteLength(source);
    offset = length === 0 ? 0 : DataViewByteOffset(source);
  }
  return length === 0 ? new Uint8ArrayCtor(0) : view(buffer, offset, length);
}

let isBlob;
let blobParts;
let blobSize;
let blobType;

// https://w3c.github.io/FileAPI/#process-blob-parts: parts already converted (strings, Blobs,
// BufferSources). Runs of strings and BufferSources are copied into one new buffer each.
function processBlobParts(items, endings) {
  const nativeEndings = endings === 'native';
  const parts = [];
  let size = 0;
  let i = 0;
  while (i < items.length) {
    const item = items[i];
    if (typeof item !== 'string' && isBlob(item)) {
      const shared = blobParts(item);
      for (let k = 0; k < shared.length; ++k) parts.push(shared[k]);
      size += blobSize(item);
      ++i;
      continue;
    }
    // A run of new bytes: measure, allocate once, write.
    const run = [];
    const lengths = [];
    let total = 0;
    for (; i < items.length; ++i) {
      const it = items[i];
      if (typeof it === 'string') {
        const length = encodedLength(it, nativeEndings);
        total += length < 0 ? -length - 1 : length;
        run.push(it);
        lengths.push(length);
      } else if (isBlob(it)) {
        break;
      } else {
        const bytes = bytesOf(it);
        total += TypedArrayByteLength(bytes);
        run.push(bytes);
        lengths.push(0);
      }
    }
    if (total === 0) continue;
    const buffer = new Uint8ArrayCtor(total);
    let offset = 0;
    for (let k = 0; k < run.length; ++k) {
      const it = run[k];
      if (typeof it === 'string') {
        offset = writeString(it, lengths[k], buffer, offset, nativeEndings);
      } else {
        TypedArraySet(buffer, it, offset);
        offset += TypedArrayByteLength(it);
      }
    }
    parts.push(offset === total ? buffer : view(TypedArrayBuffer(buffer), 0, offset));
    size += offset;
  }
  return { parts, size };
}

// The parts covering [start, start + span) of parts (views, no copy).
function sliceParts(parts, start, span) {
  const out = [];
  let skip = start;
  let left = span;
  for (let k = 0; k < parts.length && left > 0; ++k) {
    const p = parts[k];
    const n = TypedArrayByteLength(p);
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const take = MathMin(n - skip, left);
    out.push(skip === 0 && take === n ? p
      : view(TypedArrayBuffer(p), TypedArrayByteOffset(p) + skip, take));
    left -= take;
    skip = 0;
  }
  return out;
}

// One Uint8Array with every byte of parts: a new one, unless `mayShare` and there is a single
// part (for readers that do not keep or hand out the result).
function flatten(parts, size, mayShare) {
  if (mayShare && parts.length === 1) return parts[0];
  const out = new Uint8ArrayCtor(size);
  let offset = 0;
  for (let k = 0; k < parts.length; ++k) {
    TypedArraySet(out, parts[k], offset);
    offset += TypedArrayByteLength(parts[k]);
  }
  return out;
}

// https://w3c.github.io/FileAPI/#dom-blob-blob step 3 (and slice's contentType).
function normalizeType(t) {
  for (let i = 0; i < t.length; ++i) {
    const c = StringCharCodeAt(t, i);
    if (c < 0x20 || c > 0x7e) return '';
  }
  return StringToLowerCase(t);
}

// ---- conversions ----

// (BufferSource or Blob or USVString): strings stay as DOMString here, since the UTF-8
// encoder turns lone surrogates into U+FFFD as the USVString conversion would.
converters.BlobPart = (V, prefix, context) => {
  if ((typeof V === 'object' && V !== null) || typeof V === 'function') {
    if (isBlob(V)) return V;
    if (ArrayBufferIsView(V) || webidl.isArrayBuffer(V)) {
      return converters.BufferSource(V, prefix, context);
    }
  }
  return converters.DOMString(V, prefix, context);
};
converters['sequence<BlobPart>'] = webidl.createSequenceConverter(converters.BlobPart);
converters.EndingType = webidl.createEnumConverter('EndingType', ['transparent', 'native']);
const blobPropertyBagMembers = [
  { key: 'type', converter: converters.DOMString, defaultValue: '' },
  { key: 'endings', converter: converters.EndingType, defaultValue: 'transparent' },
];
converters.BlobPropertyBag = webidl.createDictionaryConverter('BlobPropertyBag',
  blobPropertyBagMembers);
converters.FilePropertyBag = webidl.createDictionaryConverter('FilePropertyBag',
  blobPropertyBagMembers, [{ key: 'lastModified', converter: converters['long long'] }]);

// ---- Blob ----

let Blob;
class BlobState extends PlatformObject {
  #parts;
  #size;
  #type;

  static {
    Blob = class Blob extends null {
      // Internal construction (kInternal) takes the parts as they are and, with target, stamps
      // the Blob's state on target (a platform object a clone hook got) instead of a new one.
      constructor(blobParts = undefined, options = undefined, internal = undefined, parts, size,
        type, target) {
        if (internal === kInternal) {
          const self = target !== undefined ? new BlobState(target)
            : ReflectConstruct(BlobState, [], new.target);
          self.#parts = parts;
          self.#size = size;
          self.#type = type;
          return self;
        }
        const prefix = webidl.prefix('Blob');
        const items = blobParts === undefined ? []
          : converters['sequence<BlobPart>'](blobParts, prefix, 'parameter 1');
        const bag = converters.BlobPropertyBag(options, prefix, 'parameter 2');
        const processed = processBlobParts(items, bag.endings);
        const self = ReflectConstruct(BlobState, [], new.target);
        self.#parts = processed.parts;
        self.#size = processed.size;
        self.#type = normalizeType(bag.type);
        return self;
      }

      get size() {
        if (!isBlob(this)) throw new TypeError('Illegal invocation');
        return this.#size;
      }

      get type() {
        if (!isBlob(this)) throw new TypeError('Illegal invocation');
        return this.#type;
      }

      slice(start = undefined, end = undefined, contentType = undefined) {
        if (!isBlob(this)) throw new TypeError('Illegal invocation');
        const prefix = webidl.prefix('Blob', 'slice');
        const size = this.#size;
        let relativeStart = 0;
        if (start !== undefined) {
          start = converters['long long'](start, prefix, 'parameter 1', { clamp: true });
          relativeStart = start < 0 ? MathMax(size + start, 0) : MathMin(start, size);
        }
        let relativeEnd = size;
        if (end !== undefined) {
          end = converters['long long'](end, prefix, 'parameter 2', { clamp: true });
          relativeEnd = end < 0 ? MathMax(size + end, 0) : MathMin(end, size);
        }
        const type = contentType === undefined ? ''
          : normalizeType(converters.DOMString(contentType, prefix, 'parameter 3'));
        const span = MathMax(relativeEnd - relativeStart, 0);
        return new Blob(undefined, undefined, kInternal, sliceParts(this.#parts, relativeStart, span),
          span, type);
      }

      stream() {
        if (!isBlob(this)) throw new TypeError('Illegal invocation');
        return blobStream(this.#parts);
      }

      text() {
        if (!isBlob(this)) return PromiseReject(new TypeError('Illegal invocation'));
        try {
          return PromiseResolve(utf8Decode(flatten(this.#parts, this.#size, true), false));
        } catch (e) {
          return PromiseReject(e);
        }
      }

      arrayBuffer() {
        if (!isBlob(this)) return PromiseReject(new TypeError('Illegal invocation'));
        try {
          return PromiseResolve(TypedArrayBuffer(flatten(this.#parts, this.#size, false)));
        } catch (e) {
          return PromiseReject(e);
        }
      }

      bytes() {
        if (!isBlob(this)) return PromiseReject(new TypeError('Illegal invocation'));
        try {
          return PromiseResolve(flatten(this.#parts, this.#size, false));
        } catch (e) {
          return PromiseReject(e);
        }
      }

      static {
        isBlob = (v) => typeof v === 'object' && v !== null && #parts in v;
        blobParts = (b) => b.#parts;
        blobSize = (b) => b.#size;
        blobType = (b) => b.#type;
      }
    };
    ObjectSetPrototypeOf(Blob.prototype, Object.prototype);
  }
}
webidl.configureInterface(Blob);

// ---- File ----

let isFile;
let fileName;
let fileLastModified;

class File extends Blob {
  #name;
  #lastModified;

  constructor(fileBits, fileName, options = undefined, parts = undefined, size, type,
    lastModified, target) {
    if (fileBits === kInternal) {
      super(undefined, undefined, kInternal, parts, size, type, target);
      this.#name = fileName;
      this.#lastModified = lastModified;
      return;
    }
    const prefix = webidl.prefix('File');
    webidl.requiredArguments(arguments.length, 2, prefix);
    const items = converters['sequence<BlobPart>'](fileBits, prefix, 'parameter 1');
    const name = converters.USVString(fileName, prefix, 'parameter 2');
    const bag = converters.FilePropertyBag(options, prefix, 'parameter 3');
    const processed = processBlobParts(items, bag.endings);
    super(undefined, undefined, kInternal, processed.parts, processed.size,
      normalizeType(bag.type));
    this.#name = name;
    this.#lastModified = 'lastModified' in bag ? bag.lastModified : DateNow();
  }

  get name() {
    if (!isFile(this)) throw new TypeError('Illegal invocation');
    return this.#name;
  }

  get lastModified() {
    if (!isFile(this)) throw new TypeError('Illegal invocation');
    return this.#lastModified;
  }

  get webkitRelativePath() {
    if (!isFile(this)) throw new TypeError('Illegal invocation');
    return '';
  }

  static {
    isFile = (v) => typeof v === 'object' && v !== null && #name in v;
    fileName = (f) => f.#name;
    fileLastModified = (f) => f.#lastModified;
  }
}
webidl.configureInterface(File);

// ---- for other built-ins and C++ ----

function sumSizes(parts) {
  let size = 0;
  for (let k = 0; k < parts.length; ++k) size += TypedArrayByteLength(parts[k]);
  return size;
}

function makeBlob(bytes, type) {
  const parts = TypedArrayByteLength(bytes) === 0 ? [] : [bytes];
  return new Blob(undefined, undefined, kInternal, parts, sumSizes(parts),
    normalizeType(type === undefined || type === null ? '' : `${type}`));
}

function makeFile(parts, name, type, lastModified) {
  return new File(kInternal, name, undefined, parts, sumSizes(parts), normalizeType(type),
    lastModified === undefined ? DateNow() : lastModified);
}

converters.Blob = (V, prefix, context) => {
  if (!isBlob(V)) throw webidl.makeException(TypeError, "is not of type 'Blob'.", prefix, context);
  return V;
};

Object.assign(internals, {
  Blob, File, isBlob, isFile, blobParts, blobType, fileName, fileLastModified, makeBlob, makeFile,
  blobBytes: (b) => flatten(blobParts(b), blobSize(b), false),
});
natives.setHelper('makeBlob', makeBlob);
natives.setHelper('makeFile', (bytes, name, type, lastModified) =>
  makeFile(TypedArrayByteLength(bytes) === 0 ? [] : [bytes], `${name}`,
    type === undefined || type === null ? '' : `${type}`, Number(lastModified)));
natives.setHelper('blobInfo', (v) => {
  if (!isBlob(v)) return undefined;
  const info = { bytes: flatten(blobParts(v), blobSize(v), false), type: blobType(v) };
  if (isFile(v)) {
    info.name = fileName(v);
    info.lastModified = fileLastModified(v);
  }
  return info;
});
// Serialization steps (https://w3c.github.io/FileAPI/#blob-section, #file-section): the
// bytes (one copy, which the clone owns alone) and the type; a File adds its name and
// lastModified.
const cloneBytes = (b) => flatten(blobParts(b), blobSize(b), false);
const partsOf = (bytes) => (TypedArrayByteLength(bytes) === 0 ? [] : [bytes]);
internals.cloneHooks.register(Blob, {
  serialize: (b) => [cloneBytes(b), blobType(b)],
  deserialize(object, data) {
    const parts = partsOf(data[0]);
    new Blob(undefined, undefined, kInternal, parts, sumSizes(parts), data[1], object);
  },
});
internals.cloneHooks.register(File, {
  serialize: (f) => [cloneBytes(f), blobType(f), fileName(f), fileLastModified(f)],
  deserialize(object, data) {
    const parts = partsOf(data[0]);
    new File(kInternal, data[2], undefined, parts, sumSizes(parts), data[1], data[3], object);
  },
});
webidl.defineGlobal('Blob', Blob);
webidl.defineGlobal('File', File);
// How the console prints them (10_console.js).
internals.inspectHooks.register(Blob, ['size', 'type']);
internals.inspectHooks.register(File, ['size', 'type', 'name', 'lastModified']);
