#include "js/api/base64.h"

#include <v8.h>

#include <cstring>


#include "alloc/bytes.h"
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

// Two output characters per 12 input bits: half the lookups of one table per 6 bits.
struct PairTable {
  char v[4096][2];
  constexpr PairTable() : v() {
    for (int i = 0; i < 4096; ++i) {
      v[i][0] = kAlphabet[i >> 6];
      v[i][1] = kAlphabet[i & 63];
    }
  }
};
constexpr PairTable kPairs;

}  // namespace

std::optional<size_t> forgivingDecode(uint8_t* data, size_t n) {
  // Fast path: whole groups of four alphabet characters, decoded in place (the write index
  // o never passes the read index i).
  size_t i = 0, o = 0;
  while (i + 4 <= n) {
    int8_t a = kDecode.v[data[i]], b = kDecode.v[data[i + 1]], c = kDecode.v[data[i + 2]],
           d = kDecode.v[data[i + 3]];
    if ((a | b | c | d) < 0) break;  // whitespace, '=' or an error: the general path
    uint32_t w = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    data[o] = uint8_t(w >> 16);
    data[o + 1] = uint8_t(w >> 8);
    data[o + 2] = uint8_t(w);
    i += 4;
    o += 3;
  }
  // The rest, as the algorithm says: drop whitespace and map to 6-bit values ('=' kept as
  // kPad) in place from i; the fast path took a multiple of four, so the counts below
  // give the same answers as over the whole input.
  uint8_t* vals = data + i;
  size_t m = 0;
  for (size_t k = i; k < n; ++k) {
    int8_t v = kDecode.v[data[k]];
    if (v < 0) {
      if (v == kSpace) continue;
      if (v == kInvalid) return std::nullopt;
    }
    vals[m++] = uint8_t(v);
  }
  if (m % 4 == 0 && m > 0 && vals[m - 1] == uint8_t(kPad)) {
    --m;
    if (vals[m - 1] == uint8_t(kPad)) --m;
  }
  if (m % 4 == 1) return std::nullopt;
  size_t k = 0;
  for (; k + 4 <= m; k += 4) {
    uint32_t a = vals[k], b = vals[k + 1], c = vals[k + 2], d = vals[k + 3];
    if ((a | b | c | d) > 63) return std::nullopt;  // a '=' left inside
    uint32_t w = (a << 18) | (b << 12) | (c << 6) | d;
    data[o++] = uint8_t(w >> 16);
    data[o++] = uint8_t(w >> 8);
    data[o++] = uint8_t(w);
  }
  if (m - k == 2) {
    uint32_t a = vals[k], b = vals[k + 1];
    if ((a | b) > 63) return std::nullopt;
    data[o++] = uint8_t((a << 2) | (b >> 4));
  } else if (m - k == 3) {
    uint32_t a = vals[k], b = vals[k + 1], c = vals[k + 2];
    if ((a | b | c) > 63) return std::nullopt;
    uint32_t w = (a << 12) | (b << 6) | c;
    data[o++] = uint8_t(w >> 10);
    data[o++] = uint8_t(w >> 2);
  }
  return o;
}

size_t encodedLength(size_t n) { return (n + 2) / 3 * 4; }

