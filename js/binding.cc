#include "js/binding.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <vector>

#include "base/check.h"

namespace torus::js {

v8::Local<v8::Value> errorValue(v8::Isolate* isolate, const JsError& err) {
  if (err.kind == JsError::Kind::kPending) return {};
  v8::Local<v8::String> msg = v8Str(isolate, err.message);
  switch (err.kind) {
    case JsError::Kind::kTypeError:
      return v8::Exception::TypeError(msg);
    case JsError::Kind::kRangeError:
      return v8::Exception::RangeError(msg);
    case JsError::Kind::kDOMException: {
      Realm& realm = Realm::from(isolate);
      v8::Local<v8::Function> ctor = realm.helper("DOMException");
      v8::Local<v8::Value> args[] = {msg, v8Str(isolate, err.name)};
      v8::Local<v8::Object> obj;
      if (!ctor.IsEmpty() && ctor->NewInstance(realm.context(), 2, args).ToLocal(&obj)) return obj;
      return v8::Exception::Error(msg);
    }
    case JsError::Kind::kError:
    case JsError::Kind::kPending:
      break;
  }
  return v8::Exception::Error(msg);
}

void throwError(v8::Isolate* isolate, const JsError& err) {
  v8::Local<v8::Value> exception = errorValue(isolate, err);
  if (!exception.IsEmpty()) isolate->ThrowException(exception);
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

// The first pass runs inside the GC and may only reset the handle; the destructor (which may
// touch V8, or free natives that hold more handles) runs in the second pass, after the GC.
void Wrappable::onWeak(const v8::WeakCallbackInfo<Wrappable>& info) {
  info.GetParameter()->wrapper_.Reset();
  info.SetSecondPassCallback(&Wrappable::onSecondPass);
}

void Wrappable::onSecondPass(const v8::WeakCallbackInfo<Wrappable>& info) {
  delete info.GetParameter();
}

// Generations are stored shifted left by one: an aligned pointer's low bit must be clear.
void Wrappable::attachThroughSlot(v8::Local<v8::Object> obj, const WrapperType* type,
                                  Slot* slot) {
  obj->SetAlignedPointerInInternalField(kWrapperFieldObject, slot);
  obj->SetAlignedPointerInInternalField(kWrapperFieldType, const_cast<WrapperType*>(type));
  obj->SetAlignedPointerInInternalField(kWrapperFieldGeneration,
                                        reinterpret_cast<void*>(slot->generation << 1));
}

namespace {
// The type tag of a wrapper object, or nullptr for anything else.
const WrapperType* typeOf(v8::Local<v8::Value> v) {
  if (v.IsEmpty() || !v->IsObject()) return nullptr;
  v8::Local<v8::Object> obj = v.As<v8::Object>();
  if (obj->InternalFieldCount() != kWrapperFieldCount) return nullptr;
  return static_cast<const WrapperType*>(
      obj->GetAlignedPointerFromInternalField(kWrapperFieldType));
}
}  // namespace

Wrappable* Wrappable::unwrapAs(v8::Local<v8::Value> v, const WrapperType* type) {
  const WrapperType* actual = typeOf(v);
  if (!actual || !actual->is(type)) return nullptr;
  v8::Local<v8::Object> obj = v.As<v8::Object>();
  void* target = obj->GetAlignedPointerFromInternalField(kWrapperFieldObject);
  auto generation =
      reinterpret_cast<uintptr_t>(obj->GetAlignedPointerFromInternalField(kWrapperFieldGeneration));
  if (generation == 0) return static_cast<Wrappable*>(target);
  auto* slot = static_cast<Slot*>(target);
  return slot->generation << 1 == generation ? slot->target : nullptr;
}

JsError Wrappable::receiverError(v8::Local<v8::Value> v, const WrapperType* type) {
  const WrapperType* actual = typeOf(v);
  if (actual && actual->is(type) &&
      v.As<v8::Object>()->GetAlignedPointerFromInternalField(kWrapperFieldGeneration) != nullptr) {
    return JsError::type(std::string("This ") + type->name +
                         " belongs to a request that has ended (its response was sent or "
                         "its client went away); it can no longer be used.");
  }
  return JsError::type("Illegal invocation");
}

// Traced values live in an array in an internal field: reachable only from the wrapper, and
// traced by the GC like any property. The array has no holes, so reads never reach
// Array.prototype.
void Wrappable::setTraced(Realm& realm, v8::Local<v8::Object> obj, int index,
                          v8::Local<v8::Value> value) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Value> field = obj->GetInternalField(kWrapperFieldTraced);
  v8::Local<v8::Array> slots;
  uint32_t length = 0;
  if (field->IsArray()) {
    slots = field.As<v8::Array>();
    length = slots->Length();
  }
  if (uint32_t(index) >= length) {
    std::vector<v8::Local<v8::Value>> items(size_t(index) + 1, v8::Undefined(iso));
    for (uint32_t i = 0; i < length; ++i) items[i] = slots->Get(ctx, i).ToLocalChecked();
    slots = v8::Array::New(iso, items.data(), items.size());
    obj->SetInternalField(kWrapperFieldTraced, slots);
  }
  slots->Set(ctx, uint32_t(index), value).Check();
}

v8::Local<v8::Value> Wrappable::traced(Realm& realm, v8::Local<v8::Object> obj, int index) {
  v8::Local<v8::Value> field = obj->GetInternalField(kWrapperFieldTraced);
  if (!field->IsArray() || uint32_t(index) >= field.As<v8::Array>()->Length()) {
    return v8::Undefined(realm.isolate());
  }
  return field.As<v8::Array>()->Get(realm.context(), uint32_t(index)).ToLocalChecked();
}

void Wrappable::setTraced(Realm& realm, int index, v8::Local<v8::Value> value) {
  TORUS_CHECK(!wrapper_.IsEmpty());
  setTraced(realm, wrapper_.Get(realm.isolate()), index, value);
}

v8::Local<v8::Value> Wrappable::traced(Realm& realm, int index) const {
  TORUS_CHECK(!wrapper_.IsEmpty());
  return traced(realm, wrapper_.Get(realm.isolate()), index);
}

// ---- conversions ----

namespace {
// "Failed to execute 'x' on 'Y': ", "Failed to construct 'Y': ", "Failed to set the 'x'
// property on 'Y': ", then "Failed to read the 'm' property from 'Dict': " per dictionary.
std::string prefix(const ArgContext& cx) {
  if (cx.outer) {
    return prefix(*cx.outer) + "Failed to read the '" + cx.member + "' property from '" +
           cx.dictionary + "': ";
  }
  if (cx.setter) {
    return std::string("Failed to set the '") + cx.member + "' property on '" + cx.className +
           "': ";
  }
  if (std::string_view(cx.member) == "constructor") {
    return std::string("Failed to construct '") + cx.className + "': ";
  }
  return std::string("Failed to execute '") + cx.member + "' on '" + cx.className + "': ";
}
}  // namespace

JsError argError(const ArgContext& cx, std::string_view what) {
  std::string m = prefix(cx);
  m += cx.index > 0 && !cx.outer ? "parameter " + std::to_string(cx.index) : "The provided value";
  m += ' ';
  m += what;
  return JsError::type(std::move(m));
}

JsError contextError(const ArgContext& cx, std::string_view message) {
  return JsError::type(prefix(cx) + std::string(message));
}

namespace detail {
int nextClassId() {
  static std::atomic<int> next{0};
  return next++;
}

JsError arityError(const ArgContext& cx, int required, int present) {
  return contextError(cx, std::to_string(required) +
                              (required == 1 ? " argument" : " arguments") +
                              " required, but only " + std::to_string(present) + " present.");
}

JsError noOverloadError(const ArgContext& cx) {
  return contextError(cx, "No function was found that matched the signature provided.");
}

bool convertToInt(const ArgContext& cx, v8::Local<v8::Value> v, IntSpec spec, IntMode mode,
                  uint64_t* out) {
  double x;
  if (v->IsNumber()) {
    x = v.As<v8::Number>()->Value();
  } else if (!v->NumberValue(cx.realm.context()).To(&x)) {
    return false;  // a Symbol, a BigInt, a throwing valueOf
  }
  // 64-bit types are limited to the safe integers, as WebIDL says.
  constexpr double kMaxSafe = 9007199254740991.0;
  double lower =
      spec.isSigned ? (spec.bits == 64 ? -kMaxSafe : -std::ldexp(1.0, spec.bits - 1)) : 0;
  double upper = spec.bits == 64 ? kMaxSafe
                 : spec.isSigned ? std::ldexp(1.0, spec.bits - 1) - 1
                                 : std::ldexp(1.0, spec.bits) - 1;
  // An integral double in range -> its two's complement bits.
  auto bits = [](double d) { return d < 0 ? uint64_t(0) - uint64_t(-d) : uint64_t(d); };
  switch (mode) {
    case IntMode::kEnforceRange: {
      if (!std::isfinite(x)) {
        cx.realm.throwError(argError(
            cx, std::string("is not a finite number, so it cannot be converted to '") +
                    spec.name + "'."));
        return false;
      }
      x = std::trunc(x);
      if (x < lower || x > upper) {
        char range[96];
        snprintf(range, sizeof range, "%.0f to %.0f", lower, upper);
        cx.realm.throwError(argError(cx, std::string("is outside the '") + spec.name +
                                             "' value range (" + range + ")."));
        return false;
      }
      *out = bits(x);
      return true;
    }
    case IntMode::kClamp:
      if (std::isnan(x)) {
        *out = 0;
        return true;
      }
      // Rounded half to even: nearbyint under the default rounding mode.
      *out = bits(std::nearbyint(std::min(std::max(x, lower), upper)));
      return true;
    case IntMode::kModulo:
      break;
  }
  if (!std::isfinite(x) || x == 0) {
    *out = 0;
    return true;
  }
  // fmod is exact; the result has x's sign and |result| < 2^bits.
  uint64_t b = bits(std::fmod(std::trunc(x), std::ldexp(1.0, spec.bits)));
  if (spec.bits < 64) b &= (uint64_t(1) << spec.bits) - 1;
  *out = b;
  return true;
}
}  // namespace detail

bool Converter<double>::from(const ArgContext& cx, v8::Local<v8::Value> v, double* out) {
  if (v->IsNumber()) {
    *out = v.As<v8::Number>()->Value();
    return true;
  }
  return v->NumberValue(cx.realm.context()).To(out);  // throws for a Symbol
}

bool Converter<v8::Local<v8::Object>>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                            v8::Local<v8::Object>* out) {
  if (v->IsObject()) {
    *out = v.As<v8::Object>();
    return true;
  }
  cx.realm.throwError(argError(cx, "is not of type 'object'."));
  return false;
}

