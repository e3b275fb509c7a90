#include "js/api/headers.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "js/binding.h"
#include "js/realm.h"
#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

class HeadersTest : public RealmTest {
 protected:
  void SetUp() override {
    RealmTest::SetUp();
    installClass<Headers>(*realm_);
  }

  void setGlobal(const char* name, v8::Local<v8::Value> v) {
    ctx()->Global()->Set(ctx(), v8Str(iso(), name), v).Check();
  }

  Headers* unwrapGlobal(const char* name) {
    v8::Local<v8::Value> v = ctx()->Global()->Get(ctx(), v8Str(iso(), name)).ToLocalChecked();
    return Wrappable::unwrap<Headers>(v);
  }
};

TEST_F(HeadersTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(run("const h = new Headers(); h.append('Content-Type', 'text/plain');"
                "[h.get('content-type'), h.get('CONTENT-TYPE'), h.has('Content-type')]"),
            "text/plain,text/plain,true");
  EXPECT_EQ(run("h.get('accept')"), "null");
  EXPECT_EQ(run("h.has('accept')"), "false");
}

TEST_F(HeadersTest, GetCombinesValuesInOrder) {
  EXPECT_EQ(run("const h = new Headers(); h.append('Accept', 'a'); h.append('x', '1');"
                "h.append('accept', 'b'); h.get('ACCEPT')"),
            "a, b");
}

TEST_F(HeadersTest, IterationIsSortedAndCombined) {
  EXPECT_EQ(run("const h = new Headers([['b', '2'], ['C', '3'], ['a', '1'], ['B', '4']]);"
                "JSON.stringify([...h])"),
            R"([["a","1"],["b","2, 4"],["c","3"]])");
  EXPECT_EQ(run("JSON.stringify([...h.keys()])"), R"(["a","b","c"])");
  EXPECT_EQ(run("JSON.stringify([...h.values()])"), R"(["1","2, 4","3"])");
  EXPECT_EQ(run("JSON.stringify([...h.entries()])"), R"([["a","1"],["b","2, 4"],["c","3"]])");
  EXPECT_EQ(run("Headers.prototype[Symbol.iterator] === Headers.prototype.entries"), "true");
  // The iterator's prototype inherits from %IteratorPrototype%, as WebIDL says.
  EXPECT_EQ(run("Object.getPrototypeOf(Object.getPrototypeOf(h.keys())) === "
                "Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))"),
            "true");
  EXPECT_EQ(run("Object.prototype.toString.call(h.keys())"), "[object Headers Iterator]");
}

// The iterator is live (index-based, as WebIDL's default iterator): it sees changes.
TEST_F(HeadersTest, IteratorSeesChangesMadeWhileIterating) {
  EXPECT_EQ(run("const h = new Headers({a: '1'}); const it = h.keys(); h.append('b', '2');"
                "JSON.stringify([...it])"),
            R"(["a","b"])");
  EXPECT_EQ(run("const g = new Headers({a: '1', b: '2', c: '3'}); const seen = [];"
                "for (const [k] of g) { seen.push(k); if (k === 'a') g.delete('b'); }"
                "JSON.stringify(seen)"),
            R"(["a","c"])");
}

TEST_F(HeadersTest, SetCookieIsNeverCombinedInIteration) {
  EXPECT_EQ(run("const h = new Headers(); h.append('Set-Cookie', 'a=1');"
                "h.append('x', 'y'); h.append('set-cookie', 'b=2');"
                "JSON.stringify([...h])"),
            R"([["set-cookie","a=1"],["set-cookie","b=2"],["x","y"]])");
  EXPECT_EQ(run("JSON.stringify(h.getSetCookie())"), R"(["a=1","b=2"])");
  EXPECT_EQ(run("h.get('set-cookie')"), "a=1, b=2");
  EXPECT_EQ(run("JSON.stringify(new Headers().getSetCookie())"), "[]");
}

