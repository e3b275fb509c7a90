// Fuzz target for Headers operations (js/api/headers.h): the input is a program of up to 64
// operations (append, set, delete, get, has, getSetCookie, iteration, copy constructors from
// a Headers, a record and a sequence) on names and values made of the input's bytes and of
// awkward characters (CR, LF, NUL, whitespace, U+00FF, U+0100, lone surrogates), run on a
// real Headers and on a model of the Fetch standard's header list kept beside it.
//
// Invariants (the harness throws, the target traps): every operation throws a TypeError
// exactly when the standard says (a name that is no token, a value with NUL/CR/LF after
// trimming HTTP whitespace, a character above U+00FF) and otherwise returns what the model
// returns: get() the values joined by ", ", has(), getSetCookie() in order, iteration
// sorted by lowercased name and combined, Set-Cookie kept apart; copies iterate the same.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/js_target.h"

namespace {

const char kHarness[] = R"JS(
(function (bytes) {
  let i = 0;
  const next = () => (i < bytes.length ? bytes[i++] : 0);
  const pool = ['a', 'B', 'z', '-', '_', '0', ' ', '\t', '\r', '\n', '\0', ':', ',', ';', '=',
                '"', '\u00ff', '\u00e9', '\u0100', '\ud800', '\u{1F600}', '\x7f', '\x0b'];
  const common = ['Content-Type', 'content-type', 'Set-Cookie', 'set-cookie', 'Accept', 'X-A',
                  'x-a', 'a', 'A', ''];
  const str = (allowCommon) => {
    const k = next();
    if (allowCommon && k % 4 === 0) return common[next() % common.length];
    let s = '';
    const n = k % 7;
    for (let j = 0; j < n; ++j) {
      const b = next();
      s += b < 128 && b >= 32 ? String.fromCharCode(b) : pool[b % pool.length];
    }
    return s;
  };
  const fail = (what) => { throw new Error(what); };
  const isToken = (s) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s);
  const isByteString = (s) => { for (const c of s) if (c.codePointAt(0) > 0xff) return false; return true; };
  const trim = (v) => v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  const validName = (n) => isByteString(n) && isToken(n);
  const validValue = (v) => isByteString(v) && !/[\0\r\n]/.test(trim(v));
  const expectThrow = (what, fn) => {
    let threw = null;
    try { fn(); } catch (e) { threw = e; }
    if (!(threw instanceof TypeError)) fail(what + ': expected a TypeError, got ' + threw);
  };
  const h = new Headers();
  let model = [];  // [lowercased name, value], in order
  const modelGet = (n) => {
    const vs = model.filter(([m]) => m === n.toLowerCase()).map(([, v]) => v);
    return vs.length ? vs.join(', ') : null;
  };
  const sorted = () => {
    const names = [...new Set(model.map(([m]) => m))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const out = [];
    for (const n of names) {
      if (n === 'set-cookie') {
        for (const [m, v] of model) if (m === n) out.push([n, v]);
      } else {
        out.push([n, modelGet(n)]);
      }
    }
    return out;
  };
  const same = (what, got, want) => {
    const g = JSON.stringify(got), w = JSON.stringify(want);
    if (g !== w) fail(what + ': got ' + g + ', want ' + w);
  };
  for (let op = 0; op < 64 && i < bytes.length; ++op) {
    const kind = next() % 10;
    const n = str(true);
    if (kind === 0 || kind === 1) {  // append, set
      const v = str(false);
      const call = () => (kind === 0 ? h.append(n, v) : h.set(n, v));
      if (!validName(n) || !validValue(v)) {
        expectThrow((kind ? 'set' : 'append') + JSON.stringify([n, v]), call);
        continue;
      }
      call();
      const m = n.toLowerCase(), t = trim(v);
      if (kind === 0) {
        model.push([m, t]);
      } else {
        const at = model.findIndex(([x]) => x === m);
        if (at < 0) {
          model.push([m, t]);
        } else {
          model[at] = [m, t];
          model = model.filter(([x], j) => x !== m || j === at);
        }
      }
    } else if (kind === 2 || kind === 3 || kind === 4) {  // delete, get, has
      const call = () => (kind === 2 ? h.delete(n) : kind === 3 ? h.get(n) : h.has(n));
      if (!validName(n)) {
        expectThrow(['delete', 'get', 'has'][kind - 2] + JSON.stringify(n), call);
        continue;
      }
      const r = call();
      if (kind === 2) model = model.filter(([x]) => x !== n.toLowerCase());
      if (kind === 3) same('get ' + JSON.stringify(n), r, modelGet(n));
      if (kind === 4) same('has ' + JSON.stringify(n), r, modelGet(n) !== null);
    } else if (kind === 5) {
      same('getSetCookie', h.getSetCookie(), model.filter(([m]) => m === 'set-cookie').map(([, v]) => v));
    } else if (kind === 6) {
      same('entries', [...h], sorted());
      same('keys', [...h.keys()], sorted().map(([k]) => k));
      same('values', [...h.values()], sorted().map(([, v]) => v));
    } else if (kind === 7) {
      // A Headers is read as a sequence of its (combined) entries, each appended again, so
      // a combined value is trimmed once more (", " of two empty values becomes ",").
      same('copy', [...new Headers(h)], sorted().map(([k, v]) => [k, trim(v)]));
    } else if (kind === 8) {  // from a sequence of pairs, one maybe malformed
      const pairs = model.map(([m, v]) => [m, v]);
      if (next() % 4 === 0) {
        pairs.push(next() % 2 ? [n] : [n, 'v', 'w']);
        expectThrow('sequence with a bad pair', () => new Headers(pairs));
      } else {
        same('from pairs', [...new Headers(pairs)], sorted());
      }
    } else {  // from a record: one value per name (the last wins)
      const rec = {};
      for (const [m, v] of model) if (m !== 'set-cookie') rec[m] = v;
      const want = Object.entries(rec).map(([m, v]) => [m, v]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      same('from a record', [...new Headers(rec)], want);
    }
  }
  same('end', [...h], sorted());
})
)JS";

torus::fuzz::JsTarget& target() {
  static torus::fuzz::JsTarget t("headers_fuzz", kHarness);
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  target().run(data, size);
  return 0;
}
