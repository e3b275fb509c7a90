// WebIDL for the built-ins (https://webidl.spec.whatwg.org/#es-type-mapping): argument
// conversions, dictionaries, enums, sequences, records, brand checks, interface set-up and
// pair iterators, shared through internals.webidl. Error messages read as the C++ binding
// layer's: "Failed to execute 'append' on 'Headers': parameter 1 is not of type 'Blob'."
//
// Conversions take (value, prefix, context, options): prefix names the operation ("Failed to
// construct 'URL'"), context the argument ("parameter 1", "'signal' member of
// RequestInit").
'use strict';

const webidl = {};
internals.webidl = webidl;

// Captured before user code runs, so that patching globals cannot change conversions.
const ArrayBufferIsView = ArrayBuffer.isView;
const NumberIsFinite = Number.isFinite;
const NumberIsNaN = Number.isNaN;
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const { trunc: MathTrunc, floor: MathFloor, min: MathMin, max: MathMax } = Math;
const SymbolIterator = Symbol.iterator;
const SymbolToStringTag = Symbol.toStringTag;
const uncurry = (fn) => Function.prototype.call.bind(fn);
const ArrayBufferByteLength = uncurry(ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype,
  'byteLength').get);
const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
const TypedArrayToStringTag = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  SymbolToStringTag).get);
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringFromCharCode = String.fromCharCode;
const FunctionPrototypeHasInstance = uncurry(Function.prototype[Symbol.hasInstance]);
const primordials = {
  uncurry, ArrayBufferByteLength, TypedArrayPrototype, TypedArrayToStringTag,
  ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf,
  FunctionPrototypeHasInstance,
};
webidl.primordials = primordials;

// ---- errors ----

function makeException(ErrorType, message, prefix, context) {
  return new ErrorType(`${prefix ? prefix + ': ' : ''}${context ? context + ' ' : ''}${message}`);
}
webidl.makeException = makeException;

// "Failed to execute 'append' on 'Headers'" / "Failed to construct 'URL'".
webidl.prefix = (iface, member) => member === undefined
  ? `Failed to construct '${iface}'`
  : `Failed to execute '${member}' on '${iface}'`;

webidl.requiredArguments = (length, required, prefix) => {
  if (length < required) {
    const noun = required === 1 ? 'argument' : 'arguments';
    throw new TypeError(`${prefix}: ${required} ${noun} required, but only ${length} present.`);
  }
};

webidl.illegalConstructor = () => {
  throw new TypeError('Illegal constructor');
};

// A member called on an object that is not one of its interface's instances.
webidl.illegalInvocation = () => {
  throw new TypeError('Illegal invocation');
};

// ---- brands ----

// Instances made by a built-in carry `brand`; a method called on anything else is an
// "Illegal invocation", as for natives. They are platform objects
// (natives.createPlatformObject): structuredClone refuses them with a DataCloneError unless
// their interface registered a clone hook (internals.cloneHooks). A constructor passes
// new.target's prototype so that subclasses work: webidl.createBranded(new.target).
//
// A class whose state is private fields makes platform objects by declaring those fields on
// a state class that extends webidl.PlatformObject, with the interface class nested in the
// state class's static block (so that its methods see the fields) and constructing through
// it: the instance is a platform object of new.target's prototype. The interface class
// `extends null` (then gets Object.prototype back on its prototype): its constructor is then a
// derived one, which allocates no `this` of its own, so V8 keeps one cached map per new.target
// (a base class would allocate an ordinary `this` first and the two maps would evict each
// other on every construction); it returns the platform object without calling super(), and
// its own [[Prototype]] stays Function.prototype, as WebIDL wants. Subclasses (user ones too)
// work as usual: their super() returns the platform object.
//
//   let Foo;
//   class FooState extends webidl.PlatformObject {
//     #bar;
//     static {
//       Foo = class Foo extends null {
//         constructor() {
//           const self = Reflect.construct(FooState, [], new.target);
//           self.#bar = 1;
//           return self;
//         }
//         get bar() { ... this.#bar ... }
//       };
//       Object.setPrototypeOf(Foo.prototype, Object.prototype);
//     }
//   }
//
// `new FooState(object)` stamps the fields onto an existing platform object instead (for a
// clone hook's deserialize).
webidl.PlatformObject = natives.PlatformObject;
const brand = Symbol('[[webidl.brand]]');
webidl.brand = brand;
const createPlatformObject = natives.createPlatformObject;
webidl.createPlatformObject = createPlatformObject;
webidl.createBranded = (Type) => {
  const t = createPlatformObject(Type.prototype);
  t[brand] = brand;
  return t;
};
webidl.assertBranded = (self, prototype) => {
  if (self === null || typeof self !== 'object' || self[brand] !== brand ||
      !Object.prototype.isPrototypeOf.call(prototype, self)) {
    throw new TypeError('Illegal invocation');
  }
};

