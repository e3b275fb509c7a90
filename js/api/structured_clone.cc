#include "js/api/structured_clone.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "js/builtins.h"

namespace torus::js {

namespace {

void markPlatformObject(v8::Local<v8::Object> obj);
bool isPlatformObject(v8::Local<v8::Value> v);

// Constructed (only through a subclass's super(), with new.target), the template function
// makes a platform object whose prototype is new.target.prototype: V8 derives the instance's
// map from new.target once and caches it, so this costs no prototype change per object.
void constructPlatformObject(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info.IsConstructCall()) {
    Realm::from(info.GetIsolate()).throwError(JsError::type("Illegal constructor"));
    return;
  }
  // `new State(object)` (a clone hook's deserialize): the subclass's fields go on object, an
  // existing platform object, which the construction returns.
  if (info.Length() > 0 && isPlatformObject(info[0])) {
    info.GetReturnValue().Set(info[0]);
    return;
  }
  markPlatformObject(info.This());
}

struct PlatformObjectTag {
  static constexpr WrapperType kType{"PlatformObject"};
  static void describe(ClassBuilder<PlatformObjectTag>& c) {
    c.tmpl()->SetCallHandler(constructPlatformObject);
  }
};

bool isPlatformObject(v8::Local<v8::Value> v) {
  if (!v->IsObject()) return false;
  auto obj = v.As<v8::Object>();
  return obj->InternalFieldCount() == kWrapperFieldCount &&
         obj->GetAlignedPointerFromInternalField(kWrapperFieldType) == &PlatformObjectTag::kType;
}

// Not a Wrappable: no native behind it, and a type tag no class unwraps to.
void markPlatformObject(v8::Local<v8::Object> obj) {
  obj->SetAlignedPointerInInternalField(kWrapperFieldObject, nullptr);
  obj->SetAlignedPointerInInternalField(kWrapperFieldType,
                                        const_cast<WrapperType*>(&PlatformObjectTag::kType));
  obj->SetAlignedPointerInInternalField(kWrapperFieldGeneration, nullptr);
}

// Where a hook sits on an interface prototype; user code cannot see or forge a private.
v8::Local<v8::Private> hookKey(v8::Isolate* iso) {
  return v8::Private::ForApi(iso, v8Str(iso, "torus:cloneHook"));
}

JsError cloneError(std::string message) {
  return JsError::dom("DataCloneError", std::move(message));
}

// The serializing and the deserializing half share the state of one clone: the hooks used
// (by index, in a JS array so they stay alive across V8's inner handle scopes), the shared
// buffers and the wasm modules.
class CloneState {
 public:
  CloneState(Realm& realm, v8::Local<v8::Array> hooks)
      : realm_(realm), key_(hookKey(realm.isolate())), hooks_(hooks) {}

  Realm& realm_;
  v8::Local<v8::Private> key_;
  v8::Local<v8::Array> hooks_;
  std::vector<std::shared_ptr<v8::BackingStore>> shared_;
  std::vector<v8::CompiledWasmModule> wasm_;
};

// The interface of a platform object, for messages: a native wrapper's class name, or the
// name of the constructor on the closest prototype that has one as an own data property
// (read without running user code).
std::string interfaceName(v8::Local<v8::Object> object) {
  v8::Isolate* iso = object->GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (isPlatformObject(object)) {
    v8::Local<v8::Value> proto = object->GetPrototype();
    v8::Local<v8::String> key = v8Str(iso, "constructor");
    for (int depth = 0; depth < 64 && proto->IsObject(); ++depth) {
      v8::Local<v8::Object> p = proto.As<v8::Object>();
      v8::Local<v8::Value> desc;
      v8::TryCatch tc(iso);  // a Proxy on the chain may throw; the message just says less
      if (p->IsProxy()) break;
      if (p->GetOwnPropertyDescriptor(ctx, key).ToLocal(&desc) && desc->IsObject()) {
        v8::Local<v8::Value> ctor;
        if (desc.As<v8::Object>()->Get(ctx, v8Str(iso, "value")).ToLocal(&ctor) &&
            ctor->IsFunction()) {
          return utf8(iso, ctor.As<v8::Function>()->GetName());
        }
      }
      proto = p->GetPrototype();
    }
    return "Platform";
  }
  return utf8(iso, object->GetConstructorName());
}

class Serializer final : public v8::ValueSerializer::Delegate {
 public:
  explicit Serializer(CloneState& state)
      : state_(state), serializer_(state.realm_.isolate(), this) {}
  v8::ValueSerializer& serializer() { return serializer_; }

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    throwError(state_.realm_.isolate(), cloneError(utf8(state_.realm_.isolate(), message)));
  }

