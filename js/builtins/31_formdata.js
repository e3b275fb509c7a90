// FormData (https://xhr.spec.whatwg.org/#interface-formdata), its multipart/form-data
// serialisation (https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data)
// and the body helpers Request/Response need (https://fetch.spec.whatwg.org/#concept-bodyinit-extract,
// #dom-body-formdata). A server has no <form>: `new FormData(form)` is a TypeError.
//
// Realm helpers for C++ (natives.setHelper; also on internals):
//   extractBody(value) -> { bytes: Uint8Array, contentType: string | null } for a Blob/File
//       (its bytes, its type or null when empty), a FormData (multipart/form-data with a new
//       random boundary) or a URLSearchParams (application/x-www-form-urlencoded;charset=UTF-8);
//       undefined for any other value. bytes is a new array the caller owns.
//   parseFormData(bytes: Uint8Array, contentType: string | null) -> FormData, from a
//       multipart/form-data or application/x-www-form-urlencoded body; throws a TypeError
//       ("Failed to parse body as FormData." or a limit named) otherwise. Files copy their
//       bytes out of `bytes`, which the caller may reuse afterwards.
//   makeBlob(bytes, type) -> Blob, makeFile, blobInfo (js/builtins/30_blob.js).
// Also internals.FormData, internals.isFormData, internals.formDataEntries (the live list of
// [name, value] pairs) and internals.serializeMultipart(formData) -> { bytes, boundary }.
//
// application/x-www-form-urlencoded: parsed by natives.parseFormBody (js/api/multipart.cc) and,
// for URLSearchParams bodies, serialised by URLSearchParams itself (20_url.js). When the URL
// built-ins and this file meet on main, urlencodedParse() below is the one function to point
// at the shared parser.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy FormData
// @requires 30_blob.js
// @helpers extractBody parseFormData
'use strict';

const { webidl, isBlob, isFile, blobParts, blobType, fileName, fileLastModified, makeFile,
  utf8Encode } = internals;
const { converters, primordials, PlatformObject } = webidl;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const { uncurry, ObjectGetOwnPropertyDescriptor, TypedArrayPrototype } = primordials;

const Uint8ArrayCtor = Uint8Array;
const TypedArraySet = uncurry(TypedArrayPrototype.set);
const TypedArrayBuffer = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  'buffer').get);
const TypedArrayByteOffset = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  'byteOffset').get);
const TypedArrayByteLength = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  'byteLength').get);
const StringIndexOf = uncurry(String.prototype.indexOf);
const StringSlice = uncurry(String.prototype.slice);
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const DateNow = Date.now;
const { parseFormBody, formBoundary } = natives;

// A File for `value` as "create an entry" makes one: a Blob becomes a File named "blob", a
// File is renamed when a filename is given (bytes shared, not copied).
function entryValue(value, filename) {
  if (!isFile(value)) {
    return makeFile(blobParts(value), filename === undefined ? 'blob' : filename,
      blobType(value), DateNow());
  }
  if (filename === undefined) return value;
  return makeFile(blobParts(value), filename, blobType(value), fileLastModified(value));
}

let isFormData;
let formDataEntries;

function assertFormData(self) {
  if (!isFormData(self)) throw new TypeError('Illegal invocation');
}

let FormData;
class FormDataState extends PlatformObject {
  #entries = [];

