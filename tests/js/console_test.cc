#include "js/api/console.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "js/api/headers.h"
#include "js/binding.h"
#include "js/globals.h"
#include "js/realm.h"
#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

struct InspectCase {
  const char* expr;
  const char* options;  // a JS expression, or nullptr
  const char* expected;
};

struct FormatCase {
  const char* args;  // a JS array expression
  const char* expected;
};

// Generated from Node 20's util.inspect on the same expressions.
const InspectCase kInspectCases[] = {
    {"'abc'", nullptr, "'abc'"},
    {"\"it's\"", nullptr, "\"it's\""},
    {"'a\\nb'", nullptr, "'a\\nb'"},
    {"'tab\\there\\x01\\x7f'", nullptr, "'tab\\there\\x01\\x7F'"},
    {"`both ' and \"`", nullptr, "`both ' and \"`"},
    {"42", nullptr, "42"},
    {"-0", nullptr, "-0"},
    {"0", nullptr, "0"},
    {"1.5", nullptr, "1.5"},
    {"NaN", nullptr, "NaN"},
    {"-Infinity", nullptr, "-Infinity"},
    {"123n", nullptr, "123n"},
    {"Symbol('foo')", nullptr, "Symbol(foo)"},
    {"Symbol()", nullptr, "Symbol()"},
    {"undefined", nullptr, "undefined"},
    {"null", nullptr, "null"},
    {"true", nullptr, "true"},
    {"[1, 2, 3]", nullptr, "[ 1, 2, 3 ]"},
    {"[]", nullptr, "[]"},
    {"['a', \"b'c\", 1n, null, undefined]", nullptr, "[ 'a', \"b'c\", 1n, null, undefined ]"},
    {"[1, , 3]", nullptr, "[ 1, <1 empty item>, 3 ]"},
    {"Array(3)", nullptr, "[ <3 empty items> ]"},
    {"Object.assign([1, 2], {extra: true})", nullptr, "[ 1, 2, extra: true ]"},
    {"({ a: 1, b: 'x' })", nullptr, "{ a: 1, b: 'x' }"},
    {"({})", nullptr, "{}"},
    {"({ 'a-b': 1, [Symbol('s')]: 2, 3: 'n' })", nullptr, "{ '3': 'n', 'a-b': 1, [Symbol(s)]: 2 }"},
    {"(() => { class Foo { constructor() { this.x = 1; } } return new Foo(); })()", nullptr,
     "Foo { x: 1 }"},
    {"(() => { class Empty {} return new Empty(); })()", nullptr, "Empty {}"},
    {"({a: {b: {c: {d: 1}}}})", nullptr, "{ a: { b: { c: [Object] } } }"},
    {"[[[[1]]]]", nullptr, "[ [ [ [Array] ] ] ]"},
    {"({a: [{b: {c: 1}}]})", nullptr, "{ a: [ { b: [Object] } ] }"},
    {"(() => { const o = {name: 'o'}; o.self = o; return o; })()", nullptr,
     "<ref *1> { name: 'o', self: [Circular *1] }"},
    {"(() => { const a = [1]; const o = {a}; a.push(o); return [o, a]; })()", nullptr,
     "[\n"
     "  <ref *1> { a: [ 1, [Circular *1] ] },\n"
     "  <ref *2> [ 1, <ref *1> { a: [Circular *2] } ]\n"
     "]"},
    {"new Map([['a', 1], [{k: 1}, [2]]])", nullptr, "Map(2) { 'a' => 1, { k: 1 } => [ 2 ] }"},
    {"new Map()", nullptr, "Map(0) {}"},
    {"new Set([1, 2])", nullptr, "Set(2) { 1, 2 }"},
    {"new Set()", nullptr, "Set(0) {}"},
    {"(function foo() {})", nullptr, "[Function: foo]"},
    {"() => {}", nullptr, "[Function (anonymous)]"},
    {"(class Foo {})", nullptr, "[class Foo]"},
    {"(() => { class Foo {} return class Bar extends Foo {}; })()", nullptr,
     "[class Bar extends Foo]"},
    {"(async function af() {})", nullptr, "[AsyncFunction: af]"},
    {"(function* gf() {})", nullptr, "[GeneratorFunction: gf]"},
    {"(async function* agf() {})", nullptr, "[AsyncGeneratorFunction: agf]"},
    {"Object.assign(function withProps() {}, {a: 1})", nullptr, "[Function: withProps] { a: 1 }"},
    {"new Date(0)", nullptr, "1970-01-01T00:00:00.000Z"},
    {"new Date(NaN)", nullptr, "Invalid Date"},
    {"/a+b/gi", nullptr, "/a+b/gi"},
    {"new Uint8Array([1, 2, 3])", nullptr, "Uint8Array(3) [ 1, 2, 3 ]"},
    {"new Float64Array(0)", nullptr, "Float64Array(0) []"},
    {"new BigInt64Array([1n, -2n])", nullptr, "BigInt64Array(2) [ 1n, -2n ]"},
    {"new Uint8Array([1, 2, 3]).buffer", nullptr,
     "ArrayBuffer { [Uint8Contents]: <01 02 03>, byteLength: 3 }"},
    {"new DataView(new ArrayBuffer(2))", nullptr,
     "DataView {\n"
     "  byteLength: 2,\n"
     "  byteOffset: 0,\n"
     "  buffer: ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }\n"
     "}"},
    {"Promise.resolve(4)", nullptr, "Promise { 4 }"},
    {"new Promise(() => {})", nullptr, "Promise { <pending> }"},
    {"(() => { const p = Promise.reject(3); p.catch(() => {}); return p; })()", nullptr,
     "Promise { <rejected> 3 }"},
    {"Array.from({length: 120}, (_, i) => i)", nullptr,
     "[\n"
     "   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n"
     "  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,\n"
     "  24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
     "  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,\n"
     "  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,\n"
     "  60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n"
     "  72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83,\n"
     "  84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,\n"
     "  96, 97, 98, 99,\n"
     "  ... 20 more items\n"
     "]"},
    {"Array.from({length: 7}, (_, i) => i)", nullptr,
     "[\n"
     "  0, 1, 2, 3,\n"
     "  4, 5, 6\n"
     "]"},
    {"Array.from({length: 26}, (_, i) => String.fromCharCode(97 + i).repeat(i % 5 + 1))", nullptr,
     "[\n"
     "  'a',     'bb',    'ccc',   'dddd',\n"
     "  'eeeee', 'f',     'gg',    'hhh',\n"
     "  'iiii',  'jjjjj', 'k',     'll',\n"
     "  'mmm',   'nnnn',  'ooooo', 'p',\n"
     "  'qq',    'rrr',   'ssss',  'ttttt',\n"
     "  'u',     'vv',    'www',   'xxxx',\n"
     "  'yyyyy', 'z'\n"
     "]"},
    {"Object.create(null)", nullptr, "[Object: null prototype] {}"},
    {"Object.assign(Object.create(null), {a: 1})", nullptr, "[Object: null prototype] { a: 1 }"},
    {"new Number(3)", nullptr, "[Number: 3]"},
    {"new String('ab')", nullptr, "[String: 'ab']"},
    {"new Boolean(false)", nullptr, "[Boolean: false]"},
    {"Object(1n)", nullptr, "[BigInt: 1n]"},
    {"Object(Symbol('b'))", nullptr, "[Symbol: Symbol(b)]"},
    {"({ get x() { return 1; }, set y(v) {}, get z() { return 1; }, set z(v) {} })", nullptr,
     "{ x: [Getter], y: [Setter], z: [Getter/Setter] }"},
    {"new WeakMap()", nullptr, "WeakMap { <items unknown> }"},
    {"new WeakSet()", nullptr, "WeakSet { <items unknown> }"},
    {"new Proxy({a: 1}, {})", nullptr, "{ a: 1 }"},
    {"new Proxy([1, 2], {})", nullptr, "[ 1, 2 ]"},
    {"new Map([[1, 2]]).entries()", nullptr, "[Map Entries] { [ 1, 2 ] }"},
    {"new Map([[1, 2]]).keys()", nullptr, "[Map Iterator] { 1 }"},
    {"new Set(['x']).values()", nullptr, "[Set Iterator] { 'x' }"},
    {"({ [Symbol.for('nodejs.util.inspect.custom')]() { return 'custom!'; } })", nullptr,
     "custom!"},
    {"({ [Symbol.for('nodejs.util.inspect.custom')]() { return {replaced: true}; } })", nullptr,
     "{ replaced: true }"},
    {"({ aaaaaaaaaa: 'xxxxxxxxxxxxxxxxxxxx', bbbbbbbbbb: 'xxxxxxxxxxxxxxxxxxxx', cccccccccc: 'xxx"
     "xxxxxxxxxxxxxxxxx' })",
     nullptr,
     "{\n"
     "  aaaaaaaaaa: 'xxxxxxxxxxxxxxxxxxxx',\n"
     "  bbbbbbbbbb: 'xxxxxxxxxxxxxxxxxxxx',\n"
     "  cccccccccc: 'xxxxxxxxxxxxxxxxxxxx'\n"
     "}"},
    {"({ list: Array.from({length: 30}, (_, i) => i * 100), nested: { deep: { deeper: { deepest: "
     "1 } } } })",
     nullptr,
     "{\n"
     "  list: [\n"
     "       0,  100,  200,  300,  400,  500,\n"
     "     600,  700,  800,  900, 1000, 1100,\n"
     "    1200, 1300, 1400, 1500, 1600, 1700,\n"
     "    1800, 1900, 2000, 2100, 2200, 2300,\n"
     "    2400, 2500, 2600, 2700, 2800, 2900\n"
     "  ],\n"
     "  nested: { deep: { deeper: [Object] } }\n"
     "}"},
    {"(function() { return arguments; })(1, 'a')", nullptr, "[Arguments] { '0': 1, '1': 'a' }"},
    {"({ [Symbol.toStringTag]: 'Tagged', a: 1 })", nullptr,
     "{ a: 1, [Symbol(Symbol.toStringTag)]: 'Tagged' }"},
    {"(() => { class Tagged { get [Symbol.toStringTag]() { return 'T'; } } return new Tagged(); }"
     ")()",
     nullptr, "Tagged [T] {}"},
    {"({ s: 'line one is long enough\\nline two is also long enough\\nline three is long enough t"
     "o wrap' })",
     nullptr,
     "{\n"
     "  s: 'line one is long enough\\n' +\n"
     "    'line two is also long enough\\n' +\n"
     "    'line three is long enough to wrap'\n"
     "}"},
    {"[new Map([['k', new Set([1])]])]", nullptr, "[ Map(1) { 'k' => Set(1) { 1 } } ]"},
    {"({ fn() {}, arrow: () => 1, cls: class {} })", nullptr,
     "{ fn: [Function: fn], arrow: [Function: arrow], cls: [class cls] }"},
    {"[undefined, null, -0, 0n]", nullptr, "[ undefined, null, -0, 0n ]"},
    {"(() => { const e = new Error('boom'); e.stack = \"Error: boom\\n    at f (file.js:1:1)\\n  "
     "  at g (file.js:2:2)\"; return e; })()",
     nullptr,
     "Error: boom\n"
     "    at f (file.js:1:1)\n"
     "    at g (file.js:2:2)"},
    {"(() => { const e = new Error('x'); e.stack = \"Error: x\"; return e; })()", nullptr,
     "[Error: x]"},
    {"(() => { const inner = new Error('inner'); inner.stack = 'Error: inner\\n    at i (file.js:"
     "1:1)'; const e = new Error('outer', {cause: inner}); e.stack = 'Error: outer\\n    at o (fil"
     "e.js:2:2)'; return e; })()",
     nullptr,
     "Error: outer\n"
     "    at o (file.js:2:2) {\n"
     "  [cause]: Error: inner\n"
     "      at i (file.js:1:1)\n"
     "}"},
    {"(() => { const e = new Error('outer', {cause: 'just a string'}); e.stack = 'Error: outer\\n"
     "    at o (file.js:2:2)'; return {wrapped: e}; })()",
     nullptr,
     "{\n"
     "  wrapped: Error: outer\n"
     "      at o (file.js:2:2) {\n"
     "    [cause]: 'just a string'\n"
     "  }\n"
     "}"},
    {"(() => { class MyError extends Error {} const e = new MyError('m'); e.stack = 'Error: m\\n "
     "   at x (f.js:1:1)'; return e; })()",
     nullptr,
     "MyError: m\n"
     "    at x (f.js:1:1)"},
    {"(() => { class Foo extends Error {} const e = new Foo('m'); e.stack = 'Error: m\\n    at x "
     "(f.js:1:1)'; return e; })()",
     nullptr,
     "Foo [Error]: m\n"
     "    at x (f.js:1:1)"},
    {"(() => { const e = new Error('boom'); e.stack = 'Error: boom\\n    at f (file.js:1:1)'; e.c"
     "ode = 'E1'; return e; })()",
     nullptr,
     "Error: boom\n"
     "    at f (file.js:1:1) {\n"
     "  code: 'E1'\n"
     "}"},
    {"(() => { const e = new Error('boom'); e.stack = 'Error: boom\\n    at f (file.js:1:1)'; ret"
     "urn { err: e, n: 1 }; })()",
     nullptr,
     "{\n"
     "  err: Error: boom\n"
     "      at f (file.js:1:1),\n"
     "  n: 1\n"
     "}"},
    {"(() => { const e = new TypeError('bad'); e.stack = 'TypeError: bad\\n    at f (file.js:1:1)"
     "'; e.name = 'CustomError'; return e; })()",
     nullptr,
     "TypeError: bad\n"
     "    at f (file.js:1:1) {\n"
     "  name: 'CustomError'\n"
     "}"},
    {"(() => { const a = new Error('a'); a.stack = 'Error: a\\n    at f (file.js:1:1)'; const e ="
     " new AggregateError([a], 'agg'); e.stack = 'AggregateError: agg\\n    at g (file.js:1:1)'; r"
     "eturn e; })()",
     nullptr,
     "AggregateError: agg\n"
     "    at g (file.js:1:1) {\n"
     "  [errors]: [\n"
     "    Error: a\n"
     "        at f (file.js:1:1)\n"
     "  ]\n"
     "}"},
    {"(() => { const e = new DOMException('stopped', 'AbortError'); e.stack = 'AbortError: stoppe"
     "d\\n    at f (file.js:1:1)'; return e; })()",
     nullptr,
     "DOMException [AbortError]: stopped\n"
     "    at f (file.js:1:1)"},
    {"({a: {b: {c: {d: {e: 1}}}}})", "{depth: 0}", "{ a: [Object] }"},
    {"({a: {b: {c: {d: {e: 1}}}}})", "{depth: null}",
     "{\n"
     "  a: {\n"
     "    b: { c: { d: { e: 1 } } }\n"
     "  }\n"
     "}"},
    {"({a: 1, b: [1, 2]})", "{compact: false}",
     "{\n"
     "  a: 1,\n"
     "  b: [\n"
     "    1,\n"
     "    2\n"
     "  ]\n"
     "}"},
    {"Array.from({length: 30}, (_, i) => i)", "{breakLength: Infinity}",
     "[\n"
     "   0,  1,  2,  3,  4,  5,  6,  7,  8,\n"
     "   9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
     "  18, 19, 20, 21, 22, 23, 24, 25, 26,\n"
     "  27, 28, 29\n"
     "]"},
    {"Object.defineProperty({a: 1}, 'hidden', {value: 2})", "{showHidden: true}",
     "{ a: 1, [hidden]: 2 }"},
    {"({c: 1, a: 2, b: 3})", "{sorted: true}", "{ a: 2, b: 3, c: 1 }"},
    {"({ get x() { return {y: 1}; }, get n() { return null; }, get s() { return 'str'; } })",
     "{getters: true}", "{ x: [Getter] { y: 1 }, n: [Getter: null], s: [Getter: 'str'] }"},
    {"[1, 2, 3, 4]", "{maxArrayLength: 2}", "[ 1, 2, ... 2 more items ]"},
    {"'abcdef'", "{maxStringLength: 3}", "'abc'... 3 more characters"},
    {"({aaaaaaaaaaaa: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', cccccccccccccc: 'ddddddddddddddddddddd"
     "dddddddddddddd', e: [1, 2]})",
     "{compact: true}",
     "{ aaaaaaaaaaaa: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',\n"
     "  cccccccccccccc: 'ddddddddddddddddddddddddddddddddddd',\n"
     "  e: [ 1, 2 ] }"},
    {"(() => { const m = new Map(); m.set('self', m); return m; })()", nullptr,
     "<ref *1> Map(1) { 'self' => [Circular *1] }"},
    {"Array.from({length: 10}, (_, i) => ({id: i, name: 'item' + i}))", nullptr,
     "[\n"
     "  { id: 0, name: 'item0' },\n"
     "  { id: 1, name: 'item1' },\n"
     "  { id: 2, name: 'item2' },\n"
     "  { id: 3, name: 'item3' },\n"
     "  { id: 4, name: 'item4' },\n"
     "  { id: 5, name: 'item5' },\n"
     "  { id: 6, name: 'item6' },\n"
     "  { id: 7, name: 'item7' },\n"
     "  { id: 8, name: 'item8' },\n"
     "  { id: 9, name: 'item9' }\n"
     "]"},
    {"Array.from({length: 8}, (_, i) => 'str' + 'x'.repeat(i))", nullptr,
     "[\n"
     "  'str',\n"
     "  'strx',\n"
     "  'strxx',\n"
     "  'strxxx',\n"
     "  'strxxxx',\n"
     "  'strxxxxx',\n"
     "  'strxxxxxx',\n"
     "  'strxxxxxxx'\n"
     "]"},
    {"Array.from({length: 101}, (_, i) => 'x' + i)", nullptr,
     "[\n"
     "  'x0',  'x1',  'x2',  'x3',  'x4',  'x5',  'x6',  'x7',\n"
     "  'x8',  'x9',  'x10', 'x11', 'x12', 'x13', 'x14', 'x15',\n"
     "  'x16', 'x17', 'x18', 'x19', 'x20', 'x21', 'x22', 'x23',\n"
     "  'x24', 'x25', 'x26', 'x27', 'x28', 'x29', 'x30', 'x31',\n"
     "  'x32', 'x33', 'x34', 'x35', 'x36', 'x37', 'x38', 'x39',\n"
     "  'x40', 'x41', 'x42', 'x43', 'x44', 'x45', 'x46', 'x47',\n"
     "  'x48', 'x49', 'x50', 'x51', 'x52', 'x53', 'x54', 'x55',\n"
     "  'x56', 'x57', 'x58', 'x59', 'x60', 'x61', 'x62', 'x63',\n"
     "  'x64', 'x65', 'x66', 'x67', 'x68', 'x69', 'x70', 'x71',\n"
     "  'x72', 'x73', 'x74', 'x75', 'x76', 'x77', 'x78', 'x79',\n"
     "  'x80', 'x81', 'x82', 'x83', 'x84', 'x85', 'x86', 'x87',\n"
     "  'x88', 'x89', 'x90', 'x91', 'x92', 'x93', 'x94', 'x95',\n"
     "  'x96', 'x97', 'x98', 'x99',\n"
     "  ... 1 more item\n"
     "]"},
    {"[-1, -22, 333, -4444, 5, 66, 777, 8]", nullptr,
     "[\n"
     "     -1, -22, 333,\n"
     "  -4444,   5,  66,\n"
     "    777,   8\n"
     "]"},
    {"Object.assign(Array(200), {5: 1})", nullptr, "[ <5 empty items>, 1, <194 empty items> ]"},
    {"Object.fromEntries(Array.from({length: 12}, (_, i) => ['key' + i, 'value' + i]))", nullptr,
     "{\n"
     "  key0: 'value0',\n"
     "  key1: 'value1',\n"
     "  key2: 'value2',\n"
     "  key3: 'value3',\n"
     "  key4: 'value4',\n"
     "  key5: 'value5',\n"
     "  key6: 'value6',\n"
     "  key7: 'value7',\n"
     "  key8: 'value8',\n"
     "  key9: 'value9',\n"
     "  key10: 'value10',\n"
     "  key11: 'value11'\n"
     "}"},
    {"'\\ud800x'", nullptr, "'\\ud800x'"},
    {"'a\\'b\"c`d'", nullptr, "'a\\'b\"c`d'"},
    {"Object.setPrototypeOf(function nf() {}, null)", nullptr, "[Function (null prototype): nf]"},
    {"Object.create(Object.create(null))", nullptr, "Object <[Object: null prototype] {}> {}"},
    {"Object.assign(new String('ab'), {extra: 1})", nullptr, "[String: 'ab'] { extra: 1 }"},
    {"(() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })()", nullptr,
     "<Revoked Proxy>"},
    {"new Proxy({a: 1}, {get() { return 5; }})", "{showProxy: true}",
     "Proxy [ { a: 1 }, { get: [Function: get] } ]"},
    {"({ [Symbol.iterator]() {} })", nullptr,
     "{ [Symbol(Symbol.iterator)]: [Function: [Symbol.iterator]] }"},
    {"({ constructor: 'not a function', a: 1 })", nullptr,
     "{ constructor: 'not a function', a: 1 }"},
    {"(function*(){})()", nullptr, "Object [Generator] {}"},
    {"({ __proto__: null, x: 1 })", nullptr, "[Object: null prototype] { x: 1 }"},
    {"Object.defineProperty({}, 'hidden', {value: 1})", nullptr, "{}"},
    {"['a long string that is longer than sixteen\\nand has a newline', 2]", nullptr,
     "[ 'a long string that is longer than sixteen\\nand has a newline', 2 ]"},
    {"({ 'key with spaces': { 'nested-key': [ 'value', { deep: true } ] } })", nullptr,
     "{ 'key with spaces': { 'nested-key': [ 'value', [Object] ] } }"},
    {"[function named() {}, class K {}, Symbol.iterator]", nullptr,
     "[ [Function: named], [class K], Symbol(Symbol.iterator) ]"},
    {"new Set([[1, 2], {a: new Set([1])}])", nullptr, "Set(2) { [ 1, 2 ], { a: Set(1) { 1 } } }"},
    {"({ a: new Uint8Array(200) })", nullptr,
     "{\n"
     "  a: Uint8Array(200) [\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n"
     "    0, 0, 0, 0,\n"
     "    ... 100 more items\n"
     "  ]\n"
     "}"},
    {"new Uint8Array(1000).buffer", nullptr,
     "ArrayBuffer {\n"
     "  [Uint8Contents]: <00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
     "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
     " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0"
     "0 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ... 900 more bytes>,\n"
     "  byteLength: 1000\n"
     "}"},
    {"[new Date(86400000), /x/]", nullptr, "[ 1970-01-02T00:00:00.000Z, /x/ ]"},
    {"({ 'a\\nb': 1, \"it's\": 2 })", nullptr, "{ 'a\\nb': 1, \"it's\": 2 }"},
    {"[[]]", "{depth: -1}", "[Array]"},
    {"({ a: 1 })", "{depth: -1}", "[Object]"},
    {"Object.assign(() => {}, { x: 1 })", nullptr, "[Function (anonymous)] { x: 1 }"},
    {"new (class extends Map {})([[1, 2]])", nullptr, "Map(1) { 1 => 2 }"},
    {"new (class Sub extends Array {})(3).fill(0)", nullptr, "Sub(3) [ 0, 0, 0 ]"},
    {"(() => { const o = {}; o.a = [o, {o}]; o.b = new Map([[o, o]]); return o; })()", nullptr,
     "<ref *1> {\n"
     "  a: [ [Circular *1], { o: [Circular *1] } ],\n"
     "  b: Map(1) { [Circular *1] => [Circular *1] }\n"
     "}"},
    // Errors with a cause, AggregateError, proxies, accessors, cycles through a Map, nested
    // collections, subclasses, and the platform classes (attributes as Node prints them).
    {"(() => { const S = (e) => { e.stack = e.stack.split('\\n')[0] + '\\n    at f (file.js:1:1"
     ")'; return e; }; return S(new Error('outer', { cause: S(new TypeError('inner')) })); })()",
     nullptr,
     "Error: outer\n    at f (file.js:1:1) {\n  [cause]: TypeError: inner\n      at f (file.js:"
     "1:1)\n}"},
    {"(() => { const S = (e) => { e.stack = e.stack.split('\\n')[0] + '\\n    at f (file.js:1:1"
     ")'; return e; }; return S(new Error('c', { cause: 'a string' })); })()",
     nullptr,
     "Error: c\n    at f (file.js:1:1) {\n  [cause]: 'a string'\n}"},
    {"(() => { const S = (e) => { e.stack = e.stack.split('\\n')[0] + '\\n    at f (file.js:1:1"
     ")'; return e; }; return S(new AggregateError([S(new Error('e1')), S(new RangeError('e2'))"
     "], 'many')); })()",
     nullptr,
     "AggregateError: many\n    at f (file.js:1:1) {\n  [errors]: [\n    Error: e1\n        at "
     "f (file.js:1:1),\n    RangeError: e2\n        at f (file.js:1:1)\n  ]\n}"},
    {"(() => { const S = (e) => { e.stack = e.stack.split('\\n')[0] + '\\n    at f (file.js:1:1"
     ")'; return e; }; const e = S(new Error('props')); e.code = 'E_X'; return { e }; })()",
     nullptr,
     "{\n  e: Error: props\n      at f (file.js:1:1) {\n    code: 'E_X'\n  }\n}"},
    {"new Proxy({ a: 1 }, {})",
     nullptr,
     "{ a: 1 }"},
    {"new Proxy([1, 2], { get: () => 5 })",
     nullptr,
     "[ 1, 2 ]"},
    {"({ get g() { return 1; }, set s(v) {}, get gs() { return 2; }, set gs(v) {} })",
     nullptr,
     "{ g: [Getter], s: [Setter], gs: [Getter/Setter] }"},
    {"(() => { const o = { a: [1] }; o.a.push(o); o.m = new Map([['self', o]]); return o; })()",
     nullptr,
     "<ref *1> {\n  a: [ 1, [Circular *1] ],\n  m: Map(1) { 'self' => [Circular *1] }\n}"},
    {"new Map([[{ a: 1 }, new Set([1, [2, 3]])], ['k', new Map([[1, 2]])]])",
     nullptr,
     "Map(2) { { a: 1 } => Set(2) { 1, [ 2, 3 ] }, 'k' => Map(1) { 1 => 2 } }"},
    {"new BigInt64Array([1n, -2n])",
     nullptr,
     "BigInt64Array(2) [ 1n, -2n ]"},
    {"(() => { class A {} class B extends A { constructor() { super(); this.q = 1; } } return ["
     "new B(), B]; })()",
     nullptr,
     "[ B { q: 1 }, [class B extends A] ]"},
    {"new Blob(['abc'])",
     nullptr,
     "Blob { size: 3, type: '' }"},
    {"new File(['abc'], 'a.txt', { type: 'text/plain', lastModified: 5 })",
     nullptr,
     "File { size: 3, type: 'text/plain', name: 'a.txt', lastModified: 5 }"},
    {"new AbortController()",
     nullptr,
     "AbortController { signal: AbortSignal { aborted: false } }"},
    {"AbortSignal.abort()",
     nullptr,
     "AbortSignal { aborted: true }"},
    {"new URLSearchParams('a=1&b=2')",
     nullptr,
     "URLSearchParams { 'a' => '1', 'b' => '2' }"},
    {"new EventTarget()",
     nullptr,
     "EventTarget {}"},
};

