#include "js/realm.h"

#include <libplatform/libplatform.h>

#include <atomic>
#include <chrono>

#include "alloc/bytes.h"
#include "base/check.h"
#include "base/log.h"
#include "js/binding.h"

namespace torus::js {

// V8's ArrayBuffer memory on mimalloc, with byte accounting and an optional cap (over the
// cap, allocation fails and JS sees a RangeError).
class ArrayBufferAllocator : public v8::ArrayBuffer::Allocator {
 public:
  explicit ArrayBufferAllocator(size_t cap) : cap_(cap) {}
  void* Allocate(size_t length) override {
    if (!reserve(length)) return nullptr;
    void* p = alloc::allocateZeroedBytes(length ? length : 1);
    if (!p) bytes_ -= length;
    return p;
  }
  void* AllocateUninitialized(size_t length) override {
    if (!reserve(length)) return nullptr;
    void* p = alloc::allocateBytes(length ? length : 1);
    if (!p) bytes_ -= length;
    return p;
  }
  void Free(void* data, size_t length) override {
    bytes_ -= length;
    alloc::freeBytes(data);
  }
  size_t bytes() const { return bytes_; }

 private:
  bool reserve(size_t length) {
    if (cap_ && bytes_ + length > cap_) return false;
    bytes_ += length;
    return true;
  }
  size_t cap_;
  // Backing stores may be freed on V8's background threads.
  std::atomic<size_t> bytes_{0};
};

namespace {
std::unique_ptr<v8::Platform> gPlatform;
}

V8Process::V8Process() {
  v8::V8::InitializeICUDefaultLocation(nullptr);
  gPlatform = v8::platform::NewDefaultPlatform();
  v8::V8::InitializePlatform(gPlatform.get());
  // Import assertions (`assert { type: "json" }`, and `with`, rewritten to it by the module
  // loader) are behind a flag in V8 10.2.
  v8::V8::SetFlagsFromString("--harmony-import-assertions");
  v8::V8::Initialize();
}

V8Process::~V8Process() {
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  gPlatform.reset();
}

Realm::Realm(const RealmOptions& options)
    : allocator_(std::make_unique<ArrayBufferAllocator>(options.maxArrayBufferBytes)),
      baseUrl_(options.baseUrl),
      appName_(options.appName),
      worker_(options.worker) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  if (options.maxHeapBytes) {
    params.constraints.ConfigureDefaultsFromHeapSize(0, options.maxHeapBytes);
  }
  isolate_ = v8::Isolate::New(params);
  isolate_->SetData(0, this);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  makeCurrent();
  v8::HandleScope scope(isolate_);
  // WebIDL [Global]: the global object's prototype is immutable
  // (https://webidl.spec.whatwg.org/#platform-object-setprototypeof).
  // Its prototype (the object between it and Object.prototype) is immutable too.
  v8::Local<v8::FunctionTemplate> globalClass = v8::FunctionTemplate::New(isolate_);
  globalClass->PrototypeTemplate()->SetImmutableProto();
  v8::Local<v8::ObjectTemplate> global = globalClass->InstanceTemplate();
  global->SetImmutableProto();
  v8::Local<v8::Context> ctx = v8::Context::New(isolate_, nullptr, global);
  context_.Reset(isolate_, ctx);
  ctx->Enter();
}

thread_local Realm* Realm::tCurrent_ = nullptr;

void Realm::switchTo() {
  if (tCurrent_) tCurrent_->isolate_->Exit();
  isolate_->Enter();
  tCurrent_ = this;
}

Realm::~Realm() {
  makeCurrent();
  logErrorsNotLogged(errorLines_.takeNotLogged());
  {
    v8::HandleScope scope(isolate_);
    context()->Exit();
  }
  // Natives still owned by wrappers go first, then every Global, then the isolate.
  while (live_) delete live_;
  helpers_.clear();
  natives_.Reset();
  internals_.Reset();
  endOfIteration_.Reset();
  context_.Reset();
  isolate_->Exit();
  tCurrent_ = nullptr;
  isolate_->Dispose();
}

