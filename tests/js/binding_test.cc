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
    c.promiseMethod<&Counter::later>("later");
    c.promiseMethod<&Counter::laterFail>("laterFail");
    c.promiseMethod<&Counter::laterPromise>("laterPromise");
    c.staticPromiseMethod<&Counter::twiceLater>("twiceLater");
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
  double later(Realm&, double by) { return value_ + by; }
  JsResult<double> laterFail(Realm&) { return JsError::dom("AbortError", "later failed"); }
  v8::Local<v8::Promise> laterPromise(Realm& realm) {
    auto resolver = v8::Promise::Resolver::New(realm.context()).ToLocalChecked();
    resolver->Resolve(realm.context(), toJs(realm, "own promise")).Check();
    return resolver->GetPromise();
  }
  static JsResult<double> twiceLater(Realm&, EnforceRange<uint8_t> x) { return 2.0 * x.value; }

 private:
  double value_ = 0;
};

// Attributes with setters, static attributes and constants.
class Point : public Wrappable {
 public:
  static constexpr WrapperType kType{"Point"};
  static void describe(ClassBuilder<Point>& c) {
    c.constructor<&Point::construct>();
    c.accessor<&Point::x, &Point::setX>("x");
    c.accessor<&Point::label, &Point::setLabel>("label");
    c.accessor<&Point::weight, &Point::setWeight>("weight");
    c.getter<&Point::norm>("norm");
    c.staticAccessor<&Point::precision, &Point::setPrecision>("precision");
    c.staticGetter<&Point::created>("created");
    c.constant("DIMENSIONS", 2);
    c.constant("NAME", "point");
  }
  static JsResult<Point*> construct(Realm&, Optional<double> x) {
    ++created_;
    auto* p = new Point();
    p->x_ = x.value_or(0);
    return p;
  }
  double x(Realm&) const { return x_; }
  void setX(Realm&, double x) { x_ = x; }
  std::string label(Realm&) const { return label_; }
  JsResult<void> setLabel(Realm&, std::string label) {
    if (label.empty()) return JsError::range("a label is not empty");
    label_ = std::move(label);
    return {};
  }
  uint8_t weight(Realm&) const { return weight_; }
  void setWeight(Realm&, EnforceRange<uint8_t> w) { weight_ = w.value; }
  double norm(Realm&) const { return x_ < 0 ? -x_ : x_; }
  static int32_t precision(Realm&) { return precision_; }
  static void setPrecision(Realm&, Clamp<int8_t> p) { precision_ = p.value; }
  static uint32_t created(Realm&) { return created_; }

 private:
  double x_ = 0;
  std::string label_ = "p";
  uint8_t weight_ = 0;
  static inline int32_t precision_ = 0;
  static inline uint32_t created_ = 0;
};

// Inheritance: Derived is a Base in C++, in its type tag chain and in JS.
class Base : public Wrappable {
 public:
  static constexpr WrapperType kType{"Base"};
  static void describe(ClassBuilder<Base>& c) {
    c.constructor<&Base::construct>();
    c.method<&Base::who>("who");
    c.method<&Base::same>("same");
    c.getter<&Base::tag>("tag");
  }
  static JsResult<Base*> construct(Realm&) { return new Base(); }
  virtual std::string who(Realm&) { return "base"; }
  bool same(Realm&, Base* other) { return other == this; }
  std::string tag(Realm&) const { return tag_; }

 protected:
  std::string tag_ = "b";
};
class Derived : public Base {
 public:
  static constexpr WrapperType kType{"Derived", &Base::kType};
  static void describe(ClassBuilder<Derived>& c) {
    c.inherit<Base>();
    c.constructor<&Derived::construct>();
    c.method<&Derived::extra>("extra");
  }
  static JsResult<Derived*> construct(Realm&, std::string tag) {
    auto* d = new Derived();
    d->tag_ = std::move(tag);
    return d;
  }
  std::string who(Realm&) override { return "derived"; }
  std::string extra(Realm&) { return "extra:" + tag_; }
};

enum class Speed { kSlow, kFast, kLudicrous };
}  // namespace

template <>
struct EnumValues<Speed> {
  static constexpr const char* kName = "Speed";
  static constexpr std::string_view kValues[] = {"slow", "fast", "ludicrous"};
};

