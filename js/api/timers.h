// setTimeout / setInterval / clearTimeout / clearInterval / queueMicrotask
// (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers), on the
// worker loop's timers. A timer that fires is queued; its callback runs in the drain hook,
// before the one microtask checkpoint of that drain.
//
// As HTML says: the timeout is a WebIDL long (ToInt32: 2^31 wraps negative, a negative one is
// 0); a timer set from a timer callback nested more than 5 deep waits at least 4 ms (an
// interval counts its own repetitions); the operations refuse a `this` that is neither the
// global object nor undefined/null; an exception thrown by a queueMicrotask callback is
// reported (an ErrorEvent on the global) as a timer callback's is.
#pragma once

#include <v8.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engine/loop.h"
#include "js/realm.h"

namespace torus::js {

class Timers {
 public:
  // maxTimers: active timers at most; one more is a RangeError.
  Timers(Realm& realm, engine::Loop& loop, size_t maxTimers);
  ~Timers();
  void install();
  // Calls the callbacks of the timers that fired since the last call. Exceptions are
  // reported, not propagated.
  void runFired();
  size_t active() const { return timers_.size(); }
  bool hasFired() const { return !fired_.empty(); }

 private:
  struct Entry;
  static void setTimer(const v8::FunctionCallbackInfo<v8::Value>& info, bool repeat);
  static void clearTimer(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void queueMicrotask(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void queueTask(const v8::FunctionCallbackInfo<v8::Value>& info);
  void onFire(Entry* e);

  Realm& realm_;
  engine::Loop& loop_;
  size_t maxTimers_;
  uint32_t nextId_ = 1;
  uint32_t nesting_ = 0;  // the timer nesting level of the running timer callback, or 0
  std::unordered_map<uint32_t, std::unique_ptr<Entry>> timers_;
  std::vector<uint32_t> fired_;
};

}  // namespace torus::js
