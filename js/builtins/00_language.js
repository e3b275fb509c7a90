// The language past ES2022, for code written against newer engines (V8 10.2 is ES2022):
// ES2023 change-array-by-copy (toReversed/toSorted/toSpliced/with on Array and TypedArray
// prototypes), ES2024 Promise.withResolvers, Object.groupBy, Map.groupBy,
// String.prototype.isWellFormed/toWellFormed, ArrayBuffer.prototype.transfer/
// transferToFixedLength/detached, ES2025 Set methods and Promise.try, and Array.fromAsync.
//
// Written to the spec's steps (https://tc39.es/ecma262/): observable reads and calls happen in
// the spec's order; results are made by the intrinsic constructors (no Symbol.species);
// methods are non-enumerable, non-constructible, with the spec's `name` and `length`. This
// file runs first, so the intrinsics captured here are the engine's own.
'use strict';

const uncurry = (fn) => Function.prototype.call.bind(fn);
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectCreate = Object.create;
const ReflectConstruct = Reflect.construct;
const ReflectApply = Reflect.apply;
const ReflectOwnKeys = Reflect.ownKeys;
const ProxyCtor = Proxy;
const MathTrunc = Math.trunc;
const MathMin = Math.min;
const MathMax = Math.max;
const ArrayCtor = Array;
const ArrayFrom = uncurry(Array.from);
const ArrayPrototypeSort = uncurry(Array.prototype.sort);
const MapCtor = Map;
const MapPrototypeGet = uncurry(Map.prototype.get);
const MapPrototypeSet = uncurry(Map.prototype.set);
const MapPrototypeForEach = uncurry(Map.prototype.forEach);
const SetCtor = Set;
const SetPrototypeHas = uncurry(Set.prototype.has);
const SetPrototypeAdd = uncurry(Set.prototype.add);
const SetPrototypeDelete = uncurry(Set.prototype.delete);
const SetPrototypeValues = uncurry(Set.prototype.values);
const SetPrototypeSize = uncurry(ObjectGetOwnPropertyDescriptor(Set.prototype, 'size').get);
const SetIteratorNext = uncurry(ObjectGetPrototypeOf(new Set().values()).next);
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringSlice = uncurry(String.prototype.slice);
const RegExpExec = uncurry(RegExp.prototype.exec);
const NumberIsNaN = Number.isNaN;
const BigIntAsIntN = BigInt.asIntN;
const SymbolIterator = Symbol.iterator;
const SymbolAsyncIterator = Symbol.asyncIterator;
const TypedArray = ObjectGetPrototypeOf(Uint8Array);
const TypedArrayPrototype = TypedArray.prototype;
const TypedArrayTag = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  Symbol.toStringTag).get);
const TypedArrayLength = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  'length').get);
const TypedArrayBuffer = uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype,
  'buffer').get);
const TypedArraySet = uncurry(TypedArrayPrototype.set);
const TypedArraySort = uncurry(TypedArrayPrototype.sort);
const ArrayBufferCtor = ArrayBuffer;
const ArrayBufferByteLength = uncurry(ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype,
  'byteLength').get);
const { arrayBufferDetached, arrayBufferDetachable, arrayBufferMove,
  arrayBufferCopyAndDetach } = natives;
const typedArrays = {
  __proto__: null, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
  Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};
const kMaxSafeInteger = 2 ** 53 - 1;
const kMaxArrayLength = 2 ** 32 - 1;

// ---- abstract operations ----

function toIntegerOrInfinity(v) {
  const n = +v;  // ToNumber: throws for Symbol and BigInt
  if (NumberIsNaN(n)) return 0;
  return MathTrunc(n) + 0;  // no -0
}
function toLength(v) {
  const n = toIntegerOrInfinity(v);
  return n <= 0 ? 0 : MathMin(n, kMaxSafeInteger);
}
function toObject(v, what) {
  if (v === null || v === undefined) throw new TypeError(`${what} called on null or undefined`);
  return Object(v);
}
function isCallable(v) {
  return typeof v === 'function';
}
const constructProbe = { __proto__: null, construct: () => ({}) };
// IsConstructor without touching the function: a Proxy of it has [[Construct]] exactly
// when it does, and the trap keeps the function from running.
function isConstructor(v) {
  if (typeof v !== 'function') return false;
  try {
    ReflectConstruct(new ProxyCtor(v, constructProbe), []);
    return true;
  } catch {
    return false;
  }
}
function toPropertyKey(v) {
  if (typeof v === 'string' || typeof v === 'symbol') return v;
  if ((typeof v !== 'object' || v === null) && typeof v !== 'function') return `${v}`;
  // A computed key is ToPropertyKey, run once.
  return ReflectOwnKeys({ __proto__: null, [v]: 0 })[0];
}
function createDataPropertyOrThrow(o, key, value) {
  ObjectDefineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}
