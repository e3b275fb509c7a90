#include "js/builtins.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/check.h"
#include "base/log.h"
#include "js/binding.h"

namespace torus::js {

namespace {

// One code cache per built-in, produced by the first realm that compiles it without one and
// read by every later realm on any thread. An entry is written once and never changed, so
// a reader may use its bytes after dropping the lock.
class CodeCache {
 public:
  const std::vector<uint8_t>* get(size_t i) {
    std::lock_guard lock(mu_);
    if (entries_.size() <= i || !entries_[i]) return nullptr;
    return entries_[i].get();
  }
  void put(size_t i, const uint8_t* data, int length) {
    std::lock_guard lock(mu_);
    if (entries_.size() <= i) entries_.resize(i + 1);
    if (!entries_[i]) entries_[i] = std::make_unique<std::vector<uint8_t>>(data, data + length);
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> entries_;
};

std::atomic<size_t> gFromCache{0};

CodeCache& codeCache() {
  static CodeCache cache;
  return cache;
}

[[noreturn]] void builtinFailed(Realm& realm, const char* name, v8::TryCatch& tc) {
  v8::Local<v8::Message> msg = tc.Message();
  int line = msg.IsEmpty() ? 0 : msg->GetLineNumber(realm.context()).FromMaybe(0);
  std::string what = tc.HasCaught() ? realm.describe(tc.Exception()) : "terminated";
  LOG_ERROR("built-in %s:%d failed: %s", name, line, what.c_str());
  TORUS_CHECK(!"a built-in JavaScript file failed");
  __builtin_unreachable();
}

// natives.setHelper(name, fn): registers a function C++ calls by name (Realm::helper).
void setHelper(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  TORUS_CHECK(info[0]->IsString() && info[1]->IsFunction());
  realm.setHelper(utf8(info.GetIsolate(), info[0]).c_str(), info[1].As<v8::Function>());
}

}  // namespace

Natives::Natives(Realm& realm) : realm_(realm), object_(realm.natives()) {}

void Natives::add(const char* name, v8::FunctionCallback fn, v8::Local<v8::Value> data) {
  v8::Local<v8::Context> ctx = realm_.context();
  v8::Local<v8::Function> f =
      v8::Function::New(ctx, fn, data, 0, v8::ConstructorBehavior::kThrow).ToLocalChecked();
  f->SetName(realm_.internalized(name));
  object_->Set(ctx, realm_.internalized(name), f).Check();
}

void Natives::set(const char* name, v8::Local<v8::Value> value) {
  object_->Set(realm_.context(), realm_.internalized(name), value).Check();
}

void runBuiltins(Realm& realm) {
  v8::Isolate* iso = realm.isolate();
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = realm.context();
  Natives(realm).add("setHelper", setHelper);
  v8::Local<v8::String> params[] = {realm.internalized("natives"),
                                    realm.internalized("internals")};
  v8::Local<v8::Value> args[] = {realm.natives(), realm.internals()};
  for (size_t i = 0; i < kBuiltinCount; ++i) {
    const BuiltinSource& b = kBuiltins[i];
    v8::TryCatch tc(iso);
    v8::ScriptOrigin origin(iso, v8Str(iso, b.name));
    const std::vector<uint8_t>* cached = codeCache().get(i);
    // Source owns the CachedData it is given.
    auto* data = cached ? new v8::ScriptCompiler::CachedData(cached->data(), int(cached->size()))
                        : nullptr;
    v8::ScriptCompiler::Source source(v8Str(iso, b.source), origin, data);
    v8::Local<v8::Function> fn;
    if (!v8::ScriptCompiler::CompileFunction(
             ctx, &source, 2, params, 0, nullptr,
             data ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions)
             .ToLocal(&fn)) {
      builtinFailed(realm, b.name, tc);
    }
    bool needCache = !data || source.GetCachedData()->rejected;
    if (!needCache) ++gFromCache;
    if (fn->Call(ctx, v8::Undefined(iso), 2, args).IsEmpty()) builtinFailed(realm, b.name, tc);
    // After the run, so the cache holds the functions the file's top level compiled.
    if (needCache) {
      std::unique_ptr<v8::ScriptCompiler::CachedData> produced(
          v8::ScriptCompiler::CreateCodeCacheForFunction(fn));
      if (produced) codeCache().put(i, produced->data, produced->length);
    }
  }
}

size_t builtinsFromCodeCache() { return gFromCache; }

}  // namespace torus::js
