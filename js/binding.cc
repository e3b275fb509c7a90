#include "js/binding.h"

#include <atomic>
#include <cmath>

#include "base/check.h"

namespace torus::js {

void throwError(v8::Isolate* isolate, const JsError& err) {
  if (err.kind == JsError::Kind::kPending) return;
  v8::Local<v8::String> msg = v8Str(isolate, err.message);
  v8::Local<v8::Value> exception;
  switch (err.kind) {
    case JsError::Kind::kTypeError:
      exception = v8::Exception::TypeError(msg);
      break;
    case JsError::Kind::kRangeError:
      exception = v8::Exception::RangeError(msg);
      break;
    case JsError::Kind::kError:
      exception = v8::Exception::Error(msg);
      break;
    case JsError::Kind::kDOMException: {
      Realm& realm = Realm::from(isolate);
      v8::Local<v8::Function> ctor = realm.helper("DOMException");
      v8::Local<v8::Value> args[] = {msg, v8Str(isolate, err.name)};
      v8::Local<v8::Object> obj;
      if (ctor.IsEmpty() || !ctor->NewInstance(realm.context(), 2, args).ToLocal(&obj)) {
        exception = v8::Exception::Error(msg);
      } else {
        exception = obj;
      }
      break;
    }
    case JsError::Kind::kPending:
      return;
  }
  isolate->ThrowException(exception);
}

// ---- Wrappable ----

Wrappable::~Wrappable() {
  if (realm_) realm_->untrack(this);
  if (!wrapper_.IsEmpty()) {
    // At isolate teardown the wrapper may outlive us: make it unwrap to nothing.
    v8::Isolate* iso = v8::Isolate::GetCurrent();
    if (iso) {
      v8::HandleScope scope(iso);
      wrapper_.Get(iso)->SetAlignedPointerInInternalField(kWrapperFieldObject, nullptr);
    }
    wrapper_.Reset();
  }
}

void Wrappable::attach(Realm& realm, v8::Local<v8::Object> obj, const WrapperType* type) {
  TORUS_CHECK(wrapper_.IsEmpty());
  obj->SetAlignedPointerInInternalField(kWrapperFieldObject, this);
  obj->SetAlignedPointerInInternalField(kWrapperFieldType, const_cast<WrapperType*>(type));
  obj->SetAlignedPointerInInternalField(kWrapperFieldGeneration, nullptr);
  wrapper_.Reset(realm.isolate(), obj);
  wrapper_.SetWeak(this, &Wrappable::onWeak, v8::WeakCallbackType::kParameter);
  realm.track(this);
}

void Wrappable::setStrong(bool strong) {
  if (strong) {
    wrapper_.ClearWeak();
  } else {
    wrapper_.SetWeak(this, &Wrappable::onWeak, v8::WeakCallbackType::kParameter);
  }
}

void Wrappable::onWeak(const v8::WeakCallbackInfo<Wrappable>& info) {
  Wrappable* self = info.GetParameter();
  self->wrapper_.Reset();
  delete self;
}

// Generations are stored shifted left by one: an aligned pointer's low bit must be clear.
void Wrappable::attachThroughSlot(v8::Local<v8::Object> obj, const WrapperType* type,
                                  Slot* slot) {
  obj->SetAlignedPointerInInternalField(kWrapperFieldObject, slot);
  obj->SetAlignedPointerInInternalField(kWrapperFieldType, const_cast<WrapperType*>(type));
  obj->SetAlignedPointerInInternalField(kWrapperFieldGeneration,
                                        reinterpret_cast<void*>(slot->generation << 1));
}

Wrappable* Wrappable::unwrapAs(v8::Local<v8::Value> v, const WrapperType* type) {
  if (v.IsEmpty() || !v->IsObject()) return nullptr;
  v8::Local<v8::Object> obj = v.As<v8::Object>();
  if (obj->InternalFieldCount() != kWrapperFieldCount) return nullptr;
  if (obj->GetAlignedPointerFromInternalField(kWrapperFieldType) != type) return nullptr;
  void* target = obj->GetAlignedPointerFromInternalField(kWrapperFieldObject);
  auto generation =
      reinterpret_cast<uintptr_t>(obj->GetAlignedPointerFromInternalField(kWrapperFieldGeneration));
  if (generation == 0) return static_cast<Wrappable*>(target);
  auto* slot = static_cast<Slot*>(target);
  return slot->generation << 1 == generation ? slot->target : nullptr;
}

JsError Wrappable::receiverError(v8::Local<v8::Value> v, const WrapperType* type) {
  if (v->IsObject()) {
    v8::Local<v8::Object> obj = v.As<v8::Object>();
    if (obj->InternalFieldCount() == kWrapperFieldCount &&
        obj->GetAlignedPointerFromInternalField(kWrapperFieldType) == type &&
        obj->GetAlignedPointerFromInternalField(kWrapperFieldGeneration) != nullptr) {
      return JsError::type(std::string("This ") + type->name +
                           " belongs to a request that has ended (its response was sent or "
                           "its client went away); it can no longer be used.");
    }
  }
  return JsError::type("Illegal invocation");
}

// ---- conversions ----

JsError argError(const ArgContext& cx, std::string_view what) {
  std::string m;
  if (std::string_view(cx.member) == "constructor") {
    m = std::string("Failed to construct '") + cx.className + "': ";
  } else {
    m = std::string("Failed to execute '") + cx.member + "' on '" + cx.className + "': ";
  }
  m += "parameter " + std::to_string(cx.index) + " ";
  m += what;
  return JsError::type(std::move(m));
}

namespace detail {
int nextClassId() {
  static std::atomic<int> next{0};
  return next++;
}

JsError arityError(const char* cls, const char* member, int required, int present) {
  std::string m = std::string_view(member) == "constructor"
                      ? std::string("Failed to construct '") + cls + "': "
                      : std::string("Failed to execute '") + member + "' on '" + cls + "': ";
  m += std::to_string(required) + (required == 1 ? " argument" : " arguments") +
       " required, but only " + std::to_string(present) + " present.";
  return JsError::type(std::move(m));
}
}  // namespace detail

bool Converter<double>::from(const ArgContext& cx, v8::Local<v8::Value> v, double* out) {
  if (v->IsNumber()) {
    *out = v.As<v8::Number>()->Value();
    return true;
  }
  return v->NumberValue(cx.realm.context()).To(out);  // throws for a Symbol
}

bool Converter<int32_t>::from(const ArgContext& cx, v8::Local<v8::Value> v, int32_t* out) {
  if (v->IsInt32()) {
    *out = v.As<v8::Int32>()->Value();
    return true;
  }
  return v->Int32Value(cx.realm.context()).To(out);
}

bool Converter<uint32_t>::from(const ArgContext& cx, v8::Local<v8::Value> v, uint32_t* out) {
  if (v->IsUint32()) {
    *out = v.As<v8::Uint32>()->Value();
    return true;
  }
  return v->Uint32Value(cx.realm.context()).To(out);
}

bool Converter<std::string>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                  std::string* out) {
  v8::Isolate* iso = cx.realm.isolate();
  v8::Local<v8::String> s;
  if (v->IsString()) {
    s = v.As<v8::String>();
  } else if (!v->ToString(cx.realm.context()).ToLocal(&s)) {
    return false;  // ToString threw (a Symbol, a throwing toString)
  }
  size_t len = size_t(s->Utf8Length(iso));
  out->resize(len);
  s->WriteUtf8(iso, out->data(), int(len), nullptr, v8::String::NO_NULL_TERMINATION |
                                                        v8::String::REPLACE_INVALID_UTF8);
  return true;
}