TEST_F(HeadersTest, SetReplacesAllValues) {
  EXPECT_EQ(run("const h = new Headers(); h.append('x', '1'); h.append('y', 'z');"
                "h.append('X', '2'); h.set('x', '3'); h.get('x')"),
            "3");
  // The first x takes the value in place; the later x goes.
  run("globalThis.g = new Headers(); g.append('x', '1'); g.append('y', 'z');"
      "g.append('X', '2'); g.set('X', '3'); g.set('new', 'n');");
  Headers* h = unwrapGlobal("g");
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->list().size(), 3u);
  EXPECT_EQ(h->list()[0].name, "x");
  EXPECT_EQ(h->list()[0].value, "3");
  EXPECT_EQ(h->list()[1].name, "y");
  EXPECT_EQ(h->list()[2].name, "new");
}

TEST_F(HeadersTest, DeleteAndHas) {
  EXPECT_EQ(run("const h = new Headers({a: '1', b: '2'}); h.append('A', '3'); h.delete('A');"
                "[h.has('a'), h.get('a'), h.has('b')]"),
            "false,,true");
  EXPECT_EQ(run("h.delete('missing'); JSON.stringify([...h])"), R"([["b","2"]])");
}

TEST_F(HeadersTest, ValuesAreNormalized) {
  EXPECT_EQ(run("const h = new Headers(); h.append('a', ' \\t x y \\r\\n'); "
                "h.set('b', '\\n\\tz '); JSON.stringify([h.get('a'), h.get('b')])"),
            R"(["x y","z"])");
  EXPECT_EQ(run("JSON.stringify([...new Headers([['c', '  v  ']])])"), R"([["c","v"]])");
  EXPECT_EQ(run("JSON.stringify([...new Headers({d: '\\tw\\t'})])"), R"([["d","w"]])");
}

TEST_F(HeadersTest, InvalidNamesAndValuesThrowTypeErrors) {
  EXPECT_EQ(run("new Headers().append('a b', 'x')"),
            "threw TypeError: Failed to execute 'append' on 'Headers': Invalid header name 'a b'");
  EXPECT_EQ(run("new Headers().append('', 'x')"),
            "threw TypeError: Failed to execute 'append' on 'Headers': Invalid header name ''");
  EXPECT_EQ(run("new Headers().append('a:', 'x')"),
            "threw TypeError: Failed to execute 'append' on 'Headers': Invalid header name 'a:'");
  EXPECT_EQ(run("new Headers().set('a', 'x\\ny')"),
            "threw TypeError: Failed to execute 'set' on 'Headers': Invalid header value 'x\ny'");
  EXPECT_EQ(run("new Headers().append('a', 'x\\ry')"),
            "threw TypeError: Failed to execute 'append' on 'Headers': Invalid header value "
            "'x\ry'");
  EXPECT_EQ(run("try { new Headers().append('a', 'x\\0y') } catch (e) { e instanceof TypeError }"),
            "true");
  EXPECT_EQ(run("new Headers().get('a\\u00e9')"),
            "threw TypeError: Failed to execute 'get' on 'Headers': Invalid header name "
            "'a\xc3\xa9'");
  EXPECT_EQ(run("new Headers().has('(')"),
            "threw TypeError: Failed to execute 'has' on 'Headers': Invalid header name '('");
  EXPECT_EQ(run("new Headers().delete('a\\tb')"),
            "threw TypeError: Failed to execute 'delete' on 'Headers': Invalid header name "
            "'a\tb'");
  EXPECT_EQ(run("new Headers([['a b', 'x']])"),
            "threw TypeError: Failed to construct 'Headers': Invalid header name 'a b'");
  EXPECT_EQ(run("new Headers({a: 'x\\ny'})"),
            "threw TypeError: Failed to construct 'Headers': Invalid header value 'x\ny'");
  // Code points above U+00FF are not ByteStrings.
  EXPECT_EQ(run("try { new Headers().append('a', '\\u0100') } catch (e) { e.constructor.name }"),
            "TypeError");
  // Bytes 0x80-0xFF are valid values and round-trip.
  EXPECT_EQ(run("const h = new Headers({a: '\\u00ff\\u0080'}); h.get('a') === '\\u00ff\\u0080'"),
            "true");
}