  v8::Maybe<bool> WriteHostObject(v8::Isolate* iso, v8::Local<v8::Object> object) override {
    v8::Local<v8::Context> ctx = state_.realm_.context();
    v8::Local<v8::Object> hook = findHook(object);
    v8::Local<v8::Value> serialize;
    if (hook.IsEmpty() ||
        !hook->Get(ctx, state_.realm_.internalized("serialize")).ToLocal(&serialize) ||
        !serialize->IsFunction()) {
      throwError(iso, cloneError(interfaceName(object) + " object could not be cloned."));
      return v8::Nothing<bool>();
    }
    v8::Local<v8::Value> arg = object;
    v8::Local<v8::Value> data;
    if (!serialize.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 1, &arg).ToLocal(&data)) {
      return v8::Nothing<bool>();
    }
    uint32_t index = state_.hooks_->Length();
    if (state_.hooks_->Set(ctx, index, hook).IsNothing()) return v8::Nothing<bool>();
    serializer_.WriteUint32(index);
    // The hook's data joins the same object graph: shared references and cycles through it
    // are kept.
    return serializer_.WriteValue(ctx, data);
  }

  v8::Maybe<uint32_t> GetSharedArrayBufferId(v8::Isolate*,
                                             v8::Local<v8::SharedArrayBuffer> sab) override {
    state_.shared_.push_back(sab->GetBackingStore());
    return v8::Just(uint32_t(state_.shared_.size() - 1));
  }

  v8::Maybe<uint32_t> GetWasmModuleTransferId(v8::Isolate*,
                                              v8::Local<v8::WasmModuleObject> module) override {
    state_.wasm_.push_back(module->GetCompiledModule());
    return v8::Just(uint32_t(state_.wasm_.size() - 1));
  }

  void* ReallocateBufferMemory(void* old, size_t size, size_t* actual) override {
    if (size > kMaxCloneBytes) return nullptr;  // V8 throws "out of memory" (DataCloneError)
    void* p = std::realloc(old, size);
    if (p) *actual = size;
    return p;
  }
  void FreeBufferMemory(void* buffer) override { std::free(buffer); }

 private:
  // The hook on the closest marked prototype, starting above the object itself (an
  // interface prototype object is an ordinary object and clones as one).
  v8::Local<v8::Object> findHook(v8::Local<v8::Object> object) {
    v8::Local<v8::Context> ctx = state_.realm_.context();
    v8::Local<v8::Value> proto = object->GetPrototype();
    for (int depth = 0; depth < 64 && proto->IsObject(); ++depth) {
      v8::Local<v8::Object> p = proto.As<v8::Object>();
      v8::Local<v8::Value> hook;
      if (p->GetPrivate(ctx, state_.key_).ToLocal(&hook) && hook->IsObject()) {
        return hook.As<v8::Object>();
      }
      proto = p->GetPrototype();
    }
    return {};
  }

  CloneState& state_;
  v8::ValueSerializer serializer_;
};

class Deserializer final : public v8::ValueDeserializer::Delegate {
 public:
  Deserializer(CloneState& state, const uint8_t* data, size_t size)
      : state_(state),
        deserializer_(state.realm_.isolate(), data, size, this),
        pending_(v8::Array::New(state.realm_.isolate())) {}
  v8::ValueDeserializer& deserializer() { return deserializer_; }

