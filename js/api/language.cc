#include "js/api/language.h"

#include <string.h>

#include <algorithm>

#include "js/builtins.h"

namespace torus::js {

namespace {

// The built-in checked that every argument is a (non-shared) ArrayBuffer.
bool buffers(const v8::FunctionCallbackInfo<v8::Value>& info, int n) {
  for (int i = 0; i < n; ++i) {
    if (!info[i]->IsArrayBuffer()) return false;
  }
  return true;
}

void arrayBufferDetached(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!buffers(info, 1)) return;
  info.GetReturnValue().Set(info[0].As<v8::ArrayBuffer>()->WasDetached());
}

void arrayBufferDetachable(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!buffers(info, 1)) return;
  info.GetReturnValue().Set(info[0].As<v8::ArrayBuffer>()->IsDetachable());
}

void arrayBufferMove(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!buffers(info, 1)) return;
  auto src = info[0].As<v8::ArrayBuffer>();
  std::shared_ptr<v8::BackingStore> store = src->GetBackingStore();
  src->Detach();
  info.GetReturnValue().Set(v8::ArrayBuffer::New(info.GetIsolate(), std::move(store)));
}

void arrayBufferCopyAndDetach(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!buffers(info, 2)) return;
  auto src = info[0].As<v8::ArrayBuffer>();
  auto dst = info[1].As<v8::ArrayBuffer>();
  size_t n = std::min(src->ByteLength(), dst->ByteLength());
  if (n) memcpy(dst->Data(), src->Data(), n);
  src->Detach();
}

}  // namespace

void addLanguageNatives(Natives& natives) {
  natives.add("arrayBufferDetached", arrayBufferDetached);
  natives.add("arrayBufferDetachable", arrayBufferDetachable);
  natives.add("arrayBufferMove", arrayBufferMove);
  natives.add("arrayBufferCopyAndDetach", arrayBufferCopyAndDetach);
}

}  // namespace torus::js