TEST_F(HeadersTest, ImmutableGuard) {
  Headers* h = Headers::create(Headers::Guard::kImmutable);
  h->appendTrusted("X-Req", "1");
  setGlobal("h", wrap(*realm_, h));
  EXPECT_EQ(run("h.append('a', 'b')"), "threw TypeError: Headers are immutable");
  EXPECT_EQ(run("h.set('a', 'b')"), "threw TypeError: Headers are immutable");
  EXPECT_EQ(run("h.delete('x-req')"), "threw TypeError: Headers are immutable");
  // Validation comes first, then the guard.
  EXPECT_EQ(run("h.append('a b', 'c')"),
            "threw TypeError: Failed to execute 'append' on 'Headers': Invalid header name 'a b'");
  EXPECT_EQ(run("[h.get('x-req'), h.has('X-REQ'), JSON.stringify([...h])]"),
            R"(1,true,[["x-req","1"]])");
  // The C++ side may still edit (e.g. the runtime before handing the object out).
  h->setTrusted("x-req", "2");
  EXPECT_EQ(run("h.get('x-req')"), "2");
  h->setGuard(Headers::Guard::kNone);
  EXPECT_EQ(run("h.append('a', 'b'); h.get('a')"), "b");
}

TEST_F(HeadersTest, InitForms) {
  // Another Headers (values copied, not shared).
  EXPECT_EQ(run("const a = new Headers([['x', '1'], ['X', '2'], ['set-cookie', 's']]);"
                "const b = new Headers(a); a.set('x', 'changed');"
                "JSON.stringify([...b])"),
            R"([["set-cookie","s"],["x","1, 2"]])");
  // A record: own enumerable string keys; values converted with ToString.
  EXPECT_EQ(run("const proto = {inherited: 'no'};"
                "const r = Object.create(proto); r.A = 1; r.b = true;"
                "Object.defineProperty(r, 'hidden', {value: 'no', enumerable: false});"
                "JSON.stringify([...new Headers(r)])"),
            R"([["a","1"],["b","true"]])");
  // Any iterable of iterables.
  EXPECT_EQ(run("JSON.stringify([...new Headers(new Map([['m', 'v']]))])"), R"([["m","v"]])");
  EXPECT_EQ(run("function* gen() { yield ['g', 'v']; yield new Set(['s', 'w']); }"
                "JSON.stringify([...new Headers(gen())])"),
            R"([["g","v"],["s","w"]])");
  // A record's keys: each descriptor read just before its value (WebIDL's order).
  EXPECT_EQ(run("const log = []; const px = new Proxy({b: '1', a: '2'}, {"
                "  ownKeys(t) { log.push('keys'); return Reflect.ownKeys(t) },"
                "  getOwnPropertyDescriptor(t, k) { log.push('gopd ' + k);"
                "    return Reflect.getOwnPropertyDescriptor(t, k) },"
                "  get(t, k) { if (typeof k === 'string') log.push('get ' + k); return t[k] }});"
                "JSON.stringify([...new Headers(px)]) + ' ' + log.join()"),
            R"([["a","2"],["b","1"]] keys,gopd b,get b,gopd a,get a)");
  EXPECT_EQ(run("JSON.stringify([...new Headers(undefined)])"), "[]");
  EXPECT_EQ(run("JSON.stringify([...new Headers({})])"), "[]");
  EXPECT_EQ(run("JSON.stringify([...new Headers([])])"), "[]");
}