  // V8 runs no JS while it deserializes, so a hooked object is read as an empty platform
  // object of the hook's interface, and filled in by the hook once the whole graph is read
  // (finish()).
  v8::MaybeLocal<v8::Object> ReadHostObject(v8::Isolate* iso) override {
    v8::Local<v8::Context> ctx = state_.realm_.context();
    uint32_t index;
    v8::Local<v8::Value> hook, proto, data;
    if (!deserializer_.ReadUint32(&index) || index >= state_.hooks_->Length() ||
        !state_.hooks_->Get(ctx, index).ToLocal(&hook) || !hook->IsObject() ||
        !hook.As<v8::Object>()->Get(ctx, state_.realm_.internalized("prototype")).ToLocal(&proto) ||
        !proto->IsObject()) {
      return {};  // V8 throws "Unable to deserialize cloned data."
    }
    v8::Local<v8::Object> object = createPlatformObject(state_.realm_, proto.As<v8::Object>());
    if (!deserializer_.ReadValue(ctx).ToLocal(&data)) return {};
    // Inner objects finish first: their records are pushed while the outer data is read.
    v8::Local<v8::Value> record[] = {hook, object, data};
    if (pending_->Set(ctx, pending_->Length(), v8::Array::New(iso, record, 3)).IsNothing()) {
      return {};
    }
    return object;
  }

  // Calls hook.deserialize(object, data) for every object read by a hook.
  bool finish() {
    v8::Isolate* iso = state_.realm_.isolate();
    v8::Local<v8::Context> ctx = state_.realm_.context();
    for (uint32_t i = 0; i < pending_->Length(); ++i) {
      v8::Local<v8::Value> record, hook, fn;
      if (!pending_->Get(ctx, i).ToLocal(&record)) return false;
      auto r = record.As<v8::Array>();
      v8::Local<v8::Value> args[2];
      if (!r->Get(ctx, 0).ToLocal(&hook) || !r->Get(ctx, 1).ToLocal(&args[0]) ||
          !r->Get(ctx, 2).ToLocal(&args[1]) ||
          !hook.As<v8::Object>()->Get(ctx, state_.realm_.internalized("deserialize")).ToLocal(&fn)) {
        return false;
      }
      if (!fn->IsFunction()) {
        throwError(iso, cloneError("Unable to deserialize cloned data."));
        return false;
      }
      if (fn.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 2, args).IsEmpty()) return false;
    }
    return true;
  }

  v8::MaybeLocal<v8::SharedArrayBuffer> GetSharedArrayBufferFromId(v8::Isolate* iso,
                                                                   uint32_t id) override {
    if (id >= state_.shared_.size()) return {};
    return v8::SharedArrayBuffer::New(iso, state_.shared_[id]);
  }

  v8::MaybeLocal<v8::WasmModuleObject> GetWasmModuleFromId(v8::Isolate* iso,
                                                           uint32_t id) override {
    if (id >= state_.wasm_.size()) return {};
    return v8::WasmModuleObject::FromCompiledModule(iso, state_.wasm_[id]);
  }

 private:
  CloneState& state_;
  v8::ValueDeserializer deserializer_;
  v8::Local<v8::Array> pending_;  // [hook, object, data] per hooked object, in read order
};

// natives.structuredClone(value, transfer): transfer is an array of objects (the built-in
// converted StructuredSerializeOptions).
void structuredCloneNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  v8::Local<v8::Array> transfer =
      info[1]->IsArray() ? info[1].As<v8::Array>() : v8::Local<v8::Array>();
  auto result = structuredClone(realm, info[0], transfer);
  if (!result.ok()) {
    realm.throwError(result.error());
    return;
  }
  info.GetReturnValue().Set(result.value());
}

void createPlatformObjectNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  if (!info[0]->IsObject()) {
    realm.throwError(JsError::type("createPlatformObject: the prototype is not an object"));
    return;
  }
  info.GetReturnValue().Set(createPlatformObject(realm, info[0].As<v8::Object>()));
}

void setCloneHook(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  if (!info[0]->IsObject() || !info[1]->IsObject()) {
    realm.throwError(JsError::type("setCloneHook: (prototype, hook) expected"));
    return;
  }
  info[0].As<v8::Object>()->SetPrivate(realm.context(), hookKey(realm.isolate()), info[1]).Check();
}

}  // namespace

