#include "js/api/timers.h"

#include <algorithm>
#include <cmath>

#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

struct Timers::Entry : engine::Timer {
  Entry(Timers* owner, uint32_t id)
      : engine::Timer(owner->loop_,
                      [](engine::Timer* t) {
                        auto* e = static_cast<Entry*>(t);
                        e->owner->onFire(e);
                      }),
        owner(owner),
        id(id) {}
  Timers* owner;
  uint32_t id;
  uint64_t delayMs = 0;
  bool repeat = false;
  v8::Global<v8::Function> callback;
  std::vector<v8::Global<v8::Value>> args;
};

Timers::Timers(Realm& realm, engine::Loop& loop, size_t maxTimers)
    : realm_(realm), loop_(loop), maxTimers_(maxTimers) {}

Timers::~Timers() = default;

void Timers::install() {
  v8::Isolate* iso = realm_.isolate();
  v8::Local<v8::Context> ctx = realm_.context();
  v8::Local<v8::External> self = v8::External::New(iso, this);
  // Also on the built-ins' natives (AbortSignal.timeout), where user code cannot replace them.
  Natives natives(realm_);
  auto define = [&](const char* name, v8::FunctionCallback cb) {
    v8::Local<v8::Function> fn = v8::Function::New(ctx, cb, self).ToLocalChecked();
    fn->SetName(realm_.internalized(name));
    ctx->Global()->Set(ctx, realm_.internalized(name), fn).Check();
    natives.set(name, fn);
  };
  define("setTimeout", [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    setTimer(info, false);
  });
  define("setInterval", [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    setTimer(info, true);
  });
  define("clearTimeout", &clearTimer);
  define("clearInterval", &clearTimer);
  define("queueMicrotask", [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    if (info.Length() < 1 || !info[0]->IsFunction()) {
      throwError(info.GetIsolate(),
                 JsError::type("Failed to execute 'queueMicrotask': parameter 1 is not of type "
                               "'Function'."));
      return;
    }
    info.GetIsolate()->EnqueueMicrotask(info[0].As<v8::Function>());
  });
}

void Timers::setTimer(const v8::FunctionCallbackInfo<v8::Value>& info, bool repeat) {
  auto* self = static_cast<Timers*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* iso = info.GetIsolate();
  const char* name = repeat ? "setInterval" : "setTimeout";
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    throwError(iso, JsError::type(std::string("Failed to execute '") + name +
                                  "': parameter 1 is not of type 'Function'."));
    return;
  }
  if (self->timers_.size() >= self->maxTimers_) {
    throwError(iso, JsError::range(std::string(name) + ": too many active timers (limit " +
                                   std::to_string(self->maxTimers_) + ")"));
    return;
  }
  // The timeout is a WebIDL `long`: ToInt32 (2^32 wraps to 0, as browsers do), and a
  // negative value means 0.
  int32_t delay = 0;
  if (info.Length() > 1 && !info[1]->Int32Value(self->realm_.context()).To(&delay)) return;
  if (delay < 0) delay = 0;
  uint32_t id = self->nextId_++;
  if (self->nextId_ == 0) self->nextId_ = 1;
  auto entry = std::make_unique<Entry>(self, id);
  entry->delayMs = uint64_t(delay);
  entry->repeat = repeat;
  entry->callback.Reset(iso, info[0].As<v8::Function>());
  for (int i = 2; i < info.Length(); ++i) entry->args.emplace_back(iso, info[i]);
  entry->arm(entry->delayMs);
  self->timers_.emplace(id, std::move(entry));
  info.GetReturnValue().Set(id);
}

void Timers::clearTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* self = static_cast<Timers*>(info.Data().As<v8::External>()->Value());
  if (info.Length() < 1 || !info[0]->IsUint32()) return;
  self->timers_.erase(info[0].As<v8::Uint32>()->Value());  // the destructor disarms
}

void Timers::onFire(Entry* e) { fired_.push_back(e->id); }

void Timers::runFired() {
  std::vector<uint32_t> fired;
  fired.swap(fired_);
  v8::Isolate* iso = realm_.isolate();
  v8::Local<v8::Context> ctx = realm_.context();
  for (uint32_t id : fired) {
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cleared after it fired
    Entry* e = it->second.get();
    v8::HandleScope scope(iso);
    v8::Local<v8::Function> cb = e->callback.Get(iso);
    std::vector<v8::Local<v8::Value>> args;
    args.reserve(e->args.size());
    for (auto& a : e->args) args.push_back(a.Get(iso));
    if (e->repeat) {
      e->arm(std::max<uint64_t>(e->delayMs, 1));
    } else {
      timers_.erase(it);  // cb and args are held by the locals above
    }
    {
      v8::TryCatch tc(iso);
      if (cb->Call(ctx, v8::Undefined(iso), int(args.size()), args.data()).IsEmpty() &&
          tc.HasCaught() && !tc.HasTerminated()) {
        realm_.reportException("Uncaught exception in timer callback", tc.Exception());
      }
    }
    // Each timer is a task: its microtasks run before the next timer (HTML event loop).
    // The last one's run in the drain's own checkpoint.
    if (&id != &fired.back()) realm_.checkpoint();
  }
}

}  // namespace torus::js