function arrayCreate(len) {
  if (len > kMaxArrayLength) throw new RangeError('Invalid array length');
  return new ArrayCtor(len);
}
// A new Array of len elements, element k being at(k): CreateDataProperty for each, in
// index order, as the spec's loops do.
function arrayOf(len, at) {
  if (len > kMaxArrayLength) throw new RangeError('Invalid array length');
  return ArrayFrom(ArrayCtor, { __proto__: null, length: len }, (_, k) => at(k));
}
function relativeStart(v, len) {
  const rel = toIntegerOrInfinity(v);
  if (rel === -Infinity) return 0;
  return rel < 0 ? MathMax(len + rel, 0) : MathMin(rel, len);
}

function install(target, methods, names = Reflect.ownKeys(methods)) {
  for (const key of names) {
    if (ObjectGetOwnPropertyDescriptor(target, key)) continue;  // the engine has it
    const desc = ObjectGetOwnPropertyDescriptor(methods, key);
    if ('value' in desc) {
      ObjectDefineProperty(target, key, {
        value: desc.value, writable: true, enumerable: false, configurable: true,
      });
    } else {
      ObjectDefineProperty(target, key, {
        get: desc.get, set: undefined, enumerable: false, configurable: true,
      });
    }
  }
}

// ---- Array.prototype: change array by copy (ES2023) ----

install(Array.prototype, {
  toReversed() {
    const O = toObject(this, 'Array.prototype.toReversed');
    const len = toLength(O.length);
    return arrayOf(len, (k) => O[len - k - 1]);
  },
  toSorted(comparefn) {
    if (comparefn !== undefined && !isCallable(comparefn)) {
      throw new TypeError('The comparison function must be either a function or undefined');
    }
    const O = toObject(this, 'Array.prototype.toSorted');
    const len = toLength(O.length);
    const A = arrayOf(len, (k) => O[k]);
    return ArrayPrototypeSort(A, comparefn);
  },
  toSpliced(start, skipCount, ...items) {
    const O = toObject(this, 'Array.prototype.toSpliced');
    const len = toLength(O.length);
    const actualStart = relativeStart(start, len);
    const insertCount = items.length;
    let actualSkipCount;
    if (arguments.length === 0) {
      actualSkipCount = 0;
    } else if (arguments.length === 1) {
      actualSkipCount = len - actualStart;
    } else {
      const sc = toIntegerOrInfinity(skipCount);
      actualSkipCount = MathMin(MathMax(sc, 0), len - actualStart);
    }
    const newLen = len + insertCount - actualSkipCount;
    if (newLen > kMaxSafeInteger) throw new TypeError('Invalid array length');
    const skipEnd = actualStart + actualSkipCount;
    return arrayOf(newLen, (i) => {
      if (i < actualStart) return O[i];
      if (i < actualStart + insertCount) return items[i - actualStart];
      return O[i - actualStart - insertCount + skipEnd];
    });
  },
  with(index, value) {
    const O = toObject(this, 'Array.prototype.with');
    const len = toLength(O.length);
    const rel = toIntegerOrInfinity(index);
    const actualIndex = rel >= 0 ? rel : len + rel;
    if (actualIndex >= len || actualIndex < 0) throw new RangeError('Invalid index');
    return arrayOf(len, (k) => (k === actualIndex ? value : O[k]));
  },
});
{
  const unscopables = Array.prototype[Symbol.unscopables];
  for (const key of ['toReversed', 'toSorted', 'toSpliced']) {
    if (!ObjectGetOwnPropertyDescriptor(unscopables, key)) {
      createDataPropertyOrThrow(unscopables, key, true);
    }
  }
}

// ---- %TypedArray%.prototype: change array by copy ----

