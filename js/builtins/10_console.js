// console (https://console.spec.whatwg.org/) and the realm helpers inspect and format. The layout rules are
// those of Node's util.inspect (lib/internal/util/inspect.js), so that output reads the same
// as in Node and Deno; colors, numeric separators and prototype-property listing are left
// out. The built-ins that read a value's contents (collection iterators, size and length
// getters, Date and RegExp formatting, Function.prototype.toString) are captured up front,
// so that user code patching those prototypes does not change how values print.
'use strict';
const {
  print, typeOf, proxyDetails, promiseDetails, previewEntries, headersList, now,
} = natives;

const uncurry = (fn) => Function.prototype.call.bind(fn);
const ObjectKeys = Object.keys;
const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectIs = Object.is;
const ArrayIsArray = Array.isArray;
const hasOwn = uncurry(Object.prototype.hasOwnProperty);
const propertyIsEnumerable = uncurry(Object.prototype.propertyIsEnumerable);
const FunctionToString = uncurry(Function.prototype.toString);
const FunctionCall = uncurry(Function.prototype.call);
const DateGetTime = uncurry(Date.prototype.getTime);
const DateToISOString = uncurry(Date.prototype.toISOString);
const DateToString = uncurry(Date.prototype.toString);
const RegExpToString = uncurry(RegExp.prototype.toString);
const ErrorToString = uncurry(Error.prototype.toString);
const SymbolToString = uncurry(Symbol.prototype.toString);
const NumberValueOf = uncurry(Number.prototype.valueOf);
const StringValueOf = uncurry(String.prototype.valueOf);
const BooleanValueOf = uncurry(Boolean.prototype.valueOf);
const BigIntValueOf = uncurry(BigInt.prototype.valueOf);
const SymbolValueOf = uncurry(Symbol.prototype.valueOf);
const MapSize = uncurry(ObjectGetOwnPropertyDescriptor(Map.prototype, 'size').get);
const SetSize = uncurry(ObjectGetOwnPropertyDescriptor(Set.prototype, 'size').get);
const MapEntries = uncurry(Map.prototype.entries);
const SetValues = uncurry(Set.prototype.values);
const MapIteratorNext = uncurry(ObjectGetPrototypeOf(new Map().entries()).next);
const SetIteratorNext = uncurry(ObjectGetPrototypeOf(new Set().values()).next);
const TypedArrayProto = ObjectGetPrototypeOf(Uint8Array.prototype);
const TypedArrayLength =
    uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'length').get);
const TypedArrayTag =
    uncurry(ObjectGetOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get);
const JSONStringify = JSON.stringify;
const MathMin = Math.min, MathMax = Math.max, MathSqrt = Math.sqrt, MathRound = Math.round,
      MathFloor = Math.floor;
const SymbolIterator = Symbol.iterator;
const SymbolToStringTag = Symbol.toStringTag;
const SafeMap = Map;

const customInspect = Symbol.for('nodejs.util.inspect.custom');

const kObjectType = 0;
const kArrayType = 1;
const kArrayExtrasType = 2;
const kMinLineLength = 16;

const defaults = {
  showHidden: false,
  depth: 2,
  customInspect: true,
  showProxy: false,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
  getters: false,
};

const keyStrRegExp = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const numberRegExp = /^(0|[1-9][0-9]*)$/;
const classRegExp = /^(\s+[^(]*?)\s*{/;
const stripCommentsRegExp = /(\/\/.*?\n)|(\/\*(.|\n)*?\*\/)/g;
const loneSurrogate =
    '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const escapeTestRegExp = new RegExp(`[\\x00-\\x1f\\x27\\x5c\\x7f-\\x9f]|${loneSurrogate}`);
const escapeTestRegExpNoQuote = new RegExp(`[\\x00-\\x1f\\x5c\\x7f-\\x9f]|${loneSurrogate}`);
// eslint-disable-next-line no-control-regex
const keyEscapeRegExp = /[\x00-\x1f\x27\x5c\x7f-\x9f]/g;

const namedEscapes = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };

function escapeChar(code) {
  const named = namedEscapes[code];
  if (named !== undefined) return named;
  return `\\x${code < 16 ? '0' : ''}${code.toString(16).toUpperCase()}`;
}

function addQuotes(str, quote) {
  if (quote === -1) return `"${str}"`;
  if (quote === -2) return `\`${str}\``;
  return `'${str}'`;
}

// Quotes a string the way Node does: single quotes unless the text holds one, then double
// quotes, then backticks; control characters, the backslash and lone surrogates escaped.
function strEscape(str) {
  let test = escapeTestRegExp;
  let quote = 39;
  if (str.includes("'")) {
    if (!str.includes('"')) {
      quote = -1;
    } else if (!str.includes('`') && !str.includes('${')) {
      quote = -2;
    }
    if (quote !== 39) test = escapeTestRegExpNoQuote;
  }
  if (!test.test(str)) return addQuotes(str, quote);
  let result = '';
  let last = 0;
  for (let i = 0; i < str.length; i++) {
    const point = str.charCodeAt(i);
    if (point === quote || point === 92 || point < 32 || (point > 126 && point < 160)) {
      result += `${str.slice(last, i)}${escapeChar(point)}`;
      last = i + 1;
    } else if (point >= 0xd800 && point <= 0xdfff) {
      if (point <= 0xdbff && i + 1 < str.length) {
        const next = str.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          i++;
          continue;
        }
      }
      result += `${str.slice(last, i)}\\u${point.toString(16)}`;
      last = i + 1;
    }
  }
  if (last !== str.length) result += str.slice(last);
  return addQuotes(result, quote);
}

function escapeKey(key) {
  return key.replace(keyEscapeRegExp, (c) => escapeChar(c.charCodeAt(0)));
}

function inspect(value, opts) {
  const ctx = {
    budget: {},
    indentationLvl: 0,
    seen: [],
    currentDepth: 0,
    circular: undefined,
    ...defaults,
  };
  if (opts !== null && typeof opts === 'object') {
    for (const key of ObjectKeys(opts)) {
      if (hasOwn(defaults, key)) ctx[key] = opts[key];
    }
  }
  if (ctx.depth === null) ctx.depth = Infinity;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  return formatValue(ctx, value, 0);
}
inspect.custom = customInspect;

function userOptions(ctx) {
  const options = {};
  for (const key of ObjectKeys(defaults)) options[key] = ctx[key];
  options.stylize = (s) => s;
  return options;
}