// Generated from Node 20's util.format on the same arguments.
const FormatCase kFormatCases[] = {
    {"['%s: %d', 'a', 42]", "a: 42"},
    {"['%i', 42.9]", "42"},
    {"['%f', '1.5']", "1.5"},
    {"['%j', {a: 1}]", "{\"a\":1}"},
    {"['%j', (() => { const o = {}; o.o = o; return o; })()]", "[Circular]"},
    {"['%o', [1]]", "[ 1, [length]: 1 ]"},
    {"['%o', {a: {b: {c: {d: {e: {f: 1}}}}}}]",
     "{\n"
     "  a: {\n"
     "    b: { c: { d: { e: [Object] } } }\n"
     "  }\n"
     "}"},
    {"['%O', {a: {b: {c: {d: 1}}}}]", "{ a: { b: { c: [Object] } } }"},
    {"['%c styled', 'color: red']", " styled"},
    {"['%%s', 1]", "%s 1"},
    {"['%%']", "%%"},
    {"['a', 'b', 1]", "a b 1"},
    {"[1, 'x']", "1 x"},
    {"['%s', {a: 1}]", "{ a: 1 }"},
    {"['%s', 'x', 'extra']", "x extra"},
    {"['%d']", "%d"},
    {"['%s', -0]", "-0"},
    {"['%s', 5n]", "5n"},
    {"['%d', 5n]", "5n"},
    {"['%s', null]", "null"},
    {"['%s', undefined]", "undefined"},
    {"['%s', Symbol('q')]", "Symbol(q)"},
    {"['%d', 'abc']", "NaN"},
    {"['%i', Symbol()]", "NaN"},
    {"['%s', new (class Foo { toString() { return 'FOO'; } })()]", "FOO"},
    {"['%s', [1, [2, [3]]]]", "[ 1, [Array] ]"},
    {"['%x %s', 1]", "%x 1"},
    {"['%s %s', 'only']", "only %s"},
    {"['100%', 1]", "100% 1"},
    {"[{a: 1}, 'str', [1]]", "{ a: 1 } str [ 1 ]"},
    {"['%s', new Date(0)]", "1970-01-01T00:00:00.000Z"},
    {"['%s', function f() {}]", "function f() {}"},
    {"['%o', function f() {}]",
     "<ref *1> [Function: f] {\n"
     "  [length]: 0,\n"
     "  [name]: 'f',\n"
     "  [arguments]: null,\n"
     "  [caller]: null,\n"
     "  [prototype]: { [constructor]: [Circular *1] }\n"
     "}"},
    {"['%s', new Map([[1, 2]])]", "Map(1) { 1 => 2 }"},
    {"['x%sy%sz', 1, 2, 3]", "x1y2z 3"},
};

class ConsoleTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmTest::SetUp();
  }

  // Evaluates code; on an exception, fails the test and returns undefined.
  v8::Local<v8::Value> eval(const std::string& code) {
    v8::TryCatch tc(iso());
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    v8::ScriptOrigin origin(iso(), v8Str(iso(), "test.js"));
    if (!v8::Script::Compile(ctx(), v8Str(iso(), code), &origin).ToLocal(&script) ||
        !script->Run(ctx()).ToLocal(&result)) {
      ADD_FAILURE() << code << " threw " << utf8(iso(), tc.Exception());
      return v8::Undefined(iso());
    }
    return result;
  }
  std::string run(const std::string& code) { return utf8(iso(), eval(code)); }

  std::string inspect(v8::Local<v8::Value> v, v8::Local<v8::Value> options = {}) {
    v8::Local<v8::Function> fn = realm_->helper("inspect");
    EXPECT_FALSE(fn.IsEmpty());
    v8::Local<v8::Value> args[] = {
        v, options.IsEmpty() ? v8::Undefined(iso()).As<v8::Value>() : options};
    v8::TryCatch tc(iso());
    v8::Local<v8::Value> out;
    if (!fn->Call(ctx(), v8::Undefined(iso()), 2, args).ToLocal(&out)) {
      ADD_FAILURE() << "inspect threw " << utf8(iso(), tc.Exception());
      return {};
    }
    EXPECT_TRUE(out->IsString());
    return utf8(iso(), out);
  }
  std::string inspect(const std::string& expr) { return inspect(eval(expr)); }

  // What running code writes to stdout and stderr, through pipes put over fds 1 and 2.
  struct Output {
    std::string out;
    std::string err;
  };
  Output capture(const std::string& code) {
    fflush(stdout);
    fflush(stderr);
    int outPipe[2], errPipe[2];
    EXPECT_EQ(pipe(outPipe), 0);
    EXPECT_EQ(pipe(errPipe), 0);
    int savedOut = dup(1), savedErr = dup(2);
    dup2(outPipe[1], 1);
    dup2(errPipe[1], 2);
    close(outPipe[1]);
    close(errPipe[1]);
    eval(code);
    // Restoring closes the last write ends: the readers see EOF.
    dup2(savedOut, 1);
    dup2(savedErr, 2);
    close(savedOut);
    close(savedErr);
    Output o{drain(outPipe[0]), drain(errPipe[0])};
    return o;
  }
  static std::string drain(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
    close(fd);
    return s;
  }
  std::string stdoutOf(const std::string& code) {
    Output o = capture(code);
    EXPECT_EQ(o.err, "");
    return o.out;
  }
  std::string stderrOf(const std::string& code) {
    Output o = capture(code);
    EXPECT_EQ(o.out, "");
    return o.err;
  }

};