// ValidateTypedArray: a typed array whose buffer is not detached; its constructor name.
function validateTypedArray(O, what) {
  const name = TypedArrayTag(O);
  if (name === undefined) throw new TypeError(`${what}: this is not a typed array`);
  if (arrayBufferDetached(TypedArrayBuffer(O))) {
    throw new TypeError(`${what}: the typed array's buffer is detached`);
  }
  return name;
}

install(TypedArrayPrototype, {
  toReversed() {
    const name = validateTypedArray(this, '%TypedArray%.prototype.toReversed');
    const len = TypedArrayLength(this);
    const A = new typedArrays[name](len);
    for (let k = 0; k < len; ++k) A[k] = this[len - k - 1];
    return A;
  },
  toSorted(comparefn) {
    if (comparefn !== undefined && !isCallable(comparefn)) {
      throw new TypeError('The comparison function must be either a function or undefined');
    }
    const name = validateTypedArray(this, '%TypedArray%.prototype.toSorted');
    const len = TypedArrayLength(this);
    const A = new typedArrays[name](len);
    TypedArraySet(A, this);
    return TypedArraySort(A, comparefn);
  },
  with(index, value) {
    const name = validateTypedArray(this, '%TypedArray%.prototype.with');
    const len = TypedArrayLength(this);
    const rel = toIntegerOrInfinity(index);
    const actualIndex = rel >= 0 ? rel : len + rel;
    const numericValue = name === 'BigInt64Array' || name === 'BigUint64Array'
      ? BigIntAsIntN(64, value) : +value;  // ToBigInt (the store truncates anyway) / ToNumber
    // IsValidIntegerIndex, after the conversion (which may have detached the buffer).
    if (arrayBufferDetached(TypedArrayBuffer(this)) || actualIndex < 0 ||
        actualIndex >= TypedArrayLength(this)) {
      throw new RangeError('Invalid typed array index');
    }
    const A = new typedArrays[name](len);
    for (let k = 0; k < len; ++k) A[k] = k === actualIndex ? numericValue : this[k];
    return A;
  },
});

// ---- Promise (ES2024 withResolvers, ES2025 try) ----

function newPromiseCapability(C) {
  if (!isConstructor(C)) throw new TypeError('Promise capability: this is not a constructor');
  let resolve;
  let reject;
  const promise = new C((res, rej) => {
    if (resolve !== undefined || reject !== undefined) {
      throw new TypeError('Promise executor has already been invoked');
    }
    resolve = res;
    reject = rej;
  });
  if (!isCallable(resolve) || !isCallable(reject)) {
    throw new TypeError('Promise resolve or reject function is not callable');
  }
  return { promise, resolve, reject };
}

install(Promise, {
  withResolvers() {
    return newPromiseCapability(this);
  },
  try(callbackfn, ...args) {
    const C = this;
    if (C === null || (typeof C !== 'object' && typeof C !== 'function')) {
      throw new TypeError('Promise.try called on a non-object');
    }
    const cap = newPromiseCapability(C);
    let value;
    try {
      value = ReflectApply(callbackfn, undefined, args);
    } catch (e) {
      ReflectApply(cap.reject, undefined, [e]);
      return cap.promise;
    }
    ReflectApply(cap.resolve, undefined, [value]);
    return cap.promise;
  },
});

// ---- Object.groupBy, Map.groupBy (ES2024) ----

function groupBy(items, callbackfn, property, what) {
  if (items === null || items === undefined) {
    throw new TypeError(`${what}: items is null or undefined`);
  }
  if (!isCallable(callbackfn)) throw new TypeError(`${what}: callback is not a function`);
  const groups = new MapCtor();
  let k = 0;
  for (const value of items) {
    if (k >= kMaxSafeInteger) throw new TypeError(`${what}: too many elements`);
    let key = callbackfn(value, k);
    if (property) {
      key = toPropertyKey(key);
    } else if (key === 0) {
      key = 0;  // -0 becomes +0
    }
    const group = MapPrototypeGet(groups, key);
    if (group === undefined) {
      MapPrototypeSet(groups, key, [value]);
    } else {
      createDataPropertyOrThrow(group, group.length, value);
    }
    ++k;
  }
  return groups;
}