bool Converter<v8::Local<v8::Function>>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                              v8::Local<v8::Function>* out) {
  if (v->IsFunction()) {
    *out = v.As<v8::Function>();
    return true;
  }
  cx.realm.throwError(argError(cx, "is not of type 'Function'."));
  return false;
}

bool Converter<CallbackInterface>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                        CallbackInterface* out) {
  if (v->IsObject()) {
    out->object = v.As<v8::Object>();
    return true;
  }
  cx.realm.throwError(argError(cx, "is not of type 'object'."));
  return false;
}

bool Converter<v8::Local<v8::BigInt>>::from(const ArgContext& cx, v8::Local<v8::Value> v,
                                            v8::Local<v8::BigInt>* out) {
  if (v->IsBigInt()) {
    *out = v.As<v8::BigInt>();
    return true;
  }
  return v->ToBigInt(cx.realm.context()).ToLocal(out);  // a Number or a Symbol throws
}

JsResult<v8::Local<v8::Value>> CallbackInterface::call(Realm& realm, const char* operation,
                                                       v8::Local<v8::Value> thisArg,
                                                       std::span<v8::Local<v8::Value>> args) const {
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Value> fn = object;
  v8::Local<v8::Value> receiver = thisArg;
  if (!object->IsCallable()) {
    if (!object->Get(ctx, realm.internalized(operation)).ToLocal(&fn)) return JsError::pending();
    if (!fn->IsFunction()) {
      return JsError::type(std::string("The callback's '") + operation + "' is not a function.");
    }
    receiver = object;
  }
  v8::Local<v8::Value> result;
  if (!fn.As<v8::Function>()->Call(ctx, receiver, int(args.size()), args.data()).ToLocal(&result)) {
    return JsError::pending();
  }
  return result;
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
  return latin1String(realm.isolate(), v.value);
}