TEST_F(ConsoleTest, InspectMatchesNode) {
  for (const InspectCase& c : kInspectCases) {
    SCOPED_TRACE(c.expr);
    v8::Local<v8::Value> value = eval(c.expr);
    v8::Local<v8::Value> options;
    if (c.options) options = eval(std::string("(") + c.options + ")");
    EXPECT_EQ(inspect(value, options), c.expected);
  }
}

TEST_F(ConsoleTest, FormatMatchesNode) {
  v8::Local<v8::Function> format = realm_->helper("format");
  ASSERT_FALSE(format.IsEmpty());
  for (const FormatCase& c : kFormatCases) {
    SCOPED_TRACE(c.args);
    v8::Local<v8::Array> args = eval(c.args).As<v8::Array>();
    std::vector<v8::Local<v8::Value>> argv;
    for (uint32_t i = 0; i < args->Length(); ++i) {
      argv.push_back(args->Get(ctx(), i).ToLocalChecked());
    }
    v8::Local<v8::Value> out;
    ASSERT_TRUE(
        format->Call(ctx(), v8::Undefined(iso()), int(argv.size()), argv.data()).ToLocal(&out));
    EXPECT_EQ(utf8(iso(), out), c.expected);
  }
}

TEST_F(ConsoleTest, LongStringsAreCut) {
  std::string out = inspect("'x'.repeat(20000)");
  EXPECT_EQ(out, "'" + std::string(10000, 'x') + "'... 10000 more characters");
}