install(Object, {
  groupBy(items, callbackfn) {
    const groups = groupBy(items, callbackfn, true, 'Object.groupBy');
    const obj = ObjectCreate(null);
    MapPrototypeForEach(groups, (elements, key) => createDataPropertyOrThrow(obj, key, elements));
    return obj;
  },
});
install(Map, {
  groupBy(items, callbackfn) {
    const groups = groupBy(items, callbackfn, false, 'Map.groupBy');
    const map = new MapCtor();
    MapPrototypeForEach(groups, (elements, key) => MapPrototypeSet(map, key, elements));
    return map;
  },
});

// ---- Array.fromAsync ----

// AsyncIteratorClose / IteratorClose for an abrupt completion: return() is called, its
// outcome ignored, and the original error rethrown by the caller.
async function closeAfterError(iterator, isAsync) {
  try {
    const ret = iterator.return;
    if (ret !== undefined && ret !== null) {
      const result = ReflectApply(ret, iterator, []);
      if (isAsync) await result;
    }
  } catch {
    // the original error wins
  }
}

async function fromAsync(C, asyncItems, mapfn, thisArg) {
  const mapping = mapfn !== undefined;
  if (mapping && !isCallable(mapfn)) throw new TypeError('Array.fromAsync: mapfn is not callable');
  let usingAsyncIterator;
  let usingSyncIterator;
  if (asyncItems !== null && asyncItems !== undefined) {
    usingAsyncIterator = asyncItems[SymbolAsyncIterator];
    if (usingAsyncIterator === null) usingAsyncIterator = undefined;
    if (usingAsyncIterator === undefined) {
      usingSyncIterator = asyncItems[SymbolIterator];
      if (usingSyncIterator === null) usingSyncIterator = undefined;
    }
  }
  if (usingAsyncIterator !== undefined || usingSyncIterator !== undefined) {
    const isAsync = usingAsyncIterator !== undefined;
    const method = isAsync ? usingAsyncIterator : usingSyncIterator;
    if (!isCallable(method)) throw new TypeError('Array.fromAsync: the iterator method is not callable');
    const iterator = ReflectApply(method, asyncItems, []);
    if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
      throw new TypeError('Array.fromAsync: the iterator is not an object');
    }
    const next = iterator.next;
    const A = isConstructor(C) ? new C() : arrayCreate(0);
    for (let k = 0; ; ++k) {
      if (k >= kMaxSafeInteger) {
        const error = new TypeError('Array.fromAsync: too many elements');
        await closeAfterError(iterator, isAsync);
        throw error;
      }
      let result = ReflectApply(next, iterator, []);
      if (isAsync) result = await result;
      if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
        throw new TypeError('Array.fromAsync: an iterator result is not an object');
      }
      if (result.done) {
        A.length = k;
        return A;
      }
      let value = result.value;
      if (!isAsync) {
        // CreateAsyncFromSyncIterator awaits each value and closes the iterator when one
        // rejects.
        try {
          value = await value;
        } catch (e) {
          await closeAfterError(iterator, false);
          throw e;
        }
      }
      try {
        if (mapping) value = await ReflectApply(mapfn, thisArg, [value, k]);
        createDataPropertyOrThrow(A, k, value);
      } catch (e) {
        await closeAfterError(iterator, true);
        throw e;
      }
    }
  }
  const arrayLike = toObject(asyncItems, 'Array.fromAsync');
  const len = toLength(arrayLike.length);
  const A = isConstructor(C) ? new C(len) : arrayCreate(len);
  for (let k = 0; k < len; ++k) {
    let value = await arrayLike[k];
    if (mapping) value = await ReflectApply(mapfn, thisArg, [value, k]);
    createDataPropertyOrThrow(A, k, value);
  }
  A.length = len;
  return A;
}

install(Array, {
  fromAsync(asyncItems, mapfn = undefined, thisArg = undefined) {
    return fromAsync(this, asyncItems, mapfn, thisArg);
  },
});

// ---- String.prototype (ES2024) ----

