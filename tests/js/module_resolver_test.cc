// The pure parts of module resolution: the import-attribute rewrite V8 10.2 needs, and data:
// URL decoding.
#include "js/module_resolver.h"

#include <gtest/gtest.h>

namespace torus::js {
namespace {

TEST(RewriteImportAttributes, StaticImportsAndReexports) {
  EXPECT_EQ(rewriteImportAttributes("import a from './a.json' with { type: 'json' };"),
            "import a from './a.json' assert { type: 'json' };");
  EXPECT_EQ(rewriteImportAttributes("import \"./a.json\"with{type:\"json\"}"),
            "import \"./a.json\"assert{type:\"json\"}");
  EXPECT_EQ(rewriteImportAttributes("export { x } from\n  './a.json'\n  with { type: 'json' }"),
            "export { x } from\n  './a.json'\n  assert { type: 'json' }");
}

TEST(RewriteImportAttributes, DynamicImportOptions) {
  EXPECT_EQ(rewriteImportAttributes("await import(`./${n}.json`, { with: { type: 'json' } })"),
            "await import(`./${n}.json`, { assert: { type: 'json' } })");
  EXPECT_EQ(rewriteImportAttributes("import(f(a, b), {with:{type:'json'}})"),
            "import(f(a, b), {assert:{type:'json'}})");
}

TEST(RewriteImportAttributes, LeavesOtherCodeAlone) {
  for (const char* code : {
           "with (obj) { x }",
           "const s = 'a' + withdraw({ with: 1 });",
           "foo('x', { with: 1 })",
           "obj.import(a, { with: 1 })",
           "const from = 'x'; with (o) {}",
           "let withX = 1; const o = { with: 2 };",
       }) {
    EXPECT_EQ(rewriteImportAttributes(code), code);
  }
}

TEST(DecodeDataUrl, PlainPercentAndBase64) {
  auto a = decodeDataUrl("data:text/javascript,export%20default%201");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mimeType, "text/javascript");
  EXPECT_EQ(a->body, "export default 1");
  auto b = decodeDataUrl("data:Text/JavaScript;charset=utf-8;BASE64,ZXhwb3J0IHt9");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->mimeType, "text/javascript");
  EXPECT_EQ(b->body, "export {}");
  auto c = decodeDataUrl("data:,hi#frag");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->mimeType, "text/plain");
  EXPECT_EQ(c->body, "hi");
  EXPECT_FALSE(decodeDataUrl("data:text/javascript").ok());
  EXPECT_FALSE(decodeDataUrl("data:;base64,a").ok());
}

}  // namespace
}  // namespace torus::js