TEST_F(ConsoleTest, ErrorsPrintTheirStack) {
  v8::Local<v8::Value> err =
      eval("function thrower() { return new Error('boom'); } globalThis.e = thrower(); e");
  std::string stack = run("e.stack");
  EXPECT_EQ(stack.rfind("Error: boom\n    at thrower (test.js:1:29)\n    at test.js:1", 0), 0u)
      << stack;
  EXPECT_EQ(inspect(err), stack);
  EXPECT_EQ(inspect("[new RangeError('r')]"), "[\n  RangeError: r\n      at test.js:1:2\n]");
}

TEST_F(ConsoleTest, DOMExceptionPrintsLikeNode) {
  std::string out = inspect("new DOMException('stopped', 'AbortError')");
  EXPECT_EQ(out.rfind("DOMException [AbortError]: stopped\n    at test.js:1:1", 0), 0u) << out;
}

TEST_F(ConsoleTest, HeadersPrintTheirEntries) {
  EXPECT_EQ(inspect("new Headers({'Content-Type': 'text/plain', accept: '*/*'})"),
            "Headers { accept: '*/*', 'content-type': 'text/plain' }");
  EXPECT_EQ(inspect("new Headers()"), "Headers {}");
  EXPECT_EQ(inspect("({h: new Headers([['set-cookie', 'a'], ['Set-Cookie', 'b']])})"),
            "{ h: Headers { 'set-cookie': 'a', 'set-cookie': 'b' } }");
}

