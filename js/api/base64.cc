#include "js/api/base64.h"

#include <v8.h>

#include <cstring>
#include <memory>

#include "base/check.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {
namespace base64 {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;
constexpr int8_t kSpace = -2;  // ASCII whitespace: TAB, LF, FF, CR, SPACE
constexpr int8_t kPad = -3;

struct DecodeTable {
  int8_t v[256];
  constexpr DecodeTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = kInvalid;
    for (int i = 0; i < 64; ++i) v[uint8_t(kAlphabet[i])] = int8_t(i);
    v[uint8_t('\t')] = v[uint8_t('\n')] = v[uint8_t('\f')] = v[uint8_t('\r')] =
        v[uint8_t(' ')] = kSpace;
    v[uint8_t('=')] = kPad;
  }
};
constexpr DecodeTable kDecode;

}  // namespace

std::optional<std::string> forgivingDecode(const uint8_t* text, size_t n) {
  // One pass: drop whitespace, map the rest to 6-bit values ('=' kept as kPad).
  std::unique_ptr<uint8_t[]> heap;
  uint8_t small[1024];
  uint8_t* vals = n <= sizeof(small) ? small : (heap.reset(new uint8_t[n]), heap.get());
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    int8_t v = kDecode.v[text[i]];
    if (v == kSpace) continue;
    if (v == kInvalid) return std::nullopt;
    vals[m++] = uint8_t(v);
  }
  if (m % 4 == 0 && m > 0 && vals[m - 1] == uint8_t(kPad)) {
    --m;
    if (m > 0 && vals[m - 1] == uint8_t(kPad)) --m;
  }
  if (m % 4 == 1) return std::nullopt;
  std::string out;
  out.resize(m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0));
  size_t o = 0, i = 0;
  for (; i + 4 <= m; i += 4) {
    uint32_t a = vals[i], b = vals[i + 1], c = vals[i + 2], d = vals[i + 3];
    if ((a | b | c | d) > 63) return std::nullopt;  // a '=' left inside
    uint32_t w = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = char(w >> 16);
    out[o++] = char(w >> 8);
    out[o++] = char(w);
  }
  if (m - i == 2) {
    if ((vals[i] | vals[i + 1]) > 63) return std::nullopt;
    out[o++] = char((vals[i] << 2) | (vals[i + 1] >> 4));
  } else if (m - i == 3) {
    if ((vals[i] | vals[i + 1] | vals[i + 2]) > 63) return std::nullopt;
    uint32_t w = (uint32_t(vals[i]) << 12) | (uint32_t(vals[i + 1]) << 6) | vals[i + 2];
    out[o++] = char(w >> 10);
    out[o++] = char(w >> 2);
  }
  TORUS_CHECK(o == out.size());
  return out;
}

size_t encodedLength(size_t n) { return (n + 2) / 3 * 4; }

void encode(const uint8_t* p, size_t n, char* out) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t w = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    *out++ = kAlphabet[w >> 18];
    *out++ = kAlphabet[(w >> 12) & 63];
    *out++ = kAlphabet[(w >> 6) & 63];
    *out++ = kAlphabet[w & 63];
  }
  if (n - i == 1) {
    uint32_t w = uint32_t(p[i]) << 16;
    *out++ = kAlphabet[w >> 18];
    *out++ = kAlphabet[(w >> 12) & 63];
    *out++ = '=';
    *out++ = '=';
  } else if (n - i == 2) {
    uint32_t w = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8);
    *out++ = kAlphabet[w >> 18];
    *out++ = kAlphabet[(w >> 12) & 63];
    *out++ = kAlphabet[(w >> 6) & 63];
    *out++ = '=';
  }
}

}  // namespace base64

namespace {

// The string's code units as Latin-1 bytes in buf, or false if one is above U+00FF.
bool latin1(v8::Isolate* iso, v8::Local<v8::String> s, std::unique_ptr<uint8_t[]>& buf,
            size_t* length) {
  size_t n = size_t(s->Length());
  *length = n;
  buf.reset(new uint8_t[n ? n : 1]);
  if (s->IsOneByte()) {
    s->WriteOneByte(iso, buf.get(), 0, int(n), v8::String::NO_NULL_TERMINATION);
    return true;
  }
  constexpr size_t kChunk = 2048;
  uint16_t units[kChunk];
  for (size_t pos = 0; pos < n; pos += kChunk) {
    size_t take = n - pos < kChunk ? n - pos : kChunk;
    s->Write(iso, units, int(pos), int(take), v8::String::NO_NULL_TERMINATION);
    for (size_t k = 0; k < take; ++k) {
      if (units[k] > 0xFF) return false;
      buf[pos + k] = uint8_t(units[k]);
    }
  }
  return true;
}

void invalidCharacter(v8::Isolate* iso, const char* message) {
  throwError(iso, JsError::dom("InvalidCharacterError", message));
}

// atob(data): data is already a DOMString (21_base64.js converts it).
void atobNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  TORUS_CHECK(info[0]->IsString());
  std::unique_ptr<uint8_t[]> text;
  size_t n;
  std::optional<std::string> bytes;
  if (latin1(iso, info[0].As<v8::String>(), text, &n)) bytes = base64::forgivingDecode(text.get(), n);
  if (!bytes) {
    invalidCharacter(iso, "Failed to execute 'atob': The string to be decoded is not correctly "
                          "encoded.");
    return;
  }
  v8::Local<v8::String> result;
  if (!v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(bytes->data()),
                                  v8::NewStringType::kNormal, int(bytes->size()))
           .ToLocal(&result)) {
    return;
  }
  info.GetReturnValue().Set(result);
}

void btoaNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  TORUS_CHECK(info[0]->IsString());
  std::unique_ptr<uint8_t[]> bytes;
  size_t n;
  if (!latin1(iso, info[0].As<v8::String>(), bytes, &n)) {
    invalidCharacter(iso, "Failed to execute 'btoa': The string to be encoded contains "
                          "characters outside of the Latin1 range.");
    return;
  }
  size_t m = base64::encodedLength(n);
  if (m > size_t(v8::String::kMaxLength)) {
    iso->ThrowException(v8::Exception::RangeError(v8Str(iso, "Invalid string length")));
    return;
  }
  std::unique_ptr<char[]> out(new char[m ? m : 1]);
  base64::encode(bytes.get(), n, out.get());
  v8::Local<v8::String> result;
  if (!v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(out.get()),
                                  v8::NewStringType::kNormal, int(m))
           .ToLocal(&result)) {
    return;
  }
  info.GetReturnValue().Set(result);
}

}  // namespace

void addBase64Natives(Natives& natives) {
  natives.add("atob", atobNative);
  natives.add("btoa", btoaNative);
}

}  // namespace torus::js