v8::Local<v8::String> Realm::internalized(const char* literal) {
  auto it = strings_.find(literal);
  if (it != strings_.end()) return it->second.Get(isolate_);
  v8::Local<v8::String> s =
      v8::String::NewFromUtf8(isolate_, literal, v8::NewStringType::kInternalized)
          .ToLocalChecked();
  strings_.emplace(literal, v8::Eternal<v8::String>(isolate_, s));
  return s;
}

v8::Local<v8::FunctionTemplate> Realm::classTemplate(int classId, const WrapperType* type,
                                                     TemplateBuilder build) {
  if (size_t(classId) < classes_.size() && !classes_[classId].function.IsEmpty()) {
    return classes_[classId].function.Get(isolate_);
  }
  v8::Local<v8::FunctionTemplate> t = v8::FunctionTemplate::New(isolate_);
  t->SetClassName(internalized(type->name));
  t->InstanceTemplate()->SetInternalFieldCount(kWrapperFieldCount);
  // WebIDL: an interface object's `prototype` is neither writable nor configurable.
  t->ReadOnlyPrototype();
  // Object.prototype.toString gives "[object Name]", as for the web's own classes.
  t->PrototypeTemplate()->Set(v8::Symbol::GetToStringTag(isolate_), internalized(type->name),
                              static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontEnum));
  // Without a constructor in describe(), `new` is an illegal constructor.
  t->SetCallHandler([](const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm::from(info.GetIsolate()).throwError(JsError::type("Illegal constructor"));
  });
  build(*this, t);
  if (size_t(classId) >= classes_.size()) classes_.resize(size_t(classId) + 1);
  classes_[classId].function.Set(isolate_, t);
  classes_[classId].instance.Set(isolate_, t->InstanceTemplate());
  return t;
}

v8::Local<v8::ObjectTemplate> Realm::instanceTemplate(int classId, const WrapperType* type,
                                                      TemplateBuilder build) {
  if (size_t(classId) >= classes_.size() || classes_[classId].instance.IsEmpty()) {
    classTemplate(classId, type, build);
  }
  return classes_[classId].instance.Get(isolate_);
}

void Realm::installClass(int classId, const WrapperType* type, TemplateBuilder build) {
  v8::Local<v8::Context> ctx = context();
  v8::Local<v8::Function> ctor =
      classTemplate(classId, type, build)->GetFunction(ctx).ToLocalChecked();
  ctx->Global()->DefineOwnProperty(ctx, internalized(type->name), ctor, v8::DontEnum).Check();
}

void Realm::throwError(const JsError& err) { torus::js::throwError(isolate_, err); }

void Realm::checkpoint() {
  ++checkpoints_;
  // V8 posts work to the embedder as foreground tasks (second-pass weak callbacks it does
  // not run inside the GC, FinalizationRegistry cleanup, GC steps): without this they would
  // never run.
  while (v8::platform::PumpMessageLoop(gPlatform.get(), isolate_)) {
  }
  isolate_->PerformMicrotaskCheckpoint();
}

size_t Realm::arrayBufferBytes() const { return allocator_->bytes(); }

v8::Local<v8::Function> Realm::helper(const char* name, bool load) {
  auto it = helpers_.find(name);
  if (it == helpers_.end()) {
    if (!load || !helperLoader_ || !helperLoader_(*this, name)) return {};
    it = helpers_.find(name);
    if (it == helpers_.end()) return {};
  }
  return it->second.Get(isolate_);
}

void Realm::setHelper(const char* name, v8::Local<v8::Function> fn) {
  helpers_[name].Reset(isolate_, fn);
}

v8::Local<v8::Object> Realm::natives() {
  if (natives_.IsEmpty()) natives_.Reset(isolate_, v8::Object::New(isolate_));
  return natives_.Get(isolate_);
}