TEST_F(ConsoleTest, GlobalConsoleIsOurs) {
  EXPECT_EQ(run("Object.prototype.toString.call(console)"), "[object console]");
  EXPECT_EQ(run("Object.keys(globalThis).includes('console')"), "false");
  EXPECT_EQ(run("typeof console.log + typeof console.table + typeof console.timeEnd"),
            "functionfunctionfunction");
}

TEST_F(ConsoleTest, LogWritesToStdout) {
  EXPECT_EQ(stdoutOf("console.log('%s=%d', 'x', 5, {a: 1}, 'raw', ['nested'])"),
            "x=5 { a: 1 } raw [ 'nested' ]\n");
  EXPECT_EQ(stdoutOf("console.info('info'); console.debug('debug'); console.log()"),
            "info\ndebug\n\n");
  // A detached method still works.
  EXPECT_EQ(stdoutOf("const log = console.log; log('detached')"), "detached\n");
  EXPECT_EQ(stdoutOf("console.log({a: {b: {c: {d: 1}}}}, 'caf\\u00e9')"),
            "{ a: { b: { c: [Object] } } } caf\xc3\xa9\n");
  Output both = capture("console.error('to stderr'); console.log('to stdout')");
  EXPECT_EQ(both.out, "to stdout\n");
  EXPECT_EQ(both.err, "to stderr\n");
}