function formatValue(ctx, value, recurseTimes, typedArray) {
  if (typeof value !== 'object' && typeof value !== 'function') {
    return formatPrimitive(value, ctx);
  }
  if (value === null) return 'null';

  const context = value;
  // Look through proxies without running their traps.
  const proxy = proxyDetails(value);
  if (proxy !== undefined) {
    if (proxy[0] === null) return '<Revoked Proxy>';
    if (ctx.showProxy) return formatProxy(ctx, proxy, recurseTimes);
    value = proxy[0];
    while (proxyDetails(value) !== undefined) {
      const inner = proxyDetails(value);
      if (inner[0] === null) return '<Revoked Proxy>';
      value = inner[0];
    }
  }

  if (ctx.customInspect) {
    const maybeCustom = value[customInspect];
    if (typeof maybeCustom === 'function' && maybeCustom !== inspect &&
        !(value.constructor && value.constructor.prototype === value)) {
      const depth = ctx.depth - recurseTimes;
      const ret = FunctionCall(maybeCustom, context, depth, userOptions(ctx), inspect);
      if (ret !== context) {
        if (typeof ret !== 'string') return formatValue(ctx, ret, recurseTimes);
        return ret.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
      }
    }
  }

  if (ctx.seen.includes(value)) {
    let index = 1;
    if (ctx.circular === undefined) {
      ctx.circular = new SafeMap();
      ctx.circular.set(value, index);
    } else {
      index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

function isInstanceof(object, ctor) {
  try {
    return object instanceof ctor;
  } catch {
    return false;
  }
}

function getConstructorName(obj, ctx, recurseTimes) {
  let firstProto;
  const start = obj;
  while (obj) {
    const descriptor = ObjectGetOwnPropertyDescriptor(obj, 'constructor');
    if (descriptor !== undefined && typeof descriptor.value === 'function' &&
        descriptor.value.name !== '' && isInstanceof(start, descriptor.value)) {
      return `${descriptor.value.name}`;
    }
    obj = ObjectGetPrototypeOf(obj);
    if (firstProto === undefined) firstProto = obj;
  }
  if (firstProto === null) return null;
  if (recurseTimes > ctx.depth) return 'Object <Complex prototype>';
  const protoName = getConstructorName(firstProto, ctx, recurseTimes + 1);
  if (protoName === null) {
    return `Object <${inspect(firstProto, { ...userOptions(ctx), customInspect: false,
                                            depth: -1 })}>`;
  }
  return `Object <${protoName}>`;
}

function getPrefix(constructor, tag, fallback, size = '') {
  if (constructor === null) {
    if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function getCtxStyle(constructor, tag) {
  return getPrefix(constructor, tag, 'Object');
}

function getKeys(value, showHidden) {
  let keys;
  const symbols = ObjectGetOwnPropertySymbols(value);
  if (showHidden) {
    keys = ObjectGetOwnPropertyNames(value);
    for (const s of symbols) keys.push(s);
  } else {
    try {
      keys = ObjectKeys(value);
    } catch {
      keys = ObjectGetOwnPropertyNames(value);  // an unevaluated module namespace
    }
    for (const s of symbols) {
      if (propertyIsEnumerable(value, s)) keys.push(s);
    }
  }
  return keys;
}

function isArrayIndex(key) {
  return typeof key === 'string' && numberRegExp.test(key) && +key < 2 ** 32 - 1;
}

function getNonIndexKeys(value, showHidden) {
  return getKeys(value, showHidden).filter((key) => !isArrayIndex(key));
}

// Platform objects print their interface's attributes, as Node and Deno print theirs:
// `Blob { size: 3, type: '' }`. internals.inspectHooks.register(Interface, names) reads the
// named attributes through the getters captured at registration (so a patched prototype
// does not matter); the closest registered prototype on a value's chain wins, and a value
// whose getters throw (the prototype object itself) prints as an ordinary object.
const inspectHooks = new SafeMap();
const MapGet = uncurry(Map.prototype.get);
const MapSet = uncurry(Map.prototype.set);
internals.inspectHooks = {
  register(Interface, names) {
    const getters = [];
    for (const name of names) {
      let proto = Interface.prototype;
      let desc;
      while (proto !== null && (desc = ObjectGetOwnPropertyDescriptor(proto, name)) === undefined) {
        proto = ObjectGetPrototypeOf(proto);
      }
      if (desc !== undefined && typeof desc.get === 'function') getters.push([name, desc.get]);
    }
    MapSet(inspectHooks, Interface.prototype, getters);
  },
};

function platformView(value) {
  let proto = ObjectGetPrototypeOf(value);
  for (let depth = 0; proto !== null && depth < 64; depth++) {
    const getters = MapGet(inspectHooks, proto);
    if (getters !== undefined) {
      const view = { __proto__: null };
      try {
        for (let i = 0; i < getters.length; i++) {
          view[getters[i][0]] = FunctionCall(getters[i][1], value);
        }
      } catch {
        return undefined;
      }
      return view;
    }
    proto = ObjectGetPrototypeOf(proto);
  }
  return undefined;
}

function isError(value, type) {
  return type === 'error' || isInstanceof(value, Error);
}

function formatRaw(ctx, value, recurseTimes, typedArray) {
  let keys;
  const constructor = getConstructorName(value, ctx, recurseTimes);
  let tag = value[SymbolToStringTag];
  // Only list the tag when it is not an own enumerable property (printed anyway).
  if (typeof tag !== 'string' ||
      (tag !== '' && (ctx.showHidden ? hasOwn : propertyIsEnumerable)(value, SymbolToStringTag))) {
    tag = '';
  }
  const type = typeOf(value);
  let base = '';
  let formatter = () => [];
  let braces;
  let noIterator = true;
  let extrasType = kObjectType;
  let view;

  if (value[SymbolIterator] || constructor === null) {
    noIterator = false;
    if (ArrayIsArray(value)) {
      const prefix = (constructor !== 'Array' || tag !== '') ?
        getPrefix(constructor, tag, 'Array', `(${value.length})`) : '';
      keys = getNonIndexKeys(value, ctx.showHidden);
      braces = [`${prefix}[`, ']'];
      if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
    } else if (type === 'set') {
      const size = SetSize(value);
      const prefix = getPrefix(constructor, tag, 'Set', `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
      formatter = formatSet;
    } else if (type === 'map') {
      const size = MapSize(value);
      const prefix = getPrefix(constructor, tag, 'Map', `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
      formatter = formatMap;
    } else if (type === 'typedarray') {
      keys = getNonIndexKeys(value, ctx.showHidden);
      const size = TypedArrayLength(value);
      const fallback = TypedArrayTag(value);
      const prefix = getPrefix(constructor, tag, fallback, `(${size})`);
      braces = [`${prefix}[`, ']'];
      if (size === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
      formatter = (c, v, r) => formatTypedArray(c, v, r, size);
      extrasType = kArrayExtrasType;
    } else if (type === 'mapiterator' || type === 'setiterator') {
      keys = getKeys(value, ctx.showHidden);
      braces = getIteratorBraces(type === 'mapiterator' ? 'Map' : 'Set', tag);
      formatter = (c, v, r) => formatIterator(braces, c, v, r);
    } else {
      noIterator = true;
    }
  }
  if (noIterator) {
    keys = getKeys(value, ctx.showHidden);
    braces = ['{', '}'];
    if (constructor === 'Object') {
      if (type === 'arguments') {
        braces[0] = '[Arguments] {';
      } else if (tag !== '') {
        braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
      }
      if (keys.length === 0) return `${braces[0]}}`;
    } else if (typeof value === 'function') {
      base = getFunctionBase(value, constructor, tag, type);
      if (keys.length === 0) return base;
    } else if (type === 'regexp') {
      base = RegExpToString(constructor !== null ? value : new RegExp(value));
      const prefix = getPrefix(constructor, tag, 'RegExp');
      if (prefix !== 'RegExp ') base = `${prefix}${base}`;
      if (keys.length === 0 || recurseTimes > ctx.depth) return base;
    } else if (type === 'date') {
      base = Number.isNaN(DateGetTime(value)) ? DateToString(value) : DateToISOString(value);
      const prefix = getPrefix(constructor, tag, 'Date');
      if (prefix !== 'Date ') base = `${prefix}${base}`;
      if (keys.length === 0) return base;
    } else if (isError(value, type)) {
      base = formatError(value, constructor, tag, ctx, keys);
      if (keys.length === 0) return base;
    } else if (type === 'arraybuffer' || type === 'sharedarraybuffer') {
      const arrayType = type === 'arraybuffer' ? 'ArrayBuffer' : 'SharedArrayBuffer';
      const prefix = getPrefix(constructor, tag, arrayType);
      if (typedArray === undefined) {
        formatter = formatArrayBuffer;
      } else if (keys.length === 0) {
        return `${prefix}{ byteLength: ${formatNumber(value.byteLength)} }`;
      }
      braces[0] = `${prefix}{`;
      keys.unshift('byteLength');
    } else if (type === 'dataview') {
      braces[0] = `${getPrefix(constructor, tag, 'DataView')}{`;
      keys.unshift('byteLength', 'byteOffset', 'buffer');
    } else if (type === 'promise') {
      braces[0] = `${getPrefix(constructor, tag, 'Promise')}{`;
      formatter = formatPromise;
    } else if (type === 'weakset') {
      braces[0] = `${getPrefix(constructor, tag, 'WeakSet')}{`;
      formatter = ctx.showHidden ? formatWeakSet : formatWeakCollection;
    } else if (type === 'weakmap') {
      braces[0] = `${getPrefix(constructor, tag, 'WeakMap')}{`;
      formatter = ctx.showHidden ? formatWeakMap : formatWeakCollection;
    } else if (type === 'module') {
      braces[0] = `${getPrefix(constructor, tag, 'Module')}{`;
      formatter = (c, v, r) => formatNamespaceObject(keys, c, v, r);
    } else if (type === 'number' || type === 'string' || type === 'boolean' ||
               type === 'bigint' || type === 'symbol') {
      base = getBoxedBase(value, ctx, keys, constructor, tag, type);
      if (keys.length === 0) return base;
    } else if ((view = platformView(value)) !== undefined) {
      // A platform object: its interface's attributes, then any own data properties.
      const viewKeys = ObjectKeys(view);
      keys = keys.filter((key) => {
        const desc = ObjectGetOwnPropertyDescriptor(value, key);
        return desc === undefined || !('get' in desc);
      });
      braces[0] = `${getCtxStyle(constructor, tag)}{`;
      if (viewKeys.length === 0 && keys.length === 0) return `${braces[0]}}`;
      formatter = (c, v, r) => viewKeys.map((key) => formatProperty(c, view, r, key, kObjectType));
    } else if (type === 'headers') {
      const entries = headersList(value);
      braces[0] = `${getPrefix(constructor, tag, 'Headers')}{`;
      if (entries.length === 0 && keys.length === 0) return `${braces[0]}}`;
      formatter = (c, v, r) => formatHeaders(entries, c, r);
    } else {
      if (keys.length === 0) {
        if (type === 'external') return '[External]';
        return `${getCtxStyle(constructor, tag)}{}`;
      }
      braces[0] = `${getCtxStyle(constructor, tag)}{`;
    }
  }

  if (recurseTimes > ctx.depth) {
    let name = getCtxStyle(constructor, tag).slice(0, -1);
    if (constructor !== null) name = `[${name}]`;
    return name;
  }
  recurseTimes += 1;

  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output;
  const indentationLvl = ctx.indentationLvl;
  try {
    output = formatter(ctx, value, recurseTimes);
    for (let i = 0; i < keys.length; i++) {
      output.push(formatProperty(ctx, value, recurseTimes, keys[i], extrasType));
    }
  } catch (err) {
    const name = getCtxStyle(constructor, tag).slice(0, -1);
    return handleMaxCallStackSize(ctx, err, name, indentationLvl);
  }
  if (ctx.circular !== undefined) {
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const reference = `<ref *${index}>`;
      if (ctx.compact !== true) {
        base = base === '' ? reference : `${reference} ${base}`;
      } else {
        braces[0] = `${reference} ${braces[0]}`;
      }
    }
  }
  ctx.seen.pop();

  if (ctx.sorted) {
    const comparator = ctx.sorted === true ? undefined : ctx.sorted;
    if (extrasType === kObjectType) {
      output = output.sort(comparator);
    } else if (keys.length > 1) {
      const sorted = output.slice(output.length - keys.length).sort(comparator);
      output.splice(output.length - keys.length, keys.length, ...sorted);
    }
  }

  const res = reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
  // Stop descending once the output gets huge, as Node does.
  const budget = ctx.budget[ctx.indentationLvl] || 0;
  const newLength = budget + res.length;
  ctx.budget[ctx.indentationLvl] = newLength;
  if (newLength > 2 ** 27) ctx.depth = -1;
  return res;
}

function isStackOverflowError(err) {
  return isInstanceof(err, RangeError) && err.message === 'Maximum call stack size exceeded';
}

function handleMaxCallStackSize(ctx, err, name, indentationLvl) {
  if (isStackOverflowError(err)) {
    ctx.seen.pop();
    ctx.indentationLvl = indentationLvl;
    return `[${name}: Inspection interrupted prematurely. Maximum call stack size exceeded.]`;
  }
  throw err;
}

function getIteratorBraces(type, tag) {
  if (tag !== `${type} Iterator`) {
    if (tag !== '') tag += '] [';
    tag += `${type} Iterator`;
  }
  return [`[${tag}] {`, '}'];
}

function getBoxedBase(value, ctx, keys, constructor, tag, type) {
  let fn;
  let name;
  if (type === 'number') {
    fn = NumberValueOf;
    name = 'Number';
  } else if (type === 'string') {
    fn = StringValueOf;
    name = 'String';
    // The indexed characters are noise.
    keys.splice(0, value.length);
  } else if (type === 'boolean') {
    fn = BooleanValueOf;
    name = 'Boolean';
  } else if (type === 'bigint') {
    fn = BigIntValueOf;
    name = 'BigInt';
  } else {
    fn = SymbolValueOf;
    name = 'Symbol';
  }
  let base = `[${name}`;
  if (name !== constructor) {
    base += constructor === null ? ' (null prototype)' : ` (${constructor})`;
  }
  base += `: ${formatPrimitive(fn(value), ctx)}]`;
  if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
  return base;
}

function getClassBase(value, constructor, tag) {
  const name = (hasOwn(value, 'name') && value.name) || '(anonymous)';
  let base = `class ${name}`;
  if (constructor !== 'Function' && constructor !== null) base += ` [${constructor}]`;
  if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
  if (constructor !== null) {
    const superName = ObjectGetPrototypeOf(value).name;
    if (superName) base += ` extends ${superName}`;
  } else {
    base += ' extends [null prototype]';
  }
  return `[${base}]`;
}

function getFunctionBase(value, constructor, tag, type) {
  const source = FunctionToString(value);
  if (source.startsWith('class') && source.endsWith('}')) {
    const slice = source.slice(5, -1);
    const bracketIndex = slice.indexOf('{');
    if (bracketIndex !== -1 &&
        (!slice.slice(0, bracketIndex).includes('(') ||
         classRegExp.exec(slice.replace(stripCommentsRegExp, '')) !== null)) {
      return getClassBase(value, constructor, tag);
    }
  }
  let kind = 'Function';
  if (type === 'generatorfunction' || type === 'asyncgeneratorfunction') kind = `Generator${kind}`;
  if (type === 'asyncfunction' || type === 'asyncgeneratorfunction') kind = `Async${kind}`;
  let base = `[${kind}`;
  if (constructor === null) base += ' (null prototype)';
  if (value.name === '') {
    base += ' (anonymous)';
  } else {
    base += `: ${value.name}`;
  }
  base += ']';
  if (constructor !== kind && constructor !== null) base += ` ${constructor}`;
  if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function getStackString(error) {
  return error.stack ? String(error.stack) : ErrorToString(error);
}

function removeDuplicateErrorKeys(ctx, keys, err, stack) {
  if (!ctx.showHidden && keys.length !== 0) {
    for (const name of ['name', 'message', 'stack']) {
      const index = keys.indexOf(name);
      // Only hide the key when the stack already shows its value.
      if (index !== -1 && stack.includes(err[name])) keys.splice(index, 1);
    }
  }
}

function improveStack(stack, constructor, name, tag) {
  // A stack may hold anything: only rewrite ones that look like "Name: message\n    at".
  let len = name.length;
  if (constructor === null ||
      (name.endsWith('Error') && stack.startsWith(name) &&
       (stack.length === len || stack[len] === ':' || stack[len] === '\n'))) {
    let fallback = 'Error';
    if (constructor === null) {
      const start = /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n\s+at)/.exec(stack) ||
                    /^([a-z_A-Z0-9-]*Error)$/.exec(stack);
      fallback = (start && start[1]) || '';
      len = fallback.length;
      fallback = fallback || 'Error';
    }
    const prefix = getPrefix(constructor, tag, fallback).slice(0, -1);
    if (name !== prefix) {
      if (prefix.includes(name)) {
        stack = len === 0 ? `${prefix}: ${stack}` : `${prefix}${stack.slice(len)}`;
      } else {
        stack = `${prefix} [${name}]${stack.slice(len)}`;
      }
    }
  }
  return stack;
}

function formatError(err, constructor, tag, ctx, keys) {
  const name = err.name != null ? String(err.name) : 'Error';
  let stack = getStackString(err);
  removeDuplicateErrorKeys(ctx, keys, err, stack);
  if ('cause' in err && (keys.length === 0 || !keys.includes('cause'))) keys.push('cause');
  if (ArrayIsArray(err.errors) && (keys.length === 0 || !keys.includes('errors'))) {
    keys.push('errors');
  }
  stack = improveStack(stack, constructor, name, tag);
  // The message may span lines: look for the trace after it.
  let pos = (err.message && stack.indexOf(err.message)) || -1;
  if (pos !== -1) pos += err.message.length;
  const stackStart = stack.indexOf('\n    at', pos);
  if (stackStart === -1) stack = `[${stack}]`;
  if (ctx.indentationLvl !== 0) {
    stack = stack.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
  }
  return stack;
}

function groupArrayElements(ctx, output, value) {
  let totalLength = 0;
  let maxLength = 0;
  let i = 0;
  let outputLength = output.length;
  // The "... n more items" entry does not take part.
  if (ctx.maxArrayLength < output.length) outputLength--;
  const separatorSpace = 2;  // ", "
  const dataLen = new Array(outputLength);
  for (; i < outputLength; i++) {
    const len = output[i].length;
    dataLen[i] = len;
    totalLength += len + separatorSpace;
    if (maxLength < len) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  // Group only if three entries fit on a line and the entries are of similar length.
  if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength &&
      (totalLength / actualMax > 5 || maxLength <= 6)) {
    const approxCharHeights = 2.5;
    const averageBias = MathSqrt(actualMax - totalLength / output.length);
    const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
    // Aim for a roughly square block of text, within the line width.
    const columns = MathMin(
      MathRound(MathSqrt(approxCharHeights * biasedMax * outputLength) / biasedMax),
      MathFloor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      ctx.compact * 4,
      15,
    );
    if (columns <= 1) return output;
    const tmp = [];
    const maxLineLength = [];
    for (let c = 0; c < columns; c++) {
      let lineLength = 0;
      for (let j = c; j < output.length; j += columns) {
        if (dataLen[j] > lineLength) lineLength = dataLen[j];
      }
      maxLineLength.push(lineLength + separatorSpace);
    }
    // Numbers are right-aligned, everything else left-aligned.
    let padStart = true;
    if (value !== undefined) {
      for (let k = 0; k < output.length; k++) {
        if (typeof value[k] !== 'number' && typeof value[k] !== 'bigint') {
          padStart = false;
          break;
        }
      }
    }
    for (let k = 0; k < outputLength; k += columns) {
      const max = MathMin(k + columns, outputLength);
      let str = '';
      let j = k;
      for (; j < max - 1; j++) {
        const padding = maxLineLength[j - k];
        str += padStart ? `${output[j]}, `.padStart(padding, ' ') :
                          `${output[j]}, `.padEnd(padding, ' ');
      }
      if (padStart) {
        str += output[j].padStart(maxLineLength[j - k] - separatorSpace, ' ');
      } else {
        str += output[j];
      }
      tmp.push(str);
    }
    if (ctx.maxArrayLength < output.length) tmp.push(output[outputLength]);
    output = tmp;
  }
  return output;
}

function formatNumber(value) {
  return ObjectIs(value, -0) ? '-0' : `${value}`;
}

function formatBigInt(value) {
  return `${value}n`;
}

function formatPrimitive(value, ctx) {
  if (typeof value === 'string') {
    let trailer = '';
    if (value.length > ctx.maxStringLength) {
      const remaining = value.length - ctx.maxStringLength;
      value = value.slice(0, ctx.maxStringLength);
      trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
    }
    // Long strings with line breaks print one line per source line.
    if (ctx.compact !== true && value.length > kMinLineLength &&
        value.length > ctx.breakLength - ctx.indentationLvl - 4) {
      return value.split(/(?<=\n)/)
                 .map((line) => strEscape(line))
                 .join(` +\n${' '.repeat(ctx.indentationLvl + 2)}`) + trailer;
    }
    return strEscape(value) + trailer;
  }
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'bigint') return formatBigInt(value);
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'undefined') return 'undefined';
  return SymbolToString(value);
}

function remainingText(remaining) {
  return `... ${remaining} more item${remaining > 1 ? 's' : ''}`;
}

function formatNamespaceObject(keys, ctx, value, recurseTimes) {
  const output = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    try {
      output[i] = formatProperty(ctx, value, recurseTimes, keys[i], kObjectType);
    } catch (err) {
      // An export not initialized yet (TDZ).
      if (!isInstanceof(err, ReferenceError)) throw err;
      const tmp = { [keys[i]]: '' };
      output[i] = formatProperty(ctx, tmp, recurseTimes, keys[i], kObjectType);
      const pos = output[i].lastIndexOf(' ');
      output[i] = `${output[i].slice(0, pos + 1)}<uninitialized>`;
    }
  }
  keys.length = 0;
  return output;
}

// A sparse array, or one with extra keys.
function formatSpecialArray(ctx, value, recurseTimes, maxLength, output, i) {
  const keys = ObjectKeys(value);
  let index = i;
  for (; i < keys.length && output.length < maxLength; i++) {
    const key = keys[i];
    const tmp = +key;
    if (tmp > 2 ** 32 - 2) break;
    if (`${index}` !== key) {
      if (!numberRegExp.test(key)) break;
      const emptyItems = tmp - index;
      output.push(`<${emptyItems} empty item${emptyItems > 1 ? 's' : ''}>`);
      index = tmp;
      if (output.length === maxLength) break;
    }
    output.push(formatProperty(ctx, value, recurseTimes, key, kArrayType));
    index++;
  }
  const remaining = value.length - index;
  if (output.length !== maxLength) {
    if (remaining > 0) output.push(`<${remaining} empty item${remaining > 1 ? 's' : ''}>`);
  } else if (remaining > 0) {
    output.push(remainingText(remaining));
  }
  return output;
}

function formatArrayBuffer(ctx, value) {
  let bytes;
  try {
    bytes = new Uint8Array(value);
  } catch {
    return ['(detached)'];
  }
  const shown = MathMin(ctx.maxArrayLength, bytes.length);
  let str = '';
  for (let i = 0; i < shown; i++) {
    str += `${i === 0 ? '' : ' '}${bytes[i] < 16 ? '0' : ''}${bytes[i].toString(16)}`;
  }
  const remaining = bytes.length - ctx.maxArrayLength;
  if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
  return [`[Uint8Contents]: <${str}>`];
}

function formatArray(ctx, value, recurseTimes) {
  const valLen = value.length;
  const len = MathMin(MathMax(0, ctx.maxArrayLength), valLen);
  const remaining = valLen - len;
  const output = [];
  for (let i = 0; i < len; i++) {
    if (!hasOwn(value, i)) return formatSpecialArray(ctx, value, recurseTimes, len, output, i);
    output.push(formatProperty(ctx, value, recurseTimes, i, kArrayType));
  }
  if (remaining > 0) output.push(remainingText(remaining));
  return output;
}

function formatTypedArray(ctx, value, recurseTimes, length) {
  const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
  const remaining = length - maxLength;
  const output = new Array(maxLength);
  const elementFormatter = length > 0 && typeof value[0] === 'number' ? formatNumber :
                                                                         formatBigInt;
  for (let i = 0; i < maxLength; ++i) output[i] = elementFormatter(value[i]);
  if (remaining > 0) output[maxLength] = remainingText(remaining);
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ['BYTES_PER_ELEMENT', 'length', 'byteLength', 'byteOffset', 'buffer']) {
      const str = formatValue(ctx, value[key], recurseTimes, true);
      output.push(`[${key}]: ${str}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}

function formatSet(ctx, value, recurseTimes) {
  const length = SetSize(value);
  const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
  const remaining = length - maxLength;
  const output = [];
  ctx.indentationLvl += 2;
  const it = SetValues(value);
  for (let i = 0; i < maxLength; i++) {
    const r = SetIteratorNext(it);
    if (r.done) break;
    output.push(formatValue(ctx, r.value, recurseTimes));
  }
  if (remaining > 0) output.push(remainingText(remaining));
  ctx.indentationLvl -= 2;
  return output;
}

function formatMap(ctx, value, recurseTimes) {
  const length = MapSize(value);
  const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
  const remaining = length - maxLength;
  const output = [];
  ctx.indentationLvl += 2;
  const it = MapEntries(value);
  for (let i = 0; i < maxLength; i++) {
    const r = MapIteratorNext(it);
    if (r.done) break;
    output.push(`${formatValue(ctx, r.value[0], recurseTimes)} => ` +
                formatValue(ctx, r.value[1], recurseTimes));
  }
  if (remaining > 0) output.push(remainingText(remaining));
  ctx.indentationLvl -= 2;
  return output;
}

function formatHeaders(entries, ctx, recurseTimes) {
  const output = [];
  ctx.indentationLvl += 2;
  for (let i = 0; i < entries.length; i++) {
    const pair = entries[i];  // [name, value], natives.headersList (js/api/headers.cc)
    const name = keyStrRegExp.test(pair[0]) ? pair[0] : strEscape(pair[0]);
    output.push(`${name}: ${formatValue(ctx, pair[1], recurseTimes)}`);
  }
  ctx.indentationLvl -= 2;
  return output;
}

function formatSetIterInner(ctx, recurseTimes, entries, weak) {
  const maxArrayLength = MathMax(ctx.maxArrayLength, 0);
  const maxLength = MathMin(maxArrayLength, entries.length);
  const output = new Array(maxLength);
  ctx.indentationLvl += 2;
  for (let i = 0; i < maxLength; i++) output[i] = formatValue(ctx, entries[i], recurseTimes);
  ctx.indentationLvl -= 2;
  // Weak entries come in no particular order.
  if (weak && !ctx.sorted) output.sort();
  const remaining = entries.length - maxLength;
  if (remaining > 0) output.push(remainingText(remaining));
  return output;
}

function formatMapIterInner(ctx, recurseTimes, entries, weak) {
  const maxArrayLength = MathMax(ctx.maxArrayLength, 0);
  // Entries come flat: [key1, value1, key2, value2, ...].
  const len = entries.length / 2;
  const remaining = len - maxArrayLength;
  const maxLength = MathMin(maxArrayLength, len);
  const output = new Array(maxLength);
  ctx.indentationLvl += 2;
  for (let i = 0; i < maxLength; i++) {
    const pos = i * 2;
    if (weak) {
      output[i] = `${formatValue(ctx, entries[pos], recurseTimes)} => ` +
                  formatValue(ctx, entries[pos + 1], recurseTimes);
    } else {
      const res = [formatValue(ctx, entries[pos], recurseTimes),
                   formatValue(ctx, entries[pos + 1], recurseTimes)];
      output[i] = reduceToSingleString(ctx, res, '', ['[', ']'], kArrayExtrasType, recurseTimes);
    }
  }
  ctx.indentationLvl -= 2;
  if (weak && !ctx.sorted) output.sort();
  if (remaining > 0) output.push(remainingText(remaining));
  return output;
}

function formatWeakCollection() {
  return ['<items unknown>'];
}

function formatWeakSet(ctx, value, recurseTimes) {
  return formatSetIterInner(ctx, recurseTimes, previewEntries(value)[0], true);
}

function formatWeakMap(ctx, value, recurseTimes) {
  return formatMapIterInner(ctx, recurseTimes, previewEntries(value)[0], true);
}

function formatIterator(braces, ctx, value, recurseTimes) {
  const [entries, isKeyValue] = previewEntries(value);
  if (isKeyValue) {
    braces[0] = braces[0].replace(/ Iterator] {$/, ' Entries] {');
    return formatMapIterInner(ctx, recurseTimes, entries, false);
  }
  return formatSetIterInner(ctx, recurseTimes, entries, false);
}

function formatPromise(ctx, value, recurseTimes) {
  const [state, result] = promiseDetails(value);
  if (state === 0) return ['<pending>'];
  ctx.indentationLvl += 2;
  const str = formatValue(ctx, result, recurseTimes);
  ctx.indentationLvl -= 2;
  return [state === 2 ? `<rejected> ${str}` : str];
}

function formatProxy(ctx, proxy, recurseTimes) {
  if (recurseTimes > ctx.depth) return 'Proxy [Array]';
  recurseTimes += 1;
  ctx.indentationLvl += 2;
  const res = [formatValue(ctx, proxy[0], recurseTimes), formatValue(ctx, proxy[1], recurseTimes)];
  ctx.indentationLvl -= 2;
  return reduceToSingleString(ctx, res, '', ['Proxy [', ']'], kArrayExtrasType, recurseTimes);
}

function formatProperty(ctx, value, recurseTimes, key, type, desc) {
  let name;
  let str;
  let extra = ' ';
  desc = desc || ObjectGetOwnPropertyDescriptor(value, key) ||
         { value: value[key], enumerable: true };
  if (desc.value !== undefined) {
    const diff = (ctx.compact !== true || type !== kObjectType) ? 2 : 3;
    ctx.indentationLvl += diff;
    str = formatValue(ctx, desc.value, recurseTimes);
    if (diff === 3 && ctx.breakLength < str.length) {
      extra = `\n${' '.repeat(ctx.indentationLvl)}`;
    }
    ctx.indentationLvl -= diff;
  } else if (desc.get !== undefined) {
    const label = desc.set !== undefined ? 'Getter/Setter' : 'Getter';
    if (ctx.getters && (ctx.getters === true ||
                        (ctx.getters === 'get' && desc.set === undefined) ||
                        (ctx.getters === 'set' && desc.set !== undefined))) {
      try {
        const tmp = FunctionCall(desc.get, value);
        ctx.indentationLvl += 2;
        if (tmp === null) {
          str = `[${label}: null]`;
        } else if (typeof tmp === 'object') {
          str = `[${label}] ${formatValue(ctx, tmp, recurseTimes)}`;
        } else {
          str = `[${label}: ${formatPrimitive(tmp, ctx)}]`;
        }
        ctx.indentationLvl -= 2;
      } catch (err) {
        str = `[${label}: <Inspection threw (${err.message})>]`;
      }
    } else {
      str = `[${label}]`;
    }
  } else if (desc.set !== undefined) {
    str = '[Setter]';
  } else {
    str = 'undefined';
  }
  if (type === kArrayType) return str;
  if (typeof key === 'symbol') {
    name = `[${escapeKey(SymbolToString(key))}]`;
  } else if (key === '__proto__') {
    name = "['__proto__']";
  } else if (desc.enumerable === false) {
    name = `[${escapeKey(key)}]`;
  } else if (keyStrRegExp.test(key)) {
    name = key;
  } else {
    name = strEscape(key);
  }
  return `${name}:${extra}${str}`;
}

function isBelowBreakLength(ctx, output, start, base) {
  // Each entry takes at least its separator.
  let totalLength = output.length + start;
  if (totalLength + output.length > ctx.breakLength) return false;
  for (let i = 0; i < output.length; i++) {
    totalLength += output[i].length;
    if (totalLength > ctx.breakLength) return false;
  }
  // No single line when the base itself spans lines.
  return base === '' || !base.includes('\n');
}

function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
      const entries = output.length;
      if (extrasType === kArrayExtrasType && entries > 6) {
        output = groupArrayElements(ctx, output, value);
      }
      // One line when the innermost `compact` levels fit within breakLength (and the
      // entries were not grouped into rows).
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (isBelowBreakLength(ctx, output, start, base)) {
          const joined = output.join(', ');
          if (!joined.includes('\n')) {
            return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
          }
        }
      }
    }
    const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ` +
           `${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }
  if (isBelowBreakLength(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ''} ${output.join(', ')} ${braces[1]}`;
  }
  const indentation = ' '.repeat(ctx.indentationLvl);
  const ln = base === '' && braces[0].length === 1 ?
    ' ' : `${base ? ` ${base}` : ''}\n${indentation}  `;
  return `${braces[0]}${ln}${output.join(`,\n${indentation}  `)} ${braces[1]}`;
}

// ---- printf-style formatting ----

let builtInObjects;
function isBuiltInName(name) {
  if (builtInObjects === undefined) {
    builtInObjects = new Set(ObjectGetOwnPropertyNames(globalThis)
                                 .filter((e) => /^[A-Z][a-zA-Z0-9]+$/.test(e)));
  }
  return builtInObjects.has(name);
}

// True when %s should inspect the object rather than call its own toString().
function hasBuiltInToString(value) {
  const proxy = proxyDetails(value);
  if (proxy !== undefined) {
    if (proxy[0] === null) return true;
    value = proxy[0];
  }
  if (typeof value.toString !== 'function') return true;
  if (hasOwn(value, 'toString')) return false;
  let pointer = value;
  do {
    pointer = ObjectGetPrototypeOf(pointer);
  } while (!hasOwn(pointer, 'toString'));
  const descriptor = ObjectGetOwnPropertyDescriptor(pointer, 'constructor');
  return descriptor !== undefined && typeof descriptor.value === 'function' &&
         isBuiltInName(descriptor.value.name);
}

function tryStringify(arg) {
  try {
    return JSONStringify(arg);
  } catch (err) {
    if (isInstanceof(err, TypeError) && /circular/i.test(err.message)) return '[Circular]';
    throw err;
  }
}

function formatWithOptions(inspectOptions, args) {
  const first = args[0];
  let a = 0;
  let str = '';
  let join = '';

  if (typeof first === 'string') {
    if (args.length === 1) return first;
    let tempStr;
    let lastPos = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) === 37) {  // '%'
        const nextChar = first.charCodeAt(++i);
        if (a + 1 !== args.length) {
          switch (nextChar) {
            case 115: {  // 's'
              const tempArg = args[++a];
              if (typeof tempArg === 'number') {
                tempStr = formatNumber(tempArg);
              } else if (typeof tempArg === 'bigint') {
                tempStr = formatBigInt(tempArg);
              } else if (typeof tempArg !== 'object' || tempArg === null ||
                         !hasBuiltInToString(tempArg)) {
                tempStr = String(tempArg);
              } else {
                tempStr = inspect(tempArg, { ...inspectOptions, depth: 0, compact: 3 });
              }
              break;
            }
            case 106:  // 'j'
              tempStr = tryStringify(args[++a]);
              break;
            case 100: {  // 'd'
              const tempNum = args[++a];
              if (typeof tempNum === 'bigint') {
                tempStr = formatBigInt(tempNum);
              } else if (typeof tempNum === 'symbol') {
                tempStr = 'NaN';
              } else {
                tempStr = formatNumber(Number(tempNum));
              }
              break;
            }
            case 79:  // 'O'
              tempStr = inspect(args[++a], inspectOptions);
              break;
            case 111:  // 'o'
              tempStr = inspect(args[++a], {
                ...inspectOptions, showHidden: true, showProxy: true, depth: 4,
              });
              break;
            case 105: {  // 'i'
              const tempInteger = args[++a];
              if (typeof tempInteger === 'bigint') {
                tempStr = formatBigInt(tempInteger);
              } else if (typeof tempInteger === 'symbol') {
                tempStr = 'NaN';
              } else {
                tempStr = formatNumber(Number.parseInt(tempInteger));
              }
              break;
            }
            case 102: {  // 'f'
              const tempFloat = args[++a];
              if (typeof tempFloat === 'symbol') {
                tempStr = 'NaN';
              } else {
                tempStr = formatNumber(Number.parseFloat(tempFloat));
              }
              break;
            }
            case 99:  // 'c': CSS, consumed and dropped
              a++;
              tempStr = '';
              break;
            case 37:  // '%'
              str += first.slice(lastPos, i);
              lastPos = i + 1;
              continue;
            default:  // not a placeholder
              continue;
          }
          if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
          str += tempStr;
          lastPos = i + 1;
        } else if (nextChar === 37) {
          str += first.slice(lastPos, i);
          lastPos = i + 1;
        }
      }
    }
    if (lastPos !== 0) {
      a++;
      join = ' ';
      if (lastPos < first.length) str += first.slice(lastPos);
    }
  }

  while (a < args.length) {
    const value = args[a];
    str += join;
    str += typeof value !== 'string' ? inspect(value, inspectOptions) : value;
    join = ' ';
    a++;
  }
  return str;
}