  static {
    FormData = class FormData extends null {
      constructor(form = undefined) {
        if (form !== undefined) {
          throw new TypeError(`${webidl.prefix('FormData')}: parameter 1 is not of type ` +
            "'HTMLFormElement'.");
        }
        return ReflectConstruct(FormDataState, [], new.target);
      }

      append(name, value, filename = undefined) {
        assertFormData(this);
        this.#entries.push(convertEntry('append', arguments.length, name, value, filename));
      }

      delete(name) {
        assertFormData(this);
        const prefix = webidl.prefix('FormData', 'delete');
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = converters.USVString(name, prefix, 'parameter 1');
        const list = this.#entries;
        let out = 0;
        for (let i = 0; i < list.length; ++i) {
          if (list[i][0] !== name) list[out++] = list[i];
        }
        list.length = out;
      }

      get(name) {
        assertFormData(this);
        const prefix = webidl.prefix('FormData', 'get');
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = converters.USVString(name, prefix, 'parameter 1');
        const list = this.#entries;
        for (let i = 0; i < list.length; ++i) {
          if (list[i][0] === name) return list[i][1];
        }
        return null;
      }

      getAll(name) {
        assertFormData(this);
        const prefix = webidl.prefix('FormData', 'getAll');
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = converters.USVString(name, prefix, 'parameter 1');
        const list = this.#entries;
        const out = [];
        for (let i = 0; i < list.length; ++i) {
          if (list[i][0] === name) out.push(list[i][1]);
        }
        return out;
      }

      has(name) {
        assertFormData(this);
        const prefix = webidl.prefix('FormData', 'has');
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = converters.USVString(name, prefix, 'parameter 1');
        const list = this.#entries;
        for (let i = 0; i < list.length; ++i) {
          if (list[i][0] === name) return true;
        }
        return false;
      }

      set(name, value, filename = undefined) {
        assertFormData(this);
        const entry = convertEntry('set', arguments.length, name, value, filename);
        const list = this.#entries;
        let i = 0;
        while (i < list.length && list[i][0] !== entry[0]) ++i;
        if (i === list.length) {
          list.push(entry);
          return;
        }
        list[i] = entry;
        let out = i + 1;
        for (let k = i + 1; k < list.length; ++k) {
          if (list[k][0] !== entry[0]) list[out++] = list[k];
        }
        list.length = out;
      }

      static {
        isFormData = (v) => typeof v === 'object' && v !== null && #entries in v;
        formDataEntries = (fd) => fd.#entries;
      }
    };
    ObjectSetPrototypeOf(FormData.prototype, Object.prototype);
  }
}

// The overloads (USVString name, USVString value) and (USVString name, Blob value, optional
// USVString filename): a Blob second argument, or a third argument, picks the second.
function convertEntry(member, argc, name, value, filename) {
  const prefix = webidl.prefix('FormData', member);
  webidl.requiredArguments(argc, 2, prefix);
  name = converters.USVString(name, prefix, 'parameter 1');
  if (argc > 2 || isBlob(value)) {
    value = converters.Blob(value, prefix, 'parameter 2');
    if (filename !== undefined) filename = converters.USVString(filename, prefix, 'parameter 3');
    return [name, entryValue(value, filename)];
  }
  return [name, converters.USVString(value, prefix, 'parameter 2')];
}

// The brand is the private field; the pair iterator's methods (webidl.mixinPairIterable) check
// the WebIDL brand symbol, answered here from it.
const FormDataCtor = FormData;
primordials.ObjectDefineProperty(FormData.prototype, webidl.brand, {
  get() { return isFormData(this) ? webidl.brand : undefined; },
  enumerable: false, configurable: false,
});
webidl.configureInterface(FormData);
webidl.mixinPairIterable('FormData', FormData, (fd) => formDataEntries(fd));

// ---- multipart/form-data serialisation ----

// CR not followed by LF, and LF not preceded by CR, become CRLF.
function normalizeLineBreaks(s) {
  if (StringIndexOf(s, '\r') === -1 && StringIndexOf(s, '\n') === -1) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; ++i) {
    const c = StringCharCodeAt(s, i);
    if (c === 13) {
      out += StringSlice(s, from, i) + '\r\n';
      if (StringCharCodeAt(s, i + 1) === 10) ++i;
      from = i + 1;
    } else if (c === 10) {
      out += StringSlice(s, from, i) + '\r\n';
      from = i + 1;
    }
  }
  return out + StringSlice(s, from);
}

// Names and filenames in a Content-Disposition: LF, CR and '"' as %0A, %0D, %22.
function escapeName(s) {
  if (StringIndexOf(s, '\r') === -1 && StringIndexOf(s, '\n') === -1 &&
      StringIndexOf(s, '"') === -1) {
    return s;
  }
  let out = '';
  for (let i = 0; i < s.length; ++i) {
    const c = StringCharCodeAt(s, i);
    out += c === 10 ? '%0A' : c === 13 ? '%0D' : c === 34 ? '%22' : s[i];
  }
  return out;
}