// ---- types ----

function type(V) {
  if (V === null) return 'Null';
  switch (typeof V) {
    case 'undefined': return 'Undefined';
    case 'boolean': return 'Boolean';
    case 'number': return 'Number';
    case 'string': return 'String';
    case 'symbol': return 'Symbol';
    case 'bigint': return 'BigInt';
    case 'object':
    case 'function':
    default: return 'Object';
  }
}
webidl.type = type;

const converters = {};
webidl.converters = converters;

converters.any = (V) => V;
converters.undefined = () => undefined;
converters.boolean = (V) => !!V;
converters.object = (V, prefix, context) => {
  if (type(V) !== 'Object') throw makeException(TypeError, 'is not an object.', prefix, context);
  return V;
};

// https://webidl.spec.whatwg.org/#abstract-opdef-converttoint
function censorNegativeZero(x) { return x === 0 ? 0 : x; }
function integerPart(n) { return censorNegativeZero(MathTrunc(n)); }
function evenRound(x) {
  if ((x > 0 && x % 1 === +0.5 && (x & 1) === 0) ||
      (x < 0 && x % 1 === -0.5 && (x & 1) === 1)) {
    return censorNegativeZero(MathFloor(x));
  }
  return censorNegativeZero(Math.round(x));
}
function modulo(x, y) {
  const r = x % y;
  return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
}
function createIntegerConversion(bitLength, unsigned) {
  let lowerBound, upperBound;
  if (bitLength === 64) {
    upperBound = Number.MAX_SAFE_INTEGER;
    lowerBound = unsigned ? 0 : Number.MIN_SAFE_INTEGER;
  } else if (unsigned) {
    lowerBound = 0;
    upperBound = 2 ** bitLength - 1;
  } else {
    lowerBound = -(2 ** (bitLength - 1));
    upperBound = 2 ** (bitLength - 1) - 1;
  }
  const twoToTheBitLength = 2 ** bitLength;
  const twoToOneLessThanTheBitLength = 2 ** (bitLength - 1);
  return (V, prefix, context, opts = {}) => {
    let x = Number(V);  // throws for Symbol and BigInt, as ToNumber does
    x = censorNegativeZero(x);
    if (opts.enforceRange) {
      if (!NumberIsFinite(x)) {
        throw makeException(TypeError, 'is not a finite number.', prefix, context);
      }
      x = integerPart(x);
      if (x < lowerBound || x > upperBound) {
        throw makeException(TypeError,
          `is outside the accepted range of ${lowerBound} to ${upperBound}, inclusive.`,
          prefix, context);
      }
      return x;
    }
    if (!NumberIsNaN(x) && opts.clamp) {
      x = MathMin(MathMax(x, lowerBound), upperBound);
      return evenRound(x);
    }
    if (!NumberIsFinite(x) || x === 0) return 0;
    x = integerPart(x);
    if (x >= lowerBound && x <= upperBound) return x;
    if (bitLength === 64) {
      // The spec's modulo 2^64 on doubles; exact for the values JS can hold.
      const big = BigInt.asIntN(64, BigInt(x));
      return Number(unsigned ? BigInt.asUintN(64, big) : big);
    }
    x = modulo(x, twoToTheBitLength);
    if (!unsigned && x >= twoToOneLessThanTheBitLength) return x - twoToTheBitLength;
    return x;
  };
}
converters.byte = createIntegerConversion(8, false);
converters.octet = createIntegerConversion(8, true);
converters.short = createIntegerConversion(16, false);
converters['unsigned short'] = createIntegerConversion(16, true);
converters.long = createIntegerConversion(32, false);
converters['unsigned long'] = createIntegerConversion(32, true);
converters['long long'] = createIntegerConversion(64, false);
converters['unsigned long long'] = createIntegerConversion(64, true);

