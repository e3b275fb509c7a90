#include "js/api/crypto_random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <new>

#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

bool fillFromKernel(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = ::getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out += got;
    n -= size_t(got);
  }
  return true;
}

bool RandomPool::take(uint8_t* out, size_t n) {
  if (n > kPoolBytes / 16) return fillFromKernel(out, n);
  if (kPoolBytes - used < n) {
    if (!fillFromKernel(bytes, kPoolBytes)) return false;
    used = 0;
  }
  memcpy(out, bytes + used, n);
  explicit_bzero(bytes + used, n);  // a served byte is never kept
  used += uint32_t(n);
  return true;
}

void formatUuidV4(uint8_t b[16], char out[36]) {
  static const char kHex[] = "0123456789abcdef";
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);  // variant 10
  char* p = out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[b[i] >> 4];
    *p++ = kHex[b[i] & 15];
  }
}

namespace {

RandomPool* pool(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<RandomPool*>(info.Data().As<v8::ArrayBuffer>()->Data());
}

// fillRandom(view): the built-in checked the type and the 65536-byte quota.
void fillRandom(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsArrayBufferView()) return;
  auto view = info[0].As<v8::ArrayBufferView>();
  size_t n = view->ByteLength();
  if (n == 0) return;
  auto* data = static_cast<uint8_t*>(view->Buffer()->Data()) + view->ByteOffset();
  if (!pool(info)->take(data, n)) {
    throwError(info.GetIsolate(), JsError::dom("OperationError", "getrandom(2) failed"));
  }
}

void randomUUID(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint8_t bytes[16];
  if (!pool(info)->take(bytes, sizeof bytes)) {
    throwError(info.GetIsolate(), JsError::dom("OperationError", "getrandom(2) failed"));
    return;
  }
  char text[36];
  formatUuidV4(bytes, text);
  explicit_bzero(bytes, sizeof bytes);
  info.GetReturnValue().Set(latin1String(info.GetIsolate(), {text, sizeof text}));
}

}  // namespace

void addCryptoRandomNatives(Natives& natives) {
  v8::Isolate* iso = natives.object()->GetIsolate();
  // The pool's memory is an ArrayBuffer only the two natives reach.
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(iso, sizeof(RandomPool));
  new (buffer->Data()) RandomPool();
  natives.add("fillRandom", fillRandom, buffer);
  natives.add("randomUUID", randomUUID, buffer);
}

}  // namespace torus::js
