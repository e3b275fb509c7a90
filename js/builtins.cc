#include "js/builtins.h"

#include <cstring>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "base/log.h"
#include "js/binding.h"

namespace torus::js {

namespace {

// One code cache per built-in: the build's (EmbeddedCodeCache) while V8 accepts it, else
// one produced by the first realm that compiles the file without one, read by every later
// realm on any thread. An entry is written once and never changed, so a reader may use its
// bytes after dropping the lock.
class CodeCache {
 public:
  struct Entry {
    const uint8_t* data;
    size_t size;
    bool embedded;
  };
  bool get(size_t i, Entry& out) {
    std::lock_guard lock(mu_);
    if (i < entries_.size() && entries_[i]) {
      out = {entries_[i]->data(), entries_[i]->size(), false};
      return true;
    }
    if (i < embedded_.count && embedded_.sizes[i] && !embeddedRejected_[i]) {
      out = {embedded_.data[i], embedded_.sizes[i], true};
      return true;
    }
    return false;
  }
  void put(size_t i, const uint8_t* data, int length) {
    std::lock_guard lock(mu_);
    if (entries_.size() <= i) entries_.resize(i + 1);
    if (!entries_[i]) entries_[i] = std::make_unique<std::vector<uint8_t>>(data, data + length);
  }
  void embed(const EmbeddedCodeCache& cache) {
    std::lock_guard lock(mu_);
    // A cache for other sources (a stale build) would not line up: take none of it.
    embedded_ = cache.count == kBuiltinCount ? cache : EmbeddedCodeCache{nullptr, nullptr, 0};
    embeddedRejected_.assign(embedded_.count, false);
  }
  void rejectEmbedded(size_t i) {
    std::lock_guard lock(mu_);
    if (i < embeddedRejected_.size()) embeddedRejected_[i] = true;
  }
  std::vector<std::vector<uint8_t>> entries() {
    std::lock_guard lock(mu_);
    std::vector<std::vector<uint8_t>> out(kBuiltinCount);
    for (size_t i = 0; i < entries_.size() && i < out.size(); ++i) {
      if (entries_[i]) out[i] = *entries_[i];
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> entries_;
  EmbeddedCodeCache embedded_{nullptr, nullptr, 0};
  std::vector<bool> embeddedRejected_;
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

namespace {

// Calls f for each space-separated word of list.
template <typename F>
void forEachWord(const char* list, F&& f) {
  std::string_view rest(list);
  while (!rest.empty()) {
    size_t end = rest.find(' ');
    std::string_view word = rest.substr(0, end);
    if (!word.empty()) f(word);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
}

bool lazy(const BuiltinSource& b) {
  return *b.lazy || *b.lazyGet || *b.lazyReplaceable || *b.helpers;
}

bool runLazy(Realm& realm, size_t i, v8::Local<v8::Name> reading);

// Compiles (from the code cache when there is one) and runs built-in i, once per realm. An
// eager file that fails is a bug (abort). A lazy one runs after user code, which may have
// broken an intrinsic it needs: its exception is rethrown to the JS that touched it, and
// false returned.
bool runBuiltin(Realm& realm, size_t i, bool eager = false) {
  std::vector<bool>& done = realm.builtinsRun();
  if (done[i]) return true;
  done[i] = true;  // first: a file that touches its own globals must not re-enter
  const BuiltinSource& b = kBuiltins[i];
  bool ok = true;
  forEachWord(b.required, [&](std::string_view dep) {
    for (size_t j = 0; j < i && ok; ++j) {
      if (dep == std::string_view(kBuiltins[j].name).substr(6)) ok = runLazy(realm, j, {});
    }
  });
  if (!ok) {
    done[i] = false;
    return false;
  }
  v8::Isolate* iso = realm.isolate();
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = realm.context();
  v8::TryCatch tc(iso);
  v8::Local<v8::String> params[] = {realm.internalized("natives"),
                                    realm.internalized("internals")};
  v8::Local<v8::Value> args[] = {realm.natives(), realm.internals()};
  v8::ScriptOrigin origin(iso, v8Str(iso, b.name));
  CodeCache::Entry cached;
  bool haveCache = codeCache().get(i, cached);
  // Source owns the CachedData it is given (not the bytes: BufferNotOwned).
  auto* data = haveCache ? new v8::ScriptCompiler::CachedData(cached.data, int(cached.size))
                         : nullptr;
  v8::ScriptCompiler::Source source(v8Str(iso, b.source), origin, data);
  v8::Local<v8::Function> fn;
  if (!v8::ScriptCompiler::CompileFunction(
           ctx, &source, 2, params, 0, nullptr,
           data ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions)
           .ToLocal(&fn)) {
    builtinFailed(realm, b.name, tc);  // our source does not compile: a bug either way
  }
  bool needCache = !data || source.GetCachedData()->rejected;
  if (!needCache) {
    ++gFromCache;
    ++realm.builtinsCached();
  }
  if (data && needCache && cached.embedded) {
    LOG_DEBUG("built-in %s: V8 rejected the build's code cache; compiled from source", b.name);
    codeCache().rejectEmbedded(i);
  }
  if (fn->Call(ctx, v8::Undefined(iso), 2, args).IsEmpty()) {
    if (eager) builtinFailed(realm, b.name, tc);
    done[i] = false;  // the next use tries again (and throws again while it cannot run)
    if (tc.HasCaught() && !tc.HasTerminated()) tc.ReThrow();
    return false;
  }
  // After the run, so the cache holds the functions the file's top level compiled.
  if (needCache) {
    std::unique_ptr<v8::ScriptCompiler::CachedData> produced(
        v8::ScriptCompiler::CreateCodeCacheForFunction(fn));
    if (produced) codeCache().put(i, produced->data, produced->length);
  }
  return true;
}

size_t indexOf(const v8::PropertyCallbackInfo<v8::Value>& info) {
  return size_t(reinterpret_cast<uintptr_t>(info.Data().As<v8::External>()->Value()));
}

// Runs lazy file i for a read of `reading` (empty for a helper or an attribute): its
// globals that are no longer placeholders (user code replaced them) and the one being read
// are listed in internals.lazySkip, so webidl.defineGlobal leaves them alone.
bool runLazy(Realm& realm, size_t i, v8::Local<v8::Name> reading) {
  if (realm.builtinsRun()[i]) return true;
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Object> internals = realm.internals();
  v8::Local<v8::Object> global = ctx->Global();
  v8::Local<v8::Object> skip = v8::Object::New(iso);
  if (!reading.IsEmpty()) skip->Set(ctx, reading, v8::True(iso)).Check();
  forEachWord(kBuiltins[i].lazy, [&](std::string_view word) {
    v8::Local<v8::String> name = v8Str(iso, word);
    if (!global->HasRealNamedCallbackProperty(ctx, name).FromMaybe(false)) {
      skip->Set(ctx, name, v8::True(iso)).Check();
    }
  });
  v8::Local<v8::String> key = realm.internalized("lazySkip");
  v8::Local<v8::Value> outer = internals->Get(ctx, key).ToLocalChecked();
  internals->Set(ctx, key, skip).Check();
  bool ok = runBuiltin(realm, i);
  internals->Set(ctx, key, outer).Check();
  return ok;
}

// A lazy data property's first read: run the file and return the value it defined
// (webidl.defineGlobal records it in internals.lazyGlobals); V8 then turns the placeholder
// into a plain data property holding it.
void lazyValue(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  v8::Local<v8::Context> ctx = realm.context();
  if (!runLazy(realm, indexOf(info), name)) return;  // its exception propagates
  v8::Local<v8::Value> defined, value;
  if (realm.internals()->Get(ctx, realm.internalized("lazyGlobals")).ToLocal(&defined) &&
      defined->IsObject() && defined.As<v8::Object>()->Get(ctx, name).ToLocal(&value)) {
    info.GetReturnValue().Set(value);
  }
}

// A lazy attribute's getter and setter: run the file, then forward to what it defined.
void lazyAttributeGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  auto* entry = static_cast<std::pair<size_t, const char*>*>(info.Data().As<v8::External>()->Value());
  if (!runLazy(realm, entry->first, {})) return;
  v8::Local<v8::Value> value;
  if (realm.context()->Global()->Get(realm.context(), realm.internalized(entry->second)).ToLocal(&value)) {
    info.GetReturnValue().Set(value);
  }
}
void lazyAttributeSet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  auto* entry = static_cast<std::pair<size_t, const char*>*>(info.Data().As<v8::External>()->Value());
  if (!runLazy(realm, entry->first, {})) return;
  realm.context()->Global()->Set(realm.context(), realm.internalized(entry->second), info[0]).IsJust();
}

// natives.loadBuiltin(fileName): runs lazy built-in fileName ("50_streams.js") if it has not
// run yet, for a built-in that uses a later file's internals at call time (Blob.stream()
// needs internals.streams). True when the file has run; its exception propagates.
void loadBuiltin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Realm& realm = Realm::from(info.GetIsolate());
  TORUS_CHECK(info[0]->IsString());
  std::string name = utf8(info.GetIsolate(), info[0]);
  for (size_t i = 0; i < kBuiltinCount; ++i) {
    if (name == std::string_view(kBuiltins[i].name).substr(6)) {
      info.GetReturnValue().Set(runLazy(realm, i, {}));
      return;
    }
  }
  info.GetReturnValue().Set(false);
}

// The process-wide (index, name) pairs the attribute placeholders carry: names outlive
// every realm.
std::pair<size_t, const char*>* attributeEntry(size_t i, std::string_view name) {
  static std::mutex mu;
  static std::deque<std::pair<size_t, std::string>> names;
  static std::deque<std::pair<size_t, const char*>> entries;
  std::lock_guard lock(mu);
  for (auto& e : entries) {
    if (e.first == i && name == e.second) return &e;
  }
  names.emplace_back(i, std::string(name));
  return &entries.emplace_back(i, names.back().second.c_str());
}

bool loadHelper(Realm& realm, const char* helper) {
  // A terminating isolate runs no JS: the caller falls back (a plain Error, a log line).
  if (realm.isolate()->IsExecutionTerminating()) return false;
  for (size_t i = 0; i < kBuiltinCount; ++i) {
    if (realm.builtinsRun()[i]) continue;
    bool provides = false;
    forEachWord(kBuiltins[i].helpers, [&](std::string_view h) { provides |= h == helper; });
    if (provides) {
      // C++ asked: it falls back on failure, so the error is logged here, not thrown.
      v8::TryCatch tc(realm.isolate());
      if (runLazy(realm, i, {})) return true;
      if (tc.HasCaught()) realm.reportError("a built-in failed to load", tc.Exception());
      return false;
    }
  }
  return false;
}

void installPlaceholders(Realm& realm, size_t i) {
  v8::Isolate* iso = realm.isolate();
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Object> global = ctx->Global();
  const BuiltinSource& b = kBuiltins[i];
  v8::Local<v8::Value> index = v8::External::New(iso, reinterpret_cast<void*>(uintptr_t(i)));
  forEachWord(b.lazy, [&](std::string_view name) {
    global->SetLazyDataProperty(ctx, v8Str(iso, name), lazyValue, index, v8::DontEnum).Check();
  });
  auto attribute = [&](std::string_view name, bool replaceable) {
    v8::Local<v8::Value> data = v8::External::New(iso, attributeEntry(i, name));
    v8::Local<v8::Function> get =
        v8::Function::New(ctx, lazyAttributeGet, data, 0, v8::ConstructorBehavior::kThrow)
            .ToLocalChecked();
    v8::Local<v8::Function> set;
    if (replaceable) {
      set = v8::Function::New(ctx, lazyAttributeSet, data, 1, v8::ConstructorBehavior::kThrow)
                .ToLocalChecked();
    }
    global->SetAccessorProperty(v8Str(iso, name), get, set, v8::None);
  };
  forEachWord(b.lazyGet, [&](std::string_view name) { attribute(name, false); });
  forEachWord(b.lazyReplaceable, [&](std::string_view name) { attribute(name, true); });
}

}  // namespace

void runBuiltins(Realm& realm) {
  v8::HandleScope scope(realm.isolate());
  Natives(realm).add("setHelper", setHelper);
  Natives(realm).add("loadBuiltin", loadBuiltin);
  realm.builtinsRun().assign(kBuiltinCount, false);
  realm.setHelperLoader(loadHelper);
  for (size_t i = 0; i < kBuiltinCount; ++i) {
    if (lazy(kBuiltins[i])) {
      installPlaceholders(realm, i);
    } else {
      runBuiltin(realm, i, /*eager=*/true);
    }
  }
}

size_t builtinsRun(Realm& realm) {
  size_t n = 0;
  for (bool ran : realm.builtinsRun()) n += ran;
  return n;
}

size_t builtinIndex(const char* file) {
  for (size_t i = 0; i < kBuiltinCount; ++i) {
    if (strcmp(kBuiltins[i].name + 6, file) == 0) return i;  // after the "torus:" prefix
  }
  TORUS_CHECK_MSG(false, "no such built-in file");
  return 0;
}

bool builtinHasRun(Realm& realm, size_t index) {
  std::vector<bool>& ran = realm.builtinsRun();
  return index < ran.size() && ran[index];
}

size_t builtinsFromCodeCache() { return gFromCache; }

void useEmbeddedCodeCache(const EmbeddedCodeCache& cache) { codeCache().embed(cache); }

void runAllBuiltins(Realm& realm) {
  v8::HandleScope scope(realm.isolate());
  for (size_t i = 0; i < kBuiltinCount; ++i) {
    v8::TryCatch tc(realm.isolate());
    if (!runLazy(realm, i, {})) {
      LOG_WARN("built-in %s does not run in a bare realm: no build-time code cache for it",
               kBuiltins[i].name);
    }
  }
}

std::vector<std::vector<uint8_t>> codeCacheEntries() { return codeCache().entries(); }

}  // namespace torus::js
