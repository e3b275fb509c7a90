// A Realm: one V8 isolate with its one context, owned by one worker thread, and everything
// cached per isolate (class templates, internalized strings, the list of live wrappables).
//
// The isolate runs with MicrotasksPolicy::kExplicit: microtasks run only when the owner calls
// checkpoint(), once per completion drain.
#pragma once

#include <v8.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <deque>
#include <unordered_map>
#include <vector>

#include "base/log.h"

namespace torus::js {

struct JsError;
struct WrapperType;
class Wrappable;

// A checked handle for natives that live in request memory: the JS object points at a slot
// and remembers the slot's generation; ending the request bumps the generation, so a later
// use from JS finds no native (a TypeError) instead of released memory. Slots are recycled
// by the Realm: no V8 handle is created or destroyed per request.
struct Slot {
  Wrappable* target = nullptr;
  uintptr_t generation = 1;
};
class ArrayBufferAllocator;

struct RealmOptions {
  size_t maxHeapBytes = 0;         // V8 old-space limit; 0 = V8's default
  size_t maxArrayBufferBytes = 0;  // total ArrayBuffer bytes; 0 = unlimited
  // The API base URL relative URLs resolve against (new Request("/x"), Response.redirect);
  // empty: none, as on a server (`torus run --location URL`, like Deno's --location).
  std::string baseUrl;
  // Who runs here, for the console's lines in JSON logs (server/apps.h): the app's name
  // (empty: none, as in `torus run`) and its worker.
  std::string appName;
  unsigned worker = 0;
};

// Process-wide V8 setup, once, on the main thread, before any Realm.
class V8Process {
 public:
  V8Process();
  ~V8Process();
};

class Realm {
 public:
  explicit Realm(const RealmOptions& options);
  ~Realm();
  Realm(const Realm&) = delete;
  Realm& operator=(const Realm&) = delete;

  const std::string& appName() const { return appName_; }
  unsigned worker() const { return worker_; }

  // The base URL for relative request URLs, or nullopt (RealmOptions::baseUrl).
  std::optional<std::string_view> baseUrl() const {
    if (baseUrl_.empty()) return std::nullopt;
    return std::string_view(baseUrl_);
  }

  static Realm& from(v8::Isolate* isolate) {
    return *static_cast<Realm*>(isolate->GetData(0));
  }

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }

  // Makes this realm's isolate the thread's current one (V8 keeps one per thread:
  // Isolate::GetCurrent, and what V8 reaches through it). It stays entered until another
  // realm of the thread is made current or this one is destroyed, so a worker with one app
  // pays one comparison per entry. Every way into a realm from outside JS (a drain, a
  // module load, a connection's callback) calls this first: a worker holds several realms
  // (one per app, and an app's old one while it finishes after a reload). The context is
  // entered for the realm's whole life (contexts are entered per isolate).
  void makeCurrent() {
    if (tCurrent_ != this) switchTo();
  }

  // An internalized string for an ASCII literal, cached.
  v8::Local<v8::String> internalized(const char* literal);
  // Throws err as a TypeError/RangeError/Error/DOMException.
  void throwError(const JsError& err);

  // T's class template, built by `build` the first time.
  using TemplateBuilder = void (*)(Realm&, v8::Local<v8::FunctionTemplate>);
  // classId: a small process-wide number per class (binding.h's classId<T>()), so the
  // lookup on every wrap is an index, not a hash.
  v8::Local<v8::FunctionTemplate> classTemplate(int classId, const WrapperType* type,
                                                TemplateBuilder build);
  // The template wrappers of that class are made from (cached with the class template).
  v8::Local<v8::ObjectTemplate> instanceTemplate(int classId, const WrapperType* type,
                                                 TemplateBuilder build);
  // Installs a class's constructor on the global object under its name.
  void installClass(int classId, const WrapperType* type, TemplateBuilder build);

  // Runs the platform's pending tasks for this isolate (second-pass weak callbacks that
  // delete natives, FinalizationRegistry cleanup, GC tasks), then every pending microtask
  // (one checkpoint); counted.
  void checkpoint();
  uint64_t checkpoints() const { return checkpoints_; }

  // Bytes currently held by ArrayBuffers of this isolate.
  size_t arrayBufferBytes() const;

  // Logs an uncaught exception (or rejection reason) with its stack: "what: <stack>".
  void reportError(const char* what, v8::Local<v8::Value> exception);
  // HTML's "report an exception": dispatches a cancelable ErrorEvent 'error' on the global
  // (js/builtins/11_event.js); unless a listener cancels it, logs it as reportError does.
  void reportException(const char* what, v8::Local<v8::Value> exception);
  uint64_t errorsReported() const { return errorsReported_; }
  void noteError() { ++errorsReported_; }
  // Formats a JS value for humans (the console's inspect, or ToString before it exists).
  std::string describe(v8::Local<v8::Value> value);