TEST_F(ConsoleTest, WarnAndErrorWriteToStderr) {
  EXPECT_EQ(stderrOf("console.warn('w %i', 3.7); console.error(new Map([[1, 2]]))"),
            "w 3\nMap(1) { 1 => 2 }\n");
  EXPECT_EQ(stderrOf("console.assert(false, 'nope %d', 1); console.assert(true, 'fine');"
                     "console.assert(false)"),
            "Assertion failed: nope 1\nAssertion failed\n");
  std::string trace = stderrOf("function f() { console.trace('hi %d', 1) } f()");
  EXPECT_EQ(trace.rfind("Trace: hi 1\n    at f (test.js:1:24)\n", 0), 0u) << trace;
}

TEST_F(ConsoleTest, GroupsCountsAndTimers) {
  EXPECT_EQ(stdoutOf("console.group('G'); console.log('in\\nside'); console.group();"
                     "console.log({a: [1, 2, 3, 4, 5, 6, 7]}); console.groupEnd();"
                     "console.groupEnd(); console.log('out')"),
            "G\n  in\n  side\n    {\n      a: [\n        1, 2, 3, 4,\n        5, 6, 7\n"
            "      ]\n    }\nout\n");
  EXPECT_EQ(stdoutOf("console.count(); console.count(); console.count('x');"
                     "console.countReset(); console.count()"),
            "default: 1\ndefault: 2\nx: 1\ndefault: 1\n");
  std::string t = stdoutOf("console.time('t'); console.timeLog('t', 'more'); console.timeEnd('t')");
  EXPECT_TRUE(std::regex_match(t, std::regex("t: [0-9.]+ms more\nt: [0-9.]+ms\n"))) << t;
  EXPECT_EQ(stderrOf("console.timeEnd('nope')"),
            "Warning: No such label 'nope' for console.timeEnd()\n");
}

// https://console.spec.whatwg.org/#console-namespace, #assert, #clear.
TEST_F(ConsoleTest, NamespaceAssertAndClearAreAsSpecified) {
  EXPECT_EQ(run("const p = Object.getPrototypeOf(console);"
                "Object.getOwnPropertyNames(p).length + ' ' +"
                "(Object.getPrototypeOf(p) === Object.prototype)"),
            "0 true");
  EXPECT_EQ(run("['assert', 'table', 'dir', 'clear', 'log', 'count'].map((k) => console[k].length)"
                ".join()"),
            "0,0,0,0,0,0");
  EXPECT_EQ(run("let t; try { new console.log(); } catch (e) { t = e.constructor.name; } t"),
            "TypeError");
  EXPECT_EQ(stderrOf("console.assert(false); console.assert(0, 'x %d', 1);"
                     "console.assert(false, {a: 1}, 2); console.assert(true, 'no')"),
            "Assertion failed\nAssertion failed: x 1\nAssertion failed { a: 1 } 2\n");
  EXPECT_EQ(stdoutOf("console.group('g'); console.group(); console.clear(); console.log('x')"),
            "g\nx\n");
  // group() writes its label itself: a replaced console.log does not change it.
  EXPECT_EQ(stdoutOf("console.log = () => {}; console.group('kept'); console.groupEnd()"),
            "kept\n");
}

