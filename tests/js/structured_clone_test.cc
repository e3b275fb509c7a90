// structuredClone from C++ (js/api/structured_clone.h): values, transfer, platform objects.
#include "js/api/structured_clone.h"

#include <gtest/gtest.h>

#include "js/api/performance.h"
#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

class StructuredCloneTest : public RealmTest {
 protected:
  v8::Local<v8::Value> eval(const char* code) {
    return v8::Script::Compile(ctx(), v8Str(iso(), code)).ToLocalChecked()->Run(ctx()).ToLocalChecked();
  }
};

TEST_F(StructuredCloneTest, ClonesAGraphFromCpp) {
  v8::Local<v8::Value> v = eval("globalThis.o = { a: [1, { b: 2 }] }; o.self = o; o");
  auto r = structuredClone(*realm_, v, {});
  ASSERT_TRUE(r.ok());
  ctx()->Global()->Set(ctx(), v8Str(iso(), "c"), r.value()).Check();
  EXPECT_EQ(run("c !== o && c.self === c && c.a[1].b"), "2");
}

TEST_F(StructuredCloneTest, TransferMovesTheBackingStore) {
  auto ab = eval("globalThis.ab = new Uint8Array([7, 8]).buffer; ab").As<v8::ArrayBuffer>();
  void* data = ab->Data();
  v8::Local<v8::Value> items[] = {ab};
  auto r = structuredClone(*realm_, ab, v8::Array::New(iso(), items, 1));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.value()->IsArrayBuffer());
  EXPECT_EQ(r.value().As<v8::ArrayBuffer>()->Data(), data);  // no copy
  EXPECT_TRUE(ab->WasDetached());
}

TEST_F(StructuredCloneTest, ErrorsAreDataCloneErrors) {
  // Found by V8 while serializing: thrown through the delegate, so already pending.
  v8::TryCatch tc(iso());
  auto r = structuredClone(*realm_, eval("new WeakMap()"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, JsError::Kind::kPending);
  ASSERT_TRUE(tc.HasCaught());
  ctx()->Global()->Set(ctx(), v8Str(iso(), "err"), tc.Exception()).Check();
  tc.Reset();
  EXPECT_EQ(run("err instanceof DOMException && err.name"), "DataCloneError");
  // Found before serializing (the transfer list): returned as a value.
  v8::Local<v8::Value> items[] = {v8::Object::New(iso())};
  auto t = structuredClone(*realm_, v8::Null(iso()), v8::Array::New(iso(), items, 1));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, JsError::Kind::kDOMException);
  EXPECT_EQ(t.error().name, "DataCloneError");
}

TEST_F(StructuredCloneTest, PlatformObjectsNeedAHook) {
  v8::Local<v8::Object> proto = eval("globalThis.P = class Thing {}; P.prototype").As<v8::Object>();
  v8::Local<v8::Object> obj = createPlatformObject(*realm_, proto);
  ctx()->Global()->Set(ctx(), v8Str(iso(), "thing"), obj).Check();
  EXPECT_EQ(run("thing instanceof P"), "true");
  EXPECT_EQ(run("try { structuredClone(thing) } catch (e) { e.name + ': ' + e.message }"),
            "DataCloneError: Thing object could not be cloned.");
}

TEST(Performance, CoarsensToFiveMicroseconds) {
  EXPECT_EQ(coarsenedMillis(1'000'000 + 12'345'678, 1'000'000), 12.345);
  EXPECT_EQ(coarsenedMillis(1'000'000 + 4'999, 1'000'000), 0.0);
  EXPECT_EQ(coarsenedMillis(1'000'000 + 5'000, 1'000'000), 0.005);
}

}  // namespace
}  // namespace torus::js
