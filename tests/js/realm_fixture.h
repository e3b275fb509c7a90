// The common ground of the js/ unit tests: V8 initialized once per test binary, and a fresh
// Realm (with every global but timers) and HandleScope per test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "js/binding.h"
#include "js/globals.h"
#include "js/realm.h"

namespace torus::js {

// V8 initializes once per process.
inline void ensureV8() { static V8Process process; }

class RealmTest : public ::testing::Test {
 protected:
  void SetUp() override { makeRealm(RealmOptions{}); }
  void TearDown() override {
    scope_.reset();
    realm_.reset();
  }
  // Replaces the realm (for tests that need other options).
  void makeRealm(const RealmOptions& options) {
    ensureV8();
    scope_.reset();
    realm_.reset();
    realm_ = std::make_unique<Realm>(options);
    scope_.emplace(realm_->isolate());
    installGlobals(*realm_);
  }

  v8::Isolate* iso() { return realm_->isolate(); }
  v8::Local<v8::Context> ctx() { return realm_->context(); }

  // Runs code as a classic script: its completion value as a string, or
  // "threw <String(exception)>" (e.g. "threw TypeError: message").
  std::string run(const std::string& code) {
    v8::TryCatch tc(iso());
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    if (!v8::Script::Compile(ctx(), v8Str(iso(), code)).ToLocal(&script) ||
        !script->Run(ctx()).ToLocal(&result)) {
      return "threw " + utf8(iso(), tc.Exception());
    }
    return utf8(iso(), result);
  }

  std::unique_ptr<Realm> realm_;
  std::optional<v8::HandleScope> scope_;
};

}  // namespace torus::js