v8::Local<v8::Object> createPlatformObject(Realm& realm, v8::Local<v8::Object> prototype) {
  v8::Local<v8::Object> obj = realm
                                  .instanceTemplate(classId<PlatformObjectTag>(),
                                                    &PlatformObjectTag::kType,
                                                    &detail::describeClass<PlatformObjectTag>)
                                  ->NewInstance(realm.context())
                                  .ToLocalChecked();
  markPlatformObject(obj);
  obj->SetPrototype(realm.context(), prototype).Check();
  return obj;
}

// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializewithtransfer
JsResult<v8::Local<v8::Value>> structuredClone(Realm& realm, v8::Local<v8::Value> value,
                                               v8::Local<v8::Array> transfer) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::EscapableHandleScope scope(iso);
  CloneState state(realm, v8::Array::New(iso));
  Serializer ser(state);

  // Step 2: every transferable is an ArrayBuffer (nothing else here is transferable), and
  // none is listed twice.
  std::vector<v8::Local<v8::ArrayBuffer>> buffers;
  uint32_t count = transfer.IsEmpty() ? 0 : transfer->Length();
  for (uint32_t i = 0; i < count; ++i) {
    v8::Local<v8::Value> item;
    if (!transfer->Get(ctx, i).ToLocal(&item)) return JsError::pending();
    if (item->IsSharedArrayBuffer()) {
      return cloneError("Failed to execute 'structuredClone': SharedArrayBuffer at index " +
                        std::to_string(i) + " is not transferable.");
    }
    if (!item->IsArrayBuffer()) {
      return cloneError("Failed to execute 'structuredClone': value at index " +
                        std::to_string(i) + " of the transfer list is not transferable.");
    }
    auto ab = item.As<v8::ArrayBuffer>();
    for (auto& prev : buffers) {
      if (prev->StrictEquals(ab)) {
        return cloneError("Failed to execute 'structuredClone': ArrayBuffer at index " +
                          std::to_string(i) + " is a duplicate of an earlier ArrayBuffer.");
      }
    }
    ser.serializer().TransferArrayBuffer(uint32_t(buffers.size()), ab);
    buffers.push_back(ab);
  }

  ser.serializer().WriteHeader();
  if (ser.serializer().WriteValue(ctx, value).IsNothing()) return JsError::pending();

  // Steps 4-5, after serialization (a getter may have detached one): every buffer must
  // still be attached and detachable before any is detached.
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i]->WasDetached()) {
      return cloneError("Failed to execute 'structuredClone': ArrayBuffer at index " +
                        std::to_string(i) + " is already detached.");
    }
    if (!buffers[i]->IsDetachable()) {
      return cloneError("Failed to execute 'structuredClone': ArrayBuffer at index " +
                        std::to_string(i) + " is not detachable.");
    }
  }
  std::vector<std::shared_ptr<v8::BackingStore>> stores;
  stores.reserve(buffers.size());
  for (auto& ab : buffers) {
    stores.push_back(ab->GetBackingStore());
    ab->Detach();
  }

  std::pair<uint8_t*, size_t> wire = ser.serializer().Release();
  std::unique_ptr<uint8_t, decltype(&std::free)> owned(wire.first, &std::free);
  Deserializer de(state, wire.first, wire.second);
  bool header;
  if (!de.deserializer().ReadHeader(ctx).To(&header)) return JsError::pending();
  for (size_t i = 0; i < stores.size(); ++i) {
    de.deserializer().TransferArrayBuffer(uint32_t(i), v8::ArrayBuffer::New(iso, stores[i]));
  }
  v8::Local<v8::Value> out;
  if (!de.deserializer().ReadValue(ctx).ToLocal(&out) || !de.finish()) {
    return JsError::pending();
  }
  return scope.Escape(out);
}

void addStructuredCloneNatives(Natives& natives) {
  natives.add("structuredClone", structuredCloneNative);
  natives.add("createPlatformObject", createPlatformObjectNative);
  natives.add("setCloneHook", setCloneHook);
  Realm& realm = Realm::from(v8::Isolate::GetCurrent());
  natives.set("PlatformObject", classTemplate<PlatformObjectTag>(realm)
                                    ->GetFunction(realm.context())
                                    .ToLocalChecked());
}

}  // namespace torus::js