function format(...args) {
  return formatWithOptions(undefined, args);
}

// ---- console ----

let groupIndent = '';
const counts = new SafeMap();
const timers = new SafeMap();

function write(toStderr, string) {
  if (groupIndent.length !== 0) {
    if (string.includes('\n')) string = string.replaceAll('\n', `\n${groupIndent}`);
    string = groupIndent + string;
  }
  print(toStderr, string);
}

function formatTime(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(3)}s`;
  return `${Number(ms.toFixed(3))}ms`;
}

// https://console.spec.whatwg.org/#table, drawn as Node draws it.
function renderRow(row, widths) {
  let out = '│ ';
  for (let i = 0; i < row.length; i++) {
    const cell = row[i];
    out += cell + ' '.repeat(widths[i] - cell.length);
    if (i !== row.length - 1) out += ' │ ';
  }
  return `${out} │`;
}

function renderTable(head, columns) {
  const rows = [];
  const widths = head.map((h) => h.length);
  const longest = MathMax(...columns.map((c) => c.length));
  for (let i = 0; i < head.length; i++) {
    const column = columns[i];
    for (let j = 0; j < longest; j++) {
      if (rows[j] === undefined) rows[j] = [];
      const value = rows[j][i] = hasOwn(column, j) ? column[j] : '';
      widths[i] = MathMax(widths[i] || 0, value.length);
    }
  }
  const divider = widths.map((w) => '─'.repeat(w + 2));
  let result = `┌${divider.join('┬')}┐\n${renderRow(head, widths)}\n` +
               `├${divider.join('┼')}┤\n`;
  for (const row of rows) result += `${renderRow(row, widths)}\n`;
  result += `└${divider.join('┴')}┘`;
  return result;
}

function table(data, properties) {
  if (data === null || typeof data !== 'object') return log(data);
  const cell = (v) => {
    const depth = v !== null && typeof v === 'object' && !ArrayIsArray(v) &&
                  ObjectKeys(v).length > 2 ? -1 : 0;
    return inspect(v, { depth, maxArrayLength: 3, breakLength: Infinity });
  };
  const indexColumn = (length) => Array.from({ length }, (_, i) => cell(i));
  const type = typeOf(data);
  if (type === 'map') {
    const keys = [];
    const values = [];
    for (const [k, v] of data) {
      keys.push(cell(k));
      values.push(cell(v));
    }
    return write(false, renderTable(['(iteration index)', 'Key', 'Values'],
                                    [indexColumn(keys.length), keys, values]));
  }
  if (type === 'set' || type === 'setiterator' || type === 'mapiterator') {
    const values = [];
    for (const v of data) values.push(cell(v));
    return write(false, renderTable(['(iteration index)', 'Values'],
                                    [indexColumn(values.length), values]));
  }
  const map = { __proto__: null };
  let hasPrimitives = false;
  const valuesColumn = [];
  const indexKeys = ObjectKeys(data);
  for (let i = 0; i < indexKeys.length; i++) {
    const item = data[indexKeys[i]];
    const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
    if (properties === undefined && primitive) {
      hasPrimitives = true;
      valuesColumn[i] = cell(item);
    } else {
      const keys = properties || ObjectKeys(item);
      for (const key of keys) {
        map[key] ??= [];
        if ((primitive && properties) || !hasOwn(item, key)) {
          map[key][i] = '';
        } else {
          map[key][i] = cell(item[key]);
        }
      }
    }
  }
  const head = ObjectKeys(map);
  const columns = head.map((k) => map[k]);
  if (hasPrimitives) {
    head.push('Values');
    columns.push(valuesColumn);
  }
  head.unshift('(index)');
  columns.unshift(indexKeys);
  return write(false, renderTable(head, columns));
}

// Method syntax, as for every operation below: WebIDL operations are not constructors.
const { log } = {
  log(...args) {
    write(false, format(...args));
  },
};

// https://console.spec.whatwg.org/#console-namespace: a namespace object, whose [[Prototype]]
// is an empty object whose [[Prototype]] is Object.prototype; its operations take optional
// arguments (length 0) and never read `this` or each other off the (user-patchable) object.
const console = {
  __proto__: {},
  log,
  info(...args) { write(false, format(...args)); },
  debug(...args) { write(false, format(...args)); },
  dirxml(...args) { write(false, format(...args)); },
  warn(...args) { write(true, format(...args)); },
  error(...args) { write(true, format(...args)); },
  dir(item = undefined, options = undefined) {
    write(false, inspect(item, { customInspect: false, ...options }));
  },
  trace(...args) {
    const err = { name: 'Trace', message: format(...args) };
    Error.captureStackTrace(err, consoleTrace);
    write(true, err.stack);
  },
  // https://console.spec.whatwg.org/#assert
  assert(condition = false, ...data) {
    if (condition) return;
    const message = 'Assertion failed';
    if (data.length === 0) {
      data[0] = message;
    } else if (typeof data[0] !== 'string') {
      data.unshift(message);
    } else {
      data[0] = `${message}: ${data[0]}`;
    }
    write(true, format(...data));
  },
  // https://console.spec.whatwg.org/#clear: no terminal to clear; the group stack empties.
  clear() {
    groupIndent = '';
  },
  table(tabularData = undefined, properties = undefined) {
    table(tabularData, properties);
  },
  count(label = 'default') {
    label = `${label}`;
    const count = (counts.get(label) || 0) + 1;
    counts.set(label, count);
    write(false, `${label}: ${count}`);
  },
  countReset(label = 'default') {
    label = `${label}`;
    if (!counts.has(label)) {
      write(true, `Count for '${label}' does not exist`);
      return;
    }
    counts.delete(label);
  },
  group(...label) {
    if (label.length > 0) log(...label);
    groupIndent += '  ';
  },
  groupCollapsed(...label) {
    if (label.length > 0) log(...label);
    groupIndent += '  ';
  },
  groupEnd() {
    groupIndent = groupIndent.slice(0, groupIndent.length - 2);
  },
  time(label = 'default') {
    label = `${label}`;
    if (timers.has(label)) {
      write(true, `Warning: Label '${label}' already exists for console.time()`);
      return;
    }
    timers.set(label, now());
  },
  timeEnd(label = 'default') {
    label = `${label}`;
    if (!timers.has(label)) {
      write(true, `Warning: No such label '${label}' for console.timeEnd()`);
      return;
    }
    write(false, `${label}: ${formatTime(now() - timers.get(label))}`);
    timers.delete(label);
  },
  timeLog(label = 'default', ...data) {
    label = `${label}`;
    if (!timers.has(label)) {
      write(true, `Warning: No such label '${label}' for console.timeLog()`);
      return;
    }
    const line = `${label}: ${formatTime(now() - timers.get(label))}`;
    write(false, data.length === 0 ? line : `${line} ${format(...data)}`);
  },
};
const consoleTrace = console.trace;
Object.defineProperty(console, SymbolToStringTag, {
  value: 'console', writable: false, enumerable: false, configurable: true,
});

natives.setHelper('inspect', inspect);
natives.setHelper('format', format);
internals.inspect = inspect;
// V8's own console is a configurable data property of the global object: replace it.
internals.webidl.defineGlobal('console', console);