TEST_F(HeadersTest, InitErrors) {
  EXPECT_EQ(run("new Headers([['a', 'b', 'c']])"),
            "threw TypeError: Failed to construct 'Headers': Header pair must contain exactly "
            "two items, got 3");
  EXPECT_EQ(run("new Headers([['a']])"),
            "threw TypeError: Failed to construct 'Headers': Header pair must contain exactly "
            "two items, got 1");
  EXPECT_EQ(run("try { new Headers(['ab']) } catch (e) { e.constructor.name }"), "TypeError");
  EXPECT_EQ(run("try { new Headers(null) } catch (e) { e.constructor.name }"), "TypeError");
  EXPECT_EQ(run("try { new Headers(42) } catch (e) { e.constructor.name }"), "TypeError");
  EXPECT_EQ(run("try { new Headers({[Symbol()]: 'x'}) } catch (e) { e.constructor.name }"),
            "TypeError");
  // An exception thrown by user code reaches the caller unchanged.
  EXPECT_EQ(run("new Headers({get a() { throw new RangeError('from getter') }})"),
            "threw RangeError: from getter");
  EXPECT_EQ(run("new Headers({[Symbol.iterator]() { throw new SyntaxError('from iter') }})"),
            "threw SyntaxError: from iter");
  EXPECT_EQ(run("const e = {}; try { new Headers({toString() {}, get x() { throw e }}) }"
                "catch (x) { x === e }"),
            "true");
  EXPECT_EQ(run("Headers()"),
            "threw TypeError: Failed to construct 'Headers': Please use the 'new' operator.");
}

TEST_F(HeadersTest, ForEachVisitsSortedPairsWithThisArg) {
  EXPECT_EQ(run("const h = new Headers([['b', '2'], ['a', '1'], ['A', '3']]);"
                "const out = []; const self = {tag: 'T'};"
                "h.forEach(function (v, k, o) { out.push(`${k}=${v}:${o === h}:${this.tag}`) },"
                "          self);"
                "out.join(' ')"),
            "a=1, 3:true:T b=2:true:T");
  // Changes made by the callback are seen by the rest of the walk.
  EXPECT_EQ(run("const seen = []; h.forEach((v, k) => { seen.push(k);"
                "  if (k === 'a') h.append('c', '3'); });"
                "seen.join()"),
            "a,b,c");
  EXPECT_EQ(run("h.forEach(42)"),
            "threw TypeError: Failed to execute 'forEach' on 'Headers': parameter 1 is not of "
            "type 'Function'.");
  EXPECT_EQ(run("h.forEach(() => { throw new EvalError('stop') })"), "threw EvalError: stop");
}

TEST_F(HeadersTest, BrandChecksAndClassString) {
  EXPECT_EQ(run("Object.prototype.toString.call(new Headers())"), "[object Headers]");
  EXPECT_EQ(run("Headers.prototype.get.call({}, 'a')"), "threw TypeError: Illegal invocation");
  // WebIDL: operations are enumerable on the prototype; @@iterator is not.
  EXPECT_EQ(run("Object.keys(Headers.prototype).join()"),
            "append,delete,get,getSetCookie,has,set,entries,keys,values,forEach");
  EXPECT_EQ(run("Headers.prototype.propertyIsEnumerable(Symbol.iterator)"), "false");
  EXPECT_EQ(run("[Headers.length, Headers.prototype.append.length, Headers.prototype.get.length,"
                " Headers.prototype.forEach.length, Headers.prototype.keys.length].join()"),
            "0,2,1,1,0");
}

