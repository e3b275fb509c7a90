// TextEncoder, TextDecoder (Encoding Standard) and atob/btoa (HTML).
import { test, assert, equal, deepEqual, throws, done } from "./assert.js";

const bytes = (...b) => new Uint8Array(b);

await test("interfaces are WebIDL-shaped", () => {
  for (const name of ["TextEncoder", "TextDecoder"]) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    deepEqual([d.writable, d.enumerable, d.configurable], [true, false, true], name);
  }
  equal(Object.prototype.toString.call(new TextDecoder()), "[object TextDecoder]");
  equal(Object.prototype.toString.call(new TextEncoder()), "[object TextEncoder]");
  equal(TextDecoder.prototype.decode.length, 0);
  equal(TextEncoder.prototype.encodeInto.length, 2);
  assert(Object.getOwnPropertyDescriptor(TextDecoder.prototype, "encoding").enumerable);
  throws(() => TextDecoder(), TypeError);
  throws(() => TextDecoder.prototype.decode.call({}), TypeError, /Illegal invocation/);
  throws(() => Object.getOwnPropertyDescriptor(TextDecoder.prototype, "fatal").get.call(new TextEncoder()),
    TypeError, /Illegal invocation/);
  throws(() => TextEncoder.prototype.encode.call(new TextDecoder()), TypeError, /Illegal invocation/);
  for (const name of ["atob", "btoa"]) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    deepEqual([d.writable, d.enumerable, d.configurable], [true, true, true], name);
    equal(globalThis[name].length, 1);
    throws(() => new globalThis[name]("YQ=="), TypeError);
  }
});

await test("labels and errors", () => {
  equal(new TextDecoder().encoding, "utf-8");
  equal(new TextDecoder(" \tLATIN1\n").encoding, "windows-1252");
  equal(new TextDecoder("utf-16").encoding, "utf-16le");
  equal(new TextDecoder("sjis").encoding, "shift_jis");
  equal(new TextDecoder("x-mac-ukrainian").encoding, "x-mac-cyrillic");
  throws(() => new TextDecoder("x"), RangeError,
    /^Failed to construct 'TextDecoder': The encoding label provided \('x'\) is invalid\.$/);
  throws(() => new TextDecoder("iso-2022-kr"), RangeError, /is invalid/);
  throws(() => new TextDecoder("replacement"), RangeError, /is invalid/);
  throws(() => new TextDecoder("utf-8", 5), TypeError, /dictionary/);
  const d = new TextDecoder("utf-8", { fatal: 1, ignoreBOM: "" });
  equal(d.fatal, true);
  equal(d.ignoreBOM, false);
  throws(() => d.decode(bytes(0xff)), TypeError,
    /^Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding utf-8$/);
  throws(() => new TextDecoder("utf-16be", { fatal: true }).decode(bytes(0)), TypeError,
    /encoding utf-16be$/);
  throws(() => new TextDecoder().decode("abc"), TypeError, /parameter 1/);
  throws(() => new TextDecoder().decode(new Uint8Array(1), 5), TypeError, /dictionary/);
});

await test("decode accepts every buffer source", () => {
  const d = new TextDecoder();
  const buf = new TextEncoder().encode("xhéllo").buffer;
  equal(d.decode(buf), "xhéllo");
  equal(d.decode(new DataView(buf, 1)), "héllo");
  equal(d.decode(new Uint16Array(buf, 0, 2)), "xhé");
  equal(d.decode(new Uint8Array(buf, 0, 3)), "xh\uFFFD");
  equal(d.decode(new Uint8Array(new SharedArrayBuffer(2)).fill(65)), "AA");
  equal(d.decode(), "");
  equal(d.decode(undefined, { stream: true }), "");
});

await test("BOM handling and ignoreBOM", () => {
  equal(new TextDecoder().decode(bytes(0xEF, 0xBB, 0xBF, 0x41)), "A");
  equal(new TextDecoder().decode(bytes(0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF)), "\uFEFF");
  equal(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes(0xEF, 0xBB, 0xBF, 0x41)), "\uFEFFA");
  equal(new TextDecoder("utf-16le").decode(bytes(0xFF, 0xFE, 0x41, 0)), "A");
  equal(new TextDecoder("utf-16be").decode(bytes(0xFE, 0xFF, 0, 0x41)), "A");
  // A BOM of the other byte order is not a BOM.
  equal(new TextDecoder("utf-16le").decode(bytes(0xFE, 0xFF)), "\uFFFE");
  // Not for legacy encodings.
  equal(new TextDecoder("windows-1252").decode(bytes(0xEF, 0xBB, 0xBF)), "ï»¿");
  // A BOM split across streaming calls, and only at the very start of the stream.
  const d = new TextDecoder();
  equal(d.decode(bytes(0xEF), { stream: true }), "");
  equal(d.decode(bytes(0xBB), { stream: true }), "");
  equal(d.decode(bytes(0xBF, 0x41), { stream: true }), "A");
  equal(d.decode(bytes(0xEF, 0xBB, 0xBF), { stream: true }), "\uFEFF");
  equal(d.decode(), "");
  // After a flush the next call starts a new stream, BOM and all.
  equal(d.decode(bytes(0xEF, 0xBB, 0xBF, 0x42)), "B");
});