// ---- iteration ----

bool getIteratorMethod(Realm& realm, v8::Local<v8::Object> v, v8::Local<v8::Function>* method) {
  v8::Local<v8::Value> m;
  if (!v->Get(realm.context(), v8::Symbol::GetIterator(realm.isolate())).ToLocal(&m)) {
    return false;
  }
  if (m->IsNullOrUndefined()) {
    *method = {};
    return true;
  }
  if (!m->IsFunction()) {
    realm.throwError(JsError::type("Symbol.iterator is not a function"));
    return false;
  }
  *method = m.As<v8::Function>();
  return true;
}

namespace detail {

bool iterate(Realm& realm, v8::Local<v8::Value> iterable, v8::Local<v8::Function> method,
             void* state, IterateFn fn) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Value> iter;
  if (!method->Call(ctx, iterable, 0, nullptr).ToLocal(&iter)) return false;
  if (!iter->IsObject()) {
    realm.throwError(JsError::type("Result of the Symbol.iterator method is not an object"));
    return false;
  }
  v8::Local<v8::Value> next;
  if (!iter.As<v8::Object>()->Get(ctx, realm.internalized("next")).ToLocal(&next)) return false;
  if (!next->IsFunction()) {
    realm.throwError(JsError::type("The iterator's 'next' is not a function"));
    return false;
  }
  for (;;) {
    v8::Local<v8::Value> result;
    if (!next.As<v8::Function>()->Call(ctx, iter, 0, nullptr).ToLocal(&result)) return false;
    if (!result->IsObject()) {
      realm.throwError(JsError::type("Iterator result is not an object"));
      return false;
    }
    v8::Local<v8::Object> r = result.As<v8::Object>();
    v8::Local<v8::Value> done;
    if (!r->Get(ctx, realm.internalized("done")).ToLocal(&done)) return false;
    if (done->BooleanValue(iso)) return true;
    v8::Local<v8::Value> value;
    if (!r->Get(ctx, realm.internalized("value")).ToLocal(&value)) return false;
    if (!fn(state, value)) return false;
  }
}

