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
  size_t before = builtinsFromCodeCache();
  makeRealm(RealmOptions{});  // the fixture's first realm filled the cache
  EXPECT_EQ(builtinsFromCodeCache() - before, kBuiltinCount);
  EXPECT_EQ(run("new DOMException('m', 'AbortError').code"), "20");
  EXPECT_EQ(run("typeof console.log"), "function");
}

TEST_F(BuiltinsTest, StackTracesNameTheBuiltinFile) {
  EXPECT_NE(run("try { new DOMException(Symbol()) } catch (e) { e.stack }")
                .find("torus:01_dom_exception.js"),
            std::string::npos);
}

}  // namespace
}  // namespace torus::js