converters.double = (V, prefix, context) => {
  const x = Number(V);
  if (!NumberIsFinite(x)) {
    throw makeException(TypeError, 'is not a finite floating-point value.', prefix, context);
  }
  return x;
};
converters['unrestricted double'] = (V) => Number(V);
converters.float = (V, prefix, context) => {
  const x = Number(V);
  if (!NumberIsFinite(x)) {
    throw makeException(TypeError, 'is not a finite floating-point value.', prefix, context);
  }
  const y = Math.fround(x);
  if (!NumberIsFinite(y)) {
    throw makeException(TypeError, 'is outside the range of a single-precision floating-point value.',
      prefix, context);
  }
  return y;
};
converters['unrestricted float'] = (V) => Math.fround(Number(V));

converters.DOMString = (V, prefix, context, opts = {}) => {
  if (typeof V === 'string') return V;
  if (V === null && opts.treatNullAsEmptyString) return '';
  if (typeof V === 'symbol') {
    throw makeException(TypeError, 'is a symbol, which cannot be converted to a string.',
      prefix, context);
  }
  return String(V);
};

// Lone surrogates become U+FFFD.
function toUSVString(S) {
  const n = S.length;
  let out = null;
  for (let i = 0; i < n; ++i) {
    const c = StringCharCodeAt(S, i);
    let ok = true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < n ? StringCharCodeAt(S, i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        if (out !== null) out += StringFromCharCode(c, d);
        ++i;
        continue;
      }
      ok = false;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      ok = false;
    }
    if (!ok && out === null) out = S.slice(0, i);
    if (out !== null) out += ok ? StringFromCharCode(c) : '\ufffd';
  }
  return out === null ? S : out;
}
webidl.toUSVString = toUSVString;
converters.USVString = (V, prefix, context, opts) =>
  toUSVString(converters.DOMString(V, prefix, context, opts));

converters.ByteString = (V, prefix, context, opts) => {
  const x = converters.DOMString(V, prefix, context, opts);
  for (let i = 0; i < x.length; ++i) {
    if (StringCharCodeAt(x, i) > 255) {
      throw makeException(TypeError, 'is not a valid ByteString.', prefix, context);
    }
  }
  return x;
};

function isSharedArrayBuffer(V) {
  return typeof SharedArrayBuffer === 'function' && V instanceof SharedArrayBuffer;
}
function isArrayBuffer(V) {
  try {
    ArrayBufferByteLength(V);
    return true;
  } catch {
    return false;
  }
}
webidl.isArrayBuffer = isArrayBuffer;
converters.ArrayBuffer = (V, prefix, context, opts = {}) => {
  if (!isArrayBuffer(V)) {
    if (opts.allowShared && isSharedArrayBuffer(V)) return V;
    throw makeException(TypeError, "is not of type 'ArrayBuffer'.", prefix, context);
  }
  return V;
};
converters.ArrayBufferView = (V, prefix, context, opts = {}) => {
  if (!ArrayBufferIsView(V)) {
    throw makeException(TypeError, "is not of type 'ArrayBufferView'.", prefix, context);
  }
  if (!opts.allowShared && isSharedArrayBuffer(V.buffer)) {
    throw makeException(TypeError, 'is a view on a SharedArrayBuffer, which is not allowed.',
      prefix, context);
  }
  return V;
};
converters.BufferSource = (V, prefix, context, opts = {}) => {
  if (ArrayBufferIsView(V)) return converters.ArrayBufferView(V, prefix, context, opts);
  if (isArrayBuffer(V) || (opts.allowShared && isSharedArrayBuffer(V))) return V;
  throw makeException(TypeError, "is not of type '(ArrayBuffer or ArrayBufferView)'.",
    prefix, context);
};
for (const name of ['Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint16Array',
  'Uint32Array', 'Uint8ClampedArray', 'Float32Array', 'Float64Array', 'BigInt64Array',
  'BigUint64Array']) {
  converters[name] = (V, prefix, context) => {
    if (!ArrayBufferIsView(V) || TypedArrayToStringTag(V) !== name) {
      throw makeException(TypeError, `is not of type '${name}'.`, prefix, context);
    }
    return V;
  };
}
converters.DataView = (V, prefix, context) => {
  if (!(V instanceof DataView)) {
    throw makeException(TypeError, "is not of type 'DataView'.", prefix, context);
  }
  return V;
};