  // ctx.waitUntil: keeps count of promises that must settle before a graceful stop; a
  // rejection is logged. onSettled(arg), if given, runs when it settles.
  void waitUntil(v8::Local<v8::Value> promise, void (*onSettled)(void*) = nullptr,
                 void* arg = nullptr);
  size_t pendingWaitUntil() const { return pendingWaitUntil_; }

  // Slots for natives in request memory (binding.h, wrapInSlot). releaseSlot makes every
  // JS object bound to the slot see no native from then on.
  Slot* acquireSlot();
  void releaseSlot(Slot* slot);
  size_t slotsInUse() const { return slots_.size() - freeSlots_.size(); }

  // Natives owned by live wrappers (binding.h's Wrappable), for leak checks.
  size_t liveWrappables() const { return liveCount_; }
  // A unique object, never exposed to JS, that ends an async iteration (binding.h).
  v8::Local<v8::Object> endOfIteration();
  // A new iterator result {value, done} (https://tc39.es/ecma262/#sec-createiterresultobject),
  // from a cached template that already has both properties, so that each result shares one
  // map instead of taking two property transitions (iterators call this per step).
  v8::Local<v8::Object> iteratorResult(v8::Local<v8::Value> value, bool done);

  // An embedded-JS helper installed by the bootstrap (e.g. "inspect"), or empty.
  // load: on a miss, run the lazy built-in that registers it (false: only what is loaded).
  v8::Local<v8::Function> helper(const char* name, bool load = true);
  void setHelper(const char* name, v8::Local<v8::Function> fn);
  // Called on a helper() miss to run the lazy built-in that registers it (js/builtins.h);
  // returns whether it ran one.
  using HelperLoader = bool (*)(Realm& realm, const char* name);
  void setHelperLoader(HelperLoader loader) { helperLoader_ = loader; }
  // Which built-in files have run in this realm, by index (js/builtins.cc).
  std::vector<bool>& builtinsRun() { return builtinsRun_; }
  // How many of them were compiled from a code cache (js/builtins.cc).
  size_t& builtinsCached() { return builtinsCached_; }

  // The private objects of the built-in JavaScript (js/builtins.h): the natives handed to
  // it, and the internals its files share. Created empty on first use.
  v8::Local<v8::Object> natives();
  v8::Local<v8::Object> internals();

 private:
  void switchTo();
  static thread_local Realm* tCurrent_;
  friend class Wrappable;
  void track(Wrappable* w);
  void untrack(Wrappable* w);
  static void onWaitUntilSettled(const v8::FunctionCallbackInfo<v8::Value>& info,
                                 bool rejected);

  std::unique_ptr<ArrayBufferAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
  struct ClassTemplates {
    v8::Eternal<v8::FunctionTemplate> function;
    v8::Eternal<v8::ObjectTemplate> instance;
  };
  std::vector<ClassTemplates> classes_;  // by class id; empty entries not built yet
  std::unordered_map<const char*, v8::Eternal<v8::String>> strings_;
  std::unordered_map<std::string, v8::Global<v8::Function>> helpers_;
  HelperLoader helperLoader_ = nullptr;
  std::vector<bool> builtinsRun_;
  size_t builtinsCached_ = 0;
  v8::Global<v8::Object> natives_;
  v8::Global<v8::Object> internals_;
  Wrappable* live_ = nullptr;
  size_t liveCount_ = 0;
  v8::Global<v8::Object> endOfIteration_;
  v8::Eternal<v8::ObjectTemplate> iteratorResult_;
  v8::Eternal<v8::String> valueKey_;
  v8::Eternal<v8::String> doneKey_;
  std::deque<Slot> slots_;  // a deque: slots never move
  std::vector<Slot*> freeSlots_;
  std::string baseUrl_;
  std::string appName_;
  unsigned worker_ = 0;
  uint64_t checkpoints_ = 0;
  size_t pendingWaitUntil_ = 0;
  uint64_t errorsReported_ = 0;
  // reportError's log lines are rate-limited (a failing upstream under load fails every
  // request): at most 50 a second, then a count of those not logged.
  LogRateLimit errorLines_{50};
  void logErrorsNotLogged(uint64_t count);
};

// UTF-8 of a JS value (ToString; empty on an exception).
std::string utf8(v8::Isolate* isolate, v8::Local<v8::Value> v);
v8::Local<v8::String> v8Str(v8::Isolate* isolate, std::string_view s);
// A JS string of bytes as Latin-1 (ByteStrings: header names and values, other byte text).
v8::Local<v8::String> latin1String(v8::Isolate* isolate, std::string_view bytes);

}  // namespace torus::js