namespace {

// Dictionaries: members listed in any order, converted sorted, inherited ones first.
struct BaseInit {
  static constexpr const char* kName = "BaseInit";
  double zulu = 1;
  bool alpha = false;
  static constexpr auto members() {
    return std::tuple(field("zulu", &BaseInit::zulu), field("alpha", &BaseInit::alpha));
  }
};
struct KitchenInit : BaseInit {
  using Inherits = BaseInit;
  static constexpr const char* kName = "KitchenInit";
  std::string name;
  Optional<int32_t> count;
  Speed speed = Speed::kSlow;
  Nullable<std::string> note;
  static constexpr auto members() {
    return std::tuple(field("speed", &KitchenInit::speed),
                      requiredField("name", &KitchenInit::name),
                      field("note", &KitchenInit::note), field("count", &KitchenInit::count));
  }
};
struct LooseInit {
  static constexpr const char* kName = "LooseInit";
  int32_t b = 2;
  std::string a = "a";
  static constexpr auto members() {
    return std::tuple(field("b", &LooseInit::b), field("a", &LooseInit::a));
  }
};

std::string show(double d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// One method per conversion, each describing what it received.
class Kitchen : public Wrappable {
 public:
  static constexpr WrapperType kType{"Kitchen"};
  static void describe(ClassBuilder<Kitchen>& c) {
    c.constructor<&Kitchen::construct>();
    c.method<&Kitchen::dict>("dict");
    c.method<&Kitchen::loose>("loose");
    c.method<&Kitchen::makeDict>("makeDict");
    c.method<&Kitchen::numberOrString>("numberOrString");
    c.method<&Kitchen::numberOrBool>("numberOrBool");
    c.method<&Kitchen::objects>("objects");
    c.method<&Kitchen::callbackOrDict>("callbackOrDict");
    c.method<&Kitchen::sequence>("sequence");
    c.method<&Kitchen::nested>("nested");
    c.method<&Kitchen::record>("record");
    c.method<&Kitchen::speed>("speed");
    c.method<&Kitchen::callback>("callback");
    c.method<&Kitchen::listener>("listener");
    c.method<&Kitchen::octet>("octet");
    c.method<&Kitchen::enforcedOctet>("enforcedOctet");
    c.method<&Kitchen::clampedOctet>("clampedOctet");
    c.method<&Kitchen::enforcedLong>("enforcedLong");
    c.method<&Kitchen::shortInt>("shortInt");
    c.method<&Kitchen::longLong>("longLong");
    c.method<&Kitchen::unsignedLongLong>("unsignedLongLong");
    c.method<&Kitchen::enforcedLongLong>("enforcedLongLong");
    c.method<&Kitchen::clampedLongLong>("clampedLongLong");
    c.method<&Kitchen::bigint>("bigint");
    c.method<&Kitchen::nullable>("nullable");
    c.method<&Kitchen::optional>("optional");
    c.method<&Kitchen::maybeName>("maybeName");
    c.method<&Kitchen::fill0, &Kitchen::fill2>("fill");
    c.method<&Kitchen::pick1, &Kitchen::pick3>("pick");
  }
  static JsResult<Kitchen*> construct(Realm&) { return new Kitchen(); }

  std::string dict(Realm&, KitchenInit d) {
    return d.name + "|" + show(d.zulu) + "|" + (d.alpha ? "t" : "f") + "|" +
           (d.count ? std::to_string(*d.count) : "none") + "|" +
           std::string(EnumValues<Speed>::kValues[size_t(d.speed)]) + "|" +
           (d.note ? *d.note : "null");
  }
  std::string loose(Realm&, LooseInit d) { return d.a + std::to_string(d.b); }
  KitchenInit makeDict(Realm&) {
    KitchenInit d;
    d.name = "made";
    d.count = 3;
    return d;
  }
  std::string numberOrString(Realm&, std::variant<double, std::string> v) {
    return v.index() == 0 ? "number " + show(std::get<0>(v)) : "string " + std::get<1>(v);
  }
  std::string numberOrBool(Realm&, std::variant<bool, double> v) {
    return v.index() == 0 ? std::string("bool ") + (std::get<0>(v) ? "true" : "false")
                          : "number " + show(std::get<1>(v));
  }
  std::string objects(Realm& realm,
                      std::variant<Base*, std::vector<double>, Record<std::string, double>> v) {
    if (v.index() == 0) return "Base " + std::get<0>(v)->tag(realm);
    if (v.index() == 1) {
      std::string s = "sequence";
      for (double d : std::get<1>(v)) s += " " + show(d);
      return s;
    }
    std::string s = "record";
    for (auto& [k, d] : std::get<2>(v).entries) s += " " + k + "=" + show(d);
    return s;
  }
  std::string callbackOrDict(Realm&, std::variant<v8::Local<v8::Function>, LooseInit> v) {
    return v.index() == 0 ? "function" : "dictionary " + std::get<1>(v).a;
  }
  int32_t sequence(Realm&, std::vector<int32_t> v) {
    int32_t sum = 0;
    for (int32_t i : v) sum += i;
    return sum;
  }
  std::vector<std::vector<std::string>> nested(Realm&, std::vector<std::vector<std::string>> v) {
    return v;
  }
  std::string record(Realm&, Record<ByteString, int32_t> r) {
    std::string s;
    for (auto& [k, v] : r.entries) s += k.value + "=" + std::to_string(v) + ";";
    return s;
  }
  Speed speed(Realm&, Speed s) { return s; }
  JsResult<v8::Local<v8::Value>> callback(Realm& realm, v8::Local<v8::Function> fn) {
    v8::Local<v8::Value> arg = toJs(realm, "arg");
    v8::Local<v8::Value> result;
    if (!fn->Call(realm.context(), v8::Undefined(realm.isolate()), 1, &arg).ToLocal(&result)) {
      return JsError::pending();
    }
    return result;
  }
  JsResult<v8::Local<v8::Value>> listener(Realm& realm, CallbackInterface l) {
    v8::Local<v8::Value> args[] = {toJs(realm, "event")};
    return l.call(realm, "handleEvent", toJs(realm, "thisArg"), args);
  }
  uint8_t octet(Realm&, uint8_t v) { return v; }
  uint8_t enforcedOctet(Realm&, EnforceRange<uint8_t> v) { return v.value; }
  uint8_t clampedOctet(Realm&, Clamp<uint8_t> v) { return v.value; }
  int32_t enforcedLong(Realm&, EnforceRange<int32_t> v) { return v.value; }
  int16_t shortInt(Realm&, int16_t v) { return v; }
  std::string longLong(Realm&, int64_t v) { return std::to_string(v); }
  std::string unsignedLongLong(Realm&, uint64_t v) { return std::to_string(v); }
  std::string enforcedLongLong(Realm&, EnforceRange<int64_t> v) { return std::to_string(v.value); }
  std::string clampedLongLong(Realm&, Clamp<int64_t> v) { return std::to_string(v.value); }
  v8::Local<v8::Value> bigint(Realm& realm, v8::Local<v8::BigInt> b) {
    return v8::BigInt::New(realm.isolate(), b->Int64Value() * 2);
  }
  std::string nullable(Realm&, Nullable<std::string> s) { return s ? "value " + *s : "null"; }
  std::string optional(Realm&, Optional<std::string> s) { return s ? "value " + *s : "missing"; }
  Nullable<std::string> maybeName(Realm&, bool give) {
    if (give) return std::string("named");
    return std::nullopt;
  }
  std::string fill0(Realm&) { return "fill()"; }
  std::string fill2(Realm&, double a, double b) { return "fill(" + show(a) + "," + show(b) + ")"; }
  std::string pick1(Realm&, double a) { return "pick1"; }
  std::string pick3(Realm&, double a, double b, Optional<double> c) {
    return c ? "pick3" : "pick2";
  }

};

// A pair iterable over a list the test changes.
class Pairs : public Wrappable {
 public:
  static constexpr WrapperType kType{"Pairs"};
  static void describe(ClassBuilder<Pairs>& c) {
    c.constructor<&Pairs::construct>();
    c.method<&Pairs::add>("add");
    c.pairIterable<&Pairs::pairAt>();
  }
  static JsResult<Pairs*> construct(Realm&) { return new Pairs(); }
  void add(Realm&, std::string key, int32_t value) { list_.emplace_back(key, value); }
  std::optional<std::pair<std::string, int32_t>> pairAt(Realm&, size_t i) const {
    if (i >= list_.size()) return std::nullopt;
    return list_[i];
  }

 private:
  std::vector<std::pair<std::string, int32_t>> list_;
};

// An async iterable: values 0..n-1, every other one through a promise, failing at `failAt`.
class Countdown : public Wrappable {
 public:
  static constexpr WrapperType kType{"Countdown"};
  static void describe(ClassBuilder<Countdown>& c) {
    c.constructor<&Countdown::construct>();
    c.asyncIterable<&Countdown::nextValue>();
    c.getter<&Countdown::calls>("calls");
  }
  static JsResult<Countdown*> construct(Realm&, uint32_t n, Optional<int32_t> failAt) {
    auto* c = new Countdown();
    c->n_ = n;
    c->failAt_ = failAt.value_or(-1);
    return c;
  }
  JsResult<v8::Local<v8::Value>> nextValue(Realm& realm, AsyncIteration& it) {
    ++calls_;
    uint64_t i = it.index();
    if (int64_t(i) == failAt_) return JsError::range("failed at " + std::to_string(i));
    if (i >= n_) return AsyncIteration::end(realm);
    if (i % 2 == 0) return toJs(realm, uint32_t(i));
    auto resolver = v8::Promise::Resolver::New(realm.context()).ToLocalChecked();
    resolver->Resolve(realm.context(), toJs(realm, uint32_t(i))).Check();
    return resolver->GetPromise().As<v8::Value>();
  }
  uint32_t calls(Realm&) const { return calls_; }

 private:
  uint32_t n_ = 0;
  int64_t failAt_ = -1;
  uint32_t calls_ = 0;
};

// A native holding a JS callback, traced on its wrapper.
class Holder : public Wrappable {
 public:
  static constexpr WrapperType kType{"Holder"};
  static void describe(ClassBuilder<Holder>& c) {
    c.constructor<&Holder::construct>();
    c.method<&Holder::setCallback>("setCallback");
    c.method<&Holder::call>("call");
  }
  static JsResult<Holder*> construct(Realm&) { return new Holder(); }
  void setCallback(Realm& realm, v8::Local<v8::Function> fn) { setTraced(realm, kCallback, fn); }
  JsResult<v8::Local<v8::Value>> call(Realm& realm) {
    v8::Local<v8::Value> fn = traced(realm, kCallback);
    if (!fn->IsFunction()) return JsError::type("no callback");
    v8::Local<v8::Value> result;
    if (!fn.As<v8::Function>()->Call(realm.context(), wrapper(realm.isolate()), 0, nullptr)
             .ToLocal(&result)) {
      return JsError::pending();
    }
    return result;
  }

 private:
  enum : int { kCallback = 0 };
};

class BindingTest : public RealmTest {
 protected:
  void SetUp() override { make(RealmOptions{}); }
  void make(const RealmOptions& options) {
    makeRealm(options);
    installClass<Counter>(*realm_);
    installClass<Point>(*realm_);
    installClass<Base>(*realm_);
    installClass<Derived>(*realm_);
    installClass<Kitchen>(*realm_);
    installClass<Pairs>(*realm_);
    installClass<Countdown>(*realm_);
    installClass<Holder>(*realm_);
  }
  // Runs code, then the microtasks: `out` (a global the code's promises set) as a string.
  std::string settle(const std::string& code) {
    std::string r = run("globalThis.out = 'pending'; " + code);
    if (r.rfind("threw", 0) == 0) return r;
    realm_->checkpoint();
    return run("String(out)");
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


// ---- attributes, statics, constants ----

TEST_F(BindingTest, AttributesWithSettersConvertTheirValue) {
  EXPECT_EQ(run("const p = new Point(3); p.x = '4.5'; p.x"), "4.5");
  EXPECT_EQ(run("p.norm"), "4.5");
  EXPECT_EQ(run("p.label = 42; typeof p.label + ':' + p.label"), "string:42");
  // A read-only attribute ignores assignment (sloppy) or throws (strict).
  EXPECT_EQ(run("p.norm = 9; p.norm"), "4.5");
  EXPECT_EQ(
      run("(() => { 'use strict'; try { p.norm = 1 } catch (e) { return e.constructor.name } })()"),
      "TypeError");
  // Errors name the attribute and the class.
  EXPECT_EQ(run("p.weight = 256"),
            "threw TypeError: Failed to set the 'weight' property on 'Point': The provided value "
            "is outside the 'octet' value range (0 to 255).");
  EXPECT_EQ(run("p.weight = 7; p.weight"), "7");
  EXPECT_EQ(run("p.label = ''"), "threw RangeError: a label is not empty");
  EXPECT_EQ(run("p.label"), "42");
  EXPECT_EQ(run("try { p.x = Symbol() } catch (e) { e.constructor.name }"), "TypeError");
  // The setter brand-checks its receiver; called with no value it is a TypeError.
  EXPECT_EQ(run("const xd = Object.getOwnPropertyDescriptor(Point.prototype, 'x');"
                "try { xd.set.call({}, 1) } catch (e) { e.message }"),
            "Illegal invocation");
  EXPECT_EQ(run("xd.set.call(p)"),
            "threw TypeError: Failed to set the 'x' property on 'Point': 1 argument required, "
            "but only 0 present.");
  // WebIDL's accessor shape: enumerable, configurable, functions "get x"/"set x".
  EXPECT_EQ(run("[xd.enumerable, xd.configurable, xd.get.name, xd.set.name, xd.get.length,"
                " xd.set.length].join()"),
            "true,true,get x,set x,0,1");
  EXPECT_EQ(run("Object.getOwnPropertyDescriptor(Point.prototype, 'norm').set"), "undefined");
}

TEST_F(BindingTest, StaticAttributesAndConstants) {
  EXPECT_EQ(run("Point.precision = 300; Point.precision"), "127");  // [Clamp] byte
  EXPECT_EQ(run("Point.precision = -1.5; Point.precision"), "-2");  // half to even
  EXPECT_EQ(run("const before = Point.created; new Point(); Point.created - before"), "1");
  EXPECT_EQ(run("Point.created = 0; Point.created > 0"), "true");  // read-only
  EXPECT_EQ(run("Object.getOwnPropertyDescriptor(Point, 'precision').enumerable"), "true");
  // Constants: on the interface object and the prototype; enumerable, read-only, permanent.
  EXPECT_EQ(run("[Point.DIMENSIONS, Point.prototype.DIMENSIONS, new Point().NAME].join()"),
            "2,2,point");
  EXPECT_EQ(run("JSON.stringify(Object.getOwnPropertyDescriptor(Point, 'DIMENSIONS'))"),
            R"({"value":2,"writable":false,"enumerable":true,"configurable":false})");
  EXPECT_EQ(run("JSON.stringify(Object.getOwnPropertyDescriptor(Point.prototype, 'NAME'))"),
            R"({"value":"point","writable":false,"enumerable":true,"configurable":false})");
  EXPECT_EQ(run("Point.DIMENSIONS = 3; delete Point.DIMENSIONS; Point.DIMENSIONS"), "2");
}

// ---- WebIDL's shape: enumerability, lengths, names ----

TEST_F(BindingTest, OperationsAndAttributesAreEnumerableWithTheirLength) {
  EXPECT_EQ(run("Object.keys(Counter.prototype).join()"),
            "add,label,same,fail,value,later,laterFail,laterPromise");
  EXPECT_EQ(run("Object.keys(Counter).join()"), "twice,twiceLater");
  EXPECT_EQ(run("Counter.prototype.propertyIsEnumerable('constructor')"), "false");
  EXPECT_EQ(run("Counter.prototype.propertyIsEnumerable(Symbol.toStringTag)"), "false");
  // length: the required arguments (optional and trailing dictionaries do not count).
  EXPECT_EQ(run("[Counter.length, Counter.prototype.add.length, Counter.prototype.label.length,"
                " Counter.prototype.fail.length, Counter.twice.length, Point.length,"
                " Derived.length, Kitchen.prototype.dict.length, Kitchen.prototype.loose.length,"
                " Kitchen.prototype.fill.length, Kitchen.prototype.pick.length].join()"),
            "0,1,1,1,1,0,1,0,0,0,1");
  EXPECT_EQ(run("[Counter.name, Counter.prototype.add.name, Counter.twice.name].join()"),
            "Counter,add,twice");
  // The interface object's prototype property: not writable, enumerable or configurable.
  EXPECT_EQ(run("const pd = Object.getOwnPropertyDescriptor(Counter, 'prototype');"
                "[pd.writable, pd.enumerable, pd.configurable].join()"),
            "false,false,false");
  EXPECT_EQ(run("const ld = Object.getOwnPropertyDescriptor(Counter, 'length');"
                "[ld.writable, ld.enumerable, ld.configurable].join()"),
            "false,false,true");
  // Operations are not constructors.
  EXPECT_EQ(run("try { new Counter.prototype.add(1) } catch (e) { e.constructor.name }"),
            "TypeError");
}

// ---- inheritance ----

TEST_F(BindingTest, InheritanceChainsPrototypesTypeTagsAndInterfaceObjects) {
  EXPECT_EQ(run("const d = new Derived('t'); [d.who(), d.extra(), d.tag].join()"),
            "derived,extra:t,t");
  EXPECT_EQ(run("[d instanceof Derived, d instanceof Base, new Base() instanceof Derived].join()"),
            "true,true,false");
  EXPECT_EQ(run("Object.getPrototypeOf(Derived.prototype) === Base.prototype"), "true");
  EXPECT_EQ(run("Object.getPrototypeOf(Derived) === Base"), "true");
  EXPECT_EQ(run("Object.prototype.toString.call(d)"), "[object Derived]");
  // The parent's operations and attributes, called on the child, unwrap it.
  EXPECT_EQ(run("Base.prototype.who.call(d)"), "derived");
  EXPECT_EQ(run("Object.getOwnPropertyDescriptor(Base.prototype, 'tag').get.call(d)"), "t");
  // A Base argument accepts a Derived; not the other way round.
  EXPECT_EQ(run("const b = new Base(); [b.same(b), b.same(d), d.same(d)].join()"),
            "true,false,true");
  EXPECT_EQ(run("Derived.prototype.extra.call(b)"), "threw TypeError: Illegal invocation");
  EXPECT_EQ(run("new Kitchen().objects(d)"), "Base t");
  EXPECT_EQ(run("new Derived()"),
            "threw TypeError: Failed to construct 'Derived': 1 argument required, but only 0 "
            "present.");
}

// ---- promise-returning operations ----

TEST_F(BindingTest, PromiseOperationsRejectInsteadOfThrowing) {
  EXPECT_EQ(settle("new Counter(2).later(3).then(v => out = v)"), "5");
  EXPECT_EQ(settle("const p = new Counter().laterFail(); out = p instanceof Promise;"
                   "p.catch(e => out += ':' + e.name + ':' + e.message)"),
            "true:AbortError:later failed");
  EXPECT_EQ(settle("new Counter().laterPromise().then(v => out = v)"), "own promise");
  // Too few arguments, a wrong `this`, a failed conversion: rejections, not throws.
  EXPECT_EQ(settle("new Counter().later().catch(e => out = e.message)"),
            "Failed to execute 'later' on 'Counter': 1 argument required, but only 0 present.");
  EXPECT_EQ(settle("Counter.prototype.later.call({}, 1).catch(e => out = e.message)"),
            "Illegal invocation");
  EXPECT_EQ(settle("new Counter().later(Symbol()).catch(e => out = e.constructor.name)"),
            "TypeError");
  EXPECT_EQ(settle("Counter.twiceLater(21).then(v => out = v)"), "42");
  EXPECT_EQ(settle("Counter.twiceLater(NaN).catch(e => out = e.message)"),
            "Failed to execute 'twiceLater' on 'Counter': parameter 1 is not a finite number, "
            "so it cannot be converted to 'octet'.");
}

// ---- dictionaries ----

TEST_F(BindingTest, DictionariesConvertMembersInOrderReadingEachOnce) {
  // Inherited members first, each dictionary's members in lexicographic order.
  EXPECT_EQ(
      run("const log = [];"
          "const src = {zulu: 2, alpha: 1, name: 'n', count: '7', speed: 'fast', note: null};"
          "const proxy = new Proxy(src, {get(t, k, r) { log.push(String(k)); return t[k]; }});"
          "new Kitchen().dict(proxy) + ' ' + log.join()"),
      "n|2|t|7|fast|null alpha,zulu,count,name,note,speed");
  // Getters run once each, in that order, even with side effects.
  EXPECT_EQ(run("let n = 0; const g = {get name() { return 'g' + (++n) },"
                " get zulu() { return ++n }, get alpha() { return ++n }};"
                "new Kitchen().dict(g) + ' ' + n"),
            "g3|2|t|none|slow|null 3");
  // Missing members keep their defaults; undefined and null give every default.
  EXPECT_EQ(run("new Kitchen().dict({name: 'x'})"), "x|1|f|none|slow|null");
  EXPECT_EQ(run("new Kitchen().loose(undefined) + new Kitchen().loose(null) + "
                "new Kitchen().loose()"),
            "a2a2a2");
  // Inherited (prototype) properties count; the wrong kind of value is a TypeError.
  EXPECT_EQ(run("new Kitchen().loose(Object.create({a: 'proto'}))"), "proto2");
  EXPECT_EQ(run("new Kitchen().loose(5)"),
            "threw TypeError: Failed to execute 'loose' on 'Kitchen': parameter 1 is not of "
            "type 'LooseInit'.");
}

TEST_F(BindingTest, DictionaryErrorsNameTheMember) {
  EXPECT_EQ(run("new Kitchen().dict({})"),
            "threw TypeError: Failed to execute 'dict' on 'Kitchen': Failed to read the 'name' "
            "property from 'KitchenInit': Required member is undefined.");
  EXPECT_EQ(run("new Kitchen().dict()"),
            "threw TypeError: Failed to execute 'dict' on 'Kitchen': Failed to read the 'name' "
            "property from 'KitchenInit': Required member is undefined.");
  EXPECT_EQ(run("new Kitchen().dict({name: 'n', speed: 'warp'})"),
            "threw TypeError: Failed to execute 'dict' on 'Kitchen': Failed to read the 'speed' "
            "property from 'KitchenInit': The provided value 'warp' is not a valid enum value "
            "of type Speed.");
  EXPECT_EQ(run("new Kitchen().dict({name: 'n', get count() { throw new EvalError('count') }})"),
            "threw EvalError: count");
  // A dictionary returned to JS: a plain object, members sorted, absent optionals left out.
  EXPECT_EQ(run("JSON.stringify(new Kitchen().makeDict())"),
            R"({"alpha":false,"zulu":1,"count":3,"name":"made","note":null,"speed":"slow"})");
}

// ---- unions ----

TEST_F(BindingTest, UnionsResolveInWebIdlOrder) {
  EXPECT_EQ(run("const k = new Kitchen(); k.numberOrString(5)"), "number 5");
  EXPECT_EQ(run("k.numberOrString('5')"), "string 5");
  EXPECT_EQ(run("k.numberOrString(true)"), "string true");  // string before numeric
  EXPECT_EQ(run("k.numberOrString({})"), "string [object Object]");
  EXPECT_EQ(run("k.numberOrBool(true)"), "bool true");
  EXPECT_EQ(run("k.numberOrBool(2)"), "number 2");
  EXPECT_EQ(run("k.numberOrBool('3')"), "number 3");  // numeric before boolean
  EXPECT_EQ(run("k.numberOrBool(undefined)"), "number nan");
  // Objects: an interface first, then a sequence (has @@iterator), then a record.
  EXPECT_EQ(run("k.objects(new Base())"), "Base b");
  EXPECT_EQ(run("k.objects([1, '2'])"), "sequence 1 2");
  EXPECT_EQ(run("k.objects(new Set([3]))"), "sequence 3");
  EXPECT_EQ(run("k.objects({a: 1, b: '2'})"), "record a=1 b=2");
  EXPECT_EQ(run("k.objects(5)"),
            "threw TypeError: Failed to execute 'objects' on 'Kitchen': parameter 1 is not of "
            "type '(Base or sequence<unrestricted double> or record<DOMString, unrestricted "
            "double>)'.");
  // @@iterator is read once, then used.
  EXPECT_EQ(run("let reads = 0; const it = {get [Symbol.iterator]() { ++reads;"
                " return function* () { yield 4 } }};"
                "k.objects(it) + ' ' + reads"),
            "sequence 4 1");
  // A callback function before a dictionary; undefined to the dictionary.
  EXPECT_EQ(run("k.callbackOrDict(() => 1)"), "function");
  EXPECT_EQ(run("k.callbackOrDict({a: 'x'})"), "dictionary x");
  EXPECT_EQ(run("k.callbackOrDict(undefined)"), "dictionary a");
}

// ---- sequences, records, enums ----

TEST_F(BindingTest, SequencesGoThroughTheIteratorProtocol) {
  EXPECT_EQ(run("const k = new Kitchen(); k.sequence([1, 2, '3'])"), "6");
  EXPECT_EQ(run("k.sequence((function* () { yield 10; yield 20 })())"), "30");
  EXPECT_EQ(run("k.sequence([])"), "0");
  EXPECT_EQ(run("JSON.stringify(k.nested([['a', 1], new Set(['b'])]))"), R"([["a","1"],["b"]])");
  EXPECT_EQ(run("k.sequence({length: 1, 0: 1})"),
            "threw TypeError: Failed to execute 'sequence' on 'Kitchen': parameter 1 cannot be "
            "converted to a sequence.");
  EXPECT_EQ(run("k.sequence('12')"),
            "threw TypeError: Failed to execute 'sequence' on 'Kitchen': parameter 1 cannot be "
            "converted to a sequence.");
  EXPECT_EQ(run("k.sequence({[Symbol.iterator]: 5})"),
            "threw TypeError: Symbol.iterator is not a function");
  EXPECT_EQ(run("k.sequence({*[Symbol.iterator]() { yield 1; throw new EvalError('mid') }})"),
            "threw EvalError: mid");
}

TEST_F(BindingTest, RecordsReadOwnEnumerableKeysInOrder) {
  EXPECT_EQ(run("const k = new Kitchen(); k.record({b: 1, a: '2', 10: 3, 2: 4})"),
            "2=4;10=3;b=1;a=2;");
  EXPECT_EQ(run("const r = Object.create({inherited: 1}); r.own = 2;"
                "Object.defineProperty(r, 'hidden', {value: 3, enumerable: false});"
                "Object.defineProperty(r, Symbol(), {value: 4, enumerable: false});"
                "k.record(r)"),
            "own=2;");
  // Each key's descriptor is read just before its value.
  EXPECT_EQ(run("const log = [];"
                "const p = new Proxy({a: 1, b: 2}, {"
                "  ownKeys(t) { log.push('ownKeys'); return Reflect.ownKeys(t) },"
                "  getOwnPropertyDescriptor(t, k) { log.push('gopd ' + k);"
                "    return Reflect.getOwnPropertyDescriptor(t, k) },"
                "  get(t, k) { log.push('get ' + k); return t[k] }});"
                "k.record(p) + ' ' + log.join()"),
            "a=1;b=2; ownKeys,gopd a,get a,gopd b,get b");
  // An enumerable Symbol key cannot become a string.
  EXPECT_EQ(run("try { k.record({[Symbol()]: 1}) } catch (e) { e.constructor.name }"),
            "TypeError");
  EXPECT_EQ(run("k.record(null)"),
            "threw TypeError: Failed to execute 'record' on 'Kitchen': parameter 1 is not of "
            "type 'record<ByteString, long>'.");
}

TEST_F(BindingTest, EnumsAreCheckedStrings) {
  EXPECT_EQ(run("const k = new Kitchen(); k.speed('ludicrous')"), "ludicrous");
  EXPECT_EQ(run("k.speed({toString() { return 'fast' }})"), "fast");
  EXPECT_EQ(run("k.speed('Fast')"),
            "threw TypeError: Failed to execute 'speed' on 'Kitchen': The provided value 'Fast' "
            "is not a valid enum value of type Speed.");
}

// ---- callbacks ----

TEST_F(BindingTest, CallbackFunctionsAndInterfaces) {
  EXPECT_EQ(run("const k = new Kitchen(); k.callback(a => a + '!')"), "arg!");
  EXPECT_EQ(run("k.callback({})"),
            "threw TypeError: Failed to execute 'callback' on 'Kitchen': parameter 1 is not of "
            "type 'Function'.");
  EXPECT_EQ(run("k.callback(() => { throw new EvalError('inside') })"), "threw EvalError: inside");
  // A callback interface: a function gets thisArg; an object's handleEvent gets the object.
  EXPECT_EQ(run("k.listener(function (e) { return e + ':' + this })"), "event:thisArg");
  EXPECT_EQ(run("k.listener({tag: 'obj', handleEvent(e) { return e + ':' + this.tag }})"),
            "event:obj");
  // handleEvent is looked up at each call.
  EXPECT_EQ(run("const l = {}; l.handleEvent = () => 'first'; const r1 = k.listener(l);"
                "l.handleEvent = () => 'second'; r1 + ',' + k.listener(l)"),
            "first,second");
  EXPECT_EQ(run("k.listener({})"),
            "threw TypeError: The callback's 'handleEvent' is not a function.");
  EXPECT_EQ(run("k.listener(5)"),
            "threw TypeError: Failed to execute 'listener' on 'Kitchen': parameter 1 is not of "
            "type 'object'.");
}

// ---- integers ----

TEST_F(BindingTest, IntegersConvertModuloTheirWidth) {
  EXPECT_EQ(
      run("const k = new Kitchen();"
          "[k.octet(255), k.octet(256), k.octet(-1), k.octet(3.9), k.octet(-3.9), k.octet(NaN),"
          " k.octet(Infinity), k.octet('0x10'), k.octet(2 ** 53)].join()"),
      "255,0,255,3,253,0,0,16,0");
  EXPECT_EQ(run("[k.shortInt(32768), k.shortInt(-32769), k.shortInt(65535)].join()"),
            "-32768,32767,-1");
  // 64-bit: ConvertToInt modulo 2^64, back to JS as the closest Number.
  EXPECT_EQ(
      run("[k.longLong(2 ** 53), k.longLong(2 ** 53 + 2), k.longLong(-1), k.longLong(2 ** 63),"
          " k.longLong(2 ** 64 + 4096), k.longLong(-0), k.longLong(-Infinity)].join()"),
      "9007199254740992,9007199254740994,-1,-9223372036854775808,4096,0,0");
  EXPECT_EQ(run("[k.unsignedLongLong(-1), k.unsignedLongLong(2 ** 64), "
                "k.unsignedLongLong(1e300)].join()"),
            "18446744073709551615,0,0");
  EXPECT_EQ(run("try { k.longLong(1n) } catch (e) { e.constructor.name }"), "TypeError");
}

TEST_F(BindingTest, EnforceRangeRejectsNonFiniteAndOutOfRange) {
  EXPECT_EQ(run("const k = new Kitchen();"
                "[k.enforcedOctet(0), k.enforcedOctet(255), k.enforcedOctet(254.9), "
                "k.enforcedOctet(-0.9),"
                " k.enforcedOctet(-0)].join()"),
            "0,255,254,0,0");
  EXPECT_EQ(run("Object.is(k.enforcedOctet(-0), 0)"), "true");
  for (const char* bad : {"NaN", "Infinity", "-Infinity"}) {
    EXPECT_EQ(run(std::string("k.enforcedOctet(") + bad + ")"),
              "threw TypeError: Failed to execute 'enforcedOctet' on 'Kitchen': parameter 1 is not "
              "a finite number, so it cannot be converted to 'octet'.")
        << bad;
  }
  EXPECT_EQ(run("k.enforcedOctet(256)"),
            "threw TypeError: Failed to execute 'enforcedOctet' on 'Kitchen': parameter 1 is "
            "outside the 'octet' value range (0 to 255).");
  EXPECT_EQ(run("k.enforcedOctet(-1)"),
            "threw TypeError: Failed to execute 'enforcedOctet' on 'Kitchen': parameter 1 is "
            "outside the 'octet' value range (0 to 255).");
  EXPECT_EQ(run("[k.enforcedLong(2147483647), k.enforcedLong(-2147483648)].join()"),
            "2147483647,-2147483648");
  EXPECT_EQ(run("try { k.enforcedLong(2147483648) } catch (e) { e.constructor.name }"),
            "TypeError");
  // long long: limited to the safe integers.
  EXPECT_EQ(run("[k.enforcedLongLong(2 ** 53 - 1), k.enforcedLongLong(-(2 ** 53 - 1))].join()"),
            "9007199254740991,-9007199254740991");
  EXPECT_EQ(run("k.enforcedLongLong(2 ** 53)"),
            "threw TypeError: Failed to execute 'enforcedLongLong' on 'Kitchen': parameter 1 is "
            "outside the 'long long' value range (-9007199254740991 to 9007199254740991).");
}

TEST_F(BindingTest, ClampClampsAndRoundsHalfToEven) {
  EXPECT_EQ(
      run("const k = new Kitchen();"
          "[k.clampedOctet(-5), k.clampedOctet(300), k.clampedOctet(NaN), k.clampedOctet(Infinity),"
          " k.clampedOctet(-Infinity), k.clampedOctet(1.5), k.clampedOctet(2.5), "
          "k.clampedOctet(2.6),"
          " k.clampedOctet(-0), k.clampedOctet(-0.5), k.clampedOctet(254.5)].join()"),
      "0,255,0,255,0,2,2,3,0,0,254");
  EXPECT_EQ(run("[k.clampedLongLong(2 ** 60), k.clampedLongLong(-(2 ** 60)), "
                "k.clampedLongLong(0.5)].join()"),
            "9007199254740991,-9007199254740991,0");
}

TEST_F(BindingTest, BigIntAndNullable) {
  EXPECT_EQ(run("const k = new Kitchen(); k.bigint(21n) === 42n"), "true");
  EXPECT_EQ(run("k.bigint('7') === 14n"), "true");   // ToBigInt parses strings
  EXPECT_EQ(run("k.bigint(true) === 2n"), "true");
  EXPECT_EQ(run("try { k.bigint(5) } catch (e) { e.constructor.name }"), "TypeError");
  // T?: null and undefined are null; optional T: undefined is missing, null converts.
  EXPECT_EQ(run("[k.nullable(null), k.nullable(undefined), k.nullable('s'), k.nullable(0)].join()"),
            "null,null,value s,value 0");
  EXPECT_EQ(run("k.nullable()"),
            "threw TypeError: Failed to execute 'nullable' on 'Kitchen': 1 argument required, "
            "but only 0 present.");
  EXPECT_EQ(run("[k.optional(), k.optional(undefined), k.optional(null)].join()"),
            "missing,missing,value null");
  EXPECT_EQ(run("[k.maybeName(true), k.maybeName(false)].join()"), "named,");
  EXPECT_EQ(run("k.maybeName(false) === null"), "true");
}

// ---- overloads ----

TEST_F(BindingTest, OverloadsResolveByArgumentCount) {
  EXPECT_EQ(run("const k = new Kitchen(); [k.fill(), k.fill(1, 2), k.fill(1, 2, 3)].join()"),
            "fill(),fill(1,2),fill(1,2)");
  EXPECT_EQ(run("k.fill(1)"),
            "threw TypeError: Failed to execute 'fill' on 'Kitchen': No function was found that "
            "matched the signature provided.");
  EXPECT_EQ(run("[k.pick(1), k.pick(1, 2), k.pick(1, 2, 3), k.pick(1, 2, 3, 4)].join()"),
            "pick1,pick2,pick3,pick3");
  EXPECT_EQ(run("k.pick()"),
            "threw TypeError: Failed to execute 'pick' on 'Kitchen': 1 argument required, but "
            "only 0 present.");
}

// ---- pair iterators ----

TEST_F(BindingTest, PairIterablesAreDeclaredOnce) {
  EXPECT_EQ(run("const p = new Pairs(); p.add('a', 1); p.add('b', 2);"
                "JSON.stringify([[...p], [...p.keys()], [...p.values()], [...p.entries()]])"),
            R"([[["a",1],["b",2]],["a","b"],[1,2],[["a",1],["b",2]]])");
  EXPECT_EQ(run("Pairs.prototype[Symbol.iterator] === Pairs.prototype.entries"), "true");
  EXPECT_EQ(run("Object.keys(Pairs.prototype).join()"), "add,entries,keys,values,forEach");
  EXPECT_EQ(run("Pairs.prototype.propertyIsEnumerable(Symbol.iterator)"), "false");
  EXPECT_EQ(run("[Pairs.prototype.forEach.length, Pairs.prototype.entries.length].join()"), "1,0");
  // forEach: (value, key, object), with thisArg; the list is re-read after each call.
  EXPECT_EQ(run("const seen = []; p.forEach(function (v, k, o) {"
                " seen.push(k + v + (o === p) + this.t); if (k === 'a') p.add('c', 3) }, {t: '!'});"
                "seen.join()"),
            "a1true!,b2true!,c3true!");
  EXPECT_EQ(run("p.forEach()"),
            "threw TypeError: Failed to execute 'forEach' on 'Pairs': 1 argument required, but "
            "only 0 present.");
  EXPECT_EQ(run("p.forEach({})"),
            "threw TypeError: Failed to execute 'forEach' on 'Pairs': parameter 1 is not of type "
            "'Function'.");
}

TEST_F(BindingTest, PairIteratorObjectsHaveTheirOwnPrototype) {
  EXPECT_EQ(run("const p = new Pairs(); p.add('a', 1); const it = p.keys();"
                "Object.prototype.toString.call(it)"),
            "[object Pairs Iterator]");
  EXPECT_EQ(run("const itProto = Object.getPrototypeOf(it);"
                "Object.getPrototypeOf(itProto) === "
                "Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))"),
            "true");
  EXPECT_EQ(run("Object.getOwnPropertyNames(itProto).join()"), "next");
  EXPECT_EQ(run("const nd = Object.getOwnPropertyDescriptor(itProto, 'next');"
                "[nd.writable, nd.enumerable, nd.configurable, nd.value.length].join()"),
            "true,true,true,0");
  EXPECT_EQ(run("const td = Object.getOwnPropertyDescriptor(itProto, Symbol.toStringTag);"
                "[td.value, td.writable, td.enumerable].join()"),
            "Pairs Iterator,false,false");
  EXPECT_EQ(run("Object.getPrototypeOf(p.entries()) === itProto"), "true");
  // Live: a pair added while iterating is seen.
  EXPECT_EQ(run("const e = p.entries(); e.next(); p.add('z', 9); JSON.stringify(e.next())"),
            R"({"value":["z",9],"done":false})");
  EXPECT_EQ(run("JSON.stringify(e.next())"), R"({"done":true})");
  EXPECT_EQ(run("itProto.next.call({})"), "threw TypeError: Illegal invocation");
  EXPECT_EQ(run("itProto.next.call(new Pairs().keys()).done"), "true");
}

// ---- async iterators ----

TEST_F(BindingTest, AsyncIterablesYieldPromisesOfResults) {
  EXPECT_EQ(settle("(async () => { const got = [];"
                   "  for await (const v of new Countdown(4)) got.push(v);"
                   "  out = got.join() })()"),
            "0,1,2,3");
  EXPECT_EQ(run("const c = new Countdown(1); const it = c.values();"
                "Object.prototype.toString.call(it)"),
            "[object Countdown AsyncIterator]");
  EXPECT_EQ(run("Countdown.prototype[Symbol.asyncIterator] === Countdown.prototype.values"),
            "true");
  EXPECT_EQ(run("const aproto = Object.getPrototypeOf(Object.getPrototypeOf("
                "  Object.getPrototypeOf((async function* () {})())));"
                "Object.getPrototypeOf(Object.getPrototypeOf(it)) === aproto"),
            "true");
  EXPECT_EQ(run("it.next() instanceof Promise"), "true");
  // After the end the iterable is not asked again.
  EXPECT_EQ(settle("it.next().then(r => it.next()).then(r => out = JSON.stringify(r) + c.calls)"),
            R"({"done":true}2)");
}

TEST_F(BindingTest, AsyncIteratorCallsRunOneAtATime) {
  // Three next() calls at once: each asks the iterable only after the previous one settled.
  EXPECT_EQ(
      settle("const c = new Countdown(2); const it = c.values();"
             "const calls = [];"
             "const ps = [it.next(), it.next(), it.next()]; calls.push(c.calls);"
             "Promise.all(ps).then(rs => out = calls + ' ' + JSON.stringify(rs) + ' ' + c.calls)"),
      R"(1 [{"value":0,"done":false},{"value":1,"done":false},{"done":true}] 3)");
  // A failure rejects that call and finishes the iterator.
  EXPECT_EQ(
      settle(
          "const f = new Countdown(5, 1).values();"
          "f.next().then(() => f.next()).catch(e => { out = e.constructor.name + ':' + e.message;"
          "  return f.next() }).then(r => out += ':' + r.done)"),
      "RangeError:failed at 1:true");
  EXPECT_EQ(settle("Object.getPrototypeOf(new Countdown(1).values()).next.call({})"
                   ".catch(e => out = e.message)"),
            "Illegal invocation");
}

// ---- natives and the GC ----

// A native holding a callback that closes over the native's own wrapper: with the callback
// on the wrapper (traced), the cycle is garbage. (With a v8::Global it would leak forever.)
// 1,000,000 natives even under ASan: about ten seconds.
TEST_F(BindingTest, CyclesThroughTracedValuesAreCollected) {
  realm_->isolate()->LowMemoryNotification();
  size_t baseline = realm_->liveWrappables();
  EXPECT_EQ(
      run("for (let i = 0; i < 1000000; ++i) { const h = new Holder(); h.setCallback(() => h) }"
          " 0"),
      "0");
  EXPECT_GT(realm_->liveWrappables(), baseline);
  realm_->isolate()->LowMemoryNotification();
  EXPECT_EQ(realm_->liveWrappables(), baseline);
  // A kept one still has its callback (and it still reaches its wrapper).
  EXPECT_EQ(run("globalThis.h = new Holder(); h.setCallback(function () { return this === h });"
                " 0"),
            "0");
  realm_->isolate()->LowMemoryNotification();
  EXPECT_EQ(run("h.call()"), "true");
  EXPECT_EQ(realm_->liveWrappables(), baseline + 1);
  EXPECT_EQ(run("new Holder().call()"), "threw TypeError: no callback");
}

// Natives of wrappers collected by ordinary (not forced) GCs are deleted too, by the time of
// a checkpoint (which also pumps the platform tasks V8 posts, whatever V8 defers there).
TEST_F(BindingTest, NativesOfOrdinaryGcsAreDeletedAtCheckpoints) {
  size_t baseline = realm_->liveWrappables();
  run("for (let i = 0; i < 100000; ++i) new Counter(i); 0");
  for (int round = 0; round < 50 && realm_->liveWrappables() > baseline + 1000; ++round) {
    run("{ let junk = []; for (let i = 0; i < 200000; ++i) junk.push({i}); } 0");
    realm_->checkpoint();
  }
  EXPECT_LE(realm_->liveWrappables(), baseline + 1000);
}
}  // namespace
}  // namespace torus::js