// Callback functions (https://webidl.spec.whatwg.org/#es-callback-function).
converters.Function = (V, prefix, context) => {
  if (typeof V !== 'function') {
    throw makeException(TypeError, "is not of type 'Function'.", prefix, context);
  }
  return V;
};

// ---- combinators ----

webidl.createNullableConverter = (converter) => (V, prefix, context, opts) =>
  V === null || V === undefined ? null : converter(V, prefix, context, opts);

webidl.createEnumConverter = (name, values) => {
  const set = new Set(values);
  return (V, prefix, context) => {
    const S = converters.DOMString(V, prefix, context);
    if (!set.has(S)) {
      throw makeException(TypeError, `The provided value '${S}' is not a valid enum value of type ${name}.`,
        prefix, context ? context + ':' : context);
    }
    return S;
  };
};

webidl.createSequenceConverter = (converter) => (V, prefix, context, opts) => {
  if (type(V) !== 'Object') {
    throw makeException(TypeError, 'can not be converted to a sequence.', prefix, context);
  }
  const method = V[SymbolIterator];
  if (typeof method !== 'function') {
    throw makeException(TypeError, 'can not be converted to a sequence.', prefix, context);
  }
  const iter = Reflect.apply(method, V, []);
  if (type(iter) !== 'Object') {
    throw makeException(TypeError, 'can not be converted to a sequence.', prefix, context);
  }
  const next = iter.next;
  const out = [];
  for (;;) {
    const res = Reflect.apply(next, iter, []);
    if (type(res) !== 'Object') {
      throw makeException(TypeError, 'can not be converted to a sequence.', prefix, context);
    }
    if (res.done) break;
    out.push(converter(res.value, prefix, `${context}, index ${out.length},`, opts));
  }
  return out;
};

// record<K, V>: own enumerable keys in [[OwnPropertyKeys]] order (a Proxy sees each trap).
webidl.createRecordConverter = (keyConverter, valueConverter) => (V, prefix, context, opts) => {
  if (type(V) !== 'Object') {
    throw makeException(TypeError, 'can not be converted to a record.', prefix, context);
  }
  const result = {};
  for (const key of Reflect.ownKeys(V)) {
    const desc = Reflect.getOwnPropertyDescriptor(V, key);
    if (desc === undefined || !desc.enumerable) continue;
    const typedKey = keyConverter(key, prefix, context, opts);
    const typedValue = valueConverter(V[key], prefix, context, opts);
    ObjectDefineProperty(result, typedKey, {
      value: typedValue, writable: true, enumerable: true, configurable: true,
    });
  }
  return result;
};

