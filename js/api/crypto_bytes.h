// Bytes in and out of the crypto natives (js/api/subtle_crypto.h, crypto_asymmetric.h):
// InputBytes reads an ArrayBuffer, a view or undefined (empty) for the length of a call;
// toArrayBuffer hands a result vector to JS without a copy; the natives' argument readers.
#pragma once

#include <v8.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace torus::js {

// The bytes of an ArrayBuffer or ArrayBufferView (anything else: none), valid while this
// lives and JS does not run. V8 keeps small typed arrays on its heap without a backing store;
// those are copied out instead of being given one.
class InputBytes {
 public:
  explicit InputBytes(v8::Local<v8::Value> v) {
    if (v->IsArrayBufferView()) {
      auto view = v.As<v8::ArrayBufferView>();
      size_ = view->ByteLength();
      if (!view->HasBuffer() && size_ <= sizeof small_) {
        view->CopyContents(small_, size_);
        data_ = small_;
      } else if (size_ > 0) {
        store_ = view->Buffer()->GetBackingStore();
        data_ = static_cast<const uint8_t*>(store_->Data()) + view->ByteOffset();
      }
    } else if (v->IsArrayBuffer()) {
      store_ = v.As<v8::ArrayBuffer>()->GetBackingStore();
      size_ = store_->ByteLength();
      if (size_ > 0) data_ = static_cast<const uint8_t*>(store_->Data());
    }
  }
  InputBytes(const InputBytes&) = delete;
  InputBytes& operator=(const InputBytes&) = delete;
  std::span<const uint8_t> view() const { return {data_, size_}; }
  std::vector<uint8_t> copy() const { return {data_, data_ + size_}; }

 private:
  uint8_t small_[64];
  std::shared_ptr<v8::BackingStore> store_;
  const uint8_t* data_ = small_;
  size_t size_ = 0;
};

// An ArrayBuffer over the vector's bytes (the vector moves into the backing store).
inline v8::Local<v8::ArrayBuffer> toArrayBuffer(v8::Isolate* iso, std::vector<uint8_t>&& bytes) {
  if (bytes.empty()) return v8::ArrayBuffer::New(iso, 0);
  auto* held = new std::vector<uint8_t>(std::move(bytes));
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      held->data(), held->size(),
      [](void*, size_t, void* holder) { delete static_cast<std::vector<uint8_t>*>(holder); },
      held);
  return v8::ArrayBuffer::New(iso, std::move(store));
}

// A pointer wolfCrypt accepts for zero bytes too (an empty span's data() may be null).
inline const uint8_t* bytePtr(std::span<const uint8_t> v) {
  static const uint8_t kEmpty[1] = {0};
  return v.empty() ? kEmpty : v.data();
}

// Argument i as a uint32 (fallback if it does not convert) or a UTF-8 string.
inline uint32_t u32Arg(const v8::FunctionCallbackInfo<v8::Value>& info, int i,
                       uint32_t fallback = 0) {
  return info[i]->Uint32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(fallback);
}
inline std::string stringArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
  v8::String::Utf8Value s(info.GetIsolate(), info[i]);
  return *s ? std::string(*s, size_t(s.length())) : std::string();
}

}  // namespace torus::js