void encode(const uint8_t* p, size_t n, char* out) {
  size_t i = 0;
  // Six bytes to eight characters per step, assembled in a register and stored at once (a
  // char store may alias anything, so storing piecemeal makes every load happen again).
  for (; i + 6 <= n; i += 6) {
    uint32_t a = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    uint32_t b = (uint32_t(p[i + 3]) << 16) | (uint32_t(p[i + 4]) << 8) | p[i + 5];
    uint16_t q[4];
    std::memcpy(&q[0], kPairs.v[a >> 12], 2);
    std::memcpy(&q[1], kPairs.v[a & 4095], 2);
    std::memcpy(&q[2], kPairs.v[b >> 12], 2);
    std::memcpy(&q[3], kPairs.v[b & 4095], 2);
    std::memcpy(out, q, 8);
    out += 8;
  }
  for (; i + 3 <= n; i += 3) {
    uint32_t w = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    std::memcpy(out, kPairs.v[w >> 12], 2);
    std::memcpy(out + 2, kPairs.v[w & 4095], 2);
    out += 4;
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

// Scratch memory for one call: a stack buffer for small strings, else mimalloc (which keeps
// freed large blocks for reuse, so a loop of big calls does not fault pages in each time).
class Scratch {
 public:
  explicit Scratch(size_t n) : p_(n <= sizeof(small_) ? small_ : static_cast<uint8_t*>(alloc::allocateBytes(n))) {}
  ~Scratch() {
    if (p_ != small_) alloc::freeBytes(p_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  uint8_t* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  uint8_t small_[1024];
  uint8_t* p_;
};

// The string's code units as Latin-1 bytes in out (room for its length), or false if one is
// above U+00FF.
bool latin1(v8::Isolate* iso, v8::Local<v8::String> s, uint8_t* out) {
  size_t n = size_t(s->Length());
  if (s->IsOneByte()) {
    s->WriteOneByte(iso, out, 0, int(n), v8::String::NO_NULL_TERMINATION);
    return true;
  }
  constexpr size_t kChunk = 2048;
  uint16_t units[kChunk];
  for (size_t pos = 0; pos < n; pos += kChunk) {
    size_t take = n - pos < kChunk ? n - pos : kChunk;
    s->Write(iso, units, int(pos), int(take), v8::String::NO_NULL_TERMINATION);
    uint16_t any = 0;
    for (size_t k = 0; k < take; ++k) {
      any |= units[k];
      out[pos + k] = uint8_t(units[k]);
    }
    if (any > 0xFF) return false;
  }
  return true;
}

void invalidCharacter(v8::Isolate* iso, const char* message) {
  throwError(iso, JsError::dom("InvalidCharacterError", message));
}

void throwRange(v8::Isolate* iso, const char* message) {
  iso->ThrowException(v8::Exception::RangeError(v8Str(iso, message)));
}

// atob(data): data is already a DOMString (21_base64.js converts it).
void atobNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  TORUS_CHECK(info[0]->IsString());
  v8::Local<v8::String> s = info[0].As<v8::String>();
  size_t n = size_t(s->Length());
  Scratch buf(n);
  if (!buf) {
    throwRange(iso, "Failed to execute 'atob': out of memory");
    return;
  }
  std::optional<size_t> length;
  if (latin1(iso, s, buf.get())) length = base64::forgivingDecode(buf.get(), n);
  if (!length) {
    invalidCharacter(iso, "Failed to execute 'atob': The string to be decoded is not correctly "
                          "encoded.");
    return;
  }
  v8::Local<v8::String> result;
  if (v8::String::NewFromOneByte(iso, buf.get(), v8::NewStringType::kNormal, int(*length))
          .ToLocal(&result)) {
    info.GetReturnValue().Set(result);
  }
}

void btoaNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  TORUS_CHECK(info[0]->IsString());
  v8::Local<v8::String> s = info[0].As<v8::String>();
  size_t n = size_t(s->Length());
  size_t m = base64::encodedLength(n);
  if (m > size_t(v8::String::kMaxLength)) {
    throwRange(iso, "Invalid string length");
    return;
  }
  Scratch buf(n + m);  // the Latin-1 input, then the output
  if (!buf) {
    throwRange(iso, "Failed to execute 'btoa': out of memory");
    return;
  }
  if (!latin1(iso, s, buf.get())) {
    invalidCharacter(iso, "Failed to execute 'btoa': The string to be encoded contains "
                          "characters outside of the Latin1 range.");
    return;
  }
  char* out = reinterpret_cast<char*>(buf.get() + n);
  base64::encode(buf.get(), n, out);
  v8::Local<v8::String> result;
  if (v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(out),
                                 v8::NewStringType::kNormal, int(m))
          .ToLocal(&result)) {
    info.GetReturnValue().Set(result);
  }
}

}  // namespace

void addBase64Natives(Natives& natives) {
  natives.add("atob", atobNative);
  natives.add("btoa", btoaNative);
}

}  // namespace torus::js