// ALL_PROPERTIES: the raw [[OwnPropertyKeys]] (a Proxy's ownKeys trap alone); each key's
// [[GetOwnProperty]] then comes just before the caller reads its value, as WebIDL orders it.
bool forEachEnumerableOwnKey(Realm& realm, v8::Local<v8::Object> obj, void* state,
                             RecordKeyFn fn) {
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Array> keys;
  if (!obj->GetOwnPropertyNames(ctx, v8::ALL_PROPERTIES, v8::KeyConversionMode::kConvertToString)
           .ToLocal(&keys)) {
    return false;
  }
  v8::Local<v8::String> enumerable = realm.internalized("enumerable");
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    v8::Local<v8::Value> key, desc, isEnumerable;
    if (!keys->Get(ctx, i).ToLocal(&key) ||
        !obj->GetOwnPropertyDescriptor(ctx, key.As<v8::Name>()).ToLocal(&desc)) {
      return false;
    }
    if (desc->IsUndefined()) continue;
    if (!desc.As<v8::Object>()->Get(ctx, enumerable).ToLocal(&isEnumerable)) return false;
    if (!isEnumerable->BooleanValue(realm.isolate())) continue;
    if (!fn(state, key)) return false;
  }
  return true;
}

void settlePromise(const v8::FunctionCallbackInfo<v8::Value>& info, v8::TryCatch& tc) {
  if (tc.HasCaught() && !tc.CanContinue()) {
    tc.ReThrow();  // termination goes on
    return;
  }
  Realm& realm = Realm::from(info.GetIsolate());
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Value> value = info.GetReturnValue().Get();
  if (!tc.HasCaught() && value->IsPromise()) return;
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(ctx).ToLocal(&resolver)) return;
  if (tc.HasCaught()) {
    v8::Local<v8::Value> reason = tc.Exception();
    tc.Reset();
    resolver->Reject(ctx, reason).IsNothing();  // fails only on termination
  } else {
    resolver->Resolve(ctx, value).IsNothing();  // fails only on termination
  }
  info.GetReturnValue().Set(resolver->GetPromise());
}

v8::Local<v8::Object> iteratorResult(Realm& realm, v8::Local<v8::Value> value, bool done) {
  return realm.iteratorResult(value, done);
}

void setPrototypeToIntrinsic(Realm& realm, v8::Local<v8::FunctionTemplate> tmpl,
                             v8::Intrinsic intrinsic) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  // Intrinsics reach C++ only as template data properties.
  v8::Local<v8::ObjectTemplate> holder = v8::ObjectTemplate::New(iso);
  v8::Local<v8::String> key = realm.internalized("intrinsic");
  holder->SetIntrinsicDataProperty(key, intrinsic);
  v8::Local<v8::Value> parent =
      holder->NewInstance(ctx).ToLocalChecked()->Get(ctx, key).ToLocalChecked();
  v8::Local<v8::Object> proto = tmpl->GetFunction(ctx)
                                    .ToLocalChecked()
                                    ->Get(ctx, realm.internalized("prototype"))
                                    .ToLocalChecked()
                                    .As<v8::Object>();
  proto->SetPrototype(ctx, parent).Check();
  proto->Delete(ctx, realm.internalized("constructor")).Check();
}