const CRLF = utf8Encode('\r\n');

function serializeMultipart(fd) {
  const boundary = formBoundary();
  const chunks = [];
  let total = 0;
  const add = (bytes) => {
    chunks.push(bytes);
    total += TypedArrayByteLength(bytes);
  };
  const entries = formDataEntries(fd);
  for (let i = 0; i < entries.length; ++i) {
    const name = entries[i][0];
    const value = entries[i][1];
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="` +
      `${escapeName(normalizeLineBreaks(name))}"`;
    if (typeof value === 'string') {
      add(utf8Encode(`${head}\r\n\r\n${normalizeLineBreaks(value)}\r\n`));
      continue;
    }
    const type = blobType(value);
    head += `; filename="${escapeName(fileName(value))}"\r\nContent-Type: ` +
      `${type === '' ? 'application/octet-stream' : type}\r\n\r\n`;
    add(utf8Encode(head));
    const parts = blobParts(value);
    for (let k = 0; k < parts.length; ++k) add(parts[k]);
    add(CRLF);
  }
  add(utf8Encode(`--${boundary}--\r\n`));
  const bytes = new Uint8ArrayCtor(total);
  let offset = 0;
  for (let k = 0; k < chunks.length; ++k) {
    TypedArraySet(bytes, chunks[k], offset);
    offset += TypedArrayByteLength(chunks[k]);
  }
  return { bytes, boundary };
}

// ---- body helpers ----

// URLSearchParams comes from 20_url.js (another built-in); read through its own toString.
const URLSearchParamsCtor = globalThis.URLSearchParams;
const URLSearchParamsToString = typeof URLSearchParamsCtor === 'function'
  ? uncurry(URLSearchParamsCtor.prototype.toString) : undefined;
const isURLSearchParams = internals.isURLSearchParams ?? ((v) =>
  URLSearchParamsToString !== undefined && typeof v === 'object' && v !== null &&
  primordials.FunctionPrototypeHasInstance(URLSearchParamsCtor, v));

function extractBody(value) {
  if (isBlob(value)) {
    const type = blobType(value);
    return { bytes: internals.blobBytes(value), contentType: type === '' ? null : type };
  }
  if (isFormData(value)) {
    const { bytes, boundary } = serializeMultipart(value);
    return { bytes, contentType: `multipart/form-data; boundary=${boundary}` };
  }
  if (isURLSearchParams(value)) {
    return {
      bytes: utf8Encode(URLSearchParamsToString(value)),
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  return undefined;
}

// The one entry point for form-urlencoded and multipart parsing (both native); see the note
// at the top about unifying the urlencoded half with the URL built-ins.
function urlencodedOrMultipartParse(bytes, contentType) {
  return parseFormBody(bytes, contentType);
}

// A new array with bytes[offset, offset + length) (TypedArray slice() would ask the
// user-patchable species constructor).
function copyRange(bytes, offset, length) {
  const out = new Uint8ArrayCtor(length);
  TypedArraySet(out, new Uint8ArrayCtor(TypedArrayBuffer(bytes),
    TypedArrayByteOffset(bytes) + offset, length));
  return out;
}

function parseFormData(bytes, contentType) {
  const parsed = urlencodedOrMultipartParse(bytes,
    contentType === null || contentType === undefined ? '' : `${contentType}`);
  const fd = new FormDataCtor();
  const list = formDataEntries(fd);
  for (let i = 0; i < parsed.length; ++i) {
    const e = parsed[i];
    if (e.length === 2) {
      list.push(e);
      continue;
    }
    // [name, filename, contentType|null, offset, length]: no Content-Type is text/plain.
    const type = e[2];
    const length = e[4];
    const parts = length === 0 ? [] : [copyRange(bytes, e[3], length)];
    list.push([e[0], makeFile(parts, e[1], type === null ? 'text/plain' : type, DateNow())]);
  }
  return fd;
}

Object.assign(internals, {
  FormData, isFormData, formDataEntries, serializeMultipart, extractBody, parseFormData,
});
natives.setHelper('extractBody', extractBody);
natives.setHelper('parseFormData', parseFormData);
webidl.defineGlobal('FormData', FormData);