bool Converter<ByteString>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                 ByteString* out) {
  v8::Isolate* iso = cx.realm.isolate();
  v8::Local<v8::String> s;
  if (v->IsString()) {
    s = v.As<v8::String>();
  } else if (!v->ToString(cx.realm.context()).ToLocal(&s)) {
    return false;
  }
  int len = s->Length();
  if (s->IsOneByte() || s->ContainsOnlyOneByte()) {
    out->value.resize(size_t(len));
    s->WriteOneByte(iso, reinterpret_cast<uint8_t*>(out->value.data()), 0, len,
                    v8::String::NO_NULL_TERMINATION);
    return true;
  }
  cx.realm.throwError(argError(cx, "is not a valid ByteString (a character above U+00FF)."));
  return false;
}

bool Converter<BufferSource>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                   BufferSource* out) {
  if (v->IsArrayBufferView()) {
    auto view = v.As<v8::ArrayBufferView>();
    auto store = view->Buffer()->GetBackingStore();
    out->bytes = {static_cast<const char*>(store->Data()) + view->ByteOffset(),
                  view->ByteLength()};
    out->object = v;
    return true;
  }
  if (v->IsArrayBuffer()) {
    auto store = v.As<v8::ArrayBuffer>()->GetBackingStore();
    out->bytes = {static_cast<const char*>(store->Data()), store->ByteLength()};
    out->object = v;
    return true;
  }
  cx.realm.throwError(argError(cx, "is not of type '(ArrayBuffer or ArrayBufferView)'."));
  return false;
}

v8::Local<v8::Value> toJs(Realm& realm, std::string_view v) {
  return v8Str(realm.isolate(), v);
}

v8::Local<v8::Value> toJs(Realm& realm, const ByteString& v) {
  return v8::String::NewFromOneByte(realm.isolate(),
                                    reinterpret_cast<const uint8_t*>(v.value.data()),
                                    v8::NewStringType::kNormal, int(v.value.size()))
      .ToLocalChecked();
}

}  // namespace torus::js
