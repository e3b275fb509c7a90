#include "js/api/timers.h"

#include <algorithm>
#include <cmath>

#include "js/binding.h"
#include "js/builtins.h"
#include "js/request_context.h"

namespace torus::js {

namespace {

// [Global] operations (https://webidl.spec.whatwg.org/#dfn-create-operation-function): this
// must be the global object (undefined and null already are, for a native function).
bool checkGlobalThis(const v8::FunctionCallbackInfo<v8::Value>& info, const char* name) {
  v8::Isolate* iso = info.GetIsolate();
  if (info.This()->StrictEquals(iso->GetCurrentContext()->Global())) return true;
  throwError(iso, JsError::type(std::string("Failed to execute '") + name +
                                "': Illegal invocation"));
  return false;
}

}  // namespace

// A timer set by code running for a request is on that request's cancel list: it is gone when
// the request's context ends, and its callback runs tagged with the request again.
struct Timers::Entry : engine::Timer, Cancelable {
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
  uint32_t nesting = 0;  // https://html.spec.whatwg.org/#timer-nesting-level
  v8::Global<v8::Function> callback;
  std::vector<v8::Global<v8::Value>> args;
  v8::Global<v8::Value> tag;  // the request's, when set by code running for one

  void cancelByContext() override { owner->timers_.erase(id); }
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
  define("clearTimeout", [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    if (checkGlobalThis(info, "clearTimeout")) clearTimer(info);
  });
  define("clearInterval", [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    if (checkGlobalThis(info, "clearInterval")) clearTimer(info);
  });
  define("queueMicrotask", &queueMicrotask);
  // natives.queueTask(callback): a task on the timers, for built-ins whose events are tasks
  // of their own (MessagePort's messages): no delay, and neither clamped by nor adding to
  // the timer nesting level, as a task that is not a timer's. Not on the global.
  v8::Local<v8::Function> task =
      v8::Function::New(ctx, &queueTask, self).ToLocalChecked();
  task->SetName(realm_.internalized("queueTask"));
  natives.set("queueTask", task);
}

void Timers::queueTask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* self = static_cast<Timers*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* iso = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    throwError(iso, JsError::type("queueTask: parameter 1 is not of type 'Function'."));
    return;
  }
  if (self->timers_.size() >= self->maxTimers_) {
    throwError(iso, JsError::range("queueTask: too many active timers (limit " +
                                   std::to_string(self->maxTimers_) + ")"));
    return;
  }
  uint32_t id = self->nextId_++;
  if (self->nextId_ == 0) self->nextId_ = 1;
  auto entry = std::make_unique<Entry>(self, id);
  entry->nesting = 0;
  entry->callback.Reset(iso, info[0].As<v8::Function>());
  if (RequestContext* rc = RequestContext::current(iso)) {
    rc->add(entry.get());
    entry->tag.Reset(iso, iso->GetCurrentContext()->GetContinuationPreservedEmbedderData());
  }
  entry->arm(0);
  self->timers_.emplace(id, std::move(entry));
}

// https://html.spec.whatwg.org/#microtask-queuing: the callback runs as a microtask, and an
// exception it throws is reported, not left to V8's message listeners.
void Timers::queueMicrotask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (!checkGlobalThis(info, "queueMicrotask")) return;
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    throwError(iso, JsError::type("Failed to execute 'queueMicrotask': parameter 1 is not of "
                                  "type 'Function'."));
    return;
  }
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  v8::Local<v8::Function> task;
  if (!v8::Function::New(
           ctx,
           [](const v8::FunctionCallbackInfo<v8::Value>& inner) {
             v8::Isolate* iso = inner.GetIsolate();
             v8::TryCatch tc(iso);
             auto cb = inner.Data().As<v8::Function>();
             if (cb->Call(iso->GetCurrentContext(), v8::Undefined(iso), 0, nullptr).IsEmpty() &&
                 tc.HasCaught() && !tc.HasTerminated()) {
               Realm::from(iso).reportException("Uncaught exception in microtask",
                                                tc.Exception());
             } else if (tc.HasTerminated()) {
               tc.ReThrow();
             }
           },
           info[0], 0, v8::ConstructorBehavior::kThrow)
           .ToLocal(&task)) {
    return;
  }
  iso->EnqueueMicrotask(task);
}

void Timers::setTimer(const v8::FunctionCallbackInfo<v8::Value>& info, bool repeat) {
  auto* self = static_cast<Timers*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* iso = info.GetIsolate();
  const char* name = repeat ? "setInterval" : "setTimeout";
  if (!checkGlobalThis(info, name)) return;
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
  if (self->nesting_ > 5 && delay < 4) delay = 4;
  uint32_t id = self->nextId_++;
  if (self->nextId_ == 0) self->nextId_ = 1;
  auto entry = std::make_unique<Entry>(self, id);
  entry->delayMs = uint64_t(delay);
  entry->repeat = repeat;
  entry->nesting = self->nesting_ + 1;
  entry->callback.Reset(iso, info[0].As<v8::Function>());
  for (int i = 2; i < info.Length(); ++i) entry->args.emplace_back(iso, info[i]);
  if (RequestContext* rc = RequestContext::current(iso)) {
    rc->add(entry.get());
    entry->tag.Reset(iso, iso->GetCurrentContext()->GetContinuationPreservedEmbedderData());
  }
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
    uint32_t nesting = e->nesting;
    v8::Local<v8::Value> tag =
        e->tag.IsEmpty() ? v8::Undefined(iso).As<v8::Value>() : e->tag.Get(iso);
    if (e->repeat) {
      // The interval's next run is set up from within this one (timer initialization with a
      // previous id), one level deeper.
      uint64_t delay = e->delayMs;
      if (nesting > 5 && delay < 4) delay = 4;
      e->nesting = nesting + 1;
      e->arm(std::max<uint64_t>(delay, 1));
    } else {
      timers_.erase(it);  // cb and args are held by the locals above
    }
    {
      RequestContext::Scope tagged(ctx, tag);
      v8::TryCatch tc(iso);
      nesting_ = nesting;
      if (cb->Call(ctx, v8::Undefined(iso), int(args.size()), args.data()).IsEmpty() &&
          tc.HasCaught() && !tc.HasTerminated()) {
        realm_.reportException("Uncaught exception in timer callback", tc.Exception());
      }
      nesting_ = 0;
    }
    // Each timer is a task: its microtasks run before the next timer (HTML event loop;
    // apps and the WPT rely on it). The last one's run in the drain's own checkpoint, so a
    // drain where one timer fired has one checkpoint in all (docs/architecture.md).
    if (&id != &fired.back()) realm_.checkpoint();
  }
}

}  // namespace torus::js