const loneSurrogate = /[\ud800-\udfff]/u;  // in u-mode a pair is one code point: no match
function toWellFormed(S) {
  let out = '';
  let from = 0;
  const n = S.length;
  for (let i = 0; i < n; ++i) {
    const c = StringCharCodeAt(S, i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < n) {
      const d = StringCharCodeAt(S, i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        ++i;
        continue;
      }
    }
    out += StringSlice(S, from, i) + '\ufffd';
    from = i + 1;
  }
  return from === 0 ? S : out + StringSlice(S, from);
}
install(String.prototype, {
  isWellFormed() {
    toObject(this, 'String.prototype.isWellFormed');  // RequireObjectCoercible
    return RegExpExec(loneSurrogate, `${this}`) === null;  // ToString
  },
  toWellFormed() {
    toObject(this, 'String.prototype.toWellFormed');
    const S = `${this}`;
    return RegExpExec(loneSurrogate, S) === null ? S : toWellFormed(S);
  },
});

// ---- ArrayBuffer.prototype (ES2024; fixed-length buffers only: no --harmony-rab-gsab) ----

function toIndex(v) {
  if (v === undefined) return 0;
  const n = toIntegerOrInfinity(v);
  if (n < 0 || n > kMaxSafeInteger) throw new RangeError('Invalid array buffer length');
  return n;
}

// https://tc39.es/ecma262/#sec-arraybuffercopyanddetach
function copyAndDetach(O, newLength, what) {
  const byteLength = ArrayBufferByteLength(O);  // TypeError unless a non-shared ArrayBuffer
  const newByteLength = newLength === undefined ? byteLength : toIndex(newLength);
  if (arrayBufferDetached(O)) throw new TypeError(`${what}: the ArrayBuffer is detached`);
  if (!arrayBufferDetachable(O)) {
    throw new TypeError(`${what}: the ArrayBuffer cannot be detached`);
  }
  // Same length: the backing store moves to the new buffer, no copy.
  if (newByteLength === byteLength) return arrayBufferMove(O);
  const result = new ArrayBufferCtor(newByteLength);
  arrayBufferCopyAndDetach(O, result);
  return result;
}

install(ArrayBuffer.prototype, {
  transfer(newLength = undefined) {
    return copyAndDetach(this, newLength, 'ArrayBuffer.prototype.transfer');
  },
  transferToFixedLength(newLength = undefined) {
    return copyAndDetach(this, newLength, 'ArrayBuffer.prototype.transferToFixedLength');
  },
  get detached() {
    ArrayBufferByteLength(this);  // TypeError unless a non-shared ArrayBuffer
    return arrayBufferDetached(this);
  },
});

// ---- Set.prototype (ES2025) ----

// https://tc39.es/ecma262/#sec-getsetrecord
function getSetRecord(obj, what) {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    throw new TypeError(`${what}: the argument is not an object`);
  }
  const rawSize = obj.size;
  const numSize = +rawSize;
  if (NumberIsNaN(numSize)) throw new TypeError(`${what}: the argument's size is not a number`);
  const intSize = toIntegerOrInfinity(numSize);
  if (intSize < 0) throw new RangeError(`${what}: the argument's size is negative`);
  const has = obj.has;
  if (!isCallable(has)) throw new TypeError(`${what}: the argument's has is not a function`);
  const keys = obj.keys;
  if (!isCallable(keys)) throw new TypeError(`${what}: the argument's keys is not a function`);
  return { obj, size: intSize, has, keys };
}
function keysIterator(rec, what) {
  const iterator = ReflectApply(rec.keys, rec.obj, []);
  if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
    throw new TypeError(`${what}: keys() did not return an object`);
  }
  return { iterator, next: iterator.next };
}
const kDone = Symbol('done');
function stepValue(iter, what) {
  const result = ReflectApply(iter.next, iter.iterator, []);
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    throw new TypeError(`${what}: an iterator result is not an object`);
  }
  if (result.done) return kDone;
  return result.value;
}
// IteratorClose with a normal completion: return()'s result must be an object.
function closeNormally(iter, what) {
  const ret = iter.iterator.return;
  if (ret === undefined || ret === null) return;
  const result = ReflectApply(ret, iter.iterator, []);
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    throw new TypeError(`${what}: return() did not return an object`);
  }
}
function copySet(O) {
  const out = new SetCtor();
  const it = SetPrototypeValues(O);
  for (let r = SetIteratorNext(it); !r.done; r = SetIteratorNext(it)) SetPrototypeAdd(out, r.value);
  return out;
}
// Visits O's elements as the spec's index loop does: elements added meanwhile are visited,
// removed ones skipped. visit returns true to stop.
function forEachLive(O, visit) {
  const it = SetPrototypeValues(O);
  for (let r = SetIteratorNext(it); !r.done; r = SetIteratorNext(it)) {
    if (visit(r.value)) return true;
  }
  return false;
}
const canonical = (v) => (v === 0 ? 0 : v);