await test("streaming: every split of multi-byte sequences", () => {
  const cases = [
    ["utf-8", new TextEncoder().encode("a\u00e9\u20ac\u{1F600}z\uFFFD")],
    ["utf-8", bytes(0x41, 0xF0, 0x9F, 0x41, 0xE0, 0x80, 0xC3)],
    ["utf-16le", bytes(0x41, 0, 0x3D, 0xD8, 0, 0xDE, 0, 0xDC, 0x42)],
    ["utf-16be", bytes(0, 0x41, 0xD8, 0x3D, 0xDE, 0, 0xD8, 0)],
    ["gb18030", bytes(0x81, 0x30, 0x81, 0x30, 0xC4, 0xE3, 0x90, 0x30, 0x81, 0x30, 0x81)],
    ["shift_jis", bytes(0x82, 0xA0, 0x81, 0x20, 0xB1, 0x82)],
    ["euc-jp", bytes(0x8F, 0xB0, 0xA1, 0xA4, 0xA2, 0x8E)],
    ["iso-2022-jp", bytes(0x1B, 0x24, 0x42, 0x30, 0x21, 0x1B, 0x28, 0x42, 0x41, 0x1B)],
    ["big5", bytes(0x88, 0x62, 0xA4, 0x40, 0xA4)],
    ["euc-kr", bytes(0xB0, 0xA1, 0xB0)],
  ];
  for (const [label, input] of cases) {
    const whole = new TextDecoder(label).decode(input);
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) {
        const d = new TextDecoder(label);
        const out = d.decode(input.subarray(0, a), { stream: true }) +
          d.decode(input.subarray(a, b), { stream: true }) + d.decode(input.subarray(b));
        equal(out, whole, `${label} split at ${a},${b}`);
      }
    }
  }
});

await test("fatal streaming errors and recovery", () => {
  const d = new TextDecoder("utf-8", { fatal: true });
  equal(d.decode(bytes(0xE2, 0x82), { stream: true }), "");
  throws(() => d.decode(bytes(0x41)), TypeError);  // the partial sequence ends at a non-trail
  equal(d.decode(bytes(0xE2, 0x82, 0xAC)), "€");   // a new stream after the error
  equal(d.decode(bytes(0xE2), { stream: true }), "");
  throws(() => d.decode(), TypeError);              // flushed with a partial sequence
  equal(d.decode(bytes(0x41)), "A");
});

await test("legacy encodings", () => {
  equal(new TextDecoder("windows-1252").decode(bytes(0x80, 0x9F, 0xE9)), "€Ÿé");
  equal(new TextDecoder("iso-8859-2").decode(bytes(0xA1, 0xFF)), "Ą˙");
  equal(new TextDecoder("koi8-r").decode(bytes(0xC1)), "а");
  equal(new TextDecoder("x-user-defined").decode(bytes(0x41, 0x80)), "A\uF780");
  equal(new TextDecoder("windows-874").decode(bytes(0xDB)), "\uFFFD");
  throws(() => new TextDecoder("windows-874", { fatal: true }).decode(bytes(0xDB)), TypeError,
    /encoding windows-874$/);
  equal(new TextDecoder("gbk").decode(bytes(0xC4, 0xE3, 0xBA, 0xC3)), "你好");
  equal(new TextDecoder("gb18030").decode(bytes(0xA6, 0xD9)), "\uFE10");
  equal(new TextDecoder("big5").decode(bytes(0xA4, 0x40)), "一");
  equal(new TextDecoder("euc-kr").decode(bytes(0xC7, 0xD1)), "한");
  equal(new TextDecoder("shift_jis").decode(bytes(0x93, 0xFA, 0x96, 0x7B)), "日本");
  equal(new TextDecoder("euc-jp").decode(bytes(0xC6, 0xFC, 0xCB, 0xDC)), "日本");
  equal(new TextDecoder("iso-2022-jp").decode(bytes(0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C)), "日本");
});

