// Fuzz target for structuredClone (js/api/structured_clone.h: V8's ValueSerializer and
// ValueDeserializer with torus's platform-object hooks): the input describes a value graph
// (primitives with -0, NaN, lone surrogates and BigInts; arrays, sparse ones too; objects;
// Maps; Sets; Dates; RegExps; wrapper objects; Errors; ArrayBuffers with views of every
// kind sharing them; DOMException, Blob and File; references back to earlier objects, so
// cycles and sharing), which is cloned, sometimes with a transfer list, and sometimes with a
// value that cannot be cloned (a function, a symbol, Headers) somewhere inside.
//
// Invariants (the harness throws, the target traps): a graph without uncloneable values
// clones, and the clone is structurally equal to the original (same kinds and prototypes,
// own enumerable keys in order, Map and Set order, -0 kept, sharing and cycles kept, views
// over the same buffer still sharing one buffer, blob bytes), never the same object;
// transferred buffers are detached after and their bytes arrive; an uncloneable value makes
// a DOMException named DataCloneError and nothing else.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/js_target.h"

namespace {

const char kHarness[] = R"JS(
(function (bytes) {
  let i = 0;
  const next = () => (i < bytes.length ? bytes[i++] : 0);
  const fail = (what) => { throw new Error(what); };
  const made = [];  // objects made so far, for references back
  let uncloneable = false;
  const transfer = [];
  const views = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
                 Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView];
  const chars = ['a', 'Z', '\0', '\ud800', '\udc00', '\u00e9', '\u{1F600}', '"', '\n'];
  const str = () => {
    let s = '';
    for (let n = next() % 6; n > 0; --n) {
      const b = next();
      s += b & 1 ? String.fromCharCode(b) : chars[b % chars.length];
    }
    return s;
  };
  const num = () => [0, -0, NaN, Infinity, -Infinity, 1.5, -7, 2 ** 53, next()][next() % 9];
  const keep = (o) => { made.push(o); return o; };
  const gen = (depth) => {
    const k = depth > 4 ? next() % 6 : next() % 26;
    switch (k) {
      case 0: return num();
      case 1: return str();
      case 2: return BigInt(next()) * (next() % 2 ? -1n : 1n) * 2n ** BigInt(next() % 70);
      case 3: return next() % 2 === 0;
      case 4: return null;
      case 5: return undefined;
      case 6: {
        const a = keep([]);
        for (let n = next() % 5; n > 0; --n) a.push(gen(depth + 1));
        if (next() % 4 === 0) a[next() % 20] = gen(depth + 1);  // holes
        return a;
      }
      case 7: case 8: {
        const o = keep({});
        for (let n = next() % 5; n > 0; --n) o[next() % 3 ? str() : String(next() % 10)] = gen(depth + 1);
        return o;
      }
      case 9: {
        const m = keep(new Map());
        for (let n = next() % 4; n > 0; --n) m.set(gen(depth + 1), gen(depth + 1));
        return m;
      }
      case 10: {
        const s = keep(new Set());
        for (let n = next() % 4; n > 0; --n) s.add(gen(depth + 1));
        return s;
      }
      case 11: return keep(new Date(next() % 5 === 0 ? NaN : next() * 1e9 - 1e11));
      case 12: {
        const flags = ['', 'g', 'i', 'gimsuy', 'd', 'v'][next() % 6];
        let re;
        try { re = new RegExp(str(), flags); } catch { re = /x/; }
        return keep(re);
      }
      case 13: return keep([new Number(num()), new String(str()), new Boolean(next() % 2),
                            Object(BigInt(next()))][next() % 4]);
      case 14: {
        const E = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError][next() % 7];
        return keep(new E(str()));
      }
      case 15: {
        const buf = keep(new ArrayBuffer(next() % 64));
        for (let j = 0; j < buf.byteLength; ++j) new Uint8Array(buf)[j] = next();
        if (next() % 8 === 0) transfer.push(buf);
        return buf;
      }
      case 16: case 17: {
        // A view over a new buffer or over one made before (sharing).
        const old = made.filter((o) => o instanceof ArrayBuffer && o.byteLength > 0 && !transfer.includes(o));
        const buf = old.length && next() % 2 ? old[next() % old.length] : keep(new ArrayBuffer(16 + next() % 48));
        const V = views[next() % views.length];
        const size = V === DataView ? 1 : V.BYTES_PER_ELEMENT;
        const offset = (next() % 4) * 8;
        if (offset >= buf.byteLength) return keep(new Uint8Array(buf));
        const length = Math.floor((buf.byteLength - offset) / size) - (next() % 2);
        return keep(V === DataView ? new DataView(buf, offset, Math.max(0, length))
                                   : new V(buf, offset, Math.max(0, length)));
      }
      case 18: return made.length ? made[next() % made.length] : null;  // sharing, cycles
      case 19: return keep(new DOMException(str(), ['DataCloneError', 'AbortError', 'x'][next() % 3]));
      case 20: return keep(new Blob([str(), new Uint8Array([next(), next()])], { type: 'text/plain' }));
      case 21: return keep(new File([str()], str() || 'f', { lastModified: next() }));
      case 22: {
        if (next() % 4) return num();
        uncloneable = true;
        return [() => 1, Symbol('s'), new Headers(), new WeakMap()][next() % 4];
      }
      default: {
        // An object whose property points back at a container made before.
        const o = keep({});
        if (made.length) o.back = made[next() % made.length];
        o.v = gen(depth + 1);
        return o;
      }
    }
  };
  const value = gen(0);
  const transferred = transfer.map((b) => new Uint8Array(b.slice(0)));
  let clone, threw = null;
  try {
    clone = structuredClone(value, { transfer });
  } catch (e) {
    threw = e;
  }
  // An uncloneable value counts if it is still reachable (a later key or index may have
  // overwritten it).
  const reachable = (v, seen = new Set()) => {
    if (typeof v === 'function' || typeof v === 'symbol') return true;
    if (v === null || typeof v !== 'object' || seen.has(v)) return false;
    seen.add(v);
    if (v instanceof Headers || v instanceof WeakMap) return true;
    if (v instanceof Map) return [...v].some(([k, x]) => reachable(k, seen) || reachable(x, seen));
    if (v instanceof Set) return [...v].some((x) => reachable(x, seen));
    if (v instanceof Error || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false;
    return Object.keys(v).some((k) => reachable(v[k], seen));
  };
  uncloneable = uncloneable && reachable(value);
  if (uncloneable) {
    // Only an uncloneable value inside the graph makes it throw.
    if (!(threw instanceof DOMException) || threw.name !== 'DataCloneError') fail('expected a DataCloneError, got ' + threw);
    return;
  }
  if (threw) fail('clone threw: ' + threw + '\n' + (threw && threw.stack));
  transfer.forEach((b, j) => { if (b.byteLength !== 0) fail('transferred buffer not detached'); });

  // Structural equality, with sharing: a maps to exactly one b.
  const seen = new Map();
  const same = (a, b, path) => {
    if (typeof a !== typeof b) fail(path + ': typeof ' + typeof a + ' vs ' + typeof b);
    if (a === null || typeof a !== 'object') {
      if (!Object.is(a, b)) fail(path + ': ' + String(a) + ' vs ' + String(b));
      return;
    }
    if (seen.has(a)) {
      if (seen.get(a) !== b) fail(path + ': sharing lost');
      return;
    }
    if (a === b) fail(path + ': the clone is the same object');
    seen.set(a, b);
    const tag = Object.prototype.toString.call(a);
    if (tag !== Object.prototype.toString.call(b)) fail(path + ': ' + tag + ' vs ' + Object.prototype.toString.call(b));
    if (a instanceof Error && !(a instanceof DOMException)) {
      if (a.name !== b.name || a.message !== b.message) fail(path + ': error ' + a.name + ' vs ' + b.name);
      if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) fail(path + ': error prototype');
      return;
    }
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) fail(path + ': prototype');
    if (a instanceof DOMException) {
      if (a.name !== b.name || a.message !== b.message || a.code !== b.code) fail(path + ': DOMException');
      return;
    }
    if (a instanceof ArrayBuffer) {
      if (transfer.includes(a)) {
        const want = transferred[transfer.indexOf(a)];
        same([...want], [...new Uint8Array(b)], path + '[transferred]');
        return;
      }
      same([...new Uint8Array(a)], [...new Uint8Array(b)], path + '[bytes]');
      return;
    }
    if (ArrayBuffer.isView(a)) {
      if (a.byteOffset !== b.byteOffset || a.byteLength !== b.byteLength) fail(path + ': view bounds');
      same(a.buffer, b.buffer, path + '.buffer');
      return;
    }
    if (a instanceof Date) { same(a.getTime(), b.getTime(), path + '.time'); return; }
    if (a instanceof RegExp) {
      if (a.source !== b.source || a.flags !== b.flags) fail(path + ': regexp');
      if (b.lastIndex !== 0) fail(path + ': lastIndex');
      return;
    }
    if (a instanceof Number || a instanceof String || a instanceof Boolean || a instanceof BigInt) {
      same(a.valueOf(), b.valueOf(), path + '.valueOf()');
      return;
    }
    if (a instanceof File) {
      if (a.name !== b.name || a.lastModified !== b.lastModified) fail(path + ': file');
    }
    if (a instanceof Blob) {
      if (a.size !== b.size || a.type !== b.type) fail(path + ': blob');
      return;
    }
    if (a instanceof Map) {
      same([...a.keys()].length, [...b.keys()].length, path + '.size');
      const ea = [...a], eb = [...b];
      ea.forEach(([k, v], j) => { same(k, eb[j][0], path + '.key' + j); same(v, eb[j][1], path + '.value' + j); });
      return;
    }
    if (a instanceof Set) {
      const ea = [...a], eb = [...b];
      same(ea.length, eb.length, path + '.size');
      ea.forEach((v, j) => same(v, eb[j], path + '.member' + j));
      return;
    }
    const ka = Object.keys(a), kb = Object.keys(b);
    if (JSON.stringify(ka) !== JSON.stringify(kb)) fail(path + ': keys ' + JSON.stringify(ka) + ' vs ' + JSON.stringify(kb));
    if (Array.isArray(a) && a.length !== b.length) fail(path + ': length');
    for (const k of ka) same(a[k], b[k], path + '.' + k);
  };
  same(value, clone, 'value');
})
)JS";

torus::fuzz::JsTarget& target() {
  static torus::fuzz::JsTarget t("structured_clone_fuzz", kHarness);
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  target().run(data, size);
  return 0;
}
