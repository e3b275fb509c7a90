#include "js/api/body.h"

namespace torus::js {
namespace {

// UTF-8 decode drops a leading byte order mark (Encoding §"UTF-8 decode").
std::string_view withoutBom(std::string_view s) {
  return s.substr(0, 3) == "\xEF\xBB\xBF" ? s.substr(3) : s;
}

}  // namespace

JsResult<void> Body::extract(Realm& realm, v8::Local<v8::Value> init, std::string* contentType) {
  contentType->clear();
  if (init->IsNullOrUndefined()) return {};
  hasBody_ = true;
  if (init->IsArrayBufferView()) {
    auto view = init.As<v8::ArrayBufferView>();
    bytes_.resize(view->ByteLength());
    view->CopyContents(bytes_.data(), bytes_.size());
    return {};
  }
  if (init->IsArrayBuffer()) {
    auto store = init.As<v8::ArrayBuffer>()->GetBackingStore();
    bytes_.assign(static_cast<const char*>(store->Data()), store->ByteLength());
    return {};
  }
  v8::Local<v8::String> s;
  if (!init->ToString(realm.context()).ToLocal(&s)) return JsError::type("invalid body");
  v8::Isolate* iso = realm.isolate();
  *contentType = "text/plain;charset=UTF-8";
  if (s->IsOneByte()) {
    // Latin-1 storage: if it is all ASCII, those bytes are the UTF-8.
    bytes_.resize(size_t(s->Length()));
    s->WriteOneByte(iso, reinterpret_cast<uint8_t*>(bytes_.data()), 0, s->Length(),
                    v8::String::NO_NULL_TERMINATION);
    bool ascii = true;
    for (unsigned char c : bytes_) ascii &= c < 0x80;
    if (ascii) return {};
  }
  bytes_.resize(size_t(s->Utf8Length(iso)));
  s->WriteUtf8(iso, bytes_.data(), int(bytes_.size()), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return {};
}

bool Body::consume(Realm& realm, const char* source,
                   v8::Local<v8::Promise::Resolver>* resolver) {
  *resolver = v8::Promise::Resolver::New(realm.context()).ToLocalChecked();
  JsError err;
  if (used_) {
    err = JsError::type(std::string(source) + ": body has already been used");
  } else if (!loadBytes(&err)) {
  } else {
    used_ = hasBody_;  // a null body is never "used"
    return true;
  }
  v8::Local<v8::Value> exception;
  {
    v8::TryCatch tc(realm.isolate());
    throwError(realm.isolate(), err);
    exception = tc.Exception();
  }
  (*resolver)->Reject(realm.context(), exception).Check();
  return false;
}

v8::Local<v8::Value> Body::text(Realm& realm, const char* source) {
  v8::Local<v8::Promise::Resolver> r;
  if (consume(realm, source, &r)) {
    r->Resolve(realm.context(), v8Str(realm.isolate(), withoutBom(bytes_))).Check();
    bytes_ = std::string();
  }
  return r->GetPromise();
}

v8::Local<v8::Value> Body::json(Realm& realm, const char* source) {
  v8::Local<v8::Promise::Resolver> r;
  if (consume(realm, source, &r)) {
    v8::TryCatch tc(realm.isolate());
    v8::Local<v8::Value> value;
    if (v8::JSON::Parse(realm.context(), v8Str(realm.isolate(), withoutBom(bytes_)))
            .ToLocal(&value)) {
      r->Resolve(realm.context(), value).Check();
    } else {
      r->Reject(realm.context(), tc.Exception()).Check();
    }
    bytes_ = std::string();
  }
  return r->GetPromise();
}

v8::Local<v8::Value> Body::arrayBuffer(Realm& realm, const char* source) {
  v8::Local<v8::Promise::Resolver> r;
  if (consume(realm, source, &r)) {
    auto buffer = v8::ArrayBuffer::New(realm.isolate(), bytes_.size());
    if (!bytes_.empty()) memcpy(buffer->GetBackingStore()->Data(), bytes_.data(), bytes_.size());
    r->Resolve(realm.context(), buffer).Check();
    bytes_ = std::string();
  }
  return r->GetPromise();
}

}  // namespace torus::js