TEST_F(ConsoleTest, TableMatchesNode) {
  EXPECT_EQ(stdoutOf("console.table([{a: 1, b: 'x'}, {a: 2, c: [1, 2, 3, 4]}])"),
            "┌─────────┬───┬─────┬──────────────────────────────┐\n"
            "│ (index) │ a │ b   │ c                            │\n"
            "├─────────┼───┼─────┼──────────────────────────────┤\n"
            "│ 0       │ 1 │ 'x' │                              │\n"
            "│ 1       │ 2 │     │ [ 1, 2, 3, ... 1 more item ] │\n"
            "└─────────┴───┴─────┴──────────────────────────────┘\n");
  EXPECT_EQ(stdoutOf("console.table(new Map([['k', 1]]))"),
            "┌───────────────────┬─────┬────────┐\n"
            "│ (iteration index) │ Key │ Values │\n"
            "├───────────────────┼─────┼────────┤\n"
            "│ 0                 │ 'k' │ 1      │\n"
            "└───────────────────┴─────┴────────┘\n");
  EXPECT_EQ(stdoutOf("console.table([1, 'two'])"),
            "┌─────────┬────────┐\n"
            "│ (index) │ Values │\n"
            "├─────────┼────────┤\n"
            "│ 0       │ 1      │\n"
            "│ 1       │ 'two'  │\n"
            "└─────────┴────────┘\n");
  EXPECT_EQ(stdoutOf("console.table({r1: {c: 1}, r2: {c: 22}}, ['c'])"),
            "┌─────────┬────┐\n"
            "│ (index) │ c  │\n"
            "├─────────┼────┤\n"
            "│ r1      │ 1  │\n"
            "│ r2      │ 22 │\n"
            "└─────────┴────┘\n");
  EXPECT_EQ(stdoutOf("console.table('not tabular')"), "not tabular\n");
}

TEST_F(ConsoleTest, InspectReadsThroughPatchedBuiltins) {
  // Collections, dates and typed arrays are read with built-ins captured at install time.
  EXPECT_EQ(run("Map.prototype.entries = Set.prototype.values = () => { throw new Error() };"
                "Date.prototype.toISOString = () => 'patched';"
                "Object.defineProperty(Map.prototype, 'size', {get() { return 99 }}); 'ok'"),
            "ok");
  EXPECT_EQ(inspect("[new Map([[1, new Set([2])]]), new Date(0)]"),
            "[ Map(1) { 1 => Set(1) { 2 } }, 1970-01-01T00:00:00.000Z ]");
}

TEST(DOMExceptionTest, Semantics) {
  ensureV8();
  Realm realm(RealmOptions{});
  v8::HandleScope scope(realm.isolate());
  installGlobals(realm);
  auto run = [&](const char* code) {
    v8::TryCatch tc(realm.isolate());
    v8::Local<v8::Value> result;
    if (!v8::Script::Compile(realm.context(), v8Str(realm.isolate(), code))
             .ToLocalChecked()
             ->Run(realm.context())
             .ToLocal(&result)) {
      return "threw " + utf8(realm.isolate(), tc.Exception());
    }
    return utf8(realm.isolate(), result);
  };
  EXPECT_EQ(run("const d = new DOMException(); [d.name, d.message, d.code].join('|')"), "Error||0");
  EXPECT_EQ(run("const n = new DOMException('gone', 'NotFoundError');"
                "[n.name, n.message, n.code, n instanceof DOMException, n instanceof Error]"),
            "NotFoundError,gone,8,true,true");
  EXPECT_EQ(run("[new DOMException('', 'DataCloneError').code,"
                " new DOMException('', 'EncodingError').code,"
                " new DOMException('', 'ValidationError').code]"),
            "25,0,0");
  EXPECT_EQ(run("[new DOMException(null, null).name, new DOMException(undefined).message === '']"),
            "null,true");
  EXPECT_EQ(run("[DOMException.ABORT_ERR, DOMException.prototype.DATA_CLONE_ERR,"
                " DOMException.VALIDATION_ERR, DOMException.length]"),
            "20,25,16,0");
  EXPECT_EQ(run("DOMException.INDEX_SIZE_ERR = 5; DOMException.INDEX_SIZE_ERR"), "1");
  EXPECT_EQ(run("Object.prototype.toString.call(new DOMException())"), "[object DOMException]");
  EXPECT_EQ(run("Object.getPrototypeOf(DOMException.prototype) === Error.prototype"), "true");
  EXPECT_EQ(run("Object.keys(new DOMException('x', 'AbortError')).length"), "0");
  EXPECT_EQ(run("Object.getOwnPropertyDescriptor(DOMException.prototype, 'code').enumerable"),
            "true");
  EXPECT_EQ(run("Object.getOwnPropertyDescriptor(DOMException.prototype, 'name').get.call({})"),
            "threw TypeError: Illegal invocation");
  EXPECT_EQ(run("new DOMException('stopped', 'AbortError').stack.split('\\n')[0]"),
            "AbortError: stopped");
  EXPECT_EQ(run("String(new DOMException('m', 'SyntaxError'))"), "SyntaxError: m");
  EXPECT_EQ(run("try { DOMException() } catch (e) { e.constructor.name }"), "TypeError");
  EXPECT_EQ(run("Object.keys(globalThis).includes('DOMException')"), "false");
  // Subclasses keep working.
  EXPECT_EQ(run("class Sub extends DOMException {} const s = new Sub('m', 'AbortError');"
                "[s.name, s.code, s instanceof DOMException]"),
            "AbortError,20,true");
}

}  // namespace
}  // namespace torus::js