v8::Local<v8::Object> Realm::internals() {
  if (internals_.IsEmpty()) internals_.Reset(isolate_, v8::Object::New(isolate_));
  return internals_.Get(isolate_);
}

Slot* Realm::acquireSlot() {
  if (freeSlots_.empty()) return &slots_.emplace_back();
  Slot* slot = freeSlots_.back();
  freeSlots_.pop_back();
  return slot;
}

void Realm::releaseSlot(Slot* slot) {
  slot->target = nullptr;
  ++slot->generation;
  freeSlots_.push_back(slot);
}

v8::Local<v8::Object> Realm::iteratorResult(v8::Local<v8::Value> value, bool done) {
  if (iteratorResult_.IsEmpty()) {
    v8::Local<v8::ObjectTemplate> t = v8::ObjectTemplate::New(isolate_);
    valueKey_.Set(isolate_, internalized("value"));
    doneKey_.Set(isolate_, internalized("done"));
    t->Set(valueKey_.Get(isolate_), v8::Undefined(isolate_));
    t->Set(doneKey_.Get(isolate_), v8::False(isolate_));
    iteratorResult_.Set(isolate_, t);
  }
  v8::Local<v8::Context> ctx = context();
  v8::Local<v8::Object> result = iteratorResult_.Get(isolate_)->NewInstance(ctx).ToLocalChecked();
  // Own data properties already: these are stores, not transitions.
  if (!value->IsUndefined()) result->CreateDataProperty(ctx, valueKey_.Get(isolate_), value).Check();
  if (done) result->CreateDataProperty(ctx, doneKey_.Get(isolate_), v8::True(isolate_)).Check();
  return result;
}

v8::Local<v8::Object> Realm::endOfIteration() {
  if (endOfIteration_.IsEmpty()) endOfIteration_.Reset(isolate_, v8::Object::New(isolate_));
  return endOfIteration_.Get(isolate_);
}

void Realm::track(Wrappable* w) {
  ++liveCount_;
  w->realm_ = this;
  w->nextLive_ = live_;
  if (live_) live_->prevLive_ = w;
  live_ = w;
}

void Realm::untrack(Wrappable* w) {
  if (w->prevLive_) w->prevLive_->nextLive_ = w->nextLive_;
  if (w->nextLive_) w->nextLive_->prevLive_ = w->prevLive_;
  if (live_ == w) live_ = w->nextLive_;
  w->prevLive_ = w->nextLive_ = nullptr;
  w->realm_ = nullptr;
  --liveCount_;
}

std::string utf8(v8::Isolate* isolate, v8::Local<v8::Value> v) {
  v8::String::Utf8Value s(isolate, v);
  return *s ? std::string(*s, s.length()) : std::string();
}

v8::Local<v8::String> latin1String(v8::Isolate* isolate, std::string_view bytes) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(bytes.data()),
                                    v8::NewStringType::kNormal, int(bytes.size()))
      .ToLocalChecked();
}

v8::Local<v8::String> v8Str(v8::Isolate* isolate, std::string_view s) {
  // ASCII (URLs, methods, most bodies) is a one-byte string as is: skip the UTF-8 decoder.
  bool ascii = true;
  for (unsigned char c : s) ascii &= c < 0x80;
  if (ascii) return latin1String(isolate, s);
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal, int(s.size()))
      .ToLocalChecked();
}

}  // namespace torus::js