TEST_F(HeadersTest, CppApi) {
  Headers* h = Headers::create();
  h->appendTrusted("Content-Type", "text/html");
  h->appendTrusted("Set-Cookie", "a=1");
  h->appendTrusted("set-cookie", "b=2");
  h->appendTrusted("X-A", "1");
  EXPECT_TRUE(h->has("content-type"));
  EXPECT_FALSE(h->has("Content-Type"));  // the C++ API takes lowercase names
  EXPECT_EQ(h->get("set-cookie"), "a=1, b=2");
  EXPECT_EQ(h->get("missing"), std::nullopt);
  h->setTrusted("x-a", "2");
  h->setTrusted("x-b", "3");
  ASSERT_EQ(h->list().size(), 5u);
  EXPECT_EQ(h->list()[0].name, "content-type");
  EXPECT_EQ(h->list()[1].name, "set-cookie");
  EXPECT_EQ(h->list()[2].value, "b=2");
  EXPECT_EQ(h->list()[3].name, "x-a");
  EXPECT_EQ(h->list()[3].value, "2");
  EXPECT_EQ(h->list()[4].name, "x-b");
  const auto& sorted = h->sortedAndCombined();
  ASSERT_EQ(sorted.size(), 5u);
  EXPECT_EQ(sorted[0].name, "content-type");
  EXPECT_EQ(sorted[1].value, "a=1");
  EXPECT_EQ(sorted[2].value, "b=2");

  // fill() from C++ with a JS value; errors come back as values.
  v8::Local<v8::Value> init;
  {
    v8::TryCatch tc(iso());
    init = v8::Script::Compile(ctx(), v8Str(iso(), "({'X-Filled': ' yes '})"))
               .ToLocalChecked()
               ->Run(ctx())
               .ToLocalChecked();
  }
  EXPECT_TRUE(h->fill(*realm_, init).ok());
  EXPECT_EQ(h->get("x-filled"), "yes");
  v8::Local<v8::Value> bad = v8::Script::Compile(ctx(), v8Str(iso(), "[['a b', 'c']]"))
                                 .ToLocalChecked()
                                 ->Run(ctx())
                                 .ToLocalChecked();
  JsResult<void> r = h->fill(*realm_, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, JsError::Kind::kTypeError);
  EXPECT_FALSE(h->has("a b"));

  // Wrapping hands the native to JS, which sees the same list.
  setGlobal("h", wrap(*realm_, h));
  EXPECT_EQ(run("JSON.stringify([...h.keys()])"),
            R"(["content-type","set-cookie","set-cookie","x-a","x-b","x-filled"])");

  // A native never wrapped is the caller's to delete.
  delete Headers::create();
}

TEST_F(HeadersTest, ConstructorFromWrappedNative) {
  Headers* h = Headers::create(Headers::Guard::kImmutable);
  h->appendTrusted("A", "1");
  setGlobal("src", wrap(*realm_, h));
  // A copy of an immutable Headers is mutable.
  EXPECT_EQ(run("const c = new Headers(src); c.append('b', '2'); JSON.stringify([...c])"),
            R"([["a","1"],["b","2"]])");
}

TEST_F(HeadersTest, CollectedWrappersFreeTheirNatives) {
  EXPECT_EQ(run("for (let i = 0; i < 2000; i++) new Headers({a: String(i)}).get('a');"
                "globalThis.kept = new Headers({k: 'v'}); 'done'"),
            "done");
  iso()->LowMemoryNotification();  // full GC: the weak callbacks delete the natives
  EXPECT_EQ(run("kept.get('k')"), "v");
}

TEST_F(HeadersTest, DOMExceptionFromCpp) {
  // JsError::dom, as C++ methods return it, becomes a real DOMException.
  v8::Local<v8::Function> thrower =
      v8::Function::New(ctx(), [](const v8::FunctionCallbackInfo<v8::Value>& info) {
        throwError(info.GetIsolate(), JsError::dom("AbortError", "stopped"));
      }).ToLocalChecked();
  setGlobal("thrower", thrower);
  EXPECT_EQ(run("try { thrower() } catch (e) {"
                "  [e instanceof DOMException, e instanceof Error, e.name, e.message, e.code]"
                "}"),
            "true,true,AbortError,stopped,20");
}

}  // namespace
}  // namespace torus::js