void chainInterfaceObjects(Realm& realm, v8::Local<v8::FunctionTemplate> t,
                           v8::Local<v8::FunctionTemplate> parent) {
  v8::Local<v8::Context> ctx = realm.context();
  t->GetFunction(ctx)
      .ToLocalChecked()
      ->SetPrototype(ctx, parent->GetFunction(ctx).ToLocalChecked())
      .Check();
}

}  // namespace detail

// ---- async iteration ----
// https://webidl.spec.whatwg.org/#es-asynchronous-iterator-prototype-object

v8::Local<v8::Value> AsyncIteration::next(Realm& realm) {
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Value> ongoing = traced(realm, kOngoingSlot);
  v8::Local<v8::Promise> result;
  if (ongoing->IsPromise()) {
    // One call at a time: this one runs when the previous one's promise settles. (The
    // chain is kept even after it settles, which only costs a microtask.)
    v8::Local<v8::Function> onSettled;
    if (!v8::Function::New(ctx, &runNextSteps, wrapper(realm.isolate())).ToLocal(&onSettled) ||
        !ongoing.As<v8::Promise>()->Then(ctx, onSettled, onSettled).ToLocal(&result)) {
      return {};
    }
  } else {
    result = nextSteps(realm);
    if (result.IsEmpty()) return {};
  }
  setTraced(realm, kOngoingSlot, result);
  return result;
}

v8::Local<v8::Promise> AsyncIteration::nextSteps(Realm& realm) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(ctx).ToLocal(&resolver)) return {};
  if (finished_) {
    resolver->Resolve(ctx, detail::iteratorResult(realm, v8::Undefined(iso), true))
        .IsNothing();  // fails only on termination
    return resolver->GetPromise();
  }
  {
    v8::TryCatch tc(iso);
    JsResult<v8::Local<v8::Value>> r = step_(realm, *this);
    if (tc.HasCaught()) {
      if (!tc.CanContinue()) {
        tc.ReThrow();
        return {};
      }
      resolver->Reject(ctx, tc.Exception()).IsNothing();  // fails only on termination
    } else if (!r.ok()) {
      v8::Local<v8::Value> reason = errorValue(iso, r.error());
      resolver->Reject(ctx, reason.IsEmpty() ? v8::Undefined(iso).As<v8::Value>() : reason)
          .IsNothing();  // fails only on termination
    } else {
      resolver->Resolve(ctx, r.value()).IsNothing();  // fails only on termination
    }
  }
  v8::Local<v8::Object> self = wrapper(iso);
  v8::Local<v8::Function> fulfilled, rejected;
  v8::Local<v8::Promise> out;
  if (!v8::Function::New(ctx, &onFulfilled, self).ToLocal(&fulfilled) ||
      !v8::Function::New(ctx, &onRejected, self).ToLocal(&rejected) ||
      !resolver->GetPromise()->Then(ctx, fulfilled, rejected).ToLocal(&out)) {
    return {};
  }
  return out;
}

void AsyncIteration::runNextSteps(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* self = Wrappable::unwrap<AsyncIteration>(info.Data());
  if (!self) return;
  v8::Local<v8::Promise> p = self->nextSteps(Realm::from(info.GetIsolate()));
  if (!p.IsEmpty()) info.GetReturnValue().Set(p);
}

void AsyncIteration::onFulfilled(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* self = Wrappable::unwrap<AsyncIteration>(info.Data());
  if (!self) return;
  Realm& realm = Realm::from(info.GetIsolate());
  if (info[0]->StrictEquals(end(realm))) {
    self->finished_ = true;
    info.GetReturnValue().Set(
        detail::iteratorResult(realm, v8::Undefined(info.GetIsolate()), true));
    return;
  }
  ++self->index_;
  info.GetReturnValue().Set(detail::iteratorResult(realm, info[0], false));
}

void AsyncIteration::onRejected(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (auto* self = Wrappable::unwrap<AsyncIteration>(info.Data())) self->finished_ = true;
  info.GetIsolate()->ThrowException(info[0]);
}

JsResult<v8::Local<v8::Value>> callHelper(Realm& realm, const char* name, int argc,
                                          v8::Local<v8::Value>* argv) {
  v8::Local<v8::Function> fn = realm.helper(name);
  if (fn.IsEmpty()) return JsError::type(std::string("the built-in helper '") + name + "' is missing");
  v8::Local<v8::Value> result;
  if (!fn->Call(realm.context(), v8::Undefined(realm.isolate()), argc, argv).ToLocal(&result)) {
    return JsError::pending();
  }
  return result;
}

}  // namespace torus::js