namespace torus::js {

std::string Realm::describe(v8::Local<v8::Value> value) {
  v8::TryCatch tc(isolate_);  // a throwing getter or inspect falls back to ToString
  v8::Local<v8::Value> stack;
  if (value->IsNativeError() &&
      value.As<v8::Object>()->Get(context(), internalized("stack")).ToLocal(&stack) &&
      stack->IsString()) {
    return utf8(isolate_, stack);
  }
  v8::Local<v8::Function> inspect = helper("inspect");
  v8::Local<v8::Value> out;
  if (!inspect.IsEmpty() &&
      inspect->Call(context(), v8::Undefined(isolate_), 1, &value).ToLocal(&out)) {
    return utf8(isolate_, out);
  }
  return utf8(isolate_, value);
}

void Realm::reportError(const char* what, v8::Local<v8::Value> exception) {
  ++errorsReported_;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  uint64_t notLogged = 0;
  bool log = errorLines_.allow(uint64_t(now), notLogged);
  logErrorsNotLogged(notLogged);
  if (!log) return;
  std::string text = describe(exception);
  LOG_ERROR("%s: %s", what, text.c_str());
}

void Realm::logErrorsNotLogged(uint64_t count) {
  if (count == 0) return;
  LOG_ERROR("%llu more errors were not logged (more than %u a second)",
            (unsigned long long)count, errorLines_.perSecond());
}

void Realm::reportException(const char* what, v8::Local<v8::Value> exception) {
  // Not loaded: no 'error' listener or onerror can exist yet, so log it directly.
  v8::Local<v8::Function> report = helper("reportException", false);
  if (!report.IsEmpty()) {
    v8::TryCatch tc(isolate_);
    v8::Local<v8::Value> args[] = {exception, v8Str(isolate_, what)};
    if (!report->Call(context(), v8::Undefined(isolate_), 2, args).IsEmpty()) return;
    if (tc.HasTerminated()) return;
  }
  reportError(what, exception);
}

void Realm::onWaitUntilSettled(const v8::FunctionCallbackInfo<v8::Value>& info, bool rejected) {
  Realm& realm = Realm::from(info.GetIsolate());
  --realm.pendingWaitUntil_;
  if (rejected) realm.reportError("ctx.waitUntil promise rejected", info[0]);
  if (!info.Data()->IsArray()) return;
  v8::Local<v8::Array> parts = info.Data().As<v8::Array>();
  v8::Local<v8::Context> ctx = info.GetIsolate()->GetCurrentContext();
  auto fn = reinterpret_cast<void (*)(void*)>(
      parts->Get(ctx, 0).ToLocalChecked().As<v8::External>()->Value());
  fn(parts->Get(ctx, 1).ToLocalChecked().As<v8::External>()->Value());
}

void Realm::waitUntil(v8::Local<v8::Value> value, void (*onSettled)(void*), void* arg) {
  v8::Local<v8::Context> ctx = context();
  v8::Local<v8::Promise> promise;
  if (value->IsPromise()) {
    promise = value.As<v8::Promise>();
  } else {
    auto resolver = v8::Promise::Resolver::New(ctx).ToLocalChecked();
    resolver->Resolve(ctx, value).Check();
    promise = resolver->GetPromise();
  }
  ++pendingWaitUntil_;
  // The hook travels in the reactions' data: [fn, arg] as externals, or undefined.
  v8::Local<v8::Value> data = v8::Undefined(isolate_);
  if (onSettled) {
    v8::Local<v8::Value> parts[] = {
        v8::External::New(isolate_, reinterpret_cast<void*>(onSettled)),
        v8::External::New(isolate_, arg)};
    data = v8::Array::New(isolate_, parts, 2);
  }
  v8::Local<v8::Function> onFulfilled =
      v8::Function::New(ctx, [](const v8::FunctionCallbackInfo<v8::Value>& info) {
        onWaitUntilSettled(info, false);
      }, data).ToLocalChecked();
  v8::Local<v8::Function> onRejected =
      v8::Function::New(ctx, [](const v8::FunctionCallbackInfo<v8::Value>& info) {
        onWaitUntilSettled(info, true);
      }, data).ToLocalChecked();
  promise->Then(ctx, onFulfilled, onRejected).IsEmpty();  // only fails on termination
}

}  // namespace torus::js
