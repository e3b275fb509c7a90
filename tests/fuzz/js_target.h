// The V8 side of the JS-facing fuzz targets (headers, structured_clone): one Realm with every
// global, made once per process, and a harness function, compiled once from the target's
// JavaScript source, called with each input as a Uint8Array. The harness holds the
// invariants and throws when one breaks; an exception becomes a trap here.
#pragma once

#include <v8.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "base/log.h"
#include "js/globals.h"
#include "js/realm.h"

// V8 keeps memory of its heap's pages (slot sets, ...) where LeakSanitizer does not look
// (mmap'ed pages), so libFuzzer's per-input leak check would blame V8 for every one of them:
// leaks whose stack passes through libnode are not reported.
extern "C" const char* __lsan_default_suppressions() { return "leak:libnode.so\n"; }

namespace torus::fuzz {

class JsTarget {
 public:
  // source: an expression evaluating to function (bytes) { ... }.
  JsTarget(const char* name, const char* source) : name_(name) {
    setLogLevel(LogLevel::kOff);
    static js::V8Process process;
    js::RealmOptions o;
    o.maxArrayBufferBytes = size_t(256) << 20;
    realm_ = std::make_unique<js::Realm>(o);
    realm_->makeCurrent();
    v8::Isolate* iso = realm_->isolate();
    v8::HandleScope scope(iso);
    js::installGlobals(*realm_);
    v8::TryCatch tc(iso);
    v8::Local<v8::Context> ctx = realm_->context();
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> fn;
    if (!v8::Script::Compile(ctx, js::v8Str(iso, source)).ToLocal(&script) ||
        !script->Run(ctx).ToLocal(&fn) || !fn->IsFunction()) {
      fprintf(stderr, "%s: harness does not compile: %s\n", name_,
              tc.HasCaught() ? js::utf8(iso, tc.Exception()).c_str() : "not a function");
      abort();
    }
    fn_.Reset(iso, fn.As<v8::Function>());
  }

  void run(const uint8_t* data, size_t size) {
    realm_->makeCurrent();
    v8::Isolate* iso = realm_->isolate();
    v8::HandleScope scope(iso);
    v8::Local<v8::Context> ctx = realm_->context();
    v8::Local<v8::ArrayBuffer> buf = v8::ArrayBuffer::New(iso, size);
    if (size) memcpy(buf->GetBackingStore()->Data(), data, size);
    v8::Local<v8::Value> arg = v8::Uint8Array::New(buf, 0, size);
    v8::TryCatch tc(iso);
    v8::Local<v8::Value> result;
    if (!fn_.Get(iso)->Call(ctx, ctx->Global(), 1, &arg).ToLocal(&result)) {
      std::string what = tc.HasCaught() ? js::utf8(iso, tc.Exception()) : "terminated";
      v8::Local<v8::Value> stack;
      if (tc.HasCaught() && tc.StackTrace(ctx).ToLocal(&stack)) what += "\n" + js::utf8(iso, stack);
      fprintf(stderr, "%s: invariant broken: %s\n", name_, what.c_str());
      __builtin_trap();
    }
    // Let go of what the input made (the harness keeps nothing), now and then for good.
    if (++runs_ % 2048 == 0) iso->LowMemoryNotification();
  }

 private:
  const char* name_;
  std::unique_ptr<js::Realm> realm_;
  v8::Global<v8::Function> fn_;
  uint64_t runs_ = 0;
};

}  // namespace torus::fuzz