await test("encode", () => {
  const e = new TextEncoder();
  equal(e.encoding, "utf-8");
  deepEqual(e.encode(), new Uint8Array(0));
  deepEqual(e.encode(undefined), new Uint8Array(0));
  deepEqual(e.encode(null), bytes(110, 117, 108, 108));
  deepEqual(e.encode("\u00e9\u{1F600}"), bytes(0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80));
  deepEqual(e.encode("\uD800a\uDC00"), bytes(0xEF, 0xBF, 0xBD, 0x61, 0xEF, 0xBF, 0xBD));
  deepEqual(e.encode("\uDBFF"), bytes(0xEF, 0xBF, 0xBD));
  assert(e.encode("a") !== e.encode("a"), "a new object each time");
  throws(() => e.encode(Symbol()), TypeError, /parameter 1/);
});

await test("encodeInto into too-small buffers", () => {
  const e = new TextEncoder();
  const s = "a\u00e9\u20ac\u{1F600}";  // 1 + 2 + 3 + 4 bytes, 1 + 1 + 1 + 2 units
  const expect = [[0, 0], [1, 1], [1, 1], [2, 3], [2, 3], [2, 3], [3, 6], [3, 6], [3, 6], [3, 6], [5, 10]];
  for (let n = 0; n <= 10; n++) {
    const dest = new Uint8Array(n + 2).fill(0xEE);
    const r = e.encodeInto(s, dest.subarray(1, n + 1));
    deepEqual([r.read, r.written], expect[n], `length ${n}`);
    equal(dest[0], 0xEE, "before the view");
    equal(dest[n + 1], 0xEE, "after the view");
    deepEqual(dest.subarray(1, 1 + r.written), e.encode(s).subarray(0, r.written));
  }
  const r = e.encodeInto("\uD800x", new Uint8Array(4));
  deepEqual([r.read, r.written], [2, 4]);
  deepEqual(Object.keys(r), ["read", "written"]);
  throws(() => e.encodeInto("a", new Uint16Array(2)), TypeError, /parameter 2/);
  throws(() => e.encodeInto("a"), TypeError, /2 arguments required/);
  const shared = new Uint8Array(new SharedArrayBuffer(3));
  equal(e.encodeInto("abcd", shared).written, 3);
});

await test("detached buffers read and write as empty", () => {
  const view = new Uint8Array(8);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  deepEqual(new TextEncoder().encodeInto("test", view), { read: 0, written: 0 });
  const d = new TextDecoder();
  equal(d.decode(view), "");
  const buffer = new ArrayBuffer(4);
  structuredClone(buffer, { transfer: [buffer] });
  equal(d.decode(buffer), "");
});

await test("big inputs", () => {
  const e = new TextEncoder();
  const d = new TextDecoder();
  const ascii = "abcdefgh".repeat(1 << 18);  // 2 MiB: more than one decode slice
  equal(d.decode(e.encode(ascii)), ascii);
  const mixed = "aé€😀".repeat(300000);     // 3 MiB of UTF-8
  const encoded = e.encode(mixed);
  equal(encoded.length, 3000000);
  equal(d.decode(encoded), mixed);
  const into = new Uint8Array(encoded.length);
  deepEqual(Object.values(e.encodeInto(mixed, into)), [mixed.length, encoded.length]);
  equal(d.decode(into), mixed);
  // Streaming a large input in odd-sized pieces.
  const s = new TextDecoder();
  let out = "";
  for (let i = 0; i < encoded.length; i += 65537) out += s.decode(encoded.subarray(i, i + 65537), { stream: true });
  out += s.decode();
  equal(out, mixed);
  const u16 = new TextDecoder("utf-16le").decode(new Uint16Array([...mixed].map((c) => c.charCodeAt(0))));
  equal(u16.length, [...mixed].length);
});

await test("atob and btoa", () => {
  equal(btoa(""), "");
  equal(btoa("hello"), "aGVsbG8=");
  equal(btoa("\xff\xfe"), "//4=");
  equal(btoa(123), "MTIz");
  equal(atob("aGVsbG8="), "hello");
  equal(atob(" aGVs\tbG8\n\f\r"), "hello");
  equal(atob("//4="), "\xff\xfe");
  equal(atob("YR"), "a");
  equal(atob(null), "\x9e\xe9e");  // "null"
  throws(() => atob(undefined), DOMException);  // "undefined": 9 characters
  for (const bad of ["a", "YQ=", "YQ===", "Y=Q=", "aGVs\vbG8=", "a-b_", "\u0100AAA"]) {
    const e = throws(() => atob(bad), DOMException, /not correctly encoded/, JSON.stringify(bad));
    equal(e.name, "InvalidCharacterError");
    equal(e.code, 5);
  }
  const e = throws(() => btoa("\u0100"), DOMException, /outside of the Latin1 range/);
  equal(e.name, "InvalidCharacterError");
  throws(() => atob(), TypeError, /1 argument required/);
  throws(() => btoa(Symbol()), TypeError);
  let all = "";
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  equal(atob(btoa(all)), all);
  const big = all.repeat(8192);  // 2 MiB
  equal(atob(btoa(big)), big);
});

done();
