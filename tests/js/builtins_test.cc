// Built-in JavaScript: run once per realm with private natives that user code cannot reach,
// compiled from the process-wide code cache after the first realm.
#include "js/builtins.h"

#include <gtest/gtest.h>

#include "tests/js/realm_fixture.h"

namespace torus::js {
namespace {

class BuiltinsTest : public RealmTest {};

TEST_F(BuiltinsTest, NativesAndInternalsAreNotReachable) {
  EXPECT_EQ(run("typeof natives"), "undefined");
  EXPECT_EQ(run("typeof internals"), "undefined");
  EXPECT_EQ(run("Object.getOwnPropertyNames(globalThis).filter(k => /native|internal/i.test(k))"
                ".join()"),
            "");
}

TEST_F(BuiltinsTest, GlobalsAreWebIdlShaped) {
  EXPECT_EQ(run("const d = Object.getOwnPropertyDescriptor(globalThis, 'DOMException');"
                "[d.writable, d.enumerable, d.configurable].join()"),
            "true,false,true");
  EXPECT_EQ(run("Object.keys(globalThis).includes('console')"), "false");
}

TEST_F(BuiltinsTest, LaterRealmsCompileFromTheCodeCache) {
  run("[URL, Blob, FormData, performance, crypto, navigator, AbortController, FileReader, "
      "DOMException]");
  size_t before = builtinsFromCodeCache();
  makeRealm(RealmOptions{});  // the fixture's first realm filled the cache
  size_t eager = builtinsRun(*realm_);
  EXPECT_EQ(builtinsFromCodeCache() - before, eager);
  EXPECT_EQ(run("new DOMException('m', 'AbortError').code"), "20");
  EXPECT_EQ(run("typeof console.log"), "function");
  EXPECT_EQ(run("new URL('http://a/b').pathname"), "/b");
  // DOMException and URL ran lazily, from the cache too.
  EXPECT_EQ(builtinsFromCodeCache() - before, eager + 2);
}

// A build-time cache V8 does not accept (here: bytes that are no code cache) costs only the
// compile from source: the first realm works, compiled nothing from it, and the caches it
// made serve the next realm. In a fresh process, so that no earlier realm filled the cache.
TEST(BuiltinsCodeCacheTest, ARejectedEmbeddedCacheFallsBackToSource) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        static std::vector<uint8_t> junk(4096, 0x5a);
        static std::vector<const uint8_t*> data(kBuiltinCount, junk.data());
        static std::vector<uint32_t> sizes(kBuiltinCount, uint32_t(junk.size()));
        useEmbeddedCodeCache(EmbeddedCodeCache{data.data(), sizes.data(), kBuiltinCount});
        ensureV8();
        int code = 0;
        for (int round = 0; round < 2; ++round) {
          Realm realm(RealmOptions{});
          v8::HandleScope scope(realm.isolate());
          installGlobals(realm);
          size_t want = round == 0 ? 0 : builtinsRun(realm);
          if (builtinsRun(realm) == 0 || realm.builtinsCached() != want) code |= 1 << round;
          v8::Isolate* iso = realm.isolate();
          v8::Local<v8::Value> out;
          v8::Local<v8::Script> script;
          if (!v8::Script::Compile(realm.context(), v8Str(iso, "structuredClone(6 * 7)"))
                   .ToLocal(&script) ||
              !script->Run(realm.context()).ToLocal(&out) ||
              !out->StrictEquals(v8::Integer::New(iso, 42))) {
            code |= 4;
          }
        }
        _exit(code);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(BuiltinsTest, LazyFilesRunOnFirstUseOfTheirGlobals) {
  size_t eager = builtinsRun(*realm_);
  EXPECT_LT(eager, kBuiltinCount);
  EXPECT_EQ(run("'URL' in globalThis && Object.keys(globalThis).includes('URL')"), "false");
  EXPECT_EQ(builtinsRun(*realm_), eager) << "'in' and Object.keys do not run the file";
  EXPECT_EQ(run("new URLSearchParams('a=1').get('a')"), "1");
  EXPECT_EQ(builtinsRun(*realm_), eager + 1);
  EXPECT_EQ(run("URL.name + URL.canParse('x:')"), "URLtrue");
  EXPECT_EQ(builtinsRun(*realm_), eager + 1) << "the file runs once";
  EXPECT_EQ(run("const u = Object.getOwnPropertyDescriptor(globalThis, 'URL');"
                "[typeof u.value, u.writable, u.enumerable, u.configurable].join()"),
            "function,true,false,true");
}

TEST_F(BuiltinsTest, RequiredFilesRunFirst) {
  // FormData reads Blob's internals: its @requires runs 30_blob.js first.
  EXPECT_EQ(run("const f = new FormData(); f.append('a', new Blob(['xy'])); f.get('a').size"),
            "2");
  EXPECT_EQ(run("f.get('a') instanceof File && f.get('a') instanceof Blob"), "true");
}

TEST_F(BuiltinsTest, UserCodeMayReplaceALazyGlobalBeforeItRuns) {
  size_t eager = builtinsRun(*realm_);
  EXPECT_EQ(run("globalThis.Blob = 1; Blob"), "1");
  EXPECT_EQ(builtinsRun(*realm_), eager);
  EXPECT_EQ(run("typeof File"), "function");  // the file runs for File, Blob stays the user's
  EXPECT_EQ(run("Blob"), "1");
}

TEST_F(BuiltinsTest, ALaterFileLoadsOnDemand) {
  // Blob.stream() needs 50_streams.js, which comes after 30_blob.js: natives.loadBuiltin runs
  // it on the first call, even when user code replaced the global ReadableStream first.
  size_t eager = builtinsRun(*realm_);
  EXPECT_EQ(run("globalThis.ReadableStream = 1; typeof new Blob(['ab']).stream().getReader"),
            "function");
  EXPECT_GT(builtinsRun(*realm_), eager + 1) << "blob, streams and what streams requires";
  EXPECT_EQ(run("ReadableStream"), "1");
  EXPECT_EQ(run("typeof WritableStream"), "function");
}

TEST_F(BuiltinsTest, LazyAttributesKeepTheirShape) {
  EXPECT_EQ(run("const p = Object.getOwnPropertyDescriptor(globalThis, 'crypto');"
                "[typeof p.get, p.set, p.enumerable].join()"),
            "function,,true");
  EXPECT_EQ(run("typeof crypto.randomUUID()"), "string");
  EXPECT_EQ(run("self === globalThis"), "true");
  EXPECT_EQ(run("self = 5; self"), "5");  // [Replaceable]
  EXPECT_EQ(run("performance.now() >= 0"), "true");
}

TEST_F(BuiltinsTest, TheGlobalEventTargetLoadsOnFirstUse) {
  size_t eager = builtinsRun(*realm_);
  EXPECT_TRUE(realm_->helper("reportException", false).IsEmpty()) << "events are lazy";
  EXPECT_EQ(run("let seen = []; onerror = (m) => { seen.push(m); return true; }; typeof onerror"),
            "function");
  EXPECT_GT(builtinsRun(*realm_), eager);
  EXPECT_EQ(run("reportError(new Error('boom')); seen.join()"), "Uncaught Error: boom");
  EXPECT_EQ(run("let n = 0; addEventListener('x', () => n++); dispatchEvent(new Event('x')); n"),
            "1");
  EXPECT_EQ(run("addEventListener === EventTarget.prototype.addEventListener"), "true");
}

TEST_F(BuiltinsTest, ALazyFileBrokenByUserCodeThrowsToItInsteadOfAborting) {
  // 20_url.js calls Symbol.for when it runs: user code broke it first.
  EXPECT_EQ(run("const saved = Symbol.for; Symbol.for = null;"
                "let r; try { new URL('http://x/'); r = 'no error' } catch (e) { r = e.name }"
                "Symbol.for = saved; r"),
            "TypeError");
  EXPECT_EQ(run("new URL('http://x/a').pathname"), "/a") << "a later use runs it again";
}

TEST_F(BuiltinsTest, AHelperLoadsTheFileThatRegistersIt) {
  size_t eager = builtinsRun(*realm_);
  EXPECT_FALSE(realm_->helper("parseFormData").IsEmpty());
  // 31_formdata.js, the 30_blob.js it requires and 20_url.js (it reads URLSearchParams).
  EXPECT_EQ(builtinsRun(*realm_), eager + 3);
  EXPECT_TRUE(realm_->helper("noSuchHelper").IsEmpty());
}

TEST_F(BuiltinsTest, StackTracesNameTheBuiltinFile) {
  EXPECT_NE(run("try { new DOMException(Symbol()) } catch (e) { e.stack }")
                .find("torus:01_dom_exception.js"),
            std::string::npos);
}

}  // namespace
}  // namespace torus::js