// Dictionaries: members as {key, converter, defaultValue?, required?}, inherited lists
// first; within each list read in lexicographic order, each getter once.
webidl.createDictionaryConverter = (name, ...memberLists) => {
  const members = [];
  for (const list of memberLists) {
    const sorted = [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    members.push(...sorted);
  }
  return (V, prefix, context, opts) => {
    const t = type(V);
    if (t !== 'Undefined' && t !== 'Null' && t !== 'Object') {
      throw makeException(TypeError, `can not be converted to a dictionary (${name}).`, prefix,
        context);
    }
    // No prototype: an accessor user code put on Object.prototype must not catch the writes.
    const idl = { __proto__: null };
    for (const m of members) {
      const value = t === 'Object' ? V[m.key] : undefined;
      const where = `'${m.key}' member of ${name}`;
      if (value !== undefined) {
        idl[m.key] = m.converter(value, prefix, context ? `${context} (${where})` : where, opts);
      } else if (m.required) {
        throw makeException(TypeError, `required member ${m.key} is undefined.`, prefix,
          `Failed to read the '${m.key}' property from '${name}':`);
      } else if ('defaultValue' in m) {
        idl[m.key] = typeof m.defaultValue === 'function' ? m.defaultValue() : m.defaultValue;
      }
    }
    return idl;
  };
};

// An interface type: accepts instances of Type (brand-checked).
webidl.createInterfaceConverter = (name, prototype) => (V, prefix, context) => {
  if (V === null || typeof V !== 'object' || V[brand] !== brand ||
      !Object.prototype.isPrototypeOf.call(prototype, V)) {
    throw makeException(TypeError, `is not of type '${name}'.`, prefix, context);
  }
  return V;
};

// Callback interfaces: a function, or an object whose `handleEvent` is looked up at call
// time (https://webidl.spec.whatwg.org/#call-a-user-objects-operation).
webidl.callbackInterface = (V, prefix, context) => {
  if (type(V) !== 'Object') {
    throw makeException(TypeError, 'is not an object.', prefix, context);
  }
  return V;
};

// ---- interfaces ----

// WebIDL attributes and operations are enumerable (class syntax makes them not); the
// prototype says [Symbol.toStringTag]; the interface object's prototype property is not
// writable.
webidl.configureInterface = (Type, name = Type.name) => {
  const proto = Type.prototype;
  for (const key of Reflect.ownKeys(proto)) {
    if (key === 'constructor' || typeof key === 'symbol') continue;
    const desc = ObjectGetOwnPropertyDescriptor(proto, key);
    if (desc && desc.configurable) ObjectDefineProperty(proto, key, { enumerable: true });
  }
  for (const key of Reflect.ownKeys(Type)) {
    if (key === 'prototype' || key === 'length' || key === 'name' || typeof key === 'symbol') {
      continue;
    }
    const desc = ObjectGetOwnPropertyDescriptor(Type, key);
    if (desc && desc.configurable) ObjectDefineProperty(Type, key, { enumerable: true });
  }
  ObjectDefineProperty(proto, SymbolToStringTag, {
    value: name, writable: false, enumerable: false, configurable: true,
  });
};

// Constants on the interface and its prototype: read-only, enumerable, not configurable.
webidl.defineConstants = (Type, constants) => {
  for (const [key, value] of Object.entries(constants)) {
    const desc = { value, writable: false, enumerable: true, configurable: false };
    ObjectDefineProperty(Type, key, desc);
    ObjectDefineProperty(Type.prototype, key, desc);
  }
};

// Globals as WebIDL interface objects and operations are: writable, configurable, not
// enumerable. A lazy built-in's globals are V8 lazy data properties until first read. While
// its file runs, the loader lists in internals.lazySkip the ones not to define: the one
// being read (V8 replaces it with the value the read returns, taken from
// internals.lazyGlobals) and any that user code replaced before (js/builtins.cc).
const lazyGlobals = { __proto__: null };
internals.lazyGlobals = lazyGlobals;
webidl.defineGlobal = (name, value) => {
  lazyGlobals[name] = value;
  const skip = internals.lazySkip;
  if (skip !== undefined && skip[name] === true) return;
  ObjectDefineProperty(globalThis, name, {
    value, writable: true, enumerable: false, configurable: true,
  });
};

webidl.defineGlobalOperation = (name, fn) => {
  ObjectDefineProperty(globalThis, name, {
    value: fn, writable: true, enumerable: true, configurable: true,
  });
};

// A read-only attribute of the global (crypto, navigator): an enumerable getter that
// returns value. With replaceable ([Replaceable], as performance and self), assigning to it
// replaces the accessor with a plain data property.
webidl.defineGlobalAttribute = (name, value, { replaceable = false } = {}) => {
  // As for every attribute of the global ([Global]): `this` must be the global object, or
  // undefined/null, which stand for it.
  const check = (self) => {
    if (self !== undefined && self !== null && self !== globalThis) {
      throw new TypeError('Illegal invocation');
    }
  };
  const accessors = {
    get [name]() {
      check(this);
      return value;
    },
    set [name](v) {
      check(this);
      ObjectDefineProperty(globalThis, name, {
        value: v, writable: true, enumerable: true, configurable: true,
      });
    },
  };
  const desc = ObjectGetOwnPropertyDescriptor(accessors, name);
  ObjectDefineProperty(globalThis, name, {
    get: desc.get, set: replaceable ? desc.set : undefined, enumerable: true,
    configurable: true,
  });
};

// A pair iterator (https://webidl.spec.whatwg.org/#es-iterable) over a snapshot-free view:
// `list(self)` returns the current [key, value] array of self each step, so changes made
// while iterating are seen, as the spec's live iterators do.
webidl.mixinPairIterable = (name, Type, list, isBranded = undefined) => {
  const assertThis = isBranded === undefined
    ? (self) => webidl.assertBranded(self, Type.prototype)
    : (self) => {
      if (!isBranded(self)) throw new TypeError('Illegal invocation');
    };
  const iteratorPrototype = Object.create(ObjectGetPrototypeOf(
    ObjectGetPrototypeOf([][SymbolIterator]())));
  const target = Symbol('target');
  const kind = Symbol('kind');
  const index = Symbol('index');
  function createIterator(self, k) {
    const it = Object.create(iteratorPrototype);
    it[target] = self;
    it[kind] = k;
    it[index] = 0;
    return it;
  }
  const methods = {
    next() {
      if (this === null || typeof this !== 'object' || !(target in this)) {
        throw new TypeError(`next() called on an object that is not a ${name} Iterator.`);
      }
      const pairs = list(this[target]);
      const i = this[index];
      if (i >= pairs.length) return { value: undefined, done: true };
      this[index] = i + 1;
      const pair = pairs[i];
      const key = pair[0];
      const value = pair[1];
      const k = this[kind];
      return { value: k === 'key' ? key : k === 'value' ? value : [key, value], done: false };
    },
  };
  ObjectDefineProperty(iteratorPrototype, 'next', {
    value: methods.next, writable: true, enumerable: true, configurable: true,
  });
  ObjectDefineProperty(iteratorPrototype, SymbolToStringTag, {
    value: `${name} Iterator`, writable: false, enumerable: false, configurable: true,
  });
  const proto = Type.prototype;
  const ops = {
    entries() {
      assertThis(this);
      return createIterator(this, 'key+value');
    },
    keys() {
      assertThis(this);
      return createIterator(this, 'key');
    },
    values() {
      assertThis(this);
      return createIterator(this, 'value');
    },
    forEach(callbackfn, thisArg = undefined) {
      assertThis(this);
      const prefix = webidl.prefix(name, 'forEach');
      webidl.requiredArguments(arguments.length, 1, prefix);
      callbackfn = converters.Function(callbackfn, prefix, 'parameter 1');
      // The list is read again at each step: the callback may change it.
      for (let i = 0; ; i++) {
        const pairs = list(this);
        if (i >= pairs.length) break;
        const pair = pairs[i];
        const key = pair[0];
        const value = pair[1];
        Reflect.apply(callbackfn, thisArg, [value, key, this]);
      }
    },
  };
  for (const key of ['entries', 'keys', 'values', 'forEach']) {
    ObjectDefineProperty(proto, key, {
      value: ops[key], writable: true, enumerable: true, configurable: true,
    });
  }
  ObjectDefineProperty(proto, SymbolIterator, {
    value: ops.entries, writable: true, enumerable: false, configurable: true,
  });
};