install(Set.prototype, {
  union(other) {
    const what = 'Set.prototype.union';
    SetPrototypeSize(this);
    const rec = getSetRecord(other, what);
    const iter = keysIterator(rec, what);
    const result = copySet(this);
    for (let v = stepValue(iter, what); v !== kDone; v = stepValue(iter, what)) {
      SetPrototypeAdd(result, canonical(v));
    }
    return result;
  },
  intersection(other) {
    const what = 'Set.prototype.intersection';
    const O = this;
    const size = SetPrototypeSize(O);
    const rec = getSetRecord(other, what);
    const result = new SetCtor();
    if (size <= rec.size) {
      forEachLive(O, (e) => {
        if (ReflectApply(rec.has, rec.obj, [e])) SetPrototypeAdd(result, e);
        return false;
      });
    } else {
      const iter = keysIterator(rec, what);
      for (let v = stepValue(iter, what); v !== kDone; v = stepValue(iter, what)) {
        v = canonical(v);
        if (SetPrototypeHas(O, v)) SetPrototypeAdd(result, v);
      }
    }
    return result;
  },
  difference(other) {
    const what = 'Set.prototype.difference';
    const O = this;
    const size = SetPrototypeSize(O);
    const rec = getSetRecord(other, what);
    const result = copySet(O);
    if (size <= rec.size) {
      // Over the copy, which the calls cannot change.
      forEachLive(result, (e) => {
        if (ReflectApply(rec.has, rec.obj, [e])) SetPrototypeDelete(result, e);
        return false;
      });
    } else {
      const iter = keysIterator(rec, what);
      for (let v = stepValue(iter, what); v !== kDone; v = stepValue(iter, what)) {
        SetPrototypeDelete(result, canonical(v));
      }
    }
    return result;
  },
  symmetricDifference(other) {
    const what = 'Set.prototype.symmetricDifference';
    const O = this;
    SetPrototypeSize(O);
    const rec = getSetRecord(other, what);
    const iter = keysIterator(rec, what);
    const result = copySet(O);
    for (let v = stepValue(iter, what); v !== kDone; v = stepValue(iter, what)) {
      v = canonical(v);
      const alreadyInResult = SetPrototypeHas(result, v);
      if (SetPrototypeHas(O, v)) {
        if (alreadyInResult) SetPrototypeDelete(result, v);
      } else if (!alreadyInResult) {
        SetPrototypeAdd(result, v);
      }
    }
    return result;
  },
  isSubsetOf(other) {
    const what = 'Set.prototype.isSubsetOf';
    const O = this;
    const size = SetPrototypeSize(O);
    const rec = getSetRecord(other, what);
    if (size > rec.size) return false;
    return !forEachLive(O, (e) => !ReflectApply(rec.has, rec.obj, [e]));
  },
  isSupersetOf(other) {
    const what = 'Set.prototype.isSupersetOf';
    const O = this;
    const size = SetPrototypeSize(O);
    const rec = getSetRecord(other, what);
    if (size < rec.size) return false;
    const iter = keysIterator(rec, what);
    for (let v = stepValue(iter, what); v !== kDone; v = stepValue(iter, what)) {
      if (!SetPrototypeHas(O, v)) {
        closeNormally(iter, what);
        return false;
      }
    }
    return true;
  },
  isDisjointFrom(other) {
    const what = 'Set.prototype.isDisjointFrom';
    const O = this;
    const size = SetPrototypeSize(O);
    const rec = getSetRecord(other, what);
    if (size <= rec.size) {
      return !forEachLive(O, (e) => !!ReflectApply(rec.has, rec.obj, [e]));
    }
    const iter = keysIterator(rec, what);
    for (let v = stepValue(iter, what); v !== kDone; v = stepValue(iter, what)) {
      if (SetPrototypeHas(O, v)) {
        closeNormally(iter, what);
        return false;
      }
    }
    return true;
  },
});
