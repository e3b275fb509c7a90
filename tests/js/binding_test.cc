// The binding layer and the realm, through a real isolate: argument conversion and arity
// errors name the class, the member and the parameter; wrappers are type-checked; natives
// die with their wrappers; the ArrayBuffer allocator counts bytes and enforces its cap.
#include "js/binding.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "js/realm.h"
#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

int gLiveCounters = 0;

// A tiny class declared through the binding layer, for its conversions.
class Counter : public Wrappable {
 public:
  static constexpr WrapperType kType{"Counter"};
  static void describe(ClassBuilder<Counter>& c) {
    c.constructor<&Counter::construct>();
    c.method<&Counter::add>("add");
    c.method<&Counter::label>("label");
    c.method<&Counter::same>("same");
    c.method<&Counter::fail>("fail");
    c.getter<&Counter::value>("value");
    c.staticMethod<&Counter::twice>("twice");
  }
  Counter() { ++gLiveCounters; }
  ~Counter() override { --gLiveCounters; }

  static JsResult<Counter*> construct(Realm&, Optional<double> start) {
    auto* c = new Counter();
    c->value_ = start.value_or(0);
    return c;
  }
  double add(Realm&, double by) { return value_ += by; }
  std::string label(Realm&, ByteString prefix, Optional<std::string> suffix) {
    return prefix.value + ":" + std::to_string(int(value_)) + suffix.value_or("");
  }
  bool same(Realm&, Counter* other) { return other == this; }
  JsResult<void> fail(Realm&, std::string kind) {
    if (kind == "range") return JsError::range("out of range");
    return JsError::dom("AbortError", "stopped");
  }
  double value(Realm&) const { return value_; }
  static double twice(Realm&, double x) { return 2 * x; }

 private:
  double value_ = 0;
};

class BindingTest : public RealmTest {
 protected:
  void SetUp() override { make(RealmOptions{}); }
  void make(const RealmOptions& options) {
    makeRealm(options);
    installClass<Counter>(*realm_);
  }
};

TEST_F(BindingTest, MethodsGettersAndStatics) {
  EXPECT_EQ(run("const c = new Counter(2); c.add(3); c.value"), "5");
  EXPECT_EQ(run("c.label('n')"), "n:5");
  EXPECT_EQ(run("c.label('n', '!')"), "n:5!");
  EXPECT_EQ(run("c.same(c)"), "true");
  EXPECT_EQ(run("Counter.twice(21)"), "42");
  EXPECT_EQ(run("Object.prototype.toString.call(c)"), "[object Counter]");
}

TEST_F(BindingTest, MissingArgumentsAreATypeErrorNamingTheMember) {
  EXPECT_EQ(run("new Counter().add()"),
            "threw TypeError: Failed to execute 'add' on 'Counter': 1 argument required, but "
            "only 0 present.");
  EXPECT_EQ(run("new Counter().label()"),
            "threw TypeError: Failed to execute 'label' on 'Counter': 1 argument required, but "
            "only 0 present.");
}

TEST_F(BindingTest, ConversionErrorsNameTheParameter) {
  EXPECT_EQ(run("new Counter().same({})"),
            "threw TypeError: Failed to execute 'same' on 'Counter': parameter 1 is not of type "
            "'Counter'.");
  EXPECT_EQ(run("new Counter().label('\\u0100')"),
            "threw TypeError: Failed to execute 'label' on 'Counter': parameter 1 is not a valid "
            "ByteString (a character above U+00FF).");
  // A Symbol cannot become a number: V8's own TypeError comes through.
  EXPECT_EQ(run("try { new Counter().add(Symbol()); 'no' } catch (e) { e.constructor.name }"),
            "TypeError");
}

TEST_F(BindingTest, WrongReceiverAndPlainCallsAreTypeErrors) {
  EXPECT_EQ(run("Counter.prototype.add.call({}, 1)"), "threw TypeError: Illegal invocation");
  EXPECT_EQ(run("Counter(1)"),
            "threw TypeError: Failed to construct 'Counter': Please use the 'new' operator.");
}

TEST_F(BindingTest, ReturnedErrorsBecomeTheirJsClass) {
  EXPECT_EQ(run("new Counter().fail('range')"), "threw RangeError: out of range");
  EXPECT_EQ(run("new Counter().fail('abort')"), "threw AbortError: stopped");
  EXPECT_EQ(run("try { new Counter().fail('abort') } catch (e) { e instanceof DOMException }"),
            "true");
}

TEST_F(BindingTest, NativesDieWithTheirWrappers) {
  int before = gLiveCounters;
  run("for (let i = 0; i < 1000; ++i) new Counter(i);");
  EXPECT_GE(gLiveCounters, before);
  realm_->isolate()->LowMemoryNotification();  // full GCs: weak callbacks run
  EXPECT_LT(gLiveCounters, before + 1000);
  run("globalThis.kept = new Counter(7);");
  realm_->isolate()->LowMemoryNotification();
  EXPECT_EQ(run("kept.value"), "7");
  // Teardown deletes what is still alive.
  TearDown();
  EXPECT_EQ(gLiveCounters, 0);
  SetUp();
}

TEST_F(BindingTest, ArrayBufferBytesAreCountedAndCapped) {
  RealmOptions options;
  options.maxArrayBufferBytes = 1 << 20;
  make(options);
  size_t before = realm_->arrayBufferBytes();
  EXPECT_EQ(run("globalThis.buf = new ArrayBuffer(65536); buf.byteLength"), "65536");
  EXPECT_EQ(realm_->arrayBufferBytes(), before + 65536);
  EXPECT_EQ(run("try { new ArrayBuffer(2 << 20); 'allocated' } catch (e) { e.constructor.name }"),
            "RangeError");
  EXPECT_EQ(run("new Uint8Array(1000).length"), "1000");  // under the cap still works
}

}  // namespace
}  // namespace torus::js
